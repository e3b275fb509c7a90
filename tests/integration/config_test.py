"""The config file: `torus check` on a corpus of configs (configs/*.toml; each `# expect:`
line is a regex that one reported problem must match, in order, after its FILE: prefix; a
file without any must check clean), `torus serve --config` serving with the file's settings
and the app's env, flags over the file, and docs/configuration.md's reference being what
`torus config-reference` prints."""

import glob
import json
import os
import re
import unittest
import shutil
import tempfile
import urllib.error
import urllib.request

from harness import HERE, REPO, Server, free_port, require_binary, run_torus, sanitizer_report

CONFIGS = os.path.join(HERE, "configs")


class ConfigCheckTest(unittest.TestCase):
    def setUp(self):
        require_binary()

    def check_corpus_file(self, path):
        with open(path) as f:
            expected = [l[len("# expect: "):].rstrip("\n") for l in f if l.startswith("# expect: ")]
        rc, out, err = run_torus("check", path)
        self.assertIsNone(sanitizer_report(err), err)
        # Problems are one per line; a JS stack trace continues the line before it.
        problems = [l for l in err.splitlines() if l and not l.startswith("    at ")]
        if not expected:
            self.assertEqual(rc, 0, err)
            self.assertIn(": ok (", out)
            return
        self.assertEqual(rc, 1, f"{out}\n{err}")
        self.assertEqual(len(problems), len(expected), f"problems:\n{err}")
        for line, pattern in zip(problems, expected):
            prefix = path + ":"
            text = line[len(prefix):] if line.startswith(prefix) else line
            self.assertRegex(text, "^" + pattern + "$")


for _path in sorted(glob.glob(os.path.join(CONFIGS, "*.toml"))):
    _name = "test_" + os.path.basename(_path)[:-len(".toml")]
    setattr(ConfigCheckTest, _name, lambda self, p=_path: self.check_corpus_file(p))


class ConfigServeTest(unittest.TestCase):
    def setUp(self):
        require_binary()

    def test_serves_with_the_file_and_flags_on_top(self):
        port = free_port()
        path = os.path.join(self._tmp(), "serve.toml")
        with open(path, "w") as f:
            f.write(f'listen = ["127.0.0.1:{port}"]\nworkers = 1\n'
                    f'http.max_body_bytes = 10\n'
                    f'[app]\nentry = "{os.path.join(CONFIGS, "apps", "env.js")}"\n'
                    '[app.env]\nGREETING = "hi"\nTOKEN = "s3cret"\n')
        # Server adds ENTRY (the same app) and --listen PORT: a second listener.
        server = Server(os.path.join(CONFIGS, "apps", "env.js"), "--config", path,
                        "--max-body-bytes", "20")
        server.start()
        try:
            for p in (port, server.port):
                with urllib.request.urlopen(f"http://127.0.0.1:{p}/") as r:
                    body = json.loads(r.read())
                self.assertEqual(body["env"], {"GREETING": "hi", "TOKEN": "s3cret"})
            # --max-body-bytes 20 overrides the file's 10.
            req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=b"x" * 15, method="POST")
            with urllib.request.urlopen(req) as r:
                self.assertEqual(r.status, 200)
            req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=b"x" * 25, method="POST")
            with self.assertRaises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(req)
            self.assertEqual(e.exception.code, 413)
        finally:
            server.stop()

    def test_crypto_pool_settings(self):
        # Queue limit 0: every RSA key generation runs on the worker (no helper thread); the
        # promise settles the same way.
        for flags in (["--crypto-queue-limit", "0"], ["--crypto-threads", "2"]):
            server = Server(os.path.join(CONFIGS, "apps", "rsa_keygen.js"), *flags).start()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/", timeout=60) as r:
                    self.assertEqual(r.read(), b"162", flags)  # a 1024-bit key's SPKI
            finally:
                server.stop()

    def test_default_workers_follow_the_affinity_mask(self):
        if not shutil.which("taskset") or (os.cpu_count() or 1) < 2:
            self.skipTest("needs taskset and 2 CPUs")
        import subprocess
        from harness import TORUS_BIN, _Pipe
        for cpus, workers in (("0", 1), ("0,1", 2)):
            proc = subprocess.Popen(["taskset", "-c", cpus, TORUS_BIN, "serve",
                                     os.path.join(REPO, "examples", "hello"), "--listen",
                                     f"127.0.0.1:{free_port()}"], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            err = _Pipe(proc.stderr)
            try:
                self.assertTrue(err.wait_for(rf"with {workers} worker\(s\)", 60), err.text())
            finally:
                proc.terminate()
                proc.wait(60)
                proc.stderr.close()

    def test_a_bad_file_stops_serve_with_its_problems(self):
        rc, out, err = run_torus("serve", "--config", os.path.join(CONFIGS, "typos.toml"))
        self.assertEqual(rc, 1)
        self.assertIn("typos.toml:6:23: unknown key 'http.keepalive_timout_ms'", err)

    def test_flag_typo_suggests(self):
        rc, out, err = run_torus("serve", "app.js", "--max-bodybytes", "5")
        self.assertEqual(rc, 2)
        self.assertIn("unknown option '--max-bodybytes' (did you mean '--max-body-bytes'?)", err)

    def _tmp(self):
        d = tempfile.mkdtemp(prefix="torus-config-")
        self.addCleanup(shutil.rmtree, d, True)
        return d


class ConfigReferenceTest(unittest.TestCase):
    def test_docs_show_the_reference_the_parser_uses(self):
        require_binary()
        rc, out, err = run_torus("config-reference")
        self.assertEqual(rc, 0, err)
        with open(os.path.join(REPO, "docs", "configuration.md")) as f:
            docs = f.read()
        m = re.search(r"<!-- config-reference -->\n(.*?)<!-- /config-reference -->", docs, re.S)
        self.assertIsNotNone(m, "docs/configuration.md has no config-reference block")
        self.assertEqual(m.group(1), out,
                         "docs/configuration.md is stale: paste `torus config-reference` output")


if __name__ == "__main__":
    unittest.main()
