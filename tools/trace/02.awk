# 02-thread-per-conn: a clone3 for each client. The scenario: client 1
# connects and stays; client 2 pings twice and leaves; then client 1 sends
# once more and leaves.

kind == "signal" || kind == "exit" { next }

# Which fds are clients: the name lookup's files come and go meanwhile.
nm == "accept4" && ok() { client[res] = 1 }

tid == main && nm == "accept4" && kind == "call" && !accepted++ {
	say("The main thread blocks in accept4 until client 1 connects.")
	show()
	next
}

nm == "clone3" && kind != "end" {
	if (++clones == 1)
		say("pthread_create(): clone3 makes a thread, a task of its own " \
		    "sharing the process's memory and fds (CLONE_VM, CLONE_FILES), " \
		    "with a stack of its own (8 MiB of address space). It returns " \
		    "the thread's id.")
	else
		say("Client 2 gets a thread of its own the same way, and the main " \
		    "thread is back in accept4.")
	show()
	next
}

tid == main && nm == "accept4" && kind == "start" && clones == 1 && !back++ {
	say("The main thread goes straight back to accept4, while the new " \
	    "thread serves client 1.")
	show()
	next
}

tid == main && nm == "accept4" && kind == "end" {
	if (ok())
		say("Client 2 connects: accept4 returns.")
	else
		say("The main thread still waits in accept4 when we stop the " \
		    "server.")
	show()
	next
}

tid == main && nm != "accept4" && nm != "clone3" {
	if (accepted)
		lookup()
	next
}
(nm == "read" || nm == "write") && !(fdarg in client) { next }

label[tid] == "thread 1" && !t1++ {
	say("Thread 1 reads client 1's first 8 bytes and echoes them, then " \
	    "blocks in read on client 1: only itself waits.")
	show()
	next
}

label[tid] == "thread 2" && !t2++ {
	say("Thread 2 serves client 2 while thread 1 still waits on client 1: " \
	    "each thread blocks only itself.")
	show()
	next
}

nm == "read" && res == 0 {
	say("Its client leaves: " label[tid] "'s read returns 0; it closes the " \
	    "socket, and the thread ends.")
	show()
	next
}

label[tid] == "thread 1" && kind == "end" && nm == "read" {
	say("Client 1 sends again: thread 1's read returns at last.")
	show()
	next
}

{ show() }
