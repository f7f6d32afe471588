// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev module lifetime and parameters: the module cannot go while an
 * open file, a mapping (whose file is closed) or a dma-buf export (whose
 * buffer is freed) still uses it, goes when nothing does, and comes back
 * with finit_module(). Reloading with small
 * max_*_bytes parameters shows INFO reports them and ALLOC enforces the
 * file and total budgets (ENOSPC) without filling gigabytes.
 *
 * Run this binary last: it unloads and reloads zcdev.ko. The module file
 * is ZCDEV_KO (default /opt/zcdev/modules/zcdev.ko, where the VM has it);
 * without a readable one every test SKIPs. Every test ends by reloading the
 * parameter values the module had (from /sys/module/zcdev/parameters), so
 * the order of binaries does not matter as long as none runs concurrently.
 */
#include "zcdev_test.h"
#include "zcdev_module.h"

/* Wait up to @ms for @path to exist (@want) or be gone (!@want). */
static bool wait_path(const char *path, bool want, int ms)
{
	struct stat st;

	for (;;) {
		bool exists = stat(path, &st) == 0;

		if (exists == want)
			return true;
		if (ms <= 0)
			return false;
		usleep(20 * 1000);
		ms -= 20;
	}
}

/* Unload and load again with @params; 0 or -errno. */
static int reload_with(const char *params)
{
	int ret = delete_module(MOD_NAME);

	if (ret)
		return ret;
	ret = load_module(params);
	if (ret)
		return ret;
	return wait_path(zt_dev_path(), true, 5000) ? 0 : -ENODEV;
}

#define SMALL_PAGES 8

FIXTURE(life) {
	char params[1024];	/* the loaded module's, for the reload */
	bool changed;		/* a test loaded other parameters */
};

FIXTURE_SETUP(life)
{
	struct zcdev_info info;
	int fd;

	if (access(ko_path(), R_OK))
		ZT_SETUP_SKIP("%s: %s (set ZCDEV_KO)", ko_path(),
			      strerror(errno));
	if (!module_loaded())
		ZT_SETUP_SKIP("module %s is not loaded", MOD_NAME);
	fd = zt_open();
	if (zt_open_error_means_absent(fd))
		ZT_SETUP_SKIP("%s: %s", zt_dev_path(), strerror(-fd));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, zt_info(fd, &info));
	close(fd);
	read_params(self->params, sizeof(self->params));
}

/*
 * Whatever a test did, leave the module loaded with its original
 * parameters and its device there. A failed test may have left files
 * open: close them so the module can go.
 */
FIXTURE_TEARDOWN(life)
{
	int fd, ret;

	for (fd = 3; fd < 1024; fd++)
		close(fd);
	if (self->changed && module_loaded())
		EXPECT_EQ(0, delete_module(MOD_NAME));
	if (!module_loaded()) {
		ret = reload_module(self->params);
		EXPECT_EQ(0, ret) TH_LOG("reload %s: %s", ko_path(),
					 strerror(-ret));
	}
	EXPECT_TRUE(wait_path(zt_dev_path(), true, 5000));
}

TEST_F(life, unload_refused_while_file_open)
{
	struct zcdev_info info;
	int fd = zt_open();
	int ret;

	ASSERT_LE(0, fd);
	ret = delete_module(MOD_NAME);
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY)
		TH_LOG("delete_module: %s", strerror(-ret));
	EXPECT_TRUE(module_loaded());
	/* The open file still works. */
	EXPECT_EQ(0, zt_info(fd, &info));
	close(fd);
}

TEST_F(life, unload_refused_while_only_mapping_exists)
{
	struct zcdev_alloc a;
	unsigned char *p;
	int fd = zt_open();
	int ret;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, zt_alloc(fd, ZCDEV_BUF_PAGES,
			      2 * sysconf(_SC_PAGESIZE), &a));
	p = zt_mmap(fd, a.buf_len, MAP_SHARED, a.offset);
	ASSERT_NE(NULL, p);
	zt_fill(p, a.buf_len, 0, 51);
	ASSERT_EQ(0, zt_free(fd, a.handle));
	ASSERT_EQ(0, close(fd));

	ret = delete_module(MOD_NAME);
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY)
		TH_LOG("delete_module: %s", strerror(-ret));
	EXPECT_TRUE(module_loaded());
	EXPECT_EQ(-1, zt_check(p, a.buf_len, 0, 51));
	EXPECT_EQ(0, munmap(p, a.buf_len));
}

