# 01-blocking: accept blocks, then read and write block on one client.
# The scenario: no client for half a second, then one that pings three
# times, 300 ms apart, and leaves.

kind == "signal" || kind == "exit" { next }

nm == "accept4" && kind != "start" && res >= 0 && cfd == "" && !served {
	say("accept4 blocks until a client connects: the only thread waits, " \
	    "doing nothing else. It returns the new connection's fd.")
	show()
	cfd = res
	next
}

cfd == "" || fdarg != cfd {
	if (served && nm == "accept4") {
		say("Back to accept4, which blocks until the next client comes (here " \
		    "none did: we stopped the server). While a client is served, " \
		    "nobody calls accept4: a second client would wait in the " \
		    "listen backlog.")
		show()
	} else if (cfd != "") {
		lookup()
	}
	next
}

nm == "read" && res > 0 && reads++ == 0 {
	say("read waits for the client's bytes, and returns what came: 8 bytes.")
	show()
	next
}

nm == "write" && writes++ == 0 {
	say("write sends them back: the echo. It returns once the kernel has " \
	    "taken all 8 bytes (write_all() would retry a short write).")
	show()
	next
}

nm == "read" && res > 0 && reads == 2 {
	say("read blocks again until the next message: the client waits 300 ms " \
	    "between pings, and so does the server.")
	show()
	next
}

nm == "read" && res == 0 {
	say("read returns 0: the client has closed its end (EOF).")
	show()
	next
}

nm == "close" {
	say("close its socket, and the loop goes back to accept4.")
	show()
	cfd = ""
	served = 1
	next
}

{ show() }
