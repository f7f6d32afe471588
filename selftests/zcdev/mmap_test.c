// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev mmap: MAP_SHARED only, inside one buffer, coherent with
 * pread/pwrite, shared across fork, and alive after ZCDEV_IOC_FREE and
 * close() until the last munmap. Runs once per buffer kind.
 */
#include "zcdev_test.h"

#define NPAGES 3

FIXTURE(map) {
	int fd;
	struct zcdev_info info;
	__u64 page;
	size_t len;		/* a.buf_len */
	struct zcdev_alloc a;	/* NPAGES pages */
	unsigned char *data;	/* len bytes of scratch */
};

FIXTURE_VARIANT(map) {
	__u32 kind;
};

FIXTURE_VARIANT_ADD(map, coherent) {
	.kind = ZCDEV_BUF_COHERENT,
};

FIXTURE_VARIANT_ADD(map, pages) {
	.kind = ZCDEV_BUF_PAGES,
};

FIXTURE_SETUP(map)
{
	ZT_SETUP_ONE_BUFFER(self, variant->kind, NPAGES, self->a.buf_len);
	self->len = self->a.buf_len;
}

FIXTURE_TEARDOWN(map)
{
	ZT_TEARDOWN_ONE_BUFFER(self);
}

TEST_F(map, mmap_shared_whole_buffer_works)
{
	unsigned char *p = zt_mmap(self->fd, self->len, MAP_SHARED,
				   self->a.offset);

	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(-1, zt_first_nonzero(p, self->len));
	zt_fill(p, self->len, 0, 21);
	EXPECT_EQ(-1, zt_check(p, self->len, 0, 21));
	EXPECT_EQ(0, munmap(p, self->len));
}

TEST_F(map, mmap_write_is_seen_by_pread)
{
	unsigned char *p = zt_mmap(self->fd, self->len, MAP_SHARED,
				   self->a.offset);

	ASSERT_NE(NULL, p);
	zt_fill(p, self->len, 0, 22);
	ASSERT_EQ((ssize_t)self->len, zt_pread(self->fd, self->data, self->len,
					       self->a.offset));
	EXPECT_EQ(-1, zt_check(self->data, self->len, 0, 22));
	munmap(p, self->len);
}

TEST_F(map, pwrite_is_seen_by_mmap)
{
	unsigned char *p = zt_mmap(self->fd, self->len, MAP_SHARED,
				   self->a.offset);

	ASSERT_NE(NULL, p);
	/* Touch the mapping first so stale PTEs would show. */
	EXPECT_EQ(0, p[0] + p[self->len - 1]);
	zt_fill(self->data, self->len, 0, 23);
	ASSERT_EQ((ssize_t)self->len, zt_pwrite(self->fd, self->data, self->len,
						self->a.offset));
	EXPECT_EQ(-1, zt_check(p, self->len, 0, 23));
	munmap(p, self->len);
}

TEST_F(map, mmap_private_is_einval)
{
	EXPECT_EQ(EINVAL, zt_mmap_err(self->fd, self->len, MAP_PRIVATE,
				      self->a.offset));
}

TEST_F(map, mmap_longer_than_buffer_is_enxio)
{
	EXPECT_EQ(ENXIO, zt_mmap_err(self->fd, self->len + self->page,
				     MAP_SHARED, self->a.offset));
}

TEST_F(map, mmap_running_past_end_is_enxio)
{
	EXPECT_EQ(ENXIO, zt_mmap_err(self->fd, self->len, MAP_SHARED,
				     self->a.offset + self->page));
	EXPECT_EQ(ENXIO, zt_mmap_err(self->fd, 2 * self->page, MAP_SHARED,
				     self->a.offset + self->len - self->page));
}

TEST_F(map, mmap_in_no_buffer_is_enxio)
{
	EXPECT_EQ(ENXIO, zt_mmap_err(self->fd, self->page, MAP_SHARED,
				     self->a.offset + self->len +
				     64 * self->page));
}

/* A mapping cannot span two buffers, even adjacent ones. */
TEST_F(map, mmap_across_two_buffers_is_enxio)
{
	struct zcdev_alloc b;

	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, self->len, &b));
	if (b.offset != self->a.offset + self->len)
		TH_LOG("buffers are not adjacent (%llx, %llx)",
		       (unsigned long long)self->a.offset,
		       (unsigned long long)b.offset);
	EXPECT_EQ(ENXIO, zt_mmap_err(self->fd, 2 * self->page, MAP_SHARED,
				     self->a.offset + self->len - self->page));
}

TEST_F(map, mmap_of_freed_buffer_is_enxio)
{
	ASSERT_EQ(0, zt_free(self->fd, self->a.handle));
	EXPECT_EQ(ENXIO, zt_mmap_err(self->fd, self->len, MAP_SHARED,
				     self->a.offset));
}

