// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev DMA when the engine is slow or fails: timeouts, cancellation,
 * engine errors and bandwidth, driven by the knobs of the software engine
 * zcdma (latency_us, bandwidth_mbps, fail_every in
 * /sys/module/zcdma/parameters/). The knobs are saved and restored
 * (dma_test.h); without zcdma, or with another engine, every test SKIPs.
 *
 * Transfers use "slots": transfer i copies SLOT_LEN bytes from source
 * offset i * SLOT to destination offset i * SLOT + 3, so each has its own
 * bytes and guards, and whole-region checks see any stray write.
 *
 * Polls (deadline 0), deadlines that passed before the call, and signals
 * during a wait are wait_signals.c's.
 */
#include "dma_test.h"

#define REGION		(1 * MiB)
#define SLOT		(16 * KiB)
#define SLOT_LEN	(SLOT - 16)
#define NR_SLOTS	(REGION / SLOT)

#define MS		NSEC_PER_MSEC

FIXTURE(eng) {
	int fd;
	struct zcdev_info info;
	size_t page;
	struct zt_region src, dst;	/* coherent if possible */
	struct zcdev_dma_stats st0;	/* STATS at the start */
};

FIXTURE_SETUP(eng)
{
	__u32 kind;

	self->fd = -1;
	zt_knobs_restore();
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_DMA(&self->info);
	ZT_SETUP_NEED_KNOBS(self->fd);
	self->page = self->info.page_size;
	kind = (self->info.features & ZCDEV_FEAT_COHERENT) ?
	       ZCDEV_BUF_COHERENT : ZCDEV_BUF_PAGES;
	ASSERT_EQ(0, zt_region_init(self->fd, &self->src, kind, REGION,
				    "src"));
	ASSERT_EQ(0, zt_region_init(self->fd, &self->dst, kind, REGION,
				    "dst"));
	zt_region_fill(&self->src, 0x5eed2001);
	zt_region_fill(&self->dst, 0x5eed2002);
	ASSERT_EQ(0, zt_dma_stats(self->fd, &self->st0));
}

FIXTURE_TEARDOWN(eng)
{
	/* Fast engine first, so whatever is left ends at once. */
	zt_knobs_restore();
	zt_region_fini(&self->dst);
	zt_region_fini(&self->src);
	if (self->fd >= 0)
		close(self->fd);
}

static int submit_slot(FIXTURE_DATA(eng) *self, unsigned int i, __u64 *id)
{
	return zt_dma_submit1(self->fd, zt_region_ep(&self->src, i * SLOT),
			      zt_region_ep(&self->dst, i * SLOT + 3), SLOT_LEN,
			      i, id);
}

/* Slot @i ended DONE: its bytes must be there. */
static void slot_copied(FIXTURE_DATA(eng) *self, unsigned int i)
{
	zt_region_expect_copy(&self->dst, i * SLOT + 3, &self->src, i * SLOT,
			      SLOT_LEN);
}

/* Slot @i may hold anything (an engine that failed part way). */
static void slot_undefined(FIXTURE_DATA(eng) *self, unsigned int i)
{
	zt_region_accept(&self->dst, i * SLOT + 3, SLOT_LEN);
}

static void set_knob(struct __test_metadata *_metadata, enum zt_knob k,
		     unsigned long v)
{
	ASSERT_EQ(0, zt_knob_set(k, v)) TH_LOG("set %s to %lu",
					       zt_knob_names[k], v);
}

/* STATS now minus at the start, field by field. */
#define STATS_DELTA(self, field) ({ \
	struct zcdev_dma_stats __st; \
	zt_dma_stats((self)->fd, &__st) ? ~0ULL : \
		__st.field - (self)->st0.field; \
})

/* ---- engine errors ---- */

#define FAIL_EVERY	3
#define NR_FAIL		12

/*
 * Every FAIL_EVERYth descriptor fails; a coherent-to-coherent slot is one
 * descriptor, so exactly NR_FAIL / FAIL_EVERY transfers fail, with EIO.
 */
