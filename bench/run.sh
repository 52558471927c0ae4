#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The benchmark: netstack in one process, netstack on a TAP (with the virtio-net header and
# TSO both ways, and without: netstack_nooffl), lwIP on a TAP and the kernel over a veth pair
# (offloads on and off), measured interleaved in one run and printed as one table of medians
# with ratios. docs/PERFORMANCE.md describes the method.
#
# Usage: bench/run.sh [BUILD_DIR]     (root: it creates network namespaces)
#   QUICK=1      about a minute: 1-second measurements, 2 rounds, fewer idle connections
#   ROUNDS=N     rounds of every configuration (default 3)
#   SECS=S       seconds per measurement (default 3)
#   IDLE_N=N     idle connections over the TAPs and the veth (default 10000)
#   INPROC_IDLE=N idle connections between the two in-process stacks (default 100000)
#   RESULTS=FILE also keep the raw measurements (one `round config metric value` per line)
#   PIN=1        pin servers to CPU 1 and clients to CPU 0 (default: the scheduler places
#                them; pinned, the kernel's veth wake-ups cost ~1 ms here, see PERFORMANCE.md)
#
# Traffic stays inside the namespaces this script creates, on 192.0.2.0/24 and
# 198.51.100.0/24. Everything it creates is removed on every exit path.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-${BUILD:-$ROOT/build-bench}}"
if [[ "${QUICK:-0}" == 1 ]]; then
	ROUNDS="${ROUNDS:-2}" SECS="${SECS:-1}" IDLE_N="${IDLE_N:-2000}"
	INPROC_IDLE="${INPROC_IDLE:-20000}"
else
	ROUNDS="${ROUNDS:-3}" SECS="${SECS:-3}" IDLE_N="${IDLE_N:-10000}"
	INPROC_IDLE="${INPROC_IDLE:-100000}"
fi

NS_BENCH="$BUILD/bench/ns_bench"
CLIENT="$BUILD/bench/bench_client"
LWIP="$BUILD/bench/lwip_bench"
for bin in "$NS_BENCH" "$CLIENT"; do
	[[ -x "$bin" ]] || { echo "run.sh: $bin is missing: build first (make bench)" >&2; exit 2; }
done
[[ $(id -u) == 0 ]] || { echo "run.sh: needs root (network namespaces)" >&2; exit 2; }

TAG="nsb$$"
TMP="$(mktemp -d)"
PIDS=()
NAMESPACES=()
RAW="$TMP/raw"
: >"$RAW"

