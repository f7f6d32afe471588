// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: the registry of workloads and methods. A method belongs to one
 * workload; names repeat across workloads (readwrite is the baseline of
 * two), so a method is found by (workload, name).
 */
#include <string.h>

#include "zcbench.h"

const struct workload zb_workloads[] = {
	{
		.name = "file2sock",
		.desc = "file in the page cache -> TCP socket (web server, broker)",
		.baseline = "readwrite",
		.sockets = true,
	},
	{
		.name = "fanout",
		.desc = "one file -> two TCP consumers: tee a pipe vs read twice",
		.baseline = "readtwice",
		.sockets = true,
	},
	{
		.name = "file2file",
		.desc = "file -> file on the same file system",
		.baseline = "readwrite",
	},
	{
		.name = "storage",
		.desc = "file <-> memory: buffered vs O_DIRECT, cold vs warm, io_uring",
		.baseline = "read",
		.source_in_sdir = true,
		.source_env = "ZCBENCH_STORAGE",
	},
	{
		.name = "dma",
		.desc = "memory -> memory: zcdev DMA vs the CPU's memcpy",
		.baseline = "memcpy",
		.summarize = m_dma_summarize,
	},
	{
		.name = "capture",
		.desc = "V4L2 capture (vivid) -> a consumer that checksums each frame: MMAP+memcpy vs zcdev USERPTR, dma-buf",
		.baseline = "mmap_memcpy",
		.summarize = m_capture_summarize,
		.sizes = "640x480,1920x1080",
	},
};
const int zb_nworkloads = sizeof(zb_workloads) / sizeof(zb_workloads[0]);

static const struct method *const *const tables[] = {
	m_file2sock, m_zerocopy, m_uring, m_zcdev, m_fanout, m_file2file,
	m_storage, m_dma, m_capture,
};

#define MAX_METHODS	96

const struct method *const *zb_methods(int *n)
{
	static const struct method *all[MAX_METHODS + 1];
	static int count = -1;
	size_t t;
	int i, w;

	if (count < 0) {
		count = 0;
		/* Grouped by workload, in the order of zb_workloads. */
		for (w = 0; w < zb_nworkloads; w++)
			for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
				for (i = 0; tables[t][i] && count < MAX_METHODS; i++)
					if (!strcmp(tables[t][i]->workload,
						    zb_workloads[w].name))
						all[count++] = tables[t][i];
	}
	*n = count;
	return all;
}

const struct method *zb_find_method(const char *workload, const char *name)
{
	const struct method *const *all;
	int n, i;

	all = zb_methods(&n);
	for (i = 0; i < n; i++)
		if (!strcmp(all[i]->workload, workload) &&
		    !strcmp(all[i]->name, name))
			return all[i];
	return NULL;
}

const struct workload *zb_find_workload(const char *name)
{
	int i;

	for (i = 0; i < zb_nworkloads; i++)
		if (!strcmp(zb_workloads[i].name, name))
			return &zb_workloads[i];
	return NULL;
}
