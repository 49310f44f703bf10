# Shared helpers for the behaviour suite (load helpers).
#
# Every test runs against one stage, chosen by test/run:
#   STAGE_DIR  the stage directory (its `expect` file says what to assert)
#   SERVER     the server binary (server, server-asan or server-tsan)
#   SANITIZER  "", asan or tsan
#
# Rules every test follows, so the suite never hangs and never flakes:
# servers listen on -p 0 and are ready when they print "listening on";
# background processes start through bg() or start_server(), which close
# every fd above 2 (bats waits for anything holding its fds 3 and up) and
# put a time limit on them; every client runs under `timeout`; waits are
# wait_for CONDITION, never a bare sleep, except where a test asserts that
# something does NOT happen for a while.

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
STAGE_DIR=${STAGE_DIR:?run the suite through test/run}
SERVER=${SERVER:-$STAGE_DIR/server}
SANITIZER=${SANITIZER:-}
CLIENT=$TOP/tools/client
FAULT_SO=$TOP/tools/fault.so
STAGE=$(basename "$STAGE_DIR")
LIMIT=60 # seconds any background process may live

BG_PIDS=()
SERVER_PID=""
SERVER_ENV=()

# expectation ID: set EXPECT to "works" or "limit" for behaviour ID in this
# stage, or skip the test if the stage does not have it yet.
expectation() {
	EXPECT=$(awk -v b="$1" '$1 == b { print $2 }' "$STAGE_DIR/expect")
	case $EXPECT in
	works | limit) ;;
	*) skip "not yet in $STAGE" ;;
	esac
}

# Close every fd above 2 of the current (sub)shell.
close_fds() {
	local fd
	for fd in /proc/$BASHPID/fd/*; do
		fd=${fd##*/}
		if [ "$fd" -gt 2 ]; then
			eval "exec $fd>&-"
		fi
	done
}

# wait_for SECS COMMAND...: poll COMMAND every 20 ms until it succeeds;
# fail after SECS seconds.
wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 50; i++)); do
		if "$@"; then
			return 0
		fi
		sleep 0.02
	done
	echo "gave up after ${secs}s waiting for: $*" >&2
	return 1
}

# The environment the server runs with: SERVER_ENV (e.g. FAULT_SHORT=30),
# the fault shim when any FAULT_ variable is set, and sanitizer options.
server_env() {
	local preload=""
	if [[ " ${SERVER_ENV[*]} " == *" FAULT_"* ]]; then
		preload=$FAULT_SO
		# A sanitizer runtime must come first; it then reaches the
		# shim's read/write through its own interceptors.
		case $SANITIZER in
		asan) preload=$(cc -print-file-name=libasan.so):$preload ;;
		tsan) preload=$(cc -print-file-name=libtsan.so):$preload ;;
		esac
	fi
	echo ${preload:+LD_PRELOAD=$preload} \
		ASAN_OPTIONS=detect_leaks=1 TSAN_OPTIONS=halt_on_error=1 \
		"${SERVER_ENV[@]}"
}

# start_server [ARGS...]: start the stage's server on a kernel-chosen port;
# sets SERVER_PID, PORT, SERVER_OUT (stdout) and SERVER_ERR (stderr: the log).
# With SERVER_NOFILE set, the server may have that many fds (ulimit -n).
# The server is stopped at teardown.
start_server() {
	SERVER_OUT=$BATS_TEST_TMPDIR/server.out
	SERVER_ERR=$BATS_TEST_TMPDIR/server.err
	rm -f "$SERVER_OUT" "$SERVER_ERR" # a server started before in this test
	local env
	env=$(server_env)
	(
		close_fds
		exec </dev/null >"$SERVER_OUT" 2>"$SERVER_ERR"
		if [ -n "${SERVER_NOFILE:-}" ]; then
			ulimit -n "$SERVER_NOFILE" || exit 1
		fi
		# shellcheck disable=SC2086 # env is a list of NAME=VALUE words
		exec env $env "$SERVER" -p 0 "$@"
	) &
	SERVER_PID=$!
	# Ready, or dead: stop waiting either way.
	wait_for 10 eval 'grep -qs "^listening on " "$SERVER_OUT" || ! server_alive'
	PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$SERVER_OUT")
	if [ -z "$PORT" ]; then
		echo "server not ready; its output:" >&2
		cat "$SERVER_OUT" "$SERVER_ERR" >&2
		return 1
	fi
}

# server_alive: the server runs (a zombie, exited but not yet waited for,
# does not count).
server_alive() {
	kill -0 "$SERVER_PID" 2>/dev/null &&
		! grep -q '^State:[[:space:]]*Z' "/proc/$SERVER_PID/status" 2>/dev/null
}

