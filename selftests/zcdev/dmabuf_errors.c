// SPDX-License-Identifier: GPL-2.0
/*
 * What EXPORT and IMPORT refuse, and with which errno (uapi/linux/zcdev.h):
 * an fd that is no dma-buf (EINVAL) or no fd at all (EBADF), a length
 * past the dma-buf's end (EINVAL), the same dma-buf twice in one file
 * (EEXIST), a handle that is gone (ENOENT), an imported buffer to export
 * (EINVAL), flags nobody defined (EINVAL); an import is used only inside
 * its length. Every refusal leaves INFO's file_bytes and total_bytes as
 * they were and no new fd behind.
 *
 * The size and reserved-field rules EXPORT and IMPORT share with every
 * ioctl are ioctl_rules.c's.
 */
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "dmabuf_test.h"

FIXTURE(bad) {
	int fd;			/* the file under test */
	int xfd;		/* another file: the dma-buf's exporter */
	struct zcdev_info info;
	__u64 page;
	struct zcdev_alloc a;	/* a PAGES buffer of fd */
	struct zcdev_alloc x;	/* the exported buffer of xfd */
	int dfd;		/* its dma-buf */
};

FIXTURE_SETUP(bad)
{
	self->fd = self->xfd = self->dfd = -1;
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZD_SETUP_NEED_DMABUF(&self->info);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_PAGES);
	self->page = self->info.page_size;
	ASSERT_EQ(0, zt_alloc(self->fd, ZCDEV_BUF_PAGES, 2 * self->page,
			      &self->a));
	self->xfd = zt_open();
	ASSERT_LE(0, self->xfd);
	ASSERT_EQ(0, zt_alloc(self->xfd, ZCDEV_BUF_PAGES, 4 * self->page,
			      &self->x));
	self->dfd = zt_export(self->xfd, self->x.handle, ZCDEV_EXPORT_RDWR);
	ASSERT_LE(0, self->dfd) TH_LOG("EXPORT: %s", strerror(-self->dfd));
}

FIXTURE_TEARDOWN(bad)
{
	if (self->dfd >= 0)
		close(self->dfd);
	if (self->xfd >= 0)
		close(self->xfd);
	if (self->fd >= 0)
		close(self->fd);
}

struct bad_state {
	__u64 file_bytes, total_bytes;
	int nr_fds;
};

static void bad_state(FIXTURE_DATA(bad) *self, struct bad_state *s)
{
	s->file_bytes = zt_file_bytes(self->fd);
	s->total_bytes = zt_total_bytes(self->fd);
	s->nr_fds = zd_nr_fds();
}

/* @ret is -@err, and the call changed no count nor left an fd behind. */
static void bad_expect(struct __test_metadata *_metadata,
		       FIXTURE_DATA(bad) *self, const struct bad_state *before,
		       int ret, int err, const char *what)
{
	struct bad_state after;

	EXPECT_EQ(-err, ret) TH_LOG("%s: got %s, want %s", what,
				    strerror(-ret), strerror(err));
	bad_state(self, &after);
	EXPECT_EQ(before->file_bytes, after.file_bytes)
		TH_LOG("%s: file_bytes changed", what);
	EXPECT_EQ(before->total_bytes, after.total_bytes)
		TH_LOG("%s: total_bytes changed", what);
	EXPECT_EQ(before->nr_fds, after.nr_fds)
		TH_LOG("%s: the number of open fds changed", what);
}

static void bad_import(struct __test_metadata *_metadata,
		       FIXTURE_DATA(bad) *self, int fd, __u64 len, int err,
		       const char *what)
{
	struct bad_state before;
	int ret;

	bad_state(self, &before);
	ret = zt_import(self->fd, fd, len, NULL);
	bad_expect(_metadata, self, &before, ret, err, what);
}

static void bad_export(struct __test_metadata *_metadata,
		       FIXTURE_DATA(bad) *self, __u32 handle, __u32 flags,
		       int err, const char *what)
{
	struct bad_state before;
	int ret;

	bad_state(self, &before);
	ret = zt_export(self->fd, handle, flags);
	if (ret >= 0)
		close(ret);
	bad_expect(_metadata, self, &before, ret, err, what);
}

/* ---- IMPORT: the fd ---- */

TEST_F(bad, import_of_a_pipe_is_einval)
{
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	bad_import(_metadata, self, p[0], 0, EINVAL, "pipe read end");
	bad_import(_metadata, self, p[1], 0, EINVAL, "pipe write end");
	close(p[0]);
	close(p[1]);
}

