"""Shared pieces of the rules for Python 2 library calls (JM061-JM066).

These modules (``md5``, ``sets``, ``UserDict``, the ``string`` functions, ``cgi.escape``)
do not exist in Python 3, so rewriting them is right whatever the file's origin.
"""
from __future__ import annotations

import libcst as cst

from jackmigrate.imports import count_names


def as_receiver(expr: cst.BaseExpression) -> cst.BaseExpression:
    """``expr`` ready to take ``.method()``: parenthesised unless it is atomic."""
    atomic = (
        cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.SimpleString,
        cst.ConcatenatedString, cst.FormattedString, cst.List, cst.Tuple, cst.Dict, cst.Set,
    )
    if isinstance(expr, atomic) or expr.lpar:
        return expr
    return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def drop_unused_module_imports(rule, module: cst.Module, modules: tuple[str, ...]) -> None:
    """Ask the engine to drop ``import m`` for each of ``modules`` no longer referenced."""
    imported = [local for local, qualified in rule.ctx.bindings.items() if qualified in modules and local == qualified]
    if not imported:
        return
    uses = count_names(module, imported)
    for local in imported:
        if not uses.get(local):
            rule.remove_import(local)
