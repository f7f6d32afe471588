// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: video frames from a capture device to a consumer that
 * checksums each one. The device is vivid, the kernel's virtual V4L2
 * capture driver (its webcam input), found by VIDIOC_QUERYCAP; --size is
 * the frame, WxH in YUYV (or its bytes), and a transfer is CAP_FRAMES
 * frames through CAP_BUFS buffers.
 *
 * Three ways for the bytes to reach the consumer:
 *   mmap_memcpy    vivid's own buffers (V4L2_MEMORY_MMAP), each frame
 *                  memcpy'd into the consumer's memory and summed there:
 *                  what a consumer that keeps frames beyond the next
 *                  QBUF does (the baseline);
 *   userptr_zcdev  V4L2_MEMORY_USERPTR into zcdev PAGES mappings: vivid
 *                  writes the consumer's pages, summed in place;
 *   dmabuf_zcdev   V4L2_MEMORY_DMABUF of zcdev exports (RDWR): vivid
 *                  writes through the exporter's vmap, the consumer sums
 *                  through zcdev's mapping inside DMA_BUF_IOCTL_SYNC.
 *
 * vivid draws every frame in software at the frame rate of its webcam
 * (at best 25/s at 640x480 and 5/s at 1920x1080 on 6.1, 120/s and 30/s
 * on 6.12, which has more intervals; TCG may not keep up): frames per
 * second and MB/s are the device's pace for every method, and vivid's
 * drawing shows in the all-CPU figure only. What tells the methods apart
 * is the consumer's CPU per GiB and the copies per byte: the memcpy is
 * counted by the harness (cp_umode), the kernel's copies by its kprobes
 * (which watch the file and socket copy paths; videobuf2 copies nothing
 * on these three: vivid draws straight into the buffer it is given).
 *
 * Verification: with everything that moves switched off
 * (vcap_vivid_still()) every frame is the same bytes. Setup captures two
 * frames into vivid's MMAP buffers, which must be equal: that frame is
 * the reference. Every frame a method delivers must have its checksum
 * (the counting run: its every byte, in buffers poisoned before each
 * QBUF, so a frame vivid did not write cannot pass). The reference of a
 * frame size is also held against the first one this process took, so
 * all methods are compared with one MMAP frame.
 */
#include <errno.h>
#include <linux/dma-buf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vcap.h"
#include "zcbench.h"

#define CAP_DRIVER	"vivid"
#define CAP_FOURCC	V4L2_PIX_FMT_YUYV
#define CAP_FRAMES	30	/* per transfer: 6 s at 6.1's 1080p rate */
#define CAP_BUFS	4	/* queued at once: vivid drops a frame with none */
/* A frame at 5/s; TCG draws slowly, and the first frame waits longest. */
#define CAP_WAIT_MS	20000
#define CAP_POISON	0xa5

enum cap_mode { CAP_MMAP, CAP_USERPTR, CAP_DMABUF };

static const uint32_t cap_memory[] = {
	[CAP_MMAP] = V4L2_MEMORY_MMAP,
	[CAP_USERPTR] = V4L2_MEMORY_USERPTR,
	[CAP_DMABUF] = V4L2_MEMORY_DMABUF,
};

/**
 * struct cap_priv - one configuration's capture session
 * @mode: how frames reach the consumer
 * @vfd: vivid's capture node
 * @zfd: /dev/zcdev (USERPTR, DMABUF), else -1
 * @node: the node's path, for messages
 * @width: frame width
 * @height: frame height
 * @size: bytes of a frame (sizeimage)
 * @buf_len: bytes of each zcdev buffer: @size rounded up to a page
 * @bufs: the queue's buffers; @bufs[i].p is where the consumer reads
 * @zb: the zcdev buffer behind @bufs[i] (USERPTR, DMABUF)
 * @own: the consumer's own memory a frame is copied to (MMAP)
 * @ref: the reference frame, from vivid's MMAP buffers
 * @ref_sum: its checksum
 * @streaming: STREAMON was issued and not yet undone
 */
struct cap_priv {
	enum cap_mode mode;
	int vfd;
	int zfd;
	char node[32];
	uint32_t width, height;
	size_t size;
	size_t buf_len;
	struct vcap_buf bufs[CAP_BUFS];
	struct zc_buf zb[CAP_BUFS];
	unsigned char *own;
	unsigned char *ref;
	uint64_t ref_sum;
	bool streaming;
};

