// SPDX-License-Identifier: GPL-2.0
/*
 * dma-buf lifetimes while zcdev's DMA uses an import: the dma-buf fd, the
 * exporter's own handles and files, the import's handle or the importing
 * file go away with a transfer in flight. The transfer either ends DONE
 * with its bytes (when only others let go: the import holds the dma-buf)
 * or, when the importing file closes, is stopped; either way zcdev's write
 * fence on the dma-buf signals, so no importer waits forever. The VM run
 * fails on any kernel splat, so "safe" here also means "no warning".
 *
 * And the exporter's module: vgem cannot be unloaded while zcdev holds an
 * import of its dma-buf (the dma-buf holds vgem), and can once the import
 * is freed; the test loads vgem back (from the VM's stock module list,
 * /lib/modules/zcdev-stock.order) for whatever runs next. zcdev's own
 * module held by its exports is module_lifetime.c's.
 *
 * "In flight" needs a slow engine: zcdma's latency_us (dma_test.h); where
 * the channel is not zcdma's these tests SKIP.
 */
#include "dmabuf_test.h"
#include "zcdev_module.h"

#define MS		NSEC_PER_MSEC
#define LATENCY_MS	500
#define VGEM		"vgem"
#define STOCK_ORDER	"/lib/modules/zcdev-stock.order"

FIXTURE(life) {
	int fd;
	struct zcdev_info info;
	__u64 page;
	char vgem_ko[PATH_MAX];	/* for loading vgem back; "" if unknown */
};

/* The path of vgem.ko in the VM's stock module list into @path, or "". */
static void find_vgem_ko(char *path, size_t len)
{
	char line[PATH_MAX];
	FILE *f = fopen(STOCK_ORDER, "re");

	path[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strlen(line) > 8 &&
		    !strcmp(line + strlen(line) - 8, "/vgem.ko")) {
			snprintf(path, len, "%s", line);
			break;
		}
	}
	fclose(f);
}

static bool vgem_loaded(void)
{
	struct stat st;

	return !stat("/sys/module/" VGEM, &st);
}

static int load_ko(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

FIXTURE_SETUP(life)
{
	self->fd = -1;
	find_vgem_ko(self->vgem_ko, sizeof(self->vgem_ko));
	zt_hold_restore();
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZD_SETUP_NEED_DMABUF(&self->info);
	ZT_SETUP_NEED_DMA(&self->info);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_PAGES);
	self->page = self->info.page_size;
}

/* Whatever a test did, vgem is loaded again afterwards if it was before. */
FIXTURE_TEARDOWN(life)
{
	int ret;

	zt_hold_restore();
	if (self->fd >= 0)
		close(self->fd);
	if (!vgem_loaded() && self->vgem_ko[0]) {
		ret = load_ko(self->vgem_ko);
		EXPECT_EQ(0, ret) TH_LOG("loading %s back: %s", self->vgem_ko,
					 strerror(-ret));
	}
}

#define LIFE_NEED_HOLD(self) do { \
	if (zt_hold_unavailable((self)->fd)) \
		SKIP(return, "%s", zt_hold_unavailable((self)->fd)); \
} while (0)

#define LIFE_OPEN_VGEM(vfdp) do { \
	*(vfdp) = zd_vgem_open(); \
	if (*(vfdp) < 0) \
		SKIP(return, "no vgem DRM device: CONFIG_DRM_VGEM, module vgem not loaded"); \
} while (0)

/*
 * Start a one-page DMA from a new PAGES buffer of @fd (filled from
 * @seed, mapped at *@src_map) into @handle at 0 on an engine slowed to
 * LATENCY_MS; its id into *@id.
 */
static void life_start(struct __test_metadata *_metadata,
		       FIXTURE_DATA(life) *self, int fd, __u32 handle,
		       struct zt_region *src, __u64 seed, __u64 *id)
{
	ASSERT_EQ(0, zt_region_init(fd, src, ZCDEV_BUF_PAGES, self->page,
				    "src"));
	zt_region_fill(src, seed);
	ASSERT_EQ(0, zt_hold_set(LATENCY_MS * 1000UL));
	ASSERT_EQ(0, zt_dma_submit1(fd, zt_region_ep(src, 0),
				    zt_ep_buf(handle, 0), self->page, 0, id));
}

