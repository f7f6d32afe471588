// SPDX-License-Identifier: GPL-2.0
/*
 * ZCDEV_SEND_COALESCE (ABI 3): a send that continues the file's latest
 * send exactly (same socket, same buffer, offset where its accepted bytes
 * ended) while the stack still holds that send's pages shares its
 * completion, which then covers the ids id .. last_id:
 *
 *  - contiguous held sends share one completion (bytes summed, user_data
 *    of the last); without the flag each send completes alone;
 *  - a gap, another buffer, another socket, a completed predecessor or
 *    another send of the file in between start a completion of their own;
 *  - SEND_REAP with the ABI 2 entry size delivers single completions and
 *    refuses (EINVAL, takes nothing) while a range is the oldest;
 *  - a range stays within the socket's SO_SNDBUF bytes as it is when a
 *    send would join;
 *  - the file is what is shared: a forked child's continuation joins;
 *  - coalesced sends do not count against send_queue_depth;
 *  - UDP: every id is covered exactly once, bytes add up, data intact.
 *
 * Holding pages: the receiver's window is closed before any zcdev send (a
 * small SO_RCVBUF, nothing read, and a plain-write prefill far larger than
 * the window), so the zcdev sends queue behind the prefill in the sender's
 * write queue and cannot leave it, let alone complete, until the test
 * reads. Every such test first checks that nothing completes in 200 ms,
 * then reads (checking every byte) and only then reaps.
 */
#include "send_common.h"

#define SEED		97	/* buffer a */
#define SEED_B		98	/* buffer b: a different pattern */
#define SEED_PREFILL	99
#define BUF_LEN		(1 << 20)
#define BUF_B_LEN	(64 << 10)
#define PREFILL		(64 << 10)	/* far more than the window */
#define RCVBUF		4096		/* the receiver's window */
#define SNDBUF		(1 << 20)	/* room at the sender for the sends */
#define MS		NSEC_PER_MSEC
#define VER0		ZCDEV_SEND_COMPLETION_SIZE_VER0
#define VER1		ZCDEV_SEND_COMPLETION_SIZE_VER1

/* A loopback pair and the bytes its receiver must get. */
struct pair {
	int tx, rx;
	int sndbuf;		/* SO_SNDBUF as getsockopt reports it */
	struct zs_stream s;
};

/* One accepted send. */
struct sent {
	__u64 id;
	__u64 bytes;
	__u64 user_data;
	unsigned int seen;	/* completions that covered its id */
};

/* A completion expected to cover sent[first] .. sent[last]. */
struct range {
	unsigned int first, last;
};

FIXTURE(coal) {
	int fd;
	struct zcdev_info info;
	struct zcdev_alloc a, b;
	unsigned char *pa, *pb;
	struct pair p[2];
	struct sent *sent;
	unsigned int nr_sent, sent_cap;
	struct zcdev_send_completion *c;
	unsigned int nr_c, c_cap;
	unsigned int unknown_ids;	/* covered ids never handed out */
	char why[512];			/* what a check found wrong */
};

FIXTURE_VARIANT(coal) {
	int family;
};

FIXTURE_VARIANT_ADD(coal, ipv4) {
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(coal, ipv6) {
	.family = AF_INET6,
};

FIXTURE_SETUP(coal)
{
	self->fd = -1;
	self->p[0].tx = self->p[0].rx = self->p[1].tx = self->p[1].rx = -1;
	ZS_SETUP_OPEN(&self->fd, &self->info);
	if (!(self->info.features & ZCDEV_FEAT_SEND_COALESCE))
		ZT_SETUP_SKIP("module lacks ZCDEV_FEAT_SEND_COALESCE (abi %u)",
			      self->info.abi_version);
	self->pa = zs_new_buf(self->fd, ZCDEV_BUF_PAGES, BUF_LEN, SEED,
			      &self->a);
	ASSERT_NE(NULL, self->pa);
	self->pb = zs_new_buf(self->fd, ZCDEV_BUF_PAGES, BUF_B_LEN, SEED_B,
			      &self->b);
	ASSERT_NE(NULL, self->pb);
}

FIXTURE_TEARDOWN(coal)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (self->p[i].tx >= 0)
			close(self->p[i].tx);
		if (self->p[i].rx >= 0)
			close(self->p[i].rx);
		free(self->p[i].s.want);
	}
	if (self->pa)
		munmap(self->pa, self->a.buf_len);
	if (self->pb)
		munmap(self->pb, self->b.buf_len);
	free(self->sent);
	free(self->c);
	if (self->fd >= 0)
		close(self->fd);
}


static int sndbuf_of(int sock)
{
	socklen_t len = sizeof(int);
	int val = -1;

	getsockopt(sock, SOL_SOCKET, SO_SNDBUF, &val, &len);
	return val;
}


