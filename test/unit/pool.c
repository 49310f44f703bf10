/*
 * A white-box test of the thread pool (06 on): 10,000 jobs run on the
 * workers, and each job's done() runs exactly once, after its work(), on
 * the loop's thread. The self-pipe is shrunk to one page first, and all
 * the jobs finish before the loop looks: most workers find the pipe full
 * (EAGAIN), yet no job is lost, and one wake-up serves them all. The loop
 * then ends by itself, kept alive to the last done() by the requests
 * alone. It includes the stage's server.c, renaming its main().
 * Build (from the top): cc -pthread -I 06-threadpool-selfpipe test/unit/pool.c
 */
#define main server_main
#include "server.c"
#undef main

#define JOBS 10000

static struct job jobs[JOBS];
static int worked[JOBS];          /* each job's own slot: work() counts */
static pthread_t worked_on[JOBS]; /* the thread its work() ran on */
static pthread_t loop_thread;     /* main()'s, which runs the loop */
static int done_calls, misdone;   /* done() calls; wrong ones among them */
static int pipe_size, pipe_held;  /* the pipe's size; bytes it held */
static struct timer start;

static void fail(const char *why)
{
	fprintf(stderr, "pool: %s\n", why);
	exit(1);
}

/* On a worker: touches only its own job's slots. */
static int work(struct job *j)
{
	int i = (int)(j - jobs);

	worked[i]++;
	worked_on[i] = pthread_self();
	return i;
}

static void done(struct job *j, int result)
{
	int i = (int)(j - jobs);

	done_calls++;
	if (!pthread_equal(pthread_self(), loop_thread) || result != i ||
	    worked[i] != 1 || j->busy)
		misdone++;
}

/* The jobs on the done list, for the wait below. */
static int count_done(void)
{
	int n = 0;

	pool_lock();
	for (struct job *j = pool.done; j != NULL; j = j->next)
		n++;
	pool_unlock();
	return n;
}

/* The loop's first callback: only the requests may keep the loop alive, so
 * close the listener; submit every job, wait until all are done, and let
 * the loop find them. */
static void on_start(struct timer *t)
{
	struct timespec ms = {.tv_sec = 0, .tv_nsec = 1000000};

	(void)t;
	pipe_size = fcntl(pool.wake_fds[1], F_SETPIPE_SZ, 4096);
	if (pipe_size == -1)
		die("fcntl F_SETPIPE_SZ");
	if (pipe_size >= JOBS)
		fail("the pipe is too big to fill");
	stop_listening();
	for (int i = 0; i < JOBS; i++)
		pool_submit(&jobs[i], work, done);
	for (int waited = 0; count_done() < JOBS; waited++) {
		if (waited == 30000)
			fail("the jobs were not all done after 30 s");
		if (nanosleep(&ms, NULL) == -1 && errno != EINTR)
			die("nanosleep");
	}
	if (ioctl(pool.wake_fds[0], FIONREAD, &pipe_held) == -1)
		die("ioctl FIONREAD");
}

/* Every idle worker wakes to an empty queue, as from a spurious wake-up
 * (pthread_cond_wait() may return without a signal): each must check the
 * queue again and wait again, not leave the pool. */
static void spurious_wakeup(void)
{
	struct timespec ms = {.tv_sec = 0, .tv_nsec = 1000000};
	struct timespec woken = {.tv_sec = 0, .tv_nsec = 200000000};
	unsigned idle = 0;

	pool_lock();
	abort_if(pthread_cond_broadcast(&pool.work_ready),
		 "pthread_cond_broadcast");
	pool_unlock();
	/* Give every worker time to wake and look at the queue first. */
	if (nanosleep(&woken, NULL) == -1 && errno != EINTR)
		die("nanosleep");
	for (int waited = 0; idle != pool.workers; waited++) {
		if (waited == 2000)
			fail("workers woken with nothing to do left the pool");
		if (nanosleep(&ms, NULL) == -1 && errno != EINTR)
			die("nanosleep");
		pool_lock();
		idle = pool.idle;
		pool_unlock();
	}
}

int main(void)
{
	char *argv[] = {"server", "-q", "-p", "0", NULL};
	pthread_t seen[MAX_POOL_SIZE]; /* the workers that ran jobs */
	int threads = 0;

	if (setenv("THREADPOOL_SIZE", "4", 1) == -1)
		die("setenv");
	loop_thread = pthread_self();
	parse_args(4, argv);
	open_log();
	listen_on();
	timer_init(&start, on_start, NULL);
	timer_start(&start, 0);
	run_loop(); /* returns once the last done() has run */

	if (done_calls != JOBS || misdone != 0 || srv.requests != 0)
		fail("not every job had one done() on the loop's thread");
	if (pipe_held != pipe_size)
		fail("the self-pipe was never full");
	if (srv.wakeups >= JOBS)
		fail("as many wake-ups as jobs");
	for (int i = 0; i < JOBS; i++) {
		int k = 0;

		if (pthread_equal(worked_on[i], loop_thread))
			fail("a job's work() ran on the loop's thread");
		while (k < threads && !pthread_equal(seen[k], worked_on[i]))
			k++;
		if (k == threads)
			seen[threads++] = worked_on[i];
	}
	spurious_wakeup();
	pool_stop();
	printf("pool: %d jobs on %d of %u workers, %d done() calls on the "
	       "loop's thread, %llu wake-up(s); the self-pipe was full (%d "
	       "bytes), nothing was lost\n",
	       JOBS, threads, pool.size, done_calls, srv.wakeups, pipe_size);
	return 0;
}
