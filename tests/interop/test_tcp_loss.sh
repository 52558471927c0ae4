#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# TCP under loss: 20 MB of random data through echo with 3% of the frames dropped in each
# direction (nftables `numgen random` rules on the kernel side of the TAP, input and
# output), intact, in well under a minute (bound: 60 s).
source "$(dirname "$0")/lib.sh" "$@"
require_cmds nft

new_ns NS
start_tcp_serve "$NS" loss

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

note "20 MB through echo, 3% loss both ways"
tcp_echo "$NS" 192.0.2.2 20971520 3 60

drops=$(in_ns "$NS" nft list table inet lossy | awk '/counter packets/ { for (i = 1; i <= NF; i++) if ($i == "packets") s += $(i + 1) } END { print s + 0 }')
note "nftables dropped $drops packets"
((drops > 100)) || fail "the loss rules dropped only $drops packets: no loss was tested"

stop_serve
expect_stat_eq tcp_conns_open 0
expect_stat_ge tcp_echo_bytes 20971520
