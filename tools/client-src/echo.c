#define _GNU_SOURCE
/*
 * echo.c - echo: send a file or a seed's bytes, check the echo byte for byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

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

int cmd_echo(int argc, char **argv, const struct target *t)
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
