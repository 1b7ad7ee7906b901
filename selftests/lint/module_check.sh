#!/bin/sh
# checkpatch --strict and sparse on module/ (scripts/module-check), against
# the kernel make builds the module for (scripts/kver): two TAP cases, a
# failing one followed by what its check said.
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib/tap.sh
kver=$(scripts/kver) || exit 1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for c in checkpatch sparse; do
	if scripts/module-check "/lib/modules/$kver/build" $c > "$out" 2>&1; then
		ok "$c on module/: $(tail -1 "$out")"
	else
		not_ok "$c on module/"
		sed 's/^/#   /' "$out"
	fi
done
tap_end
