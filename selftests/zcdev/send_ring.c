// SPDX-License-Identifier: GPL-2.0
/*
 * ZCDEV_IOC_SEND_RING (ABI 4): send completions in a ring the sender maps.
 *
 *  - setup: entries a power of two 1..ZCDEV_SEND_RING_MAX, flags and
 *    reserved zero (EINVAL), once per file (EBUSY), and the layout it
 *    reports; mmap at ZCDEV_SEND_RING_OFFSET: MAP_SHARED, within
 *    mmap_bytes, only with a ring (ENXIO);
 *  - completions land in slot index & (entries - 1) in id order, tail
 *    published by the kernel, head stored by the consumer; poll() says
 *    POLLIN while the ring holds unconsumed completions;
 *  - sends in flight plus unconsumed completions stay below the ring's
 *    size (EBUSY beyond), so the ring never overflows;
 *  - completions waiting at setup move into the ring; a ring smaller than
 *    what waits is refused (EBUSY) and they stay reapable;
 *  - SEND_REAP consumes from the ring (moving head) and a waiting one
 *    wakes on a ring completion;
 *  - a head that claims more than the ring holds loses nothing: later
 *    completions wait for SEND_REAP, and an honest head works again; a
 *    reap that then finds nothing still ends at its deadline, or on
 *    SIGKILL;
 *  - the ring belongs to the file: forked children share it, another open
 *    file has none; the mapping keeps the file (and its ring) after close;
 *  - ZCDEV_SEND_COALESCE sends make one entry covering id .. last_id
 *    (which SEND_REAP with the ABI 2 entry size refuses to take).
 *
 * Loopback TCP completes a send as soon as its data is acknowledged (the
 * receiver copies), so the "quick" pair's counts are exact. Sends the
 * test must keep in flight go over a "held" pair whose receiver's window
 * is closed by a plain-write prefill it does not read (as in
 * send_coalesce.c), until the test drains it.
 */
#include "send_common.h"

#define SEED		113
#define SEED_PREFILL	114
#define BUF_LEN		(1 << 20)
#define PREFILL		(64 << 10)	/* far more than the held window */
#define HELD_RCVBUF	4096
#define HELD_SNDBUF	(1 << 20)
#define MAX_SENT	256
#define MS		NSEC_PER_MSEC
#define RING_HDR	128		/* head, tail, then the slots */

struct held {
	int tx, rx;
	struct zs_stream s;
};

/* The file's ring as mapped here. */
struct ring {
	unsigned char *map;
	size_t len;
	__u32 *head;
	__u32 *tail;
	struct zcdev_send_completion *slots;
	__u32 mask;
};

FIXTURE(send_ring) {
	int fd;
	struct zcdev_info info;
	struct zcdev_alloc a;
	unsigned char *p;
	int qtx, qrx;			/* the quick pair */
	struct zs_seg qsegs[MAX_SENT];	/* what qrx must read */
	unsigned int nr_qsegs;
	struct held h[2];
	struct zcdev_send_ring sr;
	struct ring r;
	struct zcdev_send sent[MAX_SENT];
	unsigned int nr_sent;
	char why[512];
};

FIXTURE_SETUP(send_ring)
{
	unsigned int i;

	self->fd = self->qtx = self->qrx = -1;
	for (i = 0; i < 2; i++)
		self->h[i].tx = self->h[i].rx = -1;
	ZS_SETUP_OPEN(&self->fd, &self->info);
	if (!(self->info.features & ZCDEV_FEAT_SEND_RING))
		ZT_SETUP_SKIP("module lacks ZCDEV_FEAT_SEND_RING (abi %u)",
			      self->info.abi_version);
	self->p = zs_new_buf(self->fd, ZCDEV_BUF_PAGES, BUF_LEN, SEED,
			     &self->a);
	ASSERT_NE(NULL, self->p);
	ASSERT_EQ(0, zs_tcp_pair(AF_INET, &self->qtx, &self->qrx, 0, 0));
	zs_setint(self->qtx, IPPROTO_TCP, TCP_NODELAY, 1);
}

FIXTURE_TEARDOWN(send_ring)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (self->h[i].tx >= 0)
			close(self->h[i].tx);
		if (self->h[i].rx >= 0)
			close(self->h[i].rx);
		free(self->h[i].s.want);
	}
	if (self->qtx >= 0)
		close(self->qtx);
	if (self->qrx >= 0)
		close(self->qrx);
	if (self->r.map)
		munmap(self->r.map, self->r.len);
	if (self->p)
		munmap(self->p, self->a.buf_len);
	if (self->fd >= 0)
		close(self->fd);
}

/* ---- the ring ---- */

static int ring_setup(int fd, __u32 entries, struct zcdev_send_ring *out)
{
	struct zcdev_send_ring s = {
		.size = sizeof(s),
		.entries = entries,
	};
	int ret = zt_ioctl(fd, ZCDEV_IOC_SEND_RING, &s);

	if (out)
		*out = s;
	return ret;
}

/* Map the ring @sr describes; 0 or -errno. */
static int ring_map(int fd, const struct zcdev_send_ring *sr, struct ring *r)
{
	memset(r, 0, sizeof(*r));
	r->map = zt_mmap(fd, sr->mmap_bytes, MAP_SHARED,
			 ZCDEV_SEND_RING_OFFSET);
	if (!r->map)
		return -errno;
	r->len = sr->mmap_bytes;
	r->head = (__u32 *)(r->map + sr->head_offset);
	r->tail = (__u32 *)(r->map + sr->tail_offset);
	r->slots = (struct zcdev_send_completion *)(r->map +
						    sr->entries_offset);
	r->mask = sr->entries - 1;
	return 0;
}

