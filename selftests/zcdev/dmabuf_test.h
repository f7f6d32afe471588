/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the dma-buf selftests (dmabuf_*.c); builds on
 * dma_test.h (and so zcdev_test.h). Wrappers return 0 (or an fd, a count)
 * or -errno like the ones there; nothing here asserts.
 *
 * What a test can see of a dma-buf from userspace: its fd (fstat gives the
 * dma-buf's own inode, /proc/self/fdinfo its size, exp_name and file
 * count), its mapping, DMA_BUF_IOCTL_SYNC, poll() (which waits for its
 * implicit fences) and, with debugfs, /sys/kernel/debug/dma_buf/bufinfo
 * (which devices are attached to it).
 *
 * vgem is the other driver: the kernel's virtual GEM device, whose dumb
 * buffers it exports and whose PRIME import takes any dma-buf, and whose
 * fences (VGEM_FENCE_ATTACH/SIGNAL) userspace controls. The few DRM ioctls
 * used are defined here: Debian ships <drm/drm.h> and <drm/vgem_drm.h> in
 * libdrm-dev only, which the static selftests have no other use for.
 * The values are the kernel's uapi (include/uapi/drm/drm.h, drm_mode.h,
 * vgem_drm.h), stable ABI since before 4.10.
 */
#ifndef ZCDEV_DMABUF_TEST_H
#define ZCDEV_DMABUF_TEST_H

#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <linux/dma-buf.h>

#include "dma_test.h"

/* ---- DRM and vgem uapi (see above) ---- */

struct zd_drm_version {
	int version_major;
	int version_minor;
	int version_patchlevel;
	size_t name_len;
	char *name;
	size_t date_len;
	char *date;
	size_t desc_len;
	char *desc;
};

struct zd_drm_gem_close {
	__u32 handle;
	__u32 pad;
};

struct zd_drm_prime_handle {
	__u32 handle;
	__u32 flags;	/* O_CLOEXEC, O_RDWR (handle to fd only) */
	__s32 fd;
};

struct zd_drm_mode_create_dumb {
	__u32 height;
	__u32 width;
	__u32 bpp;
	__u32 flags;
	__u32 handle;
	__u32 pitch;
	__u64 size;
};

struct zd_drm_mode_map_dumb {
	__u32 handle;
	__u32 pad;
	__u64 offset;
};

struct zd_vgem_fence_attach {
	__u32 handle;
	__u32 flags;
	__u32 out_fence;
	__u32 pad;
};

struct zd_vgem_fence_signal {
	__u32 fence;
	__u32 flags;
};

#define ZD_DRM_BASE			'd'
#define ZD_DRM_COMMAND_BASE		0x40
#define ZD_DRM_IOCTL_VERSION		_IOWR(ZD_DRM_BASE, 0x00, struct zd_drm_version)
#define ZD_DRM_IOCTL_GEM_CLOSE		_IOW(ZD_DRM_BASE, 0x09, struct zd_drm_gem_close)
#define ZD_DRM_IOCTL_PRIME_HANDLE_TO_FD	_IOWR(ZD_DRM_BASE, 0x2d, struct zd_drm_prime_handle)
#define ZD_DRM_IOCTL_PRIME_FD_TO_HANDLE	_IOWR(ZD_DRM_BASE, 0x2e, struct zd_drm_prime_handle)
#define ZD_DRM_IOCTL_MODE_CREATE_DUMB	_IOWR(ZD_DRM_BASE, 0xB2, struct zd_drm_mode_create_dumb)
#define ZD_DRM_IOCTL_MODE_MAP_DUMB	_IOWR(ZD_DRM_BASE, 0xB3, struct zd_drm_mode_map_dumb)
#define ZD_VGEM_IOCTL_FENCE_ATTACH	_IOWR(ZD_DRM_BASE, ZD_DRM_COMMAND_BASE + 0x1, \
					      struct zd_vgem_fence_attach)
#define ZD_VGEM_IOCTL_FENCE_SIGNAL	_IOW(ZD_DRM_BASE, ZD_DRM_COMMAND_BASE + 0x2, \
					     struct zd_vgem_fence_signal)
