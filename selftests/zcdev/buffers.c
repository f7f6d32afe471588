// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev buffers: ZCDEV_IOC_ALLOC, FREE, QUERY and SYNC, their limits and
 * error paths. The "buf" fixture runs once per buffer kind (coherent,
 * pages); "dev" holds the tests that name a kind themselves. The byte
 * budgets (ENOSPC) are module_lifetime.c's: it reloads the module with
 * budgets small enough to fill.
 */
#include <limits.h>

#include "zcdev_test.h"

FIXTURE(buf) {
	int fd;
	struct zcdev_info info;
	__u64 page;
};

FIXTURE_VARIANT(buf) {
	__u32 kind;
};

FIXTURE_VARIANT_ADD(buf, coherent) {
	.kind = ZCDEV_BUF_COHERENT,
};

FIXTURE_VARIANT_ADD(buf, pages) {
	.kind = ZCDEV_BUF_PAGES,
};

FIXTURE_SETUP(buf)
{
	self->fd = -1;
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_KIND(&self->info, variant->kind);
	self->page = self->info.page_size;
	ASSERT_EQ((__u64)sysconf(_SC_PAGESIZE), self->page);
}

FIXTURE_TEARDOWN(buf)
{
	if (self->fd >= 0)
		close(self->fd);
}

FIXTURE(dev) {
	int fd;
	struct zcdev_info info;
	__u64 page;
};

FIXTURE_SETUP(dev)
{
	self->fd = -1;
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_COHERENT);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_PAGES);
	self->page = self->info.page_size;
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* ---- ALLOC ---- */

TEST_F(dev, alloc_kind_zero_is_einval)
{
	EXPECT_EQ(-EINVAL, zt_alloc(self->fd, 0, self->page, NULL));
	EXPECT_EQ(0ULL, zt_file_bytes(self->fd));
}

TEST_F(dev, alloc_kind_three_is_einval)
{
	EXPECT_EQ(-EINVAL, zt_alloc(self->fd, 3, self->page, NULL));
	EXPECT_EQ(0ULL, zt_file_bytes(self->fd));
}

TEST_F(dev, alloc_kind_all_ones_is_einval)
{
	EXPECT_EQ(-EINVAL, zt_alloc(self->fd, ~0U, self->page, NULL));
	EXPECT_EQ(0ULL, zt_file_bytes(self->fd));
}

TEST_F(buf, alloc_len_zero_is_einval)
{
	EXPECT_EQ(-EINVAL, zt_alloc(self->fd, variant->kind, 0, NULL));
	EXPECT_EQ(0ULL, zt_file_bytes(self->fd));
}

TEST_F(buf, alloc_len_over_max_buf_is_efbig)
{
	__u64 max = self->info.max_buf_bytes;

	EXPECT_EQ(-EFBIG, zt_alloc(self->fd, variant->kind, max + 1, NULL));
	EXPECT_EQ(-EFBIG, zt_alloc(self->fd, variant->kind, max + self->page,
				   NULL));
	EXPECT_EQ(0ULL, zt_file_bytes(self->fd));
}

/* Lengths whose page rounding or accounting would overflow a u64. */
TEST_F(buf, alloc_huge_len_is_efbig)
{
	__u64 lens[] = { ~0ULL, 1ULL << 63, ~0ULL - self->page + 2,
			 (1ULL << 63) + 1, 1ULL << 40 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		if (lens[i] <= self->info.max_buf_bytes)
			continue;
		EXPECT_EQ(-EFBIG, zt_alloc(self->fd, variant->kind, lens[i],
					   NULL))
			TH_LOG("len 0x%llx", (unsigned long long)lens[i]);
	}
	EXPECT_EQ(0ULL, zt_file_bytes(self->fd));
}

TEST_F(dev, alloc_coherent_over_max_coherent_is_efbig)
{
	__u64 max = self->info.max_coherent_bytes;

	EXPECT_EQ(-EFBIG, zt_alloc(self->fd, ZCDEV_BUF_COHERENT, max + 1,
				   NULL));
	EXPECT_EQ(-EFBIG, zt_alloc(self->fd, ZCDEV_BUF_COHERENT,
				   max + self->page, NULL));
	EXPECT_EQ(0ULL, zt_file_bytes(self->fd));
}

