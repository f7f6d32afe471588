// SPDX-License-Identifier: GPL-2.0
/*
 * Fairness between files on one channel: a file that floods the channel
 * with small transfers must not make another file's single large transfer
 * wait for all of them. The channel takes the files with waiting transfers
 * in turn, one transfer each (module/dma.c), so a transfer queued behind a
 * flood waits for the flooder's running transfer and at most one more of
 * its transfers, the one whose turn was already next.
 *
 * The order transfers ran in is read from the engine, not from the clock:
 * each of file A's transfers ends by copying a marker into a page of user
 * memory of its own, and file B's transfer ends by copying all those pages
 * into a capture buffer. The capture shows exactly which of A's transfers
 * had run before B's did, and DMA_STATS, read once everything is queued,
 * that none had ended before B's was queued. So that none can end while
 * the test queues them, latency_us is 1 s until DMA_STATS was read: should
 * the engine start A's first transfer meanwhile, it waits (a gate). The
 * times from the first submission to B's end and to A's last end are
 * logged.
 */
#include "dma_chan_test.h"

#define MS		NSEC_PER_MSEC
#define A_NR		60
#define A_LEN		(64 * KiB)
#define B_LEN		(4 * MiB)
#define MARK_LEN	8
#define FAIR_MBPS	20UL
#define GATE_US		1000000UL

FIXTURE(fair) {
	int fd;			/* file A, the flood */
	struct zcdev_info info;
	size_t page;
	int chan;
	int fb;			/* file B, one large transfer */
	int fillers[ZT_MAX_FILLERS];
	unsigned int nfill;
	struct zt_region a_src, a_dst;	/* A's: coherent, one descriptor */
	struct zt_region marks;		/* user memory, a page per A transfer */
	struct zt_region b_src, b_dst, capture;	/* B's */
};

FIXTURE_SETUP(fair)
{
	self->fd = -1;
	self->fb = -1;
	zt_knobs_restore();
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_DMA(&self->info);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_COHERENT);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_PAGES);
	ZT_SETUP_NEED_KNOBS(self->fd);
	if (!zt_all_chans_zcdma(self->fd))
		ZT_SETUP_SKIP("not every DMA channel is zcdma's");
	self->page = self->info.page_size;

	self->chan = zt_bind_file(self->fd);
	ASSERT_LE(0, self->chan) TH_LOG("bind: %s", strerror(-self->chan));
	self->fb = zt_open_on_chan(self->chan, self->fillers, &self->nfill);
	ASSERT_LE(0, self->fb)
		TH_LOG("no file landed on channel %d: %s", self->chan,
		       strerror(-self->fb));

	ASSERT_EQ(0, zt_region_init(self->fd, &self->a_src, ZCDEV_BUF_COHERENT,
				    A_LEN, "A src"));
	ASSERT_EQ(0, zt_region_init(self->fd, &self->a_dst, ZCDEV_BUF_COHERENT,
				    A_LEN, "A dst"));
	ASSERT_EQ(0, zt_region_init(self->fd, &self->marks, ZT_KIND_USER,
				    A_NR * self->page, "marks"));
	ASSERT_EQ(0, zt_region_init(self->fb, &self->b_src, ZCDEV_BUF_PAGES,
				    B_LEN, "B src"));
	ASSERT_EQ(0, zt_region_init(self->fb, &self->b_dst, ZCDEV_BUF_PAGES,
				    B_LEN, "B dst"));
	ASSERT_EQ(0, zt_region_init(self->fb, &self->capture, ZCDEV_BUF_PAGES,
				    A_NR * self->page, "capture"));
	zt_region_fill(&self->a_src, 0x5eed1420);
	/* The marker: A's source's first bytes, never zero. */
	memset(self->a_src.mem, 0xa5, MARK_LEN);
	zt_region_accept(&self->a_src, 0, MARK_LEN);
	zt_region_fill(&self->a_dst, 0x5eed1421);
	memset(self->marks.mem, 0, self->marks.len);
	zt_region_accept(&self->marks, 0, self->marks.len);
	zt_region_fill(&self->b_src, 0x5eed1422);
	zt_region_fill(&self->b_dst, 0x5eed1423);
	zt_region_fill(&self->capture, 0x5eed1424);
}

FIXTURE_TEARDOWN(fair)
{
	zt_knobs_restore();
	zt_region_fini(&self->capture);
	zt_region_fini(&self->b_dst);
	zt_region_fini(&self->b_src);
	zt_region_fini(&self->marks);
	zt_region_fini(&self->a_dst);
	zt_region_fini(&self->a_src);
	if (self->fb >= 0)
		close(self->fb);
	zt_close_fillers(self->fillers, &self->nfill);
	if (self->fd >= 0)
		close(self->fd);
}

static bool marked(const unsigned char *page)
{
	static const unsigned char mark[MARK_LEN] = {
		0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5,
	};

	return !memcmp(page, mark, MARK_LEN);
}

