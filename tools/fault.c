#define _GNU_SOURCE
/*
 * fault.c - fault injection for the echo servers, loaded with LD_PRELOAD.
 *
 * The servers have no test hooks, yet the tests must prove that they echo
 * every byte even when the kernel misbehaves in ways it is allowed to: a
 * read or write that moves fewer bytes than asked, a call interrupted by a
 * signal (EINTR), a non-blocking socket that is not ready (EAGAIN), or a
 * slow DNS server. On a quiet loopback connection none of these happen by
 * themselves, so this library makes them happen.
 *
 * Built as a shared object and named in LD_PRELOAD, it is searched before
 * libc, so the server's calls to read(), write(), recv(), send(), readv(),
 * writev() and getnameinfo() land here first. Each of our versions may
 * inject a fault and then calls the real function, found once with
 * dlsym(RTLD_NEXT, name), which means "the next definition after this
 * library", normally libc's.
 *
 * Only sockets are affected: calls on stdout, stderr, log files and pipes
 * always pass straight through. With no FAULT_ variable set, nothing at all
 * changes. Below, "a socket call" means a call of read(), write(), recv(),
 * send(), readv() or writev() on a socket.
 *
 * Environment variables (read once, on the first intercepted call):
 *
 *   FAULT_SHORT=P      P percent (integer 0-100) of the socket calls asking
 *                      for more than one byte are passed on with a random
 *                      smaller count in 1..count-1: a short read or write.
 *   FAULT_EINTR=P      P percent of the socket calls return -1 with errno
 *                      EINTR at once, without reading or writing anything.
 *   FAULT_EAGAIN=P     P percent of the socket calls return -1 with errno
 *                      EAGAIN at once, but only when the call could really
 *                      fail that way: the socket has O_NONBLOCK set, or the
 *                      recv()/send() flags include MSG_DONTWAIT. A blocking
 *                      socket never sees a fake EAGAIN.
 *   FAULT_EPIPE=P      P percent of the socket writes (write(), send(),
 *                      writev()) fail as if the peer had gone: -1 with
 *                      errno EPIPE, after raising SIGPIPE in the calling
 *                      thread, as the kernel does (unless send() was given
 *                      MSG_NOSIGNAL). A server that does not ignore SIGPIPE
 *                      dies of it, which is what a test can then show.
 *   FAULT_LOOKUP_MS=N  getnameinfo() sleeps N milliseconds (at most 60000)
 *                      before the real lookup, when it is asked for a host
 *                      name: calls with NI_NUMERICHOST, or without a host
 *                      buffer, do no name lookup and are not delayed.
 *   FAULT_SEED=S       seed of the random choices (default 1). Each thread
 *                      draws from its own generator, started from S and the
 *                      thread's number in order of first use.
 *   FAULT_REPORT=PATH  keep counts of the injected faults in the file PATH,
 *                      as one line of fixed width, rewritten in place after
 *                      every injection:
 *
 *   short=0000000012 eintr=0000000003 eagain=0000000000 epipe=0000000000
 *   lookups=0000000001  (all on one line)
 *
 *                      Each count has ten digits. The file is a shared
 *                      memory mapping, so the counts survive the server
 *                      being killed with SIGKILL. It is created, with all
 *                      counts zero, when a fault first becomes possible: on
 *                      the first socket call while FAULT_SHORT, FAULT_EINTR,
 *                      FAULT_EAGAIN or FAULT_EPIPE is set, or the first
 *                      lookup to delay.
 *                      So a program that never uses a socket (a shell, or
 *                      the cat that reads the report) leaves it alone even
 *                      if it inherits LD_PRELOAD. Each process keeps its
 *                      own counts, so preload only the server. Do not
 *                      truncate the file while the server runs (remove it
 *                      or use a new path instead): a store into a mapped
 *                      page past the end of a file is fatal (SIGBUS).
 *
 * The faults are tried in this order, at most one per call: EINTR, then
 * EAGAIN, then EPIPE, then the short count. A value that is not a decimal number is
 * ignored and one above its maximum is clamped; either way, one line on
 * stderr says so. With FAULT_EINTR=100 no socket call ever succeeds, so
 * keep the percentages well below 100.
 *
 * The report line is rewritten while the server runs, so a reader that
 * races a rewrite may see some digits old and some new: read it after the
 * traffic has stopped (or after killing the server) for exact counts.
 *
 * Build and use:
 *
 *   cc -std=c11 -Wall -Wextra -Werror -O2 -g -pthread -fPIC -shared \
 *      tools/fault.c -o tools/fault.so -ldl
 *   LD_PRELOAD=tools/fault.so FAULT_SHORT=30 FAULT_EINTR=20 ./server
 *
 * A server built by gcc with -fsanitize=address or -fsanitize=thread loads
 * the sanitizer's runtime as a shared library, which must come first:
 *
 *   LD_PRELOAD="$(gcc -print-file-name=libasan.so):tools/fault.so" ./server
 *
 * The sanitizer's own read() then calls ours as its "real" read(), and ours
 * calls libc's. (clang links its sanitizer runtimes into the program, so
 * there LD_PRELOAD=tools/fault.so alone is right.)
 *
 * Caution: a fake EAGAIN tells the server that a socket is drained (or full)
 * when it is not. A server using level-triggered readiness (poll(), or epoll
 * without EPOLLET) asks again and carries on; one using edge-triggered epoll
 * may wait for an edge that never comes. Use FAULT_EAGAIN with level-
 * triggered servers only.
 *
 * Linux and glibc only.
 */

