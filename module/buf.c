// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev buffer objects: allocation, the per-file handle table, limits and
 * accounting, DMA sync, and release once the last reference is gone.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/error-injection.h>
#include <linux/gfp.h>
#include <linux/hardirq.h>
#include <linux/irqflags.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include <linux/zcdev.h>
#include "zcdev.h"
#include "zcdev_trace.h"

atomic64_t zcdev_total_bytes = ATOMIC64_INIT(0);

/*
 * Debian's kernel has no CMA, so one coherent block can be no larger than
 * the buddy allocator's largest block, which is also kmalloc's ceiling
 * (4 MiB on x86-64). Asking for more would only earn a page allocator
 * warning.
 */
size_t zcdev_max_coherent_bytes(void)
{
	return KMALLOC_MAX_SIZE;
}

struct zcdev_file *zcdev_file_create(void)
{
	struct zcdev_file *zf = kzalloc(sizeof(*zf), GFP_KERNEL_ACCOUNT);

	if (!zf)
		return NULL;
	kref_init(&zf->ref);
	init_waitqueue_head(&zf->wq);
	mutex_init(&zf->import_lock);
	xa_init_flags(&zf->bufs, XA_FLAGS_ALLOC1);
	atomic64_set(&zf->bytes, 0);
	return zf;
}

static void zcdev_file_destroy(struct kref *ref)
{
	struct zcdev_file *zf = container_of(ref, struct zcdev_file, ref);

	WARN_ON_ONCE(atomic64_read(&zf->bytes));
	xa_destroy(&zf->bufs);
	mutex_destroy(&zf->import_lock);
	kfree(zf);
}

void zcdev_file_put(struct zcdev_file *zf)
{
	kref_put(&zf->ref, zcdev_file_destroy);
}

/*
 * Sleep on @zf->wq until @ready(@zf, @key) or the CLOCK_MONOTONIC
 * @deadline_ns (see "Waiting" in uapi/linux/zcdev.h): 1 once ready, 0 when
 * the deadline has passed, -ERESTARTSYS on a signal. The deadline is
 * absolute, so a call restarted under SA_RESTART waits for the same
 * instant and a periodic signal cannot stretch the wait.
 */
int zcdev_file_wait(struct zcdev_file *zf, zcdev_wake_t ready,
		    const void *key, u64 deadline_ns)
{
	s64 left;
	int ret;

	if (deadline_ns >= KTIME_MAX)
		return wait_event_interruptible(zf->wq, ready(zf, key)) ?: 1;
	if (ready(zf, key))
		return 1;
	left = (s64)deadline_ns - ktime_get_ns();
	if (left <= 0)
		return 0;
	ret = wait_event_interruptible_hrtimeout(zf->wq, ready(zf, key),
						 ns_to_ktime(left));
	if (ret == -ETIME)
		return 0;
	return ret ?: 1;
}

/* On close: every handle goes; buffers still mapped live on. */
void zcdev_file_release_bufs(struct zcdev_file *zf)
{
	struct zcdev_buf *buf;
	unsigned long handle;

	xa_for_each(&zf->bufs, handle, buf) {
		xa_erase(&zf->bufs, handle);
		zcdev_export_forget(buf);
		zcdev_buf_put(buf);
	}
}

/*
 * Charge @len against the per-file and global limits, all or nothing.
 * Add-then-check keeps concurrent allocations from overshooting together.
 */
static int zcdev_charge(struct zcdev_file *zf, u64 len, const char *op)
{
	if (atomic64_add_return(len, &zf->bytes) > zcdev_max_file_bytes) {
		atomic64_sub(len, &zf->bytes);
		return zcdev_refuse(op, -ENOSPC, "max_file_bytes", len);
	}
	if (atomic64_add_return(len, &zcdev_total_bytes) > zcdev_max_total_bytes) {
		atomic64_sub(len, &zcdev_total_bytes);
		atomic64_sub(len, &zf->bytes);
		/* A machine-wide limit: the administrator should know. */
		pr_info_once("max_total_bytes (%lu) reached; further allocations fail with ENOSPC\n",
			     zcdev_max_total_bytes);
		return zcdev_refuse(op, -ENOSPC, "max_total_bytes", len);
	}
	return 0;
}

