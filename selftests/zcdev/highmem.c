// SPDX-License-Identifier: GPL-2.0
/*
 * PAGES buffers whose pages are in highmem (32-bit kernels: ARM's armmp,
 * where the board's top ~200 MiB has no permanent kernel mapping). zcdev
 * allocates PAGES buffers with __GFP_HIGHMEM, so every path that touches
 * their bytes must reach a page through kmap_local_page(), a user
 * mapping, vmap or the DMA API: a page_address() anywhere would read or
 * write through a NULL mapping. Each test moves a seeded pattern through
 * one path and checks every byte.
 *
 * That the buffer really has highmem pages is checked, not assumed: the
 * PFNs come from /proc/self/pagemap (CAP_SYS_ADMIN) and the start of the
 * HighMem zone from /proc/zoneinfo. A kernel without that zone (64-bit)
 * SKIPs.
 */
#include <sys/sendfile.h>

#include "dma_test.h"
#include "send_common.h"

#define HM_LEN		(16 * MiB)
#define HM_CHUNK	(192 * KiB + 123)	/* crosses pages unevenly */

/* First PFN of the HighMem zone, or 0 without one. */
static unsigned long highmem_start_pfn(void)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	unsigned long pfn = 0, v;
	bool in_high = false;
	char line[256];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Node ", 5))
			in_high = strstr(line, "zone  HighMem") ||
				  strstr(line, "zone HighMem");
		else if (in_high && sscanf(line, " start_pfn: %lu", &v) == 1)
			pfn = v;
	}
	fclose(f);
	return pfn;
}

/* Pages of [p, p + len) at or above @pfn; -errno if pagemap fails. */
static long pages_from_pfn(const unsigned char *p, size_t len,
			   unsigned long pfn, size_t page)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	long n = 0;
	size_t i;

	if (fd < 0)
		return -errno;
	for (i = 0; i < len; i += page) {
		uint64_t ent;
		off_t at = (off_t)((uintptr_t)(p + i) / page) * 8;

		/* Present for sure: the pattern was just written there. */
		if (pread(fd, &ent, sizeof(ent), at) != sizeof(ent)) {
			n = -EIO;
			break;
		}
		if ((ent >> 63) && (ent & ((1ULL << 55) - 1)) >= pfn)
			n++;
	}
	close(fd);
	return n;
}

FIXTURE(hm) {
	int fd;
	struct zcdev_info info;
	size_t page;
	struct zt_region a;
	unsigned char *pat;	/* what a must hold, by its offset */
	unsigned char *got;
	long high_pages;
};

FIXTURE_SETUP(hm)
{
	unsigned long high = highmem_start_pfn();

	self->fd = -1;
	memset(&self->a, 0, sizeof(self->a));
	self->pat = NULL;
	self->got = NULL;
	if (!high)
		ZT_SETUP_SKIP("no HighMem zone in /proc/zoneinfo (a 64-bit kernel has none)");
	if (!zt_has_cap(CAP_SYS_ADMIN))
		ZT_SETUP_SKIP("needs CAP_SYS_ADMIN for the PFNs in /proc/self/pagemap");
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_PAGES);
	self->page = self->info.page_size;
	ASSERT_EQ(0, zt_region_init(self->fd, &self->a, ZCDEV_BUF_PAGES,
				    HM_LEN, "a"));
	self->pat = malloc(HM_LEN);
	self->got = malloc(HM_LEN);
	ASSERT_NE(NULL, self->pat);
	ASSERT_NE(NULL, self->got);
	zt_rfill(self->pat, HM_LEN, 0x5eed4101);
	/* Through the user mapping: no kernel mapping involved yet. */
	memcpy(self->a.mem, self->pat, HM_LEN);
	self->high_pages = pages_from_pfn(self->a.mem, HM_LEN, high,
					  self->page);
	ASSERT_LT(0, self->high_pages)
		TH_LOG("none of the %zu pages of a %zu MiB PAGES buffer is in highmem (from pfn %lu): %ld",
		       (size_t)(HM_LEN / self->page), (size_t)(HM_LEN / MiB),
		       high, self->high_pages);
}

