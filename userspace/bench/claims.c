// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: the claims table. Nine things people say about data movement,
 * each checked against the numbers of one experiment by a rule written
 * down here, with its thresholds, so a verdict is computed, never typed.
 *
 * Each claim is judged per environment. Exact counts (copies, system
 * calls, faults) mean the same everywhere. Timings do not: under
 * instruction counting (vm-icount, qemu/run.sh --deterministic) an
 * in-guest figure repeats to 0.1% and is judged on its median; a
 * host-timed one (vm, native, and the NIC path of vm-icount, whose frames
 * cross the host) moves between runs, so it is judged on the interval its
 * repetitions span, and a threshold inside that interval makes the verdict
 * "inconclusive here" (a rerun could land on either side; not a failure).
 *
 * Combining: a vm-icount verdict, where there is one, is the claim's
 * verdict; the others are printed, and where they disagree the report
 * says so. Without one: all environments agree -> that verdict; they
 * disagree -> "holds with a caveat", naming which one disagreed; only
 * inconclusive ones -> inconclusive. An environment with no data for the
 * experiment is "not measured" and does not vote.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "zcbench.h"

enum verdict { V_NONE, V_HOLDS, V_CAVEAT, V_NOT, V_UNSURE, V_COUNT };

static const char *const vname[] = {
	[V_NONE] = "not measured", [V_HOLDS] = "holds",
	[V_CAVEAT] = "holds with a caveat", [V_NOT] = "does not hold here",
	[V_UNSURE] = "inconclusive here",
};

struct judged {
	enum verdict v;
	enum verdict median;	/* V_UNSURE: what the medians alone said */
	int straddles;		/* threshold comparisons inside an interval */
	char nums[512];		/* the measured numbers the rule used */
	char why[200];		/* the caveat, or why not measured */
	char unsure[200];	/* which intervals reached across which thresholds */
	char points[64];	/* host-timed figures judged on a median alone */
	const char *last;	/* the figure @unsure names last */
};

struct claim {
	const char *text;
	const char *experiment;
	const char *rule;
	void (*judge)(const struct result *res, int n, const char *where,
		      struct judged *j);
};

static void add(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void add(char *buf, size_t len, const char *fmt, ...)
{
	size_t l = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + l, l < len ? len - l : 0, fmt, ap);
	va_end(ap);
}

/* Instruction-counted guest time (run.sh --deterministic sets vm-icount). */
static bool counted_where(const char *where)
{
	size_t l = strlen(where);

	return l >= 7 && !strcmp(where + l - 7, "-icount");
}

/*
 * A timing figure and the interval its repetitions span. @lo/@hi are the
 * median itself where the results carry nothing else (@point names the
 * figure, for the output).
 */
struct fig {
	double mid, lo, hi;
	bool counted;		/* instruction-counted: judged on @mid */
	const char *point;	/* a median without a spread, or NULL */
};

static bool counted_clock(const struct result *r)
{
	/* The NIC path's frames cross the host's taps in host time. */
	return counted_where(r->where) && strcmp(r->path, "nic");
}

static struct fig fig_mbps(const struct result *r)
{
	struct fig f = { r->mbps, r->mbps_min, r->mbps_max, counted_clock(r), NULL };

	if (isnan(f.lo) || isnan(f.hi)) {
		f.lo = f.hi = f.mid;
		f.point = "MB/s";
	}
	return f;
}

/* CPU time per GiB: the results keep only its median. */
static struct fig fig_median(const struct result *r, double v, const char *name)
{
	return (struct fig){ v, v, v, counted_clock(r), name };
}

/* a/b over the intervals: [min_a/max_b, max_a/min_b]. */
static struct fig fig_ratio(struct fig a, struct fig b)
{
	return (struct fig){ a.mid / b.mid, a.lo / b.hi, a.hi / b.lo,
			     a.counted && b.counted, a.point ? a.point : b.point };
}

/* "x1.95 [1.60-2.31]"; the interval only where repetitions gave one. */
static const char *fmt_x(struct fig f, char *buf, size_t len)
{
	if (f.lo == f.hi || isnan(f.lo) || isnan(f.hi))
		snprintf(buf, len, "x%.2f", f.mid);
	else
		snprintf(buf, len, "x%.2f [%.2f-%.2f]", f.mid, f.lo, f.hi);
	return buf;
}
#define FX(f) fmt_x((f), (char[40]){ 0 }, 40)

/*
 * Every threshold comparison of a timing goes through here: @f >= @thr
 * (@at_least) or @f <= @thr, decided on the median. A host-timed figure
 * whose interval has @thr strictly inside could have landed on either
 * side: that is noted in @j, and the verdict becomes "inconclusive here".
 */
