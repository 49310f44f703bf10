#!/usr/bin/env bats
# The echo itself: byte-exact and binary-safe whatever the client does.

load helpers

@test "echo: 1 byte, 64 KiB and 10 MiB of random bytes come back exact" {
	expectation echo
	start_server
	for n in 1 65536 10M; do
		run client echo -n "$n" -s 7
		echo "$output"
		[ "$status" -eq 0 ]
	done
}

@test "echo: writes split at random points, every byte value, in order" {
	expectation echo
	start_server
	run client echo -n 4M -x 9000 -s 11
	[ "$status" -eq 0 ]
	# Every byte value, NUL and newline included, from a file.
	for i in $(seq 0 255); do
		printf "\\$(printf %03o "$i")"
	done >"$BATS_TEST_TMPDIR/bytes"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/bytes")" -eq 256 ]
	run client echo -f "$BATS_TEST_TMPDIR/bytes" -x 3
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "echo: one client after another, each served" {
	expectation echo
	start_server
	for i in 1 2 3 4 5; do
		run client echo -n 1000 -s "$i"
		[ "$status" -eq 0 ]
	done
}

@test "half-close: everything sent before the FIN comes back, then EOF" {
	expectation half-close
	start_server
	run client echo -n 3M -x 50000 -H
	echo "$output"
	[ "$status" -eq 0 ]
	run client echo -n 0 -H
	[ "$status" -eq 0 ]
	wait_for 5 log_has 'eof, 3145728 bytes echoed$'
}

@test "half-close: a FIN that arrives while echo is queued waits for it" {
	expectation half-close
	# Every socket read and write of the server moves less than asked
	# (the shim), so its echo is never all written at once: whenever the
	# FIN is read, some echo is still queued ahead of it (from 04 on).
	SERVER_ENV=(FAULT_SHORT=100 FAULT_REPORT=$BATS_TEST_TMPDIR/faults)
	start_server
	run client echo -n 1M -H
	echo "$output"
	[ "$status" -eq 0 ]
	wait_for 5 log_has 'eof, 1048576 bytes echoed$'
	grep -q 'short=0*[1-9]' "$BATS_TEST_TMPDIR/faults" # the shim was there
}

@test "reset: a client that resets mid-echo is closed, the server goes on" {
	expectation reset
	start_server
	run client reset -n 1M
	[ "$status" -eq 0 ]
	wait_for 5 log_has '^close fd .*: (Connection reset by peer|Broken pipe), [0-9]+ bytes echoed$'
	server_alive
	run client echo -n 100K
	[ "$status" -eq 0 ]
}

@test "reset: a client killed while the server writes to it is only closed" {
	expectation reset
	start_server
	# A hog sends without reading until the server's writes to it stall;
	# killed, its kernel answers with a reset.
	for i in 1 2 3; do
		bg "hog$i" "$CLIENT" -p "$PORT" hog -n 64M
		wait_for 10 output_has "hog$i" '^stalled'
		bg_signal KILL "$BG_PID"
		wait_for 5 eval '[ "$(grep -c "^close fd .*: Connection reset by peer, " "$SERVER_ERR")" -eq '$i' ]'
		server_alive
	done
	run client echo -n 100K
	[ "$status" -eq 0 ]
}

@test "sigpipe: a write to a vanished client (EPIPE, SIGPIPE) closes only it" {
	expectation sigpipe
	# The kernel raises SIGPIPE when a write fails with EPIPE, which needs
	# a peer that closed and then reset: a race a test cannot win every
	# time. The shim makes every write fail that way instead.
	SERVER_ENV=(FAULT_EPIPE=100 FAULT_REPORT=$BATS_TEST_TMPDIR/faults)
	start_server
	for i in 1 2 3; do
		run client echo -n 1000
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"server closed after 0 of 1000 bytes"* ]]
		server_alive
	done
	wait_for 5 log_has '^close fd .*: Broken pipe, 0 bytes echoed$'
	grep -q 'epipe=0*[1-9]' "$BATS_TEST_TMPDIR/faults"
}

@test "faults: byte-exact under injected short reads/writes, EINTR and EAGAIN" {
	expectation faults
	SERVER_ENV=(FAULT_SHORT=40 FAULT_EINTR=20 FAULT_EAGAIN=20
		FAULT_SEED=3 FAULT_REPORT=$BATS_TEST_TMPDIR/faults)
	start_server
	run client echo -n 2M -x 20000
	echo "$output"
	[ "$status" -eq 0 ]
	run client echo -n 1M -H
	[ "$status" -eq 0 ]
	run client echo -n 1
	[ "$status" -eq 0 ]
	# The faults really happened: the shim counts what it injected.
	cat "$BATS_TEST_TMPDIR/faults"
	[ "$(grep -o 'short=[0-9]*' "$BATS_TEST_TMPDIR/faults" | cut -d= -f2)" -gt 10 ]
	[ "$(grep -o 'eintr=[0-9]*' "$BATS_TEST_TMPDIR/faults" | cut -d= -f2)" -gt 10 ]
}
