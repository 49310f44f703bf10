# shellcheck shell=bash
# lib.sh - tools/bench's helpers: the processes it starts, the counters it
# reads, and its arithmetic. Sourced by tools/bench/run.
#
# Every process started here has a time limit and is ended on exit (or ^C).

die() {
	echo "bench: $*" >&2
	exit 1
}

warn() {
	echo "bench: $*" >&2
}

tmp=$(mktemp -d /tmp/bench.XXXXXX)
guards=() # PIDs of the `timeout` wrapping each process we start

# running PID: whether PID is alive and our own child. A PID we started
# that has exited may already be reused by some other process, so its
# parent is checked before anything is killed.
running() {
	child_of "$1" $$
}

# child_of PID PARENT: whether PID is alive (not a zombie) and PARENT's.
child_of() {
	local parent=$2 stat
	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
	stat=${stat##*) } # drop "PID (COMM) ": STATE PPID ...
	# shellcheck disable=SC2086 # split into fields
	set -- $stat
	[ "$1" != Z ] && [ "$2" = "$parent" ]
}

cleanup() {
	local pid
	set +e
	trap - EXIT INT TERM HUP
	for pid in "${guards[@]}"; do
		# timeout passes the TERM on to its command.
		if running "$pid"; then
			kill "$pid" 2>/dev/null
		fi
	done
	for pid in "${guards[@]}"; do
		if running "$pid"; then
			await "$pid" 10 >/dev/null 2>&1
		fi
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# spawn SECS OUT CMD...: run CMD in the background, stdout to OUT and
# stderr to OUT.err, under `timeout` so that it lives at most SECS seconds
# (KILL 5 s after a TERM). Sets `guard` to the timeout's PID and `spawned`
# to CMD's own, the one /proc, perf and signals are for. A leading
# `taskset -c N` may come first: it becomes timeout, which passes the CPU
# on to CMD.
spawn() {
	local secs=$1 out=$2 i
	shift 2
	local pre=()
	if [ "$1" = taskset ]; then
		pre=("$1" "$2" "$3")
		shift 3
	fi
	"${pre[@]}" timeout -k 5 "$secs" "$@" >"$out" 2>"$out.err" &
	guard=$!
	guards+=("$guard")
	for ((i = 0; i < 250; i++)); do
		if spawned=$(pgrep -P "$guard"); then
			return 0
		fi
		running "$guard" || break
		sleep 0.02
	done
	cat "$out.err" >&2
	die "could not start: $*"
}

# await PID SECS: wait for our child PID to end, at most SECS seconds, then
# end it; returns its exit status.
await() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 50; i++)); do
		running "$pid" || break
		sleep 0.02
	done
	if running "$pid"; then
		warn "process $pid still running after ${secs}s: ending it"
		kill "$pid" 2>/dev/null || true
	fi
	# (bash's "Killed" notice for a server we killed: not for the log)
	wait "$pid" 2>/dev/null
}

# wait_line FILE TEXT SECS: wait until a line of FILE starts with TEXT,
# while the process of the last spawn (its guard) lives.
wait_line() {
	local file=$1 text=$2 secs=$3 pid=$guard i
	for ((i = 0; i < secs * 50; i++)); do
		grep -q "^$text" "$file" && return 0
		running "$pid" || break
		sleep 0.02
	done
	grep -q "^$text" "$file" && return 0
	cat "$file" "$file.err" >&2
	die "no '$text' within ${secs}s"
}

