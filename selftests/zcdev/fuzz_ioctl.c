// SPDX-License-Identifier: GPL-2.0
/*
 * Structured ioctl fuzzer for /dev/zcdev.
 *
 * Every call builds a plausible-but-wrong argument: struct sizes around the
 * ABI's, lengths and offsets from the boundary values that broke drivers
 * before, random flags and reserved bits, handles that are live, stale,
 * another file's or never existed, and pointers that are NULL, unmapped,
 * read-only, kernel addresses or straddle a guard page. Several threads
 * share one fd and several processes run at once. A call must succeed or
 * fail with an errno the ABI can give; the VM harness fails the run on any
 * kernel splat or kmemleak report afterwards.
 *
 * Bounded and reproducible: ZCDEV_FUZZ_SEED (printed when random),
 * ZCDEV_FUZZ_CALLS (total per test, default 20000) and
 * ZCDEV_FUZZ_SECONDS (wall-clock bound per test, default 300).
 */
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "zcdev_test.h"

#define FUZZ_THREADS	4
#define FUZZ_PROCS	3
#define SCRATCH_PAGES	64	/* user memory DMA and send may touch */
#define MAX_HANDLES	64
#define MAX_DMABUFS	4	/* exported fds a context keeps open */

static const __u64 boundary[] = {
	0, 1, 4095, 4096, 1ULL << 31, 1ULL << 32, 1ULL << 63,
	0xfffffffffffff000ULL, 0xfffffffff0000000ULL, ~0ULL,
};

/* State one fuzzing context (thread or process) owns. */
struct fuzz_ctx {
	int fd;			/* shared by the threads of one process */
	int other_fd;		/* another open file: foreign handles */
	int udp_fd;		/* connected, non-blocking */
	int tcp_fd;		/* connected, non-blocking, peer never reads */
	__u64 rng;
	unsigned long calls;
	unsigned long ok;
	unsigned char *arena;	/* [rw page][rw page][none page][ro page] */
	unsigned char *scratch;	/* SCRATCH_PAGES rw pages */
	__u32 live[MAX_HANDLES];	/* handles seen (may be freed since) */
	unsigned int nr_live;
	__u32 foreign;		/* a live handle of other_fd */
	__u64 ids[16];		/* DMA ids seen */
	int dmabufs[MAX_DMABUFS];	/* exported fds, or -1 */
	int pipe_fd;		/* an fd that is no dma-buf */
	char bad[160];		/* first unexpected result */
};

static __u64 rnd(struct fuzz_ctx *c)
{
	/* xorshift64*: fast, seedable, good enough to pick cases. */
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 2685821657736338717ULL;
}

static unsigned int pick(struct fuzz_ctx *c, unsigned int n)
{
	return rnd(c) % n;
}

static __u64 pick_u64(struct fuzz_ctx *c)
{
	switch (pick(c, 4)) {
	case 0:
		return boundary[pick(c, ARRAY_SIZE(boundary))];
	case 1:
		return pick(c, 3 * 4096);
	case 2:
		return boundary[pick(c, ARRAY_SIZE(boundary))] +
		       (__u64)(int)(pick(c, 3) - 1);
	default:
		return rnd(c);
	}
}

static __u32 pick_handle(struct fuzz_ctx *c)
{
	switch (pick(c, 6)) {
	case 0:
		return 0;
	case 1:
		return (__u32)pick_u64(c);
	case 2:
		return c->foreign;
	case 3:
		return 0xffffffff;
	default:
		return c->nr_live ? c->live[pick(c, c->nr_live)] : 1;
	}
}

static __u32 pick_flags(struct fuzz_ctx *c)
{
	switch (pick(c, 4)) {
	case 0:
		return 0;
	case 1:
		return 1U << pick(c, 32);
	case 2:
		return pick(c, 8);
	default:
		return (__u32)rnd(c);
	}
}

/* A user pointer: mostly usable, often hostile. */
static __u64 pick_ptr(struct fuzz_ctx *c, size_t len)
{
	unsigned char *none = c->arena + 2 * 4096;
	unsigned char *ro = c->arena + 3 * 4096;

	switch (pick(c, 8)) {
	case 0:
		return 0;
	case 1:
		return (__u64)(uintptr_t)none;
	case 2:
		return (__u64)(uintptr_t)ro;
	case 3:	/* ends inside the guard page */
		return (__u64)(uintptr_t)(none - (len > 1 ? len / 2 : 1));
	case 4:
		return 0xffff888000000000ULL;
	default:
		return (__u64)(uintptr_t)(c->scratch +
					  pick(c, SCRATCH_PAGES * 4096 / 2));
	}
}

