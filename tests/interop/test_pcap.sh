#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --pcap: the capture is a pcap file tshark reads, both while netstack runs and after it
# stopped, holding every echo request and reply, the ARP exchange and the UDP echo.
source "$(dirname "$0")/lib.sh" "$@"
require_cmds tshark

new_ns NS
cap=$WORK/serve.pcap
start_serve "$NS" serve --tap tap0 --addr 192.0.2.2/24 --mac "$NS_MAC" --pcap "$cap"
kernel_tap "$NS" tap0

ping_ok "$NS" 192.0.2.2 56 4
count() { tshark -r "$cap" -Y "$1" 2>/dev/null | wc -l; }
sleep 0.2
n=$(count 'icmp.type == 8')
((n == 4)) || fail "while running: $n echo requests in the pcap, want 4"
udp_echo "$NS" 192.0.2.2 10 1000
stop_serve

req=$(count 'icmp.type == 8 && ip.dst == 192.0.2.2')
rep=$(count "icmp.type == 0 && ip.src == 192.0.2.2 && eth.src == $NS_MAC")
((req == 4)) || fail "$req echo requests in the pcap, want 4"
((rep == 4)) || fail "$rep echo replies in the pcap, want 4"
arp=$(count 'arp')
((arp >= 2)) || fail "$arp ARP frames in the pcap, want the request and the reply"
udp=$(count 'udp.srcport == 7 && ip.src == 192.0.2.2')
((udp == 26)) || fail "$udp UDP echo replies in the pcap, want 26"
total=$(tshark -r "$cap" 2>/dev/null | wc -l)
expect_stat_ge link_rx 1
note "pcap: $total frames, $req echo requests, $rep replies, $arp ARP, $udp UDP echoes"
