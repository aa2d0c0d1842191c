#!/usr/bin/env bash
# One command for the `extguard scan` benchmark:
#   builds a synthetic registry (N extensions made of renamed copies of
#   PostgreSQL contrib's extensions, some packed as .tar.gz and .zip, plus a
#   few very large install scripts), then prints, for 1 thread and for all
#   cores: wall time, MB/s, extensions/s and peak memory of
#   `extguard scan --format jsonl`, next to pg_query's bare parse throughput
#   on the same .sql files with the same number of threads; the speed-up from
#   1 to N threads; and peak memory for half and all of the registry (memory
#   should grow with the results only).
#
# This VM's speed drifts by 20 % and more over tens of seconds (the same
# parse of the whole registry took 5.7 s and 8.4 s minutes apart), so no
# number here is a single best run:
#   - standalone runs: ROUNDS rounds, each running scan and parse with 1
#     and with N threads, in alternating order; the medians are printed, and
#     the scan/parse ratio and the speed-up are medians of the ratios within
#     a round (neighbours in time), the speed-up over SPEEDUP_ROUNDS more
#     pairs of scans with 1 and N threads;
#   - source by source: the `scan_vs_parse` example times, for each
#     extension or archive in turn, what the scan does for it (read, unpack,
#     analyse, write its JSON) right next to the bare parse of its files, on
#     a worker pinned to one core, and sums both: drift hits both sides alike;
#   - instructions (callgrind, 1 thread, half the registry; BENCH_CALLGRIND=0
#     skips it): the scan process against the bare parse calls alone, which
#     does not depend on the machine at all.
# Knobs: EXTENSIONS (default 2000), LARGE (very large scripts, default 3),
#   ROUNDS (default 5), SPEEDUP_ROUNDS (10), BENCH_CALLGRIND (1), KEEP=1 keeps the registry in
#   bench/.scan-registry.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTENSIONS="${EXTENSIONS:-2000}"
LARGE="${LARGE:-3}"
ROUNDS="${ROUNDS:-5}"
SPEEDUP_ROUNDS="${SPEEDUP_ROUNDS:-10}"
CALLGRIND="${BENCH_CALLGRIND:-1}"
CONTRIB="$(pg_config --sharedir)/extension"
THREADS="$(nproc)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cargo build -q --release -p extguard-analyzer --bin extguard --example parse_throughput --example scan_vs_parse
EG=target/release/extguard
PARSE=target/release/examples/parse_throughput
INTERLEAVED=target/release/examples/scan_vs_parse

# registry/dir/<ext>/ plus registry/archives/*.tar.gz|*.zip, and the same
# files unpacked under parse-corpus/ for the bare-parse baseline.
python3 - "$CONTRIB" "$WORK" "$EXTENSIONS" "$LARGE" <<'PY'
import glob, io, os, re, sys, tarfile, zipfile
contrib, work, n, large = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
controls = sorted(glob.glob(os.path.join(contrib, "*.control")))
exts = []
for c in controls:
    name = os.path.basename(c)[:-len(".control")]
    scripts = sorted(glob.glob(os.path.join(contrib, name + "--*.sql")))
    if scripts:
        exts.append((name, c, scripts))
all_sql = b"".join(open(s, "rb").read() for _, _, ss in exts for s in ss)

def files_of(i):
    name, control, scripts = exts[i % len(exts)]
    new = f"{name}_{i:05d}"
    out = {f"{new}.control": open(control, "rb").read()}
    for s in scripts:
        out[os.path.basename(s).replace(name + "--", new + "--", 1)] = open(s, "rb").read()
    return new, out

def write(root, files):
    os.makedirs(root, exist_ok=True)
    for f, data in files.items():
        with open(os.path.join(root, f), "wb") as fh:
            fh.write(data)

