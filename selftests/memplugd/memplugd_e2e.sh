#!/bin/bash
# memplugd end to end in the test VM: memplug.ko + memplugd + memplug-vmm
# (with a seccomp filter that denies it memslot ioctls) + a Linux guest,
# driven by memplugctl.  Then the same without the module (fallback).
# TAP on stdout.
cd "$(dirname "$0")/../.." || exit 1
. selftests/memplugd/lib.sh

# ---- module mode -----------------------------------------------------
need_module
daemon_start
check "memplugd starts and says it uses memplug.ko" \
	grep -q 'listening on .* (module mode)' "$T/memplugd.log"

vmm_boot a 120 -m 512 --hotplug "$PUT" --daemon "$SOCK"
check "the guest boots" test $? -eq 0
A_PID=$VMM_PID
VM=$(vm_id a)
check "the VMM registered in module mode with seccomp on" \
	grep -q "registered with memplugd as VM $VM, module mode: memslot ioctls denied" "$T/a.err"
check "vm show lists the VM with its owner" \
	sh -c "$CTL -j vm show $VM | grep -q '\"id\":$VM'"

"$CTL" -j monitor > "$T/monitor.log" 2>&1 &
MON_PID=$!
before=$(guest_mem_kb a)
diag "guest MemTotal before: $before kB"
patch_first "$VM" 1024
diag "$out"
check "patch requested 1024 --wait reaches plugged 1024" \
	sh -c "echo '$out' | grep -q 'plugged 1024 MiB after'"
after=$(guest_mem_kb a)
diag "guest MemTotal after: $after kB"
check "the guest's MemTotal grew by 1 GiB" \
	test "$((after - before))" -eq $((1024 * 1024))
check "memplug.ko holds the 8 slots of 128 MiB and a spare (vm show)" \
	sh -c "$CTL -j vm show $VM | grep -o '\"nr_slots\":[0-9]*' | grep -q ':9$'"
check "GET mirrors plugged 1024, requested 1024" \
	sh -c "test '$(get_field "$VM" plugged_size_mib)' = 1024 && test '$(get_field "$VM" requested_size_mib)' = 1024"
kill "$MON_PID"
# 0 -> 1 GiB is pipelined: the guest hears of 128 MiB at once (the spare
# slot 0 was attached when its driver came up), then each step doubles,
# its slots attached while the guest plugs the last one's; then the next
# spare
batches=$(grep '"event":"slots-applied"' "$T/monitor.log" | grep -o '"nr_slots":[0-9]*' | cut -d: -f2 | tr '\n' ' ')
check "monitor saw batches of 1, 2 and 4 slots, then the new spare ($batches)" \
	sh -c "echo '$batches' | grep -qE '(^| )1 2 4 1 $'"
steps=$(grep '"event":"hotplug"' "$T/monitor.log" | grep -o '"requested_size":[0-9]*' | uniq | cut -d: -f2 | tr '\n' ' ')
check "monitor saw requested rise 128, 256, 512, 1024 MiB ($steps)" \
	sh -c "echo '$steps' | grep -q '134217728 268435456 536870912 1073741824 '"
check "monitor saw plugged == requested == 1 GiB" \
	grep -q '"event":"hotplug".*"requested_size":1073741824,"plugged_size":1073741824' "$T/monitor.log"
check "the VMM itself never set a hotplug memslot" \
	sh -c "! grep -q 'attaching slot' '$T/a.err'"

# bad bodies: refused with their message, nothing changes
bad() {
	local want=$1 body=$2 out
	if ! out=$(mctl hotplug patch "$VM" "$body" 2>&1) && [ "$out" = "Error: $want." ] &&
	   [ "$(get_field "$VM" requested_size_mib)" = 1024 ]; then
		ok "PATCH $body refused: $want"
	else
		not_ok "PATCH $body refused: $want (got: $out)"
	fi
}
bad "unknown field \`bogus\`" '{"bogus":1}'
bad "Invalid requested_size_mib: must be an integer, not a string" '{"requested_size_mib":"512"}'
bad "Invalid requested_size_mib: must be 0..=1048576" '{"requested_size_mib":2000000}'
bad "Invalid requested_size_mib: must be a multiple of block_size_mib" '{"requested_size_mib":513}'
bad "Invalid requested_size_mib: must be <= total_size_mib" '{"requested_size_mib":4096}'
out=$(mctl hotplug put "$VM" total 4096 2>&1)
check "PUT after boot refused with its message" \
	test "$out" = "Error: Invalid hotplug-memory: PUT is accepted only before the guest starts."
check "unknown VM: a clear error" \
	sh -c "$CTL hotplug get 999 2>&1 | grep -q '^Error: no VM attached with this id.'"

# unprivileged: GET works, PATCH gets EPERM
check "without CAP_NET_ADMIN, GET works" \
	setpriv --bounding-set=-net_admin "$CTL" hotplug get "$VM"
out=$(setpriv --bounding-set=-net_admin "$CTL" hotplug patch "$VM" requested 512 2>&1)
check "without CAP_NET_ADMIN, PATCH is refused" \
	sh -c "echo '$out' | grep -q 'Operation not permitted'"

