// SPDX-License-Identifier: GPL-2.0
/*
 * From the caller's segments to engine descriptors: every endpoint becomes
 * bus addresses for the channel's device (a zcdev buffer's own mapping, or
 * user memory pinned with FOLL_LONGTERM and mapped here), and each segment
 * becomes the runs that are contiguous on both sides at once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/error-injection.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include <linux/zcdev.h>
#include "dma.h"

/* One page-sized piece of a side, for the overlap check. */
struct zcdev_dma_piece {
	struct page *page;
	u32 first;
	u32 end;
	bool is_dst;
};

static int zcdev_dma_end_buf(struct zcdev_xfer *x, struct zcdev_dma_end *end,
			     const struct zcdev_dma_ep *ep, u64 len)
{
	struct zcdev_buf *buf;
	u64 last;

	buf = zcdev_buf_get(x->zf, ep->handle);
	if (!buf) {
		pr_info_ratelimited("dma refused: no buffer with handle %u\n",
				    ep->handle);
		return -ENOENT;
	}
	end->buf = buf;
	end->offset = ep->addr;
	end->len = len;
	if (check_add_overflow(ep->addr, len, &last) || last > buf->len) {
		pr_info_ratelimited("dma refused: range %llu+%llu outside the %zu-byte buffer %u\n",
				    ep->addr, len, buf->len, buf->handle);
		return -EINVAL;
	}
	if (buf->dma_dev != x->dev) {
		pr_info_ratelimited("dma refused: buffer %u was mapped for %s, the channel is on %s; allocate it again\n",
				    buf->handle, dev_name(buf->dma_dev),
				    dev_name(x->dev));
		return -EXDEV;
	}
	return 0;
}

static noinline int zcdev_dma_end_user(struct zcdev_xfer *x,
				       struct zcdev_dma_end *end,
				       const struct zcdev_dma_ep *ep, u64 len,
				       bool is_dst)
{
	unsigned int gup = FOLL_LONGTERM | (is_dst ? FOLL_WRITE : 0);
	enum dma_data_direction dir = is_dst ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
	unsigned long start = ep->addr & PAGE_MASK;
	u64 last;
	long pinned;
	int ret;

	if (ep->handle) {
		pr_info_ratelimited("dma refused: user endpoint with non-zero handle\n");
		return -EINVAL;
	}
	if (check_add_overflow(ep->addr, len, &last) ||
	    !access_ok(u64_to_user_ptr(ep->addr), len)) {
		pr_info_ratelimited("dma refused: user range %#llx+%llu is not user memory\n",
				    ep->addr, len);
		return -EFAULT;
	}
	end->offset = ep->addr;
	end->len = len;
	end->to_device_only = !is_dst;
	end->nr_pages = (PAGE_ALIGN(last) - start) >> PAGE_SHIFT;

	/* Long-term pins count against RLIMIT_MEMLOCK, as io_uring's do. */
	ret = account_locked_vm(current->mm, end->nr_pages, true);
	if (ret) {
		pr_info_ratelimited("dma refused: pinning %lu pages exceeds RLIMIT_MEMLOCK\n",
				    end->nr_pages);
		end->nr_pages = 0;
		return ret;
	}
	if (!x->mm) {
		x->mm = current->mm;
		mmgrab(x->mm);
	}
	x->locked_pages += end->nr_pages;

	end->pages = kvmalloc_array(end->nr_pages, sizeof(*end->pages),
				    GFP_KERNEL_ACCOUNT);
	if (!end->pages)
		return -ENOMEM;
	pinned = pin_user_pages_fast(start, end->nr_pages, gup, end->pages);
	if (pinned != end->nr_pages) {
		if (pinned > 0)
			unpin_user_pages(end->pages, pinned);
		kvfree(end->pages);
		end->pages = NULL;
		pr_info_ratelimited("dma refused: user range %#llx+%llu could not be pinned%s (%ld)\n",
				    ep->addr, len,
				    is_dst ? " for writing" : "", pinned);
		return pinned < 0 ? pinned : -EFAULT;
	}

	ret = sg_alloc_table_from_pages_segment(&end->sgt, end->pages,
						end->nr_pages,
						offset_in_page(ep->addr), len,
						dma_get_max_seg_size(x->dev),
						GFP_KERNEL_ACCOUNT);
	if (ret)
		return ret;
	ret = dma_map_sgtable(x->dev, &end->sgt, dir, 0);
	if (ret) {
		pr_info_ratelimited("dma refused: mapping user memory for %s failed (%d)\n",
				    dev_name(x->dev), ret);
		return ret;
	}
	end->mapped = true;
	return 0;
}

