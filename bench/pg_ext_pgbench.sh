#!/usr/bin/env bash
# pgbench with and without extguard preloaded, in the same run, same data:
# select-only (-S) and the default TPC-B-like script, same clients and
# seconds. Prints TPS and the ratios (with / without; target >= 0.98).
#
# Builds and installs the extension in release mode first (as a platform
# would ship it) unless BENCH_INSTALL=0. Run as root (the servers run as
# `postgres`) or as postgres. The servers listen on unix sockets in a temp
# dir only and are stopped at the end. synchronous_commit=off for both, so
# the TPC-B number measures CPU overhead rather than fsync latency.
#
# Noise control. This VM's speed moves by 10-20 % from one second to the
# next, on each core independently (other tenants), so runs one after the
# other cannot resolve a 2 % difference: paired 1-5 s rounds scattered by
# +-16 % here, and two servers loaded at once on both cores as much (each
# side's speed depends on which core it happened to run on). What works:
# two clusters with the same data (one initialised, then copied) run side
# by side, one with shared_preload_libraries = 'extguard', one without,
# and both clusters and both pgbench processes are pinned to the SAME core
# (BENCH_CPU, default the last one). Each round loads both clusters at the
# same time, each with BENCH_CLIENTS clients for the same BENCH_SECONDS.
# On one run queue the scheduler shares the core evenly between the two
# sides, and whatever the core's speed does, it does to both, so the TPS
# ratio of a round is the ratio of what a transaction costs (client and
# server work included, as in any pgbench run on a shared machine). Paired
# ratios of an A/A pair scatter by about 0.7 % here (against 16 %
# unpinned). Printed: the median over rounds of the paired ratio on/off,
# the ratio of the summed TPS and backend CPU time per transaction (the
# postmaster's cutime/cstime over the round divided by pgbench's count).
# Extguard is preloaded in one cluster for half the rounds and in the other
# for the other half, so any difference between the two clusters cancels.
# An A/A control first runs rounds with extguard in neither cluster: its
# ratio shows the method's own bias and spread (it should read 1.00).
#
# Then a deterministic cross-check that does not depend on the machine:
# the same two transaction kinds, run by one backend in single-user mode
# under callgrind, counted in instructions per transaction with and
# without extguard ((count of N transactions - count of none) / N), each
# run on a fresh copy of the same data.
# BENCH_CALLGRIND=0 skips it; BENCH_CALLGRIND_TX sets N (default 2000).
#
# Knobs: PG (major version, 15), BENCH_CLIENTS (2 per cluster), BENCH_SECONDS (5), BENCH_WARMUP (5),
# BENCH_ROUNDS (20), BENCH_AA_ROUNDS (10), BENCH_SCALE (10), BENCH_CPU
# (last core), BENCH_PORT (5496, and +1). Run time with the defaults: about 2 x (20 + 10) x 5 s plus
# warm-up and the callgrind part: ~8 min.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN="${BENCH_SECONDS:-5}"
WARMUP="${BENCH_WARMUP:-5}"
CLIENTS="${BENCH_CLIENTS:-2}"
SCALE="${BENCH_SCALE:-10}"
ROUNDS="${BENCH_ROUNDS:-20}"
AA_ROUNDS="${BENCH_AA_ROUNDS:-10}"
PORT="${BENCH_PORT:-5496}"
CALLGRIND="${BENCH_CALLGRIND:-1}"
CG_TX="${BENCH_CALLGRIND_TX:-2000}"
CPU="${BENCH_CPU:-$(( $(nproc) - 1 ))}"
# PostgreSQL major version PG (default 15), set up by scripts/pg.sh.
PG="${PG:-15}"
PG_CONFIG="${PG_CONFIG:-$(./scripts/pg.sh "$PG" | tail -n1)}"
BIN="$("$PG_CONFIG" --bindir)"

