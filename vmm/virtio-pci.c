// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-pci: the modern transport (virtio 1.2 §4.1).  One 32 KiB memory
 * BAR holds the common, ISR, device-config and notify structures and the
 * MSI-X table and PBA; interrupts are MSI-X messages sent with
 * KVM_SIGNAL_MSI to the in-kernel irqchip.  No legacy interface, no INTx:
 * Linux's virtio_pci uses MSI-X whenever the device offers it.
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "memplug/vmm-pci.h"
#include "memplug/vmm-virtio.h"

#define BAR_SIZE	0x8000
#define COMMON_OFF	0x0000
#define ISR_OFF		0x1000
#define DEVICE_OFF	0x2000
#define NOTIFY_OFF	0x3000
#define NOTIFY_MULT	4
#define MSIX_TABLE_OFF	0x4000
#define MSIX_PBA_OFF	0x5000
#define REGION_LEN	0x1000
/* capabilities: 0x40 common, 0x50 ISR, 0x60 device, 0x70 notify (20 bytes) */
#define CAP_PCI_CFG	0x84
#define CAP_MSIX	0x98
#define NR_VECTORS	(VIRTIO_MAX_QUEUES + 1)
#define PCI_VENDOR_REDHAT_QUMRANET	0x1af4
#define VIRTIO_PCI_MODERN_ID_BASE	0x1040

struct virtio_pci {
	struct pci_device pci;
	struct virtio_device *vdev;
	struct vmm *vmm;
	uint32_t dfselect, gfselect;
	uint16_t queue_sel;
	uint8_t isr;
	uint32_t msix[NR_VECTORS][4];
	uint64_t msix_pending;
};

static void *translate(void *ctx, uint64_t gpa, uint64_t len)
{
	return kvm__gpa_to_hva(ctx, gpa, len);
}

static bool msix_enabled(struct virtio_pci *vp)
{
	uint16_t ctl = pci__r16(&vp->pci, CAP_MSIX + PCI_MSIX_FLAGS);

	return (ctl & PCI_MSIX_FLAGS_ENABLE) && !(ctl & PCI_MSIX_FLAGS_MASKALL);
}

static void msix_fire(struct virtio_pci *vp, uint16_t vec)
{
	uint32_t *e;

	if (vec == VIRTIO_MSI_NO_VECTOR || vec >= NR_VECTORS)
		return;
	e = vp->msix[vec];
	if (!msix_enabled(vp) || (e[3] & PCI_MSIX_ENTRY_CTRL_MASKBIT)) {
		vp->msix_pending |= 1ULL << vec;
		return;
	}
	vp->msix_pending &= ~(1ULL << vec);
	if (kvm__signal_msi(vp->vmm, ((uint64_t)e[1] << 32) | e[0], e[2]) < 0)
		pr_err("KVM_SIGNAL_MSI failed");
}

/* deliver what was held back while masked */
static void msix_unmasked(struct virtio_pci *vp)
{
	int v;

	for (v = 0; v < NR_VECTORS; v++)
		if (vp->msix_pending & (1ULL << v))
			msix_fire(vp, v);
}

static void signal_vq(struct virtio_device *vdev, int q)
{
	struct virtio_pci *vp = vdev->transport;

	vp->isr |= 1;
	msix_fire(vp, vdev->vqs[q].msix_vector);
}

static void signal_config(struct virtio_device *vdev)
{
	struct virtio_pci *vp = vdev->transport;

	vp->isr |= 2;
	msix_fire(vp, vdev->msix_config);
}

static void reset(struct virtio_pci *vp)
{
	struct virtio_device *vdev = vp->vdev;
	int q;

	vdev->status = 0;
	vdev->driver_features = 0;
	vdev->msix_config = VIRTIO_MSI_NO_VECTOR;
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		struct virtqueue *vq = &vdev->vqs[q];

		memset(vq, 0, sizeof(*vq));
		vq->size = vdev->ops->queue_size;
		vq->msix_vector = VIRTIO_MSI_NO_VECTOR;
		vq->translate = translate;
		vq->translate_ctx = vp->vmm;
	}
	vp->isr = 0;
}

static struct virtqueue *cur_vq(struct virtio_pci *vp)
{
	return vp->queue_sel < vp->vdev->ops->nr_queues ?
	       &vp->vdev->vqs[vp->queue_sel] : NULL;
}

