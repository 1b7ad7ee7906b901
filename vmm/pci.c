// SPDX-License-Identifier: GPL-2.0
/*
 * pci: configuration mechanism #1 (ports 0xcf8/0xcfc), bus 0, a host
 * bridge and memory BAR decoding.  Linux probes conf1 by writing
 * 0x80000000 to 0xcf8 and, lacking DMI, wants a host bridge on bus 0.
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <stdlib.h>
#include <string.h>

#include "memplug/vmm-pci.h"

#define PCI_CONF1_ADDR	0xcf8
#define PCI_CONF1_DATA	0xcfc
#define PCI_MMIO_END	0xfec00000ULL		/* the IOAPIC follows */

struct vmm_pci {
	uint32_t conf1_addr;
	struct pci_device *dev[PCI_MAX_DEVICES];
	struct pci_device host_bridge;
	uint64_t next_bar;
};

static void cfg_write(struct vmm *vmm, struct pci_device *d, uint32_t off,
		      const uint8_t *data, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++, off++) {
		uint8_t v = data[i];

		if (off >= PCI_BASE_ADDRESS_0 && off < PCI_BASE_ADDRESS_0 + 24) {
			int bar = (off - PCI_BASE_ADDRESS_0) / 4;
			uint32_t mask = ~(d->bar_size[bar] - 1);

			if (!d->bar_size[bar])
				continue;
			/* low nibble holds the BAR's type bits: read-only */
			mask &= 0xfffffff0;
			v &= mask >> (8 * (off % 4));
			d->cfg[off] = (d->cfg[off] & ~(mask >> (8 * (off % 4)))) | v;
		} else if (off == PCI_COMMAND) {
			d->cfg[off] = v & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
					   PCI_COMMAND_MASTER);
		} else if (off == PCI_COMMAND + 1) {
			d->cfg[off] = v & (PCI_COMMAND_INTX_DISABLE >> 8);
		} else if (off == PCI_INTERRUPT_LINE || off == PCI_CACHE_LINE_SIZE ||
			   off == PCI_LATENCY_TIMER) {
			d->cfg[off] = v;
		}
	}
}

static void pci__conf1(struct vmm *vmm, void *opaque, uint64_t port,
		       uint8_t *data, uint32_t len, bool is_write)
{
	struct vmm_pci *pci = opaque;
	struct pci_device *d = NULL;
	uint32_t a = pci->conf1_addr, off, slot;

	if (port >= PCI_CONF1_ADDR && port < PCI_CONF1_ADDR + 4) {
		/* only a 32-bit access at 0xcf8 is the address register */
		if (port != PCI_CONF1_ADDR || len != 4) {
			if (!is_write)
				memset(data, 0xff, len);
			return;
		}
		if (is_write)
			memcpy(&pci->conf1_addr, data, 4);
		else
			memcpy(data, &pci->conf1_addr, 4);
		return;
	}
	slot = (a >> 11) & 0x1f;
	off = (a & 0xfc) + (port - PCI_CONF1_DATA);
	if ((a & 0x80000000U) && !((a >> 16) & 0xff) && !((a >> 8) & 7) &&
	    slot < PCI_MAX_DEVICES)
		d = pci->dev[slot];
	if (!d || off + len > 256) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	/* capabilities: the device's (an access never straddles 0x40) */
	if (off >= 0x40 && d->cap_access)
		d->cap_access(vmm, d, off, data, len, is_write);
	else if (is_write)
		cfg_write(vmm, d, off, data, len);
	else
		memcpy(data, d->cfg + off, len);
}

/* The whole PCI MMIO window: find the enabled BAR that decodes addr. */
static void pci__mmio(struct vmm *vmm, void *opaque, uint64_t addr,
		      uint8_t *data, uint32_t len, bool is_write)
{
	struct vmm_pci *pci = opaque;
	int i, b;

	for (i = 0; i < PCI_MAX_DEVICES; i++) {
		struct pci_device *d = pci->dev[i];

		if (!d || !(d->cfg[PCI_COMMAND] & PCI_COMMAND_MEMORY))
			continue;
		for (b = 0; b < PCI_MAX_BARS; b++) {
			uint32_t base;

			if (!d->bar_size[b])
				continue;
			memcpy(&base, d->cfg + PCI_BASE_ADDRESS_0 + 4 * b, 4);
			base &= PCI_BASE_ADDRESS_MEM_MASK;
			if (addr >= base && addr - base < d->bar_size[b] &&
			    addr - base + len <= d->bar_size[b]) {
				d->bar_fn(vmm, d->opaque,
					  PCI_BAR_ADDR(b, addr - base), data, len,
					  is_write);
				return;
			}
		}
	}
	if (!is_write)
		memset(data, 0xff, len);
}

int pci__register(struct vmm *vmm, struct pci_device *d, int slot)
{
	struct vmm_pci *pci = vmm->pci;
	int b;

	if (slot >= PCI_MAX_DEVICES || pci->dev[slot])
		return -EBUSY;
	for (b = 0; b < PCI_MAX_BARS; b++) {
		uint32_t size = d->bar_size[b];

		if (!size)
			continue;
		pci->next_bar = (pci->next_bar + size - 1) & ~(uint64_t)(size - 1);
		if (pci->next_bar + size > PCI_MMIO_END)
			return -ENOSPC;
		pci__w32(d, PCI_BASE_ADDRESS_0 + 4 * b, (uint32_t)pci->next_bar);
		pci->next_bar += size;
	}
	pci->dev[slot] = d;
	return 0;
}

int pci__init(struct vmm *vmm)
{
	struct vmm_pci *pci;
	struct pci_device *hb;
	int ret;

	pci = calloc(1, sizeof(*pci));
	if (!pci)
		return -ENOMEM;
	pci->next_bar = VMM_PCI_MMIO_BASE;
	vmm->pci = pci;

	hb = &pci->host_bridge;
	pci__w16(hb, PCI_VENDOR_ID, 0x1b36);		/* Red Hat, Inc. */
	pci__w16(hb, PCI_DEVICE_ID, 0x0008);		/* generic host bridge */
	pci__w16(hb, PCI_CLASS_DEVICE, 0x0600);		/* host bridge */
	hb->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	ret = pci__register(vmm, hb, 0);
	if (ret)
		return ret;
	ret = kvm__register_pio(vmm, PCI_CONF1_ADDR, 8, pci__conf1, pci);
	if (ret)
		return ret;
	return kvm__register_mmio(vmm, VMM_PCI_MMIO_BASE,
				  PCI_MMIO_END - VMM_PCI_MMIO_BASE, pci__mmio, pci);
}
