// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl dispatch: the one place that copies argument structs from and
 * to userspace, and checks them against the ABI rules of
 * uapi/linux/zcdev.h (size-versioned structs and array elements, flags,
 * reserved fields) before anything else sees them.
 */
#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/dma-buf.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <linux/zcdev.h>
#include "zcdev.h"

static_assert(sizeof(struct zcdev_info) == ZCDEV_INFO_SIZE_VER0);
static_assert(sizeof(struct zcdev_alloc) == ZCDEV_ALLOC_SIZE_VER0);
static_assert(sizeof(struct zcdev_free) == ZCDEV_FREE_SIZE_VER0);
static_assert(sizeof(struct zcdev_query) == ZCDEV_QUERY_SIZE_VER1);
static_assert(sizeof(struct zcdev_sync) == ZCDEV_SYNC_SIZE_VER0);
static_assert(sizeof(struct zcdev_dma_seg) == ZCDEV_DMA_SEG_SIZE_VER0);
static_assert(sizeof(struct zcdev_dma_submit) == ZCDEV_DMA_SUBMIT_SIZE_VER0);
static_assert(sizeof(struct zcdev_dma_wait) == ZCDEV_DMA_WAIT_SIZE_VER0);
static_assert(sizeof(struct zcdev_dma_cancel) == ZCDEV_DMA_CANCEL_SIZE_VER0);
static_assert(sizeof(struct zcdev_dma_stats) == ZCDEV_DMA_STATS_SIZE_VER0);
static_assert(sizeof(struct zcdev_dma_chan_stats) ==
	      ZCDEV_DMA_CHAN_STATS_SIZE_VER0);
static_assert(sizeof(struct zcdev_dma_seg_desc) ==
	      ZCDEV_DMA_SEG_DESC_SIZE_VER0);
static_assert(sizeof(struct zcdev_send) == ZCDEV_SEND_SIZE_VER0);
static_assert(sizeof(struct zcdev_reap) == ZCDEV_REAP_SIZE_VER0);
static_assert(sizeof(struct zcdev_send_ring) == ZCDEV_SEND_RING_SIZE_VER0);
static_assert(sizeof(struct zcdev_send_completion) ==
	      ZCDEV_SEND_COMPLETION_SIZE_VER1);
static_assert(sizeof(struct zcdev_export) == ZCDEV_EXPORT_SIZE_VER0);
static_assert(sizeof(struct zcdev_import) == ZCDEV_IMPORT_SIZE_VER0);
/* The bounce buffer for any argument is on the stack or one kmalloc. */
static_assert(ZCDEV_MAX_ARG_SIZE <= 4096);

/*
 * Read one size-versioned struct of @usize bytes at @uarg: below its first
 * version is EINVAL, over ZCDEV_MAX_ARG_SIZE E2BIG; the rest is the
 * copy_struct_from_user() contract (zero-extend, or E2BIG on a non-zero
 * tail this module does not know).
 */
static int zcdev_get_struct(const char *op, void *karg, size_t ksize,
			    size_t ver0, const void __user *uarg, u32 usize)
{
	int ret;

	if (usize < ver0)
		return zcdev_refuse(op, -EINVAL, "size_below_ver0", usize);
	if (usize > ZCDEV_MAX_ARG_SIZE)
		return zcdev_refuse(op, -E2BIG, "size_over_max", usize);
	ret = copy_struct_from_user(karg, ksize, uarg, usize);
	if (ret == -E2BIG)
		return zcdev_refuse(op, ret, "nonzero_tail", usize);
	return ret;
}

/* An ioctl argument: its first __u32 says how many bytes the caller passed. */
static int zcdev_get_arg(const char *op, void *karg, size_t ksize,
			 size_t ver0, void __user *uarg, u32 *usize)
{
	if (get_user(*usize, (u32 __user *)uarg))
		return -EFAULT;
	return zcdev_get_struct(op, karg, ksize, ver0, uarg, *usize);
}

