"""The escape under htmltext: markupsafe's C function when installed, else pure Python.

Both must give exactly Jack's escaping (``& < > " '`` as ``&amp; &lt; &gt; &quot; &#39;``)
and return their argument itself when nothing needs escaping (the hot paths test that
with ``is``).  The other test_html_* modules run every test under both escapes; this one
tests the escapes themselves, the guard around markupsafe's private function, and the
argument-scanning fast paths of ``%`` and ``.format`` against Quixote.
"""
from __future__ import annotations

import sys
import types
from typing import Any, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import jack_runtime.html as J
from jack_runtime.html import TemplateIO, htmlescape, htmltext
from jack_runtime.html import text as text_module
from quixote.html import _c_htmltext as QC

DETERMINISTIC = settings(derandomize=True, database=None, deadline=None, max_examples=300)

NATIVE = text_module._native_escape()
ESCAPES = [pytest.param(text_module._escape_py, id="python"),
           pytest.param(NATIVE, id="native", marks=pytest.mark.skipif(
               NATIVE is None, reason="markupsafe's C speedups are not installed"))]


def reference(s: str) -> str:
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


@pytest.fixture(params=ESCAPES)
def esc(request: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], str]:
    monkeypatch.setattr(text_module, "_esc", request.param)
    return request.param


special_text = st.lists(st.sampled_from(list("<>&\"'ab ;#\n\u00e9\U0001d11e")
                                       + ["&#34;", "&quot;", "&amp;"]), max_size=10).map("".join)
any_text = st.one_of(special_text, st.text())


def test_markupsafe_speedups_are_used_when_installed() -> None:
    pytest.importorskip("markupsafe._speedups")
    from markupsafe._speedups import _escape_inner

    assert text_module._esc is _escape_inner


@DETERMINISTIC
@given(s=any_text)
def test_both_escapes_agree_with_the_reference(s: str) -> None:
    for fn in (text_module._escape_py, NATIVE):
        if fn is None:
            continue
        raw = fn(s)
        # Raw output may write '"' as '&#34;' (markupsafe); nothing else may differ.
        assert raw.replace("&#34;", "&quot;") == reference(s)
        assert (raw is s) == (reference(s) == s)


def test_escape_returns_the_argument_when_nothing_to_escape(esc: Callable[[str], str]) -> None:
    for s in ["", "plain", "user@example.com", "\u00e9t\u00e9 \U0001d11e", "a;b#c"]:
        assert esc(s) is s
        assert text_module._escape(s) is s


@DETERMINISTIC
@given(s=any_text)
def test_every_entry_point_escapes_exactly(s: str) -> None:
    expected = reference(s)
    for fn in (text_module._escape_py, NATIVE):
        if fn is None:
            continue
        saved, text_module._esc = text_module._esc, fn
        try:
            out = TemplateIO(html=True)
            out += s
            out(s)
            results = [text_module._escape(s), htmlescape(s).s, (htmltext("") + s).s,
                       (s + htmltext("")).s, htmltext("|").join([s, s]).s,
                       (htmltext("%s") % s).s, (htmltext("%s|%s") % (s, s)).s,
                       htmltext("{}").format(s).s, htmltext("{k}").format(k=s).s,
                       out.getvalue().s]
        finally:
            text_module._esc = saved
        assert results == [expected, expected, expected, expected, expected + "|" + expected,
                           expected, expected + "|" + expected, expected, expected,
                           expected + expected]


