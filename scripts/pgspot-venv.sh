#!/usr/bin/env bash
# Install pgspot 0.9.4 from PyPI into bench/.venv (idempotent): the reference
# the parity test and the benchmark compare extguard with.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=bench/.venv
if [ ! -x "$VENV/bin/pgspot" ] || ! "$VENV/bin/pip" show pgspot 2>/dev/null | grep -q '^Version: 0.9.4$'; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q pgspot==0.9.4
fi
