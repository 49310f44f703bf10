/*
 * A white-box test of a stage's timers. It includes the stage's server.c,
 * renaming its main(), so it can start timers and run the real loop.
 * Build (from the top): cc -pthread -I 05-timers test/unit/timers.c
 */
#define main server_main
#include "server.c"
#undef main

static struct timer timers[4];
static int fired[4], nfired;

static void record(struct timer *t)
{
	fired[nfired++] = (int)(t - timers);
}

/* A callback that stops the timer after it, due at the same time. */
static void stop_next(struct timer *t)
{
	record(t);
	timer_stop(t + 1);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000};

	while (nanosleep(&ts, &ts) == -1)
		;
}

/* Timers due at the same time run in the order they were started, and one
 * stopped by an earlier callback of the same run does not run. */
static int test_order(void)
{
	int order[4] = {2, 0, 3, 1};

	update_time();
	for (int i = 0; i < 4; i++) {
		timer_init(&timers[order[i]], record, NULL);
		timer_start(&timers[order[i]], 5);
	}
	sleep_ms(10);
	update_time();
	run_timers();
	for (int i = 0; i < 4; i++) {
		if (nfired != 4 || fired[i] != order[i]) {
			fprintf(stderr, "timers: ran out of start order\n");
			return 1;
		}
	}

	nfired = 0;
	timer_init(&timers[0], stop_next, NULL);
	timer_init(&timers[1], record, NULL);
	timer_start(&timers[0], 0);
	timer_start(&timers[1], 0);
	update_time();
	run_timers();
	if (nfired != 1 || srv.timers.count != 0) {
		fprintf(stderr, "timers: a stopped timer ran\n");
		return 1;
	}
	puts("timers: equal due times run in start order");
	return 0;
}

static struct timer spin;
static int spins, client_fd = -1;

/* Connect a client to the server, once the loop is busy with timers. */
static void connect_client(void)
{
	struct sockaddr_storage addr;
	socklen_t len = sizeof addr;

	if (getsockname(srv.listen_fd, (struct sockaddr *)&addr, &len) == -1)
		die("getsockname");
	client_fd = socket(addr.ss_family, SOCK_STREAM, 0);
	if (client_fd == -1 ||
	    connect(client_fd, (struct sockaddr *)&addr, len) == -1)
		die("connect");
}

/*
 * Restart itself for 0 ms, until the loop has accepted the client that the
 * first run connects; then close the client and let the loop end. Were due
 * timers run until none is due, this would run for ever within one turn.
 */
static void on_spin(struct timer *t)
{
	if (++spins > 100000) {
		fprintf(stderr, "timers: 0 ms restarts starved I/O\n");
		exit(1);
	}
	if (client_fd == -1)
		connect_client();
	if (srv.accepted == 0) {
		timer_start(t, 0);
		return;
	}
	if (close(client_fd) == -1)
		die("close");
}

/* A timer that restarts itself for 0 ms from its own callback leaves the
 * loop free to poll: a client connecting meanwhile is accepted. */
static int test_no_starving(void)
{
	char *argv[] = {"server", "-q", "-p", "0", "-n", "1", NULL};

	parse_args(6, argv);
	open_log();
	listen_on();
	timer_init(&spin, on_spin, NULL);
	timer_start(&spin, 0);
	run_loop(); /* returns once nothing is left: the test's success */
	printf("timers: a 0 ms restart ran %d times, then I/O went on\n",
	       spins);
	return spins > 100;
}

int main(void)
{
	return test_order() || test_no_starving();
}
