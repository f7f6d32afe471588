/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * zcdev - zero-copy and DMA experiments: userspace ABI of /dev/zcdev.
 *
 * Every open file of /dev/zcdev is a context that owns buffers. A buffer is
 * named by a handle (per file) and by an offset in the file's offset space;
 * mmap(), pread() and pwrite() at that offset reach the buffer's bytes.
 *
 * Buffer kinds:
 *  ZCDEV_BUF_COHERENT  dma_alloc_coherent() memory, mapped with
 *                      dma_mmap_coherent() (a PFN mapping: get_user_pages,
 *                      O_DIRECT, vmsplice and MSG_ZEROCOPY cannot use it).
 *                      One physically contiguous block; without CMA at most
 *                      zcdev_info.max_coherent_bytes (EFBIG above that).
 *  ZCDEV_BUF_PAGES     individually refcounted pages with an sg_table,
 *                      DMA-mapped (streaming, bidirectional) for the DMA
 *                      device and mapped into userspace page by page, so
 *                      O_DIRECT, vmsplice and MSG_ZEROCOPY work on it.
 *                      The CPU and the device take turns: ZCDEV_IOC_SYNC.
 *
 * Mappings must be MAP_SHARED (a private mapping fails with EINVAL) and lie
 * inside one buffer (else ENXIO). A mapping keeps its buffer alive after
 * ZCDEV_IOC_FREE and after close(). madvise(MADV_DONTNEED) on a PAGES
 * mapping drops its page table entries and the next access maps the
 * buffer's same page again (the bytes stay); on a COHERENT mapping (a PFN
 * map) it fails with EINVAL.
 *
 * Ioctl numbers: every command is _IOW/_IOWR(ZCDEV_IOC_MAGIC, nr, struct)
 * with the struct it takes, so strace, seccomp filters and compat layers
 * see its size and direction. ZCDEV_IOC_MAGIC is 0xBD, which neither the
 * 6.1 nor the 6.18 Documentation/userspace-api/ioctl/ioctl-number.rst
 * lists (0xB7 is nsfs and remoteproc, 0xB8 mshv, 0xBA liveupdate); a test
 * compares every command here with every ioctl number of the kernel's own
 * uapi headers. The module dispatches on the magic and _IOC_NR only: the
 * size and direction bits describe the struct of the header the caller was
 * compiled with, and a later, longer struct keeps its number (and so its
 * handler), while its size field says which version the caller passed.
 *
 * Every ioctl argument starts with __u32 size, the number of bytes the
 * caller passes (sizeof the struct it was compiled with). A shorter struct
 * than the current one is zero-extended, a longer one must have a zero tail
 * (else E2BIG); below the first version's size is EINVAL, above
 * ZCDEV_MAX_ARG_SIZE is E2BIG even with a zero tail. Unknown flags and
 * non-zero reserved fields are EINVAL, unknown commands ENOTTY, unknown
 * handles ENOENT. Output is written back up to the caller's size.
 *
 * Arrays (DMA segments in, DMA addresses and send completions out) are
 * passed with their element size, so elements can grow the same way: an
 * input element shorter than the module's is zero-extended, a longer one
 * must have a zero tail (E2BIG); an output element is written up to the
 * caller's element size and a longer one gets a zeroed tail. Below the
 * element's first size is EINVAL.
 *
 * Waiting: ZCDEV_IOC_DMA_WAIT and ZCDEV_IOC_SEND_REAP take an absolute
 * CLOCK_MONOTONIC deadline in nanoseconds (clock_gettime(CLOCK_MONOTONIC)
 * as seconds * 1e9 + nanoseconds, plus the time to wait). A deadline that
 * has passed looks once without sleeping; 0 is a poll (what a poll returns
 * is said per ioctl); ZCDEV_DEADLINE_NEVER waits without limit. A signal
 * whose handler runs interrupts the wait and changes nothing (nothing is
 * reaped, no transfer is stopped): with SA_RESTART the call restarts and
 * waits for the same deadline, so a periodic signal cannot stretch the
 * wait; without SA_RESTART it fails with EINTR. Signals without a handler
 * (ignored, stop and continue) do not end the wait.
 *
 * ZCDEV_ABI_VERSION changes with every change of this file's structs,
 * numbers or flag values, also compatible ones; uapi/zcdev.abi describes
 * the ABI of the current version and a test of `make check` fails when the
 * two disagree. Compatibility itself comes from the size rules above: a
 * module serves callers built against any earlier version.
 *
 * DMA addresses reach only callers with CAP_SYS_ADMIN (EPERM otherwise).
 *
 * dma-buf (ABI 2, ZCDEV_FEAT_DMABUF): ZCDEV_IOC_EXPORT turns a buffer into
 * a dma-buf other drivers import (one dma-buf per buffer: exporting again
 * gives another fd of the same dma-buf); ZCDEV_IOC_IMPORT makes another
 * driver's dma-buf (or a zcdev export, from any process) a buffer of this
 * file, of kind ZCDEV_BUF_DMABUF: a DMA endpoint, readable and writable
 * with pread/pwrite and mappable where its exporter allows, never a
 * ZCDEV_IOC_SEND source (EOPNOTSUPP: the stack would hold pages whose
 * lifetime the exporter, not a page refcount, decides).
 */
