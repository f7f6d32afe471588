// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: user memory -> TCP socket through io_uring: send (copies),
 * send_zc (pins, like MSG_ZEROCOPY) and send_zc from registered (fixed)
 * buffers, whose pages were pinned once at registration, so the per-send
 * cost is only the reference. Notifications carry
 * IORING_NOTIF_USAGE_ZC_COPIED (IORING_SEND_ZC_REPORT_USAGE), the
 * stack's word on whether it copied after all.
 *
 * uring_sendzc_zcdev registers a zcdev PAGES mapping instead of anonymous
 * memory: the module's buffer sent by io_uring, the peer of the module's
 * own send. io_uring before 6.5 refuses to register file-backed mappings
 * other than shmem and hugetlbfs (EOPNOTSUPP), so there it is unavailable.
 *
 * One send in flight at a time (a stream socket must not interleave two
 * sends' bytes), notifications overlapped: the same shape as the other
 * methods, so the comparison is about the mechanism, not about batching.
 * The ring is made outside the clock.
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zcbench.h"

/* liburing 2.3's copy of the uapi predates these (6.1 has them). */
#ifndef IORING_SEND_ZC_REPORT_USAGE
#define IORING_SEND_ZC_REPORT_USAGE	(1U << 3)
#endif
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_NOTIF_USAGE_ZC_COPIED	(1U << 31)
#endif

#define RING_ENTRIES	64
#define CQ_ENTRIES	4096
#define ZC_WAIT_NS	(20ULL * 1000000000ULL)

enum umode { U_SEND, U_SENDZC, U_FIXED, U_FIXED_ZCDEV };

struct uring_priv {
	struct io_uring ring;
	enum umode mode;
	char *base;		/* what is sent: r->mem or the zcdev mapping */
	int zfd;		/* U_FIXED_ZCDEV: /dev/zcdev, its buffer, mapping */
	struct zc_buf zbuf;
	void *zmap;
	uint32_t *bytes;	/* per send: bytes it took */
	uint32_t cap;
};

static inline size_t chunk(const struct run *r, uint64_t off)
{
	uint64_t left = r->size - off;

	return left < r->bufsize ? left : r->bufsize;
}

/* A zcdev PAGES buffer holding the file, mapped, as @u's source. */
static int zcdev_source(struct run *r, struct uring_priv *u)
{
	uint64_t bad;
	ssize_t n;
	int err;

	u->zfd = zc_open();
	if (u->zfd < 0)
		return zb_unavail(r, "no %s: %s (module not loaded)", zc_dev_path(),
				  strerror(-u->zfd));
	err = zc_alloc(u->zfd, ZCDEV_BUF_PAGES, r->size, &u->zbuf);
	if (err)
		return zb_unavail(r, "PAGES buffer of %llu bytes: %s",
				  (unsigned long long)r->size, zc_errname(err));
	err = zc_map(u->zfd, &u->zbuf, 0, r->size, PROT_READ | PROT_WRITE, &u->zmap);
	if (err) {
		u->zmap = NULL;
		return zb_fail(r, "mmap zcdev buffer: %s", zc_errname(err));
	}
	n = zc_pread_full(r->src_fd, u->zmap, r->size, 0);
	if (n != (ssize_t)r->size)
		return zb_fail(r, "load zcdev buffer: %s",
			       n < 0 ? strerror(-n) : "short file");
	if (zc_pattern_verify(u->zmap, r->size, r->seed, 0, &bad))
		return zb_fail(r, "zcdev buffer differs from the pattern at %llu",
			       (unsigned long long)bad);
	u->base = u->zmap;
	return 0;
}

static int setup_mode(struct run *r, enum umode mode)
{
	struct io_uring_params p = { .flags = IORING_SETUP_CQSIZE,
				     .cq_entries = CQ_ENTRIES };
	struct uring_priv *u = calloc(1, sizeof(*u));
	struct io_uring_probe *probe;
	struct iovec iov;
	int err;

	if (!u)
		return -ENOMEM;
	u->mode = mode;
	u->zfd = -1;
	err = io_uring_queue_init_params(RING_ENTRIES, &u->ring, &p);
	if (err) {
		free(u);
		return zb_unavail(r, "io_uring_setup: %s", strerror(-err));
	}
	r->priv = u;
	if (mode != U_SEND) {
		probe = io_uring_get_probe_ring(&u->ring);
		if (!probe || !io_uring_opcode_supported(probe, IORING_OP_SEND_ZC)) {
			io_uring_free_probe(probe);
			return zb_unavail(r, "kernel has no IORING_OP_SEND_ZC (6.0+)");
		}
		io_uring_free_probe(probe);
	}
	if (mode == U_FIXED_ZCDEV) {
		err = zcdev_source(r, u);
	} else {
		err = zb_mem_load(r);
		u->base = r->mem;
	}
	if (err)
		return err;
	if (mode == U_FIXED || mode == U_FIXED_ZCDEV) {
		iov.iov_base = u->base;
		iov.iov_len = r->size;
		err = io_uring_register_buffers(&u->ring, &iov, 1);
		if (err == -EOPNOTSUPP && mode == U_FIXED_ZCDEV)
			return zb_unavail(r, "io_uring_register_buffers on a zcdev mapping: %s (io_uring before 6.5 takes no file-backed mapping but shmem and hugetlbfs)",
					  strerror(-err));
		if (err)
			return zb_unavail(r, "io_uring_register_buffers: %s",
					  strerror(-err));
	}
	u->cap = r->size / r->bufsize + 64;
	u->bytes = calloc(u->cap, sizeof(*u->bytes));
	return u->bytes ? 0 : -ENOMEM;
}

static int send_setup(struct run *r) { return setup_mode(r, U_SEND); }
static int sendzc_setup(struct run *r) { return setup_mode(r, U_SENDZC); }
static int fixed_setup(struct run *r) { return setup_mode(r, U_FIXED); }
static int zcdev_fixed_setup(struct run *r) { return setup_mode(r, U_FIXED_ZCDEV); }

static void uring_teardown(struct run *r)
{
	struct uring_priv *u = r->priv;

	if (u) {
		io_uring_queue_exit(&u->ring);
		if (u->zmap)
			zc_unmap(u->zmap, r->size);
		if (u->zfd >= 0)
			close(u->zfd);	/* frees the buffer with the file */
		free(u->bytes);
		free(u);
	}
	r->priv = NULL;
	zb_mem_free(r);
}

/*
 * Handles one CQE. A send's CQE says how many bytes it took (*@sent) and,
 * with IORING_CQE_F_MORE, that a notification follows; a notification
 * (IORING_CQE_F_NOTIF) says whether those bytes went out without a copy.
 */
static int handle_cqe(struct run *r, struct uring_priv *u,
		      struct io_uring_cqe *cqe, int64_t *sent,
		      uint32_t *notifs_due)
{
	uint64_t idx = cqe->user_data;

	if (cqe->flags & IORING_CQE_F_NOTIF) {
		uint64_t b = idx < u->cap ? u->bytes[idx] : 0;

		if (cqe->res & IORING_NOTIF_USAGE_ZC_COPIED)
			r->cnt.copied_bytes += b;
		else
			r->cnt.zc_bytes += b;
		(*notifs_due)--;
		return 0;
	}
	if (cqe->res < 0)
		return zb_fail(r, "io_uring send: %s", strerror(-cqe->res));
	if (idx < u->cap)
		u->bytes[idx] = cqe->res;
	if (cqe->flags & IORING_CQE_F_MORE)
		(*notifs_due)++;
	*sent = cqe->res;
	return 0;
}

/* Takes CQEs until @want_send has one (or, with -1, until nothing is due). */
static int reap(struct run *r, struct uring_priv *u, bool want_send,
		int64_t *sent, uint32_t *notifs_due)
{
	struct __kernel_timespec ts = {
		.tv_sec = ZC_WAIT_NS / 1000000000ULL,
	};
	struct io_uring_cqe *cqe;
	int err;

	*sent = -1;
	while (want_send ? *sent < 0 : *notifs_due > 0) {
		err = io_uring_peek_cqe(&u->ring, &cqe);
		if (err == -EAGAIN) {
			sc_count(r, 1);
			err = io_uring_wait_cqe_timeout(&u->ring, &cqe, &ts);
		}
		if (err == -ETIME)
			return zb_fail(r, "io_uring: %u notifications missing after %llu s",
				       *notifs_due, ZC_WAIT_NS / 1000000000ULL);
		if (err == -EINTR)
			continue;
		if (err)
			return zb_fail(r, "io_uring wait: %s", strerror(-err));
		err = handle_cqe(r, u, cqe, sent, notifs_due);
		io_uring_cqe_seen(&u->ring, cqe);
		if (err)
			return err;
	}
	return 0;
}

static int uring_xfer(struct run *r)
{
	struct uring_priv *u = r->priv;
	struct io_uring_sqe *sqe;
	uint32_t idx = 0, notifs_due = 0;
	uint64_t off = 0;
	int64_t sent;
	int err;

	while (off < r->size) {
		size_t len = chunk(r, off);

		sqe = io_uring_get_sqe(&u->ring);
		if (!sqe)
			return zb_fail(r, "io_uring: no SQE");
		switch (u->mode) {
		case U_SEND:
			io_uring_prep_send(sqe, r->sock[0], u->base + off, len,
					   MSG_WAITALL);
			break;
		case U_SENDZC:
			io_uring_prep_send_zc(sqe, r->sock[0], u->base + off, len,
					      MSG_WAITALL, IORING_SEND_ZC_REPORT_USAGE);
			break;
		case U_FIXED:
		case U_FIXED_ZCDEV:
			io_uring_prep_send_zc_fixed(sqe, r->sock[0], u->base + off,
						    len, MSG_WAITALL,
						    IORING_SEND_ZC_REPORT_USAGE, 0);
			break;
		}
		if (idx >= u->cap)
			return zb_fail(r, "io_uring: more sends than expected");
		sqe->user_data = idx++;
		sc_count(r, 1);
		err = io_uring_submit(&u->ring);
		if (err != 1)
			return zb_fail(r, "io_uring_submit: %s",
				       strerror(err < 0 ? -err : EIO));
		if (u->mode != U_SEND)
			r->cnt.sends++;
		err = reap(r, u, true, &sent, &notifs_due);
		if (err)
			return err;
		if (!sent)
			return zb_fail(r, "io_uring send: nothing sent");
		off += sent;
	}
	/* The memory is the sender's again only when every notification came. */
	return reap(r, u, false, &sent, &notifs_due);
}

static const struct method uring_send = {
	.name = "uring_send", .workload = "file2sock",
	.desc = "io_uring IORING_OP_SEND of --bufsize pieces of user memory (copies)",
	.source = "user memory (file loaded once)",
	.needs = NEED_SOCK | NEED_URING, .receivers = 1,
	.setup = send_setup, .xfer = uring_xfer, .teardown = uring_teardown,
};

static const struct method uring_sendzc = {
	.name = "uring_sendzc", .workload = "file2sock",
	.desc = "io_uring IORING_OP_SEND_ZC, pages pinned per send; usage-reporting notifications",
	.source = "user memory (file loaded once)",
	.needs = NEED_SOCK | NEED_URING, .receivers = 1, .zc = true,
	.setup = sendzc_setup, .xfer = uring_xfer, .teardown = uring_teardown,
};

static const struct method uring_sendzc_fixed = {
	.name = "uring_sendzc_fixed", .workload = "file2sock",
	.desc = "io_uring SEND_ZC from a registered (fixed) buffer: pinned once, outside the clock",
	.source = "user memory (file loaded once), registered",
	.needs = NEED_SOCK | NEED_URING, .receivers = 1, .zc = true,
	.setup = fixed_setup, .xfer = uring_xfer, .teardown = uring_teardown,
};

static const struct method uring_sendzc_zcdev = {
	.name = "uring_sendzc_zcdev", .workload = "file2sock",
	.desc = "io_uring SEND_ZC fixed from a registered zcdev PAGES mapping (6.5+)",
	.source = "zcdev PAGES buffer (file loaded once), mapped and registered",
	.needs = NEED_SOCK | NEED_URING | NEED_ZCDEV, .receivers = 1, .zc = true,
	.setup = zcdev_fixed_setup, .xfer = uring_xfer, .teardown = uring_teardown,
};

const struct method *const m_uring[] = {
	&uring_send, &uring_sendzc, &uring_sendzc_fixed, &uring_sendzc_zcdev, NULL,
};
