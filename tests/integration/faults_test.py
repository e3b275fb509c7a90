"""Faults injected into the real server (TORUS_FAULTS, base/fault.h): every send short, a
send reset mid-response, a crypto helper job that never returns. Each time the bytes that
do arrive are exact, nothing is left behind, and the server keeps serving."""

import hashlib
import http.server
import os
import socket
import threading
import time
import unittest

from harness import APPS, IO_TIMEOUT, Reader, ServerTestCase, request

APP = os.path.join(APPS, "faults.js")


def pattern(n, seed):
    return bytes((i * 31 + seed) & 0xff for i in range(n))


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class _Digest(http.server.BaseHTTPRequestHandler):
    """An upstream that answers a POST with the SHA-256 of its body and its length."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        answer = f"{len(body)} {hashlib.sha256(body).hexdigest()}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


class ShortWritesTest(ServerTestCase):
    """Every send(2)/writev of the server, to clients and to upstreams, sends half of its
    first piece: each response and each upstream request must still arrive whole."""

    ENTRY = APP
    ENV = {"TORUS_FAULTS": "send=short"}

    def test_a_large_body_arrives_exact(self):
        n = 1_000_003
        r = self.server.get(f"/big?n={n}")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, pattern(n, 7))

    def test_a_streamed_body_arrives_exact(self):
        r = self.server.get("/stream?count=40")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("transfer-encoding"), "chunked")
        self.assertEqual(r.body, b"".join(pattern(16384, i) for i in range(40)))

    def test_pipelined_responses_stay_in_order(self):
        with self.connect() as s:
            s.sendall(b"".join(request("GET", p) for p in ("/hello", "/big?n=70000", "/hello")))
            reader = Reader(s)
            self.assertEqual(reader.response().body, b"Hello, world!\n")
            self.assertEqual(reader.response().body, pattern(70000, 7))
            self.assertEqual(reader.response().body, b"Hello, world!\n")

    def test_an_upstream_request_body_arrives_exact(self):
        upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Digest)
        threading.Thread(target=upstream.serve_forever, daemon=True).start()
        try:
            body = pattern(300_000, 3)
            to = f"http://127.0.0.1:{upstream.server_address[1]}/"
            with self.connect() as s:
                s.sendall(request("POST", f"/proxy?to={to}", body=body, close=True))
                r = Reader(s).response()
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.body.decode(), f"{len(body)} {hashlib.sha256(body).hexdigest()}")
        finally:
            upstream.shutdown()
            upstream.server_close()


class ResetMidSendTest(ServerTestCase):
    """The third send of the process fails with ECONNRESET: it falls in the middle of a
    streamed response. The stream's source is cancelled, the connection's memory and file
    descriptor go, and the next request is served as if nothing happened."""

    ENTRY = APP
    ENV = {"TORUS_FAULTS": "send=ECONNRESET@3"}

    def test_reset_cancels_the_stream_and_serving_goes_on(self):
        fds = open_fds(self.server.proc.pid)
        with self.connect() as s:
            s.sendall(request("GET", "/stream?count=1000"))
            got = b""
            deadline = time.monotonic() + IO_TIMEOUT
            while time.monotonic() < deadline:
                try:
                    chunk = s.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                got += chunk
        # Less than the whole body (16 MiB) arrived, and the connection ended.
        self.assertTrue(got.startswith(b"HTTP/1.1 200 OK\r\n"), got[:200])
        self.assertLess(len(got), 1000 * 16384)
        r = self.server.get("/cancels")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b'{"cancels":1}')
        self.assertHealthy()
        # The reset connection's fd was closed (the probes' own connections are gone too).
        for _ in range(50):
            if open_fds(self.server.proc.pid) <= fds:
                break
            time.sleep(0.05)
        self.assertLessEqual(open_fds(self.server.proc.pid), fds)


class HungCryptoJobTest(ServerTestCase):
    """The first job of the crypto helper pool (one thread) never returns. Its request gets
    an OperationError once runtime.crypto_job_timeout_ms has passed, the stuck thread is
    replaced so the next job runs, and plain requests are served all along."""

    ENTRY = APP
    FLAGS = ("--crypto-threads", "1", "--crypto-job-timeout", "400")
    ENV = {"TORUS_FAULTS": "crypto_job=hang@1"}
    ITERATIONS = 200_000  # above the inline limit: a helper job

    def test_timeout_then_the_replacement_serves(self):
        results = {}

        def slow():
            start = time.monotonic()
            results["hung"] = self.server.get(f"/pbkdf2?iterations={self.ITERATIONS}")
            results["elapsed"] = time.monotonic() - start

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.1)
        self.assertHealthy()  # the worker is not blocked by the job
        t.join(IO_TIMEOUT)
        hung = results["hung"]
        self.assertEqual(hung.status, 500)
        self.assertEqual(hung.body.decode(), "OperationError: the operation did not finish "
                         "within runtime.crypto_job_timeout_ms (400 ms)")
        self.assertGreaterEqual(results["elapsed"], 0.35)
        self.assertLess(results["elapsed"], 5)
        want = hashlib.pbkdf2_hmac("sha256", b"password", b"salt", self.ITERATIONS, 32).hex()
        r = self.server.get(f"/pbkdf2?iterations={self.ITERATIONS}")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.body.decode(), want)
        self.assertIn("crypto: a job ran for 400 ms: rejected; its helper thread is replaced",
                      self.server.stderr.text())


if __name__ == "__main__":
    unittest.main()
