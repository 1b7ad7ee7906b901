#!/bin/bash
# memplugd restarted in the other mode under a VMM that runs in module mode
# (its memslot ioctls denied by seccomp), then in module mode again:
#  - in module mode only memplugd sets the size (it attaches first);
#  - in local mode nobody can attach a slot for the VMM: a plug past the
#    attached slots gets BUSY, which the guest retries later (a NACK it
#    retries at once: 113,000 of them in a minute of the stress run), and
#    the VMM logs that once;
#  - back in module mode memplugd attaches the slots of the request the
#    VMM carried over before it answers the registration, so the guest
#    plugs into memory KVM has (before, the VMM emulated the accesses to
#    it until the guest faulted on a page table there: stress seed 4153);
#  - slots the VMM emptied and unmapped while memplugd was in local mode,
#    which memplug.ko kept, go when memplugd is back in module mode;
#  - a carried request memplugd cannot attach is lowered to what the
#    attached slots back (before, the guest retried the missing slots and
#    GET promised a size that never came).
# TAP on stdout.
cd "$(dirname "$0")/../.." || exit 1
. selftests/memplugd/lib.sh

need_module

# again NAME N: the VMM registered N times in all
again() { wait_count "$T/$1.err" 'registered again with memplugd' "$2" 30; }
# restart [--no-module]: SIGKILL memplugd, start it again
restart() {
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	daemon_start "$@"
}
# poll TRIES DELAY WANT CMD...: until CMD prints WANT, at most TRIES times
# DELAY s apart; $tries says how many it took
poll() {
	local n=$1 d=$2 want=$3
	shift 3
	tries=0
	while [ "$("$@")" != "$want" ] && [ $tries -lt "$n" ]; do
		sleep "$d"
		tries=$((tries + 1))
	done
}
slots_of() { "$CTL" -j vm show "$1" | grep -o '"nr_slots":[0-9]*' | cut -d: -f2; }

daemon_start
vmm_boot m 120 -m 512 --hotplug "$PUT" --daemon "$SOCK"
check "the guest boots under memplugd in module mode" test $? -eq 0
M_PID=$VMM_PID
VM=$(vm_id m)
patch_first "$VM" 256
check "patch 256 settles: $out" sh -c "echo '$out' | grep -q 'plugged 256 MiB'"
out=$(ctl m 'PATCH {"requested_size_mib":512}' | tail -1)
check "module mode: a PATCH on the VMM's own socket is refused: $out" \
	sh -c "echo '$out' | grep -q 'memplugd sets the size in module mode'"

# ---- memplugd back in local mode: nobody may attach ------------------
restart --no-module
check "the VMM registers again with memplugd in local mode" again m 1
out=$(ctl m 'PATCH {"requested_size_mib":1024}' 'WAIT 15000' | tail -1)
diag "PATCH 1024 on the VMM's socket: $out"
j=$(ctl m GET | tail -1)
plugged=$(json_field "$j" plugged_size_mib)
check "the PATCH is taken: requested $(json_field "$j" requested_size_mib) MiB" \
	test "$(json_field "$j" requested_size_mib)" = 1024
check "a plug past the attached slots is refused (plugged $plugged MiB)" test "$plugged" = 256
st=$(ctl m STATS | tail -1)
nack=$(json_field "$st" plug_nack) busy=$(json_field "$st" plug_busy)
refused=$((${nack:-0} + ${busy:-0}))
check "the guest was told to retry later, not at once: $refused refused plugs in 15 s" \
	test "$refused" -ge 1 -a "$refused" -le 5
n=$(grep -c 'attaching slot' "$T/m.err")
check "the VMM logged the refused attach once ($n lines)" test "$n" = 1
check "the guest still answers" guest_alive m

# ---- memplugd back in module mode ------------------------------------
restart
check "the VMM registers again with memplugd in module mode" again m 2
check "memplugd attached the slots of the 1024 MiB request at once" \
	grep -q "attached [0-9]* slots its 1024 MiB request needs" "$T/memplugd.log"
