"""Positions of selected nodes, computed by one code generation instead of libcst's
PositionProvider (which records every node), and line mapping between two texts."""

from __future__ import annotations

import bisect
import difflib
import re
from itertools import accumulate
from typing import Iterable, Mapping, Optional

import libcst as cst

from jackmigrate.codegen import FastCodegenState, Layout, layout_of
from jackmigrate.walk import children

__all__ = ["code_with_positions", "positions_in", "LineMap", "Span"]

Span = tuple[int, int, int, int]  # start line, start col, end line, end col (1-based lines)

_LF = re.compile("\n")


class _AllEnded(Exception):
    pass


class _RecordingState(FastCodegenState):
    """Records where the target nodes' tokens start and end; with ``stop``, raises
    :class:`_AllEnded` once every target has ended (what follows cannot move them).  A
    node object found twice (libcst trees may share immutable nodes) is placed where it
    first occurs."""

    def __init__(self, module: cst.Module, targets: set[int], stop: bool = False) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.targets = targets
        self.starts: dict[int, int] = {}
        self.ends: dict[int, int] = {}
        self.stop = stop

    def before_codegen(self, node: cst.CSTNode) -> None:
        key = id(node)
        if key in self.targets and key not in self.starts:
            self.starts[key] = len(self.tokens)

    def after_codegen(self, node: cst.CSTNode) -> None:
        key = id(node)
        if key in self.targets and key not in self.ends:
            self.ends[key] = len(self.tokens)
            if self.stop and len(self.ends) == len(self.targets):
                raise _AllEnded


