# shellcheck shell=bash
# peers.sh - the servers tools/bench measures: every stage directory that
# exists (NN-*/), the libuv peer (tools/uv-echo.c) and the Node.js peer
# (tools/node-echo.js); what each one can do; how to start one.
#
# What a stage can do is read from its `expect` file (the suite's own
# record of it, see test/behaviours) or, failing that, from its usage
# text, so a new stage joins the bench without an edit here:
#
#   concurrency limit   one client at a time (01): ping-pong and bulk
#                       with 1 connection, no idle table
#   one-thread limit    a thread per connection (02): idle up to where
#                       the machine stops it
#   pool, or slow-lookup works on one thread
#                       name lookups in a thread pool (06 on): the pool
#                       table, with fast and with slow lookups
#   children, or -e in its usage
#                       a child process per connection (07): -e cat in
#                       the bulk and connect tables

CLIENT=tools/client
FAULT_SO=tools/fault.so
LOAD=build/bench/load
UV_ECHO=build/bench/uv-echo
NODE_ECHO=tools/node-echo.js
declare -A server_bin=() # ID -> the server program measured

# copy_programs: the programs measured, and the clients, copied once built,
# so that the whole run measures one build, even if the tree is rebuilt
# meanwhile; the variables above then name the copies.
copy_programs() {
	local id bin=$tmp/bin
	mkdir -p "$bin"
	for id in "${stages[@]}"; do
		cp "${stage_dirs[$id]}/server" "$bin/$id-server"
		server_bin[$id]=$bin/$id-server
	done
	cp "$CLIENT" "$bin/client" && CLIENT=$bin/client
	cp "$FAULT_SO" "$bin/fault.so" && FAULT_SO=$bin/fault.so
	cp "$LOAD" "$bin/load" && LOAD=$bin/load
	if [[ " ${peers[*]} " == *" uv "* ]]; then
		cp "$UV_ECHO" "$bin/uv-echo" && UV_ECHO=$bin/uv-echo
	fi
	cp "$NODE_ECHO" "$bin/node-echo.js" && NODE_ECHO=$bin/node-echo.js
}

stages=() # every stage: 01 02 ...
peers=()  # the peers that can run here: uv, node
notes=()  # what is left out, and why: for the results
declare -A stage_dirs=()   # ID -> its directory
declare -A expect_cache=() # ID:BEHAVIOUR -> works or limit
declare -A usage_cache=()  # ID -> its usage text

