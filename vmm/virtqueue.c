// SPDX-License-Identifier: GPL-2.0
/*
 * virtqueue: the split ring (virtio 1.2 §2.7) from the device side.
 * Everything the driver wrote is untrusted and may change under us while
 * we read it (another vCPU): each ring entry and descriptor is loaded once
 * into device memory and only that copy is checked and used.  Buffers are
 * kept as guest-physical ranges and translated piecewise when copied, so a
 * buffer may cross from one memory slot into the next, and memory that
 * went away since the pop is found, not dereferenced.
 */
#include <errno.h>
#include <string.h>

#include "memplug/vmm-virtio.h"

/* slots and boot RAM end on page boundaries: copy page by page */
#define VQ_CHUNK	4096ULL

#define LOAD(p)	__atomic_load_n(&(p), __ATOMIC_RELAXED)

int virtqueue__refresh(struct virtqueue *vq)
{
	uint16_t n = vq->size;

	if (!n || n > VQ_MAX_SIZE || (n & (n - 1)))
		return -EINVAL;
	/* the spec's alignments (virtio 1.2 §2.7): we access them as C types */
	if (vq->desc_gpa % 16 || vq->avail_gpa % 2 || vq->used_gpa % 4)
		return -EINVAL;
	vq->desc = vq->translate(vq->translate_ctx, vq->desc_gpa,
				 sizeof(struct vring_desc) * n);
	vq->avail = vq->translate(vq->translate_ctx, vq->avail_gpa,
				  sizeof(struct vring_avail) + 2 * n + 2);
	vq->used = vq->translate(vq->translate_ctx, vq->used_gpa,
				 sizeof(struct vring_used) +
				 sizeof(struct vring_used_elem) * n + 2);
	if (!vq->desc || !vq->avail || !vq->used)
		return -EFAULT;
	return 0;
}

int virtqueue__map(struct virtqueue *vq)
{
	int ret = virtqueue__refresh(vq);

	if (ret)
		return ret;
	vq->last_avail = 0;
	vq->used_idx = 0;
	return 0;
}

int virtqueue__pop(struct virtqueue *vq, struct vq_elem *e)
{
	uint16_t avail_idx, idx, flags;
	unsigned int n = 0;
	struct vq_buf *b;

	avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	if (avail_idx == vq->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size)
		return -EINVAL;
	e->head = LOAD(vq->avail->ring[vq->last_avail % vq->size]);
	vq->last_avail++;
	e->nr_out = e->nr_in = 0;
	e->out_len = e->in_len = 0;
	if (e->head >= vq->size)
		return -EINVAL;

	idx = e->head;
	for (;;) {
		const struct vring_desc *d = &vq->desc[idx];

		/* a chain visits each descriptor at most once */
		if (++n > vq->size)
			return -EINVAL;
		b = &e->buf[e->nr_out + e->nr_in];
		b->addr = LOAD(d->addr);
		b->len = LOAD(d->len);
		flags = LOAD(d->flags);
		idx = LOAD(d->next);
		/* no indirect descriptors: VIRTIO_RING_F_INDIRECT_DESC is not offered */
		if (flags & VRING_DESC_F_INDIRECT || b->addr + b->len < b->addr)
			return -EINVAL;
		if (flags & VRING_DESC_F_WRITE) {
			e->nr_in++;
			e->in_len += b->len;
		} else {
			/* readable buffers come before writable ones */
			if (e->nr_in)
				return -EINVAL;
			e->nr_out++;
			e->out_len += b->len;
		}
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		if (idx >= vq->size)
			return -EINVAL;
	}
	return 1;
}

void virtqueue__push(struct virtqueue *vq, const struct vq_elem *e,
		     uint32_t len)
{
	struct vring_used_elem *u = &vq->used->ring[vq->used_idx % vq->size];

	u->id = e->head;
	u->len = len;
	vq->used_idx++;
	/* the element before the index: the driver reads them in that order */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
}

bool virtqueue__needs_signal(struct virtqueue *vq)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !(LOAD(vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
}

/* Copy between @bufs and @p, @len bytes at most; bytes copied or -EFAULT. */
static long copy_bufs(struct virtqueue *vq, const struct vq_buf *bufs, int nr,
		      uint8_t *p, size_t len, bool to_guest)
{
	size_t done = 0;
	int i;

	for (i = 0; i < nr && done < len; i++) {
		uint64_t a = bufs[i].addr, left = bufs[i].len;

		while (left && done < len) {
			uint64_t n = VQ_CHUNK - a % VQ_CHUNK;
			void *h;

			if (n > left)
				n = left;
			if (n > len - done)
				n = len - done;
			h = vq->translate(vq->translate_ctx, a, n);
			if (!h)
				return -EFAULT;
			if (to_guest)
				memcpy(h, p + done, n);
			else
				memcpy(p + done, h, n);
			a += n;
			left -= n;
			done += n;
		}
	}
	return done;
}

long virtqueue__read(struct virtqueue *vq, const struct vq_elem *e, void *buf,
		     size_t len)
{
	return copy_bufs(vq, e->buf, e->nr_out, buf, len, false);
}

long virtqueue__write(struct virtqueue *vq, const struct vq_elem *e,
		      const void *buf, size_t len)
{
	return copy_bufs(vq, e->buf + e->nr_out, e->nr_in, (uint8_t *)buf, len, true);
}
