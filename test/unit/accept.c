/*
 * A white-box test of an epoll stage's listener: accept() must never wait
 * in the loop. epoll's news that a connection waits can be stale by the
 * time on_accept() runs (another process sharing the listener took it; on
 * BSD, the client reset it), which no client of one server can arrange, so
 * this test calls on_accept() itself with nothing waiting: it must return
 * at once. Build (from the top): cc -pthread -I 03-epoll test/unit/accept.c
 */
#define main server_main
#include "server.c"
#undef main

int main(void)
{
	char *argv[] = {"server", "-q", "-p", "0", NULL};

	parse_args(4, argv);
	open_log();
	listen_on();
	alarm(5); /* a blocking accept() waits for ever: SIGALRM ends it */
	on_accept(&srv.listener, EPOLLIN);
	puts("accept: with nothing waiting, on_accept() returned at once");
	return 0;
}
