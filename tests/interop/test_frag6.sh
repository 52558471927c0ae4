#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# IPv6 fragmentation both ways with the kernel over a TAP (MTU 1500), RFC 8200 4.5: the
# kernel pings netstack's 2001:db8::2 with 8000 and 65000 bytes of data (it fragments at the
# source, netstack reassembles; netstack's reply is as big and netstack fragments it at
# the source, the kernel reassembles), then 8000-byte UDP datagrams are echoed over IPv6.
# The kernel's Ip6ReasmOKs and Ip6FragCreates (/proc/net/snmp6 of the namespace) and
# netstack's frag_* counters must show the work, and nothing be dropped for a reassembly
# reason.
source "$(dirname "$0")/lib.sh" "$@"

new_ns NS
start_serve "$NS" serve --tap tap0 --addr 192.0.2.2/24 --addr 2001:db8::2/64
kernel_tap6 "$NS" tap0
wait_v6 "$NS" 2001:db8::2

reasm0=$(kernel_snmp6 "$NS" Ip6ReasmOKs)
frag0=$(kernel_snmp6 "$NS" Ip6FragCreates)
for size in 1453 8000 65000; do
	ping_ok "$NS" 2001:db8::2 "$size" 3
	note "ping -6 -s $size answered"
done
reasm1=$(kernel_snmp6 "$NS" Ip6ReasmOKs)
frag1=$(kernel_snmp6 "$NS" Ip6FragCreates)
((reasm1 - reasm0 >= 9)) || fail "the kernel reassembled $((reasm1 - reasm0)) replies, want 9"
# Fragments per request (1448 data bytes each): 2 + 6 + 45, three times each.
((frag1 - frag0 >= 159)) || fail "the kernel made $((frag1 - frag0)) fragments, want 159"
note "kernel: $((frag1 - frag0)) fragments sent, $((reasm1 - reasm0)) replies reassembled"

note "UDP echo over IPv6 up to 8000 bytes"
py "$NS" <<'PY' || fail "UDP echo over IPv6"
import random, socket, sys
rng = random.Random(6)
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(2.0)
s.connect(("2001:db8::2", 7))
sizes = [0, 1, 1452, 1453, 8000] + [rng.randint(0, 8000) for _ in range(35)]
for i, n in enumerate(sizes):
    msg = rng.randbytes(n)
    s.send(msg)
    try:
        got = s.recv(65536)
    except socket.timeout:
        sys.exit(f"datagram {i} ({n} bytes) not echoed within 2 s")
    if got != msg:
        sys.exit(f"datagram {i}: sent {n} bytes, got {len(got)} different bytes back")
print(f"{len(sizes)} datagrams echoed intact over IPv6")
PY

stop_serve
expect_stat_ge frag_reasm_oks 9
expect_stat_ge frag_oks 9
expect_stat_ge frag_creates 159
for c in $(awk 'NR > 1 && $1 ~ /^drop_frag_/ { print $1 }' "$SERVE_OUT"); do
	fail "netstack dropped fragments: $c $(counter "$c")"
done
note "netstack: $(counter frag_reasm_oks) packets reassembled, $(counter frag_oks) fragmented into $(counter frag_creates)"
