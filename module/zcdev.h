/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zcdev internal interfaces: the buffer object, the per-open-file context
 * and the module-wide limits. Userspace sees none of this; its contract is
 * uapi/linux/zcdev.h.
 */
#ifndef _ZCDEV_H
#define _ZCDEV_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/mm_types.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/types.h>
#include <linux/uio.h>
#include <linux/xarray.h>

/*
 * Each buffer owns a 64 GiB window of its file's offset space, named by its
 * handle, so an offset finds its buffer without a search. Handles stay below
 * 2^26 so every window ends below 2^62, well inside loff_t.
 */
#define ZCDEV_OFFSET_SHIFT	36
#define ZCDEV_MAX_HANDLE	GENMASK(25, 0)
#define ZCDEV_WINDOW_BYTES	BIT_ULL(ZCDEV_OFFSET_SHIFT)

/* Module parameters (main.c); read-only after load. */
extern unsigned long zcdev_max_buf_bytes;
extern unsigned long zcdev_max_file_bytes;
extern unsigned long zcdev_max_total_bytes;

/* Bytes held by all buffers of all files, until each buffer is destroyed. */
extern atomic64_t zcdev_total_bytes;

/* Work that must sleep after an atomic-context event; drained at unload. */
extern struct workqueue_struct *zcdev_wq;

struct zcdev_dma_chan;
struct zcdev_dmabuf_import;
struct dma_buf;

/**
 * struct zcdev_file - one open file of /dev/zcdev
 * @ref: held by the open file and by every buffer it created, so buffers
 *	that outlive close() (through a mapping) can still uncharge it
 * @bufs: handle -> struct zcdev_buf; each entry holds a buffer reference.
 *	The xarray's own lock guards insertion, removal and lookup-then-get.
 * @next_handle: where the cyclic handle search resumes; guarded by the
 *	xarray's lock (xa_alloc_cyclic takes it)
 * @bytes: bytes held by buffers this file created and that still exist
 * @wq: the file's one wait queue, initialised with the file: woken by
 *	dma.c when a transfer's cleanup is done and by sock.c when a send
 *	completes; waited on by DMA_WAIT, SEND_REAP and poll() (main.c)
 * @xfer_lock: guards @xfers, @nr_xfers, @next_xfer_id and the finished
 *	state of every transfer on @xfers
 * @xfers: DMA transfers submitted and not yet reaped, in submission order
 * @nr_xfers: length of @xfers, bounded by dma_queue_depth
 * @next_xfer_id: id of the next transfer (ids start at 1)
 * @dma_chan: the channel (dma.c) that carries all of this file's transfers,
 *	so they run in submission order; set once, at the first submission
 * @dma_queue: this file's transfers waiting for @dma_chan's engine, oldest
 *	first (the channel's lock)
 * @dma_turn: on @dma_chan's round-robin list while @dma_queue is not
 *	empty (the channel's lock)
 * @send_lock: guards @sends_done, @nr_sends_pending, @nr_sends_done,
 *	@next_send_id, @released and @send_tail; taken in send completions (any context)
 * @sends_done: completed sends waiting to be reaped, oldest first
 * @nr_sends_pending: sends the stack still holds pages of
 * @nr_sends_done: length of @sends_done
 * @next_send_id: id of the next send (ids start at 1)
 * @released: the file is closed; later completions are dropped
 * @send_tail: the file's latest accepted send until it completes: the
 *	one a ZCDEV_SEND_COALESCE send may join (send_lock)
 * @send_ring: the completion ring (send_ring.c), set once by
 *	ZCDEV_IOC_SEND_RING and freed at release (send_lock; read without it
 *	by mmap and poll, which cannot race with release)
 * @reap_from_list: completions the current SEND_REAP took from
 *	@sends_done; the rest came from @send_ring from @reap_ring_head on
 *	(both under @reap_lock)
 * @reap_ring_head: see @reap_from_list
 * @reap_lock: one SEND_REAP at a time between taking completions and
 *	delivering them, so two reapers never get the same completion
 * @import_lock: one ZCDEV_IOC_IMPORT at a time, from the check that the
 *	dma-buf is not imported yet to its handle's insertion (EEXIST)
 */
struct zcdev_file {
	struct kref ref;
	struct xarray bufs;
	u32 next_handle;
	atomic64_t bytes;
	wait_queue_head_t wq;
	spinlock_t xfer_lock; /* see @xfer_lock above */
	struct list_head xfers;
	unsigned int nr_xfers;
	u64 next_xfer_id;
	struct zcdev_dma_chan *dma_chan;
	struct list_head dma_queue;
	struct list_head dma_turn;
	spinlock_t send_lock; /* see @send_lock above */
	struct list_head sends_done;
	unsigned int nr_sends_pending;
	unsigned int nr_sends_done;
	u64 next_send_id;
	bool released;
	struct zcdev_send_ctx *send_tail;
	struct zcdev_send_ring_k *send_ring;
	unsigned int reap_from_list;
	u32 reap_ring_head;
	struct mutex reap_lock; /* see @reap_lock above */
	struct mutex import_lock; /* see @import_lock above */
};

