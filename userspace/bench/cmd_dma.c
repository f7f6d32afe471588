// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench dma: a dmatest-style run of the zcdev DMA path, from userspace.
 *
 * Like drivers/dma/dmatest.c: many transfers at random offsets, each
 * checked three ways - the copied bytes equal the source's, the source is
 * unchanged, and the destination bytes just before and after the copied
 * range are untouched - and one summary line. Next to it, the CPU copies
 * the same bytes between the same buffers in the same run, so the two
 * lines compare directly.
 *
 * Every in-flight transfer has its own buffer pair (a "slot"), so a test
 * can be verified and re-armed while the others are still moving.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "zcbench.h"

#define GUARD		64	/* bytes checked on each side of the copy */
#define SEED_SRC	0x737263ULL	/* "src" */
#define SEED_DST	0x647374ULL	/* "dst" */
#define MAX_DEPTH	64

static const char help[] =
"usage: zcbench dma [options]\n"
"\n"
"dmatest from userspace: --iterations transfers through /dev/zcdev's DMA\n"
"channel, each of --size bytes in --segs segments at random offsets, up to\n"
"--depth in flight, each verified (copied bytes, source unchanged,\n"
"destination untouched around the copy); then the CPU memcpy()s the same\n"
"bytes between the same buffers. Prints one line each:\n"
"  dma: N tests, F failures, X iops, Y MB/s (...)\n"
"  memcpy: N copies, X iops, Y MB/s\n"
"Exit status: 0; 1 if any test failed; 2 on usage errors; 3 if no DMA channel.\n"
"\n"
"  -n, --iterations N   transfers (default 100)\n"
"  -s, --size SIZE      bytes per transfer (default 64K)\n"
"  -g, --segs N         segments per transfer, 1..1024 (default 1)\n"
"  -d, --depth N        transfers in flight, 1..64 (default 4; the module\n"
"                       allows dma_queue_depth)\n"
"      --src KIND       pages, coherent or user (default pages)\n"
"      --dst KIND       pages, coherent or user (default pages)\n"
"      --no-verify      skip the checks (pure throughput)\n"
"      --seed N         offsets' random seed (default 1)\n"
"  -h, --help           this text\n";

struct slot {
	struct region src, dst;
	uint64_t soff, doff;
	bool busy;
};

struct cfg {
	uint64_t iters, size, segs, depth, seed;
	uint32_t skind, dkind;
	bool verify;
};

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Buffers hold 2 * size + 2 * GUARD: the copy lands anywhere inside, guarded. */
static size_t region_len(const struct cfg *c)
{
	return 2 * c->size + 2 * GUARD;
}

static int arm(int zfd, const struct cfg *c, struct slot *s, uint64_t *x)
{
	s->soff = (rnd(x) % (c->size + 1)) & ~7ULL;
	s->doff = GUARD + ((rnd(x) % (c->size + 1)) & ~7ULL);
	if (region_sync(zfd, &s->src, ZCDEV_SYNC_FOR_DEVICE, 0, s->src.len))
		return -EIO;
	return region_sync(zfd, &s->dst, ZCDEV_SYNC_FOR_DEVICE, 0, s->dst.len);
}

