#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# ynl_test.sh: the kernel's own netlink client (tools/net/ynl/cli.py from
# linux-source-6.12, extracted into build/ynl) drives memplug.ko through
# uapi/memplug.yaml, and memplugctl shows the same VM.  Run from the
# checkout, in the test VM, as root.  TAP output.
B=build
# The spec is validated against the schema on the host (ynl_spec_test.py):
# jsonschema takes ~90 s to load in the TCG test VM.
YNL="python3 $B/ynl/ynl/cli.py --spec uapi/memplug.yaml --no-schema"
tmp=$(mktemp -d)
n=0 fail=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi
}
echo "TAP version 13"
echo "1..11"

# A monitor sees this VM attached, its slots applied, and the detach when
# memplug_hold's socket closes.
$B/tools/memplugctl -j monitor > "$tmp/mon" 2>&1 &
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
$B/selftests/memplug/memplug_hold < "$tmp/in" > "$tmp/hold" &
hold=$!
exec 3> "$tmp/in"
i=0
while ! grep -q '^vm ' "$tmp/hold" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
id=$(sed -n 's/^vm //p' "$tmp/hold")
[ -n "$id" ]
ok $? "memplug_hold attached VM ${id:-?}"

$YNL --dump vm-get --output-json > "$tmp/dump" 2>&1
rc=$?
cat "$tmp/dump" | sed 's/^/# /'
[ $rc -eq 0 ] && python3 -c '
import json, sys
vms = json.load(open(sys.argv[1]))
vm = [v for v in vms if v["vm-id"] == int(sys.argv[2])][0]
assert vm["nr-slots"] == 2, vm
assert "slot" not in vm, vm
assert vm["slot-base"] == 100 and vm["slot-count"] == 8, vm
' "$tmp/dump" "$id"
ok $? "cli.py --dump vm-get shows the VM, holding two slots"

$YNL --dump slot-get --json "{\"vm-id\": $id}" --output-json > "$tmp/slots" 2>&1
rc=$?
cat "$tmp/slots" | sed 's/^/# /'
[ $rc -eq 0 ] && python3 -c '
import json, sys
msgs = json.load(open(sys.argv[1]))
one = lambda m: m["slot"][0] if isinstance(m["slot"], list) else m["slot"]
assert all(not isinstance(m["slot"], list) or len(m["slot"]) == 1 for m in msgs), msgs
assert [one(m)["id"] for m in msgs] == [100, 101], msgs
assert all(m["vm-id"] == int(sys.argv[2]) for m in msgs), msgs
assert int(one(msgs[1])["gpa"], 16) == (4 << 30) + (2 << 20), msgs
assert all("hva" in one(m) for m in msgs), msgs
' "$tmp/slots" "$id"
ok $? "cli.py --dump slot-get: one message per slot"

$YNL --do vm-get --json "{\"vm-id\": $id}" --output-json > "$tmp/get" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "\"vm-id\": $id" "$tmp/get"
ok $? "cli.py --do vm-get"

# Not the owner (cli.py has its own socket): rejected with the extack text.
$YNL --do slots-apply --json "{\"vm-id\": $id, \"slot\": [{\"id\": 101, \"size\": 0}]}" \
	> "$tmp/apply" 2>&1
rc=$?
sed 's/^/# /' "$tmp/apply"
[ $rc -ne 0 ] && grep -q "only the VM's owner may apply slots" "$tmp/apply"
ok $? "cli.py --do slots-apply by a non-owner: rejected, extack printed"

$YNL --do vm-detach --json '{"vm-id": 999999}' > "$tmp/detach" 2>&1
rc=$?
sed 's/^/# /' "$tmp/detach"
[ $rc -ne 0 ] && grep -q "no VM attached with this id" "$tmp/detach"
ok $? "cli.py --do vm-detach of an unknown VM: rejected, extack printed"

$B/tools/memplugctl vm show "$id" > "$tmp/show" 2>&1
rc=$?
sed 's/^/# /' "$tmp/show"
[ $rc -eq 0 ] && grep -q "^vm $id: " "$tmp/show" && grep -q "slot 101 gpa 0x100200000 size 2 MiB" "$tmp/show"
ok $? "memplugctl vm show $id"

$B/tools/memplugctl -j vm show > "$tmp/showj" 2>&1 && python3 -c '
import json, sys
vms = json.load(open(sys.argv[1]))
assert [len(v["slots"]) for v in vms if v["id"] == int(sys.argv[2])] == [2], vms
' "$tmp/showj" "$id"
ok $? "memplugctl -j vm show"

# Without CAP_NET_ADMIN the module gives no HVAs and no owner port id:
# memplugctl shows none, not zeros.
setpriv --bounding-set=-net_admin $B/tools/memplugctl -j vm show "$id" \
	> "$tmp/showu" 2>&1 && python3 -c '
import json, sys
vm = json.load(open(sys.argv[1]))[0]
assert len(vm["slots"]) == 2, vm
assert not any(k in vm for k in ("hva_base", "hva_size", "owner_portid")), vm
assert not any("hva" in s for s in vm["slots"]), vm
' "$tmp/showu"
rc=$?
sed 's/^/# /' "$tmp/showu"
ok $rc "memplugctl -j vm show without CAP_NET_ADMIN: no HVAs, no owner"

setpriv --bounding-set=-net_admin $B/tools/memplugctl vm show "$id" \
	> "$tmp/showt" 2>&1 && grep -q "slot 101 gpa 0x100200000 size 2 MiB" "$tmp/showt" &&
	! grep -q -e hva -e owner "$tmp/showt"
ok $? "memplugctl vm show without CAP_NET_ADMIN: no HVAs, no owner"

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
ok $? "memplugctl -j monitor: attached, slots-applied, detached (owner-closed)"
rm -rf "$tmp"
exit $fail
