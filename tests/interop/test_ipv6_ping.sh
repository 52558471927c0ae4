#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ICMPv6 echo and Neighbor Discovery over a TAP, IPv6 at 2001:db8::1/64 (kernel) and
# 2001:db8::2/64 (netstack): ping -6 of every size up to what fits the 1500-byte MTU
# (1452 bytes of data) and beyond it (fragmented both ways, RFC 8200 4.5), a flood, the
# link-local address (EUI-64 of netstack's MAC) and the all-nodes group; NDP both ways:
# the kernel's neighbor entry for netstack holds netstack's MAC, and netstack confirms the
# kernel's (its DELAY/PROBE answered, RFC 4861 7.3.3) and counts the advertisements.
# netstack's addresses are optimistic (RFC 4429) from the start: the very first echo right
# after `ready` is answered, its solicitation answered at once (without Override), while
# duplicate address detection runs behind.
source "$(dirname "$0")/lib.sh" "$@"
require_cmds tshark

new_ns NS
cap=$WORK/ipv6_ping.pcap
start_serve "$NS" serve --tap tap0 --mac "$NS_MAC" --addr 192.0.2.2/24 --addr 2001:db8::2/64 \
	--pcap "$cap"
kernel_tap6 "$NS" tap0
note "ready after $READY_MS ms"
# `ready` comes at once and the address is optimistic: the first echo is answered within a
# second. (A tentative address would ignore the kernel's first solicitation; its next one
# comes a second later, RFC 4861 7.3.3, too late for -W 1.)
out=$(in_ns "$NS" ping -6 -n -c 1 -W 1 2001:db8::2 2>&1) ||
	fail "2001:db8::2 did not answer the first ping right after ready: $out"
note "the first echo right after ready answered: $(grep -o 'time=[^ ]*' <<<"$out")"

for size in 0 1 56 100 500 1000 1400 1452; do
	ping_ok "$NS" 2001:db8::2 "$size"
	note "ping -6 -s $size answered"
done
for size in 1453 2000 4000 9000 30000 65000; do
	ping_ok "$NS" 2001:db8::2 "$size"
	note "ping -6 -s $size answered (fragmented both ways)"
done

out=$(in_ns "$NS" ping -6 -n -q -f -c 500 -s 1000 -W 2 2001:db8::2 2>&1) || fail "flood ping failed: $out"
grep -q ' 500 received' <<<"$out" || fail "flood ping lost replies: $out"
note "flood of 500 answered"

# The link-local address from the MAC (RFC 4291 2.5.1): 02:00:00:00:00:02 -> ::ff:fe00:2.
ping_ok "$NS" fe80::ff:fe00:2%tap0 56
note "link-local fe80::ff:fe00:2 answered"
out=$(in_ns "$NS" ping -6 -n -c 2 -i 0.2 -W 2 ff02::1%tap0 2>&1) || fail "ping ff02::1 failed: $out"
grep -q 'fe80::ff:fe00:2' <<<"$out" || fail "no answer from netstack to ff02::1: $out"
note "all-nodes group answered"

# The kernel resolved netstack: its entry holds netstack's MAC.
neigh=$(ip -n "$NS" -6 neigh show 2001:db8::2 dev tap0)
grep -q "lladdr $NS_MAC" <<<"$neigh" || fail "kernel's neighbor entry for netstack: '$neigh'"
grep -Eq 'REACHABLE|STALE|DELAY|PROBE' <<<"$neigh" || fail "kernel's neighbor entry state: '$neigh'"
note "kernel: $neigh"

# netstack learnt the kernel from its solicitation (STALE, RFC 4861 7.2.3); using the entry
# started DELAY, then a unicast probe 5 s later that the kernel answers.
sleep 6
ping_ok "$NS" 2001:db8::2 56
# Long after DAD, a fresh question from the kernel (its entry deleted) gets an answer with
# Override, as for any preferred address.
ip -n "$NS" -6 neigh del 2001:db8::2 dev tap0
ping_ok "$NS" 2001:db8::2 56

stop_serve
expect_stat_ge icmpv6_echo_rx 530
expect_stat_ge icmpv6_echo_reply_tx 530
expect_stat_ge ndp_ns_rx 1
expect_stat_ge ndp_na_tx 1
expect_stat_ge ndp_ns_tx 1
expect_stat_ge ndp_na_rx 1
expect_stat_ge frag_reasm_oks 6
expect_stat_ge frag_oks 6
expect_stat_eq drop_icmpv6_bad_csum 0
# Both addresses (2001:db8::2 and the link-local one) were optimistic, and passed DAD.
expect_stat_ge ndp_dad_optimistic 2
expect_stat_ge ndp_dad_ok 2
expect_stat_eq ndp_dad_failed 0
# On the wire: DAD's probe for 2001:db8::2 from ::, without delay; DAD over a second
# (RetransTimer) after it. The first advertisement for the address (the answer to the
# kernel's first question, right after ready) came before that, without Override (RFC 4429
# 3.3); those after it (the NUD probe's answer) with Override; and no solicitation came
# from 2001:db8::2 before DAD was over (RFC 4429 2.2).
nd() { tshark -r "$cap" -Y "$1" -T fields -e frame.time_relative -e "${2:-frame.number}" 2>/dev/null; }
probe=$(nd 'icmpv6.type == 135 && ipv6.src == :: && icmpv6.nd.ns.target_address == 2001:db8::2' | head -n 1)
[[ -n $probe ]] || fail "no DAD probe for 2001:db8::2 in the capture"
dad_end=$(awk '{ print $1 + 1 }' <<<"$probe")
nas=$(nd 'icmpv6.type == 136 && ipv6.src == 2001:db8::2 && icmpv6.nd.na.target_address == 2001:db8::2' icmpv6.nd.na.flag.o)
[[ -n $nas ]] || fail "no advertisement for 2001:db8::2 in the capture"
awk -v e="$dad_end" 'NR == 1 && $1 >= e - 0.05 { exit 1 }' <<<"$nas" ||
	fail "the first advertisement for 2001:db8::2 came only after its DAD (at $dad_end s): $nas"
awk -v e="$dad_end" '($1 < e - 0.05 && $2 != "False" && $2 != "0") ||
	($1 > e + 0.05 && $2 != "True" && $2 != "1") { exit 1 }' <<<"$nas" ||
	fail "Override wrong (none while optimistic, set after DAD ending at $dad_end s): $nas"
awk -v e="$dad_end" '$1 > e + 0.05 { n++ } END { exit n ? 0 : 1 }' <<<"$nas" ||
	fail "no advertisement for 2001:db8::2 after its DAD: $nas"
early=$(nd 'icmpv6.type == 135 && ipv6.src == 2001:db8::2' | awk -v e="$dad_end" '$1 < e - 0.05' | wc -l)
((early == 0)) || fail "$early solicitation(s) from 2001:db8::2 while it was optimistic"
note "DAD probe at ${probe%%[[:space:]]*} s; advertisements (time, Override): $(tr '\n\t' '; ' <<<"$nas")"
