"""Shared helpers for the integration tests: start the real torus binary on loopback and speak
raw HTTP/1.1 to it over sockets.

The binary comes from $TORUS_BIN (CTest sets it); by default build/dev/server/torus.
Everything here polls with deadlines instead of sleeping, and every deadline is generous: the
dev build runs under ASan on a small, noisy machine.
"""

import os
import re
import signal
import socket
import subprocess
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
APPS = os.path.join(HERE, "apps")
TORUS_BIN = os.environ.get("TORUS_BIN") or os.path.join(REPO, "build", "dev", "server", "torus")

# Socket reads; long enough for an ASan build on a loaded 2-core machine.
IO_TIMEOUT = 20.0
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0

# What ASan/UBSan/LSan print when they find something. A report is a test failure, always.
SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer",
                     "ThreadSanitizer")


def require_binary():
    """Skips when run by hand without a build; fails when TORUS_BIN (CTest) names no binary."""
    if os.access(TORUS_BIN, os.X_OK):
        return
    if "TORUS_BIN" in os.environ:
        raise AssertionError(f"TORUS_BIN={TORUS_BIN} is not an executable: build the torus target")
    raise unittest.SkipTest(f"no torus binary at {TORUS_BIN} (build it or set TORUS_BIN)")


def free_port():
    """A port that was free a moment ago (bind to 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    """A process's resident set (VmRSS), KiB."""
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


class _Pipe:
    """Collects a child's output stream line by line on a thread; waiters poll for patterns."""

    def __init__(self, stream):
        self.lines = []
        self.cond = threading.Condition()
        self.closed = False
        self.thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self.thread.start()

    def _run(self, stream):
        for raw in iter(stream.readline, b""):
            with self.cond:
                self.lines.append(raw.decode("utf-8", "replace"))
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def text(self):
        with self.cond:
            return "".join(self.lines)

    def wait_for(self, pattern, timeout, alive=lambda: True):
        """The first line matching `pattern` (a regex), or None at the deadline/EOF."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self.cond:
            while True:
                for line in self.lines[seen:]:
                    if rx.search(line):
                        return line
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    return None
                self.cond.wait(min(left, 0.2))


class Server:
    """`torus serve ENTRY --listen 127.0.0.1:PORT ...`, started and waited for."""

    def __init__(self, entry, *flags, workers=1, env=None):
        self.entry = entry
        self.flags = list(flags)
        self.workers = workers
        self.env = {**os.environ, **env} if env else None  # added to the test's environment
        self.proc = None
        self.port = None
        self.stdout = None
        self.stderr = None

    def start(self):
        last = ""
        for _ in range(8):
            self.port = free_port()
            while any(f":{self.port}" in f for f in self.flags):  # a port a flag already has
                self.port = free_port()
            entry = [self.entry] if self.entry else []  # None: the apps come from --config
            # The text log (the tests read its lines) unless a test picks a format: a pipe
            # would otherwise get JSON (auto).
            fmt = [] if "--log-format" in self.flags else ["--log-format", "text"]
            args = [TORUS_BIN, "serve", *entry, "--listen", f"127.0.0.1:{self.port}",
                    "--workers", str(self.workers), *fmt, *self.flags]
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, env=self.env)
            self.stdout = _Pipe(self.proc.stdout)
            self.stderr = _Pipe(self.proc.stderr)
            if self.stderr.wait_for(r"torus info: serving |\"msg\":\"serving ", START_TIMEOUT):
                return self
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.stderr.thread.join(5)
            self.proc.stdout.close()
            self.proc.stderr.close()
            last = self.stderr.text()
            if "in use" not in last:  # anything but a port race is a real failure
                break
        raise RuntimeError(f"torus did not start ({' '.join(args)}):\n{last}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig):
        self.signaled = True
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Signals the server and waits for it; returns the exit code (None if it hung)."""
        if self.proc is None:
            return None
        # After a test's own signal, a second one would mean "quit now" (exit 1): just wait.
        if self.proc.poll() is None and not getattr(self, "signaled", False):
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = None
        self.stdout.thread.join(10)
        self.stderr.thread.join(10)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code

    def connect(self, timeout=IO_TIMEOUT):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def get(self, path, headers=None):
        """One GET on a fresh connection (Connection: close)."""
        with self.connect() as s:
            s.sendall(request("GET", path, headers=headers, close=True))
            return Reader(s).response()


def request(method, path, body=None, headers=None, host="localhost", version="HTTP/1.1",
            close=False):
    """A request as bytes. `body` (bytes) gets a Content-Length unless headers set framing."""
    lines = [f"{method} {path} {version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    hdrs = list((headers or {}).items()) if isinstance(headers, dict) else list(headers or [])
    names = {k.lower() for k, _ in hdrs}
    if body is not None and "content-length" not in names and "transfer-encoding" not in names:
        hdrs.append(("Content-Length", str(len(body))))
    if close:
        hdrs.append(("Connection", "close"))
    lines += [f"{k}: {v}" for k, v in hdrs]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def chunked(parts, trailer=b""):
    out = b""
    for p in parts:
        out += b"%x\r\n" % len(p) + p + b"\r\n"
    return out + b"0\r\n" + trailer + b"\r\n"


class Response:
    def __init__(self, version, status, reason, headers, body):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value) as sent
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def __repr__(self):
        return f"<Response {self.status} {self.headers} {self.body[:200]!r}>"


