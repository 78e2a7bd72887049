"""jackmigrate.ptl: the cheaper generation detection (early returns, a scan that stops
at the deciding evidence, text conditions) and the decorator imports dropped without a
scan give exactly what the straightforward code gave.  That code is kept below, verbatim,
as the reference; every PTL text at hand and hand-written edge cases go through both."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Optional

import libcst as cst
import pytest
import quixote
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jackmigrate import ptl
from jackmigrate.literals import literal_value
from jackmigrate.ptl import (
    _MARKUP_CHARS,
    _PTL_MODULES,
    _TEMPLATE_DECORATORS,
    HTML_MODULE,
    _is_html_fstring,
    _is_import_line,
    _Lines,
    _names_in,
    _Prepass,
)
from jackmigrate.walk import BatchWalker, scan

ROOT = Path(__file__).resolve().parents[1]
QUIXOTE = Path(quixote.__file__).resolve().parent


# --------------------------------------------------------------------------------------
# The reference: jackmigrate/ptl.py's code before the change, verbatim but for the names.


def ref_fix_imports(module: cst.Module, need: list[str], drop_decorators: bool) -> cst.Module:
    """Drop the now unused ``quixote.ptl`` decorator imports and import the html helpers
    the converted code uses."""
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
                    if still_used is None:
                        still_used = _names_in(module.with_changes(body=[s for s in module.body if not _is_import_line(s)]))
                    kept = [a for a in small.names if not ref_unused_decorator_alias(a, still_used)]
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
        body = ref_add_html_names(body, missing)
    return module.with_changes(body=body)


def ref_add_html_names(body: list[cst.BaseStatement], names: list[str]) -> list[cst.BaseStatement]:
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
    line = cst.parse_statement(f"from {HTML_MODULE} import {', '.join(names)}\n")
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


def ref_unused_decorator_alias(alias: cst.ImportAlias, still_used: set[str]) -> bool:
    real = cst.helpers.get_full_name_for_node(alias.name)
    local = alias.asname.name.value if alias.asname else real  # type: ignore[union-attr]
    return real in _TEMPLATE_DECORATORS and local not in still_used


class RefGenerationScan(cst.CSTVisitor):
    """The evidence _detect_generation weighs: first lines of an HTML f-string, of a
    template decorator, and of a markup literal inside an [html] template."""

    def __init__(self, lines: _Lines, bracket: dict[int, str]) -> None:
        super().__init__()
        self.lines = lines
        self.bracket = bracket
        self.html_fn: list[bool] = []
        self.statement = 0  # index of the top-level statement being scanned
        self.html_fstring_line = 0
        self.decorator_line = 0
        self.markup_line = 0

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        if _is_html_fstring(node) and not self.html_fstring_line:
            self.html_fstring_line = self.lines.first(node, self.statement)

    def visit_Decorator(self, node: cst.Decorator) -> None:
        name = cst.helpers.get_full_name_for_node(node.decorator) or ""
        if name.rpartition(".")[2] in _TEMPLATE_DECORATORS and not self.decorator_line:
            self.decorator_line = self.lines.first(node, self.statement)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.html_fn.append(bool(self.bracket) and self.bracket.get(self.lines.first(node.name)) == "html")

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.html_fn.pop()

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if self.html_fn and self.html_fn[-1] and not self.markup_line:
            value = literal_value(node)
            if isinstance(value, str) and any(c in value for c in _MARKUP_CHARS):
                self.markup_line = self.lines.first(node, self.statement)


def ref_detect_generation(module: cst.Module, prepass: _Prepass, lines: _Lines) -> tuple[int, int, str]:
    """(generation, line of the evidence, explanation)."""
    bracket = prepass.bracket_templates
    found = RefGenerationScan(lines, bracket)
    for found.statement, stmt in enumerate(module.body):
        scan(stmt, found)
    html_fstring_line, decorator_line, markup_line = found.html_fstring_line, found.decorator_line, found.markup_line
    if not bracket:
        if prepass.hstring_lines:
            return 2, prepass.hstring_lines[0], "h'...' literals (Quixote 3.1-3.6): only h- and F-strings are markup"
        if not (decorator_line or html_fstring_line):
            return 3, 1, "no templates and no HTML strings: a plain Python module, renamed only"
        return 3, decorator_line or html_fstring_line, "@ptl_html/@ptl_plain and F-strings (Quixote 3.2+)"
    if prepass.hstring_lines:
        return 2, prepass.hstring_lines[0], "[html] templates with h'...' literals (Quixote 3.1-3.6): only h- and F-strings are markup"
    if html_fstring_line or decorator_line:
        return 2, html_fstring_line or decorator_line, "[html] templates with F-strings or decorators (Quixote 3.2-3.6): only F-strings are markup"
    if markup_line:
        return 1, markup_line, (
            "[html] templates whose plain literals hold markup and no h-strings (Quixote <= 3.0): "
            "every literal in an [html] template is markup"
        )
    return 2, min(bracket), (
        "ambiguous: [html] templates with neither h-strings nor markup in literals; read the safer "
        "way (Quixote 3.1-3.6, plain literals escaped). Force generation 1 if written for Quixote <= 3.0"
    )



# --------------------------------------------------------------------------------------
# The texts.

EDGE_CASES = {
    "bracket_decorator_then_fstring": """\
