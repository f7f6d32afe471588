// SPDX-License-Identifier: GPL-2.0
/*
 * ZCDEV_IOC_SEND error paths. Each test breaks one thing and otherwise
 * passes a valid send (a connected loopback TCP socket, a PAGES buffer).
 * Socket errors are compared with what send(2) gives on the same kind of
 * socket; SIGPIPE follows send(2) too (delivered unless
 * ZCDEV_SEND_NOSIGNAL). A failed send sends nothing and gets no
 * completion: every test checks the receiver and the reap afterwards.
 * The rules SEND shares with every ioctl (size, flags, an unwritable
 * argument) are ioctl_rules.c's.
 */
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "send_common.h"

#define SEED		73
#define BUF_PAGES	4

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP	262
#endif

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static void on_alarm(int sig)
{
	(void)sig;
}

FIXTURE(err) {
	int fd;
	struct zcdev_info info;
	size_t page;
	unsigned char *p;
	struct zcdev_alloc a;
	int tx, rx;
	struct zs_track t;
};

FIXTURE_SETUP(err)
{
	struct sigaction sa = { .sa_handler = on_sigpipe };

	self->fd = self->tx = self->rx = -1;
	ZS_SETUP_OPEN(&self->fd, &self->info);
	self->page = self->info.page_size;
	self->p = zs_new_buf(self->fd, ZCDEV_BUF_PAGES,
			     BUF_PAGES * self->page, SEED, &self->a);
	ASSERT_NE(NULL, self->p);
	ASSERT_EQ(0, zs_tcp_pair(AF_INET, &self->tx, &self->rx, 0, 0));
	/* Count SIGPIPEs instead of dying of them. */
	ASSERT_EQ(0, sigaction(SIGPIPE, &sa, NULL));
	sigpipes = 0;
}

FIXTURE_TEARDOWN(err)
{
	zs_track_free(&self->t);
	if (self->tx >= 0)
		close(self->tx);
	if (self->rx >= 0)
		close(self->rx);
	if (self->p)
		munmap(self->p, self->a.buf_len);
	if (self->fd >= 0)
		close(self->fd);
}

/* SEND with everything valid but @sock (handle, 0, 100 bytes). */
static int send_on(FIXTURE_DATA(err) *self, int sock, __u32 flags)
{
	return zs_send(self->fd, sock, self->a.handle, 0, 100, flags, 0, NULL);
}

/* SEND on the good socket with this range. */
static int send_range(FIXTURE_DATA(err) *self, __u64 off, __u64 len)
{
	return zs_send(self->fd, self->tx, self->a.handle, off, len, 0, 0,
		       NULL);
}

/* send(2)'s errno on @sock (0 if it sent). */
static int send2_errno(int sock, int flags)
{
	char b[100] = { 0 };

	return send(sock, b, sizeof(b), flags) < 0 ? errno : 0;
}

/*
 * After a failed send: no completion now or soon, nothing pending, and
 * (when @sock is the fixture's) nothing reached the receiver.
 */
static void expect_nothing_sent(struct __test_metadata *_metadata,
				FIXTURE_DATA(err) *self)
{
	struct zcdev_send_completion c;
	struct zcdev_reap r;
	char b;

	ASSERT_EQ(0, zs_reap(self->fd, &c, 1,
			     zt_deadline_in(100 * NSEC_PER_MSEC), &r));
	EXPECT_EQ(0U, r.nr);
	EXPECT_EQ(0ULL, r.pending);
	if (self->rx >= 0) {
		EXPECT_EQ(-1, recv(self->rx, &b, 1, MSG_DONTWAIT));
		EXPECT_EQ(EAGAIN, errno);
	}
}

/* ---- the socket fd ---- */

TEST_F(err, fd_that_is_not_a_socket_is_enotsock)
{
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int pfd[2];

	ASSERT_LE(0, null);
	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
	EXPECT_EQ(ENOTSOCK, send2_errno(null, 0));
	EXPECT_EQ(-ENOTSOCK, send_on(self, null, 0));
	EXPECT_EQ(-ENOTSOCK, send_on(self, pfd[1], 0));
	/* The device file itself. */
	EXPECT_EQ(-ENOTSOCK, send_on(self, self->fd, 0));
	expect_nothing_sent(_metadata, self);
	close(null);
	close(pfd[0]);
	close(pfd[1]);
}

