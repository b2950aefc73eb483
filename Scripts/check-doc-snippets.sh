#!/usr/bin/env bash
# Every ```swift block in Docs/*.md must appear in code that `make test` compiles (Examples/, Tests/), so the
# guides cannot drift from the API: its lines, in order and contiguous, indentation and blank lines aside;
# its `import` lines anywhere in the same file. A block preceded by `<!-- snippet: not compiled (why) -->`
# is exempt (another library's code shown for comparison, an annotated sketch of an internal API).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "$@" <<'PY'
import glob, re, sys

def normalize(text):
    return [line.strip() for line in text.splitlines() if line.strip()]

sources = {}
for path in sorted(glob.glob("Examples/**/*.swift", recursive=True) + glob.glob("Tests/**/*.swift", recursive=True)):
    with open(path, encoding="utf-8") as f:
        sources[path] = normalize(f.read())

def contains(haystack, needle):
    if not needle:
        return True
    first = needle[0]
    for start in range(len(haystack) - len(needle) + 1):
        if haystack[start] == first and haystack[start:start + len(needle)] == needle:
            return True
    return False

failures, checked, exempt = [], 0, 0
for doc in sorted(glob.glob("Docs/*.md")):
    lines = open(doc, encoding="utf-8").read().splitlines()
    index = 0
    while index < len(lines):
        if lines[index].strip() == "```swift":
            start = index + 1
            end = start
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            previous = next((lines[i].strip() for i in range(index - 1, -1, -1) if lines[i].strip()), "")
            block = normalize("\n".join(lines[start:end]))
            if previous.startswith("<!-- snippet: not compiled"):
                exempt += 1
            else:
                checked += 1
                imports = [l for l in block if re.match(r"^(@[A-Za-z_]+\s+)*import\s", l)]
                body = [l for l in block if l not in imports]
                if not any(contains(src, body) and all(i in src for i in imports) for src in sources.values()):
                    failures.append(f"{doc}:{index + 1}: this swift block is not in the compiled snippets "
                                    f"(Examples/DocSnippets, Tests/CourierDocSnippetsTests)")
            index = end + 1
        else:
            index += 1

for failure in failures:
    print(failure)
if failures:
    print(f"doc snippets: {len(failures)} of {checked} blocks drifted from the compiled code")
    sys.exit(1)
print(f"doc snippets: ok ({checked} compiled, {exempt} marked not compiled)")
PY
