// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev DMA with many users at once: threads sharing one file, processes
 * with files of their own, a file shared across fork, and waits racing
 * each other. Data is checked with whole-region shadows (dma_test.h);
 * the randomized workloads log their seed (ZCDEV_SEED repeats a run).
 *
 * Workers (threads and child processes) cannot use the harness's ASSERTs,
 * which belong to the test's main thread: they write what went wrong
 * into a message, and the test checks that it is empty.
 */
#include <stdarg.h>

#include "dma_test.h"

#define NR_WORKERS	4
#define PER_WORKER	16
#define W_SLOT		(16 * KiB)
#define W_REGION	(PER_WORKER * W_SLOT)

FIXTURE(conc) {
	int fd;
	struct zcdev_info info;
	size_t page;
	const char *no_hold;	/* why transfers cannot be held, or NULL */
};

FIXTURE_SETUP(conc)
{
	ZT_SETUP_DMA_FILE(self);
	self->no_hold = zt_hold_unavailable(self->fd);
}

FIXTURE_TEARDOWN(conc)
{
	zt_hold_restore();
	if (self->fd >= 0)
		close(self->fd);
}

/**
 * struct worker - one thread or process moving data through one file
 * @fd: the file (shared by threads, a process's own)
 * @idx: worker number: picks the endpoint kinds
 * @seed: for lengths, offsets and patterns
 * @ids: transfer ids it got
 * @err: what went wrong first, or ""
 */
struct worker {
	int fd;
	unsigned int idx;
	__u64 seed;
	__u64 ids[PER_WORKER];
	char err[256];
};

static void worker_fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (w->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
}

static const __u32 worker_kinds[] = {
	ZCDEV_BUF_COHERENT, ZCDEV_BUF_PAGES, ZT_KIND_USER,
};

/*
 * Submit PER_WORKER transfers of random length into slots of a
 * destination, reap them in reverse order by id, and check both regions.
 */
static void worker_run(struct worker *w)
{
	struct zt_region src, dst;
	struct zcdev_dma_wait wt;
	__u64 s = w->seed;
	size_t len[PER_WORKER], soff[PER_WORKER];
	long bad;
	int i, ret;

	ret = zt_region_init(w->fd, &src, worker_kinds[w->idx % 3], W_REGION,
			     "src");
	if (!ret)
		ret = zt_region_init(w->fd, &dst,
				     worker_kinds[(w->idx / 3 + w->idx + 1) % 3],
				     W_REGION, "dst");
	if (ret) {
		worker_fail(w, "worker %u: region: %s", w->idx, strerror(-ret));
		return;
	}
	zt_region_fill(&src, zt_splitmix(&s));
	zt_region_fill(&dst, zt_splitmix(&s));
	for (i = 0; i < PER_WORKER; i++) {
		len[i] = zt_rand_len(&s, W_SLOT - 8);
		soff[i] = zt_rand_below(&s, W_REGION - len[i]);
		ret = zt_dma_submit1(w->fd, zt_region_ep(&src, soff[i]),
				     zt_region_ep(&dst, i * W_SLOT + 3),
				     len[i], ((__u64)w->idx << 32) | i,
				     &w->ids[i]);
		if (ret) {
			worker_fail(w, "worker %u: submit %d: %s", w->idx, i,
				    strerror(-ret));
			goto out;
		}
		zt_region_expect_copy(&dst, i * W_SLOT + 3, &src, soff[i],
				      len[i]);
	}
	for (i = PER_WORKER - 1; i >= 0; i--) {
		ret = zt_dma_wait(w->fd, w->ids[i], 0,
				  zt_deadline_in(ZT_HANG_NS), &wt);
		if (ret) {
			worker_fail(w, "worker %u: wait %d (id %llu): %s",
				    w->idx, i, (unsigned long long)w->ids[i],
				    strerror(-ret));
			continue;
		}
		if (wt.status != ZT_DONE || wt.bytes != len[i] ||
		    wt.user_data != (((__u64)w->idx << 32) | i))
			worker_fail(w, "worker %u: transfer %d: status %u error %d bytes %llu of %zu user_data %#llx",
				    w->idx, i, wt.status, wt.error,
				    (unsigned long long)wt.bytes, len[i],
				    (unsigned long long)wt.user_data);
	}
	bad = zt_region_diff(&dst);
	if (bad >= 0)
		worker_fail(w, "worker %u (%s -> %s): dst byte %ld differs",
			    w->idx, zt_kind_name(src.kind),
			    zt_kind_name(dst.kind), bad);
	bad = zt_region_diff(&src);
	if (bad >= 0)
		worker_fail(w, "worker %u: src byte %ld changed", w->idx, bad);
out:
	zt_region_fini(&dst);
	zt_region_fini(&src);
}

