"""JM017: PTL plumbing (enable_ptl(), the import hook, compile_package, qx_build_py) goes."""

from __future__ import annotations

from typing import Iterable, Union

import libcst as cst

from jackmigrate.imports import dotted
from jackmigrate.rules._common import PyRule, keep_statements, pass_if_empty
from jackmigrate.rules.base import SAFE, Example

ENABLE = frozenset({"quixote.enable_ptl"})
REMOVED_CALLS = frozenset({
    "quixote.enable_ptl",
    "quixote.ptl.compile_package",
    "quixote.ptl.ptl_compile.compile_package",
    "quixote.ptl.ptl_import.install",
    "quixote.ptl.install",
})
HOOK_MODULES = frozenset({"quixote.ptl.install"})
BUILD_PY = "quixote.ptl.qx_distutils.qx_build_py"


class PtlPlumbing(PyRule):
    id = "JM017"
    name = "ptl-plumbing"
    summary = "Remove enable_ptl(), the PTL import hook, compile_package() and qx_build_py"
    rationale = (
        "jackmigrate converts every .ptl template into a plain .py module, so the machinery "
        "that imported or compiled templates has nothing left to do: enable_ptl() and the "
        "quixote.ptl.install import (the import hook), compile_package(__path__) in package "
        "__init__ files, ptl_import.install(), and the qx_build_py command in setup.py "
        "(cmdclass={'build_py': qx_build_py}: setuptools' own build_py then packages the "
        ".py files).  Their imports go with them."
    )
    applicability = SAFE
    markers = ("quixote",)
    examples = (
        Example(
            title="a package __init__ of Quixote's demo",
            before=(
                "from quixote import enable_ptl, get_request\n"
                "from quixote.ptl.ptl_compile import compile_package\n"
                "import quixote.ptl.install\n"
                "\n"
                "enable_ptl()\n"
                "compile_package(__path__)\n"
            ),
            after="from quixote import get_request\n",
        ),
        Example(
            title="setup.py",
            before=(
                "from setuptools import setup\n"
                "from quixote.ptl.qx_distutils import qx_build_py\n"
                "setup(name='app', cmdclass={'build_py': qx_build_py})\n"
                "setup(name='b', cmdclass={'build_py': qx_build_py, 'test': Test})\n"
            ),
            after=(
                "from setuptools import setup\n"
                "setup(name='app')\n"
                "setup(name='b', cmdclass={'test': Test})\n"
            ),
        ),
        Example(title="no change: nothing of PTL", before="import quixote_like\nenable_ptl = 1\n"),
    )

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.drop: set[tuple[str, str]] = set()

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def idle_methods(self) -> Iterable[str]:
        idle = []
        if not self.ctx.may_qualify_to(REMOVED_CALLS):
            idle.append("leave_SimpleStatementLine")
        if not self.ctx.may_qualify_to((BUILD_PY,)):
            idle.append("leave_Call")  # (a cmdclass entry is removed only when it is qx_build_py)
        return idle

    def leave_Import(self, original_node: cst.Import, updated_node: cst.Import) -> Union[cst.Import, cst.RemovalSentinel]:
        keep = [a for a in updated_node.names if dotted(a.name) not in HOOK_MODULES]  # type: ignore[arg-type]
        if len(keep) == len(updated_node.names):
            return updated_node
        self.rewritten(original_node, "import of the PTL import hook removed")
        if not keep:
            return cst.RemoveFromParent()
        keep[-1] = keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(names=keep)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> Union[cst.SimpleStatementLine, cst.RemovalSentinel]:
        keep = []
        for small, orig in zip(updated_node.body, original_node.body):
            if isinstance(orig, cst.Expr) and isinstance(orig.value, cst.Call):
                q = self.ctx.qualify(orig.value.func)
                if q in REMOVED_CALLS:
                    name = q.rpartition(".")[2]  # type: ignore[union-attr]
                    self.rewritten(orig, f"{name}() removed: templates are plain Python modules now")
                    if isinstance(orig.value.func, cst.Name):
                        self.drop.add((q.rpartition(".")[0], name))  # type: ignore[union-attr]
                    continue
            keep.append(small)
        if len(keep) == len(updated_node.body):
            return updated_node
        return keep_statements(updated_node, keep)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        return pass_if_empty(updated_node)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        # setup(..., cmdclass={'build_py': qx_build_py, ...})
        args = list(updated_node.args)
        changed = False
        for i, (arg, orig) in enumerate(zip(updated_node.args, original_node.args)):
            if not (arg.keyword is not None and arg.keyword.value == "cmdclass" and isinstance(orig.value, cst.Dict)):
                continue
            elements = [
                (e, o) for e, o in zip(arg.value.elements, orig.value.elements)  # type: ignore[attr-defined]
                if not (isinstance(o, cst.DictElement) and self.ctx.qualify(o.value) == BUILD_PY)
            ]
            if len(elements) == len(orig.value.elements):
                continue
            changed = True
            self.rewritten(orig, "qx_build_py removed from cmdclass: setuptools' build_py packages the .py files")
            self.drop.add(("quixote.ptl.qx_distutils", "qx_build_py"))
            if not elements:
                args[i] = None  # type: ignore[call-overload]
                continue
            new_elements = [e for e, _ in elements]
            new_elements[-1] = new_elements[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            args[i] = arg.with_changes(value=arg.value.with_changes(elements=new_elements))
        if not changed:
            return updated_node
        kept = [a for a in args if a is not None]
        if kept:
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(args=kept)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        for mod, name in sorted(self.drop):
            self.remove_import(mod, name)
        return updated_node