TEST_F(eng, fail_every_ends_every_nth_transfer_error_eio)
{
	struct zcdev_dma_wait w;
	unsigned int i, errors = 0;
	__u64 ids[NR_FAIL];

	if (self->src.kind != ZCDEV_BUF_COHERENT)
		SKIP(return, "needs coherent buffers (one descriptor each)");
	set_knob(_metadata, ZT_FAIL_EVERY, FAIL_EVERY);
	for (i = 0; i < NR_FAIL; i++)
		ASSERT_EQ(0, submit_slot(self, i, &ids[i]));
	for (i = 0; i < NR_FAIL; i++) {
		ASSERT_EQ(0, zt_dma_wait(self->fd, ids[i], 0,
					 zt_deadline_in(ZT_HANG_NS), &w))
			TH_LOG("transfer %u", i);
		EXPECT_EQ((__u64)i, w.user_data);
		if (w.status == ZT_ERROR) {
			errors++;
			EXPECT_EQ(EIO, w.error);
			EXPECT_GT((__u64)SLOT_LEN, w.bytes);
			slot_undefined(self, i);
		} else {
			EXPECT_EQ(ZT_DONE, w.status) TH_LOG("transfer %u", i);
			EXPECT_EQ(0, w.error);
			EXPECT_EQ((__u64)SLOT_LEN, w.bytes);
			slot_copied(self, i);
		}
	}
	EXPECT_EQ((unsigned int)(NR_FAIL / FAIL_EVERY), errors);
	ZT_EXPECT_REGION(&self->dst);
	ZT_EXPECT_REGION(&self->src);
}

TEST_F(eng, engine_errors_move_stats_errors)
{
	struct zcdev_dma_wait w;
	unsigned int i, errors = 0;
	__u64 ids[NR_FAIL];

	set_knob(_metadata, ZT_FAIL_EVERY, FAIL_EVERY);
	for (i = 0; i < NR_FAIL; i++)
		ASSERT_EQ(0, submit_slot(self, i, &ids[i]));
	for (i = 0; i < NR_FAIL; i++) {
		ASSERT_EQ(0, zt_dma_wait(self->fd, ids[i], 0,
					 zt_deadline_in(ZT_HANG_NS), &w));
		errors += w.status == ZT_ERROR;
	}
	EXPECT_LT(0U, errors);
	EXPECT_EQ((__u64)errors, STATS_DELTA(self, errors));
	EXPECT_EQ((__u64)NR_FAIL, STATS_DELTA(self, transfers));
	EXPECT_EQ(0ULL, STATS_DELTA(self, timeouts));
	EXPECT_EQ(0ULL, STATS_DELTA(self, cancels));
	EXPECT_EQ(0ULL, STATS_DELTA(self, in_flight));
}

/*
 * Transfers of several descriptors (pages buffer to unaligned user
 * memory): a failure part way ends that transfer ERROR and restarts the
 * others, which still end DONE with every byte right. Never a hang.
 */
TEST_F(eng, fail_every_multi_descriptor_transfers_end_error_or_done)
{
	struct zt_region ps, ud;
	struct zcdev_dma_wait w;
	const size_t len = 4 * self->page;
	unsigned int i, errors = 0, n = 12;
	__u64 ids[12];

	ASSERT_EQ(0, zt_region_init(self->fd, &ps, ZCDEV_BUF_PAGES,
				    n * 5 * self->page, "pages src"));
	ASSERT_EQ(0, zt_region_init(self->fd, &ud, ZT_KIND_USER,
				    n * 5 * self->page, "user dst"));
	zt_region_fill(&ps, 0x5eed2003);
	zt_region_fill(&ud, 0x5eed2004);
	set_knob(_metadata, ZT_FAIL_EVERY, 11);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, zt_dma_submit1(self->fd,
					    zt_region_ep(&ps, i * 5 * self->page),
					    zt_region_ep(&ud, i * 5 * self->page + 1),
					    len, i, &ids[i]));
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, zt_dma_wait(self->fd, ids[i], 0,
					 zt_deadline_in(ZT_HANG_NS), &w))
			TH_LOG("transfer %u", i);
		if (w.status == ZT_ERROR) {
			errors++;
			EXPECT_EQ(EIO, w.error);
			EXPECT_GT((__u64)len, w.bytes);
			zt_region_accept(&ud, i * 5 * self->page + 1, len);
		} else {
			EXPECT_EQ(ZT_DONE, w.status) TH_LOG("transfer %u", i);
			EXPECT_EQ((__u64)len, w.bytes);
			zt_region_expect_copy(&ud, i * 5 * self->page + 1, &ps,
					      i * 5 * self->page, len);
		}
	}
	TH_LOG("%u of %u transfers failed", errors, n);
	/* At least 4 descriptors each, 48 or more: some fail. */
	EXPECT_LT(0U, errors);
	EXPECT_EQ((__u64)errors, STATS_DELTA(self, errors));
	EXPECT_EQ(0ULL, STATS_DELTA(self, in_flight));
	ZT_EXPECT_REGION(&ud);
	ZT_EXPECT_REGION(&ps);
	zt_region_fini(&ud);
	zt_region_fini(&ps);
}

