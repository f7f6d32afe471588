/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the zcdev DMA selftests (dma_*.c); builds on
 * zcdev_test.h. Wrappers return 0 or -errno like the ones there.
 *
 * Regions: a zcdev buffer (COHERENT or PAGES, mapped MAP_SHARED for the
 * CPU) or plain user memory, each with a shadow copy of what it must hold.
 * Tests fill regions with a seeded pseudo-random pattern, tell the shadows
 * what each DMA segment should copy, and then compare whole regions with
 * their shadows: that checks the copied bytes and every byte around them
 * (the guards) at once, and that sources were left alone.
 *
 * Engine knobs: the software engine zcdma has module parameters
 * (latency_us, bandwidth_mbps, fail_every) writable at runtime. Their
 * values at program start are saved and put back at the start of every
 * fixture that includes this file and when the program exits, so a test
 * killed half way does not slow down or break the ones after it.
 */
#ifndef ZCDEV_DMA_TEST_H
#define ZCDEV_DMA_TEST_H

#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <sys/resource.h>

#include "zcdev_test.h"

#define MiB		(1UL << 20)
#define KiB		(1UL << 10)

/* Final statuses as the type WAIT reports them in (for EXPECT_EQ). */
#define ZT_DONE		((__u32)ZCDEV_DMA_DONE)
#define ZT_ERROR	((__u32)ZCDEV_DMA_ERROR)
#define ZT_TIMEDOUT	((__u32)ZCDEV_DMA_TIMEDOUT)
#define ZT_CANCELLED	((__u32)ZCDEV_DMA_CANCELLED)

/* How long a WAIT may take before the test calls it a hang (relative). */
#define ZT_HANG_NS	(20 * NSEC_PER_SEC)

static inline void zt_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- ioctl wrappers ---- */

static inline struct zcdev_dma_ep zt_ep_buf(__u32 handle, __u64 offset)
{
	struct zcdev_dma_ep ep = {
		.type = ZCDEV_DMA_EP_BUF,
		.handle = handle,
		.addr = offset,
	};

	return ep;
}

static inline struct zcdev_dma_ep zt_ep_user(const void *p)
{
	struct zcdev_dma_ep ep = {
		.type = ZCDEV_DMA_EP_USER,
		.addr = (__u64)(uintptr_t)p,
	};

	return ep;
}

static inline int zt_dma_submit(int fd, const struct zcdev_dma_seg_desc *segs,
				__u32 nr_segs, __u64 user_data, __u64 *id)
{
	struct zcdev_dma_submit s = {
		.size = sizeof(s),
		.nr_segs = nr_segs,
		.seg_size = sizeof(*segs),
		.segs_ptr = (__u64)(uintptr_t)segs,
		.user_data = user_data,
	};
	int ret = zt_ioctl(fd, ZCDEV_IOC_DMA_SUBMIT, &s);

	if (id)
		*id = ret ? 0 : s.id;
	return ret;
}

/* One segment from @src to @dst. */
static inline int zt_dma_submit1(int fd, struct zcdev_dma_ep src,
				 struct zcdev_dma_ep dst, __u64 len,
				 __u64 user_data, __u64 *id)
{
	struct zcdev_dma_seg_desc seg = { .src = src, .dst = dst, .len = len };

	return zt_dma_submit(fd, &seg, 1, user_data, id);
}

/*
 * Wait for @id (any with ZCDEV_DMA_WAIT_ANY) until @deadline_ns at most:
 * 0 polls, ZCDEV_DEADLINE_NEVER waits without limit, else an absolute
 * CLOCK_MONOTONIC time (zt_deadline_in()).
 */
static inline int zt_dma_wait(int fd, __u64 id, __u32 flags,
			      __u64 deadline_ns, struct zcdev_dma_wait *w)
{
	struct zcdev_dma_wait tmp;

	if (!w)
		w = &tmp;
	memset(w, 0, sizeof(*w));
	w->size = sizeof(*w);
	w->flags = flags;
	w->id = id;
	w->deadline_ns = deadline_ns;
	return zt_ioctl(fd, ZCDEV_IOC_DMA_WAIT, w);
}

