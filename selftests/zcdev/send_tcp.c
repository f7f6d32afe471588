// SPDX-License-Identifier: GPL-2.0
/*
 * ZCDEV_IOC_SEND over TCP loopback (IPv4 and IPv6): the receiver gets
 * exactly the buffer bytes that were sent, whatever the size and offset,
 * and every accepted send gets exactly one completion that echoes its
 * bytes and user_data. Loopback delivery copies (skb_orphan_frags_rx),
 * so every completion here says ZCDEV_COMPL_COPIED.
 *
 * The receiver is a thread checking the pattern zt_pat(position in the
 * buffer) byte by byte, so a wrong page, offset or order shows.
 */
#include "send_common.h"

#define SEED	61

FIXTURE(tcp) {
	int fd;
	struct zcdev_info info;
	int tx, rx;		/* sender, accepted receiver */
	struct zs_rx r;
	struct zs_track t;
	unsigned char *p;
	size_t p_len;
};

FIXTURE_VARIANT(tcp) {
	int family;
};

FIXTURE_VARIANT_ADD(tcp, ipv4) {
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(tcp, ipv6) {
	.family = AF_INET6,
};

FIXTURE_SETUP(tcp)
{
	int ret;

	self->fd = self->tx = self->rx = -1;
	ZS_SETUP_OPEN(&self->fd, &self->info);
	ret = zs_tcp_pair(variant->family, &self->tx, &self->rx, 0, 0);
	if (ret == -EAFNOSUPPORT || ret == -EADDRNOTAVAIL)
		ZT_SETUP_SKIP("no %s loopback: %s",
			      variant->family == AF_INET ? "IPv4" : "IPv6",
			      strerror(-ret));
	ASSERT_EQ(0, ret) TH_LOG("TCP pair: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(tcp)
{
	/* Closing both ends unblocks a receiver thread a failed test left. */
	if (self->tx >= 0)
		close(self->tx);
	if (self->rx >= 0)
		shutdown(self->rx, SHUT_RDWR);
	zs_rx_join(&self->r);
	if (self->rx >= 0)
		close(self->rx);
	if (self->p)
		munmap(self->p, self->p_len);
	zs_track_free(&self->t);
	if (self->fd >= 0)
		close(self->fd);
}

/* A mapped PAGES buffer of at least @len bytes with the test's pattern. */
static __u32 new_buf(FIXTURE_DATA(tcp) *self, size_t len)
{
	struct zcdev_alloc a;

	self->p = zs_new_buf(self->fd, ZCDEV_BUF_PAGES, len, SEED, &a);
	if (!self->p)
		return 0;
	self->p_len = a.buf_len;
	return a.handle;
}

/*
 * Each (offset, length) pair is one blocking send; the stream carries them
 * one after the other.
 */
TEST_F_TIMEOUT(tcp, data_intact_for_sizes_and_unaligned_offsets, 120)
{
	static const struct zs_seg segs[] = {
		{ 0, 1 }, { 1, 1 }, { 4095, 1 }, { 4095, 2 }, { 1, 4095 },
		{ 0, 4096 }, { 4096, 4096 }, { 4095, 4097 }, { 2049, 8191 },
		{ 13, 65536 + 7 }, { 4097, 100000 }, { 3, 1 << 20 },
		{ 4096 * 3 + 1, (1 << 20) - 1 },
	};
	unsigned int i, n = ARRAY_SIZE(segs);
	__u32 h = new_buf(self, (1 << 20) + 4 * 4096);

	ASSERT_NE(0U, h);
	zs_rx_init(&self->r, self->rx, SEED, segs, n);
	ASSERT_EQ(0, zs_rx_start(&self->r));
	for (i = 0; i < n; i++) {
		struct zcdev_send s;

		ASSERT_EQ(0, zs_send_track(&self->t, self->fd, self->tx, h,
					   segs[i].off, segs[i].len, 0, i, &s))
			TH_LOG("send %u (%llu+%llu)", i,
			       (unsigned long long)segs[i].off,
			       (unsigned long long)segs[i].len);
		/* A blocking TCP send takes everything. */
		EXPECT_EQ(segs[i].len, s.bytes);
	}
	zs_rx_join(&self->r);
	EXPECT_TRUE(zs_rx_ok(&self->r)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&self->r));
	ZS_EXPECT_COMPLETIONS_EXACT(&self->t, self->fd, 64, 20000);
}

TEST_F_TIMEOUT(tcp, data_intact_for_16mib_in_one_send, 150)
{
	const __u64 len = 16 * ZS_MiB, off = 4096 + 123;
	struct zs_seg seg = { off, len };
	struct zcdev_send s;
	__u32 h = new_buf(self, len + 2 * 4096);

	ASSERT_NE(0U, h);
	zs_rx_init(&self->r, self->rx, SEED, &seg, 1);
	ASSERT_EQ(0, zs_rx_start(&self->r));
	ASSERT_EQ(0, zs_send_track(&self->t, self->fd, self->tx, h, off, len,
				   0, 0x16, &s));
	EXPECT_EQ(len, s.bytes);
	zs_rx_join(&self->r);
	EXPECT_TRUE(zs_rx_ok(&self->r)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&self->r));
	ZS_EXPECT_COMPLETIONS_EXACT(&self->t, self->fd, 8, 20000);
}

/*
 * Many sends back to back from scattered, unaligned places, MORE on all
 * but the last: the stream is their concatenation, in order.
 */
TEST_F_TIMEOUT(tcp, data_intact_for_many_sends_with_more, 120)
{
	const unsigned int n = 400;
	const __u64 buf_len = 2 * ZS_MiB;
	struct zs_seg *segs = calloc(n, sizeof(*segs));
	unsigned int i, seed = 12345;
	__u32 h = new_buf(self, buf_len);

	ASSERT_NE(NULL, segs);
	ASSERT_NE(0U, h);
	for (i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		/* 1 byte to ~20 KiB, anywhere in the buffer. */
		segs[i].len = 1 + (seed >> 8) % (i % 4 ? 3000 : 20000);
		segs[i].off = (seed >> 3) % (buf_len - segs[i].len);
	}
	zs_rx_init(&self->r, self->rx, SEED, segs, n);
	ASSERT_EQ(0, zs_rx_start(&self->r));
	for (i = 0; i < n; i++) {
		struct zcdev_send s;

		ASSERT_EQ(0, zs_send_track(&self->t, self->fd, self->tx, h,
					   segs[i].off, segs[i].len,
					   i + 1 < n ? ZCDEV_SEND_MORE : 0,
					   1000 + i, &s))
			TH_LOG("send %u", i);
		ASSERT_EQ(segs[i].len, s.bytes);
	}
	zs_rx_join(&self->r);
	EXPECT_TRUE(zs_rx_ok(&self->r)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&self->r));
	ZS_EXPECT_COMPLETIONS_EXACT(&self->t, self->fd, 64, 20000);
	free(segs);
}

