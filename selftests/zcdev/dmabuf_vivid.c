// SPDX-License-Identifier: GPL-2.0
/*
 * dma-buf with a V4L2 driver: vivid, the kernel's virtual video capture
 * device, captures into zcdev memory.
 *
 * vivid draws its frames in software (v4l2-tpg), so with everything that
 * changes from frame to frame switched off (the OSD text with its time
 * and frame counters, the pattern's movement, SAV/EAV codes, a partial
 * fill) every frame is the same bytes: frames captured into vivid's own
 * buffers (V4L2_MEMORY_MMAP) are the reference, and frames captured into
 * zcdev memory must equal it byte for byte.
 *
 * - V4L2_MEMORY_DMABUF into zcdev exports: vivid's default allocator
 *   (videobuf2-vmalloc) writes through the exporter's vmap, of a PAGES
 *   buffer (vmap() of its pages) and of a COHERENT one (its kernel
 *   address); the frames are read through zcdev's own mapping.
 * - V4L2_MEMORY_USERPTR into a zcdev mapping: videobuf2 pins the user
 *   pages (FOLL_LONGTERM); a PAGES mapping is normal pages and works, a
 *   COHERENT mapping is a PFN map and is refused.
 * - vivid with videobuf2-dma-contig (module parameter allocators=1),
 *   which maps the dma-buf for its device and needs one DMA-contiguous
 *   block: a COHERENT export is one and captures, a scattered PAGES export
 *   is refused at VIDIOC_QBUF, cleanly.
 * - Lifetimes: vivid's reference to a queued dma-buf keeps the buffer
 *   after zcdev's handle, mapping and file are gone; closing the video
 *   node lets everything go.
 *
 * The VM run fails on any kernel splat, so "refused cleanly" also means
 * "without a warning".
 */
#include <sys/utsname.h>

#include "dmabuf_test.h"
#include "zcdev_module.h"
#include "vcap.h"

#define VV_DRIVER	"vivid"
#define VV_WIDTH	640U
#define VV_HEIGHT	480U
#define VV_FOURCC	V4L2_PIX_FMT_YUYV
#define VV_BPP		2U
#define VV_FRAMES	3
/* One frame at 25 fps; TCG draws slowly, and the first frame waits longest. */
#define VV_FRAME_MS	20000
#define VV_STOCK_ORDER	"/lib/modules/zcdev-stock.order"
#define VV_PARAMS	"/sys/module/" VV_DRIVER "/parameters/allocators"
#define VV_PREFILL	0xa5

FIXTURE(vivid) {
	int fd;			/* zcdev */
	int vfd;		/* vivid's capture node */
	struct zcdev_info info;
	__u64 page;
	char node[32];
	size_t size;		/* bytes of a frame */
	size_t buf_len;		/* of a zcdev buffer for one frame */
	unsigned char *ref;	/* the reference frame */
	unsigned char *frames;	/* VV_FRAMES frames of scratch */
	__u64 total0;		/* INFO.total_bytes at the start */
	bool reloaded;		/* vivid was reloaded: put the default back */
	char ko[PATH_MAX];	/* vivid.ko, for reloading; "" if unknown */
};

/*
 * vivid still (vcap_vivid_still(): its webcam, nothing in the frame that
 * moves), 640x480 YUYV and the fastest frame rate the webcam offers at
 * that size.
 */
static void vv_configure(struct __test_metadata *_metadata,
			 FIXTURE_DATA(vivid) *self)
{
	struct v4l2_format fmt;
	char why[160];
	int ret;

	ret = vcap_vivid_still(self->vfd, why, sizeof(why));
	ASSERT_EQ(0, ret) TH_LOG("making vivid's frames the same: %s", why);
	ret = vcap_set_format(self->vfd, VV_WIDTH, VV_HEIGHT, VV_FOURCC, &fmt);
	ASSERT_EQ(0, ret) TH_LOG("S_FMT %ux%u YUYV: %s (got %ux%u %.4s)",
				 VV_WIDTH, VV_HEIGHT, strerror(-ret),
				 fmt.fmt.pix.width, fmt.fmt.pix.height,
				 (char *)&fmt.fmt.pix.pixelformat);
	ASSERT_EQ(VV_WIDTH * VV_BPP, fmt.fmt.pix.bytesperline);
	ASSERT_EQ(VV_WIDTH * VV_HEIGHT * VV_BPP, fmt.fmt.pix.sizeimage);
	self->size = fmt.fmt.pix.sizeimage;
	self->buf_len = (self->size + self->page - 1) / self->page * self->page;
	ret = vcap_set_fastest(self->vfd, NULL);
	ASSERT_EQ(0, ret) TH_LOG("S_PARM: %s", strerror(-ret));
}

