#define _GNU_SOURCE
/*
 * hold.c - hold: open many connections, check each, keep them idle until
 * SIGUSR1, then check each again.
 */
#include <stdlib.h>
#include <unistd.h>

#include "client.h"

/* Exchange a new distinct message on every connection, within timeout_ms. */
static void check_all(struct conn *conns, size_t n, uint64_t round,
		      int timeout_ms)
{
	size_t done;

	for (size_t i = 0; i < n; i++)
		set_message(&conns[i], message_seed(conns[i].id, round),
			    MSG_SIZE);
	done = exchange_all(conns, n, timeout_ms);
	if (done < n)
		die(EXIT_CHECK,
		    "timeout: %zu of %zu connections echoed in %d ms", done, n,
		    timeout_ms);
}

int cmd_hold(int argc, char **argv, const struct target *t)
{
	struct conn *conns;
	size_t n = 0;
	int timeout_ms = 10000, opt;

	while ((opt = next_option(argc, argv, "+:c:t:")) != -1) {
		switch (opt) {
		case 'c':
			n = parse_num(optarg, "-c N", 1, MAX_CONNS);
			break;
		case 't':
			timeout_ms = parse_ms(optarg, "-t MS", 1);
			break;
		}
	}
	no_more_arguments(argc, argv);
	if (n == 0)
		usage_error("hold: -c N is required");

	conns = open_conns(t, n);
	check_all(conns, n, 0, timeout_ms);
	out("held %zu\n", n);
	wait_for_usr1(conns, n);
	check_all(conns, n, 1, timeout_ms);
	out("verified %zu\n", n);
	close_conns(conns, n);
	return 0;
}
