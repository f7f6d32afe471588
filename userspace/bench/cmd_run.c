// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench run: choose configurations (the default set, or any subset from
 * the command line), run them through the harness, print the tables and
 * the claims, write JSON lines as each configuration finishes (so a run
 * cut short by a time limit still leaves its results).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zcbench.h"

#define MAX_LIST	16
#define MAX_RESULTS	512

struct plan {
	const char *workloads;	/* comma lists; NULL = all */
	const char *methods;
	const char *sizes;	/* NULL: the workload's own, else 16M */
	const char *bufsizes;
	const char *paths;
};

/*
 * The default set, sized so `make run` stays under 15 minutes on 2 host
 * cores under TCG (where a loopback write() moves ~24 MB/s): each row is
 * there for a claim or for the main comparison.
 */
static const struct plan default_plan[] = {
	/* The main comparison, both paths (claims 1, 2, 4; zcdev vs peers). */
	{ "file2sock", NULL, "16M", "64K", "loop,nic" },
	/* Small files: does mapping cost outweigh the saved copy (claim 3)? */
	{ "file2sock", "readwrite,mmapwrite,sendfile", "64K", "64K", "loop" },
	/* Bytes per send: where MSG_ZEROCOPY starts to pay (claim 8). */
	{ "file2sock", "readwrite,send,msgzc", "4M", "1K,4K,16K,64K", "nic,loop" },
	{ "fanout", NULL, "8M", "64K", "loop" },
	{ "file2file", NULL, "16M", "64K", NULL },
	/* 4 KiB to 256 MiB: direct vs buffered, cold vs warm (claims 5, 6). */
	{ "storage", NULL, "64K,256M", "1M", NULL },
	{ "storage", "read,read_cold,read_direct,reread,reread_direct", "4K", "4K", NULL },
	{ "storage", "read,read_cold,randread_cold", "64M", "64K", NULL },
	/* DMA vs memcpy (claim 7). */
	{ "dma", NULL, "16M", "1M", NULL },
	/* Frames into shared buffers vs MMAP + memcpy (claim 9); vivid-paced. */
	{ "capture", NULL, NULL, "64K", NULL },
};

/* A reduced set for the kselftest: every method once, tiny sizes. */
static const struct plan smoke_plan[] = {
	{ "file2sock", NULL, "256K", "64K", "loop,nic" },
	{ "fanout", NULL, "256K", "64K", "loop" },
	{ "file2file", NULL, "256K", "64K", NULL },
	{ "storage", NULL, "256K", "64K", NULL },
	{ "dma", NULL, "256K", "64K", NULL },
	{ "capture", NULL, "320x180", "64K", NULL },
};

static const char help[] =
"usage: zcbench run [options]\n"
"\n"
"Runs configurations (workload x method x size x bufsize x path) through one\n"
"harness: an untimed counting run (copies counted by kprobes, every byte\n"
"verified), then --reps timed runs (checksum-verified); reports the median\n"
"and the spread. With no selection options it runs the default set (what\n"
"`make run` runs). Exit status: 0, 1 if any method moved wrong data or\n"
"failed, 2 on usage errors. Unavailable methods (no module, no NIC path)\n"
"are reported with the reason, never faked.\n"
"\n"
"  -w, --workload LIST  workloads (default: all); see zcbench list\n"
"  -m, --method LIST    methods (default: all of the workloads)\n"
"  -s, --size LIST      bytes per transfer, e.g. 4K,1M,256M (default 16M);\n"
"                       capture: the frame, WxH (YUYV; default 640x480,1920x1080)\n"
"  -b, --bufsize LIST   bytes per request/send/segment (default 64K)\n"
"  -p, --path LIST      loop,nic for socket workloads (default loop,nic)\n"
"  -r, --reps N         timed repetitions (default 3)\n"
"      --warmup N       extra untimed runs before the counting run (default 0)\n"
"  -j, --json FILE      append one JSON line per configuration (- = stdout)\n"
"  -d, --dir DIR        where source files go (default $TMPDIR or /tmp)\n"
"      --storage-dir DIR  file system with O_DIRECT for storage (default --dir)\n"
"      --no-trace       no tracefs: no kprobe copy counts, no zcdev trace\n"
"                       events held against completions and DMA waits\n"
"      --no-claims      skip the claims table\n"
"      --default        the default set (also: no selection options)\n"
"      --smoke          every method once on tiny sizes (the kselftest)\n"
"  -q, --quiet          no progress on stderr\n"
"  -h, --help           this text\n"
"\n"
"The capture workload takes frames from vivid (the kernel's virtual V4L2\n"
"capture driver, found by VIDIOC_QUERYCAP) at its webcam's fastest rate, 30\n"
"frames a transfer, into a consumer that checksums each: mmap_memcpy (MMAP\n"
"buffers, memcpy to the consumer's memory), userptr_zcdev (USERPTR into zcdev\n"
"PAGES mappings), dmabuf_zcdev (DMABUF of zcdev exports). vivid's frames are\n"
"made identical (no OSD text, no movement), and every frame must match one\n"
"captured through MMAP; without vivid the methods are unavailable.\n"
"\n"
"example: zcbench run --workload file2sock --method sendfile,readwrite \\\n"
"             --size 1M,64M --reps 5 --path loop,nic --json out.jsonl\n"
"         zcbench run -w capture -s 640x480,1920x1080\n";

