"""PTL templates to plain Python.

A ``.ptl`` module is converted to an ordinary module that builds its output with an
explicit accumulator and Jack's html helpers::

    @ptl_html                                   def page(title):
    def page(title):                                out = TemplateIO(html=True)
        '<h1>'                       ->             out += '<h1>'
        F'<b>{title}</b>'                           out += htmltext('<b>{title}</b>').format(title=title)
                                                    return out.getvalue()

Three syntax generations are understood (see section 9 of the Quixote reference):

1. Quixote <= 3.0: ``def f [html] (...)``; every string literal lexically inside an
   ``[html]`` template (nested ``def``s excepted) is trusted markup, f-strings included.
2. Quixote 3.1-3.6: the same declarations (and, from 3.2, the decorators) but only
   ``h'...'`` and ``F'...'`` literals are markup, anywhere in the module.
3. Quixote 3.2+: ``@ptl_html``/``@ptl_plain`` and ``F'...'`` HTML f-strings.

Which generation a file is read as is decided per file, explicitly, and reported: h- or
F-strings or decorators mean generation 2/3; ``[html]`` templates whose plain literals
carry markup (``<``, ``>``, ``&``) and no h-strings mean generation 1 (under 3.1+ that
markup would have been printed escaped); anything else is ambiguous and read the safer
way, as generation 2 (literals escaped).  The caller may force a generation.

The converter is a pure function, :func:`convert_ptl`.  A file it cannot convert raises
:class:`PtlError` with the line and the reason; the caller leaves the file untouched.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Collection, NamedTuple, Optional, Sequence, Union

import libcst as cst
from libcst._nodes.internal import CodegenState

from jackmigrate.codegen import LINE_BREAK, Layout, code_and_layout, layout_of, statement_first_lines
from jackmigrate.literals import literal_value
from jackmigrate.source import SourceError, python2_reason
from jackmigrate.walk import BatchWalker, children, iter_statements, scan

__all__ = ["PtlError", "PtlFinding", "PtlResult", "ParseFacts", "convert_ptl", "parse_facts", "HTML_MODULE"]

# Where the converted code takes its helpers from.
HTML_MODULE = "jack_runtime.html"

_TEMPLATE_DECORATORS = {"ptl_html": "html", "ptl_plain": "plain"}
_PTL_MODULES = ("quixote.ptl",)
_MARKUP_CHARS = ("<", ">", "&")
_ACCUMULATOR_NAMES = ("out", "output", "out_", "_out", "template_out")
# Every name the conversion writes into the code (besides copies of names the code had,
# `.format(title=title)`): the accumulators, the statements around a template's body, the
# htmltext calls and Jack's html module (a `from quixote.html import` inside a function).
_CONVERTER_NAMES = frozenset(
    {*_ACCUMULATOR_NAMES, "TemplateIO", "html", "True", "False", "getvalue", "htmltext", "format", *HTML_MODULE.split(".")}
)


class PtlError(SourceError):
    """A PTL file that cannot be converted: where and why.  The file must be left as is."""

    def __init__(self, line: int, reason: str, column: int = 0) -> None:
        super().__init__(reason, line, column)
        self.reason = reason


# A line `# jackmigrate: ptl-generation=1` in a .ptl file forces its generation.
GENERATION_DIRECTIVE = re.compile(r"^[ \t]*#[ \t]*jackmigrate:[ \t]*ptl-generation[ \t]*=[ \t]*([123])[ \t]*$", re.M)


@dataclass(frozen=True)
class PtlFinding:
    """One thing the converter did or wants a reviewer to look at."""

    line: int
    message: str
    column: int = 0
    # "converted": a construct was rewritten; "review": a decision a human should check.
    kind: str = "converted"


@dataclass
class PtlResult:
    code: str
    generation: int
    findings: list[PtlFinding] = field(default_factory=list)
    # (name, kind, line) of every template converted, in source order.
    templates: list[tuple[str, str, int]] = field(default_factory=list)
    # The converted module as a tree (``tree.code == code``): the engine's rules start
    # from it instead of parsing ``code`` again.
    tree: Optional[cst.Module] = None
    # Where the statements of ``tree`` are in ``code``, when known (spares a parse).
    layout: Optional[Layout] = None


# --------------------------------------------------------------------------------------
# Token-level pre-pass: the parts of PTL that are not Python syntax.


@dataclass
class _Prepass:
    text: str
    # line of the `def` keyword -> "html" | "plain", for `def f [html] (...)` templates
    bracket_templates: dict[int, str]
    hstring_lines: list[int]


# A necessary condition for _prepass to find anything: `[` then `html`/`plain` (only
# whitespace, line continuations or comments between), or `h` right before a quote.
_PREPASS_NEEDED = re.compile(r"""\[(?:[\s\\]|\#[^\r\n]*+)*+(?:html|plain)\b|\bh['"]""")


def _prepass(source: str) -> _Prepass:
    """Remove ``[html]``/``[plain]`` annotations and turn ``h'..'`` into ``F'..'``,
    keeping every line where it was (so positions reported later stay right)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError) as exc:
        line = exc.args[1][0] if len(exc.args) > 1 and isinstance(exc.args[1], tuple) else 1
        line = max(1, min(line, source.count("\n") + 1))  # EOF errors point past the end
        raise PtlError(line, f"cannot tokenize: {exc.args[0]}") from None
    lines = source.splitlines(keepends=True)
    # (row, start col, end col, replacement), applied right to left per line.
    edits: list[tuple[int, int, int, str]] = []
    bracket: dict[int, str] = {}
    hlines: list[int] = []
    significant = [t for t in tokens if t.type not in (tokenize.NL, tokenize.COMMENT)]
    for i, tok in enumerate(significant):
        if tok.type == tokenize.NAME and tok.string == "def" and i + 5 < len(significant):
            name, lbr, kind, rbr, lpar = significant[i + 1 : i + 6]
            if (
                name.type == tokenize.NAME
                and lbr.string == "["
                and kind.string in ("html", "plain")
                and rbr.string == "]"
                and lpar.string == "("
            ):
                if not (name.end[0] == lbr.start[0] == rbr.end[0] == lpar.start[0]):
                    raise PtlError(tok.start[0], "template annotation split over lines")
                if i > 0 and significant[i - 1].string == "async":
                    raise PtlError(tok.start[0], "async def template: Quixote never ran these as templates; convert by hand")
                bracket[tok.start[0]] = kind.string
                edits.append((name.end[0], name.end[1], lpar.start[1], ""))
        elif (
            tok.type == tokenize.NAME
            and tok.string == "h"
            and i + 1 < len(significant)
            and significant[i + 1].type == tokenize.STRING
            and significant[i + 1].start == tok.end
        ):
            hlines.append(tok.start[0])
            edits.append((tok.start[0], tok.start[1], tok.end[1], "F"))
    for row, start, end, new in sorted(edits, reverse=True):
        text = lines[row - 1]
        lines[row - 1] = text[:start] + new + text[end:]
    return _Prepass("".join(lines), bracket, hlines)


# --------------------------------------------------------------------------------------
# String literals to htmltext expressions.

# In f-string text every literal brace is doubled; `\N{NAME}` (not in raw strings) is an
# escape whose braces are single, and `\\` must be consumed first so `\\N{{` stays.
_FSTRING_BRACES = re.compile(r"(\\\\|\\N\{[^}]*\})|\{\{|\}\}")
_RAW_FSTRING_BRACES = re.compile(r"()\{\{|\}\}")


def _undouble_braces(text: str, raw: bool) -> str:
    """f-string literal text -> plain string literal text (``{{`` -> ``{``)."""
    pattern = _RAW_FSTRING_BRACES if raw else _FSTRING_BRACES
    return pattern.sub(lambda m: m.group(0) if m.group(1) else m.group(0)[0], text)


def _split_prefix(start: str) -> tuple[str, str]:
    """``'rF"""'`` -> (``'rF'``, ``'"""'``)."""
    quote_at = min(i for i in (start.find("'"), start.find('"')) if i >= 0)
    return start[:quote_at], start[quote_at:]


def _is_html_fstring(node: cst.BaseExpression) -> bool:
    # Quixote marks exactly the prefix `F` (not rF, Fr, FR...): ptl_parse._is_h_str_tok.
    return isinstance(node, cst.FormattedString) and _split_prefix(node.start)[0] == "F"


def _string_parts(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(node, cst.ConcatenatedString):
        return _string_parts(node.left) + _string_parts(node.right)
    return [node]


def _string_gaps(node: cst.BaseExpression, module: cst.Module) -> list[str]:
    """The source text between the parts of an implicit concatenation (kept as written)."""
    if isinstance(node, cst.ConcatenatedString):
        return _string_gaps(node.left, module) + [module.code_for_node(node.whitespace_between)] + _string_gaps(node.right, module)
    return []


class _FormatBuilder:
    """Builds ``htmltext(<literal>).format(<args>)`` from a (concatenated) f-string."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self.fields: list[cst.BaseExpression] = []

    def _field_source(self, part: cst.FormattedStringExpression, named: bool) -> str:
        text = ""
        conversion = part.conversion
        if part.equal is not None:
            debug = (
                self.module.code_for_node(part.whitespace_before_expression)
                + self.module.code_for_node(part.expression)
                + self.module.code_for_node(part.whitespace_after_expression)
                + self.module.code_for_node(part.equal.whitespace_before)
                + "="
                + self.module.code_for_node(part.equal.whitespace_after)
            )
            text = debug.replace("{", "{{").replace("}", "}}")
            if conversion is None and part.format_spec is None:
                conversion = "r"
        self.fields.append(part.expression)
        name = part.expression.value if named and isinstance(part.expression, cst.Name) else ""
        out = "{" + name
        if conversion:
            out += "!" + conversion
        if part.format_spec is not None:
            out += ":" + self._parts_source(part.format_spec, named)
        return text + out + "}"

    def _parts_source(self, parts: Sequence[cst.BaseFormattedStringContent], named: bool) -> str:
        chunks = []
        for part in parts:
            if isinstance(part, cst.FormattedStringText):
                chunks.append(part.value)
            else:
                assert isinstance(part, cst.FormattedStringExpression)
                chunks.append(self._field_source(part, named))
        return "".join(chunks)

    @staticmethod
    def _expressions(parts: Sequence[cst.BaseFormattedStringContent]) -> list[cst.BaseExpression]:
        found: list[cst.BaseExpression] = []
        for part in parts:
            if isinstance(part, cst.FormattedStringExpression):
                found.append(part.expression)
                if part.format_spec:
                    found.extend(_FormatBuilder._expressions(part.format_spec))
        return found

    def build(self, node: cst.BaseExpression) -> cst.BaseExpression:
        pieces = _string_parts(node)
        expressions = [
            e for p in pieces if isinstance(p, cst.FormattedString) for e in self._expressions(p.parts)
        ]
        uses_format = bool(expressions) or any(
            isinstance(p, cst.FormattedString)
            and any(isinstance(x, cst.FormattedStringExpression) and x.equal is not None for x in p.parts)
            for p in pieces
        )
        # Named fields read best (`{title}` ... `.format(title=title)`) but only work for
        # bare names; anything else uses positional `{}` fields in source order.
        # (`self` cannot be a keyword argument of a method.)
        named = bool(expressions) and all(isinstance(e, cst.Name) and e.value != "self" for e in expressions)
        literals = []
        for piece in pieces:
            if isinstance(piece, cst.FormattedString):
                prefix, quote = _split_prefix(piece.start)
                prefix = prefix.replace("f", "").replace("F", "")
                body = self._parts_source(piece.parts, named)
                if not uses_format:
                    body = _undouble_braces(body, "r" in prefix.lower())
                literals.append(prefix + quote + body + piece.end)
            elif isinstance(piece, cst.SimpleString):
                literals.append(_plain_literal_for_format(piece) if uses_format else piece.value)
            else:  # pragma: no cover - concatenations hold only strings
                raise TypeError(piece)
        gaps = _string_gaps(node, self.module)
        text = literals[0] + "".join(gap + literal for gap, literal in zip(gaps, literals[1:]))
        if len(literals) == 1:
            # The tree parse_expression would build, without a parser run per literal.
            call: cst.BaseExpression = cst.Call(func=cst.Name("htmltext"), args=[cst.Arg(cst.SimpleString(text))])
        else:
            call = cst.parse_expression(f"htmltext({text})")
        if not uses_format:
            return call
        args: list[cst.Arg] = []
        if named:
            seen: list[str] = []
            for e in self.fields:
                assert isinstance(e, cst.Name)
                if e.value not in seen:
                    seen.append(e.value)
            args = [
                cst.Arg(
                    cst.Name(n),
                    keyword=cst.Name(n),
                    equal=cst.AssignEqual(
                        whitespace_before=cst.SimpleWhitespace(""),
                        whitespace_after=cst.SimpleWhitespace(""),
                    ),
                )
                for n in seen
            ]
        else:
            args = [cst.Arg(_as_argument(e)) for e in self.fields]
        return cst.Call(func=cst.Attribute(call, cst.Name("format")), args=args)


def _as_argument(expr: cst.BaseExpression) -> cst.BaseExpression:
    # `f'{a, b}'` formats one tuple; as a call argument it needs its parentheses back.
    if isinstance(expr, (cst.Tuple, cst.Yield)) and not expr.lpar:
        return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return expr


def _plain_literal_for_format(node: cst.SimpleString) -> str:
    """A plain literal that becomes part of a format string: braces doubled."""
    value = literal_value(node)
    if isinstance(value, bytes):
        raise PtlError(0, "bytes literal concatenated with an HTML string")
    if "{" not in value and "}" not in value:
        return node.value
    prefix = node.prefix.lower()
    if "r" in prefix or "\\N{" not in node.value:
        body = node.value[len(node.prefix) :]
        return node.prefix + body.replace("{", "{{").replace("}", "}}")
    return repr(value.replace("{", "{{").replace("}", "}}"))


def _trusted_literal(node: cst.BaseExpression, module: cst.Module) -> cst.BaseExpression:
    """Generation 1: a string literal inside an [html] template is markup."""
    pieces = _string_parts(node)
    if any(isinstance(p, cst.SimpleString) and isinstance(literal_value(p), bytes) for p in pieces):
        return node
    if any(isinstance(p, cst.FormattedString) for p in pieces):
        return _FormatBuilder(module).build(node)
    inner = node.with_changes(lpar=[], rpar=[])
    return cst.Call(func=cst.Name("htmltext"), args=[cst.Arg(inner)])


# --------------------------------------------------------------------------------------
# Node lines.


class _Syntactic:
    """``record_syntactic_position`` of :class:`_LineState` (a plain context manager:
    libcst's generator-based one is a large part of PositionProvider's cost)."""

    __slots__ = ("state", "node", "start_node", "end_node", "start")

    def __init__(self, state: "_LineState", node: cst.CSTNode, start_node: Optional[cst.CSTNode], end_node: Optional[cst.CSTNode]) -> None:
        self.state, self.node, self.start_node, self.end_node = state, node, start_node, end_node
        self.start = state.line

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is not None:  # e.g. _Reached, stopping a generation early
            return
        spans = self.state.spans
        start = spans[id(self.start_node)][0] if self.start_node is not None else self.start
        end = spans[id(self.end_node)][1] if self.end_node is not None else self.state.line
        spans[id(self.node)] = (start, end)


class _LineState(CodegenState):
    """A code generation that records the first and last line of every node exactly as
    libcst's PositionProvider does (syntactic positions), but only the lines: the
    converter needs nothing else, and PositionProvider (with the deep copy that
    MetadataWrapper makes) cost more than parsing the file."""

    def __init__(self, module: cst.Module, line: int = 1) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.line = line
        self.stack: list[int] = []
        # id(node) -> (start line, end line); the tree outlives this mapping.
        self.spans: dict[int, tuple[int, int]] = {}

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        for token in self.indent_tokens:
            self._advance(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        if "\n" in value or "\r" in value:
            self._advance(value)

    def _advance(self, value: str) -> None:
        # Same line breaks as PositionProvider's regex: \r\n, \r, \n.
        self.line += value.count("\n") + value.count("\r") - value.count("\r\n")

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.stack.append(self.line)

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self.stack.pop()
        key = id(node)
        if key not in self.spans:  # a syntactic position recorded already wins
            self.spans[key] = (start, self.line)

    def record_syntactic_position(  # type: ignore[override]
        self, node: cst.CSTNode, *, start_node: Optional[cst.CSTNode] = None, end_node: Optional[cst.CSTNode] = None
    ) -> _Syntactic:
        return _Syntactic(self, node, start_node, end_node)


def _node_lines(module: cst.Module) -> dict[int, tuple[int, int]]:
    """(start line, end line) of every node of ``module``, by ``id``."""
    state = _LineState(module)
    module._codegen(state)
    return state.spans


class _Lines:
    """Lines of the nodes of a module, as :class:`_LineState` gives them, computed only as
    far as asked for.  The converter asks for the line of every ``def`` and decorator:
    those come from CPython's parse of the same text (matched to libcst's nodes in source
    order, names checked).  Any other node's lines come from generating the code of the
    top-level statement that holds it, from the line where that statement starts (known
    from the module's layout); without a layout, from generating the whole module."""

    def __init__(
        self, module: cst.Module, text: str, tree: Optional[ast.Module], facts: Optional[ParseFacts] = None
    ) -> None:
        self.module = module
        if facts is None and tree is not None:
            facts = parse_facts(tree)
        self.layout = layout_of(module, text, firsts=facts.firsts) if facts is not None else layout_of(module, text)
        self.spans: dict[int, tuple[int, int]] = {}
        self.defs: dict[int, int] = {}  # id(FunctionDef, its name or a decorator) -> line
        # id(FunctionDef) -> the text of its lines, decorators included: every name in the
        # function is written there (see _Converter.visit_FunctionDef)
        self.def_texts: dict[int, str] = {}
        self.owner: Optional[dict[int, int]] = None  # id(node) -> index of its statement
        if self.layout is not None and facts is not None:
            self._match_defs(facts.defs, LINE_BREAK.split(text))

    def _match_defs(self, found: Sequence[DefFacts], physical: list[str]) -> None:
        defs = [s for s in iter_statements(self.module.body) if isinstance(s, cst.FunctionDef)]
        if len(found) != len(defs):
            return
        lines: dict[int, int] = {}
        for (name, lineno, end_lineno, decorators), fn in zip(found, defs):
            if name != fn.name.value or len(decorators) != len(fn.decorators):
                return
            # CPython gives the line of `def` (or `async`): the name must be on it too,
            # and each decorator's `@` on its expression's line (no backslash in between).
            if not re.match(r"[ \t\f]*(async[ \t\f]+)?def[ \t\f]+%s\b" % re.escape(name), physical[lineno - 1]):
                continue
            lines[id(fn)] = lines[id(fn.name)] = lineno
            for (line, column), dec in zip(decorators, fn.decorators):
                if physical[line - 1][:column].strip() == "@":
                    lines[id(dec)] = line
            if end_lineno is not None:
                start = min([lineno] + [line for line, _ in decorators])
                self.def_texts[id(fn)] = "\n".join(physical[start - 1:end_lineno])
        self.defs = lines

    def first(self, node: cst.CSTNode, statement: Optional[int] = None) -> int:
        """The first line of ``node`` (in top-level statement number ``statement``, when
        the caller knows it)."""
        line = self.defs.get(id(node))
        if line is not None:
            return line
        span = self.spans.get(id(node))
        if span is not None:
            return span[0]
        if statement is not None and self.layout is not None and type(node) in _STARTS_AT_ONCE and not node.lpar:
            # Where the literal starts is where the generation of its statement reaches it:
            # no need to generate (a whole template, often) past it.
            state = _UntilState(self.module, self.layout.start_lines[statement], node)
            try:
                self.module.body[statement]._codegen(state)
            except _Reached:
                return state.line
        return self.span(node, statement)[0]

    def span(self, node: cst.CSTNode, statement: Optional[int] = None) -> tuple[int, int]:
        key = id(node)
        span = self.spans.get(key)
        if span is None:
            self._generate(key, statement)
            span = self.spans[key]
        return span

    def _top_level_line_holding(self, key: int) -> Optional[int]:
        """The index of the top-level statement line that is, or directly holds, the node
        with id ``key`` (a module-level import, say), found without mapping every node."""
        for i, stmt in enumerate(self.module.body):
            if id(stmt) == key:
                return i
            if isinstance(stmt, cst.SimpleStatementLine) and any(id(s) == key for s in stmt.body):
                return i
        return None

    def _generate(self, key: int, statement: Optional[int]) -> None:
        layout = self.layout
        if layout is not None:
            if statement is None:
                statement = self._top_level_line_holding(key)
            if statement is None:
                if self.owner is None:
                    self.owner = {}
                    for i, stmt in enumerate(self.module.body):
                        _own(stmt, i, self.owner)
                statement = self.owner.get(key)
            if statement is not None:
                state = _LineState(self.module, layout.start_lines[statement])
                self.module.body[statement]._codegen(state)
                self.spans.update(state.spans)
                return
        self.spans.update(_node_lines(self.module))


# (name, line of `def`, last line, (line, column) of each decorator's expression)
DefFacts = tuple[str, int, Optional[int], tuple[tuple[int, int], ...]]


class ParseFacts(NamedTuple):
    """What the converter takes from CPython's parse of a text: plain tuples, so that the
    project index (which parses every .ptl file anyway, and is pickled to worker
    processes) can keep them, and the converter spare its own parse of the same text."""

    crc: int  # zlib.crc32 of the text, UTF-8 encoded
    length: int  # of the text, in characters (-1 when unknown)
    firsts: tuple[int, ...]  # codegen.statement_first_lines
    defs: tuple[DefFacts, ...]  # every def, nested ones included, in source order

    def fits(self, text: str) -> bool:
        """Whether these are the facts of ``text`` (its length and CRC are)."""
        return self.length == len(text) and self.crc == text_crc(text)


def text_crc(text: str) -> int:
    # (surrogatepass: any str has a CRC, even one that could not come from a file)
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


def parse_facts(tree: ast.Module, text: Optional[str] = None) -> ParseFacts:
    """The facts of CPython's ``tree`` of ``text`` (which gives the length and CRC)."""
    found: list[Union[ast.FunctionDef, ast.AsyncFunctionDef]] = []
    _ast_defs(tree.body, found)
    defs = tuple(
        (node.name, node.lineno, node.end_lineno, tuple((d.lineno, d.col_offset) for d in node.decorator_list))
        for node in found
    )
    if text is None:
        return ParseFacts(0, -1, statement_first_lines(tree), defs)
    return ParseFacts(text_crc(text), len(text), statement_first_lines(tree), defs)


_DEF = (ast.FunctionDef, ast.AsyncFunctionDef)
# (the statements that may hold statements)
_COMPOUND = frozenset(
    t for t in vars(ast).values()
    if isinstance(t, type) and issubclass(t, ast.stmt)
    and {"body", "handlers", "cases", "orelse", "finalbody"} & set(t._fields)
)


def _ast_defs(body: list[ast.stmt], found: list[Union[ast.FunctionDef, ast.AsyncFunctionDef]]) -> None:
    """Append the function definitions in ``body``, nested ones included, in source
    order, to ``found`` (a def can only be a statement: no need to look into expressions)."""
    for stmt in body:
        kind = type(stmt)
        if kind not in _COMPOUND:
            continue
        if kind in _DEF:
            found.append(stmt)  # type: ignore[arg-type]
        _ast_defs(getattr(stmt, "body", None) or (), found)
        for part in getattr(stmt, "handlers", None) or getattr(stmt, "cases", None) or ():
            _ast_defs(part.body, found)
        _ast_defs(getattr(stmt, "orelse", None) or (), found)
        _ast_defs(getattr(stmt, "finalbody", None) or (), found)


# Literals whose first line, without parentheses, is the line their generation starts on
# (their syntactic position opens before any of their own tokens).
_STARTS_AT_ONCE = (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)


class _Reached(Exception):
    pass


class _UntilState(_LineState):
    """A line-counting generation that stops when it reaches ``target``."""

    def __init__(self, module: cst.Module, line: int, target: cst.CSTNode) -> None:
        super().__init__(module, line)
        self.target = target

    def before_codegen(self, node: cst.CSTNode) -> None:
        if node is self.target:
            raise _Reached()
        super().before_codegen(node)


def _own(node: cst.CSTNode, index: int, owner: dict[int, int]) -> None:
    owner[id(node)] = index
    for child in children(node, trivia=True):
        _own(child, index, owner)


# --------------------------------------------------------------------------------------
# The module transform.


@dataclass
class _Template:
    name: str
    kind: str  # "html" | "plain"
    line: int
    accumulator: str = "out"


# The read-only visitors below are module-level classes: walk.scan reads a visitor
# class's methods once per class, so a class made per call would cost that every time.


class _NameCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: set[str] = set()

    def visit_Name(self, n: cst.Name) -> None:
        self.found.add(n.value)


class _NameUses:
    """Whether a name is the value of some Name node in a function: a name not written as
    a word in the function's source text (when known) is not, without looking at the tree
    (a template is most of its module); otherwise the tree decides, scanned once."""

    def __init__(self, node: cst.CSTNode, text: Optional[str]) -> None:
        self.node = node
        self.text = text
        self.names: Optional[set[str]] = None

    def has(self, name: str) -> bool:
        if self.text is not None and not re.search(r"\b%s\b" % re.escape(name), self.text):
            return False
        if self.names is None:
            self.names = _names_in(self.node)
        return name in self.names


def _names_in(node: cst.CSTNode) -> set[str]:
    collector = _NameCollector()
    scan(node, collector)
    return collector.found


class _NameLister(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def visit_Name(self, n: cst.Name) -> None:
        self.found.append(n.value)


def _name_values(node: cst.CSTNode) -> list[str]:
    """The value of every Name node in ``node``, repeats included."""
    if type(node) is cst.Name:  # most template decorators: no walk needed
        return [node.value]
    lister = _NameLister()
    scan(node, lister)
    return lister.found


def _ptl_bindings(module: cst.Module) -> tuple[dict[str, str], dict[str, str]]:
    """Names bound to the template decorators by imports: (local name -> kind,
    local module alias -> "quixote.ptl"/"quixote")."""
    names: dict[str, str] = {}
    modules: dict[str, str] = {}

    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None:
                mod = cst.helpers.get_full_name_for_node(small.module)
                if isinstance(small.names, cst.ImportStar):
                    continue
                for alias in small.names:
                    real = cst.helpers.get_full_name_for_node(alias.name)
                    local = alias.asname.name.value if alias.asname else real  # type: ignore[union-attr]
                    if mod in _PTL_MODULES and real in _TEMPLATE_DECORATORS:
                        names[local] = _TEMPLATE_DECORATORS[real]
                    elif mod == "quixote" and real == "ptl":
                        modules[local] = "quixote.ptl"
            elif isinstance(small, cst.Import):
                for alias in small.names:
                    real = cst.helpers.get_full_name_for_node(alias.name) or ""
                    if alias.asname:
                        local = alias.asname.name.value  # type: ignore[union-attr]
                        if real in ("quixote.ptl", "quixote"):
                            modules[local] = real
                    elif real.split(".")[0] == "quixote":
                        modules["quixote"] = "quixote"
    return names, modules


class _Converter(cst.CSTTransformer):
    def __init__(
        self,
        module: cst.Module,
        lines: _Lines,
        generation: int,
        prepass: _Prepass,
        review_comment: Optional[Callable[[str], str]] = None,
        first_template_note: str = "",
    ) -> None:
        super().__init__()
        self.review_comment = review_comment
        # A note to put above the first template (the generation, when ambiguous).
        self.first_template_note = first_template_note
        # Notes per FunctionDef being visited (the generation note for the first template).
        self.pending_comments: list[list[str]] = []
        # Review findings whose TODO comment is not placed yet: a template takes those
        # raised on its decorators and body; the rest go above their top-level statement.
        self.uncommented: list[PtlFinding] = []
        self.module = module
        self.lines = lines
        self.generation = generation
        self.prepass = prepass
        self.decorator_names, self.decorator_modules = _ptl_bindings(module)
        # innermost-last: _Template for a template def, None for another def, "class"
        self.scopes: list[Union[_Template, None, str]] = []
        # per-FunctionDef: is it a template (so leave_FunctionDef knows)
        self.fn_stack: list[Optional[_Template]] = []
        # string nesting: "concat" while inside a ConcatenatedString, "expr" inside
        # an f-string's expression
        self.string_ctx: list[str] = []
        self.findings: list[PtlFinding] = []
        self.templates: list[_Template] = []
        self.used_htmltext = False
        self.used_templateio = False
        # The template decorators removed, as written in the source (original nodes).
        self.removed_decorators: list[cst.Decorator] = []
        self.unused_decorators: set[str] = set()  # their imports' local names proven unused

    # -- helpers
    def review(self, line: int, message: str) -> None:
        finding = PtlFinding(line, message, kind="review")
        self.findings.append(finding)
        self.uncommented.append(finding)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if self.uncommented and self.review_comment is not None:
            statement_lines = [self.lines.span(stmt) for stmt in original_node.body]
            body = list(updated_node.body)
            for finding in self.uncommented:
                for i, (start, end) in enumerate(statement_lines):
                    if start <= finding.line <= end:
                        comment = cst.EmptyLine(comment=cst.Comment(self.review_comment(finding.message)))
                        body[i] = body[i].with_changes(leading_lines=[*body[i].leading_lines, comment])
                        break
            updated_node = updated_node.with_changes(body=body)
        if self.templates:
            # Here the source text and the removed decorators are known: the decorator
            # imports they prove unused spare _fix_imports its scan of the whole module
            # (which still decides the others).
            self.unused_decorators = self.unused_decorator_aliases(original_node)
        return updated_node

    def unused_decorator_aliases(self, original: cst.Module) -> set[str]:
        """Local names of the ``quixote.ptl`` decorator imports that no statement of the
        converted module uses, import lines apart, proven from the source text: the
        conversion never writes the name, and every occurrence of it in the text is in a
        top-level import line or in a Name of a removed template decorator.  Others (a
        name also in a string, a comment, real code...) are left to _fix_imports' scan."""
        layout = self.lines.layout
        if layout is None or not self.decorator_names:
            return set()
        text = layout.text
        ends = layout.starts[1:] + [layout.footer_start]
        imports = [(layout.starts[i], ends[i]) for i, stmt in enumerate(original.body) if _is_import_line(stmt)]
        removed = [name for dec in self.removed_decorators for name in _name_values(dec.decorator)]
        unused = set()
        for local in self.decorator_names:
            if local in _CONVERTER_NAMES:
                continue
            # Occurrences counted in disjoint parts of the text never exceed the count in
            # the whole text: equality leaves no room for another Name node `local`.
            known = sum(text.count(local, start, end) for start, end in imports)
            known += sum(name.count(local) for name in removed)
            if text.count(local) == known:
                unused.add(local)
        return unused

    def line(self, node: cst.CSTNode) -> int:
        return self.lines.first(node)

    def decorator_kind(self, dec: cst.Decorator) -> tuple[Optional[str], bool]:
        """(template kind or None, whether Quixote 3.8 itself would recognise it)."""
        expr = dec.decorator
        if isinstance(expr, cst.Name):
            if expr.value in _TEMPLATE_DECORATORS:
                return _TEMPLATE_DECORATORS[expr.value], True
            if expr.value in self.decorator_names:
                return self.decorator_names[expr.value], False
        if isinstance(expr, cst.Attribute) and expr.attr.value in _TEMPLATE_DECORATORS:
            base = cst.helpers.get_full_name_for_node(expr.value) or ""
            head, _, rest = base.partition(".")
            full = self.decorator_modules.get(head, "") + ("." + rest if rest else "")
            if full == "quixote.ptl":
                return _TEMPLATE_DECORATORS[expr.attr.value], False
        return None, False

    def in_template_statement_scope(self) -> Optional[_Template]:
        # Statements belong to the innermost def or class.
        for scope in reversed(self.scopes):
            if scope == "class":
                return None
            return scope if isinstance(scope, _Template) else None
        return None

    def trusted_literal_scope(self) -> bool:
        """Generation 1: inside an [html] template, nested defs excepted (lambdas,
        classes and comprehensions are not scopes for Quixote 3.0's transformer)."""
        if self.generation != 1:
            return False
        for fn in reversed(self.fn_stack):
            return fn is not None and fn.kind == "html"
        return False

    # -- scopes
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        # Errors and findings point at the `def` line, not at the first decorator.
        line = def_line = self.line(node.name)
        kind = self.prepass.bracket_templates.get(def_line)
        for dec in node.decorators:
            dkind, exact = self.decorator_kind(dec)
            if dkind is not None:
                if kind is not None and kind != dkind:
                    raise PtlError(line, f"{node.name.value}: conflicting template kinds {kind} and {dkind}")
                kind = dkind
                if not exact:
                    self.review(
                        self.line(dec),
                        f"{node.name.value}: decorator {self.module.code_for_node(dec.decorator)} "
                        "treated as a template decorator; Quixote 3.8 only recognised a bare "
                        "@ptl_html/@ptl_plain and ran this function as a plain function",
                    )
        if node.asynchronous is not None:
            if kind is not None:
                raise PtlError(line, f"async def template {node.name.value}: Quixote never ran async templates; convert by hand")
            if any(isinstance(s, _Template) for s in self.scopes):
                raise PtlError(line, f"async def {node.name.value} inside a template: Quixote appended its expressions to the enclosing template; convert by hand")
        template = None
        comments: list[str] = []
        if kind is not None:
            if self.first_template_note:
                comments.append(self.first_template_note)
                self.first_template_note = ""
            template = _Template(node.name.value, kind, def_line)
            uses = _NameUses(node, self.lines.def_texts.get(id(node)))
            for candidate in _ACCUMULATOR_NAMES:
                if not uses.has(candidate):
                    template.accumulator = candidate
                    break
            else:
                raise PtlError(line, "no free name for the output accumulator")
            for helper in ("TemplateIO", "htmltext"):
                if uses.has(helper) and _binds_locally(helper, node):
                    raise PtlError(line, f"template {node.name.value} uses the name {helper!r} for something else")
            self.templates.append(template)
        self.pending_comments.append(comments)
        self.scopes.append(template)
        self.fn_stack.append(template)

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        template = self.fn_stack.pop()
        self.scopes.pop()
        comments = self.pending_comments.pop()
        if template is None:
            return updated_node
        start = min([self.line(d) for d in original_node.decorators] + [self.line(original_node)])
        comments += [f.message for f in self.uncommented if f.line >= start]
        self.uncommented = [f for f in self.uncommented if f.line < start]
        if comments and self.review_comment is not None:
            lines = [cst.EmptyLine(comment=cst.Comment(self.review_comment(c))) for c in comments]
            updated_node = updated_node.with_changes(leading_lines=[*updated_node.leading_lines, *lines])
        decorators = [d for d in updated_node.decorators if self.decorator_kind(d)[0] is None]
        if len(original_node.decorators) == len(updated_node.decorators):
            self.removed_decorators.extend(
                old for old, new in zip(original_node.decorators, updated_node.decorators)
                if self.decorator_kind(new)[0] is not None
            )
        body = updated_node.body
        if isinstance(body, cst.SimpleStatementSuite):
            statements: list[cst.BaseStatement] = [
                cst.SimpleStatementLine(body=[s.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)])
                for s in body.body
            ]
            body = cst.IndentedBlock(body=statements, header=body.trailing_whitespace)
        assert isinstance(body, cst.IndentedBlock)
        acc = template.accumulator
        html = template.kind == "html"
        self.used_templateio = True
        start = _parsed_statement(f"{acc} = TemplateIO(html={html})\n")
        first, *rest = list(body.body) or [None]
        new_body: list[cst.BaseStatement] = [start]
        if first is not None:
            # Comments above the first statement stay above the whole body.
            start = start.with_changes(leading_lines=first.leading_lines)
            new_body = [start, first.with_changes(leading_lines=[]), *rest]
        last = new_body[-1]
        if not _ends_with_return(last):
            new_body.append(_parsed_statement(f"return {acc}.getvalue()\n"))
        self.findings.append(
            PtlFinding(template.line, f"{template.kind} template {template.name} converted to an explicit accumulator")
        )
        return updated_node.with_changes(decorators=decorators, body=body.with_changes(body=new_body))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if self.in_template_statement_scope() is not None:
            # Quixote appended a nested class's docstring and expression statements
            # to the template's output through a closure; no plain-Python reading
            # of that is readable, and nobody means it.
            for stmt in node.body.body if isinstance(node.body, cst.IndentedBlock) else [node.body]:
                smalls = stmt.body if isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) else []
                if any(isinstance(s, cst.Expr) for s in smalls):
                    raise PtlError(self.line(stmt), "expression statement in a class body inside a template")
        self.scopes.append("class")

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self.scopes.pop()
        return updated_node

    def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom) -> cst.ImportFrom:
        # The converted templates accumulate Jack's htmltext: html helpers imported in
        # the module, at any depth, must be Jack's too (same names, same behaviour).
        if (
            not updated_node.relative
            and updated_node.module is not None
            and cst.helpers.get_full_name_for_node(updated_node.module) == "quixote.html"
            and not isinstance(updated_node.names, cst.ImportStar)
        ):
            self.findings.append(PtlFinding(self.line(original_node), "quixote.html import now reads from jack_runtime.html"))
            return updated_node.with_changes(module=_parsed_expression(HTML_MODULE))
        return updated_node

    # -- statements
    def leave_Expr(self, original_node: cst.Expr, updated_node: cst.Expr) -> cst.BaseSmallStatement:
        template = self.in_template_statement_scope()
        if template is None:
            return updated_node
        return cst.AugAssign(
            target=cst.Name(template.accumulator),
            operator=cst.AddAssign(),
            value=updated_node.value,
            semicolon=updated_node.semicolon,
        )

    # -- literals
    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        self.string_ctx.append("concat")

    def visit_FormattedStringExpression(self, node: cst.FormattedStringExpression) -> None:
        self.string_ctx.append("expr")

    def leave_FormattedStringExpression(
        self, original_node: cst.FormattedStringExpression, updated_node: cst.FormattedStringExpression
    ) -> cst.FormattedStringExpression:
        self.string_ctx.pop()
        return updated_node

    def inside_concat(self) -> bool:
        return bool(self.string_ctx) and self.string_ctx[-1] == "concat"

    def convert_string(self, original: cst.BaseExpression, updated: cst.BaseExpression) -> cst.BaseExpression:
        if self.trusted_literal_scope():
            new = _trusted_literal(updated, self.module)
        elif self.generation != 1 and "expr" in self.string_ctx:
            return self.nested_fstring(original, updated)
        elif self.generation != 1 and any(_is_html_fstring(p) for p in _string_parts(updated)):
            # Quixote joins implicitly concatenated literals before marking, so every
            # part of a concatenation holding an F-string is markup.
            new = _FormatBuilder(self.module).build(updated)
        else:
            return updated
        self.used_htmltext = True
        return new.with_changes(lpar=updated.lpar, rpar=updated.rpar) if updated.lpar else new

    def nested_fstring(self, original: cst.BaseExpression, updated: cst.BaseExpression) -> cst.BaseExpression:
        """An F-string inside another f-string's ``{...}``: Quixote's tokenizer pass on
        Python < 3.12 never sees it, so it is a plain str there (and escaped when
        formatted); 3.12+ makes it markup.  The escaping reading is kept, spelled ``f``."""
        parts = _string_parts(updated)
        if not any(_is_html_fstring(p) for p in parts):
            return updated
        self.review(
            self.line(original),
            "F-string inside an f-string expression read as a plain str (escaped), as Quixote "
            "on Python < 3.12 did; Quixote on 3.12+ made it markup",
        )
        if isinstance(updated, cst.FormattedString):
            return updated.with_changes(start="f" + updated.start[1:])
        return updated

    def leave_ConcatenatedString(
        self, original_node: cst.ConcatenatedString, updated_node: cst.ConcatenatedString
    ) -> cst.BaseExpression:
        self.string_ctx.pop()
        if self.inside_concat():
            return updated_node
        return self.convert_string(original_node, updated_node)

    def leave_SimpleString(self, original_node: cst.SimpleString, updated_node: cst.SimpleString) -> cst.BaseExpression:
        if self.inside_concat():
            return updated_node
        return self.convert_string(original_node, updated_node)

    def leave_FormattedString(
        self, original_node: cst.FormattedString, updated_node: cst.FormattedString
    ) -> cst.BaseExpression:
        if self.inside_concat():
            return updated_node
        return self.convert_string(original_node, updated_node)


# The same few statements are made for every template: parse each once (nodes are
# immutable, so one tree may appear in several places; the output is only printed).
@lru_cache(maxsize=64)
def _parsed_statement(code: str) -> cst.BaseStatement:
    return cst.parse_statement(code)


@lru_cache(maxsize=8)
def _parsed_expression(code: str) -> cst.BaseExpression:
    return cst.parse_expression(code)


def _binds_locally(name: str, node: cst.FunctionDef) -> bool:
    """Does the template bind ``name`` itself (parameter, assignment, import)?  Then it
    would shadow the module-level html helper the converted code calls."""
    finder = _BindingFinder(name)
    scan(node, finder)
    return finder.found


class _BindingFinder(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.found = False

    def visit_Param(self, p: cst.Param) -> None:
        self.found = self.found or p.name.value == self.name

    def visit_AssignTarget(self, t: cst.AssignTarget) -> None:
        self.found = self.found or self.name in _names_in(t)

    def visit_ImportAlias(self, a: cst.ImportAlias) -> None:
        local = a.asname.name if a.asname else a.name
        self.found = self.found or (isinstance(local, cst.Name) and local.value == self.name)


def _ends_with_return(stmt: cst.BaseStatement) -> bool:
    if isinstance(stmt, cst.SimpleStatementLine):
        return isinstance(stmt.body[-1], (cst.Return, cst.Raise))
    return False


# --------------------------------------------------------------------------------------
# Imports.


def _fix_imports(
    module: cst.Module, need: list[str], drop_decorators: bool, unused: Collection[str] = ()
) -> cst.Module:
    """Drop the now unused ``quixote.ptl`` decorator imports and import the html helpers
    the converted code uses.  ``unused`` holds local names of decorator imports known to
    be unused; for the others a scan of the statements other than import lines decides."""
    still_used: Optional[set[str]] = None  # computed only when a decorator import is found
    have: set[str] = set()
    body: list[cst.BaseStatement] = []
    # Comments above a removed import move to the next statement.
    carried: list[cst.EmptyLine] = []
    for stmt in module.body:
        if carried:
            stmt = stmt.with_changes(leading_lines=[*carried, *stmt.leading_lines])
            carried = []
        if not _is_import_line(stmt):
            body.append(stmt)
            continue
        assert isinstance(stmt, cst.SimpleStatementLine)
        smalls: list[cst.BaseSmallStatement] = []
        for small in stmt.body:
            if isinstance(small, cst.ImportFrom) and small.module is not None and not small.relative:
                mod = cst.helpers.get_full_name_for_node(small.module)
                if mod in _PTL_MODULES and drop_decorators and not isinstance(small.names, cst.ImportStar):
                    kept = []
                    for a in small.names:
                        local = _decorator_alias(a)
                        if local is not None:
                            if local in unused:
                                continue
                            if still_used is None:
                                others = [s for s in module.body if not _is_import_line(s)]
                                still_used = _names_in(module.with_changes(body=others))
                            if local not in still_used:
                                continue
                        kept.append(a)
                    if not kept:
                        continue
                    if len(kept) != len(small.names):
                        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                        small = small.with_changes(names=kept)
                if mod == HTML_MODULE and not isinstance(small.names, cst.ImportStar):
                    for a in small.names:
                        if a.asname is None:
                            have.add(cst.helpers.get_full_name_for_node(a.name) or "")
            smalls.append(small)
        if smalls:
            smalls[-1] = smalls[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
            body.append(stmt.with_changes(body=smalls))
        else:
            carried = list(stmt.leading_lines)
    missing = [n for n in need if n not in have]
    if missing:
        body = _add_html_names(body, missing)
    return module.with_changes(body=body)


def _decorator_alias(alias: cst.ImportAlias) -> Optional[str]:
    """The local name an import of a template decorator binds, else None."""
    real = cst.helpers.get_full_name_for_node(alias.name)
    if real not in _TEMPLATE_DECORATORS:
        return None
    return alias.asname.name.value if alias.asname else real  # type: ignore[union-attr]


def _is_import_line(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and any(
        isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body
    )


def _add_html_names(body: list[cst.BaseStatement], names: list[str]) -> list[cst.BaseStatement]:
    """Import ``names`` from Jack's html module: into an existing top-level
    ``from jack_runtime.html import ...`` when there is one, else as a new line after the
    leading imports (after the docstring and ``__future__`` imports at least)."""
    for i, stmt in enumerate(body):
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            continue
        small = stmt.body[0]
        if (
            isinstance(small, cst.ImportFrom)
            and not small.relative
            and small.module is not None
            and cst.helpers.get_full_name_for_node(small.module) == HTML_MODULE
            and not isinstance(small.names, cst.ImportStar)
        ):
            aliases = list(small.names)
            trailing = aliases[-1].comma
            aliases[-1] = aliases[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            added = [cst.ImportAlias(name=cst.Name(n)) for n in names]
            added = [a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for a in added[:-1]] + [
                added[-1].with_changes(comma=trailing)
            ]
            if small.lpar is None:
                added[-1] = added[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            body = list(body)
            body[i] = stmt.with_changes(body=[small.with_changes(names=[*aliases, *added])])
            return body
    line = _parsed_statement(f"from {HTML_MODULE} import {', '.join(names)}\n")
    at = 0
    seen_import = False
    for i, stmt in enumerate(body):
        if not isinstance(stmt, cst.SimpleStatementLine):
            break
        small = stmt.body[0]
        if i == 0 and isinstance(small, cst.Expr) and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString)):
            at = 1
            continue
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            at = i + 1
            seen_import = True
            continue
        break
    if not seen_import and at < len(body) and not body[at].leading_lines:
        # Keep the new import apart from the code that follows it.
        body = [*body[:at], body[at].with_changes(leading_lines=[cst.EmptyLine()]), *body[at + 1 :]]
    return [*body[:at], line, *body[at:]]


# --------------------------------------------------------------------------------------
# Generation detection.


# Necessary conditions on a module's text for each kind of evidence (see the visitor).
# An HTML f-string's prefix is exactly `F`, written right before its quote.
_MAYBE_HTML_FSTRING = re.compile(r"""F['"]""")
# A decorator's name ends with a Name node's text, as written in the source.
_MAYBE_TEMPLATE_DECORATOR = re.compile("|".join(_TEMPLATE_DECORATORS))
# A literal's value holds a markup character only if its source text does or has an
# escape (`\x3c`, `\N{...}`, ...).
_MAYBE_MARKUP = re.compile(r"[<>&\\]")


class _Decided(Exception):
    """Raised by :class:`_GenerationScan` once the evidence found decides the outcome."""


class _GenerationScan(cst.CSTVisitor):
    """Finds the evidence _detect_generation weighs: the first HTML f-string, the first
    template decorator and the first markup literal inside an [html] template, in source
    order.  ``wanted`` lists the kinds still worth looking for, most decisive first: a
    kind found makes the kinds after it irrelevant, and finding the first kind of the
    list ends the scan (raising :class:`_Decided`).  Lines are computed afterwards, only
    for the evidence that wins."""

    def __init__(
        self, lines: _Lines, bracket: dict[int, str], wanted: list[str], found: dict[str, tuple[cst.CSTNode, int]]
    ) -> None:
        super().__init__()
        self.lines = lines
        self.bracket = bracket
        self.wanted = wanted
        # Whether [html] templates must be told apart (for markup literals): decided once,
        # so the stack stays balanced whatever is found later.
        self.track_templates = "markup" in wanted
        self.html_fn: list[bool] = []
        self.statement = 0  # index of the top-level statement being scanned
        self.found = found  # kind -> (node, index of its top-level statement)

    def _found(self, kind: str, node: cst.CSTNode) -> None:
        self.found[kind] = (node, self.statement)
        at = self.wanted.index(kind)
        del self.wanted[at:]
        if at == 0:
            raise _Decided()

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        # Decorators only belong to compound statements.
        return "fstring" in self.wanted or "markup" in self.wanted

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> bool:
        return "fstring" in self.wanted or "markup" in self.wanted

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        if "fstring" in self.wanted and _is_html_fstring(node):
            self._found("fstring", node)

    def visit_Decorator(self, node: cst.Decorator) -> None:
        if "decorator" in self.wanted:
            name = cst.helpers.get_full_name_for_node(node.decorator) or ""
            if name.rpartition(".")[2] in _TEMPLATE_DECORATORS:
                self._found("decorator", node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.track_templates:
            self.html_fn.append(self.bracket.get(self.lines.first(node.name)) == "html")

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.track_templates:
            self.html_fn.pop()

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if self.html_fn and self.html_fn[-1] and "markup" in self.wanted:
            value = literal_value(node)
            if isinstance(value, str) and any(c in value for c in _MARKUP_CHARS):
                self._found("markup", node)


def _detect_generation(module: cst.Module, prepass: _Prepass, lines: _Lines) -> tuple[int, int, str]:
    """(generation, line of the evidence, explanation).  ``module`` is the parse of
    ``prepass.text``."""
    bracket = prepass.bracket_templates
    if prepass.hstring_lines:
        if not bracket:
            return 2, prepass.hstring_lines[0], "h'...' literals (Quixote 3.1-3.6): only h- and F-strings are markup"
        return 2, prepass.hstring_lines[0], "[html] templates with h'...' literals (Quixote 3.1-3.6): only h- and F-strings are markup"
    text = prepass.text
    possible = {
        "fstring": _MAYBE_HTML_FSTRING.search(text) is not None,
        "decorator": _MAYBE_TEMPLATE_DECORATOR.search(text) is not None,
        # Markup literals only count inside [html] templates.
        "markup": bool(bracket) and _MAYBE_MARKUP.search(text) is not None,
    }
    # Which evidence decides, most decisive first (see the returns below).
    order = ("fstring", "decorator", "markup") if bracket else ("decorator", "fstring")
    wanted = [kind for kind in order if possible[kind]]
    # Without [html] templates a template decorator decides wherever it is, and a scan
    # for decorators alone skips every simple statement: one goes first.
    passes = [["decorator"], ["fstring"]] if wanted == ["decorator", "fstring"] else [wanted]
    found: dict[str, tuple[cst.CSTNode, int]] = {}
    for kinds in passes:
        if found or not kinds:
            break
        visitor = _GenerationScan(lines, bracket, kinds, found)
        try:
            for visitor.statement, stmt in enumerate(module.body):
                scan(stmt, visitor)
        except _Decided:
            pass

    def line(kind: str) -> int:
        evidence = found.get(kind)
        return lines.first(*evidence) if evidence is not None else 0

    if not bracket:
        evidence_line = line("decorator") or line("fstring")
        if not evidence_line:
            return 3, 1, "no templates and no HTML strings: a plain Python module, renamed only"
        return 3, evidence_line, "@ptl_html/@ptl_plain and F-strings (Quixote 3.2+)"
    evidence_line = line("fstring") or line("decorator")
    if evidence_line:
        return 2, evidence_line, "[html] templates with F-strings or decorators (Quixote 3.2-3.6): only F-strings are markup"
    markup_line = line("markup")
    if markup_line:
        return 1, markup_line, (
            "[html] templates whose plain literals hold markup and no h-strings (Quixote <= 3.0): "
            "every literal in an [html] template is markup"
        )
    return 2, min(bracket), (
        "ambiguous: [html] templates with neither h-strings nor markup in literals; read the safer "
        "way (Quixote 3.1-3.6, plain literals escaped). Force generation 1 if written for Quixote <= 3.0"
    )


def _foreign_binding(module: cst.Module, lines: _Lines, name: str) -> int:
    """Line of a top-level binding of ``name`` other than an import from an html module
    (``quixote.html`` or Jack's), or 0."""
    for stmt in module.body:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) and stmt.name.value == name:
            return lines.first(stmt)
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                if any(name in _names_in(t) for t in targets):
                    return lines.first(stmt)
            elif isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
                source = cst.helpers.get_full_name_for_node(small.module) if isinstance(small, cst.ImportFrom) and small.module else ""
                for alias in small.names:
                    local = alias.asname.name if alias.asname else alias.name
                    if isinstance(local, cst.Name) and local.value == name:
                        real = cst.helpers.get_full_name_for_node(alias.name)
                        if not (source in ("quixote.html", HTML_MODULE) and real == name):
                            return lines.first(stmt)
    return 0


def _syntax_error(text: str) -> PtlError:
    # CPython's parser says where the error is (libcst's line is sometimes one off).
    try:
        compile(text, "<ptl>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        cst.parse_module(text)
    except SyntaxError as err:
        line, column, message = err.lineno or 1, (err.offset or 1) - 1, f"syntax error: {err.msg}"
    except cst.ParserSyntaxError as err:
        found = re.search(r"error at (\d+):(\d+)", err.message)
        line, column, message = (int(found.group(1)) if found else err.raw_line), 0, f"syntax error: {err.message}"
    else:  # pragma: no cover - only called after a parse failed
        line, column, message = 1, 0, "syntax error"
    py2 = python2_reason(text, line)
    if py2 is not None:
        return PtlError(
            py2[0],
            f"Python 2 source ({py2[1]} on line {py2[0]}): convert it to Python 3 first "
            "(e.g. with python-modernize or 2to3), then run jackmigrate",
        )
    return PtlError(line, message, column)


# --------------------------------------------------------------------------------------


def convert_ptl(
    source: str,
    path: str = "<ptl>",
    target_python: tuple[int, int] = (3, 10),
    generation: Optional[int] = None,
    review_comment: Optional[Callable[[str], str]] = None,
    validate: bool = True,
    parsed: Optional[ParseFacts] = None,
) -> PtlResult:
    """Convert the text of a ``.ptl`` module to plain Python using Jack's html helpers.

    ``generation`` forces the syntax generation (1, 2 or 3); by default it is detected
    and the decision is the first finding; a ``# jackmigrate: ptl-generation=N`` line in
    the file forces it too.  ``review_comment``, when given, makes the comment text put
    above a template (or top-level statement) for each finding a reviewer should check.
    ``target_python`` is the version the output must run on; what the converter emits
    needs nothing newer than Python 3.8 (``--target-python 3.14`` t-strings are not
    emitted yet).  ``validate=False`` skips compiling the result, for a caller that
    compiles what it makes of it anyway (the engine).  ``parsed`` is what
    :func:`parse_facts` gives for CPython's parse of the text (the project index has it):
    used instead of parsing again when its length and CRC are those of the text to
    convert (after the token pre-pass), ignored otherwise.  Raises :class:`PtlError` when
    the file cannot be converted.
    """
    directive = GENERATION_DIRECTIVE.search(source)
    if generation is None and directive:
        generation = int(directive.group(1))
    if generation not in (None, 1, 2, 3):
        raise ValueError(f"generation must be 1, 2 or 3, not {generation!r}")
    # Without a possible [html]/[plain] annotation or h-string there is nothing for the
    # token pass to do: skip tokenizing (what it would report, a file that does not
    # tokenize, does not compile either, and is reported below exactly as before).
    prepass = _prepass(source) if _PREPASS_NEEDED.search(source) else _Prepass(source, {}, [])
    if parsed is not None and not parsed.fits(prepass.text):
        parsed = None  # facts of another text
    try:
        # CPython's parser first: libcst accepts some Python 2 forms (`except E, e:`).
        # Facts of this very text prove that it parsed already.
        if parsed is None:
            parsed = parse_facts(compile(prepass.text, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True))
        module = cst.parse_module(prepass.text)
    except (SyntaxError, cst.ParserSyntaxError):
        prepass = _prepass(source)  # raises the tokenizer's error first, as it always did
        raise _syntax_error(prepass.text) from None
    lines = _Lines(module, prepass.text, None, parsed)
    detected, line, why = _detect_generation(module, prepass, lines)
    findings: list[PtlFinding] = []
    if generation is None:
        generation = detected
        findings.append(PtlFinding(line or 1, f"PTL generation {generation}: {why}", kind="review" if "ambiguous" in why else "converted"))
    else:
        if generation == 3 and prepass.bracket_templates:
            generation = 2  # [html] declarations with only F/h-strings as markup
        findings.append(PtlFinding(line or 1, f"PTL generation {generation} (set explicitly)"))
    note = findings[0].message if findings[0].kind == "review" else ""
    converter = _Converter(module, lines, generation, prepass, review_comment, note)
    try:
        # One walk rebuilding only the nodes that change (libcst's visit rebuilds all).
        new = BatchWalker([converter]).walk(module)
    except PtlError as exc:
        if exc.line == 0:
            raise PtlError(1, exc.reason) from None
        raise
    findings.extend(converter.findings)
    need = []
    if converter.used_templateio:
        need.append("TemplateIO")
    if converter.used_htmltext:
        need.append("htmltext")
    for name in need:
        clash = _foreign_binding(module, lines, name)
        if clash:
            raise PtlError(clash, f"the module binds {name!r} to something else than the html helper the converted templates need")
    new = _fix_imports(new, need, drop_decorators=bool(converter.templates), unused=converter.unused_decorators)
    code, layout = code_and_layout(module, lines.layout, new)
    if validate:
        try:
            compile(code, path, "exec", dont_inherit=True)
        except SyntaxError as exc:  # a converter bug must not damage the file
            raise PtlError(exc.lineno or 1, f"converted code does not compile ({exc.msg}); please report") from None
    return PtlResult(
        code=code,
        generation=generation,
        findings=findings,
        templates=[(t.name, t.kind, t.line) for t in converter.templates],
        tree=new,
        layout=layout,
    )
