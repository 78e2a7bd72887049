"""Property tests: whatever the data, no ``<``, ``>``, ``&``, ``"`` or ``'`` from a value that
is not htmltext reaches the output unescaped, through ``+``, ``%``, ``.format``, ``.join``,
``TemplateIO``, ``htmlescape`` or the PTL f-string helpers.

The trusted parts (templates, separators) are made of characters that need no escaping,
so any special character left in the output after removing the five entities Jack writes
came from a value.
"""
from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jack_runtime.html import TemplateIO, _q_format, _q_join, htmlescape, htmltext
from html_escapes import escape_function  # noqa: F401  (autouse: both escapes)

# Fixed seeds: the same examples on every run (and no example database to share).
DETERMINISTIC = settings(derandomize=True, database=None, deadline=None, max_examples=200)


ENTITY = re.compile(r"&(?:amp|lt|gt|quot|#39);")
SPECIAL = set("<>&\"'")


def assert_clean(text: str) -> None:
    rest = ENTITY.sub("", text)
    leaked = SPECIAL.intersection(rest)
    assert not leaked, "unescaped %r in %r" % (leaked, text)


def assert_clean_repr(text: str) -> None:
    """A repr()/ascii() of escaped text: its own quote delimiters are not from the value.

    As in Quixote, repr() picks ``"`` delimiters when the text holds a ``'``."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    assert_clean(text)


class Shouty:
    """An object whose str() and repr() are full of markup."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return "<b class=\"x\">'%s'&amp;</b>" % self.text

    def __repr__(self) -> str:
        return "Shouty('<%s>')" % self.text


class EvilInt(int):
    """A number whose str() is markup (Quixote passes int subclasses through unescaped)."""

    def __str__(self) -> str:
        return "<script>'1'</script>"

    __repr__ = __str__


class EvilStr(str):
    """A str subclass whose methods lie."""

    def replace(self, *args: Any) -> str:  # type: ignore[override]
        return str(self)

    def __str__(self) -> str:
        return "<i>"


markup_text = st.lists(st.sampled_from(list("<>&\"'abc ;#%{}\\\n") + ["&amp;", "&#39;"]),
                       max_size=12).map("".join)
# Text with exactly one kind of special character, so a missed character cannot hide
# behind another that triggers escaping.
one_special = st.sampled_from(list("<>&\"'")).flatmap(
    lambda c: st.lists(st.sampled_from(["a", " ", c]), min_size=1, max_size=6).map("".join))
text = st.one_of(one_special, markup_text, st.text(max_size=20))
# Half of the values are plain text, the case that matters most.
values = st.one_of(text, st.one_of(
    text.map(Shouty), text.map(EvilStr), st.integers().map(EvilInt),
    st.integers(), st.floats(), st.booleans(), st.none(),
    st.lists(text, max_size=3), st.dictionaries(text, text, max_size=2), st.tuples(text, text),
))


@DETERMINISTIC
@given(value=text)
def test_concatenation(value: str) -> None:
    assert_clean(str(htmltext("[") + value)[1:])
    assert_clean(str(value + htmltext("]"))[:-1])
    assert_clean(str(htmltext("") + EvilStr(value)))


@DETERMINISTIC
@given(value=values, template=st.sampled_from(["%s", "%5s", "%-12s", "%(k)s"]))
def test_percent(value: Any, template: str) -> None:
    if template == "%(k)s":
        out = htmltext("(" + template + ")") % {"k": value}
    else:
        out = htmltext("(" + template + ")") % (value,)
    assert_clean(str(out)[1:-1])


@DETERMINISTIC
@given(value=values, template=st.sampled_from(["%r", "%a", "%8r"]))
def test_percent_repr(value: Any, template: str) -> None:
    assert_clean_repr(str(htmltext(template) % (value,)).strip())


