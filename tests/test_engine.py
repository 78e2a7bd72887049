"""Engine: bytes in, bytes out; prefilter, passes, validation, suppressions, index."""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

import libcst as cst
import pytest

from jackmigrate import engine
from jackmigrate.engine import Options, migrate_bytes, migrate_source, run_files
from jackmigrate.project import build_index, build_index_from_sources
from jackmigrate.rules import all_rules
from jackmigrate.rules.base import Bucket, Example, Rule
from jackmigrate.source import SourceError, atomic_write, decode_source, encode_source

ALL = Options(rule_ids=tuple(all_rules()))
JM001 = Options(rule_ids=("JM001",))

APP = (
    "from quixote.directory import Directory\n"
    "from quixote import get_request\n"
    "\n"
    "class Root(Directory):\n"
    "    _q_exports = ['']\n"
    "\n"
    "    def _q_index(self):\n"
    "        return get_request().get_path()\n"
)


def test_rewrites_and_reports_positions() -> None:
    res = migrate_bytes("app/pages.py", APP.encode(), JM001)
    assert res.error is None and res.changed
    assert res.new_text == APP.replace("from quixote.directory", "from jack_runtime.directory").replace(
        "from quixote import", "from jack_runtime import"
    )
    lines = sorted(f.line for f in res.findings if f.bucket is Bucket.REWRITTEN)
    assert lines == [1, 2]
    f = res.findings[0]
    assert f.rule == "JM001" and f.path == "app/pages.py"
    assert f.edits == [(1, 2, "from jack_runtime.directory import Directory\n")]


def test_prefilter_skips_without_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*a: object, **k: object) -> None:
        raise AssertionError("parsed a file without any marker")

    monkeypatch.setattr(cst, "parse_module", boom)
    res = migrate_bytes("plain.py", b"import os\nprint(os.getcwd())\n", JM001)
    assert res.skipped and not res.changed and res.findings == []


def test_ptl_files_are_never_prefiltered() -> None:
    assert engine.prefilter("x.ptl", b"def f():\n    pass\n", [all_rules()["JM001"]], ())
    assert not engine.prefilter("x.py", b"def f():\n    pass\n", [all_rules()["JM001"]], ())


def test_latin1_cookie_round_trip() -> None:
    src = "# -*- coding: latin-1 -*-\nfrom quixote import get_request\nNAME = 'caf\u00e9'\n"
    res = migrate_bytes("a.py", src.encode("latin-1"), JM001)
    assert res.error is None
    assert res.new_bytes == src.replace("quixote", "jack_runtime").encode("latin-1")


def test_bom_and_crlf_kept() -> None:
    src = "import quixote\r\n\r\ndef f():\r\n    return quixote.get_request()\r\n"
    data = codecs.BOM_UTF8 + src.encode()
    res = migrate_bytes("a.py", data, JM001)
    assert res.error is None and res.new_bytes is not None
    assert res.new_bytes.startswith(codecs.BOM_UTF8)
    body = res.new_bytes[3:]
    assert b"jack_runtime.get_request()" in body
    assert body.count(b"\n") == body.count(b"\r\n")  # no bare LF, even in new lines


def test_undecodable_file_is_an_error_with_line() -> None:
    res = migrate_bytes("bad.py", b"import quixote\nx = '\xff\xfe'\n", JM001)
    assert res.error is not None and res.error.line == 2
    assert "utf-8" in res.error.message


def test_syntax_error_reported_not_raised() -> None:
    res = migrate_bytes("broken.py", b"import quixote\ndef f(:\n    pass\n", JM001)
    assert res.error is not None
    assert res.error.rule == "JM099" and res.error.line == 2
    assert "cannot parse" in res.error.message
    assert not res.changed


def test_python2_source_gets_a_specific_message() -> None:
    src = b"import quixote\n\ndef f(x):\n    print 'hello', x\n"
    res = migrate_bytes("old.py", src, JM001)
    assert res.error is not None and res.error.line == 4 and res.error.rule == "JM098"
    assert "Python 2" in res.error.message and "first" in res.error.message


def test_file_level_opt_out() -> None:
    res = migrate_bytes("a.py", b"# jackmigrate: skip-file\nimport quixote\nquixote.get_request()\n", ALL)
    assert res.skipped and not res.changed


