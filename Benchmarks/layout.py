#!/usr/bin/env python3
"""`make -C Benchmarks layout`: writes courier.order, the order in which the linker lays out the functions of the
`courier` binary that `make bench` measures: every function the bench scenarios run, hottest first.

Why: the kernel maps a binary's code into a process 64 KiB at a time around each page it touches (fault-around),
so code run once per process scattered across 11 MB of `.text` makes most of it resident. With the functions
that run packed together, the resident code is the code that runs (Benchmarks/RESULTS-NOTES.md has the
figures). The Makefile's `courier` target gives every function a section of its own (`-function-sections`),
which is what lets the linker move them.

How: nginx as `make bench` configures it; each Courier scenario of bench.py runs briefly under valgrind's
callgrind, which names every function executed in the binary with its instruction count. Symbols that no
longer exist are skipped by the linker, so a stale file costs layout, never correctness; run this again after
large changes. Needs valgrind (the `layout` target installs it).
"""
import collections
import glob
import os
import re
import shutil
import subprocess
import tempfile

import bench

ORDER = os.path.join(bench.HERE, "courier.order")


def profile(binary, arguments, output):
    """Runs `courier ARGUMENTS` under callgrind; returns {symbol: instructions executed in it}."""
    done = subprocess.run(["valgrind", "--tool=callgrind", "--demangle=no", "--compress-strings=no",
                           "--compress-pos=no", f"--callgrind-out-file={output}", binary, *arguments],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"courier {' '.join(arguments)} failed under valgrind:\n{done.stderr[-2000:]}")
    costs = collections.Counter()
    in_binary, function, skip_next = False, None, False
    with open(output) as file:
        for line in file:
            if line.startswith("ob="):
                in_binary = os.path.basename(line[3:].strip()) == os.path.basename(binary)
            elif line.startswith("fn="):
                # callgrind tells a function's recursion levels apart with a suffix ("'2"); the symbol is one
                function = re.sub(r"'\d+$", "", line[3:].strip()) if in_binary else None
            elif line.startswith("calls="):
                skip_next = True  # the next cost line is the call's inclusive cost, not the function's own
            elif line[:1].isdigit() or line[:1] in "+-*":
                if skip_next:
                    skip_next = False
                elif function is not None and not function.startswith("0x"):
                    parts = line.split()
                    costs[function] += int(parts[1]) if len(parts) > 1 else 0
    return costs


def shared_section_functions():
    """Functions of the static Swift runtime that sit in their object's one `.text` section (the libraries give
    sections of their own to public functions only): naming one moves the whole section, so they go last."""
    swiftc = os.path.realpath(shutil.which("swiftc") or "swiftc")
    static = os.path.join(os.path.dirname(os.path.dirname(swiftc)), "lib", "swift_static", "linux")
    shared = set()
    for archive in glob.glob(os.path.join(static, "*.a")):
        listing = subprocess.run(["readelf", "-S", "-s", "-W", archive], capture_output=True, text=True,
                                 errors="replace").stdout
        sections = {}
        for line in listing.splitlines():
            if line.startswith("File: "):
                sections = {}
            elif line.lstrip().startswith("[") and "]" in line:
                index, _, rest = line.lstrip()[1:].partition("]")
                if index.strip().isdigit() and rest.split():
                    sections[index.strip()] = rest.split()[0]
            else:
                fields = line.split()
                if len(fields) >= 8 and fields[3] == "FUNC" and sections.get(fields[6]) == ".text":
                    shared.add(fields[7])
    return shared


def main():
    if shutil.which("valgrind") is None:
        raise SystemExit("missing valgrind (run `make -C Benchmarks layout`, which installs it)")
    if not os.access(bench.COURIER, os.X_OK):
        raise SystemExit(f"missing {bench.COURIER} (run `make -C Benchmarks courier`)")
    work = tempfile.mkdtemp(prefix="courier-layout-")
    # valgrind 3.19 cannot read the linker's DWARF 5; the symbol table is all it needs.
    binary = os.path.join(work, "courier")
    subprocess.run(["objcopy", "--strip-debug", bench.COURIER, binary], check=True)
    server = bench.Nginx()
    total = collections.Counter()
    try:
        server.check()
        for scenario in bench.SCENARIOS:
            if scenario.is_download:
                # A smaller file: the same path as the 100 MiB one, in a fraction of the time under valgrind.
                arguments = bench.courier_fetch_arguments(server.url(scenario.listener, "/1m"), scenario.protocol)
            else:
                # Ended by its duration, as in `make bench`: requests still in flight then take their own path.
                arguments = bench.courier_bench_arguments(server.url(scenario.listener, scenario.path),
                                                          scenario.connections, scenario.streams,
                                                          scenario.protocol, requests=10_000_000, seconds=2)
            costs = profile(binary, arguments, os.path.join(work, scenario.key + ".out"))
            bench.log(f"{scenario.key:11} {len(costs):6} functions, {sum(costs.values()):,} instructions")
            # Each scenario counts alike, so a long one does not push another's hot path to the back.
            scale = 1e9 / max(1, sum(costs.values()))
            for symbol, cost in costs.items():
                total[symbol] += cost * scale
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    shared = shared_section_functions()
    symbols = sorted(total, key=lambda symbol: (symbol in shared, -total[symbol], symbol))
    with open(ORDER, "w") as file:
        file.write("".join(symbol + "\n" for symbol in symbols))
    bench.log(f"wrote {len(symbols)} symbols to {ORDER}")


if __name__ == "__main__":
    main()
