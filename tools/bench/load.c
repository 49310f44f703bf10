#define _GNU_SOURCE
/*
 * load.c - the two loads tools/bench drives a server with besides
 * `tools/client bench` (ping-pong): bulk transfer and connect rate.
 *
 * Usage:
 *   load [-a ADDR] -p PORT bulk -c CONNS -d SECS [-s SIZE] [-w SECS]
 *       CONNS connections each send SIZE-byte writes (default 64K) as fast
 *       as the server takes them, and read the echo at the same time,
 *       comparing every byte.  Prints "conns=C size=S secs=T bytes=B
 *       rate_mbs=R" (MB: 10^6 bytes, echoed, counted after the warm-up).
 *   load [-a ADDR] -p PORT connect -c CONNS -d SECS [-s SIZE] [-w SECS]
 *       libuv's tcp4_pound shape: CONNS connections at a time; each one
 *       connects, sends one SIZE-byte message (default 64), reads its echo,
 *       compares it and closes, and a new one takes its place.  Prints
 *       "conns=C size=S secs=T done=N rate=R/s p50_us=A p99_us=B failed=F
 *       total=T": N connections done after the warm-up, their time from
 *       connect() to the last byte of the echo, F that ended before their
 *       echo (refused, reset or closed early; the run goes on without
 *       them), and T done in all, warm-up included.
 *
 *   -a ADDR  numeric IPv4 or IPv6 address (default 127.0.0.1)
 *   -w SECS  warm-up before counting starts (default 0); the line
 *            "counting" is printed, and flushed, as counting starts.
 *
 * SIZE takes a K or M suffix; SECS may have a fraction.  A byte that
 * differs from what was sent ends the run at once.  Exit status: 0 done;
 * 1 a wrong byte, or the server closed a bulk connection; 2 usage; 3 an
 * I/O error of our own (socket, connect, epoll).
 *
 * The bytes come from one pseudo-random pattern, read by each connection
 * from its own starting point, so a byte echoed on the wrong connection,
 * twice, or out of order does not match.  One thread and level-triggered
 * epoll, like the servers it measures.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define EXIT_CHECK 1 /* the server misbehaved */
#define EXIT_USAGE 2 /* bad command line */
#define EXIT_IO 3    /* an error of our own */

#define PATTERN_LEN 100003      /* a prime: no write size divides it */
#define MAX_SIZE (1024 * 1024)  /* largest -s */
#define MAX_CONNS 100000        /* largest -c */
#define RECV_CHUNK (256 * 1024) /* most bytes one recv() takes */
#define EVENTS 256              /* epoll events taken per call */
#define STRIDE 7919             /* pattern offset between connections */

/* One connection. */
struct conn {
	int fd;             /* -1: none open */
	uint64_t id;        /* its number, from 0: where it reads the pattern */
	uint64_t sent;      /* bytes sent */
	uint64_t recvd;     /* bytes of the echo received and compared */
	int64_t started_ns; /* connect: when connect() was called */
	bool connected;     /* connect: connect() has completed */
};

/* What a run measures. */
struct run {
	int epfd;             /* the epoll set of all connections */
	size_t size;          /* -s: bytes per write (bulk), per message */
	int64_t count_from;   /* end of the warm-up, ns */
	int64_t end;          /* end of the run, ns */
	bool counting;        /* "counting" was printed */
	uint64_t bytes;       /* bulk: echo bytes received while counting */
	uint64_t done;        /* connect: connections done while counting */
	uint64_t failed;      /* connect: connections that ended early */
	uint64_t total;       /* connect: connections done, warm-up too */
	uint64_t next_id;     /* connect: number of the next connection */
	int64_t *lat;         /* connect: latencies, ns, while counting */
	size_t lat_cap;       /* connect: room in lat */
	struct addrinfo *to;  /* the server */
	const char *host;     /* -a, for messages */
	const char *port;     /* -p, for messages */
	unsigned char *recvb; /* RECV_CHUNK bytes to receive into */
};

static unsigned char pattern[PATTERN_LEN + MAX_SIZE];

static const char usage_text[] =
	"usage: load [-a ADDR] -p PORT bulk -c CONNS -d SECS [-s SIZE] "
	"[-w SECS]\n"
	"       load [-a ADDR] -p PORT connect -c CONNS -d SECS [-s SIZE] "
	"[-w SECS]\n";

