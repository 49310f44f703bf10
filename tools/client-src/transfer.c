#define _GNU_SOURCE
/*
 * transfer.c - one connection's whole message: sent while its echo is read
 * and checked, at a reader's pace if asked, with an optional half-close.
 * echo and hog are written with it.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "client.h"

/* The failure messages of the commands with one connection. */
_Noreturn void transfer_failed(const struct conn *c, enum io res)
{
	if (res == IO_MISMATCH)
		die(EXIT_CHECK, "mismatch at byte %zu", c->recvd);
	if (res == IO_EOF)
		die(EXIT_CHECK, "server closed after %zu of %zu bytes",
		    c->recvd, c->msg.len);
	die(EXIT_CHECK, "server closed after %zu of %zu bytes (%s)", c->recvd,
	    c->msg.len, strerror(c->error));
}

/* After a half-close, the server must end its side too, and send no more. */
static void expect_eof(struct conn *c, int idle_ms)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	char byte;

	for (;;) {
		ssize_t r;

		if (poll_fds(&pfd, 1, idle_ms) == 0)
			die(EXIT_CHECK,
			    "timeout: %zu of %zu bytes back, but no EOF",
			    c->recvd, c->msg.len);
		r = recv(c->fd, &byte, 1, 0);
		if (r == 0)
			return;
		if (r > 0)
			die(EXIT_CHECK, "server sent more than %zu bytes",
			    c->msg.len);
		if (io_error(c, "recv") == IO_LOST)
			die(EXIT_CHECK, "server reset instead of closing (%s)",
			    strerror(c->error));
	}
}

/*
 * Send the rest of c's message while reading its echo; both at once, or a
 * large transfer would deadlock with both sides' buffers full.  Gives up
 * after idle_ms without a byte moving either way.  With rate (bytes a
 * second) above 0, reads no faster than that.
 */
void transfer(struct conn *c, bool half_close, int idle_ms, uint64_t rate)
{
	int64_t start = now_ms(), last_progress = start;
	size_t n = c->msg.len;
	bool shut = false;

	for (;;) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		int left = idle_ms - (int)(now_ms() - last_progress);
		size_t before = c->sent + c->recvd;
		int64_t read_at = 0, now = now_ms();
		bool pacing = false;
		enum io res;

		if (rate > 0)
			read_at = start + (int64_t)(c->recvd * 1000 / rate);
		if (read_at > now) {
			/* Too fast: sleep until the next read is due. */
			pacing = true;
			pfd.events = 0;
			last_progress = now; /* pacing is not a stall */
			left = idle_ms;
			if (left > read_at - now)
				left = (int)(read_at - now);
		}

		if (half_close && !shut && c->sent == n) {
			if (shutdown(c->fd, SHUT_WR) < 0)
				die(EXIT_IO, "shutdown: %s", strerror(errno));
			shut = true;
		}
		if (c->recvd == n)
			break;
		if (c->sent < n)
			pfd.events |= POLLOUT;
		if (left <= 0 || poll_fds(&pfd, 1, left) == 0) {
			if (pacing)
				continue; /* time to read again */
			die(EXIT_CHECK, "timeout: %zu of %zu bytes back",
			    c->recvd, n);
		}
		res = conn_pump(c, pfd.revents & POLLOUT,
				pfd.revents & (POLLIN | POLLHUP | POLLERR));
		if (io_failed(res))
			transfer_failed(c, res);
		if (c->sent + c->recvd != before)
			last_progress = now_ms();
	}
	if (half_close)
		expect_eof(c, idle_ms);
}
