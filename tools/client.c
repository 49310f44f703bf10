#define _GNU_SOURCE
/*
 * client.c - the test client for every stage of the echo server.
 *
 * The tests and benchmarks drive the servers only through this program, so
 * the tricky parts of testing a network server - reading while writing,
 * comparing every byte, timeouts, thousands of sockets - are written once,
 * here, and a test reads like a sentence: "hold 1000 connections, then
 * verify them".
 *
 * Usage:
 *   client [-a ADDR] [-p PORT] COMMAND [options]
 *
 *   -a ADDR   server address, numeric IPv4 or IPv6 (default 127.0.0.1)
 *   -p PORT   server port (required by every command except proc)
 *
 * Commands:
 *   echo (-f FILE | -n BYTES) [-s SEED] [-x MAXCHUNK] [-H] [-r RATE] [-t MS]
 *       Send FILE ("-" is stdin) or BYTES pseudo-random bytes while reading
 *       the echo, and compare it byte for byte.  -x: every write() is a
 *       random size 1..MAXCHUNK.  -H: half-close after the last byte, then
 *       require the server to close too.  -r: read the echo no faster than
 *       RATE bytes a second (a slow reader).  -t: give up after MS ms
 *       without progress (default 10000).  Prints "echoed N bytes".
 *   hold -c N [-t MS]
 *       Open N connections, check each with an 8-byte echo, print "held N".
 *       On SIGUSR1 check every one again and print "verified N".
 *   hog -n BYTES [-s SEED] [-r RATE] [-t MS]
 *       Send without reading until all is sent or nothing moves for 200 ms,
 *       print "sent N" or "stalled N".  On SIGUSR1 read the echo while
 *       sending the rest (-r: no faster than RATE bytes a second) and print
 *       "read BYTES exact" (-t default 20000).
 *   ping [-c COUNT] [-d MS] [-i MS] [-w MS]
 *       Print "connected", then ping-pong 8-byte messages -i MS apart
 *       (default 20), each echoed within -w MS (default 2000), COUNT times
 *       (default 1) or for -d MS.  Prints "pings=N min_ms=X.X max_ms=X.X",
 *       or "timeout: no echo within W ms (ping K)".
 *   reset [-n BYTES]
 *       Send BYTES (default 64K), wait for the echo to start, then close
 *       with a TCP RST.  Prints "reset".
 *   bench -c CONNS -d SECS [-s SIZE] [-w SECS]
 *       CONNS connections ping-pong SIZE-byte messages (default 64) for SECS
 *       seconds, after -w SECS of warm-up.  Prints one line:
 *       "conns=C size=S secs=T msgs=M rate=R/s p50_us=A p99_us=B max_us=X".
 *   proc PID
 *       Prints "rss_kib=N threads=N cpu_ms=N fds=N" for a process.
 *
 * Numbers take a K or M suffix (KiB, MiB): -n 64K, -n 10M.  SECS may have
 * a fraction (-d 0.5).  Connections and pings are numbered from 1.  A
 * connect() that takes more than 10 s fails.  Send SIGUSR1 after the line
 * that asks for it ("held N", "stalled N"): it is blocked from then on at
 * the latest, and one that arrives early is kept until it is awaited.
 *
 * Exit status: 0 success; 1 a check failed (wrong bytes, early close, lost
 * connection, timeout); 2 usage error; 3 could not connect, or another I/O
 * error.  Results go to stdout, one line each, flushed at once (the tests
 * wait for them in a file); diagnostics go to stderr.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define EXIT_CHECK 1 /* the server misbehaved */
#define EXIT_USAGE 2 /* bad command line */
#define EXIT_IO 3    /* could not connect, or another I/O error */

