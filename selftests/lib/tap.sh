# shellcheck shell=dash
# selftests/lib/tap.sh: TAP output for the shell tests (sourced from the
# checkout by sh, which is dash, or bash).  Each case is one "ok N - ..."
# or "not ok N - ..." line; tap_end prints the plan after the last.
tap_n=0
tap_fail=0

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); tap_fail=$((tap_fail + 1)); echo "not ok $tap_n - $*"; }
# check DESCRIPTION COMMAND...: one TAP line from COMMAND's status
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
diag() { echo "# $*"; }

# tap_end: the plan (the cases counted), then the test's tap_cleanup if
# its library defines one; fails if a case failed.
tap_end() {
	echo "1..$tap_n"
	if command -v tap_cleanup > /dev/null; then tap_cleanup; fi
	[ "$tap_fail" -eq 0 ]
}

# need_module [WHAT]: unless memplug.ko is loaded, the whole test is one
# skipped case ("# SKIP WHAT: memplug.ko is not loaded") and exits here.
need_module() {
	grep -q '^memplug ' /proc/modules && return
	ok "# SKIP ${1:+$1: }memplug.ko is not loaded"
	tap_end
	exit
}
