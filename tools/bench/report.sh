# shellcheck shell=bash
# report.sh - results.md from the raw figures in $data: the medians of
# each server's runs as Markdown tables, every run, and the targets the
# issues set. Sourced by tools/bench/run.

# medians KIND KEY...: $data/KIND.tsv with one row per distinct value of
# the KEY columns, in order of first appearance, holding the median of
# each other column over the runs that have it (n/a: perf could not count
# in that run); a column "run" becomes the number of runs. Written to
# $tmp/med-KIND.tsv.
medians() {
	local kind=$1
	shift
	[ -s "$data/$kind.tsv" ] || return 1
	awk -F'\t' -v OFS='\t' -v keys="$*" '
	function median(g, i,   n, j, m, t, v) {
		n = 0
		for (j = 1; j <= cnt[g]; j++)	# figures only: not n/a, inf, nan
			if (val[g, i, j] ~ /^-?[0-9]+(\.[0-9]*)?(e[-+]?[0-9]+)?$/)
				v[++n] = val[g, i, j]
		if (n == 0)
			return "n/a"
		for (j = 2; j <= n; j++)	# insertion sort: a few runs
			for (m = j; m > 1 && v[m - 1] + 0 > v[m] + 0; m--) {
				t = v[m]; v[m] = v[m - 1]; v[m - 1] = t
			}
		m = int((n + 1) / 2)
		return (n % 2) ? v[m] : (v[m] + v[m + 1]) / 2
	}
	NR == 1 {
		nk = split(keys, k, " ")
		for (i = 1; i <= NF; i++) {
			col[$i] = i
			head[i] = $i
		}
		ncol = NF
		print
		next
	}
	{
		key = ""
		for (j = 1; j <= nk; j++)
			key = key "\t" $(col[k[j]])
		if (!(key in group)) {
			group[key] = ++groups
			first[groups] = $0
		}
		g = group[key]
		c = ++cnt[g]
		for (i = 1; i <= ncol; i++)
			val[g, i, c] = $i
	}
	END {
		for (g = 1; g <= groups; g++) {
			split(first[g], f, "\t")
			line = ""
			for (i = 1; i <= ncol; i++) {
				iskey = 0
				for (j = 1; j <= nk; j++)
					if (head[i] == k[j])
						iskey = 1
				if (iskey)
					v = f[i]
				else if (head[i] == "run")
					v = cnt[g]
				else
					v = median(g, i)
				line = line (i > 1 ? "\t" : "") v
			}
			print line
		}
	}' "$data/$kind.tsv" >"$tmp/med-$kind.tsv"
}

# med KIND COLUMN KEY=VALUE...: one value from $tmp/med-KIND.tsv, or
# nothing if there is no such row.
med() {
	local kind=$1 column=$2
	shift 2
	[ -s "$tmp/med-$kind.tsv" ] || return 0
	awk -F'\t' -v want="$column" -v keys="$*" '
	NR == 1 {
		for (i = 1; i <= NF; i++)
			col[$i] = i
		n = split(keys, kv, " ")
		next
	}
	{
		for (j = 1; j <= n; j++) {
			split(kv[j], p, "=")
			if ($(col[p[1]]) != p[2])
				next
		}
		print $(col[want])
		exit
	}' "$tmp/med-$kind.tsv"
}

# The names of the servers and modes, for awk: "ID<TAB>NAME" lines.
names_file() {
	local id
	for id in "${stages[@]}" "${peers[@]}"; do
		printf '%s\t%s\n' "$id" "$(name "$id")"
	done >"$tmp/names.tsv"
}

