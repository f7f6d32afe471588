// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev DMA data path: ZCDEV_IOC_DMA_SUBMIT moves the right bytes between
 * every pair of endpoint kinds and nothing else, and ZCDEV_IOC_DMA_WAIT
 * and poll() report transfers as the header promises.
 *
 * The "xfer" fixture runs once per source and destination kind (coherent
 * buffer, pages buffer, user memory: 9 pairs). Every check compares whole
 * regions with their shadows (dma_test.h): the copied range, the guard
 * bytes around it, and the untouched source. Randomized tests log their
 * seed; ZCDEV_SEED=<seed> repeats a run.
 */
#include "dma_test.h"

/* Region size; coherent ones shrink if memory is too fragmented. */
#define REGION_LEN	(4 * MiB)
#define REGION_MIN	(1 * MiB)

FIXTURE(xfer) {
	int fd;
	struct zcdev_info info;
	size_t page;
	size_t len;		/* usable bytes in both regions */
	struct zt_region src, dst;
};

FIXTURE_VARIANT(xfer) {
	__u32 src_kind;
	__u32 dst_kind;
};

#define XFER_VARIANT(s, d, sk, dk) \
	FIXTURE_VARIANT_ADD(xfer, s##_to_##d) { \
		.src_kind = sk, \
		.dst_kind = dk, \
	}

XFER_VARIANT(coherent, coherent, ZCDEV_BUF_COHERENT, ZCDEV_BUF_COHERENT);
XFER_VARIANT(coherent, pages, ZCDEV_BUF_COHERENT, ZCDEV_BUF_PAGES);
XFER_VARIANT(coherent, user, ZCDEV_BUF_COHERENT, ZT_KIND_USER);
XFER_VARIANT(pages, coherent, ZCDEV_BUF_PAGES, ZCDEV_BUF_COHERENT);
XFER_VARIANT(pages, pages, ZCDEV_BUF_PAGES, ZCDEV_BUF_PAGES);
XFER_VARIANT(pages, user, ZCDEV_BUF_PAGES, ZT_KIND_USER);
XFER_VARIANT(user, coherent, ZT_KIND_USER, ZCDEV_BUF_COHERENT);
XFER_VARIANT(user, pages, ZT_KIND_USER, ZCDEV_BUF_PAGES);
XFER_VARIANT(user, user, ZT_KIND_USER, ZT_KIND_USER);

FIXTURE_SETUP(xfer)
{
	self->fd = -1;
	zt_hold_restore();
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_DMA(&self->info);
	if (variant->src_kind != ZT_KIND_USER)
		ZT_SETUP_NEED_KIND(&self->info, variant->src_kind);
	if (variant->dst_kind != ZT_KIND_USER)
		ZT_SETUP_NEED_KIND(&self->info, variant->dst_kind);
	self->page = self->info.page_size;

	ASSERT_EQ(0, zt_region_init_fit(self->fd, &self->src, variant->src_kind,
					REGION_LEN, REGION_MIN, "src"));
	ASSERT_EQ(0, zt_region_init_fit(self->fd, &self->dst, variant->dst_kind,
					REGION_LEN, REGION_MIN, "dst"));
	self->len = self->src.len < self->dst.len ? self->src.len :
						    self->dst.len;
	zt_region_fill(&self->src, 0x5eed0001);
	zt_region_fill(&self->dst, 0x5eed0002);
}

