#!/usr/bin/env python3
"""Create and close KVM VMs in a tight loop for SEC seconds (default 30).

First prints how many other VMs exist (KVM's debugfs has a directory
"PID-FD" per VM): the test VM's init holds one, so that no VM of this loop
is the first or the last (selftests/vm/kvm-hold.c says why)."""
import fcntl
import os
import sys
import time

KVM_CREATE_VM = 0xAE01
try:
    others = sum(1 for d in os.listdir("/sys/kernel/debug/kvm")
                 if os.path.isdir(os.path.join("/sys/kernel/debug/kvm", d)))
except OSError:
    others = -1
print("other VMs", others)
kvm = os.open("/dev/kvm", os.O_RDWR)
n, end = 0, time.monotonic() + float(sys.argv[1] if len(sys.argv) > 1 else 30)
while time.monotonic() < end:
    os.close(fcntl.ioctl(kvm, KVM_CREATE_VM, 0))
    n += 1
print("cycles", n)
