#!/bin/bash
# A misbehaving guest on memplug-vmm in local mode (selftests/misbehave/lib.sh).
cd "$(dirname "$0")/../.." || exit 1
. selftests/misbehave/lib.sh

if vmm_boot l 150 -m 512 --hotplug "$PUT"; then
	ok "local: the guest boots"
	misbehave l local
	power_off l local
else
	not_ok "local: the guest boots"
fi

tap_end
