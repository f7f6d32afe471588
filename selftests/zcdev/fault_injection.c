// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation and mapping failures, injected: every operation must succeed
 * or fail with a clean errno, the module must keep working once the
 * injection stops, and (checked by the VM harness after the run) nothing
 * may leak (kmemleak) and the module must unload.
 *
 * Needs a kernel with fault injection (make check-debug's); elsewhere the
 * tests SKIP. zcdev's own fault point (/sys/kernel/debug/zcdev/fail) fails
 * its allocation, pinning, mapping, descriptor and send paths; failslab and
 * fail_page_alloc are limited to the test's own process with task-filter
 * and /proc/self/make-it-fail.
 */
#include <netinet/in.h>
#include <sys/socket.h>

#include "zcdev_test.h"

#define DEBUGFS		"/sys/kernel/debug"
#define ITERATIONS	150
/*
 * Two workloads of ITERATIONS rounds each: ~13 s on the debug kernel alone,
 * 4x that with another VM on the host's two cores.
 */
#define FI_TIMEOUT_S	180

static int write_str(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n < 0 ? -errno : 0;
}

static int set_attr(const char *dir, const char *name, const char *value)
{
	char path[256];

	snprintf(path, sizeof(path), DEBUGFS "/%s/%s", dir, name);
	return write_str(path, value);
}

static bool clean_errno(int err)
{
	switch (err) {
	case ENOMEM: case ENOSPC: case EFAULT: case EIO: case EINVAL:
	case EAGAIN: case EBUSY: case ENOBUFS: case EINTR: case ENOENT:
	case ENXIO: case ECANCELED: case ETIMEDOUT:
		return true;
	default:
		return false;
	}
}

struct workload {
	int fd;
	int udp;
	int udp_peer;
	char *user;
	unsigned long calls;
	unsigned long failed;
	char bad[160];
};

static void record(struct workload *w, const char *what, int ret)
{
	w->calls++;
	if (!ret)
		return;
	w->failed++;
	if (ret < 0 && clean_errno(-ret))
		return;
	if (!w->bad[0])
		snprintf(w->bad, sizeof(w->bad), "%s: %d (%s)", what, ret,
			 strerror(ret < 0 ? -ret : 0));
}

/* One pass over everything zcdev allocates or maps for. */
static void one_round(struct workload *w, unsigned int i, bool dma)
{
	size_t len = 4096 * (1 + i % 16);
	struct zcdev_alloc a;
	char *p;
	int ret;

	ret = zt_alloc(w->fd, 1 + i % 2, len, &a);
	record(w, "alloc", ret);
	if (ret)
		return;
	p = zt_mmap(w->fd, len, MAP_SHARED, a.offset);
	record(w, "mmap", p ? 0 : -errno);
	if (p) {
		memset(p, i, len);
		munmap(p, len);
	}
	ret = zt_pwrite(w->fd, w->user, len, a.offset);
	record(w, "pwrite", ret == (int)len ? 0 : ret < 0 ? ret : -EIO);

	if (dma) {
		struct zcdev_dma_seg_desc seg = {
			.src = { .type = ZCDEV_DMA_EP_BUF, .handle = a.handle },
			.dst = { .type = ZCDEV_DMA_EP_USER,
				 .addr = (uintptr_t)w->user },
			.len = len,
		};
		struct zcdev_dma_submit s = {
			.size = sizeof(s), .nr_segs = 1,
			.seg_size = sizeof(seg), .segs_ptr = (uintptr_t)&seg,
		};
		struct zcdev_dma_wait wt = {
			.size = sizeof(wt), .deadline_ns = ZCDEV_DEADLINE_NEVER,
		};

		ret = zt_ioctl(w->fd, ZCDEV_IOC_DMA_SUBMIT, &s);
		record(w, "dma submit", ret);
		if (!ret) {
			wt.id = s.id;
			ret = zt_ioctl(w->fd, ZCDEV_IOC_DMA_WAIT, &wt);
			record(w, "dma wait", ret);
			if (!ret && wt.status != ZCDEV_DMA_DONE)
				record(w, "dma status", -wt.error);
		}
	}

	if (a.kind == ZCDEV_BUF_PAGES && w->udp >= 0) {
		struct zcdev_send s = {
			.size = sizeof(s), .sock_fd = w->udp,
			.handle = a.handle, .len = 1000,
			.flags = ZCDEV_SEND_DONTWAIT | ZCDEV_SEND_NOSIGNAL,
		};
		struct zcdev_send_completion c[8];
		struct zcdev_reap r = {
			.size = sizeof(r), .entries_ptr = (uintptr_t)c,
			.max_entries = 8, .entry_size = sizeof(c[0]),
			.deadline_ns = zt_deadline_in(NSEC_PER_MSEC),
		};
		char sink[2048];

		record(w, "send", zt_ioctl(w->fd, ZCDEV_IOC_SEND, &s));
		while (recv(w->udp_peer, sink, sizeof(sink), MSG_DONTWAIT) > 0)
			;
		record(w, "reap", zt_ioctl(w->fd, ZCDEV_IOC_SEND_REAP, &r));
	}
	record(w, "free", zt_free(w->fd, a.handle));
}

static int udp_pair(int *peer)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int s;

	*peer = socket(AF_INET, SOCK_DGRAM, 0);
	if (*peer < 0 || bind(*peer, (void *)&a, len) ||
	    getsockname(*peer, (void *)&a, &len))
		return -1;
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || connect(s, (void *)&a, len))
		return -1;
	return s;
}

