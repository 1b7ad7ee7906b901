#!/usr/bin/env bash
# installed_vm: the installed packages at work, in a test VM booted on the
# root they were installed in (scripts/check-deb): modprobe loads the
# DKMS-built memplug.ko, /usr/sbin/memplugd serves the socket the package
# describes, /usr/bin/memplug-vmm boots the guest (build/guest, made by the
# tree's guest/mkguest), and /usr/sbin/memplugctl grows it by 1 GiB.
# Nothing of the checkout's build/ is used but the guest image.
cd "$(dirname "$0")/../.." || exit 1
MEMPLUG_VMM=/usr/bin/memplug-vmm
. selftests/vmm/lib.sh
MEMPLUGD=/usr/sbin/memplugd
CTL=/usr/sbin/memplugctl
SOCK=/run/memplug/memplugd.sock

if [ ! -e "$INITRD" ]; then
	not_ok "no guest image at $INITRD"
	tap_end
	exit
fi
check "memplug.ko is not loaded before modprobe" sh -c "! grep -q '^memplug ' /proc/modules"
check "modprobe memplug loads it" modprobe memplug
ko=$(modinfo -n memplug)
diag "memplug.ko: $ko"
check "the module is DKMS's, for this kernel ($ko)" \
	test "$ko" = "/lib/modules/$(uname -r)/updates/dkms/memplug.ko"
systemd-tmpfiles --create /usr/lib/tmpfiles.d/memplug.conf
check "systemd-tmpfiles makes /run/memplug from the package's entry" test -d /run/memplug

"$MEMPLUGD" 2> "$T/memplugd.log" &
wait_for "$T/memplugd.log" 'listening on' 20
check "memplugd listens on $SOCK in module mode" \
	grep -q "listening on $SOCK (module mode)" "$T/memplugd.log"
mode=$(stat -c '%a %G' "$SOCK" 2>&1)
check "its socket is 0660, group memplug (made by the package): $mode" test "$mode" = "660 memplug"

vmm_boot a 120 -m 512 --hotplug '{"total_size_mib":4096}' --daemon "$SOCK"
check "memplug-vmm boots the guest with memplugd" test $? -eq 0
vm=$(sed -n 's/.*registered with memplugd as VM \([0-9]*\).*/\1/p' "$T/a.err" | tail -1)
check "the VMM registered as VM 1 with its memslot ioctls denied" \
	grep -q "registered with memplugd as VM 1, module mode: memslot ioctls denied" "$T/a.err"

mem_kb() { guest a mem mem | sed -n 's/.*MemTotal_kB=\([0-9]*\).*/\1/p'; }
before=$(mem_kb)
diag "guest MemTotal before: $before kB"
# the guest's virtio_mem driver comes up just after init: retry (bounded)
# while memplugd says it is not ready
for i in $(seq 1 50); do
	out=$("$CTL" hotplug patch 1 requested 1024 --wait 2>&1) && break
	echo "$out" | grep -q 'driver is not ready' || break
	sleep 0.2
done
diag "memplugctl hotplug patch 1 requested 1024 --wait: $out"
check "memplugctl hotplug patch 1 requested 1024 --wait: plugged 1024 MiB" \
	sh -c "echo '$out' | grep -q '^vm 1: plugged 1024 MiB after'"
after=$(mem_kb)
diag "guest MemTotal after: $after kB"
check "the guest's MemTotal grew by 1 GiB" test "$((${after:-0} - ${before:-0}))" -eq $((1024 * 1024))
check "memplugctl vm show lists VM ${vm:-?}'s slots" \
	sh -c "$CTL vm show 1 | grep -q '^vm 1: owner'"

ctl a "CONSOLE poweroff" > /dev/null
vmm_wait "$VMM_PID" 60
check "the guest powers off (memplug-vmm exits 0)" test $? -eq 0
for p in $(jobs -p); do kill "$p" 2>/dev/null; done
wait
check "rmmod memplug" rmmod memplug
tap_end
