// SPDX-License-Identifier: GPL-2.0
/*
 * Deadlines and signals of ZCDEV_IOC_DMA_WAIT and ZCDEV_IOC_SEND_REAP
 * (uapi/linux/zcdev.h, "Waiting"): the deadline is absolute
 * (CLOCK_MONOTONIC), so a periodic signal whose handler has SA_RESTART
 * restarts the call without stretching the wait; without SA_RESTART the
 * call fails with EINTR at the first signal and has changed nothing;
 * deadline 0 polls; a deadline already passed ends the wait at once;
 * ZCDEV_DEADLINE_NEVER waits for the event through any number of signals;
 * a stop and continue (signals that run no handler) does not end the wait.
 *
 * The signal is SIGALRM from a 10 ms ITIMER_REAL. Helper threads block it,
 * so it always interrupts the thread that waits.
 *
 * DMA waits need a transfer that outlasts them: zcdma's latency_us holds
 * each descriptor before it copies (dma_test.h saves and restores it).
 * Reaps need no send at all to wait, or a send the stack holds until the
 * test opens the receiver's gate (send_common.h, zs_held).
 */
#include "dma_test.h"
#include "send_common.h"

#define TICK_US		10000			/* the itimer's period */
#define WAIT_NS		(200 * NSEC_PER_MSEC)	/* the wait under test */
/*
 * How late a wait may end: TCG on 2 shared cores, where a stop on the ARM
 * board also waits out an RCU grace period (pl330). Still well short of
 * the event (EVENT_MS) and the transfer (LONG_US) a wrong wait would see.
 * All three grow with ZCDEV_TEST_TIMEOUT_SCALE, together, so that stays
 * true on a kernel that runs everything slower (KASAN on the ARM board
 * ended a 200 ms wait 405 ms late).
 */
#define SLACK_NS	(250 * NSEC_PER_MSEC * zt_timeout_scale())
#define EARLY_NS	(5 * NSEC_PER_MSEC)	/* clock rounding */
#define MIN_TICKS	5	/* handlers that must have run in WAIT_NS */
#define LONG_US		(2 * 1000 * 1000 * zt_timeout_scale())	/* outlasts every wait here */
#define EVENT_MS	(500 * zt_timeout_scale())	/* when the awaited event happens */
#define HELD_LEN	(1 << 20)
#define SEED		91

static volatile sig_atomic_t ticks;

static void on_tick(int sig)
{
	(void)sig;
	ticks++;
}

/* SIGALRM every TICK_US, handled by on_tick with @sa_flags. */
static int ticker_start(int sa_flags)
{
	struct sigaction sa = { .sa_handler = on_tick, .sa_flags = sa_flags };
	struct itimerval it = {
		.it_interval.tv_usec = TICK_US,
		.it_value.tv_usec = TICK_US,
	};

	sigemptyset(&sa.sa_mask);
	ticks = 0;
	if (sigaction(SIGALRM, &sa, NULL))
		return -errno;
	return setitimer(ITIMER_REAL, &it, NULL) ? -errno : 0;
}

/* The handler stays: a signal generated before the disarm still finds it. */
static void ticker_stop(void)
{
	struct itimerval off = { 0 };

	setitimer(ITIMER_REAL, &off, NULL);
}

/*
 * In a child: is @pid stopped inside ioctl(2)? 0 yes, 1 stopped elsewhere,
 * 2 not stopped within a second.
 */
static int stopped_in_ioctl(pid_t pid)
{
	char path[64], buf[256], *state;
	long nr = -1;
	int i, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (i = 0; i < 1000; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		buf[n > 0 ? n : 0] = '\0';
		/* "pid (comm) S ...": the state follows the last ')'. */
		state = strrchr(buf, ')');
		if (state && state[1] == ' ' && state[2] == 'T')
			break;
		usleep(1000);
	}
	if (i == 1000)
		return 2;
	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n > 0) {
		buf[n] = '\0';
		nr = strtol(buf, NULL, 10);
	}
	return nr == SYS_ioctl ? 0 : 1;
}

