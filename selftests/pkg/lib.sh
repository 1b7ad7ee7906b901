# shellcheck shell=bash disable=SC2034 # its variables are its tests'
# selftests/pkg/lib.sh: where the programs, pages and completion are: the
# checkout's build/ (make), or the installed package's paths when
# MEMPLUG_INSTALLED=1 (scripts/check-deb runs these tests that way too).
cd "$(dirname "$0")/../.." || exit 1
PROGRAMS="memplugd memplugctl memplug-vmm memplug-bench"

if [ -n "${MEMPLUG_INSTALLED:-}" ]; then
	prog() {
		case $1 in
		memplugd | memplugctl) echo "/usr/sbin/$1" ;;
		*) echo "/usr/bin/$1" ;;
		esac
	}
	page() { man -w "$1" 2>/dev/null; }
	COMPLETION=/usr/share/bash-completion/completions/memplugctl
	UNIT=/lib/systemd/system/memplugd.service
else
	# build-san/ under 'make check SANITIZE=1'
	B=${MEMPLUG_BUILD:-build}
	prog() {
		case $1 in
		memplugd) echo "$B/daemon/memplugd" ;;
		memplug-vmm) echo "$B/vmm/memplug-vmm" ;;
		*) echo "$B/tools/$1" ;;
		esac
	}
	page() { ls "$B"/man/"$1".[18] 2>/dev/null; }
	COMPLETION=completion/bash/memplugctl
	UNIT=daemon/memplugd.service
fi

# The version every program reports: debian/changelog's first entry (in
# the package, its changelog).
version() {
	if [ -n "${MEMPLUG_INSTALLED:-}" ]; then
		dpkg-query -W -f='${Version}' memplug
	else
		sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' debian/changelog
	fi
}

. selftests/lib/tap.sh