static void die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("load: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void usage_error(const char *what)
{
	fprintf(stderr, "load: %s\n%s", what, usage_text);
	exit(EXIT_USAGE);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		die(EXIT_IO, "clock_gettime: %s", strerror(errno));
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void bad_value(const char *what, const char *s)
{
	char msg[100];

	snprintf(msg, sizeof msg, "%s: bad value '%s'", what, s);
	usage_error(msg);
}

/* A whole number from MIN to MAX, with an optional K or M suffix. */
static size_t parse_size(const char *s, const char *what, size_t min,
			 size_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end != s && *end == 'K') {
		v *= 1024;
		end++;
	} else if (end != s && *end == 'M') {
		v *= 1024 * 1024;
		end++;
	}
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min ||
	    v > max)
		bad_value(what, s);
	return (size_t)v;
}

/* Seconds, with a fraction, up to a day; zero only if ZERO_OK. */
static int64_t parse_secs(const char *s, const char *what, bool zero_ok)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0) || v > 86400 ||
	    (v == 0 && !zero_ok))
		bad_value(what, s);
	return (int64_t)(v * 1e9);
}

/* The pattern's bytes, from splitmix64: the same in every run. */
static void fill_pattern(void)
{
	uint64_t x = 0;

	for (size_t i = 0; i < PATTERN_LEN; i++) {
		uint64_t z = (x += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		pattern[i] = (unsigned char)(z ^ (z >> 31));
	}
	/* The pattern again after its end, so that any offset starts
	 * MAX_SIZE bytes that can be sent or compared in one go. */
	for (size_t i = 0; i < MAX_SIZE; i++)
		pattern[PATTERN_LEN + i] = pattern[i % PATTERN_LEN];
}

/* The bytes connection C sends from stream offset OFF on. */
static const unsigned char *stream_at(const struct conn *c, uint64_t off)
{
	return pattern + (c->id * STRIDE + off) % PATTERN_LEN;
}

static void print_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (fflush(stdout) == EOF)
		die(EXIT_IO, "stdout: %s", strerror(errno));
}

static void watch(struct run *r, struct conn *c, int op, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = c};

	if (epoll_ctl(r->epfd, op, c->fd, &ev) < 0)
		die(EXIT_IO, "epoll_ctl: %s", strerror(errno));
}

/*
 * Start a connection to the server: a non-blocking connect(), so that many
 * are under way at once.  Returns false if it was refused at once.
 */
static bool open_conn(struct run *r, struct conn *c)
{
	int one = 1;

	c->fd = socket(r->to->ai_family,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die(EXIT_IO, "socket: %s", strerror(errno));
	/* Each message goes out as it is written, not held back by Nagle. */
	if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
		die(EXIT_IO, "setsockopt TCP_NODELAY: %s", strerror(errno));
	c->sent = c->recvd = 0;
	c->connected = false;
	c->started_ns = now_ns();
	if (connect(c->fd, r->to->ai_addr, r->to->ai_addrlen) < 0 &&
	    errno != EINPROGRESS) {
		if (errno != ECONNREFUSED)
			die(EXIT_IO, "connect to %s port %s: %s", r->host,
			    r->port, strerror(errno));
		if (close(c->fd) < 0)
			die(EXIT_IO, "close: %s", strerror(errno));
		c->fd = -1;
		return false;
	}
	return true;
}

/*
 * Receive at most MOST bytes of the echo and compare them; returns recv()'s
 * result: 0 at EOF, -1 with errno set (EAGAIN: nothing there yet).
 */
static ssize_t recv_echo(struct run *r, struct conn *c, size_t most)
{
	ssize_t n;

	if (most > RECV_CHUNK)
		most = RECV_CHUNK;
	n = recv(c->fd, r->recvb, most, 0);
	if (n <= 0)
		return n;
	if (memcmp(r->recvb, stream_at(c, c->recvd), (size_t)n) != 0) {
		size_t i = 0;

		while (r->recvb[i] == stream_at(c, c->recvd)[i])
			i++;
		die(EXIT_CHECK, "connection %llu: wrong byte at offset %llu",
		    (unsigned long long)c->id,
		    (unsigned long long)(c->recvd + i));
	}
	c->recvd += (uint64_t)n;
	return n;
}

/* Send at most MOST bytes of the stream; false if the server is gone. */
static bool send_stream(struct conn *c, size_t most)
{
	ssize_t n = send(c->fd, stream_at(c, c->sent), most, MSG_NOSIGNAL);

	if (n < 0 && errno == EAGAIN)
		return true;
	if (n < 0 && (errno == ECONNRESET || errno == EPIPE))
		return false;
	if (n < 0)
		die(EXIT_IO, "send: %s", strerror(errno));
	c->sent += (uint64_t)n;
	return true;
}

/* Print "counting" once the warm-up is over; returns whether counting. */
static bool tick(struct run *r, int64_t now)
{
	if (!r->counting && now >= r->count_from) {
		r->counting = true;
		print_line("counting\n");
	}
	return r->counting;
}

/* Wait for events, at most until the next moment that matters. */
static int wait_events(struct run *r, struct epoll_event *events)
{
	int64_t now = now_ns();
	int64_t until = r->counting ? r->end : r->count_from;
	int ms = until > now ? (int)((until - now + 999999) / 1000000) : 0;
	int n = epoll_wait(r->epfd, events, EVENTS, ms);

	if (n < 0 && errno != EINTR)
		die(EXIT_IO, "epoll_wait: %s", strerror(errno));
	return n < 0 ? 0 : n;
}

/* ---- bulk ---------------------------------------------------------------- */

static void bulk_event(struct run *r, struct conn *c, uint32_t events)
{
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		ssize_t n = recv_echo(r, c, RECV_CHUNK);

		if (n == 0 || (n < 0 && errno == ECONNRESET))
			die(EXIT_CHECK, "connection %llu: closed by the server",
			    (unsigned long long)c->id);
		if (n < 0 && errno != EAGAIN)
			die(EXIT_IO, "recv: %s", strerror(errno));
		if (n > 0 && r->counting)
			r->bytes += (uint64_t)n;
	}
	if ((events & EPOLLOUT) && !send_stream(c, r->size))
		die(EXIT_CHECK, "connection %llu: reset by the server",
		    (unsigned long long)c->id);
}