/*
 * Run the workload in a child that may have make-it-fail set; the child
 * reports "calls failed bad" through a pipe.
 */
static int run_child(bool make_it_fail, bool dma, struct workload *out)
{
	int pipefd[2], status;
	pid_t pid;

	if (pipe(pipefd))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		struct workload w = { .udp = -1 };

		w.user = mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		w.udp = udp_pair(&w.udp_peer);
		w.fd = zt_open();
		if (w.fd < 0 || w.user == MAP_FAILED)
			_exit(2);
		if (make_it_fail && write_str("/proc/self/make-it-fail", "1"))
			_exit(3);
		for (unsigned int i = 0; i < ITERATIONS; i++)
			one_round(&w, i, dma);
		/* Release with injection still on: its paths must cope too. */
		close(w.fd);
		write_str("/proc/self/make-it-fail", "0");
		dprintf(pipefd[1], "%lu %lu %s", w.calls, w.failed, w.bad);
		_exit(0);
	}
	close(pipefd[1]);
	memset(out, 0, sizeof(*out));
	{
		char msg[256] = "";
		ssize_t n = read(pipefd[0], msg, sizeof(msg) - 1);

		if (n > 0)
			sscanf(msg, "%lu %lu %159[^\n]", &out->calls,
			       &out->failed, out->bad);
	}
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

FIXTURE(fi) {
	bool dma;
};

FIXTURE_SETUP(fi)
{
	struct zcdev_info info;
	int fd = zt_open();

	if (fd < 0)
		ZT_SETUP_SKIP("no %s (%s)", zt_dev_path(), strerror(-fd));
	ASSERT_EQ(0, zt_info(fd, &info));
	self->dma = info.features & ZCDEV_FEAT_DMA;
	close(fd);
}

FIXTURE_TEARDOWN(fi)
{
	set_attr("zcdev/fail", "probability", "0");
	set_attr("failslab", "probability", "0");
	set_attr("fail_page_alloc", "probability", "0");
}

/* After injection: everything works again, with correct data. */
static void assert_healthy(struct __test_metadata *_metadata, bool dma)
{
	struct workload w;

	ASSERT_EQ(0, run_child(false, dma, &w));
	EXPECT_EQ(0UL, w.failed) TH_LOG("after injection: %s", w.bad);
}

/*
 * zcdev's own fault point (module/fault.c) sits in every function marked
 * for fail_function: allocation, pinning, mapping, descriptor prep, send.
 * fail_function itself is not used: on 6.1 it decides inside the kprobe's
 * int3 handler, where the random number trips lockdep and turns it off.
 */
