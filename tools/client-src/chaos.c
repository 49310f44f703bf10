#define _GNU_SOURCE
/*
 * chaos.c - chaos: many connections at once, each living one short random
 * life after another and abusing the server every way a client can, while
 * every byte that comes back is checked.
 *
 * A slot is one of the CONNS connections.  It lives a life (connect, talk,
 * end), then the next.  A life's plan is drawn, all of it, when the life
 * begins, from a seed made of -S, the slot and the life's number, so the
 * same -S replays the same lives, whatever the timing.  One thread and
 * poll(), as in bench: each wait is a deadline in its slot, and poll()
 * sleeps until the nearest one.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

#define MAX_MESSAGES 6             /* messages in one life at most */
#define PAUSE_MAX_MS 100           /* longest pause after a message */
#define STALL_MAX_MS 300           /* longest time a reader stops reading */
#define STALL_ODDS 16              /* a stalling reader stops 1 read in 16 */
#define SLOW_MIN_RATE (256 * 1024) /* the slowest reader, bytes a second */
#define SLOW_LIFE_MS 3000          /* nor takes longer to read a life's echo */
#define DELAY_MAX_MS 50            /* longest wait before connecting again */
#define MAX_SENDS 2048             /* send()s a life takes, about, at most */
#define LOOK_MS 1000               /* poll() returns at least this often */

/* How a life ends. */
enum ending {
	END_CLOSE, /* the whole echo read back: close() */
	END_HALF,  /* shutdown(SHUT_WR) after cut bytes: all back, then EOF */
	END_RESET, /* after cut bytes sent and wait bytes read back: a RST */
	END_DROP,  /* the same, but a plain close(), the rest unread */
};

/* How a life reads its echo. */
enum reading {
	READ_EAGER,  /* as soon as it is there */
	READ_SLOW,   /* no faster than rate bytes a second */
	READ_STALLS, /* now and then not at all, for up to STALL_MAX_MS */
};

/* One life, as drawn when it begins. */
struct plan {
	size_t len;                 /* the bytes of all its messages */
	size_t ends[MAX_MESSAGES];  /* where each message ends */
	int pause_ms[MAX_MESSAGES]; /* the pause after each, 0: none */
	unsigned msgs;              /* how many messages */
	bool lockstep;              /* each message's echo before the next */
	enum reading reading;       /* how it reads */
	uint64_t rate;              /* READ_SLOW: bytes a second */
	enum ending ending;         /* how it ends */
	size_t cut;                 /* not END_CLOSE: bytes sent in all */
	size_t wait;                /* END_RESET, END_DROP: echo read first */
	int delay_ms;               /* before it connects */
};

/* Where a slot is in its life. */
enum phase {
	WAITING,    /* until wake_ms, then connect */
	CONNECTING, /* a non-blocking connect() under way */
	TALKING,    /* sending, reading, and ending as planned */
	RETIRED,    /* no more lives: time is up, or one failed */
};

struct slot {
	struct conn c;         /* id: the slot's number; fd: -1 if none */
	uint64_t life;         /* lives begun in this slot: 1, 2, ... */
	struct plan plan;      /* the life's plan */
	enum phase phase;      /* where the life is */
	int64_t wake_ms;       /* WAITING: when to connect */
	unsigned msg;          /* the message being sent */
	int64_t send_at;       /* sending paused until then */
	int64_t read_at;       /* reading stopped until then */
	int64_t read_start;    /* READ_SLOW: when the pace began */
	bool shut;             /* END_HALF: shutdown() is done */
	int64_t waiting_since; /* last time the server was not in the way */
	uint64_t jitter;       /* draws that depend on timing: stalls */
};

/* The whole run: its options and its counts. */
struct chaos {
	const struct target *t; /* the server */
	uint64_t seed;          /* -S */
	size_t max_bytes;       /* -m: the largest message */
	int idle_ms;            /* -t: longest wait on the server */
	bool verbose;           /* -v: each plan on stderr */
	int64_t end_ms;         /* -d: no new life after it; 0: no limit */
	uint64_t total;         /* -N: lives in all; 0: no limit */
	bool hurry;             /* time is up: no more pauses */

