// SPDX-License-Identifier: GPL-2.0
/*
 * zcnet: the TCP sender and receiver that qemu/host/net-check.sh builds
 * (static) and runs in the VM to measure the --net topology and to prove
 * that a MSG_ZEROCOPY send through the NIC completes without a copy.
 *
 *   zcnet recv PORT                 accept one connection, read to EOF
 *   zcnet send MODE ADDR PORT MIB   MODE: write | sendfile | zerocopy
 *
 * "send zerocopy" sets SO_ZEROCOPY, sends with MSG_ZEROCOPY, drains the
 * error queue and prints copied=0 (every completion was zero-copy) or
 * copied=1 (at least one had SO_EE_CODE_ZEROCOPY_COPIED set).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1 << 20)

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int do_recv(int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons(port) };
	int one = 1, zero = 0, ls, s;
	static char buf[CHUNK];
	long long total = 0;
	double t0, t1;
	ssize_t n;

	ls = socket(AF_INET6, SOCK_STREAM, 0);
	if (ls < 0)
		die("socket");
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(ls, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(ls, (void *)&a, sizeof(a)) || listen(ls, 1))
		die("bind/listen");
	s = accept(ls, NULL, NULL);
	if (s < 0)
		die("accept");
	t0 = now();
	while ((n = read(s, buf, sizeof(buf))) > 0)
		total += n;
	if (n < 0)
		die("read");
	t1 = now();
	printf("recv: %lld bytes in %.2f s = %.1f MB/s\n", total, t1 - t0,
	       total / (t1 - t0) / 1e6);
	return 0;
}

static int dial(const char *addr, int port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a4 = (void *)&ss;
	struct sockaddr_in6 *a6 = (void *)&ss;
	socklen_t len;
	int s, i;

	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		len = sizeof(*a6);
	} else {
		fprintf(stderr, "bad address %s\n", addr);
		exit(2);
	}
	/* The receiver may still be starting: retry for 10 s. */
	for (i = 0; i < 100; i++) {
		s = socket(ss.ss_family, SOCK_STREAM, 0);
		if (s < 0)
			die("socket");
		if (!connect(s, (void *)&ss, len))
			return s;
		close(s);
		usleep(100000);
	}
	die("connect");
	return -1;
}

/* Read zero-copy completions; returns how many sends they cover. */
static long drain(int s, int *copied, int block)
{
	char control[128];
	struct msghdr msg = { .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct pollfd pfd = { .fd = s, .events = 0 };
	struct sock_extended_err *serr;
	struct cmsghdr *cm;
	long done = 0;

	for (;;) {
		msg.msg_controllen = sizeof(control);
		if (recvmsg(s, &msg, MSG_ERRQUEUE) < 0) {
			if (errno != EAGAIN)
				die("recvmsg(MSG_ERRQUEUE)");
			if (!block || done)
				return done;
			if (poll(&pfd, 1, 5000) <= 0) {
				fprintf(stderr, "no completion within 5 s\n");
				exit(1);
			}
			continue;
		}
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			serr = (void *)CMSG_DATA(cm);
			if (serr->ee_origin != SO_EE_ORIGIN_ZEROCOPY)
				continue;
			done += serr->ee_data - serr->ee_info + 1;
			if (serr->ee_code & SO_EE_CODE_ZEROCOPY_COPIED)
				*copied = 1;
		}
	}
}

static int do_send(const char *mode, const char *addr, int port, long mib)
{
	long long total = mib << 20, sent = 0;
	long sends = 0, completed = 0;
	int s, one = 1, copied = 0;
	double t0, t1;
	char *buf;
	ssize_t n;
	int fd = -1;

	if (strcmp(mode, "write") && strcmp(mode, "sendfile") &&
	    strcmp(mode, "zerocopy")) {
		fprintf(stderr, "unknown mode %s\n", mode);
		exit(2);
	}
	buf = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap");
	memset(buf, 'z', CHUNK);
	if (!strcmp(mode, "sendfile")) {
		fd = memfd_create("zcnet", 0);
		if (fd < 0 || write(fd, buf, CHUNK) != CHUNK)
			die("memfd");
	}
	s = dial(addr, port);
	if (!strcmp(mode, "zerocopy") &&
	    setsockopt(s, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)))
		die("SO_ZEROCOPY");

	t0 = now();
	while (sent < total) {
		size_t len = total - sent < CHUNK ? total - sent : CHUNK;

		if (!strcmp(mode, "write")) {
			n = write(s, buf, len);
		} else if (!strcmp(mode, "sendfile")) {
			off_t off = 0;

			n = sendfile(s, fd, &off, len);
		} else {
			n = send(s, buf, len, MSG_ZEROCOPY);
			if (n < 0 && errno == ENOBUFS) {
				/* optmem full of pending completions */
				completed += drain(s, &copied, 1);
				continue;
			}
			if (n >= 0)
				sends++;
			completed += drain(s, &copied, 0);
		}
		if (n < 0)
			die(mode);
		sent += n;
	}
	shutdown(s, SHUT_WR);
	/* EOF from the receiver: it has everything. */
	while ((n = read(s, buf, CHUNK)) > 0)
		;
	t1 = now();
	while (completed < sends)
		completed += drain(s, &copied, 1);
	printf("send %s: %lld bytes in %.2f s = %.1f MB/s", mode, sent,
	       t1 - t0, sent / (t1 - t0) / 1e6);
	if (!strcmp(mode, "zerocopy"))
		printf(" sends=%ld completed=%ld copied=%d", sends, completed,
		       copied);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "recv"))
		return do_recv(atoi(argv[2]));
	if (argc == 6 && !strcmp(argv[1], "send"))
		return do_send(argv[2], argv[3], atoi(argv[4]), atol(argv[5]));
	fprintf(stderr,
		"usage: zcnet recv PORT\n"
		"       zcnet send write|sendfile|zerocopy ADDR PORT MIB\n");
	return 2;
}
