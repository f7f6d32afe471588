// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev ioctl ABI: the rules every ioctl of uapi/linux/zcdev.h shares
 * (size field, flags, reserved fields, bad pointers, unknown commands) and
 * what ZCDEV_IOC_INFO reports.
 *
 * The "abi" fixture runs each rule once per ioctl (variants info, alloc,
 * free, query, sync); every failing call is also checked to have had no
 * effect (no buffer made, none freed).
 */
#include <stddef.h>

#include "zcdev_test.h"

enum abi_op { OP_INFO, OP_ALLOC, OP_FREE, OP_QUERY, OP_SYNC };

FIXTURE(abi) {
	int fd;
	struct zcdev_info info;
	size_t page;
	__u32 kind;		/* a buffer kind the module offers */
	__u32 handle;		/* a live buffer for QUERY and SYNC */
	unsigned char *arg;	/* ARG_PAGES read-write pages, then a hole */
};

#define ARG_PAGES 3

FIXTURE_VARIANT(abi) {
	enum abi_op op;
	unsigned long cmd;
	__u32 ver0;		/* *_SIZE_VER0 */
	__u32 cur;		/* sizeof the struct this test knows */
	unsigned int flags_off;
	__u32 valid_flags;
	int reserved_off;	/* -1: the struct has none */
	unsigned int reserved_len;
	bool has_output;
};

FIXTURE_VARIANT_ADD(abi, info) {
	.op = OP_INFO,
	.cmd = ZCDEV_IOC_INFO,
	.ver0 = ZCDEV_INFO_SIZE_VER0,
	.cur = sizeof(struct zcdev_info),
	.flags_off = offsetof(struct zcdev_info, flags),
	.reserved_off = offsetof(struct zcdev_info, reserved),
	.reserved_len = sizeof(__u64),
	.has_output = true,
};

FIXTURE_VARIANT_ADD(abi, alloc) {
	.op = OP_ALLOC,
	.cmd = ZCDEV_IOC_ALLOC,
	.ver0 = ZCDEV_ALLOC_SIZE_VER0,
	.cur = sizeof(struct zcdev_alloc),
	.flags_off = offsetof(struct zcdev_alloc, flags),
	.reserved_off = -1,
	.has_output = true,
};

FIXTURE_VARIANT_ADD(abi, free) {
	.op = OP_FREE,
	.cmd = ZCDEV_IOC_FREE,
	.ver0 = ZCDEV_FREE_SIZE_VER0,
	.cur = sizeof(struct zcdev_free),
	.flags_off = offsetof(struct zcdev_free, flags),
	.reserved_off = offsetof(struct zcdev_free, reserved),
	.reserved_len = sizeof(__u32),
	.has_output = false,
};

FIXTURE_VARIANT_ADD(abi, query) {
	.op = OP_QUERY,
	.cmd = ZCDEV_IOC_QUERY,
	.ver0 = ZCDEV_QUERY_SIZE_VER0,
	.cur = sizeof(struct zcdev_query),
	.flags_off = offsetof(struct zcdev_query, flags),
	.reserved_off = offsetof(struct zcdev_query, reserved),
	.reserved_len = sizeof(__u64),
	.has_output = true,
};

FIXTURE_VARIANT_ADD(abi, sync) {
	.op = OP_SYNC,
	.cmd = ZCDEV_IOC_SYNC,
	.ver0 = ZCDEV_SYNC_SIZE_VER0,
	.cur = sizeof(struct zcdev_sync),
	.flags_off = offsetof(struct zcdev_sync, flags),
	.valid_flags = ZCDEV_SYNC_FOR_CPU | ZCDEV_SYNC_FOR_DEVICE,
	.reserved_off = offsetof(struct zcdev_sync, reserved),
	.reserved_len = sizeof(__u32),
	.has_output = false,
};