static bool compare(struct judged *j, const char *name, struct fig f,
		    bool at_least, double thr)
{
	if (!f.counted) {
		if (f.lo < thr && thr < f.hi) {
			/* The same figure against the rule's next threshold. */
			if (j->last == name)
				add(j->unsure, sizeof(j->unsure), " and %g", thr);
			else
				add(j->unsure, sizeof(j->unsure), "%s%s %s across %g",
				    j->unsure[0] ? "; " : "", name, FX(f), thr);
			j->straddles++;
			j->last = name;
		}
		if (f.point && !strstr(j->points, f.point))
			add(j->points, sizeof(j->points), "%s%s",
			    j->points[0] ? ", " : "", f.point);
	}
	return at_least ? f.mid >= thr : f.mid <= thr;
}

static bool at_least(struct judged *j, const char *name, struct fig f, double thr)
{
	return compare(j, name, f, true, thr);
}

static bool at_most(struct judged *j, const char *name, struct fig f, double thr)
{
	return compare(j, name, f, false, thr);
}

/*
 * Where a rule takes the first of several alternatives that is true, one
 * that is surely true makes the unsure ones moot: mark() before them,
 * forget() what they noted once a sure one is found.
 */
struct mark {
	int straddles;
	size_t len;
	const char *last;
};

static struct mark mark(const struct judged *j)
{
	return (struct mark){ j->straddles, strlen(j->unsure), j->last };
}

static bool sure_since(const struct judged *j, struct mark m)
{
	return j->straddles == m.straddles;
}

static void forget(struct judged *j, struct mark m)
{
	j->straddles = m.straddles;
	j->unsure[m.len] = '\0';
	j->last = m.last;
}

/* An ok result; size/bufsize 0 and path NULL match anything (first found). */
static const struct result *get(const struct result *res, int n, const char *where,
				const char *wl, const char *method, const char *path,
				uint64_t size, uint64_t bufsize)
{
	int i;

	for (i = 0; i < n; i++) {
		const struct result *r = &res[i];

		if (!strcmp(r->where, where) && !strcmp(r->workload, wl) &&
		    !strcmp(r->method, method) && !strcmp(r->status, "ok") &&
		    (!path || !strcmp(r->path, path)) &&
		    (!size || r->size == size) && (!bufsize || r->bufsize == bufsize))
			return r;
	}
	return NULL;
}

static double cpu(const struct result *r)
{
	return r->snd_usr_gib + r->snd_sys_gib;
}

static struct fig fig_cpu(const struct result *r)
{
	return fig_median(r, cpu(r), "CPU/GiB");
}

static double snd_copies(const struct result *r)
{
	return r->cp_snd_user + r->cp_snd_kern;
}

/* The NIC path if it ran with offloads there, else loopback. */
static const char *best_path(const struct result *res, int n, const char *where,
			     const char *method, uint64_t size, uint64_t bs)
{
	const struct result *r = get(res, n, where, "file2sock", method, "nic", size, bs);

	return r && !strcmp(r->net, "nic") ? "nic" : "loop";
}

/* ---- 1: copies and switches ---- */
static void judge1(const struct result *res, int n, const char *w, struct judged *j)
{
	const char *path = best_path(res, n, w, "sendfile", 16 * ZB_MiB, 64 * ZB_KiB);
	const struct result *rw = get(res, n, w, "file2sock", "readwrite", path, 16 * ZB_MiB, 64 * ZB_KiB);
	const struct result *sf = get(res, n, w, "file2sock", "sendfile", path, 16 * ZB_MiB, 64 * ZB_KiB);
	bool rw_ok, sf_ok;

	if (!rw || !sf) {
		snprintf(j->why, sizeof(j->why), "no readwrite/sendfile at 16M/64K");
		return;
	}
	if (isnan(rw->cp_total) || isnan(sf->cp_total)) {
		snprintf(j->why, sizeof(j->why), "copy counts unavailable: %s", rw->copies_note);
		return;
	}
	snprintf(j->nums, sizeof(j->nums),
		 "path %s: readwrite %.2f CPU copies/B, %.2f syscalls/request (%.0f switches); "
		 "sendfile %.2f CPU copies/B, %.2f syscalls/request (%.0f switches)",
		 path, snd_copies(rw), rw->syscalls_per_call, 2 * rw->syscalls_per_call,
		 snd_copies(sf), sf->syscalls_per_call, 2 * sf->syscalls_per_call);
	rw_ok = fabs(snd_copies(rw) - 2) <= 0.1 && fabs(rw->syscalls_per_call - 2) <= 0.1;
	sf_ok = snd_copies(sf) <= 0.05 && fabs(sf->syscalls_per_call - 1) <= 0.1;
	if (!rw_ok || !sf_ok) {
		j->v = V_NOT;
		return;
	}
	/* The other two of the "4 copies" are device DMA, which no CPU probe sees. */
	j->v = V_CAVEAT;
	snprintf(j->why, sizeof(j->why),
		 "the CPU copies twice, not 4 times: the other two are DMA (disk, NIC)%s",
		 strcmp(path, "nic") ? "; no NIC path with offloads here: loopback" : "");
}

