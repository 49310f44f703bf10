#!/usr/bin/env bats
# Child processes on pipes (-e CMD): the bytes both ways with backpressure,
# the half-close, reaping on SIGCHLD, and a clean start for each child.

load helpers

# server_exit: wait (at most SECS, default 10) for the server to exit; its
# exit status in EXIT.
server_exit() {
	wait_for "${1:-10}" eval '! server_alive'
	EXIT=0
	wait "$SERVER_PID" || EXIT=$?
	SERVER_PID=""
}

# children_of PID: the pids of PID's children, zombies included.
children_of() {
	ps -o pid= --ppid "$1" | tr -d ' '
}

# lines_in FILE PATTERN: how many lines of FILE match PATTERN.
lines_in() {
	grep -Ec -- "$2" "$1" || true
}

# halfclose INPUT: connect, send INPUT, half-close, and print what comes
# back until the server closes. Fails on a reset. (perl-base, which every
# Debian system has: neither bash nor the test client can half-close and
# then take what is not an echo.)
halfclose() {
	timeout -s KILL 30 perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
			PeerPort => $ARGV[0]) or die "connect: $!\n";
		defined syswrite($s, $ARGV[1]) or die "write: $!\n";
		shutdown($s, 1) or die "shutdown: $!\n";
		my ($buf, $n);
		print $buf while ($n = sysread($s, $buf, 65536));
		defined $n or die "read: $!\n";
	' "$PORT" "$1"
}

@test "children: -e 'tr a-z A-Z' uppercases; tr answers once the client half-closes" {
	expectation children
	start_server -e 'tr a-z A-Z'
	run halfclose 'hello, world'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 'HELLO, WORLD' ]
	wait_for 5 log_has '^child [0-9]+ exited 0$'
	log_has '^child [0-9]+ started for fd [0-9]+$'
	log_has '^close fd [0-9]+ .*: eof, 12 bytes echoed$'
}

@test "children: -e cat echoes 10 MiB exact, and half-closed" {
	expectation children
	start_server -e cat
	run client echo -n 10M -x 100000
	echo "$output"
	[ "$status" -eq 0 ]
	run client echo -n 1M -H
	echo "$output"
	[ "$status" -eq 0 ]
	wait_for 5 eval '[ "$(lines_in "$SERVER_ERR" "^child [0-9]+ exited 0$")" -eq 2 ]'
}

@test "children: -e cat to a client reading at 1 MiB/s: exact, and the server's memory stays flat" {
	expectation children
	start_server -e cat
	run client echo -n 1M
	[ "$status" -eq 0 ]
	rss_before=$(rss_kib_of "$SERVER_PID")
	bg slow "$CLIENT" -p "$PORT" echo -n 3M -r 1M
	slow=$BG_PID
	rss_max=0
	while kill -0 "$slow" 2>/dev/null; do
		rss=$(rss_kib_of "$SERVER_PID")
		[ "$rss" -le "$rss_max" ] || rss_max=$rss
		sleep 0.1 # a reading every 100 ms while the echo lasts
	done
	wait "$slow"
	output_has slow '^echoed 3145728 bytes$'
	echo "server RSS: $rss_before KiB before, at most $rss_max KiB during"
	# The client's queue stops at 256 KiB, then cat waits, then its
	# client: far below the 3 MiB sent.
	if [ -z "$SANITIZER" ]; then
		[ $((rss_max - rss_before)) -lt 2048 ]
	fi
}

@test "children: a client that never reads stalls its child and then itself, at no cost, and gets every byte once it reads" {
	expectation children
	start_server -e cat
	run client echo -n 1M
	[ "$status" -eq 0 ]
	rss_before=$(rss_kib_of "$SERVER_PID")
	bg hog "$CLIENT" -p "$PORT" hog -n 64M
	hog=$BG_PID
	wait_for 30 output_has hog '^stalled'
	cat "$BATS_TEST_TMPDIR/hog.out"
	rss=$(rss_kib_of "$SERVER_PID")
	echo "server RSS: $rss_before KiB before the hog, $rss KiB now"
	if [ -z "$SANITIZER" ]; then
		[ $((rss - rss_before)) -lt 2048 ]
	fi
	# No spin while everyone waits.
	before=$(cpu_ticks_of "$SERVER_PID")
	sleep 1 # a second in which no one moves
	after=$(cpu_ticks_of "$SERVER_PID")
	echo "cpu ticks in 1 s: $((after - before))"
	[ $((after - before)) -le 5 ]
	bg_signal USR1 "$hog"
	wait "$hog"
	output_has hog '^read 67108864 exact$'
}

