# wasio: the front door. `make run` shows it working, `make test` checks it.

CARGO ?= cargo
WASM_TARGET := wasm32-wasip1
# WASI 0.2 components: programs written for stock tokio (guest-p2/).
P2_TARGET := wasm32-wasip2
WASI_TESTSUITE ?= $(abspath ../shared/wasi-testsuite)
# cargo's target directory: $(CARGO_TARGET_DIR) when set (many users set it
# globally), else ./target. Cargo itself reads the same variable.
ifneq ($(CARGO_TARGET_DIR),)
override CARGO_TARGET_DIR := $(abspath $(CARGO_TARGET_DIR))
export CARGO_TARGET_DIR
TARGET_DIR := $(CARGO_TARGET_DIR)
else
TARGET_DIR := $(CURDIR)/target
endif
HOST := $(TARGET_DIR)/debug/wasio

.PHONY: all setup build build-host build-guests test test-musl run conformance tokio-conformance bench soak fuzz fuzz-setup fmt clippy lint clean

all: build

## Install what the build needs if it is missing: the toolchain pinned in
## rust-toolchain.toml, with its components and both wasm targets (rustup
## does not always install it by itself: RUSTUP_AUTO_INSTALL=0).
setup:
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust (https://rustup.rs)"; exit 1; }
	@if command -v rustup >/dev/null; then \
	  rustup toolchain install >/dev/null; \
	  for t in $(WASM_TARGET) $(P2_TARGET); do \
	    rustup target list --installed | grep -qx $$t || rustup target add $$t; \
	  done; \
	else \
	  for t in $(WASM_TARGET) $(P2_TARGET); do \
	    rustc --print target-libdir --target $$t >/dev/null 2>&1 || \
	    { echo "the $$t target is missing and rustup is not available"; exit 1; }; \
	  done; \
	fi

## The host, the native builds of everything, and the wasm guests (all
## but the bench's driver, load generator and tokio reference servers,
## which only `make bench` builds).
build: setup build-host build-guests

build-host: setup
	$(CARGO) build --workspace --all-targets

build-guests: setup
	$(CARGO) build -p wasio-examples --bins --examples --target $(WASM_TARGET)
	$(CARGO) build -p wasio-bench --bin tokio-echo --bin idle-server --target $(WASM_TARGET)
	$(CARGO) build -p wasio-p2-examples --bins --features ecosystem --target $(P2_TARGET)

# Runs wasm test binaries under our host: a scratch dir is preopened as
# /tmp, and the network is granted on 127.0.0.1 only.
WASM_TMP := $(TARGET_DIR)/wasm-tmp
WASM_NET := --allow-listen 127.0.0.1 --allow-connect 127.0.0.1 \
	--allow-udp-bind 127.0.0.1 --allow-udp-send 127.0.0.1 --allow-dns
WASM_RUNNER := $(HOST) run --dir $(WASM_TMP)::/tmp --env TMPDIR=/tmp $(WASM_NET) --
WASM_RUNNER_ONEOFF := $(HOST) run --dir $(WASM_TMP)::/tmp --env TMPDIR=/tmp --env WASIO_WAIT=poll_oneoff $(WASM_NET) --

## Every test: unit and end-to-end tests natively, then the runtime's own
## tests (unit, integration, doc) built for wasm32-wasip1 under `wasio run`,
## twice: waiting with wasio_poll_v1 (the default once a guest has sockets)
## and with plain poll_oneoff (WASIO_WAIT=poll_oneoff).
test: build
	$(CARGO) test --workspace
	mkdir -p $(WASM_TMP)
	CARGO_TARGET_WASM32_WASIP1_RUNNER="$(WASM_RUNNER)" $(CARGO) test -p wasio --target $(WASM_TARGET)
	CARGO_TARGET_WASM32_WASIP1_RUNNER="$(WASM_RUNNER_ONEOFF)" $(CARGO) test -p wasio --target $(WASM_TARGET)

## docs/deploy.md's static musl build, built and run (minutes cold; needs
## musl-tools and the x86_64-unknown-linux-musl target, as the recipe says).
test-musl: build-host
	WASIO_TEST_MUSL=1 $(CARGO) test -p wasio-tests --test docs deploy_musl

## The main demo: a guest doing file and socket work under the host.
## Builds only what it runs: the host, the demo driver and its guests.
DEMO_GUESTS := --bin fs-tour --bin echo-tcp --bin http-hello --bin net-probe --bin sandbox-probe
run: setup
	$(CARGO) build -p wasio-host --bin wasio
	$(CARGO) build -p wasio-tests --bin demo
	$(CARGO) build -p wasio-examples $(DEMO_GUESTS) --target $(WASM_TARGET)
	$(TARGET_DIR)/debug/demo

## The WASI preview1 conformance suite (data in ../shared/wasi-testsuite by
## default; override with WASI_TESTSUITE=...), plain and strict-errno.
conformance: build-host
	@if [ ! -d "$(WASI_TESTSUITE)/tests" ]; then \
	  echo "conformance: no WASI test suite at $(WASI_TESTSUITE)"; \
	  echo "conformance: set WASI_TESTSUITE=/path/to/wasi-testsuite (prebuilt wasm32-wasip1 tests)"; \
	  if [ -n "$$CI" ]; then exit 1; fi; \
	  echo "conformance: SKIPPED (outside CI a missing suite is not a failure)"; \
	  exit 0; \
	fi
	$(TARGET_DIR)/debug/conformance "$(WASI_TESTSUITE)"
	$(TARGET_DIR)/debug/conformance --errno-mode-unix "$(WASI_TESTSUITE)"

## tokio's own integration tests (the tokio crate Cargo.lock pins), each
## file ported by the rename alone: built and run natively and under
## `wasio run`, one test per process. Prints passed / failed / not
## compiled per file; fails below the counts in
## tests/tokio-conformance/expected.txt. Scope: tests/tokio-conformance/scope.txt.
## Then mini-redis (tokio's example server), ported by the rename alone:
## its tests, natively and under `wasio run`, must all pass.
tokio-conformance: build-host
	$(CARGO) build -q -p wasio-tests --bin tokio-conformance --bin port-mini-redis
	$(TARGET_DIR)/debug/tokio-conformance
	$(TARGET_DIR)/debug/port-mini-redis

## Benchmarks. Only this target builds the bench driver, the load
## generator and the tokio reference servers (wasio-bench's `reference`
## feature: ring, rcgen and their stacks). The host is a release build; every program a row compares
## (the wasm guests, the native wasio builds and the tokio references) is
## built alike with the `release-lto` profile: release plus fat LTO and one
## codegen unit, the production profile docs/performance.md recommends.
## QUICK=1 for a short smoke run; ONLY=echo,http,idle for some sections
## (runtime, idle, copy, start-up, echo, http, hyper, axum, workers, tls).
## Prints a table and writes
## bench/results/latest.{md,json}.
BENCH_PROFILE ?= release-lto
BENCH_BINS := --bin bench --bin loadgen --bin rt-bench --bin idle-server --bin fs-copy \
  --bin std-copy --bin tokio-echo --bin tokio-hyper --bin tokio-axum \
  --bin tokio-tls
BENCH_P2 := --bin p2-echo --bin p2-http --bin p2-idle
BENCH_EXAMPLES := --bin echo-tcp --bin http-hello --bin args-env \
  --example hyper-hello --example axum-json --example tls-echo
bench: setup
	$(CARGO) build --release -p wasio-host
	$(CARGO) build --profile $(BENCH_PROFILE) -p wasio-bench --features reference $(BENCH_BINS)
	$(CARGO) build --profile $(BENCH_PROFILE) -p wasio-examples $(BENCH_EXAMPLES)
	$(CARGO) build --profile $(BENCH_PROFILE) -p wasio-bench --bin rt-bench --bin idle-server \
	  --bin fs-copy --target $(WASM_TARGET)
	$(CARGO) build --profile $(BENCH_PROFILE) -p wasio-examples $(BENCH_EXAMPLES) --target $(WASM_TARGET)
	$(CARGO) build --profile $(BENCH_PROFILE) -p wasio-p2-examples $(BENCH_P2)
	$(CARGO) build --profile $(BENCH_PROFILE) -p wasio-p2-examples $(BENCH_P2) --target $(P2_TARGET)
	$(TARGET_DIR)/$(BENCH_PROFILE)/bench --profile $(BENCH_PROFILE) $(if $(QUICK),--quick,) \
	  $(if $(ONLY),--only $(ONLY),)

## The stress tests in full: every soak probe against the example servers
## under `wasio run` for SOAK_SECS each, then the full forms of the churn
## (100,000 connections in 8 MiB) and scale (15,000 idle connections)
## tests. `make test` runs short forms of all three (3 s per probe, 20,000
## connections in 2 MiB, 5,000 idle).
SOAK_SECS ?= 60
soak: build
	$(TARGET_DIR)/debug/soak --secs $(SOAK_SECS)
	WASIO_STRESS=full $(CARGO) test -p wasio-tests --test abuse --test scale -- \
	  echo_tcp_churns_connections_in_bounded_memory thousands_of_idle_connections_stay_idle

## Coverage-guided fuzzing of the host (nightly + cargo-fuzz, installed here
## if missing): each target runs FUZZ_SECS seconds. New corpus entries go to
## fuzz/corpus/TARGET, crashes to fuzz/artifacts/TARGET; keep a fixed crash
## in fuzz/regressions/TARGET, which `make test` replays.
FUZZ_SECS ?= 60
FUZZ_TARGETS ?= wasi_calls policy_rules cli_values component_sockets
FUZZ := $(CARGO) +nightly fuzz
FUZZ_FLAGS := --sanitizer none --target-dir $(TARGET_DIR)/fuzz --fuzz-dir fuzz
fuzz-setup:
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@$(CARGO) fuzz --version >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked
fuzz: fuzz-setup
	$(FUZZ) build $(FUZZ_FLAGS)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/corpus/$$t fuzz/regressions/$$t; \
	  echo "== fuzz $$t for $(FUZZ_SECS) s"; \
	  $(FUZZ) run $(FUZZ_FLAGS) $$t fuzz/corpus/$$t fuzz/regressions/$$t -- \
	    -max_total_time=$(FUZZ_SECS) -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
	    || exit 1; \
	done

fmt:
	$(CARGO) fmt --all

clippy:
	$(CARGO) clippy --workspace --all-targets --features wasio-bench/reference -- -D warnings
	$(CARGO) clippy -p wasio -p wasio-examples --all-targets --target $(WASM_TARGET) -- -D warnings
	$(CARGO) clippy -p wasio-p2-examples --all-targets --features ecosystem --target $(P2_TARGET) -- -D warnings

lint: setup
	$(CARGO) fmt --all -- --check
	$(MAKE) clippy

clean:
	$(CARGO) clean
