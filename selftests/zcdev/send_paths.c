// SPDX-License-Identifier: GPL-2.0
/*
 * What ZCDEV_COMPL_COPIED says depends on the path, and the data must
 * arrive intact on every path:
 *
 *  - veth into another network namespace: the receiving stack copies
 *    what it delivers to a local socket, so every completion says COPIED;
 *  - the harness's NIC topology (qemu/run.sh --net nic: two virtio-net
 *    NICs on vnet_hdr taps, the second in the netns ZCDEV_PEER_NETNS, or
 *    /var/run/netns/$ZCDEV_PEER_NS): the pages leave by reference, so no
 *    completion says COPIED, for TCP and for connected UDP datagrams under
 *    the MTU;
 *  - a NIC without scatter-gather and checksum offload (that topology's
 *    NIC with both switched off by ethtool, or the "hub" topology, which
 *    has neither): the stack copies every byte (linearizing, or segmenting
 *    in software), so every completion says COPIED;
 *  - kTLS (TCP_ULP "tls" with TLS_TX) cannot do zero-copy: the send still
 *    works, the completion says COPIED, and a kTLS receiver decrypts the
 *    right bytes.
 *
 * The NIC tests SKIP without a NIC topology (ZCDEV_NET nic, or hub where
 * they say so); the addresses come from ZCDEV_ADDR4/ZCDEV_PEER4/
 * ZCDEV_ADDR6/ZCDEV_PEER6.
 */
#include <ifaddrs.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <linux/tls.h>

#include "send_common.h"

#define SEED		79
#define BUF_LEN		(8 * ZS_MiB)

#ifndef SOL_TLS
#define SOL_TLS		282
#endif
#ifndef TCP_ULP
#define TCP_ULP		31
#endif

/* The sends every path test makes: big and small, unaligned. */
static const struct zs_seg path_segs[] = {
	{ 4096 + 5, 4 * ZS_MiB },
	{ 1, 65536 },
	{ 4095, 200000 },
	{ 2 * 4096, 3 * 4096 },
};
#define NR_PATH_SEGS (ARRAY_SIZE(path_segs))

/* The interface that holds IPv4 address @addr, into @name; 0 or -errno. */
static int ifname_of_addr4(const char *addr, char name[IFNAMSIZ])
{
	struct ifaddrs *all, *i;
	struct in_addr want;
	int ret = -ENODEV;

	if (inet_pton(AF_INET, addr, &want) != 1)
		return -EINVAL;
	if (getifaddrs(&all))
		return -errno;
	for (i = all; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr !=
		    want.s_addr)
			continue;
		snprintf(name, IFNAMSIZ, "%s", i->ifa_name);
		ret = 0;
		break;
	}
	freeifaddrs(all);
	return ret;
}

FIXTURE(path) {
	int fd;
	struct zcdev_info info;
	unsigned char *p;
	struct zcdev_alloc a;
	int tx, rx;
	struct zs_peer peer;
	struct zs_rx r;
	struct zs_track t;
	char veth[IFNAMSIZ];
	char nic[IFNAMSIZ];	/* offloads switched off here, to restore */
	int nic_sg, nic_csum;	/* what they were */
};

FIXTURE_SETUP(path)
{
	self->fd = self->tx = self->rx = -1;
	self->peer.pid = -1;
	self->peer.to_child = self->peer.from_child = -1;
	ZS_SETUP_OPEN(&self->fd, &self->info);
	self->p = zs_new_buf(self->fd, ZCDEV_BUF_PAGES, BUF_LEN, SEED,
			     &self->a);
	ASSERT_NE(NULL, self->p);
}

/* Offloads back as they were, checksum first: SG may depend on it. */
static void nic_offloads_restore(FIXTURE_DATA(path) *self)
{
	if (self->nic_csum > 0)
		zs_ethtool_set(self->nic, ETHTOOL_STXCSUM, true);
	if (self->nic_sg > 0)
		zs_ethtool_set(self->nic, ETHTOOL_SSG, true);
	self->nic[0] = '\0';
}

/*
 * Switch scatter-gather and checksum offload off on the NIC that sends to
 * the peer (the hub topology's has neither to begin with); the teardown
 * switches them back on. A test killed by its timeout leaves them off.
 */
