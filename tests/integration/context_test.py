"""The request context (js/request_context.h): what a request keeps alive after its response
(ctx.waitUntil), what ends with it (its timers), and what a client that goes away does (the
request's signal aborts)."""

import time
import unittest

from harness import Reader, ServerTestCase, request, reset


class RequestContextTest(ServerTestCase):
    def test_wait_until_reads_request_and_sets_timers_after_response(self):
        body = b"posted body"
        with self.connect() as s:
            s.sendall(request("POST", "/wait-until-request?ms=150&tag=w1",
                              headers={"X-Tag": "tagged", "Content-Length": str(len(body))}) + body)
            r = Reader(s).response()
            self.assertEqual((r.status, r.body), (200, b"responded\n"))
        # The response is out and the connection closed; the waitUntil work still reads the
        # request (its head was moved into the context's own heap) and its timer fires.
        self.assertTrue(self.server.stdout.wait_for(
            r"after response w1 POST /wait-until-request header=tagged body=posted body", 10),
            self.server.stdout.text()[-2000:])
        self.assertHealthy()

    def test_wait_until_survives_client_reset(self):
        s = self.connect()
        s.sendall(request("GET", "/wait-until-request?ms=200&tag=w2"))
        Reader(s).response()
        reset(s)
        self.assertTrue(self.server.stdout.wait_for(r"after response w2 GET", 10))
        self.assertHealthy()

    def test_timers_of_a_request_end_with_it(self):
        for i in range(3):
            r = self.exchange(request("GET", f"/orphan-timer?ms=100&tag=o{i}"))
            self.assertEqual(r.body, b"orphan set\n")
        time.sleep(0.5)
        self.assertNotIn("orphan fired", self.server.stdout.text())
        self.assertHealthy()

    def test_signal_aborts_when_client_goes_away(self):
        s = self.connect()
        s.sendall(request("GET", "/slow-signal?ms=5000&tag=sig"))
        self.assertTrue(self.server.stdout.wait_for(r"slow start sig", 10))
        # A reset: a FIN alone is a half-close, still answered (http_test).
        reset(s)
        self.assertTrue(self.server.stdout.wait_for(r"signal aborted sig AbortError", 10))
        self.assertNotIn("slow end sig", self.server.stdout.text())
        self.assertHealthy()


class RequestContextLimitTest(ServerTestCase):
    FLAGS = ("--max-request-contexts", "2")

    def test_contexts_beyond_the_limit_get_503(self):
        # Two answered requests whose waitUntil work still runs hold the two contexts.
        for i in range(2):
            r = self.exchange(request("GET", f"/wait-until-request?ms=1500&tag=l{i}"))
            self.assertEqual(r.status, 200)
        r = self.exchange(request("GET", "/hello"))
        self.assertEqual(r.status, 503)
        # Once the work is done, requests run again.
        self.assertTrue(self.server.stdout.wait_for(r"after response l1", 20))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            r = self.exchange(request("GET", "/hello"))
            if r.status == 200:
                break
            time.sleep(0.1)
        self.assertEqual(r.status, 200)


if __name__ == "__main__":
    unittest.main()