/*
 * A child that stops this process @delay_ms from now, checks that it
 * stopped in the ioctl, continues it @ms later and exits with what it
 * found (stopped_in_ioctl()). Its pid, or -errno.
 */
static pid_t stop_and_continue_later(int delay_ms, int ms)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	int where;

	if (pid < 0)
		return -errno;
	if (!pid) {
		usleep(delay_ms * 1000);
		kill(parent, SIGSTOP);
		where = stopped_in_ioctl(parent);
		usleep(ms * 1000);
		kill(parent, SIGCONT);
		_exit(where);
	}
	return pid;
}

/*
 * Block SIGALRM in this thread while it starts others: they inherit the
 * mask, and SIGALRM can only interrupt the thread that waits.
 */
static void sigalrm_block(sigset_t *old)
{
	sigset_t alrm;

	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, old);
}

static void sigalrm_restore(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* Ended no earlier than @deadline (give or take rounding), and on time. */
#define EXPECT_ENDED_AT(end, deadline) do { \
	EXPECT_LE((deadline) - EARLY_NS, (end)) \
		TH_LOG("ended %lld ms before the deadline", \
		       (long long)((deadline) - (end)) / NSEC_PER_MSEC); \
	EXPECT_GE((deadline) + SLACK_NS, (end)) \
		TH_LOG("ended %lld ms after the deadline", \
		       (long long)((end) - (deadline)) / NSEC_PER_MSEC); \
} while (0)

/* ---- ZCDEV_IOC_DMA_WAIT ---- */

FIXTURE(dma) {
	int fd;
	struct zcdev_info info;
	struct zt_region src, dst;
	__u64 id;
	__u64 submitted_ns;
};

FIXTURE_SETUP(dma)
{
	self->fd = -1;
	zt_hold_restore();
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_DMA(&self->info);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_PAGES);
	ZT_SETUP_NEED_HOLD(self->fd);
	ASSERT_EQ(0, zt_region_init(self->fd, &self->src, ZCDEV_BUF_PAGES,
				    self->info.page_size, "src"));
	ASSERT_EQ(0, zt_region_init(self->fd, &self->dst, ZCDEV_BUF_PAGES,
				    self->info.page_size, "dst"));
	zt_region_fill(&self->src, SEED);
	zt_region_fill(&self->dst, SEED + 1);
}

FIXTURE_TEARDOWN(dma)
{
	ticker_stop();
	if (self->fd >= 0)
		close(self->fd);
	zt_region_fini(&self->dst);
	zt_region_fini(&self->src);
	zt_hold_restore();
}

/*
 * Copy src to dst with a latency of @latency_us before the copy starts
 * (the knob stays set until teardown: the engine reads it when the
 * descriptor starts, not when it is submitted).
 */
static int slow_submit(FIXTURE_DATA(dma) *self, unsigned long latency_us)
{
	int ret = zt_hold_set(latency_us);

	if (ret)
		return ret;
	self->submitted_ns = zt_now_ns();
	return zt_dma_submit1(self->fd, zt_region_ep(&self->src, 0),
			      zt_region_ep(&self->dst, 0), self->src.len, 0,
			      &self->id);
}

/* The transfer is neither reaped nor terminated: a poll finds it running. */
static void expect_running(struct __test_metadata *_metadata,
			   FIXTURE_DATA(dma) *self)
{
	struct zcdev_dma_wait w;

	EXPECT_EQ(-EAGAIN, zt_dma_wait(self->fd, self->id, 0, 0, &w));
	EXPECT_EQ(0U, w.status);
}

