"""JS behaviour tests: each js/*.test.js runs under `torus run` and must exit 0 with
"PASS ..." as its last line; js/fixtures/ hold programs with known output or exit codes."""

import base64
import glob
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import HERE, require_binary, run_torus, sanitizer_report

JS = os.path.join(HERE, "js")
FIXTURES = os.path.join(JS, "fixtures")


def run(path):
    return run_torus("run", path, timeout=60)


class JsTestFiles(unittest.TestCase):
    """One test method per js/*.test.js, generated below."""

    def setUp(self):
        require_binary()

    def check_file(self, path):
        rc, out, err = run(path)
        self.assertIsNone(sanitizer_report(err), err)
        lines = out.rstrip("\n").split("\n")
        self.assertEqual(rc, 0, f"{os.path.basename(path)} exited {rc}\nstdout:\n{out}\nstderr:\n{err}")
        self.assertTrue(lines[-1].startswith("PASS"), f"no PASS line\nstdout:\n{out}\nstderr:\n{err}")
        self.assertEqual(err, "", "stderr should be empty")


def _add(path):
    name = "test_" + os.path.basename(path)[:-len(".test.js")].replace("-", "_")
    setattr(JsTestFiles, name, lambda self: self.check_file(path))


for _path in sorted(glob.glob(os.path.join(JS, "*.test.js"))):
    _add(_path)


class JsRunTest(unittest.TestCase):
    def setUp(self):
        require_binary()

    def fixture(self, name):
        rc, out, err = run(os.path.join(FIXTURES, name))
        self.assertIsNone(sanitizer_report(err), err)
        self.assertGreaterEqual(rc, 0, f"killed by signal {-rc}: {err}")
        return rc, out, err

    def test_error_log_is_rate_limited(self):
        rc, out, err = self.fixture("error_flood.js")
        self.assertEqual(rc, 1, err)
        logged = err.count("Error: flood")
        self.assertGreater(logged, 0)
        self.assertLessEqual(logged, 50)
        self.assertIn(f"{500 - logged} more errors were not logged", err)

    def test_unhandled_rejection_exits_1(self):
        rc, out, err = self.fixture("unhandled_rejection.js")
        self.assertEqual(rc, 1, err)
        self.assertIn("unhandled-rejection-marker", err)
        self.assertIn("unhandled_rejection.js:2", err, "the rejection's stack names file:line")
        self.assertIn("module finished", out)

    def test_unhandled_rejection_from_a_timer_exits_1(self):
        rc, out, err = self.fixture("unhandled_rejection_later.js")
        self.assertEqual(rc, 1, err)
        self.assertIn("TypeError: late-rejection-marker", err)

    def test_uncaught_error_in_timer_exits_1_after_the_loop(self):
        rc, out, err = self.fixture("uncaught_in_timer.js")
        self.assertEqual(rc, 1, err)
        self.assertIn("RangeError: timer-error-marker", err)
        self.assertIn("uncaught_in_timer.js:3", err)
        self.assertIn("later timer still ran", out)

    def test_top_level_error_exits_1(self):
        rc, out, err = self.fixture("top_level_error.js")
        self.assertEqual(rc, 1, err)
        self.assertIn("top-level-error-marker", err)
        self.assertIn("top_level_error.js:4", err)

    def test_error_after_top_level_await_exits_1_reported_once(self):
        rc, out, err = self.fixture("top_level_await_error.js")
        self.assertEqual(rc, 1, err)
        self.assertIn("top_level_await_error.js:4", err)
        self.assertEqual(err.count("tla-error-marker"), 1, f"reported more than once:\n{err}")

    def test_handled_rejections_exit_0(self):
        rc, out, err = self.fixture("handled_rejection.js")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, "caught awaited\nhandled ok\n")

    def test_run_waits_for_timers(self):
        rc, out, err = self.fixture("waits_for_timers.js")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, "start\ntick\nafter 200 ms\n")

    def test_run_script_shares_globals_and_continues_after_an_error(self):
        scripts = os.path.join(FIXTURES, "scripts")
        files = [os.path.join(scripts, n) for n in ("1_declare.js", "2_throw.js", "3_after.js")]
        rc, out, err = run_torus("run", "--script", *files, timeout=60)
        self.assertIsNone(sanitizer_report(err), err)
        self.assertEqual(rc, 1, "an uncaught error in a script exits 1")
        self.assertEqual(out, "var let const function function\nsloppy this is the global: true\n"
                              "third script ran\ntimer after the error ran\n")
        self.assertIn("2_throw.js:3", err)
        self.assertEqual(err.count("TypeError: script-error-marker"), 1, err)

    def test_run_script_needs_a_file(self):
        rc, out, err = run_torus("run", "--script", timeout=60)
        self.assertEqual(rc, 2, err)
        self.assertIn("needs at least one FILE", err)

    def test_console_formatting(self):
        rc, out, err = self.fixture("console_format.js")
        self.assertEqual(rc, 0, err)
        with open(os.path.join(FIXTURES, "console_format.expected")) as f:
            expected = f.read()
        got_lines, want_lines = out.split("\n"), expected.split("\n")
        for i, (got, want) in enumerate(zip(got_lines, want_lines), 1):
            with self.subTest(line=i):
                self.assertEqual(got, want)
        self.assertEqual(len(got_lines), len(want_lines), out)
        self.assertEqual(err, "error goes to stderr { e: 1 }\nwarn goes to stderr\n")


