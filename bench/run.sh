#!/usr/bin/env bash
# One command for the analyzer benchmarks:
#   extguard vs pgspot 0.9.4 on PostgreSQL 15 contrib's extension scripts,
#   one process over all files and one process per file, in the same run;
#   extguard's analysis time against pg_query's bare parse of the same files.
# pgspot comes from PyPI into bench/.venv. Results are printed as ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTDIR="${EXTDIR:-$(pg_config --sharedir)/extension}"
VENV=bench/.venv
scripts/pgspot-venv.sh
cargo build -q --release -p extguard-analyzer --bin extguard --example parse_vs_analyze
python3 bench/compare_pgspot.py "$EXTDIR" "$VENV/bin/pgspot" target/release/extguard target/release/examples/parse_vs_analyze
if [ -x bench/pg_ext_pgbench.sh ] && [ "${BENCH_ALL:-0}" = 1 ]; then bench/pg_ext_pgbench.sh; fi