TEST_F(bad, import_of_other_files_that_are_no_dmabuf_is_einval)
{
	char path[] = "/tmp/zcdev-dmabuf-XXXXXX";
	int sv[2], efd, tfd, nfd;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	tfd = mkostemp(path, O_CLOEXEC);
	ASSERT_LE(0, tfd);
	unlink(path);
	ASSERT_EQ(5, pwrite(tfd, "zcdev", 5, 0));
	nfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, nfd);

	bad_import(_metadata, self, sv[0], 0, EINVAL, "unix socket");
	bad_import(_metadata, self, efd, 0, EINVAL, "eventfd");
	bad_import(_metadata, self, tfd, 0, EINVAL, "regular file");
	bad_import(_metadata, self, nfd, 0, EINVAL, "/dev/null");
	bad_import(_metadata, self, self->fd, 0, EINVAL, "the zcdev file");
	close(sv[0]);
	close(sv[1]);
	close(efd);
	close(tfd);
	close(nfd);
}

TEST_F(bad, import_of_a_closed_fd_is_ebadf)
{
	int closed = dup(self->dfd);

	ASSERT_LE(0, closed);
	ASSERT_EQ(0, close(closed));
	bad_import(_metadata, self, closed, 0, EBADF, "closed fd");
	bad_import(_metadata, self, -1, 0, EBADF, "fd -1");
	bad_import(_metadata, self, INT_MAX, 0, EBADF, "fd INT_MAX");
	bad_import(_metadata, self, INT_MIN, 0, EBADF, "fd INT_MIN");
}

/* ---- IMPORT: the length ---- */

TEST_F(bad, import_longer_than_the_dmabuf_is_einval)
{
	const __u64 size = self->x.buf_len;
	struct { __u64 len; const char *what; } cases[] = {
		{ size + 1, "size + 1" },
		{ size + self->page, "size + a page" },
		{ 2 * size, "twice the size" },
		{ 1ULL << 63, "2^63" },
		{ ~0ULL, "~0" },
		{ ~0ULL - self->page + 2, "a page below ~0, rounding up wraps" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		bad_import(_metadata, self, self->dfd, cases[i].len, EINVAL,
			   cases[i].what);
	/* The whole of it is fine. */
	EXPECT_EQ(0, zt_import(self->fd, self->dfd, size, NULL));
}

/* ---- IMPORT: once per file ---- */

/*
 * The same dma-buf under any fd (the first, a dup, another EXPORT of the
 * same buffer) is EEXIST in a file that holds it; another file may import
 * it; after FREE this file may import it again.
 */
TEST_F(bad, double_import_into_one_file_is_eexist)
{
	struct zcdev_import im, im2;
	int dup_fd, again, ofd;

	ASSERT_EQ(0, zt_import(self->fd, self->dfd, 0, &im));
	bad_import(_metadata, self, self->dfd, 0, EEXIST, "same fd");
	bad_import(_metadata, self, self->dfd, self->page, EEXIST,
		   "same fd, a prefix");
	dup_fd = dup(self->dfd);
	ASSERT_LE(0, dup_fd);
	bad_import(_metadata, self, dup_fd, 0, EEXIST, "a dup of the fd");
	again = zt_export(self->xfd, self->x.handle, ZCDEV_EXPORT_RDWR);
	ASSERT_LE(0, again);
	bad_import(_metadata, self, again, 0, EEXIST,
		   "another export of the same buffer");

	ofd = zt_open();
	ASSERT_LE(0, ofd);
	EXPECT_EQ(0, zt_import(ofd, again, 0, &im2));
	close(ofd);

	ASSERT_EQ(0, zt_free(self->fd, im.handle));
	EXPECT_EQ(0, zt_import(self->fd, dup_fd, 0, &im));
	close(again);
	close(dup_fd);
}

/* ---- EXPORT: the handle ---- */

TEST_F(bad, export_of_a_freed_handle_is_enoent)
{
	struct zcdev_alloc b;

	ASSERT_EQ(0, zt_alloc(self->fd, ZCDEV_BUF_PAGES, self->page, &b));
	ASSERT_EQ(0, zt_free(self->fd, b.handle));
	bad_export(_metadata, self, b.handle, ZCDEV_EXPORT_RDWR, ENOENT,
		   "freed handle");
}

TEST_F(bad, export_of_a_freed_but_mapped_handle_is_enoent)
{
	struct zcdev_alloc b;
	void *p;

	ASSERT_EQ(0, zt_alloc(self->fd, ZCDEV_BUF_PAGES, self->page, &b));
	p = zt_mmap(self->fd, b.buf_len, MAP_SHARED, b.offset);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, zt_free(self->fd, b.handle));
	bad_export(_metadata, self, b.handle, ZCDEV_EXPORT_RDWR, ENOENT,
		   "freed handle whose buffer is still mapped");
	munmap(p, b.buf_len);
}

TEST_F(bad, export_of_handles_that_never_existed_is_enoent)
{
	bad_export(_metadata, self, 0, 0, ENOENT, "handle 0");
	bad_export(_metadata, self, self->a.handle + 1000, 0, ENOENT,
		   "handle + 1000");
	bad_export(_metadata, self, 0xffffffff, 0, ENOENT, "handle ~0");
}

/* An import is another driver's memory: zcdev does not re-export it. */
TEST_F(bad, export_of_an_imported_buffer_is_einval)
{
	struct zcdev_import im;

	ASSERT_EQ(0, zt_import(self->fd, self->dfd, 0, &im));
	bad_export(_metadata, self, im.handle, ZCDEV_EXPORT_RDWR, EINVAL,
		   "imported buffer");
	bad_export(_metadata, self, im.handle, 0, EINVAL,
		   "imported buffer, no flags");
	EXPECT_EQ(ZCDEV_QUERY_IMPORTED, zd_query_dmabuf(self->fd, im.handle));
}

/*
 * A dma-buf has one file and so one access mode, set by its first export:
 * a later ZCDEV_EXPORT_RDWR cannot make a read-only one writable (EINVAL),
 * a later read-only export is another fd of it.
 */
TEST_F(bad, rdwr_export_of_a_read_only_dmabuf_is_einval)
{
	int ro = zt_export(self->fd, self->a.handle, 0), again;

	ASSERT_LE(0, ro) TH_LOG("read-only EXPORT: %s", strerror(-ro));
	bad_export(_metadata, self, self->a.handle, ZCDEV_EXPORT_RDWR, EINVAL,
		   "RDWR after a read-only first export");
	bad_export(_metadata, self, self->a.handle,
		   ZCDEV_EXPORT_RDWR | ZCDEV_EXPORT_CLOEXEC, EINVAL,
		   "RDWR|CLOEXEC after a read-only first export");
	again = zt_export(self->fd, self->a.handle, ZCDEV_EXPORT_CLOEXEC);
	ASSERT_LE(0, again);
	EXPECT_EQ(zd_ino(ro), zd_ino(again));
	EXPECT_EQ(O_RDONLY, fcntl(again, F_GETFL) & O_ACCMODE);
	close(again);
	close(ro);
}

/* ---- flags ---- */

TEST_F(bad, export_with_unknown_flags_is_einval)
{
	const __u32 known = ZCDEV_EXPORT_CLOEXEC | ZCDEV_EXPORT_RDWR;
	char what[32];
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		if (known & (1U << bit))
			continue;
		snprintf(what, sizeof(what), "flags 0x%x", 1U << bit);
		bad_export(_metadata, self, self->a.handle,
			   known | (1U << bit), EINVAL, what);
	}
	/* Nothing was exported. */
	EXPECT_EQ(0U, zd_query_dmabuf(self->fd, self->a.handle));
}

