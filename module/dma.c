// SPDX-License-Identifier: GPL-2.0
/*
 * The dmaengine client: which device buffers are mapped for, the channel,
 * and the life of a transfer on it.
 *
 * One DMA_MEMCPY channel serves every file, so transfers complete in
 * submission order. A transfer is one descriptor per run that is contiguous
 * on both sides, the last one interrupting; every descriptor carries the
 * callback so an error anywhere is seen. dmaengine can only stop a whole
 * channel, so stopping one transfer (cancel, timeout, engine error)
 * terminates the channel, synchronizes, ends the chosen transfers and
 * submits the others again from the start. Memory a transfer touches is
 * released only after that, in process context (cleanup_work), because
 * unpinning may sleep and callbacks run in atomic context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dmaengine.h>
#include <linux/dma-mapping.h>
#include <linux/error-injection.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include <linux/zcdev.h>
#include "dma.h"
#include "zcdev_trace.h"

static char *dma_channel;
module_param(dma_channel, charp, 0444);
MODULE_PARM_DESC(dma_channel, "DMA channel to use, e.g. dma0chan1 (default: any DMA_MEMCPY channel)");

static unsigned int zcdev_dma_queue_depth = 64;
module_param_cb(dma_queue_depth, &zcdev_queue_depth_ops,
		&zcdev_dma_queue_depth, 0444);
MODULE_PARM_DESC(dma_queue_depth, "DMA transfers one file may have unreaped, 1..65536 (default 64)");

/**
 * struct zcdev_dma_chan - the channel every file's transfers share
 * @lock: serializes acquiring @chan, submitting, and terminate-and-resubmit,
 *	so descriptors reach the engine in queue order
 * @chan: the channel, or NULL while none could be had
 * @pdev: stands in as the DMA device while there is no channel
 * @queue_lock: guards @queue, each queued transfer's progress fields,
 *	@last_end and the counters; taken in callbacks (atomic context)
 * @queue: transfers ON_ENGINE, in submission order
 * @last_end: when the engine last finished a transfer
 * @recover_work: ends transfers a descriptor error left half done
 * @end_seq: how many transfers have ended, so ZCDEV_DMA_WAIT_ANY can reap
 *	in the order they ended
 * @stats: counters for ZCDEV_IOC_DMA_STATS
 * @lat_sum_ns: sum of latencies of @stats.transfers, for the mean
 */
struct zcdev_dma_chan {
	struct mutex lock; /* see @lock above */
	struct dma_chan *chan;
	struct platform_device *pdev;
	spinlock_t queue_lock; /* see @queue_lock above */
	struct list_head queue;
	ktime_t last_end;
	struct work_struct recover_work;
	u64 end_seq;
	struct zcdev_dma_stats stats;
	u64 lat_sum_ns;
};

static struct zcdev_dma_chan zcdev_dc;

static bool zcdev_dma_filter(struct dma_chan *chan, void *name)
{
	return !strcmp(dma_chan_name(chan), name);
}

/* Called with zcdev_dc.lock held. */
static int zcdev_dma_acquire(void)
{
	struct dma_chan *chan;
	dma_cap_mask_t mask;

	if (zcdev_dc.chan)
		return 0;
	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	if (dma_channel && *dma_channel) {
		chan = dma_request_channel(mask, zcdev_dma_filter, dma_channel);
		if (!chan)
			chan = ERR_PTR(-ENODEV);
	} else {
		chan = dma_request_chan_by_mask(&mask);
	}
	if (IS_ERR(chan)) {
		/* With no dmaengine device at all, 6.1 says -EPROBE_DEFER. */
		pr_info_once("no DMA_MEMCPY channel%s%s (%ld); DMA is unavailable until one is registered (e.g. modprobe zcdma)\n",
			     dma_channel ? " named " : "",
			     dma_channel ?: "", PTR_ERR(chan));
		return -ENODEV;
	}
	WRITE_ONCE(zcdev_dc.chan, chan);
	pr_info("DMA channel %s (%s)\n", dma_chan_name(chan),
		dev_name(chan->device->dev));
	return 0;
}

/*
 * Look for a channel again if there is none yet, so an engine loaded after
 * zcdev is found by the next INFO or ALLOC, before buffers are mapped for
 * the stand-in device.
 */