/* The biggest coherent buffer INFO promises can really be had. */
TEST_F(dev, alloc_coherent_of_max_coherent_succeeds)
{
	__u64 max = self->info.max_coherent_bytes;
	struct zcdev_alloc a;
	int ret;

	if (max > self->info.max_file_bytes || max > self->info.max_total_bytes -
	    self->info.total_bytes)
		SKIP(return, "max_coherent_bytes is over the byte budgets");
	ret = zt_alloc(self->fd, ZCDEV_BUF_COHERENT, max, &a);
	if (ret == -ENOMEM)
		SKIP(return, "no %llu contiguous bytes free (fragmented)",
		     (unsigned long long)max);
	ASSERT_EQ(0, ret);
	EXPECT_LE(max, a.buf_len);
}

/* The coherent limit is about contiguity: pages buffers go beyond it. */
TEST_F(dev, alloc_pages_over_max_coherent_succeeds)
{
	__u64 len = self->info.max_coherent_bytes + self->page;
	struct zcdev_alloc a;

	if (len > self->info.max_buf_bytes || len > self->info.max_file_bytes ||
	    len > self->info.max_total_bytes - self->info.total_bytes)
		SKIP(return, "limits leave no room above max_coherent_bytes");
	ASSERT_EQ(0, zt_alloc(self->fd, ZCDEV_BUF_PAGES, len, &a));
	EXPECT_EQ(len, a.buf_len);
}

TEST_F(buf, alloc_len_rounds_up_to_page)
{
	struct { __u64 len, want; } c[] = {
		{ 1, self->page },
		{ self->page - 1, self->page },
		{ self->page, self->page },
		{ self->page + 1, 2 * self->page },
		{ 3 * self->page - 100, 3 * self->page },
	};
	struct zcdev_alloc a;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, c[i].len, &a));
		EXPECT_EQ(c[i].want, a.buf_len)
			TH_LOG("len %llu", (unsigned long long)c[i].len);
	}
}

TEST_F(buf, alloc_handles_are_distinct_and_nonzero)
{
	struct zcdev_alloc a[16];
	unsigned int i, j;

	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, self->page, &a[i]));
		EXPECT_NE(0U, a[i].handle);
		for (j = 0; j < i; j++)
			EXPECT_NE(a[j].handle, a[i].handle);
	}
}

TEST_F(buf, alloc_offsets_are_page_aligned_and_disjoint)
{
	struct zcdev_alloc a[12];
	unsigned int i, j;

	for (i = 0; i < 12; i++) {
		ASSERT_EQ(0, zt_alloc(self->fd, variant->kind,
				      (i % 4 + 1) * self->page - i, &a[i]));
		EXPECT_EQ(0ULL, a[i].offset % self->page);
		/* The whole range must be reachable through an off_t. */
		EXPECT_GE((__u64)LLONG_MAX - a[i].buf_len, a[i].offset);
		for (j = 0; j < i; j++)
			EXPECT_TRUE(a[i].offset + a[i].buf_len <= a[j].offset ||
				    a[j].offset + a[j].buf_len <= a[i].offset)
				TH_LOG("[%llx+%llx) overlaps [%llx+%llx)",
				       (unsigned long long)a[i].offset,
				       (unsigned long long)a[i].buf_len,
				       (unsigned long long)a[j].offset,
				       (unsigned long long)a[j].buf_len);
	}
}

TEST_F(buf, alloc_new_buffer_reads_zero)
{
	__u64 len = 8 * self->page;
	struct zcdev_alloc a;
	unsigned char *data = malloc(len);

	ASSERT_NE(NULL, data);
	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, len, &a));
	memset(data, 0x5a, len);
	ASSERT_EQ((ssize_t)len, zt_pread(self->fd, data, len, a.offset));
	EXPECT_EQ(-1, zt_first_nonzero(data, len));
	free(data);
}

