// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: file <-> memory on a real file system (--storage-dir; in the
 * VM, ext4 on a virtio-blk disk whose host file is opened with
 * cache=none): buffered vs O_DIRECT, cold vs warm cache, sequential vs
 * random, synchronous reads vs io_uring with 8 reads in flight.
 *
 * "Cold" means this file's pages were written back and dropped
 * (POSIX_FADV_DONTNEED, then /proc/sys/vm/drop_caches if pages stayed),
 * checked with mincore(): a method whose file stays cached is reported
 * unavailable, not measured warm under a cold name.
 *
 * Reads are verified byte for byte in the counting run and by one word
 * per 4 KiB page in the timed runs (a misplaced or stale page fails it,
 * at a cost far below the copy being measured).
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "zcbench.h"

#define ALIGN		4096
#define URING_QD	8

struct st_priv {
	int fd;			/* the fd reads use: src_fd or an O_DIRECT one */
	char *buf;		/* URING_QD * bufsize for io_uring, else bufsize */
	size_t buflen;
	uint64_t *order;	/* chunk order for random reads */
	uint64_t nchunks;
	bool direct, cold, random, uring;
	struct io_uring ring;
	bool ring_ok;
	int zfd;		/* zcdev, when the buffer is a PAGES mapping */
	struct zc_buf zbuf;
};

static inline size_t chunk(const struct run *r, uint64_t off)
{
	uint64_t left = r->size - off;

	return left < r->bufsize ? left : r->bufsize;
}

/* Checks a chunk read at @off: every byte when counting, else a word per page. */
static int check_chunk(struct run *r, const char *p, size_t len, uint64_t off)
{
	uint64_t bad, o;

	if (r->counting) {
		if (zc_pattern_verify(p, len, r->seed, off, &bad))
			return zb_fail(r, "read data differs from the file at byte %llu",
				       (unsigned long long)bad);
		return 0;
	}
	for (o = 0; o + 8 <= len; o += ALIGN)
		if (zc_pattern_verify(p + o, 8, r->seed, off + o, &bad))
			return zb_fail(r, "read data differs from the file at byte %llu",
				       (unsigned long long)bad);
	return 0;
}

static int st_common_setup(struct run *r, bool direct, bool cold, bool random,
			   bool uring)
{
	struct st_priv *s = calloc(1, sizeof(*s));
	uint64_t i, j, t, x = r->seed | 1;
	double share;

	if (!s)
		return -ENOMEM;
	r->priv = s;
	s->fd = r->src_fd;
	s->zfd = -1;
	s->direct = direct;
	s->cold = cold;
	s->random = random;
	s->uring = uring;
	s->nchunks = (r->size + r->bufsize - 1) / r->bufsize;
	if (direct) {
		if (r->size % ALIGN || r->bufsize % ALIGN)
			return zb_unavail(r, "O_DIRECT needs size and bufsize in multiples of %d",
					  ALIGN);
		s->fd = open(r->src_path, O_RDONLY | O_DIRECT | O_CLOEXEC);
		if (s->fd < 0)
			return zb_unavail(r, "O_DIRECT open: %s (tmpfs has none)",
					  strerror(errno));
	}
	if (cold || direct) {
		share = zb_drop_cache(r->src_fd, r->size);
		if (cold && share > 0.05)
			return zb_unavail(r, "cannot drop this file's page cache (%.0f%% stays cached)",
					  100 * share);
	}
	s->buflen = (uring ? URING_QD : 1) * r->bufsize;
	s->buf = zb_alloc(s->buflen);
	memset(s->buf, 0, s->buflen);
	if (random) {
		s->order = malloc(s->nchunks * sizeof(*s->order));
		if (!s->order)
			return -ENOMEM;
		for (i = 0; i < s->nchunks; i++)
			s->order[i] = i;
		/* Fisher-Yates with a fixed xorshift: the same order every run. */
		for (i = s->nchunks - 1; i > 0; i--) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			j = x % (i + 1);
			t = s->order[i];
			s->order[i] = s->order[j];
			s->order[j] = t;
		}
	}
	if (uring) {
		int err = io_uring_queue_init(2 * URING_QD, &s->ring, 0);

		if (err)
			return zb_unavail(r, "io_uring_setup: %s", strerror(-err));
		s->ring_ok = true;
	}
	return 0;
}

static void st_teardown(struct run *r)
{
	struct st_priv *s = r->priv;

	if (!s)
		return;
	if (s->fd >= 0 && s->fd != r->src_fd)
		close(s->fd);
	if (s->zfd >= 0) {
		zc_unmap(s->buf, s->buflen);
		close(s->zfd);
	} else {
		zb_free(s->buf, s->buflen);
	}
	if (s->ring_ok)
		io_uring_queue_exit(&s->ring);
	free(s->order);
	free(s);
	r->priv = NULL;
	zb_mem_free(r);
	if (r->dst_fd >= 0)
		close(r->dst_fd);
	r->dst_fd = -1;
	if (r->dst_path[0])
		unlink(r->dst_path);
}

