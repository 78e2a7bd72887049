"""Code generation for libcst trees, cheaper than ``Module.code``.

Two savings, both exact:

* :class:`FastCodegenState`: libcst's ``CodegenState.record_syntactic_position`` is a
  generator-based context manager that does nothing; it is entered for most nodes, and
  creating the generator is about a quarter of a whole code generation.  This state returns
  one shared no-op context manager instead.
* :func:`code_after`: a rule pass changes a few top-level statements of a module whose text
  is known (it was parsed from it, or generated).  The statements the pass left alone (the
  very same node objects) keep their text; only the others are generated.  Where each
  statement's text starts comes from CPython's parser (ten times faster than libcst's),
  checked against libcst's own leading lines (:func:`layout_of`).
"""

from __future__ import annotations

import ast
import bisect
import re
import warnings
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import libcst as cst
from libcst._nodes.internal import CodegenState

__all__ = ["FastCodegenState", "LINE_BREAK", "Layout", "code_of", "code_after", "code_and_layout", "layout_of"]


class _NoOp:
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


_NO_OP = _NoOp()


class FastCodegenState(CodegenState):
    def record_syntactic_position(  # type: ignore[override]
        self,
        node: cst.CSTNode,
        *,
        start_node: Optional[cst.CSTNode] = None,
        end_node: Optional[cst.CSTNode] = None,
    ) -> _NoOp:
        return _NO_OP


def _generate(module: cst.Module, nodes: Sequence[cst.CSTNode]) -> str:
    state = FastCodegenState(default_indent=module.default_indent, default_newline=module.default_newline)
    for node in nodes:
        node._codegen(state)
    return "".join(state.tokens)


def code_of(module: cst.Module) -> str:
    """``module.code``, faster."""
    state = FastCodegenState(default_indent=module.default_indent, default_newline=module.default_newline)
    module._codegen(state)
    return "".join(state.tokens)


# Line breaks as both CPython's tokenizer and libcst count them (not str.splitlines, which
# also breaks at form feeds and other separators).
LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BLANK_OR_COMMENT = re.compile(r"[ \t\f]*(#.*)?(\r\n|\r|\n)?\Z")


@dataclass
class Layout:
    """Where the top-level statements of a module are in the text it was parsed from."""

    text: str
    first_lines: list[int]  # per statement of module.body: 1-based line of its first token
    start_lines: list[int]  # per statement: 1-based line where its text (leading lines) starts
    starts: list[int]  # per statement: offset of that line
    footer_start: int  # offset of the module footer's text


def statement_first_lines(tree: ast.Module) -> tuple[int, ...]:
    """The line of the first token (a decorator's, if any) of each statement of a
    CPython module tree."""
    lines = []
    for stmt in tree.body:
        first = stmt.lineno
        for deco in getattr(stmt, "decorator_list", ()) or ():
            first = min(first, deco.lineno)
        lines.append(first)
    return tuple(lines)


def _ast_first_lines(text: str) -> Optional[tuple[int, ...]]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return statement_first_lines(ast.parse(text))
    except (SyntaxError, ValueError):
        return None


def layout_of(
    module: cst.Module,
    text: str,
    tree: Optional[ast.Module] = None,
    firsts: Optional[Sequence[int]] = None,
) -> Optional[Layout]:
    """The layout of ``module`` in ``text`` (its exact code), or None when it cannot be
    established with certainty (the callers then generate the whole code).  ``tree`` is
    CPython's parse of ``text``, or ``firsts`` its :func:`statement_first_lines`, when the
    caller has them already."""
    if not module.body or not module.has_trailing_newline:
        return None
    if firsts is None:
        firsts = statement_first_lines(tree) if tree is not None else _ast_first_lines(text)
    if firsts is None:
        return None
    offsets = [0]
    offsets.extend(m.end() for m in LINE_BREAK.finditer(text))
    if offsets[-1] != len(text):
        return None
    n_lines = len(offsets) - 1

    def line(number: int) -> str:  # 1-based
        return text[offsets[number - 1]:offsets[number]]

    first_lines: list[int] = []
    start_lines: list[int] = []
    starts: list[int] = []
    index = 0
    previous = 0
    for stmt in module.body:
        if index >= len(firsts):
            return None
        first = firsts[index]
        # libcst's `a; b` is one statement line, CPython's two statements
        index += len(stmt.body) if isinstance(stmt, cst.SimpleStatementLine) else 1
        leading = stmt.leading_lines
        decorators = getattr(stmt, "decorators", ())
        if decorators and decorators[0].leading_lines:
            return None  # lines between the statement's own and its first `@` (never parsed so)
        start = first - len(leading)
        if start <= previous or first > n_lines:
            return None
        # The statement's first line holds code, and the lines above it are exactly its
        # leading lines: otherwise CPython and libcst disagree about where it starts.
        if _BLANK_OR_COMMENT.match(line(first)):
            return None
        for k, empty in enumerate(leading):
            if not _BLANK_OR_COMMENT.match(line(start + k)):
                return None
            comment = empty.comment
            if comment is not None and comment.value not in line(start + k):
                return None
        previous = first
        first_lines.append(first)
        start_lines.append(start)
        starts.append(offsets[start - 1])
    # (bisect: how many lines come before the first statement's text)
    if index != len(firsts) or len(module.header) != bisect.bisect_left(offsets, starts[0]):
        return None
    footer_line = n_lines - len(module.footer) + 1
    if footer_line <= first_lines[-1]:
        return None
    for k in range(footer_line, n_lines + 1):
        if not _BLANK_OR_COMMENT.match(line(k)):
            return None
    return Layout(text, first_lines, start_lines, starts, offsets[footer_line - 1])