#ifndef _UAPI_LINUX_ZCDEV_H
#define _UAPI_LINUX_ZCDEV_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define ZCDEV_ABI_VERSION	4
#define ZCDEV_IOC_MAGIC		0xBD

/* Largest argument struct the module reads (E2BIG above it). */
#define ZCDEV_MAX_ARG_SIZE	4096

/* deadline_ns: wait without limit. */
#define ZCDEV_DEADLINE_NEVER	(~(__u64)0)

/* Buffer kinds (zcdev_alloc.kind, zcdev_query.kind). */
#define ZCDEV_BUF_COHERENT	1
#define ZCDEV_BUF_PAGES		2
#define ZCDEV_BUF_DMABUF	3	/* imported (ZCDEV_IOC_IMPORT); not for ALLOC */

/* zcdev_info.features: what this module build offers. */
#define ZCDEV_FEAT_COHERENT	0x1ULL
#define ZCDEV_FEAT_PAGES	0x2ULL
#define ZCDEV_FEAT_DMA		0x4ULL	/* a DMA_MEMCPY channel is held */
#define ZCDEV_FEAT_SEND		0x8ULL	/* ZCDEV_IOC_SEND and splice_read */
#define ZCDEV_FEAT_DMABUF	0x10ULL	/* ZCDEV_IOC_EXPORT and ZCDEV_IOC_IMPORT */
#define ZCDEV_FEAT_SEND_COALESCE 0x20ULL /* ZCDEV_SEND_COALESCE (ABI 3) */
#define ZCDEV_FEAT_SEND_RING	0x40ULL	/* ZCDEV_IOC_SEND_RING (ABI 4) */

/**
 * struct zcdev_info - ZCDEV_IOC_INFO: module version and limits
 * @size: sizeof(struct zcdev_info) as the caller knows it
 * @flags: must be 0
 * @abi_version: ZCDEV_ABI_VERSION of the running module
 * @page_size: PAGE_SIZE; buffer lengths are rounded up to it
 * @max_buf_bytes: largest buffer (module parameter max_buf_bytes)
 * @max_file_bytes: bytes one open file may hold (max_file_bytes)
 * @max_total_bytes: bytes all files together may hold (max_total_bytes)
 * @max_coherent_bytes: largest ZCDEV_BUF_COHERENT buffer one allocation gives
 * @file_bytes: bytes held now by this file (freed buffers still mapped count;
 *	a freed import does not: its mappings hold the exporter's dma-buf)
 * @total_bytes: bytes held now by all files
 * @features: ZCDEV_FEAT_* bits the module offers
 * @reserved: zero
 */
struct zcdev_info {
	__u32 size;
	__u32 flags;
	__u32 abi_version;
	__u32 page_size;
	__u64 max_buf_bytes;
	__u64 max_file_bytes;
	__u64 max_total_bytes;
	__u64 max_coherent_bytes;
	__u64 file_bytes;
	__u64 total_bytes;
	__u64 features;
	__u64 reserved;
};

/**
 * struct zcdev_alloc - ZCDEV_IOC_ALLOC: create a buffer
 * @size: sizeof(struct zcdev_alloc)
 * @flags: must be 0
 * @kind: ZCDEV_BUF_COHERENT or ZCDEV_BUF_PAGES
 * @handle: out: the buffer's handle in this file
 * @len: bytes wanted, 1 .. max_buf_bytes; rounded up to page_size
 * @buf_len: out: the buffer's length after rounding
 * @offset: out: the buffer's offset for mmap, pread and pwrite
 *
 * Errors: EINVAL (kind, flags, len 0), EFBIG (len over max_buf_bytes, or a
 * coherent len over max_coherent_bytes), ENOSPC (over max_file_bytes or
 * max_total_bytes), ENOMEM.
 */
struct zcdev_alloc {
	__u32 size;
	__u32 flags;
	__u32 kind;
	__u32 handle;
	__u64 len;
	__u64 buf_len;
	__u64 offset;
};

/**
 * struct zcdev_free - ZCDEV_IOC_FREE: drop a buffer's handle
 * @size: sizeof(struct zcdev_free)
 * @handle: buffer to free; the memory goes once the last mapping is gone
 * @flags: must be 0
 * @reserved: zero
 */
struct zcdev_free {
	__u32 size;
	__u32 handle;
	__u32 flags;
	__u32 reserved;
};

/**
 * struct zcdev_dma_seg - one DMA segment of a buffer
 * @dma_addr: bus address as the DMA device sees it
 * @len: bytes
 */
struct zcdev_dma_seg {
	__u64 dma_addr;
	__u64 len;
};

