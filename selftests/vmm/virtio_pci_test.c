// SPDX-License-Identifier: GPL-2.0
/*
 * memplug-vmm's virtio-pci transport seen through configuration
 * mechanism #1, as a driver probes it: the capability list is well formed
 * (no two capabilities overlap, the notify multiplier reads back), and
 * the VIRTIO_PCI_CAP_PCI_CFG window the spec requires reaches the common
 * configuration; a bad window reads zeroes.  No KVM needed: a host test.
 */
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <stddef.h>
#include <string.h>

#include "kselftest_harness.h"
#include "memplug/vmm.h"
#include "memplug/vmm-pci.h"
#include "memplug/vmm-virtio.h"

#define SLOT	1

static void get_config(struct virtio_device *vdev, void *buf)
{
	memset(buf, 0, 8);
}

static void notify(struct virtio_device *vdev, int q)
{
}

static const struct virtio_ops ops = {
	.device_id = 24,
	.features = 1ULL << VIRTIO_F_VERSION_1,
	.config_size = 8,
	.queue_size = 16,
	.nr_queues = 1,
	.get_config = get_config,
	.notify_vq = notify,
};

FIXTURE(vpci) {
	struct vmm vmm;
	struct virtio_device vdev;
	struct vmm_io_range *conf1;
};

FIXTURE_SETUP(vpci)
{
	int i;

	memset(self, 0, sizeof(*self));
	ASSERT_EQ(0, pci__init(&self->vmm));
	self->vdev.ops = &ops;
	ASSERT_EQ(0, virtio_pci__init(&self->vmm, &self->vdev, SLOT));
	for (i = 0; i < self->vmm.nr_pio; i++)
		if (self->vmm.pio[i].base == 0xcf8)
			self->conf1 = &self->vmm.pio[i];
	ASSERT_NE(NULL, self->conf1);
}

FIXTURE_TEARDOWN(vpci)
{
}

static void conf(FIXTURE_DATA(vpci) *self, uint32_t off, void *data, uint32_t len,
		 bool is_write)
{
	uint32_t a = 0x80000000U | SLOT << 11 | (off & 0xfc);

	self->conf1->fn(&self->vmm, self->conf1->opaque, 0xcf8, (uint8_t *)&a, 4, true);
	self->conf1->fn(&self->vmm, self->conf1->opaque, 0xcfc + (off & 3), data, len,
			is_write);
}

static uint32_t rd(FIXTURE_DATA(vpci) *self, uint32_t off, uint32_t len)
{
	uint32_t v = 0;

	conf(self, off, &v, len, false);
	return v;
}

static void wr(FIXTURE_DATA(vpci) *self, uint32_t off, uint32_t v, uint32_t len)
{
	conf(self, off, &v, len, true);
}

/* the offset of the first vendor capability of @type, 0 if none */
static uint32_t find_cap(FIXTURE_DATA(vpci) *self, uint8_t type)
{
	uint32_t at = rd(self, PCI_CAPABILITY_LIST, 1), n = 0;

	for (; at && n < 48; at = rd(self, at + 1, 1), n++)
		if (rd(self, at, 1) == PCI_CAP_ID_VNDR &&
		    rd(self, at + offsetof(struct virtio_pci_cap, cfg_type), 1) == type)
			return at;
	return 0;
}

TEST_F(vpci, capabilities_do_not_overlap)
{
	uint8_t used[256] = { 0 };
	uint32_t at = rd(self, PCI_CAPABILITY_LIST, 1), len, i, n = 0, notify;

	for (; at; at = rd(self, at + 1, 1)) {
		ASSERT_LT(n++, 48);
		ASSERT_GE(at, 0x40);
		ASSERT_EQ(0, at % 4);
		len = rd(self, at, 1) == PCI_CAP_ID_MSIX ? 12 : rd(self, at + 2, 1);
		ASSERT_LE(at + len, 256);
		for (i = at; i < at + len; i++) {
			ASSERT_EQ(0, used[i]) TH_LOG("byte %#x in two capabilities", i);
			used[i] = 1;
		}
	}
	notify = find_cap(self, VIRTIO_PCI_CAP_NOTIFY_CFG);
	ASSERT_NE(0, notify);
	ASSERT_EQ(4, rd(self, notify + offsetof(struct virtio_pci_notify_cap,
						notify_off_multiplier), 4));
}

TEST_F(vpci, pci_cfg_window_reaches_the_common_config)
{
	uint32_t c = find_cap(self, VIRTIO_PCI_CAP_PCI_CFG), common, base;
	const uint32_t data = offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);

	ASSERT_NE(0, c);
	ASSERT_EQ(sizeof(struct virtio_pci_cfg_cap), rd(self, c + 2, 1));
	common = find_cap(self, VIRTIO_PCI_CAP_COMMON_CFG);
	ASSERT_NE(0, common);
	base = rd(self, common + offsetof(struct virtio_pci_cap, offset), 4);
	/* num_queues, 2 bytes */
	wr(self, c + offsetof(struct virtio_pci_cap, bar), 0, 1);
	wr(self, c + offsetof(struct virtio_pci_cap, offset),
	   base + offsetof(struct virtio_pci_common_cfg, num_queues), 4);
	wr(self, c + offsetof(struct virtio_pci_cap, length), 2, 4);
	ASSERT_EQ(1, rd(self, c + data, 2));
	/* device_feature word 1 (VERSION_1) after a select written through it */
	wr(self, c + offsetof(struct virtio_pci_cap, offset),
	   base + offsetof(struct virtio_pci_common_cfg, device_feature_select), 4);
	wr(self, c + offsetof(struct virtio_pci_cap, length), 4, 4);
	wr(self, c + data, 1, 4);
	wr(self, c + offsetof(struct virtio_pci_cap, offset),
	   base + offsetof(struct virtio_pci_common_cfg, device_feature), 4);
	ASSERT_EQ(1, rd(self, c + data, 4));
	/* device_status written through the window */
	wr(self, c + offsetof(struct virtio_pci_cap, offset),
	   base + offsetof(struct virtio_pci_common_cfg, device_status), 4);
	wr(self, c + offsetof(struct virtio_pci_cap, length), 1, 4);
	wr(self, c + data, VIRTIO_CONFIG_S_ACKNOWLEDGE, 1);
	ASSERT_EQ(VIRTIO_CONFIG_S_ACKNOWLEDGE, self->vdev.status);

	/* bad windows: another BAR, a length of 3, misaligned, past the BAR */
	wr(self, c + offsetof(struct virtio_pci_cap, bar), 5, 1);
	ASSERT_EQ(0, rd(self, c + data, 4));
	wr(self, c + offsetof(struct virtio_pci_cap, bar), 0, 1);
	wr(self, c + offsetof(struct virtio_pci_cap, length), 3, 4);
	ASSERT_EQ(0, rd(self, c + data, 4));
	wr(self, c + offsetof(struct virtio_pci_cap, length), 4, 4);
	wr(self, c + offsetof(struct virtio_pci_cap, offset), base + 2, 4);
	ASSERT_EQ(0, rd(self, c + data, 4));
	wr(self, c + offsetof(struct virtio_pci_cap, offset), 0xfffffffe, 4);
	ASSERT_EQ(0, rd(self, c + data, 4));
	/* the capability's own fields stay read-only */
	wr(self, c + offsetof(struct virtio_pci_cap, cfg_type), 0, 1);
	ASSERT_EQ(VIRTIO_PCI_CAP_PCI_CFG, rd(self, c + offsetof(struct virtio_pci_cap, cfg_type), 1));
}

TEST_HARNESS_MAIN
