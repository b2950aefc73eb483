#!/usr/bin/env python3
"""`make bench`: Courier's client side by side with AsyncHTTPClient, wrk, h2load and curl against nginx on
loopback, plus the codec benchmarks; writes Benchmarks/RESULTS.md.

nginx runs with its own configuration (one worker pinned to CPU 0); every client runs pinned to CPU 1 under
`/usr/bin/time` (CPU seconds, peak RSS) and `timeout`, each load bounded by a request count and a duration.
The clients alternate within each round (their order rotates from round to round) and every ratio is computed
round by round, then summarised by its median, so a slow moment on this shared machine hits one round of
one pair, not one client's whole figure.

Environment:
  ROUNDS=3          rounds (medians over these)
  BENCH_QUICK=1     one round of short loads, to check the harness (writes .build-bench/RESULTS-quick.md)
  BENCH_SECONDS=5   seconds per load (1 in quick mode)
  BENCH_OUTPUT=...  where to write the report
  BENCH_ONLY=a,b    only these scenarios (keys as in SCENARIOS), for working on one
  BENCH_SKIP_BUILD=1  use the binaries already built
  BENCH_REPORT_ONLY=1 write the report again from the last run (.build-bench/bench-run.json), e.g. after
                    editing RESULTS-NOTES.md (the hand-written analysis appended to the report)
It installs nothing: `make deps` provides nginx-light, nghttp2-client (h2load), wrk and curl.
"""
import datetime
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
ROUNDS = int(os.environ.get("ROUNDS", "1" if QUICK else "3"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "1" if QUICK else "5"))
MAX_REQUESTS = 200_000 if QUICK else 3_000_000
SERVER_CPU, CLIENT_CPU = "0", "1"
SCRATCH = os.path.join(HERE, ".build-bench")
OUTPUT = os.environ.get("BENCH_OUTPUT") or (
    os.path.join(SCRATCH, "RESULTS-quick.md") if QUICK else os.path.join(HERE, "RESULTS.md"))
ONLY = [key for key in os.environ.get("BENCH_ONLY", "").split(",") if key]
SMALL_BODY = '{"id":1234567,"name":"courier-bench","ok":true,"tags":["alpha","beta","gamma"],"score":0.9876543}'
BIG_SIZE = 100 * 1024 * 1024


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def sh(command, cwd=ROOT, check=True):
    """Runs a build or a version query; returns its standard output."""
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stdout}\n{done.stderr}")
    return (done.stdout + done.stderr).strip()


def require_tools():
    missing = [tool for tool in ("nginx", "h2load", "wrk", "curl", "openssl", "taskset", "timeout")
               if shutil.which(tool) is None and not os.path.exists("/usr/sbin/" + tool)]
    if not os.path.exists("/usr/bin/time"):
        missing.append("/usr/bin/time (Debian package time)")
    if missing:
        raise SystemExit("missing: " + ", ".join(missing) + " (run `make deps`)")
    if (os.cpu_count() or 1) < 2:
        raise SystemExit("needs two CPUs: nginx on CPU 0, the clients on CPU 1")


# ---------------------------------------------------------------------------------------------------------------
# The server

def free_port():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return listener.getsockname()[1]


