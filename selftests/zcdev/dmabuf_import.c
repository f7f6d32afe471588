// SPDX-License-Identifier: GPL-2.0
/*
 * ZCDEV_IOC_IMPORT of a zcdev export, for both exporting kinds: the
 * generic import path (attach, map_dma_buf, vmap, mmap of the dma-buf)
 * with zcdev on both ends, so every byte can be checked from the other
 * side. The import is a ZCDEV_BUF_DMABUF buffer that QUERY describes as
 * imported from "zcdev"; DMA into it and out of it, pread/pwrite and mmap
 * of it reach the exporter's bytes; it is charged to the importing file;
 * it can come from another process and from the same file; SEND from it
 * is EOPNOTSUPP.
 *
 * vgem as the exporter is dmabuf_vgem.c's; refusals dmabuf_errors.c's.
 */
#include <sys/socket.h>

#include "dmabuf_test.h"
#include "send_common.h"

#define NPAGES		8

FIXTURE(imp) {
	int fd;			/* the exporting file */
	int ifd;		/* the importing file */
	struct zcdev_info info;
	__u64 page, len;
	struct zcdev_alloc a;	/* the exported buffer */
	unsigned char *zmap;	/* its zcdev mapping */
	int dfd;		/* its dma-buf */
	struct zcdev_import im;	/* the import in ifd */
	unsigned char *data;	/* scratch: len bytes */
	__u64 ifile0;		/* ifd's file_bytes before the import */
};

FIXTURE_VARIANT(imp) {
	__u32 kind;
};

FIXTURE_VARIANT_ADD(imp, coherent) { .kind = ZCDEV_BUF_COHERENT };
FIXTURE_VARIANT_ADD(imp, pages) { .kind = ZCDEV_BUF_PAGES };

FIXTURE_SETUP(imp)
{
	int ret;

	self->fd = self->ifd = self->dfd = -1;
	self->zmap = self->data = NULL;
	memset(&self->im, 0, sizeof(self->im));
	zt_knobs_restore();
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZD_SETUP_NEED_DMABUF(&self->info);
	ZT_SETUP_NEED_KIND(&self->info, variant->kind);
	self->page = self->info.page_size;
	self->len = NPAGES * self->page;
	ASSERT_EQ(0, zt_alloc(self->fd, variant->kind, self->len, &self->a));
	self->zmap = zt_mmap(self->fd, self->len, MAP_SHARED, self->a.offset);
	ASSERT_NE(NULL, self->zmap);
	zt_fill(self->zmap, self->len, 0, 1);
	self->dfd = zt_export(self->fd, self->a.handle, ZCDEV_EXPORT_RDWR |
			      ZCDEV_EXPORT_CLOEXEC);
	ASSERT_LE(0, self->dfd) TH_LOG("EXPORT: %s", strerror(-self->dfd));
	self->ifd = zt_open();
	ASSERT_LE(0, self->ifd);
	self->ifile0 = zt_file_bytes(self->ifd);
	ret = zt_import(self->ifd, self->dfd, 0, &self->im);
	ASSERT_EQ(0, ret) TH_LOG("IMPORT of a zcdev export: %s",
				 strerror(-ret));
	self->data = malloc(self->len);
	ASSERT_NE(NULL, self->data);
}