TEST_F_TIMEOUT(fi, zcdev_fail_point_fails_cleanly, FI_TIMEOUT_S)
{
	struct workload w;

	if (access(DEBUGFS "/zcdev/fail/probability", W_OK))
		SKIP(return, "no /sys/kernel/debug/zcdev/fail (CONFIG_FAULT_INJECTION_DEBUG_FS)");
	ASSERT_EQ(0, set_attr("zcdev/fail", "verbose", "0"));
	ASSERT_EQ(0, set_attr("zcdev/fail", "task-filter", "N"));
	ASSERT_EQ(0, set_attr("zcdev/fail", "interval", "1"));
	ASSERT_EQ(0, set_attr("zcdev/fail", "times", "-1"));
	ASSERT_EQ(0, set_attr("zcdev/fail", "probability", "30"));
	ASSERT_EQ(0, run_child(false, self->dma, &w));
	set_attr("zcdev/fail", "probability", "0");
	EXPECT_EQ(0, w.bad[0]) TH_LOG("%s", w.bad);
	EXPECT_LT(0UL, w.failed) TH_LOG("nothing failed: injection inert?");
	TH_LOG("zcdev/fail: %lu calls, %lu failed cleanly", w.calls, w.failed);
	assert_healthy(_metadata, self->dma);
}

static void inject_in_task(struct __test_metadata *_metadata, const char *dir,
			   bool dma)
{
	struct workload w;

	/* Quiet first: a verbose injection prints a backtrace per failure. */
	ASSERT_EQ(0, set_attr(dir, "verbose", "0"));
	ASSERT_EQ(0, set_attr(dir, "task-filter", "Y"));
	ASSERT_EQ(0, set_attr(dir, "interval", "1"));
	ASSERT_EQ(0, set_attr(dir, "times", "-1"));
	ASSERT_EQ(0, set_attr(dir, "probability", "10"));
	ASSERT_EQ(0, run_child(true, dma, &w));
	set_attr(dir, "probability", "0");
	EXPECT_EQ(0, w.bad[0]) TH_LOG("%s: %s", dir, w.bad);
	EXPECT_LT(0UL, w.failed) TH_LOG("%s: nothing failed: injection inert?",
				      dir);
	TH_LOG("%s: %lu calls, %lu failed cleanly", dir, w.calls, w.failed);
}

/*
 * Only the kmalloc caches fail: dma-debug's own GFP_ATOMIC radix-tree
 * nodes must not, or it disables itself for the rest of the run.
 */
static int kmalloc_caches_failslab(const char *value)
{
	static const char *const sizes[] = {
		"8", "16", "32", "64", "96", "128", "192", "256", "512",
		"1k", "2k", "4k", "8k",
	};
	char path[128];
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		snprintf(path, sizeof(path), "/sys/kernel/slab/kmalloc-%s/failslab",
			 sizes[i]);
		n += !write_str(path, value);
	}
	return n;
}

TEST_F_TIMEOUT(fi, failslab_in_this_task, FI_TIMEOUT_S)
{
	if (access(DEBUGFS "/failslab/probability", W_OK))
		SKIP(return, "no failslab (CONFIG_FAILSLAB)");
	if (!kmalloc_caches_failslab("1"))
		SKIP(return, "no /sys/kernel/slab/kmalloc-*/failslab to aim at");
	ASSERT_EQ(0, set_attr("failslab", "cache-filter", "Y"));
	set_attr("failslab", "ignore-gfp-wait", "N");
	inject_in_task(_metadata, "failslab", self->dma);
	kmalloc_caches_failslab("0");
	set_attr("failslab", "cache-filter", "N");
	assert_healthy(_metadata, self->dma);
}

TEST_F_TIMEOUT(fi, fail_page_alloc_in_this_task, FI_TIMEOUT_S)
{
	if (access(DEBUGFS "/fail_page_alloc/probability", W_OK))
		SKIP(return, "no fail_page_alloc (CONFIG_FAIL_PAGE_ALLOC)");
	/*
	 * Order >= 1 only: every failing order-0 allocation elsewhere in the
	 * kernel would print an allocation-failure backtrace, which the
	 * harness rightly counts as a splat. Coherent buffers and large
	 * arrays are high-order.
	 */
	if (zt_meminfo_kb("CmaTotal") > 0)
		SKIP(return, "coherent memory comes from CMA here (CmaTotal %ld kB), which fail_page_alloc does not reach, and zcdev's other page allocations are order 0",
		     zt_meminfo_kb("CmaTotal"));
	set_attr("fail_page_alloc", "ignore-gfp-wait", "N");
	set_attr("fail_page_alloc", "ignore-gfp-highmem", "N");
	set_attr("fail_page_alloc", "min-order", "1");
	inject_in_task(_metadata, "fail_page_alloc", self->dma);
	assert_healthy(_metadata, self->dma);
}

TEST_HARNESS_MAIN
