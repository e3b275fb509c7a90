#!/usr/bin/env python3
"""Proxy benchmark: an app that fetch()es a local upstream and returns its body, on torus,
Deno, Bun and Node (undici) in the same run.

Every proxy gets its own upstream, the same small node:http server for all
(apps/upstream.mjs: 12-byte "hello world\\n", keep-alive, counting the connections it
accepts). wrk sends `GET /` with `X-Upstream: http://127.0.0.1:UPSTREAM` to the proxy, which
fetches that origin + path and answers with the upstream's response:
  torus          apps/web_proxy.js    const r = await fetch(u); return new Response(r.body, r)
  torus-return   apps/torus_return.js return fetch(u)   (the fetch() Response itself)
  torus-example  examples/proxy/app.js fetch(new Request(u, request)) (forwards the headers)
  deno, bun      apps/deno_proxy.js, apps/bun_proxy.js: web_proxy.js's passBody on
                 Deno.serve / Bun.serve and their own fetch (deno-return, bun-return: returnFetch)
  node           apps/node_proxy.mjs: node:http + global fetch (undici), body piped
Pinning (2 CPUs): the proxy on --proxy-cpu (1), wrk and the upstream on --client-cpu (0), so
the proxy has a core to itself and its CPU is the one measured: proxy CPU = utime+stime of
its process tree (all threads) from /proc/PID/stat, before and after each wrk run. The
headline is requests per proxy-CPU-second; also req/s, p50/p99 (wrk's latency histogram),
upstream connections opened during the run and the most open at once (connection reuse),
upstream and wrk CPU (when CPU 0 is near 1.0 core, req/s is bounded by the client side, not
the proxy; requests per proxy-CPU-second is not), and how long the proxy's threads were
runnable but waiting for a CPU (/proc/PID/task/*/schedstat: other load on the proxy's CPU).

Rounds: a warm-up per proxy, then --runs rounds of `wrk -t1 -cC -dDs`, the proxy order
rotating each round; medians and min-max. Report: Markdown on stdout and in
bench/results/proxy-DATE.md. Helpers (CPU, RSS, wrk, npm peers) come from bench/wrk/run.py.

TORUS_BIN (default build/bench/server/torus) must exist; TORUS_ARGS adds options to every
torus serve. Usage: bench/proxy/run.sh [--runs 5] [--duration 10] [--servers LIST] ...
"""

import argparse
import datetime
import importlib.util
import json
import os
import resource
import shlex
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
APPS = os.path.join(HERE, "apps")
# bench/wrk/run.py's helpers, loaded under their own name (this file is also "run").
_spec = importlib.util.spec_from_file_location("wrk_run", os.path.join(REPO, "bench", "wrk", "run.py"))
wrk = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wrk)

UPSTREAM_BODY = b"hello world\n"
DEFAULT_SERVERS = "torus,torus-return,torus-example,deno,bun,node"


def log(msg):
    print(f"[proxy-bench] {msg}", file=sys.stderr, flush=True)


class Upstream(wrk.Server):
    """apps/upstream.mjs on its own port and control port."""
    expect_body = UPSTREAM_BODY

    def __init__(self, name, cpu, logdir):
        super().__init__(name, [], wrk.tool_version(["node", "--version"]), cpu, logdir)

    def start(self):
        self.control = wrk.free_port()
        self.argv = ["node", os.path.join(APPS, "upstream.mjs"), "{port}", str(self.control)]
        super().start()

    def stats(self, reset=False):
        reply = wrk.http_get(self.control, "/reset" if reset else "/")
        return json.loads(reply.split(b"\r\n\r\n", 1)[1])


class Proxy(wrk.Server):
    """A proxy under test; start() needs its upstream up (the probe goes through it)."""
    expect_body = UPSTREAM_BODY

    def __init__(self, name, argv, version, cpu, logdir, upstream):
        super().__init__(name, argv, version, cpu, logdir)
        self.upstream = upstream

    @property
    def headers(self):
        return {"X-Upstream": f"http://127.0.0.1:{self.upstream.port}"}

    def start(self):
        self.probe_headers = self.headers
        super().start()