/**
 * struct zcdev_buf - a buffer userspace can map, read, write and DMA into
 * @ref: held by the handle table, every mapping (vma) and every in-kernel
 *	user; the memory is released with the last reference
 * @owner: file that created the buffer, charged for its bytes
 * @kind: ZCDEV_BUF_COHERENT, ZCDEV_BUF_PAGES or ZCDEV_BUF_DMABUF
 * @handle: name in @owner's handle table (stale once freed)
 * @offset: start of the buffer's window in @owner's offset space
 * @len: length in bytes, a multiple of PAGE_SIZE
 * @nr_pages: @len >> PAGE_SHIFT
 * @dma_dev: device the memory is allocated and DMA-mapped for (DMABUF:
 *	the device zcdev attached to the dma-buf with)
 * @cpu_addr: COHERENT: kernel address of the block
 * @dma_addr: COHERENT: bus address of the block for @dma_dev
 * @pages: PAGES: one refcounted order-0 page per PAGE_SIZE
 * @sgt: PAGES: @pages as a scatterlist, DMA-mapped for @dma_dev run by run
 * @need_sync: PAGES: @dma_dev needs cache maintenance (dma_need_sync())
 * @import: DMABUF: the dma-buf, its attachment and mapping (dmabuf.c)
 * @exported: COHERENT, PAGES: the dma-buf exported from this buffer, or
 *	NULL; set by the first ZCDEV_IOC_EXPORT, which gives the handle a
 *	dma-buf reference, cleared (and the reference dropped) when the
 *	handle goes; guarded by zcdev_export_lock (dmabuf.c)
 * @destroy_work: frees the memory when the last put came in atomic context
 *	(the network stack drops send references from softirq)
 *
 * Immutable after creation except @exported, so readers need only a
 * reference.
 */
struct zcdev_buf {
	struct kref ref;
	struct zcdev_file *owner;
	u32 kind;
	u32 handle;
	loff_t offset;
	size_t len;
	unsigned long nr_pages;
	struct device *dma_dev;
	void *cpu_addr;
	dma_addr_t dma_addr;
	struct page **pages;
	struct sg_table sgt;
	bool need_sync;
	struct zcdev_dmabuf_import *import;
	struct dma_buf *exported;
	struct work_struct destroy_work;
};

/* main.c: queue depths, 1..65536 (a depth of 0 would refuse everything). */
extern const struct kernel_param_ops zcdev_queue_depth_ops;

/* trace.c: emit the zcdev_refuse trace event and return @err. */
int zcdev_refuse(const char *op, int err, const char *reason, u64 value);

/* fault.c */
void zcdev_fault_init(void);
void zcdev_fault_exit(void);
bool zcdev_should_fail(void);
unsigned int zcdev_issue_delay_us(void);

/* dma.c */
int zcdev_dma_init(void);
void zcdev_dma_exit(void);
struct device *zcdev_dma_device(void);
bool zcdev_dma_available(void);
void zcdev_dma_file_init(struct zcdev_file *zf);
void zcdev_dma_file_release(struct zcdev_file *zf);
__poll_t zcdev_dma_poll(struct zcdev_file *zf);
struct zcdev_dma_submit;
struct zcdev_dma_seg_desc;
struct zcdev_dma_wait;
struct zcdev_dma_stats;
struct zcdev_dma_chan_stats;
int zcdev_dma_submit(struct zcdev_file *zf, struct zcdev_dma_submit *arg,
		     struct zcdev_dma_seg_desc *segs);
int zcdev_dma_wait(struct zcdev_file *zf, struct zcdev_dma_wait *arg);
int zcdev_dma_cancel(struct zcdev_file *zf, u64 id, bool all,
		     u32 *cancelled);
/* Most channels zcdev takes (of one DMA device). */
#define ZCDEV_DMA_MAX_CHANS	32
int zcdev_dma_stats(struct zcdev_dma_stats *arg,
		    struct zcdev_dma_chan_stats *chans, unsigned int max);

/* buf.c */
size_t zcdev_max_coherent_bytes(void);
struct zcdev_file *zcdev_file_create(void);
void zcdev_file_put(struct zcdev_file *zf);
typedef bool (*zcdev_wake_t)(struct zcdev_file *zf, const void *key);
int zcdev_file_wait(struct zcdev_file *zf, zcdev_wake_t ready,
		    const void *key, u64 deadline_ns);
void zcdev_file_release_bufs(struct zcdev_file *zf);
struct zcdev_buf *zcdev_buf_create(struct zcdev_file *zf, u32 kind, u64 len,
				   struct device *dma_dev);
struct zcdev_buf *zcdev_buf_create_import(struct zcdev_file *zf, u64 len,
					  struct device *dma_dev,
					  struct zcdev_dmabuf_import *import);