/* ---- 2: sendfile doubles throughput ---- */
static void judge2(const struct result *res, int n, const char *w, struct judged *j)
{
	static const char *const paths[] = { "nic", "loop" };
	int votes[V_COUNT] = { 0 }, k;

	for (k = 0; k < 2; k++) {
		const struct result *rw = get(res, n, w, "file2sock", "readwrite", paths[k], 16 * ZB_MiB, 64 * ZB_KiB);
		const struct result *sf = get(res, n, w, "file2sock", "sendfile", paths[k], 16 * ZB_MiB, 64 * ZB_KiB);
		struct fig r;
		enum verdict v;
		int before = j->straddles;

		if (!rw || !sf)
			continue;
		r = fig_ratio(fig_mbps(sf), fig_mbps(rw));
		v = at_least(j, "sendfile/readwrite MB/s", r, 1.7) ? V_HOLDS :
		    at_least(j, "sendfile/readwrite MB/s", r, 1.2) ? V_CAVEAT : V_NOT;
		votes[v]++;
		add(j->nums, sizeof(j->nums), "%s%s: sendfile %.1f / readwrite %.1f MB/s = %s (%s)",
		    j->nums[0] ? "; " : "", paths[k], sf->mbps, rw->mbps, FX(r),
		    vname[j->straddles > before ? V_UNSURE : v]);
	}
	if (!votes[V_HOLDS] && !votes[V_CAVEAT] && !votes[V_NOT]) {
		snprintf(j->why, sizeof(j->why), "no readwrite/sendfile at 16M/64K");
		return;
	}
	j->v = votes[V_HOLDS] && !votes[V_CAVEAT] && !votes[V_NOT] ? V_HOLDS :
	       votes[V_NOT] && !votes[V_HOLDS] && !votes[V_CAVEAT] ? V_NOT : V_CAVEAT;
	if (j->v == V_CAVEAT)
		snprintf(j->why, sizeof(j->why), "faster, but not double on every path");
}

/* ---- 3: mmap saves a copy, but mapping costs can outweigh it ---- */
static void judge3(const struct result *res, int n, const char *w, struct judged *j)
{
	static const uint64_t sizes[] = { 64 * ZB_KiB, 16 * ZB_MiB };
	bool saved = false, known = false, outweighed = false, sure = false, any = false;
	struct mark start = mark(j);
	size_t k;

	for (k = 0; k < 2; k++) {
		const struct result *rw = get(res, n, w, "file2sock", "readwrite", "loop", sizes[k], 64 * ZB_KiB);
		const struct result *mw = get(res, n, w, "file2sock", "mmapwrite", "loop", sizes[k], 64 * ZB_KiB);
		struct fig c, m;
		char sz[16];

		if (!rw || !mw)
			continue;
		any = true;
		c = fig_ratio(fig_cpu(mw), fig_cpu(rw));
		m = fig_ratio(fig_mbps(mw), fig_mbps(rw));
		add(j->nums, sizeof(j->nums), "%s%s file: mmapwrite/readwrite CPU/GiB %s, MB/s %s, %.0f faults",
		    j->nums[0] ? "; " : "", zb_fmt_size(sizes[k], sz, sizeof(sz)),
		    FX(c), FX(m), mw->faults);
		if (!isnan(mw->cp_total) && !isnan(rw->cp_total)) {
			known = true;
			saved |= snd_copies(mw) <= snd_copies(rw) - 0.9;
			add(j->nums, sizeof(j->nums), ", copies %.2f vs %.2f",
			    snd_copies(mw), snd_copies(rw));
		}
		/* Outweighed: no CPU saved, or slower, at some size. */
		if (!sure) {
			struct mark here = mark(j);
			bool o = at_least(j, "mmapwrite/readwrite CPU/GiB", c, 0.95) ||
				 at_most(j, "mmapwrite/readwrite MB/s", m, 1.0);

			outweighed |= o;
			sure = o && sure_since(j, here);
			if (sure)
				forget(j, start);
		}
	}
	if (!any) {
		snprintf(j->why, sizeof(j->why), "no readwrite/mmapwrite on loop");
		return;
	}
	if (known && !saved) {
		j->v = V_NOT;
		snprintf(j->why, sizeof(j->why), "mmapwrite did not save a counted copy");
	} else if (outweighed) {
		j->v = known ? V_HOLDS : V_CAVEAT;
		if (!known)
			snprintf(j->why, sizeof(j->why), "the saved copy is not counted here (no tracefs)");
	} else {
		j->v = V_CAVEAT;
		snprintf(j->why, sizeof(j->why), "saves a copy; mapping costs did not outweigh it at these sizes");
	}
}

