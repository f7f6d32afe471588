// SPDX-License-Identifier: GPL-2.0
/*
 * User memory for a DMA transfer: every page any segment touches is pinned
 * (FOLL_LONGTERM, FOLL_WRITE if some segment writes it), charged to
 * RLIMIT_MEMLOCK and DMA-mapped exactly once per transfer, however many
 * segments share it (physically contiguous pages in one mapping per run).
 * Mapping a page once per segment would hand the DMA API many overlapping
 * device-writable mappings of the same memory, which it does not support
 * (dma-debug reports them).
 *
 * Across transfers, a page may be the destination of at most
 * ZCDEV_DMA_MAX_WRITERS transfers in flight (EBUSY beyond): what two
 * engines write to the same bytes at once is undefined, and dma-debug
 * stops counting overlapping mappings at seven.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/error-injection.h>
#include <linux/interval_tree_generic.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>

#include <linux/zcdev.h>
#include "dma.h"

#define ZCDEV_DMA_MAX_WRITERS	6

/*
 * The pages written by transfers in flight, as one interval of pfns per
 * physically contiguous run of a transfer's written pages. A page's
 * writers are the intervals that hold it. Per run rather than per page:
 * a count per page in an xarray cost more than copying the page under
 * emulation, and a transfer of THP-backed memory has a run or two.
 */
static struct rb_root_cached zcdev_writers = RB_ROOT_CACHED;
static DEFINE_SPINLOCK(zcdev_writers_lock);

#define zcdev_wrun_start(w)	((w)->first)
#define zcdev_wrun_last(w)	((w)->last)

INTERVAL_TREE_DEFINE(struct zcdev_dma_wrun, rb, unsigned long, subtree_last,
		     zcdev_wrun_start, zcdev_wrun_last, static, zcdev_wrun)

/* How many runs in flight hold pfn @pfn. Called with the lock held. */
static unsigned int zcdev_writers_at(unsigned long pfn)
{
	struct zcdev_dma_wrun *w;
	unsigned int n = 0;

	for (w = zcdev_wrun_iter_first(&zcdev_writers, pfn, pfn); w;
	     w = zcdev_wrun_iter_next(w, pfn, pfn))
		n++;
	return n;
}

/*
 * May one more transfer write [@first, @last]? Fewer runs than the limit
 * overlapping it (the common case: none) settle it; otherwise the most
 * writers any of its pages has is found where some run starts (or at
 * @first). Called with the lock held.
 */
static bool zcdev_writers_room(unsigned long first, unsigned long last)
{
	struct zcdev_dma_wrun *w;
	unsigned int n = 0;

	for (w = zcdev_wrun_iter_first(&zcdev_writers, first, last); w;
	     w = zcdev_wrun_iter_next(w, first, last))
		n++;
	if (n < ZCDEV_DMA_MAX_WRITERS)
		return true;
	if (zcdev_writers_at(first) >= ZCDEV_DMA_MAX_WRITERS)
		return false;
	for (w = zcdev_wrun_iter_first(&zcdev_writers, first, last); w;
	     w = zcdev_wrun_iter_next(w, first, last))
		if (w->first > first &&
		    zcdev_writers_at(w->first) >= ZCDEV_DMA_MAX_WRITERS)
			return false;
	return true;
}

/* The physically contiguous runs of written pages, one interval each. */
static int zcdev_writers_collect(struct zcdev_xfer *x)
{
	unsigned int i, n = 0;

	for (i = 0; i < x->nr_upages; i++)
		if (x->upages[i].write &&
		    (!i || !x->upages[i - 1].write ||
		     page_to_pfn(x->upages[i].page) !=
		     page_to_pfn(x->upages[i - 1].page) + 1))
			n++;
	if (!n)
		return 0;
	x->wruns = kvmalloc_array(n, sizeof(*x->wruns), GFP_KERNEL_ACCOUNT);
	if (!x->wruns)
		return -ENOMEM;
	for (i = 0; i < x->nr_upages; i++) {
		unsigned long pfn = page_to_pfn(x->upages[i].page);

		if (!x->upages[i].write)
			continue;
		if (x->nr_wruns &&
		    x->wruns[x->nr_wruns - 1].last + 1 == pfn &&
		    x->upages[i - 1].write) {
			x->wruns[x->nr_wruns - 1].last = pfn;
			continue;
		}
		x->wruns[x->nr_wruns].first = pfn;
		x->wruns[x->nr_wruns].last = pfn;
		x->nr_wruns++;
	}
	return 0;
}

/*
 * Count @x among the writers in flight of every page it writes, all at
 * once. Runs counted before a refusal stay counted (@nr_wruns_counted),
 * and the release uncounts them.
 */