FIXTURE_TEARDOWN(xfer)
{
	zt_region_fini(&self->dst);
	zt_region_fini(&self->src);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Copy @len bytes from src+@soff to dst+@doff in one segment, reap it and
 * check the answer and both whole regions. @w (may be NULL) gets WAIT's.
 */
static void xfer_check(struct __test_metadata *_metadata,
		       FIXTURE_DATA(xfer) *self, size_t soff, size_t doff,
		       size_t len, struct zcdev_dma_wait *w)
{
	struct zcdev_dma_wait tmp;
	__u64 id;
	int ret;

	if (!w)
		w = &tmp;
	ret = zt_dma_submit1(self->fd, zt_region_ep(&self->src, soff),
			     zt_region_ep(&self->dst, doff), len, 0, &id);
	ASSERT_EQ(0, ret) TH_LOG("submit %zu bytes %zu -> %zu: %s", len, soff,
				 doff, strerror(-ret));
	ASSERT_EQ(0, zt_dma_wait(self->fd, id, 0,
				 zt_deadline_in(ZT_HANG_NS), w));
	EXPECT_EQ(id, w->id);
	EXPECT_EQ(ZT_DONE, w->status) TH_LOG("error %d", w->error);
	EXPECT_EQ(0, w->error);
	EXPECT_EQ(len, w->bytes);
	zt_region_expect_copy(&self->dst, doff, &self->src, soff, len);
	ZT_EXPECT_REGION(&self->dst);
	ZT_EXPECT_REGION(&self->src);
}

TEST_F(xfer, one_byte_lands_with_guards)
{
	xfer_check(_metadata, self, 777, self->page + 1, 1, NULL);
}

TEST_F(xfer, unaligned_span_across_pages_lands_with_guards)
{
	xfer_check(_metadata, self, 3, self->page - 3, 3 * self->page + 11,
		   NULL);
}

TEST_F(xfer, page_aligned_pages_land_with_guards)
{
	xfer_check(_metadata, self, self->page, 2 * self->page,
		   5 * self->page, NULL);
}

TEST_F(xfer, several_mib_unaligned_lands_with_guards)
{
	size_t doff = self->page + 3;

	xfer_check(_metadata, self, 1, doff, self->len - doff - 7, NULL);
}

TEST_F(xfer, whole_region_lands)
{
	xfer_check(_metadata, self, 0, 0, self->len, NULL);
}

TEST_F(xfer, last_byte_of_buffer_lands)
{
	xfer_check(_metadata, self, self->len - 1, self->len - 1, 1, NULL);
}

#define RANDOM_ROUNDS	12

TEST_F(xfer, random_ranges_from_seed_land)
{
	__u64 seed = zt_seed(), s = seed;
	unsigned int i;

	TH_LOG("seed %#llx (ZCDEV_SEED=%#llx repeats it)",
	       (unsigned long long)seed, (unsigned long long)seed);
	for (i = 0; i < RANDOM_ROUNDS && _metadata->passed; i++) {
		size_t len = zt_rand_len(&s, self->len);
		size_t soff = zt_rand_below(&s, self->len - len + 1);
		size_t doff = zt_rand_below(&s, self->len - len + 1);

		/* New source bytes, so a copy that did not happen shows. */
		zt_region_fill_range(&self->src, soff, len, zt_splitmix(&s));
		xfer_check(_metadata, self, soff, doff, len, NULL);
		if (!_metadata->passed)
			TH_LOG("round %u: %zu bytes %zu -> %zu", i, len, soff,
			       doff);
	}
}

TEST_F(xfer, wait_reports_done_bytes_time_and_user_data)
{
	const __u64 cookie = 0xfeedface01234567ULL;
	struct zcdev_dma_wait w;
	size_t len = 3 * self->page + 5;
	__u64 id;

	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&self->src, 9),
				    zt_region_ep(&self->dst, 11), len, cookie,
				    &id));
	EXPECT_NE(0ULL, id);
	ASSERT_EQ(0, zt_dma_wait(self->fd, id, 0,
				 zt_deadline_in(ZT_HANG_NS), &w));
	EXPECT_EQ(sizeof(w), w.size);
	EXPECT_EQ(id, w.id);
	EXPECT_EQ(ZT_DONE, w.status);
	EXPECT_EQ(0, w.error);
	EXPECT_EQ(len, w.bytes);
	EXPECT_LT(0ULL, w.engine_ns);
	EXPECT_GT(10 * NSEC_PER_SEC, (long long)w.engine_ns);
	EXPECT_EQ(cookie, w.user_data);
}

/*
 * The "mix" fixture: three sources and three destinations, one of each
 * kind, and transfers whose segments mix them at random.
 */
enum { MIX_COHERENT, MIX_PAGES, MIX_USER, MIX_KINDS };

static const __u32 mix_kind[MIX_KINDS] = {
	ZCDEV_BUF_COHERENT, ZCDEV_BUF_PAGES, ZT_KIND_USER,
};

static const char *const mix_src_name[MIX_KINDS] = {
	"src coherent", "src pages", "src user",
};

static const char *const mix_dst_name[MIX_KINDS] = {
	"dst coherent", "dst pages", "dst user",
};

FIXTURE(mix) {
	int fd;
	struct zcdev_info info;
	size_t page;
	struct zt_region src[MIX_KINDS], dst[MIX_KINDS];
	struct zcdev_dma_seg_desc *segs;
	struct mix_plan *plan;
};

struct mix_plan {
	unsigned int s, d;
	size_t soff, doff, len;
};

