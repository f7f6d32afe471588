// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev mappings as the source or target of the kernel's zero-copy users.
 *
 * O_DIRECT and vmsplice reach user memory through get_user_pages(), which
 * needs struct pages behind the mapping:
 *  - ZCDEV_BUF_PAGES is mapped page by page (vm_insert_page and friends):
 *    get_user_pages works, so O_DIRECT and vmsplice use the buffer's own
 *    pages without a copy.
 *  - ZCDEV_BUF_COHERENT is mapped with dma_mmap_coherent(), a PFN mapping
 *    (VM_PFNMAP/VM_IO): get_user_pages refuses it, so O_DIRECT and vmsplice
 *    fail with EFAULT. Copying interfaces (write(2)) still work on it.
 *
 * The O_DIRECT tests need a block device: a loop device over a file in
 * $TMPDIR (default /tmp), set up through /dev/loop-control; without it
 * they SKIP.
 */
#include <linux/loop.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>

#include "zcdev_test.h"

#define LOOP_BYTES	(1 << 20)
#define IO_BYTES	(64 << 10)	/* per transfer; a multiple of 512 */

static const char *tmp_dir(void)
{
	const char *d = getenv("TMPDIR");

	if (!d || !*d)
		d = "/tmp";
	mkdir(d, 01777);
	return d;
}

/* Alloc a buffer of @kind and map it whole; NULL on failure. */
static unsigned char *map_new(int fd, __u32 kind, size_t len,
			      struct zcdev_alloc *a)
{
	if (zt_alloc(fd, kind, len, a))
		return NULL;
	return zt_mmap(fd, a->buf_len, MAP_SHARED, a->offset);
}

/* ---- O_DIRECT through a loop device ---- */

FIXTURE(blk) {
	int fd;			/* /dev/zcdev */
	struct zcdev_info info;
	size_t page;
	int ctl;		/* /dev/loop-control */
	int back;		/* backing file */
	int loop;		/* the loop device, O_RDWR | O_DIRECT */
	char back_path[256];
	char node_path[256];	/* our own node if /dev has none */
};

