"""HTTPS serving: real TLS handshakes on loopback against `torus serve --https-listen`, with
curl, openssl s_client, node's https client and Python's ssl module as independent clients.
Certificates are made at test time with the openssl CLI (ECDSA P-256 and RSA 2048, two SNI
names). Also: session resumption (TLS 1.2 tickets and session ids, TLS 1.3 tickets) checked on
the client and on the server's tls stats line, renegotiation and oversized records refused,
and a certificate reload (SIGHUP) under load."""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

from harness import APPS, IO_TIMEOUT, Server, ServerTestCase, closed_within, free_port, \
    require_binary

APP = os.path.join(APPS, "tls_info.js")


def make_cert(directory, name, key_args):
    cert = os.path.join(directory, f"{name}.pem")
    key = os.path.join(directory, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", *key_args, "-nodes", "-days", "2",
                    "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
                    "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def s_client_request(port, *args, path="/s"):
    """One request through `openssl s_client` (Connection: close, -ign_eof: it exits when the
    server closes, so a TLS 1.3 ticket, sent before the response, has been read and
    -sess_out can save it). Returns s_client's stdout."""
    req = f"GET {path} HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n".encode()
    out = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-ign_eof",
                          *args], input=req, capture_output=True, timeout=IO_TIMEOUT)
    return out.stdout.decode("latin-1")


def tls_stats(stderr):
    """(handshakes, resumed) summed over the workers' `tls stats` lines at exit."""
    found = re.findall(r"tls stats: handshakes=(\d+) resumed=(\d+)", stderr)
    return sum(int(h) for h, _ in found), sum(int(r) for _, r in found)


