// SPDX-License-Identifier: GPL-2.0
/*
 * A send over the harness's NIC path says COPIED exactly when the device
 * its route leaves through lacks scatter-gather or checksum offload: the
 * stack then copies (linearizes, or checksums and segments in software)
 * whatever zcdev lent it, and zcdev must not let the user think the pages
 * went out by reference.
 *
 * The expectation comes from the device the kernel routes the peer's
 * address through (RTM_GETROUTE) and that device's offloads (SIOCETHTOOL),
 * not from the topology's name:
 *
 *  - ARM board (qemu/run.sh --arch arm --net hub): eth0 is the LAN9118
 *    (smsc911x: neither offload), so every completion says COPIED;
 *  - x86 --net nic: virtio-net with both, so none does (send_paths checks
 *    that by the topology's name; this test by the device's features);
 *  - x86 --net hub: virtio-net without offloads, every one says COPIED.
 *
 * Every byte must reach the receiver in netns ZCDEV_PEER_NETNS intact, and
 * the device's tx_bytes must grow by at least what was sent, so the data
 * really went out through it. SKIPs without a NIC path (ZCDEV_NET other
 * than nic or hub: no peer address or netns).
 */
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "send_common.h"

#define SEED		113
#define BUF_LEN		(4 * ZS_MiB)

/*
 * The sends, laid end to end from BASE (the receiver checks one range):
 * GSO-sized and smaller, a byte, about a frame; none starts on a page.
 */
#define BASE		3
static const __u64 nic_lens[] = {
	ZS_MiB, 65536, 200000, 3 * 4096, 1, 1400,
};

/*
 * The device the kernel routes @addr through (`ip route get @addr`), into
 * @name; 0 or -errno.
 */
static int route_dev(int family, const char *addr, char name[IFNAMSIZ])
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
		char attrs[64];
	} req = {
		.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)),
		.nh.nlmsg_type = RTM_GETROUTE,
		.nh.nlmsg_flags = NLM_F_REQUEST,
		.rt.rtm_family = family,
	};
	int alen = family == AF_INET ? 4 : 16;
	union {
		struct nlmsghdr nh;	/* aligns the buffer for it */
		char buf[8192];
	} rsp;
	struct nlmsghdr *nh = &rsp.nh;
	struct rtattr *rta;
	int s, len, ret = -ENOENT;
	ssize_t n;

	rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
	if (inet_pton(family, addr, RTA_DATA(rta)) != 1)
		return -EINVAL;
	rta->rta_type = RTA_DST;
	rta->rta_len = RTA_LENGTH(alen);
	req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
	req.rt.rtm_dst_len = alen * 8;

	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		return -errno;
	if (send(s, &req, req.nh.nlmsg_len, 0) < 0) {
		ret = -errno;
		goto out;
	}
	n = recv(s, rsp.buf, sizeof(rsp.buf), 0);
	if (n < 0) {
		ret = -errno;
		goto out;
	}
	for (; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
		if (nh->nlmsg_type == NLMSG_ERROR) {
			ret = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
			break;
		}
		if (nh->nlmsg_type != RTM_NEWROUTE)
			continue;
		len = RTM_PAYLOAD(nh);
		for (rta = RTM_RTA(NLMSG_DATA(nh)); RTA_OK(rta, len);
		     rta = RTA_NEXT(rta, len)) {
			if (rta->rta_type != RTA_OIF)
				continue;
			ret = if_indextoname(*(int *)RTA_DATA(rta), name) ?
			      0 : -errno;
			goto out;
		}
	}
out:
	close(s);
	return ret;
}

/* /sys/class/net/@dev/statistics/@what, or -1. */
static long long dev_stat(const char *dev, const char *what)
{
	char path[128], val[32];
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", dev,
		 what);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -1;
	n = read(f, val, sizeof(val) - 1);
	close(f);
	if (n <= 0)
		return -1;
	val[n] = '\0';
	return atoll(val);
}

FIXTURE(nic) {
	int fd;
	struct zcdev_info info;
	unsigned char *p;
	struct zcdev_alloc a;
	int tx;
	struct zs_peer peer;
	struct zs_track t;
};

FIXTURE_VARIANT(nic) {
	int family;
	const char *peer_var;	/* the peer's address in the environment */
};

FIXTURE_VARIANT_ADD(nic, ipv4) {
	.family = AF_INET,
	.peer_var = "ZCDEV_PEER4",
};

FIXTURE_VARIANT_ADD(nic, ipv6) {
	.family = AF_INET6,
	.peer_var = "ZCDEV_PEER6",
};

