// SPDX-License-Identifier: GPL-2.0
/*
 * zcctl send: a buffer's pages into a socket without copying
 * (ZCDEV_IOC_SEND), and the proof of what happened to them: every send
 * must come back as exactly one completion (ZCDEV_IOC_SEND_REAP), whose
 * ZCDEV_COMPL_COPIED flag says whether the stack copied after all. The
 * same bytes can go through sendfile(2) from /dev/zcdev instead, for
 * comparison. The data is the test pattern, so 'zcctl recv' at the other
 * end checks every byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/sockios.h>
#include <unistd.h>

#include "zcctl.h"

static const char help[] =
"usage: zcctl send --sock tcp|udp|tcp6|udp6 --to ADDR:PORT --size SIZE\n"
"                  [--chunk SIZE] [--more] [--offset OFF] [--seed SEED]\n"
"                  [--sendfile] [--wait MS] [--timeout MS]\n"
"\n"
"Allocate a PAGES buffer, fill it with the test pattern of SEED, connect to\n"
"ADDR:PORT and send SIZE bytes of it, starting at buffer offset OFF, in\n"
"chunks with ZCDEV_IOC_SEND (the pages go to the stack by reference).\n"
"Then reap every completion (poll on the device + ZCDEV_IOC_SEND_REAP) and\n"
"print the sends, the completions, how many said zero-copy and how many\n"
"said copied (ZCDEV_COMPL_COPIED), with their bytes, and the rate up to\n"
"the last completion. Each send must complete exactly once: a missing or\n"
"duplicated completion fails the run.\n"
"\n"
"With --sendfile the same bytes go with sendfile(socket, device, &off, len)\n"
"instead (page references through a pipe, no completions); the rate is up\n"
"to when the socket's queue is empty (SIOCOUTQ 0: TCP data acknowledged).\n"
"\n"
"ADDR is numeric: 127.0.0.1:5000, [::1]:5000. At the other end run\n"
"  zcctl recv --sock PROTO --listen PORT --size SIZE [--seed S] [--offset OFF]\n"
"with the same SIZE, SEED and OFF: the pattern depends on the offset.\n"
"\n"
"  -p, --sock PROTO      tcp, udp (IPv4), tcp6, udp6 (IPv6)\n"
"  -a, --to ADDR:PORT    the receiver\n"
"  -s, --size SIZE       bytes to send; K, M, G suffixes (K = 1024)\n"
"  -C, --chunk SIZE      bytes per send: TCP default 64K; UDP, one datagram\n"
"                        per send, default the largest the route's MTU\n"
"                        carries unfragmented (UDP zero-copy needs that),\n"
"                        at most 65507 (IPv6 65527)\n"
"  -m, --more            ZCDEV_SEND_MORE (MSG_MORE) on every send but the\n"
"                        last (UDP: joins them into one datagram)\n"
"  -o, --offset OFF      buffer offset of the first byte (default 0)\n"
"  -S, --seed SEED       pattern seed (default 1)\n"
"  -F, --sendfile        sendfile(2) from /dev/zcdev instead of ZCDEV_IOC_SEND\n"
"  -w, --wait MS         keep trying while nobody listens yet (TCP: refused;\n"
"                        UDP: an empty probe datagram comes back port\n"
"                        unreachable), default 5000\n"
"  -T, --timeout MS      give up when the socket takes no data, or no\n"
"                        completion comes (--sendfile: the socket queue does\n"
"                        not shrink), for MS milliseconds; default 10000\n"
"\n"
"Loopback and veth always copy (local delivery), and so do NICs without\n"
"scatter-gather and checksum offload, and UDP datagrams that need IP\n"
"fragmentation or MSG_MORE: their completions say copied. A completion\n"
"without COPIED means the stack never copied the pages, not that the peer\n"
"got them: data a reset connection threw away completes that way too.\n"
"MB/s is 10^6 bytes per second. Exit: 0 ok, 1 failed, 2 usage.\n";

/* Completions taken per reap call. */
#define REAP_BATCH	128

struct send_opts {
	const struct zcctl_proto *proto;
	const char *to_arg;
	struct sockaddr_storage to;
	socklen_t to_len;
	char peer[ZCCTL_ADDR_LEN];
	uint64_t size, chunk, off, seed, wait_ms, timeout_ms;
	bool have_size, have_chunk, more, use_sendfile;
};

