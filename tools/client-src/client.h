/*
 * client.h - what the test client's files share: limits, the connection
 * and its message, and the helpers every command is written with.
 *
 * Each file that includes this defines _GNU_SOURCE first, before any
 * system header, as the stages' server.c files do.
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define EXIT_CHECK 1 /* the server misbehaved */
#define EXIT_USAGE 2 /* bad command line */
#define EXIT_IO 3    /* could not connect, or another I/O error */

#define DEFAULT_ADDR "127.0.0.1"
#define IO_CHUNK (64 * 1024)         /* most bytes one send() or recv() moves */
#define CONNECT_TIMEOUT_MS 10000     /* a connect() that takes longer fails */
#define MSG_SIZE 8                   /* hold and ping messages */
#define MAX_BYTES (1ULL << 32)       /* largest -n and -s accepted */
#define MAX_CONNS 1000000            /* largest -c accepted */
#define MAX_MS (24 * 3600 * 1000)    /* longest time in ms; fits in an int */
#define MAX_SECS 86400.0             /* longest bench or chaos duration */
#define GOLDEN 0x9e3779b97f4a7c15ULL /* splitmix64's increment */

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

/* ---- The commands (one file each) -------------------------------------- */

int cmd_echo(int argc, char **argv, const struct target *t);
int cmd_hold(int argc, char **argv, const struct target *t);
int cmd_hog(int argc, char **argv, const struct target *t);
int cmd_ping(int argc, char **argv, const struct target *t);
int cmd_reset(int argc, char **argv, const struct target *t);
int cmd_bench(int argc, char **argv, const struct target *t);
int cmd_chaos(int argc, char **argv, const struct target *t);
int cmd_proc(int argc, char **argv, const struct target *t);

extern const char usage_text[]; /* main.c: printed after a usage error */

/* ---- util.c: diagnostics, output, memory, time ------------------------- */

__attribute__((format(printf, 1, 2))) void warn(const char *fmt, ...);
__attribute__((format(printf, 2, 3))) _Noreturn void die(int status,
							 const char *fmt, ...);
__attribute__((format(printf, 1, 2))) _Noreturn void
usage_error(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void out(const char *fmt, ...);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
void xclose(int fd);
int64_t now_ns(void);
int64_t now_ms(void);
void sleep_ms(int ms);
int poll_fds(struct pollfd *fds, size_t n, int timeout_ms);

/* ---- options.c: the command line --------------------------------------- */

uint64_t parse_num(const char *s, const char *what, uint64_t min, uint64_t max);
int parse_ms(const char *s, const char *what, int min);
int64_t parse_secs(const char *s, const char *what, bool zero_ok);
int next_option(int argc, char **argv, const char *optstring);
void no_more_arguments(int argc, char **argv);
void parse_target(struct target *t, const char *host, unsigned port);

/* ---- pattern.c: pseudo-random data, and checking its echo -------------- */

uint64_t mix64(uint64_t z);
uint64_t rng_next(uint64_t *state);
void payload_fill(const struct payload *p, size_t off, unsigned char *buf,
		  size_t n);
size_t payload_match(const struct payload *p, size_t off,
		     const unsigned char *got, size_t n);
uint64_t message_seed(unsigned int id, uint64_t n);
void set_message(struct conn *c, uint64_t seed, size_t len);

/* ---- conn.c: connections and their I/O --------------------------------- */

void set_nodelay(int fd);
int open_conn(const struct target *t);
struct conn *open_conns(const struct target *t, size_t n);
void close_conns(struct conn *conns, size_t n);
enum io io_error(struct conn *c, const char *call);
bool io_failed(enum io res);
enum io conn_pump(struct conn *c, bool can_write, bool can_read);
_Noreturn void conn_failed(const struct conn *c, enum io res);
void pump_or_die(struct conn *c, bool can_write, bool can_read);
size_t exchange_all(struct conn *conns, size_t n, int timeout_ms);
void wait_for_usr1(struct conn *conns, size_t n);

/* ---- transfer.c: one connection's whole message, both ways ------------- */

_Noreturn void transfer_failed(const struct conn *c, enum io res);
void transfer(struct conn *c, bool half_close, int idle_ms, uint64_t rate);

#endif /* CLIENT_H */
