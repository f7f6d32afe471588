/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the zcdev selftests; includes kselftest_harness.h.
 *
 * Every helper that wraps a system call returns 0 (or a count / fd) on
 * success and -errno on failure, so tests read as
 * ASSERT_EQ(-EINVAL, zt_alloc(...)).
 *
 * The helpers are zt_ (macros ZT_), never libzc's zc_: libzc
 * (userspace/lib/libzc.h) retries EINTR and hides the ioctl structs, while
 * a test must see each call's own result and every field it returns.
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
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include <linux/zcdev.h>

/* The 6.1 harness has an unused parameter; -Wextra would say so. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"

/*
 * ZCDEV_TEST_TIMEOUT_SCALE=N in the environment (run-selftests.sh's
 * test-env) multiplies every test's harness timeout by N, for kernels that
 * run everything several times slower (KASAN on emulated 32-bit ARM). main
 * applies it, once every test has registered itself.
 */
static inline long zt_timeout_scale(void)
{
	const char *s = getenv("ZCDEV_TEST_TIMEOUT_SCALE");
	long n = s ? strtol(s, NULL, 10) : 1;

	return n < 1 || n > 100 ? 1 : n;
}

static inline void zt_scale_timeouts(void)
{
	struct __fixture_metadata *f;
	struct __test_metadata *t;
	long n = zt_timeout_scale();

	if (n == 1)
		return;
	for (f = __fixture_list; f; f = f->next)
		for (t = f->tests; t; t = t->next)
			t->timeout *= n;
}

#undef TEST_HARNESS_MAIN
#define TEST_HARNESS_MAIN \
	static void __attribute__((constructor)) \
	__constructor_order_last(void) \
	{ \
		if (!__constructor_order) \
			__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD; \
	} \
	int main(int argc, char **argv) \
	{ \
		zt_scale_timeouts(); \
		return test_harness_run(argc, argv); \
	}
#pragma GCC diagnostic pop

#define ZT_DEV_DEFAULT	"/dev/zcdev"
#define NSEC_PER_MSEC	1000000LL
#define NSEC_PER_SEC	1000000000LL

static inline const char *zt_dev_path(void)
{
	const char *p = getenv("ZCDEV_DEV");

	return p && *p ? p : ZT_DEV_DEFAULT;
}

/*
 * Is the running kernel @major.@minor or later? Only for what the kernel
 * outside zcdev does differently (io_uring, splice into sockets), which a
 * test must expect per kernel; zcdev's own features are in INFO.
 */
static inline bool zt_kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

static inline __u64 zt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* The deadline_ns of a wait that may last @ns from now. */
static inline __u64 zt_deadline_in(__u64 ns)
{
	return zt_now_ns() + ns;
}

/* fd of a new open file of the device, or -errno. */
/* A /proc/meminfo field in kB, or -1 if the kernel has no such field. */
static inline long zt_meminfo_kb(const char *field)
{
	size_t n = strlen(field);
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':') {
			kb = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

static inline int zt_open(void)
{
	int fd = open(zt_dev_path(), O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static inline int zt_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static inline int zt_info(int fd, struct zcdev_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return zt_ioctl(fd, ZCDEV_IOC_INFO, info);
}

/* Allocate a buffer; @out (may be NULL) receives the answer. */
static inline int zt_alloc(int fd, __u32 kind, __u64 len,
			   struct zcdev_alloc *out)
{
	struct zcdev_alloc a = {
		.size = sizeof(a),
		.kind = kind,
		.len = len,
	};
	int ret = zt_ioctl(fd, ZCDEV_IOC_ALLOC, &a);

	if (out)
		*out = a;
	return ret;
}

/* file_bytes and total_bytes of INFO, or ~0 on error (which checks catch). */
static inline __u64 zt_file_bytes(int fd)
{
	struct zcdev_info info;

	return zt_info(fd, &info) ? ~0ULL : info.file_bytes;
}

static inline __u64 zt_total_bytes(int fd)
{
	struct zcdev_info info;

	return zt_info(fd, &info) ? ~0ULL : info.total_bytes;
}

static inline int zt_free(int fd, __u32 handle)
{
	struct zcdev_free f = { .size = sizeof(f), .handle = handle };

	return zt_ioctl(fd, ZCDEV_IOC_FREE, &f);
}

/* Query without DMA segments (allowed to everyone). */
static inline int zt_query(int fd, __u32 handle, struct zcdev_query *q)
{
	memset(q, 0, sizeof(*q));
	q->size = sizeof(*q);
	q->handle = handle;
	return zt_ioctl(fd, ZCDEV_IOC_QUERY, q);
}

/* ZCDEV_IOC_EXPORT: the new dma-buf fd, or -errno. */
static inline int zt_export(int fd, __u32 handle, __u32 flags)
{
	struct zcdev_export e = {
		.size = sizeof(e),
		.handle = handle,
		.flags = flags,
		.fd = -1,
	};
	int ret = zt_ioctl(fd, ZCDEV_IOC_EXPORT, &e);

	return ret ? ret : e.fd;
}

/*
 * ZCDEV_IOC_IMPORT of dma-buf @dmabuf_fd (@len bytes of it, 0 for all);
 * @out (may be NULL) receives the answer (handle, len, offset).
 */
static inline int zt_import(int fd, int dmabuf_fd, __u64 len,
			    struct zcdev_import *out)
{
	struct zcdev_import im = {
		.size = sizeof(im),
		.fd = dmabuf_fd,
		.len = len,
	};
	int ret = zt_ioctl(fd, ZCDEV_IOC_IMPORT, &im);

	if (out)
		*out = im;
	return ret;
}

static inline int zt_sync(int fd, __u32 handle, __u32 flags, __u64 offset,
			  __u64 len)
{
	struct zcdev_sync s = {
		.size = sizeof(s),
		.handle = handle,
		.flags = flags,
		.offset = offset,
		.len = len,
	};

	return zt_ioctl(fd, ZCDEV_IOC_SYNC, &s);
}

static inline ssize_t zt_pread(int fd, void *buf, size_t len, __u64 off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	return n < 0 ? -errno : n;
}

static inline ssize_t zt_pwrite(int fd, const void *buf, size_t len, __u64 off)
{
	ssize_t n = pwrite(fd, buf, len, (off_t)off);

	return n < 0 ? -errno : n;
}

/* mmap of a device range: the address, or NULL with errno set. */
static inline void *zt_mmap(int fd, size_t len, int flags, __u64 off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd,
		       (off_t)off);

	return p == MAP_FAILED ? NULL : p;
}

/* mmap's errno for a range expected to fail (0 if it mapped). */
static inline int zt_mmap_err(int fd, size_t len, int flags, __u64 off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd,
		       (off_t)off);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, len);
	return 0;
}

