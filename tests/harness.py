"""Differential test harness: the same request on real Quixote 3.8 and on Jack.

Shared by every runtime test file (app, directory, sessions, forms, fixtures). The pieces:

- :func:`make_environ` builds a WSGI environ the way a server would (PATH_INFO
  percent-decoded, latin-1), fresh for every call since both frameworks mutate it.
- :func:`quixote_call` runs one request through ``Publisher.process_request`` (not QWIP, whose
  hop-by-hop headers and self-chunking are known defects) and returns what a correct WSGI
  server would send: ``(status, headers, body)``. Quixote's singleton is handled:
  ``quixote.cleanup()`` runs before and after, and its process-wide side effects
  (``sys.stdout`` replacement, ``WARN_TRAILING_SLASH``) are undone.
- :func:`jack_call` runs one request through a Jack App as a WSGI server does (start_response,
  iterating the body, ``close()``) and returns the same triple.
- :func:`quixote_flavour` and :func:`jack_flavour` give "flavours": the same names
  (Directory, export, get_request, TraversalError, Stream ...) from each framework, so a tree
  written once as ``def make_root(q): class Root(q.Directory): ...`` is served by both.
- :func:`differential` does both calls; :func:`assert_same` compares status, body and
  headers (in order), setting aside only what a server adds (Date, Server), the documented
  WSGI fixes (no ``Connection: close``/``Transfer-Encoding``; Content-Length is checked
  against each side's own body, so Jack's ``Content-Length: 0`` for an empty body passes)
  and html's deliberate ``&#39;`` for ``'``. ``ignore=`` and ``normalise=`` cover the rest.
- :class:`QuixoteSession` / :class:`JackSession`: one publisher/App and a cookie jar across
  several requests (session flows).
- :func:`serving` runs an app on a real waitress server (127.0.0.1, free port) in a thread.
- :func:`load_as_jack` executes a Quixote module's source with its ``quixote`` imports
  pointed at Jack's modules (how the demo trees are served by Jack without copying them).
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import re
import socket
import sys
import threading
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping
from urllib.parse import unquote_to_bytes, urlencode

Result = tuple[str, list[tuple[str, str]], bytes]

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailer", "trailers", "transfer-encoding", "upgrade", "proxy-connection"}
SERVER_ADDED = {"date", "server"}


# -- environ --------------------------------------------------------------------------------

def make_environ(method: str = "GET", path: str = "/", *, query: str | None = None,
                 body: bytes | str = b"", form: Mapping[str, Any] | None = None,
                 content_type: str | None = None, headers: Mapping[str, str] | None = None,
                 cookies: Mapping[str, str] | None = None, script_name: str = "",
                 protocol: str = "HTTP/1.1", scheme: str = "http", host: str = "example.com",
                 port: str = "80", remote_addr: str = "127.0.0.1",
                 extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A WSGI environ for ``method path``.

    ``path`` is the URL path as sent (percent-encoded; ``?query`` allowed); PATH_INFO gets it
    decoded to bytes and then to latin-1 text, as PEP 3333 servers do. ``form`` is sent as an
    urlencoded body (POST) or query (other methods).
    """
    if query is None and "?" in path:
        path, query = path.split("?", 1)
    if form is not None:
        encoded = urlencode(form, doseq=True)
        if method == "POST":
            body = encoded
            content_type = content_type or "application/x-www-form-urlencoded"
        else:
            query = encoded if not query else query + "&" + encoded
    if isinstance(body, str):
        body = body.encode("utf-8")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": script_name,
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query or "",
        "SERVER_NAME": host,
        "SERVER_PORT": port,
        "SERVER_PROTOCOL": protocol,
        "HTTP_HOST": host if port in ("80", "443") else "%s:%s" % (host, port),
        "REMOTE_ADDR": remote_addr,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if body or method in ("POST", "PUT", "PATCH"):
        environ["CONTENT_LENGTH"] = str(len(body))
    if content_type:
        environ["CONTENT_TYPE"] = content_type
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
        else:
            environ["HTTP_" + key] = value
    if cookies:
        environ["HTTP_COOKIE"] = "; ".join("%s=%s" % kv for kv in cookies.items())
    if extra:
        environ.update(extra)
    return environ


# -- Quixote ---------------------------------------------------------------------------------

