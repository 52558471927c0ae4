#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ICMP echo over a TAP: the kernel pings netstack with payloads of 0 to 1472 bytes (a 0-byte
# ping is a 42-byte frame the kernel pads to 60: netstack must take the IP length, not the
# frame's), then a flood of 500 echoes with none lost.
source "$(dirname "$0")/lib.sh" "$@"

new_ns NS
start_serve "$NS" serve --tap tap0 --addr 192.0.2.2/24
kernel_tap "$NS" tap0

for size in 0 1 56 100 500 1000 1400 1472; do
	ping_ok "$NS" 192.0.2.2 "$size"
	note "ping -s $size answered"
done

out=$(in_ns "$NS" ping -n -q -f -c 500 -s 1000 -W 2 192.0.2.2 2>&1) || fail "flood ping failed: $out"
grep -q ' 500 received' <<<"$out" || fail "flood ping lost replies: $out"
note "flood of 500 answered"

stop_serve
expect_stat_ge icmp_echo_rx 516
expect_stat_ge icmp_echo_reply_tx 516
