"""JM040 (ptl-templates) inside the engine: .ptl files become .py files, findings are
reported in their buckets, unconvertible files are reported and left untouched."""

from __future__ import annotations

import pytest

from jackmigrate.engine import migrate_source
from jackmigrate.rules import get_rule
from jackmigrate.rules.base import Bucket
from ptl_harness import QUIXOTE_DEMO


def test_rule_is_registered_and_describes_itself():
    rule = get_rule("ptl-templates")
    assert rule.id == "JM040" and rule.suffixes == (".ptl",) and rule.rename_suffix == ".py"
    assert rule.summary and rule.rationale and len(rule.examples) == 3
    assert {e.path.rsplit(".", 1)[1] for e in rule.examples} == {"ptl"}


def test_ptl_file_is_converted_and_renamed():
    source = "from quixote.ptl import ptl_html\n\n@ptl_html\ndef page(x):\n    F'<p>{x}</p>'\n"
    result = migrate_source(source, "app/pages.ptl", rules=["JM040"])
    assert result.error is None
    assert result.new_path == "app/pages.py"
    assert "out = TemplateIO(html=True)" in result.new_text
    buckets = sorted((f.line, f.bucket) for f in result.findings)
    assert buckets == [(3, Bucket.REWRITTEN), (4, Bucket.REWRITTEN)]


def test_rule_ignores_python_files():
    source = "from quixote.ptl import ptl_html\n\n@ptl_html\ndef page(x):\n    F'<p>{x}</p>'\n"
    result = migrate_source(source, "app/pages.py", rules=["JM040"])
    assert result.new_path is None and not result.changed


def test_review_findings_are_marked_with_a_todo_comment():
    source = "def greet [html] (name):\n    'Hello '\n    name\n"
    result = migrate_source(source, "greet.ptl", rules=["JM040"])
    marked = [f for f in result.findings if f.bucket is Bucket.MARKED]
    assert len(marked) == 1 and "ambiguous" in marked[0].message
    assert "# TODO(jackmigrate JM040): PTL generation 2: ambiguous" in result.new_text


@pytest.mark.parametrize(
    "source, line, words",
    [
        ("def f [html] (x):\n    '<p>'\n    print x\n", 3, "Python 2 source"),
        ("from quixote.ptl import ptl_html\n@ptl_html\nasync def f():\n    '<p>'\n", 3, "async def template"),
    ],
)
def test_unconvertible_ptl_is_reported_and_left_untouched(source, line, words):
    result = migrate_source(source, "bad.ptl", rules=["JM040"])
    assert result.error is not None
    assert result.error.bucket is Bucket.ERROR and result.error.line == line and words in result.error.message
    assert result.error.path == "bad.ptl"
    assert result.new_text is None and result.new_path is None and not result.changed


def test_demo_module_through_every_rule_compiles_and_keeps_no_ptl():
    source = (QUIXOTE_DEMO / "root.ptl").read_text()
    result = migrate_source(source, "quixote/demo/root.ptl")
    assert result.error is None and result.new_path == "quixote/demo/root.py"
    compile(result.new_text, "root.py", "exec")
    assert "ptl_html" not in result.new_text and "F\"\"\"" not in result.new_text


def test_python2_origin_flag_forces_generation_1(monkeypatch):
    # The Python 2 front end marks converted files; their templates are Quixote <= 2.x.
    from jackmigrate.rules.base import FileContext

    rule = get_rule("JM040")(FileContext("old.ptl"))
    rule.ctx.from_python2 = True
    out = rule.convert_source("def f [html] (x):\n    'Hello '\n    x\n")
    assert "out += htmltext('Hello ')" in out


def test_ptl_without_templates_is_still_renamed():
    source = (QUIXOTE_DEMO / "integers.ptl").read_text()
    result = migrate_source(source, "quixote/demo/integers.ptl", rules=["JM040"])
    assert result.error is None and result.new_path == "quixote/demo/integers.py"
