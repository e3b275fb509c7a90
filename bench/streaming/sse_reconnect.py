#!/usr/bin/env python3
"""Repro of a slow second wave of SSE connections: open N SSE connections to one torus
server (bench/streaming/apps/web_app.js /sse), close them all, then sample the server's CPU
and RSS every 0.5 s for a while, then open N again and time it.

Usage: python3 bench/streaming/sse_reconnect.py [--n 10000] [--watch 10] [--waves 2] [--hold 0] [--server torus|node|deno|bun]
"""
import argparse
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as st  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=10000)
ap.add_argument("--watch", type=float, default=10)
ap.add_argument("--server", default="torus")
ap.add_argument("--waves", type=int, default=2)
ap.add_argument("--hold", type=float, default=0, help="seconds to keep the connections open (sampling) before closing")
args = ap.parse_args()
_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
os.sched_setaffinity(0, {0})
torus = os.environ.get("TORUS_BIN") or os.path.join(st.REPO, "build", "bench", "server", "torus")
argv = {"torus": [torus, "serve", os.path.join(st.APPS, "web_app.js"), "--listen",
                  "127.0.0.1:{port}", "--workers", "1", "--max-connections", str(2 * args.n),
                  "--log-level", "warn"],
        "node": ["node", os.path.join(st.APPS, "node_app.mjs"), "{port}"]}[args.server]
srv = st.Server(args.server, argv, 1)
srv.start()
try:
    for wave in range(args.waves):
        import selectors
        import socket
        sel = selectors.DefaultSelector()
        req = b"GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        socks = []
        t0 = time.monotonic()
        for start in range(0, args.n, 500):
            pending = {}
            for _ in range(500):
                s = socket.create_connection(("127.0.0.1", srv.port))
                s.sendall(req)
                s.setblocking(False)
                sel.register(s, selectors.EVENT_READ)
                pending[s] = b""
                socks.append(s)
            while pending:
                for key, _ in sel.select(5):
                    s = key.fileobj
                    pending[s] = pending.get(s, b"") + s.recv(4096)
                    if b"data: hello" in pending[s]:
                        del pending[s]
                        sel.unregister(s)
            print(f"wave {wave + 1}: {start + 500} connected at {time.monotonic() - t0:.1f} s, "
                  f"server CPU {srv.cpu():.2f} s, RSS {srv.rss() / st.MIB:.1f} MiB", flush=True)
        c0, t1 = srv.cpu(), time.monotonic()
        while time.monotonic() - t1 < args.hold:
            time.sleep(0.5)
            for key, _ in sel.select(0):
                key.fileobj.recv(4096)
            print(f"  held +{time.monotonic() - t1:.1f} s: server CPU since connected "
                  f"{srv.cpu() - c0:.2f} s, RSS {srv.rss() / st.MIB:.1f} MiB", flush=True)
        c0 = srv.cpu()
        for s in socks:
            s.close()
        t1 = time.monotonic()
        while time.monotonic() - t1 < args.watch:
            time.sleep(0.5)
            print(f"  after close +{time.monotonic() - t1:.1f} s: server CPU since close "
                  f"{srv.cpu() - c0:.2f} s, RSS {srv.rss() / st.MIB:.1f} MiB", flush=True)
finally:
    srv.stop()
