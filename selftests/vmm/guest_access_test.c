// SPDX-License-Identifier: GPL-2.0
/*
 * A guest that touches hotplug memory it does not have: a vCPU of a real
 * KVM VM (32-bit protected mode, flat, no paging) loads from and stores
 * to a slot that is a KVM memslot while memplug-vmm has not attached it,
 * as memplugd's spare slots are in module mode.  The guest may read
 * garbage there, but KVM_RUN must not fail and stop the VMM.
 * Needs /dev/kvm: runs in the test VM.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "memplug/vmm.h"
#include "memplug/vmm-region.h"

#define MIB		(1ULL << 20)
#define BASE		(1ULL << 30)	/* below 4 GiB: reachable without paging */
#define SLOT		(128 * MIB)
#define CODE_GPA	0x1000
#define DONE_PORT	0x80

FIXTURE(access) {
	struct vmm vmm;
	int vcpu;
	struct kvm_run *run;
};

static void flat(struct kvm_segment *s, uint8_t type, uint16_t sel)
{
	*s = (struct kvm_segment){ .base = 0, .limit = 0xffffffff, .selector = sel,
				   .type = type, .present = 1, .dpl = 0, .db = 1,
				   .s = 1, .g = 1 };
}

FIXTURE_SETUP(access)
{
	struct vmm *vmm = &self->vmm;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	memset(self, 0, sizeof(*self));
	vmm->cfg.ram_size = 64 * MIB;
	pthread_mutex_init(&vmm->dev_lock, NULL);
	ASSERT_EQ(0, kvm__init(vmm));
	vmm->hp = region__create(BASE, 2 * SLOT, 1, &region_local_ops, vmm);
	ASSERT_NE(NULL, vmm->hp);
	ASSERT_EQ(0, region__layout(vmm->hp, 2 * SLOT, SLOT));
	/* as vmm__reserve_hotplug() */
	ASSERT_EQ(0, kvm__register_mmio(vmm, BASE, 2 * SLOT, region__mmio, vmm->hp));

	self->vcpu = ioctl(vmm->vm_fd, KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, self->vcpu);
	self->run = mmap(NULL, vmm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->vcpu, 0);
	ASSERT_NE(MAP_FAILED, self->run);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_SREGS, &sregs));
	flat(&sregs.cs, 0xb, 0x8);
	flat(&sregs.ds, 0x3, 0x10);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr0 = 0x11;	/* PE, ET */
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_SREGS, &sregs));
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 2;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_REGS, &regs));
}

FIXTURE_TEARDOWN(access)
{
}

/*
 * The guest: eax = [addr] + 1; [addr + 8] = eax; out DONE_PORT, al; hlt.
 * Runs it; 0 and *seen = eax when the guest reached the out, else
 * KVM_RUN's -errno.
 */
static int guest_rw(FIXTURE_DATA(access) *self, uint32_t addr, uint32_t *seen)
{
	uint8_t *c = (uint8_t *)self->vmm.ram + CODE_GPA;
	uint32_t a8 = addr + 8;
	struct kvm_regs regs;

	c[0] = 0xa1;			/* mov eax, [moffs32] */
	memcpy(c + 1, &addr, 4);
	c[5] = 0x40;			/* inc eax */
	c[6] = 0xa3;			/* mov [moffs32], eax */
	memcpy(c + 7, &a8, 4);
	c[11] = 0xe6;			/* out imm8, al */
	c[12] = DONE_PORT;
	c[13] = 0xf4;			/* hlt */
	if (ioctl(self->vcpu, KVM_GET_REGS, &regs))
		return -errno;
	regs.rip = CODE_GPA;
	if (ioctl(self->vcpu, KVM_SET_REGS, &regs))
		return -errno;
	for (;;) {
		struct kvm_run *r = self->run;

		if (ioctl(self->vcpu, KVM_RUN, 0))
			return -errno;
		if (r->exit_reason != KVM_EXIT_MMIO)
			break;
		/* as the VMM's vCPU loop does */
		kvm__mmio(&self->vmm, r->mmio.phys_addr, r->mmio.data, r->mmio.len,
			  r->mmio.is_write);
	}
	if (self->run->exit_reason != KVM_EXIT_IO || self->run->io.port != DONE_PORT)
		return -EIO;
	if (ioctl(self->vcpu, KVM_GET_REGS, &regs))
		return -errno;
	*seen = regs.rax;
	return 0;
}

