#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ynl_ops.py YNL_DIR SPEC VM_ID FIRST: the kernel's ynl library (what
tools/net/ynl/cli.py runs) against VM_ID through SPEC, as TAP cases
numbered from FIRST; exits with the number of failures.

One process for all of them: each cli.py run loads Python, the library
and the spec again, 25 s or more in the TCG test VM.  The schema is
checked on the host (ynl_spec_test.py)."""
import json
import sys
import time

t0 = time.monotonic()
sys.path.insert(0, sys.argv[1])
from lib import YnlFamily, NlError  # noqa: E402

ynl = YnlFamily(sys.argv[2], '')
print(f"# ynl library and spec loaded in {time.monotonic() - t0:.1f} s")
vm_id = int(sys.argv[3])
n = int(sys.argv[4]) - 1
failed = 0


def case(desc, fn):
    """One TAP case: fn() returns normally or raises (AssertionError, NlError)."""
    global n, failed
    n += 1
    try:
        fn()
        print(f"ok {n} {desc}")
    except Exception as e:  # noqa: BLE001 - any failure is this case's
        print(f"not ok {n} {desc}")
        for line in f"{type(e).__name__}: {e}".splitlines():
            print(f"#   {line}")
        failed += 1


def show(reply):
    # as cli.py prints: flags decode to sets
    text = json.dumps(reply, indent=1,
                      default=lambda o: sorted(o) if isinstance(o, set) else str(o))
    for line in text.splitlines():
        print(f"# {line}")


def dump_vms():
    vms = ynl.dump('vm-get', {})
    show(vms)
    vm = [v for v in vms if v['vm-id'] == vm_id][0]
    assert vm['nr-slots'] == 2, vm
    assert 'slot' not in vm, vm
    assert vm['slot-base'] == 100 and vm['slot-count'] == 8, vm


def dump_slots():
    msgs = ynl.dump('slot-get', {'vm-id': vm_id})
    show(msgs)

    def one(m):
        return m['slot'][0] if isinstance(m['slot'], list) else m['slot']
    assert all(not isinstance(m['slot'], list) or len(m['slot']) == 1
               for m in msgs), msgs
    assert [one(m)['id'] for m in msgs] == [100, 101], msgs
    assert all(m['vm-id'] == vm_id for m in msgs), msgs
    assert int(one(msgs[1])['gpa'], 16) == (4 << 30) + (2 << 20), msgs
    assert all('hva' in one(m) for m in msgs), msgs


def do_vm():
    reply = ynl.do('vm-get', {'vm-id': vm_id}, None)
    show(reply)
    assert reply['vm-id'] == vm_id, reply


def refused(op, attrs, text):
    """op must fail with an extack carrying text."""
    def fn():
        try:
            reply = ynl.do(op, attrs, None)
        except NlError as e:
            for line in str(e).splitlines():
                print(f"# {line}")
            assert e.error != 0 and text in str(e), str(e)
            return
        raise AssertionError(f"{op} succeeded: {reply}")
    return fn


case("ynl --dump vm-get shows the VM, holding two slots", dump_vms)
case("ynl --dump slot-get: one message per slot", dump_slots)
case("ynl --do vm-get", do_vm)
# not the owner (this process has its own socket): refused
case("ynl --do slots-apply by a non-owner: rejected, extack given",
     refused('slots-apply', {'vm-id': vm_id, 'slot': [{'id': 101, 'size': 0}]},
             "only the VM's owner may apply slots"))
case("ynl --do vm-detach of an unknown VM: rejected, extack given",
     refused('vm-detach', {'vm-id': 999999}, "no VM attached with this id"))
print(f"# ynl_ops.py took {time.monotonic() - t0:.1f} s")
sys.exit(failed)
