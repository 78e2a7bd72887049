"""Differential tests: jack_runtime.html against Quixote 3.8's htmltext, both of its
implementations (the C extension, which ``quixote.html`` uses, and the pure-Python one).

Every operation is run on both with the same data; results (type, text) or exception
types must agree.  Generated text has no apostrophe: Jack escapes it as ``&#39;`` and
Quixote does not (that documented difference is tested in test_html_behaviour.py).
"""
from __future__ import annotations

from typing import Any, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import jack_runtime.html as J
import quixote.html as QH
from quixote.html import _c_htmltext as QC
from quixote.html import _py_htmltext as QP
from html_escapes import escape_function  # noqa: F401  (autouse: both escapes)

# Fixed seeds: the same examples on every run (and no example database to share).
DETERMINISTIC = settings(derandomize=True, database=None, deadline=None)

# Text rich in the characters escaping is about, plus arbitrary unicode; no apostrophe.
special = st.text(alphabet=st.sampled_from(list('<>&"ab %{}\n\\\x00é€') + ["\U0001d11e"]), max_size=12)
texts = st.one_of(special, st.text(max_size=12)).map(lambda s: s.replace("'", ""))
numbers = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, width=32), st.booleans())



class Obj:
    """An arbitrary object: formatted through str()/repr(), both with special characters."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return "<obj %s>" % self.text

    def __repr__(self) -> str:
        return 'Obj("%s")' % self.text


def outcome(fn: Callable[[], Any]) -> tuple:
    try:
        value = fn()
    except Exception as exc:  # the exception type is part of the behaviour
        return ("raises", type(exc).__name__)
    if type(value).__name__ == "htmltext":
        return ("htmltext", str(value))
    return (type(value).__name__, value)


def same(op: Callable[[Any], Any], *, py_too: bool = True) -> None:
    """``op(module)`` on Jack equals it on Quixote's C htmltext (and pure-Python one)."""
    jack = outcome(lambda: op(J))
    assert jack == outcome(lambda: op(QC))
    if py_too:
        assert jack == outcome(lambda: op(QP))


def wrap(m: Any, kind: str, text: str) -> Any:
    """A value of ``kind`` built with module ``m``'s types."""
    return {"str": text, "ht": m.htmltext(text) if hasattr(m, "htmltext") else text,
            "obj": Obj(text), "list": [Obj(text), 1], "none": None}[kind]


kinds = st.sampled_from(["str", "ht", "obj", "list", "none"])


@DETERMINISTIC
@given(a=texts, b=texts, ka=kinds, kb=kinds)
def test_concatenation(a: str, b: str, ka: str, kb: str) -> None:
    same(lambda m: wrap(m, ka, a) + wrap(m, kb, b) if "ht" in (ka, kb) else m.htmltext(a) + b)


@DETERMINISTIC
@given(a=texts, n=st.integers(-2, 4))
def test_repeat(a: str, n: int) -> None:
    same(lambda m: m.htmltext(a) * n)
    same(lambda m: n * m.htmltext(a), py_too=False)  # Quixote's Python type lacks __rmul__


PERCENT_TEMPLATES = ["%s", "[%s|%s]", "%5s|%-7s", "%.3s", "%r", "%d", "%x %o", "%.2f %e %g",
                     "%3d%%", "%s %r %s", "%10r", "%a"]


@DETERMINISTIC
@given(template=st.sampled_from(PERCENT_TEMPLATES), args=st.lists(
    st.tuples(kinds, texts) | numbers, min_size=1, max_size=3), single=st.booleans())
def test_percent_formatting(template: str, args: list, single: bool) -> None:
    def op(m: Any) -> Any:
        values = tuple(a if not isinstance(a, tuple) else wrap(m, a[0], a[1]) for a in args)
        return m.htmltext(template) % (values[0] if single else values)

    same(op)


@DETERMINISTIC
@given(a=texts, b=texts, n=numbers)
def test_percent_mapping(a: str, b: str, n: Any) -> None:
    same(lambda m: m.htmltext("%(a)s|%(b)10s|%(n)s|%(a)r") % {"a": a, "b": m.htmltext(b), "n": n})
    same(lambda m: m.htmltext("%(x)s") % {"y": a})


FORMAT_TEMPLATES = ["{}", "{}|{}", "{0}{0}", "{!r}", "{!s}", "{!a}", "{:>8}", "{:^9}|{:<3}",
                    "{:.2f}", "{:d}", "{:x}", "{0!r:>12}", "{:*^10}", "{:.3}"]


@DETERMINISTIC
@given(template=st.sampled_from(FORMAT_TEMPLATES), args=st.lists(
    st.tuples(kinds, texts) | numbers, min_size=1, max_size=2))
def test_format_method(template: str, args: list) -> None:
    def op(m: Any) -> Any:
        values = [a if not isinstance(a, tuple) else wrap(m, a[0], a[1]) for a in args]
        return m.htmltext(template).format(*values)

    same(op)


@DETERMINISTIC
@given(a=texts, b=texts, n=numbers)
def test_format_keywords_and_items(a: str, b: str, n: Any) -> None:
    same(lambda m: m.htmltext("{x}|{y:>5}|{z}").format(x=a, y=m.htmltext(b), z=n))
    same(lambda m: m.htmltext("{0[k]}|{0[n]}").format({"k": a, "n": n}))


@DETERMINISTIC
@given(sep=texts, items=st.lists(st.tuples(st.sampled_from(["str", "ht", "obj", "none"]), texts),
                                  max_size=4))
