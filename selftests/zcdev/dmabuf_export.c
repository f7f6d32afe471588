// SPDX-License-Identifier: GPL-2.0
/*
 * ZCDEV_IOC_EXPORT as a dma-buf's user sees it, for both buffer kinds: the
 * fd is a dma-buf ("zcdev", the buffer's size) with the flags asked for;
 * its mapping and the zcdev mapping are the same bytes both ways;
 * DMA_BUF_IOCTL_SYNC brackets CPU access; exporting again gives the same
 * dma-buf; the dma-buf outlives FREE, munmap and close of the zcdev side
 * and is shared across fork; QUERY's ZCDEV_QUERY_EXPORTED follows the
 * dma-buf's life; the exported buffer's DMA and send paths still work;
 * and EXPORT racing the last close of the dma-buf makes a new one cleanly.
 *
 * Importers (another zcdev file, vgem) are dmabuf_import.c's and
 * dmabuf_vgem.c's; refusals are dmabuf_errors.c's.
 */
#include <sys/socket.h>

#include "dmabuf_test.h"
#include "send_common.h"

#define NPAGES		4

FIXTURE(exp) {
	int fd;
	struct zcdev_info info;
	__u64 page;
	struct zcdev_alloc a;
	unsigned char *data;	/* scratch: a.buf_len bytes */
	unsigned char *zmap;	/* the zcdev mapping of the buffer */
	__u64 total0;		/* total_bytes before the buffer */
};

FIXTURE_VARIANT(exp) {
	__u32 kind;
};

FIXTURE_VARIANT_ADD(exp, coherent) { .kind = ZCDEV_BUF_COHERENT };
FIXTURE_VARIANT_ADD(exp, pages) { .kind = ZCDEV_BUF_PAGES };

FIXTURE_SETUP(exp)
{
	self->zmap = NULL;
	ZT_SETUP_ONE_BUFFER(self, variant->kind, NPAGES, NPAGES * 4096);
	ZD_SETUP_NEED_DMABUF(&self->info);
	/* INFO was read before the buffer was made. */
	self->total0 = self->info.total_bytes;
	self->zmap = zt_mmap(self->fd, self->a.buf_len, MAP_SHARED,
			     self->a.offset);
	ASSERT_NE(NULL, self->zmap);
	zt_fill(self->zmap, self->a.buf_len, 0, 1);
}

FIXTURE_TEARDOWN(exp)
{
	if (self->zmap)
		munmap(self->zmap, self->a.buf_len);
	ZT_TEARDOWN_ONE_BUFFER(self);
}

/* Export with @flags; fail the test unless it gives a dma-buf fd. */
static int exp_export(struct __test_metadata *_metadata,
		      FIXTURE_DATA(exp) *self, __u32 flags)
{
	int dfd = zt_export(self->fd, self->a.handle, flags);

	EXPECT_LE(0, dfd) TH_LOG("EXPORT flags 0x%x: %s", flags,
				 strerror(-dfd));
	return dfd;
}

TEST_F(exp, fd_is_a_zcdev_dmabuf_of_the_buffer_size)
{
	char name[64];
	int dfd = exp_export(_metadata, self, ZCDEV_EXPORT_RDWR);

	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, zd_fdinfo(dfd, "exp_name", name, sizeof(name)))
		TH_LOG("fd %d has no exp_name in fdinfo: not a dma-buf", dfd);
	EXPECT_STREQ("zcdev", name);
	EXPECT_EQ((long long)self->a.buf_len, zd_fdinfo_num(dfd, "size"));
	EXPECT_EQ((off_t)self->a.buf_len, lseek(dfd, 0, SEEK_END));
	EXPECT_EQ(0, close(dfd));
}

