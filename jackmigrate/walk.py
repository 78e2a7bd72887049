"""One traversal for many rules, rebuilding only what changed.

libcst's own ``CSTNode.visit`` reconstructs every node of the tree even when nothing
changes, and a batch of transformers would need one such walk each.  This walker calls
the ``visit_*``/``leave_*`` methods of all rules of a layer in a single depth-first walk
in source order, rebuilds a node only when a child changed, and does not descend into
whitespace and punctuation unless a rule asked for those node types.  An unchanged tree
comes back as the very same object, which makes "did this pass change anything" free.
"""

from __future__ import annotations

import inspect
import re
import typing
from dataclasses import fields as dc_fields
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence, Union

import libcst as cst

__all__ = ["BatchWalker", "NodeSet", "child_fields", "children", "scan", "iter_statements", "STATEMENT_TYPES"]

# Node types that only carry whitespace/punctuation: skipped unless a rule visits them.
# Not ImportStar nor ParamStar: they share a field with real nodes (ImportFrom.names,
# Parameters.star_arg), and BatchWalker remembers a field once seen holding trivia, so
# one ``from m import *`` or ``def f(*, a)`` hid every later file's aliases or ``*args``.
_TRIVIA_NAMES = {
    "SimpleWhitespace", "ParenthesizedWhitespace", "Newline", "TrailingWhitespace",
    "EmptyLine", "Comment", "Comma", "Dot", "Colon", "Semicolon", "AssignEqual",
    "LeftParen", "RightParen", "LeftSquareBracket", "RightSquareBracket",
    "LeftCurlyBrace", "RightCurlyBrace", "Asynchronous", "ParamSlash",
}
_OPERATOR_BASES = (
    cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseUnaryOp,
    cst.BaseAugOp,
)


def _is_trivia_class(cls: type) -> bool:
    return cls.__name__ in _TRIVIA_NAMES or issubclass(cls, _OPERATOR_BASES)


STATEMENT_TYPES: tuple[type, ...] = (cst.SimpleStatementLine, cst.BaseCompoundStatement)

_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(cls: type) -> tuple[str, ...]:
    """Field names of a node class in libcst's visiting (source) order, read once from
    the class's ``_visit_and_replace_children``."""
    order = _FIELDS.get(cls)
    if order is None:
        names = [f.name for f in dc_fields(cls)]
        src = inspect.getsource(cls._visit_and_replace_children)
        seen: list[str] = []
        # visit_required(self, "field", ...) calls give the order; a bare self.field
        # reference (e.g. "names = self.names" before the calls) must not.
        for pattern in (r'\(\s*self,\s*"(\w+)"', r"self\.(\w+)"):
            for m in re.finditer(pattern, src):
                if m.group(1) in names and m.group(1) not in seen:
                    seen.append(m.group(1))
        order = tuple(seen)
        _FIELDS[cls] = order
    return order


# Declared types of libcst fields that never hold a node (Name.value, Integer.value, ...).
_NEVER_NODES = {str, bool, Optional[str], Union[str, cst.MaybeSentinel]}
_NODE_FIELDS: dict[type, tuple[str, ...]] = {}


def _node_fields(cls: type) -> tuple[str, ...]:
    """:func:`child_fields` less the fields whose declared type cannot hold a node: a
    Name, the commonest node, then has nothing to look at but its parentheses."""
    found = _NODE_FIELDS.get(cls)
    if found is None:
        plain = {f.name for f in dc_fields(cls) if f.type in _NEVER_NODES}
        found = _NODE_FIELDS[cls] = tuple(n for n in child_fields(cls) if n not in plain)
    return found


# Per node class, the fields a walk without whitespace/punctuation looks into: its node
# fields less those seen holding such nodes (learnt as they are met; see _TRIVIA_FIELDS).
_PLANS: dict[type, tuple[str, ...]] = {}


