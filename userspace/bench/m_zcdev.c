// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev buffer -> TCP socket: the module's own zero-copy send
 * (ZCDEV_IOC_SEND, completions with ZCDEV_COMPL_COPIED) and sendfile(2)
 * from /dev/zcdev (splice_read hands page references of PAGES buffers).
 *
 * The buffer is a PAGES buffer loaded with the file outside the clock:
 * the "data already in device-visible memory" case (a DMA engine or a
 * NIC filled it), which is what the module is for. Its peers are the
 * methods that send already-loaded user memory: msgzc and
 * io_uring send_zc (fixed). Like MSG_ZEROCOPY's, consecutive sends share
 * a completion while the stack still holds the previous one
 * (ZCDEV_SEND_COALESCE, where the module has it), and completions are
 * read from the file's completion ring without a system call
 * (ZCDEV_IOC_SEND_RING), SEND_REAP only to wait.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "zcbench.h"

#define REAP_MAX	64
#define REAP_WAIT_NS	(20LL * 1000000000LL)

struct zcdev_priv {
	int fd;
	struct zc_buf buf;
	bool coalesce;	/* ZCDEV_SEND_COALESCE: sends share completions */
	struct zc_send_ring ring;	/* .map NULL: reap with SEND_REAP */
};

/* The module's default send_queue_depth: the ring never limits more. */
#define RING_ENTRIES	1024

static inline size_t chunk(const struct run *r, uint64_t off)
{
	uint64_t left = r->size - off;

	return left < r->bufsize ? left : r->bufsize;
}

/* Opens the module, checks @feat, makes a PAGES buffer holding the file. */
static int zcdev_setup(struct run *r, uint64_t feat, const char *what)
{
	struct zcdev_priv *z = calloc(1, sizeof(*z));
	struct zcdev_info info;
	void *map;
	int err;

	if (!z)
		return -ENOMEM;
	z->fd = zc_open();
	r->priv = z;
	if (z->fd < 0)
		return zb_unavail(r, "no %s: %s (module not loaded)", zc_dev_path(),
				  strerror(-z->fd));
	err = zc_info(z->fd, &info);
	if (err)
		return zb_unavail(r, "ZCDEV_IOC_INFO: %s", strerror(-err));
	if ((info.features & feat) != feat)
		return zb_unavail(r, "module without %s (features 0x%llx)", what,
				  (unsigned long long)info.features);
	/* The sends walk the buffer: each continues the one before. */
	z->coalesce = info.features & ZCDEV_FEAT_SEND_COALESCE;
	/* Completions by loads where the module has a ring; else SEND_REAP. */
	if ((info.features & ZCDEV_FEAT_SEND_RING) &&
	    zc_send_ring_open(z->fd, RING_ENTRIES, &z->ring))
		memset(&z->ring, 0, sizeof(z->ring));
	err = zc_alloc(z->fd, ZCDEV_BUF_PAGES, r->size, &z->buf);
	if (err)
		return zb_unavail(r, "PAGES buffer of %llu bytes: %s",
				  (unsigned long long)r->size, zc_errname(err));
	err = zc_map(z->fd, &z->buf, 0, r->size, PROT_READ | PROT_WRITE, &map);
	if (err)
		return zb_fail(r, "mmap buffer: %s", zc_errname(err));
	if (pread(r->src_fd, map, r->size, 0) != (ssize_t)r->size)
		err = zb_fail(r, "load buffer: %s", strerror(errno));
	zc_unmap(map, r->size);
	if (!err)
		err = zc_sync(z->fd, z->buf.handle, ZCDEV_SYNC_FOR_DEVICE, 0, r->size);
	return err;
}

static int send_setup(struct run *r)
{
	return zcdev_setup(r, ZCDEV_FEAT_PAGES | ZCDEV_FEAT_SEND, "ZCDEV_IOC_SEND");
}

static int sendfile_setup(struct run *r)
{
	return zcdev_setup(r, ZCDEV_FEAT_PAGES | ZCDEV_FEAT_SEND, "splice_read");
}

static void zcdev_teardown(struct run *r)
{
	struct zcdev_priv *z = r->priv;

	if (!z)
		return;
	zc_send_ring_close(&z->ring);
	if (z->fd >= 0)
		close(z->fd);	/* frees the buffer with the file */
	free(z);
	r->priv = NULL;
}

/*
 * Waits up to @wait_ns for a first completion (0: only what is there).
 * Returns the sends the reaped completions cover.
 */
