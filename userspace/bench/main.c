// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: entry point and subcommand dispatch. Each subcommand has its
 * own --help; this one lists them and the methods.
 */
#include <stdio.h>
#include <string.h>

#include "zcbench.h"

static const char help[] =
"usage: zcbench COMMAND [options]     (zcbench COMMAND --help for each)\n"
"\n"
"Measures data-movement techniques side by side: throughput, CPU per GiB,\n"
"system calls, context switches and page faults per GiB, bytes the CPU\n"
"copied per byte delivered (kprobe counts, not guesses), and the zero-copy\n"
"share reported by completions, with the single-core memcpy bandwidth of\n"
"the same run as the ceiling.\n"
"\n"
"commands:\n"
"  run       run the default set or any subset; tables, claims, JSON lines\n"
"  dma       dmatest-style zcdev DMA run, next to a CPU memcpy of the same bytes;\n"
"            --files N: N files in parallel, spread over the DMA channels\n"
"  report    tables, VM vs native ratios and claims from JSON lines files\n"
"  peers     the zero-copy send peers next to the kernel's msg_zerocopy and\n"
"            io_uring_zerocopy_tx, same boot, path and bytes per send\n"
"  sendloop  msg_zerocopy.c's sender loop with ZCDEV_IOC_SEND (peers runs it)\n"
"  list      workloads and methods, with what each needs\n"
"  help json the JSON lines schema (help COMMAND: that command's --help)\n"
"\n"
"Timings under QEMU without KVM are emulated: kernel user-copies are far\n"
"slower there than on hardware, so timing ratios exaggerate zero-copy gains.\n"
"The copy counts do not depend on that; lean on them.\n";

static void needs_str(unsigned int n, char *buf, size_t len)
{
	static const struct { unsigned int bit; const char *s; } names[] = {
		{ NEED_SOCK, "socket" }, { NEED_ZCDEV, "zcdev" },
		{ NEED_ZC_SEND, "zcdev-send" }, { NEED_ZC_DMA, "zcdev-dma" },
		{ NEED_URING, "io_uring" }, { NEED_ODIRECT, "O_DIRECT" },
		{ NEED_COLD, "droppable cache" },
		{ NEED_VIVID, "vivid" },
	};
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (n & names[i].bit)
			o += snprintf(buf + o, o < len ? len - o : 0, "%s%s",
				      o ? "," : "", names[i].s);
	if (!o)
		snprintf(buf, len, "-");
}

int cmd_list(int argc, char **argv)
{
	const struct method *const *all;
	char needs[96];
	int n, i, w;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts("usage: zcbench list\n\nWorkloads, their baseline, and every method with what it needs.");
		return 0;
	}
	all = zb_methods(&n);
	for (w = 0; w < zb_nworkloads; w++) {
		printf("%s: %s\n  baseline %s%s\n", zb_workloads[w].name,
		       zb_workloads[w].desc, zb_workloads[w].baseline,
		       zb_workloads[w].sockets ? "; paths loop, nic" : "");
		for (i = 0; i < n; i++) {
			if (strcmp(all[i]->workload, zb_workloads[w].name))
				continue;
			needs_str(all[i]->needs, needs, sizeof(needs));
			printf("  %-20s %s\n  %-20s   [source: %s; needs: %s]\n",
			       all[i]->name, all[i]->desc, "", all[i]->source, needs);
		}
	}
	return 0;
}

static int help_json(void)
{
	int i;

	printf("One JSON object per line, one line per configuration (method x size x\n"
	       "bufsize x path); \"schema\":\"%s\". Fields:\n", ZB_SCHEMA);
	for (i = 0; i < zb_nfields; i++)
		printf("  %-18s %-6s %s\n", zb_fields[i].name,
		       zb_fields[i].type == F_STR ? "string" : "number",
		       zb_fields[i].doc);
	printf("Numbers that were not measured are null, never 0.\n");
	return 0;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} cmds[] = {
	{ "run", cmd_run },
	{ "dma", cmd_dma },
	{ "report", cmd_report },
	{ "list", cmd_list },
	{ "peers", cmd_peers },
	{ "sendloop", cmd_sendloop },
};

#define NR_CMDS	(sizeof(cmds) / sizeof(cmds[0]))

/* "zcbench help run" is "zcbench run --help". */
static int help_cmd(const char *name)
{
	char *argv[] = { (char *)name, "--help", NULL };
	size_t i;

	if (!strcmp(name, "json"))
		return help_json();
	for (i = 0; i < NR_CMDS; i++)
		if (!strcmp(name, cmds[i].name))
			return cmds[i].run(2, argv);
	fprintf(stderr, "zcbench: no command '%s'\n\n%s", name, help);
	return 2;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		fputs(help, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(help, stdout);
		printf("\nrun: sizes and bufsizes take K/M/G suffixes (e.g. --size 4K,1M,256M),\n"
		       "the capture workload's sizes are frames, WxH (e.g. --size 640x480,1920x1080);\n"
		       "--reps N timed repetitions (default 3) after one counting run;\n"
		       "see zcbench run --help. Workloads and methods:\n\n");
		return cmd_list(1, argv);
	}
	if (!strcmp(argv[1], "help")) {
		if (argc > 2)
			return help_cmd(argv[2]);
		fputs(help, stdout);
		return 0;
	}
	for (i = 0; i < NR_CMDS; i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "zcbench: unknown command '%s'\n\n%s", argv[1], help);
	return 2;
}