/*
 * An array's element size: mostly the one compiled in, else around the
 * first version's. Kept small, so that even a full output array written
 * into the scratch area stays inside it.
 */
static __u32 pick_elem_size(struct fuzz_ctx *c, __u32 exact)
{
	static const __u32 odd[] = { 0, 1, 8, 15, 16, 17, 31, 32, 33, 48, 64,
				     65, 128 };

	return pick(c, 4) ? exact : odd[pick(c, ARRAY_SIZE(odd))];
}

/* A struct size around the ABI's: exact, short, long, huge. */
static __u32 pick_size(struct fuzz_ctx *c, __u32 exact, __u32 ver0)
{
	switch (pick(c, 8)) {
	case 0:
		return 0;
	case 1:
		return ver0 - 1;
	case 2:
		return exact + 8;
	case 3:
		return 4096;
	case 4:
		return 4097 + pick(c, 1 << 20);
	default:
		return exact;
	}
}

/*
 * Where the argument lives. Usually the rw arena; sometimes read-only, or
 * placed so it runs into the guard page, or NULL.
 */
static void *place_arg(struct fuzz_ctx *c, const void *arg, size_t len,
		       size_t tail)
{
	unsigned char *p;

	switch (pick(c, 12)) {
	case 0:
		return NULL;
	case 1:
		return c->arena + 3 * 4096;	/* read-only: holds zeros */
	case 2:	/* runs into the guard page */
		p = c->arena + 2 * 4096 - len / 2;
		memcpy(p, arg, len / 2);
		return p;
	default:
		p = c->arena + 2 * 4096 - len - tail;
		memcpy(p, arg, len);
		/* A tail past the struct: zero, or garbage for E2BIG. */
		memset(p + len, pick(c, 4) ? 0 : 0xa5, tail);
		return p;
	}
}

static bool errno_ok(int err)
{
	switch (err) {
	case EINVAL: case E2BIG: case ENOENT: case EFAULT: case EFBIG:
	case ENOSPC: case ENOMEM: case EPERM: case ENOTTY: case EBUSY:
	case EAGAIN: case ETIMEDOUT: case ENOTSOCK: case EBADF:
	case EPROTONOSUPPORT: case EOPNOTSUPP: case EDESTADDRREQ:
	case EPIPE: case ENXIO: case EXDEV: case ECONNREFUSED:
	case EMSGSIZE: case EINTR: case ENODEV: case ENOTCONN:
	case EACCES: case ECONNRESET: case EOVERFLOW:
	case EEXIST: case EMFILE:
		return true;
	default:
		return false;
	}
}

static void note(struct fuzz_ctx *c, const char *what, long ret, int err)
{
	c->calls++;
	if (!ret) {
		c->ok++;
		return;
	}
	if (ret < 0 && errno_ok(err))
		return;
	if (!c->bad[0])
		snprintf(c->bad, sizeof(c->bad), "%s returned %ld errno %d (%s)",
			 what, ret, err, strerror(err));
}

static void fuzz_call(struct fuzz_ctx *c, const char *what, unsigned long cmd,
		      void *arg, size_t len, __u32 exact, __u32 ver0)
{
	__u32 size = pick_size(c, exact, ver0);
	size_t tail = size > len && size <= 4096 ? size - len : 0;
	void *where;
	long ret;

	memcpy(arg, &size, sizeof(size));
	where = place_arg(c, arg, len, tail);
	ret = ioctl(c->fd, cmd, where);
	note(c, what, ret, ret < 0 ? errno : 0);
	if (!ret && where && (cmd == ZCDEV_IOC_ALLOC ||
			      cmd == ZCDEV_IOC_IMPORT)) {
		__u32 h = cmd == ZCDEV_IOC_ALLOC ?
			  ((struct zcdev_alloc *)where)->handle :
			  ((struct zcdev_import *)where)->handle;

		if (c->nr_live < MAX_HANDLES)
			c->live[c->nr_live++] = h;
		else
			c->live[pick(c, MAX_HANDLES)] = h;
	}
	if (!ret && where && cmd == ZCDEV_IOC_EXPORT) {
		/* Keep a few to import; the one pushed out is closed. */
		unsigned int i = pick(c, MAX_DMABUFS);

		if (c->dmabufs[i] >= 0)
			close(c->dmabufs[i]);
		c->dmabufs[i] = ((struct zcdev_export *)where)->fd;
	}
	if (!ret && where && cmd == ZCDEV_IOC_DMA_SUBMIT)
		c->ids[pick(c, 16)] = ((struct zcdev_dma_submit *)where)->id;
}

