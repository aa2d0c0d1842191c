#!/usr/bin/env bash
# One command for the `extguard scan` benchmark (issue 5):
#   builds a synthetic registry (N extensions made of renamed copies of
#   PostgreSQL contrib's extensions, some packed as .tar.gz and .zip, plus a
#   few very large install scripts), then prints, for 1 thread and for all
#   cores: wall time, MB/s, extensions/s and peak memory of
#   `extguard scan --format jsonl`, next to pg_query's bare parse throughput
#   on the same .sql files with the same number of threads; the speed-up from
#   1 to N threads; and peak memory for half and all of the registry (memory
#   should grow with the results only).
# Knobs: EXTENSIONS (default 2000), LARGE (very large scripts, default 3),
#   ROUNDS (best of, default 3), KEEP=1 keeps the registry in bench/.scan-registry.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTENSIONS="${EXTENSIONS:-2000}"
LARGE="${LARGE:-3}"
ROUNDS="${ROUNDS:-3}"
CONTRIB="$(pg_config --sharedir)/extension"
THREADS="$(nproc)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cargo build -q --release -p extguard-analyzer --bin extguard --example parse_throughput
EG=target/release/extguard
PARSE=target/release/examples/parse_throughput

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

# run_scan DIR JOBS -> "seconds max_rss_kb cpu_seconds" (best wall time of
# ROUNDS; RSS and user+system CPU time of that run)
run_scan() {
  local best="" rss="" cpu=""
  for _ in $(seq "$ROUNDS"); do
    /usr/bin/time -f '%e %M %U %S' -o "$WORK/time" "$EG" scan --jobs "$2" --format jsonl "$1" > "$WORK/out.jsonl" 2>/dev/null || [ $? -eq 1 ]
    read -r s m u k < <(tail -n 1 "$WORK/time")
    if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then best=$s; rss=$m; cpu=$(awk "BEGIN{print $u + $k}"); fi
  done
  echo "$best $rss $cpu"
}

declare -A WALL
for j in 1 "$THREADS"; do
  read -r wall rss cpu < <(run_scan "$FULL/registry" "$j")
  WALL[$j]=$wall
  parse=$("$PARSE" "$j" "$ROUNDS" "$FULL/parse-corpus")
  parse_mb=$(sed -E 's/.*parse_mb_s=([0-9.]+).*/\1/' <<< "$parse")
  awk -v j="$j" -v w="$wall" -v r="$rss" -v c="$cpu" -v b="$BYTES" -v n="$EXTENSIONS" -v p="$parse_mb" 'BEGIN{
    mb = b/1e6/w;
    printf "threads=%d  scan: %.2f s (%.2f s CPU), %.1f MB/s, %.0f extensions/s, peak RSS %.0f MB | bare parse: %.1f MB/s | scan/parse throughput: %.0f%%\n", j, w, c, mb, n/w, r/1024, p, 100*mb/p }'
done
awk -v a="${WALL[1]}" -v b="${WALL[$THREADS]}" -v t="$THREADS" 'BEGIN{printf "speed-up 1 -> %d threads: %.2fx\n", t, a/b}'

read -r _ rss_half _ < <(ROUNDS=1 run_scan "$WORK/half/registry" "$THREADS")
out_half=$(stat -c %s "$WORK/out.jsonl")
read -r _ rss_full _ < <(ROUNDS=1 run_scan "$FULL/registry" "$THREADS")
out_full=$(stat -c %s "$WORK/out.jsonl")
awk -v h="$rss_half" -v f="$rss_full" -v oh="$out_half" -v of="$out_full" -v n="$EXTENSIONS" 'BEGIN{
  printf "peak RSS: %d extensions %.0f MB, %d extensions %.0f MB (jsonl results %.1f MB and %.1f MB)\n", n/2, h/1024, n, f/1024, oh/1e6, of/1e6 }'
echo "(the machine is shared: compare ratios measured in the same run, not absolute numbers)"
if [ "${KEEP:-0}" = 1 ]; then rm -rf bench/.scan-registry; cp -r "$FULL" bench/.scan-registry; fi
