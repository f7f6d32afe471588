// SPDX-License-Identifier: GPL-2.0
/*
 * A send keeps its pages alive until the stack lets go of them, whatever
 * userspace does meanwhile (ENGINEERING.md 4.9): ZCDEV_IOC_FREE, munmap,
 * close of the zcdev file, exit of the process, close of the socket. The
 * receiver gets exactly the bytes the buffer held at send time, the
 * completion still arrives while the file is open, and the memory goes
 * back once the send is done (INFO.total_bytes, read through a second
 * file, returns to where it was).
 *
 * A send is kept in flight by a TCP receiver with a tiny window that does
 * not read until the test lets it (the "held" send); each test checks the
 * send really is in flight (pending 1) before it pulls the rug.
 */
#include "send_common.h"

#define SEED		83
#define SEED_REUSE	84	/* what a recycled page would show */
#define BUF_LEN		(1 << 20)

FIXTURE(life) {
	int fd;			/* the sending file */
	int watch;		/* a second file, for INFO.total_bytes */
	struct zcdev_info info;
	__u64 total0;		/* total_bytes before the test */
	unsigned char *p;
	struct zcdev_alloc a;
	int tx, rx, gate[2];
	struct zs_seg seg;
	struct zs_rx r;
	struct zs_track t;
	void *junk[8];		/* buffers allocated to recycle pages */
	size_t junk_len[8];
};

static __u64 total_bytes(int fd)
{
	struct zcdev_info info;

	return zc_info(fd, &info) ? ~0ULL : info.total_bytes;
}

FIXTURE_SETUP(life)
{
	self->fd = self->watch = self->tx = self->rx = -1;
	self->gate[0] = self->gate[1] = -1;
	ZS_SETUP_OPEN(&self->fd, &self->info);
	self->watch = zc_open();
	ASSERT_LE(0, self->watch);
	self->total0 = total_bytes(self->watch);
	self->p = zs_new_buf(self->fd, ZCDEV_BUF_PAGES, BUF_LEN, SEED,
			     &self->a);
	ASSERT_NE(NULL, self->p);
	ASSERT_EQ(0, zs_tcp_pair(AF_INET, &self->tx, &self->rx, 4096,
				 BUF_LEN / 2));
	ASSERT_EQ(0, pipe2(self->gate, O_CLOEXEC));
}

FIXTURE_TEARDOWN(life)
{
	unsigned int i;

	if (self->gate[1] >= 0)
		close(self->gate[1]);
	if (self->tx >= 0)
		close(self->tx);
	if (self->rx >= 0)
		shutdown(self->rx, SHUT_RDWR);
	zs_rx_join(&self->r);
	if (self->rx >= 0)
		close(self->rx);
	if (self->gate[0] >= 0)
		close(self->gate[0]);
	for (i = 0; i < 8; i++)
		if (self->junk[i])
			munmap(self->junk[i], self->junk_len[i]);
	if (self->p)
		munmap(self->p, self->a.buf_len);
	zs_track_free(&self->t);
	if (self->fd >= 0)
		close(self->fd);
	if (self->watch >= 0)
		close(self->watch);
}

/* pending now, noting a completion the reap takes; ~0 on error. */
static __u64 pending_now(FIXTURE_DATA(life) *self)
{
	struct zcdev_send_completion c;
	struct zcdev_reap r;

	if (zs_reap(self->fd, &c, 1, 0, &r))
		return ~0ULL;
	if (r.nr)
		zs_track_note(&self->t, &c);
	return r.pending;
}

/*
 * One non-blocking send the stack must keep (the receiver waits for the
 * gate), from offset 5 so pages are shared at both ends.
 */
static void send_held(struct __test_metadata *_metadata,
		      FIXTURE_DATA(life) *self)
{
	struct zcdev_send s;

	ASSERT_EQ(0, zs_send_track(&self->t, self->fd, self->tx,
				   self->a.handle, 5, BUF_LEN - 5,
				   ZCDEV_SEND_DONTWAIT, 0x11fe, &s));
	ASSERT_LT(0ULL, s.bytes);
	self->seg.off = 5;
	self->seg.len = s.bytes;
	zs_rx_init(&self->r, self->rx, SEED, &self->seg, 1);
	self->r.gate = self->gate[0];
	ASSERT_EQ(0, zs_rx_start(&self->r));
	ASSERT_EQ(1ULL, pending_now(self))
		TH_LOG("the send is not in flight: the test proves nothing");
}

static void release(FIXTURE_DATA(life) *self)
{
	if (write(self->gate[1], "g", 1) != 1)
		perror("gate");
}

/*
 * Allocate and fill other buffers the size of the freed one, so freed
 * pages would be reused and overwritten if the send had not held them.
 */
