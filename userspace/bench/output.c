// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: what people read. JSON lines for machines; for people, tables
 * grouped by workload and by (size, bufsize, path), where every method is
 * a ratio to the workload's baseline measured in the same group of the
 * same run: absolute numbers under TCG mean little, ratios side by side
 * do, and copy counts (kprobes) mean the same everywhere.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "zcbench.h"

/* ---- JSON ---- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void out_json(FILE *f, const struct result *res)
{
	const char *base = (const char *)res;
	int i;

	fprintf(f, "{\"schema\":\"%s\"", ZB_SCHEMA);
	for (i = 0; i < zb_nfields; i++) {
		const struct field *fd = &zb_fields[i];
		double d;

		fprintf(f, ",\"%s\":", fd->name);
		switch (fd->type) {
		case F_STR:
			json_str(f, base + fd->off);
			break;
		case F_U64:
			fprintf(f, "%llu", (unsigned long long)*(const uint64_t *)(base + fd->off));
			break;
		case F_DBL:
			d = *(const double *)(base + fd->off);
			if (isnan(d) || isinf(d))
				fputs("null", f);
			else
				fprintf(f, "%.6g", d);
			break;
		}
	}
	fputs("}\n", f);
	fflush(f);
}

/* ---- tables ---- */

static bool same_group(const struct result *a, const struct result *b)
{
	return !strcmp(a->where, b->where) && !strcmp(a->workload, b->workload) &&
	       a->size == b->size && a->bufsize == b->bufsize &&
	       !strcmp(a->path, b->path);
}

static const struct result *find_in_group(const struct result *res, int n,
					  const struct result *g,
					  const char *method)
{
	int i;

	for (i = 0; i < n; i++)
		if (same_group(&res[i], g) && !strcmp(res[i].method, method) &&
		    !strcmp(res[i].status, "ok"))
			return &res[i];
	return NULL;
}

static double snd_cpu(const struct result *r)
{
	return r->snd_usr_gib + r->snd_sys_gib;
}

/* "%*.*f", or n/a for NaN, into a column of @w characters. */
static void col(FILE *f, int w, int prec, double v)
{
	if (isnan(v))
		fprintf(f, " %*s", w, "n/a");
	else
		fprintf(f, " %*.*f", w, prec, v);
}

static void col_ratio(FILE *f, int w, double a, double b)
{
	if (isnan(a) || isnan(b) || b <= 0)
		fprintf(f, " %*s", w, "-");
	else
		fprintf(f, " %*.2f", w, a / b);
}

static void group_header(FILE *f, const struct result *g)
{
	char sz[16], bs[16];

	fprintf(f, "\n-- %s: size %s, bufsize %s, path %s%s%s%s%s%s  [%s, %s, %s; memcpy ceiling %.0f MB/s; host load %.1f]\n",
		g->workload, zb_fmt_size(g->size, sz, sizeof(sz)),
		zb_fmt_size(g->bufsize, bs, sizeof(bs)), g->path,
		g->net[0] ? " (" : "", g->net,
		g->pinning[0] && strcmp(g->pinning, "none") ? "; " : "",
		g->pinning[0] && strcmp(g->pinning, "none") ? g->pinning : "",
		g->net[0] ? ")" : "", g->where,
		g->accel, g->kernel, g->ceiling_mbps, g->host_load);
	fprintf(f, "%-19s %8s %15s %6s %8s %6s %9s %6s %8s %8s %8s %18s %5s\n",
		"method", "MB/s", "min-max", "xbase", "sndCPU", "xbase",
		"sysc/GiB", "sc/req", "vcs/GiB", "ivcs/GiB", "faults",
		"copies snd/rcv/oth", "zc%");
}