/* ---- latency and bandwidth ---- */

TEST_F(eng, latency_is_inside_engine_ns)
{
	struct zcdev_dma_wait w;
	__u64 id, t0, took;

	set_knob(_metadata, ZT_LATENCY_US, 100 * 1000);
	t0 = zt_now_ns();
	ASSERT_EQ(0, submit_slot(self, 0, &id));
	ASSERT_EQ(0, zt_dma_wait(self->fd, id, 0,
				 zt_deadline_in(ZT_HANG_NS), &w));
	took = zt_now_ns() - t0;
	EXPECT_EQ(ZT_DONE, w.status);
	EXPECT_LE(100 * MS, (long long)w.engine_ns);
	EXPECT_LE(100 * MS, (long long)took);
	EXPECT_GE(took, w.engine_ns);
	slot_copied(self, 0);
	ZT_EXPECT_REGION(&self->dst);
}

/* engine_ns starts when a transfer reaches the head of the queue. */
TEST_F(eng, engine_ns_counts_from_head_of_queue)
{
	const long long lat = 200 * MS;
	struct zcdev_dma_wait w;
	__u64 ids[5], t0, took;
	unsigned int i;

	if (self->src.kind != ZCDEV_BUF_COHERENT)
		SKIP(return, "needs coherent buffers (one descriptor each)");
	set_knob(_metadata, ZT_LATENCY_US, lat / 1000);
	t0 = zt_now_ns();
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, submit_slot(self, i, &ids[i]));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, zt_dma_wait(self->fd, ids[i], 0,
					 zt_deadline_in(ZT_HANG_NS), &w));
		EXPECT_EQ(ZT_DONE, w.status);
		EXPECT_LE(lat * 9 / 10, (long long)w.engine_ns)
			TH_LOG("transfer %u: %llu ns", i,
			       (unsigned long long)w.engine_ns);
		/* Not the time spent queued behind the ones before. */
		EXPECT_GT(lat * 3, (long long)w.engine_ns)
			TH_LOG("transfer %u: %llu ns", i,
			       (unsigned long long)w.engine_ns);
		slot_copied(self, i);
	}
	took = zt_now_ns() - t0;
	EXPECT_LE(5 * lat, (long long)took);
	ZT_EXPECT_REGION(&self->dst);
}

