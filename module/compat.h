/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API shims, all in one place. zcdev targets Debian's 6.1; these let
 * `make KDIR=...` build it for newer kernels too. Kbuild detects features
 * in the target's headers (ZCDEV_HAVE_*) instead of comparing versions,
 * which breaks on distribution backports.
 */
#ifndef _ZCDEV_COMPAT_H
#define _ZCDEV_COMPAT_H

#include <linux/mm.h>
#include <linux/skbuff.h>

#ifndef ZCDEV_HAVE_VM_FLAGS_SET
/* 6.3 put vm_flags behind accessors; before that it was written directly. */
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#endif

/*
 * 6.10 moved the zero-copy completion callback from struct ubuf_info into
 * an ops table. Define the table (or nothing) and set it up either way.
 */
#ifdef ZCDEV_HAVE_UBUF_INFO_OPS
#define ZCDEV_DEFINE_UBUF_OPS(name, cb)				\
	static const struct ubuf_info_ops name = { .complete = cb }
#define zcdev_ubuf_init(uarg, table, cb)	((uarg)->ops = (table))
#else
#define ZCDEV_DEFINE_UBUF_OPS(name, cb)	struct zcdev_unused_##name
#define zcdev_ubuf_init(uarg, table, cb)	((uarg)->callback = (cb))
#endif

#endif /* _ZCDEV_COMPAT_H */