/*
 * With _FORTIFY_SOURCE, <unistd.h> defines read() itself as an inline
 * function, which would clash with our definition below.
 */
#undef _FORTIFY_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PERCENT_MAX 100            /* largest probability, in percent */
#define LOOKUP_MS_MAX 60000        /* longest lookup delay, in milliseconds */
#define DEFAULT_SEED 1             /* seed when FAULT_SEED is not set */
#define COUNTER_DIGITS 10          /* digits of each count in the report */
#define COUNTER_MAX 9999999999UL   /* largest count that fits those digits */
#define REPORT_LINE_MAX 128        /* room for the report line */
#define MESSAGE_MAX 512            /* room for a warning on stderr */
#define MESSAGE_PREFIX "fault.so:" /* what a warning starts with */
#define IOV_PART_MAX 64            /* iovec entries copied for a short call */
#define NSEC_PER_MSEC 1000000L
#define MSEC_PER_SEC 1000UL

/* splitmix64: the step added to the state, and the two mixing multipliers */
#define SPLITMIX_GAMMA 0x9e3779b97f4a7c15ULL
#define SPLITMIX_MUL1 0xbf58476d1ce4e5b9ULL
#define SPLITMIX_MUL2 0x94d049bb133111ebULL

/* The counted kinds of fault, in the order of the report line. */
enum fault_kind {
	KIND_SHORT,
	KIND_EINTR,
	KIND_EAGAIN,
	KIND_EPIPE,
	KIND_LOOKUP,
	KIND_COUNT
};

/* The name of each count in the report line. */
static const char *const kind_names[KIND_COUNT] = {
	[KIND_SHORT] = "short",    [KIND_EINTR] = "eintr",
	[KIND_EAGAIN] = "eagain",  [KIND_EPIPE] = "epipe",
	[KIND_LOOKUP] = "lookups",
};

/* The functions we replace, and so must find the real version of. */
enum real_id {
	REAL_READ,
	REAL_WRITE,
	REAL_RECV,
	REAL_SEND,
	REAL_READV,
	REAL_WRITEV,
	REAL_READ_CHK,
	REAL_RECV_CHK,
	REAL_GETNAMEINFO,
	REAL_COUNT
};

/* The symbol name of each replaced function. */
static const char *const real_names[REAL_COUNT] = {
	[REAL_READ] = "read",
	[REAL_WRITE] = "write",
	[REAL_RECV] = "recv",
	[REAL_SEND] = "send",
	[REAL_READV] = "readv",
	[REAL_WRITEV] = "writev",
	[REAL_READ_CHK] = "__read_chk",
	[REAL_RECV_CHK] = "__recv_chk",
	[REAL_GETNAMEINFO] = "getnameinfo",
};

/* The types of the replaced functions, to call them through a pointer. */
typedef ssize_t read_fn(int, void *, size_t);
typedef ssize_t write_fn(int, const void *, size_t);
typedef ssize_t recv_fn(int, void *, size_t, int);
typedef ssize_t send_fn(int, const void *, size_t, int);
typedef ssize_t iov_fn(int, const struct iovec *, int);
typedef ssize_t read_chk_fn(int, void *, size_t, size_t);
typedef ssize_t recv_chk_fn(int, void *, size_t, size_t, int);
typedef int getnameinfo_fn(const struct sockaddr *, socklen_t, char *,
			   socklen_t, char *, socklen_t, int);

