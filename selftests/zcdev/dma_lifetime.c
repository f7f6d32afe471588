// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev DMA lifetimes: what happens to transfers in flight when their
 * file is closed, their process exits or is killed, their buffers are
 * freed, their user memory is unmapped, or their process forks.
 *
 * "In flight" needs a held transfer (dma_test.h), two ways, one variant
 * each: "engine", zcdma's latency_us, per descriptor inside the engine
 * (user memory is one descriptor per page or so: latencies here are
 * chosen with the number of pages in mind); and "issue_delay", zcdev's
 * debugfs issue_delay_us, which holds a transfer's descriptors on the
 * engine's submitted queue on any engine (the only way on a PL330). The VM run scans dmesg for
 * splats afterwards, so "no crash" here also means "no kernel warning".
 */
#include "dma_test.h"

#define MS		NSEC_PER_MSEC
#define XLEN		(64 * KiB)

FIXTURE(life) {
	int fd;
	struct zcdev_info info;
	size_t page;
	struct zcdev_dma_stats st0;
};

FIXTURE_VARIANT(life) {
	bool issue_delay;	/* hold by issue_delay_us even on zcdma */
};

FIXTURE_VARIANT_ADD(life, engine) {
	.issue_delay = false,
};

FIXTURE_VARIANT_ADD(life, issue_delay) {
	.issue_delay = true,
};

FIXTURE_SETUP(life)
{
	ZT_SETUP_DMA_FILE(self);
	if (variant->issue_delay)
		ZT_SETUP_NEED_ISSUE_DELAY();
	else if (zt_channel_is_zcdma(self->fd) != 1)
		ZT_SETUP_SKIP("the DMA channel is not zcdma's: the issue_delay variant holds transfers on it");
	else
		ZT_SETUP_NEED_HOLD(self->fd);
	ASSERT_EQ(0, zt_dma_stats(self->fd, &self->st0));
}

FIXTURE_TEARDOWN(life)
{
	zt_hold_restore();
	if (self->fd >= 0)
		close(self->fd);
}

static void set_latency(struct __test_metadata *_metadata, unsigned int ms)
{
	ASSERT_EQ(0, zt_hold_set(ms * 1000UL));
}

/* Wait up to @ms for STATS in_flight to fall back to @want. */
static __u64 in_flight_settles(int fd, __u64 want, unsigned int ms)
{
	__u64 now = zt_dma_in_flight(fd);

	while (now != want && ms >= 10) {
		zt_sleep_ms(10);
		ms -= 10;
		now = zt_dma_in_flight(fd);
	}
	return now;
}

/* ---- close ---- */

#define NR_CLOSE	8

/*
 * A file of its own with NR_CLOSE slow transfers queued into a pages
 * buffer and into user memory, all of them still to run. The buffers are
 * not left mapped: a mapping holds the file, and close() would then not
 * release it.
 */
struct closing {
	int fd;
	struct zt_region src, buf_dst, usr_dst;
};

static void closing_start(struct __test_metadata *_metadata,
			  FIXTURE_DATA(life) *self, struct closing *c)
{
	unsigned int i;

	c->fd = zt_open();
	ASSERT_LE(0, c->fd);
	ASSERT_EQ(0, zt_region_init(c->fd, &c->src, ZCDEV_BUF_COHERENT,
				    NR_CLOSE * XLEN, "src"));
	ASSERT_EQ(0, zt_region_init(c->fd, &c->buf_dst, ZCDEV_BUF_PAGES,
				    NR_CLOSE * XLEN, "pages dst"));
	ASSERT_EQ(0, zt_region_init(c->fd, &c->usr_dst, ZT_KIND_USER,
				    NR_CLOSE * XLEN, "user dst"));
	zt_region_fill(&c->src, 0x5eed4001);
	zt_region_fill(&c->buf_dst, 0x5eed4002);
	zt_region_fill(&c->usr_dst, 0x5eed4003);
	munmap(c->src.mem, c->src.map_len);
	c->src.mem = NULL;
	munmap(c->buf_dst.mem, c->buf_dst.map_len);
	c->buf_dst.mem = NULL;
	set_latency(_metadata, 500);
	for (i = 0; i < NR_CLOSE; i++) {
		struct zt_region *d = i % 2 ? &c->usr_dst : &c->buf_dst;

		ASSERT_EQ(0, zt_dma_submit1(c->fd,
					    zt_region_ep(&c->src, i * XLEN),
					    zt_region_ep(d, i * XLEN + 1),
					    XLEN - 2, i, NULL));
	}
	EXPECT_EQ((__u64)NR_CLOSE, zt_dma_in_flight(self->fd) -
				    self->st0.in_flight);
}