FIXTURE_TEARDOWN(imp)
{
	free(self->data);
	if (self->ifd >= 0)
		close(self->ifd);
	if (self->dfd >= 0)
		close(self->dfd);
	if (self->zmap)
		munmap(self->zmap, self->len);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(imp, import_answers_handle_whole_length_and_offset)
{
	struct zcdev_query q;

	EXPECT_NE(0U, self->im.handle);
	EXPECT_EQ(self->len, self->im.len);
	ASSERT_EQ(0, zt_query(self->ifd, self->im.handle, &q));
	EXPECT_EQ(self->im.offset, q.offset);
	EXPECT_EQ(self->len, q.len);
}

/* QUERY: kind DMABUF, IMPORTED (not EXPORTED), exporter "zcdev". */
TEST_F(imp, query_says_imported_from_zcdev)
{
	struct zcdev_query q;

	ASSERT_EQ(0, zt_query(self->ifd, self->im.handle, &q));
	EXPECT_EQ((__u32)ZCDEV_BUF_DMABUF, q.kind);
	EXPECT_EQ(ZCDEV_QUERY_IMPORTED, q.dmabuf);
	EXPECT_STREQ("zcdev", q.exporter);
	EXPECT_NE(NULL, memchr(q.exporter, 0, sizeof(q.exporter)));
	EXPECT_EQ(0U, q.reserved2);
	/* Mapped only while a transfer uses it. */
	EXPECT_EQ(0U, q.nr_segs);
	/* The exporting side is exported, not imported. */
	ASSERT_EQ(0, zt_query(self->fd, self->a.handle, &q));
	EXPECT_EQ(ZCDEV_QUERY_EXPORTED, q.dmabuf);
	EXPECT_EQ(variant->kind, q.kind);
}

/* The import is charged to the importing file, and uncharged at FREE. */
TEST_F(imp, import_counts_in_file_bytes_until_freed)
{
	EXPECT_EQ(self->ifile0 + self->len, zt_file_bytes(self->ifd));
	ASSERT_EQ(0, zt_free(self->ifd, self->im.handle));
	EXPECT_EQ(self->ifile0, zt_file_bytes(self->ifd));
	EXPECT_EQ(-ENOENT, zt_query(self->ifd, self->im.handle,
				    &(struct zcdev_query){ 0 }));
}

/* len in: the first len bytes of the dma-buf; out: what the buffer has. */
TEST_F(imp, import_of_a_prefix_has_that_length)
{
	struct zcdev_import im;
	int ifd2 = zt_open();

	ASSERT_LE(0, ifd2);
	ASSERT_EQ(0, zt_import(ifd2, self->dfd, 2 * self->page, &im));
	EXPECT_EQ(2 * self->page, im.len);
	EXPECT_EQ(2 * self->page, zt_file_bytes(ifd2));
	ASSERT_EQ((ssize_t)self->page, zt_pread(ifd2, self->data, self->page,
						im.offset + self->page));
	EXPECT_EQ(-1, zt_check(self->data, self->page, self->page, 1));
	/* Nothing past it: a read across its end is short, at its end EOF. */
	EXPECT_EQ((ssize_t)self->page,
		  zt_pread(ifd2, self->data, 2 * self->page,
			   im.offset + self->page));
	EXPECT_EQ(0, zt_pread(ifd2, self->data, 1, im.offset + 2 * self->page));
	close(ifd2);
}

/* pread of the import: the exporter's bytes (its vmap or mmap path). */
TEST_F(imp, pread_of_import_reads_exporter_bytes)
{
	ASSERT_EQ((ssize_t)self->len, zt_pread(self->ifd, self->data,
					       self->len, self->im.offset));
	EXPECT_EQ(-1, zt_check(self->data, self->len, 0, 1));
	/* An unaligned piece across a page boundary. */
	ASSERT_EQ(300, zt_pread(self->ifd, self->data, 300,
				self->im.offset + 3 * self->page - 150));
	EXPECT_EQ(-1, zt_check(self->data, 300, 3 * self->page - 150, 1));
}

TEST_F(imp, pwrite_to_import_lands_in_exporter)
{
	zt_fill(self->data, self->len, 0, 2);
	ASSERT_EQ((ssize_t)self->len, zt_pwrite(self->ifd, self->data,
						self->len, self->im.offset));
	EXPECT_EQ(-1, zt_check(self->zmap, self->len, 0, 2));
	zt_fill(self->data, 77, 0, 3);
	ASSERT_EQ(77, zt_pwrite(self->ifd, self->data, 77,
				self->im.offset + self->page - 7));
	EXPECT_EQ(-1, zt_check(self->zmap + self->page - 7, 77, 0, 3));
	EXPECT_EQ(-1, zt_check(self->zmap + self->page + 70,
			       self->len - self->page - 70, self->page + 70,
			       2));
}

/* mmap of the import (through dma_buf_mmap) is the exporter's memory. */
TEST_F(imp, mmap_of_import_is_exporter_memory)
{
	unsigned char *p = zt_mmap(self->ifd, self->len, MAP_SHARED,
				   self->im.offset);

	ASSERT_NE(NULL, p) TH_LOG("mmap of the import: %s", strerror(errno));
	EXPECT_EQ(-1, zt_check(p, self->len, 0, 1));
	zt_fill(p + self->page, self->page, self->page, 4);
	EXPECT_EQ(-1, zt_check(self->zmap + self->page, self->page,
			       self->page, 4));
	zt_fill(self->zmap, self->page, 0, 5);
	EXPECT_EQ(-1, zt_check(p, self->page, 0, 5));
	EXPECT_EQ(0, munmap(p, self->len));
	/* A private mapping is refused as for every zcdev buffer. */
	EXPECT_EQ(EINVAL, zt_mmap_err(self->ifd, self->len, MAP_PRIVATE,
				      self->im.offset));
}

/* The mapping holds the import after FREE, like any zcdev mapping. */
TEST_F(imp, mmap_of_import_outlives_free)
{
	unsigned char *p = zt_mmap(self->ifd, self->len, MAP_SHARED,
				   self->im.offset);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, zt_free(self->ifd, self->im.handle));
	ASSERT_EQ(0, close(self->dfd));
	self->dfd = -1;
	zt_fill(self->zmap, self->len, 0, 6);
	EXPECT_EQ(-1, zt_check(p, self->len, 0, 6));
	EXPECT_EQ(0, munmap(p, self->len));
}

