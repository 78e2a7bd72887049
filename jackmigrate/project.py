"""The whole-app index, built before the rules run and shared with them.

It answers the cross-module questions a per-file rule cannot: which classes derive
(through any chain of project modules and re-exports) from Quixote classes, and where the
entry points are (publisher factories, server ``run`` calls, WSGI adapters, ``__main__``
blocks).  It uses CPython's ``ast`` (a C parser, an order of magnitude faster than
libcst) and reads only files that can matter: those mentioning ``quixote`` and, round
after round, those mentioning a class or module found in an earlier round.
"""

from __future__ import annotations

import ast
import bisect
import gc
import os
import re
import stat
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence, TypeVar

from jackmigrate.codegen import statement_first_lines
from jackmigrate.ptl import ParseFacts, parse_facts
from jackmigrate.targets import is_quixote

__all__ = ["ClassInfo", "EntryPoint", "ProjectIndex", "build_index", "build_index_from_sources", "module_name_for"]

_FACTORY_NAMES = {"create_publisher", "create_app", "make_publisher", "make_app", "get_publisher"}


_T = TypeVar("_T")

@dataclass
class ClassInfo:
    module: str
    name: str
    path: str
    line: int
    bases: tuple[str, ...]  # dotted, resolved through the module's imports
    quixote_bases: tuple[str, ...] = ()  # Quixote classes reached through the bases

    @property
    def dotted(self) -> str:
        return f"{self.module}.{self.name}" if self.module else self.name


@dataclass
class EntryPoint:
    path: str
    line: int
    kind: str  # publisher-factory | publisher | server-run | wsgi-app | main
    name: str  # function or called name
    detail: str = ""