static void fuzz_alloc(struct fuzz_ctx *c)
{
	struct zcdev_alloc a = {
		.flags = pick(c, 4) ? 0 : pick_flags(c),
		.kind = pick(c, 8) ? 1 + pick(c, 2) : pick_flags(c),
		.len = pick(c, 2) ? 1 + pick(c, 4 * 4096) : pick_u64(c),
	};

	fuzz_call(c, "ALLOC", ZCDEV_IOC_ALLOC, &a, sizeof(a), sizeof(a),
		  ZCDEV_ALLOC_SIZE_VER0);
}

static void fuzz_free(struct fuzz_ctx *c)
{
	struct zcdev_free f = {
		.handle = pick_handle(c),
		.flags = pick(c, 4) ? 0 : pick_flags(c),
		.reserved = pick(c, 4) ? 0 : pick_flags(c),
	};

	fuzz_call(c, "FREE", ZCDEV_IOC_FREE, &f, sizeof(f), sizeof(f),
		  ZCDEV_FREE_SIZE_VER0);
}

static void fuzz_query(struct fuzz_ctx *c)
{
	struct zcdev_query q = {
		.handle = pick_handle(c),
		.flags = pick(c, 4) ? 0 : pick_flags(c),
		.segs_cap = pick(c, 2) ? 0 : (__u32)pick_u64(c),
		.seg_size = pick_elem_size(c, sizeof(struct zcdev_dma_seg)),
		.reserved = pick(c, 8) ? 0 : pick_flags(c),
	};

	q.segs_ptr = pick_ptr(c, 16);
	fuzz_call(c, "QUERY", ZCDEV_IOC_QUERY, &q, sizeof(q), sizeof(q),
		  ZCDEV_QUERY_SIZE_VER0);
}

static void fuzz_sync(struct fuzz_ctx *c)
{
	struct zcdev_sync s = {
		.handle = pick_handle(c),
		.flags = pick(c, 2) ? 1 + pick(c, 2) : pick_flags(c),
		.reserved = pick(c, 8) ? 0 : pick_flags(c),
		.offset = pick_u64(c),
		.len = pick_u64(c),
	};

	fuzz_call(c, "SYNC", ZCDEV_IOC_SYNC, &s, sizeof(s), sizeof(s),
		  ZCDEV_SYNC_SIZE_VER0);
}

static void fuzz_info(struct fuzz_ctx *c)
{
	struct zcdev_info i = {
		.flags = pick(c, 4) ? 0 : pick_flags(c),
		.reserved = pick(c, 4) ? 0 : pick_u64(c),
	};

	fuzz_call(c, "INFO", ZCDEV_IOC_INFO, &i, sizeof(i), sizeof(i),
		  ZCDEV_INFO_SIZE_VER0);
}

static void pick_ep(struct fuzz_ctx *c, struct zcdev_dma_ep *ep)
{
	ep->type = pick(c, 8) ? 1 + pick(c, 2) : pick_flags(c);
	if (ep->type == ZCDEV_DMA_EP_USER) {
		ep->handle = pick(c, 8) ? 0 : pick_handle(c);
		ep->addr = pick_ptr(c, 4096);
	} else {
		ep->handle = pick_handle(c);
		ep->addr = pick(c, 2) ? pick(c, 8192) : pick_u64(c);
	}
}