def wait_for_port(port, process, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Nginx:
    """nginx with its own configuration in a temporary directory: HTTP/1.1 cleartext, TLS (ALPN h2 and
    http/1.1, a self-signed ECDSA P-256 certificate) and h2c, one worker pinned to CPU 0."""

    def __init__(self):
        self.directory = tempfile.mkdtemp(prefix="courier-bench-")
        os.chmod(self.directory, 0o755)  # the worker may run as another user
        root = os.path.join(self.directory, "root")
        os.mkdir(root)
        with open(os.path.join(root, "1m"), "wb") as file:
            file.write(os.urandom(1024 * 1024))
        with open(os.path.join(root, "100m"), "wb") as file:
            for _ in range(BIG_SIZE // (4 * 1024 * 1024)):
                file.write(os.urandom(4 * 1024 * 1024))
        self.cert, key = os.path.join(self.directory, "cert.pem"), os.path.join(self.directory, "key.pem")
        sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", self.cert, "-days", "7", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        self.http, self.https, self.h2c = free_port(), free_port(), free_port()
        locations = f"""
            root {root};
            location = /small {{ default_type application/json; return 200 '{SMALL_BODY}'; }}
            location = /1m {{ default_type application/octet-stream; }}
            location = /100m {{ default_type application/octet-stream; }}"""
        d = self.directory
        config = f"""
daemon off;
master_process on;
worker_processes 1;
worker_cpu_affinity 01;
worker_rlimit_nofile 16384;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    http2_max_concurrent_streams 256;
    sendfile on;
    tcp_nopush on;
    server {{ listen 127.0.0.1:{self.http}; {locations} }}
    server {{ listen 127.0.0.1:{self.h2c} http2; {locations} }}
    server {{
        listen 127.0.0.1:{self.https} ssl http2;
        ssl_certificate {self.cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        {locations}
    }}
}}
"""
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as file:
            file.write(config)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen(["taskset", "-c", SERVER_CPU, nginx, "-p", d, "-c", conf, "-e",
                                         os.path.join(d, "error.log")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for port in (self.http, self.https, self.h2c):
            if not wait_for_port(port, self.process):
                self.stop()
                raise SystemExit(f"nginx did not start on port {port}:\n{self.error_log()}")

    def error_log(self):
        try:
            with open(os.path.join(self.directory, "error.log")) as file:
                return file.read()
        except OSError:
            return ""

    def url(self, kind, path):
        return {"http": f"http://127.0.0.1:{self.http}", "https": f"https://127.0.0.1:{self.https}",
                "h2c": f"http://127.0.0.1:{self.h2c}"}[kind] + path

    def check(self):
        """Each listener answers as configured (curl, once), so a broken set-up fails before measuring."""
        for kind, flags in (("http", ["--http1.1"]), ("https", ["--http2"]), ("h2c", ["--http2-prior-knowledge"])):
            out = sh(["curl", "-sS", "-k", *flags, "-o", "/dev/null", "-w", "%{http_version} %{size_download}",
                      self.url(kind, "/small")])
            expected = ("1.1" if kind == "http" else "2") + f" {len(SMALL_BODY)}"
            if out != expected:
                raise SystemExit(f"nginx {kind} /small answered {out!r}, expected {expected!r}")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------------
# The clients: each returns a sample {value, requests, cpu, rss_kb} or {error}

def measured(command, limit):
    """Runs `command` on CLIENT_CPU under /usr/bin/time and timeout: (output, cpu seconds, peak RSS KiB, wall
    seconds, exit status)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        full = ["timeout", "-k", "5", str(int(limit)), "/usr/bin/time", "-o", timing.name, "-f", "%U %S %M",
                "taskset", "-c", CLIENT_CPU, *command]
        started = time.monotonic()
        done = subprocess.run(full, capture_output=True, text=True)
        wall = time.monotonic() - started
        lines = [line for line in timing.read().splitlines() if re.fullmatch(r"[\d.]+ [\d.]+ \d+", line)]
    if not lines:
        return done.stdout + done.stderr, None, None, wall, done.returncode
    user, system, rss = lines[-1].split()
    return done.stdout + done.stderr, float(user) + float(system), int(rss), wall, done.returncode


def limit():
    return SECONDS + 60


def sample(output, cpu, rss, status, requests, rate, what):
    if status != 0 or cpu is None or not requests:
        tail = "\n".join(output.strip().splitlines()[-5:])
        return {"error": f"{what}: exit {status}: {tail}"}
    return {"value": rate, "requests": requests, "cpu": cpu, "rss_kb": rss}


def run_json_client(command, what):
    output, cpu, rss, _, status = measured(command, limit())
    report = None
    for line in reversed(output.splitlines()):
        if line.startswith("{"):
            try:
                report = json.loads(line)
                break
            except ValueError:
                pass
    if report is None:
        return sample(output, cpu, rss, status or 1, 0, 0, what)
    if report.get("errors"):
        status = status or 1
    return sample(output, cpu, rss, status, report["requests"], report["rps"], what)


def courier_bench_arguments(url, connections, streams, protocol, requests=MAX_REQUESTS, seconds=SECONDS):
    """`courier bench`'s arguments for a scenario (layout.py profiles the same commands)."""
    flags = {"h1": ["--http1.1"], "h2": ["--http2"], "h2c": ["--http2-prior-knowledge"]}[protocol]
    return ["bench", url, "-c", str(connections), "-m", str(streams), "-n", str(requests), "-D", str(seconds),
            "-t", "1", "-k", "--json", *flags]


def courier_bench(url, connections, streams, protocol):
    return run_json_client([COURIER, *courier_bench_arguments(url, connections, streams, protocol)],
                           "courier bench")


def ahc_load(url, connections, streams, protocol):
    flags = ["--http1.1"] if protocol == "h1" else []
    return run_json_client([AHC, url, "-c", str(connections), "-m", str(streams), "-n", str(MAX_REQUESTS),
                            "-D", str(SECONDS), "-t", "1", *flags], "LoadAsyncHTTPClient")


def wrk(url, connections, streams, protocol):
    output, cpu, rss, _, status = measured(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{max(1, round(SECONDS))}s", url], limit())
    requests = re.search(r"(\d+) requests in", output)
    rate = re.search(r"Requests/sec:\s*([\d.]+)", output)
    if re.search(r"Non-2xx|Socket errors", output):
        status = status or 1
    return sample(output, cpu, rss, status, int(requests.group(1)) if requests else 0,
                  float(rate.group(1)) if rate else 0, "wrk")


def h2load(url, connections, streams, protocol):
    output, cpu, rss, _, status = measured(
        ["h2load", "-t", "1", "-c", str(connections), "-m", str(streams), "-D", str(int(max(1, SECONDS))),
         url], limit())
    done = re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored",
                     output)
    rate = re.search(r"finished in [\d.]+\w*, ([\d.]+) req/s", output)
    if not done or int(done.group(2)) or int(done.group(3)):
        status = status or 1
    return sample(output, cpu, rss, status, int(done.group(1)) if done else 0,
                  float(rate.group(1)) if rate else 0, "h2load")


def download(command, what):
    output, cpu, rss, wall, status = measured(command, 120)
    return sample(output, cpu, rss, status, 1, BIG_SIZE / wall / 1e6, what)


def courier_fetch_arguments(url, protocol):
    """`courier fetch`'s arguments for a download scenario (layout.py profiles the same commands)."""
    flag = "--http1.1" if protocol == "h1" else "--http2"
    return ["fetch", "-s", "-f", "-k", flag, "--max-time", "100", "-o", "/dev/null", url]


def courier_fetch(url, protocol):
    return download([COURIER, *courier_fetch_arguments(url, protocol)], "courier fetch")


def curl(url, protocol):
    flag = "--http1.1" if protocol == "h1" else "--http2"
    return download(["curl", "-s", "-f", "-k", flag, "--max-time", "100", "-o", "/dev/null", url], "curl")


# ---------------------------------------------------------------------------------------------------------------
# Scenarios

class Scenario:
    def __init__(self, key, title, listener, path, protocol, connections, streams, reference, clients, goal=None):
        self.key, self.title, self.listener, self.path = key, title, listener, path
        self.protocol, self.connections, self.streams = protocol, connections, streams
        self.reference, self.clients, self.goal = reference, clients, goal

    @property
    def is_download(self):
        return self.path == "/100m"

    def run(self, server, client):
        url = server.url(self.listener, self.path)
        if self.is_download:
            return {"courier": courier_fetch, "curl": curl}[client](url, self.protocol)
        runner = {"courier": courier_bench, "AsyncHTTPClient": ahc_load, "wrk": wrk, "h2load": h2load}[client]
        return runner(url, self.connections, self.streams, self.protocol)


H1, H2 = ["courier", "AsyncHTTPClient", "wrk"], ["courier", "AsyncHTTPClient", "h2load"]
SCENARIOS = [
    Scenario("h1-c1", "HTTP/1.1 cleartext, 1 connection", "http", "/small", "h1", 1, 1, "wrk", H1, 0.9),
    Scenario("h1-c64", "HTTP/1.1 cleartext, 64 connections", "http", "/small", "h1", 64, 1, "wrk", H1, 0.7),
    Scenario("h1tls-c64", "HTTP/1.1 TLS, 64 connections", "https", "/small", "h1", 64, 1, "wrk", H1, 0.7),
    Scenario("h2tls-1x1", "HTTP/2 TLS, 1 connection x 1 stream", "https", "/small", "h2", 1, 1, "h2load", H2, 0.9),
    Scenario("h2tls-16x8", "HTTP/2 TLS, 16 connections x 8 streams", "https", "/small", "h2", 16, 8, "h2load", H2,
             0.7),
    # AsyncHTTPClient has no HTTP/2 with prior knowledge over cleartext.
    Scenario("h2c-1x1", "h2c (prior knowledge), 1 connection x 1 stream", "h2c", "/small", "h2c", 1, 1, "h2load",
             ["courier", "h2load"]),
    Scenario("h2c-16x8", "h2c (prior knowledge), 16 connections x 8 streams", "h2c", "/small", "h2c", 16, 8,
             "h2load", ["courier", "h2load"]),
    Scenario("dl-h1", "100 MiB download, HTTP/1.1 cleartext", "http", "/100m", "h1", 1, 1, "curl",
             ["courier", "curl"]),
    Scenario("dl-h1tls", "100 MiB download, HTTP/1.1 TLS", "https", "/100m", "h1", 1, 1, "curl", ["courier", "curl"],
             1.0),
    Scenario("dl-h2tls", "100 MiB download, HTTP/2 TLS", "https", "/100m", "h2", 1, 1, "curl", ["courier", "curl"],
             1.0),
]


# ---------------------------------------------------------------------------------------------------------------
# Building, codec benchmarks, machine

# Swift binaries link the Swift runtime statically (`--static-swift-stdlib`), as they are deployed: a dynamically
# linked runtime maps ~3 MiB more into every process (measured: 21.0 → 18.3 MiB peak RSS at h1 c=64). The
# Makefile's `courier` and `build` targets hold the flags (and why), the same for every client.
COURIER_SCRATCH = os.path.join(ROOT, ".build-static")
COURIER = os.path.join(COURIER_SCRATCH, "release", "courier")
AHC = os.path.join(SCRATCH, "release", "LoadAsyncHTTPClient")


def build():
    if os.environ.get("BENCH_SKIP_BUILD"):
        return
    log("building courier (release, static Swift runtime)...")
    sh(["make", "-C", HERE, "courier"])
    log("building the Benchmarks package (release) and the C references...")
    sh(["make", "-C", HERE, "build"])


def codec_benchmarks():
    """The codec benchmarks that carry goals, each with its C reference measured in the same process run."""
    results = {}
    for name in ("BenchHPACK", "BenchHTTP1"):
        path = os.path.join(SCRATCH, "release", name)
        log(f"codec benchmark {name}...")
        output, cpu, _, _, status = measured([path], 900)
        results[name] = output.strip() + ("" if status == 0 else f"\n(exit status {status})")
    return results


def hpack_decode_ratio(text):
    """The worst HPACK decode ratio against nghttp2 (the `decode` rows' first ratio, column `vs nghttp2`)."""
    ratios = [float(match.group(1)) for line in text.splitlines() if line.startswith("decode ")
              for match in [re.search(r"(\d+\.\d+)x", line)] if match]
    return max(ratios) if ratios else None


def http1_head_ratio(text):
    """Courier / http-parser on the typical head (BenchHTTP1's `head` row)."""
    for line in text.splitlines():
        match = re.search(r"(\d+\.\d+)×\s*$", line)
        if line.startswith("head") and match:
            return float(match.group(1))
    return None


def machine():
    model = ""
    with open("/proc/cpuinfo") as file:
        for line in file:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": sh(["nproc"]), "kernel": sh(["uname", "-r"]), "cpu": model,
            "load": open("/proc/loadavg").read().split()[:3]}


def versions():
    resolved = {}
    try:
        with open(os.path.join(HERE, "Package.resolved")) as file:
            for pin in json.load(file)["pins"]:
                resolved[pin["identity"]] = pin["state"].get("version", pin["state"].get("revision", "")[:10])
    except (OSError, ValueError, KeyError):
        pass
    revision = sh(["git", "rev-parse", "--short", "HEAD"], check=False)
    dirty = sh(["git", "status", "--porcelain", "--untracked-files=no"], check=False)
    return {
        "Courier": revision + (" (with uncommitted changes)" if dirty else ""),
        "Swift": sh(["swift", "--version"], check=False).splitlines()[0],
        "AsyncHTTPClient": f"{resolved.get('async-http-client', '1.37.0')} (swift-nio {resolved.get('swift-nio', '?')},"
                           f" swift-nio-ssl {resolved.get('swift-nio-ssl', '?')},"
                           f" swift-nio-http2 {resolved.get('swift-nio-http2', '?')})",
        "nginx": sh(["nginx", "-v"], check=False).replace("nginx version: ", ""),
        "h2load": sh(["h2load", "--version"], check=False).splitlines()[0],
        "wrk": sh(["wrk", "-v"], check=False).splitlines()[0].split(" Copyright")[0],
        "curl": sh(["curl", "--version"], check=False).splitlines()[0],
        "OpenSSL": sh(["openssl", "version"], check=False),
    }


# ---------------------------------------------------------------------------------------------------------------
# Statistics and the report

def rounds_of(samples, client):
    return [round_samples.get(client, {}) for round_samples in samples]


def paired_ratios(samples, client, other, field):
    """`client / other` for each round where both have a figure."""
    ratios = []
    for round_samples in samples:
        a, b = round_samples.get(client, {}), round_samples.get(other, {})
        if field == "value" and "value" in a and "value" in b and b["value"]:
            ratios.append(a["value"] / b["value"])
        if field == "cpu" and "value" in a and "value" in b:
            ratios.append(cpu_per_10k(a) / cpu_per_10k(b))
    return ratios


def cpu_per_10k(s):
    return s["cpu"] / s["requests"] * 10_000


def spread(values, digits=2, suffix=""):
    if not values:
        return "–"
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:.{digits}f}{suffix}"
    return f"{median:.{digits}f}{suffix} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def scenario_table(scenario, samples):
    unit = "MB/s" if scenario.is_download else "req/s"
    cpu_header = "client CPU-s per download" if scenario.is_download else "client CPU-s per 10k req"
    others = [scenario.reference] + (["AsyncHTTPClient"] if "AsyncHTTPClient" in scenario.clients else [])
    lines = [f"### {scenario.title} (`{scenario.key}`)", "",
             f"| client | {unit} median | min | max | {cpu_header} | peak RSS MiB | "
             + " | ".join(f"vs {other}" for other in others) + " | CPU vs " + scenario.reference + " |",
             "|---|---:|---:|---:|---:|---:|" + "---:|" * len(others) + "---:|"]
    for client in scenario.clients:
        good = [s for s in rounds_of(samples, client) if "value" in s]
        errors = [s["error"] for s in rounds_of(samples, client) if "error" in s]
        if not good:
            lines.append(f"| {client} | failed | | | | | " + " | " * len(others) + " |")
            continue
        values = [s["value"] for s in good]
        cpus = [s["cpu"] if scenario.is_download else cpu_per_10k(s) for s in good]
        rss = [s["rss_kb"] / 1024 for s in good]
        ratio_cells = []
        for other in others:
            ratio_cells.append("1" if other == client else spread(paired_ratios(samples, client, other, "value"),
                                                                   suffix="×"))
        cpu_ratio = "1" if client == scenario.reference else spread(
            paired_ratios(samples, client, scenario.reference, "cpu"), suffix="×")
        lines.append(f"| {client}{' (' + str(len(errors)) + ' failed rounds)' if errors else ''} "
                     f"| {statistics.median(values):,.0f} | {min(values):,.0f} | {max(values):,.0f} "
                     f"| {statistics.median(cpus):.3f} | {statistics.median(rss):.1f} | "
                     + " | ".join(ratio_cells) + f" | {cpu_ratio} |")
    failures = [f"{client}, round {index + 1}: {s['error']}" for client in scenario.clients
                for index, s in enumerate(rounds_of(samples, client)) if "error" in s]
    if failures:
        lines += ["", "Failures:", ""] + [f"- `{failure[:400]}`" for failure in failures]
    return "\n".join(lines)


def median_ratio(samples, client, other, field):
    ratios = paired_ratios(samples, client, other, field)
    return statistics.median(ratios) if ratios else None


def goals_table(results, codecs):
    rows = []

    def row(goal, measured, target, better_low=False):
        if measured is None:
            rows.append(f"| {goal} | – | not measured |")
            return
        met = measured <= target if better_low else measured >= target
        rows.append(f"| {goal} | {measured:.2f} | {'met' if met else 'not met'} |")

    by_key = {s.key: s for s in SCENARIOS}
    for key in ("h1-c1", "h1-c64", "h1tls-c64", "h2tls-1x1", "h2tls-16x8", "dl-h1tls", "dl-h2tls"):
        if key in results and by_key[key].goal:
            scenario = by_key[key]
            row(f"{scenario.title}: ≥ {scenario.goal}× {scenario.reference}",
                median_ratio(results[key], "courier", scenario.reference, "value"), scenario.goal)
    for key in ("h1-c1", "h1-c64", "h1tls-c64", "h2tls-1x1", "h2tls-16x8", "h2c-1x1", "h2c-16x8"):
        if key in results:
            scenario = by_key[key]
            row(f"client CPU per 10k requests, {scenario.key}: ≤ 2× {scenario.reference}",
                median_ratio(results[key], "courier", scenario.reference, "cpu"), 2.0, better_low=True)
    for key in ("h1-c64", "h1tls-c64"):
        if key in results:
            rss = [s["rss_kb"] / 1024 for s in rounds_of(results[key], "courier") if "value" in s]
            row(f"peak RSS at c=64 ({key}), MiB: ≤ 20", statistics.median(rss) if rss else None, 20,
                better_low=True)
    if codecs:
        row("HPACK decode, worst workload: ≤ 1.0× nghttp2 time", hpack_decode_ratio(codecs.get("BenchHPACK", "")),
            1.0, better_low=True)
        row("HTTP/1.1 head parse: ≤ 1.2× http-parser time", http1_head_ratio(codecs.get("BenchHTTP1", "")), 1.2,
            better_low=True)
    return "\n".join(["| goal | Courier (median of per-round ratios) | |", "|---|---:|---|"] + rows)


def write_report(results, codecs, info, tools, finished_load, now):
    parts = [
        "# Benchmark results",
        "",
        f"`make bench` ({'quick mode, ' if QUICK else ''}{ROUNDS} round{'s' if ROUNDS != 1 else ''}, "
        f"{SECONDS:g} s per load), {now}. Generated by `Benchmarks/bench.py`; the analysis below the tables is "
        "written by hand.",
        "",
        "**This machine is shared and noisy**: other engineers build and test on the same two cores while this "
        f"runs (load average {' '.join(info['load'])} at the start, {' '.join(finished_load)} at the end), so "
        "absolute figures move by tens of percent from run to run. Ratios are computed round by round between "
        "clients that ran seconds apart, which cancels much of that; read the medians, and the min–max ranges as "
        "the noise.",
        "",
        "## Set-up",
        "",
        f"- Machine: {info['nproc']} CPUs, {info['cpu']}, Linux {info['kernel']}.",
        "- Server: nginx, one worker pinned to CPU 0 (`worker_cpu_affinity`), `access_log off`, keep-alive without "
        "a request limit, `http2_max_concurrent_streams 256`, sendfile; HTTP/1.1 cleartext, TLS 1.3 with ALPN h2 "
        "and http/1.1 (self-signed ECDSA P-256 certificate), h2c with prior knowledge. `/small` is a "
        f"{len(SMALL_BODY)}-byte JSON body (`return 200`), `/100m` a 100 MiB file.",
        "- Clients: each process pinned to CPU 1 (`taskset -c 1`) under `/usr/bin/time` (user + system CPU "
        "seconds, peak RSS) and `timeout`; every load is bounded by its duration and a request count "
        f"({MAX_REQUESTS:,}). `courier bench` (release build, one event loop, `-c C -m M`, one warm-up request "
        "per connection), `LoadAsyncHTTPClient` (Benchmarks/Sources: AsyncHTTPClient with one shared "
        "`HTTPClient` on one event loop, a TaskGroup of C (HTTP/1.1) or C×M (HTTP/2) workers, one warm-up "
        "request per worker), `wrk -t 1 -c C`, `h2load -t 1 -c C -m M`, `curl -o /dev/null` against "
        "`courier fetch -o /dev/null` for downloads (MB/s = 10^6 bytes per second of the whole process, "
        "connection set-up included). Over HTTP/2 AsyncHTTPClient chooses its own number of connections "
        "(one per host while streams remain). Both Swift programs link the Swift runtime statically "
        "(`--static-swift-stdlib`).",
        "- Order: within a round the clients of a scenario run back to back, their order rotating from round to "
        "round. Ratios (`vs X`) are `client / X` per round; cells show the median and (min–max) over rounds. "
        "`CPU vs` compares client CPU per request, lower is better.",
        "",
        "Versions: " + "; ".join(f"{name} {version}" for name, version in tools.items()) + ".",
        "",
        "## Goals",
        "",
        goals_table(results, codecs),
        "",
        "## Load scenarios",
        "",
    ]
    for scenario in SCENARIOS:
        if scenario.key in results:
            parts += [scenario_table(scenario, results[scenario.key]), ""]
    if codecs:
        parts += ["## Codec benchmarks", "",
                  "From the Benchmarks package's executables, pinned to CPU 1, each with its C reference measured "
                  "in the same run.", ""]
        for name, text in codecs.items():
            parts += [f"### {name}", "", "```", text, "```", ""]
    parts += ["## Raw samples", "", "<details><summary>per round</summary>", "", "```"]
    for key, samples in results.items():
        for index, round_samples in enumerate(samples):
            for client, s in round_samples.items():
                parts.append(f"{key} round {index + 1} {client}: " + (
                    f"{s['value']:.1f} ({s['requests']} requests, {s['cpu']:.2f} CPU-s, {s['rss_kb']} KiB)"
                    if "value" in s else "failed"))
    parts += ["```", "", "</details>", ""]
    notes = os.path.join(HERE, "RESULTS-NOTES.md")
    if os.path.exists(notes) and not QUICK:
        with open(notes) as file:
            parts += [file.read().strip(), ""]
    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    with open(OUTPUT, "w") as file:
        file.write("\n".join(parts))
    log(f"wrote {OUTPUT}")


def report_only():
    """Renders the report again from the last run's saved samples (after editing RESULTS-NOTES.md, say)."""
    global QUICK, ROUNDS, SECONDS
    with open(os.path.join(SCRATCH, "bench-run.json")) as file:
        saved = json.load(file)
    QUICK, ROUNDS, SECONDS = saved["quick"], saved["rounds"], saved["seconds"]
    write_report(saved["results"], saved["codecs"], saved["machine"], saved["versions"],
                 saved["finished_load"], saved["when"])


def main():
    if os.environ.get("BENCH_REPORT_ONLY"):
        return report_only()
    require_tools()
    os.makedirs(SCRATCH, exist_ok=True)
    build()
    for binary in (COURIER, AHC):
        if not os.access(binary, os.X_OK):
            raise SystemExit(f"missing {binary} (build first)")
    info, tools = machine(), versions()
    scenarios = [s for s in SCENARIOS if not ONLY or s.key in ONLY]
    server = Nginx()
    results = {s.key: [] for s in scenarios}
    try:
        server.check()
        for index in range(ROUNDS):
            for scenario in scenarios:
                clients = scenario.clients[index % len(scenario.clients):] + \
                    scenario.clients[:index % len(scenario.clients)]
                round_samples = {}
                for client in clients:
                    s = scenario.run(server, client)
                    round_samples[client] = s
                    log(f"round {index + 1}/{ROUNDS} {scenario.key:11} {client:16} "
                        + (f"{s['value']:12,.1f} {'MB/s' if scenario.is_download else 'req/s'}  "
                           f"cpu {s['cpu']:.2f}s  rss {s['rss_kb'] / 1024:.1f} MiB" if "value" in s
                           else "FAILED " + s["error"][:300]))
                results[scenario.key].append(round_samples)
    finally:
        server.stop()
    finished_load = open("/proc/loadavg").read().split()[:3]
    codecs = {} if ONLY and "codecs" not in ONLY else codec_benchmarks()
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with open(os.path.join(SCRATCH, "bench-run.json"), "w") as file:
        json.dump({"results": results, "codecs": codecs, "machine": info, "versions": tools,
                   "finished_load": finished_load, "when": when, "quick": QUICK, "rounds": ROUNDS,
                   "seconds": SECONDS}, file, indent=1)
    write_report(results, codecs, info, tools, finished_load, when)


if __name__ == "__main__":
    main()