/*
 * Pair @i: TCP whose receiver's window is closed by a prefill the
 * receiver has not read (@held), TCP that flows (!@held, default
 * buffers), or connected UDP (@udp). 0 or -errno.
 */
static int open_pair(FIXTURE_DATA(coal) *self, int family, unsigned int i,
		     bool held, bool udp, int sndbuf)
{
	struct pair *p = &self->p[i];
	int ret;

	if (udp)
		ret = zs_udp_pair(family, &p->tx, &p->rx);
	else
		ret = zs_tcp_pair(family, &p->tx, &p->rx, held ? RCVBUF : 0,
				  0);
	if (ret)
		return ret;
	/* Tiny segments go out without waiting for ACKs when drained. */
	if (!udp)
		zs_setint(p->tx, IPPROTO_TCP, TCP_NODELAY, 1);
	/* Root may pass wmem_max (zs_tcp_connect's SO_SNDBUF cannot). */
	if (sndbuf > 0)
		zs_set_sndbuf(p->tx, sndbuf);
	p->sndbuf = sndbuf_of(p->tx);
	return held ? zs_stream_prefill(p->tx, PREFILL, SEED_PREFILL, &p->s) : 0;
}

static int note_sent(FIXTURE_DATA(coal) *self, const struct zcdev_send *s)
{
	if (self->nr_sent == self->sent_cap) {
		unsigned int cap = self->sent_cap ? 2 * self->sent_cap : 64;
		struct sent *n = realloc(self->sent, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		self->sent = n;
		self->sent_cap = cap;
	}
	self->sent[self->nr_sent++] = (struct sent){
		.id = s->id, .bytes = s->bytes, .user_data = s->user_data,
	};
	return 0;
}

/*
 * A non-blocking send of [@off, @off + @len) of buffer @b (0: a, 1: b)
 * on pair @i's socket (or @sock if >= 0), recorded with the bytes its
 * receiver must get. 0 or -errno; @out (may be NULL) gets the answer.
 */
static int send_on(FIXTURE_DATA(coal) *self, unsigned int i, int sock,
		   unsigned int b, __u64 off, __u64 len, __u32 flags,
		   __u64 user_data, struct zcdev_send *out)
{
	const struct zcdev_alloc *a = b ? &self->b : &self->a;
	const unsigned char *map = b ? self->pb : self->pa;
	struct zcdev_send s;
	int ret;

	ret = zs_send(self->fd, sock >= 0 ? sock : self->p[i].tx, a->handle,
		      off, len, flags | ZCDEV_SEND_DONTWAIT, user_data, &s);
	if (out)
		*out = s;
	if (ret)
		return ret;
	if (s.bytes > len)
		return -EPROTO;
	ret = zs_stream_add(&self->p[i].s, map + off, s.bytes);
	return ret ? ret : note_sent(self, &s);
}

/* Index in sent[] of @id, or -1. */
static int sent_index(FIXTURE_DATA(coal) *self, __u64 id)
{
	unsigned int i;

	for (i = 0; i < self->nr_sent; i++)
		if (self->sent[i].id == id)
			return i;
	return -1;
}

static int note_completion(FIXTURE_DATA(coal) *self,
			   const struct zcdev_send_completion *c)
{
	__u64 id;

	if (self->nr_c == self->c_cap) {
		unsigned int cap = self->c_cap ? 2 * self->c_cap : 64;
		struct zcdev_send_completion *n;

		n = realloc(self->c, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		self->c = n;
		self->c_cap = cap;
	}
	self->c[self->nr_c++] = *c;
	for (id = c->id; id <= c->last_id && id - c->id < 1000000; id++) {
		int k = sent_index(self, id);

		if (k < 0)
			self->unknown_ids++;
		else
			self->sent[k].seen++;
	}
	return 0;
}

static bool all_seen(FIXTURE_DATA(coal) *self)
{
	unsigned int i;

	for (i = 0; i < self->nr_sent; i++)
		if (!self->sent[i].seen)
			return false;
	return true;
}

/* SEND_REAP with @entry_size; @out (may be NULL) gets nr and pending. */
static int reap_sized(int fd, void *entries, __u32 max, __u32 entry_size,
		      __u64 deadline_ns, struct zcdev_reap *out)
{
	struct zcdev_reap r = {
		.size = sizeof(r),
		.entries_ptr = (__u64)(uintptr_t)entries,
		.max_entries = max,
		.deadline_ns = deadline_ns,
		.entry_size = entry_size,
	};
	int ret = zt_ioctl(fd, ZCDEV_IOC_SEND_REAP, &r);

	if (out)
		*out = r;
	return ret;
}

/*
 * Nothing completes within 200 ms: the sends are held (else a test about
 * ranges proves nothing). A completion that did come is kept.
 */
static bool still_held(FIXTURE_DATA(coal) *self, __u64 *pending)
{
	struct zcdev_send_completion c[16];
	struct zcdev_reap r;
	unsigned int i;

	if (zs_reap(self->fd, c, 16, zt_deadline_in(200 * MS), &r))
		return false;
	for (i = 0; i < r.nr; i++)
		note_completion(self, &c[i]);
	if (pending)
		*pending = r.pending;
	return !r.nr && r.pending;
}

/* Read what pair @i's receiver must get and compare; false + why if not. */
static bool drain(FIXTURE_DATA(coal) *self, unsigned int i)
{
	char who[16];

	snprintf(who, sizeof(who), "pair %u", i);
	return zs_stream_drain(self->p[i].rx, &self->p[i].s, who, self->why,
			       sizeof(self->why));
}

/* UDP: each accepted send is one datagram of the bytes it accepted. */
static bool drain_datagrams(FIXTURE_DATA(coal) *self, unsigned int i)
{
	struct pair *p = &self->p[i];
	size_t at = 0, k;
	unsigned char got[65536];
	unsigned int d;
	ssize_t n;

	for (d = 0; d < self->nr_sent; d++) {
		n = recv(p->rx, got, sizeof(got), 0);
		if (n < 0 || (__u64)n != self->sent[d].bytes) {
			snprintf(self->why, sizeof(self->why),
				 "datagram %u: %zd bytes (%s), not %llu", d, n,
				 n < 0 ? strerror(errno) : "",
				 (unsigned long long)self->sent[d].bytes);
			return false;
		}
		for (k = 0; k < (size_t)n; k++)
			if (got[k] != p->s.want[at + k])
				break;
		if (k < (size_t)n) {
			snprintf(self->why, sizeof(self->why),
				 "datagram %u: byte %zu differs", d, k);
			return false;
		}
		at += n;
	}
	if (recv(p->rx, got, 1, MSG_DONTWAIT) >= 0) {
		snprintf(self->why, sizeof(self->why), "an extra datagram");
		return false;
	}
	return true;
}

/*
 * Reap (entry size VER1) until every send is covered and nothing is in
 * flight, or @ms pass; false + why on an error or timeout.
 */
static bool collect(FIXTURE_DATA(coal) *self, int ms)
{
	struct zcdev_send_completion c[64];
	__u64 start = zt_now_ns();
	struct zcdev_reap r;
	unsigned int i;
	int ret;

	for (;;) {
		ret = zs_reap(self->fd, c, 64, zt_deadline_in(100 * MS), &r);
		if (ret) {
			snprintf(self->why, sizeof(self->why), "reap: %s",
				 strerror(-ret));
			return false;
		}
		for (i = 0; i < r.nr; i++)
			note_completion(self, &c[i]);
		if (!r.nr && !r.pending && all_seen(self))
			return true;
		if (zs_ms_since(start) > ms) {
			snprintf(self->why, sizeof(self->why),
				 "timed out: %llu pending, %u completions",
				 (unsigned long long)r.pending, self->nr_c);
			return false;
		}
	}
}

static int by_id(const void *x, const void *y)
{
	const struct zcdev_send_completion *a = x, *b = y;

	return a->id < b->id ? -1 : a->id > b->id;
}

/*
 * Every completion well formed and every send covered exactly once: ids
 * id .. last_id all handed out, bytes their sum, user_data the last one's,
 * no reserved or unknown bits. Sorts the completions by id.
 */
static bool cover_exact(FIXTURE_DATA(coal) *self)
{
	unsigned int i, k;

	qsort(self->c, self->nr_c, sizeof(*self->c), by_id);
	if (self->unknown_ids) {
		snprintf(self->why, sizeof(self->why),
			 "%u covered ids were never handed out",
			 self->unknown_ids);
		return false;
	}
	for (i = 0; i < self->nr_sent; i++)
		if (self->sent[i].seen != 1) {
			snprintf(self->why, sizeof(self->why),
				 "send %u (id %llu) covered %u times", i,
				 (unsigned long long)self->sent[i].id,
				 self->sent[i].seen);
			return false;
		}
	for (k = 0; k < self->nr_c; k++) {
		const struct zcdev_send_completion *c = &self->c[k];
		int first = sent_index(self, c->id);
		int last = sent_index(self, c->last_id);
		__u64 bytes = 0;
		int j;

		if (first < 0 || last < first) {
			snprintf(self->why, sizeof(self->why),
				 "completion %u: ids %llu..%llu", k,
				 (unsigned long long)c->id,
				 (unsigned long long)c->last_id);
			return false;
		}
		for (j = first; j <= last; j++)
			bytes += self->sent[j].bytes;
		if (c->bytes != bytes ||
		    c->user_data != self->sent[last].user_data ||
		    c->reserved || (c->flags & ~ZCDEV_COMPL_COPIED)) {
			snprintf(self->why, sizeof(self->why),
				 "completion %u (ids %llu..%llu): bytes %llu "
				 "(sum %llu), user_data %#llx (last's %#llx), "
				 "flags %#x, reserved %#x", k,
				 (unsigned long long)c->id,
				 (unsigned long long)c->last_id,
				 (unsigned long long)c->bytes,
				 (unsigned long long)bytes,
				 (unsigned long long)c->user_data,
				 (unsigned long long)self->sent[last].user_data,
				 c->flags, c->reserved);
			return false;
		}
	}
	return true;
}

/* The completions (sorted by id) are exactly @want; false + why if not. */
static bool ranges_are(FIXTURE_DATA(coal) *self, const struct range *want,
		       unsigned int n)
{
	char *w = self->why;
	size_t room = sizeof(self->why);
	unsigned int k;
	int len;

	if (!cover_exact(self))
		return false;
	for (k = 0; k < n && k < self->nr_c; k++)
		if (self->c[k].id != self->sent[want[k].first].id ||
		    self->c[k].last_id != self->sent[want[k].last].id)
			break;
	if (k == n && n == self->nr_c)
		return true;
	len = snprintf(w, room, "ranges (send indexes) want");
	for (k = 0; k < n && len > 0 && (size_t)len < room; k++)
		len += snprintf(w + len, room - len, " %u..%u", want[k].first,
				want[k].last);
	if (len > 0 && (size_t)len < room)
		len += snprintf(w + len, room - len, ", got");
	for (k = 0; k < self->nr_c && len > 0 && (size_t)len < room; k++)
		len += snprintf(w + len, room - len, " %d..%d",
				sent_index(self, self->c[k].id),
				sent_index(self, self->c[k].last_id));
	return false;
}

/* Open pair @i held, or SKIP without loopback of the variant's family. */
#define OPEN_PAIR(i, held, udp, sndbuf) do { \
	int __ret = open_pair(self, variant->family, (i), (held), (udp), \
			      (sndbuf)); \
	if (__ret == -EAFNOSUPPORT || __ret == -EADDRNOTAVAIL) \
		SKIP(return, "no %s loopback: %s", \
		     variant->family == AF_INET ? "IPv4" : "IPv6", \
		     strerror(-__ret)); \
	ASSERT_EQ(0, __ret) TH_LOG("pair %d: %s", (i), strerror(-__ret)); \
} while (0)

/* Nothing completes before the receiver reads (still_held()). */
#define ASSERT_HELD() do { \
	__u64 __pending = 0; \
	ASSERT_TRUE(still_held(self, &__pending)) \
		TH_LOG("a completion came before the receiver read (%u, " \
		       "%llu pending): the sends are not held", self->nr_c, \
		       (unsigned long long)__pending); \
} while (0)

