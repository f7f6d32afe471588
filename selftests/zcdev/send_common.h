/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the socket-send selftests (send_*.c, splice_*.c):
 * ZCDEV_IOC_SEND / SEND_REAP wrappers, loopback socket pairs, a receiver
 * that checks a position-dependent pattern, completion bookkeeping, and a
 * veth pair into a fresh network namespace.
 *
 * Like zcdev_test.h, helpers return 0 (or a count / fd) or -errno; nothing
 * here asserts, so helpers may run in threads and forked children.
 *
 * The byte at buffer position i is always zt_pat(i, seed): a receiver
 * checks stream bytes against the buffer positions they were sent from.
 */
#ifndef ZCDEV_SEND_COMMON_H
#define ZCDEV_SEND_COMMON_H

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <linux/ethtool.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>

#include "libzc.h"	/* zc_read_full() */
#include "zcdev_test.h"

#define ZS_KiB		(1ULL << 10)
#define ZS_MiB		(1ULL << 20)
#define ZS_RX_TIMEOUT_S	30	/* a receiver gives up after this long */

/* ---- time ---- */

static inline long long zs_ms_since(__u64 start_ns)
{
	return (long long)(zt_now_ns() - start_ns) / NSEC_PER_MSEC;
}

/* ---- the ioctls ---- */

/* ZCDEV_IOC_SEND; @out (may be NULL) receives the answer (bytes, id). */
static inline int zs_send(int fd, int sock, __u32 handle, __u64 off,
			  __u64 len, __u32 flags, __u64 user_data,
			  struct zcdev_send *out)
{
	struct zcdev_send s = {
		.size = sizeof(s),
		.flags = flags,
		.sock_fd = sock,
		.handle = handle,
		.offset = off,
		.len = len,
		.user_data = user_data,
	};
	int ret = zt_ioctl(fd, ZCDEV_IOC_SEND, &s);

	if (out)
		*out = s;
	return ret;
}

/*
 * ZCDEV_IOC_SEND_REAP into @c[@max], waiting until @deadline_ns at most
 * (0 polls, ZCDEV_DEADLINE_NEVER waits for one); @out receives nr and
 * pending.
 */
static inline int zs_reap(int fd, struct zcdev_send_completion *c, __u32 max,
			  __u64 deadline_ns, struct zcdev_reap *out)
{
	struct zcdev_reap r = {
		.size = sizeof(r),
		.entries_ptr = (__u64)(uintptr_t)c,
		.max_entries = max,
		.deadline_ns = deadline_ns,
		.entry_size = sizeof(*c),
	};
	int ret = zt_ioctl(fd, ZCDEV_IOC_SEND_REAP, &r);

	if (out)
		*out = r;
	return ret;
}

/* ---- buffers ---- */

/*
 * A PAGES (or @kind) buffer of @len bytes, mapped whole and filled with the
 * pattern of @seed. NULL on failure.
 */
static inline unsigned char *zs_new_buf(int fd, __u32 kind, size_t len,
					unsigned int seed,
					struct zcdev_alloc *a)
{
	unsigned char *p;

	if (zt_alloc(fd, kind, len, a))
		return NULL;
	p = zt_mmap(fd, a->buf_len, MAP_SHARED, a->offset);
	if (p)
		zt_fill(p, a->buf_len, 0, seed);
	return p;
}

/* ---- sockets ---- */

static inline socklen_t zs_sockaddr(int family, const char *addr, int port,
				    struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *in6;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		inet_pton(AF_INET, addr ? addr : "127.0.0.1", &in->sin_addr);
		return sizeof(*in);
	}
	in6 = (struct sockaddr_in6 *)ss;
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	inet_pton(AF_INET6, addr ? addr : "::1", &in6->sin6_addr);
	return sizeof(*in6);
}

static inline int zs_port_of(int sock)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(sock, (struct sockaddr *)&ss, &len))
		return -errno;
	return ss.ss_family == AF_INET ?
	       ntohs(((struct sockaddr_in *)&ss)->sin_port) :
	       ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static inline int zs_setint(int sock, int level, int opt, int val)
{
	return setsockopt(sock, level, opt, &val, sizeof(val)) ? -errno : 0;
}