/* CLOEXEC and RDWR become the fd's O_CLOEXEC and access mode. */
TEST_F(exp, flags_set_cloexec_and_access_mode)
{
	int dfd, fl;

	dfd = exp_export(_metadata, self, ZCDEV_EXPORT_CLOEXEC |
			 ZCDEV_EXPORT_RDWR);
	ASSERT_LE(0, dfd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(dfd, F_GETFD) & FD_CLOEXEC);
	fl = fcntl(dfd, F_GETFL);
	EXPECT_EQ(O_RDWR, fl & O_ACCMODE);
	EXPECT_EQ(0, close(dfd));

	/* Another fd of the same dma-buf: O_CLOEXEC is per fd. */
	dfd = exp_export(_metadata, self, ZCDEV_EXPORT_RDWR);
	ASSERT_LE(0, dfd);
	EXPECT_EQ(0, fcntl(dfd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(0, close(dfd));
}

/*
 * Without ZCDEV_EXPORT_RDWR (on the buffer's first export, which makes
 * the dma-buf) the fd is read-only: a writable shared mapping is EACCES,
 * a read-only one shows the bytes.
 */
TEST_F(exp, without_rdwr_mapping_is_read_only)
{
	unsigned char *p;
	int dfd;

	dfd = exp_export(_metadata, self, 0);
	ASSERT_LE(0, dfd);
	EXPECT_EQ(O_RDONLY, fcntl(dfd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(NULL, zd_map(dfd, self->a.buf_len, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	p = zd_map(dfd, self->a.buf_len, PROT_READ);
	ASSERT_NE(NULL, p) TH_LOG("read-only mmap: %s", strerror(errno));
	EXPECT_EQ(-1, zt_check(p, self->a.buf_len, 0, 1));
	EXPECT_EQ(0, munmap(p, self->a.buf_len));
	EXPECT_EQ(0, close(dfd));
}

TEST_F(exp, dmabuf_mapping_shows_bytes_written_through_zcdev)
{
	unsigned char *p;
	int dfd = exp_export(_metadata, self, ZCDEV_EXPORT_RDWR);

	ASSERT_LE(0, dfd);
	p = zd_map(dfd, self->a.buf_len, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(errno));
	/* Written before the export, and after it. */
	EXPECT_EQ(-1, zt_check(p, self->a.buf_len, 0, 1));
	zt_fill(self->zmap + 5, self->page, 5, 2);
	EXPECT_EQ(-1, zt_check(p + 5, self->page, 5, 2));
	/* And through pwrite of the zcdev file. */
	zt_fill(self->data, 100, 0, 3);
	ASSERT_EQ(100, zt_pwrite(self->fd, self->data, 100,
				 self->a.offset + 2 * self->page - 50));
	EXPECT_EQ(-1, zt_check(p + 2 * self->page - 50, 100, 0, 3));
	EXPECT_EQ(0, munmap(p, self->a.buf_len));
	EXPECT_EQ(0, close(dfd));
}

TEST_F(exp, zcdev_sees_bytes_written_through_dmabuf_mapping)
{
	unsigned char *p;
	int dfd = exp_export(_metadata, self, ZCDEV_EXPORT_RDWR);

	ASSERT_LE(0, dfd);
	p = zd_map(dfd, self->a.buf_len, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(errno));
	zt_fill(p, self->a.buf_len, 0, 4);
	EXPECT_EQ(-1, zt_check(self->zmap, self->a.buf_len, 0, 4));
	ASSERT_EQ((ssize_t)self->a.buf_len,
		  zt_pread(self->fd, self->data, self->a.buf_len,
			   self->a.offset));
	EXPECT_EQ(-1, zt_check(self->data, self->a.buf_len, 0, 4));
	EXPECT_EQ(0, munmap(p, self->a.buf_len));
	EXPECT_EQ(0, close(dfd));
}

/* A mapping at a page offset of the dma-buf reaches that page. */
TEST_F(exp, dmabuf_mapping_at_page_offset)
{
	unsigned char *p;
	int dfd = exp_export(_metadata, self, ZCDEV_EXPORT_RDWR);

	ASSERT_LE(0, dfd);
	p = mmap(NULL, self->page, PROT_READ, MAP_SHARED, dfd,
		 (off_t)(2 * self->page));
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap at page 2: %s", strerror(errno));
	EXPECT_EQ(-1, zt_check(p, self->page, 2 * self->page, 1));
	EXPECT_EQ(0, munmap(p, self->page));
	/* Past the end: refused by the dma-buf core. */
	p = mmap(NULL, 2 * self->page, PROT_READ, MAP_SHARED, dfd,
		 (off_t)(self->a.buf_len - self->page));
	EXPECT_EQ(MAP_FAILED, p);
	if (p != MAP_FAILED)
		munmap(p, 2 * self->page);
	EXPECT_EQ(0, close(dfd));
}

/*
 * DMA_BUF_IOCTL_SYNC brackets CPU access through the mapping (the
 * exporter's begin/end_cpu_access): every direction starts and ends, the
 * bytes written in between are there, and flags the dma-buf core does not
 * know are EINVAL.
 */
TEST_F(exp, dmabuf_sync_start_end_brackets_cpu_access)
{
	const __u64 dirs[] = { DMA_BUF_SYNC_READ, DMA_BUF_SYNC_WRITE,
			       DMA_BUF_SYNC_RW };
	unsigned char *p;
	unsigned int i;
	int dfd = exp_export(_metadata, self, ZCDEV_EXPORT_RDWR);

	ASSERT_LE(0, dfd);
	p = zd_map(dfd, self->a.buf_len, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, p);
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		EXPECT_EQ(0, zd_dmabuf_sync(dfd, DMA_BUF_SYNC_START | dirs[i]))
			TH_LOG("SYNC_START dir 0x%llx",
			       (unsigned long long)dirs[i]);
		if (dirs[i] & DMA_BUF_SYNC_WRITE)
			zt_fill(p, self->a.buf_len, 0, 10 + i);
		EXPECT_EQ(0, zd_dmabuf_sync(dfd, DMA_BUF_SYNC_END | dirs[i]))
			TH_LOG("SYNC_END dir 0x%llx",
			       (unsigned long long)dirs[i]);
	}
	EXPECT_EQ(-1, zt_check(self->zmap, self->a.buf_len, 0,
			       10 + ARRAY_SIZE(dirs) - 1));
	EXPECT_EQ(-EINVAL, zd_dmabuf_sync(dfd, DMA_BUF_SYNC_START));
	EXPECT_EQ(-EINVAL, zd_dmabuf_sync(dfd, DMA_BUF_SYNC_RW | 0x100));
	EXPECT_EQ(0, munmap(p, self->a.buf_len));
	EXPECT_EQ(0, close(dfd));
}

/*
 * One dma-buf per buffer: a second EXPORT while the first fd is open is
 * another fd of the same file (same inode, its count one higher), not a
 * second dma-buf.
 */
TEST_F(exp, exporting_twice_gives_the_same_dmabuf)
{
	int d1 = exp_export(_metadata, self, ZCDEV_EXPORT_RDWR);
	int d2 = exp_export(_metadata, self, ZCDEV_EXPORT_RDWR);
	char n1[64], n2[64];
	long long count;

	ASSERT_LE(0, d1);
	ASSERT_LE(0, d2);
	EXPECT_NE(d1, d2);
	EXPECT_NE(0UL, zd_ino(d1));
	EXPECT_EQ(zd_ino(d1), zd_ino(d2));
	ASSERT_EQ(0, zd_fdinfo(d1, "exp_name", n1, sizeof(n1)));
	ASSERT_EQ(0, zd_fdinfo(d2, "exp_name", n2, sizeof(n2)));
	EXPECT_STREQ(n1, n2);
	EXPECT_EQ(zd_fdinfo_num(d1, "size"), zd_fdinfo_num(d2, "size"));
	/* Both fds count in the one file. */
	count = zd_fdinfo_num(d1, "count");
	EXPECT_LE(2, count);
	EXPECT_EQ(0, close(d2));
	EXPECT_EQ(count - 1, zd_fdinfo_num(d1, "count"));
	/* After the second is gone, exporting again still gives that one. */
	d2 = exp_export(_metadata, self, ZCDEV_EXPORT_RDWR);
	ASSERT_LE(0, d2);
	EXPECT_EQ(zd_ino(d1), zd_ino(d2));
	EXPECT_EQ(count, zd_fdinfo_num(d1, "count"));
	EXPECT_EQ(0, close(d2));
	EXPECT_EQ(0, close(d1));
}

/*
 * Once every fd is closed, EXPORT still works (whether the handle kept the
 * old dma-buf or a new one is made is the module's business), the new fd
 * maps the buffer's bytes, and no second copy of the buffer is charged.
 */
TEST_F(exp, export_after_last_fd_closed_still_works)
{
	__u64 total;
	unsigned char *p;
	int dfd = exp_export(_metadata, self, ZCDEV_EXPORT_RDWR);

	ASSERT_LE(0, dfd);
	EXPECT_EQ(0, close(dfd));
	total = zt_total_bytes(self->fd);
	dfd = exp_export(_metadata, self, ZCDEV_EXPORT_RDWR);
	ASSERT_LE(0, dfd);
	EXPECT_EQ(total, zt_total_bytes(self->fd));
	EXPECT_EQ(ZCDEV_QUERY_EXPORTED, zd_query_dmabuf(self->fd,
							self->a.handle));
	p = zd_map(dfd, self->a.buf_len, PROT_READ);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(-1, zt_check(p, self->a.buf_len, 0, 1));
	EXPECT_EQ(0, munmap(p, self->a.buf_len));
	EXPECT_EQ(0, close(dfd));
}

/*
 * The dma-buf holds the buffer: after FREE, munmap and close of the zcdev
 * side it still maps, holds the bytes and takes writes; the bytes count in
 * total_bytes until the dma-buf goes, and then are given back.
 */
TEST_F(exp, dmabuf_outlives_free_munmap_and_close)
{
	__u64 len = self->a.buf_len;
	unsigned char *p;
	int dfd, other = zt_open();

	ASSERT_LE(0, other);
	dfd = exp_export(_metadata, self, ZCDEV_EXPORT_RDWR);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, zt_free(self->fd, self->a.handle));
	ASSERT_EQ(0, munmap(self->zmap, len));
	self->zmap = NULL;
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;

	EXPECT_EQ(self->total0 + len, zt_total_bytes(other));
	p = zd_map(dfd, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, p) TH_LOG("mmap after the zcdev side went: %s",
				  strerror(errno));
	EXPECT_EQ(-1, zt_check(p, len, 0, 1));
	EXPECT_EQ(0, zd_dmabuf_sync(dfd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	zt_fill(p, len, 0, 5);
	EXPECT_EQ(0, zd_dmabuf_sync(dfd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	EXPECT_EQ(-1, zt_check(p, len, 0, 5));
	EXPECT_EQ(0, munmap(p, len));
	/* A second mapping after the first is gone still sees them. */
	p = zd_map(dfd, len, PROT_READ);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(-1, zt_check(p, len, 0, 5));
	EXPECT_EQ(0, munmap(p, len));
	EXPECT_EQ(0, close(dfd));
	EXPECT_EQ(self->total0, zd_total_becomes(other, self->total0, 2000))
		TH_LOG("the buffer outlived its last dma-buf reference");
	close(other);
}

/*
 * ZCDEV_QUERY_EXPORTED is clear before the first export and set while any
 * reference to the dma-buf lives (an fd, a mapping). (Whether the handle
 * itself keeps the dma-buf after its last fd and mapping is the module's
 * choice, so that is not looked at.) A buffer's own QUERY never says
 * IMPORTED and names no exporter.
 */
TEST_F(exp, query_exported_while_a_reference_lives)
{
	struct zcdev_query q;
	unsigned char *p;
	int d1, d2;

	ASSERT_EQ(0, zt_query(self->fd, self->a.handle, &q));
	EXPECT_EQ(0U, q.dmabuf);
	EXPECT_EQ(variant->kind, q.kind);
	EXPECT_EQ(0, q.exporter[0]);

	d1 = exp_export(_metadata, self, ZCDEV_EXPORT_RDWR);
	ASSERT_LE(0, d1);
	ASSERT_EQ(0, zt_query(self->fd, self->a.handle, &q));
	EXPECT_EQ(ZCDEV_QUERY_EXPORTED, q.dmabuf);
	EXPECT_EQ(variant->kind, q.kind);
	EXPECT_EQ(0, q.exporter[0]);
	EXPECT_EQ(0U, q.reserved2);

	d2 = exp_export(_metadata, self, 0);
	ASSERT_LE(0, d2);
	EXPECT_EQ(0, close(d1));
	EXPECT_EQ(ZCDEV_QUERY_EXPORTED, zd_query_dmabuf(self->fd,
							self->a.handle));
	/* Only a mapping left. */
	p = zd_map(d2, self->a.buf_len, PROT_READ);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, close(d2));
	EXPECT_EQ(ZCDEV_QUERY_EXPORTED, zd_query_dmabuf(self->fd,
							self->a.handle));
	EXPECT_EQ(-1, zt_check(p, self->a.buf_len, 0, 1));
	EXPECT_EQ(0, munmap(p, self->a.buf_len));
}

/* A caller of the first QUERY size gets neither field (nor a longer write). */
TEST_F(exp, query_ver0_size_has_no_dmabuf_fields)
{
	unsigned char arg[sizeof(struct zcdev_query) + 8];
	struct zcdev_query q;
	int dfd = exp_export(_metadata, self, ZCDEV_EXPORT_RDWR);

	ASSERT_LE(0, dfd);
	memset(arg, 0xa5, sizeof(arg));
	memset(&q, 0, sizeof(q));
	q.size = ZCDEV_QUERY_SIZE_VER0;
	q.handle = self->a.handle;
	memcpy(arg, &q, ZCDEV_QUERY_SIZE_VER0);
	ASSERT_EQ(0, zt_ioctl(self->fd, ZCDEV_IOC_QUERY, arg));
	EXPECT_EQ(0xa5, arg[ZCDEV_QUERY_SIZE_VER0]);
	EXPECT_EQ(0xa5, arg[sizeof(arg) - 1]);
	EXPECT_EQ(0, close(dfd));
}

/*
 * A child inherits the fd across fork: it maps the dma-buf, sees the
 * bytes, writes its own, and the parent sees them through zcdev. The
 * child's exit does not end the parent's dma-buf.
 */
TEST_F(exp, fork_child_maps_inherited_dmabuf)
{
	__u64 len = self->a.buf_len;
	pid_t pid;
	int dfd = exp_export(_metadata, self, ZCDEV_EXPORT_RDWR);

	ASSERT_LE(0, dfd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		unsigned char *p = zd_map(dfd, len, PROT_READ | PROT_WRITE);

		if (!p)
			_exit(10);
		if (zt_check(p, len, 0, 1) != -1)
			_exit(11);
		zt_fill(p + len / 2, len / 2, len / 2, 6);
		munmap(p, len);
		close(dfd);
		_exit(0);
	}
	EXPECT_EQ(0, zt_wait(pid));
	EXPECT_EQ(-1, zt_check(self->zmap, len / 2, 0, 1));
	EXPECT_EQ(-1, zt_check(self->zmap + len / 2, len / 2, len / 2, 6));
	EXPECT_EQ(ZCDEV_QUERY_EXPORTED, zd_query_dmabuf(self->fd,
							self->a.handle));
	EXPECT_EQ(0, close(dfd));
}

/* The child's mapping, made before fork, outlives the parent's fd. */
TEST_F(exp, fork_child_mapping_outlives_parent_close)
{
	__u64 len = self->a.buf_len;
	unsigned char *p;
	int go[2], status;
	pid_t pid;
	char c;
	int dfd = exp_export(_metadata, self, ZCDEV_EXPORT_RDWR);

	ASSERT_LE(0, dfd);
	p = zd_map(dfd, len, PROT_READ);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(go[1]);
		close(dfd);
		if (read(go[0], &c, 1) != 1)
			_exit(12);
		_exit(zt_check(p, len, 0, 1) == -1 ? 0 : 13);
	}
	close(go[0]);
	/* The parent lets go of everything first. */
	EXPECT_EQ(0, munmap(p, len));
	EXPECT_EQ(0, close(dfd));
	EXPECT_EQ(1, write(go[1], "g", 1));
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("child status 0x%x", status);
}

/* Exporting changes nothing for zcdev's own DMA with the buffer. */
TEST_F(exp, exported_buffer_is_still_a_dma_endpoint)
{
	struct zt_region other;
	__u64 len = self->a.buf_len;
	__u64 id;
	int dfd;

	if (!(self->info.features & ZCDEV_FEAT_DMA))
		SKIP(return, "no DMA channel (INFO.features lacks ZCDEV_FEAT_DMA)");
	dfd = exp_export(_metadata, self, ZCDEV_EXPORT_RDWR);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, zt_region_init(self->fd, &other, ZCDEV_BUF_PAGES, len,
				    "other"));
	zt_region_fill(&other, 0x5eed6001);
	/* Out of the exported buffer, then into it. */
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_ep_buf(self->a.handle, 0),
				    zt_region_ep(&other, 0), len / 2, 0, &id));
	ZT_EXPECT_DONE(self->fd, id, len / 2);
	EXPECT_EQ(-1, zt_check(other.mem, len / 2, 0, 1));
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&other, len / 2),
				    zt_ep_buf(self->a.handle, len / 2),
				    len / 2, 0, &id));
	ZT_EXPECT_DONE(self->fd, id, len / 2);
	EXPECT_EQ(0, memcmp(self->zmap + len / 2, other.mem + len / 2,
			    len / 2));
	zt_region_fini(&other);
	EXPECT_EQ(0, close(dfd));
}

