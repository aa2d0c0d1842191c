# The two commands (see README.md):
#   make run    - set up, build, and scan the local PostgreSQL's extension directory
#   make test   - set up and run every test (this is what .ci/run calls)
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: pg-config setup setup-analyzer setup-test run install test lint test-rust test-pg bench bench-pg bench-scan bench-wasm bench-corpus

setup:
	./scripts/setup.sh

# PostgreSQL $(PG) (15 to 18) set up if missing under /var/cache/extguard/pg
# (15: Debian's); the last line printed is the path of its pg_config.
PG ?= 15
pg-config:
	@./scripts/pg.sh $(PG)

# what the analyzer alone needs (no cargo-pgrx, no `cargo pgrx init`)
setup-analyzer:
	EXTGUARD_SETUP_PGRX=0 ./scripts/setup.sh

# setup plus what only the tests need (chromium for the HTML report test)
setup-test:
	EXTGUARD_SETUP_TEST=1 ./scripts/setup.sh

# Exit status 1 only means "findings were reported", which is the expected
# result of scanning a stock installation; 2 (usage or I/O error) fails.
run: setup-analyzer
	$(CARGO) build --release -p extguard-analyzer
	./target/release/extguard || [ $$? -eq 1 ]

# The extension as users install it: a release build of pg_ext into
# $(PG_CONFIG)'s PostgreSQL (then shared_preload_libraries + CREATE EXTENSION).
PG_CONFIG ?= /usr/bin/pg_config
install: setup
	cd pg_ext && $(CARGO) pgrx install --release --pg-config $(PG_CONFIG) --features pg15

test: setup-test lint test-rust test-pg

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings
	cd pg_ext && $(CARGO) clippy --features "pg15 pg_test" --all-targets -- -D warnings

test-rust:
	./scripts/pgspot-venv.sh
	./scripts/pre-commit-venv.sh
	$(CARGO) test

# pg_ext: pgrx tests (in a server pgrx starts, extguard preloaded), then
# the escape battery (corpus/escapes) against a server the e2e test starts,
# and the isolation self-check against a plain and a bubblewrap server.
# PostgreSQL refuses to run as root, so both run the server as `postgres`.
# Under /tmp, not target/: the postgres user must be able to reach it even
# when the clone lives in a directory only root can traverse.
PGRX_PGDATA ?= /tmp/extguard-pgrx-test-data
test-pg:
	mkdir -p $(PGRX_PGDATA) && chown postgres: $(PGRX_PGDATA)
	cd pg_ext && $(CARGO) pgrx test pg15 --runas postgres --pgdata $(PGRX_PGDATA)
	cd pg_ext && $(CARGO) pgrx install --pg-config /usr/bin/pg_config --features pg15
	# same package set as test-rust, so nothing is rebuilt with other features
	EXTGUARD_E2E=1 $(CARGO) test --test escapes --test isolation_e2e -- --test-threads=1
	EXTGUARD_E2E=1 $(CARGO) test --test wasm_containment --test wasm_types --test wasm_sdk --test wasm_spi -- --test-threads=1

bench-pg:
	./bench/pg_ext_pgbench.sh

bench:
	./bench/run.sh

# extguard scan over a synthetic registry (issue 5)
bench-scan:
	./bench/scan.sh

# extguard vs pgspot on 40 real Debian extension packages (fetched into /tmp)
bench-corpus:
	./bench/corpus.sh

# Sandbox-level wasm call overhead, compute loop and interrupt latency.
bench-wasm:
	./bench/wasm_calls.sh
