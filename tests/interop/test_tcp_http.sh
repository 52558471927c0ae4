#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# HTTP/1.1 on port 80 with curl and raw sockets: 50 MB from /bytes/52428800 with the right
# sha256 (byte i is i mod 251); keep-alive (two URLs in one curl run share one connection);
# `Connection: close` (netstack closes first, right after the response); 404 for other
# paths; HEAD; /bytes/0; pipelined requests answered in order; a malformed request gets 400
# and the connection closed; every response has Content-Length and Content-Type.
source "$(dirname "$0")/lib.sh" "$@"
require_cmds curl sha256sum

new_ns NS
start_tcp_serve "$NS" http

note "curl GET / and 50 MB from /bytes/52428800"
in_ns "$NS" curl -sS -m 10 -D "$WORK/h1" -o "$WORK/index" http://192.0.2.2/ || fail "curl / failed"
grep -q '<html' "$WORK/index" || fail "GET / is not an HTML page: $(cat "$WORK/index")"
grep -qi '^content-type: text/html' "$WORK/h1" || fail "GET /: no text/html Content-Type: $(cat "$WORK/h1")"
len=$(awk 'tolower($1) == "content-length:" { print $2 + 0 }' "$WORK/h1")
size=$(stat -c %s "$WORK/index")
[[ $len -eq $size ]] || fail "GET /: Content-Length $len, body $size bytes"

