/*
 * 06-threadpool-selfpipe: blocking work in a thread pool, completions
 * through a self-pipe.
 *
 * What it adds: the talk's third kind of thing, the one that cannot be
 * polled. The calls that still blocked the loop, the name lookup at accept
 * (getnameinfo) and the log writes, run on a few worker threads
 * (THREADPOOL_SIZE, default 4, started with the first job). A finished job
 * goes on a done list, and its worker writes one byte into a pipe whose
 * read end the loop polls like any socket: the self-pipe. The loop then
 * runs the job's done callback on its own thread. The echo starts at once;
 * a client's "open" line follows when its name is known. Each job counts
 * as a request, keeping the loop alive until its done callback has run.
 *
 * What it cannot do: stop cleanly on a signal (SIGTERM kills it mid-work,
 * with lines still unwritten), or run child processes; 07 adds both. And
 * the pool is small on purpose: ten slow lookups wait for one another on a
 * pool of one (the talk's warning about the pool).
 *
 * Build: cc -pthread server.c -o server (or make). Usage: ./server -h.
 * Start reading at main(), at the bottom.
 */

/*** includes ***/

#define _GNU_SOURCE /* accept4 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "heap.h"

/*** constants ***/

#define DEFAULT_PORT "7007"      /* the same in every stage */
#define DEFAULT_ADDR "127.0.0.1" /* loopback: not exposed by default */
#define READ_SIZE 65536          /* bytes asked for per read() */
#define PEER_LEN 128             /* "NAME (ADDR:PORT)", each cut at 60 */
#define LOG_LINE_MAX 512         /* one log line, longer is cut */
#define SPARE_RETRY_SECS 1       /* out of fds, no spare: retry after */

#define MAX_EVENTS 256 /* events taken from one epoll_wait() */

#define HIGH_WATER (256 * 1024) /* queued echo that stops reading... */
#define LOW_WATER (64 * 1024)   /* ...until it drains to this */

#define DEFAULT_IDLE "60" /* -t: seconds a client may stay silent */

#define DEFAULT_POOL_SIZE 4          /* workers if THREADPOOL_SIZE is unset */
#define MAX_POOL_SIZE 1024           /* the largest THREADPOOL_SIZE */
#define LOG_BUFFER_MAX (1024 * 1024) /* log bytes waiting: more are dropped */
#define WHY_LEN 64                   /* a close's reason, kept for its line */

/*** types ***/

/*
 * An fd's callback, for the loop: epoll hands back a pointer to the watcher
 * with each event, and the loop calls its cb. The listener and every client
 * have one; later stages add more without touching the loop.
 *
 * libuv's uv__io_t plays this part, differently: libuv gives epoll the fd,
 * not a pointer, and finds the watcher in its table loop->watchers[fd]
 * (since 1.52, a uv__io_t keeps a kind of callback, not a pointer to one).
 * A pointer needs no table, but it must stay valid while epoll may still
 * return it: see close_conn().
 */
struct watcher {
	void (*cb)(struct watcher *w, uint32_t events); /* NULL once closed */
	uint32_t events; /* asked of epoll; 0: not in the epoll set */
};

/*
 * What can keep the loop alive: the listener, a connection, a timer. Flags,
 * not counters, so starting or unref'ing twice is the same as once (as in
 * libuv's handle docs). The loop runs while some handle is both active and
 * ref'd: see loop_alive(). libuv: uv_handle_t.
 *
 * One choice differs from libuv: here a connection is active from accept
 * to close, since it always has a read waiting. A libuv TCP handle is
 * active only while it reads or listens (uv_read_start(), uv_listen());
 * a write in flight keeps the loop alive as a request instead.
 */
struct handle {
	bool active; /* at work: listening, open, or started */
	bool ref;    /* counts towards keeping the loop alive */
};

/* A callback to run at a given loop time. libuv: uv_timer_t. */
struct timer {
	struct heap_node node;       /* first: node pointer = timer pointer */
	struct handle h;             /* active while started */
	void (*cb)(struct timer *t); /* what to run */
	void *data;                  /* for cb: the conn of an idle timer */
	unsigned long long due;      /* loop time (ms) to run at */
	unsigned long long start_id; /* equal due times run in start order */
	bool ready;                  /* due: taken off the heap, to run now */
	struct timer *next_ready;    /* the next due timer to run */
};

/*
 * Blocking work for the pool: work() runs on a worker thread, then done()
 * runs on the loop's thread with what work() returned. From pool_submit()
 * until done() has run, the job and whatever its work() uses belong to the
 * worker: the loop reads none of it, and frees none of it. libuv: struct
 * uv__work.
 */
struct job {
	int (*work)(struct job *j);              /* the blocking call */
	void (*done)(struct job *j, int result); /* then, on the loop */
	bool busy;                               /* submitted, not done yet */
	int result;                              /* what work() returned */
	unsigned long long queued_us;            /* -s: when submitted */
	unsigned long long taken_us;             /* -s: when a worker took it */
	struct job *next;                        /* in the queue or done list */
};

/* A log write in the pool: its own buffer, so the loop goes on logging into
 * a new one meanwhile. */
struct log_write {
	struct job job; /* first: job pointer = log_write pointer */
	int fd;         /* the log */
	char *buf;      /* the lines, handed over by flush_log() */
	size_t len;     /* bytes in buf */
	unsigned lines; /* lines in buf, counted if the write fails */
};

/* A name lookup in the pool: what the worker needs, kept apart from the
 * conn it names, and only while it runs. libuv: uv_getnameinfo_t, a request
 * the caller allocates, apart from any handle, into which uv_getnameinfo()
 * copies the address (src/unix/getnameinfo.c). */
struct lookup {
	struct job job;               /* first: job pointer = lookup pointer */
	struct conn *c;               /* the conn to name */
	struct sockaddr_storage addr; /* its address, saved at accept */
	socklen_t addr_len;           /* the size of addr in use */
	char why[WHY_LEN];            /* c closed meanwhile: the reason */
};

/* One client connection. */
struct conn {
	struct watcher w; /* first, so a pointer to w is a pointer to c */

	int fd;                    /* the connected socket */
	unsigned long long echoed; /* bytes written back so far */

	struct conn *next_closed; /* on srv.closed until it is freed */

	char *out;        /* echo the kernel has not taken yet, or NULL */
	size_t out_start; /* the first unsent byte in out */
	size_t out_end;   /* one past the last */
	size_t out_cap;   /* bytes allocated for out */
	bool eof;         /* the client half-closed: close once out is sent */
	bool paused;      /* not reading: too much echo queued */

	struct handle h;                /* active from accept to close */
	struct timer idle;              /* -t: closes c once it is silent */
	unsigned long long last_active; /* loop time of its last byte */
	int unacked;                    /* SIOCOUTQ at a first look, or -1 */

	struct lookup *lookup; /* naming c in the pool, or NULL: name_peer() */

	char peer[]; /* who it is, for the log; sized by accept_client() */
};

/* Everything else the server knows: options and process-wide fds. */
struct server {
	struct sockaddr_storage addr; /* -b and -p: where to listen */
	socklen_t addr_len;           /* the size of addr in use */
	const char *log_path;         /* -l: append the log here */
	bool quiet;                   /* -q: no log at all */
	int listen_fd;                /* the listening socket */
	int log_fd;                   /* stderr, the -l file, or -1 (-q) */
	int spare_fd;                 /* given back when fds run out */
	bool shedding;                /* out of fds, said so in the log */

