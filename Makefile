# The whole series: build, test and diff every stage.
#
#   make                 build every stage and the test tools
#   make tour            the guided tour: each stage started, shown, explained
#   make test            the behaviour suite on every stage, then the matrix
#   make sanitize        the suite on ASan+UBSan builds (TSan for threads)
#   make bench           every stage beside libuv and Node.js: bench/results.md
#   make diff-03         what 03 adds to 02 (the lesson of stage 03)
#   make diff            every consecutive diff;  make diffstat: their sizes
#   make format          clang-format every C file; make format-check
#   make book            the series as HTML pages (book/index.html)
#   make lab STAGE=NN    build stage NN yourself, from NN-1 (lab/, git-ignored)
#   make trace-NN        stage NN's syscalls under strace, captioned
#   make mutants         one-line mistakes per stage: the suite must catch each
#   make soak            chaos against every stage, then its health checked
#   make valgrind        part of the suite with each server under memcheck
#
# One stage alone: make -C 02-thread-per-conn test (or make test inside it).

STAGES := $(sort $(patsubst %/,%,$(wildcard [0-9][0-9]-*/)))
CC ?= cc
CFLAGS = -std=c11 -Wall -Wextra -Werror -O2 -g -pthread
C_FILES = $(wildcard [0-9][0-9]-*/*.c [0-9][0-9]-*/*.h tools/*.c tools/*/*.[ch] \
	test/*/*.c)

all: tools $(STAGES)

$(STAGES):
	$(MAKE) -C $@ server

tools: tools/client tools/fault.so

tools/client: $(wildcard tools/client-src/*.c tools/client-src/*.h)
	$(CC) $(CFLAGS) -o $@ $(filter %.c,$^)

tools/fault.so: tools/fault.c
	$(CC) $(CFLAGS) -fPIC -shared -o $@ $< -ldl

tour: all
	tools/deps procps
	tools/tour

bench: all
	-tools/deps linux-perf valgrind libuv1-dev pkg-config nodejs gnuplot-nox
	tools/bench/run

test: all
	tools/deps
	test/run
	@if ls test/project/*.bats >/dev/null 2>&1; then \
		echo "== the project's own tools"; bats --tap test/project; fi

sanitize: tools
	tools/deps
	test/run -s asan
	test/run -s tsan

diff-%:
	@tools/stagediff $*

diff:
	@for s in $(wordlist 2,99,$(STAGES)); do tools/stagediff $${s%%-*}; done

diffstat:
	@for s in $(wordlist 2,99,$(STAGES)); do tools/stagediff -s $${s%%-*}; done

format:
	clang-format -i $(C_FILES)

format-check:
	clang-format --dry-run -Werror $(C_FILES)

clean:
	for s in $(STAGES); do $(MAKE) -C $$s clean; done
	rm -rf tools/client tools/fault.so build book

.PHONY: all $(STAGES) tools tour bench test sanitize diff diffstat format format-check clean

# Further targets (the book, the soak, the labs...), one file each.
include $(wildcard mk/*.mk)