FIXTURE_TEARDOWN(hm)
{
	zt_region_fini(&self->a);
	free(self->pat);
	free(self->got);
	if (self->fd >= 0)
		close(self->fd);
}

/* Check @got against the pattern at buffer offset @off, @len bytes. */
#define HM_EXPECT_PAT(got, off, len, what) do { \
	long __d = zt_diff((got), self->pat + (off), (len)); \
	EXPECT_EQ(-1, __d) \
		TH_LOG("%s: byte %ld (buffer offset %zu) differs; %ld of %zu pages in highmem", \
		       (what), __d, (size_t)(off) + (size_t)__d, \
		       self->high_pages, (size_t)(HM_LEN / self->page)); \
} while (0)

TEST_F(hm, pread_reads_every_byte_of_highmem_pages)
{
	size_t off, n;

	TH_LOG("%ld of %zu pages in highmem", self->high_pages,
	       (size_t)(HM_LEN / self->page));
	for (off = 0; off < HM_LEN; off += n) {
		n = HM_CHUNK < HM_LEN - off ? HM_CHUNK : HM_LEN - off;
		ASSERT_EQ((ssize_t)n, zt_pread(self->fd, self->got + off, n,
					       self->a.offset + off));
	}
	HM_EXPECT_PAT(self->got, 0, HM_LEN, "pread");
}

TEST_F(hm, pwrite_lands_on_every_byte_of_highmem_pages)
{
	size_t off, n;

	zt_rfill(self->pat, HM_LEN, 0x5eed4102);
	for (off = 0; off < HM_LEN; off += n) {
		n = HM_CHUNK < HM_LEN - off ? HM_CHUNK : HM_LEN - off;
		ASSERT_EQ((ssize_t)n, zt_pwrite(self->fd, self->pat + off, n,
						self->a.offset + off));
	}
	HM_EXPECT_PAT(self->a.mem, 0, HM_LEN, "pwrite, seen in the mapping");
}

TEST_F(hm, splice_into_a_pipe_carries_every_byte)
{
	int p[2];
	size_t done = 0;

	ASSERT_EQ(0, pipe(p));
	while (done < HM_LEN) {
		loff_t off = (loff_t)(self->a.offset + done);
		ssize_t n = splice(self->fd, &off, p[1], NULL,
				   HM_LEN - done < 65536 ? HM_LEN - done : 65536,
				   0);

		ASSERT_LT(0, n) TH_LOG("splice at %zu: %s", done,
				       strerror(errno));
		ASSERT_EQ((ssize_t)n, zc_read_full(p[0], self->got + done, n));
		done += n;
	}
	close(p[0]);
	close(p[1]);
	HM_EXPECT_PAT(self->got, 0, HM_LEN, "splice");
}

struct hm_rx {
	int sock;
	unsigned char *buf;
	size_t len;
	ssize_t got;
};

static void *hm_rx_run(void *arg)
{
	struct hm_rx *rx = arg;

	rx->got = zc_read_full(rx->sock, rx->buf, rx->len);
	return NULL;
}

TEST_F(hm, sendfile_to_tcp_carries_every_byte)
{
	struct hm_rx rx = { .buf = self->got, .len = HM_LEN };
	off_t off = (off_t)self->a.offset;
	size_t done = 0;
	pthread_t th;
	int tx;

	ASSERT_EQ(0, zs_tcp_pair(AF_INET, &tx, &rx.sock, 0, 0));
	ASSERT_EQ(0, pthread_create(&th, NULL, hm_rx_run, &rx));
	while (done < HM_LEN) {
		ssize_t n = sendfile(tx, self->fd, &off, HM_LEN - done);

		ASSERT_LT(0, n) TH_LOG("sendfile at %zu: %s", done,
				       strerror(errno));
		done += n;
	}
	pthread_join(th, NULL);
	close(tx);
	close(rx.sock);
	ASSERT_EQ((ssize_t)HM_LEN, rx.got);
	HM_EXPECT_PAT(self->got, 0, HM_LEN, "sendfile");
}