static __u32 ring_tail(const struct ring *r)
{
	return __atomic_load_n(r->tail, __ATOMIC_ACQUIRE);
}

static __u32 ring_head(const struct ring *r)
{
	return __atomic_load_n(r->head, __ATOMIC_ACQUIRE);
}

static void ring_set_head(struct ring *r, __u32 head)
{
	__atomic_store_n(r->head, head, __ATOMIC_RELEASE);
}

static struct zcdev_send_completion ring_slot(const struct ring *r,
					      __u32 index)
{
	return r->slots[index & r->mask];
}

/* Wait up to @ms for tail to reach @want; the tail then. */
static __u32 ring_wait_tail(const struct ring *r, __u32 want, int ms)
{
	__u64 start = zt_now_ns();
	__u32 tail;

	while ((__s32)((tail = ring_tail(r)) - want) < 0 &&
	       zs_ms_since(start) < ms)
		usleep(1000);
	return tail;
}

/* Set up and map a ring of @entries for the fixture's file. */
#define RING_OPEN(entries) do { \
	ASSERT_EQ(0, ring_setup(self->fd, (entries), &self->sr)); \
	ASSERT_EQ(0, ring_map(self->fd, &self->sr, &self->r)) \
		TH_LOG("mmap of the ring: %s", strerror(errno)); \
} while (0)

/*
 * Does @c complete exactly sent[@k], which went over loopback (COPIED)?
 * False and why if not.
 */
static bool compl_is(FIXTURE_DATA(send_ring) *self,
		     const struct zcdev_send_completion *c, unsigned int k)
{
	const struct zcdev_send *s = &self->sent[k];

	if (c->id == s->id && c->last_id == s->id && c->bytes == s->bytes &&
	    c->user_data == s->user_data && c->flags == ZCDEV_COMPL_COPIED &&
	    !c->reserved)
		return true;
	snprintf(self->why, sizeof(self->why),
		 "send %u (id %llu, %llu bytes, user_data %#llx): completion "
		 "ids %llu..%llu, %llu bytes, user_data %#llx, flags %#x, "
		 "reserved %#x", k, (unsigned long long)s->id,
		 (unsigned long long)s->bytes,
		 (unsigned long long)s->user_data,
		 (unsigned long long)c->id, (unsigned long long)c->last_id,
		 (unsigned long long)c->bytes,
		 (unsigned long long)c->user_data, c->flags, c->reserved);
	return false;
}

/* Ring slots @first .. @first + @n - 1 complete sent[@k0 ..]. */
static bool slots_are(FIXTURE_DATA(send_ring) *self, __u32 first, unsigned int n,
		      unsigned int k0)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct zcdev_send_completion c = ring_slot(&self->r, first + i);

		if (!compl_is(self, &c, k0 + i)) {
			size_t len = strlen(self->why);

			snprintf(self->why + len, sizeof(self->why) - len,
				 " (ring index %u)", first + i);
			return false;
		}
	}
	return true;
}

#define EXPECT_SLOTS(first, n, k0) \
	EXPECT_TRUE(slots_are(self, (first), (n), (k0))) TH_LOG("%s", self->why)

static short poll_in(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, ms) < 0)
		return -1;
	return pfd.revents & POLLIN;
}

/* ---- the quick pair ---- */

/*
 * A blocking send of [@off, @off + @len) over the quick pair, recorded;
 * 0 or -errno (then nothing is recorded).
 */
static int quick_send(FIXTURE_DATA(send_ring) *self, __u64 off, __u64 len,
		      __u64 user_data)
{
	struct zcdev_send s;
	int ret;

	if (self->nr_sent == MAX_SENT || self->nr_qsegs == MAX_SENT)
		return -ENOSPC;
	ret = zs_send(self->fd, self->qtx, self->a.handle, off, len, 0,
		      user_data, &s);
	if (ret)
		return ret;
	if (s.bytes != len)
		return -EPROTO;
	self->sent[self->nr_sent++] = s;
	self->qsegs[self->nr_qsegs++] = (struct zs_seg){ off, len };
	return 0;
}

/* The quick pair's receiver reads exactly what was sent, intact. */
#define EXPECT_QUICK_RECEIVED() do { \
	struct zs_rx __rx; \
	zs_rx_init(&__rx, self->qrx, SEED, self->qsegs, self->nr_qsegs); \
	zs_rx_run(&__rx); \
	EXPECT_TRUE(zs_rx_ok(&__rx)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&__rx)); \
} while (0)

/*
 * Wait until the quick sends so far have completed: the receiver read
 * them, then twice the longest delayed ACK (TCP_DELACK_MAX, 200 ms) for
 * the acknowledgements. Nothing is consumed.
 */
#define QUICK_SETTLE() do { \
	EXPECT_QUICK_RECEIVED(); \
	self->nr_qsegs = 0; \
	usleep(400 * 1000); \
} while (0)

/* ---- held pairs ---- */


/*
 * Held pair @i: a loopback TCP pair whose receiver's small window is
 * closed by a prefill it does not read, so zcdev sends queue behind it in
 * the sender and stay in flight until drain(). 0 or -errno.
 */
static int held_open(FIXTURE_DATA(send_ring) *self, unsigned int i)
{
	struct held *h = &self->h[i];
	int ret;

	ret = zs_tcp_pair(AF_INET, &h->tx, &h->rx, HELD_RCVBUF, 0);
	if (ret)
		return ret;
	zs_setint(h->tx, IPPROTO_TCP, TCP_NODELAY, 1);
	zs_set_sndbuf(h->tx, HELD_SNDBUF);
	return zs_stream_prefill(h->tx, PREFILL, SEED_PREFILL, &h->s);
}

