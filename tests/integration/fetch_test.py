"""fetch() against real upstreams on loopback: node's http and https servers and a raw TCP
server (upstream/server.js), with a test CA made here by openssl. Each fetch/*.test.js runs
under `torus run --location http://127.0.0.1:PORT/` (relative URLs reach the upstream; the
script asks /ports for the others) and must exit 0 with "PASS ..." as its last line."""

import glob
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import HERE, TORUS_BIN, require_binary, sanitizer_report, Server

# Under ASan, a small quarantine, so that RSS shows what torus holds (as streaming_test).
ASAN = os.environ.get("ASAN_OPTIONS", "")
os.environ["ASAN_OPTIONS"] = (ASAN + ":" if ASAN else "") + "quarantine_size_mb=4"

FETCH = os.path.join(HERE, "fetch")
UPSTREAM = os.path.join(HERE, "upstream", "server.js")


def make_certs(tmp):
    """A test CA and a leaf for localhost/127.0.0.1 signed by it: (ca, cert, key) paths."""
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
    return [os.path.join(tmp, n) for n in ("ca.pem", "leaf.pem", "leaf.key")]


class Upstream:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="torus-fetch-")
        self.ca, cert, key = make_certs(self.tmp)
        self.proc = subprocess.Popen(["node", UPSTREAM, cert, key], stdout=subprocess.PIPE,
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


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class ProxyTest(unittest.TestCase):
    """`torus serve` of a proxy app (apps/proxy) in front of the upstream: requests and bodies
    pass through both ways, a 1 GiB body streams in bounded memory, and fetches end with
    the request that started them."""

    @classmethod
    def setUpClass(cls):
        require_binary()
        if shutil.which("node") is None or shutil.which("openssl") is None:
            raise unittest.SkipTest("node and openssl are needed for the upstream")
        cls.upstream = Upstream()
        os.environ["SSL_CERT_FILE"] = cls.upstream.ca
        cls.server = Server(os.path.join(HERE, "apps", "proxy")).start()
        cls.origin = f"http://127.0.0.1:{cls.upstream.ports['http']}"

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        err = cls.server.stderr.text()
        cls.upstream.close()
        if sanitizer_report(err) or code != 0:
            raise AssertionError(f"server exit code {code}; stderr:\n{err[-6000:]}")

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


if __name__ == "__main__":
    unittest.main()