@dataclass
class ProjectIndex:
    root: str = "."
    modules: dict[str, str] = field(default_factory=dict)  # module -> path
    paths: dict[str, str] = field(default_factory=dict)  # path -> module
    bindings: dict[str, dict[str, str]] = field(default_factory=dict)  # module -> local -> dotted
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    entry_points: list[EntryPoint] = field(default_factory=list)
    markers: tuple[str, ...] = ()
    # Quixote class -> names of the project classes deriving from it
    markers_by_base: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unparsed: list[str] = field(default_factory=list)
    # path -> (CRC-32 of the file's bytes, first line of each top-level statement): the
    # index parses every Quixote module with CPython's parser already, and the engine
    # needs those lines too (codegen.layout_of); a mismatched CRC means the file changed.
    statement_lines: dict[str, tuple[int, tuple[int, ...]]] = field(default_factory=dict, repr=False)
    # path -> what the PTL converter takes from CPython's parse of a .ptl file (the text
    # as it is, or without its [html]/[plain] annotations), with that text's length and CRC-32
    ptl_facts: dict[str, ParseFacts] = field(default_factory=dict, repr=False)
    _markers_for: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict, repr=False)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def memo(self, key: str, compute: Callable[[], _T]) -> _T:
        """A value derived from the whole index, computed once (rules read the same
        project facts for every file: computing them per file is quadratic)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]  # type: ignore[no-any-return]

    def markers_for(self, bases: Sequence[str]) -> tuple[str, ...]:
        """Names of the project classes deriving from one of ``bases`` (Quixote class
        names, or module names standing for all their classes)."""
        key = tuple(bases)
        found = self._markers_for.get(key)
        if found is None:
            names: set[str] = set()
            for base, classes in self.markers_by_base.items():
                if any(base == b or base.startswith(b + ".") for b in key):
                    names.update(classes)
            found = self._markers_for[key] = tuple(sorted(names))
        return found

    def statement_lines_for(self, path: str, data: bytes) -> Optional[tuple[int, ...]]:
        """The first lines of the top-level statements of ``path`` when its bytes are
        ``data`` (the version the index read), else None."""
        entry = self.statement_lines.get(path)
        if entry is None or entry[0] != zlib.crc32(data):
            return None
        return entry[1]

    def ptl_facts_for(self, path: str) -> Optional[ParseFacts]:
        """CPython's parse facts of the .ptl file ``path`` as the index read it (the
        converter checks them against the text it converts)."""
        return self.ptl_facts.get(path)

    def module_name_for(self, path: str) -> str:
        return self.paths.get(path) or module_name_for(path, self.root)

    def resolve(self, dotted: str, _depth: int = 0) -> str:
        """Follow re-exports: ``pkg.Page`` where pkg/__init__ does ``from .pages import
        Page`` resolves to ``pkg.pages.Page``."""
        if _depth > 20 or dotted in self.classes or is_quixote(dotted):
            return dotted
        module, _, name = dotted.rpartition(".")
        target = self.bindings.get(module, {}).get(name)
        if target and target != dotted:
            return self.resolve(target, _depth + 1)
        return dotted

    def quixote_bases(self, dotted: str) -> tuple[str, ...]:
        """Quixote classes a project class derives from ((dotted,) for a Quixote name)."""
        dotted = self.resolve(dotted)
        if is_quixote(dotted):
            return (dotted,)
        info = self.classes.get(dotted)
        return info.quixote_bases if info else ()

    def derives_from(self, dotted: str, quixote_name: str) -> bool:
        return quixote_name in self.quixote_bases(dotted)

    def classes_deriving_from(self, quixote_name: str) -> list[ClassInfo]:
        return [c for c in self.classes.values() if quixote_name in c.quixote_bases]

    def _finish(self) -> None:
        memo: dict[str, tuple[str, ...]] = {}

        def bases_of(dotted: str, seen: frozenset[str]) -> tuple[str, ...]:
            dotted = self.resolve(dotted)
            if is_quixote(dotted):
                return (_canonical(dotted),)
            if dotted in memo:
                return memo[dotted]
            info = self.classes.get(dotted)
            if info is None or dotted in seen:
                return ()
            out: list[str] = []
            for base in info.bases:
                for q in bases_of(base, seen | {dotted}):
                    if q not in out:
                        out.append(q)
            memo[dotted] = tuple(out)
            return memo[dotted]

        for dotted, info in self.classes.items():
            info.quixote_bases = bases_of(dotted, frozenset())
        names: set[str] = set()
        by_base: dict[str, set[str]] = {}
        for info in self.classes.values():
            if info.quixote_bases:
                names.add(info.name)
            for base in info.quixote_bases:
                by_base.setdefault(base, set()).add(info.name)
        self.markers = tuple(sorted(names))
        self.markers_by_base = {base: tuple(sorted(n)) for base, n in by_base.items()}
        self._markers_for.clear()


def _canonical(dotted: str) -> str:
    # quixote re-exports: quixote.Publisher is not a thing, but quixote.form.Form is
    # quixote.form.form.Form; keep the name as imported, it is what targets.py lists.
    return dotted


def module_name_for(path: str, root: str = ".") -> str:
    """Dotted module name: the path's parts up from the highest directory that is still
    a package (has an ``__init__``), so app code is named as it imports itself."""
    p = Path(path)
    try:
        p = p.resolve()
    except OSError:
        pass
    parts = _package_parts(p.parent)
    if p.stem != "__init__":
        parts.append(p.stem)
    return ".".join(parts)


class _ModuleNamer:
    """:func:`module_name_for` for many files, resolving each directory and finding its
    package parts once: a file that is not a symbolic link resolves to its directory's
    real path plus its own name (anything else takes the uncached way)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.real_dirs: dict[str, str] = {}
        self.package_parts: dict[str, list[str]] = {}

    def __call__(self, path: str) -> str:
        directory, name = os.path.split(path)
        if name in ("", ".", ".."):
            return module_name_for(path, self.root)
        try:
            if stat.S_ISLNK(os.lstat(path).st_mode):
                return module_name_for(path, self.root)
        except (OSError, ValueError):
            return module_name_for(path, self.root)
        real = self.real_dirs.get(directory)
        if real is None:
            real = self.real_dirs[directory] = os.path.realpath(directory or ".")
        parts = self.package_parts.get(real)
        if parts is None:
            parts = self.package_parts[real] = _package_parts(Path(real))
        dot = name.rfind(".")  # (PurePath.stem)
        stem = name[:dot] if 0 < dot < len(name) - 1 else name
        return ".".join([*parts, stem] if stem != "__init__" else parts)