/*
 * Capture VV_FRAMES frames into vivid's own buffers: they must all be the
 * same bytes (else the comparisons below would prove nothing, and the
 * test fails: something in the frame moves that vcap_vivid_still() does
 * not stop).
 * The first becomes @ref.
 */
static void vv_reference(struct __test_metadata *_metadata,
			 FIXTURE_DATA(vivid) *self, unsigned char *ref)
{
	unsigned int i;
	long d;
	int ret;

	ret = vcap_capture_mmap(self->vfd, VV_FRAMES, self->size, VV_FRAME_MS,
			      self->frames);
	ASSERT_EQ(0, ret) TH_LOG("MMAP capture from %s: %s", self->node,
				 strerror(-ret));
	for (i = 1; i < VV_FRAMES; i++) {
		d = zt_diff(self->frames, self->frames + i * self->size,
			    self->size);
		ASSERT_EQ(-1, d) TH_LOG("vivid's MMAP frames 0 and %u differ at byte %ld (line %ld): the configuration does not make them deterministic",
					i, d, d / (VV_WIDTH * VV_BPP));
	}
	memcpy(ref, self->frames, self->size);
}

/*
 * vivid's capture node into self->vfd (-ENODEV if none), waiting up to
 * @wait_ms for it to appear (after a reload).
 */
static int vv_open(FIXTURE_DATA(vivid) *self, int wait_ms)
{
	for (;;) {
		self->vfd = vcap_open(VV_DRIVER, self->node, sizeof(self->node));
		if (self->vfd >= 0 || wait_ms <= 0)
			return self->vfd;
		zt_sleep_ms(20);
		wait_ms -= 20;
	}
}

/* The path of vivid.ko: the VM's stock module list, else modules.dep. */
static void vv_find_ko(char *path, size_t len)
{
	static const char tail[] = "/" VV_DRIVER ".ko";
	char line[PATH_MAX], dep[PATH_MAX];
	const size_t tl = strlen(tail);
	struct utsname u;
	size_t n;
	FILE *f;

	path[0] = '\0';
	f = fopen(VV_STOCK_ORDER, "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			n = strlen(line);
			if (n > tl && !strcmp(line + n - tl, tail)) {
				snprintf(path, len, "%s", line);
				break;
			}
		}
		fclose(f);
	}
	if (path[0] || uname(&u))
		return;
	snprintf(dep, sizeof(dep), "/lib/modules/%s/modules.dep", u.release);
	f = fopen(dep, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, ":")] = '\0';
		n = strlen(line);
		if (n > tl && !strcmp(line + n - tl, tail)) {
			/* modules.dep names them relative to its directory. */
			if (line[0] == '/')
				snprintf(path, len, "%s", line);
			else
				snprintf(path, len, "/lib/modules/%.64s/%.3000s",
					 u.release, line);
			break;
		}
	}
	fclose(f);
}

static int vv_allocator(void);
static int vv_reload(const char *ko, const char *params);

FIXTURE_SETUP(vivid)
{
	int ret;

	self->fd = self->vfd = -1;
	self->ref = self->frames = NULL;
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZD_SETUP_NEED_DMABUF(&self->info);
	self->page = self->info.page_size;
	self->total0 = self->info.total_bytes;
	vv_find_ko(self->ko, sizeof(self->ko));
	/* A run killed before its teardown may have left dma-contig vivid. */
	if (vv_allocator() > 0 && self->ko[0]) {
		ret = vv_reload(self->ko, "");
		ASSERT_EQ(0, ret) TH_LOG("loading the default vivid: %s",
					 strerror(-ret));
	}
	if (vv_open(self, 2000) < 0)
		ZT_SETUP_SKIP("no vivid video capture node (/dev/video* of driver vivid): CONFIG_VIDEO_VIVID, module vivid not loaded");
	vv_configure(_metadata, self);
	self->ref = malloc(self->size);
	self->frames = malloc(VV_FRAMES * self->size);
	ASSERT_NE(NULL, self->ref);
	ASSERT_NE(NULL, self->frames);
	vv_reference(_metadata, self, self->ref);
}

/* allocators= of the loaded vivid (its first instance), or -errno. */
static int vv_allocator(void)
{
	unsigned long v;
	int ret = zt_read_ulong(VV_PARAMS, &v);

	return ret ? ret : (int)v;
}