FIXTURE_SETUP(mix)
{
	int i;

	ZT_SETUP_DMA_FILE(self);
	for (i = 0; i < MIX_KINDS; i++) {
		ASSERT_EQ(0, zt_region_init_fit(self->fd, &self->src[i],
						mix_kind[i], REGION_LEN,
						REGION_MIN, mix_src_name[i]));
		ASSERT_EQ(0, zt_region_init_fit(self->fd, &self->dst[i],
						mix_kind[i], REGION_LEN,
						REGION_MIN, mix_dst_name[i]));
		zt_region_fill(&self->src[i], 0x5eed0100 + i);
		zt_region_fill(&self->dst[i], 0x5eed0200 + i);
	}
	self->segs = calloc(ZCDEV_DMA_MAX_SEGS, sizeof(*self->segs));
	self->plan = calloc(ZCDEV_DMA_MAX_SEGS, sizeof(*self->plan));
	ASSERT_NE(NULL, self->segs);
	ASSERT_NE(NULL, self->plan);
}

FIXTURE_TEARDOWN(mix)
{
	int i;

	free(self->plan);
	free(self->segs);
	for (i = 0; i < MIX_KINDS; i++) {
		zt_region_fini(&self->dst[i]);
		zt_region_fini(&self->src[i]);
	}
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Plan up to @nr segments of at most @max_len bytes each: random kinds on
 * both sides, random source ranges (which may overlap each other), and
 * destination ranges laid out left to right per destination with random
 * gaps (0 included), so no two segments write the same byte. Returns how
 * many fitted.
 */
static unsigned int mix_plan(FIXTURE_DATA(mix) *self, __u64 *s,
			     unsigned int nr, size_t max_len)
{
	size_t cursor[MIX_KINDS] = { 0 };
	unsigned int i, n = 0, tries;

	for (i = 0; i < nr; i++) {
		struct mix_plan *p = &self->plan[n];
		size_t room = 0, gap = 0, len;

		for (tries = 0; tries < 2 * MIX_KINDS; tries++) {
			p->d = tries < MIX_KINDS ? zt_rand_below(s, MIX_KINDS) :
						   tries - MIX_KINDS;
			gap = zt_rand_below(s, 3) ? zt_rand_below(s, 64) : 0;
			if (cursor[p->d] + gap < self->dst[p->d].len) {
				room = self->dst[p->d].len - cursor[p->d] - gap;
				break;
			}
		}
		if (!room)
			break;
		p->s = zt_rand_below(s, MIX_KINDS);
		len = zt_rand_len(s, room < max_len ? room : max_len);
		if (len > self->src[p->s].len)
			len = self->src[p->s].len;
		p->len = len;
		p->soff = zt_rand_below(s, self->src[p->s].len - len + 1);
		p->doff = cursor[p->d] + gap;
		cursor[p->d] = p->doff + len;
		n++;
	}
	return n;
}

/* Run the first @n planned segments as one transfer and check everything. */
static void mix_run(struct __test_metadata *_metadata,
		    FIXTURE_DATA(mix) *self, unsigned int n, __u64 *s)
{
	struct zcdev_dma_wait w;
	__u64 id, total = 0;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		struct mix_plan *p = &self->plan[i];

		zt_region_fill_range(&self->src[p->s], p->soff, p->len,
				     zt_splitmix(s));
	}
	for (i = 0; i < n; i++) {
		struct mix_plan *p = &self->plan[i];

		self->segs[i].src = zt_region_ep(&self->src[p->s], p->soff);
		self->segs[i].dst = zt_region_ep(&self->dst[p->d], p->doff);
		self->segs[i].len = p->len;
		total += p->len;
		/* Sources were filled first: the shadows hold final bytes. */
		zt_region_expect_copy(&self->dst[p->d], p->doff,
				      &self->src[p->s], p->soff, p->len);
	}
	ret = zt_dma_submit(self->fd, self->segs, n, total, &id);
	ASSERT_EQ(0, ret) TH_LOG("submit of %u segments: %s", n,
				 strerror(-ret));
	ASSERT_EQ(0, zt_dma_wait(self->fd, id, 0,
				 zt_deadline_in(ZT_HANG_NS), &w));
	EXPECT_EQ(ZT_DONE, w.status) TH_LOG("error %d", w.error);
	EXPECT_EQ(total, w.bytes);
	EXPECT_EQ(total, w.user_data);
	for (i = 0; i < MIX_KINDS; i++) {
		ZT_EXPECT_REGION(&self->dst[i]);
		ZT_EXPECT_REGION(&self->src[i]);
	}
}

