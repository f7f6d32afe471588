// SPDX-License-Identifier: GPL-2.0
/*
 * A send keeps its pages alive until the stack lets go of them, whatever
 * userspace does meanwhile: ZCDEV_IOC_FREE, munmap, close of the zcdev
 * file, exit of the process, close of the socket. The receiver gets
 * exactly the bytes the buffer held at send time, the completion still
 * arrives while the file is open, and the memory goes back once the send
 * is done (INFO.total_bytes, read through a second file, returns to where
 * it was).
 *
 * A send is kept in flight by a TCP receiver with a tiny window that does
 * not read until the test lets it (the "held" send, send_common.h); each
 * test checks the send really is in flight (pending 1) before it pulls
 * the rug.
 */
#include "send_common.h"

#define SEED		83
#define SEED_REUSE	84	/* what a recycled page would show */
#define BUF_LEN		(1 << 20)

FIXTURE(life) {
	struct zs_held h;	/* the sending file and its held send */
	int watch;		/* a second file, for INFO.total_bytes */
	__u64 total0;		/* total_bytes before the test */
	void *junk[8];		/* buffers allocated to recycle pages */
	size_t junk_len[8];
};

FIXTURE_SETUP(life)
{
	zs_held_init(&self->h);
	self->watch = -1;
	ZS_SETUP_OPEN(&self->h.fd, &self->h.info);
	self->watch = zt_open();
	ASSERT_LE(0, self->watch);
	self->total0 = zt_total_bytes(self->watch);
	ASSERT_EQ(0, zs_held_setup(&self->h, BUF_LEN, SEED, BUF_LEN / 2));
}

FIXTURE_TEARDOWN(life)
{
	unsigned int i;

	zs_held_teardown(&self->h);
	for (i = 0; i < 8; i++)
		if (self->junk[i])
			munmap(self->junk[i], self->junk_len[i]);
	if (self->watch >= 0)
		close(self->watch);
}

/*
 * One non-blocking send the stack must keep (the receiver waits for the
 * gate), from offset 5 so pages are shared at both ends.
 */
static void send_held(struct __test_metadata *_metadata,
		      FIXTURE_DATA(life) *self)
{
	struct zcdev_send s;

	ASSERT_EQ(0, zs_held_send(&self->h, 5, BUF_LEN - 5, 0x11fe, &s));
	ASSERT_LT(0ULL, s.bytes);
	ASSERT_EQ(0, zs_held_start_rx(&self->h));
	ASSERT_EQ(1ULL, zs_pending_now(self->h.fd, &self->h.t))
		TH_LOG("the send is not in flight: the test proves nothing");
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
	while (zt_total_bytes(self->watch) != self->total0 + extra) {
		if (ms <= 0)
			return false;
		usleep(20 * 1000);
		ms -= 20;
	}
	return true;
}

static void unmap_buf(FIXTURE_DATA(life) *self)
{
	munmap(self->h.p, self->h.a.buf_len);
	self->h.p = NULL;
}

TEST_F(life, free_in_flight_keeps_data)
{
	send_held(_metadata, self);
	ASSERT_EQ(0, zt_free(self->h.fd, self->h.a.handle));
	/* The mapping still shows the same bytes. */
	EXPECT_EQ(-1, zt_check(self->h.p, self->h.a.buf_len, 0, SEED));
	ZS_EXPECT_HELD_ARRIVES(&self->h);
	ZS_EXPECT_COMPLETIONS_EXACT(&self->h.t, self->h.fd, 4, 20000);
	/* The mapping still holds the buffer; after munmap it goes. */
	unmap_buf(self);
	EXPECT_TRUE(memory_returns(self, 0, 5000))
		TH_LOG("total_bytes %llu, was %llu",
		       (unsigned long long)zt_total_bytes(self->watch),
		       (unsigned long long)self->total0);
}

TEST_F(life, free_and_munmap_in_flight_keeps_data)
{
	send_held(_metadata, self);
	ASSERT_EQ(0, zt_free(self->h.fd, self->h.a.handle));
	unmap_buf(self);
	recycle(self, self->watch);
	/* The send holds the buffer: still counted. */
	EXPECT_EQ(self->total0 + 5 * (__u64)BUF_LEN, zt_total_bytes(self->watch));
	ZS_EXPECT_HELD_ARRIVES(&self->h);
	ZS_EXPECT_COMPLETIONS_EXACT(&self->h.t, self->h.fd, 4, 20000);
	EXPECT_EQ(self->h.t.nr, self->h.t.copied);
	/* Completed: the freed buffer's memory is gone, the junk stays. */
	EXPECT_TRUE(memory_returns(self, 4 * (__u64)BUF_LEN, 5000))
		TH_LOG("total_bytes %llu, expected %llu",
		       (unsigned long long)zt_total_bytes(self->watch),
		       (unsigned long long)self->total0 + 4 * BUF_LEN);
}

