// SPDX-License-Identifier: GPL-2.0
/*
 * From the caller's segments to engine descriptors: every endpoint becomes
 * bus addresses for the channel's device (a zcdev buffer's own mapping, an
 * imported buffer's mapping for the transfer (dma_import.c), or user memory
 * pinned and mapped by dma_user.c, a physically contiguous run of pages at
 * a time), and each segment becomes the runs that are contiguous on both
 * sides at once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/log2.h>
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
	u64 user_left;			/* user memory: bytes known contiguous */
	dma_addr_t user_addr;		/* user memory: where they start */
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

/*
 * User pages: bytes contiguous in bus addresses from the cursor on, looked
 * for only as far as @want (what is left of the end) and remembered until
 * advanced past: when the other side cuts the runs short page after page,
 * walking a long contiguous stretch again for each of them would take
 * quadratic time.
 */
static u64 zcdev_dma_cursor_peek_user(struct zcdev_dma_cursor *cur,
				      dma_addr_t *addr, u64 want)
{
	const struct zcdev_dma_upage *u = cur->x->upages;
	unsigned int i = cur->upage;
	u64 n;

	if (cur->user_left) {
		*addr = cur->user_addr;
		return cur->user_left;
	}
	if (i >= cur->x->nr_upages)
		return 0;
	*addr = u[i].dma + cur->skip;
	n = PAGE_SIZE - cur->skip;
	/* Adjacent user pages that are adjacent for the device too. */
	while (n < want && i + 1 < cur->x->nr_upages &&
	       u[i + 1].uaddr == u[i].uaddr + PAGE_SIZE &&
	       u[i + 1].dma == u[i].dma + PAGE_SIZE) {
		n += PAGE_SIZE;
		i++;
	}
	cur->user_addr = *addr;
	cur->user_left = n;
	return n;
}

/*
 * Bytes contiguous from the cursor on (U64_MAX: all of them), at *@addr;
 * for user memory, at least @want if there are that many.
 */