#define EXPECT_DRAINED(i) do { \
	EXPECT_TRUE(drain(self, (i))) TH_LOG("%s", self->why); \
} while (0)

#define ASSERT_COLLECTED() do { \
	ASSERT_TRUE(collect(self, 20000)) TH_LOG("%s", self->why); \
} while (0)

/* The completions are exactly these ranges of sent[] indexes. */
#define EXPECT_RANGES(...) do { \
	static const struct range __want[] = { __VA_ARGS__ }; \
	EXPECT_TRUE(ranges_are(self, __want, ARRAY_SIZE(__want))) \
		TH_LOG("%s", self->why); \
} while (0)

/* ---- what joins ---- */

TEST_F(coal, contiguous_held_sends_share_one_completion)
{
	struct zcdev_send s;
	unsigned int i;

	OPEN_PAIR(0, true, false, SNDBUF);
	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, send_on(self, 0, -1, 0, i * 4096, 4096,
				     ZCDEV_SEND_COALESCE, 0x1000 + i, &s))
			TH_LOG("send %u", i);
		ASSERT_EQ(4096ULL, s.bytes);
		if (i)
			EXPECT_EQ(self->sent[i - 1].id + 1, s.id);
	}
	ASSERT_HELD();
	EXPECT_DRAINED(0);
	ASSERT_COLLECTED();
	EXPECT_RANGES({ 0, 15 });
	ASSERT_EQ(1U, self->nr_c);
	EXPECT_EQ(self->sent[0].id, self->c[0].id);
	EXPECT_EQ(self->sent[15].id, self->c[0].last_id);
	EXPECT_EQ(16ULL * 4096, self->c[0].bytes);
	EXPECT_EQ(0x100fULL, self->c[0].user_data);
	/* Loopback copies at receive. */
	EXPECT_EQ(ZCDEV_COMPL_COPIED, self->c[0].flags);
}