/*
 * Nor for zero-copy send: an exported PAGES buffer still sends, an
 * exported COHERENT one is still EOPNOTSUPP (and nothing arrives).
 */
TEST_F(exp, exported_buffer_send_path_is_unchanged)
{
	struct zcdev_send_completion c;
	struct zcdev_send s;
	struct zcdev_reap r;
	int tx = -1, rx = -1, dfd, ret;
	char b;

	if (!(self->info.features & ZCDEV_FEAT_SEND))
		SKIP(return, "module lacks ZCDEV_FEAT_SEND");
	dfd = exp_export(_metadata, self, ZCDEV_EXPORT_RDWR);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, zs_tcp_pair(AF_INET, &tx, &rx, 0, 0));
	ret = zs_send(self->fd, tx, self->a.handle, 0, self->page, 0, 7, &s);
	if (variant->kind == ZCDEV_BUF_COHERENT) {
		EXPECT_EQ(-EOPNOTSUPP, ret);
		EXPECT_EQ(-1, recv(rx, &b, 1, MSG_DONTWAIT));
		EXPECT_EQ(EAGAIN, errno);
	} else {
		ASSERT_EQ(0, ret) TH_LOG("send: %s", strerror(-ret));
		EXPECT_EQ(self->page, s.bytes);
		ASSERT_EQ((ssize_t)self->page,
			  zc_read_full(rx, self->data, self->page));
		EXPECT_EQ(-1, zt_check(self->data, self->page, 0, 1));
		ASSERT_EQ(0, zs_reap(self->fd, &c, 1,
				     zt_deadline_in(20 * NSEC_PER_SEC), &r));
		ASSERT_EQ(1U, r.nr);
		EXPECT_EQ(s.id, c.id);
	}
	close(tx);
	close(rx);
	EXPECT_EQ(0, close(dfd));
}