static void nic_offloads_off(struct __test_metadata *_metadata,
			     FIXTURE_DATA(path) *self)
{
	const char *addr = getenv("ZCDEV_ADDR4");
	char nic[IFNAMSIZ];

	ASSERT_TRUE(addr && *addr) TH_LOG("ZCDEV_NET=%s but no ZCDEV_ADDR4",
					  zs_net_mode());
	ASSERT_EQ(0, ifname_of_addr4(addr, nic)) TH_LOG("no NIC has %s", addr);
	self->nic_sg = zs_ethtool_get(nic, ETHTOOL_GSG);
	self->nic_csum = zs_ethtool_get(nic, ETHTOOL_GTXCSUM);
	ASSERT_LE(0, self->nic_sg) TH_LOG("%s: %s", nic,
					  strerror(-self->nic_sg));
	ASSERT_LE(0, self->nic_csum);
	snprintf(self->nic, sizeof(self->nic), "%s", nic);
	if (self->nic_csum)
		ASSERT_EQ(0, zs_ethtool_set(nic, ETHTOOL_STXCSUM, false));
	if (self->nic_sg)
		ASSERT_EQ(0, zs_ethtool_set(nic, ETHTOOL_SSG, false));
	ASSERT_EQ(0, zs_ethtool_get(nic, ETHTOOL_GSG));
	ASSERT_EQ(0, zs_ethtool_get(nic, ETHTOOL_GTXCSUM));
}

FIXTURE_TEARDOWN(path)
{
	if (self->tx >= 0)
		close(self->tx);
	if (self->rx >= 0)
		shutdown(self->rx, SHUT_RDWR);
	zs_rx_join(&self->r);
	if (self->rx >= 0)
		close(self->rx);
	zs_peer_stop(&self->peer, true);
	if (self->veth[0])
		zs_link_del(self->veth);
	if (self->nic[0])
		nic_offloads_restore(self);
	zs_track_free(&self->t);
	if (self->p)
		munmap(self->p, self->a.buf_len);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Many GSO-sized sends: on a NIC without SG every byte is copied, some by
 * linearizing, some by software segmentation.
 */
static const struct zs_seg no_offload_segs[] = {
	{ 0, 96 * 1024 }, { 0, 96 * 1024 }, { 0, 96 * 1024 },
	{ 0, 96 * 1024 }, { 0, 96 * 1024 }, { 0, 96 * 1024 },
	{ 0, 96 * 1024 }, { 0, 96 * 1024 }, { 0, 96 * 1024 },
	{ 0, 96 * 1024 }, { 0, 96 * 1024 }, { 0, 96 * 1024 },
	{ 0, 200000 }, { 0, 200000 }, { 0, 200000 }, { 0, 200000 },
};

/*
 * The sends of @segs as one stream. The peer child checks one range, so
 * only their lengths count: they are sent laid end to end from @base.
 */
static void send_stream(struct __test_metadata *_metadata,
			FIXTURE_DATA(path) *self, __u64 base,
			const struct zs_seg *segs, unsigned int n)
{
	__u64 off = base;
	unsigned int i;

	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, zs_send_all(&self->t, self->fd, self->tx,
					 self->a.handle, off, segs[i].len, 0,
					 i))
			TH_LOG("send %u", i);
		off += segs[i].len;
	}
}

/* ---- veth into a fresh namespace ---- */

#define VETH_ADDR	"198.19.77.1"
#define VETH_PEER	"198.19.77.2"

struct veth_child {
	char name[IFNAMSIZ];
};

static int veth_child_setup(void *arg)
{
	struct veth_child *v = arg;

	if (zs_if_up4("lo", NULL, 0))
		return -1;
	return zs_if_up4(v->name, VETH_PEER, 24);
}

