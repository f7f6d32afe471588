// SPDX-License-Identifier: GPL-2.0
/*
 * zcctl dma: one transfer through one of the module's dmaengine channels,
 * the way dmatest runs one test: pattern in, engine, pattern checked out,
 * one line of result. The source holds the pattern of the seed and the
 * destination starts out holding a different one, so a byte the engine did
 * not copy (stale), copied from the wrong place (shifted) or wrote outside
 * the range (guard) each shows up as a mismatch at a named offset. --stats
 * shows the counters of every channel, which is where a transfer's channel
 * can be seen.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "zcctl.h"

static const char help[] =
"usage: zcctl dma --size SIZE [--from EP] [--to EP] [--segs N] [--seed SEED]\n"
"                 [--timeout MS] [--cancel-after US] [--verify] [--stats]\n"
"       zcctl dma --stats\n"
"\n"
"Run one DMA transfer of SIZE bytes (ZCDEV_IOC_DMA_SUBMIT) on the dmaengine\n"
"channel the module binds this file to (of those it uses, the one with the\n"
"fewest files), split into N segments that cover the range in order, wait\n"
"for it (ZCDEV_IOC_DMA_WAIT) and print its status (DONE, ERROR, TIMEDOUT or\n"
"CANCELLED, with its errno), the bytes moved, the engine time and the rate.\n"
"The source holds the test pattern of SEED; the destination starts out\n"
"holding another pattern, so --verify tells copied bytes, stale bytes and\n"
"bytes written outside the range apart.\n"
"\n"
"An endpoint EP is where one side of the copy lives:\n"
"  pages[:OFF]      a new PAGES buffer; the range starts at buffer offset OFF\n"
"  coherent[:OFF]   a new COHERENT buffer (at most max_coherent_bytes)\n"
"  user[:OFF]       memory of this process (an anonymous mapping, OFF bytes\n"
"                   after a guard page), which the module pins for the transfer\n"
"OFF takes size suffixes and need not be aligned. Buffers get a guard page\n"
"after the range (coherent ones only as far as max_coherent_bytes allows);\n"
"user memory a guard page before and after it.\n"
"\n"
"  -f, --from EP          source, default pages (also --src)\n"
"  -t, --to EP            destination, default user (also --dst)\n"
"  -s, --size SIZE        bytes to copy; K, M, G suffixes (K = 1024)\n"
"  -n, --segs N           segments, 1 .. " ZCCTL_STR(ZCDEV_DMA_MAX_SEGS) " (default 1)\n"
"  -S, --seed SEED        pattern seed, decimal or 0x-hex (default 1)\n"
"  -T, --timeout MS       after MS milliseconds the module terminates the\n"
"                         transfer: TIMEDOUT (default 10000; 0 waits forever)\n"
"  -c, --cancel-after US  cancel it US microseconds after the submit\n"
"                         (ZCDEV_IOC_DMA_CANCEL): CANCELLED, unless it was\n"
"                         done by then\n"
"  -v, --verify           check that the destination holds the source's bytes,\n"
"                         the guard bytes around it are untouched and the\n"
"                         source is unchanged\n"
"      --stats            print the DMA counters afterwards (ZCDEV_IOC_DMA_STATS):\n"
"                         module-wide (every channel added up), then one line\n"
"                         per channel: name, files bound to it, transfers\n"
"                         running and queued now, then since zcdev loaded:\n"
"                         transfers ended, bytes, errors, timeouts, cancels,\n"
"                         latency min/avg/max; without --size, only those\n"
"\n"
"engine_ns is the engine's time for this transfer (from reaching the head of\n"
"the channel's queue to its completion); MB/s is 10^6 bytes per second of it.\n"
"Exit: 0 DONE (and verified), 1 anything else; with --cancel-after a\n"
"CANCELLED transfer counts as success too. Example:\n"
"\n"
"  zcctl dma --from pages --to user --size 1M --segs 4 --verify --stats\n";

#define GUARD		4096
/* The destination's starting pattern: any seed the source does not use. */
#define GUARD_SEED(s)	((s) ^ 0x6775617264ULL)		/* "guard" */
/* zcdma_run_once() asks for one more go after EXDEV. */
#define AGAIN		(-1000)

