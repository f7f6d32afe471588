// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: the two network paths and the receivers at their far end.
 *
 *  loop  127.0.0.1 in our own netns. The receiving socket is on the same
 *        kernel, so every zero-copy send is copied at delivery
 *        (skb_orphan_frags_rx): completions say "copied" by design.
 *  nic   the VM's second NIC, in the guest netns $ZCDEV_PEER_NETNS (from
 *        `qemu/run.sh --net nic`): the bytes leave through one virtio-net
 *        NIC and come back through the other, so the sender's pages really
 *        go to a device, and zero-copy can stay zero-copy. Where the host
 *        could not make taps the harness falls back to a QEMU hub
 *        (ZCDEV_NET=hub): the same NICs without offloads, where the stack
 *        copies; results say which one ran (net_mode()).
 *
 * A listener per path is made once; only its creation needs the peer
 * netns (a socket stays in the netns it was created in), so receivers are
 * ordinary threads. Each repetition gets fresh connections, so no state
 * (cwnd, queued notifications) leaks from one method into the next.
 *
 * On the nic path each side gets a CPU of its own, as two machines on a
 * wire would: where net-nic.sh steered eth0's interrupts to
 * $ZCDEV_NIC_CPU and eth1's to $ZCDEV_PEER_CPU, the sender thread runs on
 * the first and the receivers on the second. Left to the scheduler, both
 * ended up on one CPU with the peer's receive softirq, and a zero-copy
 * sender lost a quarter to a third of its throughput (README, "The NIC
 * path: what limits it").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "zcbench.h"

#define RECV_BUF	(256 << 10)
/* A sender that never connects or never closes fails the run, not hangs it. */
#define RECV_TIMEOUT_S	120

struct listener {
	const char *path;
	int fd;
	struct sockaddr_in addr;
	char err[160];
};

static struct listener listeners[] = {
	{ .path = "loop", .fd = -1 },
	{ .path = "nic", .fd = -1 },
};

struct receiver {
	pthread_t th;
	int lfd;
	int fd;
	uint64_t expect;
	uint64_t seed;
	bool exact;
	sem_t ready;
	struct recv_stats st;
	bool running;
	int cpu;	/* pin to this CPU first; -1: leave it to the scheduler */
};

static struct receiver rcv[ZB_MAX_RECV];

/* The sender thread's affinity before a nic run pinned it. */
static cpu_set_t sender_mask;
static bool sender_pinned;

/* $@name as a CPU this process may run on, else -1. */
static int env_cpu(const char *name)
{
	const char *v = getenv(name);
	cpu_set_t allowed;
	char *end;
	long cpu;

	if (!v || !*v)
		return -1;
	cpu = strtol(v, &end, 10);
	if (*end || cpu < 0 || cpu >= CPU_SETSIZE ||
	    sched_getaffinity(0, sizeof(allowed), &allowed) ||
	    !CPU_ISSET(cpu, &allowed))
		return -1;
	return (int)cpu;
}

int net_side_cpu(const char *path, bool peer)
{
	int snd = env_cpu("ZCDEV_NIC_CPU"), rcvc = env_cpu("ZCDEV_PEER_CPU");

	if (strcmp(path, "nic") || snd < 0 || rcvc < 0 || snd == rcvc)
		return -1;
	return peer ? rcvc : snd;
}

int net_pin_self(int cpu)
{
	cpu_set_t m;

	CPU_ZERO(&m);
	CPU_SET(cpu, &m);
	return sched_setaffinity(0, sizeof(m), &m) ? -errno : 0;
}

/* nic path: the sender here, receivers in receiver_thread(). */
static int pin_sides(struct run *r)
{
	int snd = net_side_cpu(r->path, false), rcvc = net_side_cpu(r->path, true);
	int err;

	r->snd_cpu = r->rcv_cpu = -1;
	if (snd < 0)
		return 0;
	if (!sender_pinned && sched_getaffinity(0, sizeof(sender_mask), &sender_mask))
		return zb_fail(r, "sched_getaffinity: %s", strerror(errno));
	err = net_pin_self(snd);
	if (err)
		return zb_fail(r, "pinning the sender to CPU %d: %s", snd, strerror(-err));
	sender_pinned = true;
	r->snd_cpu = snd;
	r->rcv_cpu = rcvc;
	return 0;
}

static void unpin_sender(void)
{
	if (sender_pinned && !sched_setaffinity(0, sizeof(sender_mask), &sender_mask))
		sender_pinned = false;
}

static struct listener *find_listener(const char *path)
{
	size_t i;

	for (i = 0; i < sizeof(listeners) / sizeof(listeners[0]); i++)
		if (!strcmp(listeners[i].path, path))
			return &listeners[i];
	return NULL;
}

static const char *peer_ns_path(char *buf, size_t len)
{
	const char *ns = getenv("ZCDEV_PEER_NETNS");

	if (ns && *ns && !access(ns, F_OK)) {
		snprintf(buf, len, "%s", ns);
		return buf;
	}
	ns = getenv("ZCDEV_PEER_NS");
	const char *dirs[] = { "/var/run/netns", "/run/netns" };
	size_t i;

	if (!ns || !*ns)
		return NULL;
	if (ns[0] == '/') {
		snprintf(buf, len, "%s", ns);
		return buf;
	}
	for (i = 0; i < 2; i++) {
		snprintf(buf, len, "%s/%s", dirs[i], ns);
		if (!access(buf, F_OK))
			return buf;
	}
	return NULL;
}

static int make_listener(struct listener *l, const char *addr)
{
	socklen_t alen = sizeof(l->addr);
	int fd, one = 1;

	memset(&l->addr, 0, sizeof(l->addr));
	l->addr.sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &l->addr.sin_addr) != 1) {
		snprintf(l->err, sizeof(l->err), "bad address '%s'", addr);
		return -EINVAL;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto err;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&l->addr, sizeof(l->addr)) ||
	    listen(fd, 16) ||
	    getsockname(fd, (struct sockaddr *)&l->addr, &alen))
		goto err;
	l->fd = fd;
	return 0;