def test_inline_suppression_and_unused_suppression() -> None:
    src = (
        "from quixote import get_request  # jackmigrate: ignore[JM001]\n"
        "from quixote.html import htmltext\n"
        "x = 1  # jackmigrate: ignore[JM001]\n"
    )
    res = migrate_source(src, "a.py", ["JM001"])
    assert res.error is None
    lines = (res.new_text or "").splitlines()
    assert lines[0].startswith("from quixote import get_request")
    assert lines[1] == "from jack_runtime.html import htmltext"
    unused = [f for f in res.findings if f.rule == "JM091"]
    assert [(f.line, f.bucket) for f in unused] == [(3, Bucket.NOTICE)]
    assert not [f for f in res.findings if f.line == 1 and f.rule == "JM001"]


class _Flip(Rule):
    id = "JM997"
    name = "test-flip"
    summary = rationale = "never converges"
    markers = ("x",)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        if updated_node.value in ("x", "y"):
            return updated_node.with_changes(value="y" if updated_node.value == "x" else "x")
        return updated_node


class _Breaks(Rule):
    id = "JM996"
    name = "test-breaks"
    summary = rationale = "produces code that does not compile"
    markers = ("x",)

    def leave_Expr(self, original_node: cst.Expr, updated_node: cst.Expr) -> cst.BaseSmallStatement:
        return cst.Return(value=updated_node.value)


class _Marks(Rule):
    id = "JM995"
    name = "test-marks"
    summary = rationale = "marks every call of legacy()"
    markers = ("legacy",)
    examples = (Example(before="legacy()\n"),)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if isinstance(updated_node.func, cst.Name) and updated_node.func.value == "legacy":
            self.mark(original_node, "replace legacy()")
        return updated_node


def test_did_not_converge_names_the_rule() -> None:
    res = migrate_source("x = 1\n", "a.py", [_Flip])
    assert res.error is not None
    assert "did not converge" in res.error.message and "JM997" in res.error.message


def test_invalid_output_is_rejected_and_file_untouched() -> None:
    res = migrate_source("x\n", "a.py", [_Breaks])
    assert res.error is not None and "does not compile" in res.error.message
    assert not res.changed


def test_todo_marker_inserted_once_and_counted_each_run() -> None:
    src = "def f():\n    if True:\n        legacy()\n"
    first = migrate_source(src, "a.py", [_Marks])
    assert first.new_text == (
        "def f():\n    if True:\n        # TODO(jackmigrate JM995): replace legacy()\n        legacy()\n"
    )
    second = migrate_source(first.new_text or "", "a.py", [_Marks])
    assert second.new_text == first.new_text
    assert [f.bucket for f in second.findings] == [Bucket.MARKED]
    # two marks on one statement with the same text: one comment
    twice = migrate_source("legacy(legacy())\n", "a.py", [_Marks])
    assert (twice.new_text or "").count("TODO(jackmigrate JM995)") == 1


def test_marked_findings_positions_map_to_original_lines() -> None:
    res = migrate_source("import os\n\nlegacy()\n", "a.py", [_Marks])
    (f,) = res.findings
    assert f.line == 3  # the construct's line in the original file, not after the TODO


def test_atomic_write_keeps_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    p = tmp_path / "script.py"
    p.write_bytes(b"old\n")
    os.chmod(p, 0o754)
    atomic_write(p, b"new\n")
    assert p.read_bytes() == b"new\n"
    assert stat.S_IMODE(p.stat().st_mode) == 0o754
    assert sorted(x.name for x in tmp_path.iterdir()) == ["script.py"]


