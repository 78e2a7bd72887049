"""App: Publisher's lifecycle and hooks (compared with Quixote 3.8 call by call), errors,
session commit/abort, pluggable request/response classes, the request context, many Apps."""
from __future__ import annotations

import logging
import warnings
from wsgiref.validate import validator

import pytest

import harness
import jack_runtime
from jack_runtime import App, context
from jack_runtime.config import Config
from jack_runtime.directory import Directory
from jack_runtime.errors import PublishError, RequestError
from jack_runtime.http.request import HTTPRequest
from jack_runtime.http.response import HTTPResponse, Stream

HOOKS = ["parse_request", "start_request", "try_publish", "finish_successful_request",
         "finish_interrupted_request", "finish_failed_request", "format_publish_error",
         "filter_output", "_generate_internal_error"]


def recording(cls, calls):
    """A subclass of ``cls`` appending each hook's name to ``calls`` before running it."""
    def make(name):
        def hook(self, *args, **kwargs):
            calls.append(name)
            return getattr(cls, name)(self, *args, **kwargs)
        return hook
    return type("Recording" + cls.__name__, (cls,), {name: make(name) for name in HOOKS})


def recording_manager(base, calls):
    class Manager(base):
        def start_request(self):
            calls.append("sm.start_request")

        def finish_successful_request(self):
            calls.append("sm.finish_successful_request")

        def finish_failed_request(self):
            calls.append("sm.finish_failed_request")
    return Manager()


def make_root(q):
    class Root(q.Directory):
        _q_exports = ["", "ok", "publish_error", "boom", "sub", "empty"]

        def _q_index(self):
            return "index"

        def ok(self):
            return "ok"

        def empty(self):
            return ""

        def publish_error(self):
            raise q.AccessError("no")

        def boom(self):
            raise RuntimeError("boom")

        class sub(q.Directory):
            _q_exports = [""]
        sub = sub()
    return Root()


@pytest.mark.parametrize("method,path", [
    ("GET", "/ok"), ("GET", "/empty"), ("GET", "/publish_error"), ("GET", "/boom"),
    ("GET", "/nope"), ("GET", "ok"), ("GET", "/sub"), ("PUT", "/ok"),
])
def test_hook_order_matches_quixote(method, path):
    from quixote.publish import Publisher
    from quixote.session import NullSessionManager as QNull

    from jack_runtime.session import NullSessionManager

    q_calls, j_calls = [], []

    def publisher():
        cls = recording(Publisher, q_calls)
        return cls(make_root(harness.quixote_flavour()), logger=harness.QuixoteLog(),
                   session_manager=recording_manager(QNull, q_calls))

    q = harness.quixote_call(publisher, method, path)
    app = recording(App, j_calls)(make_root(harness.jack_flavour()),
                                  session_manager=recording_manager(NullSessionManager, j_calls))
    j = harness.jack_call(app, method, path)
    harness.assert_same(q, j)
    assert j_calls == q_calls
    assert j_calls[0] == "parse_request" and "filter_output" in j_calls


class Recorder(Directory):
    _q_exports = ["", "page", "stream", "fail", "exit", "redirect_crlf"]

    def _q_index(self):
        return "index"

    def page(self):
        request = context.current_request()
        return "%s %s %s" % (request.get_path(), context.get_field("x"),
                             type(request).__name__)

    def stream(self):
        def chunks():
            # runs while the server iterates the body, after App.__call__ returned
            yield ("path=%s;" % context.get_path()).encode()
            yield ("field=%s;" % context.get_field("x")).encode()
            yield ("app=%s" % context.get_app().name).encode()
        return Stream(chunks())

    def fail(self):
        raise RuntimeError("it failed")

    def exit(self):
        raise SystemExit(3)

    def redirect_crlf(self):
        return context.redirect("/x\r\nSet-Cookie: evil=1")


