// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev on several DMA channels: files spread over them (each file is
 * bound at its first submission to the channel with the fewest files),
 * transfers of files on different channels run in parallel, and DMA_STATS
 * reports every channel through its array (chans_cap, chans_ptr,
 * chan_size), following the ABI's rules for output arrays.
 *
 * The throughput test caps zcdma's bandwidth (bandwidth_mbps, a cap per
 * channel): two files on two channels then take about as long as one file
 * alone, and two files on one channel about twice as long. The times are
 * logged.
 */
#include "dma_chan_test.h"

#define MS		NSEC_PER_MSEC

/* ---- spreading and throughput: needs two channels ---- */

#define PAR_LEN		(8 * MiB)
#define PAR_MBPS	40UL
#define NR_MOVERS	3	/* two on one channel, one on another */

FIXTURE(chans) {
	int fd;			/* for DMA_STATS; never submits */
	struct zcdev_info info;
	int nr;			/* channels */
};

FIXTURE_SETUP(chans)
{
	self->fd = -1;
	zt_knobs_restore();
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_DMA(&self->info);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_PAGES);
	self->nr = zt_nr_chans(self->fd);
	ASSERT_LE(1, self->nr);
	if (self->nr < 2)
		ZT_SETUP_SKIP("zcdev uses one DMA channel (zcdma channels=, zcdev dma_channel=)");
	if (self->nr > ZT_MAX_CHANS)
		self->nr = ZT_MAX_CHANS;
}

FIXTURE_TEARDOWN(chans)
{
	zt_knobs_restore();
	if (self->fd >= 0)
		close(self->fd);
}

/* The smallest `files` count among the first @nr channels. */
static __u32 min_files(const struct zcdev_dma_chan_stats *cs, int nr)
{
	__u32 m = cs[0].files;
	int i;

	for (i = 1; i < nr; i++)
		if (cs[i].files < m)
			m = cs[i].files;
	return m;
}

TEST_F(chans, files_bind_to_least_busy_channel)
{
	struct zcdev_dma_chan_stats before[ZT_MAX_CHANS], after[ZT_MAX_CHANS];
	int fds[2 * ZT_MAX_CHANS], on[2 * ZT_MAX_CHANS];
	struct zcdev_dma_stats st;
	int i, n = 2 * self->nr, x, y, z;

	ASSERT_EQ(0, zt_chan_stats(self->fd, &st, before, ZT_MAX_CHANS));
	for (i = 0; i < n; i++) {
		struct zcdev_dma_chan_stats now[ZT_MAX_CHANS];

		ASSERT_EQ(0, zt_chan_stats(self->fd, &st, now, ZT_MAX_CHANS));
		fds[i] = zt_open();
		ASSERT_LE(0, fds[i]);
		on[i] = zt_bind_file(fds[i]);
		ASSERT_LE(0, on[i]) TH_LOG("bind %d: %s", i, strerror(-on[i]));
		EXPECT_EQ(min_files(now, self->nr), now[on[i]].files)
			TH_LOG("file %d went to %s with %u files", i,
			       now[on[i]].name, now[on[i]].files);
	}
	ASSERT_EQ(0, zt_chan_stats(self->fd, &st, after, ZT_MAX_CHANS));
	for (i = 0; i < self->nr; i++) {
		TH_LOG("%s: %u -> %u files, %llu -> %llu transfers",
		       after[i].name, before[i].files, after[i].files,
		       (unsigned long long)before[i].transfers,
		       (unsigned long long)after[i].transfers);
		/* From an even start, two each; every channel carried one. */
		if (before[i].files == min_files(before, self->nr))
			EXPECT_LE(1U, after[i].files - before[i].files);
	}
	EXPECT_NE(on[0], on[1]) TH_LOG("the first two files share %s",
				       after[on[0]].name);
	EXPECT_LT(before[on[0]].transfers, after[on[0]].transfers);
	EXPECT_LT(before[on[1]].transfers, after[on[1]].transfers);
	for (i = 0; i < n; i++)
		close(fds[i]);

	/* A closed file's place is free again. */
	ASSERT_EQ(0, zt_chan_stats(self->fd, &st, after, ZT_MAX_CHANS));
	for (i = 0; i < self->nr; i++)
		EXPECT_EQ(before[i].files, after[i].files);
	x = zt_open();
	y = zt_open();
	ASSERT_LE(0, x);
	ASSERT_LE(0, y);
	on[0] = zt_bind_file(x);
	on[1] = zt_bind_file(y);
	ASSERT_LE(0, on[0]);
	ASSERT_LE(0, on[1]);
	EXPECT_NE(on[0], on[1]);
	close(x);
	z = zt_open();
	ASSERT_LE(0, z);
	EXPECT_EQ(on[0], zt_bind_file(z)) TH_LOG("the new file did not take the closed one's channel");
	close(z);
	close(y);
}

