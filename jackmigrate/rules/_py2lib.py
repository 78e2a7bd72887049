"""Shared pieces of the rules for Python 2 library calls (JM061-JM066).

These modules (``md5``, ``sets``, ``UserDict``, the ``string`` functions, ``cgi.escape``)
do not exist in Python 3, so rewriting them is right whatever the file's origin.
"""
from __future__ import annotations

import libcst as cst


def dotted(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None (no import resolution)."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def as_receiver(expr: cst.BaseExpression) -> cst.BaseExpression:
    """``expr`` ready to take ``.method()``: parenthesised unless it is atomic."""
    atomic = (
        cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.SimpleString,
        cst.ConcatenatedString, cst.FormattedString, cst.List, cst.Tuple, cst.Dict, cst.Set,
    )
    if isinstance(expr, atomic) or expr.lpar:
        return expr
    return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def names_used(module: cst.Module) -> set[str]:
    """Every bare name appearing in the module (a cheap, scope-blind clash check)."""
    found: set[str] = set()

    class _Collect(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            found.add(node.value)

    module.visit(_Collect())
    return found


def imported_module_names(module: cst.Module, module_name: str) -> set[str]:
    """Local names bound by ``import module_name [as x]``."""
    bound: set[str] = set()
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    if dotted(alias.name) == module_name:
                        bound.add(alias.asname.name.value if alias.asname else module_name)
    return bound


def without_import(module: cst.Module, module_name: str, name: str | None = None) -> cst.Module:
    """Drop ``import module_name`` (name None) or ``name`` from ``from module_name import ...``,
    removing statements left empty and keeping their comments out of the way."""

    class _Drop(cst.CSTTransformer):
        def leave_Import(self, original: cst.Import, updated: cst.Import):
            if name is not None:
                return updated
            keep = [a for a in updated.names if dotted(a.name) != module_name]
            if len(keep) == len(updated.names):
                return updated
            if not keep:
                return cst.RemoveFromParent()
            keep[-1] = keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return updated.with_changes(names=keep)

        def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom):
            if name is None or updated.module is None or dotted(updated.module) != module_name:
                return updated
            if isinstance(updated.names, cst.ImportStar):
                return updated
            keep = [a for a in updated.names if not (isinstance(a.name, cst.Name) and a.name.value == name)]
            if len(keep) == len(updated.names):
                return updated
            if not keep:
                return cst.RemoveFromParent()
            keep[-1] = keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return updated.with_changes(names=keep)

        def leave_SimpleStatementLine(self, original, updated):
            if not updated.body:
                return cst.RemoveFromParent()
            return updated

    return module.visit(_Drop())


def count_name(module: cst.Module, name: str) -> int:
    """How many times the bare name ``name`` is used outside import statements."""
    count = 0

    class _Count(cst.CSTVisitor):
        def visit_Import(self, node: cst.Import) -> bool:
            return False

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            node.value.visit(self)  # `x.name` is not a use of the binding `name`
            return False

        def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
            return False

        def visit_Name(self, node: cst.Name) -> None:
            nonlocal count
            if node.value == name:
                count += 1

    module.visit(_Count())
    return count


def drop_unused_module_imports(rule, module: cst.Module, modules: tuple[str, ...]) -> None:
    """Ask the engine to drop ``import m`` for each of ``modules`` no longer referenced."""
    for local, qualified in rule.ctx.bindings.items():
        if qualified in modules and local == qualified and count_name(module, local) == 0:
            rule.remove_import(qualified)
