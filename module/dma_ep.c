// SPDX-License-Identifier: GPL-2.0
/*
 * From the caller's segments to engine descriptors: every endpoint becomes
 * bus addresses for the channel's device (a zcdev buffer's own mapping, an
 * imported buffer's mapping for the transfer (dma_import.c), or user memory
 * pinned and mapped once per page by dma_user.c), and each segment becomes
 * the runs that are contiguous on both sides at once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/overflow.h>
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
			     const struct zcdev_dma_ep *ep, u64 len,
			     bool is_dst)
{
	struct zcdev_buf *buf;
	u64 last;

	buf = zcdev_buf_get(x->zf, ep->handle);
	if (!buf)
		return zcdev_refuse("dma_submit", -ENOENT, "no_handle",
				    ep->handle);
	end->buf = buf;
	end->offset = ep->addr;
	end->len = len;
	if (check_add_overflow(ep->addr, len, &last) || last > buf->len)
		return zcdev_refuse("dma_submit", -EINVAL, "bad_range",
				    ep->addr);
	/* Mapped (or attached) for the stand-in device before the channel came. */
	if (buf->dma_dev != x->dev)
		return zcdev_refuse("dma_submit", -EXDEV, "mapped_for_other_dev",
				    buf->handle);
	if (buf->kind == ZCDEV_BUF_PAGES)
		end->sgt = &buf->sgt;
	/* Its mapping is made for the whole transfer, after the fences. */
	if (buf->kind == ZCDEV_BUF_DMABUF)
		return zcdev_dma_import_add(x, buf, is_dst);
	return 0;
}

/* User memory is only checked here; dma_user.c pins and maps it. */
static int zcdev_dma_end_user(struct zcdev_dma_end *end,
			      const struct zcdev_dma_ep *ep, u64 len,
			      bool is_dst)
{
	u64 last;

	if (ep->handle)
		return zcdev_refuse("dma_submit", -EINVAL, "user_ep_handle",
				    ep->handle);
	/* On 32-bit, u64_to_user_ptr() and access_ok() drop the high half. */
	if (check_add_overflow(ep->addr, len, &last) ||
	    last != (unsigned long)last ||
	    !access_ok(u64_to_user_ptr(ep->addr), len))
		return zcdev_refuse("dma_submit", -EFAULT, "not_user_memory",
				    ep->addr);
	end->is_user = true;
	end->offset = ep->addr;
	end->len = len;
	end->to_device_only = !is_dst;
	return 0;
}

/* Walks the bus addresses of one end, contiguous piece by piece. */
struct zcdev_dma_cursor {
	const struct zcdev_xfer *x;	/* user memory: its page table */
	unsigned int upage;		/* user memory: current page */
	struct scatterlist *sg;		/* PAGES, import: current segment */
	unsigned int sg_left;
	u64 skip;			/* bytes into the page or segment */
	dma_addr_t single;		/* COHERENT buffer: next address */
};

static void zcdev_dma_cursor_init(struct zcdev_dma_cursor *cur,
				  const struct zcdev_xfer *x,
				  const struct zcdev_dma_end *end)
{
	memset(cur, 0, sizeof(*cur));
	if (end->is_user) {
		cur->x = x;
		cur->upage = zcdev_dma_upage_find(x, end->offset);
		cur->skip = offset_in_page(end->offset);
	} else if (end->buf->kind == ZCDEV_BUF_COHERENT) {
		cur->single = end->buf->dma_addr + end->offset;
	} else {
		cur->sg = end->sgt->sgl;
		cur->sg_left = end->sgt->nents;
		cur->skip = end->offset;
	}
}

/* User pages: bytes contiguous in bus addresses from the cursor on. */
static u64 zcdev_dma_cursor_peek_user(struct zcdev_dma_cursor *cur,
				      dma_addr_t *addr)
{
	const struct zcdev_dma_upage *u = cur->x->upages;
	unsigned int i = cur->upage;
	u64 n;

	if (i >= cur->x->nr_upages)
		return 0;
	*addr = u[i].dma + cur->skip;
	n = PAGE_SIZE - cur->skip;
	/* Adjacent user pages that are adjacent for the device too. */
	while (i + 1 < cur->x->nr_upages &&
	       u[i + 1].uaddr == u[i].uaddr + PAGE_SIZE &&
	       u[i + 1].dma == u[i].dma + PAGE_SIZE) {
		n += PAGE_SIZE;
		i++;
	}
	return n;
}