/*
 * The consumer's work: Fletcher-style sums over 8-byte words (like
 * vsum.c), so a shifted or stale frame does not sum the same. Frames are
 * whole words (YUYV lines are 4-byte pairs, sizes even); a tail is summed
 * as a short word anyway.
 */
static uint64_t frame_sum(const unsigned char *p, size_t len)
{
	const uint64_t *w = (const uint64_t *)p;
	uint64_t s1 = 0, s2 = 0, t = 0;
	size_t i, n = len / 8;

	for (i = 0; i < n; i++) {
		s1 += w[i];
		s2 += s1;
	}
	if (len % 8) {
		memcpy(&t, p + n * 8, len % 8);
		s1 += t;
		s2 += s1;
	}
	return s1 ^ (s2 * 0x9e3779b97f4a7c15ULL);
}

/* The first byte where @a and @b differ, or -1. */
static long first_diff(const unsigned char *a, const unsigned char *b, size_t len)
{
	size_t i;

	if (!memcmp(a, b, len))
		return -1;
	for (i = 0; i < len && a[i] == b[i]; i++)
		;
	return (long)i;
}

/*
 * The reference checksum per frame size, from the first configuration of
 * this process that took one: every later one must find the same frame.
 */
#define CAP_MAX_REFS	16
static struct {
	size_t size;
	uint64_t sum;
	char method[32];
} refs[CAP_MAX_REFS];

static int ref_check(struct run *r, struct cap_priv *c)
{
	int i;

	for (i = 0; i < CAP_MAX_REFS && refs[i].size; i++) {
		if (refs[i].size != c->size)
			continue;
		if (refs[i].sum != c->ref_sum)
			return zb_fail(r, "vivid's MMAP frame sums %016llx now, %016llx for %s: the frames are not deterministic",
				       (unsigned long long)c->ref_sum,
				       (unsigned long long)refs[i].sum,
				       refs[i].method);
		return 0;
	}
	if (i < CAP_MAX_REFS) {
		refs[i].size = c->size;
		refs[i].sum = c->ref_sum;
		snprintf(refs[i].method, sizeof(refs[i].method), "%s", r->m->name);
	}
	return 0;
}

/*
 * Two frames into vivid's own MMAP buffers, which must be equal (else
 * something in the frame moves and no comparison would prove anything);
 * the first becomes the reference. The queue is left empty.
 */
static int take_reference(struct run *r, struct cap_priv *c)
{
	unsigned char *two = zb_alloc(2 * c->size);
	long d = -1;
	int err;

	err = vcap_capture_mmap(c->vfd, 2, c->size, CAP_WAIT_MS, two);
	if (!err) {
		memcpy(c->ref, two, c->size);
		d = first_diff(two, two + c->size, c->size);
	}
	zb_free(two, 2 * c->size);
	if (err)
		return zb_fail(r, "%s: reference frames (MMAP): %s", c->node,
			       strerror(-err));
	if (d >= 0)
		return zb_fail(r, "vivid's first two MMAP frames differ at byte %ld (line %ld): the controls did not make them the same",
			       d, d / (long)(c->width * ZB_FRAME_BPP));
	c->ref_sum = frame_sum(c->ref, c->size);
	return ref_check(r, c);
}

