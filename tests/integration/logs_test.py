"""Log lines: --log-format json makes every line one JSON object (journald, log shippers), and
the access log (--access-log-sample N) writes one line per Nth response with its request id,
method, path, status, bytes and duration. Without --log-format the log is text on a
terminal and JSON anywhere else (a pipe, a file, journald)."""

import json
import os
import pty
import select
import socket
import subprocess
import time
import unittest
import urllib.request

from harness import HERE, REPO, TORUS_BIN, Server, free_port, require_binary

HELLO = os.path.join(REPO, "examples", "hello")


def get(port, path, data=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data)
    with urllib.request.urlopen(req, timeout=20) as r:
        return r.read()


def wait_lines(server, predicate, count, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [l for l in server.stderr.text().splitlines() if predicate(l)]
        if len(lines) >= count:
            return lines
        time.sleep(0.05)
    return [l for l in server.stderr.text().splitlines() if predicate(l)]


class JsonLogTest(unittest.TestCase):
    def test_json_lines_and_access_log(self):
        require_binary()
        server = Server(HELLO, "--log-format", "json", "--access-log-sample", "1").start()
        try:
            body = get(server.port, "/a%22b?x=%01")
            get(server.port, "/post", data=b"hello")
            access = wait_lines(server, lambda l: '"type":"access"' in l, 2)
        finally:
            server.stop()
        lines = server.stderr.text().splitlines()
        for line in lines:
            record = json.loads(line)  # every line is JSON
            self.assertRegex(record["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
            self.assertIn(record["level"], ("debug", "info", "warn", "error"))
        self.assertTrue(any("serving" in json.loads(l).get("msg", "") for l in lines))
        first, second = (json.loads(l) for l in access[:2])
        self.assertEqual(first["method"], "GET")
        self.assertEqual(first["path"], "/a%22b?x=%01")
        self.assertEqual(first["status"], 200)
        self.assertGreater(first["bytes"], len(body))
        self.assertGreaterEqual(first["duration_us"], 0)
        self.assertEqual(first["worker"], 0)
        self.assertEqual(second["method"], "POST")
        self.assertNotEqual(first["id"], second["id"])


    def test_console_lines_are_tagged_with_app_and_request(self):
        require_binary()
        server = Server(os.path.join(HERE, "apps", "console_tagged.js"), "--log-format", "json",
                        "--access-log-sample", "1").start()
        try:
            get(server.port, "/one")
            access = wait_lines(server, lambda l: '"type":"access"' in l, 1)
            errors = wait_lines(server, lambda l: "after await" in l, 1)
        finally:
            server.stop()
        out = [json.loads(l) for l in server.stdout.text().splitlines()]
        loaded = next(r for r in out if r["msg"] == "loaded")
        self.assertEqual((loaded["type"], loaded["app"], loaded["worker"]), ("console", "app", 0))
        self.assertNotIn("request", loaded)  # module top level: no request
        handling = next(r for r in out if r["msg"] == "handling /one")
        self.assertEqual(handling["level"], "info")
        # The request id is the access log's, and carries through an await.
        request_id = json.loads(access[0])["id"]
        self.assertEqual(handling["request"], request_id)
        error = json.loads(errors[0])
        self.assertEqual((error["level"], error["request"], error["msg"]),
                         ("warn", request_id, "after await\nsecond line"))


class AccessLogTest(unittest.TestCase):
    def test_sampling_and_text_format(self):
        require_binary()
        server = Server(HELLO, "--access-log-sample", "3").start()
        try:
            for i in range(9):
                get(server.port, f"/r{i}")
            access = wait_lines(server, lambda l: l.startswith("torus access: "), 3)
            time.sleep(0.2)
        finally:
            server.stop()
        access = [l for l in server.stderr.text().splitlines() if l.startswith("torus access: ")]
        self.assertEqual(len(access), 3, access)
        self.assertRegex(access[0], r"^torus access: 0-3 GET /r2 200 \d+B \d+us app=app$")

    def test_server_answers_and_cut_off_responses_are_logged(self):
        require_binary()
        server = Server(os.path.join(HERE, "apps", "streaming"), "--access-log-sample", "1").start()
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
                s.sendall(b"GET /x HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n")
                self.assertTrue(s.recv(1000).startswith(b"HTTP/1.1 400 "))
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
                s.sendall(b"GET /sse HTTP/1.1\r\nHost: a\r\n\r\n")
                self.assertTrue(s.recv(1000).startswith(b"HTTP/1.1 200 "))
            access = wait_lines(server, lambda l: l.startswith("torus access: "), 2)
        finally:
            server.stop()
        # The head never parsed: no method or target to show.
        self.assertRegex(access[0], r"^torus access: 0-1 - - 400 \d+B \d+us$")
        self.assertRegex(access[1], r"^torus access: 0-2 GET /sse 200 \d+B \d+us app=app aborted$")

    def test_off_by_default(self):
        require_binary()
        server = Server(HELLO).start()
        try:
            get(server.port, "/")
        finally:
            server.stop()
        self.assertNotIn("torus access:", server.stderr.text())


def readable(fd):
    return os.read(fd, 4096) if select.select([fd], [], [], 0.5)[0] else b""


class AutoFormatTest(unittest.TestCase):
    def first_line(self, stderr, read):
        """The server's first log line, its stderr being STDERR; READ reads what it wrote."""
        proc = subprocess.Popen([TORUS_BIN, "serve", HELLO, "--listen", f"127.0.0.1:{free_port()}",
                                 "--workers", "1"], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            text = b""
            deadline = time.monotonic() + 60
            while b"serving" not in text and time.monotonic() < deadline and proc.poll() is None:
                text += read()
        finally:
            proc.terminate()
            proc.wait(30)
        return text.decode().splitlines()[0]

    def test_json_on_a_pipe(self):
        require_binary()
        r, w = os.pipe()
        try:
            line = self.first_line(w, lambda: readable(r))
        finally:
            os.close(r)
            os.close(w)
        self.assertEqual(json.loads(line)["level"], "info", line)

    def test_text_on_a_terminal(self):
        require_binary()
        master, slave = pty.openpty()
        try:
            line = self.first_line(slave, lambda: readable(master))
        finally:
            os.close(master)
            os.close(slave)
        self.assertRegex(line, r"^torus info: ")


if __name__ == "__main__":
    unittest.main()