static struct dma_chan *zcdev_dma_refresh(void)
{
	struct dma_chan *chan = READ_ONCE(zcdev_dc.chan);

	if (chan)
		return chan;
	mutex_lock(&zcdev_dc.lock);
	zcdev_dma_acquire();
	chan = zcdev_dc.chan;
	mutex_unlock(&zcdev_dc.lock);
	return chan;
}

/* The device new buffers are allocated and mapped for. */
struct device *zcdev_dma_device(void)
{
	struct dma_chan *chan = zcdev_dma_refresh();

	return chan ? chan->device->dev : &zcdev_dc.pdev->dev;
}

bool zcdev_dma_available(void)
{
	return zcdev_dma_refresh();
}

/* End a transfer with its final status. Called with queue_lock held. */
static void zcdev_dma_end(struct zcdev_xfer *x, u32 status, int error)
{
	ktime_t now = ktime_get();
	u64 lat = ktime_to_ns(ktime_sub(now, x->t_submit));
	ktime_t head = ktime_after(zcdev_dc.last_end, x->t_submit) ?
		       zcdev_dc.last_end : x->t_submit;
	struct zcdev_dma_stats *st = &zcdev_dc.stats;

	x->state = ZCDEV_XFER_ENDED;
	WRITE_ONCE(x->end_seq, ++zcdev_dc.end_seq);
	x->status = status;
	x->error = error;
	x->engine_ns = ktime_to_ns(ktime_sub(now, head));
	trace_zcdev_dma_end(x->id, status, error, x->bytes_done, lat);
	if (status == ZCDEV_DMA_DONE)
		zcdev_dc.last_end = now;

	st->transfers++;
	st->bytes += x->bytes_done;
	st->errors += status == ZCDEV_DMA_ERROR;
	st->timeouts += status == ZCDEV_DMA_TIMEDOUT;
	st->cancels += status == ZCDEV_DMA_CANCELLED;
	st->in_flight--;
	if (!st->lat_min_ns || lat < st->lat_min_ns)
		st->lat_min_ns = lat;
	st->lat_max_ns = max(st->lat_max_ns, lat);
	zcdev_dc.lat_sum_ns += lat;

	queue_work(zcdev_wq, &x->cleanup_work);
}

static void zcdev_dma_callback(void *param, const struct dmaengine_result *res)
{
	struct zcdev_xfer *x = param;
	unsigned long flags;
	size_t len;

	spin_lock_irqsave(&zcdev_dc.queue_lock, flags);
	if (WARN_ON_ONCE(x->state != ZCDEV_XFER_ON_ENGINE) ||
	    WARN_ON_ONCE(x->runs_done >= x->nr_runs))
		goto out;
	len = x->runs[x->runs_done++].len;
	if (res && res->result != DMA_TRANS_NOERROR) {
		x->failed = true;
		x->bytes_done += len - min_t(size_t, len, res->residue);
	} else {
		x->bytes_done += len;
	}
	if (x->runs_done == x->nr_runs) {
		list_del(&x->chan_node);
		if (x->failed)
			zcdev_dma_end(x, ZCDEV_DMA_ERROR, -EIO);
		else
			zcdev_dma_end(x, ZCDEV_DMA_DONE, 0);
	} else if (x->failed) {
		/* Later descriptors may never complete: stop them. */
		queue_work(zcdev_wq, &zcdev_dc.recover_work);
	}
out:
	spin_unlock_irqrestore(&zcdev_dc.queue_lock, flags);
}

/*
 * Put a transfer's descriptors on the engine (not yet issued). On failure
 * some may be submitted already: the caller must terminate the channel.
 * Called with zcdev_dc.lock held.
 */