def _package_parts(parent: Path) -> list[str]:
    parts: list[str] = []
    while (parent / "__init__.py").exists() or (parent / "__init__.ptl").exists():
        parts.insert(0, parent.name)
        if parent.parent == parent:
            break
        parent = parent.parent
    return parts


def _dotted_of(node: ast.expr) -> Optional[str]:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _concrete(*bases: type) -> frozenset[type]:
    out: set[type] = set()
    todo = list(bases)
    while todo:
        cls = todo.pop()
        out.add(cls)
        todo.extend(cls.__subclasses__())
    return frozenset(out)


# Nodes that cannot hold a statement or a call: never entered (with their Load/Store
# contexts, about half of all nodes).
_NOTHING_INSIDE = _concrete(ast.Name, ast.Constant, ast.expr_context, ast.operator, ast.unaryop,
                            ast.boolop, ast.cmpop, ast.alias)


def _child_fields(kind: type) -> Optional[tuple[str, ...]]:
    """The fields of an ast node class that may hold nodes worth entering, read from
    the ASDL signature CPython gives as its docstring (None when it cannot be read):
    not the names, strings and numbers, nor what is in _NOTHING_INSIDE."""
    found = re.fullmatch(r"(\w+)\((.*)\)", (kind.__doc__ or "").strip())
    if found is None or found.group(1) != kind.__name__:
        return None
    names: list[str] = []
    fields: list[str] = []
    for part in found.group(2).split(", ") if found.group(2) else ():
        typed = re.fullmatch(r"(\w+)[*?]? (\w+)", part)
        if typed is None:
            return None
        names.append(typed.group(2))
        if typed.group(1) not in _ASDL_LEAVES:
            fields.append(typed.group(2))
    return tuple(fields) if tuple(names) == kind._fields else None


# (ASDL types whose values hold nothing to enter)
_ASDL_LEAVES = {"identifier", "string", "int", "constant", "expr_context", "operator", "unaryop", "boolop",
                "cmpop", "alias", "type_ignore"}
# node class -> the fields generic_visit looks into (a def's name is not worth a getattr)
_CHILD_FIELDS = {kind: fields for kind in _concrete(ast.AST) if (fields := _child_fields(kind)) is not None}
# Nodes that may hold statements; the others (expressions, arguments, keywords,
# comprehensions, patterns...) can hold calls at most.
_HOLDS_STATEMENTS = _concrete(ast.stmt, ast.excepthandler, ast.match_case, ast.mod)
# Statements that hold neither statements nor anything the indexer looks at but calls.
_ONLY_CALLS = frozenset(
    t for t in _concrete(ast.stmt)
    if not {"body", "orelse", "handlers", "cases", "finalbody"} & set(t._fields)
    and t not in (ast.Import, ast.ImportFrom, ast.stmt)
)
_IDENTIFIER_CHAR = re.compile(r"\w")
# The calls that are entry points, by the dotted name they qualify to.
_SERVER_PREFIX = "quixote.server."  # and ending in .run or .main
_WSGI_APPS = frozenset({"quixote.get_wsgi_app", "quixote.publish.get_wsgi_app", "quixote.wsgi.QWIP"})
_PUBLISHERS = frozenset({"quixote.publish.Publisher", "quixote.publish1.Publisher"})


# ... and every dotted name that such a name starts with (or is)
_ENTRY_POINT_PREFIXES = frozenset(
    ".".join(parts[:n]) for parts in (name.split(".") for name in (*_WSGI_APPS, *_PUBLISHERS, _SERVER_PREFIX[:-1]))
    for n in range(1, len(parts) + 1)
)


