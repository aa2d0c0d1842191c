#!/usr/bin/env bash
# Install pre-commit from PyPI into bench/.venv (idempotent), next to
# pgspot: the test of .pre-commit-hooks.yaml runs the real pre-commit.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=bench/.venv
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
if [ ! -x "$VENV/bin/pre-commit" ]; then
  "$VENV/bin/pip" install -q 'pre-commit>=3,<5'
fi
