// SPDX-License-Identifier: GPL-2.0
/*
 * zcctl - poke /dev/zcdev from a shell: limits, a guided demo, buffers
 * handed to ordinary tools, DMA transfers, zero-copy sends and their
 * receiver. One file per subcommand (cmd_*.c); this one only dispatches.
 */
#include <stdio.h>
#include <string.h>

#include "zcctl.h"

/* The order is the order of "zcctl --help". */
static const struct zcctl_cmd cmds[] = {
	{ "info", cmd_info, "module ABI version, limits, bytes in use, features" },
	{ "demo", cmd_demo, "allocate, map, fill, read, write, sync, free: step by step" },
	{ "exec", cmd_exec, "run a command with a buffer's device fd as fd 3" },
	{ "alloc", cmd_alloc, "allocate buffers, describe them, free them (probe limits)" },
	{ "pattern", cmd_pattern, "write or check the test pattern on stdout/stdin" },
	{ "dma", cmd_dma, "one dmaengine transfer, verified; per-channel DMA counters" },
	{ "send", cmd_send, "zero-copy send of a buffer to a socket, with its completions" },
	{ "recv", cmd_recv, "receive what 'send' sends and check it against the pattern" },
};

#define NR_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: zcctl <command> [options]   (zcctl <command> --help)\n\n"
		"commands:\n");
	for (i = 0; i < NR_CMDS; i++)
		fprintf(f, "  %-8s  %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\nThe device is %s (environment %s overrides it).\n"
		"Sizes take K, M, G suffixes (K = 1024). Exit: 0 ok, 1 failed, 2 usage.\n",
		ZC_DEV_PATH, ZC_DEV_ENV);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return ZCCTL_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		/* "zcctl help exec" is "zcctl exec --help". */
		if (argc > 2 && strcmp(argv[1], "help") == 0) {
			char *help_argv[] = { argv[2], "--help", NULL };

			for (i = 0; i < NR_CMDS; i++)
				if (!strcmp(argv[2], cmds[i].name))
					return cmds[i].run(2, help_argv);
			fprintf(stderr, "zcctl: no command '%s'\n\n", argv[2]);
			usage(stderr);
			return ZCCTL_USAGE;
		}
		usage(stdout);
		return ZCCTL_OK;
	}
	for (i = 0; i < NR_CMDS; i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "zcctl: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return ZCCTL_USAGE;
}