/* Write back no more than the caller's struct holds. */
static int zcdev_put_arg(void __user *uarg, const void *karg, size_t ksize,
			 u32 usize)
{
	return copy_to_user(uarg, karg, min_t(size_t, ksize, usize)) ?
	       -EFAULT : 0;
}

/*
 * Write @nr array elements of @ksize bytes to a user array of stride
 * @usize: each element up to the caller's size, a longer element's tail
 * zeroed, so a caller built against a later header reads zeroes there.
 */
static int zcdev_put_array(void __user *uptr, u32 usize, const void *karr,
			   size_t ksize, unsigned int nr)
{
	size_t n = min_t(size_t, ksize, usize);
	unsigned int i;

	for (i = 0; i < nr; i++) {
		void __user *uel = uptr + (size_t)i * usize;

		if (copy_to_user(uel, karr + i * ksize, n))
			return -EFAULT;
		if (usize > n && clear_user(uel + n, usize - n))
			return -EFAULT;
	}
	return 0;
}

static long zcdev_ioctl_info(struct zcdev_file *zf, void __user *uarg)
{
	const char *op = "info";
	struct zcdev_info arg;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(op, &arg, sizeof(arg), ZCDEV_INFO_SIZE_VER0, uarg,
			    &usize);
	if (ret)
		return ret;
	if (arg.flags)
		return zcdev_refuse(op, -EINVAL, "flags", arg.flags);
	if (arg.reserved)
		return zcdev_refuse(op, -EINVAL, "reserved", arg.reserved);

	arg.abi_version = ZCDEV_ABI_VERSION;
	arg.page_size = PAGE_SIZE;
	arg.max_buf_bytes = zcdev_max_buf_bytes;
	arg.max_file_bytes = zcdev_max_file_bytes;
	arg.max_total_bytes = zcdev_max_total_bytes;
	arg.max_coherent_bytes = zcdev_max_coherent_bytes();
	arg.file_bytes = atomic64_read(&zf->bytes);
	arg.total_bytes = atomic64_read(&zcdev_total_bytes);
	arg.features = ZCDEV_FEAT_COHERENT | ZCDEV_FEAT_PAGES;
	arg.features |= ZCDEV_FEAT_SEND | ZCDEV_FEAT_SEND_COALESCE |
			ZCDEV_FEAT_SEND_RING;
	arg.features |= ZCDEV_FEAT_DMABUF;
	if (zcdev_dma_available())
		arg.features |= ZCDEV_FEAT_DMA;
	return zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
}

static long zcdev_ioctl_alloc(struct zcdev_file *zf, void __user *uarg)
{
	const char *op = "alloc";
	struct zcdev_alloc arg;
	struct zcdev_buf *buf;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(op, &arg, sizeof(arg), ZCDEV_ALLOC_SIZE_VER0, uarg,
			    &usize);
	if (ret)
		return ret;
	if (arg.flags)
		return zcdev_refuse(op, -EINVAL, "flags", arg.flags);

	buf = zcdev_buf_create(zf, arg.kind, arg.len, zcdev_dma_device());
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	arg.handle = buf->handle;
	arg.buf_len = buf->len;
	arg.offset = buf->offset;
	zcdev_buf_put(buf);

	ret = zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
	if (ret)
		/* The caller never learns the handle: do not leak the buffer. */
		zcdev_buf_free(zf, arg.handle);
	return ret;
}

static long zcdev_ioctl_free(struct zcdev_file *zf, void __user *uarg)
{
	const char *op = "free";
	struct zcdev_free arg;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(op, &arg, sizeof(arg), ZCDEV_FREE_SIZE_VER0, uarg,
			    &usize);
	if (ret)
		return ret;
	if (arg.flags)
		return zcdev_refuse(op, -EINVAL, "flags", arg.flags);
	if (arg.reserved)
		return zcdev_refuse(op, -EINVAL, "reserved", arg.reserved);
	return zcdev_buf_free(zf, arg.handle);
}

