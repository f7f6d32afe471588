// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench sendloop: the kernel's msg_zerocopy.c sender loop
 * (tools/testing/selftests/net/msg_zerocopy.c, do_tx()) with zcdev in
 * place of sendmsg(MSG_ZEROCOPY) and the error queue: ZCDEV_IOC_SEND from
 * a PAGES buffer, ZCDEV_IOC_SEND_REAP for the completions. Same options,
 * same timing (-t N runs N s + 200 ms), same non-blocking send, poll for
 * POLLOUT, reap every -l sends and while the socket is full, then wait up
 * to 500 ms for what is left; same summary line. So its numbers stand next
 * to the kernel tool's (zcbench peers runs both against msg_zerocopy -r).
 *
 * A subcommand, not a separate program: zcbench peers starts it as its own
 * process (the kernel tools' CPU is a process's rusage; this must be
 * measured the same way), and it shares libzc with the rest of zcbench.
 *
 * One difference, for the data check: after a short send the kernel tool
 * starts the next send at the payload's first byte again, so its stream
 * cannot be checked; this one sends the next -s bytes from where the short
 * one stopped (the buffer holds the pattern repeated), so the stream is the
 * payload repeated and the receiver (-r -V) checks every byte.
 *
 * msg_zerocopy's completions coalesce: consecutive sends whose skb is
 * still queued share one notification (msg_zerocopy_realloc()). The zcdev
 * counterpart is ZCDEV_SEND_COALESCE, which needs each send to continue
 * the previous one in the buffer: so the buffer holds SL_RING_PAYLOADS
 * payloads and the sends walk it, wrapping at a payload boundary.
 *
 * -r is msg_zerocopy's receiver (SO_RCVBUF 2 MiB, SO_RCVLOWAT 64 KiB, TCP
 * data discarded with MSG_TRUNC) plus -V, which reads and checks instead.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zcbench.h"

/* As msg_zerocopy.c: IP_MAXPACKET less IPv6, TCP and 40 bytes of options. */
#define SL_MAX_PAYLOAD	(65535 - 40 - 20 - 40)
#define SL_WAIT_MS	500	/* poll timeout and the final completion wait */
#define SL_RX_EXTRA_MS	400	/* the receiver outlives the sender's window */
#define SL_RX_BUF	(1 << 21)
#define SL_REAP_MAX	64
#define SL_RING_PAYLOADS 16	/* buffer size in payloads (coalescing) */

struct sl_cfg {
	int family;
	int type;		/* SOCK_STREAM (tcp) or SOCK_DGRAM (udp) */
	const char *daddr;
	int port;
	int payload;
	int runtime_ms;
	int limit;		/* reap after this many sends (-l) */
	int cpu;
	int sndbuf;		/* SO_SNDBUF; 0: the kernel's autotuned default */
	bool blocking;		/* --blocking: no MSG_DONTWAIT, no POLLOUT poll */
	bool zerocopy;
	bool rx;
	bool verify;
	bool rx_plain;		/* --rx-plain: zcbench run's receiver shape */
	bool no_coalesce;	/* --no-coalesce: one completion per send */
	bool no_ring;		/* --no-ring: SEND_REAP for every reap */
	int verbose;
	struct sockaddr_storage dst;
	socklen_t alen;
};

struct sl_stats {
	unsigned long packets, bytes, completions, expected;
	unsigned long notifications;	/* completion records (ranges) */
	unsigned long syscalls, reaps, copied_compls;
	int zerocopied;		/* -1 unknown, else as msg_zerocopy's zc=y/n */
	unsigned int since_reap;
};