def code_with_positions(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> tuple[str, dict[int, Span]]:
    """The module's code and, for each node (by id) found in it, its span.  A statement's
    span starts at its first token, not at the blank or comment lines before it."""
    return _code_and_spans(module, {id(n) for n in nodes}, stop=False)


def _code_and_spans(module: cst.Module, targets: set[int], stop: bool) -> tuple[str, dict[int, Span]]:
    """:func:`code_with_positions`; with ``stop``, the code only as far as the last
    target's end (all its spans need)."""
    state = _RecordingState(module, targets, stop)
    stopped = False
    try:
        module._codegen(state)
    except _AllEnded:
        stopped = True
    tokens = state.tokens
    # Offsets of token boundaries; cheap compared to the codegen itself.
    offsets = [0]
    offsets.extend(accumulate(map(len, tokens)))
    text = "".join(tokens)
    line_starts = [0]
    line_starts.extend(m.end() for m in _LF.finditer(text))
    spans: dict[int, Span] = {}
    for key, start_tok in state.starts.items():
        start = _skip_leading(text, offsets[min(start_tok, len(tokens))])
        if stopped and start == len(text):
            # (a target of whitespace alone starts at the next token: not generated yet)
            return _code_and_spans(module, targets, stop=False)
        end = offsets[min(state.ends.get(key, start_tok), len(tokens))]
        end = max(end, start)
        # Trailing newline of a statement belongs to the line it ends.
        while end > start and text[end - 1] in "\r\n":
            end -= 1
        sl = bisect.bisect_right(line_starts, start) - 1
        el = bisect.bisect_right(line_starts, end) - 1
        spans[key] = (sl + 1, start - line_starts[sl], el + 1, end - line_starts[el])
    return text, spans


def _skip_leading(text: str, pos: int) -> int:
    n = len(text)
    while pos < n:
        ch = text[pos]
        if ch in " \t\r\n\f\\":
            pos += 1
        elif ch == "#":
            nl = text.find("\n", pos)
            pos = n if nl < 0 else nl + 1
        else:
            break
    return pos


class LineMap:
    """Maps 1-based line numbers of ``new`` to lines of ``old`` (unchanged lines map
    exactly; lines inside a rewritten region map to the region's first old line)."""

    def __init__(self, old: list[str], new: list[str]) -> None:
        self.blocks: list[tuple[int, int, int, int, str]] = []
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            self.blocks.append((j1, j2, i1, i2, tag))
        self._starts = [b[0] for b in self.blocks]
        self.opcodes = [(tag, i1, i2, j1, j2) for (j1, j2, i1, i2, tag) in self.blocks]

    def to_old(self, line: int) -> int:
        j = line - 1
        k = bisect.bisect_right(self._starts, j) - 1
        if k < 0:
            return line
        j1, j2, i1, i2, tag = self.blocks[k]
        if tag == "equal":
            return i1 + (j - j1) + 1
        return i1 + 1

    def hunks_for_old_range(self, start: int, end: int, new: list[str]) -> list[tuple[int, int, str]]:
        """Replacements (old start, old end exclusive, new text) touching old lines
        start..end; a line-for-line replacement is split into single lines."""
        out: list[tuple[int, int, str]] = []
        lo, hi = start - 1, max(end, start) - 1
        for tag, i1, i2, j1, j2 in self.opcodes:
            if tag == "equal":
                continue
            if i1 == i2:  # pure insertion before old line i1
                if lo <= i1 <= hi:
                    out.append((i1 + 1, i1 + 1, "".join(new[j1:j2])))
                continue
            if i2 - 1 < lo or i1 > hi:
                continue
            if tag == "replace" and i2 - i1 == j2 - j1:
                for k in range(max(i1, lo), min(i2 - 1, hi) + 1):
                    out.append((k + 1, k + 2, new[j1 + k - i1]))
            else:
                out.append((i1 + 1, i2 + 1, "".join(new[j1:j2])))
        return out

    def hunk_for_old_line(self, line: int, new: list[str]) -> Optional[tuple[int, int, str]]:
        """The replacement (old start, old end exclusive, new text) covering an old line."""
        i = line - 1
        for tag, i1, i2, j1, j2 in self.opcodes:
            if tag == "equal":
                continue
            if i1 <= i < i2 or (i1 == i2 == i):
                if tag == "replace" and i2 - i1 == j2 - j1:
                    # line-for-line replacement: the edit of this line alone, so that
                    # fixes of neighbouring findings do not overlap
                    k = i - i1
                    return (i + 1, i + 2, new[j1 + k])
                return (i1 + 1, i2 + 1, "".join(new[j1:j2]))
        return None


def _contains(node: cst.CSTNode, targets: set[int], found: set[int]) -> None:
    # Fast read-only search (no tree rebuild); whitespace nodes are never targets.
    if id(node) in targets:
        found.add(id(node))
    for child in children(node):
        _contains(child, targets, found)


def positions_in(module: cst.Module, text: str, nodes: Iterable[cst.CSTNode],
                 layout: Optional[Layout] = None,
                 statement_of: Optional[Mapping[int, cst.CSTNode]] = None) -> dict[int, Span]:
    """Spans of ``nodes`` in ``module``, whose code is ``text``, generating code only for
    the top-level statements that hold them (where those are in ``text`` is its
    ``layout``, computed when not given).  ``statement_of`` (id of a node -> a top-level
    statement) says where to look first: a statement named there is generated without
    searching it, and any node not found in it is searched for as usual.  Falls back to a
    full code generation when that is not possible."""
    nodes = list(nodes)
    targets = {id(n) for n in nodes}
    if layout is None:
        layout = layout_of(module, text)
    if layout is None:
        return code_with_positions(module, nodes)[1]
    spans: dict[int, Span] = {}
    remaining = set(targets)
    done: set[int] = set()  # indexes of the statements generated

    def generate(index: int, inner: list[cst.CSTNode]) -> None:
        stmt = module.body[index]
        sub = module.with_changes(body=[stmt], header=(), footer=(), has_trailing_newline=True)
        _, sub_spans = _code_and_spans(sub, {id(n) for n in inner}, stop=True)
        # the statement's code starts with its leading lines
        offset = layout.first_lines[index] - 1 - len(stmt.leading_lines)  # type: ignore[union-attr]
        for key, (sl, sc, el, ec) in sub_spans.items():
            spans[key] = (sl + offset, sc, el + offset, ec)
        remaining.difference_update(sub_spans)
        done.add(index)

    if statement_of:
        where = {id(stmt): i for i, stmt in enumerate(module.body)}
        hinted = sorted({where[id(s)] for s in (statement_of.get(t) for t in targets)
                         if s is not None and id(s) in where})
        for index in hinted:
            generate(index, [n for n in nodes if id(n) in remaining])
    for index, stmt in enumerate(module.body):
        if not remaining:
            break
        if index in done:
            continue
        found: set[int] = set()
        _contains(stmt, remaining, found)
        if found:
            generate(index, [n for n in nodes if id(n) in found])
    if remaining:
        # nodes outside the body (module header/footer) or not found: exact fallback
        return code_with_positions(module, nodes)[1]
    return spans