/* Memory is fresh even when it was just someone else's buffer. */
TEST_F(buf, alloc_after_free_reads_zero)
{
	__u64 len = 8 * self->page;
	unsigned char *data = malloc(len);
	struct zcdev_alloc a;
	unsigned int round;

	ASSERT_NE(NULL, data);
	for (round = 0; round < 4; round++) {
		ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, len, &a));
		memset(data, 0x5a, len);
		ASSERT_EQ((ssize_t)len, zt_pread(self->fd, data, len, a.offset));
		EXPECT_EQ(-1, zt_first_nonzero(data, len))
			TH_LOG("round %u", round);
		memset(data, 0xa5, len);
		ASSERT_EQ((ssize_t)len, zt_pwrite(self->fd, data, len, a.offset));
		ASSERT_EQ(0, zt_free(self->fd, a.handle));
	}
	free(data);
}

/* ALLOC whose answer cannot be written back leaves no buffer behind. */
TEST_F(buf, alloc_efault_on_copy_out_leaves_no_buffer)
{
	size_t page = self->page;
	struct zcdev_alloc *a;
	void *p = mmap(NULL, page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	a = p;
	a->size = sizeof(*a);
	a->kind = variant->kind;
	a->len = page;
	ASSERT_EQ(0, mprotect(p, page, PROT_READ));
	EXPECT_EQ(-EFAULT, zt_ioctl(self->fd, ZCDEV_IOC_ALLOC, p));
	EXPECT_EQ(0ULL, zt_file_bytes(self->fd));
	munmap(p, page);
}

/* ---- FREE ---- */

TEST_F(buf, free_handle_zero_is_enoent)
{
	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, 1, NULL));
	EXPECT_EQ(-ENOENT, zt_free(self->fd, 0));
}

TEST_F(buf, free_never_allocated_handle_is_enoent)
{
	struct zcdev_alloc a;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, 1, &a));
	EXPECT_EQ(-ENOENT, zt_free(self->fd, a.handle + 1));
	EXPECT_EQ(-ENOENT, zt_free(self->fd, a.handle + 1000));
	EXPECT_EQ(a.buf_len, zt_file_bytes(self->fd));
}

TEST_F(buf, free_handle_all_ones_is_enoent)
{
	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, 1, NULL));
	EXPECT_EQ(-ENOENT, zt_free(self->fd, 0xffffffffU));
}

TEST_F(buf, free_twice_is_enoent)
{
	struct zcdev_alloc a;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, 1, &a));
	ASSERT_EQ(0, zt_free(self->fd, a.handle));
	EXPECT_EQ(-ENOENT, zt_free(self->fd, a.handle));
}

/* Handles are per file: another file's handle names nothing here. */
TEST_F(buf, free_other_files_handle_is_enoent)
{
	struct zcdev_query q;
	struct zcdev_alloc a;
	int fd2 = zt_open();

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, zt_alloc(fd2, variant->kind, 1, &a));
	/* self->fd holds no buffer, so no handle of its own can match. */
	EXPECT_EQ(-ENOENT, zt_free(self->fd, a.handle));
	EXPECT_EQ(0, zt_query(fd2, a.handle, &q));
	close(fd2);
}

TEST_F(buf, free_then_query_is_enoent)
{
	struct zcdev_query q;
	struct zcdev_alloc a;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, 1, &a));
	ASSERT_EQ(0, zt_free(self->fd, a.handle));
	EXPECT_EQ(-ENOENT, zt_query(self->fd, a.handle, &q));
}

TEST_F(buf, free_then_pread_is_enxio)
{
	struct zcdev_alloc a;
	char c;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, 1, &a));
	ASSERT_EQ(0, zt_free(self->fd, a.handle));
	EXPECT_EQ(-ENXIO, zt_pread(self->fd, &c, 1, a.offset));
}

TEST_F(buf, free_then_pwrite_is_enxio)
{
	struct zcdev_alloc a;
	char c = 1;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, 1, &a));
	ASSERT_EQ(0, zt_free(self->fd, a.handle));
	EXPECT_EQ(-ENXIO, zt_pwrite(self->fd, &c, 1, a.offset));
}

TEST_F(buf, free_then_sync_is_enoent)
{
	struct zcdev_alloc a;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, 1, &a));
	ASSERT_EQ(0, zt_free(self->fd, a.handle));
	EXPECT_EQ(-ENOENT, zt_sync(self->fd, a.handle, ZCDEV_SYNC_FOR_CPU, 0,
				   self->page));
}