TEST_F(err, closed_fd_is_ebadf)
{
	int s = dup(self->tx);

	ASSERT_LE(0, s);
	ASSERT_EQ(0, close(s));
	EXPECT_EQ(EBADF, send2_errno(s, 0));
	EXPECT_EQ(-EBADF, send_on(self, s, 0));
	EXPECT_EQ(-EBADF, send_on(self, -1, 0));
	EXPECT_EQ(-EBADF, send_on(self, 0x7fffffff, 0));
	expect_nothing_sent(_metadata, self);
}

TEST_F(err, unix_socket_is_eprotonosupport)
{
	int sv[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	EXPECT_EQ(-EPROTONOSUPPORT, send_on(self, sv[0], 0));
	close(sv[0]);
	close(sv[1]);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
	EXPECT_EQ(-EPROTONOSUPPORT, send_on(self, sv[0], 0));
	close(sv[0]);
	close(sv[1]);
	expect_nothing_sent(_metadata, self);
}

/* A connected IPv4 raw socket: inet, but neither TCP nor UDP. */
TEST_F(err, raw_socket_is_eprotonosupport)
{
	struct sockaddr_storage ss;
	socklen_t len = zs_sockaddr(AF_INET, NULL, 0, &ss);
	int s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_UDP);

	if (s < 0 && (errno == EPERM || errno == EACCES))
		SKIP(return, "raw sockets need CAP_NET_RAW");
	ASSERT_LE(0, s);
	ASSERT_EQ(0, connect(s, (struct sockaddr *)&ss, len));
	EXPECT_EQ(-EPROTONOSUPPORT, send_on(self, s, 0));
	close(s);
	expect_nothing_sent(_metadata, self);
}

TEST_F(err, packet_socket_is_eprotonosupport)
{
	int s = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));

	if (s < 0 && (errno == EPERM || errno == EACCES ||
		      errno == EAFNOSUPPORT))
		SKIP(return, "no packet socket: %s", strerror(errno));
	ASSERT_LE(0, s);
	EXPECT_EQ(-EPROTONOSUPPORT, send_on(self, s, 0));
	close(s);
	expect_nothing_sent(_metadata, self);
}

/* SOCK_STREAM over inet but not TCP: MPTCP. */
TEST_F(err, mptcp_socket_is_eprotonosupport)
{
	int l, s, a, port;
	struct sockaddr_storage ss;
	socklen_t len;

	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_MPTCP);
	if (l < 0)
		SKIP(return, "no MPTCP: %s", strerror(errno));
	len = zs_sockaddr(AF_INET, NULL, 0, &ss);
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&ss, len));
	ASSERT_EQ(0, listen(l, 1));
	port = zs_port_of(l);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_MPTCP);
	ASSERT_LE(0, s);
	zs_sockaddr(AF_INET, NULL, port, &ss);
	ASSERT_EQ(0, connect(s, (struct sockaddr *)&ss, len));
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	/* send(2) works on it; the zero-copy send does not. */
	EXPECT_EQ(0, send2_errno(s, MSG_NOSIGNAL));
	EXPECT_EQ(-EPROTONOSUPPORT, send_on(self, s, 0));
	close(a);
	close(s);
	close(l);
	expect_nothing_sent(_metadata, self);
}

/* ---- socket state: as send(2) says ---- */

TEST_F(err, unconnected_udp_is_edestaddrreq)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ASSERT_LE(0, s);
	EXPECT_EQ(EDESTADDRREQ, send2_errno(s, 0));
	EXPECT_EQ(-EDESTADDRREQ, send_on(self, s, 0));
	close(s);
	expect_nothing_sent(_metadata, self);
}

TEST_F(err, unconnected_tcp_fails_as_send_does)
{
	int s1 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int s2 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int e;

	ASSERT_LE(0, s1);
	ASSERT_LE(0, s2);
	e = send2_errno(s1, MSG_NOSIGNAL);
	EXPECT_TRUE(e == EPIPE || e == ENOTCONN) TH_LOG("send(2): %s",
							strerror(e));
	EXPECT_EQ(-e, send_on(self, s2, ZCDEV_SEND_NOSIGNAL));
	EXPECT_EQ(0, sigpipes);
	close(s1);
	close(s2);
	expect_nothing_sent(_metadata, self);
}

