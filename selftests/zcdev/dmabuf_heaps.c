// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev imports the dma-bufs of two more of the kernel's stock exporters:
 *
 *  udmabuf          /dev/udmabuf turns pages of a memfd (sealed against
 *                   shrinking: F_SEAL_SHRINK, and not against writes) into
 *                   a dma-buf (UDMABUF_CREATE). Its sg_table has one
 *                   segment per page (6.10 on), so even a small buffer is
 *                   scattered. The exporter's side of the bytes is the
 *                   memfd: its page cache (pread/pwrite) and its mapping.
 *  system dma-heap  /dev/dma_heap/system allocates a dma-buf
 *                   (DMA_HEAP_IOCTL_ALLOC) from pages of orders 8, 4 and
 *                   0, so a buffer of a few MiB has segments of 1 MiB,
 *                   64 KiB and 4 KiB. The exporter's side is the dma-buf's
 *                   own mapping, bracketed by DMA_BUF_IOCTL_SYNC.
 *
 * Each is proven the same way: the import is described (QUERY: imported,
 * exporter named as dma_buf->exp_name: "udmabuf" is KBUILD_MODNAME through
 * DEFINE_DMA_BUF_EXPORT_INFO, the heap's is the heap's name, "system");
 * pread, pwrite (through the exporter's vmap, which udmabuf lacks before
 * 6.2: EOPNOTSUPP there) and mmap of the import reach its memory; DMA
 * into and out of it moves the bytes the exporter sees, also across every
 * segment boundary of a large, scattered buffer; the import holds the
 * dma-buf after every exporter fd is closed, and FREE gives it all back;
 * a length past the dma-buf is EINVAL and the same dma-buf twice in one
 * file EEXIST.
 *
 * Both need kernel support: Debian's 6.12 kernels have CONFIG_UDMABUF=y
 * and CONFIG_DMABUF_HEAPS_SYSTEM=y, its 6.1 neither, and there every test
 * SKIPs with that reason. The other direction does not exist: udmabuf and
 * the heaps only export, they import nothing (no zcdev export can go to
 * them).
 */
#include <sys/stat.h>

/*
 * Stable uapi since 4.20 (udmabuf.h) and 5.6 (dma-heap.h); older libc
 * headers lack the files, and then the definitions below stand in.
 */
#if __has_include(<linux/udmabuf.h>)
#include <linux/udmabuf.h>
#endif
#if __has_include(<linux/dma-heap.h>)
#include <linux/dma-heap.h>
#endif

#include "dmabuf_test.h"

#ifndef UDMABUF_CREATE
#define UDMABUF_FLAGS_CLOEXEC	0x01

struct udmabuf_create {
	__u32 memfd;
	__u32 flags;
	__u64 offset;
	__u64 size;
};

#define UDMABUF_CREATE		_IOW('u', 0x42, struct udmabuf_create)
#endif

#ifndef DMA_HEAP_IOCTL_ALLOC
struct dma_heap_allocation_data {
	__u64 len;
	__u32 fd;
	__u32 fd_flags;
	__u64 heap_flags;
};

#define DMA_HEAP_IOC_MAGIC	'H'
#define DMA_HEAP_IOCTL_ALLOC	_IOWR(DMA_HEAP_IOC_MAGIC, 0x0, \
				      struct dma_heap_allocation_data)
#endif

#define NPAGES		8
#define MS		NSEC_PER_MSEC

FIXTURE(exporter) {
	int fd;			/* the zcdev file under test */
	int dev;		/* /dev/udmabuf or the heap, or -1 once closed */
	struct zcdev_info info;
	__u64 page, len;
	unsigned char *data;	/* scratch: the variant's big bytes */
};

FIXTURE_VARIANT(exporter) {
	const char *exp_name;	/* dma_buf->exp_name of its dma-bufs */
	const char *dev_path;
	const char *absent;	/* why dev_path may be missing */
	bool udmabuf;		/* else a dma-heap */
	size_t big;		/* bytes of the scattered buffer */
	unsigned int min_segs;	/* DMA segments it has at least */
};

/*
 * 256 segments of a page each (6.10 on; before, udmabuf merged physically
 * contiguous pages of the memfd, which the page allocator hands out one at
 * a time: two segments at least is all that is certain then).
 */
FIXTURE_VARIANT_ADD(exporter, udmabuf) {
	.exp_name = "udmabuf",
	.dev_path = "/dev/udmabuf",
	.absent = "kernel built without CONFIG_UDMABUF",
	.udmabuf = true,
	.big = 1 * MiB,
	.min_segs = 2,
};

/*
 * Four order-8 chunks (1 MiB each), five of order 4 and three single
 * pages, each a segment of its own, when memory is not too fragmented for
 * the big ones (more segments when it is).
 */
FIXTURE_VARIANT_ADD(exporter, system_heap) {
	.exp_name = "system",
	.dev_path = "/dev/dma_heap/system",
	.absent = "kernel built without CONFIG_DMABUF_HEAPS_SYSTEM",
	.udmabuf = false,
	.big = 4 * MiB + 5 * 64 * KiB + 3 * 4 * KiB,
	.min_segs = 4 + 5 + 3,
};

