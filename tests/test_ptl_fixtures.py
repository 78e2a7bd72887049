"""The PTL templates of the fixture applications (``fixtures/*/``), converted.

Each ``.ptl`` file must convert, be read as the generation its application was written
for, have exactly the templates Quixote's own compiler sees, and every module-level
template must render like Quixote's on hostile arguments.  (The pages as served, with
sessions and forms, are compared end to end by ``jackmigrate verify``.)
"""

from __future__ import annotations

import ast
import inspect
import itertools
import sys
import types
import warnings
from pathlib import Path

import pytest

from ptl_harness import call, equivalent, quixote_parser, run_jack, run_quixote
from jackmigrate.ptl import convert_ptl

FIXTURES = Path(__file__).parent.parent / "fixtures"
PTL_FILES = sorted(FIXTURES.glob("*/*/*.ptl"))
HOSTILE = '<script>alert("x")</script> & \'q\''


def _generation(path: Path) -> int:
    # The fixtures README: legacy/ is Quixote 3.1-3.6 PTL (brackets + h-strings).
    return 2 if "[html]" in path.read_text() or "[plain]" in path.read_text() else 3


def _quixote_templates(source: str, generation: int) -> set[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        tree = quixote_parser(generation).parse(source.encode(), "f.ptl")
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and any(isinstance(s, ast.Assign) and getattr(s.targets[0], "id", "") == "_q_output" for s in node.body)
    }


def test_fixtures_have_ptl_files():
    if not PTL_FILES:
        pytest.skip("no fixture .ptl files yet")
    assert {p.parent.parent.name for p in PTL_FILES} >= {"blog", "legacy"}


@pytest.mark.parametrize("path", PTL_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_ptl_converts_with_quixotes_templates(path):
    source = path.read_text()
    result = convert_ptl(source, str(path))
    assert result.generation == _generation(path)
    assert {name for name, _, _ in result.templates} == _quixote_templates(source, result.generation)
    assert not [f for f in result.findings if f.kind == "review"]
    compile(result.code, str(path), "exec")


class Probe:
    """An argument of unknown shape: hostile text wherever text is read."""

    def __init__(self, depth: int = 0) -> None:
        self.depth = depth

    def __getattr__(self, name: str):
        if name in ("id", "number", "count", "n"):
            return 7
        if name.startswith("__"):
            raise AttributeError(name)
        return f"{HOSTILE} {name}"

    def __iter__(self):
        return iter([Probe(self.depth + 1), Probe(self.depth + 1)] if self.depth < 1 else [])

    def __str__(self):
        return f"{HOSTILE} probe"


ARGUMENTS = [HOSTILE, None, Probe(), [Probe(), Probe()], [(HOSTILE, HOSTILE + "2")], 5]


def _load(app: Path, world: str, monkeypatch) -> dict[str, dict]:
    """Every .ptl module of a fixture package executed in one world (Quixote's compiler
    or converted), siblings registered in sys.modules; the package's __init__ (which
    calls enable_ptl) is replaced by an empty package."""
    package = app.name
    stub = types.ModuleType(package)
    stub.__path__ = [str(app)]
    monkeypatch.setitem(sys.modules, package, stub)
    monkeypatch.syspath_prepend(str(app.parent))
    pending = sorted(app.glob("*.ptl"))
    loaded: dict[str, dict] = {}
    session = types.SimpleNamespace(user=HOSTILE)
    for _ in range(len(pending) + 1):
        for path in list(pending):
            name = f"{package}.{path.stem}"
            source = path.read_text()
            try:
                if world == "quixote":
                    ns = run_quixote(source, _generation(path), name)
                else:
                    ns = run_jack(source, name)[0]
            except ImportError:
                continue  # a sibling not loaded yet
            ns["get_session"] = lambda: session
            module = types.ModuleType(name)
            module.__dict__.update(ns)
            monkeypatch.setitem(sys.modules, name, module)
            loaded[path.name] = ns
            pending.remove(path)
    return loaded


@pytest.mark.parametrize("app", sorted({p.parent for p in PTL_FILES}), ids=lambda p: p.parent.name)
def test_fixture_templates_render_like_quixote(app, monkeypatch):
    quixote_world = _load(app, "quixote", monkeypatch)
    jack_world = _load(app, "jack", monkeypatch)
    assert quixote_world.keys() == jack_world.keys() and quixote_world
    rendered = 0
    for filename, qns in quixote_world.items():
        jns = jack_world[filename]
        result = convert_ptl((app / filename).read_text(), filename)
        for name, _, _ in result.templates:
            qfn, jfn = qns.get(name), jns.get(name)
            if not inspect.isfunction(qfn):
                continue  # a method: served pages are compared by verify
            arity = len(inspect.signature(qfn).parameters)
            for args in itertools.product(ARGUMENTS, repeat=arity):
                expected, got = call(qfn, *args), call(jfn, *args)
                assert equivalent(expected, got), (filename, name, args, expected, got)
                rendered += not isinstance(expected, BaseException)
    assert rendered >= 5
