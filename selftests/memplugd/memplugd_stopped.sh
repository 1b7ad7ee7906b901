#!/bin/bash
# memplugd stopped (SIGSTOP: stuck, or in a debugger) while its guest
# unplugs.  The VMM's messages to it (STATE, SLOTS_EMPTY) fill the socket;
# the VMM's report of a slot the guest emptied must not wait for room with
# the device's locks held, or the guest's next UNPLUG waits with it, for
# as long as memplugd does not read.  The VMM's socket gets a small send
# buffer (net.core.wmem_default when it connects), so that a 512 MiB
# unplug fills it; the default one holds about 45 of the VMM's 3,248-byte
# messages, a few GiB of emptied slots.  When memplugd reads again the
# slots the guest emptied go, and it answers.
# TAP on stdout.
cd "$(dirname "$0")/../.." || exit 1
. selftests/memplugd/lib.sh

need_module

daemon_start
wmem=$(sysctl -n net.core.wmem_default)
sysctl -qw net.core.wmem_default=8192
# online_movable: the guest can give back all of it
vmm_boot s 120 -m 512 -a "quiet memhp_default_state=online_movable" \
	--hotplug "$PUT" --daemon "$SOCK"
rc=$?
sysctl -qw net.core.wmem_default="$wmem"
check "the guest boots under memplugd in module mode" test $rc -eq 0
VM=$(vm_id s)
patch_first "$VM" 512
check "patch 512 settles: $out" sh -c "echo '$out' | grep -q 'plugged 512 MiB'"
slots=$("$CTL" -j vm show "$VM" | grep -o '"nr_slots":[0-9]*' | cut -d: -f2)

# the unplug starts; memplugd stops before it has read the VMM's reports
mctl hotplug patch "$VM" requested 0 > /dev/null
kill -STOP "$DAEMON_PID"
plugged=
for i in $(seq 1 600); do
	plugged=$(json_field "$(ctl s GET)" plugged_size_mib)
	[ "$plugged" = 0 ] && break
	sleep 0.1
done
check "memplugd stopped: the guest unplugs to 0 all the same ($plugged MiB after $((i / 10)) s)" \
	test "$plugged" = 0
kill -CONT "$DAEMON_PID"
check "the guest answers" guest_alive s
poll_slots() {
	local i
	for i in $(seq 1 100); do
		now=$("$CTL" -j vm show "$VM" | grep -o '"nr_slots":[0-9]*' | cut -d: -f2)
		[ "$now" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}
poll_slots
check "memplugd reads again: the emptied slots go, the spare stays ($slots -> $now)" \
	test "$now" = 1
out=$(mctl hotplug patch "$VM" requested 256 --wait 60 2>&1)
check "and it plugs again: $out" sh -c "echo '$out' | grep -q 'plugged 256 MiB'"

guest_poweroff s "$VMM_PID" "the guest powers off, its VMM exits 0"
daemon_stop
tap_end
