#!/bin/sh
# Host-side tests of selftests/vm-run: argument handling, and that exit
# status, timeouts and guest panics come back the way callers rely on.
cd "$(dirname "$0")/../.." || exit 1
VMRUN=selftests/vm-run
n=0 failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

check() {
	desc=$1 want=$2
	shift 2
	n=$((n + 1))
	"$@" > "$out" 2>&1 < /dev/null
	got=$?
	if [ "$got" = "$want" ]; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc (exit $got, want $want)"
		sed 's/^/#   /' "$out" | tail -5
		failed=1
	fi
}

# check_out DESC REGEX: the last command's output matched REGEX
check_out() {
	n=$((n + 1))
	if grep -qE "$2" "$out"; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1 (no '$2' in output)"
		sed 's/^/#   /' "$out" | tail -5
		failed=1
	fi
}

echo "TAP version 13"
echo "1..19"
check "--help exits 0" 0 $VMRUN --help
check_out "--help documents --timeout" '^ +--timeout SEC'
check "unknown option exits 2" 2 $VMRUN --bogus -- true
check_out "unknown option is named" "unknown option '--bogus'"
check "missing command exits 2" 2 $VMRUN --timeout 5
check "non-numeric --timeout exits 2" 2 $VMRUN --timeout soon -- true
check "zero --mem exits 2" 2 $VMRUN --mem 0 -- true
check "missing kernel exits 125" 125 $VMRUN --kernel /nonexistent/vmlinuz -- true
check_out "missing kernel is one clear line" '^vm-run: cannot read kernel /nonexistent/vmlinuz$'
check "command's exit status comes back" 3 $VMRUN --no-module -- sh -c 'exit 3'
check "/dev/kvm exists in the test VM" 0 $VMRUN --no-module -- test -c /dev/kvm
check "a hang past --timeout exits 124" 124 $VMRUN --no-module --timeout 60 -- sleep 600
check_out "a hang shows the VM's tasks before the timeout" 'NMI backtrace for cpu'
check "a guest panic exits 125" 125 $VMRUN --no-module -- sh -c 'echo c > /proc/sysrq-trigger; sleep 30'
check_out "a guest panic is reported" '^vm-run: guest kernel panicked'
# what the kernel prints when the test VM's CPUs stop: the run ends at once
# (long timeouts: these runs end when the fault is seen, however slow the boot)
check "a soft lockup ends the run with 125" 125 $VMRUN --no-module --timeout 300 -- \
	sh -c 'echo "watchdog: BUG: soft lockup - CPU#0 stuck for 22s!"; sleep 280'
check_out "a soft lockup is reported" '^vm-run: the test VM soft-locked'
# a VM whose timer stopped prints nothing: its init's heartbeat stops (a
# directory in its place takes no more beats; init's loop may write the
# file again between the rm and the mkdir, hence the loop)
# shellcheck disable=SC2016 # for the sh in the test VM
check "a stopped heartbeat ends the run with 125" 125 env VMRUN_STALL_SEC=15 \
	$VMRUN --no-module --timeout 300 -- sh -c \
	'r=$(dirname $(grep -l heartbeat-test build/vm/runs/*/cmd)); until mkdir $r/heartbeat 2>/dev/null; do rm -f $r/heartbeat; done; sleep 280'
check_out "a stopped heartbeat is reported" '^vm-run: the test VM soft-locked \(no heartbeat'
exit $failed