TEST_F(err, listening_tcp_fails_as_send_does)
{
	int l = zs_tcp_listen(AF_INET, NULL, 0);
	int e;

	ASSERT_LE(0, l);
	e = send2_errno(l, MSG_NOSIGNAL);
	EXPECT_NE(0, e);
	EXPECT_EQ(-e, send_on(self, l, ZCDEV_SEND_NOSIGNAL));
	close(l);
	expect_nothing_sent(_metadata, self);
}

/* Make the fixture's sender see its peer gone: EPIPE from now on. */
static int break_pipe(FIXTURE_DATA(err) *self)
{
	int i, e = 0;

	close(self->rx);
	self->rx = -1;
	/* The first sends after the close may still go out (then RST). */
	for (i = 0; i < 200; i++) {
		e = send2_errno(self->tx, MSG_NOSIGNAL);
		if (e == EPIPE)
			return 0;
		usleep(10 * 1000);
	}
	return e ? -e : -ETIMEDOUT;
}

TEST_F(err, peer_closed_is_epipe_with_sigpipe)
{
	ASSERT_EQ(0, break_pipe(self));
	sigpipes = 0;
	/* send(2) as the reference. */
	EXPECT_EQ(EPIPE, send2_errno(self->tx, 0));
	EXPECT_EQ(1, sigpipes);
	EXPECT_EQ(-EPIPE, send_on(self, self->tx, 0));
	EXPECT_EQ(2, sigpipes);
	expect_nothing_sent(_metadata, self);
}

TEST_F(err, peer_closed_with_nosignal_is_epipe_without_sigpipe)
{
	ASSERT_EQ(0, break_pipe(self));
	sigpipes = 0;
	EXPECT_EQ(-EPIPE, send_on(self, self->tx, ZCDEV_SEND_NOSIGNAL));
	EXPECT_EQ(0, sigpipes);
	expect_nothing_sent(_metadata, self);
}

TEST_F(err, after_shutdown_wr_is_epipe_as_send_does)
{
	ASSERT_EQ(0, shutdown(self->tx, SHUT_WR));
	EXPECT_EQ(EPIPE, send2_errno(self->tx, 0));
	EXPECT_EQ(1, sigpipes);
	EXPECT_EQ(-EPIPE, send_on(self, self->tx, 0));
	EXPECT_EQ(2, sigpipes);
	EXPECT_EQ(-EPIPE, send_on(self, self->tx, ZCDEV_SEND_NOSIGNAL));
	EXPECT_EQ(2, sigpipes);
	/* Only the FIN arrived. */
	EXPECT_EQ(0, recv(self->rx, self->p, 1, MSG_DONTWAIT));
	close(self->rx);
	self->rx = -1;
	expect_nothing_sent(_metadata, self);
}

/*
 * Fill the sender until a non-blocking send says EAGAIN; @flags adds
 * ZCDEV_SEND_DONTWAIT when the socket itself blocks. Returns the sends
 * that went through, or -errno of an unexpected failure.
 */
static int fill_until_eagain(FIXTURE_DATA(err) *self, int sock, __u32 flags)
{
	int i, ret;

	for (i = 0; i < 100000; i++) {
		ret = zs_send_track(&self->t, self->fd, sock, self->a.handle,
				    0, self->a.buf_len, flags, i, NULL);
		if (ret == -EAGAIN)
			return i;
		if (ret)
			return ret;
	}
	return -ENOSPC;
}

/* A pair with small buffers whose receiver does not read. */
static void small_pair(struct __test_metadata *_metadata,
		       FIXTURE_DATA(err) *self)
{
	close(self->tx);
	close(self->rx);
	self->tx = self->rx = -1;
	ASSERT_EQ(0, zs_tcp_pair(AF_INET, &self->tx, &self->rx, 4096, 4096));
}

/* Read everything there is (the peer is done); bytes read. */
static __u64 drain(int sock)
{
	static char b[65536];
	__u64 total = 0;
	ssize_t n;

	while ((n = recv(sock, b, sizeof(b), 0)) > 0)
		total += n;
	return total;
}

static __u64 track_bytes(const struct zs_track *t)
{
	__u64 total = 0;
	unsigned int i;

	for (i = 0; i < t->nr; i++)
		total += t->sent[i].bytes;
	return total;
}