/**
 * struct send_rec - one accepted ZCDEV_IOC_SEND, found again by user_data
 * @id: the id the module gave it
 * @bytes: bytes the socket accepted
 * @done: its completion arrived
 */
struct send_rec {
	uint64_t id;
	uint64_t bytes;
	bool done;
};

/**
 * struct send_state - the ioctl run's books
 * @recs: one per accepted send, indexed by user_data
 * @nr: entries used in @recs
 * @cap: entries allocated
 * @compl: completions that matched a send
 * @dups: completions for a send that had already completed
 * @bogus: completions that match no send, or disagree with it
 * @zc, @zc_bytes: completions without ZCDEV_COMPL_COPIED, and their bytes
 * @copied, @copied_bytes: completions with it
 * @pending: the module's count of sends not yet completed, from the last reap
 * @sent: bytes the socket accepted
 * @t0: when the first send started (us)
 * @t_last: when the last completion was reaped (us)
 */
struct send_state {
	struct send_rec *recs;
	uint64_t nr, cap;
	uint64_t compl, dups, bogus;
	uint64_t zc, zc_bytes, copied, copied_bytes;
	uint64_t pending;
	uint64_t sent;
	uint64_t t0, t_last;
};

static int64_t ms_left(uint64_t deadline_us)
{
	uint64_t now = zcctl_now_us();

	return now >= deadline_us ? 0 : (int64_t)((deadline_us - now + 999) / 1000);
}

/* A connect that gives up after @timeout_ms instead of the stack's minutes. */
static int connect_once(const struct send_opts *o, uint64_t timeout_ms)
{
	struct pollfd pfd;
	struct timeval tv;
	socklen_t sl = sizeof(int);
	int s, err = 0, ret;

	s = socket(o->proto->family, o->proto->type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	ret = connect(s, (const struct sockaddr *)&o->to, o->to_len);
	if (ret && errno == EINPROGRESS) {
		pfd.fd = s;
		pfd.events = POLLOUT;
		do
			ret = poll(&pfd, 1, timeout_ms);
		while (ret < 0 && errno == EINTR);
		if (ret == 0) {
			close(s);
			return -ETIMEDOUT;
		}
		if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &sl) == 0 && err) {
			close(s);
			return -err;
		}
	} else if (ret) {
		err = errno;
		close(s);
		return -err;
	}
	/*
	 * Blocking from here on: a send waits for room, as send(2) would,
	 * but not forever: a receiver that stopped reading is EAGAIN.
	 */
	fcntl(s, F_SETFL, fcntl(s, F_GETFL) & ~O_NONBLOCK);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = timeout_ms % 1000 * 1000;
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return s;
}

/*
 * A connected UDP socket learns of "port unreachable" from the ICMP error
 * an empty datagram provokes. No error within the probe window means
 * someone is there (or ICMP is filtered: then we cannot tell).
 */
static int udp_probe(int s)
{
	struct pollfd pfd = { .fd = s, .events = 0 };
	socklen_t sl = sizeof(int);
	int err = 0, ret;

	if (send(s, "", 0, MSG_NOSIGNAL) < 0)
		return -errno;
	do
		ret = poll(&pfd, 1, 100);
	while (ret < 0 && errno == EINTR);
	if (ret > 0 && (pfd.revents & POLLERR) &&
	    !getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &sl) && err)
		return -err;
	return 0;
}

static int connect_peer(const struct send_opts *o)
{
	uint64_t deadline = zcctl_now_us() + o->wait_ms * 1000;
	bool said = false;
	int s, ret;

	for (;;) {
		s = connect_once(o, o->timeout_ms);
		ret = s;
		if (s >= 0 && o->proto->type == SOCK_DGRAM) {
			ret = udp_probe(s);
			if (ret)
				close(s);
		}
		if (ret >= 0)
			return s;
		if (ret != -ECONNREFUSED || !ms_left(deadline))
			break;
		if (!said)
			printf("send: %s refused, trying again for up to %" PRIu64
			       " ms\n", o->peer, o->wait_ms);
		said = true;
		fflush(stdout);
		usleep(50000);
	}
	zcctl_sock_error("send", ret, "connect to", o->peer);
	return -1;
}

