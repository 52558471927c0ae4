#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Path MTU discovery (RFC 1191) with the kernel as the router that reports it:
#
#   netstack --TAP-- R --veth, MTU 1000-- M --veth, MTU 1500-- C
#   192.0.2.2   192.0.2.1  198.51.100.1  .2   198.51.100.129  .130
#
# R and M are kernel routers in their own namespaces, C the client. The client's own link
# has MTU 1500, so its SYN advertises an MSS of 1460 and only path MTU discovery can find
# the narrow hop between the routers: netstack's full-size segments carry DF, R answers them
# with "fragmentation needed" (MTU 1000), netstack lowers the path MTU and its MSS, and a
# 20 MB download by curl completes with the right sha256. Then UDP: netstack's 1400-byte
# echo reply goes with DF, is refused the same way, and the client's retry comes back in
# fragments (netstack fragments to the learnt path MTU, DF clear, as Linux under
# IP_PMTUDISC_WANT). The client sends its requests without DF, so M fragments them and
# netstack reassembles them on the way.
source "$(dirname "$0")/lib.sh" "$@"
require_cmds curl sha256sum

new_ns R
new_ns M
new_ns C
start_serve "$R" pmtu --tap tap0 --addr 192.0.2.2/24 --gateway 192.0.2.1
kernel_tap "$R" tap0
ip -n "$R" link add vr type veth peer name vm netns "$M"
ip -n "$M" link add vm2 type veth peer name vc netns "$C"
ip -n "$R" addr add 198.51.100.1/30 dev vr
ip -n "$R" link set vr mtu 1000 up
ip -n "$R" route add 198.51.100.128/25 via 198.51.100.2
ip -n "$M" addr add 198.51.100.2/30 dev vm
ip -n "$M" link set vm mtu 1000 up
ip -n "$M" addr add 198.51.100.129/25 dev vm2
ip -n "$M" link set vm2 up
ip -n "$M" route add default via 198.51.100.1
ip -n "$C" addr add 198.51.100.130/25 dev vc
ip -n "$C" link set vc up
ip -n "$C" route add default via 198.51.100.129
in_ns "$R" sysctl -qw net.ipv4.ip_forward=1
in_ns "$M" sysctl -qw net.ipv4.ip_forward=1
ping_ok "$C" 192.0.2.2 56 1

note "UDP: a 1400-byte echo reply meets the narrow hop"
udp_echo_narrow_hop "$C" 192.0.2.2

stop_serve
expect_stat_ge pmtu_updates 1
expect_stat_ge frag_oks 20
expect_stat_ge frag_reasm_oks 21
expect_stat_eq drop_icmp_pmtu_not_ours 0
note "netstack: $(counter pmtu_updates) path MTU update(s), $(counter frag_oks) datagrams fragmented, $(counter frag_reasm_oks) reassembled"

note "TCP: a fresh netstack (nothing learnt) serves 20 MB through the narrow hop"
start_serve "$R" pmtu-tcp --tap tap0 --addr 192.0.2.2/24 --gateway 192.0.2.1
kernel_tap "$R" tap0
want=$(bytes_sha256 20000000)
icmp0=$(kernel_snmp "$R" IcmpMsg OutType3)
t0=$(now_ms)
got=$(in_ns "$C" curl -sS -m 60 http://192.0.2.2/bytes/20000000 | sha256sum | cut -d' ' -f1)
took=$(($(now_ms) - t0))
[[ $got == "$want" ]] || fail "20 MB through the 1000-byte hop: sha256 $got, want $want"
icmp1=$(kernel_snmp "$R" IcmpMsg OutType3)
((${icmp1:-0} - ${icmp0:-0} >= 1)) || fail "the router sent no destination unreachable"
note "20 MB in $took ms through MTU 1000; the router sent $((${icmp1:-0} - ${icmp0:-0})) unreachables"

stop_serve
expect_stat_ge pmtu_updates 1
expect_stat_ge icmp_errors_rx 1
expect_stat_eq drop_icmp_pmtu_not_ours 0
note "netstack: $(counter pmtu_updates) path MTU update(s) for TCP"