/**
 * struct zcdev_query - ZCDEV_IOC_QUERY: describe a buffer
 * @size: sizeof(struct zcdev_query)
 * @handle: buffer to describe
 * @flags: must be 0
 * @kind: out: ZCDEV_BUF_*
 * @len: out: length in bytes
 * @offset: out: offset for mmap, pread and pwrite
 * @nr_segs: out: number of DMA segments
 * @segs_cap: in: entries at @segs_ptr; non-zero needs CAP_SYS_ADMIN (EPERM)
 * @seg_size: in: sizeof(struct zcdev_dma_seg) as the caller knows it, the
 *	stride of @segs_ptr: ZCDEV_DMA_SEG_SIZE_VER0 .. ZCDEV_MAX_ARG_SIZE
 *	when @segs_cap is non-zero (EINVAL below, E2BIG above)
 * @segs_ptr: in: user pointer to @segs_cap elements of @seg_size bytes;
 *	the first min(@nr_segs, @segs_cap) are filled
 * @reserved: zero
 * @dmabuf: out (ABI 2): ZCDEV_QUERY_* bits
 * @reserved2: zero
 * @exporter: out (ABI 2): of a ZCDEV_BUF_DMABUF buffer, its exporter's
 *	name (dma_buf->exp_name), NUL-terminated; empty for other kinds
 *
 * An imported buffer has no DMA segments until a transfer maps it
 * (@nr_segs 0).
 */
struct zcdev_query {
	__u32 size;
	__u32 handle;
	__u32 flags;
	__u32 kind;
	__u64 len;
	__u64 offset;
	__u32 nr_segs;
	__u32 segs_cap;
	__u64 segs_ptr;
	__u32 seg_size;
	__u32 reserved;
	__u32 dmabuf;
	__u32 reserved2;
	char exporter[32];
};

/* zcdev_query.dmabuf */
#define ZCDEV_QUERY_EXPORTED	0x1U	/* a dma-buf of this buffer lives */
#define ZCDEV_QUERY_IMPORTED	0x2U	/* the buffer is another's dma-buf */

/* zcdev_sync.flags: exactly one of these. */
#define ZCDEV_SYNC_FOR_CPU	0x1U
#define ZCDEV_SYNC_FOR_DEVICE	0x2U

/**
 * struct zcdev_sync - ZCDEV_IOC_SYNC: hand a range to the CPU or the device
 * @size: sizeof(struct zcdev_sync)
 * @handle: buffer
 * @flags: ZCDEV_SYNC_FOR_CPU or ZCDEV_SYNC_FOR_DEVICE
 * @reserved: zero
 * @offset: first byte of the range, relative to the buffer
 * @len: bytes; @offset + @len must not pass the buffer's end (else EINVAL)
 *
 * A no-op for coherent buffers; for ZCDEV_BUF_PAGES it syncs the buffer's
 * whole streaming mapping (the range is checked; syncing more is correct,
 * and the only way the DMA API can tell overlapping mappings apart); for
 * ZCDEV_BUF_DMABUF it is the exporter's CPU access bracket over the whole
 * dma-buf, as DMA_BUF_IOCTL_SYNC START (FOR_CPU, which first waits for its
 * fences, interruptibly) and END (FOR_DEVICE).
 */
struct zcdev_sync {
	__u32 size;
	__u32 handle;
	__u32 flags;
	__u32 reserved;
	__u64 offset;
	__u64 len;
};

/*
 * DMA through the kernel's dmaengine (any DMA_MEMCPY channel: ioat, pl330,
 * zdma, or the project's software engine zcdma). Without a channel every
 * DMA ioctl fails with ENODEV.
 *
 * A transfer is a vector of segments, each copying len bytes from src to
 * dst. An endpoint is a range of a zcdev buffer of this file, or a range of
 * the caller's memory, which is pinned (FOLL_LONGTERM, charged to
 * RLIMIT_MEMLOCK) until the transfer ends and then unpinned (destinations
 * dirtied). A segment's source and destination must not overlap (EINVAL).
 * Transfers on one file complete in submission order.
 *
 * Channels and stops: each file is bound at its first submission to one of
 * the module's channels. A channel's engine carries one transfer at a time;
 * the files waiting on it take turns, one transfer each, so another file
 * delays a transfer by at most one of its own per turn. Stopping a transfer
 * (cancel, a passed deadline, close, an engine error) that has not started
 * takes it off its queue without touching the engine; one that runs is
 * stopped by terminating its channel, which carries no other transfer. No
 * descriptor is ever submitted twice and nothing resumes, so a transfer
 * whose later segment writes an earlier segment's source ends DONE with the
 * right bytes or with a non-DONE status, never DONE with wrong bytes; a
 * transfer that finished before a stop took hold ends DONE. The bytes of a
 * stopped transfer are at least what the engine moved.
 */
#define ZCDEV_DMA_EP_BUF	1	/* handle + offset in that buffer */
#define ZCDEV_DMA_EP_USER	2	/* addr is a user virtual address */

/**
 * struct zcdev_dma_ep - one side of a DMA segment
 * @type: ZCDEV_DMA_EP_BUF or ZCDEV_DMA_EP_USER
 * @handle: EP_BUF: the buffer's handle; EP_USER: zero
 * @addr: EP_BUF: byte offset in the buffer; EP_USER: virtual address
 */
