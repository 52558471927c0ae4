#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A closed UDP port is answered with ICMP port unreachable: a connected kernel socket gets
# ECONNREFUSED, which the kernel reports only if the ICMP error quotes the datagram it sent.
source "$(dirname "$0")/lib.sh" "$@"

new_ns NS
start_serve "$NS" serve --tap tap0 --addr 192.0.2.2/24
kernel_tap "$NS" tap0

for port in 9999 1 53 33434 65535; do
	port_unreachable "$NS" 192.0.2.2 "$port"
	sleep 0.05
done
# The services next to the closed ports still work.
udp_echo "$NS" 192.0.2.2 20 1472

stop_serve
expect_stat_ge icmp_dest_unreach_tx 5
expect_stat_ge udp_no_port 5