# field NAME LINE: the value of NAME=VALUE in a line of client output.
field() {
	local kv
	for kv in $2; do
		if [ "${kv%%=*}" = "$1" ]; then
			kv=${kv#*=}
			echo "${kv%/s}"
			return 0
		fi
	done
	die "no $1= in: $2"
}

# The number of sockets a process has open (its other fds come and go as
# it starts: Node's do).
socket_count() {
	find "/proc/$1/fd" -lname 'socket:*' 2>/dev/null | wc -l
}

# ---- Counters ---------------------------------------------------------------

# The counters below are read with shell builtins only (no process to
# start), so that all of one snapshot is read within a few microseconds.

# cpu_ticks VAR PID: CPU time (utime + stime) of PID in clock ticks, into
# the variable VAR, from /proc/PID/stat. For a process, all its threads.
cpu_ticks() {
	local var=$1 stat
	read -r stat <"/proc/$2/stat" || return 1
	# shellcheck disable=SC2086 # split into fields
	set -- ${stat##*) } # fields 3.. of stat(5): utime is $12, stime $13
	printf -v "$var" %d $((${12} + ${13}))
}

# family_ticks VAR PID: CPU time of PID and all its descendants, the live
# ones and those already waited for, in clock ticks, into VAR. Each live
# process counts utime + stime + cutime + cstime (stat(5)): its own time
# and its waited-for children's, which move into its parent's cutime and
# cstime when it is waited for in turn. This one walks /proc, so it takes
# a few milliseconds: only for servers that start children.
family_ticks() {
	local var=$1 root=$2 file stat pid ppid total=0
	local -A parent=() times=() in=()
	for file in /proc/[0-9]*/stat; do
		{ read -r stat <"$file"; } 2>/dev/null || continue # gone
		pid=${stat%% *}
		stat=${stat##*) }
		# shellcheck disable=SC2086 # split into fields
		set -- $stat
		parent[$pid]=$2
		times[$pid]=$((${12} + ${13} + ${14} + ${15}))
	done
	in[$root]=1
	# Parents have lower PIDs, mostly; go round until nothing is added.
	local added=1
	while [ $added = 1 ]; do
		added=0
		for pid in "${!parent[@]}"; do
			ppid=${parent[$pid]}
			if [ -z "${in[$pid]:-}" ] && [ -n "${in[$ppid]:-}" ]; then
				in[$pid]=1
				added=1
			fi
		done
	done
	for pid in "${!in[@]}"; do
		total=$((total + ${times[$pid]:-0}))
	done
	printf -v "$var" %d "$total"
}

# busy_ticks VAR: CPU time all CPUs spent busy, in clock ticks, into VAR,
# from /proc/stat.
busy_ticks() {
	local cpu user nice system idle iowait irq softirq rest
	# shellcheck disable=SC2034 # idle and iowait are not busy
	read -r cpu user nice system idle iowait irq softirq rest </proc/stat
	printf -v "$1" %d $((user + nice + system + irq + softirq))
}

# bytes_written VAR PID: bytes PID has written with write() and the like,
# sockets included, into VAR, from /proc/PID/io (all its threads).
bytes_written() {
	local key value
	while read -r key value; do
		if [ "$key" = wchar: ]; then
			printf -v "$1" %d "$value"
			return 0
		fi
	done <"/proc/$2/io"
	die "no wchar in /proc/$2/io"
}

# kib_of VAR KEY FILE: the number after "KEY:" in FILE (/proc/meminfo,
# /proc/PID/status), in kB, into VAR.
kib_of() {
	local key value rest
	while read -r key value rest; do
		if [ "$key" = "$2:" ]; then
			printf -v "$1" %d "$value"
			return 0
		fi
	done <"$3"
	printf -v "$1" %d 0
}

# ---- Arithmetic -------------------------------------------------------------

# calc EXPR: floating-point arithmetic, for the figures.
calc() {
	[ $# -eq 1 ] || die "calc: one expression expected"
	awk "BEGIN { print ($1) }" # parenthesized: '>' must not redirect
}

# median VALUES...: the middle value (the mean of the two middle ones for
# an even count); n/a if any value is n/a.
median() {
	printf '%s\n' "$@" | sort -g | awk '
		/n\/a/ { na = 1 } { v[NR] = $1 }
		END {
			if (na || NR == 0) { print "n/a"; exit }
			m = int((NR + 1) / 2)
			print (NR % 2) ? v[m] : (v[m] + v[m + 1]) / 2
		}'
}

# fmt FORMAT VALUE: printf, but n/a (or nothing) stays n/a.
fmt() {
	if [ "${2:-n/a}" = n/a ]; then
		printf '%s' n/a
	else
		# shellcheck disable=SC2059 # the format is the argument
		printf "$1" "$2"
	fi
}

# group N: N with thousands separated by commas (1234567 -> 1,234,567).
group() {
	if [ "${1:-n/a}" = n/a ]; then
		printf n/a
		return
	fi
	printf '%.0f' "$1" | sed ':a; s/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/; ta'
}

# pct A B: how much A differs from B, in percent of B.
pct() {
	calc "($1 - $2) * 100 / $2"
}