/* SO_RCVTIMEO/SO_SNDTIMEO so a broken test fails instead of hanging. */
static inline void zs_timeouts(int sock, int secs)
{
	struct timeval tv = { .tv_sec = secs };

	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* A TCP listener on @addr (NULL: loopback) port 0; fd or -errno. */
static inline int zs_tcp_listen(int family, const char *addr, int rcvbuf)
{
	struct sockaddr_storage ss;
	socklen_t len = zs_sockaddr(family, addr, 0, &ss);
	int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int err;

	if (s < 0)
		return -errno;
	zs_setint(s, SOL_SOCKET, SO_REUSEADDR, 1);
	/* Inherited by the accepted socket; fixes the window scale. */
	if (rcvbuf > 0)
		zs_setint(s, SOL_SOCKET, SO_RCVBUF, rcvbuf);
	if (bind(s, (struct sockaddr *)&ss, len) || listen(s, 8)) {
		err = -errno;
		close(s);
		return err;
	}
	return s;
}

/* Connect a new TCP socket to @addr:@port (retrying while the route comes up). */
static inline int zs_tcp_connect(int family, const char *addr, int port,
				 int sndbuf)
{
	struct sockaddr_storage ss;
	socklen_t len = zs_sockaddr(family, addr, port, &ss);
	__u64 start = zt_now_ns();
	int s, err;

	for (;;) {
		s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			return -errno;
		if (sndbuf > 0)
			zs_setint(s, SOL_SOCKET, SO_SNDBUF, sndbuf);
		zs_timeouts(s, ZS_RX_TIMEOUT_S);
		if (!connect(s, (struct sockaddr *)&ss, len))
			return s;
		err = -errno;
		close(s);
		if ((err != -ENETUNREACH && err != -EHOSTUNREACH &&
		     err != -EADDRNOTAVAIL && err != -ECONNREFUSED) ||
		    zs_ms_since(start) > 10000)
			return err;
		usleep(50 * 1000);
	}
}

/*
 * A connected TCP pair over loopback: *tx connects, *rx is the accepted
 * end. @rcvbuf > 0 sets the receiver's SO_RCVBUF (a small window keeps
 * data queued at the sender), @sndbuf > 0 the sender's SO_SNDBUF.
 */
static inline int zs_tcp_pair(int family, int *tx, int *rx, int rcvbuf,
			      int sndbuf)
{
	int l = zs_tcp_listen(family, NULL, rcvbuf);
	int port, t, r, err;

	if (l < 0)
		return l;
	port = zs_port_of(l);
	t = zs_tcp_connect(family, NULL, port, sndbuf);
	if (t < 0) {
		close(l);
		return t;
	}
	r = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	err = -errno;
	close(l);
	if (r < 0) {
		close(t);
		return err;
	}
	zs_timeouts(r, ZS_RX_TIMEOUT_S);
	*tx = t;
	*rx = r;
	return 0;
}

/* A UDP socket bound to loopback (*rx) and one connected to it (*tx). */
static inline int zs_udp_pair(int family, int *tx, int *rx)
{
	struct sockaddr_storage ss;
	socklen_t len = zs_sockaddr(family, NULL, 0, &ss);
	int r, t, err;

	r = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r < 0)
		return -errno;
	if (bind(r, (struct sockaddr *)&ss, len))
		goto err_r;
	zs_sockaddr(family, NULL, zs_port_of(r), &ss);
	t = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (t < 0)
		goto err_r;
	if (connect(t, (struct sockaddr *)&ss, len)) {
		err = -errno;
		close(t);
		close(r);
		return err;
	}
	/* Room for a burst of the largest datagrams (root may force it). */
	if (zs_setint(r, SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20))
		zs_setint(r, SOL_SOCKET, SO_RCVBUF, 8 << 20);
	zs_timeouts(r, ZS_RX_TIMEOUT_S);
	*tx = t;
	*rx = r;
	return 0;
err_r:
	err = -errno;
	close(r);
	return err;
}

/* One ethtool_value command @cmd with @data on @ifname; the reply or -errno. */
static inline int zs_ethtool(const char *ifname, __u32 cmd, __u32 data)
{
	struct ethtool_value ev = { .cmd = cmd, .data = data };
	struct ifreq ifr = { .ifr_data = (void *)&ev };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret;

	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ret = ioctl(s, SIOCETHTOOL, &ifr) ? -errno : !!ev.data;
	close(s);
	return ret;
}

/* ETHTOOL_G* @cmd of @ifname: 0 off, 1 on, or -errno. */
static inline int zs_ethtool_get(const char *ifname, __u32 cmd)
{
	return zs_ethtool(ifname, cmd, 0);
}

/* ETHTOOL_S* @cmd of @ifname to @on; 0 or -errno. */
static inline int zs_ethtool_set(const char *ifname, __u32 cmd, bool on)
{
	int ret = zs_ethtool(ifname, cmd, on);

	return ret < 0 ? ret : 0;
}

/* ---- a stream a receiver must read exactly (held pairs) ---- */

/* What a receiver must read, in order. */
struct zs_stream {
	unsigned char *want;
	size_t len, cap;
};

static inline int zs_stream_add(struct zs_stream *s, const void *p, size_t len)
{
	if (s->len + len > s->cap) {
		size_t cap = 2 * (s->len + len);
		unsigned char *n = realloc(s->want, cap);

		if (!n)
			return -ENOMEM;
		s->want = n;
		s->cap = cap;
	}
	memcpy(s->want + s->len, p, len);
	s->len += len;
	return 0;
}

