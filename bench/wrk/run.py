#!/usr/bin/env python3
"""End-to-end HTTP benchmark: torus serving examples/hello next to peers (Node, Bun, Deno)
running the same app, and the ceiling (bench/ceiling: an io_uring hello-world server in C++
with no JS, the practical limit of this machine), measured in the same run under the same
conditions.

Each server is pinned to one CPU and wrk to another (taskset); every server gets a warm-up,
then `wrk -t1 -c64 -dDs` runs N rounds, the server order rotating each round so background
noise spreads evenly. Per run it records req/s, p50/p99 latency (from wrk's Lua done()),
server CPU seconds (utime+stime of the server's whole process tree, all threads, from
/proc/PID/stat), requests per server-CPU-second, and RSS after the run; for torus also
checkpoints per request, from its stats line at SIGTERM. It reports medians and min-max spread
per server and ratios against Node, as Markdown on stdout and in bench/results/wrk-DATE.md.

Builds nothing: TORUS_BIN (default build/bench/server/torus) must exist; the ceiling is
CEILING_BIN, default bench/ceiling/ceiling in TORUS_BIN's build tree. Bun and Deno come
from npm (`npm install --prefix bench/wrk/.peers bun deno`) when missing; if that fails the
report says so and the run goes on without them.

Usage: bench/wrk/run.sh [--runs 5] [--duration 10] [--servers ceiling,torus,node,bun,deno]
                        [--path /json] ...
"""

import argparse
import datetime
import hashlib
import os
import platform
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
REPO = os.path.dirname(os.path.dirname(HERE))
PEERS = os.path.join(HERE, "peers")
NPM_PREFIX = os.path.join(HERE, ".peers")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(f"[wrk-bench] {msg}", file=sys.stderr, flush=True)


# ---- /proc ----

def _stat_fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    return data[data.rindex(")") + 2:].split()  # fields from 3 (state) on


def process_tree(pid):
    """pid and all its descendants (a wrapper's real server, worker processes)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(_stat_fields(entry)[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    return tree


def cpu_seconds(pid):
    """utime+stime of the process tree; a process's counters include all its threads."""
    total = 0
    for p in process_tree(pid):
        try:
            fields = _stat_fields(p)
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
        except (OSError, ValueError, IndexError):
            pass
    return total / CLK_TCK


def rss_bytes(pid):
    total = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


# ---- servers ----

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path="/", timeout=2.0, headers=None):
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}Connection: close\r\n\r\n"
                  .encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


