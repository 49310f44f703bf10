# 03-epoll: one thread, one epoll set, one epoll_wait for every ready fd.
# The scenario: three clients connect and echo 8 bytes each; the server is
# paused (SIGSTOP) while all three send again, then goes on (SIGCONT); the
# clients leave.

# An epoll_wait that a signal interrupts ends (EINTR) before the signal's
# line: held back until we know which signal it was.
nm == "epoll_wait" && err == "EINTR" {
	held = formatted()
	next
}

kind == "signal" && nm == "SIGSTOP" {
	say("We pause the server (SIGSTOP) while the three clients send. " \
	    "epoll_wait returns EINTR: Linux does that for epoll_wait after a " \
	    "stop, even with no handler (signal(7)); the loop just calls it " \
	    "again once the server goes on (SIGCONT).")
	flush()
	if (held != "")
		print held
	held = ""
	show()
	next
}
kind == "signal" && nm == "SIGCONT" { show(); next }
line ~ /^--- stopped by/ { show(); next }

kind == "signal" || kind == "exit" {
	if (held != "") {
		say("Nothing is left but the listener: epoll_wait sleeps until " \
		    "we stop the server.")
		print held
		held = ""
	}
	next
}

nm == "epoll_ctl" && arg(2) == "EPOLL_CTL_ADD" && !listener {
	say("One epoll set for everything: first the listener joins it " \
	    "(EPOLL_CTL_ADD, EPOLLIN: tell me when a client waits).")
	show()
	listener = arg(3) + 0
	watched[listener] = 1
	next
}

!listener || !waits && nm != "epoll_wait" { next } # the ready line

nm == "epoll_wait" && !waits++ {
	say("epoll_wait sleeps until some fd in the set is ready; -1: for as " \
	    "long as it takes. It returns how many are ready, and for each its " \
	    "events and the watcher's pointer (here: the fd it stands for).")
	show()
	next
}

nm == "accept4" && ok() && !accepts++ {
	say("The listener was ready: on_accept() accepts the client, and " \
	    "adds its fd to the same set.")
	show()
	watched[res] = 1
	next
}

nm == "accept4" && ok() { watched[res] = 1 }

nm == "epoll_ctl" && arg(2) == "EPOLL_CTL_ADD" { show(); next }

(nm == "read" || nm == "write" || nm == "close") && !(fdarg in watched) {
	lookup()
	next
}


nm == "epoll_wait" && events() >= 3 && !batch++ {
	say("One epoll_wait, " events() " fds ready at once: the loop calls " \
	    "each one's callback in turn, one read and one write each, and " \
	    "then waits again. No thread waits on any one client.")
	show()
	next
}

nm == "read" && res == 0 && !leaving++ {
	say("The clients leave: read returns 0, and the fd leaves the set " \
	    "(EPOLL_CTL_DEL) before it is closed.")
	show()
	next
}

{ show() }
