"""Request limits (431/414/413), refusals of framing that invites request smuggling, and the
header/body/keep-alive timeouts. After every error response the connection must close, and
nothing sent after the bad request may be answered."""

import json
import os
import time
import unittest

import tempfile

from harness import (Reader, ServerTestCase, chunked, closed_within, request, require_binary,
                     run_torus)


class LimitsTest(ServerTestCase):
    FLAGS = ("--max-head-bytes", "1024", "--max-body-bytes", "1000", "--max-target-bytes", "100",
             "--max-headers", "5")

    def test_head_too_large_431(self):
        data = request("GET", "/hello", headers={"X-Big": "v" * 1100})
        r = self.assertRefusedAndClosed(data, 431)
        self.assertEqual(r.reason, "Request Header Fields Too Large")

    def test_head_too_large_in_many_pieces_431(self):
        with self.connect() as s:
            s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n")
            for i in range(8):
                s.sendall(b"X-H: " + b"v" * 200 + b"\r\n")
            r = Reader(s).response()
            self.assertEqual(r.status, 431)
            self.assertTrue(closed_within(s, 10)[0])

    def test_head_within_limit(self):
        r = self.exchange(request("GET", "/hello", headers={"X-Big": "v" * 800}))
        self.assertEqual(r.status, 200)

    def test_too_many_headers_431(self):
        headers = [(f"X-H{i}", "1") for i in range(5)]  # + Host = 6
        self.assertRefusedAndClosed(request("GET", "/hello", headers=headers), 431)

    def test_header_count_at_limit(self):
        headers = [(f"X-H{i}", "1") for i in range(4)]  # + Host = 5
        r = self.exchange(request("GET", "/hello", headers=headers))
        self.assertEqual(r.status, 200)

    def test_target_too_long_414(self):
        r = self.assertRefusedAndClosed(request("GET", "/id?id=" + "a" * 100), 414)
        self.assertEqual(r.reason, "URI Too Long")

    def test_target_at_limit(self):
        target = "/id?id=" + "a" * (100 - len("/id?id="))
        self.assertEqual(len(target), 100)
        r = self.exchange(request("GET", target))
        self.assertEqual((r.status, r.body), (200, ("id=" + "a" * 93 + "\n").encode()))

    def test_body_too_large_413_before_the_body_is_sent(self):
        # Only the head goes out: the answer must come without the server waiting for a body.
        with self.connect() as s:
            s.sendall(request("POST", "/digest", headers={"Content-Length": "1001"}))
            s.settimeout(10)
            reader = Reader(s)
            r = reader.response()
            self.assertEqual((r.status, r.reason), (413, "Content Too Large"))
            self.assertEqual(r.header("connection"), "close")
            self.assertClosedAfter(s, reader)

    def test_body_too_large_with_expect_gets_no_100(self):
        with self.connect() as s:
            s.sendall(request("POST", "/digest", headers={"Content-Length": "5000",
                                                          "Expect": "100-continue"}))
            r = Reader(s).response(allow_interim=False)
            self.assertEqual(r.status, 413, "a 100 Continue came before the 413")
            self.assertTrue(closed_within(s, 10)[0])

    def test_body_at_limit(self):
        r = self.exchange(request("POST", "/digest", body=b"z" * 1000))
        self.assertEqual((r.status, json.loads(r.body)["length"]), (200, 1000))

    def test_chunked_body_too_large_413(self):
        data = (b"POST /digest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                chunked([b"a" * 600, b"b" * 600]))
        self.assertRefusedAndClosed(data, 413)

    def test_chunked_body_at_limit(self):
        data = (b"POST /digest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                chunked([b"a" * 500, b"b" * 500]))
        r = self.exchange(data)
        self.assertEqual((r.status, json.loads(r.body)["length"]), (200, 1000))

    def test_limit_error_after_good_pipelined_requests(self):
        # Earlier responses come first, then the error, then the close.
        with self.connect() as s:
            s.sendall(request("GET", "/id?id=1") + request("GET", "/id?id=2") +
                      request("GET", "/" + "t" * 200) + request("GET", "/id?id=never"))
            reader = Reader(s)
            self.assertEqual(reader.response().body, b"id=1\n")
            self.assertEqual(reader.response().body, b"id=2\n")
            self.assertEqual(reader.response().status, 414)
            self.assertClosedAfter(s, reader)


class RequestMemoryTest(ServerTestCase):
    """--max-request-memory bounds the request heap (16 KiB blocks): a head that fits the head
    limit (64 KiB) but not this one is answered 503, after the responses before it, and the
    connection closes; smaller requests are served."""

    FLAGS = ("--max-request-memory", "32768")

    def test_a_head_past_the_limit_gets_503(self):
        big = request("GET", "/hello", headers=[(f"X-H{i}", "v" * 1000) for i in range(40)])
        r = self.assertRefusedAndClosed(big, 503)
        self.assertEqual(r.body, b"Request memory limit exceeded\n")
        self.assertHealthy()

    def test_after_the_responses_before_it(self):
        with self.connect() as s:
            s.sendall(request("GET", "/id?id=1") +
                      request("GET", "/id?id=2", headers={"X-Big": "v" * 40000}) +
                      request("GET", "/id?id=3"))
            reader = Reader(s)
            self.assertEqual(reader.response().body, b"id=1\n")
            self.assertEqual(reader.response().status, 503)
            self.assertClosedAfter(s, reader)

    def test_within_the_limit(self):
        r = self.exchange(request("GET", "/hello", headers={"X-Big": "v" * 10000}))
        self.assertEqual(r.status, 200)


class MaxConnectionsTest(ServerTestCase):
    FLAGS = ("--max-connections", "2")

    def test_connections_over_the_limit_are_closed(self):
        a, b = self.connect(), self.connect()
        try:
            for s, name in ((a, b"a"), (b, b"b")):
                s.sendall(request("GET", "/id?id=" + name.decode()))
                self.assertEqual(Reader(s).response().body, b"id=" + name + b"\n")
            with self.connect() as c:
                try:
                    c.sendall(request("GET", "/id?id=c"))
                except (BrokenPipeError, ConnectionResetError):
                    pass
                closed, got = closed_within(c, 10)
                self.assertTrue(closed, "a third connection was kept open")
                self.assertEqual(got, b"")
        finally:
            a.close()
        # A slot is free again once the server has seen the close.
        deadline = time.monotonic() + 10
        while True:
            with self.connect() as d:
                try:
                    d.sendall(request("GET", "/id?id=d"))
                    r = Reader(d).response()
                    break
                except (ConnectionError, OSError):
                    if time.monotonic() > deadline:
                        raise
            time.sleep(0.05)
        self.assertEqual(r.body, b"id=d\n")
        b.close()


class OutOfDescriptorsTest(unittest.TestCase):
    """At the process's descriptor limit, accept fails with EMFILE: the server pauses
    accepting (one log line per pause) instead of spinning, and serves again once
    descriptors free up (packaging raises the limit; this is the fallback)."""

    def test_emfile_pauses_accept(self):
        import resource
        import socket
        import subprocess
        from harness import APPS, TORUS_BIN, free_port, _Pipe
        require_binary()
        port = free_port()
        proc = subprocess.Popen(
            [TORUS_BIN, "serve", os.path.join(APPS, "echo"), "--listen", f"127.0.0.1:{port}",
             "--workers", "1"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (150, 150)))
        err = _Pipe(proc.stderr)
        try:
            self.assertTrue(err.wait_for(r"serving ", 60), err.text())
            socks = []
            for _ in range(300):
                socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            time.sleep(1.5)
            for s in socks:
                s.close()
            warnings = err.text().count("accept: Too many open files")
            self.assertGreaterEqual(warnings, 1, err.text()[-2000:])
            self.assertLess(warnings, 40, "accept retried in a loop")
            deadline = time.monotonic() + 20
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                        s.sendall(request("GET", "/hello", close=True))
                        r = Reader(s).response()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            self.assertEqual(r.status, 200)
        finally:
            proc.terminate()
            proc.wait(30)


class SmugglingTest(ServerTestCase):
    """Default limits. Each refusal closes the connection; the bytes after the ambiguous
    request (a would-be smuggled request) are never answered."""

    SMUGGLED = b"GET /id?id=smuggled HTTP/1.1\r\nHost: x\r\n\r\n"

    def refuse(self, head, statuses, body=b""):
        r = self.assertRefusedAndClosed(head + body + self.SMUGGLED, statuses)
        self.assertNotIn(b"smuggled", r.body)
        return r

    def test_content_length_and_transfer_encoding_400(self):
        self.refuse(b"POST /digest HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n", 400, b"0\r\n\r\n")
        self.refuse(b"POST /digest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                    b"Content-Length: 5\r\n\r\n", 400, b"0\r\n\r\n")

    def test_differing_duplicate_content_length_400(self):
        self.refuse(b"POST /digest HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                    b"Content-Length: 6\r\n\r\n", 400, b"abcdef")
        self.refuse(b"POST /digest HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\n", 400,
                    b"abcdef")

    def test_invalid_content_length_400(self):
        for value in (b"-1", b"+5", b"0x5", b"5 5", b"abc", b"99999999999999999999999"):
            with self.subTest(value=value):
                self.refuse(b"POST /digest HTTP/1.1\r\nHost: x\r\nContent-Length: " + value +
                            b"\r\n\r\n", (400, 413), b"abcde")

    def test_transfer_encoding_other_than_chunked_501(self):
        for te in (b"gzip", b"gzip, chunked", b"identity", b"deflate"):
            with self.subTest(te=te):
                self.refuse(b"POST /digest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te +
                            b"\r\n\r\n", 501, b"0\r\n\r\n")

    def test_transfer_encoding_not_ending_in_chunked_refused(self):
        # RFC 9112 6.3: chunked must be the final coding; anything else is refused.
        for te in (b"chunked, gzip", b"chunked, identity"):
            with self.subTest(te=te):
                self.refuse(b"POST /digest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te +
                            b"\r\n\r\n", (400, 501), b"0\r\n\r\n")

    def test_transfer_encoding_in_http10_refused(self):
        self.refuse(b"POST /digest HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", (400, 501),
                    b"0\r\n\r\n")

    def test_bad_chunk_size_400(self):
        head = b"POST /digest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        for body in (b"zz\r\nabc\r\n0\r\n\r\n", b"-1\r\nabc\r\n0\r\n\r\n",
                     b"\r\nabc\r\n0\r\n\r\n", b"ffffffffffffffffffff\r\nabc\r\n0\r\n\r\n",
                     b" 3\r\nabc\r\n0\r\n\r\n", b"0x3\r\nabc\r\n0\r\n\r\n"):
            with self.subTest(body=body):
                self.refuse(head, 400, body)

    def test_bad_chunk_framing_400(self):
        head = b"POST /digest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        # Chunk data longer than its size; missing CRLF after the data.
        self.refuse(head, 400, b"3\r\nabcdef\r\n0\r\n\r\n")
        self.refuse(head, 400, b"3\r\nabc0\r\n\r\n")

    def test_missing_host_400(self):
        self.refuse(b"GET /hello HTTP/1.1\r\n\r\n", 400)

    def test_multiple_host_400(self):
        self.refuse(b"GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400)

    def test_unsupported_versions_505(self):
        for version in (b"HTTP/2.0", b"HTTP/0.9", b"HTTP/3.0"):
            with self.subTest(version=version):
                self.refuse(b"GET /hello " + version + b"\r\nHost: x\r\n\r\n", 505)

    def test_http09_style_request_refused(self):
        # No version at all: either "not HTTP" (400) or "version not supported" (505).
        self.refuse(b"GET /hello\r\n\r\n", (400, 505))

    def test_whitespace_before_colon_400(self):
        self.refuse(b"GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\n", 400,
                    b"abcde")

    def test_obsolete_line_folding_400(self):
        self.refuse(b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n", 400)

    def test_invalid_header_bytes_400(self):
        self.refuse(b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Nul: a\x00b\r\n\r\n", 400)
        self.refuse(b"GET /hello HTTP/1.1\r\nHost: x\r\nX Bad: a\r\n\r\n", 400)

    def test_garbage_request_line_400(self):
        self.refuse(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400)
        self.refuse(b"G@T /hello HTTP/1.1\r\nHost: x\r\n\r\n", (400, 501))

    def test_connect_refused(self):
        self.refuse(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
                    (400, 405, 501))

    def test_server_still_healthy_after_refusals(self):
        self.refuse(b"GET /hello HTTP/1.1\r\n\r\n", 400)
        self.assertHealthy()


class TimeoutTest(ServerTestCase):
    FLAGS = ("--header-timeout", "300", "--body-timeout", "500", "--keepalive-timeout", "800")

    def assertClosedWithin(self, s, low, high):
        start = time.monotonic()
        closed, got = closed_within(s, high + 5)
        elapsed = time.monotonic() - start
        self.assertTrue(closed, f"still open after {elapsed:.2f}s")
        self.assertLess(elapsed, high, f"closed only after {elapsed:.2f}s")
        self.assertGreater(elapsed, low, f"closed too early ({elapsed:.2f}s)")
        return got

    def test_slow_header_closed(self):
        with self.connect() as s:
            s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n")
            got = self.assertClosedWithin(s, 0.2, 2.5)
            # Either nothing or a 408; never a 200.
            self.assertTrue(got == b"" or got.startswith(b"HTTP/1.1 408"), got)

    def test_header_timeout_not_extended_by_trickling(self):
        with self.connect() as s:
            s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Trickle: ")
            start = time.monotonic()
            closed = False
            for i in range(40):  # a header byte every 50 ms, for up to 2 s
                try:
                    s.sendall(b"a")
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
                c, _ = closed_within(s, 0.05)
                if c:
                    closed = True
                    break
            elapsed = time.monotonic() - start
            self.assertTrue(closed, "a trickled head kept the connection open past the header timeout")
            self.assertLess(elapsed, 2.5)

    def test_slow_body_closed(self):
        with self.connect() as s:
            s.sendall(request("POST", "/digest", headers={"Content-Length": "10"}) + b"12345")
            self.assertClosedWithin(s, 0.3, 3.0)

    def test_idle_keep_alive_closed(self):
        with self.connect() as s:
            s.sendall(request("GET", "/hello"))
            self.assertEqual(Reader(s).response().status, 200)
            self.assertClosedWithin(s, 0.5, 4.0)

    def test_silent_connection_closed(self):
        with self.connect() as s:
            self.assertClosedWithin(s, 0.2, 4.0)

    def test_slow_handler_is_not_a_timeout(self):
        # The handler runs longer than every read timeout: the response still comes.
        with self.connect() as s:
            s.sendall(request("GET", "/slow?ms=1200&tag=timeouts"))
            r = Reader(s).response()
            self.assertEqual((r.status, r.body), (200, b"slept 1200\n"))

    def test_active_keep_alive_not_closed(self):
        # Requests every 300 ms (under the 800 ms idle timeout) keep the connection alive.
        with self.connect() as s:
            reader = Reader(s)
            for i in range(6):
                s.sendall(request("GET", f"/id?id={i}"))
                self.assertEqual(reader.response().body, b"id=%d\n" % i)
                time.sleep(0.3)


if __name__ == "__main__":
    unittest.main()


class TinyRecvBuffersTest(ServerTestCase):
    """Two 512-byte provided buffers per worker: recv runs out of buffers (ENOBUFS) all the
    time, and every byte must still arrive, in order, on every connection."""
    FLAGS = ("--recv-buffers", "2", "--recv-buffer-size", "512")

    def test_uploads_survive_buffer_exhaustion(self):
        import json
        import threading
        payloads = [bytes((i * 7 + k) % 251 for k in range(200_000 + i)) for i in range(4)]
        results = [None] * len(payloads)

        def upload(i):
            with self.connect() as s:
                s.sendall(request("POST", "/echo", body=payloads[i]))
                results[i] = Reader(s).response()

        threads = [threading.Thread(target=upload, args=(i,)) for i in range(len(payloads))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for i, r in enumerate(results):
            self.assertIsNotNone(r, f"upload {i} got no response")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.body, payloads[i], f"upload {i} came back different")
        self.assertHealthy()


class TimerLimitTest(unittest.TestCase):
    def test_timers_past_the_limit_are_a_range_error(self):
        code = ("const ids = []; try { for (;;) ids.push(setTimeout(() => {}, 1e6)); }"
                " catch (e) { console.log(e.constructor.name, ids.length, e.message); }"
                " for (const id of ids) clearTimeout(id);")
        require_binary()
        with tempfile.NamedTemporaryFile("w", suffix=".js") as f:
            f.write(code)
            f.flush()
            rc, out, err = run_torus("run", f.name)
        # Every timer is cleared again, so `run` ends; the limit is the default 100000.
        self.assertIn("RangeError 100000", out, err)
        self.assertIn("too many active timers", out)
