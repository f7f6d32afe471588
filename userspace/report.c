// SPDX-License-Identifier: GPL-2.0
/*
 * zcctl: turning an errno into a sentence. The module's errors are
 * documented per ioctl in the uapi header; where one errno can only mean
 * one thing (or the module's limits tell which), we say so, because
 * "File too large" does not tell the user which knob to turn.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "zcctl.h"

static void verror(const char *where, int err, const char *fmt, va_list ap)
{
	fprintf(stderr, "zcctl: %s: %s: ", where, zc_errname(err));
	if (fmt)
		vfprintf(stderr, fmt, ap);
	else
		fputs(strerror(err < 0 ? -err : err), stderr);
	fputc('\n', stderr);
}

void zcctl_error(const char *where, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(where, err, fmt, ap);
	va_end(ap);
}

int zcctl_usage(const char *where, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "zcctl: %s: ", where);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'zcctl %s --help'.\n", where);
	return ZCCTL_USAGE;
}

int zcctl_open(const char *where)
{
	const char *path = zc_dev_path();
	int fd = zc_open();

	if (fd >= 0)
		return fd;
	switch (-fd) {
	case ENOENT:
		if (strcmp(path, ZC_DEV_PATH))
			zcctl_error(where, fd, "no %s (the path comes from %s)",
				    path, ZC_DEV_ENV);
		else
			zcctl_error(where, fd, "no %s: is zcdev.ko loaded "
				    "(insmod zcdev.ko)?", path);
		break;
	case ENODEV:
	case ENXIO:
		zcctl_error(where, fd, "%s exists but no driver answers it: "
			    "is zcdev.ko loaded?", path);
		break;
	case EACCES:
	case EPERM:
		zcctl_error(where, fd, "%s: permission denied (run as root or "
			    "give yourself rw access to the node)", path);
		break;
	default:
		zcctl_error(where, fd, "%s: %s", path, strerror(-fd));
	}
	return -1;
}

/* ENOSPC has two causes; the limits and usage right after the failure tell which. */
static void explain_nospc(const char *where, int err, const struct zcdev_info *in,
			  uint64_t len)
{
	char a[ZC_FMT_SIZE_LEN], b[ZC_FMT_SIZE_LEN], c[ZC_FMT_SIZE_LEN];

	zc_fmt_size(len, a, sizeof(a));
	if (in->file_bytes + len > in->max_file_bytes)
		zcctl_error(where, err, "%s more does not fit: this file holds %s of "
			    "max_file_bytes (%s); free buffers (or unmap freed ones) "
			    "or raise the module parameter", a,
			    zc_fmt_size(in->file_bytes, b, sizeof(b)),
			    zc_fmt_size(in->max_file_bytes, c, sizeof(c)));
	else
		zcctl_error(where, err, "%s more does not fit: all files hold %s of "
			    "max_total_bytes (%s)", a,
			    zc_fmt_size(in->total_bytes, b, sizeof(b)),
			    zc_fmt_size(in->max_total_bytes, c, sizeof(c)));
}

void zcctl_alloc_error(const char *where, int fd, int err, uint32_t kind,
		       uint64_t len)
{
	char a[ZC_FMT_SIZE_LEN], b[ZC_FMT_SIZE_LEN];
	const char *k = zc_kind_name(kind);
	struct zcdev_info in;
	int have_info = zc_info(fd, &in) == 0;

	zc_fmt_size(len, a, sizeof(a));
	switch (-err) {
	case EFBIG:
		if (!have_info)
			break;
		if (kind == ZCDEV_BUF_COHERENT && len > in.max_coherent_bytes) {
			zcctl_error(where, err, "%s coherent buffer is larger than "
				    "max_coherent_bytes (%s); use --kind pages", a,
				    zc_fmt_size(in.max_coherent_bytes, b, sizeof(b)));
			return;
		}
		zcctl_error(where, err, "%s buffer is larger than max_buf_bytes (%s, "
			    "a module parameter)", a,
			    zc_fmt_size(in.max_buf_bytes, b, sizeof(b)));
		return;
	case ENOSPC:
		if (!have_info)
			break;
		explain_nospc(where, err, &in, len);
		return;
	case ENOMEM:
		if (kind == ZCDEV_BUF_COHERENT)
			zcctl_error(where, err, "the kernel has no %s of physically "
				    "contiguous memory free; try --kind pages or a "
				    "smaller --size", a);
		else
			zcctl_error(where, err, "the kernel could not allocate %s "
				    "of pages", a);
		return;
	case EINVAL:
		if (!len) {
			zcctl_error(where, err, "length 0: a buffer holds at least "
				    "one byte");
			return;
		}
		zcctl_error(where, err, "the module rejected kind %s (%u) or the "
			    "request's flags", k, kind);
		return;
	case ENOTTY:
		zcctl_error(where, err, "%s is not a zcdev device, or its module "
			    "predates ZCDEV_IOC_ALLOC", zc_dev_path());
		return;
	}
	zcctl_error(where, err, "%s %s buffer: %s", a, k, strerror(-err));
}