static inline int zt_dma_cancel(int fd, __u64 id, __u32 flags,
				__u32 *cancelled)
{
	struct zcdev_dma_cancel c = {
		.size = sizeof(c),
		.flags = flags,
		.id = id,
	};
	int ret = zt_ioctl(fd, ZCDEV_IOC_DMA_CANCEL, &c);

	if (cancelled)
		*cancelled = ret ? 0 : c.cancelled;
	return ret;
}

static inline int zt_dma_stats(int fd, struct zcdev_dma_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return zt_ioctl(fd, ZCDEV_IOC_DMA_STATS, st);
}

/* in_flight of STATS, or ~0 on error (which the caller's checks catch). */
static inline __u64 zt_dma_in_flight(int fd)
{
	struct zcdev_dma_stats st;

	return zt_dma_stats(fd, &st) ? ~0ULL : st.in_flight;
}

/* SKIP unless the module holds a DMA channel. */
#define ZT_SETUP_NEED_DMA(infop) do { \
	if (!((infop)->features & ZCDEV_FEAT_DMA)) \
		ZT_SETUP_SKIP("no DMA channel (INFO.features lacks ZCDEV_FEAT_DMA)"); \
} while (0)

/*
 * The start of a DMA fixture's setup: the engine's knobs as at program
 * start, the device open into self->fd and self->info (SKIP without it, a
 * DMA channel, or either buffer kind), its page size in self->page.
 */
#define ZT_SETUP_DMA_FILE(self) do { \
	(self)->fd = -1; \
	zt_hold_restore(); \
	ZT_SETUP_OPEN(&(self)->fd, &(self)->info); \
	ZT_SETUP_NEED_DMA(&(self)->info); \
	ZT_SETUP_NEED_KIND(&(self)->info, ZCDEV_BUF_COHERENT); \
	ZT_SETUP_NEED_KIND(&(self)->info, ZCDEV_BUF_PAGES); \
	(self)->page = (self)->info.page_size; \
} while (0)

/* ---- numbers from /proc and /sys ---- */

