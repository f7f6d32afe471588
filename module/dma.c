// SPDX-License-Identifier: GPL-2.0
/*
 * The dmaengine client: which device buffers are mapped for, the channels,
 * and the life of a transfer on them.
 *
 * zcdev takes the DMA_MEMCPY channels of one DMA device (all of them, or
 * those dma_channel= names) and binds each file to one channel at its
 * first submission, the least busy, so a file's transfers run in order
 * while files spread over the channels.
 *
 * A channel's engine carries one transfer at a time. The others wait in
 * their file's queue, and the channel takes the files in turn, one
 * transfer each (round robin), so a file that floods small transfers
 * delays another file's transfer by at most one of its own per turn.
 *
 * dmaengine can only stop a whole channel. Because only one transfer is on
 * it, stopping one (cancel, timeout, close, an engine error) never touches
 * another: a waiting transfer is taken off its queue without going near
 * the engine, and a running one is stopped by terminating its channel,
 * which ends exactly that transfer. No descriptor is ever submitted twice,
 * so a transfer whose later segments overwrite an earlier segment's source
 * can never be re-run into wrong data. How far a stopped transfer got is
 * read from the engine per descriptor cookie (dmaengine_tx_status() with
 * residue) before the stop, and from the callbacks; terminate_all drops
 * callbacks and some providers batch them, so neither alone is the truth.
 *
 * The next transfer starts from the completion callback of the last one
 * (dmaengine lets a callback prepare and submit), so the engine idles only
 * for the time it takes to prepare descriptors. Memory a transfer touches
 * is released only after its end, in process context (cleanup_work),
 * because unpinning may sleep and callbacks run in atomic context.
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
#include <linux/string.h>

#include <linux/zcdev.h>
#include "compat.h"
#include "dma.h"
#include "zcdev_trace.h"

static char *dma_channel;
module_param(dma_channel, charp, 0444);
MODULE_PARM_DESC(dma_channel, "DMA channels to use, comma-separated, e.g. dma0chan0,dma0chan1 (default: every DMA_MEMCPY channel of the first DMA device that has one)");

static unsigned int zcdev_dma_queue_depth = 64;
module_param_cb(dma_queue_depth, &zcdev_queue_depth_ops,
		&zcdev_dma_queue_depth, 0444);
MODULE_PARM_DESC(dma_queue_depth, "DMA transfers one file may have unreaped, 1..65536 (default 64)");

/**
 * struct zcdev_dma_chan - one channel and the transfers it carries
 * @chan: the dmaengine channel
 * @lock: guards @running, @turns, every queued transfer's queue_node and
 *	state, the running transfer's progress, and the counters; taken in
 *	callbacks (atomic context)
 * @running: the transfer on the engine, or NULL
 * @turns: files with waiting transfers, in round-robin order
 * @issued: woken when @running leaves ISSUING
 * @stop_lock: one stop (terminate and synchronize) at a time
 * @recover_work: stops a transfer whose descriptor failed
 * @issue_work: issues submitted descriptors late, when the issue_delay_us
 *	test hook asks for it (fault.c)
 * @files: files bound to this channel (zcdev_dma.lock)
 * @queued: transfers waiting on @turns
 * @stats: counters for ZCDEV_IOC_DMA_STATS
 * @lat_sum_ns: sum of latencies of @stats.transfers, for the mean
 */
struct zcdev_dma_chan {
	struct dma_chan *chan;
	spinlock_t lock; /* see @lock above */
	struct zcdev_xfer *running;
	struct list_head turns;
	wait_queue_head_t issued;
	struct mutex stop_lock; /* see @stop_lock above */
	struct work_struct recover_work;
	struct delayed_work issue_work;
	unsigned int files;
	unsigned int queued;
	struct zcdev_dma_chan_stats stats;
	u64 lat_sum_ns;
};