/* delete_module(vivid) until it works or @ms pass: 0 or the last -errno. */
static int vv_unload(int ms)
{
	int ret;

	for (;;) {
		ret = delete_module(VV_DRIVER);
		if ((ret != -EWOULDBLOCK && ret != -EBUSY) || ms <= 0)
			return ret;
		zt_sleep_ms(20);
		ms -= 20;
	}
}

/*
 * Replace the loaded vivid by one loaded with @params ("" for the
 * defaults). The caller has closed every vivid fd.
 */
static int vv_reload(const char *ko, const char *params)
{
	int ret = vv_unload(3000);

	if (ret && ret != -ENOENT)
		return ret;
	return finit_ko(ko, params);
}

FIXTURE_TEARDOWN(vivid)
{
	int ret;

	if (self->vfd >= 0)
		close(self->vfd);
	/* What follows must find the default vivid (vmalloc) again. */
	if (self->reloaded && self->ko[0] && vv_allocator() != 0) {
		ret = vv_reload(self->ko, "");
		EXPECT_EQ(0, ret) TH_LOG("loading the default vivid back: %s",
					 strerror(-ret));
		EXPECT_EQ(0, vv_allocator());
	}
	free(self->frames);
	free(self->ref);
	if (self->fd >= 0)
		close(self->fd);
}

/* ---- zcdev buffers for frames ---- */

/*
 * One zcdev buffer a frame goes into: @v.p is its zcdev mapping (what a
 * USERPTR queue is given), @v.dmabuf its export (-1 for USERPTR).
 */
struct vv_buf {
	struct zcdev_alloc a;
	struct vcap_buf v;
};

/*
 * @n buffers of @kind, each big enough for a frame, mapped and filled
 * with VV_PREFILL (so a frame that does not arrive is seen), and for
 * V4L2_MEMORY_DMABUF (@memory) exported read-write.
 */
static void vv_bufs_init(struct __test_metadata *_metadata,
			 FIXTURE_DATA(vivid) *self, struct vv_buf *b,
			 unsigned int n, __u32 kind, __u32 memory)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		memset(&b[i], 0, sizeof(b[i]));
		b[i].v.memory = memory;
		b[i].v.index = i;
		b[i].v.len = self->buf_len;
		b[i].v.dmabuf = -1;
	}
	for (i = 0; i < n; i++) {
		ret = zt_alloc(self->fd, kind, self->buf_len, &b[i].a);
		ASSERT_EQ(0, ret) TH_LOG("ALLOC %s of %zu bytes: %s",
					 zt_kind_name(kind), self->buf_len,
					 strerror(-ret));
		b[i].v.p = zt_mmap(self->fd, self->buf_len, MAP_SHARED,
				   b[i].a.offset);
		ASSERT_NE(NULL, b[i].v.p);
		memset(b[i].v.p, VV_PREFILL, self->buf_len);
		if (memory != V4L2_MEMORY_DMABUF)
			continue;
		b[i].v.dmabuf = zt_export(self->fd, b[i].a.handle,
					  ZCDEV_EXPORT_RDWR | ZCDEV_EXPORT_CLOEXEC);
		ASSERT_LE(0, b[i].v.dmabuf) TH_LOG("EXPORT: %s",
						   strerror(-b[i].v.dmabuf));
	}
}

static void vv_bufs_fini(FIXTURE_DATA(vivid) *self, struct vv_buf *b,
			 unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (b[i].v.dmabuf >= 0)
			close(b[i].v.dmabuf);
		if (b[i].v.p)
			munmap(b[i].v.p, self->buf_len);
		if (b[i].a.handle && self->fd >= 0)
			zt_free(self->fd, b[i].a.handle);
		memset(&b[i], 0, sizeof(b[i]));
		b[i].v.dmabuf = -1;
	}
}

/* Nothing was written into buffer @p: its first and last byte are the prefill. */
#define VV_EXPECT_PREFILL(self, p) do { \
	const unsigned char *__p = (p); \
	EXPECT_EQ(VV_PREFILL, __p[0]); \
	EXPECT_EQ(VV_PREFILL, __p[(self)->buf_len - 1]); \
} while (0)