static int reap(struct run *r, struct zcdev_priv *z, int64_t wait_ns,
		uint64_t *pending)
{
	struct zcdev_send_completion c[REAP_MAX];
	int n = 0, i, sends = 0;

	if (z->ring.map)
		n = (int)zc_send_ring_reap(&z->ring, c, REAP_MAX);
	/* The system call only to wait, or without a ring. */
	if (!n && (wait_ns || !z->ring.map)) {
		sc_count(r, 1);
		n = zc_send_reap(z->fd, c, REAP_MAX,
				 zc_deadline_after_ns(wait_ns), pending);
		if (n < 0)
			return zb_fail(r, "ZCDEV_IOC_SEND_REAP: %s",
				       zc_errname(n));
	}
	for (i = 0; i < n; i++) {
		if (c[i].flags & ZCDEV_COMPL_COPIED) {
			r->cnt.copied_bytes += c[i].bytes;
			r->cnt.copied_compls++;
		} else {
			r->cnt.zc_bytes += c[i].bytes;
			r->cnt.zc_compls++;
		}
		sends += (int)zc_compl_sends(&c[i]);
	}
	return sends;
}

static int zsend_xfer(struct run *r)
{
	struct zcdev_priv *z = r->priv;
	uint64_t off = 0, id, pending = 0, reaped = 0;
	uint32_t flags = z->coalesce ? ZCDEV_SEND_COALESCE : 0;
	ssize_t n;
	int err;

	while (off < r->size) {
		sc_count(r, 1);
		n = zc_send(z->fd, r->sock[0], z->buf.handle, off, chunk(r, off),
			    flags, off, &id);
		if (n == -EBUSY) {
			/* send_queue_depth completions unreaped: make room. */
			err = reap(r, z, REAP_WAIT_NS, &pending);
			if (err < 0)
				return err;
			reaped += err;
			continue;
		}
		if (n <= 0)
			return zb_fail(r, "ZCDEV_IOC_SEND: %s",
				       n ? zc_errname(n) : "nothing sent");
		r->cnt.sends++;
		off += n;
		/* Opportunistic, like msgzc: keep the completion queue short. */
		if (!(r->cnt.sends % 32)) {
			err = reap(r, z, 0, &pending);
			if (err < 0)
				return err;
			reaped += err;
		}
	}
	/* The pages are the buffer's again only when every send completed. */
	while (reaped < r->cnt.sends) {
		err = reap(r, z, REAP_WAIT_NS, &pending);
		if (err < 0)
			return err;
		if (!err)
			return zb_fail(r, "zcdev: %llu of %llu sends never completed",
				       (unsigned long long)(r->cnt.sends - reaped),
				       (unsigned long long)r->cnt.sends);
		reaped += err;
	}
	return 0;
}

static int zsendfile_xfer(struct run *r)
{
	struct zcdev_priv *z = r->priv;
	off_t off = (off_t)z->buf.offset, end = off + (off_t)r->size;
	ssize_t n;

	while (off < end) {
		sc_count(r, 1);
		n = sendfile(r->sock[0], z->fd, &off,
			     chunk(r, off - (off_t)z->buf.offset));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return zb_fail(r, "sendfile from %s: %s", zc_dev_path(),
				       n ? strerror(errno) : "nothing sent");
	}
	return 0;
}

static const struct method zcdev_send = {
	.name = "zcdev_send", .workload = "file2sock",
	.desc = "ZCDEV_IOC_SEND (COALESCE) of a PAGES buffer, --bufsize per send; completions from the mapped ring (SEND_REAP to wait)",
	.source = "zcdev PAGES buffer (file loaded once)",
	.needs = NEED_SOCK | NEED_ZCDEV | NEED_ZC_SEND, .receivers = 1, .zc = true,
	.events = ZEV_SEND_COMPLETE, .setup = send_setup, .xfer = zsend_xfer, .teardown = zcdev_teardown,
};

static const struct method zcdev_sendfile = {
	.name = "zcdev_sendfile", .workload = "file2sock",
	.desc = "sendfile() from /dev/zcdev (PAGES buffer: page references)",
	.source = "zcdev PAGES buffer (file loaded once)",
	.needs = NEED_SOCK | NEED_ZCDEV, .receivers = 1,
	.setup = sendfile_setup, .xfer = zsendfile_xfer, .teardown = zcdev_teardown,
};

const struct method *const m_zcdev[] = { &zcdev_send, &zcdev_sendfile, NULL };
