#!/usr/bin/env python3
"""crypto.subtle throughput: torus next to Bun, Deno and Node, measured in the same run.

Each (runtime, case) runs as its own process pinned to one CPU (taskset), for --ms
milliseconds of wall time after a warm-up (bench/crypto/subtle_bench.js). Per run it records
operations per second (wall) and operations per CPU-second: the process's user+system time
(all threads, from wait4) minus the median start-up cost of that runtime (case "none"). The
runtime order rotates each round. The report gives medians and min-max spread per runtime and
ratios against torus, as Markdown on stdout and in bench/results/crypto-DATE.md.

Builds nothing: TORUS_BIN (default build/bench/server/torus) must exist. Bun and Deno come
from npm into bench/wrk/.peers (as bench/wrk/run.py installs them).

Usage: bench/crypto/run.py [--runs 3] [--ms 2000] [--runtimes torus,bun,deno,node] [--cases ...]
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "bench", "wrk"))
from run import ensure_npm_peers  # noqa: E402  (bench/wrk/run.py)

BENCH = os.path.join(HERE, "subtle_bench.js")
CASES = ["digest-sha256-1k", "aes256gcm-64k", "ecdsa-p256-sign", "ecdsa-p256-verify",
         "ed25519-sign", "ed25519-verify", "jwt-hs256-verify"]


def log(msg):
    print(f"[crypto-bench] {msg}", file=sys.stderr, flush=True)


def command(runtime, path, entry):
    if runtime == "torus":
        return [path, "run", entry]
    if runtime == "deno":
        return [path, "run", "--allow-read", entry]
    if runtime == "bun":
        return [path, "run", entry]
    return [path, entry]


def run_once(runtime, path, case, ms, cpu, tmp):
    """(ops, wall seconds) or an error string."""
    entry = os.path.join(tmp, f"{runtime}-{case}.mjs")
    with open(entry, "w") as f:
        f.write(f"import {{ main }} from {json.dumps(BENCH)};\nawait main({json.dumps(case)}, {ms});\n")
    cmd = ["taskset", "-c", str(cpu), *command(runtime, path, entry)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=ms / 1000 * 5 + 60)
    if p.returncode != 0:
        last = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["no output"]
        return f"exit {p.returncode}: {last[0][:120]}"
    r = json.loads([l for l in p.stdout.splitlines() if l.startswith("{")][-1])
    return r["ops"], r["seconds"]


def measure(runtime, path, case, ms, cpu, tmp):
    """One run with its CPU time (user+system of the reaped child, all its threads)."""
    before = os.times()
    r = run_once(runtime, path, case, ms, cpu, tmp)
    after = os.times()
    if isinstance(r, str):
        return r
    cpu_s = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return {"ops": r[0], "seconds": r[1], "cpu": cpu_s}


def fmt(v):
    if v >= 100_000:
        return f"{v / 1000:,.0f}k"
    if v >= 1000:
        return f"{v / 1000:,.1f}k"
    return f"{v:,.0f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--ms", type=int, default=2000)
    ap.add_argument("--runtimes", default="torus,bun,deno,node")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--cpu", type=int, default=1, help="the CPU each run is pinned to")
    ap.add_argument("--no-install", action="store_true")
    ap.add_argument("--output")
    args = ap.parse_args()

    runtimes = args.runtimes.split(",")
    cases = args.cases.split(",")
    paths, why = {}, {}
    torus = os.environ.get("TORUS_BIN") or os.path.join(REPO, "build", "bench", "server", "torus")
    if "torus" in runtimes:
        paths["torus"] = torus if os.access(torus, os.X_OK) else None
        if not paths["torus"]:
            why["torus"] = f"no binary at {torus}"
    if "node" in runtimes:
        paths["node"] = shutil.which("node")
    npm = [r for r in runtimes if r in ("bun", "deno")]
    if npm:
        p, w = ensure_npm_peers(npm, not args.no_install)
        paths.update(p)
        why.update(w)
    runtimes = [r for r in runtimes if paths.get(r)]
    versions = {}
    for r in runtimes:
        if r == "torus":
            versions[r] = "this tree"
            continue
        v = subprocess.run([paths[r], "--version"], capture_output=True, text=True).stdout.strip()
        versions[r] = v.splitlines()[0] if v else "?"

    results = {r: {c: [] for c in cases} for r in runtimes}
    errors = {}
    startup = {r: [] for r in runtimes}
    with tempfile.TemporaryDirectory(prefix="torus-crypto-bench-") as tmp:
        for rnd in range(args.runs):
            order = runtimes[rnd % len(runtimes):] + runtimes[:rnd % len(runtimes)]
            for r in order:
                s = measure(r, paths[r], "none", 0, args.cpu, tmp)
                if isinstance(s, dict):
                    startup[r].append(s["cpu"])
                for c in cases:
                    m = measure(r, paths[r], c, args.ms, args.cpu, tmp)
                    if isinstance(m, str):
                        errors[(r, c)] = m
                        log(f"{r} {c}: {m}")
                        continue
                    results[r][c].append(m)
                    log(f"round {rnd + 1} {r:5} {c:18} {m['ops'] / m['seconds']:12,.0f} ops/s")

    lines = [f"# crypto.subtle throughput, {datetime.date.today()}", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.release()}. "
             f"Each run one process pinned to CPU {args.cpu}, {args.ms} ms after a warm-up; "
             f"{args.runs} rounds, runtime order rotating. Medians, min-max in brackets. "
             "ops/CPU-s: operations over the process's CPU time less its start-up CPU time "
             "(the median of a run that does nothing).", ""]
    for r in runtimes:
        lines.append(f"- {r}: {versions[r]}; start-up CPU {statistics.median(startup[r] or [0]):.3f} s")
    for r, w in why.items():
        lines.append(f"- {r}: not measured ({w})")
    lines.append("")
    header = "| case | " + " | ".join(f"{r} ops/s | {r} ops/CPU-s" for r in runtimes) + " |"
    lines += [header, "|" + "---|" * (1 + 2 * len(runtimes))]
    medians = {}
    for c in cases:
        row = [c]
        for r in runtimes:
            ms = results[r][c]
            if not ms:
                row += [errors.get((r, c), "n/a")[:40], ""]
                continue
            base = statistics.median(startup[r] or [0])
            wall = [m["ops"] / m["seconds"] for m in ms]
            per_cpu = [m["ops"] / max(m["cpu"] - base, 1e-3) for m in ms]
            medians[(r, c)] = (statistics.median(wall), statistics.median(per_cpu))
            row.append(f"{fmt(statistics.median(wall))} [{fmt(min(wall))}-{fmt(max(wall))}]")
            row.append(f"{fmt(statistics.median(per_cpu))} [{fmt(min(per_cpu))}-{fmt(max(per_cpu))}]")
        lines.append("| " + " | ".join(row) + " |")
    if "torus" in runtimes:
        others = [r for r in runtimes if r != "torus"]
        lines += ["", "torus / peer, ops per CPU-second (>1: torus ahead):", "",
                  "| case | " + " | ".join(others) + " |", "|" + "---|" * (1 + len(others))]
        for c in cases:
            row = [c]
            for r in others:
                if ("torus", c) in medians and (r, c) in medians:
                    row.append(f"{medians[('torus', c)][1] / medians[(r, c)][1]:.2f}")
                else:
                    row.append("n/a")
            lines.append("| " + " | ".join(row) + " |")
    report = "\n".join(lines) + "\n"
    print(report)
    out = args.output or os.path.join(REPO, "bench", "results", f"crypto-{datetime.date.today()}.md")
    with open(out, "w") as f:
        f.write(report)
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
