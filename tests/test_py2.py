"""The Python 2 front end (jackmigrate.py2 and rule JM002) and the Python 2 library rules."""
from __future__ import annotations

import textwrap

import pytest

from jackmigrate.engine import migrate_source
from jackmigrate.py2 import DIVISION_TODO, Py2Error, is_python2, to_python3
from jackmigrate.rules.base import Bucket


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def test_python3_is_not_python2() -> None:
    assert is_python2("print('x')\nx = {1: 2}\n") is None
    assert is_python2("def f(:\n") is None  # broken in both: not "Python 2"


def test_python2_detected_with_line() -> None:
    assert is_python2(src("""
        import os
        print "hello"
    """)) == 2


def test_standard_fixers_run() -> None:
    out = to_python3(src("""
        def f(d, x):
            if d.has_key(x):
                print "found", x
            try:
                pass
            except ValueError, e:
                raise KeyError, "x"
            for k, v in d.iteritems():
                pass
            return unicode(x) + u'abc'
    """)).code
    assert out == src("""
        def f(d, x):
            if x in d:
                print("found", x)
            try:
                pass
            except ValueError as e:
                raise KeyError("x")
            for k, v in d.items():
                pass
            return str(x) + 'abc'
    """)


def test_ptl_annotation_survives_and_literals_stay_markup(tmp_path) -> None:
    result = to_python3(src("""
        def row [html] (cells):
            print "debug", len(cells)
            '<tr>'
            for k, v in cells.iteritems():
                '<td>%s</td>' % v
        def title [plain] (x):
            x
    """), ptl=True)
    assert "def row [html] (cells):" in result.code
    assert "def title [plain] (x):" in result.code
    assert "for k, v in cells.items():" in result.code
    assert "'<td>%s</td>' % v" in result.code


def test_python2_ptl_converted_end_to_end() -> None:
    res = migrate_source(src("""
        def row [html] (cells):
            print "debug"
            '<tr>'
            for k, v in cells.iteritems():
                '<td>%s</td>' % v
            '</tr>'
    """), "pages.ptl")
    assert res.error is None, res.error.message
    namespace: dict = {}
    exec(compile(res.new_text, "pages.py", "exec"), namespace)
    out = namespace["row"]({"a": "<b>"})
    # gen 1: every literal in an [html] template is markup, values are escaped
    assert str(out) == "<tr><td>&lt;b&gt;</td></tr>"
    assert res.new_path == "pages.py"


def test_implicit_relative_import_of_sibling_ptl_module(tmp_path) -> None:
    pkg = tmp_path / "app"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "pages.ptl").write_text("def page [html] ():\n    'x'\n")
    (pkg / "models.py").write_text("")
    code = to_python3("import pages\nimport models\nimport os\n", path=str(pkg / "ui.py")).code
    assert code == "from . import pages\nfrom . import models\nimport os\n"


def test_integer_division_is_marked_never_changed() -> None:
    result = to_python3(src("""
        def f(a, b):
            x = a / b
            y = a / 2.0
            z = float(a) / b
            for i in range(a / 2):
                print i
            a /= 2
            return x
    """))
    lines = result.code.splitlines()
    assert result.divisions == [2, 5, 7]
    assert lines.count("    " + DIVISION_TODO) == 3
    assert "    x = a / b" in lines and "    a /= 2" in lines  # the operator is untouched
    assert "    y = a / 2.0" in lines
    assert to_python3("from __future__ import division\nx = a / b\n").divisions == []


@pytest.mark.parametrize("source,reason", [
    ("if x:\n\ty = 1\n        z = 2\n", "tabs and spaces"),
    ("def f():\n    print 'a'\n    async = 1\n", "keyword in Python 3 (async)"),
    ("print 'a'\ndef (:\n", "neither valid Python 3 nor Python 2"),
])
def test_unconvertible_files_are_reported_with_line(source: str, reason: str) -> None:
    with pytest.raises(Py2Error) as info:
        to_python3(source)
    assert reason in info.value.reason
    assert info.value.line >= 1


