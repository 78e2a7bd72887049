"""JM063: the Python 2 ``md5`` and ``sha`` modules to ``hashlib``."""
from __future__ import annotations

import libcst as cst

from jackmigrate.rules._py2lib import count_name, dotted, imported_module_names, without_import
from jackmigrate.rules.base import NEEDS_REVIEW, Example, Rule

# module -> (its constructor names, the hashlib name they become)
_MODULES = {"md5": (("new", "md5"), "md5"), "sha": (("new", "sha"), "sha1")}


class Py2Hashlib(Rule):
    id = "JM063"
    name = "py2-md5-sha"
    summary = "Replace the Python 2 md5 and sha modules by hashlib"
    rationale = (
        "`md5.new()`/`md5.md5()` and `sha.new()`/`sha.sha()` were removed in Python 3; "
        "`hashlib.md5()` and `hashlib.sha1()` compute the same digests. hashlib only takes "
        "bytes, so calls with an argument that is not a bytes literal get a TODO to check "
        "the encoding (Python 2 str was bytes)."
    )
    applicability = NEEDS_REVIEW
    markers = ("md5", "sha")
    examples = (
        Example(
            before="import md5\nkey = md5.new(b'x').hexdigest()\n",
            after="import hashlib\nkey = hashlib.md5(b'x').hexdigest()\n",
        ),
        Example(
            before="from sha import sha\n\ndef sign(text):\n    return sha(text).hexdigest()\n",
            after=(
                "from hashlib import sha1\n\ndef sign(text):\n"
                "    # TODO(jackmigrate JM063): hashlib needs bytes: encode str arguments (e.g. value.encode('utf-8'))\n"
                "    return sha1(text).hexdigest()\n"
            ),
        ),
        Example(before="import hashlib\nhashlib.md5(b'x')\n"),
    )

    def transform_module(self, module: cst.Module) -> cst.Module:
        for mod, (ctors, target) in _MODULES.items():
            module = self._module_form(module, mod, ctors, target)
            module = self._from_form(module, mod, ctors, target)
        return module

    def _check_bytes(self, call: cst.Call) -> None:
        if call.args and not (
            isinstance(call.args[0].value, cst.SimpleString) and call.args[0].value.prefix.lower().startswith("b")
        ):
            self.mark(call, "hashlib needs bytes: encode str arguments (e.g. value.encode('utf-8'))")

    def _module_form(self, module: cst.Module, mod: str, ctors: tuple[str, ...], target: str) -> cst.Module:
        bound = imported_module_names(module, mod)
        if not bound:
            return module
        rule = self
        replaced = 0

        class _Calls(cst.CSTTransformer):
            def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
                nonlocal replaced
                name = dotted(updated.func)
                if name and name.count(".") == 1:
                    base, attr = name.split(".")
                    if base in bound and attr in ctors:
                        replaced += 1
                        rule.rewritten(original, f"{base}.{attr}() -> hashlib.{target}()")
                        rule._check_bytes(original)
                        return updated.with_changes(func=cst.parse_expression(f"hashlib.{target}"))
                return updated

        module = module.visit(_Calls())
        if replaced and all(count_name(module, b) == 0 for b in bound):
            module = without_import(module, mod)
        if replaced:
            self.add_import("hashlib")
        else:
            self.unsupported_uses(module, bound, mod)
        return module

    def unsupported_uses(self, module: cst.Module, bound: set[str], mod: str) -> None:
        # Only reached when the module is imported but never called as a constructor:
        # report the import so nothing is skipped silently.
        for stmt in module.body:
            if isinstance(stmt, cst.SimpleStatementLine) and any(
                isinstance(s, cst.Import) and any(dotted(a.name) == mod for a in s.names) for s in stmt.body
            ):
                self.mark(stmt, f"the Python 2 `{mod}` module does not exist in Python 3: use hashlib")

    def _from_form(self, module: cst.Module, mod: str, ctors: tuple[str, ...], target: str) -> cst.Module:
        rule = self

        class _From(cst.CSTTransformer):
            def __init__(self) -> None:
                super().__init__()
                self.renamed: dict[str, str] = {}

            def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom):
                if updated.module is None or dotted(updated.module) != mod or isinstance(updated.names, cst.ImportStar):
                    return updated
                names = []
                for alias in updated.names:
                    if isinstance(alias.name, cst.Name) and alias.name.value in ctors:
                        local = alias.asname.name.value if alias.asname else alias.name.value
                        if alias.asname is None:
                            self.renamed[local] = target
                            alias = alias.with_changes(name=cst.Name(target))
                        else:
                            alias = alias.with_changes(name=cst.Name(target))
                        rule.rewritten(original, f"from {mod} import {local} -> from hashlib import {target}")
                    names.append(alias)
                return updated.with_changes(module=cst.Name("hashlib"), names=names)

        visitor = _From()
        module = module.visit(visitor)
        if not visitor.renamed:
            return module

        class _Uses(cst.CSTTransformer):
            def leave_Call(self, original: cst.Call, updated: cst.Call):
                if isinstance(updated.func, cst.Name) and updated.func.value in visitor.renamed:
                    rule._check_bytes(original)
                return updated

            def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute):
                return updated.with_changes(attr=original.attr)  # `obj.sha` is not the import

            def leave_Name(self, original: cst.Name, updated: cst.Name):
                new = visitor.renamed.get(updated.value)
                return updated.with_changes(value=new) if new else updated

        return module.visit(_Uses())
