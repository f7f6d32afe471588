// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: struct layouts of the running kernel from its BTF
 * (/sys/kernel/btf/vmlinux), for the kprobe fetch arguments in trace.c:
 * where iov_iter keeps its type and what the ITER_* values are (both
 * changed between 6.1 and later kernels), and where sk_buff keeps
 * data_len (the bytes skb_copy_ubufs copies). Reading the layout beats
 * hard-coding it: the same binary then counts correctly on any kernel
 * with BTF, and says "unavailable" on one without.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zcbench.h"

#define BTF_PATH	"/sys/kernel/btf/vmlinux"
#define BTF_MAGIC	0xeB9F

enum {
	K_INT = 1, K_PTR, K_ARRAY, K_STRUCT, K_UNION, K_ENUM, K_FWD, K_TYPEDEF,
	K_VOLATILE, K_CONST, K_RESTRICT, K_FUNC, K_FUNC_PROTO, K_VAR,
	K_DATASEC, K_FLOAT, K_DECL_TAG, K_TYPE_TAG, K_ENUM64,
};

struct btf_hdr {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len, type_off, type_len, str_off, str_len;
};

struct btf_t {
	uint32_t name_off, info, size_type;
};

static struct {
	char *data;
	size_t len;
	const char *strs;
	uint32_t str_len;
	const struct btf_t **types;	/* by type id; [0] is void */
	uint32_t ntypes;
	bool loaded, failed;
} B;

static uint32_t kind(const struct btf_t *t) { return (t->info >> 24) & 0x1f; }
static uint32_t vlen(const struct btf_t *t) { return t->info & 0xffff; }
static bool kflag(const struct btf_t *t) { return t->info >> 31; }

static const char *name(uint32_t off)
{
	return off < B.str_len ? B.strs + off : "";
}

/* Bytes of kind-specific data after struct btf_t. */
static size_t extra(const struct btf_t *t)
{
	switch (kind(t)) {
	case K_INT: case K_VAR: case K_DECL_TAG: return 4;
	case K_ARRAY: return 12;
	case K_STRUCT: case K_UNION: case K_DATASEC: case K_ENUM64:
		return 12 * vlen(t);
	case K_ENUM: case K_FUNC_PROTO: return 8 * vlen(t);
	default: return 0;
	}
}

static int load(void)
{
	const struct btf_hdr *h;
	struct stat st;
	size_t off, end, cap = 1 << 16;
	ssize_t n;
	int fd;

	if (B.loaded)
		return 0;
	if (B.failed)
		return -ENOENT;
	B.failed = true;
	fd = open(BTF_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* sysfs reports a size; read until EOF anyway. */
	if (!fstat(fd, &st) && st.st_size > 0)
		cap = st.st_size + 1;
	B.data = malloc(cap);
	while (B.data && (n = read(fd, B.data + B.len, cap - B.len)) > 0) {
		B.len += n;
		if (B.len == cap)
			B.data = realloc(B.data, cap *= 2);
	}
	close(fd);
	if (!B.data || B.len < sizeof(*h))
		return -EINVAL;
	h = (const struct btf_hdr *)B.data;
	if (h->magic != BTF_MAGIC ||
	    (size_t)h->hdr_len + h->str_off + h->str_len > B.len ||
	    (size_t)h->hdr_len + h->type_off + h->type_len > B.len)
		return -EINVAL;
	B.strs = B.data + h->hdr_len + h->str_off;
	B.str_len = h->str_len;
	off = h->hdr_len + h->type_off;
	end = off + h->type_len;
	B.types = calloc(1, sizeof(*B.types));
	B.ntypes = 1;
	while (B.types && off + sizeof(struct btf_t) <= end) {
		const struct btf_t *t = (const void *)(B.data + off);

		if (!(B.ntypes & (B.ntypes - 1)))
			B.types = realloc(B.types, 2 * B.ntypes * sizeof(*B.types));
		if (!B.types)
			break;
		B.types[B.ntypes++] = t;
		off += sizeof(*t) + extra(t);
	}
	if (!B.types)
		return -ENOMEM;
	B.loaded = true;
	B.failed = false;
	return 0;
}

/* Bit offset of @member in struct/union type @t, looking into anonymous members. */
static long member_bits(const struct btf_t *t, const char *member, int depth)
{
	const uint32_t *m = (const uint32_t *)(t + 1);
	uint32_t i;

	if (depth > 8 || (kind(t) != K_STRUCT && kind(t) != K_UNION))
		return -ENOENT;
	for (i = 0; i < vlen(t); i++, m += 3) {
		uint32_t bits = kflag(t) ? m[2] & 0xffffff : m[2];

		if (m[0] && !strcmp(name(m[0]), member))
			return bits;
		if (!m[0] && m[1] < B.ntypes) {
			long sub = member_bits(B.types[m[1]], member, depth + 1);

			if (sub >= 0)
				return bits + sub;
		}
	}
	return -ENOENT;
}

long btf_member_offset(const char *sname, const char *member)
{
	uint32_t i;
	long bits;
	int err = load();

	if (err)
		return err;
	for (i = 1; i < B.ntypes; i++) {
		const struct btf_t *t = B.types[i];

		if (kind(t) != K_STRUCT || strcmp(name(t->name_off), sname) ||
		    !vlen(t))
			continue;
		bits = member_bits(t, member, 0);
		if (bits >= 0)
			return bits % 8 ? -EINVAL : bits / 8;
	}
	return -ENOENT;
}

long btf_enum_value(const char *ename)
{
	uint32_t i, j;
	int err = load();

	if (err)
		return err;
	for (i = 1; i < B.ntypes; i++) {
		const struct btf_t *t = B.types[i];
		const uint32_t *e = (const uint32_t *)(t + 1);

		if (kind(t) != K_ENUM)
			continue;
		for (j = 0; j < vlen(t); j++, e += 2)
			if (!strcmp(name(e[0]), ename))
				return (int32_t)e[1] < 0 ? -ERANGE : (long)e[1];
	}
	return -ENOENT;
}