static void zcdev_uncharge(struct zcdev_file *zf, u64 len)
{
	atomic64_sub(len, &zcdev_total_bytes);
	atomic64_sub(len, &zf->bytes);
}

static noinline int zcdev_alloc_coherent(struct zcdev_buf *buf)
{
	if (zcdev_should_fail())
		return -ENOMEM;
	/*
	 * __GFP_ACCOUNT charges the block to the caller's memory cgroup;
	 * __GFP_NOWARN because failing a user's request is not a kernel bug.
	 */
	buf->cpu_addr = dma_alloc_coherent(buf->dma_dev, buf->len,
					   &buf->dma_addr,
					   GFP_KERNEL | __GFP_ACCOUNT |
					   __GFP_NOWARN);
	if (!buf->cpu_addr)
		return zcdev_refuse("alloc", -ENOMEM, "no_contiguous_memory",
				    buf->len);
	return 0;
}

/* fail_function may make it fail too (see fault.c for why tests do not). */
ALLOW_ERROR_INJECTION(zcdev_alloc_coherent, ERRNO);

/* A block is one compound page: its head's reference is the buffer's. */
static void zcdev_put_pages(struct page **pages, unsigned long nr)
{
	while (nr--)
		if (!PageTail(pages[nr]))
			put_page(pages[nr]);
}

/*
 * Physically contiguous runs make few DMA segments, so few descriptors per
 * transfer. A block stays one compound page (__GFP_COMP), as a transparent
 * huge page of user memory is: every page of it takes references on the
 * head, so vm_insert_page, get_user_pages and the network stack work on
 * each page as on any other, and the stack merges a send's pages within a
 * block into one skb frag (__zerocopy_sg_from_iter() goes by compound
 * head): a 64 KiB send is one frag instead of 16, as MSG_ZEROCOPY's from
 * THP memory is. (A coherent block is not compound: its tail pages have
 * no refcount, hence mmap.c's PFN map for it.)
 */
#define ZCDEV_PAGES_MAX_ORDER	9

/* Fill pages[0, want) from one block of the largest order that is free. */
static unsigned long zcdev_alloc_run(struct page **pages, unsigned long want)
{
	/*
	 * Retry-may-fail: a large request fails instead of OOM-killing.
	 * Highmem is fine: the CPU reaches these pages only through
	 * kmap_local_page() (copy_page_to_iter() and friends), user mappings,
	 * vmap and the DMA API, never through page_address().
	 */
	const gfp_t gfp = GFP_HIGHUSER | __GFP_ACCOUNT | __GFP_ZERO |
			  __GFP_NOWARN;
	unsigned int order = min_t(unsigned int, ZCDEV_PAGES_MAX_ORDER,
				   ilog2(want));
	struct page *page;
	unsigned long i;

	for (;; order--) {
		/* Big blocks are a bonus: do not reclaim hard for them. */
		page = alloc_pages(gfp | (order ? __GFP_NORETRY | __GFP_COMP :
						  __GFP_RETRY_MAYFAIL), order);
		if (page || !order)
			break;
	}
	if (!page)
		return 0;
	for (i = 0; i < (1UL << order); i++)
		pages[i] = page + i;
	return 1UL << order;
}

static void zcdev_unmap_runs(struct zcdev_buf *buf, unsigned int n)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sg(buf->sgt.sgl, sg, n, i)
		dma_unmap_page_attrs(buf->dma_dev, sg_dma_address(sg),
				     sg_dma_len(sg), DMA_BIDIRECTIONAL,
				     DMA_ATTR_SKIP_CPU_SYNC);
}

/*
 * Map each run of physically contiguous pages on its own, not the table as
 * one scatterlist: a transfer then syncs only the runs its range touches,
 * with syncs that cover a mapping exactly, which is what the DMA API
 * (dma-debug in particular) needs to tell this mapping from a user range
 * that maps the same pages and is DMA-mapped on top of it. Syncing the
 * whole buffer for every transfer cost O(buffer) per transfer: on
 * non-coherent 32-bit ARM, cache maintenance (and a kmap per highmem page)
 * of a 16 MiB buffer for each 64 KiB transfer held DMA to 0.3 MB/s.
 *
 * The CPU owns the pages between transfers and syncs explicitly, hence
 * DMA_ATTR_SKIP_CPU_SYNC (dma-debug accepts overlapping mappings only so).
 */
