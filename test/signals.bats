#!/usr/bin/env bats
# Signals through the self-pipe: a graceful SIGTERM, -g, a second SIGTERM,
# SIGHUP's log reopen, SIGUSR1's handle table, and a handler that stays
# small.

load helpers

# server_exit: wait (at most SECS, default 10) for the server to exit; its
# exit status in EXIT (128 + N if signal N killed it).
server_exit() {
	wait_for "${1:-10}" eval '! server_alive'
	EXIT=0
	wait "$SERVER_PID" || EXIT=$?
	SERVER_PID=""
}

# now_ms: the time of day in milliseconds.
now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

# lines_in FILE PATTERN: how many lines of FILE match PATTERN.
lines_in() {
	grep -Ec -- "$2" "$1" || true
}

# works_only: the test asserts what 07 does; a stage that shows the limit
# (SIGTERM kills it at once) shows it in the first test below.
works_only() {
	expectation signals
	[ "$EXPECT" = works ] || skip "$STAGE handles no signal"
}

@test "signals: the handler saves errno, writes one byte, restores errno, nothing else" {
	works_only
	body=$(sed -n '/^static void signal_handler(int signum)$/,/^}$/p' \
		"$STAGE_DIR/server.c" | sed '1d; s|/\*.*\*/||g')
	echo "$body"
	[ -n "$body" ]
	# The only call is write(), once.
	calls=$(grep -oE '\b[a-z_]+ *\(' <<<"$body" | tr -d ' (' |
		grep -vxE 'if|while|for|switch|return|sizeof' | sort | uniq -c)
	echo "calls: $calls"
	[ "$(awk '{ print $2 }' <<<"$calls")" = write ]
	[ "$(awk '{ print $1 }' <<<"$calls")" -eq 1 ]
	# errno saved first and restored last.
	grep -qE '^\s*int saved_errno = errno;$' <<<"$body"
	[ "$(grep -vE '^\s*[{}]?\s*$' <<<"$body" | tail -n 1 | tr -d '\t')" = "errno = saved_errno;" ]
	# Nothing else: a handful of statements.
	[ "$(grep -c ';' <<<"$body")" -le 4 ]
}

@test "signals: SIGTERM with ten clients: they keep their echo, new connects are refused, exit 0 once they leave (limit: it kills the server, and them)" {
	expectation signals
	if [ "$EXPECT" = works ]; then
		# -g 30: a grace timer left ref'd would hold the exit that long.
		start_server -g 30
	else
		start_server
	fi
	if [ "$EXPECT" = limit ]; then
		# One client: 01 serves no more at once.
		bg hold "$CLIENT" -p "$PORT" hold -c 1
		hold=$BG_PID
		wait_for 10 output_has hold '^held 1$'
		kill -TERM "$SERVER_PID"
		server_exit 5
		[ "$EXIT" -eq $((128 + 15)) ] # killed by it: no handler
		# Its client was cut off.
		held=0
		wait "$hold" || held=$?
		cat "$BATS_TEST_TMPDIR/hold.out"
		[ "$held" -ne 0 ]
		output_has hold 'lost connection 1'
		return
	fi
	bg hold "$CLIENT" -p "$PORT" hold -c 10
	hold=$BG_PID
	wait_for 10 output_has hold '^held 10$'
	kill -TERM "$SERVER_PID"
	wait_for 5 log_has '^SIGTERM: closing the listener'
	# New connects are refused: the listener is closed.
	run client echo -n 1
	echo "$output"
	[ "$status" -eq 3 ]
	# The ten connected clients still have their echo.
	server_alive
	bg_signal USR1 "$hold"
	wait "$hold"
	output_has hold '^verified 10$'
	# They left: nothing ref'd is left, the server exits 0, at once (the
	# -g timer bounds the wait; it keeps nothing alive).
	server_exit 5
	[ "$EXIT" -eq 0 ]
	[ "$(lines_in "$SERVER_ERR" ': eof, 16 bytes echoed$')" -eq 10 ]
}