def test_atomic_write_failure_leaves_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "a.py"
    p.write_bytes(b"original\n")

    def fail(*a: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        atomic_write(p, b"new\n")
    assert p.read_bytes() == b"original\n"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.py"]


def test_decode_encode_errors() -> None:
    with pytest.raises(SourceError):
        decode_source(b"# -*- coding: no-such-codec -*-\nx = 1\n")
    src = decode_source(b"# -*- coding: ascii -*-\nx = 1\n")
    with pytest.raises(SourceError):
        encode_source("x = '\u00e9'\n", src)


def test_index_follows_class_chains_across_modules() -> None:
    # A(B) B(C) C(Directory) across three modules, plus a re-export through __init__.
    index = build_index_from_sources({
        "app/__init__.py": "from .base import Page\n",
        "app/base.py": "from quixote.directory import Directory\nclass Page(Directory):\n    pass\n",
        "app/mid.py": "from app import Page\nclass Section(Page):\n    pass\n",
        "app/leaf.py": "from app.mid import Section as S\nclass Leaf(S):\n    pass\nclass Other(object):\n    pass\n",
        "app/serve.py": (
            "from quixote.publish import Publisher\n"
            "from quixote.server.simple_server import run\n"
            "def create_publisher():\n    return Publisher(None)\n"
            "if __name__ == '__main__':\n    run(create_publisher, port=8080)\n"
        ),
    })
    assert index.quixote_bases("app.leaf.Leaf") == ("quixote.directory.Directory",)
    assert index.derives_from("app.mid.Section", "quixote.directory.Directory")
    assert index.quixote_bases("app.leaf.Other") == ()
    assert {"Page", "Section", "Leaf"} <= set(index.markers)
    kinds = sorted({e.kind for e in index.entry_points})
    assert kinds == ["main", "publisher", "publisher-factory", "server-run"]


def test_index_reaches_files_that_do_not_mention_quixote(tmp_path: Path) -> None:
    pkg = tmp_path / "shop"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "base.py").write_text("from quixote.directory import Directory\nclass Base(Directory):\n    pass\n")
    (pkg / "views.py").write_text("from shop.base import Base\nclass Cart(Base):\n    pass\n")
    files = [(f"shop/{n}", str(pkg / n)) for n in ("__init__.py", "base.py", "views.py")]
    index = build_index(files, str(tmp_path))
    assert index.quixote_bases("shop.views.Cart") == ("quixote.directory.Directory",)
    assert index.module_name_for("shop/views.py") == "shop.views"


def test_context_quixote_bases_uses_the_index() -> None:
    index = build_index_from_sources({
        "app/base.py": "from quixote.directory import Directory\nclass Page(Directory):\n    pass\n",
    })
    seen: list[tuple[str, ...]] = []

    class Probe(Rule):
        id = "JM994"
        name = "test-probe"
        summary = rationale = "records class bases"
        markers = ("Page",)
        index_markers = True

        def visit_ClassDef(self, node: cst.ClassDef) -> None:
            seen.append(self.ctx.quixote_bases(node.bases[0].value))

    migrate_source("from app.base import Page\nclass Home(Page):\n    pass\n", "app/home.py", [Probe], index=index)
    assert seen == [("quixote.directory.Directory",)]


def test_pool_matches_serial(tmp_path: Path) -> None:
    files = []
    for i in range(24):
        p = tmp_path / f"m{i}.py"
        body = APP if i % 3 else "import os\n"
        if i == 5:
            body = "import quixote\ndef f(:\n"
        p.write_text(body)
        files.append((p.name, str(p)))
    serial = run_files(files, ALL, None, jobs=1)
    pooled = run_files(files, ALL, None, jobs=2)
    assert [r.path for r in pooled] == [r.path for r in serial]
    assert [r.new_text for r in pooled] == [r.new_text for r in serial]
    assert [len(r.findings) for r in pooled] == [len(r.findings) for r in serial]
    assert sum(r.error is not None for r in pooled) == 1