static void run_bulk(struct run *r, size_t n)
{
	struct epoll_event events[EVENTS];
	struct conn *conns = calloc(n, sizeof(*conns));
	int64_t now;
	double secs;

	if (conns == NULL)
		die(EXIT_IO, "out of memory");
	for (size_t i = 0; i < n; i++) {
		conns[i].id = i;
		if (!open_conn(r, &conns[i]))
			die(EXIT_IO, "connect to %s port %s: %s", r->host,
			    r->port, strerror(ECONNREFUSED));
		/* Writable: connected, or failed (then send() says why). */
		watch(r, &conns[i], EPOLL_CTL_ADD, EPOLLIN | EPOLLOUT);
	}
	r->count_from += now_ns();
	r->end += r->count_from;
	while (tick(r, now = now_ns()), now < r->end) {
		int ready = wait_events(r, events);

		for (int i = 0; i < ready; i++)
			bulk_event(r, events[i].data.ptr, events[i].events);
	}
	secs = (now - r->count_from) / 1e9;
	print_line("conns=%zu size=%zu secs=%.2f bytes=%llu rate_mbs=%.1f\n", n,
		   r->size, secs, (unsigned long long)r->bytes,
		   r->bytes / 1e6 / secs);
	for (size_t i = 0; i < n; i++)
		if (close(conns[i].fd) < 0)
			die(EXIT_IO, "close: %s", strerror(errno));
	free(conns);
}

/* ---- connect ------------------------------------------------------------- */

/* Start the next connection in slot C, unless the run is over. */
static void next_conn(struct run *r, struct conn *c)
{
	c->fd = -1;
	while (now_ns() < r->end) {
		c->id = r->next_id++;
		if (open_conn(r, c)) {
			/* Writable: connected, or failed (see SO_ERROR). */
			watch(r, c, EPOLL_CTL_ADD, EPOLLOUT);
			return;
		}
		r->failed++;
	}
}

static void end_conn(struct run *r, struct conn *c)
{
	/* close() also takes the fd out of the epoll set. */
	if (close(c->fd) < 0)
		die(EXIT_IO, "close: %s", strerror(errno));
	next_conn(r, c);
}

static void fail_conn(struct run *r, struct conn *c)
{
	r->failed++;
	end_conn(r, c);
}

static void record(struct run *r, int64_t ns)
{
	if (r->done == r->lat_cap) {
		r->lat_cap = r->lat_cap ? 2 * r->lat_cap : 65536;
		r->lat = realloc(r->lat, r->lat_cap * sizeof(*r->lat));
		if (r->lat == NULL)
			die(EXIT_IO, "out of memory");
	}
	r->lat[r->done++] = ns;
}