TEST_F(coal, without_the_flag_each_send_completes_alone)
{
	struct zcdev_send s;
	unsigned int i;

	OPEN_PAIR(0, true, false, SNDBUF);
	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, send_on(self, 0, -1, 0, i * 4096, 4096, 0,
				     0x2000 + i, &s))
			TH_LOG("send %u", i);
		ASSERT_EQ(4096ULL, s.bytes);
	}
	ASSERT_HELD();
	EXPECT_DRAINED(0);
	ASSERT_COLLECTED();
	EXPECT_RANGES({ 0, 0 }, { 1, 1 }, { 2, 2 }, { 3, 3 }, { 4, 4 },
		      { 5, 5 }, { 6, 6 }, { 7, 7 }, { 8, 8 }, { 9, 9 },
		      { 10, 10 }, { 11, 11 }, { 12, 12 }, { 13, 13 },
		      { 14, 14 }, { 15, 15 });
	for (i = 0; i < self->nr_c; i++) {
		EXPECT_EQ(self->c[i].id, self->c[i].last_id);
		EXPECT_EQ(4096ULL, self->c[i].bytes);
		EXPECT_EQ(0x2000ULL + i, self->c[i].user_data);
	}
}

/*
 * A gap, the other buffer (even at the offset where the previous send
 * ended), and going back to the previous send's start: each starts anew.
 */
