#!/bin/sh
# Host tests of selftests/run-tests: how it counts a program's TAP, and that
# a plan that does not match what ran fails the run.
cd "$(dirname "$0")/../.." || exit 1
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
n=0

# prog NAME LINE...: a test program that prints LINEs
prog() {
	f=$d/$1
	shift
	{ echo '#!/bin/sh'; for l in "$@"; do printf 'echo "%s"\n' "$l"; done; } > "$f"
	chmod +x "$f"
}

# want DESC SUMMARY PROG...: run-tests on PROGs ends with SUMMARY
want() {
	desc=$1 sum=$2
	shift 2
	n=$((n + 1))
	got=$(MEMPLUG_IN_VM='' selftests/run-tests "$@" | tail -1)
	if [ "$got" = "$sum" ]; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc (got '$got', want '$sum')"
	fi
}

prog good '1..2' 'ok 1 - a' 'ok 2 - b'
prog trailing 'ok 1 - a' 'ok 2 - b' '1..2'
prog short '1..3' 'ok 1 - a' 'ok 2 - b'
prog long '1..1' 'ok 1 - a' 'ok 2 - b'
prog noplan 'ok 1 - a'
prog skip '1..2' 'ok 1 - a' 'ok 2 - b # SKIP no kvm'
prog fail '1..2' 'ok 1 - a' 'not ok 2 - b'
prog notap 'hello'

echo "TAP version 13"
echo "1..8"
want "a plan that matches passes" "2 passed, 0 failed, 0 skipped" "$d/good"
want "a trailing plan counts" "2 passed, 0 failed, 0 skipped" "$d/trailing"
want "fewer tests than the plan fail" "2 passed, 1 failed, 0 skipped" "$d/short"
want "more tests than the plan fail" "2 passed, 1 failed, 0 skipped" "$d/long"
want "tests without a plan fail" "1 passed, 1 failed, 0 skipped" "$d/noplan"
want "skips count toward the plan" "1 passed, 0 failed, 1 skipped" "$d/skip"
want "a failed case counts once" "1 passed, 1 failed, 0 skipped" "$d/fail"
want "a program without TAP counts by its status" "1 passed, 0 failed, 0 skipped" "$d/notap"
