#!/usr/bin/env bats
# The syscalls a stage makes, counted from an strace of it: what the traces
# of `make trace-NN` show, asserted.

load helpers

# start_traced TRACE [ARGS...]: start the stage's server as start_server
# does, under `strace -f -ttt -T`, tracing only the syscalls in TRACE
# (strace's -e trace= list), into $TRACE_OUT. Sets SERVER_PID and MAIN_TID
# (the server itself, its main thread's id), PORT, SERVER_OUT and
# SERVER_ERR. STRACE_OPTS may add options.
#
# strace starts `timeout`, which starts the server, so the server has a
# time limit even if strace were killed (a tracee outlives its tracer).
start_traced() {
	local trace=$1 env
	shift
	command -v strace >/dev/null || {
		echo "strace is needed: tools/deps strace installs it" >&2
		return 1
	}
	strace -o /dev/null true 2>/dev/null || {
		echo "strace cannot trace here (is ptrace allowed?)" >&2
		return 1
	}
	TRACE_OUT=$BATS_TEST_TMPDIR/strace.out
	SERVER_OUT=$BATS_TEST_TMPDIR/server.out
	SERVER_ERR=$BATS_TEST_TMPDIR/server.err
	rm -f "$TRACE_OUT" "$SERVER_OUT" "$SERVER_ERR"
	env=$(server_env)
	(
		close_fds
		# shellcheck disable=SC2086 # env is a list of NAME=VALUE words
		exec strace -f -ttt -T -s 2 -o "$TRACE_OUT" -e trace="$trace" \
			${STRACE_OPTS:-} timeout -s KILL $LIMIT \
			env $env "$SERVER" -p 0 "$@" \
			</dev/null >"$SERVER_OUT" 2>"$SERVER_ERR"
	) &
	STRACE_PID=$!
	BG_PIDS+=("$STRACE_PID")
	wait_for 10 traced_pids
	MAIN_TID=$SERVER_PID # stop_server forgets SERVER_PID
	wait_for 20 eval 'grep -qs "^listening on " "$SERVER_OUT" || ! server_alive'
	PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$SERVER_OUT")
	if [ -z "$PORT" ]; then
		echo "server not ready; its output:" >&2
		cat "$SERVER_OUT" "$SERVER_ERR" >&2
		return 1
	fi
}

# traced_pids: for wait_for. strace has started timeout, and timeout the
# server: sets TIMEOUT_PID and SERVER_PID.
traced_pids() {
	TIMEOUT_PID=$(pgrep -P "$STRACE_PID") && [ -n "$TIMEOUT_PID" ] &&
		SERVER_PID=$(pgrep -P "$TIMEOUT_PID") && [ -n "$SERVER_PID" ]
}

# stop_traced: stop the server, let strace finish writing, then check the
# server's log for sanitizer reports (stop_server).
stop_traced() {
	kill -TERM "$SERVER_PID" 2>/dev/null || true
	wait_for 20 eval '! kill -0 "$STRACE_PID" 2>/dev/null'
	wait "$STRACE_PID" || true
	stop_server
}

# server_calls: the trace, one line per call of the server's threads (not
# of the timeout that started it): "TID TIME CALL(ARGS) = RESULT <SECS>".
# A call that another thread's interrupted is put back together, and
# appears where it ended.
server_calls() {
	awk -v skip="$TIMEOUT_PID" '
		$1 == skip { next }
		/ <unfinished \.\.\.>$/ {
			sub(/ <unfinished \.\.\.>$/, "")
			pending[$1] = $0
			next
		}
		$3 == "<..." {
			rest = $0
			sub(/^[^>]*resumed> ?/, "", rest)
			if ($1 in pending)
				print pending[$1] rest
			delete pending[$1]
			next
		}
		{ print }' "$TRACE_OUT"
}

# The awk functions the checks below share, on a line of server_calls: the
# call's name, its Nth argument as a number, its result (a number, or "?"
# while unknown), whether it failed, and when it started and ended, in ms.
AWK_LIB='
	function name() { return substr($3, 1, index($3, "(") - 1) }
	function arg(n,  s, a) {
		s = substr($0, index($0, "(") + 1)
		split(s, a, /, /)
		return a[n] + 0
	}
	function last_arg(  s) {
		s = $0; sub(/\) = .*/, "", s); sub(/.*, /, "", s); return s + 0
	}
	function result(  s) {
		s = $0; sub(/ <[0-9.]+>$/, "", s)
		if (!match(s, / = -?[0-9]+( E[A-Z]+ \(.*\))?$/)) return "?"
		return substr(s, RSTART + 3) + 0
	}
	function failed() { return $0 ~ / = -1 E[A-Z]+ / }
	function start_ms() { return $2 * 1000 }
	function end_ms(  d) { d = $NF; gsub(/[<>]/, "", d); return ($2 + d) * 1000 }
'

