"""JM020: Directory metaclass plumbing (DirectoryClass) that Jack's Directory does not need."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from jackmigrate.imports import count_names
from jackmigrate.rules._common import ClassTable, PyRule, iter_classes, jack_equivalents
from jackmigrate.rules.base import SAFE, Example

DIRECTORY = jack_equivalents(["quixote.directory.Directory"])
META = jack_equivalents(["quixote.directory.DirectoryClass"])


class DirectoryMetaclass(PyRule):
    id = "JM020"
    name = "directory-metaclass"
    summary = "Drop DirectoryClass from user metaclasses and metaclass= keywords of Directory subclasses"
    rationale = (
        "Quixote collects @export/@subdir names in Directory's metaclass, DirectoryClass, so "
        "a Directory subclass that needs another metaclass (ABCMeta, an ORM's) must combine "
        "them in a metaclass deriving from DirectoryClass.  Jack's Directory collects exports "
        "in __init_subclass__ and has no metaclass, so such a combined metaclass keeps only "
        "its other bases (`type` when none is left, references to DirectoryClass in its body "
        "follow) and `metaclass=DirectoryClass` on a Directory subclass goes.  A metaclass is "
        "converted only when every class using it is a Directory subclass of the same file "
        "and no other module imports it; otherwise it is left as is, and still works, since "
        "Jack keeps DirectoryClass as a plain type subclass that collects exports for "
        "non-Directory classes."
    )
    applicability = SAFE
    markers = ("DirectoryClass",)
    examples = (
        Example(
            title="Directory combined with an abstract base class",
            before=(
                "from abc import ABCMeta, abstractmethod\n"
                "from quixote.directory import Directory, DirectoryClass\n"
                "\n"
                "class AbstractDirectoryClass(DirectoryClass, ABCMeta):\n"
                "    def __new__(meta, name, bases, ns):\n"
                "        return DirectoryClass.__new__(meta, name, bases, ns)\n"
                "\n"
                "class Page(Directory, metaclass=AbstractDirectoryClass):\n"
                "    @abstractmethod\n"
                "    def body(self): ...\n"
                "\n"
                "class Plain(Directory, metaclass=DirectoryClass):\n"
                "    _q_exports = ['']\n"
            ),
            after=(
                "from abc import ABCMeta, abstractmethod\n"
                "from quixote.directory import Directory\n"
                "\n"
                "class AbstractDirectoryClass(ABCMeta):\n"
                "    def __new__(meta, name, bases, ns):\n"
                "        return ABCMeta.__new__(meta, name, bases, ns)\n"
                "\n"
                "class Page(Directory, metaclass=AbstractDirectoryClass):\n"
                "    @abstractmethod\n"
                "    def body(self): ...\n"
                "\n"
                "class Plain(Directory):\n"
                "    _q_exports = ['']\n"
            ),
        ),
        Example(
            title="no change: the metaclass also serves a non-Directory class",
            before=(
                "from quixote.directory import DirectoryClass\n"
                "class Meta(DirectoryClass):\n"
                "    pass\n"
                "class Exported(metaclass=Meta):\n"
                "    pass\n"
            ),
        ),
    )

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.table: Optional[ClassTable] = None
        self.convert: set[str] = set()  # metaclass names to convert
        self.meta_locals: set[str] = set()
        self.current_meta: list[Optional[str]] = []  # replacement for DirectoryClass in a body
        self.changed = False

    def visit_Module(self, node: cst.Module) -> None:
        self.table = ClassTable.of(self, node)
        self.meta_locals = {local for local, full in self.ctx.bindings.items() if full in META}
        if not self.meta_locals:
            return
        imported_elsewhere = self._imported_elsewhere()
        classes = list(iter_classes(node))
        for cls in classes:
            bases = [a.value for a in cls.bases if a.keyword is None]
            if not any(self.ctx.qualify(b) in META for b in bases):
                continue
            name = cls.name.value
            users = [c for c in classes if self._metaclass_name(c) == name]
            if name in imported_elsewhere or not users:
                continue
            if all(self.table.class_derives(self, c, DIRECTORY) for c in users):
                self.convert.add(name)

    def _imported_elsewhere(self) -> set[str]:
        index = self.ctx.index
        me = self.ctx.module_name
        out: set[str] = set()
        for module, binds in (getattr(index, "bindings", {}) or {}).items():
            if module == me:
                continue
            for full in binds.values():
                mod, _, name = full.rpartition(".")
                if mod == me:
                    out.add(name)
        return out

    @staticmethod
    def _metaclass_name(cls: cst.ClassDef) -> Optional[str]:
        for a in cls.keywords:
            if a.keyword is not None and a.keyword.value == "metaclass" and isinstance(a.value, cst.Name):
                return a.value.value
        return None

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        replacement = None
        if node.name.value in self.convert:
            rest = [a.value for a in node.bases if a.keyword is None and self.ctx.qualify(a.value) not in META]
            replacement = cst.Module([]).code_for_node(rest[0]) if rest else "type"
        self.current_meta.append(replacement)

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self.current_meta.pop()
        assert self.table is not None
        if original_node.name.value in self.convert:
            bases = [u for o, u in zip(original_node.bases, updated_node.bases)
                     if not (o.keyword is None and self.ctx.qualify(o.value) in META)]
            if not bases:
                bases = [cst.Arg(value=cst.Name("type"))]
            bases[-1] = bases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            self.rewritten(original_node, "DirectoryClass dropped from this metaclass: Jack's Directory has none")
            self.changed = True
            return updated_node.with_changes(bases=bases)
        keywords = list(updated_node.keywords)
        kept = [k for k in keywords if not (
            k.keyword is not None and k.keyword.value == "metaclass" and self.ctx.qualify(k.value) in META
        )]
        if len(kept) == len(keywords) or not self.table.class_derives(self, original_node, DIRECTORY):
            return updated_node
        self.rewritten(original_node, "metaclass=DirectoryClass dropped: Jack's Directory needs no metaclass")
        self.changed = True
        args = [*updated_node.bases, *kept]
        if args:
            last = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            if kept:
                kept[-1] = last
            else:
                return updated_node.with_changes(bases=[*updated_node.bases[:-1], last], keywords=[])
        return updated_node.with_changes(keywords=kept)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        # DirectoryClass.__new__(...) inside a converted metaclass -> its remaining base
        if self.current_meta and self.current_meta[-1] and original_node.value in self.meta_locals:
            return cst.parse_expression(self.current_meta[-1])
        return updated_node

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self.changed:
            return updated_node
        if not count_names(updated_node, self.meta_locals):
            for local in self.meta_locals:
                full = self.ctx.bindings[local]
                self.remove_import(full.rpartition(".")[0], "DirectoryClass")
        return updated_node
