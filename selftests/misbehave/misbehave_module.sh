#!/bin/bash
# A misbehaving guest on memplug-vmm under memplugd with memplug.ko
# (selftests/misbehave/lib.sh).
cd "$(dirname "$0")/../.." || exit 1
. selftests/misbehave/lib.sh

need_module "module mode"
kvm0=$(refcnt kvm_amd)
mp0=$(refcnt memplug)
daemon_start
check "module: memplugd in module mode" grep -q 'listening on .* (module mode)' "$T/memplugd.log"
if vmm_boot m 150 -m 512 --hotplug "$PUT" --daemon "$SOCK"; then
	ok "module: the guest boots"
	VM=$(vm_id m)
	slots0=$("$CTL" -j vm show "$VM" | grep -o '"nr_slots":[0-9]*' | cut -d: -f2)
	kvm1=$(refcnt kvm_amd)
	mp1=$(refcnt memplug)
	misbehave m module
	slots1=$("$CTL" -j vm show "$VM" | grep -o '"nr_slots":[0-9]*' | cut -d: -f2)
	check "module: memplug.ko's slots for the VM as before ($slots0 -> $slots1)" \
		test "$slots1" = "$slots0"
	check "module: refcounts as before (kvm_amd $kvm1 -> $(refcnt kvm_amd), memplug $mp1 -> $(refcnt memplug))" \
		test "$(refcnt kvm_amd)" = "$kvm1" -a "$(refcnt memplug)" = "$mp1"
	check "module: memplugd runs" kill -0 "$DAEMON_PID"
	power_off m module
	i=0
	while [ "$(refcnt kvm_amd)" != "$kvm0" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	check "module: VM gone, refcounts back (kvm_amd $(refcnt kvm_amd) = $kvm0, memplug $(refcnt memplug) = $mp0)" \
		sh -c "[ '$(refcnt kvm_amd)' = '$kvm0' ] && [ '$(refcnt memplug)' = '$mp0' ] && ! $CTL -j vm show 2>/dev/null | grep -q '\"id\":${VM}[,}]'"
else
	not_ok "module: the guest boots"
fi
kill "$DAEMON_PID" 2>/dev/null
wait "$DAEMON_PID" 2>/dev/null
tap_end