def _may_name_an_entry_point(dotted: str) -> bool:
    """Whether a call of a name bound to ``dotted`` (or of an attribute of it) may
    qualify to an entry point's name."""
    return dotted in _ENTRY_POINT_PREFIXES or dotted.startswith(_SERVER_PREFIX)


class _FileIndexer(ast.NodeVisitor):
    """Collects imports, classes and entry points, in source order.  ``visit`` and
    ``generic_visit`` are NodeVisitor's without its per-node method lookup by name, and
    skip the nodes that can hold nothing it looks for.

    A call is an entry point only when its name qualifies to a Quixote name: outside
    Quixote's own package, only a name starting with ``quixote`` or with a name imported
    from Quixote can.  Given the text of the module, the statements' parts (expressions,
    arguments...) on lines where no such name is written are not entered (expressions
    hold no statements and change no bindings, so nothing else is missed)."""

    def __init__(
        self, index: ProjectIndex, module: str, path: str, is_package: bool, text: Optional[str] = None
    ) -> None:
        self.index = index
        self.module = module
        self.path = path
        self.is_package = is_package
        self.bindings: dict[str, str] = index.bindings.setdefault(module, {})
        self.class_depth = 0
        self.func_stack: list[str] = []
        # Text lines are the parser's lines only in ASCII text (identifiers are NFKC
        # normalized); in Quixote's own modules any call may qualify to a Quixote name.
        self.text = text if text is not None and text.isascii() and not module.startswith("quixote") else None
        self.heads = {"quixote"}
        self.heads.update(k for k, v in self.bindings.items() if _may_name_an_entry_point(v))
        self.call_lines: list[int] = []  # (sorted) lines where one of ``heads`` is written
        self.stale = True

    def visit(self, node: ast.AST) -> None:
        method = _INDEXER_VISITS.get(type(node))
        if method is not None:
            method(self, node)
        else:
            self.generic_visit(node)

    def generic_visit(self, node: ast.AST) -> None:
        skip = _NOTHING_INSIDE
        kind = type(node)
        fields = _CHILD_FIELDS.get(kind, node._fields)
        if self.text is not None and kind in _HOLDS_STATEMENTS:
            may_call = self.may_call
            for name in fields:
                value = getattr(node, name, None)
                if type(value) is list:
                    for item in value:
                        if isinstance(item, ast.AST) and type(item) not in skip and may_call(item):
                            self.visit(item)
                elif isinstance(value, ast.AST) and type(value) not in skip and may_call(value):
                    self.visit(value)
            return
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST) and type(item) not in skip:
                        self.visit(item)
            elif isinstance(value, ast.AST) and type(value) not in skip:
                self.visit(value)

    def may_call(self, node: ast.AST) -> bool:
        """Whether ``node``, a part of a statement or a statement, may have to be
        entered: it holds statements, or a line of it holds a name that may make a call
        an entry point."""
        kind = type(node)
        if kind in _HOLDS_STATEMENTS and kind not in _ONLY_CALLS:
            return True
        if kind is ast.arguments:  # (no lines of its own) default values and annotations
            return any(self.may_call(part) for part in _argument_parts(node))  # type: ignore[arg-type]
        end = getattr(node, "end_lineno", None)
        if end is None:  # (with-items: their parts are checked)
            return True
        if self.stale:
            self.call_lines = _lines_naming(self.text, self.heads)  # type: ignore[arg-type]
            self.stale = False
        lines = self.call_lines
        i = bisect.bisect_left(lines, node.lineno)  # type: ignore[attr-defined]
        return i < len(lines) and lines[i] <= end

    def bind(self, name: str, dotted: str) -> None:
        self.bindings[name] = dotted
        if _may_name_an_entry_point(dotted):
            if name not in self.heads:
                self.heads.add(name)
                self.stale = True
        else:
            self.heads.discard(name)  # (its lines stay candidates: harmless)

    def qualify(self, node: ast.expr) -> Optional[str]:
        d = _dotted_of(node)
        if d is None:
            return None
        head, _, rest = d.partition(".")
        if head in self.bindings:
            base = self.bindings[head]
            return f"{base}.{rest}" if rest else base
        return f"{self.module}.{d}" if self.module else d

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.bind(alias.asname, alias.name)
            else:
                top = alias.name.split(".")[0]
                self.bind(top, top)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            pkg = self.module.split(".") if self.module else []
            if not self.is_package:
                pkg = pkg[:-1]
            pkg = pkg[: len(pkg) - (node.level - 1)] if node.level > 1 else pkg
            base = ".".join(p for p in (*pkg, base) if p)
        for alias in node.names:
            if alias.name == "*":
                continue
            self.bind(alias.asname or alias.name, f"{base}.{alias.name}" if base else alias.name)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if self.class_depth == 0 and not self.func_stack:
            bases = tuple(b for b in (self.qualify(x) for x in node.bases) if b)
            info = ClassInfo(self.module, node.name, self.path, node.lineno, bases)
            self.index.classes[info.dotted] = info
        self.class_depth += 1
        self.generic_visit(node)
        self.class_depth -= 1

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name in _FACTORY_NAMES and self.class_depth == 0:
            self.index.entry_points.append(EntryPoint(self.path, node.lineno, "publisher-factory", node.name))
        self.func_stack.append(node.name)
        self.generic_visit(node)
        self.func_stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Call(self, node: ast.Call) -> None:
        target = self.qualify(node.func)
        if target:
            where = self.func_stack[-1] if self.func_stack else "<module>"
            if target.startswith(_SERVER_PREFIX) and target.endswith((".run", ".main")):
                factory = _dotted_of(node.args[0]) if node.args else None
                self.index.entry_points.append(
                    EntryPoint(self.path, node.lineno, "server-run", target, factory or "")
                )
            elif target in _WSGI_APPS:
                self.index.entry_points.append(EntryPoint(self.path, node.lineno, "wsgi-app", target, where))
            elif target in _PUBLISHERS:
                self.index.entry_points.append(EntryPoint(self.path, node.lineno, "publisher", target, where))
        self.generic_visit(node)

    def visit_If(self, node: ast.If) -> None:
        t = node.test
        if (
            isinstance(t, ast.Compare)
            and isinstance(t.left, ast.Name)
            and t.left.id == "__name__"
            and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in t.comparators)
        ):
            self.index.entry_points.append(EntryPoint(self.path, node.lineno, "main", "__main__"))
        self.generic_visit(node)