	int epoll_fd;            /* the set of fds the loop waits on */
	struct watcher listener; /* listen_fd's: calls on_accept() */
	struct conn *closed;     /* closed in this batch of events */
	bool accept_paused;      /* no spare fd: listener out of the set */

	unsigned long long now;       /* loop time: ms, read once per turn */
	unsigned long long now_us;    /* the same reading, in microseconds */
	struct heap timers;           /* started timers, soonest first */
	unsigned long long timer_ids; /* the start_id of the next start */
	unsigned alive;               /* handles both active and ref'd */
	struct handle listen_h;       /* the listener's: active until -n */
	unsigned long long idle_ms;   /* -t, in ms; 0: no idle timeout */
	long accept_limit;            /* -n: close the listener after it */
	long accepted;                /* connections accepted so far */
	unsigned conns;               /* connections open now */
	unsigned long long stats_ms;  /* -s, in ms; 0: no statistics */
	struct timer stats;           /* -s: logs the lines below */
	unsigned long long turns;     /* loop turns since the last line */
	unsigned long long run_us;    /* time spent in callbacks since */
	unsigned long long lag_us;    /* the longest single callback since */
	unsigned long long mark_us;   /* when the running callback began */
	unsigned long long since_us;  /* when the last line was logged */

	struct watcher wakeup;  /* the self-pipe's read end: on_wakeup() */
	struct handle wakeup_h; /* its handle: active, never ref'd */
	unsigned requests;      /* jobs submitted whose done() has not run */

	char *log_buf;              /* log lines not handed to the pool yet */
	size_t log_len;             /* bytes in log_buf */
	size_t log_cap;             /* bytes allocated for log_buf */
	unsigned log_lines;         /* lines in log_buf */
	struct log_write log_write; /* at most one log write in flight */

	unsigned long long jobs_done;   /* -s: done() calls since the line */
	unsigned long long wakeups;     /* -s: pipe reads that found work */
	unsigned max_queued;            /* -s: the deepest the queue got */
	unsigned long long max_wait_us; /* -s: the longest a job waited */
	unsigned long long log_dropped; /* -s: log lines lost */
};

/*
 * The pool: what the loop's thread and the workers share. The first group
 * is the loop thread's; the workers only read wake_fds, set before any of
 * them starts. Everything below lock is guarded by it. libuv: the statics
 * of src/threadpool.c (there, one pool serves every loop of the process),
 * and each loop's wq_mutex, wq (the done list) and wq_async (the wake-up).
 */
struct pool {
	unsigned size;                    /* THREADPOOL_SIZE: workers wanted */
	bool started;                     /* the first job came: started */
	unsigned workers;                 /* how many run */
	pthread_t threads[MAX_POOL_SIZE]; /* theirs, to join them at exit */
	int wake_fds[2];                  /* self-pipe: [0] read, [1] write */

	pthread_mutex_t lock;      /* guards everything below */
	pthread_cond_t work_ready; /* a job was queued, or stopping */
	struct job *queue;         /* submitted, no worker took it yet */
	struct job **queue_tail;   /* where the next job is linked */
	unsigned queued;           /* jobs in the queue */
	unsigned idle;             /* workers waiting for a job */
	bool stopping;             /* workers: exit once the queue is empty */
	struct job *done;          /* work done, done() not run yet */
	struct job **done_tail;    /* where the next finished job is linked */
};

/*** state ***/

static struct server srv = {.listen_fd = -1, .log_fd = -1, .spare_fd = -1};

static struct pool pool = {
	.size = DEFAULT_POOL_SIZE,
	.wake_fds = {-1, -1},
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.work_ready = PTHREAD_COND_INITIALIZER,
	.queue_tail = &pool.queue,
	.done_tail = &pool.done,
};

/*** errors and logging ***/

/*
 * Two tiers of errors. Start-up errors end the program: die() prints
 * "server: WHAT: REASON" and exits 1. Errors while serving never come here:
 * they are logged and close the one connection they belong to.
 *
 * If stderr itself fails there is nowhere left to complain, so the return
 * values of the stdio calls that print these messages are not checked; the
 * exit status still tells.
 */
static void die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fputs("server: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	exit(1);
}

/* Write all of buf, retrying short writes and EINTR (a signal arrived
 * before anything was written). Returns 0, or -1 with errno set. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Keep a log line in srv.log_buf, for flush_log() to hand to the pool.
 * Returns -1 if memory is short, or LOG_BUFFER_MAX bytes already wait (the
 * log is slower than the lines come). */
static int append_log(const char *line, size_t len)
{
	size_t cap = srv.log_cap > 0 ? srv.log_cap : LOG_LINE_MAX * 8;
	char *buf;

	if (srv.log_len + len > LOG_BUFFER_MAX)
		return -1;
	while (cap < srv.log_len + len)
		cap *= 2;
	if (cap != srv.log_cap) {
		buf = realloc(srv.log_buf, cap);
		if (buf == NULL)
			return -1;
		srv.log_buf = buf;
		srv.log_cap = cap;
	}
	memcpy(srv.log_buf + srv.log_len, line, len);
	srv.log_len += len;
	srv.log_lines++;
	return 0;
}

/* Append one line to the log. The line goes out in a single write, so
 * lines from several threads never interleave. A log that cannot be
 * written must not stop the echo, so a failed write is dropped. */
static void log_line(const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;
	int n;

	if (srv.log_fd == -1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof line - 2)
		n = sizeof line - 2; /* cut: keep room for the newline */
	line[n++] = '\n';
	if (append_log(line, (size_t)n) == -1)
		srv.log_dropped++; /* dropped, see above, and counted */
}

/*** command line ***/

static void usage(FILE *out)
{
	fputs("usage: server [-p PORT] [-b ADDR] [-l FILE] [-q] [-t SECS] "
	      "[-n COUNT] [-s SECS] [-h]\n"
	      "  -p PORT  port to listen on, 0 lets the kernel choose "
	      "(default " DEFAULT_PORT ")\n"
	      "  -b ADDR  numeric address to bind (default " DEFAULT_ADDR ")\n"
	      "  -l FILE  append the log to FILE instead of stderr\n"
	      "  -q       quiet: no log\n"
	      "  -t SECS  close a client silent for SECS, 0: never "
	      "(default " DEFAULT_IDLE ")\n"
	      "  -n COUNT close the listener after COUNT clients, and exit "
	      "once they leave\n"
	      "  -s SECS  log the loop's statistics every SECS\n"
	      "  -h       show this help\n"
	      "THREADPOOL_SIZE in the environment: the pool's workers, 1 to "
	      "1024 (default 4)\n",
	      out);
}

/* Bad command line: say what is wrong, show the usage, exit 2. */
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("server: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	exit(2);
}

/* Parse the argument of option -opt as a whole number in [min, max]. */
static long parse_number(int opt, const char *arg, long min, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno != 0 ||
	    n < min || n > max)
		usage_error("-%c wants a number from %ld to %ld, not '%s'", opt,
			    min, max, arg);
	return n;
}

/*
 * THREADPOOL_SIZE, the counterpart of Node's UV_THREADPOOL_SIZE: how many
 * workers the pool starts. libuv clamps a bad value silently ("abc" and 0
 * give 1 worker, 5000 gives 1024); a typo should not quietly leave a pool
 * of one, so here anything but a whole number from 1 to MAX_POOL_SIZE is
 * refused like a bad flag. Read at start-up, to fail before serving.
 */