static void recycle(FIXTURE_DATA(life) *self, int fd)
{
	struct zcdev_alloc b;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		self->junk[i] = zs_new_buf(fd, ZCDEV_BUF_PAGES, BUF_LEN,
					   SEED_REUSE, &b);
		self->junk_len[i] = b.buf_len;
	}
}

/* Wait up to @ms for INFO.total_bytes to be back at the start value. */
static bool memory_returns(FIXTURE_DATA(life) *self, __u64 extra, int ms)
{
	while (total_bytes(self->watch) != self->total0 + extra) {
		if (ms <= 0)
			return false;
		usleep(20 * 1000);
		ms -= 20;
	}
	return true;
}

static void unmap_buf(FIXTURE_DATA(life) *self)
{
	munmap(self->p, self->a.buf_len);
	self->p = NULL;
}

TEST_F(life, free_in_flight_keeps_data)
{
	send_held(_metadata, self);
	ASSERT_EQ(0, zc_free(self->fd, self->a.handle));
	/* The mapping still shows the same bytes. */
	EXPECT_EQ(-1, zc_check(self->p, self->a.buf_len, 0, SEED));
	release(self);
	zs_rx_join(&self->r);
	EXPECT_TRUE(zs_rx_ok(&self->r)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&self->r));
	zs_collect(&self->t, self->fd, 4, 20000);
	EXPECT_TRUE(zs_track_exact(&self->t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->t));
	/* The mapping still holds the buffer; after munmap it goes. */
	unmap_buf(self);
	EXPECT_TRUE(memory_returns(self, 0, 5000))
		TH_LOG("total_bytes %llu, was %llu",
		       (unsigned long long)total_bytes(self->watch),
		       (unsigned long long)self->total0);
}

TEST_F(life, free_and_munmap_in_flight_keeps_data)
{
	send_held(_metadata, self);
	ASSERT_EQ(0, zc_free(self->fd, self->a.handle));
	unmap_buf(self);
	recycle(self, self->watch);
	/* The send holds the buffer: still counted. */
	EXPECT_EQ(self->total0 + 5 * (__u64)BUF_LEN, total_bytes(self->watch));
	release(self);
	zs_rx_join(&self->r);
	EXPECT_TRUE(zs_rx_ok(&self->r)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&self->r));
	zs_collect(&self->t, self->fd, 4, 20000);
	EXPECT_TRUE(zs_track_exact(&self->t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->t));
	EXPECT_EQ(self->t.nr, self->t.copied);
	/* Completed: the freed buffer's memory is gone, the junk stays. */
	EXPECT_TRUE(memory_returns(self, 4 * (__u64)BUF_LEN, 5000))
		TH_LOG("total_bytes %llu, expected %llu",
		       (unsigned long long)total_bytes(self->watch),
		       (unsigned long long)self->total0 + 4 * BUF_LEN);
}

TEST_F(life, munmap_in_flight_keeps_data)
{
	send_held(_metadata, self);
	unmap_buf(self);
	release(self);
	zs_rx_join(&self->r);
	EXPECT_TRUE(zs_rx_ok(&self->r)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&self->r));
	zs_collect(&self->t, self->fd, 4, 20000);
	EXPECT_TRUE(zs_track_exact(&self->t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->t));
}

/*
 * Closing the zcdev file with a send in flight: no completion can be
 * reaped any more, but the data arrives intact and the memory goes once
 * the stack lets go.
 */
TEST_F(life, close_file_in_flight_keeps_data_then_frees)
{
	send_held(_metadata, self);
	unmap_buf(self);
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	recycle(self, self->watch);
	EXPECT_EQ(self->total0 + 5 * (__u64)BUF_LEN, total_bytes(self->watch));
	release(self);
	zs_rx_join(&self->r);
	EXPECT_TRUE(zs_rx_ok(&self->r)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&self->r));
	EXPECT_TRUE(memory_returns(self, 4 * (__u64)BUF_LEN, 5000))
		TH_LOG("total_bytes %llu, expected %llu",
		       (unsigned long long)total_bytes(self->watch),
		       (unsigned long long)self->total0 + 4 * BUF_LEN);
}

/* Same with the file's buffer freed first and a completion unreaped. */
TEST_F(life, close_file_with_unreaped_and_in_flight_sends)
{
	static int qtx, qrx;

	ASSERT_EQ(0, zs_tcp_pair(AF_INET, &qtx, &qrx, 0, 0));
	/* One that completes at once and is never reaped. */
	ASSERT_EQ(0, zs_send(self->fd, qtx, self->a.handle, 0, 100, 0, 0,
			     NULL));
	send_held(_metadata, self);
	ASSERT_EQ(0, zc_free(self->fd, self->a.handle));
	unmap_buf(self);
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	release(self);
	zs_rx_join(&self->r);
	EXPECT_TRUE(zs_rx_ok(&self->r)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&self->r));
	EXPECT_TRUE(memory_returns(self, 0, 5000))
		TH_LOG("total_bytes %llu, was %llu",
		       (unsigned long long)total_bytes(self->watch),
		       (unsigned long long)self->total0);
	close(qtx);
	close(qrx);
}