want=$(bytes_sha256 52428800)
t0=$(now_ms)
got=$(in_ns "$NS" curl -sS -m 60 -D "$WORK/h2" http://192.0.2.2/bytes/52428800 | sha256sum | cut -d' ' -f1)
took=$(($(now_ms) - t0))
grep -q '^HTTP/1.1 200' "$WORK/h2" || fail "/bytes/52428800: $(head -n 1 "$WORK/h2")"
grep -qi '^content-length: 52428800' "$WORK/h2" || fail "/bytes/52428800: wrong Content-Length: $(cat "$WORK/h2")"
grep -qi '^content-type: application/octet-stream' "$WORK/h2" || fail "/bytes: Content-Type: $(cat "$WORK/h2")"
[[ $got == "$want" ]] || fail "50 MB body: sha256 $got, want $want"
note "50 MB in $took ms, sha256 ok"

note "keep-alive: two URLs, one connection"
out=$(in_ns "$NS" curl -sS -m 10 -o /dev/null -o /dev/null -w '%{http_code} %{num_connects} %{size_download}\n' \
	http://192.0.2.2/bytes/1000 http://192.0.2.2/bytes/12345) || fail "curl keep-alive failed"
[[ $out == $'200 1 1000\n200 0 12345' ]] || fail "keep-alive: curl says '$out', want '200 1 1000' then '200 0 12345'"

note "404, HEAD, /bytes/0"
code=$(in_ns "$NS" curl -sS -m 10 -o "$WORK/404" -w '%{http_code}' http://192.0.2.2/no/such/page) || fail "curl 404"
[[ $code == 404 ]] || fail "/no/such/page: status $code, want 404"
[[ -s $WORK/404 ]] || fail "404 has no body"
in_ns "$NS" curl -sS -m 10 -I http://192.0.2.2/bytes/1000000000 >"$WORK/head" || fail "curl -I failed"
grep -q '^HTTP/1.1 200' "$WORK/head" || fail "HEAD /bytes/1000000000: $(cat "$WORK/head")"
grep -qi '^content-length: 1000000000' "$WORK/head" || fail "HEAD: Content-Length: $(cat "$WORK/head")"
code=$(in_ns "$NS" curl -sS -m 10 -o "$WORK/zero" -w '%{http_code} %{size_download}' http://192.0.2.2/bytes/0)
[[ $code == "200 0" ]] || fail "/bytes/0: curl says '$code'"

note "raw sockets: Connection: close, pipelining, malformed requests"
py "$NS" <<'PY' || fail "raw HTTP checks failed"
import socket, sys, time

def connect():
    return socket.create_connection(("192.0.2.2", 80), timeout=5)

def read_response(f, method="GET"):
    status = f.readline()
    if not status:
        return None
    headers = {}
    while True:
        line = f.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        k, _, v = line.decode().partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" not in headers or "content-type" not in headers:
        sys.exit(f"response without Content-Length or Content-Type: {status!r} {headers}")
    n = 0 if method == "HEAD" else int(headers["content-length"])
    body = f.read(n)
    if len(body) != n:
        sys.exit(f"short body: {len(body)} of {n}")
    return status.decode().split(" ", 2)[1], headers, body

def expect_eof(s, what):
    s.settimeout(2)
    try:
        rest = s.recv(100)
    except socket.timeout:
        sys.exit(f"{what}: netstack did not close within 2 s")
    if rest != b"":
        sys.exit(f"{what}: extra bytes after the response: {rest!r}")

# Connection: close: the response, then netstack's FIN while we have not closed anything.
s = connect()
s.sendall(b"GET /bytes/100 HTTP/1.1\r\nHost: 192.0.2.2\r\nConnection: close\r\n\r\n")
f = s.makefile("rb")
st, h, body = read_response(f)
if st != "200" or body != bytes(i % 251 for i in range(100)):
    sys.exit(f"Connection: close: status {st}, body {body[:20]!r}")
if h.get("connection", "").lower() != "close":
    sys.exit(f"Connection: close not echoed in the response: {h}")
t0 = time.monotonic()
if f.read(1) != b"":
    sys.exit("Connection: close: bytes after the response")
if time.monotonic() - t0 > 1:
    sys.exit("Connection: close: the server took over 1 s to close")
s.close()
print("Connection: close: the server closed first")

# HTTP/1.0 without keep-alive closes too.
s = connect()
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
f = s.makefile("rb")
st, h, body = read_response(f)
if st != "200" or f.read(1) != b"":
    sys.exit("HTTP/1.0: not answered and closed")
s.close()

# Pipelining: three requests in one segment, answered in order; then the connection stays.
s = connect()
s.sendall(b"GET /bytes/3 HTTP/1.1\r\nHost: x\r\n\r\n"
          b"HEAD /bytes/70000 HTTP/1.1\r\nHost: x\r\n\r\n"
          b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"
          b"GET /bytes/100000 HTTP/1.1\r\nHost: x\r\n\r\n")
f = s.makefile("rb")
r1 = read_response(f)
r2 = read_response(f, "HEAD")
r3 = read_response(f)
r4 = read_response(f)
if r1[0] != "200" or r1[2] != b"\x00\x01\x02":
    sys.exit(f"pipelined 1: {r1[0]} {r1[2]!r}")
if r2[0] != "200" or r2[1]["content-length"] != "70000" or r2[2] != b"":
    sys.exit(f"pipelined 2 (HEAD): {r2}")
if r3[0] != "404":
    sys.exit(f"pipelined 3: {r3[0]}, want 404")
if r4[0] != "200" or r4[2] != bytes(i % 251 for i in range(100000)):
    sys.exit(f"pipelined 4: {r4[0]}, {len(r4[2])} bytes")
# A request split over several segments, on the same connection.
for part in (b"GET /bytes/5 HT", b"TP/1.1\r\nHo", b"st: x\r\n", b"\r\n"):
    s.sendall(part)
    time.sleep(0.05)
st, h, body = read_response(f)
if st != "200" or body != b"\x00\x01\x02\x03\x04":
    sys.exit(f"split request: {st} {body!r}")
s.close()
print("pipelined and split requests answered in order")

# A request with a body (Content-Length) is skipped correctly; the next one is answered.
s = connect()
s.sendall(b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello worldGET /bytes/2 HTTP/1.1\r\nHost: x\r\n\r\n")
f = s.makefile("rb")
if read_response(f)[0] != "404":
    sys.exit("POST: want 404")
st, h, body = read_response(f)
if st != "200" or body != b"\x00\x01":
    sys.exit(f"after a request body: {st} {body!r}")
s.close()

# Malformed requests: 400, then netstack closes.
for bad in (b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
            b"GET /\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
            b"GET / HTTP/1.1\r\n folded: x\r\n\r\n"):
    s = connect()
    s.sendall(bad)
    f = s.makefile("rb")
    r = read_response(f)
    if r is None or r[0] != "400":
        sys.exit(f"{bad!r}: got {r and r[0]}, want 400")
    if f.read(1) != b"":
        sys.exit(f"{bad!r}: connection not closed after 400")
    s.close()
# A head that never ends: refused once it passes 16 KiB.
s = connect()
s.sendall(b"GET / HTTP/1.1\r\n" + b"X-Filler: " + b"a" * 20000)
f = s.makefile("rb")
r = read_response(f)
if r is None or r[0] not in ("431", "400"):
    sys.exit(f"oversized head: got {r and r[0]}")
s.close()
print("malformed requests: 400 and closed")
PY

stop_serve
expect_stat_ge http_requests 20
expect_stat_ge http_2xx 10
expect_stat_ge http_4xx 8
expect_stat_ge http_body_bytes 52428800
expect_stat_eq tcp_conns_open 0
