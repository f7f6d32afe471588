// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench report: everything a person reads after `make run`, from the
 * JSON lines alone (so it can be redone on any machine later): the tables
 * of each environment, the VM vs native ratio table and the claims, plus
 * the data files the chart is drawn from.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zcbench.h"

static const char help[] =
"usage: zcbench report [options] FILE.jsonl...\n"
"\n"
"Reads JSON lines written by zcbench run --json (any number of files, e.g.\n"
"the VM's and the host's) and prints the results table of each environment,\n"
"the VM vs native ratio table and the claims with their verdicts.\n"
"Exit status: 0; 1 if any configuration failed; 2 on usage errors.\n"
"\n"
"  --plot-data DIR   also write DIR/plot-WORKLOAD.dat for gnuplot\n"
"  --no-claims       skip the claims\n"
"  -h, --help        this text\n";

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "plot-data", required_argument, NULL, 'P' },
		{ "no-claims", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *wheres[ZB_MAX_WHERES];
	struct result *res = NULL, *sub;
	const char *plot = NULL;
	bool claims = true;
	int c, i, w, n = 0, m, nwhere, fails = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'P': plot = optarg; break;
		case 'C': claims = false; break;
		case 'h': fputs(help, stdout); return 0;
		default: fputs(help, stderr); return 2;
		}
	}
	if (optind >= argc) {
		fputs(help, stderr);
		return 2;
	}
	for (i = optind; i < argc; i++) {
		int err = jsonl_load(argv[i], &res, &n);

		/* Junk lines were named and skipped; an unreadable file is fatal. */
		if (err && err != -EINVAL)
			zb_die("cannot read %s: %s", argv[i], strerror(-err));
	}
	if (!n)
		zb_die("no results in the files given");
	sub = calloc(n, sizeof(*sub));
	if (!sub)
		zb_die("out of memory");
	nwhere = zb_wheres(res, n, wheres);
	for (w = 0; w < nwhere; w++) {
		char title[200];

		for (i = m = 0; i < n; i++)
			if (!strcmp(res[i].where, wheres[w]))
				sub[m++] = res[i];
		if (!m)
			continue;
		snprintf(title, sizeof(title), "%s: %s, %s, %.0f CPUs, %.0f MiB%s",
			 wheres[w], sub[0].kernel, sub[0].accel, sub[0].cpus, sub[0].mem_mb,
			 !strcmp(wheres[w], "vm-icount") ?
			 " - QEMU instruction counting: timings deterministic (in-guest paths), copy counts exact" :
			 !strcmp(sub[0].accel, "tcg") ?
			 " - QEMU without KVM: timings emulated, copy counts exact" : "");
		out_table(stdout, sub, m, title);
	}
	if (plot && out_plot_data(plot, res, n))
		zb_log("cannot write plot data in %s", plot);
	out_compare(stdout, res, n);
	if (claims)
		claims_table(stdout, res, n);
	for (i = 0; i < n; i++)
		fails += !strcmp(res[i].status, "fail");
	free(sub);
	free(res);
	return fails ? 1 : 0;
}
