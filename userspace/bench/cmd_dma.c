// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench dma: a dmatest-style run of the zcdev DMA path, from userspace
 * (the workload itself is dmatest.c), next to the CPU copying the same
 * bytes between the same buffers in the same run, so the lines compare
 * directly.
 *
 * With --files N the workload then runs on N files at once, each an open
 * of /dev/zcdev with its own buffers in its own thread, as dmatest runs a
 * thread per channel. The module binds a file to the channel with the
 * fewest files at its first submit, so N files spread over min(N,
 * channels) channels, and the aggregate rate beside the 1-file rate of the
 * same run shows what the channels add. The channel counters before and
 * after each phase say where the transfers went, and the zcdev_dma_end
 * trace events of the run are held against the waits.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zcbench.h"

#define MAX_FILES	16
#define MAX_REPS	20

static const char help[] =
"usage: zcbench dma [options]\n"
"\n"
"dmatest from userspace: --iterations transfers through /dev/zcdev's DMA\n"
"channels, each of --size bytes in --segs segments at random offsets, up to\n"
"--depth in flight, each verified (copied bytes, source unchanged,\n"
"destination untouched around the copy); then the CPU memcpy()s the same\n"
"bytes between the same buffers. Prints one line each:\n"
"  dma: N tests, F failures, X iops, Y MB/s (1 file; ...)\n"
"  memcpy: N copies, X iops, Y MB/s\n"
"With --files N > 1, between the two: the same workload on N files at once,\n"
"each an open of /dev/zcdev with its own buffers, in its own thread:\n"
"  dma: N tests, F failures, X iops, Y MB/s (N files in parallel, xR the\n"
"       1-file rate; ...)\n"
"The module binds each file to the channel with the fewest files, so the\n"
"rate can grow up to the number of channels (and of CPUs, for a software\n"
"engine such as zcdma). Also printed: the channels zcdev uses, the files\n"
"and transfers each channel had in each phase (module-wide counters,\n"
"ZCDEV_IOC_DMA_STATS), and the zcdev_dma_end trace events of the run by\n"
"status, against what the waits said (\"agrees\", \"DISAGREES\", or why they\n"
"could not be counted: they need root and tracefs).\n"
"With --table: the engine zcdev's channels belong to, on coherent -> coherent,\n"
"pages -> pages and user -> user at 4K and 1M (each verified, then timed\n"
"unverified), each beside memcpy of the same bytes: MB/s, submitter CPU and\n"
"all-CPU seconds per GiB, engine time per transfer, iops; then the CPU's read\n"
"and write bandwidth through a COHERENT mapping, a PAGES mapping and malloc()\n"
"memory. zcdev uses one engine at a time (its dma_channel= parameter): --json\n"
"keeps the rows, --merge prints the rows of several runs as one table\n"
"(zcbench-engines.sh reloads zcdev for each engine and does that).\n"
"Exit status: 0; 1 if any test failed; 2 on usage errors; 3 if no DMA channel.\n"
"\n"
"  -n, --iterations N   transfers per file and phase (default 100)\n"
"  -s, --size SIZE      bytes per transfer (default 64K)\n"
"  -g, --segs N         segments per transfer, 1..1024 (default 1)\n"
"  -d, --depth N        transfers in flight per file, 1..64 (default 4; the\n"
"                       module allows dma_queue_depth)\n"
"  -f, --files N        also run N files in parallel, 1..16 (default 1)\n"
"      --reps R         rounds of (1 file, N files), alternating, 1..20\n"
"                       (default 1); with R > 1 a last line gives the median\n"
"                       ratio of the rounds and its range\n"
"      --src KIND       pages, coherent or user (default pages)\n"
"      --dst KIND       pages, coherent or user (default pages)\n"
"      --no-verify      skip the checks (pure throughput)\n"
"      --seed N         offsets' random seed (default 1)\n"
"      --table          the table above (--size, --segs, --src, --dst, --files\n"
"                       and --reps do not apply; --iterations default: 256 at\n"
"                       4K, 16 at 1M; --depth default 2: the ARM board has\n"
"                       16 MiB of CMA for COHERENT buffers)\n"
"      --merge          print the table of the --table --json FILEs given as\n"
"                       arguments, one table with every engine's rows\n"
"  -j, --json FILE      append a JSON line per phase and round (workload\n"
"                       dmatest, fields files and channels; see\n"
"                       zcbench help json; - = stdout)\n"
"  -h, --help           this text\n";