void zcctl_buf_error(const char *where, int err, const char *op, uint32_t handle)
{
	switch (-err) {
	case ENOENT:
		zcctl_error(where, err, "%s: no buffer with handle %u in this file",
			    op, handle);
		return;
	case EPERM:
		zcctl_error(where, err, "%s: DMA addresses are only shown to "
			    "CAP_SYS_ADMIN", op);
		return;
	case ENXIO:
		zcctl_error(where, err, "%s: range does not lie inside one buffer",
			    op);
		return;
	case ENOTTY:
		zcctl_error(where, err, "%s: %s is not a zcdev device, or its "
			    "module predates this ioctl", op, zc_dev_path());
		return;
	}
	zcctl_error(where, err, "%s (handle %u): %s", op, handle, strerror(-err));
}

void zcctl_dma_error(const char *where, int err, const char *op)
{
	struct rlimit rl;

	switch (-err) {
	case ENODEV:
		zcctl_error(where, err, "%s: no DMA_MEMCPY channel: load zcdma.ko "
			    "(the software engine) or a hardware driver, then "
			    "reload zcdev", op);
		return;
	case EXDEV:
		zcctl_error(where, err, "%s: a buffer was mapped for another "
			    "device than the DMA channel's (allocated before the "
			    "channel appeared); allocate it again", op);
		return;
	case ENOMEM:
		if (!getrlimit(RLIMIT_MEMLOCK, &rl) && rl.rlim_cur != RLIM_INFINITY) {
			zcctl_error(where, err, "%s: out of memory, or the pinned "
				    "user memory is over RLIMIT_MEMLOCK (ulimit -l: "
				    "%llu KiB; CAP_IPC_LOCK is exempt); raise it or "
				    "use buffer endpoints", op,
				    (unsigned long long)rl.rlim_cur / 1024);
			return;
		}
		break;
	case EBUSY:
		zcctl_error(where, err, "%s: this file has dma_queue_depth "
			    "transfers unreaped (a module parameter)", op);
		return;
	case EFAULT:
		zcctl_error(where, err, "%s: a user range is not mapped (or not "
			    "writable for a destination), or cannot be pinned", op);
		return;
	case EINVAL:
		zcctl_error(where, err, "%s: the module refused a segment (range "
			    "outside a buffer, overlap, zero length, over "
			    "max_buf_bytes): dmesg says which", op);
		return;
	case ENOENT:
		zcctl_error(where, err, "%s: no such buffer handle or transfer id "
			    "in this file", op);
		return;
	case ENOTTY:
		zcctl_error(where, err, "%s: %s is not a zcdev device, or its "
			    "module predates DMA", op, zc_dev_path());
		return;
	}
	zcctl_error(where, err, "%s: %s", op, strerror(-err));
}

