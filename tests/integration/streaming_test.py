"""Streaming bodies end to end, with their memory bounds asserted (issue 6): an upload larger
than the body buffer echoed through `new Response(request.body)`, a slow reader throttling a
fast producer, a disconnect mid-stream cancelling the stream and freeing everything, and
10,000 concurrent server-sent-event connections on one worker.

RSS is read from /proc. The dev build runs under ASan, whose quarantine would keep freed
memory resident: the server here runs with a small quarantine so that RSS shows what torus
holds."""

import hashlib
import json
import os
import re
import selectors
import socket
import threading
import time
import unittest

from harness import APPS, Reader, Server, ServerTestCase, request, require_binary, reset, rss_bytes

ASAN = os.environ.get("ASAN_OPTIONS", "")
os.environ["ASAN_OPTIONS"] = (ASAN + ":" if ASAN else "") + "quarantine_size_mb=4"

ENTRY = os.path.join(APPS, "streaming")
MiB = 1 << 20


class RssSampler:
    """Samples a process's RSS every 50 ms on a thread; max() is the peak seen."""

    def __init__(self, pid):
        self.pid = pid
        self.peak = rss_bytes(pid)
        self.stop_flag = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop_flag:
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.05)

    def stop(self):
        self.stop_flag = True
        self.thread.join()
        return self.peak


