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

static inline uint64_t zcctl_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#endif /* ZCCTL_H */