static void parse_pool_size(void)
{
	const char *arg = getenv("THREADPOOL_SIZE");
	char *end;
	long n;

	if (arg == NULL)
		return; /* DEFAULT_POOL_SIZE */
	errno = 0;
	n = strtol(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno != 0 ||
	    n < 1 || n > MAX_POOL_SIZE)
		usage_error("THREADPOOL_SIZE wants a number from 1 to %d, not "
			    "'%s'",
			    MAX_POOL_SIZE, arg);
	pool.size = (unsigned)n;
}

static void parse_args(int argc, char **argv)
{
	const char *port = DEFAULT_PORT;
	const char *addr = DEFAULT_ADDR;
	const char *idle = DEFAULT_IDLE;
	struct addrinfo hints = {
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
		.ai_socktype = SOCK_STREAM,
	};
	struct addrinfo *res;
	int opt, err;

	opterr = 0; /* we print our own messages */
	while ((opt = getopt(argc, argv, ":p:b:l:qt:n:s:h")) != -1) {
		switch (opt) {
		case 'p':
			parse_number('p', optarg, 0, 65535); /* checks only */
			port = optarg;
			break;
		case 'b':
			addr = optarg;
			break;
		case 'l':
			srv.log_path = optarg;
			break;
		case 'q':
			srv.quiet = true;
			break;
		case 't':
			idle = optarg;
			break;
		case 'n':
			srv.accept_limit =
				parse_number('n', optarg, 1, LONG_MAX);
			break;
		case 's':
			srv.stats_ms =
				1000 * parse_number('s', optarg, 1, 86400);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			usage_error("option -%c needs an argument", optopt);
			break;
		default:
			usage_error("unknown option -%c", optopt);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (srv.quiet && srv.log_path != NULL)
		usage_error("-q and -l do not go together: -q means no log");
	srv.idle_ms = 1000 * parse_number('t', idle, 0, 86400);
	parse_pool_size();

	/* Numeric flags: this only parses, it never blocks on a lookup. */
	err = getaddrinfo(addr, port, &hints, &res);
	if (err != 0)
		usage_error("-b wants a numeric IPv4 or IPv6 address, not '%s'",
			    addr);
	memcpy(&srv.addr, res->ai_addr, res->ai_addrlen);
	srv.addr_len = res->ai_addrlen;
	freeaddrinfo(res);
}

/*** socket setup ***/

/* Format a socket address as "ADDR:PORT" ("[ADDR]:PORT" for IPv6), without
 * any name lookup. */
static void format_addr(const struct sockaddr *sa, socklen_t len, char *buf,
			size_t size)
{
	char host[NI_MAXHOST], port[NI_MAXSERV];

	if (getnameinfo(sa, len, host, sizeof host, port, sizeof port,
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(buf, size, "?");
		return;
	}
	snprintf(buf, size, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
		 host, port);
}

static void open_log(void)
{
	int flags;

	if (srv.quiet)
		return;
	if (srv.log_path == NULL) {
		srv.log_fd = STDERR_FILENO;
		return;
	}
	/* O_NONBLOCK for open() alone: a FIFO that no one reads fails at once
	 * (ENXIO) instead of waiting for a reader. The log's writes wait as
	 * before, so the flag is cleared once the file is open. */
	srv.log_fd = open(
		srv.log_path,
		O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK, 0644);
	if (srv.log_fd == -1)
		die("cannot open log file %s", srv.log_path);
	flags = fcntl(srv.log_fd, F_GETFL);
	if (flags == -1 ||
	    fcntl(srv.log_fd, F_SETFL, flags & ~O_NONBLOCK) == -1)
		die("fcntl %s", srv.log_path);
}

/* A client that resets its connection while we write to it would make
 * write() raise SIGPIPE, whose default action kills the whole process.
 * Ignored, write() fails with EPIPE instead and we close that client. */
static void ignore_sigpipe(void)
{
	struct sigaction sa = {.sa_handler = SIG_IGN};

	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		die("sigaction SIGPIPE");
}

/* Open an fd to keep spare, for accept_spare() to give back when fds run
 * out. Returns 0, or -1 with errno set (EMFILE or ENFILE: none to spare). */
static int take_spare(void)
{
	srv.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return srv.spare_fd == -1 ? -1 : 0;
}

/* socket, bind, listen. The ready line waits for announce_ready(). */
static void listen_on(void)
{
	char where[NI_MAXHOST + NI_MAXSERV + 4];
	int one = 1;

	format_addr((struct sockaddr *)&srv.addr, srv.addr_len, where,
		    sizeof where);
	/* Non-blocking: accept() must never wait in the loop, should epoll's
	 * news be stale by the time it runs (another process sharing the
	 * listener took the connection; on BSD, the client reset it). */
	srv.listen_fd = socket(srv.addr.ss_family,
			       SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (srv.listen_fd == -1)
		die("socket");
	/* Let a restarted server bind while old connections sit in TIME_WAIT. */
	if (setsockopt(srv.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one,
		       sizeof one) == -1)
		die("setsockopt SO_REUSEADDR");
	if (bind(srv.listen_fd, (struct sockaddr *)&srv.addr, srv.addr_len) ==
	    -1)
		die("bind %s", where);
	if (listen(srv.listen_fd, SOMAXCONN) == -1)
		die("listen");

	/* Kept open only to be closed when fds run out: see accept_spare(). */
	if (take_spare() == -1)
		die("open /dev/null");
}

/*
 * Print the ready line, "listening on ADDR:PORT", on stdout: with -p 0 the
 * kernel chose the port, and getsockname() tells which. The line is a
 * promise that clients will be served, so run_loop() calls this last, once
 * everything the loop needs exists: a server must not say it is ready and
 * then fail to start.
 */
static void announce_ready(void)
{
	struct sockaddr_storage bound;
	socklen_t bound_len = sizeof bound;
	char where[NI_MAXHOST + NI_MAXSERV + 4];

	if (getsockname(srv.listen_fd, (struct sockaddr *)&bound, &bound_len) ==
	    -1)
		die("getsockname");
	format_addr((struct sockaddr *)&bound, bound_len, where, sizeof where);
	printf("listening on %s\n", where);
	if (fflush(stdout) == EOF)
		die("stdout");
}

/*** epoll ***/

/* Ask epoll to report events on fd to w. libuv: uv__io_start(). */
static int watch(int fd, struct watcher *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	if (epoll_ctl(srv.epoll_fd, EPOLL_CTL_ADD, fd, &ev) == -1)
		return -1;
	w->events = events;
	return 0;
}

/*** handles ***/

static void handle_init(struct handle *h)
{
	h->active = false;
	h->ref = true;
}

/* Set h's flags, keeping srv.alive, the count of handles that are both
 * active and ref'd, in step with them. */
static void handle_set(struct handle *h, bool active, bool ref)
{
	if (h->active && h->ref)
		srv.alive--;
	h->active = active;
	h->ref = ref;
	if (h->active && h->ref)
		srv.alive++;
}

static void handle_start(struct handle *h)
{
	handle_set(h, true, h->ref);
}

static void handle_stop(struct handle *h)
{
	handle_set(h, false, h->ref);
}

/* Let h run without keeping the loop alive: it counts no more. */
static void handle_unref(struct handle *h)
{
	handle_set(h, h->active, false);
}

/*
 * Whether the loop has anything left to wait for: a handle both active and
 * ref'd (the listener, an open connection, a started timer not unref'd).
 * NOTES.md: "When does Node exit?". libuv: uv__loop_alive(), which (since
 * 1.44) asks four things: an active, ref'd handle; a request under way; a
 * callback deferred to the next turn; a handle still closing. This series
 * has the first here; 06 adds the second, the thread pool's jobs. It has
 * no deferred callbacks, and a closed conn is freed within its turn.
 */
static bool loop_alive(void)
{
	return srv.alive > 0 || srv.requests > 0;
}

/*** time ***/

/* CLOCK_MONOTONIC, in microseconds: it never jumps, unlike the time of day,
 * and reading it is usually a call into the vDSO, not a system call. */
static unsigned long long clock_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		die("clock_gettime");
	return (unsigned long long)ts.tv_sec * 1000000 +
	       (unsigned long long)ts.tv_nsec / 1000;
}

/* Read the clock into the loop's now. Between two readings, everything in
 * the loop happens at the same now: the timers started by the callbacks of
 * one turn all count from it. libuv: uv__update_time(). */
static void update_time(void)
{
	srv.now_us = clock_us();
	srv.now = srv.now_us / 1000;
	srv.mark_us = srv.now_us;
}

/* -s: a callback has just returned; add its time to the statistics. */
static void note_callback(void)
{
	unsigned long long us, took;

	if (srv.stats_ms == 0)
		return; /* do not read the clock for nothing */
	us = clock_us();
	took = us - srv.mark_us;
	srv.run_us += took;
	if (took > srv.lag_us)
		srv.lag_us = took;
	srv.mark_us = us;
}

/* Which of two timers runs first: the earlier due time, or if they are
 * equal, the one started first. */
static int timer_less(const struct heap_node *a, const struct heap_node *b)
{
	const struct timer *ta = (const struct timer *)a;
	const struct timer *tb = (const struct timer *)b;

	if (ta->due != tb->due)
		return ta->due < tb->due;
	return ta->start_id < tb->start_id;
}

static void timer_init(struct timer *t, void (*cb)(struct timer *t), void *data)
{
	handle_init(&t->h);
	t->cb = cb;
	t->data = data;
	t->ready = false;
}

/* Stop t: off the heap if it was started, and not run if it was due. */
static void timer_stop(struct timer *t)
{
	t->ready = false;
	if (!t->h.active)
		return;
	heap_remove(&srv.timers, &t->node, timer_less);
	handle_stop(&t->h);
}

/* Run t's callback ms milliseconds from now (restarting it if started).
 * It never fails: the heap lives in the timers themselves. */
static void timer_start(struct timer *t, unsigned long long ms)
{
	timer_stop(t);
	t->due = srv.now + ms;
	t->start_id = srv.timer_ids++;
	heap_insert(&srv.timers, &t->node, timer_less);
	handle_start(&t->h);
}

/*
 * How long epoll_wait() may sleep: until the soonest timer is due, in whole
 * ms (the kernel may wake us a little late, never early), or -1, for ever,
 * if no timer is started. NOTES.md: "Pollable: time".
 * libuv: uv__next_timeout().
 */
static int next_timeout(void)
{
	const struct timer *t = (const struct timer *)srv.timers.min;

	if (t == NULL)
		return -1;
	if (t->due <= srv.now)
		return 0;
	if (t->due - srv.now > INT_MAX)
		return INT_MAX;
	return (int)(t->due - srv.now);
}

/*
 * Run every timer that is due. They are all taken off the heap first, then
 * run in order: a callback that starts a timer again, even for 0 ms, puts
 * it back for the next turn, so timers cannot keep the loop from polling.
 * A timer stopped by an earlier callback of the same run is skipped.
 * libuv: uv__run_timers().
 */
static void run_timers(void)
{
	struct timer *ready = NULL, **last = &ready, *t;

	while (srv.timers.min != NULL) {
		t = (struct timer *)srv.timers.min;
		if (t->due > srv.now)
			break;
		timer_stop(t);
		t->ready = true;
		t->next_ready = NULL;
		*last = t;
		last = &t->next_ready;
	}
	while (ready != NULL) {
		t = ready;
		ready = t->next_ready;
		if (!t->ready)
			continue;
		t->ready = false;
		t->cb(t);
		note_callback();
	}
}

/*
 * -s: log what the loop did since the last line: its turns, the time spent
 * running callbacks, the rest (idle: asleep in epoll_wait(), as libuv's
 * uv_metrics_idle_time() counts it), the longest single callback (lag: how
 * long everyone else waited), and what is open. The timer is unref'd: it
 * never keeps the loop alive by itself.
 */
static void on_stats(struct timer *t)
{
	unsigned long long us = clock_us(), span = us - srv.since_us;

	timer_start(t, srv.stats_ms);
	log_line("stats: turns %llu, running %llu ms, idle %llu ms, "
		 "lag %llu.%llu ms, connections %u, timers %zu",
		 srv.turns, srv.run_us / 1000,
		 (span > srv.run_us ? span - srv.run_us : 0) / 1000,
		 srv.lag_us / 1000, srv.lag_us / 100 % 10, srv.conns,
		 srv.timers.count);
	srv.turns = srv.run_us = srv.lag_us = 0;
	srv.since_us = us;

	/* And what the pool did: the jobs whose done() ran, the self-pipe
	 * reads that found work, the deepest the queue got, the longest a job
	 * waited for a worker, and log lines lost. */
	log_line("stats: jobs %llu, wake-ups %llu, deepest queue %u, longest "
		 "wait %llu.%llu ms, log lines dropped %llu",
		 srv.jobs_done, srv.wakeups, srv.max_queued,
		 srv.max_wait_us / 1000, srv.max_wait_us / 100 % 10,
		 srv.log_dropped);
	srv.jobs_done = srv.wakeups = srv.max_wait_us = srv.log_dropped = 0;
	srv.max_queued = 0;
}

/*** pool ***/

/*
 * For the calls that fail only through a bug in this program: pthread_*
 * on the pool's mutex and condition variable (EINVAL, EPERM, EDEADLK...),
 * and the workers' write to the self-pipe (EBADF). The pthread_* functions
 * return the error number instead of setting errno, so err is passed in.
 * Say what failed and abort(), as libuv's uv_mutex_lock() does; not die(),
 * whose exit() would run exit handlers under the other threads' feet.
 */
static void abort_if(int err, const char *what)
{
	if (err == 0)
		return;
	fprintf(stderr, "server: %s: %s\n", what, strerror(err));
	abort();
}

static void pool_lock(void)
{
	abort_if(pthread_mutex_lock(&pool.lock), "pthread_mutex_lock");
}

static void pool_unlock(void)
{
	abort_if(pthread_mutex_unlock(&pool.lock), "pthread_mutex_unlock");
}

/*
 * Wake the loop: one byte into the self-pipe. EAGAIN is fine: the pipe is
 * full, so the loop has bytes to read, and when it does it will also see
 * the job just finished. EINTR: nothing was written, try again. libuv:
 * uv__async_send(), which aborts on other errors too.
 */
static void wake_loop(void)
{
	ssize_t n;

	do
		n = write(pool.wake_fds[1], "", 1);
	while (n == -1 && errno == EINTR);
	if (n == -1 && errno != EAGAIN)
		abort_if(errno, "write self-pipe");
}

/* j's work is done: put it on the done list and wake the loop. Called with
 * pool.lock held, by a worker (or by pool_submit() when none runs). */
static void pool_finish(struct job *j)
{
	j->next = NULL;
	*pool.done_tail = j;
	pool.done_tail = &j->next;
	wake_loop();
}

/*
 * A worker thread: take the oldest job, run its work() with the lock
 * released, put it on the done list; wait on the condition variable while
 * the queue is empty. It touches only the pool and its job, never the
 * loop's state. libuv: worker() in src/threadpool.c.
 */
static void *worker(void *arg)
{
	struct job *j;

	(void)arg;
	pool_lock();
	for (;;) {
		while (pool.queue == NULL && !pool.stopping) {
			pool.idle++;
			abort_if(
				pthread_cond_wait(&pool.work_ready, &pool.lock),
				"pthread_cond_wait");
			pool.idle--;
		}
		if (pool.queue == NULL)
			break; /* stopping, and nothing is left to do */
		j = pool.queue;
		pool.queue = j->next;
		if (pool.queue == NULL)
			pool.queue_tail = &pool.queue;
		pool.queued--;
		pool_unlock();
		j->taken_us = clock_us();
		j->result = j->work(j);
		pool_lock();
		pool_finish(j);
	}
	pool_unlock();
	return NULL;
}

/*
 * Start the workers, all at once, when the first job comes: as libuv does
 * (uv_once() in uv__work_submit()), so a server that never needs the pool
 * never pays for it. pthread_create() returns the error instead of setting
 * errno. Should it fail (EAGAIN: the thread or memory limit), the pool
 * makes do with the workers it has, and with none, pool_submit() runs jobs
 * on the loop's thread, blocking as 05 did. libuv aborts instead.
 */
static void pool_start(void)
{
	int err;

	pool.started = true;
	while (pool.workers < pool.size) {
		err = pthread_create(&pool.threads[pool.workers], NULL, worker,
				     NULL);
		if (err != 0) {
			log_line("pool: pthread_create: %s: %u of %u workers",
				 strerror(err), pool.workers, pool.size);
			return;
		}
		pool.workers++;
	}
}

/*
 * Queue j: a worker runs work(j), then the loop runs done(j, result). Until
 * done() has run, j is a request under way: it keeps the loop alive, and it
 * and what work() uses must stay as they are. Jobs start in the order they
 * were submitted, but finish in any order. libuv: uv__work_submit().
 */
static void pool_submit(struct job *j, int (*work)(struct job *j),
			void (*done)(struct job *j, int result))
{
	j->work = work;
	j->done = done;
	j->busy = true;
	j->next = NULL;
	j->queued_us = clock_us();
	srv.requests++;
	if (!pool.started)
		pool_start();
	if (pool.workers == 0) { /* none could start: see pool_start() */
		j->taken_us = j->queued_us;
		j->result = work(j);
		pool_lock();
		pool_finish(j);
		pool_unlock();
		return;
	}
	pool_lock();
	*pool.queue_tail = j;
	pool.queue_tail = &j->next;
	if (++pool.queued > srv.max_queued)
		srv.max_queued = pool.queued;
	if (pool.idle > 0)
		abort_if(pthread_cond_signal(&pool.work_ready),
			 "pthread_cond_signal");
	pool_unlock();
}

/*
 * The self-pipe is readable: jobs are done. Empty the pipe, then take the
 * whole done list and run each job's done(). In that order: a worker puts
 * its job on the list before it writes its byte, so a job this turn does
 * not take has a byte still to come, which wakes the loop again. Nothing
 * is lost, and however many jobs finished meanwhile, one wake-up serves
 * them all. libuv: uv__async_io(), then uv__work_done().
 */
static void on_wakeup(struct watcher *w, uint32_t events)
{
	char buf[256];
	struct job *done, *j;
	ssize_t n;

	(void)w;      /* there is only one self-pipe */
	(void)events; /* and EPOLLIN is all it reports */
	do
		n = read(pool.wake_fds[0], buf, sizeof buf);
	while (n == (ssize_t)sizeof buf || (n == -1 && errno == EINTR));
	if (n == -1 && errno != EAGAIN)
		die("read self-pipe");

	pool_lock();
	done = pool.done;
	pool.done = NULL;
	pool.done_tail = &pool.done;
	pool_unlock();
	if (done != NULL)
		srv.wakeups++;
	while (done != NULL) {
		j = done;
		done = j->next;
		if (j->taken_us - j->queued_us > srv.max_wait_us)
			srv.max_wait_us = j->taken_us - j->queued_us;
		j->busy = false;
		srv.requests--;
		srv.jobs_done++;
		j->done(j, j->result); /* may submit j again */
	}
}

/*
 * The self-pipe: the workers write to it, the loop polls its read end like
 * any socket. epoll waits on fds only, and a thread is not an fd: the loop
 * cannot wait on a condition variable (NOTES.md: "Aside: the self-pipe").
 * Both ends are non-blocking: the loop reads until it is empty without
 * ever waiting, and a worker never waits either (see wake_loop()). The
 * watcher's handle is unref'd, so the pipe alone never keeps the loop
 * alive; each job does instead, as a request. The workers themselves wait
 * for the first job. libuv: uv_loop_init() starts the loop's wq_async,
 * its wake-up, and unrefs it. On Linux libuv uses an eventfd, one fd with
 * a counter where a pipe needs two; a pipe is the same on every Unix.
 */
static void pool_init(void)
{
	if (pipe2(pool.wake_fds, O_NONBLOCK | O_CLOEXEC) == -1)
		die("pipe2");
	srv.wakeup.cb = on_wakeup;
	if (watch(pool.wake_fds[0], &srv.wakeup, EPOLLIN) == -1)
		die("epoll_ctl self-pipe");
	handle_init(&srv.wakeup_h);
	handle_start(&srv.wakeup_h);
	handle_unref(&srv.wakeup_h);
}

/*
 * At exit, once no request is left: tell the workers to stop, wake them
 * all, and wait for each to end. libuv: uv__threadpool_cleanup(), which
 * runs at exit as a library destructor.
 */
static void pool_stop(void)
{
	pool_lock();
	pool.stopping = true;
	abort_if(pthread_cond_broadcast(&pool.work_ready),
		 "pthread_cond_broadcast");
	pool_unlock();
	for (unsigned i = 0; i < pool.workers; i++)
		abort_if(pthread_join(pool.threads[i], NULL), "pthread_join");
	pool.workers = 0;
}

/*
 * The log writes, this series' fs.*: on a worker, write the lines handed
 * over, all in one write. A log that cannot be written must not stop the
 * echo, so a failed write is dropped (and counted, for -s). Returns 0 or
 * the errno.
 */
static int write_log(struct job *j)
{
	struct log_write *lw = (struct log_write *)j;

	return write_all(lw->fd, lw->buf, lw->len) == -1 ? errno : 0;
}

static void on_log_written(struct job *j, int result)
{
	struct log_write *lw = (struct log_write *)j;

	if (result != 0)
		srv.log_dropped += lw->lines;
	free(lw->buf);
	lw->buf = NULL;
}

/*
 * Once a turn: hand the lines logged so far to the pool, unless a write is
 * still in flight; then they wait, with those still to come, for the next
 * turn after it is done. So at most one write is in flight, the lines keep
 * their order, and a burst of lines costs one write: Node's fs.WriteStream
 * queues its writes the same way.
 */
static void flush_log(void)
{
	struct log_write *lw = &srv.log_write;

	if (srv.log_len == 0 || lw->job.busy)
		return;
	lw->fd = srv.log_fd;
	lw->buf = srv.log_buf;
	lw->len = srv.log_len;
	lw->lines = srv.log_lines;
	srv.log_buf = NULL;
	srv.log_len = srv.log_cap = 0;
	srv.log_lines = 0;
	pool_submit(&lw->job, write_log, on_log_written);
}

/*** connections ***/

/*
 * Fill c->peer with "NAME (ADDR:PORT)" for the log. The name comes from
 * getnameinfo() without NI_NUMERICHOST: a real lookup (/etc/hosts, DNS, ...)
 * that blocks this thread for as long as it takes, seconds if a DNS server
 * is slow. NOTES.md: "Sometimes pollable: DNS". If the lookup fails, the
 * name is "?"; a longer name than fits is cut, as it is only for the log.
 */
static void describe_peer(struct conn *c, const struct sockaddr *sa,
			  socklen_t len)
{
	char name[NI_MAXHOST], where[NI_MAXHOST + NI_MAXSERV + 4];

	if (getnameinfo(sa, len, name, sizeof name, NULL, 0, 0) != 0)
		strcpy(name, "?");
	format_addr(sa, len, where, sizeof where);
	snprintf(c->peer, PEER_LEN, "%.60s (%.60s)", name, where);
}

/*
 * On a worker: name c, the dns.lookup() of this series. It works on the
 * address saved at accept, never on the fd, which may be closed and its
 * number reused by the time this runs. Until on_peer_named() runs, c->peer
 * and the lookup's address are the worker's: the loop neither reads them
 * nor frees c.
 */
static int name_peer(struct job *j)
{
	struct lookup *l = (struct lookup *)j;

	describe_peer(l->c, (struct sockaddr *)&l->addr, l->addr_len);
	return 0; /* a name that cannot be found is "?" */
}

static void log_close(struct conn *c, const char *why)
{
	log_line("close fd %d %s: %s, %llu bytes echoed", c->fd, c->peer, why,
		 c->echoed);
}

/*
 * On the loop's thread: c has its name, so its open line can be logged.
 * If c was closed meanwhile, close_conn() left its close line and its
 * memory to this: log the line now, after the open line, and free c at the
 * end of the turn, as close_conn() would have.
 */
static void on_peer_named(struct job *j, int result)
{
	struct lookup *l = (struct lookup *)j;
	struct conn *c = l->c;

	(void)result;
	c->lookup = NULL;
	log_line("open fd %d %s", c->fd, c->peer);
	if (c->w.cb == NULL) { /* closed meanwhile */
		log_close(c, l->why);
		c->next_closed = srv.closed;
		srv.closed = c;
	}
	free(l);
}

/*
 * Have a worker name c (name_peer()), with a request that lives until
 * on_peer_named(). Out of memory for it, c is named "?" at once, by its
 * address alone, which needs no lookup.
 */
static void start_lookup(struct conn *c, const struct sockaddr_storage *addr,
			 socklen_t addr_len)
{
	struct lookup *l = calloc(1, sizeof *l);
	char where[NI_MAXHOST + NI_MAXSERV + 4];

	if (l == NULL) {
		format_addr((const struct sockaddr *)addr, addr_len, where,
			    sizeof where);
		snprintf(c->peer, PEER_LEN, "? (%.60s)", where);
		log_line("open fd %d %s", c->fd, c->peer);
		return;
	}
	l->c = c;
	memcpy(&l->addr, addr, addr_len);
	l->addr_len = addr_len;
	c->lookup = l;
	pool_submit(&l->job, name_peer, on_peer_named);
}

/*
 * Out of fds, and the spare is lost too: not even the slot of a connection
 * just closed could be had again (the fd limit was lowered under us, or
 * other processes took the system's last fds). Nothing can be accepted,
 * yet the connection waiting in the backlog keeps the listener ready, and
 * the loop would spin. So take the listener out of the epoll set: the loop
 * calls resume_accepting() each turn, and wakes at least every
 * SPARE_RETRY_SECS to do so. Connections wait in the backlog meanwhile.
 * Returns -1 with errno EMFILE: nothing was accepted.
 */
static int pause_accepting(void)
{
	log_line("accept: no spare fd: not accepting until fds free up");
	if (epoll_ctl(srv.epoll_fd, EPOLL_CTL_DEL, srv.listen_fd, NULL) == -1)
		log_line("epoll_ctl DEL listener: %s", strerror(errno));
	srv.listener.events = 0;
	srv.accept_paused = true;
	errno = EMFILE;
	return -1;
}

/* Accepting is paused: take a spare fd if one can be had now, and if so,
 * watch the listener again. */
static void resume_accepting(void)
{
	if (srv.spare_fd == -1 && take_spare() == -1)
		return; /* still short: next turn */
	if (watch(srv.listen_fd, &srv.listener, EPOLLIN) == -1) {
		log_line("epoll_ctl ADD listener: %s", strerror(errno));
		return; /* next turn */
	}
	srv.accept_paused = false;
	log_line("spare fd taken again: accepting");
}

/*
 * Out of fds: EMFILE (this process's limit) or ENFILE (the system's), and
 * accept() would fail the same way at once, again and again: it asks for
 * the new connection's fd before anything else, even before it waits for
 * a connection, so the server would spin doing nothing else. So give back
 * the fd kept spare for this moment, accept with its slot, and take a
 * spare again. If that fails, fds are still short: close the connection
 * at once (its client sees it closed instead of hanging) and return -1.
 * If it works, fds came back meanwhile: return the connection, to be
 * served. If not even the spare can be had again, see pause_accepting().
 *
 * libuv has the same trick, uv__emfile_trick() in src/unix/stream.c, done
 * differently: it accepts and closes every connection waiting, until
 * EAGAIN, and serves none of them. When it cannot take its spare again it
 * goes on without one until the next stream handle is made, and spins
 * meanwhile: from 1.45 its loop wakes for the ready listener every turn,
 * saying nothing; 1.44 loops inside the listener's callback.
 */
static int accept_spare(struct sockaddr_storage *addr, socklen_t *addr_len)
{
	int fd, err;

	if (srv.spare_fd == -1) /* lost: nothing to give back */
		return pause_accepting();
	if (close(srv.spare_fd) == -1)
		log_line("close spare fd: %s", strerror(errno));
	fd = accept4(srv.listen_fd, (struct sockaddr *)addr, addr_len,
		     SOCK_CLOEXEC | SOCK_NONBLOCK);
	err = errno;
	if (take_spare() == -1 && fd != -1) {
		err = errno; /* open()'s EMFILE or ENFILE */
		if (!srv.shedding)
			log_line("accept: %s: closing new connections until "
				 "fds free up",
				 strerror(err));
		srv.shedding = true;
		if (close(fd) == -1)
			log_line("close fd %d: %s", fd, strerror(errno));
		fd = -1;
		(void)take_spare(); /* in fd's slot; failing, see below */
	}
	if (srv.spare_fd == -1)
		return pause_accepting();
	errno = err;
	return fd;
}

/* Accept the next connection and log it. Returns NULL if there is none to
 * serve: a transient error, or a connection shed for lack of fds. */
static struct conn *accept_client(void)
{
	struct sockaddr_storage addr;
	socklen_t addr_len = sizeof addr;
	struct conn *c;
	int fd;

	fd = accept4(srv.listen_fd, (struct sockaddr *)&addr, &addr_len,
		     SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd == -1 && (errno == EMFILE || errno == ENFILE))
		fd = accept_spare(&addr, &addr_len);
	if (fd == -1) {
		switch (errno) {
		case EMFILE:
		case ENFILE:       /* shed, and logged, by accept_spare() */
		case EINTR:        /* a signal came first */
		case ECONNABORTED: /* the client gave up before we got to it */
		case EAGAIN:       /* nothing to accept after all */
			break;
		default:
			log_line("accept: %s", strerror(errno));
		}
		return NULL;
	}
	srv.shedding = false;

	/* c->peer, a flexible array member, comes in c's block: PEER_LEN
	 * bytes for the name, or with -q, where no line shows it, one for "". */
	c = calloc(1, sizeof *c + (srv.quiet ? 1 : PEER_LEN));
	if (c == NULL) {
		log_line("fd %d: out of memory, closing it", fd);
		if (close(fd) == -1)
			log_line("close fd %d: %s", fd, strerror(errno));
		return NULL;
	}
	c->fd = fd;
	if (!srv.quiet) /* with -q, no one would read the name */
		start_lookup(c, &addr, addr_len);
	return c;
}

/* Log and close c's socket; why is "eof" or what went wrong. The memory
 * stays until free_conn(). */
static void close_conn(struct conn *c, const char *why)
{
	if (c->lookup != NULL) /* the worker has c->peer: on_peer_named() */
		snprintf(c->lookup->why, WHY_LEN, "%s", why);
	else
		log_close(c, why);
	timer_stop(&c->idle);
	handle_stop(&c->h);
	srv.conns--;
	/* close() alone drops the fd from the epoll set only if no other fd
	 * refers to the same socket (a dup, a child's copy): say it. */
	if (c->w.events != 0 &&
	    epoll_ctl(srv.epoll_fd, EPOLL_CTL_DEL, c->fd, NULL) == -1)
		log_line("epoll_ctl DEL fd %d: %s", c->fd, strerror(errno));
	/* Even when close() fails (EINTR, EIO) Linux has released the fd:
	 * never retry it, the number may already belong to a new socket. */
	if (close(c->fd) == -1)
		log_line("close fd %d: %s", c->fd, strerror(errno));

	/* No event for c may reach it after this. None can yet: epoll reports
	 * an fd once per batch, and only c's own callback closes c. But once
	 * one callback may close other connections (07's shutdown will), a
	 * later event of the same batch could be c's, its fd already reused.
	 * So the rule holds from the start: the loop skips a watcher whose cb
	 * is NULL, and c is freed after the batch. libuv, which finds its
	 * watchers by fd, guards the fd instead: closing one rewrites that
	 * fd's events still waiting in the batch as stale, and takes it out
	 * of epoll at once (uv__platform_invalidate_fd); its closing phase at
	 * the end of a turn is for close callbacks. */
	c->w.cb = NULL;
	if (c->lookup != NULL)
		return; /* the worker still uses c: on_peer_named() frees it */
	c->next_closed = srv.closed;
	srv.closed = c;
}

static void free_conn(struct conn *c)
{
	free(c->out);
	free(c);
}

/*
 * Tell epoll what c waits for now, if that changed. EPOLLIN unless the
 * client half-closed or too much echo is queued (backpressure, with a gap
 * between the high and low water marks so it does not flap); EPOLLOUT while
 * echo is queued. When each echo is written at once, as is usual, nothing
 * changes and this costs no syscall. Returns -1 once c is closed, else 0.
 */
static int update_interest(struct conn *c)
{
	size_t queued = c->out_end - c->out_start;
	uint32_t events = 0;
	struct epoll_event ev;

	if (queued >= HIGH_WATER)
		c->paused = true;
	else if (queued <= LOW_WATER)
		c->paused = false;
	if (!c->eof && !c->paused)
		events |= EPOLLIN;
	if (queued > 0)
		events |= EPOLLOUT;
	if (events == c->w.events)
		return 0;
	ev = (struct epoll_event){.events = events, .data.ptr = &c->w};
	if (epoll_ctl(srv.epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) == -1) {
		close_conn(c, strerror(errno));
		return -1;
	}
	c->w.events = events;
	return 0;
}

/* Keep len bytes of buf after the echo already queued in c->out, growing it
 * (by doubling) if they do not fit, and ask epoll for EPOLLOUT. Returns -1
 * once c is closed (out of memory), else 0. */
static int append_output(struct conn *c, const char *buf, size_t len)
{
	size_t queued = c->out_end - c->out_start;
	size_t cap = c->out_cap > 0 ? c->out_cap : READ_SIZE;
	char *out;

	if (c->out_start > 0) { /* move the unsent bytes to the front */
		memmove(c->out, c->out + c->out_start, queued);
		c->out_start = 0;
		c->out_end = queued;
	}
	while (cap < queued + len)
		cap *= 2;
	if (cap != c->out_cap) {
		out = realloc(c->out, cap);
		if (out == NULL) {
			close_conn(c, strerror(errno));
			return -1;
		}
		c->out = out;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_end, buf, len);
	c->out_end += len;
	return update_interest(c);
}

/*
 * Echo buf to c without ever waiting: write at once what the kernel takes,
 * queue the rest in c->out and ask epoll for EPOLLOUT. While echo is queued,
 * new bytes go behind it, never ahead. Returns -1 once c is closed, else 0.
 * libuv: uv_write() tries the write at once too, then queues.
 *
 * It runs for every message, so it is small (the slow path is
 * append_output()) and `inline`, which asks the compiler to copy it into
 * each caller. From 07 on it has two callers, and gcc 12 at -O2 copies it
 * into both only if it is small and `inline` at once. As a call it cost
 * 07 about 20 more instructions a message, a quarter of the echo path
 * (make bench's instructions row).
 */
static inline int queue_output(struct conn *c, const char *buf, size_t len)
{
	ssize_t n;

	if (c->out == NULL) {
		n = write(c->fd, buf, len);
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			close_conn(c, strerror(errno));
			return -1;
		}
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			c->echoed += (unsigned long long)n;
		}
		if (len == 0)
			return 0;
	}
	return append_output(c, buf, len);
}

/*
 * epoll says c's socket takes more: write what is queued. Once all of it is
 * sent, free the buffer, and close c if the client had half-closed.
 * libuv: uv__write() and uv__drain().
 */
static void on_writable(struct conn *c)
{
	ssize_t n;

	n = write(c->fd, c->out + c->out_start, c->out_end - c->out_start);
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			close_conn(c, strerror(errno));
		return;
	}
	c->out_start += (size_t)n;
	c->echoed += (unsigned long long)n;
	c->last_active = srv.now;
	if (c->out_start == c->out_end) {
		free(c->out);
		c->out = NULL;
		c->out_start = c->out_end = c->out_cap = 0;
		if (c->eof) {
			close_conn(c, "eof");
			return;
		}
	}
	(void)update_interest(c); /* if it closed c, nothing is left to do */
}

