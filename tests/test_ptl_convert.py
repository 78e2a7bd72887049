"""jackmigrate.ptl.convert_ptl: the shape of the converted code, generation detection,
the defects of Quixote's own converters (absent here) and unconvertible files."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest
import quixote.html as qhtml

import jack_runtime.html as jhtml
from jackmigrate.ptl import PtlError, convert_ptl
from jackmigrate.source import SourceError
from ptl_harness import equivalent, run_jack, run_quixote


def convert(source: str, **kw):
    return convert_ptl(textwrap.dedent(source), "page.ptl", **kw)


def test_libcst_reads_bracket_templates_as_type_parameters_so_they_are_removed_first():
    # libcst 1.9 accepts `def f [html] (x)` as a PEP 695 type-parameter list: parsing
    # alone would silently lose the template kind.  The pre-pass records and removes it.
    module = cst.parse_module("def f [html] (x):\n    '<p>'\n")
    assert module.body[0].type_parameters is not None
    result = convert("def f [html] (x):\n    '<p>'\n")
    assert "[html]" not in result.code and "def f(x):" in result.code
    assert result.templates == [("f", "html", 1)]


def test_converted_code_is_plain_python_with_an_explicit_accumulator():
    result = convert(
        """\
        from quixote.ptl import ptl_html

        @ptl_html
        def page(title):
            F'<h1>{title}</h1>'
        """
    )
    assert result.code == textwrap.dedent(
        """\
        from jack_runtime.html import TemplateIO, htmltext

        def page(title):
            out = TemplateIO(html=True)
            out += htmltext('<h1>{title}</h1>').format(title=title)
            return out.getvalue()
        """
    )
    for forbidden in ("_q_", "exec", "enable_ptl", "ptl_html", "import_hook"):
        assert forbidden not in result.code


def test_positional_fields_for_expressions_named_fields_for_names():
    code = convert("@ptl_html\ndef f(row, n):\n    F'<td>{row.name}</td><td>{n:>4}</td>'\n").code
    assert "htmltext('<td>{}</td><td>{:>4}</td>').format(row.name, n)" in code
    code = convert("@ptl_html\ndef f(a, b):\n    F'{a}{b}{a}'\n").code
    assert "htmltext('{a}{b}{a}').format(a=a, b=b)" in code


def test_accumulator_name_never_shadows_a_name_of_the_template():
    result = convert("@ptl_html\ndef f(out):\n    out\n    F'<b>'\n")
    assert "output = TemplateIO(html=True)" in result.code and "output += out" in result.code
    ns, _ = run_jack("from quixote.ptl import ptl_html\n@ptl_html\ndef f(out):\n    out\n")
    assert str(ns["f"]("<x>")) == "&lt;x&gt;"


def test_quixote_converter_defects_are_absent():
    # tools/ptl_to_py.py corrupts `"z = "; z`, mis-indents one-line bodies and drops the
    # output of calls named add/update; none of that here.
    source = textwrap.dedent(
        """\
        from quixote.ptl import ptl_html

        @ptl_html
        def add(x): F'<b>{x}</b>'

        @ptl_html
        def page(z):
            "z = "; z
            add(z)
        """
    )
    result = convert_ptl(source, "p.ptl")
    assert 'out += "z = "; out += z' in result.code
    assert "out += add(z)" in result.code
    ns, _ = run_jack(source)
    assert str(ns["page"]("<1>")) == "z = &lt;1&gt;<b>&lt;1&gt;</b>"


def test_other_decorators_are_kept_and_template_decorator_imports_dropped():
    result = convert(
        """\
        from quixote.directory import export
        from quixote.ptl import ptl_html, ptl_plain, compile_package

        class Root:
            @export(name='')
            @ptl_html
            def index(self):
                F'<p>hi</p>'
        """
    )
    assert "@export(name='')\n    def index(self):" in result.code
    assert "from quixote.ptl import compile_package\n" in result.code
    assert "ptl_html" not in result.code and "ptl_plain" not in result.code


def test_template_decorator_import_kept_while_still_used():
    result = convert("from quixote.ptl import ptl_html\n@ptl_html\ndef f():\n    'x'\nalso = ptl_html\n")
    assert "from quixote.ptl import ptl_html" in result.code


@pytest.mark.parametrize(
    "imports, decorator",
    [
        ("from quixote.ptl import ptl_html as html_template", "html_template"),
        ("import quixote.ptl", "quixote.ptl.ptl_html"),
        ("from quixote import ptl", "ptl.ptl_html"),
        ("import quixote.ptl as P", "P.ptl_html"),
    ],
)
def test_aliased_and_dotted_decorators_are_templates_and_flagged(imports, decorator):
    source = f"{imports}\n\n@{decorator}\ndef f(x):\n    F'<p>{{x}}</p>'\n    x\n"
    result = convert_ptl(source, "p.ptl", review_comment=lambda m: "# TODO(review): " + m)
    assert result.templates == [("f", "html", 4)]
    review = [f for f in result.findings if f.kind == "review"]
    assert len(review) == 1 and "Quixote 3.8 only recognised a bare" in review[0].message
    assert "# TODO(review): f: decorator" in result.code
    assert f"@{decorator}" not in result.code
    # Rendered as the bare decorator would have been (what the author meant).
    intended = run_quixote(f"from quixote.ptl import ptl_html\n@ptl_html\ndef f(x):\n    F'<p>{{x}}</p>'\n    x\n", 3)
    ns, _ = run_jack(source)
    assert equivalent(intended["f"]("<&>"), ns["f"]("<&>"))


def test_bare_decorator_is_recognised_without_import_like_quixote():
    result = convert("def ptl_html(f):\n    return f\n@ptl_html\ndef f():\n    '<p>'\n")
    assert result.templates == [("f", "html", 4)]


def test_quixote_html_imports_point_at_jack_and_helpers_merge_into_them():
    result = convert("from quixote.html import htmltext, href\n@ptl_html\ndef f():\n    F'<p>'\n")
    assert result.code.startswith("from jack_runtime.html import htmltext, href, TemplateIO\n")


def test_future_imports_and_docstring_stay_first():
    result = convert('"""Doc."""\nfrom __future__ import annotations\n@ptl_html\ndef f():\n    F"<p>"\n')
    assert result.code.startswith('"""Doc."""\nfrom __future__ import annotations\nfrom jack_runtime.html import')


def test_conversion_is_idempotent():
    for source in (
        "from quixote.ptl import ptl_html\n@ptl_html\ndef f(x):\n    F'<p>{x}</p>'\n",
        "def f [html] (x):\n    '<p>'\n    x\n",
        "def f [html] (x):\n    h'<p>{x}</p>'\n",
    ):
        once = convert_ptl(source, "p.ptl").code
        assert convert_ptl(once, "p.ptl").code == once


def test_line_numbers_survive_the_pre_pass():
    source = "x = 1\n\n\ndef f [html] (a):\n    h'<b>'\n    a\n"
    result = convert_ptl(source, "p.ptl")
    assert result.templates == [("f", "html", 4)]
    assert result.findings[0].line == 5  # the first h-string: the generation's evidence


# --- generation detection -------------------------------------------------------------


def test_generation_3_by_decorators():
    assert convert("@ptl_html\ndef f():\n    '<p>'\n").generation == 3


def test_generation_2_by_h_strings():
    result = convert("def f [html] ():\n    h'<p>'\n    '<escaped>'\n")
    assert result.generation == 2
    assert "h'...'" in result.findings[0].message and result.findings[0].kind == "converted"
    assert "out += '<escaped>'" in result.code


def test_generation_2_by_f_strings_alongside_brackets():
    assert convert("def f [html] ():\n    F'<p>'\n    '<i>'\n").generation == 2


def test_generation_1_by_markup_in_plain_literals():
    result = convert("def f [html] (x):\n    '<p>'\n    x\n")
    assert result.generation == 1
    assert "out += htmltext('<p>')" in result.code


def test_ambiguous_generation_reads_the_escaping_way_and_is_flagged():
    result = convert_ptl(
        "def f [html] (x):\n    'Hello '\n    x\n", "p.ptl", review_comment=lambda m: "# TODO: " + m
    )
    assert result.generation == 2
    assert result.findings[0].kind == "review" and "ambiguous" in result.findings[0].message
    assert "# TODO: PTL generation 2: ambiguous" in result.code
    assert "out += 'Hello '" in result.code  # a str: escaped when output


def test_generation_forced_by_argument_or_directive():
    source = "def f [html] (x):\n    'Hello '\n    x\n"
    assert "htmltext('Hello ')" in convert_ptl(source, "p.ptl", generation=1).code
    directive = "# jackmigrate: ptl-generation=1\n" + source
    result = convert_ptl(directive, "p.ptl")
    assert result.generation == 1 and "set explicitly" in result.findings[0].message


def test_gen1_strings_in_nested_defs_stay_plain_but_lambdas_and_defaults_are_markup():
    result = convert("def f [html] (x, sep=', '):\n    def g():\n        return '<i>'\n    (lambda: '<l>')()\n    g()\n")
    assert "sep=htmltext(', ')" in result.code
    assert "return '<i>'" in result.code
    assert "lambda: htmltext('<l>')" in result.code


def test_plain_module_without_templates_is_unchanged():
    source = "import os\n\ndef f(x):\n    return '<p>%s</p>' % x\n"
    result = convert_ptl(source, "p.ptl")
    assert result.code == source and "plain Python module" in result.findings[0].message


def test_only_exact_F_prefix_is_markup_like_quixote():
    # Quixote marks F'..' and F"..": `rF'..'`, `Fr'..'` and `f'..'` stay plain f-strings.
    for literal in ("rF'<{x}>'", "Fr'<{x}>'", "f'<{x}>'"):
        source = f"from quixote.ptl import ptl_html\n@ptl_html\ndef t(x):\n    {literal}\n"
        q = run_quixote(source, 3)["t"]("&")
        ns, result = run_jack(source)
        assert "htmltext" not in result.code.split("def t")[1]
        assert equivalent(q, ns["t"]("&"))


def test_f_string_joined_with_plain_literal_is_all_markup_like_quixote():
    source = "from quixote.ptl import ptl_html\n@ptl_html\ndef t(x):\n    '<a>' F'{x}' \"<b>{}\"\n"
    q = run_quixote(source, 3)["t"]("&")
    ns, _ = run_jack(source)
    assert str(ns["t"]("&")) == str(q) == "<a>&amp;<b>{}"


def test_conversion_and_format_spec_together_work_where_quixote_raised():
    # Quixote 3.8's _q_format builds '{:>6!r}', which str.format rejects (ValueError);
    # the converted code formats as an f-string would.  A documented fix.
    source = "from quixote.ptl import ptl_html\n@ptl_html\ndef t(x):\n    F'[{x!r:>8}]'\n"
    with pytest.raises(ValueError):
        run_quixote(source, 3)["t"]("<")
    ns, _ = run_jack(source)
    assert str(ns["t"]("<")) == "[  '&lt;']"


# --- unconvertible files ---------------------------------------------------------------


@pytest.mark.parametrize(
    "source, line, reason",
    [
        ("def f [html] (x):\n    '<p>'\n    print x\n", 3, "Python 2 source"),
        ("x = 1\ndef f(:):\n    pass\n", 2, "syntax error"),
        ("from quixote.ptl import ptl_html\n\n@ptl_html\nasync def f():\n    '<p>'\n", 4, "async def template"),
        ("async def f [html] ():\n    '<p>'\n", 1, "async def template"),
        ("@ptl_html\ndef f():\n    async def g():\n        'x'\n    g\n", 3, "async def g inside a template"),
        ("@ptl_html\ndef f():\n    class C:\n        'doc'\n    C\n", 4, "class body inside a template"),
        ("@ptl_html\ndef f(htmltext):\n    F'<p>'\n", 2, "uses the name 'htmltext'"),
        ("s = '''\n", 1, "cannot tokenize"),
        ("def htmltext(x):\n    return x\n@ptl_html\ndef f():\n    F'<p>'\n", 1, "binds 'htmltext'"),
        ("from markupsafe import Markup as htmltext\n@ptl_html\ndef f():\n    F'<p>'\n", 1, "binds 'htmltext'"),
    ],
)
def test_unconvertible_files_raise_with_line_and_reason(source, line, reason):
    with pytest.raises(PtlError) as info:
        convert_ptl(source, "bad.ptl")
    assert info.value.line == line, info.value
    assert reason in info.value.reason
    assert isinstance(info.value, SourceError)  # the engine's "cannot process this file"


def test_htmltext_types_match_quixote_in_plain_and_html_templates():
    source = "from quixote.ptl import ptl_html, ptl_plain\n@ptl_plain\ndef p(x):\n    x\n@ptl_html\ndef h(x):\n    x\n"
    q = run_quixote(source, 3)
    ns, _ = run_jack(source)
    assert type(ns["p"](1)) is str and isinstance(q["p"](1), str)
    assert isinstance(ns["h"](1), jhtml.htmltext) and isinstance(q["h"](1), qhtml.htmltext)


def test_bracket_text_inside_strings_is_not_a_template():
    # Quixote 3.0's regex pre-pass rewrote `def f [html] (` even inside a string literal.
    source = 'DOC = """\ndef f [html] (x):\n"""\n\ndef g [html] (x):\n    \'<p>\'\n'
    result = convert_ptl(source, "p.ptl")
    assert result.templates == [("g", "html", 5)]
    assert 'DOC = """\ndef f [html] (x):\n"""' in result.code


def test_implicit_concatenation_keeps_its_layout():
    code = convert("@ptl_html\ndef f(x):\n    (F'<a>{x}'\n     '<b>')\n").code
    assert "out += (htmltext('<a>{x}'\n     '<b>').format(x=x))" in code


@pytest.mark.parametrize(
    "literal",
    [
        "F'{x, 1}'",  # an unparenthesized tuple: one argument
        "F'{{braces}} \\N{BULLET} {x}'",
        "F'\\N{BULLET} {{only}}'",
        "F'\\\\N{{x}}'",
        "F'''<pre>\n{x:^9}\n</pre>'''",
        "F'{x=}'",
        "F'{ x = :>5}'",
        "F'{(lambda: x)()}'",
        "F'{x}' '{plain braces}'",
        "(self := x) and F'<{self}>'",
    ],
)
def test_tricky_html_f_strings_render_like_quixote(literal):
    source = f"from quixote.ptl import ptl_html\n@ptl_html\ndef t(x):\n    {literal}\n"
    q = run_quixote(source, 3)["t"]("<a&b>")
    ns, _ = run_jack(source)
    assert equivalent(q, ns["t"]("<a&b>")), (q, ns["t"]("<a&b>"))


def test_f_string_nested_in_an_f_string_expression_is_plain_like_quixote_on_311():
    source = "from quixote.ptl import ptl_html\n@ptl_html\ndef t(x):\n    F'<b>{F\"<i>{x}</i>\"}</b>'\n"
    q = run_quixote(source, 3)["t"]("&")
    ns, result = run_jack(source)
    assert str(q) == str(ns["t"]("&")) == "<b>&lt;i&gt;&amp;&lt;/i&gt;</b>"
    assert "f\"<i>{x}</i>\"" in result.code
    assert any(f.kind == "review" and "Python < 3.12" in f.message for f in result.findings)
