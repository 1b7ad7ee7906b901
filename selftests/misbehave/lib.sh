# shellcheck shell=bash disable=SC2034
# Helpers of the misbehaving-guest tests (sourced by misbehave_local.sh and
# misbehave_module.sh; TAP on stdout).
#
# A misbehaving guest: guest/misbehave.c takes the virtio-mem device from
# Linux (virtio-pci unbound, the device driven from userspace through its
# BAR, rings in pages found with /proc/self/pagemap, device memory through
# /dev/mem) and sends the requests the spec forbids, breaks its ring in
# every way it can, and loads and stores in unplugged blocks of attached
# slots, in slots the VMM has not attached (a spare of memplugd's in module
# mode) and past the region.  The guest checks each answer; here:
#   - the VMM keeps running and answers GET;
#   - while the guest misbehaves, the host memory behind the region (the
#     memfd's allocated blocks plus anonymous memory in the region's
#     mappings) stays within the slots that are in KVM;
#   - after the guest's UNPLUG_ALL, and after a PATCH to 0, it falls to
#     what is plugged (0): memory the guest touched without plugging it is
#     not kept;
#   - the VMM's file descriptors do not grow; in module mode memplug.ko's
#     slots for the VM and the module's and kvm_amd's reference counts are
#     what they were before.
# Local mode (misbehave_local.sh) and memplugd + memplug.ko
# (misbehave_module.sh): one test each, so that each has run-tests' 600 s.
# Run in the test VM (need /dev/kvm).
# memplugd/lib.sh: memplugd, memplugctl (mctl) and vmm/lib.sh
. selftests/memplugd/lib.sh

MIB_TOTAL=1024
SLOT=128
REQ=192				# usable 256: one slot and a half plugged at most
PUT="{\"total_size_mib\":$MIB_TOTAL,\"block_size_mib\":2,\"slot_size_mib\":$SLOT}"
SLACK_KB=2048			# one 2 MiB page

refcnt() { cat "/sys/module/$1/refcnt" 2>/dev/null || echo none; }
nfds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# region_start PID: the hotplug region's host address (its first memfd
# mapping: slot 0 is attached while requested > 0)
region_start() {
	awk '/memplug-hotplug/ { split($1, r, "-"); print r[1]; exit }' "/proc/$1/maps"
}

# region_kb PID START LIMIT SECONDS: "M A", the KiB allocated in the VMM's
# hotplug memfd (M) and anonymous in the region's mappings (A), once both
# are <= LIMIT or after SECONDS (the VMM's worker punches in the
# background).  One python for the whole wait: a process start is slow
# under nested emulation.
region_kb() {
	/usr/bin/python3 - "$@" "$((MIB_TOTAL << 20))" <<'PY'
import os, sys, time
pid, start, limit, secs, size = sys.argv[1], int(sys.argv[2], 16), int(sys.argv[3]), \
    float(sys.argv[4]), int(sys.argv[5])
fds = "/proc/%s/fd" % pid
memfd = [os.path.join(fds, f) for f in os.listdir(fds)
         if "memplug-hotplug" in os.readlink(os.path.join(fds, f))][0]
def anon():
    kb, inside = 0, False
    for line in open("/proc/%s/smaps" % pid):
        f = line.split()
        if "-" in f[0] and len(f) >= 5:
            a, b = (int(x, 16) for x in f[0].split("-"))
            inside = a < start + size and start < b
        elif inside and f[0] == "Anonymous:":
            kb += int(f[1])
    return kb
t0 = time.time()
while True:
    m, a = os.stat(memfd).st_blocks // 2, anon()
    if (m <= limit and a <= limit) or time.time() - t0 >= secs:
        break
    time.sleep(0.2)
print(m, a)
PY
}

# wait_mb NAME REGEX SECONDS: until the console has a line matching REGEX;
# fails at once when misbehave ended (@mb exit) without it
wait_mb() {
	local i=0
	while ! grep -qE "$2" "$T/$1.con"; do
		grep -q '^@mb exit' "$T/$1.con" && return 1
		kill -0 "$VMM_PID" 2>/dev/null || return 1
		i=$((i + 1))
		[ $i -ge $(($3 * 10)) ] && return 1
		sleep 0.1
	done
}

# wait_requested NAME MIB: GET says requested MIB (bounded)
wait_requested() {
	local i
	for i in $(seq 1 200); do
		[ "$(json_field "$(ctl "$1" GET)" requested_size_mib)" = "$2" ] && return
		sleep 0.1
	done
	return 1
}

