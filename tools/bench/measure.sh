# shellcheck shell=bash
# measure.sh - one measurement each: idle memory, ping-pong, bulk, connect
# rate, the pool's lookups, instructions. Each appends one row to a table
# of raw figures, $data/KIND.tsv (tab-separated, a header first), from
# which report.sh makes the tables and plot.sh the plots. Sourced by
# tools/bench/run, which sets the figures in CAPITALS.

server_wrap=() # a command the server runs under, if any (valgrind)

# ---- Rows -------------------------------------------------------------------

# row KIND VALUES...: append a row to $data/KIND.tsv, the header first.
declare -A row_header=(
	[idle]="server conns threads fds rss0_kib rss_kib b_per_conn"
	[pingpong]="server conns run rate p50_us p99_us sys_msg read_msg write_msg poll_msg ctl_msg other_msg cpu_us_msg server_pct client_pct others_pct"
	[bulk]="server mode conns run mb_s cpu_s_gb server_pct client_pct others_pct"
	[connect]="server mode conns run rate p50_us p99_us failed cpu_us_conn server_pct client_pct others_pct"
	[pool]="server mode run rate p50_us p99_us failed cpu_us_conn logged_pct rss_kib server_pct client_pct others_pct"
	[instructions]="server conns rate msgs instructions per_msg"
)
row() {
	local kind=$1 file=$data/$1.tsv
	shift
	if ! [ -s "$file" ]; then
		echo "${row_header[$kind]}" | tr ' ' '\t' >"$file"
	fi
	(
		IFS=$'\t'
		echo "$*"
	) >>"$file"
}

# ---- Quiet, and the window --------------------------------------------------

# wait_quiet: wait until other processes leave the machine alone (busy
# below QUIET_PCT % of one CPU over a second), at most QUIET_WAIT seconds.
wait_quiet() {
	local i before after
	for ((i = 0; i < QUIET_WAIT; i++)); do
		busy_ticks before
		sleep 1
		busy_ticks after
		[ $(((after - before) * 100 / hz)) -lt "$QUIET_PCT" ] && return 0
		[ $i -eq 0 ] && warn "waiting for the machine to be idle"
	done
	[ "$QUIET_WAIT" -eq 0 ] ||
		warn "still busy after ${QUIET_WAIT}s: running anyway" \
			"(see 'others')"
}

# snapshot SUFFIX FAMILY: the counters a window is measured with, into
# t_SUFFIX (time, us), cpu_SUFFIX (server CPU ticks; with its children if
# FAMILY is true), wr_SUFFIX (bytes the server wrote), cli_SUFFIX (client
# CPU ticks), all_SUFFIX (busy ticks of the whole machine).
snapshot() {
	printf -v "t_$1" %s "${EPOCHREALTIME/./}"
	if $2; then
		family_ticks "cpu_$1" "$server_pid"
	else
		cpu_ticks "cpu_$1" "$server_pid"
	fi
	bytes_written "wr_$1" "$server_pid"
	# The client has ended if the window outlasted its run (a machine so
	# busy that perf took long to start): its time stays as it was.
	if ! { cpu_ticks "cli_$1" "$client_pid"; } 2>/dev/null; then
		printf -v "cli_$1" %d "${cli_0:-0}"
		overran=true
	fi
	busy_ticks "all_$1"
}

# The system calls perf counts: all of them, and those an echo is made of,
# by kind, under the names the servers here use (strace -c shows Node
# waiting in epoll_pwait(); libuv writes with writev() when it has more
# than one buffer queued). Few events: perf opens one counter per event
# and thread.
PERF_KINDS=(read write poll ctl)
declare -A PERF_EVENTS=(
	[read]="read"
	[write]="write writev"
	[poll]="epoll_wait epoll_pwait"
	[ctl]="epoll_ctl"
)

