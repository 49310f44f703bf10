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

# ping_on FD: send 8 bytes on the connection open on FD (a /dev/tcp fd of
# this shell), and read their echo; fail if it does not come in 5 s.
ping_on() {
	local reply
	printf 'pingpong' >&"$1"
	read -r -t 5 -N 8 reply <&"$1" && [ "$reply" = pingpong ]
}

# closed_on FD: wait (5 s at most) until the server closes the connection
# open on FD, sending nothing more.
closed_on() {
	local byte status=0
	read -r -t 5 -N 1 byte <&"$1" || status=$?
	[ "$status" -eq 1 ] && [ -z "$byte" ] # EOF (or reset), no timeout
}

@test "idle-timeout: a silent client is closed 1 to 1.5 s after its last byte" {
	expectation idle-timeout
	start_server -t 1
	# The connection's first and last bytes, at once: its timer starts
	# with it (restarting it for a full timeout when it comes due would
	# close the client near 2 s).
	exec {c}<>"/dev/tcp/127.0.0.1/$PORT"
	sent=$(now_ms)
	ping_on "$c"
	back=$(now_ms)
	closed_on "$c"
	closed=$(now_ms)
	exec {c}>&-
	echo "closed $((closed - sent)) ms after the last byte was sent," \
		"$((closed - back)) ms after its echo came back"
	[ $((closed - sent)) -ge 990 ]
	[ $((closed - back)) -le 1500 ]
	wait_for 5 log_has ': idle timeout, 8 bytes echoed$'
}

# epoll_timeout_of PID: the timeout (ms, -1 for none) that PID sleeps for
# in epoll_wait() now, from /proc/PID/syscall (the call's number and its
# arguments, while it is blocked in one); nothing if it is not there.
epoll_timeout_of() {
	local call args
	read -r call args <"/proc/$1/syscall" || return 0
	case $(uname -m):$call in
	x86_64:232 | x86_64:281 | aarch64:22) ;; # epoll_wait, epoll_pwait
	*) return 0 ;;
	esac
	set -- $args
	local ms=$((16#${4#0x} & 0xffffffff))
	[ "$ms" -lt $((1 << 31)) ] || ms=$((ms - (1 << 32)))
	echo "$ms"
}

@test "idle-timeout: epoll_wait sleeps until the idle check: 60 s by default, -t 3, none with -t 0" {
	expectation idle-timeout
	case $(uname -m) in
	x86_64 | aarch64) ;;
	*) skip "epoll_wait's number on $(uname -m) is not known here" ;;
	esac
	for t in default 3 0; do
		if [ "$t" = default ]; then start_server; else start_server -t "$t"; fi
		bg "hold$t" "$CLIENT" -p "$PORT" hold -c 1
		wait_for 5 output_has "hold$t" '^held 1$'
		wait_for 5 eval 'ms=$(epoll_timeout_of "$SERVER_PID"); [ -n "$ms" ]'
		echo "-t $t: epoll_wait sleeps for $ms ms"
		case $t in
		default) [[ $ms -gt 55000 && $ms -le 60000 ]] ;;
		3) [[ $ms -gt 2000 && $ms -le 3000 ]] ;;
		0) [[ $ms -eq -1 ]] ;;
		esac
		kill "$BG_PID"
		stop_server
	done
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

@test "idle-timeout: a client that stops reading is closed about the timeout after" {
	expectation idle-timeout
	start_server -t 2
	bg hog "$CLIENT" -p "$PORT" hog -n 64M
	wait_for 10 output_has hog '^stalled'
	start=$(now_ms) # 200 ms after its last byte moved
	wait_for 5 log_has ': idle timeout, [0-9]+ bytes echoed$'
	took=$(($(now_ms) - start))
	echo "closed $took ms after the client stalled"
	# The server looks twice at what the kernel still holds for it, a
	# quarter of the timeout apart: about 2.5 s after its last byte moved,
	# never twice the timeout.
	[ "$took" -ge 1000 ]
	[ "$took" -le 3000 ]
}

@test "idle-timeout: a client is never closed for the loop being late: a 1.2 s lookup at accept" {
	expectation idle-timeout
	# The lookup alone outlasts the timeout; the client's first bytes,
	# sent at connect, wait to be read meanwhile: activity.
	SERVER_ENV=(FAULT_LOOKUP_MS=1200)
	start_server -t 1
	run client ping -c 2 -i 100 -w 5000
	echo "$output"
	[ "$status" -eq 0 ]
	refute log_has 'idle timeout'
}