static const char help[] =
"usage: zcbench sendloop [options] tcp|udp\n"
"\n"
"msg_zerocopy.c's sender loop (tools/testing/selftests/net) with zcdev: the\n"
"payload sits in a zcdev PAGES buffer and goes out with ZCDEV_IOC_SEND,\n"
"completions come from ZCDEV_IOC_SEND_REAP instead of the error queue.\n"
"Options as msg_zerocopy's:\n"
"\n"
"  -4, -6         address family (one of them is required)\n"
"  -D ADDR        destination (sender), address to bind (receiver)\n"
"  -p PORT        port (default 8000)\n"
"  -s BYTES       payload per send (default and most 65435)\n"
"  -t SECONDS     send for SECONDS + 0.2 s (default 4, i.e. 4.2 s)\n"
"  -z             zero-copy: ZCDEV_IOC_SEND (without: send() of the same\n"
"                 zcdev mapping, which copies)\n"
"  -l N           reap completions every N sends (default 32)\n"
"  -C CPU         pin to CPU\n"
"  -r             receive (msg_zerocopy -r: TCP data discarded unread)\n"
"  -V             with -r: read and check every byte ('a' + i % 26 of each\n"
"                 payload, as the senders fill it; needs the same -s)\n"
"  -v             verbose (the sender: where TCP waited, from TCP_INFO)\n"
"      --sndbuf B SO_SNDBUF (default 2097152, msg_zerocopy's; 0: the\n"
"                 kernel's autotuned default, as zcbench run's sockets)\n"
"      --blocking blocking sends, no POLLOUT poll between them (zcbench\n"
"                 run's shape; completions reaped every -l sends)\n"
"      --no-coalesce  one completion per send (default: ZCDEV_SEND_COALESCE\n"
"                 where the module has it, so consecutive sends share a\n"
"                 completion as msg_zerocopy's do)\n"
"      --no-ring  reap with ZCDEV_IOC_SEND_REAP (default: from the mapped\n"
"                 completion ring, without a system call, where the module\n"
"                 has it; SEND_REAP only to wait at the end)\n"
"      --rx-plain with -r: zcbench run's receiver instead of msg_zerocopy's:\n"
"                 default (autotuned) SO_RCVBUF, no SO_RCVLOWAT, blocking\n"
"                 reads until the sender closes\n"
"                 (these three only to find where zcbench and the kernel\n"
"                 tools differ: zcbench peers --explain)\n"
"  -h, --help     this text\n"
"\n"
"Prints msg_zerocopy's summary line on stderr (tx=SENDS (MiB) txc=COMPLETIONS\n"
"zc=y|n), then one line of exact figures: bytes, sends, completions, system\n"
"calls, throughput over the send window and the process's CPU per GiB.\n"
"Exit status 0; 1 on errors, lost completions or (-V) wrong data; 2 usage.\n";

static uint64_t now_ms(void)
{
	return zb_now_ns() / 1000000;
}

static void pattern_fill(char *p, size_t len, int payload)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = 'a' + (i % payload) % 26;
}

static int do_poll(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n = poll(&pfd, 1, SL_WAIT_MS);

	if (n < 0 && errno != EINTR)
		zb_die("poll: %s", strerror(errno));
	return n > 0 && (pfd.revents & events);
}

/*
 * Every completion waiting (deadline 0: never sleeps), as
 * do_recv_completions(); from @ring (if mapped) by loads, the system call
 * only to wait.
 */
static void reap_all(int zfd, struct zc_send_ring *ring, struct sl_stats *st,
		     int64_t wait_ns)
{
	struct zcdev_send_completion c[SL_REAP_MAX];
	int n, i, zc;

	do {
		st->reaps++;
		n = ring->map ? (int)zc_send_ring_reap(ring, c, SL_REAP_MAX) : 0;
		if (!n && (wait_ns || !ring->map)) {
			st->syscalls++;
			n = zc_send_reap(zfd, c, SL_REAP_MAX,
					 wait_ns ? zc_deadline_after_ns(wait_ns) : 0,
					 NULL);
		}
		if (n < 0 && n != -EINTR)
			zb_die("ZCDEV_IOC_SEND_REAP: %s", zc_errname(n));
		for (i = 0; i < n; i++) {
			zc = !(c[i].flags & ZCDEV_COMPL_COPIED);
			st->copied_compls += !zc;
			if (st->zerocopied != -1 && st->zerocopied != zc)
				fprintf(stderr, "serr: inconsistent\n");
			st->zerocopied = zc;
			/* msg_zerocopy's txc counts sends, not notifications. */
			st->completions += zc_compl_sends(&c[i]);
		}
		if (n > 0)
			st->notifications += n;
		wait_ns = 0;
	} while (n == SL_REAP_MAX);
	st->since_reap = 0;
}