VM=$(vm_id m)
# The VMM's new slot operations tell the guest (a config interrupt) to
# retry its refused plugs now, not at its timer's next turn.
poll 180 1 1024 get_field "$VM" plugged_size_mib
check "the guest plugs up to 1024 MiB ($(get_field "$VM" plugged_size_mib) after $tries s)" \
	test "$(get_field "$VM" plugged_size_mib)" = 1024
check "no guest access left KVM for a slot the VMM had attached" \
	sh -c "! grep -q 'attached here but not in KVM' '$T/m.err'"
check "the guest still answers" guest_alive m

# ---- an unplug while memplugd is in local mode ------------------------
# The VMM unmaps the emptied slots but cannot detach them; memplug.ko
# keeps them for the next memplugd, which must let them go.
restart --no-module
check "the VMM registers again with memplugd in local mode" again m 3
out=$(ctl m 'PATCH {"requested_size_mib":128}' 'WAIT 120000' | tail -1)
diag "PATCH 128 on the VMM's socket: $out"
plugged=$(json_field "$(ctl m GET | tail -1)" plugged_size_mib)
check "the guest unplugs down to 128 MiB in local mode (plugged $plugged MiB)" test "$plugged" = 128
restart
check "the VMM registers again with memplugd in module mode" again m 4
VM=$(vm_id m)
poll 50 0.2 2 slots_of "$VM"
check "memplug.ko keeps only the slot of 128 MiB and the spare ($(slots_of "$VM") slots)" \
	test "$(slots_of "$VM")" = 2
out=$(mctl hotplug patch "$VM" requested 512 --wait 60 2>&1)
check "module mode again: patch 512 settles: $out" sh -c "echo '$out' | grep -q 'plugged 512 MiB'"
check "the guest still answers" guest_alive m

# ---- back in module mode, and the carried request cannot be attached ---
restart --no-module
check "the VMM registers again with memplugd in local mode" again m 5
out=$(ctl m 'PATCH {"requested_size_mib":1024}' 'WAIT 10000' | tail -1)
diag "PATCH 1024 on the VMM's socket: $out"
plugged=$(json_field "$(ctl m GET | tail -1)" plugged_size_mib)
diag "plugged in local mode: $plugged MiB"
fault=/sys/module/memplug/parameters/fault_entry
echo 0 > "$fault"	# memplugd's batch for the missing slots fails
restart
check "the VMM registers again with memplugd in module mode" again m 6
echo -1 > "$fault"
VM=$(vm_id m)
check "memplugd logs that it cannot attach the 1024 MiB request's slots" \
	grep -q "cannot attach the slots of its 1024 MiB request" "$T/memplugd.log"
want=$(($(slots_of "$VM") * 128))
poll 50 0.2 "$want" get_field "$VM" requested_size_mib
check "the request is lowered to the $want MiB its attached slots back ($(get_field "$VM" requested_size_mib))" \
	test "$(get_field "$VM" requested_size_mib)" = "$want" -a "$want" -lt 1024
poll 60 0.5 "$want" get_field "$VM" plugged_size_mib
check "the guest settles at $want MiB ($(get_field "$VM" plugged_size_mib))" \
	test "$(get_field "$VM" plugged_size_mib)" = "$want"
out=$(mctl hotplug patch "$VM" requested 1024 --wait 60 2>&1)
check "with the fault gone, patch 1024 settles: $out" sh -c "echo '$out' | grep -q 'plugged 1024 MiB'"
check "no guest access left KVM for a slot the VMM had attached" \
	sh -c "! grep -q 'attached here but not in KVM' '$T/m.err'"
check "the guest still answers" guest_alive m
guest_poweroff m "$M_PID" "the VMM exits 0"
daemon_stop
diag "memplugd logs:"
cat "$T/memplugd.all" "$T/memplugd.log" | grep -v ' [a-z]*tached 1 slots' | sed 's/^/# /' | tail -20
tap_end