/**
 * struct mover - one file copying PAR_LEN bytes, in a thread of its own
 * @fd: its file
 * @chan: the channel it is bound to
 * @src: what it copies
 * @dst: where to
 * @start: all movers of a round start together
 * @took: ns from the start to its transfer's end (reaped)
 * @err: what went wrong, or ""
 */
struct mover {
	int fd;
	int chan;
	struct zt_region src, dst;
	pthread_barrier_t *start;
	__u64 took;
	char err[128];
};

static void *mover_run(void *arg)
{
	struct mover *m = arg;
	struct zcdev_dma_wait w;
	__u64 t0, id;
	int ret;

	pthread_barrier_wait(m->start);
	t0 = zt_now_ns();
	ret = zt_dma_submit1(m->fd, zt_region_ep(&m->src, 0),
			     zt_region_ep(&m->dst, 0), PAR_LEN, 0, &id);
	if (!ret)
		ret = zt_dma_wait(m->fd, id, 0, zt_deadline_in(ZT_HANG_NS), &w);
	m->took = zt_now_ns() - t0;
	if (ret)
		snprintf(m->err, sizeof(m->err), "%s", strerror(-ret));
	else if (w.status != ZCDEV_DMA_DONE || w.bytes != PAR_LEN)
		snprintf(m->err, sizeof(m->err), "status %u bytes %llu",
			 w.status, (unsigned long long)w.bytes);
	else if (zt_region_diff(&m->dst) >= 0)
		snprintf(m->err, sizeof(m->err), "wrong bytes");
	return NULL;
}

/* Run @m[0..n) at once; the time until the last one ended, in ns. */
static __u64 run_movers(struct __test_metadata *_metadata, struct mover **m,
			int n, __u64 seed)
{
	pthread_barrier_t start;
	pthread_t th[NR_MOVERS];
	__u64 longest = 0;
	int i;

	pthread_barrier_init(&start, NULL, n);
	for (i = 0; i < n; i++) {
		m[i]->start = &start;
		m[i]->err[0] = '\0';
		zt_region_fill(&m[i]->dst, seed + i);
		zt_region_expect_copy(&m[i]->dst, 0, &m[i]->src, 0, PAR_LEN);
		ASSERT_EQ(0, pthread_create(&th[i], NULL, mover_run, m[i]));
	}
	for (i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		EXPECT_STREQ("", m[i]->err) TH_LOG("mover on channel %d",
						   m[i]->chan);
		if (m[i]->took > longest)
			longest = m[i]->took;
	}
	pthread_barrier_destroy(&start);
	return longest;
}

TEST_F(chans, files_on_two_channels_move_data_in_parallel)
{
	struct mover mv[NR_MOVERS], *m[2];
	int fillers[ZT_MAX_FILLERS];
	unsigned int nfill = 0;
	__u64 solo, par, shared;
	int i;

	if (!zt_all_chans_zcdma(self->fd))
		SKIP(return, "not every DMA channel is zcdma's: bandwidth_mbps does not apply");
	memset(mv, 0, sizeof(mv));
	for (i = 0; i < NR_MOVERS; i++)
		mv[i].fd = -1;
	/* mv[0] and mv[2] share a channel, mv[1] has another. */
	mv[0].fd = zt_open();
	ASSERT_LE(0, mv[0].fd);
	mv[0].chan = zt_bind_file(mv[0].fd);
	ASSERT_LE(0, mv[0].chan);
	mv[1].fd = zt_open();
	ASSERT_LE(0, mv[1].fd);
	mv[1].chan = zt_bind_file(mv[1].fd);
	ASSERT_LE(0, mv[1].chan);
	ASSERT_NE(mv[0].chan, mv[1].chan)
		TH_LOG("two files on an idle device share a channel");
	mv[2].chan = mv[0].chan;
	mv[2].fd = zt_open_on_chan(mv[0].chan, fillers, &nfill);
	ASSERT_LE(0, mv[2].fd);
	for (i = 0; i < NR_MOVERS; i++) {
		ASSERT_EQ(0, zt_region_init(mv[i].fd, &mv[i].src,
					    ZCDEV_BUF_PAGES, PAR_LEN, "src"));
		ASSERT_EQ(0, zt_region_init(mv[i].fd, &mv[i].dst,
					    ZCDEV_BUF_PAGES, PAR_LEN, "dst"));
		zt_region_fill(&mv[i].src, 0x5eed1430 + i);
	}

	ASSERT_EQ(0, zt_knob_set(ZT_BANDWIDTH_MBPS, PAR_MBPS));
	m[0] = &mv[0];
	solo = run_movers(_metadata, m, 1, 0x5eed1440);
	m[1] = &mv[1];
	par = run_movers(_metadata, m, 2, 0x5eed1450);
	m[1] = &mv[2];
	shared = run_movers(_metadata, m, 2, 0x5eed1460);
	TH_LOG("%lu MiB per file at %lu MB/s per channel: 1 file %llu ms; 2 files on 2 channels %llu ms (%llu MB/s together); 2 files on 1 channel %llu ms",
	       PAR_LEN / MiB, PAR_MBPS, solo / MS, par / MS,
	       par ? 2ULL * PAR_LEN * 1000 / par : 0, shared / MS);
	/* Parallel: about one file's time, clearly below two files' time. */
	EXPECT_GT(solo * 3 / 2, par);
	EXPECT_GT(shared * 3 / 4, par);

	for (i = 0; i < NR_MOVERS; i++) {
		zt_region_fini(&mv[i].dst);
		zt_region_fini(&mv[i].src);
		close(mv[i].fd);
	}
	zt_close_fillers(fillers, &nfill);
}