/*
 * A dma-buf of a zcdev buffer holds the module (its ops are zcdev's code)
 * after the buffer is freed and its file closed; it still maps with the
 * bytes, and once its last fd is closed the module can go.
 */
TEST_F(life, unload_refused_while_only_export_exists)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct zcdev_info info;
	struct zcdev_alloc a;
	unsigned char *p;
	int fd = zt_open();
	int dfd, ret, ms;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, zt_info(fd, &info));
	if (!(info.features & ZCDEV_FEAT_DMABUF))
		SKIP(return, "module lacks ZCDEV_FEAT_DMABUF");
	ASSERT_EQ(0, zt_alloc(fd, ZCDEV_BUF_PAGES, 2 * pg, &a));
	p = zt_mmap(fd, a.buf_len, MAP_SHARED, a.offset);
	ASSERT_NE(NULL, p);
	zt_fill(p, a.buf_len, 0, 52);
	ASSERT_EQ(0, munmap(p, a.buf_len));
	dfd = zt_export(fd, a.handle, ZCDEV_EXPORT_RDWR);
	ASSERT_LE(0, dfd) TH_LOG("EXPORT: %s", strerror(-dfd));
	ASSERT_EQ(0, zt_free(fd, a.handle));
	ASSERT_EQ(0, close(fd));

	ret = delete_module(MOD_NAME);
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY)
		TH_LOG("delete_module with an export alive: %s",
		       ret ? strerror(-ret) : "it unloaded");
	ASSERT_TRUE(module_loaded());
	p = mmap(NULL, a.buf_len, PROT_READ, MAP_SHARED, dfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, zt_check(p, a.buf_len, 0, 52));
	EXPECT_EQ(0, munmap(p, a.buf_len));

	EXPECT_EQ(0, close(dfd));
	/* The release may finish in a workqueue: give it a moment. */
	for (ms = 0; ms < 2000; ms += 20) {
		ret = delete_module(MOD_NAME);
		if (ret != -EWOULDBLOCK && ret != -EBUSY)
			break;
		usleep(20 * 1000);
	}
	EXPECT_EQ(0, ret) TH_LOG("delete_module after the last dma-buf fd: %s",
				 strerror(-ret));
	EXPECT_FALSE(module_loaded());
}

TEST_F(life, unload_succeeds_once_unused)
{
	struct zcdev_alloc a;
	unsigned char *p;
	int fd = zt_open();

	/* Use it fully first, then let everything go. */
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, zt_alloc(fd, ZCDEV_BUF_PAGES, 1, &a));
	p = zt_mmap(fd, a.buf_len, MAP_SHARED, a.offset);
	ASSERT_NE(NULL, p);
	p[0] = 1;
	ASSERT_EQ(0, munmap(p, a.buf_len));
	ASSERT_EQ(0, close(fd));

	EXPECT_EQ(0, delete_module(MOD_NAME));
	EXPECT_FALSE(module_loaded());
	EXPECT_TRUE(wait_path("/sys/class/misc/" MOD_NAME, false, 2000));
}

TEST_F(life, reload_brings_device_back)
{
	struct zcdev_info info;
	int fd, ret;

	ASSERT_EQ(0, delete_module(MOD_NAME));
	ret = reload_module(self->params);
	ASSERT_EQ(0, ret) TH_LOG("finit_module %s: %s", ko_path(),
				 strerror(-ret));
	ASSERT_TRUE(wait_path(zt_dev_path(), true, 5000))
		TH_LOG("%s did not appear", zt_dev_path());
	/* The device node may exist before udev-less permissions settle. */
	fd = zt_open();
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(-fd));
	ASSERT_EQ(0, zt_info(fd, &info));
	EXPECT_EQ(0ULL, info.total_bytes);
	ASSERT_EQ(0, zt_alloc(fd, ZCDEV_BUF_PAGES, 1, NULL));
	close(fd);
}

