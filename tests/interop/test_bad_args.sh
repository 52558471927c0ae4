#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Bad command lines and devices that cannot be opened: exit status 2, nothing on stdout, and
# on stderr one line naming the option and its value plus the --help hint. Also --help and
# --version. Runs inside a namespace so no case can touch the host's devices; afterwards
# no device was left behind.
source "$(dirname "$0")/lib.sh" "$@"

new_ns NS
ip -n "$NS" tuntap add dev tunbusy mode tun

A="--addr 192.0.2.2/24"
# expected-stderr-fragment | arguments
cases=(
	"missing --tap|serve"
	"missing --tap|serve $A"
	"missing --addr CIDR (or --slaac)|serve --tap t0"
	"--addr|serve --tap t0"
	"--tap: missing value|serve --tap"
	"--addr: missing value|serve --tap t0 --addr"
	"--tun t1|serve --tap t0 --tun t1 $A"
	"--tap t1|serve --tap t0 --tap t1 $A"
	"unknown option '--frobnicate'|serve --tap t0 $A --frobnicate 1"
	"unexpected argument 'extra'|serve --tap t0 $A extra"
	"--addr 192.0.2.300/24|serve --tap t0 --addr 192.0.2.300/24"
	"--addr 192.0.2.2/33|serve --tap t0 --addr 192.0.2.2/33"
	"--addr 192.0.2.2|serve --tap t0 --addr 192.0.2.2"
	"--addr nonsense/24|serve --tap t0 --addr nonsense/24"
	"--addr 224.0.0.1/24|serve --tap t0 --addr 224.0.0.1/24"
	"--addr 0.0.0.0/0|serve --tap t0 --addr 0.0.0.0/0"
	"--addr 2001:db8::2|serve --tap t0 --addr 2001:db8::2"
	"--addr 2001:db8::2/129|serve --tap t0 --addr 2001:db8::2/129"
	"--addr ff02::1/64|serve --tap t0 --addr ff02::1/64"
	"--addr ::/0|serve --tap t0 --addr ::/0"
	"--addr ::1/128|serve --tap t0 --addr ::1/128"
	"--addr ::ffff:192.0.2.2/96|serve --tap t0 --addr ::ffff:192.0.2.2/96"
	"--gateway 2001:db8:9::1|serve --tap t0 --addr 2001:db8::2/64 --gateway 2001:db8:9::1"
	"--gateway 2001:db8::2|serve --tap t0 --addr 2001:db8::2/64 --gateway 2001:db8::2"
	"--gateway fe80::2|serve --tap t0 --addr 2001:db8::2/64 --gateway fe80::1 --gateway fe80::2"
	"--slaac: takes no value|serve --tap t0 --slaac=1"
	"--mac 02:00:00:00:00|serve --tap t0 $A --mac 02:00:00:00:00"
	"--mac 02:00:00:00:00:zz|serve --tap t0 $A --mac 02:00:00:00:00:zz"
	"--mac 01:00:5e:00:00:01|serve --tap t0 $A --mac 01:00:5e:00:00:01"
	"--mac ff:ff:ff:ff:ff:ff|serve --tap t0 $A --mac ff:ff:ff:ff:ff:ff"
	"--mac 02:00:00:00:00:02|serve --tun t0 $A --mac 02:00:00:00:00:02"
	"--mtu 67|serve --tap t0 $A --mtu 67"
	"--mtu 65536|serve --tap t0 $A --mtu 65536"
	"--mtu abc|serve --tap t0 $A --mtu abc"
	"--mtu -1|serve --tap t0 $A --mtu -1"
	"--mtu 1500x|serve --tap t0 $A --mtu=1500x"
	"--gateway 198.51.100.1|serve --tap t0 $A --gateway 198.51.100.1"
	"--gateway nope|serve --tap t0 $A --gateway nope"
	"--gateway 2001:db8::1|serve --tap t0 $A --gateway 2001:db8::1"
	"--tap averyveryverylongname|serve --tap averyveryverylongname $A"
	"--tap a/b|serve --tap a/b $A"
	"unknown command 'bogus'|bogus"
	"unknown option '--bogus'|--bogus"
	"missing command|"
	"--pcap /nonexistent-dir/x.pcap|serve --tap t0 $A --pcap /nonexistent-dir/x.pcap"
	"--tap tunbusy|serve --tap tunbusy $A"
	"at least two devices|route --tap t0 $A"
	"'--addr' before the first|route $A --tap t0 --tap t1"
	"t1: missing --addr|route --tap t0 $A --tap t1"
	"device t0 given twice|route --tap t0 $A --tap t0 --addr 198.51.100.2/24"
	"--addr 192.0.2.2 on both|route --tap t0 $A --tap t1 $A"
	"--slaac|route --tap t0 $A --slaac --tap t1 --addr 198.51.100.2/24"
	"one IPv4 and one IPv6 default|route --tap t0 $A --gateway 192.0.2.1 --tap t1 --addr 198.51.100.2/24 --gateway 198.51.100.1"
	"--tap tunbusy|route --tap t0 $A --tap tunbusy --addr 198.51.100.2/24"
)

for c in "${cases[@]}"; do
	want=${c%%|*}
	args=${c#*|}
	rc=0
	# shellcheck disable=SC2086 # word splitting of the argument list is intended
	timeout 10 ip netns exec "$NS" "$NETSTACK" $args >"$WORK/out" 2>"$WORK/err" || rc=$?
	((rc == 2)) || fail "'netstack $args': exit status $rc, want 2 (stderr: $(cat "$WORK/err"))"
	[[ ! -s $WORK/out ]] || fail "'netstack $args': wrote to stdout: $(cat "$WORK/out")"
	grep -qF -- "$want" "$WORK/err" || fail "'netstack $args': stderr does not mention '$want': $(cat "$WORK/err")"
	if [[ $want != "--tap tunbusy" && $want != --pcap* ]]; then
		grep -qF "try 'netstack --help'" "$WORK/err" || fail "'netstack $args': no --help hint: $(cat "$WORK/err")"
	fi
	note "ok ($rc): netstack $args -> $(head -n 1 "$WORK/err")"
done

note "an unprivileged user cannot open /dev/net/tun"
require_cmds setpriv
# A copy the unprivileged user can reach whatever the permissions of the build tree.
chmod 755 "$WORK"
cp "$NETSTACK" "$WORK/netstack"
chmod 755 "$WORK/netstack"
rc=0
ip netns exec "$NS" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$WORK/netstack" serve --tap t9 --addr 192.0.2.2/24 >"$WORK/out" 2>"$WORK/err" || rc=$?
((rc == 2)) || fail "unprivileged open: exit status $rc, want 2 ($(cat "$WORK/err"))"
grep -q -- '--tap t9' "$WORK/err" || fail "unprivileged open: message does not name the device: $(cat "$WORK/err")"
note "ok ($rc): $(head -n 1 "$WORK/err")"

links=$(ip -n "$NS" -o link show | awk -F': ' '{ print $2 }' | sort | tr '\n' ' ')
[[ $links == "lo tunbusy " ]] || fail "devices left behind by failed runs: $links"

note "--help, --version"
out=$("$NETSTACK" --help) || fail "--help exit status $?"
for word in serve --tap --tun --addr --mac --gateway --mtu --pcap --slaac ready SIGTERM SIGUSR1 IPv6 TCP demo; do
	grep -qF -- "$word" <<<"$out" || fail "--help does not mention $word"
done
"$NETSTACK" serve --help | grep -q -- '--addr' || fail "serve --help"
"$NETSTACK" --version | grep -Eq '^netstack [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version: $("$NETSTACK" --version)"