static int st_rep_setup(struct run *r)
{
	struct st_priv *s = r->priv;

	if (s->cold || s->direct) {
		double share = zb_drop_cache(r->src_fd, r->size);

		if (s->cold && share > 0.05)
			return zb_fail(r, "page cache not dropped (%.0f%% cached)", 100 * share);
	} else if (zb_cached_share(r->src_fd, r->size) < 0.99) {
		/* Warm means warm: read it once, outside the clock. */
		char *tmp = zb_alloc(ZB_MiB);
		uint64_t off;

		for (off = 0; off < r->size; off += ZB_MiB)
			if (pread(r->src_fd, tmp, ZB_MiB, off) < 0)
				break;
		zb_free(tmp, ZB_MiB);
	}
	return 0;
}

/* One pass over the file with synchronous pread()s. */
static int read_pass(struct run *r)
{
	struct st_priv *s = r->priv;
	uint64_t i, off;
	int err;

	for (i = 0; i < s->nchunks; i++) {
		off = (s->random ? s->order[i] : i) * r->bufsize;
		err = sc_pread_all(r, s->fd, s->buf, chunk(r, off), off);
		if (err)
			return zb_fail(r, "pread at %llu: %s", (unsigned long long)off,
				       strerror(-err));
		err = check_chunk(r, s->buf, chunk(r, off), off);
		if (err)
			return err;
	}
	return 0;
}

/* One pass with io_uring, URING_QD reads in flight, each in its own slot. */
static int uring_pass(struct run *r)
{
	struct st_priv *s = r->priv;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	uint64_t next = 0, done = 0, off[URING_QD], left[URING_QD];
	bool busy[URING_QD] = { false };
	int k, err;

	while (done < r->size) {
		/* Every free slot gets the next chunk. */
		for (k = 0; k < URING_QD && next < r->size; k++) {
			if (busy[k])
				continue;
			off[k] = next;
			left[k] = chunk(r, next);
			next += left[k];
			sqe = io_uring_get_sqe(&s->ring);
			io_uring_prep_read(sqe, s->fd, s->buf + k * r->bufsize, left[k], off[k]);
			sqe->user_data = k;
			busy[k] = true;
		}
		sc_count(r, 1);
		err = io_uring_submit_and_wait(&s->ring, 1);
		if (err < 0)
			return zb_fail(r, "io_uring_submit: %s", strerror(-err));
		while (!io_uring_peek_cqe(&s->ring, &cqe)) {
			k = (int)cqe->user_data;
			if (cqe->res <= 0 || (uint64_t)cqe->res != left[k]) {
				err = cqe->res;
				io_uring_cqe_seen(&s->ring, cqe);
				return zb_fail(r, "io_uring read at %llu: %s",
					       (unsigned long long)off[k],
					       err < 0 ? strerror(-err) : "short read");
			}
			io_uring_cqe_seen(&s->ring, cqe);
			err = check_chunk(r, s->buf + k * r->bufsize, left[k], off[k]);
			if (err)
				return err;
			done += left[k];
			busy[k] = false;
		}
	}
	return 0;
}

static int read_xfer(struct run *r)
{
	struct st_priv *s = r->priv;

	return s->uring ? uring_pass(r) : read_pass(r);
}

/* Two passes: the second finds (buffered) or does not find (direct) a cache. */
static int reread_xfer(struct run *r)
{
	int err = read_pass(r);

	return err ? err : read_pass(r);
}

static int s_read(struct run *r) { return st_common_setup(r, false, false, false, false); }
static int s_cold(struct run *r) { return st_common_setup(r, false, true, false, false); }
static int s_rand(struct run *r) { return st_common_setup(r, false, true, true, false); }
static int s_direct(struct run *r) { return st_common_setup(r, true, false, false, false); }
static int s_ucold(struct run *r) { return st_common_setup(r, false, true, false, true); }
static int s_udirect(struct run *r) { return st_common_setup(r, true, false, false, true); }

/* O_DIRECT into a zcdev PAGES mapping: the device writes the buffer's pages. */
static int s_zdirect(struct run *r)
{
	struct st_priv *s;
	void *map;
	int err = st_common_setup(r, true, false, false, false);

	if (err)
		return err;
	s = r->priv;
	s->zfd = zc_open();
	if (s->zfd < 0)
		return zb_unavail(r, "no %s: %s (module not loaded)", zc_dev_path(),
				  strerror(-s->zfd));
	err = zc_alloc(s->zfd, ZCDEV_BUF_PAGES, r->bufsize, &s->zbuf);
	if (!err)
		err = zc_map(s->zfd, &s->zbuf, 0, r->bufsize, PROT_READ | PROT_WRITE, &map);
	if (err)
		return zb_unavail(r, "zcdev PAGES buffer: %s", zc_errname(err));
	zb_free(s->buf, s->buflen);
	s->buf = map;
	s->buflen = r->bufsize;
	return 0;
}

