// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev demo: the foundation stage end to end, one buffer per kind, each
 * step timed and checked so that a broken module fails loudly at the step
 * that broke. The data checks use the offset-keyed pattern, so a mapping
 * that shows the wrong page, a pread that starts at the wrong place or a
 * pwrite that spills past its range all show up as a mismatch offset.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "zcctl.h"

static const char help[] =
"usage: zcctl demo [--kind coherent|pages|both] [--size SIZE]\n"
"\n"
"For each kind (default both, default size 1M): allocate a buffer, query\n"
"it (and its DMA segments when allowed), mmap it, fill it through the\n"
"mapping, read it back with pread, pwrite a sub-range and check it through\n"
"the mapping, sync it for the device and back, free the handle while the\n"
"mapping still holds the buffer, and unmap. Prints each step with its time\n"
"and ends with 'demo: OK', or names the failing step and exits 1.\n";

/* Two seeds, so the pwrite step is told apart from the fill. */
#define SEED_FILL	0x7a63646576ULL		/* "zcdev" */
#define SEED_WRITE	0x77726974ULL		/* "writ" */
/* Segments printed in full; the rest are only counted and summed. */
#define SHOW_SEGS	4

struct demo {
	int fd;
	const char *kname;
	char where[48];		/* "demo: pages" for error lines */
	const char *step;	/* for the final "FAILED at" line */
	struct zc_buf buf;
	bool allocated;
	void *map;
	unsigned char *tmp;	/* pread/pwrite staging, buf.len bytes */
	uint64_t sub_off, sub_len;	/* the pwrite range */
	uint64_t t0;
};

static void step_start(struct demo *d, const char *step)
{
	d->step = step;
	d->t0 = zcctl_now_us();
}

static uint64_t step_us(const struct demo *d)
{
	return zcctl_now_us() - d->t0;
}