/* Frame @what in @got equals the reference (first differing byte logged). */
#define VV_EXPECT_REF(self, got, what, ...) do { \
	const unsigned char *__g = (got); \
	long __d = zt_diff((self)->ref, __g, (self)->size); \
	EXPECT_EQ(-1, __d) TH_LOG(what " differs from the reference at byte %ld (line %ld): 0x%02x, not 0x%02x", \
				  ##__VA_ARGS__, __d, __d / (VV_WIDTH * VV_BPP), \
				  __d < 0 ? 0 : __g[__d], \
				  __d < 0 ? 0 : (self)->ref[__d]); \
} while (0)

/*
 * Queue every buffer of @b (DMABUF: its dma-buf; USERPTR: its zcdev
 * mapping), stream, dequeue each once and stop: each got a frame of
 * self->size bytes that equals the reference, read through zcdev's
 * mapping.
 */
static void vv_capture_into(struct __test_metadata *_metadata,
			    FIXTURE_DATA(vivid) *self, struct vv_buf *b,
			    unsigned int n)
{
	bool seen[VIDEO_MAX_FRAME] = { false };
	__u32 memory = b[0].v.memory;
	struct v4l2_buffer vb;
	unsigned int i;
	int ret;

	ret = vcap_reqbufs(self->vfd, memory, n);
	ASSERT_LE((int)n, ret) TH_LOG("REQBUFS: %s", strerror(-ret));
	for (i = 0; i < n; i++) {
		ret = vcap_qbuf(self->vfd, &b[i].v);
		ASSERT_EQ(0, ret) TH_LOG("QBUF %u: %s", i, strerror(-ret));
	}
	ASSERT_EQ(0, vcap_streamon(self->vfd));
	for (i = 0; i < n; i++) {
		ret = vcap_dqbuf(self->vfd, memory, VV_FRAME_MS, &vb);
		ASSERT_EQ(0, ret) TH_LOG("DQBUF %u: %s", i, strerror(-ret));
		ASSERT_GT(n, vb.index);
		EXPECT_FALSE(seen[vb.index]);
		seen[vb.index] = true;
		EXPECT_EQ(self->size, vb.bytesused);
		if (memory == V4L2_MEMORY_DMABUF) {
			EXPECT_EQ(b[vb.index].v.dmabuf, vb.m.fd);
		} else {
			EXPECT_EQ((unsigned long)b[vb.index].v.p, vb.m.userptr);
		}
	}
	EXPECT_EQ(0, vcap_streamoff(self->vfd));
	for (i = 0; i < n; i++)
		VV_EXPECT_REF(self, b[i].v.p, "frame %u (zcdev mapping)", i);
}

/* The module offers COHERENT buffers big enough for a frame? */
static bool vv_coherent_fits(FIXTURE_DATA(vivid) *self)
{
	return (self->info.features & ZCDEV_FEAT_COHERENT) &&
	       self->info.max_coherent_bytes >= self->buf_len;
}

#define VV_NEED_COHERENT(self) do { \
	if (!vv_coherent_fits(self)) \
		SKIP(return, "module lacks COHERENT buffers of %zu bytes (max_coherent_bytes %llu)", \
		     (self)->buf_len, \
		     (unsigned long long)(self)->info.max_coherent_bytes); \
} while (0)

/* ---- the reference ---- */

/*
 * The reference is what the configuration promises: fresh captures give
 * the same bytes again, the picture is vivid's 75% colour bar (white on
 * the left, black on the right: the pattern was drawn, not a blank frame)
 * and the comparison sees a change: with the OSD counters on, a frame
 * differs from it.
 */
TEST_F_TIMEOUT(vivid, mmap_reference_is_deterministic_75_percent_colorbar, 120)
{
	const unsigned char *first = self->ref;
	const unsigned char *last = self->ref + VV_WIDTH * VV_BPP - 4;
	unsigned char *again = malloc(self->size);
	long d;

	ASSERT_NE(NULL, again);
	vv_reference(_metadata, self, again);
	d = zt_diff(self->ref, again, self->size);
	EXPECT_EQ(-1, d) TH_LOG("two MMAP captures differ at byte %ld", d);

	/* YUYV: Y0 U Y1 V. 75% white is grey, black is Y 16, both U=V=128. */
	TH_LOG("first pixels %02x %02x %02x %02x, last %02x %02x %02x %02x",
	       first[0], first[1], first[2], first[3],
	       last[0], last[1], last[2], last[3]);
	EXPECT_EQ(first[1], 0x80);
	EXPECT_EQ(first[3], 0x80);
	EXPECT_EQ(last[1], 0x80);
	EXPECT_EQ(last[3], 0x80);
	EXPECT_LT(0xa0, first[0]);
	EXPECT_EQ(16, last[0]);
	EXPECT_NE(-1, zt_first_nonzero(self->ref, self->size));

	/* Negative control: the frame counter makes frames differ. */
	ASSERT_EQ(0, vcap_ctrl_set_menu(self->vfd, "OSD Text Mode",
				      "Counters Only"));
	ASSERT_EQ(0, vcap_capture_mmap(self->vfd, 1, self->size, VV_FRAME_MS,
				     again));
	EXPECT_NE(-1, zt_diff(self->ref, again, self->size))
		TH_LOG("a frame with vivid's OSD counters equals the reference");
	ASSERT_EQ(0, vcap_ctrl_set_menu(self->vfd, "OSD Text Mode", "None"));
	free(again);
}

