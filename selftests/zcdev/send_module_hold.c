// SPDX-License-Identifier: GPL-2.0
/*
 * A send in flight holds zcdev.ko (ENGINEERING.md 4.6, 4.9): its
 * completion callback is module code the network stack will call, so
 * delete_module() must fail while the stack holds the pages, even after
 * the zcdev file, the buffer and its mapping are all gone. The module's
 * reference count (/sys/module/zcdev/refcnt) follows: one per send in
 * flight, dropped at its completion whether or not it is reaped.
 *
 * This binary touches the module: list it right before module_lifetime.
 * If a test ever manages to unload the module, the teardown loads it back
 * (from ZCDEV_KO, default /opt/zcdev/modules/zcdev.ko, with the parameter
 * values it had) so later binaries still find the device.
 */
#include "send_common.h"
#include "zcdev_module.h"

#define SEED		89
#define BUF_LEN		(1 << 20)

/* The module's reference count, or -1. */
static long refcnt(void)
{
	char val[32];
	ssize_t n;
	int fd = open("/sys/module/" MOD_NAME "/refcnt", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, val, sizeof(val) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	val[n] = '\0';
	return strtol(val, NULL, 10);
}

/* Wait up to @ms for the reference count to be @want. */
static bool refcnt_becomes(long want, int ms)
{
	while (refcnt() != want) {
		if (ms <= 0)
			return false;
		usleep(20 * 1000);
		ms -= 20;
	}
	return true;
}

FIXTURE(hold) {
	char params[1024];
	long ref0;		/* refcnt with none of our files open */
	int fd;
	struct zcdev_info info;
	unsigned char *p;
	struct zcdev_alloc a;
	int tx, rx, gate[2];
	struct zs_seg segs[8];
	struct zs_rx r;
	struct zs_track t;
};

FIXTURE_SETUP(hold)
{
	self->fd = self->tx = self->rx = -1;
	self->gate[0] = self->gate[1] = -1;
	if (!module_loaded())
		ZC_SETUP_SKIP("module %s is not loaded", MOD_NAME);
	self->ref0 = refcnt();
	if (self->ref0 < 0)
		ZC_SETUP_SKIP("no /sys/module/%s/refcnt (CONFIG_MODULE_UNLOAD)",
			      MOD_NAME);
	read_params(self->params, sizeof(self->params));
	ZS_SETUP_OPEN(&self->fd, &self->info);
	self->p = zs_new_buf(self->fd, ZCDEV_BUF_PAGES, BUF_LEN, SEED,
			     &self->a);
	ASSERT_NE(NULL, self->p);
	/* Tiny receive window, big send buffer: sends stay queued. */
	ASSERT_EQ(0, zs_tcp_pair(AF_INET, &self->tx, &self->rx, 4096,
				 BUF_LEN));
	ASSERT_EQ(0, pipe2(self->gate, O_CLOEXEC));
}

/* Whatever happened, leave the module loaded with its parameters. */
FIXTURE_TEARDOWN(hold)
{
	int ret;

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
	if (self->p)
		munmap(self->p, self->a.buf_len);
	zs_track_free(&self->t);
	if (self->fd >= 0)
		close(self->fd);
	if (!module_loaded()) {
		ret = load_module(self->params);
		if (ret == -EINVAL && self->params[0])
			ret = load_module("");
		EXPECT_EQ(0, ret) TH_LOG("reload %s: %s", ko_path(),
					 strerror(-ret));
	}
	EXPECT_TRUE(module_loaded());
}

/* @n non-blocking sends the receiver keeps queued until the gate opens. */
static void send_held(struct __test_metadata *_metadata,
		      FIXTURE_DATA(hold) *self, unsigned int n)
{
	struct zcdev_send_completion c;
	struct zcdev_reap r;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct zcdev_send s;

		self->segs[i].off = i ? i : 7;
		self->segs[i].len = i ? 1 : 32 * 1024;
		ASSERT_EQ(0, zs_send_track(&self->t, self->fd, self->tx,
					   self->a.handle, self->segs[i].off,
					   self->segs[i].len,
					   ZCDEV_SEND_DONTWAIT, i, &s));
		ASSERT_EQ(self->segs[i].len, s.bytes);
	}
	zs_rx_init(&self->r, self->rx, SEED, self->segs, n);
	self->r.gate = self->gate[0];
	ASSERT_EQ(0, zs_rx_start(&self->r));
	ASSERT_EQ(0, zs_reap(self->fd, &c, 1, 0, &r));
	ASSERT_EQ(0U, r.nr);
	ASSERT_EQ((__u64)n, r.pending)
		TH_LOG("the sends are not in flight: the test proves nothing");
}

static void release(FIXTURE_DATA(hold) *self)
{
	if (write(self->gate[1], "g", 1) != 1)
		perror("gate");
}

TEST_F(hold, unload_refused_while_only_a_send_holds_the_module)
{
	int ret;

	send_held(_metadata, self, 1);
	/* Buffer, mapping and file gone: only the send is left. */
	ASSERT_EQ(0, zc_free(self->fd, self->a.handle));
	ASSERT_EQ(0, munmap(self->p, self->a.buf_len));
	self->p = NULL;
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_EQ(self->ref0 + 1, refcnt());

	ret = delete_module(MOD_NAME);
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY)
		TH_LOG("delete_module with a send in flight: %s",
		       ret ? strerror(-ret) : "unloaded");
	EXPECT_TRUE(module_loaded());

	/* The send finishes: data intact, the module is let go. */
	release(self);
	zs_rx_join(&self->r);
	EXPECT_TRUE(zs_rx_ok(&self->r)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&self->r));
	EXPECT_TRUE(refcnt_becomes(self->ref0, 5000))
		TH_LOG("refcnt %ld, was %ld", refcnt(), self->ref0);
}

/* One reference per send in flight, dropped at completion, reaped or not. */
TEST_F(hold, refcnt_counts_sends_in_flight)
{
	EXPECT_EQ(self->ref0 + 1, refcnt());	/* our open file */
	send_held(_metadata, self, 5);
	EXPECT_EQ(self->ref0 + 1 + 5, refcnt());
	release(self);
	zs_rx_join(&self->r);
	EXPECT_TRUE(zs_rx_ok(&self->r)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&self->r));
	/* Completed, not reaped: only the file holds the module now. */
	EXPECT_TRUE(refcnt_becomes(self->ref0 + 1, 5000))
		TH_LOG("refcnt %ld, expected %ld", refcnt(), self->ref0 + 1);
	zs_collect(&self->t, self->fd, 8, 10000);
	EXPECT_TRUE(zs_track_exact(&self->t))
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(&self->t));
	/* The mapping keeps the file open: both go. */
	ASSERT_EQ(0, munmap(self->p, self->a.buf_len));
	self->p = NULL;
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_TRUE(refcnt_becomes(self->ref0, 5000))
		TH_LOG("refcnt %ld, was %ld", refcnt(), self->ref0);
}

TEST_HARNESS_MAIN