@test "children: a child that does not read stops the server reading from its client" {
	expectation children
	fifo=$BATS_TEST_TMPDIR/go
	mkfifo "$fifo"
	# The child waits until the test opens the FIFO, then becomes cat.
	start_server -g 1 -e "cat '$fifo' >/dev/null; exec cat"
	bg hog "$CLIENT" -p "$PORT" hog -n 64M
	hog=$BG_PID
	wait_for 30 output_has hog '^stalled'
	cat "$BATS_TEST_TMPDIR/hog.out"
	# Nothing is read from the child's client until it reads: what the
	# client sent waits in the kernel's buffers, not in the server.
	sent=$(sed -n 's/^stalled //p' "$BATS_TEST_TMPDIR/hog.out")
	rss=$(rss_kib_of "$SERVER_PID")
	echo "stalled after $sent bytes; server RSS $rss KiB"
	[ "$sent" -lt $((64 * 1024 * 1024)) ]
	timeout -s KILL 10 sh -c ': >"$1"' sh "$fifo" # the child reads now
	bg_signal USR1 "$hog"
	wait "$hog"
	output_has hog '^read 67108864 exact$'
}

@test "children: 100 connections with children, all closed: every child reaped, none left" {
	expectation children
	start_server -q -e 'exec cat'
	# A fork takes a while under TSan (150 ms here): time enough.
	bg hold "$CLIENT" -p "$PORT" hold -c 100 -t 50000
	hold=$BG_PID
	wait_for 55 output_has hold '^held 100$'
	[ "$(children_of "$SERVER_PID" | wc -l)" -eq 100 ]
	bg_signal USR1 "$hold"
	wait "$hold"
	output_has hold '^verified 100$'
	# Each cat sees its stdin end, exits, and is reaped: no zombie.
	wait_for 20 eval '[ -z "$(children_of "$SERVER_PID")" ]'
	run client echo -n 1000
	[ "$status" -eq 0 ]
}

@test "children: a child starts clean: fds 0, 1 and 2 only, no signal ignored or blocked" {
	expectation children
	start_server -e 'exec cat'
	bg hold "$CLIENT" -p "$PORT" hold -c 1
	wait_for 10 output_has hold '^held 1$' # cat has echoed: it runs
	pid=$(children_of "$SERVER_PID")
	[ -n "$pid" ]
	echo "child $pid: $(readlink "/proc/$pid/exe")"
	ls -l "/proc/$pid/fd"
	[ "$(ls "/proc/$pid/fd" | sort -n | tr '\n' ' ')" = "0 1 2 " ]
	[[ "$(readlink "/proc/$pid/fd/0")" == pipe:* ]]
	[[ "$(readlink "/proc/$pid/fd/1")" == pipe:* ]]
	[ "$(readlink "/proc/$pid/fd/2")" = "$(readlink "/proc/$SERVER_PID/fd/2")" ]
	grep -E '^Sig(Ign|Blk)' "/proc/$SERVER_PID/status" "/proc/$pid/status"
	# The server ignores SIGPIPE; its child must not.
	grep -qE '^SigIgn:\s+0*[1-9a-f]' "/proc/$SERVER_PID/status"
	# Signals 32 and 33 are glibc's own (sigaction refuses them): one the
	# server's parent ignored stays ignored, whatever the server does.
	ign=$((16#$(awk '/^SigIgn:/ { print $2 }' "/proc/$pid/status")))
	[ $((ign & ~0x180000000)) -eq 0 ]
	grep -qE '^SigBlk:\s+0+$' "/proc/$pid/status"
}

@test "children: -e false and -e 'exit 3': the status is logged, the client closed cleanly" {
	expectation children
	for cmd in false 'exit 3'; do
		start_server -e "$cmd"
		exec {s}<>"/dev/tcp/127.0.0.1/$PORT"
		# EOF, not a reset: cat ends with status 0 and reads nothing.
		run timeout -s KILL 10 cat <&"$s"
		exec {s}>&-
		[ "$status" -eq 0 ]
		[ -z "$output" ]
		want=1
		[ "$cmd" = false ] || want=3
		wait_for 5 log_has "^child [0-9]+ exited $want\$"
		log_has '^close fd [0-9]+ .*: eof, 0 bytes echoed$'
		stop_server
	done
}

@test "children: the client leaves first: its child's stdout breaks, and SIGPIPE ends it" {
	expectation children
	start_server -e 'exec yes'
	exec {s}<>"/dev/tcp/127.0.0.1/$PORT"
	run timeout -s KILL 10 head -c 100000 <&"$s"
	exec {s}>&-
	[ "${#output}" -gt 1000 ]
	# SIGPIPE's default action: the child did not inherit the server's
	# ignored SIGPIPE, or yes would exit 1 on EPIPE instead.
	wait_for 5 log_has '^child [0-9]+ killed by signal 13 \(Broken pipe\)$'
	[ -z "$(children_of "$SERVER_PID")" ]
}

@test "children: out of fds for a child's pipes, that client is closed with the reason; the others go on" {
	expectation children
	start_server -e cat
	bg held "$CLIENT" -p "$PORT" hold -c 1
	held=$BG_PID
	wait_for 10 output_has held '^held 1$'
	# One fd left: enough to accept, not for the child's pipes.
	limits=$(prlimit --pid "$SERVER_PID" --nofile --output SOFT,HARD --noheadings)
	prlimit --pid "$SERVER_PID" --nofile="$(($(fds_of "$SERVER_PID") + 1)):${limits##* }"
	run client echo -n 10 -t 5000
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"server closed after 0 of 10 bytes"* ]]
	wait_for 5 log_has '^close fd [0-9]+ .*: pipe2: Too many open files, 0 bytes echoed$'
	# The client with a child is still served, and so is everyone once
	# fds are back.
	bg_signal USR1 "$held"
	wait "$held"
	output_has held '^verified 1$'
	prlimit --pid "$SERVER_PID" --nofile="${limits// /:}"
	run client echo -n 1000
	[ "$status" -eq 0 ]
}

