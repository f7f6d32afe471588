/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libzc - thin userspace wrappers over /dev/zcdev (uapi/linux/zcdev.h).
 *
 * Every function that can fail returns 0 (or a count) on success and
 * -errno on failure; nothing here prints or exits, so the tools and the
 * selftests decide how to report. A call that a signal interrupts before
 * it did anything is repeated (open, read, write, every ioctl but the two
 * waits); zc_dma_wait() and zc_send_reap() return -EINTR instead, see there.
 *
 * Offsets come in two flavours and the names say which:
 *  - "file offset": a position in the fd's offset space, as pread(),
 *    pwrite() and mmap() take it (struct zc_buf.offset + relative offset);
 *  - "buffer offset" (off): a position relative to the buffer's first byte.
 */
#ifndef LIBZC_H
#define LIBZC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <linux/zcdev.h>

/* Device node; the environment variable ZCDEV_DEV overrides it. */
#define ZC_DEV_PATH		"/dev/zcdev"
#define ZC_DEV_ENV		"ZCDEV_DEV"

/**
 * struct zc_buf - what userspace needs to reach one buffer
 * @handle: the buffer's handle in the fd it was allocated on
 * @kind: ZCDEV_BUF_*
 * @len: length in bytes, after the module rounded it up to a page
 * @offset: file offset of the buffer's first byte
 */
struct zc_buf {
	uint32_t handle;
	uint32_t kind;
	uint64_t len;
	uint64_t offset;
};

/* ---- device (libzc.c) ---- */

/* The path zc_open() uses: $ZCDEV_DEV if set and non-empty, else ZC_DEV_PATH. */
const char *zc_dev_path(void);
/* Returns an O_RDWR|O_CLOEXEC fd of zc_dev_path(), or -errno. */
int zc_open(void);

int zc_info(int fd, struct zcdev_info *info);
int zc_alloc(int fd, uint32_t kind, uint64_t len, struct zc_buf *buf);
int zc_free(int fd, uint32_t handle);
/*
 * Describes @handle in @buf and, if @nr_segs is not NULL, the number of
 * DMA segments. With @segs_cap > 0 also copies up to @segs_cap segments to
 * @segs, which needs CAP_SYS_ADMIN (-EPERM otherwise).
 */
int zc_query(int fd, uint32_t handle, struct zc_buf *buf, uint32_t *nr_segs,
	     struct zcdev_dma_seg *segs, uint32_t segs_cap);
/*
 * The dma-buf state of @handle: ZCDEV_QUERY_EXPORTED / ZCDEV_QUERY_IMPORTED
 * into *@dmabuf, and for an import its exporter's name (dma_buf exp_name,
 * e.g. "zcdev", "drm") into @exporter (NUL-terminated; "" otherwise).
 * @exporter may be NULL; @exporter_len is its size.
 */
int zc_query_dmabuf(int fd, uint32_t handle, uint32_t *dmabuf, char *exporter,
		    size_t exporter_len);
/* @flags: ZCDEV_SYNC_FOR_CPU or ZCDEV_SYNC_FOR_DEVICE; @off is a buffer offset. */
int zc_sync(int fd, uint32_t handle, uint32_t flags, uint64_t off, uint64_t len);

/*
 * Maps [@off, @off + @len) of @buf (buffer offsets; @len 0 means "to the
 * end") MAP_SHARED with @prot. @off need not be page aligned: the mapping
 * starts at the page below and *@addr points at byte @off. Release it with
 * zc_unmap(*@addr, @len) using the same @len (0 is not accepted there).
 */
int zc_map(int fd, const struct zc_buf *buf, uint64_t off, uint64_t len,
	   int prot, void **addr);
int zc_unmap(void *addr, uint64_t len);

/* ---- dma-buf (libzc.c): ZCDEV_IOC_EXPORT, ZCDEV_IOC_IMPORT ---- */