class Server:
    # What start() asks and expects before it counts the server as up (bench/proxy overrides
    # both: its proxies need the X-Upstream header and answer with the upstream's body).
    probe_headers = None
    probe_path = "/"
    expect_body = b"Hello from torus!\n"

    def __init__(self, name, argv, version, cpu, logdir):
        self.name = name
        self.argv = argv
        self.version = version
        self.cpu = cpu
        self.logdir = logdir
        self.port = None
        self.proc = None
        self.stderr_path = os.path.join(logdir, f"{name}.stderr")
        self.stdout_path = os.path.join(logdir, f"{name}.stdout")
        self.exit_code = None
        self.notes = []

    def start(self):
        for _ in range(5):
            self.port = free_port()
            argv = [a.replace("{port}", str(self.port)) for a in self.argv]
            self.out = open(self.stdout_path, "wb")
            self.err = open(self.stderr_path, "wb")
            self.proc = subprocess.Popen(["taskset", "-c", str(self.cpu), *argv],
                                         stdin=subprocess.DEVNULL, stdout=self.out,
                                         stderr=self.err, cwd=REPO)
            deadline = time.monotonic() + 60
            reply = None
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    reply = http_get(self.port, self.probe_path, headers=self.probe_headers)
                    break
                except OSError:
                    time.sleep(0.1)
            if reply is not None:
                if reply.startswith(b"HTTP/1.1 200") and b"\r\n\r\n" + self.expect_body in reply:
                    return
                self.stop()
                raise RuntimeError(f"{self.name}: unexpected reply {reply[:300]!r}")
            self.stop()
            if "in use" not in self.stderr_text():
                break
        raise RuntimeError(f"{self.name} did not start: {' '.join(argv)}\n{self.stderr_text()[-3000:]}")

    def stderr_text(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.notes.append("did not stop on SIGTERM within 30 s; killed")
                self.proc.kill()
                self.proc.wait()
        self.exit_code = self.proc.returncode
        self.out.close()
        self.err.close()


def tool_version(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        return (p.stdout or p.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "?"


def is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def find_elf(name):
    """The real native binary `name` under the npm prefix (npm's bin entry may be a JS shim)."""
    root = os.path.join(NPM_PREFIX, "node_modules")
    found = []
    for dirpath, _, files in os.walk(root):
        for f in files:
            if f in (name, name + ".exe"):
                p = os.path.join(dirpath, f)
                if is_elf(p) and os.access(p, os.X_OK):
                    found.append(p)
    found.sort(key=len)
    return found[0] if found else None


def ensure_npm_peers(names, allow_install):
    """{name: path or None}, {name: why missing}."""
    paths = {n: find_elf(n) for n in names}
    missing = [n for n in names if not paths[n]]
    why = {}
    if missing and allow_install:
        if not shutil.which("npm"):
            why = {n: "npm not found" for n in missing}
        else:
            log(f"installing {', '.join(missing)} from npm into {NPM_PREFIX} ...")
            os.makedirs(NPM_PREFIX, exist_ok=True)
            try:
                p = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix",
                                    NPM_PREFIX, *missing], capture_output=True, text=True,
                                   timeout=600)
                if p.returncode != 0:
                    tail = (p.stderr or p.stdout).strip().splitlines()[-3:]
                    why = {n: "npm install failed: " + " / ".join(tail) for n in missing}
            except (OSError, subprocess.SubprocessError) as e:
                why = {n: f"npm install failed: {e}" for n in missing}
            for n in missing:
                paths[n] = find_elf(n)
    for n in names:
        if not paths[n] and n not in why:
            why[n] = ("not installed (--no-install)" if not allow_install
                      else "npm install did not produce a native binary")
    return paths, why


# ---- wrk ----

WRK_LINE = re.compile(r"TORUS_WRK (.*)")


# What each --path asks: (request body bytes, a POST when > 0; the body the start-up probe, a
# GET, must see after the head; what the report calls the response).
LOADS = {
    "/": (0, b"Hello from torus!\n", "18-byte text body"),
    "/json": (0, b'{"hello":"world","method":"GET"}', "a 32-byte JSON body from Response.json"),
    "/sha256": (1024, hashlib.sha256(b"").hexdigest().encode() + b"\n",
                "a 1 KiB body hashed with crypto.subtle.digest SHA-256, the hex digest back"),
    "/stream": (0, b"", "1 MiB from a ReadableStream in 16 chunks of 64 KiB, chunked"),
}


def run_wrk(port, duration, connections, cpu, headers=None, path="/"):
    env = dict(os.environ)
    if LOADS[path][0]:
        env["TORUS_WRK_POST_BYTES"] = str(LOADS[path][0])
    argv = ["taskset", "-c", str(cpu), "wrk", "-t1", f"-c{connections}", f"-d{duration}s",
            "-s", os.path.join(HERE, "report.lua"), f"http://127.0.0.1:{port}{path}"]
    for k, v in (headers or {}).items():
        argv[-1:-1] = ["-H", f"{k}: {v}"]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 120, env=env)
    m = WRK_LINE.search(p.stdout)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}


def measure(server, args):
    pid = server.proc.pid
    cpu0 = cpu_seconds(pid)
    w = run_wrk(server.port, args.duration, args.connections, args.wrk_cpu, path=args.path)
    cpu = cpu_seconds(pid) - cpu0
    rss = rss_bytes(pid)
    rps = w["requests"] / (w["duration_us"] / 1e6)
    errors = (w["connect_errors"] + w["read_errors"] + w["write_errors"] + w["timeouts"] +
              w["non2xx"])
    return {
        "rps": rps,
        "p50_ms": w["p50_us"] / 1000,
        "p90_ms": w["p90_us"] / 1000,
        "p99_ms": w["p99_us"] / 1000,
        "p999_ms": w["p999_us"] / 1000,
        "cpu_s": cpu,
        "req_per_cpu_s": w["requests"] / cpu if cpu > 0 else float("nan"),
        "rss_mib": rss / (1 << 20),
        "requests": w["requests"],
        "bytes_per_request": w["bytes"] / w["requests"] if w["requests"] else 0,
        "errors": errors,
    }