err:
	snprintf(l->err, sizeof(l->err), "listen on %s: %s", addr, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -errno;
}

/* setns() changes only the calling thread's netns: do it in a throw-away one. */
static void *nic_listener_thread(void *arg)
{
	struct listener *l = arg;
	const char *peer = getenv("ZCDEV_PEER4");
	char nsp[256];
	int nsfd;

	if (!peer_ns_path(nsp, sizeof(nsp))) {
		snprintf(l->err, sizeof(l->err), "no peer netns (ZCDEV_PEER_NS=%s)",
			 getenv("ZCDEV_PEER_NS") ?: "");
		return NULL;
	}
	nsfd = open(nsp, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET)) {
		snprintf(l->err, sizeof(l->err), "setns %.100s: %s", nsp, strerror(errno));
		if (nsfd >= 0)
			close(nsfd);
		return NULL;
	}
	close(nsfd);
	make_listener(l, peer ? peer : "198.18.0.2");
	return NULL;
}

static int listener_get(const char *path, struct listener **out, char *why,
			size_t wlen)
{
	struct listener *l = find_listener(path);
	const char *net = getenv("ZCDEV_NET");
	pthread_t th;

	if (!l) {
		snprintf(why, wlen, "unknown path '%s' (loop, nic)", path);
		return -EINVAL;
	}
	if (l->fd < 0 && !l->err[0]) {
		if (!strcmp(path, "loop")) {
			make_listener(l, "127.0.0.1");
		} else if (!net || (strcmp(net, "nic") && strcmp(net, "hub"))) {
			snprintf(l->err, sizeof(l->err),
				 "no NIC path here (ZCDEV_NET=%s; the VM has it with qemu/run.sh --net nic)",
				 net ? net : "unset");
		} else if (pthread_create(&th, NULL, nic_listener_thread, l)) {
			snprintf(l->err, sizeof(l->err), "pthread_create failed");
		} else {
			pthread_join(th, NULL);
		}
	}
	if (l->fd < 0) {
		snprintf(why, wlen, "%s", l->err);
		return -ENODEV;
	}
	*out = l;
	return 0;
}

bool net_path_ok(const char *path, char *why, size_t wlen)
{
	struct listener *l;

	return !listener_get(path, &l, why, wlen);
}

