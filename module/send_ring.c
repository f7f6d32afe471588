// SPDX-License-Identifier: GPL-2.0
/*
 * The send completion ring: completions in memory the sender maps, so it
 * reaps with loads and a store instead of a system call per batch.
 *
 * One page of indices, then the slots, all from vmalloc_user() (zeroed,
 * mappable). The kernel is the only producer: it keeps its own copy of the
 * tail and publishes it with a release store after writing the slot. The
 * head belongs to userspace and is never trusted: a head that claims more
 * than the ring holds reads as a full ring, whose completions then wait on
 * the file's list for SEND_REAP instead, so a broken consumer loses nothing
 * and corrupts nothing but its own view.
 *
 * Ring memory lives until the file is released; a mapping holds the file,
 * so no mapping outlives it, and completions after release are dropped
 * before they get here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include <linux/zcdev.h>
#include "compat.h"
#include "zcdev.h"

/* Indices on their own cache lines: the two sides write one each. */
#define ZCDEV_RING_HEAD_OFF	0
#define ZCDEV_RING_TAIL_OFF	64
#define ZCDEV_RING_SLOTS_OFF	128

/**
 * struct zcdev_send_ring_k - the kernel's side of a file's completion ring
 * @mem: vmalloc_user() memory: indices, then @mask + 1 slots
 * @bytes: size of @mem, whole pages
 * @head: userspace's consumer index, in @mem (untrusted)
 * @tail: the producer index userspace reads, in @mem
 * @slots: the completions, in @mem
 * @mask: slots - 1 (a power of two less one)
 * @k_tail: the producer index; only the kernel writes it (send_lock)
 */
struct zcdev_send_ring_k {
	void *mem;
	size_t bytes;
	u32 *head;
	u32 *tail;
	struct zcdev_send_completion *slots;
	u32 mask;
	u32 k_tail;
};

static struct zcdev_send_ring_k *zcdev_send_ring_new(u32 entries)
{
	struct zcdev_send_ring_k *ring = kzalloc(sizeof(*ring), GFP_KERNEL);

	if (!ring)
		return NULL;
	ring->bytes = PAGE_ALIGN(ZCDEV_RING_SLOTS_OFF +
				 (size_t)entries * sizeof(*ring->slots));
	ring->mem = vmalloc_user(ring->bytes);
	if (!ring->mem) {
		kfree(ring);
		return NULL;
	}
	ring->head = ring->mem + ZCDEV_RING_HEAD_OFF;
	ring->tail = ring->mem + ZCDEV_RING_TAIL_OFF;
	ring->slots = ring->mem + ZCDEV_RING_SLOTS_OFF;
	ring->mask = entries - 1;
	return ring;
}

void zcdev_send_ring_free(struct zcdev_send_ring_k *ring)
{
	if (!ring)
		return;
	vfree(ring->mem);
	kfree(ring);
}

u32 zcdev_send_ring_entries(const struct zcdev_send_ring_k *ring)
{
	return ring->mask + 1;
}

/* Slots holding completions userspace has not consumed; send_lock held. */
u32 zcdev_send_ring_used(const struct zcdev_send_ring_k *ring)
{
	/* Acquire: our next slot write must follow its reads of the slots. */
	u32 used = ring->k_tail - smp_load_acquire(ring->head);

	return min(used, ring->mask + 1);
}

/*
 * Completions a consumer at userspace's head can take; send_lock held.
 * Unlike zcdev_send_ring_used(), a head that is not honest gives none:
 * waiters and poll() then go by the file's list, where the completions a
 * "full" ring turns away wait, instead of waking for slots SEND_REAP
 * cannot deliver.
 */
bool zcdev_send_ring_ready(const struct zcdev_send_ring_k *ring)
{
	/* Acquire: pairs with the consumer's release of its head. */
	u32 avail = ring->k_tail - smp_load_acquire(ring->head);

	return avail && avail <= ring->mask + 1;
}

/* Publish @c; false if the ring is full. send_lock held, any context. */
bool zcdev_send_ring_push(struct zcdev_send_ring_k *ring,
			  const struct zcdev_send_completion *c)
{
	if (zcdev_send_ring_used(ring) > ring->mask)
		return false;
	ring->slots[ring->k_tail & ring->mask] = *c;
	ring->k_tail++;
	/* Release: the slot is written before userspace sees the index. */
	smp_store_release(ring->tail, ring->k_tail);
	return true;
}

/*
 * Copy up to @max unconsumed completions from @head on (userspace's head
 * as read by the caller) without consuming them; send_lock held.
 */
unsigned int zcdev_send_ring_peek(const struct zcdev_send_ring_k *ring,
				  u32 head, struct zcdev_send_completion *out,
				  unsigned int max)
{
	u32 used = ring->k_tail - head;
	unsigned int n;

	if (used > ring->mask + 1)
		return 0;
	for (n = 0; n < max && n < used; n++)
		out[n] = ring->slots[(head + n) & ring->mask];
	return n;
}

u32 zcdev_send_ring_head(const struct zcdev_send_ring_k *ring)
{
	/* Acquire: pairs with the consumer's release of its head. */
	return smp_load_acquire(ring->head);
}

/* SEND_REAP consumed completions for userspace: move its head on. */
void zcdev_send_ring_consume(struct zcdev_send_ring_k *ring, u32 head)
{
	/* Release: our reads of the slots precede their reuse. */
	smp_store_release(ring->head, head);
}

int zcdev_send_ring_setup(struct zcdev_file *zf, struct zcdev_send_ring *arg)
{
	struct zcdev_send_ring_k *ring;
	int ret;

	if (!arg->entries || arg->entries > ZCDEV_SEND_RING_MAX ||
	    !is_power_of_2(arg->entries))
		return zcdev_refuse("send_ring", -EINVAL, "entries",
				    arg->entries);
	ring = zcdev_send_ring_new(arg->entries);
	if (!ring)
		return -ENOMEM;
	ret = zcdev_sock_attach_ring(zf, ring);
	if (ret) {
		zcdev_send_ring_free(ring);
		return ret;
	}
	arg->entry_size = sizeof(*ring->slots);
	arg->head_offset = ZCDEV_RING_HEAD_OFF;
	arg->tail_offset = ZCDEV_RING_TAIL_OFF;
	arg->entries_offset = ZCDEV_RING_SLOTS_OFF;
	arg->mmap_bytes = ring->bytes;
	return 0;
}

/* mmap at ZCDEV_SEND_RING_OFFSET; the file holds the ring (see above). */
int zcdev_send_ring_mmap(struct zcdev_file *zf, struct vm_area_struct *vma)
{
	struct zcdev_send_ring_k *ring = zcdev_sock_ring(zf);
	int ret;

	if (!ring)
		return zcdev_refuse("mmap", -ENXIO, "no_send_ring", 0);
	if (vma_pages(vma) > ring->bytes >> PAGE_SHIFT)
		return zcdev_refuse("mmap", -ENXIO, "bad_range",
				    vma_pages(vma));
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	ret = remap_vmalloc_range(vma, ring->mem, 0);
	if (ret)
		return zcdev_refuse("mmap", ret, "map_failed", 0);
	return 0;
}