# table FILE SPEC...: a Markdown table of a TSV file with a header line.
# Each SPEC is COLUMN:TITLE:FORMAT, where FORMAT is
#   name   a server ID, shown by its name     mode   a mode, as mode_name
#   int    a whole number, with commas        n1, n2, n3  decimals
#   pct    a share of a CPU, "%"              kib    KiB as "N.N MiB"
#   us     microseconds, shown as µs or ms    text   as it is
# Rows for which FILTER (an awk condition on the columns, by name as
# c["NAME"]) is false are left out: set TABLE_FILTER.
table() {
	local file=$1
	shift
	awk -F'\t' -v specs="$*" -v filter="${TABLE_FILTER:-}" \
		-v lookup_ms="$LOOKUP_MS" '
	function commas(x,   s, r, neg) {
		s = sprintf("%.0f", x)
		neg = s ~ /^-/
		if (neg) s = substr(s, 2)
		r = ""
		while (length(s) > 3) {
			r = "," substr(s, length(s) - 2) r
			s = substr(s, 1, length(s) - 3)
		}
		return (neg ? "-" : "") s r
	}
	function us(x) {
		if (x >= 10000)
			return sprintf("%.0f ms", x / 1000)
		if (x >= 1000)
			return sprintf("%.1f ms", x / 1000)
		return sprintf("%.0f µs", x)
	}
	function show(v, f, id) {
		if (v == "n/a" || v == "")
			return "n/a"
		if (f == "name") return (v in names) ? names[v] : v
		if (f == "mode") {
			if (v == "plain") return "-"
			if (v == "cat") return id == "node" ? "spawn(\x27cat\x27)" : "-e cat"
			if (v == "log") return "log, lookups"
			if (v == "slow") return "log, " lookup_ms " ms lookups"
			return v
		}
		if (f == "int") return commas(v)
		if (f == "n1") return sprintf("%.1f", v)
		if (f == "n2") return sprintf("%.2f", v)
		if (f == "n3") return sprintf("%.3f", v)
		if (f == "pct") return sprintf("%.0f%%", (v > -0.5 && v < 0.5) ? 0 : v)
		if (f == "share") return sprintf(v < 10 ? "%.1f%%" : "%.0f%%", v)
		if (f == "kib") return sprintf("%.1f MiB", v / 1024)
		if (f == "us") return us(v)
		return v
	}
	FILENAME ~ /names.tsv$/ { names[$1] = $2; next }
	FNR == 1 {
		ns = split(specs, s, " ")
		hdr = "|"; rule = "|"
		for (i = 1; i <= ns; i++) {
			split(s[i], p, ":")
			colname[i] = p[1]
			title[i] = p[2]
			gsub(/_/, " ", title[i])
			form[i] = p[3]
			hdr = hdr " " title[i] " |"
			rule = rule (form[i] ~ /^(name|mode|text)$/ ? "---|" : "--:|")
		}
		for (i = 1; i <= NF; i++)
			at[$i] = i
		print hdr
		print rule
		next
	}
	{
		for (name in at)
			c[name] = $(at[name])
		if (filter != "" && !keep())
			next
		line = "|"
		for (i = 1; i <= ns; i++)
			line = line " " show($(at[colname[i]]), form[i], c["server"]) " |"
		print line
	}
	function keep() {
		# filters used: conns=N, mode=M, server=ID
		split(filter, fp, "=")
		return c[fp[1]] == fp[2]
	}' "$tmp/names.tsv" "$file"
}

# ---- The sections -----------------------------------------------------------

# runs_text: how many runs the tables' figures come from.
runs_text() {
	if [ "$RUNS" = 1 ]; then
		echo "One run."
	else
		echo "Medians of $RUNS runs."
	fi
}

# size_text SIZE: 64K as "64 KiB", 64 as "64-byte".
size_text() {
	case $1 in
	*K) echo "${1%K} KiB" ;;
	*M) echo "${1%M} MiB" ;;
	*) echo "$1-byte" ;;
	esac
}

report_machine() {
	cat "$data/machine.md"
	echo
	if [ -s "$data/notes.txt" ]; then
		sed 's/^/- /' "$data/notes.txt"
		echo
	fi
}