# perf_start SYSCALLS: attach perf to the server, before any client comes,
# its counters off until the window turns them on (perf stat -D -1, then
# "enable" through its control fd). It counts the server's CPU time
# (task-clock: nanoseconds, where /proc has 10 ms ticks) and, if SYSCALLS
# is true, its system calls. The threads and processes the server starts
# later inherit the counters: 02's thread per connection, a pool's
# threads, a child per connection (its `cat`), even those that end before
# the window does. Nothing if perf cannot count here.
perf_start() {
	local k ev args=(-e task-clock)
	perf_on=false
	$have_perf || return 0
	if $1; then
		args+=(-e raw_syscalls:sys_enter)
		for k in "${PERF_KINDS[@]}"; do
			for ev in ${PERF_EVENTS[$k]}; do
				args+=(-e "syscalls:sys_enter_$ev")
			done
		done
	fi
	rm -f "$tmp/perf.ctl" "$tmp/perf.ack" "$tmp/perf.txt"
	mkfifo "$tmp/perf.ctl" "$tmp/perf.ack"
	# Both ends read-write: opening a FIFO so never waits for the other.
	# shellcheck disable=SC2016 # $1, $2 and $@ are the inner shell's
	spawn 600 "$tmp/perf.out" bash -c 'exec 8<>"$1" 9<>"$2"; shift 2
		exec "$@"' - "$tmp/perf.ctl" "$tmp/perf.ack" \
		perf stat --no-big-num -D -1 --control fd:8,9 "${args[@]}" \
		-p "$server_pid" -o "$tmp/perf.txt"
	perf_pid=$spawned
	perf_guard=$guard
	exec {perf_ctl}<>"$tmp/perf.ctl" {perf_ack}<>"$tmp/perf.ack"
	perf_on=true
}

# perf_command CMD: "enable" or "disable" perf's counters, and wait for it
# to say it has (it answers once it has attached to every thread).
perf_command() {
	local ack="" i
	echo "$1" >&"$perf_ctl"
	for ((i = 0; i < 600; i++)); do
		read -r -t 0.1 ack <&"$perf_ack" && break
		running "$perf_guard" || break
	done
	[ "$ack" = ack ] || {
		warn "perf did not answer '$1': its figures n/a"
		return 1
	}
}

