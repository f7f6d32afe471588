// SPDX-License-Identifier: GPL-2.0
/*
 * zcdma - a software dmaengine provider, so zcdev's DMA paths can be
 * exercised and measured on machines (and VMs) without a DMA engine.
 *
 * Loading the module creates the platform device "zcdma" and registers one
 * DMA device on it with `channels` DMA_MEMCPY channels, dmaNchan0 upwards in
 * /sys/class/dma. The device is private (DMA_PRIVATE): channels go only to
 * clients that ask for one, dma_request_chan_by_mask() with DMA_MEMCPY or
 * dma_request_channel() with a filter, never to async_tx, which would
 * otherwise hold every channel (and this module) for as long as it is
 * loaded.
 *
 * Each channel behaves like a device, not like a helper library:
 *  - it reads and writes memory only through the DMA addresses in the
 *    descriptor. Clients map their memory for the device returned by
 *    dmaengine_get_dma_device() (the platform device, 64-bit mask,
 *    dma-direct); the channel translates back with dma_to_phys(), the way
 *    an IOMMU or a bus would, and copies with the CPU. An address that is
 *    not System RAM fails the descriptor (DMA_TRANS_READ_FAILED or
 *    DMA_TRANS_WRITE_FAILED) instead of touching it;
 *  - descriptors run one at a time, in cookie order, on a work item of the
 *    channel, never in the submitter's context;
 *  - completion callbacks run from that work item with bottom halves
 *    disabled, so they see the atomic context of a real driver's tasklet.
 *    Callbacks of descriptors prepared without DMA_PREP_INTERRUPT are
 *    batched until one with it completes or the channel goes idle, as
 *    interrupt coalescing would;
 *  - results: callback_result gets a struct dmaengine_result, and
 *    device_tx_status() reports DMA_ERROR for recently failed cookies
 *    (with the residue the failure left) and for those dropped by the
 *    last terminate_all, and residue for descriptors in flight or
 *    queued. Polled from a context that may sleep, it yields the CPU
 *    while the cookie is in progress, because
 *    this engine, unlike hardware, needs a CPU to get anywhere;
 *  - terminate_all drops everything queued without calling back (as
 *    provider.rst asks) and stops a running copy at the next chunk;
 *    synchronize waits until the work item, and so every callback, is done.
 *
 * Knobs for experiments (module parameters, writable at runtime) slow a
 * channel down or make it fail; statistics per channel are in debugfs,
 * zcdma/chanN.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bottom_half.h>
#include <linux/debugfs.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/highmem.h>
#include <linux/hrtimer.h>
#include <linux/ioport.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/platform_device.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#ifdef CONFIG_X86
#include <asm/fpu/api.h>
#endif

#include "compat.h"

#define ZCDMA_MAX_CHANNELS	64

/* Copy granule: between two, the worker yields the CPU and checks for abort. */
#define ZCDMA_CHUNK		SZ_64K

/* How many failed cookies per channel device_tx_status() remembers. */
#define ZCDMA_ERR_COOKIES	16

/* Flags a memcpy descriptor may carry; FENCE holds trivially (in order). */
#define ZCDMA_PREP_FLAGS	(DMA_PREP_INTERRUPT | DMA_CTRL_ACK | DMA_PREP_FENCE)

#define ZCDMA_BUSWIDTHS		(BIT(DMA_SLAVE_BUSWIDTH_1_BYTE) | \
				 BIT(DMA_SLAVE_BUSWIDTH_2_BYTES) | \
				 BIT(DMA_SLAVE_BUSWIDTH_4_BYTES) | \
				 BIT(DMA_SLAVE_BUSWIDTH_8_BYTES))

static unsigned int channels = 2;
module_param(channels, uint, 0444);
MODULE_PARM_DESC(channels, "Number of DMA_MEMCPY channels (default 2, 1 to 64)");

static unsigned int latency_us;
module_param(latency_us, uint, 0644);
MODULE_PARM_DESC(latency_us, "Added latency per descriptor in microseconds, before its copy starts (default 0)");

static unsigned int bandwidth_mbps;
module_param(bandwidth_mbps, uint, 0644);
MODULE_PARM_DESC(bandwidth_mbps, "Bandwidth cap per channel in MB/s, 1 MB = 10^6 bytes (default 0: unlimited)");

static unsigned int fail_every;
module_param(fail_every, uint, 0644);
MODULE_PARM_DESC(fail_every, "Fail every Nth descriptor of a channel without copying, alternately with DMA_TRANS_READ_FAILED and DMA_TRANS_WRITE_FAILED (default 0: never)");

/**
 * struct zcdma_fpu_stats - the preemption-off sections of one descriptor
 * @sections: how many
 * @over_1ms: how many lasted more than 1 ms
 * @max_bytes: most bytes one of them copied
 * @max_ns: the longest
 */
struct zcdma_fpu_stats {
	u64 sections;
	u64 over_1ms;
	u64 max_bytes;
	u64 max_ns;
};

/**
 * struct zcdma_desc - one memcpy transaction
 * @tx: what the client holds; @tx.cookie is assigned at submit
 * @node: place in one of the channel's lists, guarded by the channel's lock
 * @src: DMA address to read from
 * @dst: DMA address to write to
 * @len: bytes to copy, at most UINT_MAX so the residue fits
 * @done: bytes copied so far; written only by the worker, read under the
 *	channel's lock for the residue
 * @result: outcome handed to the client's callback_result
 * @fpu: its preemption-off sections, added to the channel's stats at the end
 * @aborted: set under the channel's lock by terminate_all while the worker
 *	runs this descriptor; the worker then stops and frees it silently
 * @injected: failed on purpose (fail_every); worker only
 */
struct zcdma_desc {
	struct dma_async_tx_descriptor tx;
	struct list_head node;
	dma_addr_t src;
	dma_addr_t dst;
	size_t len;
	size_t done;
	struct dmaengine_result result;
	struct zcdma_fpu_stats fpu;
	bool aborted;
	bool injected;
};

/**
 * struct zcdma_stats - what a channel has done since the module was loaded
 * @descs: descriptors finished, with any result
 * @bytes: bytes copied
 * @injected: descriptors failed on purpose (fail_every)
 * @faults: descriptors failed on an address that is not RAM
 * @aborted: descriptors dropped by terminate_all, running or queued
 * @fpu_sections: kernel_fpu_begin() sections (preemption off) run
 * @fpu_over_1ms: those that lasted more than 1 ms of wall time (under
 *	TCG mostly the host descheduling the vCPU mid-section)
 * @fpu_max_bytes: most bytes one section copied: the bound by design
 * @fpu_max_ns: longest section in wall time
 */