void zcctl_send_error(const char *where, int err, const char *op,
		      const char *peer, uint64_t done)
{
	switch (-err) {
	case EPIPE:
	case ECONNRESET:
		zcctl_error(where, err, "%s: %s closed the connection after %"
			    PRIu64 " bytes", op, peer, done);
		return;
	case EAGAIN:
		zcctl_error(where, err, "%s: the socket took nothing for --timeout "
			    "after %" PRIu64 " bytes: has %s stopped reading?", op,
			    done, peer);
		return;
	case ECONNREFUSED:
		zcctl_error(where, err, "%s: %s refused after %" PRIu64 " bytes "
			    "(for UDP: nothing listens there, port unreachable)",
			    op, peer, done);
		return;
	case EMSGSIZE:
		zcctl_error(where, err, "%s: datagram too large: one UDP datagram "
			    "holds at most 65507 bytes (IPv6: 65527), and --more "
			    "joins chunks into one; lower --chunk or drop --more",
			    op);
		return;
	case EPROTONOSUPPORT:
		zcctl_error(where, err, "%s: the module sends only on TCP or UDP "
			    "over IPv4/IPv6", op);
		return;
	case EOPNOTSUPP:
		zcctl_error(where, err, "%s: coherent buffers cannot be sent "
			    "(their tail pages have no refcount)", op);
		return;
	case EBUSY:
		zcctl_error(where, err, "%s: send_queue_depth sends of this file "
			    "are in flight or unreaped (a module parameter)", op);
		return;
	case ENOTTY:
		zcctl_error(where, err, "%s: %s is not a zcdev device, or its "
			    "module predates ZCDEV_IOC_SEND", op, zc_dev_path());
		return;
	}
	zcctl_error(where, err, "%s to %s after %" PRIu64 " bytes: %s", op, peer,
		    done, strerror(-err));
}

void zcctl_sock_error(const char *where, int err, const char *op,
		      const char *addr)
{
	switch (-err) {
	case EADDRINUSE:
		zcctl_error(where, err, "%s %s: the port is in use (another "
			    "receiver still running?)", op, addr);
		return;
	case EADDRNOTAVAIL:
		zcctl_error(where, err, "%s %s: no interface of this host (or "
			    "network namespace) has that address", op, addr);
		return;
	case ECONNREFUSED:
		zcctl_error(where, err, "%s %s: nothing listens there (start "
			    "'zcctl recv' first, or give --wait more time)", op,
			    addr);
		return;
	case ENETUNREACH:
	case EHOSTUNREACH:
		zcctl_error(where, err, "%s %s: no route there (is the interface "
			    "up and addressed?)", op, addr);
		return;
	case EAFNOSUPPORT:
		zcctl_error(where, err, "%s %s: this kernel has the address "
			    "family disabled", op, addr);
		return;
	case ETIMEDOUT:
		zcctl_error(where, err, "%s %s: timed out", op, addr);
		return;
	}
	zcctl_error(where, err, "%s %s: %s", op, addr, strerror(-err));
}

void zcctl_mismatch(const char *where, const void *base, uint64_t base_off,
		    uint64_t bad, uint64_t seed)
{
	const unsigned char *p = base;

	zcctl_error(where, -EBADMSG, "byte at buffer offset 0x%" PRIx64 " is 0x%02x, "
		    "pattern seed %" PRIu64 " wants 0x%02x", bad,
		    p[bad - base_off], seed, zc_pattern_byte(seed, bad));
}

int zcctl_opt_size(const char *where, const char *opt, const char *arg,
		   uint64_t *out)
{
	int ret = zc_parse_size(arg, out);

	if (ret == -ERANGE)
		return zcctl_usage(where, "%s %s: too large", opt, arg);
	if (ret)
		return zcctl_usage(where, "%s %s: not a size (e.g. 4096, 64K, "
				   "1M, 2G; K = 1024)", opt, arg);
	return 0;
}

int zcctl_opt_u64(const char *where, const char *opt, const char *arg,
		  uint64_t *out)
{
	if (zc_parse_u64(arg, out))
		return zcctl_usage(where, "%s %s: not a number (decimal or 0x-hex)",
				   opt, arg);
	return 0;
}

int zcctl_opt_kind(const char *where, const char *arg, uint32_t *kind)
{
	if (zc_parse_kind(arg, kind))
		return zcctl_usage(where, "--kind %s: expected coherent or pages",
				   arg);
	return 0;
}

int zcctl_bad_option(const char *where, int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";

	if (c == ':')
		return zcctl_usage(where, "option '%s' needs a value", arg);
	if (optopt && optopt != '?')
		return zcctl_usage(where, "unknown option '-%c'", optopt);
	return zcctl_usage(where, "unknown option '%s'", arg);
}