static void fuzz_dma_submit(struct fuzz_ctx *c)
{
	struct zcdev_dma_seg_desc *segs = (void *)(c->arena + 4096);
	unsigned int i, n = 1 + pick(c, 4);
	struct zcdev_dma_submit s = {
		.flags = pick(c, 8) ? 0 : pick_flags(c),
		.nr_segs = pick(c, 8) ? n : (__u32)pick_u64(c),
		.seg_size = pick(c, 8) ? sizeof(*segs) : (__u32)pick_u64(c),
		.user_data = rnd(c),
	};

	/* Segments live in the arena's second page, before the argument. */
	for (i = 0; i < n; i++) {
		memset(&segs[i], 0, sizeof(segs[i]));
		pick_ep(c, &segs[i].src);
		pick_ep(c, &segs[i].dst);
		segs[i].len = pick(c, 2) ? 1 + pick(c, 8192) : pick_u64(c);
		segs[i].flags = pick(c, 8) ? 0 : pick_flags(c);
		segs[i].reserved[pick(c, 5)] = pick(c, 8) ? 0 : pick_flags(c);
	}
	s.segs_ptr = pick(c, 4) ? (__u64)(uintptr_t)segs :
				  pick_ptr(c, sizeof(*segs) * n);
	fuzz_call(c, "DMA_SUBMIT", ZCDEV_IOC_DMA_SUBMIT, &s, sizeof(s),
		  sizeof(s), ZCDEV_DMA_SUBMIT_SIZE_VER0);
}

/*
 * A deadline that has passed (0 included) or is at most 20 ms away: the
 * fuzzer never waits long (ZCDEV_DEADLINE_NEVER is for the other tests).
 */
static __u64 pick_deadline(struct fuzz_ctx *c)
{
	static const __u64 ahead[] = { 0, 1000, 1000000, 20000000 };

	switch (pick(c, 4)) {
	case 0:
		return 0;
	case 1:
		return 1 + pick(c, 1000);
	default:
		return zt_now_ns() + ahead[pick(c, ARRAY_SIZE(ahead))];
	}
}

static void fuzz_dma_wait(struct fuzz_ctx *c)
{
	struct zcdev_dma_wait w = {
		.flags = pick(c, 4) ? pick(c, 4) : pick_flags(c),
		.id = pick(c, 2) ? c->ids[pick(c, 16)] : pick_u64(c),
		.deadline_ns = pick_deadline(c),
	};

	fuzz_call(c, "DMA_WAIT", ZCDEV_IOC_DMA_WAIT, &w, sizeof(w), sizeof(w),
		  ZCDEV_DMA_WAIT_SIZE_VER0);
}

static void fuzz_dma_cancel(struct fuzz_ctx *c)
{
	struct zcdev_dma_cancel x = {
		.flags = pick(c, 4) ? pick(c, 2) : pick_flags(c),
		.id = pick(c, 2) ? c->ids[pick(c, 16)] : pick_u64(c),
		.reserved = pick(c, 8) ? 0 : pick_flags(c),
	};

	fuzz_call(c, "DMA_CANCEL", ZCDEV_IOC_DMA_CANCEL, &x, sizeof(x),
		  sizeof(x), ZCDEV_DMA_CANCEL_SIZE_VER0);
}

static void fuzz_dma_stats(struct fuzz_ctx *c)
{
	struct zcdev_dma_stats s = { .flags = pick(c, 4) ? 0 : pick_flags(c) };

	fuzz_call(c, "DMA_STATS", ZCDEV_IOC_DMA_STATS, &s, sizeof(s),
		  sizeof(s), ZCDEV_DMA_STATS_SIZE_VER0);
}

static void fuzz_send(struct fuzz_ctx *c)
{
	int fds[] = { c->udp_fd, c->tcp_fd, c->fd, -1, 1000, 0 };
	struct zcdev_send s = {
		.flags = pick(c, 2) ? pick(c, 8) | ZCDEV_SEND_DONTWAIT |
				      ZCDEV_SEND_NOSIGNAL : pick_flags(c),
		.sock_fd = fds[pick(c, ARRAY_SIZE(fds))],
		.handle = pick_handle(c),
		.offset = pick(c, 2) ? pick(c, 8192) : pick_u64(c),
		.len = pick(c, 2) ? 1 + pick(c, 2000) : pick_u64(c),
		.user_data = rnd(c),
	};

	fuzz_call(c, "SEND", ZCDEV_IOC_SEND, &s, sizeof(s), sizeof(s),
		  ZCDEV_SEND_SIZE_VER0);
}