/*
 * Read from @rx exactly what @s says, then nothing more; false and why
 * (prefixed by @who) in @why if not.
 */
static inline bool zs_stream_drain(int rx, const struct zs_stream *s,
				   const char *who, char *why, size_t why_len)
{
	unsigned char *got = malloc(s->len + 1);
	size_t done = 0, k;
	bool ok = false;
	ssize_t n;

	if (!got) {
		snprintf(why, why_len, "no memory");
		return false;
	}
	/* A bigger window from now on: fewer round trips. */
	zs_setint(rx, SOL_SOCKET, SO_RCVBUF, 1 << 20);
	while (done < s->len) {
		n = read(rx, got + done, s->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(why, why_len, "%s: read %zu of %zu bytes, then %s",
				 who, done, s->len, n ? strerror(errno) : "EOF");
			goto out;
		}
		done += n;
	}
	for (k = 0; k < s->len; k++)
		if (got[k] != s->want[k])
			break;
	if (k < s->len) {
		snprintf(why, why_len, "%s: byte %zu of %zu is %#x, not %#x",
			 who, k, s->len, got[k], s->want[k]);
		goto out;
	}
	if (recv(rx, got, 1, MSG_DONTWAIT) > 0) {
		snprintf(why, why_len, "%s: bytes after the expected %zu", who,
			 s->len);
		goto out;
	}
	ok = true;
out:
	free(got);
	return ok;
}

/*
 * Closes the window of a TCP pair (whose receiver has a small SO_RCVBUF):
 * @len bytes of pattern @seed sent without blocking and left unread, and
 * recorded in @s, so what the test sends next queues in the sender and
 * stays in flight until the receiver drains. 0 or -errno.
 */
static inline int zs_stream_prefill(int tx, size_t len, __u64 seed,
				    struct zs_stream *s)
{
	unsigned char *fill = malloc(len);
	size_t done = 0;
	int ret;

	if (!fill)
		return -ENOMEM;
	zt_fill(fill, len, 0, seed);
	while (done < len) {
		ssize_t n = send(tx, fill + done, len - done, MSG_DONTWAIT);

		if (n <= 0) {
			free(fill);
			return n < 0 ? -errno : -EPROTO;
		}
		done += n;
	}
	ret = zs_stream_add(s, fill, len);
	free(fill);
	return ret;
}

/* SO_SNDBUFFORCE where allowed (root), else SO_SNDBUF (capped by wmem_max). */
static inline void zs_set_sndbuf(int sock, int bytes)
{
	if (zs_setint(sock, SOL_SOCKET, SO_SNDBUFFORCE, bytes))
		zs_setint(sock, SOL_SOCKET, SO_SNDBUF, bytes);
}

/* ---- a receiver that checks what arrives ---- */

/* A byte range of the buffer, in the order the stream carries it. */
struct zs_seg {
	__u64 off;
	__u64 len;
};

/*
 * Reads the concatenation of @segs from @fd and compares each byte with
 * zt_pat(position in the buffer, @seed). With @gate >= 0 it first waits
 * for a byte on @gate (so the sender's data stays queued until then).
 * With @want_eof it also checks that the stream ends right after.
 */
struct zs_rx {
	int fd;
	unsigned int seed;
	const struct zs_seg *segs;
	unsigned int nr_segs;
	int gate;
	bool want_eof;
	/* results */
	__u64 got;		/* bytes read and checked */
	long long bad_at;	/* stream position of the first wrong byte, -1 */
	int err;		/* errno of a failed read, 0 */
	bool eof_seen;		/* EOF (early if got < expected) */
	bool extra;		/* bytes after the expected ones */
	pthread_t th;
	bool running;
};

static inline __u64 zs_segs_total(const struct zs_seg *segs, unsigned int n)
{
	__u64 t = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		t += segs[i].len;
	return t;
}

static inline void zs_rx_init(struct zs_rx *rx, int fd, unsigned int seed,
			      const struct zs_seg *segs, unsigned int nr_segs)
{
	memset(rx, 0, sizeof(*rx));
	rx->fd = fd;
	rx->seed = seed;
	rx->segs = segs;
	rx->nr_segs = nr_segs;
	rx->gate = -1;
	rx->bad_at = -1;
}

