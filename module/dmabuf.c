// SPDX-License-Identifier: GPL-2.0
/*
 * dma-buf, both ways.
 *
 * Export: a COHERENT or PAGES buffer becomes one dma-buf, created by
 * ZCDEV_IOC_EXPORT, held by the buffer's handle until FREE or close and
 * shared by later exports while anything else holds it too; it holds a
 * buffer reference (and, through the dma-buf core, the module) until its
 * release.
 * Each importer's attachment gets its own sg_table of the buffer's memory,
 * DMA-mapped for the importer's device while the importer maps it.
 *
 * Import: another driver's dma-buf, or a zcdev export, becomes a buffer of
 * kind ZCDEV_BUF_DMABUF: attached for zcdev's DMA device at import, mapped
 * while transfers use it (dma_import.c), reached by the CPU through the
 * exporter's vmap and by mmap through the exporter's mmap.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/iosys-map.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include <linux/zcdev.h>
#include "compat.h"
#include "zcdev.h"

ZCDEV_IMPORT_NS_DMA_BUF;

/* Guards every buffer's @exported and the handle's reference it stands for. */
static DEFINE_MUTEX(zcdev_export_lock);

/**
 * struct zcdev_dmabuf_export - the exporter's state of one dma-buf (its priv)
 * @buf: the exported buffer, referenced until the dma-buf's release
 * @lock: guards @attachments and the mapping state of each
 * @attachments: every attachment's struct zcdev_dmabuf_attach
 */
struct zcdev_dmabuf_export {
	struct zcdev_buf *buf;
	struct mutex lock; /* see @lock above */
	struct list_head attachments;
};

/**
 * struct zcdev_dmabuf_attach - one importing device's view (attach->priv)
 * @node: on the export's @attachments
 * @dev: the importer's device
 * @sgt: the buffer's memory in segments @dev accepts; DMA-mapped for @dev
 *	while @mapped
 * @dir: the direction @sgt is mapped with
 * @mapped: the importer has it mapped
 */
struct zcdev_dmabuf_attach {
	struct list_head node;
	struct device *dev;
	struct sg_table sgt;
	enum dma_data_direction dir;
	bool mapped;
};

/**
 * struct zcdev_dmabuf_import - a dma-buf imported as a zcdev buffer
 * @dmabuf: held until the buffer is destroyed, and with it the exporter's
 *	module
 * @attach: the attachment for the buffer's dma_dev
 * @lock: guards @sgt and @map_users
 * @sgt: the attachment's mapping while a transfer uses it, else NULL
 * @map_users: transfers using @sgt
 */
struct zcdev_dmabuf_import {
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct mutex lock; /* see @lock above */
	struct sg_table *sgt;
	unsigned int map_users;
};

/* The longest segment @dev takes, in whole pages (64 KiB without dma_parms). */
static unsigned int zcdev_max_seg(struct device *dev)
{
	return max_t(unsigned int, dma_get_max_seg_size(dev) & PAGE_MASK,
		     PAGE_SIZE);
}

/*
 * A coherent block as pages for @dev: what dma_get_sgtable() describes,
 * cut into segments no longer than @dev takes (it gives the block as one,
 * and dma-debug reports a mapping of a longer segment than the device
 * claims to support).
 */
static int zcdev_export_coherent_sgt(struct zcdev_buf *buf,
				     struct device *dev, struct sg_table *sgt)
{
	const gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_NOWARN;
	unsigned int max = zcdev_max_seg(dev), n = 0, i;
	struct scatterlist *src, *dst;
	size_t done;
	struct sg_table whole;
	int ret;

	/* ENXIO where the platform's coherent memory has no struct pages. */
	ret = dma_get_sgtable(buf->dma_dev, &whole, buf->cpu_addr,
			      buf->dma_addr, buf->len);
	if (ret)
		return ret;
	/* Not DIV_ROUND_UP(): max may be close to UINT_MAX. */
	for_each_sgtable_sg(&whole, src, i)
		n += src->length ? (src->length - 1) / max + 1 : 0;
	ret = sg_alloc_table(sgt, n, gfp);
	if (ret)
		goto out;
	dst = sgt->sgl;
	for_each_sgtable_sg(&whole, src, i) {
		for (done = 0; done < src->length; done += max) {
			size_t pos = src->offset + done;

			sg_set_page(dst, nth_page(sg_page(src), pos >> PAGE_SHIFT),
				    min_t(size_t, max, src->length - done),
				    offset_in_page(pos));
			dst = sg_next(dst);
		}
	}
out:
	sg_free_table(&whole);
	return ret;
}

