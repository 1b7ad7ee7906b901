/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_guest: the smallest real KVM guest the selftests need.
 *
 * A VM with one vCPU in 64-bit long mode whose page tables identity-map
 * guest-physical 0 .. KVM_GUEST_MAP_SIZE with 2 MiB pages.  Slot 0 (2 MiB
 * at GPA 0) holds the page tables and a four-instruction program that
 * reads or writes one 64-bit word and halts, so a test can ask "what does
 * the guest see at this address?" through real guest memory accesses.
 */
#ifndef KVM_GUEST_H
#define KVM_GUEST_H

#include <linux/kvm.h>
#include <stdint.h>

#include "memplug/clock.h"

#define KVM_GUEST_BASE_SIZE	(2ULL << 20)
#define KVM_GUEST_MAP_SIZE	(64ULL << 30)
/* [32 KiB, 1 MiB) of slot 0 is free: a test may put its own code there */
#define KVM_GUEST_SPARE_GPA	0x8000ULL

struct kvm_guest {
	int kvm_fd;
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	void *base;		/* host memory behind slot 0 */
};

/* Returns 0 or -errno. */
int kvm_guest__create(struct kvm_guest *g);
void kvm_guest__destroy(struct kvm_guest *g);

/* KVM_SET_USER_MEMORY_REGION from this process; size 0 deletes. */
int kvm_guest__set_slot(struct kvm_guest *g, uint32_t slot, uint64_t gpa,
			uint64_t size, void *hva);

/*
 * One guest access of 8 bytes at @gpa.  Returns 0 when the guest completed
 * it, KVM_GUEST_NO_MEMORY when it left the guest as an MMIO exit (no
 * memslot backs @gpa), -ESHUTDOWN on a triple fault, -errno otherwise.
 */
#define KVM_GUEST_NO_MEMORY	1
int kvm_guest__read(struct kvm_guest *g, uint64_t gpa, uint64_t *val);
int kvm_guest__write(struct kvm_guest *g, uint64_t gpa, uint64_t val);

#endif
