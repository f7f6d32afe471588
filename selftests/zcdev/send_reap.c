// SPDX-License-Identifier: GPL-2.0
/*
 * ZCDEV_IOC_SEND_REAP and poll(): how completions reach userspace.
 *
 *  - poll() reports POLLIN exactly while a completion waits to be reaped;
 *  - timeout_ns 0 returns at once, negative waits for a completion (a
 *    signal ends the wait with EINTR), positive waits at most that long
 *    and then returns nr 0;
 *  - pending counts sends the stack still holds;
 *  - max_entries 0, unknown flags and bad sizes are refused, and a bad
 *    entries_ptr is EFAULT without losing the completions it could not
 *    deliver (a later reap gets them);
 *  - completions belong to the file that sent.
 *
 * A send is kept in flight by a TCP receiver with a tiny window that does
 * not read until the test lets it (the "held" send).
 */
#include "send_common.h"

#define SEED		71
#define HELD_LEN	(1 << 20)
#define MS		(1000LL * 1000)

FIXTURE(reap) {
	int fd;
	struct zcdev_info info;
	unsigned char *p;
	struct zcdev_alloc a;
	int tx, rx, gate[2];
	struct zs_seg seg;
	struct zs_rx r;
	struct zs_track t;
};

FIXTURE_SETUP(reap)
{
	self->fd = self->tx = self->rx = -1;
	self->gate[0] = self->gate[1] = -1;
	ZS_SETUP_OPEN(&self->fd, &self->info);
	self->p = zs_new_buf(self->fd, ZCDEV_BUF_PAGES, HELD_LEN, SEED,
			     &self->a);
	ASSERT_NE(NULL, self->p);
	/*
	 * A tiny receive window and a big send buffer: most of a big send is
	 * accepted and stays queued at the sender.
	 */
	ASSERT_EQ(0, zs_tcp_pair(AF_INET, &self->tx, &self->rx, 4096,
				 HELD_LEN / 2));
	ASSERT_EQ(0, pipe2(self->gate, O_CLOEXEC));
}

FIXTURE_TEARDOWN(reap)
{
	if (self->gate[1] >= 0)
		close(self->gate[1]);	/* a held receiver gives up */
	if (self->tx >= 0)
		close(self->tx);
	if (self->rx >= 0)
		shutdown(self->rx, SHUT_RDWR);
	zs_rx_join(&self->r);
	if (self->rx >= 0)
		close(self->rx);
	if (self->gate[0] >= 0)
		close(self->gate[0]);
	if (self->p)
		munmap(self->p, self->a.buf_len);
	zs_track_free(&self->t);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Start a receiver that waits for the gate, and make one non-blocking send
 * that the stack must keep until the receiver reads: 0 or -errno.
 */
static int send_held(FIXTURE_DATA(reap) *self)
{
	struct zcdev_send s;
	int ret;

	ret = zs_send_track(&self->t, self->fd, self->tx, self->a.handle, 0,
			    HELD_LEN, ZCDEV_SEND_DONTWAIT, 0x4e1d, &s);
	if (ret)
		return ret;
	self->seg.off = 0;
	self->seg.len = s.bytes;
	if (getenv("ZS_DEBUG"))
		fprintf(stderr, "# held send: %llu bytes\n",
			(unsigned long long)s.bytes);
	zs_rx_init(&self->r, self->rx, SEED, &self->seg, 1);
	self->r.gate = self->gate[0];
	return zs_rx_start(&self->r);
}

static void release_held(FIXTURE_DATA(reap) *self)
{
	if (write(self->gate[1], "g", 1) != 1)
		perror("gate");
}

/* Releases the held receiver after a delay, from another thread. */
struct delayed {
	FIXTURE_DATA(reap) *self;
	int ms;
	pthread_t th;
};

static void *release_later(void *arg)
{
	struct delayed *d = arg;

	usleep(d->ms * 1000);
	release_held(d->self);
	return NULL;
}

/* reap's pending now; a completion the reap takes goes to the tracker. */
static __u64 pending_now(FIXTURE_DATA(reap) *self)
{
	struct zcdev_send_completion c;
	struct zcdev_reap r;

	if (zs_reap(self->fd, &c, 1, 0, &r))
		return ~0ULL;
	if (r.nr)
		zs_track_note(&self->t, &c);
	return r.pending;
}

static short poll_in(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, ms) < 0)
		return -1;
	return pfd.revents;
}