struct zcdev_dma_ep {
	__u32 type;
	__u32 handle;
	__u64 addr;
};

/**
 * struct zcdev_dma_seg_desc - one segment of a transfer
 * @src: where the bytes come from
 * @dst: where they go
 * @len: bytes, at least 1
 * @flags: must be 0 (none defined yet)
 * @reserved: zero
 */
struct zcdev_dma_seg_desc {
	struct zcdev_dma_ep src;
	struct zcdev_dma_ep dst;
	__u64 len;
	__u32 flags;
	__u32 reserved[5];
};

/**
 * struct zcdev_dma_submit - ZCDEV_IOC_DMA_SUBMIT: start a transfer
 * @size: sizeof(struct zcdev_dma_submit)
 * @flags: must be 0
 * @nr_segs: entries at @segs_ptr, 1 .. ZCDEV_DMA_MAX_SEGS
 * @seg_size: sizeof(struct zcdev_dma_seg_desc) as the caller knows it, the
 *	stride of @segs_ptr: ZCDEV_DMA_SEG_DESC_SIZE_VER0 .. ZCDEV_MAX_ARG_SIZE
 * @segs_ptr: user pointer to @nr_segs elements of @seg_size bytes
 * @user_data: returned unchanged by ZCDEV_IOC_DMA_WAIT
 * @id: out: the transfer's id, never 0
 *
 * Returns at once. Errors: EINVAL (bad segment, overlap, zero length,
 * segment flags or reserved fields, @seg_size too small), E2BIG (a
 * segment's bytes past the module's struct are not zero),
 * ENOENT (handle), EFAULT (user range not mapped, or not writable for a
 * destination), EBUSY (dma_queue_depth transfers of this file are neither
 * finished nor reaped, or a destination page of user memory is already
 * written by six transfers in flight: the DMA API does not support more
 * overlapping device-writable mappings), ENOMEM (RLIMIT_MEMLOCK or
 * memory), EXDEV (the buffer was mapped before the channel appeared),
 * ENODEV.
 */
struct zcdev_dma_submit {
	__u32 size;
	__u32 flags;
	__u32 nr_segs;
	__u32 seg_size;
	__u64 segs_ptr;
	__u64 user_data;
	__u64 id;
};

#define ZCDEV_DMA_MAX_SEGS	1024

/* zcdev_dma_wait.status */
#define ZCDEV_DMA_DONE		1	/* every byte moved */
#define ZCDEV_DMA_ERROR		2	/* the engine failed: see error */
#define ZCDEV_DMA_TIMEDOUT	3	/* deadline_ns passed; terminated */
#define ZCDEV_DMA_CANCELLED	4	/* ZCDEV_IOC_DMA_CANCEL stopped it */

/* zcdev_dma_wait.flags */
#define ZCDEV_DMA_WAIT_ANY	0x1U	/* reap whichever transfer ends first */
#define ZCDEV_DMA_WAIT_NOTERM	0x2U	/* at the deadline, leave it running */

/**
 * struct zcdev_dma_wait - ZCDEV_IOC_DMA_WAIT: wait for a transfer and reap it
 * @size: sizeof(struct zcdev_dma_wait)
 * @flags: ZCDEV_DMA_WAIT_*
 * @id: transfer to wait for (ignored with ZCDEV_DMA_WAIT_ANY; out: the id)
 * @deadline_ns: in: CLOCK_MONOTONIC time to give up at (see "Waiting"
 *	above): 0 polls, ZCDEV_DEADLINE_NEVER waits without limit
 * @status: out: ZCDEV_DMA_* (0 and EAGAIN: still running, nothing reaped)
 * @error: out: positive errno for ERROR (EIO), TIMEDOUT (ETIMEDOUT) and
 *	CANCELLED (ECANCELED), else 0
 * @bytes: out: bytes the engine moved
 * @engine_ns: out: time the engine spent on this transfer (from when it
 *	reached the head of the queue to the completion interrupt)
 * @user_data: out: as given at submit
 *
 * A transfer is reaped (its id forgotten) when this returns its final
 * status. @deadline_ns 0 polls: a transfer still running fails the call
 * with EAGAIN and is left alone. When any other deadline passes (also one
 * that had passed before the call) with the transfer still running, it is
 * terminated and reaped as ZCDEV_DMA_TIMEDOUT, unless ZCDEV_DMA_WAIT_NOTERM
 * is set: then the call fails with ETIMEDOUT and the transfer runs on.
 * With ZCDEV_DMA_WAIT_ANY nothing is terminated (EAGAIN or ETIMEDOUT).
 * A signal: see "Waiting" above. Unknown id: ENOENT.
 */
struct zcdev_dma_wait {
	__u32 size;
	__u32 flags;
	__u64 id;
	__u64 deadline_ns;
	__u32 status;
	__s32 error;
	__u64 bytes;
	__u64 engine_ns;
	__u64 user_data;
};

/* zcdev_dma_cancel.flags */
#define ZCDEV_DMA_CANCEL_ALL	0x1U	/* every transfer of this file */

