#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# TIME_WAIT reuse (RFC 6191): a kernel client bound to a fixed port asks for
# `Connection: close`, so netstack closes first and keeps the 4-tuple in TIME_WAIT (the
# kernel side, which closes second, holds none: checked with ss). A second connection from
# the same port then succeeds at once, because its SYN is newer than the old incarnation.
# The capture shows both: the first FIN came from netstack, and both SYNs got a SYN-ACK.
source "$(dirname "$0")/lib.sh" "$@"
require_cmds tshark ss

new_ns NS
start_tcp_serve "$NS" timewait --pcap "$WORK/tw.pcap"

py "$NS" <<'PY' || fail "TIME_WAIT reuse failed"
import socket, subprocess, sys, time
PORT = 40007

def get(close):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("192.0.2.1", PORT))
    s.settimeout(5)
    t0 = time.monotonic()
    s.connect(("192.0.2.2", 80))
    took = time.monotonic() - t0
    hdr = b"Connection: close\r\n" if close else b""
    s.sendall(b"GET /bytes/10 HTTP/1.1\r\nHost: x\r\n" + hdr + b"\r\n")
    resp = b""
    while True:
        b = s.recv(4096)
        if not b:
            break  # netstack's FIN: it closed first
        resp += b
    s.close()
    if not resp.startswith(b"HTTP/1.1 200") or not resp.endswith(bytes(range(10))):
        sys.exit(f"bad response {resp[:60]!r}")
    return took

get(True)
# Our side closed second (LAST_ACK, then CLOSED once netstack ACKs our FIN): wait for that,
# and make sure the kernel holds no TIME_WAIT for the port, so the one there is netstack's.
for _ in range(100):
    out = subprocess.run(["ss", "-tanH", f"sport = :{PORT}"], capture_output=True, text=True).stdout
    if not out.strip():
        break
    time.sleep(0.02)
else:
    sys.exit(f"the kernel still has a socket on port {PORT}: {out}")
time.sleep(0.05)  # a newer timestamp for the new SYN
took = get(True)
if took > 0.5:
    sys.exit(f"the reconnect took {took:.2f} s: the first SYN was not accepted")
print(f"reconnected from port {PORT} in {1000 * took:.1f} ms while netstack held TIME_WAIT")
PY

stop_serve
syns=$(tshark -r "$WORK/tw.pcap" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 1 && ip.src == 192.0.2.2 && tcp.dstport == 40007' 2>/dev/null | wc -l)
((syns == 2)) || fail "expected 2 SYN-ACKs from netstack to port 40007, saw $syns"
first_fin=$(tshark -r "$WORK/tw.pcap" -Y 'tcp.flags.fin == 1 && tcp.port == 40007' -T fields -e ip.src 2>/dev/null | head -n 1)
[[ $first_fin == 192.0.2.2 ]] || fail "the first FIN came from '$first_fin', not netstack"
rsts=$(tshark -r "$WORK/tw.pcap" -Y 'tcp.flags.reset == 1 && tcp.port == 40007' 2>/dev/null | wc -l)
((rsts == 0)) || fail "$rsts RSTs on port 40007"
note "pcap: netstack sent the first FIN; both SYNs answered with SYN-ACK, no RST"
