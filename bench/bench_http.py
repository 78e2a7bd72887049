"""Benchmark: per-request cost of the request and response objects, Jack vs Quixote 3.8.

Measures, in the same run and with a fresh environ per call, the work every request pays
outside traversal and the application: building the request (and its response),
``process_inputs()`` (a GET without body, and a GET with a 3-field query), setting a str
body, and producing what the WSGI server needs (status, headers, body list). Quixote's
serialisation is ``generate_headers()`` + ``generate_body_chunks()`` as its WSGI adapter
does it. Prints nanoseconds per call and the Jack/Quixote ratio.

Run: ``python bench/bench_http.py [--number N] [--repeat R]``. Not a test: it asserts
nothing about speed. The machine's load moves absolute figures; compare the ratios.
"""
from __future__ import annotations

import argparse
import io
import timeit
from typing import Any, Callable

from quixote.http_request import HTTPRequest as QRequest

from jack_runtime.http import HTTPRequest as JRequest


def environ(query: str = "") -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": "/hello", "QUERY_STRING": query,
        "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_SOFTWARE": "waitress", "HTTP_HOST": "localhost:8080", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_ACCEPT": "text/html", "HTTP_USER_AGENT": "bench", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
    }


def quixote_request(query: str = "") -> None:
    env = environ(query)
    request = QRequest(env["wsgi.input"], env)
    request.process_inputs()
    response = request.response
    response.set_body("Hello, world!")
    "%03d %s" % (response.status_code, response.reason_phrase)
    response.generate_headers()
    b"".join(response.generate_body_chunks())


def jack_request(query: str = "") -> None:
    env = environ(query)
    request = JRequest(env["wsgi.input"], env)
    request.process_inputs()
    response = request.response
    response.set_body("Hello, world!")
    response.wsgi_status()
    response.wsgi_headers()
    b"".join(response.wsgi_body())


def environ_only(query: str = "") -> None:
    environ(query)


def measure(fn: Callable[[], None], number: int, repeat: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--number", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    print("%-44s %10s %10s %8s" % ("case", "Quixote ns", "Jack ns", "ratio"))
    for label, query in (("GET, no query", ""), ("GET, query a=1&b=two&c=%C3%A9", "a=1&b=two&c=%C3%A9")):
        base = measure(lambda: environ_only(query), args.number, args.repeat)
        q = measure(lambda: quixote_request(query), args.number, args.repeat) - base
        j = measure(lambda: jack_request(query), args.number, args.repeat) - base
        print("%-44s %10.0f %10.0f %8.2f" % ("request+response, " + label, q, j, j / q))
    print("(environ construction, %.0f ns, subtracted)" % base)


if __name__ == "__main__":
    main()
