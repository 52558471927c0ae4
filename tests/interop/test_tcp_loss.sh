#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# TCP under loss: 20 MB of random data through echo with 3% of the packets dropped in each
# direction (nftables `numgen random` rules on the kernel side of the TAP, input and
# output), intact, in well under a minute (bound: 60 s). Twice: with netstack's default
# offloads, where a dropped packet is a whole TSO/GSO packet of up to 64 KiB (up to 45
# segments lost at once, either way), and with --no-offload, where it is one segment.
source "$(dirname "$0")/lib.sh" "$@"
require_cmds nft

# lossy_echo LABEL MIN_DROPS [serve-args...]
lossy_echo() {
	local label=$1 min=$2 drops
	shift 2
	new_ns NS
	start_tcp_serve "$NS" "$label" "$@"

	in_ns "$NS" nft -f - <<'NFT' || fail "cannot install the nftables loss rules"
table inet lossy {
	chain in {
		type filter hook input priority 0;
		iifname "tap0" numgen random mod 100 < 3 counter drop
	}
	chain out {
		type filter hook output priority 0;
		oifname "tap0" numgen random mod 100 < 3 counter drop
	}
}
NFT

	note "$label: 20 MB through echo, 3% loss both ways"
	tcp_echo "$NS" 192.0.2.2 20971520 3 60

	drops=$(in_ns "$NS" nft list table inet lossy | awk '/counter packets/ { for (i = 1; i <= NF; i++) if ($i == "packets") s += $(i + 1) } END { print s + 0 }')
	note "$label: nftables dropped $drops packets"
	((drops >= min)) || fail "$label: the loss rules dropped only $drops packets: no loss was tested"

	stop_serve
	expect_stat_eq tcp_conns_open 0
	expect_stat_ge tcp_echo_bytes 20971520
}

# With offloads, 20 MB each way is about 650 packets: 3% of them.
lossy_echo offload 10
lossy_echo plain 100 --no-offload
