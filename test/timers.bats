#!/usr/bin/env bats
# Time: idle timeouts, the loop that ends when nothing is left, statistics.

load helpers

@test "timers: the heap keeps its order through random inserts and removes" {
	expectation timers
	build_unit heap
	run timeout -s KILL 30 "$BATS_TEST_TMPDIR/heap"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "timers: equal due times run in start order; 0 ms restarts starve no I/O" {
	expectation timers
	build_unit timers
	run timeout -s KILL 30 "$BATS_TEST_TMPDIR/timers"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"equal due times run in start order"* ]]
	[[ "$output" == *"then I/O went on"* ]]
}

@test "idle-timeout: a silent client is closed between 1 and 2 s after its last byte" {
	expectation idle-timeout
	start_server -t 1
	bg hold "$CLIENT" -p "$PORT" hold -c 1
	wait_for 5 output_has hold '^held 1$'
	start=$(now_ms) # the client's last byte came back just before
	wait_for 5 log_has ': idle timeout, 8 bytes echoed$'
	took=$(($(now_ms) - start))
	echo "closed after $took ms"
	[ "$took" -ge 950 ]
	[ "$took" -le 2100 ]
}

@test "idle-timeout: a client sending every half timeout is never closed" {
	expectation idle-timeout
	start_server -t 1
	run client ping -c 7 -i 500 -w 1000 # 3.5 s, a ping every 0.5 s
	echo "$output"
	[ "$status" -eq 0 ]
	refute log_has 'idle timeout'
}

@test "idle-timeout: 100 silent clients are all closed on time" {
	expectation idle-timeout
	start_server -t 1
	fds=()
	for i in $(seq 100); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
		fds+=("$fd")
	done
	wait_for 5 eval '[ "$(grep -c "^open fd" "$SERVER_ERR")" -eq 100 ]'
	start=$(now_ms) # after every client was accepted
	wait_for 5 eval '[ "$(grep -c ": idle timeout, " "$SERVER_ERR")" -eq 100 ]'
	took=$(($(now_ms) - start))
	echo "all closed $took ms after the last was accepted"
	[ "$took" -le 2100 ]
	for fd in "${fds[@]}"; do
		exec {fd}>&-
	done
}

@test "idle-timeout: a client reading its echo slowly is not idle" {
	expectation idle-timeout
	start_server -t 1
	bg hog "$CLIENT" -p "$PORT" hog -n 64M -r 1M
	hog=$BG_PID
	wait_for 10 output_has hog '^stalled'
	# It reads now, slowly: the kernel sends the server's queued echo as
	# it goes, long before the server's next write() can move a byte.
	bg_signal USR1 "$hog"
	sleep 3 # three timeouts in which the client only reads
	refute log_has 'idle timeout'
	kill -0 "$hog"
}

@test "idle-timeout: a client that stops reading is closed after the timeout" {
	expectation idle-timeout
	start_server -t 1
	bg hog "$CLIENT" -p "$PORT" hog -n 64M
	wait_for 10 output_has hog '^stalled'
	start=$(now_ms)
	wait_for 5 log_has ': idle timeout, [0-9]+ bytes echoed$'
	took=$(($(now_ms) - start))
	echo "closed $took ms after the client stalled"
	[ "$took" -le 2100 ]
}

@test "loop-exit: -n 1 -s 1 stays up while its client stays, exits 0 after" {
	expectation loop-exit
	start_server -n 1 -s 1
	bg hold "$CLIENT" -p "$PORT" hold -c 1
	hold=$BG_PID
	wait_for 5 output_has hold '^held 1$'
	log_has '^-n 1 reached: closing the listener$'
	# The listener is closed: a new client is refused.
	run client echo -n 1
	[ "$status" -ne 0 ]
	# The unref'd stats timer runs while the client keeps the loop alive.
	wait_for 5 eval '[ "$(grep -c "^stats: " "$SERVER_ERR")" -ge 2 ]'
	server_alive
	# The client leaves: nothing referenced is left, the loop ends.
	bg_signal USR1 "$hold"
	wait "$hold"
	wait_for 5 eval '! server_alive'
	status=0
	wait "$SERVER_PID" || status=$?
	SERVER_PID=""
	[ "$status" -eq 0 ]
}

@test "stats: -s logs the loop; a 300 ms name lookup shows as 300 ms of lag" {
	expectation stats
	SERVER_ENV=(FAULT_LOOKUP_MS=300)
	start_server -s 1
	run client echo -n 100
	[ "$status" -eq 0 ]
	wait_for 5 log_has '^stats: turns [0-9]+, running [0-9]+ ms, idle [0-9]+ ms, lag [0-9]+\.[0-9] ms, connections 0, timers 1$'
	lag=$(sed -n 's/^stats: .* lag \([0-9]*\)\..*/\1/p' "$SERVER_ERR" | sort -n | tail -n 1)
	echo "longest lag: $lag ms"
	[ "$lag" -ge 300 ]
}