/* ---- DMABUF into zcdev exports (videobuf2-vmalloc: the exporter's vmap) ---- */

static void vv_dmabuf_capture(struct __test_metadata *_metadata,
			      FIXTURE_DATA(vivid) *self, __u32 kind)
{
	struct vv_buf b[VV_FRAMES];
	unsigned int i;

	vv_bufs_init(_metadata, self, b, VV_FRAMES, kind, V4L2_MEMORY_DMABUF);
	vv_capture_into(_metadata, self, b, VV_FRAMES);
	/* vivid holds each dma-buf while its buffer stays set up. */
	for (i = 0; i < VV_FRAMES; i++) {
		close(b[i].v.dmabuf);
		b[i].v.dmabuf = -1;
		EXPECT_EQ(ZCDEV_QUERY_EXPORTED,
			  zd_query_dmabuf(self->fd, b[i].a.handle));
	}
	vv_bufs_fini(self, b, VV_FRAMES);
	EXPECT_LT(self->total0, zt_total_bytes(self->fd));
	/* Closing the node drops vivid's references: the buffers go. */
	close(self->vfd);
	self->vfd = -1;
	EXPECT_EQ(self->total0, zd_total_becomes(self->fd, self->total0, 3000))
		TH_LOG("zcdev buffers outlived vivid's node");
}

TEST_F_TIMEOUT(vivid, dmabuf_capture_into_pages_export_equals_reference, 120)
{
	vv_dmabuf_capture(_metadata, self, ZCDEV_BUF_PAGES);
}

TEST_F_TIMEOUT(vivid, dmabuf_capture_into_coherent_export_equals_reference, 120)
{
	VV_NEED_COHERENT(self);
	vv_dmabuf_capture(_metadata, self, ZCDEV_BUF_COHERENT);
}

/* ---- USERPTR into zcdev mappings ---- */

/*
 * videobuf2-vmalloc pins the user range with pin_user_pages_fast(FOLL_WRITE
 * | FOLL_LONGTERM) (get_vaddr_frames()) and vm_map_ram()s the pages. A
 * PAGES mapping is normal refcounted pages (vm_map_pages(), VM_MIXEDMAP)
 * of a file whose mapping cannot write back (a device node on devtmpfs,
 * no page_mkwrite), so neither 6.1 nor 6.5+'s refusal of long-term
 * writable pins of file mappings that need dirty tracking
 * (writable_file_mapping_allowed()) applies: it captures.
 */
TEST_F_TIMEOUT(vivid, userptr_capture_into_pages_mapping_equals_reference, 120)
{
	struct vv_buf b[VV_FRAMES];

	vv_bufs_init(_metadata, self, b, VV_FRAMES, ZCDEV_BUF_PAGES,
		     V4L2_MEMORY_USERPTR);
	vv_capture_into(_metadata, self, b, VV_FRAMES);
	/* The pins go with the node; then the buffers with their handles. */
	close(self->vfd);
	self->vfd = -1;
	vv_bufs_fini(self, b, VV_FRAMES);
	EXPECT_EQ(self->total0, zd_total_becomes(self->fd, self->total0, 3000));
}

/*
 * A COHERENT mapping is dma_mmap_coherent()'s remap_pfn_range(): VM_IO |
 * VM_PFNMAP. GUP refuses such a vma (check_vma_flags(): EFAULT), and
 * get_vaddr_frames() has no fallback to raw PFNs any more (6.1, 6.12), so
 * vb2_create_framevec() fails and VIDIOC_QBUF returns EFAULT; nothing is
 * written into the buffer.
 */