/*
 * Exactly one completion per send, reaped in odd-sized batches: no id
 * missing, none twice, none unknown; bytes and user_data as sent. The
 * order completions arrive in is logged, not required.
 */
TEST_F_TIMEOUT(tcp, completions_exactly_once_with_bytes_and_user_data, 60)
{
	const unsigned int n = 300;
	struct zs_seg *segs = calloc(n, sizeof(*segs));
	unsigned int i;
	__u32 h = new_buf(self, 64 * 4096);

	ASSERT_NE(NULL, segs);
	ASSERT_NE(0U, h);
	for (i = 0; i < n; i++) {
		segs[i].off = (i * 4099) % (60 * 4096);
		segs[i].len = 1 + i * 13;
	}
	zs_rx_init(&self->r, self->rx, SEED, segs, n);
	ASSERT_EQ(0, zs_rx_start(&self->r));
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, zs_send_track(&self->t, self->fd, self->tx, h,
					   segs[i].off, segs[i].len, 0,
					   0xfeed000000000000ULL | i, NULL));
	zs_rx_join(&self->r);
	EXPECT_TRUE(zs_rx_ok(&self->r)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&self->r));
	EXPECT_EQ(n, zs_collect(&self->t, self->fd, 7, 20000));
	EXPECT_TRUE(zs_track_exact(&self->t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->t));
	TH_LOG("%u of %u completions came after a higher id",
	       self->t.out_of_order, self->t.completions);
	free(segs);
}