#define HELD_OPEN(i) do { \
	int __ret = held_open(self, (i)); \
	ASSERT_EQ(0, __ret) TH_LOG("held pair %d: %s", (i), strerror(-__ret)); \
} while (0)

/* A non-blocking send over held pair @i, recorded; 0 or -errno. */
static int held_send(FIXTURE_DATA(send_ring) *self, unsigned int i, __u64 off,
		     __u64 len, __u32 flags, __u64 user_data)
{
	struct zcdev_send s;
	int ret;

	if (self->nr_sent == MAX_SENT)
		return -ENOSPC;
	ret = zs_send(self->fd, self->h[i].tx, self->a.handle, off, len,
		      flags | ZCDEV_SEND_DONTWAIT, user_data, &s);
	if (ret)
		return ret;
	if (s.bytes != len)
		return -EPROTO;
	self->sent[self->nr_sent++] = s;
	return zs_stream_add(&self->h[i].s, self->p + off, len);
}

/* Read what held pair @i's receiver must get and compare; false + why. */
static bool drain(FIXTURE_DATA(send_ring) *self, unsigned int i)
{
	char who[16];

	snprintf(who, sizeof(who), "held %u", i);
	return zs_stream_drain(self->h[i].rx, &self->h[i].s, who, self->why,
			       sizeof(self->why));
}

#define EXPECT_DRAINED(i) \
	EXPECT_TRUE(drain(self, (i))) TH_LOG("%s", self->why)

/* Nothing reaches the ring within 200 ms: the sends really are held. */
#define ASSERT_RING_HELD() do { \
	usleep(200 * 1000); \
	ASSERT_EQ(0U, ring_tail(&self->r)) \
		TH_LOG("a completion came before the receiver read"); \
} while (0)

/* SEND_REAP into @c[@max] with the fixture's file. */
static int reap(FIXTURE_DATA(send_ring) *self, struct zcdev_send_completion *c,
		__u32 max, __u64 deadline_ns, struct zcdev_reap *r)
{
	return zs_reap(self->fd, c, max, deadline_ns, r);
}

/* ---- INFO ---- */

/* ---- setup and mmap ---- */

static __u64 ring_bytes(__u32 entries, __u64 page)
{
	__u64 b = RING_HDR + (__u64)entries * ZCDEV_SEND_COMPLETION_SIZE_VER1;

	return (b + page - 1) / page * page;
}

TEST_F(send_ring, setup_argument_errors_and_outputs)
{
	static const __u32 bad[] = { 0, 3, 6, 1000, ZCDEV_SEND_RING_MAX - 1,
				     ZCDEV_SEND_RING_MAX + 1,
				     2 * ZCDEV_SEND_RING_MAX, 0x80000000U,
				     0xffffffffU };
	struct zcdev_send_ring s;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, ring_setup(self->fd, bad[i], NULL))
			TH_LOG("entries %u", bad[i]);
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.entries = 8;
	s.flags = 1;
	EXPECT_EQ(-EINVAL, zt_ioctl(self->fd, ZCDEV_IOC_SEND_RING, &s));
	s.flags = 0x80000000U;
	EXPECT_EQ(-EINVAL, zt_ioctl(self->fd, ZCDEV_IOC_SEND_RING, &s));
	s.flags = 0;
	s.reserved = 1;
	EXPECT_EQ(-EINVAL, zt_ioctl(self->fd, ZCDEV_IOC_SEND_RING, &s));
	/* None of that left a ring behind. */
	EXPECT_EQ(ENXIO, zt_mmap_err(self->fd, self->info.page_size,
				     MAP_SHARED, ZCDEV_SEND_RING_OFFSET));

	ASSERT_EQ(0, ring_setup(self->fd, 256, &s));
	EXPECT_EQ(256U, s.entries);
	EXPECT_EQ(0U, s.flags);
	EXPECT_EQ(0U, s.reserved);
	EXPECT_EQ((__u32)ZCDEV_SEND_COMPLETION_SIZE_VER1, s.entry_size);
	EXPECT_EQ(sizeof(struct zcdev_send_completion), s.entry_size);
	EXPECT_EQ(0U, s.head_offset);
	EXPECT_EQ(64U, s.tail_offset);
	EXPECT_EQ((__u32)RING_HDR, s.entries_offset);
	EXPECT_EQ(ring_bytes(256, self->info.page_size), s.mmap_bytes);

	/* One ring per file, whatever the second asks for. */
	EXPECT_EQ(-EBUSY, ring_setup(self->fd, 256, NULL));
	EXPECT_EQ(-EBUSY, ring_setup(self->fd, 1, NULL));
	/* Arguments are checked first. */
	EXPECT_EQ(-EINVAL, ring_setup(self->fd, 3, NULL));
}

/* Every size's layout, from one slot to ZCDEV_SEND_RING_MAX. */
TEST_F(send_ring, sizes_map_whole_and_start_zeroed)
{
	static const __u32 sizes[] = { 1, 2, 64, 1024, ZCDEV_SEND_RING_MAX };
	struct zcdev_send_ring s;
	struct ring r;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		int fd = zt_open();

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ring_setup(fd, sizes[i], &s))
			TH_LOG("entries %u", sizes[i]);
		EXPECT_EQ(ring_bytes(sizes[i], self->info.page_size),
			  s.mmap_bytes) TH_LOG("entries %u", sizes[i]);
		ASSERT_EQ(0, ring_map(fd, &s, &r))
			TH_LOG("entries %u: %s", sizes[i], strerror(errno));
		EXPECT_EQ(-1, zt_first_nonzero(r.map, r.len))
			TH_LOG("entries %u", sizes[i]);
		munmap(r.map, r.len);
		close(fd);
	}
}