FIXTURE_SETUP(abi)
{
	struct zcdev_alloc a;

	self->fd = -1;
	self->arg = MAP_FAILED;
	ZC_SETUP_OPEN(&self->fd, &self->info);
	self->page = sysconf(_SC_PAGESIZE);
	self->kind = (self->info.features & ZCDEV_FEAT_PAGES) ?
		     ZCDEV_BUF_PAGES : ZCDEV_BUF_COHERENT;
	ASSERT_EQ(0, zc_alloc(self->fd, self->kind, self->page, &a));
	self->handle = a.handle;

	/* ARG_PAGES usable pages followed by one unmapped page. */
	self->arg = mmap(NULL, (ARG_PAGES + 1) * self->page,
			 PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->arg);
	ASSERT_EQ(0, munmap(self->arg + ARG_PAGES * self->page, self->page));
}

FIXTURE_TEARDOWN(abi)
{
	if (self->arg != MAP_FAILED)
		munmap(self->arg, ARG_PAGES * self->page);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Write a valid argument for the variant's ioctl at @arg with size field
 * @size; bytes past the struct are left as they are. FREE gets a buffer
 * of its own each time. 0 or -errno.
 */
static int abi_prepare(FIXTURE_DATA(abi) *self,
		       const FIXTURE_VARIANT(abi) *v, void *arg, __u32 size)
{
	struct zcdev_alloc a;
	int ret;

	memset(arg, 0, v->cur);
	switch (v->op) {
	case OP_INFO:
		break;
	case OP_ALLOC: {
		struct zcdev_alloc *p = arg;

		p->kind = self->kind;
		p->len = self->page;
		break;
	}
	case OP_FREE: {
		struct zcdev_free *p = arg;

		ret = zc_alloc(self->fd, self->kind, self->page, &a);
		if (ret)
			return ret;
		p->handle = a.handle;
		break;
	}
	case OP_QUERY: {
		struct zcdev_query *p = arg;

		p->handle = self->handle;
		break;
	}
	case OP_SYNC: {
		struct zcdev_sync *p = arg;

		p->handle = self->handle;
		p->flags = ZCDEV_SYNC_FOR_CPU;
		p->len = self->page;
		break;
	}
	}
	memcpy(arg, &size, sizeof(size));
	return 0;
}

/*
 * Issue the variant's ioctl with @arg, expect it to fail with @err, and
 * check it changed nothing: no buffer made (file_bytes) and, for FREE, the
 * handle still alive.
 */
static void abi_expect_fail(struct __test_metadata *_metadata,
			    FIXTURE_DATA(abi) *self,
			    const FIXTURE_VARIANT(abi) *v, void *arg, int err)
{
	struct zcdev_info before, after;
	struct zcdev_query q;
	__u32 handle = 0;

	if (v->op == OP_FREE)
		memcpy(&handle, (char *)arg + offsetof(struct zcdev_free, handle),
		       sizeof(handle));
	ASSERT_EQ(0, zc_info(self->fd, &before));
	EXPECT_EQ(-err, zc_ioctl(self->fd, v->cmd, arg));
	ASSERT_EQ(0, zc_info(self->fd, &after));
	EXPECT_EQ(before.file_bytes, after.file_bytes);
	if (v->op == OP_FREE)
		EXPECT_EQ(0, zc_query(self->fd, handle, &q));
}

TEST_F(abi, size_exact_is_accepted)
{
	ASSERT_EQ(0, abi_prepare(self, variant, self->arg, variant->cur));
	EXPECT_EQ(0, zc_ioctl(self->fd, variant->cmd, self->arg));
}

TEST_F(abi, size_ver0_is_accepted)
{
	ASSERT_EQ(0, abi_prepare(self, variant, self->arg, variant->ver0));
	EXPECT_EQ(0, zc_ioctl(self->fd, variant->cmd, self->arg));
}

TEST_F(abi, size_zero_is_einval)
{
	ASSERT_EQ(0, abi_prepare(self, variant, self->arg, 0));
	abi_expect_fail(_metadata, self, variant, self->arg, EINVAL);
}

TEST_F(abi, size_below_ver0_is_einval)
{
	__u32 sizes[] = { 4, 8, variant->ver0 - 8, variant->ver0 - 1 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		TH_LOG("size %u", sizes[i]);
		ASSERT_EQ(0, abi_prepare(self, variant, self->arg, sizes[i]));
		abi_expect_fail(_metadata, self, variant, self->arg, EINVAL);
	}
}

TEST_F(abi, size_larger_with_zero_tail_is_accepted)
{
	__u32 extra[] = { 1, 8, 64 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(extra); i++) {
		memset(self->arg, 0, ARG_PAGES * self->page);
		ASSERT_EQ(0, abi_prepare(self, variant, self->arg,
					 variant->cur + extra[i]));
		EXPECT_EQ(0, zc_ioctl(self->fd, variant->cmd, self->arg))
			TH_LOG("size %u", variant->cur + extra[i]);
	}
}

TEST_F(abi, size_4096_with_zero_tail_is_accepted)
{
	memset(self->arg, 0, ARG_PAGES * self->page);
	ASSERT_EQ(0, abi_prepare(self, variant, self->arg, ZC_MAX_ARGSZ));
	EXPECT_EQ(0, zc_ioctl(self->fd, variant->cmd, self->arg));
}

TEST_F(abi, size_over_4096_is_e2big)
{
	__u32 sizes[] = { ZC_MAX_ARGSZ + 1, 2 * ZC_MAX_ARGSZ, 0x80000000u,
			  0xffffffffu };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		TH_LOG("size %u", sizes[i]);
		memset(self->arg, 0, ARG_PAGES * self->page);
		ASSERT_EQ(0, abi_prepare(self, variant, self->arg, sizes[i]));
		abi_expect_fail(_metadata, self, variant, self->arg, E2BIG);
	}
}