TEST_F_TIMEOUT(path, veth_completions_say_copied, 120)
{
	struct veth_child v;
	const __u64 base = 4096 + 7;
	int ret, port;

	snprintf(self->veth, sizeof(self->veth), "zcv%d", getpid() % 100000);
	snprintf(v.name, sizeof(v.name), "zcp%d", getpid() % 100000);
	ret = zs_peer_start(&self->peer, AF_INET, VETH_PEER, NULL, true,
			    veth_child_setup, &v, base,
			    zs_segs_total(path_segs, NR_PATH_SEGS), SEED);
	ASSERT_EQ(0, ret) TH_LOG("peer: %s", strerror(-ret));
	ret = zs_veth_add(self->veth, v.name, self->peer.pid);
	if (ret == -EOPNOTSUPP || ret == -ENOENT)
		SKIP(return, "no veth: %s", strerror(-ret));
	ASSERT_EQ(0, ret) TH_LOG("veth: %s", strerror(-ret));
	ASSERT_EQ(0, zs_if_up4(self->veth, VETH_ADDR, 24));
	port = zs_peer_go(&self->peer);
	ASSERT_LT(0, port) TH_LOG("peer setup failed");

	self->tx = zs_tcp_connect(AF_INET, VETH_PEER, port, 0);
	ASSERT_LE(0, self->tx) TH_LOG("connect: %s", strerror(-self->tx));
	send_stream(_metadata, self, base, path_segs, NR_PATH_SEGS);
	close(self->tx);
	self->tx = -1;
	EXPECT_EQ(0, zs_peer_stop(&self->peer, false))
		TH_LOG("receiver: 1 wrong bytes, 2 short, 3 setup");
	ZS_EXPECT_COMPLETIONS_EXACT(&self->t, self->fd, 64, 20000);
	EXPECT_EQ(self->t.nr, self->t.copied);
}

/* ---- the harness's NIC topologies ---- */

/* Which sends said what (the NIC tests assert on the counts). */
static void log_flags(struct __test_metadata *_metadata,
		      FIXTURE_DATA(path) *self)
{
	unsigned int i;

	for (i = 0; i < self->t.nr; i++)
		TH_LOG("send %u: %llu bytes, %s", i,
		       (unsigned long long)self->t.sent[i].bytes,
		       !self->t.sent[i].seen ? "no completion" :
		       self->t.sent[i].flags & ZCDEV_COMPL_COPIED ?
		       "copied" : "zero-copy");
}

static void nic_stream(struct __test_metadata *_metadata,
		       FIXTURE_DATA(path) *self, int family,
		       const struct zs_seg *segs, unsigned int n)
{
	const char *ns_file = getenv("ZCDEV_PEER_NETNS");
	const char *ns = getenv("ZCDEV_PEER_NS");
	const char *peer = getenv(family == AF_INET ? "ZCDEV_PEER4" :
				  "ZCDEV_PEER6");
	const __u64 base = 3;
	char ns_path[256];
	int ret, port;

	if (!ns || !*ns)
		ns = "peer";
	if (ns_file && *ns_file)
		snprintf(ns_path, sizeof(ns_path), "%s", ns_file);
	else
		snprintf(ns_path, sizeof(ns_path), "/var/run/netns/%s", ns);
	ASSERT_TRUE(peer && *peer) TH_LOG("ZCDEV_NET=%s but no peer address",
					  zs_net_mode());
	ASSERT_EQ(0, access(ns_path, R_OK)) TH_LOG("%s: %s", ns_path,
						   strerror(errno));
	ret = zs_peer_start(&self->peer, family, peer, ns_path, false, NULL,
			    NULL, base, zs_segs_total(segs, n), SEED);
	ASSERT_EQ(0, ret) TH_LOG("peer: %s", strerror(-ret));
	port = zs_peer_go(&self->peer);
	ASSERT_LT(0, port) TH_LOG("peer setup in %s failed", ns_path);
	self->tx = zs_tcp_connect(family, peer, port, 0);
	ASSERT_LE(0, self->tx) TH_LOG("connect %s: %s", peer,
				      strerror(-self->tx));
	send_stream(_metadata, self, base, segs, n);
	close(self->tx);
	self->tx = -1;
	EXPECT_EQ(0, zs_peer_stop(&self->peer, false))
		TH_LOG("receiver: 1 wrong bytes, 2 short, 3 setup");
	ZS_EXPECT_COMPLETIONS_EXACT(&self->t, self->fd, 64, 30000);
}

#define NEED_NET(mode) do { \
	if (strcmp(zs_net_mode(), (mode))) \
		SKIP(return, "needs qemu/run.sh --net %s (ZCDEV_NET=%s)", \
		     (mode), zs_net_mode()); \
} while (0)

TEST_F_TIMEOUT(path, nic_ipv4_completions_say_zero_copy, 150)
{
	NEED_NET("nic");
	nic_stream(_metadata, self, AF_INET, path_segs, NR_PATH_SEGS);
	EXPECT_EQ(0U, self->t.copied);
	if (self->t.copied)
		log_flags(_metadata, self);
}

