// SPDX-License-Identifier: GPL-2.0
/*
 * libzc: the /dev/zcdev system calls. Each ioctl argument carries its own
 * size (see the uapi header), so an older module zero-extends what it does
 * not know and we always pass sizeof() of the struct we were built with.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libzc.h"

const char *zc_dev_path(void)
{
	const char *p = getenv(ZC_DEV_ENV);

	return p && *p ? p : ZC_DEV_PATH;
}

int zc_open(void)
{
	int fd;

	do
		fd = open(zc_dev_path(), O_RDWR | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}

/*
 * A signal can interrupt an ioctl before the module acted; the module
 * only returns EINTR in that case, so repeating it is safe.
 */
static int zc_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret;

	do
		ret = ioctl(fd, cmd, arg);
	while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

int zc_info(int fd, struct zcdev_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return zc_ioctl(fd, ZCDEV_IOC_INFO, info);
}

int zc_alloc(int fd, uint32_t kind, uint64_t len, struct zc_buf *buf)
{
	struct zcdev_alloc a = {
		.size = sizeof(a),
		.kind = kind,
		.len = len,
	};
	int ret = zc_ioctl(fd, ZCDEV_IOC_ALLOC, &a);

	if (ret)
		return ret;
	buf->handle = a.handle;
	buf->kind = kind;
	buf->len = a.buf_len;
	buf->offset = a.offset;
	return 0;
}

int zc_free(int fd, uint32_t handle)
{
	struct zcdev_free f = {
		.size = sizeof(f),
		.handle = handle,
	};

	return zc_ioctl(fd, ZCDEV_IOC_FREE, &f);
}

int zc_query(int fd, uint32_t handle, struct zc_buf *buf, uint32_t *nr_segs,
	     struct zcdev_dma_seg *segs, uint32_t segs_cap)
{
	struct zcdev_query q = {
		.size = sizeof(q),
		.handle = handle,
		.segs_cap = segs ? segs_cap : 0,
		.segs_ptr = (uintptr_t)segs,
	};
	int ret = zc_ioctl(fd, ZCDEV_IOC_QUERY, &q);

	if (ret)
		return ret;
	if (buf) {
		buf->handle = handle;
		buf->kind = q.kind;
		buf->len = q.len;
		buf->offset = q.offset;
	}
	if (nr_segs)
		*nr_segs = q.nr_segs;
	return 0;
}

int zc_sync(int fd, uint32_t handle, uint32_t flags, uint64_t off, uint64_t len)
{
	struct zcdev_sync s = {
		.size = sizeof(s),
		.handle = handle,
		.flags = flags,
		.offset = off,
		.len = len,
	};

	return zc_ioctl(fd, ZCDEV_IOC_SYNC, &s);
}

static uint64_t zc_page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (uint64_t)ps : 4096;
}

int zc_map(int fd, const struct zc_buf *buf, uint64_t off, uint64_t len,
	   int prot, void **addr)
{
	uint64_t ps = zc_page_size(), head, file_off;
	void *p;

	if (off > buf->len)
		return -EINVAL;
	if (!len)
		len = buf->len - off;
	if (!len || len > buf->len - off)
		return -EINVAL;
	/* The module checks the range again; this catches our own mistakes early. */
	head = (buf->offset + off) & (ps - 1);
	file_off = buf->offset + off - head;
	if (len + head > SIZE_MAX || file_off > (uint64_t)INT64_MAX)
		return -EOVERFLOW;
	p = mmap(NULL, len + head, prot, MAP_SHARED, fd, (off_t)file_off);
	if (p == MAP_FAILED)
		return -errno;
	*addr = (char *)p + head;
	return 0;
}

int zc_unmap(void *addr, uint64_t len)
{
	uint64_t ps = zc_page_size();
	uintptr_t head = (uintptr_t)addr & (ps - 1);

	if (!len)
		return -EINVAL;
	return munmap((char *)addr - head, len + head) ? -errno : 0;
}

ssize_t zc_pread_full(int fd, void *dst, size_t len, uint64_t file_off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)dst + done, len - done,
				  (off_t)(file_off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

ssize_t zc_pwrite_full(int fd, const void *src, size_t len, uint64_t file_off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)src + done, len - done,
				   (off_t)(file_off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += n;
	}
	return done;
}
