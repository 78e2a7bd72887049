"""Generated templates rendered by Quixote's PTL and by the converted code agree.

Templates mix literals, F-strings (h-strings in generation 2) with ``!r``/``!s``/``!a``
conversions and format specs, names, None-returning calls, markup-returning calls,
``%`` formatting, ``a; b`` lines, if/else, for, while, try, one-line bodies and explicit
returns; they are rendered on hostile inputs.  Derandomized, so the run is reproducible.
"""

from __future__ import annotations

import textwrap

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptl_harness import call, equivalent, run_jack, run_quixote

LITERALS = [
    "'<p>'", '"a & b"', "'\"quoted\"'", "'plain '", "'{braces}'", "'%s'", "''", "'<br/>\\n'",
    "'<td>%s</td>' % x", "'<b>%d</b>' % len(x)", "', '.join([x, 'y'])", "'<i>{}</i>'.format(x)",
]
F_TEXT = ["<td>", "</td>", " & ", '<a href="', '">', "{{lit}}", "x", "", "\\n"]
F_FIELDS = [
    "{x}", "{x!r}", "{x!s}", "{x!a}", "{x:>12}", "{x:<3}", "{n:.2f}", "{n:>8}", "{n!r}", "{n:08.3f}",
    '{x + "y"}', "{len(x)}", "{none_value}", "{mk(x)}", "{n:{width}}",
]
EXPRESSIONS = ["x", "n", "none_value", "mk(x)", "nothing()", "sink.append(x)", "x * 2", "[x, n]", "(x, )"]


@st.composite
def fstring(draw):
    parts = draw(st.lists(st.one_of(st.sampled_from(F_TEXT), st.sampled_from(F_FIELDS)), min_size=1, max_size=5))
    return "F'" + "".join(parts) + "'"


@st.composite
def simple_statement(draw):
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(st.sampled_from(LITERALS))
    if kind == 1:
        return draw(fstring())
    if kind == 2:
        return draw(st.sampled_from(EXPRESSIONS))
    if kind == 3:
        return draw(fstring()) + " % " + draw(st.sampled_from(["x", "(x,)", "n"]))
    if kind == 4:
        return draw(st.sampled_from(["x + ", "mk(x) + "])) + draw(fstring())
    return draw(st.sampled_from(LITERALS)) + " + " + draw(st.sampled_from(LITERALS))


def block(depth: int):
    simple = st.builds(lambda s: [s], simple_statement())
    semicolons = st.builds(lambda a, b: [a + "; " + b], simple_statement(), simple_statement())
    ret = st.sampled_from(["return", "return x", "return n", "return F'<r>{x}</r>'", "return none_value"]).map(
        lambda r: [r]
    )
    options = [simple, simple, simple, semicolons]
    if depth < 2:
        inner = block(depth + 1)
        options += [
            st.builds(lambda c, a, b: [f"if {c}:", *indent(a), "else:", *indent(b)], st.sampled_from(["n > 1", "x", "not x"]), inner, inner),
            st.builds(lambda a: ["for i in range(2):", *indent(a)], inner),
            st.builds(lambda a: ["k = 0", "while k < 2:", "    k += 1", *indent(a)], inner),
            st.builds(lambda a, b: ["try:", *indent(a), "    x[100]", "except (IndexError, TypeError):", *indent(b)], inner, inner),
            st.builds(lambda a: ["def nested():", *indent(a), "    return x", "nested()"], inner),
        ]
    statements = st.lists(st.one_of(*options), min_size=1, max_size=4).map(lambda groups: [l for g in groups for l in g])
    return st.tuples(statements, st.sampled_from([[], [], [], []] + [r for r in [["return x"]]]) | ret).map(
        lambda sr: sr[0] + sr[1]
    ) if depth else statements


def indent(lines):
    return ["    " + line for line in lines]