TEST_F(eng, bandwidth_cap_slows_a_4mib_transfer)
{
	const unsigned long mbps = 20;
	const size_t len = 4 * MiB;
	struct zt_region a, b;
	struct zcdev_dma_wait w;
	__u64 id, t0, took, want;

	ASSERT_EQ(0, zt_region_init(self->fd, &a, ZCDEV_BUF_PAGES, len,
				    "4 MiB src"));
	ASSERT_EQ(0, zt_region_init(self->fd, &b, ZCDEV_BUF_PAGES, len,
				    "4 MiB dst"));
	zt_region_fill(&a, 0x5eed2005);
	zt_region_fill(&b, 0x5eed2006);
	set_knob(_metadata, ZT_BANDWIDTH_MBPS, mbps);
	want = (__u64)len * 1000 / mbps;	/* ns: 1 MB/s is 1 byte/us */
	t0 = zt_now_ns();
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&a, 0),
				    zt_region_ep(&b, 0), len, 0, &id));
	ASSERT_EQ(0, zt_dma_wait(self->fd, id, 0,
				 zt_deadline_in(ZT_HANG_NS), &w));
	took = zt_now_ns() - t0;
	EXPECT_EQ(ZT_DONE, w.status);
	EXPECT_EQ((__u64)len, w.bytes);
	TH_LOG("4 MiB at %lu MB/s: engine %llu ms, wall %llu ms, expected %llu ms",
	       mbps, (unsigned long long)(w.engine_ns / MS),
	       (unsigned long long)(took / MS), (unsigned long long)(want / MS));
	EXPECT_LE(want / 2, w.engine_ns);
	EXPECT_LE(want / 2, took);
	zt_region_expect_copy(&b, 0, &a, 0, len);
	ZT_EXPECT_REGION(&b);
	zt_region_fini(&b);
	zt_region_fini(&a);
}

/* ---- timeouts ---- */

TEST_F(eng, wait_deadline_ends_transfer_timedout_etimedout)
{
	struct zcdev_dma_wait w;
	__u64 id, t0, took;

	set_knob(_metadata, ZT_LATENCY_US, 5000 * 1000);
	ASSERT_EQ(0, submit_slot(self, 0, &id));
	t0 = zt_now_ns();
	ASSERT_EQ(0, zt_dma_wait(self->fd, id, 0, t0 + 100 * MS, &w));
	took = zt_now_ns() - t0;
	EXPECT_EQ(id, w.id);
	EXPECT_EQ(ZT_TIMEDOUT, w.status);
	EXPECT_EQ(ETIMEDOUT, w.error);
	EXPECT_GT((__u64)SLOT_LEN, w.bytes);
	EXPECT_EQ(0ULL, w.user_data);
	/* Jiffies: a wait may end up to a tick early. */
	EXPECT_LE(80 * MS, (long long)took);
	EXPECT_GT(2500 * MS, (long long)took)
		TH_LOG("the wait outlived its deadline");
	/* Reaped: the id is gone. */
	EXPECT_EQ(-ENOENT, zt_dma_wait(self->fd, id, 0, 0, NULL));
}

/* A terminated transfer must not write after the fact. */
TEST_F(eng, timed_out_transfer_never_writes_later)
{
	struct zcdev_dma_wait w;
	__u64 id;

	set_knob(_metadata, ZT_LATENCY_US, 500 * 1000);
	ASSERT_EQ(0, submit_slot(self, 0, &id));
	ASSERT_EQ(0, zt_dma_wait(self->fd, id, 0, zt_deadline_in(50 * MS),
				 &w));
	EXPECT_EQ(ZT_TIMEDOUT, w.status);
	ZT_EXPECT_REGION(&self->dst);
	/* Past the time the engine would have copied it. */
	zt_sleep_ms(800);
	ZT_EXPECT_REGION(&self->dst);
	EXPECT_EQ(0ULL, STATS_DELTA(self, in_flight));
}

TEST_F(eng, timeout_moves_stats_timeouts)
{
	struct zcdev_dma_wait w;
	__u64 id;

	set_knob(_metadata, ZT_LATENCY_US, 1000 * 1000);
	ASSERT_EQ(0, submit_slot(self, 0, &id));
	EXPECT_EQ(1ULL, STATS_DELTA(self, in_flight));
	ASSERT_EQ(0, zt_dma_wait(self->fd, id, 0, zt_deadline_in(50 * MS),
				 &w));
	EXPECT_EQ(ZT_TIMEDOUT, w.status);
	EXPECT_EQ(1ULL, STATS_DELTA(self, timeouts));
	EXPECT_EQ(1ULL, STATS_DELTA(self, transfers));
	EXPECT_EQ(0ULL, STATS_DELTA(self, errors));
	EXPECT_EQ(0ULL, STATS_DELTA(self, cancels));
	EXPECT_EQ(0ULL, STATS_DELTA(self, in_flight));
}