TEST_F(send_ring, mmap_errors)
{
	__u64 page = self->info.page_size;
	void *m;

	EXPECT_EQ(ENXIO, zt_mmap_err(self->fd, page, MAP_SHARED,
				     ZCDEV_SEND_RING_OFFSET));
	ASSERT_EQ(0, ring_setup(self->fd, 256, &self->sr));
	ASSERT_LT(page, self->sr.mmap_bytes);
	EXPECT_EQ(EINVAL, zt_mmap_err(self->fd, self->sr.mmap_bytes,
				      MAP_PRIVATE, ZCDEV_SEND_RING_OFFSET));
	EXPECT_EQ(ENXIO, zt_mmap_err(self->fd, self->sr.mmap_bytes + page,
				     MAP_SHARED, ZCDEV_SEND_RING_OFFSET));
	/* Shorter is allowed, and the whole of it. */
	EXPECT_EQ(0, zt_mmap_err(self->fd, page, MAP_SHARED,
				 ZCDEV_SEND_RING_OFFSET));
	m = mmap(NULL, self->sr.mmap_bytes, PROT_READ, MAP_SHARED, self->fd,
		 ZCDEV_SEND_RING_OFFSET);
	ASSERT_NE(MAP_FAILED, m) TH_LOG("read-only: %s", strerror(errno));
	/* Not growable past the ring. */
	EXPECT_EQ(MAP_FAILED, mremap(m, self->sr.mmap_bytes,
				     self->sr.mmap_bytes + page, 0));
	munmap(m, self->sr.mmap_bytes);
	/* Buffer mappings are unaffected by the ring at offset 0. */
	EXPECT_EQ(0, zt_mmap_err(self->fd, self->a.buf_len, MAP_SHARED,
				 self->a.offset));
}

/* ---- completions in the ring ---- */

TEST_F(send_ring, completions_arrive_in_id_order_without_reaping)
{
	struct zcdev_send_completion c;
	struct zs_seg segs[100];
	struct zcdev_reap rp;
	unsigned int i;
	struct zs_rx rx;
	__u32 tail;

	RING_OPEN(256);
	/* A receiver that reads while the sends go. */
	for (i = 0; i < 100; i++)
		segs[i] = (struct zs_seg){ i * 512, 512 };
	zs_rx_init(&rx, self->qrx, SEED, segs, 100);
	ASSERT_EQ(0, zs_rx_start(&rx));
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, quick_send(self, i * 512, 512, 0x5000 + i))
			TH_LOG("send %u", i);
		if (i)
			EXPECT_LT(self->sent[i - 1].id, self->sent[i].id);
	}
	zs_rx_join(&rx);
	EXPECT_TRUE(zs_rx_ok(&rx)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&rx));
	tail = ring_wait_tail(&self->r, 100, 10000);
	ASSERT_EQ(100U, tail);
	usleep(100 * 1000);
	EXPECT_EQ(100U, ring_tail(&self->r)) TH_LOG("more than one each");
	/* The kernel never moves head by itself. */
	EXPECT_EQ(0U, ring_head(&self->r));
	EXPECT_SLOTS(0, 100, 0);
	EXPECT_NE(0, poll_in(self->fd, 0));
	ring_set_head(&self->r, 99);
	EXPECT_NE(0, poll_in(self->fd, 0));
	ring_set_head(&self->r, 100);
	EXPECT_EQ(0, poll_in(self->fd, 0));
	/* Nothing went to the list. */
	ASSERT_EQ(0, reap(self, &c, 1, 0, &rp));
	EXPECT_EQ(0U, rp.nr);
	EXPECT_EQ(0ULL, rp.pending);
	EXPECT_EQ(100U, ring_head(&self->r));
}

/* Indices run past the ring's size: slots are reused in order. */
TEST_F(send_ring, indices_wrap_around_the_slots)
{
	unsigned int i;

	RING_OPEN(4);
	for (i = 0; i < 11; i++) {
		ASSERT_EQ(0, quick_send(self, i * 100, 100, 0x6000 + i))
			TH_LOG("send %u", i);
		ASSERT_EQ(i + 1, ring_wait_tail(&self->r, i + 1, 5000));
		EXPECT_SLOTS(i, 1, i);
		ring_set_head(&self->r, i + 1);
	}
	EXPECT_QUICK_RECEIVED();
}

TEST_F(send_ring, unconsumed_completions_limit_sends)
{
	unsigned int i;

	RING_OPEN(8);
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, quick_send(self, i * 100, 100, i))
			TH_LOG("send %u", i);
	ASSERT_EQ(8U, ring_wait_tail(&self->r, 8, 5000));
	EXPECT_EQ(-EBUSY, quick_send(self, 800, 100, 8));
	/* One slot consumed, one send more. */
	ring_set_head(&self->r, 1);
	ASSERT_EQ(0, quick_send(self, 800, 100, 8));
	ASSERT_EQ(9U, ring_wait_tail(&self->r, 9, 5000));
	EXPECT_SLOTS(8, 1, 8);
	EXPECT_EQ(-EBUSY, quick_send(self, 900, 100, 9));
	ring_set_head(&self->r, 9);
	ASSERT_EQ(0, quick_send(self, 900, 100, 9));
	ASSERT_EQ(10U, ring_wait_tail(&self->r, 10, 5000));
	/* Indices 8 and 9 reused slots 0 and 1. */
	EXPECT_SLOTS(2, 8, 2);
	EXPECT_QUICK_RECEIVED();
}