static int sock_setup(const struct sl_cfg *c)
{
	int fd = socket(c->family, c->type, 0);

	if (fd < 0)
		zb_die("socket: %s", strerror(errno));
	/* msg_zerocopy's sender buffer (no SO_ZEROCOPY: the module needs none). */
	if (c->sndbuf &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &c->sndbuf, sizeof(c->sndbuf)))
		zb_die("SO_SNDBUF: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&c->dst, c->alen))
		zb_die("connect: %s", strerror(errno));
	return fd;
}

static void report(const struct sl_cfg *c, const struct sl_stats *st,
		   bool rx)
{
	struct rusage ru;
	double cpu, gib = st->bytes / (double)(1ULL << 30);

	getrusage(RUSAGE_SELF, &ru);
	cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	      ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	if (rx) {
		fprintf(stderr, "rx=%lu (%lu MB)\n", st->packets, st->bytes >> 20);
		return;
	}
	fprintf(stderr, "tx=%lu (%lu MB) txc=%lu zc=%c\n", st->packets,
		st->bytes >> 20, st->completions,
		st->zerocopied == 1 ? 'y' : 'n');
	fprintf(stderr, "sendloop: bytes=%lu sends=%lu completions=%lu notifications=%lu "
		"copied=%lu syscalls=%lu reaps=%lu window_ms=%d mbps=%.1f cpu_s=%.3f cpu_s_gib=%.2f\n",
		st->bytes, st->packets, st->completions, st->notifications,
		st->copied_compls, st->syscalls, st->reaps, c->runtime_ms,
		st->bytes / 1e6 / (c->runtime_ms / 1e3), cpu,
		gib > 0 ? cpu / gib : 0.0);
}

/*
 * -v: where TCP says the sender waited (its chrono counters, 4.10+): time
 * limited by the receiver's window, by the send buffer (completions or
 * ACKs not back yet), or busy with data in flight, and the path's RTT.
 */
static void tcp_limits(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return;
	fprintf(stderr, "tcp: busy_ms=%llu rwnd_limited_ms=%llu sndbuf_limited_ms=%llu "
		"rtt_us=%u rttvar_us=%u cwnd=%u retrans=%u delivery_rate_mbps=%.1f\n",
		(unsigned long long)ti.tcpi_busy_time / 1000,
		(unsigned long long)ti.tcpi_rwnd_limited / 1000,
		(unsigned long long)ti.tcpi_sndbuf_limited / 1000,
		ti.tcpi_rtt, ti.tcpi_rttvar, ti.tcpi_snd_cwnd,
		ti.tcpi_total_retrans, ti.tcpi_delivery_rate / 1e6);
}

