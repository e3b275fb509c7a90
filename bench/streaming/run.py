#!/usr/bin/env python3
"""Streaming benchmarks of issue 6: torus next to Deno, Node and Bun in one run.

Sections (each server started fresh per section, pinned to --server-cpu, the client to
--client-cpu; server CPU = utime+stime of the server's process tree from /proc/PID/stat,
all threads, before/after each round):
  echo  POST 1 GiB (Content-Length, sendfile from a file in /tmp) to /echo, which answers
        with the request body as a stream; the client reads the echo concurrently, until EOF
        (Connection: close). MiB/s (upload size / wall time) and MiB per server-CPU-second.
  gzip  GET /gzip?mib=64: a generated 64 MiB compressible body piped through
        CompressionStream("gzip"). MiB of input per second and per server-CPU-second.
  sse   N concurrent GET /sse (one event, then a comment every 15 s), opened in batches,
        each counted when its first event has arrived; RSS of the server after all are
        connected minus RSS idle (after a warm-up), then (after 16 s) whether every
        connection got its keep-alive, then RSS after the client closed them all.
Apps: bench/streaming/apps/web_app.js (torus, and Deno/Bun through deno_app.js/bun_app.js),
apps/node_app.mjs (node:http). Deno and Bun come from bench/wrk/.peers (npm).

TORUS_ARGS adds options to torus serve (e.g. TORUS_ARGS="--recv-buffer-size 65536").

Usage: bench/streaming/run.sh [--sections echo,gzip,sse] [--servers torus,deno,node,bun]
       [--rounds 3] [--sse-n 10000] [--output FILE]
"""

import argparse
import datetime
import importlib.util
import os
import resource
import selectors
import socket
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
APPS = os.path.join(HERE, "apps")
# bench/wrk/run.py's helpers (cpu_seconds, rss_bytes, find_elf, free_port, tool_version),
# loaded under its own name (this file is also "run").
_spec = importlib.util.spec_from_file_location("wrk_run", os.path.join(REPO, "bench", "wrk", "run.py"))
wrk = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wrk)

MIB = 1024 * 1024


def log(msg):
    print(f"[streaming] {msg}", file=sys.stderr, flush=True)


class Server:
    def __init__(self, name, argv, cpu):
        self.name, self.argv, self.pin = name, argv, cpu
        self.proc = None

    def start(self):
        self.port = wrk.free_port()
        argv = [a.replace("{port}", str(self.port)) for a in self.argv]
        self.err = open(f"/tmp/streaming-{self.name}.stderr", "wb")
        self.proc = subprocess.Popen(["taskset", "-c", str(self.pin), *argv], cwd=REPO,
                                     stdin=subprocess.DEVNULL, stdout=self.err, stderr=self.err)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited {self.proc.returncode}")
            try:
                if b" 200 " in wrk.http_get(self.port, "/")[:20]:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not come up")

    def cpu(self):
        return wrk.cpu_seconds(self.proc.pid)

    def rss(self):
        return wrk.rss_bytes(self.proc.pid)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()


def read_to_eof(sock, buf):
    """Bytes after the response head until EOF; (status line, body bytes)."""
    view = memoryview(buf)
    head = b""
    while b"\r\n\r\n" not in head:
        n = sock.recv_into(view)
        if n == 0:
            raise RuntimeError("EOF in response head")
        head += bytes(view[:n])
    i = head.index(b"\r\n\r\n") + 4
    total = len(head) - i
    status = head.split(b"\r\n", 1)[0].decode()
    headers = head[:i].decode("latin-1").lower()
    while True:
        n = sock.recv_into(view)
        if n == 0:
            break
        total += n
    return status, headers, total


