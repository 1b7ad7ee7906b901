// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_mem_fuzz's racer: a real vCPU of the fuzzed VM that rewrites the
 * descriptor table while the device reads it, as the driver's other vCPU
 * would (see virtio_mem_fuzz.c).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "virtio_mem_fuzz.h"

/*
 * The racer vCPU's code, 64-bit and position independent: forever one
 * xorshift64 step on %rax, then one store into the descriptor table at
 * %rdi (%r8 = its size - 1): a length, an address (in the chaos area, or
 * anything), flags or next.  %r9 = CHAOS_AREA; %r10 counts the stores.
 */
extern const uint8_t racer_code[], racer_code_end[];
asm(".pushsection .rodata\n"
    "racer_code:\n"
    "1:	mov %rax, %rdx\n	shl $13, %rdx\n	xor %rdx, %rax\n"
    "	mov %rax, %rdx\n	shr $7, %rdx\n	xor %rdx, %rax\n"
    "	mov %rax, %rdx\n	shl $17, %rdx\n	xor %rdx, %rax\n"
    "	mov %rax, %rbx\n	shr $8, %rbx\n	and %r8, %rbx\n"
    "	shl $4, %rbx\n	add %rdi, %rbx\n"
    "	mov %rax, %rdx\n	shr $32, %rdx\n"
    "	inc %r10\n"
    "	mov %eax, %esi\n	and $3, %esi\n"
    "	cmp $1, %esi\n	je 3f\n	jb 2f\n"
    "	cmp $2, %esi\n	je 4f\n"
    "	mov %dx, 14(%rbx)\n	jmp 1b\n"
    "4:	mov %dx, 12(%rbx)\n	jmp 1b\n"
    "2:	mov %edx, 8(%rbx)\n	jmp 1b\n"
    "3:	bt $20, %rax\n	jnc 5f\n"
    "	and $0xfffff, %edx\n	add %r9, %rdx\n"
    "	mov %rdx, (%rbx)\n	jmp 1b\n"
    "5:	mov %rax, (%rbx)\n	jmp 1b\n"
    "racer_code_end:\n"
    ".popsection\n");

static void racer_kick(int sig)
{
}

/* vCPU 0 in 64-bit mode with [0, 8 GiB) identity-mapped, the code loaded */
int racer_vcpu_init(struct fuzz *f)
{
	struct vmm_vcpu *v = &f->vmm.vcpus[0];
	uint64_t *pdpt = ram(f, RACER_PDPT), *pd = ram(f, RACER_PD);
	struct sigaction sa = { .sa_handler = racer_kick };
	int i, ret;

	v->vmm = &f->vmm;
	v->id = 0;
	v->fd = ioctl(f->vmm.vm_fd, KVM_CREATE_VCPU, 0);
	if (v->fd < 0)
		return -errno;
	v->run = mmap(NULL, f->vmm.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED)
		return -errno;
	ret = x86__setup_cpuid(&f->vmm, v);
	if (!ret)
		ret = x86__setup_bsp(&f->vmm, v);
	if (ret)
		return ret;
	for (i = 0; i < 4; i++)
		pdpt[4 + i] = (RACER_PD + i * 4096) | 0x3;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((4ULL << 30) + ((uint64_t)i << 21)) | 0x83;	/* P | RW | PS */
	memcpy(ram(f, RACER_CODE), racer_code, racer_code_end - racer_code);
	/* no SA_RESTART: the signal ends KVM_RUN with EINTR */
	if (sigaction(SIGUSR1, &sa, NULL))
		return -errno;
	f->vcpu = v;
	return 0;
}

/* Run the racer vCPU over the current descriptor table until kicked. */
static void racer_run(struct fuzz *f)
{
	struct kvm_run *run = f->vcpu->run;
	struct kvm_regs regs = {
		.rax = rnd(&f->racer_rng) | 1, .rdi = f->vq->desc_gpa,
		.r8 = f->vq->size - 1, .r9 = CHAOS_AREA, .rip = RACER_CODE,
		.rflags = 0x2,
	};

	if (ioctl(f->vcpu->fd, KVM_SET_REGS, &regs)) {
		f->racer_error = "KVM_SET_REGS failed";
		return;
	}
	for (;;) {
		if (ioctl(f->vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				break;
			f->racer_error = "KVM_RUN failed";
			break;
		}
		/* a store to memory that is not there (unplugged, a hole) */
		if (run->exit_reason == KVM_EXIT_MMIO) {
			f->racer_mmio++;
			continue;
		}
		if (run->exit_reason != KVM_EXIT_INTR) {
			f->racer_error = "the racer vCPU stopped (not an MMIO exit)";
			fprintf(stderr, "# racer vCPU: exit reason %u\n", run->exit_reason);
			break;
		}
	}
	if (!ioctl(f->vcpu->fd, KVM_GET_REGS, &regs))
		f->racer_writes += regs.r10;
}

void *racer(void *arg)
{
	struct fuzz *f = arg;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	pthread_mutex_lock(&f->race_lock);
	while (!f->stop) {
		if (!f->racing || f->racer_error) {
			pthread_cond_wait(&f->race_cond, &f->race_lock);
			continue;
		}
		f->in_guest = true;
		f->vcpu->run->immediate_exit = 0;
		pthread_cond_broadcast(&f->race_cond);
		pthread_mutex_unlock(&f->race_lock);
		racer_run(f);
		pthread_mutex_lock(&f->race_lock);
		f->in_guest = false;
		f->racing = false;
		pthread_cond_broadcast(&f->race_cond);
	}
	pthread_mutex_unlock(&f->race_lock);
	return NULL;
}

/* Start the racer vCPU, or kick it out and wait until it stopped writing. */
void race(struct fuzz *f, bool on)
{
	pthread_mutex_lock(&f->race_lock);
	if (on) {
		f->racing = true;
		pthread_cond_broadcast(&f->race_cond);
		/* the requests race only once the vCPU runs */
		while (f->racing && !f->in_guest && !f->racer_error)
			pthread_cond_wait(&f->race_cond, &f->race_lock);
	} else {
		while (f->in_guest) {
			/* immediate_exit covers a kick between two KVM_RUNs */
			f->vcpu->run->immediate_exit = 1;
			pthread_kill(f->racer, SIGUSR1);
			pthread_mutex_unlock(&f->race_lock);
			usleep(100);
			pthread_mutex_lock(&f->race_lock);
		}
		f->racing = false;
	}
	pthread_mutex_unlock(&f->race_lock);
}
