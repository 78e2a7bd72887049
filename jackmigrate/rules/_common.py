"""Helpers shared by the Python-code rules (JM010-JM039): class hierarchies, qualified
names, statement surgery.  Not a rule module (the registry skips ``_`` modules).

What the Rule API does not give and these helpers add:

* "does this class derive from Publisher?" across aliases, local classes, already
  migrated bases (``App``) and, through the project index, classes of other modules;
* a free local name for an imported Jack name (``App`` may already be taken);
* explanatory comments attached where a statement was removed.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, Optional, Sequence, TypeVar, Union

import libcst as cst

from jackmigrate import targets
from jackmigrate.literals import literal_value
from jackmigrate.rules.base import TODO_RE, Bucket, Rule, todo_comment

_T = TypeVar("_T")

__all__ = [
    "ClassTable",
    "PyRule",
    "header_todos",
    "uses_quixote_or_jack",
    "call_name",
    "comment_lines",
    "docstring_free",
    "free_name",
    "is_docstring",
    "iter_calls",
    "keep_statements",
    "pass_if_empty",
    "module_level_names",
    "self_attrs",
    "string_value",
]


def jack_equivalents(quixote_names: Iterable[str]) -> frozenset[str]:
    """The Quixote dotted names plus their Jack targets (a rule must recognise both: after
    the first pass a base class ``Publisher`` has become ``App``)."""
    out: set[str] = set()
    for name in quixote_names:
        out.add(name)
        t = targets.lookup(name)
        if t is not None and t.jack:
            out.add(t.jack)
    return frozenset(out)


def _index_is_subclass(index: object, dotted: str, roots: frozenset[str]) -> bool:
    """Ask the project index whether the project class ``dotted`` derives from one of
    ``roots`` (Quixote dotted names; the index knows nothing of Jack names)."""
    fn = getattr(index, "quixote_bases", None)
    if fn is None:
        return False
    return bool(set(fn(dotted)) & roots)


def uses_quixote_or_jack(bindings: dict[str, str]) -> bool:
    """Whether a file imports anything from Quixote or Jack (guards rules keyed on names
    like create_publisher or is_thread_safe against unrelated code)."""
    return any(v == "quixote" or v.startswith(("quixote.", "jack_runtime")) for v in bindings.values())


def index_memo(index: object, key: str, compute: Callable[[], _T]) -> _T:
    """``index.memo(key, compute)``: a project-wide fact computed once per run (computed
    each time for an index without a memo, e.g. none)."""
    memo = getattr(index, "memo", None)
    return memo(key, compute) if memo is not None else compute()


def index_modules(index: object) -> frozenset[str]:
    """Dotted names of the modules the project index knows (empty without an index)."""
    return index_memo(index, "modules", lambda: frozenset(getattr(index, "modules", {}) or {}))


class ClassTable:
    """The classes defined in one file (by name, any nesting level) with their base
    expressions, so that ``class B(A)`` with ``class A(Publisher)`` above is recognised."""

    def __init__(self, module: cst.Module) -> None:
        self.bases: dict[str, list[cst.BaseExpression]] = {}
        self.metaclass: dict[str, Optional[cst.BaseExpression]] = {}
        for cls in iter_classes(module):
            self.bases.setdefault(cls.name.value, [a.value for a in cls.bases if a.keyword is None])
            meta = next((a.value for a in cls.keywords if a.keyword and a.keyword.value == "metaclass"), None)
            self.metaclass.setdefault(cls.name.value, meta)

    @classmethod
    def of(cls, rule: Rule, module: cst.Module) -> "ClassTable":
        """The table of ``module``, built once for all the rules of a layer walking it."""
        shared = rule.ctx.shared
        cached = shared.get("class table")
        if cached is None or cached[0] is not module:
            cached = shared["class table"] = (module, cls(module))
        return cached[1]  # type: ignore[no-any-return]

    def derives(
        self,
        rule: object,
        bases: Sequence[cst.BaseExpression],
        roots: frozenset[str],
        _seen: Optional[set[str]] = None,
    ) -> bool:
        """True when one of ``bases`` is, or derives from, a class named in ``roots``."""
        seen = _seen if _seen is not None else set()
        ctx = getattr(rule, "ctx")
        for base in bases:
            q = ctx.qualify(base)
            if q is not None:
                if q in roots:
                    return True
                if not targets.is_quixote(q) and not q.startswith("jack_runtime") and _index_is_subclass(
                    ctx.index, q, roots
                ):
                    return True
                continue
            if isinstance(base, cst.Name) and base.value in self.bases and base.value not in seen:
                seen.add(base.value)
                if self.derives(rule, self.bases[base.value], roots, seen):
                    return True
        return False

    def class_derives(self, rule: object, cls: cst.ClassDef, roots: frozenset[str]) -> bool:
        return self.derives(rule, [a.value for a in cls.bases if a.keyword is None], roots, {cls.name.value})


# Per node class: is it a suite, a compound statement?  (isinstance against libcst's
# abstract classes goes through ABCMeta: slow, and this runs for every statement.)
_KINDS: dict[type, tuple[bool, bool]] = {}


def _kinds(cls: type) -> tuple[bool, bool]:
    found = _KINDS.get(cls)
    if found is None:
        found = _KINDS[cls] = (issubclass(cls, cst.BaseSuite), issubclass(cls, cst.BaseCompoundStatement))
    return found


def iter_classes(node: cst.CSTNode) -> Iterator[cst.ClassDef]:
    """Every ClassDef under ``node`` (statements only, cheap)."""
    body = getattr(node, "body", None)
    if _kinds(type(body))[0]:
        stmts = body.body  # type: ignore[union-attr]
    elif isinstance(body, (list, tuple)):
        stmts = body
    else:
        return
    for stmt in stmts:
        kind = type(stmt)
        if kind is cst.ClassDef:
            yield stmt
            yield from iter_classes(stmt)
        elif _kinds(kind)[1]:
            yield from iter_classes(stmt)
            for attr in ("orelse", "finalbody"):
                sub = getattr(stmt, attr, None)
                if sub is not None:
                    yield from iter_classes(sub)
            for handler in getattr(stmt, "handlers", ()) or ():
                yield from iter_classes(handler)


def shared_module_level_names(rule: Rule, module: cst.Module) -> set[str]:
    """:func:`module_level_names`, computed once for all the rules of a layer (read only)."""
    shared = rule.ctx.shared
    cached = shared.get("module level names")
    if cached is None or cached[0] is not module:
        cached = shared["module level names"] = (module, module_level_names(module))
    return cached[1]  # type: ignore[no-any-return]


def module_level_names(module: cst.Module) -> set[str]:
    """Names bound at the top level of a module (defs, classes, simple assignments,
    imports): used to avoid shadowing when a rule imports a new name."""
    names: set[str] = set()
    for stmt in module.body:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            names.add(stmt.name.value)
        elif isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    for t in small.targets:
                        if isinstance(t.target, cst.Name):
                            names.add(t.target.value)
                elif isinstance(small, (cst.AnnAssign, cst.AugAssign)) and isinstance(small.target, cst.Name):
                    names.add(small.target.value)
                elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                    for alias in small.names:
                        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                            names.add(alias.asname.name.value)
                        elif isinstance(alias.name, cst.Name):
                            names.add(alias.name.value)
                elif isinstance(small, cst.Import):
                    for alias in small.names:
                        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                            names.add(alias.asname.name.value)
                        else:
                            n: cst.BaseExpression = alias.name
                            while isinstance(n, cst.Attribute):
                                n = n.value
                            if isinstance(n, cst.Name):
                                names.add(n.value)
    return names


def free_name(taken: set[str], bindings: dict[str, str], wanted: str, dotted: str, fallback: str) -> str:
    """``wanted`` if it is free in the module (or already bound to ``dotted``), else
    ``fallback``."""
    if bindings.get(wanted) == dotted:
        return wanted
    if wanted not in taken and wanted not in bindings:
        return wanted
    return fallback


def call_name(call: cst.Call) -> str:
    """"a.b.c" for a call of a plain Name/Attribute chain, else ""."""
    parts: list[str] = []
    node: cst.BaseExpression = call.func
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    if isinstance(node, cst.Call) and parts:
        # super().x / super(C, self).x
        inner = call_name(node)
        if inner:
            parts.append(inner + "()")
            return ".".join(reversed(parts))
    return ""


class _CallCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.calls: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)


def iter_calls(node: cst.CSTNode) -> list[cst.Call]:
    collector = _CallCollector()
    node.visit(collector)
    return collector.calls


class _SelfAttrs(cst.CSTVisitor):
    def __init__(self, self_name: str) -> None:
        self.self_name = self_name
        self.attrs: dict[str, int] = {}

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if isinstance(node.value, cst.Name) and node.value.value == self.self_name:
            self.attrs[node.attr.value] = self.attrs.get(node.attr.value, 0) + 1


def self_attrs(node: cst.CSTNode, self_name: str = "self") -> dict[str, int]:
    """How often each ``self.X`` occurs under ``node``."""
    v = _SelfAttrs(self_name)
    node.visit(v)
    return v.attrs


def is_docstring(stmt: cst.CSTNode) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def docstring_free(body: Sequence[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """The statements of a body without its docstring and bare ``pass``/``...``."""
    out = []
    for i, stmt in enumerate(body):
        if i == 0 and is_docstring(stmt):
            continue
        if isinstance(stmt, cst.SimpleStatementLine) and all(
            isinstance(s, cst.Pass) or (isinstance(s, cst.Expr) and isinstance(s.value, cst.Ellipsis))
            for s in stmt.body
        ):
            continue
        out.append(stmt)
    return out


def keep_statements(
    line: cst.SimpleStatementLine, keep: list[cst.BaseSmallStatement]
) -> Union[cst.SimpleStatementLine, cst.RemovalSentinel]:
    """``line`` holding only ``keep`` (what a rule left of its statements): removed when
    nothing is left, otherwise without a ``;`` dangling after its last statement."""
    if not keep:
        return cst.RemoveFromParent()
    keep[-1] = keep[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
    return line.with_changes(body=keep)


def pass_if_empty(block: cst.IndentedBlock) -> cst.IndentedBlock:
    """``block``, with a ``pass`` if a rule removed all its statements."""
    if not block.body:
        return block.with_changes(body=[cst.SimpleStatementLine(body=[cst.Pass()])])
    return block


def comment_lines(text: str, width: int = 88) -> list[cst.EmptyLine]:
    """``text`` as one or more ``#`` comment lines (wrapped on words)."""
    words = text.split()
    lines: list[str] = []
    cur = "#"
    for w in words:
        if len(cur) + 1 + len(w) > width and cur != "#":
            lines.append(cur)
            cur = "#"
        cur += " " + w
    if cur != "#":
        lines.append(cur)
    return [cst.EmptyLine(comment=cst.Comment(line)) for line in lines]