from quixote.ptl import ptl_html

def a [html] (x):
    '<p>'

@ptl_html
def b(x):
    'plain'

def c(x):
    return F'<i>{x}</i>'
""",
    "bracket_fstring_then_decorator": """\
from quixote.ptl import ptl_html

def c(x):
    return F'<i>{x}</i>'

def a [html] (x):
    '<p>'

@ptl_html
def b(x):
    'plain'
""",
    "bracket_decorator_no_fstring": """\
from quixote.ptl import ptl_plain

def a [html] (x):
    '<p>'

class K:
    @ptl_plain
    def b(self):
        'text'
""",
    "bracket_markup_then_fstring": """\
def a [html] (x):
    '<p>'
    x

def b [plain] (x):
    y = F'<b>{x}</b>'
    y
""",
    "bracket_markup_only": """\
def a [plain] (x):
    'a & b'

def b [html] (x):
    'text'
    '<br/>'
""",
    "bracket_escaped_markup": """\
def a [html] (x):
    'plain'
    '\\x3cb\\x3e'
""",
    "bracket_no_markup": """\
def a [html] (x):
    'plain'
    x
""",
    "bracket_markup_in_nested_plain_def": """\
def a [html] (x):
    def inner():
        return '<b>'
    inner()
""",
    "bracket_markup_in_nested_html_in_plain_def": """\
def outer():
    def inner [html] (x):
        'x'
        if x:
            '<b>'
    return inner
""",
    "bracket_markup_in_class_in_template": """\
def a [html] (x):
    class K:
        y = '<b>'
    'z'
""",
    "bracket_markup_in_fstring_expression": """\
def a [html] (x):
    f'{"<b>"}{x}'
""",
    "bracket_bytes_markup": """\
def a [html] (x):
    b'<b>'
    'text'
""",
    "hstring_no_bracket": """\
from quixote.ptl import ptl_html

@ptl_html
def a(x):
    h'<b>%s</b>' % x
""",
    "hstring_with_bracket": """\
def a [html] (x):
    '<p>'
    h'<b>' + x
""",
    "rF_string_is_not_html": """\
def a(x):
    return rF'<b>{x}</b>' + Rf'{x}' + fR'{x}' + f'<{x}>'
""",
    "F_inside_f_expression": """\
from quixote.ptl import ptl_html

X = f'{F"<b>"}'

@ptl_html
def a(x):
    F'<i>{x}</i>'
""",
    "fstring_before_decorator": """\
from quixote.ptl import ptl_html

TITLE = F'<h1>{1}</h1>'

@ptl_html
def a(x):
    'text'
""",
    "fstring_only": """\
def a(x):
    return F'<i>{x}</i>'
""",
    "decorator_name_in_a_string_only": """\
NOTE = "ptl_html and ptl_plain are gone"

def a(x):
    return F'<i>{x}</i>'
""",
    "plain_module": """\
def a(x):
    return '<b>' + x
""",
    "attribute_decorator": """\
import quixote.ptl

@quixote.ptl.ptl_html
def a(x):
    F'<i>{x}</i>'
""",
    "module_alias_decorator": """\
from quixote import ptl

@ptl.ptl_plain
def a(x):
    'text'
    x
""",
    "call_decorator": """\
from quixote import ptl

@ptl().ptl_html
def a(x):
    '<b>'
""",
    "aliased_import": """\
from quixote.ptl import ptl_html as page

@page
def a(x):
    F'<i>{x}</i>'
""",
    "aliased_import_used_elsewhere": """\
from quixote.ptl import ptl_html as page

@page
def a(x):
    F'<i>{x}</i>'

REGISTRY = [page]
""",
    "plain_use_elsewhere": """\
from quixote.ptl import ptl_html

@ptl_html
def a(x):
    F'<i>{x}</i>'

def b(f):
    return ptl_html(f)