/*
 * Read what the client sent and write it back. Returns -1 once c is closed
 * (the client is done, or an error such as a reset), else 0.
 *
 * In 01 and 02, read() itself waits until the client sends something or
 * leaves. (In 03 you will meet epoll: the loop then calls this only once
 * epoll says the socket is readable, so read() no longer waits.)
 */
static int on_readable(struct conn *c)
{
	char buf[READ_SIZE];
	ssize_t n;

	n = read(c->fd, buf, sizeof buf);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n == 0) {
		/* Half-closed: finish the echo queued so far, then close. */
		c->eof = true;
		if (c->out != NULL)
			return update_interest(c);
		close_conn(c, "eof");
		return -1;
	}
	if (n == -1) {
		close_conn(c, strerror(errno));
		return -1;
	}
	c->last_active = srv.now;
	return queue_output(c, buf, (size_t)n);
}

/*
 * c's idle timer is due. If bytes moved since it was started, c is not idle:
 * start the timer again for the time left. Checking here, when it is due,
 * rather than restarting the timer on every byte, keeps heap work off the
 * path every message takes (libev calls this being smart about timeouts).
 */
static void on_idle(struct timer *t)
{
	struct conn *c = t->data;
	unsigned long long idle_until;
	int unread, unacked;

	/* Bytes waiting to be read (FIONREAD) are the client's activity too,
	 * if only the loop's lateness kept us from reading them: a slow
	 * callback, or this turn's timers running before the next turn's
	 * reads. Not while paused: then we chose not to read. */
	if (!c->paused && ioctl(c->fd, FIONREAD, &unread) == 0 && unread > 0)
		c->last_active = srv.now;
	idle_until = c->last_active + srv.idle_ms;
	if (idle_until > srv.now) {
		c->unacked = -1;
		timer_start(t, idle_until - srv.now);
		return;
	}

	/* Silent, by all we did ourselves. But bytes also move with no read()
	 * or write() of ours: the kernel sends the echo we wrote earlier as
	 * the client reads it, and says so only when much of its buffer is
	 * free again. SIOCOUTQ tells how much it holds that the client has not
	 * acknowledged (on TCP; SIOCOUTQNSD would count only the unsent part).
	 * Once the client's own buffer is full, its ACKs come only as fast as
	 * it reads, so a fall is the client reading. One look cannot see a
	 * fall: while the kernel holds any, look again a quarter of the
	 * timeout later. */
	if (ioctl(c->fd, SIOCOUTQ, &unacked) == -1)
		unacked = 0; /* cannot tell: judge by what we saw */
	if (c->unacked != -1 && unacked < c->unacked) {
		c->last_active = srv.now; /* it fell: the client reads */
		c->unacked = -1;
		timer_start(t, srv.idle_ms);
		return;
	}
	if (c->unacked == -1 && unacked > 0) {
		c->unacked = unacked; /* the first look */
		timer_start(t, srv.idle_ms / 4);
		return;
	}
	close_conn(c, "idle timeout");
}