/* Send a little over loopback and wait (poll) until its completion waits. */
static int send_one_completed(FIXTURE_DATA(reap) *self, int sock)
{
	int ret = zs_send_track(&self->t, self->fd, sock, self->a.handle, 1,
				100, 0, 1, NULL);

	if (ret)
		return ret;
	return (poll_in(self->fd, 10000) & POLLIN) ? 0 : -ETIMEDOUT;
}

/* A second loopback pair whose receiver just drains, for quick sends. */
static int quick_pair(int *tx, int *rx)
{
	return zs_tcp_pair(AF_INET, tx, rx, 0, 0);
}

TEST_F(reap, poll_reports_pollin_only_while_a_completion_waits)
{
	struct zcdev_send_completion c[4];
	struct zcdev_reap r;

	EXPECT_EQ(0, poll_in(self->fd, 0) & POLLIN);
	ASSERT_EQ(0, send_held(self));
	ASSERT_EQ(1ULL, pending_now(self));
	/* In flight is not "waiting to be reaped". */
	EXPECT_EQ(0, poll_in(self->fd, 200) & POLLIN);
	release_held(self);
	EXPECT_NE(0, poll_in(self->fd, 10000) & POLLIN);
	/* Still there until reaped. */
	EXPECT_NE(0, poll_in(self->fd, 0) & POLLIN);
	ASSERT_EQ(0, zs_reap(self->fd, c, 4, 0, &r));
	EXPECT_EQ(1U, r.nr);
	EXPECT_EQ(0ULL, r.pending);
	EXPECT_EQ(0, poll_in(self->fd, 0) & POLLIN);
	zs_rx_join(&self->r);
	EXPECT_TRUE(zs_rx_ok(&self->r)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&self->r));
}

TEST_F(reap, timeout_zero_returns_at_once)
{
	struct zcdev_send_completion c;
	struct zcdev_reap r;
	long long start;

	/* Nothing sent. */
	start = zs_now_ns();
	ASSERT_EQ(0, zs_reap(self->fd, &c, 1, 0, &r));
	EXPECT_EQ(0U, r.nr);
	EXPECT_EQ(0ULL, r.pending);
	/* A send in flight. */
	ASSERT_EQ(0, send_held(self));
	ASSERT_EQ(0, zs_reap(self->fd, &c, 1, 0, &r));
	EXPECT_EQ(0U, r.nr);
	EXPECT_EQ(1ULL, r.pending);
	EXPECT_GT(1000, zs_ms_since(start));
	release_held(self);
	zs_collect(&self->t, self->fd, 4, 20000);
	EXPECT_TRUE(zs_track_exact(&self->t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->t));
}

TEST_F(reap, positive_timeout_expires_with_nr_zero)
{
	struct zcdev_send_completion c;
	struct zcdev_reap r;
	long long start, ms;

	ASSERT_EQ(0, send_held(self));
	start = zs_now_ns();
	ASSERT_EQ(0, zs_reap(self->fd, &c, 1, 300 * MS, &r));
	ms = zs_ms_since(start);
	EXPECT_EQ(0U, r.nr);
	EXPECT_EQ(1ULL, r.pending);
	/* A jiffy of rounding either way, and TCG is slow. */
	EXPECT_LE(280, ms);
	EXPECT_GT(5000, ms);
	/* Nothing in flight at all: the same. */
	release_held(self);
	zs_collect(&self->t, self->fd, 4, 20000);
	start = zs_now_ns();
	ASSERT_EQ(0, zs_reap(self->fd, &c, 1, 100 * MS, &r));
	ms = zs_ms_since(start);
	EXPECT_EQ(0U, r.nr);
	EXPECT_EQ(0ULL, r.pending);
	EXPECT_LE(80, ms);
	EXPECT_TRUE(zs_track_exact(&self->t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->t));
}

