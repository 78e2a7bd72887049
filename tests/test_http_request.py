"""HTTPRequest: accessor-by-accessor differential tests against Quixote 3.8, plus Jack's
deliberate fixes (UTF-8 paths, wsgi.url_scheme, lazy parsing)."""
from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from quixote import http_request as qreq

from jack_runtime.errors import RequestError
from jack_runtime.http import HTTPRequest, HTTPResponse, Upload
from jack_runtime.http import request as jreq

BASE_ENVIRON = {
    "REQUEST_METHOD": "GET",
    "SCRIPT_NAME": "",
    "PATH_INFO": "/",
    "QUERY_STRING": "",
    "SERVER_NAME": "example.org",
    "SERVER_PORT": "80",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "127.0.0.1",
}


def environ(**kw: str) -> dict:
    env = dict(BASE_ENVIRON)
    env.update(kw)
    return env


def pair(env: dict, body: bytes = b"", process: bool = True):
    """The same request as a Quixote and a Jack HTTPRequest (separate environ copies)."""
    qenv, jenv = dict(env), dict(env)
    if body:
        qenv.setdefault("CONTENT_LENGTH", str(len(body)))
        jenv.setdefault("CONTENT_LENGTH", str(len(body)))
    q = qreq.HTTPRequest(io.BytesIO(body), qenv)
    j = HTTPRequest(io.BytesIO(body), jenv)
    if process:
        q.process_inputs()
        j.process_inputs()
    return q, j


def normalize(value):
    """Form values with Upload objects replaced by comparable tuples."""
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, (qreq.Upload, Upload)):
        data = value.fp.read() if value.fp is not None else None
        value.fp.seek(0)
        return ("Upload", value.orig_filename, value.base_filename, value.content_type,
                value.charset, data, value.get_size(), str(value))
    return value


def form_of(request) -> dict:
    return {k: normalize(v) for k, v in request.form.items()}


def assert_same_accessors(q, j) -> None:
    assert j.get_method() == q.get_method()
    assert j.get_scheme() == q.get_scheme() == j.scheme
    assert j.get_server() == q.get_server()
    assert j.get_query() == q.get_query()
    assert j.get_path_query() == q.get_path_query()
    path = q.get_path()
    assert j.get_path() == path
    ncomp = len(path.split("/")) - 1
    for n in range(-ncomp - 1, ncomp + 2):
        try:
            expected = ("ok", q.get_path(n), q.get_url(n))
        except ValueError:
            expected = ("ValueError",)
        try:
            got = ("ok", j.get_path(n), j.get_url(n))
        except ValueError:
            got = ("ValueError",)
        assert got == expected, n
    assert j.get_url() == q.get_url()
    for name in ("Content-Type", "CONTENT_TYPE", "HTTP_CONTENT_TYPE", "user-agent", "Host",
                 "accept-encoding", "X-Missing", "cookie", "REMOTE_ADDR"):
        assert j.get_header(name) == q.get_header(name), name
        assert j.get_header(name, "dflt") == q.get_header(name, "dflt"), name
    for key in ("SERVER_NAME", "REMOTE_ADDR", "NOPE"):
        assert j.get_environ(key) == q.get_environ(key)
        assert j.get_environ(key, 7) == q.get_environ(key, 7)
    assert j.get_cookies() == q.get_cookies() == j.cookies
    for name in list(q.cookies) + ["missing"]:
        assert j.get_cookie(name) == q.get_cookie(name)
        assert j.get_cookie(name, "d") == q.get_cookie(name, "d")
    assert form_of(j) == form_of(q)
    assert {k: normalize(v) for k, v in j.get_fields().items()} == form_of(q)
    assert [(k, normalize(v)) for k, v in j.formiter()] == [(k, normalize(v)) for k, v in q.formiter()]
    for name in list(q.form) + ["missing"]:
        assert normalize(j.get_field(name)) == normalize(q.get_field(name))
        assert normalize(j.get_field(name, "d")) == normalize(q.get_field(name, "d"))
    for encodings in (["gzip"], ["br", "gzip"], ["deflate", "identity"], []):
        assert j.get_encoding(encodings) == q.get_encoding(encodings)
    assert j.get_accepted_types() == q.get_accepted_types()
    assert j.guess_browser_version() == q.guess_browser_version()
    assert j.charset == q.charset
    assert j.session is None and q.session is None
    assert isinstance(j.response, HTTPResponse)


