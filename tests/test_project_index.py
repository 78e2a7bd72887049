"""The project index's own traversal finds exactly what ast.NodeVisitor's would."""
import ast
from pathlib import Path

import quixote

from jackmigrate import project

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("modules", "paths", "bindings", "classes", "entry_points", "markers", "markers_by_base",
          "unparsed", "statement_lines", "ptl_facts")


def _files():
    paths = [p for p in (ROOT / "fixtures").rglob("*") if p.suffix in (".py", ".ptl") and "expected" not in p.parts]
    paths += list(Path(quixote.__file__).parent.rglob("*.py"))
    return sorted((str(p), str(p)) for p in paths)


def test_skipping_traversal_indexes_like_a_full_node_visitor(monkeypatch):
    files = _files()
    fast = project.build_index(files, str(ROOT))
    monkeypatch.setattr(project._FileIndexer, "visit", ast.NodeVisitor.visit)
    monkeypatch.setattr(project._FileIndexer, "generic_visit", ast.NodeVisitor.generic_visit)
    full = project.build_index(files, str(ROOT))
    for name in FIELDS:
        assert getattr(fast, name) == getattr(full, name), name
    assert len(fast.entry_points) >= 10 and len(fast.classes) >= 50


def test_calls_inside_skipped_looking_places_are_found():
    # a call in a default value, an annotation, a decorator, a lambda and a comprehension
    src = (
        "from quixote.publish import Publisher\n"
        "import quixote.server.simple_server as ss\n"
        "def f(x=Publisher(None)) -> ss.run(g):\n"
        "    return [ss.main() for _ in ()]\n"
        "@ss.run(h)\n"
        "def k(): pass\n"
        "w = lambda: ss.run(w)\n"
    )
    index = project.build_index_from_sources({"app.py": src})
    kinds = sorted((e.kind, e.line) for e in index.entry_points)
    assert kinds == [("publisher", 3), ("server-run", 3), ("server-run", 4), ("server-run", 5), ("server-run", 7)]