/* The buffer's memory as pages, in segments @dev accepts. */
static int zcdev_export_sgt(struct zcdev_buf *buf, struct device *dev,
			    struct sg_table *sgt)
{
	if (buf->kind == ZCDEV_BUF_COHERENT)
		return zcdev_export_coherent_sgt(buf, dev, sgt);
	return sg_alloc_table_from_pages_segment(sgt, buf->pages, buf->nr_pages,
						 0, buf->len,
						 zcdev_max_seg(dev),
						 GFP_KERNEL_ACCOUNT |
						 __GFP_NOWARN);
}

static int zcdev_export_attach(struct dma_buf *dmabuf,
			       struct dma_buf_attachment *attach)
{
	struct zcdev_dmabuf_export *exp = dmabuf->priv;
	struct zcdev_dmabuf_attach *za;
	int ret;

	za = kzalloc(sizeof(*za), GFP_KERNEL_ACCOUNT);
	if (!za)
		return -ENOMEM;
	ret = zcdev_export_sgt(exp->buf, attach->dev, &za->sgt);
	if (ret) {
		kfree(za);
		return zcdev_refuse("dmabuf_attach", ret, "no_sgtable",
				    exp->buf->len);
	}
	za->dev = attach->dev;
	attach->priv = za;
	mutex_lock(&exp->lock);
	list_add_tail(&za->node, &exp->attachments);
	mutex_unlock(&exp->lock);
	return 0;
}

/* Called with exp->lock held. */
static void zcdev_export_unmap_locked(struct zcdev_dmabuf_attach *za)
{
	dma_sync_sgtable_for_cpu(za->dev, &za->sgt, za->dir);
	dma_unmap_sgtable(za->dev, &za->sgt, za->dir, DMA_ATTR_SKIP_CPU_SYNC);
	za->mapped = false;
}

static void zcdev_export_detach(struct dma_buf *dmabuf,
				struct dma_buf_attachment *attach)
{
	struct zcdev_dmabuf_export *exp = dmabuf->priv;
	struct zcdev_dmabuf_attach *za = attach->priv;

	mutex_lock(&exp->lock);
	/* An importer that detaches still mapped must not leak the mapping. */
	if (za->mapped)
		zcdev_export_unmap_locked(za);
	list_del(&za->node);
	mutex_unlock(&exp->lock);
	sg_free_table(&za->sgt);
	kfree(za);
}

/*
 * Mapped with DMA_ATTR_SKIP_CPU_SYNC and synced explicitly, as every zcdev
 * mapping is: the memory already carries zcdev's own mapping, and the DMA
 * API accepts overlapping device-writable mappings only so (module/README.md).
 * One mapping per attachment at a time: the sg_table holds one set of DMA
 * addresses.
 */
static struct sg_table *zcdev_export_map(struct dma_buf_attachment *attach,
					 enum dma_data_direction dir)
{
	struct zcdev_dmabuf_export *exp = attach->dmabuf->priv;
	struct zcdev_dmabuf_attach *za = attach->priv;
	int ret;

	mutex_lock(&exp->lock);
	if (za->mapped) {
		ret = zcdev_refuse("dmabuf_map", -EBUSY, "already_mapped", dir);
		goto out;
	}
	ret = dma_map_sgtable(za->dev, &za->sgt, dir, DMA_ATTR_SKIP_CPU_SYNC);
	if (ret) {
		zcdev_refuse("dmabuf_map", ret, "dma_map_failed", dir);
		goto out;
	}
	/* What the CPU wrote so far is the device's to read. */
	dma_sync_sgtable_for_device(za->dev, &za->sgt, dir);
	za->dir = dir;
	za->mapped = true;
out:
	mutex_unlock(&exp->lock);
	return ret ? ERR_PTR(ret) : &za->sgt;
}

