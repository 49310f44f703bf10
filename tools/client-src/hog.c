#define _GNU_SOURCE
/*
 * hog.c - hog: send without reading until the server stalls, then, on
 * SIGUSR1, read the whole echo back.
 */
#include <poll.h>
#include <unistd.h>

#include "client.h"

#define HOG_STALL_MS 200 /* no write progress this long: stalled */

/*
 * Write without reading until all is sent, or the socket stays full for
 * HOG_STALL_MS.  Returns whether all was sent.
 */
static bool send_until_stalled(struct conn *c)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};

	for (;;) {
		enum io res = conn_pump(c, true, false);

		if (io_failed(res))
			transfer_failed(c, res);
		if (c->sent == c->msg.len)
			return true;
		if (poll_fds(&pfd, 1, HOG_STALL_MS) == 0)
			return false;
	}
}

int cmd_hog(int argc, char **argv, const struct target *t)
{
	struct conn c = {.id = 1};
	bool have_bytes = false;
	uint64_t seed = 1, rate = 0;
	size_t bytes = 0;
	int idle_ms = 20000, opt;

	while ((opt = next_option(argc, argv, "+:n:s:r:t:")) != -1) {
		switch (opt) {
		case 'n':
			bytes = parse_num(optarg, "-n BYTES", 0, MAX_BYTES);
			have_bytes = true;
			break;
		case 's':
			seed = parse_num(optarg, "-s SEED", 0, UINT64_MAX);
			break;
		case 'r':
			rate = parse_num(optarg, "-r RATE", 1, MAX_BYTES);
			break;
		case 't':
			idle_ms = parse_ms(optarg, "-t MS", 1);
			break;
		}
	}
	no_more_arguments(argc, argv);
	if (!have_bytes)
		usage_error("hog: -n BYTES is required");

	c.fd = open_conn(t);
	set_message(&c, seed, bytes);
	if (send_until_stalled(&c))
		out("sent %zu\n", c.sent);
	else
		out("stalled %zu\n", c.sent);
	/* Only the signal is watched: the unread echo keeps c readable. */
	wait_for_usr1(NULL, 0);
	transfer(&c, false, idle_ms, rate);
	out("read %zu exact\n", bytes);
	xclose(c.fd);
	return 0;
}