struct zcdma_stats {
	u64 descs;
	u64 bytes;
	u64 injected;
	u64 faults;
	u64 aborted;
	u64 fpu_sections;
	u64 fpu_over_1ms;
	u64 fpu_max_bytes;
	u64 fpu_max_ns;
};

/**
 * struct zcdma_chan - one software DMA channel
 * @chan: the dmaengine channel; its cookie and completed_cookie are
 *	guarded by @lock
 * @lock: guards the descriptor lists, @active, the cookies, @err_cookies,
 *	@err_next, @abort_from, @abort_to and @stats. Taken with interrupts
 *	off: prep, submit, issue_pending, tx_status and terminate_all may be
 *	called from hard interrupt context.
 * @allocated: prepared, not yet submitted; freed at the latest with the
 *	channel's resources if the client never submits them
 * @submitted: submitted, waiting for issue_pending
 * @issued: waiting for the worker, in cookie order
 * @active: the descriptor the worker is running, or NULL; it is on no list
 * @completed: done, waiting for their callbacks
 * @unacked: called back, but without DMA_CTRL_ACK: the client may still
 *	chain on them (async_tx), so they live until acked or the channel's
 *	resources are freed
 * @work: the engine; one instance runs at a time, so descriptors complete
 *	in order
 * @wait: where the worker sleeps out latency_us and bandwidth_mbps;
 *	terminate_all wakes it
 * @seq: descriptors started, for fail_every; worker only
 * @err_cookies: the last ZCDMA_ERR_COOKIES cookies that failed
 * @err_residues: what each of @err_cookies left uncopied, for clients
 *	that read a failure from tx_status rather than callback_result
 * @err_next: slot in @err_cookies to overwrite next
 * @abort_from: with @abort_to, the cookies in (@abort_from, @abort_to]
 *	were dropped by the last terminate_all
 * @abort_to: see @abort_from
 * @stats: counters for debugfs
 */
struct zcdma_chan {
	struct dma_chan chan;
	/* Guards lists, cookies, error records and stats; see @lock. */
	spinlock_t lock;
	struct list_head allocated;
	struct list_head submitted;
	struct list_head issued;
	struct zcdma_desc *active;
	struct list_head completed;
	struct list_head unacked;
	struct work_struct work;
	wait_queue_head_t wait;
	unsigned long seq;
	dma_cookie_t err_cookies[ZCDMA_ERR_COOKIES];
	u32 err_residues[ZCDMA_ERR_COOKIES];
	unsigned int err_next;
	dma_cookie_t abort_from;
	dma_cookie_t abort_to;
	struct zcdma_stats stats;
};

/**
 * struct zcdma_dev - the DMA device and its channels
 * @dma: the dmaengine device; freed through its device_release once
 *	unregistered and unused
 * @debugfs: zcdma/ in debugfs, one file per channel
 * @nr_chans: number of entries in @chans
 * @chans: the channels
 */
struct zcdma_dev {
	struct dma_device dma;
	struct dentry *debugfs;
	unsigned int nr_chans;
	struct zcdma_chan chans[];
};

static struct kmem_cache *zcdma_desc_cache;
/* Runs the channels' work items; unbound, because copying is CPU work. */
static struct workqueue_struct *zcdma_wq;
static struct platform_device *zcdma_pdev;

static struct zcdma_chan *to_zcdma_chan(struct dma_chan *chan)
{
	return container_of(chan, struct zcdma_chan, chan);
}

static struct zcdma_desc *to_zcdma_desc(struct dma_async_tx_descriptor *tx)
{
	return container_of(tx, struct zcdma_desc, tx);
}

/*
 * Cookie helpers. The kernel's own live in the private drivers/dma/dmaengine.h,
 * out of reach of an out-of-tree module; these follow them. Callers hold the
 * channel's lock.
 */
static void zcdma_cookie_init(struct dma_chan *chan)
{
	chan->cookie = DMA_MIN_COOKIE;
	chan->completed_cookie = DMA_MIN_COOKIE;
}

static dma_cookie_t zcdma_cookie_assign(struct dma_async_tx_descriptor *tx)
{
	struct dma_chan *chan = tx->chan;
	dma_cookie_t cookie = chan->cookie + 1;

	if (cookie < DMA_MIN_COOKIE)
		cookie = DMA_MIN_COOKIE;
	tx->cookie = cookie;
	chan->cookie = cookie;
	return cookie;
}

static void zcdma_cookie_complete(struct dma_async_tx_descriptor *tx)
{
	tx->chan->completed_cookie = tx->cookie;
	/* A second completion of the same descriptor would be a bug; make it loud. */
	tx->cookie = 0;
}

/* Whether @cookie lies in (@from, @to], the window arithmetic of the core. */
static bool zcdma_cookie_in(dma_cookie_t cookie, dma_cookie_t from,
			    dma_cookie_t to)
{
	return dma_async_is_complete(cookie, from, to) != DMA_COMPLETE;
}

/* Like the core's dmaengine_desc_get_callback_invoke(), also private. */
static void zcdma_desc_callback(struct zcdma_desc *d)
{
	struct dma_async_tx_descriptor *tx = &d->tx;

	if (tx->callback_result)
		tx->callback_result(tx->callback_param, &d->result);
	else if (tx->callback)
		tx->callback(tx->callback_param);
}

static void zcdma_desc_free(struct zcdma_desc *d)
{
	/* Unmap data the client attached (async_tx) goes with the descriptor. */
	dma_descriptor_unmap(&d->tx);
	kmem_cache_free(zcdma_desc_cache, d);
}

static void zcdma_desc_free_list(struct list_head *head)
{
	struct zcdma_desc *d, *tmp;

	list_for_each_entry_safe(d, tmp, head, node) {
		list_del(&d->node);
		zcdma_desc_free(d);
	}
}

/*
 * The memory side: DMA address -> physical -> a CPU mapping, chunk by chunk.
 */

static int zcdma_count_ram(struct resource *res, void *arg)
{
	u64 *bytes = arg;

	*bytes += resource_size(res);
	return 0;
}

