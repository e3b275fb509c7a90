"""HTTP/1.1 semantics of `torus serve` over raw sockets: keep-alive, pipelining, bodies, HEAD,
100-continue, Connection: close, HTTP/1.0, Date, handler errors, client resets."""

import email.utils
import json
import os
import socket
import threading
import time
import unittest

from harness import (APPS, Reader, ServerTestCase, chunked, closed_within, request, reset)


def fnv1a(data):
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return "%08x" % h


class HttpTest(ServerTestCase):
    def test_hello_get(self):
        r = self.exchange(request("GET", "/hello"))
        self.assertEqual(r.version, "HTTP/1.1")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.reason, "OK")
        self.assertEqual(r.body, b"Hello, world!\n")
        self.assertEqual(r.header("content-length"), "14")
        self.assertEqual(r.header("content-type"), "text/plain")
        self.assertIsNone(r.header("transfer-encoding"))

    def test_sync_and_async_handlers(self):
        r = self.exchange(request("GET", "/sync"))
        self.assertEqual((r.status, r.body, r.header("x-path")), (200, b"sync\n", "sync"))
        r = self.exchange(request("GET", "/id?id=7"))
        self.assertEqual((r.status, r.body), (200, b"id=7\n"))
        r = self.exchange(request("GET", "/nowhere"))
        self.assertEqual((r.status, r.reason, r.body), (404, "Not Found", b"not found\n"))

    def test_date_header(self):
        r = self.exchange(request("GET", "/hello"))
        date = r.header("date")
        self.assertIsNotNone(date, r)
        self.assertRegex(date, r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|"
                               r"Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$")
        when = email.utils.parsedate_to_datetime(date).timestamp()
        self.assertLess(abs(when - time.time()), 120, date)
        self.assertEqual(len(r.header_all("date")), 1)

    def test_keep_alive_many_requests(self):
        with self.connect() as s:
            reader = Reader(s)
            for i in range(200):
                s.sendall(request("GET", f"/id?id={i}"))
                r = reader.response()
                self.assertEqual((r.status, r.body), (200, b"id=%d\n" % i))
                self.assertNotEqual(r.header("connection"), "close")

    def test_pipelining_in_order(self):
        with self.connect() as s:
            s.sendall(b"".join(request("GET", f"/id?id={i}") for i in range(10)))
            reader = Reader(s)
            for i in range(10):
                r = reader.response()
                self.assertEqual((r.status, r.body), (200, b"id=%d\n" % i))

    def test_pipelining_beyond_the_pipeline_limit(self):
        # 100 requests in one send: more than --max-pipelined (16) are parsed ahead, so the
        # server must hold the rest back and resume as responses drain.
        n = 100
        with self.connect() as s:
            s.sendall(b"".join(request("GET", f"/id?id={i}") for i in range(n)))
            reader = Reader(s)
            for i in range(n):
                r = reader.response()
                self.assertEqual((r.status, r.body), (200, b"id=%d\n" % i))

    def test_pipelining_slow_first_keeps_order(self):
        with self.connect() as s:
            s.sendall(request("GET", "/slow?ms=200&tag=pipe") + request("GET", "/sync") +
                      request("POST", "/digest", body=b"abc") + request("GET", "/id?id=3"))
            reader = Reader(s)
            self.assertEqual(reader.response().body, b"slept 200\n")
            self.assertEqual(reader.response().body, b"sync\n")
            self.assertEqual(json.loads(reader.response().body)["length"], 3)
            self.assertEqual(reader.response().body, b"id=3\n")

    def test_content_length_body(self):
        body = b"hello body \x00\xff"
        r = self.exchange(request("POST", "/digest", body=body))
        self.assertEqual(r.status, 200)
        self.assertEqual(json.loads(r.body), {"length": len(body), "fnv": fnv1a(body),
                                              "bodyUsed": True})

    def test_chunked_request_body(self):
        parts = [b"first chunk;", b"x" * 5000, b"last"]
        data = (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                b"Content-Type: application/x-test\r\n\r\n" + chunked(parts))
        r = self.exchange(data)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"".join(parts))
        self.assertEqual(r.header("content-length"), str(len(b"".join(parts))))
        self.assertEqual(r.header("content-type"), "application/x-test")

    def test_chunked_request_body_extensions_trailers_and_split_sends(self):
        body = bytes(range(256)) * 40
        framed = (b"POST /digest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"100;name=value\r\n" + body[:256] + b"\r\n" +
                  b"%X\r\n" % (len(body) - 256) + body[256:] + b"\r\n"
                  b"0\r\nX-Trailer: yes\r\n\r\n")
        with self.connect() as s:
            # Byte-sized pieces around every framing element, then the rest at once.
            for i in range(0, 80):
                s.sendall(framed[i:i + 1])
            s.sendall(framed[80:])
            r = Reader(s).response()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(json.loads(r.body)["length"], len(body))
        self.assertEqual(json.loads(r.body)["fnv"], fnv1a(body))

    def test_large_body_5mib(self):
        body = os.urandom(5 << 20)
        r = self.exchange(request("POST", "/digest", body=body))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(json.loads(r.body)["length"], len(body))
        self.assertEqual(json.loads(r.body)["fnv"], fnv1a(body))

    def test_large_echo_5mib_both_ways(self):
        body = os.urandom(5 << 20)
        with self.connect() as s:
            # Send on a thread: the server may start answering before we finish sending.
            t = threading.Thread(target=s.sendall, args=(request("POST", "/echo", body=body),))
            t.start()
            r = Reader(s).response()
            t.join()
        self.assertEqual(r.status, 200)
        self.assertEqual(len(r.body), len(body))
        self.assertTrue(r.body == body, "echoed body differs")

    def test_large_response(self):
        n = 3 << 20
        with self.connect() as s:
            s.sendall(request("GET", f"/big?n={n}") + request("GET", "/id?id=after"))
            reader = Reader(s)
            r = reader.response()
            self.assertEqual((r.status, len(r.body)), (200, n))
            self.assertEqual(r.body, b"a" * n)
            self.assertEqual(reader.response().body, b"id=after\n")

    def test_text_and_json_bodies(self):
        text = "h\u00e9llo \u2603"
        r = self.exchange(request("POST", "/text", body=text.encode(),
                                  headers={"Content-Type": "text/plain; charset=utf-8"}))
        self.assertEqual(json.loads(r.body), {"length": len(text), "text": text})
        r = self.exchange(request("POST", "/json", body=b'{"a":[1,2,{"b":null}]}'))
        self.assertEqual(json.loads(r.body), {"got": {"a": [1, 2, {"b": None}]}})
        self.assertEqual(r.header("content-type"), "application/json")
        # Invalid JSON rejects the handler's promise: a 500.
        r = self.exchange(request("POST", "/json", body=b"{nope"))
        self.assertEqual(r.status, 500)

    def test_status_text_on_the_wire(self):
        r = self.exchange(request("GET", "/status-text?code=418&text=Short%20And%20Stout"))
        self.assertEqual((r.status, r.reason), (418, "Short And Stout"))
        self.assertEqual(r.body, b"teapot\n")
        # An empty statusText gives the standard reason phrase.
        r = self.exchange(request("GET", "/status-text?code=404"))
        self.assertEqual((r.status, r.reason), (404, "Not Found"))
        # Tabs and obs-text (U+00E9 is the byte 0xE9) are valid reason-phrase bytes.
        r = self.exchange(request("GET", "/status-text?code=201&text=a%09b%C3%A9c"))
        self.assertEqual((r.status, r.reason), (201, "a\tb\u00e9c"))
        # A statusText that is not a reason-phrase never reaches the wire: the constructor
        # throws, and the handler's error is a 500.
        r = self.exchange(request("GET", "/status-text?code=200&text=a%0D%0AX-Injected:%201"))
        self.assertEqual(r.status, 500)
        self.assertIsNone(r.header("x-injected"))

    def test_blob_formdata_urlsearchparams_response_bodies(self):
        r = self.exchange(request("GET", "/body-blob"))
        self.assertEqual(r.header("content-type"), "text/plain;charset=utf-8")
        self.assertEqual(r.body, b"blob bytes")
        self.assertEqual(r.header("content-length"), "10")
        r = self.exchange(request("GET", "/body-file"))
        self.assertIsNone(r.header("content-type"))  # a File with no type adds none
        self.assertEqual(r.body, b"file body")
        r = self.exchange(request("GET", "/body-urlsearchparams"))
        self.assertEqual(r.header("content-type"),
                         "application/x-www-form-urlencoded;charset=UTF-8")
        self.assertEqual(r.body, b"a=1+2&b=%E2%98%83%26")
        r = self.exchange(request("GET", "/body-formdata"))
        ctype = r.header("content-type")
        self.assertRegex(ctype, r"^multipart/form-data; boundary=\S+$")
        boundary = ctype.split("boundary=", 1)[1].encode()
        self.assertEqual(r.header("content-length"), str(len(r.body)))
        self.assertTrue(r.body.startswith(b"--" + boundary + b"\r\n"), r.body)
        self.assertTrue(r.body.endswith(b"--" + boundary + b"--\r\n"), r.body)
        self.assertIn(b'Content-Disposition: form-data; name="name"\r\n\r\nv\xc3\xa4lue\r\n',
                      r.body)
        self.assertIn(b'Content-Disposition: form-data; name="upload"; filename="a.txt"\r\n'
                      b"Content-Type: text/plain\r\n\r\n<data>\r\n", r.body)
        # The same body sent back is parsed by Request.formData().
        r2 = self.exchange(request("POST", "/form-echo", body=r.body,
                                   headers={"Content-Type": ctype}))
        self.assertEqual(json.loads(r2.body),
                         [["name", "v\u00e4lue"],
                          ["upload", {"name": "a.txt", "type": "text/plain", "text": "<data>"}]])
        r3 = self.exchange(request("POST", "/form-echo", body=b"x=1&y=%E2%98%83",
                                   headers={"Content-Type": "application/x-www-form-urlencoded"}))
        self.assertEqual(json.loads(r3.body), [["x", "1"], ["y", "\u2603"]])
        # Neither multipart nor urlencoded: formData() rejects, the handler's promise too.
        r4 = self.exchange(request("POST", "/form-echo", body=b"x=1",
                                   headers={"Content-Type": "text/plain"}))
        self.assertEqual(r4.status, 500)

    def test_incoming_request_attributes(self):
        r = self.exchange(request("GET", "/request-info"))
        self.assertEqual(json.loads(r.body), {
            "mode": "cors", "credentials": "same-origin", "cache": "default",
            "redirect": "follow", "referrer": "about:client", "destination": "",
            "signal": True, "sameSignal": True, "duplex": "half", "body": None,
            "keepalive": False})

    def test_empty_bodies(self):
        r = self.exchange(request("POST", "/digest", body=b""))
        self.assertEqual(json.loads(r.body)["length"], 0)
        r = self.exchange(b"POST /digest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                          b"0\r\n\r\n")
        self.assertEqual(json.loads(r.body)["length"], 0)
        r = self.exchange(request("GET", "/digest"))
        self.assertEqual(json.loads(r.body)["length"], 0)

    def test_head_has_headers_but_no_body(self):
        with self.connect() as s:
            s.sendall(request("HEAD", "/hello"))
            reader = Reader(s)
            r = reader.response(method="HEAD")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("content-length"), "14")
            self.assertEqual(r.header("content-type"), "text/plain")
            # No body bytes may follow: the next response must start right away.
            s.sendall(request("GET", "/id?id=next"))
            r = reader.response()
            self.assertEqual(r.body, b"id=next\n")
            self.assertEqual(reader.buf, b"")
        # HEAD of a large response: still no body, Content-Length of the full one.
        with self.connect() as s:
            s.sendall(request("HEAD", "/big?n=100000") + request("GET", "/id?id=2"))
            reader = Reader(s)
            r = reader.response(method="HEAD")
            self.assertEqual(r.header("content-length"), "100000")
            self.assertEqual(reader.response().body, b"id=2\n")

    def test_null_body_statuses(self):
        with self.connect() as s:
            reader = Reader(s)
            for code in (204, 304):
                s.sendall(request("GET", f"/status?code={code}"))
                r = reader.response()
                self.assertEqual(r.status, code)
                self.assertIsNone(r.header("content-length"), r)
            s.sendall(request("GET", "/status?code=299"))
            r = reader.response()
            self.assertEqual((r.status, r.reason, r.body), (299, "", b"status 299\n"))
            s.sendall(request("GET", "/status?code=503"))
            r = reader.response()
            self.assertEqual((r.status, r.reason), (503, "Service Unavailable"))
            self.assertNotEqual(r.header("connection"), "close")
            s.sendall(request("GET", "/id?id=ok"))
            self.assertEqual(reader.response().body, b"id=ok\n")

    def test_expect_100_continue(self):
        with self.connect() as s:
            s.sendall(request("POST", "/digest", headers={"Content-Length": "5",
                                                          "Expect": "100-continue"}))
            # The interim response must come before we send the body.
            s.settimeout(10)
            reader = Reader(s)
            version, status, reason, headers = reader.head()
            self.assertEqual((version, status, reason), ("HTTP/1.1", 100, "Continue"))
            self.assertEqual(reader.buf, b"")
            s.sendall(b"hello")
            r = reader.response(allow_interim=False)
            self.assertEqual(r.status, 200)
            self.assertEqual(json.loads(r.body)["length"], 5)
            # The connection is still usable; no second 100 for a request without Expect.
            s.sendall(request("POST", "/digest", body=b"xy"))
            r = reader.response(allow_interim=False)
            self.assertEqual((r.status, json.loads(r.body)["length"]), (200, 2))

    def test_expect_100_continue_with_body_already_sent(self):
        # Clients may send the body without waiting: the request still succeeds.
        data = request("POST", "/digest", body=b"12345", headers={"Expect": "100-continue"})
        with self.connect() as s:
            s.sendall(data)
            r = Reader(s).response()
        self.assertEqual((r.status, json.loads(r.body)["length"]), (200, 5))

    def test_connection_close(self):
        with self.connect() as s:
            s.sendall(request("GET", "/hello", close=True) + request("GET", "/id?id=ignored"))
            reader = Reader(s)
            r = reader.response()
            self.assertEqual((r.status, r.body), (200, b"Hello, world!\n"))
            self.assertEqual(r.header("connection"), "close")
            closed, extra = closed_within(s, 10)
            self.assertTrue(closed, "connection left open after Connection: close")
            self.assertEqual(reader.buf + extra, b"", "a request after Connection: close was answered")

    def test_http10(self):
        with self.connect() as s:
            s.sendall(b"GET /hello HTTP/1.0\r\n\r\n")
            reader = Reader(s)
            r = reader.response()
            self.assertEqual((r.status, r.body), (200, b"Hello, world!\n"))
            self.assertEqual(r.header("content-length"), "14")
            self.assertEqual(r.header("connection"), "close")
            closed, extra = closed_within(s, 10)
            self.assertTrue(closed, "HTTP/1.0 connection without keep-alive left open")

    def test_http10_keep_alive(self):
        with self.connect() as s:
            reader = Reader(s)
            for i in range(3):
                s.sendall(b"GET /id?id=%d HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" % i)
                r = reader.response()
                self.assertEqual(r.body, b"id=%d\n" % i)
                self.assertEqual(r.header("connection").lower(), "keep-alive")
            s.sendall(b"GET /id?id=last HTTP/1.0\r\n\r\n")
            r = reader.response()
            self.assertEqual(r.body, b"id=last\n")
            self.assertTrue(closed_within(s, 10)[0])

    def test_half_close_still_answered(self):
        with self.connect() as s:
            s.sendall(request("GET", "/id?id=1") + request("GET", "/slow?ms=100&tag=half"))
            s.shutdown(socket.SHUT_WR)
            reader = Reader(s)
            self.assertEqual(reader.response().body, b"id=1\n")
            self.assertEqual(reader.response().body, b"slept 100\n")
            self.assertTrue(closed_within(s, 10)[0])

    def test_app_framing_headers_are_replaced(self):
        # Content-Length, Transfer-Encoding, Connection and Keep-Alive set by the app would
        # let it desynchronize the connection: the server frames every response itself.
        with self.connect() as s:
            s.sendall(request("GET", "/framing") + request("GET", "/id?id=after"))
            reader = Reader(s)
            r = reader.response()
            self.assertEqual((r.status, r.body), (200, b"abc"))
            self.assertEqual(r.header_all("content-length"), ["3"])
            self.assertEqual(r.header_all("transfer-encoding"), [])
            self.assertEqual(r.header_all("keep-alive"), [])
            self.assertNotEqual(r.header("connection"), "close")
            self.assertEqual(r.header("x-kept"), "yes")
            # Set-Cookie is never folded into one line.
            self.assertEqual(r.header_all("set-cookie"), ["a=1; Path=/", "b=2"])
            self.assertEqual(reader.response().body, b"id=after\n")

    def test_string_bodies_are_utf8(self):
        r = self.exchange(request("GET", "/unicode"))
        self.assertEqual(r.body, "h\u00e9llo \u2603\n".encode("utf-8"))
        self.assertEqual(r.header("content-length"), str(len(r.body)))
        self.assertEqual(r.header("content-type"), "text/plain;charset=UTF-8")

    def test_incoming_request(self):
        r = self.exchange(request("GET", "/info?x=1&y=%20", host="example.test:8080",
                                  headers=[("X-Custom", "  padded value  "), ("Accept", "a/b"),
                                           ("x-multi", "1"), ("X-Multi", "2")]))
        info = json.loads(r.body)
        self.assertEqual(info["method"], "GET")
        self.assertEqual(info["url"], "http://example.test:8080/info?x=1&y=%20")
        self.assertFalse(info["bodyUsed"])
        headers = dict(info["headers"])
        self.assertEqual(headers["x-custom"], "padded value")
        self.assertEqual(headers["host"], "example.test:8080")
        self.assertEqual(headers["x-multi"], "1, 2")
        names = [k for k, _ in info["headers"]]
        self.assertEqual(names, sorted(names), "Headers iterate in sorted order")
        r = self.exchange(request("DELETE", "/info"))
        self.assertEqual(json.loads(r.body)["method"], "DELETE")
        r = self.exchange(request("PATCH", "/info", body=b"x"))
        self.assertEqual(json.loads(r.body)["method"], "PATCH")

    def test_incoming_request_headers_are_immutable(self):
        r = self.exchange(request("GET", "/immutable"))
        self.assertEqual(r.body, b"TypeError\n")

    def test_request_used_after_its_response_is_a_type_error(self):
        # The stashed request's body was never read; once its response is sent, reading it
        # is a TypeError (a checked handle), never released memory.
        self.exchange(request("POST", "/stash", body=b"x" * 10000))
        r = self.exchange(request("GET", "/read-stash"))
        self.assertEqual((r.status, r.body), (200, b"TypeError\n"))

    def test_handler_errors_are_500_without_internals(self):
        app = os.path.join(APPS, "echo", "app.js")
        with open(app) as f:
            throw_line = next(i for i, line in enumerate(f, 1) if "secret-internal-detail-sync" in line)
        cases = [("/throw", "secret-internal-detail-sync"),
                 ("/throw-async", "secret-internal-detail-async"),
                 ("/not-response", None),
                 ("/undefined", None)]
        with self.connect() as s:
            reader = Reader(s)
            for path, secret in cases:
                s.sendall(request("GET", path))
                r = reader.response()
                self.assertEqual(r.status, 500, path)
                self.assertEqual(r.reason, "Internal Server Error")
                for leak in (b"secret", b"Error:", b"app.js", b"at ", b"stack", b"plain object"):
                    self.assertNotIn(leak, r.body, f"{path}: the 500 body leaks {leak!r}: {r.body!r}")
                # The connection stays usable after an application error.
                s.sendall(request("GET", "/id?id=after" + path))
                self.assertEqual(reader.response().body, ("id=after" + path + "\n").encode())
        err = self.server.stderr
        self.assertTrue(err.wait_for(r"secret-internal-detail-sync", 10), err.text())
        self.assertTrue(err.wait_for(rf"app\.js:{throw_line}\b", 10),
                        f"no stack frame app.js:{throw_line} in stderr:\n{err.text()}")
        self.assertTrue(err.wait_for(r"TypeError: secret-internal-detail-async", 10), err.text())
        self.assertTrue(err.wait_for(r"at handle .*app\.js:\d+", 10),
                        "no stack for the async error:\n" + err.text())
        self.assertTrue(err.wait_for(r"instead of a Response|not a Response|non-Response", 10),
                        err.text())
        self.assertHealthy()

    def test_unhandled_rejection_in_a_request_is_logged_with_the_request(self):
        r = self.server.get("/stray-rejection?x=1")
        self.assertEqual((r.status, r.body), (200, b"answered despite a stray rejection\n"))
        err = self.server.stderr
        self.assertTrue(err.wait_for(r"Unhandled promise rejection \(in GET http://[^ ]*/stray-rejection\?x=1\): "
                                     r"RangeError: stray-rejection-marker", 10), err.text())
        self.assertHealthy()

    def test_client_reset_mid_request_head(self):
        for _ in range(5):
            s = self.connect()
            s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Partial: ")
            reset(s)
        self.assertHealthy()

    def test_client_reset_mid_request_body(self):
        for _ in range(5):
            s = self.connect()
            s.sendall(request("POST", "/digest", headers={"Content-Length": "100000"}) + b"x" * 5000)
            reset(s)
            s = self.connect()
            s.sendall(b"POST /digest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"1000\r\n" + b"y" * 100)
            reset(s)
        self.assertHealthy()

    def test_client_reset_while_handler_runs(self):
        # A client that goes away ends its request: the request's signal aborts and the
        # handler's pending timer is cancelled with its context (tests/integration/context_test.py).
        for i in range(3):
            s = self.connect()
            s.sendall(request("GET", f"/slow-signal?ms=150&tag=reset{i}"))
            self.assertTrue(self.server.stdout.wait_for(rf"slow start reset{i}", 10))
            reset(s)
        for i in range(3):
            self.assertTrue(self.server.stdout.wait_for(rf"signal aborted reset{i} AbortError", 10))
        time.sleep(0.4)
        self.assertNotIn("slow end reset", self.server.stdout.text())
        self.assertHealthy()

    def test_async_handler_error_is_logged_once(self):
        # Answered with 500 and logged as the handler's error; not reported a second time as
        # an unhandled rejection.
        before = self.server.stderr.text().count("secret-internal-detail-async")
        r = self.exchange(request("GET", "/throw-async"))
        self.assertEqual(r.status, 500)
        self.assertTrue(self.server.stderr.wait_for(r"secret-internal-detail-async", 10))
        self.assertEqual(self.server.get("/hello").status, 200)  # a later drain has run
        self.assertEqual(self.server.stderr.text().count("secret-internal-detail-async"),
                         before + 1, self.server.stderr.text()[-3000:])

    def test_client_reset_right_after_pipelined_requests(self):
        # Requests and the reset can arrive in one completion drain: the requests are then
        # aborted before JS ever starts them, and must not be started afterwards.
        for i in range(300):
            s = self.connect()
            s.sendall(request("GET", "/slow?ms=5") + request("GET", "/hello"))
            reset(s)
        self.assertHealthy()

    def test_client_reset_mid_response(self):
        for _ in range(3):
            s = self.connect()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(request("GET", f"/big?n={16 << 20}"))
            got = 0
            while got < 65536:
                got += len(s.recv(65536))
            reset(s)
        # Also: a pipeline whose reader goes away with responses still queued.
        s = self.connect()
        s.sendall(b"".join(request("GET", f"/big?n={1 << 20}") for _ in range(10)))
        s.recv(1000)
        reset(s)
        self.assertHealthy()

    def test_client_closes_without_reading(self):
        for _ in range(5):
            s = self.connect()
            s.sendall(b"".join(request("GET", "/big?n=200000") for _ in range(5)))
            s.close()
        self.assertHealthy()

    def test_concurrent_connections(self):
        errors = []

        def client(k):
            try:
                with self.connect() as s:
                    reader = Reader(s)
                    for i in range(20):
                        s.sendall(request("GET", f"/id?id={k}-{i}"))
                        r = reader.response()
                        if r.body != f"id={k}-{i}\n".encode():
                            errors.append((k, i, r))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append((k, repr(e)))

        threads = [threading.Thread(target=client, args=(k,)) for k in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])


class DirectoryEntryTest(unittest.TestCase):
    """ENTRY may name a directory holding app.js; the echo app above is served that way.
    A plain file path works as well."""

    def test_file_entry(self):
        from harness import Server, require_binary, sanitizer_report
        require_binary()
        server = Server(os.path.join(APPS, "echo", "app.js")).start()
        try:
            self.assertEqual(server.get("/hello").body, b"Hello, world!\n")
        finally:
            code = server.stop()
        self.assertEqual(code, 0, server.stderr.text())
        self.assertIsNone(sanitizer_report(server.stderr.text()), server.stderr.text())


if __name__ == "__main__":
    unittest.main()
