#!/usr/bin/env python3
"""Create and close KVM VMs in a tight loop for SEC seconds (default 30)."""
import fcntl
import os
import sys
import time

KVM_CREATE_VM = 0xAE01
kvm = os.open("/dev/kvm", os.O_RDWR)
n, end = 0, time.monotonic() + float(sys.argv[1] if len(sys.argv) > 1 else 30)
while time.monotonic() < end:
    os.close(fcntl.ioctl(kvm, KVM_CREATE_VM, 0))
    n += 1
print("cycles", n)
