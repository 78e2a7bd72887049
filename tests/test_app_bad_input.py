"""Malformed requests at the App level: always a clear 4xx (never a 500), and logged."""
from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import harness
from jack_runtime import App, context
from jack_runtime.directory import Directory


class Root(Directory):
    _q_exports = ["", "form"]

    def _q_index(self):
        return "index"

    def form(self):
        return repr(sorted(context.get_request().form.items()))


def call(method, path, *, config=None, **kw):
    return harness.jack_call(App(Root(), **(config or {})), method, path, **kw)


MULTIPART = "multipart/form-data; boundary=XyZ"


def _parts(n):
    return "".join('--XyZ\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' % i
                   for i in range(n)) + "--XyZ--\r\n"


BAD = [
    # (id, method, path, kwargs, expected status)
    ("content-length-not-a-number", "POST", "/form",
     {"body": b"a=1", "extra": {"CONTENT_LENGTH": "abc"}}, 400),
    ("content-length-negative", "POST", "/form",
     {"body": b"a=1", "extra": {"CONTENT_LENGTH": "-1"}}, 400),
    ("body-shorter-than-content-length", "POST", "/form",
     {"body": b"a=1", "content_type": "application/x-www-form-urlencoded",
      "extra": {"CONTENT_LENGTH": "100"}}, 400),
    ("multipart-without-boundary", "POST", "/form",
     {"body": b"--x\r\n", "content_type": "multipart/form-data"}, 400),
    ("multipart-garbage", "POST", "/form",
     {"body": b"this is not multipart at all", "content_type": MULTIPART}, 400),
    ("multipart-unterminated", "POST", "/form",
     {"body": b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue',
      "content_type": MULTIPART}, 400),
    ("invalid-utf8-path", "GET", "/%FF%FE", {}, 400),
    ("invalid-utf8-query", "GET", "/form?x=%FF", {}, 400),
    ("invalid-utf8-form", "POST", "/form",
     {"body": b"x=%C3%28", "content_type": "application/x-www-form-urlencoded"}, 400),
    ("unknown-form-charset", "POST", "/form",
     {"body": b"x=%E9", "content_type": "application/x-www-form-urlencoded; charset=nope"}, 400),
    ("oversized-body", "POST", "/form",
     {"body": b"x=" + b"a" * 100, "content_type": "application/x-www-form-urlencoded",
      "config": {"max_request_body_size": 50}}, 413),
    ("too-many-parts", "POST", "/form",
     {"body": _parts(20), "content_type": MULTIPART, "config": {"max_form_parts": 5}}, 413),
]


@pytest.mark.parametrize("method,path,kwargs,status", [b[1:] for b in BAD],
                         ids=[b[0] for b in BAD])
def test_bad_input_is_4xx_and_logged(method, path, kwargs, status, caplog):
    kwargs = dict(kwargs)
    config = kwargs.pop("config", None)
    with caplog.at_level(logging.WARNING, logger="jack.error"):
        result = call(method, path, config=config, **kwargs)
    assert result[0].split()[0] == str(status), result
    assert b"Traceback" not in result[2]
    assert "bad request (%d)" % status in caplog.text
    assert "exception caught" not in caplog.text


@pytest.mark.parametrize("kwargs,expected", [
    ({"cookies": {"a": "b"}, "headers": {"Cookie": '"; ;;=x, $Path=/; =; a="unterminated'}},
     "200"),
    ({"query": "x=100%&y=%zz"}, "200"),  # invalid %-escapes are kept, as in Quixote
    ({"query": "=&&=&x"}, "200"),
])
def test_lenient_inputs_are_accepted(kwargs, expected):
    result = call("GET", "/form", **kwargs)
    assert result[0].split()[0] == expected


def test_lenient_inputs_match_quixote():
    # the same tolerant parsing as Quixote: compare the parsed form
    def make_root(q):
        class R(q.Directory):
            _q_exports = ["form"]

            def form(self):
                request = q.get_request()
                return repr(sorted(request.form.items())) + repr(sorted(request.cookies.items()))
        return R()

    q, j = harness.differential(make_root, "GET", "/form", query="x=100%&y=%zz&=&&z",
                                headers={"Cookie": 'a=1; b="q\\"x"; $Path=/; c=3, d=4'})
    harness.assert_same(q, j)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=st.sampled_from(["GET", "POST", "PUT", "HEAD", "BREW"]),
       path=st.binary(max_size=20), query=st.binary(max_size=20), body=st.binary(max_size=60),
       content_type=st.sampled_from([None, "application/x-www-form-urlencoded",
                                     "multipart/form-data", MULTIPART,
                                     "multipart/form-data; boundary=", "text/plain",
                                     "application/x-www-form-urlencoded; charset=latin-9"]),
       length=st.sampled_from([None, "", "0", "5", "-3", "1e3", "99999999999999999999"]))
def test_fuzzed_requests_never_500(method, path, query, body, content_type, length):
    extra = {"PATH_INFO": "/" + path.decode("latin-1"),
             "QUERY_STRING": query.decode("latin-1")}
    if length is not None:
        extra["CONTENT_LENGTH"] = length
    app = App(Root())
    status = harness.wsgi_call(app, harness.make_environ(
        method, "/", body=body, content_type=content_type, extra=extra))[0]
    assert not status.startswith("5"), status
