"""One traversal for many rules, rebuilding only what changed.

libcst's own ``CSTNode.visit`` reconstructs every node of the tree even when nothing
changes, and a batch of transformers would need one such walk each.  This walker calls
the ``visit_*``/``leave_*`` methods of all rules of a layer in a single depth-first walk
in source order, rebuilds a node only when a child changed, and enters only the fields
where a node some rule has a method for can occur (read from libcst's declared field
types): a rule for import lines is not walked through every expression, and no walk goes
through whitespace and punctuation unless a rule asked for those node types.  An
unchanged tree comes back as the very same object, which makes "did this pass change
anything" free.
"""

from __future__ import annotations

import inspect
import re
import typing
from dataclasses import fields as dc_fields
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence, Union

import libcst as cst

__all__ = ["BatchWalker", "NodeSet", "child_fields", "children", "scan", "iter_statements", "STATEMENT_TYPES"]

# Node types that only carry whitespace/punctuation (``children`` and ``scan`` skip them
# unless asked).  Not ImportStar nor ParamStar: they stand where real nodes go
# (ImportFrom.names, Parameters.star_arg).
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


def _annotation_classes(annotation: Any) -> list[type]:
    """The classes a declared field type names (``Optional[Sequence[X]]`` -> X), forward
    references (``"MatchCase"``) resolved in libcst; one that does not resolve gives
    ``object`` (unknown)."""
    if isinstance(annotation, str):
        annotation = typing.ForwardRef(annotation)
    if isinstance(annotation, typing.ForwardRef):
        found = getattr(cst, annotation.__forward_arg__, None)
        return [found] if isinstance(found, type) else [object]
    if typing.get_origin(annotation) is typing.Literal:
        return []  # values, not types
    args = typing.get_args(annotation)
    if not args:
        return [annotation] if isinstance(annotation, type) else [object]
    return [c for a in args for c in _annotation_classes(a)]


def _subclasses(cls: type) -> list[type]:
    out = [cls]
    for sub in cls.__subclasses__():
        out.extend(_subclasses(sub))
    return out


# Which node kinds can occur below which field.  A walk need not enter a field where no
# node it dispatches on can occur: nothing in there would be called, so nothing in there
# could change.  What a field can hold is read from libcst's declared field types (the
# parser and the nodes' own validation keep to them; tests/test_walk_prune.py checks
# real trees against them); a declared type this cannot read makes the field "anything".
_ANY = "?"  # in a set of kinds: any node at all
# Values libcst declares besides nodes; any other non-node class in a declared type
# (``typing.Any``, a TypeVar, ...) is read as "anything".
_PLAIN_VALUES = (type(None), str, bool, int, cst.MaybeSentinel)
# Per concrete node class: (field, kinds of the nodes that can occur in it, the field's
# own value included) in visiting order.
_FIELD_KINDS: dict[type, tuple[tuple[str, frozenset[str]], ...]] = {}


def _held_classes(annotation: Any) -> Optional[set[type]]:
    """The concrete node classes a field of this declared type can hold; None if that
    cannot be told."""
    held: set[type] = set()
    for c in _annotation_classes(annotation):
        if issubclass(c, cst.CSTNode):
            held.update(s for s in _subclasses(c) if not inspect.isabstract(s))
        elif not issubclass(c, _PLAIN_VALUES) or c is object:
            return None
    return held


# Per concrete node class: the kinds that can occur anywhere below it.  Grown to a fixed
# point from the declared field types of every class (cheap); the per-field tables, which
# need each class's visiting order (read from its source), are made for the classes met.
_BELOW: dict[type, set[str]] = {}


def _below() -> dict[type, set[str]]:
    if _BELOW:
        return _BELOW
    classes = {s for s in _subclasses(cst.CSTNode) if not inspect.isabstract(s)}
    holds = {cls: [_held_classes(f.type) for f in dc_fields(cls)] for cls in classes}
    below: dict[type, set[str]] = {cls: set() for cls in classes}
    grew = True
    while grew:  # (node types nest recursively: an expression holds expressions)
        grew = False
        for cls in classes:
            acc = below[cls]
            size = len(acc)
            for held in holds[cls]:
                if held is None:
                    acc.add(_ANY)
                    continue
                for sub in held:
                    acc.add(sub.__name__)
                    acc |= below.get(sub, {_ANY})
            grew = grew or len(acc) != size
    _BELOW.update(below)
    return _BELOW


