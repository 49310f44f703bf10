# 07-signals-children: a signal through the self-pipe. The scenario: a
# client connects and stays; then the server is sent a signal it catches.
# Written before the stage: it keys on what the trace shows (the pipe2
# pairs, the signal, the handler's write), not on the stage's names.

kind == "exit" { next }

nm == "pipe2" && ok() {
	split(args, p, /[][, ]+/)
	read_end[p[3] + 0] = p[2] + 0
}

# A call the signal interrupts ends (EINTR) before the signal's line.
sig == "" && kind != "signal" && (err == "EINTR" || line ~ /= \? ERESTART/) {
	interrupted[tid] = formatted()
}

kind == "signal" && nm != "SIGCHLD" && nm != "SIGPIPE" && sig == "" {
	sig = nm
	sigtid = tid
	say("The signal arrives (" sig "): the kernel stops the thread where it " \
	    "is and runs the handler. A syscall it was waiting in, such as " \
	    "epoll_wait, returns EINTR, and the loop goes round again.")
	if (tid in interrupted) {
		flush()
		print interrupted[tid]
	}
	show()
	next
}

sig == "" {
	delete interrupted[tid]
	if (err == "EINTR" || line ~ /= \? ERESTART/)
		interrupted[tid] = formatted()
	hide("calls before the signal: start-up, a client")
	next
}

tid == sigtid && nm == "write" && wfd == "" {
	wfd = fdarg
	rfd = (wfd in read_end) ? read_end[wfd] : ""
	say("The handler does one thing: it writes the signal's number into " \
	    "a pipe whose read end" (rfd != "" ? ", fd " rfd "," : "") " the " \
	    "loop watches. write() is async-signal-safe; printf, malloc and " \
	    "the loop's own state are not.")
	show()
	next
}

nm == "epoll_wait" && rfd != "" && pretty() ~ ("fd " rfd "}") && !woke++ {
	say("The pipe's read end is readable: epoll_wait wakes the loop.")
	show()
	next
}

nm == "read" && rfd != "" && fdarg == rfd && ok() && !readit++ {
	say("The loop reads the signal's number, and runs the signal's " \
	    "callback as ordinary code, on its own thread, between the others: " \
	    "what follows is that callback's work.")
	show()
	next
}

readit && after++ < 4 { show(); next }
readit { hide("more calls") ; next }
{ show() }