# perf_stop: stop perf (if perf_start started it) and read its counts into
# perf_count: [cpu] (seconds), and with system calls [all], [read],
# [write], [poll], [ctl], [other]; nothing if it could not count.
perf_stop() {
	local k ev n kinds=()
	perf_count=()
	$perf_on || return 0
	exec {perf_ctl}>&- {perf_ack}>&-
	kill -INT "$perf_pid" 2>/dev/null || true
	await "$perf_guard" 30 || true
	perf_on=false
	$perf_ok || return 0
	for k in "${PERF_KINDS[@]}"; do
		for ev in ${PERF_EVENTS[$k]}; do
			kinds+=("syscalls:sys_enter_$ev=$k")
		done
	done
	while read -r k n; do
		perf_count[$k]=$n
	done < <(awk -v kinds="${kinds[*]}" '
		BEGIN {
			n = split(kinds, a, " ")
			for (i = 1; i <= n; i++)
				if (split(a[i], p, "=") == 2)
					kind[p[1]] = p[2]
		}
		$2 == "msec" && $3 == "task-clock" && $1 ~ /^[0-9.]+$/ {
			print "cpu", $1 / 1000
		}
		$1 ~ /^[0-9]+$/ && $2 == "raw_syscalls:sys_enter" { all = $1 }
		$1 ~ /^[0-9]+$/ && ($2 in kind) { sum[kind[$2]] += $1 }
		END {
			if (all == "")
				exit
			print "all", all
			other = all
			for (k in sum) {
				print k, sum[k]
				other -= sum[k]
			}
			print "other", other
		}' "$tmp/perf.txt" 2>/dev/null)
	if [ -n "${perf_count[all]:-}" ]; then
		for k in "${PERF_KINDS[@]}"; do
			: "${perf_count[$k]:=0}" # none of that kind
		done
	fi
}
declare -A perf_count=()
perf_on=false
perf_ok=false

# window FAMILY: measure WINDOW seconds from now: the counters at both ends
# (see snapshot), perf's counters on in between if perf_start started it,
# then perf stopped. Sets win_secs, win_cpu (server CPU seconds: perf's
# task-clock if it counted, else /proc's ticks, with its children's if
# FAMILY is true), win_bytes (server's bytes written), server_pct,
# client_pct, others_pct (shares of one CPU); overran if the client ended
# first.
window() {
	local family=$1
	local t_0 cpu_0 wr_0 cli_0 all_0 t_1 cpu_1 wr_1 cli_1 all_1
	overran=false
	perf_ok=false
	if $perf_on && perf_command enable; then
		perf_ok=true
	fi
	snapshot 0 "$family"
	sleep "$WINDOW"
	snapshot 1 "$family"
	if $perf_ok && ! perf_command disable; then
		perf_ok=false
	fi
	perf_stop
	win_bytes=$((wr_1 - wr_0))
	read -r win_secs win_cpu server_pct client_pct others_pct < <(awk \
		-v us=$((t_1 - t_0)) -v ticks=$((cpu_1 - cpu_0)) -v hz="$hz" \
		-v perf_cpu="${perf_count[cpu]:-}" -v cli=$((cli_1 - cli_0)) \
		-v all=$((all_1 - all_0)) 'BEGIN {
			secs = us / 1e6
			cpu = perf_cpu != "" ? perf_cpu : ticks / hz
			# "others": busy ticks of the machine, less the
			# server and client ticks (one clock for all three).
			print secs, cpu, 100 * cpu / secs, 100 * cli / hz / secs,
				100 * (all - ticks - cli) / hz / secs
		}')
}

# per_unit UNITS_PER_S: the server's CPU seconds per unit, from the window
# (a GB for bulk, a us for a connection); n/a if the window outlasted the
# client's run, whose rate it is divided by.
per_unit() {
	if $overran; then
		echo n/a
	else
		calc "($1) > 0 ? $win_cpu / $win_secs / ($1) : 0"
	fi
}

# no_window: the figures of a window that could not be measured: the
# client ran and ended before it could begin, on a machine that busy.
no_window() {
	win_secs=0 win_cpu=0 win_bytes=0 server_pct=n/a client_pct=n/a
	others_pct=n/a
	overran=true
	perf_ok=false
	perf_stop
}

# ---- Idle -------------------------------------------------------------------

declare -A idle_stop=() # ID -> why it stopped short of the last level

# idle_one ID CONNS: start server ID, open CONNS connections that each echo
# once and then sit idle (tools/client hold), read the server's RSS and
# threads, check every connection again, stop.
idle_one() {
	local id=$1 n=$2 hold=$tmp/hold.out rss0 line rss threads fds
	local hold_guard ks0 ks1
	if [ -n "${idle_stop[$id]:-}" ]; then
		progress_note "skipped: stopped at a lower count"
		return 0
	fi
	start_server "$id" plain
	rss0=$(field rss_kib "$("$CLIENT" proc "$server_pid")")
	kib_of ks0 KernelStack /proc/meminfo

	spawn 600 "$hold" "$CLIENT" -p "$server_port" hold -c "$n"
	hold_guard=$guard
	if ! wait_held "$hold" "$n" "$hold_guard"; then
		line=$("$CLIENT" proc "$server_pid" 2>/dev/null || true)
		idle_stop[$id]="at $n connections: $(tail -1 "$hold.err")"
		idle_stop[$id]+=" (server: ${line:-gone})"
		kill "$hold_guard" 2>/dev/null || true
		await "$hold_guard" 10 || true
		stop_server
		progress_note "stopped: ${idle_stop[$id]}"
		return 0
	fi
	line=$("$CLIENT" proc "$server_pid")
	kib_of ks1 KernelStack /proc/meminfo
	rss=$(field rss_kib "$line")
	threads=$(field threads "$line")
	fds=$(field fds "$line")

	# Let the client check every connection again, close them and exit.
	kill -USR1 "$spawned"
	await "$hold_guard" 120 || die "hold client failed: $(cat "$hold.err")"
	grep -q "^verified $n" "$hold" || die "hold: no 'verified $n'"
	stop_server

	row idle "$id" "$n" "$threads" "$fds" "$rss0" "$rss" \
		$(((rss - rss0) * 1024 / n))
	if thread_per_conn "$id"; then
		echo "$id $n $((ks1 - ks0))" >>"$data/kernel-stacks.txt"
	fi
	progress_note "$(group "$rss") KiB, $(((rss - rss0) * 1024 / n)) B/conn"
}

# wait_held FILE N GUARD: wait for "held N" from the hold client; false if
# it ended without (a connection failed: the server is out of something).
wait_held() {
	local i
	for ((i = 0; i < 600 * 50; i++)); do
		grep -q "^held $2" "$1" && return 0
		running "$3" || return 1
		sleep 0.02
	done
	return 1
}

# ---- Ping-pong --------------------------------------------------------------

# pingpong_one ID CONNS: one run of CONNS connections of `tools/client
# bench` against server ID; appends a row, sets `others`.
pingpong_one() {
	local id=$1 n=$2 out=$tmp/bench.out base fds i line msgs
	local bench_guard client_pid
	start_server "$id" plain "$SERVER_CPU"
	base=$(socket_count "$server_pid")
	perf_start true

	spawn $((${WARMUP%.*} + ${SECS%.*} + 120)) "$out" \
		taskset -c "$CLIENT_CPU" "$CLIENT" -p "$server_port" bench \
		-c "$n" -d "$SECS" -s "$PP_SIZE" -w "$WARMUP"
	client_pid=$spawned
	bench_guard=$guard

	# The client's clock starts once its connections are open, and the
	# server then holds a socket for each.
	for ((i = 0; i < 3000; i++)); do
		fds=$(socket_count "$server_pid")
		[ "$fds" -ge $((base + n)) ] && break
		running "$bench_guard" || break
		sleep 0.01
	done
	if [ "$fds" -ge $((base + n)) ]; then
		sleep "$(calc "$WARMUP + $LEAD")"
		window false
	else
		no_window # it came and went unseen, or failed (see below)
	fi

	await "$bench_guard" $((${WARMUP%.*} + ${SECS%.*} + 60)) ||
		die "bench client failed: $(cat "$out.err")"
	line=$(grep '^conns=' "$out") || die "bench: no result line"
	stop_server

	# Messages echoed in the window: every byte is echoed once.
	msgs=$((win_bytes / PP_SIZE))
	if [ "$msgs" -eq 0 ]; then
		# The client was done before the window began, on a machine
		# that busy.
		warn "no messages echoed in a window: only the client's figures"
		msgs=n/a
		overran=true
	fi
	# shellcheck disable=SC2046 # awk prints seven figures
	row pingpong "$id" "$n" "$run" "$(field rate "$line")" \
		"$(field p50_us "$line")" "$(field p99_us "$line")" \
		$(awk -v msgs="$msgs" -v cpu="$win_cpu" \
			-v counts="${perf_count[all]:-} ${perf_count[read]:-} \
			${perf_count[write]:-} ${perf_count[poll]:-} \
			${perf_count[ctl]:-} ${perf_count[other]:-}" 'BEGIN {
			n = split(counts, c, " ")
			msgs += 0	# "n/a" is 0 here, not a string above "0"
			for (i = 1; i <= 6; i++)
				if (n == 6 && msgs > 0)
					printf "%s ", c[i] / msgs
				else
					printf "n/a "
			if (msgs > 0)
				print cpu * 1e6 / msgs
			else
				print "n/a"
		}') "$server_pct" "$client_pct" "$others_pct"
	others=$others_pct
	progress_note "$(group "$(field rate "$line")") msgs/s," \
		"p99 $(field p99_us "$line") us"
}

# ---- Bulk and connect -------------------------------------------------------

# load_run KIND OUT ARGS...: start tools/bench/load KIND on the client's
# CPU, wait for it to count, then measure the window; sets `line` to its
# result. The server must be running.
load_run() {
	local kind=$1 out=$2 family=false load_guard client_pid
	shift 2
	# A child per connection: its CPU time is the server's too.
	[ "$mode" = cat ] && family=true
	perf_start false
	spawn $((${WARMUP%.*} + ${SECS%.*} + 120)) "$out" \
		taskset -c "$CLIENT_CPU" "$LOAD" -p "$server_port" "$kind" \
		-d "$SECS" -w "$WARMUP" "$@"
	client_pid=$spawned
	load_guard=$guard
	wait_line "$out" counting 120
	sleep "$LEAD"
	window "$family"
	await "$load_guard" $((${SECS%.*} + 60)) ||
		die "load $kind failed: $(cat "$out.err")"
	line=$(grep '^conns=' "$out") || die "load: no result line"
}

# bulk_one ID MODE: BULK_CONNS connections (1 for a stage that serves one
# client at a time) pumping BULK_SIZE-byte writes.
bulk_one() {
	local id=$1 mode=$2 n=$BULK_CONNS line mb_s
	single_client "$id" && n=1
	start_server "$id" "$mode" "$SERVER_CPU"
	load_run bulk "$tmp/load.out" -c "$n" -s "$BULK_SIZE"
	stop_server
	mb_s=$(field rate_mbs "$line")
	row bulk "$id" "$mode" "$n" "$run" "$mb_s" \
		"$(per_unit "$mb_s / 1000")" \
		"$server_pct" "$client_pct" "$others_pct"
	others=$others_pct
	progress_note "$mb_s MB/s"
}

# connect_one ID MODE: CONNECT_CONNS at a time: connect, one echo, close.
connect_one() {
	local id=$1 mode=$2 line rate
	start_server "$id" "$mode" "$SERVER_CPU"
	load_run connect "$tmp/load.out" -c "$CONNECT_CONNS" -s "$PP_SIZE"
	stop_server
	rate=$(field rate "$line")
	row connect "$id" "$mode" "$CONNECT_CONNS" "$run" "$rate" \
		"$(field p50_us "$line")" "$(field p99_us "$line")" \
		"$(field failed "$line")" \
		"$(per_unit "$rate / 1e6")" \
		"$server_pct" "$client_pct" "$others_pct"
	others=$others_pct
	progress_note "$(group "$rate") conns/s"
}

# pool_one ID MODE: connect rate with the log on and a name lookup for
# each connection (MODE log), made LOOKUP_MS slow (MODE slow); one
# connection at a time. Also: how many connections had their "open" line
# logged (their name found) by the time the client finished, and the
# server's RSS then.
pool_one() {
	local id=$1 mode=$2 line rate opens total rss
	start_server "$id" "$mode" "$SERVER_CPU"
	load_run connect "$tmp/load.out" -c "$POOL_CONNS" -s "$PP_SIZE"
	opens=$(grep -c '^open ' "$server_log" || true)
	rss=$(field rss_kib "$("$CLIENT" proc "$server_pid")")
	stop_server
	rate=$(field rate "$line")
	total=$(field total "$line")
	row pool "$id" "$mode" "$run" "$rate" \
		"$(field p50_us "$line")" "$(field p99_us "$line")" \
		"$(field failed "$line")" \
		"$(per_unit "$rate / 1e6")" \
		"$(calc "$total > 0 ? ($opens < $total ? 100 * $opens / $total : 100) : 0")" "$rss" \
		"$server_pct" "$client_pct" "$others_pct"
	others=$others_pct
	progress_note "$(group "$rate") conns/s, $opens of $total named"
}

# ---- Instructions -----------------------------------------------------------

# instructions_one ID: the server under callgrind, a ping-pong of
# INSTR_CONNS connections: the user-space instructions it runs per message
# over the window (callgrind_control zeroes the counts as the window
# starts and dumps them as it ends, so start-up and the warm-up are left
# out).
instructions_one() {
	local id=$1 out=$tmp/bench.out cg=$tmp/callgrind.out line ir msgs
	local base fds i wr_0 wr_1 bench_guard
	rm -f "$cg" "$cg".*
	server_wrap=(valgrind --tool=callgrind --callgrind-out-file="$cg")
	start_server "$id" plain "$SERVER_CPU"
	server_wrap=()
	base=$(socket_count "$server_pid")
	spawn $((${WARMUP%.*} + ${SECS%.*} + 120)) "$out" \
		taskset -c "$CLIENT_CPU" "$CLIENT" -p "$server_port" bench \
		-c "$INSTR_CONNS" -d "$SECS" -s "$PP_SIZE" -w "$WARMUP"
	bench_guard=$guard
	for ((i = 0; i < 3000; i++)); do
		fds=$(socket_count "$server_pid")
		[ "$fds" -ge $((base + INSTR_CONNS)) ] && break
		running "$bench_guard" || break
		sleep 0.01
	done
	sleep "$(calc "$WARMUP + $LEAD")"
	callgrind_control -z "$server_pid" >/dev/null 2>&1 ||
		die "callgrind_control could not zero the counts"
	bytes_written wr_0 "$server_pid"
	sleep "$WINDOW"
	callgrind_control -d "$server_pid" >/dev/null 2>&1 ||
		die "callgrind_control could not dump the counts"
	bytes_written wr_1 "$server_pid"
	await "$bench_guard" $((${WARMUP%.*} + ${SECS%.*} + 60)) ||
		die "bench client failed: $(cat "$out.err")"
	line=$(grep '^conns=' "$out") || die "bench: no result line"
	stop_server
	ir=$(awk '/^summary:/ { print $2 }' "$cg.1" 2>/dev/null || true)
	[ -n "$ir" ] || die "callgrind wrote no counts for the window"
	msgs=$(((wr_1 - wr_0) / PP_SIZE))
	[ "$msgs" -gt 0 ] || die "no messages echoed in the window"
	row instructions "$id" "$INSTR_CONNS" "$(field rate "$line")" "$msgs" \
		"$ir" "$(calc "$ir / $msgs")"
	progress_note "$(calc "$ir / $msgs") instructions/msg"
}

# ---- Runs -------------------------------------------------------------------

# timed KIND ARGS...: KIND_one ARGS, after waiting for a quiet machine,
# and again if other processes that woke up during it (see wait_quiet)
# took much CPU, a few times at most; only the last try's row is kept.
timed() {
	local kind=$1 try file lines=0 why
	shift
	file=$data/$kind.tsv
	[ -s "$file" ] && lines=$(wc -l <"$file")
	for ((try = 1; ; try++)); do
		wait_quiet
		"${kind}_one" "$@"
		if $overran; then
			why="the client ended before the window (a busy machine)"
		elif [ "$(calc "$others < $NOISY_PCT")" = 1 ]; then
			break
		else
			why="other processes took $(fmt %.0f "$others")% of a CPU"
		fi
		if [ "$try" -ge "$NOISY_TRIES" ]; then
			# One try only (a quick run): no need to say so.
			if [ "$NOISY_TRIES" -gt 1 ]; then
				warn "$why: kept all the same"
			fi
			break
		fi
		warn "$why: once more"
		if [ "$lines" -eq 0 ]; then
			rm -f "$file"
		else
			head -n "$lines" "$file" >"$tmp/rows" && mv "$tmp/rows" "$file"
		fi
	done
}
