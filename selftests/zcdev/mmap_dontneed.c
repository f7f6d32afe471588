// SPDX-License-Identifier: GPL-2.0
/*
 * madvise(MADV_DONTNEED) on zcdev mappings. A PAGES mapping behaves like
 * memory: MADV_DONTNEED drops its page table entries, and the next access
 * maps the buffer's own page again (the buffer still holds it), so the
 * bytes are intact, writes through the mapping reach the buffer, writes
 * to the buffer show through the mapping, and nothing raises SIGBUS; in a
 * mapping of part of a buffer, in a mapping split in several vmas, after
 * FREE, and in a forked child as well. A COHERENT mapping is a PFN map,
 * which madvise() refuses with EINVAL, leaving it as it was.
 *
 * Accesses to the mappings go through probe_copy(), which turns SIGBUS
 * and SIGSEGV into a failed check with a message instead of a dead test.
 */
#include <setjmp.h>
#include <signal.h>

#include "zcdev_test.h"

#define NPAGES		8

static sigjmp_buf probe_env;
static volatile sig_atomic_t probe_sig;

static void probe_handler(int sig)
{
	probe_sig = sig;
	siglongjmp(probe_env, 1);
}

/* memcpy() that survives a fault: 0, or the signal that stopped it. */
static int probe_copy(void *dst, const void *src, size_t len)
{
	struct sigaction sa, old_bus, old_segv;
	int sig = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = probe_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	probe_sig = 0;
	if (!sigsetjmp(probe_env, 1))
		memcpy(dst, src, len);
	else
		sig = probe_sig;
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return sig;
}

FIXTURE(dontneed) {
	int fd;
	struct zcdev_info info;
	__u64 page;
	struct zcdev_alloc a;
	unsigned char *data;	/* scratch: NPAGES pages */
	unsigned char *map;	/* the whole buffer, MAP_SHARED */
};

FIXTURE_VARIANT(dontneed) {
	__u32 kind;
};

FIXTURE_VARIANT_ADD(dontneed, pages) {
	.kind = ZCDEV_BUF_PAGES,
};

FIXTURE_VARIANT_ADD(dontneed, coherent) {
	.kind = ZCDEV_BUF_COHERENT,
};

FIXTURE_SETUP(dontneed)
{
	self->map = NULL;
	ZT_SETUP_ONE_BUFFER(self, variant->kind, NPAGES, NPAGES * self->page);
	self->map = zt_mmap(self->fd, self->a.buf_len, MAP_SHARED,
			    self->a.offset);
	ASSERT_NE(NULL, self->map);
	zt_fill(self->map, self->a.buf_len, 0, 1);
}

FIXTURE_TEARDOWN(dontneed)
{
	if (self->map)
		munmap(self->map, self->a.buf_len);
	ZT_TEARDOWN_ONE_BUFFER(self);
}

/*
 * What madvise(MADV_DONTNEED) of [@off, @off + @len) of the mapping must
 * return: 0 for PAGES; EINVAL for COHERENT, which then checks that the
 * mapping still works and returns false (nothing more to test).
 */
static bool dontneed(struct __test_metadata *_metadata,
		     FIXTURE_DATA(dontneed) *self,
		     const FIXTURE_VARIANT(dontneed) *variant,
		     unsigned char *p, size_t len, unsigned int seed)
{
	int ret = madvise(p, len, MADV_DONTNEED);

	if (variant->kind == ZCDEV_BUF_PAGES) {
		EXPECT_EQ(0, ret) TH_LOG("madvise: %s", strerror(errno));
		return !ret;
	}
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, probe_copy(self->data, self->map, self->a.buf_len));
	EXPECT_EQ(-1, zt_check(self->data, self->a.buf_len, 0, seed));
	return false;
}

/* The mapping reads @seed's pattern everywhere, without a fault. */
#define EXPECT_MAP_PATTERN(self, seed) do { \
	long __bad; \
	ASSERT_EQ(0, probe_copy((self)->data, (self)->map, \
				(self)->a.buf_len)) \
		TH_LOG("reading the mapping raised a signal"); \
	__bad = zt_check((self)->data, (self)->a.buf_len, 0, (seed)); \
	EXPECT_EQ(-1, __bad) TH_LOG("mapping byte %ld", __bad); \
} while (0)

/* The buffer (read with pread) holds @seed's pattern. */
#define EXPECT_BUF_PATTERN(self, seed) do { \
	long __bad; \
	ASSERT_EQ((ssize_t)(self)->a.buf_len, \
		  zt_pread((self)->fd, (self)->data, (self)->a.buf_len, \
			   (self)->a.offset)); \
	__bad = zt_check((self)->data, (self)->a.buf_len, 0, (seed)); \
	EXPECT_EQ(-1, __bad) TH_LOG("buffer byte %ld", __bad); \
} while (0)

TEST_F(dontneed, part_of_mapping_keeps_bytes)
{
	if (!dontneed(_metadata, self, variant, self->map + 2 * self->page,
		      3 * self->page, 1))
		return;
	EXPECT_MAP_PATTERN(self, 1);
	EXPECT_BUF_PATTERN(self, 1);
}

TEST_F(dontneed, whole_mapping_keeps_bytes)
{
	if (!dontneed(_metadata, self, variant, self->map, self->a.buf_len, 1))
		return;
	EXPECT_MAP_PATTERN(self, 1);
	EXPECT_BUF_PATTERN(self, 1);
	/* Again, now that it was faulted back in. */
	ASSERT_EQ(0, madvise(self->map, self->a.buf_len, MADV_DONTNEED));
	EXPECT_MAP_PATTERN(self, 1);
}

