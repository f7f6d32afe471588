// SPDX-License-Identifier: GPL-2.0
/*
 * Imported buffers as DMA endpoints: for each transfer, the implicit
 * fences of their dma-bufs, their mappings, and zcdev's own write fence.
 *
 * Before a transfer is accepted, zcdev waits for the fences the dma-buf's
 * reservation object holds: the writers' before reading the buffer, all of
 * them before writing it (DMA_RESV_USAGE_WRITE and _READ), interruptibly
 * and at most ZCDEV_DMABUF_FENCE_WAIT_MS for all imports of the transfer
 * together, then EBUSY. Fences of the same file's earlier transfers are
 * not waited for: the file's transfers run in submission order anyway, and
 * waiting would make every submission behind a running one block.
 *
 * A transfer that writes an import adds a fence of its own as
 * DMA_RESV_USAGE_WRITE before it is queued, so importers that wait (vgem,
 * DMA_BUF_IOCTL_SYNC, another zcdev file) see the bytes it wrote. It is
 * signalled when the transfer's cleanup begins, whatever the status (with
 * the transfer's error unless DONE), before the mapping is dropped: the
 * unmap takes the reservation lock, under which others may wait for fences.
 *
 * Each fence has a context of its own. One file's transfers do not always
 * end in submission order (a cancelled queued transfer ends before the one
 * running ahead of it), and a reservation object drops an older fence of
 * the same context as superseded by a later one, even unsignalled.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include <linux/zcdev.h>
#include "dma.h"

/**
 * struct zcdev_fence - the write fence of one transfer
 * @base: the fence; first, as dma_fence_free() frees from it
 * @lock: the fence's lock
 * @zf: the file whose transfer it is, compared only (never dereferenced):
 *	that file's later transfers need not wait for it
 */
struct zcdev_fence {
	struct dma_fence base;
	spinlock_t lock; /* see @lock above */
	const struct zcdev_file *zf;
};

static const char *zcdev_fence_driver_name(struct dma_fence *fence)
{
	return KBUILD_MODNAME;
}

static const char *zcdev_fence_timeline_name(struct dma_fence *fence)
{
	return "dma";
}

/*
 * A fence may outlive every zcdev file in another driver's reservation
 * object, and its ops are this module's code: each fence holds the module.
 * As with a send completion, the RCU read section makes module exit's
 * synchronize_rcu() wait until this function has let go of the module.
 */
static void zcdev_fence_release(struct dma_fence *fence)
{
	rcu_read_lock();
	dma_fence_free(fence);
	module_put(THIS_MODULE);
	rcu_read_unlock();
}

static const struct dma_fence_ops zcdev_fence_ops = {
	.get_driver_name	= zcdev_fence_driver_name,
	.get_timeline_name	= zcdev_fence_timeline_name,
	.release		= zcdev_fence_release,
};

static struct dma_fence *zcdev_fence_create(struct zcdev_file *zf)
{
	struct zcdev_fence *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return NULL;
	spin_lock_init(&f->lock);
	f->zf = zf;
	dma_fence_init(&f->base, &zcdev_fence_ops, &f->lock,
		       dma_fence_context_alloc(1), 1);
	__module_get(THIS_MODULE);
	return &f->base;
}

static bool zcdev_fence_of(struct dma_fence *fence,
			   const struct zcdev_file *zf)
{
	return fence->ops == &zcdev_fence_ops &&
	       container_of(fence, struct zcdev_fence, base)->zf == zf;
}

/*
 * Record that @x uses imported buffer @buf, once per buffer however many
 * ends lie in it.
 */
int zcdev_dma_import_add(struct zcdev_xfer *x, struct zcdev_buf *buf,
			 bool is_dst)
{
	struct zcdev_dma_import *imports;
	unsigned int i;

	for (i = 0; i < x->nr_imports; i++) {
		if (x->imports[i].buf == buf) {
			x->imports[i].write |= is_dst;
			return 0;
		}
	}
	/* Grown in powers of two; a transfer rarely uses more than two. */
	if (!(x->nr_imports & (x->nr_imports - 1))) {
		imports = krealloc_array(x->imports,
					 max(2U, 2 * x->nr_imports),
					 sizeof(*imports), GFP_KERNEL_ACCOUNT);
		if (!imports)
			return -ENOMEM;
		x->imports = imports;
	}
	x->imports[x->nr_imports++] = (struct zcdev_dma_import) {
		.buf = buf,
		.write = is_dst,
	};
	return 0;
}