/* Bytes contiguous from the cursor on (U64_MAX: all of them), at *@addr. */
static u64 zcdev_dma_cursor_peek(struct zcdev_dma_cursor *cur,
				 dma_addr_t *addr)
{
	if (cur->x)
		return zcdev_dma_cursor_peek_user(cur, addr);
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
	if (cur->x) {
		cur->skip += n;
		cur->upage += cur->skip >> PAGE_SHIFT;
		cur->skip = offset_in_page(cur->skip);
	} else if (cur->sg) {
		cur->skip += n;
	} else {
		cur->single += n;
	}
}

/* Count (@runs NULL) or fill the runs of one segment; returns the count. */
static unsigned int zcdev_dma_seg_runs(const struct zcdev_xfer *x,
				       const struct zcdev_dma_end *src,
				       const struct zcdev_dma_end *dst,
				       u64 max_run, struct zcdev_dma_run *runs)
{
	struct zcdev_dma_cursor s, d;
	u64 left = src->len;
	unsigned int n = 0;

	zcdev_dma_cursor_init(&s, x, src);
	zcdev_dma_cursor_init(&d, x, dst);
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

/*
 * The zcdev buffer whose memory a buffer end is: its own, or for an import
 * of a zcdev export the exported buffer (at the same offsets: an import
 * starts at its dma-buf's start). NULL for user memory and for other
 * exporters' memory, whose pages the dma-buf contract keeps from importers.
 */
static struct zcdev_buf *zcdev_dma_end_mem(const struct zcdev_dma_end *end)
{
	if (!end->buf)
		return NULL;
	if (end->buf->kind == ZCDEV_BUF_DMABUF)
		return zcdev_import_exported_buf(end->buf);
	return end->buf;
}

/* The page holding the @i-th page of an end's range. */
static struct page *zcdev_dma_end_page(const struct zcdev_xfer *x,
				       const struct zcdev_dma_end *end,
				       unsigned long i)
{
	if (end->is_user)
		return x->upages[zcdev_dma_upage_find(x, end->offset) + i].page;
	return zcdev_dma_end_mem(end)->pages[(end->offset >> PAGE_SHIFT) + i];
}

static int zcdev_dma_piece_cmp(const void *a, const void *b)
{
	const struct zcdev_dma_piece *x = a, *y = b;

	if (x->page != y->page)
		return x->page < y->page ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static unsigned int zcdev_dma_add_pieces(struct zcdev_dma_piece *p,
					 const struct zcdev_xfer *x,
					 const struct zcdev_dma_end *end,
					 bool is_dst)
{
	u64 first_byte = offset_in_page(end->offset);
	u64 len = end->len;
	unsigned int n = 0;

	while (len) {
		u32 chunk = min_t(u64, len, PAGE_SIZE - first_byte);

		p[n].page = zcdev_dma_end_page(x, end, n);
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
 * buffer, or a zcdev buffer and an import of its export: compare offsets.
 * Otherwise compare pages, which also catches a user range that maps a
 * zcdev buffer. Coherent memory has no pages, but it cannot be pinned
 * either, so only its own buffer can overlap it. Other exporters' memory
 * is opaque (no pages to compare): an overlap with it goes unseen, and
 * costs the caller its bytes, not the kernel anything.
 */
static int zcdev_dma_overlap(const struct zcdev_xfer *x,
			     const struct zcdev_dma_end *src,
			     const struct zcdev_dma_end *dst, bool *overlap)
{
	struct zcdev_buf *smem = zcdev_dma_end_mem(src);
	struct zcdev_buf *dmem = zcdev_dma_end_mem(dst);
	struct zcdev_dma_piece *pieces;
	u32 src_end = 0, dst_end = 0;
	struct page *cur = NULL;
	unsigned int n, i;

	*overlap = false;
	if ((src->buf && src->buf == dst->buf) || (smem && smem == dmem)) {
		*overlap = src->offset < dst->offset + dst->len &&
			   dst->offset < src->offset + src->len;
		return 0;
	}
	if ((src->buf && !smem) || (dst->buf && !dmem))
		return 0;
	if ((smem && smem->kind == ZCDEV_BUF_COHERENT) ||
	    (dmem && dmem->kind == ZCDEV_BUF_COHERENT))
		return 0;
	/* Two buffers never share pages: only user memory can alias. */
	if (!src->is_user && !dst->is_user)
		return 0;

	n = DIV_ROUND_UP(offset_in_page(src->offset) + src->len, PAGE_SIZE) +
	    DIV_ROUND_UP(offset_in_page(dst->offset) + dst->len, PAGE_SIZE);
	pieces = kvmalloc_array(n, sizeof(*pieces), GFP_KERNEL);
	if (!pieces)
		return -ENOMEM;
	n = zcdev_dma_add_pieces(pieces, x, src, false);
	n += zcdev_dma_add_pieces(pieces + n, x, dst, true);
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

	if (!seg->len)
		return zcdev_refuse("dma_submit", -EINVAL, "zero_len", 0);
	if (seg->len > zcdev_max_buf_bytes)
		return zcdev_refuse("dma_submit", -EINVAL, "max_buf_bytes",
				    seg->len);
	for (i = 0; i < ARRAY_SIZE(eps); i++) {
		if (eps[i]->type != ZCDEV_DMA_EP_BUF &&
		    eps[i]->type != ZCDEV_DMA_EP_USER)
			return zcdev_refuse("dma_submit", -EINVAL, "ep_type",
					    eps[i]->type);
	}
	return 0;
}

static int zcdev_dma_build_end(struct zcdev_xfer *x, struct zcdev_dma_end *end,
			       const struct zcdev_dma_ep *ep, u64 len,
			       bool is_dst)
{
	x->nr_ends++;
	if (ep->type == ZCDEV_DMA_EP_BUF)
		return zcdev_dma_end_buf(x, end, ep, len, is_dst);
	return zcdev_dma_end_user(end, ep, len, is_dst);
}

/*
 * Resolve every end of every segment, wait for imported buffers' fences and
 * map them, pin and map the user memory, refuse overlaps, lay out the
 * descriptors, and fence the imports the transfer writes. On error the
 * caller undoes it with unbuild.
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
		ret = zcdev_dma_check_seg(&segs[i]);
		if (ret)
			return ret;
		ret = zcdev_dma_build_end(x, &x->ends[2 * i], &segs[i].src,
					  segs[i].len, false);
		if (ret)
			return ret;
		ret = zcdev_dma_build_end(x, &x->ends[2 * i + 1], &segs[i].dst,
					  segs[i].len, true);
		if (ret)
			return ret;
		x->total += segs[i].len;
	}
	ret = zcdev_dma_imports_prepare(x);
	if (ret)
		return ret;
	ret = zcdev_dma_user_prepare(x);
	if (ret)
		return ret;

	for (i = 0; i < nr_segs; i++) {
		bool overlap;

		ret = zcdev_dma_overlap(x, &x->ends[2 * i], &x->ends[2 * i + 1],
					&overlap);
		if (ret)
			return ret;
		if (overlap)
			return zcdev_refuse("dma_submit", -EINVAL, "overlap", i);
		n += zcdev_dma_seg_runs(x, &x->ends[2 * i], &x->ends[2 * i + 1],
					max_run, NULL);
	}

	x->runs = kvmalloc_array(n, sizeof(*x->runs), GFP_KERNEL_ACCOUNT);
	if (!x->runs)
		return -ENOMEM;
	for (i = 0; i < nr_segs; i++)
		x->nr_runs += zcdev_dma_seg_runs(x, &x->ends[2 * i],
						 &x->ends[2 * i + 1], max_run,
						 x->runs + x->nr_runs);
	return zcdev_dma_imports_fence(x);
}

void zcdev_dma_unbuild(struct zcdev_xfer *x)
{
	unsigned int i;

	/* Fences first: nothing of the transfer touches the memory now. */
	zcdev_dma_imports_release(x);

	for (i = 0; i < x->nr_ends; i++)
		if (x->ends[i].buf)
			zcdev_buf_put(x->ends[i].buf);
	zcdev_dma_user_release(x);
	kvfree(x->ends);
	kvfree(x->runs);
}

/*
 * Buffer ends use the buffer's long-lived streaming mapping: hand their
 * ranges to the device before the engine runs and back to the CPU after.
 * An import's mapping lives only as long as transfers use it, and its
 * exporter syncs it when it is made and dropped.
 */
void zcdev_dma_sync_bufs(struct zcdev_xfer *x, bool for_cpu)
{
	unsigned int i;

	for (i = 0; i < x->nr_ends; i++) {
		struct zcdev_dma_end *end = &x->ends[i];

		if (end->buf)
			zcdev_buf_sync_range(end->buf, end->offset, end->len,
					     for_cpu);
	}
}
