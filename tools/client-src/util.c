#define _GNU_SOURCE
/*
 * util.c - what every command uses: diagnostics and result lines, memory
 * that cannot fail, and time.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

/* ---- Diagnostics and output ------------------------------------------ */

static void vwarn(const char *fmt, va_list ap)
{
	fputs("client: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

_Noreturn void die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(status);
}

_Noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	fputs(usage_text, stderr);
	exit(EXIT_USAGE);
}

/* Print a result line and flush it: a test may be waiting for it. */
void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (fflush(stdout) == EOF)
		die(EXIT_IO, "stdout: %s", strerror(errno));
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		die(EXIT_IO, "out of memory");
	return p;
}

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (!p)
		die(EXIT_IO, "out of memory");
	return p;
}

void xclose(int fd)
{
	if (close(fd) < 0)
		die(EXIT_IO, "close: %s", strerror(errno));
}

/* ---- Time -------------------------------------------------------------- */

/* CLOCK_MONOTONIC: wall-clock time can jump, which would fake latencies. */
int64_t now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		die(EXIT_IO, "clock_gettime: %s", strerror(errno));
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t now_ms(void)
{
	return now_ns() / 1000000;
}

/*
 * We install no signal handlers (SIGPIPE is ignored, SIGUSR1 is blocked and
 * read from a signalfd), so a signal never interrupts poll() or
 * clock_nanosleep(): the kernel restarts them even after a stop (^Z) and
 * continue.  EINTR cannot happen, and any error is fatal.  (epoll_wait() is
 * an exception, see signal(7) and bench.c.)
 */
void sleep_ms(int ms)
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
int poll_fds(struct pollfd *fds, size_t n, int timeout_ms)
{
	int ready = poll(fds, n, timeout_ms);

	if (ready < 0)
		die(EXIT_IO, "poll: %s", strerror(errno));
	return ready;
}