# ---- report ----

def med(runs, key):
    return statistics.median(r[key] for r in runs)


def spread(runs, key, fmt):
    vals = [r[key] for r in runs]
    return f"{fmt.format(min(vals))}–{fmt.format(max(vals))}"


def load_cells(runs):
    """The cells of a summary row every wrk report shares, after the server's name:
    req/s (median, min-max), p50, p99, p99.9, server CPU s, req per CPU-s (median, min-max)."""
    return (f"{med(runs, 'rps'):,.0f} | {spread(runs, 'rps', '{:,.0f}')} | "
            f"{med(runs, 'p50_ms'):.2f} | {med(runs, 'p99_ms'):.2f} | {med(runs, 'p999_ms'):.2f} | "
            f"{med(runs, 'cpu_s'):.2f} | "
            f"{med(runs, 'req_per_cpu_s'):,.0f} | {spread(runs, 'req_per_cpu_s', '{:,.0f}')}")


def vs_cells(runs, node):
    """req/s and req/CPU-s against node's runs ("n/a | n/a" without them)."""
    if not node:
        return "n/a | n/a"
    return (f"{med(runs, 'rps') / med(node, 'rps'):.2f}× | "
            f"{med(runs, 'req_per_cpu_s') / med(node, 'req_per_cpu_s'):.2f}×")


TORUS_STATS = re.compile(r"worker \d+ stats: requests=(\d+) drains=(\d+) checkpoints=(\d+) "
                         r"checkpoints_per_request=([0-9.]+)")


