"""The Python 2 front end: Python 2 source (modules and PTL templates) to Python 3 source.

Most Quixote applications still in use were written for Quixote 1.x/2.x on Python 2. A file
recognised as Python 2 goes first through fissix (the maintained lib2to3 fork, with its
standard fixers), then through the Jack rules like any other file, so that the user reviews
one diff from the Python 2 original to the final Jack code.  fissix's parser and its
refactoring tool, run as 2to3 runs them, would be most of a migration's time: this module runs
the faster ones of jackmigrate.fissix_parser and jackmigrate.fissix_tool, which give exactly
the same output, and is the only one the rest of jackmigrate imports for Python 2 work.

PTL's old template annotation, ``def name [html] (args):``, is not Python 2 syntax either, so
it is protected before the parse (the function is renamed to a marker name that keeps the
line intact) and restored afterwards; the PTL converter then sees exactly the gen-1 template
it would have seen, and keeps the rule that every literal in an ``[html]`` template is markup.

Anything that cannot become valid Python 3 (tabs and spaces mixed inconsistently, ``async``
used as a name, a syntax error in both grammars) is reported with its line and reason and the
file is left alone: never half-converted.
"""
from __future__ import annotations

import ast
import io
import re
import threading
import tokenize
from dataclasses import dataclass, field
from typing import Optional

from fissix import pygram, pytree
from fissix.pgen2 import token
from fissix.pgen2.parse import ParseError
from fissix.pgen2.tokenize import TokenError
from fissix.refactor import _detect_future_features

from jackmigrate import fissix_parser, fissix_tool

__all__ = ["Py2Error", "Py2Result", "is_python2", "to_python3"]

# `def name [html] (` / `def name [plain] (`: the gen-1 PTL template annotation.
_PTL_DEF = re.compile(r"^(?P<indent>[ \t]*)def(?P<sp1>[ \t]+)(?P<name>\w+)[ \t]*\[(?P<kind>html|plain)\][ \t]*\(", re.M)
_PTL_MARK = "__jackmigrate_ptl_{kind}__"
_PTL_RESTORE = re.compile(r"^(?P<indent>[ \t]*)def(?P<sp1>[ \t]+)(?P<name>\w+)__jackmigrate_ptl_(?P<kind>html|plain)__\(", re.M)


