// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench dma --table: the engine zcdev's channels belong to, measured on
 * every endpoint pair that matters (coherent -> coherent, PAGES -> PAGES,
 * user -> user) at a small and a large transfer (4 KiB, 1 MiB), next to
 * the CPU memcpy()ing the same bytes between the same buffers in the same
 * run, and the CPU's own bandwidth through each kind of mapping.
 *
 * zcdev binds the channels of one DMA device (its dma_channel= parameter),
 * so one run measures one engine; --json keeps the rows, and --merge
 * prints the rows of several runs (zcbench-engines.sh: one per engine,
 * zcdev reloaded in between) as one table with an engine column.
 *
 * Each row first runs its transfers verified (dmatest's three checks), to
 * count failures, then again unverified and timed: the checks are CPU work
 * of the submitting thread, and the CPU column is meant to be what
 * submitting and reaping cost.
 *
 * The mapping bandwidth is there because dma_mmap_coherent() gives the CPU
 * an uncached (write-combined) mapping where the device is not cache
 * coherent (32-bit ARM): DMA into COHERENT memory is then cheap for the
 * engine and expensive for the CPU that reads the result.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zcbench.h"

#define TABLE_SMALL	(4 * ZB_KiB)
#define TABLE_LARGE	ZB_MiB
#define BW_BYTES	(4 * ZB_MiB)
#define BW_REPS		5
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const uint32_t table_kinds[] = { ZCDEV_BUF_COHERENT, ZCDEV_BUF_PAGES, 0 };
static const uint64_t table_sizes[] = { TABLE_SMALL, TABLE_LARGE };

/* Transfers per row when --iterations was not given: ~1-4 MiB a row. */
static uint64_t default_iters(uint64_t size)
{
	return size <= 64 * ZB_KiB ? 256 : 16;
}

static void row_init(struct result *res, const struct zb_env *env,
		     const char *workload, const char *method, const char *engine)
{
	result_init(res, env);
	snprintf(res->workload, sizeof(res->workload), "%s", workload);
	snprintf(res->method, sizeof(res->method), "%s", method);
	snprintf(res->path, sizeof(res->path), "local");
	snprintf(res->engine, sizeof(res->engine), "%s", engine);
	snprintf(res->status, sizeof(res->status), "ok");
}

/* Rates of a timed pass of @tests transfers of @size bytes. */
static void row_rates(struct result *res, uint64_t tests, uint64_t size,
		      uint64_t ns, double cpu, double busy)
{
	double gib = (double)tests * size / ZB_GiB;

	res->size = size;
	res->bufsize = size;
	res->reps = 1;
	res->secs = ns / 1e9;
	res->mbps = tests * (double)size * 1e3 / ns;	/* bytes/ns = GB/s */
	res->iops = tests / res->secs;
	res->snd_usr_gib = cpu / gib;	/* user + system of the thread */
	res->snd_sys_gib = 0;
	res->sys_cpu_gib = busy / gib;
}

/*
 * One endpoint pair at one size: the engine's row and the memcpy row.
 * Returns 0, 1 if a test failed.
 */
static int measure_pair(const struct dt_cfg *base, const struct zb_env *env,
			const char *engine, uint32_t kind, uint64_t size,
			struct result *dma, struct result *mc)
{
	struct dt_cfg c = *base;
	struct dt_file f;
	double busy0, cpu;
	uint64_t ns;
	int err;

	c.size = size;
	c.segs = 1;
	c.skind = c.dkind = kind;
	if (!c.iters)
		c.iters = default_iters(size);
	row_init(dma, env, "dmatest", "dma", engine);
	row_init(mc, env, "dmatest", "memcpy", "");
	snprintf(dma->source, sizeof(dma->source), "%s -> %s",
		 region_kind_name(kind), region_kind_name(kind));
	snprintf(mc->source, sizeof(mc->source), "%s", dma->source);
	dma->size = mc->size = size;
	err = dt_file_setup(&f, &c, 0);
	if (err) {
		snprintf(dma->status, sizeof(dma->status), "unavailable");
		snprintf(dma->reason, sizeof(dma->reason), "%s buffers of %zu bytes, %llu pairs: %s",
			 region_kind_name(kind), dt_buf_len(&c),
			 (unsigned long long)c.depth, zc_errname(err));
		*mc = *dma;
		snprintf(mc->method, sizeof(mc->method), "memcpy");
		snprintf(mc->engine, sizeof(mc->engine), "%s", "");
		dt_file_release(&f);
		return 0;
	}
	if (base->verify) {
		dt_file_run(&f);
		dma->tests = c.iters;
		dma->failures = f.failures;
		dma->verified = !f.err && !f.failures;
	}
	if (!f.err) {
		c.verify = false;
		busy0 = zb_cpu_busy_s();
		dt_file_run(&f);
		row_rates(dma, c.iters, size, f.t1 - f.t0, f.cpu, zb_cpu_busy_s() - busy0);
		dma->lat_us = f.engine_ns / 1e3 / c.iters;
		if (!base->verify)
			dma->tests = c.iters;
		if (isnan(dma->failures))
			dma->failures = 0;
		dma->failures += f.failures;
	}
	if (f.err || dma->failures) {
		snprintf(dma->status, sizeof(dma->status), "fail");
		snprintf(dma->reason, sizeof(dma->reason), "%s",
			 f.err ? zc_errname(f.err) : "tests failed");
	}
	busy0 = zb_cpu_busy_s();
	ns = dt_memcpy(&f, &cpu);
	row_rates(mc, c.iters, size, ns, cpu, zb_cpu_busy_s() - busy0);
	mc->tests = c.iters;
	mc->failures = 0;
	dt_file_release(&f);
	return f.err || dma->failures ? 1 : 0;
}

/* Best MB/s of summing @len bytes as 64-bit words. */
static double bw_read(const void *p, size_t len)
{
	const uint64_t *w = p;
	double best = 0;
	int r;

	for (r = 0; r < BW_REPS; r++) {
		uint64_t sum = 0, t = zb_now_ns();
		size_t i;

		for (i = 0; i < len / sizeof(*w); i++)
			sum += w[i];
		/* The sum is used, so the loads happen. */
		__asm__ volatile("" : : "r"(sum));
		t = zb_now_ns() - t;
		if (t && len * 1e3 / t > best)
			best = len * 1e3 / t;
	}
	return best;
}

/* Best MB/s of memset() over @len bytes. */
static double bw_write(void *p, size_t len)
{
	double best = 0;
	int r;

	for (r = 0; r < BW_REPS; r++) {
		uint64_t t = zb_now_ns();

		memset(p, r + 1, len);
		__asm__ volatile("" : : "r"(p) : "memory");
		t = zb_now_ns() - t;
		if (t && len * 1e3 / t > best)
			best = len * 1e3 / t;
	}
	return best;
}

/* Read and write rows of one kind of memory: a zcdev buffer, or malloc(). */
static void measure_mapping(int zfd, uint32_t kind, const struct zb_env *env,
			    const char *engine, struct result *rd, struct result *wr)
{
	const char *name = kind ? region_kind_name(kind) : "malloc";
	struct region rg = { 0 };
	void *p;
	int err = 0;

	row_init(rd, env, "mmap", "read", kind ? engine : "");
	row_init(wr, env, "mmap", "write", kind ? engine : "");
	snprintf(rd->source, sizeof(rd->source), "%s", name);
	snprintf(wr->source, sizeof(wr->source), "%s", name);
	rd->size = wr->size = rd->bufsize = wr->bufsize = BW_BYTES;
	if (kind) {
		err = region_alloc(zfd, kind, BW_BYTES, &rg);
		p = rg.p;
	} else {
		p = malloc(BW_BYTES);
		err = p ? 0 : -ENOMEM;
	}
	if (err) {
		snprintf(rd->status, sizeof(rd->status), "unavailable");
		snprintf(rd->reason, sizeof(rd->reason), "%s buffer of %llu bytes: %s",
			 name, BW_BYTES, zc_errname(err));
		snprintf(wr->status, sizeof(wr->status), "unavailable");
		snprintf(wr->reason, sizeof(wr->reason), "%s", rd->reason);
		return;
	}
	memset(p, 0, BW_BYTES);	/* faulted in: the bandwidth, not the faults */
	wr->mbps = bw_write(p, BW_BYTES);
	rd->mbps = bw_read(p, BW_BYTES);
	rd->reps = wr->reps = BW_REPS;
	if (kind) {
		region_free(&rg);
		zc_free(zfd, rg.zb.handle);
	} else {
		free(p);
	}
}

static const char *row_engine(const struct result *r)
{
	if (!strcmp(r->workload, "dmatest"))
		return strcmp(r->method, "memcpy") ? r->engine : "CPU memcpy";
	return r->engine[0] ? r->engine : "-";
}

/* The memcpy of row @i's run: measured right after it, so its next row. */
static const struct result *memcpy_of(const struct result *res, int n, int i)
{
	const struct result *m = i + 1 < n ? &res[i + 1] : NULL;

	return m && !strcmp(m->method, "memcpy") && !strcmp(m->source, res[i].source) &&
	       m->size == res[i].size ? m : NULL;
}

static void print_dma_rows(const struct result *res, int n)
{
	bool seen_memcpy[ARRAY_SIZE(table_kinds)][ARRAY_SIZE(table_sizes)] = { { 0 } };
	size_t k, s;
	int i;

	printf("| engine | src -> dst | size | MB/s | x memcpy | submitter CPU s/GiB | all CPUs s/GiB | engine us/transfer | iops | tests, failures |\n");
	printf("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
	for (k = 0; k < ARRAY_SIZE(table_kinds); k++) {
		char pair[64];

		snprintf(pair, sizeof(pair), "%s -> %s", region_kind_name(table_kinds[k]),
			 region_kind_name(table_kinds[k]));
		for (s = 0; s < ARRAY_SIZE(table_sizes); s++) {
			/* Every engine's row, then the first run's memcpy. */
			for (i = 0; i < n; i++) {
				const struct result *r = &res[i], *mc;
				bool is_mc = !strcmp(r->method, "memcpy");
				char sz[16];

				if (strcmp(r->workload, "dmatest") || strcmp(r->source, pair) ||
				    r->size != table_sizes[s])
					continue;
				if (is_mc && seen_memcpy[k][s])
					continue;
				seen_memcpy[k][s] |= is_mc;
				zb_fmt_size(r->size, sz, sizeof(sz));
				if (strcmp(r->status, "ok") && isnan(r->mbps)) {
					printf("| %s | %s | %s | %s: %s |||||||\n", row_engine(r),
					       r->source, sz, r->status, r->reason);
					continue;
				}
				mc = is_mc ? NULL : memcpy_of(res, n, i);
				printf("| %s | %s | %s | %.1f | ", row_engine(r), r->source, sz, r->mbps);
				if (mc && !isnan(mc->mbps))
					printf("%.3f", r->mbps / mc->mbps);
				else
					printf("%s", is_mc ? "1" : "-");
				printf(" | %.3f | %.3f | ", r->snd_usr_gib, r->sys_cpu_gib);
				if (isnan(r->lat_us))
					printf("-");
				else
					printf("%.1f", r->lat_us);
				printf(" | %.0f | %.0f, %.0f%s |\n", r->iops, r->tests,
				       isnan(r->failures) ? 0 : r->failures,
				       is_mc ? "" : r->verified == 1 ? " (verified)" : "");
			}
		}
	}
}

static void print_mmap_rows(const struct result *res, int n)
{
	int i, j;

	printf("| engine (COHERENT, PAGES allocated for it) | memory | read MB/s (sum of u64) | write MB/s (memset) |\n");
	printf("| --- | --- | ---: | ---: |\n");
	for (i = 0; i < n; i++) {
		const struct result *rd = &res[i], *wr = NULL;

		if (strcmp(rd->workload, "mmap") || strcmp(rd->method, "read"))
			continue;
		for (j = i + 1; j < n && !wr; j++)
			if (!strcmp(res[j].workload, "mmap") && !strcmp(res[j].method, "write") &&
			    !strcmp(res[j].source, rd->source) &&
			    !strcmp(res[j].engine, rd->engine) && !strcmp(res[j].where, rd->where))
				wr = &res[j];
		if (strcmp(rd->status, "ok")) {
			printf("| %s | %s | %s: %s ||\n", row_engine(rd), rd->source,
			       rd->status, rd->reason);
			continue;
		}
		printf("| %s | %s | %.0f | ", row_engine(rd), rd->source, rd->mbps);
		if (wr && !isnan(wr->mbps))
			printf("%.0f |\n", wr->mbps);
		else
			printf("- |\n");
	}
}

static void print_table(const struct result *res, int n)
{
	const char *accel = n ? res[0].accel : "";

	printf("dma table: %s, %s; wall clock%s\n", n ? res[0].kernel : "?", accel,
	       !strcmp(accel, "tcg") ? " under QEMU TCG: emulated timings, and no caches "
	       "modelled (an uncached COHERENT mapping costs nothing extra here)" : "");
	print_dma_rows(res, n);
	printf("\nmmap bandwidth: %llu MiB, best of %d, one thread\n",
	       BW_BYTES / ZB_MiB, BW_REPS);
	print_mmap_rows(res, n);
}

int dma_table_run(const struct dt_cfg *base, FILE *jf)
{
	struct result res[2 * ARRAY_SIZE(table_kinds) * ARRAY_SIZE(table_sizes) +
			  2 * ARRAY_SIZE(table_kinds)];
	struct dma_engine eng;
	struct zb_env env;
	int zfd, err, n = 0, failed = 0, i;
	size_t k, s;

	zfd = zc_open();
	if (zfd < 0) {
		zb_log("%s: %s (module not loaded)", zc_dev_path(), strerror(-zfd));
		return 3;
	}
	err = dma_engine_get(zfd, &eng);
	if (err) {
		zb_log("zcdev has no DMA channel (%s)", zc_errname(err));
		close(zfd);
		return 3;
	}
	env_detect(&env);
	printf("dma: engine %s (device %s; zcdev's channels %s); depth %llu, %s\n",
	       eng.driver, eng.device, eng.chans, (unsigned long long)base->depth,
	       base->verify ? "every row verified first, then timed unverified" :
	       "not verified");
	fflush(stdout);
	for (k = 0; k < ARRAY_SIZE(table_kinds); k++)
		for (s = 0; s < ARRAY_SIZE(table_sizes); s++) {
			failed |= measure_pair(base, &env, eng.driver, table_kinds[k],
					       table_sizes[s], &res[n], &res[n + 1]);
			res[n].channels = eng.nchans;
			n += 2;
		}
	for (k = 0; k < ARRAY_SIZE(table_kinds); k++) {
		measure_mapping(zfd, table_kinds[k], &env, eng.driver, &res[n], &res[n + 1]);
		n += 2;
	}
	close(zfd);
	print_table(res, n);
	for (i = 0; jf && i < n; i++)
		out_json(jf, &res[i]);
	return failed;
}

int dma_table_merge(char **files, int nfiles)
{
	struct result *res = NULL;
	int i, n = 0, fails = 0;

	for (i = 0; i < nfiles; i++) {
		int err = jsonl_load(files[i], &res, &n);

		if (err && err != -EINVAL)
			zb_die("cannot read %s: %s", files[i], strerror(-err));
	}
	for (i = 0; i < n; i++)
		fails += !strcmp(res[i].status, "fail");
	print_table(res, n);
	free(res);
	return fails ? 1 : 0;
}
