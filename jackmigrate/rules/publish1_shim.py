"""JM012: quixote.publish1 (Quixote 1 namespaces) -> jack_runtime.compat.publish1."""

from __future__ import annotations

import libcst as cst

from jackmigrate.imports import dotted, dotted_expr
from jackmigrate.rules._common import PyRule
from jackmigrate.rules.base import SAFE, Example

QUIXOTE = "quixote.publish1"
JACK = "jack_runtime.compat.publish1"
MESSAGE = (
    "Quixote 1 namespace publishing keeps working through jack_runtime.compat.publish1; "
    "converting the namespaces to Directory classes finishes the migration"
)


class Publish1Shim(PyRule):
    id = "JM012"
    name = "publish1-shim"
    summary = "quixote.publish1 (Quixote 1 module namespaces) runs on jack_runtime.compat.publish1"
    rationale = (
        "quixote.publish1.Publisher publishes Quixote 1 namespaces: modules and objects with "
        "module-level _q_exports, _q_access(request) and _q_lookup(request, name), whose "
        "callables take the request.  No static rewrite turns those into Directory classes "
        "safely (the traversal rules differ: modules as namespaces, sub-module imports, "
        "_q_index implicitly exported, 301 redirects), so the import is pointed at "
        "jack_runtime.compat.publish1, Jack's port of the same traversal (an App subclass "
        "with Quixote 1's constructor), and every use is reported as a shim use: working, "
        "not finished."
    )
    applicability = SAFE
    markers = ("publish1",)
    examples = (
        Example(
            title="a Quixote 1 site",
            before=(
                "def create_publisher():\n"
                "    from quixote.publish1 import Publisher\n"
                "    return Publisher('oldsite')\n"
            ),
            after=(
                "def create_publisher():\n"
                "    from jack_runtime.compat.publish1 import Publisher\n"
                "    return Publisher('oldsite')\n"
            ),
        ),
        Example(
            title="through the module",
            before="import quixote.publish1\npub = quixote.publish1.Publisher('site')\n",
            after="import quixote.publish1\nimport jack_runtime.compat.publish1\npub = jack_runtime.compat.publish1.Publisher('site')\n",
        ),
    )

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom) -> cst.ImportFrom:
        if updated_node.relative or updated_node.module is None:
            return updated_node
        mod = dotted(updated_node.module)
        if mod == JACK:
            self.shim(original_node, MESSAGE)
            return updated_node
        if mod != QUIXOTE:
            return updated_node
        self.shim(original_node, MESSAGE)
        return updated_node.with_changes(module=dotted_expr(JACK))

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        q = self.ctx.qualify(original_node)
        if q is not None and q.startswith(JACK + ".") and q.count(".") == JACK.count(".") + 1:
            self.shim(original_node, MESSAGE)
            return updated_node
        if q is None or not q.startswith(QUIXOTE + ".") or q.count(".") != QUIXOTE.count(".") + 1:
            return updated_node
        self.shim(original_node, MESSAGE)
        self.add_import(JACK)
        return cst.Attribute(value=dotted_expr(JACK), attr=updated_node.attr,
                             lpar=updated_node.lpar, rpar=updated_node.rpar)
