"""Real clients against a Jack app served for real: http.client and raw sockets, on waitress
(in a thread, as ``jack serve`` runs it) and on gunicorn (sync and gthread workers).

Each test here is a regression test for something a real client saw go wrong, or for a
guarantee a real client depends on (framing of kept-alive connections, no 5xx for bad
input, no traceback to the client).
"""
from __future__ import annotations

import gzip
import http.client
import logging
import re
import subprocess
import sys

import pytest

import harness
from test_clients_support import (gunicorn, load_app_module, make_app_dir, raw_request,
                                  status_lines)

SERVERS = ["waitress", "gunicorn-sync", "gunicorn-gthread"]


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory):
    return make_app_dir(tmp_path_factory.mktemp("clients") / "app")


@pytest.fixture(scope="module", params=SERVERS)
def port(request, app_dir):
    if request.param == "waitress":
        module = load_app_module(app_dir)
        with harness.serving(module.create_app, threads=4) as port:
            yield port
    else:
        with gunicorn(app_dir, request.param.split("-")[1]) as port:
            yield port


def _conn(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=10)


# -- HEAD ---------------------------------------------------------------------------------

def test_head_sends_no_body_and_the_connection_stays_usable(port):
    # waitress sent HEAD bodies; the next response on the connection then began with them
    # (http.client: BadStatusLine('<!DOCTYPE html>...'))
    conn = _conn(port)
    try:
        for method, path in [("GET", "/"), ("HEAD", "/"), ("HEAD", "/static/a.txt"),
                             ("HEAD", "/big"), ("HEAD", "/nowhere"), ("GET", "/static/a.txt"),
                             ("GET", "/")]:
            conn.request(method, path)
            response = conn.getresponse()
            body = response.read()
            if method == "HEAD":
                assert body == b""
            elif path == "/":
                assert body == b"<html><body>index</body></html>"
            else:
                assert body == b"hello static\n"
    finally:
        conn.close()


def test_head_keeps_get_headers(port):
    get = raw_request(port, b"GET /static/a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head = raw_request(port, b"HEAD /static/a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head_headers, _, head_body = head.partition(b"\r\n\r\n")
    assert head_body == b""
    assert b"Content-Length: 13" in head_headers and b"Content-Length: 13" in get


def test_pipelined_head_then_get(port):
    out = raw_request(port, b"HEAD /big HTTP/1.1\r\nHost: x\r\n\r\n"
                            b"HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n"
                            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    # a HEAD of a Stream without a length may end the connection (the server cannot frame
    # it otherwise); what must never happen is a body leaking into the stream of responses
    assert b"hello world" not in out and b"abcabc" not in out
    lines = status_lines(out)
    assert lines[0] == b"HTTP/1.1 200 OK"
    if len(lines) == 3:
        assert out.endswith(b"<html><body>index</body></html>")


# -- header values -------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/header?v=%01", "/header?v=%7f", "/header?v=a%0db",
                                  "/cookie?v=%01", "/cookie?v=a%0a", "/go?to=/a%01b",
                                  "/go?to=/a%1bb"])
def test_control_characters_in_header_values_are_a_400(port, path):
    # gunicorn refuses a response header value with a control character with its own 500;
    # waitress sent it. Jack refuses it (RFC 9110 5.5) when the app sets it: a 400.
    out = raw_request(port, b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                      % path.encode())
    assert status_lines(out)[0] == b"HTTP/1.1 400 Bad Request", out[:300]