/*
 * DMA addresses are privileged: callers without CAP_SYS_ADMIN get EPERM.
 * An import has segments only while a transfer maps it.
 */
static int zcdev_query_segs(struct zcdev_buf *buf, struct zcdev_query *arg)
{
	const char *op = "query";
	struct zcdev_dma_seg *segs;
	unsigned int nr;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return zcdev_refuse(op, -EPERM, "dma_addr_needs_cap_sys_admin",
				    0);
	if (arg->seg_size < ZCDEV_DMA_SEG_SIZE_VER0)
		return zcdev_refuse(op, -EINVAL, "seg_size", arg->seg_size);
	if (arg->seg_size > ZCDEV_MAX_ARG_SIZE)
		return zcdev_refuse(op, -E2BIG, "seg_size", arg->seg_size);
	nr = min(arg->segs_cap, arg->nr_segs);
	segs = kvmalloc_array(nr, sizeof(*segs), GFP_KERNEL);
	if (!segs)
		return -ENOMEM;
	zcdev_buf_dma_segs(buf, segs, nr);
	ret = zcdev_put_array(u64_to_user_ptr(arg->segs_ptr), arg->seg_size,
			      segs, sizeof(*segs), nr);
	kvfree(segs);
	return ret;
}

static long zcdev_ioctl_query(struct zcdev_file *zf, void __user *uarg)
{
	const char *op = "query";
	struct zcdev_query arg;
	struct zcdev_buf *buf;
	u32 usize;
	int ret;

	/* A ZCDEV_QUERY_SIZE_VER0 caller is zero-extended and answered in kind. */
	ret = zcdev_get_arg(op, &arg, sizeof(arg), ZCDEV_QUERY_SIZE_VER0, uarg,
			    &usize);
	if (ret)
		return ret;
	if (arg.flags)
		return zcdev_refuse(op, -EINVAL, "flags", arg.flags);
	if (arg.reserved)
		return zcdev_refuse(op, -EINVAL, "reserved", arg.reserved);
	if (arg.reserved2)
		return zcdev_refuse(op, -EINVAL, "reserved2", arg.reserved2);

	buf = zcdev_buf_get(zf, arg.handle);
	if (!buf)
		return zcdev_refuse(op, -ENOENT, "no_handle", arg.handle);
	arg.kind = buf->kind;
	arg.len = buf->len;
	arg.offset = buf->offset;
	arg.nr_segs = zcdev_buf_nr_segs(buf);
	arg.dmabuf = zcdev_buf_dmabuf_state(buf, arg.exporter,
					    sizeof(arg.exporter));
	ret = arg.segs_cap ? zcdev_query_segs(buf, &arg) : 0;
	zcdev_buf_put(buf);
	if (ret)
		return ret;
	return zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
}

static long zcdev_ioctl_sync(struct zcdev_file *zf, void __user *uarg)
{
	const u32 dirs = ZCDEV_SYNC_FOR_CPU | ZCDEV_SYNC_FOR_DEVICE;
	const char *op = "sync";
	struct zcdev_sync arg;
	struct zcdev_buf *buf;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(op, &arg, sizeof(arg), ZCDEV_SYNC_SIZE_VER0, uarg,
			    &usize);
	if (ret)
		return ret;
	if (arg.flags & ~dirs)
		return zcdev_refuse(op, -EINVAL, "flags", arg.flags & ~dirs);
	if (hweight32(arg.flags) != 1)
		return zcdev_refuse(op, -EINVAL, "not_one_direction",
				    arg.flags);
	if (arg.reserved)
		return zcdev_refuse(op, -EINVAL, "reserved", arg.reserved);

	buf = zcdev_buf_get(zf, arg.handle);
	if (!buf)
		return zcdev_refuse(op, -ENOENT, "no_handle", arg.handle);
	ret = zcdev_buf_sync(buf, arg.offset, arg.len,
			     arg.flags & ZCDEV_SYNC_FOR_CPU);
	zcdev_buf_put(buf);
	return ret;
}