USER_AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)",
    "Mozilla/5.0 (compatible; Konqueror/3.5; Linux)",
    "Opera/9.80 (Windows NT 6.1; U; en) Presto/2.10.289 Version/12.02",
    "curl/8.4.0",
    "Mozilla/5.0 (compatible; (nested; comment); MSIE 5.5)",
    "((((",
    "",
    "Lynx",
]

GET_CASES = [
    environ(),
    environ(PATH_INFO="/a/b/c", QUERY_STRING="x=1&y=2&x=3&flag&=empty&&z=%41%42+c"),
    environ(SCRIPT_NAME="/app", PATH_INFO="/dir/", QUERY_STRING="q=caf%C3%A9"),
    environ(PATH_INFO="", SCRIPT_NAME="/mount"),
    environ(PATH_INFO="/a b/%zz", QUERY_STRING="a=100%&b=%zz&c=%"),
    environ(HTTP_HOST="example.com:8080", PATH_INFO="/x"),
    environ(SERVER_PORT="8000"),
    environ(SERVER_PORT="443", HTTPS="on"),
    environ(SERVER_PORT="443", HTTPS="yes"),
    environ(SERVER_PORT="8443", SERVER_PORT_SECURE="1"),
    environ(SERVER_PORT="80", SERVER_PORT_SECURE="0"),
    environ(SERVER_PORT=""),
    environ(HTTP_COOKIE='a=1; b="quoted \\"x\\" y"; $Path=/; c=; d=x,e=y;;  f = 5 '),
    environ(HTTP_COOKIE="garbage;;;===;a"),
    environ(HTTP_ACCEPT="text/html;q=0.9, application/xhtml+xml, */*;q=0.1, *, image/png;q=0, text/plain;q=abc",
            HTTP_ACCEPT_ENCODING="gzip;q=1.0, identity; q=0.5, *;q=0, br;q=0"),
    environ(HTTP_ACCEPT_ENCODING="deflate"),
    environ(HTTP_ACCEPT_ENCODING=",,,"),
    environ(REQUEST_METHOD="HEAD", PATH_INFO="/trailing/slash/"),
    environ(CONTENT_TYPE="text/plain", REQUEST_METHOD="PUT"),
] + [environ(HTTP_USER_AGENT=ua) for ua in USER_AGENTS]


@pytest.mark.parametrize("env", GET_CASES)
def test_get_requests_match_quixote(env: dict) -> None:
    q, j = pair(env)
    assert_same_accessors(q, j)
    assert j.dump() == q.dump()


def test_missing_method_defaults_to_get() -> None:
    env = environ()
    del env["REQUEST_METHOD"]
    q, j = pair(env)
    assert j.get_method() == q.get_method() == "GET"


def multipart(parts: list[tuple[str, str | None, bytes, str | None]], boundary: str = "XyZzY",
              preamble: bytes = b"") -> tuple[bytes, str]:
    """(name, filename, data, content_type) parts as a multipart/form-data body."""
    out = [preamble]
    for name, filename, data, ctype in parts:
        out.append(b"--" + boundary.encode() + b"\r\n")
        disp = 'Content-Disposition: form-data; name="%s"' % name
        if filename is not None:
            disp += '; filename="%s"' % filename
        out.append(disp.encode("utf-8") + b"\r\n")
        if ctype:
            out.append(b"Content-Type: " + ctype.encode() + b"\r\n")
        out.append(b"\r\n" + data + b"\r\n")
    out.append(b"--" + boundary.encode() + b"--\r\n")
    return b"".join(out), "multipart/form-data; boundary=%s" % boundary


