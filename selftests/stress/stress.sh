#!/bin/bash
# No data lost, measured: memplugd + memplug.ko + memplug-vmm + a Linux
# guest that keeps a pattern in its memory (guest/memcheck.c, init's "pat"
# commands), through plugs and unplugs of random sizes, memplugd killed
# (SIGKILL) at random moments and restarted, once or more without the
# module (--no-module: the VMM then changes its own memslots), and the VMM
# killed and booted again (its guest starts over).  The guest reads back
# every page it wrote before it frees it and after every step; at the end
# nothing it read may differ from what it wrote, and memplug.ko's VMs and
# slots, and the KVM references (kvm_amd's refcount), match what is alive.
#
# The schedule (sizes, buffer sizes, which cycle kills what, the delays)
# comes from STRESS_SEED, printed first; STRESS_SEED=N replays it.  The
# timing of a kill inside a PATCH still depends on the machine.
# STRESS_CYCLES (default 12) cycles; no new cycle starts after
# STRESS_SECONDS (default 270), so that the test ends inside run-tests'
# 600 s: reaching the cap is not a failure by itself, and events
# scheduled past it are not required.  The logs end up in build/stress/.
# TAP on stdout; the last line is the summary.
cd "$(dirname "$0")/../.." || exit 1
. selftests/vmm/lib.sh

# copies: a rebuild in the checkout during the run must not change them
cp "$B/daemon/memplugd" "$B/tools/memplugctl" "$VMM" "$INITRD" "$T/" || exit 1
MEMPLUGD=$T/memplugd
CTL=$T/memplugctl
VMM=$T/memplug-vmm
INITRD=$T/initramfs.cpio.gz
SOCK=$T/memplugd.sock
TOTAL=1024
SLOT=128
PUT="{\"total_size_mib\":$TOTAL,\"block_size_mib\":2,\"slot_size_mib\":$SLOT}"
SEED=${STRESS_SEED:-$(( $(date +%s%N) / 1000 % 32768 ))}
CYCLES=${STRESS_CYCLES:-12}
CAP=${STRESS_SECONDS:-270}
RANDOM=$SEED
diag "seed $SEED: replay with STRESS_SEED=$SEED $0"

mctl() { "$CTL" -s "$SOCK" "$@"; }

# rnd N: R is a number in 0..N-1 from the seeded sequence.  Only this
# shell draws (never a subshell), so the sequence is the seed's.
rnd() { R=$((RANDOM % $1)); }

refcnt() { cat "/sys/module/$1/refcnt" 2>/dev/null || echo none; }

# the lines of FILE matching REGEX
count() { grep -cE "$2" "$1" 2>/dev/null; }


# ---- memplugd ----------------------------------------------------------
MODE=""
daemon_start() {	# [--no-module]
	cat "$T/memplugd.log" >> "$T/memplugd.all" 2>/dev/null
	: > "$T/memplugd.log"
	"$MEMPLUGD" -s "$SOCK" "$@" 2>> "$T/memplugd.log" &
	DAEMON_PID=$!
	wait_for "$T/memplugd.log" 'listening on' 20 || return 1
	if grep -q '(module mode)' "$T/memplugd.log"; then MODE=module; else MODE=local; fi
}

kills=0 restarts=0 local_starts=0 readopt_fail=0
# daemon_kill: SIGKILL, and wait for it to be gone
daemon_kill() {
	kill -9 "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	kills=$((kills + 1))
}

# daemon_restart [--no-module]: start memplugd again; the VMM (if any)
# must register again with it
daemon_restart() {
	local n
	n=$(count "$T/$G.err" 'registered again with memplugd')
	if ! daemon_start "$@"; then
		not_ok "memplugd restarts ($*)"
		return 1
	fi
	restarts=$((restarts + 1))
	[ "$MODE" = local ] && local_starts=$((local_starts + 1))
	[ -z "$G" ] && return 0
	if wait_count "$T/$G.err" 'registered again with memplugd' $((n + 1)) 30; then
		VM=$(vm_id "$G")
	else
		readopt_fail=$((readopt_fail + 1))
		diag "$G did not register again with memplugd ($MODE mode)"
	fi
}

vm_id() { sed -n 's/.*with memplugd as VM \([0-9]*\).*/\1/p' "$T/$1.err" | tail -1; }