/**
 * struct zcdev_dma_cancel - ZCDEV_IOC_DMA_CANCEL: stop transfers
 * @size: sizeof(struct zcdev_dma_cancel)
 * @flags: ZCDEV_DMA_CANCEL_ALL or 0
 * @id: the transfer to stop, without ZCDEV_DMA_CANCEL_ALL
 * @cancelled: out: how many were stopped (finished ones are left alone)
 * @reserved: zero
 *
 * Stopped transfers end as ZCDEV_DMA_CANCELLED and are reaped with
 * ZCDEV_IOC_DMA_WAIT as usual. Unknown id: ENOENT.
 */
struct zcdev_dma_cancel {
	__u32 size;
	__u32 flags;
	__u64 id;
	__u32 cancelled;
	__u32 reserved;
};

/**
 * struct zcdev_dma_chan_stats - one channel's counters (ZCDEV_IOC_DMA_STATS)
 * @name: NUL-terminated channel name ("dma0chan1")
 * @transfers: transfers that ended on this channel, whatever their status
 * @bytes: bytes moved
 * @errors: transfers that ended with ZCDEV_DMA_ERROR
 * @timeouts: transfers that ended with ZCDEV_DMA_TIMEDOUT
 * @cancels: transfers that ended with ZCDEV_DMA_CANCELLED
 * @running: transfers on the engine now (0 or 1)
 * @queued: transfers waiting for the engine now
 * @files: open files whose transfers this channel carries
 * @reserved: zero
 * @lat_min_ns: shortest submit-to-end latency
 * @lat_avg_ns: mean submit-to-end latency
 * @lat_max_ns: longest submit-to-end latency
 */
struct zcdev_dma_chan_stats {
	char name[32];
	__u64 transfers;
	__u64 bytes;
	__u64 errors;
	__u64 timeouts;
	__u64 cancels;
	__u32 running;
	__u32 queued;
	__u32 files;
	__u32 reserved;
	__u64 lat_min_ns;
	__u64 lat_avg_ns;
	__u64 lat_max_ns;
};

/**
 * struct zcdev_dma_stats - ZCDEV_IOC_DMA_STATS: module-wide DMA counters
 * @size: sizeof(struct zcdev_dma_stats)
 * @flags: must be 0
 * @channel: out: NUL-terminated name of the first channel in use
 * @transfers: out: transfers finished, whatever their status
 * @bytes: out: bytes moved
 * @errors: out: transfers that ended with ZCDEV_DMA_ERROR
 * @timeouts: out: transfers that ended with ZCDEV_DMA_TIMEDOUT
 * @cancels: out: transfers that ended with ZCDEV_DMA_CANCELLED
 * @in_flight: out: transfers submitted and not yet finished
 * @lat_min_ns: out: shortest submit-to-completion latency
 * @lat_avg_ns: out: mean submit-to-completion latency
 * @lat_max_ns: out: longest submit-to-completion latency
 * @nr_channels: out: channels zcdev uses
 * @chans_cap: in: elements at @chans_ptr (0: none wanted)
 * @chans_ptr: in: user pointer to @chans_cap elements of @chan_size bytes;
 *	the first min(@nr_channels, @chans_cap) are filled
 * @chan_size: in: sizeof(struct zcdev_dma_chan_stats) as the caller knows
 *	it: ZCDEV_DMA_CHAN_STATS_SIZE_VER0 .. ZCDEV_MAX_ARG_SIZE when
 *	@chans_cap is non-zero (EINVAL below, E2BIG above)
 * @reserved: zero
 *
 * The module-wide fields add up all channels.
 */
struct zcdev_dma_stats {
	__u32 size;
	__u32 flags;
	char channel[32];
	__u64 transfers;
	__u64 bytes;
	__u64 errors;
	__u64 timeouts;
	__u64 cancels;
	__u64 in_flight;
	__u64 lat_min_ns;
	__u64 lat_avg_ns;
	__u64 lat_max_ns;
	__u32 nr_channels;
	__u32 chans_cap;
	__u64 chans_ptr;
	__u32 chan_size;
	__u32 reserved;
};