static void row(FILE *f, const struct result *r, const struct result *b)
{
	char range[32];

	fprintf(f, "%-19s", r->method);
	if (strcmp(r->status, "ok")) {
		fprintf(f, " %s: %s\n", r->status, r->reason);
		return;
	}
	col(f, 8, r->mbps < 100 ? 1 : 0, r->mbps);
	snprintf(range, sizeof(range), "%.*f-%.*f", r->mbps_min < 100 ? 1 : 0,
		 r->mbps_min, r->mbps_max < 100 ? 1 : 0, r->mbps_max);
	fprintf(f, " %15s", range);
	col_ratio(f, 6, r->mbps, b ? b->mbps : NAN);
	col(f, 8, 2, snd_cpu(r));
	col_ratio(f, 6, snd_cpu(r), b ? snd_cpu(b) : NAN);
	col(f, 9, 0, r->syscalls_gib);
	col(f, 6, 2, r->syscalls_per_call);
	col(f, 8, 0, r->vcsw_gib);
	col(f, 8, 0, r->ivcsw_gib);
	col(f, 8, 0, r->faults);
	if (isnan(r->cp_total)) {
		char cp[40];

		/* Only what the method copied itself is known without tracefs. */
		if (!isnan(r->cp_umode) && r->cp_umode > 0)
			snprintf(cp, sizeof(cp), ">=%.2f/n/a", r->cp_umode);
		else
			snprintf(cp, sizeof(cp), "n/a");
		fprintf(f, " %18s", cp);
	} else {
		char cp[40];
		double oth = r->cp_other + (isnan(r->cp_ubufs) ? 0 : r->cp_ubufs);

		snprintf(cp, sizeof(cp), "%.2f/%.2f/%.2f",
			 r->cp_snd_user + r->cp_snd_kern +
			 (isnan(r->cp_umode) ? 0 : r->cp_umode),
			 r->cp_rcv_user + r->cp_rcv_kern, oth);
		fprintf(f, " %18s", cp);
	}
	if (isnan(r->zc_share))
		fprintf(f, " %5s", "-");
	else
		fprintf(f, " %5.0f", 100 * r->zc_share);
	fputc('\n', f);
	/* The module's trace events, beside what the completions said. */
	if (r->events_note[0])
		fprintf(f, "%-19s   trace: %s\n", "", r->events_note);
	/* Capture: the frame rate, and the frame every frame matched. */
	if (!isnan(r->fps))
		fprintf(f, "%-19s   frames: %.1f/s; %s\n", "", r->fps, r->note);
	else if (r->note[0])
		fprintf(f, "%-19s   note: %s\n", "", r->note);
}

/* zcdev send against its strongest peers, in the same group. */
static void zcdev_peers(FILE *f, const struct result *res, int n,
			const struct result *g)
{
	static const char *const peers[] = { "uring_sendzc_zcdev", "uring_sendzc_fixed",
					     "msgzc" };
	const struct result *z = find_in_group(res, n, g, "zcdev_send");
	size_t i;

	if (!z)
		return;
	for (i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
		const struct result *p = find_in_group(res, n, g, peers[i]);

		if (!p)
			continue;
		fprintf(f, "   zcdev_send vs %-19s throughput x%.2f, sender CPU/GiB x%.2f\n",
			peers[i], z->mbps / p->mbps, snd_cpu(z) / snd_cpu(p));
	}
}

/*
 * A group whose methods are all unavailable for one reason (the NIC path
 * natively) is one line, not a table of identical refusals. Marks it done.
 */
static bool group_all_unavailable(const struct result *res, int n,
				  const struct result *g, bool *done)
{
	int j;

	for (j = 0; j < n; j++)
		if (same_group(&res[j], g) &&
		    (strcmp(res[j].status, "unavailable") || strcmp(res[j].reason, g->reason)))
			return false;
	for (j = 0; j < n; j++)
		if (same_group(&res[j], g))
			done[j] = true;
	return true;
}

static const char *baseline_of(const char *workload)
{
	const struct workload *w = zb_find_workload(workload);

	return w ? w->baseline : "";
}

void out_table(FILE *f, const struct result *res, int n, const char *title)
{
	bool done[n > 0 ? n : 1];
	int w, i, j;

	memset(done, 0, sizeof(done));
	if (title)
		fprintf(f, "\n==== %s ====\n", title);
	fprintf(f, "MB/s: median of the timed repetitions (min-max beside it); sndCPU: sender user+sys CPU s/GiB;\n"
		"xbase: ratio to the workload's baseline in the same group; copies: bytes the CPU copied per byte\n"
		"delivered, counted by kprobes (sender/receiver/other tasks); zc%%: share the completions call zero-copy;\n"
		"trace: zcdev's trace events in the counting run, against its completions or DMA waits;\n"
		"capture: size is one frame, sc/req system calls per frame, frames: the rate vivid delivered.\n");
	for (w = 0; w < zb_nworkloads; w++) {
		const char *wl = zb_workloads[w].name;
		bool shown = false;

		for (i = 0; i < n; i++) {
			const struct result *b;

			if (done[i] || strcmp(res[i].workload, wl))
				continue;
			if (!shown) {
				fprintf(f, "\n== %s: %s (baseline %s) ==\n", wl,
					zb_workloads[w].desc, zb_workloads[w].baseline);
				shown = true;
			}
			if (group_all_unavailable(res, n, &res[i], done)) {
				char sz[16], bs[16];

				fprintf(f, "\n-- %s: size %s, bufsize %s, path %s: every method unavailable: %s\n",
					wl, zb_fmt_size(res[i].size, sz, sizeof(sz)),
					zb_fmt_size(res[i].bufsize, bs, sizeof(bs)),
					res[i].path, res[i].reason);
				continue;
			}
			group_header(f, &res[i]);
			b = find_in_group(res, n, &res[i], baseline_of(wl));
			for (j = i; j < n; j++) {
				if (done[j] || !same_group(&res[j], &res[i]))
					continue;
				row(f, &res[j], b);
				done[j] = true;
			}
			zcdev_peers(f, res, n, &res[i]);
		}
	}
	fflush(f);
}

