#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# ynl_test.sh: the kernel's own netlink client (tools/net/ynl from
# linux-source-6.12, extracted into build/ynl; ynl_ops.py) drives memplug.ko
# through uapi/memplug.yaml, and memplugctl shows the same VM.  Run from
# the checkout, in the test VM, as root.  TAP output.
B=${MEMPLUG_BUILD:-build}
tmp=$(mktemp -d)
. selftests/lib/tap.sh
. selftests/lib/wait.sh
echo "TAP version 13"
echo "1..11"

# A monitor sees this VM attached, its slots applied, and the detach when
# memplug_hold's socket closes.
"$B"/tools/memplugctl -j monitor > "$tmp/mon" 2>&1 &
mon=$!
# Until it has joined "events" (its socket, port id = its pid, shows a
# group in /proc/net/netlink): a fixed second was not enough under load.
i=0
while ! awk -v p="$mon" '$2 == 16 && $3 == p && $4 != "00000000" { f = 1 }
	END { exit !f }' /proc/net/netlink && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
mkfifo "$tmp/in"
"$B"/selftests/memplug/memplug_hold < "$tmp/in" > "$tmp/hold" &
hold=$!
exec 3> "$tmp/in"
wait_for "$tmp/hold" '^vm ' 10
id=$(sed -n 's/^vm //p' "$tmp/hold")
[ -n "$id" ]
check "memplug_hold attached VM ${id:-?}" test $? -eq 0

# tests 2-6: the ynl library (what cli.py runs), one process for all
python3 selftests/memplug/ynl_ops.py "$B/ynl/ynl" uapi/memplug.yaml "${id:-0}" 2 ||
	tap_fail=$((tap_fail + 1))
tap_n=6

"$B"/tools/memplugctl vm show "$id" > "$tmp/show" 2>&1
rc=$?
sed 's/^/# /' "$tmp/show"
[ $rc -eq 0 ] && grep -q "^vm $id: " "$tmp/show" && grep -q "slot 101 gpa 0x100200000 size 2 MiB" "$tmp/show"
check "memplugctl vm show $id" test $? -eq 0

"$B"/tools/memplugctl -j vm show > "$tmp/showj" 2>&1 && python3 -c '
import json, sys
vms = json.load(open(sys.argv[1]))
assert [len(v["slots"]) for v in vms if v["id"] == int(sys.argv[2])] == [2], vms
' "$tmp/showj" "$id"
check "memplugctl -j vm show" test $? -eq 0

# Without CAP_NET_ADMIN the module gives no HVAs and no owner port id:
# memplugctl shows none, not zeros.
setpriv --bounding-set=-net_admin "$B"/tools/memplugctl -j vm show "$id" \
	> "$tmp/showu" 2>&1 && python3 -c '
import json, sys
vm = json.load(open(sys.argv[1]))[0]
assert len(vm["slots"]) == 2, vm
assert not any(k in vm for k in ("hva_base", "hva_size", "owner_portid")), vm
assert not any("hva" in s for s in vm["slots"]), vm
' "$tmp/showu"
rc=$?
sed 's/^/# /' "$tmp/showu"
check "memplugctl -j vm show without CAP_NET_ADMIN: no HVAs, no owner" test $rc -eq 0

setpriv --bounding-set=-net_admin "$B"/tools/memplugctl vm show "$id" \
	> "$tmp/showt" 2>&1 && grep -q "slot 101 gpa 0x100200000 size 2 MiB" "$tmp/showt" &&
	! grep -q -e hva -e owner "$tmp/showt"
check "memplugctl vm show without CAP_NET_ADMIN: no HVAs, no owner" test $? -eq 0

exec 3>&-
wait $hold
sleep 1
kill $mon
sed 's/^/# /' "$tmp/mon"
python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
ev = [e for e in ev if e["vm"] == int(sys.argv[2])]
assert [e["event"] for e in ev] == ["attached", "slots-applied", "detached"], ev
assert ev[1]["nr_slots"] == 2 and ev[2]["reason"] == "owner-closed", ev
assert ev[2]["nr_slots"] == 2, ev
assert ev[0]["timestamp_ns"] <= ev[1]["timestamp_ns"] <= ev[2]["timestamp_ns"]
' "$tmp/mon" "$id"
check "memplugctl -j monitor: attached, slots-applied, detached (owner-closed)" test $? -eq 0
rm -rf "$tmp"
[ "$tap_fail" -eq 0 ]
