// SPDX-License-Identifier: GPL-2.0
/*
 * Zero-copy send of buffer pages, and its completions.
 *
 * The mechanism is io_uring's send_zc on 6.1: sock_sendmsg() with
 * MSG_ZEROCOPY, an ITER_BVEC over the buffer's pages, and our own ubuf_info
 * in msg_ubuf. The stack takes a ubuf reference per skb that holds our
 * pages and calls back on every drop, in any context; the last drop is the
 * completion. A copy at the receiver (loopback, veth: skb_copy_ubufs) is
 * reported by some drop and must be remembered across all of them; a send
 * where no skb completed zero-copy at all was copied too; and a device
 * without scatter-gather or checksum offload makes skb_segment() copy
 * silently, so the route is checked as well.
 *
 * Each send holds the buffer (so its pages outlive ZCDEV_IOC_FREE, munmap
 * and close) and the module (so rmmod is refused) until its completion.
 *
 * Completed sends wait on the file's list for SEND_REAP or, once the file
 * has a completion ring (send_ring.c), go straight into it; the list then
 * only takes what a full ring cannot.
 *
 * A ZCDEV_SEND_COALESCE send that continues the file's latest send hands
 * the stack that send's ubuf_info again instead of a new one. Besides the
 * allocation and the completion it saves, TCP appends to the tail skb only
 * when the ubuf is the one that skb already carries (skb_zerocopy_iter_
 * stream), so small sends share skbs as MSG_ZEROCOPY's do.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bvec.h>
#include <linux/error-injection.h>
#include <linux/file.h>
#include <linux/in.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <linux/sock_diag.h>
#include <net/dst.h>
#include <net/sock.h>

#include <linux/zcdev.h>
#include "compat.h"
#include "zcdev.h"
#include "zcdev_trace.h"

static unsigned int zcdev_send_queue_depth = 1024;
module_param_cb(send_queue_depth, &zcdev_queue_depth_ops,
		&zcdev_send_queue_depth, 0444);
MODULE_PARM_DESC(send_queue_depth, "Sends one file may have in flight or unreaped, 1..65536 (default 1024)");

/**
 * struct zcdev_send_ctx - one send, from the ioctl to its reaped completion
 * @ubuf: handed to the stack in msg_ubuf; its refcount ends the send
 * @node: on the file's sends_done once completed (file's send_lock)
 * @zf: owning file (referenced)
 * @buf: the buffer whose pages are in flight (referenced until completion)
 * @compl: the record userspace reaps; @compl.last_id, .bytes and
 *	.user_data grow as coalesced sends join (file's send_lock)
 * @sock_cookie: the socket's cookie, unique for the system's lifetime: a
 *	later socket at the same address must not join this completion
 * @end: buffer offset after the last byte the joined sends accepted
 * @joining: a coalesced send is in sock_sendmsg() with this ubuf; no
 *	other may join until it knows how many bytes it sent (send_lock)
 * @zc_used: some skb released our pages having sent them by reference
 * @zc_copied: some drop reported that the stack copied
 * @report: the send was accepted, so userspace expects a completion
 */
struct zcdev_send_ctx {
	struct ubuf_info ubuf;
	struct list_head node;
	struct zcdev_file *zf;
	struct zcdev_buf *buf;
	struct zcdev_send_completion compl;
	u64 sock_cookie;
	u64 end;
	bool joining;
	bool zc_used;
	bool zc_copied;
	bool report;
};

void zcdev_sock_file_init(struct zcdev_file *zf)
{
	spin_lock_init(&zf->send_lock);
	INIT_LIST_HEAD(&zf->sends_done);
	mutex_init(&zf->reap_lock);
	zf->next_send_id = 1;
	zf->send_tail = NULL;
	zf->send_ring = NULL;
}

static void zcdev_send_ctx_free(struct zcdev_send_ctx *ctx)
{
	zcdev_file_put(ctx->zf);
	kfree(ctx);
}