/* Free the conns closed during the last batch of events: no event of the
 * batch can reach them any more. */
static void free_closed(void)
{
	while (srv.closed != NULL) {
		struct conn *c = srv.closed;

		srv.closed = c->next_closed;
		free_conn(c);
	}
}

/* epoll reported events on a client. EPOLLHUP and EPOLLERR come whether
 * asked for or not; the next read() tells what they mean. */
static void on_conn_io(struct watcher *w, uint32_t events)
{
	struct conn *c = (struct conn *)w;

	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && on_readable(c) == -1)
		return; /* c is closed */
	if (events & EPOLLOUT)
		on_writable(c);
}

/* -n: enough clients. Close the listener; once the last connection ends,
 * nothing is left to keep the loop alive. */
static void stop_listening(void)
{
	log_line("-n %ld reached: closing the listener", srv.accepted);
	if (epoll_ctl(srv.epoll_fd, EPOLL_CTL_DEL, srv.listen_fd, NULL) == -1)
		log_line("epoll_ctl DEL listener: %s", strerror(errno));
	if (close(srv.listen_fd) == -1)
		log_line("close listener: %s", strerror(errno));
	srv.listen_fd = -1;
	srv.listener.cb = NULL; /* as for a conn: drop pending events */
	handle_stop(&srv.listen_h);
}

