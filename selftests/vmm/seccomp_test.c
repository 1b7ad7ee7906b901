// SPDX-License-Identifier: GPL-2.0
/*
 * memplug-vmm's seccomp filter (vmm/seccomp.c) in a child process with a
 * real KVM VM: KVM_SET_USER_MEMORY_REGION fails with EPERM, other ioctls
 * work, and the same ioctl through the i386 ABI (int 0x80) or the x32
 * syscall bit does not get around it.
 * Needs /dev/kvm: runs in the test VM.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "memplug/vmm.h"

#define I386_NR_IOCTL	54

/* ioctl(fd, KVM_SET_USER_MEMORY_REGION, r) through int 0x80 */
static long ioctl_i386(int fd, struct kvm_userspace_memory_region *r)
{
	long ret;

	asm volatile("int $0x80"
		     : "=a"(ret)
		     : "a"(I386_NR_IOCTL), "b"(fd), "c"(KVM_SET_USER_MEMORY_REGION),
		       "d"((uint32_t)(uintptr_t)r)
		     : "memory");
	return ret;
}

/*
 * In a child: a VM, a 2 MiB memslot through @how once the filter is in.
 * The child's exit code is the ioctl's errno (0: the memslot was made).
 */
static int child(int how)
{
	struct kvm_userspace_memory_region *r;
	void *mem;
	int kvm, vm;
	long ret;

	kvm = open("/dev/kvm", O_RDWR);
	vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
	/* below 4 GiB, so that a 32-bit pointer reaches it */
	r = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	mem = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm < 0 || r == MAP_FAILED || mem == MAP_FAILED)
		_exit(100);
	*r = (struct kvm_userspace_memory_region){
		.slot = 1, .guest_phys_addr = 1ULL << 32,
		.memory_size = 2 << 20, .userspace_addr = (uintptr_t)mem,
	};
	if (vmm__deny_memslot_ioctls())
		_exit(101);
	/* the filter lets the rest of KVM through */
	if (ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) <= 0)
		_exit(102);
	switch (how) {
	case 0:
		ret = ioctl(vm, KVM_SET_USER_MEMORY_REGION, r) ? errno : 0;
		break;
	case 1:
		ret = -ioctl_i386(vm, r);
		break;
	default:
		/* x32's own ioctl entry (514) with the x32 bit */
		ret = syscall(0x40000000 | 514, vm, KVM_SET_USER_MEMORY_REGION, r) ?
		      errno : 0;
		break;
	}
	_exit(ret);
}

static int run(int how)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		child(how);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 1000 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

TEST(memslot_ioctl_denied)
{
	ASSERT_EQ(EPERM, run(0));
}

TEST(i386_abi_does_not_get_around_it)
{
	ASSERT_EQ(1000 + SIGSYS, run(1));
}

TEST(x32_bit_does_not_get_around_it)
{
	ASSERT_EQ(1000 + SIGSYS, run(2));
}

TEST_HARNESS_MAIN
