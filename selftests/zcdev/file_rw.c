// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev pread/pwrite: a buffer's bytes at its offset in the file. Reads
 * are clamped to the buffer, a read at its end is EOF (0), a write at its
 * end is ENOSPC, an offset in no buffer is ENXIO.
 *
 * Each test holds a single buffer in its file unless it says otherwise, so
 * that the byte after the buffer is in no other buffer.
 */
#include <limits.h>

#include "zcdev_test.h"

#define NPAGES 3

FIXTURE(rw) {
	int fd;
	struct zcdev_info info;
	__u64 page;
	struct zcdev_alloc a;	/* NPAGES pages */
	__u64 end;		/* a.offset + a.buf_len */
	unsigned char *data;	/* 2 * buffer length of scratch */
};

FIXTURE_VARIANT(rw) {
	__u32 kind;
};

FIXTURE_VARIANT_ADD(rw, coherent) {
	.kind = ZCDEV_BUF_COHERENT,
};

FIXTURE_VARIANT_ADD(rw, pages) {
	.kind = ZCDEV_BUF_PAGES,
};

FIXTURE_SETUP(rw)
{
	ZT_SETUP_ONE_BUFFER(self, variant->kind, NPAGES, 2 * self->a.buf_len);
	self->end = self->a.offset + self->a.buf_len;
}

FIXTURE_TEARDOWN(rw)
{
	ZT_TEARDOWN_ONE_BUFFER(self);
}

TEST_F(rw, pwrite_then_pread_round_trips)
{
	__u64 len = self->a.buf_len;

	zt_fill(self->data, len, 0, 11);
	ASSERT_EQ((ssize_t)len, zt_pwrite(self->fd, self->data, len,
					  self->a.offset));
	memset(self->data, 0, len);
	ASSERT_EQ((ssize_t)len, zt_pread(self->fd, self->data, len,
					 self->a.offset));
	EXPECT_EQ(-1, zt_check(self->data, len, 0, 11));
}

/* Unaligned offsets and lengths that cross page boundaries. */
TEST_F(rw, unaligned_ranges_round_trip)
{
	__u64 len = self->a.buf_len;
	__u64 off = self->page - 123, n = self->page + 300;

	zt_fill(self->data, len, 0, 12);
	ASSERT_EQ((ssize_t)len, zt_pwrite(self->fd, self->data, len,
					  self->a.offset));
	/* Overwrite an unaligned middle range with another pattern. */
	zt_fill(self->data, n, off, 13);
	ASSERT_EQ((ssize_t)n, zt_pwrite(self->fd, self->data, n,
					self->a.offset + off));
	memset(self->data, 0, len);
	ASSERT_EQ((ssize_t)len, zt_pread(self->fd, self->data, len,
					 self->a.offset));
	EXPECT_EQ(-1, zt_check(self->data, off, 0, 12));
	EXPECT_EQ(-1, zt_check(self->data + off, n, off, 13));
	EXPECT_EQ(-1, zt_check(self->data + off + n, len - off - n, off + n, 12));

	memset(self->data, 0, len);
	ASSERT_EQ(5, zt_pread(self->fd, self->data, 5,
			      self->a.offset + off + 7));
	EXPECT_EQ(-1, zt_check(self->data, 5, off + 7, 13));
}

TEST_F(rw, pread_straddling_end_is_short)
{
	__u64 len = self->a.buf_len;

	zt_fill(self->data, len, 0, 14);
	ASSERT_EQ((ssize_t)len, zt_pwrite(self->fd, self->data, len,
					  self->a.offset));
	memset(self->data, 0, 2 * len);
	EXPECT_EQ(100, zt_pread(self->fd, self->data, 300, self->end - 100));
	EXPECT_EQ(-1, zt_check(self->data, 100, len - 100, 14));
	EXPECT_EQ(-1, zt_first_nonzero(self->data + 100, 200));
	/* The whole buffer and more: just the buffer. */
	EXPECT_EQ((ssize_t)len, zt_pread(self->fd, self->data, 2 * len,
					 self->a.offset));
}

TEST_F(rw, pread_at_end_returns_zero)
{
	EXPECT_EQ(0, zt_pread(self->fd, self->data, 10, self->end));
}