/*
 * Zero-copy send: the pages of a ZCDEV_BUF_PAGES buffer go to a TCP (IPv4
 * or IPv6) or connected UDP socket by reference, the way io_uring's send_zc
 * does (MSG_ZEROCOPY with the module's own completion). The pages must not
 * be changed until the send's completion arrives; its ZCDEV_COMPL_COPIED
 * flag says the stack copied after all (loopback and veth always do, as do
 * NICs without scatter-gather and checksum offload, and sockets that
 * cannot do zero-copy such as kTLS: then the data is copied at once).
 *
 * A completion says when the stack let go of the pages, not that the peer
 * got the bytes: data dropped by a reset connection completes too, and
 * may say zero-copy (as with MSG_ZEROCOPY).
 *
 * Coalescing (ABI 3, ZCDEV_FEAT_SEND_COALESCE): a send with
 * ZCDEV_SEND_COALESCE joins the completion of the file's previous send
 * when it continues that send exactly: the same socket, the same buffer,
 * @offset where the previous send's accepted bytes ended, and the previous
 * send the file's latest one and not yet completed. Then both share one
 * completion (and the stack may put both in one skb, as MSG_ZEROCOPY does
 * for consecutive sends), which covers the ids @id .. @last_id; it comes
 * when the stack lets go of the pages of all of them. A completion covers
 * at most ZCDEV_SEND_COALESCE_MAX sends and the socket's SO_SNDBUF bytes;
 * past that, or when the send does not continue the previous one, the send
 * starts a completion of its own, as without the flag. Ids in a range
 * belong to this file's sends; a ZCDEV_SEND_COALESCE send that fails may
 * leave its id inside a range (it was never returned, so nothing waits for
 * it). Coalesced sends do not count against send_queue_depth. Reap them
 * with @entry_size of at least ZCDEV_SEND_COMPLETION_SIZE_VER1, which
 * carries @last_id: SEND_REAP refuses a smaller one with EINVAL while the
 * oldest completion covers more than one send.
 *
 * COHERENT buffers cannot be sent (EOPNOTSUPP): their tail pages have no
 * refcount, so the stack must never hold them. splice(2) and sendfile(2)
 * from /dev/zcdev move page references of PAGES buffers and copy from
 * COHERENT ones.
 */
#define ZCDEV_SEND_MORE		0x1U	/* more data follows: MSG_MORE */
#define ZCDEV_SEND_DONTWAIT	0x2U	/* MSG_DONTWAIT (also if O_NONBLOCK) */
#define ZCDEV_SEND_NOSIGNAL	0x4U	/* MSG_NOSIGNAL: EPIPE without SIGPIPE */
#define ZCDEV_SEND_COALESCE	0x8U	/* share the previous send's completion */

/* Sends one completion covers at most (ZCDEV_SEND_COALESCE). */
#define ZCDEV_SEND_COALESCE_MAX	65535

/**
 * struct zcdev_send - ZCDEV_IOC_SEND: send buffer bytes without copying
 * @size: sizeof(struct zcdev_send)
 * @flags: ZCDEV_SEND_*
 * @sock_fd: a connected TCP or UDP socket
 * @handle: a ZCDEV_BUF_PAGES buffer of this file
 * @offset: first byte to send, relative to the buffer
 * @len: bytes to send; @offset + @len must lie inside the buffer
 * @user_data: returned unchanged in the completion
 * @bytes: out: bytes the socket accepted (may be short, as with send(2))
 * @id: out: the send's id; exactly one completion will carry it
 *
 * Errors are those of sendmsg(2) (EAGAIN, EPIPE with SIGPIPE unless
 * NOSIGNAL, EINTR, EMSGSIZE, EDESTADDRREQ for unconnected UDP, ...): then
 * nothing was sent and no completion follows. Also ENOTSOCK (not a socket),
 * EPROTONOSUPPORT (not TCP or UDP over IPv4/IPv6), EOPNOTSUPP (coherent
 * buffer), ENOENT (handle), EINVAL (range, flags), EBUSY (send_queue_depth
 * completions of this file are unreaped).
 */
struct zcdev_send {
	__u32 size;
	__u32 flags;
	__s32 sock_fd;
	__u32 handle;
	__u64 offset;
	__u64 len;
	__u64 user_data;
	__u64 bytes;
	__u64 id;
};

/* zcdev_send_completion.flags */
#define ZCDEV_COMPL_COPIED	0x1U	/* the stack copied some or all bytes */

/**
 * struct zcdev_send_completion - the stack let go of a send's pages
 * @id: the send's id; with ZCDEV_SEND_COALESCE, the first send it covers
 * @bytes: bytes the sends it covers accepted
 * @user_data: as given to ZCDEV_IOC_SEND of send @last_id
 * @flags: ZCDEV_COMPL_*; COPIED if the stack copied any of the sends
 * @reserved: zero
 * @last_id: (ABI 3) the last send it covers: @id unless ZCDEV_SEND_COALESCE
 *	joined later sends; the buffer bytes they sent are the @bytes from
 *	the first send's @offset
 */
struct zcdev_send_completion {
	__u64 id;
	__u64 bytes;
	__u64 user_data;
	__u32 flags;
	__u32 reserved;
	__u64 last_id;
};

/**
 * struct zcdev_reap - ZCDEV_IOC_SEND_REAP: collect send completions
 * @size: sizeof(struct zcdev_reap)
 * @flags: must be 0
 * @entries_ptr: user pointer to @max_entries elements of @entry_size bytes
 * @max_entries: room at @entries_ptr (at least 1)
 * @nr: out: completions written, oldest first
 * @deadline_ns: CLOCK_MONOTONIC time to stop waiting for a first
 *	completion (see "Waiting" above): 0 returns at once,
 *	ZCDEV_DEADLINE_NEVER waits for at least one; when it passes the call
 *	succeeds with @nr 0
 * @pending: out: completions of this file still to come (sends the stack
 *	holds; sends that joined one completion count once)
 * @entry_size: sizeof(struct zcdev_send_completion) as the caller knows
 *	it, the stride of @entries_ptr: ZCDEV_SEND_COMPLETION_SIZE_VER0 ..
 *	ZCDEV_MAX_ARG_SIZE (EINVAL below, E2BIG above); below
 *	ZCDEV_SEND_COMPLETION_SIZE_VER1 also EINVAL while the oldest
 *	completion covers several sends (ZCDEV_SEND_COALESCE)
 * @reserved: zero
 *
 * poll() on the file reports EPOLLIN while a completion (or a finished DMA
 * transfer) waits to be reaped. A signal: see "Waiting" above.
 */