/*
 * The fortified variants that a _FORTIFY_SOURCE build of a server calls
 * instead of read() and recv(). glibc declares them only in such a build.
 */
ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t count, size_t buflen, int flags);

/*
 * Global state.
 *
 * real_syms[]     the real function behind each replacement, looked up on
 *                 its first use; NULL until then. Atomic because threads
 *                 may look up the same one at once (they store the same
 *                 value, so the race is harmless).
 *
 * config_once     makes read_config() run exactly once, in whichever thread
 *                 gets there first, while the others wait for it.
 * short_percent   FAULT_SHORT, 0-100.
 * eintr_percent   FAULT_EINTR, 0-100.
 * eagain_percent  FAULT_EAGAIN, 0-100.
 * epipe_percent   FAULT_EPIPE, 0-100.
 * io_faults       true when any of the four above is above zero, so that
 *                 socket calls need a closer look at all.
 * lookup_ms       FAULT_LOOKUP_MS, 0-60000.
 * seed            FAULT_SEED.
 * report_path     FAULT_REPORT; empty if unset.
 * The variables above are written only by read_config(); config_once
 * makes those writes visible to every thread that comes after it.
 *
 * report_once     makes open_report() run exactly once, when the process
 *                 first gets near a fault (see start_report()).
 * report_map      the report file, mapped into memory; NULL if none. Set
 *                 by open_report(); report_once makes it visible.
 * report_lock     lets one thread at a time rewrite the report line.
 * report_dirty    set after a count changes; cleared by the thread that
 *                 rewrites the line (see count_fault()).
 * fault_counts[]  how many faults of each kind were injected.
 * thread_count    how many threads have started a random generator so far;
 *                 each new generator takes the next number.
 *
 * problems        the problems found in the environment or with the report
 *                 file, gathered into one line for stderr: MESSAGE_PREFIX,
 *                 then " problem;" for each. Used only by read_config()
 *                 and open_report(), which never run at the same time.
 * problems_len    the length of the text in problems.
 *
 * Per-thread state. The "initial-exec" model makes each access a plain
 * memory access, with no call into the dynamic linker that could allocate
 * memory; it is allowed because LD_PRELOAD loads us at program start.
 *
 * rng_state       this thread's random generator state.
 * rng_started     whether rng_state has been seeded yet.
 * in_setup        true while this thread runs read_config() or
 *                 open_report(), so that a call made from inside them (by a
 *                 signal handler, say) passes straight through instead of
 *                 waiting for them to finish, which would be forever.
 */
static void *_Atomic real_syms[REAL_COUNT];

static pthread_once_t config_once = PTHREAD_ONCE_INIT;
static unsigned int short_percent;
static unsigned int eintr_percent;
static unsigned int eagain_percent;
static unsigned int epipe_percent;
static bool io_faults;
static unsigned long lookup_ms;
static uint64_t seed;
static char report_path[PATH_MAX];

static pthread_once_t report_once = PTHREAD_ONCE_INIT;
static char *report_map;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool report_dirty;
static atomic_ulong fault_counts[KIND_COUNT];
static atomic_uint thread_count;

static char problems[MESSAGE_MAX] = MESSAGE_PREFIX;
static size_t problems_len = sizeof(MESSAGE_PREFIX) - 1;

static _Thread_local uint64_t rng_state
	__attribute__((tls_model("initial-exec")));
static _Thread_local bool rng_started
	__attribute__((tls_model("initial-exec")));
static _Thread_local bool in_setup __attribute__((tls_model("initial-exec")));

/*
 * Returns the real function with the given id, looking it up the first
 * time. Returns NULL if there is none (never the case with glibc), and the
 * caller then fails with ENOSYS rather than crash.
 */
static void *real_symbol(enum real_id id)
{
	void *sym = atomic_load(&real_syms[id]);
	int saved_errno;

	if (sym == NULL) {
		/* errno belongs to the server: keep dlsym() off it. */
		saved_errno = errno;
		sym = dlsym(RTLD_NEXT, real_names[id]);
		atomic_store(&real_syms[id], sym);
		errno = saved_errno;
	}
	return sym;
}

/*
 * Adds one problem, formatted by printf() rules, to problems. The format
 * attribute lets the compiler check the arguments against the format.
 */