static void fuzz_send_reap(struct fuzz_ctx *c)
{
	struct zcdev_reap r = {
		.flags = pick(c, 4) ? 0 : pick_flags(c),
		.max_entries = pick(c, 4) ? 1 + pick(c, 64) : (__u32)pick_u64(c),
		.deadline_ns = pick(c, 2) ? 0 : pick_deadline(c),
		.entry_size = pick_elem_size(c,
					     sizeof(struct zcdev_send_completion)),
		.reserved = pick(c, 8) ? 0 : pick_flags(c),
	};

	r.entries_ptr = pick_ptr(c, sizeof(struct zcdev_send_completion) * 8);
	fuzz_call(c, "SEND_REAP", ZCDEV_IOC_SEND_REAP, &r, sizeof(r),
		  sizeof(r), ZCDEV_REAP_SIZE_VER0);
}

/*
 * Ask for a ring (mostly a valid size; a file gets one, then EBUSY), then
 * map whatever ring there is and sometimes move its head anywhere: the
 * module must take any head without hanging or overrunning.
 */
static void fuzz_send_ring(struct fuzz_ctx *c)
{
	struct zcdev_send_ring r = {
		.flags = pick(c, 8) ? 0 : pick_flags(c),
		.entries = pick(c, 4) ? 1U << pick(c, 18) : (__u32)rnd(c),
		.reserved = pick(c, 8) ? 0 : pick_flags(c),
	};
	size_t len = (size_t)(1 + pick(c, 4)) * getpagesize();
	__u32 *p;

	fuzz_call(c, "SEND_RING", ZCDEV_IOC_SEND_RING, &r, sizeof(r),
		  sizeof(r), ZCDEV_SEND_RING_SIZE_VER0);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd,
		 ZCDEV_SEND_RING_OFFSET);
	note(c, "SEND_RING mmap", p == MAP_FAILED ? -1 : 0,
	     p == MAP_FAILED ? errno : 0);
	if (p == MAP_FAILED)
		return;
	if (!pick(c, 4))
		p[0] = (__u32)rnd(c);	/* head_offset 0 */
	munmap(p, len);
}

static void fuzz_export(struct fuzz_ctx *c)
{
	struct zcdev_export e = {
		.handle = pick_handle(c),
		.flags = pick(c, 4) ? pick(c, 4) : pick_flags(c),
		.fd = pick(c, 2) ? -1 : (__s32)rnd(c),
	};

	fuzz_call(c, "EXPORT", ZCDEV_IOC_EXPORT, &e, sizeof(e), sizeof(e),
		  ZCDEV_EXPORT_SIZE_VER0);
}

/* An fd to import: mostly an export, else anything but. */
static int pick_import_fd(struct fuzz_ctx *c)
{
	switch (pick(c, 8)) {
	case 0:
		return c->pipe_fd;
	case 1:
		return c->fd;
	case 2:
		return pick(c, 2) ? -1 : (int)rnd(c);
	case 3:
		return c->udp_fd;
	default:
		return c->dmabufs[pick(c, MAX_DMABUFS)];
	}
}

static void fuzz_import(struct fuzz_ctx *c)
{
	struct zcdev_import im = {
		.flags = pick(c, 8) ? 0 : pick_flags(c),
		.fd = pick_import_fd(c),
		.handle = pick(c, 4) ? 0 : pick_handle(c),
		.len = pick(c, 2) ? 0 : pick(c, 2) ? 4096 * pick(c, 3) :
					  pick_u64(c),
	};

	fuzz_call(c, "IMPORT", ZCDEV_IOC_IMPORT, &im, sizeof(im), sizeof(im),
		  ZCDEV_IMPORT_SIZE_VER0);
}

static void fuzz_unknown(struct fuzz_ctx *c)
{
	unsigned long cmd = pick(c, 2) ? _IO(ZCDEV_IOC_MAGIC, pick(c, 256)) :
					 (unsigned long)(__u32)rnd(c);
	long ret = ioctl(c->fd, cmd, c->arena);

	note(c, "unknown ioctl", ret, ret < 0 ? errno : 0);
}

