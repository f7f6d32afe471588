// SPDX-License-Identifier: GPL-2.0
/*
 * vcap: V4L2 video capture, see vcap.h. What a capture consumer does,
 * and nothing more: the node is found by what it says it is
 * (VIDIOC_QUERYCAP), never by a fixed /dev/videoN, and controls by their
 * names, because vivid's are private ids that move between kernels.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vcap.h"

#define VCAP_TYPE	V4L2_BUF_TYPE_VIDEO_CAPTURE

int vcap_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, cmd, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

/* The capabilities of this node (device_caps where the driver gives them). */
static uint32_t node_caps(const struct v4l2_capability *cap)
{
	return cap->capabilities & V4L2_CAP_DEVICE_CAPS ? cap->device_caps :
							  cap->capabilities;
}

int vcap_open(const char *driver, char *path, size_t len)
{
	struct v4l2_capability cap;
	char p[32];
	uint32_t caps;
	int i, fd;

	for (i = 0; i < VCAP_MAX_NODES; i++) {
		snprintf(p, sizeof(p), "/dev/video%d", i);
		fd = open(p, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&cap, 0, sizeof(cap));
		if (!vcap_ioctl(fd, VIDIOC_QUERYCAP, &cap) &&
		    !strcmp((const char *)cap.driver, driver)) {
			caps = node_caps(&cap);
			if ((caps & V4L2_CAP_VIDEO_CAPTURE) &&
			    (caps & V4L2_CAP_STREAMING) &&
			    !(caps & V4L2_CAP_TOUCH)) {
				if (path)
					snprintf(path, len, "%s", p);
				return fd;
			}
		}
		close(fd);
	}
	return -ENODEV;
}

/* ---- controls ---- */

int vcap_ctrl_find(int fd, const char *name, struct v4l2_queryctrl *qc)
{
	uint32_t id = 0;

	for (;;) {
		memset(qc, 0, sizeof(*qc));
		qc->id = id | V4L2_CTRL_FLAG_NEXT_CTRL;
		if (vcap_ioctl(fd, VIDIOC_QUERYCTRL, qc))
			return -ENOENT;
		if (!strcmp((const char *)qc->name, name))
			return 0;
		id = qc->id;
	}
}

static int ctrl_set_id(int fd, uint32_t id, int32_t value)
{
	struct v4l2_control c = { .id = id, .value = value };
	int ret = vcap_ioctl(fd, VIDIOC_S_CTRL, &c);

	if (ret)
		return ret;
	/* A driver may clamp instead of refusing: read it back. */
	c.value = ~value;
	ret = vcap_ioctl(fd, VIDIOC_G_CTRL, &c);
	return ret ? ret : c.value == value ? 0 : -EIO;
}

int vcap_ctrl_set(int fd, const char *name, int32_t value)
{
	struct v4l2_queryctrl qc;
	int ret = vcap_ctrl_find(fd, name, &qc);

	return ret ? ret : ctrl_set_id(fd, qc.id, value);
}

int vcap_ctrl_set_menu(int fd, const char *name, const char *item)
{
	struct v4l2_querymenu qm;
	struct v4l2_queryctrl qc;
	int i, ret = vcap_ctrl_find(fd, name, &qc);

	if (ret)
		return ret;
	if (qc.type != V4L2_CTRL_TYPE_MENU)
		return -EINVAL;
	for (i = qc.minimum; i <= qc.maximum; i++) {
		memset(&qm, 0, sizeof(qm));
		qm.id = qc.id;
		qm.index = i;
		/* Items a menu skips (its mask) fail QUERYMENU. */
		if (!vcap_ioctl(fd, VIDIOC_QUERYMENU, &qm) &&
		    !strcmp((const char *)qm.name, item))
			return ctrl_set_id(fd, qc.id, i);
	}
	return -ENOENT;
}

/* ---- vivid, still ---- */

struct still_ctrl {
	const char *name;	/* as vivid-ctrls.c names it */
	const char *item;	/* menu item, or NULL for @value */
	int32_t value;
	bool required;		/* frames would differ without it */
};

/*
 * What in vivid-ctrls.c makes one frame differ from the last: the OSD
 * prints the stream time and the sequence number into every frame
 * (vivid_fillbuff()), movement shifts the pattern each frame
 * (tpg_update_mv_count()). The rest is constant per frame but is fixed
 * anyway, so the frame does not depend on what ran before. Controls that
 * only exist with error injection (!no_error_inj) may be absent.
 */
static const struct still_ctrl still_ctrls[] = {
	{ "Test Pattern",		"75% Colorbar",	0, true },
	{ "OSD Text Mode",		"None",		0, true },
	{ "Horizontal Movement",	"No Movement",	0, true },
	{ "Vertical Movement",		"No Movement",	0, true },
	{ "Insert SAV Code in Image",	NULL,		0, true },
	{ "Insert EAV Code in Image",	NULL,		0, true },
	{ "Fill Percentage of Frame",	NULL,		100, true },
	{ "Show Border",		NULL,		0, false },
	{ "Show Square",		NULL,		0, false },
	{ "Sensor Flipped Horizontally", NULL,		0, false },
	{ "Sensor Flipped Vertically",	NULL,		0, false },
	{ "Percentage of Dropped Buffers", NULL,	0, false },
};