#define ZD_VGEM_FENCE_WRITE		0x1

/* How long DMA_SUBMIT waits for fences (the header's promise), unsigned. */
#define ZD_FENCE_WAIT_MS	((__u64)ZCDEV_DMABUF_FENCE_WAIT_MS)

/* SKIP unless the module offers EXPORT and IMPORT. */
#define ZD_SETUP_NEED_DMABUF(infop) do { \
	if (!((infop)->features & ZCDEV_FEAT_DMABUF)) \
		ZT_SETUP_SKIP("module lacks ZCDEV_FEAT_DMABUF (ABI %u)", \
			      (infop)->abi_version); \
} while (0)

/* ---- dma-buf fds ---- */

/*
 * The value of @key ("size", "count", "exp_name", ...) in
 * /proc/self/fdinfo/@fd, into @val. 0, or -ENOENT if the key is absent
 * (the fd is not a dma-buf), or -errno.
 */
static inline int zd_fdinfo(int fd, const char *key, char *val, size_t len)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		snprintf(val, len, "%s", line + klen + 1 +
			 strspn(line + klen + 1, " \t"));
		val[strcspn(val, "\n")] = '\0';
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* A number from fdinfo, or -1. */
static inline long long zd_fdinfo_num(int fd, const char *key)
{
	char v[64];

	return zd_fdinfo(fd, key, v, sizeof(v)) ? -1 : strtoll(v, NULL, 0);
}

/* The inode of @fd's file (a dma-buf has its own), or 0. */
static inline unsigned long zd_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

/* Open fds of this process (to see that a refused call leaked none). */
static inline int zd_nr_fds(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* opendir's own */
}

/* DMA_BUF_IOCTL_SYNC with @flags (DMA_BUF_SYNC_*). */
static inline int zd_dmabuf_sync(int dmabuf_fd, __u64 flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return zt_ioctl(dmabuf_fd, DMA_BUF_IOCTL_SYNC, &s);
}

/* mmap of a dma-buf (offset 0, @prot), or NULL with errno set. */
static inline void *zd_map(int dmabuf_fd, size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, dmabuf_fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * poll() of a dma-buf for @events: POLLIN waits for its write fences,
 * POLLOUT for all of them. The revents, 0 on timeout, or -errno.
 */
static inline int zd_poll(int dmabuf_fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = dmabuf_fd, .events = events };
	int n = poll(&p, 1, timeout_ms);

	return n < 0 ? -errno : n ? p.revents : 0;
}

/* QUERY's dmabuf bits, or ~0 on error (which checks catch). */
static inline __u32 zd_query_dmabuf(int fd, __u32 handle)
{
	struct zcdev_query q;

	return zt_query(fd, handle, &q) ? ~0U : q.dmabuf;
}

/*
 * Wait up to @ms for INFO's total_bytes (seen through @fd) to be @want: a
 * buffer goes at its last reference, which after a munmap, a close or a
 * GEM_CLOSE may be dropped from a workqueue a moment later.
 */
static inline __u64 zd_total_becomes(int fd, __u64 want, int ms)
{
	__u64 now = zt_total_bytes(fd);

	while (now != want && ms > 0) {
		zt_sleep_ms(10);
		ms -= 10;
		now = zt_total_bytes(fd);
	}
	return now;
}

#define ZD_BUFINFO	"/sys/kernel/debug/dma_buf/bufinfo"

/*
 * Is a device named @dev attached to the dma-buf of inode @ino, according
 * to debugfs? 1 yes, 0 no, -errno if bufinfo cannot be read (no debugfs)
 * or lists no such dma-buf. Its format (6.1 and 6.12): a line per dma-buf,
 * "size flags mode count exp_name ino name", its fences, then
 * "\tAttached Devices:", a "\t<dev_name>" line per attachment and
 * "Total N devices attached".
 */
