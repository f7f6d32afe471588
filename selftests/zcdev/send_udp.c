// SPDX-License-Identifier: GPL-2.0
/*
 * ZCDEV_IOC_SEND over connected UDP on loopback (IPv4 and IPv6): each send
 * is one datagram carrying exactly the buffer bytes asked for, up to the
 * datagram limit (65507 bytes over IPv4, 65527 over IPv6); beyond it the
 * send fails with EMSGSIZE and no completion follows. Sends with
 * ZCDEV_SEND_MORE cork into one datagram. Every accepted send gets exactly
 * one completion, and loopback delivery makes it say ZCDEV_COMPL_COPIED.
 *
 * Each datagram is read before the next is sent, so none is dropped.
 */
#include "send_common.h"

#define SEED	67
#define BUF_LEN	(96 * 1024)

FIXTURE(udp) {
	int fd;
	struct zcdev_info info;
	int tx, rx;
	unsigned char *p;
	struct zcdev_alloc a;
	unsigned char *dgram;	/* receive buffer, one datagram */
	struct zs_track t;
};

FIXTURE_VARIANT(udp) {
	int family;
	__u64 max_payload;	/* largest datagram payload */
};

FIXTURE_VARIANT_ADD(udp, ipv4) {
	.family = AF_INET,
	.max_payload = 65535 - 20 - 8,
};

FIXTURE_VARIANT_ADD(udp, ipv6) {
	.family = AF_INET6,
	.max_payload = 65535 - 8,
};

FIXTURE_SETUP(udp)
{
	int ret;

	self->fd = self->tx = self->rx = -1;
	ZS_SETUP_OPEN(&self->fd, &self->info);
	ret = zs_udp_pair(variant->family, &self->tx, &self->rx);
	if (ret == -EAFNOSUPPORT || ret == -EADDRNOTAVAIL)
		ZT_SETUP_SKIP("no %s loopback: %s",
			      variant->family == AF_INET ? "IPv4" : "IPv6",
			      strerror(-ret));
	ASSERT_EQ(0, ret) TH_LOG("UDP pair: %s", strerror(-ret));
	self->p = zs_new_buf(self->fd, ZCDEV_BUF_PAGES, BUF_LEN, SEED,
			     &self->a);
	ASSERT_NE(NULL, self->p);
	self->dgram = malloc(128 * 1024);
	ASSERT_NE(NULL, self->dgram);
}