/* ---- 4: splice/tee do not copy through user space ---- */
static void judge4(const struct result *res, int n, const char *w, struct judged *j)
{
	const struct result *sp = get(res, n, w, "file2sock", "splice", "loop", 0, 0);
	const struct result *te = get(res, n, w, "fanout", "tee", "loop", 0, 0);
	bool ok = true, any = false;

	if (sp && !isnan(sp->cp_total)) {
		any = true;
		ok &= sp->cp_snd_user <= 0.01;
		add(j->nums, sizeof(j->nums), "splice: %.3f user copies/B (kernel %.3f)",
		    sp->cp_snd_user, sp->cp_snd_kern);
	}
	if (te && !isnan(te->cp_total)) {
		any = true;
		ok &= te->cp_snd_user <= 0.01;
		add(j->nums, sizeof(j->nums), "%stee: %.3f user copies/B (kernel %.3f)",
		    j->nums[0] ? "; " : "", te->cp_snd_user, te->cp_snd_kern);
	}
	if (!any) {
		snprintf(j->why, sizeof(j->why), "%s", sp || te ? "copy counts unavailable" :
			 "no splice/tee results");
		return;
	}
	j->v = ok ? (te && sp ? V_HOLDS : V_CAVEAT) : V_NOT;
	if (j->v == V_CAVEAT)
		snprintf(j->why, sizeof(j->why), "only %s was measured", sp ? "splice" : "tee");
}

/* ---- 5: direct I/O vs the page cache ---- */
static void judge5(const struct result *res, int n, const char *w, struct judged *j)
{
	const struct result *bl = get(res, n, w, "storage", "read_cold", "local", 256 * ZB_MiB, 0);
	const struct result *dl = get(res, n, w, "storage", "read_direct", "local", 256 * ZB_MiB, 0);
	const struct result *bs = get(res, n, w, "storage", "read_cold", "local", 4 * ZB_KiB, 0);
	const struct result *ds = get(res, n, w, "storage", "read_direct", "local", 4 * ZB_KiB, 0);
	const struct result *br = get(res, n, w, "storage", "reread", "local", 64 * ZB_KiB, 0);
	const struct result *dr = get(res, n, w, "storage", "reread_direct", "local", 64 * ZB_KiB, 0);
	struct fig large, small = { .mid = NAN }, reread = { .mid = NAN };
	bool large_win, small_lose, reread_lose;
	struct mark start;

	if (!bl || !dl) {
		snprintf(j->why, sizeof(j->why), "no 256M read_cold/read_direct");
		return;
	}
	large = fig_ratio(fig_mbps(dl), fig_mbps(bl));
	add(j->nums, sizeof(j->nums), "256M one pass: direct %.0f vs buffered %.0f MB/s = %s, CPU/GiB %.2f vs %.2f",
	    dl->mbps, bl->mbps, FX(large), cpu(dl), cpu(bl));
	if (bs && ds) {
		small = fig_ratio(fig_mbps(ds), fig_mbps(bs));
		add(j->nums, sizeof(j->nums), "; 4K: direct %.1f vs buffered %.1f MB/s = %s",
		    ds->mbps, bs->mbps, FX(small));
	}
	if (br && dr) {
		reread = fig_ratio(fig_mbps(dr), fig_mbps(br));
		add(j->nums, sizeof(j->nums), "; re-read %s: direct %.0f vs buffered %.0f MB/s = %s",
		    zb_fmt_size(br->size, (char[16]){ 0 }, 16), dr->mbps, br->mbps, FX(reread));
	}
	/* Beats: faster, or as fast for clearly less CPU. */
	start = mark(j);
	large_win = at_least(j, "direct/buffered 256M MB/s", large, 1.05);
	if (!large_win || !sure_since(j, start)) {
		struct mark here = mark(j);
		bool by_cpu = at_least(j, "direct/buffered 256M MB/s", large, 0.95) &&
			      at_most(j, "direct/buffered 256M CPU/GiB",
				      fig_ratio(fig_cpu(dl), fig_cpu(bl)), 0.7);

		if (by_cpu && sure_since(j, here))
			forget(j, start);
		large_win |= by_cpu;
	}
	/* Small and re-read files only matter once the large one is won. */
	small_lose = large_win && bs && ds &&
		     !at_least(j, "direct/buffered 4K MB/s", small, 1.0);
	reread_lose = large_win && br && dr &&
		      !at_least(j, "direct/buffered re-read MB/s", reread, 1.0);
	if (!large_win) {
		j->v = V_NOT;
		snprintf(j->why, sizeof(j->why), "direct I/O did not beat the page cache on the large file");
	} else if (small_lose && reread_lose) {
		j->v = V_HOLDS;
	} else {
		j->v = V_CAVEAT;
		snprintf(j->why, sizeof(j->why), "direct won on the large file but did not lose on %s",
			 !small_lose && !reread_lose ? "small or re-read files" :
			 !small_lose ? "small files" : "re-read files");
	}
}

