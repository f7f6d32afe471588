// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev DMA error paths: every way ZCDEV_IOC_DMA_SUBMIT, WAIT, CANCEL and
 * STATS can refuse, with the errno the header promises. A refused submit
 * must have no effect: no transfer to reap, nothing in flight, no pinned
 * user pages left charged to VmLck, and not one byte written anywhere.
 * The rules these ioctls share with every other (size, flags, reserved
 * fields, the segment descriptor's size, an unwritable argument) are
 * ioctl_rules.c's.
 */
#include <stddef.h>

#include "dma_test.h"

#define BUF_LEN		(64 * KiB)

FIXTURE(err) {
	int fd;
	struct zcdev_info info;
	size_t page;
	struct zt_region coh, pg, usr;
};

FIXTURE_SETUP(err)
{
	ZT_SETUP_DMA_FILE(self);
	ASSERT_EQ(0, zt_region_init(self->fd, &self->coh, ZCDEV_BUF_COHERENT,
				    BUF_LEN, "coherent"));
	ASSERT_EQ(0, zt_region_init(self->fd, &self->pg, ZCDEV_BUF_PAGES,
				    BUF_LEN, "pages"));
	ASSERT_EQ(0, zt_region_init(self->fd, &self->usr, ZT_KIND_USER,
				    BUF_LEN, "user"));
	zt_region_fill(&self->coh, 0x5eed1001);
	zt_region_fill(&self->pg, 0x5eed1002);
	zt_region_fill(&self->usr, 0x5eed1003);
}

FIXTURE_TEARDOWN(err)
{
	zt_region_fini(&self->usr);
	zt_region_fini(&self->pg);
	zt_region_fini(&self->coh);
	if (self->fd >= 0)
		close(self->fd);
}

/* Submit @segs, expect -@err, and check the refusal changed nothing. */
static void expect_refused(struct __test_metadata *_metadata,
			   FIXTURE_DATA(err) *self,
			   const struct zcdev_dma_seg_desc *segs, __u32 nr,
			   int err)
{
	__u64 in_flight = zt_dma_in_flight(self->fd);
	long vmlck = zt_vmlck_kb();
	int ret;

	ret = zt_dma_submit(self->fd, segs, nr, 0, NULL);
	EXPECT_EQ(-err, ret) TH_LOG("got %s, want %s", strerror(-ret),
				    strerror(err));
	/* Nothing to reap, nothing in flight, nothing left pinned. */
	EXPECT_EQ(-ENOENT, zt_dma_wait(self->fd, 0, ZCDEV_DMA_WAIT_ANY, 0,
				       NULL));
	EXPECT_EQ(in_flight, zt_dma_in_flight(self->fd));
	EXPECT_EQ(vmlck, zt_vmlck_kb());
	ZT_EXPECT_REGION(&self->coh);
	ZT_EXPECT_REGION(&self->pg);
	ZT_EXPECT_REGION(&self->usr);
}

static void refuse1(struct __test_metadata *_metadata,
		    FIXTURE_DATA(err) *self, struct zcdev_dma_ep src,
		    struct zcdev_dma_ep dst, __u64 len, int err)
{
	struct zcdev_dma_seg_desc seg = { .src = src, .dst = dst, .len = len };

	expect_refused(_metadata, self, &seg, 1, err);
}

/* The same arguments, but fine: proves a refusal was about the one change. */
static void accept1(struct __test_metadata *_metadata,
		    FIXTURE_DATA(err) *self, struct zcdev_dma_ep src,
		    struct zcdev_dma_ep dst, __u64 len)
{
	__u64 id;
	int ret;

	ret = zt_dma_submit1(self->fd, src, dst, len, 0, &id);
	ASSERT_EQ(0, ret) TH_LOG("control submit: %s", strerror(-ret));
	ZT_EXPECT_DONE(self->fd, id, len);
}

#define COH(off)	zt_region_ep(&self->coh, (off))
#define PG(off)		zt_region_ep(&self->pg, (off))
#define USR(off)	zt_region_ep(&self->usr, (off))

/* ---- handles ---- */

TEST_F(err, unknown_src_handle_is_enoent)
{
	refuse1(_metadata, self, zt_ep_buf(9999, 0), PG(0), 10, ENOENT);
}

TEST_F(err, unknown_dst_handle_is_enoent)
{
	refuse1(_metadata, self, PG(0), zt_ep_buf(9999, 0), 10, ENOENT);
}

TEST_F(err, handle_zero_is_enoent)
{
	refuse1(_metadata, self, zt_ep_buf(0, 0), PG(0), 10, ENOENT);
	refuse1(_metadata, self, PG(0), zt_ep_buf(0, 0), 10, ENOENT);
}

TEST_F(err, freed_handle_is_enoent)
{
	struct zcdev_alloc a;

	ASSERT_EQ(0, zt_alloc(self->fd, ZCDEV_BUF_PAGES, BUF_LEN, &a));
	ASSERT_EQ(0, zt_free(self->fd, a.handle));
	refuse1(_metadata, self, zt_ep_buf(a.handle, 0), PG(0), 10, ENOENT);
	refuse1(_metadata, self, PG(0), zt_ep_buf(a.handle, 0), 10, ENOENT);
}

/* A user source is pinned before the bad handle is found: and unpinned. */
TEST_F(err, bad_handle_after_pinned_user_source_releases_it)
{
	refuse1(_metadata, self, USR(0), zt_ep_buf(9999, 0), BUF_LEN, ENOENT);
}

/* ---- buffer ranges ---- */

TEST_F(err, src_range_past_buffer_end_is_einval)
{
	refuse1(_metadata, self, PG(BUF_LEN - 10), COH(0), 11, EINVAL);
	refuse1(_metadata, self, COH(BUF_LEN - 10), PG(0), 11, EINVAL);
	refuse1(_metadata, self, PG(BUF_LEN), COH(0), 1, EINVAL);
	refuse1(_metadata, self, COH(0), PG(0), BUF_LEN + 1, EINVAL);
	accept1(_metadata, self, PG(BUF_LEN - 10), COH(0), 10);
	zt_region_expect_copy(&self->coh, 0, &self->pg, BUF_LEN - 10, 10);
	ZT_EXPECT_REGION(&self->coh);
}

TEST_F(err, dst_range_past_buffer_end_is_einval)
{
	refuse1(_metadata, self, COH(0), PG(BUF_LEN - 10), 11, EINVAL);
	refuse1(_metadata, self, PG(0), COH(BUF_LEN - 10), 11, EINVAL);
	refuse1(_metadata, self, COH(0), PG(BUF_LEN), 1, EINVAL);
	accept1(_metadata, self, COH(0), PG(BUF_LEN - 10), 10);
	zt_region_expect_copy(&self->pg, BUF_LEN - 10, &self->coh, 0, 10);
	ZT_EXPECT_REGION(&self->pg);
}

TEST_F(err, buffer_offset_plus_len_overflow_is_einval)
{
	refuse1(_metadata, self, zt_ep_buf(self->pg.handle, ~0ULL - 5),
		COH(0), 10, EINVAL);
	refuse1(_metadata, self, COH(0),
		zt_ep_buf(self->pg.handle, ~0ULL - 5), 10, EINVAL);
	refuse1(_metadata, self, zt_ep_buf(self->coh.handle, ~0ULL),
		PG(0), 1, EINVAL);
	refuse1(_metadata, self, PG(0), zt_ep_buf(self->coh.handle, 1ULL << 63),
		1ULL << 63, EINVAL);
}

/* ---- overlap ---- */

static void same_buffer_overlaps(struct __test_metadata *_metadata,
				 FIXTURE_DATA(err) *self, struct zt_region *r)
{
	size_t p = self->page;

	/* identical, forward, backward, one byte at either edge */
	refuse1(_metadata, self, zt_region_ep(r, 0), zt_region_ep(r, 0), p,
		EINVAL);
	refuse1(_metadata, self, zt_region_ep(r, 0), zt_region_ep(r, 100),
		2 * p, EINVAL);
	refuse1(_metadata, self, zt_region_ep(r, 100), zt_region_ep(r, 0),
		2 * p, EINVAL);
	refuse1(_metadata, self, zt_region_ep(r, 0), zt_region_ep(r, p - 1),
		p, EINVAL);
	refuse1(_metadata, self, zt_region_ep(r, p - 1), zt_region_ep(r, 0),
		p, EINVAL);
	/* Touching is not overlapping. */
	accept1(_metadata, self, zt_region_ep(r, 0), zt_region_ep(r, p), p);
	zt_region_expect_copy(r, p, r, 0, p);
	ZT_EXPECT_REGION(r);
}

TEST_F(err, overlap_in_same_coherent_buffer_is_einval)
{
	same_buffer_overlaps(_metadata, self, &self->coh);
}

TEST_F(err, overlap_in_same_pages_buffer_is_einval)
{
	same_buffer_overlaps(_metadata, self, &self->pg);
}

/* A user range that maps a pages buffer is that buffer's memory. */
TEST_F(err, overlap_through_pages_mapping_is_einval)
{
	unsigned char *m = self->pg.mem;
	size_t p = self->page;

	refuse1(_metadata, self, PG(0), zt_ep_user(m + 100), 200, EINVAL);
	refuse1(_metadata, self, zt_ep_user(m), PG(150), 200, EINVAL);
	refuse1(_metadata, self, PG(p - 100), zt_ep_user(m + p + 50), 200,
		EINVAL);
	refuse1(_metadata, self, zt_ep_user(m + 3 * p), PG(2 * p + 1), p,
		EINVAL);
	/* Both sides through the mapping. */
	refuse1(_metadata, self, zt_ep_user(m), zt_ep_user(m + 10), 100,
		EINVAL);
	/* Same pages, different bytes: fine. */
	accept1(_metadata, self, PG(0), zt_ep_user(m + 100), 100);
	zt_region_expect_copy(&self->pg, 100, &self->pg, 0, 100);
	ZT_EXPECT_REGION(&self->pg);
}

TEST_F(err, overlap_of_user_ranges_is_einval)
{
	unsigned char *m = self->usr.mem;

	refuse1(_metadata, self, zt_ep_user(m), zt_ep_user(m + 10), 100,
		EINVAL);
	refuse1(_metadata, self, zt_ep_user(m + 10), zt_ep_user(m), 100,
		EINVAL);
	refuse1(_metadata, self, zt_ep_user(m), zt_ep_user(m), 1, EINVAL);
	accept1(_metadata, self, zt_ep_user(m), zt_ep_user(m + 100), 100);
	zt_region_expect_copy(&self->usr, 100, &self->usr, 0, 100);
	ZT_EXPECT_REGION(&self->usr);
}

/* Two virtual addresses, one page: the overlap is in memory, not in VA. */
TEST_F(err, overlap_of_aliased_user_mappings_is_einval)
{
	unsigned char *m1, *m2;
	int mfd = memfd_create("zcdev-alias", MFD_CLOEXEC);

	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, 2 * self->page));
	m1 = mmap(NULL, 2 * self->page, PROT_READ | PROT_WRITE, MAP_SHARED,
		  mfd, 0);
	m2 = mmap(NULL, 2 * self->page, PROT_READ | PROT_WRITE, MAP_SHARED,
		  mfd, 0);
	ASSERT_NE(MAP_FAILED, m1);
	ASSERT_NE(MAP_FAILED, m2);
	ASSERT_NE(m1, m2);
	zt_rfill(m1, 2 * self->page, 0x5eed1005);
	refuse1(_metadata, self, zt_ep_user(m1), zt_ep_user(m2 + 50), 100,
		EINVAL);
	refuse1(_metadata, self, zt_ep_user(m2 + self->page - 10),
		zt_ep_user(m1 + self->page), 20, EINVAL);
	accept1(_metadata, self, zt_ep_user(m1), zt_ep_user(m2 + 100), 100);
	EXPECT_EQ(0, memcmp(m1, m1 + 100, 100));
	munmap(m2, 2 * self->page);
	munmap(m1, 2 * self->page);
	close(mfd);
}

