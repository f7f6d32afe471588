// SPDX-License-Identifier: GPL-2.0
/*
 * zcctl recv: the other end of 'zcctl send'. It needs no device: it
 * listens, takes SIZE bytes and checks each against the test pattern at
 * its offset, so whatever path the sender took (ZCDEV_IOC_SEND, sendfile,
 * a NIC or loopback), a lost, repeated, reordered or stale byte is named
 * by its position in the stream. Small enough for a VM with busybox only.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zcctl.h"

static const char help[] =
"usage: zcctl recv --sock tcp|udp|tcp6|udp6 --listen [ADDR:]PORT --size SIZE\n"
"                  [--seed SEED] [--offset OFF] [--once | --count N]\n"
"                  [--timeout MS] [--ready-file PATH]\n"
"\n"
"Receive SIZE bytes and check them against the test pattern of SEED, byte\n"
"i against the pattern at offset OFF+i: give the sender's --seed and\n"
"--offset. TCP accepts one connection per transfer and reads exactly SIZE\n"
"bytes (then expects the end of the stream); UDP binds and takes datagrams\n"
"in arrival order until SIZE bytes came (empty datagrams, the sender's\n"
"probes, are skipped). Prints 'recv: N bytes OK' per transfer, or names\n"
"the first mismatching byte and exits 1. Needs no zcdev device.\n"
"\n"
"  -p, --sock PROTO       tcp, udp (IPv4), tcp6, udp6 (IPv6 only)\n"
"  -l, --listen [A:]PORT  address and port to listen on: 5000,\n"
"                         127.0.0.1:5000, [::1]:5000; port 0 lets the\n"
"                         kernel pick (see --ready-file)\n"
"  -s, --size SIZE        bytes per transfer; K, M, G suffixes (K = 1024)\n"
"  -S, --seed SEED        pattern seed (default 1)\n"
"  -o, --offset OFF       pattern offset of the first byte (default 0)\n"
"      --once             one transfer, then exit (the default)\n"
"  -n, --count N          N transfers one after another (0: until killed)\n"
"  -T, --timeout MS       fail when nothing arrives for MS milliseconds,\n"
"                         waiting for the sender included (default 30000;\n"
"                         0 waits forever)\n"
"  -r, --ready-file PATH  removed at start; once listening, written with the\n"
"                         port number, so a script can wait for it:\n"
"\n"
"  zcctl recv --sock tcp --listen 5000 --size 16M --ready-file /tmp/r &\n"
"  while [ ! -s /tmp/r ]; do sleep 0.1; done\n"
"  zcctl send --sock tcp --to 127.0.0.1:5000 --size 16M; wait $!\n"
"\n"
"MB/s is 10^6 bytes per second from the first byte to the last.\n"
"Exit: 0 every transfer OK, 1 failed, 2 usage.\n";

#define RX_BUF		(256 * 1024)
/* After the last byte: how long to wait to see whether more comes. */
#define TAIL_MS		1000

struct recv_opts {
	const struct zcctl_proto *proto;
	const char *listen_arg;
	const char *ready_file;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	uint64_t size, seed, off, count, timeout_ms;
	bool have_size;
};

/**
 * struct rx - one transfer as it arrives
 * @got: bytes taken and checked so far
 * @reads: read() calls (TCP) or datagrams (UDP) that brought data
 * @probes: empty datagrams skipped
 * @drops: datagrams the socket dropped for a full receive buffer since
 *	it was opened, as of the last datagram (UDP, SO_RXQ_OVFL)
 * @t_first: when the first byte came (us)
 * @t_last: when the last byte came (us)
 * @peer: who sent it
 */
struct rx {
	uint64_t got, reads, probes, drops;
	uint64_t t_first, t_last;
	char peer[ZCCTL_ADDR_LEN];
};

/* 1 readable, 0 timed out, -errno. @ms < 0 waits forever. */
static int wait_readable(int s, int64_t ms)
{
	struct pollfd pfd = { .fd = s, .events = POLLIN };
	int ret;

	do
		ret = poll(&pfd, 1, ms < 0 ? -1 : ms > INT32_MAX ? INT32_MAX : ms);
	while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret;
}

static int64_t idle_ms(const struct recv_opts *o)
{
	return o->timeout_ms ? (int64_t)o->timeout_ms : -1;
}

