/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The DMA client's private types, shared by dma.c (channel, queue, waits)
 * and dma_ep.c (turning segments into pinned, DMA-mapped address runs).
 */
#ifndef _ZCDEV_DMA_H
#define _ZCDEV_DMA_H

#include <linux/dmaengine.h>
#include <linux/ktime.h>
#include <linux/mm_types.h>
#include <linux/rbtree.h>
#include <linux/workqueue.h>

#include "zcdev.h"

struct dma_fence;

/**
 * struct zcdev_dma_end - one side of one segment
 * @buf: a zcdev buffer (referenced), or NULL for user memory
 * @sgt: the DMA-mapped scatterlist @buf's range lies in: a PAGES buffer's
 *	own, an import's mapping for this transfer; NULL otherwise
 * @offset: byte offset in @buf, or the user virtual address
 * @len: bytes
 * @is_user: user memory, pinned and mapped in the transfer's page table
 * @to_device_only: the engine only reads this side (a source)
 */
struct zcdev_dma_end {
	struct zcdev_buf *buf;
	struct sg_table *sgt;
	u64 offset;
	u64 len;
	bool is_user;
	bool to_device_only;
};

/**
 * struct zcdev_dma_upage - one page of user memory a transfer touches
 * @uaddr: its user address, page aligned
 * @page: the pinned page, or NULL if pinning did not get that far
 * @dma: bus address of the page for the transfer's device, within the
 *	mapping of its run
 * @map_pages: pages of the run whose mapping starts here (0: none does);
 *	set on the first page of each run once its mapping is made
 * @read: some source lies in it
 * @write: some destination lies in it
 */
struct zcdev_dma_upage {
	unsigned long uaddr;
	struct page *page;
	dma_addr_t dma;
	unsigned int map_pages;
	bool read;
	bool write;
};

/**
 * struct zcdev_dma_wrun - physically contiguous user pages a transfer writes
 * @rb: in the tree of the pages written in flight (dma_user.c)
 * @first: first pfn
 * @last: last pfn
 * @subtree_last: the interval tree's
 */
struct zcdev_dma_wrun {
	struct rb_node rb;
	unsigned long first;
	unsigned long last;
	unsigned long subtree_last;
};

/**
 * struct zcdev_dma_import - an imported buffer one transfer uses
 * @buf: the buffer (the transfer's ends hold references to it)
 * @sgt: its mapping for this transfer, once @mapped
 * @write: some segment writes it
 * @mapped: the transfer holds one of the import's mapping users
 */
struct zcdev_dma_import {
	struct zcdev_buf *buf;
	struct sg_table *sgt;
	bool write;
	bool mapped;
};

/**
 * struct zcdev_dma_run - one memcpy descriptor: contiguous on both sides
 * @src: source bus address
 * @dst: destination bus address
 * @len: bytes
 * @cookie: the descriptor's cookie once submitted to the engine
 */
struct zcdev_dma_run {
	dma_addr_t src;
	dma_addr_t dst;
	size_t len;
	dma_cookie_t cookie;
};

enum zcdev_xfer_state {
	ZCDEV_XFER_QUEUED,	/* on its file's queue, not on the engine */
	ZCDEV_XFER_ISSUING,	/* descriptors being prepared and submitted */
	ZCDEV_XFER_RUNNING,	/* on the engine */
	ZCDEV_XFER_STOPPING,	/* being stopped: only the stopper ends it */
	ZCDEV_XFER_ENDED,	/* final status known; cleanup queued */
};

/**
 * struct zcdev_xfer - one DMA transfer of one file
 * @file_node: on the owner's xfers list until reaped (owner's xfer_lock)
 * @queue_node: on the owner's dma_queue while QUEUED (channel's lock)
 * @zf: owning file (referenced)
 * @id: the owner's id for it
 * @user_data: the caller's cookie
 * @mm: whose RLIMIT_MEMLOCK pays for the @nr_upages pinned pages
 *	(grabbed), or NULL
 * @dev: device the ends are mapped for
 * @ends: 2 per segment (source, destination)
 * @nr_ends: entries in @ends that hold something to release
 * @upages: the distinct user pages of all ends, sorted by address
 * @nr_upages: entries in @upages
 * @wruns: the runs of written pages among @upages
 * @nr_wruns: entries in @wruns
 * @nr_wruns_counted: the first entries of @wruns, counted as writers
 * @imports: the distinct imported buffers of all ends (dma_import.c)
 * @nr_imports: entries in @imports
 * @fence: the write fence added to every import the transfer writes,
 *	signalled once it has ended, or NULL
 * @runs: descriptors to submit, in order
 * @nr_runs: entries in @runs
 * @nr_submitted: runs whose descriptors reached the engine
 * @total: bytes in all runs
 * @state: enum zcdev_xfer_state (channel's lock)
 * @runs_done: descriptors the engine called back for, in order (channel's
 *	lock)
 * @bytes_done: bytes those moved (channel's lock)
 * @failed: a descriptor reported an error (channel's lock)
 * @t_submit: when the ioctl accepted the transfer
 * @t_start: when its descriptors went to the engine
 * @status: final ZCDEV_DMA_* status, once ENDED
 * @error: final negative errno, once ENDED
 * @engine_ns: time on the engine, once ENDED
 * @end_seq: order in which it ended among all transfers (0: not yet)
 * @finished: cleanup done, may be reaped (owner's xfer_lock)
 * @cleanup_work: unmaps, unpins and releases in process context
 */
struct zcdev_xfer {
	struct list_head file_node;
	struct list_head queue_node;
	struct zcdev_file *zf;
	u64 id;
	u64 user_data;
	struct mm_struct *mm;
	struct device *dev;
	struct zcdev_dma_end *ends;
	unsigned int nr_ends;
	struct zcdev_dma_upage *upages;
	unsigned int nr_upages;
	struct zcdev_dma_wrun *wruns;
	unsigned int nr_wruns;
	unsigned int nr_wruns_counted;
	struct zcdev_dma_import *imports;
	unsigned int nr_imports;
	struct dma_fence *fence;
	struct zcdev_dma_run *runs;
	unsigned int nr_runs;
	unsigned int nr_submitted;
	u64 total;
	enum zcdev_xfer_state state;
	unsigned int runs_done;
	u64 bytes_done;
	bool failed;
	ktime_t t_submit;
	ktime_t t_start;
	u32 status;
	int error;
	u64 engine_ns;
	u64 end_seq;
	bool finished;
	struct work_struct cleanup_work;
};

/* dma_user.c */
int zcdev_dma_user_prepare(struct zcdev_xfer *x);
void zcdev_dma_user_release(struct zcdev_xfer *x);
unsigned int zcdev_dma_upage_find(const struct zcdev_xfer *x,
				  unsigned long uaddr);

/* dma_import.c */
int zcdev_dma_import_add(struct zcdev_xfer *x, struct zcdev_buf *buf,
			 bool is_dst);
int zcdev_dma_imports_prepare(struct zcdev_xfer *x);
int zcdev_dma_imports_fence(struct zcdev_xfer *x);
void zcdev_dma_imports_release(struct zcdev_xfer *x);

/* dma_ep.c */
int zcdev_dma_build(struct zcdev_xfer *x, const struct zcdev_dma_seg_desc *segs,
		    unsigned int nr_segs);
void zcdev_dma_unbuild(struct zcdev_xfer *x);
void zcdev_dma_sync_bufs(struct zcdev_xfer *x, bool for_cpu);

#endif /* _ZCDEV_DMA_H */
