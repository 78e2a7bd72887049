"""literal_value gives exactly libcst's evaluated_value (which compiles each literal)."""

import itertools

import libcst as cst
import pytest
from hypothesis import given, strategies as st

from jackmigrate.literals import literal_value

PREFIXES = ["", "r", "b", "rb", "u", "R", "Br", "BR", "bR"]
QUOTES = ["'", '"', "'''", '"""']
BODIES = ["", "a", "\\n", "\\\\", "\\'", 'x"y', "é", "\\xe9", "a\r\nb", "a\rb", "{}", "\\N{BULLET}",
          "\\u1234", "\t", "\\\n", "\\r", "<a href='x'>&amp;</a>"]


def _outcome(fn, node):
    try:
        value = fn(node)
    except Exception as exc:  # noqa: BLE001 - the error itself is compared
        return ("error", type(exc))
    return (type(value), value)


def _literals():
    for prefix, quote, body in itertools.product(PREFIXES, QUOTES, BODIES):
        source = f"{prefix}{quote}{body}{quote}"
        try:
            node = cst.parse_expression(source)
        except cst.ParserSyntaxError:
            continue
        if isinstance(node, cst.SimpleString):
            yield source, node


@pytest.mark.parametrize("source,node", list(_literals()), ids=repr)
def test_same_as_evaluated_value(source, node):
    assert _outcome(literal_value, node) == _outcome(lambda n: n.evaluated_value, node)


@given(st.text(alphabet="ab\\'\"\r\n\té{}xN", max_size=12), st.sampled_from(PREFIXES), st.sampled_from(QUOTES))
def test_same_as_evaluated_value_generated(body, prefix, quote):
    try:
        node = cst.parse_expression(f"{prefix}{quote}{body}{quote}")
    except (cst.ParserSyntaxError, Exception):
        return
    if isinstance(node, cst.SimpleString):
        assert _outcome(literal_value, node) == _outcome(lambda n: n.evaluated_value, node)