class NamedApp(App):
    def __init__(self, name, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.name = name


def test_body_iterates_in_request_context():
    app = NamedApp("a", Recorder())
    environ = harness.make_environ("GET", "/stream", query="x=1")
    captured = {}
    body = app(environ, lambda status, headers: captured.setdefault("status", status))
    assert context.get_request() is None  # nothing leaks out of the call
    assert b"".join(body) == b"path=/stream;field=1;app=a"
    body.close()
    assert context.get_request() is None
    assert captured["status"] == "200 OK"


def test_two_apps_interleaved_do_not_interfere():
    a = NamedApp("a", Recorder(), display_exceptions="plain")
    b = NamedApp("b", Recorder(), allowed_methods=["GET"])
    body_a = a(harness.make_environ("GET", "/stream", query="x=A"), lambda *args: None)
    body_b = b(harness.make_environ("GET", "/stream", query="x=B"), lambda *args: None)
    # interleave the two bodies step by step
    it_a, it_b = iter(body_a), iter(body_b)
    out_a, out_b = [], []
    for _ in range(3):
        out_a.append(next(it_a))
        out_b.append(next(it_b))
    assert b"".join(out_a) == b"path=/stream;field=A;app=a"
    assert b"".join(out_b) == b"path=/stream;field=B;app=b"
    # configs are per App: POST is allowed on a, not on b; a shows tracebacks, b does not
    assert harness.jack_call(a, "POST", "/page")[0] == "200 OK"
    assert harness.jack_call(b, "POST", "/page")[0] == "405 Method Not Allowed"
    assert b"Traceback" in harness.jack_call(a, "GET", "/fail")[2]
    assert b"Traceback" not in harness.jack_call(b, "GET", "/fail")[2]


def test_app_inside_app_restores_outer_context():
    inner = NamedApp("inner", Recorder())

    class Outer(Directory):
        _q_exports = ["call"]

        def call(self):
            before = context.get_request()
            status, _, body = harness.jack_call(inner, "GET", "/page", query="x=in")
            assert context.get_request() is before
            return body + b" / " + context.get_path().encode()

    status, _, body = harness.jack_call(App(Outer()), "GET", "/call")
    assert body == b"/page in HTTPRequest / /call"


def test_request_and_response_classes_are_pluggable():
    class MyResponse(HTTPResponse):
        DEFAULT_CONTENT_TYPE = "text/x-mine"

    class MyRequest(HTTPRequest):
        response_class = MyResponse

    class MyApp(App):
        request_class = MyRequest
        response_class = MyResponse

    app = MyApp(Recorder())
    status, headers, body = harness.jack_call(app, "GET", "/page", query="x=2")
    assert body == b"/page 2 MyRequest"
    assert ("Content-Type", "text/x-mine; charset=utf-8") in headers
    # error pages are built with response_class too
    status, headers, _ = harness.jack_call(app, "GET", "/nope")
    assert status.startswith("404") and ("Content-Type", "text/x-mine; charset=utf-8") in headers
    # and on an instance
    app = App(Recorder())
    app.request_class = MyRequest
    assert harness.jack_call(app, "GET", "/page")[2] == b"/page None MyRequest"


def test_internal_error_hides_traceback_and_logs_it(caplog):
    app = App(Recorder())
    with caplog.at_level(logging.ERROR, logger="jack.error"):
        status, headers, body = harness.jack_call(app, "GET", "/fail")
    assert status == "500 Internal Server Error"
    assert ("Content-Type", "text/html") in headers
    assert b"it failed" not in body and b"Internal Server Error" in body
    assert "RuntimeError: it failed" in caplog.text and "Traceback" in caplog.text


def test_display_exceptions_shows_plain_traceback():
    app = App(Recorder(), display_exceptions="plain")
    status, headers, body = harness.jack_call(app, "GET", "/fail")
    assert status == "500 Internal Server Error"
    assert ("Content-Type", "text/plain; charset=utf-8") in headers or \
        ("Content-Type", "text/plain") in headers
    assert body.startswith(b"Traceback") and b"RuntimeError: it failed" in body


def test_system_exit_is_logged_and_reraised(caplog):
    app = App(Recorder())
    with caplog.at_level(logging.ERROR, logger="jack.error"):
        with pytest.raises(SystemExit):
            harness.jack_call(app, "GET", "/exit")
    assert "SystemExit: 3" in caplog.text
    assert context.get_request() is None


class StoreDown(PublishError):
    status_code = 503
    title = "Service unavailable"


class FlakyManager:
    """A session manager failing at a chosen step, recording what it was asked."""

    def __init__(self, fail_at, exc):
        self.fail_at, self.exc, self.calls = fail_at, exc, []

    def _step(self, name):
        self.calls.append(name)
        if name in self.fail_at:
            raise self.exc

    def start_request(self):
        self._step("start")

    def finish_successful_request(self):
        self._step("commit")

    def finish_failed_request(self):
        self._step("abort")


@pytest.mark.parametrize("fail_at,path,status,calls", [
    ({"start"}, "/page", "503", ["start", "commit"]),
    ({"commit"}, "/page", "503", ["start", "commit", "commit"]),
    ({"start", "commit"}, "/page", "503", ["start", "commit"]),
    ({"commit"}, "/nope", "503", ["start", "commit"]),
    ({"abort"}, "/fail", "500", ["start", "abort"]),
    (set(), "/nope", "404", ["start", "commit"]),   # a PublishError commits the session
    (set(), "/fail", "500", ["start", "abort"]),    # any other exception aborts it
])
def test_session_manager_publish_errors_are_never_500(fail_at, path, status, calls):
    manager = FlakyManager(fail_at, StoreDown("store down"))
    app = App(Recorder(), session_manager=manager)
    result = harness.jack_call(app, "GET", path)
    assert result[0].split()[0] == status
    assert manager.calls == calls


def test_session_manager_crash_is_500():
    manager = FlakyManager({"start"}, OSError("disk"))
    result = harness.jack_call(App(Recorder(), session_manager=manager), "GET", "/page")
    assert result[0].startswith("500") and manager.calls == ["start", "abort"]


class RaisingRequest(HTTPRequest):
    def __init__(self, stdin, environ):
        raise RequestError("cannot build", "private detail")


def test_request_error_while_building_request_is_400(caplog):
    app = App(Recorder())
    app.request_class = RaisingRequest
    with caplog.at_level(logging.WARNING, logger="jack.error"):
        status, headers, body = harness.jack_call(app, "GET", "/page")
    assert status == "400 Bad Request"
    assert b"Invalid request" in body and b"cannot build" in body
    assert b"private detail" not in body
    assert "bad request (400)" in caplog.text


def test_request_error_page_uses_format_publish_error_when_possible():
    class Branded(App):
        def format_publish_error(self, exc):
            return "branded: %s" % exc.title

    app = Branded(Recorder())
    app.request_class = RaisingRequest
    assert harness.jack_call(app, "GET", "/")[2] == b"branded: Invalid request"

    class NeedsRequest(App):
        def format_publish_error(self, exc):
            return "path " + context.current_request().get_path()

    app = NeedsRequest(Recorder())
    app.request_class = RaisingRequest
    status, _, body = harness.jack_call(app, "GET", "/")
    assert status == "400 Bad Request" and b"Invalid request" in body


def test_filter_output_and_format_publish_error_hooks():
    class Shouting(App):
        def filter_output(self, request, output):
            return str(output).upper()

        def format_publish_error(self, exc):
            return "sorry: %s" % exc.title

    app = Shouting(Recorder())
    assert harness.jack_call(app, "GET", "/")[2] == b"INDEX"
    status, _, body = harness.jack_call(app, "GET", "/nope")
    assert status.startswith("404") and body == b"SORRY: PAGE NOT FOUND"


def test_generate_internal_error_hook():
    class Custom(App):
        def _generate_internal_error(self, request):
            return "custom 500 for %s" % request.get_path()

    assert harness.jack_call(Custom(Recorder()), "GET", "/fail")[2] == b"custom 500 for /fail"


def test_redirect_with_crlf_cannot_inject_headers(caplog):
    # jack_runtime.redirect() resolves the target with urljoin, which drops CR/LF/TAB
    # (as in Quixote); response.redirect() itself refuses them with a 400
    status, headers, body = harness.jack_call(App(Recorder()), "GET", "/redirect_crlf")
    assert status.startswith("302")
    assert not any(name.lower() == "set-cookie" for name, _ in headers)
    assert all("\r" not in value and "\n" not in value for _, value in headers)

    class Direct(Directory):
        _q_exports = ["go"]

        def go(self):
            return context.get_response().redirect("http://example.com/\r\nSet-Cookie: a=1")

    with caplog.at_level(logging.WARNING, logger="jack.error"):
        status, headers, body = harness.jack_call(App(Direct()), "GET", "/go")
    assert status == "400 Bad Request"
    assert not any(name.lower() == "set-cookie" for name, _ in headers)
    assert "bad request (400)" in caplog.text


def test_trailing_slash_warning_is_logged_with_display_exceptions(caplog):
    class Root(Directory):
        _q_exports = ["sub"]

        class sub(Directory):
            _q_exports = [""]
        sub = sub()

    with caplog.at_level(logging.WARNING, logger="jack.error"):
        assert harness.jack_call(App(Root()), "GET", "/sub")[0].startswith("302")
        assert "Adding slash" not in caplog.text
        harness.jack_call(App(Root(), display_exceptions=True), "GET", "/sub")
    assert "Adding slash to: '/sub'" in caplog.text


def test_constructor_arguments():
    with pytest.raises(ValueError, match="cannot provide both"):
        App(Recorder(), config=Config(), display_exceptions=True)
    with pytest.raises(ValueError, match="unknown config variable 'no_such_option'"):
        App(Recorder(), no_such_option=1)
    with pytest.raises(TypeError, match="_q_traverse"):
        App(object())
    config = Config(display_exceptions="plain")
    app = App(Recorder(), config=config)
    assert app.config is config
    assert type(app.session_manager).__name__ == "NullSessionManager"
    other = object()
    app.set_session_manager(other)
    assert app.session_manager is other


def test_process_request_and_process_return_the_response():
    app = App(Recorder())
    environ = harness.make_environ("GET", "/page", query="x=5")
    response = app.process_request(HTTPRequest(environ["wsgi.input"], environ))
    assert response.status_code == 200 and response.body == b"/page 5 HTTPRequest"
    environ = harness.make_environ("GET", "/nope")
    assert app.process(environ["wsgi.input"], environ).status_code == 404
    assert context.get_request() is None


def test_get_request_method_and_accessors_outside_a_request():
    app = App(Recorder())
    assert app.get_request() is None
    assert jack_runtime.get_request() is None and jack_runtime.get_response() is None
    assert jack_runtime.get_app() is None and jack_runtime.get_publisher() is None
    assert jack_runtime.get_field("x", "d") == "d"
    for accessor in (jack_runtime.current_request, jack_runtime.current_response,
                     jack_runtime.current_app):
        with pytest.raises(RuntimeError, match="no current request"):
            accessor()
    with pytest.raises(RuntimeError, match="App is itself the WSGI application"):
        jack_runtime.get_wsgi_app()
    jack_runtime.cleanup()  # a harmless no-op

    class Probe(Directory):
        _q_exports = ["probe"]

        def probe(self):
            assert app.get_request() is context.get_request()
            assert jack_runtime.get_wsgi_app() is app
            assert other.get_request() is None
            return "ok"

    other = App(Recorder())
    app = App(Probe())
    assert harness.jack_call(app, "GET", "/probe")[2] == b"ok"


def test_public_names():
    import quixote

    expected = {name for name in dir(quixote) if name.startswith("get_")} | {
        "redirect", "cleanup", "DEFAULT_CHARSET"}
    assert expected <= set(dir(jack_runtime))
    assert {"App", "current_request", "current_response", "current_session",
            "current_session_manager", "current_user", "current_publisher"} <= set(dir(jack_runtime))
    assert jack_runtime.DEFAULT_CHARSET == "utf-8"


def test_jack_runtime_does_not_import_quixote():
    import subprocess
    import sys

    code = ("import sys, jack_runtime, jack_runtime.app, jack_runtime.directory, "
            "jack_runtime.config, jack_runtime.logger, jack_runtime.serve; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'quixote'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_request_uri_is_provided_when_the_server_does_not():
    class Uri(Directory):
        _q_exports = ["uri"]

        def uri(self):
            return context.get_request().get_environ("REQUEST_URI")

    # QWIP's value: SCRIPT_NAME + PATH_INFO
    app = App(Uri())
    assert harness.jack_call(app, "GET", "/uri?a=1&b=%20")[2] == b"/uri"
    assert harness.jack_call(app, "GET", "/uri", script_name="/app")[2] == b"/app/uri"
    assert harness.jack_call(app, "GET", "/uri", extra={"REQUEST_URI": "/as/sent"})[2] == \
        b"/as/sent"


@pytest.mark.parametrize("path", ["/", "/page?x=1", "/stream", "/nope", "/fail",
                                  "/redirect_crlf"])
def test_wsgi_compliance(path):
    # wsgiref's validator checks the PEP 3333 contract: status and header types, no
    # hop-by-hop headers, an iterable of bytes that is closed, start_response called once
    app = NamedApp("v", Recorder())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the validator reports some problems as warnings
        status, headers, body = harness.wsgi_call(validator(app),
                                                  harness.make_environ("GET", path))
    assert status[:3].isdigit()
