#!/usr/bin/env python3
"""The side-by-side report: one command runs the suite of bench/ runners and writes what a
user reads, docs/benchmarks/report.md with an SVG chart per load.

    python3 bench/report.py [--runs 5] [--duration 10] [--quick] [--no-install]

Loads, each in one run of its runner (servers pinned to CPU 1, the client to CPU 0, the order
rotating each round, medians and spreads, requests per server-CPU-second):
  hello-64, hello-256  bench/wrk/run.py, GET / at 64 and 256 connections: torus (io_uring),
                       torus-epoll (the same binary with TORUS_IO=epoll), the C++ ceiling,
                       Bun, Deno, Node
  json-64              the same with --path /json (Response.json)
  sha256-64            --path /sha256: a 1 KiB POST, its SHA-256 from crypto.subtle (no ceiling)
  stream-64            --path /stream: 1 MiB from a ReadableStream, chunked (no ceiling)
  https                bench/tls/run.py: keep-alive and full TLS 1.3 handshakes
  proxy                bench/proxy/run.py: a fetch() proxy to a local upstream
  startup              bench/startup/run.py: spawn to the first response, idle RSS
Each runner's own report goes to bench/results/report-DATE/; this script reads their
summary tables back. A progress line per step goes to stderr. Builds nothing: TORUS_BIN
(default build/bench/server/torus). --quick: 3 runs of 5 s (about 15 minutes in all).
"""

import argparse
import datetime
import os
import re
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def log(msg):
    print(f"[report] {msg}", file=sys.stderr, flush=True)


def tables(path):
    """{section title: [{column: cell}]} for every Markdown table whose first column is a
    server ("server" or "proxy"), under the ## heading before it ("" before any)."""
    out, section, header = {}, "", None
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("## "):
            section, header = line[3:].strip(), None
            continue
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if header is None:
            if cells and cells[0] in ("server", "proxy"):
                header = cells
            continue
        if set(cells[0]) <= set("-:"):
            continue
        out.setdefault(section, []).append(dict(zip(header, cells)))
    return out


def number(cell):
    m = re.match(r"[\d,.]+", cell or "")
    return float(m.group(0).replace(",", "")) if m else None


def pick(row, *names):
    for n in names:
        if n in row:
            return row[n]
    return ""


