// SPDX-License-Identifier: GPL-2.0
/*
 * zcdev - zero-copy and DMA experiments.
 *
 * /dev/zcdev (a misc device, mode 0600 unless the admin says otherwise)
 * hands out buffers that userspace can mmap, pread/pwrite, DMA into and
 * out of through dmaengine, and send to sockets without copying. Each open
 * file is a context owning its buffers, transfers and sends; the ABI is
 * uapi/linux/zcdev.h, the design notes module/README.md. This file holds
 * the device, the module parameters about memory, and init/exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/workqueue.h>
#include <linux/sizes.h>

#include <linux/zcdev.h>
#include "compat.h"
#include "zcdev.h"

/* Queue depths (dma.c, sock.c): 0 would refuse every request. */
static int zcdev_queue_depth_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, 65536);
}

const struct kernel_param_ops zcdev_queue_depth_ops = {
	.set = zcdev_queue_depth_set,
	.get = param_get_uint,
};

/* A buffer must fit its window of the file's offset space. */
static int zcdev_buf_bytes_set(const char *val, const struct kernel_param *kp)
{
	unsigned long n;
	int ret;

	ret = kstrtoul(val, 0, &n);
	if (ret)
		return ret;
	if (!n || n > ZCDEV_WINDOW_BYTES)
		return -EINVAL;
	*(unsigned long *)kp->arg = n;
	return 0;
}

static const struct kernel_param_ops zcdev_buf_bytes_ops = {
	.set = zcdev_buf_bytes_set,
	.get = param_get_ulong,
};

unsigned long zcdev_max_buf_bytes = SZ_256M;
module_param_cb(max_buf_bytes, &zcdev_buf_bytes_ops, &zcdev_max_buf_bytes,
		0444);
MODULE_PARM_DESC(max_buf_bytes, "Largest buffer in bytes, 1..68719476736 (default 268435456)");

unsigned long zcdev_max_file_bytes = SZ_1G;
module_param_named(max_file_bytes, zcdev_max_file_bytes, ulong, 0444);
MODULE_PARM_DESC(max_file_bytes, "Bytes of buffers one open file may hold (default 1073741824)");

unsigned long zcdev_max_total_bytes = 2UL * SZ_1G;
module_param_named(max_total_bytes, zcdev_max_total_bytes, ulong, 0444);
MODULE_PARM_DESC(max_total_bytes, "Bytes of buffers all open files together may hold (default 2147483648)");

static int zcdev_dev_mode_set(const char *val, const struct kernel_param *kp)
{
	u16 mode;
	int ret;

	ret = kstrtou16(val, 0, &mode);
	if (ret)
		return ret;
	if (mode & ~0777)
		return -EINVAL;
	*(ushort *)kp->arg = mode;
	return 0;
}

static const struct kernel_param_ops zcdev_dev_mode_ops = {
	.set = zcdev_dev_mode_set,
	.get = param_get_ushort,
};

static ushort dev_mode = 0600;
module_param_cb(dev_mode, &zcdev_dev_mode_ops, &dev_mode, 0444);
MODULE_PARM_DESC(dev_mode, "Permissions of /dev/zcdev, octal, within 0777 (default 0600: root only)");

struct workqueue_struct *zcdev_wq;

static int zcdev_open(struct inode *inode, struct file *file)
{
	struct zcdev_file *zf = zcdev_file_create();

	if (!zf)
		return -ENOMEM;
	/* The DMA and send halves of the file belong to dma.c and sock.c. */
	zcdev_dma_file_init(zf);
	zcdev_sock_file_init(zf);
	file->private_data = zf;
	/*
	 * A 32-bit kernel maps no offset of a character device past ULONG_MAX
	 * unless its driver takes unsigned offsets (file_mmap_size_max()), and
	 * every buffer's window starts at 64 GiB. Negative offsets then reach
	 * zcdev, which has no buffer there.
	 */
	zcdev_file_unsigned_offsets(file);
	return 0;
}

static int zcdev_release(struct inode *inode, struct file *file)
{
	struct zcdev_file *zf = file->private_data;

	/* Transfers first: they hold buffer references. */
	zcdev_dma_file_release(zf);
	zcdev_sock_file_release(zf);
	zcdev_file_release_bufs(zf);
	zcdev_file_put(zf);
	return 0;
}

static __poll_t zcdev_poll(struct file *file, struct poll_table_struct *pt)
{
	struct zcdev_file *zf = file->private_data;

	poll_wait(file, &zf->wq, pt);
	return zcdev_dma_poll(zf) | zcdev_sock_poll(zf);
}

static const struct file_operations zcdev_fops = {
	.owner		= THIS_MODULE,
	.open		= zcdev_open,
	.release	= zcdev_release,
	.unlocked_ioctl	= zcdev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= zcdev_mmap,
	.poll		= zcdev_poll,
	.read_iter	= zcdev_read_iter,
	.write_iter	= zcdev_write_iter,
	.splice_read	= zcdev_splice_read,
	.llseek		= default_llseek,
};

static struct miscdevice zcdev_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "zcdev",
	.fops	= &zcdev_fops,
};

static int __init zcdev_init(void)
{
	int ret;

	/* Unbound: its work unpins and frees, and may sleep doing so. */
	zcdev_wq = alloc_workqueue("zcdev", WQ_UNBOUND, 0);
	if (!zcdev_wq)
		return -ENOMEM;
	ret = zcdev_dma_init();
	if (ret)
		goto err_wq;

	zcdev_fault_init();
	zcdev_misc.mode = dev_mode;
	ret = misc_register(&zcdev_misc);
	if (ret)
		goto err_fault;
	pr_info("ready: /dev/zcdev, ABI %d, max_buf_bytes %lu\n",
		ZCDEV_ABI_VERSION, zcdev_max_buf_bytes);
	return 0;

err_fault:
	zcdev_fault_exit();
	zcdev_dma_exit();
err_wq:
	destroy_workqueue(zcdev_wq);
	return ret;
}

/*
 * Unload runs only when no file, mapping or send holds the module. The
 * last send completion may still be returning from its callback (an RCU
 * read-side section), and deferred buffer frees may still be queued.
 */
static void __exit zcdev_exit(void)
{
	misc_deregister(&zcdev_misc);
	zcdev_fault_exit();
	synchronize_rcu();
	destroy_workqueue(zcdev_wq);
	zcdev_dma_exit();
}

module_init(zcdev_init);
module_exit(zcdev_exit);

MODULE_DESCRIPTION("zcdev: buffers for zero-copy and DMA experiments");
MODULE_LICENSE("GPL");
/* The release; `make deb` gives the packages and dkms.conf this version. */
MODULE_VERSION("0.1.0");
MODULE_INFO(abi, __stringify(ZCDEV_ABI_VERSION));
