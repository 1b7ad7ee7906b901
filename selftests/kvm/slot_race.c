// SPDX-License-Identifier: GPL-2.0
/*
 * slot_race: memslots deleted and added under running vCPUs cost the guests
 * nothing but MMIO exits, and every store lands where it was aimed.  This
 * is what hotplug does to a guest, reduced to its core.
 *
 * Two VMs, one vCPU each, store without pause into their hotplug area
 * while this thread deletes and re-adds their slots.  Each store writes a
 * value whose low bits are its own offset, so a store that landed
 * elsewhere shows in the memory afterwards.
 *
 * All threads stay on CPU 0 of the test VM.  MEMPLUG_SLOT_RACE_SPREAD=1
 * runs guest i on CPU i instead: under the test VM's multi-threaded TCG
 * that makes a vCPU triple-fault within seconds (QEMU 10.0 emulating SVM
 * with nested paging, two emulated CPUs in guest mode at once); see
 * Documentation/test-vm.md.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "../lib/env.h"
#include "../lib/kvm_guest.h"

#define GUESTS		2
#define HP_BASE		(4ULL << 30)
#define HP_SLOT		(16ULL << 20)
#define HP_SLOTS	8
#define HP_SIZE		(HP_SLOTS * HP_SLOT)
#define HP_MASK		(HP_SIZE - 8)	/* a store's offset: value & HP_MASK */

/*
 * Forever: one xorshift64 step on %rax, then store %rax at
 * %r9 + (%rax & %r8); %r10 counts the stores.
 */
extern const uint8_t store_loop[], store_loop_end[];
asm(".pushsection .rodata\n"
    "store_loop:\n"
    "1:	mov %rax, %rdx\n	shl $13, %rdx\n	xor %rdx, %rax\n"
    "	mov %rax, %rdx\n	shr $7, %rdx\n	xor %rdx, %rax\n"
    "	mov %rax, %rdx\n	shl $17, %rdx\n	xor %rdx, %rax\n"
    "	mov %rax, %rbx\n	and %r8, %rbx\n	add %r9, %rbx\n"
    "	mov %rax, (%rbx)\n	inc %r10\n	jmp 1b\n"
    "store_loop_end:\n"
    ".popsection\n");

struct racer {
	struct kvm_guest g;
	char *mem;
	bool attached[HP_SLOTS];
	pthread_t thread;
	int cpu;
	/* written by the racer's thread, read after it was joined */
	uint64_t stores, mmio, bad_mmio;
	uint32_t exit_reason;		/* the unexpected one, 0 if none */
	uint64_t exit_rip;
	int error;
	bool done;			/* the thread stopped (read while it runs) */
};

static bool stop;			/* __atomic: read by the racers */