TEST_F(bad, import_with_any_flag_is_einval)
{
	struct zcdev_import im = {
		.size = sizeof(im),
		.fd = self->dfd,
	};
	struct bad_state before;
	char what[32];
	unsigned int bit;
	int ret;

	for (bit = 0; bit < 32; bit++) {
		im.flags = 1U << bit;
		snprintf(what, sizeof(what), "flags 0x%x", im.flags);
		bad_state(self, &before);
		ret = zt_ioctl(self->fd, ZCDEV_IOC_IMPORT, &im);
		bad_expect(_metadata, self, &before, ret, EINVAL, what);
	}
}

/* ZCDEV_BUF_DMABUF is a kind an import has, not one ALLOC makes. */
TEST_F(bad, alloc_of_kind_dmabuf_is_einval)
{
	struct bad_state before;

	bad_state(self, &before);
	bad_expect(_metadata, self, &before,
		   zt_alloc(self->fd, ZCDEV_BUF_DMABUF, self->page, NULL),
		   EINVAL, "ALLOC kind ZCDEV_BUF_DMABUF");
}

/* ---- an import is used inside its length only ---- */

/*
 * A prefix of the dma-buf: DMA, mmap and pwrite past the import's length
 * are refused as for any buffer, though the dma-buf goes on.
 */
TEST_F(bad, import_of_a_prefix_is_used_inside_it_only)
{
	struct zcdev_import im;
	unsigned char b[64] = { 0 };
	__u64 id;

	ASSERT_EQ(0, zt_import(self->fd, self->dfd, self->page, &im));
	ASSERT_EQ(self->page, im.len);
	EXPECT_EQ(ENXIO, zt_mmap_err(self->fd, 2 * self->page, MAP_SHARED,
				     im.offset));
	EXPECT_EQ(-ENOSPC, zt_pwrite(self->fd, b, sizeof(b),
				     im.offset + self->page));
	if (!(self->info.features & ZCDEV_FEAT_DMA))
		return;
	EXPECT_EQ(-EINVAL, zt_dma_submit1(self->fd, zt_ep_buf(self->a.handle, 0),
					  zt_ep_buf(im.handle, self->page - 10),
					  11, 0, &id));
	EXPECT_EQ(-EINVAL, zt_dma_submit1(self->fd, zt_ep_buf(im.handle, 1),
					  zt_ep_buf(self->a.handle, 0),
					  self->page, 0, &id));
	EXPECT_EQ(-ENOENT, zt_dma_wait(self->fd, 0, ZCDEV_DMA_WAIT_ANY, 0,
				       NULL));
}

TEST_HARNESS_MAIN
