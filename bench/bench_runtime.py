"""Benchmark: in-process cost per request of the runtime core.

For each page, the same request is served in the same run by

- raw WSGI: a hand-written WSGI callable (the floor),
- Quixote 3.8: ``HTTPRequest`` + ``Publisher.process_request`` + serialisation as QWIP does
  it (status line, ``generate_headers()``, ``generate_body_chunks()``),
- Quixote 3.8 ``process_request`` alone (without building the request or the headers),
- Jack: ``App.__call__`` as a WSGI server calls it (start_response, body joined, close()),

each with a fresh environ per request, and prints microseconds per request and ratios.
Goal for the hello page: Jack at most half of Quixote's cost.

Run: ``python bench/bench_runtime.py [--number N] [--repeat R] [--profile]``. Not a test: it
asserts nothing about speed. To add a page, add an entry to ``PAGES`` (a function returning a
``Page``: its raw WSGI app and its Directory tree built from a flavour, see ``hello``).
"""
from __future__ import annotations

import argparse
import io
import sys
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable

import quixote
import quixote.directory
from quixote.http_request import HTTPRequest as QRequest
from quixote.publish import Publisher

from jack_runtime import App
import jack_runtime.directory


@dataclass
class Page:
    path: str
    raw: Callable[..., Any]            # a WSGI callable producing the page
    make_root: Callable[[Any], Any]    # flavour -> root Directory


# -- pages -------------------------------------------------------------------------------------

def hello() -> Page:
    body = b"<html><body>Hello world!</body></html>"
    headers = [("Content-Type", "text/html; charset=utf-8"),
               ("Content-Length", str(len(body)))]

    def raw(environ, start_response):
        start_response("200 OK", headers)
        return [body]

    def make_root(q):
        class Root(q.Directory):
            _q_exports = ["", "hello"]

            def _q_index(self):
                return "index"

            def hello(self):
                return "<html><body>Hello world!</body></html>"
        return Root()

    return Page("/hello", raw, make_root)


# More pages (e.g. the 100-row htmltext table) go here.
def table() -> Page:
    # the 100-row table page of bench_html.py, served as a whole request
    from bench_html import table_page

    return table_page()


PAGES: dict[str, Callable[[], Page]] = {"hello": hello, "table": table}


# -- harness ---------------------------------------------------------------------------------

class QuietLog:
    """Quixote's DefaultLogger replaces sys.stdout; this one does nothing."""

    def log(self, msg): pass
    def log_internal_error(self, summary, msg): raise RuntimeError(msg)
    def log_request(self, request, start_time): pass


def environ_template(path: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost:8080", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_USER_AGENT": "bench/1.0", "HTTP_ACCEPT": "text/html",
        "HTTP_ACCEPT_ENCODING": "gzip, deflate",
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }


def start_response(status, headers, exc_info=None):
    return None


def wsgi_runner(app: Callable[..., Any], template: dict[str, Any]) -> Callable[[], bytes]:
    def run() -> bytes:
        environ = template.copy()
        environ["wsgi.input"] = io.BytesIO(b"")
        iterable = app(environ, start_response)
        try:
            return b"".join(iterable)
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()
    return run


def quixote_runners(publisher: Any, template: dict[str, Any]) -> tuple[Callable, Callable]:
    def full() -> bytes:
        # QWIP.__call__ minus its thread-safety assertion
        environ = template.copy()
        environ["wsgi.input"] = io.BytesIO(b"")
        environ.setdefault("REQUEST_URI", environ["SCRIPT_NAME"] + environ["PATH_INFO"])
        response = publisher.process_request(QRequest(environ["wsgi.input"], environ))
        start_response("%03d %s" % (response.status_code, response.reason_phrase),
                       response.generate_headers())
        return b"".join(response.generate_body_chunks())

    def process_only() -> Any:
        environ = template.copy()
        environ["wsgi.input"] = io.BytesIO(b"")
        return publisher.process_request(QRequest(environ["wsgi.input"], environ))

    return full, process_only


def per_call_us(cases: list[tuple[str, Callable[[], Any]]], number: int,
                repeat: int) -> dict[str, float]:
    """Microseconds per call of each case: the best of ``repeat`` runs of ``number`` calls.

    CPU time of this thread is measured, not wall time, so that other processes on a busy
    machine do not count; and the cases take turns within each round, so that what noise
    remains (caches, frequency) affects all of them alike."""
    best = {label: float("inf") for label, _ in cases}
    for _ in range(repeat):
        for label, fn in cases:
            start = time.thread_time_ns()
            for _ in range(number):
                fn()
            best[label] = min(best[label], (time.thread_time_ns() - start) / number)
    return {label: ns / 1000 for label, ns in best.items()}


def flavour(directory_module: Any, redirect: Any) -> SimpleNamespace:
    return SimpleNamespace(Directory=directory_module.Directory, export=directory_module.export,
                           redirect=redirect)


def bench_page(name: str, page: Page, number: int, repeat: int,
               profile: bool) -> None:
    template = environ_template(page.path)
    quixote.cleanup()
    publisher = Publisher(page.make_root(flavour(quixote.directory, quixote.redirect)),
                          logger=QuietLog())
    try:
        app = App(page.make_root(flavour(jack_runtime.directory, jack_runtime.redirect)))
        raw = wsgi_runner(page.raw, template)
        jack = wsgi_runner(app, template)
        q_full, q_process = quixote_runners(publisher, template)
        # the same page from all three, or the comparison means nothing
        assert raw() == jack() == q_full(), (raw(), jack(), q_full())

        cases = [("raw WSGI", raw), ("Quixote 3.8 (request + process_request + QWIP output)",
                                     q_full),
                 ("Quixote 3.8 process_request only", q_process), ("Jack App (WSGI)", jack)]
        results = per_call_us(cases, number, repeat)
    finally:
        quixote.cleanup()

    raw_us = results["raw WSGI"]
    quixote_us = results["Quixote 3.8 (request + process_request + QWIP output)"]
    print("\npage %r (%s), %d calls x %d repeats, best run" % (name, page.path, number, repeat))
    print("%-56s %10s %9s %11s" % ("case", "us/req", "x raw", "x Quixote"))
    for label, us in results.items():
        print("%-56s %10.2f %9.2f %11.2f" % (label, us, us / raw_us, us / quixote_us))
    jack_us = results["Jack App (WSGI)"]
    if name == "hello":  # the framework's own cost: the goal is set on this page
        verdict = "met" if jack_us <= quixote_us / 2 else "NOT met"
        print("goal (Jack <= 0.5 x Quixote): %s (Jack/Quixote = %.2f)" % (verdict, jack_us / quixote_us))
    else:
        print("Jack/Quixote = %.2f (page rendering dominates: see bench_html.py)" % (jack_us / quixote_us))

    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(number):
            jack()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--number", type=int, default=10000, help="calls per run")
    parser.add_argument("--repeat", type=int, default=15, help="runs (the best is kept)")
    parser.add_argument("--page", choices=sorted(PAGES), action="append",
                        help="pages to run (default: all)")
    parser.add_argument("--profile", action="store_true", help="cProfile Jack's requests")
    args = parser.parse_args(argv)
    print("Python %s" % sys.version.split()[0])
    for name in args.page or list(PAGES):
        # a page that renders 100 rows costs ~50x a hello: fewer calls give the same precision
        number = args.number if name == "hello" else max(1, args.number // 50)
        bench_page(name, PAGES[name](), number, args.repeat, args.profile)


if __name__ == "__main__":
    main()