static int zcdev_writers_get(struct zcdev_xfer *x)
{
	int ret = zcdev_writers_collect(x);

	if (ret)
		return ret;
	spin_lock(&zcdev_writers_lock);
	for (; x->nr_wruns_counted < x->nr_wruns; x->nr_wruns_counted++) {
		struct zcdev_dma_wrun *w = &x->wruns[x->nr_wruns_counted];

		if (!zcdev_writers_room(w->first, w->last)) {
			ret = -EBUSY;
			break;
		}
		zcdev_wrun_insert(w, &zcdev_writers);
	}
	spin_unlock(&zcdev_writers_lock);
	if (ret)
		return zcdev_refuse("dma_submit", ret, "page_writers",
				    ZCDEV_DMA_MAX_WRITERS);
	return 0;
}

static void zcdev_writers_put(struct zcdev_xfer *x)
{
	unsigned int i;

	spin_lock(&zcdev_writers_lock);
	for (i = 0; i < x->nr_wruns_counted; i++)
		zcdev_wrun_remove(&x->wruns[i], &zcdev_writers);
	spin_unlock(&zcdev_writers_lock);
	kvfree(x->wruns);
}

static int zcdev_upage_cmp(const void *a, const void *b)
{
	const struct zcdev_dma_upage *x = a, *y = b;

	return x->uaddr < y->uaddr ? -1 : x->uaddr > y->uaddr;
}

