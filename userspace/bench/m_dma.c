// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: memory -> memory, by the CPU (memcpy, the baseline) and by the
 * zcdev DMA channel, --bufsize per transfer, 8 transfers in flight.
 *
 * The question is whose CPU moves the bytes. The sender columns are the
 * submitting thread; the all-CPU column (/proc/stat) also sees the
 * engine, and with zcdma, the project's software engine, that is a
 * kworker doing memcpy on another CPU: the submitter is free, the machine
 * is not. On hardware with a real engine (ioat, pl330, ...) the same
 * numbers show what the device takes off the CPUs; the result names the
 * engine (its driver) so claim 7 can tell which it judged.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zcbench.h"

#define DMA_DEPTH	8
#define DMA_WAIT_NS	(20LL * 1000000000LL)

struct dma_priv {
	int zfd;
	struct region src, dst;
};

static inline size_t chunk(const struct run *r, uint64_t off)
{
	uint64_t left = r->size - off;

	return left < r->bufsize ? left : r->bufsize;
}

static int dma_setup_kind(struct run *r, uint32_t kind, bool dma)
{
	struct dma_priv *d = calloc(1, sizeof(*d));
	struct dma_engine eng;
	struct zcdev_info info;
	int err;

	if (!d)
		return -ENOMEM;
	d->zfd = -1;
	r->priv = d;
	if (dma) {
		d->zfd = zc_open();
		if (d->zfd < 0)
			return zb_unavail(r, "no %s: %s (module not loaded)", zc_dev_path(),
					  strerror(-d->zfd));
		err = zc_info(d->zfd, &info);
		if (err || !(info.features & ZCDEV_FEAT_DMA))
			return zb_unavail(r, "the module holds no DMA_MEMCPY channel (load zcdma.ko?)");
		if (!dma_engine_get(d->zfd, &eng))
			snprintf(r->engine, sizeof(r->engine), "%s", eng.driver);
	}
	err = region_alloc(d->zfd, kind, r->size, &d->src);
	if (!err)
		err = region_alloc(d->zfd, kind, r->size, &d->dst);
	if (err)
		return zb_unavail(r, "%s buffers of %llu bytes: %s", region_kind_name(kind),
				  (unsigned long long)r->size, zc_errname(err));
	zc_pattern_fill(d->src.p, r->size, r->seed, 0);
	return region_sync(d->zfd, &d->src, ZCDEV_SYNC_FOR_DEVICE, 0, r->size);
}

static int memcpy_setup(struct run *r) { return dma_setup_kind(r, 0, false); }
static int dma_pages_setup(struct run *r) { return dma_setup_kind(r, ZCDEV_BUF_PAGES, true); }
static int dma_user_setup(struct run *r) { return dma_setup_kind(r, 0, true); }

static void dma_teardown(struct run *r)
{
	struct dma_priv *d = r->priv;

	if (!d)
		return;
	region_free(&d->src);
	region_free(&d->dst);
	if (d->zfd >= 0)
		close(d->zfd);
	free(d);
	r->priv = NULL;
}

/* A zeroed destination, so a transfer that did nothing cannot pass. */
static int dma_rep_setup(struct run *r)
{
	struct dma_priv *d = r->priv;

	memset(d->dst.p, 0, r->size);
	return region_sync(d->zfd, &d->dst, ZCDEV_SYNC_FOR_DEVICE, 0, r->size);
}

static int dma_verify(struct run *r)
{
	struct dma_priv *d = r->priv;
	uint64_t bad;

	if (zc_pattern_verify(d->dst.p, r->size, r->seed, 0, &bad))
		return zb_fail(r, "destination differs from the source at byte %llu",
			       (unsigned long long)bad);
	return 0;
}

static int memcpy_xfer(struct run *r)
{
	struct dma_priv *d = r->priv;
	uint64_t off;

	for (off = 0; off < r->size; off += chunk(r, off))
		memcpy(d->dst.p + off, d->src.p + off, chunk(r, off));
	r->cnt.umode_copied += r->size;
	return 0;
}

