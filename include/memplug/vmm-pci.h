/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memplug-vmm PCI: bus 0 behind configuration mechanism #1, a host bridge
 * at 00:00.0 and endpoint devices with 32-bit memory BARs placed by the
 * VMM in the MMIO hole (Linux keeps firmware-assigned BARs).
 */
#ifndef MEMPLUG_VMM_PCI_H
#define MEMPLUG_VMM_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "memplug/vmm.h"

#define PCI_MAX_DEVICES	4
#define PCI_MAX_BARS	6

struct pci_device {
	uint8_t cfg[256];
	uint32_t bar_size[PCI_MAX_BARS];	/* power of two, 0: none */
	vmm_io_fn bar_fn;			/* access to a BAR: addr = bar<<60 | off */
	void *opaque;
	/*
	 * An access to the capabilities (>= 0x40, within the 256 bytes): the
	 * device decides what is writable and may answer reads itself.
	 */
	void (*cap_access)(struct vmm *vmm, struct pci_device *dev, uint32_t off,
			   uint8_t *data, uint32_t len, bool is_write);
};

#define PCI_BAR_ADDR(bar, off)	(((uint64_t)(bar) << 60) | (off))
#define PCI_BAR_OF(addr)	((int)((addr) >> 60))
#define PCI_OFF_OF(addr)	((addr) & ((1ULL << 60) - 1))

/* Registers @dev at 00:@slot.0 and places its BARs; 0 or -errno. */
int pci__register(struct vmm *vmm, struct pci_device *dev, int slot);

static inline void pci__w16(struct pci_device *d, int off, uint16_t v)
{
	d->cfg[off] = v;
	d->cfg[off + 1] = v >> 8;
}

static inline void pci__w32(struct pci_device *d, int off, uint32_t v)
{
	pci__w16(d, off, v);
	pci__w16(d, off + 2, v >> 16);
}

static inline uint16_t pci__r16(struct pci_device *d, int off)
{
	return d->cfg[off] | d->cfg[off + 1] << 8;
}

#endif