static void closing_fini(struct closing *c)
{
	zt_region_fini(&c->usr_dst);
	zt_region_fini(&c->buf_dst);
	zt_region_fini(&c->src);
	if (c->fd >= 0)
		close(c->fd);
}

TEST_F(life, close_with_transfers_in_flight_returns_promptly)
{
	struct closing c = { .fd = -1 };
	__u64 t0, took;

	closing_start(_metadata, self, &c);
	t0 = zt_now_ns();
	EXPECT_EQ(0, close(c.fd));
	took = zt_now_ns() - t0;
	c.fd = -1;
	/* Running them all would take NR_CLOSE x 500 ms. */
	EXPECT_GT(2000 * MS, (long long)took) TH_LOG("close took %llu ms",
						     (unsigned long long)(took / MS));
	EXPECT_EQ(self->st0.in_flight,
		  in_flight_settles(self->fd, self->st0.in_flight, 2000));
	closing_fini(&c);
}

/* After close, the engine must not write into memory that outlives it. */
TEST_F(life, close_stops_transfers_for_good)
{
	struct closing c = { .fd = -1 };

	closing_start(_metadata, self, &c);
	EXPECT_EQ(0, close(c.fd));
	c.fd = -1;
	/* Every transfer ended (counted), none left queued. */
	EXPECT_EQ(self->st0.in_flight,
		  in_flight_settles(self->fd, self->st0.in_flight, 2000));
	/* None had started copying into user memory; and none does later. */
	ZT_EXPECT_REGION(&c.usr_dst);
	zt_sleep_ms(2 * 500 + 200);
	ZT_EXPECT_REGION(&c.usr_dst);
	closing_fini(&c);
}

/* The pins of a closed file's transfers are returned too. */
TEST_F(life, close_unpins_user_memory)
{
	struct closing c = { .fd = -1 };
	long before = zt_vmlck_kb();

	closing_start(_metadata, self, &c);
	EXPECT_LT(before, zt_vmlck_kb());
	EXPECT_EQ(0, close(c.fd));
	c.fd = -1;
	EXPECT_EQ(before, zt_vmlck_kb());
	closing_fini(&c);
}

/* ---- exit ---- */

/* The child of an exit test: queue slow transfers, then report and go. */
static void exiting_child(int ready_fd, bool block)
{
	struct zt_region src, pd, ud;
	unsigned int i;
	__u64 id = 0;
	int fd = zt_open();

	if (fd < 0 ||
	    zt_region_init(fd, &src, ZT_KIND_USER, NR_CLOSE * XLEN, "src") ||
	    zt_region_init(fd, &pd, ZCDEV_BUF_PAGES, NR_CLOSE * XLEN, "pd") ||
	    zt_region_init(fd, &ud, ZT_KIND_USER, NR_CLOSE * XLEN, "ud"))
		_exit(1);
	zt_region_fill(&src, 1);
	for (i = 0; i < NR_CLOSE; i++) {
		struct zt_region *d = i % 2 ? &ud : &pd;

		if (zt_dma_submit1(fd, zt_region_ep(&src, i * XLEN),
				   zt_region_ep(d, i * XLEN), XLEN, i,
				   i ? NULL : &id))
			_exit(2);
	}
	if (write(ready_fd, "r", 1) != 1)
		_exit(3);
	if (block)
		zt_dma_wait(fd, id, 0, ZCDEV_DEADLINE_NEVER, NULL);
	_exit(0);
}

