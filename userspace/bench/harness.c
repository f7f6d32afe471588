// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: the one harness every method runs in.
 *
 * Per configuration: make the source, let the method set up (outside the
 * clock), then
 *   1. the counting run: kprobe copy counts on, and the module's trace
 *      events of the method (events.c) counted, every received byte
 *      compared with the pattern. Tracing perturbs timing, so this run is
 *      not timed; it is also the warm-up of what follows (caches, TCP
 *      autotuning, page tables of the harness).
 *   2. --reps timed runs: tracing off, checksum verification.
 * A run whose data is wrong fails the configuration.
 *
 * Sender CPU is the process's CPU (RUSAGE_SELF: it includes io_uring's
 * io-wq workers, which are threads of the process) minus the receiver
 * threads' own (RUSAGE_THREAD). Work the kernel does elsewhere (softirq
 * on the other CPU, zcdma's kworker) shows only in the all-CPU figure
 * from /proc/stat, which is why that one is reported too.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "zcbench.h"

struct sample {
	double secs;
	double s_usr, s_sys, r_usr, r_sys, all_cpu;
	double wall;			/* the window all_cpu was sampled over */
	double snd_cpu, rcv_cpu;	/* busy seconds of the pinned sides' CPUs */
	double vcsw, ivcsw, faults;
	double syscalls;
};

static double tv_s(const struct timeval *a, const struct timeval *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_usec - a->tv_usec) / 1e6;
}

/*
 * Busy seconds from one read of /proc/stat: busy[0] of all CPUs, busy[1]
 * of CPU @cpu_a, busy[2] of CPU @cpu_b; NaN where unreadable or no such
 * CPU (-1: not wanted).
 */
static void cpu_busy_read(int cpu_a, int cpu_b, double busy[3])
{
	unsigned long long v[8];
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "re");
	char line[256], tag[16], want[3][16];
	int k;

	snprintf(want[0], sizeof(want[0]), "cpu");
	snprintf(want[1], sizeof(want[1]), "cpu%d", cpu_a);
	snprintf(want[2], sizeof(want[2]), "cpu%d", cpu_b);
	busy[0] = busy[1] = busy[2] = NAN;
	if (!f)
		return;
	while (hz > 0 && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%15s %llu %llu %llu %llu %llu %llu %llu %llu", tag,
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 8)
			continue;
		/* "cpu-1" names no line: a side not wanted stays NaN. */
		for (k = 0; k < 3; k++)
			if (!strcmp(tag, want[k]))
				/* user nice system [idle iowait] irq softirq steal */
				busy[k] = (double)(v[0] + v[1] + v[2] + v[5] + v[6] +
						   v[7]) / hz;
	}
	fclose(f);
}

double zb_cpu_busy_s(void)
{
	double busy[3];

	cpu_busy_read(-1, -1, busy);
	return busy[0];
}

void result_init(struct result *res, const struct zb_env *e)
{
	double *d;

	memset(res, 0, sizeof(*res));
	/* Every double starts as "not measured"; JSON writes null. */
	for (d = &res->cpus; d < (double *)(res + 1); d++)
		*d = NAN;
	snprintf(res->where, sizeof(res->where), "%s", e->where);
	snprintf(res->kernel, sizeof(res->kernel), "%s", e->kernel);
	snprintf(res->accel, sizeof(res->accel), "%s", e->accel);
	res->cpus = e->cpus;
	res->mem_mb = (double)e->mem_mb;
	res->host_load = e->host_load >= 0 ? e->host_load : NAN;
}

/*
 * Rewrite one status line in place on a terminal; on a log, or with
 * ZCBENCH_PROGRESS=lines (the VM console is a tty that ends up in a log
 * file), one line per configuration is enough.
 */
bool zb_progress_inplace(void)
{
	const char *p = getenv("ZCBENCH_PROGRESS");

	return isatty(2) && !(p && !strcmp(p, "lines"));
}