if [ "$(id -u)" = 0 ]; then RUN=(runuser -u postgres --); else RUN=(); fi
if [ "${BENCH_INSTALL:-1}" = 1 ]; then
  echo "building and installing extguard (release) ..." >&2
  (cd pg_ext && cargo pgrx install --release --pg-config "$PG_CONFIG" --no-default-features --features "pg$PG" >/dev/null)
fi
[ -f "$("$PG_CONFIG" --pkglibdir)/extguard.so" ] || { echo "extguard.so is not installed" >&2; exit 2; }
if [ "$CALLGRIND" = 1 ] && ! command -v valgrind >/dev/null; then
  echo "valgrind not found: the instruction count is skipped (BENCH_CALLGRIND=0 to silence)" >&2
  CALLGRIND=0
fi

DIR="$(mktemp -d /tmp/extguard-bench.XXXXXX)"
[ "$(id -u)" = 0 ] && chown postgres: "$DIR"
# Two clusters, a and b; which one has extguard changes half-way.
declare -A PORT_OF=([a]="$PORT" [b]="$((PORT + 1))")
stop() { "${RUN[@]}" "$BIN/pg_ctl" -D "$DIR/$1" -m fast -w stop >/dev/null 2>&1 || true; }
cleanup() {
  stop a
  stop b
  rm -rf "$DIR"
}
trap cleanup EXIT

start() { # $1: a | b, $2: preload list
  "${RUN[@]}" taskset -c "$CPU" "$BIN/pg_ctl" -D "$DIR/$1" -l "$DIR/$1.log" -w \
    -o "-c listen_addresses='' -k $DIR -p ${PORT_OF[$1]} -c shared_preload_libraries='$2' -c shared_buffers=256MB -c max_connections=50 -c synchronous_commit=off" \
    start >/dev/null
}
pgb() { local c=$1; shift; "${RUN[@]}" taskset -c "$CPU" "$BIN/pgbench" -h "$DIR" -p "${PORT_OF[$c]}" -U postgres "$@" postgres; }
psql_q() { "${RUN[@]}" "$BIN/psql" -X -h "$DIR" -p "${PORT_OF[$1]}" -U postgres -d postgres -Atc "$2"; }
loaded() { psql_q "$1" 'SHOW extguard.audit' >/dev/null 2>&1; }

"${RUN[@]}" "$BIN/initdb" -A trust -U postgres --no-sync -D "$DIR/a" >/dev/null
start a ''
pgb a -i -q -s "$SCALE" >/dev/null 2>&1
psql_q a "CHECKPOINT" >/dev/null
stop a
"${RUN[@]}" cp -a "$DIR/a" "$DIR/pristine"
"${RUN[@]}" cp -a "$DIR/a" "$DIR/b"

