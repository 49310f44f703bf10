#define _GNU_SOURCE
/*
 * The test client for every stage of the echo server (tools/client).
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
 *   chaos -c CONNS (-d SECS | -N TOTAL) [-S SEED] [-m MAXBYTES] [-t MS] [-v]
 *       CONNS connections at once, each a run of short lives: connect, send
 *       messages of random sizes (1 byte to MAXBYTES, default 1M) in pieces
 *       of random sizes, with pauses, reading slowly or not at all for a
 *       while, then end one of four ways: close after the whole echo;
 *       half-close at a random point (all of it must come back, then EOF);
 *       reset (SO_LINGER 0) or close at a random point; and connect again.
 *       Everything that comes back must be exactly what was sent.  Runs for
 *       SECS seconds, or until TOTAL connections were made (with both: the
 *       first; with -N, exactly TOTAL); the lives under way then finish
 *       without pauses.  -S: the seed of all the random choices (default:
 *       from the clock), to replay a run.  -t: a connection waiting MS ms
 *       on the server fails (default 10000).  -v: each life's plan on
 *       stderr.  Prints "connections=N bytes=B half_closes=H resets=R
 *       drops=D errors=E mismatches=M seed=S", and exits 1 if a connection
 *       failed (lost bytes, early close or reset, timeout) or got wrong
 *       bytes back.
 *   proc PID
 *       Prints "rss_kib=N threads=N cpu_ms=N fds=N" for a process.
 *
 * Numbers take a K or M suffix (KiB, MiB): -n 64K, -n 10M.  SECS may have
 * a fraction (-d 0.5).  Connections and pings are numbered from 1.  A
 * connect() that takes more than 10 s fails.  Send SIGUSR1 after the line
 * that asks for it ("held N", "stalled N"): it is blocked from then on at
 * the latest, and one that arrives early is kept until it is awaited.
 *
 * Where things are: main.c (this file) reads the global options and runs
 * the command; each command is a file of its own (echo.c, hold.c, hog.c,
 * ping.c, reset.c, bench.c, chaos.c, proc.c), written with the shared
 * parts: options.c (the command line), conn.c (connecting, sending a
 * message while checking its echo), transfer.c (one connection's message,
 * both ways), pattern.c (the bytes sent, and checking them), util.c
 * (messages, memory, time), declared in client.h.
 *
 * Exit status: 0 success; 1 a check failed (wrong bytes, early close, lost
 * connection, timeout); 2 usage error; 3 could not connect, or another I/O
 * error.  Results go to stdout, one line each, flushed at once (the tests
 * wait for them in a file); diagnostics go to stderr.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "client.h"

const char usage_text[] =
	"usage: client [-a ADDR] -p PORT COMMAND [options]\n"
	"  echo  (-f FILE | -n BYTES) [-s SEED] [-x MAXCHUNK] [-H] [-r RATE]"
	" [-t MS]\n"
	"  hold  -c N [-t MS]\n"
	"  hog   -n BYTES [-s SEED] [-r RATE] [-t MS]\n"
	"  ping  [-c COUNT] [-d MS] [-i MS] [-w MS]\n"
	"  reset [-n BYTES]\n"
	"  bench -c CONNS -d SECS [-s SIZE] [-w SECS]\n"
	"  chaos -c CONNS (-d SECS | -N TOTAL) [-S SEED] [-m MAXBYTES] [-t MS]"
	" [-v]\n"
	"usage: client proc PID\n";

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv, const struct target *t);
} commands[] = {
	{"echo", cmd_echo},   {"hold", cmd_hold},   {"hog", cmd_hog},
	{"ping", cmd_ping},   {"reset", cmd_reset}, {"bench", cmd_bench},
	{"chaos", cmd_chaos}, {"proc", cmd_proc},
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