POST_CASES = [
    ("urlencoded", b"a=1&b=two+words&c=%C3%A9", "application/x-www-form-urlencoded", "a=q&d=4"),
    ("urlencoded charset", b"a=%E9", "application/x-www-form-urlencoded; charset=latin-1", ""),
    ("urlencoded replaces query", b"a=p&a=p2", "application/x-www-form-urlencoded", "a=q&b=q"),
    ("multipart text", *multipart([("a", None, b"hello", None), ("b", None, "é".encode(), None)]), ""),
    ("multipart adds to query", *multipart([("a", None, b"p", None)]), "a=q"),
    ("multipart repeated", *multipart([("a", None, b"1", None), ("a", None, b"2", None),
                                       ("a", "f.txt", b"3", "text/plain")]), ""),
    ("multipart upload", *multipart([("f", "C:\\dir\\my file (1).txt", b"line1\r\nline2\r\n", "text/plain"),
                                     ("g", "/tmp/x.bin", bytes(range(256)) * 40, "application/octet-stream"),
                                     ("h", "mac:name", b"", None)]), ""),
    ("multipart empty filename is text", *multipart([("f", "", b"text", None)]), ""),
    ("multipart part charset", *multipart([("a", None, "é".encode("latin-1"), "text/plain; charset=latin-1")]), ""),
    ("multipart preamble", *multipart([("a", None, b"x", None)], preamble=b"ignore me\r\n"), ""),
    ("multipart big text", *multipart([("a", None, b"x" * 50000, None)]), ""),
    ("multipart quoted boundary", multipart([("a", None, b"v", None)], boundary="b-1")[0],
     'multipart/form-data; boundary="b-1"', ""),
    ("multipart with charset param", multipart([("a", None, "é".encode("latin-1"), None)])[0],
     "multipart/form-data; boundary=XyZzY; charset=latin-1", ""),
    ("other type untouched", b'{"a": 1}', "application/json", "x=1"),
]


@pytest.mark.parametrize("case", POST_CASES, ids=[c[0] for c in POST_CASES])
def test_post_requests_match_quixote(case) -> None:
    _, body, ctype, query = case
    env = environ(REQUEST_METHOD="POST", CONTENT_TYPE=ctype, QUERY_STRING=query)
    q, j = pair(env, body)
    assert_same_accessors(q, j)
    # the buffered body is there for the application, as in Quixote
    assert j.stdin.tell() == q.stdin.tell()
    j.stdin.seek(0)
    q.stdin.seek(0)
    assert j.stdin.read() == q.stdin.read() == body
    assert j.body_is_seekable and q.body_is_seekable


def test_process_inputs_twice_rebuilds_the_form() -> None:
    body, ctype = multipart([("a", None, b"1", None), ("f", "x.txt", b"data", None)])
    env = environ(REQUEST_METHOD="POST", CONTENT_TYPE=ctype, QUERY_STRING="q=1")
    q, j = pair(env, body)
    q.process_inputs()
    j.process_inputs()
    assert form_of(j) == form_of(q)
    assert j.get_field("f").read() == b"data"


def test_upload_object_api() -> None:
    body, ctype = multipart([("f", "dir/report.pdf", b"abc\ndef\n", "application/pdf")])
    _, j = pair(environ(REQUEST_METHOD="POST", CONTENT_TYPE=ctype), body)
    up = j.get_field("f")
    assert isinstance(up, Upload)
    assert (up.orig_filename, up.base_filename, up.content_type) == ("dir/report.pdf", "report.pdf", "application/pdf")
    assert up.get_size() == 8
    assert up.readline() == b"abc\n"
    assert up.readlines() == [b"def\n"]
    up.fp.seek(0)
    assert list(up) == [b"abc\n", b"def\n"]
    up.fp.seek(0)
    assert up.read(3) == b"abc" and up.read() == b"\ndef\n"
    assert str(up) == "dir/report.pdf" and "report.pdf" in repr(up)
    up.close()
    assert Upload(None).base_filename is None and Upload(None).get_size() == 0


@given(st.text(alphabet="ab=&%+2C3A9ézZ ;", max_size=30),
       st.sampled_from(["utf-8", "latin-1", "utf-16", "no-such-charset"]))