# memplugd stopped (SIGSTOP), as if busy with a batch: GET is answered by
# memplug.ko from memplugd's last HOTPLUG_EVENT at once (Firecracker
# #6007: a GET must never queue behind the daemon); a PATCH is relayed
# and fails after the relay's bounded wait (5 s).
# get_stopped VM: GET (-j) with memplugd stopped; $out, $get_ms.  Bounded
# below the relay's 5 s: a relayed GET would be killed.  Most of the time
# is memplugctl starting under TCG (0.3-1.4 s, as long as with memplugd up).
get_stopped() {
	local t0 rc
	kill -STOP "$DAEMON_PID"
	t0=$(date +%s%N)
	out=$(timeout 4 "$CTL" -j hotplug get "$1" 2>&1)
	rc=$?
	get_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	kill -CONT "$DAEMON_PID"
	return $rc
}
t0=$(date +%s%N)
mctl hotplug get "$VM" > /dev/null
diag "GET with memplugd running: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
get_stopped "$VM"
check "memplugd stopped: GET answers in ${get_ms} ms, plugged and requested 1024: $out" \
	sh -c "echo '$out' | grep -q '\"plugged_size_mib\":1024,\"requested_size_mib\":1024}'"
kill -STOP "$DAEMON_PID"
t0=$(date +%s%N)
out=$(timeout 15 "$CTL" hotplug patch "$VM" requested 512 2>&1)
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "memplugd stopped: PATCH fails after the relay's 5 s wait ($ms ms): $out" \
	sh -c "test $rc -ne 0 && test $rc -ne 124 && test $ms -ge 4900 && test $ms -lt 10000 &&
	       test '$out' = 'Error: memplug: the daemon that owns this VM did not answer in time.'"
kill -CONT "$DAEMON_PID"
# The PATCH was delivered, but past its deadline: memplugd must not carry
# out a change its caller was told had failed.
check "memplugd continued: it dropped the PATCH that came too late" \
	wait_for "$T/memplugd.log" 'dropped: memplugd got the request too late' 10
check "and nothing changed: requested is still 1024" \
	test "$(get_field "$VM" requested_size_mib)" = 1024
mctl hotplug patch "$VM" requested 1024 > /dev/null
rc=$?
check "memplugd continued: PATCH and GET work again" \
	test "$rc-$(get_field "$VM" requested_size_mib)" = 0-1024

# unplug
rss1=$(vmm_rss_kb "$A_PID")
guest a fill fill 60 > /dev/null
rss_full=$(vmm_rss_kb "$A_PID")
t0=$(date +%s%N)
out=$(mctl hotplug patch "$VM" requested 0 --wait 90 2>&1)
diag "unplug: $out ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
plugged=$(get_field "$VM" plugged_size_mib)
diag "after unplug: plugged $plugged MiB (the guest may keep a block)"
check "patch requested 0: plugged falls below 128 MiB" test "$plugged" -lt 128
sleep 1
rss2=$(vmm_rss_kb "$A_PID")
diag "VMM RSS: ${rss1} kB plugged, ${rss_full} kB filled, ${rss2} kB after unplug"
check "the VMM's RSS falls after the unplug" test "$rss2" -lt "$rss_full"
check "emptied slots are detached, the spare stays (vm show)" \
	sh -c "$CTL -j vm show $VM | grep -o '\"nr_slots\":[0-9]*' | grep -q ':1$'"

# two CLIs at once: serialised, consistent
mctl hotplug patch "$VM" requested 512 > /dev/null 2>&1 &
mctl hotplug patch "$VM" requested 768 > /dev/null 2>&1 &
wait %%
sleep 0.2
req=$(get_field "$VM" requested_size_mib)
check "two concurrent PATCHes: the result is one of them ($req)" \
	sh -c "test '$req' = 512 || test '$req' = 768"
mctl hotplug patch "$VM" requested 768 --wait 60 > /dev/null 2>&1
n=$($CTL -j vm show "$VM" | grep -o '"nr_slots":[0-9]*' | cut -d: -f2)
check "and the slots match it (6 for 768 MiB and a spare, got $n)" test "$n" = 7

# memplugd dies while a PATCH is in flight: the guest keeps its memory
mctl hotplug patch "$VM" requested 1536 > /dev/null 2>&1 &
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
sleep 0.5
check "memplugd SIGKILLed: the module released the VM" \
	sh -c "! $CTL vm show $VM > /dev/null 2>&1"
check "the guest runs on with its plugged memory" guest_alive a
daemon_start
wait_for "$T/a.err" 'registered again with memplugd' 20
VM=$(vm_id a)
check "a restarted memplugd takes the VM back (VM $VM)" \
	sh -c "$CTL -j vm show $VM | grep -q '\"id\":$VM'"
check "the restarted daemon kept the slots (adopted)" \
	sh -c "grep -q 'took back' '$T/memplugd.log'"
get_stopped "$VM"
check "the restarted memplugd told memplug.ko its GET answer: GET answers while it is stopped: $out" \
	sh -c "echo '$out' | grep -q '\"total_size_mib\":2048,'"