static void *receiver_thread(void *arg)
{
	struct receiver *rv = arg;
	struct recv_stats *st = &rv->st;
	struct vsum v;
	char *buf;
	ssize_t n;

	struct pollfd pfd = { .fd = rv->lfd, .events = POLLIN };
	struct timeval tv = { .tv_sec = RECV_TIMEOUT_S };

	st->tid = (int)syscall(SYS_gettid);
	st->cpu = -1;
	rv->fd = -1;
	if (rv->cpu >= 0) {
		int err = net_pin_self(rv->cpu);

		if (err) {
			st->err = err;
			snprintf(st->why, sizeof(st->why), "pinning to CPU %d: %s",
				 rv->cpu, strerror(-err));
			sem_post(&rv->ready);
			return NULL;
		}
	}
	if (poll(&pfd, 1, RECV_TIMEOUT_S * 1000) == 1)
		rv->fd = accept4(rv->lfd, NULL, NULL, SOCK_CLOEXEC);
	else
		errno = ETIMEDOUT;
	if (rv->fd < 0) {
		st->err = -errno;
		snprintf(st->why, sizeof(st->why), "accept: %s", strerror(errno));
		sem_post(&rv->ready);
		return NULL;
	}
	setsockopt(rv->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	buf = zb_alloc(RECV_BUF);
	/* Touch the buffer now: its faults are not the receiver's cost. */
	memset(buf, 0, RECV_BUF);
	vsum_init(&v, rv->seed, rv->exact);
	getrusage(RUSAGE_THREAD, &st->ru0);
	sem_post(&rv->ready);
	for (;;) {
		n = recv(rv->fd, buf, RECV_BUF, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		vsum_update(&v, buf, n);
		st->bytes += n;
		if (st->bytes == rv->expect)
			st->t_last_ns = zb_now_ns();
	}
	getrusage(RUSAGE_THREAD, &st->ru1);
	st->cpu = sched_getcpu();
	if (n < 0) {
		st->err = -errno;
		snprintf(st->why, sizeof(st->why), "recv: %s", strerror(errno));
	} else {
		st->err = vsum_check(&v, rv->expect, st->why, sizeof(st->why));
	}
	zb_free(buf, RECV_BUF);
	close(rv->fd);
	return NULL;
}

int net_connect(struct run *r, int n, bool exact)
{
	struct listener *l;
	int i, fd, err;

	err = listener_get(r->path, &l, r->reason, sizeof(r->reason));
	if (err)
		return err;
	for (i = 0; i < n; i++)
		r->sock[i] = -1;
	err = pin_sides(r);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		struct receiver *rv = &rcv[i];

		memset(&rv->st, 0, sizeof(rv->st));
		rv->lfd = l->fd;
		rv->expect = r->size;
		rv->seed = r->seed;
		rv->exact = exact;
		rv->cpu = r->rcv_cpu;
		sem_init(&rv->ready, 0, 0);
		if (pthread_create(&rv->th, NULL, receiver_thread, rv))
			return zb_fail(r, "pthread_create failed");
		rv->running = true;
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&l->addr, sizeof(l->addr))) {
			err = -errno;
			snprintf(r->reason, sizeof(r->reason), "connect (%s): %s",
				 r->path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return err;
		}
		r->sock[i] = fd;
		/* The receiver's tid must be known before tracing starts. */
		sem_wait(&rv->ready);
		if (rv->st.err)
			return zb_fail(r, "%s", rv->st.why);
	}
	return 0;
}

int net_finish(struct run *r, int n, struct recv_stats *st)
{
	int i, err = 0, snd = sched_getcpu(), rcvc = -2;

	for (i = 0; i < n; i++) {
		if (r->sock[i] >= 0) {
			close(r->sock[i]);
			r->sock[i] = -1;
		}
	}
	for (i = 0; i < n; i++) {
		struct receiver *rv = &rcv[i];

		if (!rv->running)
			continue;
		pthread_join(rv->th, NULL);
		rv->running = false;
		sem_destroy(&rv->ready);
		if (st)
			st[i] = rv->st;
		/* Where they all were at the end: -1 if they were not together. */
		rcvc = rcvc == -2 || rcvc == rv->st.cpu ? rv->st.cpu : -1;
		if (rv->st.err && !err) {
			snprintf(r->reason, sizeof(r->reason), "receiver %d: %s",
				 i, rv->st.why);
			err = rv->st.err;
		}
	}
	if (r->snd_cpu >= 0)
		snprintf(r->pinning, sizeof(r->pinning), "sender cpu%d, receivers cpu%d",
			 snd, rcvc);
	else if (!strcmp(r->path, "nic"))
		snprintf(r->pinning, sizeof(r->pinning), "none");
	unpin_sender();
	return err;
}

int net_tid_of(int i)
{
	return rcv[i].st.tid;
}

void net_cleanup(void)
{
	size_t i;

	for (i = 0; i < sizeof(listeners) / sizeof(listeners[0]); i++)
		if (listeners[i].fd >= 0) {
			close(listeners[i].fd);
			listeners[i].fd = -1;
		}
}

const char *net_mode(const char *path)
{
	const char *net = getenv("ZCDEV_NET");

	if (strcmp(path, "nic"))
		return strcmp(path, "loop") ? "" : "loopback";
	return net && *net ? net : "";
}
