#!/usr/bin/env python3
"""HTTPS benchmark: torus serving examples/hello over TLS next to Node (node:https), Bun
(Bun.serve tls) and Deno (Deno.serve cert/key), all with the same self-signed ECDSA P-256
certificate made at start with the openssl CLI, measured in the same run.

Three loads, each `wrk -t1 -cC -dDs` against https://127.0.0.1:PORT/:
  keepalive   requests on C persistent TLS connections (the cost of TLS records).
  resumed     `-H 'Connection: close'`: every request is a new TCP connection and TLS handshake
              (the server answers and closes; wrk reconnects). wrk reconnects with SSL_clear()
              on the same SSL object, which keeps the session: these handshakes RESUME (TLS 1.3
              PSK with a fresh key share, no certificate, no signature).
  full        the same with no_resume.c preloaded into wrk (its SSL_clear drops the session):
              every request is a full handshake (key share, certificate, ECDSA signature).
Before the rounds, a throwaway torus (whose `tls stats` line at exit counts handshakes and
resumptions) checks what each handshake load really does; the counts are in the report.
Each server is pinned to one CPU and wrk to the other (taskset); every server gets a warm-up
per load, then N rounds per load with the server order rotating each round. Per run: req/s,
p50/p99 latency, server CPU seconds (utime+stime of its process tree), requests per
server-CPU-second, and wrk's own CPU seconds (a handshake load can make the client the limit:
wrk CPU s close to the duration means wrk was saturated). Medians and min-max spreads, as
Markdown on stdout and in bench/results/tls-DATE.md.

Reuses bench/wrk/run.py (process accounting, server start/stop, npm peers, the wrk Lua
report). Builds nothing: TORUS_BIN (default build/bench/server/torus) must exist. The server
`torus-base` is TORUS_BASE_BIN, another torus build (a change's parent), for a before/after
in the same run: `--servers torus-base,torus`.

Usage: python3 bench/tls/run.py [--runs 5] [--duration 10] [--servers torus,node,bun,deno]
                                [--loads keepalive,handshake] [--no-install]
"""

import argparse
import datetime
import importlib.util
import os
import re
import resource
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PEERS = os.path.join(HERE, "peers")

_spec = importlib.util.spec_from_file_location("wrk_run", os.path.join(REPO, "bench", "wrk", "run.py"))
wrk = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wrk)

BODY = b"Hello from torus!\n"


def log(msg):
    print(f"[tls-bench] {msg}", file=sys.stderr, flush=True)


def make_cert(directory):
    cert, key = os.path.join(directory, "bench.pem"), os.path.join(directory, "bench.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key,
                    "-out", cert], check=True, capture_output=True)
    return cert, key


def https_get(port, timeout=2.0):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except ssl.SSLError:
                    break  # a close without close_notify after the response
                if not chunk:
                    break
                data += chunk
    return data


class HttpsServer(wrk.Server):
    """bench/wrk's Server, probed over HTTPS instead of plain HTTP."""

    def start(self):
        for _ in range(5):
            self.port = wrk.free_port()
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
                    reply = https_get(self.port)
                    break
                except (OSError, ssl.SSLError):
                    time.sleep(0.1)
            if reply is not None:
                if reply.startswith(b"HTTP/1.1 200") and b"\r\n\r\n" + BODY in reply:
                    return
                self.stop()
                raise RuntimeError(f"{self.name}: unexpected reply {reply[:300]!r}")
            self.stop()
            if "in use" not in self.stderr_text():
                break
        raise RuntimeError(f"{self.name} did not start: {' '.join(argv)}\n{self.stderr_text()[-3000:]}")


LOADS = {
    "keepalive": {},
    "resumed": {"Connection": "close"},
    "full": {"Connection": "close"},
}
NO_RESUME = {"so": None}  # the built shim, for the "full" load


def build_no_resume(logdir):
    so = os.path.join(logdir, "no_resume.so")
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return None, "no C compiler to build no_resume.so"
    p = subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", so,
                        os.path.join(HERE, "no_resume.c"), "-ldl"], capture_output=True, text=True)
    if p.returncode != 0:
        return None, "no_resume.so did not build: " + p.stderr.strip()[-300:]
    return so, None


