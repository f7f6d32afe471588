// SPDX-License-Identifier: GPL-2.0
/*
 * zcctl info: what the loaded module is and allows. The limits are module
 * parameters, so this is the first thing to look at when an alloc fails.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "zcctl.h"

static const char help[] =
"usage: zcctl info\n"
"\n"
"Print the module's ABI version, its buffer limits (module parameters),\n"
"the bytes held by this open file and by all files, and the features the\n"
"module was built with.\n";

static const struct {
	uint64_t bit;
	const char *name;
} features[] = {
	{ ZCDEV_FEAT_COHERENT, "coherent" },
	{ ZCDEV_FEAT_PAGES, "pages" },
	{ ZCDEV_FEAT_DMA, "dma" },
	{ ZCDEV_FEAT_SEND, "send" },
	{ ZCDEV_FEAT_DMABUF, "dmabuf" },
	{ ZCDEV_FEAT_SEND_COALESCE, "send_coalesce" },
};

static void print_size(const char *name, uint64_t v)
{
	char s[ZC_FMT_SIZE_LEN];

	printf("%-20s %" PRIu64 " (%s)\n", name, v, zc_fmt_size(v, s, sizeof(s)));
}

static void print_features(uint64_t f)
{
	uint64_t known = 0;
	size_t i;

	printf("%-20s", "features");
	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		known |= features[i].bit;
		if (f & features[i].bit)
			printf(" %s", features[i].name);
	}
	/* A newer module may offer more than this zcctl can name. */
	if (f & ~known)
		printf(" unknown:0x%" PRIx64, f & ~known);
	printf(" (0x%" PRIx64 ")\n", f);
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct zcdev_info in;
	int c, fd, ret;

	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return ZCCTL_OK;
		}
		return zcctl_bad_option("info", c, argv);
	}
	if (optind < argc)
		return zcctl_usage("info", "unexpected argument '%s'", argv[optind]);

	fd = zcctl_open("info");
	if (fd < 0)
		return ZCCTL_FAIL;
	ret = zc_info(fd, &in);
	close(fd);
	if (ret == -ENOTTY) {
		zcctl_error("info", ret, "%s is not a zcdev device", zc_dev_path());
		return ZCCTL_FAIL;
	}
	if (ret) {
		zcctl_error("info", ret, NULL);
		return ZCCTL_FAIL;
	}
	printf("%-20s %s\n", "device", zc_dev_path());
	printf("%-20s %u%s\n", "abi_version", in.abi_version,
	       in.abi_version == ZCDEV_ABI_VERSION ? "" :
	       " (zcctl was built for " ZCCTL_STR(ZCDEV_ABI_VERSION) ")");
	printf("%-20s %u\n", "page_size", in.page_size);
	print_size("max_buf_bytes", in.max_buf_bytes);
	print_size("max_coherent_bytes", in.max_coherent_bytes);
	print_size("max_file_bytes", in.max_file_bytes);
	print_size("max_total_bytes", in.max_total_bytes);
	/* A fresh fd holds nothing; the interesting number is the total. */
	print_size("file_bytes", in.file_bytes);
	print_size("total_bytes", in.total_bytes);
	print_features(in.features);
	return ZCCTL_OK;
}