/* UDP without --chunk: what the route carries in one unfragmented packet. */
static uint64_t udp_default_chunk(int s, int family)
{
	int mtu = 0, hdr = family == AF_INET6 ? 40 + 8 : 20 + 8;
	socklen_t sl = sizeof(mtu);
	uint64_t max = zcctl_udp_max_payload(family);

	if (family == AF_INET6 ?
	    getsockopt(s, IPPROTO_IPV6, IPV6_MTU, &mtu, &sl) :
	    getsockopt(s, IPPROTO_IP, IP_MTU, &mtu, &sl))
		return 1500 - hdr;
	if (mtu <= hdr)
		return 1500 - hdr;
	return (uint64_t)(mtu - hdr) < max ? (uint64_t)(mtu - hdr) : max;
}

static int add_rec(struct send_state *st, uint64_t id, uint64_t bytes)
{
	if (st->nr == st->cap) {
		uint64_t cap = st->cap ? st->cap * 2 : 1024;
		struct send_rec *r = realloc(st->recs, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		st->recs = r;
		st->cap = cap;
	}
	st->recs[st->nr].id = id;
	st->recs[st->nr].bytes = bytes;
	st->recs[st->nr].done = false;
	st->nr++;
	return 0;
}

static void account(struct send_state *st, const struct zcdev_send_completion *c)
{
	struct send_rec *r;

	if (c->user_data >= st->nr || st->recs[c->user_data].id != c->id ||
	    st->recs[c->user_data].bytes != c->bytes) {
		if (!st->bogus)
			zcctl_error("send", -EBADMSG, "completion id %" PRIu64
				    ", user_data %" PRIu64 ", %" PRIu64 " bytes "
				    "matches no send", (uint64_t)c->id,
				    (uint64_t)c->user_data, (uint64_t)c->bytes);
		st->bogus++;
		return;
	}
	r = &st->recs[c->user_data];
	if (r->done) {
		if (!st->dups)
			zcctl_error("send", -EBADMSG, "send id %" PRIu64 " completed "
				    "twice", r->id);
		st->dups++;
		return;
	}
	r->done = true;
	st->compl++;
	st->t_last = zcctl_now_us();
	if (c->flags & ZCDEV_COMPL_COPIED) {
		st->copied++;
		st->copied_bytes += c->bytes;
	} else {
		st->zc++;
		st->zc_bytes += c->bytes;
	}
}

/*
 * Takes what completions are ready, waiting (poll on the device) up to
 * @wait_ms for the first. Returns how many, or -errno (reported).
 */
static int reap(int fd, struct send_state *st, int wait_ms)
{
	struct zcdev_send_completion c[REAP_BATCH];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n, i, total = 0, ret;

	do
		ret = poll(&pfd, 1, wait_ms);
	while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		ret = -errno;
		zcctl_error("send", ret, "poll on the device: %s", strerror(-ret));
		return ret;
	}
	if (ret == 0)
		return 0;
	do {
		/* Deadline 0: take what is there; poll() did the waiting. */
		n = zc_send_reap(fd, c, REAP_BATCH, 0, &st->pending);
		if (n < 0) {
			zcctl_error("send", n, "reap: %s", strerror(-n));
			return n;
		}
		for (i = 0; i < n; i++)
			account(st, &c[i]);
		total += n;
	} while (n == REAP_BATCH);
	return total;
}

static void print_header(const struct send_opts *o, const char *how)
{
	char a[ZC_FMT_SIZE_LEN], b[ZC_FMT_SIZE_LEN];

	printf("send: %s to %s, %s from a pages buffer at +%" PRIu64 " (seed %"
	       PRIu64 "), chunk %s%s, %s\n", o->proto->name, o->peer,
	       zc_fmt_size(o->size, a, sizeof(a)), o->off, o->seed,
	       zc_fmt_size(o->chunk, b, sizeof(b)), o->more ? ", MSG_MORE" : "",
	       how);
	fflush(stdout);
}

/*
 * Sends o->size bytes in --chunk pieces, reaping what is ready as it goes
 * (and waiting for room when send_queue_depth sends are in flight).
 * 0, or -1 (reported).
 */