def _kinds_of(cls: type) -> tuple[tuple[str, frozenset[str]], ...]:
    """(field, kinds of the nodes that can occur in it, the field's own value included)
    for the fields of a node class, in visiting order."""
    found = _FIELD_KINDS.get(cls)
    if found is None:
        below = _below()
        declared = {f.name: f.type for f in dc_fields(cls)}
        pairs = []
        for name in child_fields(cls):
            held = _held_classes(declared[name])
            pairs.append((name, frozenset({_ANY}) if held is None else frozenset(
                {s.__name__ for s in held}.union(*(below.get(s, {_ANY}) for s in held)))))
        found = _FIELD_KINDS[cls] = tuple(pairs)
    return found


def _field_kinds() -> dict[type, tuple[tuple[str, frozenset[str]], ...]]:
    """:func:`_kinds_of` for every concrete node class."""
    return {cls: _kinds_of(cls) for cls in _below()}


_STATEMENT_KINDS: set[str] = set()


def _statement_kinds() -> set[str]:
    if not _STATEMENT_KINDS:
        _STATEMENT_KINDS.update(
            s.__name__ for base in STATEMENT_TYPES for s in _subclasses(base) if not inspect.isabstract(s))
    return _STATEMENT_KINDS


# A walk's plan per node class: (kind, is a statement, the fields to enter).
Plan = tuple[str, bool, tuple[str, ...]]


def _plan(cls: type, handled: Optional[frozenset[str]]) -> tuple[Plan, bool]:
    """The plan of a class for a walk dispatching on ``handled`` (None: walk everything),
    and whether the walk need not call itself on such a node at all."""
    if not (isinstance(cls, type) and issubclass(cls, cst.CSTNode)):
        return ("", False, ()), False  # not a node: returned as it is
    kind = cls.__name__
    if handled is None or cls not in _below():
        # (a class defined after the tables were made: every field)
        return (kind, issubclass(cls, STATEMENT_TYPES), child_fields(cls)), False
    names = tuple(name for name, kinds in _kinds_of(cls) if _ANY in kinds or not kinds.isdisjoint(handled))
    return (kind, issubclass(cls, STATEMENT_TYPES), names), not names and kind not in handled


def _plans_for(handled: Optional[frozenset[str]]) -> tuple[dict[type, Plan], set[type]]:
    """Every class's plan for ``handled``, and the classes a walk need not call itself on
    (what :class:`_Plans` works out class by class, all at once)."""
    plans: dict[type, Plan] = {}
    idle: set[type] = set(_PLAIN_VALUES)
    for cls in _below():
        plans[cls], skip = _plan(cls, handled)
        if skip:
            idle.add(cls)
    return plans, idle


class _Plans:
    """The plans of one set of dispatched kinds, made as node classes are met (a run
    meets a fraction of libcst's classes; making them all cost a cold run ~0.1 s)."""

    __slots__ = ("handled", "plans", "idle")

    def __init__(self, handled: Optional[frozenset[str]]) -> None:
        self.handled = handled
        self.plans: dict[type, Plan] = {}
        # Classes of values not worth a call (no field to enter and a kind nobody
        # handles), plain values included; a class joins when first met.
        self.idle: set[type] = set(_PLAIN_VALUES)

    def plan(self, cls: type) -> Plan:
        found = self.plans.get(cls)
        if found is None:
            found, skip = _plan(cls, self.handled)
            self.plans[cls] = found
            if skip:
                self.idle.add(cls)
        return found


_PLAN_SETS: dict[Optional[frozenset[str]], _Plans] = {}


def _plans_of(handled: Optional[frozenset[str]]) -> _Plans:
    found = _PLAN_SETS.get(handled)
    if found is None:
        found = _PLAN_SETS[handled] = _Plans(handled)
    return found


