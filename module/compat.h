/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API shims, all in one place. zcdev is tested on Debian's 6.1,
 * 6.12 and 6.12 PREEMPT_RT kernels. Kbuild detects features in the
 * target's headers (ZCDEV_HAVE_*) instead of comparing versions, which
 * breaks on distribution backports; each shim names the kernel that
 * changed the API.
 */
#ifndef _ZCDEV_COMPAT_H
#define _ZCDEV_COMPAT_H

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/skbuff.h>

#ifndef ZCDEV_HAVE_VM_FLAGS_SET
/* 6.3 put vm_flags behind accessors; before that it was written directly. */
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#endif

/*
 * 6.10 moved the zero-copy completion callback from struct ubuf_info into
 * an ops table. Define the table (or nothing) and set it up either way.
 */
#ifdef ZCDEV_HAVE_UBUF_INFO_OPS
#define ZCDEV_DEFINE_UBUF_OPS(name, cb)				\
	static const struct ubuf_info_ops name = { .complete = cb }
#define zcdev_ubuf_init(uarg, table, cb)	((uarg)->ops = (table))
#else
#define ZCDEV_DEFINE_UBUF_OPS(name, cb)	struct zcdev_unused_##name
#define zcdev_ubuf_init(uarg, table, cb)	((uarg)->callback = (cb))
#endif

/*
 * 6.12 (334304ac2bac, "dma-mapping: don't return errors from
 * dma_set_max_seg_size") made it return void: a device without DMA
 * parameters is a driver bug it warns about. Before, it returned -EIO then.
 */
#ifdef ZCDEV_HAVE_VOID_DMA_SET_MAX_SEG_SIZE
static inline int zcdev_dma_set_max_seg_size(struct device *dev,
					     unsigned int size)
{
	dma_set_max_seg_size(dev, size);
	return 0;
}
#else
#define zcdev_dma_set_max_seg_size(dev, size)	dma_set_max_seg_size(dev, size)
#endif

/*
 * 6.5 removed generic_file_splice_read() ("splice: Remove
 * generic_file_splice_read()"). Its replacement for a file without a page
 * cache is copy_splice_read(): fresh pages filled through ->read_iter, as
 * the old function did through an ITER_PIPE. filemap_splice_read() would
 * need the page cache, which /dev/zcdev does not use.
 */
#ifdef ZCDEV_HAVE_COPY_SPLICE_READ
#define zcdev_copy_splice_read	copy_splice_read
#else
#define zcdev_copy_splice_read	generic_file_splice_read
#endif

/*
 * platform_driver.remove returns void since 6.11 ("platform: Make
 * platform_driver::remove() return void"). From 6.3 (backported to
 * 6.1.y) until then the void form was .remove_new, since dropped.
 */
#ifdef ZCDEV_HAVE_VOID_PLATFORM_REMOVE
#define ZCDEV_PLATFORM_REMOVE(fn)	.remove = (fn)
#else
#define ZCDEV_PLATFORM_REMOVE(fn)	.remove_new = (fn)
#endif

/*
 * 6.2 ("dma-buf: Move dma_buf_vmap() to dynamic locking specification",
 * "... dma_buf_map_attachment() ...") has importers hold the dma-buf's
 * reservation lock around vmap and map, or call the _unlocked variants that
 * take it. Before, the plain calls were the unlocked ones: the core and the
 * exporter locked for themselves. (Debian's 6.1 has a backported
 * dma_buf_map_attachment_unlocked() for one driver, but not the new rules:
 * its exporters are written for the plain calls.)
 */
#ifdef ZCDEV_HAVE_DMA_BUF_VMAP_UNLOCKED
#define zcdev_dma_buf_vmap	dma_buf_vmap_unlocked
#define zcdev_dma_buf_vunmap	dma_buf_vunmap_unlocked
#define zcdev_dma_buf_map	dma_buf_map_attachment_unlocked
#define zcdev_dma_buf_unmap	dma_buf_unmap_attachment_unlocked
#else
#define zcdev_dma_buf_vmap	dma_buf_vmap
#define zcdev_dma_buf_vunmap	dma_buf_vunmap
#define zcdev_dma_buf_map	dma_buf_map_attachment
#define zcdev_dma_buf_unmap	dma_buf_unmap_attachment
#endif

/*
 * 6.13 ("module: Convert symbol namespace to string literal") takes the
 * namespace as a string; before, as a bare word it stringified.
 */
#ifdef ZCDEV_HAVE_STRING_NS
#define ZCDEV_IMPORT_NS_DMA_BUF	MODULE_IMPORT_NS("DMA_BUF")
#else
#define ZCDEV_IMPORT_NS_DMA_BUF	MODULE_IMPORT_NS(DMA_BUF)
#endif

/*
 * 6.12 ("fs: move FMODE_UNSIGNED_OFFSET to fop_flags") made unsigned file
 * offsets a flag of file_operations (FOP_UNSIGNED_OFFSET); before, open
 * set it in f_mode. Only 32-bit kernels need it (zcdev's offsets start at
 * 64 GiB), and zcdev runs 32-bit on 6.1 so far: on 6.12 this is a no-op.
 */
#ifdef FMODE_UNSIGNED_OFFSET
static inline void zcdev_file_unsigned_offsets(struct file *file)
{
	if (BITS_PER_LONG == 32)
		file->f_mode |= FMODE_UNSIGNED_OFFSET;
}
#else
static inline void zcdev_file_unsigned_offsets(struct file *file)
{
}
#endif

#endif /* _ZCDEV_COMPAT_H */
