#!/bin/sh
# No C, shell or Python file of the tree is longer than MAX (800) lines but
# those selftests/lint/long-files lists, each with its reason; a file listed
# there that is no longer too long (or gone) fails too, so that the list
# stays the truth.  TAP: one case for the tree, one for the list.
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib/tap.sh
. selftests/lint/lib.sh
MAX=${MAX:-800}
list=selftests/lint/long-files
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# the listed files, one a line
sed -n 's/^\([^#][^:]*\):.*/\1/p' "$list" > "$out/listed"
# "FILE LINES" for each one over MAX (one wc for them all)
source_files | tr '\n' '\0' | xargs -0 -r wc -l |
	awk -v max="$MAX" '$2 != "total" && $1 > max { print $2, $1 }' > "$out/long"

new=$(while read -r f n; do
	grep -qxF "$f" "$out/listed" || echo "$f ($n lines)"
done < "$out/long")
if [ -z "$new" ]; then
	ok "no C, shell or Python file over $MAX lines$([ -s "$out/listed" ] && echo " but the $(wc -l < "$out/listed") in $list")"
else
	not_ok "over $MAX lines and not in $list: $(echo "$new" | paste -sd, - | sed 's/,/, /g')"
fi

stale=$(while read -r f; do
	grep -q "^$f " "$out/long" || echo "$f"
done < "$out/listed")
if [ -z "$stale" ]; then
	ok "every file in $list is still over $MAX lines"
else
	not_ok "in $list but not over $MAX lines (any more): $(echo "$stale" | paste -sd, - | sed 's/,/, /g')"
fi
tap_end
