/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memplug-vmm virtio: split virtqueues, the transport-independent device
 * (struct virtio_device + struct virtio_ops, kvmtool's shape), the
 * virtio-pci transport and the virtio-mem device.
 */
#ifndef MEMPLUG_VMM_VIRTIO_H
#define MEMPLUG_VMM_VIRTIO_H

#include <linux/virtio_ring.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "memplug/hotplug_config.h"
#include "memplug/vmm-region.h"

struct vmm;
struct vmm_region;

/* Guest-physical to host-virtual, NULL when not backed by guest RAM. */
typedef void *(*vq_translate_fn)(void *ctx, uint64_t gpa, uint64_t len);

/* The largest queue a device may offer; a chain is at most a queue long. */
#define VQ_MAX_SIZE	256

/*
 * The rings' host addresses are valid only while the device lock is held
 * and after virtqueue__map() or virtqueue__refresh() under it: guest
 * memory behind them can be detached between two uses.
 */
struct virtqueue {
	uint16_t size;
	bool enabled;
	uint16_t msix_vector;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail;
	uint16_t used_idx;		/* ours: the driver may scribble on its copy */
	vq_translate_fn translate;
	void *translate_ctx;
};

/* A guest buffer as the descriptor said when it was read, once. */
struct vq_buf {
	uint64_t addr;
	uint32_t len;
};

/* One popped descriptor chain: nr_out readable buffers, then nr_in writable. */
struct vq_elem {
	uint16_t head;
	int nr_out, nr_in;
	uint64_t out_len, in_len;	/* bytes in each direction */
	struct vq_buf buf[VQ_MAX_SIZE];
};

/* virtqueue.c */
/* at queue enable: translate the rings, start both indexes at 0 */
int virtqueue__map(struct virtqueue *vq);
/* translate the rings again (they may have moved or gone); 0 or -EFAULT */
int virtqueue__refresh(struct virtqueue *vq);
/* 1: popped, 0: empty, -EINVAL: malformed chain (the queue is broken) */
int virtqueue__pop(struct virtqueue *vq, struct vq_elem *e);
void virtqueue__push(struct virtqueue *vq, const struct vq_elem *e,
		     uint32_t len);
bool virtqueue__needs_signal(struct virtqueue *vq);
/* copy between a chain's buffers and @buf; bytes copied, -EFAULT outside guest RAM */
long virtqueue__read(struct virtqueue *vq, const struct vq_elem *e, void *buf,
		     size_t len);
long virtqueue__write(struct virtqueue *vq, const struct vq_elem *e,
		      const void *buf, size_t len);

#define VIRTIO_MAX_QUEUES	1

struct virtio_device;

struct virtio_ops {
	uint16_t device_id;
	uint64_t features;
	uint32_t config_size;
	uint16_t queue_size;
	int nr_queues;
	void (*get_config)(struct virtio_device *vdev, void *buf);
	void (*notify_vq)(struct virtio_device *vdev, int q);
	/* false refuses FEATURES_OK */
	bool (*features_ok)(struct virtio_device *vdev, uint64_t features);
};

struct virtio_device {
	const struct virtio_ops *ops;
	void *priv;
	uint64_t driver_features;
	uint8_t status;
	uint8_t config_generation;
	uint16_t msix_config;
	struct virtqueue vqs[VIRTIO_MAX_QUEUES];
	/* set by the transport */
	void *transport;
	pthread_mutex_t *transport_lock;	/* held around its register accesses */
	void (*signal_vq)(struct virtio_device *vdev, int q);
	void (*signal_config)(struct virtio_device *vdev);
};

/* virtio-pci.c: the modern (virtio 1.x) PCI transport with MSI-X. */
int virtio_pci__init(struct vmm *vmm, struct virtio_device *vdev, int slot);

/* virtio-mem.c */
struct virtio_mem_stats {
	uint64_t plug, plug_nack, plug_busy, plug_err;
	uint64_t unplug, unplug_err, unplug_all, state, state_err, bad_type;
	uint64_t bad_chain;
};

/* Timestamps (mp_now_ns) of the last PATCH and its phases. */
struct virtio_mem_times {
	uint64_t patch_ns;		/* PATCH accepted */
	uint64_t attached_ns;		/* slots attached ahead */
	uint64_t first_req_ns;		/* first guest request after it */
	uint64_t settled_ns;		/* plugged == requested, 0 while not */
	uint64_t attach_ns_total;	/* time in attach/detach ioctls */
	uint64_t nr_attach, nr_detach;
};

struct virtio_mem;

struct virtio_mem *virtio_mem__create(const struct hotplug_config *cfg,
				      uint64_t addr, struct vmm_region *hp,
				      enum vmm_attach attach);
struct virtio_device *virtio_mem__vdev(struct virtio_mem *vm);
void virtio_mem__handle_queue(struct virtio_mem *vm);
int virtio_mem__patch(struct virtio_mem *vm, const struct hotplug_patch *p,
		      char *err, size_t errlen);
void virtio_mem__get(struct virtio_mem *vm, struct hotplug_state *st);
void virtio_mem__stats(struct virtio_mem *vm, struct virtio_mem_stats *s,
		       struct virtio_mem_times *t);
/* wait until plugged == requested or timeout; 0 or -ETIMEDOUT */
int virtio_mem__wait_settled(struct virtio_mem *vm, int timeout_ms);
/* for memplugd's client (memplugd.c) */
void virtio_mem__wait_change(struct virtio_mem *vm, uint64_t *gen,
			     int timeout_ms);
bool virtio_mem__driver_ready(struct virtio_mem *vm);
uint64_t virtio_mem__usable_mib(struct virtio_mem *vm);
/* the slot operations change under the device lock (memplugd changed mode) */
struct region_slot_ops;
void virtio_mem__set_slot_ops(struct virtio_mem *vm,
			      const struct region_slot_ops *ops, void *ctx);
/* from the hotplug worker: detach @slot if it is empty and not needed */
void virtio_mem__maybe_detach(struct virtio_mem *vm, uint32_t slot);

#endif
