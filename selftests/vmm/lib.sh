# shellcheck shell=dash disable=SC2034
# (dash: Debian's sh, which runs the sh tests that source this; SC2034:
# its variables are for them.)
# Helpers for the memplug-vmm shell tests (sourced; TAP on stdout).
# A test boots the project's guest (guest/) on $B/vmm/memplug-vmm with
# its console in a file and its control socket in a temporary directory,
# talks to the guest through CONSOLE lines and reads its @ replies.
KVER=$(scripts/kver) || exit 1
KERNEL=/boot/vmlinuz-$KVER
# the build directory: build/, or build-san/ for 'make check SANITIZE=1'
B=${MEMPLUG_BUILD:-build}
VMM=${MEMPLUG_VMM:-$B/vmm/memplug-vmm}
INITRD=$B/guest/initramfs.cpio.gz
T=$(mktemp -d /tmp/memplug-vmm-test.XXXXXX)
# 2 MiB pages for memplug-vmm's hotplug memfd (vmm/region.c): the test VM
# is throw-away, so the tests allow them as a deployment would
thp=/sys/kernel/mm/transparent_hugepage/shmem_enabled
[ -n "${MEMPLUG_IN_VM:-}" ] && [ -w $thp ] && echo advise > $thp
. selftests/lib/tap.sh
. selftests/lib/wait.sh
# run by tap_end: what the test left running goes, and its files
tap_cleanup() {
	for p in $(jobs -p); do kill "$p" 2>/dev/null; done
	rm -rf "$T"
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

# console_tail NAME LINES: the last lines of guest NAME's console, as TAP
# comments
console_tail() {
	tail -"$2" "$T/$1.con" 2>/dev/null | tr -d '\r' | sed 's/^/#   console: /'
}

# vmm_boot NAME SECONDS ARGS...: vmm_start with --boot-timeout SECONDS,
# then wait until the guest's init is up (0) or the VMM has exited (1, with
# the VMM's status and the console's tail shown).  A boot that fails is a
# failure: nothing is retried (an L2 reset has its cause in
# Documentation/test-vm.md).
vmm_boot() {
	local name=$1 secs=$2 rc
	shift 2
	vmm_start "$name" --boot-timeout "$secs" "$@"
	while kill -0 "$VMM_PID" 2>/dev/null; do
		grep -q '^memplug-guest: ready' "$T/$name.con" 2>/dev/null && return 0
		sleep 0.1
	done
	wait "$VMM_PID"
	rc=$?
	grep -q '^memplug-guest: ready' "$T/$name.con" 2>/dev/null && return 0
	diag "$name: the guest did not reach init (VMM exit $rc): $(tail -1 "$T/$name.err")"
	console_tail "$name" 3
	return 1
}

# proc_stack PID: where a stuck process is, as TAP comments (kernel stacks)
proc_stack() {
	local t
	diag "pid $1 stuck: $(grep '^State' /proc/"$1"/status 2>/dev/null)"
	for t in /proc/"$1"/task/*; do
		diag "  task ${t##*/} ($(cat "$t/comm" 2>/dev/null)): $(tr '\n' ' ' < "$t/stack" 2>/dev/null)"
	done
}

# vmm_wait PID SECONDS: the process's exit status; 124 after SECONDS, when
# it is shown (proc_stack) and killed.  A task stuck in the kernel outlives
# SIGKILL: it is then left behind rather than waited for forever.
vmm_wait() {
	local i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -ge $(($2 * 10)) ]; then
			proc_stack "$1"
			kill -9 "$1"
			i=0
			while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
				sleep 0.1
				i=$((i + 1))
			done
			kill -0 "$1" 2>/dev/null || wait "$1" 2>/dev/null
			return 124
		fi
		sleep 0.1
	done
	wait "$1"
}

ctl() { local name=$1; shift; "$VMM" ctl "$T/$name.sock" "$@"; }

# guest NAME TAG CMD [SECONDS]: type CMD on the guest's console, print the
# next new line starting with @TAG (bounded wait; at once when the VMM has
# gone, e.g. its guest reset)
guest() {
	local name=$1 tag=$2 cmd=$3 max=$((${4:-30} * 10)) c i=0
	c=$(grep -c "^@$tag" "$T/$name.con")
	ctl "$name" "CONSOLE $cmd" > /dev/null || return 1
	while [ "$(grep -c "^@$tag" "$T/$name.con")" -le "$c" ]; do
		i=$((i + 1))
		[ $i -ge $max ] && return 1
		# the control socket refuses the connection: the VMM is gone
		[ $((i % 10)) = 0 ] && ctl "$name" GET 2>&1 | grep -q '^memplug-vmm ctl: ' &&
			return 1
		sleep 0.1
	done
	# the guest's tty ends lines with \r\n
	grep "^@$tag" "$T/$name.con" | sed -n "$((c + 1))p" | tr -d '\r'

}

# json_field JSON FIELD: an integer field of a flat JSON object
json_field() { echo "$1" | sed -n "s/.*\"$2\":\([0-9.-]*\).*/\1/p"; }
