// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl dispatch: the one place that copies argument structs from and
 * to userspace, and checks them against the ABI rules of
 * uapi/linux/zcdev.h (size-versioned structs, flags, reserved fields)
 * before anything else sees them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/capability.h>
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
static_assert(sizeof(struct zcdev_query) == ZCDEV_QUERY_SIZE_VER0);
static_assert(sizeof(struct zcdev_sync) == ZCDEV_SYNC_SIZE_VER0);
static_assert(sizeof(struct zcdev_dma_seg) == 16);
static_assert(sizeof(struct zcdev_dma_submit) == ZCDEV_DMA_SUBMIT_SIZE_VER0);
static_assert(sizeof(struct zcdev_dma_wait) == ZCDEV_DMA_WAIT_SIZE_VER0);
static_assert(sizeof(struct zcdev_dma_cancel) == ZCDEV_DMA_CANCEL_SIZE_VER0);
static_assert(sizeof(struct zcdev_dma_stats) == ZCDEV_DMA_STATS_SIZE_VER0);
static_assert(sizeof(struct zcdev_dma_seg_desc) == 40);
static_assert(sizeof(struct zcdev_send) == ZCDEV_SEND_SIZE_VER0);
static_assert(sizeof(struct zcdev_reap) == ZCDEV_REAP_SIZE_VER0);
static_assert(sizeof(struct zcdev_send_completion) == 32);

/*
 * Read a size-versioned argument: its first __u32 says how many bytes the
 * caller passed. Shorter than version 0 is EINVAL; the rest is the
 * copy_struct_from_user() contract (zero-extend, or E2BIG on a non-zero
 * tail we do not know).
 */
static int zcdev_get_arg(void *karg, size_t ksize, size_t ver0,
			 void __user *uarg, u32 *usize)
{
	int ret;

	if (get_user(*usize, (u32 __user *)uarg))
		return -EFAULT;
	if (*usize < ver0) {
		pr_info_ratelimited("ioctl refused: argument size %u below %zu\n",
				    *usize, ver0);
		return -EINVAL;
	}
	if (*usize > PAGE_SIZE) {
		pr_info_ratelimited("ioctl refused: argument size %u over a page\n",
				    *usize);
		return -E2BIG;
	}
	ret = copy_struct_from_user(karg, ksize, uarg, *usize);
	if (ret == -E2BIG)
		pr_info_ratelimited("ioctl refused: %u-byte argument has non-zero bytes past the %zu this module knows\n",
				    *usize, ksize);
	return ret;
}

/* Write back no more than the caller's struct holds. */
static int zcdev_put_arg(void __user *uarg, const void *karg, size_t ksize,
			 u32 usize)
{
	return copy_to_user(uarg, karg, min_t(size_t, ksize, usize)) ?
	       -EFAULT : 0;
}

static int zcdev_reject_bits(const char *what, u64 value)
{
	pr_info_ratelimited("ioctl refused: %s %#llx not zero\n", what, value);
	return -EINVAL;
}

static long zcdev_ioctl_info(struct zcdev_file *zf, void __user *uarg)
{
	struct zcdev_info arg;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(&arg, sizeof(arg), ZCDEV_INFO_SIZE_VER0, uarg,
			    &usize);
	if (ret)
		return ret;
	if (arg.flags)
		return zcdev_reject_bits("info flags", arg.flags);
	if (arg.reserved)
		return zcdev_reject_bits("info reserved", arg.reserved);

	arg.abi_version = ZCDEV_ABI_VERSION;
	arg.page_size = PAGE_SIZE;
	arg.max_buf_bytes = zcdev_max_buf_bytes;
	arg.max_file_bytes = zcdev_max_file_bytes;
	arg.max_total_bytes = zcdev_max_total_bytes;
	arg.max_coherent_bytes = zcdev_max_coherent_bytes();
	arg.file_bytes = atomic64_read(&zf->bytes);
	arg.total_bytes = atomic64_read(&zcdev_total_bytes);
	arg.features = ZCDEV_FEAT_COHERENT | ZCDEV_FEAT_PAGES;
	arg.features |= ZCDEV_FEAT_SEND;
	zcdev_dma_refresh();
	if (zcdev_dma_available())
		arg.features |= ZCDEV_FEAT_DMA;
	return zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
}

