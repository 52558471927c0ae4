#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The same services over a TUN device (bare IP, no Ethernet, no ARP): the kernel side is
# 198.51.100.1 peer 198.51.100.2. Ping of every size, UDP echo, discard, port unreachable,
# and a raw-IP pcap that tshark reads.
source "$(dirname "$0")/lib.sh" "$@"
require_cmds tshark

new_ns NS
cap=$WORK/tun.pcap
start_serve "$NS" serve --tun tun0 --addr 198.51.100.2/24 --pcap "$cap"
flags=$(ip -n "$NS" -o link show dev tun0)
grep -q '[<,]UP[,>]' <<<"$flags" || fail "netstack did not bring tun0 up: $flags"
grep -q 'POINTOPOINT' <<<"$flags" || fail "tun0 is not a TUN device: $flags"
kernel_tun "$NS" tun0

for size in 0 1 56 100 500 1000 1400 1472; do
	ping_ok "$NS" 198.51.100.2 "$size"
done
note "pings of 0..1472 bytes answered"
udp_echo "$NS" 198.51.100.2 300 1472 3
port_unreachable "$NS" 198.51.100.2 4242
py "$NS" <<'PY' || fail "discard answered over TUN"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("198.51.100.2", 9))
s.send(b"gone")
s.settimeout(1.0)
try:
    s.recv(100)
    sys.exit("discard answered")
except ConnectionRefusedError:
    sys.exit("discard answered with port unreachable")
except socket.timeout:
    pass
PY
stop_serve
expect_stat_ge icmp_echo_reply_tx 16
expect_stat_eq udp_echo_tx 316
expect_stat_eq udp_discard_rx 1
expect_stat_ge icmp_dest_unreach_tx 1
expect_stat_eq arp_requests_tx 0

req=$(tshark -r "$cap" -Y 'icmp.type == 8' 2>/dev/null | wc -l)
rep=$(tshark -r "$cap" -Y 'icmp.type == 0 && ip.src == 198.51.100.2' 2>/dev/null | wc -l)
((req == 16 && rep == 16)) || fail "TUN pcap: $req echo requests and $rep replies, want 16 and 16"