FIXTURE_SETUP(exporter)
{
	self->fd = self->dev = -1;
	self->data = NULL;
	zt_knobs_restore();
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZD_SETUP_NEED_DMABUF(&self->info);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_PAGES);
	self->dev = open(variant->dev_path, O_RDWR | O_CLOEXEC);
	if (self->dev < 0 && errno == ENOENT)
		ZT_SETUP_SKIP("no %s: %s", variant->dev_path, variant->absent);
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", variant->dev_path,
				       strerror(errno));
	self->page = self->info.page_size;
	self->len = NPAGES * self->page;
	self->data = malloc(variant->big);
	ASSERT_NE(NULL, self->data);
}

FIXTURE_TEARDOWN(exporter)
{
	zt_knobs_restore();
	free(self->data);
	if (self->dev >= 0)
		close(self->dev);
	if (self->fd >= 0)
		close(self->fd);
}

#define XB_NEED_DMA(self) do { \
	if (!((self)->info.features & ZCDEV_FEAT_DMA)) \
		SKIP(return, "no DMA channel (INFO.features lacks ZCDEV_FEAT_DMA)"); \
} while (0)

/*
 * One dma-buf of the exporter under test and zcdev's import of it.
 */
struct xbuf {
	bool udmabuf;
	int memfd;		/* udmabuf: the memfd it is made of, else -1 */
	int dmabuf;		/* its fd, or -1 once closed */
	size_t len;
	unsigned char *cpu;	/* the exporter's view: the memfd's mapping
				 * (udmabuf) or the dma-buf's (heap) */
	struct zcdev_import im;	/* zcdev's import (handle 0: none) */
};

/*
 * A udmabuf of @len bytes: a memfd of that size, sealed against shrinking
 * (udmabuf pins its pages and refuses a memfd that could lose them), made
 * a dma-buf by @dev.
 */