/* The transfer is still running (the test's closes happened in flight). */
#define LIFE_EXPECT_IN_FLIGHT(fd, id) do { \
	EXPECT_EQ(-EAGAIN, zt_dma_wait((fd), (id), 0, 0, NULL)) \
		TH_LOG("the transfer ended before the test let go"); \
} while (0)

/*
 * The user closes the dma-buf fd, vgem's handle, vgem's mapping and vgem's
 * file while zcdma writes into the import: the import holds the dma-buf,
 * the transfer ends DONE, and the bytes are in the (now vgem-less) memory.
 */
TEST_F(life, exporter_side_gone_during_dma_into_vgem_import)
{
	struct zt_region src;
	struct zd_vbuf v;
	__u64 id;
	int vfd, ret;

	LIFE_NEED_HOLD(self);
	LIFE_OPEN_VGEM(&vfd);
	ret = zd_vbuf_init(&v, vfd, self->fd, self->page, 0x5eed9001);
	ASSERT_EQ(0, ret) TH_LOG("vgem buffer into zcdev: %s", strerror(-ret));
	life_start(_metadata, self, self->fd, v.im.handle, &src, 0x5eed9002,
		   &id);
	EXPECT_EQ(0, close(v.dmabuf));
	v.dmabuf = -1;
	EXPECT_EQ(0, munmap(v.map, v.len));
	v.map = NULL;
	EXPECT_EQ(0, zd_gem_close(vfd, v.gem));
	v.gem = 0;
	EXPECT_EQ(0, close(vfd));
	LIFE_EXPECT_IN_FLIGHT(self->fd, id);

	ZT_EXPECT_DONE(self->fd, id, self->page);
	ASSERT_EQ((ssize_t)self->page, zt_pread(self->fd, src.shadow,
						self->page, v.im.offset));
	EXPECT_EQ(0, memcmp(src.shadow, src.mem, self->page));
	EXPECT_EQ(0, zt_free(self->fd, v.im.handle));
	zt_region_fini(&src);
}

/* FREE of the import in flight: the transfer holds it; vgem sees the bytes. */
TEST_F(life, free_of_import_during_dma_into_it)
{
	struct zt_region src;
	struct zd_vbuf v;
	__u64 id;
	int vfd, ret;

	LIFE_NEED_HOLD(self);
	LIFE_OPEN_VGEM(&vfd);
	ret = zd_vbuf_init(&v, vfd, self->fd, self->page, 0x5eed9003);
	ASSERT_EQ(0, ret) TH_LOG("vgem buffer into zcdev: %s", strerror(-ret));
	life_start(_metadata, self, self->fd, v.im.handle, &src, 0x5eed9004,
		   &id);
	EXPECT_EQ(0, zt_free(self->fd, v.im.handle));
	v.im.handle = 0;
	LIFE_EXPECT_IN_FLIGHT(self->fd, id);
	ZT_EXPECT_DONE(self->fd, id, self->page);
	EXPECT_EQ(0, memcmp(v.map, src.mem, self->page));
	zd_vbuf_fini(&v, self->fd);
	close(vfd);
	zt_region_fini(&src);
}

/*
 * A zcdev export imported into another file: the exporting file frees,
 * unmaps and closes its side, and the dma-buf fd is closed, while DMA
 * runs into the import. DONE, and the import reads the bytes.
 */
