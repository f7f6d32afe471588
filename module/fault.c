// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev's test hooks, in /sys/kernel/debug/zcdev/:
 *
 * fail: zcdev's own fault-injection point (the kernel's fault_attr knobs:
 * probability, interval, times, task-filter), consulted where zcdev
 * allocates, pins, maps, prepares descriptors and sends. The same functions
 * also allow fail_function, but on 6.1 that decides in the kprobe's int3
 * handler, where should_fail()'s random number trips lockdep
 * (batched_entropy lock taken in NMI context) and turns lock checking off;
 * deciding here, in process context, does not.
 *
 * issue_delay_us: how long a transfer's descriptors, once submitted, wait
 * before zcdev issues them to the engine. A hardware engine finishes a
 * transfer before a test can cancel it, time it out, close its file or
 * kill its owner; this keeps one in flight on any engine, with its
 * descriptors on the engine's submitted queue, which is where a stop has
 * to take them back from. zcdma's latency_us does the same inside zcdma.
 */
#include <linux/debugfs.h>
#include <linux/fault-inject.h>

#include "zcdev.h"

static u32 zcdev_issue_delay;
static struct dentry *zcdev_debugfs;

#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
static DECLARE_FAULT_ATTR(zcdev_fail_attr);

bool zcdev_should_fail(void)
{
	return should_fail(&zcdev_fail_attr, 1);
}
#else
bool zcdev_should_fail(void)
{
	return false;
}
#endif

unsigned int zcdev_issue_delay_us(void)
{
	return READ_ONCE(zcdev_issue_delay);
}

void zcdev_fault_init(void)
{
	zcdev_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_u32("issue_delay_us", 0600, zcdev_debugfs,
			   &zcdev_issue_delay);
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	fault_create_debugfs_attr("fail", zcdev_debugfs, &zcdev_fail_attr);
#endif
}

void zcdev_fault_exit(void)
{
	debugfs_remove_recursive(zcdev_debugfs);
}
