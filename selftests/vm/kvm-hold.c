// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-hold: keeps two idle KVM VMs, one with an in-kernel irqchip, each
 * with a vCPU that never runs, for the life of the test VM.  The test VM's
 * init starts it before any test.
 *
 * Why: the first KVM VM on a host enables the static key
 * preempt_notifier_key and the last one to go disables it; each change
 * rewrites the 5-byte NOP (or JMP) at __schedule+0x2ab with text_poke_bp(),
 * which puts an INT3 there while every CPU runs through it.  Under QEMU's
 * multi-threaded TCG that live-locked both emulated CPUs of the test VM,
 * each taking the INT3 at __schedule over and over with interrupts off
 * (seen with the monitor's "info registers -a" in a frozen run: both RIPs
 * in asm_exc_int3/exc_int3, both interrupt frames at __schedule+0x2ac).
 * It happens on every 0 <-> 1 change of the number of VMs, so a loop that
 * creates and closes VMs froze the test VM in about half of its 30 s runs.  While this VM
 * lives, the key stays enabled and no VM's creation or close patches the
 * kernel's text; its vCPU's software-disabled APIC keeps the apic_sw_disabled
 * key enabled in the same way for the L2 guests' vCPUs.  A second VM, with
 * a vCPU and no irqchip, does the same for kvm_has_noapic_vcpu, which every
 * vCPU without an in-kernel APIC (the selftests' small guests, kvm_guest.c)
 * takes and drops, patching the text on each 0 <-> 1 change: a loop of
 * such VMs ran 530 cycles in 30 s without this VM, 810-830 with it.  That
 * loop did not freeze the test VM in 3 runs of 30 s, so whether it froze
 * the vmm suite in virtio_mem_fuzz once (make check, 2026-12-02) is not
 * known; it is the same kind of patching.  A busy host has VMs running
 * too: the tests lose nothing they measure.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void)
{
	int kvm, vm, vcpu;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		perror("kvm-hold: /dev/kvm");
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0 || ioctl(vm, KVM_CREATE_IRQCHIP, 0)) {
		perror("kvm-hold: KVM_CREATE_VM");
		return 1;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		perror("kvm-hold: KVM_CREATE_VCPU");
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0 || ioctl(vm, KVM_CREATE_VCPU, 0) < 0) {
		perror("kvm-hold: a VM without irqchip");
		return 1;
	}
	/* tell init the VM exists, then hold it until the test VM powers off */
	if (write(STDOUT_FILENO, "ready\n", 6) != 6)
		return 1;
	close(STDOUT_FILENO);
	for (;;)
		pause();
}
