// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: the memory a DMA transfer moves, of three kinds: a PAGES
 * buffer (streaming mapping: the CPU and the device take turns, so every
 * hand-over is a ZCDEV_IOC_SYNC), a COHERENT buffer (no syncs, at most
 * max_coherent_bytes) and plain user memory (pinned by the module for the
 * length of each transfer). The CPU always sees it through a mapping.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "zcbench.h"

int region_kind(const char *name, uint32_t *kind)
{
	if (!strcmp(name, "user")) {
		*kind = 0;
		return 0;
	}
	return zc_parse_kind(name, kind);
}

const char *region_kind_name(uint32_t kind)
{
	return kind ? zc_kind_name(kind) : "user";
}

int region_alloc(int zfd, uint32_t kind, size_t len, struct region *rg)
{
	void *p;
	int err;

	memset(rg, 0, sizeof(*rg));
	rg->kind = kind;
	rg->len = len;
	if (!kind) {
		rg->p = zb_alloc(len);
		memset(rg->p, 0, len);	/* faulted in: pinning is measured, not faulting */
		return 0;
	}
	err = zc_alloc(zfd, kind, len, &rg->zb);
	if (err)
		return err;
	err = zc_map(zfd, &rg->zb, 0, len, PROT_READ | PROT_WRITE, &p);
	if (err) {
		zc_free(zfd, rg->zb.handle);
		return err;
	}
	rg->p = p;
	return 0;
}

/* The mapping keeps the buffer alive; closing the zcdev fd frees it. */
void region_free(struct region *rg)
{
	if (!rg->p)
		return;
	if (rg->kind)
		zc_unmap(rg->p, rg->len);
	else
		zb_free(rg->p, rg->len);
	rg->p = NULL;
}

void region_ep(const struct region *rg, uint64_t off, struct zcdev_dma_ep *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (rg->kind) {
		ep->type = ZCDEV_DMA_EP_BUF;
		ep->handle = rg->zb.handle;
		ep->addr = off;
	} else {
		ep->type = ZCDEV_DMA_EP_USER;
		ep->addr = (uintptr_t)(rg->p + off);
	}
}

int region_sync(int zfd, const struct region *rg, uint32_t flags, uint64_t off,
		uint64_t len)
{
	if (rg->kind != ZCDEV_BUF_PAGES)
		return 0;
	return zc_sync(zfd, rg->zb.handle, flags, off, len);
}
