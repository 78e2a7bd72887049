"""HTTPResponse: the same calls on Quixote 3.8's and Jack's responses give the same status,
headers (Date aside, and Quixote's hop-by-hop headers, which Jack never sends) and body."""
from __future__ import annotations

import gzip
import io
import time

import pytest
from quixote import http_response as qresp
from quixote.html import htmltext as q_htmltext

from jack_runtime.html import htmltext as j_htmltext
from jack_runtime.http import HTTPResponse, Stream, status_reasons

HOP_BY_HOP = {"Connection", "Transfer-Encoding"}


@pytest.fixture(autouse=True)
def frozen_time(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: 1700000000.25)


class Flavour:
    def __init__(self, mod, htmltext):
        self.HTTPResponse = mod.HTTPResponse
        self.Stream = mod.Stream
        self.htmltext = htmltext


Q = Flavour(qresp, q_htmltext)
J = Flavour(__import__("jack_runtime.http.response", fromlist=["x"]), j_htmltext)


def dechunk(data: bytes) -> bytes:
    out = []
    while True:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return b"".join(out)
        out.append(rest[:size])
        data = rest[size + 2:]


def quixote_wire(resp) -> tuple[str, list, bytes]:
    """What a correct WSGI server would send for Quixote's response: values as str, and
    without Quixote's hop-by-hop headers and self-chunking (Jack's documented fixes)."""
    raw_headers = resp.generate_headers()
    headers = [(n, str(v)) for n, v in raw_headers if n != "Date" and n not in HOP_BY_HOP]
    body = b"".join(resp.generate_body_chunks())
    if ("Transfer-Encoding", "chunked") in raw_headers:
        body = dechunk(body)
    if resp.body is None and resp.status_code not in (204, 304):
        # Jack states the empty body's length instead of closing the connection
        headers.insert(_defaults_end(headers), ("Content-Length", "0"))
    return "%03d %s" % (resp.status_code, resp.reason_phrase), headers, body


def _defaults_end(headers) -> int:
    names = [n for n, _ in headers]
    return names.index("Set-Cookie") if "Set-Cookie" in names else len(names)


def jack_wire(resp) -> tuple[str, list, bytes]:
    headers = resp.wsgi_headers()
    body_iter = resp.wsgi_body()
    try:
        body = b"".join(body_iter)
    finally:
        if hasattr(body_iter, "close"):
            body_iter.close()
    return resp.wsgi_status(), headers, body


def run(scenario, *, drop=()):
    q, j = Q.HTTPResponse(), J.HTTPResponse()
    scenario(Q, q)
    scenario(J, j)
    qs, qh, qb = quixote_wire(q)
    js, jh, jb = jack_wire(j)
    jh = [(n, v) for n, v in jh if n not in drop]
    assert js == qs
    assert jh == qh
    assert jb == qb
    for getter in ("get_status_code", "get_reason_phrase", "get_content_type"):
        assert getattr(j, getter)() == getattr(q, getter)()
    assert j.javascript_code == q.javascript_code
    assert j.cache == q.cache and j.buffered == q.buffered and j.charset == q.charset
    return j


LONG_TEXT = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 40

