#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Segmentation and checksum offload over a TAP with a virtio-net header (netstack's default):
# the device's TSO and checksum features are on (ethtool -k); curl downloads 50 MB from
# /bytes/52428800 with the right sha256, which netstack sends as TCP segments of up to
# 64 KiB that the kernel's TCP takes whole (gso_tx); 20 MB of random data come back intact
# through echo, the kernel's TCP sending its upload as TSO super-frames that reach netstack
# whole (gso_rx) with partial checksums (no checksum drop). Then the same with --no-offload:
# the same bytes, no GSO either way, and the device's TSO off.
source "$(dirname "$0")/lib.sh" "$@"
require_cmds curl sha256sum ethtool

want=$(bytes_sha256 52428800)

# feature NS NAME: the value (on/off) ethtool -k shows for the kernel side's feature.
feature() {
	in_ns "$1" ethtool -k tap0 | awk -v f="$2:" '$1 == f { print $2; exit }'
}

run() { # run LABEL [serve-args...]
	local label=$1 got took
	shift
	new_ns NS
	start_tcp_serve "$NS" "$label" "$@"

	note "$label: curl 50 MB from /bytes/52428800"
	t0=$(now_ms)
	got=$(in_ns "$NS" curl -sS -m 60 http://192.0.2.2/bytes/52428800 | sha256sum | cut -d' ' -f1)
	took=$(($(now_ms) - t0))
	[[ $got == "$want" ]] || fail "$label: 50 MB body: sha256 $got, want $want"
	note "$label: 50 MB in $took ms, sha256 ok"

	note "$label: 20 MB through echo"
	tcp_echo "$NS" 192.0.2.2 20971520 7 60
	stop_serve
	expect_stat_eq tcp_conns_open 0
	expect_stat_ge tcp_echo_bytes 20971520
	expect_stat_eq drop_tcp_bad_csum 0
	expect_stat_eq drop_gso_bad 0
	expect_stat_eq dev_tx_errors 0
	expect_stat_eq dev_rx_errors 0
}

run offload
grep -q 'offloads csum tso4 tso6' "$SERVE_ERR" || fail "start-up line does not name the offloads: $(cat "$SERVE_ERR")"
# The device the run created is gone with netstack: look at a fresh one, same options.
new_ns FNS
start_serve "$FNS" features --tap tap0 --addr 192.0.2.2/24
[[ $(feature "$FNS" tcp-segmentation-offload) == on ]] || fail "TSO is not on: $(in_ns "$FNS" ethtool -k tap0)"
[[ $(feature "$FNS" tx-checksumming) == on ]] || fail "TX checksumming is not on: $(in_ns "$FNS" ethtool -k tap0)"
stop_serve
SERVE_OUT=$WORK/offload.out
gso_tx=$(counter gso_tx)
gso_rx=$(counter gso_rx)
note "offload: gso_tx $gso_tx (our TSO packets), gso_rx $gso_rx (the kernel's super-frames)"
# 50 MB + 20 MB down in packets of up to 64 KiB, 20 MB up: hundreds of each at least.
expect_stat_ge gso_tx 500
expect_stat_ge gso_rx 100
expect_stat_eq gso_sw_segments 0

run plain --no-offload
grep -q 'offloads off' "$SERVE_ERR" || fail "start-up line does not say offloads off: $(cat "$SERVE_ERR")"
expect_stat_eq gso_tx 0
expect_stat_eq gso_rx 0
new_ns FNS
start_serve "$FNS" features-off --tap tap0 --addr 192.0.2.2/24 --no-offload
[[ $(feature "$FNS" tcp-segmentation-offload) == off ]] || fail "TSO is on with --no-offload: $(in_ns "$FNS" ethtool -k tap0)"
stop_serve
