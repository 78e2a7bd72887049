"""Rendering equivalence: PTL rendered by Quixote's own compiler and by the converted code.

Every template of Quixote's demo (``quixote/demo/*.ptl`` of the installed package) and of
the corpus in ``tests/ptl_corpus/`` (one file per syntax generation) is rendered both
ways on the same inputs, hostile ones included; outputs must be identical, or differ
only where Jack escapes ``'`` as ``&#39;`` (the documented fix).
"""

from __future__ import annotations

import sys
import types

import pytest
import quixote.html as qhtml

import jack_runtime.html as jhtml
from ptl_harness import CORPUS, QUIXOTE_DEMO, call, equivalent, equivalent_text, run_jack, run_quixote

CORPUS_FILES = {"gen1_brackets.ptl": 1, "gen2_hstrings.ptl": 2, "gen3_features.ptl": 3}


def test_equivalence_helper_accepts_only_the_quote_fix():
    assert equivalent_text("it's", "it&#39;s")
    assert equivalent_text("<a>", "<a>")
    assert not equivalent_text("it's", "it&#x27;s")
    assert not equivalent_text("&lt;", "<")
    assert not equivalent_text("a", "ab")
    assert not equivalent(qhtml.htmltext("<b>"), "<b>")  # type matters: markup vs str
    assert equivalent(qhtml.htmltext("<b>"), jhtml.htmltext("<b>"))


@pytest.mark.parametrize("name", sorted(CORPUS_FILES))
def test_corpus_renders_like_quixote(name):
    source = (CORPUS / name).read_text()
    generation = CORPUS_FILES[name]
    quixote_ns = run_quixote(source, generation, name.removesuffix(".ptl"))
    jack_ns, result = run_jack(source, name.removesuffix(".ptl"))
    assert result.generation == generation
    cases = list(zip(quixote_ns["RENDER"], jack_ns["RENDER"]))
    assert len(cases) >= 20
    for (qfn, qargs), (jfn, jargs) in cases:
        expected, got = call(qfn, *qargs), call(jfn, *jargs)
        assert equivalent(expected, got), (getattr(qfn, "__name__", qfn), qargs, expected, got)


def test_corpus_hostile_inputs_are_escaped_where_quixote_escaped_them():
    source = (CORPUS / "gen3_features.ptl").read_text()
    jack_ns, _ = run_jack(source, "gen3_features")
    out = str(jack_ns["Page"].static('<script>alert("x")</script>'))
    assert "<script>" not in out and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in out
    out = str(jack_ns["formats"]("<x&y>", 1, 3))
    assert "<x&y>" not in out and "&lt;x&amp;y&gt;" in out


# --- Quixote's own demo ----------------------------------------------------------------


def _stub_module(monkeypatch, name: str, ns: dict) -> None:
    module = types.ModuleType(name)
    module.__dict__.update(ns)
    monkeypatch.setitem(sys.modules, name, module)


# Quixote's demo as installed (3.8, decorators and F-strings) and as shipped with
# Quixote 3.0 (bracket templates where every literal is markup; kept in the corpus).
DEMOS = {"3.8": (QUIXOTE_DEMO, 3), "3.0": (CORPUS / "quixote30_demo", 1)}


def _demo_pair(monkeypatch, name: str, version: str = "3.8") -> tuple[dict, dict]:
    """The demo module ``name`` executed by Quixote and converted; the .ptl modules it
    imports are registered from the same world (Quixote's hook is not installed)."""
    directory, generation = DEMOS[version]
    source = (directory / f"{name}.ptl").read_text()
    integers = (directory / "integers.ptl").read_text()
    extras = (directory / "extras.ptl").read_text()

    _stub_module(monkeypatch, "quixote.demo.integers", run_quixote(integers, 3, "quixote.demo.integers"))
    _stub_module(monkeypatch, "quixote.demo.extras", run_quixote(extras, generation, "quixote.demo.extras"))
    quixote_ns = run_quixote(source, generation, f"quixote.demo.{name}")

    _stub_module(monkeypatch, "quixote.demo.integers", run_jack(integers, "quixote.demo.integers")[0])
    _stub_module(monkeypatch, "quixote.demo.extras", run_jack(extras, "quixote.demo.extras")[0])
    jack_ns = run_jack(source, f"quixote.demo.{name}")[0]
    return quixote_ns, jack_ns


def _fake_dump_request(html_module):
    return lambda request=None: html_module.htmltext("<h2>Request</h2><pre>%s</pre>") % '<dumped & "escaped">'


@pytest.mark.parametrize("version", sorted(DEMOS))
@pytest.mark.parametrize("method", ["index", "simple", "dumpreq"])
def test_demo_root_templates(monkeypatch, capsys, method, version):
    quixote_ns, jack_ns = _demo_pair(monkeypatch, "root", version)
    quixote_ns["dump_request"] = _fake_dump_request(qhtml)
    jack_ns["dump_request"] = _fake_dump_request(jhtml)
    expected = getattr(quixote_ns["RootDirectory"](), method)()
    got = getattr(jack_ns["RootDirectory"](), method)()
    assert equivalent(expected, got), (expected, got)
    assert isinstance(got, jhtml.htmltext)
    if method == "dumpreq":
        assert "&lt;dumped &amp; &quot;escaped&quot;&gt;" in str(got)


