#!/usr/bin/env python3
"""The soak: torus at full load for a long time, with abusive clients beside the good ones.

    tests/soak/soak.py [--duration 600] [--workers 2] [--rss-growth 0.02] [--output REPORT.md]

torus (TORUS_BIN, default build/release/server/torus) serves tests/soak/app.js on an HTTP
and an HTTPS listener: hello world, JSON, a streamed body, a fetch() proxy of its own /json,
and crypto.subtle (HMAC and SHA-256). Well-behaved load: wrk on each listener, requests
rotating over the endpoints (tests/soak/mix.lua). Beside it, all the time: slowloris clients
(a header byte a second), clients that reset mid-request, oversize heads, random bytes on the
HTTP port and TLS garbage on the HTTPS one.

It passes when: the good clients see no error at all (no socket error, timeout or non-2xx);
RSS after the warm-up (the first quarter) stays flat (the last quarter's median within 2% of
the second quarter's, --rss-growth); the open descriptors are back to their level before the load once the
clients are gone; the abusers were answered as they should be (431 for oversize heads, 400
for garbage); torus exits 0 at SIGTERM with no sanitizer report. It prints a Markdown report
(and writes it to --output) and exits 1 when a check fails.
"""

import argparse
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from harness import free_port, rss_kib, sanitizer_report  # noqa: E402
WRK_LINE = re.compile(r"SOAK_WRK (.*)")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class Abusers:
    """Bad clients in threads until stop(); counts what they saw."""

    def __init__(self, port, tls_port):
        self.port, self.tls_port = port, tls_port
        self.stopping = threading.Event()
        self.counts = {}
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.loop, args=(fn,), daemon=True)
                        for fn in (self.slowloris, self.reset, self.oversize, self.garbage,
                                   self.tls_garbage)]

    def count(self, what):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def loop(self, fn):
        while not self.stopping.is_set():
            try:
                fn()
            except OSError as e:
                self.count(f"{fn.__name__}: {type(e).__name__}")

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(30)

    def connect(self, port):
        return socket.create_connection(("127.0.0.1", port), timeout=10)

    def status_of(self, s):
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        m = re.match(rb"HTTP/1\.1 (\d{3})", data)
        return int(m.group(1)) if m else None

    def slowloris(self):
        # 20 connections, each sending its head a byte a second until the server gives up.
        conns = [self.connect(self.port) for _ in range(20)]
        head = b"GET / HTTP/1.1\r\nHost: slow\r\nX-Slow: " + b"a" * 64
        try:
            for b in head:
                if self.stopping.wait(1):
                    return
                for s in list(conns):
                    try:
                        s.send(bytes([b]))
                    except OSError:
                        conns.remove(s)
                        self.count("slowloris: closed by the server")
                if not conns:
                    return
        finally:
            for s in conns:
                s.close()

    def reset(self):
        with self.connect(self.port) as s:
            s.sendall(b"POST / HTTP/1.1\r\nHost: r\r\nContent-Length: 100000\r\n\r\n" +
                      b"x" * random.randrange(0, 5000))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.count("reset: sent")
        time.sleep(0.02)

    def oversize(self):
        with self.connect(self.port) as s:
            try:
                s.sendall(b"GET / HTTP/1.1\r\nHost: big\r\nX-Big: " + b"b" * 200_000 + b"\r\n\r\n")
            except OSError:
                pass  # the server answered and closed before reading it all
            self.count(f"oversize: {self.status_of(s)}")
        time.sleep(0.05)

    def garbage(self):
        with self.connect(self.port) as s:
            s.sendall(bytes(random.randrange(1, 256) for _ in range(random.randrange(8, 2000))) +
                      b"\r\n\r\n")
            self.count(f"garbage: {self.status_of(s)}")
        time.sleep(0.02)

    def tls_garbage(self):
        with self.connect(self.tls_port) as s:
            s.sendall(b"\x16\x03\x01" + os.urandom(random.randrange(8, 4000)))
            try:
                while s.recv(4096):
                    pass
                self.count("tls garbage: closed by the server")
            except OSError:
                self.count("tls garbage: reset by the server")
        time.sleep(0.02)