@settings(max_examples=400, deadline=None)
def test_parse_query_matches_quixote(qs: str, charset: str) -> None:
    def run(fn):
        try:
            return fn(qs, charset)
        except Exception as exc:  # RequestError from either side
            return type(exc).__name__
    assert run(jreq.parse_query) == run(qreq.parse_query)


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_parse_cookies_matches_quixote_and_never_raises(text: str) -> None:
    assert jreq.parse_cookies(text) == qreq.parse_cookies(text)


@given(st.text(alphabet="/ab.%", max_size=12), st.text(alphabet="/ab", max_size=6),
       st.integers(-8, 8))
@settings(max_examples=300, deadline=None)
def test_get_path_matches_quixote(path: str, script: str, n: int) -> None:
    q, j = pair(environ(PATH_INFO=path, SCRIPT_NAME=script), process=False)
    def run(r):
        try:
            return r.get_path(n), r.get_url(n)
        except ValueError:
            return "ValueError"
    assert run(j) == run(q)


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c d", "x-y"]),
                          st.one_of(st.none(), st.sampled_from(["f.txt", "C:\\x\\y.bin"])),
                          st.binary(max_size=300).filter(lambda b: b"XyZzY" not in b)),
                max_size=5))
@settings(max_examples=80, deadline=None)
def test_multipart_matches_quixote(parts) -> None:
    body, ctype = multipart([(n, f, d, None) for n, f, d in parts])
    env = environ(REQUEST_METHOD="POST", CONTENT_TYPE=ctype, QUERY_STRING="a=q")
    def run(cls):
        r = cls(io.BytesIO(body), dict(env, CONTENT_LENGTH=str(len(body))))
        try:
            r.process_inputs()
        except Exception as exc:
            return type(exc).__name__
        return form_of(r)
    assert run(HTTPRequest) == run(qreq.HTTPRequest)


def test_module_helpers_match_quixote() -> None:
    for line in ['form-data; name="a"; filename="C:\\x\\y.txt"', "text/HTML; Charset=UTF-8",
                 'multipart/form-data; boundary="abc"', "", ";;", "a; b; c=", 'x; y="']:
        assert jreq.parse_header(line) == qreq.parse_header(line)
    import email.header
    h = email.header.Header("text/plain; charset=x")
    assert jreq.parse_header(h) == qreq.parse_header(h)
    assert jreq.parse_content_disposition('form-data; name="f"; filename="a.txt"') == ("f", "a.txt")
    for bad in ("attachment; name=x", "form-data", "form-data; name="):
        with pytest.raises(RequestError):
            jreq.parse_content_disposition(bad)
    for env in ({}, {"CONTENT_TYPE": ""}, {"CONTENT_TYPE": "text/html; charset=x"}):
        assert jreq.get_content_type(env) == qreq.get_content_type(env)
    for name in ["a b.txt", "ü/..\\x:y", "ok@&+=.,-_"]:
        assert jreq.make_safe_filename(name) == qreq.make_safe_filename(name)


# -- Jack's deliberate differences ---------------------------------------------------------

def test_multipart_part_headers_are_utf8() -> None:
    body, ctype = multipart([("é", None, b"v", None), ("f", "rép.txt", b"d", None)])
    q, j = pair(environ(REQUEST_METHOD="POST", CONTENT_TYPE=ctype), body)
    assert j.get_field("é") == "v"
    assert j.get_field("f").orig_filename == "rép.txt"
    assert j.get_field("f").base_filename == "rép.txt"
    assert "\udcc3\udca9" in q.form  # Quixote: ASCII with surrogate escapes


def test_non_ascii_path_is_decoded_as_utf8() -> None:
    # WSGI hands PATH_INFO over as latin-1 decoded bytes
    raw = "/café/€".encode("utf-8").decode("latin-1")
    env = environ(PATH_INFO=raw, SCRIPT_NAME="/ünï".encode("utf-8").decode("latin-1"))
    q, j = pair(env)
    assert j.get_path() == "/ünï/café/€"
    assert j.environ["PATH_INFO"] == "/café/€"  # traversal reads the environ
    assert j.get_url() == "http://example.org/%C3%BCn%C3%AF/caf%C3%A9/%E2%82%AC"
    assert q.get_path() != j.get_path()  # Quixote keeps the mojibake
    # a second request object on the same environ does not decode twice
    again = HTTPRequest(io.BytesIO(), j.environ)
    assert again.get_path() == "/ünï/café/€"