/* ---- segment fields ---- */

TEST_F(err, zero_length_is_einval)
{
	refuse1(_metadata, self, COH(0), PG(0), 0, EINVAL);
	refuse1(_metadata, self, USR(0), PG(0), 0, EINVAL);
	refuse1(_metadata, self, PG(0), USR(0), 0, EINVAL);
}

TEST_F(err, bad_segment_after_good_ones_refuses_all)
{
	struct zcdev_dma_seg_desc segs[3] = {
		{ .src = USR(0), .dst = PG(0), .len = 4096 },
		{ .src = COH(0), .dst = USR(8192), .len = 4096 },
		{ .src = COH(0), .dst = PG(8192), .len = 0 },
	};

	expect_refused(_metadata, self, segs, 3, EINVAL);
	segs[2].len = 1;
	segs[2].dst = zt_ep_buf(9999, 0);
	expect_refused(_metadata, self, segs, 3, ENOENT);
}

TEST_F(err, nr_segs_zero_is_einval)
{
	struct zcdev_dma_seg_desc seg = { .src = COH(0), .dst = PG(0),
					  .len = 1 };

	expect_refused(_metadata, self, &seg, 0, EINVAL);
}

TEST_F(err, nr_segs_over_max_is_einval)
{
	struct zcdev_dma_seg_desc *segs;
	unsigned int i;

	segs = calloc(ZCDEV_DMA_MAX_SEGS + 1, sizeof(*segs));
	ASSERT_NE(NULL, segs);
	for (i = 0; i <= ZCDEV_DMA_MAX_SEGS; i++) {
		segs[i].src = COH(i);
		segs[i].dst = PG(i);
		segs[i].len = 1;
	}
	expect_refused(_metadata, self, segs, ZCDEV_DMA_MAX_SEGS + 1, EINVAL);
	expect_refused(_metadata, self, segs, ~0U, EINVAL);
	free(segs);
}