__attribute__((format(printf, 1, 2))) static void
add_problem(const char *format, ...)
{
	size_t room = sizeof(problems) - problems_len;
	va_list args;
	int len;

	va_start(args, format);
	len = vsnprintf(problems + problems_len, room, format, args);
	va_end(args);
	if (len < 0) {
		return;
	}
	/* On overflow, vsnprintf() has filled the buffer; keep it full. */
	problems_len += (size_t)len < room ? (size_t)len : room - 1;
}

/*
 * Prints problems, if it holds any, as one line, and empties it. The real
 * write() is called directly, so this cannot come back into our own code.
 */
static void print_problems(void)
{
	write_fn *real_write = (write_fn *)real_symbol(REAL_WRITE);

	if (problems_len <= sizeof(MESSAGE_PREFIX) - 1 || real_write == NULL) {
		return;
	}
	/* The last problem's ';' becomes the end of the line. */
	problems[problems_len - 1] = '\n';
	/* A warning that cannot be printed is not worth more trouble. */
	(void)real_write(STDERR_FILENO, problems, problems_len);
	problems_len = sizeof(MESSAGE_PREFIX) - 1;
}

/*
 * Reads the environment variable name as a decimal number from 0 to max.
 * Returns fallback if it is unset, empty or not a number, and max if it is
 * larger than that.
 */
static unsigned long long env_number(const char *name, unsigned long long max,
				     unsigned long long fallback)
{
	const char *text = getenv(name);
	unsigned long long value;
	char *end;

	if (text == NULL || text[0] == '\0') {
		return fallback;
	}
	errno = 0;
	value = strtoull(text, &end, 10);
	/* strtoull() would accept leading blanks and a sign: we do not. */
	if (text[0] < '0' || text[0] > '9' || *end != '\0') {
		add_problem(" %s='%s' is not a number, ignored;", name, text);
		return fallback;
	}
	if (errno == ERANGE || value > max) {
		add_problem(" %s=%s is too large, using %llu;", name, text,
			    max);
		return max;
	}
	return value;
}

/*
 * Reads the FAULT_ environment variables. Runs once, through config_once,
 * on the first intercepted call of any thread.
 */
static void read_config(void)
{
	const char *path;

	in_setup = true;
	short_percent = (unsigned int)env_number("FAULT_SHORT", PERCENT_MAX, 0);
	eintr_percent = (unsigned int)env_number("FAULT_EINTR", PERCENT_MAX, 0);
	eagain_percent =
		(unsigned int)env_number("FAULT_EAGAIN", PERCENT_MAX, 0);
	epipe_percent = (unsigned int)env_number("FAULT_EPIPE", PERCENT_MAX, 0);
	io_faults = short_percent > 0 || eintr_percent > 0 ||
		    eagain_percent > 0 || epipe_percent > 0;
	lookup_ms =
		(unsigned long)env_number("FAULT_LOOKUP_MS", LOOKUP_MS_MAX, 0);
	seed = (uint64_t)env_number("FAULT_SEED", ULLONG_MAX, DEFAULT_SEED);

	/* Keep a copy: the server might change its environment later. */
	path = getenv("FAULT_REPORT");
	if (path != NULL && strlen(path) >= sizeof(report_path)) {
		add_problem(" FAULT_REPORT is too long, ignored;");
	} else if (path != NULL) {
		strcpy(report_path, path);
	}

	print_problems();
	in_setup = false;
}

/*
 * Makes sure the configuration has been read, leaving errno as it was.
 * Returns false if it cannot be, right now.
 */
static bool config_ready(void)
{
	int saved_errno = errno;
	bool ready;

	if (in_setup) {
		return false;
	}
	/* pthread_once() fails only for an invalid argument. */
	ready = pthread_once(&config_once, read_config) == 0;
	errno = saved_errno;
	return ready;
}

/*
 * Writes one count as exactly COUNTER_DIGITS decimal digits at dst. Written
 * by hand rather than with snprintf() to be safe even inside a signal
 * handler that happens to write to a socket.
 */
static void put_counter(char *dst, unsigned long value)
{
	int i;

	if (value > COUNTER_MAX) {
		value = COUNTER_MAX;
	}
	for (i = COUNTER_DIGITS - 1; i >= 0; i--) {
		dst[i] = (char)('0' + value % 10);
		value /= 10;
	}
}