/*
 * Wait for the fences of @resv that @usage covers, but for those of @zf's
 * own transfers. Returns the jiffies left of @timeout (at least 1), 0 when
 * it ran out, or -ERESTARTSYS.
 */
static long zcdev_dma_wait_resv(struct dma_resv *resv,
				enum dma_resv_usage usage,
				const struct zcdev_file *zf, long timeout)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;

	dma_resv_iter_begin(&cursor, resv, usage);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		if (zcdev_fence_of(fence, zf))
			continue;
		timeout = dma_fence_wait_timeout(fence, true, timeout);
		if (timeout <= 0)
			break;
	}
	dma_resv_iter_end(&cursor);
	return timeout;
}

/* Find @buf's entry among @x's imports (it is there). */
static struct zcdev_dma_import *zcdev_dma_import_find(struct zcdev_xfer *x,
						      struct zcdev_buf *buf)
{
	unsigned int i;

	for (i = 0; i < x->nr_imports; i++)
		if (x->imports[i].buf == buf)
			break;
	return &x->imports[i];
}

/*
 * Wait for the fences of every import, then map each for the transfer and
 * point the ends at the mappings. Before any user memory is pinned: a
 * wait of up to a second should not hold pins.
 */
int zcdev_dma_imports_prepare(struct zcdev_xfer *x)
{
	long left = msecs_to_jiffies(ZCDEV_DMABUF_FENCE_WAIT_MS);
	struct sg_table *sgt;
	unsigned int i;

	for (i = 0; i < x->nr_imports; i++) {
		struct zcdev_dma_import *imp = &x->imports[i];
		struct dma_buf *dmabuf = zcdev_import_dmabuf(imp->buf);

		/* Reading waits for the writers, writing for everyone. */
		left = zcdev_dma_wait_resv(dmabuf->resv,
					   imp->write ? DMA_RESV_USAGE_READ :
							DMA_RESV_USAGE_WRITE,
					   x->zf, left);
		if (left < 0)
			return left;
		if (!left)
			return zcdev_refuse("dma_submit", -EBUSY,
					    "dmabuf_fence_timeout",
					    imp->buf->handle);
	}
	for (i = 0; i < x->nr_imports; i++) {
		struct zcdev_dma_import *imp = &x->imports[i];

		sgt = zcdev_import_map(imp->buf);
		if (IS_ERR(sgt))
			return PTR_ERR(sgt);
		imp->sgt = sgt;
		imp->mapped = true;
	}
	for (i = 0; i < x->nr_ends; i++) {
		struct zcdev_dma_end *end = &x->ends[i];

		if (end->buf && end->buf->kind == ZCDEV_BUF_DMABUF)
			end->sgt = zcdev_dma_import_find(x, end->buf)->sgt;
	}
	return 0;
}

/*
 * Add the transfer's write fence to every import it writes. The last step
 * of building a transfer: from here on only its end signals the fence.
 */
int zcdev_dma_imports_fence(struct zcdev_xfer *x)
{
	unsigned int i;
	int ret;

	for (i = 0; i < x->nr_imports; i++) {
		struct zcdev_dma_import *imp = &x->imports[i];
		struct dma_resv *resv;

		if (!imp->write)
			continue;
		if (!x->fence) {
			x->fence = zcdev_fence_create(x->zf);
			if (!x->fence)
				return -ENOMEM;
		}
		resv = zcdev_import_dmabuf(imp->buf)->resv;
		/* -EINTR: nothing started yet, so the call may restart. */
		if (dma_resv_lock_interruptible(resv, NULL))
			return -ERESTARTSYS;
		ret = dma_resv_reserve_fences(resv, 1);
		if (!ret)
			dma_resv_add_fence(resv, x->fence, DMA_RESV_USAGE_WRITE);
		dma_resv_unlock(resv);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The transfer has ended (or was never queued): signal its fence, then let
 * go of the mappings. Process context, no locks held.
 */
void zcdev_dma_imports_release(struct zcdev_xfer *x)
{
	unsigned int i;

	if (x->fence) {
		if (x->status != ZCDEV_DMA_DONE)
			dma_fence_set_error(x->fence, x->error ?: -ECANCELED);
		dma_fence_signal(x->fence);
		dma_fence_put(x->fence);
		x->fence = NULL;
	}
	for (i = 0; i < x->nr_imports; i++)
		if (x->imports[i].mapped)
			zcdev_import_unmap(x->imports[i].buf);
	kfree(x->imports);
	x->imports = NULL;
	x->nr_imports = 0;
}
