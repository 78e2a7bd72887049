"""The project index's shortcuts: the traversal that leaves out the parts of statements
where no entry point can be, and module names found once per directory, give what the
plain ways give."""

import ast
import os
import re
from pathlib import Path

import pytest
import quixote

from jackmigrate import project

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("modules", "paths", "bindings", "classes", "entry_points", "markers", "markers_by_base", "unparsed",
          "ptl_facts")

SNIPPETS = {
    "continuation-line": "from quixote.publish import Publisher\nx = [\n    1,\n    Publisher(1)\n]\n",
    "backslash": "import quixote.server.simple_server as ss\nx = \\\n    ss.run(y)\n",
    "semicolons": "import quixote.server.simple_server as ss\na = 1; ss.run(x); b = 2\n",
    "fstrings": (
        "import quixote.server.simple_server as ss\n"
        "s = f'{ss.run(a)}'\n"
        "t = f'''\n{ss.main(\n b)}\n'''\n"
        "u = ('x'\n     f\"{ss.run(c)!r:>{w}}\")\n"
    ),
    # a def's decorators are visited after its body (where the import is)
    "decorator-after-body": "@ss.run(a)\ndef f():\n    import quixote.server.simple_server as ss\n",
    "import-in-function": "def f():\n    from quixote import publish\n\npublish.Publisher(1)\n",
    "rebound-away": (
        "from quixote.publish import Publisher\nPublisher(1)\n"
        "from mylib import Publisher\nPublisher(2)\n"
        "from quixote.publish1 import Publisher\nPublisher(3)\n"
    ),
    "whole-package": (
        "import quixote\nquixote.publish.Publisher(1)\nquixote.get_wsgi_app()\n"
        "import quixote.wsgi\nw = quixote.wsgi.QWIP(p)\nquixote.get_request()\n"
    ),
    "not-imported": "quixote.server.simple_server.run(f)\nquixote.publish.Publisher()\n",
    "other-quixote-names": (
        "from quixote import get_request, publish as pub\nfrom quixote.server import medusa_server\n"
        "get_request()\npub.Publisher(r)\nmedusa_server.run(create)\n"
    ),
    "everywhere": (
        "from quixote.publish import Publisher as P\nimport quixote.server.simple_server as ss\n"
        "def f(x=P(1), *a, y: ss.run(k) = 2, **kw) -> ss.main(j):\n    return [ss.run(i) for i in ()]\n"
        "def h(a: ss.run(ann),\n      b=1,\n      *, c=ss.main(kw)):\n    pass\n"
        "def k(a: ss.run(only), *b: ss.main(va), **c: ss.main(kwa)): pass\n"
        "g = lambda: ss.run(w)\n"
        "class A(Base, metaclass=ss.run(m)):\n    attr = P(2)\n"
        "    def m(self, a=(ss.run(\n        n))):\n        pass\n"
        "with ss.run(a) as b, open(x) as y[ss.main(c)]:\n    pass\n"
        "try:\n    pass\nexcept ss.run(e) as err:\n    P(3)\nelse:\n    P(4)\nfinally:\n    P(5)\n"
        "for x in ss.run(it):\n    P(6)\nelse:\n    P(7)\n"
        "while ss.main(c):\n    break\n"
        "match ss.run(s):\n    case {'k': v} if P(8):\n        P(9)\n"
        "async def co():\n    async with ss.run(a):\n        await ss.main(b)\n    async for i in ss.run(c):\n        pass\n"
        "assert ss.run(x), P(10)\nraise ss.run(y)\ndel x[ss.run(z)]\nx += ss.run(q)\nx: P(11) = ss.run(r)\n"
        "if __name__ == '__main__':\n    ss.run(create_publisher)\n"
        "def create_publisher():\n    return P(Root())\n"
    ),
    "in-comments-and-strings": "import quixote.server.simple_server as ss\n# ss.run(x)\ns = 'ss.run(y)'\nrun(z)\n",
    # identifiers are NFKC normalized: the text does not show the name the tree has
    "fullwidth-name": "import quixote.server.simple_server as ss\nｓｓ.run(create)\n",
    "similar-names": "import quixote.server.simple_server as ss\nss_.run(a)\nxss.run(b)\nss2.run(c)\nss.run(d)\n",
}
VARIANTS = {
    "lf": lambda text: text,
    "crlf": lambda text: text.replace("\n", "\r\n"),
    "cr": lambda text: text.replace("\n", "\r"),
}
# path -> the module it is indexed as: plain, package, top-level package, Quixote's own
PATHS = ("app.py", "pkg/__init__.py", "__init__.py", "quixote/server/mine.py")


def _both(sources, monkeypatch):
    fast = project.build_index_from_sources(sources)
    with monkeypatch.context() as m:
        m.setattr(project._FileIndexer, "visit", ast.NodeVisitor.visit)
        m.setattr(project._FileIndexer, "generic_visit", ast.NodeVisitor.generic_visit)
        full = project.build_index_from_sources(sources)
    return fast, full