/* Open /dev/loop-control, loading the loop module if need be. */
static int open_loop_control(void)
{
	int fd = open("/dev/loop-control", O_RDWR | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		if (system("modprobe loop >/dev/null 2>&1") == -1)
			return -ENOENT;
		usleep(200 * 1000);
		fd = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

/* Attach @back to loop device @nr; the open fd of the device, or -errno. */
static int attach_loop(FIXTURE_DATA(blk) *self, int nr)
{
	struct loop_config cfg = {
		.fd = self->back,
		.block_size = 512,
		.info.lo_flags = LO_FLAGS_AUTOCLEAR,
	};
	struct loop_info64 info = { .lo_flags = LO_FLAGS_AUTOCLEAR };
	char path[64];
	int fd, err;

	snprintf(path, sizeof(path), "/dev/loop%d", nr);
	fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		/* No devtmpfs node (yet): make one of our own. */
		snprintf(self->node_path, sizeof(self->node_path),
			 "%s/zcdev-loop%d", tmp_dir(), nr);
		unlink(self->node_path);
		if (mknod(self->node_path, S_IFBLK | 0600, makedev(7, nr)))
			return -errno;
		fd = open(self->node_path, O_RDWR | O_DIRECT | O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	if (!ioctl(fd, LOOP_CONFIGURE, &cfg))
		return fd;
	err = errno;
	if (err == EINVAL || err == ENOTTY) {
		/* Before 5.8: LOOP_SET_FD, then the flags. */
		if (!ioctl(fd, LOOP_SET_FD, self->back)) {
			if (!ioctl(fd, LOOP_SET_STATUS64, &info))
				return fd;
			err = errno;
			ioctl(fd, LOOP_CLR_FD, 0);
		} else {
			err = errno;
		}
	}
	close(fd);
	return -err;
}

FIXTURE_SETUP(blk)
{
	int nr, tries, ret;

	self->fd = self->ctl = self->back = self->loop = -1;
	self->back_path[0] = self->node_path[0] = '\0';
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_PAGES);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_COHERENT);
	self->page = self->info.page_size;

	self->ctl = open_loop_control();
	if (self->ctl == -ENOENT)
		ZT_SETUP_SKIP("no /dev/loop-control (CONFIG_BLK_DEV_LOOP)");
	ASSERT_LE(0, self->ctl) TH_LOG("loop-control: %s",
				       strerror(-self->ctl));

	snprintf(self->back_path, sizeof(self->back_path),
		 "%s/zcdev-back-XXXXXX", tmp_dir());
	self->back = mkostemp(self->back_path, O_CLOEXEC);
	ASSERT_LE(0, self->back) TH_LOG("mkstemp %s: %s", self->back_path,
					strerror(errno));
	ASSERT_EQ(0, ftruncate(self->back, LOOP_BYTES));

	for (tries = 0; tries < 5; tries++) {
		nr = ioctl(self->ctl, LOOP_CTL_GET_FREE);
		ASSERT_LE(0, nr) TH_LOG("LOOP_CTL_GET_FREE: %s",
					strerror(errno));
		ret = attach_loop(self, nr);
		if (ret != -EBUSY)
			break;
	}
	ASSERT_LE(0, ret) TH_LOG("attach loop%d: %s", nr, strerror(-ret));
	self->loop = ret;
}

FIXTURE_TEARDOWN(blk)
{
	if (self->loop >= 0) {
		ioctl(self->loop, LOOP_CLR_FD, 0);
		close(self->loop);
	}
	if (self->node_path[0])
		unlink(self->node_path);
	if (self->back >= 0)
		close(self->back);
	if (self->back_path[0])
		unlink(self->back_path);
	if (self->ctl >= 0)
		close(self->ctl);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(blk, odirect_write_from_pages_mapping_lands)
{
	unsigned char *check = malloc(IO_BYTES);
	struct zcdev_alloc a;
	unsigned char *p;

	ASSERT_NE(NULL, check);
	p = map_new(self->fd, ZCDEV_BUF_PAGES, IO_BYTES, &a);
	ASSERT_NE(NULL, p);
	zt_fill(p, IO_BYTES, 0, 41);
	/* The CPU wrote the buffer; hand it to devices. */
	ASSERT_EQ(0, zt_sync(self->fd, a.handle, ZCDEV_SYNC_FOR_DEVICE, 0,
			     IO_BYTES));
	ASSERT_EQ(IO_BYTES, pwrite(self->loop, p, IO_BYTES, 4096))
		TH_LOG("O_DIRECT write: %s", strerror(errno));
	ASSERT_EQ(0, fsync(self->loop));
	/* The loop driver wrote the backing file: the bytes are there. */
	ASSERT_EQ(IO_BYTES, pread(self->back, check, IO_BYTES, 4096));
	EXPECT_EQ(-1, zt_check(check, IO_BYTES, 0, 41));
	free(check);
	munmap(p, a.buf_len);
}

TEST_F(blk, odirect_read_into_pages_mapping_lands)
{
	unsigned char *src = malloc(IO_BYTES);
	struct zcdev_alloc a;
	unsigned char *p;

	ASSERT_NE(NULL, src);
	zt_fill(src, IO_BYTES, 0, 42);
	ASSERT_EQ(IO_BYTES, pwrite(self->back, src, IO_BYTES, 8192));
	ASSERT_EQ(0, fsync(self->back));
	p = map_new(self->fd, ZCDEV_BUF_PAGES, IO_BYTES, &a);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(IO_BYTES, pread(self->loop, p, IO_BYTES, 8192))
		TH_LOG("O_DIRECT read: %s", strerror(errno));
	ASSERT_EQ(0, zt_sync(self->fd, a.handle, ZCDEV_SYNC_FOR_CPU, 0,
			     IO_BYTES));
	EXPECT_EQ(-1, zt_check(p, IO_BYTES, 0, 42));
	/* And the file interface sees the same bytes. */
	memset(src, 0, IO_BYTES);
	ASSERT_EQ(IO_BYTES, zt_pread(self->fd, src, IO_BYTES, a.offset));
	EXPECT_EQ(-1, zt_check(src, IO_BYTES, 0, 42));
	free(src);
	munmap(p, a.buf_len);
}

/* PFN mapping: no pages for get_user_pages, so no O_DIRECT. */
TEST_F(blk, odirect_write_from_coherent_mapping_is_efault)
{
	struct zcdev_alloc a;
	unsigned char *p;
	ssize_t n;

	p = map_new(self->fd, ZCDEV_BUF_COHERENT, IO_BYTES, &a);
	ASSERT_NE(NULL, p);
	zt_fill(p, IO_BYTES, 0, 43);
	n = pwrite(self->loop, p, IO_BYTES, 0);
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EFAULT, errno);
	munmap(p, a.buf_len);
}

TEST_F(blk, odirect_read_into_coherent_mapping_is_efault)
{
	struct zcdev_alloc a;
	unsigned char *p;
	ssize_t n;

	p = map_new(self->fd, ZCDEV_BUF_COHERENT, IO_BYTES, &a);
	ASSERT_NE(NULL, p);
	n = pread(self->loop, p, IO_BYTES, 0);
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EFAULT, errno);
	munmap(p, a.buf_len);
}

/* ---- vmsplice and copying users ---- */

FIXTURE(zc) {
	int fd;
	struct zcdev_info info;
	size_t page;
	int pipe[2];
};

FIXTURE_SETUP(zc)
{
	self->fd = self->pipe[0] = self->pipe[1] = -1;
	ZT_SETUP_OPEN(&self->fd, &self->info);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_PAGES);
	ZT_SETUP_NEED_KIND(&self->info, ZCDEV_BUF_COHERENT);
	self->page = self->info.page_size;
	ASSERT_EQ(0, pipe2(self->pipe, O_CLOEXEC));
	/* Room for a whole transfer. */
	ASSERT_LE(IO_BYTES, fcntl(self->pipe[1], F_SETPIPE_SZ, IO_BYTES));
}