TEST_F(send_ring, sends_in_flight_count_against_the_ring)
{
	unsigned int i;

	HELD_OPEN(0);
	RING_OPEN(4);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, held_send(self, 0, i * 4096, 4096, 0, i))
			TH_LOG("send %u", i);
	EXPECT_EQ(-EBUSY, held_send(self, 0, 4 * 4096, 4096, 0, 4));
	ASSERT_RING_HELD();
	EXPECT_DRAINED(0);
	ASSERT_EQ(4U, ring_wait_tail(&self->r, 4, 5000));
	EXPECT_SLOTS(0, 4, 0);
	/* Completed but unconsumed still count. */
	EXPECT_EQ(-EBUSY, quick_send(self, 0, 100, 4));
	ring_set_head(&self->r, 4);
	EXPECT_EQ(0, quick_send(self, 0, 100, 4));
	EXPECT_EQ(5U, ring_wait_tail(&self->r, 5, 5000));
	EXPECT_SLOTS(4, 1, 4);
	EXPECT_QUICK_RECEIVED();
}

TEST_F(send_ring, completions_waiting_at_setup_move_into_the_ring)
{
	struct zcdev_send_completion c[8];
	struct zcdev_reap rp;
	unsigned int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, quick_send(self, i * 100, 100, 0x700 + i));
	QUICK_SETTLE();
	ASSERT_NE(0, poll_in(self->fd, 0));
	RING_OPEN(4);
	/* At once: they were moved by the setup, not completed since. */
	EXPECT_EQ(3U, ring_tail(&self->r));
	EXPECT_EQ(0U, ring_head(&self->r));
	EXPECT_SLOTS(0, 3, 0);
	EXPECT_NE(0, poll_in(self->fd, 0));
	/* The list is empty: SEND_REAP takes them from the ring now. */
	ASSERT_EQ(0, reap(self, c, 8, 0, &rp));
	EXPECT_EQ(3U, rp.nr);
	EXPECT_EQ(0ULL, rp.pending);
	for (i = 0; i < rp.nr && i < 3; i++)
		EXPECT_TRUE(compl_is(self, &c[i], i)) TH_LOG("%s", self->why);
	EXPECT_EQ(3U, ring_head(&self->r));
	EXPECT_EQ(0, poll_in(self->fd, 0));
}

/* As many waiting as the ring has slots: all move, then it is full. */
TEST_F(send_ring, setup_as_large_as_what_waits)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, quick_send(self, i * 100, 100, 0x800 + i));
	QUICK_SETTLE();
	RING_OPEN(4);
	EXPECT_EQ(4U, ring_tail(&self->r));
	EXPECT_SLOTS(0, 4, 0);
	EXPECT_EQ(-EBUSY, quick_send(self, 400, 100, 0x804));
	ring_set_head(&self->r, 4);
	ASSERT_EQ(0, quick_send(self, 400, 100, 0x804));
	EXPECT_EQ(5U, ring_wait_tail(&self->r, 5, 5000));
	EXPECT_SLOTS(4, 1, 4);
	EXPECT_QUICK_RECEIVED();
}

TEST_F(send_ring, setup_smaller_than_what_waits_is_refused)
{
	struct zcdev_send_completion c[8];
	struct zcdev_reap rp;
	unsigned int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, quick_send(self, i * 100, 100, 0x900 + i));
	QUICK_SETTLE();
	EXPECT_EQ(-EBUSY, ring_setup(self->fd, 2, NULL));
	EXPECT_EQ(-EBUSY, ring_setup(self->fd, 1, NULL));
	EXPECT_EQ(ENXIO, zt_mmap_err(self->fd, self->info.page_size,
				     MAP_SHARED, ZCDEV_SEND_RING_OFFSET));
	ASSERT_EQ(0, reap(self, c, 8, 0, &rp));
	ASSERT_EQ(3U, rp.nr);
	for (i = 0; i < 3; i++)
		EXPECT_TRUE(compl_is(self, &c[i], i)) TH_LOG("%s", self->why);
	/* Nothing waits now: the same small ring is fine. */
	RING_OPEN(2);
	EXPECT_EQ(0U, ring_tail(&self->r));
}

/* Sends in flight count at setup as well. */
TEST_F(send_ring, setup_smaller_than_sends_in_flight_is_refused)
{
	unsigned int i;

	HELD_OPEN(0);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, held_send(self, 0, i * 4096, 4096, 0, i));
	EXPECT_EQ(-EBUSY, ring_setup(self->fd, 2, NULL));
	RING_OPEN(4);
	ASSERT_RING_HELD();
	EXPECT_DRAINED(0);
	EXPECT_EQ(3U, ring_wait_tail(&self->r, 3, 5000));
	EXPECT_SLOTS(0, 3, 0);
}

/* ---- SEND_REAP and the ring ---- */

