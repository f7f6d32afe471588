// SPDX-License-Identifier: GPL-2.0
/*
 * mmap of zcdev buffers.
 *
 * COHERENT buffers are mapped by dma_mmap_coherent(): a PFN mapping, since
 * the tail pages of a non-compound coherent block have no refcount of their
 * own and must never reach get_user_pages. PAGES buffers are mapped page by
 * page with vm_map_pages(), a normal-page mapping that get_user_pages,
 * O_DIRECT, vmsplice and MSG_ZEROCOPY can all use.
 *
 * madvise(MADV_DONTNEED) on a PAGES mapping drops its page table entries
 * and the fault handler puts the buffer's pages back.
 *
 * Every vma holds a buffer reference (split vmas take their own through
 * ->open), so a mapping outlives ZCDEV_IOC_FREE; the vma's file reference
 * keeps the open file, and with it the module, alive after close().
 *
 * Offset 0 (ZCDEV_SEND_RING_OFFSET), in no buffer's window, maps the
 * file's send completion ring (send_ring.c).
 *
 * The same mapping serves an exported buffer's dma-buf (mmap of the dma-buf
 * fd, or an importer's dma_buf_mmap()): there the vma's file is the
 * dma-buf's, which holds the buffer, so the vma takes no reference. An
 * imported buffer is mapped by its exporter (dma_buf_mmap()), and the vma
 * then belongs to the dma-buf's file alone.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/mm.h>

#include <linux/zcdev.h>
#include "compat.h"
#include "zcdev.h"
#include "zcdev_trace.h"

static void zcdev_vm_open(struct vm_area_struct *vma)
{
	struct zcdev_buf *buf = vma->vm_private_data;

	kref_get(&buf->ref);
}

static void zcdev_vm_close(struct vm_area_struct *vma)
{
	zcdev_buf_put(vma->vm_private_data);
}

/*
 * A PAGES mapping is filled at mmap time; a page is missing only after
 * madvise(MADV_DONTNEED) zapped it, and then it comes back as it was (the
 * buffer still holds it), as udmabuf's do, so the mapping behaves like
 * memory. COHERENT mappings are PFN maps, which madvise() refuses to zap.
 */
static vm_fault_t zcdev_vm_fault(struct vm_fault *vmf)
{
	struct zcdev_buf *buf = vmf->vma->vm_private_data;
	int ret;

	if (buf->kind != ZCDEV_BUF_PAGES || vmf->pgoff >= buf->nr_pages)
		return VM_FAULT_SIGBUS;
	ret = vm_insert_page(vmf->vma, vmf->address & PAGE_MASK,
			     buf->pages[vmf->pgoff]);
	if (ret == -ENOMEM)
		return VM_FAULT_OOM;
	/* -EBUSY: another thread's fault mapped it first. */
	if (ret && ret != -EBUSY)
		return VM_FAULT_SIGBUS;
	return VM_FAULT_NOPAGE;
}

static const struct vm_operations_struct zcdev_vm_ops = {
	.open	= zcdev_vm_open,
	.close	= zcdev_vm_close,
	.fault	= zcdev_vm_fault,
};

/* The dma-buf's file holds the buffer: no reference per vma. */
static const struct vm_operations_struct zcdev_exported_vm_ops = {
	.fault	= zcdev_vm_fault,
};

/* Map @buf from page vma->vm_pgoff of it on; the range is checked. */
static int zcdev_map_buf(struct zcdev_buf *buf, struct vm_area_struct *vma)
{
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	if (buf->kind == ZCDEV_BUF_COHERENT)
		return dma_mmap_coherent(buf->dma_dev, vma, buf->cpu_addr,
					 buf->dma_addr, buf->len);
	return vm_map_pages(vma, buf->pages, buf->nr_pages);
}

/* The exporter's mmap (dmabuf.c); the dma-buf core checked the range. */
int zcdev_mmap_exported(struct zcdev_buf *buf, struct vm_area_struct *vma)
{
	int ret;

	if (!(vma->vm_flags & VM_MAYSHARE))
		return zcdev_refuse("dmabuf_mmap", -EINVAL, "map_private", 0);
	ret = zcdev_map_buf(buf, vma);
	if (ret)
		return zcdev_refuse("dmabuf_mmap", ret, "map_failed",
				    buf->handle);
	vma->vm_private_data = buf;
	vma->vm_ops = &zcdev_exported_vm_ops;
	return 0;
}

int zcdev_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct zcdev_file *zf = file->private_data;
	unsigned long first_page, nr = vma_pages(vma);
	struct zcdev_buf *buf;
	int ret;

	/* A private mapping would COW into anonymous pages nobody DMAs into. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return zcdev_refuse("mmap", -EINVAL, "map_private", 0);
	if (vma->vm_pgoff == ZCDEV_SEND_RING_OFFSET >> PAGE_SHIFT)
		return zcdev_send_ring_mmap(zf, vma);
	if (vma->vm_pgoff > (LLONG_MAX >> PAGE_SHIFT))
		return zcdev_refuse("mmap", -ENXIO, "no_buffer", vma->vm_pgoff);
	buf = zcdev_buf_get_by_offset(zf, (loff_t)vma->vm_pgoff << PAGE_SHIFT);
	if (!buf)
		return zcdev_refuse("mmap", -ENXIO, "no_buffer", vma->vm_pgoff);
	first_page = vma->vm_pgoff - (buf->offset >> PAGE_SHIFT);
	if (first_page >= buf->nr_pages || nr > buf->nr_pages - first_page) {
		ret = zcdev_refuse("mmap", -ENXIO, "bad_range", first_page);
		goto err_put;
	}

	if (buf->kind == ZCDEV_BUF_DMABUF) {
		/* The vma moves to the dma-buf's file, which holds the memory. */
		ret = zcdev_import_mmap(buf, vma, first_page);
		zcdev_buf_put(buf);
		return ret;
	}

	/* From here on vm_pgoff counts pages within the buffer. */
	vma->vm_pgoff = first_page;
	ret = zcdev_map_buf(buf, vma);
	if (ret) {
		zcdev_refuse("mmap", ret, "map_failed", buf->handle);
		goto err_put;
	}

	/* The lookup's reference now belongs to the vma. */
	vma->vm_private_data = buf;
	vma->vm_ops = &zcdev_vm_ops;
	return 0;

err_put:
	zcdev_buf_put(buf);
	return ret;
}