/**
 * struct dma_ep - one side of the transfer and the memory around it
 * @role: "source" or "destination", for messages
 * @type: ZCDEV_DMA_EP_BUF or ZCDEV_DMA_EP_USER
 * @kind: ZCDEV_BUF_* for a buffer
 * @off: the OFF the user gave
 * @at: first byte of the range in @p (OFF, plus the guard page for user memory)
 * @area: bytes at @p: the range and its guards
 * @buf: the buffer, when @allocated
 * @allocated: @buf must be freed
 * @p: the mapping of the buffer, or the user memory; NULL if none
 * @map_len: length to unmap at @p
 */
struct dma_ep {
	const char *role;
	uint32_t type;
	uint32_t kind;
	uint64_t off;
	uint64_t at;
	uint64_t area;
	struct zc_buf buf;
	bool allocated;
	unsigned char *p;
	uint64_t map_len;
};

struct dma_opts {
	struct dma_ep src, dst;
	uint64_t size, segs, seed, timeout_ms, cancel_us;
	bool have_size, cancel, verify, stats;
	bool submitted;
};

static int parse_ep(const char *opt, const char *arg, struct dma_ep *e)
{
	const char *colon = strchr(arg, ':');
	size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
	int ret;

	if (n == 4 && !strncmp(arg, "user", 4)) {
		e->type = ZCDEV_DMA_EP_USER;
		e->kind = 0;
	} else if (n == 5 && !strncmp(arg, "pages", 5)) {
		e->type = ZCDEV_DMA_EP_BUF;
		e->kind = ZCDEV_BUF_PAGES;
	} else if (n == 8 && !strncmp(arg, "coherent", 8)) {
		e->type = ZCDEV_DMA_EP_BUF;
		e->kind = ZCDEV_BUF_COHERENT;
	} else {
		return zcctl_usage("dma", "%s %s: expected pages[:OFF], "
				   "coherent[:OFF] or user[:OFF]", opt, arg);
	}
	e->off = 0;
	if (colon) {
		ret = zcctl_opt_size("dma", opt, colon + 1, &e->off);
		if (ret)
			return ret;
	}
	return 0;
}

static const char *ep_name(const struct dma_ep *e)
{
	return e->type == ZCDEV_DMA_EP_USER ? "user" : zc_kind_name(e->kind);
}

static uint64_t page_up(uint64_t v)
{
	return (v + GUARD - 1) & ~(uint64_t)(GUARD - 1);
}

