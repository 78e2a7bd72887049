"""JM062: the Python 2 ``sets`` module to the built-in ``set`` and ``frozenset``."""
from __future__ import annotations

import libcst as cst

from jackmigrate.rules.base import SAFE, Example, Rule

_BUILTINS = {"sets.Set": "set", "sets.ImmutableSet": "frozenset"}


class Py2Sets(Rule):
    id = "JM062"
    name = "py2-sets"
    summary = "Replace sets.Set and sets.ImmutableSet by set and frozenset"
    rationale = (
        "The `sets` module was removed in Python 3; the built-in `set` and `frozenset` "
        "have had the same interface since Python 2.4."
    )
    applicability = SAFE
    markers = ("import sets", "from sets", ", sets")
    examples = (
        Example(
            before="import sets\nseen = sets.Set()\nfixed = sets.ImmutableSet([1, 2])\n",
            after="seen = set()\nfixed = frozenset([1, 2])\n",
        ),
        Example(
            before="from sets import Set\n\nclass Tags(Set):\n    pass\n",
            after="\nclass Tags(set):\n    pass\n",
        ),
        Example(before="sets = {}\nsets.Set = 1\n"),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.left: set[str] = set()  # local names of `sets` bindings still referenced
        self.attr_names: set[int] = set()  # ids of `x.<name>` attribute names: not bindings

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        self.attr_names.add(id(node.attr))
        # `sets.Set` is rewritten whole; its `sets` must not count as a remaining use.
        return (self.ctx.qualify(node) or "") not in _BUILTINS

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        builtin = _BUILTINS.get(self.ctx.qualify(original) or "")
        if builtin is None:
            return updated
        self.rewritten(original, f"{self.ctx.qualify(original)} -> {builtin}")
        return cst.Name(builtin, lpar=updated.lpar, rpar=updated.rpar)

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        if id(original) in self.attr_names:
            return updated
        qualified = self.ctx.bindings.get(original.value)
        if qualified is None or not (qualified == "sets" or qualified.startswith("sets.")):
            return updated
        builtin = _BUILTINS.get(qualified)
        if builtin is None:
            self.left.add(original.value)
            return updated
        self.rewritten(original, f"{qualified} -> {builtin}")
        return updated.with_changes(value=builtin)

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        for local, qualified in self.ctx.bindings.items():
            if local in self.left:
                continue
            if qualified == "sets":
                self.remove_import("sets")
            elif qualified in _BUILTINS:
                self.remove_import("sets", qualified.split(".")[1])
        return updated
