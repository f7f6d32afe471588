// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev holds only the DMA channels it uses, and stopping its transfers
 * touches no other channel: the kernel's dmatest runs on the zcdma
 * channels zcdev does not hold while, on its own channels, zcdev cancels
 * running and queued transfers, lets deadlines pass on them and closes
 * files with transfers queued, in a loop. dmatest must count no failure,
 * and every zcdev transfer must end as its stop says (a DONE one with the
 * right bytes).
 *
 * dmatest.ko is /opt/zcdev/modules/dmatest.ko unless ZCDEV_DMATEST_KO
 * names another; without it, or without a zcdma channel free for it, the
 * test SKIPs. zcdev's loop runs from before dmatest starts until every
 * dmatest thread has done its DMATEST_ITERATIONS tests (a dmatest stopped
 * early with run=0 would count its test in flight as timed out: the stop
 * interrupts its wait). dmatest reports per thread in the kernel log
 * ("summary N tests, F failures"), read after a marker this test writes
 * to /dev/kmsg.
 * zcdma's bandwidth is capped (for every channel) so that zcdev's
 * transfers last long enough to be stopped while they run; dmatest only
 * gets slower.
 */
#include <dirent.h>
#include <stdatomic.h>
#include <sys/klog.h>

#include "dma_chan_test.h"
#include "zcdev_module.h"

#define MS		NSEC_PER_MSEC
#define DMATEST_KO	"/opt/zcdev/modules/dmatest.ko"
#define DMATEST_PARAMS	"/sys/module/dmatest/parameters/"
#define DMATEST_THREADS	2	/* per channel */
#define DMATEST_ITERATIONS	"300"
#define DMATEST_MAX_MS	240000
#define LOOP_MBPS	200UL
#define XLEN		(1 * MiB)
#define CLOSE_EVERY	8	/* cycles between closes with transfers queued */

static const char *dmatest_ko(void)
{
	const char *p = getenv("ZCDEV_DMATEST_KO");

	return p && *p ? p : DMATEST_KO;
}

FIXTURE(alongside) {
	int fd;
	struct zcdev_info info;
	char free_chans[ZT_MAX_CHANS][32];
	int nr_free;
	bool loaded;
};

/* /sys/class/dma/@name/in_use, or -1. */
static int chan_in_use(const char *name)
{
	char path[300];
	unsigned long v;

	snprintf(path, sizeof(path), "/sys/class/dma/%s/in_use", name);
	return zt_read_ulong(path, &v) ? -1 : (int)v;
}

FIXTURE_SETUP(alongside)
{
	struct dirent *de;
	struct stat sb;
	DIR *d;

	self->fd = -1;
	zt_knobs_restore();
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_DMA(&self->info);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_PAGES);
	ZT_SETUP_NEED_KNOBS(self->fd);
	if (!zt_all_chans_zcdma(self->fd))
		ZT_SETUP_SKIP("not every DMA channel of zcdev is zcdma's");
	if (access(dmatest_ko(), R_OK))
		ZT_SETUP_SKIP("no dmatest.ko at %s", dmatest_ko());
	if (!stat("/sys/module/dmatest", &sb))
		ZT_SETUP_SKIP("dmatest is loaded already");

	d = opendir("/sys/class/dma");
	ASSERT_NE(NULL, d);
	while ((de = readdir(d)) && self->nr_free < ZT_MAX_CHANS) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= 32 ||
		    !zt_chan_is_zcdma(de->d_name) || chan_in_use(de->d_name))
			continue;
		strcpy(self->free_chans[self->nr_free++], de->d_name);
	}
	closedir(d);
	if (!self->nr_free)
		ZT_SETUP_SKIP("no zcdma channel is free for dmatest (zcdma channels=, zcdev dma_channel=)");
}

static int write_param(const char *name, const char *val)
{
	char path[128];
	ssize_t len = strlen(val);
	int fd, ret = 0;

	snprintf(path, sizeof(path), DMATEST_PARAMS "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

static int read_param(const char *name, char *val, size_t size)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), DMATEST_PARAMS "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, val, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	val[n] = '\0';
	return 0;
}

