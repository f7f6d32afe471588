// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime races, repeated with timing jitter: the interleavings that break
 * drivers like this one. A race shows up as a kernel splat (the harness
 * fails the run), a crash, wrong data or memory that is never given back
 * (INFO.total_bytes must return to where it started).
 *
 * ZCDEV_RACE_ROUNDS scales the repetitions (default 1; make check-debug
 * raises it).
 */
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>

#include "zcdev_test.h"

#define THREADS		4

static unsigned int rounds(void)
{
	const char *v = getenv("ZCDEV_RACE_ROUNDS");

	return v && atoi(v) > 0 ? atoi(v) : 1;
}

static unsigned int rnd(unsigned int *state)
{
	*state = *state * 1103515245 + 12345;
	return *state >> 8;
}

/* Up to 200 us of nothing, or a yield: shifts the interleaving. */
static void jitter(unsigned int *state)
{
	unsigned int r = rnd(state) % 8;
	struct timespec ts = { 0, (rnd(state) % 200) * 1000 };

	if (r == 0)
		nanosleep(&ts, NULL);
	else if (r == 1)
		sched_yield();
}

static __u64 total_bytes(void)
{
	struct zcdev_info info;
	int fd = zt_open();

	if (fd < 0)
		return ~0ULL;
	if (zt_info(fd, &info))
		info.total_bytes = ~0ULL;
	close(fd);
	return info.total_bytes;
}

/* Buffers are freed in the background after the last user: wait a bit. */
static bool total_returns_to(__u64 start)
{
	for (int i = 0; i < 200; i++) {
		if (total_bytes() == start)
			return true;
		usleep(10000);
	}
	return false;
}

FIXTURE(race) {
	__u64 start_total;
	bool have_dev;
	bool have_dma;
};

FIXTURE_SETUP(race)
{
	struct zcdev_info info;
	int fd = zt_open();

	if (fd < 0)
		ZT_SETUP_SKIP("no %s (%s)", zt_dev_path(), strerror(-fd));
	ASSERT_EQ(0, zt_info(fd, &info));
	self->have_dma = info.features & ZCDEV_FEAT_DMA;
	close(fd);
	self->start_total = total_bytes();
	self->have_dev = true;
}

FIXTURE_TEARDOWN(race)
{
	if (self->have_dev)
		EXPECT_TRUE(total_returns_to(self->start_total))
			TH_LOG("total_bytes %llu, was %llu: memory not given back",
			       (unsigned long long)total_bytes(),
			       (unsigned long long)self->start_total);
}

struct shared_fd {
	int fd;
	unsigned int iterations;
	__u32 handles[16];	/* racy on purpose: stale handles are the point */
	unsigned long bad;
};

static void *alloc_free_map(void *arg)
{
	struct shared_fd *s = arg;
	unsigned int seed = (unsigned int)(uintptr_t)&seed ^ (unsigned int)syscall(SYS_gettid);

	for (unsigned int i = 0; i < s->iterations; i++) {
		unsigned int slot = rnd(&seed) % 16;
		__u32 kind = 1 + rnd(&seed) % 2;
		struct zcdev_alloc a;
		char byte;
		char *p;
		int ret;

		switch (rnd(&seed) % 5) {
		case 0:
		case 1:
			if (!zt_alloc(s->fd, kind, 4096 * (1 + rnd(&seed) % 4), &a))
				s->handles[slot] = a.handle;
			break;
		case 2:
			ret = zt_free(s->fd, s->handles[slot]);
			if (ret && ret != -ENOENT)
				__atomic_add_fetch(&s->bad, 1, __ATOMIC_RELAXED);
			break;
		case 3: {
			/* Map whatever is behind the handle now; it may vanish. */
			__u64 off = (__u64)s->handles[slot] << 36;

			p = zt_mmap(s->fd, 4096, MAP_SHARED, off);
			jitter(&seed);
			if (p) {
				p[0] = 42;
				if (p[0] != 42)
					__atomic_add_fetch(&s->bad, 1, __ATOMIC_RELAXED);
				munmap(p, 4096);
			}
			break;
		}
		default:
			zt_pread(s->fd, &byte, 1, (__u64)s->handles[slot] << 36);
			break;
		}
		jitter(&seed);
	}
	return NULL;
}

/* Threads allocate, free, map and read the same handles at once. */
TEST_F_TIMEOUT(race, concurrent_alloc_free_mmap_on_one_fd, 600)
{
	struct shared_fd s = { .iterations = 400 * rounds() };
	pthread_t tid[THREADS];
	int i;

	s.fd = zt_open();
	ASSERT_GE(s.fd, 0);
	for (i = 0; i < THREADS; i++)
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, alloc_free_map, &s));
	for (i = 0; i < THREADS; i++)
		pthread_join(tid[i], NULL);
	EXPECT_EQ(0UL, s.bad);
	close(s.fd);
}