TEST_F(err, unknown_endpoint_type_is_einval)
{
	static const __u32 types[] = { 0, 3, 0x100, ~0U };
	struct zcdev_dma_ep ep;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		ep = PG(0);
		ep.type = types[i];
		refuse1(_metadata, self, ep, COH(0), 10, EINVAL);
		refuse1(_metadata, self, COH(0), ep, 10, EINVAL);
	}
}

TEST_F(err, user_endpoint_with_handle_is_einval)
{
	struct zcdev_dma_ep ep = USR(0);

	ep.handle = self->pg.handle;
	refuse1(_metadata, self, ep, COH(0), 10, EINVAL);
	refuse1(_metadata, self, COH(0), ep, 10, EINVAL);
}

TEST_F(err, bad_segs_ptr_is_efault)
{
	void *hole = mmap(NULL, self->page, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct zcdev_dma_seg_desc *end;
	char *base;

	ASSERT_NE(MAP_FAILED, hole);
	expect_refused(_metadata, self, NULL, 1, EFAULT);
	expect_refused(_metadata, self, hole, 1, EFAULT);
	/* Two segments, the second one in a hole. */
	base = mmap(NULL, 2 * self->page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, base);
	ASSERT_EQ(0, munmap(base + self->page, self->page));
	end = (void *)(base + self->page - sizeof(*end));
	end->src = COH(0);
	end->dst = PG(0);
	end->len = 1;
	expect_refused(_metadata, self, end, 2, EFAULT);
	munmap(base, self->page);
	munmap(hole, self->page);
}

/* ---- user memory ---- */

TEST_F(err, readonly_user_dst_is_efault)
{
	unsigned char *ro = mmap(NULL, 4 * self->page, PROT_READ,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, ro);
	refuse1(_metadata, self, COH(0), zt_ep_user(ro), 100, EFAULT);
	refuse1(_metadata, self, PG(0), zt_ep_user(ro + 10), 3 * self->page,
		EFAULT);
	EXPECT_EQ(-1, zt_first_nonzero(ro, 4 * self->page));
	munmap(ro, 4 * self->page);
}

/* Read-only memory is fine as a source: only destinations are written. */
TEST_F(err, readonly_user_src_is_accepted)
{
	int mfd = memfd_create("zcdev-ro", MFD_CLOEXEC);
	unsigned char *ro;

	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, 4 * self->page));
	ro = mmap(NULL, 4 * self->page, PROT_READ | PROT_WRITE, MAP_SHARED,
		  mfd, 0);
	ASSERT_NE(MAP_FAILED, ro);
	zt_rfill(ro, 4 * self->page, 0x5eed1006);
	ASSERT_EQ(0, mprotect(ro, 4 * self->page, PROT_READ));
	accept1(_metadata, self, zt_ep_user(ro + 1), PG(3), 3 * self->page);
	memcpy(self->pg.shadow + 3, ro + 1, 3 * self->page);
	ZT_EXPECT_REGION(&self->pg);
	munmap(ro, 4 * self->page);
	close(mfd);
}