#define DEFAULT_ADDR "127.0.0.1"
#define IO_CHUNK (64 * 1024)         /* most bytes one send() or recv() moves */
#define CONNECT_TIMEOUT_MS 10000     /* a connect() that takes longer fails */
#define MSG_SIZE 8                   /* hold and ping messages */
#define HOG_STALL_MS 200             /* no write progress this long: stalled */
#define RESET_WAIT_MS 5000           /* how long reset waits for the echo */
#define MAX_BYTES (1ULL << 32)       /* largest -n and -s accepted */
#define MAX_CONNS 1000000            /* largest -c accepted */
#define MAX_MS (24 * 3600 * 1000)    /* longest time in ms; fits in an int */
#define MAX_SECS 86400.0             /* longest bench duration */
#define BENCH_EVENTS 256             /* epoll events taken per call */
#define GOLDEN 0x9e3779b97f4a7c15ULL /* splitmix64's increment */

/*
 * Latency histogram: values below HIST_SUB get a bucket each, and every
 * power of two above is cut into HIST_SUB equal buckets, so a bucket is
 * never wider than 1/128 (0.8%) of its values, and 64-bit values fit in
 * HIST_BUCKETS buckets.
 */
#define HIST_SUB_BITS 7
#define HIST_SUB (1 << HIST_SUB_BITS)
#define HIST_BUCKETS ((64 - HIST_SUB_BITS + 1) * HIST_SUB)

/* Where to connect; a union so no cast is needed to pass it to connect(). */
struct target {
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} addr;
	socklen_t len;
	const char *host; /* as given, for messages */
	unsigned int port;
};

/*
 * The bytes one connection sends, and so the bytes its echo must match:
 * either a buffer (a file, a ping's sequence number) or the pseudo-random
 * pattern of a seed, which can be regenerated at any offset instead of
 * being stored (a 64 MiB hog keeps nothing in memory).
 */
struct payload {
	const unsigned char *data; /* the bytes, or NULL for the pattern */
	size_t len;
	uint64_t seed; /* the pattern's seed when data is NULL */
};

/* One connection to the server and the message it is exchanging. */
struct conn {
	int fd;
	unsigned int id;    /* 1, 2, ...: names it in messages */
	struct payload msg; /* what is sent, and must come back */
	size_t sent;        /* bytes of msg written so far */
	size_t recvd;       /* bytes of msg echoed and verified so far */
	int error;          /* errno when the server reset the connection */

	size_t max_write; /* if not 0, every send() is 1..max_write bytes */
	uint64_t split;   /* generator state for those random sizes */

	uint64_t seq;     /* bench: messages completed */
	int64_t sent_ns;  /* bench: when the current message was started */
	bool polling_out; /* bench: EPOLLOUT is registered */
};

/* What one step of I/O on a connection did. */
enum io {
	IO_PROGRESS, /* bytes moved */
	IO_AGAIN,    /* the socket was not ready */
	IO_EOF,      /* the server closed the connection */
	IO_LOST,     /* the server reset it; conn.error tells how */
	IO_MISMATCH, /* the echo differs, first at byte conn.recvd */
};

struct histogram {
	uint64_t count[HIST_BUCKETS];
	uint64_t total;
	uint64_t max;
};

static const char usage_text[] =
	"usage: client [-a ADDR] -p PORT COMMAND [options]\n"
	"  echo  (-f FILE | -n BYTES) [-s SEED] [-x MAXCHUNK] [-H] [-t MS]\n"
	"  hold  -c N [-t MS]\n"
	"  hog   -n BYTES [-s SEED] [-t MS]\n"
	"  ping  [-c COUNT] [-d MS] [-i MS] [-w MS]\n"
	"  reset [-n BYTES]\n"
	"  bench -c CONNS -d SECS [-s SIZE] [-w SECS]\n"
	"usage: client proc PID\n";

/* ---- Diagnostics and output ------------------------------------------ */

static void vwarn(const char *fmt, va_list ap)
{
	fputs("client: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

__attribute__((format(printf, 1, 2))) static void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3))) static _Noreturn void
die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(status);
}

__attribute__((format(printf, 1, 2))) static _Noreturn void
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	fputs(usage_text, stderr);
	exit(EXIT_USAGE);
}