/* Timing out the second of three leaves the first and third DONE. */
TEST_F(eng, timeout_of_one_leaves_others_done)
{
	struct zcdev_dma_wait w;
	__u64 ids[3];
	unsigned int i;

	set_knob(_metadata, ZT_LATENCY_US, 200 * 1000);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, submit_slot(self, i, &ids[i]));
	ASSERT_EQ(0, zt_dma_wait(self->fd, ids[1], 0, zt_deadline_in(50 * MS),
				 &w));
	EXPECT_EQ(ZT_TIMEDOUT, w.status);
	EXPECT_EQ(ETIMEDOUT, w.error);
	ZT_EXPECT_DONE(self->fd, ids[0], SLOT_LEN);
	ZT_EXPECT_DONE(self->fd, ids[2], SLOT_LEN);
	slot_copied(self, 0);
	slot_copied(self, 2);
	ZT_EXPECT_REGION(&self->dst);
}

TEST_F(eng, wait_noterm_deadline_is_etimedout_then_reaps_done)
{
	struct zcdev_dma_wait w;
	__u64 id, t0, took;

	set_knob(_metadata, ZT_LATENCY_US, 300 * 1000);
	ASSERT_EQ(0, submit_slot(self, 0, &id));
	t0 = zt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, zt_dma_wait(self->fd, id, ZCDEV_DMA_WAIT_NOTERM,
					  t0 + 20 * MS, &w));
	took = zt_now_ns() - t0;
	/* It waited (a jiffies wait may end up to a tick early). */
	EXPECT_LE(10 * MS, (long long)took);
	EXPECT_EQ(1ULL, STATS_DELTA(self, in_flight));
	ZT_EXPECT_DONE(self->fd, id, SLOT_LEN);
	EXPECT_EQ(0ULL, STATS_DELTA(self, timeouts));
	slot_copied(self, 0);
	ZT_EXPECT_REGION(&self->dst);
}

TEST_F(eng, wait_any_deadline_is_etimedout_and_leaves_transfer)
{
	struct zcdev_dma_wait w;
	__u64 id;

	set_knob(_metadata, ZT_LATENCY_US, 300 * 1000);
	ASSERT_EQ(0, submit_slot(self, 0, &id));
	EXPECT_EQ(-ETIMEDOUT, zt_dma_wait(self->fd, 0, ZCDEV_DMA_WAIT_ANY,
					  zt_deadline_in(20 * MS), &w));
	ASSERT_EQ(0, zt_dma_wait(self->fd, 0, ZCDEV_DMA_WAIT_ANY,
				 zt_deadline_in(ZT_HANG_NS), &w));
	EXPECT_EQ(id, w.id);
	EXPECT_EQ(ZT_DONE, w.status);
	slot_copied(self, 0);
	ZT_EXPECT_REGION(&self->dst);
}

/* ---- cancel ---- */

TEST_F(eng, cancel_one_of_several_leaves_others_done)
{
	struct zcdev_dma_wait w;
	__u32 cancelled;
	__u64 ids[4];
	unsigned int i;

	set_knob(_metadata, ZT_LATENCY_US, 300 * 1000);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, submit_slot(self, i, &ids[i]));
	ASSERT_EQ(0, zt_dma_cancel(self->fd, ids[2], 0, &cancelled));
	EXPECT_EQ(1U, cancelled);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, zt_dma_wait(self->fd, ids[i], 0,
					 zt_deadline_in(ZT_HANG_NS), &w));
		if (i == 2) {
			EXPECT_EQ(ZT_CANCELLED, w.status);
			EXPECT_EQ(ECANCELED, w.error);
			EXPECT_EQ(2ULL, w.user_data);
		} else {
			EXPECT_EQ(ZT_DONE, w.status) TH_LOG("transfer %u", i);
			EXPECT_EQ((__u64)SLOT_LEN, w.bytes);
			slot_copied(self, i);
		}
	}
	/* The cancelled one never started: its range is as it was. */
	ZT_EXPECT_REGION(&self->dst);
	EXPECT_EQ(1ULL, STATS_DELTA(self, cancels));
}

