#!/usr/bin/env bash
# Idempotent set-up of everything extguard needs on a fresh Debian machine
# (run as root). Safe to run again: each step checks before it installs.
set -euo pipefail

# EXTGUARD_SETUP_PGRX=0 (what `make run` uses): only what the analyzer needs
# -- libclang for pg_query's bindings, PostgreSQL 15 and its contrib for the
# extension directory it scans, pg_config to find it. The pgrx extension
# additionally needs the server headers, sudo, cargo-pgrx and `pgrx init`.
need_pkgs=(postgresql-15 postgresql-contrib libpq-dev libclang-dev clang pkg-config)
if [ "${EXTGUARD_SETUP_PGRX:-1}" = "1" ]; then
  need_pkgs+=(postgresql-server-dev-15 sudo)
fi
# Tools only the tests need: headless Chromium renders the `extguard scan
# --html` report in tests/scan.rs; bubblewrap sandboxes a server for the
# isolation self-check (analyzer/tests/isolation_e2e.rs); lld gives clang
# the wasm-ld that builds the C guest SDK examples (tests/wasm_sdk.rs). `make test` sets
# EXTGUARD_SETUP_TEST=1.
if [ "${EXTGUARD_SETUP_TEST:-0}" = "1" ]; then
  need_pkgs+=(chromium bubblewrap lld)
fi
if [ "${EXTGUARD_SETUP_EXTRA:-}" != "" ]; then
  # shellcheck disable=SC2206
  need_pkgs+=(${EXTGUARD_SETUP_EXTRA})
fi
missing=()
for p in "${need_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${EXTGUARD_SETUP_PGRX:-1}" = "1" ]; then
  if ! cargo pgrx --version 2>/dev/null | grep -q '0\.18\.0'; then
    echo "setup: installing cargo-pgrx 0.18.0" >&2
    cargo install cargo-pgrx --version 0.18.0 --locked
  fi
  pgrx_home="${PGRX_HOME:-$HOME/.pgrx}"
  if ! grep -qs '^pg15 *= *"/usr/bin/pg_config"' "$pgrx_home/config.toml"; then
    echo "setup: cargo pgrx init --pg15 /usr/bin/pg_config" >&2
    cargo pgrx init --pg15 /usr/bin/pg_config
  fi
fi
