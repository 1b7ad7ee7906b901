# Helpers for the memplug-vmm shell tests (sourced; TAP on stdout).
# A test boots the project's guest (guest/) on build/vmm/memplug-vmm with
# its console in a file and its control socket in a temporary directory,
# talks to the guest through CONSOLE lines and reads its @ replies.
KVER=$(scripts/kver) || exit 1
KERNEL=/boot/vmlinuz-$KVER
VMM=build/vmm/memplug-vmm
INITRD=build/guest/initramfs.cpio.gz
T=$(mktemp -d /tmp/memplug-vmm-test.XXXXXX)
# 2 MiB pages for memplug-vmm's hotplug memfd (vmm/memory.c): the test VM
# is throw-away, so the tests allow them as a deployment would
thp=/sys/kernel/mm/transparent_hugepage/shmem_enabled
[ -n "${MEMPLUG_IN_VM:-}" ] && [ -w $thp ] && echo advise > $thp
tap_n=0
tap_fail=0

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); tap_fail=$((tap_fail + 1)); echo "not ok $tap_n - $*"; }
# check DESCRIPTION COMMAND...: one TAP line from COMMAND's status
check() { d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
diag() { echo "# $*"; }
tap_end() {
	echo "1..$tap_n"
	for p in $(jobs -p); do kill "$p" 2>/dev/null; done
	rm -rf "$T"
	[ "$tap_fail" -eq 0 ]
}

# wait_for FILE REGEX SECONDS: poll until FILE has a line matching REGEX
wait_for() {
	local i=0 max=$(($3 * 10))
	while ! grep -qE "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -ge $max ] && return 1
		sleep 0.1
	done
}

# vmm_start NAME ARGS...: boot the guest in the background; sets VMM_PID
vmm_start() {
	local name=$1
	shift
	# quiet: every console byte is a VM exit, and the log is in "dmesg"
	"$VMM" -k "$KERNEL" -i "$INITRD" -a quiet --console none \
		--console-file "$T/$name.con" --ctl "$T/$name.sock" "$@" \
		< /dev/null 2> "$T/$name.err" &
	VMM_PID=$!
}

# vmm_wait PID SECONDS: the VMM's exit status, 124 after killing it
vmm_wait() {
	local i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -ge $(($2 * 10)) ]; then
			kill -9 "$1"
			wait "$1" 2>/dev/null
			return 124
		fi
		sleep 0.1
	done
	wait "$1"
}

ctl() { local name=$1; shift; "$VMM" ctl "$T/$name.sock" "$@"; }

# guest NAME TAG CMD [SECONDS]: type CMD on the guest's console, print the
# next new line starting with @TAG (bounded wait)
guest() {
	local name=$1 tag=$2 cmd=$3 max=$((${4:-30} * 10)) c i=0
	c=$(grep -c "^@$tag" "$T/$name.con")
	ctl "$name" "CONSOLE $cmd" > /dev/null || return 1
	while [ "$(grep -c "^@$tag" "$T/$name.con")" -le "$c" ]; do
		i=$((i + 1))
		[ $i -ge $max ] && return 1
		sleep 0.1
	done
	# the guest's tty ends lines with \r\n
	grep "^@$tag" "$T/$name.con" | sed -n "$((c + 1))p" | tr -d '\r'

}

# json_field JSON FIELD: an integer field of a flat JSON object
json_field() { echo "$1" | sed -n "s/.*\"$2\":\([0-9.-]*\).*/\1/p"; }