static int send_chunks(int fd, int s, const struct zc_buf *b,
		       const struct send_opts *o, struct send_state *st)
{
	uint64_t nmore = 0, id;
	int n;

	st->t0 = zcctl_now_us();
	while (st->sent < o->size) {
		uint64_t left = o->size - st->sent;
		uint64_t len = left < o->chunk ? left : o->chunk;
		uint32_t flags = ZCDEV_SEND_NOSIGNAL;
		ssize_t r;

		if (o->more && st->sent + len < o->size)
			flags |= ZCDEV_SEND_MORE;
		r = zc_send(fd, s, b->handle, o->off + st->sent, len, flags,
			    st->nr, &id);
		if (r == -EBUSY) {
			/* send_queue_depth in flight: make room, then again. */
			n = reap(fd, st, o->timeout_ms);
			if (n < 0)
				return -1;
			if (n == 0) {
				zcctl_send_error("send", r, "send", o->peer, st->sent);
				return -1;
			}
			continue;
		}
		if (r < 0) {
			zcctl_send_error("send", r, "send", o->peer, st->sent);
			return -1;
		}
		if (add_rec(st, id, r)) {
			zcctl_error("send", -ENOMEM, NULL);
			return -1;
		}
		if (r == 0) {
			zcctl_error("send", -EIO, "the socket accepted 0 of %" PRIu64
				    " bytes", len);
			return -1;
		}
		nmore += !!(flags & ZCDEV_SEND_MORE);
		st->sent += r;
		/* Keep the queue short while sending; never wait here. */
		if (reap(fd, st, 0) < 0)
			return -1;
	}
	printf("send: %" PRIu64 " sends (%" PRIu64 " with MSG_MORE), %" PRIu64
	       " bytes accepted in %" PRIu64 " us\n", st->nr, nmore, st->sent,
	       zcctl_now_us() - st->t0);
	fflush(stdout);
	return 0;
}

/*
 * Every send completes once the stack lets go of its pages: reaps until
 * all did or none came for --timeout, then looks once more, since anything
 * after the last is a second completion for some send. 0, or -1 (reported).
 */
static int drain_completions(int fd, const struct send_opts *o,
			     struct send_state *st)
{
	uint64_t deadline = zcctl_now_us() + o->timeout_ms * 1000;
	int n;

	while (st->compl < st->nr) {
		int64_t left = ms_left(deadline);

		if (!left)
			break;
		n = reap(fd, st, left);
		if (n < 0)
			return -1;
		if (n > 0)
			deadline = zcctl_now_us() + o->timeout_ms * 1000;
	}
	return reap(fd, st, st->compl == st->nr ? 100 : 0) < 0 ? -1 : 0;
}

/* What the completions said, and whether that is one per send. 0 or -1. */
static int report_completions(const struct send_opts *o,
			      const struct send_state *st)
{
	int ret = 0;

	printf("send: %" PRIu64 " completions: %" PRIu64 " zero-copy (%" PRIu64
	       " bytes), %" PRIu64 " copied (%" PRIu64 " bytes); %" PRIu64
	       " missing, %" PRIu64 " duplicated, %" PRIu64 " unmatched\n",
	       st->compl, st->zc, st->zc_bytes, st->copied, st->copied_bytes,
	       st->nr - st->compl, st->dups, st->bogus);
	if (st->compl)
		printf("send: %" PRIu64 " bytes in %" PRIu64 " us up to the last "
		       "completion: %.1f MB/s\n", st->sent, st->t_last - st->t0,
		       zcctl_mb_per_s(st->sent, (st->t_last - st->t0) * 1000));
	if (st->copied && !st->zc)
		printf("send: every send was copied: expected on loopback and veth "
		       "(local delivery copies) and on NICs without scatter-gather "
		       "and checksum offload%s\n", o->proto->type == SOCK_DGRAM ?
		       ", and for datagrams larger than the MTU or corked with "
		       "--more" : "");
	fflush(stdout);

	if (st->compl < st->nr) {
		zcctl_error("send", -ETIMEDOUT, "%" PRIu64 " of %" PRIu64 " sends "
			    "never completed (no completion for %" PRIu64 " ms; "
			    "module says %" PRIu64 " pending)", st->nr - st->compl,
			    st->nr, o->timeout_ms, st->pending);
		ret = -1;
	}
	if (st->dups || st->bogus) {
		zcctl_error("send", -EBADMSG, "%" PRIu64 " duplicated and %" PRIu64
			    " unmatched completions", st->dups, st->bogus);
		ret = -1;
	}
	if (st->compl + st->bogus == st->nr && st->pending) {
		zcctl_error("send", -EBADMSG, "all sends completed, yet the module "
			    "counts %" PRIu64 " pending", st->pending);
		ret = -1;
	}
	return ret;
}