/* The stack let go of the last page. Any context, even hard-irq-off. */
static void zcdev_send_complete(struct zcdev_send_ctx *ctx)
{
	struct zcdev_buf *buf = ctx->buf;
	struct zcdev_file *zf = ctx->zf;
	unsigned long flags;
	bool keep;

	/* Module unload's synchronize_rcu() waits for us to return. */
	rcu_read_lock();
	if (READ_ONCE(ctx->zc_copied) || !READ_ONCE(ctx->zc_used))
		ctx->compl.flags |= ZCDEV_COMPL_COPIED;
	if (ctx->report)
		trace_zcdev_send_complete(ctx->compl.id, ctx->compl.last_id,
					  ctx->compl.bytes,
					  ctx->compl.flags & ZCDEV_COMPL_COPIED);

	/* Once on sends_done, @ctx (and the file reference it holds) belongs
	 * to the reaper: wake it before letting go of the lock.
	 */
	spin_lock_irqsave(&zf->send_lock, flags);
	if (zf->send_tail == ctx)
		zf->send_tail = NULL;
	zf->nr_sends_pending--;
	keep = ctx->report && !zf->released;
	if (keep && zf->send_ring &&
	    zcdev_send_ring_push(zf->send_ring, &ctx->compl)) {
		keep = false;
		wake_up_all(&zf->wq);
	} else if (keep) {
		list_add_tail(&ctx->node, &zf->sends_done);
		zf->nr_sends_done++;
		wake_up_all(&zf->wq);
	}
	spin_unlock_irqrestore(&zf->send_lock, flags);

	zcdev_buf_put(buf);
	if (!keep)
		zcdev_send_ctx_free(ctx);
	module_put(THIS_MODULE);
	rcu_read_unlock();
}

static void zcdev_send_callback(struct sk_buff *skb, struct ubuf_info *uarg,
				bool success)
{
	struct zcdev_send_ctx *ctx = container_of(uarg, struct zcdev_send_ctx,
						  ubuf);

	if (success && skb)
		WRITE_ONCE(ctx->zc_used, true);
	else if (!success)
		WRITE_ONCE(ctx->zc_copied, true);
	if (refcount_dec_and_test(&uarg->refcnt))
		zcdev_send_complete(ctx);
}

ZCDEV_DEFINE_UBUF_OPS(zcdev_ubuf_ops, zcdev_send_callback);

static int zcdev_send_check_sock(struct socket *sock)
{
	struct sock *sk = sock->sk;
	bool inet = sk->sk_family == AF_INET || sk->sk_family == AF_INET6;
	bool tcp = sk->sk_type == SOCK_STREAM && sk->sk_protocol == IPPROTO_TCP;
	bool udp = sk->sk_type == SOCK_DGRAM && sk->sk_protocol == IPPROTO_UDP;

	if (!inet || !(tcp || udp))
		return zcdev_refuse("send", -EPROTONOSUPPORT, "not_tcp_udp_inet",
				    sk->sk_family);
	return 0;
}

static int zcdev_send_check_buf(struct zcdev_buf *buf, u64 offset, u64 len)
{
	u64 end;

	/* A coherent block's tail pages have no refcount for the stack. */
	if (buf->kind == ZCDEV_BUF_COHERENT)
		return zcdev_refuse("send", -EOPNOTSUPP, "coherent_buffer",
				    buf->handle);
	/*
	 * An import's pages are its exporter's: it decides when they go
	 * (at the last dma-buf reference, however long a socket holds
	 * them), and sg_table pages are not the importer's to touch.
	 */
	if (buf->kind != ZCDEV_BUF_PAGES)
		return zcdev_refuse("send", -EOPNOTSUPP, "imported_buffer",
				    buf->handle);
	if (!len || check_add_overflow(offset, len, &end) || end > buf->len)
		return zcdev_refuse("send", -EINVAL, "bad_range", offset);
	return 0;
}

/*
 * The buffer's bytes [offset, offset + len) as a bvec array: one bvec per
 * stretch of pages inside one block (compound page), whose struct pages
 * are consecutive, so the iterator walks few entries.
 */