/* Checks @n new bytes at stream position r->got; 0 or -1 (reported). */
static int check(const struct recv_opts *o, struct rx *r,
		 const unsigned char *p, size_t n)
{
	uint64_t bad;

	if (!r->t_first)
		r->t_first = zcctl_now_us();
	r->t_last = zcctl_now_us();
	if (zc_pattern_verify(p, n, o->seed, o->off + r->got, &bad)) {
		uint64_t i = bad - o->off;
		char drops[80] = "";

		if (r->drops)
			snprintf(drops, sizeof(drops), "; the socket has dropped %"
				 PRIu64 " datagrams (receive buffer full)",
				 r->drops);
		zcctl_error("recv", -EBADMSG, "byte %" PRIu64 " of the stream "
			    "(pattern offset 0x%" PRIx64 ", %s %" PRIu64 ") is "
			    "0x%02x, seed %" PRIu64 " wants 0x%02x%s", i, bad,
			    o->proto->type == SOCK_DGRAM ? "datagram" : "read",
			    r->reads + 1, p[i - r->got], o->seed,
			    zc_pattern_byte(o->seed, bad), drops);
		return -1;
	}
	r->got += n;
	r->reads++;
	return 0;
}

static void report_short(const struct recv_opts *o, const struct rx *r,
			 int err, const char *why)
{
	char drops[80] = "";

	if (r->drops)
		snprintf(drops, sizeof(drops), "; the socket has dropped %" PRIu64
			 " datagrams (receive buffer full)", r->drops);
	zcctl_error("recv", err, "%s after %" PRIu64 " of %" PRIu64 " bytes (all "
		    "matched)%s", why, r->got, o->size, drops);
}

static int rx_tcp(int ls, const struct recv_opts *o, struct rx *r,
		  unsigned char *buf)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char timeout[48];
	int c, ret = -1;
	ssize_t n;

	snprintf(timeout, sizeof(timeout), "nothing for %" PRIu64 " ms",
		 o->timeout_ms);
	ret = wait_readable(ls, idle_ms(o));
	if (ret <= 0) {
		zcctl_error("recv", ret ? ret : -ETIMEDOUT, "no connection came "
			    "in %" PRIu64 " ms", o->timeout_ms);
		return -1;
	}
	do
		c = accept4(ls, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
	while (c < 0 && errno == EINTR);
	if (c < 0) {
		zcctl_sock_error("recv", -errno, "accept on", o->listen_arg);
		return -1;
	}
	zcctl_fmt_addr((struct sockaddr *)&ss, r->peer, sizeof(r->peer));

	ret = -1;
	while (r->got < o->size) {
		size_t want = o->size - r->got < RX_BUF ? o->size - r->got : RX_BUF;
		int w = wait_readable(c, idle_ms(o));

		if (w <= 0) {
			report_short(o, r, w ? w : -ETIMEDOUT, w ? "poll" : timeout);
			goto out;
		}
		n = zc_io(c, ZC_IO_READ, buf, want, 0, NULL);
		if (n < 0) {
			report_short(o, r, n, strerror(-n));
			goto out;
		}
		if (n == 0) {
			report_short(o, r, -ENODATA, "the sender closed the "
				     "connection");
			goto out;
		}
		if (check(o, r, buf, n))
			goto out;
	}
	/* The sender closes after its last byte; anything else is extra. */
	if (wait_readable(c, TAIL_MS) > 0) {
		n = read(c, buf, RX_BUF);
		if (n > 0) {
			zcctl_error("recv", -EMSGSIZE, "more than --size %" PRIu64
				    " bytes came: %zd extra at least", o->size, n);
			goto out;
		}
	}
	ret = 0;
out:
	close(c);
	return ret;
}