static int xbuf_udmabuf(struct xbuf *b, int dev)
{
	struct udmabuf_create c = {
		.flags = UDMABUF_FLAGS_CLOEXEC,
		.size = b->len,
	};
	int ret;

	b->memfd = memfd_create("zcdev-udmabuf",
				MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (b->memfd < 0)
		return -errno;
	if (ftruncate(b->memfd, (off_t)b->len) ||
	    fcntl(b->memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		return -errno;
	c.memfd = (__u32)b->memfd;
	ret = ioctl(dev, UDMABUF_CREATE, &c);
	if (ret < 0)
		return -errno;
	b->dmabuf = ret;
	b->cpu = mmap(NULL, b->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      b->memfd, 0);
	if (b->cpu == MAP_FAILED) {
		b->cpu = NULL;
		return -errno;
	}
	return 0;
}

/* A dma-buf of @len bytes from heap @dev, and its own mapping. */
static int xbuf_heap(struct xbuf *b, int dev)
{
	struct dma_heap_allocation_data d = {
		.len = b->len,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};

	if (ioctl(dev, DMA_HEAP_IOCTL_ALLOC, &d) < 0)
		return -errno;
	b->dmabuf = (int)d.fd;
	b->cpu = zd_map(b->dmabuf, b->len, PROT_READ | PROT_WRITE);
	return b->cpu ? 0 : -errno;
}

/*
 * The exporter's CPU access bracket around touching @b->cpu: for the heap
 * DMA_BUF_IOCTL_SYNC START/END (which also waits for the fences, zcdev's
 * write fence included). A udmabuf's memory is the memfd's page cache,
 * which the memfd reaches like any file's; udmabuf's own bracket concerns
 * its misc device's mapping of those pages, not the memfd's.
 */
static int xbuf_cpu(const struct xbuf *b, __u64 flags)
{
	return b->udmabuf ? 0 : zd_dmabuf_sync(b->dmabuf, flags);
}

/*
 * The exporter writes @len bytes of @src at @off: pwrite(2) into the
 * memfd, or a copy into the heap's mapping inside its bracket.
 */
static int xbuf_write(const struct xbuf *b, size_t off, const void *src,
		      size_t len)
{
	int ret;

	if (b->udmabuf)
		return zt_pwrite(b->memfd, src, len, off) == (ssize_t)len ?
		       0 : -EIO;
	ret = xbuf_cpu(b, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	if (ret)
		return ret;
	memcpy(b->cpu + off, src, len);
	return xbuf_cpu(b, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
}

/* The exporter reads @len bytes at @off into @dst (as xbuf_write()). */
static int xbuf_read(const struct xbuf *b, size_t off, void *dst, size_t len)
{
	int ret;

	if (b->udmabuf)
		return zt_pread(b->memfd, dst, len, off) == (ssize_t)len ?
		       0 : -EIO;
	ret = xbuf_cpu(b, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	if (ret)
		return ret;
	memcpy(dst, b->cpu + off, len);
	return xbuf_cpu(b, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
}

/*
 * Make @len bytes in the exporter of @self, fill them with the pattern of
 * @seed through the exporter's side, and import the dma-buf into zcdev
 * file @self->fd (all of it). 0 or -errno (a step's): what was made is in
 * @b for xbuf_fini().
 */
static int xbuf_init(struct xbuf *b, FIXTURE_DATA(exporter) *self,
		     const FIXTURE_VARIANT(exporter) *variant, size_t len,
		     unsigned int seed)
{
	unsigned char *pat;
	int ret;

	memset(b, 0, sizeof(*b));
	b->udmabuf = variant->udmabuf;
	b->memfd = b->dmabuf = -1;
	b->len = len;
	ret = b->udmabuf ? xbuf_udmabuf(b, self->dev) : xbuf_heap(b, self->dev);
	if (ret)
		return ret;
	pat = malloc(len);
	if (!pat)
		return -ENOMEM;
	zt_fill(pat, len, 0, seed);
	ret = xbuf_write(b, 0, pat, len);
	free(pat);
	if (ret)
		return ret;
	return zt_import(self->fd, b->dmabuf, 0, &b->im);
}

static void xbuf_fini(struct xbuf *b, int fd)
{
	if (b->im.handle && fd >= 0)
		zt_free(fd, b->im.handle);
	if (b->cpu)
		munmap(b->cpu, b->len);
	if (b->dmabuf >= 0)
		close(b->dmabuf);
	if (b->memfd >= 0)
		close(b->memfd);
	memset(b, 0, sizeof(*b));
	b->memfd = b->dmabuf = -1;
}

#define XBUF_INIT(b, len, seed) do { \
	int __r = xbuf_init((b), self, variant, (len), (seed)); \
	ASSERT_EQ(0, __r) TH_LOG("%s buffer of %zu bytes into zcdev: %s", \
				 variant->exp_name, (size_t)(len), \
				 strerror(-__r)); \
} while (0)

/* Wait for @id (at most ZT_HANG_NS) and expect DONE with @bytes. */
#define XB_EXPECT_DONE(id, bytes) ZT_EXPECT_DONE(self->fd, (id), (bytes))

/*
 * Do zcdev's pread and pwrite reach the import? They go through the
 * exporter's vmap, which udmabuf has only since 6.2 ("udmabuf: add vmap
 * and vunmap methods to udmabuf_ops"): before, on a kernel built with
 * CONFIG_UDMABUF (Debian's 6.1 is not; the debug kernel is), both are
 * EOPNOTSUPP. The heaps have always had one.
 */
static bool xb_has_vmap(const FIXTURE_VARIANT(exporter) *variant)
{
	return !variant->udmabuf || zt_kernel_at_least(6, 2);
}

/*
 * zcdev's own access to @len bytes at @off of import @im: pread or
 * pwrite (@write) where the exporter has a vmap, else a copy through
 * zcdev's mapping of the import inside ZCDEV_IOC_SYNC's bracket.
 * 0 or -errno.
 */
static int xb_zio(int fd, const struct zcdev_import *im, bool vmap,
		  bool write, size_t off, void *buf, size_t len)
{
	unsigned char *p;
	ssize_t n;
	int ret;

	if (vmap) {
		n = write ? zt_pwrite(fd, buf, len, im->offset + off) :
			    zt_pread(fd, buf, len, im->offset + off);
		return n == (ssize_t)len ? 0 : n < 0 ? (int)n : -EIO;
	}
	p = zt_mmap(fd, im->len, MAP_SHARED, im->offset);
	if (!p)
		return -errno;
	ret = zt_sync(fd, im->handle, ZCDEV_SYNC_FOR_CPU, 0, im->len);
	if (!ret) {
		if (write)
			memcpy(p + off, buf, len);
		else
			memcpy(buf, p + off, len);
		ret = zt_sync(fd, im->handle, ZCDEV_SYNC_FOR_DEVICE, 0,
			      im->len);
	}
	munmap(p, im->len);
	return ret;
}

/* ---- what the import is ---- */

/*
 * The whole dma-buf, charged to the file, described as imported from the
 * exporter that made it; no DMA segments before a transfer maps it.
 */
TEST_F(exporter, import_is_described_with_exporter_name)
{
	__u64 file0 = zt_file_bytes(self->fd);
	struct zcdev_query q;
	struct xbuf b;
	char exp[64];

	XBUF_INIT(&b, self->len, 1);
	EXPECT_NE(0U, b.im.handle);
	EXPECT_EQ(self->len, b.im.len);
	EXPECT_EQ(0ULL, b.im.offset % self->page);
	EXPECT_EQ(file0 + self->len, zt_file_bytes(self->fd));

	ASSERT_EQ(0, zd_fdinfo(b.dmabuf, "exp_name", exp, sizeof(exp)));
	EXPECT_STREQ(variant->exp_name, exp);
	EXPECT_EQ((long long)self->len, zd_fdinfo_num(b.dmabuf, "size"));

	ASSERT_EQ(0, zt_query(self->fd, b.im.handle, &q));
	TH_LOG("%s: QUERY says kind %u, dmabuf 0x%x, exporter \"%s\"",
	       variant->dev_path, q.kind, q.dmabuf, q.exporter);
	EXPECT_EQ((__u32)ZCDEV_BUF_DMABUF, q.kind);
	EXPECT_EQ(ZCDEV_QUERY_IMPORTED, q.dmabuf);
	EXPECT_STREQ(variant->exp_name, q.exporter);
	EXPECT_EQ(self->len, q.len);
	EXPECT_EQ(b.im.offset, q.offset);
	EXPECT_EQ(0U, q.nr_segs);

	xbuf_fini(&b, self->fd);
	EXPECT_EQ(file0, zt_file_bytes(self->fd));
}

/* ---- the CPU: pread, pwrite, mmap ---- */

/*
 * What the exporter wrote, zcdev's pread reads; what zcdev's pwrite
 * writes (across a page boundary, unaligned), the exporter reads, and
 * nothing else changed.
 */
TEST_F(exporter, pread_and_pwrite_of_import_reach_exporter_memory)
{
	const size_t off = 2 * self->page - 5, n = self->page + 10;
	unsigned char *want;
	struct xbuf b;

	XBUF_INIT(&b, self->len, 2);
	if (!xb_has_vmap(variant)) {
		/* Refused cleanly, and so reported: nothing else to see. */
		ASSERT_EQ(-EOPNOTSUPP, zt_pread(self->fd, self->data,
						self->len, b.im.offset));
		ASSERT_EQ(-EOPNOTSUPP, zt_pwrite(self->fd, self->data,
						 self->len, b.im.offset));
		xbuf_fini(&b, self->fd);
		SKIP(return, "%s before 6.2 has no vmap: pread and pwrite of its import are EOPNOTSUPP",
		     variant->exp_name);
	}
	ASSERT_EQ((ssize_t)self->len, zt_pread(self->fd, self->data, self->len,
					       b.im.offset));
	EXPECT_EQ(-1, zt_check(self->data, self->len, 0, 2))
		TH_LOG("pread of the import differs at byte %ld",
		       zt_check(self->data, self->len, 0, 2));

	want = malloc(self->len);
	ASSERT_NE(NULL, want);
	zt_fill(want, self->len, 0, 2);
	zt_fill(want + off, n, 0, 3);
	ASSERT_EQ((ssize_t)n, zt_pwrite(self->fd, want + off, n,
					b.im.offset + off));
	ASSERT_EQ(0, xbuf_read(&b, 0, self->data, self->len));
	EXPECT_EQ(-1, zt_diff(self->data, want, self->len))
		TH_LOG("the exporter's side differs at byte %ld",
		       zt_diff(self->data, want, self->len));
	free(want);
	xbuf_fini(&b, self->fd);
}

/*
 * zcdev's mapping of the import is the exporter's memory: it shows what
 * the exporter's mapping holds, and what is written through it the
 * exporter's mapping shows. Both sides bracket their CPU access: zcdev's
 * with ZCDEV_IOC_SYNC (the exporter's begin/end_cpu_access).
 */
TEST_F(exporter, mmap_of_import_is_exporter_memory)
{
	unsigned char *p;
	struct xbuf b;

	XBUF_INIT(&b, self->len, 4);
	p = zt_mmap(self->fd, self->len, MAP_SHARED, b.im.offset);
	ASSERT_NE(NULL, p) TH_LOG("mmap of the import: %s", strerror(errno));
	ASSERT_EQ(0, zt_sync(self->fd, b.im.handle, ZCDEV_SYNC_FOR_CPU, 0,
			     self->len));
	EXPECT_EQ(-1, zt_check(p, self->len, 0, 4))
		TH_LOG("zcdev's mapping differs at byte %ld",
		       zt_check(p, self->len, 0, 4));
	zt_fill(p + self->page + 3, 2 * self->page, 0, 5);
	ASSERT_EQ(0, zt_sync(self->fd, b.im.handle, ZCDEV_SYNC_FOR_DEVICE, 0,
			     self->len));

	ASSERT_EQ(0, xbuf_cpu(&b, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_EQ(-1, zt_check(b.cpu, self->page + 3, 0, 4));
	EXPECT_EQ(-1, zt_check(b.cpu + self->page + 3, 2 * self->page, 0, 5))
		TH_LOG("the exporter's mapping misses zcdev's write at byte %ld",
		       zt_check(b.cpu + self->page + 3, 2 * self->page, 0, 5));
	EXPECT_EQ(-1, zt_check(b.cpu + 3 * self->page + 3,
			       self->len - 3 * self->page - 3,
			       3 * self->page + 3, 4));
	ASSERT_EQ(0, xbuf_cpu(&b, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	EXPECT_EQ(0, munmap(p, self->len));
	xbuf_fini(&b, self->fd);
}

/* ---- DMA ---- */

/*
 * DMA from a zcdev PAGES buffer into the import (unaligned, leaving a few
 * bytes at both ends alone): the exporter's side holds the copy and its
 * own bytes around it.
 */
TEST_F(exporter, dma_into_import_seen_by_exporter)
{
	const size_t n = self->len - 20;
	struct zt_region src;
	unsigned char *want;
	struct xbuf b;
	__u64 id;

	XB_NEED_DMA(self);
	XBUF_INIT(&b, self->len, 6);
	ASSERT_EQ(0, zt_region_init(self->fd, &src, ZCDEV_BUF_PAGES,
				    self->len, "src"));
	zt_region_fill(&src, 0x5eed9001);
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&src, 7),
				    zt_ep_buf(b.im.handle, 9), n, 0, &id));
	XB_EXPECT_DONE(id, n);

	want = malloc(self->len);
	ASSERT_NE(NULL, want);
	zt_fill(want, self->len, 0, 6);
	memcpy(want + 9, src.shadow + 7, n);
	ASSERT_EQ(0, xbuf_read(&b, 0, self->data, self->len));
	EXPECT_EQ(-1, zt_diff(self->data, want, self->len))
		TH_LOG("the exporter's side differs at byte %ld",
		       zt_diff(self->data, want, self->len));
	ZT_EXPECT_REGION(&src);
	free(want);
	zt_region_fini(&src);
	xbuf_fini(&b, self->fd);
}

/*
 * DMA out of the import into a zcdev PAGES buffer: the buffer gets what
 * the exporter wrote, and the exporter's bytes stay.
 */
TEST_F(exporter, dma_out_of_import_reads_exporter_bytes)
{
	const size_t n = self->len - 20;
	struct zt_region dst;
	struct xbuf b;
	__u64 id;

	XB_NEED_DMA(self);
	XBUF_INIT(&b, self->len, 7);
	ASSERT_EQ(0, zt_region_init(self->fd, &dst, ZCDEV_BUF_PAGES,
				    self->len, "dst"));
	zt_region_fill(&dst, 0x5eed9002);
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_ep_buf(b.im.handle, 11),
				    zt_region_ep(&dst, 5), n, 0, &id));
	XB_EXPECT_DONE(id, n);
	zt_fill(dst.shadow + 5, n, 11, 7);
	ZT_EXPECT_REGION(&dst);
	ASSERT_EQ(0, xbuf_read(&b, 0, self->data, self->len));
	EXPECT_EQ(-1, zt_check(self->data, self->len, 0, 7));
	zt_region_fini(&dst);
	xbuf_fini(&b, self->fd);
}

/*
 * QUERY of @handle with its DMA segments (CAP_SYS_ADMIN): how many into
 * *@nr, their bytes summed into *@bytes. 0 or -errno.
 */
static int xb_query_segs(int fd, __u32 handle, __u32 *nr, __u64 *bytes)
{
	const __u32 cap = 4096;
	struct zcdev_dma_seg *segs = calloc(cap, sizeof(*segs));
	struct zcdev_query q;
	__u32 i;
	int ret;

	if (!segs)
		return -ENOMEM;
	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.handle = handle;
	q.segs_cap = cap;
	q.seg_size = sizeof(*segs);
	q.segs_ptr = (__u64)(uintptr_t)segs;
	ret = zt_ioctl(fd, ZCDEV_IOC_QUERY, &q);
	*nr = q.nr_segs;
	*bytes = 0;
	for (i = 0; !ret && i < q.nr_segs && i < cap; i++)
		*bytes += segs[i].len;
	free(segs);
	return ret;
}

/*
 * How many DMA segments the exporter's mapping of the import has, seen
 * while a slowed one-page transfer holds it mapped (zcdma's latency_us);
 * logged, and at least @min_segs expected. Left out (logged) without zcdma's
 * knobs or CAP_SYS_ADMIN. Not inlined: its locals would then live in the
 * frame the harness's setjmp() returns to, which -Wclobbered points out.
 */
static __attribute__((noinline))
void xb_count_segments(struct __test_metadata *_metadata,
		       FIXTURE_DATA(exporter) *self, const struct xbuf *b,
		       struct zt_region *other, unsigned int min_segs)
{
	__u64 id, bytes = 0;
	__u32 nr = 0;
	int ret;

	if (!zt_knobs_present || zt_channel_is_zcdma(self->fd) != 1 ||
	    !zt_has_cap(CAP_SYS_ADMIN)) {
		TH_LOG("segments not counted: needs zcdma's knobs and CAP_SYS_ADMIN");
		return;
	}
	ASSERT_EQ(0, zt_knob_set(ZT_LATENCY_US, 300 * 1000));
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_ep_buf(b->im.handle, 0),
				    zt_region_ep(other, 0), self->page, 0,
				    &id));
	ret = xb_query_segs(self->fd, b->im.handle, &nr, &bytes);
	zt_knobs_restore();
	XB_EXPECT_DONE(id, self->page);
	ASSERT_EQ(0, ret) TH_LOG("QUERY with segments: %s", strerror(-ret));
	TH_LOG("%zu bytes mapped for zcdev's DMA device in %u segments (%llu bytes)",
	       b->len, nr, (unsigned long long)bytes);
	EXPECT_LE(min_segs, nr);
	EXPECT_LE((__u64)b->len, bytes);
}

/*
 * A large, scattered import (every page its own segment for udmabuf;
 * segments of three sizes for the heap) filled by its exporter with a
 * pattern that differs per position. DMA out of all of it in one segment,
 * then back into it in many segments of an odd length, shifted by three
 * bytes against the source, so that runs start and end in the middle of
 * the exporter's segments: every byte of the zcdev buffer and of the
 * exporter's side is checked.
 */
TEST_F(exporter, scattered_import_dma_is_right_across_segments)
{
	const size_t len = variant->big, chunk = 3 * self->page + 123;
	const size_t shift = 3, n = len - shift;
	struct zcdev_dma_seg_desc *segs;
	struct zt_region dst, src;
	__u32 nr_segs = 0;
	__u64 id, t0, ns;
	struct xbuf b;
	size_t off;

	XB_NEED_DMA(self);
	XBUF_INIT(&b, len, 8);
	ASSERT_EQ(0, zt_region_init(self->fd, &dst, ZCDEV_BUF_PAGES, len,
				    "dst"));
	xb_count_segments(_metadata, self, &b, &dst, variant->min_segs);

	/* Out: import -> dst, one transfer segment over all of it. */
	zt_region_fill(&dst, 0x5eed9003);
	t0 = zt_now_ns();
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_ep_buf(b.im.handle, 0),
				    zt_region_ep(&dst, 0), len, 0, &id));
	XB_EXPECT_DONE(id, len);
	ns = zt_now_ns() - t0;
	TH_LOG("DMA out of %zu bytes: %llu ms", len,
	       (unsigned long long)(ns / MS));
	EXPECT_EQ(-1, zt_check(dst.mem, len, 0, 8))
		TH_LOG("the copy of the import differs at byte %ld",
		       zt_check(dst.mem, len, 0, 8));

	/* In: src -> import + shift, in chunks of an odd length. */
	ASSERT_EQ(0, zt_region_init(self->fd, &src, ZCDEV_BUF_PAGES, len,
				    "src"));
	zt_fill(src.mem, len, 0, 9);
	segs = calloc(len / chunk + 1, sizeof(*segs));
	ASSERT_NE(NULL, segs);
	for (off = 0; off < n; off += chunk, nr_segs++) {
		segs[nr_segs].src = zt_region_ep(&src, off);
		segs[nr_segs].dst = zt_ep_buf(b.im.handle, off + shift);
		segs[nr_segs].len = n - off < chunk ? n - off : chunk;
	}
	ASSERT_GE((__u32)ZCDEV_DMA_MAX_SEGS, nr_segs);
	t0 = zt_now_ns();
	ASSERT_EQ(0, zt_dma_submit(self->fd, segs, nr_segs, 0, &id));
	XB_EXPECT_DONE(id, n);
	ns = zt_now_ns() - t0;
	TH_LOG("DMA into it in %u segments of %zu bytes: %llu ms", nr_segs,
	       chunk, (unsigned long long)(ns / MS));
	free(segs);

	ASSERT_EQ(0, xbuf_cpu(&b, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_EQ(-1, zt_check(b.cpu, shift, 0, 8));
	EXPECT_EQ(-1, zt_check(b.cpu + shift, n, 0, 9))
		TH_LOG("the exporter's side differs at byte %ld of %zu",
		       zt_check(b.cpu + shift, n, 0, 9) + (long)shift, len);
	ASSERT_EQ(0, xbuf_cpu(&b, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	/*
	 * And zcdev's own read of it agrees, where it reads through the
	 * exporter's vmap. (Without one, the copy through zcdev's mapping
	 * would bracket it with udmabuf's begin_cpu_access, which before
	 * 6.10 maps merged pages for udmabuf's own device beyond that
	 * device's 64 KiB segment limit: DMA-API debug warns about it.)
	 */
	if (xb_has_vmap(variant)) {
		ASSERT_EQ(0, xb_zio(self->fd, &b.im, true, false, 0,
				    self->data, len));
		EXPECT_EQ(-1, zt_check(self->data + shift, n, 0, 9));
	}

	zt_region_fini(&src);
	zt_region_fini(&dst);
	xbuf_fini(&b, self->fd);
}

/* ---- lifetimes ---- */

/*
 * Is the dma-buf of inode @ino listed in debugfs' bufinfo? 1 yes, 0 no,
 * -errno if that cannot be told (no debugfs).
 */
static int xb_dmabuf_lives(unsigned long ino)
{
	int ret = zd_bufinfo_attached(ino, "");

	return ret == -ENOENT ? 0 : ret < 0 ? ret : 1;
}

/* Wait up to @ms for xb_dmabuf_lives() to say @want. */
static int xb_dmabuf_lives_becomes(unsigned long ino, int want, int ms)
{
	int now = xb_dmabuf_lives(ino);

	while (now != want && now >= 0 && ms > 0) {
		zt_sleep_ms(10);
		ms -= 10;
		now = xb_dmabuf_lives(ino);
	}
	return now;
}

/*
 * After import, every fd and mapping of the exporter's side goes: the
 * memfd (udmabuf) or heap device, the dma-buf fd, the exporter's mapping.
 * zcdev's import alone holds the dma-buf, and the bytes: pread (where the
 * exporter has a vmap), mmap and DMA still work. FREE of the import lets
 * it go: INFO's total_bytes is back where it was and the dma-buf is gone
 * from debugfs (the exporter released it, and with it the memfd's pinned
 * pages or the heap's pages).
 */
TEST_F(exporter, import_outlives_exporter_fds_and_free_releases_it)
{
	__u64 total0 = zt_total_bytes(self->fd);
	const bool vmap = xb_has_vmap(variant);
	struct zcdev_import im;
	unsigned long ino;
	struct xbuf b;
	unsigned char *p;
	__u64 id;
	int lives;

	XBUF_INIT(&b, self->len, 10);
	ino = zd_ino(b.dmabuf);
	ASSERT_NE(0UL, ino);
	im = b.im;
	EXPECT_EQ(total0 + self->len, zt_total_bytes(self->fd));

	/* Everything but zcdev's import lets go. */
	b.im.handle = 0;
	xbuf_fini(&b, self->fd);
	close(self->dev);
	self->dev = -1;
	lives = xb_dmabuf_lives(ino);
	if (lives < 0) {
		TH_LOG("%s: %s: the dma-buf's release is not checked",
		       ZD_BUFINFO, strerror(-lives));
	} else {
		EXPECT_EQ(1, lives)
			TH_LOG("the dma-buf is gone with zcdev's import live");
	}

	ASSERT_EQ(0, xb_zio(self->fd, &im, vmap, false, 0, self->data,
			    self->len));
	EXPECT_EQ(-1, zt_check(self->data, self->len, 0, 10));
	p = zt_mmap(self->fd, self->len, MAP_SHARED, im.offset);
	ASSERT_NE(NULL, p) TH_LOG("mmap of the import: %s", strerror(errno));
	EXPECT_EQ(-1, zt_check(p, self->len, 0, 10));
	EXPECT_EQ(0, munmap(p, self->len));

	if (self->info.features & ZCDEV_FEAT_DMA) {
		struct zt_region src;

		ASSERT_EQ(0, zt_region_init(self->fd, &src, ZCDEV_BUF_PAGES,
					    self->len, "src"));
		zt_region_fill(&src, 0x5eed9004);
		ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&src, 0),
					    zt_ep_buf(im.handle, 0), self->len,
					    0, &id));
		XB_EXPECT_DONE(id, self->len);
		ASSERT_EQ(0, xb_zio(self->fd, &im, vmap, false, 0,
				    self->data, self->len));
		EXPECT_EQ(0, memcmp(self->data, src.mem, self->len));
		zt_region_fini(&src);
		EXPECT_EQ(0, zt_free(self->fd, src.handle));
	} else {
		TH_LOG("no DMA channel: DMA into the orphaned import not tried");
	}

	ASSERT_EQ(0, zt_free(self->fd, im.handle));
	EXPECT_EQ(total0, zd_total_becomes(self->fd, total0, 2000))
		TH_LOG("the import outlived its FREE");
	if (lives >= 0) {
		EXPECT_EQ(0, xb_dmabuf_lives_becomes(ino, 0, 2000))
			TH_LOG("the dma-buf outlived zcdev's FREE of the last reference");
	}
}

/*
 * zcdev's mapping of an import is the exporter's mapping of the dma-buf
 * (dma_buf_mmap() moves the vma to the dma-buf's file): it holds the
 * dma-buf, not zcdev's buffer. So with the exporter's side gone, FREE
 * gives zcdev's bytes back at once (unlike a mapped PAGES buffer, which
 * stays charged until munmap), the mapping still reads the bytes, and the
 * dma-buf goes only at munmap.
 */
TEST_F(exporter, mapping_of_import_holds_the_dmabuf_past_free)
{
	__u64 total0 = zt_total_bytes(self->fd);
	unsigned long ino;
	unsigned char *p;
	struct xbuf b;
	__u32 handle;
	int lives;

	XBUF_INIT(&b, self->len, 14);
	ino = zd_ino(b.dmabuf);
	ASSERT_NE(0UL, ino);
	handle = b.im.handle;
	p = zt_mmap(self->fd, self->len, MAP_SHARED, b.im.offset);
	ASSERT_NE(NULL, p) TH_LOG("mmap of the import: %s", strerror(errno));
	b.im.handle = 0;
	xbuf_fini(&b, self->fd);
	close(self->dev);
	self->dev = -1;

	ASSERT_EQ(0, zt_free(self->fd, handle));
	EXPECT_EQ(total0, zd_total_becomes(self->fd, total0, 2000))
		TH_LOG("a mapping of the import keeps zcdev's buffer");
	EXPECT_EQ(-1, zt_check(p, self->len, 0, 14))
		TH_LOG("the mapping lost the bytes at %ld",
		       zt_check(p, self->len, 0, 14));
	zt_fill(p, self->page, 0, 15);
	EXPECT_EQ(-1, zt_check(p, self->page, 0, 15));
	lives = xb_dmabuf_lives(ino);
	if (lives < 0) {
		TH_LOG("%s: %s: the dma-buf's release is not checked",
		       ZD_BUFINFO, strerror(-lives));
	} else {
		EXPECT_EQ(1, lives)
			TH_LOG("the dma-buf is gone while mapped");
	}
	EXPECT_EQ(0, munmap(p, self->len));
	if (lives >= 0) {
		EXPECT_EQ(0, xb_dmabuf_lives_becomes(ino, 0, 2000))
			TH_LOG("the dma-buf outlived its last mapping");
	}
}

/* ---- bad input ---- */

/*
 * A length past the dma-buf's end is EINVAL (the file holds no more than
 * before); the whole of it and a prefix are fine.
 */
TEST_F(exporter, import_longer_than_the_dmabuf_is_einval)
{
	__u64 file0 = zt_file_bytes(self->fd);
	const __u64 lens[] = {
		self->len + 1, self->len + self->page, 2 * self->len, ~0ULL,
	};
	struct zcdev_import im;
	struct xbuf b;
	unsigned int i;
	int nfds;

	XBUF_INIT(&b, self->len, 11);
	ASSERT_EQ(0, zt_free(self->fd, b.im.handle));
	b.im.handle = 0;
	nfds = zd_nr_fds();
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		EXPECT_EQ(-EINVAL, zt_import(self->fd, b.dmabuf, lens[i], &im))
			TH_LOG("len %llu of a %llu-byte %s dma-buf",
			       (unsigned long long)lens[i],
			       (unsigned long long)self->len,
			       variant->exp_name);
	}
	EXPECT_EQ(file0, zt_file_bytes(self->fd));
	EXPECT_EQ(nfds, zd_nr_fds());

	ASSERT_EQ(0, zt_import(self->fd, b.dmabuf, self->page, &im));
	EXPECT_EQ(self->page, im.len);
	EXPECT_EQ(0, zt_free(self->fd, im.handle));
	ASSERT_EQ(0, zt_import(self->fd, b.dmabuf, self->len, &b.im));
	EXPECT_EQ(self->len, b.im.len);
	xbuf_fini(&b, self->fd);
}

/*
 * The same dma-buf again (its fd, a dup of it) into the file that holds it
 * is EEXIST; another file may import it, and after FREE this one again.
 * For udmabuf, a second dma-buf of the same memfd pages is another
 * dma-buf: imported beside the first, and both are the same memory.
 */
TEST_F(exporter, second_import_into_one_file_is_eexist)
{
	struct zcdev_import im, im2;
	struct xbuf b;
	int dup_fd, ofd;
	__u64 file1;

	XBUF_INIT(&b, self->len, 12);
	file1 = zt_file_bytes(self->fd);
	EXPECT_EQ(-EEXIST, zt_import(self->fd, b.dmabuf, 0, &im));
	EXPECT_EQ(-EEXIST, zt_import(self->fd, b.dmabuf, self->page, &im));
	dup_fd = dup(b.dmabuf);
	ASSERT_LE(0, dup_fd);
	EXPECT_EQ(-EEXIST, zt_import(self->fd, dup_fd, 0, &im));
	EXPECT_EQ(file1, zt_file_bytes(self->fd));

	ofd = zt_open();
	ASSERT_LE(0, ofd);
	EXPECT_EQ(0, zt_import(ofd, dup_fd, 0, &im2));
	close(ofd);

	if (variant->udmabuf) {
		struct udmabuf_create c = {
			.memfd = (__u32)b.memfd,
			.flags = UDMABUF_FLAGS_CLOEXEC,
			.size = self->len,
		};
		int other = ioctl(self->dev, UDMABUF_CREATE, &c);

		ASSERT_LE(0, other) TH_LOG("second UDMABUF_CREATE: %s",
					   strerror(errno));
		ASSERT_EQ(0, zt_import(self->fd, other, 0, &im2))
			TH_LOG("another udmabuf of the same memfd");
		zt_fill(self->data, self->page, 0, 13);
		ASSERT_EQ(0, xb_zio(self->fd, &im2, xb_has_vmap(variant), true,
				    self->page, self->data, self->page));
		memset(self->data, 0, self->page);
		ASSERT_EQ(0, xb_zio(self->fd, &b.im, xb_has_vmap(variant),
				    false, self->page, self->data,
				    self->page));
		EXPECT_EQ(-1, zt_check(self->data, self->page, 0, 13));
		EXPECT_EQ(0, zt_free(self->fd, im2.handle));
		close(other);
	}

	ASSERT_EQ(0, zt_free(self->fd, b.im.handle));
	ASSERT_EQ(0, zt_import(self->fd, dup_fd, 0, &b.im));
	close(dup_fd);
	xbuf_fini(&b, self->fd);
}

TEST_HARNESS_MAIN