static void progress(const struct harness_opts *o, const char *tag,
		     const char *what, int rep, int reps)
{
	bool tty = zb_progress_inplace();

	if (o->quiet || (rep && !tty))
		return;
	if (tty)
		fprintf(stderr, "\r\033[K%s: %s", tag, what);
	else
		fprintf(stderr, "%s: %s", tag, what);
	if (rep)
		fprintf(stderr, " %d/%d", rep, reps);
	fputs(tty ? "" : "\n", stderr);
	fflush(stderr);
}

/* One run of the method; fills @s. Returns 0, or -errno with r->reason. */
static int one_run(const struct harness_opts *o, struct run *r,
		   bool counting, bool tracing, struct sample *s,
		   struct trace_counts *tc)
{
	const struct method *m = r->m;
	struct recv_stats st[ZB_MAX_RECV];
	struct rusage ru0, ru1, th0, th1;
	uint64_t t0, t1, end, w0;
	double busy0[3], busy1[3];
	int nrcv = m->receivers, i, err, rcv_tids[ZB_MAX_RECV];
	double r_usr = 0, r_sys = 0;

	(void)o;
	memset(&r->cnt, 0, sizeof(r->cnt));
	memset(st, 0, sizeof(st));
	r->counting = counting;
	if (m->rep_setup) {
		err = m->rep_setup(r);
		if (err)
			return err < 0 ? err : -EIO;
	}
	if (nrcv) {
		err = net_connect(r, nrcv, counting);
		if (err) {
			net_finish(r, nrcv, NULL);
			return err;
		}
	}
	w0 = zb_now_ns();
	cpu_busy_read(r->snd_cpu, r->rcv_cpu, busy0);
	getrusage(RUSAGE_SELF, &ru0);
	getrusage(RUSAGE_THREAD, &th0);
	if (tracing)
		trace_start();
	t0 = zb_now_ns();
	err = m->xfer(r);
	t1 = zb_now_ns();
	if (tracing)
		trace_mark((int)syscall(SYS_gettid));
	end = t1;
	if (nrcv) {
		int ferr = net_finish(r, nrcv, st);

		if (!err)
			err = ferr;
		for (i = 0; i < nrcv; i++) {
			if (st[i].t_last_ns > end)
				end = st[i].t_last_ns;
			r_usr += tv_s(&st[i].ru0.ru_utime, &st[i].ru1.ru_utime);
			r_sys += tv_s(&st[i].ru0.ru_stime, &st[i].ru1.ru_stime);
			rcv_tids[i] = st[i].tid;
		}
	}
	getrusage(RUSAGE_THREAD, &th1);
	getrusage(RUSAGE_SELF, &ru1);
	cpu_busy_read(r->snd_cpu, r->rcv_cpu, busy1);
	s->snd_cpu = busy1[1] - busy0[1];
	s->rcv_cpu = busy1[2] - busy0[2];
	s->wall = (zb_now_ns() - w0) / 1e9;
	if (tracing)
		trace_stop((int)syscall(SYS_gettid), rcv_tids, nrcv, tc);
	if (!err && m->verify)
		err = m->verify(r);
	if (err)
		return err;

	s->secs = (end - t0) / 1e9;
	s->r_usr = r_usr;
	s->r_sys = r_sys;
	/*
	 * CPU: the process minus the receivers, which keeps io-wq workers in;
	 * never less than the sender thread's own (the receivers' windows
	 * start a little before the sender's).
	 */
	s->s_usr = tv_s(&ru0.ru_utime, &ru1.ru_utime) - r_usr;
	s->s_sys = tv_s(&ru0.ru_stime, &ru1.ru_stime) - r_sys;
	if (s->s_usr < tv_s(&th0.ru_utime, &th1.ru_utime))
		s->s_usr = tv_s(&th0.ru_utime, &th1.ru_utime);
	if (s->s_sys < tv_s(&th0.ru_stime, &th1.ru_stime))
		s->s_sys = tv_s(&th0.ru_stime, &th1.ru_stime);
	s->all_cpu = busy1[0] - busy0[0];
	/* Switches and faults: the sender thread's own, exactly. */
	s->vcsw = th1.ru_nvcsw - th0.ru_nvcsw;
	s->ivcsw = th1.ru_nivcsw - th0.ru_nivcsw;
	s->faults = (th1.ru_minflt - th0.ru_minflt) + (th1.ru_majflt - th0.ru_majflt);

