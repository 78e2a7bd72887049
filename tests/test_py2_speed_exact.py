"""jackmigrate.py2's faster fissix run gives exactly what plain fissix gives.

The Python 2 front end parses with its own pgen parser (jackmigrate.fissix_parser: fissix's,
deciding each transition once) and runs fissix's fixers through its own RefactoringTool
(jackmigrate.fissix_tool), which walks the tree less and gives some fixers a cheap precheck
before their pattern match.  Here every source at hand (fixtures, the PTL corpus, Quixote's
own modules, fissix's own fixer test cases and generated snippets aimed at the prechecked
fixers) goes through ``to_python3`` twice: as shipped, and with fissix's Driver, plain
RefactoringTool and plain tree walks swapped in where py2 looks them up (and counted, so that
a swap that missed cannot pass unnoticed); the results (code, warnings, divisions, or the
error) must be identical.  The other tests compare the pieces one by one: each prechecked
fixer against fissix's on every node it could be offered (a "no match" where fissix's matches
only when its transform would change nothing), the tokenizer's tokens and the parser's trees
and errors against fissix's tokenizer and Driver, the tree walks, the traversal and the
bottom matcher against pytree's and fissix's.
"""
from __future__ import annotations

import ast
import functools
import itertools
import random
import textwrap
from pathlib import Path

import fissix
import pytest
import quixote
from fissix import pygram, pytree
from fissix.fixes.fix_import import FixImport
from fissix.pgen2 import driver as pgen_driver
from fissix.pgen2.parse import ParseError
from fissix.pgen2.tokenize import TokenError
from fissix.refactor import RefactoringTool, _detect_future_features, _get_head_types

from jackmigrate import fissix_parser, fissix_tool, py2

ROOT = Path(__file__).resolve().parent.parent
_PARSE_ERRORS = (ParseError, TokenError, IndentationError, SyntaxError)


