"""Process lifecycle: graceful stop on SIGTERM/SIGINT (in-flight requests finish, stats line,
exit 0), the shutdown deadline, several workers, and startup errors (missing entry, port in
use, bad flags, broken modules)."""

import os
import re
import signal
import socket
import tempfile
import time
import unittest

from harness import (APPS, Reader, Server, closed_within, request, require_binary, run_torus,
                     sanitizer_report)

STATS = re.compile(r"torus info: worker (\d+) stats: requests=(\d+) drains=(\d+) checkpoints=(\d+) "
                   r"checkpoints_per_request=([0-9.]+) async=(\d+) failed=(\d+) "
                   r"protocol_errors=(\d+)")
ECHO = os.path.join(APPS, "echo")


def stats_lines(text):
    return {int(m.group(1)): dict(zip(("requests", "drains", "checkpoints", "per_request", "async",
                                       "failed", "protocol_errors"),
                                      (float(x) if "." in x else int(x) for x in m.groups()[1:])))
            for m in STATS.finditer(text)}


class BinaryTestCase(unittest.TestCase):
    def setUp(self):
        require_binary()
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            if s.alive():
                s.proc.kill()
                s.proc.wait()

    def start(self, *flags, entry=ECHO, workers=1):
        server = Server(entry, *flags, workers=workers).start()
        self.servers.append(server)
        return server

    def assertCleanExit(self, server, code, expect=0):
        err = server.stderr.text()
        self.assertEqual(code, expect, f"exit code {code}; stderr:\n{err[-6000:]}")
        self.assertIsNone(sanitizer_report(err), err[-6000:])


class GracefulStopTest(BinaryTestCase):
    def test_sigterm_finishes_in_flight_request(self):
        server = self.start()
        with server.connect() as s:
            s.sendall(request("GET", "/slow?ms=500&tag=stop"))
            self.assertTrue(server.stdout.wait_for(r"slow start stop", 20))
            server.send_signal(signal.SIGTERM)
            reader = Reader(s)
            r = reader.response()
            self.assertEqual((r.status, r.body), (200, b"slept 500\n"))
            self.assertEqual(r.header("connection"), "close")
            closed, extra = closed_within(s, 10)
            self.assertTrue(closed)
        code = server.stop()
        self.assertCleanExit(server, code)
        err = server.stderr.text()
        self.assertRegex(err, r"torus info: .*stopping")
        stats = stats_lines(err)
        self.assertEqual(list(stats), [0], err)
        self.assertEqual(stats[0]["requests"], 1)
        self.assertGreaterEqual(stats[0]["async"], 1)
        self.assertEqual(stats[0]["failed"], 0)
        self.assertEqual(stats[0]["protocol_errors"], 0)
        self.assertGreater(stats[0]["checkpoints"], 0)

    def test_sigint_on_idle_server(self):
        server = self.start()
        self.assertEqual(server.get("/hello").status, 200)
        start = time.monotonic()
        code = server.stop(signal.SIGINT)
        self.assertCleanExit(server, code)
        self.assertLess(time.monotonic() - start, 10)
        stats = stats_lines(server.stderr.text())
        self.assertEqual(stats[0]["requests"], 1)
        self.assertAlmostEqual(stats[0]["per_request"],
                               stats[0]["checkpoints"] / stats[0]["requests"], places=2)

    def test_idle_connections_closed_promptly(self):
        server = self.start("--shutdown-timeout", "30000")
        idle_after_request = server.connect()
        idle_after_request.sendall(request("GET", "/hello"))
        self.assertEqual(Reader(idle_after_request).response().status, 200)
        never_sent = server.connect()
        self.assertEqual(server.get("/hello").status, 200)  # the silent one is accepted by now
        start = time.monotonic()
        server.send_signal(signal.SIGTERM)
        for s in (idle_after_request, never_sent):
            self.assertTrue(closed_within(s, 10)[0], "an idle connection stayed open on SIGTERM")
            s.close()
        code = server.stop()
        self.assertCleanExit(server, code)
        self.assertLess(time.monotonic() - start, 10, "idle connections delayed the stop")

    def test_pipelined_requests_in_flight_are_all_answered(self):
        # Both requests were received and dispatched before the signal: both are in flight,
        # so both are answered, in order, before the connection closes.
        server = self.start()
        with server.connect() as s:
            s.sendall(request("GET", "/slow?ms=400&tag=pipe") + request("GET", "/id?id=2"))
            self.assertTrue(server.stdout.wait_for(r"slow start pipe", 20))
            server.send_signal(signal.SIGTERM)
            reader = Reader(s)
            r1 = reader.response()
            self.assertEqual((r1.status, r1.body), (200, b"slept 400\n"))
            try:
                r2 = reader.response()
            except ConnectionError:
                r2 = None
            self.assertIsNotNone(r2, "the second pipelined request was dispatched (its handler ran) "
                                     "but its response was dropped at shutdown")
            self.assertEqual(r2.body, b"id=2\n")
        self.assertCleanExit(server, server.stop())

    def test_shutdown_deadline_closes_what_is_left(self):
        server = self.start("--shutdown-timeout", "500")
        with server.connect() as s:
            s.sendall(request("GET", "/hang"))
            self.assertTrue(server.stdout.wait_for(r"hang start", 20))
            start = time.monotonic()
            server.send_signal(signal.SIGTERM)
            closed, got = closed_within(s, 15)
            self.assertTrue(closed)
            self.assertEqual(got, b"", "a hung request got a response")
            self.assertGreater(time.monotonic() - start, 0.4)
        code = server.stop()
        self.assertCleanExit(server, code)
        self.assertLess(time.monotonic() - start, 15)
        err = server.stderr.text()
        self.assertRegex(err, r"deadline")
        self.assertIn(0, stats_lines(err))

    def test_wait_until_finishes_before_exit(self):
        server = self.start()
        with server.connect() as s:
            s.sendall(request("GET", "/wait-until?ms=400"))
            r = Reader(s).response()
            self.assertEqual(r.body, b"responded before waitUntil\n")
            server.send_signal(signal.SIGTERM)
        code = server.stop()
        self.assertCleanExit(server, code)
        self.assertIn("waitUntil done", server.stdout.text())

    def test_second_signal_quits_now(self):
        server = self.start("--shutdown-timeout", "60000")
        with server.connect() as s:
            s.sendall(request("GET", "/hang"))
            self.assertTrue(server.stdout.wait_for(r"hang start", 20))
            server.send_signal(signal.SIGTERM)
            self.assertTrue(server.stderr.wait_for(r"stopping", 20))
            start = time.monotonic()
            server.send_signal(signal.SIGTERM)
            code = server.stop(timeout=15)
        self.assertIsNotNone(code, "a second SIGTERM did not end the process")
        self.assertNotEqual(code, 0)
        self.assertLess(time.monotonic() - start, 15)


