"""jack_runtime.util: the quixote.util helpers."""
from __future__ import annotations

import io
import types
import xmlrpc.client
from pathlib import Path

import pytest
from harness import assert_same, header, jack_call, quixote_call, quixote_publisher
from quixote import util as qutil

from jack_runtime import App, context, util
from jack_runtime.directory import Directory
from jack_runtime.errors import QueryError, TraversalError
from jack_runtime.html import htmltext
from jack_runtime.http import HTTPRequest, Stream


def test_names_of_quixote_util_exist() -> None:
    for name in ("randbytes", "safe_str_cmp", "import_object", "xmlrpc", "FileStream",
                 "StaticFile", "StaticDirectory", "MemoryFile", "StaticBundle", "Redirector",
                 "dump_request", "get_directory_path"):
        assert hasattr(util, name), name
        assert hasattr(qutil, name), name


def test_randbytes_is_token_urlsafe_like_quixote_38() -> None:
    a, b = util.randbytes(), util.randbytes()
    assert a != b and len(a) == len(qutil.randbytes()) == 43
    assert len(util.randbytes(16)) == 22
    assert set(a) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_safe_str_cmp() -> None:
    assert util.safe_str_cmp("abc", "abc") and not util.safe_str_cmp("abc", "abd")
    assert not util.safe_str_cmp("abc", "abcd")
    assert util.safe_str_cmp(b"\x00\xff", b"\x00\xff") and not util.safe_str_cmp(b"a", b"b")
    assert util.safe_str_cmp("é", "é") and not util.safe_str_cmp("é", "e")
    for a, b in (("a", b"a"), (b"a", "a"), (None, "a")):
        with pytest.raises(TypeError):
            util.safe_str_cmp(a, b)


def test_import_object() -> None:
    assert util.import_object("os.path.join") is __import__("os").path.join
    assert util.import_object("json") is __import__("json")
    with pytest.raises(ImportError):
        util.import_object("no_such_module_xyz.attr")
    with pytest.raises(AttributeError):
        util.import_object("json.no_such_attr")


def bound(request: HTTPRequest):
    return context.bind(types.SimpleNamespace(config=None, session_manager=None), request)


def xml_request(body: bytes, method: str = "POST") -> HTTPRequest:
    env = {"REQUEST_METHOD": method, "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "text/xml",
           "PATH_INFO": "/rpc", "SCRIPT_NAME": ""}
    req = HTTPRequest(io.BytesIO(body), env)
    req.process_inputs()
    return req


def test_xmlrpc_call_and_faults() -> None:
    def func(method, params):
        if method == "add":
            return sum(params)
        if method == "fault":
            raise xmlrpc.client.Fault(7, "custom")
        raise KeyError(method)
    req = xml_request(xmlrpc.client.dumps((2, 3), "add").encode())
    out = util.xmlrpc(req, func)
    assert xmlrpc.client.loads(out) == ((5,), None)
    assert req.response.content_type == "text/xml"
    with pytest.raises(xmlrpc.client.Fault) as info:
        xmlrpc.client.loads(util.xmlrpc(xml_request(xmlrpc.client.dumps((), "fault").encode()), func))
    assert info.value.faultCode == 7
    with pytest.raises(xmlrpc.client.Fault) as info:
        xmlrpc.client.loads(util.xmlrpc(xml_request(xmlrpc.client.dumps((), "nope").encode()), func))
    assert "KeyError" in info.value.faultString


def test_xmlrpc_refuses_get_and_garbage() -> None:
    req = xml_request(b"", method="GET")
    assert util.xmlrpc(req, lambda m, p: 1) == "XML-RPC handlers only accept the POST method."
    assert req.response.status_code == 405
    for body in (b"<not-xml", b"<?xml version='1.0'?><methodCall><params></params></methodCall>x", b""):
        with pytest.raises(QueryError):
            util.xmlrpc(xml_request(body), lambda m, p: 1)


def test_file_stream_reads_chunks_and_closes() -> None:
    fp = io.BytesIO(b"x" * 45000)
    stream = util.FileStream(fp, 45000)
    assert isinstance(stream, Stream) and stream.length == 45000
    chunks = list(stream)
    assert [len(c) for c in chunks] == [20000, 20000, 5000]
    stream.close()
    assert fp.closed
    assert util.FileStream.CHUNK_SIZE == qutil.FileStream.CHUNK_SIZE