_INDEXER_VISITS = {
    getattr(ast, name[6:]): method for name, method in vars(_FileIndexer).items()
    if name.startswith("visit_") and isinstance(getattr(ast, name[6:], None), type)
}


def _argument_parts(node: ast.arguments) -> Iterator[ast.expr]:
    yield from node.defaults
    for default in node.kw_defaults:
        if default is not None:
            yield default
    for arg in (*node.posonlyargs, *node.args, node.vararg, *node.kwonlyargs, node.kwarg):
        if arg is not None and arg.annotation is not None:
            yield arg.annotation


def _lines_naming(text: str, names: Iterable[str]) -> list[int]:
    """The sorted lines (as CPython counts them: LF, CR LF or CR ends a line) of ASCII
    ``text`` where one of ``names`` is written as a word."""
    if "\r" in text:
        text = text.replace("\r\n", " \n").replace("\r", "\n")  # (same offsets)
    word = _IDENTIFIER_CHAR.match
    found: list[int] = []
    for name in names:
        size = len(name)
        at = text.find(name)
        while at >= 0:
            end = at + size
            if not (at and word(text, at - 1)) and not word(text, end):
                found.append(at)
            at = text.find(name, end)
    found.sort()
    lines: list[int] = []
    line, last = 1, 0
    for at in found:
        line += text.count("\n", last, at)
        last = at
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