/* vivid, still, at the frame size whose YUYV bytes are r->size. */
static int open_vivid(struct run *r, struct cap_priv *c)
{
	struct v4l2_format fmt;
	struct v4l2_fract tpf;
	char why[160];
	int err;

	c->vfd = vcap_open(CAP_DRIVER, c->node, sizeof(c->node));
	if (c->vfd < 0)
		return zb_unavail(r, "no vivid capture node (no /dev/video* of driver \"%s\"): modprobe vivid",
				  CAP_DRIVER);
	err = vcap_vivid_still(c->vfd, why, sizeof(why));
	if (err)
		return zb_fail(r, "%s: making vivid's frames the same: %s", c->node, why);
	err = vcap_find_size(c->vfd, CAP_FOURCC, ZB_FRAME_BPP, r->size,
			     &c->width, &c->height);
	if (err)
		return zb_unavail(r, "vivid's webcam has no YUYV frame of %llu bytes (--size WxH: 320x180, 640x480, 1920x1080 ...)",
				  (unsigned long long)r->size);
	err = vcap_set_format(c->vfd, c->width, c->height, CAP_FOURCC, &fmt);
	if (err)
		return zb_fail(r, "%s: S_FMT %ux%u YUYV: %s", c->node, c->width,
			       c->height, strerror(-err));
	if (fmt.fmt.pix.sizeimage != r->size ||
	    fmt.fmt.pix.bytesperline != c->width * ZB_FRAME_BPP)
		return zb_fail(r, "%s: %ux%u YUYV: sizeimage %u, bytesperline %u: padded lines",
			       c->node, c->width, c->height, fmt.fmt.pix.sizeimage,
			       fmt.fmt.pix.bytesperline);
	c->size = fmt.fmt.pix.sizeimage;
	err = vcap_set_fastest(c->vfd, &tpf);
	if (err)
		return zb_fail(r, "%s: S_PARM: %s", c->node, strerror(-err));
	c->ref = zb_alloc(c->size);
	err = take_reference(r, c);
	if (err)
		return err;
	snprintf(r->note, sizeof(r->note),
		 "%ux%u YUYV, %d frames a transfer through %d buffers, vivid at %u/%u s; every frame sums %016llx = vivid's MMAP reference",
		 c->width, c->height, CAP_FRAMES, CAP_BUFS, tpf.numerator,
		 tpf.denominator, (unsigned long long)c->ref_sum);
	return 0;
}

/*
 * The queue's buffers in zcdev PAGES memory of @c->zfd: mapped (USERPTR
 * hands vivid the mapping), and exported (DMABUF hands it the dma-buf).
 */
static int zcdev_bufs(struct run *r, struct cap_priv *c)
{
	struct zcdev_info info;
	long page = sysconf(_SC_PAGESIZE);
	unsigned int i;
	void *p;
	int err;

	err = zc_info(c->zfd, &info);
	if (err)
		return zb_fail(r, "ZCDEV_IOC_INFO: %s", zc_errname(err));
	if (c->mode == CAP_DMABUF && !(info.features & ZCDEV_FEAT_DMABUF))
		return zb_unavail(r, "the module does not export dma-bufs (no ZCDEV_FEAT_DMABUF: ABI < 2)");
	c->buf_len = (c->size + page - 1) / page * page;
	for (i = 0; i < CAP_BUFS; i++) {
		err = zc_alloc(c->zfd, ZCDEV_BUF_PAGES, c->buf_len, &c->zb[i]);
		if (err)
			return zb_unavail(r, "PAGES buffer of %zu bytes: %s", c->buf_len,
					  zc_errname(err));
		err = zc_map(c->zfd, &c->zb[i], 0, c->buf_len,
			     PROT_READ | PROT_WRITE, &p);
		if (err)
			return zb_fail(r, "mmap of a PAGES buffer: %s", zc_errname(err));
		c->bufs[i].memory = cap_memory[c->mode];
		c->bufs[i].index = i;
		c->bufs[i].p = p;
		c->bufs[i].len = c->buf_len;
		c->bufs[i].dmabuf = -1;
		/* Faulted in: the mapping's cost is setup, not the capture's. */
		memset(p, CAP_POISON, c->buf_len);
		if (c->mode != CAP_DMABUF)
			continue;
		c->bufs[i].dmabuf = zc_export(c->zfd, c->zb[i].handle,
					      ZCDEV_EXPORT_RDWR | ZCDEV_EXPORT_CLOEXEC);
		if (c->bufs[i].dmabuf < 0)
			return zb_fail(r, "ZCDEV_IOC_EXPORT RDWR: %s",
				       zc_errname(c->bufs[i].dmabuf));
	}
	err = vcap_reqbufs(c->vfd, cap_memory[c->mode], CAP_BUFS);
	if (err < 0)
		return zb_fail(r, "%s: REQBUFS %s: %s", c->node,
			       c->mode == CAP_DMABUF ? "DMABUF" : "USERPTR",
			       strerror(-err));
	if (err < CAP_BUFS)
		return zb_fail(r, "%s: REQBUFS gave %d of %d buffers", c->node, err,
			       CAP_BUFS);
	return 0;
}

