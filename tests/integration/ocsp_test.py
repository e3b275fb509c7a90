"""OCSP stapling: a CA made at test time with the openssl CLI issues two leaves (a.test ECDSA,
b.test RSA) and signs OCSP responses for them with `openssl ocsp`; torus staples each
certificate's response (--tls-ocsp), and `openssl s_client -status` checks what arrives over
TLS 1.2 and 1.3: the right response for the certificate SNI picked, none for a certificate
without one or a client that does not ask. `torus check` refuses responses that are revoked,
about another certificate, or whose issuer the chain file lacks; a reload (SIGHUP) staples
the refreshed response."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from harness import APPS, IO_TIMEOUT, ServerTestCase, free_port, require_binary, run_torus
from https_test import s_client_request

APP = os.path.join(APPS, "tls_info.js")


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=cwd)


class Pki:
    """A CA, leaves it issues (chain files: leaf then CA) and their OCSP responses."""

    def __init__(self, directory):
        self.dir = directory
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-days", "2", "-subj", "/CN=torus test CA", "-keyout", "ca.key", "-out", "ca.pem",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
                cwd=directory)
        self.index = os.path.join(directory, "index.txt")
        open(self.index, "w").close()
        self.serials = {}  # leaf name -> its serial number

    def path(self, name):
        return os.path.join(self.dir, name)

    def leaf(self, name, key_args):
        serial = self.serials[name] = 0x1001 + len(self.serials)
        openssl("req", "-newkey", *key_args, "-nodes", "-subj", f"/CN={name}",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=self.dir)
        with open(self.path(f"{name}.ext"), "w") as f:
            f.write(f"subjectAltName=DNS:{name}\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-set_serial", str(serial), "-days", "2", "-extfile", f"{name}.ext",
                "-out", f"{name}.leaf.pem", cwd=self.dir)
        with open(self.path(f"{name}.pem"), "w") as chain:
            for part in (f"{name}.leaf.pem", "ca.pem"):
                with open(self.path(part)) as f:
                    chain.write(f.read())
        return self.path(f"{name}.pem"), self.path(f"{name}.key")

    def record(self, name, status):
        """The CA's index line for a leaf: V (valid) or R (revoked)."""
        out = subprocess.run(["openssl", "x509", "-in", self.path(f"{name}.leaf.pem"), "-noout",
                              "-serial", "-subject", "-nameopt", "compat"],
                             check=True, capture_output=True, text=True).stdout.splitlines()
        serial = out[0].split("=", 1)[1]
        subject = out[1].split("=", 1)[1].strip()
        revoked = "261201000000Z" if status == "R" else ""
        with open(self.index, "a") as f:
            f.write(f"{status}\t301231000000Z\t{revoked}\t{serial}\tunknown\t{subject}\n")

    def response(self, name, out):
        """The CA's signed OCSP response about name's leaf, valid for a day."""
        openssl("ocsp", "-issuer", "ca.pem", "-cert", f"{name}.leaf.pem", "-reqout",
                f"{out}.req", "-no_nonce", cwd=self.dir)
        openssl("ocsp", "-index", "index.txt", "-rsigner", "ca.pem", "-rkey", "ca.key",
                "-CA", "ca.pem", "-reqin", f"{out}.req", "-respout", out, "-ndays", "1",
                cwd=self.dir)
        return self.path(out)