TEST_F(err, nonblocking_socket_full_is_eagain)
{
	int sent;

	small_pair(_metadata, self);
	ASSERT_EQ(0, fcntl(self->tx, F_SETFL, O_NONBLOCK));
	sent = fill_until_eagain(self, self->tx, 0);
	ASSERT_LT(0, sent) TH_LOG("fill: %s", strerror(-sent));
	EXPECT_EQ(EAGAIN, send2_errno(self->tx, 0));
	/* Every accepted byte arrives, and nothing more. */
	close(self->tx);
	self->tx = -1;
	EXPECT_EQ(track_bytes(&self->t), drain(self->rx));
	ZS_EXPECT_COMPLETIONS_EXACT(&self->t, self->fd, 64, 20000);
}

TEST_F(err, dontwait_on_full_socket_is_eagain)
{
	int sent;

	small_pair(_metadata, self);
	sent = fill_until_eagain(self, self->tx, ZCDEV_SEND_DONTWAIT);
	ASSERT_LT(0, sent) TH_LOG("fill: %s", strerror(-sent));
	EXPECT_EQ(EAGAIN, send2_errno(self->tx, MSG_DONTWAIT));
	close(self->tx);
	self->tx = -1;
	EXPECT_EQ(track_bytes(&self->t), drain(self->rx));
	ZS_EXPECT_COMPLETIONS_EXACT(&self->t, self->fd, 64, 20000);
}

/* A blocking send waiting for room, interrupted by a signal: EINTR. */
TEST_F(err, blocking_send_interrupted_is_eintr)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct itimerval it = { .it_value.tv_usec = 300 * 1000 };
	struct zcdev_send s;
	__u64 start;
	int ret;

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	small_pair(_metadata, self);
	ASSERT_LT(0, fill_until_eagain(self, self->tx, ZCDEV_SEND_DONTWAIT));
	/* Let ACKs of what was in flight free what they can, fill again. */
	usleep(200 * 1000);
	ASSERT_LE(0, fill_until_eagain(self, self->tx, ZCDEV_SEND_DONTWAIT));
	start = zt_now_ns();
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	ret = zs_send(self->fd, self->tx, self->a.handle, 0, self->a.buf_len,
		      0, 0, &s);
	EXPECT_EQ(-EINTR, ret) TH_LOG("send: %s, %llu bytes", strerror(-ret),
				      (unsigned long long)s.bytes);
	EXPECT_LE(250, zs_ms_since(start));
	if (!ret)
		zs_track_add(&self->t, &s);
	close(self->tx);
	self->tx = -1;
	EXPECT_EQ(track_bytes(&self->t), drain(self->rx));
	ZS_EXPECT_COMPLETIONS_EXACT(&self->t, self->fd, 64, 20000);
}

/* ---- the buffer range ---- */

TEST_F(err, range_past_the_buffer_is_einval)
{
	const __u64 len = self->a.buf_len;

	EXPECT_EQ(-EINVAL, send_range(self, len, 1));
	EXPECT_EQ(-EINVAL, send_range(self, len - 1, 2));
	EXPECT_EQ(-EINVAL, send_range(self, 0, len + 1));
	EXPECT_EQ(-EINVAL, send_range(self, len + self->page, 1));
	EXPECT_EQ(-EINVAL, send_range(self, 1ULL << 40, 1));
	expect_nothing_sent(_metadata, self);
}

TEST_F(err, range_at_the_buffer_end_is_fine)
{
	struct zs_seg seg = { self->a.buf_len - 1, 1 };
	struct zs_rx r;

	ASSERT_EQ(0, zs_send_track(&self->t, self->fd, self->tx,
				   self->a.handle, seg.off, seg.len, 0, 0,
				   NULL));
	zs_rx_init(&r, self->rx, SEED, &seg, 1);
	zs_rx_run(&r);
	EXPECT_TRUE(zs_rx_ok(&r)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&r));
	ZS_EXPECT_COMPLETIONS_EXACT(&self->t, self->fd, 4, 10000);
}

