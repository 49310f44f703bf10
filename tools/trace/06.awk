# 06-threadpool-selfpipe: blocking work in a pool, its completions
# through a self-pipe. The scenario: one client echoes 8 bytes and leaves;
# then 8 connect at once. strace holds each epoll_wait back 20 ms.

kind == "signal" || kind == "exit" { next }

nm == "pipe2" && rfd == "" {
	split(args, p, /[][, ]+/)
	rfd = p[2] + 0
	wfd = p[3] + 0
	say("The self-pipe: pipe2 makes a pipe, both ends non-blocking. The " \
	    "loop watches its read end, fd " rfd ", like a socket; the workers " \
	    "will write to the other, fd " wfd ".")
	show()
	next
}
rfd == "" { next }
nm == "epoll_ctl" && arg(3) == rfd && !added++ { show(); next }

nm == "accept4" && ok() && !accepts++ {
	say("A client connects. Its name lookup is the first job: the pool " \
	    "starts its workers (4 clone3s), queues the job, and the loop " \
	    "goes on at once: the echo does not wait for the name.")
	show()
	next
}
!accepts { next }

tid != main && nm == "read" && !(fdarg == rfd) && !looking++ {
	say("Meanwhile, on a worker thread, the blocking part: getnameinfo() " \
	    "reads /etc/hosts and others.")
	show()
	next
}
tid != main && (nm == "read" || nm == "close") && !woke {
	hide("more calls of the lookup's, on the worker", "more call of the lookup's")
	next
}

tid != main && nm == "write" && fdarg == wfd && !woke++ {
	say("The job is done: the worker puts it on the done list, and " \
	    "writes one byte into the pipe.")
	show()
	next
}

tid == main && nm == "read" && fdarg != rfd && res > 0 && !echoed++ {
	say("The loop echoes the client's bytes meanwhile: nothing on the " \
	    "loop waits for the name.")
	show()
	next
}

tid == main && nm == "epoll_wait" && woke == 1 && pretty() ~ ("fd " rfd "}") &&
    !wake++ {
	say("The pipe's read end is readable: epoll_wait wakes the loop, as " \
	    "for any socket.")
	show()
	next
}

tid != main && nm == "write" && fdarg == 2 && !logged++ { show(); next }

tid == main && nm == "read" && fdarg == rfd && ok() && !drained++ {
	say("The loop reads the byte, takes the done list and runs the job's " \
	    "callback on its own thread. The client's \"open\" line can now be " \
	    "logged: writing it is a job too, and a worker writes it.")
	show()
	next
}


tid == main && nm == "read" && fdarg == rfd && res >= 2 && !many++ {
	say("Then 8 clients at once: 8 lookups and their log lines. While " \
	    "the loop was busy (here, held 20 ms in each epoll_wait), " res \
	    " jobs finished, " res " bytes: one read takes them all, and the " \
	    "loop runs every job on the done list.")
	show()
	next
}

many {
	hide("more calls: the same, until every client is named and logged")
	next
}
drained && !many {
	hide("more calls: clients, lookups and one-byte writes",
	     "more call")
	next
}

{ show() }
