#!/bin/sh
# Runs shellcheck on every shell script in the tree (selftests/lint/lib.sh
# says which), with the checkout's .shellcheckrc: one TAP case a script, its
# warnings (every severity) as comments.  Two shellchecks run at a time,
# on a dozen scripts each; each follows what its scripts source.
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib/tap.sh
. selftests/lint/lib.sh
if ! command -v shellcheck > /dev/null; then
	not_ok "shellcheck is not installed (make deps)"
	tap_end
	exit
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
shell_files > "$out/list"
# a batch's warnings in OUT/sc.*, its exit status (0 clean, 1 warnings;
# anything else: shellcheck itself failed) in OUT/rc.*
# shellcheck disable=SC2016 # for that sh
tr '\n' '\0' < "$out/list" | xargs -0 -P 2 -n 12 sh -c '
	f=$(mktemp "$0/sc.XXXXXX")
	shellcheck -x -f gcc "$@" > "$f" 2>&1
	echo $? > "$0/rc.${f##*.}"' "$out"
cat "$out"/sc.* | sort -u > "$out/all"
while read -r f; do
	if grep -q "^$f:" "$out/all"; then
		not_ok "shellcheck $f"
		grep "^$f:" "$out/all" | sed 's/^/#   /'
	else
		ok "shellcheck $f"
	fi
done < "$out/list"
bad=$(cat "$out"/rc.* | grep -cvx '[01]')
check "shellcheck ran on all $(wc -l < "$out/list") scripts (every batch exited 0 or 1)" \
	test "$bad" -eq 0
[ "$bad" -eq 0 ] || grep -v ':[0-9]*:[0-9]*: ' "$out"/sc.* | sed 's/^/#   /'
tap_end
