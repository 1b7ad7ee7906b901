// SPDX-License-Identifier: GPL-2.0
/*
 * A bounded fuzzer of memplug-vmm's virtio-mem device and virtqueue from
 * the driver's side, on a real KVM VM with real memslots (local mode):
 *
 *  - well-formed requests with random and edge-valued types, addresses
 *    and block counts, split over random descriptor chains and placed in
 *    boot RAM or across two attached slots; each answer is checked
 *    against a reference model of the spec (ACK/NACK/ERROR, STATE,
 *    plugged_size, usable_region_size);
 *  - malformed chains (loops, indexes out of the ring, INDIRECT, writable
 *    before readable, buffers outside guest RAM, huge lengths, avail
 *    index jumps);
 *  - queue resets with new ring sizes and placements (boot RAM, hotplug
 *    slots, overlapping, outside guest RAM) and PATCHes;
 *  - a real vCPU of the same VM (64-bit code that loops on an xorshift)
 *    that rewrites descriptors while the device reads them, as the
 *    driver's other vCPU would; its writes to memory that is not there
 *    leave KVM as MMIO and go nowhere (virtio_mem_fuzz_racer.c).
 *
 * The device must never fault and must answer well-formed requests per
 * spec whatever came before (the model is re-read from the device with
 * STATE after the unchecked phases).  Bounded: MEMPLUG_FUZZ_SECS (60 s by
 * default) or MEMPLUG_FUZZ_ITERS iterations; MEMPLUG_FUZZ_SEED replays.
 * Needs /dev/kvm: runs in the test VM.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mem.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "kselftest_harness.h"
#include "virtio_mem_fuzz.h"
#include "../lib/env.h"

static uint64_t below(struct fuzz *f, uint64_t n)
{
	return n ? rnd(&f->rng) % n : 0;
}

static void *guest(struct fuzz *f, uint64_t gpa, uint64_t len)
{
	return kvm__gpa_to_hva(&f->vmm, gpa, len);
}

/*
 * A vCPU's write to guest memory.  The hotplug worker may detach the slot
 * a ring sits in at any time, even between mapping the ring and this
 * write: then the write goes nowhere, as an MMIO exit to unplugged memory
 * would.
 */
static void guest_zero(struct fuzz *f, uint64_t gpa, uint64_t len)
{
	void *p = guest(f, gpa, len);

	if (p)
		memset(p, 0, len);
}

static struct virtio_mem_config config(struct fuzz *f)
{
	struct virtio_mem_config c;

	f->vdev->ops->get_config(f->vdev, &c);
	return c;
}

static uint64_t slots_needed(struct fuzz *f)
{
	return (f->requested + SLOT - 1) / SLOT;
}

/* A ring placement: mostly boot RAM, sometimes a slot or nowhere. */
static uint64_t ring_gpa(struct fuzz *f, uint64_t len)
{
	switch (below(f, 8)) {
	case 0:
		/* an attached slot the request keeps, or a detached one */
		return BASE + below(f, TOTAL / SLOT) * SLOT + below(f, 64) * 4096;
	case 1:
		return RAM - below(f, 2 * len);	/* across the end of boot RAM */
	case 2:
		return below(f, 2) ? 0xfffffffffffff000ULL : RAM + below(f, 1 << 20);
	default:
		return RING_AREA + below(f, AREA_LEN - len) / 16 * 16;
	}
}

/* What the transport does on a reset, then a driver probing again. */
static void reset(struct fuzz *f)
{
	struct virtqueue *vq = f->vq;
	uint16_t size = 1 << below(f, 9);	/* 1 .. 256 */
	int tries;

	f->resets++;
	f->vdev->status = 0;
	memset(vq, 0, sizeof(*vq));
	vq->translate = (vq_translate_fn)kvm__gpa_to_hva;
	vq->translate_ctx = &f->vmm;
	vq->size = size;
	for (tries = 0; ; tries++) {
		f->placements++;
		if (tries < 3) {
			vq->desc_gpa = ring_gpa(f, 16 * size);
			vq->avail_gpa = ring_gpa(f, 6 + 2 * size);
			vq->used_gpa = ring_gpa(f, 6 + 8 * size);
		} else {
			vq->desc_gpa = RING_AREA;
			vq->avail_gpa = RING_AREA + 0x1000;
			vq->used_gpa = RING_AREA + 0x2000;
		}
		/* the transport refuses to enable rings outside guest RAM */
		if (!virtqueue__map(vq))
			break;
	}
	/* a driver starts from zeroed rings */
	guest_zero(f, vq->avail_gpa, 4);
	guest_zero(f, vq->used_gpa, 4);
	vq->enabled = true;
	f->avail_idx = 0;
	f->vdev->status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			  VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;
}