TEST_F(life, exporting_zcdev_file_gone_during_dma_into_its_import)
{
	struct zcdev_import im;
	struct zcdev_alloc a;
	struct zt_region src;
	unsigned char *zmap;
	__u64 id;
	int xfd = zt_open(), dfd;

	LIFE_NEED_HOLD(self);
	ASSERT_LE(0, xfd);
	ASSERT_EQ(0, zt_alloc(xfd, ZCDEV_BUF_COHERENT, self->page, &a));
	zmap = zt_mmap(xfd, self->page, MAP_SHARED, a.offset);
	ASSERT_NE(NULL, zmap);
	dfd = zt_export(xfd, a.handle, ZCDEV_EXPORT_RDWR);
	ASSERT_LE(0, dfd) TH_LOG("EXPORT: %s", strerror(-dfd));
	ASSERT_EQ(0, zt_import(self->fd, dfd, 0, &im));
	life_start(_metadata, self, self->fd, im.handle, &src, 0x5eed9005,
		   &id);
	EXPECT_EQ(0, zt_free(xfd, a.handle));
	EXPECT_EQ(0, munmap(zmap, self->page));
	EXPECT_EQ(0, close(xfd));
	EXPECT_EQ(0, close(dfd));
	LIFE_EXPECT_IN_FLIGHT(self->fd, id);
	ZT_EXPECT_DONE(self->fd, id, self->page);
	ASSERT_EQ((ssize_t)self->page, zt_pread(self->fd, src.shadow,
						self->page, im.offset));
	EXPECT_EQ(0, memcmp(src.shadow, src.mem, self->page));
	zt_region_fini(&src);
}

/*
 * The importing file closes with DMA into the import in flight: close
 * returns without running the transfer out, the transfer is stopped,
 * and zcdev's fence on the dma-buf signals (poll says readable), so vgem
 * can fence it again.
 */
TEST_F(life, importing_file_closed_during_dma_signals_the_fence)
{
	struct zt_region src;
	struct zd_vbuf v;
	__u64 id, t0, took;
	__u32 fence;
	int vfd, ifd, ret;

	LIFE_NEED_HOLD(self);
	LIFE_OPEN_VGEM(&vfd);
	ifd = zt_open();
	ASSERT_LE(0, ifd);
	ret = zd_vbuf_init(&v, vfd, ifd, self->page, 0x5eed9006);
	ASSERT_EQ(0, ret) TH_LOG("vgem buffer into zcdev: %s", strerror(-ret));
	/* The source in the fixture's file: the importing file has nothing mapped. */
	ASSERT_EQ(0, zt_region_init(self->fd, &src, ZT_KIND_USER, self->page,
				    "src"));
	zt_region_fill(&src, 0x5eed9007);
	ASSERT_EQ(0, zt_hold_set(5000 * 1000UL));
	ASSERT_EQ(0, zt_dma_submit1(ifd, zt_region_ep(&src, 0),
				    zt_ep_buf(v.im.handle, 0), self->page, 0,
				    &id));
	EXPECT_EQ(0, zd_poll(v.dmabuf, POLLIN, 0));
	t0 = zt_now_ns();
	EXPECT_EQ(0, close(ifd));
	took = (zt_now_ns() - t0) / MS;
	EXPECT_GT(2500ULL, took) TH_LOG("close took %llu ms",
					(unsigned long long)took);
	EXPECT_EQ(POLLIN, zd_poll(v.dmabuf, POLLIN, 3000))
		TH_LOG("zcdev's fence did not signal when the transfer stopped");
	EXPECT_EQ(0, zd_vgem_fence(vfd, v.gem, ZD_VGEM_FENCE_WRITE, &fence));
	EXPECT_EQ(0, zd_vgem_signal(vfd, fence));
	v.im.handle = 0;	/* went with the file */
	zd_vbuf_fini(&v, -1);
	close(vfd);
	zt_region_fini(&src);
}