FIXTURE_TEARDOWN(zc)
{
	if (self->pipe[0] >= 0)
		close(self->pipe[0]);
	if (self->pipe[1] >= 0)
		close(self->pipe[1]);
	if (self->fd >= 0)
		close(self->fd);
}

/* Read exactly @len bytes from @fd. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(fd, (char *)buf + done, len - done);
		if (n <= 0)
			return n < 0 ? -errno : (ssize_t)done;
		done += n;
	}
	return done;
}

TEST_F(zc, vmsplice_pages_mapping_into_pipe)
{
	unsigned char *out = malloc(IO_BYTES);
	struct zcdev_alloc a;
	struct iovec iov;
	unsigned char *p;

	ASSERT_NE(NULL, out);
	p = map_new(self->fd, ZCDEV_BUF_PAGES, IO_BYTES, &a);
	ASSERT_NE(NULL, p);
	zt_fill(p, IO_BYTES, 0, 44);
	iov.iov_base = p;
	iov.iov_len = IO_BYTES;
	ASSERT_EQ(IO_BYTES, vmsplice(self->pipe[1], &iov, 1, 0))
		TH_LOG("vmsplice: %s", strerror(errno));
	ASSERT_EQ(IO_BYTES, read_full(self->pipe[0], out, IO_BYTES));
	EXPECT_EQ(-1, zt_check(out, IO_BYTES, 0, 44));
	free(out);
	munmap(p, a.buf_len);
}

/*
 * The pipe holds references on the buffer's pages: after FREE, munmap and
 * close the bytes are still readable from the pipe (the pages must be
 * freed by reference count, never from under the pipe).
 */
TEST_F(zc, vmsplice_pages_outlive_buffer)
{
	unsigned char *out = malloc(IO_BYTES);
	struct zcdev_alloc a, b;
	struct iovec iov;
	unsigned char *p;

	ASSERT_NE(NULL, out);
	p = map_new(self->fd, ZCDEV_BUF_PAGES, IO_BYTES, &a);
	ASSERT_NE(NULL, p);
	zt_fill(p, IO_BYTES, 0, 45);
	iov.iov_base = p;
	iov.iov_len = IO_BYTES;
	ASSERT_EQ(IO_BYTES, vmsplice(self->pipe[1], &iov, 1, 0));
	ASSERT_EQ(0, munmap(p, a.buf_len));
	ASSERT_EQ(0, zt_free(self->fd, a.handle));
	/* Give the freed memory a chance to be reused and zeroed. */
	ASSERT_EQ(0, zt_alloc(self->fd, ZCDEV_BUF_PAGES, IO_BYTES, &b));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	ASSERT_EQ(IO_BYTES, read_full(self->pipe[0], out, IO_BYTES));
	EXPECT_EQ(-1, zt_check(out, IO_BYTES, 0, 45));
	free(out);
}

TEST_F(zc, vmsplice_coherent_mapping_is_efault)
{
	struct zcdev_alloc a;
	struct iovec iov;
	unsigned char *p;
	ssize_t n;

	p = map_new(self->fd, ZCDEV_BUF_COHERENT, IO_BYTES, &a);
	ASSERT_NE(NULL, p);
	zt_fill(p, IO_BYTES, 0, 46);
	iov.iov_base = p;
	iov.iov_len = IO_BYTES;
	n = vmsplice(self->pipe[1], &iov, 1, SPLICE_F_NONBLOCK);
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EFAULT, errno);
	munmap(p, a.buf_len);
}

/* Copying interfaces work on a coherent mapping: EFAULT above is GUP's. */
TEST_F(zc, write_from_coherent_mapping_copies)
{
	unsigned char *out = malloc(IO_BYTES);
	struct zcdev_alloc a;
	unsigned char *p;

	ASSERT_NE(NULL, out);
	p = map_new(self->fd, ZCDEV_BUF_COHERENT, IO_BYTES, &a);
	ASSERT_NE(NULL, p);
	zt_fill(p, IO_BYTES, 0, 47);
	ASSERT_EQ(IO_BYTES, write(self->pipe[1], p, IO_BYTES));
	ASSERT_EQ(IO_BYTES, read_full(self->pipe[0], out, IO_BYTES));
	EXPECT_EQ(-1, zt_check(out, IO_BYTES, 0, 47));
	/* And the other way. */
	zt_fill(out, IO_BYTES, 0, 48);
	ASSERT_EQ(IO_BYTES, write(self->pipe[1], out, IO_BYTES));
	ASSERT_EQ(IO_BYTES, read_full(self->pipe[0], p, IO_BYTES));
	EXPECT_EQ(-1, zt_check(p, IO_BYTES, 0, 48));
	free(out);
	munmap(p, a.buf_len);
}

TEST_HARNESS_MAIN
