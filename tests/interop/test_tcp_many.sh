#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Many TCP connections: 100 at once, each an echo round trip of 10 KB (all connected before
# any sends, so they really overlap), and 1000 short HTTP connections one after another
# (GET / with Connection: close, netstack closing first), all answered, in a time bound;
# afterwards no connection is left open in netstack.
source "$(dirname "$0")/lib.sh" "$@"

new_ns NS
start_tcp_serve "$NS" many

note "100 concurrent echo connections, 10 KB each"
py "$NS" <<'PY' || fail "100 concurrent connections failed"
import random, socket, sys, threading, time
N, SIZE = 100, 10240
socks = [socket.create_connection(("192.0.2.2", 7), timeout=10) for _ in range(N)]
errors = []
barrier = threading.Barrier(N)
def run(i, s):
    try:
        data = random.Random(i).randbytes(SIZE)
        barrier.wait()
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        got = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
        if got != data:
            errors.append(f"connection {i}: {len(got)} bytes back, different")
        s.close()
    except Exception as e:
        errors.append(f"connection {i}: {e!r}")
t0 = time.monotonic()
threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(socks)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if errors:
    sys.exit(f"{len(errors)} failed, first: {errors[0]}")
print(f"{N} connections echoed {SIZE} bytes each in {time.monotonic() - t0:.2f} s")
PY

note "1000 sequential HTTP connections with Connection: close"
py "$NS" <<'PY' || fail "1000 sequential connections failed"
import socket, sys, time
t0 = time.monotonic()
req = b"GET / HTTP/1.1\r\nHost: 192.0.2.2\r\nConnection: close\r\n\r\n"
for i in range(1000):
    s = socket.create_connection(("192.0.2.2", 80), timeout=5)
    s.sendall(req)
    resp = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        resp += b
    s.close()
    head, _, body = resp.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200 ") or b"</html>" not in body:
        sys.exit(f"connection {i}: {resp[:80]!r}")
    if time.monotonic() - t0 > 60:
        sys.exit(f"only {i + 1} connections in 60 s")
took = time.monotonic() - t0
print(f"1000 connections in {took:.2f} s ({1000 / took:.0f}/s)")
if took > 30:
    sys.exit(f"1000 short connections took {took:.1f} s (limit 30 s)")
PY

sleep 0.5
stop_serve
expect_stat_eq tcp_conns_open 0
expect_stat_ge tcp_conns_open_max 100
expect_stat_ge tcp_accepted 1100
expect_stat_eq tcp_conn_errors 0