static void *worker_thread(void *arg)
{
	worker_run(arg);
	return NULL;
}

/* NR_WORKERS threads on @fd at once; their ids end up in @w. */
static void run_threads(struct __test_metadata *_metadata, int fd,
			struct worker *w)
{
	pthread_t th[NR_WORKERS];
	__u64 seed = zt_seed(), s = seed;
	unsigned int i;

	TH_LOG("seed %#llx (ZCDEV_SEED=%#llx repeats it)",
	       (unsigned long long)seed, (unsigned long long)seed);
	for (i = 0; i < NR_WORKERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].fd = fd;
		w[i].idx = i;
		w[i].seed = zt_splitmix(&s);
	}
	for (i = 0; i < NR_WORKERS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, worker_thread,
					    &w[i]));
	for (i = 0; i < NR_WORKERS; i++)
		ASSERT_EQ(0, pthread_join(th[i], NULL));
}

TEST_F(conc, threads_sharing_a_file_move_correct_data)
{
	struct worker w[NR_WORKERS];
	unsigned int i;

	run_threads(_metadata, self->fd, w);
	for (i = 0; i < NR_WORKERS; i++)
		EXPECT_STREQ("", w[i].err);
}

TEST_F(conc, threads_sharing_a_file_get_unique_ids)
{
	struct worker w[NR_WORKERS];
	unsigned int i, j, k, l;

	run_threads(_metadata, self->fd, w);
	for (i = 0; i < NR_WORKERS; i++) {
		EXPECT_STREQ("", w[i].err);
		for (j = 0; j < PER_WORKER; j++) {
			EXPECT_NE(0ULL, w[i].ids[j]);
			for (k = 0; k <= i; k++)
				for (l = 0; l < (k == i ? j : PER_WORKER); l++)
					EXPECT_NE(w[k].ids[l], w[i].ids[j])
						TH_LOG("worker %u #%u and worker %u #%u",
						       k, l, i, j);
		}
	}
}

TEST_F(conc, processes_with_own_files_move_correct_data_at_once)
{
	struct worker *w;
	int go[2], i, status;
	pid_t pid[NR_WORKERS];
	__u64 seed = zt_seed(), s = seed;
	char c;

	TH_LOG("seed %#llx (ZCDEV_SEED=%#llx repeats it)",
	       (unsigned long long)seed, (unsigned long long)seed);
	/* Shared, so the children's messages reach the test. */
	w = mmap(NULL, NR_WORKERS * sizeof(*w), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, w);
	ASSERT_EQ(0, pipe(go));
	for (i = 0; i < NR_WORKERS; i++) {
		w[i].idx = i;
		w[i].seed = zt_splitmix(&s);
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i]) {
			close(go[1]);
			/* Start together: when the parent closes the pipe. */
			if (read(go[0], &c, 1) < 0)
				_exit(2);
			w[i].fd = zt_open();
			if (w[i].fd < 0) {
				worker_fail(&w[i], "open: %s",
					    strerror(-w[i].fd));
				_exit(1);
			}
			worker_run(&w[i]);
			close(w[i].fd);
			_exit(w[i].err[0] ? 1 : 0);
		}
	}
	close(go[0]);
	close(go[1]);
	for (i = 0; i < NR_WORKERS; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("worker %d: status %#x", i, status);
		EXPECT_STREQ("", w[i].err);
	}
	munmap(w, NR_WORKERS * sizeof(*w));
}

/* Transfers belong to the file: a child sharing it can reap them. */
TEST_F(conc, forked_child_reaps_transfer_of_shared_file)
{
	struct zt_region a, b;
	__u64 id;
	pid_t pid;

	ASSERT_EQ(0, zt_region_init(self->fd, &a, ZCDEV_BUF_COHERENT,
				    4 * self->page, "a"));
	ASSERT_EQ(0, zt_region_init(self->fd, &b, ZCDEV_BUF_PAGES,
				    4 * self->page, "b"));
	zt_region_fill(&a, 0x5eed3001);
	zt_region_fill(&b, 0x5eed3002);
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&a, 1),
				    zt_region_ep(&b, 2), 3 * self->page, 77,
				    &id));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct zcdev_dma_wait w;

		if (zt_dma_wait(self->fd, id, 0,
				zt_deadline_in(ZT_HANG_NS), &w))
			_exit(1);
		_exit(w.status == ZT_DONE && w.user_data == 77 ? 0 : 2);
	}
	EXPECT_EQ(0, zt_wait(pid));
	EXPECT_EQ(-ENOENT, zt_dma_wait(self->fd, id, 0, 0, NULL));
	/* The buffer mapping is shared: the parent sees the bytes. */
	zt_region_expect_copy(&b, 2, &a, 1, 3 * self->page);
	ZT_EXPECT_REGION(&b);
	zt_region_fini(&b);
	zt_region_fini(&a);
}

