// SPDX-License-Identifier: GPL-2.0
/*
 * x86 boot: load a bzImage and its initrd by the Linux boot protocol
 * (Documentation/x86/boot.rst) and enter the kernel's 64-bit entry point
 * directly, with the identity-mapped page tables and flat GDT it expects.
 * No firmware runs: that is where most of a direct-boot VMM's speed comes
 * from.
 */
#include <asm/bootparam.h>
#include <asm/e820.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memplug/vmm.h"

/* Low-memory layout of what the VMM writes before the kernel runs. */
#define GDT_ADDR		0x500
#define BOOT_STACK		0x8ff0
#define ZERO_PAGE_ADDR		0x7000
#define PML4_ADDR		0x9000
#define PDPT_ADDR		0xa000
#define PD_ADDR			0xb000		/* 4 pages: 4 GiB of 2 MiB pages */
#define CMDLINE_ADDR		0x20000
#define CMDLINE_MAX		2048
#define EBDA_START		0x9fc00
#define HIMEM_START		0x100000

#define CR0_PE			(1ULL << 0)
#define CR0_ET			(1ULL << 4)
#define CR0_PG			(1ULL << 31)
#define CR4_PAE			(1ULL << 5)
#define EFER_LME		(1ULL << 8)
#define EFER_LMA		(1ULL << 10)

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	ssize_t n;
	size_t off = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out;
	}
	*len = st.st_size;
	*buf = malloc(*len ? *len : 1);
	if (!*buf) {
		ret = -ENOMEM;
		goto out;
	}
	while (off < *len) {
		n = read(fd, *buf + off, *len - off);
		if (n <= 0) {
			ret = n ? -errno : -EIO;
			free(*buf);
			goto out;
		}
		off += n;
	}
out:
	close(fd);
	return ret;
}

static void e820_add(struct boot_params *bp, uint64_t addr, uint64_t size,
		     uint32_t type)
{
	struct boot_e820_entry *e = &bp->e820_table[bp->e820_entries++];

	e->addr = addr;
	e->size = size;
	e->type = type;
}

int x86__load_kernel(struct vmm *vmm)
{
	struct boot_params *bp = (void *)((uint8_t *)vmm->ram + ZERO_PAGE_ADDR);
	struct setup_header *hdr;
	uint8_t *kernel, *initrd;
	size_t klen, ilen, setup_size;
	uint64_t initrd_addr, initrd_max;
	int ret;

	ret = read_file(vmm->cfg.kernel, &kernel, &klen);
	if (ret) {
		pr_err("cannot read kernel %s: %s", vmm->cfg.kernel, strerror(-ret));
		return ret;
	}
	hdr = (struct setup_header *)(kernel + 0x1f1);
	if (klen < 0x1000 || hdr->header != 0x53726448 /* "HdrS" */ ||
	    hdr->version < 0x20c || !(hdr->xloadflags & XLF_KERNEL_64)) {
		pr_err("%s is not a 64-bit bzImage (boot protocol >= 2.12)",
		       vmm->cfg.kernel);
		ret = -ENOEXEC;
		goto out;
	}
	setup_size = ((hdr->setup_sects ? hdr->setup_sects : 4) + 1) * 512;
	if (HIMEM_START + (klen - setup_size) > vmm->ram_size ||
	    HIMEM_START + hdr->init_size > vmm->ram_size) {
		pr_err("boot RAM too small for the kernel");
		ret = -ENOMEM;
		goto out;
	}
	memcpy((uint8_t *)vmm->ram + HIMEM_START, kernel + setup_size,
	       klen - setup_size);

	memset(bp, 0, sizeof(*bp));
	/* The header is copied as-is: the kernel reads its own fields back. */
	memcpy(&bp->hdr, hdr, 0x202 + kernel[0x201] - 0x1f1);
	bp->hdr.type_of_loader = 0xff;
	bp->hdr.loadflags |= LOADED_HIGH | CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.cmd_line_ptr = CMDLINE_ADDR;
	bp->hdr.cmdline_size = CMDLINE_MAX;
	if (strlen(vmm->cfg.append) >= CMDLINE_MAX) {
		pr_err("kernel command line longer than %d bytes", CMDLINE_MAX - 1);
		ret = -E2BIG;
		goto out;
	}
	strcpy((char *)vmm->ram + CMDLINE_ADDR, vmm->cfg.append);

	if (vmm->cfg.initrd) {
		ret = read_file(vmm->cfg.initrd, &initrd, &ilen);
		if (ret) {
			pr_err("cannot read initrd %s: %s", vmm->cfg.initrd,
			       strerror(-ret));
			goto out;
		}
		/* As high as the kernel allows: out of the decompressor's way. */
		initrd_max = hdr->initrd_addr_max;
		if (initrd_max > vmm->ram_size - 1)
			initrd_max = vmm->ram_size - 1;
		initrd_addr = (initrd_max + 1 - ilen) & ~0xfffULL;
		if (ilen > initrd_max ||
		    initrd_addr < HIMEM_START + hdr->init_size) {
			pr_err("boot RAM too small for kernel + initrd");
			free(initrd);
			ret = -ENOMEM;
			goto out;
		}
		memcpy((uint8_t *)vmm->ram + initrd_addr, initrd, ilen);
		bp->hdr.ramdisk_image = initrd_addr;
		bp->hdr.ramdisk_size = ilen;
		free(initrd);
	}

	e820_add(bp, 0, EBDA_START, E820_RAM);
	e820_add(bp, EBDA_START, HIMEM_START - EBDA_START, E820_RESERVED);
	e820_add(bp, HIMEM_START, vmm->ram_size - HIMEM_START, E820_RAM);
	ret = 0;
out:
	free(kernel);
	return ret;
}