/* Segment descriptors: size-versioned elements of the caller's stride. */
static struct zcdev_dma_seg_desc *zcdev_get_segs(const struct zcdev_dma_submit *arg)
{
	const char *op = "dma_submit";
	const void __user *uptr = u64_to_user_ptr(arg->segs_ptr);
	struct zcdev_dma_seg_desc *segs;
	unsigned int i;
	int ret;

	segs = kvmalloc_array(arg->nr_segs, sizeof(*segs), GFP_KERNEL);
	if (!segs)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < arg->nr_segs; i++) {
		struct zcdev_dma_seg_desc *seg = &segs[i];

		ret = zcdev_get_struct(op, seg, sizeof(*seg),
				       ZCDEV_DMA_SEG_DESC_SIZE_VER0,
				       uptr + (size_t)i * arg->seg_size,
				       arg->seg_size);
		if (ret)
			goto err;
		if (seg->flags) {
			ret = zcdev_refuse(op, -EINVAL, "seg_flags", seg->flags);
			goto err;
		}
		if (memchr_inv(seg->reserved, 0, sizeof(seg->reserved))) {
			ret = zcdev_refuse(op, -EINVAL, "seg_reserved", i);
			goto err;
		}
	}
	return segs;

err:
	kvfree(segs);
	return ERR_PTR(ret);
}

static long zcdev_ioctl_dma_submit(struct zcdev_file *zf, void __user *uarg)
{
	const char *op = "dma_submit";
	struct zcdev_dma_seg_desc *segs;
	struct zcdev_dma_submit arg;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(op, &arg, sizeof(arg), ZCDEV_DMA_SUBMIT_SIZE_VER0,
			    uarg, &usize);
	if (ret)
		return ret;
	if (arg.flags)
		return zcdev_refuse(op, -EINVAL, "flags", arg.flags);
	if (!arg.nr_segs || arg.nr_segs > ZCDEV_DMA_MAX_SEGS)
		return zcdev_refuse(op, -EINVAL, "nr_segs", arg.nr_segs);
	if (arg.seg_size < ZCDEV_DMA_SEG_DESC_SIZE_VER0)
		return zcdev_refuse(op, -EINVAL, "seg_size", arg.seg_size);
	if (arg.seg_size > ZCDEV_MAX_ARG_SIZE)
		return zcdev_refuse(op, -E2BIG, "seg_size", arg.seg_size);
	/* Nothing may start if the caller could not learn the id. */
	ret = zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
	if (ret)
		return ret;
	segs = zcdev_get_segs(&arg);
	if (IS_ERR(segs))
		return PTR_ERR(segs);
	ret = zcdev_dma_submit(zf, &arg, segs);
	kvfree(segs);
	if (ret)
		return ret;
	/*
	 * Writable a moment ago; if it no longer is, the transfer runs on
	 * and WAIT_ANY or close() reaps it.
	 */
	return zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
}

static long zcdev_ioctl_dma_wait(struct zcdev_file *zf, void __user *uarg)
{
	const u32 known = ZCDEV_DMA_WAIT_ANY | ZCDEV_DMA_WAIT_NOTERM;
	const char *op = "dma_wait";
	struct zcdev_dma_wait arg;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(op, &arg, sizeof(arg), ZCDEV_DMA_WAIT_SIZE_VER0,
			    uarg, &usize);
	if (ret)
		return ret;
	if (arg.flags & ~known)
		return zcdev_refuse(op, -EINVAL, "flags", arg.flags & ~known);
	/* Reaping forgets the transfer: only if the answer can be delivered. */
	ret = zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
	if (ret)
		return ret;
	ret = zcdev_dma_wait(zf, &arg);
	if (ret)
		return ret;
	return zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
}

