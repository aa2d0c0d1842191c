# The two commands (see README.md):
#   make run    - set up, build, and scan the local PostgreSQL's extension directory
#   make test   - set up and run every test (this is what .ci/run calls)
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: setup setup-test run test lint test-rust test-pg bench bench-scan

setup:
	./scripts/setup.sh

# setup plus what only the tests need (chromium for the HTML report test)
setup-test:
	EXTGUARD_SETUP_TEST=1 ./scripts/setup.sh

# Exit status 1 only means "findings were reported", which is the expected
# result of scanning a stock installation; 2 (usage or I/O error) fails.
run: setup
	$(CARGO) build --release -p extguard-analyzer
	./target/release/extguard || [ $$? -eq 1 ]

test: setup-test lint test-rust test-pg

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

test-rust:
	./scripts/pgspot-venv.sh
	$(CARGO) test

test-pg:
	@echo "pg_ext tests: added with the pg_ext issue"

bench:
	./bench/run.sh

# extguard scan over a synthetic registry (issue 5)
bench-scan:
	./bench/scan.sh