static long zcdev_ioctl_alloc(struct zcdev_file *zf, void __user *uarg)
{
	struct zcdev_alloc arg;
	struct zcdev_buf *buf;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(&arg, sizeof(arg), ZCDEV_ALLOC_SIZE_VER0, uarg,
			    &usize);
	if (ret)
		return ret;
	if (arg.flags)
		return zcdev_reject_bits("alloc flags", arg.flags);

	/* Map new buffers for the channel's device if one has appeared. */
	zcdev_dma_refresh();
	buf = zcdev_buf_create(zf, arg.kind, arg.len);
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
	struct zcdev_free arg;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(&arg, sizeof(arg), ZCDEV_FREE_SIZE_VER0, uarg,
			    &usize);
	if (ret)
		return ret;
	if (arg.flags)
		return zcdev_reject_bits("free flags", arg.flags);
	if (arg.reserved)
		return zcdev_reject_bits("free reserved", arg.reserved);
	return zcdev_buf_free(zf, arg.handle);
}

/* DMA addresses are privileged: callers without CAP_SYS_ADMIN get EPERM. */
static int zcdev_copy_segs(struct zcdev_buf *buf, struct zcdev_query *arg)
{
	struct zcdev_dma_seg __user *useg = u64_to_user_ptr(arg->segs_ptr);
	struct zcdev_dma_seg seg;
	struct scatterlist *sg;
	unsigned int i;

	if (!capable(CAP_SYS_ADMIN)) {
		pr_info_ratelimited("query refused: DMA addresses need CAP_SYS_ADMIN\n");
		return -EPERM;
	}
	if (buf->kind == ZCDEV_BUF_COHERENT) {
		seg.dma_addr = buf->dma_addr;
		seg.len = buf->len;
		return copy_to_user(useg, &seg, sizeof(seg)) ? -EFAULT : 0;
	}
	for_each_sgtable_dma_sg(&buf->sgt, sg, i) {
		if (i >= arg->segs_cap)
			break;
		seg.dma_addr = sg_dma_address(sg);
		seg.len = sg_dma_len(sg);
		if (copy_to_user(&useg[i], &seg, sizeof(seg)))
			return -EFAULT;
	}
	return 0;
}

static long zcdev_ioctl_query(struct zcdev_file *zf, void __user *uarg)
{
	struct zcdev_query arg;
	struct zcdev_buf *buf;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(&arg, sizeof(arg), ZCDEV_QUERY_SIZE_VER0, uarg,
			    &usize);
	if (ret)
		return ret;
	if (arg.flags)
		return zcdev_reject_bits("query flags", arg.flags);
	if (arg.reserved)
		return zcdev_reject_bits("query reserved", arg.reserved);

	buf = zcdev_buf_get(zf, arg.handle);
	if (!buf) {
		pr_info_ratelimited("query refused: no buffer with handle %u\n",
				    arg.handle);
		return -ENOENT;
	}
	arg.kind = buf->kind;
	arg.len = buf->len;
	arg.offset = buf->offset;
	arg.nr_segs = zcdev_buf_nr_segs(buf);
	ret = arg.segs_cap ? zcdev_copy_segs(buf, &arg) : 0;
	zcdev_buf_put(buf);
	if (ret)
		return ret;
	return zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
}

