#!/usr/bin/env python3
"""What the admin listener costs: torus hello world under wrk with and without
--admin-listen while /metrics is scraped every --scrape-interval seconds (Prometheus scrapes
every 15-60 s; 1 s is a harsh case), rounds interleaved. Reports requests per second and
per server-CPU-second (utime+stime of the server process, /proc/PID/stat), medians and
spread, and the ratio with/without.

Builds nothing: TORUS_BIN (default build/bench/server/torus).
Usage: bench/admin/metrics_cost.py [--runs 5] [--duration 6] [--scrape-interval 1]
"""

import argparse
import os
import re
import socket
import statistics
import subprocess
import threading
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def wait_port(port, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} never opened")


def one_run(binary, admin, duration, interval):
    port = free_port()
    args = ["taskset", "-c", "1", binary, "serve", os.path.join(REPO, "examples", "hello"),
            "--listen", f"127.0.0.1:{port}", "--workers", "1"]
    admin_port = free_port()
    if admin:
        args += ["--admin-listen", f"127.0.0.1:{admin_port}"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        if admin:
            wait_port(admin_port)
        url = f"http://127.0.0.1:{port}/"
        subprocess.run(["taskset", "-c", "0", "wrk", "-t1", "-c64", "-d2s", url],
                       capture_output=True)
        stop = threading.Event()
        scrapes = [0]

        def scrape():
            while not stop.wait(interval):
                with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/metrics") as r:
                    r.read()
                scrapes[0] += 1

        scraper = threading.Thread(target=scrape) if admin else None
        before = cpu_seconds(proc.pid)
        if scraper:
            scraper.start()
        out = subprocess.run(["taskset", "-c", "0", "wrk", "-t1", "-c64", f"-d{duration}s", url],
                             capture_output=True, text=True).stdout
        stop.set()
        if scraper:
            scraper.join()
        cpu = cpu_seconds(proc.pid) - before
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        requests = int(re.search(r"(\d+) requests in", out).group(1))
        return {"rps": rps, "per_cpu": requests / cpu, "scrapes": scrapes[0]}
    finally:
        proc.terminate()
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--duration", type=int, default=6)
    ap.add_argument("--scrape-interval", type=float, default=1.0)
    args = ap.parse_args()
    binary = os.environ.get("TORUS_BIN") or os.path.join(REPO, "build", "bench", "server", "torus")
    results = {False: [], True: []}
    for i in range(args.runs):
        for admin in ((False, True) if i % 2 == 0 else (True, False)):
            r = one_run(binary, admin, args.duration, args.scrape_interval)
            results[admin].append(r)
            print(f"round {i + 1} {'admin' if admin else 'plain'}: {r['rps']:,.0f} req/s, "
                  f"{r['per_cpu']:,.0f} req/CPU-s, {r['scrapes']} scrapes", flush=True)
    for key in ("rps", "per_cpu"):
        plain = [r[key] for r in results[False]]
        admin = [r[key] for r in results[True]]
        print(f"{key}: plain {statistics.median(plain):,.0f} [{min(plain):,.0f}-{max(plain):,.0f}]"
              f", admin {statistics.median(admin):,.0f} [{min(admin):,.0f}-{max(admin):,.0f}]"
              f", ratio {statistics.median(admin) / statistics.median(plain):.3f}")


if __name__ == "__main__":
    main()