def _plan(cls: type) -> tuple[str, ...]:
    trivia = _TRIVIA_FIELDS.setdefault(cls, set())
    if not trivia:
        # Fields declared to hold only whitespace/punctuation (a Name's lpar and rpar are
        # empty lists nearly always, so they would seldom be learnt from a value).
        trivia.update(f.name for f in dc_fields(cls) if _only_trivia(f.type))
    plan = _PLANS[cls] = tuple(n for n in _node_fields(cls) if n not in trivia)
    return plan


def _only_trivia(annotation: Any) -> bool:
    """Whether every node a field of this declared type can hold is whitespace or
    punctuation (``Sequence[LeftParen]``, ``Union[Comma, MaybeSentinel]``, ...)."""
    found = _annotation_classes(annotation)
    if object in found:
        return False
    classes = [c for c in found if issubclass(c, cst.CSTNode)]
    return bool(classes) and all(
        _is_trivia_class(s) for c in classes for s in _subclasses(c) if not inspect.isabstract(s))


def _annotation_classes(annotation: Any) -> list[type]:
    """The classes a declared field type names (``Optional[Sequence[X]]`` -> X), forward
    references (``"MatchCase"``) resolved in libcst; one that does not resolve gives
    ``object`` (unknown)."""
    if isinstance(annotation, typing.ForwardRef):
        found = getattr(cst, annotation.__forward_arg__, None)
        return [found] if isinstance(found, type) else [object]
    if typing.get_origin(annotation) is typing.Literal:
        return []  # values, not types
    args = typing.get_args(annotation)
    if not args:
        return [annotation] if isinstance(annotation, type) else []
    return [c for a in args for c in _annotation_classes(a)]


def _subclasses(cls: type) -> list[type]:
    out = [cls]
    for sub in cls.__subclasses__():
        out.extend(_subclasses(sub))
    return out


_METHODS: dict[type, tuple[list[tuple[bool, str, str]], bool]] = {}


def _methods(cls: type) -> tuple[list[tuple[bool, str, str]], bool]:
    """The (is_leave, node kind, method name) a rule class overrides, and whether it
    wants whitespace/punctuation nodes; computed once per class."""
    cached = _METHODS.get(cls)
    if cached is not None:
        return cached
    found: list[tuple[bool, str, str]] = []
    trivia = False
    for attr in dir(cls):
        if attr.startswith("visit_") and attr.count("_") == 1:
            is_leave, kind = False, attr[6:]
        elif attr.startswith("leave_") and attr.count("_") == 1:
            is_leave, kind = True, attr[6:]
        else:
            continue
        node_cls = getattr(cst, kind, None)
        if not isinstance(node_cls, type):
            continue
        # The no-op defaults inherited from CSTTransformer are not dispatched.
        if getattr(cls, attr) is getattr(cst.CSTTransformer, attr, None):
            continue
        found.append((is_leave, kind, attr))
        trivia = trivia or _is_trivia_class(node_cls)
    _METHODS[cls] = (found, trivia)
    return found, trivia


Visit = Callable[[cst.CSTNode], Optional[bool]]
Leave = Callable[[cst.CSTNode, cst.CSTNode], Any]
NodeResult = Union[cst.CSTNode, cst.RemovalSentinel, cst.FlattenSentinel]