/* ---- WAIT_ANY from many threads ---- */

#define NR_ANY		48
#define NR_REAPERS	8

struct reaper {
	int fd;
	unsigned int n;
	__u64 ids[NR_ANY];
	unsigned int spurious;	/* ENOENT while transfers were left */
	char err[128];
};

static void *reaper_thread(void *arg)
{
	struct reaper *r = arg;
	struct zcdev_dma_wait w;
	int ret;

	for (;;) {
		ret = zt_dma_wait(r->fd, 0, ZCDEV_DMA_WAIT_ANY,
				  zt_deadline_in(ZT_HANG_NS), &w);
		if (ret == -ENOENT) {
			/*
			 * Nothing is submitted any more, so once none is left
			 * none comes back: anything to reap now means that
			 * ENOENT was a lie.
			 */
			ret = zt_dma_wait(r->fd, 0, ZCDEV_DMA_WAIT_ANY, 0, &w);
			if (ret == -ENOENT)
				break;
			r->spurious++;
			if (ret == -EAGAIN)
				continue;
		}
		if (ret) {
			snprintf(r->err, sizeof(r->err), "WAIT_ANY: %s",
				 strerror(-ret));
			break;
		}
		if (w.status != ZT_DONE)
			snprintf(r->err, sizeof(r->err), "id %llu: status %u",
				 (unsigned long long)w.id, w.status);
		if (r->n < NR_ANY)
			r->ids[r->n] = w.id;
		r->n++;
	}
	return NULL;
}

/* Submit NR_ANY transfers and let NR_REAPERS threads reap them. */
static void reap_race(struct __test_metadata *_metadata,
		      FIXTURE_DATA(conc) *self, struct reaper *r,
		      __u64 *ids)
{
	struct zt_region a, b;
	pthread_t th[NR_REAPERS];
	unsigned int i;

	ASSERT_EQ(0, zt_region_init(self->fd, &a, ZCDEV_BUF_COHERENT,
				    NR_ANY * self->page, "a"));
	ASSERT_EQ(0, zt_region_init(self->fd, &b, ZCDEV_BUF_PAGES,
				    NR_ANY * self->page, "b"));
	zt_region_fill(&a, 0x5eed3003);
	zt_region_fill(&b, 0x5eed3004);
	/* A little latency: they end one by one while the reapers wait. */
	if (!self->no_hold)
		ASSERT_EQ(0, zt_hold_set(3 * 1000));
	for (i = 0; i < NR_ANY; i++) {
		ASSERT_EQ(0, zt_dma_submit1(self->fd,
					    zt_region_ep(&a, i * self->page),
					    zt_region_ep(&b, i * self->page),
					    self->page - 1, i, &ids[i]));
		zt_region_expect_copy(&b, i * self->page, &a, i * self->page,
				      self->page - 1);
	}
	for (i = 0; i < NR_REAPERS; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].fd = self->fd;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, reaper_thread,
					    &r[i]));
	}
	for (i = 0; i < NR_REAPERS; i++)
		ASSERT_EQ(0, pthread_join(th[i], NULL));
	zt_hold_restore();
	ZT_EXPECT_REGION(&b);
	zt_region_fini(&b);
	zt_region_fini(&a);
}

TEST_F(conc, wait_any_from_threads_reaps_each_transfer_once)
{
	struct reaper r[NR_REAPERS];
	__u64 ids[NR_ANY];
	unsigned int i, j, k, total = 0, found;

	reap_race(_metadata, self, r, ids);
	for (i = 0; i < NR_REAPERS; i++) {
		EXPECT_STREQ("", r[i].err);
		total += r[i].n;
	}
	EXPECT_EQ((unsigned int)NR_ANY, total);
	/* Every id reaped exactly once. */
	for (k = 0; k < NR_ANY; k++) {
		found = 0;
		for (i = 0; i < NR_REAPERS; i++)
			for (j = 0; j < r[i].n && j < NR_ANY; j++)
				found += r[i].ids[j] == ids[k];
		EXPECT_EQ(1U, found) TH_LOG("transfer %u (id %llu)", k,
					    (unsigned long long)ids[k]);
	}
}