for half in ("half", "full"):
    count = n // 2 if half == "half" else n
    reg = os.path.join(work, half, "registry")
    corpus = os.path.join(work, half, "parse-corpus")
    os.makedirs(os.path.join(reg, "archives"), exist_ok=True)
    for i in range(count):
        new, files = files_of(i)
        if i < large:
            # a very large install script: contrib's scripts 10 times over
            files = {f"{new}.control": b"default_version = '1.0'\n", f"{new}--1.0.sql": all_sql * 10}
        write(os.path.join(corpus, new), files)
        if i % 20 == 1:
            with tarfile.open(os.path.join(reg, "archives", f"{new}.tar.gz"), "w:gz") as t:
                for f, data in files.items():
                    ti = tarfile.TarInfo("extension/" + f); ti.size = len(data)
                    t.addfile(ti, io.BytesIO(data))
        elif i % 20 == 2:
            with zipfile.ZipFile(os.path.join(reg, "archives", f"{new}-1.0.zip"), "w", zipfile.ZIP_DEFLATED) as z:
                for f, data in files.items():
                    z.writestr(f"{new}-1.0/sql/{f}", data)
        else:
            write(os.path.join(reg, "dir", new), files)
PY

sql_bytes() { find "$1" -name '*.sql' -printf '%s\n' | awk '{s+=$1} END {print s}'; }
FULL="$WORK/full"
BYTES=$(sql_bytes "$FULL/parse-corpus")
LARGE_MB=$(find "$FULL/parse-corpus" -name '*.sql' -size +1M -printf '%s\n' | head -1 | awk '{printf "%.1f", $1/1e6}')
echo "registry: $EXTENSIONS extensions ($LARGE with a ${LARGE_MB:-0} MB install script), $(find "$FULL/registry/archives" -type f | wc -l) of them in archives, $(awk "BEGIN{printf \"%.1f\", $BYTES/1e6}") MB of SQL; $THREADS cores; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"

# scan_once DIR JOBS -> "seconds max_rss_kb cpu_seconds"
scan_once() {
  /usr/bin/time -f '%e %M %U %S' -o "$WORK/time" "$EG" scan --jobs "$2" --format jsonl "$1" > "$WORK/out.jsonl" 2>/dev/null || [ $? -eq 1 ]
  read -r s m u k < <(tail -n 1 "$WORK/time")
  echo "$s $m $(awk "BEGIN{print $u + $k}")"
}
# parse_once JOBS -> bare parse seconds
parse_once() { "$PARSE" "$1" 1 "$FULL/parse-corpus" | sed -E 's/.*parse_s=([0-9.]+).*/\1/'; }
median() { tr ' ' '\n' <<< "$1" | grep . | sort -g | awk '{v[NR] = $1} END {printf "%.4f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
range() { tr ' ' '\n' <<< "$1" | grep . | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f-%.2f", lo, hi}'; }

declare -A WALL=() RSS=() CPU=() PARSE_S=() RATIO=()
SPEEDUP=""
for ((r = 1; r <= ROUNDS; r++)); do
  order=(1 "$THREADS"); (( r % 2 == 0 )) && order=("$THREADS" 1)
  declare -A w=()
  for j in "${order[@]}"; do
    if (( (r + j) % 2 == 0 )); then
      read -r wall rss cpu < <(scan_once "$FULL/registry" "$j"); p=$(parse_once "$j")
    else
      p=$(parse_once "$j"); read -r wall rss cpu < <(scan_once "$FULL/registry" "$j")
    fi
    w[$j]=$wall
    WALL[$j]+="$wall "; RSS[$j]+="$rss "; CPU[$j]+="$cpu "; PARSE_S[$j]+="$p "
    RATIO[$j]+="$(awk -v p="$p" -v s="$wall" 'BEGIN{print p / s}') "
  done
  SPEEDUP+="$(awk -v a="${w[1]}" -v b="${w[$THREADS]}" 'BEGIN{print a / b}') "
  echo "round $r: scan 1 thread ${w[1]} s, $THREADS threads ${w[$THREADS]} s"
done
echo "standalone runs (medians of $ROUNDS rounds; scan/parse and speed-up: median of the ratios within a round, range in brackets):"
for j in 1 "$THREADS"; do
  awk -v j="$j" -v w="$(median "${WALL[$j]}")" -v r="$(median "${RSS[$j]}")" -v c="$(median "${CPU[$j]}")" -v b="$BYTES" -v n="$EXTENSIONS" \
      -v p="$(median "${PARSE_S[$j]}")" -v q="$(median "${RATIO[$j]}")" -v qr="$(range "${RATIO[$j]}")" 'BEGIN{
    printf "threads=%d  scan: %.2f s (%.2f s CPU), %.1f MB/s, %.0f extensions/s, peak RSS %.0f MB | bare parse: %.1f MB/s | scan/parse throughput: %.0f%% [%s]\n",
      j, w, c, b/1e6/w, n/w, r/1024, b/1e6/p, 100*q, qr }'
done
# More pairs for the speed-up: the two scans right after each other.
EFF=""
for ((r = 1; r <= SPEEDUP_ROUNDS; r++)); do
  declare -A w=() c=()
  order=(1 "$THREADS"); (( r % 2 == 0 )) && order=("$THREADS" 1)
  for j in "${order[@]}"; do read -r w[$j] _ c[$j] < <(scan_once "$FULL/registry" "$j"); done
  SPEEDUP+="$(awk -v a="${w[1]}" -v b="${w[$THREADS]}" 'BEGIN{print a / b}') "
  EFF+="$(awk -v c="${c[$THREADS]}" -v w="${w[$THREADS]}" -v t="$THREADS" 'BEGIN{print c / (t * w)}') "
done
awk -v t="$THREADS" -v m="$(median "$SPEEDUP")" -v r="$(range "$SPEEDUP")" -v n="$((ROUNDS + SPEEDUP_ROUNDS))" -v e="$(median "$EFF")" 'BEGIN{
  printf "speed-up 1 -> %d threads: %.2fx [%s] (median of %d pairs of runs next to each other); cores busy during the %d-thread scan (CPU time / threads x wall): %.0f%%\n", t, m, r, n, t, 100 * e}'

