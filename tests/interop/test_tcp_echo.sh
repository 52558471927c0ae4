#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# TCP echo (7), discard (9) and chargen (19) with the kernel as the client: 20 MB of random
# data through echo intact (sent and received at once, sha256 compared); after the client's
# FIN the rest is echoed and netstack closes; discard answers nothing and closes after the
# client's FIN; chargen sends RFC 864 lines (72 printable characters and CRLF, each line
# starting one character later in ' '..'~'), and a client that closes without reading
# everything leaves nothing behind in netstack.
source "$(dirname "$0")/lib.sh" "$@"

new_ns NS
start_tcp_serve "$NS" echo

note "20 MB through echo"
tcp_echo "$NS" 192.0.2.2 20971520 1 60

note "echo after FIN, discard, chargen"
py "$NS" <<'PY' || fail "echo/discard/chargen checks failed"
import socket, sys, time

def connect(port):
    return socket.create_connection(("192.0.2.2", port), timeout=5)

def read_to_eof(s, limit=1 << 24):
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            return out
        out += b
        if len(out) > limit:
            sys.exit("too much data")

# Echo: data sent together with the FIN comes back whole, then netstack's FIN.
s = connect(7)
s.sendall(b"x" * 100000 + b"end")
s.shutdown(socket.SHUT_WR)
got = read_to_eof(s)
if got != b"x" * 100000 + b"end":
    sys.exit(f"echo after FIN: got {len(got)} bytes")
s.close()
# Small exchanges on one connection, each answered before the next.
s = connect(7)
for i in range(50):
    msg = f"line {i}\n".encode()
    s.sendall(msg)
    back = b""
    while len(back) < len(msg):
        back += s.recv(100)
    if back != msg:
        sys.exit(f"echo round trip {i}: {back!r}")
s.close()
print("echo: round trips, and the rest echoed after the client's FIN")

# Discard: nothing comes back; netstack closes once we send our FIN.
s = connect(9)
s.sendall(b"y" * 1000000)
s.settimeout(0.3)
try:
    b = s.recv(10)
    sys.exit(f"discard answered {b!r}")
except socket.timeout:
    pass
s.settimeout(5)
s.shutdown(socket.SHUT_WR)
t0 = time.monotonic()
if s.recv(10) != b"":
    sys.exit("discard sent data")
print(f"discard: silent, closed {1000 * (time.monotonic() - t0):.0f} ms after our FIN")
s.close()

# Chargen: read 10000 bytes, check the lines, close without reading the rest.
s = connect(19)
data = b""
while len(data) < 10000:
    b = s.recv(10000 - len(data))
    if not b:
        sys.exit("chargen closed early")
    data += b
s.close()
ring = bytes(range(32, 127))
lines = data.split(b"\r\n")
complete = lines[:-1]
if len(complete) < 130:
    sys.exit(f"only {len(complete)} lines in 10000 bytes")
for n, line in enumerate(complete):
    want = bytes(ring[(n + k) % 95] for k in range(72))
    if line != want:
        sys.exit(f"chargen line {n}: {line!r}, want {want!r}")
if not want.startswith(bytes([32 + (len(complete) - 1) % 95])):
    sys.exit("rotation")
print(f"chargen: {len(complete)} lines of 72 characters + CRLF, rotating")

# Chargen, polite close: our FIN, then netstack stops and closes.
s = connect(19)
s.recv(1000)
s.shutdown(socket.SHUT_WR)
s.settimeout(5)
total = 0
while True:
    b = s.recv(1 << 16)
    if not b:
        break
    total += len(b)
s.close()
print(f"chargen: closed after our FIN ({total} more bytes first)")
PY

# Every connection is gone from netstack (the ones the kernel reset included).
sleep 0.5
stop_serve
expect_stat_eq tcp_conns_open 0
expect_stat_ge tcp_accepted 6
expect_stat_ge tcp_echo_bytes $((20971520 + 100003))
expect_stat_ge tcp_discard_bytes 1000000