#define NR_CANCEL	6

TEST_F(eng, cancel_all_ends_unfinished_and_counts_them)
{
	struct zcdev_dma_wait w;
	unsigned int i, n_cancelled = 0, n_done = 0;
	__u32 cancelled;
	__u64 ids[NR_CANCEL];

	set_knob(_metadata, ZT_LATENCY_US, 200 * 1000);
	for (i = 0; i < NR_CANCEL; i++)
		ASSERT_EQ(0, submit_slot(self, i, &ids[i]));
	zt_sleep_ms(150);
	ASSERT_EQ(0, zt_dma_cancel(self->fd, 0, ZCDEV_DMA_CANCEL_ALL,
				   &cancelled));
	TH_LOG("CANCEL_ALL stopped %u of %u", cancelled, NR_CANCEL);
	EXPECT_LT(0U, cancelled);
	EXPECT_GE((__u32)NR_CANCEL, cancelled);
	for (i = 0; i < NR_CANCEL; i++) {
		ASSERT_EQ(0, zt_dma_wait(self->fd, ids[i], 0,
					 zt_deadline_in(ZT_HANG_NS), &w));
		if (w.status == ZT_CANCELLED) {
			n_cancelled++;
			EXPECT_EQ(ECANCELED, w.error);
			/* Not promised untouched; guards around it are. */
			slot_undefined(self, i);
		} else {
			n_done++;
			EXPECT_EQ(ZT_DONE, w.status) TH_LOG("transfer %u", i);
			slot_copied(self, i);
		}
	}
	EXPECT_EQ(cancelled, n_cancelled);
	EXPECT_EQ((unsigned int)NR_CANCEL, n_cancelled + n_done);
	EXPECT_EQ((__u64)n_cancelled, STATS_DELTA(self, cancels));
	EXPECT_EQ(0ULL, STATS_DELTA(self, in_flight));
	ZT_EXPECT_REGION(&self->dst);
}

TEST_F(eng, cancel_stops_a_running_transfer_promptly)
{
	struct zcdev_dma_wait w;
	__u32 cancelled;
	__u64 id, t0, took;

	set_knob(_metadata, ZT_LATENCY_US, 2000 * 1000);
	ASSERT_EQ(0, submit_slot(self, 0, &id));
	zt_sleep_ms(50);
	t0 = zt_now_ns();
	ASSERT_EQ(0, zt_dma_cancel(self->fd, id, 0, &cancelled));
	took = zt_now_ns() - t0;
	EXPECT_EQ(1U, cancelled);
	EXPECT_GT(1000 * MS, (long long)took);
	ASSERT_EQ(0, zt_dma_wait(self->fd, id, 0,
				 zt_deadline_in(ZT_HANG_NS), &w));
	EXPECT_EQ(ZT_CANCELLED, w.status);
	zt_sleep_ms(2200);
	ZT_EXPECT_REGION(&self->dst);
}

TEST_F(eng, cancel_of_finished_transfer_leaves_it_done)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN };
	__u32 cancelled = 99;
	__u64 id;

	ASSERT_EQ(0, submit_slot(self, 0, &id));
	ASSERT_EQ(1, poll(&p, 1, 10 * 1000));
	EXPECT_EQ(0, zt_dma_cancel(self->fd, id, 0, &cancelled));
	EXPECT_EQ(0U, cancelled);
	cancelled = 99;
	EXPECT_EQ(0, zt_dma_cancel(self->fd, 0, ZCDEV_DMA_CANCEL_ALL,
				   &cancelled));
	EXPECT_EQ(0U, cancelled);
	ZT_EXPECT_DONE(self->fd, id, SLOT_LEN);
	EXPECT_EQ(0ULL, STATS_DELTA(self, cancels));
	slot_copied(self, 0);
	ZT_EXPECT_REGION(&self->dst);
}