class _PlainTool(RefactoringTool):
    """fissix's RefactoringTool as 2to3 runs it.  Only the PTL-aware import fixer is swapped
    in, as fissix_tool's tool does: it changes what is converted, not how fast."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        super().__init__(list(fissix_tool._default_fixers()), options={"print_function": False})

    def get_fixers(self):  # type: ignore[override]
        pre, post = super().get_fixers()

        def swap(fixers):
            ptl_aware = fissix_tool._FixImportKnowingPtl
            return [ptl_aware(f.options, f.log) if type(f) is FixImport else f for f in fixers]

        return swap(pre), swap(post)

    def refactor_tree(self, tree, name, source=None):  # type: ignore[override]
        return super().refactor_tree(tree, name)  # the source (the fast tool's hint) unused

    def log_message(self, msg: str, *args: object) -> None:
        self.messages.append(msg % args if args else msg)

    def print_output(self, *args: object, **kwargs: object) -> None:
        pass


# How often the plain pieces ran: proof that the swap reached the code py2 runs.
_PLAIN_CALLS = dict.fromkeys(["tool", "leaves", "render", "parse_string"], 0)


@functools.cache
def _plain_tool_and_messages() -> tuple[_PlainTool, tuple[str, ...]]:
    tool = _PlainTool()
    return tool, tuple(tool.messages)


def _plain_tool() -> _PlainTool:
    """Reset per file as fissix_tool.tool() resets its tool."""
    _PLAIN_CALLS["tool"] += 1
    tool, initial = _plain_tool_and_messages()
    tool.messages = list(initial)
    tool.fixer_log.clear()
    return tool


def _convert(source: str, path: str, ptl: bool) -> object:
    try:
        result = py2.to_python3(source, path=path, ptl=ptl)
    except py2.Py2Error as exc:
        return ("error", exc.line, exc.reason)
    return (result.code, result.warnings, result.divisions)


def _plain_leaves(node: pytree.Base) -> list[pytree.Leaf]:
    _PLAIN_CALLS["leaves"] += 1
    return list(node.leaves())


def _plain_render(tree: pytree.Base) -> str:
    _PLAIN_CALLS["render"] += 1
    return str(tree)


def _plain_parse_string(text: str, grammar) -> pytree.Base:
    _PLAIN_CALLS["parse_string"] += 1
    return pgen_driver.Driver(grammar, convert=pytree.convert).parse_string(text)


def _convert_plain(source: str, path: str, ptl: bool, monkeypatch: pytest.MonkeyPatch) -> object:
    # py2 calls these as fissix_tool.tool() & co, so they are patched on their modules (the
    # fast fixers that also call fissix_tool.leaves are not run by the plain tool).
    with monkeypatch.context() as m:
        m.setattr(fissix_tool, "tool", _plain_tool)
        m.setattr(fissix_tool, "leaves", _plain_leaves)
        m.setattr(fissix_tool, "render", _plain_render)
        m.setattr(fissix_parser, "parse_string", _plain_parse_string)
        py2._PARSED.entry = None
        return _convert(source, path, ptl)


def _plain_calls_since(before: dict[str, int]) -> dict[str, int]:
    return {name: _PLAIN_CALLS[name] - before[name] for name in _PLAIN_CALLS}


# ---------------------------------------------------------------- sources

def _files() -> list[Path]:
    roots = [ROOT / "fixtures", ROOT / "tests" / "ptl_corpus", Path(quixote.__file__).parent]
    return sorted(p for root in roots for p in root.rglob("*") if p.suffix in (".py", ".ptl") and p.is_file())


# Lines aimed at the prechecked fixers, their look-alikes that must stay untouched, and
# the Python 2 syntax around them.
_LINES = [
    "y = sorted(x)",
    "y = sorted(x, cmp)",
    "y = sorted(x, lambda a, b: cmp(b, a))",
    "y = sorted(x, mycmp, keyf, True)",
    "y = sorted(x, cmp=mycmp)",
    "y = sorted(x, key=len, reverse=True)",
    "y = sorted(x, mycmp, key=len)",
    "y = sorted(x)[0]",
    "y = sorted",
    "y = obj.sorted(x, cmp)",
    "x.sort()",
    "x.sort(cmp)",
    "x.sort(lambda a, b: cmp(a.n, b.n))",
    "x.sort(mycmp, keyf)",
    "x.sort(key=lambda v: v.n)",
    "x.sort(cmp=mycmp, reverse=True)",
    "self.items.sort(mycmp)",
    "a.b().c.sort(mycmp)",
    "x.sort",
    "f = x.sort",
    "sort(x, cmp)",
    "x.sorted(cmp)",
    "x.sort(cmp)[0].sort(cmp)",
    "self.assertEquals(a, b)",
    "self.assertNotEquals(a, b)",
    "self.failUnless(x)",
    "self.failIf(x)",
    "self.failUnlessEqual(a, b)",
    "self.failUnlessRaises(ValueError, f)",
    "self.assert_(x)",
    "self.assertRegexpMatches(s, r)",
    "self.assertAlmostEquals(1.0, 1.0)",
    "assertEquals(a, b)",
    "name = self.assertEquals.__name__",
    "self.helper.failIf(x)",
    "self.assertEqual(a, b)",
    "if a <> b: pass",
    "z = 0777 + 10L + 0xffL + 0L + 00 + 0",
    "z = 1.5 + 2e3 + 3j",
    "mask = 0xffL",
    "mask = 0XABCDEFL",
    "print 'sorted', x",
    "print >>sys.stderr, 'x.sort(cmp)'",
    "print",
    "# x.sort(cmp) and self.assertEquals in a comment",
    "s = 'sorted(x, cmp) <> 0777'",
    "d = a / b",
    "a /= 2",
    "import urllib, urllib2",
    "from urllib import quote, urlencode",
    "from urllib2 import urlopen, Request",
    "u = urllib.urlopen(u) + urllib2.urlopen(u) + urllib.quote(s)",
    "import StringIO, cPickle",
    "s = StringIO.StringIO()",
    "import anydbm",
    "db = anydbm.open(p)",
    "from UserDict import UserDict",
    "v = it.next()",
    "v = it.next",
    "global next",
    "d.has_key(k)",
    "for k, v in d.iteritems(): pass",
    "raise ValueError, 'bad'",
    "exec 'x = 1'",
    "y = `x`",
    "u = ur'raw'",
]

_CLASS = """class C(object):
    def __nonzero__(self):
        return True
    def next(self):
        return 1
    def sort(self, cmp=None):
        self.data.sort(cmp)
    def test(self):
        self.assertEquals(1, 1)
