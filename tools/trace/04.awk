# 04-nonblocking-writes: a write the kernel takes only part of, the rest
# queued, EPOLLOUT, backpressure. The scenario: a client sends 64 MiB
# without reading until nothing moves; then it reads it all back.

kind == "signal" || kind == "exit" { next }

nm == "accept4" && ok() && cfd == "" {
	say("A client connects; accept4 makes its socket non-blocking " \
	    "(SOCK_NONBLOCK): no call on it will ever wait. It joins the " \
	    "epoll set, for EPOLLIN.")
	show()
	cfd = res
	next
}

cfd == "" { next }
nm != "epoll_wait" && fdarg != cfd && !(nm == "epoll_ctl" && arg(3) == cfd) {
	lookup()
	next
}

# Phase 0: every echo is taken whole.
!phase && !seen_read && nm != "read" { show(); next }
!phase && nm == "read" && !seen_read++ {
	say("Each read's bytes are written back at once, and while the " \
	    "client's socket buffer has room, the kernel takes each write " \
	    "whole.")
	show()
	next
}
!phase && nm == "write" && res == arg(3) + 0 && !whole++ { show(); next }
!phase && (nm != "write" || res == arg(3) + 0) {
	hide("more turns the same: epoll_wait, read, a write taken whole")
	next
}

!phase && nm == "write" {
	phase = 1
	if (err == "EAGAIN")
		say("The client does not read, and its socket buffer is full: " \
		    "write takes nothing and says EAGAIN at once, where a " \
		    "blocking write would wait.")
	else
		say("The client does not read, and its socket buffer is full: " \
		    "the kernel takes only " res " of the " arg(3) + 0 " bytes, " \
		    "and write returns at once with that. A blocking write would " \
		    "wait for the client.")
	show()
	next
}

phase == 1 && nm == "epoll_ctl" && args ~ /EPOLLOUT/ {
	say("The rest goes into the connection's output buffer, and epoll is " \
	    "asked for EPOLLOUT as well: tell me when the socket takes more.")
	show()
	phase = 2
	next
}

phase == 1 { hide("more calls like these") ; next }

phase == 2 && nm == "read" && !queued++ {
	say("More bytes come in: read, and queued behind the rest, with no " \
	    "write: new bytes never go ahead of old ones.")
	show()
	next
}

phase == 2 && !(nm == "epoll_ctl" && args !~ /EPOLLIN/) {
	hide("more turns: epoll_wait, and a read queued behind",
	     "more turn: epoll_wait, and a read queued behind")
	next
}

phase == 2 {
	say("Past HIGH_WATER (256 KiB queued) the server stops reading from " \
	    "this client: EPOLLOUT only. Backpressure: its bytes wait in the " \
	    "kernel, and the client's writes stall.")
	show()
	phase = 3
	next
}

phase == 3 && nm == "epoll_wait" {
	say("Now the loop sleeps: nothing to read that it wants, nothing it " \
	    "can write. Until the client reads at last, and epoll reports " \
	    "EPOLLOUT.")
	show()
	phase = 4
	next
}

phase == 4 && nm == "write" && !drained++ {
	say("The queued echo is written: as much as the kernel takes.")
	show()
	next
}

phase == 4 && nm == "epoll_ctl" {
	say("Each change of interest is one epoll_ctl: here, reading again " \
	    "(EPOLLIN), and EPOLLOUT only while bytes wait.")
	show()
	phase = 5
	next
}

phase == 5 && nm == "read" && res == 0 {
	say("All 64 MiB came back, in order; the client leaves: EOF, out of " \
	    "the set, closed.")
	show()
	phase = 6
	next
}

phase == 5 {
	hide("more calls: the same cycle, until all 64 MiB has come back")
	next
}

phase == 6 && nm != "epoll_wait" { show(); next }
phase == 6 { next }

{ hide("more calls") }