TEST_F(life, params_are_reported_by_info)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct zcdev_info info;
	char params[256];
	int fd;

	snprintf(params, sizeof(params),
		 "max_buf_bytes=%ld max_file_bytes=%ld max_total_bytes=%ld",
		 4 * pg, SMALL_PAGES * pg, 3 * SMALL_PAGES / 2 * pg);
	self->changed = true;
	ASSERT_EQ(0, reload_with(params));
	fd = zt_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, zt_info(fd, &info));
	EXPECT_EQ((__u64)(4 * pg), info.max_buf_bytes);
	EXPECT_EQ((__u64)(SMALL_PAGES * pg), info.max_file_bytes);
	EXPECT_EQ((__u64)(3 * SMALL_PAGES / 2 * pg), info.max_total_bytes);
	close(fd);
}

TEST_F(life, alloc_over_file_budget_is_enospc)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct zcdev_alloc a;
	char params[256];
	int fd;

	/* max_buf above max_file, so ENOSPC is not hidden behind EFBIG. */
	snprintf(params, sizeof(params),
		 "max_buf_bytes=%ld max_file_bytes=%ld max_total_bytes=%ld",
		 2 * SMALL_PAGES * pg, SMALL_PAGES * pg, 8 * SMALL_PAGES * pg);
	self->changed = true;
	ASSERT_EQ(0, reload_with(params));
	fd = zt_open();
	ASSERT_LE(0, fd);
	/* One buffer bigger than the whole budget. */
	EXPECT_EQ(-ENOSPC, zt_alloc(fd, ZCDEV_BUF_PAGES,
				    (SMALL_PAGES + 1) * pg, NULL));
	/* Filling it up, then one page more. */
	ASSERT_EQ(0, zt_alloc(fd, ZCDEV_BUF_PAGES, SMALL_PAGES / 2 * pg, NULL));
	ASSERT_EQ(0, zt_alloc(fd, ZCDEV_BUF_PAGES, SMALL_PAGES / 2 * pg, &a));
	EXPECT_EQ(-ENOSPC, zt_alloc(fd, ZCDEV_BUF_PAGES, 1, NULL));
	EXPECT_EQ(-ENOSPC, zt_alloc(fd, ZCDEV_BUF_COHERENT, 1, NULL));
	/* Freeing one makes room again. */
	ASSERT_EQ(0, zt_free(fd, a.handle));
	EXPECT_EQ(0, zt_alloc(fd, ZCDEV_BUF_PAGES, SMALL_PAGES / 2 * pg, NULL));
	close(fd);
}

TEST_F(life, alloc_over_total_budget_is_enospc)
{
	long pg = sysconf(_SC_PAGESIZE);
	char params[256];
	int fd1, fd2;

	/* Two files of 4 pages each fill an 8-page total. */
	snprintf(params, sizeof(params),
		 "max_buf_bytes=%ld max_file_bytes=%ld max_total_bytes=%ld",
		 4 * pg, SMALL_PAGES * pg, SMALL_PAGES * pg);
	self->changed = true;
	ASSERT_EQ(0, reload_with(params));
	fd1 = zt_open();
	fd2 = zt_open();
	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, zt_alloc(fd1, ZCDEV_BUF_PAGES, 4 * pg, NULL));
	ASSERT_EQ(0, zt_alloc(fd2, ZCDEV_BUF_PAGES, 4 * pg, NULL));
	EXPECT_EQ(-ENOSPC, zt_alloc(fd1, ZCDEV_BUF_PAGES, 1, NULL));
	EXPECT_EQ(-ENOSPC, zt_alloc(fd2, ZCDEV_BUF_PAGES, 1, NULL));
	/* Closing a file gives its bytes back to everyone. */
	ASSERT_EQ(0, close(fd2));
	EXPECT_EQ(0, zt_alloc(fd1, ZCDEV_BUF_PAGES, 4 * pg, NULL));
	close(fd1);
}

TEST_HARNESS_MAIN
