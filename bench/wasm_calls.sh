#!/usr/bin/env bash
# Wasm sandbox benchmark: per-call overhead of a trivial function, cost of a
# fresh instance, a compute-bound loop against Rust, interrupt latency.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run -q -p extguard-sandbox --example bench_calls
