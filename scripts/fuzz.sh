#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the libFuzzer targets with clang (library and targets instrumented, ASan+UBSan) into
# build-fuzz/ and run each for FUZZ_SECONDS (60) seconds from its seed corpus (fuzz/corpus/;
# fuzz_frags: fuzz/corpus-frags/; fuzz_tcp: fuzz/corpus-tcp/). New inputs go to
# build-fuzz/corpus-<target>/, never into the source tree; a crash, a sanitizer report, a
# leak or a timeout fails the run and leaves the input in build-fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
JOBS=${JOBS:-$(nproc)}
B=build-fuzz

cmake -S . -B "$B" -DCMAKE_C_COMPILER=clang -DNS_FUZZ=ON -DNS_SANITIZE=OFF -DNS_TESTS=OFF -DNS_WERROR=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$B" -j"$JOBS" --target fuzz_frame fuzz_frags fuzz_tcp

mkdir -p "$B/artifacts"
# fuzz_frame: whole frames on the inbound path; fuzz_frags: whole fragment exchanges
# (fuzz/fuzz_frags.c); fuzz_tcp: one TCP connection's life past the handshake
# (fuzz/fuzz_tcp.c).
for target in fuzz_frame fuzz_frags fuzz_tcp; do
	corpus="$B/corpus-$target"
	case $target in
	fuzz_frags) seeds=fuzz/corpus-frags ;;
	fuzz_tcp) seeds=fuzz/corpus-tcp ;;
	*) seeds=fuzz/corpus ;;
	esac
	mkdir -p "$corpus"
	echo "fuzz: $target for ${FUZZ_SECONDS} s"
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		"$B/fuzz/$target" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$B/artifacts/$target-" \
		"$corpus" "$seeds" 2>"$B/$target.log" || {
		tail -n 60 "$B/$target.log" >&2
		echo "fuzz: $target FAILED (log: $B/$target.log, inputs: $B/artifacts/)" >&2
		exit 1
	}
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$B/$target.log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$B/$target.log" | tail -n 1)
	echo "fuzz: $target passed: ${runs:-?} runs, ${cov:-cov: ?}, no crash"
done
