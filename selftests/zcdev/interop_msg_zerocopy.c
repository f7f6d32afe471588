// SPDX-License-Identifier: GPL-2.0
/*
 * MSG_ZEROCOPY (SO_ZEROCOPY) sends whose source is a zcdev mapping.
 *
 * The socket pins the pages of the user range with get_user_pages and
 * hands them to the stack, then reports on the socket's error queue
 * (SO_EE_ORIGIN_ZEROCOPY) when it let go of them:
 *  - a PAGES mapping has struct pages: the send takes them, the bytes
 *    arrive, and exactly one notification covers the send. Over loopback
 *    the receiving socket copies out of shared pages, so the notification
 *    says SO_EE_CODE_ZEROCOPY_COPIED (the stack's word, as for any user
 *    memory).
 *  - a COHERENT mapping is a PFN map: nothing to pin. TCP and UDP then
 *    fail the send with EFAULT rather than copying, and nothing is queued.
 */
#include "send_common.h"

#include <linux/errqueue.h>

#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY	60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY	0x4000000
#endif

#define SEED		61
#define BUF_LEN		(256 * 1024)
#define SEND_LEN	(64 * 1024)
#define DGRAM_LEN	(8 * 1024)
#define NOTIFY_WAIT_MS	10000

FIXTURE(mzc) {
	int fd;
	struct zcdev_info info;
	unsigned char *p;
	struct zcdev_alloc a;
	int tx, rx;
};

FIXTURE_VARIANT(mzc) {
	__u32 kind;
};

FIXTURE_VARIANT_ADD(mzc, pages) {
	.kind = ZCDEV_BUF_PAGES,
};

FIXTURE_VARIANT_ADD(mzc, coherent) {
	.kind = ZCDEV_BUF_COHERENT,
};

FIXTURE_SETUP(mzc)
{
	self->fd = self->tx = self->rx = -1;
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_KIND(&self->info, variant->kind);
	self->p = zs_new_buf(self->fd, variant->kind, BUF_LEN, SEED, &self->a);
	ASSERT_NE(NULL, self->p);
}

FIXTURE_TEARDOWN(mzc)
{
	if (self->tx >= 0)
		close(self->tx);
	if (self->rx >= 0)
		close(self->rx);
	if (self->p)
		munmap(self->p, self->a.buf_len);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Waits for one zero-copy notification on @sock's error queue: 1 with the
 * range [*lo, *hi] and *copied filled, 0 if none came in @ms, or -errno.
 */
static int zerocopy_notification(int sock, int ms, __u32 *lo, __u32 *hi,
				 bool *copied)
{
	char control[128];
	struct msghdr msg = {
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct pollfd pfd = { .fd = sock, .events = 0 };
	struct sock_extended_err *ee;
	struct cmsghdr *cm;

	if (recvmsg(sock, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
		if (errno != EAGAIN)
			return -errno;
		/* An error queue entry shows as POLLERR. */
		if (poll(&pfd, 1, ms) <= 0)
			return 0;
		msg.msg_controllen = sizeof(control);
		if (recvmsg(sock, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return errno == EAGAIN ? 0 : -errno;
	}
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		ee = (struct sock_extended_err *)CMSG_DATA(cm);
		if (ee->ee_origin != SO_EE_ORIGIN_ZEROCOPY || ee->ee_errno)
			continue;
		*lo = ee->ee_info;
		*hi = ee->ee_data;
		*copied = ee->ee_code & SO_EE_CODE_ZEROCOPY_COPIED;
		return 1;
	}
	return -EPROTO;
}

TEST_F_TIMEOUT(mzc, tcp_send_from_mapping, 60)
{
	struct zs_seg seg = { 4096 + 17, SEND_LEN };
	__u32 lo = ~0U, hi = ~0U;
	bool copied = false;
	struct zs_rx r;
	ssize_t n;

	ASSERT_EQ(0, zs_tcp_pair(AF_INET, &self->tx, &self->rx, 0, 0));
	ASSERT_EQ(0, zs_setint(self->tx, SOL_SOCKET, SO_ZEROCOPY, 1));
	zs_rx_init(&r, self->rx, SEED, &seg, 1);
	ASSERT_EQ(0, zs_rx_start(&r));
	n = send(self->tx, self->p + seg.off, seg.len, MSG_ZEROCOPY);
	if (variant->kind == ZCDEV_BUF_COHERENT) {
		EXPECT_EQ(-1, n);
		EXPECT_EQ(EFAULT, errno);
		close(self->tx);
		self->tx = -1;
		zs_rx_join(&r);
		EXPECT_EQ(0U, r.got);
		return;
	}
	EXPECT_EQ((ssize_t)seg.len, n) TH_LOG("send: %s", strerror(errno));
	zs_rx_join(&r);
	EXPECT_TRUE(zs_rx_ok(&r)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&r));
	/* One send, one notification: the first zero-copy range is 0..0. */
	ASSERT_EQ(1, zerocopy_notification(self->tx, NOTIFY_WAIT_MS, &lo, &hi,
					   &copied));
	EXPECT_EQ(0U, lo);
	EXPECT_EQ(0U, hi);
	TH_LOG("notification says %s", copied ? "copied" : "zero copy");
	EXPECT_EQ(0, zerocopy_notification(self->tx, 0, &lo, &hi, &copied));
	/* The stack let go: the buffer is unchanged and the sender's again. */
	EXPECT_EQ(-1, zt_check(self->p, self->a.buf_len, 0, SEED));
}

TEST_F(mzc, udp_send_from_mapping)
{
	unsigned char *in = malloc(DGRAM_LEN + 1);
	const __u64 off = 333;
	__u32 lo, hi;
	bool copied;
	ssize_t n;

	ASSERT_NE(NULL, in);
	ASSERT_EQ(0, zs_udp_pair(AF_INET, &self->tx, &self->rx));
	ASSERT_EQ(0, zs_setint(self->tx, SOL_SOCKET, SO_ZEROCOPY, 1));
	n = send(self->tx, self->p + off, DGRAM_LEN, MSG_ZEROCOPY);
	if (variant->kind == ZCDEV_BUF_COHERENT) {
		EXPECT_EQ(-1, n);
		EXPECT_EQ(EFAULT, errno);
		EXPECT_EQ(-1, recv(self->rx, in, DGRAM_LEN + 1, MSG_DONTWAIT));
		free(in);
		return;
	}
	EXPECT_EQ(DGRAM_LEN, n) TH_LOG("send: %s", strerror(errno));
	EXPECT_EQ(DGRAM_LEN, recv(self->rx, in, DGRAM_LEN + 1, 0));
	EXPECT_EQ(-1, zt_check(in, DGRAM_LEN, off, SEED));
	ASSERT_EQ(1, zerocopy_notification(self->tx, NOTIFY_WAIT_MS, &lo, &hi,
					   &copied));
	EXPECT_EQ(0U, lo);
	EXPECT_EQ(0U, hi);
	TH_LOG("notification says %s", copied ? "copied" : "zero copy");
	free(in);
}

TEST_HARNESS_MAIN
