// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev mappings as io_uring fixed buffers, per kernel.
 *
 * io_uring_register_buffers() pins the pages of the range. Up to 6.4 io_uring
 * refused every file-backed mapping other than shmem and hugetlbfs itself
 * (EOPNOTSUPP), so a PAGES mapping of /dev/zcdev is refused there; 6.5
 * ("io_uring: rsrc: delegate VMA file-backed check to GUP") left it to
 * FOLL_LONGTERM, which accepts a shared mapping of a file that does no
 * writeback, so from 6.5 a PAGES mapping registers and fixed reads and
 * writes land in the buffer. A COHERENT mapping is a PFN map: no pages to
 * pin, EFAULT everywhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "send_common.h"

#define BUF_BYTES	(256 * 1024)
#define SEED		29

FIXTURE(uring) {
	int fd;
	struct io_uring ring;
	bool ring_ok;
	void *map;
	size_t len;
	int file;
	char path[64];
	int tx, rx;		/* a TCP pair, for the send test */
};

static void *map_buffer(struct __test_metadata *_metadata, int fd, __u32 kind,
			__u64 *offset)
{
	struct zcdev_alloc a = {
		.size = sizeof(a), .kind = kind, .len = BUF_BYTES,
	};
	void *p;

	ASSERT_EQ(0, ioctl(fd, ZCDEV_IOC_ALLOC, &a));
	p = mmap(NULL, BUF_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 a.offset);
	ASSERT_NE(MAP_FAILED, p);
	*offset = a.offset;
	return p;
}

FIXTURE_SETUP(uring)
{
	int ret;

	self->tx = self->rx = -1;
	self->fd = open("/dev/zcdev", O_RDWR);
	ASSERT_LE(0, self->fd);
	self->len = BUF_BYTES;
	ret = io_uring_queue_init(8, &self->ring, 0);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "io_uring unavailable: %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	self->ring_ok = true;
	snprintf(self->path, sizeof(self->path), "/tmp/zcdev-uring-%d",
		 getpid());
	self->file = open(self->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, self->file);
}

FIXTURE_TEARDOWN(uring)
{
	if (self->map)
		munmap(self->map, self->len);
	if (self->ring_ok)
		io_uring_queue_exit(&self->ring);
	if (self->file >= 0) {
		close(self->file);
		unlink(self->path);
	}
	if (self->tx >= 0)
		close(self->tx);
	if (self->rx >= 0)
		close(self->rx);
	close(self->fd);
}

/* One fixed read or write of the whole buffer; its result. */
static int fixed_io(struct io_uring *ring, int file, void *buf, size_t len,
		    bool write)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int ret;

	if (write)
		io_uring_prep_write_fixed(sqe, file, buf, len, 0, 0);
	else
		io_uring_prep_read_fixed(sqe, file, buf, len, 0, 0);
	ret = io_uring_submit_and_wait(ring, 1);
	if (ret < 0)
		return ret;
	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

TEST_F(uring, pages_mapping_as_fixed_buffer)
{
	struct iovec iov;
	unsigned char *want;
	__u64 offset;
	int ret;
	size_t i;

	self->map = map_buffer(_metadata, self->fd, ZCDEV_BUF_PAGES, &offset);
	iov.iov_base = self->map;
	iov.iov_len = self->len;
	ret = io_uring_register_buffers(&self->ring, &iov, 1);
	if (!zt_kernel_at_least(6, 5)) {
		/* The refusal the README's table promises for these kernels. */
		EXPECT_EQ(-EOPNOTSUPP, ret);
		return;
	}
	ASSERT_EQ(0, ret) TH_LOG("register: %s", strerror(-ret));

	/* A fixed write out of the mapping, then a fixed read into it. */
	want = malloc(self->len);
	ASSERT_NE(NULL, want);
	for (i = 0; i < self->len; i++)
		want[i] = (unsigned char)(i * 7 + 3);
	memcpy(self->map, want, self->len);
	ASSERT_EQ((int)self->len, fixed_io(&self->ring, self->file, self->map,
					   self->len, true));
	memset(self->map, 0, self->len);
	ASSERT_EQ((int)self->len, fixed_io(&self->ring, self->file, self->map,
					   self->len, false));
	EXPECT_EQ(0, memcmp(self->map, want, self->len));
	/* The buffer itself holds the bytes, not a copy io_uring made. */
	memset(want, 0, self->len);
	ASSERT_EQ((ssize_t)self->len, pread(self->fd, want, self->len, offset));
	EXPECT_EQ(0, memcmp(self->map, want, self->len));
	free(want);
	EXPECT_EQ(0, io_uring_unregister_buffers(&self->ring));
}

/*
 * SEND_ZC from the registered mapping: the zcdev buffer goes to a TCP
 * socket as io_uring's fixed buffer (zcbench's uring_sendzc_zcdev).
 */
TEST_F_TIMEOUT(uring, send_zc_fixed_from_pages_mapping, 60)
{
	struct zs_seg seg = { 4096 + 3, 64 * 1024 };
	bool sent = false, notified = false;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct iovec iov;
	struct zs_rx r;
	__u64 offset;
	int ret;

	self->map = map_buffer(_metadata, self->fd, ZCDEV_BUF_PAGES, &offset);
	zt_fill(self->map, self->len, 0, SEED);
	iov.iov_base = self->map;
	iov.iov_len = self->len;
	ret = io_uring_register_buffers(&self->ring, &iov, 1);
	if (ret == -EOPNOTSUPP && !zt_kernel_at_least(6, 5))
		SKIP(return, "this kernel's io_uring (before 6.5) refuses file-backed mappings other than shmem and hugetlbfs");
	ASSERT_EQ(0, ret) TH_LOG("register: %s", strerror(-ret));
	ASSERT_EQ(0, zs_tcp_pair(AF_INET, &self->tx, &self->rx, 0, 0));
	zs_rx_init(&r, self->rx, SEED, &seg, 1);
	ASSERT_EQ(0, zs_rx_start(&r));
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_send_zc_fixed(sqe, self->tx, (char *)self->map + seg.off,
				    seg.len, MSG_WAITALL, 0, 0);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	/* The send's CQE, then (IORING_CQE_F_MORE) its notification. */
	while (!sent || !notified) {
		ASSERT_EQ(0, io_uring_wait_cqe(&self->ring, &cqe));
		if (cqe->flags & IORING_CQE_F_NOTIF) {
			notified = true;
		} else {
			EXPECT_EQ((int)seg.len, cqe->res)
				TH_LOG("send_zc: %s", strerror(-cqe->res));
			EXPECT_NE(0U, cqe->flags & IORING_CQE_F_MORE);
			sent = true;
			notified = !(cqe->flags & IORING_CQE_F_MORE);
		}
		io_uring_cqe_seen(&self->ring, cqe);
	}
	close(self->tx);
	self->tx = -1;
	zs_rx_join(&r);
	EXPECT_TRUE(zs_rx_ok(&r)) TH_LOG(ZS_RX_FMT, ZS_RX_ARGS(&r));
	EXPECT_EQ(0, io_uring_unregister_buffers(&self->ring));
}

TEST_F(uring, coherent_mapping_is_efault)
{
	struct iovec iov;
	__u64 offset;

	self->map = map_buffer(_metadata, self->fd, ZCDEV_BUF_COHERENT, &offset);
	iov.iov_base = self->map;
	iov.iov_len = self->len;
	EXPECT_EQ(-EFAULT, io_uring_register_buffers(&self->ring, &iov, 1));
}

TEST_HARNESS_MAIN