/*
 * Fork exiting_child() and return its pid once its transfers are queued,
 * or -1 (nothing left running) if it could not get that far.
 */
static pid_t start_exiting_child(bool block)
{
	int ready[2];
	pid_t pid;
	char c;

	if (pipe(ready))
		return -1;
	pid = fork();
	if (!pid)
		exiting_child(ready[1], block);
	close(ready[1]);
	if (pid > 0 && read(ready[0], &c, 1) != 1) {
		zt_wait(pid);
		pid = -1;
	}
	close(ready[0]);
	return pid;
}

TEST_F(life, exit_with_transfers_in_flight_ends_them)
{
	struct zcdev_dma_stats st;
	__u64 t0, took;
	pid_t pid;

	set_latency(_metadata, 500);
	pid = start_exiting_child(false);
	ASSERT_LT(0, pid);
	t0 = zt_now_ns();
	EXPECT_EQ(0, zt_wait(pid));
	took = zt_now_ns() - t0;
	/* Running them all would take NR_CLOSE x 500 ms. */
	EXPECT_GT(2000 * MS, (long long)took) TH_LOG("exit took %llu ms",
						     (unsigned long long)(took / MS));
	EXPECT_EQ(self->st0.in_flight,
		  in_flight_settles(self->fd, self->st0.in_flight, 2000));
	ASSERT_EQ(0, zt_dma_stats(self->fd, &st));
	EXPECT_LE(self->st0.transfers + NR_CLOSE, st.transfers);
}

TEST_F(life, kill_while_blocked_in_wait_ends_transfers)
{
	__u64 t0, took;
	pid_t pid;

	set_latency(_metadata, 5000);
	pid = start_exiting_child(true);
	ASSERT_LT(0, pid);
	zt_sleep_ms(100);
	t0 = zt_now_ns();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	EXPECT_EQ(-1, zt_wait(pid));	/* killed, not exited */
	took = zt_now_ns() - t0;
	EXPECT_GT(2500 * MS, (long long)took) TH_LOG("kill took %llu ms",
						     (unsigned long long)(took / MS));
	EXPECT_EQ(self->st0.in_flight,
		  in_flight_settles(self->fd, self->st0.in_flight, 2000));
}

/*
 * The submitter exits while another process still holds the file: its
 * transfers from its (now gone) memory run on, and land.
 */
TEST_F(life, submitter_exit_with_shared_file_transfers_still_land)
{
	struct zt_region dst;
	struct zcdev_dma_wait w;
	unsigned int i, n = 0;
	pid_t pid;

	ASSERT_EQ(0, zt_region_init(self->fd, &dst, ZCDEV_BUF_PAGES,
				    NR_CLOSE * XLEN, "dst"));
	zt_region_fill(&dst, 0x5eed4011);
	set_latency(_metadata, 10);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* The child's own memory, pinned, then the child is gone. */
		unsigned char *src = malloc(NR_CLOSE * XLEN);

		if (!src)
			_exit(1);
		zt_rfill(src, NR_CLOSE * XLEN, 0x5eed4012);
		for (i = 0; i < NR_CLOSE; i++)
			if (zt_dma_submit1(self->fd, zt_ep_user(src + i * XLEN),
					   zt_region_ep(&dst, i * XLEN),
					   XLEN, i, NULL))
				_exit(2);
		_exit(0);
	}
	ASSERT_EQ(0, zt_wait(pid));
	for (i = 0; i < NR_CLOSE; i++) {
		ASSERT_EQ(0, zt_dma_wait(self->fd, 0, ZCDEV_DMA_WAIT_ANY,
					 zt_deadline_in(ZT_HANG_NS), &w));
		EXPECT_EQ(ZT_DONE, w.status);
		n += w.status == ZT_DONE;
	}
	EXPECT_EQ((unsigned int)NR_CLOSE, n);
	/* What the child wrote, from its pinned pages. */
	zt_rfill(dst.shadow, NR_CLOSE * XLEN, 0x5eed4012);
	ZT_EXPECT_REGION(&dst);
	zt_region_fini(&dst);
}

