// SPDX-License-Identifier: GPL-2.0
/*
 * ZCDEV_IOC_INFO: the module's version and limits as the header and the
 * system define them, and the byte accounting (file_bytes per open file,
 * total_bytes over all of them) as buffers come and go. The rules INFO
 * shares with every ioctl (size, flags, reserved, bad pointers, numbers)
 * are ioctl_rules.c's.
 */
#include "zcdev_test.h"

FIXTURE(info) {
	int fd;
	struct zcdev_info info;
	size_t page;
};

FIXTURE_SETUP(info)
{
	self->fd = -1;
	ZT_SETUP_OPEN(&self->fd, &self->info);
	self->page = sysconf(_SC_PAGESIZE);
}

FIXTURE_TEARDOWN(info)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(info, abi_version_matches_header)
{
	EXPECT_EQ((__u32)ZCDEV_ABI_VERSION, self->info.abi_version);
}

TEST_F(info, page_size_matches_sysconf)
{
	EXPECT_EQ((__u32)sysconf(_SC_PAGESIZE), self->info.page_size);
}

TEST_F(info, limits_are_sane)
{
	const struct zcdev_info *i = &self->info;

	TH_LOG("max_buf %llu max_file %llu max_total %llu max_coherent %llu",
	       (unsigned long long)i->max_buf_bytes,
	       (unsigned long long)i->max_file_bytes,
	       (unsigned long long)i->max_total_bytes,
	       (unsigned long long)i->max_coherent_bytes);
	EXPECT_LE(self->page, i->max_buf_bytes);
	EXPECT_LE(self->page, i->max_file_bytes);
	EXPECT_LE(self->page, i->max_total_bytes);
	if (i->features & ZCDEV_FEAT_COHERENT)
		EXPECT_LE(self->page, i->max_coherent_bytes);
	EXPECT_LE(i->file_bytes, i->total_bytes);
	EXPECT_EQ(0ULL, i->reserved);
	EXPECT_EQ(sizeof(struct zcdev_info), i->size);
	EXPECT_EQ(0U, i->flags);
}

TEST_F(info, features_have_coherent_and_pages)
{
	EXPECT_EQ(ZCDEV_FEAT_COHERENT | ZCDEV_FEAT_PAGES,
		  self->info.features &
		  (ZCDEV_FEAT_COHERENT | ZCDEV_FEAT_PAGES));
}

/* ABI 2 brought dma-buf export and import; every build offers them. */
TEST_F(info, abi_2_features_have_dmabuf)
{
	EXPECT_LE(2U, self->info.abi_version);
	EXPECT_EQ(ZCDEV_FEAT_DMABUF, self->info.features & ZCDEV_FEAT_DMABUF);
}

/* ABI 3 brought coalesced send completions; every build offers them. */
TEST_F(info, abi_3_features_have_send_coalesce)
{
	EXPECT_LE(3U, self->info.abi_version);
	EXPECT_EQ(ZCDEV_FEAT_SEND_COALESCE,
		  self->info.features & ZCDEV_FEAT_SEND_COALESCE);
}

/* ABI 4 brought the mapped send completion ring. */
TEST_F(info, abi_4_features_have_send_ring)
{
	EXPECT_LE(4U, self->info.abi_version);
	EXPECT_EQ(ZCDEV_FEAT_SEND_RING,
		  self->info.features & ZCDEV_FEAT_SEND_RING);
}

TEST_F(info, new_file_holds_nothing)
{
	EXPECT_EQ(0ULL, self->info.file_bytes);
}

TEST_F(info, file_bytes_tracks_alloc_and_free)
{
	struct zcdev_alloc a, b;
	struct zcdev_info info;
	__u32 kind_b = (self->info.features & ZCDEV_FEAT_COHERENT) ?
		       ZCDEV_BUF_COHERENT : ZCDEV_BUF_PAGES;

	ASSERT_EQ(0, zt_alloc(self->fd, ZCDEV_BUF_PAGES, 3 * self->page, &a));
	ASSERT_EQ(0, zt_info(self->fd, &info));
	EXPECT_EQ(a.buf_len, info.file_bytes);

	ASSERT_EQ(0, zt_alloc(self->fd, kind_b, 1, &b));
	ASSERT_EQ(0, zt_info(self->fd, &info));
	EXPECT_EQ(a.buf_len + b.buf_len, info.file_bytes);

	ASSERT_EQ(0, zt_free(self->fd, a.handle));
	ASSERT_EQ(0, zt_info(self->fd, &info));
	EXPECT_EQ(b.buf_len, info.file_bytes);

	ASSERT_EQ(0, zt_free(self->fd, b.handle));
	ASSERT_EQ(0, zt_info(self->fd, &info));
	EXPECT_EQ(0ULL, info.file_bytes);
}

TEST_F(info, file_bytes_is_per_file)
{
	struct zcdev_alloc a;
	struct zcdev_info info;
	int fd2 = zt_open();

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, zt_alloc(fd2, ZCDEV_BUF_PAGES, 2 * self->page, &a));
	ASSERT_EQ(0, zt_info(self->fd, &info));
	EXPECT_EQ(0ULL, info.file_bytes);
	ASSERT_EQ(0, zt_info(fd2, &info));
	EXPECT_EQ(a.buf_len, info.file_bytes);
	close(fd2);
}

TEST_F(info, total_bytes_counts_all_files)
{
	struct zcdev_info before, after;
	struct zcdev_alloc a;
	int fd2 = zt_open();

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, zt_info(self->fd, &before));
	ASSERT_EQ(0, zt_alloc(fd2, ZCDEV_BUF_PAGES, 5 * self->page, &a));
	ASSERT_EQ(0, zt_info(self->fd, &after));
	EXPECT_EQ(before.total_bytes + a.buf_len, after.total_bytes);
	close(fd2);
}

TEST_F(info, close_returns_bytes_to_total)
{
	struct zcdev_info before, after;
	struct zcdev_alloc a;
	int fd2 = zt_open();

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, zt_info(self->fd, &before));
	ASSERT_EQ(0, zt_alloc(fd2, ZCDEV_BUF_PAGES, 4 * self->page, &a));
	ASSERT_EQ(0, zt_alloc(fd2, ZCDEV_BUF_PAGES, 1, &a));
	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(0, zt_info(self->fd, &after));
	EXPECT_EQ(before.total_bytes, after.total_bytes);
}

TEST_HARNESS_MAIN
