#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# An existing device (made with `ip tuntap add`) is attached as it is: the kernel side's
# addresses, MTU and MAC are the same while netstack runs and after it stopped, the device
# outlives netstack, and a second netstack can attach again. TAP and TUN.
source "$(dirname "$0")/lib.sh" "$@"

new_ns NS
snapshot() { # DEV: addresses, MTU and MAC of the kernel side
	# IPv4 only: the kernel adds its own IPv6 link-local address once the carrier is up.
	ip -n "$NS" -4 -o addr show dev "$1" | awk '{ print $3, $4, $5, $6 }' | sort
	ip -n "$NS" -o link show dev "$1" | grep -o 'mtu [0-9]*'
	ip -n "$NS" -o link show dev "$1" | grep -o 'link/[a-z]* [0-9a-f:]*' || true
}

note "TAP"
ip -n "$NS" tuntap add dev tapx mode tap
ip -n "$NS" link set dev tapx mtu 1400
ip -n "$NS" addr add 192.0.2.1/24 dev tapx
ip -n "$NS" link set tapx up
before=$(snapshot tapx)
start_serve "$NS" tap1 --tap tapx --addr 192.0.2.2/24
[[ $(snapshot tapx) == "$before" ]] || fail "kernel side changed on attach: $(snapshot tapx) (was $before)"
ping_ok "$NS" 192.0.2.2 1372
udp_echo "$NS" 192.0.2.2 50 1372
stop_serve
ip -n "$NS" link show dev tapx >/dev/null 2>&1 || fail "the existing TAP was removed by netstack"
[[ $(snapshot tapx) == "$before" ]] || fail "kernel side changed after stop: $(snapshot tapx) (was $before)"
start_serve "$NS" tap2 --tap tapx --addr 192.0.2.2/24
ping_ok "$NS" 192.0.2.2 56
stop_serve
[[ $(snapshot tapx) == "$before" ]] || fail "kernel side changed after the second run"

note "TUN"
ip -n "$NS" tuntap add dev tunx mode tun
ip -n "$NS" link set dev tunx mtu 1300
ip -n "$NS" addr add 198.51.100.1 peer 198.51.100.2 dev tunx
ip -n "$NS" link set tunx up
before=$(snapshot tunx)
start_serve "$NS" tun1 --tun tunx --addr 198.51.100.2/24
[[ $(snapshot tunx) == "$before" ]] || fail "TUN kernel side changed on attach"
ping_ok "$NS" 198.51.100.2 1272
udp_echo "$NS" 198.51.100.2 50 1272
stop_serve
ip -n "$NS" link show dev tunx >/dev/null 2>&1 || fail "the existing TUN was removed by netstack"
[[ $(snapshot tunx) == "$before" ]] || fail "TUN kernel side changed after stop"