/* The standard picture controls, to their defaults. */
static const uint32_t still_std_ctrls[] = {
	V4L2_CID_BRIGHTNESS, V4L2_CID_CONTRAST, V4L2_CID_SATURATION,
	V4L2_CID_HUE, V4L2_CID_HFLIP, V4L2_CID_VFLIP,
	V4L2_CID_ALPHA_COMPONENT,
};

/* Says what failed into @why (may be NULL); returns @ret. */
static int __attribute__((format(printf, 4, 5)))
why_ret(char *why, size_t len, int ret, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return ret;
}

int vcap_vivid_still(int fd, char *why, size_t len)
{
	struct v4l2_input in = { .index = 0 };
	struct v4l2_queryctrl qc;
	int input = 0, ret;
	size_t i;

	/* The webcam: discrete sizes and a frame rate S_PARM can set. */
	ret = vcap_ioctl(fd, VIDIOC_ENUMINPUT, &in);
	if (ret)
		return why_ret(why, len, ret, "VIDIOC_ENUMINPUT: %s",
			       strerror(-ret));
	if (in.type != V4L2_INPUT_TYPE_CAMERA)
		return why_ret(why, len, -ENODEV,
			       "input 0 is not a camera: not vivid's webcam");
	ret = vcap_ioctl(fd, VIDIOC_S_INPUT, &input);
	if (ret)
		return why_ret(why, len, ret, "VIDIOC_S_INPUT 0: %s",
			       strerror(-ret));
	for (i = 0; i < sizeof(still_ctrls) / sizeof(still_ctrls[0]); i++) {
		const struct still_ctrl *c = &still_ctrls[i];

		ret = c->item ? vcap_ctrl_set_menu(fd, c->name, c->item) :
				vcap_ctrl_set(fd, c->name, c->value);
		if (ret == -ENOENT && !c->required)
			continue;
		if (ret)
			return why_ret(why, len, ret, "control \"%s\": %s",
				       c->name, strerror(-ret));
	}
	for (i = 0; i < sizeof(still_std_ctrls) / sizeof(still_std_ctrls[0]); i++) {
		memset(&qc, 0, sizeof(qc));
		qc.id = still_std_ctrls[i];
		if (vcap_ioctl(fd, VIDIOC_QUERYCTRL, &qc) ||
		    (qc.flags & (V4L2_CTRL_FLAG_DISABLED |
				 V4L2_CTRL_FLAG_READ_ONLY |
				 V4L2_CTRL_FLAG_INACTIVE)))
			continue;
		ret = ctrl_set_id(fd, qc.id, qc.default_value);
		if (ret)
			return why_ret(why, len, ret, "control \"%s\": %s",
				       (const char *)qc.name, strerror(-ret));
	}
	return 0;
}

/* ---- format and frame rate ---- */

int vcap_find_size(int fd, uint32_t fourcc, unsigned int bpp, uint64_t bytes,
		   uint32_t *width, uint32_t *height)
{
	struct v4l2_frmsizeenum fs;
	uint32_t i;

	for (i = 0;; i++) {
		memset(&fs, 0, sizeof(fs));
		fs.index = i;
		fs.pixel_format = fourcc;
		if (vcap_ioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs))
			return -ENOENT;
		if (fs.type != V4L2_FRMSIZE_TYPE_DISCRETE)
			return -EOPNOTSUPP;
		if ((uint64_t)fs.discrete.width * fs.discrete.height * bpp == bytes) {
			*width = fs.discrete.width;
			*height = fs.discrete.height;
			return 0;
		}
	}
}

int vcap_set_format(int fd, uint32_t width, uint32_t height, uint32_t fourcc,
		    struct v4l2_format *fmt)
{
	int ret;

	memset(fmt, 0, sizeof(*fmt));
	fmt->type = VCAP_TYPE;
	fmt->fmt.pix.width = width;
	fmt->fmt.pix.height = height;
	fmt->fmt.pix.pixelformat = fourcc;
	fmt->fmt.pix.field = V4L2_FIELD_NONE;
	ret = vcap_ioctl(fd, VIDIOC_S_FMT, fmt);
	if (ret)
		return ret;
	if (fmt->fmt.pix.width != width || fmt->fmt.pix.height != height ||
	    fmt->fmt.pix.pixelformat != fourcc)
		return -EINVAL;
	return 0;
}

int vcap_set_fastest(int fd, struct v4l2_fract *got)
{
	struct v4l2_streamparm p = { .type = VCAP_TYPE };
	int ret;

	p.parm.capture.timeperframe.numerator = 1;
	p.parm.capture.timeperframe.denominator = 1000;
	ret = vcap_ioctl(fd, VIDIOC_S_PARM, &p);
	if (!ret && got)
		*got = p.parm.capture.timeperframe;
	return ret;
}