def echo_once(port, path, size):
    with socket.create_connection(("127.0.0.1", port)) as s, open(path, "rb") as f:
        s.sendall(f"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {size}\r\n"
                  "Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n".encode())
        err = []

        def send():
            try:
                off = 0
                while off < size:
                    off += os.sendfile(s.fileno(), f.fileno(), off, min(size - off, 1 << 30))
            except OSError as e:
                err.append(e)
        t = threading.Thread(target=send)
        t.start()
        status, headers, got = read_to_eof(s, bytearray(1 << 20))
        t.join()
        if err:
            raise err[0]
        return status, headers, got


def gzip_once(port, mib):
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(f"GET /gzip?mib={mib} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                  .encode())
        return read_to_eof(s, bytearray(1 << 20))


def rounds(server, fn, work_bytes, n):
    out = []
    for i in range(n):
        c0, t0 = server.cpu(), time.monotonic()
        status, headers, got = fn()
        wall, cpu = time.monotonic() - t0, server.cpu() - c0
        r = {"wall": wall, "cpu": cpu, "got": got, "status": status,
             "chunked": "transfer-encoding: chunked" in headers,
             "mibps": work_bytes / MIB / wall, "mib_cpu": work_bytes / MIB / cpu if cpu else 0,
             "rss": server.rss()}
        log(f"  {server.name} round {i + 1}: {status}, {got:,} bytes back in {wall:.2f} s, "
            f"server CPU {cpu:.2f} s -> {r['mibps']:.0f} MiB/s, {r['mib_cpu']:.0f} MiB/CPU-s, "
            f"RSS {r['rss'] / MIB:.0f} MiB")
        out.append(r)
    return out


def sse_run(server, n, batch):
    for _ in range(20):
        wrk.http_get(server.port, "/")
    time.sleep(1.0)
    idle = server.rss()
    sel = selectors.DefaultSelector()
    req = b"GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
    socks, data, failed = [], {}, 0
    t0 = time.monotonic()
    for start in range(0, n, batch):
        pending = set()
        for _ in range(min(batch, n - start)):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", server.port))
            sel.register(s, selectors.EVENT_WRITE)
            socks.append(s)
            data[s] = b""
            pending.add(s)
        deadline = time.monotonic() + 30
        while pending and time.monotonic() < deadline:
            for key, ev in sel.select(1.0):
                s = key.fileobj
                if ev & selectors.EVENT_WRITE:
                    try:
                        s.send(req)
                    except OSError:
                        failed += 1
                        pending.discard(s)
                        sel.unregister(s)
                        continue
                    sel.modify(s, selectors.EVENT_READ)
                    continue
                try:
                    chunk = s.recv(4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    failed += 1
                    pending.discard(s)
                    sel.unregister(s)
                    continue
                data[s] += chunk
                if b"data: hello\n\n" in data[s]:
                    pending.discard(s)
        failed += len(pending)
        if not server.alive():
            raise RuntimeError(f"{server.name} died at {start + batch} SSE connections")
    connect_time = time.monotonic() - t0
    time.sleep(2.0)
    connected = server.rss()
    # Wait past one keep-alive interval and count connections that got the comment.
    end = time.monotonic() + 17
    for key in list(sel.get_map().values()):
        sel.modify(key.fileobj, selectors.EVENT_READ)
    while time.monotonic() < end:
        for key, _ in sel.select(0.5):
            s = key.fileobj
            try:
                chunk = s.recv(4096)
            except OSError:
                chunk = b""
            if not chunk:
                sel.unregister(s)
                continue
            data[s] += chunk
    kept = sum(1 for s in socks if b": keep-alive\n\n" in data[s])
    after_ka = server.rss()
    for s in socks:
        s.close()
    time.sleep(3.0)
    closed = server.rss()
    per_conn = (connected - idle) / max(1, n - failed)
    r = {"idle": idle, "connected": connected, "after_ka": after_ka, "closed": closed,
         "failed": failed, "kept": kept, "connect_time": connect_time,
         "kib_per_conn": per_conn / 1024, "conn_per_gib": (1 << 30) / per_conn if per_conn > 0 else 0,
         "alive": server.alive()}
    log(f"  {server.name}: idle {idle / MIB:.1f} MiB, {n - failed:,} connected in "
        f"{connect_time:.1f} s ({failed} failed): {connected / MIB:.1f} MiB -> "
        f"{r['kib_per_conn']:.2f} KiB/conn, {r['conn_per_gib']:,.0f} conn/GiB; keep-alive on "
        f"{kept:,}; RSS after keep-alive {after_ka / MIB:.1f} MiB, after close {closed / MIB:.1f} MiB")
    return r


def med(rs, k):
    return statistics.median(r[k] for r in rs)


def rng(rs, k, fmt="{:,.0f}"):
    return fmt.format(min(r[k] for r in rs)) + "–" + fmt.format(max(r[k] for r in rs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sections", default="echo,gzip,sse")
    ap.add_argument("--servers", default="torus,deno,node,bun")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--echo-mib", type=int, default=1024)
    ap.add_argument("--gzip-mib", type=int, default=64)
    ap.add_argument("--sse-n", type=int, default=10000)
    ap.add_argument("--sse-batch", type=int, default=500)
    ap.add_argument("--sse-repeat", type=int, default=1,
                    help="open and close the N connections this many times on one server "
                         "(a leak check: RSS after each close); the table shows the first")
    ap.add_argument("--server-cpu", type=int, default=1)
    ap.add_argument("--client-cpu", type=int, default=0)
    ap.add_argument("--output")
    args = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(65536, args.sse_n * 2 + 1000)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    os.sched_setaffinity(0, {args.client_cpu})

    torus = os.environ.get("TORUS_BIN") or os.path.join(REPO, "build", "bench", "server", "torus")
    defs = {
        "torus": [torus, "serve", os.path.join(APPS, "web_app.js"), "--listen", "127.0.0.1:{port}",
                  "--workers", "1", "--max-connections", str(args.sse_n * 2),
                  "--max-body-bytes", str(4 << 30), "--log-level", "warn",
                  *os.environ.get("TORUS_ARGS", "").split()],
        "deno": [wrk.find_elf("deno"), "run", "--allow-net", os.path.join(APPS, "deno_app.js"),
                 "{port}"],
        "node": ["node", os.path.join(APPS, "node_app.mjs"), "{port}"],
        "bun": [wrk.find_elf("bun"), os.path.join(APPS, "bun_app.js"), "{port}"],
    }
    versions = {"torus": wrk.tool_version([torus, "--version"]),
                "node": wrk.tool_version(["node", "--version"])}
    for k in ("deno", "bun"):
        versions[k] = wrk.tool_version([defs[k][0], "--version"]) if defs[k][0] else "missing"
    names = [s for s in args.servers.split(",") if defs[s][0]]
    sections = args.sections.split(",")
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()
    results = {}

    echo_path = f"/tmp/streaming-{args.echo_mib}m.bin"
    if "echo" in sections and (not os.path.exists(echo_path)
                               or os.path.getsize(echo_path) != args.echo_mib * MIB):
        log(f"writing {echo_path}")
        subprocess.run(["head", "-c", str(args.echo_mib * MIB), "/dev/urandom"],
                       stdout=open(echo_path, "wb"), check=True)

    for section in sections:
        for name in names:
            log(f"{section}: {name}")
            srv = Server(name, defs[name], args.server_cpu)
            try:
                srv.start()
                if section == "echo":
                    size = args.echo_mib * MIB
                    echo_once(srv.port, echo_path, min(size, 64 * MIB))  # warm-up
                    rs = rounds(srv, lambda: echo_once(srv.port, echo_path, size), size, args.rounds)
                elif section == "gzip":
                    gzip_once(srv.port, 8)  # warm-up
                    rs = rounds(srv, lambda: gzip_once(srv.port, args.gzip_mib),
                                args.gzip_mib * MIB, args.rounds)
                else:
                    rs = sse_run(srv, args.sse_n, args.sse_batch)
                    for i in range(1, args.sse_repeat):
                        again = sse_run(srv, args.sse_n, args.sse_batch)
                        rs.setdefault("repeats", []).append(again)
                results[(section, name)] = rs
            except Exception as e:  # noqa: BLE001  (report and go on)
                log(f"  {name} {section} FAILED: {e}")
                results[(section, name)] = str(e)
            finally:
                alive = srv.alive()
                srv.stop()
                if not alive:
                    log(f"  {name} had exited: {srv.proc.returncode}")

    L = [f"# Streaming benchmarks, {started:%Y-%m-%d %H:%M} UTC", "",
         f"- load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
         f"after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
         f"- server on CPU {args.server_cpu}, client on CPU {args.client_cpu}; "
         f"torus `--workers 1`, peers one process",
         "- " + ", ".join(f"{k} {versions[k]}" for k in names), ""]
    for section in sections:
        if section in ("echo", "gzip"):
            what = (f"{args.echo_mib} MiB pass-through (POST /echo)" if section == "echo"
                    else f"gzip of a generated {args.gzip_mib} MiB body")
            L += [f"## {what}, {args.rounds} rounds", "",
                  "| server | MiB/s median | min–max | MiB per server-CPU-s median | min–max | "
                  "bytes back | chunked | RSS after |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
            for name in names:
                rs = results.get((section, name))
                if isinstance(rs, str) or rs is None:
                    L.append(f"| {name} | failed: {rs} | | | | | | |")
                    continue
                L.append(f"| {name} | {med(rs, 'mibps'):,.0f} | {rng(rs, 'mibps')} | "
                         f"{med(rs, 'mib_cpu'):,.0f} | {rng(rs, 'mib_cpu')} | "
                         f"{rs[-1]['got']:,} | {rs[-1]['chunked']} | {rs[-1]['rss'] / MIB:.0f} MiB |")
            L.append("")
            L.append("raw: " + "; ".join(
                f"{n}: " + ", ".join(f"{r['wall']:.2f}s/{r['cpu']:.2f}cpu" for r in results[(section, n)])
                for n in names if isinstance(results.get((section, n)), list)))
            L.append("")
        else:
            L += [f"## {args.sse_n:,} SSE connections", "",
                  "| server | idle RSS | RSS connected | KiB per connection | connections per GiB | "
                  "connect time | failed | got keep-alive | RSS after keep-alive | RSS after close |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
            for name in names:
                r = results.get((section, name))
                if isinstance(r, str) or r is None:
                    L.append(f"| {name} | failed: {r} | | | | | | | | |")
                    continue
                L.append(f"| {name} | {r['idle'] / MIB:.1f} MiB | {r['connected'] / MIB:.1f} MiB | "
                         f"{r['kib_per_conn']:.2f} | {r['conn_per_gib']:,.0f} | {r['connect_time']:.1f} s | "
                         f"{r['failed']} | {r['kept']:,} | {r['after_ka'] / MIB:.1f} MiB | "
                         f"{r['closed'] / MIB:.1f} MiB |")
            L.append("")
            for name in names:
                r = results.get((section, name))
                if isinstance(r, dict) and r.get("repeats"):
                    L.append(f"- {name}, the same {args.sse_n:,} again on the same server: " + "; ".join(
                        f"round {i + 2}: RSS connected {x['connected'] / MIB:.1f} MiB, after close "
                        f"{x['closed'] / MIB:.1f} MiB, {x['failed']} failed, keep-alive on {x['kept']:,}"
                        for i, x in enumerate(r["repeats"])))
            L.append("")
    text = "\n".join(L) + "\n"
    print(text)
    if args.output:
        with open(args.output, "a") as f:
            f.write(text)


if __name__ == "__main__":
    main()