TEST_F(hm, zerocopy_send_carries_every_byte)
{
	struct hm_rx rx = { .buf = self->got, .len = HM_LEN };
	struct zcdev_send_completion c[64];
	unsigned int reaped = 0, sends = 0;
	size_t off;
	pthread_t th;
	int tx;

	if (!(self->info.features & ZCDEV_FEAT_SEND))
		SKIP(return, "module lacks ZCDEV_FEAT_SEND");
	ASSERT_EQ(0, zs_tcp_pair(AF_INET, &tx, &rx.sock, 0, 0));
	ASSERT_EQ(0, pthread_create(&th, NULL, hm_rx_run, &rx));
	for (off = 0; off < HM_LEN; off += MiB, sends++)
		ASSERT_EQ(0, zs_send(self->fd, tx, self->a.handle, off, MiB, 0,
				     off, NULL));
	pthread_join(th, NULL);
	ASSERT_EQ((ssize_t)HM_LEN, rx.got);
	while (reaped < sends) {
		struct zcdev_reap r;
		int ret = zs_reap(self->fd, c, 64,
				  zt_deadline_in(10 * NSEC_PER_SEC), &r);

		ASSERT_EQ(0, ret) TH_LOG("reap: %s", strerror(-ret));
		reaped += r.nr;
	}
	close(tx);
	close(rx.sock);
	HM_EXPECT_PAT(self->got, 0, HM_LEN, "ZCDEV_IOC_SEND");
}

/* DMA between two highmem PAGES buffers and user memory, every byte. */
TEST_F(hm, dma_through_highmem_pages_lands_every_byte)
{
	struct zt_region b, u;
	struct zcdev_dma_wait w;
	__u64 id;

	if (!(self->info.features & ZCDEV_FEAT_DMA))
		SKIP(return, "no DMA channel (INFO.features lacks ZCDEV_FEAT_DMA)");
	ASSERT_EQ(0, zt_region_init(self->fd, &b, ZCDEV_BUF_PAGES, HM_LEN,
				    "b"));
	ASSERT_EQ(0, zt_region_init(self->fd, &u, ZT_KIND_USER, HM_LEN,
				    "user"));
	memcpy(self->a.shadow, self->pat, HM_LEN);
	zt_region_fill(&b, 0x5eed4103);
	zt_region_fill(&u, 0x5eed4104);

	/* a -> b, then b -> user, each unaligned by a few bytes. */
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&self->a, 5),
				    zt_region_ep(&b, 3), HM_LEN - 8, 1, &id));
	ASSERT_EQ(0, zt_dma_wait(self->fd, id, 0,
				 zt_deadline_in(60 * NSEC_PER_SEC), &w));
	ASSERT_EQ(ZT_DONE, w.status);
	zt_region_expect_copy(&b, 3, &self->a, 5, HM_LEN - 8);
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&b, 0),
				    zt_region_ep(&u, 0), HM_LEN, 2, &id));
	ASSERT_EQ(0, zt_dma_wait(self->fd, id, 0,
				 zt_deadline_in(60 * NSEC_PER_SEC), &w));
	ASSERT_EQ(ZT_DONE, w.status);
	zt_region_expect_copy(&u, 0, &b, 0, HM_LEN);
	ZT_EXPECT_REGION(&self->a);
	ZT_EXPECT_REGION(&b);
	ZT_EXPECT_REGION(&u);
	zt_region_fini(&u);
	zt_region_fini(&b);
}

TEST_HARNESS_MAIN