TEST_F(fair, flood_of_small_transfers_does_not_starve_large_one)
{
	struct zcdev_dma_seg_desc segs[2];
	struct zcdev_dma_chan_stats cs0, cs;
	__u64 a_id[A_NR], b_id, t0, t_b, t_a, a1_engine = 0;
	unsigned int i, before_b = 0;
	struct zcdev_dma_wait w;
	bool prefix = true;

	ASSERT_EQ(0, zt_knob_set(ZT_BANDWIDTH_MBPS, FAIR_MBPS));
	ASSERT_EQ(0, zt_chan_stat(self->fd, self->chan, &cs0));
	ASSERT_EQ(0, zt_knob_set(ZT_LATENCY_US, GATE_US));
	t0 = zt_now_ns();
	memset(segs, 0, sizeof(segs));
	for (i = 0; i < A_NR; i++) {
		segs[0].src = zt_region_ep(&self->a_src, 0);
		segs[0].dst = zt_region_ep(&self->a_dst, 0);
		segs[0].len = A_LEN;
		segs[1].src = zt_region_ep(&self->a_src, 0);
		segs[1].dst = zt_region_ep(&self->marks, i * self->page);
		segs[1].len = MARK_LEN;
		ASSERT_EQ(0, zt_dma_submit(self->fd, segs, 2, i, &a_id[i]))
			TH_LOG("A's transfer %u", i);
	}
	segs[0].src = zt_region_ep(&self->b_src, 0);
	segs[0].dst = zt_region_ep(&self->b_dst, 0);
	segs[0].len = B_LEN;
	segs[1].src = zt_region_ep(&self->marks, 0);
	segs[1].dst = zt_region_ep(&self->capture, 0);
	segs[1].len = A_NR * self->page;
	ASSERT_EQ(0, zt_dma_submit(self->fb, segs, 2, 0, &b_id));

	/*
	 * Nothing has ended yet: A's first runs, the rest of A's and B's
	 * wait. This, not the clock, is what makes the count below exact.
	 */
	ASSERT_EQ(0, zt_chan_stat(self->fd, self->chan, &cs));
	ASSERT_EQ(cs0.transfers, cs.transfers)
		TH_LOG("%llu transfers ended while queueing",
		       (unsigned long long)(cs.transfers - cs0.transfers));
	ASSERT_EQ(1U, cs.running);
	ASSERT_EQ((__u32)A_NR, cs.queued)
		TH_LOG("B's transfer is not queued on %s with A's", cs.name);
	ASSERT_EQ(0, zt_knob_set(ZT_LATENCY_US, 0));

	ASSERT_EQ(0, zt_dma_wait(self->fb, b_id, 0, zt_deadline_in(ZT_HANG_NS),
				 &w));
	t_b = zt_now_ns() - t0;
	EXPECT_EQ(ZT_DONE, w.status) TH_LOG("B: status %u error %d", w.status,
					    w.error);
	EXPECT_EQ((__u64)B_LEN + A_NR * self->page, w.bytes);
	/* The flood is still going when B's transfer is reaped. */
	EXPECT_EQ(-EAGAIN, zt_dma_wait(self->fd, a_id[A_NR - 1], 0, 0, &w))
		TH_LOG("A's last transfer ended before B's");

	for (i = 0; i < A_NR; i++) {
		ASSERT_EQ(0, zt_dma_wait(self->fd, a_id[i], 0,
					 zt_deadline_in(ZT_HANG_NS), &w));
		EXPECT_EQ(ZT_DONE, w.status) TH_LOG("A's %u: status %u", i,
						    w.status);
		if (!i)
			a1_engine = w.engine_ns;
	}
	t_a = zt_now_ns() - t0;

	/* Which of A's transfers had run when B's copied the markers. */
	for (i = 0; i < A_NR; i++) {
		if (!marked(self->capture.mem + i * self->page))
			continue;
		prefix = prefix && before_b == i;
		before_b++;
	}
	TH_LOG("%d x %lu KiB (file A) then 1 x %lu MiB (file B) on %s at %lu MB/s: B ended %llu ms after A's first submission, after %u of A's transfers; A's last at %llu ms; A's first spent %llu ms on the engine",
	       A_NR, A_LEN / KiB, B_LEN / MiB, cs.name, FAIR_MBPS, t_b / MS,
	       before_b, t_a / MS, a1_engine / MS);
	EXPECT_TRUE(prefix) TH_LOG("A's transfers did not run in order");
	/* The running one and the one already next in line, no more. */
	EXPECT_LE(1U, before_b);
	EXPECT_GE(2U, before_b);
	EXPECT_GT(t_a, t_b);

	/* Every transfer did its copy. */
	for (i = 0; i < A_NR; i++)
		memcpy(self->marks.shadow + i * self->page, self->a_src.shadow,
		       MARK_LEN);
	zt_region_expect_copy(&self->a_dst, 0, &self->a_src, 0, A_LEN);
	zt_region_expect_copy(&self->b_dst, 0, &self->b_src, 0, B_LEN);
	zt_region_accept(&self->capture, 0, self->capture.len);
	ZT_EXPECT_REGION(&self->marks);
	ZT_EXPECT_REGION(&self->a_dst);
	ZT_EXPECT_REGION(&self->b_dst);
	ZT_EXPECT_REGION(&self->a_src);
	ZT_EXPECT_REGION(&self->b_src);
}

TEST_HARNESS_MAIN
