#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Several addresses and the default route. netstack answers on each --addr, from the address
# that was asked. A peer outside the subnet (198.51.100.1, on the kernel's loopback) is
# reachable only through --gateway: without it netstack has no route back.
source "$(dirname "$0")/lib.sh" "$@"

new_ns NS
ip -n "$NS" addr add 198.51.100.1/32 dev lo

note "no gateway: no route to 198.51.100.1"
start_serve "$NS" nogw --tap tap0 --addr 192.0.2.2/24 --addr 192.0.2.3/24
kernel_tap "$NS" tap0
ping_ok "$NS" 192.0.2.2 56
ping_ok "$NS" 192.0.2.3 56
py "$NS" <<'PY' || fail "echo on the second address"
import socket, sys
for dst in ("192.0.2.2", "192.0.2.3"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    s.connect((dst, 7))
    s.send(dst.encode())
    if s.recv(100) != dst.encode():
        sys.exit(f"bad echo from {dst}")
print("both addresses echo, each from itself")
PY
if in_ns "$NS" ping -n -c 1 -W 1 -I 198.51.100.1 192.0.2.2 >/dev/null 2>&1; then
	fail "netstack answered 198.51.100.1 without a route to it"
fi
stop_serve

note "with --gateway 192.0.2.1"
start_serve "$NS" gw --tap tap0 --addr 192.0.2.2/24 --addr 192.0.2.3/24 --gateway 192.0.2.1
kernel_tap "$NS" tap0
out=$(in_ns "$NS" ping -n -c 2 -i 0.2 -W 2 -I 198.51.100.1 192.0.2.2 2>&1) ||
	fail "no answer to 198.51.100.1 through the gateway: $out"
py "$NS" <<'PY' || fail "UDP echo through the gateway"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2.0)
s.bind(("198.51.100.1", 0))
s.connect(("192.0.2.3", 7))
s.send(b"via gateway")
assert s.recv(100) == b"via gateway"
PY
stop_serve