/* Print a result line and flush it: a test may be waiting for it. */
__attribute__((format(printf, 1, 2))) static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (fflush(stdout) == EOF)
		die(EXIT_IO, "stdout: %s", strerror(errno));
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		die(EXIT_IO, "out of memory");
	return p;
}

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (!p)
		die(EXIT_IO, "out of memory");
	return p;
}

static void xclose(int fd)
{
	if (close(fd) < 0)
		die(EXIT_IO, "close: %s", strerror(errno));
}

/* ---- Command line ------------------------------------------------------ */

/* A whole decimal number in [min, max], with an optional K or M suffix. */
static uint64_t parse_num(const char *s, const char *what, uint64_t min,
			  uint64_t max)
{
	unsigned long long v;
	char *end;

	/* strtoull() accepts "-1" and " 1"; we want a digit first. */
	if (!isdigit((unsigned char)s[0]))
		usage_error("bad %s: '%s'", what, s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == 0 && (*end == 'K' || *end == 'M')) {
		int shift = *end == 'K' ? 10 : 20;

		if (v > ULLONG_MAX >> shift)
			errno = ERANGE;
		v <<= shift;
		end++;
	}
	if (errno != 0 || *end != '\0' || v < min || v > max)
		usage_error("bad %s: '%s'", what, s);
	return v;
}

static int parse_ms(const char *s, const char *what, int min)
{
	return (int)parse_num(s, what, (uint64_t)min, MAX_MS);
}

/* Seconds, possibly with a fraction, as nanoseconds. */
static int64_t parse_secs(const char *s, const char *what, bool zero_ok)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	/* The comparisons are written so that a NaN fails them too. */
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0.0) ||
	    !(v <= MAX_SECS) || (v == 0.0 && !zero_ok))
		usage_error("bad %s: '%s'", what, s);
	return (int64_t)(v * 1e9);
}

/*
 * getopt() with our own messages.  Every option string starts with "+:":
 * "+" stops at the first argument that is not an option (the command, or
 * proc's PID), ":" makes getopt() quiet and report a missing value as ':'.
 */
static int next_option(int argc, char **argv, const char *optstring)
{
	int opt = getopt(argc, argv, optstring);

	if (opt == '?')
		usage_error("unknown option -%c", optopt);
	if (opt == ':')
		usage_error("option -%c needs a value", optopt);
	return opt;
}

static void no_more_arguments(int argc, char **argv)
{
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
}

static void parse_target(struct target *t, const char *host, unsigned port)
{
	memset(t, 0, sizeof(*t));
	t->host = host;
	t->port = port;
	if (inet_pton(AF_INET, host, &t->addr.in4.sin_addr) == 1) {
		t->addr.in4.sin_family = AF_INET;
		t->addr.in4.sin_port = htons((uint16_t)port);
		t->len = sizeof(t->addr.in4);
	} else if (inet_pton(AF_INET6, host, &t->addr.in6.sin6_addr) == 1) {
		t->addr.in6.sin6_family = AF_INET6;
		t->addr.in6.sin6_port = htons((uint16_t)port);
		t->len = sizeof(t->addr.in6);
	} else {
		usage_error("bad address '%s' (numeric IPv4 or IPv6 expected)",
			    host);
	}
}

/* ---- Time -------------------------------------------------------------- */

/* CLOCK_MONOTONIC: wall-clock time can jump, which would fake latencies. */
static int64_t now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		die(EXIT_IO, "clock_gettime: %s", strerror(errno));
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t now_ms(void)
{
	return now_ns() / 1000000;
}

/*
 * We install no signal handlers (SIGPIPE is ignored, SIGUSR1 is blocked and
 * read from a signalfd), so a signal never interrupts poll() or
 * clock_nanosleep(): the kernel restarts them even after a stop (^Z) and
 * continue.  EINTR cannot happen, and any error is fatal.  (epoll_wait() is
 * an exception, see signal(7) and bench_run().)
 */
static void sleep_ms(int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000,
	};
	int err = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);

	if (err != 0)
		die(EXIT_IO, "clock_nanosleep: %s", strerror(err));
}

