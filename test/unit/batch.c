/*
 * A white-box test of an epoll stage's loop: a connection closed by an
 * earlier callback of the same batch of events gets no more events, and
 * neither does a new connection that got its fd number (libuv tests the
 * same with test-tcp-close-accept); and its socket leaves the epoll set
 * even while another fd refers to it, as a child's copy would. No stage closes one connection from
 * another's callback yet, so this test does: it includes the stage's
 * server.c and hooks epoll_create1() to add connections of its own to the
 * loop. Build (from the top): cc -pthread -I 03-epoll test/unit/batch.c
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

static struct conn *closer, *victim, *reuser, *checker;
static int checker_peer; /* writing here wakes the checker */
static int victim_runs, reuser_runs;
static int victim_copy = -1; /* a second fd on the victim's socket */

static void fail(const char *why)
{
	fprintf(stderr, "batch: %s\n", why);
	exit(1);
}

/* A pair of connected sockets: pair[0] for the server, pair[1] the peer. */
static void socket_pair(int pair[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == -1)
		die("socketpair");
}

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

/* Whether the socket fd refers to is in the loop's epoll set: its inode
 * is in one of the set's lines in /proc/self/fdinfo. */
static int in_epoll_set(int fd)
{
	char path[64], line[256], ino[32];
	struct stat st;
	FILE *f;
	int found = 0;

	if (fstat(fd, &st) == -1)
		die("fstat");
	snprintf(ino, sizeof ino, " ino:%lx ", (unsigned long)st.st_ino);
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", srv.epoll_fd);
	f = fopen(path, "r");
	if (f == NULL)
		die("fopen %s", path);
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "tfd:", 4) == 0 && strstr(line, ino) != NULL)
			found = 1;
	fclose(f);
	return found;
}

/* Runs in the next batch: by then the verdict is in. */
static void on_checker(struct watcher *w, uint32_t events)
{
	(void)w;
	(void)events;
	if (victim_runs != 0)
		fail("a connection closed earlier in the batch got an event");
	if (reuser_runs != 0)
		fail("a stale event went to the connection that got its fd");
	puts("batch: no event reached a connection closed earlier in its "
	     "batch, nor the new one on its fd");
	free(reuser);
	free(checker);
	exit(0);
}

/* First in the batch: close the victim, whose event comes next in the
 * same batch; open a connection that gets its fd; wake the checker. */
static void on_closer(struct watcher *w, uint32_t events)
{
	int victim_fd = victim->fd, pair[2];

	(void)w;
	(void)events;
	close_conn(victim, "closed by another callback");
	if (in_epoll_set(victim_copy))
		fail("a closed connection's socket is still in the epoll set "
		     "(another fd on it, as a child's copy, keeps it open)");
	socket_pair(pair);
	if (pair[0] != victim_fd && pair[1] != victim_fd)
		fail("the new sockets did not reuse the closed fd");
	reuser = new_conn(pair[0] == victim_fd ? pair[0] : pair[1], on_reuser);
	if (watch(reuser->fd, &reuser->w, EPOLLIN) == -1)
		die("watch");
	if (write(checker_peer, "c", 1) != 1)
		die("write");
	close_conn(closer, "done");
}

static void add_test_conns(int epoll_fd)
{
	int a[2], b[2], c[2];

	srv.epoll_fd = epoll_fd;
	socket_pair(a);
	socket_pair(b);
	socket_pair(c);
	closer = new_conn(a[0], on_closer);
	victim = new_conn(b[0], on_victim);
	victim_copy = dup(b[0]);
	if (victim_copy == -1)
		die("dup");
	checker = new_conn(c[0], on_checker);
	/* Readable in this order: epoll reports them in it, one batch. */
	if (watch(closer->fd, &closer->w, EPOLLIN) == -1 ||
	    watch(victim->fd, &victim->w, EPOLLIN) == -1 ||
	    watch(checker->fd, &checker->w, EPOLLIN) == -1)
		die("watch");
	if (write(a[1], "a", 1) != 1 || write(b[1], "b", 1) != 1)
		die("write");
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