static void kick(int sig)
{
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *race(void *arg)
{
	struct racer *r = arg;
	struct kvm_run *run = r->g.run;
	struct kvm_regs regs = {
		.rip = KVM_GUEST_SPARE_GPA, .rflags = 2,
		/* one store sequence per guest */
		.rax = 0x9e3779b97f4a7c15ULL + r->g.vm_fd,
		.r8 = HP_MASK, .r9 = HP_BASE,
	};

	pin(r->cpu);
	if (ioctl(r->g.vcpu_fd, KVM_SET_REGS, &regs)) {
		r->error = errno;
		__atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
		return NULL;
	}
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		if (ioctl(r->g.vcpu_fd, KVM_RUN, 0)) {
			if (errno == EINTR)
				continue;
			r->error = errno;
			break;
		}
		if (run->exit_reason == KVM_EXIT_MMIO) {
			uint64_t v;

			/* the store to a deleted slot, intact */
			memcpy(&v, run->mmio.data, sizeof(v));
			if (!run->mmio.is_write || run->mmio.len != 8 ||
			    run->mmio.phys_addr != HP_BASE + (v & HP_MASK))
				r->bad_mmio++;
			r->mmio++;
			continue;
		}
		if (run->exit_reason == KVM_EXIT_INTR)
			continue;
		r->exit_reason = run->exit_reason;
		break;
	}
	if (!ioctl(r->g.vcpu_fd, KVM_GET_REGS, &regs)) {
		r->stores = regs.r10;
		r->exit_rip = regs.rip;
	}
	__atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static int set_slot(struct racer *r, int i, bool on)
{
	int ret = kvm_guest__set_slot(&r->g, 1 + i, HP_BASE + i * HP_SLOT,
				      on ? HP_SLOT : 0, r->mem + i * HP_SLOT);

	if (!ret)
		r->attached[i] = on;
	return ret;
}

/* Words that a store of another offset wrote: 0 if every store hit its aim. */
static uint64_t misplaced(const struct racer *r)
{
	const uint64_t *w = (const uint64_t *)r->mem;
	uint64_t i, bad = 0;

	for (i = 0; i < HP_SIZE / 8; i++)
		if (w[i] && (w[i] & HP_MASK) != i * 8)
			bad++;
	return bad;
}

FIXTURE(slot_race)
{
	struct racer r[GUESTS];
};

FIXTURE_SETUP(slot_race)
{
	struct sigaction sa = { .sa_handler = kick };	/* no SA_RESTART */
	bool spread = env_u64("MEMPLUG_SLOT_RACE_SPREAD", 0);
	int i;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	pin(0);
	for (i = 0; i < GUESTS; i++) {
		struct racer *r = &self->r[i];

		ASSERT_EQ(0, kvm_guest__create(&r->g));
		memcpy((char *)r->g.base + KVM_GUEST_SPARE_GPA, store_loop,
		       store_loop_end - store_loop);
		r->mem = mmap(NULL, HP_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		ASSERT_NE(MAP_FAILED, r->mem);
		r->cpu = spread ? i : 0;
	}
}

FIXTURE_TEARDOWN(slot_race)
{
	int i;

	for (i = 0; i < GUESTS; i++) {
		/* a setup that stopped early left this guest zeroed: no fd 0 */
		if (self->r[i].g.kvm_fd > 0)
			kvm_guest__destroy(&self->r[i].g);
		if (self->r[i].mem && self->r[i].mem != MAP_FAILED)
			munmap(self->r[i].mem, HP_SIZE);
	}
}

TEST_F_TIMEOUT(slot_race, stores_meet_only_mmio_exits, 300)
{
	uint64_t secs = env_u64("MEMPLUG_SLOT_RACE_SECS", 10);
	uint64_t seed = env_u64("MEMPLUG_SLOT_RACE_SEED", (uint64_t)time(NULL) | 1);
	uint64_t rng = seed, changes = 0, t0;
	int i;

	TH_LOG("seed %#llx, %llu s, guests on CPUs %d and %d",
	       (unsigned long long)seed, (unsigned long long)secs,
	       self->r[0].cpu, self->r[1].cpu);
	for (i = 0; i < GUESTS; i++)
		ASSERT_EQ(0, pthread_create(&self->r[i].thread, NULL, race, &self->r[i]));

	t0 = mp_now_ns();
	while (mp_now_ns() - t0 < secs * 1000000000ULL) {
		struct racer *r;
		int slot;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		r = &self->r[rng % GUESTS];
		slot = (rng >> 8) % HP_SLOTS;
		if (__atomic_load_n(&r->done, __ATOMIC_ACQUIRE))
			break;
		ASSERT_EQ(0, set_slot(r, slot, !r->attached[slot]));
		changes++;
		/* now and then let the guests run on a stable layout */
		if (rng % 4 == 0)
			usleep((rng >> 20) % 2000);
	}

	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < GUESTS; i++) {
		self->r[i].g.run->immediate_exit = 1;
		pthread_kill(self->r[i].thread, SIGUSR1);
		pthread_join(self->r[i].thread, NULL);
	}
	for (i = 0; i < GUESTS; i++) {
		struct racer *r = &self->r[i];
		uint64_t bad = misplaced(r);

		TH_LOG("guest %d (CPU %d): %llu stores, %llu MMIO exits, %llu misplaced words",
		       i, r->cpu, (unsigned long long)r->stores,
		       (unsigned long long)r->mmio, (unsigned long long)bad);
		EXPECT_EQ(0, r->error) TH_LOG("guest %d: KVM_RUN: %s", i, strerror(r->error));
		EXPECT_EQ(0, r->exit_reason)
			TH_LOG("guest %d: exit reason %u at rip %#llx (8: shutdown)",
			       i, r->exit_reason, (unsigned long long)r->exit_rip);
		EXPECT_EQ(0, r->bad_mmio);
		EXPECT_EQ(0, bad);
		EXPECT_LT(0, r->stores);
		EXPECT_LT(0, r->mmio);
	}
	TH_LOG("%llu slot changes", (unsigned long long)changes);
	EXPECT_LT(0, changes);
}

TEST_HARNESS_MAIN