	s->syscalls = r->cnt.syscalls;
	return 0;
}

static void fill_copies(struct result *res, const struct trace_counts *tc,
			double delivered, uint64_t umode)
{
	/* The method's own memcpy is known exactly, with or without tracefs. */
	res->cp_umode = umode / delivered;
	if (!tc->avail) {
		snprintf(res->copies_note, sizeof(res->copies_note), "%s", tc->why);
		return;
	}
	res->cp_snd_user = tc->snd_user / delivered;
	res->cp_snd_kern = tc->snd_kern / delivered;
	res->cp_rcv_user = tc->rcv_user / delivered;
	res->cp_rcv_kern = tc->rcv_kern / delivered;
	res->cp_other = tc->other / delivered;
	res->cp_ubufs = tc->ubufs_bytes ? tc->ubufs / delivered : NAN;
	res->cp_total = (double)(tc->snd_user + tc->snd_kern + tc->rcv_user +
				 tc->rcv_kern + tc->other + umode +
				 (tc->ubufs_bytes ? tc->ubufs : 0)) / delivered;
	if (!tc->ubufs_bytes)
		snprintf(res->copies_note, sizeof(res->copies_note),
			 "skb_copy_ubufs: %llu calls, bytes unknown (no BTF)",
			 (unsigned long long)tc->ubufs);
	else
		snprintf(res->copies_note, sizeof(res->copies_note), "%s", tc->why);
}

/* Ends @res as "fail" or "unavailable" (@status) for the reason given. */
static __attribute__((format(printf, 3, 4)))
void result_end(struct result *res, const char *status, const char *fmt, ...)
{
	va_list ap;

	snprintf(res->status, sizeof(res->status), "%s", status);
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
}

/* What the configuration is: every field a failed one reports too. */
static void result_begin(struct result *res, const struct harness_opts *o,
			 const struct method *m, const struct workload *w,
			 uint64_t size, uint64_t bufsize, const char *path)
{
	const char *holder = w->source_env ? getenv(w->source_env) : NULL;

	result_init(res, &o->env);
	snprintf(res->workload, sizeof(res->workload), "%s", m->workload);
	snprintf(res->method, sizeof(res->method), "%s", m->name);
	snprintf(res->path, sizeof(res->path), "%s", path);
	snprintf(res->net, sizeof(res->net), "%s", net_mode(path));
	if (holder)
		snprintf(res->source, sizeof(res->source), "%.30s; %.30s",
			 m->source, holder);
	else
		snprintf(res->source, sizeof(res->source), "%s", m->source);
	res->size = size;
	res->bufsize = bufsize;
	res->ceiling_mbps = o->ceiling;
}

static void run_init(struct run *r, const struct harness_opts *o,
		     const struct method *m, uint64_t size, uint64_t bufsize,
		     const char *path)
{
	int i;

	memset(r, 0, sizeof(*r));
	r->m = m;
	r->size = size;
	r->bufsize = bufsize;
	r->path = path;
	r->dir = o->dir;
	r->sdir = o->sdir;
	r->src_fd = r->dst_fd = -1;
	r->snd_cpu = r->rcv_cpu = -1;
	for (i = 0; i < ZB_MAX_RECV; i++)
		r->sock[i] = -1;
}

/**
 * struct series - what the runs of one configuration measured
 * @s: the timed runs' samples
 * @n: timed runs
 * @tc: the counting run's kernel copy counts
 * @ev: the counting run's zcdev trace events (the method's m->events)
 * @counting: the counting run's own counters, which @ev is held against
 */
struct series {
	struct sample s[ZB_MAX_REPS];
	int n;
	struct trace_counts tc;
	struct zev_counts ev;
	struct counters counting;
};