TEST_F_TIMEOUT(vivid, userptr_into_coherent_mapping_is_refused_efault, 60)
{
	struct vv_buf b[1];
	int ret;

	VV_NEED_COHERENT(self);
	vv_bufs_init(_metadata, self, b, 1, ZCDEV_BUF_COHERENT,
		     V4L2_MEMORY_USERPTR);
	ASSERT_LE(1, vcap_reqbufs(self->vfd, V4L2_MEMORY_USERPTR, 1));
	ret = vcap_qbuf(self->vfd, &b[0].v);
	EXPECT_EQ(-EFAULT, ret) TH_LOG("QBUF USERPTR of a COHERENT mapping: %s",
				       ret ? strerror(-ret) : "queued");
	VV_EXPECT_PREFILL(self, b[0].v.p);
	/* The queue is still good: vivid's own buffers capture after it. */
	ASSERT_EQ(0, vcap_reqbufs(self->vfd, V4L2_MEMORY_USERPTR, 0));
	ASSERT_EQ(0, vcap_capture_mmap(self->vfd, 1, self->size, VV_FRAME_MS,
				     self->frames));
	VV_EXPECT_REF(self, self->frames, "MMAP frame after the refusal");
	vv_bufs_fini(self, b, 1);
}

/* ---- vivid with videobuf2-dma-contig (allocators=1) ---- */

/*
 * Reload vivid with allocators=1 (teardown loads the default back) and
 * take a fresh reference from it: the same bytes as the vmalloc one.
 * vivid then sets a 32-bit DMA mask on its platform device
 * (dma_coerce_mask_and_coherent()); the VM's memory is below 4 GiB, so
 * nothing bounces.
 */
static bool vv_use_dma_contig(struct __test_metadata *_metadata,
			      FIXTURE_DATA(vivid) *self)
{
	unsigned char *ref;
	int ret;

	if (!self->ko[0]) {
		SKIP(return false, "no vivid.ko in %s or modules.dep to reload it from",
		     VV_STOCK_ORDER);
	}
	if (!zt_has_cap(CAP_SYS_MODULE))
		SKIP(return false, "reloading vivid needs CAP_SYS_MODULE");
	ref = malloc(self->size);
	ASSERT_NE(NULL, ref);
	close(self->vfd);
	self->vfd = -1;
	self->reloaded = true;
	ret = vv_reload(self->ko, "allocators=1");
	ASSERT_EQ(0, ret) TH_LOG("vivid allocators=1 from %s: %s", self->ko,
				 strerror(-ret));
	ASSERT_EQ(1, vv_allocator());
	ASSERT_LE(0, vv_open(self, 2000)) TH_LOG("vivid reloaded, but no capture node");
	vv_configure(_metadata, self);
	vv_reference(_metadata, self, ref);
	VV_EXPECT_REF(self, ref, "dma-contig vivid's MMAP frame");
	free(ref);
	return true;
}

/*
 * Is vivid's platform device ("vivid.0") attached to the dma-buf of inode
 * @ino (debugfs)? 1, 0, or -errno without debugfs.
 */
static int vv_attached(unsigned long ino)
{
	int ret = zd_bufinfo_attached(ino, VV_DRIVER ".0");

	return ret ? ret : zd_bufinfo_attached(ino, VV_DRIVER);
}

/*
 * dma-contig maps the dma-buf for vivid's device (zcdev's map_dma_buf)
 * and takes its first DMA address for the whole frame; a COHERENT buffer
 * is one block, exported in segments of vivid's max segment size (64 KiB
 * without dma_parms) that follow each other: it captures.
 */
TEST_F_TIMEOUT(vivid, dma_contig_dmabuf_capture_into_coherent_export, 180)
{
	struct vv_buf b[VV_FRAMES];
	int ret;

	VV_NEED_COHERENT(self);
	if (!vv_use_dma_contig(_metadata, self))
		return;
	vv_bufs_init(_metadata, self, b, VV_FRAMES, ZCDEV_BUF_COHERENT,
		     V4L2_MEMORY_DMABUF);
	vv_capture_into(_metadata, self, b, VV_FRAMES);
	/* Unlike vmalloc's vmap-only use, dma-contig attached vivid's device. */
	ret = vv_attached(zd_ino(b[0].v.dmabuf));
	if (ret < 0) {
		TH_LOG("%s: %s: attachment not checked", ZD_BUFINFO,
		       strerror(-ret));
	} else {
		EXPECT_EQ(1, ret) TH_LOG("vivid's device is not attached to the dma-buf");
	}
	close(self->vfd);
	self->vfd = -1;
	vv_bufs_fini(self, b, VV_FRAMES);
	EXPECT_EQ(self->total0, zd_total_becomes(self->fd, self->total0, 3000));
}

