// SPDX-License-Identifier: GPL-2.0
/*
 * The rules every zcdev ioctl obeys (uapi/linux/zcdev.h, "Ioctl numbers"
 * and the size rules after it), checked for every command from one table:
 *
 *  - the size field: below the first version EINVAL, from the first
 *    version to the current struct accepted, longer with a zero tail
 *    accepted (and nothing written past the struct the module knows, nor
 *    past the caller's size), longer with a non-zero tail E2BIG, longer
 *    than ZCDEV_MAX_ARG_SIZE E2BIG even with a zero tail;
 *  - a NULL, unmapped or truncated argument is EFAULT; a read-only one is
 *    EFAULT exactly when the command writes an answer back;
 *  - every unknown flag bit and every byte of a reserved field is EINVAL;
 *  - the module dispatches on the magic and _IOC_NR: the same number with
 *    other size or direction bits reaches the same handler, the same
 *    number under another magic (the pre-1.0 0xB7 among them) and every
 *    number the header does not define are ENOTTY;
 *  - arrays passed with an element size (DMA segment descriptors in; DMA
 *    addresses, channel counters and send completions out) grow the same
 *    way per element.
 *
 * Every refused call is also checked to have changed nothing: no buffer
 * made or freed, no transfer started or reaped, nothing sent, no
 * completion taken.
 *
 * A row whose command needs a DMA channel, the send feature or dma-buf
 * SKIPs when the module lacks it, saying so; every other row runs anyway.
 */
#include <stddef.h>

#include "dmabuf_test.h"
#include "send_common.h"

#define ARG_PAGES	3	/* room for ZCDEV_MAX_ARG_SIZE and beyond */
#define CANARY		0x5a	/* bytes of the argument area past the size */
#define DMA_LEN		100	/* bytes the minimal DMA segment copies */
#define SEND_LEN	10	/* bytes the minimal send sends */
#define SEED		0x5eed

enum rules_need { NEED_NOTHING, NEED_DMA, NEED_SEND, NEED_DMABUF };

struct rules_row;

FIXTURE(rules) {
	const struct rules_row *row;
	int fd;
	struct zcdev_info info;
	size_t page;
	unsigned char *arg;	/* ARG_PAGES read-write pages, then a hole */
	size_t arg_len;
	struct zcdev_alloc src;	/* PAGES: QUERY, SYNC, SEND, DMA source */
	unsigned char *src_map;
	struct zcdev_alloc dst;	/* PAGES: DMA destination (DMA rows) */
	unsigned char *dst_map;
	struct zcdev_dma_seg_desc seg;
	int tx, rx;		/* loopback TCP (send rows) */
	struct zcdev_send_completion entries[4];
	int xfd;		/* another file, exporting (dma-buf rows) */
	int dmabuf;		/* a dma-buf of a buffer of xfd */
	/* What the row's prepare made for the one call under test. */
	__u32 prep_handle;
	__u64 prep_id;
	int prep_fds;		/* open fds before the call */
};


/**
 * struct rules_row - one command and how to call it
 * @name: for messages
 * @cmd: its ZCDEV_IOC_* number
 * @ver0: its *_SIZE_VER0
 * @cur: sizeof its struct in this header
 * @flags_off: offset of its flags field
 * @known_flags: flag bits it defines
 * @reserved: offset and length of each reserved field (length 0 ends)
 * @has_output: it writes an answer back (so a read-only argument is EFAULT)
 *	(DMA_SUBMIT starts the transfer), so an unwritable argument is
 *	EFAULT after the effect
 * @need: the module feature the command needs
 * @prepare: write a minimal valid argument into the zeroed struct; may
 *	create what the call acts on (a buffer, a transfer, a completion)
 *	into self->prep_*. NULL: all zero is valid
 * @check_done: after success: the call did its job; releases what
 *	prepare made. NULL: success is all there is to see (SYNC)
 * @check_untouched: after a refusal: nothing changed beyond file_bytes,
 *	which every refusal checks; releases what prepare made. NULL: there
 *	is nothing else it could have changed
 */
struct rules_row {
	const char *name;
	unsigned long cmd;
	__u32 ver0, cur;
	unsigned int flags_off;
	__u32 known_flags;
	struct { unsigned int off, len; } reserved[2];
	bool has_output;
	enum rules_need need;
	int (*prepare)(FIXTURE_DATA(rules) *self, void *arg);
	void (*check_done)(struct __test_metadata *_metadata,
			   FIXTURE_DATA(rules) *self, void *arg);
	void (*check_untouched)(struct __test_metadata *_metadata,
				FIXTURE_DATA(rules) *self);
};

/* ---- helpers ---- */

static int rules_dma_submit(FIXTURE_DATA(rules) *self, __u64 *id)
{
	memset(self->dst_map, 0, DMA_LEN);
	return zt_dma_submit(self->fd, &self->seg, 1, 0, id);
}

/* Wait (without reaping) until a transfer of the file has finished. */
static int rules_dma_until_finished(FIXTURE_DATA(rules) *self)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN };

	return poll(&p, 1, 20 * 1000) == 1 ? 0 : -ETIMEDOUT;
}

static void rules_expect_dma_done(struct __test_metadata *_metadata,
				  FIXTURE_DATA(rules) *self, __u64 id)
{
	struct zcdev_dma_wait w;
	int ret;

	ret = zt_dma_wait(self->fd, id, 0, zt_deadline_in(ZT_HANG_NS), &w);
	ASSERT_EQ(0, ret) TH_LOG("%s: wait for transfer %llu: %s",
				 self->row->name, (unsigned long long)id,
				 strerror(-ret));
	EXPECT_EQ(ZT_DONE, w.status);
	EXPECT_EQ((__u64)DMA_LEN, w.bytes);
	EXPECT_EQ(0, memcmp(self->dst_map, self->src_map, DMA_LEN));
}

/* Reap one completion, waiting up to 20 s: its id, or 0. */
static __u64 rules_reap_one(FIXTURE_DATA(rules) *self)
{
	struct zcdev_send_completion c;
	struct zcdev_reap r;

	if (zs_reap(self->fd, &c, 1, zt_deadline_in(20 * NSEC_PER_SEC), &r) ||
	    r.nr != 1)
		return 0;
	return c.id;
}

/* Read what a send of SEND_LEN bytes delivered and check it. */
static void rules_expect_received(struct __test_metadata *_metadata,
				  FIXTURE_DATA(rules) *self)
{
	unsigned char b[SEND_LEN];

	ASSERT_EQ(SEND_LEN, zc_read_full(self->rx, b, SEND_LEN));
	EXPECT_EQ(0, memcmp(b, self->src_map, SEND_LEN));
}