TEST_F(dontneed, writes_through_mapping_reach_buffer)
{
	if (!dontneed(_metadata, self, variant, self->map, self->a.buf_len, 1))
		return;
	/* A write is the first access: the fault must be a write fault. */
	zt_fill(self->data, self->a.buf_len, 0, 2);
	ASSERT_EQ(0, probe_copy(self->map, self->data, self->a.buf_len))
		TH_LOG("writing the mapping raised a signal");
	EXPECT_BUF_PATTERN(self, 2);
	EXPECT_MAP_PATTERN(self, 2);
}

TEST_F(dontneed, buffer_writes_show_through_mapping)
{
	if (!dontneed(_metadata, self, variant, self->map, self->a.buf_len, 1))
		return;
	/* Written while unmapped: a stale or zero page would not see it. */
	zt_fill(self->data, self->a.buf_len, 0, 3);
	ASSERT_EQ((ssize_t)self->a.buf_len,
		  zt_pwrite(self->fd, self->data, self->a.buf_len,
			    self->a.offset));
	EXPECT_MAP_PATTERN(self, 3);
}

TEST_F(dontneed, mapping_of_part_of_buffer_gets_its_own_pages)
{
	size_t first = 3, n = 4, len = n * self->page;
	unsigned char *part;
	long bad;

	part = zt_mmap(self->fd, len, MAP_SHARED,
		       self->a.offset + first * self->page);
	ASSERT_NE(NULL, part);
	if (dontneed(_metadata, self, variant, part, len, 1)) {
		ASSERT_EQ(0, probe_copy(self->data, part, len));
		bad = zt_check(self->data, len, first * self->page, 1);
		EXPECT_EQ(-1, bad) TH_LOG("byte %ld of the partial mapping",
					 bad);
	}
	munmap(part, len);
}

TEST_F(dontneed, split_mapping_keeps_bytes)
{
	unsigned char *mid = self->map + 3 * self->page;

	/* Three vmas: before, the read-only middle, after. */
	ASSERT_EQ(0, mprotect(mid, 2 * self->page, PROT_READ));
	if (!dontneed(_metadata, self, variant, self->map, self->a.buf_len, 1))
		return;
	EXPECT_MAP_PATTERN(self, 1);
	/* The writable vmas still write into the buffer. */
	zt_fill(self->data, self->page, 0, 4);
	ASSERT_EQ(0, probe_copy(self->map, self->data, self->page));
	zt_fill(self->data, self->page, (NPAGES - 1) * self->page, 4);
	ASSERT_EQ(0, probe_copy(self->map + (NPAGES - 1) * self->page,
				self->data, self->page));
	ASSERT_EQ((ssize_t)self->a.buf_len,
		  zt_pread(self->fd, self->data, self->a.buf_len,
			   self->a.offset));
	EXPECT_EQ(-1, zt_check(self->data, self->page, 0, 4));
	EXPECT_EQ(-1, zt_check(self->data + self->page,
			       (NPAGES - 2) * self->page, self->page, 1));
	EXPECT_EQ(-1, zt_check(self->data + (NPAGES - 1) * self->page,
			       self->page, (NPAGES - 1) * self->page, 4));
}

TEST_F(dontneed, freed_buffer_mapping_keeps_bytes)
{
	ASSERT_EQ(0, zt_free(self->fd, self->a.handle));
	if (!dontneed(_metadata, self, variant, self->map, self->a.buf_len, 1))
		return;
	EXPECT_MAP_PATTERN(self, 1);
}

/* Child side of fork_child_sees_buffer: 0 or the first failed step. */
static int child_checks(FIXTURE_DATA(dontneed) *self)
{
	size_t len = self->a.buf_len;

	if (probe_copy(self->data, self->map, len))
		return 10;
	if (zt_check(self->data, len, 0, 1) != -1)
		return 11;
	/* Write page 1 through the child's mapping, then drop it again. */
	zt_fill(self->data, self->page, self->page, 5);
	if (probe_copy(self->map + self->page, self->data, self->page))
		return 12;
	if (madvise(self->map, len, MADV_DONTNEED))
		return 13;
	if (probe_copy(self->data, self->map, len))
		return 14;
	if (zt_check(self->data + self->page, self->page, self->page, 5) != -1)
		return 15;
	return 0;
}

TEST_F(dontneed, fork_child_sees_buffer)
{
	pid_t pid;

	if (!dontneed(_metadata, self, variant, self->map, self->a.buf_len, 1))
		return;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(child_checks(self));
	EXPECT_EQ(0, zt_wait(pid)) TH_LOG("the child's check failed (10 read, 11 bytes, 12 write, 13 madvise, 14 read again, 15 its write)");
	/* The child's write went to the shared buffer. */
	ASSERT_EQ((ssize_t)self->a.buf_len,
		  zt_pread(self->fd, self->data, self->a.buf_len,
			   self->a.offset));
	EXPECT_EQ(-1, zt_check(self->data + self->page, self->page,
			       self->page, 5));
	ASSERT_EQ(0, probe_copy(self->data, self->map, self->a.buf_len));
	EXPECT_EQ(-1, zt_check(self->data + self->page, self->page,
			       self->page, 5));
	EXPECT_EQ(-1, zt_check(self->data, self->page, 0, 1));
}

TEST_HARNESS_MAIN
