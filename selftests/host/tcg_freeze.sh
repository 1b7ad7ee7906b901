#!/bin/sh
# The test VM must survive KVM VMs, each with a vCPU without an irqchip,
# created and closed in a tight loop for 30 s; every suite creates and
# closes VMs and vCPUs all the time.  Such a loop froze QEMU's
# multi-threaded TCG (the "rare soft lockups" of old) in about half of its
# 30 s runs while each VM was the first or the last one, which patches the
# kernel's text (a static key; selftests/vm/kvm-hold.c); a vCPU that is the
# only one without an in-kernel APIC does the same.  The test VM's init now
# holds two idle VMs, and the loop checks that they are there.
# VMRUN_KVM_HOLD=0 selftests/host/tcg_freeze.sh reproduces the freeze
# (1 of 2 runs on 2026-12-02).
cd "$(dirname "$0")/../.." || exit 1
echo "TAP version 13"
echo "1..3"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
selftests/vm-run --no-module --timeout 150 -- \
	selftests/host/kvm_create_close.py 30 vcpu > "$out" 2>&1
rc=$?
others=$(sed -n 's/^other VMs \(-*[0-9]*\)$/\1/p' "$out")
if [ "${others:-0}" -ge 2 ]; then
	echo "ok 1 - the test VM holds two KVM VMs of its own ($others besides the loop's)"
else
	echo "not ok 1 - the test VM holds two KVM VMs of its own (${others:-no} besides the loop's)"
fi
if [ $rc -eq 0 ]; then
	echo "ok 2 - 30 s of KVM_CREATE_VM/VCPU/close in the test VM ($(grep -m1 '^cycles' "$out"))"
else
	echo "not ok 2 - 30 s of KVM_CREATE_VM/VCPU/close in the test VM (exit $rc)"
	tail -8 "$out" | sed 's/^/#   /'
fi
n=$(sed -n 's/^cycles \([0-9]*\)$/\1/p' "$out")
if [ "${n:-0}" -ge 100 ]; then
	echo "ok 3 - the loop made progress ($n cycles)"
else
	echo "not ok 3 - the loop made progress (${n:-no} cycles)"
fi