def test_tab_in_a_header_value_is_allowed(port):
    out = raw_request(port, b"GET /header?v=a%09b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert b"\r\nX-Custom: a\tb\r\n" in out


@pytest.mark.parametrize("path, wire", [
    ("/cookie?v=%e2%82%ac", b'Set-Cookie: c="\xe2\x82\xac"; path=/'),
    ("/cookie?v=%c3%a9", b'Set-Cookie: c="\xc3\xa9"; path=/'),
    ("/header?v=%e2%82%ac", b"X-Custom: \xe2\x82\xac"),
])
def test_non_ascii_header_values_are_sent_as_utf8(port, path, wire):
    # a str outside latin-1 in a WSGI header is a 500 in every server; Quixote's own server
    # wrote headers as UTF-8, so Jack sends those bytes
    out = raw_request(port, b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                      % path.encode())
    assert status_lines(out)[0] == b"HTTP/1.1 200 OK", out[:300]
    assert wire in out


# -- bad input: a 4xx, never a 5xx, never a traceback ---------------------------------------

BAD_REQUESTS = {
    "bad escape in path": b"GET /%ff%fe HTTP/1.1\r\nHost: x\r\n",
    "raw invalid utf-8 path": b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n",
    "bad escape in query": b"GET /echo?a=%ff HTTP/1.1\r\nHost: x\r\n",
    "raw invalid utf-8 query": b"GET /echo?a=\xff HTTP/1.1\r\nHost: x\r\n",
    "bad content-length": b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n",
    "negative content-length": b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n",
    "invalid utf-8 form": (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: "
                           b"application/x-www-form-urlencoded\r\nContent-Length: 5\r\n\r\na=%ff"),
    "unknown form charset": (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/"
                             b"x-www-form-urlencoded; charset=bogus\r\nContent-Length: 5\r\n\r\na=%ff"),
    "truncated multipart": (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data;"
                            b" boundary=zz\r\nContent-Length: 10\r\n\r\n--zz\r\njunk"),
    "multipart without boundary": (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                   b"multipart/form-data\r\nContent-Length: 4\r\n\r\njunk"),
    "cookie with CR/LF": b"GET /cookie?v=a%0d%0aSet-Cookie:%20evil=1 HTTP/1.1\r\nHost: x\r\n",
    "NUL in header value": b"GET /header?v=%00 HTTP/1.1\r\nHost: x\r\n",
    "unknown method": b"BREW / HTTP/1.1\r\nHost: x\r\n",
}


@pytest.mark.parametrize("name", sorted(BAD_REQUESTS))
def test_bad_requests_get_a_4xx(port, name):
    data = BAD_REQUESTS[name]
    if b"\r\n\r\n" not in data:
        data += b"Connection: close\r\n\r\n"
    else:
        head, _, body = data.partition(b"\r\n\r\n")
        data = head + b"\r\nConnection: close\r\n\r\n" + body
    out = raw_request(port, data)
    lines = status_lines(out)
    assert lines, out[:300]
    assert re.match(rb"HTTP/1\.[01] 4\d\d ", lines[0]), lines[0]
    assert b"Traceback" not in out and b"evil=1" not in out.partition(b"\r\n\r\n")[0]


def test_cr_lf_in_a_redirect_target_injects_nothing(port):
    # urljoin drops CR/LF/TAB from the target (as in Quixote); no header is ever split
    out = raw_request(port, b"GET /go?to=/%0d%0aSet-Cookie:%20evil=1 HTTP/1.1\r\nHost: x\r\n"
                            b"Connection: close\r\n\r\n")
    head = out.partition(b"\r\n\r\n")[0]
    assert status_lines(out)[0] in (b"HTTP/1.1 302 Moved Temporarily", b"HTTP/1.1 400 Bad Request")
    assert not re.search(rb"\r\nSet-Cookie: *evil", head), head


@pytest.mark.parametrize("data", [
    b"GET /static/../clientsapp.py HTTP/1.1\r\n",
    b"GET /static/%2e%2e/clientsapp.py HTTP/1.1\r\n",
    b"GET /static/sub/..%2f..%2fclientsapp.py HTTP/1.1\r\n",
    b"GET /static/..%5csecret.txt HTTP/1.1\r\n",
    b"GET /static/link.txt HTTP/1.1\r\n",
    b"GET /static/a.txt%00.png HTTP/1.1\r\n",
    b"GET /static//etc/passwd HTTP/1.1\r\n",
    b"GET /static/%2fetc%2fpasswd HTTP/1.1\r\n",
    b"GET /static/sub/%2e%2e/%2e%2e/secret.txt HTTP/1.1\r\n",
])
def test_static_files_never_escape_their_root(port, data):
    out = raw_request(port, data + b"Host: x\r\nConnection: close\r\n\r\n")
    assert status_lines(out)[0] == b"HTTP/1.1 404 Not Found", out[:200]
    assert b"TOP SECRET" not in out and b"create_app" not in out and b"root:" not in out


def test_an_exception_is_a_500_page_without_the_traceback(port):
    out = raw_request(port, b"GET /boom HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status_lines(out)[0] == b"HTTP/1.1 500 Internal Server Error"
    assert b"Internal Server Error" in out
    assert b"secret internals" not in out and b"Traceback" not in out


def test_no_hop_by_hop_headers_and_lengths_match(port):
    conn = _conn(port)
    try:
        for path in ["/", "/empty", "/big", "/static/a.txt", "/nowhere", "/go?to=/x",
                     "/cookie?v=1", "/boom"]:
            conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
            response = conn.getresponse()
            body = response.read()
            # the servers frame a Stream (a gzipped static file) themselves; a body of
            # known length has its length, and never both
            assert response.getheader("Keep-Alive") is None
            length = response.getheader("Content-Length")
            if response.getheader("Transfer-Encoding") is None:
                assert int(length) == len(body), path
            else:
                assert length is None and path == "/static/a.txt", path
    finally:
        conn.close()


def test_a_gzip_static_file_is_not_gzipped_again(port):
    # StaticFile says Content-Encoding: gzip for "x.gz"; compress_pages gzipped it again,
    # so a browser decoding once got gzip bytes
    conn = _conn(port)
    try:
        conn.request("GET", "/static/notes.txt.gz", headers={"Accept-Encoding": "gzip"})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(body) == b"compressed notes\n"


def test_gzip_pages_say_vary(port):
    conn = _conn(port)
    try:
        conn.request("GET", "/big", headers={"Accept-Encoding": "gzip"})
        response = conn.getresponse()
        body = response.read()
        conn.request("GET", "/stream", headers={"Accept-Encoding": "gzip"})
        streamed = conn.getresponse()
        streamed_body = streamed.read()
    finally:
        conn.close()
    assert response.getheader("Content-Encoding") == "gzip"
    assert response.getheader("Vary") == "Accept-Encoding"
    assert gzip.decompress(body) == b"<p>" + b"hello world " * 5000 + b"</p>"
    assert streamed.getheader("Vary") == "Accept-Encoding"
    assert gzip.decompress(streamed_body) == b"abc" * 1000 + "d\u00e9f".encode() * 1000 + b"end"


def test_204_has_no_length_and_no_body(port):
    out = raw_request(port, b"GET /nocontent HTTP/1.1\r\nHost: x\r\n\r\n"
                            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    first, _, rest = out.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 204 ")
    assert b"Content-Length" not in first and b"Transfer-Encoding" not in first
    # waitress closes the connection after a 204 (it cannot tell the length); if it stays
    # open, the next response follows immediately
    assert rest == b"" or rest.startswith(b"HTTP/1.1 200 OK")


def test_http_10_client(port):
    out = raw_request(port, b"GET /big HTTP/1.0\r\n\r\n")
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.") and b" 200 OK" in head.split(b"\r\n")[0]
    assert b"Transfer-Encoding" not in head
    assert body == b"<p>" + b"hello world " * 5000 + b"</p>"


def test_chunked_request_body_and_expect_continue(port):
    form = b"a=1&b=%C3%A9"
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(form), form)
    out = raw_request(port, b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                            b"Content-Type: application/x-www-form-urlencoded\r\n"
                            b"Connection: close\r\n\r\n" + chunked)
    assert out.endswith("[('a', '1'), ('b', 'é')]".encode()), out[-200:]
    conn = _conn(port)
    try:
        conn.request("POST", "/echo", body=form, headers={
            "Expect": "100-continue", "Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        assert response.status == 200
        assert response.read() == "[('a', '1'), ('b', 'é')]".encode()
    finally:
        conn.close()


def test_oversized_chunked_body_is_a_413(port):
    # over the 16 MiB default of max_request_body_size, with no Content-Length to check
    chunk = b"x" * 65536
    body = (b"%x\r\n%s\r\n" % (len(chunk), chunk)) * 260 + b"0\r\n\r\n"
    out = raw_request(port, b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                            b"Content-Type: application/octet-stream\r\n"
                            b"Connection: close\r\n\r\n" + body)
    assert status_lines(out)[0] == b"HTTP/1.1 413 Request Entity Too Large", out[:200]


# -- the access log -----------------------------------------------------------------------

def test_access_log_escapes_control_characters(caplog):
    # the path (a decoded %0a) and the user name (a form field) went into the access log
    # as they were: one request could forge log lines
    from jack_runtime import App, get_field, get_session
    from jack_runtime.directory import Directory
    from jack_runtime.session import SessionManager

    class Root(Directory):
        _q_exports = ["login"]

        def login(self):
            get_session().set_user(get_field("name"))
            return "ok"

        def _q_lookup(self, name):
            return "looked up"

    app = App(Root(), session_manager=SessionManager())
    name = app.logger.access_logger.name
    with caplog.at_level(logging.INFO, logger=name):
        harness.jack_call(app, "POST", "/login",
                          form={"name": "bob\n127.0.0.1 admin 2026-01-01 forged"})
        harness.jack_call(app, "GET", "/a\r\n127.0.0.1 - forged")
    lines = [r.getMessage() for r in caplog.records if r.name == name]
    assert len(lines) == 2
    for line in lines:
        assert "\n" not in line and "\r" not in line
    assert "bob\\n127.0.0.1 admin" in lines[0]
    assert "/a\\r\\n127.0.0.1 - forged" in lines[1]


def test_multipart_filename_with_semicolon_as_browsers_send_it():
    # Chromium and Firefox quote the file name and leave ';' in it; Quixote's parse_header
    # split there, so the upload was named '"a' (then '_a' by make_safe_filename)
    from jack_runtime import App, get_field
    from jack_runtime.directory import Directory

    class Root(Directory):
        _q_exports = ["up"]

        def up(self):
            upload = get_field("file")
            return "%s|%s|%s" % (upload.orig_filename, upload.base_filename, upload.read())

    body = (b'--XyZ\r\nContent-Disposition: form-data; name="file"; '
            b'filename="a;b %22c%22.txt"\r\nContent-Type: text/plain\r\n\r\n'
            b'data\r\n--XyZ--\r\n')
    status, _, out = harness.jack_call(App(Root()), "POST", "/up", body=body,
                                       content_type="multipart/form-data; boundary=XyZ")
    assert status == "200 OK"
    assert out == b"a;b %22c%22.txt|a_b _22c_22.txt|b'data'"


def test_bad_requests_from_a_real_socket_are_logged(app_dir, tmp_path):
    # the error log (a file, as Quixote's ERROR_LOG) names each refused request, one line
    # each; a 404 is no bad request
    from jack_runtime import App

    module = load_app_module(app_dir)
    log_path = tmp_path / "error.log"
    app = App(module.Root(), error_log=str(log_path))
    try:
        with harness.serving(app, threads=2) as port:
            for request in (b"GET /echo?a=%ff HTTP/1.1\r\n",
                            b"GET /header?v=%01 HTTP/1.1\r\n",
                            b"GET /%0d%0anowhere HTTP/1.1\r\n"):
                out = raw_request(port, request + b"Host: x\r\nConnection: close\r\n\r\n")
                assert re.match(rb"HTTP/1\.1 4\d\d ", out)
        lines = log_path.read_text().splitlines()
    finally:
        # the file handler lives on the process-wide "jack.error" logger
        for handler in list(app.logger.error_logger.handlers):
            if getattr(handler, "baseFilename", None) == str(log_path):
                app.logger.error_logger.removeHandler(handler)
                handler.close()
    assert len(lines) == 2, lines  # the 404 is no bad request
    assert "bad request (400) 'GET' '/echo'" in lines[0]
    assert "bad request (400) 'GET' '/header'" in lines[1]


@pytest.fixture(scope="module")
def sync_port(app_dir):
    with gunicorn(app_dir, "sync") as port:
        yield port


@pytest.mark.parametrize("cookie", [
    b'a="' + b"\\" * 60,                                   # unterminated: 2**60 steps before
    b'a="' + (b"\\" * 31 + b'"') * 20 + b"\\" * 60,        # every quote escaped, then a tail
    b'QX_session="' + b"\\" * 61 + b'"; b="' + b"\\" * 60,
], ids=["unterminated", "escaped-quotes-then-tail", "two-cookies"])
def test_a_pathological_cookie_header_is_answered(sync_port, cookie):
    # Quixote's cookie regex backtracked exponentially on backslashes in a quoted value:
    # one 60-byte Cookie header kept a worker busy for good (a one-request DoS). On a
    # gunicorn worker (killed at teardown, should this ever come back) rather than in-process.
    out = raw_request(sync_port, b"GET /whoami HTTP/1.1\r\nHost: x\r\nCookie: " + cookie
                      + b"\r\nConnection: close\r\n\r\n")
    assert status_lines(out) == [b"HTTP/1.1 200 OK"], out[:200]
    assert out.endswith(b"user=None visits=1")


def test_cookie_parser_still_reads_what_quixote_reads():
    from quixote.http_request import parse_cookies as quixote_parse_cookies

    from jack_runtime.http.request import parse_cookies

    for text in ['QX_session="abc"; other=1, x="a\\"b"; $Path=/; c', 'a=1; a=2', "", "=;=;",
                 'a="b', 'a="\\"', 'a="\\\\"', 'a="x\\"y"z"', 'a="' + "\\" * 12 + '"' + "\\" * 7,
                 'a="\\"; b="\\\\"; c="\\é"', '"a"="b"; "=c', 'a = "q" ; b\t=\t"r"']:
        assert parse_cookies(text) == quixote_parse_cookies(text), text


def test_long_cookie_headers_parse_in_linear_time():
    # waitress accepts 256 KiB of headers. Quixote's parser took about n**2 steps on a run
    # of blanks (200k: minutes) and 2**n on backslashes; both must finish at once. Run in a
    # child process so that a regression shows as this test failing on its (generous)
    # timeout rather than as a hung test run.
    code = ("from jack_runtime.http.request import parse_cookies as p\n"
            "assert p(' ' * 200000 + '=') == {}\n"
            "assert p('\\t' * 200000 + ';a=1') == {'a': '1'}\n"
            "assert p('a=\"' + '\\\\' * 200000) == {'a': '', '\"' + '\\\\' * 200000: ''}\n"
            "assert p(' \"' * 100000) == {'\"': ''}\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