class BatchWalker:
    """Walks a tree once, dispatching to every rule's visit_/leave_ methods in order.

    ``on_statement_leave(original, result)`` is called after the rules' leave methods of
    each statement; the engine uses it to attach TODO comments.
    """

    def __init__(
        self,
        rules: Sequence[cst.CSTTransformer],
        on_statement_enter: Optional[Callable[[cst.CSTNode], None]] = None,
        on_statement_leave: Optional[Callable[[cst.CSTNode, NodeResult], NodeResult]] = None,
        veto: Optional[Callable[[int, cst.CSTNode], bool]] = None,
    ) -> None:
        self.rules = list(rules)
        self.visits: dict[str, list[tuple[int, Visit]]] = {}
        self.leaves: dict[str, list[tuple[int, Leave]]] = {}
        wants_trivia = False
        for i, rule in enumerate(self.rules):
            methods, trivia = _methods(type(rule))
            wants_trivia = wants_trivia or trivia
            for is_leave, kind, attr in methods:
                table = self.leaves if is_leave else self.visits
                table.setdefault(kind, []).append((i, getattr(rule, attr)))
        self.wants_trivia = wants_trivia
        self.skipping: dict[int, cst.CSTNode] = {}
        # With no rule at all there is nothing to walk for.
        self.n_rules = len(self.rules)
        self.on_statement_enter = on_statement_enter
        self.on_statement_leave = on_statement_leave
        self.veto = veto
        self.changed = False
        # indexes of rules whose leave_* changed something (for "did not converge")
        self.changed_by: set[int] = set()

    def walk(self, module: cst.Module) -> cst.Module:
        if "Module" not in self.visits:
            self._drop_idle()  # (otherwise once the visit_Module methods ran)
        result = self._walk(module)
        assert isinstance(result, cst.Module)
        return result

    def _walk(self, node: cst.CSTNode) -> NodeResult:
        node_cls = type(node)
        info = _INFO.get(node_cls)
        if info is None:
            info = _info(node_cls)
        kind, is_statement = info
        skipping = self.skipping
        if is_statement and self.on_statement_enter is not None:
            self.on_statement_enter(node)
        started: Optional[list[int]] = None
        visits = self.visits.get(kind)
        if visits:
            for i, fn in visits:
                if i in skipping:
                    continue
                if fn(node) is False:
                    skipping[i] = node
                    if started is None:
                        started = []
                    started.append(i)
            if node_cls is cst.Module:
                self._drop_idle()
        if len(skipping) < self.n_rules:
            if self.wants_trivia:
                updated = self._walk_children(node, node_cls, child_fields(node_cls))
            else:
                plan = _PLANS.get(node_cls)
                if plan is None:
                    plan = _plan(node_cls)
                updated = self._walk_children(node, node_cls, plan) if plan else node
        else:
            updated = node
        if started is not None:
            for i in started:
                del skipping[i]
        result: NodeResult = updated
        leaves = self.leaves.get(kind)
        if leaves:
            for i, fn in leaves:
                if i in skipping:
                    continue
                new = fn(node, result)
                if new is not result:
                    if self.veto is not None and self.veto(i, node):
                        continue
                    self.changed = True
                    self.changed_by.add(i)
                    result = new
                    if type(result) is not node_cls:
                        break
        if is_statement and self.on_statement_leave is not None:
            result = self.on_statement_leave(node, result)
        return result

    def _drop_idle(self) -> None:
        """After the rules' visit_Module: stop calling the methods a rule says can do
        nothing in this module (``idle_methods()``, e.g. a Name handler in a file that
        imports none of the names it renames)."""
        idle = {}
        for i, rule in enumerate(self.rules):
            names = getattr(rule, "idle_methods", None)
            if names is not None:
                idle[i] = frozenset(names())
        if not any(idle.values()):
            return
        for table in (self.visits, self.leaves):
            for kind, entries in list(table.items()):
                kept = [(i, fn) for i, fn in entries if fn.__name__ not in idle.get(i, ())]
                if kept:
                    table[kind] = kept
                else:
                    del table[kind]

    def _walk_children(self, node: cst.CSTNode, node_cls: type, names: Sequence[str]) -> cst.CSTNode:
        changes: Optional[dict[str, Any]] = None
        wants_trivia = self.wants_trivia
        trivia_fields = _TRIVIA_FIELDS.get(node_cls)
        if trivia_fields is None:
            trivia_fields = _TRIVIA_FIELDS[node_cls] = set()
        for name in names:
            if not wants_trivia and name in trivia_fields:
                continue
            value = getattr(node, name)
            vcls = type(value)
            if vcls is tuple or vcls is list:
                if not value:
                    continue
                first = type(value[0])
                if first not in _IS_NODE and not _is_node_class(first):
                    continue
                if _TRIVIA_CLS.get(first, False):
                    if name not in trivia_fields:
                        trivia_fields.add(name)
                        _PLANS.pop(node_cls, None)
                    if not wants_trivia:
                        continue
                new_items: Optional[list[Any]] = None
                for idx, child in enumerate(value):
                    res = self._walk(child)
                    if res is child:
                        if new_items is not None:
                            new_items.append(child)
                        continue
                    if new_items is None:
                        new_items = list(value[:idx])
                    if isinstance(res, cst.FlattenSentinel):
                        new_items.extend(res.nodes)
                    elif not isinstance(res, cst.RemovalSentinel):
                        new_items.append(res)
                if new_items is not None:
                    if changes is None:
                        changes = {}
                    changes[name] = _fix_commas(node, name, new_items)
            elif vcls in _IS_NODE or _is_node_class(vcls):
                if _TRIVIA_CLS[vcls]:
                    if name not in trivia_fields:
                        trivia_fields.add(name)
                        _PLANS.pop(node_cls, None)
                    if not wants_trivia:
                        continue
                new = self._walk(value)
                if new is not value:
                    if changes is None:
                        changes = {}
                    if isinstance(new, cst.RemovalSentinel):
                        new = None
                    elif isinstance(new, cst.FlattenSentinel):
                        raise TypeError(
                            f"a {vcls.__name__} in {node_cls.__name__}.{name} "
                            "cannot be replaced by a sequence"
                        )
                    changes[name] = new
        if changes:
            return node.with_changes(**changes)
        return node


