#!/usr/bin/env bash
# Every ```swift block in README.md and Docs/*.md must appear in code that `make test` compiles (Examples/, Tests/), so the
# guides cannot drift from the API: its lines, in order and contiguous, indentation and blank lines aside
# (source lines ending with `// (not in the document)` are skipped); its `import` lines anywhere in the file. A block preceded by `<!-- snippet: not compiled (why) -->`
# is exempt (another library's code shown for comparison, an annotated sketch of an internal API).
#
#   Scripts/check-doc-snippets.sh                      check every guide
#   Scripts/check-doc-snippets.sh --scaffold Docs/x.md print a Swift file with each of x.md's blocks in a
#                                                      function, to save as Examples/DocSnippets/XSnippets.swift
#                                                      and complete (declare what the snippets assume) until it builds
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "$@" <<'PY'
import glob, re, sys

def blocks(doc):
    """(line number, block lines, exempt) for each ```swift block of `doc`."""
    lines = open(doc, encoding="utf-8").read().splitlines()
    index = 0
    while index < len(lines):
        if lines[index].strip() == "```swift":
            end = index + 1
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            previous = next((lines[i].strip() for i in range(index - 1, -1, -1) if lines[i].strip()), "")
            yield index + 1, lines[index + 1:end], previous.startswith("<!-- snippet: not compiled")
            index = end + 1
        else:
            index += 1

if len(sys.argv) == 3 and sys.argv[1] == "--scaffold":
    doc = sys.argv[2]
    name = "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", doc.split("/")[-1][:-3]) if part)
    imports, functions = {"import Courier"}, []
    for number, (line, block, exempt) in enumerate((b for b in blocks(doc) if not b[2]), start=1):
        body = []
        for text in block:
            (imports.add(text.strip()) if text.startswith("import ") else body.append(text))
        functions.append(f"    /// {doc}:{line}\n    static func block{number}(client: HTTPClient) async throws {{\n"
                         + "\n".join(("        " + text) if text.strip() else "" for text in body) + "\n    }")
    print("\n".join(sorted(imports)) + f"\n\n/// The snippets of {doc}, compiled (never run).\nenum {name}Snippets {{\n"
          + "\n\n".join(functions) + "\n}")
    sys.exit(0)

def normalize(text):
    return [line.strip() for line in text.splitlines() if line.strip()]

sources = {}
for path in sorted(glob.glob("Examples/**/*.swift", recursive=True) + glob.glob("Tests/**/*.swift", recursive=True)):
    with open(path, encoding="utf-8") as f:
        # A line the code needs but the guide leaves out says so, and is skipped here.
        sources[path] = [l for l in normalize(f.read()) if not l.endswith("// (not in the document)")]

def contains(haystack, needle):
    if not needle:
        return True
    first = needle[0]
    for start in range(len(haystack) - len(needle) + 1):
        if haystack[start] == first and haystack[start:start + len(needle)] == needle:
            return True
    return False

failures, checked, exempt = [], 0, 0
for doc in ["README.md"] + sorted(glob.glob("Docs/*.md")):
    for line, block, is_exempt in blocks(doc):
        if is_exempt:
            exempt += 1
            continue
        checked += 1
        block = normalize("\n".join(block))
        imports = [l for l in block if re.match(r"^(@[A-Za-z_]+\s+)*import\s", l)]
        body = [l for l in block if l not in imports]
        if not any(contains(src, body) and all(i in src for i in imports) for src in sources.values()):
            failures.append(f"{doc}:{line}: this swift block is not in the compiled snippets "
                            f"(Examples/DocSnippets, Tests/CourierDocSnippetsTests; --scaffold {doc} helps)")

for failure in failures:
    print(failure)
if failures:
    print(f"doc snippets: {len(failures)} of {checked} blocks drifted from the compiled code")
    sys.exit(1)
print(f"doc snippets: ok ({checked} compiled, {exempt} marked not compiled)")
PY