/*
 * Whether every page of [@phys, @phys + @len) is System RAM. A device that
 * is pointed at a hole or at MMIO gets a bus error; the CPU standing in for
 * it must not take a page fault in the direct map instead.
 */
static bool zcdma_resource_is_ram(phys_addr_t phys, size_t len)
{
	u64 start = round_down(phys, PAGE_SIZE);
	u64 end = round_up(phys + len, PAGE_SIZE) - 1;
	u64 bytes = 0;

	walk_iomem_res_desc(IORES_DESC_NONE,
			    IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
			    start, end, &bytes, zcdma_count_ram);
	return bytes == end - start + 1;
}

#ifdef CONFIG_SPARSEMEM
/* Memory comes online and goes offline a subsection at a time. */
#define ZCDMA_ONLINE_PAGES	PAGES_PER_SUBSECTION
#else
#define ZCDMA_ONLINE_PAGES	1UL
#endif

/*
 * How many of the pages after @page (online, at @pfn), as far as @want
 * bytes reach and not past its subsection, are lowmem and not reserved:
 * RAM, in one stretch of the linear map. The struct pages of a subsection
 * are consecutive, so only their flags need a look. Only for a device
 * without a bus range map, whose bus addresses run in step with physical
 * ones. Translating and looking up each page instead took 40% as long as
 * the copy itself under emulation (263 against 607 us per MiB).
 */
static unsigned long zcdma_lowmem_run(struct page *page, unsigned long pfn,
				      size_t want)
{
	unsigned long n = min_t(unsigned long, DIV_ROUND_UP(want, PAGE_SIZE),
				ZCDMA_ONLINE_PAGES - 1 -
				pfn % ZCDMA_ONLINE_PAGES);
	unsigned long i;

	for (i = 1; i <= n; i++)
		if (PageReserved(page + i) || PageHighMem(page + i))
			break;
	return i - 1;
}

/*
 * How many bytes of [@addr, @addr + @len) are RAM from the start on: a
 * device gets as far as the first address that is not. A page of the page
 * allocator's (online, not reserved) is RAM, and saying so takes a look at
 * its struct page; anything else gets the walk of the resource tree, which
 * takes a lock (a sleeping one on PREEMPT_RT) and, per page under
 * emulation, cost more than copying the page. The section lookup of
 * pfn_to_online_page() is made once per subsection: a page that follows
 * an online page in the same subsection is online too.
 * *@linear: how many of those bytes, from the start, are one physically
 * contiguous stretch of lowmem pages, which the kernel's linear map
 * reaches from the first byte's address.
 */
static size_t zcdma_ram_prefix(struct device *dev, dma_addr_t addr,
			       size_t len, size_t *linear)
{
	unsigned long prev = 0;
	bool online = false, stretch = true;
	size_t ok = 0;

	*linear = 0;

	while (ok < len) {
		/* Translate per page: a bus offset may change at a boundary. */
		phys_addr_t phys = dma_to_phys(dev, addr + ok);
		unsigned long pfn = PHYS_PFN(phys);
		struct page *page;

		if (online && pfn == prev + 1 && pfn % ZCDMA_ONLINE_PAGES)
			page = pfn_to_page(pfn);
		else
			page = pfn_to_online_page(pfn);
		online = page && !PageReserved(page);
		if (!online && !(pfn_valid(pfn) &&
				 zcdma_resource_is_ram(PFN_PHYS(pfn), PAGE_SIZE)))
			break;
		/* Reserved pages and other exceptions go through windows. */
		if (stretch && (!online || PageHighMem(page) ||
				(ok && pfn != prev + 1)))
			stretch = false;
		prev = pfn;
		ok += min_t(size_t, len - ok, PAGE_SIZE - offset_in_page(phys));
		if (online && !dev->dma_range_map && ok < len) {
			unsigned long more = zcdma_lowmem_run(page, pfn,
							      len - ok);

			prev += more;
			ok += min_t(size_t, len - ok, more << PAGE_SHIFT);
		}
		if (stretch)
			*linear = ok;
	}
	return ok;
}

/**
 * struct zcdma_window - CPU view of the start of a DMA address range
 * @vaddr: kernel address of the first byte
 * @len: bytes reachable from @vaddr
 * @kmapped: @vaddr came from kmap_local_page() and must be unmapped
 */
struct zcdma_window {
	void *vaddr;
	size_t len;
	bool kmapped;
};

/*
 * Map the start of [@addr, @addr + @len), which zcdma_ram_prefix() found
 * to be RAM, for the CPU: the rest of one page, or, in lowmem, whose kernel
 * mapping is linear, a physically contiguous run of pages so a whole chunk
 * goes through one memcpy(). Does not sleep.
 */
static void zcdma_window_map(struct device *dev, dma_addr_t addr, size_t len,
			     struct zcdma_window *w)
{
	phys_addr_t phys = dma_to_phys(dev, addr);
	struct page *page = pfn_to_page(PHYS_PFN(phys));
	size_t run = min_t(size_t, len, PAGE_SIZE - offset_in_page(phys));

	if (PageHighMem(page)) {
		w->vaddr = kmap_local_page(page) + offset_in_page(phys);
		w->len = run;
		w->kmapped = true;
		return;
	}

	while (run < len) {
		phys_addr_t next = dma_to_phys(dev, addr + run);

		if (next != phys + run || PageHighMem(pfn_to_page(PHYS_PFN(next))))
			break;
		run += min_t(size_t, len - run, PAGE_SIZE);
	}
	w->vaddr = page_address(page) + offset_in_page(phys);
	w->len = run;
	w->kmapped = false;
}

/* The kernel address of @addr, in a stretch zcdma_ram_prefix() found linear. */
static void *zcdma_lowmem(struct device *dev, dma_addr_t addr)
{
	phys_addr_t phys = dma_to_phys(dev, addr);

	return page_address(pfn_to_page(PHYS_PFN(phys))) + offset_in_page(phys);
}

static void zcdma_window_unmap(struct zcdma_window *w)
{
	if (w->kmapped)
		kunmap_local(w->vaddr);
}

