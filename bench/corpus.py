#!/usr/bin/env python3
"""extguard against pgspot on the Debian corpus, in the same run.

Every command runs ROUNDS times, interleaved (pgspot, extguard 1 thread,
extguard 2 threads, ...), so that drifts of the machine's speed hit both
tools alike; CPU time (user + system), wall time and peak RSS come from
wait4's rusage of each child, and medians are printed.

usage: corpus.py CORPUS_DIR PGSPOT EXTGUARD
"""
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

corpus, pgspot, extguard = sys.argv[1:4]
rounds = int(os.environ.get("ROUNDS", "3"))
tree = os.path.join(corpus, "tree")
debs = sorted(glob.glob(os.path.join(corpus, "debs", "*.deb")))
packages = sorted(p for p in glob.glob(os.path.join(tree, "*")) if os.path.isdir(p))
# The same files for both tools: every regular .sql file (a symbolic link
# is another name of a file already in the list).
files = sorted(
    p
    for p in glob.glob(os.path.join(tree, "**", "*.sql"), recursive=True)
    if os.path.isfile(p) and not os.path.islink(p)
)
size = sum(os.path.getsize(f) for f in files)
print(f"corpus: {len(packages)} packages, {len(files)} SQL files (links not counted), {size / 1e6:.1f} MB; {len(debs)} .debs")


def run(cmd, env=None, out=None):
    """(cpu seconds, wall seconds, peak RSS MiB, stdout bytes) of one run."""
    sink = out if out is not None else subprocess.DEVNULL
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.DEVNULL,
                         env=dict(os.environ, **(env or {})))
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"{cmd[0]} exited with {code}: {' '.join(cmd[:4])} ...")
    return ru.ru_utime + ru.ru_stime, wall, ru.ru_maxrss / 1024


def median_runs(cmds):
    """Run every (label, cmd, env) ROUNDS times, interleaved; medians per label."""
    results = {label: [] for label, _, _ in cmds}
    for _ in range(rounds):
        for label, cmd, env in cmds:
            results[label].append(run(cmd, env))
    return {label: tuple(statistics.median(r[i] for r in rs) for i in range(3))
            for label, rs in results.items()}


def threads(n):
    return {"RAYON_NUM_THREADS": str(n)}


check = [extguard, "check", "--format", "pgspot"]
# jsonl prints every finding's snippet and fingerprint, which the pgspot
# format has no use for (and the driver then does not compute)
check_jsonl = [extguard, "check", "--format", "jsonl"]
m = median_runs([
    ("pgspot", [pgspot] + files, None),
    ("extguard-1", check + files, threads(1)),
    ("extguard-2", check + files, threads(2)),
    ("extguard-jsonl", check_jsonl + files, threads(1)),
])
pg, e1, e2, ej = m["pgspot"], m["extguard-1"], m["extguard-2"], m["extguard-jsonl"]
print(f"\none process over the same files (median of {rounds}):")
print(f"  {'':<24} {'CPU s':>8} {'wall s':>8} {'peak RSS MiB':>13}")
for label, (cpu, wall, rss) in [("pgspot 0.9.4", pg), ("extguard, 1 thread", e1), ("extguard, 2 threads", e2)]:
    print(f"  {label:<24} {cpu:>8.2f} {wall:>8.2f} {rss:>13.0f}")
print(f"  {'(extguard, --format jsonl)':<24} {ej[0]:>8.2f} {ej[1]:>8.2f} {ej[2]:>13.0f}")
print(f"RATIO CPU time pgspot / extguard (1 thread): {pg[0] / e1[0]:.1f}x  target >= 20x")
print(f"RATIO wall pgspot / extguard: {pg[1] / e1[1]:.1f}x with 1 thread, {pg[1] / e2[1]:.1f}x with 2 threads")
print(f"RATIO extguard speed-up 1 -> 2 threads: {e1[1] / e2[1]:.2f}x  target near 2x")
print(f"RATIO peak RSS extguard / pgspot: {e1[2] / pg[2]:.2f} (1 thread), {e2[2] / pg[2]:.2f} (2 threads), "
      f"{ej[2] / pg[2]:.2f} (jsonl, 1 thread)  target <= 2")

scan = [extguard, "scan", "--format", "jsonl"]
m = median_runs([
    ("trees-1", scan + ["-j", "1"] + packages, None),
    ("trees-2", scan + ["-j", "2"] + packages, None),
    ("debs-1", scan + ["-j", "1"] + debs, None),
    ("debs-2", scan + ["-j", "2"] + debs, None),
])
print(f"\nextguard scan --format jsonl, extension-aware (median of {rounds}):")
for what, a, b in [("package trees", m["trees-1"], m["trees-2"]), (".debs", m["debs-1"], m["debs-2"])]:
    print(f"  {what:<14} CPU {a[0]:.2f} s; wall {a[1]:.2f} s (1 thread), {b[1]:.2f} s (2 threads, {a[1] / b[1]:.2f}x); peak RSS {a[2]:.0f} / {b[2]:.0f} MiB")

postgis = [p for p in packages if "postgis" in os.path.basename(p)]
postgis_deb = [d for d in debs if "postgis" in os.path.basename(d)]
if postgis and postgis_deb:
    print("\nPostGIS alone (extguard scan --format jsonl -j 2):")
    for what, target in [("package directory", postgis[0]), (".deb", postgis_deb[0])]:
        with tempfile.TemporaryFile() as out:
            cpu, wall, rss = run(scan + ["-j", "2", target], out=out)
            out.seek(0)
            units = [json.loads(line) for line in out]
            size = out.tell()
        chains = sum(1 for u in units if u["install_chain"])
        links = sum(len(f["links"]) for u in units for f in u["files"])
        analysed = sum(len(u["files"]) for u in units)
        print(f"  {what:<18} CPU {cpu:.2f} s, wall {wall:.2f} s, peak RSS {rss:.0f} MiB, output {size / 1e6:.1f} MB; "
              f"{sum(u['kind'] == 'extension' for u in units)} extensions, {chains} install chains, "
              f"{analysed} files analysed, {links} links listed")