/* A child that dies at a random moment with everything open. */
static void short_life(unsigned int seed, bool dma)
{
	static char user[64 * 1024];
	struct zcdev_alloc a;
	int fd = zt_open();
	char *p;

	if (fd < 0 || zt_alloc(fd, 1 + seed % 2, 64 * 1024, &a))
		_exit(1);
	p = zt_mmap(fd, 64 * 1024, MAP_SHARED, a.offset);
	if (!p)
		_exit(1);
	memset(p, seed, 64 * 1024);
	if (dma) {
		struct zcdev_dma_seg_desc seg = {
			.src = { .type = ZCDEV_DMA_EP_BUF, .handle = a.handle },
			.dst = { .type = ZCDEV_DMA_EP_USER,
				 .addr = (uintptr_t)user },
			.len = sizeof(user),
		};
		struct zcdev_dma_submit s = {
			.size = sizeof(s), .nr_segs = 1,
			.seg_size = sizeof(seg), .segs_ptr = (uintptr_t)&seg,
		};

		for (int i = 0; i < 4; i++)
			zt_ioctl(fd, ZCDEV_IOC_DMA_SUBMIT, &s);
	}
	if (seed & 4)
		zt_free(fd, a.handle);
	if (seed & 8)
		close(fd);
	jitter(&seed);
	_exit(0);
}

/* Many processes that exit with files, mappings and transfers alive. */
TEST_F_TIMEOUT(race, many_short_lived_processes, 600)
{
	unsigned int n = 100 * rounds(), seed = 1;
	int status, failed = 0;

	for (unsigned int i = 0; i < n; i++) {
		pid_t pid = fork();

		ASSERT_GE(pid, 0);
		if (!pid)
			short_life(rnd(&seed) ^ i, self->have_dma);
		rnd(&seed);
		/* Keep a few alive at once so exits overlap. */
		if (i % 4 == 3)
			while (waitpid(-1, &status, WNOHANG) > 0)
				failed += !WIFEXITED(status) || WEXITSTATUS(status);
	}
	while (waitpid(-1, &status, 0) > 0)
		failed += !WIFEXITED(status) || WEXITSTATUS(status);
	EXPECT_EQ(0, failed);
}

/* Parent and child write through the same shared mapping after fork. */
TEST_F_TIMEOUT(race, fork_with_live_mapping_shares_writes, 600)
{
	const size_t len = 16 * 4096;

	for (unsigned int r = 0; r < 20 * rounds(); r++) {
		struct zcdev_alloc a;
		int fd = zt_open(), status;
		unsigned char *p;
		pid_t pid;

		ASSERT_GE(fd, 0);
		ASSERT_EQ(0, zt_alloc(fd, 1 + r % 2, len, &a));
		p = zt_mmap(fd, len, MAP_SHARED, a.offset);
		ASSERT_NE(NULL, p);
		pid = fork();
		ASSERT_GE(pid, 0);
		if (!pid) {
			memset(p + len / 2, 0xc5, len / 2);
			_exit(p[0] == 0 || p[0] == 0xa3 ? 0 : 1);
		}
		memset(p, 0xa3, len / 2);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_EQ(0, WEXITSTATUS(status));
		EXPECT_EQ(0xc5, p[len - 1]);
		EXPECT_EQ(0xa3, p[0]);
		/* Free and close with the child's copy of the mapping gone. */
		zt_free(fd, a.handle);
		munmap(p, len);
		close(fd);
	}
}

static int try_unload(void)
{
	return syscall(SYS_delete_module, "zcdev", O_NONBLOCK) ? -errno : 0;
}

/* rmmod is refused while a transfer holds the module's file. */
TEST_F(race, rmmod_refused_with_transfers_in_flight)
{
	static char src[1 << 20], dst[1 << 20];
	struct zcdev_dma_seg_desc seg = {
		.src = { .type = ZCDEV_DMA_EP_USER, .addr = (uintptr_t)src },
		.dst = { .type = ZCDEV_DMA_EP_USER, .addr = (uintptr_t)dst },
		.len = sizeof(src),
	};
	struct zcdev_dma_submit s = {
		.size = sizeof(s), .nr_segs = 1, .seg_size = sizeof(seg),
		.segs_ptr = (uintptr_t)&seg,
	};
	int fd;

	if (!self->have_dma)
		SKIP(return, "no DMA channel");
	fd = zt_open();
	ASSERT_GE(fd, 0);
	/* Six: the most transfers in flight that may write one page. */
	for (int i = 0; i < 6; i++)
		ASSERT_EQ(0, zt_ioctl(fd, ZCDEV_IOC_DMA_SUBMIT, &s));
	EXPECT_NE(0, try_unload());
	/* Close with them in flight: release stops and waits for them. */
	close(fd);
	EXPECT_EQ(0, access(zt_dev_path(), F_OK));
}

TEST_HARNESS_MAIN