/* ---- DMA with the import as an endpoint ---- */

#define IMP_NEED_DMA(self) do { \
	if (!((self)->info.features & ZCDEV_FEAT_DMA)) \
		SKIP(return, "no DMA channel (INFO.features lacks ZCDEV_FEAT_DMA)"); \
} while (0)

/* DMA into the import from user memory and from a buffer: seen by the exporter. */
TEST_F(imp, dma_into_import_lands_in_exporter)
{
	struct zt_region src;
	__u64 id;

	IMP_NEED_DMA(self);
	ASSERT_EQ(0, zt_region_init(self->ifd, &src, ZCDEV_BUF_PAGES,
				    self->len, "src"));
	zt_region_fill(&src, 0x5eed7001);
	ASSERT_EQ(0, zt_dma_submit1(self->ifd, zt_region_ep(&src, 3),
				    zt_ep_buf(self->im.handle, 5),
				    self->len - 10, 0, &id));
	ZT_EXPECT_DONE(self->ifd, id, self->len - 10);
	EXPECT_EQ(0, memcmp(self->zmap + 5, src.mem + 3, self->len - 10));
	/* The bytes around it are the exporter's own. */
	EXPECT_EQ(-1, zt_check(self->zmap, 5, 0, 1));
	EXPECT_EQ(-1, zt_check(self->zmap + self->len - 5, 5,
			       self->len - 5, 1));

	zt_rfill(self->data, self->page, 0x5eed7002);
	ASSERT_EQ(0, zt_dma_submit1(self->ifd, zt_ep_user(self->data),
				    zt_ep_buf(self->im.handle, self->page),
				    self->page, 0, &id));
	ZT_EXPECT_DONE(self->ifd, id, self->page);
	EXPECT_EQ(0, memcmp(self->zmap + self->page, self->data, self->page));
	zt_region_fini(&src);
}

TEST_F(imp, dma_out_of_import_reads_exporter_bytes)
{
	struct zt_region dst;
	__u64 id;

	IMP_NEED_DMA(self);
	ASSERT_EQ(0, zt_region_init(self->ifd, &dst, ZT_KIND_USER, self->len,
				    "dst"));
	zt_region_fill(&dst, 0x5eed7003);
	ASSERT_EQ(0, zt_dma_submit1(self->ifd, zt_ep_buf(self->im.handle, 1),
				    zt_region_ep(&dst, 0), self->len - 1, 0,
				    &id));
	ZT_EXPECT_DONE(self->ifd, id, self->len - 1);
	EXPECT_EQ(-1, zt_check(dst.mem, self->len - 1, 1, 1));
	zt_region_fini(&dst);
}

/*
 * Importing a buffer's export into its own file is allowed: the same
 * memory under two handles. DMA from one half under one handle into the
 * other half under the other.
 */
TEST_F(imp, import_into_exporting_file_and_dma_between_handles)
{
	struct zcdev_import own;
	struct zcdev_query q;
	__u64 half = self->len / 2, id;

	ASSERT_EQ(0, zt_import(self->fd, self->dfd, 0, &own));
	EXPECT_NE(self->a.handle, own.handle);
	ASSERT_EQ(0, zt_query(self->fd, own.handle, &q));
	EXPECT_EQ(ZCDEV_QUERY_IMPORTED, q.dmabuf);
	EXPECT_STREQ("zcdev", q.exporter);
	if (!(self->info.features & ZCDEV_FEAT_DMA))
		return;
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_ep_buf(self->a.handle, 0),
				    zt_ep_buf(own.handle, half), half, 0,
				    &id));
	ZT_EXPECT_DONE(self->fd, id, half);
	EXPECT_EQ(-1, zt_check(self->zmap + half, half, 0, 1));
	EXPECT_EQ(0, zt_free(self->fd, own.handle));
}

