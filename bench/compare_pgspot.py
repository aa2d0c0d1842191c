#!/usr/bin/env python3
"""Time extguard against pgspot on the same files, in the same run.

Prints, for one process over all files and one process per file, the median
wall time of each tool and the speed-up, then extguard's in-process analysis
time against pg_query's bare parse time (single thread, best of N).
"""
import glob
import os
import statistics
import subprocess
import sys
import time

extdir, pgspot, extguard, parse_bench = sys.argv[1:5]
files = sorted(glob.glob(os.path.join(extdir, "*.sql")))
size = sum(os.path.getsize(f) for f in files)
print(f"corpus: {len(files)} files, {size / 1e6:.2f} MB from {extdir}")


def timed(cmd, rounds):
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def per_file(tool_cmd):
    t = time.perf_counter()
    for f in files:
        subprocess.run(tool_cmd + [f], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


rounds = int(os.environ.get("ROUNDS", "5"))
pg_all = timed([pgspot] + files, rounds)
eg_all = timed([extguard, "check", "--format", "pgspot"] + files, rounds)
eg_all_1 = timed(["env", "RAYON_NUM_THREADS=1", extguard, "check", "--format", "pgspot"] + files, rounds)
print(f"one process, all files: pgspot {pg_all:.3f}s  extguard {eg_all:.3f}s ({eg_all_1:.3f}s on 1 thread)")
print(f"RATIO all-files speed-up vs pgspot: {pg_all / eg_all:.1f}x ({pg_all / eg_all_1:.1f}x single-threaded)  target >= 20x")
pg_each = per_file([pgspot])
eg_each = per_file([extguard, "check", "--format", "pgspot"])
print(f"one process per file: pgspot {pg_each:.2f}s  extguard {eg_each:.2f}s")
print(f"RATIO per-file speed-up vs pgspot: {pg_each / eg_each:.1f}x")
out = subprocess.run([parse_bench, "20"] + files, capture_output=True, text=True, check=True).stdout
vals = dict(line.split("=", 1) for line in out.split() if "=" in line)
print(f"in process, 1 thread: bare pg_query parse {float(vals['bare_parse_s']) * 1e3:.1f} ms, full analysis {float(vals['analysis_s']) * 1e3:.1f} ms")
print(f"RATIO analysis / bare parse: {float(vals['analysis_over_parse']):.2f}  target <= 2.0")