class QuixoteLog:
    """A quixote.logger.DefaultLogger stand-in that writes to memory.

    The real one replaces ``sys.stdout`` for the whole process (and pytest's capture with it).
    """

    def __init__(self) -> None:
        self.error_log = io.StringIO()
        self.access_log = None
        self.error_email = None

    def log(self, msg: str) -> None:
        self.error_log.write("%s\n" % msg)

    def log_internal_error(self, error_summary: str, error_msg: str) -> None:
        self.log("exception caught")
        self.error_log.write(error_msg)

    def log_request(self, request: Any, start_time: float) -> None:
        pass


def quixote_publisher(root: Any, **kwargs: Any) -> Any:
    """A quixote Publisher for ``root`` with an in-memory logger (``kwargs``: config, session
    manager ...). Call only inside a publisher factory given to :func:`quixote_call`."""
    from quixote.publish import Publisher

    kwargs.setdefault("logger", QuixoteLog())
    return Publisher(root, **kwargs)


def quixote_call(publisher_factory: Callable[[], Any], method: str = "GET", path: str = "/",
                 *, publisher: Any = None, **environ_kw: Any) -> Result:
    """One request through Quixote 3.8: ``(status, headers, body)`` as a WSGI server sends it.

    ``publisher_factory()`` is called after ``quixote.cleanup()`` (Quixote allows one
    publisher per process); pass ``publisher=`` instead to reuse one across calls (sessions),
    in which case the caller owns its lifetime (see :class:`QuixoteSession`).
    """
    import quixote
    import quixote.directory
    from quixote.http_request import HTTPRequest

    saved_stdout = sys.stdout
    saved_warn = quixote.directory.WARN_TRAILING_SLASH
    environ = make_environ(method, path, **environ_kw)
    own = publisher is None
    try:
        if own:
            quixote.cleanup()
            publisher = publisher_factory()
        else:
            import quixote.publish
            quixote.publish._publisher = publisher
        request = HTTPRequest(environ["wsgi.input"], environ)
        response = publisher.process_request(request)
        status = "%03d %s" % (response.status_code, response.reason_phrase)
        headers = response.generate_headers()
        body = b"".join(response.generate_body_chunks())
        if method.upper() == "HEAD":
            body = b""  # Quixote's simple_server sends HEAD responses without the body
    finally:
        sys.stdout = saved_stdout
        quixote.directory.WARN_TRAILING_SLASH = saved_warn
        quixote.cleanup()
    if any(name.lower() == "transfer-encoding" for name, _ in headers):
        body = _dechunk(body)
    headers = [(n, v) for n, v in headers if n.lower() not in HOP_BY_HOP]
    return status, headers, body


def _dechunk(data: bytes) -> bytes:
    """Undo Quixote's own chunked framing (what a WSGI server would not have added)."""
    out, pos = [], 0
    while True:
        end = data.index(b"\r\n", pos)
        size = int(data[pos:end], 16)
        if size == 0:
            return b"".join(out)
        out.append(data[end + 2:end + 2 + size])
        pos = end + 2 + size + 2


class QuixoteSession:
    """One Quixote publisher kept across several requests (for session tests), with a cookie
    jar. ``call(method, path, **kw)`` returns a Result and stores Set-Cookie values."""

    def __init__(self, publisher_factory: Callable[[], Any]) -> None:
        import quixote

        quixote.cleanup()
        saved_stdout = sys.stdout
        try:
            self.publisher = publisher_factory()
        finally:
            sys.stdout = saved_stdout
            quixote.cleanup()
        self.cookies: dict[str, str] = {}

    def call(self, method: str = "GET", path: str = "/", **kw: Any) -> Result:
        kw.setdefault("cookies", dict(self.cookies))
        result = quixote_call(lambda: None, method, path, publisher=self.publisher, **kw)
        update_cookie_jar(self.cookies, result[1])
        return result


