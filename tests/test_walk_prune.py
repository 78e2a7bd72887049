"""jackmigrate.walk: a walk that leaves out the fields where no node it dispatches on can
occur makes exactly the calls, and returns exactly the trees, of a walk through every
field (``BatchWalker.prune = False``) and of libcst's own traversal."""
import ast
import dataclasses
import functools
import random
import typing
from pathlib import Path

import libcst as cst
import pytest
import quixote

from jackmigrate import engine, ptl
from jackmigrate.engine import Options, run_files
from jackmigrate.project import build_index
from jackmigrate.rules import all_rules, quixote_imports
from jackmigrate.walk import STATEMENT_TYPES, BatchWalker, _field_kinds, _held_classes, _plans_for, children

ROOT = Path(__file__).resolve().parent.parent
STDLIB = Path(ast.__file__).parent

# Every statement and most expression forms, nested in each other.
KITCHEN_SINK = '''\
"""doc"""
from __future__ import annotations
import os.path as p, sys
from .. import a, b as c
from m import (x,
    y as z,)
from n import *
GLOBAL: int
X = Y = [1, 2.5, 3j, *rest] ; del X[0], Y
t = 1, ; u = (lambda a, /, b=2, *c, d, e=lambda: 0, **f: (a, b, c, d, e, f))
s = 'a' "b" f"{x!r:>{width}}" f'{"nested" + f"{y}"}'; bs = rb'\\x00' b"\\n"
@decorator
@other.attr(arg, *args, key=val, **kw)
async def coro(a: int = 1, *, b: "str" = ..., **kw) -> typing.Optional[int]:
    global GLOBAL
    async with ctx() as (m, n), other:
        await thing
    async for i in aiter():
        yield i
    result = [j async for j in aiter() if j if not j]
    def inner():
        nonlocal result
        return (yield from gen())
    return {k: v for k, v in d.items()}, {e for e in s}, (g for g in h)
class K(Base, metaclass=Meta, **opts):
    attr: list[int] = []
    def m(self, /, x, *a, y: int, **k):
        if (n := len(x)) > 10 and not y or -x < ~y <= +z != w is not q in r not in s:
            pass
        elif x:
            raise ValueError("no") from None
        else:
            assert x, "msg"
        while True:
            break
        else:
            continue
        for i, (j, k) in enumerate(pairs):
            x += i; x -= j; x *= k; x @= m; x //= 2; x **= 2; x >>= 1; x <<= 1; x |= 1; x &= 1; x ^= 1
        else:
            x = a if b else c
        try:
            pass
        except (A, B) as e:
            pass
        except C:
            pass
        else:
            pass
        finally:
            pass
        with open(f) as fh, \\
                other():
            data = fh.read()[1:2, ::3, ...][x]
        match command.split():
            case [action]:
                pass
            case [Point(x=0, y=yy), *others] if yy > 0:
                pass
            case {"key": value, **rest}:
                pass
            case "go" | "run" as verb:
                pass
            case K.CONST | None | True | -1 | 1 + 2j:
                pass
            case _:
                pass
        return x.y.z(*a, **k)[0]
try:
    pass
except* ValueError as eg:
    pass
print(*[1], sep="")
'''


def _sources() -> dict[str, str]:
    found = {"kitchen_sink": KITCHEN_SINK}
    fixtures = sorted(p for p in (ROOT / "fixtures").rglob("*.py") if "expected" not in p.parts)
    paths = random.Random(5).sample(fixtures, min(len(fixtures), 24))
    paths += random.Random(5).sample(sorted(Path(quixote.__file__).parent.rglob("*.py")), 12)
    paths += [STDLIB / name for name in ("ast.py", "dataclasses.py", "contextlib.py", "string.py",
                                         "asyncio/tasks.py", "json/decoder.py")]
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            ast.parse(text)
        except SyntaxError:
            continue  # (Python 2 fixtures)
        found[str(path.relative_to(path.parents[1]))] = text
    return found


SOURCES = _sources()


@functools.lru_cache(maxsize=None)
def _module(name: str) -> cst.Module:
    # Parsed when a test needs it: each xdist worker parses only its own share.
    return cst.parse_module(SOURCES[name])


def _preorder(module: cst.CSTNode) -> dict[int, int]:
    """id of each node of a tree -> its position in libcst's own traversal."""
    return _layout(module)[0]


