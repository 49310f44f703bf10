# 05-timers: epoll_wait's timeout is the time left until the soonest timer.
# The scenario: server -t 2 (a client silent for 2 s is closed); client A
# connects, echoes 8 bytes and stays silent; 0.5 s later client B does the
# same. Each line with a timeout is annotated with the soonest deadline, as
# this trace sees it: a client's idle timer is due 2 s after it connects
# and, once due, again 2 s after its last byte if that came later.

BEGIN { idle = 2 }

kind == "signal" || kind == "exit" { next }

function name_of(fd) { return fd == a ? "A" : "B" }

# The soonest deadline among the clients still open: sets soon_fd.
function soonest(  fd, best) {
	best = ""
	soon_fd = ""
	for (fd in due)
		if (best == "" || due[fd] < best) {
			best = due[fd]
			soon_fd = fd
		}
	return best
}

function timeout() {
	s = args
	sub(/\) = .*/, "", s)
	sub(/.*, /, "", s)
	return s + 0
}

# show(), with the soonest deadline beside a timeout.
function show_timeout(  d) {
	d = soonest()
	if (d == "")
		show_note("no timer")
	else
		show_note(sprintf("%s's timer due in %d ms", name_of(soon_fd),
		    (d - ts) * 1000))
}

function show_note(text) {
	note = text
	show()
	note = ""
}

nm == "accept4" && ok() {
	fd = res
	if (a == "") {
		a = fd
		say("Client A connects: its idle timer starts, due " idle * 1000 " ms from " \
		    "the loop's now.")
	} else {
		b = fd
		say(sprintf("Client B connects, %.1f s later: its timer is due " \
		    idle * 1000 " ms from now, after A's.", ts - accepted))
	}
	accepted = ts
	due[fd] = ts + idle
	last[fd] = ts
	show()
	next
}

a == "" && nm != "epoll_wait" { next } # starting up
nm == "epoll_ctl" && arg(2) == "EPOLL_CTL_ADD" { next }
nm == "read" && (fdarg in due) && res > 0 { last[fdarg] = ts; show(); next }
nm == "write" && (fdarg in due) { show(); next }
nm == "close" && (fdarg in closing) { show(); delete closing[fdarg]; next }
(nm == "read" || nm == "close") { lookup(); next }
nm == "write" && fdarg == 2 && args ~ /^2, "open/ { show(); next }

nm == "epoll_wait" {
	caption = ""
	if (a == "") {
		if (nowait++)
			next
		caption = "No timer is started: epoll_wait's timeout is -1, for " \
		    "as long as it takes."
	} else if (restarted != "") {
		caption = name_of(restarted) "'s last byte, its echo, came after " \
		    "its timer started: on_idle() starts the timer again, for " \
		    "what is left of " idle " s since that byte."
		restarted = ""
	} else if (b == "" && !first_a++) {
		caption = "The soonest timer is A's: epoll_wait's timeout is the " \
		    "time left until it is due: " idle * 1000 " ms less what this turn of " \
		    "the loop took."
	} else if (b != "" && !first_b++) {
		caption = "The soonest deadline is still A's: the timeout is what " \
		    "is left of A's " idle " s, not B's " idle * 1000 " ms."
	} else if (b != "" && !(a in due) && (b in due) && !told_b++) {
		caption = "Now B's timer is the soonest: the timeout is what is " \
		    "left of B's " idle " s."
	} else if (!(a in due) && !(b in due) && !told_none++) {
		caption = "No timer is left: -1 again, and the loop sleeps until " \
		    "something happens (here: until we stop it)."
	} else if (res == 0 && !fired++) {
		caption = "Nothing came, and epoll_wait returns 0 when A's timer " \
		    "is due: run_timers() runs it."
	}
	if (caption != "")
		say(caption)
	show_timeout()
	# The timers due now run: restarted for the rest if their client
	# sent a byte after they started, else they close it.
	now = ts + dur + 0.002
	if (res == 0)
		for (fd in due)
			if (due[fd] <= now && last[fd] + idle > now) {
				due[fd] = last[fd] + idle
				restarted = fd
			}
	next
}

nm == "write" && fdarg == 2 && args ~ /idle timeout/ {
	fd = args
	sub(/^2, "close fd /, "", fd)
	fd += 0
	say(name_of(fd) " has been silent for " idle " s: on_idle() closes it.")
	show()
	delete due[fd]
	closing[fd] = 1
	next
}

nm == "epoll_wait" && b != "" && !(a in due) && (b in due) && !told_b++ {
	say("Now B's timer is the soonest: the timeout is what is left of B's " \
	    "second.")
	show_timeout()
	next
}

nm == "epoll_wait" && a != "" && !((a in due) || (b in due)) && !told_none++ {
	say("No timer is left: -1 again, and the loop sleeps until something " \
	    "happens (here: until we stop it).")
	show_timeout()
	next
}

nm == "epoll_wait" { show_timeout(); next }

{ show() }