def test_scan_and_walker_visit_like_libcst() -> None:
    """The fast traversals call the same methods in the same order as libcst's visit."""
    import argparse

    from jackmigrate.walk import BatchWalker, scan

    module = cst.parse_module(Path(argparse.__file__).read_text(encoding="utf-8"))

    class Trace(cst.CSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.calls: list[str] = []

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            self.calls.append("def " + node.name.value)
            return node.name.value != "_get_values"  # skipped subtree

        def leave_Name(self, node: cst.Name) -> None:
            self.calls.append(node.value)

        def visit_Call(self, node: cst.Call) -> None:
            self.calls.append("call")

    class TraceT(cst.CSTTransformer):
        def __init__(self) -> None:
            super().__init__()
            self.calls: list[str] = []

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            self.calls.append("def " + node.name.value)
            return node.name.value != "_get_values"

        def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
            self.calls.append(original_node.value)
            return updated_node

        def visit_Call(self, node: cst.Call) -> None:
            self.calls.append("call")

    ref = Trace()
    module.visit(ref)
    fast = Trace()
    scan(module, fast)
    assert fast.calls == ref.calls
    batch = TraceT()
    out = BatchWalker([batch]).walk(module)
    assert batch.calls == ref.calls
    assert out is module  # nothing changed: not rebuilt


def test_walker_sees_star_args_and_aliases_after_bare_star_and_star_import() -> None:
    """A bare ``*`` (ParamStar) or ``from m import *`` (ImportStar) in one file must not
    hide ``*args`` or imported names from the rules in the files walked after it."""
    from jackmigrate.walk import BatchWalker

    class Names(cst.CSTTransformer):
        def __init__(self) -> None:
            super().__init__()
            self.names: list[str] = []

        def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
            self.names.append(original_node.value)
            return updated_node

    def names(src: str) -> list[str]:
        rule = Names()
        BatchWalker([rule]).walk(cst.parse_module(src))
        return rule.names

    assert names("def f(a, *, b): pass\n") == ["f", "a", "b"]
    assert names("def g(*args: T, x): pass\n") == ["g", "args", "T", "x"]
    assert names("from m import *\n") == ["m"]
    assert names("from a import b as c\n") == ["a", "b", "c"]


def test_index_markers_per_rule_select_the_classes_that_matter() -> None:
    from jackmigrate.engine import Options, migrate_bytes
    from jackmigrate.rules import get_rule

    index = build_index_from_sources({
        "app/base.py": (
            "from quixote.publish import Publisher\nfrom quixote.errors import PublishError\n"
            "from quixote.session import SessionManager\n"
            "class BasePub(Publisher):\n    pass\n"
            "class Oops(PublishError):\n    pass\n"
            "class Manager(SessionManager):\n    pass\n"
        ),
    })
    assert index.markers == ("BasePub", "Manager", "Oops")
    assert index.markers_for(("quixote.publish.Publisher",)) == ("BasePub",)
    assert index.markers_for(("quixote.session",)) == ("Manager",)
    publisher_rule = get_rule("JM010")
    assert publisher_rule.markers_in(index) == ("BasePub",)
    # a module that only raises the app's error class is not walked for the Publisher rule
    assert not publisher_rule.applies_to("app/pages.py", "from app.base import Oops\nraise Oops()\n",
                                         publisher_rule.markers_in(index))
    assert publisher_rule.applies_to("app/run.py", "from app.base import BasePub\n",
                                     publisher_rule.markers_in(index))
    # ... and a subclass of the app's Publisher subclass in another module is still migrated
    source = b"from app.base import BasePub\n\nclass Site(BasePub):\n    is_thread_safe = True\n"
    opts = Options(rule_ids=("JM001", "JM010", "JM090"))
    result = migrate_bytes("app/site.py", source, opts, index)
    assert result.error is None and result.changed
    assert "is_thread_safe = True" not in result.new_text


def test_emptied_import_lines_are_dropped_by_reference_not_by_a_reusable_id() -> None:
    # A freed placeholder's id is soon reused by new nodes of the same size: with ids
    # alone, some of these lines were dropped (and `global x` lines vanished at random).
    from jackmigrate.imports import drop_empty_lines
    from jackmigrate.walk import NodeSet

    base = [cst.parse_statement(f"global x{i}\n") for i in range(50)]
    dropped = NodeSet()
    dropped.add(base[0].with_changes(body=[cst.Pass()]))  # the only reference: dropped's
    lines = [b.with_changes(leading_lines=()) for b in base]  # same size: a freed id is reused
    assert drop_empty_lines(lines, dropped) == lines



def test_validation_compiles_for_the_target_python():
    import sys as _sys

    from jackmigrate.engine import _validate
    from jackmigrate.source import SourceError

    here = _sys.version_info[:2]
    _validate("if (n := 3):\n    pass\n", "m.py", here)
    with pytest.raises(SourceError, match="Python 3.7"):
        _validate("if (n := 3):\n    pass\n", "m.py", (3, 7))
    # errors only the compiler finds (not the parser), on both paths
    for target in (here, (3, 8)):
        with pytest.raises(SourceError) as err:
            _validate("x = 1\nreturn x\n", "m.py", target)
        assert err.value.line == 2 and "outside function" in err.value.message
