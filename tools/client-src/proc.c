#define _GNU_SOURCE
/*
 * proc.c - proc: a process's RSS, threads, CPU time and open fds, from
 * /proc.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

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

int cmd_proc(int argc, char **argv, const struct target *t)
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
