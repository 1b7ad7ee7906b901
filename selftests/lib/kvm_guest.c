// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_guest: a one-vCPU long-mode guest that performs single memory
 * accesses on request.  See kvm_guest.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kvm_guest.h"

/* Layout of slot 0 (guest-physical == offset in g->base). */
#define PML4_GPA	0x1000ULL
#define PDPT_GPA	0x2000ULL
#define CODE_GPA	0x4000ULL
#define PD_GPA		0x100000ULL	/* one 4 KiB directory per GiB mapped */

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_PS		(1ULL << 7)

#define CR0_PE		(1ULL << 0)
#define CR0_MP		(1ULL << 1)
#define CR0_ET		(1ULL << 4)
#define CR0_NE		(1ULL << 5)
#define CR0_WP		(1ULL << 16)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

/*
 * rax == 0: rax = *(u64 *)rdi; hlt
 * rax != 0: *(u64 *)rdi = rsi; hlt
 */
static const uint8_t access_code[] = {
	0x48, 0x85, 0xc0,	/* test %rax,%rax */
	0x74, 0x04,		/* jz read */
	0x48, 0x89, 0x37,	/* mov %rsi,(%rdi) */
	0xf4,			/* hlt */
	0x48, 0x8b, 0x07,	/* read: mov (%rdi),%rax */
	0xf4,			/* hlt */
};

int kvm_guest__set_slot(struct kvm_guest *g, uint32_t slot, uint64_t gpa,
			uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(unsigned long)hva,
	};

	return ioctl(g->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

static void build_page_tables(struct kvm_guest *g)
{
	uint64_t *pml4 = (uint64_t *)((char *)g->base + PML4_GPA);
	uint64_t *pdpt = (uint64_t *)((char *)g->base + PDPT_GPA);
	uint64_t *pd = (uint64_t *)((char *)g->base + PD_GPA);
	uint64_t gib = KVM_GUEST_MAP_SIZE >> 30, i;

	pml4[0] = PDPT_GPA | PTE_P | PTE_RW;
	for (i = 0; i < gib; i++)
		pdpt[i] = (PD_GPA + i * 4096) | PTE_P | PTE_RW;
	/* 2 MiB pages: entry i of the flat PD array maps i * 2 MiB. */
	for (i = 0; i < gib * 512; i++)
		pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_PS;
}

/* Long mode needs the LM bit in the guest's CPUID: KVM checks it on EFER. */
static int set_cpuid(struct kvm_guest *g)
{
	struct kvm_cpuid2 *cpuid;
	int nent = 100, ret;

	cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));
	if (!cpuid)
		return -ENOMEM;
	cpuid->nent = nent;
	ret = ioctl(g->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid);
	if (!ret)
		ret = ioctl(g->vcpu_fd, KVM_SET_CPUID2, cpuid);
	ret = ret ? -errno : 0;
	free(cpuid);
	return ret;
}

static int set_long_mode(struct kvm_guest *g)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 8,
		.type = 11, .present = 1, .s = 1, .l = 1, .g = 1,
	};
	struct kvm_segment data = {
		.base = 0, .limit = 0xffffffff, .selector = 16,
		.type = 3, .present = 1, .s = 1, .db = 1, .g = 1,
	};
	struct kvm_sregs sregs;

	if (ioctl(g->vcpu_fd, KVM_GET_SREGS, &sregs))
		return -errno;
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sregs.cr3 = PML4_GPA;
	sregs.cr4 = CR4_PAE;
	sregs.efer = EFER_LME | EFER_LMA;
	return ioctl(g->vcpu_fd, KVM_SET_SREGS, &sregs) ? -errno : 0;
}

