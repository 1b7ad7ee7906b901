#!/usr/bin/env bash
# completion_test: memplugctl's bash completion, driven as bash drives it
# (COMP_WORDS, COMP_CWORD, the function 'complete' registered), against
# the objects and commands memplugctl --help lists.  VM ids come from a
# stand-in memplugctl on PATH that prints two VMs and logs its arguments.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
help=$("$(prog memplugctl)" --help 2>&1)
cat > "$tmp/memplugctl" <<'EOS'
#!/bin/sh
echo "$*" >> "${0%/*}/args"
echo '[{"id":1,"slot_base":1},{"id":7,"slot_base":2}]'
EOS
chmod +x "$tmp/memplugctl"
PATH=$tmp:$PATH

# shellcheck source=/dev/null # Debian's, not ours to check
. /usr/share/bash-completion/bash_completion || exit 1
# shellcheck disable=SC1090
. "$COMPLETION" || exit 1

# comp 'WORDS...': what TAB offers after 'memplugctl WORDS...' (a trailing
# space starts a new, empty word), sorted, on one line
comp() {
	COMP_LINE="memplugctl $1"
	COMP_POINT=${#COMP_LINE}
	read -r -a COMP_WORDS <<< "$COMP_LINE"
	[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_memplugctl memplugctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
# is 'WORDS' 'EXPECTED'
is() {
	local got
	got=$(comp "$1")
	if [ "$got" = "$2" ]; then
		ok "memplugctl $1<TAB>: $2"
	else
		not_ok "memplugctl $1<TAB>: got '$got', want '$2'"
	fi
}
# --help's 'memplugctl OBJECT [COMMAND]' forms
objects=$(echo "$help" | sed -nE 's/^ +memplugctl ([a-z]+).*/\1/p' | sort -u)
verbs() {
	echo "$help" | sed -nE "s/^ +memplugctl $1 ([a-z]+).*/\1/p" | sort -u | tr '\n' ' ' | sed 's/ $//'
}

echo "1..$((15 + $(echo "$objects" | wc -w)))"
# shellcheck disable=SC2016 # for eval
check "complete -F _memplugctl memplugctl is registered" \
	eval '[ "$(complete -p memplugctl)" = "complete -F _memplugctl memplugctl" ]'
# shellcheck disable=SC2086 # the words, a line each
is "" "$(echo $objects help | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
is "h" "help hotplug"
is "--" "--help --json --pretty --socket --version"
for o in $objects; do
	is "$o " "$(verbs "$o")"
done
is "hotplug p" "patch put"
is "hotplug patch " "1 7"
is "hotplug patch 1 " "--wait requested"
is "hotplug patch 1 requested " ""
is "hotplug patch 1 requested 1024 " "--wait"
is "hotplug put 1 total 4096 " "block slot"
is "hotplug put 1 total 4096 slot 128 " "block"
is "hotplug get 1 " ""
is "-j vm show " "1 7"
: > "$tmp/args"
is "-s /tmp/other.sock vm start " "1 7"
check "the VM ids were asked of the socket given with -s" \
	grep -q -- "-s /tmp/other.sock vm show" "$tmp/args"