/* ---- 6: read-ahead: sequential beats random ---- */
static void judge6(const struct result *res, int n, const char *w, struct judged *j)
{
	const struct result *sq = get(res, n, w, "storage", "read_cold", "local", 64 * ZB_MiB, 0);
	const struct result *rn = get(res, n, w, "storage", "randread_cold", "local", 64 * ZB_MiB, 0);
	struct fig r;

	if (!sq || !rn) {
		snprintf(j->why, sizeof(j->why), "no 64M read_cold/randread_cold");
		return;
	}
	r = fig_ratio(fig_mbps(sq), fig_mbps(rn));
	snprintf(j->nums, sizeof(j->nums), "cold, %s requests: sequential %.0f vs random %.0f MB/s = %s",
		 zb_fmt_size(sq->bufsize, (char[16]){ 0 }, 16), sq->mbps, rn->mbps, FX(r));
	j->v = at_least(j, "sequential/random MB/s", r, 1.2) ? V_HOLDS :
	       at_least(j, "sequential/random MB/s", r, 1.05) ? V_CAVEAT : V_NOT;
	if (j->v == V_CAVEAT)
		snprintf(j->why, sizeof(j->why), "faster by less than 20%%");
}

/* ---- 7: DMA frees the CPU ---- */
static void judge7(const struct result *res, int n, const char *w, struct judged *j)
{
	const struct result *mc = get(res, n, w, "dma", "memcpy", "local", 0, 0);
	const struct result *dm = get(res, n, w, "dma", "dma", "local", 0, 0);
	bool software;
	struct fig sub, all;

	if (!mc || !dm) {
		snprintf(j->why, sizeof(j->why), "%s", !mc ? "no memcpy result" :
			 "no zcdev DMA result (module or channel missing)");
		return;
	}
	/* Results from before the engine was recorded were all zcdma's. */
	software = !dm->engine[0] || !strcmp(dm->engine, "zcdma");
	/*
	 * Deterministic mode has one vCPU: a software engine copies on the
	 * very CPU DMA is supposed to free, so the rule has nothing to judge.
	 */
	if (software && strlen(w) > 7 && !strcmp(w + strlen(w) - 7, "-icount")) {
		snprintf(j->why, sizeof(j->why),
			 "one vCPU: the software engine (zcdma) copies on the CPU it is to free");
		return;
	}
	sub = fig_ratio(fig_cpu(dm), fig_cpu(mc));
	all = fig_ratio(fig_median(dm, dm->sys_cpu_gib, "all-CPU time/GiB"),
			fig_median(mc, mc->sys_cpu_gib, "all-CPU time/GiB"));
	snprintf(j->nums, sizeof(j->nums),
		 "submitting thread CPU/GiB: DMA %.3f vs memcpy %.3f (%s); all CPUs: %s; MB/s %.0f vs %.0f",
		 cpu(dm), cpu(mc), FX(sub), FX(all), dm->mbps, mc->mbps);
	if (dm->engine[0])
		add(j->nums, sizeof(j->nums), "; engine %s", dm->engine);
	if (!at_most(j, "DMA/memcpy submitter CPU/GiB", sub, 0.25)) {
		j->v = V_NOT;
	} else if (!at_most(j, "DMA/memcpy all-CPU time/GiB", all, 0.5)) {
		j->v = V_CAVEAT;
		if (software)
			snprintf(j->why, sizeof(j->why),
				 "the submitter is free, but the engine here is software (zcdma): another CPU does the copy");
		else
			snprintf(j->why, sizeof(j->why),
				 "the submitter is free, but the CPUs were busy while %s copied",
				 dm->engine);
	} else {
		j->v = V_HOLDS;
	}
}