static void setup_page_tables(struct vmm *vmm)
{
	uint64_t *pml4 = (void *)((uint8_t *)vmm->ram + PML4_ADDR);
	uint64_t *pdpt = (void *)((uint8_t *)vmm->ram + PDPT_ADDR);
	uint64_t *pd = (void *)((uint8_t *)vmm->ram + PD_ADDR);
	int i;

	/*
	 * Identity-map 4 GiB with 2 MiB pages: the decompressor builds its
	 * own tables but needs the kernel, boot_params and command line
	 * reachable on entry.
	 */
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = PDPT_ADDR | 0x3;
	for (i = 0; i < 4; i++)
		pdpt[i] = (PD_ADDR + i * 4096) | 0x3;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;	/* P | RW | PS */
}

static void set_seg(struct kvm_segment *s, uint16_t sel, uint8_t type,
		    bool l, bool db)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xfffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->l = l;
	s->db = db;
	s->g = 1;
}

int x86__setup_bsp(struct vmm *vmm, struct vmm_vcpu *vcpu)
{
	uint64_t *gdt = (void *)((uint8_t *)vmm->ram + GDT_ADDR);
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_fpu fpu;

	/* null, null, code64 (0x10), data (0x18), tss (0x20) */
	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = 0x00af9b000000ffffULL;
	gdt[3] = 0x00cf93000000ffffULL;
	gdt[4] = 0x008f8b000000ffffULL;
	setup_page_tables(vmm);

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs))
		return -errno;
	sregs.gdt.base = GDT_ADDR;
	sregs.gdt.limit = 5 * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	set_seg(&sregs.cs, 0x10, 0xb, true, false);
	set_seg(&sregs.ds, 0x18, 0x3, false, true);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	set_seg(&sregs.tr, 0x20, 0xb, false, false);
	sregs.tr.s = 0;
	sregs.cr0 = CR0_PE | CR0_ET | CR0_PG;
	sregs.cr3 = PML4_ADDR;
	sregs.cr4 = CR4_PAE;
	sregs.efer = EFER_LME | EFER_LMA;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs))
		return -errno;

	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(vcpu->fd, KVM_SET_FPU, &fpu))
		return -errno;

	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2;
	regs.rip = HIMEM_START + 0x200;		/* startup_64 */
	regs.rsi = ZERO_PAGE_ADDR;
	regs.rsp = regs.rbp = BOOT_STACK;
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs))
		return -errno;
	return 0;
}

int x86__setup_cpuid(struct vmm *vmm, struct vmm_vcpu *vcpu)
{
	struct kvm_cpuid2 *cpuid;
	int nent = 256, ret = 0;
	bool tsc_deadline;
	uint32_t i;

	tsc_deadline = ioctl(vmm->kvm_fd, KVM_CHECK_EXTENSION,
			     KVM_CAP_TSC_DEADLINE_TIMER) > 0;

	cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));
	if (!cpuid)
		return -ENOMEM;
	cpuid->nent = nent;
	if (ioctl(vmm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid)) {
		ret = -errno;
		goto out;
	}
	for (i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		switch (e->function) {
		case 1:
			/* initial APIC id and logical CPU count */
			e->ebx = (e->ebx & 0xffff) | (vcpu->id << 24) |
				 (vmm->cfg.nr_vcpus << 16);
			e->ecx |= 1U << 31;	/* hypervisor */
			/*
			 * KVM emulates the TSC-deadline LAPIC timer but leaves
			 * advertising it to userspace.  Without it Linux
			 * calibrates the LAPIC timer against the PIT, which
			 * under nested TCG fails ("APIC timer disabled due to
			 * verification failure") and leaves the guest on PIT
			 * broadcast ticks: memory offlining then ran 4x slower
			 * than under QEMU, which sets the bit.
			 */
			if (tsc_deadline)
				e->ecx |= 1U << 24;
			break;
		case 0xb:
		case 0x1f:
			e->edx = vcpu->id;
			break;
		}
	}
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid))
		ret = -errno;
out:
	free(cpuid);
	return ret;
}