TEST_F(err, unmapped_user_memory_is_efault)
{
	unsigned char *hole = mmap(NULL, 2 * self->page, PROT_NONE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, munmap(hole, 2 * self->page));
	refuse1(_metadata, self, zt_ep_user(hole), PG(0), 100, EFAULT);
	refuse1(_metadata, self, PG(0), zt_ep_user(hole + 5), 100, EFAULT);
	refuse1(_metadata, self, zt_ep_user(NULL), PG(0), 100, EFAULT);
	refuse1(_metadata, self, PG(0), zt_ep_user(NULL), 100, EFAULT);
}

TEST_F(err, prot_none_user_memory_is_efault)
{
	unsigned char *none = mmap(NULL, 2 * self->page, PROT_NONE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, none);
	refuse1(_metadata, self, zt_ep_user(none), PG(0), 100, EFAULT);
	refuse1(_metadata, self, PG(0), zt_ep_user(none), 100, EFAULT);
	munmap(none, 2 * self->page);
}

/* The first pages are fine, the last is a hole: all of it is refused. */
TEST_F(err, user_range_running_into_hole_is_efault)
{
	size_t p = self->page;
	unsigned char *m = mmap(NULL, 4 * p, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, m);
	memset(m, 0x5a, 3 * p);
	ASSERT_EQ(0, munmap(m + 3 * p, p));
	refuse1(_metadata, self, zt_ep_user(m + 100), PG(0), 3 * p, EFAULT);
	refuse1(_metadata, self, COH(0), zt_ep_user(m + 100), 3 * p, EFAULT);
	munmap(m, 3 * p);
}