def string_value(node: cst.BaseExpression) -> Optional[str]:
    """The value of a plain (non-f, non-bytes) string literal, else None."""
    if isinstance(node, cst.SimpleString):
        prefix = node.prefix.lower()
        if "b" in prefix or "f" in prefix:
            return None
        try:
            value = literal_value(node)
        except Exception:
            return None
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        left = string_value(node.left)
        right = string_value(node.right)
        if left is None or right is None:
            return None
        return left + right
    return None


def header_todos(source: str) -> frozenset[str]:
    """The TODO markers in the comment block at the top of a file (before its first
    statement)."""
    found = set()
    for line in source.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        if TODO_RE.match(stripped):
            found.add(" ".join(stripped.split()))
    return frozenset(found)


class PyRule(Rule):
    """Base of the Python-code rules.

    A TODO marker above a file's first statement is parsed back as part of the module
    header, not as the statement's leading lines, so the engine's once-only check does not
    see it and a second run would insert it again.  ``mark`` therefore reports (without
    inserting) a marker already present in the header.
    """

    _header: Optional[frozenset[str]] = None

    def mark(self, node: cst.CSTNode, message: str) -> None:
        if self._header is None:
            self._header = header_todos(self.ctx.source)
        if todo_comment(self.id, message) in self._header:
            self.report(node, Bucket.MARKED, message)
        else:
            super().mark(node, message)
