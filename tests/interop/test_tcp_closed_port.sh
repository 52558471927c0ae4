#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A TCP segment to a port nobody listens on is answered with a RST (RFC 9293 3.10.7.1): a
# kernel connect() gets ECONNREFUSED at once, for a few ports, on each of netstack's
# addresses; the services answer on a second --addr too, from that address.
source "$(dirname "$0")/lib.sh" "$@"

new_ns NS
start_tcp_serve "$NS" closed --addr 192.0.2.3/24

py "$NS" <<'PY' || fail "closed TCP ports are not refused"
import socket, sys, time
for dst in ("192.0.2.2", "192.0.2.3"):
    for port in (1, 8, 81, 8080, 65535):
        s = socket.socket()
        s.settimeout(3)
        t0 = time.monotonic()
        try:
            s.connect((dst, port))
            sys.exit(f"{dst}:{port}: connected")
        except ConnectionRefusedError:
            pass
        except socket.timeout:
            sys.exit(f"{dst}:{port}: no answer within 3 s")
        took = time.monotonic() - t0
        if took > 0.5:
            sys.exit(f"{dst}:{port}: refused only after {took:.2f} s")
        s.close()
    # The services are there on this address, answering from it.
    s = socket.create_connection((dst, 7), timeout=3)
    if s.getpeername()[0] != dst:
        sys.exit(f"connected to {s.getpeername()}")
    s.sendall(b"ping")
    if s.recv(10) != b"ping":
        sys.exit(f"echo on {dst} failed")
    s.close()
print("closed ports refused at once on both addresses; echo answers on both")
PY

stop_serve
expect_stat_ge drop_tcp_no_endpoint 10