def make_tree(flavour_util, flavour_directory, static_dir: str):
    class Root(flavour_directory):
        _q_exports = ["mem", "css", "dump", "go", "static"]

        mem = flavour_util.MemoryFile("mémoire", mime_type="text/css", cache_time=60)
        css = flavour_util.MemoryFile("body{}")
        go = flavour_util.Redirector("/elsewhere")
        static = flavour_util.StaticBundle(static_dir, basepath="/static")

        def dump(self):
            return flavour_util.dump_request()

        def _q_lookup(self, name):
            if name == "perm":
                return flavour_util.Redirector("http://other.example/", permanent=True)
            raise TraversalError() if flavour_directory is Directory else \
                __import__("quixote.errors").errors.TraversalError()
    return Root()


@pytest.fixture()
def static_dir(tmp_path: Path) -> str:
    (tmp_path / "a.js").write_text("var a = 1;")
    (tmp_path / "b.js").write_text("var b = 2;")
    (tmp_path / "c.css").write_text("p {}")
    (tmp_path / "sub").mkdir()
    (tmp_path.parent / "outside.js").write_text("SECRET")
    return str(tmp_path)


def both(static_dir: str, path: str, **kw):
    from quixote.directory import Directory as QDirectory
    q = quixote_call(lambda: quixote_publisher(make_tree(qutil, QDirectory, static_dir)),
                     "GET", path, **kw)
    j = jack_call(App(make_tree(util, Directory, static_dir)), "GET", path, **kw)
    return q, j


@pytest.mark.parametrize("path", ["/mem", "/css", "/go", "/perm", "/perm/x",
                                  "/static/a.js", "/static/a.js,b.js", "/static/c.css",
                                  "/static/a.js/x/y", "/static/missing.js"])
def test_util_resources_match_quixote(static_dir: str, path: str, monkeypatch) -> None:
    import time
    monkeypatch.setattr(time, "time", lambda: 1700000000.0)
    q, j = both(static_dir, path)
    assert_same(q, j, ignore=["ETag"])


def test_static_bundle_paths_and_tokens(static_dir: str) -> None:
    j_bundle = util.StaticBundle(static_dir, basepath="/static")
    q_bundle = qutil.StaticBundle(static_dir, basepath="/static")
    for names in (("a.js",), ("a.js", "b.js"), ("c.css",)):
        assert j_bundle.make_path(*names) == q_bundle.make_path(*names)
    with pytest.raises(ValueError):
        j_bundle.make_path("a.js", "c.css")
    with pytest.raises(ValueError):
        j_bundle.make_path("missing.js")
    path = j_bundle.make_path("a.js", "b.js")
    app = App(make_tree(util, Directory, static_dir))
    result = jack_call(app, "GET", path)
    assert result[2] == b"var a = 1;\nvar b = 2;"
    assert header(result, "Cache-Control") == "max-age=%d" % util.StaticBundle.CACHE_TIME
    assert jack_call(app, "GET", "/static/0000000000/a.js")[0].startswith("404")


@pytest.mark.parametrize("path", ["/static/..", "/static/x/..", "/static/x/../outside.js",
                                  "/static/%2e%2e%2foutside.js", "/static/a.js,..%2foutside.js",
                                  "/static/a.js,missing.js", "/static/nope", "/static/x/nope",
                                  "/static/sub", "/static/a.js%00"])
def test_static_bundle_refuses_bad_names_with_404(static_dir: str, path: str) -> None:
    app = App(make_tree(util, Directory, static_dir))
    status, _, body = jack_call(app, "GET", path)
    assert status.startswith("404"), (path, status)
    assert b"SECRET" not in body


def test_static_bundle_does_not_cache_missing_files(static_dir: str) -> None:
    bundle = util.StaticBundle(static_dir)
    for i in range(20):
        with pytest.raises(TraversalError):
            bundle._get_static_file("missing%d.js" % i)
    assert bundle.files == {}


def test_dump_request_matches_quixote() -> None:
    from quixote.http_request import HTTPRequest as QRequest
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": "a=<1>&b=2",
           "HTTP_COOKIE": "c=d", "SCRIPT_NAME": ""}
    q, j = QRequest(io.BytesIO(), dict(env)), HTTPRequest(io.BytesIO(), dict(env))
    q.process_inputs()
    j.process_inputs()
    assert isinstance(util.dump_request(j), htmltext)
    assert str(util.dump_request(j)) == str(qutil.dump_request(q))
    token = bound(j)
    try:
        assert str(util.dump_request()) == str(qutil.dump_request(q))
    finally:
        context.unbind(token)


def test_get_directory_path_lists_traversed_directories() -> None:
    seen = []

    class Leaf(Directory):
        _q_exports = ["here"]

        def here(self):
            seen.extend(util.get_directory_path())
            return "ok"

    class Root(Directory):
        _q_exports = ["leaf"]
        leaf = Leaf()
    root = Root()
    assert jack_call(App(root), "GET", "/leaf/here")[2] == b"ok"
    assert seen == [root, root.leaf]