static noinline int zcdev_dma_issue(struct zcdev_xfer *x)
{
	struct dma_chan *chan = zcdev_dc.chan;
	unsigned int i;

	if (zcdev_should_fail())
		return -ENOMEM;

	spin_lock_irq(&zcdev_dc.queue_lock);
	x->state = ZCDEV_XFER_ON_ENGINE;
	x->runs_done = 0;
	x->bytes_done = 0;
	x->failed = false;
	x->t_submit = ktime_get();
	list_add_tail(&x->chan_node, &zcdev_dc.queue);
	spin_unlock_irq(&zcdev_dc.queue_lock);

	for (i = 0; i < x->nr_runs; i++) {
		unsigned long flags = DMA_CTRL_ACK;
		struct dma_async_tx_descriptor *tx;

		if (i == x->nr_runs - 1)
			flags |= DMA_PREP_INTERRUPT;
		tx = dmaengine_prep_dma_memcpy(chan, x->runs[i].dst,
					       x->runs[i].src, x->runs[i].len,
					       flags);
		if (!tx)
			goto err;
		tx->callback_result = zcdev_dma_callback;
		tx->callback_param = x;
		if (dma_submit_error(dmaengine_submit(tx)))
			goto err;
	}
	return 0;

err:
	zcdev_refuse("dma_submit", -ENOMEM, "descriptor_prep", i);
	spin_lock_irq(&zcdev_dc.queue_lock);
	list_del(&x->chan_node);
	x->state = ZCDEV_XFER_IDLE;
	spin_unlock_irq(&zcdev_dc.queue_lock);
	return -ENOMEM;
}

/* fail_function may make it fail too (see fault.c for why tests do not). */
ALLOW_ERROR_INJECTION(zcdev_dma_issue, ERRNO);

typedef bool (*zcdev_xfer_match_t)(const struct zcdev_xfer *x,
				   const void *key);

/*
 * Stop the channel, end the queued transfers @match picks with @status,
 * and submit the rest again, in order. Returns how many it ended.
 * Called with zcdev_dc.lock held.
 */
static unsigned int zcdev_dma_restart(zcdev_xfer_match_t match,
				      const void *key, u32 status, int error)
{
	struct dma_chan *chan = zcdev_dc.chan;
	struct zcdev_xfer *x, *tmp;
	unsigned int ended = 0;
	LIST_HEAD(again);

	dmaengine_terminate_sync(chan);
	spin_lock_irq(&zcdev_dc.queue_lock);
	list_for_each_entry_safe(x, tmp, &zcdev_dc.queue, chan_node) {
		list_del(&x->chan_node);
		if (match && match(x, key)) {
			zcdev_dma_end(x, status, error);
			ended++;
		} else {
			x->state = ZCDEV_XFER_IDLE;
			list_add_tail(&x->chan_node, &again);
		}
	}
	spin_unlock_irq(&zcdev_dc.queue_lock);

	while (!list_empty(&again)) {
		x = list_first_entry(&again, struct zcdev_xfer, chan_node);
		list_del(&x->chan_node);
		if (!zcdev_dma_issue(x))
			continue;
		/* Drop what was submitted and start over without @x. */
		dmaengine_terminate_sync(chan);
		spin_lock_irq(&zcdev_dc.queue_lock);
		zcdev_dma_end(x, ZCDEV_DMA_ERROR, -ENOMEM);
		list_for_each_entry(tmp, &zcdev_dc.queue, chan_node)
			tmp->state = ZCDEV_XFER_IDLE;
		list_splice_init(&zcdev_dc.queue, &again);
		spin_unlock_irq(&zcdev_dc.queue_lock);
	}
	dma_async_issue_pending(chan);
	return ended;
}

static bool zcdev_dma_match_failed(const struct zcdev_xfer *x, const void *key)
{
	return x->failed;
}

static void zcdev_dma_recover(struct work_struct *work)
{
	mutex_lock(&zcdev_dc.lock);
	if (zcdev_dc.chan)
		zcdev_dma_restart(zcdev_dma_match_failed, NULL,
				  ZCDEV_DMA_ERROR, -EIO);
	mutex_unlock(&zcdev_dc.lock);
}

static void zcdev_dma_cleanup(struct work_struct *work)
{
	struct zcdev_xfer *x = container_of(work, struct zcdev_xfer,
					    cleanup_work);
	struct zcdev_file *zf = x->zf;

	zcdev_dma_sync_bufs(x, true);
	zcdev_dma_unbuild(x);
	spin_lock(&zf->xfer_lock);
	x->finished = true;
	spin_unlock(&zf->xfer_lock);
	wake_up_all(&zf->wq);
}

static void zcdev_xfer_free(struct zcdev_xfer *x)
{
	zcdev_file_put(x->zf);
	kfree(x);
}

void zcdev_dma_file_init(struct zcdev_file *zf)
{
	spin_lock_init(&zf->xfer_lock);
	INIT_LIST_HEAD(&zf->xfers);
	zf->next_xfer_id = 1;
}

