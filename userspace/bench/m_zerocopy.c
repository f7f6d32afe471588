// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: user memory -> TCP socket, copied (write) and MSG_ZEROCOPY.
 *
 * Both send the same anonymous memory, loaded with the file once outside
 * the clock (the broker whose messages are already in memory), so the
 * only difference is the copy and its price: pinning pages, and reading
 * completions from the socket's error queue. The completions say, per
 * range of sends, whether the stack copied after all
 * (SO_EE_CODE_ZEROCOPY_COPIED): always, on loopback.
 */
#include <errno.h>
#include <time.h>		/* before errqueue.h, which uses timespec */
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zcbench.h"

#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY	60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY	0x4000000
#endif

/* Completions must come once the peer has ACKed; longer means stuck. */
#define ZC_WAIT_MS	20000

static inline size_t chunk(const struct run *r, uint64_t off)
{
	uint64_t left = r->size - off;

	return left < r->bufsize ? left : r->bufsize;
}

static int mem_setup(struct run *r)
{
	return zb_mem_load(r);
}

static void mem_teardown(struct run *r)
{
	zb_mem_free(r);
}

/* ---- write() from user memory: the copying peer ---- */

static int send_xfer(struct run *r)
{
	uint64_t off;
	int err = 0;

	for (off = 0; off < r->size && !err; off += chunk(r, off))
		err = sc_write_all(r, r->sock[0], r->mem + off, chunk(r, off));
	return err ? zb_fail(r, "write: %s", strerror(-err)) : 0;
}

static const struct method send_m = {
	.name = "send", .workload = "file2sock",
	.desc = "write() --bufsize pieces of user memory (the copying peer of msgzc, uring_*)",
	.source = "user memory (file loaded once)", .needs = NEED_SOCK,
	.receivers = 1, .setup = mem_setup, .xfer = send_xfer,
	.teardown = mem_teardown,
};

/* ---- MSG_ZEROCOPY ---- */

struct zc_track {
	uint32_t *bytes;	/* per send id: bytes that send took */
	uint32_t nsent, cap;
	uint32_t ndone;
};

/* Reads every notification waiting; returns 0 or -errno. */
static int reap_errqueue(struct run *r, struct zc_track *t)
{
	char control[128];
	struct msghdr msg;
	struct cmsghdr *cm;
	struct sock_extended_err *serr;
	uint32_t id;

	for (;;) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		sc_count(r, 1);
		if (recvmsg(r->sock[0], &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (!((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) ||
			      (cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_RECVERR)))
				continue;
			serr = (void *)CMSG_DATA(cm);
			if (serr->ee_origin != SO_EE_ORIGIN_ZEROCOPY)
				return serr->ee_errno ? -(int)serr->ee_errno : -EIO;
			/* [ee_info, ee_data] inclusive; ids wrap at 2^32. */
			for (id = serr->ee_info; ; id++) {
				uint64_t b = id < t->nsent ? t->bytes[id] : 0;

				if (serr->ee_code & SO_EE_CODE_ZEROCOPY_COPIED)
					r->cnt.copied_bytes += b;
				else
					r->cnt.zc_bytes += b;
				t->ndone++;
				if (id == serr->ee_data)
					break;
			}
		}
	}
}

static int wait_errqueue(struct run *r, struct zc_track *t)
{
	struct pollfd p = { .fd = r->sock[0], .events = 0 };
	int n;

	sc_count(r, 1);
	n = poll(&p, 1, ZC_WAIT_MS);
	if (n == 0)
		return zb_fail(r, "MSG_ZEROCOPY: %u of %u completions after %d s",
			       t->ndone, t->nsent, ZC_WAIT_MS / 1000);
	if (n < 0 && errno != EINTR)
		return -errno;
	return reap_errqueue(r, t);
}

static int msgzc_xfer(struct run *r)
{
	struct zc_track t = { 0 };
	uint64_t off = 0;
	int one = 1, err = 0;
	ssize_t n;

	sc_count(r, 1);
	if (setsockopt(r->sock[0], SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)))
		return zb_fail(r, "SO_ZEROCOPY: %s", strerror(errno));
	t.cap = r->size / r->bufsize + 64;
	t.bytes = calloc(t.cap, sizeof(*t.bytes));
	if (!t.bytes)
		return -ENOMEM;
	r->cnt.sends = 0;
	while (off < r->size && !err) {
		sc_count(r, 1);
		n = send(r->sock[0], r->mem + off, chunk(r, off), MSG_ZEROCOPY);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* Too many notifications outstanding (optmem): reap first. */
			if (errno == ENOBUFS) {
				err = wait_errqueue(r, &t);
				continue;
			}
			err = zb_fail(r, "send(MSG_ZEROCOPY): %s", strerror(errno));
			break;
		}
		if (t.nsent == t.cap) {
			t.cap *= 2;
			t.bytes = realloc(t.bytes, t.cap * sizeof(*t.bytes));
			if (!t.bytes)
				return -ENOMEM;
		}
		t.bytes[t.nsent++] = n;
		r->cnt.sends++;
		off += n;
		/* Keep the queue short, as a server would, without blocking. */
		if (t.nsent - t.ndone > 32)
			err = reap_errqueue(r, &t);
	}
	/* The pages are the sender's again only when every send completed. */
	while (!err && t.ndone < t.nsent)
		err = wait_errqueue(r, &t);
	free(t.bytes);
	return err;
}

static const struct method msgzc = {
	.name = "msgzc", .workload = "file2sock",
	.desc = "send(MSG_ZEROCOPY) --bufsize pieces of user memory, completions from the error queue",
	.source = "user memory (file loaded once)", .needs = NEED_SOCK,
	.receivers = 1, .zc = true, .setup = mem_setup, .xfer = msgzc_xfer,
	.teardown = mem_teardown,
};

const struct method *const m_zerocopy[] = { &send_m, &msgzc, NULL };