static long zcdev_ioctl_dma_cancel(struct zcdev_file *zf, void __user *uarg)
{
	const char *op = "dma_cancel";
	struct zcdev_dma_cancel arg;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(op, &arg, sizeof(arg), ZCDEV_DMA_CANCEL_SIZE_VER0,
			    uarg, &usize);
	if (ret)
		return ret;
	if (arg.flags & ~ZCDEV_DMA_CANCEL_ALL)
		return zcdev_refuse(op, -EINVAL, "flags",
				    arg.flags & ~ZCDEV_DMA_CANCEL_ALL);
	if (arg.reserved)
		return zcdev_refuse(op, -EINVAL, "reserved", arg.reserved);
	ret = zcdev_dma_cancel(zf, arg.id, arg.flags & ZCDEV_DMA_CANCEL_ALL,
			       &arg.cancelled);
	if (ret)
		return ret;
	return zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
}

static long zcdev_ioctl_dma_stats(void __user *uarg)
{
	const char *op = "dma_stats";
	struct zcdev_dma_chan_stats *chans = NULL;
	struct zcdev_dma_stats arg;
	unsigned int nr;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(op, &arg, sizeof(arg), ZCDEV_DMA_STATS_SIZE_VER0,
			    uarg, &usize);
	if (ret)
		return ret;
	if (arg.flags)
		return zcdev_refuse(op, -EINVAL, "flags", arg.flags);
	if (arg.reserved)
		return zcdev_refuse(op, -EINVAL, "reserved", arg.reserved);
	if (arg.chans_cap && arg.chan_size < ZCDEV_DMA_CHAN_STATS_SIZE_VER0)
		return zcdev_refuse(op, -EINVAL, "chan_size", arg.chan_size);
	if (arg.chans_cap && arg.chan_size > ZCDEV_MAX_ARG_SIZE)
		return zcdev_refuse(op, -E2BIG, "chan_size", arg.chan_size);
	nr = min_t(u32, arg.chans_cap, ZCDEV_DMA_MAX_CHANS);
	if (nr) {
		chans = kcalloc(nr, sizeof(*chans), GFP_KERNEL);
		if (!chans)
			return -ENOMEM;
	}
	ret = zcdev_dma_stats(&arg, chans, nr);
	if (!ret)
		ret = zcdev_put_array(u64_to_user_ptr(arg.chans_ptr),
				      arg.chan_size, chans, sizeof(*chans),
				      min(nr, arg.nr_channels));
	kfree(chans);
	if (ret)
		return ret;
	return zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
}

static long zcdev_ioctl_send(struct zcdev_file *zf, void __user *uarg)
{
	const u32 known = ZCDEV_SEND_MORE | ZCDEV_SEND_DONTWAIT |
			  ZCDEV_SEND_NOSIGNAL | ZCDEV_SEND_COALESCE;
	const char *op = "send";
	struct zcdev_send arg;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(op, &arg, sizeof(arg), ZCDEV_SEND_SIZE_VER0, uarg,
			    &usize);
	if (ret)
		return ret;
	if (arg.flags & ~known)
		return zcdev_refuse(op, -EINVAL, "flags", arg.flags & ~known);
	/* Nothing may be sent if the caller could not learn the id. */
	ret = zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
	if (ret)
		return ret;
	ret = zcdev_send(zf, &arg);
	if (ret)
		return ret;
	return zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
}

/*
 * An entry without last_id cannot say a completion covers several sends:
 * deliver the ones before the first such, and refuse it when it is first.
 */
static int zcdev_reap_without_ranges(const struct zcdev_send_completion *c,
				     u32 *nr)
{
	u32 i;

	for (i = 0; i < *nr; i++)
		if (c[i].last_id != c[i].id)
			break;
	if (*nr && !i)
		return zcdev_refuse("send_reap", -EINVAL, "entry_size_no_range",
				    c[0].last_id - c[0].id + 1);
	*nr = i;
	return 0;
}