/* Allocates and maps one side; its bytes are filled by the caller. */
static int ep_setup(int fd, const struct zcdev_info *in, struct dma_ep *e,
		    uint64_t size)
{
	uint64_t want = e->off + size + GUARD;
	void *p;
	int ret;

	if (e->type == ZCDEV_DMA_EP_USER) {
		e->area = page_up(GUARD + e->off + size + GUARD);
		e->at = GUARD + e->off;
		if (e->area > SIZE_MAX) {
			zcctl_error("dma", -EOVERFLOW, "%s memory of %" PRIu64
				    " bytes", e->role, e->area);
			return -1;
		}
		p = mmap(NULL, e->area, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (p == MAP_FAILED) {
			zcctl_error("dma", -errno, "%s: mmap of %" PRIu64 " bytes "
				    "of user memory: %s", e->role, e->area,
				    strerror(errno));
			return -1;
		}
		e->p = p;
		e->map_len = e->area;
		return 0;
	}

	if (e->kind == ZCDEV_BUF_COHERENT && e->off + size > in->max_coherent_bytes) {
		char a[ZC_FMT_SIZE_LEN], b[ZC_FMT_SIZE_LEN];

		zcctl_error("dma", -EFBIG, "%s: OFF + SIZE (%s) is larger than one "
			    "coherent block may be (max_coherent_bytes %s); use "
			    "pages", e->role,
			    zc_fmt_size(e->off + size, a, sizeof(a)),
			    zc_fmt_size(in->max_coherent_bytes, b, sizeof(b)));
		return -1;
	}
	/* A coherent block this close to the limit gets what guard still fits. */
	if (e->kind == ZCDEV_BUF_COHERENT && want > in->max_coherent_bytes &&
	    e->off + size <= in->max_coherent_bytes)
		want = in->max_coherent_bytes;
	ret = zc_alloc(fd, e->kind, want, &e->buf);
	if (ret) {
		zcctl_alloc_error("dma", fd, ret, e->kind, want);
		return -1;
	}
	e->allocated = true;
	e->at = e->off;
	e->area = e->buf.len;
	ret = zc_map(fd, &e->buf, 0, 0, PROT_READ | PROT_WRITE, &p);
	if (ret) {
		zcctl_buf_error("dma", ret, "mmap", e->buf.handle);
		return -1;
	}
	e->p = p;
	e->map_len = e->buf.len;
	return 0;
}

static void ep_release(int fd, struct dma_ep *e)
{
	if (e->p && e->type == ZCDEV_DMA_EP_USER)
		munmap(e->p, e->map_len);
	else if (e->p)
		zc_unmap(e->p, e->map_len);
	e->p = NULL;
	if (e->allocated)
		zc_free(fd, e->buf.handle);
	e->allocated = false;
}

static void ep_describe(const struct dma_ep *e, uint64_t size)
{
	char s[ZC_FMT_SIZE_LEN];

	if (e->type == ZCDEV_DMA_EP_USER)
		printf("dma: %-11s user memory %p, range at +%" PRIu64 " (%"
		       PRIu64 " guard bytes before, %" PRIu64 " after)\n",
		       e->role, (void *)(e->p + e->at), e->off, e->at,
		       e->area - e->at - size);
	else
		printf("dma: %-11s %s buffer, handle %u, %s, range at +%" PRIu64
		       " (%" PRIu64 " bytes before, %" PRIu64 " after)\n",
		       e->role, zc_kind_name(e->kind), e->buf.handle,
		       zc_fmt_size(e->buf.len, s, sizeof(s)), e->at, e->at,
		       e->area - e->at - size);
}

static void ep_point(const struct dma_ep *e, uint64_t pos,
		     struct zcdev_dma_ep *out)
{
	out->type = e->type;
	if (e->type == ZCDEV_DMA_EP_BUF) {
		out->handle = e->buf.handle;
		out->addr = e->at + pos;
	} else {
		out->handle = 0;
		out->addr = (uintptr_t)(e->p + e->at + pos);
	}
}

/*
 * N segments in order, no gaps: SIZE / N bytes each, the first SIZE % N
 * of them one byte more.
 */
static struct zcdev_dma_seg_desc *build_segs(const struct dma_opts *o)
{
	struct zcdev_dma_seg_desc *d = calloc(o->segs, sizeof(*d));
	uint64_t i, pos = 0, base = o->size / o->segs, rem = o->size % o->segs;

	if (!d)
		return NULL;
	for (i = 0; i < o->segs; i++) {
		ep_point(&o->src, pos, &d[i].src);
		ep_point(&o->dst, pos, &d[i].dst);
		d[i].len = base + (i < rem);
		pos += d[i].len;
	}
	return d;
}

/* The first @done bytes of the range, then the guards, then the source. */
static int verify(const struct dma_opts *o, uint64_t done)
{
	const struct dma_ep *s = &o->src, *d = &o->dst;
	uint64_t after = d->at + o->size, bad;
	const unsigned char *dp = d->p;
	char sz[ZC_FMT_SIZE_LEN];

	if (zc_pattern_verify(dp + d->at, done, o->seed, s->at, &bad)) {
		uint64_t i = bad - s->at;

		zcctl_error("dma: verify", -EBADMSG, "destination byte %" PRIu64
			    " of the range (+0x%" PRIx64 ") is 0x%02x, the "
			    "source's (seed %" PRIu64 ") is 0x%02x%s", i,
			    d->at + i, dp[d->at + i], o->seed,
			    zc_pattern_byte(o->seed, bad),
			    dp[d->at + i] == zc_pattern_byte(GUARD_SEED(o->seed),
							     d->at + i) ?
			    " (never written)" : "");
		return -1;
	}
	if (zc_pattern_verify(dp, d->at, GUARD_SEED(o->seed), 0, &bad) ||
	    zc_pattern_verify(dp + after, d->area - after, GUARD_SEED(o->seed),
			      after, &bad)) {
		zcctl_error("dma: verify", -EBADMSG, "destination byte at +0x%"
			    PRIx64 ", %s the range, was overwritten: 0x%02x, "
			    "was 0x%02x", bad, bad < d->at ? "before" : "after",
			    dp[bad], zc_pattern_byte(GUARD_SEED(o->seed), bad));
		return -1;
	}
	if (zc_pattern_verify(s->p, s->area, o->seed, 0, &bad)) {
		zcctl_error("dma: verify", -EBADMSG, "source byte at +0x%" PRIx64
			    " changed: 0x%02x, was 0x%02x", bad, s->p[bad],
			    zc_pattern_byte(o->seed, bad));
		return -1;
	}
	if (done == o->size)
		printf("dma: verify: %s at the destination match the source",
		       zc_fmt_size(done, sz, sizeof(sz)));
	else
		printf("dma: verify: the %" PRIu64 " bytes moved match the source",
		       done);
	printf(", %" PRIu64 " bytes before and %" PRIu64 " after the range "
	       "untouched, source unchanged\n", d->at, d->area - after);
	return 0;
}

static void print_latency(uint64_t transfers, uint64_t min_ns,
			  uint64_t avg_ns, uint64_t max_ns)
{
	if (!transfers) {
		printf("no latency yet");
		return;
	}
	printf("latency (submit to end) min %.1f us, avg %.1f us, max %.1f us",
	       min_ns / 1e3, avg_ns / 1e3, max_ns / 1e3);
}

static void print_chan_stats(const struct zcdev_dma_chan_stats *c)
{
	char name[sizeof(c->name) + 1];

	/* The module terminates it; a longer future name must not overrun. */
	memcpy(name, c->name, sizeof(c->name));
	name[sizeof(c->name)] = 0;
	printf("dma: stats: channel %s: files %u, running %u, queued %u, "
	       "transfers %" PRIu64 ", bytes %" PRIu64 ", errors %" PRIu64
	       ", timeouts %" PRIu64 ", cancels %" PRIu64 ", ", name, c->files,
	       c->running, c->queued, (uint64_t)c->transfers,
	       (uint64_t)c->bytes, (uint64_t)c->errors, (uint64_t)c->timeouts,
	       (uint64_t)c->cancels);
	print_latency(c->transfers, c->lat_min_ns, c->lat_avg_ns, c->lat_max_ns);
	putchar('\n');
}

static int print_stats(int fd)
{
	struct zcdev_dma_chan_stats *chans;
	struct zcdev_dma_stats st;
	uint32_t i, nr;
	int ret = zc_dma_stats_all(fd, &st, &chans, &nr);

	if (ret) {
		zcctl_dma_error("dma", ret, "stats");
		return -1;
	}
	printf("dma: stats: module-wide, since zcdev loaded: %u channel%s\n",
	       nr, nr == 1 ? "" : "s");
	printf("dma: stats: transfers %" PRIu64 ", bytes %" PRIu64 ", errors %"
	       PRIu64 ", timeouts %" PRIu64 ", cancels %" PRIu64 ", in_flight %"
	       PRIu64 ", ", (uint64_t)st.transfers, (uint64_t)st.bytes,
	       (uint64_t)st.errors, (uint64_t)st.timeouts, (uint64_t)st.cancels,
	       (uint64_t)st.in_flight);
	print_latency(st.transfers, st.lat_min_ns, st.lat_avg_ns, st.lat_max_ns);
	putchar('\n');
	for (i = 0; i < nr; i++)
		print_chan_stats(&chans[i]);
	free(chans);
	return 0;
}

/* 0 when the outcome is what was asked for, -1 otherwise, AGAIN after EXDEV. */
static int transfer(int fd, struct dma_opts *o, bool retried)
{
	struct zcdev_dma_seg_desc *segs;
	struct zcdev_dma_wait w;
	char sz[ZC_FMT_SIZE_LEN];
	uint64_t id, t0, t1, t_sub, t_cancel = 0, deadline;
	uint32_t n = 0;
	int ret;

	segs = build_segs(o);
	if (!segs) {
		zcctl_error("dma", -ENOMEM, NULL);
		return -1;
	}
	printf("dma: %s -> %s, %s in %" PRIu64 " segment%s, seed %" PRIu64 "\n",
	       ep_name(&o->src), ep_name(&o->dst),
	       zc_fmt_size(o->size, sz, sizeof(sz)), o->segs,
	       o->segs == 1 ? "" : "s", o->seed);
	ep_describe(&o->src, o->size);
	ep_describe(&o->dst, o->size);
	fflush(stdout);

	t0 = zcctl_now_us();
	ret = zc_dma_submit(fd, segs, o->segs, 0, &id);
	free(segs);
	if (ret == -EXDEV && !retried) {
		/* The submit found a channel just now: buffers need mapping for it. */
		printf("dma: the channel appeared after the buffers were mapped "
		       "(EXDEV): allocating them again\n");
		return AGAIN;
	}
	if (ret) {
		zcctl_dma_error("dma", ret, "submit");
		return -1;
	}
	o->submitted = true;
	t_sub = zcctl_now_us();
	if (o->cancel) {
		usleep(o->cancel_us);
		t_cancel = zcctl_now_us() - t_sub;
		ret = zc_dma_cancel(fd, id, 0, &n);
		if (ret) {
			zcctl_dma_error("dma", ret, "cancel");
			return -1;
		}
	}
	deadline = zc_deadline_after_ns(o->timeout_ms ?
					(int64_t)o->timeout_ms * 1000000 : -1);
	ret = zc_dma_wait(fd, id, 0, deadline, &w);
	t1 = zcctl_now_us();
	if (ret) {
		zcctl_dma_error("dma", ret, "wait");
		return -1;
	}
	if (o->cancel)
		printf("dma: cancel %" PRIu64 " us after the submit returned (it "
		       "took %" PRIu64 " us): %u transfer%s stopped\n", t_cancel,
		       t_sub - t0, n, n == 1 ? "" : "s");
	printf("dma: transfer %" PRIu64 ": %s", (uint64_t)w.id,
	       zc_dma_status_name(w.status));
	if (w.error)
		printf(" (%s)", zc_errname(w.error));
	printf(", bytes %" PRIu64 "%s%s, engine_ns %" PRIu64, (uint64_t)w.bytes,
	       w.bytes == o->size ? "" : " of ",
	       w.bytes == o->size ? "" : zc_fmt_size(o->size, sz, sizeof(sz)),
	       (uint64_t)w.engine_ns);
	/* A rate is only a rate for a whole transfer. */
	if (w.status == ZCDEV_DMA_DONE)
		printf(", %.1f MB/s", zcctl_mb_per_s(w.bytes, w.engine_ns));
	printf(" (submit to reap %" PRIu64 " us)\n", t1 - t0);
	fflush(stdout);

	ret = 0;
	if (w.status == ZCDEV_DMA_DONE && w.bytes != o->size) {
		zcctl_error("dma", -EIO, "DONE but %" PRIu64 " of %" PRIu64
			    " bytes moved", (uint64_t)w.bytes, o->size);
		ret = -1;
	} else if (w.status != ZCDEV_DMA_DONE &&
		   !(w.status == ZCDEV_DMA_CANCELLED && o->cancel)) {
		zcctl_error("dma", w.error ? -w.error : -EIO, "transfer ended %s "
			    "after %" PRIu64 " of %" PRIu64 " bytes%s",
			    zc_dma_status_name(w.status), (uint64_t)w.bytes,
			    o->size, w.status == ZCDEV_DMA_TIMEDOUT ?
			    " (--timeout)" : "");
		ret = -1;
	}
	/* Even a stopped transfer must not have written outside its range. */
	if (o->verify && verify(o, w.bytes < o->size ? w.bytes : o->size))
		ret = -1;
	return ret;
}

static int parse(int argc, char **argv, struct dma_opts *o)
{
	enum { OPT_STATS = 256 };
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "src", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "dst", required_argument, NULL, 't' },
		{ "size", required_argument, NULL, 's' },
		{ "segs", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "cancel-after", required_argument, NULL, 'c' },
		{ "verify", no_argument, NULL, 'v' },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	while ((c = getopt_long(argc, argv, "+:f:t:s:n:S:T:c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if ((ret = parse_ep("--from", optarg, &o->src)))
				return ret;
			break;
		case 't':
			if ((ret = parse_ep("--to", optarg, &o->dst)))
				return ret;
			break;
		case 's':
			if ((ret = zcctl_opt_size("dma", "--size", optarg, &o->size)))
				return ret;
			if (!o->size || o->size > SIZE_MAX / 4)
				return zcctl_usage("dma", "--size %s: out of range",
						   optarg);
			o->have_size = true;
			break;
		case 'n':
			if ((ret = zcctl_opt_u64("dma", "--segs", optarg, &o->segs)))
				return ret;
			if (!o->segs || o->segs > ZCDEV_DMA_MAX_SEGS)
				return zcctl_usage("dma", "--segs %s: 1 .. %u", optarg,
						   ZCDEV_DMA_MAX_SEGS);
			break;
		case 'S':
			if ((ret = zcctl_opt_u64("dma", "--seed", optarg, &o->seed)))
				return ret;
			break;
		case 'T':
			if ((ret = zcctl_opt_u64("dma", "--timeout", optarg,
						 &o->timeout_ms)))
				return ret;
			if (o->timeout_ms > INT64_MAX / 1000000)
				return zcctl_usage("dma", "--timeout %s: too large",
						   optarg);
			break;
		case 'c':
			if ((ret = zcctl_opt_u64("dma", "--cancel-after", optarg,
						 &o->cancel_us)))
				return ret;
			if (o->cancel_us > 60000000)
				return zcctl_usage("dma", "--cancel-after %s: at most "
						   "60000000 (a minute)", optarg);
			o->cancel = true;
			break;
		case 'v':
			o->verify = true;
			break;
		case OPT_STATS:
			o->stats = true;
			break;
		case 'h':
			fputs(help, stdout);
			return -1;
		default:
			return zcctl_bad_option("dma", c, argv);
		}
	}
	if (optind < argc)
		return zcctl_usage("dma", "unexpected argument '%s'", argv[optind]);
	if (!o->have_size && !o->stats)
		return zcctl_usage("dma", "--size is required (or --stats alone)");
	if (o->have_size && o->segs > o->size)
		return zcctl_usage("dma", "--segs %" PRIu64 " > --size %" PRIu64
				   ": a segment holds at least one byte",
				   o->segs, o->size);
	if (o->src.off > UINT64_MAX / 4 || o->dst.off > UINT64_MAX / 4)
		return zcctl_usage("dma", "endpoint offset out of range");
	return 0;
}

int cmd_dma(int argc, char **argv)
{
	struct dma_opts o = {
		.src = { .role = "source", .type = ZCDEV_DMA_EP_BUF,
			 .kind = ZCDEV_BUF_PAGES },
		.dst = { .role = "destination", .type = ZCDEV_DMA_EP_USER },
		.segs = 1,
		.seed = 1,
		.timeout_ms = 10000,
	};
	struct zcdev_info in;
	int fd, ret, attempt;

	ret = parse(argc, argv, &o);
	if (ret)
		return ret < 0 ? ZCCTL_OK : ret;

	fd = zcctl_open("dma");
	if (fd < 0)
		return ZCCTL_FAIL;
	ret = zc_info(fd, &in);
	if (ret) {
		zcctl_error("dma", ret, "info: %s", strerror(-ret));
		close(fd);
		return ZCCTL_FAIL;
	}
	if (!o.have_size) {
		ret = print_stats(fd);
		close(fd);
		return ret ? ZCCTL_FAIL : ZCCTL_OK;
	}
	/* No DMA feature yet: the submit looks for a channel once more. */
	for (attempt = 0; attempt < 2; attempt++) {
		ret = -1;
		if (!ep_setup(fd, &in, &o.src, o.size) &&
		    !ep_setup(fd, &in, &o.dst, o.size)) {
			zc_pattern_fill(o.src.p, o.src.area, o.seed, 0);
			zc_pattern_fill(o.dst.p, o.dst.area, GUARD_SEED(o.seed), 0);
			ret = transfer(fd, &o, attempt > 0);
		}
		ep_release(fd, &o.src);
		ep_release(fd, &o.dst);
		if (ret != AGAIN)
			break;
	}
	/* The counters tell about a failed transfer too (timeouts, errors). */
	if (o.submitted && o.stats && print_stats(fd))
		ret = -1;
	close(fd);
	return ret ? ZCCTL_FAIL : ZCCTL_OK;
}
