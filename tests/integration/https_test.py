"""HTTPS serving: real TLS handshakes on loopback against `torus serve --https-listen`, with
curl, openssl s_client and Python's ssl module as independent clients. Certificates are made
at test time with the openssl CLI (ECDSA P-256 and RSA 2048, two SNI names)."""

import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from harness import APPS, IO_TIMEOUT, ServerTestCase, free_port, require_binary

APP = os.path.join(APPS, "tls_info.js")


def make_cert(directory, name, key_args):
    cert = os.path.join(directory, f"{name}.pem")
    key = os.path.join(directory, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", *key_args, "-nodes", "-days", "2",
                    "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
                    "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


class HttpsTest(ServerTestCase):
    ENTRY = APP

    @classmethod
    def setUpClass(cls):
        require_binary()
        if not shutil.which("openssl") or not shutil.which("curl"):
            raise unittest.SkipTest("needs the openssl and curl commands")
        cls.tmp = tempfile.mkdtemp(prefix="torus-https-")
        cls.a = make_cert(cls.tmp, "a.test", ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
        cls.b = make_cert(cls.tmp, "b.test", ["rsa:2048"])
        cls.tls_port = free_port()
        cls.FLAGS = ("--https-listen", f"127.0.0.1:{cls.tls_port}",
                     "--tls-cert", cls.a[0], "--tls-key", cls.a[1],
                     "--tls-cert", cls.b[0], "--tls-key", cls.b[1],
                     "--tls-handshake-timeout", "1000")
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def curl(self, name, *args):
        out = subprocess.run(
            ["curl", "-sS", "--max-time", str(int(IO_TIMEOUT)), "--cacert",
             self.a[0] if name == "a.test" else self.b[0],
             "--resolve", f"{name}:{self.tls_port}:127.0.0.1", *args,
             f"https://{name}:{self.tls_port}/path?q=1"],
            capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout)

    def s_client(self, *args, data=b""):
        return subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{self.tls_port}", *args],
            input=data, capture_output=True, timeout=IO_TIMEOUT)

    def test_tls13_and_tls12_with_curl(self):
        for version, cipher_prefix in (("--tlsv1.3", "TLS13-"), ("--tlsv1.2", "ECDHE-ECDSA-")):
            got = self.curl("a.test", version, *(["--tls-max", "1.2"] if version == "--tlsv1.2" else []))
            self.assertEqual(got["url"], f"https://a.test:{self.tls_port}/path?q=1")
            cf = got["cf"]
            self.assertEqual(cf["httpProtocol"], "HTTP/1.1")
            self.assertEqual(cf["tlsVersion"], "TLSv1.3" if version == "--tlsv1.3" else "TLSv1.2")
            self.assertTrue(cf["tlsCipher"].startswith(cipher_prefix), cf)
            self.assertEqual(cf["tlsServerName"], "a.test")
        self.assertEqual(self.server.get("/alive").status, 200)

    def test_sni_picks_the_certificate(self):
        # curl verifies each name against only that certificate: success means the right one.
        self.assertEqual(self.curl("b.test")["cf"]["tlsServerName"], "b.test")
        self.assertEqual(self.curl("a.test")["cf"]["tlsServerName"], "a.test")
        # An unknown name gets the default (the first) certificate.
        out = self.s_client("-servername", "other.test", data=b"Q\n")
        self.assertIn(b"CN = a.test", out.stdout)

    def test_plain_listener_beside(self):
        r = self.server.get("/plain")
        self.assertEqual(r.status, 200)
        got = json.loads(r.body)
        self.assertTrue(got["url"].startswith("http://"), got)
        self.assertNotIn("tlsVersion", got["cf"])

    def test_python_ssl_client_and_alpn(self):
        ctx = ssl.create_default_context(cafile=self.a[0])
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        with socket.create_connection(("127.0.0.1", self.tls_port), timeout=IO_TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname="a.test") as s:
                self.assertEqual(s.selected_alpn_protocol(), "http/1.1")
                s.sendall(b"GET /x HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
        self.assertTrue(data.startswith(b"HTTP/1.1 200"), data[:200])
        self.assertIn(b'"tlsVersion":"TLSv1.3"', data)

    def test_old_protocols_and_weak_ciphers_refused(self):
        for args in (["-tls1_1"], ["-tls1"],
                     ["-tls1_2", "-cipher", "AES128-SHA:AES256-SHA:RC4:NULL:EXPORT:kRSA"]):
            out = self.s_client(*args, data=b"Q\n")
            self.assertNotEqual(out.returncode, 0, args)
            self.assertNotIn(b"Cipher is ECDHE", out.stdout, args)
        self.assertEqual(self.server.get("/alive").status, 200)
        self.assertEqual(self.curl("a.test")["cf"]["tlsVersion"], "TLSv1.3")

    def test_garbage_instead_of_a_client_hello(self):
        with socket.create_connection(("127.0.0.1", self.tls_port), timeout=IO_TIMEOUT) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + os.urandom(512))
            s.settimeout(IO_TIMEOUT)
            try:
                while s.recv(4096):
                    pass
            except ConnectionResetError:
                pass  # closed: what matters is that it ends and the server lives on
        self.assertEqual(self.curl("a.test")["cf"]["tlsVersion"], "TLSv1.3")

    def test_stalled_handshake_is_closed(self):
        with socket.create_connection(("127.0.0.1", self.tls_port), timeout=IO_TIMEOUT) as s:
            start = time.monotonic()
            s.sendall(b"\x16\x03\x01")  # the start of a record, then nothing
            try:
                while s.recv(4096):
                    pass
            except ConnectionResetError:
                pass
            self.assertLess(time.monotonic() - start, 10.0)
        self.assertEqual(self.curl("a.test")["cf"]["tlsVersion"], "TLSv1.3")


if __name__ == "__main__":
    unittest.main()