/* ---- writes: loaded user memory -> a new file, fsync'd inside the clock ---- */

static int w_setup(struct run *r, bool direct)
{
	struct st_priv *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	r->priv = s;
	s->fd = -1;
	s->zfd = -1;
	s->direct = direct;
	if (direct && (r->size % ALIGN || r->bufsize % ALIGN))
		return zb_unavail(r, "O_DIRECT needs size and bufsize in multiples of %d", ALIGN);
	if (direct && !zb_odirect_ok(r->sdir))
		return zb_unavail(r, "no O_DIRECT in %.100s (tmpfs has none)", r->sdir);
	err = zb_mem_load(r);
	if (err)
		return err;
	snprintf(r->dst_path, sizeof(r->dst_path), "%s/zcbench-wdst", r->sdir);
	return 0;
}

static int w_buf_setup(struct run *r) { return w_setup(r, false); }
static int w_direct_setup(struct run *r) { return w_setup(r, true); }

static int w_rep_setup(struct run *r)
{
	struct st_priv *s = r->priv;

	if (r->dst_fd >= 0)
		close(r->dst_fd);
	unlink(r->dst_path);
	r->dst_fd = open(r->dst_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC |
			 (s->direct ? O_DIRECT : 0), 0600);
	if (r->dst_fd < 0)
		return s->direct ? zb_fail(r, "O_DIRECT open: %s", strerror(errno)) : -errno;
	return 0;
}

static int w_xfer(struct run *r)
{
	uint64_t off;
	int err = 0;

	for (off = 0; off < r->size && !err; off += chunk(r, off))
		err = sc_pwrite_all(r, r->dst_fd, r->mem + off, chunk(r, off), off);
	if (err)
		return zb_fail(r, "pwrite: %s", strerror(-err));
	/* Written means on the device: both kinds pay for the flush. */
	sc_count(r, 1);
	return fsync(r->dst_fd) ? zb_fail(r, "fsync: %s", strerror(errno)) : 0;
}

static int w_verify(struct run *r)
{
	int fd = open(r->dst_path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return zb_fail(r, "reopen destination: %s", strerror(errno));
	err = zb_verify_file(r, fd, r->size, r->seed);
	close(fd);
	return err;
}

#define RD(n, d, set, x, p) {					\
	.name = n, .workload = "storage", .desc = d,		\
	.source = "file", .needs = NEED_ODIRECT, .passes = p,	\
	.setup = set, .rep_setup = st_rep_setup, .xfer = x,	\
	.teardown = st_teardown }

static const struct method st[] = {
	RD("read", "buffered pread(), warm page cache (baseline)", s_read, read_xfer, 1),
	RD("read_cold", "buffered pread(), this file's cache dropped first", s_cold, read_xfer, 1),
	RD("read_direct", "O_DIRECT pread() into an aligned user buffer", s_direct, read_xfer, 1),
	RD("read_direct_zcdev", "O_DIRECT pread() into a zcdev PAGES mapping", s_zdirect, read_xfer, 1),
	RD("read_uring", "io_uring reads, 8 in flight, buffered, cold", s_ucold, read_xfer, 1),
	RD("read_uring_direct", "io_uring reads, 8 in flight, O_DIRECT", s_udirect, read_xfer, 1),
	RD("reread", "read the file twice, buffered (cold, then cached)", s_cold, reread_xfer, 2),
	RD("reread_direct", "read the file twice with O_DIRECT", s_direct, reread_xfer, 2),
	RD("randread_cold", "buffered pread() of --bufsize chunks in random order, cold", s_rand, read_xfer, 1),
	{ .name = "write", .workload = "storage",
	  .desc = "buffered pwrite() of loaded memory to a new file, then fsync()",
	  .source = "user memory (file loaded once)", .needs = NEED_ODIRECT,
	  .setup = w_buf_setup, .rep_setup = w_rep_setup, .xfer = w_xfer,
	  .verify = w_verify, .teardown = st_teardown },
	{ .name = "write_direct", .workload = "storage",
	  .desc = "O_DIRECT pwrite() of loaded memory to a new file, then fsync()",
	  .source = "user memory (file loaded once)", .needs = NEED_ODIRECT,
	  .setup = w_direct_setup, .rep_setup = w_rep_setup, .xfer = w_xfer,
	  .verify = w_verify, .teardown = st_teardown },
};

const struct method *const m_storage[] = {
	&st[0], &st[1], &st[2], &st[3], &st[4], &st[5], &st[6], &st[7], &st[8],
	&st[9], &st[10], NULL,
};
