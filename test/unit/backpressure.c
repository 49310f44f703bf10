/*
 * A white-box test of what a stage with output queues (04 on) asks of
 * epoll as a connection's queue grows and drains: update_interest(). The
 * stage's README promises backpressure with two marks: reading stops once
 * 256 KiB of echo wait, and starts again only once they have drained to
 * 64 KiB, so the interest does not flap on every write in between. And
 * EPOLLOUT is asked for only while bytes wait: epoll is level-triggered,
 * so a socket with room to write would be reported on every turn, and
 * the loop would spin. The test checks the kernel's own epoll set too,
 * through /proc/self/fdinfo. It includes the stage's server.c, renaming
 * its main(). Build (from the top):
 *   cc -pthread -I 04-nonblocking-writes test/unit/backpressure.c
 */
#define main server_main
#include "server.c"
#undef main

#define KIB 1024

static struct conn conn;
static int failures;

/* The events the kernel's epoll set has for fd: /proc/self/fdinfo of the
 * epoll fd has a line "tfd: FD events: HEX data: ..." for each fd in it.
 * EPOLLERR and EPOLLHUP are always reported, asked for or not: left out.
 * Returns 0 if fd is not in the set. */
static uint32_t kernel_events(int fd)
{
	char path[64], line[256];
	unsigned int events = 0;
	int tfd;
	FILE *f;

	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", srv.epoll_fd);
	f = fopen(path, "r");
	if (f == NULL)
		die("fopen %s", path);
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "tfd: %d events: %x", &tfd, &events) == 2 &&
		    tfd == fd)
			break;
		events = 0;
	}
	fclose(f);
	return events & ~(uint32_t)(EPOLLERR | EPOLLHUP);
}

static const char *interest(uint32_t events)
{
	switch (events & (EPOLLIN | EPOLLOUT)) {
	case EPOLLIN:
		return "EPOLLIN";
	case EPOLLOUT:
		return "EPOLLOUT";
	case EPOLLIN | EPOLLOUT:
		return "EPOLLIN|EPOLLOUT";
	default:
		return "nothing";
	}
}

/* The queue now holds `queued` bytes (and the client half-closed, if eof):
 * update_interest() must leave the connection paused or not, and epoll
 * asked for `want`. */
static void step(const char *what, size_t queued, bool eof, bool paused,
		 uint32_t want)
{
	uint32_t kernel;

	conn.out_start = 0;
	conn.out_end = queued;
	conn.eof = eof;
	if (update_interest(&conn) == -1) {
		fprintf(stderr, "backpressure: %s: epoll_ctl failed\n", what);
		exit(1);
	}
	kernel = kernel_events(conn.fd);
	if (conn.paused != paused || conn.w.events != want || kernel != want) {
		fprintf(stderr,
			"backpressure: %s (%zu bytes queued): want %s, %s; "
			"got %s, %s (the kernel has %s)\n",
			what, queued, paused ? "paused" : "reading",
			interest(want), conn.paused ? "paused" : "reading",
			interest(conn.w.events), interest(kernel));
		failures++;
	}
}

int main(void)
{
	int pair[2];

	srv.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (srv.epoll_fd == -1)
		die("epoll_create1");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == -1)
		die("socketpair");
	conn.fd = pair[0];
	if (watch(conn.fd, &conn.w, EPOLLIN) == -1)
		die("watch");

	step("echo written at once", 0, false, false, EPOLLIN);
	step("some echo waits", 1000, false, false, EPOLLIN | EPOLLOUT);
	step("just below the high mark", 256 * KIB - 1, false, false,
	     EPOLLIN | EPOLLOUT);
	step("the high mark: reading stops", 256 * KIB, false, true, EPOLLOUT);
	step("more, while paused", 300 * KIB, false, true, EPOLLOUT);
	step("drained halfway: still paused", 128 * KIB, false, true, EPOLLOUT);
	step("just above the low mark", 64 * KIB + 1, false, true, EPOLLOUT);
	step("the low mark: reading again", 64 * KIB, false, false,
	     EPOLLIN | EPOLLOUT);
	step("growing again, below the high mark", 200 * KIB, false, false,
	     EPOLLIN | EPOLLOUT);
	step("all written", 0, false, false, EPOLLIN);
	step("half-closed, echo waits", 1000, true, false, EPOLLOUT);
	if (failures > 0)
		return 1;
	puts("backpressure: reading stops at 256 KiB queued and starts again "
	     "at 64 KiB; EPOLLOUT only while echo waits");
	close(pair[0]);
	close(pair[1]);
	close(srv.epoll_fd);
	return 0;
}