class NodeSet:
    """Nodes by identity (libcst nodes compare by value), holding a reference to each.

    A set of ``id()`` alone is not enough for nodes built during a walk: once such a node
    is replaced and freed, a node built later may get its id and be taken for it (emptied
    import lines were dropped that way together with unrelated `global x` lines, in some
    runs and not others).
    """

    def __init__(self) -> None:
        self._nodes: list[cst.CSTNode] = []
        self._ids: set[int] = set()

    def add(self, node: cst.CSTNode) -> None:
        if id(node) not in self._ids:
            self._nodes.append(node)
            self._ids.add(id(node))

    def __contains__(self, node: object) -> bool:
        return id(node) in self._ids

    def __len__(self) -> int:
        return len(self._ids)


# Per-class caches: isinstance() against libcst's ABCs is slow on the hot path.
_INFO: dict[type, tuple[str, bool]] = {}
_IS_NODE: set[type] = set()
_NOT_NODE: set[type] = set()
_TRIVIA_CLS: dict[type, bool] = {}
# Fields seen holding whitespace/punctuation (a libcst field's kind never varies).
_TRIVIA_FIELDS: dict[type, set[str]] = {}


def _info(cls: type) -> tuple[str, bool]:
    info = (cls.__name__, issubclass(cls, STATEMENT_TYPES))
    _INFO[cls] = info
    return info


def _is_node_class(cls: type) -> bool:
    if cls in _NOT_NODE:
        return False
    if issubclass(cls, cst.CSTNode):
        _IS_NODE.add(cls)
        _TRIVIA_CLS[cls] = _is_trivia_class(cls)
        return True
    _NOT_NODE.add(cls)
    return False


def _fix_commas(parent: cst.CSTNode, name: str, items: list[Any]) -> Any:
    # Removing the last element of a comma-separated list (import names, arguments)
    # must not leave a dangling comma where the grammar forbids one.
    if items and isinstance(parent, (cst.ImportFrom, cst.Import)) and name == "names":
        last = items[-1]
        if getattr(parent, "rpar", None) is None and isinstance(last.comma, cst.Comma):
            items[-1] = last.with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return tuple(items) if isinstance(getattr(parent, name), tuple) else items