# misbehave NAME MODE: run guest/misbehave.c on a booted guest; PATCH goes
# to the VMM (local) or to memplugd (module)
misbehave() {
	local name=$1 mode=$2 fd0 kb s kvm_slots during fails
	fd0=$(nfds "$VMM_PID")
	ctl "$name" "CONSOLE misbehave" > /dev/null
	if ! wait_mb "$name" '^@mb ready' 60; then
		not_ok "$mode: misbehave takes the device"
		grep -a '^@mb' "$T/$name.con" | tail -5 | tr -d '\r' | sed 's/^/# /'
		return 1
	fi
	ok "$mode: misbehave takes the device: $(grep -a '^@mb ready' "$T/$name.con" | tr -d '\r')"
	if [ "$mode" = local ]; then
		ctl "$name" "PATCH {\"requested_size_mib\":$REQ}" > /dev/null
	else
		mctl hotplug patch "$VM" requested $REQ > /dev/null
	fi
	check "$mode: PATCH $REQ reaches the VMM" wait_requested "$name" $REQ
	ctl "$name" "CONSOLE go" > /dev/null
	if ! wait_mb "$name" '^@mb touched' 300; then
		not_ok "$mode: the guest's requests and accesses complete"
		grep -a '^@mb' "$T/$name.con" | tail -5 | tr -d '\r' | sed 's/^/# /'
		return 1
	fi
	ok "$mode: the guest's requests and accesses complete"
	check "$mode: the VMM runs after the guest's accesses" kill -0 "$VMM_PID"
	grep -a '^@mb info' "$T/$name.con" | tr -d '\r' | sed 's/^/# /'
	START=$(region_start "$VMM_PID")
	read -r kb s <<< "$(region_kb "$VMM_PID" "$START" 0 0)"
	if [ "$mode" = local ]; then
		kvm_slots=$((256 / SLOT))
	else
		kvm_slots=$("$CTL" -j vm show "$VM" | grep -o '"nr_slots":[0-9]*' | cut -d: -f2)
	fi
	during=$((kb + s))
	diag "$mode: while misbehaving: memfd $kb kB, anonymous in the region $s kB, $kvm_slots slots in KVM"
	check "$mode: host memory behind the region ($during kB) within the slots in KVM ($kvm_slots x $SLOT MiB)" \
		test "$during" -le $((kvm_slots * SLOT * 1024 + SLACK_KB))
	ctl "$name" "CONSOLE go" > /dev/null
	wait_mb "$name" '^@mb exit' 300
	fails=$(grep -a '^@mb FAIL' "$T/$name.con" | tr -d '\r')
	[ -n "$fails" ] && echo "$fails" | while read -r l; do diag "$l"; done
	check "$mode: every answer per spec: $(grep -a '^@mb done' "$T/$name.con" | tr -d '\r')" \
		grep -q '^@mb exit 0' "$T/$name.con"
	check "$mode: the VMM runs after the broken rings" kill -0 "$VMM_PID"
	check "$mode: GET answers, nothing plugged" \
		sh -c "$VMM ctl $T/$name.sock GET | grep -q '\"plugged_size_mib\":0,\"requested_size_mib\":$REQ'"
	read -r kb s <<< "$(region_kb "$VMM_PID" "$START" $SLACK_KB 20)"
	check "$mode: after UNPLUG_ALL the memfd holds what is plugged, 0 ($kb kB)" \
		test "$kb" -le $SLACK_KB
	check "$mode: after UNPLUG_ALL no anonymous memory in the region ($s kB)" \
		test "$s" -le $SLACK_KB
	if [ "$mode" = local ]; then
		ctl "$name" 'PATCH {"requested_size_mib":0}' > /dev/null
	else
		mctl hotplug patch "$VM" requested 0 > /dev/null
	fi
	wait_requested "$name" 0
	read -r kb s <<< "$(region_kb "$VMM_PID" "$START" $SLACK_KB 20)"
	check "$mode: after PATCH 0 nothing in the memfd ($kb kB) or the region ($s kB)" \
		test "$kb" -le $SLACK_KB -a "$s" -le $SLACK_KB
	check "$mode: the VMM's file descriptors did not grow ($fd0 -> $(nfds "$VMM_PID"))" \
		test "$(nfds "$VMM_PID")" -le "$fd0"
	diag "$mode: $(ctl "$name" STATS)"
}

# the guest powers off; the VMM exits 0
power_off() {
	ctl "$1" "CONSOLE poweroff" > /dev/null
	vmm_wait "$VMM_PID" 60
	local rc=$?
	check "$2: the guest powers off, the VMM exits 0 ($rc)" test $rc -eq 0
}

