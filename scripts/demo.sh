#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The demo (`make demo`, `netstack demo`): netstack as a small host on a TAP device, with the
# Linux kernel as its neighbor, all inside a network namespace made for the occasion.
#
#   [ kernel 192.0.2.1/24 ] == tap nsdemo0 == [ netstack 192.0.2.2/24, MAC 02:00:00:00:00:02 ]
#
# It pings netstack, exchanges UDP with its echo and discard services, knocks on a closed
# port, shows the kernel's neighbor entry and a few captured frames, prints a report, stops
# netstack with SIGTERM and shows its counters. The namespace, the process and the temporary
# files are removed on every exit path. Needs root; usage: demo.sh [path/to/netstack]
set -euo pipefail

NETSTACK=$(readlink -f "${1:-build/netstack}")
PY=/usr/bin/python3
NS=nsdemo-$$
DEV=nsdemo0
MAC=02:00:00:00:00:02
TMP=$(mktemp -d /tmp/netstack-demo.XXXXXX)
PID=
NS_MADE=

cleanup() {
	local rc=$?
	set +e
	if [[ -n $PID ]]; then
		kill -KILL "$PID" 2>/dev/null
		wait "$PID" 2>/dev/null
	fi
	[[ -n $NS_MADE ]] && ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
	if [[ $rc -ne 0 ]]; then
		echo "demo: FAILED (everything it made was removed)" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "demo: interrupted" >&2; exit 130' INT TERM HUP

die() {
	echo "demo: $*" >&2
	[[ -s $TMP/err ]] && sed 's/^/  netstack: /' "$TMP/err" >&2
	exit 1
}
step() { printf '\n== %s\n' "$*"; }

[[ $(id -u) -eq 0 ]] || die "run as root (it creates a network namespace and a TAP device)"
[[ -x $NETSTACK ]] || die "no netstack binary at $NETSTACK (run make first)"
for c in ip ping; do
	command -v "$c" >/dev/null || die "$c is missing (run scripts/deps.sh)"
done
[[ -x $PY ]] || die "$PY is missing (run scripts/deps.sh)"

step "network namespace $NS with a TAP device $DEV"
ip netns add "$NS"
NS_MADE=1
ip -n "$NS" link set lo up
t0=$(date +%s%N)
ip netns exec "$NS" "$NETSTACK" serve --tap "$DEV" --addr 192.0.2.2/24 --mac "$MAC" \
	--pcap "$TMP/demo.pcap" >"$TMP/out" 2>"$TMP/err" &
PID=$!
until [[ -s $TMP/out ]]; do
	kill -0 "$PID" 2>/dev/null || die "netstack exited before it was ready"
	(($(date +%s%N) - t0 < 5000000000)) || die "netstack was not ready within 5 s"
	sleep 0.02
done
ready_ms=$((($(date +%s%N) - t0) / 1000000))
[[ $(head -n 1 "$TMP/out") == ready ]] || die "unexpected first line: $(head -n 1 "$TMP/out")"
sed 's/^netstack: /  /' "$TMP/err"
echo "  ready after $ready_ms ms"
ip -n "$NS" addr add 192.0.2.1/24 dev "$DEV"
echo "  kernel side: $(ip -n "$NS" -br addr show dev "$DEV")"

step "the kernel pings netstack"
ping_out=$(ip netns exec "$NS" ping -n -c 5 -i 0.2 -W 2 192.0.2.2) || die "ping failed: $ping_out"
sed 's/^/  /' <<<"$ping_out"
ping_summary=$(grep -o '[0-9]* packets transmitted, [0-9]* received' <<<"$ping_out")
ping_rtt=$(sed -n 's/^rtt [^=]*= //p' <<<"$ping_out")

step "the kernel's neighbor entry for netstack (ARP)"
neigh=$(ip -n "$NS" neigh show 192.0.2.2 dev "$DEV")
echo "  $neigh"

step "UDP: echo (port 7), discard (port 9), a closed port"
udp_out=$(ip netns exec "$NS" "$PY" - <<'PY'
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2.0)
s.connect(("192.0.2.2", 7))
sizes = [0, 1, 64, 512, 1000, 1472] * 50
ok, rtts = 0, []
for n in sizes:
    msg = os.urandom(n)
    t = time.perf_counter()
    s.send(msg)
    try:
        if s.recv(2048) == msg:
            ok += 1
            rtts.append(time.perf_counter() - t)
    except socket.timeout:
        pass
avg = sum(rtts) / len(rtts) * 1e6 if rtts else 0
print(f"echo: {ok}/{len(sizes)} datagrams of 0..1472 bytes came back intact, average round trip {avg:.0f} us")
d = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
d.settimeout(1.0)
d.connect(("192.0.2.2", 9))
d.send(b"into the void")
try:
    d.recv(100)
    print("discard: answered (unexpected!)")
except (socket.timeout, ConnectionRefusedError) as e:
    print("discard: no answer, as it should be" if isinstance(e, socket.timeout) else "discard: refused (unexpected!)")
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.settimeout(2.0)
c.connect(("192.0.2.2", 4242))
c.send(b"hello?")
try:
    c.recv(100)
    print("port 4242: answered (unexpected!)")
except ConnectionRefusedError:
    print("port 4242: connection refused (ICMP port unreachable)")
except socket.timeout:
    print("port 4242: no ICMP error (unexpected!)")
sys.exit(0 if ok == len(sizes) else 1)
PY
) || die "UDP exchange failed: $udp_out"
sed 's/^/  /' <<<"$udp_out"
grep -q unexpected <<<"$udp_out" && die "a UDP service misbehaved"

step "stopping netstack (SIGTERM); its counters"
kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
PID=
((rc == 0)) || die "netstack exited with status $rc"
tail -n +2 "$TMP/out" | paste - - - | sed 's/^/  /'

if command -v tshark >/dev/null; then
	step "a few frames of the capture (tshark)"
	tshark -r "$TMP/demo.pcap" -c 8 2>/dev/null | sed 's/^ */  /'
	frames=$(tshark -r "$TMP/demo.pcap" 2>/dev/null | wc -l)
else
	frames="?"
fi

step "report"
cat <<REPORT
  netstack on TAP $DEV, 192.0.2.2/24, MAC $MAC, ready in $ready_ms ms
  ping:        $ping_summary (rtt min/avg/max/mdev $ping_rtt)
  ARP:         the kernel has netstack at $(awk '{print $3}' <<<"$neigh") ($(awk '{print $NF}' <<<"$neigh"))
  UDP:         $(sed -n 1p <<<"$udp_out")
               $(sed -n 2p <<<"$udp_out")
               $(sed -n 3p <<<"$udp_out")
  capture:     $frames frames; netstack exited 0 on SIGTERM
  demo: OK
REPORT