/* ---- 8: MSG_ZEROCOPY pays off above ~10 KB per send ---- */
static void judge8(const struct result *res, int n, const char *w, struct judged *j)
{
	static const uint64_t bs[] = { 1024, 4096, 16384, 65536 };
	const char *path = best_path(res, n, w, "msgzc", 4 * ZB_MiB, 16384);
	int k, cross = -1, measured = 0;
	bool pays[4] = { false }, have[4] = { false };
	double zc = 0;

	for (k = 0; k < 4; k++) {
		const struct result *s = get(res, n, w, "file2sock", "send", path, 4 * ZB_MiB, bs[k]);
		const struct result *z = get(res, n, w, "file2sock", "msgzc", path, 4 * ZB_MiB, bs[k]);
		struct fig c;

		if (!s || !z)
			continue;
		have[k] = true;
		measured++;
		/* Pays: at least 10% less sender CPU per GiB than the copying send. */
		c = fig_ratio(fig_cpu(z), fig_cpu(s));
		pays[k] = !at_least(j, "msgzc/send CPU/GiB", c, 0.9);
		zc = isnan(z->zc_share) ? 0 : z->zc_share;
		add(j->nums, sizeof(j->nums), "%s%lluK: CPU/GiB %s MB/s %s",
		    j->nums[0] ? "; " : "", (unsigned long long)bs[k] / 1024,
		    FX(c), FX(fig_ratio(fig_mbps(z), fig_mbps(s))));
	}
	if (measured < 2) {
		snprintf(j->why, sizeof(j->why), "no send/msgzc bufsize sweep at 4M");
		return;
	}
	add(j->nums, sizeof(j->nums), " (path %s, %.0f%% zero-copy)", path, 100 * zc);
	/* The crossover: the smallest size from which on it always pays. */
	for (k = 3; k >= 0; k--) {
		if (!have[k])
			continue;
		if (!pays[k])
			break;
		cross = k;
	}
	if (cross < 0) {
		j->v = V_NOT;
		snprintf(j->why, sizeof(j->why), "never paid off%s",
			 zc < 0.5 ? ": the stack copied the sends anyway (local delivery)" : "");
	} else if (cross == 2) {
		j->v = zc >= 0.5 ? V_HOLDS : V_CAVEAT;
	} else {
		j->v = V_CAVEAT;
		snprintf(j->why, sizeof(j->why), "pays off from %lluK per send",
			 (unsigned long long)bs[cross] / 1024);
	}
	if (j->v != V_NOT && zc < 0.5)
		snprintf(j->why, sizeof(j->why), "CPU saved although the stack copied (local delivery)");
}

/*
 * ---- 9: a dma-buf shared with the device saves MMAP's memcpy ----
 * Copies are judged at every frame size, the CPU at the largest measured:
 * at 640x480 the per-frame costs both methods pay (poll, DQBUF, QBUF, a
 * wakeup) outweigh the copy, and under TCG, where CPU time is host time,
 * they move by more than it between runs (userptr_zcdev, which does
 * strictly less than mmap_memcpy, has measured 1.7x its CPU there).
 */
static void judge9(const struct result *res, int n, const char *w, struct judged *j)
{
	static const struct { uint64_t size; const char *name; } sizes[] = {
		{ 640 * 480 * ZB_FRAME_BPP, "640x480" },	/* ascending */
		{ 1920 * 1080 * ZB_FRAME_BPP, "1920x1080" },
	};
	bool any = false, counted = true, avoided = true, cheaper = false;
	const char *largest = "";
	size_t k;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		const struct result *mm = get(res, n, w, "capture", "mmap_memcpy", "local", sizes[k].size, 0);
		const struct result *db = get(res, n, w, "capture", "dmabuf_zcdev", "local", sizes[k].size, 0);
		struct fig c;
		double cm, cd;

		if (!mm || !db)
			continue;
		any = true;
		/* Without tracefs only the memcpy the harness counted is known. */
		counted &= !isnan(mm->cp_total) && !isnan(db->cp_total);
		cm = isnan(mm->cp_total) ? mm->cp_umode : mm->cp_total;
		cd = isnan(db->cp_total) ? db->cp_umode : db->cp_total;
		avoided &= cd <= 0.05 && cm >= 0.95;
		c = fig_ratio(fig_cpu(db), fig_cpu(mm));
		largest = sizes[k].name;
		add(j->nums, sizeof(j->nums), "%s%s: copies/B dmabuf %.2f vs mmap_memcpy %.2f; consumer CPU/GiB %.3f vs %.3f (%s); %.1f frames/s",
		    j->nums[0] ? "; " : "", sizes[k].name, cd, cm, cpu(db), cpu(mm),
		    FX(c), db->fps);
		/* Only the largest frame's answer counts: ask only there. */
		if (k + 1 == sizeof(sizes) / sizeof(sizes[0]) ||
		    !get(res, n, w, "capture", "dmabuf_zcdev", "local", sizes[k + 1].size, 0) ||
		    !get(res, n, w, "capture", "mmap_memcpy", "local", sizes[k + 1].size, 0))
			cheaper = at_most(j, "dmabuf/mmap_memcpy consumer CPU/GiB", c, 0.9);
	}
	if (!any) {
		snprintf(j->why, sizeof(j->why), "no capture mmap_memcpy/dmabuf_zcdev at 640x480 or 1920x1080 (vivid or zcdev missing)");
		return;
	}
	if (!avoided) {
		j->v = V_NOT;
		snprintf(j->why, sizeof(j->why), "dmabuf_zcdev copied, or mmap_memcpy did not");
	} else if (!cheaper) {
		j->v = V_CAVEAT;
		snprintf(j->why, sizeof(j->why), "the copy is avoided, but the consumer's CPU/GiB is not 10%% lower at %s", largest);
	} else if (!counted) {
		j->v = V_CAVEAT;
		snprintf(j->why, sizeof(j->why), "kernel copies not counted here (no tracefs): only the memcpy is known");
	} else {
		j->v = V_HOLDS;
	}
}