class JackSession:
    """The Jack counterpart of :class:`QuixoteSession`: one App and a cookie jar."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.cookies: dict[str, str] = {}

    def call(self, method: str = "GET", path: str = "/", **kw: Any) -> Result:
        kw.setdefault("cookies", dict(self.cookies))
        result = jack_call(self.app, method, path, **kw)
        update_cookie_jar(self.cookies, result[1])
        return result


_COOKIE = re.compile(r'^\s*([^=;\s]+)="?([^";]*)"?')


def update_cookie_jar(jar: dict[str, str], headers: Iterable[tuple[str, str]]) -> None:
    """Apply Set-Cookie headers to ``jar`` (an emptied value or max-age=0 removes it)."""
    for name, value in headers:
        if name.lower() != "set-cookie":
            continue
        match = _COOKIE.match(value)
        if not match:
            continue
        key, val = match.groups()
        if "max-age=0" in value.lower() or val in ("", "deleted"):
            jar.pop(key, None)
        else:
            jar[key] = val


# -- Jack --------------------------------------------------------------------------------------

def jack_call(app: Any, method: str = "GET", path: str = "/", **environ_kw: Any) -> Result:
    """One request through a WSGI app (a Jack App) as a server runs it: ``(status, headers,
    body)``. The body is iterated after the call returns and then closed, as servers do."""
    environ = make_environ(method, path, **environ_kw)
    return wsgi_call(app, environ)


def wsgi_call(app: Any, environ: dict[str, Any]) -> Result:
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"], captured["headers"] = status, headers
        return lambda data: None

    iterable = app(environ, start_response)
    try:
        body = b"".join(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    for name, value in captured["headers"]:
        assert isinstance(name, str) and isinstance(value, str), (name, value)
        assert name.lower() not in HOP_BY_HOP, "hop-by-hop header from the app: %s" % name
    return captured["status"], list(captured["headers"]), body


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for servers run in a
    subprocess, which cannot hand back a kernel-chosen port)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(app: Any, threads: int = 8) -> Iterator[int]:
    """Serve ``app`` (or a factory) on waitress at 127.0.0.1 on a free port, in a thread;
    yields the port. The loop is stopped from its own thread, so closing never races a
    select() on the closed socket."""
    from waitress import wasyncore

    from jack_runtime.serve import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=threads)
    stop = threading.Event()

    def loop() -> None:
        try:
            while not stop.is_set():
                wasyncore.loop(timeout=0.05, map=server._map, count=1)
        finally:
            server.task_dispatcher.shutdown()
            wasyncore.close_all(server._map)

    thread = threading.Thread(target=loop, name="waitress-test-server", daemon=True)
    thread.start()
    try:
        yield int(server.effective_port)
    finally:
        stop.set()
        thread.join(timeout=10)


# -- flavours: one tree definition, two frameworks ----------------------------------------

@dataclass
class Flavour:
    """The names a test tree needs, from one framework."""

    name: str
    ns: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, item: str) -> Any:
        try:
            return self.ns[item]
        except KeyError:
            raise AttributeError(item) from None


_FLAVOUR_NAMES = {
    "directory": ["Directory", "DirectoryClass", "export", "subdir", "AccessControlled",
                  "Resolving"],
    "errors": ["PublishError", "TraversalError", "RequestError", "QueryError", "AccessError",
               "MethodNotAllowedError"],
    "": ["get_request", "get_response", "get_path", "redirect", "get_session",
         "get_session_manager", "get_user", "get_field", "get_cookie", "get_param",
         "get_publisher"],
    "http_response": ["Stream"],
}
_JACK_MODULES = {"directory": "jack_runtime.directory", "errors": "jack_runtime.errors",
                 "": "jack_runtime", "http_response": "jack_runtime.http.response"}


def _flavour(name: str, modules: Mapping[str, str]) -> Flavour:
    flavour = Flavour(name)
    for key, names in _FLAVOUR_NAMES.items():
        module = importlib.import_module(modules[key])
        for attr in names:
            flavour.ns[attr] = getattr(module, attr)
    return flavour


def quixote_flavour() -> Flavour:
    return _flavour("quixote", {"directory": "quixote.directory", "errors": "quixote.errors",
                                "": "quixote", "http_response": "quixote.http_response"})


def jack_flavour() -> Flavour:
    return _flavour("jack", _JACK_MODULES)


def differential(make_root: Callable[[Flavour], Any], method: str = "GET", path: str = "/",
                 *, config: Mapping[str, Any] | None = None, **environ_kw: Any
                 ) -> tuple[Result, Result]:
    """Serve ``make_root(flavour)`` on both frameworks; ``(quixote_result, jack_result)``."""
    from jack_runtime import App

    config = dict(config or {})
    q_flavour, j_flavour = quixote_flavour(), jack_flavour()
    q = quixote_call(lambda: quixote_publisher(make_root(q_flavour), **config), method, path,
                     **environ_kw)
    j = jack_call(App(make_root(j_flavour), **config), method, path, **environ_kw)
    return q, j


def comparable_headers(headers: Iterable[tuple[str, str]], body: bytes,
                       ignore: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Headers minus those a server adds (Date, Server), hop-by-hop ones, ``ignore`` and
    Content-Length, which is checked against the body instead (Jack states
    ``Content-Length: 0`` for an empty body where Quixote closed the connection)."""
    skip = SERVER_ADDED | HOP_BY_HOP | {name.lower() for name in ignore}
    out = []
    for name, value in headers:
        lower = name.lower()
        if lower == "content-length":
            if body or value == "0":
                assert int(value) == len(body), "Content-Length %s for a %d-byte body" % (
                    value, len(body))
            else:
                out.append((name, value))  # HEAD: the GET's length, compared across sides
        elif lower not in skip:
            out.append((name, value))
    return out