static void mix_log_plan(struct __test_metadata *_metadata,
			 FIXTURE_DATA(mix) *self, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n && i < 64; i++) {
		struct mix_plan *p = &self->plan[i];

		TH_LOG("  seg %u: %s+%zu -> %s+%zu, %zu bytes", i,
		       mix_src_name[p->s], p->soff, mix_dst_name[p->d],
		       p->doff, p->len);
	}
}

#define MIX_ROUNDS	10
/*
 * Megabytes of random segments: seconds on x86 under emulation, but a
 * PL330 emulated by QEMU on 32-bit ARM moves a few MB/s.
 */
#define MIX_TIMEOUT_S	240

TEST_F_TIMEOUT(mix, random_segments_of_mixed_kinds_land, MIX_TIMEOUT_S)
{
	__u64 seed = zt_seed(), s = seed;
	unsigned int round, n;

	TH_LOG("seed %#llx (ZCDEV_SEED=%#llx repeats it)",
	       (unsigned long long)seed, (unsigned long long)seed);
	for (round = 0; round < MIX_ROUNDS && _metadata->passed; round++) {
		n = mix_plan(self, &s, 1 + zt_rand_below(&s, 64), 2 * MiB);
		ASSERT_LT(0U, n);
		mix_run(_metadata, self, n, &s);
		if (!_metadata->passed) {
			TH_LOG("round %u, %u segments:", round, n);
			mix_log_plan(_metadata, self, n);
		}
	}
}

TEST_F_TIMEOUT(mix, max_segs_in_one_submit_land, MIX_TIMEOUT_S)
{
	__u64 seed = zt_seed(), s = seed;
	unsigned int n;

	TH_LOG("seed %#llx (ZCDEV_SEED=%#llx repeats it)",
	       (unsigned long long)seed, (unsigned long long)seed);
	n = mix_plan(self, &s, ZCDEV_DMA_MAX_SEGS, 2 * self->page);
	ASSERT_EQ((unsigned int)ZCDEV_DMA_MAX_SEGS, n);
	mix_run(_metadata, self, n, &s);
}

/* Every endpoint type in one submit, each segment its own pair. */
TEST_F(mix, one_submit_with_all_nine_pairs_lands)
{
	unsigned int sk, dk, n = 0;
	__u64 s = 0x5eed0300;

	for (sk = 0; sk < MIX_KINDS; sk++)
		for (dk = 0; dk < MIX_KINDS; dk++) {
			struct mix_plan *p = &self->plan[n++];

			p->s = sk;
			p->d = dk;
			p->len = 2 * self->page + 100 + n;
			p->soff = 13 * n + sk;
			/* Three segments per destination, gaps between. */
			p->doff = sk * (3 * self->page) + 7;
		}
	mix_run(_metadata, self, n, &s);
}

/* ---- the "dma" fixture: one file, a few small buffers ---- */

FIXTURE(dma) {
	int fd;
	struct zcdev_info info;
	size_t page;
	struct zt_region a, b;	/* a coherent and a pages buffer */
};

FIXTURE_SETUP(dma)
{
	ZT_SETUP_DMA_FILE(self);
	ASSERT_EQ(0, zt_region_init(self->fd, &self->a, ZCDEV_BUF_COHERENT,
				    64 * KiB, "coherent"));
	ASSERT_EQ(0, zt_region_init(self->fd, &self->b, ZCDEV_BUF_PAGES,
				    64 * KiB, "pages"));
	zt_region_fill(&self->a, 0x5eed0401);
	zt_region_fill(&self->b, 0x5eed0402);
}

FIXTURE_TEARDOWN(dma)
{
	zt_region_fini(&self->b);
	zt_region_fini(&self->a);
	if (self->fd >= 0)
		close(self->fd);
}

/* Source and destination in one buffer: allowed when they do not overlap. */
static void same_buffer_adjacent(struct __test_metadata *_metadata,
				 int fd, struct zt_region *r, size_t page)
{
	size_t len = 2 * page + 5;
	__u64 id;

	ASSERT_EQ(0, zt_dma_submit1(fd, zt_region_ep(r, 0),
				    zt_region_ep(r, len), len, 0, &id));
	ZT_EXPECT_DONE(fd, id, len);
	zt_region_expect_copy(r, len, r, 0, len);
	ZT_EXPECT_REGION(r);
}