def proxy_defs(torus_bin, npm_paths):
    """name -> (argv with {port}, version argv) or None when the runtime is missing."""
    torus_extra = shlex.split(os.environ.get("TORUS_ARGS", ""))

    def torus(entry, *opts):
        return ([torus_bin, "serve", entry, "--listen", "127.0.0.1:{port}", "--workers", "1",
                 *opts, *torus_extra], [torus_bin, "--version"])
    defs = {
        "torus": torus(os.path.join(APPS, "web_proxy.js")),
        "torus-return": torus(os.path.join(APPS, "torus_return.js")),
        "torus-example": torus(os.path.join(REPO, "examples", "proxy", "app.js")),
        "node": (["node", os.path.join(APPS, "node_proxy.mjs"), "{port}"], ["node", "--version"]),
    }
    deno, bun = npm_paths.get("deno"), npm_paths.get("bun")
    for mode, suffix in (("body", ""), ("return", "-return")):
        defs["deno" + suffix] = ([deno, "run", "--allow-net", "--no-prompt",
                                  os.path.join(APPS, "deno_proxy.js"), "{port}", mode],
                                 [deno, "--version"]) if deno else None
        defs["bun" + suffix] = ([bun, os.path.join(APPS, "bun_proxy.js"), "{port}", mode],
                                [bun, "--version"]) if bun else None
    return defs


def runqueue_wait(pid):
    """Seconds the proxy's threads spent runnable but waiting for a CPU (the second field of
    /proc/PID/task/TID/schedstat): how much other load on its CPU held it back."""
    total = 0
    for p in wrk.process_tree(pid):
        try:
            tids = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tids:
            try:
                with open(f"/proc/{p}/task/{t}/schedstat") as f:
                    total += int(f.read().split()[1])
            except (OSError, ValueError, IndexError):
                pass
    return total / 1e9


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def measure(p, args):
    up = p.upstream
    s0 = up.stats(reset=True)
    pc0, uc0, wc0 = wrk.cpu_seconds(p.proc.pid), wrk.cpu_seconds(up.proc.pid), children_cpu()
    rq0 = runqueue_wait(p.proc.pid)
    w = wrk.run_wrk(p.port, args.duration, args.connections, args.client_cpu, p.headers)
    pc = wrk.cpu_seconds(p.proc.pid) - pc0
    rq = runqueue_wait(p.proc.pid) - rq0
    uc = wrk.cpu_seconds(up.proc.pid) - uc0
    wc = children_cpu() - wc0  # wrk (taskset execs it), reaped by run_wrk
    s1 = up.stats()
    secs = w["duration_us"] / 1e6
    new_conns = s1["accepted"] - s0["accepted"]
    up_reqs = s1["requests"] - s0["requests"]
    return {
        "rps": w["requests"] / secs,
        "p50_ms": w["p50_us"] / 1000,
        "p99_ms": w["p99_us"] / 1000,
        "p999_ms": w["p999_us"] / 1000,
        "max_ms": w["max_us"] / 1000,
        "cpu_s": pc,
        "proxy_cores": pc / secs,
        "req_per_cpu_s": w["requests"] / pc if pc > 0 else float("nan"),
        "rq_cores": rq / secs,
        "up_cores": uc / secs,
        "wrk_cores": wc / secs,
        "new_conns": new_conns,
        "max_open": s1["max_open"],
        "open_after": s1["open"],
        "up_reqs": up_reqs,
        "req_per_conn": up_reqs / new_conns if new_conns else float("inf"),
        "rss_mib": wrk.rss_bytes(p.proc.pid) / (1 << 20),
        "requests": w["requests"],
        "errors": (w["connect_errors"] + w["read_errors"] + w["write_errors"] + w["timeouts"] +
                   w["non2xx"]),
        "non2xx": w["non2xx"],
    }


