// SPDX-License-Identifier: GPL-2.0
/*
 * Stopping one transfer must neither corrupt nor stall another transfer on
 * the same channel.
 *
 * Write after read: T1 = [A->B, C->A, 6 x D->E] copies A to B and then
 * overwrites A with C. Should anything run A->B again after C->A, T1 ends
 * DONE with C's bytes in B. With zcdma slowed down (latency_us is per
 * descriptor), a stop is made while T1 is part way and A already holds
 * C's bytes: another file, in another process, cancels its own queued
 * transfer, or is closed with one queued, or lets a DMA_WAIT deadline
 * pass on one; or T1's own file cancels a later transfer. T1 must end
 * DONE with A's original bytes in B. The other file is first put on T1's
 * channel (dma_chan_test.h), and DMA_STATS must show its transfer waiting
 * there behind T1: on another channel the test would prove nothing.
 *
 * Starvation: a 16 MiB transfer at bandwidth_mbps=50, alone and then while
 * another process on the same channel submits and stops (cancels, or lets
 * a deadline pass on) a queued 4 KiB transfer every 85 ms. The stops must
 * not stretch it beyond 1.5 times its solo time plus 0.2 s. The times are
 * logged.
 */
#include "dma_chan_test.h"

#define MS		NSEC_PER_MSEC

/* ---- write after read ---- */

#define WAR_LEN		4096
/* D->E segments after C->A: the time in which the stop is made. */
#define WAR_NR_TAIL	6
#define WAR_SEGS	(2 + WAR_NR_TAIL)
#define WAR_LATENCY_US	300000UL

enum war_trigger {
	OTHER_CANCELS,	/* another file cancels its queued transfer */
	OTHER_CLOSES,	/* another file is closed with a transfer queued */
	OTHER_TIMES_OUT, /* another file's DMA_WAIT deadline passes */
	OWN_CANCEL,	/* T1's file cancels a later transfer of its own */
};

FIXTURE(war) {
	int fd;			/* T1's file */
	struct zcdev_info info;
	int chan;		/* T1's channel */
	int other;		/* another file on T1's channel */
	__u32 other_buf;	/* a buffer of @other: its transfer's ends */
	int fillers[ZT_MAX_FILLERS];
	unsigned int nfill;
	struct zt_region a, b, c, d, e;
	struct zt_region x;	/* OWN_CANCEL: the later transfer's end */
	pid_t child;
};

FIXTURE_VARIANT(war) {
	enum war_trigger trigger;
};

FIXTURE_VARIANT_ADD(war, other_file_cancels) {
	.trigger = OTHER_CANCELS,
};

FIXTURE_VARIANT_ADD(war, other_file_closes) {
	.trigger = OTHER_CLOSES,
};

FIXTURE_VARIANT_ADD(war, other_file_times_out) {
	.trigger = OTHER_TIMES_OUT,
};

FIXTURE_VARIANT_ADD(war, own_file_cancels_later) {
	.trigger = OWN_CANCEL,
};

FIXTURE_SETUP(war)
{
	struct { struct zt_region *r; const char *name; } regions[] = {
		{ &self->a, "A" }, { &self->b, "B" }, { &self->c, "C" },
		{ &self->d, "D" }, { &self->e, "E" }, { &self->x, "X" },
	};
	struct zcdev_alloc al;
	unsigned int i;

	self->fd = -1;
	self->other = -1;
	self->child = -1;
	/* A child that gave up must fail a check, not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	zt_hold_restore();
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_DMA(&self->info);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_COHERENT);
	/* T1 must be stopped part way: zcdma's per-descriptor latency. */
	ZT_SETUP_NEED_KNOBS(self->fd);
	if (!zt_all_chans_zcdma(self->fd))
		ZT_SETUP_SKIP("not every DMA channel is zcdma's");

	self->chan = zt_bind_file(self->fd);
	ASSERT_LE(0, self->chan) TH_LOG("bind: %s", strerror(-self->chan));
	for (i = 0; i < ARRAY_SIZE(regions); i++) {
		ASSERT_EQ(0, zt_region_init(self->fd, regions[i].r,
					    ZCDEV_BUF_COHERENT, WAR_LEN,
					    regions[i].name));
		zt_region_fill(regions[i].r, 0x5eed1400 + i);
	}
	if (variant->trigger == OWN_CANCEL)
		return;
	self->other = zt_open_on_chan(self->chan, self->fillers,
				      &self->nfill);
	ASSERT_LE(0, self->other)
		TH_LOG("no file landed on channel %d: %s", self->chan,
		       strerror(-self->other));
	ASSERT_EQ(0, zt_alloc(self->other, ZCDEV_BUF_COHERENT, 2 * WAR_LEN,
			      &al));
	self->other_buf = al.handle;
}

