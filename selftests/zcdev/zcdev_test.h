/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the zcdev selftests; includes kselftest_harness.h.
 *
 * Every helper that wraps a system call returns 0 (or a count / fd) on
 * success and -errno on failure, so tests read as
 * ASSERT_EQ(-EINVAL, zc_alloc(...)).
 *
 * The device is /dev/zcdev unless ZCDEV_DEV names another node.
 */
#ifndef ZCDEV_TEST_H
#define ZCDEV_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include <linux/zcdev.h>

/* The 6.1 harness has an unused parameter; -Wextra would say so. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#define ZC_DEV_DEFAULT	"/dev/zcdev"
#define ZC_MAX_ARGSZ	4096	/* largest size field an ioctl accepts */

static inline const char *zc_dev_path(void)
{
	const char *p = getenv("ZCDEV_DEV");

	return p && *p ? p : ZC_DEV_DEFAULT;
}

/* fd of a new open file of the device, or -errno. */
static inline int zc_open(void)
{
	int fd = open(zc_dev_path(), O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static inline int zc_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static inline int zc_info(int fd, struct zcdev_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return zc_ioctl(fd, ZCDEV_IOC_INFO, info);
}

/* Allocate a buffer; @out (may be NULL) receives the answer. */
static inline int zc_alloc(int fd, __u32 kind, __u64 len,
			   struct zcdev_alloc *out)
{
	struct zcdev_alloc a = {
		.size = sizeof(a),
		.kind = kind,
		.len = len,
	};
	int ret = zc_ioctl(fd, ZCDEV_IOC_ALLOC, &a);

	if (out)
		*out = a;
	return ret;
}

static inline int zc_free(int fd, __u32 handle)
{
	struct zcdev_free f = { .size = sizeof(f), .handle = handle };

	return zc_ioctl(fd, ZCDEV_IOC_FREE, &f);
}

/* Query without DMA segments (allowed to everyone). */
static inline int zc_query(int fd, __u32 handle, struct zcdev_query *q)
{
	memset(q, 0, sizeof(*q));
	q->size = sizeof(*q);
	q->handle = handle;
	return zc_ioctl(fd, ZCDEV_IOC_QUERY, q);
}

static inline int zc_sync(int fd, __u32 handle, __u32 flags, __u64 offset,
			  __u64 len)
{
	struct zcdev_sync s = {
		.size = sizeof(s),
		.handle = handle,
		.flags = flags,
		.offset = offset,
		.len = len,
	};

	return zc_ioctl(fd, ZCDEV_IOC_SYNC, &s);
}

static inline ssize_t zc_pread(int fd, void *buf, size_t len, __u64 off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	return n < 0 ? -errno : n;
}

static inline ssize_t zc_pwrite(int fd, const void *buf, size_t len, __u64 off)
{
	ssize_t n = pwrite(fd, buf, len, (off_t)off);

	return n < 0 ? -errno : n;
}

/* mmap of a device range: the address, or NULL with errno set. */
static inline void *zc_mmap(int fd, size_t len, int flags, __u64 off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd,
		       (off_t)off);

	return p == MAP_FAILED ? NULL : p;
}

/* mmap's errno for a range expected to fail (0 if it mapped). */
static inline int zc_mmap_err(int fd, size_t len, int flags, __u64 off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd,
		       (off_t)off);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, len);
	return 0;
}

static inline __u64 zc_feature_of(__u32 kind)
{
	return kind == ZCDEV_BUF_COHERENT ? ZCDEV_FEAT_COHERENT :
	       kind == ZCDEV_BUF_PAGES ? ZCDEV_FEAT_PAGES : 0;
}

/* A byte pattern that differs per position and per seed. */
static inline unsigned char zc_pat(size_t i, unsigned int seed)
{
	return (unsigned char)((i * 131 + (i >> 12) * 7 + seed * 29 + 1) ^
			       (i >> 8));
}

static inline void zc_fill(void *buf, size_t len, size_t start,
			   unsigned int seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = zc_pat(start + i, seed);
}

/* Index of the first byte that is not the pattern, or -1. */
static inline long zc_check(const void *buf, size_t len, size_t start,
			    unsigned int seed)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != zc_pat(start + i, seed))
			return (long)i;
	return -1;
}

/* Index of the first non-zero byte, or -1. */
static inline long zc_first_nonzero(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return (long)i;
	return -1;
}

/* Is @cap in this thread's effective set? */
static inline bool zc_has_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1U << (cap % 32));
}

/* Clear @cap from the effective set (capset(2)); 0 or -errno. */
static inline int zc_drop_effective_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[cap / 32].effective &= ~(1U << (cap % 32));
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

/* Exit status of a forked child, or -1 if it did not exit normally. */
static inline int zc_wait(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static inline bool zc_open_error_means_absent(int err)
{
	return err == -ENOENT || err == -ENODEV || err == -ENXIO ||
	       err == -EACCES || err == -EPERM;
}

/*
 * SKIP from a FIXTURE_SETUP. The 6.1 harness runs the test body after a
 * SKIP in setup (it only checks _metadata->passed); clearing passed there
 * makes the wrapper return before the body, and the child still reports
 * SKIP because skip is set. Harnesses that have XFAIL (6.9+) stop after a
 * SKIP in setup on their own.
 */
#ifdef XFAIL
#define ZC_SETUP_SKIP(fmt, ...) SKIP(return, fmt, ##__VA_ARGS__)
#else
#define ZC_SETUP_SKIP(fmt, ...) \
	SKIP({ _metadata->passed = 0; return; }, fmt, ##__VA_ARGS__)
#endif

/*
 * Open the device into @fdp and read INFO into @infop, or SKIP the test
 * when there is no device to test (module not loaded, not root).
 */
#define ZC_SETUP_OPEN(fdp, infop) do { \
	int __fd = zc_open(); \
	if (zc_open_error_means_absent(__fd)) \
		ZC_SETUP_SKIP("%s: %s", zc_dev_path(), strerror(-__fd)); \
	ASSERT_LE(0, __fd) \
		TH_LOG("open %s: %s", zc_dev_path(), strerror(-__fd)); \
	*(fdp) = __fd; \
	ASSERT_EQ(0, zc_info(__fd, (infop))); \
} while (0)

/* SKIP unless the module offers buffers of @kind. */
#define ZC_SETUP_NEED_KIND(infop, kind) do { \
	if (!((infop)->features & zc_feature_of(kind))) \
		ZC_SETUP_SKIP("module lacks buffer kind %u", (kind)); \
} while (0)

#endif /* ZCDEV_TEST_H */