/*
 * Does PAGES buffer @a lie in more than one physically separate piece?
 * QUERY's segments are DMA addresses for zcdev's device; with no IOMMU
 * (the VM has none) they are physical, as vivid's will be. nr_segs alone
 * does not say it: a contiguous buffer is still cut at the device's max
 * segment size. Reading the addresses needs CAP_SYS_ADMIN.
 */
static int vv_scattered(int fd, __u32 handle, unsigned int *nr)
{
	struct zcdev_dma_seg segs[512];
	struct zcdev_query q;
	unsigned int i;
	int ret;

	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.handle = handle;
	q.segs_cap = ARRAY_SIZE(segs);
	q.seg_size = sizeof(segs[0]);
	q.segs_ptr = (uintptr_t)segs;
	ret = zt_ioctl(fd, ZCDEV_IOC_QUERY, &q);
	if (ret)
		return ret;
	*nr = q.nr_segs;
	for (i = 1; i < q.nr_segs && i < ARRAY_SIZE(segs); i++)
		if (segs[i - 1].dma_addr + segs[i - 1].len != segs[i].dma_addr)
			return 1;
	return 0;
}

/*
 * A PAGES export that is not physically contiguous: vb2_dc_map_dmabuf()
 * finds the DMA-contiguous part shorter than the frame ("contiguous chunk
 * is too small", pr_err) and fails with EFAULT, so VIDIOC_QBUF does;
 * nothing is written, nothing is left mapped or attached (the buffer goes
 * with its handle), and vivid goes on capturing into a buffer it can use.
 *
 * zcdev builds PAGES buffers from the largest free blocks (split), so a
 * 150-page buffer is at least four blocks, hardly ever adjacent: up to 8
 * are allocated (all held, so none comes back) until one is scattered.
 */
TEST_F_TIMEOUT(vivid, dma_contig_refuses_scattered_pages_export_efault, 180)
{
	struct vv_buf b[8], *s = NULL;
	struct vcap_buf q;
	unsigned int i, nr = 0;
	int ret;

	if (!zt_has_cap(CAP_SYS_ADMIN))
		SKIP(return, "telling a scattered buffer needs DMA addresses: CAP_SYS_ADMIN");
	if (!vv_use_dma_contig(_metadata, self))
		return;
	vv_bufs_init(_metadata, self, b, ARRAY_SIZE(b), ZCDEV_BUF_PAGES,
		     V4L2_MEMORY_USERPTR);
	for (i = 0; i < ARRAY_SIZE(b) && !s; i++) {
		ret = vv_scattered(self->fd, b[i].a.handle, &nr);
		ASSERT_LE(0, ret) TH_LOG("QUERY with segments: %s",
					 strerror(-ret));
		if (ret)
			s = &b[i];
	}
	ASSERT_NE(NULL, s) TH_LOG("8 PAGES buffers of %zu bytes, all physically contiguous",
				  self->buf_len);
	TH_LOG("PAGES buffer %u: %u DMA segments, not contiguous", i - 1, nr);
	q = s->v;
	q.memory = V4L2_MEMORY_DMABUF;
	q.index = 0;
	q.dmabuf = zt_export(self->fd, s->a.handle, ZCDEV_EXPORT_RDWR);
	ASSERT_LE(0, q.dmabuf);

	ASSERT_LE(1, vcap_reqbufs(self->vfd, V4L2_MEMORY_DMABUF, 1));
	ret = vcap_qbuf(self->vfd, &q);
	EXPECT_EQ(-EFAULT, ret) TH_LOG("QBUF DMABUF of a scattered PAGES export under dma-contig: %s",
				       ret ? strerror(-ret) : "queued");
	close(q.dmabuf);
	/* The refused QBUF dropped its dma-buf: nothing but the handle has it. */
	EXPECT_EQ(0U, zd_query_dmabuf(self->fd, s->a.handle));
	VV_EXPECT_PREFILL(self, s->v.p);

	/* USERPTR is not offered at all under dma-contig (io_modes). */
	EXPECT_EQ(-EINVAL, vcap_reqbufs(self->vfd, V4L2_MEMORY_USERPTR, 1));

	/* vivid is unharmed: its own buffers capture the reference. */
	ASSERT_EQ(0, vcap_reqbufs(self->vfd, V4L2_MEMORY_DMABUF, 0));
	ASSERT_EQ(0, vcap_capture_mmap(self->vfd, 1, self->size, VV_FRAME_MS,
				     self->frames));
	VV_EXPECT_REF(self, self->frames, "MMAP frame after the refusal");
	close(self->vfd);
	self->vfd = -1;
	vv_bufs_fini(self, b, ARRAY_SIZE(b));
	EXPECT_EQ(self->total0, zd_total_becomes(self->fd, self->total0, 3000));
}