static int do_tx(const struct sl_cfg *c)
{
	struct sl_stats st = { .zerocopied = -1 };
	struct zcdev_info info;
	struct zc_buf buf;
	uint64_t tstop, cursor = 0, id;
	size_t blen = SL_RING_PAYLOADS * (size_t)c->payload;
	uint32_t sflags = 0;
	struct zc_send_ring ring = { 0 };
	void *map;
	ssize_t ret;
	int zfd, fd, err;

	zfd = zc_open();
	if (zfd < 0)
		zb_die("%s: %s (module not loaded?)", zc_dev_path(), strerror(-zfd));
	err = zc_info(zfd, &info);
	if (err || (info.features & (ZCDEV_FEAT_PAGES | ZCDEV_FEAT_SEND)) !=
		   (ZCDEV_FEAT_PAGES | ZCDEV_FEAT_SEND))
		zb_die("zcdev without PAGES buffers or ZCDEV_IOC_SEND");
	if (!c->no_coalesce && (info.features & ZCDEV_FEAT_SEND_COALESCE))
		sflags |= ZCDEV_SEND_COALESCE;
	if (!c->blocking)
		sflags |= ZCDEV_SEND_DONTWAIT;
	/* As many slots as send_queue_depth's default allows in flight. */
	if (!c->no_ring && (info.features & ZCDEV_FEAT_SEND_RING)) {
		err = zc_send_ring_open(zfd, 1024, &ring);
		if (err)
			zb_die("ZCDEV_IOC_SEND_RING: %s", zc_errname(err));
	}
	err = zc_alloc(zfd, ZCDEV_BUF_PAGES, blen, &buf);
	if (!err)
		err = zc_map(zfd, &buf, 0, blen, PROT_READ | PROT_WRITE, &map);
	if (err)
		zb_die("PAGES buffer of %zu bytes: %s", blen, zc_errname(err));
	pattern_fill(map, blen, c->payload);
	err = zc_sync(zfd, buf.handle, ZCDEV_SYNC_FOR_DEVICE, 0, blen);
	if (err)
		zb_die("ZCDEV_IOC_SYNC: %s", zc_errname(err));

	fd = sock_setup(c);
	tstop = now_ms() + c->runtime_ms;
	do {
		st.syscalls++;
		if (c->zerocopy) {
			ret = zc_send(zfd, fd, buf.handle, cursor, c->payload,
				      sflags, st.packets, &id);
		} else {
			ret = send(fd, (char *)map + cursor, c->payload,
				   c->blocking ? 0 : MSG_DONTWAIT);
			if (ret < 0)
				ret = -errno;
		}
		if (ret == -EBUSY && c->zerocopy) {
			/* send_queue_depth unreaped: msg_zerocopy's ENOBUFS. */
			reap_all(zfd, &ring, &st, 0);
		} else if (ret < 0 && ret != -EAGAIN && ret != -EINTR) {
			zb_die("send: %s", zc_errname(ret));
		} else if (ret >= 0) {
			if (c->verbose && ret != c->payload)
				fprintf(stderr, "send: ret=%zd != %d\n", ret, c->payload);
			st.since_reap++;
			st.packets++;
			st.bytes += ret;
			if (c->zerocopy)
				st.expected++;
			/* Stream offset and cursor stay equal mod payload. */
			cursor += ret;
			if (cursor + c->payload > blen)
				cursor %= c->payload;
		}

		if (c->zerocopy && st.since_reap >= (unsigned int)c->limit)
			reap_all(zfd, &ring, &st, 0);

		while (!c->blocking) {
			st.syscalls++;
			if (do_poll(fd, POLLOUT))
				break;
			if (c->zerocopy)
				reap_all(zfd, &ring, &st, 0);
		}
	} while (now_ms() < tstop);

	/* do_recv_remaining_completions(): at most SL_WAIT_MS in all. */
	tstop = now_ms() + SL_WAIT_MS;
	while (c->zerocopy && st.completions < st.expected && now_ms() < tstop)
		reap_all(zfd, &ring, &st, (int64_t)(tstop - now_ms()) * 1000000);
	if (st.completions < st.expected)
		fprintf(stderr, "missing notifications: %lu < %lu\n",
			st.completions, st.expected);
	if (c->verbose && c->type == SOCK_STREAM)
		tcp_limits(fd);
	if (close(fd))
		zb_die("close: %s", strerror(errno));
	report(c, &st, false);
	zc_send_ring_close(&ring);
	zc_unmap(map, blen);
	close(zfd);
	return st.completions < st.expected;
}

/*
 * Compares @n bytes at stream offset *@pos with the repeated payload, a
 * memcmp() per payload-sized piece against @want (the pattern twice), so
 * the check costs about what zcbench run's checksumming receiver does.
 */