/* Warm-ups, the counting run, the timed runs; 0 or the first error. */
static int run_series(const struct harness_opts *o, struct run *r,
		      const char *tag, int reps, struct series *sr)
{
	int i, err = 0, nruns = o->warmup + 1 + reps;
	bool tracing = o->trace && trace_init(sr->tc.why, sizeof(sr->tc.why));
	unsigned int events = r->m->events;

	if (!o->trace) {
		snprintf(sr->tc.why, sizeof(sr->tc.why), "tracing off (--no-trace)");
		snprintf(sr->ev.why, sizeof(sr->ev.why), "tracing off (--no-trace)");
		sr->ev.events = events;
		events = 0;
	}
	for (i = 0; i < nruns && !err; i++) {
		bool counting = i == o->warmup;

		if (i < o->warmup)
			progress(o, tag, "warm-up", i + 1, o->warmup);
		else if (counting)
			progress(o, tag, "counting copies, exact verify", 0, 0);
		else
			progress(o, tag, "rep", i - o->warmup, reps);
		/* Outside one_run(): these writes are not the method's syscalls. */
		if (counting && events)
			zev_start(events, &sr->ev);
		err = one_run(o, r, counting, counting && tracing,
			      &sr->s[sr->n], &sr->tc);
		if (counting && events)
			zev_stop(&sr->ev);
		if (counting)
			sr->counting = r->cnt;
		if (!err && i > o->warmup)
			sr->n++;
	}
	if (!o->quiet && zb_progress_inplace())
		fprintf(stderr, "\r\033[K");
	return err;
}

/*
 * The module's own events against the method's completions and waits, in
 * the same (counting) run; a disagreement is said in the note and on
 * stderr but does not fail the data, which was verified on its own.
 */
static void fill_events(struct result *res, const struct series *sr)
{
	const struct zev_counts *ev = &sr->ev;
	const struct counters *c = &sr->counting;
	struct zev_counts seen = {
		.events = ev->events,
		.sends = { c->zc_compls, c->copied_compls },
		.send_bytes = { c->zc_bytes, c->copied_bytes },
		.dma = { [ZCDEV_DMA_DONE] = c->dma_done },
		.dma_bytes = c->dma_bytes,
	};
	double bytes = (double)ev->send_bytes[0] + ev->send_bytes[1];

	if (!zev_compare(ev, &seen, res->events_note, sizeof(res->events_note)) &&
	    ev->avail)
		zb_log("%s %s: %s", res->method, res->path, res->events_note);
	if (!ev->avail)
		return;
	if (ev->events & ZEV_SEND_COMPLETE) {
		res->ev_zc_sends = ev->sends[0];
		res->ev_copied_sends = ev->sends[1];
		res->ev_zc_share = bytes > 0 ? ev->send_bytes[0] / bytes : NAN;
	}
	if (ev->events & ZEV_DMA_END) {
		res->ev_dma_done = ev->dma[ZCDEV_DMA_DONE];
		res->ev_dma_other = ev->dma[0] + ev->dma[ZCDEV_DMA_ERROR] +
				    ev->dma[ZCDEV_DMA_TIMEDOUT] +
				    ev->dma[ZCDEV_DMA_CANCELLED];
	}
}

/* The medians and spreads of @sr into @res. */
static void summarize(struct result *res, const struct run *r,
		      const struct series *sr)
{
	const struct method *m = r->m;
	const struct sample *s = sr->s;
	double v[ZB_MAX_REPS], delivered, gib;
	int i, n = sr->n;

	snprintf(res->status, sizeof(res->status), "ok");
	snprintf(res->note, sizeof(res->note), "%s", r->note);
	snprintf(res->engine, sizeof(res->engine), "%s", r->engine);
	snprintf(res->pinning, sizeof(res->pinning), "%s", r->pinning);
	res->verified = 1;
	res->reps = n;
	delivered = (double)r->size * (m->receivers > 1 ? m->receivers : 1) *
		    (m->passes > 1 ? m->passes : 1);
	gib = delivered / ZB_GiB;

#define MED(field, expr) do {						\
		for (i = 0; i < n; i++)					\
			v[i] = (expr);					\
		res->field = st_median(v, n);				\
	} while (0)

	for (i = 0; i < n; i++)
		v[i] = s[i].secs > 0 ? delivered / 1e6 / s[i].secs : NAN;
	res->mbps = st_median(v, n);
	res->mbps_min = st_min(v, n);
	res->mbps_max = st_max(v, n);
	res->mbps_q1 = st_quantile(v, n, 0.25);
	res->mbps_q3 = st_quantile(v, n, 0.75);
	MED(secs, s[i].secs);
	MED(snd_usr_gib, s[i].s_usr / gib);
	MED(snd_sys_gib, s[i].s_sys / gib);
	MED(rcv_usr_gib, m->receivers ? s[i].r_usr / gib : NAN);
	MED(rcv_sys_gib, m->receivers ? s[i].r_sys / gib : NAN);
	MED(sys_cpu_gib, s[i].all_cpu / gib);
	MED(cpu_busy, s[i].all_cpu / (s[i].wall * res->cpus));
	MED(cpu_busy_snd, s[i].snd_cpu / s[i].wall);
	MED(cpu_busy_rcv, s[i].rcv_cpu / s[i].wall);
	MED(syscalls_gib, s[i].syscalls / gib);
	/* A request is bufsize bytes, or the whole file if that is smaller. */
	MED(syscalls_per_call, r->bufsize ? s[i].syscalls *
	    (double)(r->bufsize < r->size ? r->bufsize : r->size) / delivered : NAN);
	MED(vcsw_gib, s[i].vcsw / gib);
	MED(ivcsw_gib, s[i].ivcsw / gib);
	MED(faults, s[i].faults);
	MED(faults_gib, s[i].faults / gib);
