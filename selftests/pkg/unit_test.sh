#!/usr/bin/env bash
# unit_test: memplugd.service passes 'systemd-analyze verify' (in a root of
# its own holding systemd's units, memplugd where ExecStart says, and
# modprobe: verify checks that the commands exist), and memplugd keeps the
# unit's Type=notify: it sends READY=1 to $NOTIFY_SOCKET once it listens.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
echo "1..4"

exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT" | awk '{ print $1 }')
if [ -n "${MEMPLUG_INSTALLED:-}" ]; then
	want=/usr/sbin/memplugd
else
	# where debian/memplug.install puts memplugd
	want=/$(awk '$1 ~ /memplugd$/ { print $2 }' debian/memplug.install)/memplugd
fi
check "ExecStart=$exec_start is where the package installs memplugd ($want)" \
	[ "$exec_start" = "$want" ]

# verify prints parse errors but still exits 0: any output is a failure
verify() {
	local root=$tmp/root out
	rm -rf "$root"
	mkdir -p "$root/lib/systemd" "$root/sbin" "$root$(dirname "$want")"
	cp -a /lib/systemd/system "$root/lib/systemd/"
	cp "$1" "$root/lib/systemd/system/memplugd.service"
	cp "$(prog memplugd)" "$root$want"
	cp "$(command -v modprobe)" "$root/sbin/modprobe"
	out=$(systemd-analyze verify --root="$root" memplugd.service 2>&1)
	local rc=$?
	# shellcheck disable=SC2001 # a prefix on every line
	[ -n "$out" ] && echo "$out" | sed 's/^/# /'
	[ $rc -eq 0 ] && [ -z "$out" ]
}
if ! command -v systemd-analyze > /dev/null; then
	echo "ok 2 # SKIP systemd-analyze is not installed (make deps)"
	echo "ok 3 # SKIP systemd-analyze is not installed (make deps)"
	tap_n=3
else
	check "systemd-analyze verify $UNIT: no complaint" verify "$UNIT"
	# the check above can fail: a unit with a typo does
	sed 's/^Type=notify$/Type=notifyy/' "$UNIT" > "$tmp/bad.service"
	if verify "$tmp/bad.service" > "$tmp/bad.out"; then
		not_ok "a unit with Type=notifyy passes verify: the check sees nothing"
	else
		ok "a unit with Type=notifyy fails the same check"
	fi
fi

# Type=notify: memplugd (local mode, a socket of its own) tells
# $NOTIFY_SOCKET READY=1 once it listens
ready() {
	python3 - "$tmp/notify" "$(prog memplugd)" "$tmp/memplugd.sock" <<'EOP'
import os, socket, subprocess, sys
n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
n.bind(sys.argv[1])
n.settimeout(10)
d = subprocess.Popen([sys.argv[2], "--no-module", "-s", sys.argv[3]],
                     env=dict(os.environ, NOTIFY_SOCKET=sys.argv[1]),
                     stderr=subprocess.DEVNULL)
try:
    msg = n.recv(4096).decode()
    ok = "READY=1" in msg.split("\n") and os.path.exists(sys.argv[3])
finally:
    d.terminate()
    d.wait(10)
sys.exit(0 if ok else 1)
EOP
}
check "memplugd sends READY=1 to \$NOTIFY_SOCKET, its socket made (Type=notify)" ready
