"""Rules declare handlers idle for a module (``idle_methods``): the walker then skips
them, and whole subtrees when nothing else is handled there.  A declaration must never
change an outcome: every app below gives the same result with the declarations ignored,
and with the engine not telling the rules the code it walks (``FileContext.code``)."""

from pathlib import Path

import quixote

from jackmigrate import engine, walk
from jackmigrate.engine import Options, run_files
from jackmigrate.project import build_index
from jackmigrate.rules import all_rules

ROOT = Path(__file__).resolve().parent.parent


def _files():
    sources = [p for p in (ROOT / "fixtures").rglob("*") if p.suffix in (".py", ".ptl") and "expected" not in p.parts]
    sources += (ROOT / "tests" / "ptl_corpus").rglob("*.ptl")
    sources += Path(quixote.__file__).parent.rglob("*.py")
    return sorted((str(p), str(p)) for p in sources)


def _outcome(files):
    opts = Options(rule_ids=tuple(all_rules()), root=str(ROOT))
    index = build_index(files, str(ROOT))
    return [(r.path, r.new_text, r.new_path, r.error and r.error.message,
             [(f.rule, f.bucket, f.line, f.column, f.end_line, f.end_column, f.message, f.edits) for f in r.findings])
            for r in run_files(files, opts, index, jobs=1)]


def test_idle_declarations_change_no_outcome(monkeypatch):
    files = _files()
    assert len(files) > 80
    declared = _outcome(files)
    changed = [o for o in declared if o[1] is not None and o[3] is None]
    assert len(changed) > 30  # (the apps are migrated: the rules had work to do)

    monkeypatch.setattr(walk.BatchWalker, "_drop_idle", lambda self: None)
    assert _outcome(files) == declared


def test_rules_told_no_code_give_the_same_outcome(monkeypatch):
    files = _files()
    declared = _outcome(files)
    real = engine.FileContext

    class Untold(real):  # type: ignore[misc, valid-type]
        def __setattr__(self, name, value):
            super().__setattr__(name, None if name == "code" else value)

    monkeypatch.setattr(engine, "FileContext", Untold)
    assert _outcome(files) == declared
