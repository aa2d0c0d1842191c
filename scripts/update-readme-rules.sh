#!/usr/bin/env bash
# Replace README.md's rule table with `extguard rules --format markdown`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p extguard-analyzer --bin extguard
python3 - <<'PY'
import subprocess
table = subprocess.run(["target/debug/extguard", "rules", "--format", "markdown"], capture_output=True, text=True, check=True).stdout
s = open("README.md").read()
start = s.index("| Code | Name | Severity | Title |")
end = s.index("\n\n", start)
open("README.md", "w").write(s[:start] + table.rstrip("\n") + s[end:])
PY