static int reap_one(struct run *r, struct dma_priv *d)
{
	struct zcdev_dma_wait w;
	int err;

	sc_count(r, 1);
	err = zc_dma_wait(d->zfd, 0, ZCDEV_DMA_WAIT_ANY,
			  zc_deadline_after_ns(DMA_WAIT_NS), &w);
	if (err)
		return zb_fail(r, "ZCDEV_IOC_DMA_WAIT: %s", zc_errname(err));
	if (w.status != ZCDEV_DMA_DONE)
		return zb_fail(r, "DMA transfer %llu ended %s (%s)",
			       (unsigned long long)w.id, zc_dma_status_name(w.status),
			       zc_errname(w.error));
	r->cnt.dma_done++;
	r->cnt.dma_bytes += w.bytes;
	return 0;
}

static int dma_xfer(struct run *r)
{
	struct dma_priv *d = r->priv;
	struct zcdev_dma_seg_desc seg;
	uint64_t off, id;
	int inflight = 0, err;

	for (off = 0; off < r->size; off += chunk(r, off)) {
		if (inflight == DMA_DEPTH) {
			err = reap_one(r, d);
			if (err)
				return err;
			inflight--;
		}
		memset(&seg, 0, sizeof(seg));	/* flags and reserved: zero */
		region_ep(&d->src, off, &seg.src);
		region_ep(&d->dst, off, &seg.dst);
		seg.len = chunk(r, off);
		sc_count(r, 1);
		err = zc_dma_submit(d->zfd, &seg, 1, off, &id);
		if (err)
			return zb_fail(r, "ZCDEV_IOC_DMA_SUBMIT: %s", zc_errname(err));
		inflight++;
	}
	while (inflight--) {
		err = reap_one(r, d);
		if (err)
			return err;
	}
	/* The CPU may look at the result only after taking the buffer back. */
	sc_count(r, 1);
	return region_sync(d->zfd, &d->dst, ZCDEV_SYNC_FOR_CPU, 0, r->size);
}

static const struct method memcpy_m = {
	.name = "memcpy", .workload = "dma",
	.desc = "the CPU copies, --bufsize per memcpy() (baseline)",
	.source = "user memory", .setup = memcpy_setup, .rep_setup = dma_rep_setup,
	.xfer = memcpy_xfer, .verify = dma_verify, .teardown = dma_teardown,
};

static const struct method dma_m = {
	.name = "dma", .workload = "dma",
	.desc = "zcdev DMA, PAGES buffer -> PAGES buffer, --bufsize per transfer, 8 in flight",
	.source = "zcdev PAGES buffer", .needs = NEED_ZCDEV | NEED_ZC_DMA,
	.events = ZEV_DMA_END, .setup = dma_pages_setup, .rep_setup = dma_rep_setup, .xfer = dma_xfer,
	.verify = dma_verify, .teardown = dma_teardown,
};

static const struct method dma_user = {
	.name = "dma_user", .workload = "dma",
	.desc = "zcdev DMA between user buffers (pinned per transfer), 8 in flight",
	.source = "user memory", .needs = NEED_ZCDEV | NEED_ZC_DMA,
	.events = ZEV_DMA_END, .setup = dma_user_setup, .rep_setup = dma_rep_setup, .xfer = dma_xfer,
	.verify = dma_verify, .teardown = dma_teardown,
};

/* dmatest's terms: one test per request, and any failure fails the run. */
void m_dma_summarize(struct result *res, int runs)
{
	double per_run = ceil((double)res->size / res->bufsize);

	res->tests = per_run * runs;
	res->failures = 0;
	res->iops = res->secs > 0 ? per_run / res->secs : NAN;
}

const struct method *const m_dma[] = { &memcpy_m, &dma_m, &dma_user, NULL };