static long zcdev_ioctl_sync(struct zcdev_file *zf, void __user *uarg)
{
	const u32 dirs = ZCDEV_SYNC_FOR_CPU | ZCDEV_SYNC_FOR_DEVICE;
	struct zcdev_sync arg;
	struct zcdev_buf *buf;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(&arg, sizeof(arg), ZCDEV_SYNC_SIZE_VER0, uarg,
			    &usize);
	if (ret)
		return ret;
	if (arg.flags & ~dirs)
		return zcdev_reject_bits("unknown sync flags", arg.flags & ~dirs);
	if (hweight32(arg.flags) != 1) {
		pr_info_ratelimited("sync refused: flags %#x must name exactly one of FOR_CPU, FOR_DEVICE\n",
				    arg.flags);
		return -EINVAL;
	}
	if (arg.reserved)
		return zcdev_reject_bits("sync reserved", arg.reserved);

	buf = zcdev_buf_get(zf, arg.handle);
	if (!buf) {
		pr_info_ratelimited("sync refused: no buffer with handle %u\n",
				    arg.handle);
		return -ENOENT;
	}
	ret = zcdev_buf_sync(buf, arg.offset, arg.len,
			     arg.flags & ZCDEV_SYNC_FOR_CPU);
	zcdev_buf_put(buf);
	return ret;
}

static long zcdev_ioctl_dma_submit(struct zcdev_file *zf, void __user *uarg)
{
	struct zcdev_dma_seg_desc *segs;
	struct zcdev_dma_submit arg;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(&arg, sizeof(arg), ZCDEV_DMA_SUBMIT_SIZE_VER0, uarg,
			    &usize);
	if (ret)
		return ret;
	if (arg.flags)
		return zcdev_reject_bits("dma submit flags", arg.flags);
	if (arg.reserved)
		return zcdev_reject_bits("dma submit reserved", arg.reserved);
	if (!arg.nr_segs || arg.nr_segs > ZCDEV_DMA_MAX_SEGS) {
		pr_info_ratelimited("dma refused: %u segments, want 1..%u\n",
				    arg.nr_segs, ZCDEV_DMA_MAX_SEGS);
		return -EINVAL;
	}
	segs = vmemdup_user(u64_to_user_ptr(arg.segs_ptr),
			    array_size(arg.nr_segs, sizeof(*segs)));
	if (IS_ERR(segs))
		return PTR_ERR(segs);
	ret = zcdev_dma_submit(zf, &arg, segs);
	kvfree(segs);
	if (ret)
		return ret;
	/* The transfer runs on; a caller who cannot learn its id reaps it
	 * with ZCDEV_DMA_WAIT_ANY or leaves it to close().
	 */
	return zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
}

static long zcdev_ioctl_dma_wait(struct zcdev_file *zf, void __user *uarg)
{
	const u32 known = ZCDEV_DMA_WAIT_ANY | ZCDEV_DMA_WAIT_NOTERM;
	struct zcdev_dma_wait arg;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(&arg, sizeof(arg), ZCDEV_DMA_WAIT_SIZE_VER0, uarg,
			    &usize);
	if (ret)
		return ret;
	if (arg.flags & ~known)
		return zcdev_reject_bits("unknown dma wait flags",
					 arg.flags & ~known);
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
	struct zcdev_dma_cancel arg;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(&arg, sizeof(arg), ZCDEV_DMA_CANCEL_SIZE_VER0, uarg,
			    &usize);
	if (ret)
		return ret;
	if (arg.flags & ~ZCDEV_DMA_CANCEL_ALL)
		return zcdev_reject_bits("unknown dma cancel flags",
					 arg.flags & ~ZCDEV_DMA_CANCEL_ALL);
	if (arg.reserved)
		return zcdev_reject_bits("dma cancel reserved", arg.reserved);
	ret = zcdev_dma_cancel(zf, arg.id, arg.flags & ZCDEV_DMA_CANCEL_ALL,
			       &arg.cancelled);
	if (ret)
		return ret;
	return zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
}

static long zcdev_ioctl_dma_stats(void __user *uarg)
{
	struct zcdev_dma_stats arg;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(&arg, sizeof(arg), ZCDEV_DMA_STATS_SIZE_VER0, uarg,
			    &usize);
	if (ret)
		return ret;
	if (arg.flags)
		return zcdev_reject_bits("dma stats flags", arg.flags);
	ret = zcdev_dma_stats(&arg);
	if (ret)
		return ret;
	return zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
}

