// SPDX-License-Identifier: GPL-2.0
/*
 * x86 firmware tables, written by the VMM instead of a BIOS:
 *
 *  - an Intel MP table (MP spec 1.4) describing the CPUs, one IOAPIC and
 *    identity-routed ISA interrupts.  Linux uses it when ACPI has no MADT.
 *  - a minimal ACPI (RSDP, RSDT, FADT, FACS, DSDT with just \_S5, MADT) so
 *    that a stock guest can power off (S5 through PM1a_CNT) and reset
 *    (FADT reset register) without an i8042 or a triple fault.  With ACPI
 *    present Linux ignores the MP table ("No APIC-table, disabling MPS"),
 *    so the MADT repeats the CPUs and the IOAPIC; the MP table remains for
 *    acpi=off.  PCI stays on the legacy conf1 probe (pci=noacpi: the DSDT
 *    has no PCI root).
 */
#include <asm/bootparam.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "memplug/vmm.h"

#define MPTABLE_ADDR	0x9fc00		/* last KiB of base memory: scanned */
#define ACPI_ADDR	0xe0000		/* the RSDP scan area */
#define ZERO_PAGE_ADDR	0x7000
#define LAPIC_ADDR	0xfee00000U
#define IOAPIC_ADDR	0xfec00000U

#define ACPI_PM1_EVT	0x600		/* PM1a event block, 4 bytes */
#define ACPI_PM1_CNT	0x604		/* PM1a control block, 2 bytes */
#define ACPI_RESET	0x608		/* reset register, 1 byte */
#define ACPI_RESET_VAL	0x1
#define ACPI_SLP_TYP_S5	5
#define ACPI_SLP_EN	(1 << 13)
#define ACPI_SCI_EN	1

/* MP spec 1.4 structures (arch/x86/include/asm/mpspec_def.h is not uapi). */
struct mpf_intel {
	char signature[4];
	uint32_t physptr;
	uint8_t length, specification, checksum, feature1;
	uint8_t feature2, feature3, feature4, feature5;
} __attribute__((packed));

struct mpc_table {
	char signature[4];
	uint16_t length;
	uint8_t spec, checksum;
	char oem[8], productid[12];
	uint32_t oemptr;
	uint16_t oemsize, oemcount;
	uint32_t lapic, reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type, apicid, apicver, cpuflag;
	uint32_t cpufeature, featureflag, reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type, busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type, apicid, apicver, flags;
	uint32_t apicaddr;
} __attribute__((packed));

struct mpc_intsrc {
	uint8_t type, irqtype;
	uint16_t irqflag;
	uint8_t srcbus, srcbusirq, dstapic, dstirq;
} __attribute__((packed));

#define MP_PROCESSOR	0
#define MP_BUS		1
#define MP_IOAPIC	2
#define MP_INTSRC	3
#define MP_LINTSRC	4
#define MP_INT		0
#define MP_NMI		1
#define MP_EXTINT	3
#define CPU_ENABLED	1
#define CPU_BSP		2
#define BUS_ISA		0
#define BUS_PCI		1

static uint8_t checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return -sum;
}

static int mptable__setup(struct vmm *vmm)
{
	uint8_t *base = (uint8_t *)vmm->ram + MPTABLE_ADDR;
	struct mpf_intel *mpf = (void *)base;
	struct mpc_table *mpc = (void *)(base + sizeof(*mpf));
	uint8_t *p = (uint8_t *)(mpc + 1);
	int ioapic_id = vmm->cfg.nr_vcpus;
	int i;

	memset(base, 0, 1024);
	memcpy(mpc->signature, "PCMP", 4);
	mpc->spec = 4;
	memcpy(mpc->oem, "MEMPLUG ", 8);
	memcpy(mpc->productid, "memplug-vmm ", 12);
	mpc->lapic = LAPIC_ADDR;

	for (i = 0; i < vmm->cfg.nr_vcpus; i++) {
		struct mpc_cpu *c = (void *)p;

		c->type = MP_PROCESSOR;
		c->apicid = i;
		c->apicver = 0x14;
		c->cpuflag = CPU_ENABLED | (i == 0 ? CPU_BSP : 0);
		c->cpufeature = 0x600;
		c->featureflag = 0x201;		/* FPU, APIC */
		p += sizeof(*c);
		mpc->oemcount++;
	}
	for (i = 0; i < 2; i++) {
		struct mpc_bus *b = (void *)p;

		b->type = MP_BUS;
		b->busid = i;
		memcpy(b->bustype, i == BUS_ISA ? "ISA   " : "PCI   ", 6);
		p += sizeof(*b);
		mpc->oemcount++;
	}
	{
		struct mpc_ioapic *io = (void *)p;

		io->type = MP_IOAPIC;
		io->apicid = ioapic_id;
		io->apicver = 0x11;
		io->flags = 1;
		io->apicaddr = IOAPIC_ADDR;
		p += sizeof(*io);
		mpc->oemcount++;
	}
	/* KVM's default routing sends GSI n to IOAPIC pin n. */
	for (i = 0; i < 16; i++) {
		struct mpc_intsrc *s = (void *)p;

		s->type = MP_INTSRC;
		s->irqtype = MP_INT;
		s->srcbus = BUS_ISA;
		s->srcbusirq = i;
		s->dstapic = ioapic_id;
		s->dstirq = i;
		p += sizeof(*s);
		mpc->oemcount++;
	}
	for (i = 0; i < 2; i++) {
		struct mpc_intsrc *s = (void *)p;

		s->type = MP_LINTSRC;
		s->irqtype = i ? MP_NMI : MP_EXTINT;
		s->srcbus = BUS_ISA;
		s->dstapic = 0xff;
		s->dstirq = i;
		p += sizeof(*s);
		mpc->oemcount++;
	}
	mpc->length = p - (uint8_t *)mpc;
	mpc->checksum = checksum(mpc, mpc->length);

	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = MPTABLE_ADDR + sizeof(*mpf);
	mpf->length = 1;
	mpf->specification = 4;
	mpf->checksum = checksum(mpf, sizeof(*mpf));
	return 0;
}

