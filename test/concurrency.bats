#!/usr/bin/env bats
# Many clients at once: who waits, what each costs, and running out of fds.

load helpers

@test "concurrency: a second client is served while the first stays connected" {
	expectation concurrency
	start_server
	bg first "$CLIENT" -p "$PORT" hold -c 1
	first=$BG_PID
	wait_for 10 output_has first '^held 1$'
	if [ "$EXPECT" = works ]; then
		run client ping -c 3 -w 2000
		echo "$output"
		[ "$status" -eq 0 ]
	else
		# The kernel completes the second connection from the listen
		# backlog, but no one reads it while the first is served.
		bg second "$CLIENT" -p "$PORT" ping -c 1 -w 20000
		second=$BG_PID
		wait_for 10 output_has second '^connected$'
		sleep 1 # nothing may happen for a while: that is the limit
		refute output_has second '^pings='
		# The first leaves: now the second is served.
		bg_signal USR1 "$first"
		wait "$first"
		wait "$second"
		output_has second '^pings=1 '
	fi
}

@test "concurrency: while one client's echo waits to be written, another's never mixes with it" {
	expectation concurrency
	[ "$EXPECT" = works ] || skip "$STAGE serves one client at a time"
	expectation slow-reader
	[ "$EXPECT" = works ] || skip "$STAGE serves no one while a client does not read"
	start_server -q
	# The hog does not read: the server's echo to it waits, wherever the
	# server keeps it (a blocked write() from its read buffer, or a queue).
	bg hog "$CLIENT" -p "$PORT" hog -n 64M -s 1
	hog=$BG_PID
	wait_for 30 output_has hog '^stalled'
	# Meanwhile another client's bytes pass through the server...
	run client echo -n 1M -s 2
	echo "$output"
	[ "$status" -eq 0 ]
	# ...and none of them end up in the hog's echo.
	bg_signal USR1 "$hog"
	wait "$hog" || true
	cat "$BATS_TEST_TMPDIR/hog.out"
	output_has hog '^read 67108864 exact$'
}

@test "one-thread: 1,000 clients connected at once, each still echoing" {
	expectation one-thread
	start_server -q
	idle=$(threads_of "$SERVER_PID")
	stack_kib=$(ulimit -s) # each thread's stack, in 02
	stacks=$(stacks_of "$SERVER_PID" "$stack_kib")
	# (1,000 threads under TSan on a busy machine take their time.)
	bg hold "$CLIENT" -p "$PORT" hold -c 1000 -t 50000
	hold=$BG_PID
	wait_for 50 output_has hold '^held 1000$'
	threads=$(threads_of "$SERVER_PID")
	bg_signal USR1 "$hold"
	wait "$hold"
	output_has hold '^verified 1000$'
	# Each connection's thread ends with it. (TSan starts a thread of its
	# own along with the program's first, and keeps it.)
	wait_for 10 eval '[ "$(threads_of "$SERVER_PID")" -le $((idle + 1)) ]'
	after=$(threads_of "$SERVER_PID")
	echo "threads: $idle before, $threads with 1,000 clients, $after after"
	# ...and gives back its stack: a thread no one joins or detaches keeps
	# its stack mapped for ever. (The C library keeps a few for the next
	# threads.)
	if [ "$stack_kib" != unlimited ]; then
		wait_for 10 eval '[ "$(stacks_of "$SERVER_PID" "$stack_kib")" -le $((stacks + 50)) ]'
		echo "stacks: $stacks before, $(stacks_of "$SERVER_PID" "$stack_kib") after"
	fi
	if [ "$EXPECT" = works ]; then
		[ "$threads" -eq "$idle" ]
	else
		[ "$threads" -eq $((after + 1000)) ]
	fi
}

@test "fd-limit: out of fds, new clients are closed at once, no spin, then served" {
	expectation fd-limit
	start_server
	# Make the fds the server holds now all it may have.
	limits=$(prlimit --pid "$SERVER_PID" --nofile --output SOFT,HARD --noheadings)
	fds=$(fds_of "$SERVER_PID")
	prlimit --pid "$SERVER_PID" --nofile="$fds:${limits##* }"
	# A server already waiting in a blocking accept() (01, 02) has its fd
	# for the next client: that one is served, whatever the limit says.
	run client echo -n 10 -t 5000
	for i in 1 2 3; do
		run client echo -n 10 -t 5000
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"server closed after 0 of 10 bytes"* ]]
	done
	wait_for 5 log_has '^accept: Too many open files: closing new connections until fds free up$'
	[ "$(grep -c '^accept: ' "$SERVER_ERR")" -eq 1 ] # said once
	# No busy loop: a second of (nearly) no CPU.
	before=$(cpu_ticks_of "$SERVER_PID")
	sleep 1
	after=$(cpu_ticks_of "$SERVER_PID")
	echo "cpu ticks in 1 s: $((after - before))"
	[ $((after - before)) -le 5 ]
	# fds again: the very next client is served.
	prlimit --pid "$SERVER_PID" --nofile="${limits// /:}"
	run client echo -n 1000
	[ "$status" -eq 0 ]
	# Out of fds a second time: shed again, and said again, once. (Not in
	# 01 and 02: the client served just now took the spare's slot, in the
	# accept() that waited with it, and the spare took a higher one, so
	# the same limit now leaves a free fd below it.)
	grep -q epoll_wait "$STAGE_DIR/server.c" || return 0
	wait_for 5 eval '[ "$(fds_of "$SERVER_PID")" -eq "$fds" ]'
	prlimit --pid "$SERVER_PID" --nofile="$fds:${limits##* }"
	for i in 1 2; do
		run client echo -n 10 -t 5000
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"server closed after 0 of 10 bytes"* ]]
	done
	[ "$(grep -c '^accept: ' "$SERVER_ERR")" -eq 2 ]
	prlimit --pid "$SERVER_PID" --nofile="${limits// /:}"
	run client echo -n 1000
	[ "$status" -eq 0 ]
}

