"""The PTL converter's node lines: CPython's lines for defs and decorators, and lines of
single statements generated alone, are exactly those of a whole-module generation."""

import ast
from pathlib import Path

import libcst as cst
import pytest
import quixote

from jackmigrate import ptl
from jackmigrate.walk import children

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(
    # (not fixtures/py2: Python 2 templates reach the converter only once converted)
    [p for p in (ROOT / "fixtures").rglob("*.ptl") if not {"expected", "py2"} & set(p.parts)]
    + list((ROOT / "tests" / "ptl_corpus").rglob("*.ptl"))
    + list((Path(quixote.__file__).parent / "demo").rglob("*.ptl"))
    + list((ROOT / "jackmigrate").glob("*.py"))
)
EXTRA = [  # (text, how many nodes get their line from CPython's parser)
    ("@a\n@b.c(1)\ndef f(x):\n    @d\n    def g():\n        pass\n    return g\n\nclass K:\n    def m(self): pass\n", 9),
    ("async def f():\n    pass\n\n\n# comment\n@dec\nasync def g():\n    def h(): return 1\n", 7),
    ("def \\\n  f(x):\n    return x\n\n@ dec\ndef g(): pass\n", 3),  # f's name is on the next line
    ("def f(): pass\n\n@\\\ndec\ndef g(): pass\n", 0),  # no layout: CPython and libcst disagree on g's start
    # literals in parentheses, implicit concatenations, multi-line strings
    ('def f():\n    x = (\n        \'a\'\n        F\'<b>{x}</b>\'\n    )\n    return ("""\nmulti""", \'z\')\n', 2),
    ("if True:\n    def f(): pass\nelse:\n    def f(): return 1\ntry:\n    def g(): pass\nexcept E:\n    def g(): pass\n", 8),
    # source order: a try's handlers come before its else and finally
    ("try:\n    def a(): pass\nexcept E:\n    def b(): pass\nelse:\n    def c(): pass\nfinally:\n"
     "    def d(): pass\nmatch x:\n    case 1:\n        def e(): pass\nwith m:\n    def f(): pass\n"
     "while 0:\n    def g(): pass\nelse:\n    def h(): pass\n", 16),
]


def _all(node):
    yield node
    for child in children(node, trivia=True):
        yield from _all(child)


def _check(text):
    try:
        tree = ast.parse(text)
        module = cst.parse_module(text)
    except (SyntaxError, cst.ParserSyntaxError):
        pytest.skip("not Python 3")
    expected = ptl._node_lines(module)
    # the early-stopping path, used for literals when the statement is known
    early = ptl._Lines(module, text, tree)
    for index, stmt in enumerate(module.body):
        for node in _all(stmt):
            if isinstance(node, ptl._STARTS_AT_ONCE) and id(node) in expected:
                assert early.first(node, index) == expected[id(node)][0], type(node).__name__
    lines = ptl._Lines(module, text, tree)
    checked = 0
    for node in _all(module):
        if node is module or id(node) not in expected:
            continue
        assert lines.first(node) == expected[id(node)][0], type(node).__name__
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.SimpleStatementLine)):
            assert lines.span(node) == expected[id(node)]
        checked += 1
    return lines, checked


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_lines_match_a_whole_module_generation(path):
    text = ptl._prepass(path.read_text(encoding="utf-8")).text
    _, checked = _check(text)
    assert checked


@pytest.mark.parametrize("text,from_cpython", EXTRA)
def test_lines_edge_cases(text, from_cpython):
    lines, _ = _check(text)
    assert len(lines.defs) == from_cpython


NAME_CASES = [
    "def t():\n    out = 1\n    return out\n",  # the first accumulator name taken
    "def t(x):\n    x.out(1)\n    f(out=2)\n",  # as an attribute and a keyword: still a Name
    "def t():\n    return 'out of stock'  # out\n",  # only in a string and a comment
    "@dec(out)\ndef t():\n    pass\n",  # in a decorator
    "def t(output, out_):\n    def inner(_out): return template_out\n",
    "def t():\n    x = \\\n        htmltext('a')\n    TemplateIO = 1\n",
]


@pytest.mark.parametrize("text", NAME_CASES + [p.read_text(encoding="utf-8") for p in SOURCES[:12]])
def test_name_uses_from_the_text_agree_with_the_tree(text):
    prepass = ptl._prepass(text)
    tree = ast.parse(prepass.text)
    module = cst.parse_module(prepass.text)
    lines = ptl._Lines(module, prepass.text, tree)
    names = (*ptl._ACCUMULATOR_NAMES, "TemplateIO", "htmltext")
    for fn in (s for s in ptl.iter_statements(module.body) if isinstance(s, cst.FunctionDef)):
        uses = ptl._NameUses(fn, lines.def_texts.get(id(fn)))
        exact = ptl._names_in(fn)
        assert [uses.has(n) for n in names] == [n in exact for n in names]
    if text in NAME_CASES:
        assert lines.def_texts  # the text was there to use