/*
 * Buffer @handle as a dma-buf: returns a new fd of it, or -errno. @flags:
 * ZCDEV_EXPORT_CLOEXEC, ZCDEV_EXPORT_RDWR (the fd may be mapped writable).
 * While the buffer's dma-buf has an fd open, another export is another fd
 * of it, with its mode: RDWR of one first exported read-only is -EINVAL.
 * The dma-buf keeps the buffer after zc_free(), unmap and close of @fd;
 * close() every fd of it (and free the handle) to let the memory go.
 */
int zc_export(int fd, uint32_t handle, uint32_t flags);
/*
 * The dma-buf at @dmabuf_fd (another driver's, or a zcdev export) as a
 * buffer of @fd: its first @len bytes, 0 for all of it. *@buf receives the
 * handle, kind ZCDEV_BUF_DMABUF, length and file offset; the import holds
 * the dma-buf, so @dmabuf_fd may be closed afterwards. -EEXIST if @fd
 * already holds that dma-buf.
 */
int zc_import(int fd, int dmabuf_fd, uint64_t len, struct zc_buf *buf);

/* ---- processes (libzc.c) ---- */

/*
 * Wait up to @wait_ms for @pid to have a TCP socket listening on @port in
 * its network namespace (/proc/PID/net/tcp, state 0A), polling every
 * 10 ms. False at once if the process is gone.
 */
bool zc_tcp_listening(pid_t pid, int port, unsigned int wait_ms);

/* ---- whole transfers (libzc.c) ---- */

/* The system call zc_io() and zc_io_full() make. */
enum zc_io_op {
	ZC_IO_READ,	/* read(2); the file offset is not used */
	ZC_IO_WRITE,	/* write(2); the file offset is not used */
	ZC_IO_PREAD,	/* pread(2) at the file offset */
	ZC_IO_PWRITE,	/* pwrite(2) at the file offset */
};

/*
 * One @op call of up to @len bytes at @buf, repeated while it fails with
 * EINTR. Returns the call's result, or -errno. For the write kinds @buf is
 * only read. *@calls (may be NULL) grows by every system call made,
 * repeats included, for callers that count their system calls.
 */
ssize_t zc_io(int fd, enum zc_io_op op, void *buf, size_t len,
	      uint64_t file_off, uint64_t *calls);
/*
 * zc_io() until all @len bytes moved: a short transfer (a pipe, a stream
 * socket, a signal after progress) is continued at @buf + done and
 * @file_off + done. Returns @len; fewer only if a call moved nothing (the
 * file ended, or took no more); -errno if a call failed, even after
 * progress.
 */
ssize_t zc_io_full(int fd, enum zc_io_op op, void *buf, size_t len,
		   uint64_t file_off, uint64_t *calls);

static inline ssize_t zc_read_full(int fd, void *dst, size_t len)
{
	return zc_io_full(fd, ZC_IO_READ, dst, len, 0, NULL);
}

static inline ssize_t zc_write_full(int fd, const void *src, size_t len)
{
	return zc_io_full(fd, ZC_IO_WRITE, (void *)src, len, 0, NULL);
}

/* At a file offset of the device: struct zc_buf.offset + buffer offset. */
static inline ssize_t zc_pread_full(int fd, void *dst, size_t len,
				    uint64_t file_off)
{
	return zc_io_full(fd, ZC_IO_PREAD, dst, len, file_off, NULL);
}

static inline ssize_t zc_pwrite_full(int fd, const void *src, size_t len,
				     uint64_t file_off)
{
	return zc_io_full(fd, ZC_IO_PWRITE, (void *)src, len, file_off, NULL);
}

/* ---- DMA (libzc.c): ZCDEV_IOC_DMA_*, see the uapi header ---- */

/*
 * Deadline for zc_dma_wait() and zc_send_reap(): CLOCK_MONOTONIC now + @ns
 * in nanoseconds; 0 for @ns 0 (look once, never sleep), and
 * ZCDEV_DEADLINE_NEVER for a negative @ns (no limit). Compute it once per
 * wait and pass the same value again when repeating the call: that is
 * what keeps a wait interrupted by signals from growing.
 */
uint64_t zc_deadline_after_ns(int64_t ns);