int zcdev_dma_submit(struct zcdev_file *zf, struct zcdev_dma_submit *arg,
		     struct zcdev_dma_seg_desc *segs)
{
	struct zcdev_xfer *x;
	int ret;

	if (!zcdev_dma_available())
		return zcdev_refuse("dma_submit", -ENODEV, "no_channel", 0);

	spin_lock(&zf->xfer_lock);
	if (zf->nr_xfers >= zcdev_dma_queue_depth) {
		spin_unlock(&zf->xfer_lock);
		return zcdev_refuse("dma_submit", -EBUSY, "dma_queue_depth",
				    zcdev_dma_queue_depth);
	}
	zf->nr_xfers++;
	spin_unlock(&zf->xfer_lock);

	x = kzalloc(sizeof(*x), GFP_KERNEL_ACCOUNT);
	if (!x) {
		ret = -ENOMEM;
		goto err_depth;
	}
	kref_get(&zf->ref);
	x->zf = zf;
	x->user_data = arg->user_data;
	x->dev = zcdev_dma_device();
	INIT_WORK(&x->cleanup_work, zcdev_dma_cleanup);

	ret = zcdev_dma_build(x, segs, arg->nr_segs);
	if (ret)
		goto err_unbuild;
	zcdev_dma_sync_bufs(x, false);

	mutex_lock(&zcdev_dc.lock);
	spin_lock(&zf->xfer_lock);
	x->id = zf->next_xfer_id++;
	list_add_tail(&x->file_node, &zf->xfers);
	spin_unlock(&zf->xfer_lock);

	ret = zcdev_dma_issue(x);
	if (ret) {
		zcdev_dma_restart(NULL, NULL, 0, 0);
		mutex_unlock(&zcdev_dc.lock);
		spin_lock(&zf->xfer_lock);
		list_del(&x->file_node);
		spin_unlock(&zf->xfer_lock);
		goto err_unbuild;
	}
	spin_lock_irq(&zcdev_dc.queue_lock);
	zcdev_dc.stats.in_flight++;
	spin_unlock_irq(&zcdev_dc.queue_lock);
	trace_zcdev_dma_submit(x->id, arg->nr_segs, x->nr_runs, x->total);
	dma_async_issue_pending(zcdev_dc.chan);
	mutex_unlock(&zcdev_dc.lock);

	arg->id = x->id;
	return 0;

err_unbuild:
	zcdev_dma_unbuild(x);
	zcdev_xfer_free(x);
err_depth:
	spin_lock(&zf->xfer_lock);
	zf->nr_xfers--;
	spin_unlock(&zf->xfer_lock);
	return ret;
}

struct zcdev_dma_key {
	const struct zcdev_file *zf;
	u64 id;
	bool all;
};

static bool zcdev_dma_match_key(const struct zcdev_xfer *x, const void *key)
{
	const struct zcdev_dma_key *k = key;

	return x->zf == k->zf && (k->all || x->id == k->id);
}

/* Called with zf->xfer_lock held. */
static struct zcdev_xfer *zcdev_dma_find(struct zcdev_file *zf, u64 id)
{
	struct zcdev_xfer *x;

	list_for_each_entry(x, &zf->xfers, file_node)
		if (x->id == id)
			return x;
	return NULL;
}

/*
 * The transfer that ended first among those not reaped, once its cleanup
 * is done (NULL until then). Called with zf->xfer_lock held.
 */
static struct zcdev_xfer *zcdev_dma_find_finished(struct zcdev_file *zf)
{
	struct zcdev_xfer *x, *first = NULL;

	list_for_each_entry(x, &zf->xfers, file_node) {
		u64 seq = READ_ONCE(x->end_seq);

		if (seq && (!first || seq < READ_ONCE(first->end_seq)))
			first = x;
	}
	return first && first->finished ? first : NULL;
}

/*
 * Is there something to reap? 1: yes, 0: not yet, -ENOENT: never.
 * Re-looked up on every wake-up: another thread may have reaped it.
 */
