"""JM090: whatever still refers to Quixote after every other rule ran is reported, so
"nothing left" in --check means exactly that."""

from __future__ import annotations

import ast
import re
from typing import Optional

import libcst as cst

from jackmigrate import targets
from jackmigrate.imports import dotted
from jackmigrate.rules import all_rules
from jackmigrate.rules.base import Bucket, Example, Rule

_DOTTED_Q = re.compile(r"quixote(\.[A-Za-z_]\w*)*(:[A-Za-z_][\w.]*)?")


class ResidualQuixote(Rule):
    id = "JM090"
    name = "residual-quixote"
    summary = "Report Quixote imports and dynamic references that remain after all rules"
    rationale = (
        "A migration tool must never be silently incomplete.  After every selected rule "
        "ran, each remaining `import quixote...` binding and each string naming a Quixote "
        "object (`importlib.import_module('quixote.util')`, `'quixote.session.Session'` "
        "in a pickle or config) is reported with the reason it is still there: the rule "
        "that owns it is not selected or does not exist, it is not a public Quixote name, "
        "or its uses could not all be converted.  Strings are shim uses (the "
        "jack_runtime.compat facade resolves them at run time); imports are unsupported "
        "until fixed.  A construct another rule already reported on the same line is "
        "counted once."
    )
    after = ("*",)
    markers = ("quixote",)
    examples = (
        Example(
            title="an import nothing converts",
            before="from quixote.form1 import Form\n",
            buckets=(Bucket.UNSUPPORTED,),
        ),
        Example(
            title="a dynamic reference",
            before="import importlib\nmod = importlib.import_module('quixote.util')\n",
            buckets=(Bucket.SHIM,),
        ),
        Example(
            title="docstrings and comments are not references",
            before='"""Migrated from quixote.publish."""\n# quixote.util was here\nx = 1\n',
            buckets=(),
        ),
    )

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            full = dotted(alias.name)  # type: ignore[arg-type]
            if targets.is_quixote(full):
                self._report(alias, full)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if node.relative or node.module is None:
            return False
        mod = dotted(node.module)
        if not targets.is_quixote(mod):
            return False
        if isinstance(node.names, cst.ImportStar):
            self._report(node, mod, star=True)
        else:
            for alias in node.names:
                self._report(alias, f"{mod}.{dotted(alias.name)}")  # type: ignore[arg-type]
        return False

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> Optional[bool]:
        # A bare string statement is a docstring or a comment-like literal: not a use.
        if len(node.body) == 1 and isinstance(node.body[0], cst.Expr) and isinstance(
            node.body[0].value, (cst.SimpleString, cst.ConcatenatedString)
        ):
            return False
        return None

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if "quixote" not in node.value:
            return
        try:
            value = ast.literal_eval(node.value)
        except (ValueError, SyntaxError):
            return
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if isinstance(value, str) and _DOTTED_Q.fullmatch(value.strip()):
            self.shim(node, f"string reference to {value.strip()}: resolved at run time "
                            "through jack_runtime.compat (or change it to the jack_runtime name)")

    def _report(self, node: cst.CSTNode, full: str, star: bool = False) -> None:
        what = f"from {full} import *" if star else full
        self.unsupported(node, f"{what} is still imported", self._reason(full, star))

    def _reason(self, full: str, star: bool) -> str:
        registry = all_rules()
        t = targets.lookup(full)
        if star:
            return "star import: import the names used explicitly so they can be converted"
        if t is None:
            return "not a public name of Quixote 3.8: no Jack equivalent known"
        owner = t.handled_by or ("JM001" if t.jack else None)
        if owner is None:
            return t.note or "no Jack equivalent"
        if owner not in registry:
            return f"its conversion belongs to rule {owner}, which is not available yet"
        if owner not in self.ctx.rule_ids:
            return f"rule {owner} ({registry[owner].name}) is not selected"
        return f"rule {owner} ({registry[owner].name}) could not convert every use; see its other findings"
