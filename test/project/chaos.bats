#!/usr/bin/env bats
# The chaos client and the soak: they pass a good server, and catch a bad
# one. (make soak and make valgrind themselves are too long for make test.)

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
CLIENT=$TOP/tools/client
STAGE_DIR=$(ls -d "$TOP"/[0-9][0-9]-*/ | tail -n 1) # the newest stage
STAGE_DIR=${STAGE_DIR%/}

# Close every fd above 2 (bats waits for whoever holds its fds 3 and up).
close_fds() {
	local fd
	for fd in /proc/$BASHPID/fd/*; do
		fd=${fd##*/}
		if [ "$fd" -gt 2 ]; then
			eval "exec $fd>&-"
		fi
	done
}

# serve COMMAND...: run a server that prints "listening on ADDR:PORT" in
# the background, for 60 s at most; sets SERVER_PID and PORT.
serve() {
	local out=$BATS_TEST_TMPDIR/server.out i
	(
		close_fds
		exec timeout -s KILL 60 "$@" </dev/null >"$out" \
			2>"$BATS_TEST_TMPDIR/server.err"
	) &
	SERVER_PID=$!
	for ((i = 0; i < 500; i++)); do
		grep -qs '^listening on ' "$out" && break
		sleep 0.02
	done
	PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out")
	[ -n "$PORT" ]
}

# A liar: an echo server that flips one bit of the 1000th byte of every
# connection, one connection at a time. Perl: it is in every Debian.
LIAR='
	my $l = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0,
		Listen => 128, ReuseAddr => 1) or die "listen: $!";
	$| = 1;
	$SIG{PIPE} = "IGNORE"; # a client that resets must not end the liar
	print "listening on 127.0.0.1:", $l->sockport, "\n";
	while (my $c = $l->accept) {
		my ($n, $buf) = (0, "");
		while (sysread($c, $buf, 65536)) {
			if ($n <= 999 && $n + length($buf) > 999) {
				substr($buf, 999 - $n, 1) ^= "\x01";
			}
			$n += length($buf);
			defined(syswrite($c, $buf)) or last;
		}
		close $c;
	}'

chaos() {
	timeout -s KILL 60 "$CLIENT" -p "$PORT" chaos "$@"
}

# lives K RUN: the plans connection K drew in RUN, in order.
lives() {
	grep "^client: chaos: connection $1 life " "$BATS_TEST_TMPDIR/$2"
}

teardown() {
	if [ -n "${SERVER_PID:-}" ]; then
		pkill -KILL -P "$SERVER_PID" 2>/dev/null || true
		kill -KILL "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
}

@test "chaos: a good server comes through, every way of ending used" {
	serve "$STAGE_DIR/server" -p 0 -q
	# Seed 13's first four lives alone end in every way, however few
	# lives a loaded machine gets through in 2 s.
	run chaos -c 4 -d 2 -S 13
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^connections=[0-9]+\ bytes=[0-9]+\ half_closes=[1-9][0-9]*\ resets=[1-9][0-9]*\ drops=[1-9][0-9]*\ errors=0\ mismatches=0\ seed=13$ ]]
}

@test "chaos: -N makes exactly that many connections" {
	serve "$STAGE_DIR/server" -p 0 -q -n 25
	run chaos -c 3 -N 25 -m 10K -S 2
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "connections=25 "* ]]
	# The server counted 25 clients too, and ends with the last.
	for ((i = 0; i < 250; i++)); do
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.02
	done
	wait "$SERVER_PID"
}

@test "chaos: the same -S draws the same lives" {
	serve "$STAGE_DIR/server" -p 0 -q
	chaos -c 3 -N 12 -m 100K -S 77 -v 2>"$BATS_TEST_TMPDIR/a" >/dev/null
	chaos -c 3 -N 12 -m 100K -S 77 -v 2>"$BATS_TEST_TMPDIR/b" >/dev/null
	chaos -c 3 -N 12 -m 100K -S 78 -v 2>"$BATS_TEST_TMPDIR/c" >/dev/null
	[ "$(grep -c ': .* bytes in ' "$BATS_TEST_TMPDIR/a")" -eq 12 ]
	# How many of the 12 lives each connection gets depends on timing
	# (each has one at least); what its lives are does not.
	for k in 1 2 3; do
		na=$(lives "$k" a | wc -l)
		nb=$(lives "$k" b | wc -l)
		n=$((na < nb ? na : nb))
		[ "$n" -ge 1 ]
		[ "$(lives "$k" a | head -n "$n")" = "$(lives "$k" b | head -n "$n")" ]
		[ "$(lives "$k" a | head -n 1)" != "$(lives "$k" c | head -n 1)" ]
	done
}

@test "chaos: a wrong byte back is a mismatch, named with its seed, status 1" {
	serve perl -MIO::Socket::INET -e "$LIAR"
	run chaos -c 1 -N 20 -m 64K -S 3
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"wrong byte back at byte 999, "*"-S 3 replays it"* ]]
	[[ "$output" == *" mismatches=1 seed=3" ]]
}

@test "chaos: a server that dies mid-run is an error, status 1" {
	serve "$STAGE_DIR/server" -p 0 -q
	(
		close_fds
		sleep 1
		kill -KILL "$(pgrep -P "$SERVER_PID")"
	) &
	run chaos -c 4 -d 3 -S 4
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" =~ errors=[1-9] ]]
}

@test "chaos: the command line is checked" {
	run "$CLIENT" -p 1 chaos -c 2
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == "client: chaos: -c CONNS, and -d SECS or -N TOTAL, are required" ]]
	run "$CLIENT" -p 1 chaos -c 2 -d 1 -m 0
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == "client: bad -m MAXBYTES: '0'" ]]
}

@test "soak: a short soak of the newest stage passes" {
	run timeout -s KILL 120 "$TOP/tools/soak" -d 2 -c 4 "$STAGE_DIR"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"every stage came through"* ]]
}