static void zcdev_export_unmap(struct dma_buf_attachment *attach,
			       struct sg_table *sgt,
			       enum dma_data_direction dir)
{
	struct zcdev_dmabuf_export *exp = attach->dmabuf->priv;
	struct zcdev_dmabuf_attach *za = attach->priv;

	mutex_lock(&exp->lock);
	if (za->mapped)
		zcdev_export_unmap_locked(za);
	mutex_unlock(&exp->lock);
}

/*
 * The dma-buf's last reference is gone (the handle's went first, so
 * @exported no longer names it): let the buffer go too.
 */
static void zcdev_export_release(struct dma_buf *dmabuf)
{
	struct zcdev_dmabuf_export *exp = dmabuf->priv;
	struct zcdev_buf *buf = exp->buf;

	mutex_destroy(&exp->lock);
	kfree(exp);
	zcdev_buf_put(buf);
}

/*
 * DMA_BUF_IOCTL_SYNC and in-kernel CPU access: hand every importer's
 * mapping to the CPU, and back to the devices at the end. zcdev's own
 * mapping needs nothing here: zcdev syncs it around each of its transfers.
 */
static void zcdev_export_sync(struct dma_buf *dmabuf, bool for_cpu)
{
	struct zcdev_dmabuf_export *exp = dmabuf->priv;
	struct zcdev_dmabuf_attach *za;

	mutex_lock(&exp->lock);
	list_for_each_entry(za, &exp->attachments, node) {
		if (!za->mapped)
			continue;
		if (for_cpu)
			dma_sync_sgtable_for_cpu(za->dev, &za->sgt, za->dir);
		else
			dma_sync_sgtable_for_device(za->dev, &za->sgt, za->dir);
	}
	mutex_unlock(&exp->lock);
}

static int zcdev_export_begin_cpu(struct dma_buf *dmabuf,
				  enum dma_data_direction dir)
{
	zcdev_export_sync(dmabuf, true);
	return 0;
}

static int zcdev_export_end_cpu(struct dma_buf *dmabuf,
				enum dma_data_direction dir)
{
	zcdev_export_sync(dmabuf, false);
	return 0;
}

static int zcdev_export_mmap(struct dma_buf *dmabuf,
			     struct vm_area_struct *vma)
{
	struct zcdev_dmabuf_export *exp = dmabuf->priv;

	return zcdev_mmap_exported(exp->buf, vma);
}

/* The dma-buf core counts vmap users: this runs for the first one only. */
static int zcdev_export_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct zcdev_dmabuf_export *exp = dmabuf->priv;
	struct zcdev_buf *buf = exp->buf;
	void *vaddr;

	if (buf->kind == ZCDEV_BUF_COHERENT)
		vaddr = buf->cpu_addr;
	else
		vaddr = vmap(buf->pages, buf->nr_pages, VM_MAP, PAGE_KERNEL);
	if (!vaddr)
		return -ENOMEM;
	iosys_map_set_vaddr(map, vaddr);
	return 0;
}

static void zcdev_export_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct zcdev_dmabuf_export *exp = dmabuf->priv;

	if (exp->buf->kind == ZCDEV_BUF_PAGES)
		vunmap(map->vaddr);
}

static const struct dma_buf_ops zcdev_export_ops = {
	.attach			= zcdev_export_attach,
	.detach			= zcdev_export_detach,
	.map_dma_buf		= zcdev_export_map,
	.unmap_dma_buf		= zcdev_export_unmap,
	.release		= zcdev_export_release,
	.begin_cpu_access	= zcdev_export_begin_cpu,
	.end_cpu_access		= zcdev_export_end_cpu,
	.mmap			= zcdev_export_mmap,
	.vmap			= zcdev_export_vmap,
	.vunmap			= zcdev_export_vunmap,
};