/* ---- DMA_STATS's channel array: any number of channels ---- */

FIXTURE(chan_stats) {
	int fd;
	struct zcdev_info info;
	struct zcdev_dma_stats st;	/* with chans_cap 0 */
};

FIXTURE_SETUP(chan_stats)
{
	self->fd = -1;
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_DMA(&self->info);
	ASSERT_EQ(0, zt_dma_stats(self->fd, &self->st));
	ASSERT_LE(1U, self->st.nr_channels);
}

FIXTURE_TEARDOWN(chan_stats)
{
	if (self->fd >= 0)
		close(self->fd);
}

static int stats_raw(int fd, struct zcdev_dma_stats *st, void *arr,
		     __u32 cap, __u32 chan_size)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->chans_cap = cap;
	st->chans_ptr = (__u64)(uintptr_t)arr;
	st->chan_size = chan_size;
	return zt_ioctl(fd, ZCDEV_IOC_DMA_STATS, st);
}

TEST_F(chan_stats, no_array_wanted)
{
	struct zcdev_dma_stats st;

	/* Capacity 0: neither pointer nor element size is looked at. */
	ASSERT_EQ(0, stats_raw(self->fd, &st, NULL, 0, 0));
	EXPECT_EQ(self->st.nr_channels, st.nr_channels);
	ASSERT_EQ(0, stats_raw(self->fd, &st, NULL, 0, 1));
	EXPECT_EQ(self->st.nr_channels, st.nr_channels);
}

TEST_F(chan_stats, element_size_rules)
{
	struct zcdev_dma_stats st;
	unsigned char *arr = calloc(2, ZCDEV_MAX_ARG_SIZE + 1);

	ASSERT_NE(NULL, arr);
	EXPECT_EQ(-EINVAL, stats_raw(self->fd, &st, arr, 1, 0));
	EXPECT_EQ(-EINVAL, stats_raw(self->fd, &st, arr, 1,
				     ZCDEV_DMA_CHAN_STATS_SIZE_VER0 - 1));
	EXPECT_EQ(0, stats_raw(self->fd, &st, arr, 1,
			       ZCDEV_DMA_CHAN_STATS_SIZE_VER0));
	EXPECT_EQ(0, stats_raw(self->fd, &st, arr, 1, ZCDEV_MAX_ARG_SIZE));
	EXPECT_EQ(-E2BIG, stats_raw(self->fd, &st, arr, 1,
				    ZCDEV_MAX_ARG_SIZE + 1));
	/* A bad pointer with room for elements is EFAULT. */
	EXPECT_EQ(-EFAULT, stats_raw(self->fd, &st, (void *)8, 1,
				     sizeof(struct zcdev_dma_chan_stats)));
	free(arr);
}

#define STRIDE		(sizeof(struct zcdev_dma_chan_stats) + 40)
#define SENTINEL	0xa5

/* Is every byte of [p, p + len) @c? */
static bool all_bytes(const unsigned char *p, size_t len, unsigned char c)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != c)
			return false;
	return true;
}