/* ---- VM vs native ---- */

static const struct result *find_where(const struct result *res, int n,
				       const struct result *g, const char *where)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(res[i].where, where) &&
		    !strcmp(res[i].workload, g->workload) &&
		    !strcmp(res[i].method, g->method) &&
		    !strcmp(res[i].path, g->path) && res[i].size == g->size &&
		    res[i].bufsize == g->bufsize)
			return &res[i];
	return NULL;
}

/*
 * The VM column: vm-icount (make run's default, qemu/run.sh
 * --deterministic) where there is one, else the host-timed vm.
 */
static const char *vm_where(const struct result *res, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(res[i].where, "vm-icount"))
			return "vm-icount";
	return "vm";
}

static void ratio_pair(FILE *f, const struct result *r, const struct result *b)
{
	if (!r || strcmp(r->status, "ok")) {
		fprintf(f, " %8s %6s %6s", r ? r->status : "-", "", "");
		return;
	}
	col(f, 8, r->mbps < 100 ? 1 : 0, r->mbps);
	col_ratio(f, 6, r->mbps, b ? b->mbps : NAN);
	col_ratio(f, 6, snd_cpu(r), b ? snd_cpu(b) : NAN);
}

void out_compare(FILE *f, const struct result *res, int n)
{
	const char *vm = vm_where(res, n);
	int i;
	bool any = false;

	for (i = 0; i < n; i++) {
		const struct result *v = &res[i], *nat, *bv, *bn;
		char sz[16], bs[16];

		if (strcmp(v->where, vm) || !strcmp(v->status, "unavailable"))
			continue;
		nat = find_where(res, n, v, "native");
		if (!nat)
			continue;
		if (!any) {
			fprintf(f, "\n==== VM (%s) vs native (real hardware) ====\n"
				"xbase: throughput ratio to the baseline; cpu: sender CPU/GiB ratio to the baseline.\n"
				"%s"
				"the native column is the honest timing, the copy counts the honest mechanism.\n",
				strcmp(vm, "vm") ? "instruction-counted timings, vm-icount" : "emulated timings",
				strcmp(vm, "vm") ?
				"Under instruction counting a copy costs only its instructions (no caches, no memory\n"
				"bandwidth), so VM ratios understate what zero-copy saves on hardware;\n" :
				"Under TCG kernel user-copies are disproportionately slow, so VM ratios exaggerate\n"
				"zero-copy gains; ");
			fprintf(f, "%-10s %-19s %5s %5s %-5s | %8s %6s %6s | %8s %6s %6s\n",
				"workload", "method", "size", "buf", "path",
				"VM MB/s", "xbase", "cpu", "nat MB/s", "xbase", "cpu");
			any = true;
		}
		bv = find_in_group(res, n, v, baseline_of(v->workload));
		bn = find_in_group(res, n, nat, baseline_of(v->workload));
		fprintf(f, "%-10s %-19s %5s %5s %-5s |", v->workload, v->method,
			zb_fmt_size(v->size, sz, sizeof(sz)),
			zb_fmt_size(v->bufsize, bs, sizeof(bs)), v->path);
		ratio_pair(f, v, bv);
		fprintf(f, " |");
		ratio_pair(f, nat, bn);
		fputc('\n', f);
	}
	fflush(f);
}

/* Ratio to the baseline of the same group, NaN if either is missing. */
static double xbase(const struct result *res, int n, const struct result *r,
		    bool cpu_ratio)
{
	const struct result *b;

	if (!r || strcmp(r->status, "ok"))
		return NAN;
	b = find_in_group(res, n, r, baseline_of(r->workload));
	if (!b)
		return NAN;
	return cpu_ratio ? snd_cpu(r) / snd_cpu(b) : r->mbps / b->mbps;
}

static void put(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs(" NaN", f);
	else
		fprintf(f, " %.4g", v);
}

