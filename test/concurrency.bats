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

@test "one-thread: 1,000 clients connected at once, each still echoing" {
	expectation one-thread
	start_server -q
	idle=$(threads_of "$SERVER_PID")
	bg hold "$CLIENT" -p "$PORT" hold -c 1000
	hold=$BG_PID
	wait_for 30 output_has hold '^held 1000$'
	threads=$(threads_of "$SERVER_PID")
	bg_signal USR1 "$hold"
	wait "$hold"
	output_has hold '^verified 1000$'
	# Each connection's thread ends with it. (TSan starts a thread of its
	# own along with the program's first, and keeps it.)
	wait_for 10 eval '[ "$(threads_of "$SERVER_PID")" -le $((idle + 1)) ]'
	after=$(threads_of "$SERVER_PID")
	echo "threads: $idle before, $threads with 1,000 clients, $after after"
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
	prlimit --pid "$SERVER_PID" --nofile="$(fds_of "$SERVER_PID"):${limits##* }"
	# A server already waiting in a blocking accept() (01, 02) has its fd
	# for the next client: that one is served, whatever the limit says.
	run client echo -n 10 -t 5000
	for i in 1 2 3; do
		run client echo -n 10 -t 5000
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"server closed after 0 of 10 bytes"* ]]
	done
	log_has '^accept: Too many open files: closing new connections until fds free up$'
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
}

@test "concurrency: a client that can get no thread is closed, the rest go on" {
	expectation concurrency
	grep -q pthread_create "$STAGE_DIR/server.c" ||
		skip "$STAGE starts no thread per client"
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
