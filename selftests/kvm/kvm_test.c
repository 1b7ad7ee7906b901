// SPDX-License-Identifier: GPL-2.0
/*
 * The ground every memplug test stands on: in the test VM, KVM runs a real
 * guest, and memslots come and go with KVM_SET_USER_MEMORY_REGION.
 */
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "../lib/kvm_guest.h"

#define TEST_PORT	0x10
#define TEST_VALUE	0x42

/* Real mode at 0x1000: mov $0x42,%al; out %al,$0x10; hlt */
static const uint8_t real_mode_code[] = { 0xb0, TEST_VALUE, 0xe6, TEST_PORT, 0xf4 };

TEST(real_mode_guest_out_and_hlt)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = 0x1000, .rflags = 2 };
	struct kvm_run *run;
	int kvm, vm, vcpu;
	void *mem;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_GE(kvm, 0) TH_LOG("no /dev/kvm: is kvm-amd loaded?");
	ASSERT_EQ(ioctl(kvm, KVM_GET_API_VERSION, 0), KVM_API_VERSION);
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ASSERT_GE(vm, 0);

	mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(mem, MAP_FAILED);
	memcpy((char *)mem + 0x1000, real_mode_code, sizeof(real_mode_code));
	struct kvm_userspace_memory_region r = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = 0x10000,
		.userspace_addr = (unsigned long)mem,
	};
	ASSERT_EQ(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r), 0);

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	ASSERT_GE(vcpu, 0);
	int sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	ASSERT_GT(sz, 0);
	run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ASSERT_NE(run, MAP_FAILED);

	ASSERT_EQ(ioctl(vcpu, KVM_GET_SREGS, &sregs), 0);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	ASSERT_EQ(ioctl(vcpu, KVM_SET_SREGS, &sregs), 0);
	ASSERT_EQ(ioctl(vcpu, KVM_SET_REGS, &regs), 0);

	ASSERT_EQ(ioctl(vcpu, KVM_RUN, 0), 0);
	ASSERT_EQ(run->exit_reason, KVM_EXIT_IO);
	EXPECT_EQ(run->io.direction, KVM_EXIT_IO_OUT);
	EXPECT_EQ(run->io.port, TEST_PORT);
	EXPECT_EQ(run->io.size, 1);
	EXPECT_EQ(*((uint8_t *)run + run->io.data_offset), TEST_VALUE);

	ASSERT_EQ(ioctl(vcpu, KVM_RUN, 0), 0);
	EXPECT_EQ(run->exit_reason, KVM_EXIT_HLT);

	munmap(run, sz);
	close(vcpu);
	close(vm);
	munmap(mem, 0x10000);
	close(kvm);
}

#define NSLOTS		64
#define SLOT_SIZE	(128ULL << 20)
#define SLOT_GPA(i)	((4ULL << 30) + (i) * SLOT_SIZE)
#define MARK(i)		(0x6d656d706c756700ULL | (i))	/* "memplug" + i */

FIXTURE(slots)
{
	struct kvm_guest g;
	char *mem;
};

FIXTURE_SETUP(slots)
{
	cpu_set_t cpus;

	/* Per-slot costs differ between the test VM's vCPUs: stay on one. */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	ASSERT_EQ(kvm_guest__create(&self->g), 0);
	self->mem = mmap(NULL, NSLOTS * SLOT_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(self->mem, MAP_FAILED);
}

FIXTURE_TEARDOWN(slots)
{
	munmap(self->mem, NSLOTS * SLOT_SIZE);
	kvm_guest__destroy(&self->g);
}

TEST_F(slots, add_delete_64_slots_of_128m)
{
	uint64_t t0, add_ns, del_ns, v;
	int i;

	/* A word in the middle of each slot, written from the host side. */
	for (i = 0; i < NSLOTS; i++)
		*(uint64_t *)(self->mem + i * SLOT_SIZE + SLOT_SIZE / 2) = MARK(i);

	t0 = mp_now_ns();
	for (i = 0; i < NSLOTS; i++)
		ASSERT_EQ(kvm_guest__set_slot(&self->g, 1 + i, SLOT_GPA(i),
					      SLOT_SIZE,
					      self->mem + i * SLOT_SIZE), 0);
	add_ns = mp_now_ns() - t0;

	for (i = 0; i < NSLOTS; i++) {
		v = 0;
		ASSERT_EQ(kvm_guest__read(&self->g, SLOT_GPA(i) + SLOT_SIZE / 2, &v), 0);
		ASSERT_EQ(v, MARK(i)) TH_LOG("slot %d: guest read %#llx", i,
					     (unsigned long long)v);
		/* and the guest's write lands in the host page */
		ASSERT_EQ(kvm_guest__write(&self->g, SLOT_GPA(i) + 8, ~MARK(i)), 0);
		ASSERT_EQ(*(uint64_t *)(self->mem + i * SLOT_SIZE + 8), ~MARK(i));
	}

	t0 = mp_now_ns();
	for (i = 0; i < NSLOTS; i++)
		ASSERT_EQ(kvm_guest__set_slot(&self->g, 1 + i, SLOT_GPA(i), 0,
					      self->mem + i * SLOT_SIZE), 0);
	del_ns = mp_now_ns() - t0;

	/* Deleted: the guest's access leaves as MMIO, the old page is unseen. */
	for (i = 0; i < NSLOTS; i++) {
		v = 0;
		ASSERT_EQ(kvm_guest__read(&self->g, SLOT_GPA(i) + SLOT_SIZE / 2, &v),
			  KVM_GUEST_NO_MEMORY);
		ASSERT_NE(v, MARK(i));
	}

	ksft_print_msg("memslot add %.1f us/slot, delete %.1f us/slot (%d x 128 MiB, cpu 0)\n",
		       add_ns / 1e3 / NSLOTS, del_ns / 1e3 / NSLOTS, NSLOTS);
	/* The harness runs each test in a child that ends with _exit(). */
	fflush(stdout);
}

TEST_F(slots, guest_cannot_reach_unslotted_memory)
{
	uint64_t v = 0;

	/* Nothing is mapped at 4 GiB before a slot is added. */
	ASSERT_EQ(kvm_guest__read(&self->g, SLOT_GPA(0), &v), KVM_GUEST_NO_MEMORY);
	/* Slot 0 (page tables, code) is reachable: its code bytes read back. */
	ASSERT_EQ(kvm_guest__read(&self->g, 0x4000, &v), 0);
	ASSERT_EQ(v & 0xffffff, 0xc08548ULL);	/* test %rax,%rax */
}

TEST_HARNESS_MAIN
