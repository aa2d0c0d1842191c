#!/usr/bin/env bash
# pgbench with and without extguard preloaded, in the same run, same data:
# select-only (-S) and the default TPC-B-like script, same clients and
# seconds. Prints TPS and the ratios (with / without; target >= 0.98).
#
# Needs PostgreSQL 15 + pgbench and extguard installed (make test-pg does
# `cargo pgrx install`). Run as root (the server runs as `postgres`) or as
# postgres. The server listens on a unix socket in a temp dir only and is
# stopped at the end. synchronous_commit=off for both configs, so the TPC-B
# number measures CPU overhead rather than fsync latency.
#
# Noise control: every measurement starts a fresh server and warms it up
# (BENCH_WARMUP seconds of the same script, not counted); configurations
# alternate within each round (off/on, then on/off); the result is the
# median over rounds of the paired ratio on/off of one round, next to the
# ratio of the summed TPS. Run time: about 4 x BENCH_ROUNDS x
# (BENCH_SECONDS + BENCH_WARMUP + ~2 s); default 4 x 8 x 15 s: ~8 min.
set -euo pipefail

SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
WARMUP="${BENCH_WARMUP:-3}"
CLIENTS="${BENCH_CLIENTS:-4}"
SCALE="${BENCH_SCALE:-10}"
ROUNDS="${BENCH_ROUNDS:-8}"
PORT="${BENCH_PORT:-5496}"
BIN="$(pg_config --bindir)"

if [ "$(id -u)" = 0 ]; then RUN=(runuser -u postgres --); else RUN=(); fi
[ -f "$(pg_config --pkglibdir)/extguard.so" ] || { echo "extguard.so not installed (make test-pg)" >&2; exit 2; }

DIR="$(mktemp -d /tmp/extguard-bench.XXXXXX)"
[ "$(id -u)" = 0 ] && chown postgres: "$DIR"
cleanup() {
  "${RUN[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

"${RUN[@]}" "$BIN/initdb" -A trust -U postgres --no-sync -D "$DIR/data" >/dev/null

start() { # $1: preload list ('' = none)
  "${RUN[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
    -o "-c listen_addresses='' -k $DIR -p $PORT -c shared_preload_libraries='$1' -c shared_buffers=256MB -c max_connections=50 -c synchronous_commit=off" \
    start >/dev/null
}
stop() { "${RUN[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null; }
pgb() { "${RUN[@]}" "$BIN/pgbench" -h "$DIR" -p "$PORT" -U postgres "$@" postgres; }
tps() { # $@: pgbench args; warms up, then prints the TPS number
  pgb -c "$CLIENTS" -j "$CLIENTS" -T "$WARMUP" "$@" >/dev/null 2>&1
  pgb -c "$CLIENTS" -j "$CLIENTS" -T "$SECONDS_PER_RUN" "$@" 2>/dev/null |
    awk '/^tps = / {print $3}'
}

start ''
pgb -i -q -s "$SCALE" >/dev/null 2>&1
stop

declare -A sum=([off_S]=0 [on_S]=0 [off_B]=0 [on_B]=0)
declare -A paired=([S]="" [B]="")
for ((r = 1; r <= ROUNDS; r++)); do
  for mode in S B; do
    order=(off on); (( r % 2 == 0 )) && order=(on off)
    declare -A this=()
    for cfg in "${order[@]}"; do
      if [ $cfg = on ]; then start extguard; else start ''; fi
      args=(); [ $mode = S ] && args=(-S)
      t="$(tps "${args[@]}")"
      stop
      this[$cfg]=$t
      sum[${cfg}_$mode]="$(awk -v a="${sum[${cfg}_$mode]}" -v b="$t" 'BEGIN {print a + b}')"
    done
    pr="$(awk -v a="${this[on]}" -v b="${this[off]}" 'BEGIN {printf "%.4f", a / b}')"
    paired[$mode]+="$pr "
    printf 'round %d %-6s off %9.1f tps  on %9.1f tps  ratio %s\n' "$r" \
      "$([ $mode = S ] && echo select || echo tpcb)" "${this[off]}" "${this[on]}" "$pr"
  done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
median() { tr ' ' '\n' <<< "$1" | grep . | sort -g | awk '{v[NR] = $1} END {printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo "clients=$CLIENTS seconds=$SECONDS_PER_RUN (+${WARMUP} s warm-up) scale=$SCALE rounds=$ROUNDS"
echo "select-only extguard/none: median paired ratio $(median "${paired[S]}"), ratio of sums $(ratio "${sum[on_S]}" "${sum[off_S]}")  (target >= 0.98)"
echo "tpc-b       extguard/none: median paired ratio $(median "${paired[B]}"), ratio of sums $(ratio "${sum[on_B]}" "${sum[off_B]}")  (target >= 0.98)"