TEST_F(coal, gap_or_another_buffer_starts_a_new_completion)
{
	static const struct { unsigned int b; __u64 off; } sends[] = {
		{ 0, 0 }, { 0, 4096 },		/* joined */
		{ 0, 12288 }, { 0, 16384 },	/* a gap, then joined */
		{ 1, 20480 }, { 1, 24576 },	/* buffer b, then joined */
		{ 0, 28672 },			/* back to a at b's end */
		{ 0, 28672 },			/* the same bytes again */
	};
	unsigned int i;

	OPEN_PAIR(0, true, false, SNDBUF);
	for (i = 0; i < ARRAY_SIZE(sends); i++)
		ASSERT_EQ(0, send_on(self, 0, -1, sends[i].b, sends[i].off,
				     4096, ZCDEV_SEND_COALESCE, i, NULL))
			TH_LOG("send %u", i);
	ASSERT_HELD();
	EXPECT_DRAINED(0);
	ASSERT_COLLECTED();
	EXPECT_RANGES({ 0, 1 }, { 2, 3 }, { 4, 5 }, { 6, 6 }, { 7, 7 });
}

/*
 * A1 A2 B1 B2 A3, each continuing the previous one's bytes of the same
 * buffer: B1 and A3 change socket, and A3 no longer follows the file's
 * latest send on A.
 */
TEST_F(coal, another_socket_starts_a_new_completion)
{
	static const unsigned int on[] = { 0, 0, 1, 1, 0 };
	unsigned int i;

	OPEN_PAIR(0, true, false, SNDBUF);
	OPEN_PAIR(1, true, false, SNDBUF);
	for (i = 0; i < ARRAY_SIZE(on); i++)
		ASSERT_EQ(0, send_on(self, on[i], -1, 0, i * 4096, 4096,
				     ZCDEV_SEND_COALESCE, i, NULL))
			TH_LOG("send %u", i);
	ASSERT_HELD();
	EXPECT_DRAINED(0);
	EXPECT_DRAINED(1);
	ASSERT_COLLECTED();
	EXPECT_RANGES({ 0, 1 }, { 2, 3 }, { 4, 4 });
}

/* "The same socket" is the socket, not the descriptor. */
TEST_F(coal, a_dup_of_the_socket_is_the_same_socket)
{
	int dup_fd;

	OPEN_PAIR(0, true, false, SNDBUF);
	dup_fd = dup(self->p[0].tx);
	ASSERT_LE(0, dup_fd);
	ASSERT_EQ(0, send_on(self, 0, -1, 0, 0, 4096, ZCDEV_SEND_COALESCE, 1,
			     NULL));
	ASSERT_EQ(0, send_on(self, 0, dup_fd, 0, 4096, 4096,
			     ZCDEV_SEND_COALESCE, 2, NULL));
	close(dup_fd);
	ASSERT_HELD();
	EXPECT_DRAINED(0);
	ASSERT_COLLECTED();
	EXPECT_RANGES({ 0, 1 });
}

/*
 * The stack let go of the previous send's pages (its completion waits,
 * or was reaped): a continuation starts its own completion.
 */
TEST_F(coal, completed_predecessor_is_not_joined)
{
	struct pollfd pfd = { .events = POLLIN };
	struct zcdev_send_completion c[4];
	struct zcdev_reap r;
	unsigned int i;

	OPEN_PAIR(0, false, false, 0);
	pfd.fd = self->fd;
	ASSERT_EQ(0, send_on(self, 0, -1, 0, 0, 4096, ZCDEV_SEND_COALESCE, 1,
			     NULL));
	/* Completed, not reaped. */
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	ASSERT_EQ(0, send_on(self, 0, -1, 0, 4096, 4096, ZCDEV_SEND_COALESCE,
			     2, NULL));
	/* Completed and reaped. */
	for (i = 0; i < 2 * 100 && self->nr_c < 2; i++) {
		ASSERT_EQ(0, zs_reap(self->fd, c, 4, zt_deadline_in(50 * MS),
				     &r));
		while (r.nr)
			note_completion(self, &c[--r.nr]);
	}
	ASSERT_EQ(2U, self->nr_c) TH_LOG("the first two did not complete");
	ASSERT_EQ(0, send_on(self, 0, -1, 0, 8192, 4096, ZCDEV_SEND_COALESCE,
			     3, NULL));
	EXPECT_DRAINED(0);
	ASSERT_COLLECTED();
	EXPECT_RANGES({ 0, 0 }, { 1, 1 }, { 2, 2 });
}

