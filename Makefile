# SPDX-License-Identifier: MIT
# Short commands over CMake. `make test` and `make demo` need root (packages, namespaces).
BUILD ?= build
JOBS ?= $(shell nproc)
PREFIX ?=

.PHONY: all build test demo install format fuzz deps clean bench

all: build

build:
	cmake -S . -B $(BUILD) -DNS_WERROR=ON
	cmake --build $(BUILD) -j$(JOBS)

# Everything CI runs: deps, gcc build + tests, clang ASan+UBSan build + tests, fuzzing.
test:
	bash scripts/test.sh

# The main job: netstack on a TAP in its own network namespace, seen from the kernel.
demo: deps
	$(MAKE) --no-print-directory build
	bash scripts/demo.sh $(BUILD)/netstack

deps:
	bash scripts/deps.sh

install: build
	cmake --install $(BUILD) $(if $(PREFIX),--prefix $(PREFIX))

format:
	clang-format -i $$(find include src tools tests fuzz bench -name '*.[ch]' 2>/dev/null)

fuzz:
	bash scripts/fuzz.sh

# Throughput, 1-byte RR, conn/s and idle memory: netstack vs lwIP vs the kernel, one run
# (root; QUICK=1 for about a minute). Not part of `make test`; docs/PERFORMANCE.md.
bench:
	cmake -S . -B build-bench -DNS_WERROR=ON -DNS_TESTS=OFF -DNS_BENCH=ON
	cmake --build build-bench -j$(JOBS)
	bash bench/run.sh build-bench

clean:
	rm -rf build build-asan build-fuzz
