# make valgrind: the echo, half-close, reset, fault and exit rows of the
# suite with every stage's server under valgrind's memcheck: no error, and
# nothing leaked by a server that ends by itself (tools/memcheck).
#
#   make valgrind            every stage
#   make valgrind STAGE=05   one stage

valgrind: all
	tools/deps valgrind bats procps util-linux
	tools/memcheck $(STAGE)

.PHONY: valgrind