static int cap_setup(struct run *r, enum cap_mode mode)
{
	struct cap_priv *c = calloc(1, sizeof(*c));
	unsigned int i;
	int err;

	if (!c)
		return -ENOMEM;
	c->mode = mode;
	c->vfd = c->zfd = -1;
	for (i = 0; i < CAP_BUFS; i++)
		c->bufs[i].dmabuf = -1;
	r->priv = c;
	/* zcdev first: without it the zero-copy methods need not touch vivid. */
	if (mode != CAP_MMAP) {
		c->zfd = zc_open();
		if (c->zfd < 0)
			return zb_unavail(r, "no %s: %s (module not loaded)",
					  zc_dev_path(), strerror(-c->zfd));
	}
	err = open_vivid(r, c);
	if (err)
		return err;
	if (mode != CAP_MMAP)
		return zcdev_bufs(r, c);
	err = vcap_mmap_bufs(c->vfd, c->bufs, CAP_BUFS, PROT_READ | PROT_WRITE);
	if (err)
		return zb_fail(r, "%s: MMAP buffers: %s", c->node, strerror(-err));
	c->own = zb_alloc(c->size);
	memset(c->own, 0, c->size);
	return 0;
}

static int mmap_setup(struct run *r) { return cap_setup(r, CAP_MMAP); }
static int userptr_setup(struct run *r) { return cap_setup(r, CAP_USERPTR); }
static int dmabuf_setup(struct run *r) { return cap_setup(r, CAP_DMABUF); }

static void cap_teardown(struct run *r)
{
	struct cap_priv *c = r->priv;
	unsigned int i;

	if (!c)
		return;
	if (c->vfd >= 0) {
		vcap_streamoff(c->vfd);
		if (c->mode == CAP_MMAP)
			vcap_unmap_bufs(c->bufs, CAP_BUFS);
		/* vivid lets the pinned pages and the dma-bufs go here. */
		vcap_reqbufs(c->vfd, cap_memory[c->mode], 0);
		close(c->vfd);
	}
	for (i = 0; c->mode != CAP_MMAP && i < CAP_BUFS; i++) {
		if (c->bufs[i].dmabuf >= 0)
			close(c->bufs[i].dmabuf);
		if (c->bufs[i].p)
			zc_unmap(c->bufs[i].p, c->buf_len);
	}
	/* Closing the file frees the buffers the mappings no longer hold. */
	if (c->zfd >= 0)
		close(c->zfd);
	zb_free(c->own, c->size);
	zb_free(c->ref, c->size);
	free(c);
	r->priv = NULL;
}

/*
 * Every buffer poisoned and queued, streaming: outside the clock. The
 * poison keeps a frame from the last repetition from passing for one
 * vivid wrote in this one.
 */
static int cap_rep_setup(struct run *r)
{
	struct cap_priv *c = r->priv;
	unsigned int i;
	int err;

	if (c->streaming) {
		vcap_streamoff(c->vfd);
		c->streaming = false;
	}
	for (i = 0; i < CAP_BUFS; i++) {
		memset(c->bufs[i].p, CAP_POISON, c->size);
		err = vcap_qbuf(c->vfd, &c->bufs[i]);
		if (err)
			return zb_fail(r, "%s: QBUF %u: %s", c->node, i, strerror(-err));
	}
	err = vcap_streamon(c->vfd);
	if (err)
		return zb_fail(r, "%s: STREAMON: %s", c->node, strerror(-err));
	c->streaming = true;
	return 0;
}

/*
 * DMA_BUF_IOCTL_SYNC START or END: the CPU access bracket; a write too in
 * the counting run, which poisons the buffer inside it.
 */
static int dmabuf_sync(struct run *r, int dmabuf, uint64_t flags)
{
	struct dma_buf_sync s = {
		.flags = flags | (r->counting ? DMA_BUF_SYNC_RW : DMA_BUF_SYNC_READ),
	};

	sc_count(r, 1);
	return vcap_ioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &s);
}