FIXTURE_TEARDOWN(udp)
{
	free(self->dgram);
	if (self->p)
		munmap(self->p, self->a.buf_len);
	zs_track_free(&self->t);
	if (self->tx >= 0)
		close(self->tx);
	if (self->rx >= 0)
		close(self->rx);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Receive one datagram and check it is [off, off + len) of the buffer:
 * 0 if so, else the length received (or -errno) with *bad the first wrong
 * byte.
 */
static long recv_check(FIXTURE_DATA(udp) *self, __u64 off, __u64 len,
		       long *bad)
{
	ssize_t n = recv(self->rx, self->dgram, 128 * 1024, MSG_TRUNC);

	*bad = -1;
	if (n < 0)
		return -errno;
	if ((__u64)n != len)
		return n;
	*bad = zt_check(self->dgram, n, off, SEED);
	return *bad < 0 ? 0 : n;
}

TEST_F_TIMEOUT(udp, datagrams_intact_for_sizes_and_unaligned_offsets, 60)
{
	const __u64 max = variant->max_payload;
	const struct zs_seg segs[] = {
		{ 0, 1 }, { 1, 1 }, { 4095, 2 }, { 7, 100 }, { 4093, 1472 },
		{ 1, 4095 }, { 0, 4096 }, { 4095, 4097 }, { 3, 9000 },
		{ 8191, 32768 + 5 }, { 0, max - 1 }, { 1, max },
		{ 4095, max }, { BUF_LEN - max, max },
	};
	unsigned int i, n = ARRAY_SIZE(segs);
	long got, bad;

	for (i = 0; i < n; i++) {
		struct zcdev_send s;

		ASSERT_EQ(0, zs_send_track(&self->t, self->fd, self->tx,
					   self->a.handle, segs[i].off,
					   segs[i].len, 0, i, &s))
			TH_LOG("send %u (%llu+%llu)", i,
			       (unsigned long long)segs[i].off,
			       (unsigned long long)segs[i].len);
		EXPECT_EQ(segs[i].len, s.bytes);
		got = recv_check(self, segs[i].off, segs[i].len, &bad);
		EXPECT_EQ(0, got) TH_LOG("datagram %u (%llu+%llu): received %ld, first bad byte %ld",
					 i, (unsigned long long)segs[i].off,
					 (unsigned long long)segs[i].len,
					 got, bad);
	}
	ZS_EXPECT_COMPLETIONS_EXACT(&self->t, self->fd, 64, 10000);
}

/* Sends with MORE cork: the last one without it sends one datagram. */
TEST_F(udp, sends_with_more_make_one_datagram)
{
	static const struct zs_seg segs[] = {
		{ 1, 1 }, { 4095, 3000 }, { 10000, 4096 }, { 3, 7 },
		{ 20001, 20000 }, { 50, 1 },
	};
	unsigned int i, n = ARRAY_SIZE(segs);
	__u64 total = zs_segs_total(segs, n), pos = 0;
	ssize_t got;

	for (i = 0; i < n; i++)
		ASSERT_EQ(0, zs_send_track(&self->t, self->fd, self->tx,
					   self->a.handle, segs[i].off,
					   segs[i].len,
					   i + 1 < n ? ZCDEV_SEND_MORE : 0,
					   i, NULL));
	got = recv(self->rx, self->dgram, 128 * 1024, MSG_TRUNC);
	ASSERT_EQ((ssize_t)total, got) TH_LOG("datagram of %zd bytes: %s",
					      got, strerror(errno));
	for (i = 0; i < n; i++) {
		EXPECT_EQ(-1, zt_check(self->dgram + pos, segs[i].len,
				       segs[i].off, SEED))
			TH_LOG("part %u of the datagram", i);
		pos += segs[i].len;
	}
	/* Nothing else was sent. */
	EXPECT_EQ(-1, recv(self->rx, self->dgram, 1, MSG_DONTWAIT));
	ZS_EXPECT_COMPLETIONS_EXACT(&self->t, self->fd, 64, 10000);
}

TEST_F(udp, completions_exactly_once_and_say_copied)
{
	unsigned int i;
	long bad;

	for (i = 0; i < 100; i++) {
		__u64 off = (i * 997) % (BUF_LEN - 16384);
		__u64 len = 1 + (i * 163) % 16384;

		ASSERT_EQ(0, zs_send_track(&self->t, self->fd, self->tx,
					   self->a.handle, off, len, 0,
					   ~0ULL - i, NULL));
		EXPECT_EQ(0, recv_check(self, off, len, &bad));
	}
	EXPECT_EQ(0U, zs_track_ids_not_increasing(&self->t));
	EXPECT_EQ(100U, zs_collect(&self->t, self->fd, 3, 10000));
	EXPECT_TRUE(zs_track_exact(&self->t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->t));
	EXPECT_EQ(self->t.nr, self->t.copied);
}

/* One byte over the limit: EMSGSIZE as from send(2), and no completion. */
TEST_F(udp, datagram_over_limit_is_emsgsize)
{
	struct zcdev_send_completion c;
	struct zcdev_reap r;
	ssize_t n;

	n = send(self->tx, self->p, variant->max_payload + 1, 0);
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(-EMSGSIZE, zs_send(self->fd, self->tx, self->a.handle, 0,
				     variant->max_payload + 1, 0, 0, NULL));
	ASSERT_EQ(0, zs_reap(self->fd, &c, 1, 200 * 1000 * 1000, &r));
	EXPECT_EQ(0U, r.nr);
	EXPECT_EQ(0ULL, r.pending);
	/* Nothing reached the receiver. */
	EXPECT_EQ(-1, recv(self->rx, self->dgram, 1, MSG_DONTWAIT));
}

TEST_HARNESS_MAIN