TEST_F(rw, pwrite_straddling_end_is_short)
{
	__u64 len = self->a.buf_len;

	zt_fill(self->data, 300, len - 100, 15);
	EXPECT_EQ(100, zt_pwrite(self->fd, self->data, 300, self->end - 100));
	memset(self->data, 0, 300);
	ASSERT_EQ(100, zt_pread(self->fd, self->data, 300, self->end - 100));
	EXPECT_EQ(-1, zt_check(self->data, 100, len - 100, 15));
}

TEST_F(rw, pwrite_at_end_is_enospc)
{
	memset(self->data, 1, 10);
	EXPECT_EQ(-ENOSPC, zt_pwrite(self->fd, self->data, 10, self->end));
}

/* Offsets past the end that are not its first byte are in no buffer. */
TEST_F(rw, pread_in_no_buffer_is_enxio)
{
	EXPECT_EQ(-ENXIO, zt_pread(self->fd, self->data, 10,
				   self->end + 64 * self->page));
	EXPECT_EQ(-ENXIO, zt_pread(self->fd, self->data, 10,
				   self->end + 64 * self->page + 5));
}

TEST_F(rw, pwrite_in_no_buffer_is_enxio)
{
	memset(self->data, 1, 10);
	EXPECT_EQ(-ENXIO, zt_pwrite(self->fd, self->data, 10,
				    self->end + 64 * self->page));
}

TEST_F(rw, pread_with_no_buffers_is_enxio)
{
	ASSERT_EQ(0, zt_free(self->fd, self->a.handle));
	EXPECT_EQ(-ENXIO, zt_pread(self->fd, self->data, 10, 0));
	EXPECT_EQ(-ENXIO, zt_pread(self->fd, self->data, 10, self->a.offset));
}

/* The VFS rejects negative positions before the module sees them. */
TEST_F(rw, pread_negative_offset_is_einval)
{
	ssize_t n = pread(self->fd, self->data, 10, -1);

	EXPECT_EQ(-1, n);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(rw, pwrite_negative_offset_is_einval)
{
	ssize_t n = pwrite(self->fd, self->data, 10, (off_t)LLONG_MIN);

	EXPECT_EQ(-1, n);
	EXPECT_EQ(EINVAL, errno);
}

/* Offsets near the top of loff_t: a clean error, whatever the layer. */
TEST_F(rw, huge_offset_fails_cleanly)
{
	__u64 offs[] = { LLONG_MAX, LLONG_MAX - 10, (__u64)LLONG_MAX & ~0xfffULL,
			 1ULL << 62 };
	unsigned int i;
	ssize_t n;

	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		n = zt_pread(self->fd, self->data, 100, offs[i]);
		EXPECT_TRUE(n == -ENXIO || n == -EINVAL)
			TH_LOG("pread at 0x%llx: %zd", (unsigned long long)offs[i], n);
		n = zt_pwrite(self->fd, self->data, 100, offs[i]);
		EXPECT_TRUE(n == -ENXIO || n == -EINVAL)
			TH_LOG("pwrite at 0x%llx: %zd", (unsigned long long)offs[i], n);
		n = zt_pread(self->fd, self->data, 1, offs[i]);
		EXPECT_TRUE(n == -ENXIO || n == -EINVAL)
			TH_LOG("1-byte pread at 0x%llx: %zd",
			       (unsigned long long)offs[i], n);
	}
}

/* Two buffers: a read clamps at the first's end even if the next follows. */
TEST_F(rw, pread_does_not_cross_into_next_buffer)
{
	struct zcdev_alloc b;
	__u64 len = self->a.buf_len;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, len, &b));
	zt_fill(self->data, len, 0, 16);
	ASSERT_EQ((ssize_t)len, zt_pwrite(self->fd, self->data, len, b.offset));
	memset(self->data, 0, len);
	ASSERT_EQ((ssize_t)len, zt_pwrite(self->fd, self->data, len,
					  self->a.offset));
	EXPECT_EQ(10, zt_pread(self->fd, self->data, 2 * len, self->end - 10));
	EXPECT_EQ(-1, zt_first_nonzero(self->data, 10));
}

TEST_F(rw, zero_length_pread_returns_zero)
{
	EXPECT_EQ(0, zt_pread(self->fd, self->data, 0, self->a.offset));
}

TEST_HARNESS_MAIN
