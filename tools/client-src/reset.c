#define _GNU_SOURCE
/*
 * reset.c - reset: send, wait for the echo to start, then close with a RST
 * while the server is writing.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"

#define RESET_WAIT_MS 5000 /* how long reset waits for the echo */

/*
 * Send the message until the echo starts coming back.  Sending stops early
 * if the echo is there and the socket is full: the server is then blocked
 * writing to us, which is just the moment a reset should hit it.
 */
static void send_until_echo(struct conn *c)
{
	struct pollfd pfd = {.fd = c->fd};
	char byte;
	ssize_t r;

	do {
		enum io res = conn_pump(c, true, false);

		if (io_failed(res))
			transfer_failed(c, res);
		pfd.events = POLLIN | (c->sent < c->msg.len ? POLLOUT : 0);
		if (poll_fds(&pfd, 1, RESET_WAIT_MS) == 0)
			die(EXIT_CHECK, "timeout: no echo within %d ms",
			    RESET_WAIT_MS);
	} while (pfd.revents & POLLOUT);
	/* Peek, so the unread echo stays queued and close() must reset. */
	r = recv(c->fd, &byte, 1, MSG_PEEK);
	if (r == 0)
		die(EXIT_CHECK, "server closed before echoing anything");
	if (r < 0 && io_error(c, "recv") == IO_LOST)
		transfer_failed(c, IO_LOST);
}

int cmd_reset(int argc, char **argv, const struct target *t)
{
	struct linger abort_on_close = {.l_onoff = 1, .l_linger = 0};
	struct conn c = {.id = 1};
	size_t bytes = 64 * 1024;
	int opt;

	while ((opt = next_option(argc, argv, "+:n:")) != -1) {
		if (opt == 'n')
			bytes = parse_num(optarg, "-n BYTES", 1, MAX_BYTES);
	}
	no_more_arguments(argc, argv);

	c.fd = open_conn(t);
	set_message(&c, 1, bytes); /* any seed will do */
	send_until_echo(&c);
	/* Lingering for 0 seconds makes close() send a RST, not a FIN. */
	if (setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &abort_on_close,
		       sizeof(abort_on_close)) < 0)
		die(EXIT_IO, "setsockopt SO_LINGER: %s", strerror(errno));
	xclose(c.fd);
	out("reset\n");
	return 0;
}