def _assert_same(fast, full):
    for name in FIELDS:
        assert getattr(fast, name) == getattr(full, name), name


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippets_index_as_with_a_full_traversal(name, variant, monkeypatch):
    text = VARIANTS[variant](SNIPPETS[name])
    for path in PATHS:
        fast, full = _both({path: text}, monkeypatch)
        _assert_same(fast, full)
    if name == "everywhere" and variant == "lf":
        kinds = [e.kind for e in fast.entry_points]
        assert kinds.count("server-run") > 20 and "main" in kinds and "publisher-factory" in kinds


def test_entry_points_found_in_the_snippets():
    # (what the comparisons above compare is not nothing)
    found = {
        name: [(e.kind, e.line) for e in project.build_index_from_sources({"app.py": text}).entry_points]
        for name, text in SNIPPETS.items()
    }
    assert found["continuation-line"] == [("publisher", 4)]
    assert found["backslash"] == [("server-run", 3)]
    assert found["fstrings"] == [("server-run", 2), ("server-run", 4), ("server-run", 8)]
    assert found["decorator-after-body"] == [("server-run", 1)]
    assert found["import-in-function"] == [("publisher", 4)]
    assert found["rebound-away"] == [("publisher", 2), ("publisher", 6)]
    assert found["whole-package"] == [("publisher", 2), ("wsgi-app", 3), ("wsgi-app", 5)]
    assert found["not-imported"] == []  # (module "app": app.quixote...)
    assert found["other-quixote-names"] == [("publisher", 4), ("server-run", 5)]
    assert found["in-comments-and-strings"] == []
    assert found["fullwidth-name"] == [("server-run", 2)]
    assert found["similar-names"] == [("server-run", 5)]
    top = project.build_index_from_sources({"__init__.py": SNIPPETS["not-imported"]}).entry_points
    assert [(e.kind, e.line) for e in top] == [("server-run", 1), ("publisher", 2)]


def test_bindings_of_an_earlier_file_of_the_same_module(monkeypatch):
    # app.ptl and app.py are both module "app": the second file's calls see the
    # first one's imports
    sources = {"app.ptl": "from quixote.publish import Publisher\n", "app.py": "x = 1\n\nPublisher(1)\n"}
    fast, full = _both(sources, monkeypatch)
    _assert_same(fast, full)
    assert [(e.path, e.kind) for e in fast.entry_points] == [("app.py", "publisher")]


def _corpus():
    paths = [p for p in (ROOT / "fixtures").rglob("*") if p.suffix in (".py", ".ptl") and "expected" not in p.parts]
    paths += list(Path(quixote.__file__).parent.rglob("*.py"))
    return sorted(paths)


@pytest.mark.parametrize("variant", ["lf", "crlf"])
def test_corpus_as_application_modules(variant, monkeypatch):
    # Quixote's own modules are always traversed in full: indexed under other names
    # they go through the shortcuts too
    base = Path(quixote.__file__).parent.parent
    sources = {}
    for p in _corpus():
        rel = p.relative_to(base if p.is_relative_to(base) else ROOT).as_posix()
        sources["app/" + rel.replace("quixote", "qx")] = VARIANTS[variant](p.read_text(encoding="utf-8"))
    fast, full = _both(sources, monkeypatch)
    _assert_same(fast, full)
    assert len(fast.entry_points) >= 10


def test_module_names_found_per_directory_are_module_name_for(tmp_path, monkeypatch):
    (tmp_path / "top").mkdir()
    pkg = tmp_path / "top" / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.ptl").write_text("")
    names = ["a.py", "b.ptl", "__init__.py", ".hidden.py", ".py", "x.tar.py", "noext"]
    for d in (tmp_path / "top", pkg, pkg / "sub"):
        for n in names:
            if n != "__init__.py" or d != tmp_path / "top":  # (top is no package)
                (d / n).write_text("")
    other = tmp_path / "other"
    other.mkdir()
    (other / "c.py").write_text("")
    os.symlink(other / "c.py", pkg / "link.py")  # a linked file is named where it is
    os.symlink(pkg / "sub", tmp_path / "top" / "dirlink")  # a linked directory too
    os.symlink(tmp_path / "nowhere.py", pkg / "dangling.py")
    os.symlink(pkg / "loop.py", pkg / "loop.py")
    monkeypatch.chdir(tmp_path / "top")
    paths = [str(p) for p in tmp_path.rglob("*") if not p.is_dir() or p.is_symlink()]
    paths += [os.path.relpath(p) for p in paths]
    paths += ["pkg/./a.py", "pkg/sub/../a.py", "./pkg//b.ptl", "dirlink/a.py", "missing.py", "pkg/missing.py",
              "pkg/", "pkg/.", "pkg/..", "a.py", str(pkg / "sub") + "/"]
    namer = project._ModuleNamer(".")
    for path in paths:
        try:
            expected = project.module_name_for(path)
        except RuntimeError as exc:  # (a symbolic link loop)
            with pytest.raises(RuntimeError, match=re.escape(str(exc))):
                namer(path)
            continue
        assert namer(path) == expected, path
    assert namer(str(pkg / "sub" / "a.py")) == "pkg.sub.a" and namer("pkg/link.py") == "c"
    assert namer("dirlink/__init__.ptl") == "pkg.sub" and namer("a.py") == "a"