static int check(const struct sl_cfg *c, const char *want, const char *p,
		 size_t n, uint64_t *pos)
{
	size_t off, piece, i;

	while (n) {
		off = *pos % c->payload;
		piece = n < (size_t)c->payload ? n : (size_t)c->payload;
		if (memcmp(p, want + off, piece)) {
			for (i = 0; p[i] == want[off + i]; i++)
				;
			fprintf(stderr, "rx: data mismatch at byte %llu: 0x%02x, want '%c'\n",
				(unsigned long long)(*pos + i), (unsigned char)p[i],
				want[off + i]);
			return -1;
		}
		p += piece;
		n -= piece;
		*pos += piece;
	}
	return 0;
}

static int do_rx(const struct sl_cfg *c)
{
	struct sl_stats st = { 0 };
	uint64_t tstop, pos = 0;
	int fd, lfd, v, bad = 0;
	char *buf = NULL, *want = NULL;
	ssize_t ret;

	lfd = socket(c->family, c->type, 0);
	if (lfd < 0)
		zb_die("socket: %s", strerror(errno));
	if (!c->rx_plain) {
		v = 1 << 21;
		setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
		v = 1 << 16;
		setsockopt(lfd, SOL_SOCKET, SO_RCVLOWAT, &v, sizeof(v));
	}
	v = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEPORT, &v, sizeof(v));
	if (bind(lfd, (struct sockaddr *)&c->dst, c->alen))
		zb_die("bind: %s", strerror(errno));
	fd = lfd;
	if (c->type == SOCK_STREAM) {
		if (listen(lfd, 1))
			zb_die("listen: %s", strerror(errno));
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			zb_die("accept: %s", strerror(errno));
		close(lfd);
	}
	if (c->verify || c->type == SOCK_DGRAM)
		buf = zb_alloc(SL_RX_BUF);
	if (c->verify) {
		want = malloc(2 * (size_t)c->payload);
		if (!want)
			zb_die("out of memory");
		pattern_fill(want, 2 * (size_t)c->payload, c->payload);
	}

	if (c->rx_plain) {
		struct timeval tv = { .tv_sec = 60 };

		/* A sender that never closes fails the run, not hangs it. */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (!buf)
			buf = zb_alloc(SL_RX_BUF);
		while ((ret = recv(fd, buf, SL_RX_BUF, 0)) != 0) {
			if (ret < 0 && errno == EINTR)
				continue;
			if (ret < 0)
				zb_die("recv: %s", strerror(errno));
			if (c->verify && !bad && check(c, want, buf, ret, &pos))
				bad = 1;
			st.packets++;
			st.bytes += ret;
		}
		tstop = 0;
	} else {
		tstop = now_ms() + c->runtime_ms + SL_RX_EXTRA_MS;
	}
	while (now_ms() < tstop) {
		if (c->verify || c->type == SOCK_DGRAM)
			ret = recv(fd, buf, SL_RX_BUF, MSG_DONTWAIT);
		else
			ret = recv(fd, NULL, SL_RX_BUF, MSG_TRUNC | MSG_DONTWAIT);
		if (ret < 0 && errno != EAGAIN && errno != EINTR)
			zb_die("recv: %s", strerror(errno));
		if (ret > 0) {
			if (c->type == SOCK_DGRAM) {
				if (ret != c->payload)
					zb_die("recv: ret=%zd != %d", ret, c->payload);
				pos = 0;
			}
			if (c->verify && !bad && check(c, want, buf, ret, &pos))
				bad = 1;
			st.packets++;
			st.bytes += ret;
		}
		if (ret <= 0)
			do_poll(fd, POLLIN);
	}
	close(fd);
	report(c, &st, true);
	if (c->verify)
		fprintf(stderr, "rx: %lu bytes %s\n", st.bytes,
			bad ? "WRONG" : "verified");
	if (buf)
		zb_free(buf, SL_RX_BUF);
	free(want);
	return bad;
}

