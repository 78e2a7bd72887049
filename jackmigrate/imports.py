"""Import bookkeeping shared by the engine and the rules: which local names a file binds
to which dotted names, and adding/removing import statements without a full walk."""

from __future__ import annotations

from typing import Collection, Iterable, Optional, Sequence, Union

import libcst as cst

from jackmigrate.walk import NodeSet, iter_statements, scan

__all__ = [
    "dotted",
    "dotted_name",
    "dotted_expr",
    "count_names",
    "source_module",
    "collect_bindings",
    "add_imports",
    "remove_imports",
    "import_statements",
    "drop_empty_lines",
]


def dotted_name(node: cst.BaseExpression) -> Optional[str]:
    """"a.b.c" for a Name/Attribute chain, None for any other expression (no import
    resolution: see ``RuleContext.qualify`` for that)."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def dotted(node: Union[cst.Name, cst.Attribute, None]) -> str:
    """"a.b.c" for a Name/Attribute chain ("" for None)."""
    if node is None:
        return ""
    name = dotted_name(node)
    if name is None:  # pragma: no cover - import names are always Name/Attribute
        raise TypeError(f"not a dotted name: {type(node).__name__}")
    return name


def dotted_expr(name: str) -> Union[cst.Name, cst.Attribute]:
    """The Name/Attribute chain for "a.b.c"."""
    parts = name.split(".")
    expr: Union[cst.Name, cst.Attribute] = cst.Name(parts[0])
    for part in parts[1:]:
        expr = cst.Attribute(value=expr, attr=cst.Name(part))
    return expr


class _NameCounter(cst.CSTVisitor):
    def __init__(self, names: Collection[str]) -> None:
        self.names = names
        self.counts: dict[str, int] = {}
        self.attrs: set[int] = set()

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.attrs.add(id(node.attr))

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in self.names and id(node) not in self.attrs:
            self.counts[node.value] = self.counts.get(node.value, 0) + 1


def count_names(node: cst.CSTNode, names: Collection[str]) -> dict[str, int]:
    """How often each of ``names`` is used under ``node`` as a bare name, import
    statements excluded and ``x.name`` not counting as a use of ``name``: an import may
    be dropped when its local name's count is 0."""
    counter = _NameCounter(names)
    scan(node, counter)
    return counter.counts


def import_statements(module: cst.Module) -> Iterable[Union[cst.Import, cst.ImportFrom]]:
    for stmt in iter_statements(module.body):
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)):
                    yield small


def source_module(imp: cst.ImportFrom, module_name: str) -> str:
    """The dotted module ``imp`` imports from, a relative one resolved against
    ``module_name`` (the importing module): "from . import x" in a.b.c is from a.b."""
    base = dotted(imp.module) if imp.module is not None else ""
    if imp.relative:
        pkg = module_name.split(".")
        prefix = ".".join(pkg[: max(len(pkg) - len(imp.relative), 0)])
        base = ".".join(p for p in (prefix, base) if p)
    return base


def collect_bindings(module: cst.Module, module_name: str = "") -> dict[str, str]:
    """local name -> dotted name for every import in the file (function-level imports
    included; the last binding of a name wins, as at run time in straight-line code).
    ``import a.b`` binds ``a`` -> ``a``; relative imports resolve against module_name."""
    bindings: dict[str, str] = {}
    for imp in import_statements(module):
        if isinstance(imp, cst.Import):
            for alias in imp.names:
                full = dotted(alias.name)  # type: ignore[arg-type]
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    bindings[alias.asname.name.value] = full
                else:
                    top = full.split(".")[0]
                    bindings[top] = top
        else:
            base = source_module(imp, module_name)
            if isinstance(imp.names, cst.ImportStar):
                continue
            for alias in imp.names:
                name = dotted(alias.name)  # type: ignore[arg-type]
                local = (
                    alias.asname.name.value
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name)
                    else name
                )
                bindings[local] = f"{base}.{name}" if base else name
    return bindings


def _has_binding(module: cst.Module, mod: str, name: Optional[str], asname: Optional[str]) -> bool:
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if name is None and isinstance(small, cst.Import):
                for alias in small.names:
                    if dotted(alias.name) == mod and (  # type: ignore[arg-type]
                        (alias.asname is None and asname is None)
                        or (alias.asname is not None and asname is not None
                            and getattr(alias.asname.name, "value", None) == asname)
                    ):
                        return True
            elif name is not None and isinstance(small, cst.ImportFrom) and not small.relative:
                if small.module is None or dotted(small.module) != mod:
                    continue
                if isinstance(small.names, cst.ImportStar):
                    continue
                for alias in small.names:
                    local = alias.asname.name.value if alias.asname else None  # type: ignore[union-attr]
                    if dotted(alias.name) == name and local == asname:  # type: ignore[arg-type]
                        return True
    return False


def _insert_index(body: Sequence[cst.BaseStatement]) -> int:
    """After the docstring, ``from __future__`` imports and the leading import block."""
    i = 0
    if body and isinstance(body[0], cst.SimpleStatementLine) and body[0].body and isinstance(
        body[0].body[0], cst.Expr
    ) and isinstance(body[0].body[0].value, (cst.SimpleString, cst.ConcatenatedString)):
        i = 1
    last_import = None
    for j in range(i, len(body)):
        stmt = body[j]
        if isinstance(stmt, cst.SimpleStatementLine) and all(
            isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body
        ):
            last_import = j
            continue
        break
    return (last_import + 1) if last_import is not None else i


