"""WebCrypto interop with node: keys, signatures, ciphertexts and derived bits made by one
runtime are imported, verified, decrypted and re-derived by the other, in both directions, for
every algorithm and key format (js/crypto_interop.mjs does the work in each)."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import HERE, require_binary, run_torus, sanitizer_report

MODULE = os.path.join(HERE, "js", "crypto_interop.mjs")


class CryptoInteropTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        if not shutil.which("node"):
            raise unittest.SkipTest("needs node")
        cls.tmp = tempfile.mkdtemp(prefix="torus-crypto-interop-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def entry(self, name, body):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(f"import {{ produce, check }} from {json.dumps(MODULE)};\n{body}\n")
        return path

    def torus(self, body):
        rc, out, err = run_torus("run", self.entry("torus.mjs", body), timeout=120)
        self.assertIsNone(sanitizer_report(err), err)
        self.assertEqual(rc, 0, f"torus exited {rc}\n{out}\n{err}")
        return json.loads(out.strip().splitlines()[-1])

    def node(self, body):
        p = subprocess.run(["node", self.entry("node.mjs", body)], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(p.returncode, 0, f"node exited {p.returncode}\n{p.stdout}\n{p.stderr}")
        return json.loads(p.stdout.strip().splitlines()[-1])

    def test_node_made_torus_checks(self):
        data = self.node("console.log(JSON.stringify(await produce()));")
        failures = self.torus(f"console.log(JSON.stringify(await check({json.dumps(data)})));")
        self.assertEqual(failures, [])

    def test_torus_made_node_checks(self):
        data = self.torus("console.log(JSON.stringify(await produce()));")
        failures = self.node(f"console.log(JSON.stringify(await check({json.dumps(data)})));")
        self.assertEqual(failures, [])


if __name__ == "__main__":
    unittest.main()
