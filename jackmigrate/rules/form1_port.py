"""JM013: quixote.form1 / quixote.form2 (Quixote 1 forms) are marked for a manual port."""

from __future__ import annotations

import libcst as cst

from jackmigrate.imports import dotted
from jackmigrate.rules._common import PyRule
from jackmigrate.rules.base import NEEDS_REVIEW, Example

OLD_FORMS = ("quixote.form1", "quixote.form2")
TODO = (
    "Quixote 1 forms have no Jack port: rewrite this form with jack_runtime.form "
    "(Quixote 2's API: Form(...), form.add_string(...)/add(Widget, ...), "
    "is_submitted(), has_errors(), get_submit(), render(), form[name])"
)


def _is_old(mod: str) -> bool:
    return any(mod == m or mod.startswith(m + ".") for m in OLD_FORMS)


class Form1Port(PyRule):
    id = "JM013"
    name = "form1-port"
    summary = "Imports of quixote.form1 / quixote.form2 are marked: port the forms to jack_runtime.form"
    rationale = (
        "quixote.form1 (Quixote 1's form framework, called quixote.form2 in 1.x) differs "
        "from Quixote 2+ forms in construction, widget types and rendering; Jack ships only "
        "the current framework (jack_runtime.form).  A mechanical rewrite would change pages, "
        "so each import is marked with what to port to."
    )
    applicability = NEEDS_REVIEW
    markers = ("form1", "form2")
    examples = (
        Example(
            title="a Quixote 1 form",
            before="from quixote.form1 import Form\n",
            after=f"# TODO(jackmigrate JM013): {TODO}\nfrom quixote.form1 import Form\n",
        ),
        Example(title="no change: current forms", before="from jack_runtime.form import Form\n"),
    )

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            if _is_old(dotted(alias.name)):  # type: ignore[arg-type]
                self.mark(node, TODO)
                break
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if node.module is not None and not node.relative:
            mod = dotted(node.module)
            if _is_old(mod):
                self.mark(node, TODO)
            elif mod == "quixote" and not isinstance(node.names, cst.ImportStar) and any(
                dotted(a.name) in ("form1", "form2") for a in node.names  # type: ignore[arg-type]
            ):
                self.mark(node, TODO)
        return False