TEST_F(reap, positive_timeout_returns_when_a_completion_arrives)
{
	struct delayed d = { .self = self, .ms = 200 };
	struct zcdev_send_completion c[2];
	struct zcdev_reap r;
	long long start, ms;

	ASSERT_EQ(0, send_held(self));
	start = zs_now_ns();
	ASSERT_EQ(0, pthread_create(&d.th, NULL, release_later, &d));
	ASSERT_EQ(0, zs_reap(self->fd, c, 2, 20000 * MS, &r));
	ms = zs_ms_since(start);
	pthread_join(d.th, NULL);
	EXPECT_EQ(1U, r.nr);
	EXPECT_EQ(0ULL, r.pending);
	EXPECT_EQ(self->t.sent[0].id, c[0].id);
	EXPECT_LE(150, ms);
	EXPECT_GT(15000, ms);
}

TEST_F(reap, negative_timeout_waits_for_a_completion)
{
	struct delayed d = { .self = self, .ms = 300 };
	struct zcdev_send_completion c[2];
	struct zcdev_reap r;
	long long start, ms;

	ASSERT_EQ(0, send_held(self));
	start = zs_now_ns();
	ASSERT_EQ(0, pthread_create(&d.th, NULL, release_later, &d));
	ASSERT_EQ(0, zs_reap(self->fd, c, 2, -1, &r));
	ms = zs_ms_since(start);
	pthread_join(d.th, NULL);
	EXPECT_EQ(1U, r.nr);
	EXPECT_EQ(0ULL, r.pending);
	EXPECT_EQ(self->t.sent[0].id, c[0].id);
	EXPECT_EQ(self->t.sent[0].bytes, c[0].bytes);
	EXPECT_EQ(0x4e1dULL, c[0].user_data);
	EXPECT_LE(250, ms);
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST_F(reap, signal_ends_a_blocking_reap_with_eintr)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct itimerval it = { .it_value.tv_usec = 200 * 1000 };
	struct zcdev_send_completion c;
	struct zcdev_reap r;
	long long start;
	int ret;

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, send_held(self));
	start = zs_now_ns();
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	ret = zs_reap(self->fd, &c, 1, -1, &r);
	EXPECT_EQ(-EINTR, ret);
	EXPECT_LE(150, zs_ms_since(start));
	/* The interrupted reap took nothing. */
	release_held(self);
	zs_collect(&self->t, self->fd, 4, 20000);
	EXPECT_TRUE(zs_track_exact(&self->t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->t));
}

TEST_F(reap, pending_counts_sends_in_flight)
{
	static int qtx, qrx;

	ASSERT_EQ(0, quick_pair(&qtx, &qrx));
	EXPECT_EQ(0ULL, pending_now(self));
	ASSERT_EQ(0, send_held(self));
	EXPECT_EQ(1ULL, pending_now(self));
	/* A completed send does not count, the held one still does. */
	ASSERT_EQ(0, send_one_completed(self, qtx));
	zs_collect(&self->t, self->fd, 4, 500);
	EXPECT_TRUE(self->t.timed_out);
	EXPECT_EQ(1U, self->t.completions);
	EXPECT_EQ(1ULL, pending_now(self));
	release_held(self);
	self->t.timed_out = false;
	zs_collect(&self->t, self->fd, 4, 20000);
	EXPECT_EQ(0ULL, pending_now(self));
	EXPECT_TRUE(zs_track_exact(&self->t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->t));
	close(qtx);
	close(qrx);
}

/* More completions than one reap returns: all of them, each once. */
TEST_F(reap, large_max_entries_collects_everything)
{
	struct zcdev_send_completion *c = calloc(5000, sizeof(*c));
	struct zcdev_reap r;
	unsigned int i;
	static int qtx, qrx;

	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, quick_pair(&qtx, &qrx));
	/* Room for everything in the receiver: it never reads. */
	for (i = 0; i < 600; i++)
		ASSERT_EQ(0, zs_send_track(&self->t, self->fd, qtx,
					   self->a.handle, i, 1, 0, i, NULL));
	/* Let them complete (loopback ACKs at once), reaping nothing. */
	ASSERT_NE(0, poll_in(self->fd, 10000) & POLLIN);
	usleep(500 * 1000);
	ASSERT_EQ(0, zs_reap(self->fd, c, 5000, 0, &r));
	EXPECT_LT(0U, r.nr);
	EXPECT_GE(600U, r.nr);
	for (i = 0; i < r.nr; i++)
		zs_track_note(&self->t, &c[i]);
	zs_collect(&self->t, self->fd, 5000, 10000);
	EXPECT_TRUE(zs_track_exact(&self->t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->t));
	free(c);
	close(qtx);
	close(qrx);
}