""",
    "name_in_docstring_only": '''\
"""Templates: each one is a @ptl_html function."""
from quixote.ptl import ptl_html

@ptl_html
def a(x):
    F'<i>{x}</i>'
''',
    "name_in_comment": """\
from quixote.ptl import ptl_html

# ptl_html marks a template
@ptl_html
def a(x):
    F'<i>{x}</i>'
""",
    "alias_named_html": """\
from quixote.ptl import ptl_html as html

@html
def a(x):
    F'<i>{x}</i>'
""",
    "alias_named_format": """\
from quixote.ptl import ptl_html as format

@format
def a(x):
    F'<i>{x}</i>'
""",
    "use_in_a_decorator_kept": """\
from quixote.ptl import ptl_html

@ptl_html
@register(ptl_html)
def a(x):
    F'<i>{x}</i>'
""",
    "alias_named_out": """\
from quixote.ptl import ptl_plain as out

@out
def a(x):
    'text'
""",
    "both_decorators_one_used_elsewhere": """\
from quixote.ptl import ptl_html, ptl_plain

@ptl_html
def a(x):
    F'<i>{x}</i>'

KINDS = {'plain': ptl_plain}
""",
    "both_decorators_parenthesized": """\
from quixote.ptl import (
    ptl_plain,
    ptl_html,
)

@ptl_html
def a(x):
    F'<i>{x}</i>'
""",
    "semicolon_import_line": """\
import os; from quixote.ptl import ptl_html

@ptl_html
def a(x):
    F'<i>{x}</i>'
""",
    "import_line_with_a_use": """\
from quixote.ptl import ptl_html; KEEP = ptl_html

@ptl_html
def a(x):
    F'<i>{x}</i>'
""",
    "comments_above_removed_imports": """\
# the templates
from quixote.ptl import ptl_html
# the helpers
from quixote.ptl import ptl_plain
from quixote.html import htmltext

@ptl_html
def a(x):
    F'<i>{x}</i>'
""",
    "removed_import_last": """\
@ptl_html
def a(x):
    F'<i>{x}</i>'

# at the end
from quixote.ptl import ptl_html
""",
    "import_twice": """\
from quixote.ptl import ptl_html
from quixote.ptl import ptl_html

@ptl_html
def a(x):
    '<b>'
""",
    "import_inside_function": """\
from quixote.ptl import ptl_plain

def outer():
    from quixote.ptl import ptl_html

    @ptl_html
    def inner(x):
        F'<i>{x}</i>'
    return inner
""",
    "class_decorated": """\
from quixote.ptl import ptl_html

@ptl_html
class K:
    pass

@ptl_html
def a(x):
    F'<i>{x}</i>'
""",
    "matmul_at_line_start": """\
from quixote.ptl import ptl_html

@ptl_html
def a(x):
    F'<i>{x}</i>'

m = (a
@ptl_html)
""",
    "fstring_field_named_like_the_decorator": """\
from quixote.ptl import ptl_html

@ptl_html
def a(ptl_html):
    F'<i>{ptl_html}</i>'
""",
    "multiline_decorator": """\
from quixote.ptl import ptl_html

@(
    ptl_html  # the decorator
)
def a(x):
    F'<i>{x}</i>'
""",
    "decorator_on_nested_def_in_bracket": """\
from quixote.ptl import ptl_html

def a [html] (x):
    '<p>'
    @ptl_html
    def b():
        'c'
    b()
""",
    "fullwidth_name": """\
from quixote.ptl import ptl_html

@\uff50tl_html
def a(x):
    '<b>'
""",
    "no_trailing_newline": "from quixote.ptl import ptl_html\n\n@ptl_html\ndef a(x):\n    F'<i>{x}</i>'",
    "directive": """\
# jackmigrate: ptl-generation=1
from quixote.ptl import ptl_html

def a [html] (x):
    '<p>'
""",
    "async_template": """\
from quixote.ptl import ptl_html

@ptl_html
async def a(x):
    '<p>'
""",
    "review_comment_at_top_level": """\
from quixote.ptl import ptl_html
X = f'{F"<b>"}'

@ptl_html
def a(x):
    F'<i>{x}</i>'
""",
    "one_line_bodies": """\
