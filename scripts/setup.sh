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
# isolation self-check (analyzer/tests/isolation_e2e.rs); rpm (rpmbuild)
# and umoci build the RPM and OCI image fixtures of
# analyzer/tests/registry_inputs.rs, and skopeo copies the umoci image to
# a docker-archive and an oci-archive tar there; lld gives clang the wasm-ld that
# builds the C guest SDK examples (tests/wasm_sdk.rs). `make test` sets
# EXTGUARD_SETUP_TEST=1.
if [ "${EXTGUARD_SETUP_TEST:-0}" = "1" ]; then
  need_pkgs+=(chromium bubblewrap rpm umoci skopeo lld)
  # node and npm run the AssemblyScript compiler of the AssemblyScript
  # guest SDK (installed below); a node from elsewhere is kept.
  command -v node >/dev/null || need_pkgs+=(nodejs)
  command -v npm >/dev/null || need_pkgs+=(npm)
fi
if [ "${EXTGUARD_SETUP_EXTRA:-}" != "" ]; then
  # shellcheck disable=SC2206
  need_pkgs+=(${EXTGUARD_SETUP_EXTRA})
fi
# The Rust guest SDK's examples (tests/wasm_sdk.rs) build for
# wasm32-unknown-unknown.
if [ "${EXTGUARD_SETUP_TEST:-0}" = "1" ] && command -v rustup >/dev/null; then
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    echo "setup: adding the rustup target wasm32-unknown-unknown" >&2
    rustup target add wasm32-unknown-unknown
  fi
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

# The AssemblyScript compiler for sdk/assemblyscript's examples
# (tests/wasm_sdk.rs): exactly the version package-lock.json pins, into
# sdk/assemblyscript/node_modules (never global), reinstalled only when
# missing or not that version.
if [ "${EXTGUARD_SETUP_TEST:-0}" = "1" ]; then
  as_dir="$(cd "$(dirname "$0")/.." && pwd)/sdk/assemblyscript"
  as_want="$(node -p 'require(process.argv[1]).packages["node_modules/assemblyscript"].version' "$as_dir/package-lock.json")"
  as_have="$(node -p 'require(process.argv[1]).version' "$as_dir/node_modules/assemblyscript/package.json" 2>/dev/null || true)"
  if [ "$as_have" != "$as_want" ]; then
    echo "setup: npm ci in sdk/assemblyscript (assemblyscript $as_want)" >&2
    (cd "$as_dir" && npm ci --no-audit --no-fund)
  fi
fi

if [ "${EXTGUARD_SETUP_PGRX:-1}" = "1" ]; then
  if ! cargo pgrx --version 2>/dev/null | grep -q '0\.18\.0'; then
    echo "setup: installing cargo-pgrx 0.18.0" >&2
    cargo install cargo-pgrx --version 0.18.0 --locked
  fi
  # pgrx's config names one pg_config per major version. `cargo pgrx
  # init` rewrites the whole file, so it is given every version wanted now
  # (EXTGUARD_PG_VERSIONS, default 15) plus every one configured before.
  pgrx_home="${PGRX_HOME:-$HOME/.pgrx}"
  cfg="$pgrx_home/config.toml"
  want=" ${EXTGUARD_PG_VERSIONS:-15} "
  for v in 15 16 17 18; do
    if grep -qs "^pg$v *= *\"" "$cfg" && [[ "$want" != *" $v "* ]]; then want+="$v "; fi
  done
  init_args=()
  stale=0
  for v in $want; do
    pgc="$("$(dirname "$0")/pg.sh" "$v" | tail -n1)"
    init_args+=("--pg$v" "$pgc")
    grep -qs "^pg$v *= *\"$pgc\"" "$cfg" || stale=1
  done
  if [ "$stale" = 1 ]; then
    echo "setup: cargo pgrx init ${init_args[*]}" >&2
    cargo pgrx init "${init_args[@]}"
  fi
fi

# Builds and tests install extguard into the copies under
# /var/cache/extguard/pg only. Test runs of older versions of this tree
# installed their (dev profile) build into Debian's PostgreSQL 15: such
# leftovers are removed. A release build there is `make install PG=15`'s,
# a user's choice, and stays.
sys_lib=/usr/lib/postgresql/15/lib/extguard.so
if [ -f "$sys_lib" ] && grep -qa '\.debug_line' "$sys_lib"; then
  echo "setup: removing a test build of extguard from the system PostgreSQL 15" >&2
  rm -f "$sys_lib" /usr/share/postgresql/15/extension/extguard.control \
    /usr/share/postgresql/15/extension/extguard--*.sql
fi