/*
 * Starts one transfer of @nr_segs segments (1 .. ZCDEV_DMA_MAX_SEGS) and
 * returns at once; *@id receives its id for zc_dma_wait()/zc_dma_cancel().
 * A segment's flags and reserved fields must be zero: start from a zeroed
 * struct.
 */
int zc_dma_submit(int fd, const struct zcdev_dma_seg_desc *segs,
		  uint32_t nr_segs, uint64_t user_data, uint64_t *id);
/*
 * Waits for transfer @id (any with ZCDEV_DMA_WAIT_ANY) until @deadline_ns
 * (absolute, see zc_deadline_after_ns()) and reaps it into *@out (status,
 * error, bytes, engine_ns, user_data, id). A deadline that has passed, 0
 * included, looks once: -EAGAIN while the transfer runs. At the deadline
 * the module ends the transfer as ZCDEV_DMA_TIMEDOUT, which is a
 * successful wait; -ETIMEDOUT only with ZCDEV_DMA_WAIT_NOTERM (or
 * ZCDEV_DMA_WAIT_ANY), and the transfer runs on. A signal whose handler
 * has SA_RESTART does not end the wait (the kernel restarts it with the
 * same deadline); one without SA_RESTART ends it with -EINTR, nothing
 * reaped.
 */
int zc_dma_wait(int fd, uint64_t id, uint32_t flags, uint64_t deadline_ns,
		struct zcdev_dma_wait *out);
/* Stops @id (or all with ZCDEV_DMA_CANCEL_ALL); *@cancelled (may be NULL) counts them. */
int zc_dma_cancel(int fd, uint64_t id, uint32_t flags, uint32_t *cancelled);
/*
 * The module-wide counters into *@st (st->nr_channels: channels in use)
 * and the first min(st->nr_channels, @chans_cap) channels' own into
 * @chans (may be NULL with @chans_cap 0). A channel can appear between
 * two calls: size @chans from one call and trust min() of the next.
 * -ENODEV without a channel.
 */
int zc_dma_stats(int fd, struct zcdev_dma_stats *st,
		 struct zcdev_dma_chan_stats *chans, uint32_t chans_cap);
/*
 * zc_dma_stats() with every channel: *@chans receives a malloc()ed array
 * of *@nr_chans elements (NULL when there are none); free() it.
 */
int zc_dma_stats_all(int fd, struct zcdev_dma_stats *st,
		     struct zcdev_dma_chan_stats **chans, uint32_t *nr_chans);

/* ---- zero-copy send (libzc.c): ZCDEV_IOC_SEND, ZCDEV_IOC_SEND_REAP ---- */

/*
 * Sends [@off, @off + @len) of PAGES buffer @handle (buffer offsets) to
 * the connected socket @sock_fd with @flags (ZCDEV_SEND_*). Returns the
 * bytes the socket accepted (short like send(2)) and sets *@id: exactly one
 * completion will carry it. On -errno nothing was sent and no completion
 * follows.
 */
ssize_t zc_send(int fd, int sock_fd, uint32_t handle, uint64_t off,
		uint64_t len, uint32_t flags, uint64_t user_data, uint64_t *id);
/*
 * Collects up to @max completions into @c, oldest first; returns how many.
 * Waits for a first one until @deadline_ns (absolute, see
 * zc_deadline_after_ns()): 0 returns at once, ZCDEV_DEADLINE_NEVER waits
 * for at least one, and a deadline that passes returns 0. Signals as for
 * zc_dma_wait(): SA_RESTART keeps waiting, without it -EINTR and nothing
 * reaped. *@pending (may be NULL) receives the number of sends not yet
 * completed.
 */
int zc_send_reap(int fd, struct zcdev_send_completion *c, uint32_t max,
		 uint64_t deadline_ns, uint64_t *pending);
/*
 * Sends completion @c covers: ids c->id .. c->last_id with
 * ZCDEV_SEND_COALESCE (ABI 3), else 1 (a module before ABI 3 leaves
 * last_id 0).
 */
