#!/usr/bin/env bats
# The command-line contract every stage keeps: flags, the ready line, the
# log, and clear errors for bad input.

load helpers

# server ARGS...: run the server to completion (it must exit by itself).
server() {
	timeout -s KILL 10 "$SERVER" "$@" </dev/null
}

@test "cli: -h prints the usage on stdout and exits 0" {
	expectation cli
	server_streams -h
	[ "$status" -eq 0 ]
	[[ "$out" == "usage: server "* ]]
	[[ "$out" == *"-p PORT"* ]]
	[ -z "$err" ]
}

@test "cli: an unknown flag is named, with the usage, on stderr, status 2" {
	expectation cli
	server_streams -x
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[[ "$err" == "server: unknown option -x"$'\n'"usage: server "* ]]
}

@test "cli: a flag without its argument is named, status 2" {
	expectation cli
	run server -p
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == "server: option -p needs an argument" ]]
}

@test "cli: a port that is not a number from 0 to 65535 is refused, status 2" {
	expectation cli
	for port in abc 65536 -1 +80 " 80" 80x "" 99999999999999999999; do
		run server -p "$port"
		echo "port '$port': status $status: $output"
		[ "$status" -eq 2 ]
		[[ "${lines[0]}" == "server: -p wants a number from 0 to 65535, not '$port'" ]]
	done
}

@test "cli: a bad address or a stray argument is refused, status 2" {
	expectation cli
	run server -b localhost
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == "server: -b wants a numeric IPv4 or IPv6 address, not 'localhost'" ]]
	run server stray
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == "server: unexpected argument 'stray'" ]]
}

@test "cli: the ready line names the address and the kernel-chosen port" {
	expectation cli
	start_server
	run cat "$SERVER_OUT"
	[[ "$output" =~ ^listening\ on\ 127\.0\.0\.1:[0-9]+$ ]]
	[ "$PORT" -gt 0 ]
	run client echo -n 5
	[ "$status" -eq 0 ]
}

@test "cli: -b ::1 listens on IPv6 loopback" {
	expectation cli
	[ -e /proc/net/if_inet6 ] || skip "no IPv6 on this machine"
	start_server -b ::1
	run cat "$SERVER_OUT"
	[[ "$output" =~ ^listening\ on\ \[::1\]:[0-9]+$ ]]
	run timeout -s KILL 30 "$CLIENT" -a ::1 -p "$PORT" echo -n 1000
	[ "$status" -eq 0 ]
}

@test "cli: a port in use is named, status 1" {
	expectation cli
	start_server
	run server -p "$PORT"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "server: bind 127.0.0.1:$PORT: Address already in use" ]
}

@test "cli: a restarted server binds its port while old connections linger" {
	expectation cli
	start_server
	bg hold "$CLIENT" -p "$PORT" hold -c 1
	wait_for 10 output_has hold '^held 1$'
	# The server goes first, so its side of the connection lingers on
	# its port (TIME_WAIT) after the client has closed too.
	stop_server
	wait "$BG_PID" || true # the client saw the server close
	port=$(printf %04X "$PORT")
	wait_for 5 eval 'awk -v p=":$port" '\''$4 == "06" &&
		substr($2, length($2) - 4) == p { f = 1 } END { exit !f }'\'' \
		/proc/net/tcp'
	start_server -p "$PORT"
	run client echo -n 10
	[ "$status" -eq 0 ]
}

@test "cli: a log FIFO that no one reads fails at once, status 1, no ready line" {
	expectation cli
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	SECS=3 server_streams -p 0 -l "$BATS_TEST_TMPDIR/fifo"
	[ "$status" -eq 1 ]
	[ -z "$out" ]
	[[ "$err" == "server: cannot open log file $BATS_TEST_TMPDIR/fifo: "* ]]
}

@test "cli: -q with -l is refused, both named on stderr, status 2" {
	expectation cli
	SECS=3 server_streams -p 0 -q -l /nonexistent/x
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	first=${err%%$'\n'*}
	[[ "$first" == "server: "* && "$first" == *-q* && "$first" == *-l* ]]
	[[ "$err" == *$'\n'"usage: server "* ]]
}

@test "cli: a log file that cannot be opened is named, status 1" {
	expectation cli
	run server -p 0 -l /nonexistent/dir/log
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "server: cannot open log file /nonexistent/dir/log: No such file or directory" ]
}

@test "cli: each connection is logged at open and at close, with its name" {
	expectation cli
	start_server
	run client echo -n 1234
	[ "$status" -eq 0 ]
	wait_for 5 log_has 'close fd [0-9]+ .*: eof, 1234 bytes echoed$'
	log_has '^open fd [0-9]+ localhost \(127\.0\.0\.1:[0-9]+\)$'
	log_has '^close fd [0-9]+ localhost \(127\.0\.0\.1:[0-9]+\): eof, 1234 bytes echoed$'
}

@test "cli: -l appends the log to a file, -q silences it" {
	expectation cli
	log=$BATS_TEST_TMPDIR/log
	echo "an earlier line" >"$log"
	start_server -l "$log"
	run client echo -n 10
	[ "$status" -eq 0 ]
	wait_for 5 grep -q 'eof, 10 bytes echoed$' "$log"
	[ "$(head -n 1 "$log")" = "an earlier line" ]
	[ ! -s "$SERVER_ERR" ]
	stop_server

	start_server -q
	run client echo -n 10
	[ "$status" -eq 0 ]
	stop_server
	[ ! -s "$SERVER_ERR" ]
}