/* The receiver's work; callable directly, in a thread or in a child. */
static inline void zs_rx_run(struct zs_rx *rx)
{
	static const size_t chunk = 256 * 1024;
	unsigned char *buf = malloc(chunk);
	unsigned int s = 0;
	__u64 in_seg = 0;
	char c;

	if (!buf) {
		rx->err = ENOMEM;
		return;
	}
	if (rx->gate >= 0 && read(rx->gate, &c, 1) != 1) {
		rx->err = EPIPE;
		goto out;
	}
	while (s < rx->nr_segs) {
		size_t want = rx->segs[s].len - in_seg;
		ssize_t n;
		long bad;

		if (want > chunk)
			want = chunk;
		n = read(rx->fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rx->err = errno;
			goto out;
		}
		if (!n) {
			rx->eof_seen = true;
			goto out;
		}
		/* @n never crosses a segment: want was clamped to it. */
		bad = zt_check(buf, n, rx->segs[s].off + in_seg, rx->seed);
		if (bad >= 0 && rx->bad_at < 0)
			rx->bad_at = rx->got + bad;
		rx->got += n;
		in_seg += n;
		if (in_seg == rx->segs[s].len) {
			s++;
			in_seg = 0;
		}
	}
	if (rx->want_eof) {
		ssize_t n;

		do {
			n = read(rx->fd, buf, 1);
		} while (n < 0 && errno == EINTR);
		if (n > 0)
			rx->extra = true;
		else if (!n)
			rx->eof_seen = true;
		else
			rx->err = errno;
	}
out:
	free(buf);
}

static inline void *zs_rx_thread(void *arg)
{
	zs_rx_run(arg);
	return NULL;
}

static inline int zs_rx_start(struct zs_rx *rx)
{
	int ret = pthread_create(&rx->th, NULL, zs_rx_thread, rx);

	if (!ret)
		rx->running = true;
	return -ret;
}

static inline void zs_rx_join(struct zs_rx *rx)
{
	if (rx->running)
		pthread_join(rx->th, NULL);
	rx->running = false;
}

/* Did the receiver see exactly the expected bytes? */
static inline bool zs_rx_ok(const struct zs_rx *rx)
{
	return !rx->err && rx->bad_at < 0 && !rx->extra &&
	       rx->got == zs_segs_total(rx->segs, rx->nr_segs) &&
	       (!rx->want_eof || rx->eof_seen);
}

#define ZS_RX_FMT "got %llu of %llu bytes, first bad byte %lld, err %s%s%s"
#define ZS_RX_ARGS(rx) (unsigned long long)(rx)->got, \
	(unsigned long long)zs_segs_total((rx)->segs, (rx)->nr_segs), \
	(rx)->bad_at, strerror((rx)->err), \
	(rx)->eof_seen ? ", eof" : "", (rx)->extra ? ", extra bytes" : ""

/* ---- completions ---- */

/*
 * What a test expects and what it got: one record per accepted send, in
 * submission order (ids increase), and per completion whether it was seen.
 */
struct zs_sent {
	__u64 id;
	__u64 bytes;
	__u64 user_data;
	unsigned int seen;	/* completions that carried this id */
	__u32 flags;		/* of the (last) completion */
	bool bytes_ok;
	bool user_data_ok;
};

struct zs_track {
	struct zs_sent *sent;
	unsigned int nr, cap;
	/* collect results */
	unsigned int completions;	/* all reaped */
	unsigned int unknown;		/* carried an id never handed out */
	unsigned int dups;		/* a second completion for an id */
	unsigned int out_of_order;	/* id lower than the one before */
	unsigned int copied;		/* had ZCDEV_COMPL_COPIED */
	unsigned int bad_reserved;	/* reserved or unknown flag bits, or a
					 * range (no ZCDEV_SEND_COALESCE here) */
	__u64 last_id;
	int err;			/* a reap failed with this errno */
	bool timed_out;			/* gave up waiting */
};

static inline void zs_track_free(struct zs_track *t)
{
	free(t->sent);
	memset(t, 0, sizeof(*t));
}

