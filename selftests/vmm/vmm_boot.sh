#!/bin/sh
# memplug-vmm boots Debian's kernel with the project's guest and exits
# cleanly: power off (0), reboot (5), a triple fault is a reset (3),
# errors for a missing kernel, bad
# options, a bad PUT body (2) and a guest that does not reach init (4).
# Runs in the test VM (needs /dev/kvm).
cd "$(dirname "$0")/../.." || exit 1
. selftests/vmm/lib.sh

"$VMM" -k /nonexistent/vmlinuz 2> "$T/e1"
rc=$?
check "missing kernel: exit 2 ($rc) and says so" \
	sh -c "[ $rc -eq 2 ] && grep -q 'cannot read kernel /nonexistent/vmlinuz' $T/e1"
"$VMM" -k "$KERNEL" --bogus 2> /dev/null
check "unknown option: exit 2" [ $? -eq 2 ]
"$VMM" -k "$KERNEL" --smp 9 2> "$T/e2"
rc=$?
check "--smp 9: exit 2 with the range" sh -c "[ $rc -eq 2 ] && grep -q 'smp needs a number in 1..4' $T/e2"
"$VMM" -k "$KERNEL" -i "$INITRD" --hotplug '{"total_size_mib":100,"slot_size_mib":128}' 2> "$T/e3"
rc=$?
check "bad PUT body: exit 2 with squib's text" \
	sh -c "[ $rc -eq 2 ] && grep -qx 'memplug-vmm: error: --hotplug: Invalid total_size_mib: must be a multiple of slot_size_mib' $T/e3"
"$VMM" -k /bin/sh 2> "$T/e4"
rc=$?
check "not a bzImage: exit 1 and says so" sh -c "[ $rc -eq 1 ] && grep -q 'not a 64-bit bzImage' $T/e4"

# boot with 2 vCPUs, then power off
vmm_start b1 --smp 2 --boot-timeout 150
if wait_for "$T/b1.con" "^memplug-guest: ready" 150; then
	ok "guest boots to init"
	diag "$(grep 'reached init' "$T/b1.err")"
	r=$(guest b1 cpus cpus)
	check "guest sees 2 CPUs ($r)" [ "$r" = "@cpus 2" ]
	ctl b1 "CONSOLE poweroff" > /dev/null
	vmm_wait "$VMM_PID" 60
	rc=$?
	check "guest power off: VMM exits 0 ($rc)" [ $rc -eq 0 ]
	check "power off reported" grep -q "guest powered off (ACPI S5)" "$T/b1.err"
else
	not_ok "guest boots to init"
	sed 's/^/# /' "$T/b1.err" "$T/b1.con" | tail -20
	vmm_wait "$VMM_PID" 1
fi

# reboot is a clean exit too, but not "powered off"
vmm_start b2 --boot-timeout 150
if wait_for "$T/b2.con" "^memplug-guest: ready" 150; then
	ctl b2 "CONSOLE reboot" > /dev/null
	vmm_wait "$VMM_PID" 60
	rc=$?
	check "guest reboot: VMM exits 5 ($rc), reported" \
		sh -c "[ $rc -eq 5 ] && grep -q 'guest rebooted' $T/b2.err"
else
	not_ok "guest reboot: guest did not boot"
	vmm_wait "$VMM_PID" 1
fi

# a guest that cannot reach its init in 2 s
vmm_start b3 --boot-timeout 2
vmm_wait "$VMM_PID" 30
rc=$?
check "boot timeout: VMM exits 4 ($rc) with a clear error" \
	sh -c "[ $rc -eq 4 ] && grep -q 'did not reach its init in time' $T/b3.err"

# a triple fault: the kernel's 64-bit entry point replaced by ud2 (the
# VMM enters with an empty IDT, so the #UD escalates to a shutdown)
cp "$KERNEL" "$T/bad-vmlinuz"
sects=$(od -An -tu1 -j497 -N1 "$KERNEL" | tr -d ' ')
[ "$sects" -eq 0 ] && sects=4
printf '\017\013' | dd of="$T/bad-vmlinuz" bs=1 seek=$(((sects + 1) * 512 + 0x200)) conv=notrunc 2> /dev/null
"$VMM" -k "$T/bad-vmlinuz" -i "$INITRD" --console none --boot-timeout 60 2> "$T/e5"
rc=$?
check "triple fault: reported as a guest reset, exit 3 ($rc)" \
	sh -c "[ $rc -eq 3 ] && grep -q 'guest reset (KVM_EXIT_SHUTDOWN' $T/e5"

tap_end
