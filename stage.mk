# Included by every stage's Makefile: one flag set for all stages.
#
#   make            build ./server
#   make test       run the behaviour suite against this stage
#   make sanitize   the same tests on ASan+UBSan builds (and TSan where the
#                   stage starts threads)
#
# The feature macro (_GNU_SOURCE) is defined at the top of each server.c, so
# a stage copied out alone still builds with: cc -pthread server.c -o server

CC ?= cc
CFLAGS = -std=c11 -Wall -Wextra -Werror -O2 -g -pthread
SANFLAGS = -fno-omit-frame-pointer -fno-sanitize-recover=all
STAGE = $(notdir $(CURDIR))
SOURCES = $(wildcard *.c *.h)

server: $(SOURCES)
	$(CC) $(CFLAGS) -o $@ server.c

server-asan: $(SOURCES)
	$(CC) $(CFLAGS) $(SANFLAGS) -fsanitize=address,undefined -o $@ server.c

server-tsan: $(SOURCES)
	$(CC) $(CFLAGS) $(SANFLAGS) -fsanitize=thread -o $@ server.c

# Threads are what TSan checks: only stages that start them get a TSan run.
SANITIZERS = asan $(if $(shell grep -l pthread_create $(SOURCES)),tsan)

tools:
	$(MAKE) -C .. tools

test: server tools
	../test/run $(STAGE)

sanitize: $(addprefix server-,$(SANITIZERS)) tools
	for s in $(SANITIZERS); do ../test/run -s $$s $(STAGE) || exit 1; done

clean:
	rm -f server server-asan server-tsan

.PHONY: tools test sanitize clean
