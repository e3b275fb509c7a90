"""The bundled examples, served by the real binary and driven by curl (an independent
client): examples/hello, examples/platform (URL routing, a multipart upload parsed by
request.formData(), structuredClone, TextEncoder), and examples/streaming (server-sent events,
an upload echoed through request.body, a gzip'ed stream), and examples/proxy in front of the
streaming example."""

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import REPO, ServerTestCase

EXAMPLES = os.path.join(REPO, "examples")


def curl(server, path, *args, input=None):
    """(status, body) of curl's request to the server; curl fails the test if it cannot run."""
    if not shutil.which("curl"):
        raise AssertionError("curl is not installed (packaging/setup.sh installs it)")
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "30", "-w", "\n%{http_code}", *args,
         f"http://127.0.0.1:{server.port}{path}"],
        capture_output=True, check=True, timeout=60, input=input)
    body, _, status = out.stdout.rpartition(b"\n")
    return int(status), body


class HelloExampleTest(ServerTestCase):
    ENTRY = os.path.join(EXAMPLES, "hello")

    def test_hello(self):
        self.assertEqual(curl(self.server, "/"), (200, b"Hello from torus!\n"))

    def test_json(self):
        status, body = curl(self.server, "/json")
        self.assertEqual((status, json.loads(body)), (200, {"hello": "world", "method": "GET"}))

    def test_sha256_of_the_posted_body(self):
        payload = bytes(range(256)) * 4 + b"tail"
        status, body = curl(self.server, "/sha256", "--data-binary", "@-", input=payload)
        self.assertEqual((status, body), (200, hashlib.sha256(payload).hexdigest().encode() + b"\n"))

    def test_stream_is_one_mebibyte_chunked(self):
        status, body = curl(self.server, "/stream", "--raw")
        self.assertEqual(status, 200)
        decoded, rest = b"", body
        while True:  # RFC 9112 chunked framing, as sent
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            decoded, rest = decoded + rest[:size], rest[size + 2:]
        self.assertEqual(decoded, b"a" * (1 << 20))


class PlatformExampleTest(ServerTestCase):
    ENTRY = os.path.join(EXAMPLES, "platform")

    def test_routes_with_url_and_search_params(self):
        status, body = curl(self.server, "/greet?name=Ada&lang=fr")
        self.assertEqual((status, body.decode()), (200, "Bonjour, Ada!\n"))
        status, body = curl(self.server, "/greet?name=%E5%B1%B1%E7%94%B0&lang=ja")
        self.assertEqual((status, body.decode()), (200, "こんにちは, 山田!\n"))
        status, body = curl(self.server, "/greet?lang=xx")
        self.assertEqual((status, body.decode()), (400, "unknown lang; try ?lang=en&lang=fr&lang=de&lang=ja\n"))

    def test_multipart_upload_through_form_data(self):
        with tempfile.NamedTemporaryFile(suffix=".bin") as f:
            payload = bytes(range(256)) * 300
            f.write(payload)
            f.flush()
            status, body = curl(self.server, "/upload", "-F", "title=holiday snaps",
                                "-F", f"photo=@{f.name};type=image/png;filename=beach.png")
        self.assertEqual(status, 200, body)
        got = json.loads(body)
        digest = 7
        for b in payload:
            digest = (digest * 31 + b) & 0xFFFFFFFF
        self.assertEqual(got["fields"], {"title": "holiday snaps"})
        self.assertEqual(got["files"], [{"field": "photo", "name": "beach.png", "type": "image/png",
                                         "size": len(payload), "digest": digest}])

    def test_structured_clone_keeps_cycles_and_maps(self):
        status, body = curl(self.server, "/clone?depth=4")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body), {"depth": 4, "distinct": True, "cycleKept": True,
                                            "mapKept": True})

    def test_text_encoder_bytes(self):
        status, body = curl(self.server, "/encode/h%C3%A9llo")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body), {"text": "héllo", "utf8": "68 c3 a9 6c 6c 6f",
                                            "bytes": 6, "roundTrip": True})

    def test_unknown_route(self):
        status, _ = curl(self.server, "/nope")
        self.assertEqual(status, 404)


class StreamingExampleTest(ServerTestCase):
    ENTRY = os.path.join(EXAMPLES, "streaming")

    def test_server_sent_events(self):
        # curl reads the event stream for 2.5 s (--max-time ends it: exit code 28).
        out = subprocess.run(
            ["curl", "-sS", "-N", "--max-time", "2.5", "-D", "-",
             f"http://127.0.0.1:{self.server.port}/events?every=300"],
            capture_output=True, timeout=60)
        self.assertEqual(out.returncode, 28, out.stderr)
        text = out.stdout.decode()
        self.assertIn("content-type: text/event-stream", text.lower())
        self.assertIn("retry: 2000", text)
        self.assertGreaterEqual(text.count("event: tick"), 3, text)
        self.assertIn('data: {"n":1,', text)

    def test_upload_echo(self):
        with tempfile.NamedTemporaryFile() as f:
            payload = os.urandom(3 << 20)
            f.write(payload)
            f.flush()
            status, body = curl(self.server, "/echo", "-T", f.name)
        self.assertEqual(status, 200)
        self.assertEqual(body, payload)

    def test_gzip_stream(self):
        out = subprocess.run(
            f"curl -sS --max-time 60 http://127.0.0.1:{self.server.port}/numbers.gz | gunzip",
            shell=True, capture_output=True, timeout=90, check=True)
        lines = out.stdout.split(b"\n")
        self.assertEqual(lines[0], b"0")
        self.assertEqual(lines[-2], b"999999")


if __name__ == "__main__":
    unittest.main()


class ProxyExampleTest(ServerTestCase):
    """examples/proxy in front of examples/streaming (another torus), driven by curl."""

    ENTRY = os.path.join(EXAMPLES, "proxy")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        from harness import Server
        cls.upstream = Server(os.path.join(EXAMPLES, "streaming")).start()
        cls.origin = f"http://127.0.0.1:{cls.upstream.port}"

    @classmethod
    def tearDownClass(cls):
        cls.upstream.stop()
        super().tearDownClass()

    def test_get_through_the_proxy(self):
        status, body = curl(self.server, "/", "-H", f"X-Upstream: {self.origin}")
        self.assertEqual(status, 404)  # the streaming example's index, status and all
        self.assertIn(b"try /events", body)

    def test_upload_echoed_through_both(self):
        data = os.urandom(3 << 20)
        with tempfile.NamedTemporaryFile() as f:
            f.write(data)
            f.flush()
            status, body = curl(self.server, "/echo", "-H", f"X-Upstream: {self.origin}",
                                "--data-binary", f"@{f.name}", "-H",
                                "Content-Type: application/octet-stream")
        self.assertEqual(status, 200)
        self.assertEqual(body, data)

    def test_gzip_decoded_on_the_way(self):
        # fetch() decodes the gzip'ed stream; the proxy sends it on as plain text.
        status, body = curl(self.server, "/numbers.gz", "-H", f"X-Upstream: {self.origin}")
        self.assertEqual(status, 200)
        lines = body.split(b"\n")
        self.assertEqual((lines[0], lines[-2]), (b"0", b"999999"))
