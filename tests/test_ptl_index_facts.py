"""The PTL converter takes CPython's parse facts from the project index instead of parsing
again: with them it converts exactly as without them, and it uses them only for the text
they were taken from."""

import ast
import pickle
from pathlib import Path

import libcst as cst
import pytest
import quixote

from jackmigrate import ptl
from jackmigrate.engine import Options, run_files
from jackmigrate.project import build_index, build_index_from_sources
from jackmigrate.rules import all_rules

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(
    [p for p in (ROOT / "fixtures").rglob("*.ptl") if "expected" not in p.parts]
    + list((ROOT / "tests" / "ptl_corpus").rglob("*.ptl"))
    + list((Path(quixote.__file__).parent / "demo").rglob("*.ptl"))
)

BRACKETS = (
    "from quixote.html import htmltext\n\n"
    "def row [html] (cells):\n"
    "    '<tr>'\n"
    "    for cell in cells:\n"
    "        '<td>%s</td>' % cell\n"
    "    '</tr>'\n\n"
    "class Page:\n"
    "    @staticmethod\n"
    "    def title  [plain]  (x, y=1):\n"
    "        def inner [html] ():\n"
    "            '<b>'\n"
    "        x\n"
    "        inner()\n"
)
CASES = {
    "brackets": BRACKETS,
    "brackets-crlf": BRACKETS.replace("\n", "\r\n"),
    "brackets-cr": BRACKETS.replace("\n", "\r"),
    # inside the brackets: the token pass takes it, the index's pattern does not
    "spaced-brackets": "def f [ html ] (x):\n    '<p>'\n    x\n",
    "split-annotation": "def f [html]\\\n (x):\n    '<p>'\n",
    "bracket-in-string": 'DOC = """\ndef f [html] (x):\n"""\n\ndef g [html] ():\n    "<i>"\n',
    "hstrings": "def f [html] (x):\n    h'<a>{x}</a>'\n    x\n",
    "gen3": (
        "from quixote.ptl import ptl_html, ptl_plain\n\n\n"
        "@ptl_html\ndef page(title, items):\n    F'<h1>{title}</h1>'\n"
        "    for item in items:\n        '<li>'\n        item\n\n\n"
        "@other.deco(1)\n@ptl_plain\ndef p(): 'x'\n\n@other.deco(1)\nasync def a():\n    pass\n\n"
        "def \\\n  g(x):\n    return x\n\n@\\\ndeco\ndef h(): pass\n"
    ),
    "async-template": "from quixote.ptl import ptl_html\n\n@ptl_html\nasync def a():\n    '<p>'\n",
    "gen3-crlf": "from quixote.ptl import ptl_html\r\n\r\n@ptl_html\r\ndef f(x):\r\n    F'<b>{x}</b>'\r\n",
    "directive": "# jackmigrate: ptl-generation=1\ndef f [html] (x):\n    '<p>%s</p>' % x\n",
    "no-template": "import os\n\nX = 1\n",
    "empty": "",
    "no-final-newline": "def f [html] ():\n    '<p>'",
    "python2-print": "def f [html] (x):\n    print 'x'\n",
    "python2-except": "def f [html] ():\n    try:\n        '<p>'\n    except E, e:\n        pass\n",
    "not-python": "def f [html] (:\n",
    "nested-and-compound": (
        "if X:\n    def a [html] (): '<a>'\nelse:\n    def b [html] (): '<b>'\n"
        "try:\n    def c(): pass\nexcept E:\n    def d(): pass\nelse:\n    def e(): pass\nfinally:\n"
        "    def f(): pass\nmatch x:\n    case 1:\n        def g(): pass\nwith m:\n    def h(): pass\n"
        "while 0:\n    def i(): pass\nelse:\n    def j(): pass\n"
    ),
    "unicode": "def f [html] (naïve):\n    '<p>é</p>'\n    naïve\n",
    "tabs": "def f [html] (x):\n\t'<p>'\n\tif x:\n\t\tx\n",
}


def _outcome(text, path, parsed):
    try:
        result = ptl.convert_ptl(text, path, parsed=parsed)
    except ptl.PtlError as exc:
        return ("error", exc.line, exc.column, exc.reason)
    return (result.code, result.generation, result.findings, result.templates, result.layout, result.tree.code)


def _facts(text, path="page.ptl"):
    return build_index_from_sources({path: text}).ptl_facts_for(path)