/*
 * Writes the report line, "short=... eintr=... eagain=... lookups=...\n",
 * at dst, which has room for REPORT_LINE_MAX bytes. Returns its length,
 * which is always the same.
 */
static size_t format_report(char *dst)
{
	size_t len = 0;
	int kind;

	for (kind = 0; kind < KIND_COUNT; kind++) {
		size_t name_len = strlen(kind_names[kind]);

		memcpy(dst + len, kind_names[kind], name_len);
		len += name_len;
		dst[len++] = '=';
		put_counter(dst + len, atomic_load(&fault_counts[kind]));
		len += COUNTER_DIGITS;
		dst[len++] = kind == KIND_COUNT - 1 ? '\n' : ' ';
	}
	return len;
}

/*
 * Creates the report file at report_path, holding the current counts (all
 * zero, as no fault has been injected yet), and maps it into memory as
 * report_map. Runs once, through report_once. If it fails, it says so on
 * stderr and leaves report_map NULL: faults are then injected, not counted.
 */
static void open_report(void)
{
	char line[REPORT_LINE_MAX];
	size_t len = format_report(line);
	void *map;
	int fd;

	in_setup = true;
	fd = open(report_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1) {
		add_problem(" cannot open FAULT_REPORT=%s: %s;", report_path,
			    strerror(errno));
		goto out;
	}
	/*
	 * Cut the file to the line's length, then write the line for real
	 * rather than through the mapping: the file system then has its
	 * disk space, and later stores into the mapping cannot fail.
	 */
	if (ftruncate(fd, (off_t)len) == -1 ||
	    pwrite(fd, line, len, 0) != (ssize_t)len) {
		add_problem(" cannot write FAULT_REPORT=%s: %s;", report_path,
			    strerror(errno));
		goto out_close;
	}
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		add_problem(" cannot map FAULT_REPORT=%s: %s;", report_path,
			    strerror(errno));
		goto out_close;
	}
	report_map = map;
out_close:
	/* The mapping stays valid without the descriptor. */
	(void)close(fd); /* nothing more to do about a failed close */
out:
	print_problems();
	in_setup = false;
}

/*
 * Creates the report file, if FAULT_REPORT asks for one and this is the
 * first time. It is called when a fault becomes possible (a socket call,
 * or a lookup to delay) rather than on the first intercepted call: the
 * programs that never touch a socket (a shell, or the cat that reads the
 * report), should they inherit LD_PRELOAD, then leave the file alone
 * instead of resetting it.
 */
static void start_report(void)
{
	if (report_path[0] != '\0') {
		/* pthread_once() fails only for an invalid argument. */
		(void)pthread_once(&report_once, open_report);
	}
}

/*
 * Counts one injected fault of the given kind and brings the report file
 * up to date.
 *
 * A thread that finds the report lock taken does not wait: it marks the
 * report dirty, and the thread holding the lock rewrites the line once
 * more when it sees that mark after unlocking. Every count is thus in the
 * file soon after it changes, and no thread ever blocks here (a thread
 * could otherwise deadlock on itself, if a signal handler interrupted it
 * in the middle of a rewrite and wrote to a socket).
 */
static void count_fault(enum fault_kind kind)
{
	char line[REPORT_LINE_MAX];

	atomic_fetch_add(&fault_counts[kind], 1);
	if (report_map == NULL) {
		return;
	}
	atomic_store(&report_dirty, true);
	while (pthread_mutex_trylock(&report_lock) == 0) {
		atomic_store(&report_dirty, false);
		/* Format on the stack: the file changes in one quick copy. */
		memcpy(report_map, line, format_report(line));
		/* Unlocking a mutex that we hold cannot fail. */
		(void)pthread_mutex_unlock(&report_lock);
		if (!atomic_load(&report_dirty)) {
			break;
		}
	}
}

/* The splitmix64 finaliser: scrambles all 64 bits of x. */
static uint64_t mix64(uint64_t x)
{
	x = (x ^ (x >> 30)) * SPLITMIX_MUL1;
	x = (x ^ (x >> 27)) * SPLITMIX_MUL2;
	return x ^ (x >> 31);
}

/*
 * Returns the next number from this thread's generator (splitmix64: small,
 * fast and good enough here). A thread's first call seeds the generator
 * from FAULT_SEED and the thread's number, so each thread gets its own
 * sequence and no two threads ever share state.
 */