def _layout(module: cst.CSTNode) -> tuple[dict[int, int], list[int], set[str]]:
    """Positions by node id, the size of the subtree at each position, the kinds found.
    (``children(node, trivia=True)`` is libcst's ``node.children``, as tests/test_walk.py
    checks, only faster.)"""
    order: dict[int, int] = {}
    sizes: list[int] = []
    kinds: set[str] = set()

    def down(node: cst.CSTNode) -> None:
        pos = order[id(node)] = len(sizes)
        sizes.append(0)
        kinds.add(type(node).__name__)
        for child in children(node, trivia=True):
            down(child)
        sizes[pos] = len(sizes) - pos

    down(module)
    return order, sizes, kinds


def _iter(node: cst.CSTNode) -> typing.Iterator[cst.CSTNode]:
    for child in children(node, trivia=True):
        yield child
        yield from _iter(child)


def _recorder(kinds: typing.Iterable[str], stop: frozenset[str], log: list, tag: int = 0) -> cst.CSTTransformer:
    """A rule with a visit_ and a leave_ method for each kind, logging its calls; its
    visit returns False (children skipped) for the kinds in ``stop``."""
    methods: dict[str, typing.Any] = {}
    for kind in kinds:
        def visit(self, node, _kind=kind):
            log.append(("visit", _kind, self.order[id(node)], tag))
            return False if _kind in stop else None

        def leave(self, original, updated, _kind=kind):
            log.append(("leave", _kind, self.order[id(original)], tag))
            return updated

        methods["visit_" + kind] = visit
        methods["leave_" + kind] = leave
    return type("Recorder", (cst.CSTTransformer,), methods)()


class Reference(BatchWalker):
    prune = False


def _expected(full: list, sizes: list[int], rules: list[tuple[set[str], frozenset[str]]],
              hooks: bool) -> list:
    """The calls of a walk for recorders of ``rules`` ((kinds, kinds whose visit returns
    False)), told from libcst's traversal with a method for every kind: for each rule,
    nothing below a node where its visit returned False (and nothing at all below a node
    where every rule's did), and the statement hooks around a statement's calls."""
    out = []
    wanted = set().union(*(kinds for kinds, _ in rules))
    below = [(-1, -1)] * len(rules)  # per rule, the positions strictly between are skipped
    for event, kind, pos, is_statement in [e for e in full if e[1] in wanted or (hooks and e[3])]:
        skipped = [start < pos < end for start, end in below]
        if all(skipped):
            continue
        if event == "visit" and hooks and is_statement:
            out.append(("enter", kind, pos))
        for tag, (kinds, stop) in enumerate(rules):
            if not skipped[tag] and kind in kinds:
                out.append((event, kind, pos, tag))
                if event == "visit" and kind in stop:
                    below[tag] = (pos, pos + sizes[pos])
        if event == "leave" and hooks and is_statement:
            out.append(("exit", kind, pos))
    return out