struct sel {
	const char *item[MAX_LIST];
	int n;
};

static int add_item(const char *s, void *arg)
{
	struct sel *l = arg;

	if (l->n >= MAX_LIST)
		zb_die("too many items in a list (max %d)", MAX_LIST);
	l->item[l->n++] = strdup(s);
	return 0;
}

static bool in_sel(const struct sel *l, const char *s)
{
	int i;

	if (!l->n)
		return true;
	for (i = 0; i < l->n; i++)
		if (!strcmp(l->item[i], s))
			return true;
	return false;
}

/* WxH: the bytes of a frame of the capture workload (ZB_FRAME_BPP a pixel). */
static int parse_frame(const char *s, uint64_t *out)
{
	unsigned int w, h;
	char end;

	if (sscanf(s, "%ux%u%c", &w, &h, &end) != 2 || !w || !h)
		return -EINVAL;
	*out = (uint64_t)w * h * ZB_FRAME_BPP;
	return 0;
}

static void parse_sizes(const char *list, uint64_t *out, int *n)
{
	struct sel l = { .n = 0 };
	int i;

	zb_split(list, add_item, &l);
	for (i = 0; i < l.n; i++)
		if ((parse_frame(l.item[i], &out[i]) &&
		     zc_parse_size(l.item[i], &out[i])) || !out[i])
			zb_die("bad size '%s'", l.item[i]);
	*n = l.n;
}

struct runner {
	struct harness_opts o;
	FILE *json;
	struct result *res;
	int nres;
	int total, done;
};

static int count_or_run(struct runner *rn, const struct plan *p, bool run)
{
	const struct method *const *all;
	struct sel wl = { .n = 0 }, me = { .n = 0 }, pa = { .n = 0 };
	uint64_t sizes[MAX_LIST], bufs[MAX_LIST];
	int nsz, nbuf, nm, i, s, b, q, count = 0;

	if (p->workloads)
		zb_split(p->workloads, add_item, &wl);
	if (p->methods)
		zb_split(p->methods, add_item, &me);
	zb_split(p->paths ? p->paths : "loop,nic", add_item, &pa);
	parse_sizes(p->bufsizes ? p->bufsizes : "64K", bufs, &nbuf);
	all = zb_methods(&nm);
	for (i = 0; i < nm; i++) {
		const struct method *m = all[i];
		const struct workload *w = zb_find_workload(m->workload);

		if (!in_sel(&wl, m->workload) || !in_sel(&me, m->name))
			continue;
		/* Without --size, the workload's own sizes (capture: frames). */
		parse_sizes(p->sizes ? p->sizes : w->sizes ? w->sizes : "16M",
			    sizes, &nsz);
		for (s = 0; s < nsz; s++)
			for (b = 0; b < nbuf; b++)
				for (q = 0; q < (w->sockets ? pa.n : 1); q++) {
					const char *path = w->sockets ? pa.item[q] : "local";
					char tag[128], sz[16], bs[16];
					struct result *r;

					count++;
					if (!run)
						continue;
					if (rn->nres >= MAX_RESULTS)
						zb_die("too many configurations");
					r = &rn->res[rn->nres++];
					snprintf(tag, sizeof(tag), "[%d/%d] %s %s %s bs %s %s",
						 ++rn->done, rn->total, m->workload, m->name,
						 zb_fmt_size(sizes[s], sz, sizeof(sz)),
						 zb_fmt_size(bufs[b], bs, sizeof(bs)), path);
					harness_run(&rn->o, m, sizes[s], bufs[b], path, r, tag);
					if (!rn->o.quiet) {
						if (!strcmp(r->status, "ok"))
							fprintf(stderr, "%s: %.1f MB/s\n", tag, r->mbps);
						else
							fprintf(stderr, "%s: %s: %s\n", tag,
								r->status, r->reason);
					}
					if (rn->json)
						out_json(rn->json, r);
				}
	}
	return count;
}