static inline __u64 zt_feature_of(__u32 kind)
{
	return kind == ZCDEV_BUF_COHERENT ? ZCDEV_FEAT_COHERENT :
	       kind == ZCDEV_BUF_PAGES ? ZCDEV_FEAT_PAGES : 0;
}

/* A byte pattern that differs per position and per seed. */
static inline unsigned char zt_pat(size_t i, unsigned int seed)
{
	return (unsigned char)((i * 131 + (i >> 12) * 7 + seed * 29 + 1) ^
			       (i >> 8));
}

static inline void zt_fill(void *buf, size_t len, size_t start,
			   unsigned int seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = zt_pat(start + i, seed);
}

/* Index of the first byte that is not the pattern, or -1. */
static inline long zt_check(const void *buf, size_t len, size_t start,
			    unsigned int seed)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != zt_pat(start + i, seed))
			return (long)i;
	return -1;
}

/* Index of the first non-zero byte, or -1. */
static inline long zt_first_nonzero(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return (long)i;
	return -1;
}

/* Read one unsigned number from @path: 0 or -errno. */
static inline int zt_read_ulong(const char *path, unsigned long *val)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (fscanf(f, "%lu", val) != 1)
		ret = -EINVAL;
	fclose(f);
	return ret;
}

/* Is @cap in this thread's effective set? */
static inline bool zt_has_cap(int cap)
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
static inline int zt_drop_effective_cap(int cap)
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
static inline int zt_wait(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static inline bool zt_open_error_means_absent(int err)
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
#define ZT_SETUP_SKIP(fmt, ...) SKIP(return, fmt, ##__VA_ARGS__)
#else
#define ZT_SETUP_SKIP(fmt, ...) \
	SKIP({ _metadata->passed = 0; return; }, fmt, ##__VA_ARGS__)
#endif

/*
 * Open the device into @fdp and read INFO into @infop, or SKIP the test
 * when there is no device to test (module not loaded, not root).
 */
#define ZT_SETUP_OPEN(fdp, infop) do { \
	int __fd = zt_open(); \
	if (zt_open_error_means_absent(__fd)) \
		ZT_SETUP_SKIP("%s: %s", zt_dev_path(), strerror(-__fd)); \
	ASSERT_LE(0, __fd) \
		TH_LOG("open %s: %s", zt_dev_path(), strerror(-__fd)); \
	*(fdp) = __fd; \
	ASSERT_EQ(0, zt_info(__fd, (infop))); \
} while (0)

/* SKIP unless the module offers buffers of @kind. */
#define ZT_SETUP_NEED_KIND(infop, kind) do { \
	if (!((infop)->features & zt_feature_of(kind))) \
		ZT_SETUP_SKIP("module lacks buffer kind %u", (kind)); \
} while (0)

/*
 * The setup of a fixture that holds one buffer, whose data has the fields
 * int fd, struct zcdev_info info, __u64 page, struct zcdev_alloc a and
 * unsigned char *data: the device open (SKIP without it or without
 * buffers of @kind), a buffer of @npages pages of @kind, and @scratch_len
 * bytes of scratch memory (evaluated once the buffer exists: it may use
 * self->a.buf_len). ZT_TEARDOWN_ONE_BUFFER() releases them.
 */
#define ZT_SETUP_ONE_BUFFER(self, kind, npages, scratch_len) do { \
	(self)->fd = -1; \
	(self)->data = NULL; \
	ZT_SETUP_OPEN(&(self)->fd, &(self)->info); \
	ZT_SETUP_NEED_KIND(&(self)->info, (kind)); \
	(self)->page = (self)->info.page_size; \
	ASSERT_EQ(0, zt_alloc((self)->fd, (kind), (npages) * (self)->page, \
			      &(self)->a)); \
	ASSERT_EQ((npages) * (self)->page, (self)->a.buf_len); \
	(self)->data = malloc(scratch_len); \
	ASSERT_NE(NULL, (self)->data); \
} while (0)

/* A test may have closed the file itself (and set fd to -1). */
#define ZT_TEARDOWN_ONE_BUFFER(self) do { \
	free((self)->data); \
	if ((self)->fd >= 0) \
		close((self)->fd); \
} while (0)

#endif /* ZCDEV_TEST_H */
