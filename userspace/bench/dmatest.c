// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench dma's workload on one open of /dev/zcdev, as dmatest runs it on
 * one channel: transfers at random offsets, up to --depth in flight, each
 * checked three ways - the copied bytes equal the source's, the source is
 * unchanged, and the destination bytes just before and after the copied
 * range are untouched.
 *
 * Every in-flight transfer has its own buffer pair (a slot), so a test
 * can be verified and re-armed while the others are still moving. A file
 * runs in whichever thread calls dt_file_run(): several files run at once
 * without sharing anything but the module.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "zcbench.h"

#define GUARD		64	/* bytes checked on each side of the copy */
#define SEED_SRC	0x737263ULL	/* "src" */
#define SEED_DST	0x647374ULL	/* "dst" */
#define WAIT_NS		(20LL * 1000000000LL)

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Buffers hold 2 * size + 2 * GUARD: the copy lands anywhere inside, guarded. */
size_t dt_buf_len(const struct dt_cfg *c)
{
	return 2 * c->size + 2 * GUARD;
}

/* Where the next copy of slot @s goes: 8-byte aligned, guards kept free. */
static void pick_offsets(const struct dt_cfg *c, struct dt_slot *s, uint64_t *x)
{
	s->soff = (rnd(x) % (c->size + 1)) & ~7ULL;
	s->doff = GUARD + ((rnd(x) % (c->size + 1)) & ~7ULL);
}

static int arm(int zfd, const struct dt_cfg *c, struct dt_slot *s, uint64_t *x)
{
	pick_offsets(c, s, x);
	if (region_sync(zfd, &s->src, ZCDEV_SYNC_FOR_DEVICE, 0, s->src.len))
		return -EIO;
	return region_sync(zfd, &s->dst, ZCDEV_SYNC_FOR_DEVICE, 0, s->dst.len);
}

static int submit(int zfd, const struct dt_cfg *c, struct dt_slot *s, uint64_t k)
{
	struct zcdev_dma_seg_desc segs[ZCDEV_DMA_MAX_SEGS];
	uint64_t seglen = c->size / c->segs, i, id, off = 0;

	/* Flags and reserved fields of every segment must be zero. */
	memset(segs, 0, c->segs * sizeof(segs[0]));
	for (i = 0; i < c->segs; i++) {
		uint64_t len = i + 1 == c->segs ? c->size - off : seglen;

		region_ep(&s->src, s->soff + off, &segs[i].src);
		region_ep(&s->dst, s->doff + off, &segs[i].dst);
		segs[i].len = len;
		off += len;
	}
	s->busy = true;
	return zc_dma_submit(zfd, segs, c->segs, k, &id);
}