static u64 zcdev_dma_cursor_peek(struct zcdev_dma_cursor *cur,
				 dma_addr_t *addr, u64 want)
{
	if (cur->x)
		return zcdev_dma_cursor_peek_user(cur, addr, want);
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
		cur->user_left -= min(cur->user_left, n);
		cur->user_addr += n;
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

		len = min(len, zcdev_dma_cursor_peek(&s, &sa, left));
		len = min(len, zcdev_dma_cursor_peek(&d, &da, left));
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

/* Where an end's range starts in its page table (upages or buf->pages). */
static unsigned long zcdev_dma_end_first_page(const struct zcdev_xfer *x,
					      const struct zcdev_dma_end *end)
{
	if (end->is_user)
		return zcdev_dma_upage_find(x, end->offset);
	return end->offset >> PAGE_SHIFT;
}

/* The page holding the @i-th page of an end's range, @first from above. */
static struct page *zcdev_dma_end_page(const struct zcdev_xfer *x,
				       const struct zcdev_dma_end *end,
				       unsigned long first, unsigned long i)
{
	if (end->is_user)
		return x->upages[first + i].page;
	return zcdev_dma_end_mem(end)->pages[first + i];
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
	unsigned long first = zcdev_dma_end_first_page(x, end);
	u64 first_byte = offset_in_page(end->offset);
	u64 len = end->len;
	unsigned int n = 0;

	while (len) {
		u32 chunk = min_t(u64, len, PAGE_SIZE - first_byte);

		p[n].page = zcdev_dma_end_page(x, end, first, n);
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
 * The common case of the page comparison, in linear time: the source's
 * pieces go into a hash table by page, the destination's look theirs up.
 * -EAGAIN if the source holds a page twice (one page mapped at two user
 * addresses), which a table of one piece per page cannot answer: the
 * caller sorts instead.
 */
static int zcdev_dma_overlap_hashed(const struct zcdev_dma_piece *p,
				    unsigned int nr_src, unsigned int nr,
				    bool *overlap)
{
	unsigned int bits = ilog2(roundup_pow_of_two(2 * nr_src));
	unsigned int mask = (1U << bits) - 1;
	const struct zcdev_dma_piece **table;
	unsigned int i, h;
	int ret = 0;

	table = kvcalloc(mask + 1, sizeof(*table), GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	for (i = 0; i < nr_src && !ret; i++) {
		for (h = hash_ptr(p[i].page, bits); table[h]; h = (h + 1) & mask)
			if (table[h]->page == p[i].page)
				ret = -EAGAIN;
		table[h] = &p[i];
	}
	for (i = nr_src; i < nr && !ret && !*overlap; i++)
		for (h = hash_ptr(p[i].page, bits); table[h]; h = (h + 1) & mask)
			if (table[h]->page == p[i].page) {
				*overlap = p[i].first < table[h]->end &&
					   table[h]->first < p[i].end;
				break;
			}
	kvfree(table);
	return ret;
}

/* Physically contiguous bytes of one side, [@start, @end). */
struct zcdev_dma_prange {
	phys_addr_t start;
	phys_addr_t end;
};

/* Sides of at most this many stretches are compared stretch by stretch. */
#define ZCDEV_DMA_FEW_PRANGES	8

/*
 * The physical stretches of an end, merged, into @r; 0 if there are more
 * than @max. A page at a time, but a few instructions each.
 */
static unsigned int zcdev_dma_end_pranges(const struct zcdev_xfer *x,
					  const struct zcdev_dma_end *end,
					  struct zcdev_dma_prange *r,
					  unsigned int max)
{
	unsigned long first = zcdev_dma_end_first_page(x, end), i;
	u64 skip = offset_in_page(end->offset);
	u64 len = end->len;
	unsigned int n = 0;

	for (i = 0; len; i++) {
		u64 chunk = min_t(u64, len, PAGE_SIZE - skip);
		phys_addr_t p = page_to_phys(zcdev_dma_end_page(x, end, first,
								i)) + skip;

		if (n && r[n - 1].end == p) {
			r[n - 1].end += chunk;
		} else {
			if (n == max)
				return 0;
			r[n].start = p;
			r[n].end = p + chunk;
			n++;
		}
		len -= chunk;
		skip = 0;
	}
	return n;
}

/*
 * The overlap check for sides of few physically contiguous stretches
 * (THP-backed or otherwise contiguous memory): every pair of stretches,
 * with no allocation, no sorting and no table a page at a time. Returns
 * false if a side has too many stretches for that.
 */
static bool zcdev_dma_overlap_few(const struct zcdev_xfer *x,
				  const struct zcdev_dma_end *src,
				  const struct zcdev_dma_end *dst, bool *overlap)
{
	struct zcdev_dma_prange s[ZCDEV_DMA_FEW_PRANGES];
	struct zcdev_dma_prange d[ZCDEV_DMA_FEW_PRANGES];
	unsigned int ns, nd, i, j;

	ns = zcdev_dma_end_pranges(x, src, s, ARRAY_SIZE(s));
	nd = ns ? zcdev_dma_end_pranges(x, dst, d, ARRAY_SIZE(d)) : 0;
	if (!nd)
		return false;
	for (i = 0; i < ns; i++)
		for (j = 0; j < nd; j++)
			if (s[i].start < d[j].end && d[j].start < s[i].end)
				*overlap = true;
	return true;
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
	unsigned int n, nr_src, i;
	int ret;

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
	if (zcdev_dma_overlap_few(x, src, dst, overlap))
		return 0;

	n = DIV_ROUND_UP(offset_in_page(src->offset) + src->len, PAGE_SIZE) +
	    DIV_ROUND_UP(offset_in_page(dst->offset) + dst->len, PAGE_SIZE);
	pieces = kvmalloc_array(n, sizeof(*pieces), GFP_KERNEL);
	if (!pieces)
		return -ENOMEM;
	nr_src = zcdev_dma_add_pieces(pieces, x, src, false);
	n = nr_src + zcdev_dma_add_pieces(pieces + nr_src, x, dst, true);
	ret = zcdev_dma_overlap_hashed(pieces, nr_src, n, overlap);
	if (ret != -EAGAIN) {
		kvfree(pieces);
		return ret;
	}
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