static uint64_t rng_next(void)
{
	if (!rng_started) {
		unsigned int index = atomic_fetch_add(&thread_count, 1);

		rng_state = mix64(seed ^ mix64(index + 1ULL));
		rng_started = true;
	}
	rng_state += SPLITMIX_GAMMA;
	return mix64(rng_state);
}

/* Returns true with a probability of percent percent. */
static bool chance(unsigned int percent)
{
	return percent > 0 && rng_next() % PERCENT_MAX < percent;
}

/* Returns whether fd is a socket. */
static bool is_socket(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* Returns whether fd has O_NONBLOCK set. */
static bool is_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	return flags != -1 && (flags & O_NONBLOCK) != 0;
}

/* How a call may fail, besides the EINTR and short counts all may see. */
#define MAY_EAGAIN 1u /* MSG_DONTWAIT was given: EAGAIN even if blocking */
#define MAY_EPIPE 2u  /* a write: it can fail with EPIPE */
#define NO_SIGPIPE 4u /* MSG_NOSIGNAL was given: EPIPE without SIGPIPE */

/*
 * Decides the fate of one call on fd that asks to move *count bytes; how
 * is a set of the MAY_ and NO_ bits above.
 *
 * Returns true if the call must fail at once, with errno set to EINTR,
 * EAGAIN or EPIPE. Otherwise the caller goes ahead with *count, which may
 * have been lowered to make a short read or write; errno is then left as
 * it was.
 */
static bool inject(int fd, size_t *count, unsigned int how)
{
	/* Our own calls below may change errno; the server's must not see. */
	int saved_errno = errno;
	bool fail = false;

	if (!config_ready() || !io_faults || !is_socket(fd)) {
		errno = saved_errno;
		return false;
	}
	start_report();
	if (chance(eintr_percent)) {
		count_fault(KIND_EINTR);
		saved_errno = EINTR;
		fail = true;
	} else if (chance(eagain_percent) &&
		   ((how & MAY_EAGAIN) || is_nonblocking(fd))) {
		count_fault(KIND_EAGAIN);
		saved_errno = EAGAIN;
		fail = true;
	} else if ((how & MAY_EPIPE) && chance(epipe_percent)) {
		count_fault(KIND_EPIPE);
		if (!(how & NO_SIGPIPE)) {
			/* Sent to this thread, as the kernel does. */
			(void)pthread_kill(pthread_self(), SIGPIPE);
		}
		saved_errno = EPIPE;
		fail = true;
	} else if (*count > 1 && chance(short_percent)) {
		/* A random count in 1..count-1. */
		*count = 1 + (size_t)(rng_next() % (*count - 1));
		count_fault(KIND_SHORT);
	}
	errno = saved_errno;
	return fail;
}

/* What a replacement returns when its real function is missing. */
static ssize_t no_real_function(void)
{
	errno = ENOSYS;
	return -1;
}

ssize_t read(int fd, void *buf, size_t count)
{
	read_fn *real = (read_fn *)real_symbol(REAL_READ);

	if (real == NULL) {
		return no_real_function();
	}
	if (inject(fd, &count, 0)) {
		return -1;
	}
	return real(fd, buf, count);
}

ssize_t write(int fd, const void *buf, size_t count)
{
	write_fn *real = (write_fn *)real_symbol(REAL_WRITE);

	if (real == NULL) {
		return no_real_function();
	}
	if (inject(fd, &count, MAY_EPIPE)) {
		return -1;
	}
	return real(fd, buf, count);
}

ssize_t recv(int fd, void *buf, size_t count, int flags)
{
	recv_fn *real = (recv_fn *)real_symbol(REAL_RECV);

	if (real == NULL) {
		return no_real_function();
	}
	if (inject(fd, &count, (flags & MSG_DONTWAIT) ? MAY_EAGAIN : 0)) {
		return -1;
	}
	return real(fd, buf, count, flags);
}

ssize_t send(int fd, const void *buf, size_t count, int flags)
{
	send_fn *real = (send_fn *)real_symbol(REAL_SEND);

	if (real == NULL) {
		return no_real_function();
	}
	if (inject(fd, &count,
		   MAY_EPIPE | ((flags & MSG_DONTWAIT) ? MAY_EAGAIN : 0) |
			   ((flags & MSG_NOSIGNAL) ? NO_SIGPIPE : 0))) {
		return -1;
	}
	return real(fd, buf, count, flags);
}

