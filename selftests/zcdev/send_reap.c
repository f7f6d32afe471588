// SPDX-License-Identifier: GPL-2.0
/*
 * ZCDEV_IOC_SEND_REAP and poll(): how completions reach userspace.
 *
 *  - poll() reports POLLIN exactly while a completion waits to be reaped;
 *  - deadline_ns (absolute CLOCK_MONOTONIC): ZCDEV_DEADLINE_NEVER waits
 *    for a completion, any other waits until then at most and returns nr
 *    0 (polls, passed deadlines and signals are wait_signals.c's);
 *  - pending counts sends the stack still holds;
 *  - max_entries 0 is refused, and a bad entries_ptr is EFAULT without
 *    losing the completions it could not deliver (a later reap gets them;
 *    the flags and size rules every ioctl shares are ioctl_rules.c's);
 *  - completions belong to the file that sent.
 *
 * A send is kept in flight by a TCP receiver with a tiny window that does
 * not read until the test lets it (the "held" send, send_common.h).
 */
#include "send_common.h"

#define SEED		71
#define HELD_LEN	(1 << 20)
#define MS		NSEC_PER_MSEC

FIXTURE(reap) {
	struct zs_held h;
};

FIXTURE_SETUP(reap)
{
	zs_held_init(&self->h);
	ZS_SETUP_OPEN(&self->h.fd, &self->h.info);
	/* Room at the sender for most of a send of the whole buffer. */
	ASSERT_EQ(0, zs_held_setup(&self->h, HELD_LEN, SEED, HELD_LEN / 2));
}

FIXTURE_TEARDOWN(reap)
{
	zs_held_teardown(&self->h);
}

/*
 * One non-blocking send of the whole buffer that the stack must keep until
 * the receiver, started here, is let through its gate: 0 or -errno.
 */
static int send_held(FIXTURE_DATA(reap) *self)
{
	int ret = zs_held_send(&self->h, 0, HELD_LEN, 0x4e1d, NULL);

	return ret ? ret : zs_held_start_rx(&self->h);
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
	zs_held_release(&d->self->h);
	return NULL;
}

static __u64 pending_now(FIXTURE_DATA(reap) *self)
{
	return zs_pending_now(self->h.fd, &self->h.t);
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
	int ret = zs_send_track(&self->h.t, self->h.fd, sock,
				self->h.a.handle, 1, 100, 0, 1, NULL);

	if (ret)
		return ret;
	return (poll_in(self->h.fd, 10000) & POLLIN) ? 0 : -ETIMEDOUT;
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

	EXPECT_EQ(0, poll_in(self->h.fd, 0) & POLLIN);
	ASSERT_EQ(0, send_held(self));
	ASSERT_EQ(1ULL, pending_now(self));
	/* In flight is not "waiting to be reaped". */
	EXPECT_EQ(0, poll_in(self->h.fd, 200) & POLLIN);
	zs_held_release(&self->h);
	EXPECT_NE(0, poll_in(self->h.fd, 10000) & POLLIN);
	/* Still there until reaped. */
	EXPECT_NE(0, poll_in(self->h.fd, 0) & POLLIN);
	ASSERT_EQ(0, zs_reap(self->h.fd, c, 4, 0, &r));
	EXPECT_EQ(1U, r.nr);
	EXPECT_EQ(0ULL, r.pending);
	EXPECT_EQ(0, poll_in(self->h.fd, 0) & POLLIN);
	zs_rx_join(&self->h.r);
	EXPECT_TRUE(zs_rx_ok(&self->h.r))
		TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&self->h.r));
}

TEST_F(reap, deadline_passes_with_nr_zero)
{
	struct zcdev_send_completion c;
	struct zcdev_reap r;
	long long ms;
	__u64 start;

	ASSERT_EQ(0, send_held(self));
	start = zt_now_ns();
	ASSERT_EQ(0, zs_reap(self->h.fd, &c, 1, start + 300 * MS, &r));
	ms = zs_ms_since(start);
	EXPECT_EQ(0U, r.nr);
	EXPECT_EQ(1ULL, r.pending);
	/* A jiffy of rounding either way, and TCG is slow. */
	EXPECT_LE(280, ms);
	EXPECT_GT(5000, ms);
	/* Nothing in flight at all: the same. */
	zs_held_release(&self->h);
	zs_collect(&self->h.t, self->h.fd, 4, 20000);
	start = zt_now_ns();
	ASSERT_EQ(0, zs_reap(self->h.fd, &c, 1, start + 100 * MS, &r));
	ms = zs_ms_since(start);
	EXPECT_EQ(0U, r.nr);
	EXPECT_EQ(0ULL, r.pending);
	EXPECT_LE(80, ms);
	EXPECT_TRUE(zs_track_exact(&self->h.t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->h.t));
}

TEST_F(reap, deadline_returns_when_a_completion_arrives)
{
	struct delayed d = { .self = self, .ms = 200 };
	struct zcdev_send_completion c[2];
	struct zcdev_reap r;
	long long ms;
	__u64 start;

	ASSERT_EQ(0, send_held(self));
	start = zt_now_ns();
	ASSERT_EQ(0, pthread_create(&d.th, NULL, release_later, &d));
	ASSERT_EQ(0, zs_reap(self->h.fd, c, 2, start + 20000 * MS, &r));
	ms = zs_ms_since(start);
	pthread_join(d.th, NULL);
	EXPECT_EQ(1U, r.nr);
	EXPECT_EQ(0ULL, r.pending);
	EXPECT_EQ(self->h.t.sent[0].id, c[0].id);
	EXPECT_LE(150, ms);
	EXPECT_GT(15000, ms);
}

