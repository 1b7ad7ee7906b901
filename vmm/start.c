// SPDX-License-Identifier: GPL-2.0
/*
 * start: the hotplug region, the PUT config and the guest's start.
 *
 * A VMM started with its config (--hotplug) reserves exactly that region
 * and starts at once.  A paused one (--paused) reserves --hotplug-max at
 * a memory-block-aligned base, registers it with memplugd and takes PUTs
 * until memplugd's START; only then is the virtio-mem device built, as
 * Firecracker reads its config at InstanceStart.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <linux/memplug.h>
#include <string.h>
#include <sys/ioctl.h>

#include "memplug/vmm.h"
#include "memplug/vmm-region.h"
#include "memplug/vmm-virtio.h"

#define KVM_SLOT_HOTPLUG_BASE	1	/* slot 0: boot RAM */

/* PUT and START come from memplugd's thread, the first start from main() */
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
#define MEMORY_BLOCK_SIZE	(128ULL << 20)	/* Linux x86 memory block */

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * Reserve the hotplug region above boot RAM: @size bytes, or exactly
 * @hc's total with a base aligned to its slot size.  Without a known slot
 * size the base is only memory-block-aligned (all Linux needs; KVM takes
 * any page-aligned slot).
 */
int vmm__reserve_hotplug(struct vmm *vmm, const struct hotplug_config *hc,
			 uint64_t size)
{
	uint64_t align = MEMORY_BLOCK_SIZE, gpa;
	long ids = ioctl(vmm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);

	if (hc) {
		uint64_t slot = hc->slot_size_mib << 20;

		align = slot / gcd(slot, MEMORY_BLOCK_SIZE) * MEMORY_BLOCK_SIZE;
		if (size < (hc->total_size_mib << 20))
			size = hc->total_size_mib << 20;
	}
	gpa = (VMM_HOTPLUG_MIN_GPA + align - 1) / align * align;
	vmm->hp = region__create(gpa, size, KVM_SLOT_HOTPLUG_BASE,
				 &region_local_ops, vmm);
	if (!vmm->hp) {
		pr_err("cannot reserve the hotplug region (%llu MiB): %s",
		       (unsigned long long)(size >> 20), strerror(errno));
		return -ENOMEM;
	}
	if (kvm__register_mmio(vmm, gpa, size, region__mmio, vmm->hp))
		return -ENOSPC;
	if (ids <= KVM_SLOT_HOTPLUG_BASE || ids > MEMPLUG_SLOTS_MAX)
		ids = MEMPLUG_SLOTS_MAX;
	vmm->hp->nr_slot_ids = ids - KVM_SLOT_HOTPLUG_BASE;
	return 0;
}

/* The virtio-mem device for the PUT config, in the reserved region. */
static int configure_hotplug(struct vmm *vmm, const struct hotplug_config *hc)
{
	uint64_t slot = hc->slot_size_mib << 20, size = hc->total_size_mib << 20;
	struct vmm_region *hp = vmm->hp;
	static const char *const when[] = {
		[VMM_ATTACH_PLUG] = "on the first plug",
		[VMM_ATTACH_PATCH] = "on PATCH",
		[VMM_ATTACH_BOOT] = "at boot",
	};
	struct virtio_mem *vmem;
	uint32_t i;
	int ret;

	ret = region__layout(hp, size, slot);
	if (ret)
		return ret;
	vmem = virtio_mem__create(hc, hp->gpa, hp, vmm->cfg.attach);
	if (!vmem)
		return -ENOMEM;
	pr_info("virtio-mem: %llu MiB at %#llx, block %llu MiB, slot %llu MiB, %s slots attached %s",
		(unsigned long long)hc->total_size_mib, (unsigned long long)hp->gpa,
		(unsigned long long)hc->block_size_mib,
		(unsigned long long)hc->slot_size_mib, hp->ops->name,
		when[vmm->cfg.attach]);
	for (i = 0; vmm->cfg.attach == VMM_ATTACH_BOOT && i < hp->nr_slots; i++) {
		ret = region__attach(hp, i);
		if (ret) {
			pr_err("attaching slot %u at boot: %s", i, strerror(-ret));
			return ret;
		}
	}
	ret = virtio_pci__init(vmm, virtio_mem__vdev(vmem), 1);
	/* published last: other threads read vmm->vmem without a lock */
	if (!ret)
		__atomic_store_n(&vmm->vmem, vmem, __ATOMIC_RELEASE);
	return ret;
}

/*
 * A PUT for a paused VMM replaces any earlier one, as in Firecracker where
 * the config is only read at InstanceStart.
 */
static int set_hotplug(struct vmm *vmm, const struct hotplug_config *hc,
		       char *err, size_t len)
{
	uint64_t size = hc->total_size_mib << 20, slot = hc->slot_size_mib << 20;
	int ret;

	/* memplugd's CONFIG is checked like a PUT body: we divide by its sizes */
	ret = hotplug_config__check(hc, err, len);
	if (ret)
		return ret;
	if (__atomic_load_n(&vmm->running, __ATOMIC_ACQUIRE)) {
		snprintf(err, len, "Invalid hotplug-memory: PUT is accepted only before the guest starts");
		return -EBUSY;
	}
	if (!vmm->hp || size > vmm->hp->reserve) {
		snprintf(err, len, "Invalid total_size_mib: the VMM reserved %llu MiB (--hotplug-max)",
			 vmm->hp ? (unsigned long long)(vmm->hp->reserve >> 20) : 0ULL);
		return -ENOSPC;
	}
	/* virtio-mem: the region starts at a multiple of the block size */
	if (vmm->hp->gpa % (hc->block_size_mib << 20)) {
		snprintf(err, len, "Invalid block_size_mib: the VMM's region at %#llx is not aligned to it",
			 (unsigned long long)vmm->hp->gpa);
		return -EINVAL;
	}
	if (size / slot > vmm->hp->nr_slot_ids) {
		snprintf(err, len, "Invalid slot_size_mib: %llu slots needed, KVM has %u memslot ids",
			 (unsigned long long)(size / slot), vmm->hp->nr_slot_ids);
		return -ENOSPC;
	}
	vmm->hc = *hc;
	vmm->has_hc = true;
	return 0;
}

/* Run the guest: from main(), or on memplugd's START for a paused VMM. */
static int start(struct vmm *vmm)
{
	int ret;

	if (__atomic_load_n(&vmm->running, __ATOMIC_ACQUIRE))
		return -EALREADY;
	if (vmm->has_hc && !vmm->vmem) {
		ret = configure_hotplug(vmm, &vmm->hc);
		if (ret) {
			pr_err("virtio-mem: %s", strerror(-ret));
			return ret;
		}
	}
	vmm->start_ns = mp_now_ns();	/* boot times count from here */
	__atomic_store_n(&vmm->running, true, __ATOMIC_RELEASE);
	return kvm__start_vcpus(vmm) ? -EIO : 0;
}

int vmm__set_hotplug(struct vmm *vmm, const struct hotplug_config *hc,
		     char *err, size_t len)
{
	int ret;

	pthread_mutex_lock(&start_lock);
	ret = set_hotplug(vmm, hc, err, len);
	pthread_mutex_unlock(&start_lock);
	return ret;
}

int vmm__start(struct vmm *vmm)
{
	int ret;

	pthread_mutex_lock(&start_lock);
	ret = start(vmm);
	pthread_mutex_unlock(&start_lock);
	return ret;
}