/* ---- buffers freed, memory unmapped ---- */

/* The transfer holds its buffers: FREE does not pull them away. */
TEST_F(life, free_buffers_in_flight_then_wait_completes)
{
	struct zt_region a, b;
	__u64 id;

	ASSERT_EQ(0, zt_region_init(self->fd, &a, ZCDEV_BUF_PAGES, XLEN, "a"));
	ASSERT_EQ(0, zt_region_init(self->fd, &b, ZCDEV_BUF_COHERENT, XLEN,
				    "b"));
	zt_region_fill(&a, 0x5eed4004);
	zt_region_fill(&b, 0x5eed4005);
	set_latency(_metadata, 100);
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&a, 5),
				    zt_region_ep(&b, 7), XLEN - 20, 0, &id));
	ASSERT_EQ(0, zt_free(self->fd, a.handle));
	ASSERT_EQ(0, zt_free(self->fd, b.handle));
	ZT_EXPECT_DONE(self->fd, id, XLEN - 20);
	/* b is still mapped here, so its bytes can be looked at. */
	zt_region_expect_copy(&b, 7, &a, 5, XLEN - 20);
	ZT_EXPECT_REGION(&b);
	zt_region_fini(&b);
	zt_region_fini(&a);
}

/* Freed and unmapped: the memory goes once the transfer has ended. */
TEST_F(life, freed_unmapped_buffers_are_released_after_transfer)
{
	struct zcdev_alloc a, b;
	struct zcdev_info info;
	__u64 id;

	ASSERT_EQ(0, zt_alloc(self->fd, ZCDEV_BUF_PAGES, XLEN, &a));
	ASSERT_EQ(0, zt_alloc(self->fd, ZCDEV_BUF_COHERENT, XLEN, &b));
	set_latency(_metadata, 100);
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_ep_buf(a.handle, 0),
				    zt_ep_buf(b.handle, 0), XLEN, 0, &id));
	ASSERT_EQ(0, zt_free(self->fd, a.handle));
	ASSERT_EQ(0, zt_free(self->fd, b.handle));
	/* The handles are gone at once... */
	EXPECT_EQ(-ENOENT, zt_dma_submit1(self->fd, zt_ep_buf(a.handle, 0),
					  zt_ep_buf(b.handle, 0), 1, 0, NULL));
	ZT_EXPECT_DONE(self->fd, id, XLEN);
	/* ...the memory when the transfer has let go. */
	ASSERT_EQ(0, zt_info(self->fd, &info));
	EXPECT_EQ(0ULL, info.file_bytes);
}

TEST_F(life, munmap_user_dst_in_flight_is_safe)
{
	struct zt_region src, dst;
	long before = zt_vmlck_kb();
	__u64 id;

	ASSERT_EQ(0, zt_region_init(self->fd, &src, ZCDEV_BUF_COHERENT, XLEN,
				    "src"));
	ASSERT_EQ(0, zt_region_init(self->fd, &dst, ZT_KIND_USER, XLEN,
				    "dst"));
	zt_region_fill(&src, 0x5eed4006);
	zt_region_fill(&dst, 0x5eed4007);
	set_latency(_metadata, 100);
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&src, 0),
				    zt_region_ep(&dst, 0), XLEN, 0, &id));
	ASSERT_EQ(0, munmap(dst.mem, dst.map_len));
	dst.mem = NULL;
	ZT_EXPECT_DONE(self->fd, id, XLEN);
	EXPECT_EQ(before, zt_vmlck_kb());
	zt_region_fini(&dst);
	zt_region_fini(&src);
}

