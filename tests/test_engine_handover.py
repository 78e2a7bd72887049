"""The PTL converter hands its tree to the engine instead of the engine parsing the
converted text again: the outcome must be the same as with a fresh parse."""

import dataclasses
from pathlib import Path

import libcst
import pytest
import quixote

from jackmigrate.engine import Options, migrate_bytes
from jackmigrate.rules import all_rules
from jackmigrate.rules import ptl_templates

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(
    [p for p in (ROOT / "fixtures").rglob("*.ptl") if "expected" not in p.parts]
    + list((ROOT / "tests" / "ptl_corpus").rglob("*.ptl"))
    + list((Path(quixote.__file__).parent / "demo").rglob("*.ptl"))
)


def _outcome(path: Path):
    opts = Options(rule_ids=tuple(all_rules()), root=str(path.parent))
    result = migrate_bytes(path.name, path.read_bytes(), opts)
    findings = [(f.rule, f.bucket, f.message, f.line, f.column, f.end_line, f.end_column, f.edits)
                for f in result.findings]
    return result.new_text, result.new_path, findings, result.error and result.error.message


def test_there_are_templates_to_check():
    assert len(SOURCES) >= 10


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_handed_tree_gives_the_same_result_as_a_parse(path, monkeypatch):
    parses: list = []
    parse = libcst.parse_module

    def counting_parse(*args, **kwargs):
        parses.append(1)
        return parse(*args, **kwargs)

    monkeypatch.setattr(libcst, "parse_module", counting_parse)
    handed = _outcome(path)
    handed_parses = len(parses)
    convert = ptl_templates.convert_ptl

    def without_tree(*args, **kwargs):
        return dataclasses.replace(convert(*args, **kwargs), tree=None)

    monkeypatch.setattr(ptl_templates, "convert_ptl", without_tree)
    parses.clear()
    assert _outcome(path) == handed
    if handed[3] is None:  # converted: the engine parsed the converted text only without the tree
        assert len(parses) == handed_parses + 1


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_handed_layout_is_the_parsed_one(path, monkeypatch):
    from jackmigrate.codegen import layout_of
    from jackmigrate.ptl import PtlError, convert_ptl

    try:
        result = convert_ptl(path.read_text(encoding="utf-8"), str(path), validate=False)
    except PtlError:  # e.g. a Python 2 template: the engine converts it to Python 3 first
        result = None
    if result is not None and result.layout is not None:
        assert result.layout == layout_of(result.tree, result.code)
    # the engine gives the same result when it has to find the layout itself
    handed = _outcome(path)
    convert = ptl_templates.convert_ptl
    monkeypatch.setattr(ptl_templates, "convert_ptl",
                        lambda *a, **k: dataclasses.replace(convert(*a, **k), layout=None))
    assert _outcome(path) == handed


def _fixture_files():
    return sorted(
        (str(p.relative_to(ROOT)), str(p)) for p in (ROOT / "fixtures").rglob("*")
        if p.suffix in (".py", ".ptl") and "expected" not in p.parts
    )


def test_index_hands_the_statement_lines_it_parsed():
    from jackmigrate.codegen import layout_of
    from jackmigrate.project import build_index

    files = _fixture_files()
    index = build_index(files, str(ROOT))
    checked = 0
    for display, real in files:
        data = Path(real).read_bytes()
        firsts = index.statement_lines_for(display, data)
        if firsts is None:
            continue
        text = data.decode("utf-8")
        module = libcst.parse_module(text)
        assert layout_of(module, text, firsts=firsts) == layout_of(module, text)
        assert index.statement_lines_for(display, data + b"\nx = 1\n") is None  # changed since
        checked += 1
    assert checked >= 20


def test_run_with_the_index_lines_equals_a_run_without():
    from jackmigrate.engine import run_files
    from jackmigrate.project import build_index

    files = _fixture_files()
    opts = Options(rule_ids=tuple(all_rules()), root=str(ROOT))

    def outcome(index):
        return [(r.path, r.new_text, r.new_path, [(f.rule, f.line, f.column, f.end_line, f.message, f.edits)
                                                  for f in r.findings]) for r in run_files(files, opts, index, jobs=1)]

    index = build_index(files, str(ROOT))
    with_lines = outcome(index)
    index.statement_lines.clear()
    assert outcome(index) == with_lines


def test_positions_found_from_the_walk_statement_equal_a_search(monkeypatch):
    from jackmigrate import engine
    from jackmigrate.engine import run_files
    from jackmigrate.project import build_index

    files = _fixture_files() + sorted(
        (str(p), str(p)) for p in (Path(quixote.__file__).parent).rglob("*.py"))
    opts = Options(rule_ids=tuple(all_rules()), root=str(ROOT))
    index = build_index(files, str(ROOT))

    def findings():
        return [(r.path, [(f.rule, f.line, f.column, f.end_line, f.end_column, f.message) for f in r.findings])
                for r in run_files(files, opts, index, jobs=1)]

    hinted = findings()
    calls = []
    real = engine.positions_in

    def searching(module, text, nodes, layout=None, statement_of=None):
        calls.append(bool(statement_of))
        return real(module, text, nodes, layout)

    monkeypatch.setattr(engine, "positions_in", searching)
    assert findings() == hinted
    assert sum(calls) >= 50  # the walk's statements were there to use


def test_text_the_index_parsed_is_not_asked_again_whether_it_is_python_2(tmp_path, monkeypatch):
    from jackmigrate.engine import run_files
    from jackmigrate.project import build_index
    from jackmigrate.rules import python2

    # Python 3 whose text looks like Python 2 (`except E, e:` in a docstring): without the
    # index, is_python2 must parse it to find out.
    app = tmp_path / "app.py"
    app.write_text('"""Was: except ValueError, e: ..."""\nfrom quixote import get_request\n\n\n'
                   'def page():\n    return get_request().get_path()\n')
    files = [("app.py", str(app))]
    opts = Options(rule_ids=tuple(all_rules()), root=str(tmp_path))
    asked = []
    real = python2.is_python2
    monkeypatch.setattr(python2, "is_python2", lambda *a, **k: asked.append(a) or real(*a, **k))

    def outcome(index):
        return [(r.new_text, [(f.rule, f.line, f.message) for f in r.findings]) for r in run_files(files, opts, index)]

    index = build_index(files, str(tmp_path))
    with_index = outcome(index)
    assert asked == []
    index.statement_lines.clear()
    assert outcome(index) == with_index
    assert len(asked) == 1
    assert "jack_runtime" in with_index[0][0]
