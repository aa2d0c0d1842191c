# The two commands (see README.md):
#   make run    - set up, build, and scan the local PostgreSQL's extension directory
#   make test   - set up and run every test (this is what .ci/run calls)
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: pg-config setup setup-analyzer setup-test run install test lint test-rust test-pg test-pg-one bench bench-pg bench-scan bench-wasm bench-corpus

# PostgreSQL major versions (15 to 18): PG is the one `make pg-config`,
# `make install` and `make bench-pg` work on; `make test` builds, lints and
# tests the extension on every one in PG_VERSIONS.
PG ?= 15
PG_VERSIONS ?= 15 16 17 18

setup:
	./scripts/setup.sh

# PostgreSQL $(PG) set up if missing under /var/cache/extguard/pg (15: a
# private copy of Debian's, which builds and tests use so that nothing is
# written into the system PostgreSQL); the last line printed is the path
# of its pg_config.
pg-config:
	@./scripts/pg.sh $(PG)

# what the analyzer alone needs (no cargo-pgrx, no `cargo pgrx init`)
setup-analyzer:
	EXTGUARD_SETUP_PGRX=0 ./scripts/setup.sh

# setup plus what only the tests need (chromium for the HTML report test,
# every PostgreSQL in PG_VERSIONS and pgrx configured for each)
setup-test:
	EXTGUARD_SETUP_TEST=1 EXTGUARD_PG_VERSIONS="$(PG_VERSIONS)" ./scripts/setup.sh

# Exit status 1 only means "findings were reported", which is the expected
# result of scanning a stock installation; 2 (usage or I/O error) fails.
run: setup-analyzer
	$(CARGO) build --release -p extguard-analyzer
	./target/release/extguard || [ $$? -eq 1 ]

# The extension as users install it: a release build of pg_ext for
# PostgreSQL $(PG) into that server (then shared_preload_libraries + CREATE
# EXTENSION). 15 is Debian's server itself, 16-18 the ones in the cache;
# PG_CONFIG=... names another installation of version $(PG).
PG_CONFIG ?=
install:
	EXTGUARD_PG_VERSIONS="$(PG)" ./scripts/setup.sh
	pgc="$(PG_CONFIG)"; \
	  if [ -z "$$pgc" ] && [ "$(PG)" = 15 ]; then pgc=/usr/lib/postgresql/15/bin/pg_config; fi; \
	  if [ -z "$$pgc" ]; then pgc="$$(./scripts/pg.sh $(PG) | tail -n1)"; fi; \
	  cd pg_ext && $(CARGO) pgrx install --release --pg-config "$$pgc" \
	    --no-default-features --features pg$(PG)

test: setup-test lint test-rust test-pg

# The Rust guest SDK (sdk/rust) is its own workspace, built for wasm32.
SDK_RUST_MANIFEST = --manifest-path sdk/rust/Cargo.toml
SDK_RUST = $(SDK_RUST_MANIFEST) --target-dir target/sdk-rust

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) fmt $(SDK_RUST_MANIFEST) -- --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) clippy $(SDK_RUST) --target wasm32-unknown-unknown --lib --examples -- -D warnings
	node sdk/assemblyscript/build.mjs --check
	for v in $(PG_VERSIONS); do \
	  (cd pg_ext && $(CARGO) clippy --no-default-features --features "pg$$v pg_test" \
	    --all-targets -- -D warnings) || exit 1; \
	done

test-rust:
	./scripts/pgspot-venv.sh
	./scripts/pre-commit-venv.sh
	$(CARGO) test
	$(CARGO) test $(SDK_RUST) --lib

# pg_ext, for each version in PG_VERSIONS in turn: pgrx tests (in a
# server pgrx starts, extguard preloaded), then the escape battery
# (corpus/escapes) and the wasm language's e2e tests (containment, types,
# SPI, the C SDK) against
# servers the e2e tests start, and (once, on 15) the isolation self-check
# against a plain and a bubblewrap server. Every server and install is the
# version's copy in the cache (`scripts/pg.sh N`), never the system
# PostgreSQL. PostgreSQL refuses to run as root, so the servers run as
# `postgres`. Data directories under /tmp, not target/: the postgres user
# must be able to reach them even when the clone lives in a directory only
# root can traverse. The e2e crates are built with the same package set
# as test-rust, so nothing is rebuilt for them.
PGRX_PGDATA ?= /tmp/extguard-pgrx-test-data
test-pg:
	for v in $(PG_VERSIONS); do $(MAKE) --no-print-directory test-pg-one PG=$$v || exit 1; done

test-pg-one:
	mkdir -p $(PGRX_PGDATA)-$(PG) && chown postgres: $(PGRX_PGDATA)-$(PG)
	cd pg_ext && $(CARGO) pgrx test pg$(PG) --runas postgres --pgdata $(PGRX_PGDATA)-$(PG)
	pgc="$$(./scripts/pg.sh $(PG) | tail -n1)" && \
	  (cd pg_ext && $(CARGO) pgrx install --pg-config "$$pgc" --no-default-features --features pg$(PG)) && \
	  export EXTGUARD_E2E=1 EXTGUARD_PG_CONFIG="$$pgc" && \
	  $(CARGO) build -p extguard-analyzer --bin extguard && \
	  $(CARGO) test --test escapes --test digest_gate $(if $(filter 15,$(PG)),--test isolation_e2e) -- --test-threads=1 && \
	  $(CARGO) test --test wasm_containment --test wasm_types --test wasm_sdk --test wasm_spi --test wasm_rows -- --test-threads=1

bench-pg:
	PG=$(PG) ./bench/pg_ext_pgbench.sh

bench:
	./bench/run.sh

# extguard scan over a synthetic registry
bench-scan:
	./bench/scan.sh

# extguard vs pgspot on 40 real Debian extension packages (fetched into /tmp)
bench-corpus:
	./bench/corpus.sh

# Sandbox-level wasm call overhead, compute loop and interrupt latency.
bench-wasm:
	./bench/wasm_calls.sh