/* poll() for at most timeout_ms (-1: forever); returns how many are ready. */
static int poll_fds(struct pollfd *fds, size_t n, int timeout_ms)
{
	int ready = poll(fds, n, timeout_ms);

	if (ready < 0)
		die(EXIT_IO, "poll: %s", strerror(errno));
	return ready;
}

/* ---- Pseudo-random data ------------------------------------------------ */

/* splitmix64's output function: a bijection that scrambles all 64 bits. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The next number of the splitmix64 generator whose state is *state. */
static uint64_t rng_next(uint64_t *state)
{
	*state += GOLDEN;
	return mix64(*state);
}

/*
 * Bytes off..off+n-1 of the pattern of seed: the little-endian bytes of the
 * splitmix64 stream started at seed.  Its k-th number is simply
 * mix64(seed + (k + 1) * GOLDEN), so any offset can be computed directly:
 * the sender makes the bytes as it sends them and the receiver makes them
 * again to compare, and nothing is stored.
 */
static void pattern_fill(uint64_t seed, size_t off, unsigned char *buf,
			 size_t n)
{
	uint64_t word = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t pos = off + i;

		if (i == 0 || pos % 8 == 0)
			word = mix64(seed + (pos / 8 + 1) * GOLDEN);
		buf[i] = (unsigned char)(word >> (pos % 8 * 8));
	}
}

static void payload_fill(const struct payload *p, size_t off,
			 unsigned char *buf, size_t n)
{
	if (p->data)
		memcpy(buf, p->data + off, n);
	else
		pattern_fill(p->seed, off, buf, n);
}

/*
 * The seed of message number n on connection id.  Different (id, n) give
 * different seeds, and since mix64() is a bijection, the first 8 bytes of
 * their patterns differ too: a server that mixes up two connections' data,
 * or replays an old message, is caught.
 */
static uint64_t message_seed(unsigned int id, uint64_t n)
{
	return (n << 32) | id;
}

static void set_message(struct conn *c, uint64_t seed, size_t len)
{
	c->msg = (struct payload){.data = NULL, .len = len, .seed = seed};
	c->sent = 0;
	c->recvd = 0;
}

/* ---- Connections ------------------------------------------------------- */

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
 * A connected, non-blocking TCP socket.  The connect itself is
 * non-blocking too, so that a server whose accept queue is full makes us
 * fail after CONNECT_TIMEOUT_MS instead of hanging in SYN retries.
 */
static int open_conn(const struct target *t)
{
	int type = SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC;
	int fd = socket(t->addr.sa.sa_family, type, 0);
	int one = 1;

	if (fd < 0)
		die(EXIT_IO, "socket: %s", strerror(errno));
	if (connect(fd, &t->addr.sa, t->len) < 0) {
		if (errno != EINPROGRESS)
			die(EXIT_IO, "connect to %s port %u: %s", t->host,
			    t->port, strerror(errno));
		wait_connected(fd, t);
	}
	/*
	 * Send every write() at once rather than let Nagle's algorithm merge
	 * small ones: -x must reach the server as the pieces it chose, and
	 * latencies must not include Nagle's wait.
	 */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		die(EXIT_IO, "setsockopt TCP_NODELAY: %s", strerror(errno));
	return fd;
}

static struct conn *open_conns(const struct target *t, size_t n)
{
	struct conn *conns = xcalloc(n, sizeof(*conns));

	for (size_t i = 0; i < n; i++) {
		conns[i].fd = open_conn(t);
		conns[i].id = (unsigned int)i + 1;
	}
	return conns;
}

static void close_conns(struct conn *conns, size_t n)
{
	for (size_t i = 0; i < n; i++)
		xclose(conns[i].fd);
	free(conns);
}