class Reader:
    """Reads HTTP/1.1 responses from a socket, keeping what follows for the next one."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise ConnectionError("connection closed by the server")
        self.buf += data

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def head(self):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        raw, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = raw.decode("latin-1").split("\r\n")
        version, status, reason = (lines[0].split(" ", 2) + [""])[:3]
        headers = [tuple(x.strip() for x in line.split(":", 1)) for line in lines[1:]]
        return version, int(status), reason, headers

    def response(self, method="GET", allow_interim=True):
        """The next final response (1xx interim responses skipped unless allow_interim=False)."""
        while True:
            version, status, reason, headers = self.head()
            if 100 <= status < 200 and allow_interim:
                continue
            break
        r = Response(version, status, reason, headers, b"")
        if method == "HEAD" or 100 <= status < 200 or status in (204, 304):
            return r
        te = r.header("transfer-encoding")
        cl = r.header("content-length")
        if te and "chunked" in te.lower():
            body = b""
            while True:
                while b"\r\n" not in self.buf:
                    self._fill()
                size_line, self.buf = self.buf.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    while b"\r\n\r\n" not in b"\r\n" + self.buf:
                        self._fill()
                    self.buf = (b"\r\n" + self.buf).split(b"\r\n\r\n", 1)[1]
                    break
                body += self._take(size)
                self._take(2)
            r.body = body
        elif cl is not None:
            r.body = self._take(int(cl))
        else:
            while True:
                try:
                    self._fill()
                except ConnectionError:
                    break
            r.body, self.buf = self.buf, b""
        return r


def closed_within(sock, timeout):
    """True if the peer closes (EOF or reset) within `timeout` s; any data is read and dropped.
    Returns (closed, bytes_received)."""
    deadline = time.monotonic() + timeout
    got = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False, got
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return False, got
        except (ConnectionResetError, BrokenPipeError):
            return True, got
        if not data:
            return True, got
        got += data


def reset(sock):
    """Closes with an RST instead of a FIN (SO_LINGER 0)."""
    import struct
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def rss_bytes(pid):
    """A process's resident set size, from /proc."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def run_torus(*args, timeout=60, cwd=None):
    """Runs `torus ARGS...` to completion: (exit code, stdout, stderr)."""
    p = subprocess.run([TORUS_BIN, *args], stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=timeout, cwd=cwd)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def sanitizer_report(text):
    for marker in SANITIZER_MARKERS:
        if marker in text:
            return marker
    return None


class ServerTestCase(unittest.TestCase):
    """One server per test class (starting one costs a V8 isolate per worker); it must stop
    cleanly (exit 0, no sanitizer report) when the class is done."""

    ENTRY = os.path.join(APPS, "echo")
    FLAGS = ()
    WORKERS = 1
    ENV = None
    server = None

    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.server = Server(cls.ENTRY, *cls.FLAGS, workers=cls.WORKERS, env=cls.ENV).start()

    @classmethod
    def tearDownClass(cls):
        if cls.server is None:
            return
        code = cls.server.stop()
        err = cls.server.stderr.text()
        marker = sanitizer_report(err)
        if marker or code != 0:
            raise AssertionError(f"server exit code {code}, sanitizer: {marker}; stderr:\n{err[-6000:]}")

    def setUp(self):
        self.assertTrue(self.server.alive(), "the server died:\n" + self.server.stderr.text()[-4000:])

    def tearDown(self):
        marker = sanitizer_report(self.server.stderr.text())
        self.assertIsNone(marker, "sanitizer report:\n" + self.server.stderr.text()[-6000:])
        self.assertTrue(self.server.alive(), "the server died:\n" + self.server.stderr.text()[-4000:])

    # Helpers on the class's server.
    def connect(self):
        return self.server.connect()

    def exchange(self, data, method="GET"):
        """Sends `data` on a fresh connection and reads one response."""
        with self.connect() as s:
            s.sendall(data)
            return Reader(s).response(method)

    def assertHealthy(self):
        r = self.server.get("/hello")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"Hello, world!\n")

    def assertClosedAfter(self, sock, reader, timeout=10):
        """The server closes `sock` with nothing after what `reader` has read."""
        closed, extra = closed_within(sock, timeout)
        self.assertTrue(closed, "the connection was left open")
        self.assertEqual(reader.buf + extra, b"", "bytes after the last response")

    def assertRefusedAndClosed(self, data, statuses, close_timeout=10):
        """`data` gets one of `statuses`, then the connection closes with nothing more."""
        if isinstance(statuses, int):
            statuses = (statuses,)
        with self.connect() as s:
            s.sendall(data)
            reader = Reader(s)
            r = reader.response()
            self.assertIn(r.status, statuses, f"request {data[:300]!r} -> {r}")
            self.assertEqual(r.header("connection"), "close", f"request {data[:300]!r} -> {r}")
            closed, extra = closed_within(s, close_timeout)
            extra = reader.buf + extra
            self.assertTrue(closed, f"connection left open after {r.status} for {data[:300]!r}")
            self.assertEqual(extra, b"", f"bytes after the error response for {data[:300]!r}")
        return r