static void rules_expect_nothing_received(struct __test_metadata *_metadata,
					  FIXTURE_DATA(rules) *self)
{
	char b;

	EXPECT_EQ(-1, recv(self->rx, &b, 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
}

static int rules_send(FIXTURE_DATA(rules) *self, __u64 *id)
{
	struct zcdev_send s;
	int ret = zs_send(self->fd, self->tx, self->src.handle, 0, SEND_LEN,
			  0, SEED, &s);

	*id = s.id;
	return ret;
}

/* ---- the commands ---- */

static void info_done(struct __test_metadata *_metadata,
		      FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_info *i = arg;

	EXPECT_EQ((__u32)ZCDEV_ABI_VERSION, i->abi_version);
	EXPECT_EQ(self->page, i->page_size);
}

static int alloc_prepare(FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_alloc *a = arg;

	a->kind = ZCDEV_BUF_PAGES;
	a->len = self->page;
	return 0;
}

static void alloc_done(struct __test_metadata *_metadata,
		       FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_alloc *a = arg;
	struct zcdev_query q;

	EXPECT_NE(0U, a->handle);
	EXPECT_EQ(self->page, a->buf_len);
	ASSERT_EQ(0, zt_query(self->fd, a->handle, &q));
	EXPECT_EQ(a->offset, q.offset);
	EXPECT_EQ(0, zt_free(self->fd, a->handle));
}

static int free_prepare(FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_free *f = arg;
	struct zcdev_alloc a;
	int ret = zt_alloc(self->fd, ZCDEV_BUF_PAGES, self->page, &a);

	self->prep_handle = a.handle;
	f->handle = a.handle;
	return ret;
}

static void free_done(struct __test_metadata *_metadata,
		      FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_query q;

	(void)arg;	/* the handle is in self->prep_handle */
	EXPECT_EQ(-ENOENT, zt_query(self->fd, self->prep_handle, &q));
}

static void free_untouched(struct __test_metadata *_metadata,
			   FIXTURE_DATA(rules) *self)
{
	struct zcdev_query q;

	EXPECT_EQ(0, zt_query(self->fd, self->prep_handle, &q));
	EXPECT_EQ(0, zt_free(self->fd, self->prep_handle));
}

static int query_prepare(FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_query *q = arg;

	q->handle = self->src.handle;
	return 0;
}

static void query_done(struct __test_metadata *_metadata,
		       FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_query *q = arg;

	EXPECT_EQ((__u32)ZCDEV_BUF_PAGES, q->kind);
	EXPECT_EQ(self->src.buf_len, q->len);
	EXPECT_EQ(self->src.offset, q->offset);
	EXPECT_LE(1U, q->nr_segs);
	/* Neither exported nor imported (and zero for a ver0 caller). */
	EXPECT_EQ(0U, q->dmabuf);
	EXPECT_EQ(0, q->exporter[0]);
}

static int sync_prepare(FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_sync *s = arg;

	s->handle = self->src.handle;
	s->flags = ZCDEV_SYNC_FOR_CPU;
	s->len = self->page;
	return 0;
}

static int submit_prepare(FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_dma_submit *s = arg;

	memset(self->dst_map, 0, DMA_LEN);
	s->nr_segs = 1;
	s->seg_size = sizeof(self->seg);
	s->segs_ptr = (__u64)(uintptr_t)&self->seg;
	return 0;
}

static void submit_done(struct __test_metadata *_metadata,
			FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_dma_submit *s = arg;

	ASSERT_NE(0ULL, s->id);
	rules_expect_dma_done(_metadata, self, s->id);
}

static void submit_untouched(struct __test_metadata *_metadata,
			     FIXTURE_DATA(rules) *self)
{
	EXPECT_EQ(-ENOENT, zt_dma_wait(self->fd, 0, ZCDEV_DMA_WAIT_ANY, 0,
				       NULL));
	EXPECT_EQ(-1, zt_first_nonzero(self->dst_map, DMA_LEN));
}

static int wait_prepare(FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_dma_wait *w = arg;
	int ret = rules_dma_submit(self, &self->prep_id);

	w->id = self->prep_id;
	w->deadline_ns = zt_deadline_in(ZT_HANG_NS);
	return ret;
}

static void wait_done(struct __test_metadata *_metadata,
		      FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_dma_wait *w = arg;

	EXPECT_EQ(self->prep_id, w->id);
	EXPECT_EQ(ZT_DONE, w->status);
	EXPECT_EQ((__u64)DMA_LEN, w->bytes);
	/* Reaped: the id is gone. */
	EXPECT_EQ(-ENOENT, zt_dma_wait(self->fd, self->prep_id, 0, 0, NULL));
}

/* Neither reaped nor stopped: still there, and it finished. */
static void transfer_untouched(struct __test_metadata *_metadata,
			       FIXTURE_DATA(rules) *self)
{
	rules_expect_dma_done(_metadata, self, self->prep_id);
}

/* A finished transfer: a CANCEL that works cancels nothing. */
static int cancel_prepare(FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_dma_cancel *c = arg;
	int ret = rules_dma_submit(self, &self->prep_id);

	c->id = self->prep_id;
	return ret ? ret : rules_dma_until_finished(self);
}

static void cancel_done(struct __test_metadata *_metadata,
			FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_dma_cancel *c = arg;

	EXPECT_EQ(0U, c->cancelled);
	transfer_untouched(_metadata, self);
}

static void stats_done(struct __test_metadata *_metadata,
		       FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_dma_stats *st = arg;

	(void)self;
	EXPECT_NE(0, st->channel[0]);
	EXPECT_NE(NULL, memchr(st->channel, 0, sizeof(st->channel)));
	EXPECT_LE(1U, st->nr_channels);
}

static int send_prepare(FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_send *s = arg;

	s->sock_fd = self->tx;
	s->handle = self->src.handle;
	s->len = SEND_LEN;
	s->user_data = SEED;
	return 0;
}

static void send_done(struct __test_metadata *_metadata,
		      FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_send *s = arg;

	EXPECT_EQ((__u64)SEND_LEN, s->bytes);
	ASSERT_NE(0ULL, s->id);
	rules_expect_received(_metadata, self);
	EXPECT_EQ(s->id, rules_reap_one(self));
}

/* Nothing arrived, nothing is in flight, no completion waits. */
static void send_untouched(struct __test_metadata *_metadata,
			   FIXTURE_DATA(rules) *self)
{
	struct zcdev_send_completion c;
	struct zcdev_reap r;

	rules_expect_nothing_received(_metadata, self);
	ASSERT_EQ(0, zs_reap(self->fd, &c, 1, 0, &r));
	EXPECT_EQ(0U, r.nr);
	EXPECT_EQ(0ULL, r.pending);
}

/* A completion waits to be reaped when the call is made. */
static int reap_prepare(FIXTURE_DATA(rules) *self, void *arg)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN };
	struct zcdev_reap *r = arg;
	unsigned char b[SEND_LEN];
	int ret = rules_send(self, &self->prep_id);

	if (ret)
		return ret;
	if (zc_read_full(self->rx, b, SEND_LEN) != SEND_LEN)
		return -EIO;
	if (poll(&p, 1, 20 * 1000) != 1)
		return -ETIMEDOUT;
	memset(self->entries, CANARY, sizeof(self->entries));
	r->entries_ptr = (__u64)(uintptr_t)self->entries;
	r->max_entries = 1;
	r->entry_size = sizeof(self->entries[0]);
	return 0;
}

static void reap_done(struct __test_metadata *_metadata,
		      FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_reap *r = arg;

	ASSERT_EQ(1U, r->nr);
	EXPECT_EQ(self->prep_id, self->entries[0].id);
	EXPECT_EQ((__u64)SEND_LEN, self->entries[0].bytes);
	EXPECT_EQ((__u64)SEED, self->entries[0].user_data);
}

/* The completion is still there, once. */
static void reap_untouched(struct __test_metadata *_metadata,
			   FIXTURE_DATA(rules) *self)
{
	EXPECT_EQ(self->prep_id, rules_reap_one(self));
}

/*
 * A ring of 8 slots for a file without one: a file has one ring for its
 * life, so every call gets a freshly opened file.
 */
static int send_ring_prepare(FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_send_ring *r = arg;
	int fd = zt_open();

	if (fd < 0)
		return fd;
	close(self->fd);
	self->fd = fd;
	r->entries = 8;
	return 0;
}

static void send_ring_done(struct __test_metadata *_metadata,
			   FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_send_ring *r = arg;
	void *p;

	EXPECT_EQ(8U, r->entries);
	EXPECT_EQ((__u32)sizeof(struct zcdev_send_completion), r->entry_size);
	EXPECT_EQ(0U, r->head_offset);
	EXPECT_EQ(64U, r->tail_offset);
	EXPECT_EQ(128U, r->entries_offset);
	EXPECT_EQ((__u64)getpagesize(), r->mmap_bytes);
	p = mmap(NULL, r->mmap_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, ZCDEV_SEND_RING_OFFSET);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap ring: %s", strerror(errno));
	munmap(p, r->mmap_bytes);
}

/* Still no ring: nothing to map at its offset. */
static void send_ring_untouched(struct __test_metadata *_metadata,
				FIXTURE_DATA(rules) *self)
{
	void *p = mmap(NULL, getpagesize(), PROT_READ, MAP_SHARED, self->fd,
		       ZCDEV_SEND_RING_OFFSET);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(ENXIO, errno);
}

/* An fd of the dma-buf of self->src; no other fd is opened. */
static int export_prepare(FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_export *e = arg;

	e->handle = self->src.handle;
	e->flags = ZCDEV_EXPORT_RDWR | ZCDEV_EXPORT_CLOEXEC;
	self->prep_fds = zd_nr_fds();
	return 0;
}

static void export_done(struct __test_metadata *_metadata,
			FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_export *e = arg;
	char name[32];

	ASSERT_LE(0, e->fd);
	EXPECT_EQ(0, zd_fdinfo(e->fd, "exp_name", name, sizeof(name)));
	EXPECT_STREQ("zcdev", name);
	EXPECT_EQ((long long)self->src.buf_len, zd_fdinfo_num(e->fd, "size"));
	EXPECT_EQ(0, close(e->fd));
}

/* No fd was made (and so no dma-buf the caller cannot reach). */
static void export_untouched(struct __test_metadata *_metadata,
			     FIXTURE_DATA(rules) *self)
{
	EXPECT_EQ(self->prep_fds, zd_nr_fds());
}