/* ---- reaping ranges with the ABI 2 entry size ---- */

/* Entry @k of a VER0 array; such an entry is always one send's. */
static struct zcdev_send_completion ver0_entry(const unsigned char *raw,
					       unsigned int k)
{
	struct zcdev_send_completion c = {};

	memcpy(&c, raw + k * VER0, VER0);
	c.last_id = c.id;
	return c;
}

/*
 * Completions: S1, S2 (single), R = R1 + R2 (a range), S3 (single). With
 * the VER0 size the singles before R are delivered, then EINVAL while R
 * is the oldest, taking nothing; VER1 gets R, VER0 then gets S3.
 */
TEST_F(coal, short_entry_size_delivers_singles_then_refuses_a_range)
{
	unsigned char raw[8 * VER0 + 64];
	struct zcdev_send_completion c;
	struct zcdev_reap r;
	unsigned int k, singles = 0, tries;
	int ret;

	OPEN_PAIR(0, true, false, SNDBUF);
	ASSERT_EQ(0, send_on(self, 0, -1, 0, 0, 4096, 0, 0x51, NULL));
	ASSERT_EQ(0, send_on(self, 0, -1, 0, 100 << 10, 4096, 0, 0x52, NULL));
	ASSERT_EQ(0, send_on(self, 0, -1, 0, 200 << 10, 4096,
			     ZCDEV_SEND_COALESCE, 0x53, NULL));
	ASSERT_EQ(0, send_on(self, 0, -1, 0, 204 << 10, 4096,
			     ZCDEV_SEND_COALESCE, 0x54, NULL));
	ASSERT_EQ(0, send_on(self, 0, -1, 0, 300 << 10, 4096, 0, 0x55, NULL));
	ASSERT_HELD();
	EXPECT_DRAINED(0);

	/* The singles, however the completions arrive, then EINVAL. */
	for (tries = 0, ret = 0; tries < 100 && !ret; tries++) {
		memset(raw, 0xa5, sizeof(raw));
		ret = reap_sized(self->fd, raw, 8, VER0,
				 zt_deadline_in(200 * MS), &r);
		if (ret)
			break;
		for (k = 0; k < r.nr; k++) {
			c = ver0_entry(raw, k);
			note_completion(self, &c);
		}
		singles += r.nr;
		/* Nothing past the entries written. */
		for (k = r.nr * VER0; k < sizeof(raw); k++)
			if (raw[k] != 0xa5)
				break;
		EXPECT_EQ(sizeof(raw), k) TH_LOG("byte %u written", k);
	}
	EXPECT_EQ(-EINVAL, ret);
	EXPECT_EQ(2U, singles);
	ASSERT_EQ(2U, self->nr_c);
	EXPECT_EQ(self->sent[0].id, self->c[0].id);
	EXPECT_EQ(4096ULL, self->c[0].bytes);
	EXPECT_EQ(0x51ULL, self->c[0].user_data);
	EXPECT_EQ(self->sent[1].id, self->c[1].id);
	EXPECT_EQ(0x52ULL, self->c[1].user_data);

	/* Refused again: it took nothing. */
	EXPECT_EQ(-EINVAL, reap_sized(self->fd, raw, 8, VER0, 0, NULL));
	/* The range, with the size that carries last_id. */
	ASSERT_EQ(0, reap_sized(self->fd, &c, 1, VER1, 0, &r));
	ASSERT_EQ(1U, r.nr);
	note_completion(self, &c);
	EXPECT_EQ(self->sent[2].id, c.id);
	EXPECT_EQ(self->sent[3].id, c.last_id);
	EXPECT_EQ(8192ULL, c.bytes);
	EXPECT_EQ(0x54ULL, c.user_data);
	/* Past the range the small size works again. */
	memset(raw, 0xa5, sizeof(raw));
	ASSERT_EQ(0, reap_sized(self->fd, raw, 8, VER0,
				zt_deadline_in(5000 * MS), &r));
	ASSERT_EQ(1U, r.nr);
	c = ver0_entry(raw, 0);
	note_completion(self, &c);
	EXPECT_EQ(self->sent[4].id, c.id);
	EXPECT_EQ(0x55ULL, c.user_data);
	ASSERT_COLLECTED();
	EXPECT_RANGES({ 0, 0 }, { 1, 1 }, { 2, 3 }, { 4, 4 });
}