def report(args, servers, results, skipped, started, machine):
    lines = []
    when = started.strftime("%Y-%m-%d %H:%M")
    lines.append(f"# wrk: torus and peers, {when}")
    lines.append("")
    lines.append(f"- Machine: {machine['cpu']}, {machine['ncpu']} CPUs, Linux {machine['kernel']}; "
                 f"load average before the run {machine['load']}.")
    lines.append(f"- Servers pinned to CPU {args.server_cpu}, wrk to CPU {args.wrk_cpu} (taskset); "
                 f"one server process each (torus `--workers 1`).")
    post, _, body = LOADS[args.path]
    method = "POST" if post else "GET"
    lines.append(f"- Load: `wrk -t1 -c{args.connections} -d{args.duration}s` {method} {args.path} "
                 f"({body}), {args.warmup} s warm-up per server, {args.runs} runs per "
                 f"server, the server order rotating each round.")
    lines.append("- Versions: " + "; ".join(f"{s.name}: {s.version}" for s in servers) +
                 f"; wrk: {machine['wrk']}.")
    lines.append("- Server CPU is utime+stime of the server's process tree (all threads) during "
                 "the run; RSS is measured right after it.")
    lines.append("")
    header = ("| server | req/s (median) | req/s min–max | p50 ms | p99 ms | p99.9 ms | server CPU s | "
              "req per CPU-s (median) | req/CPU-s min–max | RSS MiB | req/s vs node | "
              "req/CPU-s vs node |")
    lines.append(header)
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    node = results.get("node")
    for s in servers:
        runs = results.get(s.name)
        if not runs:
            continue
        lines.append(f"| {s.name} | {load_cells(runs)} | {med(runs, 'rss_mib'):.1f} | "
                     f"{vs_cells(runs, node)} |")
    lines.append("")
    base, cur = results.get("torus-base"), results.get("torus")
    ceiling = results.get("ceiling")
    if ceiling and cur:
        lines.append(f"- **torus vs the ceiling** (bench/ceiling, same run): "
                     f"{med(cur, 'req_per_cpu_s') / med(ceiling, 'req_per_cpu_s'):.1%} of its "
                     f"requests per server-CPU-second, {med(cur, 'rps') / med(ceiling, 'rps'):.1%} "
                     f"of its req/s; p99 {med(cur, 'p99_ms'):.2f} vs {med(ceiling, 'p99_ms'):.2f} ms.")
    if base and cur:
        lines.append(f"- **torus vs torus-base** (the build before the change, same run): "
                     f"{med(cur, 'rps') / med(base, 'rps'):.3f}× req/s, "
                     f"{med(cur, 'req_per_cpu_s') / med(base, 'req_per_cpu_s'):.3f}× "
                     f"req per server-CPU-second.")
    for s in servers:
        if s.name in ("torus", "torus-base"):
            m = TORUS_STATS.findall(s.stderr_text())
            if m:
                req, drains, cps, per = m[-1]
                lines.append(f"- {s.name} checkpoints per request: **{float(per):.3f}** "
                             f"(stats line at SIGTERM over every request it served, warm-up "
                             f"included: requests={req} drains={drains} checkpoints={cps}).")
            else:
                lines.append(f"- {s.name} printed no stats line at SIGTERM (exit code "
                             f"{s.exit_code}).")
        runs = results.get(s.name, [])
        if args.path == "/stream" and runs and med(runs, "bytes_per_request") < (1 << 20):
            lines.append(f"- {s.name}: **short responses**, {med(runs, 'bytes_per_request'):,.0f} "
                         "bytes per request on the wire (1 MiB expected).")
        errs = sum(r["errors"] for r in runs)
        if errs:
            lines.append(f"- {s.name}: wrk counted {errs} errors (socket errors, timeouts, non-2xx).")
        for note in s.notes:
            lines.append(f"- {s.name}: {note}")
        if s.name in ("torus", "torus-base") and s.exit_code != 0:
            lines.append(f"- {s.name} exited with code {s.exit_code} at SIGTERM (expected 0).")
    for name, why in skipped.items():
        lines.append(f"- **{name} not measured**: {why}")
    lines.append("")
    lines.append("## Every run")
    lines.append("")
    lines.append("| round | server | req/s | p50 ms | p90 ms | p99 ms | server CPU s | req/CPU-s | "
                 "RSS MiB | errors |")
    lines.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rnd, name, r in sorted(((r["round"], n, r) for n, runs in results.items() for r in runs),
                               key=lambda t: (t[0], t[2]["order"])):
        lines.append(f"| {rnd} | {name} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p90_ms']:.2f} | "
                     f"{r['p99_ms']:.2f} | {r['cpu_s']:.2f} | {r['req_per_cpu_s']:,.0f} | "
                     f"{r['rss_mib']:.1f} | {r['errors']} |")
    lines.append("")
    return "\n".join(lines)