FIXTURE_TEARDOWN(war)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	zt_hold_restore();
	zt_region_fini(&self->x);
	zt_region_fini(&self->e);
	zt_region_fini(&self->d);
	zt_region_fini(&self->c);
	zt_region_fini(&self->b);
	zt_region_fini(&self->a);
	if (self->other >= 0)
		close(self->other);
	zt_close_fillers(self->fillers, &self->nfill);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * The other process: queue a transfer on @other (behind T1), say so, and
 * at the parent's word stop it the @trigger way. Returns the exit status.
 */
static int war_child(int other, __u32 buf, enum war_trigger trigger,
		     int to_parent, int from_parent)
{
	struct zcdev_dma_wait w;
	__u32 want_status;
	int want_error;
	__u32 n;
	__u64 id;
	char c;
	int ret;

	ret = zt_dma_submit1(other, zt_ep_buf(buf, 0), zt_ep_buf(buf, WAR_LEN),
			     WAR_LEN, 0, &id);
	if (ret) {
		fprintf(stderr, "# child: submit: %s\n", strerror(-ret));
		return 10;
	}
	if (zt_pipe_put(to_parent, 'q') || zt_pipe_get(from_parent, &c, 20000))
		return 11;
	switch (trigger) {
	case OTHER_CLOSES:
		/* The parent closed its copy: this is the last reference. */
		return close(other) ? 12 : 0;
	case OTHER_CANCELS:
		ret = zt_dma_cancel(other, id, 0, &n);
		if (ret || n != 1) {
			fprintf(stderr, "# child: cancel: %s, %u cancelled\n",
				strerror(-ret), n);
			return 13;
		}
		ret = zt_dma_wait(other, id, 0, zt_deadline_in(ZT_HANG_NS), &w);
		want_status = ZCDEV_DMA_CANCELLED;
		want_error = ECANCELED;
		break;
	default:
		ret = zt_dma_wait(other, id, 0, zt_deadline_in(50 * MS), &w);
		want_status = ZCDEV_DMA_TIMEDOUT;
		want_error = ETIMEDOUT;
		break;
	}
	if (ret) {
		fprintf(stderr, "# child: wait: %s\n", strerror(-ret));
		return 14;
	}
	if (w.status != want_status || w.error != want_error || w.bytes) {
		fprintf(stderr, "# child: status %u error %d bytes %llu, want %u %d 0\n",
			w.status, w.error, (unsigned long long)w.bytes,
			want_status, want_error);
		return 15;
	}
	return 0;
}