/* The datagram and, via SO_RXQ_OVFL, the socket's count of drops so far. */
static ssize_t recv_dgram(int s, unsigned char *buf, struct rx *r,
			  struct sockaddr_storage *from)
{
	char cbuf[CMSG_SPACE(sizeof(uint32_t))];
	struct iovec iov = { .iov_base = buf, .iov_len = 65536 };
	struct msghdr m = {
		.msg_name = from,
		.msg_namelen = sizeof(*from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	ssize_t n;

	do
		n = recvmsg(s, &m, MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL) {
			uint32_t d;

			memcpy(&d, CMSG_DATA(cm), sizeof(d));
			r->drops = d;
		}
	}
	if (n > 65536)
		return -EMSGSIZE;
	return n;
}

static int rx_udp(int s, const struct recv_opts *o, struct rx *r,
		  unsigned char *buf)
{
	struct sockaddr_storage from;
	char timeout[48];
	ssize_t n;

	snprintf(timeout, sizeof(timeout), "nothing for %" PRIu64 " ms",
		 o->timeout_ms);
	while (r->got < o->size) {
		int w = wait_readable(s, idle_ms(o));

		if (w <= 0) {
			if (!r->got && !w)
				zcctl_error("recv", -ETIMEDOUT, "no datagram came in %"
					    PRIu64 " ms", o->timeout_ms);
			else
				report_short(o, r, w ? w : -ETIMEDOUT,
					     w ? "poll" : timeout);
			return -1;
		}
		n = recv_dgram(s, buf, r, &from);
		if (n < 0) {
			report_short(o, r, n, "recvmsg");
			return -1;
		}
		if (n == 0) {
			r->probes++;
			continue;
		}
		if (!r->peer[0])
			zcctl_fmt_addr((struct sockaddr *)&from, r->peer,
				       sizeof(r->peer));
		if ((uint64_t)n > o->size - r->got) {
			uint64_t mine = o->size - r->got;

			/* Check what belongs to us first: a shift shows there. */
			if (check(o, r, buf, mine))
				return -1;
			zcctl_error("recv", -EMSGSIZE, "the last datagram carried %"
				    PRIu64 " bytes past --size %" PRIu64,
				    (uint64_t)n - mine, o->size);
			return -1;
		}
		if (check(o, r, buf, n))
			return -1;
	}
	return 0;
}

/* Written when listening: PATH.tmp first, so a reader never sees half. */
static int write_ready(const char *path, unsigned int port)
{
	char tmp[4096];
	FILE *f;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "%u\n", port);
	if (fclose(f))
		return -errno;
	return rename(tmp, path) ? -errno : 0;
}

static int open_listener(const struct recv_opts *o, unsigned int *port)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int s, one = 1, ret;

	s = socket(o->proto->family, o->proto->type | SOCK_CLOEXEC, 0);
	if (s < 0) {
		zcctl_sock_error("recv", -errno, "socket for", o->listen_arg);
		return -1;
	}
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* tcp6 means IPv6: an IPv4 sender must not get through by mapping. */
	if (o->proto->family == AF_INET6)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (o->proto->type == SOCK_DGRAM) {
		/*
		 * UDP has no flow control: the socket must hold a whole
		 * transfer the sender may push before we read it. FORCE
		 * passes rmem_max for root; others get what rmem_max allows.
		 */
		uint64_t want = o->size * 2 + (1 << 20);
		int rcv = want > INT32_MAX / 2 ? INT32_MAX / 2 : (int)want;

		if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)))
			setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		setsockopt(s, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	}
	if (bind(s, (const struct sockaddr *)&o->addr, o->addr_len)) {
		zcctl_sock_error("recv", -errno, "bind to", o->listen_arg);
		goto fail;
	}
	if (o->proto->type == SOCK_STREAM && listen(s, 8)) {
		zcctl_sock_error("recv", -errno, "listen on", o->listen_arg);
		goto fail;
	}
	if (getsockname(s, (struct sockaddr *)&ss, &sl)) {
		zcctl_sock_error("recv", -errno, "getsockname of", o->listen_arg);
		goto fail;
	}
	*port = ntohs(o->proto->family == AF_INET6 ?
		      ((struct sockaddr_in6 *)&ss)->sin6_port :
		      ((struct sockaddr_in *)&ss)->sin_port);
	return s;
fail:
	ret = errno;
	close(s);
	errno = ret;
	return -1;
}

