/*
 * A white-box test of 07's shutdown: on_grace() closes every connection
 * left, all from one callback, the case close_conn()'s rule was made for.
 * The server runs on_grace() from a timer, after the batch of events; here
 * it runs in the middle of one, from a watcher's callback, with events for
 * the connections it closes still waiting in the same batch. None of them
 * may reach a closed connection, nor the new one that got its fd number.
 * It includes the stage's server.c, and hooks epoll_create1() to add
 * connections of its own to the loop, as batch.c does.
 * Build (from the top): cc -pthread -I 07-signals-children test/unit/shutdown.c
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* The loop's epoll_create1(), with a hook run on the new epoll fd. */
static void add_test_conns(int epoll_fd);
static int create_and_add(int flags)
{
	int fd = epoll_create1(flags);

	if (fd != -1)
		add_test_conns(fd);
	return fd;
}

#define epoll_create1 create_and_add
#define main server_main
#include "server.c"
#undef main
#undef epoll_create1

#define VICTIMS 3

static struct conn *closer, *victims[VICTIMS], *reusers[VICTIMS], *checker;
static int checker_peer; /* writing here wakes the checker */
static int victim_runs, reuser_runs;

static void fail(const char *why)
{
	fprintf(stderr, "shutdown: %s\n", why);
	exit(1);
}

/* A pair of connected sockets: pair[0] for the server, pair[1] the peer. */
static void socket_pair(int pair[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == -1)
		die("socketpair");
}

/* A connection on fd, open as on_accept() leaves one: on srv.open. */
static struct conn *new_conn(int fd, void (*cb)(struct watcher *, uint32_t))
{
	struct conn *c = calloc(1, sizeof *c + PEER_LEN);

	if (c == NULL)
		die("calloc");
	c->fd = fd;
	c->w.cb = cb;
	snprintf(c->peer, PEER_LEN, "test fd %d", fd);
	return c;
}

static void open_conn(struct conn *c)
{
	srv.conns++;
	c->next_open = srv.open;
	if (srv.open != NULL)
		srv.open->prev_open = c;
	srv.open = c;
}

static void on_victim(struct watcher *w, uint32_t events)
{
	(void)w;
	(void)events;
	victim_runs++;
}

static void on_reuser(struct watcher *w, uint32_t events)
{
	(void)w;
	(void)events;
	reuser_runs++;
}

/* Runs in the next batch: by then the verdict is in. */
static void on_checker(struct watcher *w, uint32_t events)
{
	(void)w;
	(void)events;
	if (victim_runs != 0)
		fail("a connection closed by the shutdown got an event");
	if (reuser_runs != 0)
		fail("a stale event went to a connection that got a closed fd");
	if (srv.open != NULL || srv.conns != 0)
		fail("a connection was left open");
	puts("shutdown: closed every connection from one callback; no event "
	     "of the batch reached one, nor the new ones on their fds");
	for (int i = 0; i < VICTIMS; i++)
		free(reusers[i]);
	free(checker);
	exit(0);
}

/* First in the batch: the grace period is over. Then open connections
 * that get the closed fds, and wake the checker. */
static void on_closer(struct watcher *w, uint32_t events)
{
	int fds[VICTIMS], pair[2], reused = 0;

	(void)w;
	(void)events;
	for (int i = 0; i < VICTIMS; i++)
		fds[i] = victims[i]->fd;
	on_grace(&srv.grace);
	/* The lowest free numbers come first: these take every closed one. */
	for (int n = 0; n < VICTIMS; n++) {
		socket_pair(pair);
		for (int end = 0; end < 2; end++)
			for (int i = 0; i < VICTIMS; i++) {
				if (pair[end] != fds[i])
					continue;
				reusers[reused] = new_conn(fds[i], on_reuser);
				if (watch(fds[i], &reusers[reused]->w,
					  EPOLLIN) == -1)
					die("watch");
				reused++;
			}
	}
	if (reused != VICTIMS)
		fail("the new sockets did not reuse the closed fds");
	if (write(checker_peer, "c", 1) != 1)
		die("write");
}

static void add_test_conns(int epoll_fd)
{
	int a[2], v[2], c[2];

	srv.epoll_fd = epoll_fd;
	socket_pair(a);
	closer = new_conn(a[0], on_closer);
	open_conn(closer);
	if (watch(closer->fd, &closer->w, EPOLLIN) == -1)
		die("watch");
	/* Readable in this order: epoll reports them in it, one batch. */
	if (write(a[1], "a", 1) != 1)
		die("write");
	for (int i = 0; i < VICTIMS; i++) {
		socket_pair(v);
		victims[i] = new_conn(v[0], on_victim);
		open_conn(victims[i]);
		if (watch(v[0], &victims[i]->w, EPOLLIN) == -1)
			die("watch");
		if (write(v[1], "v", 1) != 1)
			die("write");
	}
	socket_pair(c);
	checker = new_conn(c[0], on_checker);
	if (watch(checker->fd, &checker->w, EPOLLIN) == -1)
		die("watch");
	checker_peer = c[1];
}

int main(void)
{
	char *argv[] = {"server", "-q", "-p", "0", NULL};

	parse_args(4, argv);
	open_log();
	listen_on();
	run_loop(); /* on_checker exits */
	return 1;
}
