#!/usr/bin/env bash
# `make bench-corpus`: extguard against pgspot 0.9.4 on real third-party
# extension SQL (40 Debian 12 packages), in the same run: CPU time, wall
# time with 1 and 2 threads and peak RSS of both tools on the same files
# (extguard also with --format jsonl, which keeps every snippet and fingerprint),
# then `extguard scan` of the package trees and of the .debs, and PostGIS
# alone (time, RSS, output size, install chains).
#
# The corpus is fetched into /tmp when missing (Debian's package registry
# only; never committed): CORPUS (default /tmp/extguard-debian) holds
# tree/ and debs/. ROUNDS (default 3) runs of each command; medians shown.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS="${CORPUS:-/tmp/extguard-debian}"
if [ ! -d "$CORPUS/tree" ] || [ ! -d "$CORPUS/debs" ]; then
  fetch=""
  for d in ../shared ../../shared /work/shared; do
    if [ -x "$d/corpus/fetch-debian.sh" ]; then fetch="$d/corpus/fetch-debian.sh"; break; fi
  done
  [ -n "$fetch" ] || { echo "bench-corpus: fetch-debian.sh not found (looked in ../shared/corpus)" >&2; exit 2; }
  DEBS="$CORPUS/debs" bash "$fetch" "$CORPUS/tree"
fi
scripts/pgspot-venv.sh
cargo build -q --release -p extguard-analyzer --bin extguard
python3 bench/corpus.py "$CORPUS" bench/.venv/bin/pgspot target/release/extguard