def machine_info():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "ncpu": os.cpu_count(), "kernel": platform.release(),
            "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "wrk": tool_version(["wrk", "-v"]).split(" [")[0]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", 5)))
    ap.add_argument("--duration", type=int, default=int(os.environ.get("DURATION", 10)))
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--servers",
                    default=os.environ.get("SERVERS", "ceiling,torus,node,bun,deno"))
    ap.add_argument("--server-cpu", type=int, default=1)
    ap.add_argument("--wrk-cpu", type=int, default=0)
    ap.add_argument("--no-install", action="store_true", help="don't npm install bun/deno")
    ap.add_argument("--torus-base", default=os.environ.get("TORUS_BASE_BIN"),
                    help="a second torus binary (e.g. the build before a change), measured "
                         "in the same run as 'torus-base'; added to --servers")
    ap.add_argument("--path", default="/", choices=list(LOADS),
                    help="what every server is asked: hello world, /json (Response.json), "
                         "/sha256 (a 1 KiB POST hashed), /stream (1 MiB streamed)")
    ap.add_argument("--output", help="report path (default bench/results/wrk-DATE.md)")
    args = ap.parse_args()
    Server.probe_path = args.path
    Server.expect_body = LOADS[args.path][1]

    started = datetime.datetime.now()
    torus_bin = os.environ.get("TORUS_BIN") or os.path.join(REPO, "build", "bench", "server", "torus")
    torus_bin = os.path.abspath(torus_bin)
    for tool in ("wrk", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"run.py: '{tool}' not found")
    if os.cpu_count() < 2:
        sys.exit("run.py: needs 2 CPUs (server and wrk on separate ones)")

    wanted = [s.strip() for s in args.servers.split(",") if s.strip()]
    if args.torus_base and "torus-base" not in wanted:
        wanted.insert(1, "torus-base")
    skipped = {}
    npm_names = [n for n in wanted if n in ("bun", "deno")]
    npm_paths, npm_why = ensure_npm_peers(npm_names, not args.no_install) if npm_names else ({}, {})

    logdir = tempfile.mkdtemp(prefix="torus-wrk-")
    servers = []
    for name in wanted:
        if name in ("torus", "torus-base"):
            binary = torus_bin if name == "torus" else os.path.abspath(args.torus_base or "")
            if not os.access(binary, os.X_OK):
                sys.exit(f"run.py: no torus binary at {binary} "
                         "(cmake --preset bench && ninja -C build/bench torus, or set TORUS_BIN)")
            argv = [binary, "serve", os.path.join(REPO, "examples", "hello"), "--listen",
                    "127.0.0.1:{port}", "--workers", "1"]
            version = tool_version([binary, "--version"])
        elif name == "ceiling":
            binary = os.environ.get("CEILING_BIN") or os.path.join(
                os.path.dirname(os.path.dirname(torus_bin)), "bench", "ceiling", "ceiling")
            if args.path not in ("/", "/json"):
                skipped[name] = f"the ceiling answers only GET / and /json, not {args.path}"
                continue
            if not os.access(binary, os.X_OK):
                skipped[name] = f"no ceiling binary at {binary} (the bench preset builds it)"
                continue
            argv = [binary, "{port}"]
            version = "bench/ceiling (C++, io_uring, no JS)"
        elif name == "node":
            node = shutil.which("node")
            if not node:
                skipped[name] = "node not found"
                continue
            argv = [node, os.path.join(PEERS, "node_hello.mjs"), "{port}"]
            version = tool_version([node, "--version"])
        elif name == "bun":
            if not npm_paths.get("bun"):
                skipped[name] = npm_why.get("bun", "not available")
                continue
            argv = [npm_paths["bun"], os.path.join(PEERS, "bun_hello.js"), "{port}"]
            version = tool_version([npm_paths["bun"], "--version"])
        elif name == "deno":
            if not npm_paths.get("deno"):
                skipped[name] = npm_why.get("deno", "not available")
                continue
            argv = [npm_paths["deno"], "run", "--allow-net", "--no-prompt",
                    os.path.join(PEERS, "deno_hello.ts"), "{port}"]
            version = tool_version([npm_paths["deno"], "--version"])
        else:
            sys.exit(f"run.py: unknown server '{name}'")
        servers.append(Server(name, argv, version, args.server_cpu, logdir))

    machine = machine_info()
    results = {}
    try:
        for s in list(servers):
            log(f"starting {s.name} ...")
            try:
                s.start()
            except RuntimeError as e:
                log(str(e))
                skipped[s.name] = "failed to start: " + str(e).splitlines()[0]
                servers.remove(s)
        if not servers:
            sys.exit("run.py: no server started: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()))
        for s in servers:
            log(f"warming up {s.name} ({args.warmup} s)")
            run_wrk(s.port, args.warmup, args.connections, args.wrk_cpu, path=args.path)
        for rnd in range(args.runs):
            k = rnd % len(servers)
            order = servers[k:] + servers[:k]
            for i, s in enumerate(order):
                r = measure(s, args)
                r["round"], r["order"] = rnd + 1, i
                results.setdefault(s.name, []).append(r)
                log(f"round {rnd + 1}/{args.runs} {s.name}: {r['rps']:,.0f} req/s, "
                    f"p99 {r['p99_ms']:.2f} ms, {r['req_per_cpu_s']:,.0f} req/CPU-s")
    finally:
        for s in servers:
            s.stop()

    text = report(args, servers, results, skipped, started, machine)
    print(text)
    out = args.output or os.path.join(REPO, "bench", "results", f"wrk-{started:%Y-%m-%d}.md")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(text)
    log(f"report written to {out} (server logs in {logdir})")


if __name__ == "__main__":
    main()