# nobody_tasks: the processes and threads of user nobody (uid 65534).
nobody_tasks() {
	ps -e -L -o ruid= | grep -c '^ *65534$' || true
}

@test "children: out of processes (fork fails), that client is closed with the reason; the others go on" {
	expectation children
	# RLIMIT_NPROC caps a user's processes and threads, root's never, and
	# only a process itself, or root with CAP_SYS_RESOURCE, may change it
	# once it runs. So the server runs as nobody, with a limit set at
	# start: what it has with one client and its child, measured first.
	[ "$(id -u)" -eq 0 ] || skip "needs root, to run the server as nobody"
	command -v setpriv >/dev/null || skip "no setpriv"
	[ "$(nobody_tasks)" -eq 0 ] || skip "user nobody has processes already"
	real=$SERVER
	SERVER=$BATS_TEST_TMPDIR/as-nobody
	printf '#!/usr/bin/env bash\n[ -z "$NPROC" ] || ulimit -Su "$NPROC" || exit 1\nexec setpriv --reuid=65534 --regid=65534 --clear-groups "%s" "$@"\n' \
		"$real" >"$SERVER"
	chmod +x "$SERVER"
	SERVER_ENV=(THREADPOOL_SIZE=1)
	start_server -e 'exec cat'
	bg first "$CLIENT" -p "$PORT" hold -c 1
	wait_for 10 output_has first '^held 1$'
	tasks=$(nobody_tasks) # the loop, a worker (a sanitizer's), a child
	echo "the server and one child: $tasks tasks"
	bg_signal USR1 "$BG_PID"
	wait "$BG_PID"
	stop_server
	# Again, with no room for a second child.
	SERVER_ENV=(THREADPOOL_SIZE=1 "NPROC=$tasks")
	start_server -e 'exec cat'
	bg first "$CLIENT" -p "$PORT" hold -c 1
	first=$BG_PID
	wait_for 10 output_has first '^held 1$'
	run client echo -n 10 -t 5000
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"server closed after 0 of 10 bytes"* ]]
	wait_for 5 log_has '^close fd [0-9]+ .*: fork: Resource temporarily unavailable, 0 bytes echoed$'
	# The first client is still served; once it leaves and its child is
	# reaped, there is room for the next.
	bg_signal USR1 "$first"
	wait "$first"
	output_has first '^verified 1$'
	wait_for 5 log_has '^child [0-9]+ exited 0$'
	run client echo -n 1000
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "children: a child running keeps the loop alive after -n's client left; SIGTERM, -g, and it is ended" {
	expectation children
	# The child's stdout is not the pipe: its client ends at once, the
	# child goes on sleeping.
	start_server -n 1 -g 1 -e 'exec sleep 60 >/dev/null'
	run client echo -n 10 -t 5000
	wait_for 5 log_has '^close fd [0-9]+ .*: eof, 0 bytes echoed$'
	pid=$(children_of "$SERVER_PID")
	[ -n "$pid" ]
	# -n 1 is reached and its client gone, yet a child runs: no exit.
	sleep 0.5 # nothing may happen for a while: the server stays
	server_alive
	kill -TERM "$SERVER_PID"
	server_exit 10
	[ "$EXIT" -eq 0 ]
	log_has "^child $pid: sending SIGTERM$"
	log_has "^child $pid killed by signal 15 \(Terminated\)$"
}

@test "children: -n 1 -e cat exits 0 once its client has left and its child is reaped" {
	expectation children
	start_server -n 1 -e cat
	run client echo -n 1000
	[ "$status" -eq 0 ]
	server_exit
	[ "$EXIT" -eq 0 ]
	log_has '^child [0-9]+ exited 0$'
}

@test "children: one child's exit stalls no one: another client's echo goes on" {
	expectation children
	start_server -e 'exec cat'
	exec {a}<>"/dev/tcp/127.0.0.1/$PORT" # a's child stays
	wait_for 5 eval '[ "$(children_of "$SERVER_PID" | wc -l)" -eq 1 ]'
	run client echo -n 1000 # b's child exits once b leaves, and is reaped
	[ "$status" -eq 0 ]
	# (a is closed before anything is asserted: a server stuck in
	# waitpid() for a's child would wait for it at teardown too.)
	logged=0
	wait_for 5 log_has '^child [0-9]+ exited 0$' || logged=$?
	# a's child still runs, and a still has its echo.
	printf ping >&"$a"
	reply=""
	read -r -t 5 -N 4 reply <&"$a" || true
	exec {a}>&-
	[ "$logged" -eq 0 ]
	[ "$reply" = ping ]
}
