"""The admin listener: /metrics in Prometheus text with every worker's counters (labels only
from configured names: requests with random Host headers and paths add no series), /healthz,
/readyz, and anything else refused."""

import os
import re
import socket
import unittest
import urllib.error
import urllib.request

from harness import REPO, Server, free_port, require_binary

HELLO = os.path.join(REPO, "examples", "hello")


def fetch(url, host=None):
    req = urllib.request.Request(url)
    if host:
        req.add_header("Host", host)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers


def series(text):
    return [l for l in text.splitlines() if l and not l.startswith("#")]


class AdminTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.admin_port = free_port()
        cls.server = Server(HELLO, "--admin-listen", f"127.0.0.1:{cls.admin_port}",
                            workers=2).start()
        cls.admin = f"http://127.0.0.1:{cls.admin_port}"

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def metric(self, text, name, **labels):
        """The sum of NAME's samples that carry LABELS."""
        want = [f'{k}="{v}"' for k, v in labels.items()]
        return sum(float(l.split()[-1]) for l in series(text) if l.startswith(name + "{")
                   and all(w in l[:l.index("}")].split("{", 1)[1].split(",") for w in want))

    def test_metrics_count_requests_with_fixed_series(self):
        status, before, headers = fetch(self.admin + "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        backend = "epoll" if os.environ.get("TORUS_IO") == "epoll" else "io_uring"
        self.assertIn(f'torus_io_backend{{backend="{backend}"}} 1', before)
        self.assertIn("torus_workers 2", before)
        for line in series(before):
            self.assertRegex(line, r'^torus_[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+$')
        for i in range(20):
            fetch(f"http://127.0.0.1:{self.server.port}/p{i}?q={i}", host=f"h{i}.example")
        status, after, _ = fetch(self.admin + "/metrics")
        self.assertEqual(self.metric(after, "torus_requests_total") -
                         self.metric(before, "torus_requests_total"), 20)
        self.assertEqual(len(series(after)), len(series(before)), "no new series")
        self.assertGreater(self.metric(after, "torus_isolate_heap_used_bytes"), 0)
        # Drain time: one observation per drain that did work, for each worker.
        for w in ("0", "1"):
            drains = self.metric(after, "torus_drains_total", worker=w)
            self.assertGreater(drains, 0)
            self.assertEqual(self.metric(after, "torus_drain_duration_seconds_count", worker=w), drains)
            self.assertEqual(self.metric(after, "torus_drain_duration_seconds_bucket", worker=w,
                                         le="+Inf"), drains)
            self.assertGreater(self.metric(after, "torus_drain_duration_seconds_sum", worker=w), 0)
        workers = set(re.findall(r'worker="(\d+)"', after))
        self.assertEqual(workers, {"0", "1"})

    def test_health_and_readiness(self):
        self.assertEqual(fetch(self.admin + "/healthz")[:2], (200, "ok\n"))
        self.assertEqual(fetch(self.admin + "/readyz")[:2], (200, "ready\n"))
        self.assertEqual(fetch(self.admin + "/nope")[0], 404)
        req = urllib.request.Request(self.admin + "/metrics", data=b"x", method="POST")
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=20)
        self.assertEqual(e.exception.code, 405)

    def test_app_is_not_reachable_on_the_admin_port(self):
        status, body, _ = fetch(self.admin + "/")
        self.assertEqual(status, 404)
        self.assertNotIn("Hello", body)


if __name__ == "__main__":
    unittest.main()