def run_wrk(port, scheme, connections, duration, results, key):
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", "-s",
            os.path.join(HERE, "mix.lua"), f"{scheme}://127.0.0.1:{port}/"]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 120)
    m = WRK_LINE.search(p.stdout)
    results[key] = ({k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
                    if m else {"failed": p.returncode, "output": p.stdout + p.stderr})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=int, default=600)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rss-growth", type=float, default=0.02,
                    help="the RSS growth allowed after the warm-up (0.02: 2%%)")
    ap.add_argument("--output")
    args = ap.parse_args()
    torus = os.path.abspath(os.environ.get("TORUS_BIN") or
                            os.path.join(REPO, "build", "release", "server", "torus"))
    work = tempfile.mkdtemp(prefix="torus-soak-")
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=soak",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    port, tls_port = free_port(), free_port()
    config = os.path.join(work, "torus.toml")
    with open(config, "w") as f:
        f.write(f'listen = ["127.0.0.1:{port}"]\nhttps_listen = ["127.0.0.1:{tls_port}"]\n'
                f'workers = {args.workers}\n'
                f'[[tls.certificate]]\ncert = "{cert}"\nkey = "{key}"\n'
                f'[app]\nname = "soak"\nentry = "{os.path.join(HERE, "app.js")}"\n'
                f'[app.env]\nPORT = "{port}"\n')
    env = dict(os.environ)
    # A test build: a small ASan quarantine, so that freed memory is given back, not kept.
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=16").lstrip(":")
    log = open(os.path.join(work, "torus.log"), "w+")
    proc = subprocess.Popen([torus, "serve", "--config", config, "--log-format", "text"],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
    checks = []

    def check(ok, what):
        checks.append((bool(ok), what))

    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                socket.create_connection(("127.0.0.1", tls_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(0.5)
        fds_before = fd_count(proc.pid)
        rss_before = rss_kib(proc.pid)
        wrk = {}
        loads = [threading.Thread(target=run_wrk, args=(port, "http", 32, args.duration, wrk,
                                                         "http")),
                 threading.Thread(target=run_wrk, args=(tls_port, "https", 8, args.duration,
                                                        wrk, "https"))]
        abusers = Abusers(port, tls_port)
        started = time.time()
        for t in loads:
            t.start()
        abusers.start()
        samples = []  # (seconds since start, RSS KiB, fds)
        while any(t.is_alive() for t in loads):
            samples.append((time.time() - started, rss_kib(proc.pid), fd_count(proc.pid)))
            time.sleep(min(5, max(1, args.duration / 60)))
        abusers.stop()
        for t in loads:
            t.join()
        # The clients are gone; the server closes what they left (slowloris: header timeout).
        deadline = time.time() + 30
        while fd_count(proc.pid) > fds_before and time.time() < deadline:
            time.sleep(0.5)
        fds_after = fd_count(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
    log.seek(0)
    text = log.read()

    for key, r in sorted(wrk.items()):
        if "failed" in r:
            check(False, f"wrk {key} ran: {r['output'][-500:]}")
            continue
        errors = {k: r[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts",
                                    "non2xx") if r[k]}
        check(r["requests"] > 0 and not errors,
              f"wrk {key}: {r['requests']:,} requests, {r['requests'] / (r['duration_us'] / 1e6):,.0f}"
              f"/s, p99 {r['p99_us'] / 1000:.1f} ms, errors {errors or 'none'}")
    quarter = max(1, len(samples) // 4)
    second = statistics.median(s[1] for s in samples[quarter:2 * quarter])
    last = statistics.median(s[1] for s in samples[-quarter:])
    growth = (last - second) / second
    check(growth < args.rss_growth, f"RSS after warm-up: {second / 1024:.1f} MiB -> {last / 1024:.1f} MiB "
                         f"({growth:+.2%}; before the load {rss_before / 1024:.1f} MiB, peak "
                         f"{max(s[1] for s in samples) / 1024:.1f} MiB)")
    check(fds_after <= fds_before, f"descriptors: {fds_before} before, peak "
                                   f"{max(s[2] for s in samples)}, {fds_after} after")
    counts = abusers.counts
    oversize = sum(v for k, v in counts.items() if k.startswith("oversize: "))
    check(oversize and counts.get("oversize: 431", 0) == oversize,
          f"oversize heads: {counts.get('oversize: 431', 0)} of {oversize} answered 431")
    garbage = sum(v for k, v in counts.items() if k.startswith("garbage: "))
    check(garbage and counts.get("garbage: 400", 0) >= garbage * 0.9,
          f"garbage: {counts.get('garbage: 400', 0)} of {garbage} answered 400 (the rest "
          f"closed: bytes that end no request line)")
    check(code == 0, f"exit code at SIGTERM: {code}")
    check(sanitizer_report(text) is None, "no sanitizer report")

    lines = [f"# Soak: {args.duration} s, {args.workers} workers ({time.strftime('%Y-%m-%d %H:%M')})",
             "", f"- torus: `{torus}`; load average at the end "
             f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}.",
             "- Abusers: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + ".", ""]
    lines += [f"- {'ok' if ok else '**FAILED**'}: {what}" for ok, what in checks]
    lines += ["", "| s | RSS MiB | fds |", "|---:|---:|---:|"]
    step = max(1, len(samples) // 20)
    lines += [f"| {t:.0f} | {r / 1024:.1f} | {n} |" for t, r, n in samples[::step]]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.output:
        with open(args.output, "w") as f:
            f.write(report)
    if not all(ok for ok, _ in checks):
        print(text[-4000:], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
