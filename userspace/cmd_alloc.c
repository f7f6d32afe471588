// SPDX-License-Identifier: GPL-2.0
/*
 * zcctl alloc: allocate, describe, free. Its job is probing: which sizes
 * and kinds the module accepts, which errno each limit produces, and how
 * the module rounds and places buffers. --count walks into the per-file
 * limit in one open file.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "zcctl.h"

static const char help[] =
"usage: zcctl alloc --kind coherent|pages --size SIZE [--count N]\n"
"\n"
"Allocate N buffers (default 1) of SIZE in one open file of the device,\n"
"print each one's handle, rounded length, offset and number of DMA\n"
"segments, then free them all. Stops at the first failure and explains\n"
"which limit (see 'zcctl info') was hit.\n"
"\n"
"  -k, --kind KIND    coherent or pages\n"
"  -s, --size SIZE    bytes; K, M, G suffixes (K = 1024)\n"
"  -n, --count N      buffers to allocate, default 1\n";

/* Describes one freshly allocated buffer the way QUERY sees it. */
static int describe(int fd, unsigned int i, const struct zc_buf *b)
{
	char s[ZC_FMT_SIZE_LEN];
	struct zc_buf q;
	uint32_t nsegs;
	int ret;

	ret = zc_query(fd, b->handle, &q, &nsegs, NULL, 0);
	if (ret) {
		zcctl_buf_error("alloc", ret, "query", b->handle);
		return ret;
	}
	printf("buffer %u: handle %u, %s, len %" PRIu64 " (%s), offset 0x%" PRIx64
	       ", nr_segs %u\n", i, q.handle, zc_kind_name(q.kind), q.len,
	       zc_fmt_size(q.len, s, sizeof(s)), q.offset, nsegs);
	return 0;
}

static int alloc_n(int fd, uint32_t kind, uint64_t size, uint64_t count)
{
	char s[ZC_FMT_SIZE_LEN];
	struct zcdev_info in;
	struct zc_buf *bufs;
	uint64_t i, n = 0;
	int ret = 0;

	bufs = calloc(count, sizeof(*bufs));
	if (!bufs) {
		zcctl_error("alloc", -ENOMEM, NULL);
		return ZCCTL_FAIL;
	}
	for (i = 0; i < count && !ret; i++) {
		ret = zc_alloc(fd, kind, size, &bufs[i]);
		if (ret) {
			zcctl_alloc_error("alloc", fd, ret, kind, size);
			break;
		}
		n++;
		ret = describe(fd, i, &bufs[i]);
	}
	if (n && !zc_info(fd, &in))
		printf("file_bytes %" PRIu64 " (%s) in %" PRIu64 " buffer%s\n",
		       (uint64_t)in.file_bytes,
		       zc_fmt_size(in.file_bytes, s, sizeof(s)),
		       n, n == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		int err = zc_free(fd, bufs[i].handle);

		if (err) {
			zcctl_buf_error("alloc", err, "free", bufs[i].handle);
			ret = err;
		}
	}
	free(bufs);
	return ret ? ZCCTL_FAIL : ZCCTL_OK;
}

int cmd_alloc(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "size", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t size = 0, count = 1;
	int c, fd, ret, have_kind = 0, have_size = 0;
	uint32_t kind = 0;

	while ((c = getopt_long(argc, argv, "+:k:s:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if ((ret = zcctl_opt_kind("alloc", optarg, &kind)))
				return ret;
			have_kind = 1;
			break;
		case 's':
			if ((ret = zcctl_opt_size("alloc", "--size", optarg, &size)))
				return ret;
			have_size = 1;
			break;
		case 'n':
			if ((ret = zcctl_opt_u64("alloc", "--count", optarg, &count)))
				return ret;
			if (!count || count > 1000000)
				return zcctl_usage("alloc", "--count %s: 1 .. 1000000",
						   optarg);
			break;
		case 'h':
			fputs(help, stdout);
			return ZCCTL_OK;
		default:
			return zcctl_bad_option("alloc", c, argv);
		}
	}
	if (optind < argc)
		return zcctl_usage("alloc", "unexpected argument '%s'", argv[optind]);
	if (!have_kind || !have_size)
		return zcctl_usage("alloc", "--kind and --size are required");

	fd = zcctl_open("alloc");
	if (fd < 0)
		return ZCCTL_FAIL;
	ret = alloc_n(fd, kind, size, count);
	close(fd);
	return ret;
}