def test_path_already_decoded_by_server_is_kept() -> None:
    j = HTTPRequest(io.BytesIO(), environ(PATH_INFO="/€uro"))
    j.process_inputs()
    assert j.get_path() == "/€uro"


def test_invalid_utf8_path_is_a_400() -> None:
    j = HTTPRequest(io.BytesIO(), environ(PATH_INFO="/caf\xe9"))  # latin-1 byte, not UTF-8
    with pytest.raises(RequestError) as info:
        j.process_inputs()
    assert info.value.status_code == 400


def test_raw_utf8_bytes_in_query_are_decoded() -> None:
    raw = "q=café&r=%C3%A9".encode("utf-8").decode("latin-1")
    _, j = pair(environ(QUERY_STRING=raw))
    assert j.form == {"q": "café", "r": "é"}
    bad = HTTPRequest(io.BytesIO(), environ(QUERY_STRING="q=\xff"))
    with pytest.raises(RequestError):
        bad.process_inputs()


@pytest.mark.parametrize("scheme,expected", [("https", "https"), ("http", "http")])
def test_wsgi_url_scheme_is_honoured(scheme: str, expected: str) -> None:
    j = HTTPRequest(io.BytesIO(), environ(**{"wsgi.url_scheme": scheme, "SERVER_PORT": "443"}))
    assert j.get_scheme() == expected
    assert j.get_server() == ("example.org" if expected == "https" else "example.org:443")
    assert j.get_url().startswith(expected + "://")


def test_constructor_parses_nothing() -> None:
    env = environ(HTTP_COOKIE="a=1", CONTENT_LENGTH="junk", QUERY_STRING="x=1")
    j = HTTPRequest(io.BytesIO(), env)  # Quixote raises RequestError here
    assert "_cookies" not in vars(j) and "_scheme" not in vars(j)
    assert j.form == {}
    assert j.get_cookie("a") == "1"
    with pytest.raises(RequestError):
        j.process_inputs()


def test_attributes_can_be_assigned() -> None:
    j = HTTPRequest(io.BytesIO(), environ())
    j.cookies = {"x": "y"}
    j.scheme = "https"
    j.session = "s"
    assert j.get_cookie("x") == "y" and j.get_url().startswith("https://") and j.session == "s"


def test_seekable_stdin_is_rewound() -> None:
    stdin = io.BytesIO(b"a=1")
    stdin.read()
    j = HTTPRequest(stdin, environ(REQUEST_METHOD="POST", CONTENT_LENGTH="3",
                                   CONTENT_TYPE="application/x-www-form-urlencoded"), seekable=True)
    j.process_inputs()
    assert j.form == {"a": "1"}


def test_chunked_body_without_length_is_read() -> None:
    body = b"a=1&b=2"
    env = environ(REQUEST_METHOD="POST", CONTENT_TYPE="application/x-www-form-urlencoded",
                  HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input_terminated": True})
    j = HTTPRequest(io.BytesIO(body), env)
    j.process_inputs()
    assert j.form == {"a": "1", "b": "2"}


def test_iis_path_fix() -> None:
    env = environ(SERVER_SOFTWARE="Microsoft-IIS/10.0", SCRIPT_NAME="/cgi/q.py",
                  PATH_INFO="/cgi/q.py/foo/bar")
    q, j = pair(env)
    assert j.get_path() == q.get_path() == "/cgi/q.py/foo/bar"
    assert j.environ["PATH_INFO"] == "/foo/bar"


def test_default_charset_follows_the_package_setting(monkeypatch) -> None:
    import jack_runtime
    monkeypatch.setattr(jack_runtime, "DEFAULT_CHARSET", "iso-8859-1")
    j = HTTPRequest(io.BytesIO(), environ())
    assert j.charset == "iso-8859-1" and j.response.charset == "iso-8859-1"
