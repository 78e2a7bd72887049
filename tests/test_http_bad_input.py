"""Bad input to the request and response: always a 4xx PublishError, never another exception."""
from __future__ import annotations

import io
import types

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jack_runtime import context
from jack_runtime.errors import (
    InvalidHeaderValueError,
    PublishError,
    QueryError,
    RequestEntityTooLargeError,
    RequestError,
)
from jack_runtime.http import HTTPRequest, HTTPResponse

MP = "multipart/form-data; boundary=B"


def request(body: bytes, ctype: str | None = None, length: str | None = None, **env) -> HTTPRequest:
    environ = {"REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "PATH_INFO": "/",
               "SERVER_NAME": "h", "SERVER_PORT": "80",
               "CONTENT_LENGTH": str(len(body)) if length is None else length}
    if ctype:
        environ["CONTENT_TYPE"] = ctype
    environ.update(env)
    return HTTPRequest(io.BytesIO(body), environ)


def error_of(req: HTTPRequest) -> PublishError:
    with pytest.raises(PublishError) as info:
        req.process_inputs()
    assert 400 <= info.value.status_code < 500
    return info.value


MALFORMED_MULTIPART = {
    "no boundary": (b"--B\r\n", "multipart/form-data"),
    "empty boundary": (b"--B\r\n", 'multipart/form-data; boundary=""'),
    "truncated": (b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue', MP),
    "no final boundary": (b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n', MP),
    "garbage": (b"\x00\xff garbage without any boundary", MP),
    "no content-disposition": (b"--B\r\nContent-Type: text/plain\r\n\r\nv\r\n--B--\r\n", MP),
    "disposition without name": (b'--B\r\nContent-Disposition: form-data\r\n\r\nv\r\n--B--\r\n', MP),
    "attachment disposition": (b'--B\r\nContent-Disposition: attachment; name="a"\r\n\r\nv\r\n--B--\r\n', MP),
    "invalid utf-8 in part header": (b'--B\r\nContent-Disposition: form-data; name="\xff"\r\n\r\nv\r\n--B--\r\n', MP),
    "invalid utf-8 in text field": (b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n\xff\xfe\r\n--B--\r\n', MP),
    "unknown part charset": (b'--B\r\nContent-Disposition: form-data; name="a"\r\n'
                             b'Content-Type: text/plain; charset=nope\r\n\r\nv\r\n--B--\r\n', MP),
    "boundary too long": (b"--" + b"B" * 300, "multipart/form-data; boundary=" + "B" * 300),
    "non-latin-1 boundary": (b"--B", "multipart/form-data; boundary=€"),
    "headers never end": (b'--B\r\nContent-Disposition: form-data; name="a"\r\nX: ' + b"y" * 5000, MP),
}


@pytest.mark.parametrize("name", sorted(MALFORMED_MULTIPART))
def test_malformed_multipart_is_a_400(name: str) -> None:
    body, ctype = MALFORMED_MULTIPART[name]
    exc = error_of(request(body, ctype))
    assert isinstance(exc, RequestError)
    assert exc.status_code == 400


@given(st.binary(max_size=400))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_multipart_bodies_parse_or_give_4xx(body: bytes) -> None:
    prefix = b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n'
    for data in (body, prefix + body, prefix + body + b"\r\n--B--\r\n"):
        req = request(data, MP)
        try:
            req.process_inputs()
        except PublishError as exc:
            assert 400 <= exc.status_code < 500


@given(st.binary(max_size=200))
@settings(max_examples=200, deadline=None)
def test_random_urlencoded_bodies_parse_or_give_400(body: bytes) -> None:
    req = request(body, "application/x-www-form-urlencoded")
    try:
        req.process_inputs()
    except RequestError as exc:
        assert exc.status_code == 400


@given(st.text(max_size=60))
@settings(max_examples=200, deadline=None)
def test_random_query_strings_parse_or_give_400(qs: str) -> None:
    # WSGI strings are latin-1 decoded bytes
    qs = qs.encode("utf-8", "surrogatepass").decode("latin-1")
    req = request(b"", QUERY_STRING=qs, REQUEST_METHOD="GET")
    try:
        req.process_inputs()
    except RequestError as exc:
        assert exc.status_code == 400


@given(st.text(max_size=60))
@settings(max_examples=200, deadline=None)
def test_malformed_cookies_never_raise(text: str) -> None:
    req = request(b"", HTTP_COOKIE=text)
    assert isinstance(req.cookies, dict)


@pytest.mark.parametrize("qs", ["a=%ff", "a=%C3", "%ff=1", "a=%E9%80"])
def test_invalid_utf8_escapes_in_query_are_a_400(qs: str) -> None:
    error_of(request(b"", QUERY_STRING=qs, REQUEST_METHOD="GET"))


def test_invalid_escapes_are_kept_literally_as_in_quixote() -> None:
    req = request(b"", QUERY_STRING="a=100%&b=%zz&c=%4", REQUEST_METHOD="GET")
    req.process_inputs()
    assert req.form == {"a": "100%", "b": "%zz", "c": "%4"}


@pytest.mark.parametrize("body,ctype", [
    (b"a=%ff", "application/x-www-form-urlencoded"),
    (b"a=\xff", "application/x-www-form-urlencoded"),
    (b"a=%41", "application/x-www-form-urlencoded; charset=bogus-charset"),
])
def test_bad_form_encoding_is_a_400(body: bytes, ctype: str) -> None:
    error_of(request(body, ctype))


@pytest.mark.parametrize("length", ["abc", "-5", "1e3"])
def test_invalid_content_length_is_a_400(length: str) -> None:
    exc = error_of(request(b"abc", "application/x-www-form-urlencoded", length=length))
    assert isinstance(exc, RequestError)


@pytest.mark.parametrize("size", [10, 25000])
def test_short_body_is_a_400(size: int) -> None:
    exc = error_of(request(b"a" * size, "application/x-www-form-urlencoded", length=str(size + 10)))
    assert "unexpected end" in str(exc)


class _Limits(HTTPRequest):
    MAX_REQUEST_BODY_SIZE = 1000
    MAX_FORM_MEMORY_SIZE = 50
    MAX_FORM_PARTS = 3


def limited(body: bytes, ctype: str) -> HTTPRequest:
    return _Limits(io.BytesIO(body), {"REQUEST_METHOD": "POST", "CONTENT_TYPE": ctype,
                                      "CONTENT_LENGTH": str(len(body))})


def parts(n: int, size: int = 1, filename: str | None = None) -> bytes:
    disp = b'; filename="%s"' % filename.encode() if filename else b""
    return b"".join(b'--B\r\nContent-Disposition: form-data; name="f%d"%s\r\n\r\n%s\r\n'
                    % (i, disp, b"x" * size) for i in range(n)) + b"--B--\r\n"


def test_body_over_the_limit_is_a_413_before_reading() -> None:
    stdin = io.BytesIO(b"x" * 1001)
    req = _Limits(stdin, {"CONTENT_LENGTH": "1001", "CONTENT_TYPE": "application/octet-stream"})
    with pytest.raises(RequestEntityTooLargeError) as info:
        req.process_inputs()
    assert info.value.status_code == 413 and isinstance(info.value, RequestError)
    assert stdin.tell() == 0


def test_chunked_body_over_the_limit_is_a_413() -> None:
    req = _Limits(io.BytesIO(b"x" * 1001), {"HTTP_TRANSFER_ENCODING": "chunked",
                                            "wsgi.input_terminated": True})
    with pytest.raises(RequestEntityTooLargeError):
        req.process_inputs()


def test_urlencoded_over_form_memory_is_a_413() -> None:
    with pytest.raises(RequestEntityTooLargeError):
        limited(b"a=" + b"x" * 60, "application/x-www-form-urlencoded").process_inputs()
    limited(b"a=" + b"x" * 40, "application/x-www-form-urlencoded").process_inputs()


def test_too_many_parts_is_a_413() -> None:
    limited(parts(3), MP).process_inputs()
    with pytest.raises(RequestEntityTooLargeError):
        limited(parts(4), MP).process_inputs()


def test_text_fields_over_form_memory_is_a_413_but_files_are_not_counted() -> None:
    with pytest.raises(RequestEntityTooLargeError):
        limited(parts(2, size=30), MP).process_inputs()
    req = limited(parts(1, size=90, filename="big.bin"), MP)
    req.process_inputs()
    assert req.get_field("f0").get_size() == 90


def test_limits_come_from_the_current_app_config() -> None:
    app = types.SimpleNamespace(config=types.SimpleNamespace(
        max_request_body_size=10, max_form_memory_size=None, max_form_parts=None))
    req = request(b"a=" + b"x" * 20, "application/x-www-form-urlencoded")
    token = context.bind(app, req)
    try:
        with pytest.raises(RequestEntityTooLargeError):
            req.process_inputs()
    finally:
        context.unbind(token)
    # None means no limit
    app.config.max_request_body_size = None
    req = request(b"a=" + b"x" * 2000, "application/x-www-form-urlencoded")
    token = context.bind(app, req)
    try:
        req.process_inputs()
    finally:
        context.unbind(token)
    assert len(req.form["a"]) == 2000


# -- response side: CR/LF never reaches the wire ---------------------------------------------

@pytest.mark.parametrize("target", [
    "http://example.org/\r\nSet-Cookie: evil=1",
    "http://example.org/\nX: y",
    "http://example.org/\x00",
])
def test_crlf_in_redirect_target_is_a_400(target: str) -> None:
    response = HTTPResponse()
    with pytest.raises(InvalidHeaderValueError) as info:
        response.redirect(target)
    exc = info.value
    assert exc.status_code == 400
    assert isinstance(exc, QueryError) and isinstance(exc, ValueError)
    assert "location" not in response.headers and response.status_code == 200


def test_crlf_via_context_redirect_never_reaches_the_header() -> None:
    # quixote.redirect's urljoin already strips CR/LF/TAB (Python's URL parser does)
    req = request(b"", REQUEST_METHOD="GET", HTTP_HOST="h")
    token = context.bind(types.SimpleNamespace(config=None), req)
    try:
        context.redirect("/next\r\nSet-Cookie: a=b")
    finally:
        context.unbind(token)
    location = dict(req.response.wsgi_headers())["Location"]
    assert "\r" not in location and "\n" not in location
    assert location.startswith("http://h/next")


def test_crlf_in_headers_and_cookies_is_refused() -> None:
    response = HTTPResponse()
    for call in (lambda: response.set_header("X-A", "a\r\nb"),
                 lambda: response.set_header("X-A\n", "a"),
                 lambda: response.set_cookie("c", "v\r\nX: 1"),
                 lambda: response.set_cookie("c", "v", path="/\n"),
                 lambda: response.set_cookie("a=b", "v"),
                 lambda: response.set_status(200, "OK\r\nX: 1"),
                 lambda: response.set_content_type("text/html\r\nX: 1"),
                 lambda: response.set_charset("utf-8\n")):
        with pytest.raises(InvalidHeaderValueError):
            call()
    assert response.headers == {} and response.cookies == {}


def test_values_that_bypass_the_setters_are_dropped(caplog) -> None:
    response = HTTPResponse()
    response.headers["x-bad"] = "a\r\nInjected: 1"
    response.headers["x-good"] = "fine\tvalue"
    response.content_type = "text/html\nX: 1"
    response.cookies["c"] = {"value": "v\r\nX: 1"}
    response.set_body("body")
    headers = response.wsgi_headers()
    assert all("\n" not in v and "\r" not in v for _, v in headers)
    names = [n for n, _ in headers]
    assert "X-Bad" not in names and "Content-Type" not in names and "Set-Cookie" not in names
    assert ("X-Good", "fine\tvalue") in headers
    assert "dropped response header" in caplog.text