TEST_F(err, kernel_address_is_efault)
{
	struct zcdev_dma_ep k = { .type = ZCDEV_DMA_EP_USER,
				  .addr = 0xffff888000000000ULL };

	refuse1(_metadata, self, k, PG(0), 100, EFAULT);
	refuse1(_metadata, self, PG(0), k, 100, EFAULT);
	k.addr = ~0ULL - 50;
	refuse1(_metadata, self, k, PG(0), 100, EFAULT);
}

/* Past the top of the user address space (x86-64: 47 bits). */
TEST_F(err, user_range_past_user_space_is_efault)
{
	struct zcdev_dma_ep top = { .type = ZCDEV_DMA_EP_USER,
				    .addr = 0x00007ffffffff000ULL };

	refuse1(_metadata, self, top, PG(0), 2 * self->page, EFAULT);
	refuse1(_metadata, self, PG(0), top, 2 * self->page, EFAULT);
}

/* A coherent buffer's mapping is a PFN map: nothing there to pin. */
TEST_F(err, coherent_mapping_as_user_endpoint_is_efault)
{
	unsigned char *m = self->coh.mem;

	refuse1(_metadata, self, zt_ep_user(m), PG(0), 100, EFAULT);
	refuse1(_metadata, self, PG(0), zt_ep_user(m + 10), 100, EFAULT);
	refuse1(_metadata, self, USR(0), zt_ep_user(m), 100, EFAULT);
	/* Not an overlap question: its own buffer through its mapping. */
	refuse1(_metadata, self, COH(0), zt_ep_user(m + self->page), 100,
		EFAULT);
}

/* Without CAP_IPC_LOCK, pins count against RLIMIT_MEMLOCK. */
TEST_F(err, user_range_over_memlock_limit_is_enomem)
{
	struct rlimit rl = { 16 * KiB, 16 * KiB };

	ASSERT_EQ(0, zt_drop_effective_cap(CAP_IPC_LOCK));
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
	/* Three pages fit under 16 KiB... */
	accept1(_metadata, self, USR(0), PG(0), 3 * self->page);
	zt_region_expect_copy(&self->pg, 0, &self->usr, 0, 3 * self->page);
	ZT_EXPECT_REGION(&self->pg);
	/* ...and sixteen do not, on either side. */
	refuse1(_metadata, self, USR(0), PG(0), BUF_LEN, ENOMEM);
	refuse1(_metadata, self, PG(0), USR(0), BUF_LEN, ENOMEM);
	/* Two segments of three pages each: together over the limit. */
	{
		struct zcdev_dma_seg_desc segs[2] = {
			{ .src = USR(0), .dst = PG(0),
			  .len = 3 * self->page },
			{ .src = USR(8 * self->page), .dst = PG(8 * self->page),
			  .len = 3 * self->page },
		};

		expect_refused(_metadata, self, segs, 2, ENOMEM);
	}
}

/* ---- WAIT, CANCEL, STATS ---- */

TEST_F(err, wait_unknown_id_is_enoent)
{
	__u64 id;

	EXPECT_EQ(-ENOENT, zt_dma_wait(self->fd, 12345, 0, 0, NULL));
	EXPECT_EQ(-ENOENT, zt_dma_wait(self->fd, 12345, 0,
				       ZCDEV_DEADLINE_NEVER, NULL));
	EXPECT_EQ(-ENOENT, zt_dma_wait(self->fd, 0, 0,
				       zt_deadline_in(NSEC_PER_SEC), NULL));
	/* Also with another transfer around. */
	ASSERT_EQ(0, zt_dma_submit1(self->fd, COH(0), PG(0), 10, 0, &id));
	EXPECT_EQ(-ENOENT, zt_dma_wait(self->fd, id + 1, 0,
				       ZCDEV_DEADLINE_NEVER, NULL));
	EXPECT_EQ(-ENOENT, zt_dma_wait(self->fd, ~0ULL, 0,
				       ZCDEV_DEADLINE_NEVER, NULL));
	ZT_EXPECT_DONE(self->fd, id, 10);
}

