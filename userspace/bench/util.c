// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: counted system calls and small helpers. Every call a method
 * makes goes through these (or sc_count()), so "syscalls per GiB" is what
 * the method did, including short writes on a full socket.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "zcbench.h"

ssize_t sc_read(struct run *r, int fd, void *buf, size_t len)
{
	return zc_io(fd, ZC_IO_READ, buf, len, 0, &r->cnt.syscalls);
}

/* zc_io_full(), counted, where a short transfer is an error (-EIO). */
static int sc_full(struct run *r, int fd, enum zc_io_op op, void *buf,
		   size_t len, off_t off)
{
	ssize_t n = zc_io_full(fd, op, buf, len, off, &r->cnt.syscalls);

	if (n < 0)
		return n;
	return (size_t)n < len ? -EIO : 0;
}

int sc_write_all(struct run *r, int fd, const void *buf, size_t len)
{
	return sc_full(r, fd, ZC_IO_WRITE, (void *)buf, len, 0);
}

int sc_pwrite_all(struct run *r, int fd, const void *buf, size_t len, off_t off)
{
	return sc_full(r, fd, ZC_IO_PWRITE, (void *)buf, len, off);
}

int sc_pread_all(struct run *r, int fd, void *buf, size_t len, off_t off)
{
	return sc_full(r, fd, ZC_IO_PREAD, buf, len, off);
}

static void zb_vlog(const char *fmt, va_list ap)
{
	fputs("zcbench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void zb_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	zb_vlog(fmt, ap);
	va_end(ap);
}

void zb_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	zb_vlog(fmt, ap);
	va_end(ap);
	exit(2);
}

/*
 * mmap rather than malloc: page-aligned (O_DIRECT wants that), and the
 * pages are the method's own, so a fault count is not blurred by the heap.
 */
void *zb_alloc(size_t len)
{
	void *p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		zb_die("out of memory (%zu bytes)", len);
	return p;
}

void zb_free(void *p, size_t len)
{
	if (p)
		munmap(p, len ? len : 1);
}

uint64_t zb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int zb_unavail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	return 1;
}

int zb_fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	return -EIO;
}

char *zb_fmt_size(uint64_t v, char *buf, size_t len)
{
	if (v && !(v % ZB_GiB))
		snprintf(buf, len, "%lluG", (unsigned long long)(v / ZB_GiB));
	else if (v && !(v % ZB_MiB))
		snprintf(buf, len, "%lluM", (unsigned long long)(v / ZB_MiB));
	else if (v && !(v % ZB_KiB))
		snprintf(buf, len, "%lluK", (unsigned long long)(v / ZB_KiB));
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

int zb_split(const char *list, int (*fn)(const char *item, void *arg), void *arg)
{
	char *copy = strdup(list), *save = NULL, *tok;
	int ret = 0;

	if (!copy)
		zb_die("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save))
		if (*tok)
			ret = fn(tok, arg);
	free(copy);
	return ret;
}
