// SPDX-License-Identifier: GPL-2.0
/*
 * virtqueue: the split ring (virtio 1.2 §2.7) from the device side.
 * Everything the driver wrote is untrusted: indexes are bounded, chains
 * are length-limited, buffers are translated and range-checked.
 */
#include <errno.h>
#include <string.h>

#include "memplug/vmm-virtio.h"

int virtqueue__map(struct virtqueue *vq)
{
	uint16_t n = vq->size;

	if (!n || (n & (n - 1)))
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
	vq->last_avail = 0;
	return 0;
}

int virtqueue__pop(struct virtqueue *vq, struct vq_elem *e)
{
	uint16_t avail_idx, idx;
	unsigned int n = 0;

	avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	if (avail_idx == vq->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size)
		return -EINVAL;
	e->head = vq->avail->ring[vq->last_avail % vq->size];
	vq->last_avail++;
	e->nr_out = e->nr_in = 0;
	if (e->head >= vq->size)
		return -EINVAL;

	idx = e->head;
	for (;;) {
		struct vring_desc *d = &vq->desc[idx];
		struct iovec *iov;
		void *p;

		/* no indirect descriptors: VIRTIO_RING_F_INDIRECT_DESC is not offered */
		if (d->flags & VRING_DESC_F_INDIRECT || ++n > vq->size)
			return -EINVAL;
		if (d->flags & VRING_DESC_F_WRITE) {
			if (e->nr_in == VQ_MAX_IOV)
				return -EINVAL;
			iov = &e->in[e->nr_in++];
		} else {
			/* readable buffers come before writable ones */
			if (e->nr_in || e->nr_out == VQ_MAX_IOV)
				return -EINVAL;
			iov = &e->out[e->nr_out++];
		}
		p = d->len ? vq->translate(vq->translate_ctx, d->addr, d->len) : NULL;
		if (d->len && !p)
			return -EINVAL;
		iov->iov_base = p;
		iov->iov_len = d->len;
		if (!(d->flags & VRING_DESC_F_NEXT))
			break;
		idx = d->next;
		if (idx >= vq->size)
			return -EINVAL;
	}
	return 1;
}

void virtqueue__push(struct virtqueue *vq, const struct vq_elem *e,
		     uint32_t len)
{
	uint16_t idx = vq->used->idx;
	struct vring_used_elem *u = &vq->used->ring[idx % vq->size];

	u->id = e->head;
	u->len = len;
	/* the element before the index: the driver reads them in that order */
	__atomic_store_n(&vq->used->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
}

bool virtqueue__needs_signal(struct virtqueue *vq)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !(vq->avail->flags & VRING_AVAIL_F_NO_INTERRUPT);
}

size_t iov__copy_from(const struct iovec *iov, int nr, void *buf, size_t len)
{
	size_t done = 0, n;
	int i;

	for (i = 0; i < nr && done < len; i++) {
		n = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;
		memcpy((uint8_t *)buf + done, iov[i].iov_base, n);
		done += n;
	}
	return done;
}

size_t iov__copy_to(const struct iovec *iov, int nr, const void *buf,
		    size_t len)
{
	size_t done = 0, n;
	int i;

	for (i = 0; i < nr && done < len; i++) {
		n = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;
		memcpy(iov[i].iov_base, (const uint8_t *)buf + done, n);
		done += n;
	}
	return done;
}