TEST_F(reap, completions_belong_to_the_sending_file)
{
	struct zcdev_send_completion c;
	struct zcdev_reap r;
	int other = zc_open();
	static int qtx, qrx;

	ASSERT_LE(0, other);
	ASSERT_EQ(0, quick_pair(&qtx, &qrx));
	ASSERT_EQ(0, send_one_completed(self, qtx));
	EXPECT_EQ(0, poll_in(other, 0) & POLLIN);
	ASSERT_EQ(0, zs_reap(other, &c, 1, 100 * MS, &r));
	EXPECT_EQ(0U, r.nr);
	EXPECT_EQ(0ULL, r.pending);
	zs_collect(&self->t, self->fd, 4, 10000);
	EXPECT_TRUE(zs_track_exact(&self->t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->t));
	close(other);
	close(qtx);
	close(qrx);
}

/* ---- concurrency ---- */

#define NR_SENDERS	4
#define NR_REAPERS	2
#define SENDS_EACH	150

struct sender {
	int fd;
	__u32 handle;
	int tx, rx;
	unsigned int idx;
	struct zs_seg segs[SENDS_EACH];
	struct zcdev_send done[SENDS_EACH];
	unsigned int nr;
	int err;
	struct zs_rx r;
	pthread_t th;
};

struct reaper {
	int fd;
	bool *senders_done;	/* read with __atomic_load_n */
	struct zcdev_send_completion *c;
	unsigned int nr, cap;
	int err;
	pthread_t th;
};

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	unsigned int i;

	for (i = 0; i < SENDS_EACH; i++) {
		if (zs_send(s->fd, s->tx, s->handle, s->segs[i].off,
			    s->segs[i].len, 0, (__u64)s->idx << 32 | i,
			    &s->done[i])) {
			s->err = errno;
			break;
		}
		s->nr++;
	}
	return NULL;
}

static void *reaper_main(void *arg)
{
	struct reaper *r = arg;
	struct zcdev_send_completion c[16];
	struct zcdev_reap rr;
	unsigned int i;

	for (;;) {
		bool last = __atomic_load_n(r->senders_done, __ATOMIC_ACQUIRE);

		if (zs_reap(r->fd, c, 16, 50 * MS, &rr)) {
			r->err = errno;
			break;
		}
		for (i = 0; i < rr.nr && r->nr < r->cap; i++)
			r->c[r->nr++] = c[i];
		if (last && !rr.nr && !rr.pending)
			break;
	}
	return NULL;
}