@test "syscalls: a ping-pong message costs one read and one write, no epoll_ctl" {
	expectation syscalls
	start_traced read,write,epoll_ctl,accept,accept4 -q
	run client ping -c 20 -i 5
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"pings=20 "* ]]
	stop_traced
	# Only the connection's fd counts: the name lookup reads files too.
	counts=$(server_calls | awk "$AWK_LIB"'
		name() ~ /^accept4?$/ && result() >= 0 { fd = result(); next }
		fd == "" { next }
		name() == "epoll_ctl" && arg(3) == fd && $0 ~ /EPOLL_CTL_MOD/ { mods++ }
		arg(1) != fd { next }
		name() == "read" && result() > 0 { reads++; bytes += result() }
		name() == "read" && failed() { failures++ }
		name() == "write" { writes++ }
		END {
			printf "reads=%d bytes=%d failed_reads=%d writes=%d epoll_ctl_mod=%d\n",
				reads, bytes, failures, writes, mods
		}')
	echo "on the connection's fd: $counts"
	[ "$counts" = "reads=20 bytes=160 failed_reads=0 writes=20 epoll_ctl_mod=0" ]
}

@test "syscalls: epoll_wait sleeps until the soonest timer is due, or for ever" {
	expectation syscalls
	expectation idle-timeout # the stages with timers
	start_traced epoll_wait,accept,accept4 -t 2
	# Two silent clients, the second 300 ms after the first: while both
	# wait, the first one's idle timer is the soonest.
	bg first "$CLIENT" -p "$PORT" hold -c 1
	wait_for 10 output_has first '^held 1$'
	sleep 0.3 # the gap between the two deadlines
	bg second "$CLIENT" -p "$PORT" hold -c 1
	wait_for 10 output_has second '^held 1$'
	wait_for 20 log_has ': idle timeout'
	stop_traced
	server_calls | grep -E 'epoll_wait|accept' | cut -c 1-100
	# The first client's idle timer is due 2000 ms after the loop's time
	# at its accept: that time lies between the end of the epoll_wait
	# that reported the client and the accept4. From the second accept4 to
	# the epoll_wait that times out, each epoll_wait's timeout must be the
	# time left until then, counted from the loop's time at the end of
	# that turn: between the end of the turn's epoll_wait and the start of
	# the next one. Before any client, no timer: -1, for ever.
	server_calls | awk "$AWK_LIB"'
		function bad(why) { print "FAIL: " why ": " $0; failures++ }
		name() ~ /^accept4?$/ && result() >= 0 {
			if (++accepts == 1) {
				due_min = prev_end + 2000
				due_max = start_ms() + 2000
			}
			next
		}
		name() != "epoll_wait" { next }
		accepts == 0 {
			if (last_arg() != -1) bad("no timer yet, yet a timeout")
			else print "before any client: timeout -1"
		}
		accepts == 2 && !done {
			t = last_arg()
			left_min = due_min - start_ms()
			left_max = due_max - prev_end
			printf "timeout %d ms; time left to the first deadline: %.1f to %.1f ms\n",
				t, left_min, left_max
			if (t < left_min - 3 || t > left_max + 3)
				bad("the timeout is not the time left")
			if (result() == 0) {
				done = 1
				if (end_ms() < due_min - 3) bad("woke before the deadline")
			}
		}
		{ prev_end = end_ms() }
		END {
			if (accepts < 2 || !done) {
				print "FAIL: no timeout after the two clients came"
				exit 1
			}
			exit failures > 0
		}'
}

@test "syscalls: one read of the self-pipe drains many finished jobs" {
	expectation syscalls
	expectation pool # the stages with a thread pool
	# Each turn of the loop is made 20 ms slower (strace holds epoll_wait
	# back before it returns): jobs that finish meanwhile each write their
	# byte, and the loop's next read takes them all.
	STRACE_OPTS="-e inject=epoll_wait:delay_exit=20000"
	start_traced pipe2,read,write
	# 20 clients: 20 name lookups and as many log lines, all jobs.
	bg hold "$CLIENT" -p "$PORT" hold -c 20
	wait_for 30 output_has hold '^held 20$'
	wait_for 20 eval '[ "$(grep -c "^open fd" "$SERVER_ERR")" -eq 20 ]'
	stop_traced
	# The self-pipe is the pipe the workers write one byte at a time to
	# (a later stage has other pipes: for signals, for children).
	server_calls | awk -v main="$MAIN_TID" "$AWK_LIB"'
		name() == "pipe2" && result() == 0 {
			s = $0; sub(/^[^[]*\[/, "", s); split(s, fds, /[],] */)
			read_end[fds[2] + 0] = fds[1] + 0
			next
		}
		name() == "write" && $1 != main && (arg(1) in read_end) && result() == 1 {
			writes[arg(1)]++
		}
		name() == "read" && $1 == main && result() > 0 {
			reads[arg(1)]++
			bytes[arg(1)] += result()
			if (result() > most[arg(1)]) most[arg(1)] = result()
		}
		END {
			for (w in writes)
				if (wfd == "" || writes[w] > writes[wfd]) wfd = w
			if (wfd == "") { print "FAIL: no worker wrote to a pipe"; exit 1 }
			r = read_end[wfd]
			printf "self-pipe: read end %d, write end %d\n", r, wfd
			printf "%d one-byte writes (finished jobs), %d reads took %d bytes, at most %d at once\n",
				writes[wfd], reads[r], bytes[r], most[r]
			exit !(writes[wfd] >= 20 && bytes[r] <= writes[wfd] &&
			    most[r] >= 2 && reads[r] < writes[wfd])
		}'
}