/* Let it finish: every byte copied, then reaped. */
static void expect_finishes(struct __test_metadata *_metadata,
			    FIXTURE_DATA(dma) *self)
{
	struct zcdev_dma_wait w;

	ASSERT_EQ(0, zt_dma_wait(self->fd, self->id, 0,
				 zt_deadline_in(ZT_HANG_NS), &w));
	EXPECT_EQ(ZT_DONE, w.status);
	EXPECT_EQ(0, w.error);
	EXPECT_EQ((__u64)self->src.len, w.bytes);
	zt_region_expect_copy(&self->dst, 0, &self->src, 0, self->src.len);
	ZT_EXPECT_REGION(&self->dst);
	EXPECT_EQ(-ENOENT, zt_dma_wait(self->fd, self->id, 0, 0, NULL));
}

/* The deadline passes: the transfer is terminated and reaped as TIMEDOUT. */
TEST_F(dma, deadline_ends_wait_on_time_under_restarting_signals)
{
	struct zcdev_dma_wait w;
	__u64 deadline, end;
	int ret;

	ASSERT_EQ(0, slow_submit(self, LONG_US));
	deadline = zt_deadline_in(WAIT_NS);
	ASSERT_EQ(0, ticker_start(SA_RESTART));
	ret = zt_dma_wait(self->fd, self->id, 0, deadline, &w);
	end = zt_now_ns();
	ticker_stop();
	ASSERT_EQ(0, ret) TH_LOG("wait: %s", strerror(-ret));
	EXPECT_ENDED_AT(end, deadline);
	EXPECT_LE(MIN_TICKS, ticks);
	EXPECT_EQ(ZT_TIMEDOUT, w.status);
	EXPECT_EQ(ETIMEDOUT, w.error);
	/* Terminated in its latency: not one byte copied; and reaped. */
	ZT_EXPECT_REGION(&self->dst);
	EXPECT_EQ(-ENOENT, zt_dma_wait(self->fd, self->id, 0, 0, NULL));
}

/* With NOTERM the deadline is ETIMEDOUT and the transfer runs on. */
TEST_F(dma, noterm_deadline_ends_wait_on_time_under_restarting_signals)
{
	struct zcdev_dma_wait w;
	__u64 deadline, end;
	int ret;

	ASSERT_EQ(0, slow_submit(self, LONG_US));
	deadline = zt_deadline_in(WAIT_NS);
	ASSERT_EQ(0, ticker_start(SA_RESTART));
	ret = zt_dma_wait(self->fd, self->id, ZCDEV_DMA_WAIT_NOTERM, deadline,
			  &w);
	end = zt_now_ns();
	ticker_stop();
	EXPECT_EQ(-ETIMEDOUT, ret) TH_LOG("wait: %s", strerror(-ret));
	EXPECT_ENDED_AT(end, deadline);
	EXPECT_LE(MIN_TICKS, ticks);
	expect_running(_metadata, self);
	expect_finishes(_metadata, self);
}

TEST_F(dma, signal_without_sa_restart_is_eintr_and_changes_nothing)
{
	__u64 start, end;
	int ret;

	ASSERT_EQ(0, slow_submit(self, LONG_US));
	start = zt_now_ns();
	ASSERT_EQ(0, ticker_start(0));
	ret = zt_dma_wait(self->fd, self->id, 0,
			  start + LONG_US * 1000ULL / 2, NULL);
	end = zt_now_ns();
	ticker_stop();
	EXPECT_EQ(-EINTR, ret) TH_LOG("wait: %s", strerror(-ret));
	EXPECT_LE(1, ticks);
	/* At the first tick, not at the deadline. */
	EXPECT_GE(start + TICK_US * 1000ULL + SLACK_NS, end)
		TH_LOG("EINTR after %llu ms",
		       (unsigned long long)(end - start) / NSEC_PER_MSEC);
	expect_running(_metadata, self);
	expect_finishes(_metadata, self);
}

/*
 * Deadline 0 looks once: EAGAIN while the transfer runs, with or without
 * NOTERM, for its id or for any; nothing is terminated or reaped.
 */
