"""Generic harness over every registered rule's examples (the same examples --explain
prints), plus the false-positive guard on code that has nothing to do with Quixote."""

from __future__ import annotations

import ast
import collections
import re
import sys
from pathlib import Path

import libcst as cst
import pytest

from jackmigrate.engine import Options, migrate_bytes, migrate_source
from jackmigrate.rules import all_rules, layers
from jackmigrate.rules.base import Bucket, Example, Rule

TODO_LINE = re.compile(r"^\s*#\s*TODO\(jackmigrate JM\d{3}\).*$", re.MULTILINE)

CASES = [
    pytest.param(rule, i, ex, id=f"{rid}-{i}")
    for rid, rule in all_rules().items()
    for i, ex in enumerate(rule.examples)
]


def _index_for(ex: Example):  # type: ignore[no-untyped-def]
    if not ex.modules:
        return None
    from jackmigrate.project import build_index_from_sources

    return build_index_from_sources(dict(ex.modules) | {ex.path: ex.before})


def _check_output(text: str, path: str) -> None:
    cst.parse_module(text)
    if not path.endswith(".ptl") or True:
        compile(ast.parse(text), path, "exec")


def _assert_no_duplicate_todos(text: str) -> None:
    lines = text.splitlines()
    for a, b in zip(lines, lines[1:]):
        if TODO_LINE.match(a) and a.strip() == b.strip():
            raise AssertionError(f"duplicated TODO marker: {a.strip()}")


def test_registry_metadata() -> None:
    rules = all_rules()
    assert "JM001" in rules
    names = collections.Counter(r.name for r in rules.values())
    assert all(n == 1 for n in names.values()), names
    for rid, rule in rules.items():
        assert re.fullmatch(r"JM\d{3}", rid)
        assert rule.name and rule.summary and rule.rationale, rid
        assert rule.examples, f"{rid} has no examples"
        assert any(ex.after is not None for ex in rule.examples) or rid.startswith("JM09"), (
            f"{rid} has no before/after example"
        )
    # ordering constraints resolve (raises on cycles / unknown ids)
    assert sum(len(layer) for layer in layers(rules.values())) == len(rules)


@pytest.mark.parametrize("rule,i,ex", CASES)
def test_example(rule: type[Rule], i: int, ex: Example) -> None:
    index = _index_for(ex)
    res = migrate_source(ex.before, ex.path, [rule], index=index)
    assert res.error is None, res.error.message if res.error else ""
    expected = ex.before if ex.after is None else ex.after
    assert res.new_text == expected
    _check_output(res.new_text or "", ex.path)
    _assert_no_duplicate_todos(res.new_text or "")
    if ex.buckets is not None:
        got = tuple(sorted(f.bucket.value for f in res.findings if f.rule == rule.id))
        assert got == tuple(sorted(b.value for b in ex.buckets))
    if ex.after is None:
        assert not [f for f in res.findings if f.rule == rule.id and f.bucket is Bucket.REWRITTEN]
    # A second run over the output changes nothing and adds no TODO marker.
    out_path = str(Path(ex.path).with_suffix(rule.rename_suffix)) if (
        rule.rename_suffix and rule.suffixes and Path(ex.path).suffix in rule.suffixes
    ) else ex.path
    again = migrate_source(res.new_text or "", out_path, [rule], index=index)
    assert again.error is None, again.error.message if again.error else ""
    assert again.new_text == res.new_text
    assert len(TODO_LINE.findall(again.new_text or "")) == len(TODO_LINE.findall(res.new_text or ""))


@pytest.mark.parametrize("rule,i,ex", CASES)
def test_example_with_all_rules(rule: type[Rule], i: int, ex: Example) -> None:
    """Every rule together on every example: the output parses and is a fixed point."""
    index = _index_for(ex)
    res = migrate_source(ex.before, ex.path, None, index=index)
    assert res.error is None, res.error.message if res.error else ""
    _check_output(res.new_text or "", ex.path)
    _assert_no_duplicate_todos(res.new_text or "")
    out_path = res.new_path or ex.path
    again = migrate_source(res.new_text or "", out_path, None, index=index)
    assert again.error is None, again.error.message if again.error else ""
    assert again.new_text == res.new_text


def _corpus() -> list[Path]:
    import click
    import werkzeug

    files: list[Path] = []
    for pkg in (werkzeug, click):
        files.extend(sorted(Path(pkg.__file__).parent.rglob("*.py")))
    stdlib = Path(ast.__file__).parent
    for name in ("email", "json", "http", "wsgiref", "logging", "urllib", "html"):
        files.extend(sorted((stdlib / name).rglob("*.py")))
    for name in ("string.py", "cgi.py", "smtplib.py", "shutil.py", "argparse.py", "pathlib.py"):
        if (stdlib / name).exists():
            files.append(stdlib / name)
    return files


def test_no_change_on_non_quixote_code() -> None:
    """False-positive guard: all rules over werkzeug, click and part of the standard
    library (about 60k lines) change nothing and report nothing."""
    files = _corpus()
    assert len(files) > 100
    opts = Options(rule_ids=tuple(all_rules()), target_python=sys.version_info[:2])
    total_lines = 0
    offenders = []
    for path in files:
        data = path.read_bytes()
        total_lines += data.count(b"\n")
        res = migrate_bytes(str(path), data, opts)
        if res.error is not None:
            # Syntax this Python cannot compile is not a false positive.
            continue
        if res.changed or [f for f in res.findings if f.bucket is not Bucket.NOTICE]:
            offenders.append((str(path), [f"{f.rule}:{f.line} {f.message}" for f in res.findings][:3]))
    assert total_lines > 50_000
    assert not offenders, offenders[:10]