/* A cancelled transfer signals its fence too. */
TEST_F(life, cancelled_dma_into_import_signals_the_fence)
{
	struct zcdev_dma_wait w;
	struct zt_region src;
	struct zd_vbuf v;
	__u32 cancelled;
	__u64 id;
	int vfd, ret;

	LIFE_NEED_HOLD(self);
	LIFE_OPEN_VGEM(&vfd);
	ret = zd_vbuf_init(&v, vfd, self->fd, self->page, 0x5eed9008);
	ASSERT_EQ(0, ret) TH_LOG("vgem buffer into zcdev: %s", strerror(-ret));
	ASSERT_EQ(0, zt_region_init(self->fd, &src, ZT_KIND_USER, self->page,
				    "src"));
	zt_region_fill(&src, 0x5eed9009);
	ASSERT_EQ(0, zt_hold_set(5000 * 1000UL));
	ASSERT_EQ(0, zt_dma_submit1(self->fd, zt_region_ep(&src, 0),
				    zt_ep_buf(v.im.handle, 0), self->page, 0,
				    &id));
	EXPECT_EQ(0, zd_poll(v.dmabuf, POLLOUT, 0));
	ASSERT_EQ(0, zt_dma_cancel(self->fd, id, 0, &cancelled));
	EXPECT_EQ(1U, cancelled);
	ASSERT_EQ(0, zt_dma_wait(self->fd, id, 0, zt_deadline_in(ZT_HANG_NS),
				 &w));
	EXPECT_EQ(ZT_CANCELLED, w.status);
	EXPECT_EQ(POLLOUT, zd_poll(v.dmabuf, POLLOUT, 3000))
		TH_LOG("zcdev's fence did not signal when the transfer was cancelled");
	zd_vbuf_fini(&v, self->fd);
	close(vfd);
	zt_region_fini(&src);
}

/* delete_module(vgem) until it works or @ms pass: 0 or the last -errno. */
static int unload_vgem_within(int ms)
{
	int ret;

	for (;;) {
		ret = delete_module(VGEM);
		if (ret != -EWOULDBLOCK && ret != -EBUSY)
			return ret;
		if (ms <= 0)
			return ret;
		zt_sleep_ms(20);
		ms -= 20;
	}
}

/*
 * zcdev's import holds vgem's dma-buf and so vgem itself: with every vgem
 * fd, handle and mapping gone, rmmod vgem is refused and the import still
 * reads vgem's bytes; once the import is freed vgem unloads; loaded back,
 * it works.
 */
TEST_F(life, rmmod_vgem_refused_while_zcdev_holds_its_dmabuf)
{
	unsigned char *want, *got;
	struct zcdev_import im;
	struct zd_vbuf v;
	__u32 gem;
	int vfd, ret;

	if (!self->vgem_ko[0])
		SKIP(return, "no vgem.ko in %s to load it back from",
		     STOCK_ORDER);
	LIFE_OPEN_VGEM(&vfd);
	ret = zd_vbuf_init(&v, vfd, self->fd, self->page, 0x5eed900a);
	ASSERT_EQ(0, ret) TH_LOG("vgem buffer into zcdev: %s", strerror(-ret));
	want = malloc(self->page);
	got = malloc(self->page);
	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, got);
	memcpy(want, v.map, self->page);
	/* Everything of vgem's goes but zcdev's import. */
	im = v.im;
	v.im.handle = 0;
	zd_vbuf_fini(&v, self->fd);
	EXPECT_EQ(0, close(vfd));

	ret = delete_module(VGEM);
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY)
		TH_LOG("delete_module(vgem) with the import held: %s",
		       ret ? strerror(-ret) : "it unloaded");
	ASSERT_TRUE(vgem_loaded());
	ASSERT_EQ((ssize_t)self->page, zt_pread(self->fd, got, self->page,
						im.offset));
	EXPECT_EQ(0, memcmp(got, want, self->page));

	ASSERT_EQ(0, zt_free(self->fd, im.handle));
	ret = unload_vgem_within(2000);
	EXPECT_EQ(0, ret) TH_LOG("delete_module(vgem) after the import was freed: %s",
				 strerror(-ret));
	EXPECT_FALSE(vgem_loaded());

	ret = load_ko(self->vgem_ko);
	ASSERT_EQ(0, ret) TH_LOG("loading %s back: %s", self->vgem_ko,
				 strerror(-ret));
	vfd = zd_vgem_open();
	ASSERT_LE(0, vfd) TH_LOG("vgem reloaded, but no device");
	EXPECT_EQ(0, zd_vgem_create(vfd, self->page, &gem, NULL));
	close(vfd);
	free(got);
	free(want);
}

TEST_HARNESS_MAIN
