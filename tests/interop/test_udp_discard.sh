#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# UDP discard (port 9): datagrams are taken and never answered, neither with data nor with
# an ICMP error (a connected socket would see ECONNREFUSED).
source "$(dirname "$0")/lib.sh" "$@"

new_ns NS
start_serve "$NS" serve --tap tap0 --addr 192.0.2.2/24
kernel_tap "$NS" tap0

py "$NS" <<'PY' || fail "discard answered"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("192.0.2.2", 9))
for n in range(50):
    s.send(bytes(n * 29 % 1473))
s.settimeout(1.5)
try:
    data = s.recv(2048)
    sys.exit(f"discard answered with {len(data)} bytes")
except ConnectionRefusedError:
    sys.exit("discard answered with ICMP port unreachable")
except socket.timeout:
    print("50 datagrams discarded, no answer")
PY

stop_serve
expect_stat_eq udp_discard_rx 50
expect_stat_eq icmp_dest_unreach_tx 0