# CPU time (clock ticks) of a cluster's exited backends: the postmaster's
# cutime + cstime, once the pgbench backends are gone and reaped.
backend_ticks() {
  local n=0
  while [ "$(psql_q "$1" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgbench'")" != 0 ] && (( n++ < 100 )); do
    sleep 0.05
  done
  sleep 0.05
  awk '{print $16 + $17}' "/proc/$(head -1 "$DIR/$1/postmaster.pid")/stat"
}
# One round: both clusters under the same load at the same time (the one
# started first alternates). $1: round number, $2: cluster without
# extguard, $3: cluster with it, $4: seconds, then pgbench args. Prints
# "TPS_off CPU_off TPS_on CPU_on" (CPU: backend us per transaction).
both() {
  local r=$1 off=$2 on=$3 secs=$4; shift 4
  local first=$off second=$on
  (( r % 2 == 0 )) && first=$on second=$off
  local -A t0 t1
  t0[$off]=$(backend_ticks "$off"); t0[$on]=$(backend_ticks "$on")
  pgb "$first" -c "$CLIENTS" -j "$CLIENTS" -T "$secs" "$@" > "$DIR/$first.out" 2>/dev/null &
  local p1=$!
  pgb "$second" -c "$CLIENTS" -j "$CLIENTS" -T "$secs" "$@" > "$DIR/$second.out" 2>/dev/null &
  local p2=$!
  wait "$p1" "$p2"
  t1[$off]=$(backend_ticks "$off"); t1[$on]=$(backend_ticks "$on")
  local c out=""
  for c in "$off" "$on"; do
    out+="$(awk -v t=$((t1[$c] - t0[$c])) -v hz="$(getconf CLK_TCK)" '
      /^number of transactions actually processed: / { n = $6 }
      /^tps = / { tps = $3 }
      END { printf "%s %.2f ", tps, (n > 0 ? t * 1e6 / hz / n : 0) }' "$DIR/$c.out")"
  done
  echo "$out"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
median() { tr ' ' '\n' <<< "$1" | grep . | sort -g | awk '{v[NR] = $1} END {printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# Middle half of the paired ratios: how far single rounds scatter.
iqr() { tr ' ' '\n' <<< "$1" | grep . | sort -g | awk '{v[NR] = $1} END {printf "%.3f-%.3f", v[int((NR + 3) / 4)], v[int((3 * NR + 3) / 4)]}'; }

# Accumulated per label: TPS sums, paired TPS ratios, backend CPU sums.
declare -A SUM=() PAIRED=() CPU_PAIRED=()
LABELS=()
# measure LABEL OFF ON ROUNDS: warm-up, then ROUNDS rounds of each script.
measure() {
  local label=$1 off=$2 on=$3 rounds=$4 r mode
  [[ " ${LABELS[*]} " == *" $label "* ]] || LABELS+=("$label")
  for mode in S B; do
    local args=(); [ $mode = S ] && args=(-S)
    both 0 "$off" "$on" "$WARMUP" "${args[@]}" >/dev/null
  done
  for ((r = 1; r <= rounds; r++)); do
    for mode in S B; do
      local args=(); [ $mode = S ] && args=(-S)
      local t_off cpu_off t_on cpu_on k="$label|$mode"
      read -r t_off cpu_off t_on cpu_on < <(both "$r" "$off" "$on" "$SECONDS_PER_RUN" "${args[@]}")
      SUM[$k|off]=$(awk -v a="${SUM[$k|off]:-0}" -v b="$t_off" 'BEGIN {print a + b}')
      SUM[$k|on]=$(awk -v a="${SUM[$k|on]:-0}" -v b="$t_on" 'BEGIN {print a + b}')
      local pr cr
      pr=$(awk -v a="$t_on" -v b="$t_off" 'BEGIN {printf "%.4f", a / b}')
      cr=$(awk -v a="$cpu_off" -v b="$cpu_on" 'BEGIN {printf "%.4f", (b > 0 ? a / b : 0)}')
      PAIRED[$k]+="$pr "
      CPU_PAIRED[$k]+="$cr "
      printf '%s round %2d %-6s off (%s) %8.1f tps %6.1f us/tx  on (%s) %8.1f tps %6.1f us/tx  tps ratio %s  cpu ratio %s\n' "$label" "$r" \
        "$([ $mode = S ] && echo select || echo tpcb)" "$off" "$t_off" "$cpu_off" "$on" "$t_on" "$cpu_on" "$pr" "$cr"
    done
  done
}

# A/A control: extguard in neither cluster.
start a ''
start b ''
if loaded a || loaded b; then echo "extguard is loaded though not preloaded" >&2; exit 2; fi
measure "A/A" a b "$AA_ROUNDS"
# The measurement proper, half the rounds with extguard in b, half in a,
# so that a difference between the clusters themselves cancels out.
stop b
start b extguard
loaded b || { echo "extguard is not loaded in cluster b" >&2; exit 2; }
measure "extguard" a b "$(( (ROUNDS + 1) / 2 ))"
stop a
stop b
start a extguard
start b ''
loaded a || { echo "extguard is not loaded in cluster a" >&2; exit 2; }
measure "extguard" b a "$(( ROUNDS / 2 ))"
stop a
stop b

echo "clients=$CLIENTS per cluster, both clusters loaded at once, all on cpu $CPU; seconds=$SECONDS_PER_RUN per round (warm-up ${WARMUP} s) scale=$SCALE rounds=$ROUNDS (A/A $AA_ROUNDS); load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
for label in "${LABELS[@]}"; do
  for mode in S B; do
    k="$label|$mode"
    printf '%-8s %-11s TPS on/off: median paired ratio %s (middle half of rounds %s), ratio of sums %s; backend CPU per transaction off/on: median %s\n' \
      "$label" "$([ $mode = S ] && echo select-only || echo tpc-b)" "$(median "${PAIRED[$k]}")" "$(iqr "${PAIRED[$k]}")" \
      "$(ratio "${SUM[$k|on]}" "${SUM[$k|off]}")" "$(median "${CPU_PAIRED[$k]}")"
  done
done
echo "(target: extguard ratios >= 0.98; A/A has extguard on neither side and shows what the method reads when nothing differs)"

[ "$CALLGRIND" = 1 ] || exit 0

# Single-user mode reads one statement per line from stdin. The accounts,
# tellers and branches come from a fixed-seed generator, so both
# configurations run exactly the same statements.
gen() { # $1: S | B, $2: transactions
  awk -v mode="$1" -v n="$2" -v scale="$SCALE" 'BEGIN {
    srand(42)
    for (i = 0; i < n; i++) {
      aid = int(rand() * 100000 * scale) + 1; bid = int(rand() * scale) + 1
      tid = int(rand() * 10 * scale) + 1; d = int(rand() * 10001) - 5000
      if (mode == "S") { print "SELECT abalance FROM pgbench_accounts WHERE aid = " aid ";"; continue }
      print "BEGIN;"
      print "UPDATE pgbench_accounts SET abalance = abalance + " d " WHERE aid = " aid ";"
      print "SELECT abalance FROM pgbench_accounts WHERE aid = " aid ";"
      print "UPDATE pgbench_tellers SET tbalance = tbalance + " d " WHERE tid = " tid ";"
      print "UPDATE pgbench_branches SET bbalance = bbalance + " d " WHERE bid = " bid ";"
      print "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (" tid ", " bid ", " aid ", " d ", CURRENT_TIMESTAMP);"
      print "END;"
    }
  }'
}
instructions() { # $1: off | on, $2: S | B, $3: transactions -> instructions
  gen "$2" "$3" > "$DIR/stmts.sql"
  rm -rf "$DIR/cg"
  "${RUN[@]}" cp -a "$DIR/pristine" "$DIR/cg"
  local pre=""; [ "$1" = on ] && pre=extguard
  "${RUN[@]}" valgrind --tool=callgrind --callgrind-out-file=/dev/null --log-file="$DIR/cg.log" \
    "$BIN/postgres" --single -D "$DIR/cg" -c shared_preload_libraries="$pre" \
    -c shared_buffers=256MB -c synchronous_commit=off postgres < "$DIR/stmts.sql" > /dev/null 2>&1
  sed -nE 's/.*Collected : ([0-9]+).*/\1/p' "$DIR/cg.log"
}
echo "instructions per transaction (callgrind, one backend in single-user mode, $CG_TX transactions):"
for mode in S B; do
  declare -A per=()
  for cfg in off on; do
    base=$(instructions "$cfg" "$mode" 0)
    full=$(instructions "$cfg" "$mode" "$CG_TX")
    per[$cfg]=$(( (full - base) / CG_TX ))
  done
  awk -v m="$([ $mode = S ] && echo select-only || echo tpc-b)" -v a="${per[off]}" -v b="${per[on]}" 'BEGIN {
    printf "  %-11s none %d, extguard %d: +%.2f%%, ratio none/extguard %.4f (target >= 0.98)\n", m, a, b, 100 * (b - a) / a, a / b }'
done