/* Sort a failed send() or recv(): not ready, lost connection, or fatal. */
static enum io io_error(struct conn *c, const char *call)
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
	static unsigned char got[IO_CHUNK], want[IO_CHUNK];
	size_t n = c->msg.len - c->recvd;
	ssize_t r;

	if (n > IO_CHUNK)
		n = IO_CHUNK;
	r = recv(c->fd, got, n, 0);
	if (r < 0)
		return io_error(c, "recv");
	if (r == 0)
		return IO_EOF;
	payload_fill(&c->msg, c->recvd, want, (size_t)r);
	if (memcmp(got, want, (size_t)r) != 0) {
		size_t i = 0;

		while (got[i] == want[i])
			i++;
		c->recvd += i;
		return IO_MISMATCH;
	}
	c->recvd += (size_t)r;
	return IO_PROGRESS;
}

static bool io_failed(enum io res)
{
	return res != IO_PROGRESS && res != IO_AGAIN;
}

/*
 * Do what the socket is ready for: read one piece of the echo, then write
 * until the message is out or the socket is full.  Returns the failure, if
 * any, or else whether anything moved.
 */
static enum io conn_pump(struct conn *c, bool can_write, bool can_read)
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
static _Noreturn void conn_failed(const struct conn *c, enum io res)
{
	if (res == IO_MISMATCH)
		die(EXIT_CHECK, "connection %u: mismatch at byte %zu", c->id,
		    c->recvd);
	if (res == IO_EOF)
		die(EXIT_CHECK, "lost connection %u: server closed it", c->id);
	die(EXIT_CHECK, "lost connection %u: %s", c->id, strerror(c->error));
}

static void pump_or_die(struct conn *c, bool can_write, bool can_read)
{
	enum io res = conn_pump(c, can_write, can_read);

	if (io_failed(res))
		conn_failed(c, res);
}

/*
 * Send every connection's message and wait for all the echoes, for at most
 * timeout_ms in all.  Returns how many connections got their whole echo.
 */
static size_t exchange_all(struct conn *conns, size_t n, int timeout_ms)
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

/* ---- Waiting for SIGUSR1 ----------------------------------------------- */

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
static void wait_for_usr1(struct conn *conns, size_t n)
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

/* ---- echo and hog ------------------------------------------------------ */

/* The failure messages of the commands with one connection. */
static _Noreturn void transfer_failed(const struct conn *c, enum io res)
{
	if (res == IO_MISMATCH)
		die(EXIT_CHECK, "mismatch at byte %zu", c->recvd);
	if (res == IO_EOF)
		die(EXIT_CHECK, "server closed after %zu of %zu bytes",
		    c->recvd, c->msg.len);
	die(EXIT_CHECK, "server closed after %zu of %zu bytes (%s)", c->recvd,
	    c->msg.len, strerror(c->error));
}

/* After a half-close, the server must end its side too, and send no more. */
static void expect_eof(struct conn *c, int idle_ms)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	char byte;

	for (;;) {
		ssize_t r;

		if (poll_fds(&pfd, 1, idle_ms) == 0)
			die(EXIT_CHECK,
			    "timeout: %zu of %zu bytes back, but no EOF",
			    c->recvd, c->msg.len);
		r = recv(c->fd, &byte, 1, 0);
		if (r == 0)
			return;
		if (r > 0)
			die(EXIT_CHECK, "server sent more than %zu bytes",
			    c->msg.len);
		if (io_error(c, "recv") == IO_LOST)
			die(EXIT_CHECK, "server reset instead of closing (%s)",
			    strerror(c->error));
	}
}

/*
 * Send the rest of c's message while reading its echo; both at once, or a
 * large transfer would deadlock with both sides' buffers full.  Gives up
 * after idle_ms without a byte moving either way.  With rate (bytes a
 * second) above 0, reads no faster than that.
 */