TEST_F(send_ring, send_reap_consumes_from_the_ring)
{
	struct zcdev_send_completion c[8];
	struct zcdev_reap rp;
	unsigned int i;

	RING_OPEN(16);
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, quick_send(self, i * 100, 100, 0xa00 + i));
	ASSERT_EQ(5U, ring_wait_tail(&self->r, 5, 5000));
	ASSERT_EQ(0, reap(self, c, 2, 0, &rp));
	ASSERT_EQ(2U, rp.nr);
	EXPECT_TRUE(compl_is(self, &c[0], 0)) TH_LOG("%s", self->why);
	EXPECT_TRUE(compl_is(self, &c[1], 1)) TH_LOG("%s", self->why);
	EXPECT_EQ(2U, ring_head(&self->r));
	ASSERT_EQ(0, reap(self, c, 8, 0, &rp));
	ASSERT_EQ(3U, rp.nr);
	for (i = 0; i < 3; i++)
		EXPECT_TRUE(compl_is(self, &c[i], 2 + i))
			TH_LOG("%s", self->why);
	EXPECT_EQ(5U, ring_head(&self->r));
	EXPECT_EQ(0, poll_in(self->fd, 0));

	/* What the consumer took by its head, SEND_REAP does not return. */
	ASSERT_EQ(0, quick_send(self, 500, 100, 0xa05));
	ASSERT_EQ(0, quick_send(self, 600, 100, 0xa06));
	ASSERT_EQ(7U, ring_wait_tail(&self->r, 7, 5000));
	ring_set_head(&self->r, 6);
	ASSERT_EQ(0, reap(self, c, 8, 0, &rp));
	ASSERT_EQ(1U, rp.nr);
	EXPECT_TRUE(compl_is(self, &c[0], 6)) TH_LOG("%s", self->why);
	EXPECT_EQ(7U, ring_head(&self->r));
	ASSERT_EQ(0, reap(self, c, 8, 0, &rp));
	EXPECT_EQ(0U, rp.nr);
	EXPECT_QUICK_RECEIVED();
}

/* Drains held pair 0 after a delay, from another thread. */
struct later {
	FIXTURE_DATA(send_ring) *self;
	int ms;
	bool ok;
	pthread_t th;
};

static void *drain_later(void *arg)
{
	struct later *l = arg;

	usleep(l->ms * 1000);
	l->ok = drain(l->self, 0);
	return NULL;
}

TEST_F(send_ring, waiting_send_reap_wakes_on_a_ring_completion)
{
	struct later l = { .self = self, .ms = 300 };
	struct zcdev_send_completion c[4];
	struct zcdev_reap rp;
	long long ms;
	__u64 start;

	HELD_OPEN(0);
	RING_OPEN(16);
	ASSERT_EQ(0, held_send(self, 0, 0, 4096, 0, 0xb00));
	ASSERT_RING_HELD();
	start = zt_now_ns();
	ASSERT_EQ(0, pthread_create(&l.th, NULL, drain_later, &l));
	ASSERT_EQ(0, reap(self, c, 4, start + 15000 * MS, &rp));
	ms = zs_ms_since(start);
	pthread_join(l.th, NULL);
	EXPECT_TRUE(l.ok) TH_LOG("%s", self->why);
	ASSERT_EQ(1U, rp.nr);
	EXPECT_TRUE(compl_is(self, &c[0], 0)) TH_LOG("%s", self->why);
	EXPECT_EQ(0ULL, rp.pending);
	EXPECT_LE(250, ms);
	EXPECT_GT(10000, ms);
	EXPECT_EQ(1U, ring_tail(&self->r));
	EXPECT_EQ(1U, ring_head(&self->r));
}

/* ---- a consumer that lies ---- */

/*
 * Reap with deadline 0 (a bogus head must not make a waiting reap the
 * test's subject here) until @want completions are in @c or @ms pass.
 */
static unsigned int reap_polling(FIXTURE_DATA(send_ring) *self,
				 struct zcdev_send_completion *c,
				 unsigned int want, int ms)
{
	__u64 start = zt_now_ns();
	unsigned int got = 0;
	struct zcdev_reap rp;

	while (got < want && zs_ms_since(start) < ms) {
		if (reap(self, c + got, want - got, 0, &rp))
			break;
		got += rp.nr;
		if (!rp.nr)
			usleep(5000);
	}
	return got;
}

TEST_F(send_ring, bogus_head_loses_no_completion)
{
	static const __u32 bogus[] = { 1000, 0x80000000U, (__u32)-9 };
	struct zcdev_send_completion c[8];
	struct zcdev_reap rp;
	unsigned int i, got;

	HELD_OPEN(0);
	RING_OPEN(8);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, held_send(self, 0, i * 4096, 4096, 0, 0xc00 + i));
	ASSERT_RING_HELD();
	/* Ahead of tail: the ring reads as full. */
	ring_set_head(&self->r, 1000);
	EXPECT_EQ(-EBUSY, quick_send(self, 0, 100, 0xcff));
	ASSERT_EQ(0, reap(self, c, 8, 0, &rp));
	EXPECT_EQ(0U, rp.nr);
	EXPECT_EQ(3ULL, rp.pending);
	EXPECT_DRAINED(0);
	/* They wait on the list instead, none lost. */
	got = reap_polling(self, c, 3, 5000);
	ASSERT_EQ(3U, got);
	for (i = 0; i < 3; i++)
		EXPECT_TRUE(compl_is(self, &c[i], i)) TH_LOG("%s", self->why);
	EXPECT_EQ(0U, ring_tail(&self->r));
	EXPECT_EQ(1000U, ring_head(&self->r));
	ASSERT_EQ(0, reap(self, c, 8, 0, &rp));
	EXPECT_EQ(0U, rp.nr);
	EXPECT_EQ(0ULL, rp.pending);

	/* Other lies (far ahead, one behind tail - entries) the same. */
	for (i = 0; i < ARRAY_SIZE(bogus); i++) {
		ring_set_head(&self->r, bogus[i]);
		EXPECT_EQ(-EBUSY, quick_send(self, 0, 100, 0xcff))
			TH_LOG("head %#x", bogus[i]);
	}
	/* An honest head: the ring works again. */
	ring_set_head(&self->r, 0);
	EXPECT_EQ(0, poll_in(self->fd, 0));
	ASSERT_EQ(0, quick_send(self, 0, 100, 0xc03));
	ASSERT_EQ(1U, ring_wait_tail(&self->r, 1, 5000));
	EXPECT_SLOTS(0, 1, 3);
	/* As far back as tail - entries is honest too: a full ring. */
	ring_set_head(&self->r, 1 - 8);
	EXPECT_EQ(-EBUSY, quick_send(self, 100, 100, 0xcff));
	ring_set_head(&self->r, 1);
	EXPECT_EQ(0, quick_send(self, 100, 100, 0xc04));
	ASSERT_EQ(2U, ring_wait_tail(&self->r, 2, 5000));
	EXPECT_SLOTS(1, 1, 4);
	EXPECT_QUICK_RECEIVED();
}