/*
 * The copy itself. The kernel's memcpy() moves at most 8 bytes per
 * instruction (or is rep movsb). Under QEMU's TCG, where every guest
 * instruction costs about the same whatever its width, and vector ones are
 * translated to host vector code, that makes this engine several times
 * slower than the AVX2 memcpy() of glibc in the same VM, which is what
 * zcdev's DMA paths are measured against. So copy with vector registers,
 * the way the kernel's RAID and xor code do, between kernel_fpu_begin()
 * and kernel_fpu_end(). A section spans one chunk, all its windows (a
 * page each, for scattered memory), so at most ZCDMA_CHUNK: preemption
 * stays off only that long, and nothing in it sleeps (the RAM checks,
 * which may, come before it). Elsewhere, or when the FPU is not usable,
 * plain memcpy().
 */

/**
 * struct zcdma_section - the vector-register section a chunk is copied in
 * @simd: kernel_fpu_begin() was called: copies use vector registers
 * @t0: when it began
 * @bytes: bytes it moved with vector registers
 */
struct zcdma_section {
	bool simd;
	u64 t0;
	size_t bytes;
};

#ifdef CONFIG_X86

enum zcdma_simd {
	ZCDMA_SIMD_NONE,
	ZCDMA_SIMD_SSE2,
	ZCDMA_SIMD_AVX2,
};

static enum zcdma_simd zcdma_simd __ro_after_init;

/* Below this, saving the FPU state costs more than vector moves win. */
#define ZCDMA_SIMD_MIN		256
/* Aligned stores: no store crosses a page, which TCG handles out of line. */
#define ZCDMA_SIMD_ALIGN	32
/* Inside a section: zcdma_copy_avx2()'s two unaligned ends need 64. */
#define ZCDMA_AVX2_MIN		64

static void __init zcdma_simd_init(void)
{
	/* As lib/raid6 and crypto check: the CPU has it and XSAVE enabled ymm. */
	if (boot_cpu_has(X86_FEATURE_AVX2) && boot_cpu_has(X86_FEATURE_AVX) &&
	    cpu_has_xfeatures(XFEATURE_MASK_SSE | XFEATURE_MASK_YMM, NULL))
		zcdma_simd = ZCDMA_SIMD_AVX2;
	else if (boot_cpu_has(X86_FEATURE_XMM2))
		zcdma_simd = ZCDMA_SIMD_SSE2;
}

/*
 * Copy @len (>= 64) bytes with AVX2. The first and the last 32 bytes go
 * unaligned, before the rest: the aligned stores then start at the first
 * 32-byte boundary inside and end at the last one, and write some of
 * those bytes again, the same values. No memcpy() for the odd ends, whose
 * rep movsb TCG's instruction counting charges per byte. The loop moves
 * 256 bytes in 18 instructions, indexed from the end so one register
 * both advances and ends it.
 */
static void zcdma_copy_avx2(void *dst, const void *src, size_t len)
{
	size_t head = -(uintptr_t)dst & (ZCDMA_SIMD_ALIGN - 1);
	long i;

	asm volatile("vmovdqu	(%[s]), %%ymm0\n\t"
		     "vmovdqu	-32(%[s], %[n]), %%ymm1\n\t"
		     "vmovdqu	%%ymm0, (%[d])\n\t"
		     "vmovdqu	%%ymm1, -32(%[d], %[n])"
		     :
		     : [d] "r" (dst), [s] "r" (src), [n] "r" (len)
		     : "memory");
	dst += head;
	src += head;
	len -= head;

	i = -(long)round_down(len, 256);
	if (i) {
		dst -= i;
		src -= i;
		asm volatile("1:\n\t"
			     "vmovdqu	(%[s], %[i]), %%ymm0\n\t"
			     "vmovdqu	32(%[s], %[i]), %%ymm1\n\t"
			     "vmovdqu	64(%[s], %[i]), %%ymm2\n\t"
			     "vmovdqu	96(%[s], %[i]), %%ymm3\n\t"
			     "vmovdqu	128(%[s], %[i]), %%ymm4\n\t"
			     "vmovdqu	160(%[s], %[i]), %%ymm5\n\t"
			     "vmovdqu	192(%[s], %[i]), %%ymm6\n\t"
			     "vmovdqu	224(%[s], %[i]), %%ymm7\n\t"
			     "vmovdqa	%%ymm0, (%[d], %[i])\n\t"
			     "vmovdqa	%%ymm1, 32(%[d], %[i])\n\t"
			     "vmovdqa	%%ymm2, 64(%[d], %[i])\n\t"
			     "vmovdqa	%%ymm3, 96(%[d], %[i])\n\t"
			     "vmovdqa	%%ymm4, 128(%[d], %[i])\n\t"
			     "vmovdqa	%%ymm5, 160(%[d], %[i])\n\t"
			     "vmovdqa	%%ymm6, 192(%[d], %[i])\n\t"
			     "vmovdqa	%%ymm7, 224(%[d], %[i])\n\t"
			     "add	$256, %[i]\n\t"
			     "jnz	1b"
			     : [i] "+r" (i)
			     : [d] "r" (dst), [s] "r" (src)
			     : "memory", "cc");
		len &= 255;
	}

	i = -(long)round_down(len, 32);
	if (i) {
		dst -= i;
		src -= i;
		asm volatile("1:\n\t"
			     "vmovdqu	(%[s], %[i]), %%ymm0\n\t"
			     "vmovdqa	%%ymm0, (%[d], %[i])\n\t"
			     "add	$32, %[i]\n\t"
			     "jnz	1b"
			     : [i] "+r" (i)
			     : [d] "r" (dst), [s] "r" (src)
			     : "memory", "cc");
	}
	/* Dirty upper halves would slow later SSE code on hardware. */
	asm volatile("vzeroupper");
}

/* Copy @blocks (> 0) blocks of 64 bytes; @dst 16-byte aligned. */
static void zcdma_copy_sse2(void *dst, const void *src, size_t blocks)
{
	asm volatile("1:\n\t"
		     "movdqu	(%[s]), %%xmm0\n\t"
		     "movdqu	16(%[s]), %%xmm1\n\t"
		     "movdqu	32(%[s]), %%xmm2\n\t"
		     "movdqu	48(%[s]), %%xmm3\n\t"
		     "movdqa	%%xmm0, (%[d])\n\t"
		     "movdqa	%%xmm1, 16(%[d])\n\t"
		     "movdqa	%%xmm2, 32(%[d])\n\t"
		     "movdqa	%%xmm3, 48(%[d])\n\t"
		     "add	$64, %[s]\n\t"
		     "add	$64, %[d]\n\t"
		     "dec	%[n]\n\t"
		     "jnz	1b"
		     : [d] "+r" (dst), [s] "+r" (src), [n] "+r" (blocks)
		     :
		     : "memory", "cc");
}