/* The command's options: the workload of every file, and what to run. */
struct cfg {
	struct dt_cfg dt;
	uint64_t files;
	uint64_t reps;
	const char *json;
	bool table, merge;
};

/**
 * struct phase - one phase, all its files together
 * @nfiles: files that ran at once
 * @tests: transfers
 * @failures: of them
 * @ns: from the first file's start to the last one's end
 * @cpu: CPU seconds of all the files' threads
 * @mbps: aggregate rate
 * @verified: every test's bytes were checked
 * @err: an ioctl failed (-errno): the phase is incomplete
 */
struct phase {
	int nfiles;
	uint64_t tests, failures, ns;
	double cpu, mbps;
	bool verified;
	int err;
};

static void phase_run(struct dt_file *files, int n, struct phase *ph)
{
	pthread_t th[MAX_FILES];
	pthread_barrier_t go;
	uint64_t t0 = UINT64_MAX, t1 = 0;
	int i;

	memset(ph, 0, sizeof(*ph));
	ph->nfiles = n;
	if (n == 1) {
		files[0].go = NULL;
		dt_file_run(&files[0]);
	} else {
		/* All start together: the aggregate rate is of true overlap. */
		pthread_barrier_init(&go, NULL, n);
		for (i = 0; i < n; i++) {
			files[i].go = &go;
			if (pthread_create(&th[i], NULL, dt_file_run, &files[i]))
				zb_die("pthread_create failed");
		}
		for (i = 0; i < n; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&go);
	}
	for (i = 0; i < n; i++) {
		const struct dt_file *f = &files[i];

		t0 = f->t0 < t0 ? f->t0 : t0;
		t1 = f->t1 > t1 ? f->t1 : t1;
		ph->tests += f->c->iters;
		ph->failures += f->failures;
		ph->cpu += f->cpu;
		if (f->err && !ph->err)
			ph->err = f->err;
	}
	ph->ns = t1 - t0;
	ph->verified = files[0].c->verify && !ph->err;
	ph->mbps = ph->tests * (double)files[0].c->size / 1e6 / (ph->ns / 1e9);
}

static void print_phase(const struct dt_cfg *c, const struct phase *ph,
			const struct phase *one)
{
	char sz[16], who[64];

	if (ph->nfiles == 1)
		snprintf(who, sizeof(who), "1 file");
	else
		snprintf(who, sizeof(who), "%d files in parallel, x%.2f the 1-file rate",
			 ph->nfiles, ph->mbps / one->mbps);
	printf("dma: %llu tests, %llu failures, %.0f iops, %.1f MB/s "
	       "(%s; %s -> %s, %s x %llu seg, depth %llu%s, %s; submitter CPU %.3f s)\n",
	       (unsigned long long)ph->tests, (unsigned long long)ph->failures,
	       ph->tests / (ph->ns / 1e9), ph->mbps, who,
	       region_kind_name(c->skind), region_kind_name(c->dkind),
	       zb_fmt_size(c->size, sz, sizeof(sz)), (unsigned long long)c->segs,
	       (unsigned long long)c->depth, ph->nfiles > 1 ? " each" : "",
	       c->verify ? "verified" : "not verified", ph->cpu);
}

/**
 * struct chans - the channels' counters at one moment
 * @st: module-wide
 * @c: per channel (malloc'd)
 * @n: elements at @c
 */
struct chans {
	struct zcdev_dma_stats st;
	struct zcdev_dma_chan_stats *c;
	uint32_t n;
};

static int chans_read(int zfd, struct chans *ch)
{
	free(ch->c);
	ch->c = NULL;
	ch->n = 0;
	return zc_dma_stats_all(zfd, &ch->st, &ch->c, &ch->n);
}

static void print_channels(int zfd, const struct chans *ch)
{
	struct dma_engine eng;
	uint32_t i;

	printf("dma: channels: zcdev uses %u (", ch->n);
	for (i = 0; i < ch->n; i++)
		printf("%s%.*s", i ? ", " : "", (int)sizeof(ch->c[i].name),
		       ch->c[i].name);
	printf(")");
	if (!dma_engine_get(zfd, &eng))
		printf(" of %s (engine %s)", eng.device, eng.driver);
	printf("\n");
}