@test "signals: SIGINT does the same, and -n 1 still exits once its client leaves" {
	works_only
	# The signal handles are unref'd: they keep nothing alive.
	start_server -n 1
	run client echo -n 1000
	[ "$status" -eq 0 ]
	server_exit
	[ "$EXIT" -eq 0 ]
	# SIGINT, with no client: the server exits at once, 0.
	start_server
	kill -INT "$SERVER_PID"
	server_exit 5
	[ "$EXIT" -eq 0 ]
	log_has '^SIGINT: closing the listener'
}

@test "signals: -g 1 closes what is left after a second, each with its reason, and exits 0" {
	works_only
	start_server -g 1
	bg hold "$CLIENT" -p "$PORT" hold -c 3
	wait_for 10 output_has hold '^held 3$'
	start=$(now_ms)
	kill -TERM "$SERVER_PID"
	server_exit 10
	took=$(($(now_ms) - start))
	echo "exited $took ms after SIGTERM"
	[ "$EXIT" -eq 0 ]
	[ "$took" -ge 900 ]
	[ "$took" -le 5000 ]
	[ "$(lines_in "$SERVER_ERR" '^close fd [0-9]+ .*: shutdown, 8 bytes echoed$')" -eq 3 ]
	log_has '^shutdown: -g 1 s passed: closing the connections left \(3\)$'
}

@test "signals: a second SIGTERM during the wait ends the server at once, non-zero" {
	works_only
	start_server -g 60
	bg hold "$CLIENT" -p "$PORT" hold -c 1
	wait_for 10 output_has hold '^held 1$'
	kill -TERM "$SERVER_PID"
	wait_for 5 log_has '^SIGTERM: closing the listener'
	server_alive
	start=$(now_ms)
	kill -TERM "$SERVER_PID"
	server_exit 5
	echo "exit status $EXIT, $(($(now_ms) - start)) ms after the second SIGTERM"
	[ "$EXIT" -eq $((128 + 15)) ] # killed by SIGTERM, as if unhandled
}

@test "signals: SIGHUP reopens the log: after a rotation, the new lines go to a new file" {
	works_only
	log=$BATS_TEST_TMPDIR/log
	start_server -l "$log"
	for i in 1 2 3; do
		run client echo -n 100
		[ "$status" -eq 0 ]
	done
	wait_for 5 eval '[ "$(lines_in "$log" "^close fd ")" -eq 3 ]'
	mv "$log" "$log.1"
	kill -HUP "$SERVER_PID"
	wait_for 5 grep -qs '^SIGHUP: log reopened$' "$log"
	for i in 1 2; do
		run client echo -n 100
		[ "$status" -eq 0 ]
	done
	wait_for 5 eval '[ "$(lines_in "$log" "^close fd ")" -eq 2 ]'
	echo "old:"; cat "$log.1"; echo "new:"; cat "$log"
	# Up to the reopen, the old file; from it on, the new one.
	[ "$(lines_in "$log.1" '^open fd ')" -eq 3 ]
	[ "$(lines_in "$log.1" '^close fd ')" -eq 3 ]
	[ "$(tail -n 1 "$log.1")" = "SIGHUP: reopening $log" ]
	[ "$(head -n 1 "$log")" = "SIGHUP: log reopened" ]
	[ "$(lines_in "$log" '^open fd ')" -eq 2 ]
}