static inline int zd_bufinfo_attached(unsigned long ino, const char *dev)
{
	char line[512], exp[64], name[64];
	unsigned long size, flags, mode, count, i;
	bool in = false, found = false;
	int ret = 0;
	FILE *f = fopen(ZD_BUFINFO, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lu %lx %lx %lu %63s %lu %63s", &size, &flags,
			   &mode, &count, exp, &i, name) == 7) {
			in = i == ino;
			found |= in;
			continue;
		}
		if (!in)
			continue;
		if (!strncmp(line, "Total", 5)) {
			in = false;
			continue;
		}
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\t' && !strcmp(line + 1, dev))
			ret = 1;
	}
	fclose(f);
	return found ? ret : -ENOENT;
}

/* ---- vgem ---- */

/*
 * The name of the DRM driver behind @fd into @name; 0 or -errno.
 */
static inline int zd_drm_name(int fd, char *name, size_t len)
{
	struct zd_drm_version v = { .name_len = len - 1, .name = name };

	memset(name, 0, len);
	return zt_ioctl(fd, ZD_DRM_IOCTL_VERSION, &v);
}

/*
 * An O_RDWR fd of vgem's primary node (/dev/dri/cardN whose driver says
 * "vgem"): dumb buffers need the primary node. -ENODEV if there is none
 * (vgem not loaded).
 */
static inline int zd_vgem_open(void)
{
	char path[64], name[32];
	int i, fd;

	for (i = 0; i < 64; i++) {
		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!zd_drm_name(fd, name, sizeof(name)) &&
		    !strcmp(name, "vgem"))
			return fd;
		close(fd);
	}
	return -ENODEV;
}

/*
 * A vgem dumb buffer of @len bytes (a multiple of the page size) into
 * *@handle; its size as vgem reports it into *@size (may be NULL).
 */
static inline int zd_vgem_create(int vfd, __u64 len, __u32 *handle,
				 __u64 *size)
{
	struct zd_drm_mode_create_dumb c = {
		.height = (__u32)(len / 4096),
		.width = 4096,
		.bpp = 8,
	};
	int ret = zt_ioctl(vfd, ZD_DRM_IOCTL_MODE_CREATE_DUMB, &c);

	*handle = c.handle;
	if (size)
		*size = c.size;
	return ret;
}

/* The fake mmap offset of vgem object @handle into *@off. */
static inline int zd_vgem_map_offset(int vfd, __u32 handle, __u64 *off)
{
	struct zd_drm_mode_map_dumb m = { .handle = handle };
	int ret = zt_ioctl(vfd, ZD_DRM_IOCTL_MODE_MAP_DUMB, &m);

	*off = m.offset;
	return ret;
}

/* vgem's own mapping of object @handle (@len bytes), or NULL. */
static inline unsigned char *zd_vgem_map(int vfd, __u32 handle, size_t len)
{
	void *p;
	__u64 off;

	if (zd_vgem_map_offset(vfd, handle, &off))
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, vfd,
		 (off_t)off);
	return p == MAP_FAILED ? NULL : p;
}

static inline int zd_gem_close(int vfd, __u32 handle)
{
	struct zd_drm_gem_close c = { .handle = handle };

	return zt_ioctl(vfd, ZD_DRM_IOCTL_GEM_CLOSE, &c);
}

/* DRM PRIME: object @handle as a dma-buf fd (O_RDWR | O_CLOEXEC), or -errno. */
static inline int zd_prime_export(int vfd, __u32 handle)
{
	struct zd_drm_prime_handle p = {
		.handle = handle,
		.flags = O_RDWR | O_CLOEXEC,
		.fd = -1,
	};
	int ret = zt_ioctl(vfd, ZD_DRM_IOCTL_PRIME_HANDLE_TO_FD, &p);

	return ret ? ret : p.fd;
}

/* DRM PRIME: dma-buf @dmabuf_fd as an object of @vfd, into *@handle. */
static inline int zd_prime_import(int vfd, int dmabuf_fd, __u32 *handle)
{
	struct zd_drm_prime_handle p = { .fd = dmabuf_fd };
	int ret = zt_ioctl(vfd, ZD_DRM_IOCTL_PRIME_FD_TO_HANDLE, &p);

	*handle = p.handle;
	return ret;
}

/*
 * A vgem fence on object @handle: a write fence with ZD_VGEM_FENCE_WRITE,
 * else a read fence. Its id into *@fence. vgem signals it on its own after
 * 10 s at the latest.
 */