/* What memplugd does in module mode: a memslot the VMM has not opened. */
static int spare_memslot(FIXTURE_DATA(access) *self, uint32_t i)
{
	struct vmm_region *hp = self->vmm.hp;

	return kvm__set_slot(&self->vmm, hp->kvm_slot_base + i, hp->gpa + i * SLOT,
			     SLOT, hp->hva + i * SLOT);
}

TEST_F(access, spare_slot_read_and_write_keep_the_vcpu_running)
{
	uint32_t v = 0xdead;

	ASSERT_EQ(0, spare_memslot(self, 1));
	/* reads see zeroes; the write lands nowhere that matters */
	ASSERT_EQ(0, guest_rw(self, BASE + SLOT + 4096, &v));
	ASSERT_EQ(0 + 1, v);
	/* none of it reached the slot's memory once the slot is attached */
	ASSERT_EQ(0, region__attach(self->vmm.hp, 1));
	ASSERT_EQ(0, guest_rw(self, BASE + SLOT + 4096 + 8, &v));
	ASSERT_EQ(0 + 1, v);
}

TEST_F(access, attached_slot_is_the_memfd_and_detach_hides_it)
{
	uint32_t v = 0;
	uint32_t *p;

	ASSERT_EQ(0, region__attach(self->vmm.hp, 0));
	p = kvm__gpa_to_hva(&self->vmm, BASE + 64, 4);
	ASSERT_NE(NULL, p);
	*p = 41;
	ASSERT_EQ(0, guest_rw(self, BASE + 64, &v));
	ASSERT_EQ(41 + 1, v);
	ASSERT_EQ(42, p[2]);
	/* detached, and memplugd put the memslot back: the data is not visible */
	ASSERT_EQ(0, region__detach(self->vmm.hp, 0));
	ASSERT_EQ(0, spare_memslot(self, 0));
	ASSERT_EQ(0, guest_rw(self, BASE + 64, &v));
	ASSERT_EQ(0 + 1, v);
	/* and it is still there for the next plug */
	ASSERT_EQ(0, region__attach(self->vmm.hp, 0));
	ASSERT_EQ(0, guest_rw(self, BASE + 64, &v));
	ASSERT_EQ(41 + 1, v);
}

/* What the VMM does in module mode: map the slot, trust memplugd's memslot. */
static int map_only(void *ctx, const struct region_slot *s)
{
	return region__map_slot(s);
}

static const struct region_slot_ops map_only_ops = {
	.name = "map only", .attach = map_only, .detach = NULL,
};

TEST_F(access, attached_slot_without_memslot_keeps_the_guests_data)
{
	uint32_t v = 0, *p;

	/* memplugd lost the memslot (or never made it): accesses exit as MMIO */
	self->vmm.hp->ops = &map_only_ops;
	ASSERT_EQ(0, region__attach(self->vmm.hp, 1));
	p = kvm__gpa_to_hva(&self->vmm, BASE + SLOT + 256, 12);
	ASSERT_NE(NULL, p);
	*p = 6;
	ASSERT_EQ(0, guest_rw(self, BASE + SLOT + 256, &v));
	ASSERT_EQ(6 + 1, v);
	ASSERT_EQ(7, p[2]);
	ASSERT_LT(0, self->vmm.hp->emulated);
	/* unattached, no memslot: all ones, the write goes nowhere */
	ASSERT_EQ(0, guest_rw(self, BASE + 256, &v));
	ASSERT_EQ(0, v);	/* 0xffffffff + 1 */
}

TEST_HARNESS_MAIN