"""


# Python 2-only lines: a snippet with one is Python 2 for is_python2.
_PY2_ONLY = ["print 'start'", "print x, y", "y = `x`", "exec 'x = 1'", "raise ValueError, 'bad'",
             "if a <> b: pass", "z = 0777", "z = 10L", "u = ur'raw'"]


def _snippets() -> list[str]:
    snippets = [line + "\n" for line in _LINES]  # alone (most are also Python 3)
    snippets += [f"{marker}\n{line}\n" for marker, line in zip(itertools.cycle(_PY2_ONLY), _LINES)]
    snippets.append(_CLASS)
    snippets.append("\n".join(_LINES) + "\n")
    rng = random.Random(20261125)
    for size in itertools.islice(itertools.cycle([2, 3, 5, 8]), 120):
        body = [rng.choice(_PY2_ONLY)] + rng.sample(_LINES, size)
        rng.shuffle(body)
        if rng.random() < 0.5:
            text = "def f(x, a, b):\n" + "".join(f"    {line}\n" for line in body)
        else:
            text = "".join(line + "\n" for line in body)
        if rng.random() < 0.2:
            text = _CLASS + text
        snippets.append(text)
    return snippets


def _fissix_cases() -> list[str]:
    """The before and after texts of fissix's own fixer tests (``b = \"\"\"...\"\"\"`` and
    the like in fissix/tests/test_fixers.py): a case or more for every fixer."""
    module = ast.parse((Path(fissix.__file__).parent / "tests" / "test_fixers.py").read_text(encoding="utf-8"))
    return [
        textwrap.dedent(node.value.value) + "\n\n"  # as fissix's support.reformat
        for node in ast.walk(module)
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id in ("a", "b", "s")
        and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    ]


@functools.cache
def _sources() -> tuple[tuple[str, str, bool], ...]:
    out = []
    for path in _files():
        out.append((str(path), path.read_text(encoding="utf-8", errors="replace"), path.suffix == ".ptl"))
    out.extend((f"snippet{i}.py", text, False) for i, text in enumerate(_snippets()))
    out.extend((f"fissix_case{i}.py", text, False) for i, text in enumerate(_fissix_cases()))
    return tuple(out)


# ---------------------------------------------------------------- tests

def test_sources_reach_every_prechecked_fixer() -> None:
    sources = _sources()
    assert sum(py2.is_python2(text, ptl=ptl) is not None for _, text, ptl in sources) >= 150
    assert any(path.startswith(str(ROOT / "fixtures" / "py2")) for path, _, _ in sources)
    assert sum(path.startswith("fissix_case") for path, _, _ in sources) > 1000
    converted = "".join(str(_convert(text, path, ptl)) for path, text, ptl in sources if path.startswith("snippet"))
    for change in ("cmp_to_key", "key=len", "assertEqual(", "assertTrue(", "!=", "0o777 + 10 + 0xff + 0 + 00",
                   "__bool__", "next(it)", "urllib.request", "io.StringIO()", "import dbm", "__next__"):
        assert change in converted, change


# (the DeprecationWarning: Python 3 reading fissix's test cases with "\u" in byte strings)
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_converted_text_identical_to_plain_fissix(monkeypatch: pytest.MonkeyPatch) -> None:
    differences = []
    before = dict(_PLAIN_CALLS)
    for path, text, ptl in _sources():
        fast = _convert(text, path, ptl)
        plain = _convert_plain(text, path, ptl, monkeypatch)
        if fast != plain:
            differences.append(path)
    calls = _plain_calls_since(before)
    assert differences == []
    # The reference really was plain fissix: every source parsed and converted by it, and
    # the divisions marked on its walk (only sources with a `/` need one).
    assert calls["tool"] == calls["parse_string"] == len(_sources()), calls
    assert calls["render"] > 1000 and calls["leaves"] > 50, calls


def test_conversion_after_the_check_identical_to_plain_fissix(monkeypatch: pytest.MonkeyPatch) -> None:
    # The usual order: is_python2 leaves its parse for to_python3.
    checked = 0
    before = dict(_PLAIN_CALLS)
    for path, text, ptl in _sources():
        if py2.is_python2(text, ptl=ptl) is None:
            continue
        fast = _convert(text, path, ptl)
        assert fast == _convert_plain(text, path, ptl, monkeypatch), path
        checked += 1
    assert checked >= 150
    calls = _plain_calls_since(before)
    assert calls["tool"] == calls["parse_string"] == calls["render"] == checked, calls


def _trees():
    for path, text, ptl in _sources():
        text = py2._protect_ptl(text) if ptl else text
        if not text.endswith("\n"):
            text += "\n"
        try:
            tree = pgen_driver.Driver(pygram.python_grammar, convert=pytree.convert).parse_string(text)
        except _PARSE_ERRORS:  # not Python 2: nothing for the fixers
            continue
        tree.future_features = _detect_future_features(text)  # as py2 sets it
        yield tree


# Prechecked fixers that may also answer "no match" where the pattern matches but the
# transform would change nothing and return None (the tool does nothing with either answer).
_NO_OP_SKIPPERS = {"_FixTupleParams", "_FixUnicode"}


def _transform_is_no_op(plain, tree: pytree.Base, node: pytree.Base) -> bool:
    """Whether the plain fixer's transform, on a copy of ``node`` (of ``tree``), returns
    None and leaves the copy as it was."""
    plain.start_tree(tree, "tree.py")  # (the names a transform would avoid: the tree's)
    copy = node.clone()
    before = _signature(copy)
    results = plain.match(copy)
    return bool(results) and plain.transform(copy, results) is None and _signature(copy) == before


def test_prechecked_fixers_match_exactly_what_the_originals_match() -> None:
    originals = {fast: plain for plain, fast in fissix_tool._REPLACEMENTS.items()
                 if fast is not fissix_tool._FixImportKnowingPtl}
    tool = fissix_tool.tool()
    pairs = [(f, originals[type(f)](f.options, f.log))
             for f in tool.pre_order + tool.post_order if type(f) in originals]
    assert {type(f).__name__ for f, _ in pairs} == {
        "_FixSorted", "_FixAsserts", "_FixImports", "_FixImports2", "_FixUrllib", "_FixNonzero", "_FixNext",
        "_FixTupleParams", "_FixUnicode"}
    # fissix offers a fixer only nodes of its pattern's head types (traversal and bottom
    # matcher alike): each pair is tried on every node of those types.
    by_type: dict[int, list] = {}
    for fast, plain in pairs:
        for node_type in _get_head_types(plain.pattern):
            by_type.setdefault(node_type, []).append((fast, plain))
    matched = {type(f).__name__: 0 for f, _ in pairs}
    skipped = {name: 0 for name in _NO_OP_SKIPPERS}
    for tree in _trees():
        for node in tree.pre_order():
            for fast, plain in by_type.get(node.type, ()):
                got, want = fast.match(node), plain.match(node)
                name = type(fast).__name__
                if got != want and name in _NO_OP_SKIPPERS and got is False:
                    assert _transform_is_no_op(plain, tree, node), (name, str(node)[:200])
                    skipped[name] += 1
                    continue
                assert got == want, (name, str(node)[:200])
                matched[name] += bool(want)
    # The corpus reaches each fixer's pattern, so the comparison above means something.
    assert all(count > 0 for count in matched.values()), matched
    assert all(count > 0 for count in skipped.values()), skipped


def test_leaves_post_order_and_render_are_fissix_walks() -> None:
    for tree in itertools.islice(_trees(), 60):
        assert fissix_tool.leaves(tree) == list(tree.leaves())
        assert [id(n) for n in fissix_tool.post_order(tree)] == [id(n) for n in tree.post_order()]
        assert fissix_tool.render(tree) == str(tree)
    leaf = pytree.Leaf(1, "x")
    assert fissix_tool.leaves(leaf) == [leaf] and list(fissix_tool.post_order(leaf)) == [leaf]


def _signature(tree: pytree.Base) -> list[tuple]:
    return [
        (type(n).__name__, n.type, getattr(n, "value", None), n.prefix if type(n) is pytree.Leaf else None,
         getattr(n, "lineno", None), getattr(n, "column", None), len(n.children), n.parent is not None)
        for n in tree.pre_order()
    ]


def _parsed(parse, text: str) -> tuple:
    try:
        tree = parse(text)
    except _PARSE_ERRORS as exc:  # the same error, with the same details
        return ("error", type(exc).__name__, str(exc), getattr(exc, "context", None))
    return ("tree", _signature(tree), sorted(tree.used_names), tree.parent)


@pytest.mark.parametrize("grammar", [pygram.python_grammar, pygram.python_grammar_no_print_statement],
                         ids=["print-statement", "print-function"])
def test_parser_builds_fissix_trees_and_errors(grammar) -> None:
    texts = [py2._protect_ptl(text) if ptl else text for _, text, ptl in _sources()]
    texts += ["x = (1,\n", "def f(:\n", "print 'a'\n  y = 1\n", "a b\n", "", "\n", "x = 1", "if x:\npass\n"]
    outcomes = set()
    for text in texts:
        text = text if text.endswith("\n") or not text else text + "\n"
        plain = _parsed(pgen_driver.Driver(grammar, convert=pytree.convert).parse_string, text)
        assert _parsed(lambda t: fissix_parser.parse_string(t, grammar), text) == plain, text[:300]
        outcomes.add(plain[0] if plain[0] == "tree" else plain[2].split(":")[0])
    assert {"tree", "bad input"} <= outcomes, outcomes


class _Recorder:
    """A fixer for traversal tests: records each node offered and changes the tree as
    transforms do: each ``trailer`` replaced by a copy of itself, a leaf ``y`` inserted in
    place after each NAME leaf ``self`` (touch_import's way: the list being walked grows)."""

    def __init__(self) -> None:
        self.seen: list[tuple] = []

    def match(self, node: pytree.Base) -> object:
        self.seen.append((node.type, str(node)))
        return getattr(node, "value", None) == "self" or node.type == pygram.python_symbols.trailer

    def transform(self, node: pytree.Base, results: object) -> pytree.Base | None:
        if node.type == pygram.python_symbols.trailer:
            return node.clone()
        parent = node.parent
        parent.insert_child(parent.children.index(node) + 1, pytree.Leaf(1, "y", prefix=" "))
        return None


def test_traversal_and_bottom_matcher_are_fissix_s() -> None:
    tool = fissix_tool.tool()
    trees = list(itertools.islice(_trees(), 80))
    assert len(trees) == 80
    replaced = matched = 0
    for tree in trees:
        # The traversal: the same nodes offered in the same order, replacements included.
        types = {node.type for node in tree.pre_order()}
        plain_tree, fast_tree = tree.clone(), tree.clone()
        plain, fast = _Recorder(), _Recorder()
        tool.traverse_by({t: [plain] for t in types}, plain_tree.post_order())
        fissix_tool.traverse_post_order({t: [fast] for t in types}, fast_tree)
        assert fast.seen == plain.seen and _signature(fast_tree) == _signature(plain_tree)
        replaced += sum(1 for _, text in plain.seen if text.strip() == "y")
        # The bottom matcher: the same matches and the same was_checked marks.
        plain_tree, fast_tree = tree.clone(), tree.clone()
        plain_matches = tool.BM.run(list(plain_tree.leaves()))
        fast_matches = fissix_tool.bottom_match(tool.BM, fissix_tool.leaves(fast_tree))
        where = {id(node): i for i, node in enumerate(plain_tree.pre_order())}
        where_fast = {id(node): i for i, node in enumerate(fast_tree.pre_order())}
        assert {f: [where[id(n)] for n in nodes] for f, nodes in plain_matches.items()} == {
            f: [where_fast[id(n)] for n in nodes] for f, nodes in fast_matches.items()}
        assert [n.was_checked for n in plain_tree.pre_order()] == [n.was_checked for n in fast_tree.pre_order()]
        matched += sum(map(len, plain_matches.values()))
    assert replaced > 100 and matched > 100, (replaced, matched)


# Texts for the tokenizer's corners: tabs and form feeds in indentation, strings continued
# over lines (closed, unclosed, with backslashes), async/await as names and keywords, a bad
# dedent, CRLF lines, stray characters, a missing final newline, operators of every kind.
_TOKENIZER_TEXTS = [
    "if x:\n\tif y:\n\t\tpass\n        z = 1\n",
    "if x:\n \f  y = 1\n\f\n",
    "if x:\n  \t  y = 1\n",
    "s = '''a\nb''' + \"\"\"c\n\"\"\" + u'd' + ur'e' + b'f' + rb\"g\" + f'{h}'\n",
    "s = 'abc\\\n  def'\nt = \"x\\\r\ny\"\n",
    "s = 'unclosed\n",
    "s = '''never closed\n",
    "x = (1,\n",
    "async def f():\n    await g()\n    async with a: pass\nasync = 1\nawait = 2\n",
    "async\nasync x\ndef async(): pass\n",
    "if x:\n    y\n  z\n",
    "x = 1\r\ny = 2\r\n",
    "x = $ ? !\n",
    "x = 1",
    "a = b ** c // d << e >> f <> g != h -> i @ j := k ~ l ` m ` ; n . o\n",
    "x = 0777 + 0xffL + 10L + 1.5e3j + .5 + 1_000 + 0b101 + 0o17\n",
    "def f(a, (b, c)):\n    # comment\n    return a \\\n        + b\n",
    "\u00e9t\u00e9 = 1\nprint \u00e9t\u00e9\n",
    "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n\n\n",
    "",
    # names next to strings, and what may start a number
    "x = rb'a' + Rb\"b\" + bR'''c''' + Ur'd' + fr'e' + rf\"f\" + r + b + u + f + rb + ur + _'g'\n",
    "s = r'unterminated\ny = u\"also\n",
    "x = a.b + .5 + 1. + x . y\nz = \u0663 + \u00b2 + \u00e9\n",
    "return raise from for bugs fr\n",
]


def _tokens(generate, text: str) -> list:
    import io

    out: list = []
    try:
        for tok in generate(io.StringIO(text).readline):
            out.append(tok)
    except Exception as exc:  # the same error after the same tokens
        out.append((type(exc).__name__, exc.args))
    return out


def test_tokenizer_gives_fissix_tokens_and_errors() -> None:
    from fissix.pgen2 import tokenize as pgen_tokenize

    texts = [text for _, text, _ in _sources()] + _TOKENIZER_TEXTS
    kinds = set()
    for text in texts:
        plain = _tokens(pgen_tokenize.generate_tokens, text)
        assert _tokens(fissix_parser._generate_tokens, text) == plain, text[:300]
        kinds.update(tok[0] for tok in plain)
    # Every kind of token the tokenizer makes and both of its errors were met.
    from fissix.pgen2 import token

    made = {token.ENDMARKER, token.NAME, token.NUMBER, token.STRING, token.NEWLINE, token.INDENT, token.DEDENT,
            token.OP, token.ASYNC, token.AWAIT, token.ERRORTOKEN, pgen_tokenize.COMMENT, pgen_tokenize.NL}
    assert made | {"TokenError", "IndentationError"} <= kinds, kinds
