"""fetch() against real upstreams on loopback: node's http and https servers and a raw TCP
server (upstream/server.js), with a test CA made here by openssl. Each fetch/*.test.js runs
under `torus run --location http://127.0.0.1:PORT/` (relative URLs reach the upstream; the
script asks /ports for the others) and must exit 0 with "PASS ..." as its last line."""

import glob
import json
import os
import shutil
import subprocess
import socket
import tempfile
import time
import unittest

from harness import HERE, TORUS_BIN, require_binary, rss_bytes, sanitizer_report, Server

# Under ASan, a small quarantine, so that RSS shows what torus holds (as streaming_test).
ASAN = os.environ.get("ASAN_OPTIONS", "")
os.environ["ASAN_OPTIONS"] = (ASAN + ":" if ASAN else "") + "quarantine_size_mb=4"

FETCH = os.path.join(HERE, "fetch")
UPSTREAM = os.path.join(HERE, "upstream", "server.js")


def make_certs(tmp):
    """A test CA and leaves for localhost/127.0.0.1: one signed by it, one expired (signed
    by it), one self-signed. Paths: ca, cert, key, expired cert, expired key, self cert,
    self key."""
    def ssl(*args):
        subprocess.run(["openssl", *args], cwd=tmp, check=True, capture_output=True)
    ssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/CN=torus test CA")
    ssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost")
    with open(os.path.join(tmp, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    ssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "leaf.pem", "-days", "30", "-extfile", "ext.cnf")
    # Expired: `openssl ca` takes explicit validity dates.
    with open(os.path.join(tmp, "ca.cnf"), "w") as f:
        f.write("[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\n"
                "default_md=sha256\npolicy=p\ncertificate=ca.pem\nprivate_key=ca.key\n"
                "[p]\ncommonName=supplied\n")
    open(os.path.join(tmp, "index.txt"), "w").close()
    with open(os.path.join(tmp, "serial"), "w") as f:
        f.write("1000\n")
    ssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "expired.key", "-out", "expired.csr", "-subj", "/CN=localhost")
    ssl("ca", "-batch", "-notext", "-config", "ca.cnf", "-in", "expired.csr", "-out", "expired.pem",
        "-startdate", "20200101000000Z", "-enddate", "20200201000000Z", "-extfile", "ext.cnf")
    ssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "self.key", "-out", "self.pem", "-days", "30", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")
    return [os.path.join(tmp, n) for n in ("ca.pem", "leaf.pem", "leaf.key", "expired.pem",
                                           "expired.key", "self.pem", "self.key")]