static int import_prepare(FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_import *im = arg;

	im->fd = self->dmabuf;
	return 0;
}

static void import_done(struct __test_metadata *_metadata,
			FIXTURE_DATA(rules) *self, void *arg)
{
	struct zcdev_import *im = arg;
	struct zcdev_query q;

	EXPECT_NE(0U, im->handle);
	EXPECT_EQ(self->page, im->len);
	ASSERT_EQ(0, zt_query(self->fd, im->handle, &q));
	EXPECT_EQ((__u32)ZCDEV_BUF_DMABUF, q.kind);
	EXPECT_EQ(im->offset, q.offset);
	/* Freed, so that the next call may import the same dma-buf again. */
	EXPECT_EQ(0, zt_free(self->fd, im->handle));
}

/* No import was made: the same dma-buf imports (once) now. */
static void import_untouched(struct __test_metadata *_metadata,
			     FIXTURE_DATA(rules) *self)
{
	struct zcdev_import im;

	ASSERT_EQ(0, zt_import(self->fd, self->dmabuf, 0, &im));
	EXPECT_EQ(0, zt_free(self->fd, im.handle));
}

#define RESERVED(type, field) \
	{ offsetof(struct type, field), sizeof(((struct type *)0)->field) }

#define ROW(_name, type, _cmd, _ver0) \
	.name = _name, .cmd = _cmd, .ver0 = _ver0, \
	.cur = sizeof(struct type), \
	.flags_off = offsetof(struct type, flags)

static const struct rules_row row_info = {
	ROW("info", zcdev_info, ZCDEV_IOC_INFO, ZCDEV_INFO_SIZE_VER0),
	.reserved = { RESERVED(zcdev_info, reserved) },
	.has_output = true,
	.check_done = info_done,
};

static const struct rules_row row_alloc = {
	ROW("alloc", zcdev_alloc, ZCDEV_IOC_ALLOC, ZCDEV_ALLOC_SIZE_VER0),
	.has_output = true,
	.prepare = alloc_prepare,
	.check_done = alloc_done,
};

static const struct rules_row row_free = {
	ROW("free", zcdev_free, ZCDEV_IOC_FREE, ZCDEV_FREE_SIZE_VER0),
	.reserved = { RESERVED(zcdev_free, reserved) },
	.prepare = free_prepare,
	.check_done = free_done,
	.check_untouched = free_untouched,
};

static const struct rules_row row_query = {
	ROW("query", zcdev_query, ZCDEV_IOC_QUERY, ZCDEV_QUERY_SIZE_VER0),
	.reserved = { RESERVED(zcdev_query, reserved),
		      RESERVED(zcdev_query, reserved2) },
	.has_output = true,
	.prepare = query_prepare,
	.check_done = query_done,
};

static const struct rules_row row_sync = {
	ROW("sync", zcdev_sync, ZCDEV_IOC_SYNC, ZCDEV_SYNC_SIZE_VER0),
	.known_flags = ZCDEV_SYNC_FOR_CPU | ZCDEV_SYNC_FOR_DEVICE,
	.reserved = { RESERVED(zcdev_sync, reserved) },
	.prepare = sync_prepare,
};

static const struct rules_row row_dma_submit = {
	ROW("dma_submit", zcdev_dma_submit, ZCDEV_IOC_DMA_SUBMIT,
	    ZCDEV_DMA_SUBMIT_SIZE_VER0),
	.has_output = true,
	.need = NEED_DMA,
	.prepare = submit_prepare,
	.check_done = submit_done,
	.check_untouched = submit_untouched,
};

static const struct rules_row row_dma_wait = {
	ROW("dma_wait", zcdev_dma_wait, ZCDEV_IOC_DMA_WAIT,
	    ZCDEV_DMA_WAIT_SIZE_VER0),
	.known_flags = ZCDEV_DMA_WAIT_ANY | ZCDEV_DMA_WAIT_NOTERM,
	.has_output = true,
	.need = NEED_DMA,
	.prepare = wait_prepare,
	.check_done = wait_done,
	.check_untouched = transfer_untouched,
};

static const struct rules_row row_dma_cancel = {
	ROW("dma_cancel", zcdev_dma_cancel, ZCDEV_IOC_DMA_CANCEL,
	    ZCDEV_DMA_CANCEL_SIZE_VER0),
	.known_flags = ZCDEV_DMA_CANCEL_ALL,
	.reserved = { RESERVED(zcdev_dma_cancel, reserved) },
	.has_output = true,
	.need = NEED_DMA,
	.prepare = cancel_prepare,
	.check_done = cancel_done,
	.check_untouched = transfer_untouched,
};

static const struct rules_row row_dma_stats = {
	ROW("dma_stats", zcdev_dma_stats, ZCDEV_IOC_DMA_STATS,
	    ZCDEV_DMA_STATS_SIZE_VER0),
	.reserved = { RESERVED(zcdev_dma_stats, reserved) },
	.has_output = true,
	.need = NEED_DMA,
	.check_done = stats_done,
};

static const struct rules_row row_send = {
	ROW("send", zcdev_send, ZCDEV_IOC_SEND, ZCDEV_SEND_SIZE_VER0),
	.known_flags = ZCDEV_SEND_MORE | ZCDEV_SEND_DONTWAIT |
		       ZCDEV_SEND_NOSIGNAL | ZCDEV_SEND_COALESCE,
	.has_output = true,
	.need = NEED_SEND,
	.prepare = send_prepare,
	.check_done = send_done,
	.check_untouched = send_untouched,
};

static const struct rules_row row_send_reap = {
	ROW("send_reap", zcdev_reap, ZCDEV_IOC_SEND_REAP,
	    ZCDEV_REAP_SIZE_VER0),
	.reserved = { RESERVED(zcdev_reap, reserved) },
	.has_output = true,
	.need = NEED_SEND,
	.prepare = reap_prepare,
	.check_done = reap_done,
	.check_untouched = reap_untouched,
};

static const struct rules_row row_send_ring = {
	ROW("send_ring", zcdev_send_ring, ZCDEV_IOC_SEND_RING,
	    ZCDEV_SEND_RING_SIZE_VER0),
	.reserved = { RESERVED(zcdev_send_ring, reserved) },
	.has_output = true,
	.need = NEED_SEND,
	.prepare = send_ring_prepare,
	.check_done = send_ring_done,
	.check_untouched = send_ring_untouched,
};

static const struct rules_row row_export = {
	ROW("export", zcdev_export, ZCDEV_IOC_EXPORT, ZCDEV_EXPORT_SIZE_VER0),
	.known_flags = ZCDEV_EXPORT_CLOEXEC | ZCDEV_EXPORT_RDWR,
	.has_output = true,
	.need = NEED_DMABUF,
	.prepare = export_prepare,
	.check_done = export_done,
	.check_untouched = export_untouched,
};

static const struct rules_row row_import = {
	ROW("import", zcdev_import, ZCDEV_IOC_IMPORT, ZCDEV_IMPORT_SIZE_VER0),
	.has_output = true,
	.need = NEED_DMABUF,
	.prepare = import_prepare,
	.check_done = import_done,
	.check_untouched = import_untouched,
};

/* Every command of the header: the ENOTTY tests take the others. */
static const struct rules_row *const all_rows[] = {
	&row_info, &row_alloc, &row_free, &row_query, &row_sync,
	&row_dma_submit, &row_dma_wait, &row_dma_cancel, &row_dma_stats,
	&row_send, &row_send_reap, &row_send_ring, &row_export, &row_import,
};

FIXTURE_VARIANT(rules) {
	const struct rules_row *row;
};

FIXTURE_VARIANT_ADD(rules, info) { .row = &row_info };
FIXTURE_VARIANT_ADD(rules, alloc) { .row = &row_alloc };
FIXTURE_VARIANT_ADD(rules, free) { .row = &row_free };
FIXTURE_VARIANT_ADD(rules, query) { .row = &row_query };
FIXTURE_VARIANT_ADD(rules, sync) { .row = &row_sync };
FIXTURE_VARIANT_ADD(rules, dma_submit) { .row = &row_dma_submit };
FIXTURE_VARIANT_ADD(rules, dma_wait) { .row = &row_dma_wait };
FIXTURE_VARIANT_ADD(rules, dma_cancel) { .row = &row_dma_cancel };
FIXTURE_VARIANT_ADD(rules, dma_stats) { .row = &row_dma_stats };
FIXTURE_VARIANT_ADD(rules, send) { .row = &row_send };
FIXTURE_VARIANT_ADD(rules, send_reap) { .row = &row_send_reap };
FIXTURE_VARIANT_ADD(rules, send_ring) { .row = &row_send_ring };
FIXTURE_VARIANT_ADD(rules, export) { .row = &row_export };
FIXTURE_VARIANT_ADD(rules, import) { .row = &row_import };