/* A new dma-buf of @buf, holding a reference to it. */
static struct dma_buf *zcdev_export_new(struct zcdev_buf *buf, bool rdwr)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct zcdev_dmabuf_export *exp;
	struct dma_buf *dmabuf;
	struct sg_table sgt;
	int ret;

	/* Refuse now what every importer's attach would fail with later. */
	if (buf->kind == ZCDEV_BUF_COHERENT) {
		ret = zcdev_export_sgt(buf, buf->dma_dev, &sgt);
		if (ret == -ENOMEM)
			return ERR_PTR(ret);
		if (ret)
			return ERR_PTR(zcdev_refuse("export", -ENXIO,
						    "no_coherent_sgtable",
						    buf->handle));
		sg_free_table(&sgt);
	}
	exp = kzalloc(sizeof(*exp), GFP_KERNEL_ACCOUNT);
	if (!exp)
		return ERR_PTR(-ENOMEM);
	mutex_init(&exp->lock);
	INIT_LIST_HEAD(&exp->attachments);
	exp->buf = buf;

	/* exp_name "zcdev" and owner THIS_MODULE come with the macro. */
	info.ops = &zcdev_export_ops;
	info.size = buf->len;
	/* All fds of the dma-buf share its one file, and so this mode. */
	info.flags = rdwr ? O_RDWR : O_RDONLY;
	info.priv = exp;
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf)) {
		mutex_destroy(&exp->lock);
		kfree(exp);
		return ERR_PTR(zcdev_refuse("export", PTR_ERR(dmabuf),
					    "dma_buf_export", buf->handle));
	}
	kref_get(&buf->ref);
	return dmabuf;
}

/*
 * Is @dmabuf referenced by more than the handle (an fd, a mapping, an
 * importer)? Called with zcdev_export_lock held, which keeps the handle's
 * reference, and so the file, from going.
 */
static bool zcdev_export_in_use(struct dma_buf *dmabuf)
{
	return file_count(dmabuf->file) > 1;
}

/*
 * A reference to the dma-buf of buffer @handle. The first call creates it,
 * and the handle then holds a reference of its own until FREE or close, as
 * a GEM handle holds its PRIME export, so the pointer is always safe to
 * follow: a dma-buf whose file count may be reaching zero cannot be
 * revived, and its file can be freed before its release op runs. Later
 * calls share it while anything besides the handle holds it; once only the
 * handle does, nothing can reach it any more, and a call starts afresh
 * with a new dma-buf (in the mode it asks for). Otherwise it cannot give
 * write access to a dma-buf the first export made read-only (one file,
 * one mode).
 */
struct dma_buf *zcdev_export(struct zcdev_file *zf, u32 handle, bool rdwr)
{
	const char *op = "export";
	struct dma_buf *dmabuf, *stale = NULL;
	struct zcdev_buf *buf;

	buf = zcdev_buf_get(zf, handle);
	if (!buf)
		return ERR_PTR(zcdev_refuse(op, -ENOENT, "no_handle", handle));
	if (buf->kind == ZCDEV_BUF_DMABUF) {
		zcdev_buf_put(buf);
		return ERR_PTR(zcdev_refuse(op, -EINVAL, "imported_buffer",
					    handle));
	}

	mutex_lock(&zcdev_export_lock);
	dmabuf = buf->exported;
	if (dmabuf && !zcdev_export_in_use(dmabuf)) {
		stale = dmabuf;
		dmabuf = NULL;
		WRITE_ONCE(buf->exported, NULL);
	}
	/* Freed since the lookup: no FREE would drop a new handle reference. */
	if (xa_load(&zf->bufs, handle) != buf) {
		dmabuf = ERR_PTR(zcdev_refuse(op, -ENOENT, "no_handle", handle));
	} else if (dmabuf) {
		if (rdwr && !(dmabuf->file->f_mode & FMODE_WRITE))
			dmabuf = ERR_PTR(zcdev_refuse(op, -EINVAL,
						      "exported_read_only",
						      handle));
		else
			get_dma_buf(dmabuf);
	} else {
		dmabuf = zcdev_export_new(buf, rdwr);
		if (!IS_ERR(dmabuf)) {
			/* One reference for the handle, one for the caller. */
			get_dma_buf(dmabuf);
			WRITE_ONCE(buf->exported, dmabuf);
		}
	}
	mutex_unlock(&zcdev_export_lock);
	if (stale)
		dma_buf_put(stale);
	zcdev_buf_put(buf);
	return dmabuf;
}