TEST_F(abi, size_larger_with_nonzero_tail_is_e2big)
{
	unsigned int pos[] = { 0, 7, 63 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pos); i++) {
		TH_LOG("non-zero byte at cur + %u", pos[i]);
		memset(self->arg, 0, ARG_PAGES * self->page);
		ASSERT_EQ(0, abi_prepare(self, variant, self->arg,
					 variant->cur + 64));
		self->arg[variant->cur + pos[i]] = 0x01;
		abi_expect_fail(_metadata, self, variant, self->arg, E2BIG);
	}
}

/* Output goes back up to the caller's size, never kernel garbage past it. */
TEST_F(abi, larger_size_tail_stays_zero)
{
	memset(self->arg, 0, ARG_PAGES * self->page);
	ASSERT_EQ(0, abi_prepare(self, variant, self->arg, variant->cur + 256));
	ASSERT_EQ(0, zc_ioctl(self->fd, variant->cmd, self->arg));
	EXPECT_EQ(-1, zc_first_nonzero(self->arg + variant->cur, 256));
	/* Bytes past the caller's size are not touched either. */
	EXPECT_EQ(-1, zc_first_nonzero(self->arg + variant->cur + 256,
				       ARG_PAGES * self->page -
				       variant->cur - 256));
}

TEST_F(abi, unknown_flag_is_einval)
{
	unsigned int bit;
	__u32 flags;

	for (bit = 0; bit < 32; bit++) {
		if (variant->valid_flags & (1U << bit))
			continue;
		ASSERT_EQ(0, abi_prepare(self, variant, self->arg,
					 variant->cur));
		memcpy(&flags, self->arg + variant->flags_off, sizeof(flags));
		flags |= 1U << bit;
		memcpy(self->arg + variant->flags_off, &flags, sizeof(flags));
		TH_LOG("flags 0x%x", flags);
		abi_expect_fail(_metadata, self, variant, self->arg, EINVAL);
	}
}

TEST_F(abi, nonzero_reserved_is_einval)
{
	unsigned int i;

	if (variant->reserved_off < 0)
		SKIP(return, "this struct has no reserved field");
	for (i = 0; i < variant->reserved_len; i++) {
		TH_LOG("reserved byte %u set", i);
		ASSERT_EQ(0, abi_prepare(self, variant, self->arg,
					 variant->cur));
		self->arg[variant->reserved_off + i] = 0x80;
		abi_expect_fail(_metadata, self, variant, self->arg, EINVAL);
	}
}

TEST_F(abi, null_arg_is_efault)
{
	EXPECT_EQ(-EFAULT, zc_ioctl(self->fd, variant->cmd, NULL));
}

TEST_F(abi, unmapped_arg_is_efault)
{
	EXPECT_EQ(-EFAULT, zc_ioctl(self->fd, variant->cmd,
				    self->arg + ARG_PAGES * self->page));
}