class Py2Error(Exception):
    """A file that is neither valid Python 3 nor convertible Python 2."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass
class Py2Result:
    code: str
    # Lines (1-based, in the original) and messages of what fissix could not fix alone.
    warnings: list[tuple[int, str]] = field(default_factory=list)
    # Lines (in the original) of statements marked for a possible change of `/`.
    divisions: list[int] = field(default_factory=list)


def _protect_ptl(source: str) -> str:
    return _PTL_DEF.sub(
        lambda m: f"{m['indent']}def{m['sp1']}{m['name']}{_PTL_MARK.format(kind=m['kind'])}(", source
    )


def _restore_ptl(source: str) -> str:
    return _PTL_RESTORE.sub(lambda m: f"{m['indent']}def{m['sp1']}{m['name']} [{m['kind']}] (", source)


def _parses_as_python3(source: str) -> SyntaxError | None:
    try:
        ast.parse(source)
    except SyntaxError as exc:  # includes IndentationError and TabError
        # Without its traceback: that holds this frame, which holds the error (a cycle
        # keeping the callers' frames, and the trees in them, until a full collection).
        return exc.with_traceback(None)
    except ValueError as exc:  # NUL bytes
        return SyntaxError(str(exc))
    return None


# The last tree _parses_as_python2 built, per thread: to_python3 usually follows at once
# with the same text, and a fissix parse costs more than the rest of the check.
_PARSED = threading.local()


def _parses_as_python2(source: str) -> bool:
    text = source if source.endswith("\n") else source + "\n"
    try:
        tree = fissix_parser.parse_string(text, pygram.python_grammar)
    except (ParseError, TokenError, IndentationError, SyntaxError):
        return False
    _PARSED.entry = (text, tree)
    return True


# Syntax only Python 2 has. A file with none of it is not Python 2 (it may still use
# Python 2 library calls, which --from-python2 converts): checked before any parse, so
# Python 3 files cost a few scans.  One (literal that must be present, pattern) per
# construct, cheapest first: the substring test skips most patterns, and each pattern
# starts with a character rather than \b so that the regex engine can skip ahead (one
# alternation of them all took four times as long).
_PY2_SYNTAX: tuple[tuple[str, Optional[re.Pattern[str]]], ...] = (
    ("`", None),                                                  # backquote repr
    ("<>", None),                                                 # inequality
    ("print", re.compile(r"""^[ \t]*print\b(?![ \t]*[(=.\[]|[ \t]*$)|^[ \t]*print[ \t]*$""", re.M)),
    ("exec", re.compile(r"^[ \t]*exec\b[ \t]+[^(=]", re.M)),       # exec statement
    ("raise", re.compile(r"^[ \t]*raise\b[^\n#]*?\w[ \t]*,", re.M)),  # raise E, "message"
    ("except", re.compile(r"\bexcept\b[^:\n]*,[ \t]*\w+[ \t]*:")),  # except E, e:
    # old octal (0777) and long (10L) literals: a digit not preceded by a word character
    ("", re.compile(r"\d(?<!\w\d)(?:(?<=0)[0-7]+\b|\d*[lL]\b)")),
    ("", re.compile(r"""[rR](?<=\b[uU][rR])['"]""")),               # ur'' strings
)


def _has_python2_syntax(source: str) -> bool:
    for literal, pattern in _PY2_SYNTAX:
        if literal and literal not in source:
            continue
        if pattern is None or pattern.search(source):
            return True
    return False


def is_python2(source: str, *, ptl: bool = False) -> int | None:
    """The line of the first Python 2-only construct, or None when ``source`` is not Python 2.

    A file is Python 2 when it has Python 2-only syntax, Python 3 rejects it and fissix's
    Python 2 grammar accepts it.
    """
    if not _has_python2_syntax(source):
        return None
    if ptl:
        source = _protect_ptl(source)
    error = _parses_as_python3(source)
    if error is None:
        return None
    if not _parses_as_python2(source):
        return None
    return error.lineno or 1


def _parse(source: str) -> pytree.Node:
    """RefactoringTool.refactor_string's parse, without the refactoring (done separately)."""
    features = _detect_future_features(source)
    grammar = pygram.python_grammar_no_print_statement if "print_function" in features else pygram.python_grammar
    cached = getattr(_PARSED, "entry", None)
    _PARSED.entry = None  # the fixers change the tree: never used twice
    if cached is not None and grammar is pygram.python_grammar and cached[0] == source:
        tree = cached[1]
    else:
        tree = fissix_parser.parse_string(source, grammar)
    tree.future_features = features
    return tree


_WARNING_LINE = re.compile(r"^Line (\d+): (.*)$", re.S)


def to_python3(source: str, *, path: str = "<string>", ptl: bool = False) -> Py2Result:
    """Convert Python 2 ``source`` (a module, or a PTL template file when ``ptl``) to Python 3.

    ``path`` should be the file's real path: the import fixer looks at its siblings to tell
    implicit relative imports from absolute ones. Raises :class:`Py2Error` when the result
    would not be valid Python 3; nothing is ever returned half-converted.
    """
    protected = _protect_ptl(source) if ptl else source
    if not protected.endswith("\n"):
        protected += "\n"
    tool = fissix_tool.tool()
    try:
        tree = _parse(protected)
    except (ParseError, TokenError) as exc:
        line = _error_line(exc)
        raise Py2Error(line, f"neither valid Python 3 nor Python 2: {_describe(exc)}") from None
    except (IndentationError, SyntaxError) as exc:
        raise Py2Error(exc.lineno or 1, f"neither valid Python 3 nor Python 2: {exc.msg}") from None
    # Marked before the fixers run, while every leaf still knows its original line.
    # (A `/` or `/=` token is in the text: without one, nothing to mark.)
    if "division" in tree.future_features or "/" not in protected:
        divisions = []
    else:
        divisions = _mark_divisions(tree, protected.splitlines())
    tool.refactor_tree(tree, path, protected)
    code = fissix_tool.render(tree)
    if not source.endswith("\n"):
        code = code[:-1]
    error = _parses_as_python3(code)
    if error is not None:
        reason = error.msg if isinstance(error, SyntaxError) else str(error)
        if isinstance(error, TabError) or "tabs and spaces" in (reason or ""):
            reason = "inconsistent use of tabs and spaces in indentation (expand tabs first, e.g. `expand -t 8`)"
        elif _uses_reserved_word(code, error.lineno):
            reason = f"a name that is a keyword in Python 3 ({_uses_reserved_word(code, error.lineno)}); rename it first"
        raise Py2Error(error.lineno or 1, f"cannot be converted to valid Python 3: {reason}")
    if ptl:
        code = _restore_ptl(code)
    warnings = []
    for message in tool.messages + tool.fixer_log:
        m = _WARNING_LINE.match(message)
        if m:
            warnings.append((int(m[1]), m[2].strip()))
    return Py2Result(code=code, warnings=sorted(set(warnings)), divisions=divisions)


DIVISION_TODO = (
    "# TODO(jackmigrate JM002): Python 2 `/` floors when both operands are ints, Python 3's does "
    "not: use `//` if they are ints here"
)


def _is_float_operand(node: pytree.Base | None) -> bool:
    if node is None:
        return False
    if isinstance(node, pytree.Leaf):
        return node.type == token.NUMBER and any(c in node.value.lower() for c in ".ej")
    # float(...) call
    first = node.children[0] if node.children else None
    return isinstance(first, pytree.Leaf) and first.value == "float" and len(node.children) == 2


_BLOCKS = (pygram.python_symbols.suite, pygram.python_symbols.file_input)


def _mark_divisions(tree: pytree.Node, lines: list[str]) -> list[int]:
    """Put a TODO above each statement using `/` or `/=` whose result may change.

    Python 2 floors ``7 / 2`` to 3; Python 3 gives 3.5. Whether the operands are ints is
    not knowable statically, so this is never changed silently: each statement gets a TODO,
    unless an operand is a float literal or a ``float()`` call. Returns the marked lines.
    """
    marked: dict[int, pytree.Leaf] = {}
    for leaf in fissix_tool.leaves(tree):
        if leaf.type not in (token.SLASH, token.SLASHEQUAL):
            continue
        if leaf.type == token.SLASH and (
            _is_float_operand(leaf.prev_sibling) or _is_float_operand(leaf.next_sibling)
        ):
            continue
        # The whole statement (a compound statement's header included) gets the TODO.
        stmt = leaf
        while stmt.parent is not None and stmt.parent.type not in _BLOCKS:
            stmt = stmt.parent
        first = next(stmt.leaves())
        marked.setdefault(first.get_lineno(), first)
    for lineno, first in marked.items():
        if DIVISION_TODO in first.prefix:
            continue
        # The indentation of a block's first statement lives in the INDENT token, not in
        # the prefix: take it from the line itself.
        line = lines[lineno - 1] if lineno <= len(lines) else ""
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        first.prefix = first.prefix + DIVISION_TODO + "\n" + indent
    return sorted(marked)


def _uses_reserved_word(code: str, lineno: int | None) -> str | None:
    if not lineno:
        return None
    try:
        line = code.splitlines()[lineno - 1]
    except IndexError:
        return None
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line + "\n").readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    for tok in tokens:
        if tok.type == tokenize.NAME and tok.string in ("async", "await"):
            return tok.string
    return None


def _error_line(exc: Exception) -> int:
    context = getattr(exc, "context", None)
    if context and len(context) > 1 and context[1]:
        return context[1][0]
    if exc.args and isinstance(exc.args[-1], tuple) and exc.args[-1] and isinstance(exc.args[-1][0], int):
        return exc.args[-1][0]
    return 1


def _describe(exc: Exception) -> str:
    if isinstance(exc, ParseError):
        return f"unexpected {exc.value!r}" if exc.value else "unexpected end of input"
    return str(exc.args[0]) if exc.args else type(exc).__name__