static inline int zs_track_add(struct zs_track *t, const struct zcdev_send *s)
{
	if (t->nr == t->cap) {
		unsigned int cap = t->cap ? 2 * t->cap : 64;
		struct zs_sent *n = realloc(t->sent, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->sent = n;
		t->cap = cap;
	}
	memset(&t->sent[t->nr], 0, sizeof(t->sent[0]));
	t->sent[t->nr].id = s->id;
	t->sent[t->nr].bytes = s->bytes;
	t->sent[t->nr].user_data = s->user_data;
	t->nr++;
	return 0;
}

/* Send and record it; 0 or -errno (then nothing is recorded). */
static inline int zs_send_track(struct zs_track *t, int fd, int sock,
				__u32 handle, __u64 off, __u64 len,
				__u32 flags, __u64 user_data,
				struct zcdev_send *out)
{
	struct zcdev_send s;
	int ret = zs_send(fd, sock, handle, off, len, flags, user_data, &s);

	if (out)
		*out = s;
	if (ret)
		return ret;
	return zs_track_add(t, &s);
}

static inline struct zs_sent *zs_track_find(struct zs_track *t, __u64 id)
{
	unsigned int lo = 0, hi = t->nr;

	/* Ids increase in submission order (checked separately). */
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (t->sent[mid].id == id)
			return &t->sent[mid];
		if (t->sent[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static inline void zs_track_note(struct zs_track *t,
				 const struct zcdev_send_completion *c)
{
	struct zs_sent *s = zs_track_find(t, c->id);

	t->completions++;
	if (c->id < t->last_id)
		t->out_of_order++;
	t->last_id = c->id;
	if (c->flags & ZCDEV_COMPL_COPIED)
		t->copied++;
	if (c->reserved || (c->flags & ~ZCDEV_COMPL_COPIED) ||
	    c->last_id != c->id)
		t->bad_reserved++;
	if (!s) {
		t->unknown++;
		return;
	}
	if (s->seen++)
		t->dups++;
	s->flags = c->flags;
	s->bytes_ok = c->bytes == s->bytes;
	s->user_data_ok = c->user_data == s->user_data;
}

/*
 * Reap everything this file has: until no send is pending and nothing is
 * left to reap, or @ms milliseconds pass (t->timed_out). Each reap takes
 * at most @batch entries. Returns the number of completions collected.
 */
static inline unsigned int zs_collect(struct zs_track *t, int fd,
				      unsigned int batch, int ms)
{
	struct zcdev_send_completion *c = calloc(batch, sizeof(*c));
	__u64 start = zt_now_ns();
	unsigned int before = t->completions;
	struct zcdev_reap r;
	__u64 pending = 1;
	unsigned int i;
	int ret;

	if (!c) {
		t->err = ENOMEM;
		return 0;
	}
	for (;;) {
		/* Wait only while something is in flight. */
		ret = zs_reap(fd, c, batch,
			      pending ? zt_deadline_in(100 * NSEC_PER_MSEC) : 0,
			      &r);
		if (ret) {
			t->err = -ret;
			break;
		}
		for (i = 0; i < r.nr; i++)
			zs_track_note(t, &c[i]);
		pending = r.pending;
		if (!pending && !r.nr)
			break;
		if (zs_ms_since(start) > ms) {
			t->timed_out = true;
			break;
		}
	}
	free(c);
	return t->completions - before;
}

/* Sends that got no completion (so far). */
static inline unsigned int zs_track_missing(const struct zs_track *t)
{
	unsigned int i, n = 0;

	for (i = 0; i < t->nr; i++)
		n += !t->sent[i].seen;
	return n;
}

/* Completions whose bytes or user_data did not match the send. */
static inline unsigned int zs_track_mismatched(const struct zs_track *t)
{
	unsigned int i, n = 0;

	for (i = 0; i < t->nr; i++)
		n += t->sent[i].seen &&
		     (!t->sent[i].bytes_ok || !t->sent[i].user_data_ok);
	return n;
}

/* Ids handed out by SEND that did not increase. */
static inline unsigned int zs_track_ids_not_increasing(const struct zs_track *t)
{
	unsigned int i, n = 0;

	for (i = 0; i < t->nr; i++)
		n += !t->sent[i].id || (i && t->sent[i].id <= t->sent[i - 1].id);
	return n;
}

#define ZS_TRACK_FMT "%u sends, %u completions, %u missing, %u dups, " \
	"%u unknown, %u mismatched, %u copied, %u bad flags, err %s%s"
#define ZS_TRACK_ARGS(t) (t)->nr, (t)->completions, zs_track_missing(t), \
	(t)->dups, (t)->unknown, zs_track_mismatched(t), (t)->copied, \
	(t)->bad_reserved, strerror((t)->err), \
	(t)->timed_out ? ", timed out" : ""

/* Exactly one matching completion per send and nothing else? */
static inline bool zs_track_exact(const struct zs_track *t)
{
	return !t->err && !t->timed_out && !t->dups && !t->unknown &&
	       !t->bad_reserved && !zs_track_missing(t) &&
	       !zs_track_mismatched(t) && t->completions == t->nr;
}

/*
 * Reap everything (zs_collect()) and expect exactly one matching
 * completion per send and nothing else, saying what differs.
 */
#define ZS_EXPECT_COMPLETIONS_EXACT(t, fd, batch, ms) do { \
	zs_collect((t), (fd), (batch), (ms)); \
	EXPECT_TRUE(zs_track_exact(t)) \
		TH_LOG(ZS_TRACK_FMT, ZS_TRACK_ARGS(t)); \
} while (0)

/*
 * Send [off, off + len) of the buffer completely (short sends continue
 * where they stopped), recording every send; 0 or -errno.
 */
static inline int zs_send_all(struct zs_track *t, int fd, int sock,
			      __u32 handle, __u64 off, __u64 len, __u32 flags,
			      __u64 user_data)
{
	struct zcdev_send s;
	int ret;

	while (len) {
		ret = zs_send_track(t, fd, sock, handle, off, len, flags,
				    user_data, &s);
		if (ret)
			return ret;
		if (!s.bytes || s.bytes > len)
			return -EPROTO;
		off += s.bytes;
		len -= s.bytes;
	}
	return 0;
}

/*
 * pending of a reap that does not wait, or ~0 on error; a completion it
 * takes is noted in @t.
 */
static inline __u64 zs_pending_now(int fd, struct zs_track *t)
{
	struct zcdev_send_completion c;
	struct zcdev_reap r;

	if (zs_reap(fd, &c, 1, 0, &r))
		return ~0ULL;
	if (r.nr)
		zs_track_note(t, &c);
	return r.pending;
}

/* ---- sends the stack must hold ---- */

#define ZS_HELD_MAX_SEGS	8

/*
 * A PAGES buffer with the pattern of @seed, a loopback TCP pair whose
 * receiver has a 4 KiB window and reads nothing until its gate opens, and
 * the record of what was sent: a non-blocking send of more than the
 * window is accepted into the sender's queue and stays in flight (held)
 * until zs_held_release().
 */
struct zs_held {
	int fd;			/* the sending zcdev file */
	struct zcdev_info info;
	unsigned char *p;	/* the buffer, mapped */
	struct zcdev_alloc a;
	unsigned int seed;
	int tx, rx, gate[2];
	struct zs_seg segs[ZS_HELD_MAX_SEGS];	/* what each send accepted */
	unsigned int nr_segs;
	struct zs_rx r;
	struct zs_track t;
};

/* Nothing open yet: what a fixture does before anything can fail. */
static inline void zs_held_init(struct zs_held *h)
{
	memset(h, 0, sizeof(*h));
	h->fd = h->tx = h->rx = -1;
	h->gate[0] = h->gate[1] = -1;
}

/*
 * Once h->fd is open: the buffer of @len bytes, the pair (the sender's
 * SO_SNDBUF @sndbuf, room for what is held) and the gate. 0 or -errno.
 */
static inline int zs_held_setup(struct zs_held *h, size_t len,
				unsigned int seed, int sndbuf)
{
	int ret;

	h->seed = seed;
	h->p = zs_new_buf(h->fd, ZCDEV_BUF_PAGES, len, seed, &h->a);
	if (!h->p)
		return -ENOMEM;
	ret = zs_tcp_pair(AF_INET, &h->tx, &h->rx, 4096, sndbuf);
	if (ret)
		return ret;
	return pipe2(h->gate, O_CLOEXEC) ? -errno : 0;
}

/*
 * A non-blocking send of [@off, @off + @len) of the buffer, recorded in
 * h->t; the bytes it accepted are the next segment the receiver checks.
 * 0 or -errno; @out (may be NULL) receives the answer.
 */
static inline int zs_held_send(struct zs_held *h, __u64 off, __u64 len,
			       __u64 user_data, struct zcdev_send *out)
{
	struct zcdev_send s;
	int ret;

	if (h->nr_segs == ZS_HELD_MAX_SEGS)
		return -ENOSPC;
	ret = zs_send_track(&h->t, h->fd, h->tx, h->a.handle, off, len,
			    ZCDEV_SEND_DONTWAIT, user_data, &s);
	if (ret)
		return ret;
	h->segs[h->nr_segs].off = off;
	h->segs[h->nr_segs].len = s.bytes;
	h->nr_segs++;
	if (out)
		*out = s;
	return 0;
}

/* Start the receiver of everything sent so far; it waits for the gate. */
static inline int zs_held_start_rx(struct zs_held *h)
{
	zs_rx_init(&h->r, h->rx, h->seed, h->segs, h->nr_segs);
	h->r.gate = h->gate[0];
	return zs_rx_start(&h->r);
}

/* Open the gate: the receiver reads, the held sends can complete. */
static inline void zs_held_release(struct zs_held *h)
{
	if (write(h->gate[1], "g", 1) != 1)
		perror("gate");
}

/* Open the gate and expect the receiver to get exactly what was sent. */
#define ZS_EXPECT_HELD_ARRIVES(h) do { \
	zs_held_release(h); \
	zs_rx_join(&(h)->r); \
	EXPECT_TRUE(zs_rx_ok(&(h)->r)) \
		TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&(h)->r)); \
} while (0)