/* @buf lost its handle (FREE, close): drop the handle's dma-buf reference. */
void zcdev_export_forget(struct zcdev_buf *buf)
{
	struct dma_buf *dmabuf;

	mutex_lock(&zcdev_export_lock);
	dmabuf = buf->exported;
	WRITE_ONCE(buf->exported, NULL);
	mutex_unlock(&zcdev_export_lock);
	if (dmabuf)
		dma_buf_put(dmabuf);
}

/* Is @dmabuf a buffer of @zf already? */
static bool zcdev_imported(struct zcdev_file *zf, struct dma_buf *dmabuf)
{
	struct zcdev_buf *buf;
	unsigned long handle;
	bool found = false;

	/* The table's references keep its buffers alive under its lock. */
	xa_lock(&zf->bufs);
	xa_for_each(&zf->bufs, handle, buf) {
		if (buf->import && buf->import->dmabuf == dmabuf) {
			found = true;
			break;
		}
	}
	xa_unlock(&zf->bufs);
	return found;
}

/* Called with zf->import_lock held. */
static struct zcdev_buf *zcdev_import_attach(struct zcdev_file *zf,
					     struct zcdev_dmabuf_import *imp, u64 len,
					     struct device *dma_dev)
{
	const char *op = "import";
	struct zcdev_buf *buf;

	/* Two handles of one dma-buf would be two attachments of one device. */
	if (zcdev_imported(zf, imp->dmabuf))
		return ERR_PTR(zcdev_refuse(op, -EEXIST, "already_imported", 0));
	imp->attach = dma_buf_attach(imp->dmabuf, dma_dev);
	if (IS_ERR(imp->attach))
		return ERR_PTR(zcdev_refuse(op, PTR_ERR(imp->attach),
					    "attach_failed", 0));
	buf = zcdev_buf_create_import(zf, len, dma_dev, imp);
	if (IS_ERR(buf))
		dma_buf_detach(imp->dmabuf, imp->attach);
	return buf;
}

/*
 * The dma-buf at @fd as a buffer of @zf: its first @len bytes (0: all,
 * whole pages only) attached for @dma_dev. Returns a buffer reference.
 */
struct zcdev_buf *zcdev_import(struct zcdev_file *zf, int fd, u64 len,
			       struct device *dma_dev)
{
	const char *op = "import";
	struct zcdev_dmabuf_import *imp;
	struct dma_buf *dmabuf;
	struct zcdev_buf *buf;
	u64 size;

	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return ERR_PTR(zcdev_refuse(op, PTR_ERR(dmabuf),
					    PTR_ERR(dmabuf) == -EBADF ?
					    "bad_fd" : "not_dma_buf", (u32)fd));
	size = dmabuf->size;
	if (!len)
		len = size & PAGE_MASK;
	if (len > size || PAGE_ALIGN(len) > size) {
		buf = ERR_PTR(zcdev_refuse(op, -EINVAL, "dmabuf_too_small",
					   size));
		goto err_put;
	}
	imp = kzalloc(sizeof(*imp), GFP_KERNEL_ACCOUNT);
	if (!imp) {
		buf = ERR_PTR(-ENOMEM);
		goto err_put;
	}
	mutex_init(&imp->lock);
	imp->dmabuf = dmabuf;

	mutex_lock(&zf->import_lock);
	buf = zcdev_import_attach(zf, imp, PAGE_ALIGN(len), dma_dev);
	mutex_unlock(&zf->import_lock);
	if (IS_ERR(buf)) {
		mutex_destroy(&imp->lock);
		kfree(imp);
		goto err_put;
	}
	return buf;

err_put:
	dma_buf_put(dmabuf);
	return buf;
}

/* The buffer is destroyed: no transfer uses it, nothing maps it. */
void zcdev_import_release(struct zcdev_dmabuf_import *imp)
{
	WARN_ON_ONCE(imp->map_users);
	dma_buf_detach(imp->dmabuf, imp->attach);
	dma_buf_put(imp->dmabuf);
	mutex_destroy(&imp->lock);
	kfree(imp);
}

struct dma_buf *zcdev_import_dmabuf(const struct zcdev_buf *buf)
{
	return buf->import ? buf->import->dmabuf : NULL;
}