@test "signals: rotations under a stream of clients lose no line and split none" {
	works_only
	log=$BATS_TEST_TMPDIR/log
	start_server -l "$log"
	bg clients bash -c 'for i in $(seq 100); do
		timeout -s KILL 30 "$0" -p "$1" echo -n 10 >/dev/null || exit 1
	done; echo done' "$CLIENT" "$PORT"
	clients=$BG_PID
	for i in 1 2 3 4 5; do
		wait_for 10 eval '[ "$(lines_in "$log" "^close fd ")" -ge 5 ]'
		mv "$log" "$log.$i"
		kill -HUP "$SERVER_PID"
		wait_for 5 grep -qs '^SIGHUP: log reopened$' "$log"
	done
	wait "$clients"
	output_has clients '^done$'
	wait_for 10 eval '[ "$(cat "$log"* | grep -c "^close fd ")" -eq 100 ]'
	all=$(cat "$log"*)
	# Each client has its open line and its close line, whole.
	[ "$(grep -cE '^open fd [0-9]+ .+ \(127\.0\.0\.1:[0-9]+\)$' <<<"$all")" -eq 100 ]
	[ "$(grep -cE '^close fd [0-9]+ .+ \(127\.0\.0\.1:[0-9]+\): eof, 10 bytes echoed$' <<<"$all")" -eq 100 ]
	# And nothing else: no line cut in two.
	refute grep -vE '^(open fd |close fd |SIGHUP: reopening |SIGHUP: log reopened$)' <<<"$all"
	# Every rotated file ends with the line that asked for its reopen.
	for i in 1 2 3 4 5; do
		[ "$(tail -n 1 "$log.$i")" = "SIGHUP: reopening $log" ]
	done
}

@test "signals: SIGUSR1 logs the handle table: the listener and each connection" {
	works_only
	start_server -s 60
	bg hold "$CLIENT" -p "$PORT" hold -c 3
	wait_for 10 output_has hold '^held 3$'
	wait_for 5 eval '[ "$(lines_in "$SERVER_ERR" "^open fd ")" -eq 3 ]'
	kill -USR1 "$SERVER_PID"
	wait_for 5 log_has '^requests: [0-9]+$'
	grep '^handle' "$SERVER_ERR"
	# The listener, and each connection with its idle timer.
	log_has '^handles: 7 active and ref.d$'
	log_has '^handle \[RA\] listener fd [0-9]+$'
	[ "$(lines_in "$SERVER_ERR" '^handle \[RA\] connection fd [0-9]+ .+ \(127\.0\.0\.1:[0-9]+\)$')" -eq 3 ]
	[ "$(lines_in "$SERVER_ERR" '^handle \[RA\] timer: -t idle, fd [0-9]+$')" -eq 3 ]
	log_has '^handle \[-A\] timer: -s statistics$'
	log_has '^handle \[-A\] signal SIGTERM, pipe fd [0-9]+$'
	log_has '^handle \[-A\] signal SIGUSR1, pipe fd [0-9]+$'
}

@test "signals: a storm of SIGHUP and SIGUSR1 during a 10 MiB echo loses no byte" {
	works_only
	log=$BATS_TEST_TMPDIR/log
	start_server -l "$log"
	# Reading at 5 MiB/s, the echo takes about two seconds.
	bg echo "$CLIENT" -p "$PORT" echo -n 10M -r 5M
	echo=$BG_PID
	sent=0
	while kill -0 "$echo" 2>/dev/null && [ "$sent" -lt 1000 ]; do
		kill -HUP "$SERVER_PID"
		kill -USR1 "$SERVER_PID"
		sent=$((sent + 1))
		sleep 0.01 # the storm's pace: a hundred of each a second
	done
	wait "$echo"
	echo "$sent of each signal; the client: $(cat "$BATS_TEST_TMPDIR/echo.out")"
	output_has echo '^echoed 10485760 bytes$'
	[ "$sent" -ge 10 ]
	server_alive
	wait_for 10 grep -qE '^close fd [0-9]+ .*: eof, 10485760 bytes echoed$' "$log"
	grep -qE '^handle \[RA\] listener fd ' "$log"
	grep -q '^SIGHUP: log reopened$' "$log"
}

@test "signals: the shutdown closes every connection from one callback; no stale event reaches one (white-box)" {
	works_only
	build_unit shutdown
	run timeout -s KILL 30 "$BATS_TEST_TMPDIR/shutdown"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"no event of the batch reached one"* ]]
}