FIXTURE_SETUP(rules)
{
	const struct rules_row *row = variant->row;

	self->row = row;
	self->fd = self->tx = self->rx = self->xfd = self->dmabuf = -1;
	self->arg = MAP_FAILED;
	zt_knobs_restore();
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_PAGES);
	if (row->need == NEED_DMA && !(self->info.features & ZCDEV_FEAT_DMA))
		ZT_SETUP_SKIP("%s needs a DMA channel (INFO.features lacks ZCDEV_FEAT_DMA)",
			      row->name);
	if (row->need == NEED_SEND && !(self->info.features & ZCDEV_FEAT_SEND))
		ZT_SETUP_SKIP("%s needs INFO.features ZCDEV_FEAT_SEND",
			      row->name);
	if (row->need == NEED_DMABUF &&
	    !(self->info.features & ZCDEV_FEAT_DMABUF))
		ZT_SETUP_SKIP("%s needs INFO.features ZCDEV_FEAT_DMABUF",
			      row->name);
	self->page = self->info.page_size;

	self->src_map = zs_new_buf(self->fd, ZCDEV_BUF_PAGES, self->page, SEED,
				   &self->src);
	ASSERT_NE(NULL, self->src_map);
	if (row->need == NEED_DMA) {
		self->dst_map = zs_new_buf(self->fd, ZCDEV_BUF_PAGES,
					   self->page, SEED + 1, &self->dst);
		ASSERT_NE(NULL, self->dst_map);
		self->seg.src = zt_ep_buf(self->src.handle, 0);
		self->seg.dst = zt_ep_buf(self->dst.handle, 0);
		self->seg.len = DMA_LEN;
	}
	if (row->need == NEED_SEND)
		ASSERT_EQ(0, zs_tcp_pair(AF_INET, &self->tx, &self->rx, 0, 0));
	if (row->need == NEED_DMABUF) {
		struct zcdev_alloc x;

		self->xfd = zt_open();
		ASSERT_LE(0, self->xfd);
		ASSERT_EQ(0, zt_alloc(self->xfd, ZCDEV_BUF_PAGES, self->page,
				      &x));
		self->dmabuf = zt_export(self->xfd, x.handle,
					 ZCDEV_EXPORT_RDWR);
		ASSERT_LE(0, self->dmabuf);
	}

	/* ARG_PAGES usable pages followed by one unmapped page. */
	self->arg_len = ARG_PAGES * self->page;
	self->arg = mmap(NULL, self->arg_len + self->page,
			 PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	ASSERT_NE(MAP_FAILED, self->arg);
	ASSERT_EQ(0, munmap(self->arg + self->arg_len, self->page));
	ASSERT_LE(ZCDEV_MAX_ARG_SIZE + 64UL, self->arg_len);
}

FIXTURE_TEARDOWN(rules)
{
	if (self->arg != MAP_FAILED)
		munmap(self->arg, self->arg_len);
	if (self->dmabuf >= 0)
		close(self->dmabuf);
	if (self->xfd >= 0)
		close(self->xfd);
	if (self->tx >= 0)
		close(self->tx);
	if (self->rx >= 0)
		close(self->rx);
	if (self->dst_map)
		munmap(self->dst_map, self->dst.buf_len);
	if (self->src_map)
		munmap(self->src_map, self->src.buf_len);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Fill the argument area with CANARY, then write the row's minimal valid
 * argument with size field @size: zero up to the larger of @size and the
 * struct (within the area), the row's fields on top.
 */
static void rules_build(struct __test_metadata *_metadata,
			FIXTURE_DATA(rules) *self, __u32 size)
{
	size_t zero = size > self->row->cur ? size : self->row->cur;
	int ret;

	if (zero > self->arg_len)
		zero = self->arg_len;
	memset(self->arg, CANARY, self->arg_len);
	memset(self->arg, 0, zero);
	ret = self->row->prepare ? self->row->prepare(self, self->arg) : 0;
	ASSERT_EQ(0, ret) TH_LOG("%s: preparing the argument: %s",
				 self->row->name, strerror(-ret));
	memcpy(self->arg, &size, sizeof(size));
}

/* Issue @cmd with @arg: expect -@err, and that nothing changed. */
static void rules_expect_refused(struct __test_metadata *_metadata,
				 FIXTURE_DATA(rules) *self, unsigned long cmd,
				 void *arg, int err, const char *what)
{
	__u64 bytes = zt_file_bytes(self->fd);
	int ret = zt_ioctl(self->fd, cmd, arg);

	EXPECT_EQ(-err, ret) TH_LOG("%s, %s: got %s, want %s", self->row->name,
				    what, strerror(-ret), strerror(err));
	EXPECT_EQ(bytes, zt_file_bytes(self->fd))
		TH_LOG("%s, %s: a refused call changed file_bytes",
		       self->row->name, what);
	if (self->row->check_untouched)
		self->row->check_untouched(_metadata, self);
}

/*
 * Issue @cmd with the argument area (size field @size): expect success,
 * the command's effect, and nothing written outside what the caller
 * passed, nor beyond the struct this header knows.
 */
static void rules_expect_accepted(struct __test_metadata *_metadata,
				  FIXTURE_DATA(rules) *self, unsigned long cmd,
				  __u32 size, const char *what)
{
	size_t cur = self->row->cur, end = size > cur ? size : cur;
	long i;
	int ret = zt_ioctl(self->fd, cmd, self->arg);

	ASSERT_EQ(0, ret) TH_LOG("%s, %s: %s", self->row->name, what,
				 strerror(-ret));
	if (size > cur) {
		i = zt_first_nonzero(self->arg + cur, size - cur);
		EXPECT_EQ(-1, i) TH_LOG("%s, %s: byte %zu of the tail written",
					self->row->name, what, cur + (size_t)i);
	}
	for (i = end; i < (long)self->arg_len; i++)
		if (self->arg[i] != CANARY)
			break;
	EXPECT_EQ((long)self->arg_len, i)
		TH_LOG("%s, %s: byte %ld past the caller's %u written",
		       self->row->name, what, i, size);
	if (self->row->check_done)
		self->row->check_done(_metadata, self, self->arg);
}

/* ---- the encoding of the commands ---- */

/*
 * The header's number says magic, size and direction: write for every
 * command (all take an argument), read exactly when it answers.
 */
TEST_F(rules, command_encodes_magic_size_and_direction)
{
	unsigned long cmd = variant->row->cmd;
	unsigned int dir = _IOC_WRITE |
			   (variant->row->has_output ? _IOC_READ : 0);

	EXPECT_EQ((unsigned long)ZCDEV_IOC_MAGIC, _IOC_TYPE(cmd));
	EXPECT_EQ(variant->row->cur, _IOC_SIZE(cmd));
	EXPECT_EQ(dir, _IOC_DIR(cmd));
}

/* ---- the size field ---- */

TEST_F(rules, size_below_ver0_is_einval)
{
	const __u32 ver0 = variant->row->ver0;
	__u32 sizes[] = { 0, 1, 4, 8, ver0 / 2, ver0 - 8, ver0 - 1 };
	char what[32];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		snprintf(what, sizeof(what), "size %u", sizes[i]);
		rules_build(_metadata, self, sizes[i]);
		rules_expect_refused(_metadata, self, variant->row->cmd,
				     self->arg, EINVAL, what);
	}
}

/* Every size a caller of some earlier header can pass, up to this one. */
TEST_F(rules, size_from_ver0_to_current_is_accepted)
{
	const __u32 cur = variant->row->cur;
	char what[32];
	__u32 size = variant->row->ver0;

	for (;;) {
		snprintf(what, sizeof(what), "size %u", size);
		rules_build(_metadata, self, size);
		rules_expect_accepted(_metadata, self, variant->row->cmd, size,
				      what);
		if (size == cur)
			break;
		size = size + 8 < cur ? size + 8 : cur;
	}
}

TEST_F(rules, size_larger_with_zero_tail_is_accepted)
{
	const __u32 cur = variant->row->cur;
	__u32 sizes[] = { cur + 1, cur + 8, cur + 64, ZCDEV_MAX_ARG_SIZE };
	char what[32];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		snprintf(what, sizeof(what), "size %u", sizes[i]);
		rules_build(_metadata, self, sizes[i]);
		rules_expect_accepted(_metadata, self, variant->row->cmd,
				      sizes[i], what);
	}
}