@pytest.mark.parametrize("method, version", [("_q_index", "3.8"), ("bundle", "3.8"), ("_q_index", "3.0")])
def test_demo_extras_templates(monkeypatch, method, version):
    quixote_ns, jack_ns = _demo_pair(monkeypatch, "extras", version)
    expected = getattr(quixote_ns["ExtraDirectory"](), method)()
    got = getattr(jack_ns["ExtraDirectory"](), method)()
    assert equivalent(expected, got), (expected, got)


def test_demo_integers_has_no_templates_and_is_unchanged():
    source = (QUIXOTE_DEMO / "integers.ptl").read_text()
    _, result = run_jack(source, "integers")
    assert result.code == source and result.templates == []


def _fake_forms(html_module, submitted: bool):
    """Stand-ins for quixote.form's Form and widgets (they need a live request): the
    same behaviour in both worlds, markup in each world's htmltext."""

    class Widget:
        def __init__(self, name, value):
            self.name, self.value = name, value

        def get_name(self):
            return self.name

        def parse(self):
            return self.value

    class FileWidget(Widget):
        pass

    class Upload:
        class fp:
            @staticmethod
            def read():
                return b"12345"

        def get_size(self):
            return '<5 & "b">'

        def __repr__(self):
            return "<Upload 'spec.txt'>"

    class Form:
        def __init__(self, **kw):
            self.widgets = []

        def add(self, klass, name, title=None, value=None, **kw):
            if klass is FileWidget:
                self.widgets.append(FileWidget(name, Upload()))
            elif isinstance(value, list):  # the demo's Topping objects repr with their id()
                self.widgets.append(Widget(name, ["<cheese>", 0.5]))
            else:
                self.widgets.append(Widget(name, value if value is not None else f"<{name} & 'v'>"))

        def add_hidden(self, name, value=None):
            self.widgets.append(Widget(name, None))

        def add_submit(self, name, value):
            pass

        def is_submitted(self):
            return submitted

        def has_errors(self):
            return False

        def render(self):
            return html_module.htmltext('<form><input name="x" value="%s"></form>') % '<"v">'

        def get_all_widgets(self):
            return self.widgets

    widget_names = [
        "StringWidget", "PasswordWidget", "RadiobuttonsWidget", "SingleSelectWidget",
        "MultipleSelectWidget", "CheckboxWidget",
    ]
    names = {n: type(n, (Widget,), {}) for n in widget_names}
    return {"Form": Form, "FileWidget": FileWidget, "dump_request": _fake_dump_request(html_module), **names}


@pytest.mark.parametrize("version", sorted(DEMOS))
@pytest.mark.parametrize("submitted", [False, True])
def test_demo_forms_templates(monkeypatch, submitted, version):
    quixote_ns, jack_ns = _demo_pair(monkeypatch, "forms", version)
    quixote_ns.update(_fake_forms(qhtml, submitted))
    jack_ns.update(_fake_forms(jhtml, submitted))
    quixote_ns["time"] = jack_ns["time"] = types.SimpleNamespace(time=lambda: 1234.5)
    expected, got = quixote_ns["form_demo"](), jack_ns["form_demo"]()
    assert equivalent(expected, got), (expected, got)
    if submitted:
        # repr() of a hostile value is escaped, as Quixote escaped it
        assert "&lt;name &amp; " in str(got) and "<name" not in str(got)


# --- Quixote's own PTL tests (quixote/ptl/test/test_ptl.py), run on the converted code --

QUIXOTE_PTL_TESTS = {
    "html": ['@ptl_html', 'def f(a):', '    F"&"', '    a',
             'assert type(f(1)) == htmltext', 'assert f("") == "&"', 'assert f("&") == "&&amp;"',
             'assert f(htmltext("&")) == "&&"'],
    "plain": ['@ptl_plain', 'def f(a):', '    "&"', '    a',
              'assert type(f(1)) == str', 'assert f("") == "&"', 'assert f("&") == "&&"',
              'assert f(htmltext("&")) == "&&"', 'assert type(f(htmltext("&"))) == str'],
    "fstring": ['@ptl_html', 'def f(a):', '    F"x{a}"',
                'assert type(f(1)) == htmltext', 'assert f("&") == "x&amp;"', 'assert f(htmltext("&")) == "x&"'],
    "fstring_suffix": ['@ptl_html', 'def f(a):', '    F"{a}<br />"', 'assert f("foo") == "foo<br />"'],
}


@pytest.mark.parametrize("name", sorted(QUIXOTE_PTL_TESTS))
def test_quixotes_own_ptl_tests_pass_on_converted_code(name):
    source = "\n".join(
        ["from quixote.html import htmltext", "from quixote.ptl import ptl_plain, ptl_html", *QUIXOTE_PTL_TESTS[name]]
    )
    run_quixote(source, 3)  # the asserts hold on Quixote
    ns, result = run_jack(source)  # and on the converted module, with Jack's htmltext
    assert ns["htmltext"] is jhtml.htmltext and "from jack_runtime.html import htmltext" in result.code