TEST_F(war, stop_leaves_write_after_read_transfer_correct)
{
	struct zcdev_dma_seg_desc segs[WAR_SEGS];
	struct zcdev_dma_chan_stats before, after;
	int to_child[2], from_child[2];
	struct zcdev_dma_wait w;
	__u64 t1, t2 = 0, until;
	__u32 n;
	char c;
	int i;

	memset(segs, 0, sizeof(segs));
	segs[0].src = zt_region_ep(&self->a, 0);
	segs[0].dst = zt_region_ep(&self->b, 0);
	segs[1].src = zt_region_ep(&self->c, 0);
	segs[1].dst = zt_region_ep(&self->a, 0);
	for (i = 2; i < WAR_SEGS; i++) {
		segs[i].src = zt_region_ep(&self->d, 0);
		segs[i].dst = zt_region_ep(&self->e, 0);
	}
	for (i = 0; i < WAR_SEGS; i++)
		segs[i].len = WAR_LEN;

	ASSERT_EQ(0, zt_knob_set(ZT_LATENCY_US, WAR_LATENCY_US));
	ASSERT_EQ(0, zt_dma_submit(self->fd, segs, WAR_SEGS, 1, &t1));
	if (variant->trigger == OWN_CANCEL) {
		ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&self->d, 0),
					    zt_region_ep(&self->x, 0), WAR_LEN,
					    2, &t2));
	} else {
		ASSERT_EQ(0, pipe(to_child));
		ASSERT_EQ(0, pipe(from_child));
		self->child = fork();
		ASSERT_LE(0, self->child);
		if (!self->child) {
			close(to_child[1]);
			close(from_child[0]);
			_exit(war_child(self->other, self->other_buf,
					variant->trigger, from_child[1],
					to_child[0]));
		}
		close(to_child[0]);
		close(from_child[1]);
		/* The child's close must be the file's last. */
		close(self->other);
		self->other = -1;
		ASSERT_EQ(0, zt_pipe_get(from_child[0], &c, 10000))
			TH_LOG("the child did not queue its transfer");
	}

	/* The transfer to stop waits behind T1, on T1's channel. */
	ASSERT_EQ(0, zt_chan_stat(self->fd, self->chan, &before));
	ASSERT_EQ(1U, before.running) TH_LOG("T1 is not on %s", before.name);
	ASSERT_EQ(1U, before.queued)
		TH_LOG("the transfer to stop is not queued on %s", before.name);

	/* C->A has run once A holds C's bytes. */
	until = zt_deadline_in(10 * NSEC_PER_SEC);
	while (memcmp(self->a.mem, self->c.shadow, WAR_LEN) &&
	       zt_now_ns() < until)
		zt_sleep_ms(2);
	ASSERT_EQ(0, memcmp(self->a.mem, self->c.shadow, WAR_LEN))
		TH_LOG("C->A did not run within 10 s");

	if (variant->trigger == OWN_CANCEL) {
		ASSERT_EQ(0, zt_dma_cancel(self->fd, t2, 0, &n));
		EXPECT_EQ(1U, n);
	} else {
		ASSERT_EQ(0, zt_pipe_put(to_child[1], 'g'));
		EXPECT_EQ(0, zt_wait(self->child))
			TH_LOG("the other file's stop went wrong (see the child's message)");
		self->child = -1;
		close(to_child[1]);
		close(from_child[0]);
	}
	/* Only a stop made while T1 is part way tells anything. */
	ASSERT_EQ(-EAGAIN, zt_dma_wait(self->fd, t1, 0, 0, &w))
		TH_LOG("T1 ended before the stop: raise WAR_LATENCY_US");

	ASSERT_EQ(0, zt_chan_stat(self->fd, self->chan, &after));
	EXPECT_EQ(1U, after.running);
	EXPECT_EQ(0U, after.queued);
	if (variant->trigger == OTHER_TIMES_OUT) {
		EXPECT_EQ(before.timeouts + 1, after.timeouts);
	} else {
		EXPECT_EQ(before.cancels + 1, after.cancels);
	}

	ASSERT_EQ(0, zt_dma_wait(self->fd, t1, 0, zt_deadline_in(ZT_HANG_NS),
				 &w));
	EXPECT_EQ(ZT_DONE, w.status)
		TH_LOG("T1: status %u error %d bytes %llu", w.status, w.error,
		       (unsigned long long)w.bytes);
	EXPECT_EQ(0, w.error);
	EXPECT_EQ((__u64)WAR_SEGS * WAR_LEN, w.bytes);

	/* B first: it gets A's original bytes, which the shadow still has. */
	zt_region_expect_copy(&self->b, 0, &self->a, 0, WAR_LEN);
	zt_region_expect_copy(&self->a, 0, &self->c, 0, WAR_LEN);
	zt_region_expect_copy(&self->e, 0, &self->d, 0, WAR_LEN);
	EXPECT_NE(0, memcmp(self->b.mem, self->c.shadow, WAR_LEN))
		TH_LOG("B holds C's bytes: A->B ran again after C->A");
	ZT_EXPECT_REGION(&self->a);
	ZT_EXPECT_REGION(&self->b);
	ZT_EXPECT_REGION(&self->c);
	ZT_EXPECT_REGION(&self->d);
	ZT_EXPECT_REGION(&self->e);

	if (variant->trigger == OWN_CANCEL) {
		ASSERT_EQ(0, zt_dma_wait(self->fd, t2, 0,
					 zt_deadline_in(ZT_HANG_NS), &w));
		EXPECT_EQ(ZT_CANCELLED, w.status);
		EXPECT_EQ(ECANCELED, w.error);
		EXPECT_EQ(0ULL, w.bytes);
		ZT_EXPECT_REGION(&self->x);
	}
}

/* ---- starvation ---- */

#define LONG_LEN	(16 * MiB)
#define LONG_MBPS	50UL
#define STOP_PERIOD_MS	85
#define STOP_LEN	4096

enum stop_kind {
	STOP_CANCEL,	/* DMA_CANCEL */
	STOP_DEADLINE,	/* DMA_WAIT with a deadline that has passed */
};

