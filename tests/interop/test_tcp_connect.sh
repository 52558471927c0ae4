#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# netstack as the TCP client (`netstack connect`) against a python3 server in the kernel:
# 4 MB from a file and 3 MB from the server cross at the same time, both intact (sha256);
# stdout carries exactly the received bytes; exit status 0 after both sides closed. Then
# stdin as the input; a closed port is refused quickly with exit status 1; a bad HOST:PORT
# is a usage error (2).
source "$(dirname "$0")/lib.sh" "$@"
require_cmds sha256sum

new_ns NS
# The device must exist, with the kernel's address, before netstack connects through it.
ip -n "$NS" tuntap add dev tap0 mode tap || fail "ip tuntap add failed"
kernel_tap "$NS" tap0

head -c 4194304 /dev/urandom >"$WORK/up"
head -c 3145728 /dev/urandom >"$WORK/down"

note "a file up, 3 MB down, at the same time"
kernel_tcp_server "$NS" 192.0.2.1 5001 "$WORK/got-up" "$WORK/down" &
srv=$!
PIDS+=("$srv")
wait_listening "$WORK/got-up"
rc=0
t0=$(now_ms)
in_ns "$NS" timeout 30 "$NETSTACK" connect --tap tap0 --addr 192.0.2.2/24 \
	--send-file "$WORK/up" 192.0.2.1:5001 >"$WORK/got-down" 2>"$WORK/connect.err" || rc=$?
took=$(($(now_ms) - t0))
wait "$srv" || fail "the python server failed"
forget_pid "$srv"
((rc == 0)) || fail "netstack connect exited with $rc: $(cat "$WORK/connect.err")"
cmp -s "$WORK/up" "$WORK/got-up" || fail "the server received $(stat -c %s "$WORK/got-up") bytes, not the 4 MB file"
cmp -s "$WORK/down" "$WORK/got-down" || fail "netstack's stdout has $(stat -c %s "$WORK/got-down") bytes, not the server's 3 MB"
grep -q 'connected to 192.0.2.1:5001' "$WORK/connect.err" || fail "no 'connected to' line on stderr: $(cat "$WORK/connect.err")"
cat "$WORK/connect.err" >&2
note "both directions intact in $took ms (sha256 $(sha256sum <"$WORK/got-up" | cut -c1-16)...)"

note "stdin as the input"
kernel_tcp_server "$NS" 192.0.2.1 5002 "$WORK/got-stdin" "$WORK/down" &
srv=$!
PIDS+=("$srv")
wait_listening "$WORK/got-stdin"
rc=0
printf 'hello from netstack\n' | in_ns "$NS" timeout 30 "$NETSTACK" connect --tap tap0 \
	--addr 192.0.2.2/24 192.0.2.1:5002 >"$WORK/got-down2" 2>"$WORK/connect2.err" || rc=$?
wait "$srv" || fail "the python server failed"
forget_pid "$srv"
((rc == 0)) || fail "netstack connect (stdin) exited with $rc: $(cat "$WORK/connect2.err")"
[[ $(cat "$WORK/got-stdin") == "hello from netstack" ]] || fail "server got '$(cat "$WORK/got-stdin")'"
cmp -s "$WORK/down" "$WORK/got-down2" || fail "stdout (stdin run) differs from what the server sent"

note "a closed port: refused at once"
rc=0
t0=$(now_ms)
in_ns "$NS" timeout 10 "$NETSTACK" connect --tap tap0 --addr 192.0.2.2/24 192.0.2.1:5999 \
	</dev/null >"$WORK/refused.out" 2>"$WORK/refused.err" || rc=$?
took=$(($(now_ms) - t0))
((rc == 1)) || fail "connect to a closed port: exit status $rc, want 1 ($(cat "$WORK/refused.err"))"
grep -qi 'refused' "$WORK/refused.err" || fail "connect to a closed port: no 'refused' on stderr: $(cat "$WORK/refused.err")"
[[ ! -s $WORK/refused.out ]] || fail "connect to a closed port wrote to stdout"
((took < 3000)) || fail "connect to a closed port took $took ms"

note "bad HOST:PORT"
for bad in 192.0.2.1 192.0.2.1:0 192.0.2.1:65536 host:80 2001:db8::1:80; do
	rc=0
	"$NETSTACK" connect --tap tap0 --addr 192.0.2.2/24 "$bad" >/dev/null 2>"$WORK/bad.err" || rc=$?
	((rc == 2)) || fail "connect $bad: exit status $rc, want 2"
	grep -q "try 'netstack --help'" "$WORK/bad.err" || fail "connect $bad: no --help hint"
done
rc=0
"$NETSTACK" connect --tap tap0 --addr 192.0.2.2/24 >/dev/null 2>"$WORK/bad.err" || rc=$?
((rc == 2)) || fail "connect without HOST:PORT: exit status $rc, want 2"
grep -q 'missing HOST:PORT' "$WORK/bad.err" || fail "connect without HOST:PORT: $(cat "$WORK/bad.err")"