/* The size field is readable, the rest of the struct is not. */
TEST_F(abi, arg_running_into_unmapped_page_is_efault)
{
	unsigned char *edge = self->arg + ARG_PAGES * self->page -
			      sizeof(__u32);

	struct zcdev_info before, after;

	memcpy(edge, &variant->cur, sizeof(__u32));
	ASSERT_EQ(0, zc_info(self->fd, &before));
	EXPECT_EQ(-EFAULT, zc_ioctl(self->fd, variant->cmd, edge));
	ASSERT_EQ(0, zc_info(self->fd, &after));
	EXPECT_EQ(before.file_bytes, after.file_bytes);
}

/*
 * A read-only argument: EFAULT exactly when the ioctl writes output back
 * (INFO, ALLOC, QUERY); FREE and SYNC only read theirs.
 */
TEST_F(abi, readonly_arg_is_efault_iff_output)
{
	ASSERT_EQ(0, abi_prepare(self, variant, self->arg, variant->cur));
	ASSERT_EQ(0, mprotect(self->arg, self->page, PROT_READ));
	EXPECT_EQ(variant->has_output ? -EFAULT : 0,
		  zc_ioctl(self->fd, variant->cmd, self->arg));
}

/* Commands the module does not define, with a valid INFO argument. */
FIXTURE(dev) {
	int fd;
	struct zcdev_info info;
	size_t page;
};

FIXTURE_SETUP(dev)
{
	self->fd = -1;
	ZC_SETUP_OPEN(&self->fd, &self->info);
	self->page = sysconf(_SC_PAGESIZE);
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(dev, unknown_nr_is_enotty)
{
	/* 0x00-0x04 and 0x10-0x13 are taken (uapi/linux/zcdev.h). */
	unsigned int nrs[] = { 0x05, 0x0f, 0x40, 0x7f, 0x80, 0xff };
	struct zcdev_info info;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nrs); i++) {
		memset(&info, 0, sizeof(info));
		info.size = sizeof(info);
		EXPECT_EQ(-ENOTTY, zc_ioctl(self->fd,
					    _IO(ZCDEV_IOC_MAGIC, nrs[i]), &info))
			TH_LOG("nr 0x%x", nrs[i]);
	}
}

TEST_F(dev, wrong_magic_is_enotty)
{
	/* Not 0x00: _IO(0, 1..2) are the VFS's FIBMAP and FIGETBSZ. */
	unsigned int magics[] = { ZCDEV_IOC_MAGIC - 1, ZCDEV_IOC_MAGIC + 1,
				  0x7f, 0xff };
	struct zcdev_info info;
	unsigned int i, nr;

	for (i = 0; i < ARRAY_SIZE(magics); i++) {
		for (nr = 0; nr <= 4; nr++) {
			memset(&info, 0, sizeof(info));
			info.size = sizeof(info);
			EXPECT_EQ(-ENOTTY,
				  zc_ioctl(self->fd, _IO(magics[i], nr), &info))
				TH_LOG("magic 0x%x nr %u", magics[i], nr);
		}
	}
}

/* The commands are _IO(): the same nr with direction/size bits is unknown. */
TEST_F(dev, cmd_with_direction_and_size_bits_is_enotty)
{
	struct zcdev_info info = { .size = sizeof(info) };

	EXPECT_EQ(-ENOTTY, zc_ioctl(self->fd,
				    _IOWR(ZCDEV_IOC_MAGIC, 0x00,
					  struct zcdev_info), &info));
	EXPECT_EQ(-ENOTTY, zc_ioctl(self->fd,
				    _IOW(ZCDEV_IOC_MAGIC, 0x01,
					 struct zcdev_alloc), &info));
}

TEST_F(dev, info_abi_version_matches_header)
{
	EXPECT_EQ((__u32)ZCDEV_ABI_VERSION, self->info.abi_version);
}

TEST_F(dev, info_page_size_matches_sysconf)
{
	EXPECT_EQ((__u32)sysconf(_SC_PAGESIZE), self->info.page_size);
}