TEST_F(buf, free_keeps_other_buffers_intact)
{
	__u64 len = 2 * self->page;
	unsigned char *data = malloc(len);
	struct zcdev_alloc a, b, c;
	struct zcdev_query q;

	ASSERT_NE(NULL, data);
	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, len, &a));
	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, len, &b));
	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, len, &c));
	zt_fill(data, len, 0, 1);
	ASSERT_EQ((ssize_t)len, zt_pwrite(self->fd, data, len, a.offset));
	zt_fill(data, len, 0, 3);
	ASSERT_EQ((ssize_t)len, zt_pwrite(self->fd, data, len, c.offset));

	ASSERT_EQ(0, zt_free(self->fd, b.handle));

	ASSERT_EQ((ssize_t)len, zt_pread(self->fd, data, len, a.offset));
	EXPECT_EQ(-1, zt_check(data, len, 0, 1));
	ASSERT_EQ((ssize_t)len, zt_pread(self->fd, data, len, c.offset));
	EXPECT_EQ(-1, zt_check(data, len, 0, 3));
	EXPECT_EQ(0, zt_query(self->fd, a.handle, &q));
	EXPECT_EQ(0, zt_query(self->fd, c.handle, &q));
	EXPECT_EQ(a.buf_len + c.buf_len, zt_file_bytes(self->fd));
	free(data);
}

/* ---- QUERY ---- */

TEST_F(buf, query_matches_alloc)
{
	struct zcdev_alloc a;
	struct zcdev_query q;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, 3 * self->page - 5, &a));
	ASSERT_EQ(0, zt_query(self->fd, a.handle, &q));
	EXPECT_EQ(variant->kind, q.kind);
	EXPECT_EQ(a.buf_len, q.len);
	EXPECT_EQ(a.offset, q.offset);
}

TEST_F(buf, query_reports_at_least_one_segment)
{
	struct zcdev_alloc a;
	struct zcdev_query q;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, 16 * self->page, &a));
	ASSERT_EQ(0, zt_query(self->fd, a.handle, &q));
	EXPECT_LE(1U, q.nr_segs);
	EXPECT_GE(16U, q.nr_segs);
}

TEST_F(dev, query_coherent_has_one_segment)
{
	struct zcdev_alloc a;
	struct zcdev_query q;

	ASSERT_EQ(0, zt_alloc(self->fd, ZCDEV_BUF_COHERENT, 4 * self->page, &a));
	ASSERT_EQ(0, zt_query(self->fd, a.handle, &q));
	EXPECT_EQ(1U, q.nr_segs);
}

TEST_F(buf, query_unknown_handle_is_enoent)
{
	struct zcdev_alloc a;
	struct zcdev_query q;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, 1, &a));
	EXPECT_EQ(-ENOENT, zt_query(self->fd, 0, &q));
	EXPECT_EQ(-ENOENT, zt_query(self->fd, a.handle + 1, &q));
	EXPECT_EQ(-ENOENT, zt_query(self->fd, 0xffffffffU, &q));
}

/* segs_cap == 0 needs no privilege: the metadata is not secret. */
TEST_F(buf, query_without_segments_needs_no_cap)
{
	struct zcdev_alloc a;
	struct zcdev_query q;
	pid_t pid;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, self->page, &a));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (zt_drop_effective_cap(CAP_SYS_ADMIN))
			_exit(2);
		_exit(zt_query(self->fd, a.handle, &q) ? 1 : 0);
	}
	EXPECT_EQ(0, zt_wait(pid));
}

static int query_segs(int fd, __u32 handle, struct zcdev_dma_seg *segs,
		      __u32 cap, struct zcdev_query *q)
{
	memset(q, 0, sizeof(*q));
	q->size = sizeof(*q);
	q->handle = handle;
	q->segs_cap = cap;
	q->seg_size = sizeof(*segs);
	q->segs_ptr = (__u64)(uintptr_t)segs;
	return zt_ioctl(fd, ZCDEV_IOC_QUERY, q);
}

