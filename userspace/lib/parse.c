// SPDX-License-Identifier: GPL-2.0
/*
 * libzc: the words the tools share - sizes, kinds, errno names - so every
 * tool accepts and prints them the same way.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "libzc.h"

/*
 * strtoull() would accept "-1" (wrapping to 2^64-1), leading blanks and
 * octal "010"; sizes typed on a command line should mean what they look like.
 */
static int parse_digits(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	unsigned int base = 10, d;
	uint64_t v = 0;
	int ndig = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++, ndig++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	if (!ndig)
		return -EINVAL;
	*sp = s;
	*out = v;
	return 0;
}

int zc_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v;
	int ret = parse_digits(&s, &v);

	if (ret)
		return ret;
	if (*s)
		return -EINVAL;
	*out = v;
	return 0;
}

int zc_parse_size(const char *s, uint64_t *out)
{
	unsigned int shift = 0;
	uint64_t v;
	int ret = parse_digits(&s, &v);

	if (ret)
		return ret;
	switch (*s) {
	case 'k': case 'K': shift = 10; s++; break;
	case 'm': case 'M': shift = 20; s++; break;
	case 'g': case 'G': shift = 30; s++; break;
	}
	/* "1M", "1MiB" and "1MB" all mean 2^20: the kernel counts in pages. */
	if (shift && (!strcasecmp(s, "ib") || !strcasecmp(s, "b")))
		s += strlen(s);
	if (*s)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

static const struct {
	const char *name;
	uint32_t kind;
} kinds[] = {
	{ "coherent", ZCDEV_BUF_COHERENT },
	{ "pages", ZCDEV_BUF_PAGES },
};

int zc_parse_kind(const char *s, uint32_t *kind)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (!strcasecmp(s, kinds[i].name)) {
			*kind = kinds[i].kind;
			return 0;
		}
	}
	return -EINVAL;
}

const char *zc_kind_name(uint32_t kind)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == kind)
			return kinds[i].name;
	/* Only IMPORT makes one, so zc_parse_kind() does not take it. */
	return kind == ZCDEV_BUF_DMABUF ? "dmabuf" : "unknown";
}

char *zc_fmt_size(uint64_t bytes, char *out, size_t outlen)
{
	static const char *const unit[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	unsigned int u = 0;

	while (bytes && u < 4 && !(bytes & 1023)) {
		bytes >>= 10;
		u++;
	}
	snprintf(out, outlen, "%" PRIu64 " %s", bytes,
		 bytes == 1 && !u ? "byte" : unit[u]);
	return out;
}

const char *zc_dma_status_name(uint32_t status)
{
	switch (status) {
	case 0:
		return "RUNNING";
	case ZCDEV_DMA_DONE:
		return "DONE";
	case ZCDEV_DMA_ERROR:
		return "ERROR";
	case ZCDEV_DMA_TIMEDOUT:
		return "TIMEDOUT";
	case ZCDEV_DMA_CANCELLED:
		return "CANCELLED";
	}
	return "UNKNOWN";
}

/* The errnos a zcdev tool can meet; the rest print as E<n>. */
#define E(x) [x] = #x
static const char *const errnames[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
	E(EFAULT), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV), E(ENOTDIR),
	E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY), E(EFBIG),
	E(ENOSPC), E(ESPIPE), E(EROFS), E(EPIPE), E(ERANGE), E(EDEADLK),
	E(ENOSYS), E(ENODATA), E(ETIME), E(EBADMSG), E(EOVERFLOW), E(EMSGSIZE),
	E(EPROTONOSUPPORT), E(EOPNOTSUPP), E(EADDRINUSE), E(ECONNREFUSED),
	E(ECONNRESET), E(ENOTCONN), E(ETIMEDOUT), E(EALREADY), E(EINPROGRESS),
	E(ECANCELED), E(EHOSTUNREACH), E(ENETUNREACH), E(ENOBUFS),
	E(ENOTSOCK), E(EDESTADDRREQ), E(EAFNOSUPPORT), E(EADDRNOTAVAIL),
	E(ENETDOWN), E(ECONNABORTED), E(EISCONN), E(EHOSTDOWN),
};
#undef E

const char *zc_errname(int err)
{
	static __thread char buf[16];

	if (err < 0)
		err = -err;
	if ((size_t)err < sizeof(errnames) / sizeof(errnames[0]) && errnames[err])
		return errnames[err];
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}