def iter_statements(body: Iterable[cst.CSTNode]) -> Iterable[cst.CSTNode]:
    """Every statement in a body, recursively through compound statements, without
    visiting expressions (cheap: used to collect imports)."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, cst.BaseCompoundStatement):
            yield from iter_statements(_blocks(stmt))


def _blocks(stmt: cst.BaseCompoundStatement) -> Iterable[cst.CSTNode]:
    for block in _suites(stmt):
        yield from block.body


def _suites(stmt: cst.CSTNode) -> Iterable[cst.BaseSuite]:
    # In source order: a try's handlers come before its else and finally.
    body = getattr(stmt, "body", None)
    if isinstance(body, cst.BaseSuite):
        yield body
    for handler in getattr(stmt, "handlers", ()) or ():
        yield from _suites(handler)
    for case in getattr(stmt, "cases", ()) or ():
        yield from _suites(case)
    for attr in ("orelse", "finalbody"):
        sub = getattr(stmt, attr, None)
        if sub is None:
            continue
        if isinstance(sub, cst.If):
            yield from _suites(sub)
        else:
            yield from _suites(sub) if not isinstance(sub, cst.BaseSuite) else (sub,)


_SCAN: dict[type, tuple[dict[str, Callable[..., Any]], dict[str, Callable[..., Any]], bool, bool]] = {}


def _scan_methods(cls: type) -> tuple[dict[str, Any], dict[str, Any], bool, bool]:
    cached = _SCAN.get(cls)
    if cached is not None:
        return cached
    visits: dict[str, Any] = {}
    leaves: dict[str, Any] = {}
    trivia = False
    generic = (
        getattr(cls, "on_visit") is not cst.CSTVisitor.on_visit
        or getattr(cls, "on_leave") is not cst.CSTVisitor.on_leave
    )
    for attr in dir(cls):
        if not attr.startswith(("visit_", "leave_")):
            continue
        if attr.count("_") > 1:
            if getattr(cls, attr) is not getattr(cst.CSTVisitor, attr, None):
                generic = True  # attribute visitors need libcst's own traversal
            continue
        kind = attr[6:]
        node_cls = getattr(cst, kind, None)
        if not isinstance(node_cls, type) or getattr(cls, attr) is getattr(cst.CSTVisitor, attr, None):
            continue
        (visits if attr.startswith("visit_") else leaves)[kind] = getattr(cls, attr)
        trivia = trivia or _is_trivia_class(node_cls)
    _SCAN[cls] = (visits, leaves, trivia, generic)
    return _SCAN[cls]


def scan(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """Run a read-only ``libcst.CSTVisitor`` over ``node``: same calls as
    ``node.visit(visitor)`` (``visit_*`` returning False skips the children), but
    without rebuilding the tree, so about four times faster.  Visitors overriding
    ``on_visit``/``on_leave`` or attribute visitors fall back to libcst's traversal."""
    visits, leaves, trivia, generic = _scan_methods(type(visitor))
    if generic:
        node.visit(visitor)
        return

    def walk(n: cst.CSTNode) -> None:
        kind = type(n).__name__
        fn = visits.get(kind)
        if fn is None or fn(visitor, n) is not False:
            for child in children(n, trivia):
                walk(child)
        fn = leaves.get(kind)
        if fn is not None:
            fn(visitor, n)

    walk(node)


# What a value found in a node's field is: 0 not a node, 1 a node, 2 a whitespace or
# punctuation node.  Cached per class: isinstance() against libcst's ABCs is slow.
_KIND: dict[type, int] = {}


def _kind(cls: type) -> int:
    kind = _KIND.get(cls)
    if kind is None:
        kind = (2 if _is_trivia_class(cls) else 1) if issubclass(cls, cst.CSTNode) else 0
        _KIND[cls] = kind
    return kind


def children(node: cst.CSTNode, trivia: bool = False) -> Iterator[cst.CSTNode]:
    """The child nodes of ``node`` in source order, without whitespace and punctuation
    nodes unless ``trivia``."""
    limit = 2 if trivia else 1
    kinds = _KIND
    for name in _node_fields(type(node)):
        value = getattr(node, name)
        vcls = type(value)
        if vcls is tuple or vcls is list:
            for child in value:
                kind = kinds.get(type(child))
                if kind is None:
                    kind = _kind(type(child))
                if kind and kind <= limit:
                    yield child
        else:
            kind = kinds.get(vcls)
            if kind is None:
                kind = _kind(vcls)
            if kind and kind <= limit:
                yield value
