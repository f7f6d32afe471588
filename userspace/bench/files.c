// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: source files and the page cache.
 *
 * A source file holds the pattern (seed, file offset), so any receiver can
 * check any byte without a second copy of the file. Files are kept between
 * configurations of one run (writing 256 MiB under TCG takes seconds) and
 * removed at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zcbench.h"

#define FILL_CHUNK	(1 << 20)
#define MAX_FILES	32

static char made[MAX_FILES][256];
static int nmade;

static void remove_files(void)
{
	int i;

	for (i = 0; i < nmade; i++)
		unlink(made[i]);
}

int zb_source_file(const char *dir, uint64_t size, char *path, size_t plen,
		   uint64_t *seed)
{
	struct stat st;
	uint64_t off;
	char *buf;
	int fd, i, err = 0;

	*seed = ZB_SEED ^ (size * 0x9e3779b97f4a7c15ULL);
	snprintf(path, plen, "%s/zcbench-src-%llu", dir, (unsigned long long)size);
	for (i = 0; i < nmade; i++)
		if (!strcmp(made[i], path) && !stat(path, &st) &&
		    (uint64_t)st.st_size == size)
			return 0;
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	buf = zb_alloc(FILL_CHUNK);
	for (off = 0; off < size && !err; off += FILL_CHUNK) {
		size_t n = size - off < FILL_CHUNK ? size - off : FILL_CHUNK;
		ssize_t w;

		zc_pattern_fill(buf, n, *seed, off);
		w = zc_pwrite_full(fd, buf, n, off);
		if (w != (ssize_t)n)
			err = w < 0 ? (int)w : -EIO;
	}
	zb_free(buf, FILL_CHUNK);
	close(fd);
	if (err) {
		unlink(path);
		return err;
	}
	if (nmade < MAX_FILES) {
		if (!nmade)
			atexit(remove_files);
		snprintf(made[nmade++], sizeof(made[0]), "%s", path);
	}
	return 0;
}

double zb_cached_share(int fd, uint64_t size)
{
	long ps = sysconf(_SC_PAGESIZE);
	uint64_t pages = (size + ps - 1) / ps, i, in = 0;
	unsigned char *vec;
	void *p;

	if (!size)
		return 0;
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	vec = malloc(pages);
	if (vec && !mincore(p, size, vec))
		for (i = 0; i < pages; i++)
			in += vec[i] & 1;
	else
		in = pages;	/* unknown: say "cached" rather than "cold" */
	free(vec);
	munmap(p, size);
	return (double)in / pages;
}

/*
 * Per-file, not drop_caches: it needs no privilege and leaves the rest of
 * the system (the other files of the run) warm. mincore() then says
 * whether it worked; tmpfs, for one, cannot drop anything.
 */
double zb_drop_cache(int fd, uint64_t size)
{
	double share;
	int pfd;

	fdatasync(fd);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	share = zb_cached_share(fd, size);
	if (share > 0.01) {
		/* Some pages were busy: the global knob, if we may. */
		sync();
		pfd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
		if (pfd >= 0) {
			if (write(pfd, "1", 1) != 1)
				share = share + 0;	/* keep the measured share */
			close(pfd);
		}
		share = zb_cached_share(fd, size);
	}
	return share;
}

int zb_rewind_source(struct run *r)
{
	return lseek(r->src_fd, 0, SEEK_SET) < 0 ? -errno : 0;
}

int zb_verify_file(struct run *r, int fd, uint64_t size, uint64_t seed)
{
	struct stat st;
	uint64_t off, bad;
	char *buf;
	int err = 0;

	if (fstat(fd, &st))
		return zb_fail(r, "fstat destination: %s", strerror(errno));
	if ((uint64_t)st.st_size != size)
		return zb_fail(r, "destination has %llu bytes, expected %llu",
			       (unsigned long long)st.st_size,
			       (unsigned long long)size);
	buf = zb_alloc(FILL_CHUNK);
	for (off = 0; off < size && !err; off += FILL_CHUNK) {
		size_t n = size - off < FILL_CHUNK ? size - off : FILL_CHUNK;
		ssize_t got = zc_pread_full(fd, buf, n, off);

		if (got != (ssize_t)n)
			err = zb_fail(r, "read back destination at %llu: %s",
				      (unsigned long long)off,
				      got < 0 ? strerror(-got) : "short file");
		else if (zc_pattern_verify(buf, n, seed, off, &bad))
			err = zb_fail(r, "destination differs from the source at byte %llu",
				      (unsigned long long)bad);
	}
	zb_free(buf, FILL_CHUNK);
	return err;
}

bool zb_odirect_ok(const char *dir)
{
	char path[300];
	void *buf;
	int fd;
	bool ok;

	snprintf(path, sizeof(path), "%s/zcbench-odirect-probe", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	unlink(path);
	buf = zb_alloc(4096);
	ok = pwrite(fd, buf, 4096, 0) == 4096;
	zb_free(buf, 4096);
	close(fd);
	return ok;
}

int zb_mem_load(struct run *r)
{
	uint64_t bad;
	ssize_t n;

	r->mem = zb_alloc(r->size);
	n = zc_pread_full(r->src_fd, r->mem, r->size, 0);
	if (n != (ssize_t)r->size)
		return zb_fail(r, "load source: %s",
			       n < 0 ? strerror(-n) : "short file");
	if (zc_pattern_verify(r->mem, r->size, r->seed, 0, &bad))
		return zb_fail(r, "source file differs from the pattern at %llu",
			       (unsigned long long)bad);
	return 0;
}

void zb_mem_free(struct run *r)
{
	zb_free(r->mem, r->size);
	r->mem = NULL;
}
