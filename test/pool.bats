#!/usr/bin/env bats
# Blocking work off the loop: the thread pool's size, the log it writes in
# order, and its limit (slow jobs wait for one another on a small pool).

load helpers

# now_ms: the time of day in milliseconds.
now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

# The thread TSan starts along with the program's first, and keeps.
sanitizer_threads() {
	if [ "$SANITIZER" = tsan ]; then echo 1; else echo 0; fi
}

# stat_values NAME: the whole number after NAME in each of the server's
# -s lines that has it ("lag 0.3 ms" gives 0), after its first FROM lines.
stat_values() {
	tail -n +$((FROM + 1)) "$SERVER_ERR" |
		sed -n "s/^stats: .*$1 \([0-9]*\).*/\1/p"
}

# stats_lines: how many "stats:" lines the server has logged.
stats_lines() {
	grep -c '^stats: ' "$SERVER_ERR" || true
}

# start_pool: a first client, whose lookup starts the pool's workers, and
# its open line. Starting threads is not what the tests below measure, and
# under TSan it takes long enough to show.
start_pool() {
	run client echo -n 1
	[ "$status" -eq 0 ]
	wait_for 5 eval '[ "$(open_lines)" -ge 1 ]'
}

# open_lines: how many "open" lines the server has logged.
open_lines() {
	grep -c '^open fd' "$SERVER_ERR" || true
}

@test "pool: THREADPOOL_SIZE workers start with the first job, not before" {
	expectation pool
	unset THREADPOOL_SIZE
	for size in 1 3 default; do
		SERVER_ENV=(THREADPOOL_SIZE=$size)
		want=$size
		if [ "$size" = default ]; then
			SERVER_ENV=()
			want=4
		fi
		start_server
		before=$(threads_of "$SERVER_PID")
		run client echo -n 10 # its name lookup is the first job
		[ "$status" -eq 0 ]
		wait_for 5 log_has ': eof, 10 bytes echoed$'
		after=$(threads_of "$SERVER_PID")
		echo "THREADPOOL_SIZE=$size: $before thread(s) before the first job, $after after"
		[ "$before" -eq 1 ]
		[ "$after" -eq $((1 + want + $(sanitizer_threads))) ]
		stop_server
	done
}

@test "pool: with -q nothing is looked up or logged, and no worker starts" {
	expectation pool
	start_server -q
	run client echo -n 10
	[ "$status" -eq 0 ]
	run client echo -n 10
	[ "$status" -eq 0 ]
	[ "$(threads_of "$SERVER_PID")" -eq 1 ]
}

@test "pool: a THREADPOOL_SIZE that is not a whole number from 1 to 1024 is refused, status 2" {
	expectation pool
	out=$BATS_TEST_TMPDIR/out
	err=$BATS_TEST_TMPDIR/err
	for size in 0 1025 -1 +4 " 4" 4x abc "" 99999999999999999999; do
		status=0
		THREADPOOL_SIZE=$size timeout -s KILL 10 "$SERVER" -p 0 \
			</dev/null >"$out" 2>"$err" || status=$?
		echo "THREADPOOL_SIZE='$size': status $status: $(head -n 1 "$err")"
		[ "$status" -eq 2 ]
		[ ! -s "$out" ]
		[ "$(head -n 1 "$err")" = "server: THREADPOOL_SIZE wants a number from 1 to 1024, not '$size'" ]
	done
	# The bounds themselves are fine.
	for size in 1 1024; do
		SERVER_ENV=(THREADPOOL_SIZE=$size)
		start_server -q
		stop_server
	done
}

@test "pool: 10,000 jobs, exactly 10,000 done() calls on the loop's thread, fewer wake-ups" {
	expectation pool
	build_unit pool
	run timeout -s KILL 60 "$BATS_TEST_TMPDIR/pool"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"nothing was lost"* ]]
}

@test "pool: -s counts jobs, wake-ups, the deepest queue, the longest wait; slow lookups cause no lag" {
	expectation pool
	SERVER_ENV=(THREADPOOL_SIZE=1 FAULT_LOOKUP_MS=300)
	start_server -s 1
	start_pool
	# Count from the first lines of a second wholly after that.
	n=$(stats_lines)
	wait_for 5 eval '[ "$(stats_lines)" -gt '"$n"' ]'
	FROM=$(wc -l <"$SERVER_ERR")
	bg hold "$CLIENT" -p "$PORT" hold -c 3
	wait_for 5 output_has hold '^held 3$'
	wait_for 5 eval '[ "$(open_lines)" -eq 4 ]'
	# Up to the lines of the second in which the last lookup ended.
	n=$(stats_lines)
	wait_for 5 eval '[ "$(stats_lines)" -gt '"$n"' ]'
	tail -n +$((FROM + 1)) "$SERVER_ERR" | grep '^stats: '
	pool_re='^stats: jobs [0-9]+, wake-ups [0-9]+, deepest queue [0-9]+, longest wait [0-9]+\.[0-9] ms, log lines dropped 0$'
	[ "$(grep -Ec "$pool_re" "$SERVER_ERR")" -eq "$(grep -c '^stats: jobs' "$SERVER_ERR")" ]
	jobs=$(stat_values jobs | awk '{ s += $1 } END { print s }')
	wakeups=$(stat_values wake-ups | awk '{ s += $1 } END { print s }')
	deepest=$(stat_values 'deepest queue' | sort -n | tail -n 1)
	wait=$(stat_values 'longest wait' | sort -n | tail -n 1)
	lag=$(stat_values lag | sort -n | tail -n 1)
	echo "jobs $jobs, wake-ups $wakeups, deepest queue $deepest, longest wait $wait ms, lag $lag ms"
	[ "$jobs" -ge 3 ]     # three lookups, and the log's writes
	[ "$wakeups" -ge 1 ]
	[ "$wakeups" -le "$jobs" ]
	[ "$deepest" -ge 2 ]  # the third lookup queued behind two...
	[ "$wait" -ge 500 ]   # ...of 300 ms each
	[ "$lag" -lt 150 ]    # while the loop never waited
}