class WorkersTest(BinaryTestCase):
    def test_two_workers_serve(self):
        server = self.start(workers=2)
        self.assertRegex(server.stderr.text(), r"with 2 worker")
        n = 60
        for i in range(n):
            r = server.get(f"/id?id={i}")
            self.assertEqual(r.body, b"id=%d\n" % i)
        code = server.stop()
        self.assertCleanExit(server, code)
        stats = stats_lines(server.stderr.text())
        self.assertEqual(sorted(stats), [0, 1], server.stderr.text())
        self.assertEqual(sum(s["requests"] for s in stats.values()), n)
        # SO_REUSEPORT spreads connections by hash; with 60 connections both get some.
        self.assertTrue(all(s["requests"] > 0 for s in stats.values()), stats)

    def test_module_graph(self):
        server = self.start(entry=os.path.join(APPS, "with_import"))
        self.assertEqual(server.get("/").body, b"hello, import\n")
        self.assertCleanExit(server, server.stop())


class CodeCacheTest(BinaryTestCase):
    def test_the_first_isolate_uses_the_build_code_cache(self):
        # The process's first isolate compiles its built-ins from the code cache baked in at
        # build time (js/tools/code_cache_gen.cc), not from source.
        server = self.start("--log-level", "debug")
        m = re.search(r"isolate ready in [\d.]+ ms, (\d+) of (\d+) built-ins run from the code "
                      r"cache", server.stderr.text())
        self.assertIsNotNone(m, server.stderr.text())
        self.assertGreater(int(m.group(2)), 0)
        self.assertEqual(m.group(1), m.group(2))
        self.assertEqual(server.get("/hello").status, 200)
        self.assertCleanExit(server, server.stop())


