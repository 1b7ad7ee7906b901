/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memplug-vmm core: the VM, its vCPUs, guest memory and the I/O bus.
 *
 * Device emulation runs on the vCPU thread that exits, under one lock
 * (vmm->dev_lock): the VMM has three small devices and requests are short,
 * so a finer scheme would buy nothing.  Work that may take long (returning
 * unplugged memory to the host) runs on helper threads.
 */
#ifndef MEMPLUG_VMM_H
#define MEMPLUG_VMM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "memplug/clock.h"
#include "memplug/hotplug_config.h"
#include "memplug/vmm-region.h"

#define VMM_MAX_VCPUS		4
#define VMM_MAX_IO		16

/* Guest-physical layout (x86). */
#define VMM_MMIO_HOLE_START	0xc0000000ULL	/* boot RAM ends below */
#define VMM_PCI_MMIO_BASE	0xc0000000ULL	/* BARs are placed here */
#define VMM_HOTPLUG_MIN_GPA	0x100000000ULL	/* hotplug region above 4 GiB */
#define VMM_HOTPLUG_RESERVE_DEFAULT	(16ULL << 30)	/* --paused without --hotplug */

/* Why the guest stopped (vmm->exit_reason). */
enum vmm_exit {
	VMM_EXIT_NONE,
	VMM_EXIT_POWEROFF,	/* ACPI S5: exit 0 */
	VMM_EXIT_REBOOT,	/* guest asked for a reset: exit 0, reported */
	VMM_EXIT_RESET,		/* KVM_EXIT_SHUTDOWN: triple fault, exit 3 */
	VMM_EXIT_ERROR,		/* VMM or KVM failure: exit 1 */
	VMM_EXIT_TIMEOUT,	/* the guest did not reach init in time: exit 4 */
};

struct vmm_config {
	const char *kernel;
	const char *initrd;
	const char *append;
	const char *console_file;	/* copy of the console output */
	bool console_stdio;		/* console on stdout, input from stdin */
	const char *ctl_path;		/* control socket */
	const char *hotplug_json;	/* PUT body (string) */
	uint64_t ram_size;		/* boot RAM, bytes */
	int nr_vcpus;
	int boot_timeout;		/* seconds until the guest's init, 0: none */
	enum vmm_attach attach;		/* when hotplug slots get memslots */
	const char *daemon_path;	/* register with memplugd there */
	bool paused;			/* boot on memplugd's START */
};

struct vmm;

/* A port-I/O or MMIO range handled by a device. */
typedef void (*vmm_io_fn)(struct vmm *vmm, void *opaque, uint64_t addr,
			  uint8_t *data, uint32_t len, bool is_write);

struct vmm_io_range {
	uint64_t base, len;
	vmm_io_fn fn;
	void *opaque;
};

struct vmm_vcpu {
	struct vmm *vmm;
	int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
};

struct vmm_region;
struct virtio_mem;
struct vmm_serial;
struct vmm_pci;
struct vmm_control;

struct vmm {
	struct vmm_config cfg;
	int kvm_fd, vm_fd;
	size_t run_size;
	struct vmm_vcpu vcpus[VMM_MAX_VCPUS];

	void *ram;			/* boot RAM at GPA 0 */
	uint64_t ram_size;

	pthread_mutex_t dev_lock;
	struct vmm_io_range pio[VMM_MAX_IO], mmio[VMM_MAX_IO];
	int nr_pio, nr_mmio;

	struct vmm_region *hp;
	struct virtio_mem *vmem;
	struct vmm_serial *serial;
	struct vmm_pci *pci;
	struct vmm_control *ctl;
	struct vmm_memplugd *daemon;

	struct hotplug_config hc;	/* the PUT config, with has_hc */
	bool has_hc;
	bool running;			/* vCPUs started */
	uint64_t start_ns;		/* process start, then guest start */
	uint64_t init_ns;		/* guest printed its ready line */
	pthread_mutex_t exit_lock;
	pthread_cond_t exit_cond;
	enum vmm_exit exit_reason;
	const char *exit_msg;
};

#define pr_info(fmt, ...) fprintf(stderr, "memplug-vmm: " fmt "\n", ##__VA_ARGS__)
#define pr_err(fmt, ...) fprintf(stderr, "memplug-vmm: error: " fmt "\n", ##__VA_ARGS__)


/* start.c: the hotplug region, at least @size and @hc's total (if any) */
int vmm__reserve_hotplug(struct vmm *vmm, const struct hotplug_config *hc,
			 uint64_t size);
/* start.c: take a PUT config before the start; 0 or -errno and @err */
int vmm__set_hotplug(struct vmm *vmm, const struct hotplug_config *hc,
		     char *err, size_t len);
/* start.c: build the virtio-mem device and start the vCPUs, once */
int vmm__start(struct vmm *vmm);
/* mmap @size at a 2 MiB-aligned address (fd < 0: anonymous, RW) */
void *vmm__mmap_aligned(uint64_t size, int flags, int fd);

/* kvm.c */
int kvm__init(struct vmm *vmm);
int kvm__start_vcpus(struct vmm *vmm);
void kvm__stop(struct vmm *vmm, enum vmm_exit reason, const char *msg);
int kvm__set_slot(struct vmm *vmm, uint32_t slot, uint64_t gpa, uint64_t size,
		  void *hva);
void kvm__irq_line(struct vmm *vmm, int irq, int level);
int kvm__signal_msi(struct vmm *vmm, uint64_t addr, uint32_t data);
int kvm__register_pio(struct vmm *vmm, uint64_t base, uint64_t len,
		      vmm_io_fn fn, void *opaque);
int kvm__register_mmio(struct vmm *vmm, uint64_t base, uint64_t len,
		       vmm_io_fn fn, void *opaque);
void *kvm__gpa_to_hva(struct vmm *vmm, uint64_t gpa, uint64_t len);
/* a KVM_EXIT_MMIO: to the device registered for @addr */
void kvm__mmio(struct vmm *vmm, uint64_t addr, uint8_t *data, uint32_t len,
	       bool is_write);

/* x86-boot.c */
int x86__load_kernel(struct vmm *vmm);
int x86__setup_bsp(struct vmm *vmm, struct vmm_vcpu *vcpu);
int x86__setup_cpuid(struct vmm *vmm, struct vmm_vcpu *vcpu);

/* x86-tables.c: MP table (CPUs, IOAPIC) and ACPI (power off, reset). */
int x86__setup_tables(struct vmm *vmm);

/* serial.c */
int serial__init(struct vmm *vmm);
void serial__input(struct vmm *vmm, const char *buf, size_t len);

/* pci.c */
int pci__init(struct vmm *vmm);

/* seccomp.c: KVM_SET_USER_MEMORY_REGION fails with EPERM from now on */
int vmm__deny_memslot_ioctls(void);

/* memplugd.c: memplugd's client (--daemon) */
struct vmm_memplugd;
int memplugd__init(struct vmm *vmm, const char *path);
struct hotplug_patch;
/* a PATCH on the control socket: refused while memplugd sets the size */
int memplugd__patch(struct vmm *vmm, const struct hotplug_patch *p,
		    char *err, size_t errlen);

/* control.c */
int control__init(struct vmm *vmm);
void control__exit(struct vmm *vmm);
int control__client(const char *path, int argc, char **argv);

#endif