static const struct claim claims[] = {
	{ "read+write costs 4 copies and 4 user/kernel switches per transfer; sendfile costs 2 switches and no CPU copy with a scatter-gather NIC",
	  "file2sock 16M, 64K requests, NIC path if it has offloads: kprobe copy counts, harness syscall counts",
	  "holds if |readwrite copies-2|<=0.1, |syscalls/request-2|<=0.1, sendfile copies<=0.05, |syscalls/request-1|<=0.1; always a caveat: 2 of the 4 copies are DMA",
	  judge1 },
	{ "sendfile roughly doubles file->socket throughput over read+write",
	  "file2sock 16M, 64K requests, loop and nic: MB/s (median, min-max of the repetitions)",
	  "ratio >=1.7 holds, 1.2-1.7 caveat, <1.2 does not hold; per path",
	  judge2 },
	{ "mmap+write saves a copy, but page-fault and mapping costs can outweigh it",
	  "file2sock 64K and 16M files, loop: copies, sender CPU/GiB, faults",
	  "saves: copies(mmap) <= copies(rw)-0.9; outweighs at some size: CPU/GiB >= 0.95x or MB/s <= readwrite",
	  judge3 },
	{ "splice/tee move data between descriptors without copying through user space",
	  "file2sock splice, fanout tee: kprobe user-copy counts",
	  "holds if user copies <= 0.01 per byte for both",
	  judge4 },
	{ "Direct I/O beats the page cache for large one-pass files and loses for small or re-read ones",
	  "storage: read_direct vs read_cold at 256M and 4K, reread_direct vs reread (64K file, read twice)",
	  "beats: >=1.05x MB/s (or >=0.95x with <=0.7x CPU); loses: lower MB/s; holds if beats large and loses both",
	  judge5 },
	{ "Page-cache read-ahead makes sequential reads faster than random ones",
	  "storage: read_cold (sequential) vs randread_cold, 64M file, 64K requests",
	  "ratio >=1.2 holds, 1.05-1.2 caveat, else does not hold",
	  judge6 },
	{ "DMA frees the CPU: while an engine moves data, the CPU is available for other work",
	  "dma: zcdev DMA vs memcpy of 16M: CPU of the submitting thread, and of all CPUs",
	  "holds if submitter CPU/GiB <= 0.25x memcpy and all-CPU <= 0.5x; caveat if only the submitter is freed",
	  judge7 },
	{ "MSG_ZEROCOPY pays off only above roughly 10 KB per send",
	  "file2sock send vs msgzc, 4M, 1K/4K/16K/64K per send, NIC path if it has offloads",
	  "pays: <0.9x sender CPU/GiB; holds if it pays from 16K up and not at 4K, with real zero-copy",
	  judge8 },
	{ "sharing a buffer by dma-buf avoids the copy that MMAP + memcpy pays",
	  "capture: vivid frames, 640x480 and 1920x1080 YUYV, 30 a transfer, to a consumer that checksums each: dmabuf_zcdev vs mmap_memcpy; every frame checked against vivid's MMAP frame",
	  "holds if at each size dmabuf copies <= 0.05/B (kprobes + memcpy) and mmap_memcpy >= 0.95/B, and at the largest frame dmabuf's consumer CPU/GiB <= 0.9x (smaller frames: per-frame costs outweigh the copy); caveat if only the copy is avoided or copies are uncounted",
	  judge9 },
};

static bool decided(enum verdict v)
{
	return v == V_HOLDS || v == V_CAVEAT || v == V_NOT;
}

/* Judges claim @c in @where; an interval across a threshold overrides. */
static void judge_in(const struct claim *c, const struct result *res, int n,
		     const char *where, struct judged *j)
{
	memset(j, 0, sizeof(*j));
	c->judge(res, n, where, j);
	if (decided(j->v) && j->straddles) {
		j->median = j->v;
		j->v = V_UNSURE;
	}
}

/* Without a deterministic verdict: agreement, else a caveat. */
static enum verdict combine(const struct judged *j, int n)
{
	bool h = false, c = false, no = false, unsure = false;
	int i;

	for (i = 0; i < n; i++) {
		h |= j[i].v == V_HOLDS;
		c |= j[i].v == V_CAVEAT;
		no |= j[i].v == V_NOT;
		unsure |= j[i].v == V_UNSURE;
	}
	if (!h && !c && !no)
		return unsure ? V_UNSURE : V_NONE;
	if (h && !c && !no)
		return V_HOLDS;
	if (no && !h && !c)
		return V_NOT;
	return V_CAVEAT;
}