TEST_F(chan_stats, longer_elements_get_zeroed_tail_and_extra_room_is_untouched)
{
	__u32 nr = self->st.nr_channels, i;
	size_t ksize = sizeof(struct zcdev_dma_chan_stats);
	struct zcdev_dma_chan_stats cs;
	struct zcdev_dma_stats st;
	unsigned char *arr;

	arr = malloc((nr + 1) * STRIDE);
	ASSERT_NE(NULL, arr);
	memset(arr, SENTINEL, (nr + 1) * STRIDE);
	ASSERT_EQ(0, stats_raw(self->fd, &st, arr, nr + 1, STRIDE));
	EXPECT_EQ(nr, st.nr_channels);
	for (i = 0; i < nr; i++) {
		memcpy(&cs, arr + i * STRIDE, ksize);
		EXPECT_NE(0, cs.name[0]) TH_LOG("channel %u has no name", i);
		EXPECT_TRUE(all_bytes(arr + i * STRIDE + ksize, STRIDE - ksize,
				      0))
			TH_LOG("channel %u's tail is not zeroed", i);
	}
	EXPECT_TRUE(all_bytes(arr + nr * STRIDE, STRIDE, SENTINEL))
		TH_LOG("the element past nr_channels was written");

	/* Room for fewer than there are: only that many are written. */
	if (nr >= 2) {
		memset(arr, SENTINEL, (nr + 1) * STRIDE);
		ASSERT_EQ(0, stats_raw(self->fd, &st, arr, 1, STRIDE));
		EXPECT_EQ(nr, st.nr_channels);
		EXPECT_FALSE(all_bytes(arr, ksize, SENTINEL));
		EXPECT_TRUE(all_bytes(arr + STRIDE, nr * STRIDE, SENTINEL))
			TH_LOG("elements past chans_cap were written");
	}
	free(arr);
}

/* /sys/class/dma/@name/in_use, or -1. */
static int chan_in_use(const char *name)
{
	char path[128];
	unsigned long v;

	snprintf(path, sizeof(path), "/sys/class/dma/%.32s/in_use", name);
	return zt_read_ulong(path, &v) ? -1 : (int)v;
}

/* Does the comma list @list name @name? */
static bool listed(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ",\n");

		if (n == len && !strncmp(p, name, len))
			return true;
		p += n;
		p += *p != '\0';
	}
	return false;
}

TEST_F(chan_stats, channels_are_the_engines_channels_in_use)
{
	struct zcdev_dma_chan_stats cs[ZT_MAX_CHANS];
	struct zcdev_dma_stats st;
	__u64 transfers = 0, bytes = 0, errors = 0, timeouts = 0, cancels = 0;
	char param[512] = "";
	__u32 i, j, nr;
	FILE *f;

	ASSERT_EQ(0, zt_chan_stats(self->fd, &st, cs, ZT_MAX_CHANS));
	nr = st.nr_channels < ZT_MAX_CHANS ? st.nr_channels : ZT_MAX_CHANS;
	EXPECT_STREQ(cs[0].name, st.channel);
	f = fopen("/sys/module/zcdev/parameters/dma_channel", "re");
	if (f) {
		if (!fgets(param, sizeof(param), f))
			param[0] = '\0';
		fclose(f);
		if (!strncmp(param, "(null)", 6))
			param[0] = '\0';
	}
	for (i = 0; i < nr; i++) {
		EXPECT_NE(NULL, memchr(cs[i].name, '\0', sizeof(cs[i].name)));
		EXPECT_EQ(1, chan_in_use(cs[i].name))
			TH_LOG("%s: not an in-use channel of /sys/class/dma",
			       cs[i].name);
		EXPECT_EQ(0U, cs[i].reserved);
		EXPECT_GE(1U, cs[i].running);
		if (param[0])
			EXPECT_TRUE(listed(param, cs[i].name))
				TH_LOG("%s is not in dma_channel=%s",
				       cs[i].name, param);
		for (j = 0; j < i; j++)
			EXPECT_STRNE(cs[j].name, cs[i].name);
		transfers += cs[i].transfers;
		bytes += cs[i].bytes;
		errors += cs[i].errors;
		timeouts += cs[i].timeouts;
		cancels += cs[i].cancels;
	}
	/* Each name dma_channel= lists is in use. */
	if (param[0]) {
		unsigned int named = 1;

		for (i = 0; param[i] && param[i] != '\n'; i++)
			named += param[i] == ',';
		EXPECT_EQ(named, nr) TH_LOG("dma_channel=%s", param);
	}
	/* Nothing runs now: the totals are the channels' sums. */
	EXPECT_EQ(0ULL, st.in_flight);
	EXPECT_EQ(transfers, st.transfers);
	EXPECT_EQ(bytes, st.bytes);
	EXPECT_EQ(errors, st.errors);
	EXPECT_EQ(timeouts, st.timeouts);
	EXPECT_EQ(cancels, st.cancels);
}

TEST_HARNESS_MAIN
