#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install, with apt-get, every Debian package the build, the tests, the fuzzer and the demo
# need and that is missing. Fast when everything is there (dpkg-query only, no network);
# installing needs root. Non-interactive: tshark's debconf question (may non-root users
# capture?) is answered "no" beforehand so it cannot block.
set -euo pipefail

PKGS=(
	cmake make gcc clang libclang-rt-14-dev # build; clang for ASan/UBSan and libFuzzer
	clang-format                            # the style check (.clang-format)
	libcmocka-dev                           # unit, wire and packet-level tests
	iproute2 iputils-ping python3           # interop tests and the demo
	tshark                                  # reads the pcap files back
	nftables socat curl                     # interop tools for the later TCP/forwarding tests
	radvd                                   # a router advertising a prefix (IPv6 SLAAC test)
	util-linux coreutils                    # setpriv, timeout
	pkg-config liblwip-dev ethtool          # the benchmark's lwIP comparison and offload switch
)

installed() {
	[[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

missing=()
for p in "${PKGS[@]}"; do
	installed "$p" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
	echo "deps: all ${#PKGS[@]} packages present"
	exit 0
fi

echo "deps: installing ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
	echo "deps: need root to install: ${missing[*]} (run as root, or apt-get install them)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
for p in "${missing[@]}"; do
	installed "$p" || {
		echo "deps: $p did not install" >&2
		exit 1
	}
done
echo "deps: done"