static void transfer(struct conn *c, bool half_close, int idle_ms,
		     uint64_t rate)
{
	int64_t start = now_ms(), last_progress = start;
	size_t n = c->msg.len;
	bool shut = false;

	for (;;) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		int left = idle_ms - (int)(now_ms() - last_progress);
		size_t before = c->sent + c->recvd;
		int64_t read_at = 0, now = now_ms();
		bool pacing = false;
		enum io res;

		if (rate > 0)
			read_at = start + (int64_t)(c->recvd * 1000 / rate);
		if (read_at > now) {
			/* Too fast: sleep until the next read is due. */
			pacing = true;
			pfd.events = 0;
			last_progress = now; /* pacing is not a stall */
			left = idle_ms;
			if (left > read_at - now)
				left = (int)(read_at - now);
		}

		if (half_close && !shut && c->sent == n) {
			if (shutdown(c->fd, SHUT_WR) < 0)
				die(EXIT_IO, "shutdown: %s", strerror(errno));
			shut = true;
		}
		if (c->recvd == n)
			break;
		if (c->sent < n)
			pfd.events |= POLLOUT;
		if (left <= 0 || poll_fds(&pfd, 1, left) == 0) {
			if (pacing)
				continue; /* time to read again */
			die(EXIT_CHECK, "timeout: %zu of %zu bytes back",
			    c->recvd, n);
		}
		res = conn_pump(c, pfd.revents & POLLOUT,
				pfd.revents & (POLLIN | POLLHUP | POLLERR));
		if (io_failed(res))
			transfer_failed(c, res);
		if (c->sent + c->recvd != before)
			last_progress = now_ms();
	}
	if (half_close)
		expect_eof(c, idle_ms);
}