#define PLOT_MAX_SIZES	16

/* Rows of one plot file: a workload's results of the sizes listed (0: all). */
static int plot_file(const char *file, const struct result *res, int n,
		     int w, const uint64_t *sizes, int nsizes)
{
	const char *wl = zb_workloads[w].name, *vm = vm_where(res, n);
	char sz[16], bs[16];
	int i, j, rows = 0;
	FILE *f = fopen(file, "we");

	if (!f)
		return -1;
	fprintf(f, "# %s: ratios to the baseline %s of the same group\n"
		"# label vm_mbps_x native_mbps_x vm_cpu_x native_cpu_x vm_mbps native_mbps\n",
		wl, zb_workloads[w].baseline);
	for (i = 0; i < n; i++) {
		const struct result *r = &res[i], *v, *nat;
		bool seen = false;

		bool want = !nsizes;

		for (j = 0; j < nsizes; j++)
			want |= r->size == sizes[j];
		if (strcmp(r->workload, wl) || strcmp(r->status, "ok") || !want)
			continue;
		/* One row per configuration, whichever environment has it first. */
		for (j = 0; j < i && !seen; j++)
			seen = !strcmp(res[j].workload, wl) &&
			       !strcmp(res[j].status, "ok") &&
			       !strcmp(res[j].method, r->method) &&
			       !strcmp(res[j].path, r->path) &&
			       res[j].size == r->size && res[j].bufsize == r->bufsize;
		if (seen)
			continue;
		v = !strcmp(r->where, vm) ? r : find_where(res, n, r, vm);
		nat = !strcmp(r->where, "native") ? r : find_where(res, n, r, "native");
		zb_fmt_size(r->size, sz, sizeof(sz));
		zb_fmt_size(r->bufsize, bs, sizeof(bs));
		fprintf(f, "\"%s %s/%s%s%s\"", r->method, sz, bs,
			zb_workloads[w].sockets ? " " : "",
			zb_workloads[w].sockets ? r->path : "");
		put(f, xbase(res, n, v, false));
		put(f, xbase(res, n, nat, false));
		put(f, xbase(res, n, v, true));
		put(f, xbase(res, n, nat, true));
		put(f, v && !strcmp(v->status, "ok") ? v->mbps : NAN);
		put(f, nat && !strcmp(nat->status, "ok") ? nat->mbps : NAN);
		fputc('\n', f);
		rows++;
	}
	fclose(f);
	if (!rows)
		unlink(file);
	return 0;
}

/* More rows than this in one panel and the labels run into each other. */
#define PLOT_MAX_ROWS	30

/* Rows (configurations) of workload @wl and size @size in one environment. */
static int rows_of(const struct result *res, int n, const char *wl, uint64_t size)
{
	int i, rows = 0;

	for (i = 0; i < n; i++)
		rows += !strcmp(res[i].workload, wl) && !strcmp(res[i].status, "ok") &&
			!strcmp(res[i].where, res[0].where) && res[i].size == size;
	return rows;
}

int out_plot_data(const char *dir, const struct result *res, int n)
{
	uint64_t sizes[PLOT_MAX_SIZES];
	char file[512], sz[16];
	int w, i, j, k, rows, nsizes, part;

	for (w = 0; w < zb_nworkloads; w++) {
		const char *wl = zb_workloads[w].name;

		/* Sizes in the order they first appear. */
		for (i = nsizes = 0; i < n && nsizes < PLOT_MAX_SIZES; i++) {
			if (strcmp(res[i].workload, wl))
				continue;
			for (k = 0; k < nsizes && sizes[k] != res[i].size; k++)
				;
			if (k == nsizes)
				sizes[nsizes++] = res[i].size;
		}
		/* Consecutive sizes share a panel while it stays readable. */
		for (i = 0, part = 0; i < nsizes; i = j, part++) {
			rows = rows_of(res, n, wl, sizes[i]);
			for (j = i + 1; j < nsizes &&
			     rows + rows_of(res, n, wl, sizes[j]) <= PLOT_MAX_ROWS; j++)
				rows += rows_of(res, n, wl, sizes[j]);
			if (!part && j == nsizes)
				snprintf(file, sizeof(file), "%s/plot-%s.dat", dir, wl);
			else
				snprintf(file, sizeof(file), "%s/plot-%s-%d-%s.dat", dir, wl,
					 part + 1, zb_fmt_size(sizes[i], sz, sizeof(sz)));
			if (plot_file(file, res, n, w, sizes + i, j - i))
				return -1;
		}
	}
	return 0;
}