FIXTURE(starve) {
	int fd;			/* the long transfer's file */
	struct zcdev_info info;
	int chan;
	int other;		/* the stopping file, on the same channel */
	__u32 other_buf;
	int fillers[ZT_MAX_FILLERS];
	unsigned int nfill;
	struct zt_region src, dst;
	pid_t child;
};

FIXTURE_VARIANT(starve) {
	enum stop_kind stop;
	const char *what;
};

FIXTURE_VARIANT_ADD(starve, cancel_loop) {
	.stop = STOP_CANCEL,
	.what = "cancel",
};

FIXTURE_VARIANT_ADD(starve, deadline_loop) {
	.stop = STOP_DEADLINE,
	.what = "passed deadline",
};

FIXTURE_SETUP(starve)
{
	struct zcdev_alloc al;

	self->fd = -1;
	self->other = -1;
	self->child = -1;
	/* A child that gave up must fail a check, not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	zt_hold_restore();
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_DMA(&self->info);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_PAGES);
	ZT_SETUP_NEED_KNOBS(self->fd);
	if (!zt_all_chans_zcdma(self->fd))
		ZT_SETUP_SKIP("not every DMA channel is zcdma's");

	self->chan = zt_bind_file(self->fd);
	ASSERT_LE(0, self->chan) TH_LOG("bind: %s", strerror(-self->chan));
	self->other = zt_open_on_chan(self->chan, self->fillers,
				      &self->nfill);
	ASSERT_LE(0, self->other)
		TH_LOG("no file landed on channel %d: %s", self->chan,
		       strerror(-self->other));
	ASSERT_EQ(0, zt_alloc(self->other, ZCDEV_BUF_PAGES, 2 * STOP_LEN,
			      &al));
	self->other_buf = al.handle;
	ASSERT_EQ(0, zt_region_init(self->fd, &self->src, ZCDEV_BUF_PAGES,
				    LONG_LEN, "src"));
	ASSERT_EQ(0, zt_region_init(self->fd, &self->dst, ZCDEV_BUF_PAGES,
				    LONG_LEN, "dst"));
	zt_region_fill(&self->src, 0x5eed1410);
}

FIXTURE_TEARDOWN(starve)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	zt_hold_restore();
	zt_region_fini(&self->dst);
	zt_region_fini(&self->src);
	if (self->other >= 0)
		close(self->other);
	zt_close_fillers(self->fillers, &self->nfill);
	if (self->fd >= 0)
		close(self->fd);
}

/**
 * struct stop_report - what the stopping process did
 * @cycles: transfers it submitted
 * @stopped: those that ended CANCELLED or TIMEDOUT
 * @done: those that ran to the end (the long transfer had ended)
 * @err: what went wrong first, or ""
 */
struct stop_report {
	unsigned int cycles;
	unsigned int stopped;
	unsigned int done;
	char err[160];
};

/*
 * The stopping process: after the parent's 'g', every STOP_PERIOD_MS
 * submit a 4 KiB transfer on @other and stop it at once, until the
 * parent's next byte; then the report goes to @out.
 */
static void stop_loop(int other, __u32 buf, enum stop_kind stop, int in,
		      int out)
{
	struct stop_report r;
	struct zcdev_dma_wait w;
	__u64 next, id, now;
	__u32 n;
	char c;
	int ret;

	memset(&r, 0, sizeof(r));
	if (zt_pipe_get(in, &c, 20000))
		_exit(11);
	next = zt_now_ns();
	while (r.cycles < 1000) {
		ret = zt_dma_submit1(other, zt_ep_buf(buf, 0),
				     zt_ep_buf(buf, STOP_LEN), STOP_LEN, 0, &id);
		if (ret) {
			snprintf(r.err, sizeof(r.err), "submit %u: %s",
				 r.cycles, strerror(-ret));
			break;
		}
		r.cycles++;
		if (stop == STOP_CANCEL) {
			ret = zt_dma_cancel(other, id, 0, &n);
			if (!ret)
				ret = zt_dma_wait(other, id, 0,
						  zt_deadline_in(ZT_HANG_NS),
						  &w);
		} else {
			/* Passed already: look once, then stop it. */
			ret = zt_dma_wait(other, id, 0, 1, &w);
		}
		if (ret) {
			snprintf(r.err, sizeof(r.err), "stop %u: %s",
				 r.cycles, strerror(-ret));
			break;
		}
		/*
		 * Queued behind the long transfer it is stopped untouched;
		 * once that has ended, it may be stopped running, part way.
		 */
		if (w.status == ZCDEV_DMA_DONE && w.bytes == STOP_LEN) {
			r.done++;
		} else if (w.status == (stop == STOP_CANCEL ?
					ZCDEV_DMA_CANCELLED :
					ZCDEV_DMA_TIMEDOUT) &&
			   w.bytes <= STOP_LEN) {
			r.stopped++;
		} else {
			snprintf(r.err, sizeof(r.err),
				 "transfer %u: status %u error %d bytes %llu",
				 r.cycles, w.status, w.error,
				 (unsigned long long)w.bytes);
			break;
		}
		next += STOP_PERIOD_MS * MS;
		now = zt_now_ns();
		ret = zt_pipe_get(in, &c,
				  next > now ? (int)((next - now) / MS) : 0);
		if (ret != -ETIMEDOUT)
			break;
	}
	_exit(write(out, &r, sizeof(r)) == sizeof(r) ? 0 : 12);
}

/* Copy src to dst (refilled from @seed first): the time it took, in ns. */
static __u64 long_copy(struct __test_metadata *_metadata,
		       FIXTURE_DATA(starve) *self, __u64 seed,
		       int go_fd)
{
	struct zcdev_dma_wait w;
	__u64 id, t0, took;

	zt_region_fill(&self->dst, seed);
	t0 = zt_now_ns();
	if (zt_dma_submit1(self->fd, zt_region_ep(&self->src, 0),
			   zt_region_ep(&self->dst, 0), LONG_LEN, 0, &id))
		return 0;
	if (go_fd >= 0 && zt_pipe_put(go_fd, 'g'))
		return 0;
	if (zt_dma_wait(self->fd, id, 0, zt_deadline_in(ZT_HANG_NS), &w))
		return 0;
	took = zt_now_ns() - t0;
	EXPECT_EQ(ZT_DONE, w.status) TH_LOG("status %u error %d", w.status,
					    w.error);
	EXPECT_EQ((__u64)LONG_LEN, w.bytes);
	zt_region_expect_copy(&self->dst, 0, &self->src, 0, LONG_LEN);
	ZT_EXPECT_REGION(&self->dst);
	return took;
}

TEST_F(starve, stop_loop_on_same_channel_does_not_stall_long_transfer)
{
	struct zcdev_dma_chan_stats cs;
	int to_child[2], from_child[2];
	__u64 solo, loaded, bound;
	struct stop_report r;
	struct pollfd p;

	ASSERT_EQ(0, zt_knob_set(ZT_BANDWIDTH_MBPS, LONG_MBPS));
	solo = long_copy(_metadata, self, 0x5eed1411, -1);
	ASSERT_NE(0ULL, solo) TH_LOG("the solo transfer failed");

	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(from_child));
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child) {
		close(to_child[1]);
		close(from_child[0]);
		stop_loop(self->other, self->other_buf, variant->stop,
			  to_child[0], from_child[1]);
	}
	close(to_child[0]);
	close(from_child[1]);

	loaded = long_copy(_metadata, self, 0x5eed1412, to_child[1]);
	/* Fails only if the child gave up early: its report says why. */
	zt_pipe_put(to_child[1], 'x');
	memset(&r, 0, sizeof(r));
	p.fd = from_child[0];
	p.events = POLLIN;
	ASSERT_EQ(1, poll(&p, 1, 20000));
	ASSERT_EQ((ssize_t)sizeof(r), read(from_child[0], &r, sizeof(r)));
	EXPECT_EQ(0, zt_wait(self->child));
	self->child = -1;
	close(to_child[1]);
	close(from_child[0]);
	ASSERT_NE(0ULL, loaded) TH_LOG("the loaded transfer failed");

	bound = solo * 3 / 2 + 200 * MS;
	TH_LOG("16 MiB at %lu MB/s: solo %llu ms; with a %s every %d ms on the same channel %llu ms (bound %llu ms); %u transfers stopped, %u ran",
	       LONG_MBPS, solo / MS, variant->what, STOP_PERIOD_MS,
	       loaded / MS, bound / MS, r.stopped, r.done);
	EXPECT_STREQ("", r.err);
	/* The loop ran while the long transfer did, on its channel. */
	EXPECT_LE(2U, r.stopped);
	EXPECT_GE(bound, loaded);
	ASSERT_EQ(0, zt_chan_stat(self->fd, self->chan, &cs));
	EXPECT_LE(2U, cs.files) TH_LOG("%s carries %u files", cs.name,
				       cs.files);
}

TEST_HARNESS_MAIN