/* The listener is readable: a connection waits. Accept it, then watch it. */
static void on_accept(struct watcher *w, uint32_t events)
{
	struct conn *c;

	(void)w;      /* there is only one listener */
	(void)events; /* and EPOLLIN is all it reports */
	c = accept_client();
	if (c == NULL)
		return;
	handle_init(&c->h);
	handle_start(&c->h);
	srv.conns++;
	timer_init(&c->idle, on_idle, c);
	c->unacked = -1; /* no look yet: see on_idle() */
	if (srv.idle_ms > 0)
		timer_start(&c->idle, srv.idle_ms);
	c->last_active = srv.now;
	if (srv.accept_limit > 0 && ++srv.accepted == srv.accept_limit)
		stop_listening();
	c->w.cb = on_conn_io;
	if (watch(c->fd, &c->w, EPOLLIN) == -1)
		close_conn(c, strerror(errno));
}

/*** the loop ***/

/*
 * The event loop, while loop_alive(): sleep in epoll_wait() until some fds
 * are ready or the soonest timer is due, call the watcher of each ready fd,
 * run the timers that are due, free what the callbacks closed, repeat.
 * Level-triggered: an fd that still has data after its callback ran is
 * reported again next time, so a callback reads once and returns.
 *
 * The clock is read twice a turn: when epoll_wait() returns, so the I/O
 * callbacks count from the time the loop woke; and again before the
 * timers, so a turn whose callbacks ran long still runs the timers that
 * came due meanwhile, instead of sleeping through them. Timers run after
 * the I/O, as in libuv since 1.45 (1.44, the peer in `make bench`, runs
 * them first): an idle check then sees the bytes this turn read.
 * free_closed() comes last, as a timer (an idle timeout) closes conns too.
 * NOTES.md: "What is Node's event loop?". libuv: uv_run() and
 * uv__io_poll().
 */