/*
 * The fortified versions get the size of the buffer too, and abort the
 * program if count is larger. Such a call is passed on untouched, so that
 * shortening it cannot hide the overflow from the check.
 */
ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen)
{
	read_chk_fn *real = (read_chk_fn *)real_symbol(REAL_READ_CHK);

	if (real == NULL) {
		return no_real_function();
	}
	if (count <= buflen && inject(fd, &count, 0)) {
		return -1;
	}
	return real(fd, buf, count, buflen);
}

ssize_t __recv_chk(int fd, void *buf, size_t count, size_t buflen, int flags)
{
	recv_chk_fn *real = (recv_chk_fn *)real_symbol(REAL_RECV_CHK);

	if (real == NULL) {
		return no_real_function();
	}
	if (count <= buflen &&
	    inject(fd, &count, (flags & MSG_DONTWAIT) ? MAY_EAGAIN : 0)) {
		return -1;
	}
	return real(fd, buf, count, buflen, flags);
}

/*
 * Returns how many bytes the first IOV_PART_MAX entries of iov hold: as
 * far as a short readv() or writev() can reach. Returns 0 (so nothing is
 * shortened) for an iovcnt or a total that the kernel would refuse.
 */
static size_t iov_reach(const struct iovec *iov, int iovcnt)
{
	size_t total = 0;
	int i;

	if (iovcnt <= 0 || iovcnt > IOV_MAX) {
		return 0;
	}
	for (i = 0; i < iovcnt && i < IOV_PART_MAX; i++) {
		if (iov[i].iov_len > SSIZE_MAX - total) {
			return 0;
		}
		total += iov[i].iov_len;
	}
	return total;
}

/*
 * readv() and writev(): the count is the bytes of all the entries. For a
 * short call, the first entries holding count bytes are copied to part[],
 * the last of them cut to fit, and the real call gets part[] instead.
 */
static ssize_t vector_io(enum real_id id, int fd, const struct iovec *iov,
			 int iovcnt)
{
	iov_fn *real = (iov_fn *)real_symbol(id);
	struct iovec part[IOV_PART_MAX];
	size_t reach;
	size_t count;
	int parts = 0;

	if (real == NULL) {
		return no_real_function();
	}
	/* Without faults, not even look at iov: pass the call straight on. */
	if (!config_ready() || !io_faults) {
		return real(fd, iov, iovcnt);
	}
	reach = iov_reach(iov, iovcnt);
	count = reach;
	if (inject(fd, &count, id == REAL_WRITEV ? MAY_EPIPE : 0)) {
		return -1;
	}
	if (count == reach) {
		return real(fd, iov, iovcnt);
	}
	/* Here 1 <= count < reach: it ends within the first entries. */
	while (count > 0) {
		part[parts] = iov[parts];
		if (part[parts].iov_len > count) {
			part[parts].iov_len = count;
		}
		count -= part[parts].iov_len;
		parts++;
	}
	return real(fd, part, parts);
}

ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	return vector_io(REAL_READV, fd, iov, iovcnt);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	return vector_io(REAL_WRITEV, fd, iov, iovcnt);
}

/* Sleeps for ms milliseconds, going back to sleep after a signal. */
static void sleep_ms(unsigned long ms)
{
	struct timespec left = {
		.tv_sec = (time_t)(ms / MSEC_PER_SEC),
		.tv_nsec = (long)(ms % MSEC_PER_SEC) * NSEC_PER_MSEC,
	};
	struct timespec rest;

	/* Any failure other than EINTR would come back at once: give up. */
	while (nanosleep(&left, &rest) == -1 && errno == EINTR) {
		left = rest;
	}
}

int getnameinfo(const struct sockaddr *restrict addr, socklen_t addrlen,
		char *restrict host, socklen_t hostlen, char *restrict serv,
		socklen_t servlen, int flags)
{
	getnameinfo_fn *real = (getnameinfo_fn *)real_symbol(REAL_GETNAMEINFO);
	int saved_errno = errno;

	if (real == NULL) {
		errno = ENOSYS;
		return EAI_SYSTEM;
	}
	/* Only a host name lookup asks a DNS server, so only it is slow. */
	if (host != NULL && hostlen > 0 && (flags & NI_NUMERICHOST) == 0 &&
	    config_ready() && lookup_ms > 0) {
		start_report();
		count_fault(KIND_LOOKUP);
		sleep_ms(lookup_ms);
	}
	errno = saved_errno;
	return real(addr, addrlen, host, hostlen, serv, servlen, flags);
}
