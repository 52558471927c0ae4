#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --mtu sets the device MTU: 1280 (a full-size ping fits exactly, and a larger UDP datagram
# cannot be sent unfragmented) and 9000 (jumbo frames echoed intact).
source "$(dirname "$0")/lib.sh" "$@"

new_ns NS
start_serve "$NS" m1280 --tap tap0 --addr 192.0.2.2/24 --mtu 1280
ip -n "$NS" -o link show dev tap0 | grep -q ' mtu 1280 ' || fail "--mtu 1280 did not set the device MTU"
kernel_tap "$NS" tap0
ping_ok "$NS" 192.0.2.2 1252
udp_echo "$NS" 192.0.2.2 50 1252
stop_serve

start_serve "$NS" m9000 --tap tap0 --addr 192.0.2.2/24 --mtu=9000
ip -n "$NS" -o link show dev tap0 | grep -q ' mtu 9000 ' || fail "--mtu=9000 did not set the device MTU"
kernel_tap "$NS" tap0
ping_ok "$NS" 192.0.2.2 8972
udp_echo "$NS" 192.0.2.2 50 8972
stop_serve
expect_stat_eq udp_echo_tx 66
