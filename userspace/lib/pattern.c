// SPDX-License-Identifier: GPL-2.0
/*
 * libzc: a data pattern that is a pure function of (seed, buffer offset).
 *
 * Word i (bytes 8i..8i+7) is splitmix64(seed, i) stored little-endian, so
 * the bytes are the same on every host and through every path, and a
 * shifted or stale copy (the usual DMA and mmap bugs) never matches by
 * accident the way a counting pattern can.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "libzc.h"

static inline uint64_t pattern_word(uint64_t seed, uint64_t idx)
{
	uint64_t z = seed + (idx + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint8_t zc_pattern_byte(uint64_t seed, uint64_t off)
{
	return pattern_word(seed, off >> 3) >> ((off & 7) * 8);
}

void zc_pattern_fill(void *dst, size_t len, uint64_t seed, uint64_t off)
{
	unsigned char *p = dst;
	uint64_t w;

	/* Bytes up to the next word boundary of the buffer offset, then words. */
	for (; len && (off & 7); len--, off++)
		*p++ = zc_pattern_byte(seed, off);
	for (; len >= 8; len -= 8, off += 8, p += 8) {
		w = htole64(pattern_word(seed, off >> 3));
		memcpy(p, &w, 8);
	}
	for (; len; len--, off++)
		*p++ = zc_pattern_byte(seed, off);
}

static int first_bad(const unsigned char *p, size_t len, uint64_t seed,
		     uint64_t off, uint64_t *bad_off)
{
	for (; len; len--, off++, p++) {
		if (*p != zc_pattern_byte(seed, off)) {
			if (bad_off)
				*bad_off = off;
			return -EBADMSG;
		}
	}
	return 0;
}

int zc_pattern_verify(const void *src, size_t len, uint64_t seed, uint64_t off,
		      uint64_t *bad_off)
{
	const unsigned char *p = src;
	size_t head = (8 - (off & 7)) & 7;
	uint64_t w;

	if (head > len)
		head = len;
	if (first_bad(p, head, seed, off, bad_off))
		return -EBADMSG;
	p += head, off += head, len -= head;
	/* Compare whole words; only a mismatching word is searched byte by byte. */
	for (; len >= 8; len -= 8, off += 8, p += 8) {
		memcpy(&w, p, 8);
		if (w != htole64(pattern_word(seed, off >> 3)))
			return first_bad(p, 8, seed, off, bad_off);
	}
	return first_bad(p, len, seed, off, bad_off);
}
