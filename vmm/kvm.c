// SPDX-License-Identifier: GPL-2.0
/*
 * kvm: the VM, boot RAM, vCPU threads and the exit dispatch.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "memplug/vmm.h"
#include "memplug/vmm-region.h"

/* Intel-only (VMX) needs; harmless on SVM.  Below the BIOS area. */
#define TSS_ADDR		0xfffbd000ULL
#define IDENTITY_MAP_ADDR	0xfffbc000ULL

/*
 * mmap at a 2 MiB-aligned address: KVM maps guest memory with large pages
 * only where host-virtual and guest-physical addresses are equally aligned,
 * and 6.1 does not align large anonymous mappings by itself.
 */
void *vmm__mmap_aligned(uint64_t size, int flags, int fd)
{
	const uint64_t align = 2ULL << 20;
	uint8_t *res, *p;
	uint64_t off;

	res = mmap(NULL, size + align, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return MAP_FAILED;
	off = (align - (uintptr_t)res % align) % align;
	if (fd < 0)
		p = mmap(res + off, size, PROT_READ | PROT_WRITE,
			 flags | MAP_FIXED | MAP_ANONYMOUS, -1, 0);
	else
		p = mmap(res + off, size, PROT_NONE, flags | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		munmap(res, size + align);
		return MAP_FAILED;
	}
	if (off)
		munmap(res, off);
	munmap(res + off + size, align - off);
	return p;
}

int kvm__set_slot(struct vmm *vmm, uint32_t slot, uint64_t gpa, uint64_t size,
		  void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vmm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

void kvm__irq_line(struct vmm *vmm, int irq, int level)
{
	struct kvm_irq_level l = { .irq = irq, .level = level };

	if (ioctl(vmm->vm_fd, KVM_IRQ_LINE, &l))
		pr_err("KVM_IRQ_LINE %d: %s", irq, strerror(errno));
}

int kvm__signal_msi(struct vmm *vmm, uint64_t addr, uint32_t data)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr,
		.address_hi = addr >> 32,
		.data = data,
	};

	/* 0: blocked by the guest (masked LAPIC), > 0: delivered */
	return ioctl(vmm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -errno : 0;
}

static int register_io(struct vmm_io_range *tab, int *nr, uint64_t base,
		       uint64_t len, vmm_io_fn fn, void *opaque)
{
	if (*nr >= VMM_MAX_IO)
		return -ENOSPC;
	tab[*nr] = (struct vmm_io_range){ base, len, fn, opaque };
	(*nr)++;
	return 0;
}

int kvm__register_pio(struct vmm *vmm, uint64_t base, uint64_t len,
		      vmm_io_fn fn, void *opaque)
{
	return register_io(vmm->pio, &vmm->nr_pio, base, len, fn, opaque);
}

int kvm__register_mmio(struct vmm *vmm, uint64_t base, uint64_t len,
		       vmm_io_fn fn, void *opaque)
{
	return register_io(vmm->mmio, &vmm->nr_mmio, base, len, fn, opaque);
}

void *kvm__gpa_to_hva(struct vmm *vmm, uint64_t gpa, uint64_t len)
{
	if (gpa + len < gpa)
		return NULL;
	if (gpa + len <= vmm->ram_size)
		return (uint8_t *)vmm->ram + gpa;
	return region__gpa_to_hva(vmm->hp, gpa, len);
}

/* Unclaimed ports and addresses read as all ones, as on a real bus. */
static void dispatch(struct vmm *vmm, struct vmm_io_range *tab, int nr,
		     uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
	int i;

	pthread_mutex_lock(&vmm->dev_lock);
	for (i = 0; i < nr; i++) {
		if (addr >= tab[i].base && addr - tab[i].base < tab[i].len) {
			tab[i].fn(vmm, tab[i].opaque, addr, data, len, is_write);
			break;
		}
	}
	pthread_mutex_unlock(&vmm->dev_lock);
	if (i == nr && !is_write)
		memset(data, 0xff, len);
}

void kvm__mmio(struct vmm *vmm, uint64_t addr, uint8_t *data, uint32_t len,
	       bool is_write)
{
	dispatch(vmm, vmm->mmio, vmm->nr_mmio, addr, data, len, is_write);
}

void kvm__stop(struct vmm *vmm, enum vmm_exit reason, const char *msg)
{
	pthread_mutex_lock(&vmm->exit_lock);
	if (vmm->exit_reason == VMM_EXIT_NONE) {
		vmm->exit_reason = reason;
		vmm->exit_msg = msg;
	}
	pthread_cond_broadcast(&vmm->exit_cond);
	pthread_mutex_unlock(&vmm->exit_lock);
}

static bool stopping(struct vmm *vmm)
{
	return __atomic_load_n(&vmm->exit_reason, __ATOMIC_ACQUIRE) != VMM_EXIT_NONE;
}

static void *vcpu__thread(void *arg)
{
	struct vmm_vcpu *vcpu = arg;
	struct vmm *vmm = vcpu->vmm;
	struct kvm_run *run = vcpu->run;
	static char msg[VMM_MAX_VCPUS][128];
	char name[16];
	sigset_t set;

	/* "vcpuN" in /proc/PID/task/TID/comm: how a tool finds it to pin it */
	snprintf(name, sizeof(name), "vcpu%d", vcpu->id);
	pthread_setname_np(pthread_self(), name);
	/* SIGUSR1 only kicks the vCPU out of KVM_RUN at exit. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!stopping(vmm)) {
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			snprintf(msg[vcpu->id], sizeof(msg[0]),
				 "vCPU %d: KVM_RUN: %s", vcpu->id, strerror(errno));
			kvm__stop(vmm, VMM_EXIT_ERROR, msg[vcpu->id]);
			break;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO: {
			uint8_t *p = (uint8_t *)run + run->io.data_offset;
			uint32_t i;

			for (i = 0; i < run->io.count; i++, p += run->io.size)
				dispatch(vmm, vmm->pio, vmm->nr_pio, run->io.port,
					 p, run->io.size,
					 run->io.direction == KVM_EXIT_IO_OUT);
			break;
		}
		case KVM_EXIT_MMIO:
			kvm__mmio(vmm, run->mmio.phys_addr, run->mmio.data,
				  run->mmio.len, run->mmio.is_write);
			break;
		case KVM_EXIT_SHUTDOWN:
			kvm__stop(vmm, VMM_EXIT_RESET,
				  "guest reset (KVM_EXIT_SHUTDOWN: triple fault)");
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			kvm__stop(vmm, run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ?
				  VMM_EXIT_POWEROFF : VMM_EXIT_REBOOT,
				  "guest system event");
			break;
		case KVM_EXIT_INTR:
			break;
		default:
			snprintf(msg[vcpu->id], sizeof(msg[0]),
				 "vCPU %d: unexpected exit reason %u (hw %llx)",
				 vcpu->id, run->exit_reason,
				 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			kvm__stop(vmm, VMM_EXIT_ERROR, msg[vcpu->id]);
			break;
		}
	}
	return NULL;
}

static void sig_kick(int sig)
{
}

static int vcpu__init(struct vmm *vmm, int id)
{
	struct vmm_vcpu *vcpu = &vmm->vcpus[id];
	int ret;

	vcpu->vmm = vmm;
	vcpu->id = id;
	vcpu->fd = ioctl(vmm->vm_fd, KVM_CREATE_VCPU, id);
	if (vcpu->fd < 0)
		return -errno;
	vcpu->run = mmap(NULL, vmm->run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED)
		return -errno;
	ret = x86__setup_cpuid(vmm, vcpu);
	if (ret)
		return ret;
	/* APs wait for INIT/SIPI from the BSP in KVM's in-kernel LAPIC. */
	if (id == 0)
		return x86__setup_bsp(vmm, vcpu);
	return 0;
}

int kvm__init(struct vmm *vmm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t ident = IDENTITY_MAP_ADDR;
	int ret;

	vmm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vmm->kvm_fd < 0) {
		ret = -errno;
		pr_err("cannot open /dev/kvm: %s", strerror(errno));
		return ret;
	}
	if (ioctl(vmm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		pr_err("unexpected KVM API version");
		return -EINVAL;
	}
	if (ioctl(vmm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI) <= 0 ||
	    ioctl(vmm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0) {
		pr_err("KVM lacks KVM_CAP_SIGNAL_MSI or KVM_CAP_IRQCHIP");
		return -EINVAL;
	}
	vmm->run_size = ioctl(vmm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	vmm->vm_fd = ioctl(vmm->kvm_fd, KVM_CREATE_VM, 0);
	if (vmm->vm_fd < 0) {
		ret = -errno;
		pr_err("KVM_CREATE_VM: %s", strerror(errno));
		return ret;
	}
	if (ioctl(vmm->vm_fd, KVM_SET_TSS_ADDR, TSS_ADDR) ||
	    ioctl(vmm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) ||
	    ioctl(vmm->vm_fd, KVM_CREATE_IRQCHIP, 0) ||
	    ioctl(vmm->vm_fd, KVM_CREATE_PIT2, &pit)) {
		ret = -errno;
		pr_err("creating the in-kernel irqchip/PIT: %s", strerror(errno));
		return ret;
	}

	vmm->ram_size = vmm->cfg.ram_size;
	vmm->ram = vmm__mmap_aligned(vmm->ram_size, MAP_PRIVATE | MAP_NORESERVE, -1);
	if (vmm->ram == MAP_FAILED) {
		ret = -errno;
		pr_err("cannot map %llu MiB of boot RAM: %s",
		       (unsigned long long)(vmm->ram_size >> 20), strerror(errno));
		return ret;
	}
	/* as QEMU does: 2 MiB pages halve the faults and TLB misses of a boot */
	madvise(vmm->ram, vmm->ram_size, MADV_HUGEPAGE);
	ret = kvm__set_slot(vmm, 0, 0, vmm->ram_size, vmm->ram);
	if (ret) {
		pr_err("boot RAM memslot: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

int kvm__start_vcpus(struct vmm *vmm)
{
	struct sigaction sa = { .sa_handler = sig_kick };
	int i, ret;

	sigaction(SIGUSR1, &sa, NULL);
	for (i = 0; i < vmm->cfg.nr_vcpus; i++) {
		ret = vcpu__init(vmm, i);
		if (ret) {
			pr_err("vCPU %d: %s", i, strerror(-ret));
			return ret;
		}
	}
	for (i = 0; i < vmm->cfg.nr_vcpus; i++) {
		ret = pthread_create(&vmm->vcpus[i].thread, NULL, vcpu__thread,
				     &vmm->vcpus[i]);
		if (ret)
			return -ret;
	}
	return 0;
}