TEST_F(reap, deadline_never_waits_for_a_completion)
{
	struct delayed d = { .self = self, .ms = 300 };
	struct zcdev_send_completion c[2];
	struct zcdev_reap r;
	long long ms;
	__u64 start;

	ASSERT_EQ(0, send_held(self));
	start = zt_now_ns();
	ASSERT_EQ(0, pthread_create(&d.th, NULL, release_later, &d));
	ASSERT_EQ(0, zs_reap(self->h.fd, c, 2, ZCDEV_DEADLINE_NEVER, &r));
	ms = zs_ms_since(start);
	pthread_join(d.th, NULL);
	EXPECT_EQ(1U, r.nr);
	EXPECT_EQ(0ULL, r.pending);
	EXPECT_EQ(self->h.t.sent[0].id, c[0].id);
	EXPECT_EQ(self->h.t.sent[0].bytes, c[0].bytes);
	EXPECT_EQ(0x4e1dULL, c[0].user_data);
	EXPECT_LE(250, ms);
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
	zs_collect(&self->h.t, self->h.fd, 4, 500);
	EXPECT_TRUE(self->h.t.timed_out);
	EXPECT_EQ(1U, self->h.t.completions);
	EXPECT_EQ(1ULL, pending_now(self));
	zs_held_release(&self->h);
	self->h.t.timed_out = false;
	zs_collect(&self->h.t, self->h.fd, 4, 20000);
	EXPECT_EQ(0ULL, pending_now(self));
	EXPECT_TRUE(zs_track_exact(&self->h.t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->h.t));
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
		ASSERT_EQ(0, zs_send_track(&self->h.t, self->h.fd, qtx,
					   self->h.a.handle, i, 1, 0, i, NULL));
	/* Let them complete (loopback ACKs at once), reaping nothing. */
	ASSERT_NE(0, poll_in(self->h.fd, 10000) & POLLIN);
	usleep(500 * 1000);
	ASSERT_EQ(0, zs_reap(self->h.fd, c, 5000, 0, &r));
	EXPECT_LT(0U, r.nr);
	EXPECT_GE(600U, r.nr);
	for (i = 0; i < r.nr; i++)
		zs_track_note(&self->h.t, &c[i]);
	ZS_EXPECT_COMPLETIONS_EXACT(&self->h.t, self->h.fd, 5000, 10000);
	free(c);
	close(qtx);
	close(qrx);
}

TEST_F(reap, completions_belong_to_the_sending_file)
{
	struct zcdev_send_completion c;
	struct zcdev_reap r;
	int other = zt_open();
	static int qtx, qrx;

	ASSERT_LE(0, other);
	ASSERT_EQ(0, quick_pair(&qtx, &qrx));
	ASSERT_EQ(0, send_one_completed(self, qtx));
	EXPECT_EQ(0, poll_in(other, 0) & POLLIN);
	ASSERT_EQ(0, zs_reap(other, &c, 1, zt_deadline_in(100 * MS), &r));
	EXPECT_EQ(0U, r.nr);
	EXPECT_EQ(0ULL, r.pending);
	ZS_EXPECT_COMPLETIONS_EXACT(&self->h.t, self->h.fd, 4, 10000);
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

		if (zs_reap(r->fd, c, 16, zt_deadline_in(50 * MS), &rr)) {
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
		s->fd = self->h.fd;
		s->handle = self->h.a.handle;
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
		rp[i].fd = self->h.fd;
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
			ASSERT_EQ(0, zs_track_add(&self->h.t, &snd[i].done[j]));
		zs_rx_join(&snd[i].r);
		EXPECT_TRUE(zs_rx_ok(&snd[i].r))
			TH_LOG("sender %u: " ZS_RX_FMT, i,
			       ZS_RX_ARGS(&snd[i].r));
	}
	EXPECT_EQ((unsigned int)(NR_SENDERS * SENDS_EACH), self->h.t.nr);
	/* Each sender's ids increase; together they must be unique. */
	qsort(self->h.t.sent, self->h.t.nr, sizeof(self->h.t.sent[0]), cmp_id);
	EXPECT_EQ(0U, zs_track_ids_not_increasing(&self->h.t));
	for (i = 0; i < NR_REAPERS; i++) {
		EXPECT_EQ(0, rp[i].err);
		for (j = 0; j < rp[i].nr; j++)
			zs_track_note(&self->h.t, &rp[i].c[j]);
		TH_LOG("reaper %u took %u completions", i, rp[i].nr);
		free(rp[i].c);
	}
	/* Reapers interleave, so the order across them means nothing. */
	self->h.t.out_of_order = 0;
	EXPECT_TRUE(zs_track_exact(&self->h.t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->h.t));
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
	EXPECT_EQ(-EINVAL, zs_reap(self->h.fd, &c, 0, 0, &r));
	ZS_EXPECT_COMPLETIONS_EXACT(&self->h.t, self->h.fd, 4, 10000);
	close(qtx);
	close(qrx);
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
	struct zcdev_reap r = {
		.size = sizeof(r),
		.max_entries = n,
		.entry_size = sizeof(struct zcdev_send_completion),
	};
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
	ret = zt_ioctl(self->fd, ZCDEV_IOC_SEND_REAP, &r);
	EXPECT_EQ(-EFAULT, ret);
	/* Whatever the failed reap saw is still there. */
	ZS_EXPECT_COMPLETIONS_EXACT(&self->t, self->fd, 8, 10000);
}

TEST_HARNESS_MAIN
