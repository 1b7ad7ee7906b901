#!/bin/sh
# shellcheck shell=dash # Debian's sh, which has local
# virtio-mem end to end on memplug-vmm with a real Linux guest:
# PUT {1024, 2, 128}; bad PATCH bodies get squib's texts and change
# nothing; PATCH 512 plugs 512 MiB and the guest's MemTotal grows by
# exactly that; PATCH 0 makes the guest unplug (what it keeps is
# reported) and the VMM's hotplug memory (RssShmem) falls accordingly.
# Runs in the test VM (needs /dev/kvm).
cd "$(dirname "$0")/../.." || exit 1
. selftests/vmm/lib.sh

rss_shmem() { sed -n 's/^RssShmem:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$VMM_PID/status"; }

# umask 0: the control socket's mode must not come from it
saved_umask=$(umask)
umask 0
vmm_boot h 150 -m 512 \
	--hotplug '{"total_size_mib":1024,"block_size_mib":2,"slot_size_mib":128}'
booted=$?
umask "$saved_umask"
if [ $booted -ne 0 ]; then
	not_ok "guest boots to init"
	sed 's/^/# /' "$T/h.err" "$T/h.con" | tail -20
	tap_end
	exit 1
fi
ok "guest boots to init"
diag "$(grep 'reached init' "$T/h.err")"

get0=$(ctl h GET)
check "GET before any PATCH" [ "$get0" = '{"total_size_mib":1024,"block_size_mib":2,"slot_size_mib":128,"plugged_size_mib":0,"requested_size_mib":0}' ]

bad_patch() {
	local r
	r=$(ctl h "PATCH $1")
	[ "$r" = "{\"error\":\"$2\"}" ] || { diag "got $r"; return 1; }
	[ "$(ctl h GET)" = "$get0" ]
}
check "PATCH 1048577: range text, nothing changed" \
	bad_patch '{"requested_size_mib":1048577}' 'Invalid requested_size_mib: must be 0..=1048576'
check "PATCH 3: not a multiple of the block" \
	bad_patch '{"requested_size_mib":3}' 'Invalid requested_size_mib: must be a multiple of block_size_mib'
check "PATCH 2048: beyond total" \
	bad_patch '{"requested_size_mib":2048}' 'Invalid requested_size_mib: must be <= total_size_mib'
check "PATCH -2: negative" \
	bad_patch '{"requested_size_mib":-2}' 'Invalid requested_size_mib: must be a non-negative integer'
check "PATCH 512.0: fraction" \
	bad_patch '{"requested_size_mib":512.0}' 'Invalid requested_size_mib: must be an integer'
check "PATCH \"512\": string" \
	bad_patch '{"requested_size_mib":"512"}' 'Invalid requested_size_mib: must be an integer, not a string'
# shellcheck disable=SC2016 # the backquotes are squib's
check "PATCH duplicate key" \
	bad_patch '{"requested_size_mib":512,"requested_size_mib":512}' 'duplicate field `requested_size_mib`'
# shellcheck disable=SC2016 # the backquotes are squib's
check "PATCH unknown field" \
	bad_patch '{"requested_size_mib":512,"x":1}' 'unknown field `x`'
check "PATCH trailing garbage" \
	bad_patch '{"requested_size_mib":512}}' 'Invalid JSON: trailing characters'
# shellcheck disable=SC2016 # the backquotes are squib's
check "PATCH missing field" bad_patch '{}' 'missing field `requested_size_mib`'
r=$(ctl h 'PUT {"total_size_mib":2048}')
check "PUT while running is refused" sh -c "echo '$r' | grep -q 'only accepted before boot' && [ '$(ctl h GET)' = '$get0' ]"

m0=$(guest h mem mem)
diag "before: $m0"
t0=$(date +%s%N)
r=$(ctl h 'PATCH {"requested_size_mib":512}' "WAIT 60000")
t1=$(date +%s%N)
check "PATCH 512: plugged 512 MiB" sh -c "echo '$r' | tail -1 | grep -q '\"plugged_size_mib\":512,\"requested_size_mib\":512'"
stats=$(ctl h STATS)
diag "PATCH 512 -> plugged == requested: $(json_field "$stats" settled_ms) ms in the VMM, $(((t1 - t0) / 1000000)) ms with the client; $stats"
m1=$(guest h mem mem)
diag "after:  $m1"
tot0=$(echo "$m0" | sed 's/.*MemTotal_kB=\([0-9]*\).*/\1/')
tot1=$(echo "$m1" | sed 's/.*MemTotal_kB=\([0-9]*\).*/\1/')
vm1=$(echo "$m1" | sed 's/.*virtio_mem_kB=\([0-9]*\).*/\1/')
check "guest MemTotal grew by 512 MiB ($tot0 -> $tot1 kB)" [ $((tot1 - tot0)) -eq 524288 ]
check "guest has 512 MiB of virtio_mem System RAM ($vm1 kB)" [ "$vm1" -eq 524288 ]

# make the host back the plugged memory: the guest fills and frees it
guest h fill "fill 600" 120 > /dev/null
rss1=$(rss_shmem)
check "guest use of plugged memory shows in the VMM (RssShmem $rss1 kB > 256 MiB)" [ "$rss1" -gt 262144 ]

t0=$(date +%s%N)
r=$(ctl h 'PATCH {"requested_size_mib":0}' "WAIT 120000")
t1=$(date +%s%N)
g=$(ctl h GET)
plugged=$(json_field "$g" plugged_size_mib)
stats=$(ctl h STATS)
diag "PATCH 0: guest keeps $plugged MiB after $(((t1 - t0) / 1000000)) ms; $stats"
check "PATCH 0: plugged size falls ($plugged MiB < 512)" [ "$plugged" -lt 512 ]
# discards run in the background: wait for them, bounded
i=0
while [ "$(rss_shmem)" -gt $((plugged * 1024 + 8192)) ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
rss2=$(rss_shmem)
check "VMM hotplug memory falls ($rss1 -> $rss2 kB, guest keeps $plugged MiB)" \
	[ "$rss2" -le $((plugged * 1024 + 8192)) ]
m2=$(guest h mem mem)
diag "after unplug: $m2"
tot2=$(echo "$m2" | sed 's/.*MemTotal_kB=\([0-9]*\).*/\1/')
check "guest MemTotal back to boot + kept ($tot2 kB)" [ "$tot2" -eq $((tot0 + plugged * 1024)) ]

# plug again after unplug (re-attach, memory zeroed by the punch)
r=$(ctl h 'PATCH {"requested_size_mib":256}' "WAIT 60000")
check "PATCH 256 after unplug: plugged 256 MiB" sh -c "echo '$r' | tail -1 | grep -q '\"plugged_size_mib\":256,\"requested_size_mib\":256'"
m3=$(guest h mem mem)
check "guest MemTotal follows ($m3)" sh -c "echo '$m3' | grep -q 'virtio_mem_kB=262144'"
stats=$(ctl h STATS)
check "the guest's driver never got ERROR" sh -c "echo '$stats' | grep -q '\"plug_error\":0,\"unplug\":[0-9]*,\"unplug_error\":0'"

# hostile control clients: the VMM and its guest stay up
mode=$(stat -c %a "$T/h.sock")
check "control socket is owner and group only, whatever the umask ($mode)" [ "$mode" = 660 ]
# a client that closes with replies still to come: a write to a closed socket
/usr/bin/python3 - "$T/h.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"GET\n" * 20000)
s.close()
PY
sleep 1
check "a client gone before its replies does not kill the VMM (SIGPIPE)" kill -0 "$VMM_PID"
r=$(/usr/bin/python3 - "$T/h.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(b"GET\0junk\nGET\n")
f = s.makefile("rb")
print(f.readline().decode().strip(), f.readline().decode().strip())
PY
)
check "a NUL in a line gets an error, the next line its reply ($r)" \
	sh -c "echo '$r' | grep -q '^{\"error\":\"Invalid request: NUL byte in the line\"} {\"total_size_mib\"'"

ctl h "CONSOLE poweroff" > /dev/null
vmm_wait "$VMM_PID" 60
rc=$?
check "guest powers off with plugged memory: VMM exits 0 ($rc)" [ $rc -eq 0 ]

# --attach boot, one slot for the region (the benchmark's floor): mapped
# before any PATCH, and kept through an unplug to 0
memfd_kb() {	# kB of the hotplug memfd mapped in the VMM
	grep memplug-hotplug "/proc/$VMM_PID/maps" | cut -d' ' -f1 | {
		kb=0
		while IFS=- read -r a b; do
			kb=$((kb + (0x$b - 0x$a) / 1024))
		done
		echo $kb
	}
}
vmm_boot s 150 -m 512 --attach boot \
	--hotplug '{"total_size_mib":1024,"block_size_mib":2,"slot_size_mib":1024}'
check "--attach boot: the guest boots" [ $? -eq 0 ]
check "--attach boot: the whole region is mapped before any PATCH ($(memfd_kb) kB)" \
	[ "$(memfd_kb)" -eq $((1024 * 1024)) ]
r=$(ctl s 'PATCH {"requested_size_mib":512}' "WAIT 60000")
check "--attach boot: PATCH 512 plugs 512 MiB" sh -c "echo '$r' | tail -1 | grep -q '\"plugged_size_mib\":512,\"requested_size_mib\":512'"
stats=$(ctl s STATS)
check "--attach boot: the PATCH changed no memslot" \
	sh -c "echo '$stats' | grep -q '\"slot_attach\":0,\"slot_detach\":0'"
r=$(ctl s 'PATCH {"requested_size_mib":0}' "WAIT 120000")
sleep 1	# the worker would detach an emptied slot now
check "--attach boot: after PATCH 0 the region stays mapped ($(memfd_kb) kB)" \
	[ "$(memfd_kb)" -eq $((1024 * 1024)) ]
check "--attach boot: the VMM is still up" kill -0 "$VMM_PID"
ctl s "CONSOLE poweroff" > /dev/null
vmm_wait "$VMM_PID" 60
check "--attach boot: VMM exits 0" [ $? -eq 0 ]
# 16 GiB in one PATCH (the benchmark's largest size), seen by the guest:
# its memmap (~256 MiB) comes out of boot RAM, hence -m 1024
vmm_boot g 150 -m 1024 \
	--hotplug '{"total_size_mib":16384,"block_size_mib":2,"slot_size_mib":128}'
check "16 GiB: the guest boots" [ $? -eq 0 ]
g0=$(guest g mem mem | sed 's/.*MemTotal_kB=\([0-9]*\).*/\1/')
r=$(ctl g 'PATCH {"requested_size_mib":16384}' "WAIT 300000")
check "16 GiB: PATCH 16384 plugs 16384 MiB" sh -c "echo '$r' | tail -1 | grep -q '\"plugged_size_mib\":16384,\"requested_size_mib\":16384'"
m=$(guest g mem mem)
g1=$(echo "$m" | sed 's/.*MemTotal_kB=\([0-9]*\).*/\1/')
check "16 GiB: the guest's MemTotal grew by 16 GiB ($g0 -> $g1 kB) and /proc/iomem has it ($m)" \
	sh -c "[ $((g1 - g0)) -eq $((16384 * 1024)) ] && echo '$m' | grep -q 'virtio_mem_kB=16777216'"
ctl g "CONSOLE poweroff" > /dev/null
vmm_wait "$VMM_PID" 60
check "16 GiB: VMM exits 0" [ $? -eq 0 ]
out=$("$VMM" -k "$KERNEL" --attach boot --daemon /nonexistent --hotplug \
	'{"total_size_mib":1024}' 2>&1)
check "--attach boot with --daemon is refused: $out" \
	sh -c "echo '$out' | grep -q 'attach boot is for local mode'"
tap_end