TEST_F(rules, size_larger_with_nonzero_tail_is_e2big)
{
	const __u32 cur = variant->row->cur;
	struct { __u32 size, at; } cases[] = {
		{ cur + 64, cur }, { cur + 64, cur + 7 },
		{ cur + 64, cur + 63 },
		{ ZCDEV_MAX_ARG_SIZE, ZCDEV_MAX_ARG_SIZE - 1 },
	};
	char what[48];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(what, sizeof(what), "size %u, byte %u set",
			 cases[i].size, cases[i].at);
		rules_build(_metadata, self, cases[i].size);
		self->arg[cases[i].at] = 1;
		rules_expect_refused(_metadata, self, variant->row->cmd,
				     self->arg, E2BIG, what);
	}
}

TEST_F(rules, size_over_max_is_e2big_even_with_zero_tail)
{
	__u32 sizes[] = { ZCDEV_MAX_ARG_SIZE + 1, ZCDEV_MAX_ARG_SIZE + 8,
			  2 * ZCDEV_MAX_ARG_SIZE, 0x80000000u, 0xffffffffu };
	char what[32];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		snprintf(what, sizeof(what), "size %u", sizes[i]);
		rules_build(_metadata, self, sizes[i]);
		rules_expect_refused(_metadata, self, variant->row->cmd,
				     self->arg, E2BIG, what);
	}
}

/* ---- bad argument pointers ---- */

TEST_F(rules, null_arg_is_efault)
{
	rules_build(_metadata, self, variant->row->cur);
	rules_expect_refused(_metadata, self, variant->row->cmd, NULL, EFAULT,
			     "NULL");
}

TEST_F(rules, unmapped_arg_is_efault)
{
	rules_build(_metadata, self, variant->row->cur);
	rules_expect_refused(_metadata, self, variant->row->cmd,
			     self->arg + self->arg_len, EFAULT, "unmapped");
}

/* The size field is readable, the rest of the struct is not. */
TEST_F(rules, arg_running_into_unmapped_page_is_efault)
{
	unsigned char *edge = self->arg + self->arg_len - sizeof(__u32);

	rules_build(_metadata, self, variant->row->cur);
	memcpy(edge, &variant->row->cur, sizeof(__u32));
	rules_expect_refused(_metadata, self, variant->row->cmd, edge, EFAULT,
			     "struct runs into a hole");
}

/*
 * A read-only argument: EFAULT exactly when the command answers. The
 * answer is written back before anything is done, so a refusal changed
 * nothing (DMA_SUBMIT included: no transfer started).
 */
TEST_F(rules, readonly_arg_is_efault_iff_command_answers)
{
	const struct rules_row *row = variant->row;
	int ret;

	rules_build(_metadata, self, row->cur);
	ASSERT_EQ(0, mprotect(self->arg, self->page, PROT_READ));
	if (!row->has_output) {
		ret = zt_ioctl(self->fd, row->cmd, self->arg);
		ASSERT_EQ(0, mprotect(self->arg, self->page,
				      PROT_READ | PROT_WRITE));
		ASSERT_EQ(0, ret) TH_LOG("%s: %s", row->name, strerror(-ret));
		if (row->check_done)
			row->check_done(_metadata, self, self->arg);
		return;
	}
	rules_expect_refused(_metadata, self, row->cmd, self->arg, EFAULT,
			     "read-only");
}

/* ---- fields that must be zero ---- */

/*
 * One at a time: every flag bit the command does not define, then every
 * byte of every reserved field.
 */
TEST_F(rules, unknown_flag_bits_and_reserved_bytes_are_einval)
{
	const struct rules_row *row = variant->row;
	char what[48];
	unsigned int bit, r, i;
	__u32 flags;

	for (bit = 0; bit < 32; bit++) {
		if (row->known_flags & (1U << bit))
			continue;
		rules_build(_metadata, self, row->cur);
		memcpy(&flags, self->arg + row->flags_off, sizeof(flags));
		flags |= 1U << bit;
		memcpy(self->arg + row->flags_off, &flags, sizeof(flags));
		snprintf(what, sizeof(what), "flags 0x%x", flags);
		rules_expect_refused(_metadata, self, row->cmd, self->arg,
				     EINVAL, what);
	}
	for (r = 0; r < ARRAY_SIZE(row->reserved) && row->reserved[r].len;
	     r++) {
		for (i = 0; i < row->reserved[r].len; i++) {
			rules_build(_metadata, self, row->cur);
			self->arg[row->reserved[r].off + i] = 0x80;
			snprintf(what, sizeof(what), "reserved byte at %u",
				 row->reserved[r].off + i);
			rules_expect_refused(_metadata, self, row->cmd,
					     self->arg, EINVAL, what);
		}
	}
}

/* ---- dispatch ---- */

/*
 * The module looks at the magic and _IOC_NR only: a caller built against
 * a later header (a longer struct, so other size bits) or a tool that
 * encodes no size or direction reaches the same command.
 */
TEST_F(rules, same_nr_with_other_size_or_direction_reaches_handler)
{
	const struct rules_row *row = variant->row;
	const unsigned int nr = _IOC_NR(row->cmd);
	struct { unsigned long cmd; __u32 size; const char *what; } cases[] = {
		{ _IO(ZCDEV_IOC_MAGIC, nr), row->cur, "_IO" },
		{ _IOC(_IOC_READ, ZCDEV_IOC_MAGIC, nr, row->cur + 64),
		  row->cur + 64, "_IOR, 64 bytes longer" },
		{ _IOC(_IOC_WRITE, ZCDEV_IOC_MAGIC, nr, row->cur + 64),
		  row->cur + 64, "_IOW, 64 bytes longer" },
		{ _IOC(_IOC_READ | _IOC_WRITE, ZCDEV_IOC_MAGIC, nr,
		       ZCDEV_MAX_ARG_SIZE), ZCDEV_MAX_ARG_SIZE,
		  "_IOWR, ZCDEV_MAX_ARG_SIZE" },
		{ _IOC(_IOC_READ | _IOC_WRITE, ZCDEV_IOC_MAGIC, nr, 8),
		  row->cur, "_IOWR, size bits 8" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		rules_build(_metadata, self, cases[i].size);
		rules_expect_accepted(_metadata, self, cases[i].cmd,
				      cases[i].size, cases[i].what);
	}
}

/*
 * The same number under another magic is another driver's command. 0xB7
 * was zcdev's before ABI 1 (and is nsfs's and remoteproc's): its old
 * _IO() commands are unknown now.
 */
TEST_F(rules, same_nr_with_other_magic_is_enotty)
{
	const struct rules_row *row = variant->row;
	const unsigned int nr = _IOC_NR(row->cmd);
	const unsigned int magics[] = { 0xB7, ZCDEV_IOC_MAGIC - 1,
					ZCDEV_IOC_MAGIC + 1, 0x01, 0xFF };
	char what[48];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(magics); i++) {
		snprintf(what, sizeof(what), "_IO(0x%x, 0x%x)", magics[i], nr);
		rules_build(_metadata, self, row->cur);
		rules_expect_refused(_metadata, self, _IO(magics[i], nr),
				     self->arg, ENOTTY, what);
		snprintf(what, sizeof(what), "magic 0x%x", magics[i]);
		rules_build(_metadata, self, row->cur);
		rules_expect_refused(_metadata, self,
				     (row->cmd &
				      ~(_IOC_TYPEMASK << _IOC_TYPESHIFT)) |
				     (magics[i] << _IOC_TYPESHIFT),
				     self->arg, ENOTTY, what);
	}
}

/* ---- numbers no command has ---- */

FIXTURE(numbers) {
	int fd;
	struct zcdev_info info;
};

FIXTURE_SETUP(numbers)
{
	self->fd = -1;
	ZT_SETUP_OPEN(&self->fd, &self->info);
}

FIXTURE_TEARDOWN(numbers)
{
	if (self->fd >= 0)
		close(self->fd);
}

static bool nr_is_defined(unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(all_rows); i++)
		if (_IOC_NR(all_rows[i]->cmd) == nr)
			return true;
	return false;
}

/*
 * Every number the header does not define, with and without size bits,
 * and with an argument INFO would accept (so a stray INFO would show).
 */