TEST_F(err, wait_any_with_no_transfer_is_enoent)
{
	EXPECT_EQ(-ENOENT, zt_dma_wait(self->fd, 0, ZCDEV_DMA_WAIT_ANY, 0,
				       NULL));
	EXPECT_EQ(-ENOENT, zt_dma_wait(self->fd, 0, ZCDEV_DMA_WAIT_ANY,
				       ZCDEV_DEADLINE_NEVER, NULL));
}

TEST_F(err, cancel_unknown_id_is_enoent)
{
	__u64 id;

	EXPECT_EQ(-ENOENT, zt_dma_cancel(self->fd, 12345, 0, NULL));
	EXPECT_EQ(-ENOENT, zt_dma_cancel(self->fd, 0, 0, NULL));
	ASSERT_EQ(0, zt_dma_submit1(self->fd, COH(0), PG(0), 10, 0, &id));
	EXPECT_EQ(-ENOENT, zt_dma_cancel(self->fd, id + 1, 0, NULL));
	ZT_EXPECT_DONE(self->fd, id, 10);
}

/* ---- queue depth ---- */

static int queue_depth(unsigned long *depth)
{
	return zt_read_ulong("/sys/module/zcdev/parameters/dma_queue_depth",
			     depth);
}

TEST_F(err, unreaped_transfers_over_queue_depth_are_ebusy)
{
	unsigned long depth, i;
	struct zcdev_dma_wait w;
	__u64 id;

	if (queue_depth(&depth))
		SKIP(return, "no /sys/module/zcdev/parameters/dma_queue_depth");
	if (depth > 4096)
		SKIP(return, "dma_queue_depth %lu is too deep to fill", depth);
	for (i = 0; i < depth; i++)
		ASSERT_EQ(0, zt_dma_submit1(self->fd, COH(i % BUF_LEN),
					    PG(i % BUF_LEN), 1, i, NULL))
			TH_LOG("transfer %lu of %lu", i, depth);
	/* All of them finished (WAIT_ANY returns at once), none reaped. */
	ASSERT_EQ(0, zt_dma_wait(self->fd, 0, ZCDEV_DMA_WAIT_ANY,
				 zt_deadline_in(ZT_HANG_NS), &w));
	ASSERT_EQ(0, zt_dma_submit1(self->fd, COH(0), PG(0), 1, 0, &id));
	/* Now depth unreaped again: one more is refused... */
	EXPECT_EQ(-EBUSY, zt_dma_submit1(self->fd, COH(0), PG(0), 1, 0, NULL));
	EXPECT_EQ(-EBUSY, zt_dma_submit1(self->fd, USR(0), PG(0), 1, 0, NULL));
	/* ...until one is reaped. */
	ZT_EXPECT_DONE(self->fd, id, 1);
	EXPECT_EQ(0, zt_dma_submit1(self->fd, COH(0), PG(0), 1, 0, NULL));
}

/* The limit is per file: another file is not refused. */
TEST_F(err, queue_depth_is_per_file)
{
	unsigned long depth, i;
	struct zcdev_alloc a, b;
	__u64 id;
	int fd2;

	if (queue_depth(&depth))
		SKIP(return, "no /sys/module/zcdev/parameters/dma_queue_depth");
	if (depth > 4096)
		SKIP(return, "dma_queue_depth %lu is too deep to fill", depth);
	for (i = 0; i < depth; i++)
		ASSERT_EQ(0, zt_dma_submit1(self->fd, COH(0), PG(0), 1, i,
					    NULL));
	EXPECT_EQ(-EBUSY, zt_dma_submit1(self->fd, COH(0), PG(0), 1, 0, NULL));
	fd2 = zt_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, zt_alloc(fd2, ZCDEV_BUF_PAGES, self->page, &a));
	ASSERT_EQ(0, zt_alloc(fd2, ZCDEV_BUF_PAGES, self->page, &b));
	ASSERT_EQ(0, zt_dma_submit1(fd2, zt_ep_buf(a.handle, 0),
				    zt_ep_buf(b.handle, 0), 10, 0, &id));
	ZT_EXPECT_DONE(fd2, id, 10);
	close(fd2);
}

TEST_HARNESS_MAIN