/* ---- buffers and streaming ---- */

int vcap_reqbufs(int fd, uint32_t memory, uint32_t count)
{
	struct v4l2_requestbuffers rb = {
		.count = count,
		.type = VCAP_TYPE,
		.memory = memory,
	};
	int ret = vcap_ioctl(fd, VIDIOC_REQBUFS, &rb);

	return ret ? ret : (int)rb.count;
}

void vcap_unmap_bufs(struct vcap_buf *b, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (b[i].p)
			munmap(b[i].p, b[i].len);
		b[i].p = NULL;
	}
}

int vcap_mmap_bufs(int fd, struct vcap_buf *b, unsigned int n, int prot)
{
	struct v4l2_buffer vb;
	unsigned int i;
	int ret;

	memset(b, 0, n * sizeof(*b));
	ret = vcap_reqbufs(fd, V4L2_MEMORY_MMAP, n);
	if (ret < 0)
		return ret;
	if ((unsigned int)ret < n) {
		ret = -ENOBUFS;
		goto fail;
	}
	for (i = 0; i < n; i++) {
		memset(&vb, 0, sizeof(vb));
		vb.type = VCAP_TYPE;
		vb.memory = V4L2_MEMORY_MMAP;
		vb.index = i;
		ret = vcap_ioctl(fd, VIDIOC_QUERYBUF, &vb);
		if (ret)
			goto fail;
		b[i].memory = V4L2_MEMORY_MMAP;
		b[i].index = i;
		b[i].dmabuf = -1;
		b[i].p = mmap(NULL, vb.length, prot, MAP_SHARED, fd, vb.m.offset);
		if (b[i].p == MAP_FAILED) {
			b[i].p = NULL;
			ret = -errno;
			goto fail;
		}
		b[i].len = vb.length;
	}
	return 0;
fail:
	vcap_unmap_bufs(b, n);
	vcap_reqbufs(fd, V4L2_MEMORY_MMAP, 0);
	return ret;
}

int vcap_qbuf(int fd, const struct vcap_buf *b)
{
	struct v4l2_buffer vb = {
		.type = VCAP_TYPE,
		.memory = b->memory,
		.index = b->index,
	};

	if (b->memory == V4L2_MEMORY_USERPTR) {
		vb.m.userptr = (unsigned long)b->p;
		vb.length = b->len;
	} else if (b->memory == V4L2_MEMORY_DMABUF) {
		vb.m.fd = b->dmabuf;
		vb.length = b->len;
	}
	return vcap_ioctl(fd, VIDIOC_QBUF, &vb);
}

int vcap_dqbuf(int fd, uint32_t memory, int timeout_ms, struct v4l2_buffer *out)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	do {
		n = poll(&p, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (!n)
		return -ETIMEDOUT;
	memset(out, 0, sizeof(*out));
	out->type = VCAP_TYPE;
	out->memory = memory;
	n = vcap_ioctl(fd, VIDIOC_DQBUF, out);
	if (n)
		return n;
	return out->flags & V4L2_BUF_FLAG_ERROR ? -EIO : 0;
}

int vcap_streamon(int fd)
{
	int type = VCAP_TYPE;

	return vcap_ioctl(fd, VIDIOC_STREAMON, &type);
}

int vcap_streamoff(int fd)
{
	int type = VCAP_TYPE;

	return vcap_ioctl(fd, VIDIOC_STREAMOFF, &type);
}

int vcap_capture_mmap(int fd, unsigned int nframes, size_t size,
		      int timeout_ms, void *frames)
{
	struct vcap_buf b[VIDEO_MAX_FRAME];
	struct v4l2_buffer vb;
	unsigned int i;
	int ret, freed;

	if (!nframes || nframes > VIDEO_MAX_FRAME)
		return -EINVAL;
	ret = vcap_mmap_bufs(fd, b, nframes, PROT_READ);
	if (ret)
		return ret;
	for (i = 0; i < nframes && !ret; i++)
		ret = vcap_qbuf(fd, &b[i]);
	if (!ret)
		ret = vcap_streamon(fd);
	for (i = 0; i < nframes && !ret; i++) {
		ret = vcap_dqbuf(fd, V4L2_MEMORY_MMAP, timeout_ms, &vb);
		if (!ret && (vb.bytesused != size || vb.index >= nframes ||
			     b[vb.index].len < size))
			ret = -EMSGSIZE;
		if (!ret)
			memcpy((unsigned char *)frames + i * size, b[vb.index].p,
			       size);
	}
	vcap_streamoff(fd);
	vcap_unmap_bufs(b, nframes);
	freed = vcap_reqbufs(fd, V4L2_MEMORY_MMAP, 0);
	return ret ? ret : freed < 0 ? freed : 0;
}
