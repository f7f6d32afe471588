// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: file -> file on the same file system (cp, log rotation,
 * object stores). Page cache to page cache, no fsync: the question is
 * what the CPU does, not how fast the device is (storage measures that).
 *
 * copy_file_range and sendfile stay in the kernel; on tmpfs and ext4 they
 * still copy, kernel to kernel (a splice through an internal pipe ends in
 * a write that memcpy's each page), and only a reflinking file system
 * (XFS, btrfs) would share the blocks instead: the counts show which.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "zcbench.h"

struct f2f_priv {
	char *buf;
	int p[2];
	size_t cap;
};

static inline size_t chunk(const struct run *r, uint64_t off)
{
	uint64_t left = r->size - off;

	return left < r->bufsize ? left : r->bufsize;
}

static int f2f_setup(struct run *r)
{
	struct f2f_priv *f = zb_alloc(sizeof(*f));
	int err;

	r->priv = f;
	f->buf = zb_alloc(r->bufsize);
	memset(f->buf, 0, r->bufsize);
	err = zb_pipe_open(f->p, r->bufsize, &f->cap);
	if (err)
		return zb_fail(r, "pipe: %s", strerror(-err));
	snprintf(r->dst_path, sizeof(r->dst_path), "%s/zcbench-dst", r->dir);
	return 0;
}

static void f2f_teardown(struct run *r)
{
	struct f2f_priv *f = r->priv;

	if (r->dst_fd >= 0)
		close(r->dst_fd);
	r->dst_fd = -1;
	if (r->dst_path[0])
		unlink(r->dst_path);
	if (!f)
		return;
	zb_pipe_close(f->p);
	zb_free(f->buf, r->bufsize);
	zb_free(f, sizeof(*f));
	r->priv = NULL;
}

/* A fresh, empty destination, outside the clock. */
static int f2f_rep_setup(struct run *r)
{
	if (r->dst_fd >= 0)
		close(r->dst_fd);
	unlink(r->dst_path);
	r->dst_fd = open(r->dst_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (r->dst_fd < 0)
		return zb_fail(r, "open %.100s: %s", r->dst_path, strerror(errno));
	return zb_rewind_source(r);
}

static int f2f_verify(struct run *r)
{
	return zb_verify_file(r, r->dst_fd, r->size, r->seed);
}

static int rw_xfer(struct run *r)
{
	struct f2f_priv *f = r->priv;
	uint64_t off = 0;
	ssize_t n;
	int err;

	while (off < r->size) {
		n = sc_read(r, r->src_fd, f->buf, chunk(r, off));
		if (n <= 0)
			return zb_fail(r, "read: %s", n ? strerror(-n) : "short file");
		err = sc_write_all(r, r->dst_fd, f->buf, n);
		if (err)
			return zb_fail(r, "write: %s", strerror(-err));
		off += n;
	}
	return 0;
}

static int cfr_xfer(struct run *r)
{
	loff_t in = 0, out = 0;
	ssize_t n;

	while ((uint64_t)in < r->size) {
		sc_count(r, 1);
		n = copy_file_range(r->src_fd, &in, r->dst_fd, &out, chunk(r, in), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return zb_fail(r, "copy_file_range: %s",
				       n ? strerror(errno) : "nothing copied");
	}
	return 0;
}

static int sf_xfer(struct run *r)
{
	off_t in = 0;
	ssize_t n;

	while ((uint64_t)in < r->size) {
		sc_count(r, 1);
		n = sendfile(r->dst_fd, r->src_fd, &in, chunk(r, in));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return zb_fail(r, "sendfile: %s", n ? strerror(errno) : "nothing sent");
	}
	return 0;
}

static int splice_xfer(struct run *r)
{
	struct f2f_priv *f = r->priv;
	loff_t in = 0, out = 0;
	ssize_t n;
	int err;

	while ((uint64_t)in < r->size) {
		size_t want = chunk(r, in) < f->cap ? chunk(r, in) : f->cap;

		sc_count(r, 1);
		n = splice(r->src_fd, &in, f->p[1], NULL, want, SPLICE_F_MOVE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return zb_fail(r, "splice file->pipe: %s",
				       n ? strerror(errno) : "nothing moved");
		err = sc_splice_drain(r, f->p[0], r->dst_fd, &out, n);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Both files mapped, one memcpy: the CPU copies every byte itself, in user
 * mode, and pays a fault per page on each side (the destination's first).
 */
static int mmap_xfer(struct run *r)
{
	char *s, *d;
	uint64_t off;

	sc_count(r, 1);
	if (ftruncate(r->dst_fd, r->size))
		return zb_fail(r, "ftruncate: %s", strerror(errno));
	sc_count(r, 2);
	s = mmap(NULL, r->size, PROT_READ, MAP_SHARED, r->src_fd, 0);
	d = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, r->dst_fd, 0);
	if (s == MAP_FAILED || d == MAP_FAILED)
		return zb_fail(r, "mmap: %s", strerror(errno));
	for (off = 0; off < r->size; off += chunk(r, off))
		memcpy(d + off, s + off, chunk(r, off));
	r->cnt.umode_copied += r->size;
	sc_count(r, 2);
	munmap(s, r->size);
	munmap(d, r->size);
	return 0;
}

#define F2F(n, d, x) {						\
	.name = n, .workload = "file2file", .desc = d,		\
	.source = "page cache", .needs = NEED_DSTFILE,		\
	.setup = f2f_setup, .rep_setup = f2f_rep_setup,		\
	.xfer = x, .verify = f2f_verify, .teardown = f2f_teardown }

static const struct method f2f[] = {
	F2F("readwrite", "read() into a --bufsize buffer, write() to the destination", rw_xfer),
	F2F("copy_file_range", "copy_file_range(), --bufsize per call", cfr_xfer),
	F2F("sendfile", "sendfile(dst, src), --bufsize per call", sf_xfer),
	F2F("splice", "splice() file -> pipe -> file", splice_xfer),
	F2F("mmap_memcpy", "mmap() both files, memcpy() (destination ftruncate'd first)", mmap_xfer),
};

const struct method *const m_file2file[] = {
	&f2f[0], &f2f[1], &f2f[2], &f2f[3], &f2f[4], NULL,
};
