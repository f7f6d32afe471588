/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zcctl internals: the subcommand table entry and the reporting helpers
 * every subcommand shares, so that all of them fail the same way:
 *
 *   zcctl: <where>: <ERRNO NAME>: <why, when we know it; else strerror>
 *
 * Exit codes: 0 success, 1 failure, 2 usage error.
 */
#ifndef ZCCTL_H
#define ZCCTL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "libzc.h"

#define ZCCTL_OK	0
#define ZCCTL_FAIL	1
#define ZCCTL_USAGE	2

#define ZCCTL_STR_(x)	#x
#define ZCCTL_STR(x)	ZCCTL_STR_(x)

/**
 * struct zcctl_cmd - one subcommand
 * @name: what the user types after "zcctl"
 * @run: gets argv with argv[0] == @name; returns the exit code
 * @summary: one line for "zcctl --help"
 */
struct zcctl_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

int cmd_info(int argc, char **argv);
int cmd_alloc(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_pattern(int argc, char **argv);
int cmd_dma(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_recv(int argc, char **argv);

/* report.c */

/* Prints the error line above; @fmt NULL means strerror(@err). */
void zcctl_error(const char *where, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "zcctl: <where>: <msg>" plus a pointer to --help; returns ZCCTL_USAGE. */
int zcctl_usage(const char *where, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* zc_open() that explains a missing module or device node; fd or -1. */
int zcctl_open(const char *where);
/*
 * Reports a failed ZCDEV_IOC_ALLOC, naming the limit that was hit: it asks
 * the module for its limits and usage at the moment of the failure.
 */
void zcctl_alloc_error(const char *where, int fd, int err, uint32_t kind,
		       uint64_t len);
/* Reports a failed ioctl/mmap on an existing buffer (@op: "query", ...). */
void zcctl_buf_error(const char *where, int err, const char *op, uint32_t handle);
/* Reports a zc_pattern_verify() mismatch at buffer offset @bad of @seed. */
void zcctl_mismatch(const char *where, const void *base, uint64_t base_off,
		    uint64_t bad, uint64_t seed);

/*
 * Reports a failed DMA ioctl (@op: "submit", "wait", "cancel", "stats"):
 * no channel, a buffer mapped for another device, RLIMIT_MEMLOCK, ...
 */
void zcctl_dma_error(const char *where, int err, const char *op);
/*
 * Reports a failed ZCDEV_IOC_SEND (or sendfile, @op says which) to @peer
 * ("127.0.0.1:5000") after @done bytes went out.
 */
void zcctl_send_error(const char *where, int err, const char *op,
		      const char *peer, uint64_t done);
/* Reports a failed socket(), bind(), listen(), connect(), accept() (@op). */
void zcctl_sock_error(const char *where, int err, const char *op,
		      const char *addr);

/*
 * For getopt_long() returning '?' or ':' (optstring starts with "+:"):
 * names the offending argument; returns ZCCTL_USAGE.
 */
int zcctl_bad_option(const char *where, int c, char **argv);
/* Option values: report bad input as usage errors. 0 or ZCCTL_USAGE. */
int zcctl_opt_size(const char *where, const char *opt, const char *arg,
		   uint64_t *out);
int zcctl_opt_u64(const char *where, const char *opt, const char *arg,
		  uint64_t *out);
int zcctl_opt_kind(const char *where, const char *arg, uint32_t *kind);

/* net.c: what --sock names and how addresses are written (send, recv). */

/**
 * struct zcctl_proto - one --sock choice
 * @name: "tcp", "udp", "tcp6", "udp6"
 * @family: AF_INET or AF_INET6
 * @type: SOCK_STREAM or SOCK_DGRAM
 */
struct zcctl_proto {
	const char *name;
	int family;
	int type;
};

int zcctl_opt_sock(const char *where, const char *arg,
		   const struct zcctl_proto **proto);
/*
 * "ADDR:PORT" (IPv6: "[ADDR]:PORT"), numeric only, of @proto's family.
 * With @listen also "PORT" (any address) and port 0 (the kernel picks).
 * 0 or ZCCTL_USAGE.
 */
int zcctl_opt_addr(const char *where, const char *opt, const char *arg,
		   const struct zcctl_proto *proto, int listen,
		   struct sockaddr_storage *ss, socklen_t *len);
/* "127.0.0.1:5000", "[::1]:5000". Returns @out. */
char *zcctl_fmt_addr(const struct sockaddr *sa, char *out, size_t outlen);
#define ZCCTL_ADDR_LEN		64
/* Largest UDP payload of one datagram: 65507 (IPv4), 65527 (IPv6). */
uint64_t zcctl_udp_max_payload(int family);

/* Decimal megabytes (10^6 bytes) per second, as dmatest and iperf count. */
static inline double zcctl_mb_per_s(uint64_t bytes, uint64_t ns)
{
	return ns ? (double)bytes * 1e3 / (double)ns : 0;
}

static inline uint64_t zcctl_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#endif /* ZCCTL_H */