/* Start a section for a chunk of @len bytes, if vector moves pay for it. */
static void zcdma_section_begin(struct zcdma_section *sec, size_t len)
{
	sec->bytes = 0;
	sec->simd = zcdma_simd != ZCDMA_SIMD_NONE && len >= ZCDMA_SIMD_MIN &&
		    irq_fpu_usable();
	if (!sec->simd)
		return;
	kernel_fpu_begin();
	sec->t0 = ktime_get_ns();
}

static void zcdma_section_copy(struct zcdma_section *sec, void *dst,
			       const void *src, size_t len)
{
	size_t head, bulk;

	if (sec->simd && zcdma_simd == ZCDMA_SIMD_AVX2 &&
	    len >= ZCDMA_AVX2_MIN) {
		zcdma_copy_avx2(dst, src, len);
		sec->bytes += len;
		return;
	}
	if (!sec->simd || len < ZCDMA_SIMD_MIN) {
		memcpy(dst, src, len);
		return;
	}

	head = -(uintptr_t)dst & (ZCDMA_SIMD_ALIGN - 1);
	memcpy(dst, src, head);
	dst += head;
	src += head;
	len -= head;

	bulk = round_down(len, 64);
	if (bulk)
		zcdma_copy_sse2(dst, src, bulk / 64);
	memcpy(dst + bulk, src + bulk, len - bulk);
	sec->bytes += bulk;
}

/* Records in @fpu how long, and for how many bytes, preemption was off. */
static void zcdma_section_end(struct zcdma_section *sec,
			      struct zcdma_fpu_stats *fpu)
{
	u64 fpu_ns;

	if (!sec->simd)
		return;
	fpu_ns = ktime_get_ns() - sec->t0;
	kernel_fpu_end();

	fpu->sections++;
	fpu->over_1ms += fpu_ns > NSEC_PER_MSEC;
	fpu->max_bytes = max_t(u64, fpu->max_bytes, sec->bytes);
	fpu->max_ns = max(fpu->max_ns, fpu_ns);
}

#else /* !CONFIG_X86 */

static void __init zcdma_simd_init(void)
{
}

static void zcdma_section_begin(struct zcdma_section *sec, size_t len)
{
	sec->simd = false;
}

static void zcdma_section_copy(struct zcdma_section *sec, void *dst,
			       const void *src, size_t len)
{
	memcpy(dst, src, len);
}

static void zcdma_section_end(struct zcdma_section *sec,
			      struct zcdma_fpu_stats *fpu)
{
}

#endif /* CONFIG_X86 */

/*
 * Copy @len bytes (at most ZCDMA_CHUNK) from DMA address @src to @dst in
 * one section. *@copied says how far it got, also on failure; a failure
 * names the side that was not RAM (the source if both were not).
 */
static enum dmaengine_tx_result zcdma_copy(struct device *dev, dma_addr_t dst,
					   dma_addr_t src, size_t len,
					   size_t *copied,
					   struct zcdma_fpu_stats *fpu)
{
	size_t src_linear, dst_linear;
	size_t src_ok = zcdma_ram_prefix(dev, src, len, &src_linear);
	size_t dst_ok = zcdma_ram_prefix(dev, dst, src_ok, &dst_linear);
	struct zcdma_section sec;
	struct zcdma_window s, d;
	size_t n;

	*copied = 0;
	zcdma_section_begin(&sec, dst_ok);
	/*
	 * Both sides one stretch of lowmem (a PAGES run, a THP): no windows
	 * to walk page by page again.
	 */
	if (dst_ok && src_linear >= dst_ok && dst_linear >= dst_ok) {
		zcdma_section_copy(&sec, zcdma_lowmem(dev, dst),
				   zcdma_lowmem(dev, src), dst_ok);
		*copied = dst_ok;
	}
	while (*copied < dst_ok) {
		zcdma_window_map(dev, src + *copied, dst_ok - *copied, &s);
		zcdma_window_map(dev, dst + *copied, dst_ok - *copied, &d);
		n = min(s.len, d.len);
		zcdma_section_copy(&sec, d.vaddr, s.vaddr, n);
		/* kmap_local mappings nest: undo them in reverse. */
		zcdma_window_unmap(&d);
		zcdma_window_unmap(&s);
		*copied += n;
	}
	zcdma_section_end(&sec, fpu);
	if (src_ok < len && dst_ok == src_ok)
		return DMA_TRANS_READ_FAILED;
	if (dst_ok < src_ok)
		return DMA_TRANS_WRITE_FAILED;
	return DMA_TRANS_NOERROR;
}

/*
 * The engine.
 */

/*
 * Sleep until @until unless terminate_all aborts @d first. An absolute
 * hrtimer without slack, because the knobs exist to be measured; TASK_IDLE
 * because a long latency_us is not a hung task.
 */
static void zcdma_sleep_until(struct zcdma_chan *zc, struct zcdma_desc *d,
			      ktime_t until)
{
	DEFINE_WAIT(wait);

	for (;;) {
		prepare_to_wait(&zc->wait, &wait, TASK_IDLE);
		if (READ_ONCE(d->aborted) || ktime_after(ktime_get(), until))
			break;
		schedule_hrtimeout_range(&until, 0, HRTIMER_MODE_ABS);
	}
	finish_wait(&zc->wait, &wait);
}

/*
 * Run @d: latency, injected failure or the copy, throttled. Sets @d->result
 * unless terminate_all aborts it.
 */