static int zcdev_dma_ready(struct zcdev_file *zf, u64 id, bool any)
{
	struct zcdev_xfer *x;
	int ret;

	spin_lock(&zf->xfer_lock);
	if (any) {
		ret = zcdev_dma_find_finished(zf) ? 1 :
		      list_empty(&zf->xfers) ? -ENOENT : 0;
	} else {
		x = zcdev_dma_find(zf, id);
		ret = !x ? -ENOENT : x->finished;
	}
	spin_unlock(&zf->xfer_lock);
	return ret;
}

/* zcdev_file_wait() predicate: something to reap, or never anything. */
static bool zcdev_dma_wake(struct zcdev_file *zf, const void *key)
{
	const struct zcdev_dma_key *k = key;

	return zcdev_dma_ready(zf, k->id, k->all);
}

static int zcdev_dma_reap(struct zcdev_file *zf, u64 id, bool any,
			  struct zcdev_dma_wait *arg)
{
	struct zcdev_xfer *x;

	spin_lock(&zf->xfer_lock);
	x = any ? zcdev_dma_find_finished(zf) : zcdev_dma_find(zf, id);
	if (!x || !x->finished) {
		spin_unlock(&zf->xfer_lock);
		return -EAGAIN;
	}
	list_del(&x->file_node);
	zf->nr_xfers--;
	spin_unlock(&zf->xfer_lock);

	arg->id = x->id;
	arg->status = x->status;
	arg->error = -x->error;
	arg->bytes = x->bytes_done;
	arg->engine_ns = x->engine_ns;
	arg->user_data = x->user_data;
	zcdev_xfer_free(x);
	return 0;
}

/*
 * End this file's queued transfer @id (or all of them) with @status.
 * Transfers already ended are left alone. -ENOENT for an unknown id.
 */
static int zcdev_dma_stop(const char *op, struct zcdev_file *zf, u64 id,
			  bool all, u32 status, int error, u32 *stopped)
{
	struct zcdev_dma_key key = { .zf = zf, .id = id, .all = all };
	unsigned int n = 0;
	struct zcdev_xfer *x;
	bool queued = false;

	spin_lock(&zf->xfer_lock);
	x = all ? NULL : zcdev_dma_find(zf, id);
	spin_unlock(&zf->xfer_lock);
	if (!all && !x)
		return zcdev_refuse(op, -ENOENT, "no_transfer", id);

	mutex_lock(&zcdev_dc.lock);
	/* Stopping the channel costs every file a restart: only if needed. */
	spin_lock_irq(&zcdev_dc.queue_lock);
	list_for_each_entry(x, &zcdev_dc.queue, chan_node)
		queued |= zcdev_dma_match_key(x, &key);
	spin_unlock_irq(&zcdev_dc.queue_lock);
	if (queued)
		n = zcdev_dma_restart(zcdev_dma_match_key, &key, status, error);
	mutex_unlock(&zcdev_dc.lock);
	if (stopped)
		*stopped = n;
	return 0;
}

int zcdev_dma_cancel(struct zcdev_file *zf, u64 id, bool all, u32 *cancelled)
{
	if (!zcdev_dma_available())
		return zcdev_refuse("dma_cancel", -ENODEV, "no_channel", 0);
	return zcdev_dma_stop("dma_cancel", zf, id, all, ZCDEV_DMA_CANCELLED,
			      -ECANCELED, cancelled);
}

int zcdev_dma_wait(struct zcdev_file *zf, struct zcdev_dma_wait *arg)
{
	const char *op = "dma_wait";
	bool any = arg->flags & ZCDEV_DMA_WAIT_ANY;
	struct zcdev_dma_key key = { .id = arg->id, .all = any };
	u64 id = arg->id;
	int ret;

	if (!zcdev_dma_available())
		return zcdev_refuse(op, -ENODEV, "no_channel", 0);
	for (;;) {
		ret = zcdev_dma_ready(zf, id, any);
		if (ret < 0)
			return zcdev_refuse(op, ret, any ? "no_transfer_at_all" :
						"no_transfer", any ? 0 : id);
		/* Another waiter may win the race to reap: then wait on. */
		if (ret && zcdev_dma_reap(zf, id, any, arg) != -EAGAIN)
			return 0;
		if (!arg->deadline_ns)
			return -EAGAIN;
		ret = zcdev_file_wait(zf, zcdev_dma_wake, &key,
				      arg->deadline_ns);
		if (ret < 0)
			return ret;
		if (!ret)
			break;
	}

	/* The deadline passed. */
	if (any || (arg->flags & ZCDEV_DMA_WAIT_NOTERM))
		return -ETIMEDOUT;
	ret = zcdev_dma_stop(op, zf, id, false, ZCDEV_DMA_TIMEDOUT, -ETIMEDOUT,
			     NULL);
	if (ret)
		return ret;
	/* Ended now or just before: either way its cleanup is queued. */
	wait_event(zf->wq, zcdev_dma_ready(zf, id, false));
	ret = zcdev_dma_reap(zf, id, false, arg);
	/* Another thread reaped it first. */
	return ret == -EAGAIN ? -ENOENT : ret;
}

