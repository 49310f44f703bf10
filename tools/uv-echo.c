/*
 * uv-echo.c - a plain libuv echo server, a yardstick for tools/bench/run.
 *
 * The stages' job, written the way libuv's own examples write it: one loop,
 * a uv_tcp_t per client, an alloc callback that hands libuv a buffer to read
 * into, a uv_write() of what was read (the buffer is freed in the write
 * callback). EOF closes the client once its echo is sent, an error at once.
 *
 * Costs that show in tools/bench: each read gets a fresh 64 KiB malloc()
 * (libuv's suggested size), so glibc's heap grows and trims as echoes come
 * and go (about one brk() per three messages there); and libuv 1.44 calls
 * epoll_ctl() after every completed write, re-arming the same events.
 *
 * Build: make build/bench/uv-echo (cc ... $(pkg-config --cflags --libs
 * libuv)), as tools/bench/run does. Usage: uv-echo [-p PORT] (default 7007,
 * 0 lets the kernel choose); prints "listening on 127.0.0.1:PORT" when
 * ready.
 */
#define _GNU_SOURCE /* getopt, pthread_rwlock_t (for uv.h) under -std=c11 */

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

/* One echo on its way: the request and the bytes it writes. */
struct echo_req {
	uv_write_t req;
	uv_buf_t buf;
};

static void usage(void)
{
	fputs("usage: uv-echo [-p PORT]\n", stderr);
	exit(2);
}

/* Start-up errors end the program; libuv returns them as negative codes. */
static void check(int err, const char *what)
{
	if (err < 0) {
		fprintf(stderr, "uv-echo: %s: %s\n", what, uv_strerror(err));
		exit(1);
	}
}

static void on_close(uv_handle_t *client)
{
	free(client);
}

static void close_client(uv_stream_t *client)
{
	if (!uv_is_closing((uv_handle_t *)client))
		uv_close((uv_handle_t *)client, on_close);
}

/* The client half-closed and every echo queued before is sent: close. */
static void on_shutdown(uv_shutdown_t *req, int status)
{
	(void)status; /* closed either way */
	close_client(req->handle);
	free(req);
}

/* EOF: send the echo still queued, then close; an error: close at once. */
static void end_client(uv_stream_t *client, ssize_t nread)
{
	uv_shutdown_t *req = nread == UV_EOF ? malloc(sizeof(*req)) : NULL;

	if (req == NULL || uv_shutdown(req, client, on_shutdown) < 0) {
		free(req);
		close_client(client);
	}
}

/* A NULL base (malloc failed) makes libuv call on_read() with ENOBUFS. */
static void on_alloc(uv_handle_t *client, size_t size, uv_buf_t *buf)
{
	(void)client;
	*buf = uv_buf_init(malloc(size), (unsigned int)size);
}

static void on_write(uv_write_t *req, int status)
{
	struct echo_req *er = (struct echo_req *)req;

	if (status < 0)
		close_client(req->handle);
	free(er->buf.base);
	free(er);
}

/* nread > 0: echo it; 0: nothing to read after all; < 0: EOF or error. */
static void on_read(uv_stream_t *client, ssize_t nread, const uv_buf_t *buf)
{
	struct echo_req *er = nread > 0 ? malloc(sizeof(*er)) : NULL;

	if (er == NULL) {
		free(buf->base);
		if (nread != 0)
			end_client(client, nread);
		return;
	}
	er->buf = uv_buf_init(buf->base, (unsigned int)nread);
	if (uv_write(&er->req, client, &er->buf, 1, on_write) < 0) {
		free(er->buf.base);
		free(er);
		close_client(client);
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	uv_tcp_t *client;

	if (status < 0) {
		fprintf(stderr, "uv-echo: accept: %s\n", uv_strerror(status));
		return;
	}
	client = malloc(sizeof(*client));
	if (client == NULL || uv_tcp_init(server->loop, client) < 0) {
		free(client);
		return;
	}
	if (uv_accept(server, (uv_stream_t *)client) < 0 ||
	    uv_read_start((uv_stream_t *)client, on_alloc, on_read) < 0)
		close_client((uv_stream_t *)client);
}

int main(int argc, char **argv)
{
	struct sockaddr_storage bound;
	struct sockaddr_in addr;
	uv_tcp_t server;
	long port = 7007;
	int len = sizeof(bound), opt;
	char *end;

	while ((opt = getopt(argc, argv, "p:")) != -1) {
		port = opt == 'p' ? strtol(optarg, &end, 10) : -1;
		if (port < 0 || port > 65535 || end == optarg || *end != '\0')
			usage();
	}
	if (optind != argc)
		usage();
	/* A client gone while we write: EPIPE for that one, not SIGPIPE. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror("uv-echo: signal");
		return 1;
	}
	check(uv_ip4_addr("127.0.0.1", (int)port, &addr), "address");
	check(uv_tcp_init(uv_default_loop(), &server), "uv_tcp_init");
	check(uv_tcp_bind(&server, (struct sockaddr *)&addr, 0), "bind");
	check(uv_listen((uv_stream_t *)&server, SOMAXCONN, on_connection),
	      "listen");
	check(uv_tcp_getsockname(&server, (struct sockaddr *)&bound, &len),
	      "getsockname");
	printf("listening on 127.0.0.1:%d\n",
	       ntohs(((struct sockaddr_in *)&bound)->sin_port));
	if (fflush(stdout) == EOF) {
		perror("uv-echo: stdout");
		return 1;
	}
	return uv_run(uv_default_loop(), UV_RUN_DEFAULT);
}
