#define _GNU_SOURCE
/*
 * pattern.c - the bytes a connection sends: a seed's pseudo-random pattern
 * (or a buffer), made again at any offset to check the echo against.
 */
#include <string.h>

#include "client.h"

/* splitmix64's output function: a bijection that scrambles all 64 bits. */
uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The next number of the splitmix64 generator whose state is *state. */
uint64_t rng_next(uint64_t *state)
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

void payload_fill(const struct payload *p, size_t off, unsigned char *buf,
		  size_t n)
{
	if (p->data)
		memcpy(buf, p->data + off, n);
	else
		pattern_fill(p->seed, off, buf, n);
}

/*
 * How many of the n bytes in got, received at offset off of p's echo, are
 * right: n if all are, else the index of the first wrong one.
 */
size_t payload_match(const struct payload *p, size_t off,
		     const unsigned char *got, size_t n)
{
	static unsigned char want[IO_CHUNK]; /* we are single-threaded */
	size_t i = 0;

	payload_fill(p, off, want, n);
	if (memcmp(got, want, n) == 0)
		return n;
	while (got[i] == want[i])
		i++;
	return i;
}

/*
 * The seed of message number n on connection id.  Different (id, n) give
 * different seeds, and since mix64() is a bijection, the first 8 bytes of
 * their patterns differ too: a server that mixes up two connections' data,
 * or replays an old message, is caught.
 */
uint64_t message_seed(unsigned int id, uint64_t n)
{
	return (n << 32) | id;
}

void set_message(struct conn *c, uint64_t seed, size_t len)
{
	c->msg = (struct payload){.data = NULL, .len = len, .seed = seed};
	c->sent = 0;
	c->recvd = 0;
}