class Upstream:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="torus-fetch-")
        self.ca, *certs = make_certs(self.tmp)
        self.proc = subprocess.Popen(["node", UPSTREAM, *certs], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("upstream did not start: " + self.proc.stderr.read())
        self.ports = json.loads(line)

    def close(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


class FetchTestFiles(unittest.TestCase):
    """One test method per fetch/*.test.js, generated below."""

    @classmethod
    def setUpClass(cls):
        require_binary()
        if shutil.which("node") is None or shutil.which("openssl") is None:
            raise unittest.SkipTest("node and openssl are needed for the upstream")
        cls.upstream = Upstream()

    @classmethod
    def tearDownClass(cls):
        cls.upstream.close()

    def check_file(self, path):
        env = dict(os.environ, SSL_CERT_FILE=self.upstream.ca)
        location = f"http://127.0.0.1:{self.upstream.ports['http']}/"
        p = subprocess.run([TORUS_BIN, "run", "--location", location, path],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=120, env=env)
        out = p.stdout.decode("utf-8", "replace")
        err = p.stderr.decode("utf-8", "replace")
        self.assertIsNone(sanitizer_report(err), err)
        lines = out.rstrip("\n").split("\n")
        self.assertEqual(p.returncode, 0,
                         f"{os.path.basename(path)} exited {p.returncode}\nstdout:\n{out}\nstderr:\n{err}")
        self.assertTrue(lines[-1].startswith("PASS"), f"no PASS line\nstdout:\n{out}\nstderr:\n{err}")


    def run_script(self, code, *args):
        path = os.path.join(self.upstream.tmp, "script.mjs")
        with open(path, "w") as f:
            f.write(code)
        started = time.monotonic()
        p = subprocess.run([TORUS_BIN, "run", *args, path], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=60, text=True)
        self.assertIsNone(sanitizer_report(p.stderr), p.stderr)
        return p, time.monotonic() - started

    def test_hosts_file(self):
        # `run --hosts-file FILE`: fetch() resolves the names in FILE, not in /etc/hosts.
        hosts = os.path.join(self.upstream.tmp, "hosts")
        with open(hosts, "w") as f:
            f.write("# the upstream\n127.0.0.1 upstream.torus-test www.upstream.torus-test\n")
        port = self.upstream.ports["http"]
        code = (f"const r = await fetch('http://www.upstream.torus-test:{port}/text');\n"
                "console.log(r.status, await r.text());\n")
        p, _ = self.run_script(code, "--hosts-file", hosts)
        self.assertEqual((p.returncode, p.stdout), (0, "200 hello\n"), p.stderr)
        p, _ = self.run_script(code, "--location", f"http://upstream.torus-test:{port}/",
                               "--hosts-file", hosts)
        self.assertEqual((p.returncode, p.stdout), (0, "200 hello\n"), p.stderr)
        p, _ = self.run_script(code)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no such host", p.stderr)
        p, _ = self.run_script(code, "--hosts-file", hosts + ".missing")
        self.assertEqual(p.returncode, 2)
        self.assertIn("cannot read --hosts-file", p.stderr)

    def test_run_ends_with_idle_pooled_connections(self):
        # The pool keeps the connection for 30 s (--fetch-idle-timeout); `torus run` does not
        # wait for it once nothing else is pending.
        code = (f"const r = await fetch('http://127.0.0.1:{self.upstream.ports['http']}/text');\n"
                "console.log(await r.text());\n")
        p, seconds = self.run_script(code)
        self.assertEqual((p.returncode, p.stdout), (0, "hello\n"), p.stderr)
        self.assertLess(seconds, 10)


def _add(path):
    name = "test_" + os.path.basename(path)[:-len(".test.js")].replace("-", "_")
    setattr(FetchTestFiles, name, lambda self: self.check_file(path))


for _path in sorted(glob.glob(os.path.join(FETCH, "*.test.js"))):
    _add(_path)


class ProxyCase(unittest.TestCase):
    """`torus serve` of the proxy app (apps/proxy, FLAGS added) in front of the upstream."""

    FLAGS = ()

    @classmethod
    def setUpClass(cls):
        require_binary()
        if shutil.which("node") is None or shutil.which("openssl") is None:
            raise unittest.SkipTest("node and openssl are needed for the upstream")
        cls.upstream = Upstream()
        os.environ["SSL_CERT_FILE"] = cls.upstream.ca
        cls.server = Server(os.path.join(HERE, "apps", "proxy"), *cls.FLAGS).start()
        cls.origin = f"http://127.0.0.1:{cls.upstream.ports['http']}"

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        err = cls.server.stderr.text()
        cls.upstream.close()
        if sanitizer_report(err) or code != 0:
            raise AssertionError(f"server exit code {code}; stderr:\n{err[-6000:]}")
        if "fetches=0 " in err:
            raise AssertionError("the worker's stats line counts no fetches:\n" + err[-2000:])


class ProxyTest(ProxyCase):
    """Requests and bodies pass through both ways, a 1 GiB body streams in bounded memory,
    and fetches end with the request that started them."""

    def get(self, path, origin=None):
        return self.server.get(path, headers={"X-Upstream": origin or self.origin})

    def test_get_passes_through(self):
        r = self.get("/text")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"hello")
        r = self.get("/status/404")
        self.assertEqual(r.status, 404)

    def test_https_upstream(self):
        r = self.get("/text", origin=f"https://localhost:{self.upstream.ports['https']}")
        self.assertEqual((r.status, r.body), (200, b"hello"))

    def test_post_body_is_forwarded(self):
        from harness import request as raw_request
        with self.server.connect() as s:
            body = b"x" * 300000
            s.sendall(raw_request("POST", "/echo", body=body,
                                  headers={"X-Upstream": self.origin}))
            from harness import Reader
            r = Reader(s).response()
        e = json.loads(r.body)
        self.assertEqual(e["method"], "POST")
        self.assertEqual(e["length"], 300000)

    def test_fetch_inside_handler(self):
        r = self.get("/text-through")
        self.assertEqual(r.body, b"proxied: hello")

    def test_unread_body_cancelled_with_its_request(self):
        r = self.get("/unread")
        self.assertEqual(r.body, b"status 200")
        # The next requests still work: the 100 MB body was dropped, not buffered.
        self.assertEqual(self.get("/text").body, b"hello")

    def test_waituntil_fetch_after_the_response(self):
        r = self.get("/after")
        self.assertEqual(r.body, b"sent first")
        self.server.stdout.wait_for("waitUntil fetch got hello", 10)

    def test_thousand_concurrent_fetches_memory_back_to_baseline(self):
        pid = self.server.proc.pid
        self.assertEqual(self.get("/many?n=1000").body, b"1000")  # warm-up: pools, code
        base = rss_bytes(pid)
        for _ in range(3):
            self.assertEqual(self.get("/many?n=1000").body, b"1000")
        grown = rss_bytes(pid) - base
        self.assertLess(grown, 24 << 20, f"RSS grew {grown >> 20} MiB over 3,000 more fetches")

    def test_slow_client_holds_back_a_fast_upstream(self):
        # The client reads 1 MiB of a 256 MiB body, then stops: the proxy must not buffer
        # the rest (both sides pause at their marks).
        pid = self.server.proc.pid
        base = rss_bytes(pid)
        with self.server.connect() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            s.sendall(f"GET /big?bytes={256 << 20} HTTP/1.1\r\nHost: x\r\nX-Upstream: {self.origin}\r\n\r\n".encode())
            got = 0
            while got < (1 << 20):
                got += len(s.recv(65536))
            time.sleep(2)
            grown = rss_bytes(pid) - base
        self.assertLess(grown, 16 << 20, f"RSS grew {grown >> 20} MiB with the client paused")
        self.assertEqual(self.get("/text").body, b"hello")

    def test_failures_reach_the_app_with_their_cause(self):
        r = self.get("/probe?path=/x", origin="http://no-such-host.invalid")
        self.assertIn(b"TypeError: fetch failed", r.body)
        self.assertIn(b"| dns", r.body)
        r = self.get(f"/probe?path=/x", origin=f"http://127.0.0.1:{self.upstream.ports['closed']}")
        self.assertIn(b"refused", r.body)
        self.assertIn(b"| connect", r.body)

    def test_gigabyte_streams_through_in_bounded_memory(self):
        import socket
        total = 1 << 30
        pid = self.server.proc.pid
        base = rss_bytes(pid)
        peak = base
        with self.server.connect() as s:
            s.settimeout(60)
            s.sendall(f"GET /big?bytes={total} HTTP/1.1\r\nHost: x\r\nX-Upstream: {self.origin}\r\n\r\n".encode())
            buf = b""
            while b"\r\n\r\n" not in buf:
                buf += s.recv(65536)
            head, _, rest = buf.partition(b"\r\n\r\n")
            self.assertIn(b" 200 ", head.split(b"\r\n")[0] + b" ")
            self.assertIn(f"content-length: {total}".encode(), head.lower())
            got = len(rest)
            n = 0
            while got < total:
                data = s.recv(1 << 20)
                if not data:
                    break
                got += len(data)
                n += 1
                if n % 256 == 0:
                    peak = max(peak, rss_bytes(pid))
        self.assertEqual(got, total)
        grown = peak - base
        self.assertLess(grown, 64 << 20, f"RSS grew {grown >> 20} MiB while 1 GiB passed through")


class TimeoutTest(ProxyCase):
    """The fetch timeouts a server is configured with."""

    FLAGS = ("--fetch-head-timeout", "300", "--fetch-body-timeout", "300")

    def probe(self, path):
        return self.server.get("/probe?path=" + path, headers={"X-Upstream": self.origin}).body

    def test_head_timeout(self):
        body = self.probe("/slow-head%3Fms%3D2000")
        self.assertIn(b"TypeError", body)
        self.assertIn(b"| head", body)
        self.assertIn(b"timed out", body)

    def test_body_timeout(self):
        # A body that pauses 1 s between chunks, read by the app: the upstream's pause
        # counts.
        body = self.probe("/drip%3Fn%3D3%26ms%3D1000")
        self.assertIn(b"TypeError", body)
        self.assertIn(b"timed out", body)

    def test_fast_enough_passes(self):
        self.assertEqual(self.probe("/text"), b"ok 200 hello")


class CapsTest(ProxyCase):
    """Beyond the in-flight and queue caps, fetch() rejects with a TypeError saying so."""

    FLAGS = ("--fetch-max-inflight", "4", "--fetch-max-queued", "4")

    def test_over_the_caps(self):
        r = self.server.get("/many?n=20", headers={"X-Upstream": self.origin})
        ok, _, message = r.body.decode().partition(" ok; ")
        self.assertEqual(int(ok), 8, r.body)  # 4 on the wire, 4 queued
        self.assertIn("fetch failed", message)
        self.assertIn("4", message)
        # Within the caps again once those finished.
        self.assertEqual(self.server.get("/many?n=8", headers={"X-Upstream": self.origin}).body, b"8")


class TotalTimeoutTest(TimeoutTest):
    """--fetch-timeout bounds the whole fetch."""

    FLAGS = ("--fetch-timeout", "300")

    def test_head_timeout(self):
        body = self.probe("/slow-head%3Fms%3D2000")
        self.assertIn(b"the fetch timeout", body)

    def test_body_timeout(self):
        body = self.probe("/drip%3Fn%3D10%26ms%3D100")
        self.assertIn(b"the fetch timeout", body)


if __name__ == "__main__":
    unittest.main()
