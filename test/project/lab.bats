#!/usr/bin/env bats
# make lab STAGE=NN (tools/lab/run): a lab starts from the stage before,
# its suite holds it to the stage's expectations, and it is never
# overwritten. The labs go to a scratch LAB_ROOT, not to lab/.

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

setup() {
	export LAB_ROOT=$BATS_TEST_TMPDIR/labs
	cd "$TOP"
}

# lab ARGS...: tools/lab/run under a time limit.
lab() {
	timeout -s KILL 300 "$TOP/tools/lab/run" "$@"
}

@test "lab: 03 starts from 02's code with 03's expectations; its rows fail, then pass with 03's code" {
	[ -d 02-thread-per-conn ] && [ -d 03-epoll ] || skip "no stages 02 and 03"
	run lab new 03
	echo "$output"
	[ "$status" -eq 0 ]
	dir=$LAB_ROOT/03-epoll
	cmp 02-thread-per-conn/server.c "$dir/server.c"
	cmp 03-epoll/expect "$dir/expect"
	grep -q 'one-thread    limit -> works' "$dir/README.md"
	grep -q 'stale-event   -     -> works' "$dir/README.md"
	grep -q '03-epoll/README.md' "$dir/README.md"
	# stale-event: 03's white-box test of its loop cannot even build
	# against 02's code.
	run timeout -s KILL 300 make -s -C "$dir" test T=stale-event
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"stale-event   -     -> works  FAIL: to do"* ]]
	grep -Eq '^stale-event +FAIL' <<<"$output"
	# The stage's own code passes.
	cp 03-epoll/server.c "$dir/server.c"
	run timeout -s KILL 300 make -s -C "$dir" test T=stale-event
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"stale-event   -     -> works  works: done"* ]]
	# And the diff shows the change beside the stage's own.
	run lab diff 03
	[ "$status" -eq 0 ]
	[[ "$output" == *"== Your change: "*"== The stage's own: 03-epoll"* ]]
	grep -q '^+#include <sys/epoll.h>' <<<"$output"
}

@test "lab: an existing lab is never overwritten, and it says how to start over" {
	run lab new 02
	[ "$status" -eq 0 ]
	echo "my work" >"$LAB_ROOT/02-thread-per-conn/server.c"
	run lab new 2
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"exists"* ]]
	[[ "$output" == *"To start over: rm -rf "*"02-thread-per-conn && make lab STAGE=02"* ]]
	[ "$(cat "$LAB_ROOT/02-thread-per-conn/server.c")" = "my work" ]
}

@test "lab: no stage, or no such stage, is a usage error" {
	run lab new ""
	[ "$status" -eq 2 ]
	[[ "$output" == *"usage: make lab STAGE=NN"* ]]
	run lab new 99
	[ "$status" -eq 2 ]
	[[ "$output" == *"there is no stage 99"* ]]
	[ ! -e "$LAB_ROOT/99" ]
}

@test "lab: 01 starts from a skeleton of 01: its sections, main() and the command line, word for word" {
	first=$(ls -d [0-9][0-9]-*/ | head -n 1)
	first=${first%/}
	run lab new "${first%%-*}"
	[ "$status" -eq 0 ]
	dir=$LAB_ROOT/$first
	# Every line of the skeleton is 01's, in 01's order, but for the
	# stubs' bodies and the notes on what to write (blank lines aside).
	grep -v -e '^$' -e '^	/\* yours to write \*/$' -e '^	return 0;$' \
		-e '^/\* Yours to write\.' -e '^ \* .*()' "$dir/server.c" |
		awk 'NR == FNR { if ($0 != "") want[++n] = $0; next }
			{ while (i < n && want[++i] != $0) ; if (want[i] != $0) { print "not in 01: " $0; bad = 1 } }
			END { exit bad }' "$first/server.c" -
	# Every section banner is there, in order.
	diff <(grep '^/\*\*\* ' "$first/server.c") <(grep '^/\*\*\* ' "$dir/server.c")
	# It builds on its own, parses its command line, and fails the rows
	# that need a server.
	run make -s -C "$dir" server
	echo "$output"
	[ "$status" -eq 0 ]
	run "$dir/server" -h
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: server "* ]]
	run timeout -s KILL 300 make -s -C "$dir" test T='cli: -h|cli: a log file that cannot'
	echo "$output"
	[ "$status" -ne 0 ]
	grep -Eq '^ok [0-9]+ cli: -h' <<<"$output"
	grep -Eq '^not ok [0-9]+ cli: a log file that cannot' <<<"$output"
	# Its diff is the whole of the stage, against the skeleton.
	run lab diff "${first%%-*}"
	[ "$status" -eq 0 ]
	[[ "$output" == *"from the skeleton"* ]]
	grep -q '^+static void run_loop(void)$' <<<"$output" ||
		grep -q '^+	for (;;) {$' <<<"$output"
}