/*
 * "Unknown id: ENOENT" - for WAIT_ANY, no transfer left at all. A waiter
 * that loses the race for a finished transfer must go on waiting for the
 * others, not report that there are none.
 */
TEST_F(conc, wait_any_losing_a_race_is_not_enoent)
{
	struct reaper r[NR_REAPERS];
	__u64 ids[NR_ANY];
	unsigned int i, round, spurious = 0;

	/* A race: a few rounds make losing it likely. */
	for (round = 0; round < 8 && !spurious; round++) {
		reap_race(_metadata, self, r, ids);
		for (i = 0; i < NR_REAPERS; i++)
			spurious += r[i].spurious;
	}
	EXPECT_EQ(0U, spurious)
		TH_LOG("%u times WAIT_ANY said ENOENT with transfers left",
		       spurious);
}

/* Two threads waiting for one id: one reaps it, the other gets ENOENT. */
struct id_waiter {
	int fd;
	__u64 id;
	int ret;
	__u32 status;
};

static void *id_waiter_thread(void *arg)
{
	struct id_waiter *iw = arg;
	struct zcdev_dma_wait w;

	iw->ret = zt_dma_wait(iw->fd, iw->id, 0,
			      zt_deadline_in(ZT_HANG_NS), &w);
	iw->status = iw->ret ? 0 : w.status;
	return NULL;
}

/* A wait in one thread ends when another thread cancels the transfer. */
TEST_F(conc, wait_in_one_thread_ends_with_cancel_from_another)
{
	struct id_waiter iw;
	struct zt_region a, b;
	__u32 cancelled;
	pthread_t th;

	if (self->no_hold)
		SKIP(return, "%s", self->no_hold);
	ASSERT_EQ(0, zt_region_init(self->fd, &a, ZCDEV_BUF_PAGES,
				    self->page, "a"));
	ASSERT_EQ(0, zt_region_init(self->fd, &b, ZCDEV_BUF_PAGES,
				    self->page, "b"));
	zt_region_fill(&a, 0x5eed3005);
	zt_region_fill(&b, 0x5eed3006);
	ASSERT_EQ(0, zt_hold_set(2000 * 1000));
	iw.fd = self->fd;
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&a, 0),
				    zt_region_ep(&b, 0), 100, 0, &iw.id));
	ASSERT_EQ(0, pthread_create(&th, NULL, id_waiter_thread, &iw));
	zt_sleep_ms(200);
	ASSERT_EQ(0, zt_dma_cancel(self->fd, iw.id, 0, &cancelled));
	EXPECT_EQ(1U, cancelled);
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(0, iw.ret);
	EXPECT_EQ(ZT_CANCELLED, iw.status);
	ZT_EXPECT_REGION(&b);
	zt_region_fini(&b);
	zt_region_fini(&a);
}

TEST_F(conc, two_waiters_on_one_id_one_reaps_other_enoent)
{
	struct id_waiter iw[2];
	struct zt_region a, b;
	pthread_t th[2];
	unsigned int i;
	__u64 id;

	if (self->no_hold)
		SKIP(return, "%s", self->no_hold);
	ASSERT_EQ(0, zt_region_init(self->fd, &a, ZCDEV_BUF_PAGES,
				    self->page, "a"));
	ASSERT_EQ(0, zt_region_init(self->fd, &b, ZCDEV_BUF_PAGES,
				    self->page, "b"));
	ASSERT_EQ(0, zt_hold_set(300 * 1000));
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&a, 0),
				    zt_region_ep(&b, 0), 100, 0, &id));
	for (i = 0; i < 2; i++) {
		iw[i].fd = self->fd;
		iw[i].id = id;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, id_waiter_thread,
					    &iw[i]));
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_join(th[i], NULL));
	EXPECT_TRUE((iw[0].ret == 0 && iw[1].ret == -ENOENT) ||
		    (iw[1].ret == 0 && iw[0].ret == -ENOENT))
		TH_LOG("results %d and %d", iw[0].ret, iw[1].ret);
	EXPECT_EQ(ZT_DONE, iw[0].ret ? iw[1].status : iw[0].status);
	zt_region_fini(&b);
	zt_region_fini(&a);
}

TEST_HARNESS_MAIN