TEST_F(numbers, every_undefined_nr_is_enotty)
{
	struct zcdev_info arg;
	unsigned int nr, defined = 0;

	for (nr = 0; nr <= _IOC_NRMASK; nr++) {
		if (nr_is_defined(nr)) {
			defined++;
			continue;
		}
		memset(&arg, 0, sizeof(arg));
		arg.size = sizeof(arg);
		EXPECT_EQ(-ENOTTY, zt_ioctl(self->fd, _IO(ZCDEV_IOC_MAGIC, nr),
					    &arg)) TH_LOG("_IO nr 0x%x", nr);
		EXPECT_EQ(-ENOTTY,
			  zt_ioctl(self->fd, _IOWR(ZCDEV_IOC_MAGIC, nr,
						   struct zcdev_info), &arg))
			TH_LOG("_IOWR nr 0x%x", nr);
		EXPECT_EQ(0U, arg.abi_version);
	}
	EXPECT_EQ(ARRAY_SIZE(all_rows), defined);
}

/* ---- arrays: DMA segment descriptors (ZCDEV_IOC_DMA_SUBMIT) ---- */

#define SEGS		2
#define STRIDE_MAX	ZCDEV_MAX_ARG_SIZE

FIXTURE(seg_desc) {
	int fd;
	struct zcdev_info info;
	size_t page;
	struct zcdev_alloc src, dst;
	unsigned char *src_map, *dst_map;
	unsigned char *segs;	/* SEGS elements of up to STRIDE_MAX + 1 */
};

FIXTURE_SETUP(seg_desc)
{
	self->fd = -1;
	zt_knobs_restore();
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_DMA(&self->info);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_PAGES);
	self->page = self->info.page_size;
	self->src_map = zs_new_buf(self->fd, ZCDEV_BUF_PAGES, self->page, SEED,
				   &self->src);
	ASSERT_NE(NULL, self->src_map);
	self->dst_map = zs_new_buf(self->fd, ZCDEV_BUF_PAGES, self->page,
				   SEED + 1, &self->dst);
	ASSERT_NE(NULL, self->dst_map);
	self->segs = calloc(SEGS, STRIDE_MAX + 8);
	ASSERT_NE(NULL, self->segs);
}

FIXTURE_TEARDOWN(seg_desc)
{
	free(self->segs);
	if (self->dst_map)
		munmap(self->dst_map, self->dst.buf_len);
	if (self->src_map)
		munmap(self->src_map, self->src.buf_len);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * SEGS segments at a stride of @stride, zero between them: segment i
 * copies DMA_LEN bytes from src offset i * DMA_LEN to the same offset of
 * dst, which starts out zero.
 */
static void segs_build(FIXTURE_DATA(seg_desc) *self, __u32 stride)
{
	struct zcdev_dma_seg_desc seg;
	unsigned int i;

	memset(self->segs, 0, SEGS * (STRIDE_MAX + 8));
	memset(self->dst_map, 0, self->page);
	for (i = 0; i < SEGS; i++) {
		memset(&seg, 0, sizeof(seg));
		seg.src = zt_ep_buf(self->src.handle, i * DMA_LEN);
		seg.dst = zt_ep_buf(self->dst.handle, i * DMA_LEN);
		seg.len = DMA_LEN;
		memcpy(self->segs + i * stride, &seg,
		       stride < sizeof(seg) ? stride : sizeof(seg));
	}
}

static int segs_submit(FIXTURE_DATA(seg_desc) *self, __u32 stride,
		       __u64 *id)
{
	struct zcdev_dma_submit s = {
		.size = sizeof(s),
		.nr_segs = SEGS,
		.seg_size = stride,
		.segs_ptr = (__u64)(uintptr_t)self->segs,
	};
	int ret = zt_ioctl(self->fd, ZCDEV_IOC_DMA_SUBMIT, &s);

	*id = s.id;
	return ret;
}

static void segs_expect_refused(struct __test_metadata *_metadata,
				FIXTURE_DATA(seg_desc) *self, __u32 stride,
				int err, const char *what)
{
	__u64 id;
	int ret = segs_submit(self, stride, &id);

	EXPECT_EQ(-err, ret) TH_LOG("%s: got %s, want %s", what,
				    strerror(-ret), strerror(err));
	EXPECT_EQ(-ENOENT,
		  zt_dma_wait(self->fd, 0, ZCDEV_DMA_WAIT_ANY, 0, NULL))
		TH_LOG("%s: a transfer ran", what);
	EXPECT_EQ(-1, zt_first_nonzero(self->dst_map, self->page))
		TH_LOG("%s: bytes were copied", what);
}

TEST_F(seg_desc, seg_size_below_ver0_is_einval)
{
	/* 40: struct zcdev_dma_seg_desc before ABI 1. */
	__u32 strides[] = { 0, 1, 16, 40, ZCDEV_DMA_SEG_DESC_SIZE_VER0 - 1 };
	char what[32];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(strides); i++) {
		snprintf(what, sizeof(what), "seg_size %u", strides[i]);
		segs_build(self, ZCDEV_DMA_SEG_DESC_SIZE_VER0);
		segs_expect_refused(_metadata, self, strides[i], EINVAL, what);
	}
}

/* Both segments are read at the caller's stride, and both copy. */
TEST_F(seg_desc, seg_size_larger_with_zero_tail_is_accepted)
{
	__u32 strides[] = { ZCDEV_DMA_SEG_DESC_SIZE_VER0,
			    sizeof(struct zcdev_dma_seg_desc), 72, 128,
			    STRIDE_MAX };
	struct zcdev_dma_wait w;
	unsigned int i;
	__u64 id;
	int ret;

	for (i = 0; i < ARRAY_SIZE(strides); i++) {
		segs_build(self, strides[i]);
		ret = segs_submit(self, strides[i], &id);
		ASSERT_EQ(0, ret) TH_LOG("seg_size %u: %s", strides[i],
					 strerror(-ret));
		ASSERT_EQ(0, zt_dma_wait(self->fd, id, 0,
					 zt_deadline_in(ZT_HANG_NS), &w));
		EXPECT_EQ(ZT_DONE, w.status);
		EXPECT_EQ((__u64)SEGS * DMA_LEN, w.bytes);
		EXPECT_EQ(0, memcmp(self->dst_map, self->src_map,
				    SEGS * DMA_LEN))
			TH_LOG("seg_size %u: wrong bytes", strides[i]);
		EXPECT_EQ(-1, zt_first_nonzero(self->dst_map + SEGS * DMA_LEN,
					       self->page - SEGS * DMA_LEN));
	}
}

TEST_F(seg_desc, seg_size_over_max_is_e2big)
{
	segs_build(self, ZCDEV_DMA_SEG_DESC_SIZE_VER0);
	segs_expect_refused(_metadata, self, STRIDE_MAX + 1, E2BIG,
			    "seg_size ZCDEV_MAX_ARG_SIZE + 1");
	segs_expect_refused(_metadata, self, 0x80000000u, E2BIG,
			    "seg_size 2^31");
}

/* A non-zero byte past the module's struct, in the first or last segment. */
TEST_F(seg_desc, seg_nonzero_tail_is_e2big)
{
	const __u32 stride = 128, cur = sizeof(struct zcdev_dma_seg_desc);
	unsigned int at[] = { cur, cur + 7, stride - 1 };
	char what[48];
	unsigned int i, s;

	for (s = 0; s < SEGS; s++) {
		for (i = 0; i < ARRAY_SIZE(at); i++) {
			snprintf(what, sizeof(what),
				 "segment %u, byte %u of %u", s, at[i], stride);
			segs_build(self, stride);
			self->segs[s * stride + at[i]] = 1;
			segs_expect_refused(_metadata, self, stride, E2BIG,
					    what);
		}
	}
}

TEST_F(seg_desc, seg_flag_bits_are_einval)
{
	const size_t off = offsetof(struct zcdev_dma_seg_desc, flags);
	char what[32];
	unsigned int bit, s;
	__u32 flags;

	for (s = 0; s < SEGS; s++) {
		for (bit = 0; bit < 32; bit++) {
			segs_build(self, ZCDEV_DMA_SEG_DESC_SIZE_VER0);
			flags = 1U << bit;
			memcpy(self->segs + s * ZCDEV_DMA_SEG_DESC_SIZE_VER0 +
			       off, &flags, sizeof(flags));
			snprintf(what, sizeof(what), "segment %u flags 0x%x",
				 s, flags);
			segs_expect_refused(_metadata, self,
					    ZCDEV_DMA_SEG_DESC_SIZE_VER0,
					    EINVAL, what);
		}
	}
}

