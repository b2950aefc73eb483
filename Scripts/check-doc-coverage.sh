#!/usr/bin/env bash
# Fails when a public symbol declared in Sources/ has no doc comment (the project's rule: a short `///` saying
# what and why). Reads the symbol graphs SwiftPM emits (`swift package dump-symbol-graph`, incremental after a
# build); members a protocol documents and compiler-synthesized ones (Hashable, Sequence defaults) count as
# documented.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! output=$(swift package dump-symbol-graph --minimum-access-level public 2>&1); then
  echo "$output"
  exit 1
fi
directory=$(sed -n 's/^Files written to //p' <<<"$output" | tail -1)
[ -d "$directory" ] || { echo "$output"; echo "doc coverage: no symbol graphs found"; exit 1; }
exec python3 - "$directory" "$PWD/Sources/" <<'PY'
import glob, json, sys
directory, sources = sys.argv[1], sys.argv[2]
missing = set()
for path in glob.glob(f"{directory}/*.symbols.json"):
    for symbol in json.load(open(path))["symbols"]:
        if symbol.get("accessLevel") not in ("public", "open") or symbol.get("docComment"):
            continue
        location = symbol.get("location", {})
        uri = location.get("uri", "")
        if not uri.startswith("file://" + sources):
            continue
        line = location.get("position", {}).get("line", 0) + 1
        missing.add(f"{uri[len('file://') + len(sources) - len('Sources/'):]}:{line}: "
                    f"{'.'.join(symbol['pathComponents'])} has no doc comment")
for entry in sorted(missing):
    print(entry)
if missing:
    print(f"doc coverage: {len(missing)} public symbols undocumented")
    sys.exit(1)
print("doc coverage: every public symbol in Sources/ is documented")
PY
