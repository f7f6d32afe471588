// SPDX-License-Identifier: GPL-2.0
/*
 * libzc: the /dev/zcdev system calls. Each ioctl argument carries its own
 * size (see the uapi header), so an older module zero-extends what it does
 * not know and we always pass sizeof() of the struct we were built with.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
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
 * For the ioctls that act at once: a signal can only interrupt them before
 * the module did anything, so repeating one is safe. The waits do not come
 * here: their EINTR is the caller's (see zc_dma_wait()).
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
		.seg_size = sizeof(*segs),
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

int zc_query_dmabuf(int fd, uint32_t handle, uint32_t *dmabuf, char *exporter,
		    size_t exporter_len)
{
	struct zcdev_query q = {
		.size = sizeof(q),
		.handle = handle,
	};
	int ret = zc_ioctl(fd, ZCDEV_IOC_QUERY, &q);

	if (ret)
		return ret;
	if (dmabuf)
		*dmabuf = q.dmabuf;
	if (exporter && exporter_len) {
		/* The module NUL-terminates it; a shorter caller's copy too. */
		strncpy(exporter, q.exporter, exporter_len - 1);
		exporter[exporter_len - 1] = '\0';
	}
	return 0;
}

int zc_export(int fd, uint32_t handle, uint32_t flags)
{
	struct zcdev_export e = {
		.size = sizeof(e),
		.handle = handle,
		.flags = flags,
	};
	int ret = zc_ioctl(fd, ZCDEV_IOC_EXPORT, &e);

	return ret ? ret : e.fd;
}