/* The source pages are pinned: unmapping them does not change the bytes. */
TEST_F(life, munmap_user_src_in_flight_still_copies_it)
{
	struct zt_region src, dst;
	__u64 id;

	ASSERT_EQ(0, zt_region_init(self->fd, &src, ZT_KIND_USER, XLEN,
				    "src"));
	ASSERT_EQ(0, zt_region_init(self->fd, &dst, ZCDEV_BUF_PAGES, XLEN,
				    "dst"));
	zt_region_fill(&src, 0x5eed4008);
	zt_region_fill(&dst, 0x5eed4009);
	set_latency(_metadata, 100);
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&src, 3),
				    zt_region_ep(&dst, 1), XLEN - 3, 0, &id));
	ASSERT_EQ(0, munmap(src.mem, src.map_len));
	src.mem = NULL;
	/* Recycle the freed memory, so stale bytes would show. */
	{
		void *p = mmap(NULL, XLEN, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		ASSERT_NE(MAP_FAILED, p);
		memset(p, 0xee, XLEN);
		munmap(p, XLEN);
	}
	ZT_EXPECT_DONE(self->fd, id, XLEN - 3);
	zt_region_expect_copy(&dst, 1, &src, 3, XLEN - 3);
	ZT_EXPECT_REGION(&dst);
	zt_region_fini(&dst);
	zt_region_fini(&src);
}

/* A pages buffer reached through its mapping: unmap and free it in flight. */
TEST_F(life, munmap_and_free_pages_mapping_used_as_user_dst_is_safe)
{
	struct zt_region src, dst;
	__u64 id;

	ASSERT_EQ(0, zt_region_init(self->fd, &src, ZCDEV_BUF_COHERENT, XLEN,
				    "src"));
	ASSERT_EQ(0, zt_region_init(self->fd, &dst, ZCDEV_BUF_PAGES, XLEN,
				    "dst"));
	zt_region_fill(&src, 0x5eed400a);
	set_latency(_metadata, 100);
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&src, 0),
				    zt_ep_user(dst.mem + 9), XLEN - 9, 0,
				    &id));
	ASSERT_EQ(0, munmap(dst.mem, dst.map_len));
	dst.mem = NULL;
	ASSERT_EQ(0, zt_free(self->fd, dst.handle));
	ZT_EXPECT_DONE(self->fd, id, XLEN - 9);
	zt_region_fini(&dst);
	zt_region_fini(&src);
}

/*
 * At most six transfers in flight may write one page (the DMA API does not
 * support more overlapping device-writable mappings): the seventh is
 * EBUSY, and the six all land.
 */
TEST_F(life, six_transfers_in_flight_into_one_user_page_land_seventh_is_ebusy)
{
	const unsigned int n = 6;
	struct zt_region src, dst;
	__u64 ids[6], extra;
	unsigned int i;
	int ret;

	ASSERT_EQ(0, zt_region_init(self->fd, &src, ZCDEV_BUF_PAGES,
				    self->page, "src"));
	ASSERT_EQ(0, zt_region_init(self->fd, &dst, ZT_KIND_USER,
				    self->page, "dst"));
	zt_region_fill(&src, 0x5eed4013);
	zt_region_fill(&dst, 0x5eed4014);
	/* Slow enough that all seven are submitted before the first ends. */
	set_latency(_metadata, 200);
	for (i = 0; i < n; i++) {
		ret = zt_dma_submit1(self->fd, zt_region_ep(&src, i * 64),
				     zt_region_ep(&dst, i * 64 + 8), 32, i,
				     &ids[i]);
		ASSERT_EQ(0, ret) TH_LOG("transfer %u: %s", i, strerror(-ret));
		zt_region_expect_copy(&dst, i * 64 + 8, &src, i * 64, 32);
	}
	EXPECT_EQ(-EBUSY, zt_dma_submit1(self->fd, zt_region_ep(&src, 1024),
					 zt_region_ep(&dst, 1024 + 8), 32, n,
					 &extra));
	set_latency(_metadata, 0);
	for (i = 0; i < n; i++)
		ZT_EXPECT_DONE(self->fd, ids[i], 32);
	ZT_EXPECT_REGION(&dst);
	zt_region_fini(&dst);
	zt_region_fini(&src);
}

