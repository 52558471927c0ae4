#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# netstack as a router between two kernels, with and without offloads. `netstack route`
# runs in namespace R with two TAPs, tapA (192.0.2.2/24, 2001:db8:1::2/64) and tapB
# (198.51.100.2/24, 2001:db8:2::2/64); each TAP is then moved into its own namespace, A and
# B, whose kernels (192.0.2.1 / 2001:db8:1::1 and 198.51.100.1 / 2001:db8:2::1) route the
# other side's subnets through netstack. Bulk TCP crosses it both ways over both families,
# every stream's sha256 checked, in three set-ups:
#   offload  both TAPs with TSO and checksum offload: the kernels' TSO super-frames reach
#            netstack whole with partial checksums and leave it whole (gso_rx, no software
#            segmentation);
#   plain    both --no-offload: MTU-sized frames with full checksums each way;
#   mixed    tapA with offloads, tapB without: A's super-frames are cut and their
#            checksums finished in netstack (gso_sw_segments), B's plain frames go to A
#            as they are.
# Neither kernel may count a TCP checksum error (nstat TcpInCsumErrors), netstack no bad
# offload metadata and no too-big drop (the MTU is held against each segment).
source "$(dirname "$0")/lib.sh" "$@"
require_cmds nstat ethtool sha256sum

BYTES=20971520
# Duplicate address detection on two devices: each waits a random delay of up to a second
# (RFC 4862 5.4.2) and a second for an answer, and `ready` waits for the last one.
READY_LIMIT_MS=5000

# A server in B for both families: a client first sends 8 bytes, a length N. N > 0: it is
# sent N bytes of seeded data; N = 0: it uploads until EOF and gets the sha256 and length
# of what arrived.
server() {
	py "$1" <<'PY'
import hashlib, random, socket, sys, threading
def serve(c):
    with c:
        head = b""
        while len(head) < 8:
            b = c.recv(8 - len(head))
            if not b:
                return
            head += b
        n = int.from_bytes(head, "big")
        if n:
            data = random.Random(n).randbytes(n)
            c.sendall(data)
            return
        h, got = hashlib.sha256(), 0
        while True:
            b = c.recv(1 << 18)
            if not b:
                break
            h.update(b)
            got += len(b)
        c.sendall(f"{got} {h.hexdigest()}".encode())
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 5001))
s.listen(8)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
}

# bulk NS DST BYTES: upload BYTES of seeded data to DST and download BYTES back, each
# checked by sha256 and length, within 60 s.
bulk() {
	py "$@" <<'PY' || fail "bulk TCP with $2 failed"
import hashlib, random, socket, sys, time
dst, n = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
t0 = time.monotonic()
data = random.Random(7).randbytes(n)
s = socket.create_connection((dst, 5001), timeout=20)
s.sendall((0).to_bytes(8, "big"))
for off in range(0, n, 1 << 16):
    s.sendall(data[off:off + (1 << 16)])
s.shutdown(socket.SHUT_WR)
answer = b""
while True:
    b = s.recv(256)
    if not b:
        break
    answer += b
s.close()
want = f"{n} {hashlib.sha256(data).hexdigest()}"
if answer.decode() != want:
    sys.exit(f"upload: server got '{answer.decode()}', want '{want}'")
up = time.monotonic() - t0
t1 = time.monotonic()
s = socket.create_connection((dst, 5001), timeout=20)
s.sendall(n.to_bytes(8, "big"))
h, got = hashlib.sha256(), 0
while True:
    b = s.recv(1 << 18)
    if not b:
        break
    h.update(b)
    got += len(b)
s.close()
if got != n or h.hexdigest() != hashlib.sha256(random.Random(n).randbytes(n)).hexdigest():
    sys.exit(f"download: {got} bytes, sha256 differs or short (want {n})")
down = time.monotonic() - t1
if time.monotonic() - t0 > 60:
    sys.exit("took more than 60 s")
print(f"{dst}: {n} bytes up in {up:.2f} s ({n * 8 / up / 1e6:.0f} Mbit/s), "
      f"down in {down:.2f} s ({n * 8 / down / 1e6:.0f} Mbit/s), sha256 ok")
PY
}

# csum_errors NS: the kernel's TCP checksum errors so far.
csum_errors() {
	in_ns "$1" nstat -az TcpInCsumErrors | awk '$1 == "TcpInCsumErrors" { print $2 }'
}

# feature NS DEV NAME: on/off, as ethtool -k shows it.
feature() {
	in_ns "$1" ethtool -k "$2" | awk -v f="$3:" '$1 == f { print $2; exit }'
}

