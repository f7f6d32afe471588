// SPDX-License-Identifier: GPL-2.0
/*
 * User memory for a DMA transfer: every page any segment touches is pinned
 * (FOLL_LONGTERM, FOLL_WRITE if some segment writes it), charged to
 * RLIMIT_MEMLOCK and DMA-mapped exactly once per transfer, however many
 * segments share it. Mapping a page once per segment would hand the DMA
 * API many overlapping device-writable mappings of the same memory, which
 * it does not support (dma-debug reports them).
 *
 * Across transfers, a page may be the destination of at most
 * ZCDEV_DMA_MAX_WRITERS transfers in flight (EBUSY beyond): what two
 * engines write to the same bytes at once is undefined, and dma-debug
 * stops counting overlapping mappings at seven.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/error-injection.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/xarray.h>

#include <linux/zcdev.h>
#include "dma.h"

#define ZCDEV_DMA_MAX_WRITERS	6

static DEFINE_XARRAY(zcdev_writers);	/* pfn -> transfers writing it */
static DEFINE_MUTEX(zcdev_writers_lock); /* guards zcdev_writers' counts */

static void zcdev_writer_put(struct page *page)
{
	unsigned long pfn = page_to_pfn(page);
	unsigned long n;

	mutex_lock(&zcdev_writers_lock);
	n = xa_to_value(xa_load(&zcdev_writers, pfn));
	if (n > 1)
		xa_store(&zcdev_writers, pfn, xa_mk_value(n - 1), GFP_KERNEL);
	else
		xa_erase(&zcdev_writers, pfn);
	mutex_unlock(&zcdev_writers_lock);
}

static int zcdev_writer_get(struct page *page)
{
	unsigned long pfn = page_to_pfn(page);
	unsigned long n;
	int ret;

	mutex_lock(&zcdev_writers_lock);
	n = xa_to_value(xa_load(&zcdev_writers, pfn));
	if (n >= ZCDEV_DMA_MAX_WRITERS)
		ret = -EBUSY;
	else
		ret = xa_err(xa_store(&zcdev_writers, pfn, xa_mk_value(n + 1),
				      GFP_KERNEL));
	mutex_unlock(&zcdev_writers_lock);
	if (ret == -EBUSY)
		return zcdev_refuse("dma_submit", ret, "page_writers",
				    ZCDEV_DMA_MAX_WRITERS);
	return ret;
}

static int zcdev_upage_cmp(const void *a, const void *b)
{
	const struct zcdev_dma_upage *x = a, *y = b;

	return x->uaddr < y->uaddr ? -1 : x->uaddr > y->uaddr;
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

/* Gather the distinct pages of all user ends, sorted, read/write merged. */
static int zcdev_dma_collect(struct zcdev_xfer *x)
{
	unsigned long total = 0, n = 0;
	unsigned int i, out;

	for (i = 0; i < x->nr_ends; i++) {
		const struct zcdev_dma_end *end = &x->ends[i];

		if (end->is_user)
			total += (PAGE_ALIGN(end->offset + end->len) -
				  (end->offset & PAGE_MASK)) >> PAGE_SHIFT;
	}
	if (!total)
		return 0;
	x->upages = kvcalloc(total, sizeof(*x->upages), GFP_KERNEL_ACCOUNT);
	if (!x->upages)
		return -ENOMEM;
	for (i = 0; i < x->nr_ends; i++) {
		const struct zcdev_dma_end *end = &x->ends[i];
		unsigned long a;

		if (!end->is_user)
			continue;
		for (a = end->offset & PAGE_MASK; a < end->offset + end->len;
		     a += PAGE_SIZE) {
			x->upages[n].uaddr = a;
			x->upages[n].read = end->to_device_only;
			x->upages[n].write = !end->to_device_only;
			n++;
		}
	}
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
 * The same page may already be mapped (a zcdev buffer's own mapping,
 * another transfer): SKIP_CPU_SYNC with explicit syncs is how the DMA
 * API allows that.
 */
static int zcdev_dma_map_upages(struct zcdev_xfer *x)
{
	unsigned int i;
	int ret;

	for (i = 0; i < x->nr_upages; i++) {
		struct zcdev_dma_upage *u = &x->upages[i];
		enum dma_data_direction dir = zcdev_upage_dir(u);

		if (u->write) {
			ret = zcdev_writer_get(u->page);
			if (ret)
				return ret;
			u->counted = true;
		}
		u->dma = dma_map_page_attrs(x->dev, u->page, 0, PAGE_SIZE, dir,
					    DMA_ATTR_SKIP_CPU_SYNC);
		if (dma_mapping_error(x->dev, u->dma))
			return zcdev_refuse("dma_submit", -ENOMEM,
					    "dma_map_failed", u->uaddr);
		u->mapped = true;
		dma_sync_single_for_device(x->dev, u->dma, PAGE_SIZE, dir);
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
	if (ret)
		return ret;
	return zcdev_dma_map_upages(x);
}

/* fail_function may make it fail too (see fault.c for why tests do not). */
ALLOW_ERROR_INJECTION(zcdev_dma_user_prepare, ERRNO);

void zcdev_dma_user_release(struct zcdev_xfer *x)
{
	unsigned int i;

	for (i = 0; i < x->nr_upages; i++) {
		struct zcdev_dma_upage *u = &x->upages[i];
		enum dma_data_direction dir = zcdev_upage_dir(u);

		if (u->mapped) {
			dma_sync_single_for_cpu(x->dev, u->dma, PAGE_SIZE, dir);
			dma_unmap_page_attrs(x->dev, u->dma, PAGE_SIZE, dir,
					     DMA_ATTR_SKIP_CPU_SYNC);
		}
		if (u->counted)
			zcdev_writer_put(u->page);
		if (u->page)
			unpin_user_pages_dirty_lock(&u->page, 1, u->write);
	}
	kvfree(x->upages);
	if (x->mm) {
		account_locked_vm(x->mm, x->nr_upages, false);
		mmdrop(x->mm);
	}
}