TEST_F_TIMEOUT(path, nic_ipv6_completions_say_zero_copy, 150)
{
	NEED_NET("nic");
	nic_stream(_metadata, self, AF_INET6, path_segs, NR_PATH_SEGS);
	EXPECT_EQ(0U, self->t.copied);
	if (self->t.copied)
		log_flags(_metadata, self);
}

/*
 * Connected UDP over the NIC: each datagram (no MORE, under the MTU) is
 * sent from the buffer's pages. The receiver in the peer netns checks each
 * one and acks it, so none is lost to a full queue.
 */
static const struct zs_seg udp_segs[] = {
	{ 3, 1400 }, { 4095, 1000 }, { 8192, 1232 }, { 1, 1 }, { 5000, 512 },
};

static void udp_peer(int family, const char *addr, const char *ns_path,
		     int wr)
{
	struct sockaddr_storage ss, from;
	unsigned char buf[2048];
	socklen_t len, fl;
	unsigned int i;
	int ns, s, port;
	ssize_t n;

	ns = open(ns_path, O_RDONLY | O_CLOEXEC);
	if (ns < 0 || setns(ns, CLONE_NEWNET))
		_exit(3);
	s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	len = zs_sockaddr(family, addr, 0, &ss);
	if (s < 0 || bind(s, (struct sockaddr *)&ss, len))
		_exit(3);
	zs_timeouts(s, 10);
	port = zs_port_of(s);
	if (write(wr, &port, sizeof(port)) != sizeof(port))
		_exit(3);
	for (i = 0; i < ARRAY_SIZE(udp_segs); i++) {
		fl = sizeof(from);
		n = recvfrom(s, buf, sizeof(buf), MSG_TRUNC,
			     (struct sockaddr *)&from, &fl);
		if (n < 0)
			_exit(2);
		if ((__u64)n != udp_segs[i].len ||
		    zt_check(buf, n, udp_segs[i].off, SEED) >= 0)
			_exit(1);
		if (sendto(s, "a", 1, 0, (struct sockaddr *)&from, fl) != 1)
			_exit(2);
	}
	_exit(0);
}

static void nic_udp(struct __test_metadata *_metadata,
		    FIXTURE_DATA(path) *self, int family)
{
	const char *ns_file = getenv("ZCDEV_PEER_NETNS");
	const char *peer = getenv(family == AF_INET ? "ZCDEV_PEER4" :
				  "ZCDEV_PEER6");
	struct sockaddr_storage ss;
	char ns_path[256], ack;
	unsigned int i;
	int up[2], port;
	socklen_t len;

	if (ns_file && *ns_file)
		snprintf(ns_path, sizeof(ns_path), "%s", ns_file);
	else
		snprintf(ns_path, sizeof(ns_path), "/var/run/netns/%s",
			 getenv("ZCDEV_PEER_NS") ? getenv("ZCDEV_PEER_NS") :
						   "peer");
	ASSERT_TRUE(peer && *peer);
	ASSERT_EQ(0, pipe2(up, O_CLOEXEC));
	self->peer.pid = fork();
	ASSERT_LE(0, self->peer.pid);
	if (!self->peer.pid) {
		close(up[0]);
		udp_peer(family, peer, ns_path, up[1]);
	}
	close(up[1]);
	self->peer.from_child = up[0];
	ASSERT_EQ((ssize_t)sizeof(port), read(up[0], &port, sizeof(port)))
		TH_LOG("UDP receiver in %s did not start", ns_path);
	self->tx = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->tx);
	len = zs_sockaddr(family, peer, port, &ss);
	ASSERT_EQ(0, connect(self->tx, (struct sockaddr *)&ss, len));
	zs_timeouts(self->tx, 10);
	for (i = 0; i < ARRAY_SIZE(udp_segs); i++) {
		ASSERT_EQ(0, zs_send_track(&self->t, self->fd, self->tx,
					   self->a.handle, udp_segs[i].off,
					   udp_segs[i].len, 0, i, NULL))
			TH_LOG("send %u", i);
		ASSERT_EQ(1, recv(self->tx, &ack, 1, 0))
			TH_LOG("no ack for datagram %u: %s", i,
			       strerror(errno));
	}
	EXPECT_EQ(0, zs_peer_stop(&self->peer, false))
		TH_LOG("receiver: 1 wrong datagram, 2 lost or error, 3 setup");
	ZS_EXPECT_COMPLETIONS_EXACT(&self->t, self->fd, 64, 30000);
}

