#!/usr/bin/env bash
# Run every fuzz target for SECONDS (default 60) each and print executions
# and crashes per target.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# The fuzzer is libFuzzer (through the libfuzzer-sys crate) on stable Rust:
# coverage instrumentation comes from LLVM's sancov pass, which stable rustc
# runs with -C passes=sancov-module; no nightly, no sanitizer runtime.
# Seeds come from corpus/ (and fuzz/seeds/); the growing corpus is kept in
# fuzz/corpus/TARGET and crashing inputs in fuzz/artifacts/TARGET. Copy a
# crash to corpus/fuzz-regressions/TARGET/ and `cargo test -p
# extguard-analyzer --test fuzz_regressions` replays it (target sandbox:
# `cargo test -p extguard-sandbox --test fuzz_regressions`).
set -euo pipefail

SECONDS_PER_TARGET=${1:-60}
shift || true
ALL_TARGETS=(sql plpgsql control wasm archive rpm image trunk pgtle sandbox)
TARGETS=("${@:-${ALL_TARGETS[@]}}")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL_TARGETS[@]}")

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
triple=$(rustc -vV | sed -n 's/^host: //p')

# What the build needs: a C++ compiler for libFuzzer itself (the crates come
# through cargo).
if ! command -v c++ >/dev/null && ! command -v clang++ >/dev/null; then
    echo "fuzz: installing a C++ compiler for libFuzzer" >&2
    apt-get update -qq && apt-get install -y -qq g++ >/dev/null
fi

# Instrument our Rust code for libFuzzer (the same flags cargo-fuzz passes
# with --sanitizer none). --target keeps them off build scripts.
export RUSTFLAGS="-Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares \
-Cllvm-args=-sanitizer-coverage-stack-depth \
--cfg fuzzing -Cdebug-assertions -Coverflow-checks"
cargo build --release --manifest-path "$here/Cargo.toml" --target "$triple" \
    --target-dir "$here/target" --bins >&2
bin="$here/target/$triple/release"

# Seed directories for a target (the fuzzer reads every file in them).
seeds() {
    local dir="$here/target/seeds/$1"
    rm -rf "$dir" && mkdir -p "$dir"
    case $1 in
    sql | plpgsql) cp "$root"/corpus/rules/*.sql "$dir"/ 2>/dev/null || true
        for f in "$root"/corpus/extensions/*/*.sql; do cp "$f" "$dir/ext-$(basename "$f")"; done ;;
    control) for f in "$root"/corpus/extensions/*/*.control; do cp "$f" "$dir"/; done ;;
    wasm) cp "$root"/corpus/wasm/*.wasm "$root"/corpus/wasm/*.wat "$dir"/ 2>/dev/null || true ;;
    # WAT text as is (the sandbox loads it too); the binaries are in
    # fuzz/seeds/sandbox (kept equal to corpus/wasm by a sandbox test).
    sandbox) cp "$root"/corpus/wasm/*.wat "$dir"/ 2>/dev/null || true ;;
    # archive: fuzz/seeds/archive (made by fuzz/seeds/make_archive_seeds.py)
    esac
    [ -d "$here/seeds/$1" ] && cp "$here/seeds/$1"/* "$dir"/ 2>/dev/null || true
    [ -d "$root/corpus/fuzz-regressions/$1" ] && cp "$root/corpus/fuzz-regressions/$1"/* "$dir"/ 2>/dev/null || true
    echo "$dir"
}

declare -A EXECS CRASHES
for t in "${TARGETS[@]}"; do
    corpus="$here/corpus/$t"
    artifacts="$here/artifacts/$t"
    mkdir -p "$corpus" "$artifacts"
    seed_dir=$(seeds "$t")
    dict=()
    [ -f "$here/dict/$t.dict" ] && dict=("-dict=$here/dict/$t.dict")
    execs=0 crashes=0
    end=$(($(date +%s) + SECONDS_PER_TARGET))
    # libFuzzer stops at the first crash: start it again for the time left.
    while :; do
        left=$((end - $(date +%s)))
        [ "$left" -le 0 ] && break
        log="$here/target/$t.log"
        status=0
        "$bin/$t" "$corpus" "$seed_dir" "${dict[@]}" \
            -max_total_time="$left" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1 || status=$?
        n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        execs=$((execs + ${n:-0}))
        if [ "$status" -ne 0 ]; then
            crashes=$((crashes + 1))
            echo "fuzz: $t crashed (status $status):" >&2
            grep -E "panicked|^==|Test unit written" "$log" | head -5 >&2 || true
            cp "$log" "$artifacts/crash-$(date +%s).log"
        fi
    done
    EXECS[$t]=$execs
    CRASHES[$t]=$crashes
done

printf '%-10s %14s %8s\n' target executions crashes
total=0
for t in "${TARGETS[@]}"; do
    printf '%-10s %14s %8s\n' "$t" "${EXECS[$t]}" "${CRASHES[$t]}"
    total=$((total + CRASHES[$t]))
done
[ "$total" -eq 0 ]