/* Checks that every name on the command line means something. */
static void check_names(const struct sel *wl, const struct sel *me)
{
	const struct method *const *all;
	int i, j, n;

	for (i = 0; i < wl->n; i++)
		if (!zb_find_workload(wl->item[i]))
			zb_die("unknown workload '%s' (zcbench list)", wl->item[i]);
	all = zb_methods(&n);
	for (i = 0; i < me->n; i++) {
		bool found = false;

		for (j = 0; j < n && !found; j++)
			found = !strcmp(all[j]->name, me->item[i]) &&
				in_sel(wl, all[j]->workload);
		if (!found)
			zb_die("unknown method '%s' for the chosen workloads (zcbench list)",
			       me->item[i]);
	}
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "workload", required_argument, NULL, 'w' },
		{ "method", required_argument, NULL, 'm' },
		{ "size", required_argument, NULL, 's' },
		{ "bufsize", required_argument, NULL, 'b' },
		{ "path", required_argument, NULL, 'p' },
		{ "reps", required_argument, NULL, 'r' },
		{ "warmup", required_argument, NULL, 'W' },
		{ "json", required_argument, NULL, 'j' },
		{ "dir", required_argument, NULL, 'd' },
		{ "storage-dir", required_argument, NULL, 'S' },
		{ "no-trace", no_argument, NULL, 'T' },
		{ "no-claims", no_argument, NULL, 'C' },
		{ "default", no_argument, NULL, 'D' },
		{ "smoke", no_argument, NULL, 'K' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct plan user = { 0 };
	const struct plan *plans = default_plan;
	int nplans = sizeof(default_plan) / sizeof(default_plan[0]);
	struct runner rn = { 0 };
	struct sel wl = { .n = 0 }, me = { .n = 0 };
	const char *json = NULL, *tmp = getenv("TMPDIR");
	bool custom = false, smoke = false, claims = true;
	uint64_t v;
	int c, i, fails = 0;

	rn.o.reps = 3;
	rn.o.trace = true;
	rn.o.dir = tmp && *tmp ? tmp : "/tmp";
	while ((c = getopt_long(argc, argv, "w:m:s:b:p:r:j:d:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'w': user.workloads = optarg; custom = true; break;
		case 'm': user.methods = optarg; custom = true; break;
		case 's': user.sizes = optarg; custom = true; break;
		case 'b': user.bufsizes = optarg; custom = true; break;
		case 'p': user.paths = optarg; custom = true; break;
		case 'r':
		case 'W':
			if (zc_parse_u64(optarg, &v) || v > ZB_MAX_REPS - 2 ||
			    (c == 'r' && !v))
				zb_die("bad count '%s'", optarg);
			*(c == 'r' ? &rn.o.reps : &rn.o.warmup) = (int)v;
			break;
		case 'j': json = optarg; break;
		case 'd': rn.o.dir = optarg; break;
		case 'S': rn.o.sdir = optarg; break;
		case 'T': rn.o.trace = false; break;
		case 'C': claims = false; break;
		case 'D': break;
		case 'K': smoke = true; break;
		case 'q': rn.o.quiet = true; break;
		case 'h': fputs(help, stdout); return 0;
		default: fputs(help, stderr); return 2;
		}
	}
	if (optind < argc)
		zb_die("unexpected argument '%s' (see zcbench run --help)", argv[optind]);
	if (!rn.o.sdir)
		rn.o.sdir = rn.o.dir;
	if (user.workloads)
		zb_split(user.workloads, add_item, &wl);
	if (user.methods)
		zb_split(user.methods, add_item, &me);
	check_names(&wl, &me);
	if (smoke) {
		plans = smoke_plan;
		nplans = sizeof(smoke_plan) / sizeof(smoke_plan[0]);
		rn.o.reps = 1;
	}
	if (custom) {
		plans = &user;
		nplans = 1;
	}
	if (json) {
		rn.json = strcmp(json, "-") ? fopen(json, "ae") : stdout;
		if (!rn.json)
			zb_die("cannot open %s: %s", json, strerror(errno));
	}
	/* A receiver that goes away must fail a send, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	env_detect(&rn.o.env);
	rn.o.ceiling = env_memcpy_mbps();
	if (!rn.o.quiet)
		zb_log("%s, %s, %d CPUs, %llu MiB, accel %s; memcpy ceiling %.0f MB/s; host load %.1f",
		       rn.o.env.where, rn.o.env.kernel, rn.o.env.cpus,
		       (unsigned long long)rn.o.env.mem_mb, rn.o.env.accel,
		       rn.o.ceiling, rn.o.env.host_load);
	rn.res = calloc(MAX_RESULTS, sizeof(*rn.res));
	if (!rn.res)
		zb_die("out of memory");
	for (i = 0; i < nplans; i++)
		rn.total += count_or_run(&rn, &plans[i], false);
	for (i = 0; i < nplans; i++)
		count_or_run(&rn, &plans[i], true);

	/* With --json - the table would interleave with the JSON: stderr. */
	out_table(json && !strcmp(json, "-") ? stderr : stdout, rn.res, rn.nres,
		  "zcbench results");
	if (claims && !custom)
		claims_table(json && !strcmp(json, "-") ? stderr : stdout,
			     rn.res, rn.nres);
	for (i = 0; i < rn.nres; i++)
		fails += !strcmp(rn.res[i].status, "fail");
	if (fails)
		zb_log("%d configuration(s) FAILED (wrong data or errors): see the table", fails);
	if (rn.json && rn.json != stdout)
		fclose(rn.json);
	trace_cleanup();
	net_cleanup();
	free(rn.res);
	return fails ? 1 : 0;
}