static void zcdma_run(struct zcdma_chan *zc, struct zcdma_desc *d)
{
	struct device *dev = zc->chan.device->dev;
	unsigned int lat = READ_ONCE(latency_us);
	unsigned int every = READ_ONCE(fail_every);
	enum dmaengine_tx_result res = DMA_TRANS_NOERROR;
	ktime_t start;

	zc->seq++;
	if (lat)
		zcdma_sleep_until(zc, d, ktime_add_us(ktime_get(), lat));

	if (every && zc->seq % every == 0) {
		res = (zc->seq / every) & 1 ? DMA_TRANS_READ_FAILED :
					       DMA_TRANS_WRITE_FAILED;
		d->injected = true;
		goto out;
	}

	/*
	 * The cap is kept per descriptor against its own start, so sleeping
	 * longer than asked in one chunk is made up in the next ones.
	 */
	start = ktime_get();
	while (d->done < d->len && !READ_ONCE(d->aborted)) {
		unsigned int mbps = READ_ONCE(bandwidth_mbps);
		size_t n = min_t(size_t, d->len - d->done, ZCDMA_CHUNK);
		size_t copied;

		res = zcdma_copy(dev, d->dst + d->done, d->src + d->done, n,
				 &copied, &d->fpu);
		WRITE_ONCE(d->done, d->done + copied);
		if (res != DMA_TRANS_NOERROR)
			break;
		/* At mbps MB/s a byte takes 1000 / mbps nanoseconds. */
		if (mbps) {
			u64 due = div_u64((u64)d->done * NSEC_PER_USEC, mbps);

			zcdma_sleep_until(zc, d, ktime_add_ns(start, due));
		}
		cond_resched();
	}
out:
	d->result.result = res;
	d->result.residue = d->len - d->done;
}

/* Free descriptors the client has acked since they were called back. */
static void zcdma_reap_acked(struct zcdma_chan *zc)
{
	struct zcdma_desc *d, *tmp;
	LIST_HEAD(head);

	spin_lock_irq(&zc->lock);
	list_for_each_entry_safe(d, tmp, &zc->unacked, node)
		if (async_tx_test_ack(&d->tx))
			list_move_tail(&d->node, &head);
	spin_unlock_irq(&zc->lock);
	zcdma_desc_free_list(&head);
}

/*
 * Call back completed descriptors, oldest first, one at a time, so that a
 * terminate_all from inside a callback cancels the callbacks after it.
 */
static void zcdma_complete(struct zcdma_chan *zc)
{
	struct zcdma_desc *d;

	for (;;) {
		spin_lock_irq(&zc->lock);
		d = list_first_entry_or_null(&zc->completed, struct zcdma_desc,
					     node);
		if (d)
			list_del(&d->node);
		spin_unlock_irq(&zc->lock);
		if (!d)
			break;

		dma_descriptor_unmap(&d->tx);
		/* The context a real driver's tasklet would give the client. */
		local_bh_disable();
		zcdma_desc_callback(d);
		local_bh_enable();
		dma_run_dependencies(&d->tx);

		spin_lock_irq(&zc->lock);
		if (!async_tx_test_ack(&d->tx)) {
			list_add_tail(&d->node, &zc->unacked);
			d = NULL;
		}
		spin_unlock_irq(&zc->lock);
		if (d)
			zcdma_desc_free(d);
	}
	/* Only this work item adds to unacked, so a peek without the lock will do. */
	if (!list_empty(&zc->unacked))
		zcdma_reap_acked(zc);
}

static void zcdma_work(struct work_struct *work)
{
	struct zcdma_chan *zc = container_of(work, struct zcdma_chan, work);
	struct zcdma_desc *d;
	bool irq;

	for (;;) {
		spin_lock_irq(&zc->lock);
		d = list_first_entry_or_null(&zc->issued, struct zcdma_desc,
					     node);
		if (d) {
			list_del(&d->node);
			zc->active = d;
		}
		spin_unlock_irq(&zc->lock);
		if (!d)
			break;

		zcdma_run(zc, d);

		/*
		 * The copied data must be visible before the cookie that
		 * says so, to a client that polls tx_status without a lock.
		 */
		smp_wmb();
		spin_lock_irq(&zc->lock);
		zc->active = NULL;
		if (d->aborted) {
			/* terminate_all already accounted for it. */
			spin_unlock_irq(&zc->lock);
			zcdma_desc_free(d);
			continue;
		}
		if (d->result.result != DMA_TRANS_NOERROR) {
			zc->err_cookies[zc->err_next] = d->tx.cookie;
			zc->err_residues[zc->err_next] = d->result.residue;
			zc->err_next = (zc->err_next + 1) % ZCDMA_ERR_COOKIES;
			if (d->injected)
				zc->stats.injected++;
			else
				zc->stats.faults++;
		}
		zcdma_cookie_complete(&d->tx);
		zc->stats.descs++;
		zc->stats.bytes += d->done;
		zc->stats.fpu_sections += d->fpu.sections;
		zc->stats.fpu_over_1ms += d->fpu.over_1ms;
		zc->stats.fpu_max_bytes = max(zc->stats.fpu_max_bytes,
					      d->fpu.max_bytes);
		zc->stats.fpu_max_ns = max(zc->stats.fpu_max_ns, d->fpu.max_ns);
		list_add_tail(&d->node, &zc->completed);
		irq = d->tx.flags & DMA_PREP_INTERRUPT;
		spin_unlock_irq(&zc->lock);

		if (irq)
			zcdma_complete(zc);
	}
	/* Idle: the interrupt for descriptors that did not ask for one. */
	zcdma_complete(zc);
}

/*
 * dmaengine operations.
 */

static dma_cookie_t zcdma_tx_submit(struct dma_async_tx_descriptor *tx)
{
	struct zcdma_chan *zc = to_zcdma_chan(tx->chan);
	struct zcdma_desc *d = to_zcdma_desc(tx);
	unsigned long flags;
	dma_cookie_t cookie;

	spin_lock_irqsave(&zc->lock, flags);
	cookie = zcdma_cookie_assign(tx);
	list_move_tail(&d->node, &zc->submitted);
	spin_unlock_irqrestore(&zc->lock, flags);
	return cookie;
}

static struct dma_async_tx_descriptor *
zcdma_prep_dma_memcpy(struct dma_chan *chan, dma_addr_t dst, dma_addr_t src,
		      size_t len, unsigned long flags)
{
	struct zcdma_chan *zc = to_zcdma_chan(chan);
	unsigned long irqflags;
	struct zcdma_desc *d;
	dma_addr_t last;

	if (flags & ~ZCDMA_PREP_FLAGS)
		return NULL;
	if (!len || len > UINT_MAX ||
	    check_add_overflow(src, (dma_addr_t)(len - 1), &last) ||
	    check_add_overflow(dst, (dma_addr_t)(len - 1), &last))
		return NULL;

	/* May be called in atomic context; no sleeping, no emergency pool. */
	d = kmem_cache_zalloc(zcdma_desc_cache, GFP_NOWAIT);
	if (!d)
		return NULL;
	dma_async_tx_descriptor_init(&d->tx, chan);
	d->tx.flags = flags;
	d->tx.tx_submit = zcdma_tx_submit;
	d->src = src;
	d->dst = dst;
	d->len = len;

	spin_lock_irqsave(&zc->lock, irqflags);
	list_add_tail(&d->node, &zc->allocated);
	spin_unlock_irqrestore(&zc->lock, irqflags);
	return &d->tx;
}

