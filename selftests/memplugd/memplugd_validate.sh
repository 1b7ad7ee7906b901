#!/bin/sh
# memplugd --validate put|patch JSON on the host: the normalised body or
# the error, like 'nginx -t'.  TAP.
cd "$(dirname "$0")/../.." || exit 1
D=${MEMPLUG_BUILD:-build}/daemon/memplugd
. selftests/lib/tap.sh

# t DESC WANT_STATUS WANT_OUTPUT ARGS...
t() {
	desc=$1 want_rc=$2 want=$3
	shift 3
	out=$("$D" --validate "$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want_rc" ] && [ "$out" = "$want" ]; then
		ok "$desc"
	else
		not_ok "$desc (exit $rc: $out)"
	fi
}

echo "TAP version 13"
echo "1..8"
t "PUT with defaults filled in" 0 \
	'{"total_size_mib":256,"block_size_mib":2,"slot_size_mib":128}' \
	put '{"total_size_mib":256}'
t "seed: total 100 with slot 128 refused" 1 \
	'Error: Invalid total_size_mib: must be a multiple of slot_size_mib.' \
	put '{"total_size_mib":100,"slot_size_mib":128}'
t "seed: slot 32 below block 64 refused" 1 \
	'Error: Invalid hotplug-memory: slot_size_mib must be >= block_size_mib.' \
	put '{"total_size_mib":256,"block_size_mib":64,"slot_size_mib":32}'
t "seed: requested 0 accepted" 0 '{"requested_size_mib":0}' \
	patch '{"requested_size_mib":0}'
t "seed: requested 512 parses to 512" 0 '{"requested_size_mib":512}' \
	patch '{"requested_size_mib":512}'
# shellcheck disable=SC2016 # the backquotes are the message's
t "unknown field named" 1 'Error: unknown field `size`.' patch '{"size":1}'
t "negative refused" 1 \
	'Error: Invalid total_size_mib: must be a non-negative integer.' \
	put '{"total_size_mib":-1}'
t "a kind other than put/patch" 2 \
	"Error: --validate takes 'put' or 'patch', not 'get'." get '{}'
[ "$tap_fail" -eq 0 ]
