"""JM061: ``UserDict.DictMixin`` and ``UserDict.UserDict`` to their ``collections`` forms."""
from __future__ import annotations

import libcst as cst

from jackmigrate.rules.base import NEEDS_REVIEW, Example, Rule

_TARGETS = {
    "UserDict.DictMixin": ("collections.abc", "MutableMapping"),
    "UserDict.UserDict": ("collections", "UserDict"),
    "UserDict.IterableUserDict": ("collections", "UserDict"),
}

_DERIVED = """\
def __iter__(self):
    # DictMixin derived iteration and len() from keys(); MutableMapping needs them.
    return iter(self.keys())

def __len__(self):
    return len(self.keys())
"""


class Py2UserDict(Rule):
    id = "JM061"
    name = "py2-userdict"
    summary = "Replace UserDict.DictMixin by collections.abc.MutableMapping, UserDict.UserDict by collections.UserDict"
    rationale = (
        "The `UserDict` module was removed in Python 3. A DictMixin subclass defines "
        "`__getitem__`, `__setitem__`, `__delitem__` and `keys()` and gets the rest; "
        "MutableMapping asks for `__iter__` and `__len__` instead of `keys()`, so they are "
        "added, derived from `keys()` exactly as DictMixin derived them."
    )
    applicability = NEEDS_REVIEW
    markers = ("UserDict",)
    examples = (
        Example(
            before=(
                "from UserDict import DictMixin\n\nclass Store(DictMixin):\n"
                "    def __getitem__(self, key):\n        return 1\n\n"
                "    def keys(self):\n        return ['a']\n"
            ),
            after=(
                "from collections.abc import MutableMapping\n\nclass Store(MutableMapping):\n"
                "    def __getitem__(self, key):\n        return 1\n\n"
                "    def keys(self):\n        return ['a']\n\n"
                "    def __iter__(self):\n"
                "        # DictMixin derived iteration and len() from keys(); MutableMapping needs them.\n"
                "        return iter(self.keys())\n\n"
                "    def __len__(self):\n        return len(self.keys())\n"
            ),
        ),
        Example(
            before="import UserDict\n\nclass Bag(UserDict.UserDict):\n    pass\n",
            after="import collections\n\nclass Bag(collections.UserDict):\n    pass\n",
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.attr_names: set[int] = set()

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def leave_Import(self, original: cst.Import, updated: cst.Import):
        names = []
        for alias in updated.names:
            if alias.name.value == "UserDict" if isinstance(alias.name, cst.Name) else False:
                if alias.asname is None:
                    self.rewritten(original, "import UserDict -> import collections")
                    alias = alias.with_changes(name=cst.Name("collections"))
            names.append(alias)
        return updated.with_changes(names=names)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom):
        if not (isinstance(updated.module, cst.Name) and updated.module.value == "UserDict"):
            return updated
        if isinstance(updated.names, cst.ImportStar):
            self.mark(original, "`from UserDict import *`: import MutableMapping from collections.abc or UserDict from collections")
            return updated
        modules = {_TARGETS.get(f"UserDict.{a.name.value}", (None,))[0] for a in updated.names}
        if None in modules or len(modules) != 1:
            self.mark(original, "import DictMixin from collections.abc (as MutableMapping) and UserDict from collections")
            return updated
        names = []
        for alias in updated.names:
            module, new = _TARGETS[f"UserDict.{alias.name.value}"]
            names.append(alias.with_changes(name=cst.Name(new)))
        self.rewritten(original, f"from UserDict import ... -> from {modules.pop()} import ...")
        module = next(iter({_TARGETS[f'UserDict.{a.name.value}'][0] for a in updated.names}))
        return updated.with_changes(module=cst.parse_expression(module), names=names)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.attr_names.add(id(node.attr))

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        target = _TARGETS.get(self.ctx.qualify(original) or "")
        if target is None or not isinstance(original.value, cst.Name):
            return updated
        module, new = target
        if module == "collections.abc":
            self.add_import("collections.abc")
        return cst.parse_expression(f"{module}.{new}").with_changes(lpar=updated.lpar, rpar=updated.rpar)

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        if id(original) in self.attr_names:
            return updated
        target = _TARGETS.get(self.ctx.bindings.get(original.value, ""))
        if target is None or self.ctx.bindings[original.value].split(".")[1] != original.value:
            return updated  # aliased imports keep their local name
        return updated.with_changes(value=target[1])

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        if not any(self.ctx.qualify(b.value) == "UserDict.DictMixin" for b in original.bases):
            return updated
        defined = {
            s.name.value for s in updated.body.body if isinstance(s, cst.FunctionDef)
        }
        if "keys" not in defined or {"__iter__", "__len__"} <= defined:
            if "keys" not in defined and not {"__iter__", "__len__"} <= defined:
                self.mark(original, "MutableMapping needs __iter__ and __len__ (DictMixin derived them from keys())")
            else:
                self.rewritten(original, "DictMixin subclass -> MutableMapping")
            return updated
        extra = [s for s in cst.parse_module(_DERIVED).body if s.name.value not in defined]
        extra = [s.with_changes(leading_lines=[cst.EmptyLine(indent=False)]) for s in extra]
        self.rewritten(original, "DictMixin subclass -> MutableMapping, with __iter__/__len__ from keys()")
        return updated.with_changes(body=updated.body.with_changes(body=[*updated.body.body, *extra]))
