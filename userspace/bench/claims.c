// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: the claims table. Nine things people say about data movement,
 * each checked against the numbers of one experiment by a rule written
 * down here, with its thresholds, so a verdict is computed, never typed.
 *
 * Each claim is judged per environment (vm: emulated timings, exact copy
 * counts; native: real timings, counts where tracefs allows), then
 * combined: all environments agree -> that verdict; they disagree ->
 * "holds with a caveat", naming which one disagreed. An environment with
 * no data for the experiment is "not measured" and does not vote.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "zcbench.h"

enum verdict { V_NONE, V_HOLDS, V_CAVEAT, V_NOT };

static const char *const vname[] = {
	[V_NONE] = "not measured", [V_HOLDS] = "holds",
	[V_CAVEAT] = "holds with a caveat", [V_NOT] = "does not hold here",
};

struct judged {
	enum verdict v;
	char nums[400];		/* the measured numbers the rule used */
	char why[200];		/* the caveat, or why not measured */
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
	int votes[4] = { 0 }, k;

	for (k = 0; k < 2; k++) {
		const struct result *rw = get(res, n, w, "file2sock", "readwrite", paths[k], 16 * ZB_MiB, 64 * ZB_KiB);
		const struct result *sf = get(res, n, w, "file2sock", "sendfile", paths[k], 16 * ZB_MiB, 64 * ZB_KiB);
		double r;
		enum verdict v;

		if (!rw || !sf)
			continue;
		r = sf->mbps / rw->mbps;
		v = r >= 1.7 ? V_HOLDS : r >= 1.2 ? V_CAVEAT : V_NOT;
		votes[v]++;
		add(j->nums, sizeof(j->nums), "%s%s: sendfile %.1f / readwrite %.1f MB/s = x%.2f (%s)",
		    j->nums[0] ? "; " : "", paths[k], sf->mbps, rw->mbps, r, vname[v]);
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
	bool saved = false, known = false, outweighed = false, any = false;
	size_t k;

	for (k = 0; k < 2; k++) {
		const struct result *rw = get(res, n, w, "file2sock", "readwrite", "loop", sizes[k], 64 * ZB_KiB);
		const struct result *mw = get(res, n, w, "file2sock", "mmapwrite", "loop", sizes[k], 64 * ZB_KiB);
		char sz[16];

		if (!rw || !mw)
			continue;
		any = true;
		add(j->nums, sizeof(j->nums), "%s%s file: mmapwrite/readwrite CPU/GiB x%.2f, MB/s x%.2f, %.0f faults",
		    j->nums[0] ? "; " : "", zb_fmt_size(sizes[k], sz, sizeof(sz)),
		    cpu(mw) / cpu(rw), mw->mbps / rw->mbps, mw->faults);
		if (!isnan(mw->cp_total) && !isnan(rw->cp_total)) {
			known = true;
			saved |= snd_copies(mw) <= snd_copies(rw) - 0.9;
			add(j->nums, sizeof(j->nums), ", copies %.2f vs %.2f",
			    snd_copies(mw), snd_copies(rw));
		}
		/* Outweighed: no CPU saved, or slower, at this size. */
		outweighed |= cpu(mw) >= 0.95 * cpu(rw) || mw->mbps <= rw->mbps;
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
	bool large_win, small_lose, reread_lose;

	if (!bl || !dl) {
		snprintf(j->why, sizeof(j->why), "no 256M read_cold/read_direct");
		return;
	}
	/* Beats: faster, or as fast for clearly less CPU. */
	large_win = dl->mbps >= 1.05 * bl->mbps ||
		    (dl->mbps >= 0.95 * bl->mbps && cpu(dl) <= 0.7 * cpu(bl));
	add(j->nums, sizeof(j->nums), "256M one pass: direct %.0f vs buffered %.0f MB/s, CPU/GiB %.2f vs %.2f",
	    dl->mbps, bl->mbps, cpu(dl), cpu(bl));
	small_lose = bs && ds && ds->mbps < bs->mbps;
	if (bs && ds)
		add(j->nums, sizeof(j->nums), "; 4K: direct %.1f vs buffered %.1f MB/s",
		    ds->mbps, bs->mbps);
	reread_lose = br && dr && dr->mbps < br->mbps;
	if (br && dr)
		add(j->nums, sizeof(j->nums), "; re-read %s: direct %.0f vs buffered %.0f MB/s",
		    zb_fmt_size(br->size, (char[16]){ 0 }, 16), dr->mbps, br->mbps);
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
	double r;

	if (!sq || !rn) {
		snprintf(j->why, sizeof(j->why), "no 64M read_cold/randread_cold");
		return;
	}
	r = sq->mbps / rn->mbps;
	snprintf(j->nums, sizeof(j->nums), "cold, %s requests: sequential %.0f vs random %.0f MB/s = x%.2f",
		 zb_fmt_size(sq->bufsize, (char[16]){ 0 }, 16), sq->mbps, rn->mbps, r);
	j->v = r >= 1.2 ? V_HOLDS : r >= 1.05 ? V_CAVEAT : V_NOT;
	if (j->v == V_CAVEAT)
		snprintf(j->why, sizeof(j->why), "faster by less than 20%%");
}

/* ---- 7: DMA frees the CPU ---- */
static void judge7(const struct result *res, int n, const char *w, struct judged *j)
{
	const struct result *mc = get(res, n, w, "dma", "memcpy", "local", 0, 0);
	const struct result *dm = get(res, n, w, "dma", "dma", "local", 0, 0);
	bool software;
	double sub, all;

	if (!mc || !dm) {
		snprintf(j->why, sizeof(j->why), "%s", !mc ? "no memcpy result" :
			 "no zcdev DMA result (module or channel missing)");
		return;
	}
	/* Results from before the engine was recorded were all zcdma's. */
	software = !dm->engine[0] || !strcmp(dm->engine, "zcdma");
	sub = cpu(dm) / cpu(mc);
	all = dm->sys_cpu_gib / mc->sys_cpu_gib;
	snprintf(j->nums, sizeof(j->nums),
		 "submitting thread CPU/GiB: DMA %.3f vs memcpy %.3f (x%.2f); all CPUs: x%.2f; MB/s %.0f vs %.0f",
		 cpu(dm), cpu(mc), sub, all, dm->mbps, mc->mbps);
	if (dm->engine[0])
		add(j->nums, sizeof(j->nums), "; engine %s", dm->engine);
	if (sub > 0.25) {
		j->v = V_NOT;
	} else if (!(all <= 0.5)) {
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

		if (!s || !z)
			continue;
		have[k] = true;
		measured++;
		/* Pays: at least 10% less sender CPU per GiB than the copying send. */
		pays[k] = cpu(z) < 0.9 * cpu(s);
		zc = isnan(z->zc_share) ? 0 : z->zc_share;
		add(j->nums, sizeof(j->nums), "%s%lluK: CPU/GiB x%.2f MB/s x%.2f",
		    j->nums[0] ? "; " : "", (unsigned long long)bs[k] / 1024,
		    cpu(z) / cpu(s), z->mbps / s->mbps);
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
		double cm, cd;

		if (!mm || !db)
			continue;
		any = true;
		/* Without tracefs only the memcpy the harness counted is known. */
		counted &= !isnan(mm->cp_total) && !isnan(db->cp_total);
		cm = isnan(mm->cp_total) ? mm->cp_umode : mm->cp_total;
		cd = isnan(db->cp_total) ? db->cp_umode : db->cp_total;
		avoided &= cd <= 0.05 && cm >= 0.95;
		cheaper = cpu(db) <= 0.9 * cpu(mm);
		largest = sizes[k].name;
		add(j->nums, sizeof(j->nums), "%s%s: copies/B dmabuf %.2f vs mmap_memcpy %.2f; consumer CPU/GiB %.3f vs %.3f (x%.2f); %.1f frames/s",
		    j->nums[0] ? "; " : "", sizes[k].name, cd, cm, cpu(db), cpu(mm),
		    cpu(db) / cpu(mm), db->fps);
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
	  "file2sock 16M, 64K requests, loop and nic: median MB/s",
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

static enum verdict combine(const struct judged *j, int n)
{
	bool h = false, c = false, no = false;
	int i;

	for (i = 0; i < n; i++) {
		h |= j[i].v == V_HOLDS;
		c |= j[i].v == V_CAVEAT;
		no |= j[i].v == V_NOT;
	}
	if (!h && !c && !no)
		return V_NONE;
	if (h && !c && !no)
		return V_HOLDS;
	if (no && !h && !c)
		return V_NOT;
	return V_CAVEAT;
}

int claims_table(FILE *f, const struct result *res, int n)
{
	const char *wheres[ZB_MAX_WHERES];
	struct judged j[ZB_MAX_WHERES];
	enum verdict final[sizeof(claims) / sizeof(claims[0])];
	size_t c;
	int w, bad = 0, nw, nwhere = zb_wheres(res, n, wheres);

	fprintf(f, "\n==== Claims: verdicts computed from the numbers above (rules in zcbench claims.c) ====\n");
	for (c = 0; c < sizeof(claims) / sizeof(claims[0]); c++) {
		bool differ = false;

		memset(j, 0, sizeof(j));
		nw = 0;
		fprintf(f, "\n[%zu] %s\n    experiment: %s\n    rule: %s\n", c + 1,
			claims[c].text, claims[c].experiment, claims[c].rule);
		for (w = 0; w < nwhere; w++) {
			claims[c].judge(res, n, wheres[w], &j[nw]);
			fprintf(f, "    %-6s %s", wheres[w], vname[j[nw].v]);
			if (j[nw].nums[0])
				fprintf(f, ": %s", j[nw].nums);
			if (j[nw].why[0])
				fprintf(f, " [%s]", j[nw].why);
			fputc('\n', f);
			nw++;
		}
		final[c] = combine(j, nw);
		for (w = 1; w < nw; w++)
			differ |= j[w].v != j[0].v && j[w].v != V_NONE && j[0].v != V_NONE;
		if (final[c] == V_CAVEAT && differ && nw == 2 &&
		    !strcmp(wheres[0], "vm") && !strcmp(wheres[1], "native"))
			fprintf(f, "    => %s (vm and native disagree: under TCG timing ratios are exaggerated)\n",
				vname[final[c]]);
		else if (final[c] == V_CAVEAT && differ)
			fprintf(f, "    => %s (the environments disagree)\n", vname[final[c]]);
		else
			fprintf(f, "    => %s\n", vname[final[c]]);
		bad += final[c] == V_NOT;
	}
	fprintf(f, "\nclaim  verdict\n");
	for (c = 0; c < sizeof(claims) / sizeof(claims[0]); c++)
		fprintf(f, "%5zu  %-20s %.70s%s\n", c + 1, vname[final[c]], claims[c].text,
			strlen(claims[c].text) > 70 ? "..." : "");
	fflush(f);
	return bad;
}