	uint64_t lives;       /* begun: the connections */
	uint64_t bytes;       /* echoed and checked */
	uint64_t half_closes; /* lives that ended each way, as planned */
	uint64_t resets;
	uint64_t drops;
	uint64_t errors;     /* lives the server cut short or stalled */
	uint64_t mismatches; /* lives that got wrong bytes back */
};

/* ---- Plans ------------------------------------------------------------- */

/* A size from 1 to max, every power of two as likely: many small, some big. */
static size_t draw_size(uint64_t *r, size_t max)
{
	int bits = 64 - __builtin_clzll(max);
	size_t low = (size_t)1 << (rng_next(r) % (uint64_t)bits);
	size_t size = low + rng_next(r) % low;

	return size < max ? size : max;
}

/* n in [0, max], evenly. */
static size_t draw_upto(uint64_t *r, size_t max)
{
	return (size_t)(rng_next(r) % ((uint64_t)max + 1));
}

/* One in odds. */
static bool draw_chance(uint64_t *r, unsigned odds)
{
	return rng_next(r) % odds == 0;
}

static uint64_t life_seed(const struct chaos *ch, unsigned id, uint64_t life)
{
	return mix64(ch->seed ^ mix64(message_seed(id, life)));
}

/* Draw the life's plan, and set up its message, from the life's seed. */
static void draw_plan(const struct chaos *ch, struct slot *s)
{
	struct plan *p = &s->plan;
	uint64_t r = life_seed(ch, s->c.id, s->life);
	unsigned pick;

	*p = (struct plan){0};
	set_message(&s->c, rng_next(&r), 0);
	s->c.split = rng_next(&r);
	s->jitter = rng_next(&r);

	p->msgs = 1 + (unsigned)(rng_next(&r) % MAX_MESSAGES);
	for (unsigned i = 0; i < p->msgs; i++) {
		p->len += draw_size(&r, ch->max_bytes);
		p->ends[i] = p->len;
		if (draw_chance(&r, 3))
			p->pause_ms[i] =
				1 + (int)draw_upto(&r, PAUSE_MAX_MS - 1);
	}
	s->c.msg.len = p->len;
	/* Pieces of 1 byte up: small ones for a small life, not for 6 MiB. */
	s->c.max_write = draw_size(&r, IO_CHUNK);
	if (s->c.max_write < 2 * p->len / MAX_SENDS)
		s->c.max_write = 2 * p->len / MAX_SENDS;
	p->lockstep = draw_chance(&r, 2);

	pick = (unsigned)(rng_next(&r) % 4);
	p->reading = READ_EAGER; /* half the lives */
	if (pick == 2)
		p->reading = READ_SLOW;
	if (pick == 3)
		p->reading = READ_STALLS;
	p->rate = SLOW_MIN_RATE + draw_upto(&r, 15 * SLOW_MIN_RATE);
	if (p->rate < p->len * 1000 / SLOW_LIFE_MS)
		p->rate = p->len * 1000 / SLOW_LIFE_MS;

	pick = (unsigned)(rng_next(&r) % 20);
	p->ending = END_CLOSE; /* 8 in 20 */
	if (pick >= 8)
		p->ending = END_HALF; /* 5 in 20 */
	if (pick >= 13)
		p->ending = END_RESET; /* 4 in 20 */
	if (pick >= 17)
		p->ending = END_DROP; /* 3 in 20 */
	p->cut = draw_upto(&r, p->len);
	if (p->ending == END_HALF && draw_chance(&r, 2))
		p->cut = p->len; /* half the half-closes come after it all */
	p->wait = draw_upto(&r, p->cut);
	if (draw_chance(&r, 3))
		p->delay_ms = 1 + (int)draw_upto(&r, DELAY_MAX_MS - 1);
}

/* The plan in words, for -v and for failures. */
static void describe_plan(const struct slot *s, char *buf, size_t size)
{
	static const char *const endings[] = {
		[END_CLOSE] = "close after the echo",
		[END_HALF] = "half-close at byte",
		[END_RESET] = "reset at byte",
		[END_DROP] = "close at byte",
	};
	const struct plan *p = &s->plan;
	char how[64] = "";
	int n;

	if (p->reading == READ_SLOW)
		snprintf(how, sizeof(how), ", reads at %" PRIu64 " B/s",
			 p->rate);
	else if (p->reading == READ_STALLS)
		snprintf(how, sizeof(how), ", reads with stalls");
	n = snprintf(buf, size,
		     "%zu bytes in %u messages%s, pieces up to %zu%s, %s",
		     p->len, p->msgs, p->lockstep ? " in lockstep" : "",
		     s->c.max_write, how, endings[p->ending]);
	if (p->ending == END_CLOSE || n < 0 || (size_t)n >= size)
		return;
	if (p->ending == END_HALF)
		snprintf(buf + n, size - (size_t)n, " %zu", p->cut);
	else
		snprintf(buf + n, size - (size_t)n, " %zu, %zu read back",
			 p->cut, p->wait);
}