FIXTURE_TEARDOWN(alongside)
{
	if (self->loaded) {
		write_param("run", "0");
		syscall(SYS_delete_module, "dmatest", O_NONBLOCK);
	}
	zt_knobs_restore();
	if (self->fd >= 0)
		close(self->fd);
}

static int load_dmatest(void)
{
	static const char params[] = "iterations=" DMATEST_ITERATIONS
		" threads_per_chan=2 test_buf_size=16384 noverify=0 norandom=0";

	return finit_ko(dmatest_ko(), params);
}

/**
 * struct stopper - a thread stopping zcdev transfers in a loop
 * @fd: its file (one per zcdev channel)
 * @chan: that file's channel
 * @src: what its transfers copy
 * @dst: three slots of XLEN, one per transfer of a cycle
 * @quit: set by the test when the loop should end
 * @cycles: cycles run
 * @stopped: transfers that ended CANCELLED or TIMEDOUT
 * @done: transfers that ran to the end before their stop
 * @stopped_whole: stopped ones that report every byte moved (the engine
 *	finished them, the completion had not been seen yet)
 * @closes: files closed with transfers queued
 * @err: what went wrong first, or ""
 */
struct stopper {
	int fd;
	int chan;
	struct zt_region src, dst;
	atomic_bool *quit;
	unsigned int cycles, stopped, done, closes, stopped_whole;
	char err[160];
};

/* One transfer's end @w: a stop's status, or DONE with the right bytes. */
static bool judge(struct stopper *s, const char *what,
		  const struct zcdev_dma_wait *w, unsigned int slot,
		  __u32 stop_status)
{
	if (w->status == stop_status && w->bytes <= XLEN) {
		s->stopped++;
		s->stopped_whole += w->bytes == XLEN;
		return true;
	}
	if (w->status == ZCDEV_DMA_DONE && w->bytes == XLEN &&
	    !memcmp(s->dst.mem + slot * XLEN, s->src.mem, XLEN)) {
		s->done++;
		return true;
	}
	snprintf(s->err, sizeof(s->err),
		 "cycle %u, %s: status %u error %d bytes %llu%s", s->cycles,
		 what, w->status, w->error, (unsigned long long)w->bytes,
		 w->status == ZCDEV_DMA_DONE ? " (wrong bytes?)" : "");
	return false;
}

/* Reap a cancelled transfer and judge it. */
static bool reap_cancelled(struct stopper *s, const char *what, __u64 id,
			   unsigned int slot)
{
	struct zcdev_dma_wait w;
	int ret = zt_dma_wait(s->fd, id, 0, zt_deadline_in(ZT_HANG_NS), &w);

	if (ret) {
		snprintf(s->err, sizeof(s->err), "cycle %u, %s: wait: %s",
			 s->cycles, what, strerror(-ret));
		return false;
	}
	return judge(s, what, &w, slot, ZCDEV_DMA_CANCELLED);
}

/* A new file with two transfers (one running, one queued), closed. */
static int close_with_queued(void)
{
	struct zcdev_alloc a;
	int fd = zt_open(), ret, i;

	if (fd < 0)
		return fd;
	ret = zt_alloc(fd, ZCDEV_BUF_PAGES, 2 * XLEN, &a);
	for (i = 0; !ret && i < 2; i++)
		ret = zt_dma_submit1(fd, zt_ep_buf(a.handle, 0),
				     zt_ep_buf(a.handle, XLEN), XLEN, i, NULL);
	close(fd);
	return ret;
}

/*
 * Each cycle: three transfers; cancel the second (queued) and the first
 * (running), let a passed deadline stop the third; reap and check them.
 */
