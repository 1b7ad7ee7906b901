#!/bin/bash
# memplugd's slot planner in the test VM, as the module sees it:
# --no-steps makes a growth one SLOTS_APPLY batch and one rise; --ahead
# all attaches every slot when the guest's driver comes up, so a growth
# changes no memslot.  (The default, doubling steps, is in
# memplugd_e2e.sh.)  TAP on stdout.
cd "$(dirname "$0")/../.." || exit 1
. selftests/memplugd/lib.sh

need_module

# grown NAME MEMPLUGD-ARGS: memplugd with ARGS, a guest NAME booted under
# it, and its first growth to 1 GiB watched by "memplugctl monitor" in
# $T/NAME.mon; sets VM and GUEST_PID
grown() {
	# shellcheck disable=SC2086 # $2 is memplugd's arguments, split on purpose
	daemon_start $2
	vmm_boot "$1" 120 -m 512 --hotplug "$PUT" --daemon "$SOCK"
	check "$2: the guest boots" test $? -eq 0
	GUEST_PID=$VMM_PID
	VM=$(vm_id "$1")
	"$CTL" -j monitor > "$T/$1.mon" 2>&1 &
	MON_PID=$!
	grow_1g "$1" "$VM" "$2: patch 1024 grows the guest's MemTotal by 1 GiB"
	kill "$MON_PID"
}

# done_with NAME: power the guest off, stop memplugd
done_with() {
	guest_poweroff "$1" "$GUEST_PID" "$1: the VMM exits 0"
	daemon_stop
}

grown n --no-steps
check "--no-steps: one batch of the 7 slots past the spare, then the next spare ($(batches n))" \
	sh -c "echo '$(batches n)' | grep -qE '(^| )7 1 $'"
check "--no-steps: the guest heard of 1 GiB at once ($(rises n))" \
	test "$(rises n)" = "1073741824 "
done_with n

# ---- --ahead all: the whole region in one batch at driver ready ----------
grown a "--ahead all"
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
done_with a

# ---- more slots than a batch: --ahead all over 2048 slots of 2 MiB --------
# memplug.ko takes MEMPLUG_BATCH_MAX (1024) slots in one SLOTS_APPLY
daemon_start --ahead all
"$CTL" -j monitor > "$T/b.mon" 2>&1 &
MON_PID=$!
vmm_boot b 120 -m 512 --daemon "$SOCK" \
	--hotplug '{"total_size_mib":4096,"block_size_mib":2,"slot_size_mib":2}'
check "--ahead all, 2048 slots of 2 MiB: the guest boots" test $? -eq 0
GUEST_PID=$VMM_PID
VM=$(vm_id b)
for i in $(seq 1 300); do
	n=$("$CTL" -j vm show "$VM" | grep -o '"nr_slots":[0-9]*' | cut -d: -f2)
	[ "$n" = 2048 ] && break
	sleep 0.1
done
sleep 1
kill "$MON_PID"
check "--ahead all: memplug.ko holds all 2048 slots ($n), in two batches ($(batches b))" \
	sh -c "[ '$n' = 2048 ] && [ '$(batches b)' = '1024 1024 ' ]"
grep 'refused' "$T/memplugd.log" | sed 's/^/# /'
done_with b
tap_end
