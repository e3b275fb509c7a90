"""systemd integration of `torus serve` with real processes and no service manager: a Python
AF_UNIX datagram socket stands in for systemd's NOTIFY_SOCKET (READY=1, STATUS=, MAINPID=,
RELOADING=1 with MONOTONIC_USEC, STOPPING=1, WATCHDOG=1), systemd-socket-activate passes
listening sockets (LISTEN_FDS), and systemd-analyze checks the unit files in systemd/
(verify, and the exposure of `security --offline=true`)."""

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

from harness import (IO_TIMEOUT, REPO, START_TIMEOUT, STOP_TIMEOUT, TORUS_BIN, Reader, _Pipe,
                     free_port, request, require_binary, sanitizer_report)

HELLO = os.path.join(REPO, "examples", "hello")
UNITS = os.path.join(REPO, "systemd")
MAX_EXPOSURE = 2.5


class NotifySocket:
    """systemd's side of sd_notify(3): a datagram socket whose messages (KEY=VALUE lines) a
    thread collects as dicts, each with the time it arrived."""

    def __init__(self, test):
        self.dir = tempfile.mkdtemp(prefix="torus-notify-")
        test.addCleanup(shutil.rmtree, self.dir, True)
        self.path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages = []  # (time.monotonic(), {key: value})
        self.cond = threading.Condition()
        self.done = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        test.addCleanup(self.close)

    def _run(self):
        while not self.done:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            fields = {}
            for line in data.decode("utf-8", "replace").split("\n"):
                if "=" in line:
                    k, v = line.split("=", 1)
                    fields[k] = v
            with self.cond:
                self.messages.append((time.monotonic(), fields))
                self.cond.notify_all()

    def close(self):
        self.done = True
        self.thread.join(5)
        self.sock.close()

    def wait_for(self, key, value=None, after=0, timeout=IO_TIMEOUT):
        """The index of the first message from index `after` on with key (= value), or None."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(after, len(self.messages)):
                    got = self.messages[i][1].get(key)
                    if got is not None and (value is None or got == value):
                        return i
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(min(left, 0.2))

    def count(self, key, after=0):
        with self.cond:
            return sum(1 for _, m in self.messages[after:] if key in m)

    def __len__(self):
        with self.cond:
            return len(self.messages)

    def text(self):
        with self.cond:
            return "\n".join(repr(m) for _, m in self.messages)


class Torus:
    """A torus child with a chosen environment (the systemd variables are never inherited
    from the test's own environment), optionally behind a launcher (systemd-socket-activate,
    a shell that sets WATCHDOG_PID=$$ before exec)."""

    def __init__(self, test, args, env=None, launcher=()):
        environment = {k: v for k, v in os.environ.items()
                       if not k.startswith(("NOTIFY_", "WATCHDOG_", "LISTEN_"))}
        environment.update(env or {})
        fmt = [] if "--log-format" in args else ["--log-format", "text"]  # as harness.Server
        self.args = [*launcher, TORUS_BIN, "serve", *args, *fmt]
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=environment)
        self.stdout = _Pipe(self.proc.stdout)
        self.stderr = _Pipe(self.proc.stderr)
        self.code = None
        test.addCleanup(self.stop)

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Signals (unless it already exited) and waits; returns the exit code (None: hung)."""
        if self.code is not None or self.proc.stdout.closed:
            return self.code
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stdout.thread.join(10)
        self.stderr.thread.join(10)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.code

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        return self.stop()


def get(port, path="/", timeout=IO_TIMEOUT):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request("GET", path, close=True))
        return Reader(s).response()