TEST_F(tcp, send_ids_increase_in_submission_order)
{
	unsigned int i;
	__u32 h = new_buf(self, 4096);

	ASSERT_NE(0U, h);
	for (i = 0; i < 50; i++)
		ASSERT_EQ(0, zs_send_track(&self->t, self->fd, self->tx, h,
					   i, 10, 0, i, NULL));
	EXPECT_EQ(0U, zs_track_ids_not_increasing(&self->t));
	ZS_EXPECT_COMPLETIONS_EXACT(&self->t, self->fd, 64, 20000);
}

/*
 * Delivery to a local socket copies the pages at receive
 * (skb_orphan_frags_rx), and the completion says so.
 */
TEST_F(tcp, loopback_completions_say_copied)
{
	struct zs_seg seg = { 0, 256 * 1024 };
	unsigned int i;
	__u32 h = new_buf(self, seg.len);

	ASSERT_NE(0U, h);
	zs_rx_init(&self->r, self->rx, SEED, &seg, 1);
	ASSERT_EQ(0, zs_rx_start(&self->r));
	/* One big send (zero-copy frags) and small ones. */
	ASSERT_EQ(0, zs_send_track(&self->t, self->fd, self->tx, h, 0,
				   128 * 1024, 0, 1, NULL));
	for (i = 0; i < 32; i++)
		ASSERT_EQ(0, zs_send_track(&self->t, self->fd, self->tx, h,
					   128 * 1024 + i * 4096, 4096, 0, 2,
					   NULL));
	zs_rx_join(&self->r);
	EXPECT_TRUE(zs_rx_ok(&self->r)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&self->r));
	ZS_EXPECT_COMPLETIONS_EXACT(&self->t, self->fd, 64, 20000);
	EXPECT_EQ(self->t.nr, self->t.copied);
}

/*
 * A non-blocking send into a small window is short: its completion
 * carries the bytes the send returned, not the bytes asked for, and the
 * rest goes in later sends.
 */
TEST_F(tcp, short_send_completion_carries_accepted_bytes)
{
	const __u64 len = 4 * ZS_MiB;
	struct zs_seg seg = { 0, len };
	struct zcdev_send s;
	int tx, rx, gate[2];
	__u64 done = 0;
	bool short_seen = false;
	__u32 h = new_buf(self, len);

	ASSERT_NE(0U, h);
	/* A pair with small buffers, the receiver held back. */
	ASSERT_EQ(0, zs_tcp_pair(variant->family, &tx, &rx, 4096, 4096));
	close(self->tx);
	close(self->rx);
	self->tx = tx;
	self->rx = rx;
	ASSERT_EQ(0, pipe2(gate, O_CLOEXEC));
	zs_rx_init(&self->r, self->rx, SEED, &seg, 1);
	self->r.gate = gate[0];
	ASSERT_EQ(0, zs_rx_start(&self->r));

	ASSERT_EQ(0, zs_send_track(&self->t, self->fd, self->tx, h, 0, len,
				   ZCDEV_SEND_DONTWAIT, 7, &s));
	EXPECT_LT(0ULL, s.bytes);
	EXPECT_GT(len, s.bytes);
	short_seen = s.bytes < len;
	done = s.bytes;
	/* Now let the receiver drain and send the rest, blocking. */
	ASSERT_EQ(1, write(gate[1], "g", 1));
	ASSERT_EQ(0, zs_send_all(&self->t, self->fd, self->tx, h, done,
				 len - done, 0, 8));
	zs_rx_join(&self->r);
	close(gate[0]);
	close(gate[1]);
	EXPECT_TRUE(short_seen);
	EXPECT_TRUE(zs_rx_ok(&self->r)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&self->r));
	zs_collect(&self->t, self->fd, 64, 20000);
	/* zs_track_exact compares each completion's bytes with its send's. */
	EXPECT_TRUE(zs_track_exact(&self->t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->t));
	EXPECT_EQ(s.bytes, self->t.sent[0].bytes);
}

TEST_HARNESS_MAIN