static int cmp_id(const void *a, const void *b)
{
	const struct zs_sent *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Senders on several sockets and reapers on one file at the same time:
 * every send still gets one completion, reaped by exactly one reaper, with
 * its own bytes and user_data; ids are unique.
 */
TEST_F_TIMEOUT(reap, concurrent_senders_and_reapers, 120)
{
	static struct sender snd[NR_SENDERS];
	static struct reaper rp[NR_REAPERS];
	static bool senders_done;
	unsigned int i, j;

	senders_done = false;
	for (i = 0; i < NR_SENDERS; i++) {
		struct sender *s = &snd[i];

		memset(s, 0, sizeof(*s));
		s->fd = self->fd;
		s->handle = self->a.handle;
		s->idx = i;
		ASSERT_EQ(0, zs_tcp_pair(AF_INET, &s->tx, &s->rx, 0, 0));
		for (j = 0; j < SENDS_EACH; j++) {
			s->segs[j].off = (i * 7919 + j * 4099) % (HELD_LEN / 2);
			s->segs[j].len = 1 + (i * 31 + j * 977) % 20000;
		}
		zs_rx_init(&s->r, s->rx, SEED, s->segs, SENDS_EACH);
		ASSERT_EQ(0, zs_rx_start(&s->r));
	}
	for (i = 0; i < NR_REAPERS; i++) {
		memset(&rp[i], 0, sizeof(rp[i]));
		rp[i].fd = self->fd;
		rp[i].senders_done = &senders_done;
		rp[i].cap = NR_SENDERS * SENDS_EACH + 16;
		rp[i].c = calloc(rp[i].cap, sizeof(*rp[i].c));
		ASSERT_NE(NULL, rp[i].c);
		ASSERT_EQ(0, pthread_create(&rp[i].th, NULL, reaper_main,
					    &rp[i]));
	}
	for (i = 0; i < NR_SENDERS; i++)
		ASSERT_EQ(0, pthread_create(&snd[i].th, NULL, sender_main,
					    &snd[i]));
	for (i = 0; i < NR_SENDERS; i++)
		pthread_join(snd[i].th, NULL);
	__atomic_store_n(&senders_done, true, __ATOMIC_RELEASE);
	for (i = 0; i < NR_REAPERS; i++)
		pthread_join(rp[i].th, NULL);

	for (i = 0; i < NR_SENDERS; i++) {
		EXPECT_EQ(0, snd[i].err) TH_LOG("sender %u: %s", i,
						strerror(snd[i].err));
		for (j = 0; j < snd[i].nr; j++)
			ASSERT_EQ(0, zs_track_add(&self->t, &snd[i].done[j]));
		zs_rx_join(&snd[i].r);
		EXPECT_TRUE(zs_rx_ok(&snd[i].r))
			TH_LOG("sender %u: " ZS_RX_FMT, i,
			       ZS_RX_ARGS(&snd[i].r));
	}
	EXPECT_EQ((unsigned int)(NR_SENDERS * SENDS_EACH), self->t.nr);
	/* Each sender's ids increase; together they must be unique. */
	qsort(self->t.sent, self->t.nr, sizeof(self->t.sent[0]), cmp_id);
	EXPECT_EQ(0U, zs_track_ids_not_increasing(&self->t));
	for (i = 0; i < NR_REAPERS; i++) {
		EXPECT_EQ(0, rp[i].err);
		for (j = 0; j < rp[i].nr; j++)
			zs_track_note(&self->t, &rp[i].c[j]);
		TH_LOG("reaper %u took %u completions", i, rp[i].nr);
		free(rp[i].c);
	}
	/* Reapers interleave, so the order across them means nothing. */
	self->t.out_of_order = 0;
	EXPECT_TRUE(zs_track_exact(&self->t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->t));
	for (i = 0; i < NR_SENDERS; i++) {
		close(snd[i].tx);
		close(snd[i].rx);
	}
}

/* ---- argument checks ---- */

TEST_F(reap, max_entries_zero_is_einval_and_takes_nothing)
{
	struct zcdev_send_completion c;
	struct zcdev_reap r;
	static int qtx, qrx;

	ASSERT_EQ(0, quick_pair(&qtx, &qrx));
	ASSERT_EQ(0, send_one_completed(self, qtx));
	EXPECT_EQ(-EINVAL, zs_reap(self->fd, &c, 0, 0, &r));
	zs_collect(&self->t, self->fd, 4, 10000);
	EXPECT_TRUE(zs_track_exact(&self->t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->t));
	close(qtx);
	close(qrx);
}

TEST_F(reap, unknown_flags_are_einval)
{
	struct zcdev_send_completion c;
	struct zcdev_reap r = {
		.size = sizeof(r),
		.entries_ptr = (__u64)(uintptr_t)&c,
		.max_entries = 1,
	};
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		r.flags = 1U << bit;
		EXPECT_EQ(-EINVAL, zc_ioctl(self->fd, ZCDEV_IOC_SEND_REAP, &r))
			TH_LOG("flag bit %u", bit);
	}
}

TEST_F(reap, struct_size_rules)
{
	struct {
		struct zcdev_reap r;
		__u64 tail;
	} big;
	struct zcdev_send_completion c;
	struct zcdev_reap r = {
		.entries_ptr = (__u64)(uintptr_t)&c,
		.max_entries = 1,
	};

	r.size = ZCDEV_REAP_SIZE_VER0 - 8;
	EXPECT_EQ(-EINVAL, zc_ioctl(self->fd, ZCDEV_IOC_SEND_REAP, &r));
	r.size = 0;
	EXPECT_EQ(-EINVAL, zc_ioctl(self->fd, ZCDEV_IOC_SEND_REAP, &r));
	memset(&big, 0, sizeof(big));
	big.r = r;
	big.r.size = sizeof(big);
	big.tail = 1;
	EXPECT_EQ(-E2BIG, zc_ioctl(self->fd, ZCDEV_IOC_SEND_REAP, &big));
	big.tail = 0;
	big.r.pending = 77;
	EXPECT_EQ(0, zc_ioctl(self->fd, ZCDEV_IOC_SEND_REAP, &big));
	EXPECT_EQ(0U, big.r.nr);
	EXPECT_EQ(0ULL, big.r.pending);
	EXPECT_EQ(0ULL, big.tail);
}