int zcdev_buf_free(struct zcdev_file *zf, u32 handle);
struct zcdev_buf *zcdev_buf_get(struct zcdev_file *zf, u32 handle);
struct zcdev_buf *zcdev_buf_get_by_offset(struct zcdev_file *zf, loff_t pos);
void zcdev_buf_put(struct zcdev_buf *buf);
unsigned int zcdev_buf_nr_segs(struct zcdev_buf *buf);
struct zcdev_dma_seg;
void zcdev_buf_dma_segs(struct zcdev_buf *buf, struct zcdev_dma_seg *segs,
			unsigned int max);
int zcdev_buf_sync(struct zcdev_buf *buf, u64 offset, u64 len, bool for_cpu);
void zcdev_buf_sync_range(struct zcdev_buf *buf, u64 offset, u64 len,
			  bool for_cpu);

/* dmabuf.c */
struct dma_buf *zcdev_export(struct zcdev_file *zf, u32 handle, bool rdwr);
void zcdev_export_forget(struct zcdev_buf *buf);
struct zcdev_buf *zcdev_import(struct zcdev_file *zf, int fd, u64 len,
			       struct device *dma_dev);
void zcdev_import_release(struct zcdev_dmabuf_import *import);
struct dma_buf *zcdev_import_dmabuf(const struct zcdev_buf *buf);
struct zcdev_buf *zcdev_import_exported_buf(const struct zcdev_buf *buf);
struct sg_table *zcdev_import_map(struct zcdev_buf *buf);
void zcdev_import_unmap(struct zcdev_buf *buf);
unsigned int zcdev_import_dma_segs(struct zcdev_buf *buf,
				   struct zcdev_dma_seg *segs,
				   unsigned int max);
int zcdev_import_sync(struct zcdev_buf *buf, bool for_cpu);
void *zcdev_import_cpu_begin(struct zcdev_buf *buf, bool is_read);
void zcdev_import_cpu_end(struct zcdev_buf *buf, bool is_read, void *vaddr);
int zcdev_import_mmap(struct zcdev_buf *buf, struct vm_area_struct *vma,
		      unsigned long pgoff);
u32 zcdev_buf_dmabuf_state(struct zcdev_buf *buf, char *exporter,
			   size_t size);

/* sock.c */
struct zcdev_send;
struct zcdev_send_completion;
void zcdev_sock_file_init(struct zcdev_file *zf);
void zcdev_sock_file_release(struct zcdev_file *zf);
__poll_t zcdev_sock_poll(struct zcdev_file *zf);
int zcdev_send(struct zcdev_file *zf, struct zcdev_send *arg);
int zcdev_send_reap_begin(struct zcdev_file *zf, u64 deadline_ns,
			  struct zcdev_send_completion *out, unsigned int max,
			  u32 *nr, u64 *pending);
void zcdev_send_reap_end(struct zcdev_file *zf, unsigned int delivered);
struct zcdev_send_ring_k;
struct zcdev_send_ring_k *zcdev_sock_ring(struct zcdev_file *zf);
int zcdev_sock_attach_ring(struct zcdev_file *zf,
			   struct zcdev_send_ring_k *ring);

/* send_ring.c */
struct zcdev_send_ring;
int zcdev_send_ring_setup(struct zcdev_file *zf, struct zcdev_send_ring *arg);
int zcdev_send_ring_mmap(struct zcdev_file *zf, struct vm_area_struct *vma);
void zcdev_send_ring_free(struct zcdev_send_ring_k *ring);
u32 zcdev_send_ring_entries(const struct zcdev_send_ring_k *ring);
u32 zcdev_send_ring_used(const struct zcdev_send_ring_k *ring);
bool zcdev_send_ring_ready(const struct zcdev_send_ring_k *ring);
bool zcdev_send_ring_push(struct zcdev_send_ring_k *ring,
			  const struct zcdev_send_completion *c);
unsigned int zcdev_send_ring_peek(const struct zcdev_send_ring_k *ring,
				  u32 head, struct zcdev_send_completion *out,
				  unsigned int max);
u32 zcdev_send_ring_head(const struct zcdev_send_ring_k *ring);
void zcdev_send_ring_consume(struct zcdev_send_ring_k *ring, u32 head);

/* splice.c */
ssize_t zcdev_splice_read(struct file *in, loff_t *ppos,
			  struct pipe_inode_info *pipe, size_t len,
			  unsigned int flags);

/* mmap.c */
int zcdev_mmap(struct file *file, struct vm_area_struct *vma);
int zcdev_mmap_exported(struct zcdev_buf *buf, struct vm_area_struct *vma);

/* rw.c */
ssize_t zcdev_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t zcdev_write_iter(struct kiocb *iocb, struct iov_iter *from);

/* ioctl.c */
long zcdev_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#endif /* _ZCDEV_H */