/*
 * The zcdev buffer behind an import of a zcdev export, or NULL: its pages
 * are the only imported ones zcdev may look at (other exporters' sg_tables
 * promise DMA addresses, not pages).
 */
struct zcdev_buf *zcdev_import_exported_buf(const struct zcdev_buf *buf)
{
	struct dma_buf *dmabuf = zcdev_import_dmabuf(buf);
	struct zcdev_dmabuf_export *exp;

	if (!dmabuf || dmabuf->ops != &zcdev_export_ops)
		return NULL;
	exp = dmabuf->priv;
	return exp->buf;
}

/* DMA bytes of @sgt, to check an exporter's mapping covers the buffer. */
static u64 zcdev_sgt_dma_len(struct sg_table *sgt)
{
	struct scatterlist *sg;
	u64 len = 0;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i)
		len += sg_dma_len(sg);
	return len;
}

/*
 * Map the attachment for a transfer, or share the mapping transfers in
 * flight already use. Always bidirectional: one mapping serves transfers
 * that read the buffer and transfers that write it, and the dma-buf core
 * refuses a second direction on an attachment whose exporter caches.
 */
struct sg_table *zcdev_import_map(struct zcdev_buf *buf)
{
	struct zcdev_dmabuf_import *imp = buf->import;
	struct sg_table *sgt;
	int ret = 0;

	mutex_lock(&imp->lock);
	if (!imp->map_users) {
		sgt = zcdev_dma_buf_map(imp->attach, DMA_BIDIRECTIONAL);
		if (IS_ERR(sgt)) {
			ret = zcdev_refuse("dma_submit", PTR_ERR(sgt),
					   "dmabuf_map_failed", buf->handle);
			goto out;
		}
		/* The run builder walks it as far as the buffer reaches. */
		if (zcdev_sgt_dma_len(sgt) < buf->len) {
			zcdev_dma_buf_unmap(imp->attach, sgt,
					    DMA_BIDIRECTIONAL);
			ret = zcdev_refuse("dma_submit", -EIO,
					   "dmabuf_map_short", buf->handle);
			goto out;
		}
		imp->sgt = sgt;
	}
	imp->map_users++;
out:
	sgt = imp->sgt;
	mutex_unlock(&imp->lock);
	return ret ? ERR_PTR(ret) : sgt;
}

void zcdev_import_unmap(struct zcdev_buf *buf)
{
	struct zcdev_dmabuf_import *imp = buf->import;

	mutex_lock(&imp->lock);
	if (!WARN_ON_ONCE(!imp->map_users) && !--imp->map_users) {
		zcdev_dma_buf_unmap(imp->attach, imp->sgt, DMA_BIDIRECTIONAL);
		imp->sgt = NULL;
	}
	mutex_unlock(&imp->lock);
}

/*
 * The import's DMA segments while a transfer has it mapped (none
 * otherwise): the first @max into @segs, the rest of @segs zeroed.
 * Returns how many there are.
 */
unsigned int zcdev_import_dma_segs(struct zcdev_buf *buf,
				   struct zcdev_dma_seg *segs,
				   unsigned int max)
{
	struct zcdev_dmabuf_import *imp = buf->import;
	struct scatterlist *sg;
	unsigned int n = 0, i;

	mutex_lock(&imp->lock);
	if (imp->sgt) {
		n = imp->sgt->nents;
		for_each_sgtable_dma_sg(imp->sgt, sg, i) {
			if (i >= max)
				break;
			segs[i].dma_addr = sg_dma_address(sg);
			segs[i].len = sg_dma_len(sg);
		}
	}
	mutex_unlock(&imp->lock);
	if (n < max)
		memset(segs + n, 0, (max - n) * sizeof(*segs));
	return n;
}

/* ZCDEV_IOC_SYNC on an import: the exporter's CPU access bracket. */
int zcdev_import_sync(struct zcdev_buf *buf, bool for_cpu)
{
	struct dma_buf *dmabuf = buf->import->dmabuf;
	int ret;

	/* Waits for the dma-buf's fences first, interruptibly. */
	ret = for_cpu ? dma_buf_begin_cpu_access(dmabuf, DMA_BIDIRECTIONAL) :
			dma_buf_end_cpu_access(dmabuf, DMA_BIDIRECTIONAL);
	if (ret && ret != -ERESTARTSYS)
		return zcdev_refuse("sync", ret, "dmabuf_cpu_access",
				    buf->handle);
	return ret;
}

