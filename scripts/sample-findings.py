#!/usr/bin/env python3
"""Draw a random sample of findings of one severity, for judging precision.

    extguard scan --format jsonl TREE... | scripts/sample-findings.py [--seed N] [--count 40] [--severity error]

Reads `extguard scan --format jsonl` on stdin and prints the seed (a fresh
one unless --seed is given; pass it again to draw the same sample), then one
block per sampled finding: package directory, file:line:column, code,
message and the source line from the finding's snippet. The order of the
input does not matter: findings are sorted before drawing.
"""

import argparse
import json
import os
import random
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--severity", default="error")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)

    found = []
    for n, line in enumerate(sys.stdin, 1):
        line = line.strip()
        if not line:
            continue
        try:
            unit = json.loads(line)
        except json.JSONDecodeError as e:
            sys.exit(f"stdin line {n}: not JSON ({e}); expected `extguard scan --format jsonl`")
        source = unit.get("source") or ""
        package = os.path.basename(source.rstrip("/"))
        for f in unit.get("files", []):
            path = os.path.relpath(f["path"], source) if source else f["path"]
            for x in f.get("findings", []):
                if x.get("severity") != args.severity:
                    continue
                snippet = x.get("snippet") or {}
                lines = snippet.get("lines") or []
                at = x["line"] - snippet.get("start_line", x["line"])
                text = lines[at].strip() if 0 <= at < len(lines) else ""
                found.append((package, path, x["line"], x["column"], x["code"], x["message"], text))
    found.sort()
    print(f"seed {seed}: {min(args.count, len(found))} of {len(found)} {args.severity} findings")
    for i, (package, path, line, col, code, message, text) in enumerate(
        random.Random(seed).sample(found, min(args.count, len(found))), 1
    ):
        print(f"{i:3}. {package} {path}:{line}:{col} {code} {message}\n     | {text}")


if __name__ == "__main__":
    main()
