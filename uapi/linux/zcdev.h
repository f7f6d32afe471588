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
 * ZCDEV_IOC_FREE and after close().
 *
 * Every ioctl argument starts with __u32 size, the number of bytes the
 * caller passes (sizeof the struct it was compiled with). A shorter struct
 * than the current one is zero-extended, a longer one must have a zero tail
 * (else E2BIG); below the first version's size is EINVAL. Unknown flags and
 * non-zero reserved fields are EINVAL, unknown commands ENOTTY, unknown
 * handles ENOENT. Output is written back up to the caller's size.
 *
 * DMA addresses reach only callers with CAP_SYS_ADMIN (EPERM otherwise).
 */
#ifndef _UAPI_LINUX_ZCDEV_H
#define _UAPI_LINUX_ZCDEV_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define ZCDEV_ABI_VERSION	1
#define ZCDEV_IOC_MAGIC		0xB7

/* Buffer kinds (zcdev_alloc.kind, zcdev_query.kind). */
#define ZCDEV_BUF_COHERENT	1
#define ZCDEV_BUF_PAGES		2

/* zcdev_info.features: what this module build offers. */
#define ZCDEV_FEAT_COHERENT	0x1ULL
#define ZCDEV_FEAT_PAGES	0x2ULL

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
 * @file_bytes: bytes held now by this file (freed buffers still mapped count)
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
 * @segs_ptr: in: user pointer to struct zcdev_dma_seg[@segs_cap]; filled
 *	with min(@nr_segs, @segs_cap) entries
 * @reserved: zero
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
	__u64 reserved;
};

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
 * A no-op for coherent buffers; for ZCDEV_BUF_PAGES it syncs the streaming
 * mapping of every DMA segment the range touches.
 */
struct zcdev_sync {
	__u32 size;
	__u32 handle;
	__u32 flags;
	__u32 reserved;
	__u64 offset;
	__u64 len;
};

#define ZCDEV_IOC_INFO		_IO(ZCDEV_IOC_MAGIC, 0x00)
#define ZCDEV_IOC_ALLOC		_IO(ZCDEV_IOC_MAGIC, 0x01)
#define ZCDEV_IOC_FREE		_IO(ZCDEV_IOC_MAGIC, 0x02)
#define ZCDEV_IOC_QUERY		_IO(ZCDEV_IOC_MAGIC, 0x03)
#define ZCDEV_IOC_SYNC		_IO(ZCDEV_IOC_MAGIC, 0x04)

/* First published sizes: anything shorter is EINVAL. */
#define ZCDEV_INFO_SIZE_VER0	80
#define ZCDEV_ALLOC_SIZE_VER0	40
#define ZCDEV_FREE_SIZE_VER0	16
#define ZCDEV_QUERY_SIZE_VER0	56
#define ZCDEV_SYNC_SIZE_VER0	32

#endif /* _UAPI_LINUX_ZCDEV_H */