static struct bio_vec *zcdev_send_bvecs(struct zcdev_buf *buf, u64 offset,
					u64 len, unsigned int *nr)
{
	unsigned long first = offset >> PAGE_SHIFT;
	unsigned int n = (PAGE_ALIGN(offset + len) >> PAGE_SHIFT) - first;
	size_t in_page = offset_in_page(offset);
	struct page **pages = buf->pages + first;
	struct bio_vec *bv;
	unsigned int i, out = 0;

	bv = kvmalloc_array(n, sizeof(*bv), GFP_KERNEL);
	if (!bv)
		return NULL;
	for (i = 0; i < n; i++) {
		size_t chunk = min_t(u64, len, PAGE_SIZE - in_page);

		if (out && pages[i] == pages[i - 1] + 1 && PageTail(pages[i]))
			bv[out - 1].bv_len += chunk;
		else
			bvec_set_page(&bv[out++], pages[i], chunk, in_page);
		len -= chunk;
		in_page = 0;
	}
	*nr = out;
	return bv;
}

/*
 * Does the route's device make the stack copy without saying so? 6.1 lets
 * TCP build zero-copy skbs for any device (software GSO adds SG to the
 * socket's route caps), and skb_segment() then copies the frags into
 * linear skbs for a device without scatter-gather or checksum offload,
 * never reporting it through the ubuf callback.
 */
static bool zcdev_route_copies(struct sock *sk)
{
	struct dst_entry *dst = sk_dst_get(sk);
	netdev_features_t f;

	if (!dst)
		return false;
	f = dst->dev->features;
	dst_release(dst);
	return !(f & NETIF_F_SG) || !(f & NETIF_F_CSUM_MASK);
}

/*
 * Sends in flight plus completions not yet consumed stay within the queue
 * depth and, with a ring, within its slots: so the ring never overflows
 * for a consumer that keeps its head honest.
 */
static int zcdev_send_reserve(struct zcdev_file *zf)
{
	u32 limit = zcdev_send_queue_depth;
	u32 used;
	int ret = 0;

	spin_lock_irq(&zf->send_lock);
	used = zf->nr_sends_pending + zf->nr_sends_done;
	if (zf->send_ring) {
		limit = min(limit, zcdev_send_ring_entries(zf->send_ring));
		used += zcdev_send_ring_used(zf->send_ring);
	}
	if (used >= limit)
		ret = -EBUSY;
	else
		zf->nr_sends_pending++;
	spin_unlock_irq(&zf->send_lock);
	if (ret)
		return zcdev_refuse("send", ret, "send_queue_depth", limit);
	return 0;
}

static void zcdev_send_unreserve(struct zcdev_file *zf)
{
	spin_lock_irq(&zf->send_lock);
	zf->nr_sends_pending--;
	spin_unlock_irq(&zf->send_lock);
}

static noinline int zcdev_send_msg(struct socket *sock,
				   struct zcdev_send_ctx *ctx,
				   const struct zcdev_send *arg)
{
	struct msghdr msg = {};
	struct bio_vec *bv;
	unsigned int nr;
	int ret;

	if (zcdev_should_fail())
		return -ENOMEM;

	bv = zcdev_send_bvecs(ctx->buf, arg->offset, arg->len, &nr);
	if (!bv)
		return -ENOMEM;
	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, bv, nr, arg->len);

	/* As sendmsg(2) does for a non-blocking socket. */
	if (sock->file->f_flags & O_NONBLOCK)
		msg.msg_flags |= MSG_DONTWAIT;
	if (arg->flags & ZCDEV_SEND_DONTWAIT)
		msg.msg_flags |= MSG_DONTWAIT;
	if (arg->flags & ZCDEV_SEND_MORE)
		msg.msg_flags |= MSG_MORE;
	if (arg->flags & ZCDEV_SEND_NOSIGNAL)
		msg.msg_flags |= MSG_NOSIGNAL;
	/* kTLS and others cannot: they copy, and the completion says so. */
	if (test_bit(SOCK_SUPPORT_ZC, &sock->flags)) {
		msg.msg_flags |= MSG_ZEROCOPY;
		msg.msg_ubuf = &ctx->ubuf;
	}

	ret = sock_sendmsg(sock, &msg);
	kvfree(bv);
	if (ret > 0 && zcdev_route_copies(sock->sk))
		WRITE_ONCE(ctx->zc_copied, true);
	return ret;
}

/* fail_function may make it fail too (see fault.c for why tests do not). */
ALLOW_ERROR_INJECTION(zcdev_send_msg, ERRNO);