static inline int zd_vgem_fence(int vfd, __u32 handle, __u32 flags,
				__u32 *fence)
{
	struct zd_vgem_fence_attach a = { .handle = handle, .flags = flags };
	int ret = zt_ioctl(vfd, ZD_VGEM_IOCTL_FENCE_ATTACH, &a);

	*fence = a.out_fence;
	return ret;
}

static inline int zd_vgem_signal(int vfd, __u32 fence)
{
	struct zd_vgem_fence_signal s = { .fence = fence };

	return zt_ioctl(vfd, ZD_VGEM_IOCTL_FENCE_SIGNAL, &s);
}

/* SKIP unless vgem is there; its fd into *@fdp. */
#define ZD_SETUP_OPEN_VGEM(fdp) do { \
	*(fdp) = zd_vgem_open(); \
	if (*(fdp) < 0) \
		ZT_SETUP_SKIP("no vgem DRM device (/dev/dri/card* named vgem): " \
			      "CONFIG_DRM_VGEM, module vgem not loaded"); \
} while (0)

/*
 * A vgem buffer shared with zcdev: the vgem object, vgem's mapping of it,
 * its dma-buf fd, and the zcdev buffer that imports it.
 */
struct zd_vbuf {
	int vfd;
	__u32 gem;		/* vgem handle */
	size_t len;
	unsigned char *map;	/* vgem's mapping */
	int dmabuf;		/* fd of its dma-buf, or -1 */
	struct zcdev_import im;	/* zcdev's import (handle 0: none) */
};

/*
 * Create @len bytes in vgem (@vfd), map them, fill them with the pattern
 * of @seed, export them and import the dma-buf into zcdev file @fd.
 * 0 or -errno (a step's): what was made is in @v for zd_vbuf_fini().
 */
static inline int zd_vbuf_init(struct zd_vbuf *v, int vfd, int fd,
			       size_t len, __u64 seed)
{
	__u64 size;
	int ret;

	memset(v, 0, sizeof(*v));
	v->vfd = vfd;
	v->dmabuf = -1;
	v->len = len;
	ret = zd_vgem_create(vfd, len, &v->gem, &size);
	if (ret)
		return ret;
	if (size < len)
		return -EFBIG;
	v->map = zd_vgem_map(vfd, v->gem, len);
	if (!v->map)
		return -errno;
	zt_rfill(v->map, len, seed);
	v->dmabuf = zd_prime_export(vfd, v->gem);
	if (v->dmabuf < 0)
		return v->dmabuf;
	return zt_import(fd, v->dmabuf, len, &v->im);
}

static inline void zd_vbuf_fini(struct zd_vbuf *v, int fd)
{
	if (v->im.handle && fd >= 0)
		zt_free(fd, v->im.handle);
	if (v->dmabuf >= 0)
		close(v->dmabuf);
	if (v->map)
		munmap(v->map, v->len);
	if (v->gem)
		zd_gem_close(v->vfd, v->gem);
	memset(v, 0, sizeof(*v));
	v->dmabuf = -1;
}

/* ---- threads that act after a delay ---- */

/*
 * Signals vgem fence @fence of @vfd @delay_ms after it starts, and notes
 * when (CLOCK_MONOTONIC ns) and with what result.
 */
struct zd_signaller {
	int vfd;
	__u32 fence;
	unsigned int delay_ms;
	__u64 at_ns;
	int ret;
	pthread_t th;
};

static inline void *zd_signaller_run(void *arg)
{
	struct zd_signaller *s = arg;

	zt_sleep_ms(s->delay_ms);
	s->at_ns = zt_now_ns();
	s->ret = zd_vgem_signal(s->vfd, s->fence);
	return NULL;
}

static inline int zd_signaller_start(struct zd_signaller *s, int vfd,
				     __u32 fence, unsigned int delay_ms)
{
	s->vfd = vfd;
	s->fence = fence;
	s->delay_ms = delay_ms;
	s->at_ns = 0;
	s->ret = -EINPROGRESS;
	return -pthread_create(&s->th, NULL, zd_signaller_run, s);
}

#endif /* ZCDEV_DMABUF_TEST_H */
