/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the tests of zcdev's DMA channels (dma_isolation.c,
 * dma_fairness.c, dma_channels.c, dma_dmatest_alongside.c); builds on
 * dma_test.h.
 *
 * Channels are numbered as DMA_STATS lists them. A file is bound to a
 * channel at its first DMA submission, the one with the fewest files, and
 * nothing tells a file which one it got; zt_bind_file() submits a one-byte
 * transfer and sees whose `files` count went up. A test that needs two
 * files on one channel binds files one at a time and keeps those that land
 * elsewhere open (fillers): each filler makes another channel busier, so
 * the wanted one soon is the least busy. The tests are the only users of
 * the device while they run, so no other file binds in between.
 */
#ifndef ZCDEV_DMA_CHAN_TEST_H
#define ZCDEV_DMA_CHAN_TEST_H

#include <sys/stat.h>

#include "dma_test.h"

/* More than zcdev will ever use at once in these tests' VMs. */
#define ZT_MAX_CHANS	64

/* Fillers a test may have to keep open (one per other channel, twice). */
#define ZT_MAX_FILLERS	8

/* Module-wide stats into @st and the first @cap channels into @chans. */
static inline int zt_chan_stats(int fd, struct zcdev_dma_stats *st,
				struct zcdev_dma_chan_stats *chans,
				unsigned int cap)
{
	memset(st, 0, sizeof(*st));
	memset(chans, 0, cap * sizeof(*chans));
	st->size = sizeof(*st);
	st->chans_cap = cap;
	st->chans_ptr = (__u64)(uintptr_t)chans;
	st->chan_size = sizeof(*chans);
	return zt_ioctl(fd, ZCDEV_IOC_DMA_STATS, st);
}

/* One channel's counters (@idx as DMA_STATS numbers them); 0 or -errno. */
static inline int zt_chan_stat(int fd, unsigned int idx,
			       struct zcdev_dma_chan_stats *out)
{
	struct zcdev_dma_chan_stats chans[ZT_MAX_CHANS];
	struct zcdev_dma_stats st;
	int ret = zt_chan_stats(fd, &st, chans, ZT_MAX_CHANS);

	if (ret)
		return ret;
	if (idx >= st.nr_channels || idx >= ZT_MAX_CHANS)
		return -ERANGE;
	*out = chans[idx];
	return 0;
}

/* How many channels zcdev uses, or -errno. */
static inline int zt_nr_chans(int fd)
{
	struct zcdev_dma_stats st;
	int ret = zt_dma_stats(fd, &st);

	return ret ? ret : (int)st.nr_channels;
}

/* Is the DMA channel @name (as in /sys/class/dma) one of zcdma's? */
static inline bool zt_chan_is_zcdma(const char *name)
{
	char path[128], link[256];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/dma/%.32s/device", name);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	base = strrchr(link, '/');
	return !strcmp(base ? base + 1 : link, "zcdma");
}

/* Are all of zcdev's channels zcdma's (so its knobs act on every one)? */
static inline bool zt_all_chans_zcdma(int fd)
{
	struct zcdev_dma_chan_stats chans[ZT_MAX_CHANS];
	struct zcdev_dma_stats st;
	unsigned int i;

	if (zt_chan_stats(fd, &st, chans, ZT_MAX_CHANS) || !st.nr_channels)
		return false;
	for (i = 0; i < st.nr_channels && i < ZT_MAX_CHANS; i++)
		if (!zt_chan_is_zcdma(chans[i].name))
			return false;
	return true;
}

/*
 * Bind @fd to its channel with a one-byte transfer inside a scratch buffer
 * of its own (freed again) and return the channel's index, or -errno:
 * -EALREADY if @fd was bound before (no channel gained a file).
 */
static inline int zt_bind_file(int fd)
{
	struct zcdev_dma_chan_stats before[ZT_MAX_CHANS], after[ZT_MAX_CHANS];
	struct zcdev_dma_stats st;
	struct zcdev_dma_wait w;
	struct zcdev_alloc a;
	unsigned int i, n;
	int ret, found = -EALREADY;
	__u64 id;

	ret = zt_chan_stats(fd, &st, before, ZT_MAX_CHANS);
	if (ret)
		return ret;
	n = st.nr_channels < ZT_MAX_CHANS ? st.nr_channels : ZT_MAX_CHANS;
	ret = zt_alloc(fd, ZCDEV_BUF_COHERENT, 4096, &a);
	if (ret)
		ret = zt_alloc(fd, ZCDEV_BUF_PAGES, 4096, &a);
	if (ret)
		return ret;
	ret = zt_dma_submit1(fd, zt_ep_buf(a.handle, 0),
			     zt_ep_buf(a.handle, 2048), 1, 0, &id);
	if (!ret)
		ret = zt_dma_wait(fd, id, 0, zt_deadline_in(ZT_HANG_NS), &w);
	if (!ret && w.status != ZCDEV_DMA_DONE)
		ret = -EIO;
	zt_free(fd, a.handle);
	if (ret)
		return ret;
	ret = zt_chan_stats(fd, &st, after, ZT_MAX_CHANS);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		if (after[i].files == before[i].files)
			continue;
		if (after[i].files != before[i].files + 1 || found >= 0)
			return -EIO;	/* someone else bound a file too */
		found = (int)i;
	}
	return found;
}

/*
 * A new open file bound to channel @target, or -errno. Files that land
 * elsewhere are left open in @fillers (*@nfill of them so far, at most
 * ZT_MAX_FILLERS); the caller closes them when the test is over.
 */
static inline int zt_open_on_chan(int target, int *fillers,
				  unsigned int *nfill)
{
	int fd, chan;

	while (*nfill < ZT_MAX_FILLERS) {
		fd = zt_open();
		if (fd < 0)
			return fd;
		chan = zt_bind_file(fd);
		if (chan == target)
			return fd;
		if (chan < 0) {
			close(fd);
			return chan;
		}
		fillers[(*nfill)++] = fd;
	}
	return -ENOSPC;
}

static inline void zt_close_fillers(int *fillers, unsigned int *nfill)
{
	while (*nfill)
		close(fillers[--*nfill]);
}

/* ---- talking to a forked child over pipes ---- */

/* Send one byte; 0 or -errno. */
static inline int zt_pipe_put(int fd, char c)
{
	return write(fd, &c, 1) == 1 ? 0 : -EPIPE;
}

/* Wait up to @ms for one byte; 0, -ETIMEDOUT, or -EPIPE (closed). */
static inline int zt_pipe_get(int fd, char *c, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int ret;

	do
		ret = poll(&p, 1, ms);
	while (ret < 0 && errno == EINTR);
	if (ret == 0)
		return -ETIMEDOUT;
	if (ret < 0)
		return -errno;
	return read(fd, c, 1) == 1 ? 0 : -EPIPE;
}

#endif /* ZCDEV_DMA_CHAN_TEST_H */