def _index_source(
    index: ProjectIndex, path: str, text: str, module: str
) -> tuple[Optional[ast.Module], Optional[ParseFacts]]:
    """Index one file; CPython's tree of it when ``text`` parsed as it is, and for a
    .ptl file that parsed (as it is or without annotations), the converter's facts."""
    index.modules[module] = path
    index.paths[path] = module
    parsed: Optional[ast.Module] = None  # (of the text as it is)
    facts: Optional[ParseFacts] = None
    is_ptl = path.endswith(".ptl")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = parsed = ast.parse(text, filename=path)
        parsed_text: Optional[str] = text
    except (SyntaxError, ValueError):
        tree, parsed_text = _parse_ptl(text, path) if is_ptl else (None, None)
    if tree is None:
        index.unparsed.append(path)
        return None, None
    if is_ptl:
        facts = index.ptl_facts[path] = parse_facts(tree, parsed_text)
    _FileIndexer(index, module, path, PurePath(path).stem == "__init__", parsed_text).visit(tree)
    return parsed, facts


def _parse_ptl(text: str, path: str) -> tuple[Optional[ast.Module], Optional[str]]:
    # Old-style templates "def f [html] (...)": drop the bracket so ast accepts them;
    # the index only needs imports, classes and calls.  (With the annotation on one
    # line, the converter's token pre-pass makes the same text.)
    cleaned = _ANNOTATION.sub(r"\1(", text)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(cleaned, filename=path), cleaned
    except (SyntaxError, ValueError):
        return None, None


_ANNOTATION = re.compile(r"^(\s*def\s+\w+)\s*\[(?:html|plain)\]\s*\(", re.MULTILINE)


def build_index_from_sources(sources: Mapping[str, str], root: str = ".") -> ProjectIndex:
    """Index in-memory files (path -> text); module names come from the paths."""
    index = ProjectIndex(root=root)
    for path, text in sorted(sources.items()):
        p = PurePath(path)
        parts = list(p.with_suffix("").parts)
        if parts and parts[-1] == "__init__":
            parts.pop()
        _index_source(index, path, text, ".".join(parts))
    index._finish()
    return index


def build_index(files: Iterable[tuple[str, str]], root: str = ".") -> ProjectIndex:
    """Index real files ((display path, real path) pairs), reading only those that
    mention Quixote or, transitively, a project class or module found to derive from
    Quixote."""
    # CPython's trees hold no reference cycles and go when their file is indexed: the
    # cyclic collector, which their allocations keep starting, would find nothing (and
    # takes a tenth of the build).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build_index(files, root)
    finally:
        if enabled:
            gc.enable()


def _build_index(files: Iterable[tuple[str, str]], root: str) -> ProjectIndex:
    index = ProjectIndex(root=root)
    name_of = _ModuleNamer(root)
    pending: dict[str, tuple[str, bytes]] = {}
    for display, real in files:
        try:
            with open(real, "rb") as fh:
                pending[display] = (real, fh.read())
        except OSError:
            continue
    markers: set[bytes] = {b"quixote"}
    done: set[str] = set()
    while True:
        batch = [
            d for d, (_, data) in pending.items()
            if d not in done and (d.endswith(".ptl") or any(m in data for m in markers))
        ]
        if not batch:
            break
        for display in batch:
            real, data = pending[display]
            done.add(display)
            text = data.decode("utf-8", errors="replace")
            module = name_of(real)
            tree, facts = _index_source(index, display, text, module)
            if tree is not None and not text.startswith("\ufeff") and "\ufffd" not in text:
                # (the text the engine will decode: UTF-8 without a BOM)
                firsts = facts.firsts if facts is not None else statement_first_lines(tree)
                index.statement_lines[display] = (zlib.crc32(data), firsts)
            index.paths[display] = module
        index._finish()
        new = {c.name.encode() for c in index.classes.values() if c.quixote_bases}
        new |= {c.module.rpartition(".")[2].encode() for c in index.classes.values() if c.quixote_bases and c.module}
        new.discard(b"")
        if new <= markers:
            break
        markers |= new
    index._finish()
    return index