@test "log-order: 200 short clients, each logged once at open and once at close, in that order" {
	expectation log-order
	SERVER_ENV=(THREADPOOL_SIZE=2 FAULT_LOOKUP_MS=3)
	start_server
	# Four at a time, each connecting, echoing one byte and leaving: many
	# leave before their name is known.
	pids=()
	for i in 1 2 3 4; do
		bg "clients$i" bash -c 'for i in $(seq 50); do
			timeout -s KILL 30 "$0" -p "$1" echo -n 1 || exit 1
		done' "$CLIENT" "$PORT"
		pids+=("$BG_PID")
	done
	for pid in "${pids[@]}"; do
		wait "$pid"
	done
	wait_for 20 eval '[ "$(grep -c "^close fd" "$SERVER_ERR")" -ge 200 ]'
	# Each client is known by its address and port, "(127.0.0.1:PORT)". A
	# port may come back for a later client once its first one is closed:
	# per port, the lines must go open, close, open, close...
	run awk '
		{ if (!match($0, /\([^)]*\)/)) { print "no client in: " $0; bad++; next }
		  who = substr($0, RSTART, RLENGTH) }
		/^open fd / { if (state[who] == "open") { print "two opens: " who; bad++ }
			      state[who] = "open"; opens++; next }
		/^close fd / { if (state[who] != "open") { print "close before open: " who; bad++ }
			       state[who] = "closed"; closes++; next }
		{ print "unexpected: " $0; bad++ }
		END { for (who in state) if (state[who] == "open") { print "no close: " who; bad++ }
		      if (opens != closes) { print opens " opens, " closes " closes"; bad++ }
		      print opens + 0 " clients"; exit bad > 0 }' "$SERVER_ERR"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "200 clients" ]
}

@test "log-order: -n 1 with an 800 ms lookup exits 0 only once its client's two lines are logged" {
	expectation log-order
	[ -n "$(awk '$1 == "loop-exit" { print $2 }' "$STAGE_DIR/expect")" ] ||
		skip "$STAGE has no -n"
	SERVER_ENV=(FAULT_LOOKUP_MS=800)
	start_server -n 1
	run client echo -n 10 # leaves long before its name is known (from 06)
	[ "$status" -eq 0 ]
	wait_for 10 eval '! server_alive'
	status=0
	wait "$SERVER_PID" || status=$?
	SERVER_PID="" # it is gone: teardown has nothing to stop
	cat "$SERVER_ERR"
	refute grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:|WARNING: ThreadSanitizer' "$SERVER_ERR"
	[ "$status" -eq 0 ]
	open=$(grep -En '^open fd [0-9]+ localhost \(127\.0\.0\.1:[0-9]+\)$' "$SERVER_ERR" | cut -d: -f1)
	close=$(grep -En '^close fd [0-9]+ localhost \(127\.0\.0\.1:[0-9]+\): eof, 10 bytes echoed$' "$SERVER_ERR" | cut -d: -f1)
	[ -n "$open" ]
	[ -n "$close" ]
	[ "$open" -lt "$close" ]
}

# ten_lookups SIZE: a pool of SIZE workers, started, lookups of 300 ms,
# and ten clients that connect at once. Each is echoed at once; sets HELD to the ms
# until all ten were, NAMED to the open lines logged by then, and TOOK to
# the ms until all ten open lines were logged.
ten_lookups() {
	local t0
	SERVER_ENV=(THREADPOOL_SIZE=$1 FAULT_LOOKUP_MS=300)
	start_server
	start_pool
	t0=$(now_ms)
	bg "hold$1" "$CLIENT" -p "$PORT" hold -c 10
	wait_for 5 output_has "hold$1" '^held 10$'
	HELD=$(($(now_ms) - t0))
	NAMED=$(($(open_lines) - 1))
	wait_for 20 eval '[ "$(open_lines)" -eq 11 ]'
	TOOK=$(($(now_ms) - t0))
	echo "pool of $1: ten clients echoed within $HELD ms ($NAMED named by then), all named after $TOOK ms"
	stop_server
}

@test "pool-contention: ten 300 ms lookups take 3 s on a pool of 1, 4x less on 4; no echo waits" {
	expectation pool-contention
	# The limit: a lookup holds its worker for as long as it takes, so
	# lookups queue for a small pool, one pool for all the work.
	ten_lookups 1
	one=$TOOK
	[ "$HELD" -lt 1500 ]  # the echo waits for no name...
	[ "$NAMED" -lt 10 ]   # ...and is done long before the last one
	[ "$one" -ge 2950 ]   # ten lookups, one after the other
	[ "$one" -lt 6000 ]
	ten_lookups 4
	four=$TOOK
	[ "$HELD" -lt 1500 ]
	[ "$four" -ge 850 ]   # three rounds: 4, 4, then 2 lookups at once
	echo "a pool of 4 named them $((one * 10 / four / 10)).$((one * 10 / four % 10)) times sooner"
	# All ten lookups were under way once all ten clients were echoed;
	# from then on, 4 workers need less than half the time 1 needs in all.
	[ $(((four - HELD) * 2)) -lt "$one" ]
}