/* ---- limits ---- */

/*
 * Small COALESCE sends while held until the socket takes no more (TCP
 * charges a page per send, so the cap is not what stops them): no
 * completion covers more than SO_SNDBUF bytes.
 */
TEST_F(coal, range_bytes_stay_within_sndbuf)
{
	unsigned int n = 0, i, k;
	__u64 off = 0, max = 0;
	struct zcdev_send s;
	int ret = 0;

	OPEN_PAIR(0, true, false, 256 << 10);
	for (i = 0; i < 768; i++) {
		ret = send_on(self, 0, -1, 0, off, 1024, ZCDEV_SEND_COALESCE,
			      i, &s);
		if (ret == -EAGAIN)
			break;
		ASSERT_EQ(0, ret) TH_LOG("send %u: %s", i, strerror(-ret));
		off += s.bytes;
		n++;
	}
	ASSERT_LE(8U, n) TH_LOG("only %u sends: the test proves little", n);
	ASSERT_HELD();
	EXPECT_DRAINED(0);
	ASSERT_COLLECTED();
	EXPECT_TRUE(cover_exact(self)) TH_LOG("%s", self->why);
	for (k = 0; k < self->nr_c; k++) {
		if (self->c[k].bytes > max)
			max = self->c[k].bytes;
		EXPECT_GE((__u64)self->p[0].sndbuf, self->c[k].bytes)
			TH_LOG("completion %u: %llu bytes, SO_SNDBUF %d", k,
			       (unsigned long long)self->c[k].bytes,
			       self->p[0].sndbuf);
	}
	TH_LOG("%u sends of 1 KiB until %s (SO_SNDBUF %d): %u completions, "
	       "largest %llu bytes", n, ret ? "EAGAIN" : "the 768th",
	       self->p[0].sndbuf, self->nr_c, (unsigned long long)max);
}

/*
 * The cap is the socket's SO_SNDBUF when a send would join: lowered below
 * the held range's bytes, a continuation does not join (TCP then has no
 * room for the skb a send of its own needs: EAGAIN, or it goes alone).
 * The range's tail skb has room, so a wrong join would be accepted.
 * Raised again, a continuation joins again.
 */
TEST_F(coal, lowered_sndbuf_stops_joining)
{
	unsigned int i, late = 0;
	__u64 off = 0;
	struct zcdev_send s;
	int low, ret;

	OPEN_PAIR(0, true, false, SNDBUF);
	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, send_on(self, 0, -1, 0, off, 4096,
				     ZCDEV_SEND_COALESCE, i, &s));
		off += s.bytes;
	}
	/* Leaves the tail skb part full. */
	ASSERT_EQ(0, send_on(self, 0, -1, 0, off, 100, ZCDEV_SEND_COALESCE,
			     16, &s));
	off += s.bytes;

	zs_set_sndbuf(self->p[0].tx, 8 << 10);
	low = sndbuf_of(self->p[0].tx);
	ASSERT_GT(off + 100, (__u64)low);
	ret = send_on(self, 0, -1, 0, off, 100, ZCDEV_SEND_COALESCE, 17, &s);
	EXPECT_TRUE(ret == 0 || ret == -EAGAIN) TH_LOG("late send: %s",
						       strerror(-ret));
	if (!ret) {
		off += s.bytes;
		late = 1;
	}
	zs_set_sndbuf(self->p[0].tx, SNDBUF);
	ASSERT_LE(off + 100, (__u64)sndbuf_of(self->p[0].tx));
	ASSERT_EQ(0, send_on(self, 0, -1, 0, off, 100, ZCDEV_SEND_COALESCE,
			     18, &s));
	ASSERT_HELD();
	EXPECT_DRAINED(0);
	ASSERT_COLLECTED();
	TH_LOG("SO_SNDBUF %d, range %llu bytes, late send %s", low,
	       (unsigned long long)self->c[0].bytes,
	       late ? "accepted" : "EAGAIN");
	if (late)
		EXPECT_RANGES({ 0, 16 }, { 17, 18 });
	else
		EXPECT_RANGES({ 0, 17 });
}

/* ---- sharing ---- */