PRELUDE = {
    3: "from quixote.ptl import ptl_html, ptl_plain\n\n@ptl_html\ndef mk(v):\n    F'<m>{v}</m>'\n",
    2: "def mk [html] (v):\n    h'<m>{v}</m>'\n",
    1: "# jackmigrate: ptl-generation=1\ndef mk [html] (v):\n    '<m>'\n    v\n    '</m>'\n",
}
COMMON = textwrap.dedent(
    """
    none_value = None
    width = 7
    sink = []

    def nothing():
        return None
    """
)


def module_source(generation: int, kind: str, body: list[str], one_line: bool) -> str:
    if generation == 3:
        header = f"@ptl_{kind}\ndef t(x, n):"
    else:
        header = f"def t [{kind}] (x, n):"
    if generation == 2:
        body = [line.replace("F'", "h'") for line in body]
    if one_line and all(":" not in line.split("'")[0] for line in body) and not any(l.startswith(" ") for l in body):
        text = header + " " + "; ".join(body) + "\n"
    else:
        text = header + "\n" + "\n".join(indent(body)) + "\n"
    return PRELUDE[generation] + COMMON + "\n" + text


QUOTELESS = st.text(alphabet='<>&"ab ;/\n', max_size=12)
ANY_TEXT = st.text(alphabet='<>&"\'ab ;/\n', max_size=12)
NUMBERS = st.one_of(st.integers(-1000, 1000), st.floats(-1e4, 1e4, allow_nan=False), st.none())


def check(generation: int, kind: str, body: list[str], one_line: bool, xs: list, ns_: list) -> None:
    source = module_source(generation, kind, body, one_line)
    quixote_ns = run_quixote(source, generation, "generated")
    jack_ns, result = run_jack(source, "generated")
    assert result.generation == generation, (result.findings, source)
    for x, n in zip(xs, ns_):
        quixote_ns["sink"].clear()
        jack_ns["sink"].clear()
        expected, got = call(quixote_ns["t"], x, n), call(jack_ns["t"], x, n)
        if isinstance(expected, ValueError) and "Invalid format specifier" in str(expected):
            continue  # Quixote's own '{:spec!r}' bug; the converted code formats (tested apart)
        assert equivalent(expected, got), f"\n{source}\n{result.code}\nx={x!r} n={n!r}\nquixote={expected!r}\njack={got!r}"


def _inputs():
    return st.tuples(st.lists(ANY_TEXT, min_size=3, max_size=3), st.lists(NUMBERS, min_size=3, max_size=3))


def _strip_quotes_if_repr(body, xs):
    # repr() of a value Jack escaped with &#39; chooses other quote characters than
    # Quixote's: compare !r/!a/repr-like outputs on values without a single quote.
    if any(token in line for line in body for token in ("!r", "!a", "[x, n]", "(x, )", "x[100]")):
        return [x.replace("'", "") for x in xs]
    return xs


SETTINGS = settings(
    max_examples=30, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


@SETTINGS
@given(body=block(0), kind=st.sampled_from(["html", "html", "plain"]), one_line=st.booleans(), inputs=_inputs())
def test_generation_3_templates_agree(body, kind, one_line, inputs):
    xs, ns_ = inputs
    check(3, kind, body, one_line, _strip_quotes_if_repr(body, xs), ns_)


@SETTINGS
@given(body=block(0), kind=st.sampled_from(["html", "html", "plain"]), one_line=st.booleans(), inputs=_inputs())
def test_generation_2_templates_agree(body, kind, one_line, inputs):
    xs, ns_ = inputs
    check(2, kind, body, one_line, _strip_quotes_if_repr(body, xs), ns_)


@SETTINGS
@given(body=block(0), kind=st.sampled_from(["html", "html", "plain"]), one_line=st.booleans(), inputs=_inputs())
def test_generation_1_templates_agree(body, kind, one_line, inputs):
    xs, ns_ = inputs
    check(1, kind, body, one_line, _strip_quotes_if_repr(body, xs), ns_)
