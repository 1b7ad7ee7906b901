#!/bin/bash
# memplugd's slot planner in the test VM, as the module sees it:
# --no-steps makes a growth one SLOTS_APPLY batch and one rise; --ahead
# all attaches every slot when the guest's driver comes up, so a growth
# changes no memslot.  (The default, doubling steps, is in
# memplugd_e2e.sh.)  TAP on stdout.
cd "$(dirname "$0")/../.." || exit 1
. selftests/vmm/lib.sh
. selftests/memplugd/lib.sh

if ! grep -q '^memplug ' /proc/modules; then
	ok "# SKIP memplug.ko is not loaded"
	tap_end
	exit
fi

daemon_start --no-steps
vmm_boot n 120 -m 512 --hotplug "$PUT" --daemon "$SOCK"
check "--no-steps: the guest boots" test $? -eq 0
N_PID=$VMM_PID
VM=$(vm_id n)
"$CTL" -j monitor > "$T/n.mon" 2>&1 &
MON_PID=$!
grow_1g n "$VM" "--no-steps: patch 1024 grows the guest's MemTotal by 1 GiB"
kill "$MON_PID"
check "--no-steps: one batch of the 7 slots past the spare, then the next spare ($(batches n))" \
	sh -c "echo '$(batches n)' | grep -qE '(^| )7 1 $'"
check "--no-steps: the guest heard of 1 GiB at once ($(rises n))" \
	test "$(rises n)" = "1073741824 "
guest n poweroff poweroff 5 > /dev/null
vmm_wait "$N_PID" 30
kill "$DAEMON_PID"
vmm_wait "$DAEMON_PID" 10

# ---- --ahead all: the whole region in one batch at driver ready ----------
daemon_start --ahead all
vmm_boot a 120 -m 512 --hotplug "$PUT" --daemon "$SOCK"
check "--ahead all: the guest boots" test $? -eq 0
A_PID=$VMM_PID
VM=$(vm_id a)
"$CTL" -j monitor > "$T/a.mon" 2>&1 &
MON_PID=$!
grow_1g a "$VM" "--ahead all: patch 1024 grows the guest's MemTotal by 1 GiB"
kill "$MON_PID"
check "--ahead all: memplug.ko holds all 16 slots of the region (vm show)" \
	sh -c "$CTL -j vm show $VM | grep -o '\"nr_slots\":[0-9]*' | grep -q ':16$'"
check "--ahead all: no batch but the driver-ready one of 16 ($(batches a))" \
	sh -c "echo '$(batches a)' | grep -qE '^(16 )?$'"
check "--ahead all: the guest heard of 1 GiB at once ($(rises a))" \
	test "$(rises a)" = "1073741824 "
out=$(mctl hotplug patch "$VM" requested 0 --wait 120 2>&1)
diag "$out"
check "--ahead all: after an unplug to 0 the slots stay (vm show)" \
	sh -c "$CTL -j vm show $VM | grep -o '\"nr_slots\":[0-9]*' | grep -q ':16$'"
guest a poweroff poweroff 5 > /dev/null
vmm_wait "$A_PID" 30
check "--ahead all: the VMM exits 0" test $? -eq 0
kill "$DAEMON_PID"
vmm_wait "$DAEMON_PID" 10
tap_end