@pytest.mark.parametrize("name", list(SOURCES))
def test_pruned_walks_call_what_libcst_calls(name):
    module = _module(name)
    order, sizes, present_kinds = _layout(module)
    everything = [c.__name__ for c in _field_kinds()]
    full: list = []
    rule = _recorder(everything, frozenset(), full)
    rule.order = order
    module.visit(rule)
    statements = {c.__name__ for c in _field_kinds() if issubclass(c, STATEMENT_TYPES)}
    full = [(event, kind, pos, kind in statements) for event, kind, pos, _ in full]

    rare = [k for k in sorted(present_kinds) if k not in ("Name", "SimpleWhitespace", "Comma", "Newline")]
    rnd = random.Random(name)
    kind_sets = [["Module"], ["IndentedBlock"], ["SimpleStatementLine"], ["Comma"], ["Name"],
                 ["SimpleWhitespace", "Param"], ["Decorator", "Lambda"], ["MatchAs", "Integer"]]
    # (fewer in big modules: the test must stay fast)
    n_random = max(3, min(12, 40000 // len(sizes)))
    kind_sets += [rnd.sample(rare, min(len(rare), rnd.randint(1, 4))) for _ in range(n_random)]
    kind_sets += [rnd.sample(everything, 3) for _ in range(n_random // 3)]
    for kinds in kind_sets:
        stop = frozenset(rnd.sample(kinds, 1))
        # The second rule's kinds: another sample, or a kind below the first's stop.
        other = rnd.sample(rare, min(len(rare), 2)) if rnd.random() < 0.5 else rnd.sample(everything, 2)
        cases = [([(kinds, frozenset())], False), ([(kinds, frozenset())], True),
                 ([(kinds, stop)], True), ([(kinds, stop), (other, frozenset())], True),
                 ([(other, frozenset(other[:1])), (kinds, stop)], False)]
        for rules, hooks in cases:
            got: list = []
            recorders = [_recorder(k, s, got, tag) for tag, (k, s) in enumerate(rules)]
            for rec in recorders:
                rec.order = order

            def enter(node, _got=got):
                _got.append(("enter", type(node).__name__, order[id(node)]))

            def leave(original, result, _got=got):
                _got.append(("exit", type(original).__name__, order[id(original)]))
                return result

            walker = BatchWalker(recorders, enter, leave) if hooks else BatchWalker(recorders)
            assert walker.walk(module) is module
            expected = _expected(full, sizes, [(set(k), s) for k, s in rules], hooks)
            assert got == expected, (rules, hooks)


class _Rewrite(cst.CSTTransformer):
    """Renames names, drops ``pass`` lines, doubles ``del`` lines and empties call
    arguments of ``len``: replacements, removals and flattening, deep in the tree."""

    def __init__(self, skip_defs: bool) -> None:
        super().__init__()
        self.skip_defs = skip_defs

    def visit_FunctionDef(self, node):
        return not self.skip_defs

    def leave_Name(self, original, updated):
        if updated.value in ("x", "self", "node", "result"):
            return updated.with_changes(value=updated.value + "_")
        return updated

    def leave_SimpleStatementLine(self, original, updated):
        if any(isinstance(s, cst.Pass) for s in updated.body):
            return cst.RemovalSentinel.REMOVE
        if any(isinstance(s, cst.Del) for s in updated.body):
            return cst.FlattenSentinel([updated, updated])
        return updated

    def leave_Arg(self, original, updated):
        if isinstance(updated.value, cst.Integer):
            return cst.RemovalSentinel.REMOVE
        return updated


@pytest.mark.parametrize("name", list(SOURCES)[::3])
def test_pruned_walks_rebuild_the_same_trees(name):
    module = _module(name)
    for skip_defs in (False, True):
        results = []
        for walker_cls in (BatchWalker, Reference):
            walker = walker_cls([_Rewrite(skip_defs), _recorder(["Call"], frozenset(), [])])
            walker.rules[1].order = _preorder(module)
            out = walker.walk(module)
            results.append((out.code, walker.changed, walker.changed_by, out is module))
        assert results[0] == results[1]
        if not skip_defs:
            assert results[0][0] == module.visit(_Rewrite(False)).code


def test_statement_level_walks_stay_out_of_expressions():
    module = _module("kitchen_sink")
    reached: list[str] = []

    class Counting(BatchWalker):
        def _walk(self, node):
            reached.append(type(node).__name__)
            return super()._walk(node)

    class Statements(cst.CSTTransformer):
        def leave_SimpleStatementLine(self, original, updated):
            return updated

    Counting([Statements()]).walk(module)
    assert "SimpleStatementLine" in reached and "IndentedBlock" in reached
    assert not {"Name", "Call", "Param", "Decorator", "Comparison", "Integer"} & set(reached)
    assert len(reached) < len(list(_iter(module))) / 5

    # A rule for Name handled by another walker gets its own plans (the cache keys on
    # the kinds dispatched), and one whose visit returns False skips its subtree.
    reached.clear()

    class Names(cst.CSTTransformer):
        def visit_Name(self, node):
            return None

        def visit_ClassDef(self, node):
            return False

    Counting([Names()]).walk(module)
    assert "Name" in reached and "Comparison" not in reached  # (only inside the class)
    assert "Decorator" in reached and "SimpleWhitespace" not in reached


def test_the_methods_a_rule_declares_idle_are_not_walked_for():
    module = cst.parse_module("import os\ndef f(a=g(b)):\n    return h(a)\n")
    reached: list[str] = []

    class Counting(BatchWalker):
        def _walk(self, node):
            reached.append(type(node).__name__)
            return super()._walk(node)

    class Rule(cst.CSTTransformer):
        def __init__(self, idle):
            super().__init__()
            self.idle, self.calls = idle, []

        def idle_methods(self):
            return self.idle

        def visit_Call(self, node):
            self.calls.append(node.func.value)

    busy, quiet = Rule(()), Rule(("visit_Call",))
    Counting([busy]).walk(module)
    assert busy.calls == ["g", "h"] and "Call" in reached
    reached.clear()
    Counting([quiet]).walk(module)
    assert quiet.calls == [] and reached == ["Module"]


def test_statements_count_as_handled_when_hooks_are_set():
    module = cst.parse_module("def f():\n    if x:\n        y = 1\n")
    seen = []
    rule = _recorder(["Module"], frozenset(), [])
    rule.order = _preorder(module)
    BatchWalker([rule], lambda node: seen.append(type(node).__name__)).walk(module)
    assert seen == ["FunctionDef", "If", "SimpleStatementLine"]


def test_declared_field_types_are_read_or_taken_as_anything():
    assert _held_classes(typing.Optional[str]) == set()
    assert _held_classes(typing.Union[cst.Comma, cst.MaybeSentinel]) == {cst.Comma}
    assert _held_classes(typing.Any) is None
    assert _held_classes(typing.ForwardRef("NoSuchNode")) is None
    assert _held_classes("NoSuchNode") is None
    assert cst.Name in _held_classes(cst.BaseExpression)
    assert _held_classes(typing.Sequence[typing.ForwardRef("MatchCase")]) == {cst.MatchCase}
    # A field whose type cannot be read is always entered.
    kinds = dict(_field_kinds()[cst.If])
    assert "SimpleStatementLine" in kinds["body"] and "Name" in kinds["test"]
    assert "SimpleStatementLine" not in kinds["test"]
    plans, idle = _plans_for(frozenset({"SimpleStatementLine"}))
    assert plans[cst.If][2] == ("body", "orelse") and cst.Name in idle and cst.If not in idle


def test_real_trees_hold_what_their_fields_declare():
    """The pruning rests on this: a node only ever holds the kinds its declared field
    types allow (checked on real trees, and on the engine's outputs below)."""
    assert sum(_check_declared(_module(name)) for name in list(SOURCES)[::2]) > 10000


def _check_declared(module: cst.Module) -> int:
    table = _field_kinds()
    checked = 0
    for node in [module, *_iter(module)]:
        kinds = dict(table[type(node)])
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            for v in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(v, cst.CSTNode):
                    assert type(v).__name__ in kinds[f.name], (type(node).__name__, f.name, type(v).__name__)
                    checked += 1
    return checked


def _recording(base: type) -> type:
    """A walker logging every call it makes (method, node) by the node's position in the
    walked tree, so that two runs over freshly parsed trees compare."""

    class Recording(base):
        def __init__(self, rules, on_statement_enter=None, on_statement_leave=None, veto=None):
            log = self.log

            def wrap(event, fn):
                if fn is None:
                    return None

                @functools.wraps(fn)
                def call(node, *rest):
                    log.append((event, getattr(fn, "__name__", ""), self.order.get(id(node), -1)))
                    return fn(node, *rest)
                return call

            super().__init__(rules, wrap("enter", on_statement_enter), wrap("exit", on_statement_leave), veto)
            for table in (self.visits, self.leaves):
                for kind, entries in table.items():
                    table[kind] = [(i, wrap(i, fn)) for i, fn in entries]

        def walk(self, module):
            self.order = _preorder(module)
            self.log.append(("walk", type(self.rules[0]).__name__, len(self.order)))
            out = super().walk(module)
            self.log.append(("changed", self.changed, tuple(sorted(self.changed_by))))
            if self.prune:
                _check_declared(out)  # (trees the rules built too)
            return out

    return Recording


def test_the_engine_makes_the_same_calls_and_output_with_pruning(monkeypatch):
    files = sorted((str(p), str(p)) for p in (ROOT / "fixtures").rglob("*") if p.suffix in (".py", ".ptl"))
    files += sorted((str(p), str(p)) for p in (ROOT / "tests" / "ptl_corpus").rglob("*.ptl"))
    opts = Options(rule_ids=tuple(all_rules()), target_python=(3, 11), root="/")
    index = build_index(files, "/")
    runs = []
    for base in (BatchWalker, Reference):
        walker = type("Walker", (_recording(base),), {"log": []})
        for module in (engine, ptl, quixote_imports):
            monkeypatch.setattr(module, "BatchWalker", walker)
        results = run_files(files, opts, index, jobs=1)
        outputs = [(r.path, r.new_text, r.error and r.error.message,
                    [(f.rule, f.line, f.column, f.message, f.edits) for f in r.findings]) for r in results]
        runs.append((walker.log, outputs))
    (log, outputs), (ref_log, ref_outputs) = runs
    assert outputs == ref_outputs
    assert sum(e[0] == "walk" for e in log) > 50 and len(log) > 10000
    assert log == ref_log


def test_plans_made_class_by_class_equal_the_plans_made_at_once():
    from jackmigrate.walk import _Plans, _below

    for handled in (None, frozenset({"Name"}), frozenset({"SimpleStatementLine", "Module"}),
                    frozenset({"Call", "ClassDef", "FunctionDef"}), frozenset()):
        plans, idle = _plans_for(handled)
        lazy = _Plans(handled)
        for cls in _below():
            assert lazy.plan(cls) == plans[cls]
        assert lazy.idle == idle