# find_stages: the stage directories, and what their expect files say.
find_stages() {
	local d id b v
	for d in [0-9][0-9]-*/; do
		[ -f "$d/server.c" ] || continue
		id=${d%%-*}
		stages+=("$id")
		stage_dirs[$id]=${d%/}
		[ -f "$d/expect" ] || continue
		while read -r b v; do
			case $b in '' | '#'*) continue ;; esac
			expect_cache[$id:$b]=$v
		done <"$d/expect"
	done
	[ ${#stages[@]} -gt 0 ] || die "no stage directories found"
}

is_stage() {
	[ -n "${stage_dirs[$1]:-}" ]
}

# expects ID BEHAVIOUR VALUE...: whether the expect file says one of them.
expects() {
	local v=${expect_cache[$1:$2]:-} want
	shift 2
	for want in "$@"; do
		[ "$v" = "$want" ] && return 0
	done
	return 1
}

single_client() {
	is_stage "$1" && expects "$1" concurrency limit
}

thread_per_conn() {
	is_stage "$1" && expects "$1" one-thread limit
}

has_pool() {
	is_stage "$1" || return 1
	expects "$1" pool works limit ||
		{ expects "$1" slow-lookup works && expects "$1" one-thread works; }
}

# has_children ID: call it in the main shell, not in $(...): it keeps the
# usage text it reads.
has_children() {
	is_stage "$1" || return 1
	expects "$1" children works limit && return 0
	if [ -z "${usage_cache[$1]:-}" ]; then
		usage_cache[$1]=$("${server_bin[$1]}" -h 2>&1 || true)
	fi
	[[ ${usage_cache[$1]} == *"-e "* ]]
}

# stage_num ID: the stage's number (10#: 08 is not octal), or 0 for a peer.
stage_num() {
	if is_stage "$1"; then
		echo $((10#$1))
	else
		echo 0
	fi
}

# Find the peers; build the libuv one, where libuv is installed.
find_peers() {
	if pkg-config --exists libuv 2>/dev/null; then
		make -s "$UV_ECHO" >"$tmp/make.log" 2>&1 || {
			cat "$tmp/make.log" >&2
			die "building $UV_ECHO failed"
		}
		peers+=(uv)
	else
		notes+=("The libuv peer is left out: libuv is not installed" \
			"(Debian: apt-get install libuv1-dev pkg-config).")
	fi
	if command -v node >/dev/null; then
		peers+=(node)
	else
		notes+=("The Node.js peer is left out: \`node\` is not" \
			"installed (Debian: apt-get install nodejs).")
	fi
}

# name ID: the server's name in the tables (find_names first).
declare -A names=()
name() {
	echo "${names[$1]:-$1}"
}

# find_names: the servers' names, once (name runs in subshells).
find_names() {
	local id
	for id in "${stages[@]}"; do
		names[$id]=${stage_dirs[$id]}
	done
	names[uv]="libuv $(pkg-config --modversion libuv 2>/dev/null || echo ?)"
	names[node]="Node.js $(node --version 2>/dev/null || echo ?)"
}

# mode_name ID MODE: how a server runs in a mode, for the tables.
mode_name() {
	case $2 in
	plain) echo - ;;
	cat) if [ "$1" = node ]; then echo "spawn('cat')"; else echo "-e cat"; fi ;;
	log) echo "log, lookups" ;;
	slow) echo "log, ${LOOKUP_MS} ms lookups" ;;
	esac
}

# start_server ID MODE [CPU]: start server ID (a stage, uv or node) in a
# mode, pinned to CPU if one is given:
#   plain  the echo, no log (-q)
#   cat    each connection through a child `cat` (07's -e, Node's spawn)
#   log    the log on, to a file, with a name lookup per connection
#   slow   the same, each lookup made LOOKUP_MS slower by tools/fault.so
# Sets server_pid, server_guard, server_port; server_log for log and slow.
start_server() {
	local id=$1 mode=$2 cpu=${3:-} out=$tmp/server.out pin=() cmd=()
	server_log=$tmp/server.log
	: >"$server_log"
	[ -n "$cpu" ] && pin=(taskset -c "$cpu")
	case $id in
	uv) cmd=("${server_wrap[@]}" "$UV_ECHO" -p 0) ;;
	node) cmd=(node "$NODE_ECHO" -p 0) ;;
	*) cmd=("${server_wrap[@]}" "${server_bin[$id]}" -p 0) ;;
	esac
	case $mode in
	plain) ;;
	cat) cmd+=(-e cat) ;;
	log) cmd+=(-l "$server_log") ;;
	slow)
		cmd=(env LD_PRELOAD="$FAULT_SO" FAULT_LOOKUP_MS="$LOOKUP_MS"
			"${cmd[@]}" -l "$server_log")
		;;
	esac
	# No log where none is measured (the peers have none).
	if is_stage "$id" && { [ "$mode" = plain ] || [ "$mode" = cat ]; }; then
		cmd+=(-q)
	fi
	spawn 900 "$out" "${pin[@]}" "${cmd[@]}"
	server_pid=$spawned
	server_guard=$guard
	wait_line "$out" "listening on " 30
	server_port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out")
}

# stop_server: TERM, and KILL if it has not gone within 3 s (07 waits for
# its clients on TERM; a server with slow lookups may have many pending).
stop_server() {
	local i
	kill "$server_guard" 2>/dev/null || true
	for ((i = 0; i < 150; i++)); do
		running "$server_guard" || break
		sleep 0.02
	done
	if child_of "$server_pid" "$server_guard"; then
		kill -KILL "$server_pid" 2>/dev/null || true
	fi
	await "$server_guard" 10 || true # killed: not an error
}
