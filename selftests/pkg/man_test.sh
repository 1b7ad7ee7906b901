#!/usr/bin/env bash
# man_test: each program's page renders with 'man -l', and agrees with its
# --help: the same options, every exit status --help lists or the program
# shows (0 for --help, 2 for an unknown option), every command form.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# render PAGE: plain text, no hyphenation or justification, long lines
render() {
	LC_ALL=C MANWIDTH=200 man --nh --nj -l "$1" 2>"$tmp/man.err"
}
# section NAME < rendered: the lines of one section (its heading excluded)
section() {
	awk -v s="$1" '/^[A-Z]/ { on = ($0 == s); next } on'
}
# tags < rendered: the definition lines (a 7-space line, 11-space body)
tags() {
	awk '{ if (prev ~ /^       [^ ]/ && $0 ~ /^           [^ ]/) print prev; prev = $0 }'
}
# options < text: every -x and --long-word, one per line
options() {
	grep -oE '(^|[][ ,|{(])--?[a-zA-Z][a-zA-Z-]*' | sed 's/^[][ ,|{(]//' | sort -u
}

echo "1..$((4 * $(echo "$PROGRAMS" | wc -w)))"
for p in $PROGRAMS; do
	bin=$(prog "$p")
	f=$(page "$p")
	"$bin" --help > "$tmp/help" 2>&1
	help_rc=$?
	"$bin" --no-such-option > /dev/null 2>&1
	bad_rc=$?
	if [ -z "$f" ] || ! render "$f" > "$tmp/page" || [ -s "$tmp/man.err" ] ||
	   ! grep -q "^NAME" "$tmp/page" || ! grep -q "^SYNOPSIS" "$tmp/page" ||
	   ! grep -q "^EXIT STATUS" "$tmp/page"; then
		not_ok "$p: its page ${f:-(none)} renders with NAME, SYNOPSIS, EXIT STATUS"
		sed 's/^/# /' "$tmp/man.err"
		for _ in 2 3 4; do not_ok "$p: (no page)"; done
		continue
	fi
	ok "$p: $f renders ($(wc -l < "$tmp/page") lines)"

	# Both ways: --help's options are defined in the page, and the page
	# defines no option --help lacks (bar --help and --version themselves).
	options < "$tmp/help" > "$tmp/help.opts"
	tags < "$tmp/page" | options > "$tmp/page.opts"
	missing=$(comm -23 "$tmp/help.opts" "$tmp/page.opts" | tr '\n' ' ')
	extra=$(comm -13 "$tmp/help.opts" "$tmp/page.opts" |
		grep -vxE -- '-h|--help|--version' | tr '\n' ' ')
	if [ -z "$missing$extra" ]; then
		ok "$p: the page defines --help's $(wc -l < "$tmp/help.opts") options, no others"
	else
		not_ok "$p: options in --help only: ${missing:-none}; in the page only: ${extra:-none}"
	fi

	# --help's 'exit status: 0 a, 1 b, ...' (where it has one), and what
	# the program did just now.
	codes=$( (sed -n '/exit status:/,$p' "$tmp/help" | sed 's/exit status://' |
		grep -oE '(^|[ ,])[0-9]+ [a-z(]' | grep -oE '[0-9]+'
		echo "$help_rc"; echo "$bad_rc") | sort -un)
	section "EXIT STATUS" < "$tmp/page" | tags | tr -d ' ' > "$tmp/page.codes"
	missing=""
	for c in $codes; do
		grep -qx "$c" "$tmp/page.codes" || missing="$missing $c"
	done
	if [ -z "$missing" ] && [ "$help_rc" = 0 ] && [ "$bad_rc" = 2 ]; then
		# shellcheck disable=SC2086 # one line of the codes
		ok "$p: EXIT STATUS has $(echo $codes | tr ' ' ,)"
	else
		not_ok "$p: EXIT STATUS lacks${missing:- nothing}; --help exited $help_rc, an unknown option $bad_rc"
	fi

	# Each usage line's command words (up to the first option or
	# argument) are in the page's SYNOPSIS, whose [-x] options are dropped.
	section SYNOPSIS < "$tmp/page" | tr -s " " | sed -E "s/\[-[^]]*\] //g" > "$tmp/synopsis"
	missing=""
	while read -r line; do
		words=$(echo "$line" | sed -E 's/^(usage|Usage): *//' |
			awk '{ s = $1; for (i = 2; i <= NF && $i ~ /^[a-z][a-z-]*$/; i++) s = s " " $i; print s }')
		grep -qF -- "$words" "$tmp/synopsis" || missing="$missing [$words]"
	done < <(grep -E "^(usage: |Usage: | +)$p( |$)" "$tmp/help")
	if [ -z "$missing" ]; then
		ok "$p: SYNOPSIS has every form --help shows"
	else
		not_ok "$p: SYNOPSIS lacks$missing"
	fi
done