TEST_F(buf, query_segments_sum_to_len)
{
	struct zcdev_dma_seg *segs;
	struct zcdev_alloc a;
	struct zcdev_query q;
	__u64 sum = 0;
	__u32 i;

	if (!zt_has_cap(CAP_SYS_ADMIN))
		SKIP(return, "needs CAP_SYS_ADMIN");
	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, 32 * self->page, &a));
	ASSERT_EQ(0, zt_query(self->fd, a.handle, &q));
	ASSERT_LE(1U, q.nr_segs);
	segs = calloc(q.nr_segs + 1, sizeof(*segs));
	ASSERT_NE(NULL, segs);
	segs[q.nr_segs].len = 0x5a5a5a5a;	/* one past the cap */
	ASSERT_EQ(0, query_segs(self->fd, a.handle, segs, q.nr_segs, &q));
	for (i = 0; i < q.nr_segs; i++) {
		EXPECT_NE(0ULL, segs[i].len) TH_LOG("segment %u", i);
		sum += segs[i].len;
	}
	EXPECT_EQ(a.buf_len, sum);
	EXPECT_EQ(0x5a5a5a5aULL, segs[q.nr_segs].len);
	free(segs);
}

/* With fewer entries than segments, exactly segs_cap entries are filled. */
TEST_F(buf, query_fills_no_more_than_segs_cap)
{
	struct zcdev_dma_seg segs[3];
	struct zcdev_alloc a;
	struct zcdev_query q;

	if (!zt_has_cap(CAP_SYS_ADMIN))
		SKIP(return, "needs CAP_SYS_ADMIN");
	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, 8 * self->page, &a));
	memset(segs, 0xee, sizeof(segs));
	ASSERT_EQ(0, query_segs(self->fd, a.handle, segs, 1, &q));
	EXPECT_LE(1U, q.nr_segs);
	EXPECT_NE(0xeeeeeeeeeeeeeeeeULL, segs[0].len);
	EXPECT_EQ(0xeeeeeeeeeeeeeeeeULL, segs[1].dma_addr);
	EXPECT_EQ(0xeeeeeeeeeeeeeeeeULL, segs[1].len);
}

TEST_F(buf, query_segments_without_cap_sys_admin_is_eperm)
{
	struct zcdev_dma_seg segs[4];
	struct zcdev_alloc a;
	struct zcdev_query q;
	pid_t pid;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, self->page, &a));
	memset(segs, 0xee, sizeof(segs));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (zt_drop_effective_cap(CAP_SYS_ADMIN) ||
		    zt_has_cap(CAP_SYS_ADMIN))
			_exit(2);
		if (query_segs(self->fd, a.handle, segs, 4, &q) != -EPERM)
			_exit(1);
		/* Nothing leaked into the array either. */
		_exit(segs[0].dma_addr == 0xeeeeeeeeeeeeeeeeULL ? 0 : 3);
	}
	EXPECT_EQ(0, zt_wait(pid));
}

TEST_F(buf, query_bad_segs_ptr_is_efault)
{
	struct zcdev_alloc a;
	struct zcdev_query q;
	void *hole;

	if (!zt_has_cap(CAP_SYS_ADMIN))
		SKIP(return, "needs CAP_SYS_ADMIN");
	hole = mmap(NULL, self->page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, munmap(hole, self->page));
	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, self->page, &a));
	EXPECT_EQ(-EFAULT, query_segs(self->fd, a.handle, NULL, 1, &q));
	EXPECT_EQ(-EFAULT, query_segs(self->fd, a.handle, hole, 1, &q));
}

/* ---- SYNC ---- */

TEST_F(buf, sync_flags_zero_is_einval)
{
	struct zcdev_alloc a;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, self->page, &a));
	EXPECT_EQ(-EINVAL, zt_sync(self->fd, a.handle, 0, 0, a.buf_len));
}

TEST_F(buf, sync_both_directions_is_einval)
{
	struct zcdev_alloc a;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, self->page, &a));
	EXPECT_EQ(-EINVAL, zt_sync(self->fd, a.handle,
				   ZCDEV_SYNC_FOR_CPU | ZCDEV_SYNC_FOR_DEVICE,
				   0, a.buf_len));
}

TEST_F(buf, sync_for_cpu_whole_buffer_succeeds)
{
	struct zcdev_alloc a;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, 4 * self->page, &a));
	EXPECT_EQ(0, zt_sync(self->fd, a.handle, ZCDEV_SYNC_FOR_CPU, 0,
			     a.buf_len));
}

TEST_F(buf, sync_for_device_whole_buffer_succeeds)
{
	struct zcdev_alloc a;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, 4 * self->page, &a));
	EXPECT_EQ(0, zt_sync(self->fd, a.handle, ZCDEV_SYNC_FOR_DEVICE, 0,
			     a.buf_len));
}