static void connect_event(struct run *r, struct conn *c, uint32_t events)
{
	ssize_t n;
	int64_t now;

	if (!c->connected) {
		socklen_t len = sizeof(int);
		int err;

		/* The outcome of a non-blocking connect() is in SO_ERROR. */
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			die(EXIT_IO, "getsockopt: %s", strerror(errno));
		if (err != 0) {
			fail_conn(r, c);
			return;
		}
		c->connected = true;
	}
	if (c->sent < r->size) {
		if (!send_stream(c, r->size - c->sent)) {
			fail_conn(r, c);
			return;
		}
		if (c->sent == r->size)
			watch(r, c, EPOLL_CTL_MOD, EPOLLIN);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	n = recv_echo(r, c, r->size - c->recvd);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n < 0 && errno != ECONNRESET)
		die(EXIT_IO, "recv: %s", strerror(errno));
	if (n <= 0) {
		fail_conn(r, c);
		return;
	}
	if (c->recvd < r->size)
		return;
	now = now_ns();
	r->total++;
	if (tick(r, now))
		record(r, now - c->started_ns);
	end_conn(r, c);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The latency that PCT percent of them are at or below, in us. */
static long long percentile_us(const struct run *r, unsigned pct)
{
	size_t rank = (r->done * pct + 99) / 100;

	return rank == 0 ? 0 : (r->lat[rank - 1] + 500) / 1000;
}

static void run_connect(struct run *r, size_t n)
{
	struct epoll_event events[EVENTS];
	struct conn *conns = calloc(n, sizeof(*conns));
	uint64_t failed_before = 0;
	int64_t now;
	double secs;

	if (conns == NULL)
		die(EXIT_IO, "out of memory");
	r->count_from += now_ns();
	r->end += r->count_from;
	for (size_t i = 0; i < n; i++)
		next_conn(r, &conns[i]);
	while (tick(r, now = now_ns()), now < r->end) {
		int ready = wait_events(r, events);

		if (!r->counting)
			failed_before = r->failed;
		for (int i = 0; i < ready; i++)
			connect_event(r, events[i].data.ptr, events[i].events);
	}
	secs = (now - r->count_from) / 1e9;
	qsort(r->lat, r->done, sizeof(*r->lat), cmp_i64);
	print_line("conns=%zu size=%zu secs=%.2f done=%llu rate=%.0f/s "
		   "p50_us=%lld p99_us=%lld failed=%llu total=%llu\n",
		   n, r->size, secs, (unsigned long long)r->done,
		   r->done / secs, percentile_us(r, 50), percentile_us(r, 99),
		   (unsigned long long)(r->failed - failed_before),
		   (unsigned long long)r->total);
	for (size_t i = 0; i < n; i++)
		if (conns[i].fd >= 0 && close(conns[i].fd) < 0)
			die(EXIT_IO, "close: %s", strerror(errno));
	free(conns);
	free(r->lat);
}

/* ---- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				 .ai_socktype = SOCK_STREAM};
	struct run r = {.host = "127.0.0.1"};
	size_t conns = 0, size = 0;
	bool bulk;
	int opt, err;

	while ((opt = getopt(argc, argv, "+a:p:")) != -1) {
		if (opt == 'a')
			r.host = optarg;
		else if (opt == 'p')
			r.port = optarg;
		else
			usage_error("bad option");
	}
	if (optind >= argc || r.port == NULL)
		usage_error("-p PORT and a command are needed");
	bulk = strcmp(argv[optind], "bulk") == 0;
	if (!bulk && strcmp(argv[optind], "connect") != 0)
		usage_error("the command is bulk or connect");
	optind++;
	while ((opt = getopt(argc, argv, "+c:d:s:w:")) != -1) {
		switch (opt) {
		case 'c':
			conns = parse_size(optarg, "-c CONNS", 1, MAX_CONNS);
			break;
		case 'd':
			r.end = parse_secs(optarg, "-d SECS", false);
			break;
		case 's':
			size = parse_size(optarg, "-s SIZE", 1, MAX_SIZE);
			break;
		case 'w':
			r.count_from = parse_secs(optarg, "-w SECS", true);
			break;
		default:
			usage_error("bad option");
		}
	}
	if (optind != argc || conns == 0 || r.end == 0)
		usage_error("-c CONNS and -d SECS are needed, nothing more");
	r.size = size ? size : bulk ? 64 * 1024 : 64;

	err = getaddrinfo(r.host, r.port, &hints, &r.to);
	if (err != 0)
		usage_error(gai_strerror(err));
	r.epfd = epoll_create1(EPOLL_CLOEXEC);
	r.recvb = malloc(RECV_CHUNK);
	if (r.epfd < 0 || r.recvb == NULL)
		die(EXIT_IO, "setting up: %s", strerror(errno));
	fill_pattern();
	if (bulk)
		run_bulk(&r, conns);
	else
		run_connect(&r, conns);
	freeaddrinfo(r.to);
	free(r.recvb);
	return 0;
}