def svg_bars(title, unit, bars, path):
    """A horizontal bar chart: bars is [(label, value)], torus's bars darker."""
    width, left, bar, gap = 640, 120, 22, 8
    height = 40 + len(bars) * (bar + gap) + 20
    top = max(v for _, v in bars) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="13">',
             f'<text x="10" y="22" font-weight="bold">{title}</text>',
             f'<text x="{width - 10}" y="22" text-anchor="end" fill="#555">{unit}</text>']
    for i, (label, value) in enumerate(bars):
        y = 40 + i * (bar + gap)
        w = (width - left - 90) * value / top
        color = "#1f5f99" if label.startswith("torus") else "#9bb7d4"
        if label == "ceiling":
            color = "#bbbbbb"
        parts += [f'<text x="{left - 8}" y="{y + 16}" text-anchor="end">{label}</text>',
                  f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar}" fill="{color}"/>',
                  f'<text x="{left + w + 6:.1f}" y="{y + 16}">{value:,.0f}</text>']
    parts.append("</svg>")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(parts) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="3 runs of 5 s")
    ap.add_argument("--no-install", action="store_true", help="don't npm install bun/deno")
    ap.add_argument("--out", default=os.path.join(REPO, "docs", "benchmarks"))
    args = ap.parse_args()
    if args.quick:
        args.runs, args.duration = 3, 5
    torus = os.path.abspath(os.environ.get("TORUS_BIN") or
                            os.path.join(REPO, "build", "bench", "server", "torus"))
    if not os.path.exists(torus):
        sys.exit(f"report: no torus binary at {torus} (build the bench preset or set TORUS_BIN)")
    stamp = datetime.datetime.now().strftime("%Y-%m-%d")
    results = os.path.join(REPO, "bench", "results", f"report-{stamp}")
    os.makedirs(results, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    # torus on epoll: the same binary, TORUS_IO=epoll (exec keeps the process the runner
    # measures).
    wrapper = os.path.join(tempfile.mkdtemp(prefix="torus-report-"), "torus-epoll")
    with open(wrapper, "w") as f:
        f.write(f'#!/bin/sh\nTORUS_IO=epoll exec "{torus}" "$@"\n')
    os.chmod(wrapper, os.stat(wrapper).st_mode | stat.S_IEXEC)
    env = dict(os.environ, TORUS_BIN=torus)
    common = ["--runs", str(args.runs), "--duration", str(args.duration)]
    install = ["--no-install"] if args.no_install else []

    def wrk(servers, *extra):  # bench/wrk/run.py, torus-epoll as its torus-base
        return ([sys.executable, os.path.join(HERE, "wrk", "run.py")] + common + install +
                ["--servers", servers, "--torus-base", wrapper, *extra])

    steps = [
        ("hello-64", "Hello world, 64 connections", wrk("torus,ceiling,bun,deno,node")),
        ("hello-256", "Hello world, 256 connections",
         wrk("torus,ceiling,bun,deno,node", "--connections", "256")),
        ("json-64", "Response.json, 64 connections",
         wrk("torus,ceiling,bun,deno,node", "--path", "/json")),
        ("sha256-64", "A 1 KiB POST hashed with SHA-256, 64 connections",
         wrk("torus,bun,deno,node", "--path", "/sha256")),
        ("stream-64", "A 1 MiB streamed response, 64 connections",
         wrk("torus,bun,deno,node", "--path", "/stream")),
        ("https", "HTTPS hello world", [sys.executable, os.path.join(HERE, "tls", "run.py")] +
         common + install + ["--servers", "torus,bun,deno,node", "--loads", "keepalive,full"]),
        ("proxy", "fetch() proxy", [sys.executable, os.path.join(HERE, "proxy", "run.py")] +
         common + install),
        ("startup", "Start-up", [sys.executable, os.path.join(HERE, "startup", "run.py"),
                                 "--runs", str(max(args.runs, 5)),
                                 "--servers", "torus,deno,bun,node"]),
    ]
    sections = []
    for i, (name, title, cmd) in enumerate(steps, 1):
        report = os.path.join(results, f"{name}.md")
        log(f"{i}/{len(steps)} {title}: {' '.join(os.path.basename(c) for c in cmd[1:3])} ...")
        started = datetime.datetime.now()
        p = subprocess.run(cmd + ["--output", report], env=env, capture_output=True, text=True)
        secs = (datetime.datetime.now() - started).total_seconds()
        if p.returncode != 0 or not os.path.exists(report):
            log(f"{i}/{len(steps)} {title}: failed after {secs:.0f} s: {p.stderr.strip()[-300:]}")
            sections.append((name, title, None, report))
            continue
        log(f"{i}/{len(steps)} {title}: done in {secs:.0f} s")
        sections.append((name, title, tables(report), report))

    lines = [f"# torus against the runtimes users would pick instead ({stamp})", "",
             f"`python3 bench/report.py{' --quick' if args.quick else ''}` on this machine "
             f"({os.cpu_count()} CPUs; servers pinned to CPU 1, the client to CPU 0), "
             f"{args.runs} rounds of {args.duration} s per load, the server order rotating. "
             "Medians, with the spread in each runner's report (linked). torus-epoll is the "
             "same binary on its epoll backend; the ceiling is bench/ceiling, a C++ io_uring "
             "hello-world server with no JS. Requests per server-CPU-second is the figure "
             "that compares: the client (one wrk thread) is often the limit of req/s.", ""]
    for name, title, found, report in sections:
        rel = os.path.relpath(report, args.out)
        lines += [f"## {title}", ""]
        if found is None:
            lines += [f"Not measured: the runner failed ([its output]({rel})).", ""]
            continue
        for section, rows in found.items():
            if section.lower().startswith("every run"):
                continue
            heading = section if section else title
            if name == "startup":
                lines += ["| server | start-up ms | idle RSS MiB |", "|---|---:|---:|"]
                for r in rows:
                    lines.append(f"| {r.get('server')} | {pick(r, 'start-up ms (median)')} | "
                                 f"{pick(r, 'idle RSS MiB (median)')} |")
                bars = [(r["server"], number(pick(r, "start-up ms (median)")) or 0) for r in rows]
                unit = "ms from spawn to the first response (lower is better)"
            else:
                if section:
                    lines += [f"**{heading}**", ""]
                lines += ["| server | req/s | req per server-CPU-s | p50 ms | p99 ms | p99.9 ms | "
                          "RSS MiB |", "|---|---:|---:|---:|---:|---:|---:|"]
                bars = []
                for r in rows:
                    label = pick(r, "server", "proxy")
                    label = "torus-epoll" if label == "torus-base" else label
                    cpu = pick(r, "req per CPU-s (median)", "req per proxy-CPU-s median")
                    lines.append(f"| {label} | {pick(r, 'req/s (median)', 'req/s median')} | "
                                 f"{cpu} | {pick(r, 'p50 ms')} | {pick(r, 'p99 ms')} | {pick(r, 'p99.9 ms')} | "
                                 f"{pick(r, 'RSS MiB')} |")
                    if number(cpu):
                        bars.append((label, number(cpu)))
                unit = "requests per server-CPU-second"
            if bars:
                slug = re.sub(r"[^a-z0-9]+", "-", f"{name} {section}".lower()).strip("-")
                svg_bars(heading, unit, bars, os.path.join(args.out, f"{slug}.svg"))
                lines += ["", f"![{heading}]({slug}.svg)"]
            lines += ["", f"From [{os.path.basename(report)}]({rel}).", ""]
    path = os.path.join(args.out, "report.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