static u64 zcdev_sock_cookie(struct sock *sk)
{
	u32 cookie[2];

	sock_diag_save_cookie(sk, cookie);
	return cookie[0] | (u64)cookie[1] << 32;
}

/*
 * The file's latest send, referenced, if @arg may join its completion;
 * *@id is reserved right after its last id, so the range stays one.
 */
static struct zcdev_send_ctx *zcdev_send_join(struct zcdev_file *zf,
					      struct sock *sk, u64 cookie,
					      struct zcdev_buf *buf,
					      const struct zcdev_send *arg,
					      u64 *id)
{
	u64 limit = max(READ_ONCE(sk->sk_sndbuf), 0);
	struct zcdev_send_ctx *tail;

	spin_lock_irq(&zf->send_lock);
	tail = zf->send_tail;
	/* MSG_ZEROCOPY's limits too: a range ends within one send buffer. */
	if (!tail || tail->joining || tail->buf != buf ||
	    tail->sock_cookie != cookie || tail->end != arg->offset ||
	    tail->compl.last_id + 1 != zf->next_send_id ||
	    tail->compl.last_id - tail->compl.id + 1 >= ZCDEV_SEND_COALESCE_MAX ||
	    tail->compl.bytes + arg->len > limit ||
	    !refcount_inc_not_zero(&tail->ubuf.refcnt)) {
		tail = NULL;
	} else {
		tail->joining = true;
		*id = zf->next_send_id++;
		tail->compl.last_id = *id;
	}
	spin_unlock_irq(&zf->send_lock);
	return tail;
}

/* A joined send's outcome: @sent bytes, or -errno and nothing sent. */
static void zcdev_send_join_end(struct zcdev_file *zf,
				struct zcdev_send_ctx *ctx,
				const struct zcdev_send *arg, u64 id, int sent)
{
	spin_lock_irq(&zf->send_lock);
	if (sent >= 0) {
		ctx->compl.bytes += sent;
		ctx->compl.user_data = arg->user_data;
		ctx->end = arg->offset + sent;
	} else if (zf->next_send_id == id + 1) {
		/* Nobody saw the id: give it back. */
		zf->next_send_id--;
		ctx->compl.last_id--;
	}
	ctx->joining = false;
	spin_unlock_irq(&zf->send_lock);
}

/* A send that joins the completion of @ctx, the file's latest send. */
static int zcdev_send_joined(struct socket *sock, struct zcdev_send_ctx *ctx,
			     struct zcdev_send *arg, u64 id)
{
	int ret = zcdev_send_msg(sock, ctx, arg);

	zcdev_send_join_end(ctx->zf, ctx, arg, id, ret);
	if (ret >= 0) {
		arg->id = id;
		arg->bytes = ret;
		trace_zcdev_send(arg->id, arg->handle, arg->offset, ret);
		ret = 0;
	}
	zcdev_send_callback(NULL, &ctx->ubuf, true);
	return ret;
}