/* ACPI */

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem_id[6], oem_table_id[8];
	uint32_t oem_revision;
	char asl_compiler_id[4];
	uint32_t asl_compiler_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt_address;
} __attribute__((packed));

/* Generic address structure */
struct acpi_gas {
	uint8_t space_id, bit_width, bit_offset, access_size;
	uint64_t address;
} __attribute__((packed));

/* FADT, ACPI 2.0 layout up to the reset register (revision 3, 244 bytes) */
struct acpi_fadt {
	struct acpi_header h;
	uint32_t facs, dsdt;
	uint8_t model, pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint8_t reserved2[3];
	uint64_t x_facs, x_dsdt;
	struct acpi_gas x_pm1a_evt, x_pm1b_evt, x_pm1a_cnt, x_pm1b_cnt;
	struct acpi_gas x_pm2_cnt, x_pm_tmr, x_gpe0, x_gpe1;
} __attribute__((packed));

#define FADT_F_WBINVD		(1 << 0)
#define FADT_F_RESET_REG_SUP	(1 << 10)
#define BOOT_ARCH_NO_VGA	(1 << 2)
#define BOOT_ARCH_NO_CMOS_RTC	(1 << 5)

/* AML: Name (_S5, Package (4) { 5, 5, 0, 0 }) */
static const uint8_t dsdt_aml[] = {
	0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
	0x0a, ACPI_SLP_TYP_S5, 0x0a, ACPI_SLP_TYP_S5, 0x00, 0x00,
};

/* MADT entries (ACPI 6.x §5.2.12) */
struct madt_lapic {
	uint8_t type, len, processor_id, apic_id;
	uint32_t flags;
} __attribute__((packed));

struct madt_ioapic {
	uint8_t type, len, id, reserved;
	uint32_t addr, gsi_base;
} __attribute__((packed));

struct madt_lapic_nmi {
	uint8_t type, len, processor_id;
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

#define MADT_PCAT_COMPAT	1
#define MADT_LAPIC		0
#define MADT_IOAPIC		1
#define MADT_LAPIC_NMI		4

static void acpi_header(struct acpi_header *h, const char *sig, uint32_t len,
			uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, "MEMPLG", 6);
	memcpy(h->oem_table_id, "MEMPLUGV", 8);
	h->oem_revision = 1;
	memcpy(h->asl_compiler_id, "MPLG", 4);
	h->asl_compiler_revision = 1;
}

/*
 * PM1 event block: status (write 1 to clear; nothing ever sets a bit) and
 * enable, which ACPICA reads back after enabling the global lock event.
 */
static uint16_t pm1_en;

static void acpi__io(struct vmm *vmm, void *opaque, uint64_t port,
		     uint8_t *data, uint32_t len, bool is_write)
{
	uint32_t val = 0;

	if (!is_write) {
		memset(data, 0, len);
		if (port == ACPI_PM1_CNT)
			data[0] = ACPI_SCI_EN;	/* already in ACPI mode */
		else if (port == ACPI_PM1_EVT + 2)
			memcpy(data, &pm1_en, len < 2 ? len : 2);
		return;
	}
	memcpy(&val, data, len < 4 ? len : 4);
	if (port == ACPI_PM1_EVT + 2)
		pm1_en = val;
	else if (port == ACPI_PM1_EVT && len == 4)
		pm1_en = val >> 16;
	if (port == ACPI_PM1_CNT && (val & ACPI_SLP_EN) &&
	    ((val >> 10) & 7) == ACPI_SLP_TYP_S5)
		kvm__stop(vmm, VMM_EXIT_POWEROFF, "guest powered off (ACPI S5)");
	else if (port == ACPI_RESET && (val & 0xff) == ACPI_RESET_VAL)
		kvm__stop(vmm, VMM_EXIT_REBOOT, "guest rebooted (ACPI reset register)");
}