# bg NAME COMMAND...: run COMMAND in the background, stdout and stderr to
# $BATS_TEST_TMPDIR/NAME.out; its pid in BG_PID (and killed at teardown).
bg() {
	local out=$BATS_TEST_TMPDIR/$1.out
	shift
	(
		close_fds
		exec timeout -s KILL $LIMIT "$@" </dev/null >"$out" 2>&1
	) &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# bg_signal SIG PID: send SIG to the program bg PID runs (not to the timeout
# that watches over it: timeout forwards TERM, but not USR1).
bg_signal() {
	pkill "-$1" -P "$2"
}

# output_has NAME PATTERN: the background process NAME printed PATTERN.
output_has() {
	grep -qs -- "$2" "$BATS_TEST_TMPDIR/$1.out"
}

# client COMMAND [OPTIONS...]: the test client against the server.
client() {
	timeout -s KILL 30 "$CLIENT" -p "$PORT" "$@"
}

# build_unit NAME: compile the white-box test test/unit/NAME.c against this
# stage's sources (with the stage's sanitizer, if any) into
# $BATS_TEST_TMPDIR/NAME.
build_unit() {
	local flags=(-std=c11 -Wall -Wextra -Werror -O2 -g -pthread)
	case $SANITIZER in
	asan) flags+=(-fsanitize=address,undefined -fno-sanitize-recover=all) ;;
	tsan) flags+=(-fsanitize=thread) ;;
	esac
	cc "${flags[@]}" -I "$STAGE_DIR" "$TOP/test/unit/$1.c" \
		-o "$BATS_TEST_TMPDIR/$1"
}

# server_streams ARGS...: run the server to completion (it must exit by
# itself, within SECS seconds, default 10); its stdout in $out, its stderr
# in $err, apart (bats' run merges them), its exit status in $status.
server_streams() {
	status=0
	timeout -s KILL "${SECS:-10}" "$SERVER" "$@" </dev/null \
		>"$BATS_TEST_TMPDIR/stdout" 2>"$BATS_TEST_TMPDIR/stderr" ||
		status=$?
	out=$(cat "$BATS_TEST_TMPDIR/stdout")
	err=$(cat "$BATS_TEST_TMPDIR/stderr")
	printf 'status %s\nstdout:\n%s\nstderr:\n%s\n' "$status" "$out" "$err"
}

# now_ms: the time of day in milliseconds.
now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

# /proc readings of the server.
threads_of() {
	awk '/^Threads:/ { print $2 }' "/proc/$1/status"
}

rss_kib_of() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# Thread stacks: how many writable, anonymous mappings of KIB KiB (a
# thread's stack size: the stack limit, ulimit -s) the process has.
stacks_of() {
	awk -v size=$(($2 * 1024)) 'function hex(s, n, i) {
		for (i = 1; i <= length(s); i++)
			n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return n
	}
	$2 == "rw-p" && NF == 5 {
		split($1, range, "-")
		if (hex(range[2]) - hex(range[1]) == size)
			n++
	}
	END { print n + 0 }' "/proc/$1/maps"
}

# CPU time (user + system) in clock ticks of 10 ms.
cpu_ticks_of() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

fds_of() {
	ls "/proc/$1/fd" | wc -l
}

# refute COMMAND...: fail if COMMAND succeeds. (A bare "! COMMAND" cannot
# fail a bats test: bash's errexit ignores a negated command.)
refute() {
	if "$@"; then
		echo "expected this to fail: $*" >&2
		return 1
	fi
}

# log_has PATTERN: the server's log holds a line matching PATTERN.
log_has() {
	grep -Eq -- "$1" "$SERVER_ERR"
}

# stop_server: stop the server and fail if a sanitizer reported anything.
stop_server() {
	local killed=0
	[ -n "$SERVER_PID" ] || return 0
	kill -TERM "$SERVER_PID" 2>/dev/null || true
	# From 07 on SIGTERM lets connected clients finish (up to -g); a
	# second one ends the server at once. One that still runs after that
	# is stuck: kill it, and fail, rather than let the suite hang.
	if ! wait_for 2 eval '! server_alive' 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		if ! wait_for 10 eval '! server_alive' 2>/dev/null; then
			echo "the server ignored two SIGTERMs for 10 s: killed" >&2
			kill -KILL "$SERVER_PID" 2>/dev/null || true
			killed=1
		fi
	fi
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=""
	if grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:|WARNING: ThreadSanitizer' \
		"$SERVER_ERR" >&2; then
		echo "the sanitizer reported the above" >&2
		return 1
	fi
	[ "$killed" -eq 0 ]
}

teardown() {
	local pid
	for pid in "${BG_PIDS[@]}"; do
		pkill -KILL -P "$pid" || true
		kill -KILL "$pid" || true
		wait "$pid" || true
	done 2>/dev/null
	stop_server
}