echo "source by source (scan of each extension or archive timed next to the bare parse of its files, workers pinned to cores; 3 passes):"
for j in 1 "$THREADS"; do
  out=$("$INTERLEAVED" "$j" 3 "$FULL/registry/dir" "$FULL/registry/archives")
  awk -v j="$j" '/^round=/ {for (i = 1; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}; r = r sprintf("%s%.0f%%", (r == "" ? "" : " "), 100 * v["ratio"])}
    /^median_ratio=/ {split($0, kv, "="); m = kv[2]}
    END {printf "threads=%d  scan/parse throughput: %.0f%% (passes: %s)\n", j, 100 * m, r}' <<< "$out"
done

read -r _ rss_half _ < <(scan_once "$WORK/half/registry" "$THREADS")
out_half=$(stat -c %s "$WORK/out.jsonl")
read -r _ rss_full _ < <(scan_once "$FULL/registry" "$THREADS")
out_full=$(stat -c %s "$WORK/out.jsonl")
awk -v h="$rss_half" -v f="$rss_full" -v oh="$out_half" -v of="$out_full" -v n="$EXTENSIONS" 'BEGIN{
  printf "peak RSS: %d extensions %.0f MB, %d extensions %.0f MB (jsonl results %.1f MB and %.1f MB)\n", n/2, h/1024, n, f/1024, oh/1e6, of/1e6 }'

if [ "$CALLGRIND" = 1 ] && command -v valgrind >/dev/null; then
  # Both at once (valgrind runs a program on one core): the scan process
  # as a whole, and only the pg_query::parse calls of the baseline.
  valgrind --tool=callgrind --callgrind-out-file=/dev/null --log-file="$WORK/cg-scan" \
    "$EG" scan --jobs 1 --format jsonl "$WORK/half/registry" > /dev/null 2>&1 &
  valgrind --tool=callgrind --callgrind-out-file=/dev/null --log-file="$WORK/cg-parse" \
    --toggle-collect='pg_query::query::parse' "$PARSE" 1 1 "$WORK/half/parse-corpus" > /dev/null 2>&1 || true
  wait || true
  cs=$(sed -nE 's/.*Collected : ([0-9]+).*/\1/p' "$WORK/cg-scan")
  cp=$(sed -nE 's/.*Collected : ([0-9]+).*/\1/p' "$WORK/cg-parse")
  awk -v s="$cs" -v p="$cp" -v n="$((EXTENSIONS / 2))" 'BEGIN{
    printf "instructions (callgrind, 1 thread, %d extensions): scan %.2fG, bare parse calls %.2fG: scan/parse throughput %.0f%%\n", n, s/1e9, p/1e9, 100*p/s }'
fi
echo "(the machine is shared: compare ratios measured in the same run, not absolute numbers)"
if [ "${KEEP:-0}" = 1 ]; then rm -rf bench/.scan-registry; cp -r "$FULL" bench/.scan-registry; fi