/* Reaped in batches; a page's worth per call keeps the bounce small. */
#define ZCDEV_REAP_BATCH	(PAGE_SIZE / sizeof(struct zcdev_send_completion))

static long zcdev_ioctl_send_reap(struct zcdev_file *zf, void __user *uarg)
{
	const char *op = "send_reap";
	struct zcdev_send_completion *out;
	struct zcdev_reap arg;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(op, &arg, sizeof(arg), ZCDEV_REAP_SIZE_VER0, uarg,
			    &usize);
	if (ret)
		return ret;
	if (arg.flags)
		return zcdev_refuse(op, -EINVAL, "flags", arg.flags);
	if (arg.reserved)
		return zcdev_refuse(op, -EINVAL, "reserved", arg.reserved);
	if (!arg.max_entries)
		return zcdev_refuse(op, -EINVAL, "max_entries", 0);
	if (arg.entry_size < ZCDEV_SEND_COMPLETION_SIZE_VER0)
		return zcdev_refuse(op, -EINVAL, "entry_size", arg.entry_size);
	if (arg.entry_size > ZCDEV_MAX_ARG_SIZE)
		return zcdev_refuse(op, -E2BIG, "entry_size", arg.entry_size);
	arg.max_entries = min_t(u32, arg.max_entries, ZCDEV_REAP_BATCH);
	/* The answer must be deliverable before completions are taken. */
	ret = zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
	if (ret)
		return ret;
	out = kmalloc_array(arg.max_entries, sizeof(*out), GFP_KERNEL);
	if (!out)
		return -ENOMEM;
	/* Completions stay queued until they are delivered: none is lost. */
	ret = zcdev_send_reap_begin(zf, arg.deadline_ns, out, arg.max_entries,
				    &arg.nr, &arg.pending);
	if (ret)
		goto out_free;
	if (arg.entry_size < ZCDEV_SEND_COMPLETION_SIZE_VER1) {
		ret = zcdev_reap_without_ranges(out, &arg.nr);
		if (ret) {
			zcdev_send_reap_end(zf, 0);
			goto out_free;
		}
	}
	ret = zcdev_put_array(u64_to_user_ptr(arg.entries_ptr), arg.entry_size,
			      out, sizeof(*out), arg.nr);
	if (!ret)
		ret = zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
	zcdev_send_reap_end(zf, ret ? 0 : arg.nr);
out_free:
	kfree(out);
	return ret;
}

static long zcdev_ioctl_send_ring(struct zcdev_file *zf, void __user *uarg)
{
	const char *op = "send_ring";
	struct zcdev_send_ring arg;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(op, &arg, sizeof(arg), ZCDEV_SEND_RING_SIZE_VER0,
			    uarg, &usize);
	if (ret)
		return ret;
	if (arg.flags)
		return zcdev_refuse(op, -EINVAL, "flags", arg.flags);
	if (arg.reserved)
		return zcdev_refuse(op, -EINVAL, "reserved", arg.reserved);
	/* A ring the caller cannot learn the layout of would be stuck. */
	ret = zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
	if (ret)
		return ret;
	ret = zcdev_send_ring_setup(zf, &arg);
	if (ret)
		return ret;
	return zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
}