_LAYOUTS: dict[tuple[type, ...], tuple[list[tuple[str, list[tuple[int, str]]]], ...]] = {}


def _methods(cls: type) -> list[tuple[bool, str, str]]:
    """The (is_leave, node kind, method name) a rule class overrides."""
    found: list[tuple[bool, str, str]] = []
    # Only a name some class of the rule's own defines can differ from CSTTransformer's
    # default (dir() would list CSTTransformer's thousand defaults one by one).
    libcst_own = set(cst.CSTTransformer.__mro__)
    own = {name for klass in cls.__mro__ if klass not in libcst_own for name in vars(klass)}
    for attr in sorted(own):
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
    return found


def _layout(classes: tuple[type, ...]) -> tuple[list[tuple[str, list[tuple[int, str]]]], ...]:
    """For a batch of rule classes: per node kind, the (rule index, method name) of its
    visit methods and of its leave methods, in rule order; computed once per batch."""
    found = _LAYOUTS.get(classes)
    if found is None:
        tables: tuple[dict[str, list[tuple[int, str]]], dict[str, list[tuple[int, str]]]] = ({}, {})
        for i, cls in enumerate(classes):
            for is_leave, kind, attr in _methods(cls):
                tables[is_leave].setdefault(kind, []).append((i, attr))
        found = _LAYOUTS[classes] = (list(tables[0].items()), list(tables[1].items()))
    return found


Visit = Callable[[cst.CSTNode], Optional[bool]]
Leave = Callable[[cst.CSTNode, cst.CSTNode], Any]
NodeResult = Union[cst.CSTNode, cst.RemovalSentinel, cst.FlattenSentinel]


