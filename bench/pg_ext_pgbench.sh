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
# ratio of the summed TPS. The backend CPU time per committed transaction
# (from /proc and pg_stat_database, sampled inside the measured window) is
# printed next to it: on a shared machine it moves far less than TPS. Run time: about 4 x BENCH_ROUNDS x
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
psql_q() { "${RUN[@]}" "$BIN/psql" -h "$DIR" -p "$PORT" -U postgres -d postgres -Atc "$1"; }
# Backend CPU time (clock ticks, all pgbench backends) and committed
# transactions so far.
sample() {
  local cpu=0 p
  for p in $(psql_q "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgbench'"); do
    cpu=$((cpu + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$cpu $(psql_q "SELECT xact_commit FROM pg_stat_database WHERE datname = 'postgres'")"
}
tps() { # $@: pgbench args; warms up, then prints "TPS CPU-us-per-transaction"
  pgb -c "$CLIENTS" -j "$CLIENTS" -T "$WARMUP" "$@" >/dev/null 2>&1
  pgb -c "$CLIENTS" -j "$CLIENTS" -T "$SECONDS_PER_RUN" "$@" > "$DIR/pgbench.out" 2>/dev/null &
  local pid=$! c1 x1 c2 x2
  sleep 1; read -r c1 x1 < <(sample)
  sleep $((SECONDS_PER_RUN - 2)); read -r c2 x2 < <(sample)
  wait "$pid"
  awk -v c=$((c2 - c1)) -v x=$((x2 - x1)) -v hz="$(getconf CLK_TCK)" '/^tps = / {
    printf "%s %.2f\n", $3, (x > 0 ? c * 1e6 / hz / x : 0) }' "$DIR/pgbench.out"
}

start ''
pgb -i -q -s "$SCALE" >/dev/null 2>&1
stop

declare -A sum=([off_S]=0 [on_S]=0 [off_B]=0 [on_B]=0)
declare -A paired=([S]="" [B]="") cpu_paired=([S]="" [B]="")
for ((r = 1; r <= ROUNDS; r++)); do
  for mode in S B; do
    order=(off on); (( r % 2 == 0 )) && order=(on off)
    declare -A this=() cpu_of=()
    for cfg in "${order[@]}"; do
      if [ $cfg = on ]; then start extguard; else start ''; fi
      args=(); [ $mode = S ] && args=(-S)
      read -r t cpu < <(tps "${args[@]}")
      stop
      this[$cfg]=$t
      cpu_of[$cfg]=$cpu
      sum[${cfg}_$mode]="$(awk -v a="${sum[${cfg}_$mode]}" -v b="$t" 'BEGIN {print a + b}')"
    done
    pr="$(awk -v a="${this[on]}" -v b="${this[off]}" 'BEGIN {printf "%.4f", a / b}')"
    cr="$(awk -v a="${cpu_of[off]}" -v b="${cpu_of[on]}" 'BEGIN {printf "%.4f", (b > 0 ? a / b : 0)}')"
    paired[$mode]+="$pr "
    cpu_paired[$mode]+="$cr "
    printf 'round %d %-6s off %9.1f tps %6.2f us/tx  on %9.1f tps %6.2f us/tx  tps ratio %s  cpu ratio %s\n' "$r" \
      "$([ $mode = S ] && echo select || echo tpcb)" "${this[off]}" "${cpu_of[off]}" "${this[on]}" "${cpu_of[on]}" "$pr" "$cr"
  done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
median() { tr ' ' '\n' <<< "$1" | grep . | sort -g | awk '{v[NR] = $1} END {printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo "clients=$CLIENTS seconds=$SECONDS_PER_RUN (+${WARMUP} s warm-up) scale=$SCALE rounds=$ROUNDS"
echo "select-only TPS extguard/none: median paired ratio $(median "${paired[S]}"), ratio of sums $(ratio "${sum[on_S]}" "${sum[off_S]}")  (target >= 0.98)"
echo "tpc-b       TPS extguard/none: median paired ratio $(median "${paired[B]}"), ratio of sums $(ratio "${sum[on_B]}" "${sum[off_B]}")  (target >= 0.98)"
echo "backend CPU per transaction, none/extguard (the same ratio without scheduling noise): select-only $(median "${cpu_paired[S]}"), tpc-b $(median "${cpu_paired[B]}")"