out=$(mctl hotplug patch "$VM" requested 1024 --wait 60 2>&1)
check "and plugs again: $out" sh -c "echo '$out' | grep -q 'plugged 1024 MiB'"
guest_poweroff a "$A_PID" "the guest powers off, the VMM exits 0"
daemon_stop

# ---- paused: configured by PUT through memplugd, booted by vm start ----
# Firecracker's order: the VMM exists before its hotplug config; a PUT is
# taken (and may be replaced) until the guest starts, and never after.
refused() {	# DESCRIPTION WANT CMD...: CMD fails with "Error: WANT."
	local d=$1 want=$2 out
	shift 2
	if ! out=$("$@" 2>&1) && [ "$out" = "Error: $want." ]; then
		ok "$d"
	else
		not_ok "$d (got: $out)"
	fi
}
daemon_start
vmm_start p -m 512 --paused --hotplug-max 2048 --daemon "$SOCK" --boot-timeout 120
P_PID=$VMM_PID
wait_for "$T/p.err" 'registered with memplugd' 20
VM=$(vm_id p)
check "a paused VMM registers before it has a config" \
	grep -q 'paused: the guest boots on memplugd' "$T/p.err"
refused "GET before PUT refused" \
	"Invalid hotplug-memory: not configured (PUT first)" mctl hotplug get "$VM"
refused "PATCH before PUT refused" \
	"Invalid hotplug-memory: not configured (PUT first)" \
	mctl hotplug patch "$VM" requested 512
refused "vm start before PUT refused" \
	"Invalid hotplug-memory: not configured (PUT first)" mctl vm start "$VM"
refused "PUT beyond the reserved region refused" \
	"Invalid total_size_mib: the VMM's hotplug region holds 2048 MiB" \
	mctl hotplug put "$VM" total 4096
refused "PUT with a bad body refused" \
	"Invalid total_size_mib: must be a multiple of slot_size_mib" \
	mctl hotplug put "$VM" '{"total_size_mib":100}'
out=$(mctl -j hotplug put "$VM" total 1024 slot 256 2>&1)
check "PUT before the start is taken: $out" \
	sh -c "echo '$out' | grep -q '\"slot_size_mib\":256'"
out=$(mctl -j hotplug put "$VM" "$PUT" 2>&1)
check "a second PUT replaces it: $out" \
	sh -c "echo '$out' | grep -q '\"total_size_mib\":2048,\"block_size_mib\":2,\"slot_size_mib\":128'"
get_stopped "$VM"
check "memplugd stopped: GET shows the second PUT's config: $out" \
	sh -c "echo '$out' | grep -q '\"total_size_mib\":2048,\"block_size_mib\":2,\"slot_size_mib\":128,\"plugged_size_mib\":0,\"requested_size_mib\":0}'"
refused "PATCH before the start refused" \
	"Invalid hotplug-memory: the device is not active (the guest has not started)" \
	mctl hotplug patch "$VM" requested 512
check "the guest has not run yet" sh -c "! grep -q 'memplug-guest' '$T/p.con'"
check "vm start boots the guest" mctl vm start "$VM"
check "the guest reaches init" wait_for "$T/p.con" 'memplug-guest: ready' 120
refused "a second vm start refused" "the guest is already running" \
	mctl vm start "$VM"
refused "PUT after the start refused" \
	"Invalid hotplug-memory: PUT is accepted only before the guest starts" \
	mctl hotplug put "$VM" total 1024
grow_1g p "$VM" "the PUT config is the guest's: patch 1024 grows MemTotal by 1 GiB"
guest_poweroff p "$P_PID" "the paused-then-started VMM exits 0"
daemon_stop

# ---- fallback: memplug.ko absent -------------------------------------
if rmmod memplug; then
	daemon_start
	check "without memplug.ko memplugd falls back to local mode" \
		grep -q 'not loaded: falling back to local mode' "$T/memplugd.log"
	vmm_boot b 120 -m 512 --hotplug "$PUT" --daemon "$SOCK"
	check "fallback: the guest boots" test $? -eq 0
	B_PID=$VMM_PID
	VM=$(vm_id b)
	check "the VMM registered in local mode" \
		grep -q "registered with memplugd as VM $VM, local mode" "$T/b.err"
	grow_1g b "$VM" "fallback: patch 1024 grows the guest's MemTotal by 1 GiB"
	# the module's keys where memplugd has the value, text and JSON
	check "fallback: vm show says local mode" \
		sh -c "$CTL -s $SOCK vm show $VM | grep -q '^vm $VM: .*mode local slots ' &&
		       $CTL -s $SOCK -j vm show | grep -q '\"mode\":\"local\",.*\"plugged_size\":1073741824}'"
	guest_poweroff b "$B_PID" "fallback: the VMM exits 0"
	daemon_stop
	insmod module/memplug.ko
else
	not_ok "rmmod memplug for the fallback test"
fi
diag "memplugd logs:"
cat "$T/memplugd.all" "$T/memplugd.log" | grep -v ' detached 1 slots' | sed 's/^/# /' | tail -30
tap_end