static void print_judged(FILE *f, const char *where, const struct judged *j)
{
	fprintf(f, "    %-9s %s", where, vname[j->v]);
	if (j->v == V_UNSURE)
		fprintf(f, " (the medians say: %s)", vname[j->median]);
	if (j->nums[0])
		fprintf(f, ": %s", j->nums);
	if (j->why[0])
		fprintf(f, " [%s]", j->why);
	if (j->unsure[0])
		fprintf(f, " [interval across a threshold: %s]", j->unsure);
	if (j->points[0])
		fprintf(f, " [%s: medians only, judged as points]", j->points);
	fputc('\n', f);
}

int claims_table(FILE *f, const struct result *res, int n)
{
	const char *found[ZB_MAX_WHERES], *wheres[ZB_MAX_WHERES];
	struct judged j[ZB_MAX_WHERES];
	enum verdict final[sizeof(claims) / sizeof(claims[0])];
	const char *basis[sizeof(claims) / sizeof(claims[0])];
	int count[V_COUNT] = { 0 };
	size_t c;
	int w, k, bad = 0, nw, nfound = zb_wheres(res, n, found), nwhere = 0;

	/* Deterministic environments first: their verdicts decide. */
	for (k = 0; k < 2; k++)
		for (w = 0; w < nfound; w++)
			if (counted_where(found[w]) == !k)
				wheres[nwhere++] = found[w];

	fprintf(f, "\n==== Claims: verdicts computed from the numbers above (rules in zcbench claims.c) ====\n"
		"Exact counts (copies, system calls) and instruction-counted timings (vm-icount, in-guest\n"
		"paths) are judged as they are, and a vm-icount verdict is the claim's verdict. Host-timed\n"
		"figures (vm, native, the NIC path) are judged on the min-max of their repetitions (a ratio\n"
		"a/b on [min a/max b, max a/min b], printed as x1.95 [1.60-2.31]): a threshold inside that\n"
		"interval makes the verdict \"inconclusive here\" (not a failure). CPU time per GiB is\n"
		"recorded as a median only, so it is judged as a point.\n");
	for (c = 0; c < sizeof(claims) / sizeof(claims[0]); c++) {
		const struct judged *det = NULL;
		const char *det_where = NULL;
		bool differ = false;

		nw = 0;
		fprintf(f, "\n[%zu] %s\n    experiment: %s\n    rule: %s\n", c + 1,
			claims[c].text, claims[c].experiment, claims[c].rule);
		for (w = 0; w < nwhere; w++) {
			judge_in(&claims[c], res, n, wheres[w], &j[nw]);
			print_judged(f, wheres[w], &j[nw]);
			if (!det && counted_where(wheres[w]) && decided(j[nw].v)) {
				det = &j[nw];
				det_where = wheres[w];
			}
			nw++;
		}
		if (det) {
			char others[200] = "";

			final[c] = det->v;
			basis[c] = det_where;
			for (w = 0; w < nw; w++)
				if (&j[w] != det && decided(j[w].v) && j[w].v != det->v)
					add(others, sizeof(others), "%s%s %s",
					    others[0] ? ", " : "", wheres[w], vname[j[w].v]);
			if (others[0])
				fprintf(f, "    => %s (%s decides; wall clock disagrees: %s)\n",
					vname[final[c]], det_where, others);
			else
				fprintf(f, "    => %s (%s decides)\n", vname[final[c]], det_where);
		} else {
			final[c] = combine(j, nw);
			basis[c] = final[c] == V_NONE ? "-" : "combined";
			for (w = 0, k = -1; w < nw; w++) {
				if (j[w].v == V_NONE)
					continue;
				basis[c] = k < 0 ? wheres[w] : "combined";
				k = k < 0 ? w : k;
				differ |= decided(j[w].v) && decided(j[k].v) && j[w].v != j[k].v;
			}
			if (final[c] == V_CAVEAT && differ && nw == 2 &&
			    !strcmp(wheres[0], "vm") && !strcmp(wheres[1], "native"))
				fprintf(f, "    => %s (vm and native disagree: under TCG timing ratios are exaggerated)\n",
					vname[final[c]]);
			else if (final[c] == V_CAVEAT && differ)
				fprintf(f, "    => %s (the environments disagree)\n", vname[final[c]]);
			else
				fprintf(f, "    => %s\n", vname[final[c]]);
		}
		bad += final[c] == V_NOT;
		count[final[c]]++;
	}
	fprintf(f, "\nclaim  verdict              decided by\n");
	for (c = 0; c < sizeof(claims) / sizeof(claims[0]); c++)
		fprintf(f, "%5zu  %-20s %-10s %.60s%s\n", c + 1, vname[final[c]], basis[c],
			claims[c].text, strlen(claims[c].text) > 60 ? "..." : "");
	fprintf(f, "\nverdicts: holds %d, holds with a caveat %d, does not hold here %d, "
		"inconclusive here %d (host-timed intervals across a threshold: not a failure), "
		"not measured %d\n",
		count[V_HOLDS], count[V_CAVEAT], count[V_NOT], count[V_UNSURE], count[V_NONE]);
	fflush(f);
	return bad;
}