static void run_loop(void)
{
	struct epoll_event events[MAX_EVENTS];

	srv.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (srv.epoll_fd == -1)
		die("epoll_create1");
	srv.listener.cb = on_accept;
	if (watch(srv.listen_fd, &srv.listener, EPOLLIN) == -1)
		die("epoll_ctl listener");
	handle_init(&srv.listen_h);
	handle_start(&srv.listen_h);
	pool_init();
	update_time();
	srv.since_us = srv.now_us;
	if (srv.stats_ms > 0) {
		timer_init(&srv.stats, on_stats, NULL);
		timer_start(&srv.stats, srv.stats_ms);
		handle_unref(&srv.stats.h);
	}
	announce_ready();

	while (loop_alive()) {
		int timeout = next_timeout();
		int n;

		if (srv.accept_paused &&
		    (timeout == -1 || timeout > SPARE_RETRY_SECS * 1000))
			timeout = SPARE_RETRY_SECS * 1000;
		n = epoll_wait(srv.epoll_fd, events, MAX_EVENTS, timeout);

		update_time();
		srv.turns++;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (int i = 0; i < n; i++) {
			struct watcher *w = events[i].data.ptr;

			/* Closed by an earlier callback of this batch: the
			 * event is stale (see close_conn). */
			if (w->cb == NULL)
				continue;
			w->cb(w, events[i].events);
			note_callback();
		}
		update_time();
		run_timers();
		free_closed();
		if (srv.accept_paused)
			resume_accepting();
		flush_log(); /* this turn's log lines, to the pool */
	}
}

/*** main ***/

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	open_log();
	ignore_sigpipe();
	listen_on();
	run_loop();
	pool_stop(); /* the loop ended: no request is left */
	return 0;
}
