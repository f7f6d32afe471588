// SPDX-License-Identifier: GPL-2.0
/*
 * A send in flight holds zcdev.ko: its completion callback is module code
 * the network stack will call, so delete_module() must fail while the
 * stack holds the pages, even after
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
	unsigned long val;

	return zt_read_ulong("/sys/module/" MOD_NAME "/refcnt", &val) ? -1 :
	       (long)val;
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
	struct zs_held h;
};

FIXTURE_SETUP(hold)
{
	zs_held_init(&self->h);
	if (!module_loaded())
		ZT_SETUP_SKIP("module %s is not loaded", MOD_NAME);
	self->ref0 = refcnt();
	if (self->ref0 < 0)
		ZT_SETUP_SKIP("no /sys/module/%s/refcnt (CONFIG_MODULE_UNLOAD)",
			      MOD_NAME);
	read_params(self->params, sizeof(self->params));
	ZS_SETUP_OPEN(&self->h.fd, &self->h.info);
	ASSERT_EQ(0, zs_held_setup(&self->h, BUF_LEN, SEED, BUF_LEN));
}

/* Whatever happened, leave the module loaded with its parameters. */
FIXTURE_TEARDOWN(hold)
{
	int ret;

	zs_held_teardown(&self->h);
	if (!module_loaded()) {
		ret = reload_module(self->params);
		EXPECT_EQ(0, ret) TH_LOG("reload %s: %s", ko_path(),
					 strerror(-ret));
	}
	EXPECT_TRUE(module_loaded());
}

/* @n non-blocking sends the receiver keeps queued until the gate opens. */
static void send_held(struct __test_metadata *_metadata,
		      FIXTURE_DATA(hold) *self, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		__u64 len = i ? 1 : 32 * 1024;
		struct zcdev_send s;

		ASSERT_EQ(0, zs_held_send(&self->h, i ? i : 7, len, i, &s));
		ASSERT_EQ(len, s.bytes);
	}
	ASSERT_EQ(0, zs_held_start_rx(&self->h));
	ASSERT_EQ((__u64)n, zs_pending_now(self->h.fd, &self->h.t))
		TH_LOG("the sends are not in flight: the test proves nothing");
}

TEST_F(hold, unload_refused_while_only_a_send_holds_the_module)
{
	int ret;

	send_held(_metadata, self, 1);
	/* Buffer, mapping and file gone: only the send is left. */
	ASSERT_EQ(0, zt_free(self->h.fd, self->h.a.handle));
	ASSERT_EQ(0, munmap(self->h.p, self->h.a.buf_len));
	self->h.p = NULL;
	ASSERT_EQ(0, close(self->h.fd));
	self->h.fd = -1;
	EXPECT_EQ(self->ref0 + 1, refcnt());

	ret = delete_module(MOD_NAME);
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY)
		TH_LOG("delete_module with a send in flight: %s",
		       ret ? strerror(-ret) : "unloaded");
	EXPECT_TRUE(module_loaded());

	/* The send finishes: data intact, the module is let go. */
	ZS_EXPECT_HELD_ARRIVES(&self->h);
	EXPECT_TRUE(refcnt_becomes(self->ref0, 5000))
		TH_LOG("refcnt %ld, was %ld", refcnt(), self->ref0);
}

/* One reference per send in flight, dropped at completion, reaped or not. */
TEST_F(hold, refcnt_counts_sends_in_flight)
{
	EXPECT_EQ(self->ref0 + 1, refcnt());	/* our open file */
	send_held(_metadata, self, 5);
	EXPECT_EQ(self->ref0 + 1 + 5, refcnt());
	ZS_EXPECT_HELD_ARRIVES(&self->h);
	/* Completed, not reaped: only the file holds the module now. */
	EXPECT_TRUE(refcnt_becomes(self->ref0 + 1, 5000))
		TH_LOG("refcnt %ld, expected %ld", refcnt(), self->ref0 + 1);
	ZS_EXPECT_COMPLETIONS_EXACT(&self->h.t, self->h.fd, 8, 10000);
	/* The mapping keeps the file open: both go. */
	ASSERT_EQ(0, munmap(self->h.p, self->h.a.buf_len));
	self->h.p = NULL;
	ASSERT_EQ(0, close(self->h.fd));
	self->h.fd = -1;
	EXPECT_TRUE(refcnt_becomes(self->ref0, 5000))
		TH_LOG("refcnt %ld, was %ld", refcnt(), self->ref0);
}

TEST_HARNESS_MAIN