static enum dma_data_direction zcdev_cpu_dir(bool is_read)
{
	/* As DMA_BUF_IOCTL_SYNC: a CPU read follows device writes. */
	return is_read ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
}

/*
 * A kernel address of the import's bytes for one read or write, or an
 * ERR_PTR: the exporter's vmap, inside a CPU access bracket (which first
 * waits for the fences a CPU access must, interruptibly). End it with
 * zcdev_import_cpu_end().
 */
void *zcdev_import_cpu_begin(struct zcdev_buf *buf, bool is_read)
{
	const char *op = is_read ? "read" : "write";
	struct dma_buf *dmabuf = buf->import->dmabuf;
	struct iosys_map map;
	int ret;

	if (!dmabuf->ops->vmap)
		return ERR_PTR(zcdev_refuse(op, -EOPNOTSUPP, "dmabuf_no_vmap",
					    buf->handle));
	ret = zcdev_dma_buf_vmap(dmabuf, &map);
	if (ret)
		return ERR_PTR(zcdev_refuse(op, ret, "dmabuf_vmap_failed",
					    buf->handle));
	/* I/O memory would need memcpy_fromio(); no exporter here has it. */
	if (map.is_iomem) {
		ret = zcdev_refuse(op, -EOPNOTSUPP, "dmabuf_iomem",
				   buf->handle);
		goto err_vunmap;
	}
	ret = dma_buf_begin_cpu_access(dmabuf, zcdev_cpu_dir(is_read));
	if (ret) {
		if (ret != -ERESTARTSYS)
			zcdev_refuse(op, ret, "dmabuf_cpu_access", buf->handle);
		goto err_vunmap;
	}
	return map.vaddr;

err_vunmap:
	zcdev_dma_buf_vunmap(dmabuf, &map);
	return ERR_PTR(ret);
}

void zcdev_import_cpu_end(struct zcdev_buf *buf, bool is_read, void *vaddr)
{
	struct iosys_map map = IOSYS_MAP_INIT_VADDR(vaddr);
	struct dma_buf *dmabuf = buf->import->dmabuf;

	dma_buf_end_cpu_access(dmabuf, zcdev_cpu_dir(is_read));
	zcdev_dma_buf_vunmap(dmabuf, &map);
}

/*
 * mmap of an import is the exporter's mmap: the vma then belongs to the
 * dma-buf's file, which keeps the memory, so it holds no zcdev reference.
 */
int zcdev_import_mmap(struct zcdev_buf *buf, struct vm_area_struct *vma,
		      unsigned long pgoff)
{
	struct dma_buf *dmabuf = buf->import->dmabuf;
	int ret;

	/* mmap(2)'s word for memory that cannot be mapped. */
	if (!dmabuf->ops->mmap)
		return zcdev_refuse("mmap", -ENODEV, "dmabuf_no_mmap",
				    buf->handle);
	ret = dma_buf_mmap(dmabuf, vma, pgoff);
	if (ret)
		return zcdev_refuse("mmap", ret, "dmabuf_mmap_failed",
				    buf->handle);
	return 0;
}

/*
 * ZCDEV_QUERY_* bits of @buf, and its exporter's name in @exporter (empty
 * unless imported; always NUL-padded to @size).
 */
u32 zcdev_buf_dmabuf_state(struct zcdev_buf *buf, char *exporter,
			   size_t size)
{
	const char *name;
	bool live;

	if (buf->import) {
		name = buf->import->dmabuf->exp_name;
		strscpy_pad(exporter, name ?: "", size);
		return ZCDEV_QUERY_IMPORTED;
	}
	memset(exporter, 0, size);
	if (!READ_ONCE(buf->exported))
		return 0;
	/* The handle's own reference does not count: see zcdev_export(). */
	mutex_lock(&zcdev_export_lock);
	live = buf->exported && zcdev_export_in_use(buf->exported);
	mutex_unlock(&zcdev_export_lock);
	return live ? ZCDEV_QUERY_EXPORTED : 0;
}
