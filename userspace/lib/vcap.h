/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vcap - V4L2 video capture from userspace, for the tools and the tests
 * that want frames from a capture node: find the node by driver name,
 * look controls up by name, make vivid's frames all the same, set a
 * format and the fastest frame rate, queue buffers of any memory type
 * (MMAP, USERPTR, DMABUF) and dequeue them with a timeout, or just take
 * a few frames through the driver's own buffers.
 *
 * Like libzc: every function returns 0 (or a count, an fd) or -errno,
 * repeats a call a signal interrupted, and never prints or exits.
 * Single-planar V4L2_BUF_TYPE_VIDEO_CAPTURE only.
 */
#ifndef VCAP_H
#define VCAP_H

#include <stddef.h>
#include <stdint.h>
#include <linux/videodev2.h>

#define VCAP_MAX_NODES	64	/* /dev/video0 .. 63 are looked at */

/**
 * struct vcap_buf - one buffer of a capture queue
 * @memory: V4L2_MEMORY_MMAP, _USERPTR or _DMABUF
 * @index: its index in the queue
 * @p: where the CPU sees it: MMAP, the driver's buffer mapped by
 *	vcap_mmap_bufs(); USERPTR, the caller's memory the driver fills;
 *	DMABUF, the caller's own view of the dma-buf (may be NULL)
 * @len: bytes of @p (MMAP: the driver's buffer length)
 * @dmabuf: DMABUF: the dma-buf fd the driver imports; -1 otherwise
 */
struct vcap_buf {
	uint32_t memory;
	uint32_t index;
	void *p;
	size_t len;
	int dmabuf;
};

/* ioctl(), repeated on EINTR: 0 or -errno. */
int vcap_ioctl(int fd, unsigned long cmd, void *arg);

/*
 * An O_RDWR|O_CLOEXEC fd of the first /dev/videoN whose VIDIOC_QUERYCAP
 * driver is @driver and which is a single-planar capture node that
 * streams (not a touch node, which says VIDEO_CAPTURE too); its path into
 * @path (may be NULL). -ENODEV if there is none.
 */
int vcap_open(const char *driver, char *path, size_t len);

/* ---- controls ---- */

/*
 * The control whose VIDIOC_QUERYCTRL name is @name into @qc, walking all
 * with V4L2_CTRL_FLAG_NEXT_CTRL: a driver's private control is found
 * without its private id. -ENOENT if none.
 */
int vcap_ctrl_find(int fd, const char *name, struct v4l2_queryctrl *qc);
/* The control named @name to @value, read back: -EIO if it differs. */
int vcap_ctrl_set(int fd, const char *name, int32_t value);
/* The menu control named @name to its item named @item (-ENOENT: no such item). */
int vcap_ctrl_set_menu(int fd, const char *name, const char *item);

/*
 * vivid with every frame the same bytes: its webcam input (input 0), the
 * OSD text (stream time, frame counter) off, no movement, a fixed test
 * pattern, no SAV/EAV codes, the whole frame filled, the standard picture
 * controls at their defaults. On failure @why (may be NULL) names the
 * control or step.
 */
int vcap_vivid_still(int fd, char *why, size_t len);

/* ---- format and frame rate ---- */

/*
 * The discrete frame size of @fourcc (VIDIOC_ENUM_FRAMESIZES) whose frame
 * at @bpp bytes a pixel is @bytes long, into @width x @height. -ENOENT if
 * none; -EOPNOTSUPP if the node's sizes are not discrete.
 */
int vcap_find_size(int fd, uint32_t fourcc, unsigned int bpp, uint64_t bytes,
		   uint32_t *width, uint32_t *height);
/*
 * VIDIOC_S_FMT of @width x @height @fourcc, progressive; the driver's
 * answer into @fmt. -EINVAL if it chose another size or format.
 */
int vcap_set_format(int fd, uint32_t width, uint32_t height, uint32_t fourcc,
		    struct v4l2_format *fmt);
/*
 * The fastest frame rate the driver has at this format (VIDIOC_S_PARM of
 * 1/1000 s: it rounds to its nearest); the interval into @got (may be NULL).
 */
int vcap_set_fastest(int fd, struct v4l2_fract *got);

/* ---- buffers and streaming ---- */

/* VIDIOC_REQBUFS: the number of buffers the driver gave, or -errno. */
int vcap_reqbufs(int fd, uint32_t memory, uint32_t count);
/*
 * @n MMAP buffers, each mapped MAP_SHARED with @prot into @b[i]. On
 * failure nothing stays mapped or requested.
 */
int vcap_mmap_bufs(int fd, struct vcap_buf *b, unsigned int n, int prot);
/* Unmaps what vcap_mmap_bufs() mapped (the queue's buffers stay requested). */
void vcap_unmap_bufs(struct vcap_buf *b, unsigned int n);
/* VIDIOC_QBUF of @b, of its memory type. */
int vcap_qbuf(int fd, const struct vcap_buf *b);
/*
 * Waits up to @timeout_ms (poll) for a filled buffer of @memory and
 * dequeues it into @out. -ETIMEDOUT if none came; -EIO if the driver
 * flagged it V4L2_BUF_FLAG_ERROR (it is dequeued all the same).
 */
int vcap_dqbuf(int fd, uint32_t memory, int timeout_ms, struct v4l2_buffer *out);
int vcap_streamon(int fd);
/* Stops and takes every buffer back from the driver, queued or filled. */
int vcap_streamoff(int fd);

/*
 * @nframes frames of @size bytes through @nframes MMAP buffers, copied
 * into @frames (frame i at i * @size): each buffer is dequeued once, so
 * every frame is a fresh one the driver wrote, none left over from an
 * earlier stream. The queue is left stopped and freed (REQBUFS 0). -EINVAL
 * for more than VIDEO_MAX_FRAME frames; -EMSGSIZE if a frame's bytesused
 * is not @size; else the -errno of the step that failed.
 */
int vcap_capture_mmap(int fd, unsigned int nframes, size_t size,
		      int timeout_ms, void *frames);

#endif /* VCAP_H */
