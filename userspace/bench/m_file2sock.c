// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: file -> TCP socket, the classic ways (the web server case).
 *
 * The source file is in the page cache. Every method moves it in requests
 * of --bufsize bytes (a web server's loop), so "syscalls per request" is
 * comparable across methods: read+write needs two, sendfile one.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#include "zcbench.h"

static inline size_t chunk(const struct run *r, uint64_t off)
{
	uint64_t left = r->size - off;

	return left < r->bufsize ? left : r->bufsize;
}

/* ---- read + write: page cache -> user buffer -> socket ---- */

static int rw_setup(struct run *r)
{
	r->priv = zb_alloc(r->bufsize);
	/* Fault the buffer in once: a server reuses its buffer. */
	memset(r->priv, 0, r->bufsize);
	return 0;
}

static int rw_xfer(struct run *r)
{
	uint64_t off = 0;
	ssize_t n;
	int err;

	while (off < r->size) {
		n = sc_read(r, r->src_fd, r->priv, chunk(r, off));
		if (n <= 0)
			return n < 0 ? n : zb_fail(r, "source ended early");
		err = sc_write_all(r, r->sock[0], r->priv, n);
		if (err)
			return zb_fail(r, "write: %s", strerror(-err));
		off += n;
	}
	return 0;
}

static void free_priv(struct run *r)
{
	zb_free(r->priv, r->bufsize);
	r->priv = NULL;
}

static const struct method readwrite = {
	.name = "readwrite", .workload = "file2sock",
	.desc = "read() into a --bufsize user buffer, write() it to the socket",
	.source = "page cache", .needs = NEED_SOCK, .receivers = 1,
	.setup = rw_setup, .rep_setup = zb_rewind_source, .xfer = rw_xfer,
	.teardown = free_priv,
};

/* The source file mapped, a counted call; NULL with run->reason set. */
static char *map_source(struct run *r)
{
	char *p;

	sc_count(r, 1);
	p = mmap(NULL, r->size, PROT_READ, MAP_SHARED, r->src_fd, 0);
	if (p != MAP_FAILED)
		return p;
	zb_fail(r, "mmap: %s", strerror(errno));
	return NULL;
}

static void unmap_source(struct run *r, char *p)
{
	sc_count(r, 1);
	munmap(p, r->size);
}

/* ---- mmap + write: page cache mapped, socket copies from it ---- */

/*
 * The mapping is made and torn down inside the clock: its page faults and
 * TLB work are exactly the cost the mmap trick trades for a copy.
 */
static int mw_xfer(struct run *r)
{
	char *p = map_source(r);
	uint64_t off;
	int err = 0;

	if (!p)
		return -EIO;
	for (off = 0; off < r->size && !err; off += chunk(r, off))
		err = sc_write_all(r, r->sock[0], p + off, chunk(r, off));
	unmap_source(r, p);
	return err ? zb_fail(r, "write: %s", strerror(-err)) : 0;
}

static const struct method mmapwrite = {
	.name = "mmapwrite", .workload = "file2sock",
	.desc = "mmap() the file, write() --bufsize pieces of the mapping",
	.source = "page cache (mapped)", .needs = NEED_SOCK, .receivers = 1,
	.xfer = mw_xfer,
};

/* ---- sendfile: page cache pages handed to the socket ---- */

static int sf_xfer(struct run *r)
{
	off_t off = 0;
	ssize_t n;

	while ((uint64_t)off < r->size) {
		sc_count(r, 1);
		n = sendfile(r->sock[0], r->src_fd, &off, chunk(r, off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return zb_fail(r, "sendfile: %s",
				       n ? strerror(errno) : "nothing sent");
	}
	return 0;
}

static const struct method sendfile_m = {
	.name = "sendfile", .workload = "file2sock",
	.desc = "sendfile(sock, file, --bufsize) per request",
	.source = "page cache", .needs = NEED_SOCK, .receivers = 1,
	.xfer = sf_xfer,
};

/* ---- splice: file -> pipe -> socket, page references only ---- */

struct pipe_priv {
	int p[2];
	size_t cap;
};

static int pipe_setup(struct run *r)
{
	struct pipe_priv *pp = zb_alloc(sizeof(*pp));
	int err;

	r->priv = pp;
	err = zb_pipe_open(pp->p, r->bufsize, &pp->cap);
	return err ? zb_fail(r, "pipe: %s", strerror(-err)) : 0;
}

static void pipe_teardown(struct run *r)
{
	struct pipe_priv *pp = r->priv;

	zb_pipe_close(pp->p);
	zb_free(pp, sizeof(*pp));
	r->priv = NULL;
}

static int splice_xfer(struct run *r)
{
	struct pipe_priv *pp = r->priv;
	loff_t off = 0;
	size_t want;
	ssize_t n;
	int err;

	while ((uint64_t)off < r->size) {
		want = chunk(r, off);
		if (want > pp->cap)
			want = pp->cap;
		sc_count(r, 1);
		n = splice(r->src_fd, &off, pp->p[1], NULL, want,
			   SPLICE_F_MOVE | SPLICE_F_MORE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return zb_fail(r, "splice file->pipe: %s",
				       n ? strerror(errno) : "nothing moved");
		err = sc_splice_drain(r, pp->p[0], r->sock[0], NULL, n);
		if (err)
			return err;
	}
	return 0;
}

static const struct method splice_m = {
	.name = "splice", .workload = "file2sock",
	.desc = "splice() file -> pipe -> socket, --bufsize per request",
	.source = "page cache", .needs = NEED_SOCK, .receivers = 1,
	.setup = pipe_setup, .xfer = splice_xfer, .teardown = pipe_teardown,
};

/* ---- vmsplice: user memory (the file's mapping) -> pipe -> socket ---- */

/*
 * The user memory is a mapping of the file, not a buffer read into: a
 * buffer that is refilled while the pipe still references its pages would
 * send the new bytes (vmsplice's classic trap), and the verification here
 * would catch exactly that.
 */
static int vms_xfer(struct run *r)
{
	struct pipe_priv *pp = r->priv;
	char *p = map_source(r);
	uint64_t off = 0;
	struct iovec iov;
	ssize_t n;
	int err = 0;

	if (!p)
		return -EIO;
	while (off < r->size && !err) {
		iov.iov_base = p + off;
		iov.iov_len = chunk(r, off) < pp->cap ? chunk(r, off) : pp->cap;
		sc_count(r, 1);
		n = vmsplice(pp->p[1], &iov, 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = zb_fail(r, "vmsplice: %s",
				      n ? strerror(errno) : "nothing moved");
			break;
		}
		err = sc_splice_drain(r, pp->p[0], r->sock[0], NULL, n);
		off += n;
	}
	unmap_source(r, p);
	return err;
}

static const struct method vmsplice_m = {
	.name = "vmsplice", .workload = "file2sock",
	.desc = "vmsplice() the file's mapping into a pipe, splice() to the socket",
	.source = "page cache (mapped)", .needs = NEED_SOCK, .receivers = 1,
	.setup = pipe_setup, .xfer = vms_xfer, .teardown = pipe_teardown,
};

const struct method *const m_file2sock[] = {
	&readwrite, &mmapwrite, &sendfile_m, &splice_m, &vmsplice_m, NULL,
};
