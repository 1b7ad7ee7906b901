/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memplug-vmm hotplug region: one memfd above boot RAM, split into slots,
 * mapped by the VMM slot by slot; a slot is made guest-visible by a
 * struct region_slot_ops.  "local" is this process's own
 * KVM_SET_USER_MEMORY_REGION; the daemon mode (memplugd + memplug.ko)
 * plugs in a second implementation with the same two calls.
 *
 * A helper thread returns unplugged memory to the host (fallocate punch
 * hole) and detaches emptied slots, so the guest's request is answered
 * first.
 */
#ifndef MEMPLUG_VMM_REGION_H
#define MEMPLUG_VMM_REGION_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* When a hotplug slot gets its memslot (--attach). */
enum vmm_attach {
	VMM_ATTACH_PLUG,	/* on the guest's first PLUG into it (Firecracker) */
	VMM_ATTACH_PATCH,	/* when a PATCH raises the request to it (default) */
	VMM_ATTACH_BOOT,	/* all at the start, kept: Cloud Hypervisor's way */
};

struct vmm;
struct virtio_mem;

struct region_slot {
	uint32_t index;		/* slot number within the region */
	uint32_t kvm_slot;	/* KVM memslot id */
	uint64_t gpa, size;
	void *hva;
	int memfd;		/* backing: the region's memfd at @offset */
	uint64_t offset;
};

/*
 * The VMM's mapping of a slot: the memfd while attached; otherwise
 * private anonymous memory, never PROT_NONE, because a memslot may cover
 * the slot while we have not attached it (memplugd's spare slots, a lost
 * SLOTS_EMPTY) and a guest access to a PROT_NONE memslot makes KVM_RUN
 * fail.  The guest then reads zeroes and its writes are thrown away with
 * the mapping; unplugged memory is undefined to the guest anyway.
 */
int region__map_slot(const struct region_slot *slot);
int region__unmap_slot(const struct region_slot *slot);

struct region_slot_ops {
	const char *name;
	/*
	 * memplugd attaches the memslots (module mode) and attach only maps
	 * our side: a slot past those of the current request has a memslot
	 * only if we hold it already (memplugd attaches before it raises).
	 */
	bool remote;
	/* make the slot guest-accessible; 0 or -errno */
	int (*attach)(void *ctx, const struct region_slot *slot);
	/* remove it again; 0 or -errno */
	int (*detach)(void *ctx, const struct region_slot *slot);
};

/* local mode: map the slot + KVM_SET_USER_MEMORY_REGION in this process */
extern const struct region_slot_ops region_local_ops;

struct region_job;

struct vmm_region {
	int memfd;
	uint8_t *hva;
	uint64_t gpa, size, slot_size;
	uint64_t reserve;		/* mapped bytes; size <= reserve */
	uint32_t nr_slots, kvm_slot_base;
	uint32_t nr_slot_ids;		/* KVM memslot ids from kvm_slot_base */
	bool *attached;

	const struct region_slot_ops *ops;
	void *ops_ctx;
	struct virtio_mem *vmem;	/* asked before a deferred detach */

	pthread_mutex_t lock;		/* the job queue */
	pthread_cond_t cond;
	struct region_job *jobs;
	unsigned int nr_jobs, cap_jobs;
	bool busy, stop;
	uint64_t busy_off, busy_len;	/* discard in progress */
	pthread_t worker;
	uint64_t discarded_bytes;
	uint64_t emulated;		/* accesses by region__mmio */
};

struct vmm_region *region__create(uint64_t gpa, uint64_t reserve,
				  uint32_t kvm_slot_base,
				  const struct region_slot_ops *ops,
				  void *ops_ctx);
int region__layout(struct vmm_region *hp, uint64_t size, uint64_t slot_size);
void region__destroy(struct vmm_region *hp);
void *region__gpa_to_hva(struct vmm_region *hp, uint64_t gpa, uint64_t len);
/* MMIO handler (vmm_io_fn) for the region, @opaque the struct vmm_region */
void region__mmio(struct vmm *vmm, void *opaque, uint64_t gpa, uint8_t *data,
		  uint32_t len, bool is_write);
int region__attach(struct vmm_region *hp, uint32_t slot);
int region__detach(struct vmm_region *hp, uint32_t slot);
/* queue: punch [off, off+len) of the region out of the memfd */
void region__queue_discard(struct vmm_region *hp, uint64_t off, uint64_t len);
/* queue: virtio_mem__maybe_detach(@slot) on the worker */
void region__queue_detach(struct vmm_region *hp, uint32_t slot);
/* queue: give back anonymous memory of the slots not attached */
void region__queue_drop(struct vmm_region *hp);
/* wait until no queued or running discard overlaps [off, off+len) */
void region__wait_discard(struct vmm_region *hp, uint64_t off, uint64_t len);
/* wait until the queue is empty */
void region__flush(struct vmm_region *hp);

#endif