def assert_same(quixote_result: Result, jack_result: Result, *, ignore: Iterable[str] = (),
                normalise: Callable[[bytes], bytes] | None = None) -> None:
    """Jack's response equals Quixote's: status, body and headers (in order)."""
    q_status, q_headers, q_body = quixote_result
    j_status, j_headers, j_body = jack_result
    ignore = list(ignore)
    # Content-Length is checked against each side's own body
    q_compared = comparable_headers(q_headers, q_body, ignore)
    j_compared = comparable_headers(j_headers, j_body, ignore)
    q_length = harness_length(q_headers)
    j_length = harness_length(j_headers)
    assert q_length is None or j_length is not None, "Quixote sent a Content-Length, Jack not"
    # jack_runtime.html escapes ' as &#39; (a deliberate fix: Quixote escapes only & < > ");
    # that one difference is set aside, where Quixote has a literal ' at the same place
    if normalise is not None:
        q_body, j_body = normalise(q_body), normalise(j_body)
    if b"&#39;" in j_body and b"&#39;" not in q_body:
        j_body = j_body.replace(b"&#39;", b"'")
    assert j_status == q_status, "status: jack %r, quixote %r" % (j_status, q_status)
    assert j_body == q_body, "body differs:\njack:    %r\nquixote: %r" % (j_body, q_body)
    assert j_compared == q_compared, \
        "headers differ:\njack:    %r\nquixote: %r" % (j_headers, q_headers)


def harness_length(headers: Iterable[tuple[str, str]]) -> str | None:
    for name, value in headers:
        if name.lower() == "content-length":
            return value
    return None


def header(result: Result, name: str) -> str | None:
    """The first value of header ``name`` in ``result`` (case-insensitive), or None."""
    for key, value in result[1]:
        if key.lower() == name.lower():
            return value
    return None


# -- Quixote modules served by Jack ----------------------------------------------------------

# Module-for-module, as in COMMON.md's layout table.
QUIXOTE_TO_JACK = {
    "quixote.publish": "jack_runtime",
    "quixote.directory": "jack_runtime.directory",
    "quixote.errors": "jack_runtime.errors",
    "quixote.html": "jack_runtime.html",
    "quixote.session": "jack_runtime.session",
    "quixote.util": "jack_runtime.util",
    "quixote.http_request": "jack_runtime.http.request",
    "quixote.http_response": "jack_runtime.http.response",
    "quixote.form": "jack_runtime.form",
    "quixote.server.simple_server": "jack_runtime.serve",
    "quixote": "jack_runtime",
}
_IMPORT = re.compile(r"^(\s*from\s+)(quixote(?:\.[\w.]+)?)(\s+import\s+)(.*)$", re.M)


def load_as_jack(module_name: str, name: str | None = None) -> types.ModuleType:
    """Execute the source of Quixote module ``module_name`` with ``from quixote... import``
    lines pointed at Jack (``Publisher`` becomes ``App``). Returns a fresh module object,
    named ``name`` or else ``module_name``."""
    spec = importlib.util.find_spec(module_name)
    assert spec is not None and spec.origin, module_name
    with open(spec.origin, encoding="utf-8") as f:
        source = f.read()

    def repl(match: re.Match[str]) -> str:
        target = QUIXOTE_TO_JACK.get(match.group(2))
        if target is None:
            raise AssertionError("no Jack module for %s" % match.group(2))
        names = match.group(4)
        if target == "jack_runtime" and match.group(2) == "quixote.publish":
            names = re.sub(r"\bPublisher\b", "App as Publisher", names)
        return match.group(1) + target + match.group(3) + names

    source = _IMPORT.sub(repl, source)
    # by default the module keeps its name, so reprs in pages match Quixote's; it is not
    # put in sys.modules (pass ``name`` and register it when pickling needs it)
    module = types.ModuleType(name or module_name)
    module.__file__ = spec.origin
    exec(compile(source, spec.origin, "exec"), module.__dict__)
    return module