static int submit(int zfd, const struct cfg *c, struct slot *s, uint64_t k)
{
	struct zcdev_dma_seg_desc segs[ZCDEV_DMA_MAX_SEGS];
	uint64_t seglen = c->size / c->segs, i, id, off = 0;

	/* Flags and reserved fields of every segment must be zero. */
	memset(segs, 0, sizeof(segs));
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
static int check(int zfd, const struct cfg *c, struct slot *s, uint64_t test)
{
	uint64_t bad, lo = s->doff - GUARD, hi = s->doff + c->size;
	int fail = 0;

	region_sync(zfd, &s->dst, ZCDEV_SYNC_FOR_CPU, 0, s->dst.len);
	if (zc_pattern_verify(s->dst.p + s->doff, c->size, SEED_SRC, s->soff, &bad)) {
		zb_log("test %llu: copied data wrong at dst offset %llu",
		       (unsigned long long)test, (unsigned long long)bad);
		fail = 1;
	}
	if (zc_pattern_verify(s->src.p, s->src.len, SEED_SRC, 0, &bad)) {
		zb_log("test %llu: source changed at offset %llu",
		       (unsigned long long)test, (unsigned long long)bad);
		fail = 1;
	}
	if (zc_pattern_verify(s->dst.p + lo, GUARD, SEED_DST, lo, &bad) ||
	    zc_pattern_verify(s->dst.p + hi, GUARD, SEED_DST, hi, &bad)) {
		zb_log("test %llu: destination overwritten outside the copy at offset %llu",
		       (unsigned long long)test, (unsigned long long)bad);
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

static int parse_opts(int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = {
		{ "iterations", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "segs", required_argument, NULL, 'g' },
		{ "depth", required_argument, NULL, 'd' },
		{ "src", required_argument, NULL, 'S' },
		{ "dst", required_argument, NULL, 'D' },
		{ "no-verify", no_argument, NULL, 'V' },
		{ "seed", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int o;

	*c = (struct cfg){ .iters = 100, .size = 64 * 1024, .segs = 1, .depth = 4,
			   .seed = 1, .skind = ZCDEV_BUF_PAGES,
			   .dkind = ZCDEV_BUF_PAGES, .verify = true };
	while ((o = getopt_long(argc, argv, "n:s:g:d:h", opts, NULL)) != -1) {
		int err = 0;

		switch (o) {
		case 'n': err = zc_parse_u64(optarg, &c->iters); break;
		case 's': err = zc_parse_size(optarg, &c->size); break;
		case 'g': err = zc_parse_u64(optarg, &c->segs); break;
		case 'd': err = zc_parse_u64(optarg, &c->depth); break;
		case 'r': err = zc_parse_u64(optarg, &c->seed); break;
		case 'S': err = region_kind(optarg, &c->skind); break;
		case 'D': err = region_kind(optarg, &c->dkind); break;
		case 'V': c->verify = false; break;
		case 'h': fputs(help, stdout); exit(0);
		default: fputs(help, stderr); return 2;
		}
		if (err) {
			zb_log("bad value '%s' (see zcbench dma --help)", optarg);
			return 2;
		}
	}
	if (optind < argc || !c->iters || !c->size || !c->segs ||
	    c->segs > ZCDEV_DMA_MAX_SEGS || c->segs > c->size ||
	    !c->depth || c->depth > MAX_DEPTH) {
		zb_log("bad arguments (see zcbench dma --help)");
		return 2;
	}
	c->seed |= 1;
	return 0;
}

int cmd_dma(int argc, char **argv)
{
	struct slot slots[MAX_DEPTH];
	struct zcdev_dma_wait w;
	struct zcdev_info info;
	struct cfg c;
	uint64_t x, submitted = 0, done = 0, failures = 0, k, t0, ns;
	double c0, dma_cpu, mc_cpu;
	int zfd, err;

	err = parse_opts(argc, argv, &c);
	if (err)
		return err;
	x = c.seed;
	zfd = zc_open();
	if (zfd < 0) {
		zb_log("%s: %s (module not loaded)", zc_dev_path(), strerror(-zfd));
		return 3;
	}
	if (zc_info(zfd, &info) || !(info.features & ZCDEV_FEAT_DMA)) {
		zb_log("the module holds no DMA_MEMCPY channel (load zcdma.ko?)");
		return 3;
	}
	memset(slots, 0, sizeof(slots));
	for (k = 0; k < c.depth; k++) {
		err = region_alloc(zfd, c.skind, region_len(&c), &slots[k].src);
		if (!err)
			err = region_alloc(zfd, c.dkind, region_len(&c), &slots[k].dst);
		if (err) {
			zb_log("buffers (%s -> %s, %zu bytes): %s", region_kind_name(c.skind),
			       region_kind_name(c.dkind), region_len(&c), zc_errname(err));
			return 1;
		}
		zc_pattern_fill(slots[k].src.p, region_len(&c), SEED_SRC, 0);
		zc_pattern_fill(slots[k].dst.p, region_len(&c), SEED_DST, 0);
	}

	t0 = zb_now_ns();
	c0 = cpu_s();
	while (done < c.iters) {
		for (k = 0; k < c.depth && submitted < c.iters; k++) {
			if (slots[k].busy)
				continue;
			err = arm(zfd, &c, &slots[k], &x);
			if (!err)
				err = submit(zfd, &c, &slots[k], k);
			if (err) {
				zb_log("submit: %s", zc_errname(err));
				return 1;
			}
			submitted++;
		}
		err = zc_dma_wait(zfd, 0, ZCDEV_DMA_WAIT_ANY,
				  zc_deadline_after_ns(20LL * 1000000000LL), &w);
		if (err) {
			zb_log("wait: %s", zc_errname(err));
			return 1;
		}
		k = w.user_data;
		if (k >= c.depth)
			return 1;
		slots[k].busy = false;
		done++;
		if (w.status != ZCDEV_DMA_DONE || w.bytes != c.size) {
			zb_log("test %llu: %s, %llu of %llu bytes (%s)",
			       (unsigned long long)done, zc_dma_status_name(w.status),
			       (unsigned long long)w.bytes, (unsigned long long)c.size,
			       zc_errname(w.error));
			failures++;
		} else if (c.verify) {
			failures += check(zfd, &c, &slots[k], done);
		}
		if (isatty(2) && !(done % 64))
			fprintf(stderr, "\r%llu/%llu", (unsigned long long)done,
				(unsigned long long)c.iters);
	}
	ns = zb_now_ns() - t0;
	dma_cpu = cpu_s() - c0;
	if (isatty(2))
		fputs("\r\033[K", stderr);
	printf("dma: %llu tests, %llu failures, %.0f iops, %.1f MB/s "
	       "(%s -> %s, %s x %llu seg, depth %llu, %s; submitter CPU %.3f s)\n",
	       (unsigned long long)c.iters, (unsigned long long)failures,
	       c.iters / (ns / 1e9), c.iters * (double)c.size / 1e6 / (ns / 1e9),
	       region_kind_name(c.skind), region_kind_name(c.dkind),
	       zb_fmt_size(c.size, (char[16]){ 0 }, 16), (unsigned long long)c.segs,
	       (unsigned long long)c.depth, c.verify ? "verified" : "not verified",
	       dma_cpu);

	/* The same bytes by the CPU, between the same mappings. */
	t0 = zb_now_ns();
	c0 = cpu_s();
	for (done = 0; done < c.iters; done++) {
		struct slot *s = &slots[done % c.depth];

		s->soff = (rnd(&x) % (c.size + 1)) & ~7ULL;
		s->doff = GUARD + ((rnd(&x) % (c.size + 1)) & ~7ULL);
		memcpy(s->dst.p + s->doff, s->src.p + s->soff, c.size);
	}
	ns = zb_now_ns() - t0;
	mc_cpu = cpu_s() - c0;
	printf("memcpy: %llu copies, %.0f iops, %.1f MB/s (same buffers; CPU %.3f s)\n",
	       (unsigned long long)c.iters, c.iters / (ns / 1e9),
	       c.iters * (double)c.size / 1e6 / (ns / 1e9), mc_cpu);
	for (k = 0; k < c.depth; k++) {
		region_free(&slots[k].src);
		region_free(&slots[k].dst);
	}
	close(zfd);
	return failures ? 1 : 0;
}
