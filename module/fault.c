// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev's own fault-injection point, /sys/kernel/debug/zcdev/fail (the
 * kernel's fault_attr knobs: probability, interval, times, task-filter),
 * consulted where zcdev allocates, pins, maps, prepares descriptors and
 * sends. The same functions also allow fail_function, but on 6.1 that
 * decides in the kprobe's int3 handler, where should_fail()'s random number
 * trips lockdep (batched_entropy lock taken in NMI context) and turns lock
 * checking off; deciding here, in process context, does not.
 */
#include <linux/debugfs.h>
#include <linux/fault-inject.h>

#include "zcdev.h"

#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
static DECLARE_FAULT_ATTR(zcdev_fail_attr);
static struct dentry *zcdev_debugfs;

void zcdev_fault_init(void)
{
	zcdev_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	fault_create_debugfs_attr("fail", zcdev_debugfs, &zcdev_fail_attr);
}

void zcdev_fault_exit(void)
{
	debugfs_remove_recursive(zcdev_debugfs);
}

bool zcdev_should_fail(void)
{
	return should_fail(&zcdev_fail_attr, 1);
}
#else
void zcdev_fault_init(void)
{
}

void zcdev_fault_exit(void)
{
}

bool zcdev_should_fail(void)
{
	return false;
}
#endif