static bool queue_ok(struct fuzz *f)
{
	return f->vq->enabled && !(f->vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static bool overlap(uint64_t a, uint64_t al, uint64_t b, uint64_t bl)
{
	return a < b + bl && b < a + al;
}

/*
 * Rings apart from each other and from the buffer areas: only then has a
 * well-formed request one answer (otherwise the device's own writes may
 * rewrite the chain, which is the driver's problem).
 */
static bool rings_apart(struct fuzz *f)
{
	uint16_t qs = f->vq->size;
	uint64_t r[3][2] = {
		{ f->vq->desc_gpa, 16ULL * qs }, { f->vq->avail_gpa, 6 + 2ULL * qs },
		{ f->vq->used_gpa, 6 + 8ULL * qs },
	};
	int i, j;

	for (i = 0; i < 3; i++) {
		if (r[i][0] >= BASE || overlap(r[i][0], r[i][1], BUF_AREA, AREA_LEN))
			return false;
		for (j = i + 1; j < 3; j++)
			if (overlap(r[i][0], r[i][1], r[j][0], r[j][1]))
				return false;
	}
	return true;
}

/* The layout a driver would choose. */
static void reset_plain(struct fuzz *f)
{
	do {
		reset(f);
	} while (!queue_ok(f) || f->vq->size < 8 || !rings_apart(f));
}

/*
 * Post the chain in @d (n descriptors from index 0), run the device.
 * The used element's length, or -1 when none was used.
 */
static long post(struct fuzz *f, struct vring_desc *d, int n, bool link)
{
	uint16_t qs = f->vq->size;
	struct vring_desc *desc = guest(f, f->vq->desc_gpa, 16 * qs);
	struct vring_avail *av = guest(f, f->vq->avail_gpa, 6 + 2 * qs);
	struct vring_used *u = guest(f, f->vq->used_gpa, 6 + 8 * qs);
	uint16_t used;
	int i;

	if (!desc || !av || !u || n > qs)
		return -2;
	used = u->idx;
	for (i = 0; i < n; i++) {
		desc[i] = d[i];
		if (link && i + 1 < n) {
			desc[i].flags |= VRING_DESC_F_NEXT;
			desc[i].next = i + 1;
		} else if (link) {
			desc[i].flags &= ~VRING_DESC_F_NEXT;
		}
	}
	av->ring[f->avail_idx % qs] = 0;
	av->idx = ++f->avail_idx;
	f->chains++;
	virtio_mem__handle_queue(f->vm);
	if (u->idx == used)
		return -1;
	return u->ring[used % qs].len;
}

/* Split [gpa, gpa + len) into 1..4 descriptors with @flags. */
static int split(struct fuzz *f, struct vring_desc *d, uint64_t gpa, uint32_t len,
		 uint16_t flags)
{
	int n = 1 + below(f, 4), i;
	uint32_t left = len, l;

	for (i = 0; i < n && left; i++) {
		l = i == n - 1 ? left : 1 + below(f, left);
		d[i] = (struct vring_desc){ gpa, l, flags, 0 };
		gpa += l;
		left -= l;
	}
	return i;
}

/* A buffer of @len bytes: boot RAM, or across two slots the request keeps. */
static uint64_t buf_gpa(struct fuzz *f, uint32_t len)
{
	uint64_t s = slots_needed(f);

	if (s >= 2 && below(f, 4) == 0)
		return BASE + (1 + below(f, s - 1)) * SLOT - below(f, len + 1);
	return BUF_AREA + below(f, AREA_LEN - 64);
}

static uint64_t edge_addr(struct fuzz *f)
{
	static const uint64_t e[] = {
		0, BASE - BLOCK, BASE, BASE + BLOCK, BASE + SLOT - BLOCK, BASE + SLOT,
		BASE + TOTAL - BLOCK, BASE + TOTAL, BASE + 1, BASE + BLOCK / 2,
		0xffffffffffe00000ULL, 0x8000000000000000ULL, ~0ULL,
	};

	if (below(f, 3))
		return BASE + below(f, NR_BLOCKS + 8) * BLOCK;
	return e[below(f, ARRAY_SIZE(e))];
}

static uint16_t edge_nb(struct fuzz *f)
{
	static const uint16_t e[] = { 0, 1, 2, 63, 64, 65, 511, 512, 513, 0x7fff, 0xffff };

	if (below(f, 3))
		return 1 + below(f, below(f, 2) ? 8 : 128);
	return e[below(f, ARRAY_SIZE(e))];
}

/* The spec's answer, and the model after it. */
static uint16_t model(struct fuzz *f, uint16_t type, uint64_t addr, uint16_t nb,
		      uint16_t *state)
{
	uint64_t first, b, c = 0, limit, hi = 0;

	if (type == VIRTIO_MEM_REQ_UNPLUG_ALL) {
		memset(f->plugged, 0, sizeof(f->plugged));
		f->usable = (f->requested + SLOT - 1) / SLOT * SLOT;
		return VIRTIO_MEM_RESP_ACK;
	}
	if (type > VIRTIO_MEM_REQ_STATE)
		return VIRTIO_MEM_RESP_ERROR;
	limit = type == VIRTIO_MEM_REQ_PLUG ? f->usable : TOTAL;
	if (!nb || addr % BLOCK || addr < BASE || addr - BASE > limit ||
	    (uint64_t)nb * BLOCK > limit - (addr - BASE))
		return VIRTIO_MEM_RESP_ERROR;
	first = (addr - BASE) / BLOCK;
	for (b = first; b < first + nb; b++)
		c += f->plugged[b];
	switch (type) {
	case VIRTIO_MEM_REQ_PLUG:
		if (c)
			return VIRTIO_MEM_RESP_ERROR;
		for (b = 0; b < NR_BLOCKS; b++)
			hi += f->plugged[b];
		if ((hi + nb) * BLOCK > f->requested)
			return VIRTIO_MEM_RESP_NACK;
		for (b = first; b < first + nb; b++)
			f->plugged[b] = true;
		return VIRTIO_MEM_RESP_ACK;
	case VIRTIO_MEM_REQ_UNPLUG:
		if (c != nb)
			return VIRTIO_MEM_RESP_ERROR;
		for (b = first; b < first + nb; b++)
			f->plugged[b] = false;
		return VIRTIO_MEM_RESP_ACK;
	default:
		*state = c == nb ? VIRTIO_MEM_STATE_PLUGGED :
			 c ? VIRTIO_MEM_STATE_MIXED : VIRTIO_MEM_STATE_UNPLUGGED;
		return VIRTIO_MEM_RESP_ACK;
	}
}

static uint64_t model_plugged(struct fuzz *f)
{
	uint64_t b, n = 0;

	for (b = 0; b < NR_BLOCKS; b++)
		n += f->plugged[b];
	return n * BLOCK;
}

/*
 * One well-formed request; false (with @why) when the device's answer or
 * config differs from the model's.
 */
static bool clean_request(struct fuzz *f, uint16_t type, uint64_t addr,
			  uint16_t nb, bool check, const char **why)
{
	struct vring_desc d[8];
	struct virtio_mem_req req = { .type = type };
	struct virtio_mem_resp resp;
	uint64_t rq = buf_gpa(f, sizeof(req)), rs = buf_gpa(f, sizeof(resp));
	uint16_t want, state = 0;
	struct virtio_mem_config c;
	int n;
	long len;

	req.u.plug.addr = addr;
	req.u.plug.nb_blocks = nb;
	/* a queued discard must not punch the buffers under us */
	if (rq >= BASE || rs >= BASE)
		region__flush(f->vmm.hp);
	if (!rings_apart(f))
		check = false;
	if (rq >= BASE)
		memcpy(f->vmm.hp->hva + (rq - BASE), &req, sizeof(req));
	else
		memcpy(ram(f, rq), &req, sizeof(req));
	n = split(f, d, rq, sizeof(req), 0);
	n += split(f, d + n, rs, sizeof(resp), VRING_DESC_F_WRITE);
	if (n > f->vq->size)
		return true;	/* does not fit this ring: not a test */
	len = post(f, d, n, true);
	if (rs >= BASE)
		memcpy(&resp, f->vmm.hp->hva + (rs - BASE), sizeof(resp));
	else
		memcpy(&resp, ram(f, rs), sizeof(resp));
	if (!check) {
		f->unsynced = true;
		return true;
	}
	f->checked++;
	want = model(f, type, addr, nb, &state);
	c = config(f);
	if (len != sizeof(resp))
		*why = "no used element of the response's length";
	else if (resp.type != want)
		*why = "response type differs from the spec's";
	else if (type == VIRTIO_MEM_REQ_STATE && want == VIRTIO_MEM_RESP_ACK &&
		 resp.u.state.state != state)
		*why = "STATE differs";
	else if (c.plugged_size != model_plugged(f))
		*why = "plugged_size differs";
	else if (c.usable_region_size != f->usable)
		*why = "usable_region_size differs";
	else if (!queue_ok(f))
		*why = "a well-formed request broke the queue";
	else
		return true;
	fprintf(stderr, "# queue %s size %u avail %u/%u used %u, buffers %#llx %#llx, rings %#llx %#llx %#llx\n",
		queue_ok(f) ? "ok" : "broken", f->vq->size, f->avail_idx, f->vq->last_avail,
		f->vq->used_idx, (unsigned long long)rq, (unsigned long long)rs,
		(unsigned long long)f->vq->desc_gpa, (unsigned long long)f->vq->avail_gpa,
		(unsigned long long)f->vq->used_gpa);
	fprintf(stderr, "# req %u addr %#llx nb %u: resp %u (want %u) len %ld state %u/%u plugged %llu/%llu usable %llu/%llu\n",
	       type, (unsigned long long)addr, nb, resp.type, want, len,
	       resp.u.state.state, state, (unsigned long long)c.plugged_size,
	       (unsigned long long)model_plugged(f),
	       (unsigned long long)c.usable_region_size, (unsigned long long)f->usable);
	return false;
}

/* STATE over [first, first + nb); -1 on failure. */
static int state_of(struct fuzz *f, uint64_t first, uint16_t nb)
{
	struct vring_desc d[2];
	struct virtio_mem_req *req = ram(f, BUF_AREA);
	struct virtio_mem_resp *resp = ram(f, BUF_AREA + 64);
	long len;

	memset(req, 0, sizeof(*req));
	req->type = VIRTIO_MEM_REQ_STATE;
	req->u.state.addr = BASE + first * BLOCK;
	req->u.state.nb_blocks = nb;
	d[0] = (struct vring_desc){ BUF_AREA, sizeof(*req), 0, 0 };
	d[1] = (struct vring_desc){ BUF_AREA + 64, sizeof(*resp), VRING_DESC_F_WRITE, 0 };
	len = post(f, d, 2, true);
	if (len != sizeof(*resp) || resp->type != VIRTIO_MEM_RESP_ACK) {
		fprintf(stderr, "# STATE [%llu, +%u): used length %ld, response %u, queue %s, size %u, status %#x\n",
			(unsigned long long)first, nb, len, resp->type,
			queue_ok(f) ? "ok" : "broken", f->vq->size, f->vdev->status);
		return -1;
	}
	return resp->u.state.state;
}

static bool resync_range(struct fuzz *f, uint64_t first, uint64_t nb)
{
	int st = state_of(f, first, nb);
	uint64_t b;

	if (st < 0)
		return false;
	if (st != VIRTIO_MEM_STATE_MIXED) {
		for (b = first; b < first + nb; b++)
			f->plugged[b] = st == VIRTIO_MEM_STATE_PLUGGED;
		return true;
	}
	return resync_range(f, first, nb / 2) &&
	       resync_range(f, first + nb / 2, nb - nb / 2);
}

/* Re-read the model from the device after phases the model cannot follow. */
static bool resync(struct fuzz *f, const char **why)
{
	if (!queue_ok(f) || f->vq->size < 8 || !rings_apart(f))
		reset_plain(f);
	if (!resync_range(f, 0, NR_BLOCKS)) {
		*why = "STATE failed on a fresh ring";
		return false;
	}
	f->usable = config(f).usable_region_size;
	return true;
}

static void chaos_chain(struct fuzz *f)
{
	uint16_t qs = f->vq->size;
	struct vring_desc *desc = guest(f, f->vq->desc_gpa, 16 * qs);
	struct vring_avail *av = guest(f, f->vq->avail_gpa, 6 + 2 * qs);
	uint16_t i, n = 1 + below(f, qs);
	static const uint64_t addrs[] = {
		CHAOS_AREA, CHAOS_AREA + AREA_LEN - 8, RAM - 4, RAM, BASE - 8,
		BASE + TOTAL - 4, 0xfffffffffffffff0ULL, 0,
	};

	if (!desc || !av)
		return;
	f->chaos++;
	for (i = 0; i < n; i++) {
		uint64_t a = below(f, 2) ? CHAOS_AREA + below(f, AREA_LEN) :
			     addrs[below(f, ARRAY_SIZE(addrs))];
		uint32_t len = below(f, 4) ? below(f, 64) : (uint32_t)rnd(&f->rng);
		uint16_t flags = rnd(&f->rng) & (below(f, 4) ? 3 : 0xffff);
		uint16_t next = below(f, 8) ? below(f, qs) : (uint16_t)rnd(&f->rng);

		desc[below(f, qs)] = (struct vring_desc){ a, len, flags, next };
	}
	/* heads in range and not, avail index steps small and large */
	for (i = 0; i < 1 + below(f, 4); i++)
		av->ring[(f->avail_idx + i) % qs] = below(f, 8) ? below(f, qs) : rnd(&f->rng);
	f->avail_idx += below(f, 8) ? 1 + below(f, 4) : (uint16_t)rnd(&f->rng);
	av->idx = f->avail_idx;
	f->chains++;
	virtio_mem__handle_queue(f->vm);
	if (!queue_ok(f))
		f->broken++;
}

static uint64_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

FIXTURE(vmfuzz) {
	int unused;
};

FIXTURE_SETUP(vmfuzz)
{
}

FIXTURE_TEARDOWN(vmfuzz)
{
}

/* the loop is bounded by MEMPLUG_FUZZ_SECS; the harness's timeout above it */
TEST_F_TIMEOUT(vmfuzz, virtio_mem_and_virtqueue, 600)
{
	struct hotplug_config hc = { TOTAL / MIB, BLOCK / MIB, SLOT / MIB };
	uint64_t secs = env_u64("MEMPLUG_FUZZ_SECS", 60);
	uint64_t iters = env_u64("MEMPLUG_FUZZ_ITERS", ~0ULL), it, t0, seed;
	const char *why = NULL;
	struct fuzz *f;
	char err[HOTPLUG_ERR_LEN];

	f = calloc(1, sizeof(*f));
	ASSERT_NE(NULL, f);
	seed = env_u64("MEMPLUG_FUZZ_SEED", (uint64_t)time(NULL) * 2654435761ULL | 1);
	f->rng = seed;
	f->racer_rng = seed ^ 0x9e3779b97f4a7c15ULL;
	TH_LOG("seed %#llx (MEMPLUG_FUZZ_SEED replays it), %llu s", (unsigned long long)seed,
	       (unsigned long long)secs);
	f->vmm.cfg.ram_size = RAM;
	f->vmm.cfg.nr_vcpus = 1;
	pthread_mutex_init(&f->vmm.dev_lock, NULL);
	ASSERT_EQ(0, kvm__init(&f->vmm));
	ASSERT_EQ(0, racer_vcpu_init(f));
	f->vmm.hp = region__create(BASE, TOTAL, 1, &region_local_ops, &f->vmm);
	ASSERT_NE(NULL, f->vmm.hp);
	ASSERT_EQ(0, region__layout(f->vmm.hp, TOTAL, SLOT));
	f->vm = virtio_mem__create(&hc, BASE, f->vmm.hp, true);
	ASSERT_NE(NULL, f->vm);
	f->vdev = virtio_mem__vdev(f->vm);
	f->vq = &f->vdev->vqs[0];
	memset(ram(f, CHAOS_AREA), 0x5a, AREA_LEN);
	reset(f);
	ASSERT_TRUE(resync(f, &why)) TH_LOG("%s", why);
	pthread_mutex_init(&f->race_lock, NULL);
	pthread_cond_init(&f->race_cond, NULL);
	ASSERT_EQ(0, pthread_create(&f->racer, NULL, racer, f));

	t0 = now_s();
	for (it = 0; it < iters && now_s() - t0 < secs; it++) {
		uint64_t r = below(f, 100);

		if (r < 60) {
			uint16_t type = below(f, 8) ? below(f, 4) : rnd(&f->rng);

			if (!queue_ok(f) || f->vq->size < 8 || f->unsynced) {
				if (!queue_ok(f) || f->vq->size < 8)
					reset(f);
				if (!resync(f, &why))
					break;
				f->unsynced = false;
			}
			if (!clean_request(f, type, edge_addr(f), edge_nb(f), true, &why))
				break;
		} else if (r < 70) {
			struct hotplug_patch p = { below(f, 2) ? below(f, 65) * 2 : below(f, 513) * 2 };

			f->patches++;
			if (virtio_mem__patch(f->vm, &p, err, sizeof(err)) == 0) {
				uint64_t end = 0, b;

				f->requested = p.requested_size_mib * MIB;
				for (b = 0; b < NR_BLOCKS; b++)
					if (f->plugged[b])
						end = (b + 1) * BLOCK;
				if (end < f->requested)
					end = f->requested;
				end = (end + SLOT - 1) / SLOT * SLOT;
				if (end > f->usable)
					f->usable = end;
			}
		} else if (r < 82) {
			int k;

			/* malformed chains, on a ring placed anywhere */
			if (below(f, 2) || !queue_ok(f))
				reset(f);
			for (k = 0; k < 1 + (int)below(f, 4) && queue_ok(f); k++)
				chaos_chain(f);
			f->unsynced = true;
		} else if (r < 87) {
			reset(f);
			f->unsynced = true;
		} else {
			int k, n = 1 + below(f, 32);

			/* requests while the other thread rewrites the ring */
			if (!queue_ok(f))
				reset(f);
			race(f, true);
			for (k = 0; k < n && queue_ok(f); k++) {
				clean_request(f, below(f, 4), edge_addr(f), edge_nb(f), false, &why);
				f->raced++;
			}
			race(f, false);
			f->unsynced = true;
		}
	}
	pthread_mutex_lock(&f->race_lock);
	f->stop = true;
	pthread_cond_broadcast(&f->race_cond);
	pthread_mutex_unlock(&f->race_lock);
	pthread_join(f->racer, NULL);
	TH_LOG("%llu iterations in %llu s: %llu chains (%llu checked against the model, %llu malformed, %llu raced by %llu descriptor rewrites of the other vCPU, %llu of them MMIO exits), %llu PATCHes, %llu resets, %llu ring placements, %llu broken rings",
	       (unsigned long long)it, (unsigned long long)(now_s() - t0),
	       (unsigned long long)f->chains, (unsigned long long)f->checked,
	       (unsigned long long)f->chaos, (unsigned long long)f->raced,
	       (unsigned long long)f->racer_writes, (unsigned long long)f->racer_mmio,
	       (unsigned long long)f->patches,
	       (unsigned long long)f->resets, (unsigned long long)f->placements,
	       (unsigned long long)f->broken);
	ASSERT_EQ(NULL, why) TH_LOG("iteration %llu: %s", (unsigned long long)it, why);
	ASSERT_EQ(NULL, f->racer_error) TH_LOG("%s", f->racer_error);
	ASSERT_LT(0, f->checked);
	if (f->raced)
		ASSERT_LT(0, f->racer_writes);
}

TEST_HARNESS_MAIN