def code_after(old: cst.Module, layout: Optional[Layout], new: cst.Module) -> str:
    """The code of ``new``, a rewrite of ``old`` (whose text ``layout`` describes):
    statements of ``old`` kept as they were keep their text."""
    return code_and_layout(old, layout, new)[0]


def code_and_layout(old: cst.Module, layout: Optional[Layout], new: cst.Module) -> tuple[str, Optional[Layout]]:
    """:func:`code_after`, and the layout of ``new`` in that code when it can be told from
    how the code was put together (else None: :func:`layout_of` can still parse it).  The
    next pass over ``new`` needs that layout; deriving it spares a parse of the code."""
    if layout is not None and new is old:
        return layout.text, layout
    if (
        layout is None
        or new.default_newline != old.default_newline
        or new.default_indent != old.default_indent
        or not new.has_trailing_newline
        or not new.body
    ):
        return code_of(new), None
    text = layout.text
    where = {id(stmt): i for i, stmt in enumerate(old.body)}
    ends = layout.starts[1:] + [layout.footer_start]
    head = text[:layout.starts[0]] if _same(new.header, old.header) else _generate(new, new.header)
    parts = [head]
    offset, line = len(head), 1 + _breaks(head)
    first_lines: list[int] = []
    start_lines: list[int] = []
    starts: list[int] = []
    known = len(new.header) == _breaks(head)
    for stmt in new.body:
        i = where.get(id(stmt))
        if i is not None:
            chunk = text[layout.starts[i]:ends[i]]
            above: Optional[int] = layout.first_lines[i] - layout.start_lines[i]
        else:
            chunk = _generate(new, (stmt,))
            above = _lines_above(chunk, stmt)
        if above is None:
            known = False
        elif known:
            starts.append(offset)
            start_lines.append(line)
            first_lines.append(line + above)
        parts.append(chunk)
        offset += len(chunk)
        line += _breaks(chunk)
    footer = text[layout.footer_start:] if _same(new.footer, old.footer) else _generate(new, new.footer)
    parts.append(footer)
    code = "".join(parts)
    if not known or _breaks(footer) != len(new.footer) or not code.endswith(("\n", "\r")):
        return code, None
    return code, Layout(code, first_lines, start_lines, starts, offset)


def _breaks(piece: str) -> int:
    """Line breaks in ``piece`` as :data:`LINE_BREAK` counts them (``str.count`` for LF)."""
    if "\r" in piece:
        return sum(1 for _ in LINE_BREAK.finditer(piece))
    return piece.count("\n")


def _lines_above(chunk: str, stmt: cst.CSTNode) -> Optional[int]:
    """How many lines of a statement's generated ``chunk`` come before its first token
    (its leading lines), or None when the chunk does not show exactly those."""
    leading = getattr(stmt, "leading_lines", ())
    decorators = getattr(stmt, "decorators", ())
    if decorators and decorators[0].leading_lines:
        return None
    pos = 0
    for _ in leading:
        m = LINE_BREAK.search(chunk, pos)
        if m is None or not _BLANK_OR_COMMENT.match(chunk[pos:m.end()]):
            return None
        pos = m.end()
    m = LINE_BREAK.search(chunk, pos)
    first = chunk[pos:m.end() if m else len(chunk)]
    if _BLANK_OR_COMMENT.match(first):
        return None
    return len(leading)


def _same(a: Sequence[cst.CSTNode], b: Sequence[cst.CSTNode]) -> bool:
    return a is b or (len(a) == len(b) and all(x is y for x, y in zip(a, b)))