static long zcdev_ioctl_send(struct zcdev_file *zf, void __user *uarg)
{
	const u32 known = ZCDEV_SEND_MORE | ZCDEV_SEND_DONTWAIT |
			  ZCDEV_SEND_NOSIGNAL;
	struct zcdev_send arg;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(&arg, sizeof(arg), ZCDEV_SEND_SIZE_VER0, uarg,
			    &usize);
	if (ret)
		return ret;
	if (arg.flags & ~known)
		return zcdev_reject_bits("unknown send flags",
					 arg.flags & ~known);
	/* Nothing may be sent if the caller could not learn the id. */
	ret = zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
	if (ret)
		return ret;
	ret = zcdev_send(zf, &arg);
	if (ret)
		return ret;
	return zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
}

/* Reaped in batches; a page's worth per call keeps the bounce small. */
#define ZCDEV_REAP_BATCH	(PAGE_SIZE / sizeof(struct zcdev_send_completion))

static long zcdev_ioctl_send_reap(struct zcdev_file *zf, void __user *uarg)
{
	struct zcdev_send_completion *out;
	LIST_HEAD(taken);
	struct zcdev_reap arg;
	u32 usize;
	int ret;

	ret = zcdev_get_arg(&arg, sizeof(arg), ZCDEV_REAP_SIZE_VER0, uarg,
			    &usize);
	if (ret)
		return ret;
	if (arg.flags)
		return zcdev_reject_bits("send reap flags", arg.flags);
	if (!arg.max_entries) {
		pr_info_ratelimited("send reap refused: max_entries is 0\n");
		return -EINVAL;
	}
	arg.max_entries = min_t(u32, arg.max_entries, ZCDEV_REAP_BATCH);
	/* The answer must be deliverable before completions are taken. */
	ret = zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
	if (ret)
		return ret;
	out = kmalloc_array(arg.max_entries, sizeof(*out), GFP_KERNEL);
	if (!out)
		return -ENOMEM;
	ret = zcdev_send_reap(zf, &arg, out, &taken);
	if (!ret && copy_to_user(u64_to_user_ptr(arg.entries_ptr), out,
				 array_size(arg.nr, sizeof(*out))))
		ret = -EFAULT;
	kfree(out);
	if (!ret)
		ret = zcdev_put_arg(uarg, &arg, sizeof(arg), usize);
	zcdev_send_reap_done(zf, &taken, ret ? arg.nr : 0, !ret);
	return ret;
}

long zcdev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct zcdev_file *zf = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case ZCDEV_IOC_INFO:
		return zcdev_ioctl_info(zf, uarg);
	case ZCDEV_IOC_ALLOC:
		return zcdev_ioctl_alloc(zf, uarg);
	case ZCDEV_IOC_FREE:
		return zcdev_ioctl_free(zf, uarg);
	case ZCDEV_IOC_QUERY:
		return zcdev_ioctl_query(zf, uarg);
	case ZCDEV_IOC_SYNC:
		return zcdev_ioctl_sync(zf, uarg);
	case ZCDEV_IOC_DMA_SUBMIT:
		return zcdev_ioctl_dma_submit(zf, uarg);
	case ZCDEV_IOC_DMA_WAIT:
		return zcdev_ioctl_dma_wait(zf, uarg);
	case ZCDEV_IOC_DMA_CANCEL:
		return zcdev_ioctl_dma_cancel(zf, uarg);
	case ZCDEV_IOC_DMA_STATS:
		return zcdev_ioctl_dma_stats(uarg);
	case ZCDEV_IOC_SEND:
		return zcdev_ioctl_send(zf, uarg);
	case ZCDEV_IOC_SEND_REAP:
		return zcdev_ioctl_send_reap(zf, uarg);
	default:
		return -ENOTTY;
	}
}