TEST_F(err, offset_plus_len_overflow_is_einval)
{
	const __u64 len = self->a.buf_len;

	EXPECT_EQ(-EINVAL, send_range(self, 1, ~0ULL));
	EXPECT_EQ(-EINVAL, send_range(self, ~0ULL, 1));
	EXPECT_EQ(-EINVAL, send_range(self, ~0ULL, ~0ULL));
	/* Wraps to exactly 0 and to a small end inside the buffer. */
	EXPECT_EQ(-EINVAL, send_range(self, len, 0ULL - len));
	EXPECT_EQ(-EINVAL, send_range(self, 2 * self->page, 0ULL - self->page));
	expect_nothing_sent(_metadata, self);
}

TEST_F(err, zero_length_is_einval)
{
	EXPECT_EQ(-EINVAL, send_range(self, 0, 0));
	EXPECT_EQ(-EINVAL, send_range(self, self->page, 0));
	expect_nothing_sent(_metadata, self);
}

TEST_F(err, unknown_handle_is_enoent)
{
	struct zcdev_alloc b;

	EXPECT_EQ(-ENOENT, zs_send(self->fd, self->tx, 0, 0, 1, 0, 0, NULL));
	EXPECT_EQ(-ENOENT, zs_send(self->fd, self->tx, self->a.handle + 1000,
				   0, 1, 0, 0, NULL));
	EXPECT_EQ(-ENOENT, zs_send(self->fd, self->tx, ~0U, 0, 1, 0, 0, NULL));
	/* A freed handle. */
	ASSERT_EQ(0, zt_alloc(self->fd, ZCDEV_BUF_PAGES, 1, &b));
	ASSERT_EQ(0, zt_free(self->fd, b.handle));
	EXPECT_EQ(-ENOENT, zs_send(self->fd, self->tx, b.handle, 0, 1, 0, 0,
				   NULL));
	expect_nothing_sent(_metadata, self);
}

/* Handles are per file: another file's handle is unknown here. */
TEST_F(err, other_files_handle_is_enoent)
{
	struct zcdev_alloc b;
	int other = zt_open();
	__u32 h;

	ASSERT_LE(0, other);
	/* Make the other file's handle one this file does not have. */
	ASSERT_EQ(0, zt_alloc(other, ZCDEV_BUF_PAGES, 1, &b));
	ASSERT_EQ(0, zt_alloc(other, ZCDEV_BUF_PAGES, 1, &b));
	h = b.handle;
	if (h == self->a.handle)
		SKIP(return, "handles coincide");
	EXPECT_EQ(-ENOENT, zs_send(self->fd, self->tx, h, 0, 1, 0, 0, NULL));
	close(other);
	expect_nothing_sent(_metadata, self);
}

TEST_F(err, coherent_buffer_is_eopnotsupp)
{
	struct zcdev_alloc c;

	if (!(self->info.features & ZCDEV_FEAT_COHERENT))
		SKIP(return, "module lacks coherent buffers");
	ASSERT_EQ(0, zt_alloc(self->fd, ZCDEV_BUF_COHERENT, self->page, &c));
	EXPECT_EQ(-EOPNOTSUPP, zs_send(self->fd, self->tx, c.handle, 0, 100,
				       0, 0, NULL));
	expect_nothing_sent(_metadata, self);
}

/* ---- send_queue_depth ---- */

/* The depth, or SKIP when it is unknown or too deep to fill quickly. */
#define NEED_DEPTH(depth) do { \
	(depth) = zs_module_param("send_queue_depth"); \
	if ((depth) < 1 || (depth) > 4096) \
		SKIP(return, "send_queue_depth %lld: unknown or over 4096", \
		     (long long)(depth)); \
} while (0)