static inline int zt_write_ulong(const char *path, unsigned long val)
{
	char s[32];
	int fd, len, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(s, sizeof(s), "%lu\n", val);
	if (write(fd, s, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

/* VmLck of this process in kB (pinned pages are charged there), or -1. */
static inline long zt_vmlck_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* ---- the software engine's knobs ---- */

#define ZCDMA_PARAM_DIR	"/sys/module/zcdma/parameters/"

enum zt_knob { ZT_LATENCY_US, ZT_BANDWIDTH_MBPS, ZT_FAIL_EVERY, ZT_NR_KNOBS };

static const char *const zt_knob_names[ZT_NR_KNOBS] = {
	"latency_us", "bandwidth_mbps", "fail_every",
};

static unsigned long zt_knob_saved[ZT_NR_KNOBS];
static bool zt_knobs_present;

static inline void zt_knob_path(enum zt_knob k, char *path, size_t len)
{
	snprintf(path, len, ZCDMA_PARAM_DIR "%s", zt_knob_names[k]);
}

static inline int zt_knob_get(enum zt_knob k, unsigned long *val)
{
	char path[128];

	zt_knob_path(k, path, sizeof(path));
	return zt_read_ulong(path, val);
}

static inline int zt_knob_set(enum zt_knob k, unsigned long val)
{
	char path[128];

	zt_knob_path(k, path, sizeof(path));
	return zt_write_ulong(path, val);
}

/* Put every knob back to its value at program start. */
static inline void zt_knobs_restore(void)
{
	unsigned long cur;
	int k;

	if (!zt_knobs_present)
		return;
	for (k = 0; k < ZT_NR_KNOBS; k++)
		if (!zt_knob_get(k, &cur) && cur != zt_knob_saved[k])
			zt_knob_set(k, zt_knob_saved[k]);
}

static void __attribute__((constructor)) zt_knobs_save(void)
{
	int k;

	for (k = 0; k < ZT_NR_KNOBS; k++)
		if (zt_knob_get(k, &zt_knob_saved[k]))
			return;
	zt_knobs_present = true;
	/* Runs in the harness's main process only: test children _exit(). */
	atexit(zt_knobs_restore);
}

/*
 * Is the channel zcdev uses one of zcdma's (so its knobs act on it)?
 * 1 yes, 0 no, -errno if that cannot be told.
 */
static inline int zt_channel_is_zcdma(int fd)
{
	struct zcdev_dma_stats st;
	char path[128], link[256];
	const char *base;
	ssize_t n;
	int ret = zt_dma_stats(fd, &st);

	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/sys/class/dma/%.32s/device", st.channel);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	return !strcmp(base, "zcdma");
}

/*
 * ---- holding transfers in flight, on any engine ----
 *
 * A test that cancels, times out, closes or kills under a transfer needs
 * one that is still running. On zcdma that is its latency_us (per
 * descriptor, inside the engine); on any other engine (a PL330, say),
 * zcdev's debugfs issue_delay_us, which keeps a transfer's submitted
 * descriptors on the engine's queue that long before issuing them. The
 * value at program start is put back like the knobs'.
 */
#define ZCDEV_ISSUE_DELAY	"/sys/kernel/debug/zcdev/issue_delay_us"

static unsigned long zt_issue_delay_saved;
static bool zt_issue_delay_present;

static inline void zt_issue_delay_restore(void)
{
	unsigned long cur;

	if (zt_issue_delay_present &&
	    !zt_read_ulong(ZCDEV_ISSUE_DELAY, &cur) &&
	    cur != zt_issue_delay_saved)
		zt_write_ulong(ZCDEV_ISSUE_DELAY, zt_issue_delay_saved);
}

static void __attribute__((constructor)) zt_issue_delay_save(void)
{
	if (zt_read_ulong(ZCDEV_ISSUE_DELAY, &zt_issue_delay_saved))
		return;
	zt_issue_delay_present = true;
	atexit(zt_issue_delay_restore);
}

/* Which way transfers are held: 1 zcdma's latency_us, 0 issue_delay_us. */
static int zt_hold_by_zcdma = -1;

/*
 * Can transfers on @fd's channel be held? Decides how; returns 0 or a
 * reason for a SKIP.
 */
static inline const char *zt_hold_unavailable(int fd)
{
	zt_issue_delay_restore();
	if (zt_knobs_present && zt_channel_is_zcdma(fd) == 1) {
		zt_knobs_restore();
		zt_hold_by_zcdma = 1;
		return NULL;
	}
	if (zt_issue_delay_present &&
	    !zt_write_ulong(ZCDEV_ISSUE_DELAY, zt_issue_delay_saved)) {
		zt_hold_by_zcdma = 0;
		return NULL;
	}
	return "cannot hold a transfer: the channel is not zcdma's and " ZCDEV_ISSUE_DELAY " is not writable (debugfs)";
}

/* Hold every transfer (or descriptor, on zcdma) about @us before it runs. */
static inline int zt_hold_set(unsigned long us)
{
	if (zt_hold_by_zcdma == 1)
		return zt_knob_set(ZT_LATENCY_US, us);
	if (zt_hold_by_zcdma == 0)
		return zt_write_ulong(ZCDEV_ISSUE_DELAY, us);
	return -EINVAL;
}

static inline void zt_hold_restore(void)
{
	zt_issue_delay_restore();
	zt_knobs_restore();
}

/* Hold by issue_delay_us whatever the engine; 0 or a reason to SKIP. */
static inline const char *zt_hold_by_issue_delay(void)
{
	zt_hold_restore();
	if (!zt_issue_delay_present)
		return "no " ZCDEV_ISSUE_DELAY " (debugfs not mounted, or a module without it)";
	if (zt_write_ulong(ZCDEV_ISSUE_DELAY, zt_issue_delay_saved))
		return "cannot write " ZCDEV_ISSUE_DELAY;
	zt_hold_by_zcdma = 0;
	return NULL;
}

#define ZT_SETUP_NEED_ISSUE_DELAY() do { \
	const char *why_not = zt_hold_by_issue_delay(); \
	if (why_not) \
		ZT_SETUP_SKIP("%s", why_not); \
} while (0)

/* SKIP unless transfers can be held on @fd's channel (see above). */
#define ZT_SETUP_NEED_HOLD(fd) do { \
	const char *why_not = zt_hold_unavailable(fd); \
	if (why_not) \
		ZT_SETUP_SKIP("%s", why_not); \
} while (0)

/* SKIP unless the engine is zcdma and its knobs can be written. */
#define ZT_SETUP_NEED_KNOBS(fd) do { \
	if (!zt_knobs_present) \
		ZT_SETUP_SKIP("no %s (zcdma not loaded)", ZCDMA_PARAM_DIR); \
	if (zt_channel_is_zcdma(fd) != 1) \
		ZT_SETUP_SKIP("the DMA channel is not zcdma's: its knobs do not apply"); \
	if (zt_knob_set(ZT_LATENCY_US, zt_knob_saved[ZT_LATENCY_US])) \
		ZT_SETUP_SKIP("cannot write %slatency_us", ZCDMA_PARAM_DIR); \
} while (0)

