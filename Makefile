# The two commands (see README.md):
#   make run    - set up, build, and scan the local PostgreSQL's extension directory
#   make test   - set up and run every test (this is what .ci/run calls)
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: setup run test lint test-rust test-pg bench bench-wasm

setup:
	./scripts/setup.sh

# Exit status 1 only means "findings were reported", which is the expected
# result of scanning a stock installation; 2 (usage or I/O error) fails.
run: setup
	$(CARGO) build --release -p extguard-analyzer
	./target/release/extguard || [ $$? -eq 1 ]

test: setup lint test-rust test-pg

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

test-rust:
	$(CARGO) test

test-pg:
	@echo "pg_ext tests: added with the pg_ext issue"

bench:
	./bench/run.sh

# Sandbox-level wasm call overhead, compute loop and interrupt latency.
bench-wasm:
	./bench/wasm_calls.sh