/* Completed but unreaped sends count: UDP completes at once on loopback. */
TEST_F_TIMEOUT(err, queue_depth_counts_unreaped_completions, 120)
{
	struct zcdev_send_completion c;
	struct zcdev_reap r;
	long long depth, i, got = 0;
	static int utx, urx;
	char b[8];

	NEED_DEPTH(depth);
	ASSERT_EQ(0, zs_udp_pair(AF_INET, &utx, &urx));
	for (i = 0; i < depth; i++)
		ASSERT_EQ(0, zs_send_track(&self->t, self->fd, utx,
					   self->a.handle, i % 4096, 1, 0, i,
					   NULL))
			TH_LOG("send %lld of %lld", i + 1, depth);
	EXPECT_EQ(-EBUSY, zs_send(self->fd, utx, self->a.handle, 0, 1, 0, 0,
				  NULL));
	/* The refused send sent nothing: depth datagrams, no more. */
	while (recv(urx, b, sizeof(b), MSG_DONTWAIT) == 1)
		got++;
	EXPECT_EQ(depth, got);
	/* Reaping one makes room for one. */
	ASSERT_EQ(0, zs_reap(self->fd, &c, 1, ZCDEV_DEADLINE_NEVER, &r));
	ASSERT_EQ(1U, r.nr);
	zs_track_note(&self->t, &c);
	EXPECT_EQ(0, zs_send_track(&self->t, self->fd, utx, self->a.handle,
				   0, 1, 0, depth, NULL));
	EXPECT_EQ(-EBUSY, zs_send(self->fd, utx, self->a.handle, 0, 1, 0, 0,
				  NULL));
	ZS_EXPECT_COMPLETIONS_EXACT(&self->t, self->fd, 128, 20000);
	close(utx);
	close(urx);
}

/*
 * Sends the stack still holds count: a receiver that does not read keeps
 * everything queued behind a closed window.
 */
TEST_F_TIMEOUT(err, queue_depth_counts_sends_in_flight, 120)
{
	struct zcdev_send_completion c[128];
	struct zcdev_alloc big;
	struct zs_rx rx;
	struct zs_seg *segs;
	struct zcdev_reap r;
	long long depth, i;
	int gate[2];
	void *p;

	NEED_DEPTH(depth);
	p = zs_new_buf(self->fd, ZCDEV_BUF_PAGES, 64 * 1024, SEED, &big);
	ASSERT_NE(NULL, p);
	segs = calloc(depth, sizeof(*segs));
	ASSERT_NE(NULL, segs);
	close(self->tx);
	close(self->rx);
	self->tx = self->rx = -1;
	ASSERT_EQ(0, zs_tcp_pair(AF_INET, &self->tx, &self->rx, 4096, 0));
	if (zs_setint(self->tx, SOL_SOCKET, SO_SNDBUFFORCE, 64 << 20))
		SKIP(return, "SO_SNDBUFFORCE needs CAP_NET_ADMIN");
	ASSERT_EQ(0, pipe2(gate, O_CLOEXEC));
	/* The first send fills the window, the others queue behind it. */
	for (i = 0; i < depth; i++) {
		struct zcdev_send s;

		segs[i].off = i ? i % 4096 : 0;
		segs[i].len = i ? 1 : 64 * 1024;
		ASSERT_EQ(0, zs_send_track(&self->t, self->fd, self->tx,
					   big.handle, segs[i].off,
					   segs[i].len, ZCDEV_SEND_DONTWAIT,
					   i, &s))
			TH_LOG("send %lld of %lld", i + 1, depth);
		ASSERT_EQ(segs[i].len, s.bytes);
	}
	EXPECT_EQ(-EBUSY, zs_send(self->fd, self->tx, self->a.handle, 0, 1,
				  ZCDEV_SEND_DONTWAIT, 0, NULL));
	/* In flight plus done adds up to the depth; most are in flight. */
	ASSERT_EQ(0, zs_reap(self->fd, c, 128, 0, &r));
	for (i = 0; i < r.nr; i++)
		zs_track_note(&self->t, &c[i]);
	EXPECT_EQ((__u64)depth, r.nr + r.pending);
	EXPECT_LT((__u64)depth / 2, r.pending);
	TH_LOG("at EBUSY: %llu in flight, %u done", (unsigned long long)r.pending,
	       r.nr);

	/* Let the receiver read: everything arrives, each completes once. */
	zs_rx_init(&rx, self->rx, SEED, segs, depth);
	rx.gate = gate[0];
	ASSERT_EQ(0, zs_rx_start(&rx));
	ASSERT_EQ(1, write(gate[1], "g", 1));
	zs_rx_join(&rx);
	EXPECT_TRUE(zs_rx_ok(&rx)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&rx));
	ZS_EXPECT_COMPLETIONS_EXACT(&self->t, self->fd, 128, 20000);
	close(gate[0]);
	close(gate[1]);
	free(segs);
	munmap(p, big.buf_len);
}

TEST_HARNESS_MAIN
