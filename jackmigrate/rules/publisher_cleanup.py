"""JM014: quixote.cleanup() and resets of the publisher singleton go (tests mostly)."""

from __future__ import annotations

from typing import Iterable, Union

import libcst as cst

from jackmigrate.rules._common import PyRule, keep_statements, pass_if_empty
from jackmigrate.rules.base import SAFE, Example

CLEANUPS = frozenset({"quixote.cleanup", "quixote.publish.cleanup"})
SINGLETON = "quixote.publish._publisher"


class PublisherCleanup(PyRule):
    id = "JM014"
    name = "publisher-cleanup"
    summary = "Remove quixote.cleanup() calls and resets of the publisher singleton"
    rationale = (
        "Quixote allows one Publisher per process, so tests call quixote.cleanup() (or set "
        "quixote.publish._publisher = None) before building the next one.  Jack has no "
        "process-wide publisher: any number of Apps coexist, so these statements go.  Other "
        "references to cleanup (e.g. addCleanup(quixote.cleanup)) are pointed at "
        "jack_runtime.cleanup, a documented no-op."
    )
    applicability = SAFE
    markers = ("quixote",)
    examples = (
        Example(
            title="a test's setUp",
            before=(
                "import quixote\n"
                "from quixote.publish import cleanup\n"
                "\n"
                "def setUp(self):\n"
                "    cleanup()\n"
                "    quixote.publish._publisher = None\n"
                "    self.app = make_app()\n"
                "\n"
                "def tearDown(self):\n"
                "    quixote.cleanup()\n"
            ),
            after=(
                "import quixote\n"
                "\n"
                "def setUp(self):\n"
                "    self.app = make_app()\n"
                "\n"
                "def tearDown(self):\n"
                "    pass\n"
            ),
        ),
        Example(
            title="a reference that is not a call becomes jack_runtime.cleanup",
            before="import quixote\nself.addCleanup(quixote.cleanup)\n",
            after="import quixote\nimport jack_runtime\nself.addCleanup(jack_runtime.cleanup)\n",
        ),
        Example(title="no change: Jack code", before="import jack_runtime\njack_runtime.cleanup()\n"),
    )

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.removed_from: set[str] = set()
        self.kept_names: set[str] = set()
        self.not_uses: set[int] = set()

    def idle_methods(self) -> Iterable[str]:
        if self.ctx.may_qualify_to((*CLEANUPS, SINGLETON)):
            return ()
        # Every change and every kept use needs a name bound to a cleanup or the singleton.
        return ("visit_Attribute", "visit_Call", "leave_SimpleStatementLine", "leave_Name", "leave_Attribute")

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.not_uses.add(id(node.attr))

    def visit_Call(self, node: cst.Call) -> None:
        # The callee of a removed statement is not a "kept" reference.
        self.not_uses.add(id(node.func))

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> Union[cst.SimpleStatementLine, cst.RemovalSentinel]:
        keep = []
        for small, orig in zip(updated_node.body, original_node.body):
            if isinstance(orig, cst.Expr) and isinstance(orig.value, cst.Call):
                q = self.ctx.qualify(orig.value.func)
                if q in CLEANUPS:
                    self.rewritten(orig, "cleanup() removed: Jack has no process-wide publisher to forget")
                    if isinstance(orig.value.func, cst.Name):
                        self.removed_from.add(q.rpartition(".")[0])  # type: ignore[union-attr]
                    continue
            if isinstance(orig, cst.Assign) and len(orig.targets) == 1 and self.ctx.qualify(
                orig.targets[0].target
            ) == SINGLETON:
                self.rewritten(orig, "reset of the publisher singleton removed: Jack has none")
                continue
            keep.append(small)
        if len(keep) == len(updated_node.body):
            return updated_node
        return keep_statements(updated_node, keep)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        return pass_if_empty(updated_node)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        if id(original_node) in self.not_uses:
            return updated_node
        if self.ctx.bindings.get(original_node.value) in CLEANUPS:
            self.kept_names.add(original_node.value)
        return updated_node

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        if id(original_node) in self.not_uses or self.ctx.qualify(original_node) not in CLEANUPS:
            return updated_node
        self.rewritten(original_node, "reference to cleanup -> jack_runtime.cleanup (a no-op)")
        self.add_import("jack_runtime")
        return cst.Attribute(value=cst.Name("jack_runtime"), attr=cst.Name("cleanup"),
                             lpar=updated_node.lpar, rpar=updated_node.rpar)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        for local, full in self.ctx.bindings.items():
            if full not in CLEANUPS:
                continue
            mod = full.rpartition(".")[0]
            if local in self.kept_names:
                # Still referenced: the same name, now Jack's no-op.
                self.remove_import(mod, "cleanup")
                self.add_import("jack_runtime", "cleanup", None if local == "cleanup" else local)
                self.rewritten(original_node, f"{full} -> jack_runtime.cleanup (a no-op)")
            elif mod in self.removed_from or not self.kept_names:
                self.remove_import(mod, "cleanup")
        return updated_node