/* On close: stop what is queued, wait for every cleanup, forget all. */
void zcdev_dma_file_release(struct zcdev_file *zf)
{
	struct zcdev_xfer *x, *tmp;

	if (list_empty(&zf->xfers))
		return;
	if (zcdev_dma_available())
		zcdev_dma_stop("close", zf, 0, true, ZCDEV_DMA_CANCELLED,
			       -ECANCELED, NULL);
	list_for_each_entry_safe(x, tmp, &zf->xfers, file_node) {
		flush_work(&x->cleanup_work);
		list_del(&x->file_node);
		zcdev_xfer_free(x);
	}
	zf->nr_xfers = 0;
}

__poll_t zcdev_dma_poll(struct zcdev_file *zf)
{
	bool ready;

	spin_lock(&zf->xfer_lock);
	ready = zcdev_dma_find_finished(zf);
	spin_unlock(&zf->xfer_lock);
	return ready ? EPOLLIN | EPOLLRDNORM : 0;
}

int zcdev_dma_stats(struct zcdev_dma_stats *arg)
{
	struct dma_chan *chan = zcdev_dma_refresh();

	if (!chan)
		return zcdev_refuse("dma_stats", -ENODEV, "no_channel", 0);
	strscpy(arg->channel, dma_chan_name(chan), sizeof(arg->channel));

	spin_lock_irq(&zcdev_dc.queue_lock);
	arg->transfers = zcdev_dc.stats.transfers;
	arg->bytes = zcdev_dc.stats.bytes;
	arg->errors = zcdev_dc.stats.errors;
	arg->timeouts = zcdev_dc.stats.timeouts;
	arg->cancels = zcdev_dc.stats.cancels;
	arg->in_flight = zcdev_dc.stats.in_flight;
	arg->lat_min_ns = zcdev_dc.stats.lat_min_ns;
	arg->lat_max_ns = zcdev_dc.stats.lat_max_ns;
	arg->lat_avg_ns = zcdev_dc.stats.transfers ?
			  div64_u64(zcdev_dc.lat_sum_ns,
				    zcdev_dc.stats.transfers) : 0;
	spin_unlock_irq(&zcdev_dc.queue_lock);
	return 0;
}

int zcdev_dma_init(void)
{
	struct platform_device_info pdevinfo = {
		.name		= KBUILD_MODNAME,
		.id		= PLATFORM_DEVID_NONE,
		.dma_mask	= DMA_BIT_MASK(64),
	};
	struct platform_device *pdev;
	int ret;

	mutex_init(&zcdev_dc.lock);
	spin_lock_init(&zcdev_dc.queue_lock);
	INIT_LIST_HEAD(&zcdev_dc.queue);
	INIT_WORK(&zcdev_dc.recover_work, zcdev_dma_recover);

	pdev = platform_device_register_full(&pdevinfo);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);
	ret = dma_coerce_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		goto err_pdev;
	/* Let PAGES buffers merge physically contiguous pages. */
	ret = dma_set_max_seg_size(&pdev->dev, UINT_MAX);
	if (ret)
		goto err_pdev;
	zcdev_dc.pdev = pdev;

	/* No channel yet is fine: the first DMA ioctl tries again. */
	mutex_lock(&zcdev_dc.lock);
	zcdev_dma_acquire();
	mutex_unlock(&zcdev_dc.lock);
	return 0;

err_pdev:
	platform_device_unregister(pdev);
	return ret;
}

/* Every file is closed and zcdev_wq drained: no transfer is left. */
void zcdev_dma_exit(void)
{
	if (zcdev_dc.chan)
		dma_release_channel(zcdev_dc.chan);
	platform_device_unregister(zcdev_dc.pdev);
}