/* dmatest's three checks; re-fills what the copy changed. Returns 0 or 1. */
static int check(const struct dt_file *f, struct dt_slot *s, uint64_t test)
{
	const struct dt_cfg *c = f->c;
	uint64_t bad, lo = s->doff - GUARD, hi = s->doff + c->size;
	int fail = 0;

	region_sync(f->zfd, &s->dst, ZCDEV_SYNC_FOR_CPU, 0, s->dst.len);
	if (zc_pattern_verify(s->dst.p + s->doff, c->size, SEED_SRC, s->soff, &bad)) {
		zb_log("file %d, test %llu: copied data wrong at dst offset %llu",
		       f->idx, (unsigned long long)test, (unsigned long long)bad);
		fail = 1;
	}
	if (zc_pattern_verify(s->src.p, s->src.len, SEED_SRC, 0, &bad)) {
		zb_log("file %d, test %llu: source changed at offset %llu",
		       f->idx, (unsigned long long)test, (unsigned long long)bad);
		fail = 1;
	}
	if (zc_pattern_verify(s->dst.p + lo, GUARD, SEED_DST, lo, &bad) ||
	    zc_pattern_verify(s->dst.p + hi, GUARD, SEED_DST, hi, &bad)) {
		zb_log("file %d, test %llu: destination overwritten outside the copy at offset %llu",
		       f->idx, (unsigned long long)test, (unsigned long long)bad);
		fail = 1;
	}
	/* Re-arm: the destination is the destination pattern again. */
	zc_pattern_fill(s->dst.p + s->doff, c->size, SEED_DST, s->doff);
	return fail;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

int dt_file_setup(struct dt_file *f, const struct dt_cfg *c, int idx)
{
	uint64_t k;
	int err;

	memset(f, 0, sizeof(*f));
	f->c = c;
	f->idx = idx;
	/* Each file its own offsets; file 0 those of a run without --files. */
	f->x = (c->seed + idx * 0x9e3779b97f4a7c15ULL) | 1;
	f->seen.events = ZEV_DMA_END;
	f->zfd = zc_open();
	if (f->zfd < 0)
		return f->zfd;
	for (k = 0; k < c->depth; k++) {
		err = region_alloc(f->zfd, c->skind, dt_buf_len(c), &f->slots[k].src);
		if (!err)
			err = region_alloc(f->zfd, c->dkind, dt_buf_len(c),
					   &f->slots[k].dst);
		if (err)
			return err;
		zc_pattern_fill(f->slots[k].src.p, dt_buf_len(c), SEED_SRC, 0);
		zc_pattern_fill(f->slots[k].dst.p, dt_buf_len(c), SEED_DST, 0);
	}
	return 0;
}

void dt_file_release(struct dt_file *f)
{
	uint64_t k;

	for (k = 0; k < DT_MAX_DEPTH; k++) {
		region_free(&f->slots[k].src);
		region_free(&f->slots[k].dst);
	}
	if (f->zfd >= 0)
		close(f->zfd);	/* frees the buffers */
	f->zfd = -1;
}

/* Reaps one transfer and checks it; 0 or -errno (the wait failed). */
static int reap(struct dt_file *f, uint64_t done)
{
	const struct dt_cfg *c = f->c;
	struct zcdev_dma_wait w;
	uint64_t k;
	int err;

	err = zc_dma_wait(f->zfd, 0, ZCDEV_DMA_WAIT_ANY,
			  zc_deadline_after_ns(WAIT_NS), &w);
	if (err) {
		zb_log("file %d: wait: %s", f->idx, zc_errname(err));
		return err;
	}
	f->seen.dma[w.status <= ZCDEV_DMA_CANCELLED ? w.status : 0]++;
	f->seen.dma_bytes += w.bytes;
	f->engine_ns += w.engine_ns;
	k = w.user_data;
	if (k >= c->depth) {
		zb_log("file %d: wait returned user_data %llu, not a slot",
		       f->idx, (unsigned long long)k);
		return -EPROTO;
	}
	f->slots[k].busy = false;
	if (w.status != ZCDEV_DMA_DONE || w.bytes != c->size) {
		zb_log("file %d, test %llu: %s, %llu of %llu bytes (%s)", f->idx,
		       (unsigned long long)done, zc_dma_status_name(w.status),
		       (unsigned long long)w.bytes, (unsigned long long)c->size,
		       zc_errname(w.error));
		f->failures++;
	} else if (c->verify) {
		f->failures += check(f, &f->slots[k], done);
	}
	return 0;
}

void *dt_file_run(void *arg)
{
	struct dt_file *f = arg;
	const struct dt_cfg *c = f->c;
	uint64_t submitted = 0, done = 0, k;
	double c0;
	int err = 0;

	f->failures = 0;
	f->engine_ns = 0;
	if (f->go)
		pthread_barrier_wait(f->go);
	f->t0 = zb_now_ns();
	c0 = cpu_s();
	while (done < c->iters && !err) {
		for (k = 0; k < c->depth && submitted < c->iters && !err; k++) {
			if (f->slots[k].busy)
				continue;
			err = arm(f->zfd, c, &f->slots[k], &f->x);
			if (!err)
				err = submit(f->zfd, c, &f->slots[k], k);
			if (err)
				zb_log("file %d: submit: %s", f->idx, zc_errname(err));
			else
				submitted++;
		}
		if (!err)
			err = reap(f, ++done);
		if (!f->go && isatty(2) && !(done % 64))
			fprintf(stderr, "\r%llu/%llu", (unsigned long long)done,
				(unsigned long long)c->iters);
	}
	/* Leave nothing in flight on the file, whatever happened. */
	if (err) {
		zc_dma_cancel(f->zfd, 0, ZCDEV_DMA_CANCEL_ALL, NULL);
		for (; submitted > done; done++)
			if (reap(f, done + 1))
				break;
	}
	f->t1 = zb_now_ns();
	f->cpu = cpu_s() - c0;
	f->err = err;
	if (!f->go && isatty(2))
		fputs("\r\033[K", stderr);
	return NULL;
}

uint64_t dt_memcpy(struct dt_file *f, double *cpu)
{
	const struct dt_cfg *c = f->c;
	uint64_t done, t0;
	double c0;

	t0 = zb_now_ns();
	c0 = cpu_s();
	for (done = 0; done < c->iters; done++) {
		struct dt_slot *s = &f->slots[done % c->depth];

		pick_offsets(c, s, &f->x);
		memcpy(s->dst.p + s->doff, s->src.p + s->soff, c->size);
	}
	*cpu = cpu_s() - c0;
	return zb_now_ns() - t0;
}