#undef MED

	fill_copies(res, &sr->tc, delivered, sr->counting.umode_copied);
	if (m->events)
		fill_events(res, sr);
	if (sr->tc.avail)
		res->ksyscalls_gib = sr->tc.snd_syscalls / gib;
	/* Completions are the same every run; the last run's are reported. */
	if (m->zc) {
		double tot = (double)r->cnt.zc_bytes + r->cnt.copied_bytes;

		res->zc_bytes = r->cnt.zc_bytes;
		res->copied_bytes = r->cnt.copied_bytes;
		res->zc_share = tot > 0 ? r->cnt.zc_bytes / tot : NAN;
	}
}

/*
 * Source, setup, the runs, teardown. 0, or an error with @res ended:
 * positive when the method is unavailable here.
 */
static int run_config(const struct harness_opts *o, struct run *r,
		      const struct workload *w, const char *tag,
		      struct result *res, struct series *sr)
{
	const struct method *m = r->m;
	int err, reps = o->reps < ZB_MAX_REPS - 2 ? o->reps : ZB_MAX_REPS - 2;

	err = zb_source_file(w->source_in_sdir ? o->sdir : o->dir, r->size,
			     r->src_path, sizeof(r->src_path), &r->seed);
	if (err) {
		result_end(res, "fail", "source file: %s", strerror(-err));
		return err;
	}
	r->src_fd = open(r->src_path, O_RDONLY | O_CLOEXEC);
	if (r->src_fd < 0) {
		err = -errno;
		result_end(res, "fail", "open %.100s: %s", r->src_path,
			   strerror(-err));
		return err;
	}
	err = m->setup ? m->setup(r) : 0;
	if (err) {
		result_end(res, err > 0 ? "unavailable" : "fail", "%s",
			   r->reason[0] ? r->reason : strerror(-err));
	} else {
		err = run_series(o, r, tag, reps, sr);
		if (err) {
			result_end(res, "fail", "%s",
				   r->reason[0] ? r->reason : strerror(-err));
			res->verified = 0;
		}
	}
	if (m->teardown)
		m->teardown(r);
	close(r->src_fd);
	return err;
}

void harness_run(const struct harness_opts *o, const struct method *m,
		 uint64_t size, uint64_t bufsize, const char *path,
		 struct result *res, const char *tag)
{
	const struct workload *w = zb_find_workload(m->workload);
	struct series sr;
	struct run r;
	char why[200];

	result_begin(res, o, m, w, size, bufsize, path);
	if ((m->needs & NEED_SOCK) && !net_path_ok(path, why, sizeof(why))) {
		result_end(res, "unavailable", "%s", why);
		return;
	}
	run_init(&r, o, m, size, bufsize, path);
	memset(&sr, 0, sizeof(sr));
	if (run_config(o, &r, w, tag, res, &sr))
		return;
	summarize(res, &r, &sr);
	if (w->summarize)
		w->summarize(res, sr.n + 1);
}