/* Where a phase's transfers went: per channel, files bound and transfers. */
static void print_spread(const struct chans *before, const struct chans *after)
{
	uint32_t i;

	printf("dma:   by channel:");
	for (i = 0; i < after->n; i++) {
		uint64_t t = after->c[i].transfers -
			     (i < before->n ? before->c[i].transfers : 0);

		printf("%s %.*s %u file%s, %llu transfers", i ? ";" : "",
		       (int)sizeof(after->c[i].name), after->c[i].name,
		       after->c[i].files, after->c[i].files == 1 ? "" : "s",
		       (unsigned long long)t);
	}
	printf("\n");
}

/* The same bytes by the CPU, between file 0's mappings. */
static void memcpy_phase(struct dt_file *f, struct phase *ph)
{
	const struct dt_cfg *c = f->c;

	memset(ph, 0, sizeof(*ph));
	ph->nfiles = 1;
	ph->tests = c->iters;
	ph->ns = dt_memcpy(f, &ph->cpu);
	ph->mbps = c->iters * (double)c->size / 1e6 / (ph->ns / 1e9);
	printf("memcpy: %llu copies, %.0f iops, %.1f MB/s (same buffers; CPU %.3f s)\n",
	       (unsigned long long)c->iters, c->iters / (ph->ns / 1e9), ph->mbps,
	       ph->cpu);
}

/* One JSON line of the run's schema, workload "dmatest". */
static void json_phase(FILE *jf, const struct zb_env *env, const struct dt_cfg *c,
		       const char *method, const struct phase *ph,
		       double channels, const char *note)
{
	struct result res;

	result_init(&res, env);
	snprintf(res.workload, sizeof(res.workload), "dmatest");
	snprintf(res.method, sizeof(res.method), "%s", method);
	snprintf(res.path, sizeof(res.path), "local");
	snprintf(res.source, sizeof(res.source), "%s -> %s",
		 region_kind_name(c->skind), region_kind_name(c->dkind));
	res.size = c->size;
	res.bufsize = c->size / c->segs;
	snprintf(res.status, sizeof(res.status), "%s",
		 ph->err || ph->failures ? "fail" : "ok");
	if (ph->err)
		snprintf(res.reason, sizeof(res.reason), "an ioctl failed: %s",
			 zc_errname(ph->err));
	else if (ph->failures)
		snprintf(res.reason, sizeof(res.reason), "%llu tests failed",
			 (unsigned long long)ph->failures);
	res.reps = 1;
	res.mbps = ph->mbps;
	res.secs = ph->ns / 1e9;
	res.tests = ph->tests;
	res.failures = ph->failures;
	res.iops = ph->tests / res.secs;
	res.verified = ph->verified && !ph->failures;
	res.files = ph->nfiles;
	res.channels = channels;
	if (note)
		snprintf(res.events_note, sizeof(res.events_note), "%s", note);
	out_json(jf, &res);
}

