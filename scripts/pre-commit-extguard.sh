#!/usr/bin/env bash
# Entry point of the pre-commit hooks in .pre-commit-hooks.yaml: runs
# `extguard ARGS FILES...`. Uses $EXTGUARD when set, else builds extguard
# (release) in the hook's own clone of this repository once and reuses it.
set -euo pipefail
if [ -z "${EXTGUARD:-}" ]; then
  here="$(cd "$(dirname "$0")/.." && pwd)"
  EXTGUARD="$here/target/release/extguard"
  if [ ! -x "$EXTGUARD" ]; then
    echo "extguard: building (first run only)..." >&2
    cargo build --release --locked -q -p extguard-analyzer --manifest-path "$here/Cargo.toml" >&2
  fi
fi
exec "$EXTGUARD" "$@"
