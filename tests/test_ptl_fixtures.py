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
from jackmigrate import py2
from jackmigrate.ptl import convert_ptl

FIXTURES = Path(__file__).parent.parent / "fixtures"
PTL_FILES = sorted(FIXTURES.glob("*/*/*.ptl"))
HOSTILE = '<script>alert("x")</script> & \'q\''


def _source(path: Path) -> str:
    """The file as the PTL converter sees it: Python 2 templates (py2/) go through the
    Python 2 front end first, as in the engine."""
    text = path.read_text()
    if py2.is_python2(text, ptl=True):
        return py2.to_python3(text, path=str(path), ptl=True).code
    return text


def _generation(path: Path) -> int:
    # What each fixture app was written for (fixtures/README.md): py2/ is Quixote 2
    # (generation 1), legacy/ Quixote 3.1-3.6 (brackets + h-strings), the rest 3.2+.
    text = path.read_text()
    if path.parent.parent.name == "py2":
        return 1
    return 2 if "[html]" in text or "[plain]" in text else 3


def _convert(path: Path):
    # As JM040 does in the engine: a file the Python 2 front end converted is forced to
    # generation 1; any other file's generation is detected.
    forced = 1 if py2.is_python2(path.read_text(), ptl=True) else None
    return convert_ptl(_source(path), str(path), generation=forced)


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
    source = _source(path)
    result = _convert(path)
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
            source = _source(path)
            generation = _generation(path)
            try:
                if world == "quixote":
                    ns = run_quixote(source, generation, name)
                else:
                    ns = run_jack(source, name, generation=_convert(path).generation)[0]
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
        result = _convert(app / filename)
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