/* ---- seeded randomness and patterns ---- */

static inline __u64 zt_splitmix(__u64 *s)
{
	__u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The seed of a randomized test: $ZCDEV_SEED, or fresh. Log it. */
static inline __u64 zt_seed(void)
{
	const char *e = getenv("ZCDEV_SEED");
	__u64 s;

	if (e && *e)
		return strtoull(e, NULL, 0);
	s = zt_now_ns() ^ ((__u64)getpid() << 32);
	return zt_splitmix(&s);
}

/* Uniform in [0, n); n > 0. */
static inline __u64 zt_rand_below(__u64 *s, __u64 n)
{
	return zt_splitmix(s) % n;
}

/* Log-uniform length in [1, max]: as many tiny as huge ones. */
static inline __u64 zt_rand_len(__u64 *s, __u64 max)
{
	unsigned int bits = 0;
	__u64 lim;

	while (bits < 63 && (1ULL << bits) < max)
		bits++;
	lim = 1ULL << zt_rand_below(s, bits + 1);
	if (lim > max)
		lim = max;
	return 1 + zt_rand_below(s, lim);
}

/* Pseudo-random bytes from @seed; fast (a word at a time). */
static inline void zt_rfill(void *buf, size_t len, __u64 seed)
{
	unsigned char *p = buf;
	__u64 s = seed, v;

	while (len >= 8) {
		v = zt_splitmix(&s);
		memcpy(p, &v, 8);
		p += 8;
		len -= 8;
	}
	if (len) {
		v = zt_splitmix(&s);
		memcpy(p, &v, len);
	}
}

/* Index of the first byte where @a and @b differ, or -1. */
static inline long zt_diff(const void *a, const void *b, size_t len)
{
	const unsigned char *x = a, *y = b;
	size_t i, chunk;

	for (i = 0; i < len; i += chunk) {
		chunk = len - i < 4096 ? len - i : 4096;
		if (memcmp(x + i, y + i, chunk)) {
			while (x[i] == y[i])
				i++;
			return (long)i;
		}
	}
	return -1;
}

/* ---- regions ---- */

/**
 * struct zt_region - memory a DMA test reads or writes
 * @name: for messages
 * @kind: ZCDEV_BUF_COHERENT or ZCDEV_BUF_PAGES, or 0 for user memory
 * @handle: the buffer's handle (buffers only)
 * @offset: the buffer's offset for mmap, pread and pwrite (buffers only)
 * @len: usable bytes
 * @mem: the CPU's view: the buffer's mapping, or the user memory itself
 * @map_len: bytes mapped at @mem
 * @shadow: what @mem must hold
 */
struct zt_region {
	const char *name;
	__u32 kind;
	__u32 handle;
	__u64 offset;
	size_t len;
	unsigned char *mem;
	size_t map_len;
	unsigned char *shadow;
};

#define ZT_KIND_USER	0

static inline const char *zt_kind_name(__u32 kind)
{
	return kind == ZCDEV_BUF_COHERENT ? "coherent" :
	       kind == ZCDEV_BUF_PAGES ? "pages" : "user";
}

/*
 * A region of @len bytes (a multiple of the page size) of @kind; user
 * memory is private anonymous memory. 0 or -errno.
 */
static inline int zt_region_init(int fd, struct zt_region *r, __u32 kind,
				 size_t len, const char *name)
{
	struct zcdev_alloc a;
	int ret;

	memset(r, 0, sizeof(*r));
	r->name = name ? name : zt_kind_name(kind);
	r->kind = kind;
	r->len = len;
	r->mem = MAP_FAILED;
	if (kind != ZT_KIND_USER) {
		ret = zt_alloc(fd, kind, len, &a);
		if (ret)
			return ret;
		r->handle = a.handle;
		r->offset = a.offset;
		r->map_len = a.buf_len;
		r->mem = mmap(NULL, a.buf_len, PROT_READ | PROT_WRITE,
			      MAP_SHARED, fd, (off_t)a.offset);
	} else {
		r->map_len = len;
		r->mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	if (r->mem == MAP_FAILED) {
		r->mem = NULL;
		return -errno;
	}
	r->shadow = malloc(len);
	return r->shadow ? 0 : -ENOMEM;
}

/*
 * Like zt_region_init(), but a coherent region that finds no @len
 * contiguous bytes (ENOMEM: memory is fragmented) halves down to
 * @min_len before giving up; r->len says what it got.
 */
static inline int zt_region_init_fit(int fd, struct zt_region *r, __u32 kind,
				     size_t len, size_t min_len,
				     const char *name)
{
	int ret;

	for (;;) {
		ret = zt_region_init(fd, r, kind, len, name);
		if (ret != -ENOMEM || kind != ZCDEV_BUF_COHERENT ||
		    len / 2 < min_len)
			return ret;
		len /= 2;
	}
}

static inline void zt_region_fini(struct zt_region *r)
{
	if (r->mem)
		munmap(r->mem, r->map_len);
	free(r->shadow);
	r->mem = NULL;
	r->shadow = NULL;
}

/* Fill [off, off + len) of @r with the pattern of @seed, shadow too. */
static inline void zt_region_fill_range(struct zt_region *r, size_t off,
					size_t len, __u64 seed)
{
	zt_rfill(r->mem + off, len, seed);
	memcpy(r->shadow + off, r->mem + off, len);
}

static inline void zt_region_fill(struct zt_region *r, __u64 seed)
{
	zt_region_fill_range(r, 0, r->len, seed);
}

static inline struct zcdev_dma_ep zt_region_ep(const struct zt_region *r,
					       size_t off)
{
	return r->kind != ZT_KIND_USER ? zt_ep_buf(r->handle, off) :
					 zt_ep_user(r->mem + off);
}

/* Record that a segment copies @len bytes from @src+@soff to @dst+@doff. */
static inline void zt_region_expect_copy(struct zt_region *dst, size_t doff,
					 const struct zt_region *src,
					 size_t soff, size_t len)
{
	memcpy(dst->shadow + doff, src->shadow + soff, len);
}

/* Accept whatever @r holds in [off, off + len) (a range left undefined). */
static inline void zt_region_accept(struct zt_region *r, size_t off,
				    size_t len)
{
	memcpy(r->shadow + off, r->mem + off, len);
}

/* First byte of @r that is not what its shadow says, or -1. */
static inline long zt_region_diff(const struct zt_region *r)
{
	return zt_diff(r->mem, r->shadow, r->len);
}

/* Check a whole region against its shadow, saying where it differs. */
#define ZT_EXPECT_REGION(r) do { \
	long __i = zt_region_diff(r); \
	EXPECT_EQ(-1, __i) \
		TH_LOG("%s: byte %ld of %zu is 0x%02x, want 0x%02x", \
		       (r)->name, __i, (r)->len, \
		       __i >= 0 ? (r)->mem[__i] : 0, \
		       __i >= 0 ? (r)->shadow[__i] : 0); \
} while (0)

/* Wait for @_id (at most ZT_HANG_NS); then expect DONE with @_bytes. */
#define ZT_EXPECT_DONE(_fd, _id, _bytes) do { \
	struct zcdev_dma_wait __w; \
	int __r = zt_dma_wait((_fd), (_id), 0, zt_deadline_in(ZT_HANG_NS), \
			      &__w); \
	EXPECT_EQ(0, __r) TH_LOG("wait %llu: %s", \
				 (unsigned long long)(_id), strerror(-__r)); \
	if (!__r) { \
		EXPECT_EQ(ZT_DONE, __w.status) \
			TH_LOG("id %llu status %u error %d", \
			       (unsigned long long)(_id), __w.status, \
			       __w.error); \
		EXPECT_EQ(0, __w.error); \
		EXPECT_EQ((__u64)(_bytes), __w.bytes); \
	} \
} while (0)

#endif /* ZCDEV_DMA_TEST_H */