static void step_done(const struct demo *d, uint64_t us, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void step_done(const struct demo *d, uint64_t us, const char *fmt, ...)
{
	va_list ap;

	printf("  %-7s %8" PRIu64 " us  ", d->step, us);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static double mib_per_s(uint64_t bytes, uint64_t us)
{
	return us ? (double)bytes / (1 << 20) / ((double)us / 1e6) : 0;
}

/* What the buffer should hold once the pwrite step has run. */
static int check_after_write(struct demo *d, const unsigned char *p)
{
	uint64_t bad, end = d->sub_off + d->sub_len;

	if (zc_pattern_verify(p, d->sub_off, SEED_FILL, 0, &bad)) {
		zcctl_mismatch(d->where, p, 0, bad, SEED_FILL);
		return -1;
	}
	if (zc_pattern_verify(p + d->sub_off, d->sub_len, SEED_WRITE, d->sub_off,
			      &bad)) {
		zcctl_mismatch(d->where, p, 0, bad, SEED_WRITE);
		return -1;
	}
	if (zc_pattern_verify(p + end, d->buf.len - end, SEED_FILL, end, &bad)) {
		zcctl_mismatch(d->where, p, 0, bad, SEED_FILL);
		return -1;
	}
	return 0;
}

static int do_alloc(struct demo *d, uint32_t kind, uint64_t size)
{
	char s[ZC_FMT_SIZE_LEN];
	uint64_t us;
	int ret;

	step_start(d, "alloc");
	ret = zc_alloc(d->fd, kind, size, &d->buf);
	us = step_us(d);
	if (ret) {
		zcctl_alloc_error(d->where, d->fd, ret, kind, size);
		return -1;
	}
	d->allocated = true;
	step_done(d, us, "handle %u, len %" PRIu64 " (%s), offset 0x%" PRIx64,
		  d->buf.handle, d->buf.len, zc_fmt_size(d->buf.len, s, sizeof(s)),
		  d->buf.offset);
	if (d->buf.len < size) {
		zcctl_error(d->where, -EINVAL, "module returned %" PRIu64
			    " bytes for a request of %" PRIu64, d->buf.len, size);
		return -1;
	}
	return 0;
}

static int do_query(struct demo *d, uint32_t kind, uint32_t *nsegs)
{
	struct zc_buf q;
	uint64_t us;
	int ret;

	step_start(d, "query");
	ret = zc_query(d->fd, d->buf.handle, &q, nsegs, NULL, 0);
	us = step_us(d);
	if (ret) {
		zcctl_buf_error(d->where, ret, "query", d->buf.handle);
		return -1;
	}
	step_done(d, us, "kind %s, len %" PRIu64 ", offset 0x%" PRIx64 ", nr_segs %u",
		  zc_kind_name(q.kind), q.len, q.offset, *nsegs);
	if (q.kind != kind || q.len != d->buf.len || q.offset != d->buf.offset) {
		zcctl_error(d->where, -EINVAL, "query disagrees with alloc");
		return -1;
	}
	if (!*nsegs || *nsegs > d->buf.len / 4096 + 1) {
		zcctl_error(d->where, -EINVAL, "%u DMA segments for %" PRIu64
			    " bytes", *nsegs, d->buf.len);
		return -1;
	}
	return 0;
}

/* The DMA view: only root may see bus addresses, others see why not. */
static int do_segs(struct demo *d, uint32_t nsegs)
{
	struct zcdev_dma_seg *segs;
	uint32_t i, got = 0;
	uint64_t us, sum = 0;
	int ret;

	segs = calloc(nsegs, sizeof(*segs));
	if (!segs) {
		zcctl_error(d->where, -ENOMEM, NULL);
		return -1;
	}
	step_start(d, "segs");
	ret = zc_query(d->fd, d->buf.handle, NULL, &got, segs, nsegs);
	us = step_us(d);
	if (ret == -EPERM) {
		step_done(d, us, "skipped: DMA addresses need CAP_SYS_ADMIN");
		free(segs);
		return 0;
	}
	if (ret) {
		zcctl_buf_error(d->where, ret, "query with segments", d->buf.handle);
		free(segs);
		return -1;
	}
	for (i = 0; i < nsegs; i++)
		sum += segs[i].len;
	step_done(d, us, "%u segment%s, %" PRIu64 " bytes", nsegs,
		  nsegs == 1 ? "" : "s", sum);
	for (i = 0; i < nsegs && i < SHOW_SEGS; i++)
		printf("      seg %u: dma 0x%" PRIx64 " len %" PRIu64 "\n", i,
		       (uint64_t)segs[i].dma_addr, (uint64_t)segs[i].len);
	if (nsegs > SHOW_SEGS)
		printf("      ... %u more\n", nsegs - SHOW_SEGS);
	free(segs);
	if (got != nsegs || sum != d->buf.len) {
		zcctl_error(d->where, -EINVAL, "segments cover %" PRIu64 " of %"
			    PRIu64 " bytes (nr_segs %u, then %u)", sum,
			    d->buf.len, nsegs, got);
		return -1;
	}
	return 0;
}

static int do_map_fill(struct demo *d)
{
	uint64_t us;
	int ret;

	step_start(d, "mmap");
	ret = zc_map(d->fd, &d->buf, 0, 0, PROT_READ | PROT_WRITE, &d->map);
	us = step_us(d);
	if (ret) {
		d->map = NULL;
		zcctl_buf_error(d->where, ret, "mmap", d->buf.handle);
		return -1;
	}
	step_done(d, us, "%p, MAP_SHARED, whole buffer", d->map);

	step_start(d, "fill");
	zc_pattern_fill(d->map, d->buf.len, SEED_FILL, 0);
	us = step_us(d);
	step_done(d, us, "pattern seed 0x%llx through the mapping, %.0f MiB/s",
		  SEED_FILL, mib_per_s(d->buf.len, us));
	return 0;
}

static int do_pread(struct demo *d)
{
	uint64_t us, bad;
	ssize_t n;

	/* Outside the timing: also faults the destination in before the read. */
	memset(d->tmp, 0, d->buf.len);
	step_start(d, "pread");
	n = zc_pread_full(d->fd, d->tmp, d->buf.len, d->buf.offset);
	us = step_us(d);
	if (n < 0) {
		zcctl_buf_error(d->where, n, "pread", d->buf.handle);
		return -1;
	}
	if ((uint64_t)n != d->buf.len) {
		zcctl_error(d->where, -EIO, "pread: short read, %zd of %" PRIu64
			    " bytes", n, d->buf.len);
		return -1;
	}
	if (zc_pattern_verify(d->tmp, d->buf.len, SEED_FILL, 0, &bad)) {
		zcctl_mismatch(d->where, d->tmp, 0, bad, SEED_FILL);
		return -1;
	}
	step_done(d, us, "%" PRIu64 " bytes, %.0f MiB/s, match the fill",
		  d->buf.len, mib_per_s(d->buf.len, us));
	return 0;
}

/*
 * A mapping that starts in the middle of the buffer: the module has to
 * translate the page offset within the buffer, which a whole-buffer
 * mapping never exercises.
 */
static int check_sub_map(struct demo *d)
{
	uint64_t bad;
	void *p;
	int ret;

	ret = zc_map(d->fd, &d->buf, d->sub_off, d->sub_len, PROT_READ, &p);
	if (ret) {
		zcctl_buf_error(d->where, ret, "mmap of a sub-range", d->buf.handle);
		return -1;
	}
	ret = zc_pattern_verify(p, d->sub_len, SEED_WRITE, d->sub_off, &bad);
	if (ret)
		zcctl_mismatch(d->where, p, d->sub_off, bad, SEED_WRITE);
	zc_unmap(p, d->sub_len);
	return ret ? -1 : 0;
}

/*
 * An odd offset and length, so a module that rounds to pages or words
 * writes outside the range and the check around it catches that.
 */
static int do_pwrite(struct demo *d)
{
	uint64_t us;
	ssize_t n;

	d->sub_off = d->buf.len / 4 + 123;
	d->sub_len = d->buf.len / 2 - 7;
	zc_pattern_fill(d->tmp, d->sub_len, SEED_WRITE, d->sub_off);

	step_start(d, "pwrite");
	n = zc_pwrite_full(d->fd, d->tmp, d->sub_len, d->buf.offset + d->sub_off);
	us = step_us(d);
	if (n < 0) {
		zcctl_buf_error(d->where, n, "pwrite", d->buf.handle);
		return -1;
	}
	if ((uint64_t)n != d->sub_len) {
		zcctl_error(d->where, -EIO, "pwrite: short write, %zd of %" PRIu64
			    " bytes", n, d->sub_len);
		return -1;
	}
	if (check_after_write(d, d->map) || check_sub_map(d))
		return -1;
	step_done(d, us, "%" PRIu64 " bytes at +0x%" PRIx64 ", seed 0x%llx: "
		  "both mappings agree, the rest unchanged", d->sub_len,
		  d->sub_off, SEED_WRITE);
	return 0;
}

static int do_sync(struct demo *d)
{
	uint64_t us;
	int ret;

	step_start(d, "sync");
	ret = zc_sync(d->fd, d->buf.handle, ZCDEV_SYNC_FOR_DEVICE, 0, d->buf.len);
	if (!ret)
		ret = zc_sync(d->fd, d->buf.handle, ZCDEV_SYNC_FOR_CPU, 0,
			      d->buf.len);
	/* A range that starts and ends inside pages and segments. */
	if (!ret)
		ret = zc_sync(d->fd, d->buf.handle, ZCDEV_SYNC_FOR_CPU,
			      d->sub_off, d->sub_len);
	us = step_us(d);
	if (ret) {
		zcctl_buf_error(d->where, ret, "sync", d->buf.handle);
		return -1;
	}
	if (check_after_write(d, d->map))
		return -1;
	step_done(d, us, "for device, for CPU, CPU sub-range; data unchanged");
	return 0;
}

static int file_bytes(struct demo *d, uint64_t *out)
{
	struct zcdev_info in;
	int ret = zc_info(d->fd, &in);

	if (ret) {
		zcctl_error(d->where, ret, "info: %s", strerror(-ret));
		return -1;
	}
	*out = in.file_bytes;
	return 0;
}

/* The mapping, not the handle, keeps the memory: show both halves of that. */
static int do_free_unmap(struct demo *d)
{
	uint64_t us, before, held, after;
	struct zc_buf q;
	int ret;

	if (file_bytes(d, &before))
		return -1;
	step_start(d, "free");
	ret = zc_free(d->fd, d->buf.handle);
	us = step_us(d);
	if (ret) {
		zcctl_buf_error(d->where, ret, "free", d->buf.handle);
		return -1;
	}
	d->allocated = false;
	ret = zc_query(d->fd, d->buf.handle, &q, NULL, NULL, 0);
	if (ret != -ENOENT) {
		zcctl_error(d->where, ret ? ret : -EEXIST, "query after free "
			    "should fail with ENOENT");
		return -1;
	}
	if (check_after_write(d, d->map) || file_bytes(d, &held))
		return -1;
	step_done(d, us, "handle %u gone (ENOENT), mapping still reads the "
		  "data, file_bytes %" PRIu64, d->buf.handle, held);
	if (held != before) {
		zcctl_error(d->where, -EINVAL, "file_bytes went from %" PRIu64
			    " to %" PRIu64 " while the mapping holds the buffer",
			    before, held);
		return -1;
	}

	step_start(d, "munmap");
	ret = zc_unmap(d->map, d->buf.len);
	us = step_us(d);
	if (ret) {
		zcctl_error(d->where, ret, "munmap: %s", strerror(-ret));
		return -1;
	}
	d->map = NULL;
	if (file_bytes(d, &after))
		return -1;
	step_done(d, us, "buffer released, file_bytes %" PRIu64, after);
	if (after + d->buf.len != before) {
		zcctl_error(d->where, -EINVAL, "file_bytes %" PRIu64 " after the "
			    "last mapping went, expected %" PRIu64, after,
			    before - d->buf.len);
		return -1;
	}
	return 0;
}

static int demo_kind(int fd, uint32_t kind, uint64_t size)
{
	struct demo d = { .fd = fd, .kname = zc_kind_name(kind) };
	char s[ZC_FMT_SIZE_LEN];
	uint32_t nsegs = 0;
	int ret = -1;

	snprintf(d.where, sizeof(d.where), "demo: %s", d.kname);
	printf("demo: %s buffer, %s\n", d.kname, zc_fmt_size(size, s, sizeof(s)));
	if (do_alloc(&d, kind, size) || do_query(&d, kind, &nsegs) ||
	    do_segs(&d, nsegs))
		goto out;
	d.tmp = malloc(d.buf.len);
	if (!d.tmp) {
		zcctl_error(d.where, -ENOMEM, NULL);
		goto out;
	}
	if (do_map_fill(&d) || do_pread(&d) || do_pwrite(&d) || do_sync(&d) ||
	    do_free_unmap(&d))
		goto out;
	ret = 0;
out:
	if (ret)
		printf("demo: FAILED at %s %s\n", d.kname, d.step ? d.step : "setup");
	if (d.map)
		zc_unmap(d.map, d.buf.len);
	if (d.allocated)
		zc_free(fd, d.buf.handle);
	free(d.tmp);
	return ret;
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "size", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const uint32_t order[] = { ZCDEV_BUF_COHERENT, ZCDEV_BUF_PAGES };
	static const uint64_t feat[] = { ZCDEV_FEAT_COHERENT, ZCDEV_FEAT_PAGES };
	uint64_t size = 1 << 20;
	struct zcdev_info in;
	uint32_t only = 0;
	int c, fd, ret, skipped = 0;
	size_t i;

	while ((c = getopt_long(argc, argv, "+:k:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (!strcmp(optarg, "both"))
				only = 0;
			else if (zc_parse_kind(optarg, &only))
				return zcctl_usage("demo", "--kind %s: expected "
						   "coherent, pages or both", optarg);
			break;
		case 's':
			if ((ret = zcctl_opt_size("demo", "--size", optarg, &size)))
				return ret;
			if (!size || size > SIZE_MAX / 2)
				return zcctl_usage("demo", "--size %s: out of range",
						   optarg);
			break;
		case 'h':
			fputs(help, stdout);
			return ZCCTL_OK;
		default:
			return zcctl_bad_option("demo", c, argv);
		}
	}
	if (optind < argc)
		return zcctl_usage("demo", "unexpected argument '%s'", argv[optind]);

	fd = zcctl_open("demo");
	if (fd < 0)
		return ZCCTL_FAIL;
	ret = zc_info(fd, &in);
	if (ret) {
		zcctl_error("demo", ret, "info: %s", strerror(-ret));
		close(fd);
		return ZCCTL_FAIL;
	}
	printf("demo: %s, module ABI %u, page size %u, uid %u\n", zc_dev_path(),
	       in.abi_version, in.page_size, (unsigned int)geteuid());
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (only && order[i] != only)
			continue;
		if (!(in.features & feat[i])) {
			/* Said out loud: a kind the module lacks is not a pass. */
			printf("demo: %s: SKIPPED, the module does not offer it "
			       "(features 0x%" PRIx64 ")\n",
			       zc_kind_name(order[i]), (uint64_t)in.features);
			skipped++;
			continue;
		}
		if (demo_kind(fd, order[i], size)) {
			close(fd);
			return ZCCTL_FAIL;
		}
	}
	close(fd);
	/* Asking for one kind the module lacks is a failure, not a skip. */
	if (only && skipped) {
		printf("demo: FAILED, %s buffers not offered\n", zc_kind_name(only));
		return ZCCTL_FAIL;
	}
	if (skipped)
		printf("demo: OK (%d kind%s skipped)\n", skipped,
		       skipped == 1 ? "" : "s");
	else
		printf("demo: OK\n");
	return ZCCTL_OK;
}