TEST_F(seg_desc, seg_reserved_bytes_are_einval)
{
	const size_t off = offsetof(struct zcdev_dma_seg_desc, reserved);
	const size_t len = sizeof(((struct zcdev_dma_seg_desc *)0)->reserved);
	char what[48];
	unsigned int i, s;

	for (s = 0; s < SEGS; s++) {
		for (i = 0; i < len; i++) {
			segs_build(self, ZCDEV_DMA_SEG_DESC_SIZE_VER0);
			self->segs[s * ZCDEV_DMA_SEG_DESC_SIZE_VER0 + off + i] =
				0x80;
			snprintf(what, sizeof(what),
				 "segment %u reserved byte %u", s, i);
			segs_expect_refused(_metadata, self,
					    ZCDEV_DMA_SEG_DESC_SIZE_VER0,
					    EINVAL, what);
		}
	}
}

/* ---- arrays: DMA addresses out (ZCDEV_IOC_QUERY, CAP_SYS_ADMIN) ---- */

#define QSEGS_MAX	16U	/* elements offered */

FIXTURE(query_segs) {
	int fd;
	struct zcdev_info info;
	size_t page;
	struct zcdev_alloc buf;
	struct zcdev_dma_seg ref[QSEGS_MAX];	/* at the ver0 stride */
	__u32 nr_segs;
	unsigned char out[QSEGS_MAX * 64];
};

static int query_segs(FIXTURE_DATA(query_segs) *self, void *out, __u32 cap,
		      __u32 stride, struct zcdev_query *q)
{
	memset(q, 0, sizeof(*q));
	q->size = sizeof(*q);
	q->handle = self->buf.handle;
	q->segs_cap = cap;
	q->seg_size = stride;
	q->segs_ptr = (__u64)(uintptr_t)out;
	return zt_ioctl(self->fd, ZCDEV_IOC_QUERY, q);
}

FIXTURE_SETUP(query_segs)
{
	struct zcdev_query q;

	self->fd = -1;
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_PAGES);
	if (!zt_has_cap(CAP_SYS_ADMIN))
		ZT_SETUP_SKIP("DMA addresses need CAP_SYS_ADMIN");
	self->page = self->info.page_size;
	ASSERT_EQ(0, zt_alloc(self->fd, ZCDEV_BUF_PAGES, 8 * self->page,
			      &self->buf));
	ASSERT_EQ(0, query_segs(self, self->ref, QSEGS_MAX,
				ZCDEV_DMA_SEG_SIZE_VER0, &q));
	self->nr_segs = q.nr_segs;
	ASSERT_LE(1U, self->nr_segs);
	/* One element offered beyond the answer must stay untouched. */
	ASSERT_GT(QSEGS_MAX, self->nr_segs);
}

FIXTURE_TEARDOWN(query_segs)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(query_segs, seg_size_below_ver0_is_einval)
{
	__u32 strides[] = { 0, 1, 8, ZCDEV_DMA_SEG_SIZE_VER0 - 1 };
	struct zcdev_query q;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(strides); i++) {
		memset(self->out, CANARY, sizeof(self->out));
		EXPECT_EQ(-EINVAL, query_segs(self, self->out, 1, strides[i],
					      &q))
			TH_LOG("seg_size %u", strides[i]);
		EXPECT_EQ(CANARY, self->out[0]);
	}
}

TEST_F(query_segs, seg_size_over_max_is_e2big)
{
	struct zcdev_query q;

	memset(self->out, CANARY, sizeof(self->out));
	EXPECT_EQ(-E2BIG, query_segs(self, self->out, 1,
				     ZCDEV_MAX_ARG_SIZE + 1, &q));
	EXPECT_EQ(CANARY, self->out[0]);
}

/*
 * Element i lands at i * stride: its first bytes are what the ver0 stride
 * gave, the rest of the element is zeroed, and elements past nr_segs are
 * not touched.
 */
TEST_F(query_segs, larger_seg_size_writes_each_element_with_zeroed_tail)
{
	__u32 strides[] = { ZCDEV_DMA_SEG_SIZE_VER0,
			    sizeof(struct zcdev_dma_seg), 24, 32, 64 };
	const size_t esz = sizeof(struct zcdev_dma_seg);
	unsigned int i, e, cap;
	struct zcdev_query q;
	unsigned char *el;

	for (i = 0; i < ARRAY_SIZE(strides); i++) {
		cap = self->nr_segs + 1;
		ASSERT_GE(sizeof(self->out), (size_t)cap * strides[i]);
		memset(self->out, CANARY, sizeof(self->out));
		ASSERT_EQ(0, query_segs(self, self->out, cap, strides[i], &q))
			TH_LOG("seg_size %u", strides[i]);
		EXPECT_EQ(self->nr_segs, q.nr_segs);
		for (e = 0; e < self->nr_segs; e++) {
			el = self->out + e * strides[i];
			EXPECT_EQ(0, memcmp(el, &self->ref[e], esz))
				TH_LOG("seg_size %u: element %u differs",
				       strides[i], e);
			EXPECT_EQ(-1, zt_first_nonzero(el + esz,
						       strides[i] - esz))
				TH_LOG("seg_size %u: element %u tail written",
				       strides[i], e);
		}
		el = self->out + self->nr_segs * strides[i];
		for (e = 0; e < strides[i]; e++)
			if (el[e] != CANARY)
				break;
		EXPECT_EQ(strides[i], e)
			TH_LOG("seg_size %u: element past nr_segs written",
			       strides[i]);
	}
}

/* ---- arrays: channel counters out (ZCDEV_IOC_DMA_STATS) ---- */

#define CHANS_MAX	8U	/* elements offered at most */
#define CHAN_STRIDE_MAX	256U

FIXTURE(chan_stats) {
	int fd;
	struct zcdev_info info;
	__u32 nr_channels;
	struct zcdev_dma_chan_stats ref[CHANS_MAX];	/* at the ver0 stride */
	unsigned char out[(CHANS_MAX + 1) * CHAN_STRIDE_MAX];
};

static int chan_stats(FIXTURE_DATA(chan_stats) *self, void *out, __u32 cap,
		      __u32 stride, struct zcdev_dma_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->chans_cap = cap;
	st->chan_size = stride;
	st->chans_ptr = (__u64)(uintptr_t)out;
	return zt_ioctl(self->fd, ZCDEV_IOC_DMA_STATS, st);
}

FIXTURE_SETUP(chan_stats)
{
	struct zcdev_dma_stats st;

	self->fd = -1;
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_DMA(&self->info);
	ASSERT_EQ(0, chan_stats(self, self->ref, CHANS_MAX,
				ZCDEV_DMA_CHAN_STATS_SIZE_VER0, &st));
	self->nr_channels = st.nr_channels;
	ASSERT_LE(1U, self->nr_channels);
	/* One element offered beyond the answer must stay untouched. */
	ASSERT_GT(CHANS_MAX, self->nr_channels);
}

FIXTURE_TEARDOWN(chan_stats)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(chan_stats, chan_size_below_ver0_is_einval)
{
	__u32 strides[] = { 0, 1, 64, ZCDEV_DMA_CHAN_STATS_SIZE_VER0 - 1 };
	struct zcdev_dma_stats st;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(strides); i++) {
		memset(self->out, CANARY, sizeof(self->out));
		EXPECT_EQ(-EINVAL, chan_stats(self, self->out, 1, strides[i],
					      &st))
			TH_LOG("chan_size %u", strides[i]);
		EXPECT_EQ(CANARY, self->out[0]);
	}
}

TEST_F(chan_stats, chan_size_over_max_is_e2big)
{
	struct zcdev_dma_stats st;

	memset(self->out, CANARY, sizeof(self->out));
	EXPECT_EQ(-E2BIG, chan_stats(self, self->out, 1,
				     ZCDEV_MAX_ARG_SIZE + 1, &st));
	EXPECT_EQ(CANARY, self->out[0]);
}

/*
 * Channel i lands at i * stride, named as at the ver0 stride, with a
 * zeroed tail; the element past nr_channels is not touched. (Only the
 * names are compared: the counters may move between two calls.)
 */