static int zcdev_map_runs(struct zcdev_buf *buf)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(&buf->sgt, sg, i) {
		dma_addr_t addr = dma_map_page_attrs(buf->dma_dev, sg_page(sg),
						     sg->offset, sg->length,
						     DMA_BIDIRECTIONAL,
						     DMA_ATTR_SKIP_CPU_SYNC);

		if (dma_mapping_error(buf->dma_dev, addr)) {
			zcdev_unmap_runs(buf, i);
			return -ENOMEM;
		}
		sg_dma_address(sg) = addr;
		sg_dma_len(sg) = sg->length;
	}
	buf->sgt.nents = buf->sgt.orig_nents;
	return 0;
}

/*
 * Where the device needs cache maintenance, a mapping holds at most this
 * much: a transfer syncs the whole mappings it touches, so this bounds what
 * a small transfer pays for the rest of a run (runs of a high-order block
 * reach 2 MiB; on the ARM board a 64 KiB transfer then synced two of them,
 * page by page through kmap for highmem, and moved 1.3 MB/s).
 */
#define ZCDEV_SYNC_RUN_MAX	SZ_64K

/*
 * Does the buffer's device need syncs at all? dma_need_sync() answers per
 * address; a buffer's pages are all of one kind of memory for it, so its
 * first page answers for all (false on cache-coherent x86 without bounce
 * buffering, where the syncs are skipped).
 */
static bool zcdev_need_sync(struct zcdev_buf *buf)
{
	dma_addr_t addr = dma_map_page_attrs(buf->dma_dev, buf->pages[0], 0,
					     PAGE_SIZE, DMA_BIDIRECTIONAL,
					     DMA_ATTR_SKIP_CPU_SYNC);
	bool need;

	if (dma_mapping_error(buf->dma_dev, addr))
		return true;
	need = dma_need_sync(buf->dma_dev, addr);
	dma_unmap_page_attrs(buf->dma_dev, addr, PAGE_SIZE, DMA_BIDIRECTIONAL,
			     DMA_ATTR_SKIP_CPU_SYNC);
	return need;
}

/* Hand the runs that [@offset, @offset + @len) touches to the CPU or device. */
static void zcdev_sync_runs(struct zcdev_buf *buf, u64 offset, u64 len,
			    bool for_cpu)
{
	struct scatterlist *sg;
	u64 start = 0, end;
	unsigned int i;

	if (!buf->need_sync)
		return;
	for_each_sgtable_dma_sg(&buf->sgt, sg, i) {
		end = start + sg_dma_len(sg);
		if (end > offset) {
			if (for_cpu)
				dma_sync_single_for_cpu(buf->dma_dev,
							sg_dma_address(sg),
							sg_dma_len(sg),
							DMA_BIDIRECTIONAL);
			else
				dma_sync_single_for_device(buf->dma_dev,
							   sg_dma_address(sg),
							   sg_dma_len(sg),
							   DMA_BIDIRECTIONAL);
		}
		if (end >= offset + len)
			break;
		start = end;
	}
}