def make_cert(directory, name):
    cert = os.path.join(directory, f"{name}.pem")
    key = os.path.join(directory, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName=DNS:{name}", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def monotonic_usec():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000


class NotifyTest(unittest.TestCase):
    """Type=notify: READY=1 once every listener accepts, STATUS= lines, MAINPID=, reloads
    bracketed by RELOADING=1 (with MONOTONIC_USEC) and READY=1, STOPPING=1 at SIGTERM."""

    def setUp(self):
        require_binary()

    def test_ready_status_stopping(self):
        notify = NotifySocket(self)
        port = free_port()
        torus = Torus(self, [HELLO, "--listen", f"127.0.0.1:{port}", "--workers", "2"],
                      env={"NOTIFY_SOCKET": notify.path})
        ready = notify.wait_for("READY", "1", timeout=START_TIMEOUT)
        self.assertIsNotNone(ready, torus.stderr.text() + notify.text())
        # Served at once: the listeners accepted before READY=1 was sent.
        r = get(port)
        self.assertEqual((r.status, r.body), (200, b"Hello from torus!\n"))
        first = notify.messages[0][1]
        self.assertTrue(first.get("STATUS", "").startswith("starting"), notify.text())
        fields = notify.messages[ready][1]
        self.assertEqual(fields.get("MAINPID"), str(torus.proc.pid))
        self.assertIn(f"127.0.0.1:{port}", fields.get("STATUS", ""))
        self.assertIn("2 worker(s)", fields.get("STATUS", ""))
        self.assertEqual(notify.count("WATCHDOG"), 0, "no WATCHDOG_USEC, no pings")

        # Under a service manager SIGHUP is `systemctl reload` (the apps, unchanged here):
        # RELOADING=1 then READY=1, and it keeps serving.
        mark = len(notify)
        torus.proc.send_signal(signal.SIGHUP)
        reloading = notify.wait_for("RELOADING", "1", after=mark)
        self.assertIsNotNone(reloading, torus.stderr.text() + notify.text())
        self.assertIsNotNone(notify.wait_for("READY", "1", after=reloading + 1), notify.text())
        self.assertEqual(get(port).status, 200)

        mark = len(notify)
        self.assertEqual(torus.stop(), 0, torus.stderr.text())
        stopping = notify.wait_for("STOPPING", "1", after=mark, timeout=1)
        self.assertIsNotNone(stopping, notify.text())
        self.assertTrue(notify.messages[stopping][1].get("STATUS", "").startswith("stopping"))
        self.assertIsNone(sanitizer_report(torus.stderr.text()), torus.stderr.text())

    def test_tls_reload(self):
        if not shutil.which("openssl"):
            self.skipTest("needs the openssl command")
        tmp = tempfile.mkdtemp(prefix="torus-sd-tls-")
        self.addCleanup(shutil.rmtree, tmp, True)
        old, new = make_cert(tmp, "old"), make_cert(tmp, "new")
        cert, key = os.path.join(tmp, "live.pem"), os.path.join(tmp, "live.key")
        shutil.copy(old[0], cert)
        shutil.copy(old[1], key)
        notify = NotifySocket(self)
        port = free_port()
        torus = Torus(self, [HELLO, "--https-listen", f"127.0.0.1:{port}", "--tls-cert", cert,
                             "--tls-key", key, "--workers", "2"],
                      env={"NOTIFY_SOCKET": notify.path})
        self.assertIsNotNone(notify.wait_for("READY", "1", timeout=START_TIMEOUT),
                             torus.stderr.text() + notify.text())
        self.assertEqual(self.served_cn(port), "old")

        shutil.copy(new[1], key)
        shutil.copy(new[0], cert)
        mark = len(notify)
        before = monotonic_usec()
        torus.proc.send_signal(signal.SIGHUP)
        reloading = notify.wait_for("RELOADING", "1", after=mark)
        self.assertIsNotNone(reloading, torus.stderr.text() + notify.text())
        fields = notify.messages[reloading][1]
        # CLOCK_MONOTONIC, the clock systemd compares reload requests against.
        stamp = int(fields["MONOTONIC_USEC"])
        self.assertGreaterEqual(stamp, before)
        self.assertLessEqual(stamp, monotonic_usec())
        ready = notify.wait_for("READY", "1", after=reloading + 1)
        self.assertIsNotNone(ready, torus.stderr.text() + notify.text())
        # READY=1 comes after every worker has swapped its certificates.
        self.assertEqual(self.served_cn(port), "new")

        # A set that does not load is refused: the old one keeps serving, READY=1 still ends
        # the reload, and its status says why.
        with open(key, "w") as f:
            f.write("not a key\n")
        mark = len(notify)
        torus.proc.send_signal(signal.SIGHUP)
        ready = notify.wait_for("READY", "1", after=mark)
        self.assertIsNotNone(ready, torus.stderr.text() + notify.text())
        self.assertIn("refused", notify.messages[ready][1].get("STATUS", ""))
        self.assertEqual(self.served_cn(port), "new")

        self.assertEqual(torus.stop(), 0, torus.stderr.text())
        self.assertIsNone(sanitizer_report(torus.stderr.text()), torus.stderr.text())

    @staticmethod
    def served_cn(port):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                der = s.getpeercert(binary_form=True)
                s.sendall(request("GET", "/", close=True))
                assert Reader(s).response().status == 200
        pem = ssl.DER_cert_to_PEM_cert(der)
        out = subprocess.run(["openssl", "x509", "-noout", "-subject"], input=pem.encode(),
                             capture_output=True, check=True).stdout.decode()
        return re.search(r"CN\s*=\s*(\w+)", out).group(1)


class WatchdogTest(unittest.TestCase):
    """WATCHDOG_USEC: WATCHDOG=1 at half the interval while every worker's loop answers its
    liveness probe; a wedged worker stops the pings (and is named in the log)."""

    def setUp(self):
        require_binary()

    def test_pings(self):
        notify = NotifySocket(self)
        port = free_port()
        # WATCHDOG_PID names the process the watchdog is for: the shell's pid, which exec
        # hands to torus.
        torus = Torus(self, [HELLO, "--listen", f"127.0.0.1:{port}", "--workers", "2"],
                      env={"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "200000"},
                      launcher=("sh", "-c", 'WATCHDOG_PID=$$ exec "$0" "$@"'))
        ready = notify.wait_for("READY", "1", timeout=START_TIMEOUT)
        self.assertIsNotNone(ready, torus.stderr.text() + notify.text())
        start = time.monotonic()
        deadline = start + IO_TIMEOUT
        while notify.count("WATCHDOG", after=ready) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        pings = [t for t, m in notify.messages[ready:] if m.get("WATCHDOG") == "1"]
        self.assertGreaterEqual(len(pings), 5, torus.stderr.text() + notify.text())
        # 100 ms apart (half of 200 ms); never as slow as the 200 ms systemd would act on.
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        self.assertLess(min(gaps), 0.2, gaps)
        self.assertEqual(get(port).status, 200)
        self.assertEqual(torus.stop(), 0, torus.stderr.text())
        self.assertIsNone(sanitizer_report(torus.stderr.text()), torus.stderr.text())

    def test_other_pid(self):
        """WATCHDOG_PID of another process (a parent's leftover): not for torus, no pings."""
        notify = NotifySocket(self)
        port = free_port()
        torus = Torus(self, [HELLO, "--listen", f"127.0.0.1:{port}", "--workers", "1"],
                      env={"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "200000",
                           "WATCHDOG_PID": str(os.getpid())})
        ready = notify.wait_for("READY", "1", timeout=START_TIMEOUT)
        self.assertIsNotNone(ready, torus.stderr.text() + notify.text())
        time.sleep(0.6)
        self.assertEqual(notify.count("WATCHDOG"), 0, notify.text())
        self.assertEqual(torus.stop(), 0, torus.stderr.text())

    def test_wedged_worker_stops_the_pings(self):
        tmp = tempfile.mkdtemp(prefix="torus-sd-spin-")
        self.addCleanup(shutil.rmtree, tmp, True)
        app = os.path.join(tmp, "app.js")
        with open(app, "w") as f:
            f.write('export default { fetch(request) {\n'
                    '  if (request.url.endsWith("/spin")) for (;;) {}\n'
                    '  return new Response("ok");\n'
                    '} };\n')
        notify = NotifySocket(self)
        port = free_port()
        torus = Torus(self, [app, "--listen", f"127.0.0.1:{port}", "--workers", "2"],
                      env={"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"},
                      launcher=("sh", "-c", 'WATCHDOG_PID=$$ exec "$0" "$@"'))
        ready = notify.wait_for("READY", "1", timeout=START_TIMEOUT)
        self.assertIsNotNone(ready, torus.stderr.text() + notify.text())
        self.assertIsNotNone(notify.wait_for("WATCHDOG", "1", after=ready), notify.text())
        # Wedge one worker: its loop never turns again.
        spin = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
        self.addCleanup(spin.close)
        spin.sendall(request("GET", "/spin"))
        line = torus.stderr.wait_for(r"worker \d+: its loop has not answered", IO_TIMEOUT)
        self.assertIsNotNone(line, torus.stderr.text())
        # No ping after the stall was seen (one may have been on its way).
        mark = len(notify)
        time.sleep(1.0)  # five intervals of 200 ms
        self.assertLessEqual(notify.count("WATCHDOG", after=mark), 1, notify.text())
        torus.kill()  # a wedged worker cannot finish; systemd would SIGABRT/SIGKILL it


class SocketActivationTest(unittest.TestCase):
    """LISTEN_FDS from systemd-socket-activate: torus serves the passed socket instead of
    binding, matched to --listen by address or by FileDescriptorName=, shared by all
    workers."""

    def setUp(self):
        require_binary()
        if not shutil.which("systemd-socket-activate"):
            self.skipTest("needs systemd-socket-activate (the systemd package)")

    def activate(self, port, args, fdname=None, env=None):
        launcher = ["systemd-socket-activate", "-l", f"127.0.0.1:{port}"]
        if fdname:
            launcher.append(f"--fdname={fdname}")
        # It passes only the variables named with -E (and LISTEN_*) to the child.
        for k, v in (env or {}).items():
            launcher += ["-E", f"{k}={v}"]
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS", "PATH", "HOME", "TORUS_IO"):
            if k in os.environ:
                launcher += ["-E", f"{k}={os.environ[k]}"]
        return Torus(self, args, launcher=launcher)

    def wait_listening(self, torus, port):
        deadline = time.monotonic() + IO_TIMEOUT
        while time.monotonic() < deadline:
            if torus.stderr.wait_for(r"Listening on", 0.2):
                return
        self.fail(torus.stderr.text())

    def test_by_name_instead_of_listen(self):
        notify = NotifySocket(self)
        port, own = free_port(), free_port()
        torus = self.activate(port, [HELLO, "--listen", f"127.0.0.1:{own}", "--workers", "2"],
                              fdname="http", env={"NOTIFY_SOCKET": notify.path})
        self.wait_listening(torus, port)
        # systemd-socket-activate starts torus at the first connection, which then waits in
        # the passed socket's backlog.
        r = get(port, timeout=START_TIMEOUT)
        self.assertEqual((r.status, r.body), (200, b"Hello from torus!\n"), torus.stderr.text())
        ready = notify.wait_for("READY", "1", timeout=START_TIMEOUT)
        self.assertIsNotNone(ready, notify.text())
        # The log and STATUS= name the address served.
        self.assertIn(f"http://127.0.0.1:{port}/", notify.messages[ready][1].get("STATUS", ""))
        self.assertIsNotNone(torus.stderr.wait_for(rf"on http://127\.0\.0\.1:{port}/ with",
                                                   IO_TIMEOUT), torus.stderr.text())
        err = torus.stderr.text()
        self.assertIn("socket activation: fd 3 (http", err)
        self.assertIn(f"instead of 127.0.0.1:{own}, by name", err)
        # torus did not bind --listen's port itself.
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", own), timeout=IO_TIMEOUT).close()
        # Every worker accepts on the one socket: many connections at once all get answers.
        results = []

        def one():
            try:
                results.append(get(port).status)
            except Exception as e:  # noqa: BLE001 -- reported below
                results.append(repr(e))

        threads = [threading.Thread(target=one) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(IO_TIMEOUT * 2)
        self.assertEqual(results, [200] * 16)
        self.assertEqual(torus.stop(), 0, torus.stderr.text())
        err = torus.stderr.text()
        per_worker = [int(n) for n in re.findall(r"worker \d+ stats: requests=(\d+)", err)]
        self.assertEqual(sum(per_worker), 17, err)
        # One accept at a time on a shared socket: the kernel spreads the connections (a
        # multishot accept let one ring take them all).
        self.assertTrue(all(n > 0 for n in per_worker) and len(per_worker) == 2, err)
        self.assertIsNone(sanitizer_report(err), err)

    def test_by_address(self):
        """No name (systemd-socket-activate's default): matched to --listen by the address it
        is bound to. Had torus bound that address itself, it would have found it in use."""
        port = free_port()
        torus = self.activate(port, [HELLO, "--listen", f"127.0.0.1:{port}", "--workers", "1"])
        self.wait_listening(torus, port)
        r = get(port, timeout=START_TIMEOUT)
        self.assertEqual(r.status, 200, torus.stderr.text())
        self.assertIsNotNone(torus.stderr.wait_for(rf"\(127\.0\.0\.1:{port}, same address\)",
                                                   IO_TIMEOUT), torus.stderr.text())
        self.assertEqual(torus.stop(), 0, torus.stderr.text())

    def test_no_listen(self):
        """No --listen: the passed socket is served as plain HTTP and the default address
        (127.0.0.1:8080) is not bound."""
        port = free_port()
        torus = self.activate(port, [HELLO, "--workers", "1"], fdname="web")
        self.wait_listening(torus, port)
        r = get(port, timeout=START_TIMEOUT)
        self.assertEqual(r.status, 200, torus.stderr.text())
        self.assertIsNotNone(torus.stderr.wait_for(r"torus info: serving ", IO_TIMEOUT))
        err = torus.stderr.text()
        self.assertIn(f"serves HTTP on 127.0.0.1:{port}", err)
        self.assertIn(f"on http://127.0.0.1:{port}/ with", err)
        self.assertNotIn("8080", err)
        self.assertEqual(torus.stop(), 0, err)

    def test_https_by_name(self):
        if not shutil.which("openssl"):
            self.skipTest("needs the openssl command")
        tmp = tempfile.mkdtemp(prefix="torus-sd-tls-")
        self.addCleanup(shutil.rmtree, tmp, True)
        cert, key = make_cert(tmp, "act")
        port, own = free_port(), free_port()
        torus = self.activate(port, [HELLO, "--https-listen", f"127.0.0.1:{own}", "--tls-cert",
                                     cert, "--tls-key", key, "--workers", "1"], fdname="https")
        self.wait_listening(torus, port)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", port), timeout=START_TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname="act") as s:
                s.sendall(request("GET", "/", close=True))
                self.assertEqual(Reader(s).response().status, 200)
        self.assertIsNotNone(torus.stderr.wait_for(r"serves --https-listen \(instead of ",
                                                   IO_TIMEOUT), torus.stderr.text())
        self.assertEqual(torus.stop(), 0, torus.stderr.text())

    def test_https_without_certificate(self):
        """A socket named https and no certificate: a clear error, exit 1."""
        port = free_port()
        torus = self.activate(port, [HELLO, "--workers", "1"], fdname="https")
        self.wait_listening(torus, port)
        try:  # the first connection starts torus
            socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT).close()
        except OSError:
            pass
        try:
            code = torus.proc.wait(START_TIMEOUT)
        except subprocess.TimeoutExpired:
            code = None
        self.assertEqual(code, 1, torus.stderr.text())
        self.assertIsNotNone(torus.stderr.wait_for(r"a socket named https needs a certificate",
                                                   IO_TIMEOUT), torus.stderr.text())


class UnitFileTest(unittest.TestCase):
    """systemd/torus.service and torus.socket: `systemd-analyze verify` clean and the
    service's exposure (`systemd-analyze security --offline=true`) at most 2.5."""

    def setUp(self):
        if not shutil.which("systemd-analyze"):
            self.skipTest("needs systemd-analyze (the systemd package)")

    def unit_copy(self):
        """The units in a temporary folder, ExecStart pointing at the built binary: verify
        checks that the command exists, and /usr/bin/torus is there only once installed."""
        require_binary()
        tmp = tempfile.mkdtemp(prefix="torus-units-")
        self.addCleanup(shutil.rmtree, tmp, True)
        with open(os.path.join(UNITS, "torus.service")) as f:
            service = f.read()
        self.assertIn("ExecStart=/usr/bin/torus serve ", service)
        service = service.replace("ExecStart=/usr/bin/torus ",
                                  f"ExecStart={os.path.abspath(TORUS_BIN)} ")
        with open(os.path.join(tmp, "torus.service"), "w") as f:
            f.write(service)
        shutil.copy(os.path.join(UNITS, "torus.socket"), tmp)
        return tmp

    def test_verify(self):
        tmp = self.unit_copy()
        p = subprocess.run(["systemd-analyze", "verify", os.path.join(tmp, "torus.service"),
                            os.path.join(tmp, "torus.socket")],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotIn("torus.", p.stdout + p.stderr)  # no warning about our units
        # The files as shipped: the only complaint may be the binary not installed here.
        p = subprocess.run(["systemd-analyze", "verify", os.path.join(UNITS, "torus.service"),
                            os.path.join(UNITS, "torus.socket")],
                           capture_output=True, text=True, timeout=60)
        if not os.access("/usr/bin/torus", os.X_OK):
            complaints = [line for line in (p.stdout + p.stderr).splitlines() if "torus." in line]
            self.assertTrue(all("/usr/bin/torus is not executable" in c for c in complaints),
                            complaints)
        else:
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_exposure(self):
        p = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager",
                            os.path.join(UNITS, "torus.service")],
                           capture_output=True, text=True, timeout=60)
        out = p.stdout + p.stderr
        m = re.search(r"Overall exposure level for torus\.service: (\d+(?:\.\d+)?)", out)
        self.assertIsNotNone(m, out)
        self.assertLessEqual(float(m.group(1)), MAX_EXPOSURE, out)

    def test_service_settings(self):
        """What the tests above cannot see: notify, reload, watchdog, io_uring allowed."""
        with open(os.path.join(UNITS, "torus.service")) as f:
            service = f.read()
        settings = {}
        for line in service.splitlines():
            if "=" in line and not line.startswith("#"):
                k, v = line.split("=", 1)
                settings.setdefault(k, []).append(v)
        self.assertEqual(settings["Type"], ["notify"])
        self.assertEqual(settings["ExecReload"], ["/bin/kill -HUP $MAINPID"])
        self.assertTrue(settings.get("WatchdogSec"))
        self.assertEqual(settings["MemoryDenyWriteExecute"], ["no"])
        allowed = " ".join(v for v in settings["SystemCallFilter"] if not v.startswith("~"))
        for call in ("@system-service", "io_uring_setup", "io_uring_enter", "io_uring_register"):
            self.assertIn(call, allowed.split())
        with open(os.path.join(UNITS, "torus.socket")) as f:
            sock = f.read()
        self.assertIn("FileDescriptorName=http\n", sock)
        self.assertIn("Service=torus.service\n", sock)


if __name__ == "__main__":
    unittest.main()
