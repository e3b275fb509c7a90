#!/usr/bin/env python3
"""Start-up and idle memory: torus beside Node, Deno and Bun, in one run.

    bench/startup/run.py [--runs 10] [--servers torus,node,deno,bun] [--output REPORT.md]

Each server runs the hello app of bench/wrk (torus: examples/hello, one worker), pinned to
CPU 1. Per run: the time from spawn to the first 200 response (a client polls with a fresh
connection every 0.5 ms), then, after a second idle, the RSS of the server's process tree
and, for torus, how much of it is libnode's file-backed mappings (V8's code, shared with any
other process that maps the library). Medians and min-max. Builds nothing: TORUS_BIN
(default build/bench/server/torus); the server `torus-base` is TORUS_BASE_BIN, another torus
build (a change's parent), for a before/after in the same run; Bun and Deno from
bench/wrk/.peers (bench/wrk/run.sh installs them).
"""

import argparse
import datetime
import os
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "bench", "wrk"))
import run as wrk  # noqa: E402  (the peers, process trees and versions of bench/wrk)

REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def first_response(port, deadline):
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(REQUEST)
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return time.monotonic()
        except OSError:
            pass
        time.sleep(0.0005)
    return None


def libnode_rss_kib(pid):
    total = 0
    current = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and "-" in parts[0] and ":" in parts[3]:
                current = parts[5]
            elif parts and parts[0] == "Rss:" and current and "libnode" in current:
                total += int(parts[1])
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--servers", default="torus,node,deno,bun")
    ap.add_argument("--cpu", type=int, default=1)
    ap.add_argument("--output")
    args = ap.parse_args()
    torus = os.path.abspath(os.environ.get("TORUS_BIN") or
                            os.path.join(REPO, "build", "bench", "server", "torus"))
    names = [s for s in args.servers.split(",") if s]
    paths, why = wrk.ensure_npm_peers([n for n in names if n in ("bun", "deno")], False)
    base = os.environ.get("TORUS_BASE_BIN")
    serve = ["serve", os.path.join(REPO, "examples", "hello"), "--listen", "127.0.0.1:{port}",
             "--workers", "1"]
    argv = {
        "torus": [torus, *serve],
        "torus-base": [os.path.abspath(base or "torus-base"), *serve],
        "node": ["node", os.path.join(wrk.PEERS, "node_hello.mjs"), "{port}"],
        "deno": [paths.get("deno") or "deno", "run", "--allow-net", "--no-prompt",
                 os.path.join(wrk.PEERS, "deno_hello.ts"), "{port}"],
        "bun": [paths.get("bun") or "bun", os.path.join(wrk.PEERS, "bun_hello.js"), "{port}"],
    }
    versions = {"torus": wrk.tool_version([torus, "--version"]),
                "node": wrk.tool_version(["node", "--version"])}
    if base:
        versions["torus-base"] = wrk.tool_version([argv["torus-base"][0], "--version"])
    for n in ("deno", "bun"):
        if paths.get(n):
            versions[n] = wrk.tool_version([paths[n], "--version"])
    skipped = {n: why.get(n, "not found") for n in names if n not in versions}
    names = [n for n in names if n in versions]
    results = {n: [] for n in names}
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    for r in range(args.runs):
        for name in names[r % len(names):] + names[:r % len(names)]:
            port = wrk.free_port()
            cmd = ["taskset", "-c", str(args.cpu)] + [a.replace("{port}", str(port))
                                                      for a in argv[name]]
            start = time.monotonic()
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            got = first_response(port, start + 30)
            if got is None:
                proc.kill()
                proc.wait()
                skipped[name] = "no response within 30 s"
                continue
            time.sleep(1)
            rss = wrk.rss_bytes(proc.pid) / (1 << 20)
            lib = libnode_rss_kib(proc.pid) / 1024 if name.startswith("torus") else None
            proc.terminate()
            proc.wait(30)
            results[name].append({"ms": (got - start) * 1000, "rss": rss, "lib": lib})

    med = lambda runs, k: statistics.median(x[k] for x in runs)
    rng = lambda runs, k, f: f"{f.format(min(x[k] for x in runs))}–{f.format(max(x[k] for x in runs))}"
    lines = [f"# Start-up and idle RSS, {datetime.datetime.now():%Y-%m-%d %H:%M}", "",
             f"- Each server pinned to CPU {args.cpu}; {args.runs} runs each, the order rotating; "
             f"load average before {load}.",
             "- Versions: " + "; ".join(f"{n}: {v}" for n, v in versions.items()) + ".",
             "- Start-up: spawn to the first 200 response (a fresh connection every 0.5 ms). "
             "Idle RSS: the process tree's, one second after that response.", "",
             "| server | start-up ms (median) | min–max | idle RSS MiB (median) | min–max |",
             "|---|---:|---:|---:|---:|"]
    for n in names:
        runs = results[n]
        if runs:
            lines.append(f"| {n} | {med(runs, 'ms'):.1f} | {rng(runs, 'ms', '{:.1f}')} | "
                         f"{med(runs, 'rss'):.1f} | {rng(runs, 'rss', '{:.1f}')} |")
    if results.get("torus"):
        lines += ["", f"- torus's idle RSS includes {med(results['torus'], 'lib'):.1f} MiB of "
                      "libnode's file-backed pages (V8's code and read-only data, shared with "
                      "every process mapping the library)."]
    for n, w in skipped.items():
        lines.append(f"- **{n} not measured**: {w}")
    report = "\n".join(lines) + "\n"
    print(report)
    if args.output:
        with open(args.output, "w") as f:
            f.write(report)


if __name__ == "__main__":
    main()