# ---- the VMM and its guest -------------------------------------------
G=""			# the live guest's name
gen=0			# guests booted
# totals of the guests that are gone, and of the live one (its last reply)
done_pages=0 done_hot=0 done_bad=0
g_pages=0 g_hot=0 g_bad=0
replies_missing=0 guests_died=0
PLUGGED=0		# what the last step settled at

# pat CMD [SECONDS]: a memcheck command; $P is its reply.  The totals of
# the live guest follow each reply.
pat() {
	local v
	[ -z "$G" ] && { P=""; return 1; }
	local t0=$SECONDS
	P=$(guest "$G" pat "pat $1" "${2:-120}")
	T_PAT="$T_PAT ${1%% *} $((SECONDS - t0)) s"
	if [ -z "$P" ]; then
		replies_missing=$((replies_missing + 1))
		diag "$G: no reply to 'pat $1' in ${2:-120} s"
		guest_hung
		return 1
	fi
	case "$P" in "@pat error"*) diag "$G: $P"; return 1 ;; esac
	v=$(echo "$P" | sed -n 's/.* mib=\([0-9]*\) .*/\1/p')
	[ -n "$v" ] && BUF=$v
	v=$(echo "$P" | sed -n 's/.* tpages=\([0-9]*\) thot=\([0-9]*\) tbad=\([0-9]*\).*/\1 \2 \3/p')
	[ -n "$v" ] && read -r g_pages g_hot g_bad <<< "$v"
	return 0
}
pat_field() { echo "$P" | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }

guest_boot() {
	gen=$((gen + 1))
	G=g$gen
	g_pages=0 g_hot=0 g_bad=0 PLUGGED=0 BUF=0
	if ! vmm_boot "$G" 150 -m 512 --hotplug "$PUT" --daemon "$SOCK"; then
		diag "$G: the guest did not boot"
		G=""
		return 1
	fi
	GPID=$VMM_PID
	VM=$(vm_id "$G")
	# the same memcheck choices in every run of a seed
	rnd 32768
	pat start 30 && pat "seed $((R + 1))" 30
}

# guest_gone: the live guest's totals are final
guest_gone() {
	done_pages=$((done_pages + g_pages))
	done_hot=$((done_hot + g_hot))
	done_bad=$((done_bad + g_bad))
	g_pages=0 g_hot=0 g_bad=0
	G=""
}

# guest_hung: the guest stopped answering: shown, killed, counted as
# dead (its totals so far count); the next cycle boots another
guest_hung() {
	diag "$G: $(tail -2 "$T/$G.err" | tr '\n' ' ')"
	console_tail "$G" 8
	kill -9 "$GPID" 2>/dev/null
	wait "$GPID" 2>/dev/null
	guests_died=$((guests_died + 1))
	guest_gone
}