static void zcdma_issue_pending(struct dma_chan *chan)
{
	struct zcdma_chan *zc = to_zcdma_chan(chan);
	unsigned long flags;

	spin_lock_irqsave(&zc->lock, flags);
	list_splice_tail_init(&zc->submitted, &zc->issued);
	if (!list_empty(&zc->issued))
		queue_work(zcdma_wq, &zc->work);
	spin_unlock_irqrestore(&zc->lock, flags);
}

static enum dma_status zcdma_tx_status(struct dma_chan *chan,
				       dma_cookie_t cookie,
				       struct dma_tx_state *state)
{
	struct zcdma_chan *zc = to_zcdma_chan(chan);
	enum dma_status status;
	struct zcdma_desc *d;
	unsigned long flags;
	u32 residue = 0;
	unsigned int i;

	spin_lock_irqsave(&zc->lock, flags);
	status = dma_async_is_complete(cookie, chan->completed_cookie,
				       chan->cookie);
	if (state) {
		state->last = chan->completed_cookie;
		state->used = chan->cookie;
		state->in_flight_bytes = 0;
	}
	if (status == DMA_COMPLETE) {
		if (zcdma_cookie_in(cookie, zc->abort_from, zc->abort_to))
			status = DMA_ERROR;
		for (i = 0; i < ZCDMA_ERR_COOKIES; i++)
			if (zc->err_cookies[i] == cookie) {
				status = DMA_ERROR;
				residue = zc->err_residues[i];
			}
		goto out;
	}

	d = zc->active;
	if (d && d->tx.cookie == cookie) {
		residue = d->len - READ_ONCE(d->done);
		goto out;
	}
	/* Queued ones have not started: nothing of them is done. */
	list_for_each_entry(d, &zc->issued, node)
		if (d->tx.cookie == cookie) {
			residue = d->len;
			goto out;
		}
	list_for_each_entry(d, &zc->submitted, node)
		if (d->tx.cookie == cookie) {
			residue = d->len;
			goto out;
		}
out:
	spin_unlock_irqrestore(&zc->lock, flags);
	if (state)
		state->residue = residue;
	/*
	 * Unlike hardware, this engine needs a CPU to make progress. A client
	 * that busy-polls for completion (dma_sync_wait()) on every CPU of a
	 * kernel without forced preemption would keep the worker off them
	 * all; offer the CPU whenever the caller may sleep.
	 */
	if (status == DMA_IN_PROGRESS && preemptible() && !rcu_preempt_depth())
		cond_resched();
	return status;
}

/*
 * Drop everything submitted, issued or waiting for its callback; the running
 * descriptor stops at its next chunk and is freed by the worker. Aborted
 * descriptors get no callback (provider.rst); their cookies read as
 * DMA_ERROR. Atomic: may be called from a callback or an interrupt.
 */
static int zcdma_terminate_all(struct dma_chan *chan)
{
	struct zcdma_chan *zc = to_zcdma_chan(chan);
	struct zcdma_desc *d;
	unsigned long flags;
	LIST_HEAD(head);

	spin_lock_irqsave(&zc->lock, flags);
	list_splice_tail_init(&zc->submitted, &head);
	list_splice_tail_init(&zc->issued, &head);
	list_for_each_entry(d, &head, node)
		zc->stats.aborted++;
	/* Completed ones keep their cookies: their data is there. */
	list_splice_tail_init(&zc->completed, &head);
	if (zc->active) {
		WRITE_ONCE(zc->active->aborted, true);
		zc->stats.aborted++;
	}
	zc->abort_from = chan->completed_cookie;
	zc->abort_to = chan->cookie;
	chan->completed_cookie = chan->cookie;
	spin_unlock_irqrestore(&zc->lock, flags);

	wake_up(&zc->wait);
	zcdma_desc_free_list(&head);
	return 0;
}

static void zcdma_synchronize(struct dma_chan *chan)
{
	struct zcdma_chan *zc = to_zcdma_chan(chan);

	/* Callbacks run in the work item: once it is idle, none is running. */
	flush_work(&zc->work);
}

static int zcdma_alloc_chan_resources(struct dma_chan *chan)
{
	struct zcdma_chan *zc = to_zcdma_chan(chan);

	spin_lock_irq(&zc->lock);
	zcdma_cookie_init(chan);
	zc->abort_from = chan->cookie;
	zc->abort_to = chan->cookie;
	memset(zc->err_cookies, 0, sizeof(zc->err_cookies));
	spin_unlock_irq(&zc->lock);
	return 0;
}

static void zcdma_free_chan_resources(struct dma_chan *chan)
{
	struct zcdma_chan *zc = to_zcdma_chan(chan);
	LIST_HEAD(head);

	/* The core synchronized, but a client may have left work queued. */
	zcdma_terminate_all(chan);
	flush_work(&zc->work);

	spin_lock_irq(&zc->lock);
	list_splice_tail_init(&zc->allocated, &head);
	list_splice_tail_init(&zc->unacked, &head);
	spin_unlock_irq(&zc->lock);
	zcdma_desc_free_list(&head);
}

static void zcdma_release(struct dma_device *dma)
{
	kfree(container_of(dma, struct zcdma_dev, dma));
}

/*
 * debugfs
 */