TEST_F(dma, same_coherent_buffer_adjacent_ranges_copy)
{
	same_buffer_adjacent(_metadata, self->fd, &self->a, self->page);
}

TEST_F(dma, same_pages_buffer_adjacent_ranges_copy)
{
	same_buffer_adjacent(_metadata, self->fd, &self->b, self->page);
}

/* The same page, different bytes: no overlap through the user mapping. */
TEST_F(dma, pages_mapping_as_user_endpoint_disjoint_bytes_copy)
{
	__u64 id;

	/* Buffer bytes 0..99 to the mapping's bytes 100..199: one page. */
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_ep_buf(self->b.handle, 0),
				    zt_ep_user(self->b.mem + 100), 100, 0,
				    &id));
	ZT_EXPECT_DONE(self->fd, id, 100);
	zt_region_expect_copy(&self->b, 100, &self->b, 0, 100);
	ZT_EXPECT_REGION(&self->b);
}

/* A pages buffer's mapping is ordinary pinnable memory. */
TEST_F(dma, pages_mapping_as_user_endpoint_lands)
{
	size_t len = 5 * self->page + 3;
	unsigned char *check = malloc(len);
	__u64 id;

	ASSERT_NE(NULL, check);
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&self->a, 1),
				    zt_ep_user(self->b.mem + 2), len, 0, &id));
	ZT_EXPECT_DONE(self->fd, id, len);
	zt_region_expect_copy(&self->b, 2, &self->a, 1, len);
	ZT_EXPECT_REGION(&self->b);
	ZT_EXPECT_REGION(&self->a);
	/* pread sees what the mapping sees. */
	ASSERT_EQ((ssize_t)len, zt_pread(self->fd, check, len,
					 self->b.offset + 2));
	EXPECT_EQ(-1, zt_diff(check, self->b.shadow + 2, len));
	free(check);
}

/* Shared memory (memfd) as source and destination of user endpoints. */
TEST_F(dma, memfd_shared_memory_as_user_endpoints_lands)
{
	size_t len = 16 * self->page;
	unsigned char *m;
	__u64 id;
	int mfd;

	mfd = memfd_create("zcdev-dma", MFD_CLOEXEC);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, 2 * len));
	m = mmap(NULL, 2 * len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, m);
	zt_rfill(m, 2 * len, 0x5eed0403);

	/* memfd -> pages buffer */
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_ep_user(m + 5),
				    zt_region_ep(&self->b, 7), len - 9, 0,
				    &id));
	ZT_EXPECT_DONE(self->fd, id, len - 9);
	memcpy(self->b.shadow + 7, m + 5, len - 9);
	ZT_EXPECT_REGION(&self->b);

	/* coherent buffer -> memfd, second half */
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&self->a, 0),
				    zt_ep_user(m + len + 1), len - 2, 0, &id));
	ZT_EXPECT_DONE(self->fd, id, len - 2);
	EXPECT_EQ(-1, zt_diff(m + len + 1, self->a.shadow, len - 2));
	munmap(m, 2 * len);
	close(mfd);
}

#define NR_Q	8

TEST_F(dma, wait_any_reaps_in_completion_order)
{
	__u64 ids[NR_Q];
	struct zcdev_dma_wait w;
	unsigned int i;

	for (i = 0; i < NR_Q; i++)
		ASSERT_EQ(0, zt_dma_submit1(self->fd,
					    zt_region_ep(&self->a, i * 1000),
					    zt_region_ep(&self->b, i * 1000),
					    1000, 100 + i, &ids[i]));
	/* One channel, so they end in submission order. */
	for (i = 0; i < NR_Q; i++) {
		ASSERT_EQ(0, zt_dma_wait(self->fd, 0, ZCDEV_DMA_WAIT_ANY,
					 zt_deadline_in(ZT_HANG_NS), &w));
		EXPECT_EQ(ids[i], w.id) TH_LOG("reap %u", i);
		EXPECT_EQ(100 + i, w.user_data);
		EXPECT_EQ(ZT_DONE, w.status);
		EXPECT_EQ(1000ULL, w.bytes);
	}
	EXPECT_EQ(-ENOENT, zt_dma_wait(self->fd, 0, ZCDEV_DMA_WAIT_ANY, 0,
				       NULL));
	for (i = 0; i < NR_Q; i++)
		zt_region_expect_copy(&self->b, i * 1000, &self->a, i * 1000,
				      1000);
	ZT_EXPECT_REGION(&self->b);
}