# save_logs: for a look after the test VM is gone
save_logs() {
	rm -rf build/stress
	mkdir -p build/stress && cp "$T"/*.err "$T"/*.con "$T"/memplugd.* build/stress/ 2>/dev/null
}
trap 'save_logs; exit 143' TERM INT

# guest_check: the VMM still runs (else the guest died: counted, shown)
guest_check() {
	[ -z "$G" ] && return 1
	kill -0 "$GPID" 2>/dev/null && return 0
	wait "$GPID"
	diag "$G: the VMM exited ($?): $(tail -2 "$T/$G.err" | tr '\n' ' ')"
	console_tail "$G" 5
	guests_died=$((guests_died + 1))
	guest_gone
	return 1
}

# ---- PATCH and GET, by memplugd in module mode, the VMM's control socket
# in local mode (memplugctl talks netlink while memplug.ko is loaded, and
# the module does not know a VM of a memplugd in local mode)
get_json() {
	if [ "$MODE" = module ]; then mctl -j hotplug get "$VM" 2>&1; else ctl "$G" GET; fi
}

# patch MIB [WAIT_S]: PATCH and wait until plugged == requested (bounded;
# an unplug may stop short: the guest cannot free everything); $out
patch() {
	local i t0=$SECONDS
	for i in $(seq 1 50); do
		if [ "$MODE" = module ]; then
			out=$(mctl hotplug patch "$VM" requested "$1" --wait "${2:-60}" 2>&1)
		else
			out=$(ctl "$G" "PATCH {\"requested_size_mib\":$1}" "WAIT $((${2:-60} * 1000))" | tail -1)
		fi
		echo "$out" | grep -q 'not ready' || break
		sleep 0.2
	done
	settle
	T_PAT="$T_PAT patch $((SECONDS - t0)) s"
}

# settle: PLUGGED from GET
settle() {
	local j
	j=$(get_json)
	PLUGGED=$(json_field "$j" plugged_size_mib)
	REQUESTED=$(json_field "$j" requested_size_mib)
	[ -n "$PLUGGED" ] || { diag "GET: $j"; PLUGGED=0; }
}

# why_short: what the VMM and the guest's driver said last
why_short() {
	tail -3 "$T/$G.err" | sed 's/^/#   vmm: /'
	guest_check && ctl "$G" "CONSOLE dmesg 40" > /dev/null && sleep 1 &&
		tr -d '\r' < "$T/$G.con" | grep virtio_mem | tail -4 | sed 's/^/#   guest: /'
}

# ---- start ------------------------------------------------------------
if ! grep -q '^memplug ' /proc/modules; then
	ok "# SKIP memplug.ko is not loaded"
	tap_end
	exit
fi
kvm_base=$(refcnt kvm_amd)
mp_base=$(refcnt memplug)
diag "refcounts before any VM: kvm_amd $kvm_base, memplug $mp_base"
daemon_start
check "memplugd starts in module mode" test "$MODE" = module
guest_boot
check "the guest boots and memcheck starts in it ($G, VM $VM)" test -n "$G"
if [ -z "$G" ]; then
	tap_end
	exit 1
fi
kvm_one=$(( $(refcnt kvm_amd) - kvm_base ))
diag "one VMM holds $kvm_one references on kvm_amd"
patch 256
pat "grow 64"
pat poke
check "memcheck's self-test: a flipped bit is one bad page ($P)" \
	test "$(pat_field detected)" = 1

# ---- cycles -------------------------------------------------------------
# Each cycle: a new requested size; before an unplug the buffer shrinks so
# that the guest can give the memory back, after a plug it grows into the
# new memory; then part of it is rewritten and all of it read back.  Now
# and then memplugd is killed, before the PATCH or while it is in flight,
# and restarted: in local mode (--no-module) one time in four, and once
# for sure, back in module mode at the end of that cycle.  Twice the VMM
# is killed (maybe inside a PATCH) and a new one booted, the first time
# under a memplugd in local mode (so that it sets its own memslots).
start=$(date +%s)
# the VMM kills: at cycle 3 or 4 and 6..8 (a run that reaches few
# cycles under load still has them); local mode for sure in cycle 1, so
# that module-mode cycles follow with the VMM that lived through it
rnd 2; vmm_kill1=$((3 + R))
rnd 3; vmm_kill2=$((6 + R))
local_at=1
cycles=0 unplug_short=0 plug_short=0 plug_short_module=0 vmm_kills=0 vm_left=0 kvm_left=0
for c in $(seq 1 "$CYCLES"); do
	if [ $(($(date +%s) - start)) -ge "$CAP" ]; then
		diag "time cap of $CAP s reached after $cycles cycles"
		break
	fi
	if ! guest_check; then
		guest_boot || break
		patch 128
	fi
	cycles=$c
	# the size: a multiple of the block (2 MiB) or of the slot
	rnd 2
	if [ $R = 0 ]; then rnd $((TOTAL / 2 + 1)); size=$((R * 2)); else rnd $((TOTAL / SLOT + 1)); size=$((R * SLOT)); fi
	rnd 100; event=$R
	rnd 3000; delay=$(printf '%d.%03d' $((R / 1000)) $((R % 1000)))
	rnd 4; restart_local=$R
	rnd 21; frac=$((10 + R))	# the buffer: 10..30 % of the plugged memory
	rnd 21; rewrite=$((R + 10))
	next_mode=""
	[ "$restart_local" = 0 ] && next_mode=--no-module
	if [ "$local_starts" = 0 ] && [ "$c" -ge "$local_at" ] &&
	   [ "$c" != "$vmm_kill1" ] && [ "$c" != "$vmm_kill2" ]; then
		event=20 next_mode=--no-module
	fi
	T_PAT=""
	diag "cycle $c at $(($(date +%s) - start)) s: $MODE mode, plugged $PLUGGED -> $size MiB, buffer $BUF MiB, event $event $next_mode"

	if [ "$c" = "$vmm_kill1" ] || [ "$c" = "$vmm_kill2" ]; then
		# the VMM dies, maybe inside a PATCH
		old=$VM
		patch "$size" 60 > /dev/null 2>&1 &
		ppid=$!
		sleep "$delay"
		kill -9 "$GPID"
		wait "$GPID" 2>/dev/null
		wait "$ppid" 2>/dev/null
		vmm_kills=$((vmm_kills + 1))
		diag "$G (VM $old) killed ${delay} s into a PATCH; its guest had checked $g_pages pages"
		guest_gone
		# the VM's last file is closed with the VMM's and memplugd's
		i=0
		while [ "$(refcnt kvm_amd)" != "$kvm_base" ] && [ $i -lt 150 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		if [ "$(refcnt kvm_amd)" != "$kvm_base" ]; then
			kvm_left=$((kvm_left + 1))
			diag "kvm_amd refcount $(refcnt kvm_amd) with no VMM alive (was $kvm_base)"
		fi
		if [ "$MODE" = module ] && "$CTL" -j vm show 2>/dev/null | grep -q "\"id\":${old}[,}]"; then
			vm_left=$((vm_left + 1))
			diag "memplug.ko still lists VM $old of the killed VMM: $("$CTL" -j vm show 2>&1)"
		fi
		if [ "$c" = "$vmm_kill1" ] && [ "$MODE" = module ]; then
			# the new VMM meets a memplugd in local mode: it sets
			# its own memslots, and memplugd comes back in module
			# mode at the end of the cycle
			daemon_kill
			daemon_restart --no-module
		fi
		guest_boot || break
		patch 128
		[ "$MODE" = module ] && continue
	fi

	if [ "$event" -ge 15 ] && [ "$event" -lt 30 ]; then
		# memplugd dies between steps
		daemon_kill
		diag "memplugd killed before the PATCH"
		guest_check && pat verify
		daemon_restart $next_mode
	fi
	# an unplug: first make room
	if [ "$size" -lt "$PLUGGED" ]; then
		want=$((size * frac / 100))
		[ "$BUF" -gt "$want" ] && pat "shrink $want"
	fi
	if [ "$event" -lt 15 ]; then
		# memplugd dies while the PATCH is in flight
		patch "$size" 60 > /dev/null 2>&1 &
		ppid=$!
		sleep "$delay"
		diag "memplugd killed ${delay} s into the PATCH"
		daemon_kill
		wait "$ppid" 2>/dev/null
		daemon_restart $next_mode
	fi
	patch "$size"
	if [ "$PLUGGED" -gt "$size" ]; then
		unplug_short=$((unplug_short + 1))
		diag "unplug stopped at $PLUGGED MiB (asked $size): $out"
	elif [ "$PLUGGED" -lt "$size" ]; then
		plug_short=$((plug_short + 1))
		[ "$MODE" = module ] && plug_short_module=$((plug_short_module + 1))
		diag "plug stopped at $PLUGGED MiB (asked $size): $out"
		why_short
	fi

	if guest_check; then
		want=$((PLUGGED * frac / 100))
		[ "$BUF" -lt "$want" ] && pat "grow $((want - BUF))" 150
		pat "rewrite $rewrite" 150
		diag "  $P"
		diag " $T_PAT"
	fi
	# back to module mode after a cycle in local mode
	if [ "$MODE" = local ]; then
		daemon_kill
		daemon_restart
		settle
	fi
done
elapsed=$(($(date +%s) - start))

# ---- the end ------------------------------------------------------------
if [ "$MODE" != module ]; then
	daemon_kill
	daemon_restart
fi
if guest_check; then
	patch 512 120
	check "the last PATCH settles: plugged $PLUGGED, requested $REQUESTED MiB" \
		test "$PLUGGED-$REQUESTED" = 512-512
	pat verify 150
	pat "shrink 0" 150
	check "the guest read back its whole buffer: $P" test "$BUF" = 0
	# memplugd's plan for 512 MiB: 4 slots and the spare past them (as
	# a VMM that saw no kill has them)
	shows=$("$CTL" -j vm show 2>&1)
	n=$(echo "$shows" | grep -o '"owner_portid"' | wc -l)
	slots=$(echo "$shows" | grep -o '"nr_slots":[0-9]*' | cut -d: -f2)
	if ! { [ "$n" = 1 ] && [ "$slots" = 5 ] && echo "$shows" | grep -q "^\[{\"id\":$VM,"; }; then
		diag "vm show: $shows"
	fi
	check "memplug.ko lists only the live VM ($VM): $n VMs" \
		sh -c "[ '$n' = 1 ] && echo '$shows' | grep -q '^\[{\"id\":$VM,'"
	check "its slots are memplugd's plan for 512 MiB, 4 and a spare: $slots" \
		test "$slots" = 5
	check "kvm_amd's refcount is one VMM's ($(refcnt kvm_amd) = $kvm_base + $kvm_one)" \
		test "$(refcnt kvm_amd)" = $((kvm_base + kvm_one))
	guest "$G" poweroff poweroff 5 > /dev/null
	vmm_wait "$GPID" 30
	check "the guest powers off, its VMM exits 0" test $? -eq 0
	guest_gone
else
	not_ok "the last PATCH settles (no guest)"
	not_ok "the guest read back its whole buffer (no guest)"
	not_ok "memplug.ko lists only the live VM (no guest)"
	not_ok "its slots are the VMM's (no guest)"
	not_ok "kvm_amd's refcount is one VMM's (no guest)"
	not_ok "the guest powers off (no guest)"
fi
sleep 1
shows=$("$CTL" -j vm show 2>&1)
check "no VMM left: memplug.ko lists no VM: $shows" \
	sh -c "! echo '$shows' | grep -q '\"id\":'"
kill "$DAEMON_PID"
vmm_wait "$DAEMON_PID" 10
check "memplugd exits 0 on SIGTERM" test $? -eq 0
check "refcounts are back: kvm_amd $(refcnt kvm_amd) (was $kvm_base), memplug $(refcnt memplug) (was $mp_base)" \
	test "$(refcnt kvm_amd)-$(refcnt memplug)" = "$kvm_base-$mp_base"

total_pages=$done_pages
total_hot=$done_hot
total_bad=$done_bad
check "$cycles cycles ran (of $CYCLES), every memcheck command answered" \
	test "$cycles" -gt 0 -a "$replies_missing" = 0
check "every plug in module mode reached its size ($plug_short_module did not)" \
	test "$plug_short_module" = 0
check "no guest died ($gen booted, $vmm_kills VMMs killed on purpose)" test "$guests_died" = 0
want_kills=0
[ "$cycles" -ge "$vmm_kill1" ] && want_kills=$((want_kills + 1))
[ "$cycles" -ge "$vmm_kill2" ] && want_kills=$((want_kills + 1))
want_local=0
[ "$cycles" -ge "$local_at" ] && want_local=1
check "memplugd killed $kills times: the VMM registered again every time ($restarts restarts, $local_starts in local mode)" \
	test "$readopt_fail" = 0 -a "$local_starts" -ge "$want_local"
check "the VMM killed on schedule ($vmm_kills times, at cycles $vmm_kill1 and $vmm_kill2)" \
	test "$vmm_kills" = "$want_kills"
check "killed VMMs: memplug.ko dropped their VMs and KVM its references" \
	test "$vm_left-$kvm_left" = 0-0
check "pages were checked in hotplugged memory ($total_hot of $total_pages)" \
	test "$total_hot" -gt 0
check "no mismatch: $total_bad bad pages of $total_pages checked" \
	test "$total_bad" = 0 -a "$total_pages" -gt 0
echo "# stress: seed $SEED, $cycles cycles in $elapsed s, $total_pages pages checked ($total_hot in hotplugged memory), $total_bad mismatches, memplugd killed $kills times ($local_starts restarts in local mode), VMM killed $vmm_kills times, $plug_short plugs and $unplug_short unplugs stopped short"
save_logs
diag "memplugd logs (tail; all logs in build/stress/):"
cat "$T/memplugd.all" "$T/memplugd.log" 2>/dev/null | sed 's/^/# /' | tail -20
tap_end