struct reaper {
	FIXTURE_DATA(send_ring) *self;
	__u64 deadline_ns;
	struct zcdev_reap rp;
	int ret;
	bool done;		/* __atomic */
	pthread_t th;
};

static void *reap_thread(void *arg)
{
	struct reaper *w = arg;
	struct zcdev_send_completion c[4];

	w->ret = reap(w->self, c, 4, w->deadline_ns, &w->rp);
	__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * With a bogus head and nothing on the list, a reap with a deadline has
 * nothing to return: it ends at its deadline with nr 0, like any reap
 * that finds nothing. (If it never ends, an honest head frees it so the
 * test can report it.)
 */
TEST_F(send_ring, waiting_send_reap_with_a_bogus_head_ends_at_its_deadline)
{
	struct reaper w = { .self = self };
	bool rescued = false;
	long long ms;
	__u64 start;

	RING_OPEN(8);
	ring_set_head(&self->r, 1000);
	start = zt_now_ns();
	w.deadline_ns = start + 300 * MS;
	ASSERT_EQ(0, pthread_create(&w.th, NULL, reap_thread, &w));
	while (!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE) &&
	       zs_ms_since(start) < 4000)
		usleep(10 * 1000);
	ms = zs_ms_since(start);
	if (!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE)) {
		rescued = true;
		ring_set_head(&self->r, 0);
	}
	pthread_join(w.th, NULL);
	EXPECT_FALSE(rescued)
		TH_LOG("SEND_REAP (deadline 300 ms) still in the kernel after "
		       "%lld ms with head %u, tail 0: it only returned once "
		       "the head was made honest", ms, 1000U);
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(0U, w.rp.nr);
	EXPECT_LE(250, ms);
}

/*
 * The same with no deadline: nothing to reap, so the reaper sleeps, and
 * SIGKILL ends it. (If it does not die, an honest head frees it.)
 */
TEST_F(send_ring, reap_without_deadline_and_a_bogus_head_is_killable)
{
	bool rescued = false;
	int status = 0;
	long long ms;
	__u64 start;
	pid_t pid, got;

	RING_OPEN(8);
	ring_set_head(&self->r, 1000);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct zcdev_send_completion c;

		reap(self, &c, 1, ZCDEV_DEADLINE_NEVER, NULL);
		_exit(0);
	}
	usleep(200 * 1000);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	start = zt_now_ns();
	while ((got = waitpid(pid, &status, WNOHANG)) == 0 &&
	       zs_ms_since(start) < 3000)
		usleep(10 * 1000);
	ms = zs_ms_since(start);
	if (!got) {
		rescued = true;
		ring_set_head(&self->r, 0);
		got = waitpid(pid, &status, 0);
	}
	EXPECT_FALSE(rescued)
		TH_LOG("the reaper ignored SIGKILL for %lld ms with head %u, "
		       "tail 0; it died once the head was made honest", ms,
		       1000U);
	EXPECT_EQ(pid, got);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("status %#x", status);
}

/* ---- sharing and lifetime ---- */

TEST_F(send_ring, forked_children_share_the_files_ring)
{
	__u64 ids[5];
	int up[2], other;
	unsigned int i;
	struct ring r2;
	pid_t pid;

	RING_OPEN(64);
	ASSERT_EQ(0, pipe2(up, O_CLOEXEC));
	/* A child sends with the inherited file and socket. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		for (i = 0; i < 5; i++) {
			if (quick_send(self, i * 100, 100, 0xd00 + i))
				_exit(1);
			ids[i] = self->sent[i].id;
		}
		_exit(write(up[1], ids, sizeof(ids)) == sizeof(ids) ? 0 : 2);
	}
	close(up[1]);
	ASSERT_EQ((ssize_t)sizeof(ids), read(up[0], ids, sizeof(ids)));
	close(up[0]);
	ASSERT_EQ(0, zt_wait(pid));
	ASSERT_EQ(5U, ring_wait_tail(&self->r, 5, 5000));
	for (i = 0; i < 5; i++) {
		struct zcdev_send_completion c = ring_slot(&self->r, i);

		EXPECT_EQ(ids[i], c.id);
		EXPECT_EQ(ids[i], c.last_id);
		EXPECT_EQ(100ULL, c.bytes);
		EXPECT_EQ(0xd00ULL + i, c.user_data);
		self->qsegs[i] = (struct zs_seg){ i * 100, 100 };
	}
	self->nr_qsegs = 5;
	EXPECT_QUICK_RECEIVED();

	/* A child that maps the ring itself sees the same memory. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (ring_map(self->fd, &self->sr, &r2))
			_exit(1);
		if (ring_tail(&r2) != 5)
			_exit(2);
		for (i = 0; i < 5; i++)
			if (ring_slot(&r2, i).id != ids[i])
				_exit(3);
		ring_set_head(&r2, 5);
		munmap(r2.map, r2.len);
		_exit(0);
	}
	EXPECT_EQ(0, zt_wait(pid))
		TH_LOG("child: 1 mmap failed, 2 tail differs, 3 slot differs");
	EXPECT_EQ(5U, ring_head(&self->r));
	EXPECT_EQ(0, poll_in(self->fd, 0));

	/* Another open file has no ring, and gets its own. */
	other = zt_open();
	ASSERT_LE(0, other);
	EXPECT_EQ(ENXIO, zt_mmap_err(other, self->info.page_size, MAP_SHARED,
				     ZCDEV_SEND_RING_OFFSET));
	ASSERT_EQ(0, ring_setup(other, 8, NULL));
	EXPECT_EQ(5U, ring_tail(&self->r));
	close(other);
}