def _prepared(text):
    return ptl._prepass(text).text if ptl._PREPASS_NEEDED.search(text) else text


@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_cases_convert_the_same_with_the_index_facts(name):
    text = CASES[name]
    assert _outcome(text, "page.ptl", _facts(text)) == _outcome(text, "page.ptl", None)


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_files_convert_the_same_with_the_index_facts(path):
    text = path.read_text(encoding="utf-8")
    assert _outcome(text, str(path), _facts(text, str(path))) == _outcome(text, str(path), None)


# which cases the index's facts fit (the text it parsed is the converter's)
# (not "brackets-cr": the index's pattern does not see a lone CR as a line break)
HITS = {"async-template", "brackets", "brackets-crlf", "gen3", "gen3-crlf", "directive", "no-template",
        "empty", "no-final-newline", "nested-and-compound", "unicode", "tabs"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_facts_fit_the_texts_the_index_and_the_token_pass_agree_on(name, monkeypatch):
    text = CASES[name]
    facts = _facts(text)
    fits = facts is not None and facts.fits(_prepared(text))
    assert fits == (name in HITS)
    if fits:
        # the converter does not parse the text again
        def no_compile(*args, **kwargs):
            raise AssertionError("compiled although the index's facts fit")

        monkeypatch.setattr(ptl, "compile", no_compile, raising=False)
        try:
            ptl.convert_ptl(text, "page.ptl", parsed=facts, validate=False)
        except ptl.PtlError:  # (a template the converter refuses, after the parse)
            assert name == "async-template"


def test_bracket_templates_of_the_files_get_facts():
    # generation-1 files: the index's cleaned text is the token pass's
    fitting = 0
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        prepass = ptl._prepass(text)
        facts = _facts(text)
        if prepass.bracket_templates and facts is not None:
            assert facts.fits(prepass.text), path
            fitting += 1
    assert fitting >= 4


@pytest.mark.parametrize("name", sorted(HITS))
def test_lines_from_facts_are_the_lines_from_the_tree(name):
    text = _prepared(CASES[name])
    module = cst.parse_module(text)
    from_tree = ptl._Lines(module, text, ast.parse(text))
    from_facts = ptl._Lines(module, text, None, _facts(CASES[name]))
    assert from_facts.layout == from_tree.layout
    assert from_facts.defs == from_tree.defs
    assert from_facts.def_texts == from_tree.def_texts


def test_facts_of_another_text_are_not_used():
    other = _facts(CASES["gen3"])
    text = CASES["brackets"]
    assert _outcome(text, "page.ptl", other) == _outcome(text, "page.ptl", None)
    # the same facts with this text's length and CRC would be taken (and make another
    # layout); one of them is not enough
    prepared = _prepared(text)
    forged = other._replace(crc=ptl.text_crc(prepared), length=len(prepared))
    assert _outcome(text, "page.ptl", forged) != _outcome(text, "page.ptl", None)
    for half in (forged._replace(crc=other.crc), forged._replace(length=other.length)):
        assert _outcome(text, "page.ptl", half) == _outcome(text, "page.ptl", None)


def test_facts_survive_pickling_to_workers():
    index = build_index_from_sources({"a.ptl": CASES["brackets"], "b.ptl": CASES["gen3"]})
    copy = pickle.loads(pickle.dumps(index))
    assert copy.ptl_facts == index.ptl_facts and len(copy.ptl_facts) == 2
    assert all(type(v) is ptl.ParseFacts for v in copy.ptl_facts.values())


def test_engine_results_are_the_same_with_and_without_the_facts(tmp_path):
    files = []
    for i, name in enumerate(sorted(CASES)):
        target = tmp_path / f"t{i}.ptl"
        target.write_bytes(CASES[name].encode("utf-8"))
        files.append((target.name, str(target)))
    for path in FILES:
        files.append((f"{path.parent.name}_{path.name}", str(path)))
    opts = Options(rule_ids=tuple(all_rules()), target_python=(3, 11), root=str(tmp_path))
    index = build_index(files, str(tmp_path))
    assert len(index.ptl_facts) >= 15
    with_facts = run_files(files, opts, index)
    index.ptl_facts.clear()
    without = run_files(files, opts, index)
    assert [repr(r) for r in with_facts] == [repr(r) for r in without]
