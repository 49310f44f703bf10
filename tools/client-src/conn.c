#define _GNU_SOURCE
/*
 * conn.c - connections: connecting, sending a message while checking its
 * echo, many at once under one poll(), and idling until SIGUSR1.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"

static void wait_connected(int fd, const struct target *t)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	socklen_t len = sizeof(int);
	int err;

	if (poll_fds(&pfd, 1, CONNECT_TIMEOUT_MS) == 0)
		die(EXIT_IO, "connect to %s port %u: timed out", t->host,
		    t->port);
	/* The outcome of a non-blocking connect() is read from SO_ERROR. */
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		die(EXIT_IO, "getsockopt: %s", strerror(errno));
	if (err != 0)
		die(EXIT_IO, "connect to %s port %u: %s", t->host, t->port,
		    strerror(err));
}

/*
 * Send every write() at once rather than let Nagle's algorithm merge
 * small ones: -x must reach the server as the pieces it chose, and
 * latencies must not include Nagle's wait.
 */
void set_nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		die(EXIT_IO, "setsockopt TCP_NODELAY: %s", strerror(errno));
}

/*
 * A connected, non-blocking TCP socket.  The connect itself is
 * non-blocking too, so that a server whose accept queue is full makes us
 * fail after CONNECT_TIMEOUT_MS instead of hanging in SYN retries.
 */
int open_conn(const struct target *t)
{
	int type = SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC;
	int fd = socket(t->addr.sa.sa_family, type, 0);

	if (fd < 0)
		die(EXIT_IO, "socket: %s", strerror(errno));
	if (connect(fd, &t->addr.sa, t->len) < 0) {
		if (errno != EINPROGRESS)
			die(EXIT_IO, "connect to %s port %u: %s", t->host,
			    t->port, strerror(errno));
		wait_connected(fd, t);
	}
	set_nodelay(fd);
	return fd;
}

struct conn *open_conns(const struct target *t, size_t n)
{
	struct conn *conns = xcalloc(n, sizeof(*conns));

	for (size_t i = 0; i < n; i++) {
		conns[i].fd = open_conn(t);
		conns[i].id = (unsigned int)i + 1;
	}
	return conns;
}

void close_conns(struct conn *conns, size_t n)
{
	for (size_t i = 0; i < n; i++)
		xclose(conns[i].fd);
	free(conns);
}

/* Sort a failed send() or recv(): not ready, lost connection, or fatal. */
enum io io_error(struct conn *c, const char *call)
{
	if (errno == EAGAIN)
		return IO_AGAIN;
	/* The server reset the connection, or closed it while we wrote. */
	if (errno == ECONNRESET || errno == EPIPE || errno == ETIMEDOUT) {
		c->error = errno;
		return IO_LOST;
	}
	die(EXIT_IO, "%s on connection %u: %s", call, c->id, strerror(errno));
}

static enum io conn_send(struct conn *c)
{
	/* One scratch buffer is enough: we are single-threaded. */
	static unsigned char buf[IO_CHUNK];
	size_t n = c->msg.len - c->sent;
	ssize_t r;

	if (n > IO_CHUNK)
		n = IO_CHUNK;
	if (c->max_write) {
		size_t piece = 1 + rng_next(&c->split) % c->max_write;

		if (n > piece)
			n = piece;
	}
	payload_fill(&c->msg, c->sent, buf, n);
	r = send(c->fd, buf, n, 0);
	if (r < 0)
		return io_error(c, "send");
	c->sent += (size_t)r;
	return IO_PROGRESS;
}

/*
 * Receive and verify more of the echo.  It never reads past the end of the
 * message, so what a server sends too much stays in the socket.
 */
static enum io conn_recv(struct conn *c)
{
	static unsigned char got[IO_CHUNK];
	size_t n = c->msg.len - c->recvd, good;
	ssize_t r;

	if (n > IO_CHUNK)
		n = IO_CHUNK;
	r = recv(c->fd, got, n, 0);
	if (r < 0)
		return io_error(c, "recv");
	if (r == 0)
		return IO_EOF;
	good = payload_match(&c->msg, c->recvd, got, (size_t)r);
	c->recvd += good;
	return good < (size_t)r ? IO_MISMATCH : IO_PROGRESS;
}

bool io_failed(enum io res)
{
	return res != IO_PROGRESS && res != IO_AGAIN;
}

/*
 * Do what the socket is ready for: read one piece of the echo, then write
 * until the message is out or the socket is full.  Returns the failure, if
 * any, or else whether anything moved.
 */