TEST_F(life, munmap_in_flight_keeps_data)
{
	send_held(_metadata, self);
	unmap_buf(self);
	ZS_EXPECT_HELD_ARRIVES(&self->h);
	ZS_EXPECT_COMPLETIONS_EXACT(&self->h.t, self->h.fd, 4, 20000);
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
	ASSERT_EQ(0, close(self->h.fd));
	self->h.fd = -1;
	recycle(self, self->watch);
	EXPECT_EQ(self->total0 + 5 * (__u64)BUF_LEN, zt_total_bytes(self->watch));
	ZS_EXPECT_HELD_ARRIVES(&self->h);
	EXPECT_TRUE(memory_returns(self, 4 * (__u64)BUF_LEN, 5000))
		TH_LOG("total_bytes %llu, expected %llu",
		       (unsigned long long)zt_total_bytes(self->watch),
		       (unsigned long long)self->total0 + 4 * BUF_LEN);
}

/* Same with the file's buffer freed first and a completion unreaped. */
TEST_F(life, close_file_with_unreaped_and_in_flight_sends)
{
	static int qtx, qrx;

	ASSERT_EQ(0, zs_tcp_pair(AF_INET, &qtx, &qrx, 0, 0));
	/* One that completes at once and is never reaped. */
	ASSERT_EQ(0, zs_send(self->h.fd, qtx, self->h.a.handle, 0, 100, 0, 0,
			     NULL));
	send_held(_metadata, self);
	ASSERT_EQ(0, zt_free(self->h.fd, self->h.a.handle));
	unmap_buf(self);
	ASSERT_EQ(0, close(self->h.fd));
	self->h.fd = -1;
	ZS_EXPECT_HELD_ARRIVES(&self->h);
	EXPECT_TRUE(memory_returns(self, 0, 5000))
		TH_LOG("total_bytes %llu, was %llu",
		       (unsigned long long)zt_total_bytes(self->watch),
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
	struct zs_seg seg = { .off = 5 };
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
		int fd = zt_open(), sock;

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
	EXPECT_EQ(0, zt_wait(pid));
	ASSERT_LT(0ULL, bytes);

	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_LE(0, s);
	close(l);
	zs_timeouts(s, ZS_RX_TIMEOUT_S);
	seg.len = bytes;
	zs_rx_init(&self->h.r, s, SEED, &seg, 1);
	self->h.r.want_eof = true;
	zs_rx_run(&self->h.r);
	EXPECT_TRUE(zs_rx_ok(&self->h.r))
		TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&self->h.r));
	close(s);
	/* The dead process's buffer is gone once the send is. */
	EXPECT_TRUE(memory_returns(self, BUF_LEN, 5000))
		TH_LOG("total_bytes %llu, expected %llu",
		       (unsigned long long)zt_total_bytes(self->watch),
		       (unsigned long long)self->total0 + BUF_LEN);
}

/* The sending socket closed with data queued: sent, then completed. */
TEST_F(life, socket_closed_with_data_queued_still_completes)
{
	send_held(_metadata, self);
	ASSERT_EQ(0, close(self->h.tx));
	self->h.tx = -1;
	self->h.r.want_eof = true;
	ZS_EXPECT_HELD_ARRIVES(&self->h);
	ZS_EXPECT_COMPLETIONS_EXACT(&self->h.t, self->h.fd, 4, 20000);
}

/*
 * Queued data thrown away (an abortive close: SO_LINGER 0 sends a RST and
 * purges the queue) still completes, with the bytes the send accepted.
 */
TEST_F(life, queued_data_discarded_still_completes)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	send_held(_metadata, self);
	ASSERT_EQ(0, setsockopt(self->h.tx, SOL_SOCKET, SO_LINGER, &lg,
				sizeof(lg)));
	ASSERT_EQ(0, close(self->h.tx));
	self->h.tx = -1;
	ZS_EXPECT_COMPLETIONS_EXACT(&self->h.t, self->h.fd, 4, 20000);
	EXPECT_EQ(self->h.t.nr, self->h.t.copied);
	/* The receiver sees a reset, not wrong bytes. */
	zs_held_release(&self->h);
	zs_rx_join(&self->h.r);
	EXPECT_GT(self->h.segs[0].len, self->h.r.got);
	EXPECT_EQ(-1, self->h.r.bad_at);
}

/* Both ends closed, nothing ever read: the completion still comes. */
TEST_F(life, both_ends_closed_unread_still_completes)
{
	send_held(_metadata, self);
	ASSERT_EQ(0, close(self->h.tx));
	self->h.tx = -1;
	/* The receiver thread waits on the gate; take its socket away. */
	close(self->h.gate[1]);
	self->h.gate[1] = -1;
	zs_rx_join(&self->h.r);
	ASSERT_EQ(0, close(self->h.rx));
	self->h.rx = -1;
	ZS_EXPECT_COMPLETIONS_EXACT(&self->h.t, self->h.fd, 4, 20000);
}

TEST_HARNESS_MAIN