/* ---- lifetimes ---- */

/*
 * vivid holds the queued dma-buf: zcdev's dma-buf fd, mapping, handle and
 * file go after STREAMON (the frame may be being drawn), the frame still
 * arrives, with the reference's bytes (read through a mapping of the
 * dma-buf, the one thing kept), and the buffer stays until the video node
 * is closed.
 */
TEST_F_TIMEOUT(vivid, queued_pages_export_outlives_zcdev_side, 120)
{
	struct vv_buf b[1];
	struct v4l2_buffer vb;
	unsigned char *view;
	int probe = zt_open(), ret;

	ASSERT_LE(0, probe);
	vv_bufs_init(_metadata, self, b, 1, ZCDEV_BUF_PAGES, V4L2_MEMORY_DMABUF);
	view = zd_map(b[0].v.dmabuf, self->buf_len, PROT_READ);
	ASSERT_NE(NULL, view);
	ASSERT_LE(1, vcap_reqbufs(self->vfd, V4L2_MEMORY_DMABUF, 1));
	ASSERT_EQ(0, vcap_qbuf(self->vfd, &b[0].v));
	ASSERT_EQ(0, vcap_streamon(self->vfd));

	vv_bufs_fini(self, b, 1);
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(self->total0 + self->buf_len, zt_total_bytes(probe));

	ret = vcap_dqbuf(self->vfd, V4L2_MEMORY_DMABUF, VV_FRAME_MS, &vb);
	ASSERT_EQ(0, ret) TH_LOG("DQBUF: %s", strerror(-ret));
	EXPECT_EQ(self->size, vb.bytesused);
	EXPECT_EQ(0, vcap_streamoff(self->vfd));
	VV_EXPECT_REF(self, view, "the frame (dma-buf mapping)");
	EXPECT_EQ(0, munmap(view, self->buf_len));
	/* vivid alone holds it now. */
	EXPECT_EQ(self->total0 + self->buf_len, zt_total_bytes(probe));
	close(self->vfd);
	self->vfd = -1;
	EXPECT_EQ(self->total0, zd_total_becomes(probe, self->total0, 3000))
		TH_LOG("the buffer outlived vivid's node");
	close(probe);
}

/*
 * The same with nothing of zcdev's kept at all, for a COHERENT buffer
 * (whose memory goes back with dma_free_coherent(), not page by page):
 * vivid is the only holder while it draws, the frame completes, and
 * releasing the queue (REQBUFS 0) lets the buffer go before the node
 * closes.
 */
TEST_F_TIMEOUT(vivid, queued_coherent_export_held_by_vivid_alone, 120)
{
	struct vv_buf b[1];
	struct v4l2_buffer vb;
	int probe = zt_open(), ret;

	VV_NEED_COHERENT(self);
	ASSERT_LE(0, probe);
	vv_bufs_init(_metadata, self, b, 1, ZCDEV_BUF_COHERENT,
		     V4L2_MEMORY_DMABUF);
	ASSERT_LE(1, vcap_reqbufs(self->vfd, V4L2_MEMORY_DMABUF, 1));
	ASSERT_EQ(0, vcap_qbuf(self->vfd, &b[0].v));
	vv_bufs_fini(self, b, 1);
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(self->total0 + self->buf_len, zt_total_bytes(probe));

	ASSERT_EQ(0, vcap_streamon(self->vfd));
	ret = vcap_dqbuf(self->vfd, V4L2_MEMORY_DMABUF, VV_FRAME_MS, &vb);
	ASSERT_EQ(0, ret) TH_LOG("DQBUF: %s", strerror(-ret));
	EXPECT_EQ(self->size, vb.bytesused);
	EXPECT_EQ(0, vcap_streamoff(self->vfd));
	EXPECT_EQ(self->total0 + self->buf_len, zt_total_bytes(probe));
	EXPECT_EQ(0, vcap_reqbufs(self->vfd, V4L2_MEMORY_DMABUF, 0));
	EXPECT_EQ(self->total0, zd_total_becomes(probe, self->total0, 3000))
		TH_LOG("the buffer outlived vivid's REQBUFS(0)");
	close(probe);
}

TEST_HARNESS_MAIN