TEST_F_TIMEOUT(path, nic_udp_ipv4_completions_say_zero_copy, 60)
{
	NEED_NET("nic");
	nic_udp(_metadata, self, AF_INET);
	EXPECT_EQ(0U, self->t.copied);
	if (self->t.copied)
		log_flags(_metadata, self);
}

TEST_F_TIMEOUT(path, nic_udp_ipv6_completions_say_zero_copy, 60)
{
	NEED_NET("nic");
	nic_udp(_metadata, self, AF_INET6);
	EXPECT_EQ(0U, self->t.copied);
	if (self->t.copied)
		log_flags(_metadata, self);
}

TEST_F_TIMEOUT(path, nic_without_offloads_completions_say_copied, 150)
{
	if (strcmp(zs_net_mode(), "nic") && strcmp(zs_net_mode(), "hub"))
		SKIP(return, "needs qemu/run.sh --net nic or hub (ZCDEV_NET=%s)",
		     zs_net_mode());
	nic_offloads_off(_metadata, self);
	nic_stream(_metadata, self, AF_INET, no_offload_segs,
		   ARRAY_SIZE(no_offload_segs));
	EXPECT_EQ(self->t.nr, self->t.copied);
	if (self->t.copied != self->t.nr)
		log_flags(_metadata, self);
}

/* ---- kTLS ---- */

/* Attach kTLS in direction @dir (TLS_TX or TLS_RX) with a fixed key. */
static int ktls(int sock, int dir)
{
	struct tls12_crypto_info_aes_gcm_128 ci = {
		.info.version = TLS_1_2_VERSION,
		.info.cipher_type = TLS_CIPHER_AES_GCM_128,
	};

	memset(ci.key, 0x11, sizeof(ci.key));
	memset(ci.iv, 0x22, sizeof(ci.iv));
	memset(ci.salt, 0x33, sizeof(ci.salt));
	memset(ci.rec_seq, 0, sizeof(ci.rec_seq));
	if (setsockopt(sock, SOL_TCP, TCP_ULP, "tls", sizeof("tls")))
		return -errno;
	if (setsockopt(sock, SOL_TLS, dir, &ci, sizeof(ci)))
		return -errno;
	return 0;
}

TEST_F_TIMEOUT(path, ktls_send_works_and_says_copied, 60)
{
	static const struct zs_seg segs[] = {
		{ 4095, 300000 }, { 1, 1 }, { 70000, 16384 + 3 },
	};
	unsigned int i, n = ARRAY_SIZE(segs);
	int ret;

	ASSERT_EQ(0, zs_tcp_pair(AF_INET, &self->tx, &self->rx, 0, 0));
	ret = ktls(self->tx, TLS_TX);
	if (ret == -ENOENT)
		SKIP(return, "kTLS TX: %s (no gcm(aes): the VM needs the gcm, ghash_generic and ctr modules)",
		     strerror(-ret));
	if (ret)
		SKIP(return, "kTLS TX: %s", strerror(-ret));
	ret = ktls(self->rx, TLS_RX);
	if (ret)
		SKIP(return, "kTLS RX: %s", strerror(-ret));
	zs_rx_init(&self->r, self->rx, SEED, segs, n);
	ASSERT_EQ(0, zs_rx_start(&self->r));
	for (i = 0; i < n; i++) {
		struct zcdev_send s;

		ASSERT_EQ(0, zs_send_track(&self->t, self->fd, self->tx,
					   self->a.handle, segs[i].off,
					   segs[i].len, 0, i, &s))
			TH_LOG("send %u", i);
		EXPECT_EQ(segs[i].len, s.bytes);
	}
	zs_rx_join(&self->r);
	EXPECT_TRUE(zs_rx_ok(&self->r)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&self->r));
	ZS_EXPECT_COMPLETIONS_EXACT(&self->t, self->fd, 64, 20000);
	EXPECT_EQ(self->t.nr, self->t.copied);
}

TEST_HARNESS_MAIN
