#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ynl_spec_test: uapi/memplug.yaml is valid genetlink-legacy (schema from
linux-source-6.12) and says the same as uapi/linux/memplug.h: every
command, attribute, flag, enum value and constant.  A host test (TAP), run from
the checkout."""
import re
import sys

sys.path.insert(0, 'build/ynl/ynl')
from lib.nlspec import SpecFamily  # noqa: E402

n = 0
fail = 0


def ok(cond, what):
    global n, fail
    n += 1
    print(('ok %d %s' if cond else 'not ok %d %s') % (n, what))
    if not cond:
        fail = 1


def header_enum(text, name):
    """Values of 'enum NAME { ... };' as {'CONST': value}."""
    body = re.search(r'enum %s \{(.*?)\};' % name, text, re.S).group(1)
    body = re.sub(r'/\*.*?\*/', '', body, flags=re.S)
    vals, v = {}, -1
    for item in body.split(','):
        item = item.strip()
        if not item or item.startswith('__') or '=' in item and \
                item.split('=')[0].strip().startswith('__'):
            continue
        if '=' in item:
            k, expr = [x.strip() for x in item.split('=', 1)]
            if not re.fullmatch(r'[0-9xX]+', expr) and '<<' not in expr:
                continue  # e.g. MEMPLUG_CMD_MAX = __MEMPLUG_CMD_MAX - 1
            v = eval(expr.replace('U', ''))
        else:
            k = item
            v += 1
        vals[k] = v
    return vals


print('TAP version 13')
print('1..7')
try:
    fam = SpecFamily('uapi/memplug.yaml', 'build/ynl/genetlink-legacy.yaml')
    ok(True, 'memplug.yaml validates against genetlink-legacy.yaml')
except Exception as e:  # noqa: BLE001
    print('# %s' % e)
    ok(False, 'memplug.yaml validates against genetlink-legacy.yaml')
    print('# cannot go on without the spec')
    sys.exit(1)

h = open('uapi/linux/memplug.h').read()
ok(fam.yaml['name'] == re.search(r'MEMPLUG_GENL_NAME\s+"(\w+)"', h).group(1)
   and fam.yaml['mcast-groups']['list'][0]['name'] ==
   re.search(r'MEMPLUG_MCGRP_EVENTS\s+"(\w+)"', h).group(1),
   'family and multicast group names match')


def cname(prefix, name):
    return (prefix + name).upper().replace('-', '_')


cmds = header_enum(h, 'memplug_cmd')
bad = [(op.name, op.req_value) for op in fam.msgs.values()
       if cmds.get(cname('MEMPLUG_CMD_', op.name)) != op.req_value]
# and no command in the header that the spec lacks
missing = set(k for k in cmds if not k.endswith('_UNSPEC')) - \
    set(cname('MEMPLUG_CMD_', op.name) for op in fam.msgs.values())
ok(not bad and not missing, 'command values match %s %s' %
   (bad or '', sorted(missing) or ''))

for setname, enum in (('memplug', 'memplug_attr'),
                      ('slot', 'memplug_slot_attr')):
    hv = header_enum(h, enum)
    aset = fam.attr_sets[setname]
    prefix = aset.yaml['name-prefix']
    bad = [(a.name, a.value) for a in aset.attrs.values()
           if hv.get(cname(prefix, a.name)) != a.value]
    # and nothing in the header that the spec lacks
    missing = set(k for k in hv if not k.endswith('_UNSPEC')) - \
        set(cname(prefix, a.name) for a in aset.attrs.values())
    ok(not bad and not missing, 'attribute set %s matches %s %s' %
       (setname, bad or '', sorted(missing) or ''))

ev = header_enum(h, 'memplug_event')
spec_ev = fam.consts['event'].entries
ok(all(ev.get(cname('MEMPLUG_EVENT_', k)) == e.value
       for k, e in spec_ev.items()) and
   header_enum(h, 'memplug_slot_flags') ==
   {cname('MEMPLUG_SLOT_F_', k.replace('log-dirty', 'log-dirty')): e.user_value()
    for k, e in fam.consts['slot-flags'].entries.items()},
   'event and slot flag values match')

# the spec's numeric constants (slots-max, batch-max) are the header's
consts = {d['name']: d['value'] for d in fam.yaml['definitions']
          if d['type'] == 'const'}
hc = {k: int(re.search(r'#define\s+%s\s+(\d+)' % cname('MEMPLUG_', k),
                      h).group(1))
      for k in consts}
ok(consts == hc, 'constants match: %s' % consts)
sys.exit(fail)