def test_a_changed_markupsafe_function_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard around markupsafe's private function: other output or a copy of unchanged
    text (which the `is` tests would take for "escaped") means the Python escape."""
    def check(fn: Callable[[str], str]) -> Any:
        fake = types.ModuleType("markupsafe._speedups")
        fake._escape_inner = fn  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "markupsafe._speedups", fake)
        return text_module._native_escape()

    good = text_module._escape_py
    assert check(lambda s: good(s).replace("&quot;", "&#34;")) is not None
    assert check(lambda s: good(s).replace("&#39;", "&#x27;")) is None  # other entity
    assert check(lambda s: good(s.replace("'", ""))) is None  # ' not escaped
    assert check(lambda s: "".join(good(s))) is None  # a copy when nothing changed
    monkeypatch.setitem(sys.modules, "markupsafe._speedups", None)  # not installed
    assert text_module._native_escape() is None


# -- the fast paths of % and .format: scan the arguments, copy only when needed ----------

def quixote_outcome(fn: Callable[[], Any]) -> Any:
    try:
        return str(fn())
    except Exception as exc:  # the exception type is part of the behaviour
        return type(exc).__name__


class Obj:
    def __str__(self) -> str:
        return "<obj>"

    def __repr__(self) -> str:
        return 'Obj("<&>")'


# No apostrophe in text: Quixote does not escape it (that difference is tested elsewhere).
simple_text = st.text(alphabet=st.sampled_from(list('<>&"ab é')), max_size=6)


def argument(kind: str, text: str, m: Any) -> Any:
    return {"str": text, "ht": m.htmltext(text), "int": len(text), "float": len(text) / 4,
            "bool": bool(text), "none": None, "obj": Obj()}[kind]


arguments = st.lists(st.tuples(st.sampled_from(["str", "str", "str", "int", "float", "ht", "bool",
                                                "none", "obj"]), simple_text),
                     min_size=0, max_size=8)


@DETERMINISTIC
@given(spec=arguments, conv=st.sampled_from(["s", "r", "5s", "-6r", "a"]))
def test_percent_with_many_arguments_matches_quixote(spec: list, conv: str) -> None:
    """Any mix and order of arguments (the scan stops at the first one that needs a
    change, the copy starts there), including the same text twice."""
    spec = spec + spec[:2]  # repeated arguments, equal and identical
    template = "|".join("%" + conv for _ in spec)
    for fn in (text_module._escape_py, NATIVE):
        if fn is None:
            continue
        saved, text_module._esc = text_module._esc, fn
        try:
            ours = quixote_outcome(lambda: htmltext(template) % tuple(
                argument(k, t, J) for k, t in spec))
        finally:
            text_module._esc = saved
        theirs = quixote_outcome(lambda: QC.htmltext(template) % tuple(
            argument(k, t, QC) for k, t in spec))
        assert ours == theirs


@DETERMINISTIC
@given(spec=arguments, conv=st.sampled_from(["", "!r", ":>5", "!s", "!a"]))
def test_format_with_many_arguments_matches_quixote(spec: list, conv: str) -> None:
    spec = spec + spec[:2]
    template = "|".join("{%s}" % conv for _ in spec) + "#" + "|".join(
        "{k%d%s}" % (i, conv) for i in range(len(spec)))
    for fn in (text_module._escape_py, NATIVE):
        if fn is None:
            continue
        saved, text_module._esc = text_module._esc, fn
        try:
            values = [argument(k, t, J) for k, t in spec]
            ours = quixote_outcome(lambda: htmltext(template).format(
                *values, **{"k%d" % i: v for i, v in enumerate(values)}))
        finally:
            text_module._esc = saved
        values = [argument(k, t, QC) for k, t in spec]
        theirs = quixote_outcome(lambda: QC.htmltext(template).format(
            *values, **{"k%d" % i: v for i, v in enumerate(values)}))
        assert ours == theirs


@pytest.mark.parametrize("template,call", [
    ("%s|%r|%s", lambda h, args: h % args),
    ("{}|{!r}|{}", lambda h, args: h.format(*args)),
    ("{a}|{b!r}|{c}", lambda h, args: h.format(a=args[0], b=args[1], c=args[2])),
])
def test_repr_keeps_quixotes_delimiters_after_the_fast_scan(
        esc: Callable[[str], str], template: str, call: Callable) -> None:
    """Text with ' after text that needed no change: its repr still has Quixote's
    delimiters (the ' escaped afterwards), and %s of the same text is plain escaping."""
    args = ("plain", "it's <b>", "it's <b>")
    ours = str(call(htmltext(template), args))
    theirs = str(call(QC.htmltext(template), args))
    assert theirs == "plain|\"it's &lt;b&gt;\"|it's &lt;b&gt;"
    assert ours == theirs.replace("'", "&#39;")


@pytest.mark.parametrize("template", ["%s%s", "%s%r", "%r%s"])
def test_percent_plan_records_repr_conversions(template: str) -> None:
    htmltext(template) % ("a", "b")
    assert text_module._percent_plan[template] is ("%r" in template)


def test_format_plan_records_repr_and_dynamic_specs() -> None:
    for template, flags in [("{}", 0), ("{!r}", text_module._REPR_USED),
                            ("{:{w}}", text_module._DYNAMIC_SPEC),
                            ("{!a:{w}}", text_module._REPR_USED | text_module._DYNAMIC_SPEC)]:
        htmltext(template).format("x", w=3)
        assert text_module._format_plan[template] == flags


def test_tuple_subclass_and_non_tuple_arguments(esc: Callable[[str], str]) -> None:
    from collections import namedtuple

    Pair = namedtuple("Pair", "a b")
    assert str(htmltext("%s|%s") % Pair("<", htmltext("<i>"))) == "&lt;|<i>"
    assert str(htmltext("%s|%d") % Pair("ok", 3)) == "ok|3"
    assert str(htmltext("%s") % "a\"b") == "a&quot;b"
    assert str(htmltext("%s") % htmltext("<i>")) == "<i>"
    assert str(htmltext("%(k)s") % {"k": "<'>"}) == "&lt;&#39;&gt;"
