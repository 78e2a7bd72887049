"""jackmigrate.codegen: the cheaper code generation gives exactly libcst's code."""

import ast
import random
from pathlib import Path

import libcst as cst
import pytest
import quixote

from jackmigrate.codegen import code_after, code_and_layout, code_of, layout_of

ROOT = Path(__file__).resolve().parent.parent
STDLIB = Path(cst.__file__).resolve().parents[1]  # site-packages: plenty of real code


def _sources():
    files = sorted(ROOT.glob("jackmigrate/**/*.py")) + sorted(ROOT.glob("fixtures/**/*.py"))
    files += sorted(Path(quixote.__file__).parent.rglob("*.py"))
    rng = random.Random(7)
    others = sorted(STDLIB.glob("*/*.py"))
    files += rng.sample(others, min(30, len(others)))
    return files


SOURCES = _sources()


def _python3(text):
    try:
        compile(text, "<test>", "exec", ast.PyCF_ONLY_AST)
    except SyntaxError:
        return False  # e.g. the Python 2 fixture: only libcst reads it
    return True


def _derived(old, layout, new):
    """code_and_layout gives libcst's code, and a layout equal to the one parsed from it."""
    code, derived = code_and_layout(old, layout, new)
    assert code == new.code
    if derived is not None:
        assert derived == layout_of(new, code)
    return derived


def _variants(text):
    yield "lf", text
    yield "crlf", text.replace("\n", "\r\n")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_layout_and_splice_match_libcst(path):
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8")
    for _, text in _variants(source):
        try:
            module = cst.parse_module(text)
        except cst.ParserSyntaxError:
            pytest.skip("libcst cannot parse it")
        assert code_of(module) == module.code == text
        layout = layout_of(module, text)
        if not module.body or not module.has_trailing_newline or not _python3(text):
            assert layout is None
            continue
        assert layout is not None
        ends = layout.starts[1:] + [layout.footer_start]
        for stmt, start, end in zip(module.body, layout.starts, ends):
            assert text[start:end] == module.code_for_node(stmt)
        # a pass that changes one statement, inserts one and drops one
        rng = random.Random(path.name)
        body = list(module.body)
        k = rng.randrange(len(body))
        body[k] = body[k].with_changes(
            leading_lines=[*body[k].leading_lines, cst.EmptyLine(comment=cst.Comment("# changed"))])
        body.insert(rng.randrange(len(body) + 1), cst.parse_statement("inserted = 1\n"))
        if len(body) > 2:
            del body[rng.randrange(len(body))]
        new = module.with_changes(body=body)
        assert code_after(module, layout, new) == new.code
        assert code_after(module, layout, module) == text
        derived = _derived(module, layout, new)
        assert derived is not None
        # the derived layout serves the next pass as a parsed one would
        newer = new.with_changes(body=[cst.parse_statement("again = 2\n"), *new.body[1:]])
        assert _derived(new, derived, newer) is not None
        new_header = module.with_changes(header=[cst.EmptyLine(comment=cst.Comment("# top"))])
        assert code_after(module, layout, new_header) == new_header.code
        assert _derived(module, layout, new_header) is not None
        new_footer = module.with_changes(footer=[*module.footer, cst.EmptyLine(comment=cst.Comment("# end"))])
        assert _derived(module, layout, new_footer) is not None


@pytest.mark.parametrize("text", [
    "x = 1",  # no trailing newline
    "",
    "# only a comment\n",
    "a = 1; b = 2\nif a: b = 3\n\f\nc = 4\n",  # form feed: not a line break
    "@dec\n\n# between\n@dec2\ndef f():\n    pass\n    # block footer\n# module footer\n",
    "x = (1,\n     2)\r\ny = 3\r\n",
    "x = 1\ry = 2\r",
])
def test_layout_edge_cases(text):
    module = cst.parse_module(text)
    layout = layout_of(module, text)
    if layout is None:
        assert not module.body or not module.has_trailing_newline
        return
    ends = layout.starts[1:] + [layout.footer_start]
    for stmt, start, end in zip(module.body, layout.starts, ends):
        assert text[start:end] == module.code_for_node(stmt)
    new = module.with_changes(body=[*module.body[:1], cst.parse_statement("z = 0\n"), *module.body[1:]])
    assert code_after(module, layout, new) == new.code
    _derived(module, layout, new)


def test_derived_layout_declines_what_it_cannot_tell():
    text = "x = 1\n\n@dec\ndef f():\n    pass\n"
    module = cst.parse_module(text)
    layout = layout_of(module, text)
    f = module.body[1]
    # a comment given to the first decorator (no parse makes one): lines between the
    # statement's own leading lines and its `@`
    odd = f.with_changes(decorators=[f.decorators[0].with_changes(
        leading_lines=[cst.EmptyLine(comment=cst.Comment("# odd"))])])
    new = module.with_changes(body=[module.body[0], odd])
    code, derived = code_and_layout(module, layout, new)
    assert code == new.code and derived is None
    assert layout_of(new, code) is None
    assert code_and_layout(module, None, new) == (new.code, None)