TEST_F(dma, deadline_zero_polls_without_terminating)
{
	const __u32 flags[] = { 0, ZCDEV_DMA_WAIT_NOTERM, ZCDEV_DMA_WAIT_ANY };
	struct zcdev_dma_wait w;
	unsigned int f;
	__u64 start;
	int ret;

	ASSERT_EQ(0, slow_submit(self, LONG_US));
	for (f = 0; f < ARRAY_SIZE(flags); f++) {
		start = zt_now_ns();
		ret = zt_dma_wait(self->fd, self->id, flags[f], 0, &w);
		EXPECT_EQ(-EAGAIN, ret) TH_LOG("flags 0x%x: %s", flags[f],
					       strerror(-ret));
		EXPECT_GT(start + SLACK_NS, zt_now_ns())
			TH_LOG("flags 0x%x: the poll waited", flags[f]);
	}
	expect_running(_metadata, self);
	expect_finishes(_metadata, self);
}

/*
 * A deadline that had passed before the call (as a restarted wait may
 * find it) ends the wait at once, as one passing during it would:
 * ETIMEDOUT with NOTERM or ANY, which leave the transfer running, else
 * TIMEDOUT, terminated and reaped.
 */
TEST_F(dma, passed_deadline_ends_wait_at_once)
{
	const __u64 past = zt_now_ns() - NSEC_PER_SEC;
	struct zcdev_dma_wait w;
	__u64 start;
	int ret;

	ASSERT_EQ(0, slow_submit(self, LONG_US));
	start = zt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, zt_dma_wait(self->fd, self->id,
					  ZCDEV_DMA_WAIT_NOTERM, past, &w));
	EXPECT_EQ(-ETIMEDOUT, zt_dma_wait(self->fd, 0, ZCDEV_DMA_WAIT_ANY, 1,
					  &w));
	expect_running(_metadata, self);
	ret = zt_dma_wait(self->fd, self->id, 0, 1, &w);
	ASSERT_EQ(0, ret) TH_LOG("wait: %s", strerror(-ret));
	EXPECT_GT(start + SLACK_NS, zt_now_ns());
	EXPECT_EQ(ZT_TIMEDOUT, w.status);
	EXPECT_EQ(ETIMEDOUT, w.error);
	ZT_EXPECT_REGION(&self->dst);
	EXPECT_EQ(-ENOENT, zt_dma_wait(self->fd, self->id, 0, 0, NULL));
}

TEST_F(dma, deadline_never_waits_through_restarting_signals)
{
	struct zcdev_dma_wait w;
	__u64 end;
	int ret;

	ASSERT_EQ(0, slow_submit(self, EVENT_MS * 1000UL));
	ASSERT_EQ(0, ticker_start(SA_RESTART));
	ret = zt_dma_wait(self->fd, self->id, 0, ZCDEV_DEADLINE_NEVER, &w);
	end = zt_now_ns();
	ticker_stop();
	ASSERT_EQ(0, ret) TH_LOG("wait: %s", strerror(-ret));
	EXPECT_EQ(ZT_DONE, w.status);
	EXPECT_EQ((__u64)self->src.len, w.bytes);
	EXPECT_LE(self->submitted_ns + EVENT_MS * NSEC_PER_MSEC - EARLY_NS,
		  end);
	EXPECT_LE(MIN_TICKS, ticks);
	zt_region_expect_copy(&self->dst, 0, &self->src, 0, self->src.len);
	ZT_EXPECT_REGION(&self->dst);
}

/*
 * Stopped for 100 ms mid-wait and continued: the call restarts and waits
 * for the same deadline (an -EINTR from the wait would show here).
 */
TEST_F(dma, stop_and_continue_do_not_end_the_wait)
{
	__u64 deadline, end;
	pid_t child;
	int ret;

	ASSERT_EQ(0, slow_submit(self, LONG_US));
	deadline = zt_deadline_in(2 * WAIT_NS);
	child = stop_and_continue_later(50, 100);
	ASSERT_LT(0, child);
	ret = zt_dma_wait(self->fd, self->id, ZCDEV_DMA_WAIT_NOTERM, deadline,
			  NULL);
	end = zt_now_ns();
	EXPECT_EQ(0, zt_wait(child))
		TH_LOG("the stop did not find this process in ioctl(2)");
	EXPECT_EQ(-ETIMEDOUT, ret) TH_LOG("wait: %s", strerror(-ret));
	EXPECT_ENDED_AT(end, deadline);
	expect_running(_metadata, self);
	expect_finishes(_metadata, self);
}