static void *stopper_run(void *arg)
{
	struct stopper *s = arg;
	struct zcdev_dma_wait w;
	__u64 id[3];
	__u32 n;
	int i, ret;

	while (!atomic_load(s->quit)) {
		for (i = 0; i < 3; i++) {
			ret = zt_dma_submit1(s->fd, zt_region_ep(&s->src, 0),
					     zt_region_ep(&s->dst, i * XLEN),
					     XLEN, i, &id[i]);
			if (ret) {
				snprintf(s->err, sizeof(s->err),
					 "cycle %u: submit %d: %s", s->cycles,
					 i, strerror(-ret));
				return NULL;
			}
		}
		ret = zt_dma_cancel(s->fd, id[1], 0, &n);
		if (!ret)
			ret = zt_dma_cancel(s->fd, id[0], 0, &n);
		if (ret) {
			snprintf(s->err, sizeof(s->err), "cycle %u: cancel: %s",
				 s->cycles, strerror(-ret));
			return NULL;
		}
		/* A deadline that has passed: look once, then stop it. */
		ret = zt_dma_wait(s->fd, id[2], 0, 1, &w);
		if (ret) {
			snprintf(s->err, sizeof(s->err), "cycle %u, third: wait: %s",
				 s->cycles, strerror(-ret));
			return NULL;
		}
		if (!judge(s, "third", &w, 2, ZCDEV_DMA_TIMEDOUT) ||
		    !reap_cancelled(s, "first", id[0], 0) ||
		    !reap_cancelled(s, "second", id[1], 1))
			return NULL;
		s->cycles++;
		if (s->cycles % CLOSE_EVERY == 0) {
			ret = close_with_queued();
			if (ret) {
				snprintf(s->err, sizeof(s->err),
					 "cycle %u: close with transfers queued: %s",
					 s->cycles, strerror(-ret));
				return NULL;
			}
			s->closes++;
		}
	}
	return NULL;
}

/* The kernel log from after @marker's last occurrence (malloc'ed). */
static char *log_after(const char *marker)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, *p, *last = NULL;
	int n;

	if (size <= 0)
		return NULL;
	buf = malloc(size + 1);
	if (!buf)
		return NULL;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	for (p = strstr(buf, marker); p; p = strstr(p + 1, marker))
		last = p;
	if (!last) {
		free(buf);
		return NULL;
	}
	memmove(buf, last, strlen(last) + 1);
	return buf;
}

static int kmsg_write(const char *msg)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	ssize_t len = strlen(msg);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, msg, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