enum io conn_pump(struct conn *c, bool can_write, bool can_read)
{
	enum io res = IO_AGAIN;

	if (can_read && c->recvd < c->msg.len) {
		res = conn_recv(c);
		if (io_failed(res))
			return res;
	}
	while (can_write && c->sent < c->msg.len) {
		enum io w = conn_send(c);

		if (w == IO_AGAIN)
			break;
		if (io_failed(w))
			return w;
		res = IO_PROGRESS;
	}
	return res;
}

/* The failure messages of the commands with many connections. */
_Noreturn void conn_failed(const struct conn *c, enum io res)
{
	if (res == IO_MISMATCH)
		die(EXIT_CHECK, "connection %u: mismatch at byte %zu", c->id,
		    c->recvd);
	if (res == IO_EOF)
		die(EXIT_CHECK, "lost connection %u: server closed it", c->id);
	die(EXIT_CHECK, "lost connection %u: %s", c->id, strerror(c->error));
}

void pump_or_die(struct conn *c, bool can_write, bool can_read)
{
	enum io res = conn_pump(c, can_write, can_read);

	if (io_failed(res))
		conn_failed(c, res);
}

/*
 * Send every connection's message and wait for all the echoes, for at most
 * timeout_ms in all.  Returns how many connections got their whole echo.
 */
size_t exchange_all(struct conn *conns, size_t n, int timeout_ms)
{
	struct pollfd *pfds = xcalloc(n, sizeof(*pfds));
	int64_t deadline = now_ms() + timeout_ms;
	size_t done = 0;

	for (size_t i = 0; i < n; i++)
		pfds[i].fd = conns[i].fd;
	while (done < n) {
		int left = (int)(deadline - now_ms());

		if (left <= 0)
			break;
		for (size_t i = 0; i < n; i++) {
			bool more = conns[i].sent < conns[i].msg.len;

			pfds[i].events = POLLIN | (more ? POLLOUT : 0);
		}
		if (poll_fds(pfds, n, left) == 0)
			break;
		for (size_t i = 0; i < n; i++) {
			short ev = pfds[i].revents;

			if (ev == 0)
				continue;
			pump_or_die(&conns[i], ev & POLLOUT,
				    ev & (POLLIN | POLLHUP | POLLERR));
			if (conns[i].recvd == conns[i].msg.len) {
				pfds[i].fd = -1; /* poll() skips it now */
				done++;
			}
		}
	}
	free(pfds);
	return done;
}

/* ---- Idle connections until SIGUSR1 ------------------------------------ */

/* An idle connection became readable: whatever it is, it is wrong. */
static void check_idle_conn(struct conn *c)
{
	char byte;
	ssize_t r = recv(c->fd, &byte, 1, 0);

	if (r > 0)
		die(EXIT_CHECK, "connection %u: unexpected data from server",
		    c->id);
	if (r == 0)
		conn_failed(c, IO_EOF);
	if (io_error(c, "recv") == IO_LOST)
		conn_failed(c, IO_LOST);
}

/*
 * Sleep until SIGUSR1 arrives, watching the n idle connections meanwhile,
 * so that one the server drops is reported at once.  SIGUSR1 has been
 * blocked since main() started: one sent early waits, pending, and the
 * signalfd reads it then.
 */
void wait_for_usr1(struct conn *conns, size_t n)
{
	struct pollfd *pfds = xcalloc(n + 1, sizeof(*pfds));
	struct signalfd_siginfo info;
	sigset_t usr1;
	int sfd;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sfd = signalfd(-1, &usr1, SFD_CLOEXEC);
	if (sfd < 0)
		die(EXIT_IO, "signalfd: %s", strerror(errno));
	pfds[0] = (struct pollfd){.fd = sfd, .events = POLLIN};
	for (size_t i = 0; i < n; i++)
		pfds[i + 1] =
			(struct pollfd){.fd = conns[i].fd, .events = POLLIN};
	while (pfds[0].revents == 0) {
		poll_fds(pfds, n + 1, -1);
		for (size_t i = 0; i < n; i++)
			if (pfds[i + 1].revents != 0)
				check_idle_conn(&conns[i]);
	}
	if (read(sfd, &info, sizeof(info)) != (ssize_t)sizeof(info))
		die(EXIT_IO, "read signalfd: %s", strerror(errno));
	xclose(sfd);
	free(pfds);
}