/* The file is what sends belong to: a forked child's continuation joins. */
TEST_F(coal, forked_child_continues_the_parents_send)
{
	struct zcdev_send child;
	int up[2];
	pid_t pid;

	OPEN_PAIR(0, true, false, SNDBUF);
	ASSERT_EQ(0, send_on(self, 0, -1, 0, 0, 4096, ZCDEV_SEND_COALESCE,
			     0x9a, NULL));
	ASSERT_EQ(0, pipe2(up, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct zcdev_send s;
		int ret = zs_send(self->fd, self->p[0].tx, self->a.handle,
				  4096, 4096, ZCDEV_SEND_COALESCE |
				  ZCDEV_SEND_DONTWAIT, 0xc41d, &s);

		if (write(up[1], &s, sizeof(s)) != sizeof(s))
			_exit(2);
		_exit(ret ? 1 : 0);
	}
	close(up[1]);
	ASSERT_EQ((ssize_t)sizeof(child), read(up[0], &child, sizeof(child)));
	close(up[0]);
	ASSERT_EQ(0, zt_wait(pid));
	ASSERT_EQ(4096ULL, child.bytes);
	ASSERT_EQ(0, zs_stream_add(&self->p[0].s, self->pa + 4096, child.bytes));
	ASSERT_EQ(0, note_sent(self, &child));
	EXPECT_EQ(self->sent[0].id + 1, child.id);
	ASSERT_HELD();
	EXPECT_DRAINED(0);
	ASSERT_COLLECTED();
	EXPECT_RANGES({ 0, 1 });
	EXPECT_EQ(0xc41dULL, self->c[0].user_data);
	EXPECT_EQ(8192ULL, self->c[0].bytes);
}

/*
 * More COALESCE sends than send_queue_depth all go while held: they share
 * a completion. Then sends without the flag fill the depth (EBUSY), and a
 * COALESCE continuation still goes.
 */
TEST_F_TIMEOUT(coal, coalesced_sends_do_not_count_against_queue_depth, 120)
{
	long long depth = zs_module_param("send_queue_depth");
	unsigned int n1, n2 = 0, i;
	__u64 off = 0, pending = 0;
	struct zcdev_send s;
	int ret;

	if (depth < 1 || depth > 4096)
		SKIP(return, "send_queue_depth %lld: unknown or over 4096",
		     depth);
	/* The depth's worth of separate skbs must fit at the sender. */
	OPEN_PAIR(0, true, false, 64 << 20);
	if (self->p[0].sndbuf < (32 << 20))
		SKIP(return, "SO_SNDBUFFORCE needs CAP_NET_ADMIN");
	n1 = depth + 16;
	for (i = 0; i < n1; i++) {
		ASSERT_EQ(0, send_on(self, 0, -1, 0, off, 16,
				     ZCDEV_SEND_COALESCE, i, &s))
			TH_LOG("coalesced send %u of %u (depth %lld)", i + 1,
			       n1, depth);
		off += s.bytes;
	}
	ASSERT_TRUE(still_held(self, &pending))
		TH_LOG("a completion came before the receiver read");
	TH_LOG("%u coalesced sends held, pending %llu", n1,
	       (unsigned long long)pending);
	for (;;) {
		ret = send_on(self, 0, -1, 0, off, 16, 0, 0x10000 + n2, &s);
		if (ret)
			break;
		off += s.bytes;
		n2++;
		ASSERT_GE(depth, n2) TH_LOG("no EBUSY at the depth");
	}
	EXPECT_EQ(-EBUSY, ret);
	/* The one range plus the sends without the flag fill the depth. */
	EXPECT_EQ(depth - 1, n2);
	/* Joining takes no place in the queue. */
	ASSERT_EQ(0, send_on(self, 0, -1, 0, off, 16, ZCDEV_SEND_COALESCE,
			     0x20000, &s));
	off += s.bytes;
	EXPECT_EQ(-EBUSY, send_on(self, 0, -1, 0, off, 16, 0, 0x20001, NULL));
	EXPECT_DRAINED(0);
	ASSERT_COLLECTED();
	EXPECT_TRUE(cover_exact(self)) TH_LOG("%s", self->why);
	/* The range, n2 - 1 singles, the last single with the late join. */
	EXPECT_EQ((unsigned int)depth, self->nr_c);
	if (self->nr_c) {
		EXPECT_EQ(self->sent[0].id, self->c[0].id);
		EXPECT_EQ(self->sent[n1 - 1].id, self->c[0].last_id);
		EXPECT_EQ(self->sent[self->nr_sent - 1].id,
			  self->c[self->nr_c - 1].last_id);
		EXPECT_EQ(self->sent[self->nr_sent - 2].id,
			  self->c[self->nr_c - 1].id);
	}
}

/* ---- UDP ---- */

TEST_F(coal, udp_every_id_covered_once)
{
	struct zcdev_send s;
	unsigned int i;

	OPEN_PAIR(0, false, true, 0);
	for (i = 0; i < 32; i++) {
		ASSERT_EQ(0, send_on(self, 0, -1, 0, i * 1024, 1024,
				     ZCDEV_SEND_COALESCE, 0x700 + i, &s))
			TH_LOG("send %u", i);
		ASSERT_EQ(1024ULL, s.bytes);
	}
	EXPECT_TRUE(drain_datagrams(self, 0)) TH_LOG("%s", self->why);
	ASSERT_COLLECTED();
	EXPECT_TRUE(cover_exact(self)) TH_LOG("%s", self->why);
	TH_LOG("32 datagrams, %u completions", self->nr_c);
}

TEST_HARNESS_MAIN