TEST_F_TIMEOUT(alongside, dmatest_passes_while_zcdev_stops_transfers, 300)
{
	struct stopper st[ZT_MAX_CHANS];
	pthread_t th[ZT_MAX_CHANS];
	int fillers[ZT_MAX_FILLERS];
	unsigned int nfill = 0;
	char marker[96], val[16], *log, *p;
	unsigned int summaries = 0, tests = 0, failures = 0;
	unsigned int stopped = 0, closes = 0, cycles = 0, whole = 0, done = 0;
	atomic_bool quit = false;
	__u64 t0, took;
	int nr, nr_th, i, ret;

	nr = zt_nr_chans(self->fd);
	ASSERT_LE(1, nr);
	if (nr > ZT_MAX_CHANS)
		nr = ZT_MAX_CHANS;
	memset(st, 0, sizeof(st));
	/* A stopping file on each of zcdev's channels. */
	for (i = 0; i < nr; i++) {
		st[i].quit = &quit;
		st[i].chan = i;
		st[i].fd = zt_open_on_chan(i, fillers, &nfill);
		ASSERT_LE(0, st[i].fd) TH_LOG("no file on channel %d", i);
		ASSERT_EQ(0, zt_region_init(st[i].fd, &st[i].src,
					    ZCDEV_BUF_PAGES, XLEN, "src"));
		ASSERT_EQ(0, zt_region_init(st[i].fd, &st[i].dst,
					    ZCDEV_BUF_PAGES, 3 * XLEN, "dst"));
		zt_region_fill(&st[i].src, 0x5eed1450 + i);
	}
	ASSERT_EQ(0, zt_knob_set(ZT_BANDWIDTH_MBPS, LOOP_MBPS));

	snprintf(marker, sizeof(marker), "zcdev-selftest dma_dmatest_alongside %d %llu",
		 getpid(), (unsigned long long)zt_now_ns());
	ASSERT_EQ(0, kmsg_write(marker));
	ASSERT_EQ(0, load_dmatest()) TH_LOG("insmod %s", dmatest_ko());
	self->loaded = true;
	for (i = 0; i < self->nr_free; i++)
		ASSERT_EQ(0, write_param("channel", self->free_chans[i]))
			TH_LOG("dmatest channel=%s", self->free_chans[i]);
	ASSERT_EQ(0, write_param("run", "1"));

	/* Until dmatest is done ("run" reads N again); no ASSERT meanwhile. */
	for (nr_th = 0; nr_th < nr; nr_th++)
		if (pthread_create(&th[nr_th], NULL, stopper_run, &st[nr_th]))
			break;
	t0 = zt_now_ns();
	do {
		zt_sleep_ms(100);
		ret = read_param("run", val, sizeof(val));
		took = zt_now_ns() - t0;
	} while (!ret && nr_th == nr && val[0] == 'Y' &&
		 took < DMATEST_MAX_MS * MS);
	atomic_store(&quit, true);
	for (i = 0; i < nr_th; i++)
		pthread_join(th[i], NULL);
	ASSERT_EQ(nr, nr_th);
	ASSERT_EQ(0, ret) TH_LOG("reading dmatest's run: %s", strerror(-ret));
	EXPECT_EQ('N', val[0]) TH_LOG("dmatest still runs after %d s",
				      DMATEST_MAX_MS / 1000);

	log = log_after(marker);
	ASSERT_NE(NULL, log) TH_LOG("cannot read the kernel log");
	for (p = strstr(log, "dmatest: "); p; p = strstr(p + 1, "dmatest: ")) {
		unsigned int t, f;
		char *s = strstr(p, " summary ");
		char *eol = strchr(p, '\n');

		/* A failed test's own line says what went wrong. */
		if (strstr(p, ": result #") &&
		    (!eol || strstr(p, ": result #") < eol))
			TH_LOG("%.*s", eol ? (int)(eol - p) : 200, p);
		if (!s || (eol && s > eol))
			continue;
		if (sscanf(s, " summary %u tests, %u failures", &t, &f) != 2)
			continue;
		summaries++;
		tests += t;
		failures += f;
		EXPECT_NE(0U, t) TH_LOG("%.*s", eol ? (int)(eol - p) : 200, p);
		EXPECT_EQ(0U, f) TH_LOG("%.*s", eol ? (int)(eol - p) : 200, p);
	}
	free(log);

	for (i = 0; i < nr; i++) {
		EXPECT_STREQ("", st[i].err) TH_LOG("channel %d", i);
		stopped += st[i].stopped;
		closes += st[i].closes;
		cycles += st[i].cycles;
		whole += st[i].stopped_whole;
		done += st[i].done;
		zt_region_fini(&st[i].dst);
		zt_region_fini(&st[i].src);
		close(st[i].fd);
	}
	zt_close_fillers(fillers, &nfill);
	TH_LOG("dmatest on %d channel(s): %u threads, %u tests, %u failures, in %llu ms; zcdev on %d channel(s) meanwhile: %u cycles, %u transfers stopped (%u of them with every byte moved), %u done, %u files closed with transfers queued",
	       self->nr_free, summaries, tests, failures, took / MS, nr,
	       cycles, stopped, whole, done, closes);
	EXPECT_EQ((unsigned int)(DMATEST_THREADS * self->nr_free), summaries);
	EXPECT_EQ(0U, failures);
	/* The loop did stop transfers while dmatest ran. */
	EXPECT_LE(20U, stopped);
	EXPECT_LE(1U, closes);

	EXPECT_EQ(0, (int)syscall(SYS_delete_module, "dmatest", O_NONBLOCK));
	self->loaded = false;
}

TEST_HARNESS_MAIN