int zcdev_send(struct zcdev_file *zf, struct zcdev_send *arg)
{
	struct zcdev_send_ctx *ctx;
	struct zcdev_buf *buf;
	struct socket *sock;
	u64 cookie, id;
	int ret;

	sock = sockfd_lookup(arg->sock_fd, &ret);
	if (!sock)
		return zcdev_refuse("send", ret, "not_a_socket", arg->sock_fd);
	ret = zcdev_send_check_sock(sock);
	if (ret)
		goto out_sock;

	buf = zcdev_buf_get(zf, arg->handle);
	if (!buf) {
		ret = zcdev_refuse("send", -ENOENT, "no_handle", arg->handle);
		goto out_sock;
	}
	ret = zcdev_send_check_buf(buf, arg->offset, arg->len);
	if (ret)
		goto out_buf;

	cookie = zcdev_sock_cookie(sock->sk);
	if (arg->flags & ZCDEV_SEND_COALESCE) {
		ctx = zcdev_send_join(zf, sock->sk, cookie, buf, arg, &id);
		if (ctx) {
			/* @ctx holds the buffer for the stack. */
			ret = zcdev_send_joined(sock, ctx, arg, id);
			goto out_buf;
		}
	}

	ret = zcdev_send_reserve(zf);
	if (ret)
		goto out_buf;
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx) {
		zcdev_send_unreserve(zf);
		ret = -ENOMEM;
		goto out_buf;
	}
	zcdev_ubuf_init(&ctx->ubuf, &zcdev_ubuf_ops, zcdev_send_callback);
	refcount_set(&ctx->ubuf.refcnt, 1);
	ctx->ubuf.flags = SKBFL_ZEROCOPY_FRAG | SKBFL_DONT_ORPHAN;
	kref_get(&zf->ref);
	ctx->zf = zf;
	ctx->buf = buf;
	ctx->sock_cookie = cookie;
	__module_get(THIS_MODULE);

	ret = zcdev_send_msg(sock, ctx, arg);
	if (ret >= 0) {
		spin_lock_irq(&zf->send_lock);
		ctx->compl.id = zf->next_send_id++;
		ctx->compl.last_id = ctx->compl.id;
		ctx->compl.bytes = ret;
		ctx->compl.user_data = arg->user_data;
		ctx->end = arg->offset + ret;
		ctx->report = true;
		/* Joinable until completion clears it; our reference keeps
		 * it from completing before a send can see it.
		 */
		zf->send_tail = ctx;
		spin_unlock_irq(&zf->send_lock);
		arg->id = ctx->compl.id;
		arg->bytes = ret;
		trace_zcdev_send(arg->id, arg->handle, arg->offset, ret);
		ret = 0;
	}
	/* Drop our own reference: completes now unless the stack holds pages. */
	zcdev_send_callback(NULL, &ctx->ubuf, true);
	sockfd_put(sock);
	return ret;

out_buf:
	zcdev_buf_put(buf);
out_sock:
	sockfd_put(sock);
	return ret;
}

static bool zcdev_send_any_done(struct zcdev_file *zf)
{
	struct zcdev_send_ring_k *ring = zcdev_sock_ring(zf);

	bool any;

	if (READ_ONCE(zf->nr_sends_done))
		return true;
	if (!ring)
		return false;
	/* The ring goes only at release, when nobody polls or waits. */
	spin_lock_irq(&zf->send_lock);
	any = zcdev_send_ring_ready(ring);
	spin_unlock_irq(&zf->send_lock);
	return any;
}

/* zcdev_file_wait() predicate. */
static bool zcdev_send_wake(struct zcdev_file *zf, const void *unused)
{
	return zcdev_send_any_done(zf);
}

/*
 * Copy up to @max of the oldest completions, the list's and then the
 * ring's; they stay queued. Reap lock held: zcdev_send_reap_end() consumes
 * what was delivered from where it was peeked.
 */
static unsigned int zcdev_send_peek(struct zcdev_file *zf,
				    struct zcdev_send_completion *out,
				    unsigned int max)
{
	struct zcdev_send_ctx *ctx;
	unsigned int n = 0;

	spin_lock_irq(&zf->send_lock);
	list_for_each_entry(ctx, &zf->sends_done, node) {
		if (n == max)
			break;
		out[n++] = ctx->compl;
	}
	zf->reap_from_list = n;
	if (zf->send_ring) {
		zf->reap_ring_head = zcdev_send_ring_head(zf->send_ring);
		n += zcdev_send_ring_peek(zf->send_ring, zf->reap_ring_head,
					  out + n, max - n);
	}
	spin_unlock_irq(&zf->send_lock);
	return n;
}

/*
 * Wait until @deadline_ns for a first completion and copy up to @max of
 * the oldest into @out. On success the reap lock is held and the
 * completions are still queued: zcdev_send_reap_end() forgets the ones
 * userspace was given, so a bad pointer loses none.
 */
int zcdev_send_reap_begin(struct zcdev_file *zf, u64 deadline_ns,
			  struct zcdev_send_completion *out, unsigned int max,
			  u32 *nr, u64 *pending)
{
	long ret;

	for (;;) {
		ret = deadline_ns ? zcdev_file_wait(zf, zcdev_send_wake, NULL,
						    deadline_ns) : 0;
		if (ret < 0)
			return ret;
		if (mutex_lock_interruptible(&zf->reap_lock))
			return -ERESTARTSYS;
		*nr = zcdev_send_peek(zf, out, max);
		/* Another reaper may have taken what woke us: wait on. */
		if (*nr || !ret)
			break;
		mutex_unlock(&zf->reap_lock);
	}
	spin_lock_irq(&zf->send_lock);
	*pending = zf->nr_sends_pending;
	spin_unlock_irq(&zf->send_lock);
	return 0;
}