/*
 * Close whatever is still open (a test may have closed some of it and set
 * it to -1 or NULL). The receiver gives up first: its gate closes and its
 * socket shuts down, so the join cannot hang.
 */
static inline void zs_held_teardown(struct zs_held *h)
{
	if (h->gate[1] >= 0)
		close(h->gate[1]);
	if (h->tx >= 0)
		close(h->tx);
	if (h->rx >= 0)
		shutdown(h->rx, SHUT_RDWR);
	zs_rx_join(&h->r);
	if (h->rx >= 0)
		close(h->rx);
	if (h->gate[0] >= 0)
		close(h->gate[0]);
	if (h->p)
		munmap(h->p, h->a.buf_len);
	zs_track_free(&h->t);
	if (h->fd >= 0)
		close(h->fd);
	zs_held_init(h);
}

/* ---- environment ---- */

/* A module parameter as a number, or -1. */
static inline long long zs_module_param(const char *name)
{
	unsigned long val;
	char path[256];

	snprintf(path, sizeof(path), "/sys/module/zcdev/parameters/%s", name);
	return zt_read_ulong(path, &val) ? -1 : (long long)val;
}

/* ZCDEV_NET as the harness exported it, or "" when there is no NIC. */
static inline const char *zs_net_mode(void)
{
	const char *m = getenv("ZCDEV_NET");

	return m ? m : "";
}