static noinline int zcdev_alloc_pages(struct zcdev_buf *buf)
{
	unsigned int max_run;
	unsigned long i, got;
	int ret;

	if (zcdev_should_fail())
		return -ENOMEM;

	buf->pages = kvmalloc_array(buf->nr_pages, sizeof(*buf->pages),
				    GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!buf->pages)
		return -ENOMEM;

	for (i = 0; i < buf->nr_pages; i += got) {
		got = zcdev_alloc_run(buf->pages + i, buf->nr_pages - i);
		if (!got) {
			ret = zcdev_refuse("alloc", -ENOMEM, "no_memory", i);
			goto err_pages;
		}
		if (fatal_signal_pending(current)) {
			i += got;
			ret = -EINTR;
			goto err_pages;
		}
		cond_resched();
	}

	max_run = dma_get_max_seg_size(buf->dma_dev);
	buf->need_sync = zcdev_need_sync(buf);
	if (buf->need_sync)
		max_run = min_t(unsigned int, max_run, ZCDEV_SYNC_RUN_MAX);
	ret = sg_alloc_table_from_pages_segment(&buf->sgt, buf->pages,
						buf->nr_pages, 0, buf->len,
						max_run,
						GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (ret)
		goto err_pages;

	ret = zcdev_map_runs(buf);
	if (ret) {
		zcdev_refuse("alloc", ret, "dma_map_failed", buf->len);
		goto err_sgt;
	}
	/* The zeroes are the CPU's writes: hand them to the device. */
	zcdev_sync_runs(buf, 0, buf->len, false);
	return 0;

err_sgt:
	sg_free_table(&buf->sgt);
err_pages:
	zcdev_put_pages(buf->pages, i);
	kvfree(buf->pages);
	buf->pages = NULL;
	return ret;
}

/* fail_function may make it fail too (see fault.c for why tests do not). */
ALLOW_ERROR_INJECTION(zcdev_alloc_pages, ERRNO);

static void zcdev_free_memory(struct zcdev_buf *buf)
{
	if (buf->kind == ZCDEV_BUF_DMABUF) {
		zcdev_import_release(buf->import);
		return;
	}
	if (buf->kind == ZCDEV_BUF_COHERENT) {
		dma_free_coherent(buf->dma_dev, buf->len, buf->cpu_addr,
				  buf->dma_addr);
		return;
	}
	zcdev_unmap_runs(buf, buf->sgt.orig_nents);
	sg_free_table(&buf->sgt);
	zcdev_put_pages(buf->pages, buf->nr_pages);
	kvfree(buf->pages);
}

static void zcdev_buf_destroy(struct zcdev_buf *buf)
{
	struct zcdev_file *owner = buf->owner;

	trace_zcdev_buf_destroy(buf->handle, buf->kind, buf->len);
	zcdev_free_memory(buf);
	zcdev_uncharge(owner, buf->len);
	kfree(buf);
	zcdev_file_put(owner);
}

static void zcdev_buf_destroy_work(struct work_struct *work)
{
	zcdev_buf_destroy(container_of(work, struct zcdev_buf, destroy_work));
}

/*
 * Freeing may sleep (vfree of a large page array, dma_free_coherent), so a
 * last reference dropped in atomic context hands the work to zcdev_wq.
 */
static void zcdev_buf_release(struct kref *ref)
{
	struct zcdev_buf *buf = container_of(ref, struct zcdev_buf, ref);

	if (in_task() && !irqs_disabled())
		zcdev_buf_destroy(buf);
	else
		queue_work(zcdev_wq, &buf->destroy_work);
}

static int zcdev_check_len(const char *op, u64 len)
{
	if (!len)
		return zcdev_refuse(op, -EINVAL, "zero_len", 0);
	if (len > zcdev_max_buf_bytes)
		return zcdev_refuse(op, -EFBIG, "max_buf_bytes", len);
	return 0;
}

static int zcdev_check_alloc(u32 kind, u64 len)
{
	const char *op = "alloc";
	int ret;

	/* ZCDEV_BUF_DMABUF comes from ZCDEV_IOC_IMPORT only. */
	if (kind != ZCDEV_BUF_COHERENT && kind != ZCDEV_BUF_PAGES)
		return zcdev_refuse(op, -EINVAL, "kind", kind);
	ret = zcdev_check_len(op, len);
	if (ret)
		return ret;
	/* One contiguous block: use ZCDEV_BUF_PAGES for more. */
	if (kind == ZCDEV_BUF_COHERENT && len > zcdev_max_coherent_bytes())
		return zcdev_refuse(op, -EFBIG, "max_coherent_bytes", len);
	return 0;
}

/* A charged buffer object of @len (page aligned) bytes, without memory. */
static struct zcdev_buf *zcdev_buf_new(struct zcdev_file *zf, u32 kind,
				       u64 len, struct device *dma_dev)
{
	struct zcdev_buf *buf;
	int ret;

	ret = zcdev_charge(zf, len, kind == ZCDEV_BUF_DMABUF ? "import" :
							      "alloc");
	if (ret)
		return ERR_PTR(ret);
	buf = kzalloc(sizeof(*buf), GFP_KERNEL_ACCOUNT);
	if (!buf) {
		zcdev_uncharge(zf, len);
		return ERR_PTR(-ENOMEM);
	}
	kref_init(&buf->ref);
	INIT_WORK(&buf->destroy_work, zcdev_buf_destroy_work);
	buf->kind = kind;
	buf->len = len;
	buf->nr_pages = len >> PAGE_SHIFT;
	buf->dma_dev = dma_dev;
	return buf;
}

/* Undo zcdev_buf_new(), for a buffer that never got a handle. */
static void zcdev_buf_discard(struct zcdev_file *zf, struct zcdev_buf *buf)
{
	zcdev_uncharge(zf, buf->len);
	kfree(buf);
}

/*
 * Give @buf a handle in @zf. On success the table holds the buffer's first
 * reference and the caller gets a second one.
 */
static int zcdev_buf_publish(struct zcdev_file *zf, struct zcdev_buf *buf,
			     const char *op)
{
	u32 handle;
	int ret;

	/*
	 * Cyclic handles: a freed handle is not reused at once, so a stale
	 * handle gets ENOENT rather than someone else's buffer.
	 */
	ret = xa_alloc_cyclic(&zf->bufs, &handle, buf,
			      XA_LIMIT(1, ZCDEV_MAX_HANDLE), &zf->next_handle,
			      GFP_KERNEL_ACCOUNT);
	if (ret < 0)
		return ret == -EBUSY ? zcdev_refuse(op, -ENOSPC,
						    "no_free_handle", 0) : ret;
	kref_get(&zf->ref);
	buf->owner = zf;
	buf->handle = handle;
	buf->offset = (loff_t)handle << ZCDEV_OFFSET_SHIFT;
	kref_get(&buf->ref);
	trace_zcdev_buf_create(handle, buf->kind, buf->len);
	return 0;
}

/* @dma_dev: the device the memory is allocated and DMA-mapped for. */
struct zcdev_buf *zcdev_buf_create(struct zcdev_file *zf, u32 kind, u64 len,
				   struct device *dma_dev)
{
	struct zcdev_buf *buf;
	int ret;

	ret = zcdev_check_alloc(kind, len);
	if (ret)
		return ERR_PTR(ret);
	/* Cannot overflow: len <= max_buf_bytes <= ZCDEV_WINDOW_BYTES. */
	buf = zcdev_buf_new(zf, kind, PAGE_ALIGN(len), dma_dev);
	if (IS_ERR(buf))
		return buf;

	ret = kind == ZCDEV_BUF_COHERENT ? zcdev_alloc_coherent(buf) :
					   zcdev_alloc_pages(buf);
	if (ret)
		goto err_discard;
	ret = zcdev_buf_publish(zf, buf, "alloc");
	if (ret)
		goto err_free_memory;
	return buf;

err_free_memory:
	zcdev_free_memory(buf);
err_discard:
	zcdev_buf_discard(zf, buf);
	return ERR_PTR(ret);
}

/*
 * A ZCDEV_BUF_DMABUF buffer of @len (page aligned) bytes of @import's
 * dma-buf, attached for @dma_dev. It owns @import once this succeeds; on
 * failure the caller still does. Imported bytes are charged like
 * allocated ones: the limits bound what a file may hold on to.
 */
struct zcdev_buf *zcdev_buf_create_import(struct zcdev_file *zf, u64 len,
					  struct device *dma_dev,
					  struct zcdev_dmabuf_import *import)
{
	struct zcdev_buf *buf;
	int ret;

	ret = zcdev_check_len("import", len);
	if (ret)
		return ERR_PTR(ret);
	buf = zcdev_buf_new(zf, ZCDEV_BUF_DMABUF, len, dma_dev);
	if (IS_ERR(buf))
		return buf;
	buf->import = import;
	ret = zcdev_buf_publish(zf, buf, "import");
	if (ret) {
		zcdev_buf_discard(zf, buf);
		return ERR_PTR(ret);
	}
	return buf;
}

void zcdev_buf_put(struct zcdev_buf *buf)
{
	kref_put(&buf->ref, zcdev_buf_release);
}

int zcdev_buf_free(struct zcdev_file *zf, u32 handle)
{
	struct zcdev_buf *buf = xa_erase(&zf->bufs, handle);

	if (!buf)
		return zcdev_refuse("free", -ENOENT, "no_handle", handle);
	/* The handle's dma-buf reference goes with it; fds keep theirs. */
	zcdev_export_forget(buf);
	zcdev_buf_put(buf);
	return 0;
}

struct zcdev_buf *zcdev_buf_get(struct zcdev_file *zf, u32 handle)
{
	struct zcdev_buf *buf;

	xa_lock(&zf->bufs);
	buf = xa_load(&zf->bufs, handle);
	if (buf)
		kref_get(&buf->ref);
	xa_unlock(&zf->bufs);
	return buf;
}

/*
 * The buffer at @pos: its window holds @pos and @pos is at most its end
 * (the end itself is where reads see EOF and writes ENOSPC). NULL for the
 * rest of the window, as for no buffer at all.
 */
struct zcdev_buf *zcdev_buf_get_by_offset(struct zcdev_file *zf, loff_t pos)
{
	struct zcdev_buf *buf;
	u64 handle;

	if (pos < 0)
		return NULL;
	handle = (u64)pos >> ZCDEV_OFFSET_SHIFT;
	if (!handle || handle > ZCDEV_MAX_HANDLE)
		return NULL;
	buf = zcdev_buf_get(zf, handle);
	if (buf && pos - buf->offset > buf->len) {
		zcdev_buf_put(buf);
		return NULL;
	}
	return buf;
}

unsigned int zcdev_buf_nr_segs(struct zcdev_buf *buf)
{
	if (buf->kind == ZCDEV_BUF_DMABUF)
		return zcdev_import_dma_segs(buf, NULL, 0);
	return buf->kind == ZCDEV_BUF_COHERENT ? 1 : buf->sgt.nents;
}

/*
 * The first @max of the buffer's DMA segments, as its device sees them. An
 * import's mapping may come or go between this and zcdev_buf_nr_segs():
 * entries it no longer has are zeroed.
 */
void zcdev_buf_dma_segs(struct zcdev_buf *buf, struct zcdev_dma_seg *segs,
			unsigned int max)
{
	struct scatterlist *sg;
	unsigned int i;

	if (buf->kind == ZCDEV_BUF_DMABUF) {
		zcdev_import_dma_segs(buf, segs, max);
		return;
	}
	if (buf->kind == ZCDEV_BUF_COHERENT) {
		if (max) {
			segs[0].dma_addr = buf->dma_addr;
			segs[0].len = buf->len;
		}
		return;
	}
	for_each_sgtable_dma_sg(&buf->sgt, sg, i) {
		if (i >= max)
			break;
		segs[i].dma_addr = sg_dma_address(sg);
		segs[i].len = sg_dma_len(sg);
	}
}

/*
 * A transfer's end: only the runs of pages its range touches are synced.
 * The caller checked the range.
 */
void zcdev_buf_sync_range(struct zcdev_buf *buf, u64 offset, u64 len,
			  bool for_cpu)
{
	if (buf->kind == ZCDEV_BUF_PAGES && len)
		zcdev_sync_runs(buf, offset, len, for_cpu);
}

/*
 * ZCDEV_IOC_SYNC: the range is checked, but the whole streaming mapping is
 * synced, as the ABI has promised since version 0 (syncing more than asked
 * is always correct). An imported buffer is the exporter's to sync:
 * dma_buf_begin_cpu_access() and dma_buf_end_cpu_access(), as
 * DMA_BUF_IOCTL_SYNC on its fd would.
 */
int zcdev_buf_sync(struct zcdev_buf *buf, u64 offset, u64 len, bool for_cpu)
{
	u64 end;

	if (!len || check_add_overflow(offset, len, &end) || end > buf->len)
		return zcdev_refuse("sync", -EINVAL, "bad_range", offset);
	if (buf->kind == ZCDEV_BUF_DMABUF)
		return zcdev_import_sync(buf, for_cpu);
	zcdev_buf_sync_range(buf, 0, buf->len, for_cpu);
	return 0;
}
