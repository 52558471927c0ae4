#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# IPv6 path MTU discovery (RFC 8201) with the kernel as the router that reports it:
#
#   netstack --TAP-- R --veth, MTU 1280-- M --veth, MTU 1500-- C
#   2001:db8::2   2001:db8::1  2001:db8:1::1  ::2   2001:db8:2::1   ::2
#
# R and M are kernel routers in namespaces of their own, C the client; the narrow hop is
# between the routers, so the client's SYN advertises an MSS of 1440 and only a packet too
# big can tell netstack. IPv6 routers never fragment: R answers netstack's 1500-byte packets
# with packet too big (MTU 1280), netstack lowers the path MTU and its MSS, and a 20 MB
# download by curl completes with the right sha256. Then UDP, on a netstack of its own:
# its 1448-byte echo reply is refused the same way, and a retry comes back in fragments
# netstack makes at the source for the learnt path MTU.
source "$(dirname "$0")/lib.sh" "$@"
require_cmds curl sha256sum

new_ns R
new_ns M
new_ns C
topology() {
	ip -n "$R" link add vr type veth peer name vm netns "$M"
	ip -n "$M" link add vm2 type veth peer name vc netns "$C"
	ip -n "$R" addr add 2001:db8:1::1/64 dev vr nodad
	ip -n "$R" link set vr mtu 1280 up
	ip -n "$R" -6 route add 2001:db8:2::/64 via 2001:db8:1::2
	ip -n "$M" addr add 2001:db8:1::2/64 dev vm nodad
	ip -n "$M" link set vm mtu 1280 up
	ip -n "$M" addr add 2001:db8:2::1/64 dev vm2 nodad
	ip -n "$M" link set vm2 up
	ip -n "$M" -6 route add default via 2001:db8:1::1
	ip -n "$C" addr add 2001:db8:2::2/64 dev vc nodad
	ip -n "$C" link set vc up
	ip -n "$C" -6 route add default via 2001:db8:2::1
	in_ns "$R" sysctl -qw net.ipv6.conf.all.forwarding=1
	in_ns "$M" sysctl -qw net.ipv6.conf.all.forwarding=1
}
serve() {
	start_serve "$R" "$1" --tap tap0 --addr 192.0.2.2/24 --addr 2001:db8::2/64 \
		--gateway 2001:db8::1
	kernel_tap6 "$R" tap0
	wait_v6 "$R" 2001:db8::2
}

serve pmtu6-tcp
topology
# The routers' links need their link-local addresses (DAD, about a second) before they route.
wait_v6 "$C" 2001:db8::2 10
note "TCP: 20 MB through the narrow hop"
want=$(bytes_sha256 20000000)
t0=$(now_ms)
got=$(in_ns "$C" curl -sS -g -m 60 "http://[2001:db8::2]/bytes/20000000" | sha256sum | cut -d' ' -f1)
took=$(($(now_ms) - t0))
[[ $got == "$want" ]] || fail "20 MB over IPv6 through the 1280-byte hop: sha256 $got, want $want"
ptb=$(kernel_snmp6 "$R" Icmp6OutPktTooBigs)
((${ptb:-0} >= 1)) || fail "the router sent no packet too big"
note "20 MB in $took ms through MTU 1280; the router has sent $ptb packet too big"
stop_serve
expect_stat_ge pmtu_updates 1
expect_stat_eq drop_icmp_pmtu_not_ours 0

# Then UDP, on a fresh netstack (nothing learnt). The client learns the path MTU too (IPv6
# routers never fragment: M tells it with a packet too big), so it goes second: TCP must
# start from a client that advertises the MSS of its own link.
serve pmtu6-udp

note "UDP: a 1400-byte echo reply meets the narrow hop"
udp_echo_narrow_hop "$C" 2001:db8::2
stop_serve
expect_stat_ge pmtu_updates 1
expect_stat_ge frag_oks 20
expect_stat_eq drop_icmp_pmtu_not_ours 0
note "netstack: $(counter pmtu_updates) path MTU update(s), $(counter frag_oks) packets fragmented at the source"