static inline uint64_t zc_compl_sends(const struct zcdev_send_completion *c)
{
	return c->last_id > c->id ? c->last_id - c->id + 1 : 1;
}

/* ---- the send completion ring (libzc.c): ZCDEV_IOC_SEND_RING ---- */

/* A file's completion ring as mapped here. */
struct zc_send_ring {
	void *map;
	size_t map_len;
	uint32_t *head;		/* ours to store */
	const uint32_t *tail;	/* the kernel's */
	const unsigned char *slots;
	uint32_t mask;
	uint32_t entry_size;
};

/*
 * Gives @fd a ring of @entries slots (a power of two) and maps it into
 * *@r. 0 or -errno (EBUSY: the file has one already).
 */
int zc_send_ring_open(int fd, uint32_t entries, struct zc_send_ring *r);
void zc_send_ring_close(struct zc_send_ring *r);

/*
 * Takes up to @max completions from the ring into @c, oldest first, with
 * loads and one store (no system call). Returns how many.
 */
static inline unsigned int zc_send_ring_reap(struct zc_send_ring *r,
					     struct zcdev_send_completion *c,
					     unsigned int max)
{
	uint32_t head = *r->head;
	uint32_t tail = __atomic_load_n(r->tail, __ATOMIC_ACQUIRE);
	size_t len = r->entry_size < sizeof(*c) ? r->entry_size : sizeof(*c);
	unsigned int n = 0;

	for (; head != tail && n < max; head++, n++) {
		memset(&c[n], 0, sizeof(*c));
		memcpy(&c[n], r->slots + (size_t)(head & r->mask) * r->entry_size,
		       len);
	}
	/* Release: our reads of the slots come before the kernel reuses them. */
	__atomic_store_n(r->head, head, __ATOMIC_RELEASE);
	return n;
}

/* ---- parsing and formatting shared by the tools (parse.c) ---- */

/*
 * "4096", "0x1000", "64K", "1M", "2G", "1MiB" (case-insensitive; K = 1024).
 * -EINVAL on junk, -ERANGE on overflow.
 */
int zc_parse_size(const char *s, uint64_t *out);
/* Plain non-negative integer, decimal or 0x-hex: seeds, counts. */
int zc_parse_u64(const char *s, uint64_t *out);
/* "coherent" or "pages" -> ZCDEV_BUF_*; -EINVAL otherwise. */
int zc_parse_kind(const char *s, uint32_t *kind);
/* ZCDEV_BUF_* -> "coherent"/"pages"/"dmabuf"/"unknown". */
const char *zc_kind_name(uint32_t kind);
/* "4 MiB", "12 KiB", "1000 bytes": exact, never rounded. Returns @out. */
char *zc_fmt_size(uint64_t bytes, char *out, size_t outlen);
#define ZC_FMT_SIZE_LEN		32
/* ZCDEV_DMA_DONE.. -> "DONE", "ERROR", "TIMEDOUT", "CANCELLED"; 0 "RUNNING". */
const char *zc_dma_status_name(uint32_t status);
/* "EFBIG" for EFBIG (sign ignored); "E<n>" for errnos it does not know. */
const char *zc_errname(int err);

/* ---- deterministic data pattern (pattern.c) ---- */

/*
 * The pattern is a pure function of (seed, buffer offset): any sub-range
 * can be filled or checked on its own, by any path (mapping, pread, dd),
 * and different seeds give different data at every 8-byte word.
 */
uint8_t zc_pattern_byte(uint64_t seed, uint64_t off);
/* Fills @len bytes at @dst with the pattern of buffer offsets [@off, @off + @len). */
void zc_pattern_fill(void *dst, size_t len, uint64_t seed, uint64_t off);
/*
 * Checks @len bytes at @src against the pattern for buffer offsets
 * starting at @off. Returns 0, or -EBADMSG with *@bad_off (if not NULL)
 * set to the buffer offset of the first mismatching byte.
 */
int zc_pattern_verify(const void *src, size_t len, uint64_t seed, uint64_t off,
		      uint64_t *bad_off);

#endif /* LIBZC_H */