cleanup() {
	local pid ns
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	for ns in "${NAMESPACES[@]}"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	if [[ -n "${RESULTS:-}" && -s "$RAW" ]]; then
		cp "$RAW" "$RESULTS"
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

note() { echo "run.sh: $*" >&2; }

if [[ "${PIN:-0}" == 1 ]]; then
	SRV_PIN=(taskset -c 1) CLI_PIN=(taskset -c 0)
else
	SRV_PIN=() CLI_PIN=()
fi

mkns() {
	ip netns add "$1"
	NAMESPACES+=("$1")
	ip -n "$1" link set lo up
	# Room for many short connections from one client address.
	ip netns exec "$1" sh -c 'echo "1024 65535" > /proc/sys/net/ipv4/ip_local_port_range'
}

# start NAME NS CMD...: run a server, wait for its `ready` line.
start() {
	local name="$1" ns="$2"
	shift 2
	ip netns exec "$ns" "${SRV_PIN[@]}" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	local pid=$!
	PIDS+=("$pid")
	eval "PID_$name=$pid"
	for _ in $(seq 100); do
		grep -q '^ready' "$TMP/$name.out" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	note "$name did not start:"
	cat "$TMP/$name.err" >&2
	exit 1
}

# Configurations: name, namespace of the client, server address.
CONFIGS=()
declare -A CLIENT_NS HOST NET
CRR_SRC=16 # client addresses NET.100 .. NET.115 for crr (see bench/client.c)

# add_client_addrs NS DEV NET: the client's extra addresses for crr.
add_client_addrs() {
	local i
	for ((i = 0; i < CRR_SRC; i++)); do
		ip -n "$1" addr add "$3.$((100 + i))/24" dev "$2"
	done
}

# netstack on a TAP.
mkns "$TAG-ns"
ip -n "$TAG-ns" tuntap add dev tap0 mode tap
ip -n "$TAG-ns" addr add 192.0.2.1/24 dev tap0
ip -n "$TAG-ns" link set tap0 up
add_client_addrs "$TAG-ns" tap0 192.0.2
start netstack "$TAG-ns" "$NS_BENCH" serve --tap tap0 --addr 192.0.2.2/24
CONFIGS+=(netstack) CLIENT_NS[netstack]="$TAG-ns" HOST[netstack]=192.0.2.2 NET[netstack]=192.0.2

# netstack on a TAP without offloads: one frame per syscall, full checksums.
mkns "$TAG-nx"
ip -n "$TAG-nx" tuntap add dev tap0 mode tap
ip -n "$TAG-nx" addr add 192.0.2.1/24 dev tap0
ip -n "$TAG-nx" link set tap0 up
add_client_addrs "$TAG-nx" tap0 192.0.2
start netstack_nooffl "$TAG-nx" "$NS_BENCH" serve --tap tap0 --addr 192.0.2.2/24 --no-offload
CONFIGS+=(netstack_nooffl) CLIENT_NS[netstack_nooffl]="$TAG-nx" HOST[netstack_nooffl]=192.0.2.2
NET[netstack_nooffl]=192.0.2

# lwIP on a TAP.
if [[ -x "$LWIP" ]]; then
	mkns "$TAG-lw"
	ip -n "$TAG-lw" tuntap add dev tap0 mode tap
	ip -n "$TAG-lw" addr add 198.51.100.1/24 dev tap0
	ip -n "$TAG-lw" link set tap0 up
	add_client_addrs "$TAG-lw" tap0 198.51.100
	start lwip "$TAG-lw" "$LWIP" --tap tap0 --addr 198.51.100.2
	CONFIGS+=(lwip) CLIENT_NS[lwip]="$TAG-lw" HOST[lwip]=198.51.100.2 NET[lwip]=198.51.100
else
	note "lwip_bench was not built (apt-get install liblwip-dev): lwIP is left out"
fi

# The kernel over a veth pair: $1 config name, $2 subnet prefix, $3 on|off.
veth_pair() {
	local name="$1" net="$2" offl="$3" a="$TAG-${1}a" b="$TAG-${1}b"
	mkns "$a"
	mkns "$b"
	ip link add veth0 netns "$a" type veth peer name veth1 netns "$b"
	ip -n "$a" addr add "$net.1/24" dev veth0
	ip -n "$b" addr add "$net.2/24" dev veth1
	ip -n "$a" link set veth0 up
	add_client_addrs "$a" veth0 "$net"
	ip -n "$b" link set veth1 up
	if [[ "$offl" == off ]]; then
		local f
		for f in tso gso gro tx rx sg; do
			ip netns exec "$a" ethtool -K veth0 "$f" off >/dev/null 2>&1 || true
			ip netns exec "$b" ethtool -K veth1 "$f" off >/dev/null 2>&1 || true
		done
	fi
	start "$name" "$b" "$CLIENT" server "$net.2"
	CONFIGS+=("$name") CLIENT_NS[$name]="$a" HOST[$name]="$net.2" NET[$name]="$net"
}
veth_pair kernel 192.0.2 on
if command -v ethtool >/dev/null; then
	veth_pair kernel_nooffl 198.51.100 off
else
	note "ethtool is not installed: the kernel with offloads off is left out"
fi

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
slab_kb() { awk '/^Slab:/ {print $2}' /proc/meminfo; }

# idle CONFIG: hold IDLE_N connections open; bytes per connection on the server side.
idle() {
	local cfg="$1" pidvar="PID_$1" before after n pid
	local srv="${!pidvar}"
	mkfifo "$TMP/hold"
	before=$(rss_kb "$srv") slab0=$(slab_kb)
	ip netns exec "${CLIENT_NS[$cfg]}" "${CLI_PIN[@]}" "$CLIENT" idle "${HOST[$cfg]}" "$IDLE_N" \
		<"$TMP/hold" >"$TMP/idle.out" 2>"$TMP/idle.err" &
	pid=$!
	exec 9>"$TMP/hold"
	for _ in $(seq 600); do
		grep -q '^open' "$TMP/idle.out" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	sleep 0.5 # let the server accept the last ones
	after=$(rss_kb "$srv") slab1=$(slab_kb)
	n=$(awk '/^open/ {print $2}' "$TMP/idle.out")
	exec 9>&-
	wait "$pid" || true
	rm -f "$TMP/hold"
	if [[ -z "$n" || "$n" == 0 ]]; then
		note "$cfg: idle connections failed: $(cat "$TMP/idle.err")"
		return 0
	fi
	if [[ "$cfg" == kernel* ]]; then
		# Both ends are kernel sockets: half the slab growth, plus the server's own.
		echo "0 $cfg idle_b $(((slab1 - slab0) * 1024 / (2 * n) + (after - before) * 1024 / n))"
	else
		echo "0 $cfg idle_b $(((after - before) * 1024 / n))"
	fi >>"$RAW"
	echo "0 $cfg idle_n $n" >>"$RAW"
}

measure() {
	local round="$1" cfg="$2" test v args
	for test in down up rr crr; do
		args=("$test" "${HOST[$cfg]}" "$SECS")
		# Each round's crr starts on fresh 4-tuples: none is in the server's TIME_WAIT.
		[[ $test == crr ]] && args+=($(((round - 1) * 300000)) "${NET[$cfg]}.100" "$CRR_SRC")
		if v=$(ip netns exec "${CLIENT_NS[$cfg]}" "${CLI_PIN[@]}" "$CLIENT" "${args[@]}" \
			2>"$TMP/client.err"); then
			echo "$round $cfg $v" >>"$RAW"
		else
			note "round $round $cfg $test failed: $(cat "$TMP/client.err")"
		fi
	done
}

note "configurations: inproc ${CONFIGS[*]}; $ROUNDS rounds of ${SECS}s measurements"
LOAD0="$(cut -d' ' -f1-3 /proc/loadavg)"
for cfg in "${CONFIGS[@]}"; do
	[[ $cfg == netstack_nooffl ]] && continue # idle memory does not depend on offloads
	idle "$cfg"
done
"${SRV_PIN[@]}" "$NS_BENCH" inproc --only idle --conns "$INPROC_IDLE" |
	sed 's/^inproc_/0 inproc /' >>"$RAW"
for round in $(seq "$ROUNDS"); do
	note "round $round/$ROUNDS"
	"${SRV_PIN[@]}" "$NS_BENCH" inproc --only bulk,rr,crr --seconds "$SECS" |
		sed "s/^inproc_/$round inproc /" >>"$RAW"
	"${SRV_PIN[@]}" "$NS_BENCH" inproc --only bulk --seconds "$SECS" --no-offload |
		sed "s/^inproc_/$round inproc_nooffl /" >>"$RAW"
	for cfg in "${CONFIGS[@]}"; do
		measure "$round" "$cfg"
	done
done

# One table of medians, then the ratios that mean something within one run.
awk -v rounds="$ROUNDS" -v secs="$SECS" '
function median(key,   n, i, j, t, a) {
	n = cnt[key]
	if (n == 0) return ""
	for (i = 1; i <= n; i++) a[i] = val[key, i]
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
		t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
	}
	return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function fmt(v, kind) {
	if (v == "") return "-"
	if (kind == "g") return sprintf("%.2f", v)
	if (kind == "k") return sprintf("%.1fk", v / 1000)
	return sprintf("%d", v)
}
function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "-" : sprintf("%.2f", a / b) }
{
	cfg = $2; m = $3
	sub(/_gbps$|_per_s$/, "", m)
	if (m == "bulk") m = "down" # in-process: one direction
	if (m == "idle_rss_bytes") m = "idle_b"
	if (m == "idle_conns") m = "idle_n"
	if (!(cfg in seen)) { seen[cfg] = 1; order[++ncfg] = cfg }
	key = cfg SUBSEP m
	val[key, ++cnt[key]] = $4
}
END {
	split("down up rr crr idle_b idle_n", ms, " ")
	split("g g k k n n", kinds, " ")
	printf "%-22s %12s %12s %10s %10s %12s %8s\n", "stack", "down Gbit/s", "up Gbit/s",
	       "1B RR/s", "conn/s", "idle B/conn", "idle n"
	for (c = 1; c <= ncfg; c++) {
		cfg = order[c]
		printf "%-22s", cfg
		for (i = 1; i <= 6; i++) {
			med[cfg, ms[i]] = median(cfg SUBSEP ms[i])
			w = (i <= 2 || i == 5) ? 12 : (i == 6 ? 8 : 10)
			printf " %*s", w, fmt(med[cfg, ms[i]], kinds[i])
		}
		printf "\n"
	}
	printf "\nratios (medians of this run; %d rounds of %ss):\n", rounds, secs
	n = split("lwip kernel kernel_nooffl netstack_nooffl", refs, " ")
	for (r = 1; r <= n; r++) {
		ref = refs[r]
		if (!(ref in seen)) continue
		printf "%-22s", "netstack/" ref
		for (i = 1; i <= 5; i++) {
			w = (i <= 2 || i == 5) ? 12 : 10
			printf " %*s", w, ratio(med["netstack", ms[i]], med[ref, ms[i]])
		}
		printf "\n"
	}
	if ("inproc" in seen)
		printf "inproc: stacks A and B in one process, one thread, channels with TSO and checksum offload (inproc_nooffl: without); idle bytes are per endpoint (%s connections)\n", med["inproc", "idle_n"]
}' "$RAW"
echo "machine: $(nproc) CPUs, Linux $(uname -r); load average before $LOAD0, after $(cut -d' ' -f1-3 /proc/loadavg)"

for name in netstack netstack_nooffl lwip; do
	pidvar="PID_$name"
	if [[ -n "${!pidvar:-}" ]]; then
		kill "${!pidvar}" 2>/dev/null || true
		wait "${!pidvar}" 2>/dev/null || true
		grep -h 'rx_frames' "$TMP/$name.err" >&2 || true
	fi
done
