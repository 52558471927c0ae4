# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Shared set-up for the interop tests: sourced by tests/interop/test_*.sh, which ctest runs
# as `bash test_x.sh path/to/netstack`.
#
# Each test makes its own network namespace(s) (named after the test and its pid), runs
# `netstack serve` inside with `ip netns exec`, talks to it from the namespace's kernel with
# ping and /usr/bin/python3, and sends traffic only there, on 192.0.2.0/24 and
# 198.51.100.0/24. The EXIT trap kills every process the test started and deletes every
# namespace it made, whatever way the test ends (success, failure, set -e, a signal).
# Nothing is skipped: not being root or missing a tool is a failure with the reason.
#
# Conventions: the kernel side is 192.0.2.1/24 and netstack 192.0.2.2/24 on a TAP; on a
# TUN the kernel side is 198.51.100.1 peer 198.51.100.2. fail() prints the reason, the
# last netstack's stderr, and exits 1.

set -euo pipefail

if [[ $# -lt 1 ]]; then
	echo "usage: bash $0 path/to/netstack" >&2
	exit 2
fi
NETSTACK=$(readlink -f "$1")
PY=/usr/bin/python3
TEST_NAME=$(basename "${BASH_SOURCE[1]}" .sh)
WORK=$(mktemp -d "/tmp/netstack-${TEST_NAME}.XXXXXX")
NAMESPACES=()
PIDS=()
SERVE_PID=
SERVE_OUT=
SERVE_ERR=

# The MAC tests give netstack, so they can look for it.
# shellcheck disable=SC2034 # used by the tests that source this file
NS_MAC=02:00:00:00:00:02

note() { echo "[$TEST_NAME] $*"; }

fail() {
	echo "FAIL [$TEST_NAME]: $*" >&2
	if [[ -n $SERVE_ERR && -f $SERVE_ERR ]]; then
		echo "--- netstack stderr ($SERVE_ERR):" >&2
		tail -n 20 "$SERVE_ERR" >&2 || true
	fi
	if [[ -n $SERVE_OUT && -f $SERVE_OUT ]]; then
		echo "--- netstack stdout:" >&2
		tail -n 60 "$SERVE_OUT" >&2 || true
	fi
	exit 1
}

cleanup() {
	local rc=$?
	set +e
	local pid ns
	for pid in "${PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in "${NAMESPACES[@]}"; do
		# Whatever still runs inside a namespace this test made (a python3 server whose
		# parent subshell was killed above) was started by this test: end it too.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$WORK"
	if [[ $rc -eq 0 ]]; then
		echo "PASS [$TEST_NAME]"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "[$TEST_NAME] interrupted" >&2; exit 130' INT TERM HUP

# ---------------------------------------------------------------- preconditions

require_root() {
	[[ $(id -u) -eq 0 ]] || fail "must run as root (creates network namespaces and TAP devices)"
	[[ -c /dev/net/tun ]] || fail "/dev/net/tun is missing (modprobe tun)"
}

require_cmds() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || fail "required tool '$c' is not installed (run scripts/deps.sh)"
	done
}

require_root
require_cmds ip ping awk timeout
[[ -x $PY ]] || fail "$PY is missing (apt-get install python3)"
[[ -x $NETSTACK ]] || fail "netstack binary '$NETSTACK' is missing or not executable"

# ---------------------------------------------------------------- namespaces

# new_ns VAR: create a namespace with lo up; its name goes into VAR.
new_ns() {
	local name="ns-${TEST_NAME#test_}-$$-${#NAMESPACES[@]}"
	ip netns add "$name" || fail "ip netns add $name failed"
	NAMESPACES+=("$name")
	ip -n "$name" link set lo up
	printf -v "$1" '%s' "$name"
}

in_ns() { # in_ns NS cmd...
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# ---------------------------------------------------------------- processes

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# alive PID: the process exists and is not a zombie (kill -0 succeeds on zombies).
alive() {
	local st
	st=$(sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[[ -n $st && $st != Z ]]
}

forget_pid() {
	local keep=() p
	for p in "${PIDS[@]}"; do
		[[ $p == "$1" ]] || keep+=("$p")
	done
	PIDS=("${keep[@]}")
}

# start_serve NS LABEL serve-args...: run `netstack serve` in NS and wait for `ready` (2 s).
# Sets SERVE_PID, SERVE_OUT, SERVE_ERR.
start_serve() {
	start_netstack serve "$@"
}

# start_netstack COMMAND NS LABEL args...: start_serve for another subcommand (route).
# READY_LIMIT_MS (2000) is how long `ready` may take: serve prints it at once, its IPv6
# addresses optimistic while duplicate address detection runs (RFC 4429); route waits for
# DAD (a router's addresses are not optimistic: a random delay of up to 1 s, RFC 4862 5.4.2,
# and 1 s for an answer, per device), so its tests set more.
start_netstack() {
	local cmd=$1 ns=$2 label=$3
	shift 3
	SERVE_OUT=$WORK/$label.out
	SERVE_ERR=$WORK/$label.err
	local t0
	t0=$(now_ms)
	ip netns exec "$ns" "$NETSTACK" "$cmd" "$@" >"$SERVE_OUT" 2>"$SERVE_ERR" &
	SERVE_PID=$!
	PIDS+=("$SERVE_PID")
	while :; do
		if [[ -s $SERVE_OUT ]]; then
			local first
			first=$(head -n 1 "$SERVE_OUT")
			[[ $first == ready ]] || fail "first stdout line is '$first', not 'ready'"
			break
		fi
		alive "$SERVE_PID" || fail "netstack $cmd $* exited before printing ready"
		(($(now_ms) - t0 <= ${READY_LIMIT_MS:-2000})) ||
			fail "no 'ready' line within ${READY_LIMIT_MS:-2000} ms (netstack $cmd $*)"
		sleep 0.02
	done
	# shellcheck disable=SC2034 # for the tests
	READY_MS=$(($(now_ms) - t0))
}

# stop_serve [SIGNAL]: send SIGTERM (or SIGNAL), require exit status 0 within 1 s.
stop_serve() {
	local sig=${1:-TERM} t0 rc=0
	[[ -n $SERVE_PID ]] || fail "stop_serve: no netstack running"
	alive "$SERVE_PID" || fail "netstack died before it was stopped"
	t0=$(now_ms)
	kill -"$sig" "$SERVE_PID"
	while alive "$SERVE_PID"; do
		if (($(now_ms) - t0 > 1000)); then
			fail "netstack did not exit within 1 s of SIG$sig"
		fi
		sleep 0.01
	done
	wait "$SERVE_PID" || rc=$?
	# shellcheck disable=SC2034 # for the tests
	STOP_MS=$(($(now_ms) - t0))
	forget_pid "$SERVE_PID"
	SERVE_PID=
	[[ $rc -eq 0 ]] || fail "netstack exited with status $rc after SIG$sig (want 0)"
}

# counter NAME: a counter from the stopped netstack's stats (0 if not printed).
counter() {
	local v
	v=$(awk -v n="$1" 'NR > 1 && $1 == n { print $2 }' "$SERVE_OUT")
	echo "${v:-0}"
}

expect_stat_ge() { # NAME MIN
	local v
	v=$(counter "$1")
	((v >= $2)) || fail "counter $1 is $v, want at least $2"
}

expect_stat_eq() { # NAME VALUE
	local v
	v=$(counter "$1")
	((v == $2)) || fail "counter $1 is $v, want $2"
}

# ---------------------------------------------------------------- kernel side

# kernel_tap NS DEV: give the kernel side of a TAP made by netstack its address.
kernel_tap() {
	ip -n "$1" addr add 192.0.2.1/24 dev "$2"
	ip -n "$1" link set "$2" up
}

# kernel_tap6 NS DEV: the kernel side of a TAP with IPv4 and IPv6: 192.0.2.1/24 and
# 2001:db8::1/64 (no DAD: the address is usable at once).
kernel_tap6() {
	ip -n "$1" addr add 192.0.2.1/24 dev "$2"
	ip -n "$1" addr add 2001:db8::1/64 dev "$2" nodad
	ip -n "$1" link set "$2" up
}

# wait_v6 NS ADDR [SECONDS]: until netstack's IPv6 ADDR answers pings, or fail after SECONDS
# (5). serve's own addresses answer once `ready` is out (optimistic while duplicate address
# detection runs, RFC 4429); this is for addresses that come later (SLAAC), for other
# routes, and for routers' links that must pass DAD first.
wait_v6() {
	local ns=$1 addr=$2 limit=${3:-5} t0
	t0=$(now_ms)
	until in_ns "$ns" ping -6 -n -c 1 -W 1 "$addr" >/dev/null 2>&1; do
		(($(now_ms) - t0 < limit * 1000)) || fail "$addr did not answer within $limit s"
		sleep 0.2
	done
}

# kernel_snmp NS GROUP FIELD: a counter of the namespace kernel's /proc/net/snmp, whose
# groups (Ip, Icmp, IcmpMsg...) are a line of names then a line of values; empty if the
# kernel has not counted it yet (IcmpMsg lists only the types it has seen).
kernel_snmp() {
	# shellcheck disable=SC2016 # awk's fields, not the shell's
	in_ns "$1" awk -v g="$2:" -v f="$3" '$1 == g && !n { for (i = 2; i <= NF; i++) h[i] = $i; n = 1; next }
		$1 == g && n { for (i = 2; i <= NF; i++) if (h[i] == f) print $i }' /proc/net/snmp
}

# kernel_snmp6 NS FIELD: a counter of the namespace kernel's /proc/net/snmp6.
kernel_snmp6() {
	# shellcheck disable=SC2016 # awk's fields, not the shell's
	in_ns "$1" awk -v f="$2" '$1 == f { print $2 }' /proc/net/snmp6
}

# kernel_tun NS DEV: the kernel side of a TUN, point to point.
kernel_tun() {
	ip -n "$1" addr add 198.51.100.1 peer 198.51.100.2 dev "$2"
	ip -n "$1" link set "$2" up
}

# ping_ok NS DST SIZE [COUNT]: every echo answered.
ping_ok() {
	local ns=$1 dst=$2 size=$3 count=${4:-2} out
	out=$(in_ns "$ns" ping -n -c "$count" -i 0.2 -W 2 -s "$size" "$dst" 2>&1) ||
		fail "ping -s $size $dst failed: $out"
	grep -q " $count received" <<<"$out" || fail "ping -s $size $dst lost replies: $out"
}

# py NS ARGS...: run a python3 program (read from stdin) inside NS.
py() {
	local ns=$1
	shift
	ip netns exec "$ns" "$PY" - "$@"
}

# udp_echo NS DST COUNT MAXSIZE [SEED]: COUNT datagrams of sizes 0..MAXSIZE to port 7 of DST
# (IPv4 or IPv6), one at a time, each echoed byte for byte within 2 s; then a window of 16 in
# flight.
udp_echo() {
	py "$@" <<'EOF' || fail "UDP echo to $2 failed"
import random, socket, sys
dst, count, maxsize = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
rng = random.Random(seed)
s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.settimeout(2.0)
s.connect((dst, 7))
sizes = [0, 1, maxsize] + [rng.randint(0, maxsize) for _ in range(max(0, count - 3))]
sizes = sizes[:count]
for i, n in enumerate(sizes):
    msg = rng.randbytes(n)
    s.send(msg)
    try:
        got = s.recv(65536)
    except socket.timeout:
        sys.exit(f"datagram {i} ({n} bytes) not echoed within 2 s")
    if got != msg:
        sys.exit(f"datagram {i}: sent {n} bytes, got {len(got)} different bytes back")
# A window: 16 in flight, every one must come back (in any order).
sent = {}
for i in range(16):
    msg = i.to_bytes(2, "big") + rng.randbytes(rng.randint(0, maxsize - 2))
    sent[msg] = True
    s.send(msg)
for i in range(16):
    try:
        got = s.recv(65536)
    except socket.timeout:
        sys.exit(f"windowed echo: only {i} of 16 came back")
    if got not in sent:
        sys.exit("windowed echo: a datagram came back altered")
    del sent[got]
print(f"{len(sizes)} + 16 datagrams echoed intact")
EOF
}

# port_unreachable NS DST PORT: a connected UDP socket sees ECONNREFUSED (ICMP port
# unreachable) after sending to PORT.
port_unreachable() {
	py "$@" <<'EOF' || fail "no ICMP port unreachable from $2 port $3"
import socket, sys
dst, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2.0)
s.connect((dst, port))
s.send(b"anyone there?")
try:
    s.recv(100)
    sys.exit(f"port {port}: got an answer")
except ConnectionRefusedError:
    print(f"port {port}: connection refused (ICMP port unreachable)")
except socket.timeout:
    sys.exit(f"port {port}: nothing within 2 s")
EOF
}

# udp_echo_narrow_hop NS DST: a 1400-byte datagram to DST's echo port from a client whose
# path to netstack has a hop narrower than netstack's link. The first echo reply meets the
# hop and is refused (netstack learns the path MTU from the router's ICMP); a retry (up to
# 10, 0.5 s apart) must come back intact, fragmented to the learnt MTU, and then 20 more at
# once. The client's own requests go without DF over IPv4, so the hop fragments them; over
# IPv6 its kernel learns the MTU too (a send may then fail with EMSGSIZE: retried).
udp_echo_narrow_hop() {
	py "$@" <<'PY' || fail "UDP echo to $2 through the narrow hop"
import socket, sys
dst = sys.argv[1]
v6 = ":" in dst
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
if not v6:
    s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER = IP_PMTUDISC_DONT
s.settimeout(0.5)
s.connect((dst, 7))
msg = bytes(i % 256 for i in range(1400))
for attempt in range(1, 11):
    try:
        s.send(msg)
        got = s.recv(2000)
    except socket.timeout:
        continue
    except OSError:
        continue  # EMSGSIZE: the client's kernel learnt the path MTU
    if got != msg:
        sys.exit("echo altered")
    if attempt == 1:
        sys.exit("the first 1400-byte echo came back: no hop refused it")
    print(f"1400-byte echo back on attempt {attempt}")
    break
else:
    sys.exit("no echo in 10 attempts")
# Now the path MTU is known: every echo comes back at once.
s.settimeout(2.0)
for i in range(20):
    s.send(msg)
    if s.recv(2000) != msg:
        sys.exit("echo altered")
print("20 more echoed at once")
PY
}

# ---------------------------------------------------------------- TCP

# bytes_sha256 N: the sha256 of what netstack serve's HTTP sends for /bytes/N (byte i is
# i mod 251), computed in blocks of whole periods.
bytes_sha256() {
	"$PY" - "$1" <<'PY'
import hashlib, sys
n = int(sys.argv[1])
block = bytes(i % 251 for i in range(251)) * 4096
h = hashlib.sha256()
left = n
while left:
    k = min(left, len(block))
    h.update(block[:k])
    left -= k
print(h.hexdigest())
PY
}

# kernel_tcp_server NS ADDR PORT RECEIVED-FILE SEND-FILE: a python3 server in NS on
# ADDR:PORT (IPv4 or IPv6) that accepts one connection, sends SEND-FILE (then its FIN) while
# it reads everything until EOF into RECEIVED-FILE, and closes. Creates RECEIVED-FILE.listening
# once it listens (wait_listening). Runs in the foreground: start it with &.
kernel_tcp_server() {
	local ns=$1
	shift
	py "$ns" "$@" <<'PY'
import socket, sys, threading
addr, port, out, src = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
v6 = ":" in addr
ls = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((addr, port))
ls.listen(1)
open(out + ".listening", "w").close()
ls.settimeout(20)
c, peer = ls.accept()
c.settimeout(20)
data = open(src, "rb").read()
t = threading.Thread(target=lambda: (c.sendall(data), c.shutdown(socket.SHUT_WR)))
t.start()
with open(out, "wb") as f:
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        f.write(b)
t.join()
c.close()
print(f"server: connection from [{peer[0]}]:{peer[1]}" if v6 else f"server: connection from {peer[0]}:{peer[1]}")
PY
}

# wait_listening RECEIVED-FILE: until kernel_tcp_server listens, or fail after 5 s.
wait_listening() {
	local t0
	t0=$(now_ms)
	until [[ -e $1.listening ]]; do
		(($(now_ms) - t0 < 5000)) || fail "the python server did not start"
		sleep 0.02
	done
}

# start_tcp_serve NS LABEL [serve-args...]: netstack on tap0 at 192.0.2.2/24, the kernel side
# at 192.0.2.1/24, for the TCP tests.
start_tcp_serve() {
	local ns=$1 label=$2
	shift 2
	start_serve "$ns" "$label" --tap tap0 --addr 192.0.2.2/24 "$@"
	kernel_tap "$ns" tap0
}

# tcp_echo NS DST NBYTES SEED MAXSECONDS: NBYTES of seeded random data through TCP echo on
# DST:7, sent and received at the same time (a thread sends, then shuts down its side); the
# echo must be intact (length and sha256), end with netstack's FIN, and take under MAXSECONDS.
tcp_echo() {
	py "$@" <<'PY' || fail "TCP echo of $3 bytes to $2 failed"
import hashlib, random, socket, sys, threading, time
dst, n, seed, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
data = random.Random(seed).randbytes(n)
t0 = time.monotonic()
s = socket.create_connection((dst, 7), timeout=10)
errors = []
def sender():
    try:
        view = memoryview(data)
        for off in range(0, n, 1 << 16):
            s.sendall(view[off:off + (1 << 16)])
        s.shutdown(socket.SHUT_WR)
    except Exception as e:
        errors.append(f"sending: {e!r}")
t = threading.Thread(target=sender)
t.start()
h = hashlib.sha256()
got = 0
try:
    while True:
        if time.monotonic() - t0 > limit:
            sys.exit(f"echo not finished after {limit} s: {got} of {n} bytes back")
        b = s.recv(1 << 18)
        if not b:
            break
        h.update(b)
        got += len(b)
except socket.timeout:
    sys.exit(f"nothing for 10 s: {got} of {n} bytes back")
t.join()
s.close()
took = time.monotonic() - t0
if errors:
    sys.exit(errors[0])
if got != n:
    sys.exit(f"echoed {got} bytes, sent {n}")
if h.hexdigest() != hashlib.sha256(data).hexdigest():
    sys.exit("echoed bytes differ (sha256)")
if took > limit:
    sys.exit(f"took {took:.1f} s, limit {limit} s")
print(f"{n} bytes echoed intact in {took:.2f} s ({n * 8 / took / 1e6:.0f} Mbit/s each way)")
PY
}
