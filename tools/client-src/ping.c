#define _GNU_SOURCE
/*
 * ping.c - ping: 8-byte round trips on one connection, timed.
 */
#include <stdio.h>
#include <unistd.h>

#include "client.h"

/* One ping: returns its round-trip time in ms, or -1 on timeout. */
static double ping_once(struct conn *c, size_t k, int wait_ms)
{
	static char text[MSG_SIZE + 1]; /* static: c->msg still points here */
	int64_t start;

	/* The sequence number as text: easy to recognize in strace. */
	snprintf(text, sizeof(text), "%08zu", k % 100000000);
	c->msg = (struct payload){.data = (const unsigned char *)text,
				  .len = MSG_SIZE};
	c->sent = 0;
	c->recvd = 0;
	start = now_ns();
	if (exchange_all(c, 1, wait_ms) == 0)
		return -1;
	return (double)(now_ns() - start) / 1e6;
}

int cmd_ping(int argc, char **argv, const struct target *t)
{
	struct conn c = {.id = 1};
	size_t count = 0, k;
	int duration_ms = 0, interval_ms = 20, wait_ms = 2000, opt;
	double min_ms = 0, max_ms = 0;
	int64_t first_ms;

	while ((opt = next_option(argc, argv, "+:c:d:i:w:")) != -1) {
		switch (opt) {
		case 'c':
			count = parse_num(optarg, "-c COUNT", 1, SIZE_MAX);
			break;
		case 'd':
			duration_ms = parse_ms(optarg, "-d MS", 1);
			break;
		case 'i':
			interval_ms = parse_ms(optarg, "-i MS", 0);
			break;
		case 'w':
			wait_ms = parse_ms(optarg, "-w MS", 1);
			break;
		}
	}
	no_more_arguments(argc, argv);
	/* -d alone pings for its whole duration; -c alone or neither: COUNT. */
	if (count == 0)
		count = duration_ms ? SIZE_MAX : 1;

	c.fd = open_conn(t);
	out("connected\n");
	first_ms = now_ms();
	for (k = 1;; k++) {
		double rtt = ping_once(&c, k, wait_ms);

		if (rtt < 0) {
			out("timeout: no echo within %d ms (ping %zu)\n",
			    wait_ms, k);
			return EXIT_CHECK;
		}
		if (k == 1 || rtt < min_ms)
			min_ms = rtt;
		if (rtt > max_ms)
			max_ms = rtt;
		if (k == count)
			break;
		sleep_ms(interval_ms);
		if (duration_ms && now_ms() - first_ms >= duration_ms)
			break;
	}
	out("pings=%zu min_ms=%.1f max_ms=%.1f\n", k, min_ms, max_ms);
	xclose(c.fd);
	return 0;
}
