# What every stage's story (tools/trace/NN.awk) shares: parsing a line of
# `strace -f -ttt -T` output, showing it shortened, captions, and the lines
# left out. Run with -v main=PID (the server) -v skip=PID (the timeout that
# started it) -v threads=1 to label each line with its thread.
#
# For each line of the server's, before the story's rules run:
#   tid, ts     the thread, and the time in seconds since the trace began
#   kind        "call" (whole), "start" (unfinished: another thread's line
#               came between), "end" (its "resumed" half), "signal", "exit"
#   nm          the syscall's name
#   args        its arguments, as text (for an "end", those of its start)
#   res         its result, a number, or "" while unknown; err: EAGAIN...
#   dur         seconds spent in it ("" for a start)
#   fdarg       its first argument as a number (the fd, for most calls)

BEGIN {
	t0 = ""
	nthreads = 0
	wrap = 72
}

$1 == skip { next }

{
	tid = $1
	if (t0 == "")
		t0 = $2
	ts = $2 - t0
	line = $0
	sub(/^[0-9]+ +[0-9.]+ /, "", line)
	dur = ""
	if (match(line, / <[0-9.]+>$/)) {
		dur = substr(line, RSTART + 2, RLENGTH - 3) + 0
		line = substr(line, 1, RSTART - 1)
	}
	res = ""
	err = ""
	if (line ~ /^---/) {
		kind = "signal"
		nm = line
		sub(/^--- /, "", nm)
		sub(/ .*/, "", nm)
	} else if (line ~ /^\+\+\+/) {
		kind = "exit"
		nm = ""
	} else if (line ~ /^<\.\.\. /) {
		kind = "end"
		nm = line
		sub(/^<\.\.\. /, "", nm)
		sub(/ resumed>.*/, "", nm)
		args = pending[tid]
		delete pending[tid]
		rest = line
		sub(/^<\.\.\. [a-z0-9_]+ resumed> ?/, "", rest)
		args = args rest
	} else {
		nm = substr(line, 1, index(line, "(") - 1)
		args = substr(line, index(line, "(") + 1)
		if (line ~ / <unfinished \.\.\.>$/) {
			kind = "start"
			sub(/ +<unfinished \.\.\.>$/, "", args)
			pending[tid] = args
		} else {
			kind = "call"
		}
	}
	if (kind == "call" || kind == "end") {
		if (match(line, /\) += -?[0-9]+/)) {
			res = substr(line, RSTART, RLENGTH)
			sub(/^\) += /, "", res)
			res += 0
		} else if (match(line, /\) += \? /)) {
			res = "?"
		}
		if (match(line, / = -?[0-9?]+ E[A-Z]+/)) {
			err = substr(line, RSTART, RLENGTH)
			sub(/.* /, "", err)
		}
		if (nm == "epoll_ctl" && args ~ /data=\{u32=/)
			note_watch()
	}
	fdarg = args + 0
	if (!(tid in label)) {
		label[tid] = tid == main ? "main" : "thread " ++nthreads
	}
}

# arg(n): the nth argument, as text.
function arg(n,  a) {
	split(args, a, /, /)
	return a[n]
}

# epoll_ctl's data is the watcher's address: remember which fd it stands
# for, so that epoll_wait's events can name their fd.
function note_watch(  d) {
	d = args
	sub(/.*u64=/, "", d)
	sub(/[^0-9].*/, "", d)
	fd_of[d] = arg(3) + 0
}

# ok(): the call returned, and did not fail.
function ok() {
	return res != "" && res != "?" && res + 0 >= 0
}

# events(): how many fds the epoll_wait on this line reported.
function events() {
	return res > 0 ? res : 0
}

# pretty(): the line, shortened for reading.
function pretty(  s, d, f, ev) {
	s = line
	if (kind == "start")
		s = nm "(" args " ..."
	if (kind == "end") {
		s = line
		sub(/^<\.\.\. [a-z0-9_]+ resumed> ?/, "", s)
		s = "... " nm " returns: " s
	}
	# epoll's data: the fd it stands for
	while (match(s, /data=\{u32=[0-9]+, u64=[0-9]+\}/)) {
		d = substr(s, RSTART, RLENGTH)
		sub(/.*u64=/, "", d)
		sub(/\}$/, "", d)
		f = (d in fd_of) ? "fd " fd_of[d] : "?"
		s = substr(s, 1, RSTART - 1) f substr(s, RSTART + RLENGTH)
	}
	gsub(/\{events=/, "{", s)
	if (kind == "signal")
		sub(/ \{si_signo=.*\} ---$/, " ---", s)
	gsub(/\{sa_family=AF_INET6?, sin6?_port=htons\(/, "{port ", s)
	gsub(/\), sin6?_addr=inet_(addr|pton)\([^)]*\)\}/, "}", s)
	gsub(/\[128 => [0-9]+\]/, "[...]", s)
	gsub(/\) +=/, ") =", s)
	gsub(/ \(DELAYED\)/, "", s)
	sub(/ = \? ERESTART[A-Z_]+ \(To be restarted[^)]*\)/, " = ?   (interrupted: the server was stopped)", s)
	gsub(/ \(Interrupted system call\)/, "", s)
	gsub(/ \(Resource temporarily unavailable\)/, "", s)
	if (nm == "clone3" && kind != "end") {
		f = s
		sub(/.*stack_size=/, "", f)
		sub(/[,}].*/, "", f)
		s = "clone3({flags=CLONE_VM|CLONE_FILES|CLONE_THREAD|..., stack_size=" f "}) = " res
	}
	if (dur != "" && dur >= 0.05 && kind != "start")
		s = s sprintf("   (blocked %.3f s)", dur)
	if (note != "")
		s = s "   [" note "]"
	return s
}

# formatted(): this line as show() prints it.
function formatted() {
	if (threads)
		return sprintf("  %8.3f  %-9s %s", ts, label[tid], pretty())
	return sprintf("  %8.3f  %s", ts, pretty())
}

# show(): print this line.
function show() {
	flush()
	print formatted()
}

# say(TEXT): a caption for the lines that follow.
function say(text,  n, w, i, out, col) {
	flush()
	print ""
	n = split(text, w, " ")
	out = "  --"
	col = 4
	for (i = 1; i <= n; i++) {
		if (col + 1 + length(w[i]) > wrap) {
			print out
			out = "    "
			col = 4
		}
		out = out " " w[i]
		col += 1 + length(w[i])
	}
	print out
}

# hide(WHAT [, ONE]): leave this line out, counted under WHAT, which is
# said before the next line or caption shown: "... 12 WHAT" (or "... 1
# ONE", when there is one line and ONE is given).
function hide(what, one) {
	if (hidden_what != "" && hidden_what != what)
		flush()
	hidden_what = what
	hidden_one = one
	hidden++
}

# lookup(): leave out a call of the name lookup's (getnameinfo() reading
# /etc/hosts, /etc/nsswitch.conf...), counted.
function lookup() {
	hide("calls on other fds: getnameinfo() names the client " \
	     "(reads /etc/hosts...)",
	     "call on another fd: getnameinfo() naming the client for the log")
}

function flush() {
	if (hidden > 0)
		printf "  %8s  ... %d %s\n", "", hidden,
		    hidden == 1 && hidden_one != "" ? hidden_one : hidden_what
	hidden = 0
	hidden_what = ""
}

END {
	flush()
}