/* ---- ZCDEV_IOC_SEND_REAP ---- */

FIXTURE(reap) {
	struct zs_held h;
	struct zcdev_send held;	/* the send the stack holds */
	pthread_t opener;
	bool opener_running;
};

FIXTURE_SETUP(reap)
{
	zs_held_init(&self->h);
	ZS_SETUP_OPEN(&self->h.fd, &self->h.info);
	ASSERT_EQ(0, zs_held_setup(&self->h, HELD_LEN, SEED, HELD_LEN / 2));
}

FIXTURE_TEARDOWN(reap)
{
	ticker_stop();
	if (self->opener_running)
		pthread_join(self->opener, NULL);
	zs_held_teardown(&self->h);
}

/*
 * Make the send the stack holds until the gate opens, and start its
 * receiver (without SIGALRM). 0 or -errno.
 */
static int hold_a_send(FIXTURE_DATA(reap) *self)
{
	int ret = zs_held_send(&self->h, 0, HELD_LEN, 0x4e1d, &self->held);
	sigset_t old;

	if (ret)
		return ret;
	sigalrm_block(&old);
	ret = zs_held_start_rx(&self->h);
	sigalrm_restore(&old);
	return ret;
}

static void *open_gate_later(void *arg)
{
	FIXTURE_DATA(reap) *self = arg;

	usleep(EVENT_MS * 1000);
	zs_held_release(&self->h);
	return NULL;
}

/* Let the held send go; its completion, and only it, arrives. */
static void expect_held_completes(struct __test_metadata *_metadata,
				  FIXTURE_DATA(reap) *self)
{
	struct zcdev_send_completion c[2];
	struct zcdev_reap r;

	zs_held_release(&self->h);
	ASSERT_EQ(0, zs_reap(self->h.fd, c, 2,
			     zt_deadline_in(20 * NSEC_PER_SEC), &r));
	ASSERT_EQ(1U, r.nr);
	EXPECT_EQ(self->held.id, c[0].id);
	EXPECT_EQ(self->held.bytes, c[0].bytes);
	EXPECT_EQ(0x4e1dULL, c[0].user_data);
	EXPECT_EQ(0ULL, r.pending);
	zs_rx_join(&self->h.r);
	EXPECT_TRUE(zs_rx_ok(&self->h.r))
		TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&self->h.r));
}

/* Nothing in flight: the reap waits out its deadline and returns nr 0. */
TEST_F(reap, deadline_ends_wait_on_time_under_restarting_signals)
{
	struct zcdev_send_completion c[4];
	struct zcdev_reap r;
	__u64 deadline, end;
	int ret;

	deadline = zt_deadline_in(WAIT_NS);
	ASSERT_EQ(0, ticker_start(SA_RESTART));
	ret = zs_reap(self->h.fd, c, 4, deadline, &r);
	end = zt_now_ns();
	ticker_stop();
	ASSERT_EQ(0, ret) TH_LOG("reap: %s", strerror(-ret));
	EXPECT_EQ(0U, r.nr);
	EXPECT_EQ(0ULL, r.pending);
	EXPECT_ENDED_AT(end, deadline);
	EXPECT_LE(MIN_TICKS, ticks);
}