/* The second page of a three-page buffer maps that page's bytes. */
TEST_F(map, mmap_sub_range_maps_right_bytes)
{
	unsigned char *p;

	zt_fill(self->data, self->len, 0, 24);
	ASSERT_EQ((ssize_t)self->len, zt_pwrite(self->fd, self->data, self->len,
						self->a.offset));
	p = zt_mmap(self->fd, self->page, MAP_SHARED,
		    self->a.offset + self->page);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(-1, zt_check(p, self->page, self->page, 24));
	/* And a write through it lands in the second page. */
	memset(p, 0x3c, 16);
	ASSERT_EQ(16, zt_pread(self->fd, self->data, 16,
			       self->a.offset + self->page));
	EXPECT_EQ(0x3c, self->data[0]);
	EXPECT_EQ(0x3c, self->data[15]);
	munmap(p, self->page);
}

TEST_F(map, mmap_last_page_maps_right_bytes)
{
	unsigned char *p;

	zt_fill(self->data, self->len, 0, 25);
	ASSERT_EQ((ssize_t)self->len, zt_pwrite(self->fd, self->data, self->len,
						self->a.offset));
	p = zt_mmap(self->fd, self->page, MAP_SHARED,
		    self->a.offset + self->len - self->page);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(-1, zt_check(p, self->page, self->len - self->page, 25));
	munmap(p, self->page);
}

TEST_F(map, two_mappings_share_bytes)
{
	unsigned char *p = zt_mmap(self->fd, self->len, MAP_SHARED,
				   self->a.offset);
	unsigned char *q = zt_mmap(self->fd, self->len, MAP_SHARED,
				   self->a.offset);

	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, q);
	ASSERT_NE(p, q);
	zt_fill(p, self->len, 0, 26);
	EXPECT_EQ(-1, zt_check(q, self->len, 0, 26));
	munmap(p, self->len);
	EXPECT_EQ(-1, zt_check(q, self->len, 0, 26));
	munmap(q, self->len);
}

TEST_F(map, mapping_survives_free)
{
	unsigned char *p = zt_mmap(self->fd, self->len, MAP_SHARED,
				   self->a.offset);
	struct zcdev_query q;

	ASSERT_NE(NULL, p);
	zt_fill(p, self->len, 0, 27);
	ASSERT_EQ(0, zt_free(self->fd, self->a.handle));
	EXPECT_EQ(-ENOENT, zt_query(self->fd, self->a.handle, &q));
	EXPECT_EQ(-1, zt_check(p, self->len, 0, 27));
	zt_fill(p, self->len, 0, 28);
	EXPECT_EQ(-1, zt_check(p, self->len, 0, 28));
	munmap(p, self->len);
}

TEST_F(map, mapping_survives_close)
{
	unsigned char *p = zt_mmap(self->fd, self->len, MAP_SHARED,
				   self->a.offset);

	ASSERT_NE(NULL, p);
	zt_fill(p, self->len, 0, 29);
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_EQ(-1, zt_check(p, self->len, 0, 29));
	zt_fill(p, self->len, 0, 30);
	EXPECT_EQ(-1, zt_check(p, self->len, 0, 30));
	munmap(p, self->len);
}

TEST_F(map, mapping_survives_free_and_close)
{
	unsigned char *p = zt_mmap(self->fd, self->len, MAP_SHARED,
				   self->a.offset);

	ASSERT_NE(NULL, p);
	zt_fill(p, self->len, 0, 31);
	ASSERT_EQ(0, zt_free(self->fd, self->a.handle));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_EQ(-1, zt_check(p, self->len, 0, 31));
	zt_fill(p, self->len, 0, 32);
	EXPECT_EQ(-1, zt_check(p, self->len, 0, 32));
	munmap(p, self->len);
}

/* The header: a freed buffer that is still mapped counts in file_bytes. */
TEST_F(map, freed_mapped_buffer_counts_in_file_bytes)
{
	unsigned char *p = zt_mmap(self->fd, self->len, MAP_SHARED,
				   self->a.offset);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, zt_free(self->fd, self->a.handle));
	EXPECT_EQ((__u64)self->len, zt_file_bytes(self->fd));
	munmap(p, self->len);
}

TEST_F(map, munmap_of_freed_buffer_releases_file_bytes)
{
	unsigned char *p = zt_mmap(self->fd, self->len, MAP_SHARED,
				   self->a.offset);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, zt_free(self->fd, self->a.handle));
	ASSERT_EQ(0, munmap(p, self->len));
	EXPECT_EQ(0ULL, zt_file_bytes(self->fd));
}

/*
 * A mapping keeps its file alive after close(): the bytes stay in
 * total_bytes until the last munmap, then all go.
 */
TEST_F(map, closed_file_mapping_counts_in_total_until_munmap)
{
	__u64 base = zt_total_bytes(self->fd);
	struct zcdev_alloc b;
	unsigned char *p;
	int fd2 = zt_open();

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, zt_alloc(fd2, variant->kind, self->len, &b));
	p = zt_mmap(fd2, self->len, MAP_SHARED, b.offset);
	ASSERT_NE(NULL, p);
	zt_fill(p, self->len, 0, 33);
	ASSERT_EQ(0, close(fd2));
	EXPECT_EQ(base + b.buf_len, zt_total_bytes(self->fd));
	EXPECT_EQ(-1, zt_check(p, self->len, 0, 33));
	ASSERT_EQ(0, munmap(p, self->len));
	EXPECT_EQ(base, zt_total_bytes(self->fd));
}

