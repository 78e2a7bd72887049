"""StaticFile / StaticDirectory: Quixote's behaviour (differential), conditional GET, and
no way out of the root."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from harness import assert_same, header, jack_call, quixote_call, quixote_publisher

from jack_runtime import App
from jack_runtime.static import StaticDirectory, StaticFile
from jack_runtime.util import StaticDirectory as UtilStaticDirectory

SECRET = b"TOP-SECRET-CONTENT"


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "index.html").write_text("<h1>index</h1>")
    (root / "a.txt").write_text("plain text\n")
    (root / "style.css").write_text("body { color: red }")
    (root / "data.txt.gz").write_bytes(b"\x1f\x8bfake")
    (root / "img.png").write_bytes(b"\x89PNG\r\n" + bytes(range(256)))
    (root / "sub" / "b.txt").write_text("in sub")
    (root / "<odd> & name.txt").write_text("odd")
    (root / "big.bin").write_bytes(os.urandom(50000))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    (tmp_path / "root-sibling").mkdir()
    (tmp_path / "root-sibling" / "x.txt").write_bytes(SECRET)
    os.symlink(outside / "secret.txt", root / "link.txt")
    os.symlink(outside, root / "dirlink")
    os.symlink("a.txt", root / "rel-link.txt")
    os.symlink(root / "loop2", root / "loop1")
    os.symlink(root / "loop1", root / "loop2")
    return root


def both(root: Path, path: str, *, qkw=None, jkw=None, **environ_kw):
    from quixote.util import StaticDirectory as QStaticDirectory
    q = quixote_call(lambda: quixote_publisher(QStaticDirectory(str(root), **(qkw or {}))),
                     "GET", path, **environ_kw)
    j = jack_call(App(StaticDirectory(str(root), **(jkw or qkw or {}))), "GET", path, **environ_kw)
    return q, j


@pytest.mark.parametrize("path", ["/a.txt", "/style.css", "/sub/b.txt", "/img.png", "/data.txt.gz",
                                  "/big.bin", "/missing", "/sub/missing", "/sub", "/", "/sub/",
                                  "/%3Codd%3E%20%26%20name.txt", "/a.txt/more"])
def test_static_directory_matches_quixote(tree: Path, path: str) -> None:
    q, j = both(tree, path)
    assert_same(q, j, ignore=["ETag"])


@pytest.mark.parametrize("path", ["/", "/sub/"])
def test_listing_matches_quixote(tree: Path, path: str) -> None:
    q, j = both(tree, path, qkw={"list_directory": True})
    assert_same(q, j)
    if path == "/":
        assert b"&lt;odd&gt; &amp; name.txt" in j[2] and b"%3Codd%3E%20%26%20name.txt" in j[2]
        assert b'<a href="sub">sub</a>/' in j[2]


def test_index_files_match_quixote(tree: Path) -> None:
    q, j = both(tree, "/", qkw={"index_filenames": ["missing.html", "index.html"]})
    assert_same(q, j, ignore=["ETag"])
    assert j[2] == b"<h1>index</h1>"


def test_cache_time_matches_quixote(tree: Path, monkeypatch) -> None:
    import time
    monkeypatch.setattr(time, "time", lambda: 1700000000.0)
    q, j = both(tree, "/a.txt", qkw={"cache_time": 3600})
    assert_same(q, j, ignore=["ETag"])
    assert header(j, "Cache-Control") == "max-age=3600"


def test_exact_if_modified_since_gives_304_like_quixote(tree: Path) -> None:
    _, first = both(tree, "/a.txt")
    last_modified = header(first, "Last-Modified")
    q, j = both(tree, "/a.txt", headers={"If-Modified-Since": last_modified})
    assert q[0] == j[0] == "304 Not Modified"
    assert q[2] == j[2] == b""
    assert header(j, "ETag") == header(first, "ETag")
    assert header(j, "Content-Length") is None


def test_conditional_get(tree: Path) -> None:
    app = App(StaticDirectory(str(tree)))
    first = jack_call(app, "GET", "/a.txt")
    etag, last_modified = header(first, "ETag"), header(first, "Last-Modified")
    assert etag.startswith('"') and first[2] == b"plain text\n"
    cases = [
        ({"If-None-Match": etag}, "304"),
        ({"If-None-Match": "W/" + etag}, "304"),
        ({"If-None-Match": '"other", ' + etag}, "304"),
        ({"If-None-Match": "*"}, "304"),
        ({"If-None-Match": '"other"'}, "200"),
        ({"If-None-Match": '"other"', "If-Modified-Since": last_modified}, "200"),
        ({"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}, "304"),
        ({"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}, "200"),
        ({"If-Modified-Since": "not a date"}, "200"),
    ]
    for headers, status in cases:
        result = jack_call(app, "GET", "/a.txt", headers=headers)
        assert result[0].startswith(status), headers
        assert result[2] == (b"" if status == "304" else b"plain text\n")


ATTACKS = [
    "/..", "/../outside/secret.txt", "/sub/../../outside/secret.txt",
    "/%2e%2e/outside/secret.txt", "/%252e%252e/outside/secret.txt",
    "/sub/%2e%2e%2f%2e%2e%2foutside%2fsecret.txt", "/sub/%252e%252e%252f..%252foutside%252fsecret.txt",
    "/..%5c..%5coutside%5csecret.txt", "/a.txt%00", "/a.txt%00.png", "/%00",
    "//etc/passwd", "/%2fetc%2fpasswd", "/%2Fetc/passwd",
    "/link.txt", "/dirlink/secret.txt", "/dirlink/", "/rel-link.txt", "/loop1", "/loop1/x",
    "/../root-sibling/x.txt", "/.", "/./a.txt",
]


@pytest.mark.parametrize("path", ATTACKS)
def test_nothing_outside_the_root_is_served(tree: Path, path: str) -> None:
    for kwargs in ({}, {"list_directory": True, "use_cache": True}):
        status, headers, body = jack_call(App(StaticDirectory(str(tree), **kwargs)), "GET", path)
        assert status.startswith("404"), (path, status)
        assert SECRET not in body


def test_symlinks_are_followed_when_allowed(tree: Path) -> None:
    app = App(StaticDirectory(str(tree), follow_symlinks=True))
    assert jack_call(app, "GET", "/link.txt")[2] == SECRET
    assert jack_call(app, "GET", "/dirlink/secret.txt")[2] == SECRET
    assert jack_call(app, "GET", "/rel-link.txt")[2] == b"plain text\n"
    assert jack_call(app, "GET", "/loop1")[0].startswith("404")  # Quixote loops forever


def test_root_may_itself_be_a_symlink(tree: Path, tmp_path: Path) -> None:
    alias = tmp_path / "alias"
    os.symlink(tree, alias)
    app = App(StaticDirectory(str(alias)))
    assert jack_call(app, "GET", "/sub/b.txt")[2] == b"in sub"
    assert jack_call(app, "GET", "/link.txt")[0].startswith("404")


def test_use_cache_keeps_wrappers(tree: Path) -> None:
    directory = StaticDirectory(str(tree), use_cache=True)
    assert directory._q_lookup("a.txt") is directory._q_lookup("a.txt")
    assert isinstance(directory._q_lookup("sub"), StaticDirectory)
    assert directory._q_lookup("sub")._root == directory._root
    uncached = StaticDirectory(str(tree))
    assert uncached._q_lookup("a.txt") is not uncached._q_lookup("a.txt")


def test_file_class_and_subclass_constructor(tree: Path) -> None:
    class MyFile(StaticFile):
        pass

    class MyDir(StaticDirectory):
        pass
    directory = MyDir(str(tree), file_class=MyFile)
    assert isinstance(directory._q_lookup("a.txt"), MyFile)
    assert isinstance(directory._q_lookup("sub"), MyDir)


def test_constructor_validation_and_guessing(tree: Path) -> None:
    with pytest.raises(ValueError):
        StaticFile("relative.txt")
    with pytest.raises(ValueError):
        StaticDirectory("relative")
    f = StaticFile(str(tree / "data.txt.gz"))
    assert (f.mime_type, f.encoding) == ("text/plain", "gzip")
    assert StaticFile(str(tree / "noext")).mime_type == "text/plain"
    assert StaticFile(str(tree / "a.txt"), mime_type="x/y", encoding="br").encoding == "br"
    assert StaticFile(str(tree / "a.txt")).get_data() == b"plain text\n"
    assert UtilStaticDirectory is StaticDirectory


def test_file_deleted_between_lookup_and_call(tree: Path) -> None:
    from harness import make_environ

    from jack_runtime import context
    from jack_runtime.errors import TraversalError
    from jack_runtime.http import HTTPRequest
    f = StaticDirectory(str(tree))._q_lookup("a.txt")
    os.unlink(tree / "a.txt")
    environ = make_environ("GET", "/a.txt")
    req = HTTPRequest(environ["wsgi.input"], environ)
    token = context.bind(App(StaticDirectory(str(tree))), req)
    try:
        with pytest.raises(TraversalError):
            f()
    finally:
        context.unbind(token)