/*
 * "Transfers on one file complete in submission order": also when the
 * first is big user memory (slow to unpin) and the rest are tiny.
 */
TEST_F(dma, wait_any_order_holds_for_big_then_small_transfers)
{
	struct zt_region us, ud;
	struct zcdev_dma_wait w;
	__u64 ids[NR_Q];
	unsigned int i, round;

	ASSERT_EQ(0, zt_region_init(self->fd, &us, ZT_KIND_USER, 2 * MiB,
				    "user src"));
	ASSERT_EQ(0, zt_region_init(self->fd, &ud, ZT_KIND_USER, 2 * MiB,
				    "user dst"));
	zt_region_fill(&us, 0x5eed0404);
	zt_region_fill(&ud, 0x5eed0405);
	for (round = 0; round < 12 && _metadata->passed; round++) {
		ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&us, 0),
					    zt_region_ep(&ud, 0), 2 * MiB, 0,
					    &ids[0]));
		for (i = 1; i < NR_Q; i++)
			ASSERT_EQ(0, zt_dma_submit1(self->fd,
						    zt_region_ep(&self->a, i),
						    zt_region_ep(&self->b, i),
						    1, i, &ids[i]));
		for (i = 0; i < NR_Q; i++) {
			ASSERT_EQ(0, zt_dma_wait(self->fd, 0,
						 ZCDEV_DMA_WAIT_ANY,
						 zt_deadline_in(ZT_HANG_NS), &w));
			EXPECT_EQ(ids[i], w.id)
				TH_LOG("round %u: reap %u got transfer %llu",
				       round, i,
				       (unsigned long long)w.user_data);
		}
	}
	zt_region_fini(&ud);
	zt_region_fini(&us);
}

/* Transparent huge pages: physically contiguous runs across pages. */
TEST_F(dma, thp_backed_user_memory_lands)
{
	const size_t huge = 2 * MiB, len = 3 * MiB + 17;
	struct zt_region dst;
	unsigned char *raw, *m;
	__u64 id;

	raw = mmap(NULL, 3 * huge, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, raw);
	m = (unsigned char *)(((uintptr_t)raw + huge - 1) & ~(huge - 1));
	/* Best effort: without THP the pages are small, still valid. */
	madvise(m, 2 * huge, MADV_HUGEPAGE);
	zt_rfill(m, 2 * huge, 0x5eed0406);
	ASSERT_EQ(0, zt_region_init(self->fd, &dst, ZCDEV_BUF_PAGES,
				    2 * huge, "pages dst"));
	zt_region_fill(&dst, 0x5eed0407);
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_ep_user(m + 3),
				    zt_region_ep(&dst, 5), len, 0, &id));
	ZT_EXPECT_DONE(self->fd, id, len);
	memcpy(dst.shadow + 5, m + 3, len);
	ZT_EXPECT_REGION(&dst);
	/* And back, into the huge pages. */
	zt_region_fill(&dst, 0x5eed0408);
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&dst, 1),
				    zt_ep_user(m + huge - 7), len / 2, 0,
				    &id));
	ZT_EXPECT_DONE(self->fd, id, len / 2);
	EXPECT_EQ(-1, zt_diff(m + huge - 7, dst.shadow + 1, len / 2));
	zt_region_fini(&dst);
	munmap(raw, 3 * huge);
}

/* Anonymous memory never written reads as zeros (the zero page). */
TEST_F(dma, untouched_anonymous_source_reads_zeros)
{
	const size_t len = 8 * self->page;
	unsigned char *m;
	__u64 id;

	m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_ep_user(m + 1),
				    zt_region_ep(&self->b, 2), len - 1, 0,
				    &id));
	ZT_EXPECT_DONE(self->fd, id, len - 1);
	memset(self->b.shadow + 2, 0, len - 1);
	ZT_EXPECT_REGION(&self->b);
	/* Untouched on both sides. */
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_ep_user(m),
				    zt_ep_user(m + len / 2), len / 2, 0, &id));
	ZT_EXPECT_DONE(self->fd, id, len / 2);
	EXPECT_EQ(-1, zt_first_nonzero(m, len));
	munmap(m, len);
}