/*
 * The mapping holds the file: after close(fd) completions still land in
 * the ring. After munmap the file goes; a send still in flight then
 * completes into nothing, and its buffer's memory is given back.
 */
TEST_F(send_ring, mapping_keeps_the_ring_after_close)
{
	int watch = zt_open();
	__u64 total0, total;
	__u64 start;

	ASSERT_LE(0, watch);
	total0 = zt_total_bytes(watch);
	HELD_OPEN(0);
	HELD_OPEN(1);
	RING_OPEN(8);
	ASSERT_EQ(0, held_send(self, 0, 0, 4096, 0, 0xe00));
	ASSERT_EQ(0, held_send(self, 0, 4096, 4096, 0, 0xe01));
	ASSERT_EQ(0, held_send(self, 1, 8192, 4096, 0, 0xe02));
	ASSERT_RING_HELD();
	munmap(self->p, self->a.buf_len);
	self->p = NULL;
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(0U, ring_tail(&self->r));
	EXPECT_DRAINED(0);
	EXPECT_EQ(2U, ring_wait_tail(&self->r, 2, 5000));
	EXPECT_SLOTS(0, 2, 0);
	/* The last reference to the file goes with the mapping. */
	munmap(self->r.map, self->r.len);
	self->r.map = NULL;
	EXPECT_DRAINED(1);
	/* The send held the buffer; its completion, dropped, lets it go. */
	start = zt_now_ns();
	do {
		total = zt_total_bytes(watch);
		if (total == total0 - self->a.buf_len)
			break;
		usleep(10 * 1000);
	} while (zs_ms_since(start) < 5000);
	EXPECT_EQ(total0 - self->a.buf_len, total)
		TH_LOG("total_bytes was %llu with the buffer",
		       (unsigned long long)total0);
	close(watch);
}

/* ---- coalescing ---- */

TEST_F(send_ring, coalesced_sends_make_one_entry)
{
	unsigned char raw[4 * ZCDEV_SEND_COMPLETION_SIZE_VER0];
	struct zcdev_send_completion c;
	struct zcdev_reap rp;
	unsigned int i;

	if (!(self->info.features & ZCDEV_FEAT_SEND_COALESCE))
		SKIP(return, "module lacks ZCDEV_FEAT_SEND_COALESCE");
	HELD_OPEN(0);
	RING_OPEN(16);
	for (i = 0; i < 16; i++)
		ASSERT_EQ(0, held_send(self, 0, i * 4096, 4096,
				       ZCDEV_SEND_COALESCE, 0xf00 + i))
			TH_LOG("send %u", i);
	ASSERT_RING_HELD();
	EXPECT_DRAINED(0);
	ASSERT_EQ(1U, ring_wait_tail(&self->r, 1, 5000));
	usleep(100 * 1000);
	EXPECT_EQ(1U, ring_tail(&self->r));
	c = ring_slot(&self->r, 0);
	EXPECT_EQ(self->sent[0].id, c.id);
	EXPECT_EQ(self->sent[15].id, c.last_id);
	EXPECT_EQ(16ULL * 4096, c.bytes);
	EXPECT_EQ(0xf0fULL, c.user_data);
	EXPECT_EQ(ZCDEV_COMPL_COPIED, c.flags);
	EXPECT_EQ(0U, c.reserved);
	/* The ABI 2 entry has no last_id: refused, nothing consumed. */
	memset(&rp, 0, sizeof(rp));
	rp.size = sizeof(rp);
	rp.entries_ptr = (__u64)(uintptr_t)raw;
	rp.max_entries = 4;
	rp.entry_size = ZCDEV_SEND_COMPLETION_SIZE_VER0;
	EXPECT_EQ(-EINVAL, zt_ioctl(self->fd, ZCDEV_IOC_SEND_REAP, &rp));
	EXPECT_EQ(0U, ring_head(&self->r));
	/* One slot held the lot: 15 more sends fit. */
	ring_set_head(&self->r, 1);
	for (i = 0; i < 15; i++)
		ASSERT_EQ(0, quick_send(self, i * 100, 100, 0xf10 + i))
			TH_LOG("send %u", i);
	EXPECT_EQ(16U, ring_wait_tail(&self->r, 16, 5000));
	EXPECT_SLOTS(1, 15, 16);
	EXPECT_QUICK_RECEIVED();
}

TEST_HARNESS_MAIN