run() { # run LABEL [A-args...] -- [B-args...]
	local label=$1 aargs=() bargs=() side=a
	shift
	for x in "$@"; do
		if [[ $x == -- ]]; then
			side=b
		elif [[ $side == a ]]; then
			aargs+=("$x")
		else
			bargs+=("$x")
		fi
	done
	new_ns R
	new_ns A
	new_ns B
	start_netstack route "$R" "$label" \
		--tap tapA --addr 192.0.2.2/24 --addr 2001:db8:1::2/64 "${aargs[@]}" \
		--tap tapB --addr 198.51.100.2/24 --addr 2001:db8:2::2/64 "${bargs[@]}"
	# The TAPs stay netstack's (its fds are attached); their kernel sides move out.
	ip -n "$R" link set tapA netns "$A" || fail "moving tapA to $A"
	ip -n "$R" link set tapB netns "$B" || fail "moving tapB to $B"
	ip -n "$A" addr add 192.0.2.1/24 dev tapA
	ip -n "$A" addr add 2001:db8:1::1/64 dev tapA nodad
	ip -n "$A" link set tapA up
	ip -n "$A" route add 198.51.100.0/24 via 192.0.2.2
	ip -n "$A" route add 2001:db8:2::/64 via 2001:db8:1::2
	ip -n "$B" addr add 198.51.100.1/24 dev tapB
	ip -n "$B" addr add 2001:db8:2::1/64 dev tapB nodad
	ip -n "$B" link set tapB up
	ip -n "$B" route add 192.0.2.0/24 via 198.51.100.2
	ip -n "$B" route add 2001:db8:1::/64 via 2001:db8:2::2
	TSO_A=$(feature "$A" tapA tcp-segmentation-offload)
	TSO_B=$(feature "$B" tapB tcp-segmentation-offload)
	note "$label: tapA tso $TSO_A, tapB tso $TSO_B"

	server "$B" >"$WORK/$label.server" 2>&1 &
	PIDS+=($!)
	local t0
	t0=$(now_ms)
	until grep -q listening "$WORK/$label.server" 2>/dev/null; do
		(($(now_ms) - t0 < 5000)) || fail "$label: the server in B did not start: $(cat "$WORK/$label.server")"
		sleep 0.05
	done
	ping_ok "$A" 198.51.100.1 56
	ping_ok "$A" 2001:db8:2::1 56
	local ea0 eb0
	ea0=$(csum_errors "$A")
	eb0=$(csum_errors "$B")
	local r
	r=$(bulk "$A" 198.51.100.1 "$BYTES") # a failure ends the test (set -e)
	note "$label: $r"
	r=$(bulk "$A" 2001:db8:2::1 "$BYTES")
	note "$label: $r"
	(($(csum_errors "$A") == ea0)) || fail "$label: A's kernel counted TCP checksum errors"
	(($(csum_errors "$B") == eb0)) || fail "$label: B's kernel counted TCP checksum errors"
	stop_serve
	expect_stat_ge ip_forwarded $((4 * BYTES / 65536))
	expect_stat_eq drop_offload_bad 0
	expect_stat_eq drop_ipv4_too_big 0
	expect_stat_eq drop_ipv6_too_big 0
	expect_stat_eq drop_gso_bad 0
	expect_stat_eq dev_tapA_tx_errors 0
	expect_stat_eq dev_tapB_tx_errors 0
	note "$label: ip_forwarded $(counter ip_forwarded), gso_rx $(counter gso_rx), gso_tx $(counter gso_tx), gso_sw_segments $(counter gso_sw_segments)"
}

run offload
[[ $TSO_A == on && $TSO_B == on ]] || fail "offload: TSO is not on for both TAPs"
# The kernels' TSO super-frames (4 x 20 MB through): hundreds, forwarded whole.
expect_stat_ge gso_rx 200
expect_stat_ge gso_tx 200
expect_stat_eq gso_sw_segments 0

run plain --no-offload -- --no-offload
[[ $TSO_A == off && $TSO_B == off ]] || fail "plain: TSO is on for a TAP opened --no-offload"
expect_stat_eq gso_rx 0
expect_stat_eq gso_tx 0

run mixed -- --no-offload
[[ $TSO_A == on && $TSO_B == off ]] || fail "mixed: TSO should be on for tapA only"
# A's super-frames cut for tapB: at least a 20 MB upload and its IPv6 twin in segments.
expect_stat_ge gso_rx 100
expect_stat_ge gso_sw_segments $((2 * BYTES / 1500))
