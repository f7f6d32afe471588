// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: one file -> two TCP consumers (replication, logging taps).
 *
 * tee(2) duplicates what is in a pipe into a second pipe by reference, so
 * both consumers get the same page-cache pages and nobody copies; the
 * baseline reads the data twice, the way two independent readers would,
 * and readonce reads it once and writes the user buffer to both.
 * Delivered bytes count both consumers.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "zcbench.h"

struct fan_priv {
	int a[2], b[2];		/* tee: the fed pipe and its copy */
	size_t cap;
	char *buf;
};

static inline size_t chunk(const struct run *r, uint64_t off, size_t cap)
{
	uint64_t left = r->size - off;
	size_t c = left < r->bufsize ? left : r->bufsize;

	return cap && c > cap ? cap : c;
}

static int fan_setup(struct run *r)
{
	struct fan_priv *f = zb_alloc(sizeof(*f));
	size_t cap_b = 0;
	int err;

	r->priv = f;
	f->b[0] = f->b[1] = -1;
	f->buf = zb_alloc(r->bufsize);
	memset(f->buf, 0, r->bufsize);
	err = zb_pipe_open(f->a, r->bufsize, &f->cap);
	/* tee() can only duplicate what fits the second pipe. */
	if (!err)
		err = zb_pipe_open(f->b, f->cap, &cap_b);
	if (err)
		return zb_fail(r, "pipe: %s", strerror(-err));
	if (cap_b < f->cap)
		f->cap = cap_b;
	return 0;
}

static void fan_teardown(struct run *r)
{
	struct fan_priv *f = r->priv;

	if (!f)
		return;
	zb_pipe_close(f->a);
	zb_pipe_close(f->b);
	zb_free(f->buf, r->bufsize);
	zb_free(f, sizeof(*f));
	r->priv = NULL;
}

/* ---- read twice: each consumer's bytes read from the file on their own ---- */
static int readtwice_xfer(struct run *r)
{
	struct fan_priv *f = r->priv;
	uint64_t off;
	int i, err;

	for (off = 0; off < r->size; off += chunk(r, off, 0)) {
		for (i = 0; i < 2; i++) {
			err = sc_pread_all(r, r->src_fd, f->buf, chunk(r, off, 0), off);
			if (!err)
				err = sc_write_all(r, r->sock[i], f->buf, chunk(r, off, 0));
			if (err)
				return zb_fail(r, "read/write: %s", strerror(-err));
		}
	}
	return 0;
}

/* ---- read once, write the user buffer to both ---- */
static int readonce_xfer(struct run *r)
{
	struct fan_priv *f = r->priv;
	uint64_t off;
	int i, err;

	for (off = 0; off < r->size; off += chunk(r, off, 0)) {
		err = sc_pread_all(r, r->src_fd, f->buf, chunk(r, off, 0), off);
		for (i = 0; i < 2 && !err; i++)
			err = sc_write_all(r, r->sock[i], f->buf, chunk(r, off, 0));
		if (err)
			return zb_fail(r, "read/write: %s", strerror(-err));
	}
	return 0;
}

/* ---- sendfile to each consumer ---- */
static int sendfile2_xfer(struct run *r)
{
	off_t pos[2] = { 0, 0 };
	ssize_t n;
	int i;

	while ((uint64_t)pos[1] < r->size) {
		for (i = 0; i < 2; i++) {
			size_t len = chunk(r, pos[i], 0);

			while (len) {
				sc_count(r, 1);
				n = sendfile(r->sock[i], r->src_fd, &pos[i], len);
				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0)
					return zb_fail(r, "sendfile: %s",
						       n ? strerror(errno) : "nothing sent");
				len -= n;
			}
		}
	}
	return 0;
}

/* ---- tee: file -> pipe A, tee A -> B, A -> consumer 0, B -> consumer 1 ---- */
static int tee_xfer(struct run *r)
{
	struct fan_priv *f = r->priv;
	loff_t off = 0;
	ssize_t n, t;
	int err;

	while ((uint64_t)off < r->size) {
		sc_count(r, 1);
		n = splice(r->src_fd, &off, f->a[1], NULL, chunk(r, off, f->cap),
			   SPLICE_F_MOVE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return zb_fail(r, "splice file->pipe: %s",
				       n ? strerror(errno) : "nothing moved");
		/* B is empty and as large as A: tee takes all of it at once. */
		sc_count(r, 1);
		t = tee(f->a[0], f->b[1], n, 0);
		if (t != n)
			return zb_fail(r, "tee: %s", t < 0 ? strerror(errno) :
				       "duplicated less than the pipe held");
		err = sc_splice_drain(r, f->a[0], r->sock[0], NULL, n);
		if (!err)
			err = sc_splice_drain(r, f->b[0], r->sock[1], NULL, n);
		if (err)
			return err;
	}
	return 0;
}

static const struct method readtwice = {
	.name = "readtwice", .workload = "fanout",
	.desc = "each consumer: read() the file into a user buffer, write() it (two readers)",
	.source = "page cache", .needs = NEED_SOCK, .receivers = 2,
	.setup = fan_setup, .xfer = readtwice_xfer, .teardown = fan_teardown,
};

static const struct method readonce = {
	.name = "readonce", .workload = "fanout",
	.desc = "read() once into a user buffer, write() it to both consumers",
	.source = "page cache", .needs = NEED_SOCK, .receivers = 2,
	.setup = fan_setup, .xfer = readonce_xfer, .teardown = fan_teardown,
};

static const struct method sendfile2 = {
	.name = "sendfile2", .workload = "fanout",
	.desc = "sendfile() the file to each consumer",
	.source = "page cache", .needs = NEED_SOCK, .receivers = 2,
	.xfer = sendfile2_xfer,
};

static const struct method tee_m = {
	.name = "tee", .workload = "fanout",
	.desc = "splice() file -> pipe, tee() it into a second pipe, splice() each to a consumer",
	.source = "page cache", .needs = NEED_SOCK, .receivers = 2,
	.setup = fan_setup, .xfer = tee_xfer, .teardown = fan_teardown,
};

const struct method *const m_fanout[] = {
	&readtwice, &readonce, &sendfile2, &tee_m, NULL,
};