FIXTURE_SETUP(nic)
{
	self->fd = self->tx = -1;
	self->peer.pid = -1;
	self->peer.to_child = self->peer.from_child = -1;
	ZS_SETUP_OPEN(&self->fd, &self->info);
	self->p = zs_new_buf(self->fd, ZCDEV_BUF_PAGES, BUF_LEN, SEED,
			     &self->a);
	ASSERT_TRUE(self->p != NULL);
}

FIXTURE_TEARDOWN(nic)
{
	if (self->tx >= 0)
		close(self->tx);
	zs_peer_stop(&self->peer, true);
	zs_track_free(&self->t);
	if (self->p)
		munmap(self->p, self->a.buf_len);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F_TIMEOUT(nic, completions_say_copied_iff_route_lacks_offloads, 240)
{
	const char *net = zs_net_mode();
	const char *peer = getenv(variant->peer_var);
	const char *ns_file = getenv("ZCDEV_PEER_NETNS");
	const unsigned int n = ARRAY_SIZE(nic_lens);
	long long tx_before, tx_after;
	__u64 total = 0, off;
	char dev[IFNAMSIZ];
	bool want_copied;
	unsigned int i;
	int sg, csum, port, ret;

	if (strcmp(net, "nic") && strcmp(net, "hub"))
		SKIP(return, "no NIC path: needs qemu/run.sh --net nic or hub (ZCDEV_NET=%s)",
		     *net ? net : "none");
	ASSERT_TRUE(peer && *peer && ns_file && *ns_file)
		TH_LOG("ZCDEV_NET=%s but no %s or ZCDEV_PEER_NETNS", net,
		       variant->peer_var);

	ret = route_dev(variant->family, peer, dev);
	ASSERT_EQ(0, ret) TH_LOG("no route to %s: %s", peer, strerror(-ret));
	ASSERT_STRNE("lo", dev) TH_LOG("%s is routed through loopback", peer);
	sg = zs_ethtool_get(dev, ETHTOOL_GSG);
	csum = zs_ethtool_get(dev, ETHTOOL_GTXCSUM);
	ASSERT_LE(0, sg) TH_LOG("%s: %s", dev, strerror(-sg));
	ASSERT_LE(0, csum) TH_LOG("%s: %s", dev, strerror(-csum));
	want_copied = !sg || !csum;
	TH_LOG("%s leaves through %s: scatter-gather %s, tx checksum %s: expecting %s",
	       peer, dev, sg ? "on" : "off", csum ? "on" : "off",
	       want_copied ? "COPIED" : "zero-copy");

	for (i = 0; i < n; i++)
		total += nic_lens[i];
	ret = zs_peer_start(&self->peer, variant->family, peer, ns_file,
			    false, NULL, NULL, BASE, total, SEED);
	ASSERT_EQ(0, ret) TH_LOG("peer: %s", strerror(-ret));
	port = zs_peer_go(&self->peer);
	ASSERT_LT(0, port) TH_LOG("receiver setup in %s failed", ns_file);
	self->tx = zs_tcp_connect(variant->family, peer, port, 0);
	ASSERT_LE(0, self->tx) TH_LOG("connect %s: %s", peer,
				      strerror(-self->tx));

	tx_before = dev_stat(dev, "tx_bytes");
	for (i = 0, off = BASE; i < n; off += nic_lens[i], i++)
		ASSERT_EQ(0, zs_send_all(&self->t, self->fd, self->tx,
					 self->a.handle, off, nic_lens[i], 0,
					 i))
			TH_LOG("send %u (%llu bytes)", i,
			       (unsigned long long)nic_lens[i]);
	close(self->tx);
	self->tx = -1;
	EXPECT_EQ(0, zs_peer_stop(&self->peer, false))
		TH_LOG("receiver: 1 wrong bytes, 2 short, 3 setup");
	tx_after = dev_stat(dev, "tx_bytes");

	ZS_EXPECT_COMPLETIONS_EXACT(&self->t, self->fd, 64, 60000);
	for (i = 0; i < self->t.nr; i++) {
		const struct zs_sent *s = &self->t.sent[i];

		if (!s->seen)
			continue;	/* counted by the check above */
		EXPECT_EQ(want_copied, !!(s->flags & ZCDEV_COMPL_COPIED))
			TH_LOG("send %u (%llu bytes) over %s: %s, expected %s",
			       i, (unsigned long long)s->bytes, dev,
			       s->flags & ZCDEV_COMPL_COPIED ?
			       "COPIED" : "zero-copy",
			       want_copied ? "COPIED" : "zero-copy");
	}

	/* Headers make it more; less would mean another way out. */
	ASSERT_LE(0, tx_before) TH_LOG("no tx_bytes counter for %s", dev);
	EXPECT_LE((long long)total, tx_after - tx_before)
		TH_LOG("%s sent %lld bytes for %llu of payload", dev,
		       tx_after - tx_before, (unsigned long long)total);
}

TEST_HARNESS_MAIN