int kvm_guest__create(struct kvm_guest *g)
{
	int ret;

	memset(g, 0, sizeof(*g));
	g->vm_fd = g->vcpu_fd = -1;
	g->base = MAP_FAILED;
	g->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (g->kvm_fd < 0)
		return -errno;
	g->vm_fd = ioctl(g->kvm_fd, KVM_CREATE_VM, 0);
	if (g->vm_fd < 0)
		goto err;
	g->base = mmap(NULL, KVM_GUEST_BASE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->base == MAP_FAILED)
		goto err;
	build_page_tables(g);
	memcpy((char *)g->base + CODE_GPA, access_code, sizeof(access_code));
	ret = kvm_guest__set_slot(g, 0, 0, KVM_GUEST_BASE_SIZE, g->base);
	if (ret) {
		errno = -ret;
		goto err;
	}
	g->vcpu_fd = ioctl(g->vm_fd, KVM_CREATE_VCPU, 0);
	if (g->vcpu_fd < 0)
		goto err;
	g->run_size = ioctl(g->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	g->run = mmap(NULL, g->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g->vcpu_fd, 0);
	if (g->run == MAP_FAILED) {
		g->run = NULL;
		goto err;
	}
	ret = set_cpuid(g);
	if (!ret)
		ret = set_long_mode(g);
	if (ret) {
		errno = -ret;
		goto err;
	}
	return 0;
err:
	ret = -errno;
	kvm_guest__destroy(g);
	return ret;
}

void kvm_guest__destroy(struct kvm_guest *g)
{
	if (g->run)
		munmap(g->run, g->run_size);
	if (g->vcpu_fd >= 0)
		close(g->vcpu_fd);
	if (g->vm_fd >= 0)
		close(g->vm_fd);
	if (g->base != MAP_FAILED && g->base)
		munmap(g->base, KVM_GUEST_BASE_SIZE);
	if (g->kvm_fd >= 0)
		close(g->kvm_fd);
	memset(g, 0, sizeof(*g));
	g->kvm_fd = g->vm_fd = g->vcpu_fd = -1;
}

static int guest_access(struct kvm_guest *g, int write, uint64_t gpa,
			uint64_t *val)
{
	struct kvm_regs regs = {
		.rip = CODE_GPA,
		.rax = write,
		.rdi = gpa,
		.rsi = write ? *val : 0,
		.rflags = 2,
		.rsp = KVM_GUEST_BASE_SIZE - 16,
	};

	if (gpa + 8 > KVM_GUEST_MAP_SIZE || gpa % 8)
		return -EINVAL;
	if (ioctl(g->vcpu_fd, KVM_SET_REGS, &regs))
		return -errno;
	if (ioctl(g->vcpu_fd, KVM_RUN, 0))
		return -errno;
	switch (g->run->exit_reason) {
	case KVM_EXIT_HLT:
		break;
	case KVM_EXIT_MMIO:
		/*
		 * No memslot behind the address.  Complete the access (a
		 * read sees 0) so the vCPU is back at a clean state.
		 */
		if (g->run->mmio.phys_addr != gpa)
			return -EFAULT;
		if (!g->run->mmio.is_write)
			memset(g->run->mmio.data, 0, sizeof(g->run->mmio.data));
		if (ioctl(g->vcpu_fd, KVM_RUN, 0))
			return -errno;
		if (g->run->exit_reason != KVM_EXIT_HLT)
			return -EIO;
		return KVM_GUEST_NO_MEMORY;
	case KVM_EXIT_SHUTDOWN:
		return -ESHUTDOWN;
	default:
		return -EIO;
	}
	if (!write) {
		if (ioctl(g->vcpu_fd, KVM_GET_REGS, &regs))
			return -errno;
		*val = regs.rax;
	}
	return 0;
}

int kvm_guest__read(struct kvm_guest *g, uint64_t gpa, uint64_t *val)
{
	return guest_access(g, 0, gpa, val);
}

int kvm_guest__write(struct kvm_guest *g, uint64_t gpa, uint64_t val)
{
	return guest_access(g, 1, gpa, &val);
}