static int parse_opts(int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = {
		{ "iterations", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "segs", required_argument, NULL, 'g' },
		{ "depth", required_argument, NULL, 'd' },
		{ "files", required_argument, NULL, 'f' },
		{ "reps", required_argument, NULL, 'R' },
		{ "src", required_argument, NULL, 'S' },
		{ "dst", required_argument, NULL, 'D' },
		{ "no-verify", no_argument, NULL, 'V' },
		{ "seed", required_argument, NULL, 'r' },
		{ "json", required_argument, NULL, 'j' },
		{ "table", no_argument, NULL, 'T' },
		{ "merge", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct dt_cfg *dt = &c->dt;
	bool iters_given = false, depth_given = false;
	int o;

	*c = (struct cfg){ .files = 1, .reps = 1 };
	*dt = (struct dt_cfg){ .iters = 100, .size = 64 * 1024, .segs = 1,
			       .depth = 4, .seed = 1, .skind = ZCDEV_BUF_PAGES,
			       .dkind = ZCDEV_BUF_PAGES, .verify = true };
	while ((o = getopt_long(argc, argv, "n:s:g:d:f:j:h", opts, NULL)) != -1) {
		int err = 0;

		switch (o) {
		case 'n': err = zc_parse_u64(optarg, &dt->iters); iters_given = true; break;
		case 's': err = zc_parse_size(optarg, &dt->size); break;
		case 'g': err = zc_parse_u64(optarg, &dt->segs); break;
		case 'd': err = zc_parse_u64(optarg, &dt->depth); depth_given = true; break;
		case 'f': err = zc_parse_u64(optarg, &c->files); break;
		case 'R': err = zc_parse_u64(optarg, &c->reps); break;
		case 'r': err = zc_parse_u64(optarg, &dt->seed); break;
		case 'S': err = region_kind(optarg, &dt->skind); break;
		case 'D': err = region_kind(optarg, &dt->dkind); break;
		case 'V': dt->verify = false; break;
		case 'j': c->json = optarg; break;
		case 'T': c->table = true; break;
		case 'M': c->merge = true; break;
		case 'h': fputs(help, stdout); exit(0);
		default: fputs(help, stderr); return 2;
		}
		if (err) {
			zb_log("bad value '%s' (see zcbench dma --help)", optarg);
			return 2;
		}
	}
	if (c->merge && (optind >= argc || c->table)) {
		zb_log("--merge takes the JSON files of --table runs (see zcbench dma --help)");
		return 2;
	}
	if (c->merge)
		return 0;
	if (optind < argc || !dt->iters || !dt->size || !dt->segs ||
	    dt->segs > ZCDEV_DMA_MAX_SEGS || dt->segs > dt->size ||
	    !dt->depth || dt->depth > DT_MAX_DEPTH || !c->files ||
	    c->files > MAX_FILES || !c->reps || c->reps > MAX_REPS) {
		zb_log("bad arguments (see zcbench dma --help)");
		return 2;
	}
	dt->seed |= 1;
	if (c->table) {
		dt->iters = iters_given ? dt->iters : 0;	/* 0: per size */
		dt->depth = depth_given ? dt->depth : 2;
	}
	return 0;
}

/* The zcdev_dma_end events of the run against what all the waits said. */
static bool trace_verdict(const struct zev_counts *traced,
			  const struct dt_file *files, int n, char *note,
			  size_t len)
{
	struct zev_counts seen = { .events = ZEV_DMA_END };
	int i, s;
	bool agree;

	for (i = 0; i < n; i++) {
		for (s = 0; s <= ZCDEV_DMA_CANCELLED; s++)
			seen.dma[s] += files[i].seen.dma[s];
		seen.dma_bytes += files[i].seen.dma_bytes;
	}
	agree = zev_compare(traced, &seen, note, len);
	printf("dma: trace: %s\n", note);
	if (!agree && traced->avail)
		zb_log("the zcdev_dma_end events disagree with the waits");
	return agree;
}

/*
 * One round: file 0 alone, then every file at once, each phase followed by
 * where its transfers went. @many is left zeroed without --files.
 */
static void round_run(const struct cfg *c, struct dt_file *files,
		      struct phase *one, struct phase *many)
{
	/* Channel counters before, after 1 file, after N files. */
	struct chans before = { 0 }, after_one = { 0 }, after_many = { 0 };
	int err = chans_read(files[0].zfd, &before);

	memset(many, 0, sizeof(*many));
	phase_run(files, 1, one);
	print_phase(&c->dt, one, one);
	if (!err && !chans_read(files[0].zfd, &after_one))
		print_spread(&before, &after_one);
	if (c->files > 1 && !one->err) {
		phase_run(files, (int)c->files, many);
		print_phase(&c->dt, many, one);
		if (!err && !chans_read(files[0].zfd, &after_many))
			print_spread(&after_one, &after_many);
	}
	free(before.c);
	free(after_one.c);
	free(after_many.c);
}

/* Rounds alternate, so a host that slows down mid-run skews both sides. */
static void print_rounds(const struct cfg *c, const struct phase *one,
			 const struct phase *many, int rounds)
{
	double r1[MAX_REPS], rn[MAX_REPS], x[MAX_REPS];
	int i;

	for (i = 0; i < rounds; i++) {
		r1[i] = one[i].mbps;
		rn[i] = many[i].mbps;
		x[i] = rn[i] / r1[i];
	}
	printf("dma: %llu files in parallel over %d rounds: x%.2f the 1-file rate "
	       "(median; x%.2f-x%.2f), %.1f MB/s vs %.1f MB/s (medians)\n",
	       (unsigned long long)c->files, rounds, st_median(x, rounds),
	       st_min(x, rounds), st_max(x, rounds), st_median(rn, rounds),
	       st_median(r1, rounds));
}

/* The rounds, on files already set up; 0, or 1 if any test failed. */
static int run_phases(const struct cfg *c, struct dt_file *files, FILE *jf)
{
	struct phase one[MAX_REPS], many[MAX_REPS], mc;
	bool parallel = c->files > 1, failed = false;
	struct zev_counts traced;
	struct chans chans = { 0 };
	struct zb_env env;
	char note[200];
	int err, r, rounds = 0;

	err = chans_read(files[0].zfd, &chans);
	if (err) {
		zb_log("ZCDEV_IOC_DMA_STATS: %s", zc_errname(err));
		return 1;
	}
	print_channels(files[0].zfd, &chans);
	zev_start(ZEV_DMA_END, &traced);
	while (rounds < (int)c->reps && !failed) {
		round_run(c, files, &one[rounds], &many[rounds]);
		failed = one[rounds].err || one[rounds].failures ||
			 many[rounds].err || many[rounds].failures;
		rounds++;
	}
	if (parallel && rounds > 1 && !failed)
		print_rounds(c, one, many, rounds);
	zev_stop(&traced);
	trace_verdict(&traced, files, (int)c->files, note, sizeof(note));

	memcpy_phase(&files[0], &mc);
	if (jf) {
		env_detect(&env);
		for (r = 0; r < rounds; r++) {
			json_phase(jf, &env, &c->dt, "dma", &one[r], chans.n, note);
			if (many[r].nfiles)
				json_phase(jf, &env, &c->dt, "dma", &many[r],
					   chans.n, note);
		}
		json_phase(jf, &env, &c->dt, "memcpy", &mc, NAN, NULL);
	}
	free(chans.c);
	return failed ? 1 : 0;
}

int cmd_dma(int argc, char **argv)
{
	struct dt_file *files;
	struct zcdev_info info;
	struct cfg c;
	FILE *jf = NULL;
	int err, ret = 1;
	uint64_t i;

	err = parse_opts(argc, argv, &c);
	if (err)
		return err;
	if (c.merge)
		return dma_table_merge(argv + optind, argc - optind);
	if (c.table) {
		if (c.json) {
			jf = strcmp(c.json, "-") ? fopen(c.json, "ae") : stdout;
			if (!jf) {
				zb_log("cannot open %s: %s", c.json, strerror(errno));
				return 1;
			}
		}
		ret = dma_table_run(&c.dt, jf);
		if (jf && jf != stdout)
			fclose(jf);
		return ret;
	}
	files = calloc(c.files, sizeof(*files));
	if (!files)
		zb_die("out of memory");
	for (i = 0; i < c.files; i++)
		files[i].zfd = -1;
	err = dt_file_setup(&files[0], &c.dt, 0);
	if (files[0].zfd < 0) {
		zb_log("%s: %s (module not loaded)", zc_dev_path(), strerror(-err));
		ret = 3;
		goto out;
	}
	if (zc_info(files[0].zfd, &info) || !(info.features & ZCDEV_FEAT_DMA)) {
		zb_log("the module holds no DMA_MEMCPY channel (load zcdma.ko?)");
		ret = 3;
		goto out;
	}
	for (i = 1; i < c.files && !err; i++)
		err = dt_file_setup(&files[i], &c.dt, (int)i);
	if (err) {
		zb_log("file %llu: buffers (%s -> %s, %zu bytes, %llu pairs): %s",
		       (unsigned long long)i - 1, region_kind_name(c.dt.skind),
		       region_kind_name(c.dt.dkind), dt_buf_len(&c.dt),
		       (unsigned long long)c.dt.depth, zc_errname(err));
		goto out;
	}
	if (c.json) {
		jf = strcmp(c.json, "-") ? fopen(c.json, "ae") : stdout;
		if (!jf) {
			zb_log("cannot open %s: %s", c.json, strerror(errno));
			goto out;
		}
	}
	ret = run_phases(&c, files, jf);
out:
	if (jf && jf != stdout)
		fclose(jf);
	for (i = 0; i < c.files; i++)
		dt_file_release(&files[i]);
	free(files);
	return ret;
}