/* ---- EXPORT racing the dma-buf's release ---- */

#define RACE_THREADS	4

static unsigned int race_rounds(void)
{
	const char *v = getenv("ZCDEV_RACE_ROUNDS");

	return 300 * (v && atoi(v) > 0 ? atoi(v) : 1);
}

struct exp_racer {
	int fd;
	__u32 handle;
	unsigned int rounds;
	int err;		/* first EXPORT failure */
	unsigned int not_dmabuf;	/* fds fdinfo did not call a dma-buf */
	pthread_t th;
};

/*
 * Export and close at once, over and over: each close may be the last
 * reference, so another thread's EXPORT meets a dma-buf being released
 * and must make a new one instead.
 */
static void *exp_race(void *arg)
{
	struct exp_racer *r = arg;
	unsigned int i;
	int dfd;

	for (i = 0; i < r->rounds; i++) {
		dfd = zt_export(r->fd, r->handle, ZCDEV_EXPORT_RDWR);
		if (dfd < 0) {
			r->err = dfd;
			break;
		}
		if (zd_fdinfo_num(dfd, "size") <= 0)
			r->not_dmabuf++;
		close(dfd);
	}
	return NULL;
}

TEST_F(exp, export_racing_last_close_from_threads)
{
	struct exp_racer r[RACE_THREADS];
	unsigned char *p;
	unsigned int i;
	int dfd;

	for (i = 0; i < RACE_THREADS; i++) {
		r[i] = (struct exp_racer){ .fd = self->fd,
					   .handle = self->a.handle,
					   .rounds = race_rounds() };
		ASSERT_EQ(0, pthread_create(&r[i].th, NULL, exp_race, &r[i]));
	}
	for (i = 0; i < RACE_THREADS; i++) {
		ASSERT_EQ(0, pthread_join(r[i].th, NULL));
		EXPECT_EQ(0, r[i].err) TH_LOG("thread %u: EXPORT: %s", i,
					      strerror(-r[i].err));
		EXPECT_EQ(0U, r[i].not_dmabuf);
	}
	/* The buffer still exports, with its bytes... */
	dfd = exp_export(_metadata, self, ZCDEV_EXPORT_RDWR);
	ASSERT_LE(0, dfd);
	p = zd_map(dfd, self->a.buf_len, PROT_READ);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(-1, zt_check(p, self->a.buf_len, 0, 1));
	EXPECT_EQ(0, munmap(p, self->a.buf_len));
	/* ...and no round left a reference: it all goes with the last. */
	EXPECT_EQ(0, zt_free(self->fd, self->a.handle));
	munmap(self->zmap, self->a.buf_len);
	self->zmap = NULL;
	EXPECT_EQ(0, close(dfd));
	EXPECT_EQ(self->total0, zd_total_becomes(self->fd, self->total0, 2000))
		TH_LOG("the buffer outlived every dma-buf fd and its handle");
}

TEST_HARNESS_MAIN