/* Frame @n (of this transfer) in buffer @b: to the consumer, summed, checked. */
static int consume(struct run *r, struct cap_priv *c, struct vcap_buf *b, int n)
{
	const unsigned char *f = b->p;
	uint64_t sum;
	long d;
	int err;

	if (c->mode == CAP_MMAP) {
		memcpy(c->own, b->p, c->size);
		r->cnt.umode_copied += c->size;
		f = c->own;
	} else if (c->mode == CAP_DMABUF) {
		err = dmabuf_sync(r, b->dmabuf, DMA_BUF_SYNC_START);
		if (err)
			return zb_fail(r, "DMA_BUF_IOCTL_SYNC START: %s", strerror(-err));
	}
	sum = frame_sum(f, c->size);
	d = r->counting ? first_diff(c->ref, f, c->size) : -1;
	/* Untimed run: prove the next frame in this buffer is a new one. */
	if (r->counting && d < 0)
		memset(b->p, CAP_POISON, c->size);
	if (c->mode == CAP_DMABUF) {
		err = dmabuf_sync(r, b->dmabuf, DMA_BUF_SYNC_END);
		if (err)
			return zb_fail(r, "DMA_BUF_IOCTL_SYNC END: %s", strerror(-err));
	}
	if (d >= 0)
		return zb_fail(r, "frame %d (buffer %u) differs from vivid's MMAP reference at byte %ld (line %ld): 0x%02x, not 0x%02x",
			       n, b->index, d, d / (long)(c->width * ZB_FRAME_BPP),
			       f[d], c->ref[d]);
	if (sum != c->ref_sum)
		return zb_fail(r, "frame %d (buffer %u) sums %016llx, vivid's MMAP reference %016llx",
			       n, b->index, (unsigned long long)sum,
			       (unsigned long long)c->ref_sum);
	return 0;
}

static int cap_xfer(struct run *r)
{
	struct cap_priv *c = r->priv;
	uint32_t memory = cap_memory[c->mode];
	struct v4l2_buffer vb;
	int n, queued = CAP_BUFS, err;

	for (n = 0; n < CAP_FRAMES; n++) {
		sc_count(r, 2);		/* poll, DQBUF */
		err = vcap_dqbuf(c->vfd, memory, CAP_WAIT_MS, &vb);
		if (err)
			return zb_fail(r, "%s: frame %d: %s", c->node, n,
				       err == -ETIMEDOUT ? "none within the timeout" :
				       err == -EIO ? "buffer flagged ERROR" : strerror(-err));
		queued--;
		if (vb.index >= CAP_BUFS || vb.bytesused != c->size)
			return zb_fail(r, "%s: frame %d: buffer %u with %u bytes, not %zu",
				       c->node, n, vb.index, vb.bytesused, c->size);
		err = consume(r, c, &c->bufs[vb.index], n);
		if (err)
			return err;
		/* Only as many frames as the transfer takes: vivid draws no spare ones. */
		if (CAP_FRAMES - n - 1 > queued) {
			sc_count(r, 1);
			err = vcap_qbuf(c->vfd, &c->bufs[vb.index]);
			if (err)
				return zb_fail(r, "%s: QBUF: %s", c->node, strerror(-err));
			queued++;
		}
	}
	sc_count(r, 1);
	vcap_streamoff(c->vfd);
	c->streaming = false;
	return 0;
}

/* Frames per second, and system calls per frame (a frame is the request). */
void m_capture_summarize(struct result *res, int runs)
{
	double per_gib = (double)ZB_GiB / res->size;

	(void)runs;
	res->fps = res->mbps * 1e6 / res->size;
	res->syscalls_per_call = res->syscalls_gib / per_gib;
}

#define CAP_METHOD(var, nm, dsc, src, nd, setup_fn)			\
	static const struct method var = {				\
		.name = nm, .workload = "capture", .desc = dsc,		\
		.source = src, .needs = nd, .passes = CAP_FRAMES,	\
		.setup = setup_fn, .rep_setup = cap_rep_setup,		\
		.xfer = cap_xfer, .teardown = cap_teardown,		\
	}

CAP_METHOD(mmap_memcpy_m, "mmap_memcpy",
	   "vivid's MMAP buffers, each frame memcpy'd to the consumer's memory, summed there (baseline)",
	   "vivid frames (MMAP)", NEED_VIVID, mmap_setup);
CAP_METHOD(userptr_zcdev_m, "userptr_zcdev",
	   "USERPTR into zcdev PAGES mappings: vivid writes them, summed in place",
	   "vivid frames (USERPTR)", NEED_VIVID | NEED_ZCDEV, userptr_setup);
CAP_METHOD(dmabuf_zcdev_m, "dmabuf_zcdev",
	   "DMABUF of zcdev exports: vivid writes through them, summed in zcdev's mapping",
	   "vivid frames (DMABUF)", NEED_VIVID | NEED_ZCDEV, dmabuf_setup);

const struct method *const m_capture[] = {
	&mmap_memcpy_m, &userptr_zcdev_m, &dmabuf_zcdev_m, NULL,
};