struct zcdev_reap {
	__u32 size;
	__u32 flags;
	__u64 entries_ptr;
	__u32 max_entries;
	__u32 nr;
	__u64 deadline_ns;
	__u64 pending;
	__u32 entry_size;
	__u32 reserved;
};

/* mmap offset of the file's send completion ring (ZCDEV_IOC_SEND_RING) */
#define ZCDEV_SEND_RING_OFFSET	0ULL
/* Most slots a ring may have. */
#define ZCDEV_SEND_RING_MAX	65536

/**
 * struct zcdev_send_ring - ZCDEV_IOC_SEND_RING: completions in shared memory
 * @size: sizeof(struct zcdev_send_ring)
 * @flags: must be 0
 * @entries: slots, a power of two, 1..ZCDEV_SEND_RING_MAX
 * @entry_size: out: bytes per slot (sizeof(struct zcdev_send_completion)
 *	of the module, at least ZCDEV_SEND_COMPLETION_SIZE_VER1)
 * @head_offset: out: where the __u32 head (consumer index) lies in the
 *	mapping; only userspace writes it
 * @tail_offset: out: where the __u32 tail (producer index) lies; only the
 *	kernel writes it
 * @entries_offset: out: where slot 0 lies
 * @reserved: zero
 * @mmap_bytes: out: bytes to map, MAP_SHARED, at ZCDEV_SEND_RING_OFFSET
 *
 * Once a file has a ring (one per file, for the file's life), its send
 * completions, including those already waiting, go to slot
 * (index & (@entries - 1)) of the mapping: the kernel writes the slot, then
 * stores tail + 1 with release semantics; a consumer loads tail with
 * acquire, reads the slots from head to tail, then stores the new head
 * with release. Indices are free-running __u32. Sends in flight plus
 * completions not yet consumed stay below @entries (and send_queue_depth):
 * ZCDEV_IOC_SEND fails with EBUSY beyond, so a ring is never overrun. A
 * head that is not between the kernel's tail - @entries and its tail reads
 * as a full ring: completions then wait for SEND_REAP instead, and none is
 * lost. poll() reports EPOLLIN while the ring holds unconsumed completions
 * (for an honest head) or SEND_REAP has some.
 * SEND_REAP still works and consumes from the ring (moving head); use it
 * or the mapping, not both at once. The mapping holds the file, as buffer
 * mappings do. Errors: EINVAL (flags, reserved, @entries), EBUSY (a ring
 * exists, or sends in flight and unreaped completions exceed @entries),
 * ENOMEM.
 */
struct zcdev_send_ring {
	__u32 size;
	__u32 flags;
	__u32 entries;
	__u32 entry_size;
	__u32 head_offset;
	__u32 tail_offset;
	__u32 entries_offset;
	__u32 reserved;
	__u64 mmap_bytes;
};

/* zcdev_export.flags */
#define ZCDEV_EXPORT_CLOEXEC	0x1U	/* O_CLOEXEC on the new fd */
#define ZCDEV_EXPORT_RDWR	0x2U	/* O_RDWR: the fd's mmap may be writable */

/**
 * struct zcdev_export - ZCDEV_IOC_EXPORT: a buffer as a dma-buf
 * @size: sizeof(struct zcdev_export)
 * @handle: buffer to export (COHERENT or PAGES; an imported one is EINVAL)
 * @flags: ZCDEV_EXPORT_*
 * @fd: out: a new dma-buf fd
 *
 * The dma-buf holds the buffer (and the module: rmmod is refused while one
 * lives) until its last reference goes; FREE, munmap and close of the
 * zcdev side leave it working. Importers map it for their own device
 * (attach, map_dma_buf), mmap, vmap and DMA_BUF_IOCTL_SYNC it. A COHERENT
 * buffer is exported through dma_get_sgtable(); where the platform cannot
 * describe coherent memory by pages, EXPORT fails with ENXIO.
 *
 * A buffer has at most one live dma-buf: exporting it again while an fd,
 * mapping or importer of the first still holds it returns another fd of
 * that dma-buf (EINVAL if it asks for ZCDEV_EXPORT_RDWR and the first was
 * read-only); once nothing holds it, the next export creates a new one.
 * QUERY's ZCDEV_QUERY_EXPORTED says one is held. Errors: ENOENT (handle),
 * EINVAL (flags, imported buffer, RDWR of a read-only export), EMFILE,
 * ENOMEM.
 */
struct zcdev_export {
	__u32 size;
	__u32 handle;
	__u32 flags;
	__s32 fd;
};