/* ---- Lives ------------------------------------------------------------- */

/* The next life, or none: time is up, or -N lives were begun. */
static void next_life(struct chaos *ch, struct slot *s, int64_t now)
{
	char text[256];

	if (ch->hurry || (ch->total && ch->lives == ch->total)) {
		s->phase = RETIRED;
		return;
	}
	ch->lives++;
	s->life++;
	draw_plan(ch, s);
	if (ch->verbose) {
		describe_plan(s, text, sizeof(text));
		warn("chaos: connection %u life %" PRIu64 ": %s", s->c.id,
		     s->life, text);
	}
	s->phase = WAITING;
	s->wake_ms = now + s->plan.delay_ms;
}

static void close_fd(struct slot *s)
{
	xclose(s->c.fd);
	s->c.fd = -1;
}

/*
 * The server failed this life: say how, with the plan and the seed that
 * replays it, and retire the slot: a server that failed once may well fail
 * on and on, and one message says enough.
 */
__attribute__((format(printf, 4, 5))) static void
fail(struct chaos *ch, struct slot *s, bool mismatch, const char *fmt, ...)
{
	char what[256], text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	describe_plan(s, text, sizeof(text));
	warn("chaos: connection %u life %" PRIu64 ": %s, after %zu bytes "
	     "sent and %zu back (%s; -S %" PRIu64 " replays it)",
	     s->c.id, s->life, what, s->c.sent, s->c.recvd, text, ch->seed);
	if (mismatch)
		ch->mismatches++;
	else
		ch->errors++;
	if (s->c.fd >= 0)
		close_fd(s);
	s->phase = RETIRED;
}

static void start_connect(struct chaos *ch, struct slot *s, int64_t now)
{
	int type = SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC;
	const struct target *t = ch->t;

	s->c.fd = socket(t->addr.sa.sa_family, type, 0);
	if (s->c.fd < 0)
		die(EXIT_IO, "socket: %s", strerror(errno));
	s->phase = CONNECTING;
	s->waiting_since = now;
	if (connect(s->c.fd, &t->addr.sa, t->len) < 0 && errno != EINPROGRESS)
		fail(ch, s, false, "connect: %s", strerror(errno));
}

