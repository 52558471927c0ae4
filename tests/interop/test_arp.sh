#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ARP both ways over a TAP.
# 1. The kernel resolves netstack: after a ping, the kernel's neighbor table maps 192.0.2.2
#    to netstack's MAC (REACHABLE, STALE or DELAY), and netstack answered an ARP request.
# 2. netstack resolves the kernel: with a permanent entry on the kernel side the kernel never
#    asks, so netstack has to send an ARP request for 192.0.2.1 and use the reply before its
#    echo reply can go out; the counters and the pcap show both.
source "$(dirname "$0")/lib.sh" "$@"
require_cmds tshark

new_ns NS
# A persistent device keeps the kernel side's configuration across the two netstack runs.
ip -n "$NS" tuntap add dev tap0 mode tap
kernel_tap "$NS" tap0
kmac=$(ip -n "$NS" -o link show dev tap0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
[[ -n $kmac ]] || fail "cannot read the kernel side's MAC"

note "kernel resolves netstack"
start_serve "$NS" a --tap tap0 --addr 192.0.2.2/24 --mac "$NS_MAC"
ping_ok "$NS" 192.0.2.2 56
neigh=$(ip -n "$NS" neigh show 192.0.2.2 dev tap0)
grep -q "lladdr $NS_MAC" <<<"$neigh" || fail "kernel neighbor entry has no lladdr $NS_MAC: '$neigh'"
grep -Eq 'REACHABLE|STALE|DELAY|PROBE' <<<"$neigh" || fail "kernel neighbor entry not resolved: '$neigh'"
note "kernel: $neigh"
stop_serve
expect_stat_ge arp_requests_rx 1
expect_stat_ge arp_replies_tx 1

note "netstack resolves the kernel"
ip -n "$NS" neigh flush dev tap0
ip -n "$NS" neigh replace 192.0.2.2 lladdr "$NS_MAC" dev tap0 nud permanent
start_serve "$NS" b --tap tap0 --addr 192.0.2.2/24 --mac "$NS_MAC" --pcap "$WORK/arp.pcap"
ping_ok "$NS" 192.0.2.2 56 3
stop_serve
expect_stat_ge arp_requests_tx 1
expect_stat_ge arp_replies_rx 1
expect_stat_ge icmp_echo_reply_tx 3

reqs=$(tshark -r "$WORK/arp.pcap" -Y "arp.opcode == 1 && arp.src.hw_mac == $NS_MAC && arp.dst.proto_ipv4 == 192.0.2.1" 2>/dev/null | wc -l)
((reqs >= 1)) || fail "pcap has no ARP request from netstack for 192.0.2.1"
reps=$(tshark -r "$WORK/arp.pcap" -Y "arp.opcode == 2 && arp.src.hw_mac == $kmac" 2>/dev/null | wc -l)
((reps >= 1)) || fail "pcap has no ARP reply from the kernel"
toks=$(tshark -r "$WORK/arp.pcap" -Y "icmp.type == 0 && eth.dst == $kmac && eth.src == $NS_MAC" 2>/dev/null | wc -l)
((toks == 3)) || fail "echo replies addressed to the kernel's MAC: $toks, want 3"
note "netstack sent $reqs ARP request(s) and used the kernel's MAC $kmac"