from quixote.ptl import ptl_html
@ptl_html
def a(x): F'<i>{x}</i>'; x
""",
}


def _ptl_files() -> dict[str, str]:
    paths = sorted((ROOT / "tests" / "ptl_corpus").rglob("*.ptl"))
    paths += sorted((ROOT / "fixtures").rglob("*.ptl"))
    paths += sorted(QUIXOTE.rglob("*.ptl"))
    texts = {str(p.relative_to(p.parents[2])): p.read_text(encoding="utf-8") for p in paths}
    # The reference parsers are Python, but the PTL in their docstrings and tests gives
    # more texts: every string literal there holding a def.
    for p in sorted((ROOT / "tests" / "ptl_reference").glob("*.py")):
        tree = ast.parse(p.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "def " in node.value:
                texts[f"{p.name}:{node.lineno}"] = node.value
    return texts


TEXTS = {**_ptl_files(), **{f"edge:{k}": v for k, v in EDGE_CASES.items()}}


# --------------------------------------------------------------------------------------
# Running both.


def _parsed(text: str) -> Optional[tuple[_Prepass, cst.Module, ast.Module]]:
    """What convert_ptl has when it detects the generation, or None (not PTL it takes)."""
    try:
        prepass = ptl._prepass(text)
        tree = compile(prepass.text, "<ptl>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        return prepass, cst.parse_module(prepass.text), tree
    except (ptl.PtlError, SyntaxError, cst.ParserSyntaxError):
        return None


def _outcome(text: str, **kw) -> tuple:
    try:
        r = ptl.convert_ptl(text, "page.ptl", **kw)
    except ptl.PtlError as exc:
        return ("error", exc.line, exc.column, exc.reason)
    assert r.tree is not None and r.tree.code == r.code
    return (r.code, r.generation, r.findings, r.templates, r.layout)


def _reference_outcome(text: str, monkeypatch: pytest.MonkeyPatch, **kw) -> tuple:
    with monkeypatch.context() as m:
        m.setattr(ptl, "_detect_generation", ref_detect_generation)
        m.setattr(ptl, "_fix_imports", lambda module, need, drop_decorators, unused=(): ref_fix_imports(module, need, drop_decorators))
        m.setattr(ptl._Converter, "unused_decorator_aliases", lambda self, original: set())
        return _outcome(text, **kw)


def _review(message: str) -> str:
    return "# TODO(review): " + message


def _check_detection(text: str) -> None:
    parsed = _parsed(text)
    if parsed is None:
        return
    prepass, module, tree = parsed
    # Separate line tables: neither run may profit from what the other computed.
    new = ptl._detect_generation(module, prepass, _Lines(module, prepass.text, tree))
    old = ref_detect_generation(module, prepass, _Lines(module, prepass.text, tree))
    assert new == old


def _check_conversion(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for kw in ({}, {"review_comment": _review}, {"generation": 1}, {"generation": 2}, {"generation": 3}):
        assert _outcome(text, **kw) == _reference_outcome(text, monkeypatch, **kw), kw


def _proven_unused(text: str, monkeypatch: pytest.MonkeyPatch) -> Optional[tuple[set[str], set[str]]]:
    """(names the converter proves unused, names the reference scan finds used) in the
    converted module as the walk leaves it, or None when the walk does not get there."""
    parsed = _parsed(text)
    if parsed is None:
        return None
    prepass, module, tree = parsed
    lines = _Lines(module, prepass.text, tree)
    generation = ref_detect_generation(module, prepass, lines)[0]
    proven: list[set[str]] = []
    real = ptl._Converter.unused_decorator_aliases

    def capture(self, original):
        proven.append(real(self, original))
        return set()  # the walk's output as the reference had it

    converter = ptl._Converter(module, lines, generation, prepass)
    with monkeypatch.context() as m:
        m.setattr(ptl._Converter, "unused_decorator_aliases", capture)
        try:
            new = BatchWalker([converter]).walk(module)
        except ptl.PtlError:
            return None
    if not converter.templates:
        assert not proven
        return set(), set()
    others = new.with_changes(body=[s for s in new.body if not _is_import_line(s)])
    return proven[0], _names_in(others)


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_detection_matches_the_reference(name):
    _check_detection(TEXTS[name])


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_conversion_matches_the_reference(name, monkeypatch):
    _check_conversion(TEXTS[name], monkeypatch)


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_decorator_imports_proven_unused_are_unused(name, monkeypatch):
    found = _proven_unused(TEXTS[name], monkeypatch)
    if found is not None:
        proven, used = found
        assert not proven & used


# --------------------------------------------------------------------------------------
# The fast paths are taken where they should be (else the comparisons above prove little).


def _statements_scanned(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    prepass, module, tree = _parsed(text)
    scanned = []
    with monkeypatch.context() as m:
        m.setattr(ptl, "scan", lambda node, visitor: scanned.append(node) or scan(node, visitor))
        ptl._detect_generation(module, prepass, _Lines(module, prepass.text, tree))
    return len(scanned), len(module.body)


def _module_scans(text: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many times converting ``text`` collects the names of a whole module."""
    calls = []

    def names_in(node):
        if isinstance(node, cst.Module):
            calls.append(node)
        return _names_in(node)

    with monkeypatch.context() as m:
        m.setattr(ptl, "_names_in", names_in)
        ptl.convert_ptl(text)
    return len(calls)


