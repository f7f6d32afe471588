// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: streaming verification of bytes as a receiver gets them, in
 * whatever pieces recv() hands out.
 *
 * The checksum is over the little-endian 8-byte words of the stream:
 * s1 = sum of words, s2 = sum of s1 after each word (Fletcher). s2 weighs
 * every word by its position, so a reordered, shifted or repeated chunk
 * changes it, which a plain sum would miss; the words of the pattern are
 * splitmix64 outputs, so no simple corruption cancels out by accident.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "zcbench.h"

void vsum_init(struct vsum *v, uint64_t seed, bool exact)
{
	memset(v, 0, sizeof(*v));
	v->seed = seed;
	v->exact = exact;
}

static inline void sum_word(struct vsum *v, uint64_t w)
{
	v->s1 += w;
	v->s2 += v->s1;
}

void vsum_update(struct vsum *v, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t w;
	size_t head;

	if (!len)
		return;
	if (v->exact) {
		if (!v->bad && zc_pattern_verify(p, len, v->seed, v->off,
						 &v->bad_off))
			v->bad = true;
		v->off += len;
		return;
	}
	/* Finish a word left over from the previous piece. */
	head = v->off & 7;
	if (head) {
		size_t n = 8 - head < len ? 8 - head : len;

		memcpy(v->tail + head, p, n);
		p += n, len -= n, v->off += n;
		if (!(v->off & 7)) {
			memcpy(&w, v->tail, 8);
			sum_word(v, le64toh(w));
		}
	}
	for (; len >= 8; p += 8, len -= 8, v->off += 8) {
		memcpy(&w, p, 8);
		sum_word(v, le64toh(w));
	}
	if (len) {
		memcpy(v->tail, p, len);
		v->off += len;
	}
}

/*
 * The expected sums, computed from the pattern the same way. Every
 * repetition checks the same (seed, len), and computing them costs as much
 * as an exact check: remember the last answer.
 */
static pthread_mutex_t sums_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	uint64_t seed, len, s1, s2;
	uint8_t tail[8];
	bool valid;
} sums_cache;

static void pattern_sums(uint64_t seed, uint64_t len, uint64_t *s1,
			 uint64_t *s2, uint8_t *tail)
{
	uint8_t word[8];
	uint64_t off, w;

	pthread_mutex_lock(&sums_lock);
	if (sums_cache.valid && sums_cache.seed == seed && sums_cache.len == len) {
		*s1 = sums_cache.s1;
		*s2 = sums_cache.s2;
		memcpy(tail, sums_cache.tail, 8);
		pthread_mutex_unlock(&sums_lock);
		return;
	}
	*s1 = *s2 = 0;
	for (off = 0; off + 8 <= len; off += 8) {
		zc_pattern_fill(word, 8, seed, off);
		memcpy(&w, word, 8);
		*s1 += le64toh(w);
		*s2 += *s1;
	}
	memset(tail, 0, 8);
	if (len & 7)
		zc_pattern_fill(tail, len & 7, seed, off);
	sums_cache.seed = seed;
	sums_cache.len = len;
	sums_cache.s1 = *s1;
	sums_cache.s2 = *s2;
	memcpy(sums_cache.tail, tail, 8);
	sums_cache.valid = true;
	pthread_mutex_unlock(&sums_lock);
}

int vsum_check(struct vsum *v, uint64_t len, char *why, size_t wlen)
{
	uint64_t s1, s2;
	uint8_t tail[8];

	if (v->off != len) {
		snprintf(why, wlen, "received %llu bytes, expected %llu",
			 (unsigned long long)v->off, (unsigned long long)len);
		return -EBADMSG;
	}
	if (v->exact) {
		if (!v->bad)
			return 0;
		snprintf(why, wlen, "data mismatch at byte %llu",
			 (unsigned long long)v->bad_off);
		return -EBADMSG;
	}
	pattern_sums(v->seed, len, &s1, &s2, tail);
	if (s1 != v->s1 || s2 != v->s2 || memcmp(tail, v->tail, len & 7)) {
		snprintf(why, wlen, "checksum of the %llu bytes received does not match the source",
			 (unsigned long long)len);
		return -EBADMSG;
	}
	return 0;
}
