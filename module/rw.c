// SPDX-License-Identifier: GPL-2.0
/*
 * read/write (and pread, pwrite, readv, writev) on the file's offset space,
 * so dd and other ordinary tools can fill and inspect a buffer. An access
 * starting inside a buffer is clamped at its end; one starting in no buffer
 * gets ENXIO, and a write at the very end ENOSPC, as a full device would.
 * An imported buffer is reached through its exporter's vmap, inside a CPU
 * access bracket that first waits for the dma-buf's fences.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/sched/signal.h>
#include <linux/uio.h>

#include <linux/zcdev.h>
#include "zcdev.h"

/*
 * Move buf[off, off + count) to or from @iter, the buffer's bytes at
 * @vaddr if it has a kernel mapping; returns bytes moved.
 */
static size_t zcdev_copy(struct zcdev_buf *buf, void *vaddr, u64 off,
			 size_t count, struct iov_iter *iter, bool to_iter)
{
	size_t done = 0;

	while (done < count) {
		u64 pos = off + done;
		size_t chunk, moved;

		if (vaddr) {
			/* One block, but chunked so signals are noticed. */
			void *kaddr = vaddr + pos;

			chunk = min_t(size_t, count - done, SZ_1M);
			moved = to_iter ? copy_to_iter(kaddr, chunk, iter) :
					  copy_from_iter(kaddr, chunk, iter);
		} else {
			struct page *page = buf->pages[pos >> PAGE_SHIFT];
			size_t in_page = offset_in_page(pos);

			chunk = min_t(size_t, count - done, PAGE_SIZE - in_page);
			moved = to_iter ?
				copy_page_to_iter(page, in_page, chunk, iter) :
				copy_page_from_iter(page, in_page, chunk, iter);
		}
		done += moved;
		if (moved < chunk || fatal_signal_pending(current))
			break;
		cond_resched();
	}
	return done;
}

static ssize_t zcdev_rw(struct kiocb *iocb, struct iov_iter *iter,
			bool is_read)
{
	struct zcdev_file *zf = iocb->ki_filp->private_data;
	size_t count = iov_iter_count(iter);
	struct zcdev_buf *buf;
	void *vaddr = NULL;
	ssize_t ret;
	size_t done;
	u64 off;

	buf = zcdev_buf_get_by_offset(zf, iocb->ki_pos);
	if (!buf)
		return zcdev_refuse(is_read ? "read" : "write", -ENXIO,
				    "no_buffer", iocb->ki_pos);
	off = iocb->ki_pos - buf->offset;
	if (off == buf->len) {
		ret = is_read ? 0 : zcdev_refuse("write", -ENOSPC,
						 "buffer_end", iocb->ki_pos);
		goto out;
	}
	count = min_t(u64, count, buf->len - off);
	if (!count) {
		ret = 0;
		goto out;
	}
	if (buf->kind == ZCDEV_BUF_COHERENT)
		vaddr = buf->cpu_addr;
	if (buf->kind == ZCDEV_BUF_DMABUF) {
		vaddr = zcdev_import_cpu_begin(buf, is_read);
		if (IS_ERR(vaddr)) {
			ret = PTR_ERR(vaddr);
			goto out;
		}
	}
	done = zcdev_copy(buf, vaddr, off, count, iter, is_read);
	if (buf->kind == ZCDEV_BUF_DMABUF)
		zcdev_import_cpu_end(buf, is_read, vaddr);
	if (!done) {
		ret = fatal_signal_pending(current) ? -EINTR : -EFAULT;
		goto out;
	}
	iocb->ki_pos += done;
	ret = done;
out:
	zcdev_buf_put(buf);
	return ret;
}

ssize_t zcdev_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	return zcdev_rw(iocb, to, true);
}

ssize_t zcdev_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	return zcdev_rw(iocb, from, false);
}