static long zcdev_ioctl_export(struct zcdev_file *zf, void __user *uarg)
{
	const u32 known = ZCDEV_EXPORT_CLOEXEC | ZCDEV_EXPORT_RDWR;
	const char *op = "export";
	struct zcdev_export arg;
	struct dma_buf *dmabuf;
	u32 usize;
	int ret, fd;

	ret = zcdev_get_arg(op, &arg, sizeof(arg), ZCDEV_EXPORT_SIZE_VER0, uarg,
			    &usize);
	if (ret)
		return ret;
	if (arg.flags & ~known)
		return zcdev_refuse(op, -EINVAL, "flags", arg.flags & ~known);

	dmabuf = zcdev_export(zf, arg.handle, arg.flags & ZCDEV_EXPORT_RDWR);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	/*
	 * The fd is reserved, reported, and only then installed: an fd the
	 * caller never learns of would keep the dma-buf until exit.
	 */
	fd = get_unused_fd_flags(arg.flags & ZCDEV_EXPORT_CLOEXEC ?
				 O_CLOEXEC : 0);
	if (fd < 0) {
		dma_buf_put(dmabuf);
		return zcdev_refuse(op, fd, "no_fd", 0);
	}
	arg.fd = fd;
	ret = zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
	if (ret) {
		put_unused_fd(fd);
		dma_buf_put(dmabuf);
		return ret;
	}
	/* The reference zcdev_export() took now belongs to the fd. */
	fd_install(fd, dmabuf->file);
	return 0;
}

static long zcdev_ioctl_import(struct zcdev_file *zf, void __user *uarg)
{
	const char *op = "import";
	struct zcdev_import arg;
	struct zcdev_buf *buf;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(op, &arg, sizeof(arg), ZCDEV_IMPORT_SIZE_VER0, uarg,
			    &usize);
	if (ret)
		return ret;
	if (arg.flags)
		return zcdev_refuse(op, -EINVAL, "flags", arg.flags);

	buf = zcdev_import(zf, arg.fd, arg.len, zcdev_dma_device());
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	arg.handle = buf->handle;
	arg.len = buf->len;
	arg.offset = buf->offset;
	zcdev_buf_put(buf);

	ret = zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
	if (ret)
		/* The caller never learns the handle: do not keep the import. */
		zcdev_buf_free(zf, arg.handle);
	return ret;
}

/*
 * Dispatch on the magic and the number alone: the size and direction bits
 * describe the caller's struct, and a caller built against a later header
 * (a longer struct, so another size) must reach the same handler.
 */
long zcdev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct zcdev_file *zf = file->private_data;
	void __user *uarg = (void __user *)arg;

	if (_IOC_TYPE(cmd) != ZCDEV_IOC_MAGIC)
		return -ENOTTY;
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(ZCDEV_IOC_INFO):
		return zcdev_ioctl_info(zf, uarg);
	case _IOC_NR(ZCDEV_IOC_ALLOC):
		return zcdev_ioctl_alloc(zf, uarg);
	case _IOC_NR(ZCDEV_IOC_FREE):
		return zcdev_ioctl_free(zf, uarg);
	case _IOC_NR(ZCDEV_IOC_QUERY):
		return zcdev_ioctl_query(zf, uarg);
	case _IOC_NR(ZCDEV_IOC_SYNC):
		return zcdev_ioctl_sync(zf, uarg);
	case _IOC_NR(ZCDEV_IOC_DMA_SUBMIT):
		return zcdev_ioctl_dma_submit(zf, uarg);
	case _IOC_NR(ZCDEV_IOC_DMA_WAIT):
		return zcdev_ioctl_dma_wait(zf, uarg);
	case _IOC_NR(ZCDEV_IOC_DMA_CANCEL):
		return zcdev_ioctl_dma_cancel(zf, uarg);
	case _IOC_NR(ZCDEV_IOC_DMA_STATS):
		return zcdev_ioctl_dma_stats(uarg);
	case _IOC_NR(ZCDEV_IOC_SEND):
		return zcdev_ioctl_send(zf, uarg);
	case _IOC_NR(ZCDEV_IOC_SEND_REAP):
		return zcdev_ioctl_send_reap(zf, uarg);
	case _IOC_NR(ZCDEV_IOC_SEND_RING):
		return zcdev_ioctl_send_ring(zf, uarg);
	case _IOC_NR(ZCDEV_IOC_EXPORT):
		return zcdev_ioctl_export(zf, uarg);
	case _IOC_NR(ZCDEV_IOC_IMPORT):
		return zcdev_ioctl_import(zf, uarg);
	default:
		return -ENOTTY;
	}
}
