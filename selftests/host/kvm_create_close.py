#!/usr/bin/env python3
"""kvm_create_close.py [SEC [vcpu]]: create and close KVM VMs in a tight
loop for SEC seconds (default 30); with "vcpu", each VM gets a vCPU
without an in-kernel irqchip, as the selftests' small guests have.

First prints how many other VMs exist (KVM's debugfs has a directory
"PID-FD" per VM): the test VM's init holds two, so that no VM or vCPU of
this loop is the first or the last of its kind (selftests/vm/kvm-hold.c
says why)."""
import fcntl
import os
import sys
import time

KVM_CREATE_VM = 0xAE01
KVM_CREATE_VCPU = 0xAE41
try:
    others = sum(1 for d in os.listdir("/sys/kernel/debug/kvm")
                 if os.path.isdir(os.path.join("/sys/kernel/debug/kvm", d)))
except OSError:
    others = -1
print("other VMs", others)
kvm = os.open("/dev/kvm", os.O_RDWR)
n, end = 0, time.monotonic() + float(sys.argv[1] if len(sys.argv) > 1 else 30)
vcpus = len(sys.argv) > 2 and sys.argv[2] == "vcpu"
while time.monotonic() < end:
    vm = fcntl.ioctl(kvm, KVM_CREATE_VM, 0)
    if vcpus:
        os.close(fcntl.ioctl(vm, KVM_CREATE_VCPU, 0))
    os.close(vm)
    n += 1
print("cycles", n)
