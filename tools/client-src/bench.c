#define _GNU_SOURCE
/*
 * bench.c - bench: many connections ping-pong messages for a while, on
 * one thread and epoll; message rate and latency percentiles.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "client.h"

#define BENCH_EVENTS 256 /* epoll events taken per call */

/*
 * Latency histogram: values below HIST_SUB get a bucket each, and every
 * power of two above is cut into HIST_SUB equal buckets, so a bucket is
 * never wider than 1/128 (0.8%) of its values, and 64-bit values fit in
 * HIST_BUCKETS buckets.
 */
#define HIST_SUB_BITS 7
#define HIST_SUB (1 << HIST_SUB_BITS)
#define HIST_BUCKETS ((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct histogram {
	uint64_t count[HIST_BUCKETS];
	uint64_t total;
	uint64_t max;
};

static size_t hist_bucket(uint64_t v)
{
	int shift;

	if (v < HIST_SUB)
		return (size_t)v;
	/* v >> shift keeps the top HIST_SUB_BITS + 1 bits of v. */
	shift = 63 - __builtin_clzll(v) - HIST_SUB_BITS;
	return (size_t)(shift + 1) * HIST_SUB + (size_t)(v >> shift) - HIST_SUB;
}

/* The middle of bucket b: the inverse of hist_bucket(), give or take 0.4%. */
static uint64_t hist_value(size_t b)
{
	int shift;

	if (b < HIST_SUB)
		return b;
	shift = (int)(b / HIST_SUB) - 1;
	return ((uint64_t)(b % HIST_SUB + HIST_SUB) << shift) +
	       ((1ULL << shift) >> 1);
}

static void hist_add(struct histogram *h, uint64_t v)
{
	h->count[hist_bucket(v)]++;
	h->total++;
	if (v > h->max)
		h->max = v;
}

/* The value that pct percent of the samples are at or below. */
static uint64_t hist_percentile(const struct histogram *h, unsigned pct)
{
	uint64_t rank = (h->total * pct + 99) / 100, seen = 0;

	for (size_t b = 0; b < HIST_BUCKETS; b++) {
		seen += h->count[b];
		if (seen >= rank && seen > 0) {
			uint64_t v = hist_value(b);

			return v < h->max ? v : h->max;
		}
	}
	return 0;
}

/* Ask epoll for EPOLLOUT only while part of a message is still unsent. */
static void bench_update_events(struct conn *c, int epfd)
{
	bool want_out = c->sent < c->msg.len;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};

	if (want_out == c->polling_out)
		return;
	if (want_out)
		ev.events |= EPOLLOUT;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		die(EXIT_IO, "epoll_ctl: %s", strerror(errno));
	c->polling_out = want_out;
}

static void bench_start_message(struct conn *c, size_t size, int epfd,
				int64_t now)
{
	set_message(c, message_seed(c->id, c->seq), size);
	c->sent_ns = now;
	pump_or_die(c, true, false);
	bench_update_events(c, epfd);
}

static void bench_event(struct conn *c, uint32_t events, int epfd,
			struct histogram *h, int64_t count_from)
{
	int64_t now;

	pump_or_die(c, events & EPOLLOUT,
		    events & (EPOLLIN | EPOLLHUP | EPOLLERR));
	if (c->recvd < c->msg.len) {
		bench_update_events(c, epfd);
		return;
	}
	now = now_ns();
	if (now >= count_from) /* not during the warm-up */
		hist_add(h, (uint64_t)(now - c->sent_ns));
	c->seq++;
	bench_start_message(c, c->msg.len, epfd, now);
}

static int bench_epoll(struct conn *conns, size_t n)
{
	int epfd = epoll_create1(EPOLL_CLOEXEC);

	if (epfd < 0)
		die(EXIT_IO, "epoll_create1: %s", strerror(errno));
	for (size_t i = 0; i < n; i++) {
		struct epoll_event ev = {.events = EPOLLIN,
					 .data.ptr = &conns[i]};

		if (epoll_ctl(epfd, EPOLL_CTL_ADD, conns[i].fd, &ev) < 0)
			die(EXIT_IO, "epoll_ctl: %s", strerror(errno));
	}
	return epfd;
}

/*
 * Keep one message in flight on every connection until `end`; returns when
 * it stopped.  One thread and epoll, like the servers it measures, so the
 * client costs little more per message than they do.
 */
static int64_t bench_run(struct conn *conns, size_t n, size_t size, int epfd,
			 struct histogram *h, int64_t count_from, int64_t end)
{
	struct epoll_event events[BENCH_EVENTS];
	int64_t now = now_ns();

	for (size_t i = 0; i < n; i++)
		bench_start_message(&conns[i], size, epfd, now);
	while ((now = now_ns()) < end) {
		int timeout_ms = (int)((end - now + 999999) / 1000000);
		int ready = epoll_wait(epfd, events, BENCH_EVENTS, timeout_ms);

		/* Unlike poll(), epoll_wait() fails with EINTR after a stop. */
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0)
			die(EXIT_IO, "epoll_wait: %s", strerror(errno));
		for (int i = 0; i < ready; i++)
			bench_event(events[i].data.ptr, events[i].events, epfd,
				    h, count_from);
	}
	return now;
}

int cmd_bench(int argc, char **argv, const struct target *t)
{
	struct histogram *h = xcalloc(1, sizeof(*h));
	int64_t duration = 0, warmup = 0, start, stop;
	size_t n = 0, size = 64;
	struct conn *conns;
	double secs;
	int epfd, opt;

	while ((opt = next_option(argc, argv, "+:c:d:s:w:")) != -1) {
		switch (opt) {
		case 'c':
			n = parse_num(optarg, "-c CONNS", 1, MAX_CONNS);
			break;
		case 'd':
			duration = parse_secs(optarg, "-d SECS", false);
			break;
		case 's':
			size = parse_num(optarg, "-s SIZE", 1, MAX_BYTES);
			break;
		case 'w':
			warmup = parse_secs(optarg, "-w SECS", true);
			break;
		}
	}
	no_more_arguments(argc, argv);
	if (n == 0 || duration == 0)
		usage_error("bench: -c CONNS and -d SECS are required");

	conns = open_conns(t, n);
	epfd = bench_epoll(conns, n);
	start = now_ns() + warmup;
	stop = bench_run(conns, n, size, epfd, h, start, start + duration);
	secs = (double)(stop - start) / 1e9;
	out("conns=%zu size=%zu secs=%.2f msgs=%" PRIu64 " rate=%.0f/s "
	    "p50_us=%" PRIu64 " p99_us=%" PRIu64 " max_us=%" PRIu64 "\n",
	    n, size, secs, h->total, (double)h->total / secs,
	    (hist_percentile(h, 50) + 500) / 1000,
	    (hist_percentile(h, 99) + 500) / 1000, (h->max + 500) / 1000);
	xclose(epfd);
	close_conns(conns, n);
	free(h);
	return 0;
}
