"""parse_cookies' fast path for the browser form (``a=b; c="d"``) against its general parser
(and Quixote's): the same dict for every header, near-misses included."""
from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from quixote import http_request as qreq

from jack_runtime.http import request as jreq

# Pieces a header is made of, biased towards what sits next to the fast path's grammar:
# token names, "$" attributes, quoted and plain values, and the characters that must send a
# header to the general parser (blanks, tabs, commas, backslashes, quotes, non-ASCII).
NAMES = st.one_of(
    st.sampled_from(["a", "QX_session", "_ga", "$Path", "$Version", "a$b", "n-1.x", "é", ""]),
    st.text(alphabet="ab$_-.!#'*|~\"\\=", min_size=1, max_size=4),
)
PLAIN = st.text(alphabet="xY09-._:/=+!#$%&'()*<>?@[]^`{|}~", max_size=6)
VALUES = st.one_of(
    PLAIN,
    PLAIN.map(lambda v: '"%s"' % v),
    st.text(alphabet='ab "\\,;\t=é\x7f\x00', max_size=6),
    st.text(alphabet='ab "\\', max_size=4).map(lambda v: '"%s"' % v),
    st.sampled_from(['"', '"a', 'a"', '""', '"a"b', '"\\"', '"\\\\"']),
)
SEPARATORS = st.sampled_from(["; ", ";", "; ", ", ", ",", " ;", ";;", ";  ", "\t", "; \t",
                              " ", ";\n", "\u00a0"])
PAIRS = st.tuples(NAMES, st.sampled_from(["=", "=", "=", " =", "= ", ""]), VALUES)


@st.composite
def headers(draw: st.DrawFn) -> str:
    pairs = draw(st.lists(PAIRS, min_size=1, max_size=5))
    seps = [draw(SEPARATORS) for _ in pairs]
    text = "".join(name + eq + value + sep for (name, eq, value), sep in zip(pairs, seps))
    if draw(st.booleans()):  # most headers do not end with a separator
        text = text[: -len(seps[-1])]
    return draw(st.sampled_from(["", " ", "\t"])) + text if draw(st.booleans()) else text


@given(headers())
@example('QX_session="H7Qnuy6rRfpFaIxdcEHnLQ"')
@example("a=b;")
@example("a=b; ")
@example("a=; b=")
@example("a=1; a=2")
@example('a=""; b="x"')
@example("$Path=/; a=b")
@example("a=b; $Path=/")
@example("a=b, c=d")
@example("a=b;\tc=d")
@example("a = b")
@example('a="b\\"c"')
@example('a="b"c')
@example("a=é")
@example("a")
@example("a=b;  c=d")
@settings(max_examples=1500, deadline=None)
def test_fast_path_gives_the_general_parsers_result(text: str) -> None:
    expected = jreq._parse_cookies_general(text)
    assert jreq.parse_cookies(text) == expected
    assert expected == qreq.parse_cookies(text)


@pytest.mark.parametrize("text, expected", [
    ('QX_session="H7Qnuy6rRfpFaIxdcEHnLQ"', {"QX_session": "H7Qnuy6rRfpFaIxdcEHnLQ"}),
    ("_ga=GA1.1.1234.5678; QX_session=\"abc\"; theme=dark",
     {"_ga": "GA1.1.1234.5678", "QX_session": "abc", "theme": "dark"}),
    ("a=b;c=d", {"a": "b", "c": "d"}),
    ("a=; b=x=y", {"a": "", "b": "x=y"}),
    ("a=1; a=2", {"a": "2"}),
])
def test_browser_headers_take_the_fast_path(text: str, expected: dict) -> None:
    # the fast path must actually serve the common form, not just agree when it is skipped
    fast = jreq._SIMPLE_COOKIES_RE if ";" in text else jreq._ONE_COOKIE_RE
    assert fast.fullmatch(text) is not None
    assert jreq.parse_cookies(text) == expected


@pytest.mark.parametrize("text, expected", [
    ('QX_session="H7Qnuy6rRfpFaIxdcEHnLQ"', {"QX_session": "H7Qnuy6rRfpFaIxdcEHnLQ"}),
    ("QX_session=H7Qnuy6rRfpFaIxdcEHnLQ", {"QX_session": "H7Qnuy6rRfpFaIxdcEHnLQ"}),
    ('a=""', {"a": ""}),
    ("a=", {"a": ""}),
    ("a=x=y", {"a": "x=y"}),
])
def test_a_single_cookie_takes_the_one_cookie_path(text: str, expected: dict) -> None:
    assert jreq._ONE_COOKIE_RE.fullmatch(text) is not None
    assert jreq.parse_cookies(text) == expected == jreq._parse_cookies_general(text)


@pytest.mark.parametrize("text", [
    "a=b;", "$Path=/; a=b", "a=b, c=d", "a=b;\tc=d", "a = b", 'a="b\\"c"', 'a="b"c', "a=é",
    "a", "a=b;  c=d", " a=b", 'a="b', "a=b c", "$Path=/", 'a=""x', "a=b,",
])
def test_near_misses_take_the_general_path(text: str) -> None:
    assert jreq._SIMPLE_COOKIES_RE.fullmatch(text) is None
    assert jreq._ONE_COOKIE_RE.fullmatch(text) is None
    assert jreq.parse_cookies(text) == qreq.parse_cookies(text)