TEST_F(chan_stats, larger_chan_size_writes_each_element_with_zeroed_tail)
{
	__u32 strides[] = { ZCDEV_DMA_CHAN_STATS_SIZE_VER0,
			    sizeof(struct zcdev_dma_chan_stats), 120, 128,
			    CHAN_STRIDE_MAX };
	const size_t esz = sizeof(struct zcdev_dma_chan_stats);
	struct zcdev_dma_chan_stats c;
	struct zcdev_dma_stats st;
	unsigned int i, e;
	unsigned char *el;

	for (i = 0; i < ARRAY_SIZE(strides); i++) {
		memset(self->out, CANARY, sizeof(self->out));
		ASSERT_EQ(0, chan_stats(self, self->out, self->nr_channels + 1,
					strides[i], &st))
			TH_LOG("chan_size %u", strides[i]);
		EXPECT_EQ(self->nr_channels, st.nr_channels);
		for (e = 0; e < self->nr_channels; e++) {
			el = self->out + e * strides[i];
			memcpy(&c, el, esz);
			EXPECT_STREQ(self->ref[e].name, c.name)
				TH_LOG("chan_size %u: element %u", strides[i],
				       e);
			EXPECT_EQ(0U, c.reserved);
			EXPECT_EQ(-1, zt_first_nonzero(el + esz,
						       strides[i] - esz))
				TH_LOG("chan_size %u: element %u tail written",
				       strides[i], e);
		}
		el = self->out + self->nr_channels * strides[i];
		for (e = 0; e < strides[i]; e++)
			if (el[e] != CANARY)
				break;
		EXPECT_EQ(strides[i], e)
			TH_LOG("chan_size %u: element past nr_channels written",
			       strides[i]);
	}
}

/* ---- arrays: send completions out (ZCDEV_IOC_SEND_REAP) ---- */

#define COMPLETIONS	2U

FIXTURE(reap_entries) {
	int fd;
	struct zcdev_info info;
	struct zcdev_alloc buf;
	unsigned char *map;
	int tx, rx;
	__u64 ids[COMPLETIONS];
	unsigned char out[(COMPLETIONS + 1) * 64];
};

FIXTURE_SETUP(reap_entries)
{
	self->fd = self->tx = self->rx = -1;
	ZS_SETUP_OPEN(&self->fd, &self->info);
	self->map = zs_new_buf(self->fd, ZCDEV_BUF_PAGES,
			       self->info.page_size, SEED, &self->buf);
	ASSERT_NE(NULL, self->map);
	ASSERT_EQ(0, zs_tcp_pair(AF_INET, &self->tx, &self->rx, 0, 0));
}

FIXTURE_TEARDOWN(reap_entries)
{
	if (self->tx >= 0)
		close(self->tx);
	if (self->rx >= 0)
		close(self->rx);
	if (self->map)
		munmap(self->map, self->buf.buf_len);
	if (self->fd >= 0)
		close(self->fd);
}

/* COMPLETIONS sends whose bytes have arrived; their ids in self->ids. */
static int entries_send(FIXTURE_DATA(reap_entries) *self)
{
	unsigned char b[COMPLETIONS * SEND_LEN];
	struct zcdev_send s;
	unsigned int i;
	int ret;

	for (i = 0; i < COMPLETIONS; i++) {
		ret = zs_send(self->fd, self->tx, self->buf.handle,
			      i * SEND_LEN, SEND_LEN, 0, 100 + i, &s);
		if (ret)
			return ret;
		self->ids[i] = s.id;
	}
	return zc_read_full(self->rx, b, sizeof(b)) == sizeof(b) ? 0 : -EIO;
}

static int entries_reap(FIXTURE_DATA(reap_entries) *self, void *out,
			__u32 max, __u32 stride, __u64 deadline,
			struct zcdev_reap *r)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->entries_ptr = (__u64)(uintptr_t)out;
	r->max_entries = max;
	r->entry_size = stride;
	r->deadline_ns = deadline;
	return zt_ioctl(self->fd, ZCDEV_IOC_SEND_REAP, r);
}

TEST_F(reap_entries, entry_size_below_ver0_is_einval_and_takes_nothing)
{
	__u32 strides[] = { 0, 1, 8, 24, ZCDEV_SEND_COMPLETION_SIZE_VER0 - 1 };
	struct zcdev_send_completion c[COMPLETIONS];
	struct pollfd p = { .fd = self->fd, .events = POLLIN };
	struct zcdev_reap r;
	unsigned int i, got = 0;

	ASSERT_EQ(0, entries_send(self));
	ASSERT_EQ(1, poll(&p, 1, 20 * 1000));
	for (i = 0; i < ARRAY_SIZE(strides); i++) {
		memset(self->out, CANARY, sizeof(self->out));
		EXPECT_EQ(-EINVAL, entries_reap(self, self->out, COMPLETIONS,
						strides[i], 0, &r))
			TH_LOG("entry_size %u", strides[i]);
		EXPECT_EQ(CANARY, self->out[0]);
	}
	/* Every completion is still there. */
	while (got < COMPLETIONS) {
		ASSERT_EQ(0, zs_reap(self->fd, c + got, COMPLETIONS - got,
				     zt_deadline_in(20 * NSEC_PER_SEC), &r));
		ASSERT_LT(0U, r.nr);
		got += r.nr;
	}
	for (i = 0; i < COMPLETIONS; i++)
		EXPECT_EQ(self->ids[i], c[i].id);
}

TEST_F(reap_entries, entry_size_over_max_is_e2big_and_takes_nothing)
{
	struct zcdev_send_completion c[COMPLETIONS];
	struct pollfd p = { .fd = self->fd, .events = POLLIN };
	struct zcdev_reap r;
	unsigned int i, got;

	ASSERT_EQ(0, entries_send(self));
	ASSERT_EQ(1, poll(&p, 1, 20 * 1000));
	EXPECT_EQ(-E2BIG, entries_reap(self, self->out, 1,
				       ZCDEV_MAX_ARG_SIZE + 1, 0, &r));
	for (got = 0; got < COMPLETIONS; got += r.nr) {
		ASSERT_EQ(0, zs_reap(self->fd, c + got, COMPLETIONS - got,
				     zt_deadline_in(20 * NSEC_PER_SEC), &r));
		ASSERT_LT(0U, r.nr);
	}
	for (i = 0; i < COMPLETIONS; i++)
		EXPECT_EQ(self->ids[i], c[i].id);
}

/*
 * Completion i lands at i * stride with a zeroed tail; the entry offered
 * past the last completion is not touched.
 */
TEST_F(reap_entries, larger_entry_size_writes_each_entry_with_zeroed_tail)
{
	__u32 strides[] = { ZCDEV_SEND_COMPLETION_SIZE_VER0,
			    sizeof(struct zcdev_send_completion), 40, 48, 64 };
	const size_t esz = sizeof(struct zcdev_send_completion);
	struct zcdev_send_completion c;
	struct zcdev_reap r;
	size_t n;
	unsigned int i, e, got;
	unsigned char *el;
	__u64 deadline;

	for (i = 0; i < ARRAY_SIZE(strides); i++) {
		ASSERT_GE(sizeof(self->out),
			  (size_t)(COMPLETIONS + 1) * strides[i]);
		ASSERT_EQ(0, entries_send(self));
		memset(self->out, CANARY, sizeof(self->out));
		/* They may complete one by one: reap into the next slot. */
		for (got = 0; got < COMPLETIONS; got += r.nr) {
			deadline = zt_deadline_in(20 * NSEC_PER_SEC);
			ASSERT_EQ(0, entries_reap(self,
						  self->out + got * strides[i],
						  COMPLETIONS + 1 - got,
						  strides[i], deadline, &r))
				TH_LOG("entry_size %u", strides[i]);
			ASSERT_LT(0U, r.nr);
		}
		ASSERT_EQ(COMPLETIONS, got);
		/* VER0 entries end before last_id (ABI 3). */
		n = strides[i] < esz ? strides[i] : esz;
		for (e = 0; e < COMPLETIONS; e++) {
			el = self->out + e * strides[i];
			memset(&c, 0, sizeof(c));
			memcpy(&c, el, n);
			EXPECT_EQ(self->ids[e], c.id)
				TH_LOG("entry_size %u: entry %u", strides[i],
				       e);
			EXPECT_EQ((__u64)SEND_LEN, c.bytes);
			EXPECT_EQ(100ULL + e, c.user_data);
			if (n < esz)
				continue;
			EXPECT_EQ(c.id, c.last_id)
				TH_LOG("entry_size %u: entry %u", strides[i], e);
			EXPECT_EQ(-1, zt_first_nonzero(el + esz,
						       strides[i] - esz))
				TH_LOG("entry_size %u: entry %u tail written",
				       strides[i], e);
		}
		el = self->out + COMPLETIONS * strides[i];
		for (e = 0; e < strides[i]; e++)
			if (el[e] != CANARY)
				break;
		EXPECT_EQ(strides[i], e)
			TH_LOG("entry_size %u: entry past the last written",
			       strides[i]);
	}
}

TEST_HARNESS_MAIN