/* Deadlines no clock reaches: no overflow turns them into a poll. */
TEST_F(dma, wait_with_far_deadline_reaps_done)
{
	static const __u64 far[] = { ZCDEV_DEADLINE_NEVER, 1ULL << 63,
				     (1ULL << 63) - 1 };
	struct zcdev_dma_wait w;
	unsigned int i;
	__u64 id;

	for (i = 0; i < ARRAY_SIZE(far); i++) {
		ASSERT_EQ(0, zt_dma_submit1(self->fd,
					    zt_region_ep(&self->a, 0),
					    zt_region_ep(&self->b, 0), 100, 0,
					    &id));
		ASSERT_EQ(0, zt_dma_wait(self->fd, id, 0, far[i], &w))
			TH_LOG("deadline %#llx", (unsigned long long)far[i]);
		EXPECT_EQ(ZT_DONE, w.status);
	}
}

TEST_F(dma, wait_by_id_reaps_out_of_submission_order)
{
	static const unsigned int order[] = { 2, 0, 3, 1 };
	__u64 ids[4];
	struct zcdev_dma_wait w;
	unsigned int i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, zt_dma_submit1(self->fd,
					    zt_region_ep(&self->a, i * 4096),
					    zt_region_ep(&self->b, i * 4096 + 1),
					    4095, 0xabc0 + i, &ids[i]));
	for (i = 0; i < 4; i++) {
		unsigned int k = order[i];

		ASSERT_EQ(0, zt_dma_wait(self->fd, ids[k], 0,
					 zt_deadline_in(ZT_HANG_NS), &w));
		EXPECT_EQ(ids[k], w.id);
		EXPECT_EQ(0xabc0 + k, w.user_data);
		EXPECT_EQ(ZT_DONE, w.status);
		zt_region_expect_copy(&self->b, k * 4096 + 1, &self->a,
				      k * 4096, 4095);
	}
	ZT_EXPECT_REGION(&self->b);
}

TEST_F(dma, reaped_id_is_forgotten)
{
	__u64 id;

	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&self->a, 0),
				    zt_region_ep(&self->b, 0), 10, 0, &id));
	ZT_EXPECT_DONE(self->fd, id, 10);
	EXPECT_EQ(-ENOENT, zt_dma_wait(self->fd, id, 0, 0, NULL));
	EXPECT_EQ(-ENOENT, zt_dma_wait(self->fd, id, 0,
				       zt_deadline_in(NSEC_PER_MSEC), NULL));
	EXPECT_EQ(-ENOENT, zt_dma_cancel(self->fd, id, 0, NULL));
}

TEST_F(dma, ids_are_nonzero_and_unique)
{
	__u64 ids[3 * 32];
	unsigned int i, j, round;

	for (round = 0; round < 3; round++) {
		for (i = 0; i < 32; i++)
			ASSERT_EQ(0, zt_dma_submit1(self->fd,
						    zt_region_ep(&self->a, i),
						    zt_region_ep(&self->b, i),
						    1, 0, &ids[round * 32 + i]));
		for (i = 0; i < 32; i++)
			ZT_EXPECT_DONE(self->fd, ids[round * 32 + i], 1);
	}
	for (i = 0; i < 3 * 32; i++) {
		EXPECT_NE(0ULL, ids[i]);
		for (j = 0; j < i; j++)
			EXPECT_NE(ids[j], ids[i]) TH_LOG("ids %u and %u", j, i);
	}
}

/* Two files number their transfers independently but never mix them. */
TEST_F(dma, transfers_of_another_file_are_unknown)
{
	int fd2 = zt_open();
	__u64 id;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&self->a, 0),
				    zt_region_ep(&self->b, 0), 100, 0, &id));
	EXPECT_EQ(-ENOENT, zt_dma_wait(fd2, id, 0,
				       zt_deadline_in(NSEC_PER_SEC), NULL));
	EXPECT_EQ(-ENOENT, zt_dma_wait(fd2, 0, ZCDEV_DMA_WAIT_ANY, 0, NULL));
	EXPECT_EQ(-ENOENT, zt_dma_cancel(fd2, id, 0, NULL));
	/* And a handle of this file means nothing in the other. */
	EXPECT_EQ(-ENOENT, zt_dma_submit1(fd2, zt_region_ep(&self->a, 0),
					  zt_ep_user(self->b.shadow), 10, 0,
					  NULL));
	close(fd2);
	ZT_EXPECT_DONE(self->fd, id, 100);
}