def test_join(sep: str, items: list) -> None:
    # The error type agrees; the C message differs from the Python one.
    same(lambda m: m.htmltext(sep).join(wrap(m, k, t) for k, t in items))


@DETERMINISTIC
@given(a=texts, b=texts, kb=st.sampled_from(["str", "ht", "none"]))
def test_string_methods(a: str, b: str, kb: str) -> None:
    same(lambda m: m.htmltext(a).startswith(wrap(m, kb, b)))
    same(lambda m: m.htmltext(a).endswith(wrap(m, kb, b)))
    same(lambda m: m.htmltext(a).replace(wrap(m, kb, b), "<&>"))
    same(lambda m: m.htmltext(a).replace(b, m.htmltext("<i>"), 1))
    for method in ("lower", "upper", "capitalize"):
        same(lambda m: getattr(m.htmltext(a), method)())


@DETERMINISTIC
@given(a=texts, b=texts, kb=st.sampled_from(["str", "ht"]))
def test_comparison_and_hash(a: str, b: str, kb: str) -> None:
    for cmp in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
        import operator

        fn = getattr(operator, cmp)
        same(lambda m: fn(m.htmltext(a), wrap(m, kb, b)), py_too=cmp in ("__eq__", "__lt__"))
    same(lambda m: hash(m.htmltext(a)) == hash(a))
    same(lambda m: (len(m.htmltext(a)), bool(m.htmltext(a)), str(m.htmltext(a)), repr(m.htmltext(a))))
    same(lambda m: {m.htmltext(a): 1}.get(a))
    same(lambda m: (format(m.htmltext(a), ""), "%s" % m.htmltext(a), "{}".format(m.htmltext(a))))


@DETERMINISTIC
@given(value=st.one_of(texts, numbers, st.none(), texts.map(Obj)), kind=st.booleans())
def test_htmlescape_and_templateio(value: Any, kind: bool) -> None:
    same(lambda m: m.htmlescape(value))
    same(lambda m: m.htmlescape(m.htmltext(str(value))))

    def fill(m: Any) -> Any:
        out = m.TemplateIO(html=kind)
        out += value
        out += m.htmltext("<b>")
        out(value)
        out += None
        out(None)
        return (out.getvalue(), str(out))

    same(fill)


@DETERMINISTIC
@given(values=st.lists(st.one_of(texts, numbers, st.none()), max_size=4))
def test_q_format_and_q_join(values: list) -> None:
    conversions = [-1, ord("r"), ord("s"), ord("a")]
    for value in values:
        for conversion in conversions:
            same(lambda m: QH._q_format(value, conversion) if m is not J else J._q_format(value, conversion),
                 py_too=False)
        same(lambda m: QH._q_format(value, -1, ">9") if m is not J else J._q_format(value, -1, ">9"),
             py_too=False)
    same(lambda m: (QH._q_join if m is not J else J._q_join)(
        *[m.htmltext("<p>")] + [str(v) for v in values]), py_too=False)


@DETERMINISTIC
@given(tag=st.sampled_from(["a", "input", "td"]), value=texts, css=st.one_of(st.none(), texts),
       xml_end=st.booleans())
def test_htmltag_and_helpers(tag: str, value: str, css: Any, xml_end: bool) -> None:
    def helpers(m: Any) -> Any:
        valueless = m.ValuelessAttr
        return [str(m.htmltag(tag, xml_end=xml_end, css_class=css, title=value, checked=valueless,
                              skip=None, n=3, h=m.htmltext(value))),
                str(m.href(value, value, title=css)), str(m.href("/x", m.htmltext(value))),
                str(m.url_with_query(value, z=value, a=3)), str(m.url_with_query(value)),
                str(m.nl2br(value + "\n" + value)), m.url_quote(value), m.url_quote(None, "fb"),
                str(m.js_escape(value + "</script>")), str(m.htmltemplate().getvalue())]

    jack = helpers(J)
    assert jack == helpers(QH)
    assert type(J.url_with_query("/a", b=1)) is J.htmltext


def test_url_quote_none_raises_like_quixote() -> None:
    same(lambda m: (QH if m is not J else J).url_quote(None), py_too=False)


def test_fixed_examples_from_the_reference() -> None:
    """The verified outputs of the semantics reference, §8.2/8.4, on Jack."""
    ht = J.htmltext
    assert str(ht("[%5s]") % "<") == "[ &lt;]"
    assert str(ht("%r") % "<") == "'&lt;'"
    assert str(ht("{:>6}").format("<")) == "  &lt;"
    assert str(ht("%s") % None) == "None"
    assert str(ht("a<b>").replace("<b>", "x")) == "a<b>"
    assert ht("&lt;b").startswith("<")
    assert str(J.url_with_query("/f/b", b="3 4", a=1)) == "/f/b?a=1&amp;b=3%204"
    assert str(J._q_format(3.5, -1, ".2f")) == "3.50"
    assert str(J._q_format("<x>", ord("r"))) == "'&lt;x&gt;'"
    with pytest.raises(TypeError):
        ht("%d") % "5"
    with pytest.raises(TypeError):
        ht("a") + None
    with pytest.raises(TypeError):
        "".join([ht("a")])
    with pytest.raises(TypeError):
        format(ht("a"), ">5")
    with pytest.raises(TypeError):
        ht("ab")[0]
    with pytest.raises(TypeError):
        "a" in ht("ab")
    assert not isinstance(ht("a"), str)