static int send_ioctl(int fd, int s, const struct zc_buf *b,
		      const struct send_opts *o)
{
	struct send_state st = { 0 };
	int ret;

	print_header(o, "ZCDEV_IOC_SEND");
	ret = send_chunks(fd, s, b, o, &st);
	if (!ret)
		ret = drain_completions(fd, o, &st);
	if (!ret)
		ret = report_completions(o, &st);
	free(st.recs);
	return ret;
}

/* Bytes the socket still holds: TCP unacknowledged, UDP not yet sent. */
static int outq(int s, uint64_t *bytes)
{
	int n;

	if (ioctl(s, SIOCOUTQ, &n) < 0)
		return -errno;
	*bytes = n;
	return 0;
}

static int send_sendfile(int fd, int s, const struct zc_buf *b,
			 const struct send_opts *o)
{
	uint64_t sent = 0, calls = 0, t0, t_sent, q = 0, last_q, deadline;
	int ret;

	print_header(o, "sendfile(2) from the device");
	t0 = zcctl_now_us();
	while (sent < o->size) {
		uint64_t len = o->size - sent < o->chunk ? o->size - sent : o->chunk;
		off_t pos = b->offset + o->off + sent;
		ssize_t r = sendfile(s, fd, &pos, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			zcctl_send_error("send", -errno, "sendfile", o->peer, sent);
			return -1;
		}
		if (r == 0) {
			zcctl_error("send", -EIO, "sendfile moved 0 of %" PRIu64
				    " bytes at device offset %" PRIu64, len,
				    b->offset + o->off + sent);
			return -1;
		}
		calls++;
		sent += r;
	}
	t_sent = zcctl_now_us();
	printf("send: %" PRIu64 " sendfile calls, %" PRIu64 " bytes accepted in %"
	       PRIu64 " us\n", calls, sent, t_sent - t0);
	fflush(stdout);

	/* The counterpart of the last completion: the socket lets go. */
	deadline = zcctl_now_us() + o->timeout_ms * 1000;
	last_q = UINT64_MAX;
	while (!(ret = outq(s, &q)) && q && ms_left(deadline)) {
		if (q != last_q)
			deadline = zcctl_now_us() + o->timeout_ms * 1000;
		last_q = q;
		usleep(1000);
	}
	if (ret) {
		zcctl_error("send", ret, "SIOCOUTQ: %s", strerror(-ret));
		return -1;
	}
	if (q) {
		zcctl_error("send", -ETIMEDOUT, "%" PRIu64 " bytes still queued "
			    "on the socket after %" PRIu64 " ms without progress",
			    q, o->timeout_ms);
		return -1;
	}
	printf("send: %" PRIu64 " bytes in %" PRIu64 " us up to an empty socket "
	       "queue: %.1f MB/s\n", sent, zcctl_now_us() - t0,
	       zcctl_mb_per_s(sent, (zcctl_now_us() - t0) * 1000));
	return 0;
}