/**
 * struct zcdev_dma - the channels, and the stand-in device without them
 * @lock: serializes acquiring channels and binding files to them
 * @chans: @nr_chans channels, all of one DMA device; set once
 * @nr_chans: how many; non-zero once channels were acquired
 * @pdev: stands in as the DMA device while there is no channel
 * @end_seq: transfers ended so far, so ZCDEV_DMA_WAIT_ANY reaps in the
 *	order transfers ended
 */
struct zcdev_dma {
	struct mutex lock; /* see @lock above */
	struct zcdev_dma_chan *chans;
	unsigned int nr_chans;
	struct platform_device *pdev;
	atomic64_t end_seq;
};

static struct zcdev_dma zcdev_dma;

static void zcdev_dma_callback(void *param);
static void zcdev_dma_recover(struct work_struct *work);
static void zcdev_dma_issue_late(struct work_struct *work);

/* Is @chan one that dma_channel= names (any, without the parameter)? */
static bool zcdev_dma_named(struct dma_chan *chan)
{
	const char *name = dma_chan_name(chan);
	size_t len = strlen(name);
	const char *p = dma_channel;

	if (!p || !*p)
		return true;
	while (*p) {
		size_t n = strcspn(p, ",");

		if (n == len && !strncmp(p, name, len))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

/* The first channel: any named one; then only its device's. */
static bool zcdev_dma_filter(struct dma_chan *chan, void *device)
{
	return (!device || chan->device == device) && zcdev_dma_named(chan);
}

/* Called with zcdev_dma.lock held. */
static int zcdev_dma_acquire(void)
{
	struct zcdev_dma_chan *chans;
	struct dma_chan *chan;
	dma_cap_mask_t mask;
	unsigned int n = 0, i;

	if (zcdev_dma.nr_chans)
		return 0;
	chans = kcalloc(ZCDEV_DMA_MAX_CHANS, sizeof(*chans), GFP_KERNEL);
	if (!chans)
		return -ENOMEM;
	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	chan = dma_request_channel(mask, zcdev_dma_filter, NULL);
	while (chan) {
		chans[n++].chan = chan;
		if (n == ZCDEV_DMA_MAX_CHANS)
			break;
		/* Buffers are mapped for one device: only its channels. */
		chan = dma_request_channel(mask, zcdev_dma_filter,
					   chans[0].chan->device);
	}
	if (!n) {
		kfree(chans);
		pr_info_once("no DMA_MEMCPY channel%s%s; DMA is unavailable until one is registered (e.g. modprobe zcdma)\n",
			     dma_channel ? " named in " : "",
			     dma_channel ?: "");
		return -ENODEV;
	}
	for (i = 0; i < n; i++) {
		struct zcdev_dma_chan *dc = &chans[i];

		spin_lock_init(&dc->lock);
		INIT_LIST_HEAD(&dc->turns);
		init_waitqueue_head(&dc->issued);
		mutex_init(&dc->stop_lock);
		INIT_WORK(&dc->recover_work, zcdev_dma_recover);
		INIT_DELAYED_WORK(&dc->issue_work, zcdev_dma_issue_late);
		strscpy(dc->stats.name, dma_chan_name(dc->chan),
			sizeof(dc->stats.name));
		pr_info("DMA channel %s (%s)\n", dma_chan_name(dc->chan),
			dev_name(dc->chan->device->dev));
	}
	zcdev_dma.chans = chans;
	/* Publishes the initialised channels to lockless readers. */
	smp_store_release(&zcdev_dma.nr_chans, n);
	return 0;
}

/*
 * Look for channels again if there are none yet, so an engine loaded after
 * zcdev is found by the next ioctl, before buffers are mapped for the
 * stand-in device. Returns how many channels there are.
 */
static unsigned int zcdev_dma_refresh(void)
{
	/* Pairs with the release in zcdev_dma_acquire(). */
	unsigned int n = smp_load_acquire(&zcdev_dma.nr_chans);

	if (n)
		return n;
	mutex_lock(&zcdev_dma.lock);
	zcdev_dma_acquire();
	n = zcdev_dma.nr_chans;
	mutex_unlock(&zcdev_dma.lock);
	return n;
}

/* The device new buffers are allocated and mapped for. */
struct device *zcdev_dma_device(void)
{
	if (zcdev_dma_refresh())
		return zcdev_dma.chans[0].chan->device->dev;
	return &zcdev_dma.pdev->dev;
}

bool zcdev_dma_available(void)
{
	return zcdev_dma_refresh();
}

/* The file's channel: the one with the fewest files, chosen once. */
static struct zcdev_dma_chan *zcdev_dma_bind(struct zcdev_file *zf)
{
	struct zcdev_dma_chan *dc = READ_ONCE(zf->dma_chan), *best;
	unsigned int i;

	if (dc)
		return dc;
	mutex_lock(&zcdev_dma.lock);
	dc = zf->dma_chan;
	if (!dc) {
		best = &zcdev_dma.chans[0];
		for (i = 1; i < zcdev_dma.nr_chans; i++)
			if (zcdev_dma.chans[i].files < best->files)
				best = &zcdev_dma.chans[i];
		best->files++;
		dc = best;
		WRITE_ONCE(zf->dma_chan, dc);
	}
	mutex_unlock(&zcdev_dma.lock);
	return dc;
}

/* End a transfer with its final status. Called with dc->lock held. */
static void zcdev_dma_end(struct zcdev_dma_chan *dc, struct zcdev_xfer *x,
			  u32 status, int error)
{
	ktime_t now = ktime_get();
	u64 lat = ktime_to_ns(ktime_sub(now, x->t_submit));
	struct zcdev_dma_chan_stats *st = &dc->stats;

	x->state = ZCDEV_XFER_ENDED;
	WRITE_ONCE(x->end_seq, atomic64_inc_return(&zcdev_dma.end_seq));
	x->status = status;
	x->error = error;
	x->engine_ns = x->t_start ? ktime_to_ns(ktime_sub(now, x->t_start)) :
		       0;
	trace_zcdev_dma_end(x->id, status, error, x->bytes_done, lat);

	st->transfers++;
	st->bytes += x->bytes_done;
	st->errors += status == ZCDEV_DMA_ERROR;
	st->timeouts += status == ZCDEV_DMA_TIMEDOUT;
	st->cancels += status == ZCDEV_DMA_CANCELLED;
	if (!st->lat_min_ns || lat < st->lat_min_ns)
		st->lat_min_ns = lat;
	st->lat_max_ns = max(st->lat_max_ns, lat);
	dc->lat_sum_ns += lat;

	queue_work(zcdev_wq, &x->cleanup_work);
}

/* Take the next file's oldest transfer. Called with dc->lock held. */
static struct zcdev_xfer *zcdev_dma_next(struct zcdev_dma_chan *dc)
{
	struct zcdev_file *zf;
	struct zcdev_xfer *x;

	zf = list_first_entry_or_null(&dc->turns, struct zcdev_file, dma_turn);
	if (!zf)
		return NULL;
	x = list_first_entry(&zf->dma_queue, struct zcdev_xfer, queue_node);
	list_del(&x->queue_node);
	dc->queued--;
	/* Its turn is used: to the back of the line, or off it. */
	list_del_init(&zf->dma_turn);
	if (!list_empty(&zf->dma_queue))
		list_add_tail(&zf->dma_turn, &dc->turns);
	return x;
}

/*
 * Prepare and submit @x's descriptors (not yet issued). Any context: it is
 * called from completion callbacks too. On failure some descriptors may be
 * submitted already, so the caller must stop the channel.
 */
static noinline int zcdev_dma_prep(struct zcdev_dma_chan *dc,
				   struct zcdev_xfer *x)
{
	unsigned int i;

	if (zcdev_should_fail())
		return -ENOMEM;
	for (i = 0; i < x->nr_runs; i++) {
		unsigned long flags = DMA_CTRL_ACK;
		struct dma_async_tx_descriptor *tx;

		if (i == x->nr_runs - 1)
			flags |= DMA_PREP_INTERRUPT;
		tx = dmaengine_prep_dma_memcpy(dc->chan, x->runs[i].dst,
					       x->runs[i].src, x->runs[i].len,
					       flags);
		if (!tx)
			return -ENOMEM;
		/*
		 * Every descriptor calls back, so an error anywhere is seen;
		 * the outcome is read from the engine (tx_status), not from
		 * callback_result: a provider that recycles descriptors
		 * among its clients without clearing callback_result (6.1's
		 * pl330) would hand ours to a client that set only callback.
		 */
		tx->callback = zcdev_dma_callback;
		tx->callback_result = NULL;
		tx->callback_param = x;
		x->runs[i].cookie = dmaengine_submit(tx);
		if (dma_submit_error(x->runs[i].cookie))
			return -EIO;
		x->nr_submitted = i + 1;
	}
	return 0;
}

/* fail_function may make it fail too (see fault.c for why tests do not). */
ALLOW_ERROR_INJECTION(zcdev_dma_prep, ERRNO);

/* Hand the submitted descriptors to the engine, now or after the delay. */
static void zcdev_dma_issue(struct zcdev_dma_chan *dc)
{
	unsigned int delay_us = zcdev_issue_delay_us();

	if (!delay_us)
		dma_async_issue_pending(dc->chan);
	else
		/* Not zcdev_wq: unload drains that before the channels go. */
		mod_delayed_work(system_wq, &dc->issue_work,
				 usecs_to_jiffies(delay_us));
}

static void zcdev_dma_issue_late(struct work_struct *work)
{
	struct zcdev_dma_chan *dc = container_of(to_delayed_work(work),
						 struct zcdev_dma_chan,
						 issue_work);
	bool issue;

	spin_lock_irq(&dc->lock);
	/* One being stopped is taken back from the submitted queue. */
	issue = dc->running && dc->running->state == ZCDEV_XFER_RUNNING;
	spin_unlock_irq(&dc->lock);
	if (issue)
		dma_async_issue_pending(dc->chan);
}

/*
 * Put the next waiting transfer on an idle engine. Any context. A transfer
 * whose descriptors cannot all be prepared fails (ERROR) once the channel
 * is stopped; with @fail_first, the first one it starts is instead handed
 * back to the caller (-errno), so a submission on an idle channel fails
 * the ioctl rather than a transfer the caller was told about.
 */
static int zcdev_dma_start(struct zcdev_dma_chan *dc, struct zcdev_xfer *first)
{
	struct zcdev_xfer *x;
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&dc->lock, flags);
	if (dc->running) {
		spin_unlock_irqrestore(&dc->lock, flags);
		return 0;
	}
	x = zcdev_dma_next(dc);
	if (!x) {
		spin_unlock_irqrestore(&dc->lock, flags);
		return 0;
	}
	dc->running = x;
	x->state = ZCDEV_XFER_ISSUING;
	x->t_start = ktime_get();
	spin_unlock_irqrestore(&dc->lock, flags);

	/* Submitted descriptors wait for issue_pending: no callback yet. */
	ret = zcdev_dma_prep(dc, x);

	spin_lock_irqsave(&dc->lock, flags);
	if (!ret) {
		x->state = ZCDEV_XFER_RUNNING;
	} else {
		x->failed = true;
		x->state = ZCDEV_XFER_RUNNING;
		x->error = ret;
	}
	wake_up_all(&dc->issued);
	spin_unlock_irqrestore(&dc->lock, flags);
	if (!ret) {
		zcdev_dma_issue(dc);
		return 0;
	}
	/* Drop what was submitted, in process context. */
	zcdev_refuse("dma_submit", ret, "descriptor_prep", x->id);
	queue_work(zcdev_wq, &dc->recover_work);
	return x == first ? ret : 0;
}

static void zcdev_dma_callback(void *param)
{
	struct zcdev_xfer *x = param;
	struct zcdev_dma_chan *dc = x->zf->dma_chan;
	struct dma_tx_state state = {};
	unsigned long flags;
	bool next = false;
	size_t len;

	spin_lock_irqsave(&dc->lock, flags);
	if (WARN_ON_ONCE(dc->running != x) ||
	    WARN_ON_ONCE(x->runs_done >= x->nr_runs))
		goto out;
	len = x->runs[x->runs_done].len;
	if (dmaengine_tx_status(dc->chan, x->runs[x->runs_done].cookie,
				&state) == DMA_ERROR) {
		x->failed = true;
		x->bytes_done += len - min_t(size_t, len, state.residue);
	} else {
		x->bytes_done += len;
	}
	x->runs_done++;
	/* Being stopped: the stopper ends it once the engine is quiet. */
	if (x->state != ZCDEV_XFER_RUNNING)
		goto out;
	if (x->runs_done == x->nr_runs && !x->failed) {
		dc->running = NULL;
		zcdev_dma_end(dc, x, ZCDEV_DMA_DONE, 0);
		next = true;
	} else if (x->failed) {
		/* Later descriptors would run on wrong data: stop them. */
		queue_work(zcdev_wq, &dc->recover_work);
	}
out:
	spin_unlock_irqrestore(&dc->lock, flags);
	if (next)
		zcdev_dma_start(dc, NULL);
}

/*
 * Bytes of @x that completed, from the engine's own view: descriptors in
 * cookie order until the first one not complete, plus what that one moved
 * (its residue). Called before a stop, whose terminate_all may make a
 * provider report dropped descriptors as complete.
 */
static u64 zcdev_dma_progress(struct zcdev_dma_chan *dc, struct zcdev_xfer *x)
{
	struct dma_tx_state state;
	u64 bytes = 0;
	unsigned int i;

	for (i = 0; i < x->nr_submitted; i++) {
		enum dma_status st = dmaengine_tx_status(dc->chan,
							 x->runs[i].cookie,
							 &state);

		if (st == DMA_COMPLETE) {
			bytes += x->runs[i].len;
			continue;
		}
		/*
		 * A residue of 0 in progress is a contradiction some
		 * providers report for descriptors not issued yet (6.1's
		 * pl330): believe only a residue that shows partial work.
		 */
		if (st == DMA_IN_PROGRESS && state.residue &&
		    state.residue < x->runs[i].len)
			bytes += x->runs[i].len - state.residue;
		break;
	}
	return bytes;
}

/*
 * Stop @chan and return once none of its callbacks runs or will run. A
 * provider without device_synchronize (6.1's pl330) may be calling one
 * back from its tasklet right now, after dropping the lock terminate_all
 * takes; softirq context is an RCU read-side section (also on PREEMPT_RT,
 * whose local_bh_disable() takes rcu_read_lock()), so a grace period waits
 * it out. Without that, a callback could land on the next transfer. An
 * expedited one: a cancel or a passed deadline must return promptly, and
 * a normal grace period took over 100 ms on the emulated ARM board.
 */
static void zcdev_dma_terminate(struct dma_chan *chan)
{
	dmaengine_terminate_sync(chan);
	if (!chan->device->device_synchronize)
		synchronize_rcu_expedited();
}

/*
 * Stop the channel under the transfer @pick chooses among the running one
 * and end it with @status, unless it completed meanwhile. Process context.
 * Returns whether a transfer was stopped.
 */
static bool zcdev_dma_stop_running(struct zcdev_dma_chan *dc,
				   bool (*pick)(const struct zcdev_xfer *x,
						const void *key),
				   const void *key, u32 status, int error)
{
	struct zcdev_xfer *x;
	bool stopped = false;
	u64 seen;

	mutex_lock(&dc->stop_lock);
	spin_lock_irq(&dc->lock);
	/* Its descriptors must all be submitted before the channel stops. */
	wait_event_lock_irq(dc->issued, !dc->running ||
			    dc->running->state != ZCDEV_XFER_ISSUING, dc->lock);
	x = dc->running;
	if (!x || x->state != ZCDEV_XFER_RUNNING || !pick(x, key)) {
		spin_unlock_irq(&dc->lock);
		mutex_unlock(&dc->stop_lock);
		return false;
	}
	x->state = ZCDEV_XFER_STOPPING;
	spin_unlock_irq(&dc->lock);

	seen = zcdev_dma_progress(dc, x);
	zcdev_dma_terminate(dc->chan);

	spin_lock_irq(&dc->lock);
	dc->running = NULL;
	x->bytes_done = max(x->bytes_done, seen);
	if (x->failed)
		zcdev_dma_end(dc, x, ZCDEV_DMA_ERROR, x->error ?: -EIO);
	else if (x->runs_done == x->nr_runs || x->bytes_done == x->total)
		/* It finished before the stop took hold, called back or not. */
		zcdev_dma_end(dc, x, ZCDEV_DMA_DONE, 0);
	else
		stopped = true;
	if (stopped)
		zcdev_dma_end(dc, x, status, error);
	spin_unlock_irq(&dc->lock);
	mutex_unlock(&dc->stop_lock);

	zcdev_dma_start(dc, NULL);
	return stopped;
}

static bool zcdev_dma_pick_failed(const struct zcdev_xfer *x, const void *key)
{
	return x->failed;
}

static void zcdev_dma_recover(struct work_struct *work)
{
	struct zcdev_dma_chan *dc = container_of(work, struct zcdev_dma_chan,
						 recover_work);

	zcdev_dma_stop_running(dc, zcdev_dma_pick_failed, NULL,
			       ZCDEV_DMA_ERROR, -EIO);
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
	INIT_LIST_HEAD(&zf->dma_queue);
	INIT_LIST_HEAD(&zf->dma_turn);
	zf->next_xfer_id = 1;
}

/* Queue @x behind its file's other transfers. */
static void zcdev_dma_enqueue(struct zcdev_dma_chan *dc, struct zcdev_xfer *x)
{
	struct zcdev_file *zf = x->zf;

	spin_lock_irq(&dc->lock);
	x->state = ZCDEV_XFER_QUEUED;
	list_add_tail(&x->queue_node, &zf->dma_queue);
	dc->queued++;
	if (list_empty(&zf->dma_turn))
		list_add_tail(&zf->dma_turn, &dc->turns);
	spin_unlock_irq(&dc->lock);
}

/*
 * An engine that copies only aligned addresses and lengths says so in
 * copy_align (zcdma and the PL330 take any): a descriptor it cannot do is
 * refused here, with the first offending run, rather than handed to the
 * engine to corrupt or fail.
 */
static int zcdev_dma_check_align(struct zcdev_dma_chan *dc,
				 const struct zcdev_xfer *x)
{
	struct dma_device *dev = dc->chan->device;
	unsigned int i;

	for (i = 0; i < x->nr_runs; i++)
		if (!is_dma_copy_aligned(dev, x->runs[i].src, x->runs[i].dst,
					 x->runs[i].len))
			return zcdev_refuse("dma_submit", -EINVAL,
					    "engine_copy_align", i);
	return 0;
}

int zcdev_dma_submit(struct zcdev_file *zf, struct zcdev_dma_submit *arg,
		     struct zcdev_dma_seg_desc *segs)
{
	struct zcdev_dma_chan *dc;
	struct zcdev_xfer *x;
	int ret;

	if (!zcdev_dma_available())
		return zcdev_refuse("dma_submit", -ENODEV, "no_channel", 0);
	dc = zcdev_dma_bind(zf);

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
	if (!ret)
		ret = zcdev_dma_check_align(dc, x);
	if (ret)
		goto err_unbuild;
	zcdev_dma_sync_bufs(x, false);

	x->t_submit = ktime_get();
	spin_lock(&zf->xfer_lock);
	x->id = zf->next_xfer_id++;
	spin_unlock(&zf->xfer_lock);
	trace_zcdev_dma_submit(x->id, arg->nr_segs, x->nr_runs, x->total);

	zcdev_dma_enqueue(dc, x);
	ret = zcdev_dma_start(dc, x);
	if (ret) {
		/*
		 * The recovery ends @x; the caller hears of the failure. Not
		 * on the file's list, so no one else can reap it meanwhile.
		 */
		wait_event(zf->wq, READ_ONCE(x->finished));
		zcdev_xfer_free(x);
		goto err_depth;
	}
	/* From here on it can be waited for, cancelled and reaped. */
	spin_lock(&zf->xfer_lock);
	list_add_tail(&x->file_node, &zf->xfers);
	spin_unlock(&zf->xfer_lock);
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

/* End the waiting transfers @key picks. Called with dc->lock held. */
static unsigned int zcdev_dma_dequeue(struct zcdev_dma_chan *dc,
				      struct zcdev_file *zf,
				      const struct zcdev_dma_key *key,
				      u32 status, int error)
{
	struct zcdev_xfer *x, *tmp;
	unsigned int n = 0;

	list_for_each_entry_safe(x, tmp, &zf->dma_queue, queue_node) {
		if (!zcdev_dma_match_key(x, key))
			continue;
		list_del(&x->queue_node);
		dc->queued--;
		zcdev_dma_end(dc, x, status, error);
		n++;
	}
	if (list_empty(&zf->dma_queue))
		list_del_init(&zf->dma_turn);
	return n;
}

/*
 * End this file's unfinished transfer @id (or all of them) with @status:
 * waiting ones off the queue, without touching the engine; the running one
 * by stopping its channel. Transfers already ended are left alone.
 * -ENOENT for an unknown id.
 */
static int zcdev_dma_stop(const char *op, struct zcdev_file *zf, u64 id,
			  bool all, u32 status, int error, u32 *stopped)
{
	struct zcdev_dma_key key = { .zf = zf, .id = id, .all = all };
	struct zcdev_dma_chan *dc;
	unsigned int n;
	bool known;

	spin_lock(&zf->xfer_lock);
	known = all || zcdev_dma_find(zf, id);
	dc = zf->dma_chan;
	spin_unlock(&zf->xfer_lock);
	if (!known)
		return zcdev_refuse(op, -ENOENT, "no_transfer", id);

	n = 0;
	if (dc) {
		spin_lock_irq(&dc->lock);
		n = zcdev_dma_dequeue(dc, zf, &key, status, error);
		spin_unlock_irq(&dc->lock);
		n += zcdev_dma_stop_running(dc, zcdev_dma_match_key, &key,
					    status, error);
	}
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

/* On close: stop what is unfinished, wait for every cleanup, forget all. */
void zcdev_dma_file_release(struct zcdev_file *zf)
{
	struct zcdev_xfer *x, *tmp;

	if (!list_empty(&zf->xfers))
		zcdev_dma_stop("close", zf, 0, true, ZCDEV_DMA_CANCELLED,
			       -ECANCELED, NULL);
	list_for_each_entry_safe(x, tmp, &zf->xfers, file_node) {
		flush_work(&x->cleanup_work);
		list_del(&x->file_node);
		zcdev_xfer_free(x);
	}
	zf->nr_xfers = 0;
	if (zf->dma_chan) {
		mutex_lock(&zcdev_dma.lock);
		zf->dma_chan->files--;
		mutex_unlock(&zcdev_dma.lock);
	}
}

__poll_t zcdev_dma_poll(struct zcdev_file *zf)
{
	bool ready;

	spin_lock(&zf->xfer_lock);
	ready = zcdev_dma_find_finished(zf);
	spin_unlock(&zf->xfer_lock);
	return ready ? EPOLLIN | EPOLLRDNORM : 0;
}

/* One channel's counters into @out and the module-wide sums in @arg. */
static void zcdev_dma_sum_chan(struct zcdev_dma_chan *dc,
			       struct zcdev_dma_chan_stats *out,
			       struct zcdev_dma_stats *arg, u64 *lat_sum)
{
	spin_lock_irq(&dc->lock);
	*out = dc->stats;
	out->running = !!dc->running;
	out->queued = dc->queued;
	out->lat_avg_ns = out->transfers ?
			  div64_u64(dc->lat_sum_ns, out->transfers) : 0;
	*lat_sum += dc->lat_sum_ns;
	spin_unlock_irq(&dc->lock);
	out->files = READ_ONCE(dc->files);

	arg->transfers += out->transfers;
	arg->bytes += out->bytes;
	arg->errors += out->errors;
	arg->timeouts += out->timeouts;
	arg->cancels += out->cancels;
	arg->in_flight += out->running + out->queued;
	if (out->lat_min_ns && (!arg->lat_min_ns ||
				out->lat_min_ns < arg->lat_min_ns))
		arg->lat_min_ns = out->lat_min_ns;
	arg->lat_max_ns = max(arg->lat_max_ns, out->lat_max_ns);
}

/* Module-wide counters in @arg; the first @max channels' in @chans. */
int zcdev_dma_stats(struct zcdev_dma_stats *arg,
		    struct zcdev_dma_chan_stats *chans, unsigned int max)
{
	struct zcdev_dma_chan_stats one;
	unsigned int n = zcdev_dma_refresh(), i;
	u64 lat_sum = 0;

	if (!n)
		return zcdev_refuse("dma_stats", -ENODEV, "no_channel", 0);
	arg->transfers = 0;
	arg->bytes = 0;
	arg->errors = 0;
	arg->timeouts = 0;
	arg->cancels = 0;
	arg->in_flight = 0;
	arg->lat_min_ns = 0;
	arg->lat_max_ns = 0;
	for (i = 0; i < n; i++)
		zcdev_dma_sum_chan(&zcdev_dma.chans[i],
				   i < max ? &chans[i] : &one, arg, &lat_sum);
	arg->lat_avg_ns = arg->transfers ? div64_u64(lat_sum, arg->transfers) :
			  0;
	arg->nr_channels = n;
	strscpy(arg->channel, zcdev_dma.chans[0].stats.name,
		sizeof(arg->channel));
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

	mutex_init(&zcdev_dma.lock);
	atomic64_set(&zcdev_dma.end_seq, 0);

	pdev = platform_device_register_full(&pdevinfo);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);
	ret = dma_coerce_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		goto err_pdev;
	/* Let PAGES buffers merge physically contiguous pages. */
	ret = zcdev_dma_set_max_seg_size(&pdev->dev, UINT_MAX);
	if (ret)
		goto err_pdev;
	zcdev_dma.pdev = pdev;

	/* No channel yet is fine: the first DMA ioctl tries again. */
	zcdev_dma_refresh();
	return 0;

err_pdev:
	platform_device_unregister(pdev);
	return ret;
}

/* Every file is closed and zcdev_wq drained: no transfer is left. */
void zcdev_dma_exit(void)
{
	unsigned int i;

	for (i = 0; i < zcdev_dma.nr_chans; i++) {
		cancel_delayed_work_sync(&zcdev_dma.chans[i].issue_work);
		dma_release_channel(zcdev_dma.chans[i].chan);
	}
	kfree(zcdev_dma.chans);
	platform_device_unregister(zcdev_dma.pdev);
}
