#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What `make test` and CI run, in order:
#   1. scripts/deps.sh: install the Debian packages the tests need (fast when present),
#      then check that every C file is clang-formatted (.clang-format at the root);
#   2. build with gcc and -Werror into build/ and run every ctest test (wire, unit, packet,
#      interop);
#   3. build with clang, -Werror and ASan+UBSan into build-asan/ and run every test again
#      (the interop tests then drive the sanitized netstack binary);
#   4. build the fuzz targets with clang and run each for about a minute (scripts/fuzz.sh).
# Stops at the first failure; the last line says what passed or what failed.
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS=${JOBS:-$(nproc)}
t0=$(date +%s)
stage="dependencies"
on_exit() {
	local rc=$?
	if [[ $rc -ne 0 ]]; then
		echo
		echo "make test: FAILED in: $stage (after $(($(date +%s) - t0)) s)"
	fi
}
trap on_exit EXIT

banner() { printf '\n==== %s\n' "$*"; }

banner "dependencies"
bash scripts/deps.sh

run_ctest() { # BUILD_DIR
	(cd "$1" && ctest --output-on-failure -j"$JOBS" --timeout 600)
}

stage="formatting (clang-format)"
banner "$stage"
# The root .clang-format is the style: every C file must already be in it (`make format`).
unformatted=()
while IFS= read -r f; do
	clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || unformatted+=("$f")
done < <(git ls-files 'include/*.h' 'src/*.[ch]' 'tools/*.[ch]' 'tests/*.[ch]' 'fuzz/*.[ch]' 'bench/*.[ch]' 2>/dev/null ||
	find include src tools tests fuzz bench -name '*.[ch]')
if [[ ${#unformatted[@]} -ne 0 ]]; then
	echo "not clang-formatted (run make format): ${unformatted[*]}" >&2
	exit 1
fi
echo "all C files clang-formatted"

stage="build (gcc, -Werror)"
banner "$stage"
cmake -S . -B build -DCMAKE_C_COMPILER=gcc -DNS_WERROR=ON -DNS_SANITIZE=OFF -DNS_FUZZ=OFF -DNS_TESTS=ON
cmake --build build -j"$JOBS"

stage="tests (gcc build)"
banner "$stage"
run_ctest build
normal=$(cd build && ctest -N | sed -n 's/^Total Tests: //p')

stage="build (clang, -Werror, ASan+UBSan)"
banner "$stage"
cmake -S . -B build-asan -DCMAKE_C_COMPILER=clang -DNS_SANITIZE=ON -DNS_WERROR=ON -DNS_FUZZ=OFF -DNS_TESTS=ON
cmake --build build-asan -j"$JOBS"

stage="tests under ASan+UBSan"
banner "$stage"
export ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_ctest build-asan
unset ASAN_OPTIONS UBSAN_OPTIONS

stage="fuzzing"
banner "$stage"
bash scripts/fuzz.sh

stage="done"
echo
echo "make test: PASSED: $normal tests (gcc), $normal tests under ASan+UBSan (clang), fuzz_frame, fuzz_frags and fuzz_tcp ${FUZZ_SECONDS:-60} s each without a finding, in $(($(date +%s) - t0)) s"