report_idle() {
	medians idle server conns || return 0
	cat <<EOF
## Idle connections

Each connection echoed 8 bytes once (all checked again at the end), then
stays open and idle; the server runs with \`-q\` and its defaults (from 05
on, an idle timer for each connection). Server RSS (VmRSS) at start and
with the connections held; per connection: its growth, divided by the
connections. RSS is user memory only: the kernel's socket buffers,
and each thread's kernel stack, are not in it. A stage that serves one
client at a time cannot hold idle connections, and has no row.

EOF
	table "$tmp/med-idle.tsv" server:server:name conns:connections:int \
		threads:threads:int fds:fds:int rss0_kib:RSS_at_start:kib \
		rss_kib:RSS_held:kib b_per_conn:bytes_per_connection:int
	echo
	local id line most
	most=$(awk -F'\t' 'NR > 1 && $2 > m { m = $2 } END { print m + 0 }' \
		"$data/idle.tsv")
	for id in "${stages[@]}" "${peers[@]}"; do
		line=$(grep "^$id	" "$data/idle-stops.tsv" 2>/dev/null |
			cut -f2-) || true
		if [ -n "$line" ]; then
			echo "- $(name "$id") stopped $line."
		elif thread_per_conn "$id" &&
			grep -q "^$id	$most	" "$data/idle.tsv"; then
			echo "- $(name "$id") held every count asked, up to" \
				"$(group "$most") connections, a thread each. What" \
				"would stop it further on this machine: $(limits_text)."
		fi
	done
	if [ -s "$data/kernel-stacks.txt" ]; then
		while read -r id n kib; do
			echo "- While $(name "$id") held $(group "$n")" \
				"connections, the kernel's stacks (KernelStack in" \
				"/proc/meminfo, for the whole machine) grew by" \
				"$(calc "$kib / 1024" | xargs printf '%.1f') MiB:" \
				"$(group "$(calc "$kib * 1024 / $n")")" \
				"bytes per connection more, outside its RSS."
		done <"$data/kernel-stacks.txt"
	fi
	echo
}

# limits_text: the limits a thread per connection meets, from limits.txt.
limits_text() {
	[ -s "$data/limits.txt" ] || return 0
	awk '
	{ v[$1] = $2 }
	END {
		printf "a thread is a task, and kernel.pid_max is %s (for" \
			" every process on the machine), kernel.threads-max %s," \
			" the tasks one user may have (ulimit -u) %s; each" \
			" connection is an fd (ulimit -n: %s); each thread" \
			" reserves %s KiB of address space for its stack" \
			" (ulimit -s), of which only the pages it touches take" \
			" memory", v["kernel.pid_max"], v["kernel.threads-max"],
			v["ulimit_-u"], v["ulimit_-n"], v["stack_KiB"]
	}' "$data/limits.txt"
}

report_pingpong() {
	medians pingpong server conns || return 0
	local n levels
	levels=$(awk -F'\t' 'NR > 1 { print $2 }' "$tmp/med-pingpong.tsv" |
		sort -nu | tr '\n' ' ')
	cat <<EOF
## Ping-pong

$PP_SIZE-byte messages, one in flight per connection, every byte checked
(\`tools/client bench\`); the server on CPU $SERVER_CPU, the client on CPU
$CLIENT_CPU. $WARMUP s warm-up, then $SECS s measured: msgs/s and
latencies are the client's, over those seconds. Within them, over a
$WINDOW s window, perf counts the server's system calls and its CPU time
(task-clock, user and system, all its threads; /proc's ticks where perf
cannot count), both divided by the messages it echoed in the window
(bytes written / $PP_SIZE). A stage that serves one client at a time runs
with 1 connection only. $(runs_text)

Messages per second:

EOF
	pp_matrix rate int
	echo
	echo "Latency, p50 / p99:"
	echo
	pp_matrix "p50_us p99_us" us
	echo
	echo "Server CPU time per message (user + system):"
	echo
	pp_matrix cpu_us_msg us_frac
	echo
	echo "System calls per message:"
	echo
	pp_matrix sys_msg n2
	echo
	for n in $levels; do
		echo "At $(group "$n") connection$([ "$n" = 1 ] || echo s)," \
			"the system calls by kind, and who used the CPUs" \
			"(\"others\": all other processes, perf included):"
		echo
		TABLE_FILTER="conns=$n" table "$tmp/med-pingpong.tsv" \
			server:server:name rate:msgs/s:int \
			p50_us:p50:us p99_us:p99:us sys_msg:syscalls/msg:n3 \
			read_msg:reads:n3 write_msg:writes:n3 \
			poll_msg:epoll_waits:n3 ctl_msg:epoll_ctls:n3 \
			other_msg:other:n3 \
			cpu_us_msg:CPU_µs/msg:n2 server_pct:server_CPU:pct \
			client_pct:client_CPU:pct others_pct:others:pct
		echo
	done
}

# pp_matrix COLUMNS FORMAT: one row per server, one column per connection
# count; two COLUMNS are shown as "A / B".
pp_matrix() {
	awk -F'\t' -v cols="$1" -v form="$2" '
	function us(x) {
		if (x >= 10000) return sprintf("%.0f ms", x / 1000)
		if (x >= 1000) return sprintf("%.1f ms", x / 1000)
		return sprintf("%.0f µs", x)
	}
	function commas(x,   s, r) {
		s = sprintf("%.0f", x); r = ""
		while (length(s) > 3) {
			r = "," substr(s, length(s) - 2) r
			s = substr(s, 1, length(s) - 3)
		}
		return s r
	}
	function show(v) {
		if (v == "n/a" || v == "") return "n/a"
		if (form == "int") return commas(v)
		if (form == "us") return us(v)
		if (form == "us_frac") return sprintf("%.1f µs", v)
		return sprintf("%.2f", v)
	}
	FILENAME ~ /names.tsv$/ { names[$1] = $2; next }
	FNR == 1 { for (i = 1; i <= NF; i++) at[$i] = i; nc = split(cols, cl, " "); next }
	{
		s = $(at["server"]); n = $(at["conns"])
		if (!(s in seen)) { seen[s] = 1; order[++ns] = s }
		if (!(n in seenn)) { seenn[n] = 1; levels[++nl] = n }
		v = show($(at[cl[1]]))
		if (nc > 1) v = v " / " show($(at[cl[2]]))
		cell[s, n] = v
	}
	END {
		for (i = 2; i <= nl; i++)	# sort the levels
			for (j = i; j > 1 && levels[j - 1] + 0 > levels[j] + 0; j--) {
				t = levels[j]; levels[j] = levels[j - 1]; levels[j - 1] = t
			}
		line = "| server |"; rule = "|---|"
		for (i = 1; i <= nl; i++) {
			line = line " " commas(levels[i]) " conn" (levels[i] == 1 ? "" : "s") " |"
			rule = rule "--:|"
		}
		print line; print rule
		for (k = 1; k <= ns; k++) {
			s = order[k]
			line = "| " ((s in names) ? names[s] : s) " |"
			for (i = 1; i <= nl; i++)
				line = line " " (((s, levels[i]) in cell) ? cell[s, levels[i]] : "-") " |"
			print line
		}
	}' "$tmp/names.tsv" "$tmp/med-pingpong.tsv"
}

report_bulk() {
	medians bulk server mode || return 0
	cat <<EOF
## Bulk

$BULK_CONNS connections (1 for a stage that serves one client at a time)
each write $(size_text "$BULK_SIZE") blocks as fast as the server takes them, while
reading the echo and checking every byte (\`tools/bench/load bulk\`).
MB/s: echoed bytes (10^6) per second, the client's count over $SECS s
after $WARMUP s of warm-up. Server CPU per GB: its CPU time (as in the
ping-pong, its children's included: \`cat\`) over a $WINDOW s window
inside them, divided by the gigabytes (10^9) it echoed per second.
$(runs_text)

EOF
	table "$tmp/med-bulk.tsv" server:server:name mode:children:mode \
		conns:connections:int mb_s:MB/s:int cpu_s_gb:CPU_s/GB:n2 \
		server_pct:server_CPU:pct client_pct:client_CPU:pct \
		others_pct:others:pct
	echo
}

report_connect() {
	medians connect server mode || return 0
	cat <<EOF
## Connect rate

libuv's \`tcp4_pound\` shape (\`tools/bench/load connect\`): one client
keeps $CONNECT_CONNS connections under way; each connects, sends one
$PP_SIZE-byte message, reads its echo back, checks it and closes, and a
new one takes its place. Connections per second over $SECS s after $WARMUP
s of warm-up, and the time each took from connect() to the end of its
echo. Server CPU per connection: its CPU time (children's included) over
a $WINDOW s window inside them, divided by the connections per second.
"failed": connections that ended before their echo. $(runs_text)

EOF
	table "$tmp/med-connect.tsv" server:server:name mode:children:mode \
		rate:conns/s:int p50_us:p50:us p99_us:p99:us failed:failed:int \
		cpu_us_conn:CPU_µs/conn:n1 server_pct:server_CPU:pct \
		client_pct:client_CPU:pct others_pct:others:pct
	echo
}

report_pool() {
	if ! [ -s "$data/pool.tsv" ]; then
		if [ -s "$data/pool-none.txt" ]; then
			echo "## Thread pool: name lookups"
			echo
			cat "$data/pool-none.txt"
			echo
		fi
		return 0
	fi
	medians pool server mode
	cat <<EOF
## Thread pool: name lookups

What the pool costs when name lookups are fast, and what it saves when
they are slow. The server logs to a file, so each connection gets a name
lookup (\`getnameinfo\`, answered from /etc/hosts: $(cat "$data/lookup-name.txt" 2>/dev/null || echo "?")).
Then the same with every lookup made $LOOKUP_MS ms slower by tools/fault.so
(\`FAULT_LOOKUP_MS=$LOOKUP_MS\`). One client, $POOL_CONNS connection at a
time: connect, one $PP_SIZE-byte echo, close. "named": the share of the
connections whose \`open\` line (written once the name is known) was in the
log when the client finished; "RSS": the server's then. The pool has its
default size. $(runs_text)

EOF
	table "$tmp/med-pool.tsv" server:server:name mode:log:mode \
		rate:conns/s:int p50_us:p50:us p99_us:p99:us \
		cpu_us_conn:CPU_µs/conn:n1 logged_pct:named:share \
		rss_kib:RSS:kib server_pct:server_CPU:pct others_pct:others:pct
	echo
}

report_instructions() {
	if ! [ -s "$data/instructions.tsv" ]; then
		if [ -s "$data/instructions-none.txt" ]; then
			echo "## Instructions per message"
			echo
			cat "$data/instructions-none.txt"
			echo
		fi
		return 0
	fi
	medians instructions server
	cat <<EOF
## Instructions per message

The ping-pong at $INSTR_CONNS connections, once, with the server under
valgrind's callgrind: the instructions the server ran in user space over
a $WINDOW s window after the warm-up (\`callgrind_control\` zeroes the
counts as it starts and dumps them as it ends), per message echoed in
it. Unlike CPU time this does not depend on what else the machine does;
it leaves out the kernel's work in each system call, which is most of a
message's cost. msgs/s: the client's, under valgrind. Node.js is left out
(its JIT compiler under valgrind measures valgrind).

EOF
	table "$tmp/med-instructions.tsv" server:server:name rate:msgs/s:int \
		msgs:messages:int instructions:instructions:int \
		per_msg:per_message:n1
	echo
}

# ---- Targets ----------------------------------------------------------------

# target TEXT FIGURES VALUE LIMIT: a row of the targets table: holds if
# VALUE <= LIMIT; if not, by how much it misses.
target() {
	local verdict
	if [ -z "$3" ] || [ -z "$4" ] || [ "$3" = n/a ] || [ "$4" = n/a ]; then
		verdict="n/a"
	elif [ "$(calc "$3 <= $4")" = 1 ]; then
		verdict=yes
	else
		verdict="**NO**: $(fmt %+.1f "$(pct "$3" "$4")")%"
	fi
	echo "| $1 | $2 | $verdict |"
}

# within TEXT FIGURES VALUE BASE PCT: holds if VALUE is at most PCT % above
# BASE.
within() {
	local limit=""
	[ -n "$4" ] && [ "$4" != n/a ] && limit=$(calc "$4 * (1 + $5 / 100)")
	target "$1" "$2" "$3" "$limit"
}

report_targets() {
	local rows
	echo "## Targets"
	echo
	rows=$(target_rows)
	if [ -z "$rows" ]; then
		echo "None of the targets the issues set applies to what was"
		echo "measured here."
		echo
		return 0
	fi
	echo "The figures the issues ask for, from the medians above; a miss"
	echo "says by how much (in % of the limit)."
	echo
	echo "| target | figures | holds |"
	echo "|---|---|---|"
	echo "$rows"
	echo
	cat <<EOF
System calls per message: a stage makes one read and one write per
message; the rest is epoll_wait, one per wake-up, shared by the
connections ready at that moment, so it depends on timing (how many are
ready each time), not on the code. CPU time on a virtual machine varies by
a third between identical runs (the host's doing): compare servers within
one run, and read the instruction counts for small differences.

EOF
}

# target_rows: the rows of the targets table that apply.
target_rows() {
	local id uv_cpu uv_rss uv_gb v b base
	uv_cpu=$(med pingpong cpu_us_msg server=uv conns=100)
	uv_rss=$(med idle rss_kib server=uv conns=10000)
	uv_gb=$(med bulk cpu_s_gb server=uv mode=plain)
	for id in "${stages[@]}"; do
		[ "$(stage_num "$id")" -ge 4 ] || continue
		v=$(med pingpong cpu_us_msg server="$id" conns=100)
		[ -n "$v" ] && [ -n "$uv_cpu" ] && target \
			"$(name "$id"): CPU per message at most libuv's, 100 connections" \
			"$(fmt %.2f "$v") vs $(fmt %.2f "$uv_cpu") µs" "$v" "$uv_cpu"
		v=$(med pingpong sys_msg server="$id" conns=100)
		[ -n "$v" ] && target \
			"$(name "$id"): at most $MAX_SYSCALLS syscalls per message, 100 connections" \
			"$(fmt %.3f "$v") ($(pp_breakdown "$id" 100))" "$v" \
			"$MAX_SYSCALLS"
	done
	for id in "${stages[@]}"; do
		[ "$(stage_num "$id")" -ge 3 ] || continue
		v=$(med idle rss_kib server="$id" conns=10000)
		[ -n "$v" ] && [ -n "$uv_rss" ] && target \
			"$(name "$id"): RSS at most libuv's, 10,000 idle connections" \
			"$(fmt %.2f "$(calc "$v / 1024")") vs $(fmt %.2f "$(calc "$uv_rss / 1024")") MiB" \
			"$v" "$uv_rss"
		# The plan's own limits: 6 MiB, 8 MiB once each connection
		# has an idle timer.
		b=6
		expects "$id" idle-timeout works && b=8
		[ -n "$v" ] && target \
			"$(name "$id"): RSS at most $b MiB, 10,000 idle connections" \
			"$(fmt %.2f "$(calc "$v / 1024")") MiB" "$v" $((b * 1024))
	done
	for id in "${stages[@]}"; do
		[ "$(stage_num "$id")" -ge 4 ] || continue
		v=$(med bulk cpu_s_gb server="$id" mode=plain)
		[ -n "$v" ] && [ -n "$uv_gb" ] && target \
			"$(name "$id"): bulk CPU per GB at most libuv's" \
			"$(fmt %.2f "$v") vs $(fmt %.2f "$uv_gb") s/GB" "$v" "$uv_gb"
	done
	# The echo path of each stage from 05 on against the one it grew
	# from: 05 against 04; a pool stage against the last one without.
	for id in "${stages[@]}"; do
		[ "$(stage_num "$id")" -ge 5 ] || continue
		base=$(echo_base "$id")
		[ -n "$base" ] || continue
		v=$(med instructions per_msg server="$id")
		b=$(med instructions per_msg server="$base")
		[ -n "$v" ] && [ -n "$b" ] && within \
			"$(name "$id"): instructions per message at most $MAX_DIFF% above $(name "$base")'s" \
			"$(fmt %.1f "$v") vs $(fmt %.1f "$b") ($(fmt %+.1f "$(pct "$v" "$b")")%)" \
			"$v" "$b" "$MAX_DIFF"
		v=$(med pingpong sys_msg server="$id" conns=100)
		b=$(med pingpong sys_msg server="$base" conns=100)
		[ -n "$v" ] && [ -n "$b" ] && within \
			"$(name "$id"): syscalls per message at most $MAX_DIFF% above $(name "$base")'s, 100 connections" \
			"$(fmt %.3f "$v") vs $(fmt %.3f "$b") ($(fmt %+.1f "$(pct "$v" "$b")")%)" \
			"$v" "$b" "$MAX_DIFF"
	done
	return 0
}

# pp_breakdown ID CONNS: "read R, write W, epoll_wait P, epoll_ctl C,
# other O" per message.
pp_breakdown() {
	local r w p c o
	r=$(med pingpong read_msg server="$1" conns="$2")
	w=$(med pingpong write_msg server="$1" conns="$2")
	p=$(med pingpong poll_msg server="$1" conns="$2")
	c=$(med pingpong ctl_msg server="$1" conns="$2")
	o=$(med pingpong other_msg server="$1" conns="$2")
	echo "read $(fmt %.2f "$r"), write $(fmt %.2f "$w")," \
		"epoll_wait $(fmt %.2f "$p"), epoll_ctl $(fmt %.2f "$c")," \
		"other $(fmt %.2f "$o")"
}

# echo_base ID: the stage whose echo path stage ID's is compared with: for
# a pool stage, the last stage before the pools; else the one before.
echo_base() {
	local id prev="" before_pool=""
	for id in "${stages[@]}"; do
		if has_pool "$id"; then
			[ "$id" = "$1" ] && echo "$before_pool" && return
		else
			before_pool=$id
			[ "$id" = "$1" ] && echo "$prev" && return
		fi
		prev=$id
	done
}

# ---- Every run --------------------------------------------------------------

report_runs() {
	local kind
	echo "## Every run"
	echo
	echo "The medians above come from these. \"run\": the order they ran in"
	echo "(interleaved: every server once, then again)."
	echo
	for kind in idle pingpong bulk connect pool instructions; do
		[ -s "$data/$kind.tsv" ] || continue
		echo "<details><summary>$kind ($(($(wc -l <"$data/$kind.tsv") - 1)) rows)</summary>"
		echo
		awk -F'\t' '
		FILENAME ~ /names.tsv$/ { names[$1] = $2; next }
		FNR == 1 { h = "|"; r = "|"; for (i = 1; i <= NF; i++) { h = h " " $i " |"; r = r "---|" } print h; print r; next }
		{
			l = "|"
			for (i = 1; i <= NF; i++) {
				v = $i
				if (i == 1 && (v in names))
					v = names[v]
				else if (v ~ /^-?[0-9]+\.[0-9]+$/)
					v = sprintf("%.3f", v)
				l = l " " v " |"
			}
			print l
		}' \
			"$tmp/names.tsv" "$data/$kind.tsv"
		echo
		echo "</details>"
		echo
	done
}

# report: the whole of results.md, to stdout.
report() {
	names_file
	echo "# Benchmark results"
	echo
	echo "Made by \`$BENCH_COMMAND\`; the raw figures are in \`data/\`,"
	echo "the plots in this directory. Figures are this machine's, not the"
	echo "code's alone: compare servers within one run."
	echo
	report_machine
	report_plots
	report_idle
	report_pingpong
	report_bulk
	report_connect
	report_pool
	report_instructions
	report_targets
	report_runs
}