class StartupErrorTest(BinaryTestCase):
    def fails(self, *args, expect_in=(), code=None):
        rc, out, err = run_torus(*args)
        self.assertNotEqual(rc, 0, f"torus {' '.join(args)} succeeded:\n{out}\n{err}")
        if code is not None:
            self.assertEqual(rc, code, err)
        self.assertGreater(rc, 0, f"killed by signal {-rc}:\n{err}")
        self.assertNotIn("serving", err)
        self.assertIsNone(sanitizer_report(err), err)
        for text in expect_in:
            self.assertIn(text, err, f"torus {' '.join(args)}: stderr lacks {text!r}:\n{err}")
        return err

    def serve(self, entry, *flags, expect_in=()):
        return self.fails("serve", entry, "--workers", "1", "--listen", "127.0.0.1:0", *flags,
                          expect_in=expect_in)

    def test_missing_entry_file(self):
        missing = os.path.join(APPS, "no_such_app.js")
        self.serve(missing, expect_in=(missing,))

    def test_directory_without_app_js(self):
        with tempfile.TemporaryDirectory() as d:
            self.serve(d, expect_in=("app.js",))

    def test_port_in_use(self):
        with socket.socket() as occupant:
            occupant.bind(("127.0.0.1", 0))
            occupant.listen(1)
            port = occupant.getsockname()[1]
            err = self.fails("serve", ECHO, "--workers", "1", "--listen", f"127.0.0.1:{port}",
                             expect_in=(str(port),))
            self.assertRegex(err, r"(?i)in use")

    def test_port_in_use_by_another_torus(self):
        # SO_REUSEPORT must not let a second server silently share the first one's port.
        first = self.start()
        err = self.fails("serve", ECHO, "--workers", "1", "--listen", f"127.0.0.1:{first.port}",
                         expect_in=(str(first.port),))
        self.assertRegex(err, r"(?i)in use")
        self.assertCleanExit(first, first.stop())

    def test_bad_flags(self):
        cases = [
            (["--bogus"], "--bogus"),
            (["--workers", "abc"], "--workers"),
            (["--workers", "0"], "--workers"),
            (["--workers", "-1"], "--workers"),
            (["--max-body-bytes"], "--max-body-bytes"),
            (["--header-timeout", "1.5"], "--header-timeout"),
            (["--log-level", "loud"], "loud"),
            (["--listen", "no-port-here"], "no-port-here"),
            (["--listen", "127.0.0.1:99999"], "99999"),
        ]
        for flags, mention in cases:
            with self.subTest(flags=flags):
                self.fails("serve", ECHO, *flags, expect_in=(mention,))

    def test_bad_commands(self):
        self.fails("frobnicate", expect_in=("frobnicate",))
        self.fails("serve")
        self.fails("run")
        self.fails("run", os.path.join(APPS, "no_such_file.js"), expect_in=("no_such_file.js",))

    def test_syntax_error_shows_file_and_line(self):
        err = self.serve(os.path.join(APPS, "syntax_error.js"),
                         expect_in=("SyntaxError", "syntax_error.js:4"))
        self.assertIn('return new Response("unbalanced";', err)

    def test_failed_import(self):
        self.serve(os.path.join(APPS, "bad_import.js"),
                   expect_in=("does_not_exist.js", "bad_import.js"))

    def test_no_default_export(self):
        self.serve(os.path.join(APPS, "no_default.js"), expect_in=("default export",))

    def test_no_fetch_method(self):
        self.serve(os.path.join(APPS, "no_fetch.js"), expect_in=("fetch",))

    def test_top_level_throw(self):
        self.serve(os.path.join(APPS, "top_level_throw.js"),
                   expect_in=("top-level-failure-marker", "top_level_throw.js:3"))


class CliTest(BinaryTestCase):
    def test_version(self):
        rc, out, err = run_torus("--version")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"^torus \d+\.\d+\.\d+")

    def test_help(self):
        rc, out, err = run_torus("--help")
        self.assertEqual(rc, 0, err)
        for text in ("serve", "run", "eval", "--listen", "--workers", "--shutdown-timeout",
                     "--max-body-bytes", "--header-timeout", "--max-pipelined", "--log-level"):
            self.assertIn(text, out)

    def test_eval(self):
        rc, out, err = run_torus("eval", "1 + 2")
        self.assertEqual((rc, out), (0, "3\n"), err)
        rc, out, err = run_torus("eval", "'str' + 'ing'")
        self.assertEqual(rc, 0, err)
        self.assertIn("string", out)
        rc, out, err = run_torus("eval", "({a: [1, 2]})")
        self.assertEqual((rc, out), (0, "{ a: [ 1, 2 ] }\n"), err)

    def test_eval_error(self):
        rc, out, err = run_torus("eval", "throw new RangeError('eval-failure-marker')")
        self.assertEqual(rc, 1)
        self.assertIn("eval-failure-marker", err)
        rc, out, err = run_torus("eval", "1 +")
        self.assertEqual(rc, 1)
        self.assertIn("SyntaxError", err)


if __name__ == "__main__":
    unittest.main()