/* The connect() is over: read how from SO_ERROR, and start talking. */
static void connected(struct chaos *ch, struct slot *s, int64_t now)
{
	socklen_t len = sizeof(int);
	int err;

	if (getsockopt(s->c.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		die(EXIT_IO, "getsockopt: %s", strerror(errno));
	if (err != 0) {
		fail(ch, s, false, "connect: %s", strerror(err));
		return;
	}
	set_nodelay(s->c.fd);
	s->phase = TALKING;
	s->msg = 0;
	s->send_at = now;
	s->read_at = now;
	s->read_start = now;
	s->shut = false;
	s->waiting_since = now;
}

/* The life ended as planned: count it, end the connection, begin the next. */
static void life_done(struct chaos *ch, struct slot *s, int64_t now)
{
	struct linger abort_on_close = {.l_onoff = 1, .l_linger = 0};

	switch (s->plan.ending) {
	case END_CLOSE:
		break;
	case END_HALF:
		ch->half_closes++;
		break;
	case END_RESET:
		/* Lingering for 0 seconds makes close() send a RST. */
		if (setsockopt(s->c.fd, SOL_SOCKET, SO_LINGER, &abort_on_close,
			       sizeof(abort_on_close)) < 0)
			die(EXIT_IO, "setsockopt SO_LINGER: %s",
			    strerror(errno));
		ch->resets++;
		break;
	case END_DROP:
		ch->drops++;
		break;
	}
	close_fd(s);
	next_life(ch, s, now);
}

/* ---- Talking ----------------------------------------------------------- */

/* Where sending stops for good: the whole message, or the planned cut. */
static size_t send_limit(const struct slot *s)
{
	return s->plan.ending == END_CLOSE ? s->plan.len : s->plan.cut;
}

/* May the slot send now?  Not while paused, nor before a lockstep echo. */
static bool may_send(const struct chaos *ch, const struct slot *s, int64_t now)
{
	const struct conn *c = &s->c;
	bool at_boundary = s->msg > 0 && c->sent == s->plan.ends[s->msg - 1];

	if (c->sent == send_limit(s))
		return false;
	if (s->plan.lockstep && at_boundary && c->recvd < c->sent)
		return false;
	return ch->hurry || now >= s->send_at;
}

/*
 * How many bytes the slot may read now: 0 while it stalls or is ahead of
 * its pace; at least 1 otherwise, even with nothing owed, so that an end
 * of file, a reset or a byte too many is seen at once.
 */
static size_t may_read(const struct chaos *ch, const struct slot *s,
		       int64_t now)
{
	const struct conn *c = &s->c;
	size_t n = c->sent - c->recvd;

	if (n == 0)
		n = 1;
	if (n > IO_CHUNK)
		n = IO_CHUNK;
	if (ch->hurry)
		return n;
	if (now < s->read_at)
		return 0;
	if (s->plan.reading == READ_SLOW) {
		uint64_t due =
			s->plan.rate * (uint64_t)(now - s->read_start) / 1000;

		if (due <= c->recvd)
			return 0;
		if (n > due - c->recvd)
			n = (size_t)(due - c->recvd);
	}
	return n;
}

/* Send until the socket is full, the message ends, or a pause is due. */
static bool send_some(struct chaos *ch, struct slot *s, int64_t now)
{
	static unsigned char buf[IO_CHUNK];
	struct conn *c = &s->c;

	while (may_send(ch, s, now)) {
		size_t stop = s->plan.ends[s->msg], n;
		size_t piece = 1 + rng_next(&c->split) % c->max_write;
		ssize_t r;

		if (stop > send_limit(s))
			stop = send_limit(s);
		n = stop - c->sent;
		if (n > IO_CHUNK)
			n = IO_CHUNK;
		if (n > piece)
			n = piece;
		payload_fill(&c->msg, c->sent, buf, n);
		r = send(c->fd, buf, n, 0);
		if (r < 0 && errno == EAGAIN)
			return true;
		if (r < 0) {
			if (io_error(c, "send") == IO_LOST)
				fail(ch, s, false, "send: %s",
				     strerror(c->error));
			return false;
		}
		c->sent += (size_t)r;
		s->waiting_since = now;
		if (c->sent == s->plan.ends[s->msg]) {
			s->send_at = now + s->plan.pause_ms[s->msg];
			if (s->msg + 1 < s->plan.msgs)
				s->msg++;
		}
	}
	return true;
}

/*
 * Read at most n bytes of the echo and check them; false if the life is
 * over.
 */
static bool read_some(struct chaos *ch, struct slot *s, size_t n, int64_t now)
{
	static unsigned char got[IO_CHUNK];
	struct conn *c = &s->c;
	size_t owed = c->sent - c->recvd, good;
	ssize_t r = recv(c->fd, got, n, 0);

	if (r < 0) {
		if (io_error(c, "recv") == IO_AGAIN)
			return true;
		fail(ch, s, false, "server reset the connection (%s)",
		     strerror(c->error));
		return false;
	}
	if (r == 0) {
		if (s->shut && c->recvd == s->plan.cut) {
			life_done(ch, s, now);
			return false;
		}
		fail(ch, s, false, "server closed the connection early");
		return false;
	}
	good = payload_match(&c->msg, c->recvd, got,
			     (size_t)r < owed ? (size_t)r : owed);
	c->recvd += good;
	ch->bytes += good;
	if (good < (size_t)r) {
		if (good == owed)
			fail(ch, s, true, "more bytes back than were sent");
		else
			fail(ch, s, true, "wrong byte back at byte %zu",
			     c->recvd);
		return false;
	}
	s->waiting_since = now;
	if (s->plan.reading == READ_STALLS &&
	    draw_chance(&s->jitter, STALL_ODDS))
		s->read_at = now + 1 +
			     (int64_t)draw_upto(&s->jitter, STALL_MAX_MS - 1);
	return true;
}

/*
 * The ends that come from our side: the half-close once its bytes are
 * sent, the reset or close once enough came back, and the plain close
 * once all of it did.  False if the life is over.
 */
static bool end_if_due(struct chaos *ch, struct slot *s, int64_t now)
{
	const struct plan *p = &s->plan;
	struct conn *c = &s->c;
	char byte;
	ssize_t r;

	switch (p->ending) {
	case END_HALF:
		if (!s->shut && c->sent == p->cut) {
			if (shutdown(c->fd, SHUT_WR) < 0)
				die(EXIT_IO, "shutdown: %s", strerror(errno));
			s->shut = true;
		}
		return true;
	case END_RESET:
	case END_DROP:
		if (c->sent < p->cut || c->recvd < p->wait)
			return true;
		break;
	case END_CLOSE:
		if (c->recvd < p->len)
			return true;
		/* All of it came back: nothing more may be on its way. */
		r = recv(c->fd, &byte, 1, MSG_DONTWAIT);
		if (r > 0) {
			fail(ch, s, true, "more bytes back than were sent");
			return false;
		}
		if (r == 0) {
			fail(ch, s, false,
			     "server closed the connection "
			     "before the client");
			return false;
		}
		if (io_error(c, "recv") == IO_LOST) {
			fail(ch, s, false, "server reset the connection (%s)",
			     strerror(c->error));
			return false;
		}
		break;
	}
	life_done(ch, s, now);
	return false;
}

/* When a slot that may not read now may read again. */
static int64_t read_due(const struct slot *s)
{
	const struct plan *p = &s->plan;
	int64_t due = s->read_at, paced;

	if (p->reading != READ_SLOW)
		return due;
	/* The time the pace allows byte recvd + 1, rounded up. */
	paced = s->read_start +
		(int64_t)(((uint64_t)s->c.recvd + 1) * 1000 + p->rate - 1) /
			(int64_t)p->rate;
	return paced > due ? paced : due;
}

/*
 * Is the slot waiting on the server?  Only then does the clock of -t run:
 * while it waits on itself (a pause, a stall, a slow read), it does not.
 */
static bool waiting_on_server(const struct chaos *ch, const struct slot *s,
			      int64_t now)
{
	const struct conn *c = &s->c;

	if (may_read(ch, s, now) == 0)
		return false;
	return c->recvd < c->sent || s->shut || may_send(ch, s, now);
}

/* ---- The loop ---------------------------------------------------------- */

/* Do what the slot's poll() events and the clock allow. */
static void step(struct chaos *ch, struct slot *s, short revents, int64_t now)
{
	size_t n;

	switch (s->phase) {
	case WAITING:
		if (now >= s->wake_ms || ch->hurry)
			start_connect(ch, s, now);
		return;
	case CONNECTING:
		if (revents != 0)
			connected(ch, s, now);
		else if (now - s->waiting_since >= ch->idle_ms)
			fail(ch, s, false, "connect: timed out");
		return;
	case TALKING:
		break;
	case RETIRED:
		return;
	}
	n = may_read(ch, s, now);
	/*
	 * poll() reports a hang-up or an error even when not asked: then
	 * read, pace or not, or it would report it again and again.  The
	 * server has stopped sending by then, so the pace no longer matters.
	 */
	if (n == 0 && (revents & (POLLHUP | POLLERR)))
		n = 1;
	if ((revents & (POLLIN | POLLHUP | POLLERR)) && n > 0 &&
	    !read_some(ch, s, n, now))
		return;
	if ((revents & POLLOUT) && !send_some(ch, s, now))
		return;
	if (!end_if_due(ch, s, now))
		return;
	if (!waiting_on_server(ch, s, now))
		s->waiting_since = now;
	else if (now - s->waiting_since >= ch->idle_ms)
		fail(ch, s, false, "timeout: nothing moved for %d ms",
		     ch->idle_ms);
}

static void wake_by(int64_t *wake, int64_t at)
{
	if (at < *wake)
		*wake = at;
}

/* What the slot waits for: its poll() events, and the time it must wake. */
static void prepare(const struct chaos *ch, const struct slot *s,
		    struct pollfd *pfd, int64_t now, int64_t *wake)
{
	const struct conn *c = &s->c;

	pfd->fd = s->phase == CONNECTING || s->phase == TALKING ? c->fd : -1;
	pfd->events = 0;
	switch (s->phase) {
	case WAITING:
		wake_by(wake, s->wake_ms);
		return;
	case CONNECTING:
		pfd->events = POLLOUT;
		wake_by(wake, s->waiting_since + ch->idle_ms);
		return;
	case TALKING:
		break;
	case RETIRED:
		return;
	}
	if (may_read(ch, s, now) > 0)
		pfd->events |= POLLIN;
	else
		wake_by(wake, read_due(s));
	if (may_send(ch, s, now))
		pfd->events |= POLLOUT;
	else if (!ch->hurry && now < s->send_at)
		wake_by(wake, s->send_at);
	if (waiting_on_server(ch, s, now))
		wake_by(wake, s->waiting_since + ch->idle_ms);
}

static void run(struct chaos *ch, struct slot *slots, size_t n)
{
	struct pollfd *pfds = xcalloc(n, sizeof(*pfds));
	int64_t now = now_ms();

	for (size_t i = 0; i < n; i++) {
		slots[i].c.id = (unsigned)i + 1;
		slots[i].c.fd = -1;
		next_life(ch, &slots[i], now);
	}
	for (;;) {
		int64_t wake = now + LOOK_MS;
		size_t alive = 0;

		if (ch->end_ms && now >= ch->end_ms)
			ch->hurry = true;
		if (!ch->hurry && ch->end_ms)
			wake_by(&wake, ch->end_ms);
		for (size_t i = 0; i < n; i++) {
			step(ch, &slots[i], pfds[i].revents, now);
			prepare(ch, &slots[i], &pfds[i], now, &wake);
			pfds[i].revents = 0;
			alive += slots[i].phase != RETIRED;
		}
		if (alive == 0)
			break;
		poll_fds(pfds, n, wake > now ? (int)(wake - now) : 0);
		now = now_ms();
	}
	free(pfds);
}

int cmd_chaos(int argc, char **argv, const struct target *t)
{
	struct chaos ch = {.t = t, .max_bytes = 1 << 20, .idle_ms = 10000};
	int64_t duration = 0;
	bool have_seed = false;
	struct slot *slots;
	size_t n = 0;
	int opt;

	while ((opt = next_option(argc, argv, "+:c:d:N:S:m:t:v")) != -1) {
		switch (opt) {
		case 'c':
			n = parse_num(optarg, "-c CONNS", 1, MAX_CONNS);
			break;
		case 'd':
			duration = parse_secs(optarg, "-d SECS", false);
			break;
		case 'N':
			ch.total = parse_num(optarg, "-N TOTAL", 1, UINT64_MAX);
			break;
		case 'S':
			ch.seed = parse_num(optarg, "-S SEED", 0, UINT64_MAX);
			have_seed = true;
			break;
		case 'm':
			ch.max_bytes = parse_num(optarg, "-m MAXBYTES", 1,
						 MAX_BYTES / MAX_MESSAGES);
			break;
		case 't':
			ch.idle_ms = parse_ms(optarg, "-t MS", 1);
			break;
		case 'v':
			ch.verbose = true;
			break;
		}
	}
	no_more_arguments(argc, argv);
	if (n == 0 || (duration == 0 && ch.total == 0))
		usage_error("chaos: -c CONNS, and -d SECS or -N TOTAL, are "
			    "required");
	if (!have_seed) /* any will do; the summary names it */
		ch.seed = mix64((uint64_t)now_ns() ^ (uint64_t)getpid() << 32);

	slots = xcalloc(n, sizeof(*slots));
	if (duration)
		ch.end_ms = now_ms() + duration / 1000000;
	run(&ch, slots, n);
	free(slots);
	out("connections=%" PRIu64 " bytes=%" PRIu64 " half_closes=%" PRIu64
	    " resets=%" PRIu64 " drops=%" PRIu64 " errors=%" PRIu64
	    " mismatches=%" PRIu64 " seed=%" PRIu64 "\n",
	    ch.lives, ch.bytes, ch.half_closes, ch.resets, ch.drops, ch.errors,
	    ch.mismatches, ch.seed);
	return ch.errors || ch.mismatches ? EXIT_CHECK : 0;
}