int zc_import(int fd, int dmabuf_fd, uint64_t len, struct zc_buf *buf)
{
	struct zcdev_import im = {
		.size = sizeof(im),
		.fd = dmabuf_fd,
		.len = len,
	};
	int ret = zc_ioctl(fd, ZCDEV_IOC_IMPORT, &im);

	if (ret)
		return ret;
	buf->handle = im.handle;
	buf->kind = ZCDEV_BUF_DMABUF;
	buf->len = im.len;
	buf->offset = im.offset;
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

int zc_dma_submit(int fd, const struct zcdev_dma_seg_desc *segs,
		  uint32_t nr_segs, uint64_t user_data, uint64_t *id)
{
	struct zcdev_dma_submit s = {
		.size = sizeof(s),
		.nr_segs = nr_segs,
		.seg_size = sizeof(*segs),
		.segs_ptr = (uintptr_t)segs,
		.user_data = user_data,
	};
	int ret = zc_ioctl(fd, ZCDEV_IOC_DMA_SUBMIT, &s);

	if (ret)
		return ret;
	*id = s.id;
	return 0;
}

uint64_t zc_deadline_after_ns(int64_t ns)
{
	struct timespec now;

	if (ns < 0)
		return ZCDEV_DEADLINE_NEVER;
	if (ns == 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* Both terms are below 2^63: the sum cannot wrap to NEVER or past it. */
	return (uint64_t)now.tv_sec * 1000000000 + now.tv_nsec + (uint64_t)ns;
}

/* The waits keep EINTR: a signal without SA_RESTART is meant to end them. */
static int zc_ioctl_wait(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

int zc_dma_wait(int fd, uint64_t id, uint32_t flags, uint64_t deadline_ns,
		struct zcdev_dma_wait *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->flags = flags;
	out->id = id;
	out->deadline_ns = deadline_ns;
	return zc_ioctl_wait(fd, ZCDEV_IOC_DMA_WAIT, out);
}

int zc_dma_cancel(int fd, uint64_t id, uint32_t flags, uint32_t *cancelled)
{
	struct zcdev_dma_cancel c = {
		.size = sizeof(c),
		.flags = flags,
		.id = id,
	};
	int ret = zc_ioctl(fd, ZCDEV_IOC_DMA_CANCEL, &c);

	if (!ret && cancelled)
		*cancelled = c.cancelled;
	return ret;
}

int zc_dma_stats(int fd, struct zcdev_dma_stats *st,
		 struct zcdev_dma_chan_stats *chans, uint32_t chans_cap)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->chans_cap = chans ? chans_cap : 0;
	st->chans_ptr = (uintptr_t)chans;
	st->chan_size = sizeof(*chans);
	return zc_ioctl(fd, ZCDEV_IOC_DMA_STATS, st);
}

int zc_dma_stats_all(int fd, struct zcdev_dma_stats *st,
		     struct zcdev_dma_chan_stats **chans, uint32_t *nr_chans)
{
	struct zcdev_dma_chan_stats *c = NULL, *more;
	uint32_t cap = 0;
	int ret;

	/* Channels only ever appear: grow until one call finds room for all. */
	for (;;) {
		ret = zc_dma_stats(fd, st, c, cap);
		if (ret || st->nr_channels <= cap)
			break;
		cap = st->nr_channels;
		more = realloc(c, cap * sizeof(*c));
		if (!more) {
			ret = -ENOMEM;
			break;
		}
		c = more;
	}
	if (ret) {
		free(c);
		return ret;
	}
	*chans = c;
	*nr_chans = st->nr_channels;
	return 0;
}

ssize_t zc_send(int fd, int sock_fd, uint32_t handle, uint64_t off,
		uint64_t len, uint32_t flags, uint64_t user_data, uint64_t *id)
{
	struct zcdev_send s = {
		.size = sizeof(s),
		.flags = flags,
		.sock_fd = sock_fd,
		.handle = handle,
		.offset = off,
		.len = len,
		.user_data = user_data,
	};
	/* EINTR from SEND means nothing was sent: repeating is safe. */
	int ret = zc_ioctl(fd, ZCDEV_IOC_SEND, &s);

	if (ret)
		return ret;
	*id = s.id;
	return (ssize_t)s.bytes;
}

int zc_send_reap(int fd, struct zcdev_send_completion *c, uint32_t max,
		 uint64_t deadline_ns, uint64_t *pending)
{
	struct zcdev_reap r = {
		.size = sizeof(r),
		.entries_ptr = (uintptr_t)c,
		.max_entries = max,
		.deadline_ns = deadline_ns,
		.entry_size = sizeof(*c),
	};
	int ret = zc_ioctl_wait(fd, ZCDEV_IOC_SEND_REAP, &r);

	if (ret)
		return ret;
	if (pending)
		*pending = r.pending;
	return (int)r.nr;
}

int zc_send_ring_open(int fd, uint32_t entries, struct zc_send_ring *r)
{
	struct zcdev_send_ring a = { .size = sizeof(a), .entries = entries };
	unsigned char *p;
	int ret = zc_ioctl(fd, ZCDEV_IOC_SEND_RING, &a);

	memset(r, 0, sizeof(*r));
	if (ret)
		return ret;
	p = mmap(NULL, a.mmap_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 ZCDEV_SEND_RING_OFFSET);
	if (p == MAP_FAILED)
		return -errno;
	r->map = p;
	r->map_len = a.mmap_bytes;
	r->head = (uint32_t *)(p + a.head_offset);
	r->tail = (const uint32_t *)(p + a.tail_offset);
	r->slots = p + a.entries_offset;
	r->mask = entries - 1;
	r->entry_size = a.entry_size;
	return 0;
}

void zc_send_ring_close(struct zc_send_ring *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	memset(r, 0, sizeof(*r));
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

ssize_t zc_io(int fd, enum zc_io_op op, void *buf, size_t len,
	      uint64_t file_off, uint64_t *calls)
{
	ssize_t n;

	do {
		if (calls)
			(*calls)++;
		switch (op) {
		case ZC_IO_READ:
			n = read(fd, buf, len);
			break;
		case ZC_IO_WRITE:
			n = write(fd, buf, len);
			break;
		case ZC_IO_PREAD:
			n = pread(fd, buf, len, (off_t)file_off);
			break;
		case ZC_IO_PWRITE:
			n = pwrite(fd, buf, len, (off_t)file_off);
			break;
		default:
			return -EINVAL;
		}
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

ssize_t zc_io_full(int fd, enum zc_io_op op, void *buf, size_t len,
		   uint64_t file_off, uint64_t *calls)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = zc_io(fd, op, (char *)buf + done, len - done,
				  file_off + done, calls);

		if (n < 0)
			return n;
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

bool zc_tcp_listening(pid_t pid, int port, unsigned int wait_ms)
{
	struct timespec ts = { 0, 10 * 1000000 };
	char path[64], line[256];
	unsigned int lport, st, i;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/tcp", (int)pid);
	for (i = 0; i <= wait_ms / 10; i++) {
		f = fopen(path, "re");
		if (!f)
			return false;	/* gone */
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, " %*u: %*x:%x %*x:%*x %x", &lport, &st) == 2 &&
			    lport == (unsigned int)port && st == 0x0A) {
				fclose(f);
				return true;
			}
		fclose(f);
		nanosleep(&ts, NULL);
	}
	return false;
}