/* fail_function may make it fail: the fault-injection tests do. */
ALLOW_ERROR_INJECTION(zcdev_dma_end_user, ERRNO);

static void zcdev_dma_end_release(struct device *dev,
				  struct zcdev_dma_end *end)
{
	bool dirty = !end->to_device_only;

	if (end->buf) {
		zcdev_buf_put(end->buf);
		return;
	}
	if (end->mapped)
		dma_unmap_sgtable(dev, &end->sgt,
				  dirty ? DMA_FROM_DEVICE : DMA_TO_DEVICE, 0);
	if (end->sgt.sgl)
		sg_free_table(&end->sgt);
	if (end->pages) {
		unpin_user_pages_dirty_lock(end->pages, end->nr_pages, dirty);
		kvfree(end->pages);
	}
}

/* Walks the bus addresses of one end, contiguous piece by piece. */
struct zcdev_dma_cursor {
	struct scatterlist *sg;
	unsigned int sg_left;
	u64 skip;
	dma_addr_t single;
};

static void zcdev_dma_cursor_init(struct zcdev_dma_cursor *cur,
				  const struct zcdev_dma_end *end)
{
	const struct sg_table *sgt = end->buf ? &end->buf->sgt : &end->sgt;

	memset(cur, 0, sizeof(*cur));
	if (end->buf && end->buf->kind == ZCDEV_BUF_COHERENT) {
		cur->single = end->buf->dma_addr + end->offset;
		return;
	}
	cur->sg = sgt->sgl;
	cur->sg_left = sgt->nents;
	cur->skip = end->buf ? end->offset : 0;
}

/* Bytes contiguous from the cursor on (U64_MAX: all of them), at *@addr. */
static u64 zcdev_dma_cursor_peek(struct zcdev_dma_cursor *cur,
				 dma_addr_t *addr)
{
	if (!cur->sg) {
		*addr = cur->single;
		return U64_MAX;
	}
	while (cur->sg_left && cur->skip >= sg_dma_len(cur->sg)) {
		cur->skip -= sg_dma_len(cur->sg);
		cur->sg = sg_next(cur->sg);
		cur->sg_left--;
	}
	if (!cur->sg_left)
		return 0;
	*addr = sg_dma_address(cur->sg) + cur->skip;
	return sg_dma_len(cur->sg) - cur->skip;
}

static void zcdev_dma_cursor_advance(struct zcdev_dma_cursor *cur, u64 n)
{
	if (cur->sg)
		cur->skip += n;
	else
		cur->single += n;
}

/* Count (@runs NULL) or fill the runs of one segment; returns the count. */
static unsigned int zcdev_dma_seg_runs(const struct zcdev_dma_end *src,
				       const struct zcdev_dma_end *dst,
				       u64 max_run, struct zcdev_dma_run *runs)
{
	struct zcdev_dma_cursor s, d;
	u64 left = src->len;
	unsigned int n = 0;

	zcdev_dma_cursor_init(&s, src);
	zcdev_dma_cursor_init(&d, dst);
	while (left) {
		dma_addr_t sa, da;
		u64 len = min(left, max_run);

		len = min(len, zcdev_dma_cursor_peek(&s, &sa));
		len = min(len, zcdev_dma_cursor_peek(&d, &da));
		if (WARN_ON_ONCE(!len))
			break;
		if (runs) {
			runs[n].src = sa;
			runs[n].dst = da;
			runs[n].len = len;
		}
		zcdev_dma_cursor_advance(&s, len);
		zcdev_dma_cursor_advance(&d, len);
		n++;
		left -= len;
	}
	return n;
}