static int zcdev_user_end_cmp(const void *a, const void *b)
{
	const struct zcdev_dma_end *x = *(const struct zcdev_dma_end **)a;
	const struct zcdev_dma_end *y = *(const struct zcdev_dma_end **)b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Index of the page holding user address @uaddr (which is in the table). */
unsigned int zcdev_dma_upage_find(const struct zcdev_xfer *x,
				  unsigned long uaddr)
{
	unsigned int lo = 0, hi = x->nr_upages;

	uaddr &= PAGE_MASK;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (x->upages[mid].uaddr < uaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	WARN_ON_ONCE(lo >= x->nr_upages || x->upages[lo].uaddr != uaddr);
	return lo;
}

/*
 * Append the pages of the user ends in the order of their start addresses:
 * ends that do not overlap (the common case) then come out sorted, and
 * sorting a table of a page per entry costs more than the copy of the
 * page under emulation.
 */
static unsigned long zcdev_dma_emit(struct zcdev_xfer *x,
				    const struct zcdev_dma_end **ends,
				    unsigned int nr_ends)
{
	unsigned long n = 0;
	unsigned int i;

	sort(ends, nr_ends, sizeof(*ends), zcdev_user_end_cmp, NULL);
	for (i = 0; i < nr_ends; i++) {
		const struct zcdev_dma_end *end = ends[i];
		unsigned long a;

		for (a = end->offset & PAGE_MASK; a < end->offset + end->len;
		     a += PAGE_SIZE) {
			x->upages[n].uaddr = a;
			x->upages[n].read = end->to_device_only;
			x->upages[n].write = !end->to_device_only;
			n++;
		}
	}
	return n;
}

/* Gather the distinct pages of all user ends, sorted, read/write merged. */
static int zcdev_dma_collect(struct zcdev_xfer *x)
{
	const struct zcdev_dma_end **ends;
	unsigned long total = 0, n;
	unsigned int i, out, nr = 0;

	for (i = 0; i < x->nr_ends; i++) {
		const struct zcdev_dma_end *end = &x->ends[i];

		if (end->is_user) {
			total += (PAGE_ALIGN(end->offset + end->len) -
				  (end->offset & PAGE_MASK)) >> PAGE_SHIFT;
			nr++;
		}
	}
	if (!total)
		return 0;
	x->upages = kvcalloc(total, sizeof(*x->upages), GFP_KERNEL_ACCOUNT);
	ends = kvmalloc_array(nr, sizeof(*ends), GFP_KERNEL);
	if (!x->upages || !ends) {
		kvfree(ends);
		return -ENOMEM;
	}
	for (i = 0, nr = 0; i < x->nr_ends; i++)
		if (x->ends[i].is_user)
			ends[nr++] = &x->ends[i];
	n = zcdev_dma_emit(x, ends, nr);
	kvfree(ends);

	for (i = 1; i < n; i++)
		if (x->upages[i].uaddr < x->upages[i - 1].uaddr)
			break;
	if (i < n)
		sort(x->upages, n, sizeof(*x->upages), zcdev_upage_cmp, NULL);
	for (i = 1, out = 0; i < n; i++) {
		if (x->upages[i].uaddr == x->upages[out].uaddr) {
			x->upages[out].read |= x->upages[i].read;
			x->upages[out].write |= x->upages[i].write;
		} else {
			x->upages[++out] = x->upages[i];
		}
	}
	x->nr_upages = out + 1;
	return 0;
}

/* Pin runs of adjacent pages that want the same access in one call each. */
static int zcdev_dma_pin(struct zcdev_xfer *x)
{
	struct page **pages;
	unsigned int i, j;
	int ret = 0;

	pages = kvmalloc_array(x->nr_upages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	for (i = 0; i < x->nr_upages; i = j) {
		bool write = x->upages[i].write;
		long pinned;

		for (j = i + 1; j < x->nr_upages; j++)
			if (x->upages[j].write != write ||
			    x->upages[j].uaddr != x->upages[j - 1].uaddr + PAGE_SIZE)
				break;
		pinned = pin_user_pages_fast(x->upages[i].uaddr, j - i,
					     FOLL_LONGTERM |
					     (write ? FOLL_WRITE : 0),
					     pages + i);
		if (pinned > 0) {
			unsigned int k;

			for (k = 0; k < pinned; k++)
				x->upages[i + k].page = pages[i + k];
		}
		if (pinned != j - i) {
			ret = zcdev_refuse("dma_submit",
					   pinned < 0 ? pinned : -EFAULT,
					   write ? "pin_for_write" : "pin",
					   x->upages[i].uaddr);
			break;
		}
	}
	kvfree(pages);
	return ret;
}

static enum dma_data_direction zcdev_upage_dir(const struct zcdev_dma_upage *u)
{
	if (u->read && u->write)
		return DMA_BIDIRECTIONAL;
	return u->write ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
}

/*
 * Map each run of pages that are physically contiguous and want the same
 * direction as one range, so the DMA API is called once per run, not once
 * per page (a THP, or pages the allocator handed out in order, make long
 * runs), and every page gets its bus address within its run's mapping.
 *
 * The same page may already be mapped (a zcdev buffer's own mapping,
 * another transfer): SKIP_CPU_SYNC with explicit syncs is how the DMA
 * API allows that.
 */
static int zcdev_dma_map_upages(struct zcdev_xfer *x)
{
	size_t max_len = dma_max_mapping_size(x->dev);
	unsigned int i, j, k;

	for (i = 0; i < x->nr_upages; i = j) {
		struct zcdev_dma_upage *u = &x->upages[i];
		enum dma_data_direction dir = zcdev_upage_dir(u);
		unsigned long pfn = page_to_pfn(u->page);
		size_t len = PAGE_SIZE;
		dma_addr_t dma;

		for (j = i + 1; j < x->nr_upages; j++) {
			const struct zcdev_dma_upage *v = &x->upages[j];

			if (len > max_len - PAGE_SIZE ||
			    zcdev_upage_dir(v) != dir ||
			    page_to_pfn(v->page) != pfn + (j - i))
				break;
			len += PAGE_SIZE;
		}
		dma = dma_map_page_attrs(x->dev, u->page, 0, len, dir,
					 DMA_ATTR_SKIP_CPU_SYNC);
		if (dma_mapping_error(x->dev, dma))
			return zcdev_refuse("dma_submit", -ENOMEM,
					    "dma_map_failed", u->uaddr);
		u->map_pages = j - i;
		for (k = i; k < j; k++)
			x->upages[k].dma = dma + ((dma_addr_t)(k - i) << PAGE_SHIFT);
		dma_sync_single_for_device(x->dev, dma, len, dir);
	}
	return 0;
}

/*
 * Pin, charge and map the user memory of every user end. On error the
 * caller's zcdev_dma_user_release() undoes whatever was done.
 */
noinline int zcdev_dma_user_prepare(struct zcdev_xfer *x)
{
	int ret;

	if (zcdev_should_fail())
		return -ENOMEM;

	ret = zcdev_dma_collect(x);
	if (ret || !x->nr_upages)
		return ret;

	/* Long-term pins count against RLIMIT_MEMLOCK, as io_uring's do. */
	ret = account_locked_vm(current->mm, x->nr_upages, true);
	if (ret)
		return zcdev_refuse("dma_submit", ret, "rlimit_memlock",
				    x->nr_upages);
	x->mm = current->mm;
	mmgrab(x->mm);

	ret = zcdev_dma_pin(x);
	if (!ret)
		ret = zcdev_writers_get(x);
	if (!ret)
		ret = zcdev_dma_map_upages(x);
	return ret;
}

/* fail_function may make it fail too (see fault.c for why tests do not). */
ALLOW_ERROR_INJECTION(zcdev_dma_user_prepare, ERRNO);

void zcdev_dma_user_release(struct zcdev_xfer *x)
{
	unsigned int i;

	for (i = 0; i < x->nr_upages; i++) {
		struct zcdev_dma_upage *u = &x->upages[i];
		enum dma_data_direction dir = zcdev_upage_dir(u);
		size_t len = (size_t)u->map_pages << PAGE_SHIFT;

		if (u->map_pages) {
			dma_sync_single_for_cpu(x->dev, u->dma, len, dir);
			dma_unmap_page_attrs(x->dev, u->dma, len, dir,
					     DMA_ATTR_SKIP_CPU_SYNC);
		}
	}
	zcdev_writers_put(x);
	/* A mapped run is physically contiguous, one direction: one call. */
	for (i = 0; i < x->nr_upages; i += max(x->upages[i].map_pages, 1U)) {
		struct zcdev_dma_upage *u = &x->upages[i];

		if (u->page)
			unpin_user_page_range_dirty_lock(u->page,
							 max(u->map_pages, 1U),
							 u->write);
	}
	kvfree(x->upages);
	if (x->mm) {
		account_locked_vm(x->mm, x->nr_upages, false);
		mmdrop(x->mm);
	}
}