/**
 * struct zcdev_import - ZCDEV_IOC_IMPORT: another driver's dma-buf as a buffer
 * @size: sizeof(struct zcdev_import)
 * @flags: must be 0
 * @fd: in: a dma-buf fd (EBADF if none, EINVAL if not a dma-buf)
 * @handle: out: the new buffer's handle
 * @len: in: bytes of the dma-buf to use from its start, 0 for all of it
 *	(EINVAL if the dma-buf is smaller); out: the buffer's length
 * @offset: out: the buffer's offset for mmap, pread and pwrite
 *
 * zcdev attaches with its DMA device and maps the attachment while a
 * transfer uses it. Before DMA from the buffer zcdev waits for the
 * dma-buf's write fences, before DMA into it for all its fences, up to the
 * transfer's submission (DMA_SUBMIT fails with EBUSY if they are still
 * unsignalled after ZCDEV_DMABUF_FENCE_WAIT_MS; a signal interrupts the
 * wait as for DMA_WAIT); DMA into it adds a write
 * fence that signals when the transfer ends. One dma-buf is imported once
 * per file (EEXIST). Errors also ENOSPC and EFBIG as for ALLOC.
 */
struct zcdev_import {
	__u32 size;
	__u32 flags;
	__s32 fd;
	__u32 handle;
	__u64 len;
	__u64 offset;
};

/* How long DMA_SUBMIT waits for an imported buffer's fences. */
#define ZCDEV_DMABUF_FENCE_WAIT_MS	1000

#define ZCDEV_IOC_INFO		_IOWR(ZCDEV_IOC_MAGIC, 0x00, struct zcdev_info)
#define ZCDEV_IOC_ALLOC		_IOWR(ZCDEV_IOC_MAGIC, 0x01, struct zcdev_alloc)
#define ZCDEV_IOC_FREE		_IOW(ZCDEV_IOC_MAGIC, 0x02, struct zcdev_free)
#define ZCDEV_IOC_QUERY		_IOWR(ZCDEV_IOC_MAGIC, 0x03, struct zcdev_query)
#define ZCDEV_IOC_SYNC		_IOW(ZCDEV_IOC_MAGIC, 0x04, struct zcdev_sync)
#define ZCDEV_IOC_DMA_SUBMIT	_IOWR(ZCDEV_IOC_MAGIC, 0x10, struct zcdev_dma_submit)
#define ZCDEV_IOC_DMA_WAIT	_IOWR(ZCDEV_IOC_MAGIC, 0x11, struct zcdev_dma_wait)
#define ZCDEV_IOC_DMA_CANCEL	_IOWR(ZCDEV_IOC_MAGIC, 0x12, struct zcdev_dma_cancel)
#define ZCDEV_IOC_DMA_STATS	_IOWR(ZCDEV_IOC_MAGIC, 0x13, struct zcdev_dma_stats)
#define ZCDEV_IOC_SEND		_IOWR(ZCDEV_IOC_MAGIC, 0x20, struct zcdev_send)
#define ZCDEV_IOC_SEND_REAP	_IOWR(ZCDEV_IOC_MAGIC, 0x21, struct zcdev_reap)
#define ZCDEV_IOC_SEND_RING	_IOWR(ZCDEV_IOC_MAGIC, 0x22, struct zcdev_send_ring)
#define ZCDEV_IOC_EXPORT	_IOWR(ZCDEV_IOC_MAGIC, 0x30, struct zcdev_export)
#define ZCDEV_IOC_IMPORT	_IOWR(ZCDEV_IOC_MAGIC, 0x31, struct zcdev_import)

/* First published sizes: anything shorter is EINVAL. */
#define ZCDEV_INFO_SIZE_VER0		80
#define ZCDEV_ALLOC_SIZE_VER0		40
#define ZCDEV_FREE_SIZE_VER0		16
#define ZCDEV_QUERY_SIZE_VER0		56
#define ZCDEV_QUERY_SIZE_VER1		96	/* ABI 2: dmabuf, exporter */
#define ZCDEV_SYNC_SIZE_VER0		32
#define ZCDEV_DMA_SUBMIT_SIZE_VER0	40
#define ZCDEV_DMA_WAIT_SIZE_VER0	56
#define ZCDEV_DMA_CANCEL_SIZE_VER0	24
#define ZCDEV_DMA_STATS_SIZE_VER0	136
#define ZCDEV_SEND_SIZE_VER0		56
#define ZCDEV_REAP_SIZE_VER0		48
#define ZCDEV_SEND_RING_SIZE_VER0	40
#define ZCDEV_EXPORT_SIZE_VER0		16
#define ZCDEV_IMPORT_SIZE_VER0		32

/* First published array element sizes. */
#define ZCDEV_DMA_SEG_SIZE_VER0		16
#define ZCDEV_DMA_SEG_DESC_SIZE_VER0	64
#define ZCDEV_DMA_CHAN_STATS_SIZE_VER0	112
#define ZCDEV_SEND_COMPLETION_SIZE_VER0	32
#define ZCDEV_SEND_COMPLETION_SIZE_VER1	40	/* ABI 3: last_id */

#endif /* _UAPI_LINUX_ZCDEV_H */
