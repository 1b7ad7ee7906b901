# shellcheck shell=bash disable=SC2034
# (SC2034: its variables are for the tests that source it)
# selftests/memplugd/lib.sh: what the memplugd suites in the test VM share
# (sourced from the checkout, after cd; sources selftests/vmm/lib.sh).
. selftests/vmm/lib.sh
MEMPLUGD=$B/daemon/memplugd
CTL=$B/tools/memplugctl
SOCK=$T/memplugd.sock
PUT='{"total_size_mib":2048,"block_size_mib":2,"slot_size_mib":128}'

mctl() { "$CTL" -s "$SOCK" "$@"; }

daemon_start() {
	# one log per daemon: checks read only the current one
	cat "$T/memplugd.log" >> "$T/memplugd.all" 2>/dev/null
	: > "$T/memplugd.log"
	"$MEMPLUGD" -s "$SOCK" "$@" 2>> "$T/memplugd.log" &
	DAEMON_PID=$!
	wait_for "$T/memplugd.log" 'listening on' 10
}

# guest_poweroff NAME PID WHAT: power guest NAME off; check that its VMM
# (PID) exits 0, as WHAT
guest_poweroff() {
	local rc
	guest "$1" poweroff poweroff 5 > /dev/null
	vmm_wait "$2" 30
	rc=$?
	check "$3 ($rc)" test $rc -eq 0
	[ $rc -eq 0 ] && return
	diag "$1: $(tail -2 "$T/$1.err" | tr '\n' ' ')"
	console_tail "$1" 5
}

# daemon_stop: SIGTERM to memplugd, which exits 0
daemon_stop() {
	kill "$DAEMON_PID"
	vmm_wait "$DAEMON_PID" 10
	check "memplugd exits 0 on SIGTERM" test $? -eq 0
}

# vm_id: the only VM memplugd knows (module: from vm show)
vm_id() {
	sed -n 's/.*registered \(again \)\{0,1\}with memplugd as VM \([0-9]*\).*/\2/p' "$T/$1.err" | tail -1
}

get_field() { json_field "$(mctl -j hotplug get "$1")" "$2"; }

guest_mem_kb() { guest "$1" mem mem | sed -n 's/.*MemTotal_kB=\([0-9]*\).*/\1/p'; }

vmm_rss_kb() { awk '/^VmRSS/ {print $2}' /proc/"$1"/status; }

# patch_first VM MIB: the first PATCH after boot; the guest's driver comes
# up just after init, so retry (bounded) while memplugd says it is not ready.
patch_first() {
	local i
	for i in $(seq 1 50); do
		out=$(mctl hotplug patch "$1" requested "$2" --wait 60 2>&1) && return
		echo "$out" | grep -q 'driver is not ready' || return
		sleep 0.2
	done
}

# grow_1g NAME VM DESCRIPTION: the first PATCH to 1024 MiB; the guest's
# MemTotal must grow by exactly 1 GiB
grow_1g() {
	local before after
	before=$(guest_mem_kb "$1")
	patch_first "$2" 1024
	diag "$out"
	after=$(guest_mem_kb "$1")
	check "$3" test "$((after - before))" -eq $((1024 * 1024))
}

# The guest's console still answers: it has survived whatever we did.
guest_alive() { guest "$1" cpus cpus 20 | grep -q '^@cpus'; }

# batches NAME / rises NAME: the slots-applied batch sizes and the distinct
# requested sizes that "memplugctl monitor" saw in $T/NAME.mon.  A guest's
# driver may come up after its init says ready, and the monitor then sees
# that event too, with the size before any request: 0 is no rise.
batches() { grep '"event":"slots-applied"' "$T/$1.mon" | grep -o '"nr_slots":[0-9]*' | cut -d: -f2 | tr '\n' ' '; }
rises() { grep '"event":"hotplug"' "$T/$1.mon" | grep -o '"requested_size":[0-9]*' | grep -v ':0$' | uniq | cut -d: -f2 | tr '\n' ' '; }