/*
 * The sending process exits with a send in flight (nothing closed by
 * hand); the parent, holding the receiving end, reads everything later.
 */
TEST_F(life, process_exit_in_flight_keeps_data)
{
	int l, s, port, res[2];
	__u64 bytes = 0;
	pid_t pid;

	l = zs_tcp_listen(AF_INET, NULL, 4096);
	ASSERT_LE(0, l);
	port = zs_port_of(l);
	ASSERT_EQ(0, pipe2(res, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct zcdev_send st;
		struct zcdev_alloc a;
		int fd = zc_open(), sock;

		if (fd < 0 || !zs_new_buf(fd, ZCDEV_BUF_PAGES, BUF_LEN, SEED,
					  &a))
			_exit(1);
		sock = zs_tcp_connect(AF_INET, NULL, port, BUF_LEN / 2);
		if (sock < 0 || zs_send(fd, sock, a.handle, 5, BUF_LEN - 5,
					ZCDEV_SEND_DONTWAIT, 0, &st))
			_exit(2);
		if (write(res[1], &st.bytes, sizeof(st.bytes)) !=
		    sizeof(st.bytes))
			_exit(3);
		_exit(0);	/* file, mapping and socket go with us */
	}
	close(res[1]);
	EXPECT_EQ((ssize_t)sizeof(bytes), read(res[0], &bytes, sizeof(bytes)));
	close(res[0]);
	EXPECT_EQ(0, zc_wait(pid));
	ASSERT_LT(0ULL, bytes);

	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_LE(0, s);
	close(l);
	zs_timeouts(s, ZS_RX_TIMEOUT_S);
	self->seg.off = 5;
	self->seg.len = bytes;
	zs_rx_init(&self->r, s, SEED, &self->seg, 1);
	self->r.want_eof = true;
	zs_rx_run(&self->r);
	EXPECT_TRUE(zs_rx_ok(&self->r)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&self->r));
	close(s);
	/* The dead process's buffer is gone once the send is. */
	EXPECT_TRUE(memory_returns(self, BUF_LEN, 5000))
		TH_LOG("total_bytes %llu, expected %llu",
		       (unsigned long long)total_bytes(self->watch),
		       (unsigned long long)self->total0 + BUF_LEN);
}

/* The sending socket closed with data queued: sent, then completed. */
TEST_F(life, socket_closed_with_data_queued_still_completes)
{
	send_held(_metadata, self);
	ASSERT_EQ(0, close(self->tx));
	self->tx = -1;
	self->r.want_eof = true;
	release(self);
	zs_rx_join(&self->r);
	EXPECT_TRUE(zs_rx_ok(&self->r)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&self->r));
	zs_collect(&self->t, self->fd, 4, 20000);
	EXPECT_TRUE(zs_track_exact(&self->t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->t));
}

/*
 * Queued data thrown away (an abortive close: SO_LINGER 0 sends a RST and
 * purges the queue) still completes, with the bytes the send accepted.
 */
TEST_F(life, queued_data_discarded_still_completes)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	send_held(_metadata, self);
	ASSERT_EQ(0, setsockopt(self->tx, SOL_SOCKET, SO_LINGER, &lg,
				sizeof(lg)));
	ASSERT_EQ(0, close(self->tx));
	self->tx = -1;
	zs_collect(&self->t, self->fd, 4, 20000);
	EXPECT_TRUE(zs_track_exact(&self->t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->t));
	EXPECT_EQ(self->t.nr, self->t.copied);
	/* The receiver sees a reset, not wrong bytes. */
	release(self);
	zs_rx_join(&self->r);
	EXPECT_GT(self->seg.len, self->r.got);
	EXPECT_EQ(-1, self->r.bad_at);
}

/* Both ends closed, nothing ever read: the completion still comes. */
TEST_F(life, both_ends_closed_unread_still_completes)
{
	send_held(_metadata, self);
	ASSERT_EQ(0, close(self->tx));
	self->tx = -1;
	/* The receiver thread waits on the gate; take its socket away. */
	close(self->gate[1]);
	self->gate[1] = -1;
	zs_rx_join(&self->r);
	ASSERT_EQ(0, close(self->rx));
	self->rx = -1;
	zs_collect(&self->t, self->fd, 4, 20000);
	EXPECT_TRUE(zs_track_exact(&self->t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->t));
}

TEST_HARNESS_MAIN