def read_chunked(sock, on_data):
    """Reads a response head, then its chunked body, calling on_data(bytes) per read."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        got = sock.recv(65536)
        if not got:
            raise AssertionError("closed before the head")
        buf += got
    head, _, rest = buf.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    buf = rest
    while True:
        while b"\r\n" not in buf:
            buf += sock.recv(65536)
        line, _, buf = buf.partition(b"\r\n")
        size = int(line.split(b";")[0], 16)
        if size == 0:
            return status
        while len(buf) < size + 2:
            got = sock.recv(max(65536, size + 2 - len(buf)))
            if not got:
                raise AssertionError("closed mid-body")
            buf += got
        on_data(buf[:size])
        buf = buf[size + 2:]


class StreamingTest(ServerTestCase):
    ENTRY = ENTRY
    FLAGS = ("--max-body-bytes", str(4 << 30), "--max-connections", "20000")

    def counters(self):
        return json.loads(self.server.get("/counters").body)

    def test_upload_echoed_through_request_body_in_constant_memory(self):
        total = 1 << 30  # 1 GiB
        block = os.urandom(MiB)
        pid = self.server.proc.pid
        base = rss_bytes(pid)
        sampler = RssSampler(pid)
        with self.connect() as s:
            s.settimeout(60)
            s.sendall(request("POST", "/echo", headers={"Content-Length": str(total)}))

            def send():
                for _ in range(total // MiB):
                    s.sendall(block)

            sender = threading.Thread(target=send, daemon=True)
            sender.start()
            digest = hashlib.sha1()
            received = [0]

            def on_data(data):
                received[0] += len(data)
                digest.update(data)

            self.assertEqual(read_chunked(s, on_data), 200)
            sender.join(60)
        peak = sampler.stop()
        self.assertEqual(received[0], total)
        want = hashlib.sha1()
        for _ in range(total // MiB):
            want.update(block)
        self.assertEqual(digest.hexdigest(), want.hexdigest())
        growth = peak - base
        print(f"\n1 GiB echo: server RSS {base / MiB:.1f} MiB -> peak {peak / MiB:.1f} MiB "
              f"(+{growth / MiB:.1f} MiB)")
        self.assertLess(growth, 64 * MiB)

    def test_whole_body_read_memory(self):
        # arrayBuffer() of a 50 MiB upload with a declared length: one backing store of that
        # size, handed over without a copy.
        total = 50 * MiB
        pid = self.server.proc.pid
        base = rss_bytes(pid)
        sampler = RssSampler(pid)
        with self.connect() as s:
            s.settimeout(60)
            s.sendall(request("POST", "/digest", headers={"Content-Length": str(total)}))
            s.sendall(b"\x07" * total)
            r = Reader(s).response()
        peak = sampler.stop()
        self.assertEqual(json.loads(r.body)["length"], total)
        growth = peak - base
        print(f"\n50 MiB arrayBuffer(): server RSS +{growth / MiB:.1f} MiB at peak")
        self.assertLess(growth, 1.5 * total + 16 * MiB)

    def test_slow_reader_throttles_the_producer(self):
        before = self.counters()["pulls"]
        pid = self.server.proc.pid
        base = rss_bytes(pid)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        s.connect(("127.0.0.1", self.server.port))
        s.settimeout(20)
        s.sendall(request("GET", f"/fast?n={256 * MiB}"))
        got = 0
        start = time.monotonic()
        # 64 KiB/s for 3 seconds.
        while time.monotonic() - start < 3:
            got += len(s.recv(16 * 1024))
            time.sleep(0.25)
        pulls = self.counters()["pulls"] - before
        growth = rss_bytes(pid) - base
        reset(s)
        # Unthrottled, 256 MiB is 4096 pulls; read so far is ~200 KiB. What the socket
        # buffers hold on loopback allows a few MiB more.
        print(f"\nslow reader: {got} bytes read, {pulls} pulls, RSS +{growth / MiB:.1f} MiB")
        self.assertLess(pulls, 200)
        self.assertLess(growth, 32 * MiB)

    def test_disconnect_mid_stream_cancels_the_stream(self):
        before = self.counters()["cancels"]
        with self.connect() as s:
            s.sendall(request("GET", f"/fast?n={1 << 30}"))
            got = 0
            while got < 4 * MiB:
                got += len(s.recv(65536))
            reset(s)
        self.assertTrue(self.server.stdout.wait_for(r"cancelled after \d+ bytes", 20))
        deadline = time.monotonic() + 10
        while self.counters()["cancels"] == before and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.counters()["cancels"], before + 1)
        self.assertHealthy404()

    def assertHealthy404(self):
        self.assertEqual(self.server.get("/nowhere").status, 404)

    def test_sse_10000_connections(self):
        n = int(os.environ.get("TORUS_SSE_CONNECTIONS", "10000"))
        pid = self.server.proc.pid
        base = rss_bytes(pid)
        socks = []
        try:
            for i in range(n):
                s = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
                s.sendall(b"GET /sse?keepalive=1000 HTTP/1.1\r\nHost: x\r\n\r\n")
                socks.append(s)
            pending = {s.fileno(): s for s in socks}
            bufs = {}
            sel = selectors.DefaultSelector()
            for s in socks:
                sel.register(s, selectors.EVENT_READ)
            deadline = time.monotonic() + 120
            while pending and time.monotonic() < deadline:
                for key, _ in sel.select(1):
                    s = key.fileobj
                    if s.fileno() not in pending:
                        continue
                    data = s.recv(4096)
                    if not data:
                        raise AssertionError("an SSE connection closed")
                    b = bufs.get(s.fileno(), b"") + data
                    bufs[s.fileno()] = b
                    if b"event: hello" in b:
                        self.assertIn(b"text/event-stream", b)
                        del pending[s.fileno()]
                        sel.unregister(s)
            sel.close()
            self.assertFalse(pending, f"{len(pending)} connections got no first event")
            time.sleep(0.5)
            held = rss_bytes(pid) - base
            print(f"\n{n} SSE connections: server RSS +{held / MiB:.1f} MiB, "
                  f"{held / n / 1024:.1f} KiB per connection")
            self.assertEqual(self.counters()["sse"], n)
        finally:
            for s in socks:
                s.close()
        # Closing makes the next keep-alive writes fail, which ends each exchange and cancels
        # its stream: the interval is cleared and the count goes back to zero.
        deadline = time.monotonic() + 60
        while self.counters()["sse"] > 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(self.counters()["sse"], 0)


class SseKeepAliveTest(ServerTestCase):
    ENTRY = ENTRY

    def test_client_close_ends_the_stream_at_once(self):
        # A FIN while a response streams means the client is gone: the stream is cancelled
        # now, not at the next keep-alive write a minute later.
        with self.connect() as s:
            s.sendall(request("GET", "/sse?keepalive=60000"))
            buf = b""
            while b"event: hello" not in buf:
                buf += s.recv(4096)
            self.assertEqual(json.loads(self.server.get("/counters").body)["sse"], 1)
        deadline = time.monotonic() + 5
        while json.loads(self.server.get("/counters").body)["sse"] and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(json.loads(self.server.get("/counters").body)["sse"], 0)

    def test_keep_alive_comment_on_a_timer(self):
        with self.connect() as s:
            s.sendall(request("GET", "/sse?keepalive=200"))
            buf = b""
            deadline = time.monotonic() + 20
            while buf.count(b": keep-alive") < 2 and time.monotonic() < deadline:
                buf += s.recv(4096)
            self.assertIn(b"transfer-encoding: chunked", buf.lower())
            self.assertIn(b"event: hello", buf)
            self.assertGreaterEqual(buf.count(b": keep-alive"), 2)


class StreamedBodyLimitTest(ServerTestCase):
    """The body size limit holds while a body streams: a chunked upload that passes it gets
    413 mid-body and the connection closes; the app's read rejects, the server keeps
    serving."""

    ENTRY = ENTRY
    FLAGS = ("--max-body-bytes", str(1 << 20))

    def test_413_mid_body(self):
        with self.connect() as s:
            s.sendall(b"POST /digest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"x" * 65536
            try:
                for _ in range(64):  # 4 MiB, four times the limit
                    s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
            r = Reader(s).response()
            self.assertEqual(r.status, 413)
        self.assertEqual(self.server.get("/nowhere").status, 404)


class CountersBackToZeroTest(unittest.TestCase):
    """After disconnects mid-stream and mid-upload, the worker holds nothing: its stats line
    at exit counts no live connection, request context, pool block or send piece."""

    def test_everything_freed(self):
        require_binary()
        server = Server(ENTRY, "--max-body-bytes", str(1 << 30)).start()
        try:
            for _ in range(3):
                with server.connect() as s:
                    s.sendall(request("GET", f"/fast?n={1 << 30}"))
                    got = 0
                    while got < MiB:
                        got += len(s.recv(65536))
                    reset(s)
                with server.connect() as s:
                    s.sendall(request("POST", "/echo", headers={"Content-Length": str(64 * MiB)}))
                    s.sendall(b"x" * (2 * MiB))
                    time.sleep(0.1)
                    reset(s)
            self.assertTrue(server.stdout.wait_for(r"cancelled after", 20))
            self.assertEqual(server.get("/nowhere").status, 404)
        finally:
            code = server.stop()
        err = server.stderr.text()
        self.assertEqual(code, 0, err[-3000:])
        m = re.search(r"live_connections=(\d+) live_contexts=(\d+) pool_blocks=(\d+) "
                      r"send_pieces=(\d+)", err)
        self.assertIsNotNone(m, err[-3000:])
        self.assertEqual(m.groups(), ("0", "0", "0", "0"), m.group(0))


if __name__ == "__main__":
    unittest.main()