class CompressionInteropTest(unittest.TestCase):
    """CompressionStream("gzip") output read by real `gzip -d` and node's zlib, and node's
    gzip output read by DecompressionStream."""

    TEXT = "torus compression interop \u00e9\u20ac\n" * 20000

    def setUp(self):
        require_binary()

    def torus_gzip(self):
        rc, out, err = run(os.path.join(FIXTURES, "compression_gzip_out.js"))
        self.assertIsNone(sanitizer_report(err), err)
        self.assertEqual(rc, 0, err)
        return base64.b64decode(out.strip())

    def test_gzip_command_reads_torus_output(self):
        if not shutil.which("gzip"):
            self.skipTest("no gzip command")
        data = self.torus_gzip()
        p = subprocess.run(["gzip", "-dc"], input=data, capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.decode("utf-8"), self.TEXT)

    def test_node_zlib_reads_torus_output(self):
        if not shutil.which("node"):
            self.skipTest("no node")
        data = self.torus_gzip()
        p = subprocess.run(
            ["node", "-e", "const c=[];process.stdin.on('data',d=>c.push(d)).on('end',()=>"
             "process.stdout.write(require('zlib').gunzipSync(Buffer.concat(c))))"],
            input=data, capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.decode("utf-8"), self.TEXT)

    def test_decompression_stream_reads_node_output(self):
        if not shutil.which("node"):
            self.skipTest("no node")
        for fmt, fn in (("gzip", "gzipSync"), ("deflate", "deflateSync"),
                        ("deflate-raw", "deflateRawSync")):
            with self.subTest(format=fmt):
                p = subprocess.run(
                    ["node", "-e", f"process.stdout.write(require('zlib').{fn}("
                     "Buffer.from('node zlib \u00e9 '.repeat(5000))).toString('base64'))"],
                    capture_output=True, timeout=60)
                self.assertEqual(p.returncode, 0, p.stderr)
                script = (
                    f"const bytes = Uint8Array.from(atob('{p.stdout.decode()}'), c => c.charCodeAt(0));\n"
                    "const rs = new ReadableStream({ start(c) { c.enqueue(bytes); c.close(); } })\n"
                    f"  .pipeThrough(new DecompressionStream('{fmt}')).pipeThrough(new TextDecoderStream());\n"
                    "let s = '';\n"
                    "for (const r = rs.getReader(); ;) { const { value, done } = await r.read(); if (done) break; s += value; }\n"
                    "console.log(s === 'node zlib \u00e9 '.repeat(5000) ? 'same' : 'different ' + s.length);\n")
                with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as f:
                    f.write(script)
                try:
                    rc, out, err = run(f.name)
                finally:
                    os.unlink(f.name)
                self.assertIsNone(sanitizer_report(err), err)
                self.assertEqual((rc, out.strip()), (0, "same"), err)


if __name__ == "__main__":
    unittest.main()