static int parse(int argc, char **argv, struct send_opts *o)
{
	static const struct option opts[] = {
		{ "sock", required_argument, NULL, 'p' },
		{ "to", required_argument, NULL, 'a' },
		{ "size", required_argument, NULL, 's' },
		{ "chunk", required_argument, NULL, 'C' },
		{ "more", no_argument, NULL, 'm' },
		{ "offset", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, 'S' },
		{ "sendfile", no_argument, NULL, 'F' },
		{ "wait", required_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	while ((c = getopt_long(argc, argv, "+:p:a:s:C:mo:S:Fw:T:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if ((ret = zcctl_opt_sock("send", optarg, &o->proto)))
				return ret;
			break;
		case 'a':
			o->to_arg = optarg;
			break;
		case 's':
			if ((ret = zcctl_opt_size("send", "--size", optarg, &o->size)))
				return ret;
			if (!o->size || o->size > SIZE_MAX / 4)
				return zcctl_usage("send", "--size %s: out of range",
						   optarg);
			o->have_size = true;
			break;
		case 'C':
			if ((ret = zcctl_opt_size("send", "--chunk", optarg, &o->chunk)))
				return ret;
			if (!o->chunk || o->chunk > INT32_MAX)
				return zcctl_usage("send", "--chunk %s: 1 .. 2G-1", optarg);
			o->have_chunk = true;
			break;
		case 'm':
			o->more = true;
			break;
		case 'o':
			if ((ret = zcctl_opt_size("send", "--offset", optarg, &o->off)))
				return ret;
			if (o->off > SIZE_MAX / 4)
				return zcctl_usage("send", "--offset %s: out of range",
						   optarg);
			break;
		case 'S':
			if ((ret = zcctl_opt_u64("send", "--seed", optarg, &o->seed)))
				return ret;
			break;
		case 'F':
			o->use_sendfile = true;
			break;
		case 'w':
			if ((ret = zcctl_opt_u64("send", "--wait", optarg, &o->wait_ms)))
				return ret;
			if (o->wait_ms > 3600000)
				return zcctl_usage("send", "--wait %s: at most an hour "
						   "(3600000)", optarg);
			break;
		case 'T':
			if ((ret = zcctl_opt_u64("send", "--timeout", optarg,
						 &o->timeout_ms)))
				return ret;
			if (!o->timeout_ms || o->timeout_ms > 3600000)
				return zcctl_usage("send", "--timeout %s: 1 .. 3600000",
						   optarg);
			break;
		case 'h':
			fputs(help, stdout);
			return -1;
		default:
			return zcctl_bad_option("send", c, argv);
		}
	}
	if (optind < argc)
		return zcctl_usage("send", "unexpected argument '%s'", argv[optind]);
	if (!o->proto || !o->to_arg || !o->have_size)
		return zcctl_usage("send", "--sock, --to and --size are required");
	ret = zcctl_opt_addr("send", "--to", o->to_arg, o->proto, 0, &o->to,
			     &o->to_len);
	if (ret)
		return ret;
	zcctl_fmt_addr((struct sockaddr *)&o->to, o->peer, sizeof(o->peer));
	if (o->more && o->use_sendfile)
		return zcctl_usage("send", "--more is a flag of ZCDEV_IOC_SEND; "
				   "sendfile(2) has none (drop one of them)");
	if (o->proto->type == SOCK_DGRAM && o->have_chunk &&
	    o->chunk > zcctl_udp_max_payload(o->proto->family))
		return zcctl_usage("send", "--chunk %" PRIu64 ": one UDP datagram "
				   "holds at most %" PRIu64 " bytes", o->chunk,
				   zcctl_udp_max_payload(o->proto->family));
	return 0;
}

/* The pattern of the seed at every buffer offset, written once. */
static int fill(int fd, const struct zc_buf *b, uint64_t seed)
{
	void *p;
	int ret = zc_map(fd, b, 0, 0, PROT_READ | PROT_WRITE, &p);

	if (ret) {
		zcctl_buf_error("send", ret, "mmap", b->handle);
		return -1;
	}
	zc_pattern_fill(p, b->len, seed, 0);
	zc_unmap(p, b->len);
	return 0;
}

int cmd_send(int argc, char **argv)
{
	struct send_opts o = {
		.seed = 1,
		.wait_ms = 5000,
		.timeout_ms = 10000,
	};
	struct zc_buf b;
	int fd, s, ret;

	ret = parse(argc, argv, &o);
	if (ret)
		return ret < 0 ? ZCCTL_OK : ret;
	/* A receiver that goes away is an error to report, not a signal to die of. */
	signal(SIGPIPE, SIG_IGN);

	fd = zcctl_open("send");
	if (fd < 0)
		return ZCCTL_FAIL;
	ret = zc_alloc(fd, ZCDEV_BUF_PAGES, o.off + o.size, &b);
	if (ret) {
		zcctl_alloc_error("send", fd, ret, ZCDEV_BUF_PAGES, o.off + o.size);
		close(fd);
		return ZCCTL_FAIL;
	}
	if (fill(fd, &b, o.seed)) {
		close(fd);
		return ZCCTL_FAIL;
	}
	s = connect_peer(&o);
	if (s < 0) {
		close(fd);
		return ZCCTL_FAIL;
	}
	if (!o.have_chunk)
		o.chunk = o.proto->type == SOCK_DGRAM ?
			  udp_default_chunk(s, o.proto->family) : 64 * 1024;

	ret = o.use_sendfile ? send_sendfile(fd, s, &b, &o) :
			       send_ioctl(fd, s, &b, &o);
	close(s);
	/* Closing frees the buffer; sends in flight hold their pages. */
	close(fd);
	return ret ? ZCCTL_FAIL : ZCCTL_OK;
}
