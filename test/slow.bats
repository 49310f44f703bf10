#!/usr/bin/env bats
# Slow peers and slow calls: who else they stall.

load helpers

@test "slow-reader: a client sending 64 MiB and never reading stalls no one else" {
	expectation slow-reader
	start_server -q
	run client echo -n 1M # warm up: buffers the server needs are touched
	[ "$status" -eq 0 ]
	rss_before=$(rss_kib_of "$SERVER_PID")
	bg hog "$CLIENT" -p "$PORT" hog -n 64M
	hog=$BG_PID
	wait_for 30 output_has hog '^stalled'
	cat "$BATS_TEST_TMPDIR/hog.out"
	if [ "$EXPECT" = works ]; then
		run client ping -c 5 -w 1000
		echo "$output"
		[ "$status" -eq 0 ]
		rss=$(rss_kib_of "$SERVER_PID")
		echo "server RSS: $rss_before KiB before the hog, $rss KiB now"
		# Its queue for the hog stops at 256 KiB: far below 2 MiB.
		if [ -z "$SANITIZER" ]; then
			[ $((rss - rss_before)) -lt 2048 ]
		fi
		before=$(cpu_ticks_of "$SERVER_PID")
		sleep 1 # a second in which the hog reads nothing
		after=$(cpu_ticks_of "$SERVER_PID")
		echo "cpu ticks in 1 s: $((after - before))"
		[ $((after - before)) -le 5 ]
	else
		# The server is stuck writing to the hog: no one else is served.
		run client ping -c 1 -w 1000
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"timeout: no echo within 1000 ms"* ]]
	fi
	# The hog reads at last: every byte comes back, exact.
	bg_signal USR1 "$hog"
	wait "$hog"
	output_has hog '^read 67108864 exact$'
	run client ping -c 1 -w 1000
	[ "$status" -eq 0 ]
}

# unread_by_server: the bytes waiting to be read on the server's side of
# the one connection to $PORT (/proc/net/tcp: the established IPv4 socket
# whose local port is PORT; its rx_queue).
unread_by_server() {
	local hex
	hex=$(awk -v p=":$(printf %04X "$PORT")" '$4 == "01" &&
		substr($2, length($2) - 4) == p { split($5, q, ":"); print q[2]; exit }' \
		/proc/net/tcp)
	echo $((16#${hex:-0}))
}

# stopped_reading: for wait_for. The server has left the same bytes unread
# for 200 ms: it reads no more until its client reads. (It keeps its last
# reading in UNREAD and UNREAD_SINCE between calls.)
stopped_reading() {
	local n now=${EPOCHREALTIME/./}
	n=$(unread_by_server)
	if [ "$n" != "${UNREAD:-}" ]; then
		UNREAD=$n UNREAD_SINCE=$now
		return 1
	fi
	[ "$n" -gt 0 ] && [ $((now - UNREAD_SINCE)) -ge 200000 ]
}

@test "slow-reader: once a long echo has drained, the server idles at no CPU" {
	expectation slow-reader
	start_server -q
	exec {s}<>"/dev/tcp/127.0.0.1/$PORT"
	# 32 MiB sent while nothing is read: more than the kernel's buffers
	# hold, so the server has echo it cannot write yet (from 04: queued,
	# waiting for EPOLLOUT), and stops reading.
	(
		exec >&"$s"
		close_fds
		exec timeout -s KILL $LIMIT head -c 32M /dev/zero
	) &
	BG_PIDS+=("$!")
	wait_for 20 stopped_reading
	# Now read all of it back: the server's backlog drains, and the
	# connection stays open, quiet.
	back=$( (
		exec <&"$s"
		close_fds
		exec timeout -s KILL 30 head -c 32M
	) | wc -c)
	echo "read back $back bytes"
	[ "$back" -eq $((32 << 20)) ]
	before=$(cpu_ticks_of "$SERVER_PID")
	sleep 1 # a second in which nothing happens
	after=$(cpu_ticks_of "$SERVER_PID")
	exec {s}>&-
	echo "cpu ticks in 1 s: $((after - before))"
	[ $((after - before)) -le 5 ]
}

# ping_ms FD: one round trip on the connection open on FD, in milliseconds.
ping_ms() {
	local t0 t1 reply
	t0=${EPOCHREALTIME/./}
	printf 'ping' >&"$1"
	read -r -t 5 -N 4 reply <&"$1"
	t1=${EPOCHREALTIME/./}
	[ "$reply" = ping ] || return 1
	echo $(((t1 - t0) / 1000))
}

@test "slow-lookup: a 300 ms name lookup at accept delays no other client" {
	expectation slow-lookup
	SERVER_ENV=(FAULT_LOOKUP_MS=300)
	start_server
	exec {a}<>"/dev/tcp/127.0.0.1/$PORT"
	wait_for 5 log_has '^open fd' # a has been accepted and looked up
	ping_ms "$a"
	# A new client connects: its name lookup starts at once...
	bg late "$CLIENT" -p "$PORT" echo -n 1
	# ...while a keeps pinging.
	max=0
	for i in $(seq 25); do
		ms=$(ping_ms "$a")
		[ "$ms" -le "$max" ] || max=$ms
		sleep 0.02 # the pace of a's pings
	done
	exec {a}>&-
	echo "longest round trip while the lookup ran: $max ms"
	wait "$BG_PID"
	if [ "$EXPECT" = works ]; then
		[ "$max" -lt 150 ]
	else
		[ "$max" -ge 200 ]
	fi
}