/* Pins are charged to VmLck while the transfer lives, and only then. */
TEST_F(life, user_pins_are_charged_to_vmlck_until_reaped)
{
	struct zt_region src, dst;
	long before = zt_vmlck_kb(), pages;
	__u64 id;

	ASSERT_LE(0, before);
	ASSERT_EQ(0, zt_region_init(self->fd, &src, ZT_KIND_USER, XLEN,
				    "src"));
	ASSERT_EQ(0, zt_region_init(self->fd, &dst, ZT_KIND_USER,
				    XLEN + self->page, "dst"));
	zt_region_fill(&src, 0x5eed400b);
	zt_region_fill(&dst, 0x5eed400c);
	set_latency(_metadata, 50);
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&src, 0),
				    zt_region_ep(&dst, 1), XLEN, 0, &id));
	/* XLEN / page source pages, one more for the unaligned destination. */
	pages = 2 * (XLEN / self->page) + 1;
	EXPECT_EQ(before + pages * (long)self->page / 1024, zt_vmlck_kb());
	ZT_EXPECT_DONE(self->fd, id, XLEN);
	EXPECT_EQ(before, zt_vmlck_kb());
	zt_region_expect_copy(&dst, 1, &src, 0, XLEN);
	ZT_EXPECT_REGION(&dst);
	zt_region_fini(&dst);
	zt_region_fini(&src);
}

/* Another thread closes the fd while this one waits: the wait finishes. */
struct closer {
	int fd;
	unsigned int delay_ms;
};

static void *closer_thread(void *arg)
{
	struct closer *c = arg;

	zt_sleep_ms(c->delay_ms);
	close(c->fd);
	return NULL;
}

TEST_F(life, close_from_other_thread_during_wait_lets_wait_finish)
{
	struct closer cl = { .delay_ms = 100 };
	struct zt_region a, b;
	struct zcdev_dma_wait w;
	pthread_t th;
	__u64 id;
	int fd = zt_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, zt_region_init(fd, &a, ZCDEV_BUF_PAGES, self->page,
				    "a"));
	ASSERT_EQ(0, zt_region_init(fd, &b, ZCDEV_BUF_PAGES, self->page,
				    "b"));
	zt_region_fill(&a, 0x5eed400d);
	zt_region_fill(&b, 0x5eed400e);
	/* One page: one descriptor, done after the close. */
	set_latency(_metadata, 400);
	ASSERT_EQ(0, zt_dma_submit1(fd, zt_region_ep(&a, 0),
				    zt_region_ep(&b, 0), self->page, 0, &id));
	cl.fd = fd;
	ASSERT_EQ(0, pthread_create(&th, NULL, closer_thread, &cl));
	/* The ioctl holds the file: close() only drops the fd. */
	EXPECT_EQ(0, zt_dma_wait(fd, id, 0, zt_deadline_in(ZT_HANG_NS), &w));
	EXPECT_EQ(ZT_DONE, w.status);
	ASSERT_EQ(0, pthread_join(th, NULL));
	zt_region_expect_copy(&b, 0, &a, 0, self->page);
	ZT_EXPECT_REGION(&b);
	zt_region_fini(&b);
	zt_region_fini(&a);
}

/* ---- fork while user memory is pinned ---- */