/* The same dma-buf imported into two files: both reach the bytes. */
TEST_F(imp, import_into_two_files)
{
	struct zcdev_import im2;
	int ifd2 = zt_open();

	ASSERT_LE(0, ifd2);
	ASSERT_EQ(0, zt_import(ifd2, self->dfd, 0, &im2));
	zt_fill(self->data, self->page, 0, 8);
	ASSERT_EQ((ssize_t)self->page, zt_pwrite(self->ifd, self->data,
						 self->page, self->im.offset));
	memset(self->data, 0, self->page);
	ASSERT_EQ((ssize_t)self->page, zt_pread(ifd2, self->data, self->page,
						im2.offset));
	EXPECT_EQ(-1, zt_check(self->data, self->page, 0, 8));
	close(ifd2);
}

/*
 * A dma-buf from another process (received over a unix socket, its
 * exporter gone): the import reaches the bytes that process wrote.
 */
TEST_F(imp, import_of_another_process_export)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr msg = { 0 };
	struct iovec iov;
	struct zcdev_import im;
	int sv[2], rfd = -1;
	pid_t pid;
	char c;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct zcdev_alloc a;
		unsigned char *p;
		int fd = zt_open(), dfd;

		if (fd < 0 || zt_alloc(fd, ZCDEV_BUF_PAGES, self->len, &a))
			_exit(10);
		p = zt_mmap(fd, self->len, MAP_SHARED, a.offset);
		if (!p)
			_exit(11);
		zt_fill(p, self->len, 0, 9);
		dfd = zt_export(fd, a.handle, ZCDEV_EXPORT_RDWR);
		if (dfd < 0)
			_exit(12);
		munmap(p, self->len);
		close(fd);
		iov.iov_base = "x";
		iov.iov_len = 1;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cm.b;
		msg.msg_controllen = sizeof(cm.b);
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&cm.h), &dfd, sizeof(int));
		_exit(sendmsg(sv[1], &msg, 0) == 1 ? 0 : 13);
	}
	close(sv[1]);
	EXPECT_EQ(0, zt_wait(pid));
	iov.iov_base = &c;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.b;
	msg.msg_controllen = sizeof(cm.b);
	ASSERT_EQ(1, recvmsg(sv[0], &msg, 0));
	close(sv[0]);
	ASSERT_NE(NULL, CMSG_FIRSTHDR(&msg));
	memcpy(&rfd, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
	ASSERT_LE(0, rfd);
	ASSERT_EQ(0, zt_import(self->ifd, rfd, 0, &im));
	EXPECT_EQ(self->len, im.len);
	close(rfd);
	ASSERT_EQ((ssize_t)self->len, zt_pread(self->ifd, self->data,
					       self->len, im.offset));
	EXPECT_EQ(-1, zt_check(self->data, self->len, 0, 9));
	EXPECT_EQ(0, zt_free(self->ifd, im.handle));
}

/* The stack would hold pages whose lifetime the exporter decides. */
TEST_F(imp, send_from_import_is_eopnotsupp)
{
	int tx = -1, rx = -1;
	char b;

	if (!(self->info.features & ZCDEV_FEAT_SEND))
		SKIP(return, "module lacks ZCDEV_FEAT_SEND");
	ASSERT_EQ(0, zs_tcp_pair(AF_INET, &tx, &rx, 0, 0));
	EXPECT_EQ(-EOPNOTSUPP, zs_send(self->ifd, tx, self->im.handle, 0,
				       self->page, 0, 1, NULL));
	EXPECT_EQ(-1, recv(rx, &b, 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	close(tx);
	close(rx);
}

/*
 * Everything let go (import freed, files and fds closed): every byte of
 * both sides is given back.
 */
TEST_F(imp, all_released_gives_bytes_back)
{
	/* INFO was read before the setup made anything. */
	__u64 total0 = self->info.total_bytes;
	int probe = zt_open();

	ASSERT_LE(0, probe);
	EXPECT_EQ(0, zt_free(self->ifd, self->im.handle));
	close(self->ifd);
	self->ifd = -1;
	close(self->dfd);
	self->dfd = -1;
	munmap(self->zmap, self->len);
	self->zmap = NULL;
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(total0, zd_total_becomes(probe, total0, 2000));
	close(probe);
}

TEST_HARNESS_MAIN