/* Open the device, read INFO, SKIP without the send feature. */
#define ZS_SETUP_OPEN(fdp, infop) do { \
	ZT_SETUP_OPEN(fdp, infop); \
	if (!((infop)->features & ZCDEV_FEAT_SEND)) \
		ZT_SETUP_SKIP("module lacks ZCDEV_FEAT_SEND"); \
	ZT_SETUP_NEED_KIND(infop, ZCDEV_BUF_PAGES); \
} while (0)

/* ---- a veth pair with one end in a new network namespace ---- */

/* An rtnetlink request: header, ifinfomsg, attributes. */
struct zs_nlreq {
	union {
		struct nlmsghdr nh;
		char buf[1024];
	};
};

static inline struct rtattr *zs_nla_put(struct nlmsghdr *nh, int type,
					const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)nh +
					       NLMSG_ALIGN(nh->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
	return rta;
}

static inline void zs_nla_end(struct nlmsghdr *nh, struct rtattr *start)
{
	start->rta_len = (char *)nh + nh->nlmsg_len - (char *)start;
}

/* Send one rtnetlink request and wait for its ack; 0 or -errno. */
static inline int zs_rtnl(struct nlmsghdr *nh)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[4096];
	struct nlmsghdr *r;
	int s, ret;
	ssize_t n;

	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		return -errno;
	nh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nh->nlmsg_seq = 1;
	if (sendto(s, nh, nh->nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		ret = -errno;
		goto out;
	}
	n = recv(s, buf, sizeof(buf), 0);
	if (n < 0) {
		ret = -errno;
		goto out;
	}
	ret = -EPROTO;
	for (r = (struct nlmsghdr *)buf; NLMSG_OK(r, (size_t)n);
	     r = NLMSG_NEXT(r, n)) {
		if (r->nlmsg_type == NLMSG_ERROR) {
			ret = ((struct nlmsgerr *)NLMSG_DATA(r))->error;
			break;
		}
	}
out:
	close(s);
	return ret;
}

/* ip link add @name type veth peer name @peer netns <pid @peer_pid>. */
static inline int zs_veth_add(const char *name, const char *peer,
			      pid_t peer_pid)
{
	struct ifinfomsg pifi = { .ifi_family = AF_UNSPEC };
	struct rtattr *linkinfo, *data, *peer_info;
	struct zs_nlreq req;
	__u32 pid = peer_pid;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	((struct ifinfomsg *)NLMSG_DATA(&req.nh))->ifi_family = AF_UNSPEC;
	zs_nla_put(&req.nh, IFLA_IFNAME, name, strlen(name) + 1);
	linkinfo = zs_nla_put(&req.nh, IFLA_LINKINFO, NULL, 0);
	zs_nla_put(&req.nh, IFLA_INFO_KIND, "veth", 4);
	data = zs_nla_put(&req.nh, IFLA_INFO_DATA, NULL, 0);
	peer_info = zs_nla_put(&req.nh, VETH_INFO_PEER, &pifi, sizeof(pifi));
	zs_nla_put(&req.nh, IFLA_IFNAME, peer, strlen(peer) + 1);
	zs_nla_put(&req.nh, IFLA_NET_NS_PID, &pid, sizeof(pid));
	zs_nla_end(&req.nh, peer_info);
	zs_nla_end(&req.nh, data);
	zs_nla_end(&req.nh, linkinfo);
	return zs_rtnl(&req.nh);
}

/* ip link del @name (its veth peer goes with it). */
static inline int zs_link_del(const char *name)
{
	struct zs_nlreq req;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.nh.nlmsg_type = RTM_DELLINK;
	((struct ifinfomsg *)NLMSG_DATA(&req.nh))->ifi_family = AF_UNSPEC;
	zs_nla_put(&req.nh, IFLA_IFNAME, name, strlen(name) + 1);
	return zs_rtnl(&req.nh);
}