void zcdev_send_reap_end(struct zcdev_file *zf, unsigned int delivered)
{
	unsigned int from_list = min(delivered, zf->reap_from_list);
	struct zcdev_send_ctx *ctx, *tmp;
	LIST_HEAD(done);

	spin_lock_irq(&zf->send_lock);
	list_for_each_entry_safe(ctx, tmp, &zf->sends_done, node) {
		if (!from_list--)
			break;
		list_move_tail(&ctx->node, &done);
		zf->nr_sends_done--;
	}
	if (delivered > zf->reap_from_list)
		zcdev_send_ring_consume(zf->send_ring, zf->reap_ring_head +
					delivered - zf->reap_from_list);
	spin_unlock_irq(&zf->send_lock);
	mutex_unlock(&zf->reap_lock);

	list_for_each_entry_safe(ctx, tmp, &done, node)
		zcdev_send_ctx_free(ctx);
}

__poll_t zcdev_sock_poll(struct zcdev_file *zf)
{
	return zcdev_send_any_done(zf) ? EPOLLIN | EPOLLRDNORM : 0;
}

/*
 * On close: reaped or not, completed sends go; sends still in flight will
 * free themselves when the stack lets go (they hold the file and module).
 */
void zcdev_sock_file_release(struct zcdev_file *zf)
{
	struct zcdev_send_ring_k *ring;
	struct zcdev_send_ctx *ctx, *tmp;
	LIST_HEAD(done);

	spin_lock_irq(&zf->send_lock);
	zf->released = true;
	list_splice_init(&zf->sends_done, &done);
	zf->nr_sends_done = 0;
	ring = zf->send_ring;
	zf->send_ring = NULL;
	spin_unlock_irq(&zf->send_lock);

	list_for_each_entry_safe(ctx, tmp, &done, node)
		zcdev_send_ctx_free(ctx);
	/* No mapping is left: each one held the file. */
	zcdev_send_ring_free(ring);
}

struct zcdev_send_ring_k *zcdev_sock_ring(struct zcdev_file *zf)
{
	/* Acquire: pairs with the release in zcdev_sock_attach_ring(). */
	return smp_load_acquire(&zf->send_ring);
}

/*
 * Give @zf its completion ring (once): completions already waiting move
 * into it, later ones go there directly.
 */
int zcdev_sock_attach_ring(struct zcdev_file *zf,
			   struct zcdev_send_ring_k *ring)
{
	struct zcdev_send_ctx *ctx, *tmp;
	LIST_HEAD(done);
	int ret = 0;

	/* A reaper between peek and consume counts on the list as it is. */
	if (mutex_lock_interruptible(&zf->reap_lock))
		return -ERESTARTSYS;
	spin_lock_irq(&zf->send_lock);
	if (zf->send_ring) {
		ret = zcdev_refuse("send_ring", -EBUSY, "send_ring_exists", 0);
	} else if (zf->nr_sends_pending + zf->nr_sends_done >
		   zcdev_send_ring_entries(ring)) {
		ret = zcdev_refuse("send_ring", -EBUSY, "send_ring_small",
				   zf->nr_sends_pending + zf->nr_sends_done);
	} else {
		list_for_each_entry_safe(ctx, tmp, &zf->sends_done, node) {
			zcdev_send_ring_push(ring, &ctx->compl);
			list_move_tail(&ctx->node, &done);
			zf->nr_sends_done--;
		}
		/* Release: lockless readers see the ring's moved contents. */
		smp_store_release(&zf->send_ring, ring);
	}
	spin_unlock_irq(&zf->send_lock);
	mutex_unlock(&zf->reap_lock);

	list_for_each_entry_safe(ctx, tmp, &done, node)
		zcdev_send_ctx_free(ctx);
	return ret;
}
