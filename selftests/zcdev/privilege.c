// SPDX-License-Identifier: GPL-2.0
/*
 * What an unprivileged user may and may not do with /dev/zcdev.
 *
 * Each test forks a child that drops to uid/gid 65534 with no
 * capabilities (the parent, root, sets the stage: device mode, cgroup,
 * rlimits). The child reports through its exit status: 0 is pass, anything
 * else is the line it printed.
 */
#include <grp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "zcdev_test.h"

#define NOBODY		65534
#define CGROUP_ROOT	"/sys/fs/cgroup"
#define CGROUP_TEST	CGROUP_ROOT "/zcdev-privilege"

/* Become nobody with an empty capability set; returns 0 or -errno. */
static int drop_to_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -errno;
	return 0;
}

/* Run @fn as nobody in a child; its exit status (0 = pass). */
static int as_nobody(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (!pid) {
		if (drop_to_nobody()) {
			printf("# cannot drop to uid %d: %s\n", NOBODY,
			       strerror(errno));
			_exit(100);
		}
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define CHILD_EXPECT(cond, ...) do {				\
	if (!(cond)) {						\
		printf("# child: " __VA_ARGS__);		\
		printf(" (line %d)\n", __LINE__);		\
		return 1;					\
	}							\
} while (0)

FIXTURE(priv) {
	mode_t mode;
	bool have_dev;
};

FIXTURE_SETUP(priv)
{
	struct stat st;

	if (getuid() != 0)
		ZT_SETUP_SKIP("needs root to set the stage");
	if (stat(zt_dev_path(), &st))
		ZT_SETUP_SKIP("no %s", zt_dev_path());
	self->have_dev = true;
	self->mode = st.st_mode & 07777;
}

FIXTURE_TEARDOWN(priv)
{
	if (self->have_dev)
		chmod(zt_dev_path(), self->mode);
}

static int child_open_is_eacces(void *arg __attribute__((unused)))
{
	int fd = zt_open();

	CHILD_EXPECT(fd == -EACCES, "open as nobody gave %d, want -EACCES", fd);
	return 0;
}

/* The default mode (0600) keeps users out until the admin says otherwise. */
TEST_F(priv, default_mode_keeps_users_out)
{
	ASSERT_EQ(0600U, self->mode)
		TH_LOG("/dev/zcdev mode is %o; dev_mode changed?", self->mode);
	ASSERT_EQ(0, as_nobody(child_open_is_eacces, NULL));
}

static int child_basic_use(void *arg __attribute__((unused)))
{
	struct zcdev_query q = { .size = sizeof(q) };
	struct zcdev_dma_seg seg;
	struct zcdev_alloc a;
	int fd = zt_open();
	char *p;

	CHILD_EXPECT(fd >= 0, "open failed: %d", fd);
	CHILD_EXPECT(!zt_alloc(fd, ZCDEV_BUF_PAGES, 8192, &a), "alloc failed");
	p = zt_mmap(fd, 8192, MAP_SHARED, a.offset);
	CHILD_EXPECT(p, "mmap failed: %s", strerror(errno));
	p[0] = 1;

	/* Metadata is fine; bus addresses are not. */
	q.handle = a.handle;
	CHILD_EXPECT(!zt_ioctl(fd, ZCDEV_IOC_QUERY, &q), "plain query failed");
	q.segs_cap = 1;
	q.seg_size = sizeof(seg);
	q.segs_ptr = (uintptr_t)&seg;
	CHILD_EXPECT(zt_ioctl(fd, ZCDEV_IOC_QUERY, &q) == -EPERM,
		     "DMA addresses reached an unprivileged caller");
	return 0;
}

/* Granted access, a user can work but never sees DMA addresses. */
TEST_F(priv, granted_user_works_without_dma_addresses)
{
	ASSERT_EQ(0, chmod(zt_dev_path(), 0666));
	ASSERT_EQ(0, as_nobody(child_basic_use, NULL));
}

static int child_limits_hold(void *arg __attribute__((unused)))
{
	struct zcdev_info info;
	int fd = zt_open();
	__u64 left;

	CHILD_EXPECT(fd >= 0, "open failed: %d", fd);
	CHILD_EXPECT(!zt_info(fd, &info), "info failed");
	CHILD_EXPECT(zt_alloc(fd, ZCDEV_BUF_PAGES, info.max_buf_bytes + 1,
			      NULL) == -EFBIG, "max_buf_bytes did not hold");
	CHILD_EXPECT(zt_alloc(fd, ZCDEV_BUF_COHERENT,
			      info.max_coherent_bytes + 1, NULL) == -EFBIG,
		     "max_coherent_bytes did not hold");
	/* Just over what the file may still hold, within one buffer's size. */
	left = info.max_file_bytes - info.file_bytes;
	if (left + 4096 <= info.max_buf_bytes)
		CHILD_EXPECT(zt_alloc(fd, ZCDEV_BUF_PAGES, left + 4096, NULL) ==
			     -ENOSPC, "max_file_bytes did not hold");
	return 0;
}

TEST_F(priv, limits_hold_for_users)
{
	ASSERT_EQ(0, chmod(zt_dev_path(), 0666));
	ASSERT_EQ(0, as_nobody(child_limits_hold, NULL));
}

static int child_memlock_limits_pins(void *arg __attribute__((unused)))
{
	size_t len = 64 * 4096;
	struct zcdev_dma_seg_desc seg = {
		.src = { .type = ZCDEV_DMA_EP_USER },
		.dst = { .type = ZCDEV_DMA_EP_USER },
		.len = len,
	};
	struct zcdev_dma_submit s = {
		.size = sizeof(s), .nr_segs = 1, .seg_size = sizeof(seg),
		.segs_ptr = (uintptr_t)&seg,
	};
	struct rlimit rl = { 16 * 4096, 16 * 4096 };
	int fd = zt_open();
	char *src, *dst;
	int ret;

	CHILD_EXPECT(fd >= 0, "open failed: %d", fd);
	CHILD_EXPECT(!setrlimit(RLIMIT_MEMLOCK, &rl), "setrlimit failed");
	src = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	dst = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	CHILD_EXPECT(src != MAP_FAILED && dst != MAP_FAILED, "mmap failed");
	seg.src.addr = (uintptr_t)src;
	seg.dst.addr = (uintptr_t)dst;
	ret = zt_ioctl(fd, ZCDEV_IOC_DMA_SUBMIT, &s);
	CHILD_EXPECT(ret == -ENOMEM,
		     "pinning 128 pages under a 16-page RLIMIT_MEMLOCK gave %d",
		     ret);

	/* Within the limit it works, and the pins are returned afterwards. */
	seg.len = 4 * 4096;
	for (int i = 0; i < 8; i++) {
		struct zcdev_dma_wait w = {
			.size = sizeof(w),
			.deadline_ns = ZCDEV_DEADLINE_NEVER,
		};

		ret = zt_ioctl(fd, ZCDEV_IOC_DMA_SUBMIT, &s);
		CHILD_EXPECT(!ret, "small pin %d failed: %d", i, ret);
		w.id = s.id;
		CHILD_EXPECT(!zt_ioctl(fd, ZCDEV_IOC_DMA_WAIT, &w) &&
			     w.status == ZCDEV_DMA_DONE, "transfer %d failed", i);
	}
	return 0;
}

/* Long-term pins count against RLIMIT_MEMLOCK, as io_uring's do. */
TEST_F(priv, dma_pins_respect_rlimit_memlock)
{
	struct zcdev_info info;
	int fd = zt_open();

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, zt_info(fd, &info));
	close(fd);
	if (!(info.features & ZCDEV_FEAT_DMA))
		SKIP(return, "no DMA channel");
	ASSERT_EQ(0, chmod(zt_dev_path(), 0666));
	ASSERT_EQ(0, as_nobody(child_memlock_limits_pins, NULL));
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -errno;
}

static long long read_number(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = 0;
	close(fd);
	return atoll(buf);
}

static int child_cgroup_charged(void *arg __attribute__((unused)))
{
	const size_t len = 8 << 20;
	long long before, after;
	struct zcdev_alloc a;
	int fd = zt_open(), ret;

	CHILD_EXPECT(fd >= 0, "open failed: %d", fd);
	before = read_number(CGROUP_TEST "/memory.current");
	CHILD_EXPECT(!zt_alloc(fd, ZCDEV_BUF_PAGES, len, &a), "8 MiB alloc");
	after = read_number(CGROUP_TEST "/memory.current");
	CHILD_EXPECT(after - before >= (long long)len,
		     "cgroup charged %lld bytes for an 8 MiB buffer",
		     after - before);
	/* memory.max is 24 MiB: 32 MiB more cannot fit. */
	ret = zt_alloc(fd, ZCDEV_BUF_PAGES, 32 << 20, NULL);
	CHILD_EXPECT(ret == -ENOMEM, "alloc over memory.max gave %d", ret);
	CHILD_EXPECT(!zt_free(fd, a.handle), "free");
	CHILD_EXPECT(read_number(CGROUP_TEST "/memory.current") <
		     after - (long long)len / 2, "free did not uncharge");
	return 0;
}

/* Buffer memory is charged to the caller's memory cgroup. */
TEST_F(priv, buffers_are_charged_to_the_callers_cgroup)
{
	char pid[32];
	int status;
	pid_t child;

	if (access(CGROUP_ROOT "/cgroup.subtree_control", W_OK))
		SKIP(return, "no cgroup2 at " CGROUP_ROOT);
	write_file(CGROUP_ROOT "/cgroup.subtree_control", "+memory");
	rmdir(CGROUP_TEST);
	ASSERT_EQ(0, mkdir(CGROUP_TEST, 0755));
	if (access(CGROUP_TEST "/memory.max", W_OK)) {
		rmdir(CGROUP_TEST);
		SKIP(return, "no memory controller");
	}
	ASSERT_EQ(0, write_file(CGROUP_TEST "/memory.max", "25165824"));
	ASSERT_EQ(0, chmod(zt_dev_path(), 0666));

	/* The child joins the cgroup as root, then drops privileges. */
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		snprintf(pid, sizeof(pid), "%d", getpid());
		if (write_file(CGROUP_TEST "/cgroup.procs", pid) ||
		    drop_to_nobody())
			_exit(100);
		_exit(child_cgroup_charged(NULL));
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	rmdir(CGROUP_TEST);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

static int count_zcdev_log_lines(void)
{
	char line[1024];
	int n = 0;
	FILE *f = fopen("/dev/kmsg", "r");
	int fd;

	if (!f)
		return -1;
	fd = fileno(f);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (read(fd, line, sizeof(line) - 1) > 0)
		n += !!strstr(line, "zcdev:");
	fclose(f);
	return n;
}

static int child_flood(void *arg __attribute__((unused)))
{
	struct zcdev_free f = { .size = sizeof(f), .handle = 12345 };
	int fd = zt_open();

	CHILD_EXPECT(fd >= 0, "open failed: %d", fd);
	for (int i = 0; i < 20000; i++)
		zt_ioctl(fd, ZCDEV_IOC_FREE, &f);
	return 0;
}

/* A user hammering bad ioctls cannot flood the kernel log. */
TEST_F(priv, bad_input_cannot_flood_the_log)
{
	int before, after;

	before = count_zcdev_log_lines();
	if (before < 0)
		SKIP(return, "cannot read /dev/kmsg");
	ASSERT_EQ(0, chmod(zt_dev_path(), 0666));
	ASSERT_EQ(0, as_nobody(child_flood, NULL));
	after = count_zcdev_log_lines();
	/* printk_ratelimit: 10 lines per 5 s, plus the "callbacks suppressed" note. */
	EXPECT_LT(after - before, 100)
		TH_LOG("20000 bad ioctls logged %d lines", after - before);
}

TEST_HARNESS_MAIN