static void common_read(struct virtio_pci *vp, uint32_t off, uint8_t *data,
			uint32_t len)
{
	struct virtio_device *vdev = vp->vdev;
	struct virtqueue *vq = cur_vq(vp);
	struct virtio_pci_common_cfg c;

	memset(&c, 0, sizeof(c));
	c.device_feature_select = vp->dfselect;
	c.device_feature = vp->dfselect < 2 ?
			   (uint32_t)(vdev->ops->features >> (32 * vp->dfselect)) : 0;
	c.guest_feature_select = vp->gfselect;
	c.guest_feature = vp->gfselect < 2 ?
			  (uint32_t)(vdev->driver_features >> (32 * vp->gfselect)) : 0;
	c.msix_config = vdev->msix_config;
	c.num_queues = vdev->ops->nr_queues;
	c.device_status = vdev->status;
	c.config_generation = vdev->config_generation;
	c.queue_select = vp->queue_sel;
	if (vq) {
		c.queue_size = vq->size;
		c.queue_msix_vector = vq->msix_vector;
		c.queue_enable = vq->enabled;
		c.queue_notify_off = vp->queue_sel;
		c.queue_desc_lo = vq->desc_gpa;
		c.queue_desc_hi = vq->desc_gpa >> 32;
		c.queue_avail_lo = vq->avail_gpa;
		c.queue_avail_hi = vq->avail_gpa >> 32;
		c.queue_used_lo = vq->used_gpa;
		c.queue_used_hi = vq->used_gpa >> 32;
	}
	if (off + len <= sizeof(c))
		memcpy(data, (uint8_t *)&c + off, len);
	else
		memset(data, 0, len);
}

static void set_half(uint64_t *v, bool hi, uint32_t val)
{
	if (hi)
		*v = (*v & 0xffffffffULL) | ((uint64_t)val << 32);
	else
		*v = (*v & ~0xffffffffULL) | val;
}

#define CC(f) offsetof(struct virtio_pci_common_cfg, f)

