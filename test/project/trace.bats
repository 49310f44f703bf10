#!/usr/bin/env bats
# make trace-NN (tools/trace/run): each stage's trace runs, and tells its
# story: the captions come, each over the syscalls it is about.

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

# trace NN: run the trace of stage NN into $output; it must succeed.
trace() {
	run timeout -s KILL 120 "$TOP/tools/trace/run" "$1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"gave up"* ]]
}

# told PATTERN: a caption of the trace matches PATTERN (captions are
# joined into one line each first).
told() {
	awk '
		/^  -- / { if (c != "") print c; c = substr($0, 6); next }
		c != "" && /^     [^ ]/ && !/^ +[0-9]+\.[0-9][0-9][0-9]  / {
			c = c " " substr($0, 6)
			next
		}
		{ if (c != "") print c; c = "" }
		END { if (c != "") print c }' <<<"$output" | grep -Eq -- "$1"
}

# shown PATTERN: a traced call matching PATTERN is shown.
shown() {
	grep -Eq "^ +[0-9]+\.[0-9]{3}  .*$1" <<<"$output"
}

setup() {
	command -v strace >/dev/null || skip "strace is not installed (tools/deps strace)"
}

@test "trace: a stage that does not exist yet is skipped, with a note" {
	run "$TOP/tools/trace/run" 99
	[ "$status" -eq 0 ]
	[ "$output" = "trace-99: there is no stage 99 yet: skipped" ]
}

@test "trace-01: accept4 blocks, then read and write on one client" {
	[ -d "$TOP"/01-* ] || skip "no stage 01"
	trace 01
	told 'accept4 blocks'
	shown 'accept4\(3, .*\(blocked'
	told 'read returns 0'
	shown 'read\(5, "", 65536\) = 0'
}

@test "trace-02: a clone3 for each client" {
	[ -d "$TOP"/02-* ] || skip "no stage 02"
	trace 02
	[ "$(grep -c 'main *clone3(' <<<"$output")" -eq 2 ]
	shown 'thread 2 +read\('
}

@test "trace-03: one epoll_wait reports several fds" {
	[ -d "$TOP"/03-* ] || skip "no stage 03"
	trace 03
	told 'One epoll_wait, 3 fds ready'
	shown 'epoll_wait\(5, \[\{EPOLLIN, fd [0-9]+\}, \{EPOLLIN, fd'
}

@test "trace-04: a short write, the rest queued for EPOLLOUT, backpressure" {
	[ -d "$TOP"/04-* ] || skip "no stage 04"
	trace 04
	told 'the kernel takes only|EAGAIN'
	shown 'EPOLL_CTL_MOD, [0-9]+, \{EPOLLIN\|EPOLLOUT'
	shown 'EPOLL_CTL_MOD, [0-9]+, \{EPOLLOUT,'
	told 'All 64 MiB came back'
}

@test "trace-05: epoll_wait's timeout is the time left to the soonest timer" {
	[ -d "$TOP"/05-* ] || skip "no stage 05"
	trace 05
	told 'No timer is started'
	told "still A's"
	shown "256, [0-9]+\) = 1 .*A's timer due in"
	told 'on_idle\(\) closes it'
}

@test "trace-06: a worker's one-byte write to the self-pipe, the loop's read" {
	[ -d "$TOP"/06-* ] || skip "no stage 06"
	trace 06
	shown 'thread [0-9] +write\([0-9]+, "\\0", 1\) = 1'
	told 'one read takes them all'
}

@test "trace-07: a signal, the handler's write, the loop's read" {
	[ -d "$TOP"/07-* ] || skip "no stage 07"
	trace 07
	told 'The signal arrives'
	told 'The handler does one thing'
	told 'The loop reads the signal'
}