/* The file's other entry points, with the same values. */
static void fuzz_file_ops(struct fuzz_ctx *c)
{
	__u64 off = pick(c, 2) ? ((__u64)pick_handle(c) << 36) + pick(c, 8192) :
				 pick_u64(c);
	size_t len = pick(c, 2) ? pick(c, 8192) : (size_t)pick_u64(c);
	void *p;
	long ret;

	switch (pick(c, 4)) {
	case 0:
		ret = pread(c->fd, c->scratch, len, (off_t)off);
		note(c, "pread", ret > 0 ? 0 : ret, errno);
		break;
	case 1:
		ret = pwrite(c->fd, c->scratch, len, (off_t)off);
		note(c, "pwrite", ret > 0 ? 0 : ret, errno);
		break;
	case 2:
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 pick(c, 4) ? MAP_SHARED : MAP_PRIVATE, c->fd,
			 (off_t)(off & ~4095ULL));
		if (p != MAP_FAILED) {
			if (len)
				((volatile char *)p)[0];
			munmap(p, len);
		}
		note(c, "mmap", p == MAP_FAILED ? -1 : 0, errno);
		break;
	default: {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

		ret = poll(&pfd, 1, 0);
		note(c, "poll", ret >= 0 ? 0 : ret, errno);
	}
	}
}

static void (*const ops[])(struct fuzz_ctx *) = {
	fuzz_alloc, fuzz_alloc, fuzz_free, fuzz_query, fuzz_sync, fuzz_info,
	fuzz_dma_submit, fuzz_dma_wait, fuzz_dma_cancel, fuzz_dma_stats,
	fuzz_send, fuzz_send_reap, fuzz_send_ring, fuzz_unknown, fuzz_file_ops,
	fuzz_export, fuzz_import,
};

static int sock_pair(int type, int *peer)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l, s;

	l = socket(AF_INET, type, 0);
	if (l < 0 || bind(l, (void *)&a, len) || getsockname(l, (void *)&a, &len))
		return -1;
	if (type == SOCK_STREAM && listen(l, 1))
		return -1;
	s = socket(AF_INET, type | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -1;
	if (connect(s, (void *)&a, len) && errno != EINPROGRESS)
		return -1;
	if (type == SOCK_STREAM) {
		*peer = accept(l, NULL, NULL);
		close(l);
	} else {
		*peer = l;
	}
	return s;
}

static __u64 env_u64(const char *name, __u64 def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct fuzz_run {
	struct fuzz_ctx ctx;
	unsigned long budget;
	double deadline;
};

static void *fuzz_loop(void *arg)
{
	struct fuzz_run *r = arg;
	struct fuzz_ctx *c = &r->ctx;

	while (c->calls < r->budget && !c->bad[0]) {
		ops[pick(c, ARRAY_SIZE(ops))](c);
		if (!(c->calls & 255) && now() > r->deadline)
			break;
	}
	return NULL;
}

static int ctx_init(struct fuzz_ctx *c, int fd, int other_fd, __u64 seed,
		    int *peers)
{
	struct zcdev_alloc a;
	int p[2], i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < MAX_DMABUFS; i++)
		c->dmabufs[i] = -1;
	c->pipe_fd = -1;
	c->fd = fd;
	c->other_fd = other_fd;
	c->rng = seed | 1;
	c->arena = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	c->scratch = mmap(NULL, SCRATCH_PAGES * 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c->arena == MAP_FAILED || c->scratch == MAP_FAILED)
		return -1;
	if (mprotect(c->arena + 2 * 4096, 4096, PROT_NONE) ||
	    mprotect(c->arena + 3 * 4096, 4096, PROT_READ))
		return -1;
	if (!zt_alloc(other_fd, ZCDEV_BUF_PAGES, 4096, &a))
		c->foreign = a.handle;
	c->udp_fd = sock_pair(SOCK_DGRAM, &peers[0]);
	c->tcp_fd = sock_pair(SOCK_STREAM, &peers[1]);
	if (!pipe(p)) {
		c->pipe_fd = p[0];
		close(p[1]);
	}
	return 0;
}

/* The context's own fds; the sockets are left to exit, as before. */
static void ctx_fini(struct fuzz_ctx *c)
{
	int i;

	for (i = 0; i < MAX_DMABUFS; i++)
		if (c->dmabufs[i] >= 0)
			close(c->dmabufs[i]);
	if (c->pipe_fd >= 0)
		close(c->pipe_fd);
}