def probe_failure(p):
    """One request after a run with errors: what the proxy answers now (or how it fails)."""
    try:
        return repr(wrk.http_get(p.port, headers=p.headers, timeout=5)[:400])
    except OSError as e:
        return f"{type(e).__name__}: {e}"


# ---- report ----

med, spread = wrk.med, wrk.spread


def fmt_conn(runs, key):
    vals = [r[key] for r in runs]
    m = statistics.median(vals)
    return f"{m:,.0f} ({min(vals):,.0f}–{max(vals):,.0f})"


def fmt_rpc(x):
    return "all reused" if x == float("inf") else f"{x:,.0f}"


def report(args, argv, proxies, results, skipped, notes, started, machine, load_after, upver):
    L = [f"# Proxy (fetch): torus and peers, {started:%Y-%m-%d %H:%M} UTC", ""]
    L.append(f"- Command: `{' '.join(shlex.quote(a) for a in argv)}`"
             + (f" with TORUS_ARGS=`{os.environ['TORUS_ARGS']}`" if os.environ.get("TORUS_ARGS") else ""))
    L.append(f"- Machine: {machine['cpu']}, {machine['ncpu']} CPUs, Linux {machine['kernel']}; "
             f"load average (1, 5, 15 min) before the run {machine['load']}, after {load_after}.")
    L.append(f"- Pinning (taskset): each proxy on CPU {args.proxy_cpu}; wrk and the upstreams on CPU "
             f"{args.client_cpu}. One process per proxy (torus `--workers 1`), each with its own "
             f"upstream (node:http {upver}, apps/upstream.mjs, 12-byte body, keep-alive 600 s).")
    L.append(f"- Load: `wrk -t1 -c{args.connections} -d{args.duration}s` GET / with `X-Upstream: "
             f"http://127.0.0.1:PORT`, {args.warmup} s warm-up per proxy, {args.runs} runs per proxy, "
             f"the order rotating each round.")
    L.append("- Versions: " + "; ".join(f"{p.name}: {p.version}" for p in proxies) +
             f"; wrk: {machine['wrk']}.")
    L.append("- Proxy CPU: utime+stime of the proxy's process tree (all threads) during the run; "
             "cores = CPU seconds / wall seconds. Upstream conns: connections the upstream accepted "
             "during the run (median, min–max); max open: the most open at once; req/conn: upstream "
             "requests per connection opened in the run (\"all reused\": none opened, the pool from "
             "the warm-up or the previous round served it all). Proxy waiting for a CPU: time its "
             "threads were runnable but not running (schedstat), in cores: other load on its CPU.")
    L.append("")
    L.append("| proxy | req/s median | req/s min–max | req per proxy-CPU-s median | min–max | "
             "p50 ms | p99 ms | p99.9 ms | proxy cores | proxy waiting for a CPU | upstream conns per run | max open | req/conn | "
             "upstream cores | wrk cores | RSS MiB | req/CPU-s vs torus |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    base = results.get("torus")
    for p in proxies:
        runs = results.get(p.name)
        if not runs:
            continue
        vs = (f"{med(runs, 'req_per_cpu_s') / med(base, 'req_per_cpu_s'):.2f}×" if base else "n/a")
        L.append(
            f"| {p.name} | {med(runs, 'rps'):,.0f} | {spread(runs, 'rps', '{:,.0f}')} | "
            f"{med(runs, 'req_per_cpu_s'):,.0f} | {spread(runs, 'req_per_cpu_s', '{:,.0f}')} | "
            f"{med(runs, 'p50_ms'):.2f} | {med(runs, 'p99_ms'):.2f} | {med(runs, 'p999_ms'):.2f} | "
            f"{med(runs, 'proxy_cores'):.2f} | "
            f"{med(runs, 'rq_cores'):.2f} | {fmt_conn(runs, 'new_conns')} | {fmt_conn(runs, 'max_open')} | "
            f"{fmt_rpc(statistics.median(r['req_per_conn'] for r in runs))} | "
            f"{med(runs, 'up_cores'):.2f} | {med(runs, 'wrk_cores'):.2f} | {med(runs, 'rss_mib'):.0f} | "
            f"{vs} |")
    L.append("")
    for p in proxies:
        total = sum(r["errors"] for r in results.get(p.name, []))
        if total:
            L.append(f"- **{p.name}: wrk counted {total} errors** (socket errors, timeouts, non-2xx).")
        life = getattr(p, "life", None)
        if life:
            L.append(f"- {p.name}: over its whole life (warm-up included) the upstream accepted "
                     f"{life['accepted']:,} connections for {life['requests']:,} requests.")
        for n in p.notes + notes.get(p.name, []):
            L.append(f"- {p.name}: {n}")
        m = wrk.TORUS_STATS.findall(p.stderr_text()) if p.name.startswith("torus") else None
        if m:
            req, drains, cps, per = m[-1]
            L.append(f"- {p.name} stats at SIGTERM: requests={req} checkpoints per request {float(per):.3f}.")
        if p.name.startswith("torus") and p.exit_code not in (0, None):
            L.append(f"- **{p.name} exited with code {p.exit_code}** (expected 0 at SIGTERM).")
    for name, why in skipped.items():
        L.append(f"- **{name} not measured**: {why}")
    L.append("")
    L.append("## Every run")
    L.append("")
    L.append("| round | proxy | req/s | p50 ms | p99 ms | max ms | proxy CPU s | req/CPU-s | "
             "waiting for a CPU | upstream conns | max open | open after | upstream reqs | upstream cores | "
             "wrk cores | errors |")
    L.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rnd, name, r in sorted(((r["round"], n, r) for n, runs in results.items() for r in runs),
                               key=lambda t: (t[0], t[2]["order"])):
        L.append(f"| {rnd} | {name} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
                 f"{r['max_ms']:.1f} | {r['cpu_s']:.2f} | {r['req_per_cpu_s']:,.0f} | "
                 f"{r['rq_cores']:.2f} | {r['new_conns']:,} | {r['max_open']} | {r['open_after']} | {r['up_reqs']:,} | "
                 f"{r['up_cores']:.2f} | {r['wrk_cores']:.2f} | {r['errors']} |")
    L.append("")
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--servers", default=DEFAULT_SERVERS,
                    help=f"comma-separated (default {DEFAULT_SERVERS}; also deno-return, bun-return)")
    ap.add_argument("--proxy-cpu", type=int, default=1)
    ap.add_argument("--client-cpu", type=int, default=0, help="wrk and the upstreams")
    ap.add_argument("--no-install", action="store_true", help="don't npm install bun/deno")
    ap.add_argument("--output", help="report path (default bench/results/proxy-DATE.md)")
    args = ap.parse_args()

    started = datetime.datetime.now(datetime.timezone.utc)
    for tool in ("wrk", "taskset", "node"):
        if not shutil.which(tool):
            sys.exit(f"run.py: '{tool}' not found")
    if os.cpu_count() < 2:
        sys.exit("run.py: needs 2 CPUs (proxy on one, wrk and upstream on the other)")
    torus_bin = os.path.abspath(os.environ.get("TORUS_BIN") or
                                os.path.join(REPO, "build", "bench", "server", "torus"))
    wanted = [s.strip() for s in args.servers.split(",") if s.strip()]
    if any(n.startswith("torus") for n in wanted) and not os.access(torus_bin, os.X_OK):
        sys.exit(f"run.py: no torus binary at {torus_bin} (cmake --preset bench && "
                 "cmake --build --preset bench --target torus, or set TORUS_BIN)")
    npm_names = sorted({n.split("-")[0] for n in wanted if n.split("-")[0] in ("bun", "deno")})
    npm_paths, npm_why = (wrk.ensure_npm_peers(npm_names, not args.no_install) if npm_names
                          else ({}, {}))
    defs = proxy_defs(torus_bin, npm_paths)

    logdir = tempfile.mkdtemp(prefix="torus-proxy-")
    skipped, notes, proxies, upstreams = {}, {}, [], []
    for name in wanted:
        if name not in defs:
            sys.exit(f"run.py: unknown server '{name}' (known: {', '.join(defs)})")
        if defs[name] is None:
            skipped[name] = npm_why.get(name.split("-")[0], "not available")
            continue
        argv, version_argv = defs[name]
        up = Upstream(f"{name}.upstream", args.client_cpu, logdir)
        proxies.append(Proxy(name, argv, wrk.tool_version(version_argv), args.proxy_cpu, logdir, up))
        upstreams.append(up)

    machine = wrk.machine_info()
    results = {}
    try:
        for p in list(proxies):
            log(f"starting {p.name} and its upstream ...")
            try:
                p.upstream.start()
                p.start()
            except RuntimeError as e:
                log(str(e))
                skipped[p.name] = "failed to start: " + str(e).splitlines()[0]
                proxies.remove(p)
        for p in proxies:
            log(f"warming up {p.name} ({args.warmup} s)")
            wrk.run_wrk(p.port, args.warmup, args.connections, args.client_cpu, p.headers)
        live = list(proxies)
        for rnd in range(args.runs):
            k = rnd % len(live) if live else 0
            for i, p in enumerate(live[k:] + live[:k]):
                if p.proc.poll() is not None:
                    continue
                try:
                    r = measure(p, args)
                except (RuntimeError, OSError, ValueError) as e:
                    alive = p.proc.poll() is None
                    msg = (f"round {rnd + 1} failed: {str(e).strip()[:600]}; the proxy "
                           + ("is still running" if alive else f"had exited with {p.proc.returncode}")
                           + f"; stderr tail: {p.stderr_text()[-1500:]!r}")
                    log(f"{p.name}: {msg}")
                    notes.setdefault(p.name, []).append(msg)
                    if not alive:
                        live.remove(p)
                    continue
                r["round"], r["order"] = rnd + 1, i
                results.setdefault(p.name, []).append(r)
                if r["errors"]:
                    notes.setdefault(p.name, []).append(
                        f"round {rnd + 1}: {r['errors']} wrk errors ({r['non2xx']} non-2xx); a "
                        f"request right after answered {probe_failure(p)}")
                log(f"round {rnd + 1}/{args.runs} {p.name}: {r['rps']:,.0f} req/s, "
                    f"{r['req_per_cpu_s']:,.0f} req/proxy-CPU-s ({r['proxy_cores']:.2f} cores), "
                    f"p99 {r['p99_ms']:.2f} ms, {r['new_conns']} new upstream conns "
                    f"(max open {r['max_open']}), errors {r['errors']}")
        for p in proxies:
            try:
                p.life = p.upstream.stats()
            except (OSError, ValueError):
                pass
    finally:
        for p in proxies:
            alive = p.proc is not None and p.proc.poll() is None
            p.stop()
            if not alive and p.proc is not None:
                notes.setdefault(p.name, []).append(
                    f"had exited before the end with code {p.exit_code}; stderr tail: "
                    f"{p.stderr_text()[-1500:]!r}")
        for up in upstreams:
            up.stop()

    load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
    text = report(args, sys.argv, proxies, results, skipped, notes, started, machine, load_after,
                  wrk.tool_version(["node", "--version"]))
    print(text)
    out = args.output or os.path.join(REPO, "bench", "results", f"proxy-{started:%Y-%m-%d}.md")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(text)
    log(f"report written to {out} (logs in {logdir})")


if __name__ == "__main__":
    main()