TEST_F(eng, cancel_all_with_no_transfer_cancels_none)
{
	__u32 cancelled = 99;

	EXPECT_EQ(0, zt_dma_cancel(self->fd, 0, ZCDEV_DMA_CANCEL_ALL,
				   &cancelled));
	EXPECT_EQ(0U, cancelled);
}

/* CANCEL_ALL is about this file: another file's transfers run on. */
TEST_F(eng, cancel_all_leaves_other_files_alone)
{
	struct zt_region a, b;
	__u32 cancelled;
	__u64 mine, other;
	int fd2 = zt_open();

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, zt_region_init(fd2, &a, ZCDEV_BUF_PAGES, SLOT, "a"));
	ASSERT_EQ(0, zt_region_init(fd2, &b, ZCDEV_BUF_PAGES, SLOT, "b"));
	zt_region_fill(&a, 0x5eed2007);
	zt_region_fill(&b, 0x5eed2008);
	set_knob(_metadata, ZT_LATENCY_US, 150 * 1000);
	ASSERT_EQ(0, zt_dma_submit1(fd2, zt_region_ep(&a, 0),
				    zt_region_ep(&b, 0), SLOT, 0, &other));
	ASSERT_EQ(0, submit_slot(self, 0, &mine));
	ASSERT_EQ(0, zt_dma_cancel(self->fd, 0, ZCDEV_DMA_CANCEL_ALL,
				   &cancelled));
	EXPECT_EQ(1U, cancelled);
	ZT_EXPECT_DONE(fd2, other, SLOT);
	zt_region_expect_copy(&b, 0, &a, 0, SLOT);
	ZT_EXPECT_REGION(&b);
	zt_region_fini(&b);
	zt_region_fini(&a);
	close(fd2);
}

TEST_F(eng, stats_in_flight_counts_unfinished_transfers)
{
	__u32 cancelled;
	unsigned int i;

	set_knob(_metadata, ZT_LATENCY_US, 500 * 1000);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, submit_slot(self, i, NULL));
	EXPECT_EQ(3ULL, STATS_DELTA(self, in_flight));
	ASSERT_EQ(0, zt_dma_cancel(self->fd, 0, ZCDEV_DMA_CANCEL_ALL,
				   &cancelled));
	EXPECT_EQ(3U, cancelled);
	/* Ended, not yet reaped: no longer in flight. */
	EXPECT_EQ(0ULL, STATS_DELTA(self, in_flight));
}

/*
 * WAIT_ANY reaps "whichever transfer ends first": a cancelled transfer
 * that ended before the ones submitted ahead of it comes out first, even
 * when all of them have ended by the time they are reaped.
 */
TEST_F(eng, wait_any_reaps_in_completion_order_after_cancel)
{
	struct zcdev_dma_wait w;
	__u64 ids[3];
	unsigned int i;
	__u32 cancelled;

	set_knob(_metadata, ZT_LATENCY_US, 250 * 1000);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, submit_slot(self, i, &ids[i]));
	ASSERT_EQ(0, zt_dma_cancel(self->fd, ids[2], 0, &cancelled));
	ASSERT_EQ(1U, cancelled);
	/* Let the other two end too (2 x 250 ms, with room). */
	zt_sleep_ms(900);
	ASSERT_EQ(0, zt_dma_wait(self->fd, 0, ZCDEV_DMA_WAIT_ANY,
				 zt_deadline_in(ZT_HANG_NS),
				 &w));
	EXPECT_EQ(ids[2], w.id) TH_LOG("reaped transfer %llu (status %u) before the one cancelled first",
				       (unsigned long long)w.user_data,
				       w.status);
	EXPECT_EQ(ZT_CANCELLED, w.status);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, zt_dma_wait(self->fd, 0, ZCDEV_DMA_WAIT_ANY,
					 zt_deadline_in(ZT_HANG_NS), &w));
	}
	EXPECT_EQ(-ENOENT, zt_dma_wait(self->fd, 0, ZCDEV_DMA_WAIT_ANY, 0,
				       NULL));
}

TEST_HARNESS_MAIN