/*
 * A transfer into private anonymous memory is in flight when the process
 * forks. The pinned pages are exclusive to the parent (6.1: a pinned
 * anonymous page is copied for the child at fork, never shared
 * copy-on-write), so the DMA lands where the parent looks, and what the
 * child writes into its copy stays in the child.
 */
#define FLEN		(4 * 4096)	/* four descriptors at most */

struct forked {
	struct zt_region src, dst;
	__u64 id;
	size_t off, len;	/* the destination range */
};

static void fork_start(struct __test_metadata *_metadata,
		       FIXTURE_DATA(life) *self, struct forked *f,
		       size_t off, size_t len)
{
	f->off = off;
	f->len = len;
	ASSERT_EQ(0, zt_region_init(self->fd, &f->src, ZCDEV_BUF_COHERENT,
				    FLEN, "src"));
	ASSERT_EQ(0, zt_region_init(self->fd, &f->dst, ZT_KIND_USER, FLEN,
				    "dst"));
	zt_region_fill(&f->src, 0x5eed400f);
	zt_region_fill(&f->dst, 0x5eed4010);
	set_latency(_metadata, 100);
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&f->src, 0),
				    zt_region_ep(&f->dst, off), len, 0,
				    &f->id));
}

TEST_F(life, fork_in_flight_parent_dst_gets_dma_data)
{
	struct forked f;
	pid_t pid;

	fork_start(_metadata, self, &f, 0, FLEN);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* The child scribbles over its view of the destination. */
		memset(f.dst.mem, 0xc5, FLEN);
		_exit(0);
	}
	EXPECT_EQ(0, zt_wait(pid));
	ZT_EXPECT_DONE(self->fd, f.id, FLEN);
	zt_region_expect_copy(&f.dst, 0, &f.src, 0, FLEN);
	ZT_EXPECT_REGION(&f.dst);
	zt_region_fini(&f.dst);
	zt_region_fini(&f.src);
}

TEST_F(life, fork_in_flight_child_writes_stay_in_child)
{
	struct forked f;
	int status;
	pid_t pid;

	fork_start(_metadata, self, &f, 0, FLEN);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		memset(f.dst.mem, 0xc5, FLEN);
		/* Past the DMA: the child still sees only its own bytes. */
		zt_sleep_ms(800);
		for (size_t i = 0; i < FLEN; i++)
			if (f.dst.mem[i] != 0xc5)
				_exit(10);
		_exit(0);
	}
	ZT_EXPECT_DONE(self->fd, f.id, FLEN);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("the DMA reached the child's copy");
	zt_region_fini(&f.dst);
	zt_region_fini(&f.src);
}

/*
 * After fork the parent writes bytes the transfer does not, on the very
 * pages it is writing. Were those pages shared copy-on-write with the
 * child, that write would give the parent fresh copies and the DMA would
 * land in the child's pages, lost to the parent.
 */
TEST_F(life, fork_in_flight_parent_writes_beside_dma_keep_its_data)
{
	const size_t off = 100, len = FLEN - 200;
	struct forked f;
	pid_t pid;

	fork_start(_metadata, self, &f, off, len);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		zt_sleep_ms(800);
		_exit(0);
	}
	ASSERT_EQ(-EAGAIN, zt_dma_wait(self->fd, f.id, 0, 0, NULL))
		TH_LOG("the transfer was no longer in flight at the write");
	memset(f.dst.mem, 0x11, off);
	memset(f.dst.shadow, 0x11, off);
	memset(f.dst.mem + off + len, 0x22, FLEN - off - len);
	memset(f.dst.shadow + off + len, 0x22, FLEN - off - len);
	ZT_EXPECT_DONE(self->fd, f.id, len);
	zt_region_expect_copy(&f.dst, off, &f.src, 0, len);
	ZT_EXPECT_REGION(&f.dst);
	EXPECT_EQ(0, zt_wait(pid));
	zt_region_fini(&f.dst);
	zt_region_fini(&f.src);
}

TEST_HARNESS_MAIN