static int zcdma_chan_stats_show(struct seq_file *m, void *unused)
{
	struct zcdma_chan *zc = m->private;
	struct zcdma_stats st;

	spin_lock_irq(&zc->lock);
	st = zc->stats;
	spin_unlock_irq(&zc->lock);

	seq_printf(m, "descriptors: %llu\n", st.descs);
	seq_printf(m, "bytes: %llu\n", st.bytes);
	seq_printf(m, "errors_injected: %llu\n", st.injected);
	seq_printf(m, "faults: %llu\n", st.faults);
	seq_printf(m, "aborted: %llu\n", st.aborted);
	seq_printf(m, "fpu_sections: %llu\n", st.fpu_sections);
	seq_printf(m, "fpu_over_1ms: %llu\n", st.fpu_over_1ms);
	seq_printf(m, "fpu_max_bytes: %llu\n", st.fpu_max_bytes);
	seq_printf(m, "fpu_max_ns: %llu\n", st.fpu_max_ns);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(zcdma_chan_stats);

/*
 * Device setup and teardown.
 */

static void zcdma_chan_init(struct zcdma_dev *zd, struct zcdma_chan *zc)
{
	zc->chan.device = &zd->dma;
	zcdma_cookie_init(&zc->chan);
	spin_lock_init(&zc->lock);
	INIT_LIST_HEAD(&zc->allocated);
	INIT_LIST_HEAD(&zc->submitted);
	INIT_LIST_HEAD(&zc->issued);
	INIT_LIST_HEAD(&zc->completed);
	INIT_LIST_HEAD(&zc->unacked);
	INIT_WORK(&zc->work, zcdma_work);
	init_waitqueue_head(&zc->wait);
	/* The core numbers channels in list order: chans[i] is dmaNchan<i>. */
	list_add_tail(&zc->chan.device_node, &zd->dma.channels);
}

static int __init zcdma_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct dma_device *dma;
	struct zcdma_dev *zd;
	unsigned int i;
	int ret;

	ret = dma_coerce_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	/* One descriptor may cover any length that fits the u32 residue. */
	ret = zcdev_dma_set_max_seg_size(dev, UINT_MAX);
	if (ret)
		return ret;

	zd = kzalloc(struct_size(zd, chans, channels), GFP_KERNEL);
	if (!zd)
		return -ENOMEM;
	zd->nr_chans = channels;

	dma = &zd->dma;
	dma->dev = dev;
	INIT_LIST_HEAD(&dma->channels);
	dma_cap_set(DMA_MEMCPY, dma->cap_mask);
	dma_cap_set(DMA_PRIVATE, dma->cap_mask);
	dma->copy_align = DMAENGINE_ALIGN_1_BYTE;
	dma->src_addr_widths = ZCDMA_BUSWIDTHS;
	dma->dst_addr_widths = ZCDMA_BUSWIDTHS;
	dma->directions = BIT(DMA_MEM_TO_MEM);
	dma->residue_granularity = DMA_RESIDUE_GRANULARITY_BURST;
	dma->device_alloc_chan_resources = zcdma_alloc_chan_resources;
	dma->device_free_chan_resources = zcdma_free_chan_resources;
	dma->device_prep_dma_memcpy = zcdma_prep_dma_memcpy;
	dma->device_issue_pending = zcdma_issue_pending;
	dma->device_tx_status = zcdma_tx_status;
	dma->device_terminate_all = zcdma_terminate_all;
	dma->device_synchronize = zcdma_synchronize;
	dma->device_release = zcdma_release;

	for (i = 0; i < zd->nr_chans; i++)
		zcdma_chan_init(zd, &zd->chans[i]);

	ret = dma_async_device_register(dma);
	if (ret) {
		kfree(zd);
		return ret;
	}
	platform_set_drvdata(pdev, zd);

	/* Statistics are a convenience: debugfs failures are not errors. */
	zd->debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	for (i = 0; i < zd->nr_chans; i++) {
		char name[16];

		snprintf(name, sizeof(name), "chan%u", i);
		debugfs_create_file(name, 0444, zd->debugfs, &zd->chans[i],
				    &zcdma_chan_stats_fops);
	}

	dev_info(dev, "%u channels: %s to %s\n", zd->nr_chans,
		 dma_chan_name(&zd->chans[0].chan),
		 dma_chan_name(&zd->chans[zd->nr_chans - 1].chan));
	return 0;
}

static void zcdma_remove(struct platform_device *pdev)
{
	struct zcdma_dev *zd = platform_get_drvdata(pdev);
	unsigned int i;

	debugfs_remove_recursive(zd->debugfs);
	/*
	 * Every client holds a reference on this module, so nobody can be
	 * using a channel now; make sure no work item outlives the device.
	 */
	for (i = 0; i < zd->nr_chans; i++)
		cancel_work_sync(&zd->chans[i].work);
	/* Frees zd through zcdma_release() once the core lets go. */
	dma_async_device_unregister(&zd->dma);
}

static struct platform_driver zcdma_driver = {
	.driver = {
		.name = KBUILD_MODNAME,
	},
	ZCDEV_PLATFORM_REMOVE(zcdma_remove),
};

static int __init zcdma_init(void)
{
	int ret;

	if (!channels || channels > ZCDMA_MAX_CHANNELS) {
		pr_err("channels %u is not in 1..%d\n", channels,
		       ZCDMA_MAX_CHANNELS);
		return -EINVAL;
	}

	zcdma_simd_init();
	zcdma_desc_cache = KMEM_CACHE(zcdma_desc, 0);
	if (!zcdma_desc_cache)
		return -ENOMEM;
	zcdma_wq = alloc_workqueue(KBUILD_MODNAME,
				   WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!zcdma_wq) {
		ret = -ENOMEM;
		goto err_cache;
	}

	/*
	 * dmaengine takes its module references through the device's
	 * driver, so the DMA device must sit on a bound device: register
	 * driver and device together and probe once. Without bind/unbind
	 * attributes the device goes away only when the module does.
	 */
	zcdma_pdev = platform_create_bundle(&zcdma_driver, zcdma_probe,
					    NULL, 0, NULL, 0);
	if (IS_ERR(zcdma_pdev)) {
		ret = PTR_ERR(zcdma_pdev);
		goto err_wq;
	}
	return 0;

err_wq:
	destroy_workqueue(zcdma_wq);
err_cache:
	kmem_cache_destroy(zcdma_desc_cache);
	return ret;
}

static void __exit zcdma_exit(void)
{
	platform_device_unregister(zcdma_pdev);
	platform_driver_unregister(&zcdma_driver);
	destroy_workqueue(zcdma_wq);
	kmem_cache_destroy(zcdma_desc_cache);
}

module_init(zcdma_init);
module_exit(zcdma_exit);

MODULE_DESCRIPTION("zcdma: software dmaengine provider (DMA_MEMCPY) for zcdev experiments");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1.0");