/* A send in flight: the interrupted reap takes nothing, loses nothing. */
TEST_F(reap, signal_without_sa_restart_is_eintr_and_keeps_completions)
{
	struct zcdev_send_completion c;
	struct zcdev_reap r;
	__u64 start, end;
	int ret;

	ASSERT_EQ(0, hold_a_send(self));
	start = zt_now_ns();
	ASSERT_EQ(0, ticker_start(0));
	ret = zs_reap(self->h.fd, &c, 1, start + NSEC_PER_SEC, &r);
	end = zt_now_ns();
	ticker_stop();
	EXPECT_EQ(-EINTR, ret) TH_LOG("reap: %s", strerror(-ret));
	EXPECT_LE(1, ticks);
	EXPECT_GE(start + TICK_US * 1000ULL + SLACK_NS, end)
		TH_LOG("EINTR after %llu ms",
		       (unsigned long long)(end - start) / NSEC_PER_MSEC);
	ASSERT_EQ(0, zs_reap(self->h.fd, &c, 1, 0, &r));
	EXPECT_EQ(0U, r.nr);
	EXPECT_EQ(1ULL, r.pending);
	expect_held_completes(_metadata, self);
}

/* 0, and any deadline already passed, returns at once with nr 0. */
TEST_F(reap, zero_or_passed_deadline_returns_at_once)
{
	const __u64 deadlines[] = { 0, 1, zt_now_ns() - NSEC_PER_SEC };
	struct zcdev_send_completion c;
	struct zcdev_reap r;
	unsigned int d, held;
	__u64 start;

	for (held = 0; held <= 1; held++) {
		if (held)
			ASSERT_EQ(0, hold_a_send(self));
		for (d = 0; d < ARRAY_SIZE(deadlines); d++) {
			start = zt_now_ns();
			ASSERT_EQ(0, zs_reap(self->h.fd, &c, 1, deadlines[d],
					     &r));
			EXPECT_GT(start + SLACK_NS, zt_now_ns())
				TH_LOG("deadline %llu",
				       (unsigned long long)deadlines[d]);
			EXPECT_EQ(0U, r.nr);
			EXPECT_EQ((__u64)held, r.pending);
		}
	}
	expect_held_completes(_metadata, self);
}

TEST_F(reap, deadline_never_waits_through_restarting_signals)
{
	struct zcdev_send_completion c[2];
	struct zcdev_reap r;
	__u64 start, end;
	sigset_t old;
	int ret;

	ASSERT_EQ(0, hold_a_send(self));
	start = zt_now_ns();
	sigalrm_block(&old);
	ret = pthread_create(&self->opener, NULL, open_gate_later, self);
	sigalrm_restore(&old);
	ASSERT_EQ(0, ret);
	self->opener_running = true;
	ASSERT_EQ(0, ticker_start(SA_RESTART));
	ret = zs_reap(self->h.fd, c, 2, ZCDEV_DEADLINE_NEVER, &r);
	end = zt_now_ns();
	ticker_stop();
	ASSERT_EQ(0, ret) TH_LOG("reap: %s", strerror(-ret));
	ASSERT_EQ(1U, r.nr);
	EXPECT_EQ(self->held.id, c[0].id);
	EXPECT_LE(start + EVENT_MS * NSEC_PER_MSEC - EARLY_NS, end);
	EXPECT_LE(MIN_TICKS, ticks);
	zs_rx_join(&self->h.r);
	EXPECT_TRUE(zs_rx_ok(&self->h.r))
		TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&self->h.r));
}

TEST_F(reap, stop_and_continue_do_not_end_the_wait)
{
	struct zcdev_send_completion c;
	struct zcdev_reap r;
	__u64 deadline, end;
	pid_t child;
	int ret;

	deadline = zt_deadline_in(2 * WAIT_NS);
	child = stop_and_continue_later(50, 100);
	ASSERT_LT(0, child);
	ret = zs_reap(self->h.fd, &c, 1, deadline, &r);
	end = zt_now_ns();
	EXPECT_EQ(0, zt_wait(child))
		TH_LOG("the stop did not find this process in ioctl(2)");
	ASSERT_EQ(0, ret) TH_LOG("reap: %s", strerror(-ret));
	EXPECT_EQ(0U, r.nr);
	EXPECT_ENDED_AT(end, deadline);
}

TEST_HARNESS_MAIN