TEST_F(dev, info_limits_are_sane)
{
	const struct zcdev_info *i = &self->info;

	TH_LOG("max_buf %llu max_file %llu max_total %llu max_coherent %llu",
	       (unsigned long long)i->max_buf_bytes,
	       (unsigned long long)i->max_file_bytes,
	       (unsigned long long)i->max_total_bytes,
	       (unsigned long long)i->max_coherent_bytes);
	EXPECT_LE(self->page, i->max_buf_bytes);
	EXPECT_LE(self->page, i->max_file_bytes);
	EXPECT_LE(self->page, i->max_total_bytes);
	if (i->features & ZCDEV_FEAT_COHERENT)
		EXPECT_LE(self->page, i->max_coherent_bytes);
	EXPECT_LE(i->file_bytes, i->total_bytes);
	EXPECT_EQ(0ULL, i->reserved);
	EXPECT_EQ(sizeof(struct zcdev_info), i->size);
	EXPECT_EQ(0U, i->flags);
}

TEST_F(dev, info_features_have_coherent_and_pages)
{
	EXPECT_EQ(ZCDEV_FEAT_COHERENT | ZCDEV_FEAT_PAGES,
		  self->info.features &
		  (ZCDEV_FEAT_COHERENT | ZCDEV_FEAT_PAGES));
}

TEST_F(dev, info_new_file_holds_nothing)
{
	EXPECT_EQ(0ULL, self->info.file_bytes);
}

TEST_F(dev, info_file_bytes_tracks_alloc_and_free)
{
	struct zcdev_alloc a, b;
	struct zcdev_info info;
	__u32 kind_b = (self->info.features & ZCDEV_FEAT_COHERENT) ?
		       ZCDEV_BUF_COHERENT : ZCDEV_BUF_PAGES;

	ASSERT_EQ(0, zc_alloc(self->fd, ZCDEV_BUF_PAGES, 3 * self->page, &a));
	ASSERT_EQ(0, zc_info(self->fd, &info));
	EXPECT_EQ(a.buf_len, info.file_bytes);

	ASSERT_EQ(0, zc_alloc(self->fd, kind_b, 1, &b));
	ASSERT_EQ(0, zc_info(self->fd, &info));
	EXPECT_EQ(a.buf_len + b.buf_len, info.file_bytes);

	ASSERT_EQ(0, zc_free(self->fd, a.handle));
	ASSERT_EQ(0, zc_info(self->fd, &info));
	EXPECT_EQ(b.buf_len, info.file_bytes);

	ASSERT_EQ(0, zc_free(self->fd, b.handle));
	ASSERT_EQ(0, zc_info(self->fd, &info));
	EXPECT_EQ(0ULL, info.file_bytes);
}

TEST_F(dev, info_file_bytes_is_per_file)
{
	struct zcdev_alloc a;
	struct zcdev_info info;
	int fd2 = zc_open();

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, zc_alloc(fd2, ZCDEV_BUF_PAGES, 2 * self->page, &a));
	ASSERT_EQ(0, zc_info(self->fd, &info));
	EXPECT_EQ(0ULL, info.file_bytes);
	ASSERT_EQ(0, zc_info(fd2, &info));
	EXPECT_EQ(a.buf_len, info.file_bytes);
	close(fd2);
}

TEST_F(dev, info_total_bytes_counts_all_files)
{
	struct zcdev_info before, after;
	struct zcdev_alloc a;
	int fd2 = zc_open();

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, zc_info(self->fd, &before));
	ASSERT_EQ(0, zc_alloc(fd2, ZCDEV_BUF_PAGES, 5 * self->page, &a));
	ASSERT_EQ(0, zc_info(self->fd, &after));
	EXPECT_EQ(before.total_bytes + a.buf_len, after.total_bytes);
	close(fd2);
}

TEST_F(dev, close_returns_bytes_to_total)
{
	struct zcdev_info before, after;
	struct zcdev_alloc a;
	int fd2 = zc_open();

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, zc_info(self->fd, &before));
	ASSERT_EQ(0, zc_alloc(fd2, ZCDEV_BUF_PAGES, 4 * self->page, &a));
	ASSERT_EQ(0, zc_alloc(fd2, ZCDEV_BUF_PAGES, 1, &a));
	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(0, zc_info(self->fd, &after));
	EXPECT_EQ(before.total_bytes, after.total_bytes);
}

TEST_HARNESS_MAIN