def make_import(mod: str, name: Optional[str], asname: Optional[str]) -> cst.SimpleStatementLine:
    as_node = cst.AsName(name=cst.Name(asname)) if asname else None
    if name is None:
        small: cst.BaseSmallStatement = cst.Import(
            names=[cst.ImportAlias(name=dotted_expr(mod), asname=as_node)]
        )
    else:
        small = cst.ImportFrom(
            module=dotted_expr(mod), names=[cst.ImportAlias(name=cst.Name(name), asname=as_node)]
        )
    return cst.SimpleStatementLine(body=[small])


def add_imports(
    module: cst.Module, wanted: Iterable[tuple[str, Optional[str], Optional[str]]]
) -> cst.Module:
    """Add each (module, name, asname) once at the top level; names from the same module
    are merged into one ``from`` statement."""
    new: list[cst.SimpleStatementLine] = []
    merged: dict[str, list[tuple[str, Optional[str]]]] = {}
    order: list[tuple[str, Optional[str], Optional[str]]] = []
    for mod, name, asname in wanted:
        if (mod, name, asname) in order or _has_binding(module, mod, name, asname):
            continue
        order.append((mod, name, asname))
        if name is not None:
            merged.setdefault(mod, []).append((name, asname))
    done: set[str] = set()
    for mod, name, asname in order:
        if name is None:
            new.append(make_import(mod, None, asname))
        elif mod not in done:
            done.add(mod)
            aliases = [
                cst.ImportAlias(name=cst.Name(n), asname=cst.AsName(name=cst.Name(a)) if a else None)
                for n, a in merged[mod]
            ]
            new.append(cst.SimpleStatementLine(body=[cst.ImportFrom(module=dotted_expr(mod), names=aliases)]))
    if not new:
        return module
    body = list(module.body)
    at = _insert_index(body)
    return module.with_changes(body=[*body[:at], *new, *body[at:]])


class _ImportRemover(cst.CSTTransformer):
    def __init__(self, targets: set[tuple[str, Optional[str]]]) -> None:
        super().__init__()
        self.targets = targets
        self.dropped = NodeSet()
        self.removed = 0

    def on_visit(self, node: cst.CSTNode) -> bool:
        # Statements only: expressions cannot contain imports.
        return isinstance(node, (cst.Module, cst.BaseSuite, cst.BaseStatement, cst.ExceptHandler,
                                 cst.Else, cst.Finally, cst.MatchCase, cst.If))

    def leave_Import(self, original: cst.Import, updated: cst.Import) -> Union[cst.Import, cst.RemovalSentinel]:
        keep = [a for a in updated.names if (dotted(a.name), None) not in self.targets]  # type: ignore[arg-type]
        if len(keep) == len(updated.names):
            return updated
        self.removed += len(updated.names) - len(keep)
        if not keep:
            return cst.RemoveFromParent()  # the line, emptied, is dropped by its block
        keep[-1] = keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(names=keep)

    def leave_ImportFrom(
        self, original: cst.ImportFrom, updated: cst.ImportFrom
    ) -> Union[cst.ImportFrom, cst.RemovalSentinel]:
        if updated.relative or updated.module is None or isinstance(updated.names, cst.ImportStar):
            return updated
        mod = dotted(updated.module)
        keep = [a for a in updated.names if (mod, dotted(a.name)) not in self.targets]  # type: ignore[arg-type]
        if len(keep) == len(updated.names):
            return updated
        self.removed += len(updated.names) - len(keep)
        if not keep:
            return cst.RemoveFromParent()
        if updated.rpar is None:
            keep[-1] = keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(names=keep)

    # Emptied lines are dropped by their block, which hands their leading blank lines and
    # comments to the next statement so the layout around the imports survives.
    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        if updated.body:
            return updated
        placeholder = updated.with_changes(body=[cst.Pass()])
        self.dropped.add(placeholder)
        return placeholder

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        body = drop_empty_lines(updated.body, self.dropped)
        if not body:
            # A block emptied by removing its imports still needs a statement.
            body = [cst.SimpleStatementLine(body=[cst.Pass()])]
        return updated.with_changes(body=body)

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        return updated.with_changes(body=drop_empty_lines(updated.body, self.dropped))


def drop_empty_lines(
    body: Sequence[cst.BaseStatement], dropped: Optional[NodeSet] = None
) -> list[cst.BaseStatement]:
    """``body`` without emptied lines (no statements left, or placeholders listed in
    ``dropped``), their leading blank lines and comments moved to the next statement.

    libcst's own visit silently drops a line whose statements were all removed, comments
    included; removers therefore return a placeholder line and list it in ``dropped``."""
    out: list[cst.BaseStatement] = []
    carry: list[cst.EmptyLine] = []
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine) and (not stmt.body or (dropped and stmt in dropped)):
            carry.extend(stmt.leading_lines)
            continue
        if carry:
            stmt = stmt.with_changes(leading_lines=[*carry, *stmt.leading_lines])
            carry = []
        out.append(stmt)
    return out


def remove_imports(module: cst.Module, targets: Iterable[tuple[str, Optional[str]]]) -> cst.Module:
    """Remove the bindings (module, name) -- (module, None) for ``import module`` --
    from every import statement of the file."""
    wanted = set(targets)
    if not wanted:
        return module
    remover = _ImportRemover(wanted)
    out = module.visit(remover)
    # libcst's visit rebuilds every node: hand back the same object when nothing went,
    # so the engine sees no change.
    return out if remover.removed else module
