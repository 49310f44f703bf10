# The benchmark's own programs (tools/bench/run builds them as it needs
# them; the top Makefile's `bench` runs it):
#
#   make bench                  every stage beside libuv and Node.js:
#                               bench/results.md and bench/*.svg
#   make bench BENCH_QUICK=1    a small version, in under a minute, into
#                               build/bench-quick/ (BENCH_RUNS=N: more runs)

build/bench/load: tools/bench/load.c
	mkdir -p build/bench
	$(CC) $(CFLAGS) -o $@ $<

# The libuv peer; needs libuv1-dev and pkg-config.
build/bench/uv-echo: tools/uv-echo.c
	mkdir -p build/bench
	$(CC) $(CFLAGS) -o $@ $< $$(pkg-config --cflags --libs libuv)
