// SPDX-License-Identifier: GPL-2.0
/*
 * splice(2) from /dev/zcdev, and so sendfile(2) through the generic path:
 * a PAGES buffer's pages go into the pipe by reference, never copied. The
 * pipe holds its own page references, so the bytes stay valid after the
 * buffer is freed, but not unchanged: like vmsplice, the pages are shared.
 * COHERENT buffers have no refcounted tail pages and are copied instead,
 * and so are imported ones (through ->read_iter and the exporter's vmap):
 * their pages are the exporter's, whose lifetime no page reference decides.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pipe_fs_i.h>
#include <linux/splice.h>

#include <linux/zcdev.h>
#include "compat.h"
#include "zcdev.h"

ssize_t zcdev_splice_read(struct file *in, loff_t *ppos,
			  struct pipe_inode_info *pipe, size_t len,
			  unsigned int flags)
{
	struct zcdev_file *zf = in->private_data;
	struct zcdev_buf *buf;
	ssize_t ret = 0, added;
	u64 off;

	buf = zcdev_buf_get_by_offset(zf, *ppos);
	if (!buf)
		return zcdev_refuse("splice", -ENXIO, "no_buffer", *ppos);
	off = *ppos - buf->offset;
	if (buf->kind != ZCDEV_BUF_PAGES) {
		zcdev_buf_put(buf);
		return zcdev_copy_splice_read(in, ppos, pipe, len, flags);
	}

	len = min_t(u64, len, buf->len - off);
	while (len) {
		size_t in_page = offset_in_page(off);
		struct pipe_buffer pbuf = {
			.ops	= &nosteal_pipe_buf_ops,
			.page	= buf->pages[off >> PAGE_SHIFT],
			.offset	= in_page,
			.len	= min_t(size_t, len, PAGE_SIZE - in_page),
		};

		get_page(pbuf.page);
		/* Releases the page itself if the pipe is full or gone. */
		added = add_to_pipe(pipe, &pbuf);
		if (added < 0) {
			if (!ret)
				ret = added;
			break;
		}
		off += added;
		len -= added;
		ret += added;
	}
	if (ret > 0)
		*ppos += ret;
	zcdev_buf_put(buf);
	return ret;
}
