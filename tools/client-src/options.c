#define _GNU_SOURCE
/*
 * options.c - the command line: numbers with K and M, durations, getopt()
 * with our own messages, and the server's address.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

/* A whole decimal number in [min, max], with an optional K or M suffix. */
uint64_t parse_num(const char *s, const char *what, uint64_t min, uint64_t max)
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

int parse_ms(const char *s, const char *what, int min)
{
	return (int)parse_num(s, what, (uint64_t)min, MAX_MS);
}

/* Seconds, possibly with a fraction, as nanoseconds. */
int64_t parse_secs(const char *s, const char *what, bool zero_ok)
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
int next_option(int argc, char **argv, const char *optstring)
{
	int opt = getopt(argc, argv, optstring);

	if (opt == '?')
		usage_error("unknown option -%c", optopt);
	if (opt == ':')
		usage_error("option -%c needs a value", optopt);
	return opt;
}

void no_more_arguments(int argc, char **argv)
{
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
}

void parse_target(struct target *t, const char *host, unsigned port)
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