def run_wrk(port, duration, connections, cpu, load):
    headers = LOADS[load]
    env = dict(os.environ)
    if load == "full":
        env["LD_PRELOAD"] = NO_RESUME["so"]
    argv = ["taskset", "-c", str(cpu), "wrk", "-t1", f"-c{connections}", f"-d{duration}s",
            "-s", os.path.join(REPO, "bench", "wrk", "report.lua")]
    for k, v in headers.items():
        argv += ["-H", f"{k}: {v}"]
    argv.append(f"https://127.0.0.1:{port}/")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 120, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    m = wrk.WRK_LINE.search(p.stdout)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    w = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    w["wrk_cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return w


def measure(server, args, load):
    pid = server.proc.pid
    cpu0 = wrk.cpu_seconds(pid)
    w = run_wrk(server.port, args.duration, args.connections, args.wrk_cpu, load)
    cpu = wrk.cpu_seconds(pid) - cpu0
    return {
        "rps": w["requests"] / (w["duration_us"] / 1e6),
        "p50_ms": w["p50_us"] / 1000,
        "p99_ms": w["p99_us"] / 1000,
        "p999_ms": w["p999_us"] / 1000,
        "cpu_s": cpu,
        "req_per_cpu_s": w["requests"] / cpu if cpu > 0 else float("nan"),
        "wrk_cpu_s": w["wrk_cpu_s"],
        "rss_mib": wrk.rss_bytes(pid) / (1 << 20),
        "requests": w["requests"],
        "errors": (w["connect_errors"] + w["read_errors"] + w["write_errors"] + w["timeouts"] +
                   w["non2xx"]),
    }


TLS_STATS = re.compile(r"tls stats: handshakes=(\d+) resumed=(\d+) failures=(\d+)")

LOAD_TITLES = {
    "keepalive": "keep-alive: requests on persistent TLS connections",
    "resumed": "resumed handshakes: `Connection: close`, one resumed TLS handshake per request",
    "full": "full handshakes: `Connection: close` + no_resume.so, one full TLS handshake per "
            "request",
}


def check_handshakes(make_torus, args, loads):
    """{load: (handshakes, resumed)} from a throwaway torus per handshake load."""
    out = {}
    for load in loads:
        if load == "keepalive":
            continue
        s = make_torus(f"torus-check-{load}")
        try:
            s.start()
            run_wrk(s.port, 1, args.connections, args.wrk_cpu, load)
        finally:
            s.stop()
        m = TLS_STATS.findall(s.stderr_text())
        out[load] = (sum(int(x[0]) for x in m), sum(int(x[1]) for x in m)) if m else None
    return out


def report(args, servers, results, skipped, started, machine, loads, checks):
    med = wrk.med
    lines = [f"# HTTPS (wrk): torus and peers, {started:%Y-%m-%d %H:%M}", ""]
    lines.append(f"- Machine: {machine['cpu']}, {machine['ncpu']} CPUs, Linux {machine['kernel']}; "
                 f"load average before the run {machine['load']}.")
    lines.append(f"- Servers pinned to CPU {args.server_cpu}, wrk to CPU {args.wrk_cpu} (taskset); "
                 "one server process each (torus `--workers 1`).")
    lines.append(f"- Load: `wrk -t1 -c{args.connections} -d{args.duration}s` GET / over HTTPS "
                 f"(18-byte text body), {args.warmup} s warm-up per server and load, {args.runs} "
                 "runs per server and load, the server order rotating each round.")
    lines.append("- Certificate: one self-signed ECDSA P-256 certificate for all servers; each "
                 "server negotiates what it prefers with wrk's OpenSSL (TLS 1.3 for all here).")
    lines.append("- Versions: " + "; ".join(f"{s.name}: {s.version}" for s in servers) +
                 f"; wrk: {machine['wrk']}; {machine['openssl']}.")
    lines.append("- Server CPU is utime+stime of the server's process tree during the run; wrk CPU "
                 "is wrk's own (near the duration = the client was the limit).")
    for load, got in checks.items():
        if got:
            lines.append(f"- Check, `{load}` load: 1 s of it against a fresh torus made "
                         f"{got[0]} handshakes, {got[1]} of them resumed (its tls stats line; "
                         f"the probe's own handshake included).")
        else:
            lines.append(f"- Check, `{load}` load: the throwaway torus printed no tls stats.")
    lines.append("")
    for load in loads:
        lines.append(f"## {LOAD_TITLES[load]}")
        lines.append("")
        lines.append("| server | req/s (median) | req/s min–max | p50 ms | p99 ms | p99.9 ms | server CPU s | "
                     "req per CPU-s (median) | req/CPU-s min–max | wrk CPU s | errors | "
                     "req/s vs node | req/CPU-s vs node |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        node = results.get((load, "node"))
        for s in servers:
            runs = results.get((load, s.name))
            if not runs:
                continue
            lines.append(f"| {s.name} | {wrk.load_cells(runs)} | {med(runs, 'wrk_cpu_s'):.2f} | "
                         f"{sum(r['errors'] for r in runs)} | {wrk.vs_cells(runs, node)} |")
        lines.append("")
    if any(r["errors"] for (load, _), runs in results.items() if load != "keepalive"
           for r in runs):
        lines.append("- errors in the `Connection: close` loads are wrk's socket read errors at "
                     "the close: a server whose close wrk reads as an error gets about one per "
                     "request; the response was read and counted before it.")
    for s in servers:
        if s.name.startswith("torus"):
            m = TLS_STATS.findall(s.stderr_text())
            if m:
                hs, resumed, failures = (sum(int(x[i]) for x in m) for i in range(3))
                lines.append(f"- {s.name} tls stats at SIGTERM (all loads, warm-ups and probes "
                             f"included): handshakes={hs} resumed={resumed} "
                             f"failures={failures}.")
            else:
                lines.append(f"- {s.name} printed no tls stats line (exit code {s.exit_code}).")
            if s.exit_code != 0:
                lines.append(f"- {s.name} exited with code {s.exit_code} at SIGTERM (expected 0).")
        for note in s.notes:
            lines.append(f"- {s.name}: {note}")
    for name, why in skipped.items():
        lines.append(f"- **{name} not measured**: {why}")
    lines.append("")
    lines.append("## Every run")
    lines.append("")
    lines.append("| load | round | server | req/s | p50 ms | p99 ms | server CPU s | req/CPU-s | "
                 "wrk CPU s | RSS MiB | errors |")
    lines.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = sorted(((load, r["round"], r["order"], name, r)
                   for (load, name), runs in results.items() for r in runs),
                  key=lambda t: (loads.index(t[0]), t[1], t[2]))
    for load, rnd, _, name, r in rows:
        lines.append(f"| {load} | {rnd} | {name} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | "
                     f"{r['p99_ms']:.2f} | {r['cpu_s']:.2f} | {r['req_per_cpu_s']:,.0f} | "
                     f"{r['wrk_cpu_s']:.2f} | {r['rss_mib']:.1f} | {r['errors']} |")
    lines.append("")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", 5)))
    ap.add_argument("--duration", type=int, default=int(os.environ.get("DURATION", 10)))
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--servers", default=os.environ.get("SERVERS", "torus,node,bun,deno"))
    ap.add_argument("--loads", default="keepalive,resumed,full")
    ap.add_argument("--server-cpu", type=int, default=1)
    ap.add_argument("--wrk-cpu", type=int, default=0)
    ap.add_argument("--no-install", action="store_true", help="don't npm install bun/deno")
    ap.add_argument("--output", help="report path (default bench/results/tls-DATE.md)")
    args = ap.parse_args()

    started = datetime.datetime.now()
    for tool in ("wrk", "taskset", "openssl"):
        if not shutil.which(tool):
            sys.exit(f"run.py: '{tool}' not found")
    if os.cpu_count() < 2:
        sys.exit("run.py: needs 2 CPUs (server and wrk on separate ones)")
    loads = [x.strip() for x in args.loads.split(",") if x.strip()]
    for load in loads:
        if load not in LOADS:
            sys.exit(f"run.py: unknown load '{load}' (keepalive, resumed, full)")
    torus_bin = os.path.abspath(os.environ.get("TORUS_BIN") or
                                os.path.join(REPO, "build", "bench", "server", "torus"))

    wanted = [s.strip() for s in args.servers.split(",") if s.strip()]
    skipped = {}
    npm_names = [n for n in wanted if n in ("bun", "deno")]
    npm_paths, npm_why = (wrk.ensure_npm_peers(npm_names, not args.no_install) if npm_names
                          else ({}, {}))

    logdir = tempfile.mkdtemp(prefix="torus-tls-bench-")
    cert, key = make_cert(logdir)
    if "full" in loads:
        NO_RESUME["so"], why = build_no_resume(logdir)
        if not NO_RESUME["so"]:
            log(f"no full-handshake load: {why}")
            skipped["full-handshake load"] = why
            loads.remove("full")
    servers = []
    for name in wanted:
        if name in ("torus", "torus-base"):
            binary = torus_bin if name == "torus" else os.path.abspath(
                os.environ.get("TORUS_BASE_BIN", ""))
            if not os.access(binary, os.X_OK):
                sys.exit(f"run.py: no {name} binary at {binary} (TORUS_BIN, TORUS_BASE_BIN; "
                         "cmake --preset bench && cmake --build --preset bench --target torus)")
            argv = [binary, "serve", os.path.join(REPO, "examples", "hello"),
                    "--https-listen", "127.0.0.1:{port}", "--tls-cert", cert, "--tls-key", key,
                    "--workers", "1"]
            version = wrk.tool_version([binary, "--version"])
        elif name == "node":
            node = shutil.which("node")
            if not node:
                skipped[name] = "node not found"
                continue
            argv = [node, os.path.join(PEERS, "node_https.mjs"), "{port}", cert, key]
            version = wrk.tool_version([node, "--version"])
        elif name == "bun":
            if not npm_paths.get("bun"):
                skipped[name] = npm_why.get("bun", "not available")
                continue
            argv = [npm_paths["bun"], os.path.join(PEERS, "bun_https.js"), "{port}", cert, key]
            version = wrk.tool_version([npm_paths["bun"], "--version"])
        elif name == "deno":
            if not npm_paths.get("deno"):
                skipped[name] = npm_why.get("deno", "not available")
                continue
            argv = [npm_paths["deno"], "run", "--allow-net", "--allow-read", "--no-prompt",
                    os.path.join(PEERS, "deno_https.ts"), "{port}", cert, key]
            version = wrk.tool_version([npm_paths["deno"], "--version"])
        else:
            sys.exit(f"run.py: unknown server '{name}'")
        servers.append(HttpsServer(name, argv, version, args.server_cpu, logdir))

    def make_torus(name):
        argv = [torus_bin, "serve", os.path.join(REPO, "examples", "hello"), "--https-listen",
                "127.0.0.1:{port}", "--tls-cert", cert, "--tls-key", key, "--workers", "1"]
        return HttpsServer(name, argv, "", args.server_cpu, logdir)

    checks = check_handshakes(make_torus, args, loads) if os.access(torus_bin, os.X_OK) else {}
    for load, got in checks.items():
        log(f"check {load}: handshakes={got[0] if got else '?'} resumed={got[1] if got else '?'}")
    machine = wrk.machine_info()
    machine["openssl"] = wrk.tool_version(["openssl", "version"])
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
        for load in loads:
            for s in servers:
                log(f"warming up {s.name} ({load}, {args.warmup} s)")
                run_wrk(s.port, args.warmup, args.connections, args.wrk_cpu, load)
            for rnd in range(args.runs):
                k = rnd % len(servers)
                order = servers[k:] + servers[:k]
                for i, s in enumerate(order):
                    r = measure(s, args, load)
                    r["round"], r["order"] = rnd + 1, i
                    results.setdefault((load, s.name), []).append(r)
                    log(f"{load} round {rnd + 1}/{args.runs} {s.name}: {r['rps']:,.0f} req/s, "
                        f"{r['req_per_cpu_s']:,.0f} req/CPU-s, wrk CPU {r['wrk_cpu_s']:.2f} s, "
                        f"errors {r['errors']}")
    finally:
        for s in servers:
            s.stop()

    text = report(args, servers, results, skipped, started, machine, loads, checks)
    print(text)
    out = args.output or os.path.join(REPO, "bench", "results", f"tls-{started:%Y-%m-%d}.md")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(text)
    log(f"report written to {out} (server logs in {logdir})")


if __name__ == "__main__":
    main()