/* ip addr add @addr/@prefix dev @name; ip link set @name up (IPv4). */
static inline int zs_if_up4(const char *name, const char *addr, int prefix)
{
	struct ifreq ifr;
	struct sockaddr_in *in = (struct sockaddr_in *)&ifr.ifr_addr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = 0;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (addr) {
		in->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &in->sin_addr);
		if (ioctl(s, SIOCSIFADDR, &ifr))
			goto err;
		in->sin_addr.s_addr = htonl(~0U << (32 - prefix));
		if (ioctl(s, SIOCSIFNETMASK, &ifr))
			goto err;
	}
	if (ioctl(s, SIOCGIFFLAGS, &ifr))
		goto err;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr))
		goto err;
	close(s);
	return 0;
err:
	ret = -errno;
	close(s);
	return ret;
}

/* ---- a receiver process, optionally in another network namespace ---- */

/*
 * A forked child that enters a network namespace (@netns_path, or a new
 * one with @new_netns), runs @setup there, listens on TCP @addr, tells
 * the parent its port, accepts one connection and checks @len bytes of
 * the pattern @seed starting at buffer position @off. Its exit status:
 * 0 all right, 1 wrong bytes, 2 short or read error, 3 setup failed.
 */
struct zs_peer {
	pid_t pid;
	int to_child;		/* write end: "go" */
	int from_child;		/* read end: "u" when unshared, then the port */
	int port;
};

typedef int (*zs_peer_setup_fn)(void *arg);

static inline void zs_peer_child(int family, const char *addr,
				 const char *netns_path, bool new_netns,
				 zs_peer_setup_fn setup, void *arg,
				 __u64 off, __u64 len, unsigned int seed,
				 int rd, int wr)
{
	struct zs_seg seg = { .off = off, .len = len };
	struct zs_rx rx;
	int l, s, port;
	char c = 'u';

	if (netns_path) {
		int ns = open(netns_path, O_RDONLY | O_CLOEXEC);

		if (ns < 0 || setns(ns, CLONE_NEWNET))
			_exit(3);
		close(ns);
	}
	if (new_netns && unshare(CLONE_NEWNET))
		_exit(3);
	if (write(wr, &c, 1) != 1)
		_exit(3);
	/* The parent may have to do its part first (move a veth end here). */
	if (read(rd, &c, 1) != 1)
		_exit(3);
	if (setup && setup(arg))
		_exit(3);
	l = zs_tcp_listen(family, addr, 0);
	if (l < 0)
		_exit(3);
	port = zs_port_of(l);
	if (write(wr, &port, sizeof(port)) != sizeof(port))
		_exit(3);
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0)
		_exit(2);
	zs_timeouts(s, ZS_RX_TIMEOUT_S);
	zs_rx_init(&rx, s, seed, &seg, 1);
	zs_rx_run(&rx);
	if (rx.err || rx.got != len)
		_exit(2);
	_exit(rx.bad_at >= 0 ? 1 : 0);
}

/* Start the child; it waits in its namespace until zs_peer_go(). */
static inline int zs_peer_start(struct zs_peer *p, int family,
				const char *addr, const char *netns_path,
				bool new_netns, zs_peer_setup_fn setup,
				void *arg, __u64 off, __u64 len,
				unsigned int seed)
{
	int down[2], up[2];
	char c;

	p->pid = -1;
	p->to_child = p->from_child = -1;
	if (pipe2(down, O_CLOEXEC))
		return -errno;
	if (pipe2(up, O_CLOEXEC)) {
		close(down[0]);
		close(down[1]);
		return -errno;
	}
	p->pid = fork();
	if (p->pid < 0)
		return -errno;
	if (!p->pid) {
		close(down[1]);
		close(up[0]);
		zs_peer_child(family, addr, netns_path, new_netns, setup, arg,
			      off, len, seed, down[0], up[1]);
	}
	close(down[0]);
	close(up[1]);
	p->to_child = down[1];
	p->from_child = up[0];
	if (read(p->from_child, &c, 1) != 1)
		return -ECHILD;
	return 0;
}

/* Let the child set up and listen; its port, or -errno. */
static inline int zs_peer_go(struct zs_peer *p)
{
	char c = 'g';

	if (write(p->to_child, &c, 1) != 1)
		return -ECHILD;
	if (read(p->from_child, &p->port, sizeof(p->port)) !=
	    sizeof(p->port))
		return -ECHILD;
	return p->port;
}

/* The child's exit status (killed first if @kill), -1 if none. */
static inline int zs_peer_stop(struct zs_peer *p, bool kill_it)
{
	int ret = -1;

	if (p->pid > 0) {
		if (kill_it)
			kill(p->pid, SIGKILL);
		ret = zt_wait(p->pid);
		p->pid = -1;
	}
	if (p->to_child >= 0)
		close(p->to_child);
	if (p->from_child >= 0)
		close(p->from_child);
	p->to_child = p->from_child = -1;
	return ret;
}

#endif /* ZCDEV_SEND_COMMON_H */
