#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `netstack serve` start and stop: `ready` is the first line within 2 s; the device it
# creates is up with MTU 1500; SIGTERM and SIGINT end it with status 0 within 1 s, after it
# printed its counters (`name value` lines); the device it created is gone afterwards; a
# reader that closes stdout after `ready` does not change the exit status.
source "$(dirname "$0")/lib.sh" "$@"

new_ns NS

note "start, then SIGTERM"
start_serve "$NS" term --tap tap0 --addr 192.0.2.2/24
note "ready after ${READY_MS} ms"
ip -n "$NS" link show dev tap0 >/dev/null || fail "tap0 was not created"
flags=$(ip -n "$NS" -o link show dev tap0)
grep -q '[<,]UP[,>]' <<<"$flags" || fail "netstack did not bring tap0 up: $flags"
grep -q ' mtu 1500 ' <<<"$flags" || fail "default MTU is not 1500: $flags"
grep -q 'mac ' "$SERVE_ERR" || fail "the start-up line on stderr does not give the MAC"
kernel_tap "$NS" tap0
ping_ok "$NS" 192.0.2.2 56 1
stop_serve TERM
note "stopped by SIGTERM in ${STOP_MS} ms"
[[ $(head -n 1 "$SERVE_OUT") == ready ]] || fail "stdout does not start with ready"
nlines=$(wc -l <"$SERVE_OUT")
((nlines >= 3)) || fail "no counters printed after SIGTERM"
if tail -n +2 "$SERVE_OUT" | grep -Ev '^[a-z0-9_]+ [1-9][0-9]*$'; then
	fail "counter lines must be 'name value' with a non-zero value"
fi
expect_stat_ge icmp_echo_rx 1
expect_stat_ge icmp_echo_reply_tx 1
if ip -n "$NS" link show dev tap0 >/dev/null 2>&1; then
	fail "tap0, created by netstack, still exists after it exited"
fi

note "start again on the same name, SIGINT without any traffic"
start_serve "$NS" int --tap tap0 --addr 192.0.2.2/24
stop_serve INT
note "stopped by SIGINT in ${STOP_MS} ms"

note "stdout closed after ready"
t0=$(now_ms)
(
	set +e
	ip netns exec "$NS" "$NETSTACK" serve --tap tap0 --addr 192.0.2.2/24 2>"$WORK/pipe.err" |
		head -n 1 >"$WORK/pipe.first"
	echo "${PIPESTATUS[0]}" >"$WORK/pipe.rc"
) &
sub=$!
PIDS+=("$sub")
while [[ ! -s $WORK/pipe.first ]]; do
	(($(now_ms) - t0 < 2000)) || fail "no ready through a pipe within 2 s"
	sleep 0.02
done
[[ $(cat "$WORK/pipe.first") == ready ]] || fail "first line through a pipe: $(cat "$WORK/pipe.first")"
pid=$(ip netns pids "$NS" | head -n 1)
[[ -n $pid ]] || fail "cannot find the netstack process in $NS"
kill -TERM "$pid"
wait "$sub" || true
forget_pid "$sub"
[[ $(cat "$WORK/pipe.rc") == 0 ]] || fail "exit status $(cat "$WORK/pipe.rc") when stdout was closed after ready"

note "the device is deleted under a running netstack: it says so and exits 1"
start_serve "$NS" gone --tap tap0 --addr 192.0.2.2/24
ip -n "$NS" link del tap0
t0=$(now_ms)
while alive "$SERVE_PID"; do
	(($(now_ms) - t0 < 2000)) || fail "netstack still runs 2 s after its device was deleted"
	sleep 0.02
done
rc=0
wait "$SERVE_PID" || rc=$?
forget_pid "$SERVE_PID"
SERVE_PID=
((rc == 1)) || fail "exit status $rc after the device was deleted, want 1"
grep -q 'went away' "$SERVE_ERR" || fail "no message about the device going away"