/* The whole of a file, or of stdin for "-", kept to compare the echo with. */
static unsigned char *read_input(const char *path, size_t *len)
{
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = IO_CHUNK, n = 0;
	unsigned char *buf;

	if (fd < 0)
		die(EXIT_IO, "%s: %s", path, strerror(errno));
	buf = xrealloc(NULL, cap);
	for (;;) {
		ssize_t r;

		if (n == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0)
			die(EXIT_IO, "read %s: %s", path, strerror(errno));
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (!is_stdin)
		xclose(fd);
	*len = n;
	return buf;
}

static int cmd_echo(int argc, char **argv, const struct target *t)
{
	struct conn c = {.id = 1};
	unsigned char *data = NULL;
	const char *file = NULL;
	bool have_bytes = false, half_close = false;
	uint64_t seed = 1, rate = 0;
	size_t bytes = 0, max_write = 0;
	int idle_ms = 10000, opt;

	while ((opt = next_option(argc, argv, "+:f:n:s:x:Hr:t:")) != -1) {
		switch (opt) {
		case 'f':
			file = optarg;
			break;
		case 'n':
			bytes = parse_num(optarg, "-n BYTES", 0, MAX_BYTES);
			have_bytes = true;
			break;
		case 's':
			seed = parse_num(optarg, "-s SEED", 0, UINT64_MAX);
			break;
		case 'x':
			max_write =
				parse_num(optarg, "-x MAXCHUNK", 1, MAX_BYTES);
			break;
		case 'H':
			half_close = true;
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
	if ((file != NULL) == have_bytes)
		usage_error("echo: give either -f FILE or -n BYTES");

	/* Read the file first, so that a slow stdin cannot stall a transfer. */
	if (file)
		data = read_input(file, &bytes);
	c.fd = open_conn(t);
	c.msg = (struct payload){.data = data, .len = bytes, .seed = seed};
	c.max_write = max_write;
	c.split = ~seed; /* sizes from another stream than the data */
	transfer(&c, half_close, idle_ms, rate);
	out("echoed %zu bytes\n", bytes);
	xclose(c.fd);
	free(data);
	return 0;
}

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

static int cmd_hog(int argc, char **argv, const struct target *t)
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

/* ---- hold, ping, reset ------------------------------------------------- */

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

static int cmd_hold(int argc, char **argv, const struct target *t)
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

static int cmd_ping(int argc, char **argv, const struct target *t)
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

/*
 * Send the message until the echo starts coming back.  Sending stops early
 * if the echo is there and the socket is full: the server is then blocked
 * writing to us, which is just the moment a reset should hit it.
 */
static void send_until_echo(struct conn *c)
{
	struct pollfd pfd = {.fd = c->fd};
	char byte;
	ssize_t r;

	do {
		enum io res = conn_pump(c, true, false);

		if (io_failed(res))
			transfer_failed(c, res);
		pfd.events = POLLIN | (c->sent < c->msg.len ? POLLOUT : 0);
		if (poll_fds(&pfd, 1, RESET_WAIT_MS) == 0)
			die(EXIT_CHECK, "timeout: no echo within %d ms",
			    RESET_WAIT_MS);
	} while (pfd.revents & POLLOUT);
	/* Peek, so the unread echo stays queued and close() must reset. */
	r = recv(c->fd, &byte, 1, MSG_PEEK);
	if (r == 0)
		die(EXIT_CHECK, "server closed before echoing anything");
	if (r < 0 && io_error(c, "recv") == IO_LOST)
		transfer_failed(c, IO_LOST);
}

static int cmd_reset(int argc, char **argv, const struct target *t)
{
	struct linger abort_on_close = {.l_onoff = 1, .l_linger = 0};
	struct conn c = {.id = 1};
	size_t bytes = 64 * 1024;
	int opt;

	while ((opt = next_option(argc, argv, "+:n:")) != -1) {
		if (opt == 'n')
			bytes = parse_num(optarg, "-n BYTES", 1, MAX_BYTES);
	}
	no_more_arguments(argc, argv);

	c.fd = open_conn(t);
	set_message(&c, 1, bytes); /* any seed will do */
	send_until_echo(&c);
	/* Lingering for 0 seconds makes close() send a RST, not a FIN. */
	if (setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &abort_on_close,
		       sizeof(abort_on_close)) < 0)
		die(EXIT_IO, "setsockopt SO_LINGER: %s", strerror(errno));
	xclose(c.fd);
	out("reset\n");
	return 0;
}

/* ---- bench ------------------------------------------------------------- */

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

static int cmd_bench(int argc, char **argv, const struct target *t)
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

/* ---- proc -------------------------------------------------------------- */

/* /proc/PID/NAME into buf as a string; a missing process is an I/O error. */
static void read_proc(long pid, const char *name, char *buf, size_t size)
{
	char path[64];
	size_t n = 0;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/%s", pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		die(EXIT_IO, "no process %ld", pid);
	if (fd < 0)
		die(EXIT_IO, "%s: %s", path, strerror(errno));
	while ((r = read(fd, buf + n, size - 1 - n)) > 0)
		n += (size_t)r;
	/* ESRCH: the process exited after we opened the file. */
	if (r < 0)
		die(EXIT_IO, "read %s: %s", path, strerror(errno));
	buf[n] = '\0';
	xclose(fd);
}

static void proc_status(long pid, unsigned long *rss_kib,
			unsigned long *threads)
{
	char buf[8192], *save = NULL;

	read_proc(pid, "status", buf, sizeof(buf));
	*rss_kib = 0; /* kernel threads have no VmRSS line */
	*threads = 0;
	for (char *line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		/* A line that does not match leaves the value untouched. */
		(void)sscanf(line, "VmRSS: %lu", rss_kib);
		(void)sscanf(line, "Threads: %lu", threads);
	}
}

static unsigned long long proc_cpu_ms(long pid)
{
	unsigned long long utime, stime;
	long ticks_per_sec = sysconf(_SC_CLK_TCK);
	char buf[4096], *fields;

	if (ticks_per_sec <= 0)
		die(EXIT_IO, "sysconf(_SC_CLK_TCK) failed");
	read_proc(pid, "stat", buf, sizeof(buf));
	/*
	 * "PID (COMM) STATE PPID ...": COMM may hold spaces and ')', so the
	 * fields start after the last ')'.  utime and stime are fields 14
	 * and 15; skip STATE (3), five ints (4-8) and five unsigned (9-13).
	 */
	fields = strrchr(buf, ')');
	if (!fields || sscanf(fields + 1,
			      " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u"
			      " %llu %llu",
			      &utime, &stime) != 2)
		die(EXIT_IO, "/proc/%ld/stat: unexpected format", pid);
	return (utime + stime) * 1000 / (unsigned long long)ticks_per_sec;
}

static size_t proc_fds(long pid)
{
	char path[64];
	struct dirent *entry;
	size_t n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	dir = opendir(path);
	if (!dir)
		die(EXIT_IO, "%s: %s", path, strerror(errno));
	errno = 0; /* readdir() returns NULL at the end and on errors */
	while ((entry = readdir(dir)) != NULL)
		if (entry->d_name[0] != '.')
			n++;
	if (errno != 0)
		die(EXIT_IO, "readdir %s: %s", path, strerror(errno));
	if (closedir(dir) < 0)
		die(EXIT_IO, "closedir: %s", strerror(errno));
	return n;
}

static int cmd_proc(int argc, char **argv, const struct target *t)
{
	unsigned long rss_kib, threads;
	unsigned long long cpu_ms;
	size_t fds;
	long pid;

	(void)t; /* proc reads /proc, it does not talk to the server */
	(void)next_option(argc, argv, "+:"); /* proc has no options */
	if (argc - optind != 1)
		usage_error("proc: expected one PID");
	pid = (long)parse_num(argv[optind], "PID", 1, INT_MAX);

	proc_status(pid, &rss_kib, &threads);
	cpu_ms = proc_cpu_ms(pid);
	fds = proc_fds(pid);
	out("rss_kib=%lu threads=%lu cpu_ms=%llu fds=%zu\n", rss_kib, threads,
	    cpu_ms, fds);
	return 0;
}

/* ---- main -------------------------------------------------------------- */

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv, const struct target *t);
} commands[] = {
	{"echo", cmd_echo}, {"hold", cmd_hold},   {"hog", cmd_hog},
	{"ping", cmd_ping}, {"reset", cmd_reset}, {"bench", cmd_bench},
	{"proc", cmd_proc},
};