class BatchWalker:
    """Walks a tree once, dispatching to every rule's visit_/leave_ methods in order.

    ``on_statement_enter(node)`` is called before the rules' visit methods of each
    statement and ``on_statement_leave(original, result)`` after their leave methods; the
    engine uses them to attach TODO comments.  Fields in which no node that has a method
    to call (or, with these hooks, no statement) can occur are not entered.
    """

    # False walks every field of every node (the reference the pruning is tested against).
    prune = True

    def __init__(
        self,
        rules: Sequence[cst.CSTTransformer],
        on_statement_enter: Optional[Callable[[cst.CSTNode], None]] = None,
        on_statement_leave: Optional[Callable[[cst.CSTNode, NodeResult], NodeResult]] = None,
        veto: Optional[Callable[[int, cst.CSTNode], bool]] = None,
    ) -> None:
        self.rules = rules = list(rules)
        visits, leaves = _layout(tuple(type(rule) for rule in rules))
        self.visits: dict[str, list[tuple[int, Visit]]] = {
            kind: [(i, getattr(rules[i], attr)) for i, attr in entries] for kind, entries in visits}
        self.leaves: dict[str, list[tuple[int, Leave]]] = {
            kind: [(i, getattr(rules[i], attr)) for i, attr in entries] for kind, entries in leaves}
        self.skipping: dict[int, cst.CSTNode] = {}
        # With no rule at all there is nothing to walk for.
        self.n_rules = len(self.rules)
        self.on_statement_enter = on_statement_enter
        self.on_statement_leave = on_statement_leave
        self.veto = veto
        self.changed = False
        # indexes of rules whose leave_* changed something (for "did not converge")
        self.changed_by: set[int] = set()
        # Chosen once the visit_Module methods ran (_drop_idle); until then every field.
        self._use(_plans_of(None))
        # Per set of rules skipping a subtree (a visit returned False): its plans.
        self._skip_plans: dict[frozenset[int], _Plans] = {}

    def _use(self, plans: _Plans) -> None:
        self._planset = plans
        self._plans = plans.plans
        self._idle = plans.idle

    def walk(self, module: cst.Module) -> cst.Module:
        if "Module" not in self.visits:
            self._drop_idle()  # (otherwise once the visit_Module methods ran)
        result = self._walk(module)
        assert isinstance(result, cst.Module)
        return result

    def _plans_for_rules(self, skipping: frozenset[int] = frozenset()) -> _Plans:
        """The plans for the methods dispatched now, less those of the rules skipping."""
        if not self.prune:
            return _plans_of(None)
        if skipping:
            kinds: set[str] = set()
            for table in (self.visits, self.leaves):
                for kind, entries in table.items():
                    for i, _ in entries:
                        if i not in skipping:
                            kinds.add(kind)
                            break
        else:
            kinds = set(self.visits)
            kinds.update(self.leaves)
        if self.on_statement_enter is not None or self.on_statement_leave is not None:
            # The hooks see every statement (the engine attaches a TODO to the innermost
            # statement holding a node a rule found from further up).
            kinds.update(_statement_kinds())
        return _plans_of(frozenset(kinds))

    def _walk(self, node: cst.CSTNode) -> NodeResult:
        node_cls = type(node)
        plan = self._plans.get(node_cls)
        if plan is None:
            plan = self._planset.plan(node_cls)
        kind, is_statement, fields = plan
        if is_statement and self.on_statement_enter is not None:
            self.on_statement_enter(node)
        started: Optional[list[int]] = None
        skipping = self.skipping
        visits = self.visits.get(kind)
        if visits:
            for i, fn in visits:
                # (no rule is skipping nearly always: that is tested first)
                if skipping and i in skipping:
                    continue
                if fn(node) is False:
                    skipping[i] = node
                    if started is None:
                        started = []
                    started.append(i)
            if node_cls is cst.Module:
                self._drop_idle()
                fields = self._planset.plan(node_cls)[2]
        result: NodeResult = node
        if fields and (not skipping or len(skipping) < self.n_rules):
            outer = None
            if started is not None:
                # Below, only the other rules' methods are called: fields where only
                # the skipping rules' kinds occur need not be entered.
                outer = self._planset
                key = frozenset(skipping)
                narrow = self._skip_plans.get(key)
                if narrow is None:
                    narrow = self._skip_plans[key] = self._plans_for_rules(key)
                self._use(narrow)
                fields = narrow.plan(node_cls)[2]
            # The children, inline: a call less per node.
            changes: Optional[dict[str, Any]] = None
            idle = self._idle
            for name in fields:
                value = getattr(node, name)
                vcls = type(value)
                if vcls is tuple or vcls is list:
                    new_items: Optional[list[Any]] = None
                    for idx, child in enumerate(value):
                        if type(child) in idle:
                            if new_items is not None:
                                new_items.append(child)
                            continue
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
                elif vcls not in idle:
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
                result = node.with_changes(**changes)
            if outer is not None:
                self._use(outer)
        if started is not None:
            for i in started:
                del skipping[i]
        leaves = self.leaves.get(kind)
        if leaves:
            for i, fn in leaves:
                if skipping and i in skipping:
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
        imports none of the names it renames), and choose the fields to enter for the
        methods left."""
        idle = {}
        for i, rule in enumerate(self.rules):
            names = getattr(rule, "idle_methods", None)
            if names is not None:
                found = frozenset(names())
                if found:
                    idle[i] = found
        if idle:
            for table in (self.visits, self.leaves):
                for kind, entries in list(table.items()):
                    kept = [(i, fn) for i, fn in entries if i not in idle or fn.__name__ not in idle[i]]
                    if kept:
                        table[kind] = kept
                    else:
                        del table[kind]
        self._use(self._plans_for_rules())
        self._skip_plans.clear()


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
    _scan(node, visitor, visits, leaves, trivia)


def _scan(node: cst.CSTNode, visitor: cst.CSTVisitor, visits: dict[str, Any], leaves: dict[str, Any],
          trivia: bool) -> None:
    # (a function of its own, not a closure calling itself: that would be a reference
    # cycle keeping the visitor, and the nodes it collected, until a full collection)
    kind = type(node).__name__
    fn = visits.get(kind)
    if fn is None or fn(visitor, node) is not False:
        for child in children(node, trivia):
            _scan(child, visitor, visits, leaves, trivia)
    fn = leaves.get(kind)
    if fn is not None:
        fn(visitor, node)


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
