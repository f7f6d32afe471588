// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: which DMA engine moved the bytes. zcdev names its channels
 * (ZCDEV_IOC_DMA_STATS); sysfs says whose they are: /sys/class/dma/CHAN/
 * device is the DMA device, and its driver link the driver (zcdma for the
 * project's software engine, dma-pl330 for the ARM board's controller).
 * All of zcdev's channels belong to one device (module/dma.c), so the
 * first channel speaks for all.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zcbench.h"

/* The last component of what @path links to, or "unknown". */
static void link_name(const char *path, char *out, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	if (n <= 0) {
		snprintf(out, len, "unknown");
		return;
	}
	target[n] = '\0';
	snprintf(out, len, "%s", basename(target));
}

int dma_engine_get(int zfd, struct dma_engine *e)
{
	struct zcdev_dma_chan_stats *c = NULL;
	struct zcdev_dma_stats st;
	char path[PATH_MAX];
	uint32_t i, n = 0;
	size_t used = 0;
	int err;

	memset(e, 0, sizeof(*e));
	err = zc_dma_stats_all(zfd, &st, &c, &n);
	if (err)
		return err;
	if (!n) {
		free(c);
		return -ENODEV;
	}
	for (i = 0; i < n; i++)
		used += snprintf(e->chans + used, used < sizeof(e->chans) ?
				 sizeof(e->chans) - used : 0, "%s%.*s",
				 i ? "," : "", (int)sizeof(c[i].name), c[i].name);
	e->nchans = n;
	snprintf(path, sizeof(path), "/sys/class/dma/%.*s/device",
		 (int)sizeof(c[0].name), c[0].name);
	link_name(path, e->device, sizeof(e->device));
	snprintf(path, sizeof(path), "/sys/class/dma/%.*s/device/driver",
		 (int)sizeof(c[0].name), c[0].name);
	link_name(path, e->driver, sizeof(e->driver));
	free(c);
	return 0;
}
