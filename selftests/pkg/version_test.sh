#!/usr/bin/env bash
# version_test: every program's --version prints 'NAME VERSION' and exits
# 0, VERSION being the one in debian/changelog (the installed package's
# version with MEMPLUG_INSTALLED=1); the man pages carry it too.
. "$(dirname "$0")/lib.sh"
v=$(version)
echo "1..$(($(echo "$PROGRAMS" | wc -w) * 2))"
for p in $PROGRAMS; do
	out=$("$(prog "$p")" --version 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ "$out" = "$p $v" ]; then
		ok "$p --version: $out"
	else
		not_ok "$p --version: '$out', status $rc; want '$p $v', 0"
	fi
	f=$(page "$p")
	footer=$(LC_ALL=C MANWIDTH=100 man -l "$f" 2>/dev/null | tail -1)
	case "$footer" in
	*"memplug $v"*) ok "$p's page: memplug $v" ;;
	*) not_ok "$p's page ${f:-(none)} ends '$footer', not memplug $v" ;;
	esac
done
