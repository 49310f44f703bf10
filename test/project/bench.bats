#!/usr/bin/env bats
# The benchmark cannot rot: a quick run (BENCH_QUICK=1) of every section
# against every stage and peer, its results checked for shape (not for
# figures: those depend on the machine and on its load), and its load
# tool checked against a server that lies.

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
LOAD=$TOP/build/bench/load

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

# The quick run, once for all the tests here: its output in
# $BATS_FILE_TMPDIR/out, its status, stdout and stderr beside it.
setup_file() {
	local dir=$BATS_FILE_TMPDIR status=0
	(
		close_fds
		cd "$TOP" &&
			BENCH_QUICK=1 exec timeout -k 10 600 tools/bench/run \
				-o "$dir/out" </dev/null >"$dir/stdout" 2>"$dir/stderr"
	) || status=$? # the first test says so
	echo "$status" >"$dir/status"
}

results() {
	cat "$BATS_FILE_TMPDIR/out/results.md"
}

@test "bench: the quick run succeeds and says what it measures as it goes" {
	cat "$BATS_FILE_TMPDIR/stderr"
	[ "$(cat "$BATS_FILE_TMPDIR/status")" -eq 0 ]
	grep -q '^bench: \[1/[0-9]* 0:[0-9][0-9]\] idle memory: ' \
		"$BATS_FILE_TMPDIR/stderr"
	grep -q '^bench: done in ' "$BATS_FILE_TMPDIR/stderr"
	grep -q '^## Targets' "$BATS_FILE_TMPDIR/stdout"
}

@test "bench: results.md has the machine and every section" {
	results
	for section in Machine Plots "Idle connections" Ping-pong Bulk \
		"Connect rate" "Thread pool: name lookups" \
		"Instructions per message" Targets "Every run"; do
		results | grep -q "^## $section\$"
	done
	results | grep -q '^- kernel: Linux '
	results | grep -q '^- compiler: '
	results | grep -q '^- date: 20[0-9][0-9]-'
	results | grep -q '^- \*\*quick run\*\*'
}

@test "bench: every Markdown table is well formed" {
	results | awk '
	/^\|/ {
		n = gsub(/\|/, "|")
		if (!intable) {
			cols = n; row = 0; intable = 1
		} else if (n != cols) {
			printf "line %d: %d bars, the header has %d\n", NR, n, cols
			bad = 1
		}
		if (++row == 2 && $0 !~ /^\|(---\||--:\|)+$/) {
			printf "line %d: not a rule line\n", NR
			bad = 1
		}
		next
	}
	{ intable = 0 }
	END { exit bad }'
}

@test "bench: every stage and peer has its rows" {
	local dir id
	for dir in "$TOP"/[0-9][0-9]-*/; do
		dir=$(basename "$dir")
		# Ping-pong, bulk and connect for every stage, with figures.
		results | grep -q "^| $dir | [0-9][0-9,]* |"
		results | grep -q "^| $dir | - | [0-9]* | [0-9][0-9,]* |"
		results | grep -q "^| $dir | - | [0-9][0-9,]* |"
	done
	if pkg-config --exists libuv; then
		results | grep -q '^| libuv [0-9.]* | [0-9][0-9,]* |'
	else
		results | grep -q 'The libuv peer is left out'
	fi
	if command -v node >/dev/null; then
		results | grep -q '^| Node.js v[0-9.]* | [0-9][0-9,]* |'
	else
		results | grep -q 'The Node.js peer is left out'
	fi
}

@test "bench: the raw figures are rectangular tables" {
	local f
	for f in "$BATS_FILE_TMPDIR"/out/data/*.tsv; do
		echo "$f"
		awk -F'\t' 'NR == 1 { n = NF } NF != n { exit 1 }' "$f"
		[ "$(wc -l <"$f")" -ge 2 ]
	done
	[ -s "$BATS_FILE_TMPDIR/out/data/pingpong.tsv" ]
	[ -s "$BATS_FILE_TMPDIR/out/data/idle.tsv" ]
}

@test "bench: the plots are SVG, and results.md shows them" {
	if ! command -v gnuplot >/dev/null; then
		results | grep -q 'No plots: gnuplot is not installed'
		skip "gnuplot is not installed"
	fi
	for svg in memory pingpong-rate pingpong-p99 cpu; do
		head -c 200 "$BATS_FILE_TMPDIR/out/$svg.svg" | grep -q '<svg'
		tail -c 20 "$BATS_FILE_TMPDIR/out/$svg.svg" | grep -q '</svg>'
		results | grep -qF "]($svg.svg)"
	done
}

@test "bench: -r writes the same results.md again from data/" {
	cp "$BATS_FILE_TMPDIR/out/results.md" "$BATS_TEST_TMPDIR/before.md"
	run timeout 60 "$TOP/tools/bench/run" -r "$BATS_FILE_TMPDIR/out"
	echo "$output"
	[ "$status" -eq 0 ]
	diff "$BATS_TEST_TMPDIR/before.md" "$BATS_FILE_TMPDIR/out/results.md"
}

@test "bench: a quick run does not write over the committed results" {
	cd "$TOP"
	run env BENCH_QUICK=1 timeout 10 tools/bench/run -o bench
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"a quick run's figures do not go into bench/"* ]]
}

# A liar: an echo server that flips one bit of the 1000th byte of every
# connection. Perl: it is in every Debian.
liar() {
	perl -MIO::Socket::INET -e '
		my $l = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
			LocalPort => 0, Listen => 128, ReuseAddr => 1) or die;
		$| = 1;
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
}

@test "load: a wrong byte back ends the run, status 1" {
	local out=$BATS_TEST_TMPDIR/liar.out port i liar_pid
	(
		close_fds
		exec timeout 30 bash -c "$(declare -f liar); liar" \
			</dev/null >"$out" 2>&1
	) &
	liar_pid=$!
	for ((i = 0; i < 500; i++)); do
		grep -qs '^listening on ' "$out" && break
		sleep 0.02
	done
	port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out")
	run timeout 20 "$LOAD" -p "$port" bulk -c 1 -d 5
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"connection 0: wrong byte at offset 999"* ]]
	run timeout 20 "$LOAD" -p "$port" connect -c 1 -d 5 -s 2000
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"wrong byte at offset 999"* ]]
	kill "$liar_pid" # timeout passes it on
	wait "$liar_pid" || true
}

@test "load: bad arguments are usage errors, status 2" {
	run "$LOAD" -p 1 bulk -c 0 -d 1
	[ "$status" -eq 2 ]
	run "$LOAD" -p 1 push -c 1 -d 1
	[ "$status" -eq 2 ]
	run "$LOAD" bulk -c 1 -d 1
	[ "$status" -eq 2 ]
	[[ "$output" == *"usage: load"* ]]
}