/* The pages behind an end, or NULL for coherent memory (no struct page). */
static struct page **zcdev_dma_end_pages(const struct zcdev_dma_end *end,
					 u64 *first_byte)
{
	if (!end->buf) {
		*first_byte = offset_in_page(end->offset);
		return end->pages;
	}
	if (end->buf->kind == ZCDEV_BUF_COHERENT)
		return NULL;
	*first_byte = offset_in_page(end->offset);
	return end->buf->pages + (end->offset >> PAGE_SHIFT);
}

static int zcdev_dma_piece_cmp(const void *a, const void *b)
{
	const struct zcdev_dma_piece *x = a, *y = b;

	if (x->page != y->page)
		return x->page < y->page ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static unsigned int zcdev_dma_add_pieces(struct zcdev_dma_piece *p,
					 struct page **pages, u64 first_byte,
					 u64 len, bool is_dst)
{
	unsigned int n = 0;

	while (len) {
		u32 chunk = min_t(u64, len, PAGE_SIZE - first_byte);

		p[n].page = pages[n];
		p[n].first = first_byte;
		p[n].end = first_byte + chunk;
		p[n].is_dst = is_dst;
		n++;
		len -= chunk;
		first_byte = 0;
	}
	return n;
}

/*
 * Do the bytes a segment reads and the bytes it writes share memory? Same
 * buffer: compare offsets. Otherwise compare pages, which also catches a
 * user range that maps a zcdev buffer. Coherent memory has no pages, but
 * it cannot be pinned either, so only its own buffer can overlap it.
 */
static int zcdev_dma_overlap(const struct zcdev_dma_end *src,
			     const struct zcdev_dma_end *dst, bool *overlap)
{
	struct zcdev_dma_piece *pieces;
	struct page **sp, **dp;
	u64 sfirst, dfirst;
	u32 src_end = 0, dst_end = 0;
	struct page *cur = NULL;
	unsigned int n, i;

	*overlap = false;
	if (src->buf && src->buf == dst->buf) {
		*overlap = src->offset < dst->offset + dst->len &&
			   dst->offset < src->offset + src->len;
		return 0;
	}
	sp = zcdev_dma_end_pages(src, &sfirst);
	dp = zcdev_dma_end_pages(dst, &dfirst);
	if (!sp || !dp)
		return 0;

	n = DIV_ROUND_UP(sfirst + src->len, PAGE_SIZE) +
	    DIV_ROUND_UP(dfirst + dst->len, PAGE_SIZE);
	pieces = kvmalloc_array(n, sizeof(*pieces), GFP_KERNEL);
	if (!pieces)
		return -ENOMEM;
	n = zcdev_dma_add_pieces(pieces, sp, sfirst, src->len, false);
	n += zcdev_dma_add_pieces(pieces + n, dp, dfirst, dst->len, true);
	sort(pieces, n, sizeof(*pieces), zcdev_dma_piece_cmp, NULL);

	/* Sorted by page, then start: a piece overlaps an earlier one of the
	 * other side on its page iff it starts before that side's furthest end.
	 */
	for (i = 0; i < n && !*overlap; i++) {
		if (pieces[i].page != cur) {
			cur = pieces[i].page;
			src_end = 0;
			dst_end = 0;
		}
		if (pieces[i].is_dst) {
			*overlap = pieces[i].first < src_end;
			dst_end = max(dst_end, pieces[i].end);
		} else {
			*overlap = pieces[i].first < dst_end;
			src_end = max(src_end, pieces[i].end);
		}
	}
	kvfree(pieces);
	return 0;
}

static int zcdev_dma_check_seg(const struct zcdev_dma_seg_desc *seg)
{
	const struct zcdev_dma_ep *eps[] = { &seg->src, &seg->dst };
	int i;

	if (!seg->len) {
		pr_info_ratelimited("dma refused: zero-length segment\n");
		return -EINVAL;
	}
	if (seg->len > zcdev_max_buf_bytes) {
		pr_info_ratelimited("dma refused: segment of %llu bytes is over max_buf_bytes (%lu)\n",
				    seg->len, zcdev_max_buf_bytes);
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(eps); i++) {
		if (eps[i]->type != ZCDEV_DMA_EP_BUF &&
		    eps[i]->type != ZCDEV_DMA_EP_USER) {
			pr_info_ratelimited("dma refused: unknown endpoint type %u\n",
					    eps[i]->type);
			return -EINVAL;
		}
	}
	return 0;
}

static int zcdev_dma_build_end(struct zcdev_xfer *x, struct zcdev_dma_end *end,
			       const struct zcdev_dma_ep *ep, u64 len,
			       bool is_dst)
{
	x->nr_ends++;
	if (ep->type == ZCDEV_DMA_EP_BUF)
		return zcdev_dma_end_buf(x, end, ep, len);
	return zcdev_dma_end_user(x, end, ep, len, is_dst);
}

/*
 * Resolve, pin and map every end of every segment, refuse overlaps, and
 * lay out the descriptors. On error the caller undoes it with unbuild.
 */
int zcdev_dma_build(struct zcdev_xfer *x, const struct zcdev_dma_seg_desc *segs,
		    unsigned int nr_segs)
{
	u64 max_run = dma_get_max_seg_size(x->dev);
	unsigned int i, n = 0;
	int ret;

	x->ends = kvcalloc(2 * nr_segs, sizeof(*x->ends), GFP_KERNEL_ACCOUNT);
	if (!x->ends)
		return -ENOMEM;
	for (i = 0; i < nr_segs; i++) {
		struct zcdev_dma_end *src = &x->ends[2 * i];
		struct zcdev_dma_end *dst = src + 1;
		bool overlap;

		ret = zcdev_dma_check_seg(&segs[i]);
		if (ret)
			return ret;
		ret = zcdev_dma_build_end(x, src, &segs[i].src, segs[i].len,
					  false);
		if (ret)
			return ret;
		ret = zcdev_dma_build_end(x, dst, &segs[i].dst, segs[i].len,
					  true);
		if (ret)
			return ret;
		ret = zcdev_dma_overlap(src, dst, &overlap);
		if (ret)
			return ret;
		if (overlap) {
			pr_info_ratelimited("dma refused: segment %u reads and writes the same memory\n",
					    i);
			return -EINVAL;
		}
		n += zcdev_dma_seg_runs(src, dst, max_run, NULL);
		x->total += segs[i].len;
	}

	x->runs = kvmalloc_array(n, sizeof(*x->runs), GFP_KERNEL_ACCOUNT);
	if (!x->runs)
		return -ENOMEM;
	for (i = 0; i < nr_segs; i++)
		x->nr_runs += zcdev_dma_seg_runs(&x->ends[2 * i],
						 &x->ends[2 * i + 1], max_run,
						 x->runs + x->nr_runs);
	return 0;
}

void zcdev_dma_unbuild(struct zcdev_xfer *x)
{
	unsigned int i;

	for (i = 0; i < x->nr_ends; i++)
		zcdev_dma_end_release(x->dev, &x->ends[i]);
	kvfree(x->ends);
	kvfree(x->runs);
	if (x->mm) {
		account_locked_vm(x->mm, x->locked_pages, false);
		mmdrop(x->mm);
	}
}

/*
 * Buffer ends use the buffer's long-lived streaming mapping: hand their
 * ranges to the device before the engine runs and back to the CPU after.
 */
void zcdev_dma_sync_bufs(struct zcdev_xfer *x, bool for_cpu)
{
	unsigned int i;

	for (i = 0; i < x->nr_ends; i++) {
		struct zcdev_dma_end *end = &x->ends[i];

		if (end->buf)
			zcdev_buf_sync(end->buf, end->offset, end->len,
				       for_cpu);
	}
}