static int parse(int argc, char **argv, struct recv_opts *o)
{
	enum { OPT_ONCE = 256 };
	static const struct option opts[] = {
		{ "sock", required_argument, NULL, 'p' },
		{ "listen", required_argument, NULL, 'l' },
		{ "size", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'S' },
		{ "offset", required_argument, NULL, 'o' },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	while ((c = getopt_long(argc, argv, "+:p:l:s:S:o:n:T:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if ((ret = zcctl_opt_sock("recv", optarg, &o->proto)))
				return ret;
			break;
		case 'l':
			o->listen_arg = optarg;
			break;
		case 's':
			if ((ret = zcctl_opt_size("recv", "--size", optarg, &o->size)))
				return ret;
			if (!o->size)
				return zcctl_usage("recv", "--size %s: at least 1",
						   optarg);
			o->have_size = true;
			break;
		case 'S':
			if ((ret = zcctl_opt_u64("recv", "--seed", optarg, &o->seed)))
				return ret;
			break;
		case 'o':
			if ((ret = zcctl_opt_size("recv", "--offset", optarg, &o->off)))
				return ret;
			break;
		case OPT_ONCE:
			o->count = 1;
			break;
		case 'n':
			if ((ret = zcctl_opt_u64("recv", "--count", optarg, &o->count)))
				return ret;
			break;
		case 'T':
			if ((ret = zcctl_opt_u64("recv", "--timeout", optarg,
						 &o->timeout_ms)))
				return ret;
			if (o->timeout_ms > INT32_MAX)
				return zcctl_usage("recv", "--timeout %s: too large",
						   optarg);
			break;
		case 'r':
			o->ready_file = optarg;
			break;
		case 'h':
			fputs(help, stdout);
			return -1;
		default:
			return zcctl_bad_option("recv", c, argv);
		}
	}
	if (optind < argc)
		return zcctl_usage("recv", "unexpected argument '%s'", argv[optind]);
	if (!o->proto || !o->listen_arg || !o->have_size)
		return zcctl_usage("recv", "--sock, --listen and --size are required");
	if (o->off + o->size < o->off)
		return zcctl_usage("recv", "--offset + --size overflows");
	return zcctl_opt_addr("recv", "--listen", o->listen_arg, o->proto, 1,
			      &o->addr, &o->addr_len);
}

int cmd_recv(int argc, char **argv)
{
	struct recv_opts o = { .seed = 1, .count = 1, .timeout_ms = 30000 };
	char a[ZCCTL_ADDR_LEN], sz[ZC_FMT_SIZE_LEN];
	uint64_t i, drops = 0;
	unsigned char *buf;
	unsigned int port;
	int s, ret;

	ret = parse(argc, argv, &o);
	if (ret)
		return ret < 0 ? ZCCTL_OK : ret;
	/* A stale file from an earlier run must not say "ready" for us. */
	if (o.ready_file && unlink(o.ready_file) && errno != ENOENT) {
		zcctl_error("recv", -errno, "--ready-file %s: %s", o.ready_file,
			    strerror(errno));
		return ZCCTL_FAIL;
	}
	buf = malloc(RX_BUF > 65536 ? RX_BUF : 65536);
	if (!buf) {
		zcctl_error("recv", -ENOMEM, NULL);
		return ZCCTL_FAIL;
	}
	s = open_listener(&o, &port);
	if (s < 0) {
		free(buf);
		return ZCCTL_FAIL;
	}
	if (o.proto->family == AF_INET6)
		((struct sockaddr_in6 *)&o.addr)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&o.addr)->sin_port = htons(port);
	printf("recv: listening on %s %s for %s (seed %" PRIu64 ", offset %"
	       PRIu64 ")\n", o.proto->name,
	       zcctl_fmt_addr((struct sockaddr *)&o.addr, a, sizeof(a)),
	       zc_fmt_size(o.size, sz, sizeof(sz)), o.seed, o.off);
	fflush(stdout);
	if (o.ready_file && (ret = write_ready(o.ready_file, port))) {
		zcctl_error("recv", ret, "--ready-file %s: %s", o.ready_file,
			    strerror(-ret));
		close(s);
		free(buf);
		return ZCCTL_FAIL;
	}

	ret = 0;
	for (i = 0; !ret && (!o.count || i < o.count); i++) {
		struct rx r = { .drops = drops };

		if (o.proto->type == SOCK_STREAM)
			ret = rx_tcp(s, &o, &r, buf);
		else
			ret = rx_udp(s, &o, &r, buf);
		drops = r.drops;
		if (ret)
			break;
		printf("recv: %" PRIu64 " bytes OK (%s from %s, %" PRIu64 " %s%s, "
		       "%.1f MB/s)\n", r.got, o.proto->name, r.peer, r.reads,
		       o.proto->type == SOCK_DGRAM ? "datagram" : "read",
		       r.reads == 1 ? "" : "s",
		       zcctl_mb_per_s(r.got, (r.t_last - r.t_first) * 1000));
		fflush(stdout);
	}
	close(s);
	free(buf);
	return ret ? ZCCTL_FAIL : ZCCTL_OK;
}