/* One process: FUZZ_THREADS threads on one fd. Returns calls made. */
static unsigned long fuzz_process(__u64 seed, unsigned long budget,
				  double seconds, char *bad, size_t badlen,
				  unsigned long *succeeded)
{
	struct fuzz_run runs[FUZZ_THREADS];
	pthread_t tid[FUZZ_THREADS];
	int fd = zt_open(), other = zt_open(), peers[FUZZ_THREADS][2];
	unsigned long calls = 0;
	int i;

	bad[0] = 0;
	if (fd < 0 || other < 0) {
		snprintf(bad, badlen, "open: %s", strerror(-fd));
		return 0;
	}
	for (i = 0; i < FUZZ_THREADS; i++) {
		if (ctx_init(&runs[i].ctx, fd, other, seed + i, peers[i])) {
			snprintf(bad, badlen, "setup: %s", strerror(errno));
			return 0;
		}
		runs[i].budget = budget / FUZZ_THREADS;
		runs[i].deadline = now() + seconds;
		pthread_create(&tid[i], NULL, fuzz_loop, &runs[i]);
	}
	for (i = 0; i < FUZZ_THREADS; i++) {
		pthread_join(tid[i], NULL);
		calls += runs[i].ctx.calls;
		*succeeded += runs[i].ctx.ok;
		if (!bad[0] && runs[i].ctx.bad[0])
			snprintf(bad, badlen, "thread %d: %s", i,
				 runs[i].ctx.bad);
		ctx_fini(&runs[i].ctx);
	}
	/* Close with whatever is in flight: release must cope. */
	close(fd);
	close(other);
	return calls;
}

static __u64 fuzz_seed(struct __test_metadata *_metadata)
{
	__u64 seed = env_u64("ZCDEV_FUZZ_SEED", 0);

	if (!seed)
		seed = (__u64)time(NULL) * 2654435761ULL ^ getpid();
	TH_LOG("seed %#llx (rerun with ZCDEV_FUZZ_SEED=%#llx)",
	       (unsigned long long)seed, (unsigned long long)seed);
	return seed;
}

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
	int fd = zt_open();

	if (fd < 0)
		ZT_SETUP_SKIP("no %s (%s)", zt_dev_path(), strerror(-fd));
	close(fd);
}

FIXTURE_TEARDOWN(fuzz)
{
}

/* ZCDEV_FUZZ_SECONDS bounds the work; the harness's limit sits above it. */
TEST_F_TIMEOUT(fuzz, threads_share_one_fd, 900)
{
	unsigned long budget = env_u64("ZCDEV_FUZZ_CALLS", 20000);
	double seconds = env_u64("ZCDEV_FUZZ_SECONDS", 300);
	__u64 seed;
	unsigned long calls, ok = 0;
	char bad[256];

	seed = fuzz_seed(_metadata);
	signal(SIGPIPE, SIG_IGN);
	calls = fuzz_process(seed, budget, seconds, bad, sizeof(bad), &ok);
	TH_LOG("fuzz: %lu calls (%lu succeeded), %d threads on one fd",
	       calls, ok, FUZZ_THREADS);
	ASSERT_EQ(0, bad[0]) TH_LOG("%s", bad);
	ASSERT_LT(0UL, calls);
}

TEST_F_TIMEOUT(fuzz, processes_at_once, 900)
{
	unsigned long budget = env_u64("ZCDEV_FUZZ_CALLS", 20000);
	double seconds = env_u64("ZCDEV_FUZZ_SECONDS", 300);
	int pipes[FUZZ_PROCS][2];
	unsigned long total = 0;
	pid_t pid[FUZZ_PROCS];
	__u64 seed;
	int i, status;

	seed = fuzz_seed(_metadata);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < FUZZ_PROCS; i++) {
		ASSERT_EQ(0, pipe(pipes[i]));
		pid[i] = fork();
		ASSERT_GE(pid[i], 0);
		if (!pid[i]) {
			unsigned long calls, ok = 0;
			char bad[256];

			calls = fuzz_process(seed + 1000 * (i + 1),
					     budget / FUZZ_PROCS, seconds, bad,
					     sizeof(bad), &ok);
			dprintf(pipes[i][1], "%lu %s", calls, bad);
			_exit(bad[0] ? 1 : 0);
		}
		close(pipes[i][1]);
	}
	for (i = 0; i < FUZZ_PROCS; i++) {
		char msg[300] = "";
		unsigned long calls = 0;

		ASSERT_GT(read(pipes[i][0], msg, sizeof(msg) - 1), 0);
		sscanf(msg, "%lu", &calls);
		total += calls;
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("process %d: %s", i, msg);
	}
	TH_LOG("fuzz: %lu calls, %d processes x %d threads", total,
	       FUZZ_PROCS, FUZZ_THREADS);
	ASSERT_LT(0UL, total);
}

TEST_HARNESS_MAIN