/* ---- bad entries_ptr: EFAULT, and the completions stay ---- */

FIXTURE(badptr) {
	int fd;
	struct zcdev_info info;
	unsigned char *p;
	struct zcdev_alloc a;
	int tx, rx;
	void *area;		/* page 0 read-only, page 1 unmapped */
	size_t page;
	struct zs_track t;
};

FIXTURE_VARIANT(badptr) {
	const char *what;
};

FIXTURE_VARIANT_ADD(badptr, null) {
	.what = "null",
};

FIXTURE_VARIANT_ADD(badptr, unmapped) {
	.what = "unmapped",
};

FIXTURE_VARIANT_ADD(badptr, read_only) {
	.what = "read_only",
};

FIXTURE_VARIANT_ADD(badptr, kernel_address) {
	.what = "kernel",
};

FIXTURE_VARIANT_ADD(badptr, straddles_unmapped_page) {
	.what = "straddle",
};

FIXTURE_SETUP(badptr)
{
	self->fd = self->tx = self->rx = -1;
	self->area = MAP_FAILED;
	ZS_SETUP_OPEN(&self->fd, &self->info);
	self->page = self->info.page_size;
	self->p = zs_new_buf(self->fd, ZCDEV_BUF_PAGES, 4096, SEED, &self->a);
	ASSERT_NE(NULL, self->p);
	ASSERT_EQ(0, zs_tcp_pair(AF_INET, &self->tx, &self->rx, 0, 0));
	self->area = mmap(NULL, 2 * self->page, PROT_READ,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->area);
	ASSERT_EQ(0, munmap((char *)self->area + self->page, self->page));
}

FIXTURE_TEARDOWN(badptr)
{
	if (self->area != MAP_FAILED)
		munmap(self->area, self->page);
	zs_track_free(&self->t);
	if (self->tx >= 0)
		close(self->tx);
	if (self->rx >= 0)
		close(self->rx);
	if (self->p)
		munmap(self->p, self->a.buf_len);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(badptr, efault_keeps_the_completions)
{
	const unsigned int n = 3;
	struct zcdev_reap r = { .size = sizeof(r), .max_entries = n };
	unsigned int i;
	int ret;

	if (!strcmp(variant->what, "null"))
		r.entries_ptr = 0;
	else if (!strcmp(variant->what, "unmapped"))
		r.entries_ptr = (uintptr_t)self->area + self->page;
	else if (!strcmp(variant->what, "read_only"))
		r.entries_ptr = (uintptr_t)self->area;
	else if (!strcmp(variant->what, "kernel"))
		r.entries_ptr = 0xffffffff81000000ULL;
	else	/* the first entry fits, the next ones do not */
		r.entries_ptr = (uintptr_t)self->area + self->page -
				sizeof(struct zcdev_send_completion);
	if (!strcmp(variant->what, "straddle")) {
		/* Make the first entry writable: the bad part is after it. */
		ASSERT_EQ(0, mprotect(self->area, self->page,
				      PROT_READ | PROT_WRITE));
	}

	for (i = 0; i < n; i++)
		ASSERT_EQ(0, zs_send_track(&self->t, self->fd, self->tx,
					   self->a.handle, i, 10, 0, 100 + i,
					   NULL));
	/* Let them complete (loopback ACKs at once), reaping nothing. */
	ASSERT_NE(0, poll_in(self->fd, 10000) & POLLIN);
	usleep(300 * 1000);
	ret = zc_ioctl(self->fd, ZCDEV_IOC_SEND_REAP, &r);
	EXPECT_EQ(-EFAULT, ret);
	/* Whatever the failed reap saw is still there. */
	zs_collect(&self->t, self->fd, 8, 10000);
	EXPECT_TRUE(zs_track_exact(&self->t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->t));
}

TEST_HARNESS_MAIN
