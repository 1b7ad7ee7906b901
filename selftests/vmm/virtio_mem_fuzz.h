/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio_mem_fuzz: what the fuzzer (virtio_mem_fuzz.c) and its racer vCPU
 * (virtio_mem_fuzz_racer.c) share: the layout, the state, the RNG.
 */
#ifndef VIRTIO_MEM_FUZZ_H
#define VIRTIO_MEM_FUZZ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "memplug/vmm.h"
#include "memplug/vmm-region.h"
#include "memplug/vmm-virtio.h"

#define MIB		(1ULL << 20)
#define BASE		(4ULL << 30)
#define TOTAL		(1024 * MIB)
#define BLOCK		(2 * MIB)
#define SLOT		(128 * MIB)
#define NR_BLOCKS	(TOTAL / BLOCK)
#define RAM		(64 * MIB)
#define RING_AREA	0x100000ULL	/* rings go here, [1, 2) MiB */
#define BUF_AREA	0x200000ULL	/* request and response buffers */
#define CHAOS_AREA	0x300000ULL	/* nonzero bytes: never a valid request */
#define AREA_LEN	0x100000ULL
/* the racer vCPU: x86__setup_bsp() maps 4 GiB at 0x9000, these the rest */
#define RACER_PDPT	0xa000ULL	/* x86-boot.c's PDPT_ADDR */
#define RACER_PD	0xf000ULL	/* 4 pages: [4, 8) GiB of 2 MiB pages */
#define RACER_CODE	0x30000ULL

struct fuzz {
	struct vmm vmm;
	struct virtio_mem *vm;
	struct virtio_device *vdev;
	struct virtqueue *vq;
	uint64_t rng;
	uint16_t avail_idx;
	/* the model */
	bool plugged[NR_BLOCKS];
	uint64_t requested, usable;
	/* the racer: a vCPU, run by its own thread while racing */
	pthread_t racer;
	struct vmm_vcpu *vcpu;
	pthread_mutex_t race_lock;
	pthread_cond_t race_cond;
	bool racing, in_guest, stop;
	const char *racer_error;
	uint64_t racer_rng, racer_writes, racer_mmio;
	/* counts */
	bool unsynced;			/* the model may be behind */
	uint64_t chains, checked, chaos, raced, patches, resets, placements, broken;
};

static inline uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static inline void *ram(struct fuzz *f, uint64_t gpa)
{
	return (uint8_t *)f->vmm.ram + gpa;
}

/* virtio_mem_fuzz_racer.c */
int racer_vcpu_init(struct fuzz *f);
void *racer(void *arg);
void race(struct fuzz *f, bool on);

#endif