NODE_GET = r"""
const https = require("https"), fs = require("fs");
const [port, name, ca, minV, maxV] = process.argv.slice(1);
const req = https.get({host: "127.0.0.1", port: Number(port), path: "/node", servername: name,
    ca: fs.readFileSync(ca), minVersion: minV, maxVersion: maxV, agent: false,
    ALPNProtocols: ["http/1.1"]}, (res) => {
  const s = res.socket;
  const info = {status: res.statusCode, protocol: s.getProtocol(), alpn: s.alpnProtocol,
                subject: s.getPeerCertificate().subject.CN};
  let body = "";
  res.on("data", (c) => (body += c));
  res.on("end", () => console.log(JSON.stringify({...info, body: JSON.parse(body)})));
});
req.on("error", (e) => { console.error(String(e)); process.exit(1); });
"""


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


    def test_resumption_tls12_tickets_and_session_ids(self):
        sess = os.path.join(self.tmp, "s12")
        for extra in ([], ["-no_ticket"]):  # a ticket; wolfSSL's session-id cache
            first = s_client_request(self.tls_port, "-tls1_2", *extra, "-sess_out", sess)
            self.assertIn("New, TLSv1.2", first, extra)
            for _ in range(2):
                again = s_client_request(self.tls_port, "-tls1_2", *extra, "-sess_in", sess)
                self.assertIn("Reused, TLSv1.2", again, extra)
                self.assertIn('"tlsVersion":"TLSv1.2"', again, extra)

    def test_resumption_tls13_tickets(self):
        sess = os.path.join(self.tmp, "s13")
        first = s_client_request(self.tls_port, "-tls1_3", "-sess_out", sess)
        self.assertIn("New, TLSv1.3", first)
        self.assertIn("Post-Handshake New Session Ticket arrived", first)
        for _ in range(2):
            again = s_client_request(self.tls_port, "-tls1_3", "-sess_in", sess)
            self.assertIn("Reused, TLSv1.3", again)
            self.assertIn('"tlsVersion":"TLSv1.3"', again)

    def test_sessions_resume_only_under_their_sni_name(self):
        # RFC 6066 section 3: a session resumes under the name it was made for only: TLS 1.3
        # and 1.2 tickets, and 1.2 session ids (-no_ticket: torus's process-wide session cache).
        for args in (["-tls1_2"], ["-tls1_2", "-no_ticket"], ["-tls1_3"]):
            sess = os.path.join(self.tmp, "sni" + "".join(args))
            first = s_client_request(self.tls_port, *args, "-servername", "a.test",
                                     "-sess_out", sess)
            self.assertIn("New, TLSv1.", first, args)
            same = s_client_request(self.tls_port, *args, "-servername", "a.test",
                                    "-sess_in", sess)
            self.assertIn("Reused, TLSv1.", same, args)
            other = s_client_request(self.tls_port, *args, "-servername", "b.test",
                                     "-sess_in", sess)
            self.assertNotIn("Reused, TLSv1.", other, args)
            self.assertIn("New, TLSv1.", other, args)
            self.assertIn("CN = b.test", other, args)
            # No name is not a.test either, though a.test's certificate is the default.
            unnamed = s_client_request(self.tls_port, *args, "-noservername", "-sess_in", sess)
            self.assertNotIn("Reused, TLSv1.", unnamed, args)
            self.assertIn("CN = a.test", unnamed, args)

    def node_get(self, name, version):
        if not shutil.which("node"):
            self.skipTest("needs node")
        ca = self.a[0] if name == "a.test" else self.b[0]
        out = subprocess.run(["node", "-e", NODE_GET, str(self.tls_port), name, ca, version,
                              version], capture_output=True, text=True, timeout=IO_TIMEOUT)
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout)

    def test_node_https_client(self):
        # ca = the test certificate and Node's own host name check: success means the right
        # certificate for the SNI name.
        for name in ("a.test", "b.test"):
            for version in ("TLSv1.2", "TLSv1.3"):
                got = self.node_get(name, version)
                self.assertEqual(got["status"], 200)
                self.assertEqual(got["protocol"], version)
                self.assertEqual(got["alpn"], "http/1.1")
                self.assertEqual(got["subject"], name)
                self.assertEqual(got["body"]["cf"]["tlsVersion"], version)
                self.assertEqual(got["body"]["cf"]["tlsServerName"], name)

    def test_renegotiation_refused(self):
        # s_client's "R" command asks for a TLS 1.2 renegotiation; the server has none and
        # ends the connection (an unexpected_message alert).
        p = subprocess.Popen(["openssl", "s_client", "-connect", f"127.0.0.1:{self.tls_port}",
                              "-tls1_2", "-servername", "a.test"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            # stdin stays open: its EOF would end the connection from our side.
            p.stdin.write(b"R\n")
            p.stdin.flush()
            p.wait(IO_TIMEOUT)  # the server's alert and close end s_client
            text = p.stdout.read().decode("latin-1")
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdin.close()
            p.stdout.close()
        self.assertIn("RENEGOTIATING", text)
        self.assertIn("alert", text.split("RENEGOTIATING", 1)[1])
        self.assertEqual(self.curl("a.test", "--tlsv1.2", "--tls-max", "1.2")["cf"]["tlsVersion"],
                         "TLSv1.2")

    def test_oversized_record_closes(self):
        # A record longer than 2^14 + 2048 (0x4800) bytes of ciphertext: as the first record,
        # and as an application-data record after a real handshake.
        huge = 0x4801
        with socket.create_connection(("127.0.0.1", self.tls_port), timeout=IO_TIMEOUT) as s:
            s.sendall(b"\x16\x03\x01" + huge.to_bytes(2, "big") + b"\x00" * huge)
            closed, _ = closed_within(s, IO_TIMEOUT)
            self.assertTrue(closed, "a 0x4801-byte first record left the connection open")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", self.tls_port), timeout=IO_TIMEOUT) as s:
            incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
            tls = ctx.wrap_bio(incoming, outgoing, server_hostname="a.test")
            while True:
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    s.sendall(outgoing.read())
                    data = s.recv(65536)
                    self.assertTrue(data, "closed during the handshake")
                    incoming.write(data)
            s.sendall(outgoing.read())  # the client Finished
            s.sendall(b"\x17\x03\x03" + huge.to_bytes(2, "big") + b"\x00" * huge)
            closed, _ = closed_within(s, IO_TIMEOUT)
            self.assertTrue(closed, "a 0x4801-byte record after the handshake left it open")
        self.assertEqual(self.curl("a.test")["cf"]["tlsVersion"], "TLSv1.3")

class HttpsResumptionCountTest(unittest.TestCase):
    """The server's own count: each resumption the clients saw is one on the workers'
    `tls stats` line at exit (its own server, so the counts are exact)."""

    def test_resumptions_counted(self):
        require_binary()
        if not shutil.which("openssl"):
            self.skipTest("needs the openssl command")
        tmp = tempfile.mkdtemp(prefix="torus-resume-")
        self.addCleanup(shutil.rmtree, tmp, True)
        cert, key = make_cert(tmp, "a.test", ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
        port = free_port()
        server = Server(APP, "--https-listen", f"127.0.0.1:{port}", "--tls-cert", cert,
                        "--tls-key", key).start()
        handshakes = reused = 0
        try:
            for i, args in enumerate((["-tls1_2"], ["-tls1_2", "-no_ticket"], ["-tls1_3"])):
                sess = os.path.join(tmp, f"s{i}")
                out = s_client_request(port, *args, "-sess_out", sess)
                self.assertIn("New, TLSv1.", out, args)
                handshakes += 1
                for _ in range(2):
                    out = s_client_request(port, *args, "-sess_in", sess)
                    self.assertIn("Reused, TLSv1.", out, args)
                    handshakes += 1
                    reused += 1
        finally:
            code = server.stop()
        err = server.stderr.text()
        self.assertEqual(code, 0, err[-4000:])
        self.assertEqual(tls_stats(err), (handshakes, reused), err[-4000:])


class HttpsReloadTest(unittest.TestCase):
    """Reload: the certificate files are replaced and SIGHUP sent while clients keep
    requesting on keep-alive and fresh connections; no request fails, and new connections
    get the new certificate."""

    def test_reload_under_load(self):
        require_binary()
        if not shutil.which("openssl"):
            self.skipTest("needs the openssl command")
        tmp = tempfile.mkdtemp(prefix="torus-reload-")
        self.addCleanup(shutil.rmtree, tmp, True)
        old = make_cert(tmp, "old", ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
        new = make_cert(tmp, "new", ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
        cert, key = os.path.join(tmp, "live.pem"), os.path.join(tmp, "live.key")
        shutil.copy(old[0], cert)
        shutil.copy(old[1], key)
        der = {}
        for name, (c, _) in (("old", old), ("new", new)):
            with open(c) as f:
                der[ssl.PEM_cert_to_DER_cert(f.read())] = name
        port = free_port()
        server = Server(APP, "--https-listen", f"127.0.0.1:{port}", "--tls-cert", cert,
                        "--tls-key", key).start()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # both certificates are fine; which one is checked

        def served(conn):
            return der.get(conn.sock.getpeercert(binary_form=True), "?")

        stop = threading.Event()
        failures, seen = [], []  # seen: (fresh connection?, certificate name)
        ok = [0]

        def load():
            keep = [http.client.HTTPSConnection("127.0.0.1", port, timeout=IO_TIMEOUT,
                                                context=ctx) for _ in range(3)]
            try:
                i = 0
                while not stop.is_set():
                    i += 1
                    fresh = i % 2 == 0
                    conn = (http.client.HTTPSConnection("127.0.0.1", port, timeout=IO_TIMEOUT,
                                                        context=ctx) if fresh else keep[i % 3])
                    try:
                        conn.request("GET", f"/load/{i}",
                                     headers={"Connection": "close"} if fresh else {})
                        name = served(conn)  # before the response: Connection: close
                        r = conn.getresponse()
                        body = r.read()
                        if r.status != 200 or b'"tlsVersion"' not in body:
                            failures.append((i, r.status, body[:200]))
                        else:
                            ok[0] += 1
                            seen.append((fresh, name))
                    except Exception as e:  # noqa: BLE001 -- every failure is reported
                        failures.append((i, fresh, repr(e)))
                    finally:
                        if fresh:
                            conn.close()
            finally:
                for c in keep:
                    c.close()

        thread = threading.Thread(target=load, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + IO_TIMEOUT
            while ok[0] < 10 and not failures and time.monotonic() < deadline:
                time.sleep(0.05)
            tmp_cert, tmp_key = cert + ".tmp", key + ".tmp"
            shutil.copy(new[0], tmp_cert)
            shutil.copy(new[1], tmp_key)
            os.replace(tmp_key, key)
            os.replace(tmp_cert, cert)
            before = ok[0]
            server.send_signal(signal.SIGHUP)
            server.signaled = False  # SIGHUP is no stop request: stop() still sends SIGTERM
            self.assertTrue(server.stderr.wait_for(r"SIGHUP: reloaded", IO_TIMEOUT),
                            server.stderr.text()[-3000:])
            deadline = time.monotonic() + IO_TIMEOUT
            while (not any(f and n == "new" for f, n in seen) or ok[0] < before + 10) \
                    and not failures and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop.set()
            thread.join(IO_TIMEOUT)
            code = server.stop()
        err = server.stderr.text()
        self.assertEqual(failures, [], err[-3000:])
        self.assertEqual(code, 0, err[-4000:])
        self.assertIn((True, "old"), seen)
        self.assertIn((True, "new"), seen)
        # After the first new-certificate handshake, every fresh connection gets it; the
        # keep-alive connections opened before the reload keep the old one.
        first_new = next(i for i, (f, n) in enumerate(seen) if f and n == "new")
        self.assertEqual({n for f, n in seen[first_new:] if f}, {"new"}, seen)
        self.assertEqual({n for f, n in seen if not f}, {"old"})


if __name__ == "__main__":
    unittest.main()
