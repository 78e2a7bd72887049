"""jackmigrate.walk: the walker reaches every node libcst's own traversal reaches."""
import dataclasses
import random
import typing
from pathlib import Path

import libcst as cst
import pytest

from jackmigrate.walk import BatchWalker, _node_fields, child_fields, children

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(ROOT.glob("jackmigrate/**/*.py")) + sorted(ROOT.glob("fixtures/**/*.py"))
SAMPLE = random.Random(3).sample([p for p in SOURCES if "expected" not in p.parts], 25)


def _all_node_classes():
    return [c for c in vars(cst).values()
            if isinstance(c, type) and issubclass(c, cst.CSTNode) and not getattr(c, "__abstractmethods__", None)]


def _classes_in(annotation):
    args = typing.get_args(annotation)
    if not args:
        return [annotation] if isinstance(annotation, type) else []
    return [c for a in args for c in _classes_in(a)]


def test_only_fields_that_cannot_hold_a_node_are_left_out():
    left = 0
    for cls in _all_node_classes():
        if not dataclasses.is_dataclass(cls):
            continue
        left_out = set(child_fields(cls)) - set(_node_fields(cls))
        for f in dataclasses.fields(cls):
            if f.name in left_out:
                left += 1
                assert not any(issubclass(c, cst.CSTNode) for c in _classes_in(f.type)), (cls, f)
    assert left >= 10  # Name.value, SimpleString.value, ...


class _Names(cst.CSTTransformer):
    def __init__(self):
        super().__init__()
        self.seen = []

    def visit_Name(self, node):
        self.seen.append(id(node))

    def visit_SimpleString(self, node):
        self.seen.append(id(node))


@pytest.mark.parametrize("path", SAMPLE, ids=lambda p: p.name)
def test_walk_and_children_reach_what_libcst_reaches(path):
    module = cst.parse_module(path.read_text(encoding="utf-8"))
    expected = []

    class Collect(cst.CSTVisitor):
        def visit_Name(self, node):
            expected.append(id(node))

        def visit_SimpleString(self, node):
            expected.append(id(node))

    module.visit(Collect())
    names = _Names()
    assert BatchWalker([names]).walk(module) is module
    assert names.seen == expected  # same nodes, same (source) order

    everything = []

    def down(node):
        everything.append(id(node))
        for child in children(node, trivia=True):
            down(child)

    down(module)
    libcst_order = []

    def down_libcst(node):
        libcst_order.append(id(node))
        for child in node.children:
            down_libcst(child)

    down_libcst(module)
    assert everything == libcst_order


def test_fields_declared_as_punctuation_are_entered_only_for_punctuation():
    from jackmigrate.walk import _field_kinds, _is_trivia_class, _plans_for

    table = _field_kinds()
    real = frozenset(c.__name__ for c in table if not _is_trivia_class(c))
    plans, idle = _plans_for(real)
    assert plans[cst.Name][2] == () and cst.Comma in idle and cst.SimpleWhitespace in idle
    left_out = 0
    for cls, fields in table.items():
        trivia_only = {name for name, kinds in fields
                       if kinds and all(_is_trivia_class(getattr(cst, k)) for k in kinds)}
        assert not trivia_only & set(plans[cls][2]), cls
        left_out += len(trivia_only)
        # A walk for every kind enters every field that can hold a node.
        assert _plans_for(frozenset(c.__name__ for c in table))[0][cls][2] == tuple(
            name for name, kinds in fields if kinds)
    assert left_out > 100  # lpar, rpar, whitespace_*, comma, ...


def test_methods_a_rule_declares_idle_after_visit_module_are_not_called():
    module = cst.parse_module("import os\nx = os.sep\ny = len(x)\n")

    class Rule(cst.CSTTransformer):
        def __init__(self, idle):
            super().__init__()
            self.idle = idle
            self.names = []
            self.calls = []

        def visit_Module(self, node):
            self.names.append("<module>")

        def idle_methods(self):
            return self.idle

        def visit_Name(self, node):
            self.names.append(node.value)

        def leave_Call(self, original_node, updated_node):
            self.calls.append(1)
            return updated_node

    busy, quiet, other = Rule(()), Rule(("visit_Name",)), Rule(("leave_Call",))
    BatchWalker([busy, quiet, other]).walk(module)
    assert busy.names == ["<module>", "os", "x", "os", "sep", "y", "len", "x"] and busy.calls == [1]
    assert quiet.names == ["<module>"] and quiet.calls == [1]  # only its own idle method dropped
    assert other.names == busy.names and other.calls == []


def test_idle_methods_are_asked_even_without_visit_module():
    module = cst.parse_module("x = f(y)\n")

    class Rule(cst.CSTTransformer):
        names = []

        def idle_methods(self):
            return ("visit_Name",)

        def visit_Name(self, node):
            self.names.append(node.value)

    rule = Rule()
    BatchWalker([rule]).walk(module)
    assert rule.names == []


def test_forward_references_in_declared_types_are_resolved_or_unknown():
    from jackmigrate.walk import _annotation_classes, _held_classes

    assert _annotation_classes(typing.Optional[typing.ForwardRef("MatchCase")]) == [cst.MatchCase, type(None)]
    unknown = typing.Union[typing.ForwardRef("NoSuchNode"), cst.Comma]
    assert object in _annotation_classes(unknown) and _held_classes(unknown) is None
    assert _held_classes(typing.Union[cst.Comma, cst.MaybeSentinel]) == {cst.Comma}
    assert _annotation_classes(typing.Literal["*", ""]) == []


def test_scan_leaves_no_reference_cycle_holding_the_visitor():
    import gc
    import weakref

    from jackmigrate.walk import scan

    class Names(cst.CSTVisitor):
        def __init__(self):
            self.seen = []

        def visit_Name(self, node):
            self.seen.append(node)

    module = cst.parse_module("def f(a):\n    return g(a, b)\n")
    visitor = Names()
    scan(module, visitor)
    assert [n.value for n in visitor.seen] == ["f", "a", "g", "a", "b"]
    ref = weakref.ref(visitor)
    enabled = gc.isenabled()
    gc.disable()
    try:
        del visitor
        assert ref() is None  # freed by reference counting alone
    finally:
        if enabled:
            gc.enable()


def test_methods_found_from_the_rules_own_classes_equal_a_search_of_dir():
    from jackmigrate import ptl, walk
    from jackmigrate.rules import all_rules

    def reference(cls):  # every name dir() lists, compared with CSTTransformer's default
        found = []
        for attr in dir(cls):
            if attr.startswith(("visit_", "leave_")) and attr.count("_") == 1:
                kind = attr[6:]
                if isinstance(getattr(cst, kind, None), type) and (
                        getattr(cls, attr) is not getattr(cst.CSTTransformer, attr, None)):
                    found.append((attr.startswith("leave_"), kind, attr))
        return found

    class Shared(cst.CSTTransformer):
        visit_Name = cst.CSTTransformer.visit_Name  # the default itself: not dispatched

        def leave_Call(self, original_node, updated_node):
            return updated_node

    class Derived(Shared):
        def visit_Attribute(self, node):
            return None

    classes = [*all_rules().values(), ptl._Converter, Shared, Derived, cst.CSTVisitor, cst.CSTTransformer]
    for cls in classes:
        assert walk._methods(cls) == reference(cls), cls
    assert walk._methods(Derived) == [(True, "Call", "leave_Call"), (False, "Attribute", "visit_Attribute")]