@test "fd-limit: with no fd left even for the spare: no spin, said so, then served" {
	expectation fd-limit
	start_server
	limits=$(prlimit --pid "$SERVER_PID" --nofile --output SOFT,HARD --noheadings)
	# Room for stdin, stdout and stderr only: the spare, once given back
	# for a connection, cannot be taken again.
	prlimit --pid "$SERVER_PID" --nofile="3:${limits##* }"
	# (01, 02 serve this one with the fd their waiting accept() holds;
	# then they are out of fds too.)
	bg waiting "$CLIENT" -p "$PORT" echo -n 10 -t 30000
	waiting=$BG_PID
	wait_for 5 log_has '^accept: no spare fd: not accepting until fds free up$'
	# No busy loop: a second of (nearly) no CPU.
	before=$(cpu_ticks_of "$SERVER_PID")
	sleep 1
	after=$(cpu_ticks_of "$SERVER_PID")
	echo "cpu ticks in 1 s: $((after - before))"
	[ $((after - before)) -le 5 ]
	# fds again: within a second or so the spare is back, and the client
	# that waited meanwhile is served, as is the next.
	prlimit --pid "$SERVER_PID" --nofile="${limits// /:}"
	start=$(now_ms)
	wait_for 5 log_has '^spare fd taken again: accepting$'
	echo "spare taken again after $(($(now_ms) - start)) ms"
	wait "$waiting"
	output_has waiting '^echoed 10 bytes$'
	run client echo -n 10
	[ "$status" -eq 0 ]
	[ "$(grep -c '^accept: ' "$SERVER_ERR")" -eq 1 ] # said once
}

@test "fd-limit: too few fds to start: a message, status 1, and no ready line" {
	expectation fd-limit
	# ulimit -n N: fds 0 to N-1. Below some N the server cannot have
	# what it needs (listener, spare, and from 03 on the epoll set): it
	# must say so and exit before its ready line. The ready line is a
	# promise: a client is then answered (served, or shed for lack of
	# fds), not refused by a server that died after all. (From 4: with
	# 3, not even the dynamic loader can open the C library.)
	started=""
	for n in $(seq 4 16); do
		SERVER_NOFILE=$n
		if start_server; then
			echo "ulimit -n $n: ready"
			run client echo -n 10 -t 5000
			echo "$output"
			[ "$status" -eq 0 ] ||
				[[ "$output" == *"server closed after 0 of 10 bytes"* ]]
			server_alive
			stop_server
			started=$n
			break
		fi
		status=0
		wait "$SERVER_PID" || status=$?
		SERVER_PID=""
		echo "ulimit -n $n: status $status: $(cat "$SERVER_ERR")"
		[ "$status" -eq 1 ]
		grep -q '^server: .*: Too many open files$' "$SERVER_ERR"
	done
	[ -n "$started" ]
	[ "$started" -ge 5 ] # 0-2, listener, spare: 5 at least
}

@test "concurrency: a client that can get no thread is closed, the rest go on" {
	expectation concurrency
	expectation one-thread # its limit: a thread for each client
	[ "$EXPECT" = limit ] || skip "$STAGE starts no thread per client"
	[ -z "$SANITIZER" ] || skip "sanitizers reserve address space at start"
	start_server
	bg held "$CLIENT" -p "$PORT" hold -c 1
	held=$BG_PID
	wait_for 10 output_has held '^held 1$'
	# Address space for 4 MiB more: not enough for a thread's 8 MiB stack.
	vm=$(awk '/^VmSize:/ { print $2 }' "/proc/$SERVER_PID/status")
	prlimit --pid "$SERVER_PID" --as=$(((vm + 4096) * 1024)):
	run client echo -n 10
	echo "$output"
	[ "$status" -eq 1 ]
	wait_for 5 log_has '^close fd .*: Resource temporarily unavailable, 0 bytes echoed$'
	# The client that has a thread is still served; so is everyone once
	# threads can be had again.
	bg_signal USR1 "$held"
	wait "$held"
	prlimit --pid "$SERVER_PID" --as=unlimited:
	run client echo -n 10
	[ "$status" -eq 0 ]
}