TEST_F(dma, stats_count_a_transfer)
{
	struct zcdev_dma_stats before, after;
	size_t len = 12345;
	__u64 id;

	ASSERT_EQ(0, zt_dma_stats(self->fd, &before));
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&self->a, 1),
				    zt_region_ep(&self->b, 2), len, 0, &id));
	ZT_EXPECT_DONE(self->fd, id, len);
	ASSERT_EQ(0, zt_dma_stats(self->fd, &after));

	EXPECT_NE(0, after.channel[0]);
	EXPECT_NE(NULL, memchr(after.channel, 0, sizeof(after.channel)));
	EXPECT_EQ(before.transfers + 1, after.transfers);
	EXPECT_EQ(before.bytes + len, after.bytes);
	EXPECT_EQ(before.errors, after.errors);
	EXPECT_EQ(before.timeouts, after.timeouts);
	EXPECT_EQ(before.cancels, after.cancels);
	EXPECT_EQ(before.in_flight, after.in_flight);
	EXPECT_LT(0ULL, after.lat_min_ns);
	EXPECT_LE(after.lat_min_ns, after.lat_avg_ns);
	EXPECT_LE(after.lat_avg_ns, after.lat_max_ns);
}

TEST_F(dma, poll_without_transfers_has_no_pollin)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN };

	EXPECT_EQ(0, poll(&p, 1, 0));
	EXPECT_EQ(0, p.revents);
}

/*
 * POLLIN appears when a transfer has finished and stays until it is
 * reaped. zcdma's latency_us keeps it running long enough to look first.
 */
TEST_F(dma, poll_pollin_from_finish_until_reaped)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN };
	struct zcdev_dma_wait w;
	__u64 id, t0, took;

	if (zt_hold_unavailable(self->fd))
		SKIP(return, "%s", zt_hold_unavailable(self->fd));
	ASSERT_EQ(0, zt_hold_set(300 * 1000));
	t0 = zt_now_ns();
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&self->a, 0),
				    zt_region_ep(&self->b, 0), 4096, 0, &id));
	EXPECT_EQ(0, poll(&p, 1, 0)) TH_LOG("POLLIN while running");
	EXPECT_EQ(0, p.revents);
	EXPECT_EQ(1, poll(&p, 1, 10 * 1000));
	took = zt_now_ns() - t0;
	EXPECT_EQ(POLLIN, p.revents & (POLLIN | POLLERR | POLLHUP));
	EXPECT_LE(250 * NSEC_PER_MSEC, (long long)took)
		TH_LOG("POLLIN after %llu ns, before the 300 ms latency",
		       (unsigned long long)took);
	zt_hold_restore();
	/* Not reaped: still readable. */
	p.revents = 0;
	EXPECT_EQ(1, poll(&p, 1, 0));
	/* Finished, so a poll (deadline 0) reaps it rather than EAGAIN. */
	ASSERT_EQ(0, zt_dma_wait(self->fd, id, 0, 0, &w));
	EXPECT_EQ(ZT_DONE, w.status);
	p.revents = 0;
	EXPECT_EQ(0, poll(&p, 1, 0)) TH_LOG("POLLIN after the reap");
	zt_region_expect_copy(&self->b, 0, &self->a, 0, 4096);
	ZT_EXPECT_REGION(&self->b);
}

/* One finished and one running: POLLIN, and WAIT_ANY picks the finished. */
TEST_F(dma, wait_any_reaps_finished_while_others_run)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN };
	struct zcdev_dma_wait w;
	__u64 fast, slow;

	if (zt_hold_unavailable(self->fd))
		SKIP(return, "%s", zt_hold_unavailable(self->fd));
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&self->a, 0),
				    zt_region_ep(&self->b, 0), 100, 1, &fast));
	ASSERT_EQ(1, poll(&p, 1, 10 * 1000));
	ASSERT_EQ(0, zt_hold_set(500 * 1000));
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&self->a, 100),
				    zt_region_ep(&self->b, 100), 100, 2,
				    &slow));
	ASSERT_EQ(0, zt_dma_wait(self->fd, 0, ZCDEV_DMA_WAIT_ANY, 0, &w));
	EXPECT_EQ(fast, w.id);
	EXPECT_EQ(1ULL, w.user_data);
	EXPECT_EQ(-EAGAIN, zt_dma_wait(self->fd, 0, ZCDEV_DMA_WAIT_ANY, 0,
				       NULL));
	zt_hold_restore();
	ZT_EXPECT_DONE(self->fd, slow, 100);
	zt_region_expect_copy(&self->b, 0, &self->a, 0, 200);
	ZT_EXPECT_REGION(&self->b);
}

TEST_HARNESS_MAIN