def test_detection_stops_at_the_deciding_statement(monkeypatch):
    # Without [html] templates the first template decorator decides.
    assert _statements_scanned(EDGE_CASES["fstring_before_decorator"], monkeypatch) == (3, 3)
    # With them an F-string does, and a decorator only if no F-string follows.
    assert _statements_scanned(EDGE_CASES["bracket_fstring_then_decorator"], monkeypatch) == (2, 4)
    assert _statements_scanned(EDGE_CASES["bracket_decorator_then_fstring"], monkeypatch) == (4, 4)
    blog = (ROOT / "fixtures/blog/blog/ui.ptl").read_text()
    scanned, total = _statements_scanned(blog, monkeypatch)
    assert scanned < total


def test_detection_skips_the_scan_when_the_text_decides(monkeypatch):
    for name in ("plain_module", "hstring_no_bracket", "hstring_with_bracket", "bracket_no_markup"):
        assert _statements_scanned(EDGE_CASES[name], monkeypatch)[0] == 0, name


def test_decorator_imports_are_dropped_without_a_scan(monkeypatch):
    for name in ("aliased_import", "attribute_decorator", "call_decorator", "comments_above_removed_imports",
                 "semicolon_import_line", "import_twice"):
        assert _module_scans(EDGE_CASES[name], monkeypatch) == 0, name
    for path in ("fixtures/blog/blog/ui.ptl", "fixtures/blog/blog/root.ptl"):
        assert _module_scans((ROOT / path).read_text(), monkeypatch) == 0, path
    # Where the text does not prove it, or where statements cannot be told apart in it
    # (no layout: no trailing newline; a decorator's name below its `@`), the scan decides.
    for name in ("plain_use_elsewhere", "name_in_docstring_only", "alias_named_html", "class_decorated",
                 "matmul_at_line_start", "both_decorators_one_used_elsewhere", "no_trailing_newline",
                 "multiline_decorator", "name_in_comment", "use_in_a_decorator_kept"):
        assert _module_scans(EDGE_CASES[name], monkeypatch) == 1, name


# --------------------------------------------------------------------------------------
# Generated modules: pieces in any order.

PIECES = [
    "from quixote.ptl import ptl_html\n",
    "from quixote.ptl import ptl_html as page\n",
    "from quixote.ptl import ptl_plain, ptl_html\n",
    "import quixote.ptl\n",
    "from quixote import ptl\n",
    "from quixote.html import htmltext\n",
    "def t1 [html] (x):\n    '<p>'\n    x\n",
    "def t2 [html] (x):\n    'text'\n",
    "def t3 [plain] (x):\n    'a & b'\n",
    "@ptl_html\ndef t4(x):\n    F'<b>{x}</b>'\n",
    "@page\ndef t5(x):\n    '<i>'\n",
    "@quixote.ptl.ptl_html\ndef t6(x):\n    x\n",
    "@ptl.ptl_plain\ndef t7(x):\n    'p'\n",
    "@ptl_plain\ndef t8(x):\n    h'<u>' + x\n",
    "def f9(x):\n    return F'<s>{x}</s>'\n",
    "def f10(x):\n    return '<em>' + x\n",
    "X11 = F'<h1>{1}</h1>'\n",
    "X12 = ptl_html\n",
    "X13 = page\n",
    '"""ptl_html templates"""\n',
    "# ptl_html\n",
    "class K14:\n    @ptl_html\n    def m(self):\n        '<td>'\n",
    "def t15 [html] (x):\n    def inner():\n        return '<b>'\n    inner()\n",
    "def f16():\n    def t16 [html] (x):\n        '<b>'\n    return t16\n",
    "X17 = f'{F\"<b>\"}'\n",
    "@ptl_html\nclass K18:\n    pass\n",
    "def t19 [html] (x):\n    '\\x26amp;'\n",
]


@settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(st.sampled_from(PIECES), min_size=1, max_size=7))
def test_generated_modules_match_the_reference(pieces, monkeypatch):
    text = "\n".join(pieces)
    _check_detection(text)
    _check_conversion(text, monkeypatch)
    found = _proven_unused(text, monkeypatch)
    if found is not None:
        assert not found[0] & found[1]
