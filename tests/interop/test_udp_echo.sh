#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# UDP echo (port 7) over a TAP: 1000 datagrams of mixed sizes from 0 to 1472 bytes, sent one
# at a time, each echoed byte for byte (none lost on a clean link), then 16 in flight at
# once; a zero-length datagram comes back as a zero-length datagram; the counters agree.
source "$(dirname "$0")/lib.sh" "$@"

new_ns NS
start_serve "$NS" serve --tap tap0 --addr 192.0.2.2/24
kernel_tap "$NS" tap0

udp_echo "$NS" 192.0.2.2 1000 1472 7

# The reply comes from 192.0.2.2:7 to the sender's own port (checked on an unconnected socket).
py "$NS" <<'PY' || fail "echo reply address check failed"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2.0)
s.bind(("192.0.2.1", 0))
for payload in (b"", b"x" * 1472):
    s.sendto(payload, ("192.0.2.2", 7))
    data, addr = s.recvfrom(2048)
    if data != payload or addr != ("192.0.2.2", 7):
        sys.exit(f"got {len(data)} bytes from {addr}")
print("replies come from 192.0.2.2:7")
PY

stop_serve
expect_stat_eq udp_echo_rx 1018
expect_stat_eq udp_echo_tx 1018
expect_stat_ge udp_rx 1018
expect_stat_eq udp_echo_tx_failed 0