static void setup_process(void)
{
	struct sigaction ignore = {.sa_handler = SIG_IGN};
	struct rlimit limit;
	sigset_t usr1;

	/* A server that closes early must give us EPIPE, not kill us. */
	if (sigaction(SIGPIPE, &ignore, NULL) < 0)
		die(EXIT_IO, "sigaction: %s", strerror(errno));
	/* SIGUSR1 kills by default; blocked, it waits for wait_for_usr1(). */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &usr1, NULL) < 0)
		die(EXIT_IO, "sigprocmask: %s", strerror(errno));
	/* hold -c 10000 needs more descriptors than the usual soft limit. */
	if (getrlimit(RLIMIT_NOFILE, &limit) < 0)
		die(EXIT_IO, "getrlimit: %s", strerror(errno));
	limit.rlim_cur = limit.rlim_max;
	/* Not fatal: only the commands with many connections need it. */
	if (setrlimit(RLIMIT_NOFILE, &limit) < 0)
		warn("cannot raise the open file limit: %s", strerror(errno));
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	usage_error("unknown command '%s'", name);
}

int main(int argc, char **argv)
{
	const char *host = DEFAULT_ADDR;
	const struct command *cmd;
	struct target target = {0}; /* unused by proc */
	unsigned int port = 0;
	int opt;

	while ((opt = next_option(argc, argv, "+:a:p:")) != -1) {
		if (opt == 'a')
			host = optarg;
		else
			port = (unsigned int)parse_num(optarg, "-p PORT", 1,
						       65535);
	}
	if (optind == argc)
		usage_error("no command given");
	cmd = find_command(argv[optind]);
	if (cmd->run != cmd_proc) {
		if (port == 0)
			usage_error("%s: -p PORT is required", cmd->name);
		parse_target(&target, host, port);
	}
	setup_process();

	/*
	 * The command parses the rest, from its own name on.  Setting optind
	 * to 0 (not 1) makes glibc's getopt() start over completely.
	 */
	argc -= optind;
	argv += optind;
	optind = 0;
	return cmd->run(argc, argv, &target);
}