@DETERMINISTIC
@given(value=values)
def test_percent_precision_never_leaks_markup(value: Any) -> None:
    # Precision can cut an entity short (as in Quixote) but never leaves <, >, " or '.
    out = str(htmltext("%.3s") % (value,))
    assert not set("<>\"'").intersection(out)


@DETERMINISTIC
@given(value=values, template=st.sampled_from(["{}", "{!s}", "{:>9}", "{0}{0}", "{x}"]))
def test_format(value: Any, template: str) -> None:
    try:
        out = htmltext("(" + template + ")").format(value, x=value)
    except TypeError:
        return  # a spec the value's type refuses (e.g. '>9' for a list): nothing output
    assert_clean(str(out)[1:-1])


@DETERMINISTIC
@given(value=values, template=st.sampled_from(["{!r}", "{!a}"]))
def test_format_repr(value: Any, template: str) -> None:
    assert_clean_repr(str(htmltext(template).format(value)))


@DETERMINISTIC
@given(items=st.lists(st.one_of(text, text.map(EvilStr)), max_size=5))
def test_join(items: list) -> None:
    for part in str(htmltext("|").join(items)).split("|"):
        assert_clean(part)


@DETERMINISTIC
@given(items=st.lists(values, max_size=6))
def test_templateio_and_htmlescape(items: list) -> None:
    out = TemplateIO(html=True)
    for item in items:
        out += item
        out(item)
        assert_clean(str(htmlescape(item)))
    assert_clean(str(out.getvalue()))


@DETERMINISTIC
@given(value=values, conversion=st.sampled_from([-1, ord("s")]),
       spec=st.sampled_from([None, "", ">10", "<3"]))
def test_q_format_and_q_join(value: Any, conversion: int, spec: Any) -> None:
    try:
        part = _q_format(value, conversion, spec)
    except TypeError:
        return
    assert_clean(str(part))
    assert_clean(str(_q_join(part, str(value), value if isinstance(value, str) else "")))


@DETERMINISTIC
@given(value=values)
def test_q_format_repr(value: Any) -> None:
    assert_clean_repr(str(_q_format(value, ord("r"))))


@pytest.mark.parametrize("char", list("<>&\"'"))
def test_text_with_one_kind_of_special_character(char: str) -> None:
    """Each character alone (another one present could trigger escaping by itself)."""
    strategy = st.lists(st.sampled_from(["a", " ", "é", char]), min_size=1, max_size=8).map("".join)

    @DETERMINISTIC
    @given(value=strategy, other=st.sampled_from(["", "b", 3, None, 2.5]))
    def check(value: str, other: Any) -> None:
        out = TemplateIO(html=True)
        out += value
        out(other)
        for result in (htmltext("") + value, value + htmltext(""), htmltext("%s|%5s") % (value, other),
                       htmltext("%s") % value, htmltext("{}|{}").format(value, other),
                       htmltext("{v}{o}").format(v=value, o=other), htmltext("|").join([value]),
                       htmlescape(value), _q_format(value, -1, ">3"), out.getvalue()):
            assert char not in ENTITY.sub("", str(result))

    check()


@pytest.mark.parametrize("value", ["'", "\"", "<", ">", "&"])
def test_every_special_character_is_escaped(value: str) -> None:
    by_iadd, by_call = TemplateIO(html=True), TemplateIO(html=True)
    by_iadd += value
    by_call(value)
    results = [htmlescape(value), htmltext("") + value, value + htmltext(""),
               htmltext("%s") % value, htmltext("%s%s") % (value, ""),
               htmltext("%(v)s") % {"v": value}, htmltext("{}").format(value),
               htmltext("{v}").format(v=value), htmltext("{}{}").format(value, ""),
               htmltext("").join([value]), _q_format(value), _q_join(value),
               htmltext("").replace("", value), by_iadd.getvalue(), by_call.getvalue()]
    expected = {"'": "&#39;", '"': "&quot;", "<": "&lt;", ">": "&gt;", "&": "&amp;"}[value]
    assert [str(result) for result in results] == [expected] * len(results)
