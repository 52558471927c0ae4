#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Stateless address autoconfiguration from a real router: the kernel in the namespace is
# a router (forwarding on) with radvd advertising 2001:db8:1::/64 (on-link, autonomous), an
# MTU of 1400 and itself as the default router, only in answer to a router solicitation
# (UnicastOnly: no unsolicited advertisements), so the address proves netstack solicited. netstack runs with --slaac and no IPv6
# address: it brings up its link-local address, solicits routers, and forms
# 2001:db8:1::ff:fe00:2 (the prefix and the EUI-64 of 02:00:00:00:00:02, RFC 4862 5.5.3),
# which it reports on SIGUSR1 once DAD has passed. The kernel then pings it; a kernel
# address beyond the prefix (2001:db8:99::1) reaches it too, which needs the default route
# through the router that the advertisement gave; HTTP over it uses an MSS for MTU 1400.
source "$(dirname "$0")/lib.sh" "$@"
require_cmds radvd curl sha256sum

SLAAC=2001:db8:1::ff:fe00:2

new_ns NS
start_serve "$NS" slaac --tap tap0 --mac "$NS_MAC" --addr 192.0.2.2/24 --slaac
ip -n "$NS" addr add 192.0.2.1/24 dev tap0
ip -n "$NS" addr add 2001:db8:1::1/64 dev tap0 nodad
ip -n "$NS" link set tap0 up
ip -n "$NS" addr add 2001:db8:99::1/128 dev lo
in_ns "$NS" sysctl -qw net.ipv6.conf.all.forwarding=1

cat >"$WORK/radvd.conf" <<CONF
interface tap0 {
	AdvSendAdvert on;
	UnicastOnly on;
	MinRtrAdvInterval 3;
	MaxRtrAdvInterval 4;
	AdvDefaultLifetime 600;
	AdvLinkMTU 1400;
	prefix 2001:db8:1::/64 {
		AdvOnLink on;
		AdvAutonomous on;
		AdvValidLifetime 86400;
		AdvPreferredLifetime 14400;
	};
};
CONF
in_ns "$NS" radvd -n -C "$WORK/radvd.conf" -p "$WORK/radvd.pid" -m logfile \
	-l "$WORK/radvd.log" &
PIDS+=("$!")

note "waiting for netstack's autoconfigured address"
t0=$(now_ms)
until grep -q "^address $SLAAC/64 preferred" "$SERVE_OUT"; do
	(($(now_ms) - t0 < 15000)) || fail "no $SLAAC from SLAAC within 15 s (radvd log: $(tail -n 5 "$WORK/radvd.log" 2>/dev/null))"
	kill -USR1 "$SERVE_PID"
	sleep 0.5
done
grep -q '^address fe80::ff:fe00:2/64 preferred' "$SERVE_OUT" ||
	fail "no link-local address reported: $(grep '^address' "$SERVE_OUT")"
note "netstack has $SLAAC after $(($(now_ms) - t0)) ms"

ping_ok "$NS" "$SLAAC" 56
note "the kernel pings the autoconfigured address"
out=$(in_ns "$NS" ping -6 -n -c 2 -i 0.2 -W 2 -I 2001:db8:99::1 "$SLAAC" 2>&1) ||
	fail "ping from 2001:db8:99::1 failed (no default route?): $out"
grep -q ' 2 received' <<<"$out" || fail "ping from 2001:db8:99::1: $out"
note "from beyond the prefix too: the router's default route works"

want=$(bytes_sha256 300000)
got=$(in_ns "$NS" curl -6 -sS -m 20 "http://[$SLAAC]/bytes/300000" | sha256sum | cut -d' ' -f1)
[[ $got == "$want" ]] || fail "HTTP over the autoconfigured address: sha256 $got, want $want"
note "HTTP over the autoconfigured address, sha256 ok"

stop_serve
expect_stat_ge ndp_rs_tx 1
expect_stat_ge ndp_ra_rx 1
expect_stat_eq ndp_slaac_addrs 1
expect_stat_ge ndp_dad_ok 2
expect_stat_eq ndp_dad_failed 0
