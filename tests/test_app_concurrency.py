"""Concurrency through a real waitress server on 127.0.0.1: 64 simultaneous requests each see
their own request (also while their body is streamed), and two Apps serving at once in one
process never see each other's requests."""
from __future__ import annotations

import http.client
import threading
from concurrent.futures import ThreadPoolExecutor

from harness import serving
from jack_runtime import App, context
from jack_runtime.directory import Directory
from jack_runtime.http.response import Stream

N = 64


class Root(Directory):
    _q_exports = ["echo", "stream"]

    def __init__(self, name, barrier):
        self.name = name
        self.barrier = barrier

    def _wait(self):
        # every request holds its thread until 8 are in flight together, so that requests
        # really overlap (the server has 8 threads); a timeout keeps a failure from hanging
        try:
            self.barrier.wait(timeout=5)
        except threading.BrokenBarrierError:
            pass

    def echo(self):
        request = context.get_request()
        rid = context.get_field("id")
        self._wait()
        # read everything again after the wait: another thread's request must not show up
        assert context.get_request() is request
        return "%s|%s|%s|%s" % (context.get_app().name, context.get_field("id"), rid,
                                request.get_path())

    def stream(self):
        rid = context.get_field("id")

        def chunks():
            yield "%s|" % context.get_app().name
            self._wait()
            yield "%s|%s" % (context.get_field("id"), rid)
        return Stream(chunks())


class NamedApp(App):
    def __init__(self, name, barrier):
        super().__init__(Root(name, barrier))
        self.name = name


def fetch(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def test_64_concurrent_requests_each_see_their_own():
    app = NamedApp("solo", threading.Barrier(8))
    with serving(app) as port, ThreadPoolExecutor(N) as pool:
        paths = ["/%s?id=%d" % ("echo" if i % 2 else "stream", i) for i in range(N)]
        results = list(pool.map(lambda p: fetch(port, p), paths))
    for i, (status, body) in enumerate(results):
        assert status == 200
        if i % 2:
            assert body == "solo|%d|%d|/echo" % (i, i)
        else:
            assert body == "solo|%d|%d" % (i, i)


def test_two_apps_in_one_process_do_not_interfere():
    barrier = threading.Barrier(8)  # shared: requests of both apps wait for each other
    a, b = NamedApp("a", barrier), NamedApp("b", barrier)
    with serving(a) as port_a, serving(b) as port_b, ThreadPoolExecutor(N) as pool:
        jobs = [(port_a if i % 2 else port_b, "/%s?id=%d" % ("echo" if i % 4 < 2 else "stream", i))
                for i in range(N)]
        results = list(pool.map(lambda job: fetch(*job), jobs))
    for i, (status, body) in enumerate(results):
        name = "a" if i % 2 else "b"
        assert status == 200
        assert body.startswith("%s|%d|%d" % (name, i, i)), body