SCENARIOS = {
    "default str": lambda f, r: r.set_body("hello"),
    "htmltext": lambda f, r: r.set_body(f.htmltext("<p>%s</p>") % "a<b"),
    "bytes": lambda f, r: r.set_body(b"\x00\xffraw"),
    "number": lambda f, r: r.set_body(123),
    "non-ascii": lambda f, r: r.set_body("café €"),
    "latin-1": lambda f, r: (r.set_charset("ISO-8859-1"), r.set_body("café")),
    "no charset": lambda f, r: (r.set_charset(None), r.set_body("café")),
    "empty charset": lambda f, r: (r.set_charset(""), r.set_body("x")),
    "image": lambda f, r: (r.set_content_type("image/PNG"), r.set_body(b"\x89PNG")),
    "text/plain keeps charset": lambda f, r: (r.set_content_type("text/plain"), r.set_body("t")),
    "explicit charset": lambda f, r: (r.set_content_type("TEXT/CSS", "ISO-8859-1"), r.set_body("b{}")),
    "json": lambda f, r: (r.set_content_type("application/json", "utf-8"), r.set_body("{}")),
    "404": lambda f, r: (r.set_status(404), r.set_body("nf")),
    "493 class reason": lambda f, r: (r.set_status(493), r.set_body("x")),
    "599": lambda f, r: (r.set_status(599), r.set_body("x")),
    "custom reason": lambda f, r: (r.set_status(201, "Made It"), r.set_body("x")),
    "302 reason": lambda f, r: (r.set_status(302), r.set_body("x")),
    "headers title-cased": lambda f, r: (r.set_header("ETag", '"abc"'), r.set_header("WWW-Authenticate", "Basic"),
                                         r.set_header("x-custom-THING", "v"), r.set_body("x")),
    "header replaced": lambda f, r: (r.set_header("X-A", "1"), r.set_header("x-a", "2"), r.set_body("x")),
    "header non-str value": lambda f, r: (r.set_header("X-Num", 42), r.set_body("x")),
    "content-type header wins": lambda f, r: (r.set_header("Content-Type", "text/x-special"), r.set_body("x")),
    "content-length header wins": lambda f, r: (r.set_header("Content-Length", "1"), r.set_body("x")),
    "expires 60": lambda f, r: (r.set_expires(seconds=60), r.set_body("x")),
    "expires days": lambda f, r: (r.set_expires(minutes=1, hours=2, days=3), r.set_body("x")),
    "expires none": lambda f, r: (r.set_expires(None), r.set_body("x")),
    "expires negative": lambda f, r: (r.set_expires(-5), r.set_body("x")),
    "explicit expires": lambda f, r: (r.set_header("Expires", "0"), r.set_body("x")),
    "explicit cache-control": lambda f, r: (r.set_header("Cache-Control", "public"), r.set_body("x")),
    "cache attribute": lambda f, r: (setattr(r, "cache", 10), r.set_body("x")),
    "cookies": lambda f, r: (
        r.set_cookie("sid", "abc", path="/", max_age=3600, secure=True, httponly=True, samesite="Lax"),
        r.set_cookie("q", 'he said "hi"', domain="example.org", secure=False),
        r.set_cookie("n", 5, expires="Thu, 01 Jan 2037 00:00:00 GMT", comment=None),
        r.set_body("x")),
    "cookie merge": lambda f, r: (r.set_cookie("a", "1", path="/x", secure=True),
                                  r.set_cookie("a", "2", httponly=True), r.set_body("x")),
    "expire cookie": lambda f, r: (r.expire_cookie("sid", path="/"), r.set_body("x")),
    "redirect": lambda f, r: r.set_body(r.redirect("http://example.org/a?b=c")),
    "redirect permanent": lambda f, r: r.set_body(r.redirect("https://x.org/", permanent=True)),
    "stream with length": lambda f, r: r.set_body(f.Stream(["ab", b"cd", "é"], length=6)),
    "stream without length": lambda f, r: r.set_body(f.Stream(iter(["ab", b"cd"]))),
    "stream chunked enabled": lambda f, r: (r.enable_transfer_chunked(), r.set_body(f.Stream(["ab", "cd"]))),
    "no body": lambda f, r: None,
    "no body chunked enabled": lambda f, r: r.enable_transfer_chunked(),
    "javascript": lambda f, r: (r.add_javascript("a", "x=1"), r.add_javascript("a", "x=2"),
                                r.add_javascript("b", "y=1"), r.set_body("x")),
    "gzip excluded type": lambda f, r: (r.set_content_type("image/png"), r.set_body(b"x" * 2000, compress=True)),
    "gzip not worth it": lambda f, r: r.set_body("tiny", compress=True),
    "compress false": lambda f, r: r.set_body(LONG_TEXT, compress=False),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_response_matches_quixote(name: str) -> None:
    run(SCENARIOS[name])


def test_gzip_body_is_byte_identical_and_adds_vary() -> None:
    j = run(lambda f, r: r.set_body(LONG_TEXT, compress=True), drop=("Vary",))
    assert j.get_header("Content-Encoding") == "gzip"
    assert ("Vary", "Accept-Encoding") in j.wsgi_headers()
    assert gzip.decompress(b"".join(j.wsgi_body())) == LONG_TEXT.encode()


def test_gzip_stream_is_byte_identical_and_adds_vary() -> None:
    chunks = [LONG_TEXT[:300], LONG_TEXT[300:].encode(), "é"]
    j = run(lambda f, r: r.set_body(f.Stream(list(chunks)), compress=True), drop=("Vary",))
    assert j.get_header("Content-Encoding") == "gzip" and j.get_header("Vary") == "Accept-Encoding"
    j2 = J.HTTPResponse()
    j2.set_body(J.Stream(list(chunks)), compress=True)
    assert gzip.decompress(b"".join(j2.wsgi_body())) == (LONG_TEXT + "é").encode()


def test_vary_is_merged_with_an_existing_one() -> None:
    r = HTTPResponse()
    r.set_header("Vary", "Cookie")
    r.set_body(LONG_TEXT, compress=True)
    assert r.get_header("Vary") == "Cookie, Accept-Encoding"
    r2 = HTTPResponse()
    r2.set_header("Vary", "accept-encoding")
    r2.set_body(LONG_TEXT, compress=True)
    assert r2.get_header("Vary") == "accept-encoding"


def test_constructor_and_getters_match_quixote() -> None:
    for kwargs in ({}, {"status": 404, "body": "x", "content_type": "text/plain", "charset": "latin-1"},
                   {"status": 201, "body": b"b"}, {"content_type": "image/gif"}):
        q, j = qresp.HTTPResponse(**kwargs), HTTPResponse(**kwargs)
        for attr in ("content_type", "charset", "status_code", "reason_phrase", "headers", "body",
                     "cookies", "cache", "buffered", "javascript_code"):
            assert getattr(j, attr) == getattr(q, attr), attr
        assert j.get_content_length() == q.get_content_length()
    assert status_reasons == qresp.status_reasons


@pytest.mark.parametrize("bad,exc", [("200", TypeError), (99, ValueError), (600, ValueError), (1.5, TypeError)])
def test_set_status_validation_matches_quixote(bad, exc) -> None:
    for cls in (qresp.HTTPResponse, HTTPResponse):
        with pytest.raises(exc):
            cls().set_status(bad)


@pytest.mark.parametrize("bad,exc", [(b"http://x/", TypeError), (None, TypeError), ("/relative", ValueError)])
def test_redirect_validation_matches_quixote(bad, exc) -> None:
    for cls in (qresp.HTTPResponse, HTTPResponse):
        with pytest.raises(exc):
            cls().redirect(bad)


def test_redirect_percent_encodes_non_ascii() -> None:
    r = HTTPResponse()
    r.redirect("http://example.org/café/€?q=ü")
    assert r.get_header("Location") == "http://example.org/caf%C3%A9/%E2%82%AC?q=%C3%BC"
    r.wsgi_headers()[0][1].encode("latin-1")  # a valid WSGI header


def test_content_length_and_body_for_statuses_without_body() -> None:
    for status in (204, 304, 101):
        r = HTTPResponse(status=status)
        r.set_body("")
        names = [n for n, _ in r.wsgi_headers()]
        assert "Content-Length" not in names
        assert list(r.wsgi_body()) == []
    closed = []

    class Closing(Stream):
        def close(self):
            closed.append(True)
    r = HTTPResponse(status=304)
    r.set_body(Closing(["x"]))
    assert list(r.wsgi_body()) == [] and closed == [True]


def test_no_hop_by_hop_headers_ever() -> None:
    r = HTTPResponse()
    r.enable_transfer_chunked()
    r.set_header("Connection", "close")
    r.set_header("Transfer-Encoding", "chunked")
    r.set_header("Keep-Alive", "timeout=5")
    r.set_body(Stream(iter(["a", "b"])))
    names = {n.lower() for n, _ in r.wsgi_headers()}
    assert not names & {"connection", "transfer-encoding", "keep-alive"}
    assert b"".join(r.wsgi_body()) == b"ab"  # never self-chunked


def test_wsgi_headers_leave_date_to_the_server_but_generate_headers_adds_it() -> None:
    r = HTTPResponse()
    r.set_body("x")
    assert "Date" not in dict(r.wsgi_headers())
    assert dict(r.generate_headers())["Date"] == "Tue, 14 Nov 2023 22:13:20 GMT"
    r.set_header("Date", "custom")
    assert dict(r.wsgi_headers())["Date"] == "custom"
    assert r.headers == {"date": "custom"}  # wsgi_headers does not modify the dict


def test_stream_body_is_closed_through_the_wsgi_iterable() -> None:
    events = []

    class Tracking(Stream):
        def close(self):
            events.append("closed")

    def gen():
        yield "a"
        yield b"b"
        yield 7
        yield bytearray(b"c")
        yield j_htmltext("<d>")
    r = HTTPResponse()
    r.set_body(Tracking(gen()))
    body = r.wsgi_body()
    assert b"".join(body) == b"ab7c<d>"
    assert events == []
    body.close()
    body.close()
    assert events == ["closed"]
    # abandoned half-way (client went away): close still releases it
    r = HTTPResponse()
    r.set_body(Tracking(iter(["a", "b"])), compress=True)
    body = r.wsgi_body()
    next(iter(body))
    body.close()
    assert events == ["closed", "closed"]


def test_write_cgi_output_matches_quixote() -> None:
    def scenario(f, r):
        r.set_cookie("a", "b")
        r.set_body(f.Stream(["x", "y"], length=2))
    outs = []
    for f in (Q, J):
        r = f.HTTPResponse()
        scenario(f, r)
        out = io.BytesIO()
        r.write(out)
        outs.append(out.getvalue())
    assert outs[0] == outs[1]
    out = io.BytesIO()
    r = HTTPResponse()
    r.set_body("body")
    r.write(out, include_status=False, include_body=False)
    assert out.getvalue().endswith(b"\r\n\r\n") and b"Status:" not in out.getvalue() and b"body" not in out.getvalue()


def test_wsgi_status() -> None:
    r = HTTPResponse()
    assert r.wsgi_status() == "200 OK"
    r.set_status(404)
    assert r.wsgi_status() == "404 Not Found"
    r.status_code = 200
    r.reason_phrase = "Fine"
    assert r.wsgi_status() == "200 Fine"


def test_body_falsy_values_follow_quixote() -> None:
    for value in ("", 0, None):
        q, j = qresp.HTTPResponse(), HTTPResponse()
        q.set_body(value)
        j.set_body(value)
        assert j.body == q.body