class OcspStaplingTest(ServerTestCase):
    ENTRY = APP

    @classmethod
    def setUpClass(cls):
        require_binary()
        if not shutil.which("openssl"):
            raise unittest.SkipTest("needs the openssl command")
        cls.tmp = tempfile.mkdtemp(prefix="torus-ocsp-")
        pki = cls.pki = Pki(cls.tmp)
        cls.a = pki.leaf("a.test", ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
        cls.b = pki.leaf("b.test", ["rsa:2048"])
        cls.c = pki.leaf("c.test", ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
        pki.record("a.test", "V")
        pki.record("b.test", "V")
        pki.record("c.test", "R")
        cls.a_ocsp = pki.response("a.test", "a.ocsp")
        cls.b_ocsp = pki.response("b.test", "b.ocsp")
        cls.c_ocsp = pki.response("c.test", "c.ocsp")
        cls.tls_port = free_port()
        cls.FLAGS = ("--https-listen", f"127.0.0.1:{cls.tls_port}",
                     "--tls-cert", cls.a[0], "--tls-key", cls.a[1], "--tls-ocsp", cls.a_ocsp,
                     "--tls-cert", cls.b[0], "--tls-key", cls.b[1], "--tls-ocsp", cls.b_ocsp,
                     "--tls-cert", cls.c[0], "--tls-key", cls.c[1])
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def status(self, name, version):
        return s_client_request(self.tls_port, version, "-servername", name, "-status",
                                "-CAfile", self.pki.path("ca.pem"))

    def test_each_certificate_gets_its_own_staple(self):
        for version in ("-tls1_2", "-tls1_3"):
            for name in ("a.test", "b.test"):
                out = self.status(name, version)
                self.assertIn(f"CN = {name}", out, (name, version))
                self.assertIn("Verify return code: 0 (ok)", out, (name, version))
                self.assertIn("OCSP Response Status: successful", out, (name, version))
                self.assertIn("Cert Status: good", out, (name, version))
                # The response is about the certificate sent, not the default one.
                self.assertRegex(out, rf"Serial Number: 0*{self.pki.serials[name]:X}\b",
                                 (name, version))
                self.assertIn("HTTP/1.1 200 OK", out, (name, version))

    def test_no_staple_without_a_response_or_a_request(self):
        for version in ("-tls1_2", "-tls1_3"):
            out = self.status("c.test", version)
            self.assertIn("CN = c.test", out, version)
            self.assertIn("OCSP response: no response sent", out, version)
            self.assertIn("HTTP/1.1 200 OK", out, version)
            plain = s_client_request(self.tls_port, version, "-servername", "a.test")
            self.assertNotIn("OCSP Response Status", plain, version)
            self.assertIn("HTTP/1.1 200 OK", plain, version)

    def check(self, cert, ocsp):
        """`torus check` of a config file with one certificate and its OCSP response (the
        [[tls.certificate]] table's ocsp key)."""
        config = self.pki.path("check.toml")
        with open(config, "w") as f:
            f.write(f'https_listen = ["127.0.0.1:0"]\napp.entry = "{APP}"\n'
                    f'[[tls.certificate]]\ncert = "{cert[0]}"\nkey = "{cert[1]}"\n'
                    f'ocsp = "{ocsp}"\n')
        return run_torus("check", config)

    def test_check_refuses_a_bad_response(self):
        rc, out, err = self.check(self.a, self.a_ocsp)
        self.assertEqual(rc, 0, out + err)
        rc, out, err = self.check(self.c, self.c_ocsp)
        self.assertNotEqual(rc, 0)
        self.assertIn("the certificate is revoked", out + err)
        rc, out, err = self.check(self.a, self.b_ocsp)  # about another certificate
        self.assertNotEqual(rc, 0)
        self.assertIn("OCSP response", out + err)
        self.assertIn(self.b_ocsp, out + err)
        leaf_only = (self.pki.path("a.test.leaf.pem"), self.a[1])
        rc, out, err = self.check(leaf_only, self.a_ocsp)
        self.assertNotEqual(rc, 0)
        self.assertIn("needs the leaf's issuer", out + err)
        garbage = self.pki.path("garbage.ocsp")
        with open(garbage, "wb") as f:
            f.write(b"not an OCSP response")
        rc, out, err = self.check(self.a, garbage)
        self.assertNotEqual(rc, 0)
        self.assertIn("garbage.ocsp", out + err)
        rc, out, err = self.check(self.a, self.pki.path("missing.ocsp"))
        self.assertNotEqual(rc, 0)
        self.assertIn("missing.ocsp", out + err)
        # The server kept serving, stapling as before.
        self.assertIn("Cert Status: good", self.status("a.test", "-tls1_3"))

    def test_reload_staples_the_refreshed_response(self):
        # (Runs last: it replaces a.test's response file of the class's server.)
        def produced_at():
            out = self.status("a.test", "-tls1_3")
            self.assertIn("Cert Status: good", out)
            return re.search(r"Produced At: (.*)", out).group(1)
        before = produced_at()
        time.sleep(1.1)  # Produced At has whole seconds
        fresh = self.pki.response("a.test", "a.fresh.ocsp")
        os.replace(fresh, self.a_ocsp)
        self.server.proc.send_signal(signal.SIGHUP)
        self.assertTrue(self.server.stderr.wait_for(r"SIGHUP: reloaded", IO_TIMEOUT),
                        self.server.stderr.text()[-3000:])
        self.assertNotEqual(produced_at(), before)


if __name__ == "__main__":
    unittest.main()