TEST_F(map, fork_child_sees_parent_data)
{
	unsigned char *p = zt_mmap(self->fd, self->len, MAP_SHARED,
				   self->a.offset);
	pid_t pid;

	ASSERT_NE(NULL, p);
	zt_fill(p, self->len, 0, 34);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(zt_check(p, self->len, 0, 34) == -1 ? 0 : 1);
	EXPECT_EQ(0, zt_wait(pid));
	munmap(p, self->len);
}

TEST_F(map, fork_parent_sees_child_writes)
{
	unsigned char *p = zt_mmap(self->fd, self->len, MAP_SHARED,
				   self->a.offset);
	pid_t pid;

	ASSERT_NE(NULL, p);
	memset(p, 0, self->len);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		zt_fill(p, self->len, 0, 35);
		_exit(0);
	}
	ASSERT_EQ(0, zt_wait(pid));
	EXPECT_EQ(-1, zt_check(p, self->len, 0, 35));
	ASSERT_EQ((ssize_t)self->len, zt_pread(self->fd, self->data, self->len,
					       self->a.offset));
	EXPECT_EQ(-1, zt_check(self->data, self->len, 0, 35));
	munmap(p, self->len);
}

/* The child outlives the parent's mapping, FREE and close. */
TEST_F(map, fork_child_keeps_buffer_after_parent_lets_go)
{
	unsigned char *p = zt_mmap(self->fd, self->len, MAP_SHARED,
				   self->a.offset);
	int go[2];
	pid_t pid;
	char c;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, pipe(go));
	zt_fill(p, self->len, 0, 36);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(zt_check(p, self->len, 0, 36) == -1 ? 0 : 1);
	}
	close(go[0]);
	ASSERT_EQ(0, munmap(p, self->len));
	ASSERT_EQ(0, zt_free(self->fd, self->a.handle));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	ASSERT_EQ(1, write(go[1], "x", 1));
	close(go[1]);
	EXPECT_EQ(0, zt_wait(pid));
}

TEST_F(map, partial_munmap_keeps_rest_working)
{
	unsigned char *p = zt_mmap(self->fd, self->len, MAP_SHARED,
				   self->a.offset);
	size_t pg = self->page;

	ASSERT_NE(NULL, p);
	zt_fill(p, self->len, 0, 37);
	ASSERT_EQ(0, munmap(p + pg, pg));
	EXPECT_EQ(-1, zt_check(p, pg, 0, 37));
	EXPECT_EQ(-1, zt_check(p + 2 * pg, pg, 2 * pg, 37));
	memset(p + 2 * pg, 0x77, pg);
	ASSERT_EQ((ssize_t)pg, zt_pread(self->fd, self->data, pg,
					self->a.offset + 2 * pg));
	EXPECT_EQ(0x77, self->data[0]);
	EXPECT_EQ(0x77, self->data[pg - 1]);
	/* The unmapped middle page is still the buffer's, via pread. */
	ASSERT_EQ((ssize_t)pg, zt_pread(self->fd, self->data, pg,
					self->a.offset + pg));
	EXPECT_EQ(-1, zt_check(self->data, pg, pg, 37));
	munmap(p, pg);
	munmap(p + 2 * pg, pg);
}

/*
 * Splitting a mapping makes two VMAs of one buffer: the buffer must be
 * released exactly once, after the last piece goes (vm_ops open/close).
 */
TEST_F(map, split_mapping_releases_buffer_once)
{
	unsigned char *p = zt_mmap(self->fd, self->len, MAP_SHARED,
				   self->a.offset);
	size_t pg = self->page;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, zt_free(self->fd, self->a.handle));
	ASSERT_EQ(0, munmap(p + pg, pg));
	EXPECT_EQ((__u64)self->len, zt_file_bytes(self->fd));
	ASSERT_EQ(0, munmap(p, pg));
	EXPECT_EQ((__u64)self->len, zt_file_bytes(self->fd));
	memset(p + 2 * pg, 0x11, pg);
	ASSERT_EQ(0, munmap(p + 2 * pg, pg));
	EXPECT_EQ(0ULL, zt_file_bytes(self->fd));
}

TEST_F(map, mprotect_read_only_mapping_still_reads)
{
	unsigned char *p = zt_mmap(self->fd, self->len, MAP_SHARED,
				   self->a.offset);

	ASSERT_NE(NULL, p);
	zt_fill(p, self->len, 0, 38);
	ASSERT_EQ(0, mprotect(p, self->len, PROT_READ));
	EXPECT_EQ(-1, zt_check(p, self->len, 0, 38));
	munmap(p, self->len);
}

TEST_HARNESS_MAIN