@test "idle-timeout: a client is never closed for the loop being late: bytes sent during another's lookup" {
	expectation idle-timeout
	SERVER_ENV=(FAULT_LOOKUP_MS=700)
	start_server -t 1
	exec {a}<>"/dev/tcp/127.0.0.1/$PORT"
	wait_for 5 log_has '^open fd' # a has been accepted and looked up
	ping_on "$a"
	last=${EPOCHREALTIME/./}
	# Silence; then b connects, and the server blocks in b's lookup until
	# past a's idle deadline, 1 s after a's last byte. a sends during the
	# lookup, well before that deadline.
	sleep 0.35
	exec {b}<>"/dev/tcp/127.0.0.1/$PORT"
	sleep 0.1 # the server has taken b and is in its lookup
	printf 'pingpong' >&"$a"
	sent=${EPOCHREALTIME/./}
	echo "a sent again $(((sent - last) / 1000)) ms after its last echo"
	[ $((sent - last)) -lt 900000 ] # else a was silent for the timeout
	read -r -t 5 -N 8 reply <&"$a"
	exec {a}>&- {b}>&-
	[ "$reply" = pingpong ]
	refute log_has 'idle timeout'
}

@test "loop-exit: -n 1 -s 1 stays up while its client stays, exits 0 after" {
	expectation loop-exit
	start_server -n 1 -s 1
	bg hold "$CLIENT" -p "$PORT" hold -c 1
	hold=$BG_PID
	wait_for 5 output_has hold '^held 1$'
	wait_for 5 log_has '^-n 1 reached: closing the listener$'
	# The listener is closed: a new client is refused at once (status 3),
	# not left hanging in the backlog of a listener no one accepts from.
	run client echo -n 1 -t 2000
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"Connection refused"* ]]
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

@test "loop-exit: -n takes a count from 1; 0 or anything else is refused, status 2" {
	expectation loop-exit
	for n in 0 -1 abc 1x "" 99999999999999999999; do
		server_streams -p 0 -n "$n"
		[ "$status" -eq 2 ]
		[[ "$err" == "server: -n wants a number from 1 to "*", not '$n'"$'\n'"usage: "* ]]
	done
}

@test "idle-timeout: -t takes whole seconds from 0 to 86400, else status 2" {
	expectation idle-timeout
	for t in -1 86401 1.5 abc ""; do
		server_streams -p 0 -t "$t"
		[ "$status" -eq 2 ]
		[[ "$err" == "server: -t wants a number from 0 to 86400, not '$t'"$'\n'"usage: "* ]]
	done
}

@test "stats: -s takes whole seconds from 1 to 86400, else status 2" {
	expectation stats
	for t in 0 86401 0.5 abc ""; do
		server_streams -p 0 -s "$t"
		[ "$status" -eq 2 ]
		[[ "$err" == "server: -s wants a number from 1 to 86400, not '$t'"$'\n'"usage: "* ]]
	done
}

# stats_line N: read the Nth stats line of the log into turns, running,
# idle and lag (ms, the lag cut to whole ms), conns and timers.
stats_line() {
	local line re='^stats: turns ([0-9]+), running ([0-9]+) ms, idle ([0-9]+) ms, lag ([0-9]+)\.[0-9] ms, connections ([0-9]+), timers ([0-9]+)$'
	line=$(grep '^stats: turns ' "$SERVER_ERR" | sed -n "$1p")
	[[ "$line" =~ $re ]] || {
		echo "stats line $1 is not as expected: '$line'" >&2
		return 1
	}
	turns=${BASH_REMATCH[1]} running=${BASH_REMATCH[2]}
	idle=${BASH_REMATCH[3]} lag=${BASH_REMATCH[4]}
	conns=${BASH_REMATCH[5]} timers=${BASH_REMATCH[6]}
}

@test "stats: -s figures match a known load: a 300 ms lookup, and idle seconds" {
	expectation slow-lookup # limit: the lookup runs on the loop
	in_loop=$EXPECT
	expectation stats
	SERVER_ENV=(FAULT_LOOKUP_MS=300)
	start_server -s 1
	wait_for 5 log_has '^stats: turns '
	# Just after a line, well inside the next second: one client, whose
	# name lookup blocks the loop for 300 ms.
	run client echo -n 100
	[ "$status" -eq 0 ]
	wait_for 5 eval '[ "$(grep -c "^stats: turns " "$SERVER_ERR")" -ge 3 ]'
	grep '^stats: ' "$SERVER_ERR"
	for n in 1 2 3; do
		stats_line "$n"
		# Each line covers one period, -s 1: running and idle add up
		# to a second (and a little, for the timer's own lateness).
		[ $((running + idle)) -ge 950 ]
		[ $((running + idle)) -le 1200 ]
		[ "$conns" -eq 0 ]
		[ "$timers" -eq 1 ]
		if [ "$n" -eq 2 ] && [ "$in_loop" = limit ]; then
			# The second with the lookup in it, run by the loop.
			[ "$running" -ge 300 ]
			[ "$running" -le 500 ]
			[ "$lag" -ge 300 ]
			[ "$lag" -le 450 ]
			[ "$idle" -le 750 ]
			[ "$turns" -ge 3 ]
		else
			# A quiet second, counted afresh, not carried over; or
			# one whose lookup ran off the loop (06 on).
			[ "$running" -le 50 ]
			[ "$lag" -le 50 ]
			[ "$idle" -ge 900 ]
			[ "$turns" -le 5 ] || [ "$n" -eq 2 ]
		fi
	done
}
