#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# UDP and TCP over IPv6 with the kernel as the peer over a TAP (kernel 2001:db8::1/64,
# netstack 2001:db8::2/64, IPv4 on the same link too): UDP echo of sizes up to 1452 bytes
# and, fragmented, up to 8000; ICMPv6 port unreachable for a closed port; 5 MB of random
# data through TCP echo intact; curl -6 of /bytes/20000000 with the right sha256; IPv4 still
# served alongside. Then netstack as the client (`netstack connect [2001:db8:5::1]:PORT` on
# a second TAP): it resolves the kernel itself (RFC 4861 7.2.2) and moves 2 MB each way.
source "$(dirname "$0")/lib.sh" "$@"
require_cmds curl sha256sum

new_ns NS
start_serve "$NS" serve --tap tap0 --mac "$NS_MAC" --addr 192.0.2.2/24 --addr 2001:db8::2/64
kernel_tap6 "$NS" tap0
wait_v6 "$NS" 2001:db8::2

udp_echo "$NS" 2001:db8::2 40 1452 11
note "UDP echo over IPv6, up to 1452 bytes"
udp_echo "$NS" 2001:db8::2 12 8000 12
note "UDP echo over IPv6, up to 8000 bytes (fragmented)"
port_unreachable "$NS" 2001:db8::2 9999
note "closed UDP port: ICMPv6 port unreachable"
udp_echo "$NS" 192.0.2.2 10 1400 13
note "UDP echo over IPv4 alongside"

tcp_echo "$NS" 2001:db8::2 5242880 7 30
note "5 MB through TCP echo over IPv6"

want=$(bytes_sha256 20000000)
t0=$(now_ms)
got=$(in_ns "$NS" curl -6 -sS -m 60 -D "$WORK/h" 'http://[2001:db8::2]/bytes/20000000' | sha256sum | cut -d' ' -f1)
took=$(($(now_ms) - t0))
grep -q '^HTTP/1.1 200' "$WORK/h" || fail "curl -6 /bytes/20000000: $(head -n 1 "$WORK/h")"
[[ $got == "$want" ]] || fail "20 MB over IPv6: sha256 $got, want $want"
note "curl -6: 20 MB in $took ms, sha256 ok"
code=$(in_ns "$NS" curl -sS -m 10 -o /dev/null -w '%{http_code}' http://192.0.2.2/bytes/1000) || fail "curl over IPv4"
[[ $code == 200 ]] || fail "curl over IPv4: $code"

stop_serve
expect_stat_ge udp_echo_tx 60
expect_stat_ge icmpv6_errors_tx 1
expect_stat_ge http_2xx 2
expect_stat_eq drop_ipv6_truncated 0
expect_stat_eq drop_udp_bad_csum 0
expect_stat_eq drop_tcp_bad_csum 0
# Over IPv6 too (TSO6 on the TAP, serve's default): our TCP sent the 20 MB as TCPV6 super-
# segments the kernel took whole, and the kernel's echo came back as TCPV6 super-frames.
expect_stat_ge gso_tx 100
expect_stat_ge gso_rx 10
expect_stat_eq gso_sw_segments 0
expect_stat_eq drop_offload_bad 0

note "netstack connect to the kernel over IPv6"
# A device that exists (with the kernel's address) before netstack connects through it.
ip -n "$NS" tuntap add dev tap1 mode tap || fail "ip tuntap add failed"
ip -n "$NS" addr add 2001:db8:5::1/64 dev tap1 nodad
ip -n "$NS" link set tap1 up
head -c 2097152 /dev/urandom >"$WORK/up"
head -c 2097152 /dev/urandom >"$WORK/down"
kernel_tcp_server "$NS" 2001:db8:5::1 5001 "$WORK/got-up" "$WORK/down" &
srv=$!
PIDS+=("$srv")
wait_listening "$WORK/got-up"
rc=0
in_ns "$NS" timeout 30 "$NETSTACK" connect --tap tap1 --addr 2001:db8:5::2/64 \
	--send-file "$WORK/up" '[2001:db8:5::1]:5001' >"$WORK/got-down" 2>"$WORK/connect.err" || rc=$?
((rc == 0)) || fail "netstack connect exited $rc: $(cat "$WORK/connect.err")"
wait "$srv" || fail "the python server failed"
forget_pid "$srv"
cmp -s "$WORK/up" "$WORK/got-up" || fail "bytes netstack sent arrived altered"
cmp -s "$WORK/down" "$WORK/got-down" || fail "bytes netstack received are altered"
note "2 MB each way over IPv6 with netstack as the client"