/* Unaligned ranges inside the buffer, including its last byte. */
TEST_F(buf, sync_unaligned_sub_range_succeeds)
{
	struct zcdev_alloc a;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, 4 * self->page, &a));
	EXPECT_EQ(0, zt_sync(self->fd, a.handle, ZCDEV_SYNC_FOR_DEVICE,
			     self->page + 3, 10));
	EXPECT_EQ(0, zt_sync(self->fd, a.handle, ZCDEV_SYNC_FOR_CPU,
			     self->page - 1, 2 * self->page + 2));
	EXPECT_EQ(0, zt_sync(self->fd, a.handle, ZCDEV_SYNC_FOR_CPU,
			     a.buf_len - 1, 1));
}

TEST_F(buf, sync_past_end_is_einval)
{
	struct zcdev_alloc a;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, 2 * self->page, &a));
	EXPECT_EQ(-EINVAL, zt_sync(self->fd, a.handle, ZCDEV_SYNC_FOR_CPU, 0,
				   a.buf_len + 1));
	EXPECT_EQ(-EINVAL, zt_sync(self->fd, a.handle, ZCDEV_SYNC_FOR_CPU,
				   a.buf_len - 1, 2));
	EXPECT_EQ(-EINVAL, zt_sync(self->fd, a.handle, ZCDEV_SYNC_FOR_CPU,
				   a.buf_len, 1));
	EXPECT_EQ(-EINVAL, zt_sync(self->fd, a.handle, ZCDEV_SYNC_FOR_DEVICE,
				   a.buf_len + self->page, self->page));
}

TEST_F(buf, sync_offset_plus_len_overflow_is_einval)
{
	struct zcdev_alloc a;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, 2 * self->page, &a));
	EXPECT_EQ(-EINVAL, zt_sync(self->fd, a.handle, ZCDEV_SYNC_FOR_CPU, 8,
				   ~0ULL - 4));
	EXPECT_EQ(-EINVAL, zt_sync(self->fd, a.handle, ZCDEV_SYNC_FOR_CPU,
				   ~0ULL, 2));
	EXPECT_EQ(-EINVAL, zt_sync(self->fd, a.handle, ZCDEV_SYNC_FOR_DEVICE,
				   1ULL << 63, 1ULL << 63));
}

TEST_F(buf, sync_len_zero_is_einval)
{
	struct zcdev_alloc a;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, 2 * self->page, &a));
	EXPECT_EQ(-EINVAL, zt_sync(self->fd, a.handle, ZCDEV_SYNC_FOR_CPU, 0,
				   0));
	EXPECT_EQ(-EINVAL, zt_sync(self->fd, a.handle, ZCDEV_SYNC_FOR_CPU,
				   a.buf_len, 0));
}

TEST_F(buf, sync_unknown_handle_is_enoent)
{
	struct zcdev_alloc a;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, self->page, &a));
	EXPECT_EQ(-ENOENT, zt_sync(self->fd, 0, ZCDEV_SYNC_FOR_CPU, 0,
				   self->page));
	EXPECT_EQ(-ENOENT, zt_sync(self->fd, a.handle + 1, ZCDEV_SYNC_FOR_CPU,
				   0, self->page));
}

/* Syncing does not change the bytes (no stale bounce copy comes back). */
TEST_F(buf, sync_keeps_data)
{
	__u64 len = 4 * self->page;
	unsigned char *data = malloc(len);
	struct zcdev_alloc a;

	ASSERT_NE(NULL, data);
	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, len, &a));
	zt_fill(data, len, 0, 7);
	ASSERT_EQ((ssize_t)len, zt_pwrite(self->fd, data, len, a.offset));
	ASSERT_EQ(0, zt_sync(self->fd, a.handle, ZCDEV_SYNC_FOR_DEVICE, 0, len));
	ASSERT_EQ(0, zt_sync(self->fd, a.handle, ZCDEV_SYNC_FOR_CPU, 0, len));
	memset(data, 0, len);
	ASSERT_EQ((ssize_t)len, zt_pread(self->fd, data, len, a.offset));
	EXPECT_EQ(-1, zt_check(data, len, 0, 7));
	free(data);
}

TEST_HARNESS_MAIN