static int acpi__setup(struct vmm *vmm)
{
	uint8_t *base = (uint8_t *)vmm->ram + ACPI_ADDR;
	uint32_t rsdp_a = ACPI_ADDR, rsdt_a = ACPI_ADDR + 0x40;
	uint32_t facs_a = ACPI_ADDR + 0x80, fadt_a = ACPI_ADDR + 0x100;
	uint32_t dsdt_a = ACPI_ADDR + 0x200, madt_a = ACPI_ADDR + 0x300;
	struct acpi_header *madt = (void *)(base + (madt_a - ACPI_ADDR));
	uint32_t tables[2] = { fadt_a, madt_a };
	uint8_t *p;
	int i;
	struct acpi_rsdp *rsdp = (void *)(base + (rsdp_a - ACPI_ADDR));
	struct acpi_header *rsdt = (void *)(base + (rsdt_a - ACPI_ADDR));
	uint8_t *facs = base + (facs_a - ACPI_ADDR);
	struct acpi_fadt *fadt = (void *)(base + (fadt_a - ACPI_ADDR));
	struct acpi_header *dsdt = (void *)(base + (dsdt_a - ACPI_ADDR));
	struct boot_params *bp = (void *)((uint8_t *)vmm->ram + ZERO_PAGE_ADDR);
	uint32_t len;

	memset(base, 0, 0x1000);

	len = sizeof(*dsdt) + sizeof(dsdt_aml);
	acpi_header(dsdt, "DSDT", len, 2);
	memcpy(dsdt + 1, dsdt_aml, sizeof(dsdt_aml));
	dsdt->checksum = checksum(dsdt, len);

	memcpy(facs, "FACS", 4);
	*(uint32_t *)(facs + 4) = 64;
	facs[32] = 1;				/* version */

	acpi_header(&fadt->h, "FACP", sizeof(*fadt), 3);
	fadt->facs = facs_a;
	fadt->dsdt = dsdt_a;
	fadt->sci_int = 9;
	fadt->pm1a_evt_blk = ACPI_PM1_EVT;
	fadt->pm1a_cnt_blk = ACPI_PM1_CNT;
	fadt->pm1_evt_len = 4;
	fadt->pm1_cnt_len = 2;
	fadt->iapc_boot_arch = BOOT_ARCH_NO_VGA | BOOT_ARCH_NO_CMOS_RTC;
	fadt->flags = FADT_F_WBINVD | FADT_F_RESET_REG_SUP;
	fadt->reset_reg = (struct acpi_gas){ 1 /* system I/O */, 8, 0, 1, ACPI_RESET };
	fadt->reset_value = ACPI_RESET_VAL;
	fadt->h.checksum = checksum(fadt, sizeof(*fadt));

	/* MADT: LAPIC address and flags, then the entries */
	p = (uint8_t *)(madt + 1);
	*(uint32_t *)p = LAPIC_ADDR;
	*(uint32_t *)(p + 4) = MADT_PCAT_COMPAT;
	p += 8;
	for (i = 0; i < vmm->cfg.nr_vcpus; i++) {
		struct madt_lapic *l = (void *)p;

		*l = (struct madt_lapic){ MADT_LAPIC, sizeof(*l), i, i, 1 /* enabled */ };
		p += sizeof(*l);
	}
	{
		struct madt_ioapic *io = (void *)p;

		*io = (struct madt_ioapic){ MADT_IOAPIC, sizeof(*io),
					    vmm->cfg.nr_vcpus, 0, IOAPIC_ADDR, 0 };
		p += sizeof(*io);
	}
	{
		struct madt_lapic_nmi *n = (void *)p;

		*n = (struct madt_lapic_nmi){ MADT_LAPIC_NMI, sizeof(*n), 0xff, 0, 1 };
		p += sizeof(*n);
	}
	len = p - (uint8_t *)madt;
	acpi_header(madt, "APIC", len, 3);
	madt->checksum = checksum(madt, len);

	len = sizeof(*rsdt) + sizeof(tables);
	acpi_header(rsdt, "RSDT", len, 1);
	memcpy(rsdt + 1, tables, sizeof(tables));
	rsdt->checksum = checksum(rsdt, len);

	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, "MEMPLG", 6);
	rsdp->rsdt_address = rsdt_a;
	rsdp->checksum = checksum(rsdp, sizeof(*rsdp));
	bp->acpi_rsdp_addr = rsdp_a;

	return kvm__register_pio(vmm, ACPI_PM1_EVT, 9, acpi__io, NULL);
}

int x86__setup_tables(struct vmm *vmm)
{
	int ret;

	ret = mptable__setup(vmm);
	if (ret)
		return ret;
	return acpi__setup(vmm);
}