static void set_addr(struct sl_cfg *c)
{
	struct sockaddr_in6 *a6 = (void *)&c->dst;
	struct sockaddr_in *a4 = (void *)&c->dst;

	memset(&c->dst, 0, sizeof(c->dst));
	if (c->family == AF_INET) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(c->port);
		c->alen = sizeof(*a4);
		if (c->daddr && inet_pton(AF_INET, c->daddr, &a4->sin_addr) != 1)
			zb_die("ipv4 parse error: %s", c->daddr);
	} else {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(c->port);
		c->alen = sizeof(*a6);
		if (c->daddr && inet_pton(AF_INET6, c->daddr, &a6->sin6_addr) != 1)
			zb_die("ipv6 parse error: %s", c->daddr);
	}
}

int cmd_sendloop(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "sndbuf", required_argument, NULL, 'B' },
		{ "blocking", no_argument, NULL, 'b' },
		{ "rx-plain", no_argument, NULL, 'P' },
		{ "no-coalesce", no_argument, NULL, 'N' },
		{ "no-ring", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct sl_cfg c = {
		.family = AF_UNSPEC, .port = 8000, .payload = SL_MAX_PAYLOAD,
		.runtime_ms = 4200, .limit = 32, .cpu = -1, .sndbuf = 1 << 21,
	};
	const char *test;
	int o;

	while ((o = getopt_long(argc, argv, "46C:D:l:p:rs:t:vVzh", lo, NULL)) != -1) {
		switch (o) {
		case '4':
		case '6':
			if (c.family != AF_UNSPEC)
				zb_die("Pass one of -4 or -6");
			c.family = o == '4' ? AF_INET : AF_INET6;
			break;
		case 'C': c.cpu = atoi(optarg); break;
		case 'D': c.daddr = optarg; break;
		case 'l': c.limit = atoi(optarg); break;
		case 'p': c.port = atoi(optarg); break;
		case 'r': c.rx = true; break;
		case 's': c.payload = atoi(optarg); break;
		case 't': c.runtime_ms = 200 + atoi(optarg) * 1000; break;
		case 'v': c.verbose++; break;
		case 'V': c.verify = true; break;
		case 'z': c.zerocopy = true; break;
		case 'B': c.sndbuf = atoi(optarg); break;
		case 'b': c.blocking = true; break;
		case 'P': c.rx_plain = true; break;
		case 'N': c.no_coalesce = true; break;
		case 'R': c.no_ring = true; break;
		case 'h': fputs(help, stdout); return 0;
		default: fputs(help, stderr); return 2;
		}
	}
	if (optind != argc - 1 || c.family == AF_UNSPEC) {
		fputs(help, stderr);
		return 2;
	}
	test = argv[optind];
	if (!strcmp(test, "tcp"))
		c.type = SOCK_STREAM;
	else if (!strcmp(test, "udp"))
		c.type = SOCK_DGRAM;
	else
		zb_die("unknown test %s (tcp, udp)", test);
	if (c.payload <= 0 || c.payload > SL_MAX_PAYLOAD)
		zb_die("-s: payload exceeds max (%d)", SL_MAX_PAYLOAD);
	if (c.limit < 1)
		zb_die("-l: at least 1");
	if ((c.verify || c.rx_plain) && !c.rx)
		zb_die("-V and --rx-plain are receiver options (-r)");
	if (c.rx_plain && c.type != SOCK_STREAM)
		zb_die("--rx-plain: tcp only");
	set_addr(&c);
	if (c.cpu >= 0) {
		cpu_set_t m;

		CPU_ZERO(&m);
		CPU_SET(c.cpu, &m);
		if (sched_setaffinity(0, sizeof(m), &m))
			fprintf(stderr, "cpu: unable to pin, may increase variance.\n");
	}
	return c.rx ? do_rx(&c) : do_tx(&c);
}
