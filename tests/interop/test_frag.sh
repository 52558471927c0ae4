#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# IPv4 fragmentation both ways with the kernel over a TAP (MTU 1500): the kernel pings
# netstack with 3000, 8000, 65000 and 65507 bytes of data (it fragments, netstack
# reassembles; netstack's reply is as big and netstack fragments it, the kernel reassembles),
# then 8000-byte UDP datagrams are echoed. Both sides' counters must show the work: the
# kernel's ReasmOKs (/proc/net/snmp of the namespace) grows by one per reply, netstack's
# frag_reasm_oks and frag_oks by one per datagram, and nothing is dropped for a reassembly
# reason.
source "$(dirname "$0")/lib.sh" "$@"

new_ns NS
start_serve "$NS" serve --tap tap0 --addr 192.0.2.2/24
kernel_tap "$NS" tap0
ping_ok "$NS" 192.0.2.2 56 1 # ARP both ways first

reasm0=$(kernel_snmp "$NS" Ip ReasmOKs)
frag0=$(kernel_snmp "$NS" Ip FragCreates)
for size in 1473 3000 8000 65000 65507; do
	ping_ok "$NS" 192.0.2.2 "$size" 3
	note "ping -s $size answered"
done
reasm1=$(kernel_snmp "$NS" Ip ReasmOKs)
frag1=$(kernel_snmp "$NS" Ip FragCreates)
((reasm1 - reasm0 >= 15)) || fail "the kernel reassembled $((reasm1 - reasm0)) replies, want 15"
# Fragments per request: 2 + 3 + 6 + 44 + 45, three times each.
((frag1 - frag0 >= 300)) || fail "the kernel made $((frag1 - frag0)) fragments, want 300"
note "kernel: $((frag1 - frag0)) fragments sent, $((reasm1 - reasm0)) replies reassembled"

note "UDP echo up to 8000 bytes"
udp_echo "$NS" 192.0.2.2 40 8000 7

stop_serve
expect_stat_ge frag_reasm_oks 15
expect_stat_ge frag_oks 15
expect_stat_ge frag_creates 300
expect_stat_ge icmp_echo_reply_tx 16
for c in $(awk 'NR > 1 && $1 ~ /^drop_frag_/ { print $1 }' "$SERVE_OUT"); do
	fail "netstack dropped fragments: $c $(counter "$c")"
done
note "netstack: $(counter frag_reasm_oks) datagrams reassembled, $(counter frag_oks) fragmented into $(counter frag_creates)"