static void status_write(struct virtio_pci *vp, uint8_t v)
{
	struct virtio_device *vdev = vp->vdev;
	bool kick;
	int q;

	if (!v) {
		reset(vp);
		return;
	}
	if ((v & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(vdev->status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    (vdev->driver_features & ~vdev->ops->features ||
	     (vdev->ops->features_ok &&
	      !vdev->ops->features_ok(vdev, vdev->driver_features))))
		v &= ~VIRTIO_CONFIG_S_FEATURES_OK;	/* the driver sees the refusal */
	kick = (v & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(vdev->status & VIRTIO_CONFIG_S_DRIVER_OK);
	vdev->status = v | (vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* buffers made available before DRIVER_OK wait for it */
	for (q = 0; kick && q < vdev->ops->nr_queues; q++)
		if (vdev->vqs[q].enabled)
			vdev->ops->notify_vq(vdev, q);
}

static void common_write(struct virtio_pci *vp, uint32_t off, uint8_t *data,
			 uint32_t len)
{
	struct virtio_device *vdev = vp->vdev;
	struct virtqueue *vq = cur_vq(vp);
	uint32_t v = 0;

	memcpy(&v, data, len < 4 ? len : 4);
	switch (off) {
	case CC(device_feature_select):
		vp->dfselect = v;
		break;
	case CC(guest_feature_select):
		vp->gfselect = v;
		break;
	case CC(guest_feature):
		if (vp->gfselect < 2 && !(vdev->status & VIRTIO_CONFIG_S_FEATURES_OK))
			set_half(&vdev->driver_features, vp->gfselect, v);
		break;
	case CC(msix_config):
		vdev->msix_config = v < NR_VECTORS ? v : VIRTIO_MSI_NO_VECTOR;
		break;
	case CC(device_status):
		status_write(vp, v);
		break;
	case CC(queue_select):
		vp->queue_sel = v;
		break;
	case CC(queue_size):
		/* the driver may shrink the queue (a power of two) */
		if (vq && !vq->enabled && v && v <= vdev->ops->queue_size &&
		    !(v & (v - 1)))
			vq->size = v;
		break;
	case CC(queue_msix_vector):
		if (vq)
			vq->msix_vector = v < NR_VECTORS ? v : VIRTIO_MSI_NO_VECTOR;
		break;
	case CC(queue_enable):
		if (vq && v == 1 && !vq->enabled) {
			if (virtqueue__map(vq)) {
				pr_err("virtqueue %u: rings outside guest RAM",
				       vp->queue_sel);
				vdev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
				signal_config(vdev);
			} else {
				vq->enabled = true;
			}
		}
		break;
	case CC(queue_desc_lo): case CC(queue_desc_hi):
		if (vq && !vq->enabled)
			set_half(&vq->desc_gpa, off == CC(queue_desc_hi), v);
		break;
	case CC(queue_avail_lo): case CC(queue_avail_hi):
		if (vq && !vq->enabled)
			set_half(&vq->avail_gpa, off == CC(queue_avail_hi), v);
		break;
	case CC(queue_used_lo): case CC(queue_used_hi):
		if (vq && !vq->enabled)
			set_half(&vq->used_gpa, off == CC(queue_used_hi), v);
		break;
	}
}

static void msix_access(struct virtio_pci *vp, uint32_t off, uint8_t *data,
			uint32_t len, bool is_write)
{
	if (off >= MSIX_PBA_OFF) {
		if (!is_write) {
			uint64_t p = vp->msix_pending;

			off -= MSIX_PBA_OFF;
			memset(data, 0, len);
			if (off < 8)
				memcpy(data, (uint8_t *)&p + off,
				       len < 8 - off ? len : 8 - off);
		}
		return;
	}
	off -= MSIX_TABLE_OFF;
	if (off + len > sizeof(vp->msix)) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (is_write) {
		memcpy((uint8_t *)vp->msix + off, data, len);
		msix_unmasked(vp);
	} else {
		memcpy(data, (uint8_t *)vp->msix + off, len);
	}
}

static void virtio_pci__bar(struct vmm *vmm, void *opaque, uint64_t addr,
			    uint8_t *data, uint32_t len, bool is_write)
{
	struct virtio_pci *vp = opaque;
	struct virtio_device *vdev = vp->vdev;
	uint32_t off = PCI_OFF_OF(addr);
	uint8_t cfg[256];

	if (PCI_BAR_OF(addr) != 0)
		return;
	if (off < COMMON_OFF + REGION_LEN) {
		if (is_write)
			common_write(vp, off, data, len);
		else
			common_read(vp, off, data, len);
	} else if (off < ISR_OFF + REGION_LEN) {
		if (!is_write) {
			memset(data, 0, len);
			data[0] = vp->isr;	/* reading acknowledges */
			vp->isr = 0;
		}
	} else if (off < DEVICE_OFF + REGION_LEN) {
		off -= DEVICE_OFF;
		if (!is_write) {
			memset(data, 0, len);
			if (off + len <= vdev->ops->config_size) {
				vdev->ops->get_config(vdev, cfg);
				memcpy(data, cfg + off, len);
			}
		}
	} else if (off < NOTIFY_OFF + REGION_LEN) {
		int q = (off - NOTIFY_OFF) / NOTIFY_MULT;

		if (is_write && q < vdev->ops->nr_queues && vdev->vqs[q].enabled)
			vdev->ops->notify_vq(vdev, q);
		else if (!is_write)
			memset(data, 0, len);
	} else {
		msix_access(vp, off, data, len, is_write);
	}
}

/*
 * VIRTIO_PCI_CAP_PCI_CFG: a window into BAR 0 through configuration
 * space.  The driver sets bar, offset and length, then reads or writes
 * pci_cfg_data; a window that is not 1, 2 or 4 aligned bytes inside our
 * BAR reads as zeroes and takes no writes.
 */
static void pci_cfg_window(struct virtio_pci *vp, uint32_t off, uint8_t *data,
			   uint32_t len, bool is_write)
{
	struct virtio_pci_cfg_cap *c = (void *)(vp->pci.cfg + CAP_PCI_CFG);
	uint32_t boff = c->cap.offset, blen = c->cap.length;
	uint8_t *win = c->pci_cfg_data;

	off -= CAP_PCI_CFG + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);
	if (is_write)
		memcpy(win + off, data, len);
	if (c->cap.bar != 0 || (blen != 1 && blen != 2 && blen != 4) ||
	    boff % blen || boff >= BAR_SIZE || blen > BAR_SIZE - boff) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	virtio_pci__bar(vp->vmm, vp, PCI_BAR_ADDR(0, boff), win, blen, is_write);
	if (!is_write)
		memcpy(data, win + off, len);
}

static void virtio_pci__cap_access(struct vmm *vmm, struct pci_device *d,
				   uint32_t off, uint8_t *data, uint32_t len,
				   bool is_write)
{
	struct virtio_pci *vp = (struct virtio_pci *)d;
	const uint32_t win = CAP_PCI_CFG + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);
	uint32_t i;

	if (off >= win && off + len <= win + 4) {
		pci_cfg_window(vp, off, data, len, is_write);
		return;
	}
	if (!is_write) {
		memcpy(data, d->cfg + off, len);
		return;
	}
	for (i = 0; i < len; i++, off++) {
		/* MSI-X: enable and function mask (the control's high byte) */
		if (off == CAP_MSIX + PCI_MSIX_FLAGS + 1) {
			d->cfg[off] = data[i] & ((PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8);
			msix_unmasked(vp);
		}
		/* the window's bar, offset and length */
		if (off >= CAP_PCI_CFG + offsetof(struct virtio_pci_cap, bar) &&
		    off < CAP_PCI_CFG + sizeof(struct virtio_pci_cap) &&
		    (off < CAP_PCI_CFG + offsetof(struct virtio_pci_cap, id) ||
		     off >= CAP_PCI_CFG + offsetof(struct virtio_pci_cap, offset)))
			d->cfg[off] = data[i];
	}
}

static int add_cap(struct pci_device *d, int at, int next, uint8_t type,
		   uint32_t offset, uint32_t length, int caplen)
{
	struct virtio_pci_cap *c = (void *)(d->cfg + at);

	c->cap_vndr = PCI_CAP_ID_VNDR;
	c->cap_next = next;
	c->cap_len = caplen;
	c->cfg_type = type;
	c->bar = 0;
	c->offset = offset;
	c->length = length;
	return at + caplen;
}

int virtio_pci__init(struct vmm *vmm, struct virtio_device *vdev, int slot)
{
	struct virtio_pci *vp;
	struct pci_device *d;
	struct virtio_pci_notify_cap *n;

	if (vdev->ops->queue_size > VQ_MAX_SIZE)
		return -EINVAL;
	vp = calloc(1, sizeof(*vp));
	if (!vp)
		return -ENOMEM;
	vp->vdev = vdev;
	vp->vmm = vmm;
	vdev->transport = vp;
	vdev->transport_lock = &vmm->dev_lock;
	vdev->signal_vq = signal_vq;
	vdev->signal_config = signal_config;
	reset(vp);

	d = &vp->pci;
	pci__w16(d, PCI_VENDOR_ID, PCI_VENDOR_REDHAT_QUMRANET);
	pci__w16(d, PCI_DEVICE_ID, VIRTIO_PCI_MODERN_ID_BASE + vdev->ops->device_id);
	d->cfg[PCI_REVISION_ID] = 1;		/* modern only */
	pci__w16(d, PCI_CLASS_DEVICE, 0xff00);	/* unclassified, like QEMU's */
	pci__w16(d, PCI_SUBSYSTEM_VENDOR_ID, PCI_VENDOR_REDHAT_QUMRANET);
	pci__w16(d, PCI_SUBSYSTEM_ID, 0x40);
	pci__w16(d, PCI_STATUS, PCI_STATUS_CAP_LIST);
	d->cfg[PCI_CAPABILITY_LIST] = 0x40;
	d->bar_size[0] = BAR_SIZE;

	add_cap(d, 0x40, 0x50, VIRTIO_PCI_CAP_COMMON_CFG, COMMON_OFF,
		sizeof(struct virtio_pci_common_cfg), sizeof(struct virtio_pci_cap));
	add_cap(d, 0x50, 0x60, VIRTIO_PCI_CAP_ISR_CFG, ISR_OFF, 1,
		sizeof(struct virtio_pci_cap));
	add_cap(d, 0x60, 0x70, VIRTIO_PCI_CAP_DEVICE_CFG, DEVICE_OFF,
		vdev->ops->config_size, sizeof(struct virtio_pci_cap));
	add_cap(d, 0x70, CAP_PCI_CFG, VIRTIO_PCI_CAP_NOTIFY_CFG, NOTIFY_OFF,
		NOTIFY_MULT * vdev->ops->nr_queues, sizeof(struct virtio_pci_notify_cap));
	n = (void *)(d->cfg + 0x70);
	n->notify_off_multiplier = NOTIFY_MULT;
	/* the spec requires it; offset and length are the driver's to set */
	add_cap(d, CAP_PCI_CFG, CAP_MSIX, VIRTIO_PCI_CAP_PCI_CFG, 0, 0,
		sizeof(struct virtio_pci_cfg_cap));

	d->cfg[CAP_MSIX] = PCI_CAP_ID_MSIX;
	d->cfg[CAP_MSIX + 1] = 0;
	pci__w16(d, CAP_MSIX + PCI_MSIX_FLAGS, NR_VECTORS - 1);
	pci__w32(d, CAP_MSIX + PCI_MSIX_TABLE, MSIX_TABLE_OFF | 0);
	pci__w32(d, CAP_MSIX + PCI_MSIX_PBA, MSIX_PBA_OFF | 0);
	/* vectors start masked (PCI 3.0 §6.8.2.9) */
	for (int v = 0; v < NR_VECTORS; v++)
		vp->msix[v][3] = PCI_MSIX_ENTRY_CTRL_MASKBIT;

	d->bar_fn = virtio_pci__bar;
	d->opaque = vp;
	d->cap_access = virtio_pci__cap_access;
	return pci__register(vmm, d, slot);
}