def test_engine_reports_unconvertible_python2_and_leaves_it() -> None:
    res = migrate_source("import quixote\nprint 'a'\nasync = 1\n", "app.py")
    assert res.error is not None
    assert res.error.line == 3
    assert "async" in res.error.message
    assert res.new_text is None


def test_engine_pipeline_python2_quixote_module() -> None:
    res = migrate_source(src("""
        from quixote.directory import Directory
        import md5, string, cgi

        class Root(Directory):
            _q_exports = ['']

            def _q_index(self):
                print "index hit"
                key = md5.new('k').hexdigest()
                return cgi.escape(string.upper(key))
    """), "app/root.py")
    assert res.error is None, res.error.message
    text = res.new_text
    assert "from jack_runtime.directory import Directory" in text
    assert 'print("index hit")' in text
    assert "hashlib.md5('k')" in text and "import md5" not in text
    assert "html.escape(key.upper(), quote=False)" in text
    assert "import string" not in text and "import cgi" not in text
    assert any(f.rule == "JM002" and f.bucket is Bucket.REWRITTEN for f in res.findings)
    # idempotent: the output is Python 3 and a second run changes nothing
    again = migrate_source(text, "app/root.py")
    assert again.error is None and not again.changed


def test_python2_library_rules() -> None:
    res = migrate_source(src("""
        import sets, string
        from UserDict import DictMixin

        class Store(DictMixin):
            def __getitem__(self, k): return 1
            def __setitem__(self, k, v): pass
            def __delitem__(self, k): pass
            def keys(self): return ['a']

        tags = sets.ImmutableSet(string.split('a b'))
        ok = string.letters
    """), "lib.py")
    assert res.error is None, res.error.message
    ns: dict = {}
    exec(compile(res.new_text, "lib.py", "exec"), ns)
    store = ns["Store"]()
    assert list(store) == ["a"] and len(store) == 1 and dict(store) == {"a": 1}
    assert ns["tags"] == frozenset({"a", "b"})
    assert "import sets" not in res.new_text


def test_tuple_parameters_are_reported_for_a_real_name() -> None:
    res = migrate_source("import quixote\ndef f(a, (b, c)):\n    print b\n", "app.py")
    assert res.error is None, res.error.message
    assert any(f.rule == "JM002" and f.bucket is Bucket.MARKED and "xxx_todo_changeme" in f.message
               for f in res.findings)


def test_to_python3_reuses_the_check_parse_with_the_same_result():
    from pathlib import Path

    from jackmigrate import py2

    root = Path(__file__).resolve().parent.parent / "fixtures" / "py2"
    sources = sorted(p for p in root.rglob("*") if p.suffix in (".py", ".ptl"))
    checked = 0
    for path in sources:
        text = path.read_text(encoding="utf-8")
        ptl = path.suffix == ".ptl"
        if py2.is_python2(text, ptl=ptl) is None:
            continue
        assert py2._PARSED.entry is not None  # the check left its tree
        reused = py2.to_python3(text, path=str(path), ptl=ptl)
        assert py2._PARSED.entry is None  # ... and the conversion took it
        fresh = py2.to_python3(text, path=str(path), ptl=ptl)
        assert reused == fresh
        checked += 1
    assert checked >= 2


def test_telling_python_2_apart_leaves_no_frames_to_the_cyclic_collector():
    # The SyntaxError kept with its traceback held the frames of every caller (the
    # engine's, with its trees) in a reference cycle until a full collection.
    import gc

    from jackmigrate.py2 import is_python2

    source = 'print "hello"\n'
    assert is_python2(source) == 1
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        assert is_python2(source) == 1
        gc.collect()
        assert not [o for o in gc.garbage if type(o).__name__ in ("frame", "traceback")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()
