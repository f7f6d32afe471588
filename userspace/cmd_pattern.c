// SPDX-License-Identifier: GPL-2.0
/*
 * zcctl pattern: the test pattern as a byte stream, so shell pipelines
 * (dd into or out of fd 3 under 'zcctl exec') can produce and check the
 * same data zcctl fills and verifies through mappings. Needs no device.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "zcctl.h"

static const char help[] =
"usage: zcctl pattern --seed SEED --size SIZE [--offset OFF]\n"
"       zcctl pattern --check --seed SEED --size SIZE [--offset OFF]\n"
"\n"
"Write SIZE bytes of the test pattern of SEED to stdout, as found at\n"
"buffer offsets OFF .. OFF+SIZE-1 (default OFF 0); with --check read SIZE\n"
"bytes from stdin instead and compare them, naming the first mismatching\n"
"buffer offset. Bytes after SIZE on stdin are not read.\n"
"\n"
"  -S, --seed SEED     decimal or 0x-hex\n"
"  -s, --size SIZE     bytes; K, M, G suffixes (K = 1024)\n"
"  -o, --offset OFF    buffer offset of the first byte\n"
"  -c, --check         compare stdin instead of writing stdout\n";

#define CHUNK	(64 * 1024)

static int emit(uint64_t seed, uint64_t off, uint64_t size)
{
	static unsigned char buf[CHUNK];
	uint64_t done;
	ssize_t written;

	for (done = 0; done < size; done += CHUNK) {
		size_t n = size - done < CHUNK ? size - done : CHUNK;

		zc_pattern_fill(buf, n, seed, off + done);
		written = zc_write_full(STDOUT_FILENO, buf, n);
		if (written != (ssize_t)n) {
			int err = written < 0 ? (int)written : -EIO;

			zcctl_error("pattern", err, "stdout: %s", strerror(-err));
			return ZCCTL_FAIL;
		}
	}
	return ZCCTL_OK;
}

static int check(uint64_t seed, uint64_t off, uint64_t size)
{
	static unsigned char buf[CHUNK];
	uint64_t done, bad;

	for (done = 0; done < size; done += CHUNK) {
		size_t want = size - done < CHUNK ? size - done : CHUNK;
		/* Pipes hand over data in pieces; a piece is not the end. */
		ssize_t n = zc_read_full(STDIN_FILENO, buf, want);

		if (n < 0) {
			zcctl_error("pattern", n, "stdin: %s", strerror(-n));
			return ZCCTL_FAIL;
		}
		if (zc_pattern_verify(buf, n, seed, off + done, &bad)) {
			zcctl_mismatch("pattern", buf, off + done, bad, seed);
			return ZCCTL_FAIL;
		}
		if ((size_t)n < want) {
			zcctl_error("pattern", -ENODATA, "stdin ended after %" PRIu64
				    " of %" PRIu64 " bytes (all matched)",
				    done + n, size);
			return ZCCTL_FAIL;
		}
	}
	fprintf(stderr, "zcctl: pattern: %" PRIu64 " bytes match seed %" PRIu64
		"\n", size, seed);
	return ZCCTL_OK;
}

int cmd_pattern(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 'S' },
		{ "size", required_argument, NULL, 's' },
		{ "offset", required_argument, NULL, 'o' },
		{ "check", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t seed = 0, size = 0, off = 0;
	int c, ret, have_seed = 0, have_size = 0, do_check = 0;

	while ((c = getopt_long(argc, argv, "+:S:s:o:ch", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			if ((ret = zcctl_opt_u64("pattern", "--seed", optarg, &seed)))
				return ret;
			have_seed = 1;
			break;
		case 's':
			if ((ret = zcctl_opt_size("pattern", "--size", optarg, &size)))
				return ret;
			have_size = 1;
			break;
		case 'o':
			if ((ret = zcctl_opt_size("pattern", "--offset", optarg, &off)))
				return ret;
			break;
		case 'c':
			do_check = 1;
			break;
		case 'h':
			fputs(help, stdout);
			return ZCCTL_OK;
		default:
			return zcctl_bad_option("pattern", c, argv);
		}
	}
	if (optind < argc)
		return zcctl_usage("pattern", "unexpected argument '%s'", argv[optind]);
	if (!have_seed || !have_size)
		return zcctl_usage("pattern", "--seed and --size are required");
	if (off + size < off)
		return zcctl_usage("pattern", "--offset + --size overflows");
	return do_check ? check(seed, off, size) : emit(seed, off, size);
}
