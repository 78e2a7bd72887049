"""jack_runtime.html: the deliberate differences from Quixote 3.8 (each shown against
Quixote's own behaviour), markupsafe interoperability, TemplateIO and the PTL helpers."""
from __future__ import annotations

import copy
import pickle

import markupsafe
import pytest

import jack_runtime.html as J
import quixote.html as Q
from jack_runtime.html import (
    TemplateIO,
    _q_format,
    _q_join,
    htmlescape,
    htmltemplate,
    htmltext,
)
from jack_runtime.html import text as text_module
from html_escapes import escape_function  # noqa: F401  (autouse: both escapes)




# -- the apostrophe ------------------------------------------------------------------------

def test_apostrophe_escaped_where_quixote_leaves_it() -> None:
    value = "x' onmouseover='alert(1)"
    assert str(Q.htmltext("<a title='%s'>") % value) == "<a title='x' onmouseover='alert(1)'>"
    assert str(htmltext("<a title='%s'>") % value) == (
        "<a title='x&#39; onmouseover=&#39;alert(1)'>")
    assert str(htmlescape("'")) == "&#39;"
    assert str(J.htmltag("input", value="it's")) == '<input value="it&#39;s">'


def test_apostrophe_is_the_only_escaping_difference() -> None:
    value = "<a href=\"x\">&'"
    assert str(htmlescape(value)) == str(Q.htmlescape(value)).replace("'", "&#39;")


# -- the c presentation type ---------------------------------------------------------------

@pytest.mark.parametrize("template", ["%c", "a %c b", "%5c", "%-3c", "%(k)c", "%(a(b))c",
                                      "%s %c", "%%%c", "%.1c", "%lc"])
def test_percent_c_refused(template: str) -> None:
    args = {"k": 60, "a(b)": 60} if "(" in template else (60,) * template.count("%c")
    if template == "%s %c":
        args = ("x", 60)
    with pytest.raises(ValueError):
        htmltext(template) % args


def test_quixote_percent_c_emits_raw_markup() -> None:
    """Why %c is refused: Quixote 3.8 writes any character, '<' included."""
    assert str(Q.htmltext("%c") % 60) == "<"
    assert str(Q.htmltext("{:c}").format(60)) == "<"
    assert str(Q._q_format(38, -1, "c")) == "&"


@pytest.mark.parametrize("template", ["%%c%s", "%(c)s", "class=%s", "%s%%c"])
def test_percent_c_lookalikes_allowed(template: str) -> None:
    args = {"c": "<"} if "(c)" in template else ("<",)
    assert "&lt;" in str(htmltext(template) % args)


@pytest.mark.parametrize("call", [
    lambda: htmltext("{:c}").format(60),
    lambda: htmltext("{0:>3c}").format(60),
    lambda: htmltext("{x:c}").format(x=60),
    lambda: htmltext("{:{}}").format(60, "c"),
    lambda: htmltext("{:{w}{t}}").format(60, w=3, t="c"),
    lambda: _q_format(60, -1, "c"),
    lambda: _q_format(60, -1, ">4c"),
])
def test_format_c_refused(call) -> None:
    with pytest.raises(ValueError):
        call()


def test_dynamic_format_specs_still_work() -> None:
    # A str spec is escaped like any argument (as in Quixote), so ">3" must be markup.
    assert str(htmltext("{:{}}|{:>{w}}").format(5, htmltext(">3"), "<", w=5)) == "  5| &lt;"
    assert str(htmltext("{:{}}").format(2.5, ".2f")) == "2.50"


def test_format_plan_cache_is_bounded() -> None:
    for i in range(text_module._CACHE_LIMIT + 10):
        htmltext("{}%d" % i).format(1)
        htmltext("c%%s%d" % i) % 1
    assert len(text_module._format_plan) <= text_module._CACHE_LIMIT
    assert len(text_module._percent_plan) <= text_module._CACHE_LIMIT
    with pytest.raises(ValueError):  # still checked after the cache was cleared
        htmltext("%c") % 60


# -- __html__ and markupsafe ---------------------------------------------------------------

def test_htmltext_has_dunder_html() -> None:
    ht = htmltext("<b>")
    assert ht.__html__() == "<b>"
    assert str(markupsafe.escape(ht)) == "<b>"
    assert markupsafe.Markup("<i>%s</i>") % ht == "<i><b></i>"
    assert markupsafe.Markup("<i>") + ht == "<i><b>"
    assert not hasattr(Q.htmltext("<b>"), "__html__")


def test_markup_values_are_not_escaped_again() -> None:
    m = markupsafe.Markup("<i>")
    assert str(htmlescape(m)) == "<i>"
    assert str(htmltext("<b>") + m) == "<b><i>"
    assert str(m + htmltext("<b>")) == "<i><b>"
    assert str(htmltext("%s|%5s") % (m, m)) == "<i>|  <i>"
    assert str(htmltext("{}").format(m)) == "<i>"
    assert str(htmltext(",").join([m, "<"])) == "<i>,&lt;"
    out = TemplateIO(html=True)
    out += m
    assert str(out.getvalue()) == "<i>"
    assert str(_q_format(m)) == "<i>"
    # Quixote escapes it (it is a str subclass to Quixote).
    assert str(Q.htmlescape(m)) == "&lt;i&gt;"


def test_any_object_with_dunder_html_is_trusted() -> None:
    class Widgety:
        def __html__(self) -> str:
            return "<w/>"

    w = Widgety()
    assert str(htmlescape(w)) == "<w/>"
    assert str(htmltext("%s") % w) == "<w/>"
    assert str(htmltext("[") + w) == "[<w/>"
    assert str(w + htmltext("]")) == "<w/>]"
    assert str(htmltext("").join([w])) == "<w/>"


# -- other documented choices ---------------------------------------------------------------

def test_q_format_with_conversion_and_spec() -> None:
    # Quixote 3.8 builds '{:>7!r}', which str.format rejects.
    with pytest.raises(ValueError):
        Q._q_format("<", ord("r"), ">7")
    assert str(_q_format("<", ord("r"), ">8")) == "  '&lt;'"
    with pytest.raises(ValueError):
        _q_format("x", ord("x"))


def test_int_subclass_with_markup_str_is_escaped() -> None:
    class Evil(int):
        def __str__(self) -> str:
            return "<s>"

    assert str(Q.htmltext("%s") % Evil(1)) == "<s>"  # Quixote's hole
    assert str(htmltext("%s|%d|%x|%.1f") % (Evil(1), Evil(7), Evil(255), Evil(2))) == (
        "&lt;s&gt;|7|ff|2.0")
    assert str(htmltext("{}|{:>3}").format(Evil(1), Evil(2))) == "&lt;s&gt;|  2"


def test_copy_pickle_and_bytes() -> None:
    ht = htmltext("<b>")
    assert copy.copy(ht) is ht and copy.deepcopy([ht])[0] is ht
    with pytest.raises(TypeError):
        pickle.dumps(ht)
    assert str(htmltext(b"x")) == "b'x'"
    assert str(htmlescape(b"<")) == "b&#39;&lt;&#39;"


def test_not_a_str() -> None:
    ht = htmltext("ab")
    assert not isinstance(ht, str)
    for bad in (lambda: ht[0], lambda: "a" in ht, lambda: ht.strip(), lambda: "".join([ht]),
                lambda: ht + 1, lambda: ht + None, lambda: 1 + ht):
        with pytest.raises((TypeError, AttributeError)):
            bad()


# -- TemplateIO -------------------------------------------------------------------------------

def test_templateio_modes() -> None:
    html = TemplateIO(html=True)
    plain = TemplateIO()
    for out in (html, plain):
        out += "<a>"
        out += None
        out += htmltext("<b>")
        out(5)
        out(None)
        out += [1]
    assert type(html.getvalue()) is htmltext
    assert str(html.getvalue()) == "&lt;a&gt;<b>5[1]" == str(html)
    assert plain.getvalue() == "<a><b>5[1]" == str(plain)
    assert repr(plain).startswith("<TemplateIO at ") and repr(plain).endswith(": 4 chunks>")
    assert htmltemplate().html is True


def test_templateio_escapes_when_appended() -> None:
    # As Quixote's C TemplateIO: a mutable value is rendered at append time.
    values = ["<"]
    out = TemplateIO(html=True)
    out += values
    values.append("later")
    assert str(out.getvalue()) == "[&#39;&lt;&#39;]"


def test_converted_ptl_shapes_match_quixote_ptl_helpers() -> None:
    """What the PTL converter emits equals what Quixote's compiled PTL computes."""
    x, n = '<x&"y">', 3.14159

    def converted():
        out = TemplateIO(html=True)
        out += htmltext("<p>{}</p><i>{!r}</i>{:.2f}|{:>12}").format(x, x, n, x)
        out += "<plain>"
        out += None
        out += htmltext("<td>%s</td>") % x
        return out.getvalue()

    def quixote_ptl():
        out = Q.TemplateIO(html=True)
        out(Q._q_join(Q.htmltext("<p>"), Q._q_format(x), Q.htmltext("</p><i>"),
                      Q._q_format(x, ord("r")), Q.htmltext("</i>"), Q._q_format(n, -1, ".2f"),
                      Q.htmltext("|"), Q._q_format(x, -1, ">12")))
        out("<plain>")
        out(None)
        out(Q.htmltext("<td>%s</td>") % x)
        return out.getvalue()

    def jack_helpers():
        out = TemplateIO(html=True)
        out(_q_join(htmltext("<p>"), _q_format(x), htmltext("</p><i>"), _q_format(x, ord("r")),
                    htmltext("</i>"), _q_format(n, -1, ".2f"), htmltext("|"),
                    _q_format(x, -1, ">12")))
        out("<plain>")
        out(None)
        out(htmltext("<td>%s</td>") % x)
        return out.getvalue()

    assert str(converted()) == str(quixote_ptl()) == str(jack_helpers())


def test_format_accepts_any_keyword_name() -> None:
    # A converted F'{self}' in a method becomes `.format(self=self)`.
    assert str(htmltext("<{self}|{s}>").format(self="<", s=1)) == "<&lt;|1>"


def test_plain_template_shape() -> None:
    out = TemplateIO(html=False)
    out += "<p>"
    out += None
    out += 3
    out += htmltext("<b>")
    assert out.getvalue() == "<p>3<b>"


@pytest.mark.parametrize("template,use_format", [("%r", False), ("{!r}", True), ("{x!r}", True)])
def test_repr_of_text_with_apostrophe_keeps_quixotes_delimiters(template, use_format):
    """Quixote escapes (& < > ") then takes repr(), whose delimiters follow the quotes left;
    Jack keeps that repr and only escapes its ' afterwards (the documented &#39; fix)."""
    from quixote.html import htmltext as QuixoteText

    value = "it's <b>"
    if use_format:
        ours, theirs = htmltext(template).format(value, x=value), QuixoteText(template).format(value, x=value)
    else:
        ours, theirs = htmltext(template) % value, QuixoteText(template) % value
    assert str(theirs) == "\"it's &lt;b&gt;\""
    assert str(ours) == str(theirs).replace("'", "&#39;")


def test_htmlformat_renders_template_strings_like_quixote():
    """htmlformat(t'...') on Python >= 3.14; tested here with stand-ins for the t-string types."""
    from dataclasses import dataclass

    from jack_runtime.html.tstring import render_template

    @dataclass
    class Interp:
        value: object
        expression: str = ""
        conversion: object = None
        format_spec: str = ""

    class Template(tuple):
        pass

    out = render_template(Template(["<p>", Interp("<b>&"), " ", Interp(htmltext("<i>")), " ",
                                    Interp(3.14159, format_spec=".2f"), "</p>"]), Interp, Template)
    assert isinstance(out, htmltext)
    assert str(out) == "<p>&lt;b&gt;&amp; <i> 3.14</p>"
    with pytest.raises(ValueError):
        render_template(Template([Interp("x", conversion="r")]), Interp, Template)
    with pytest.raises(ValueError):
        render_template(Template([Interp(65, format_spec="c")]), Interp, Template)
    with pytest.raises(TypeError):
        render_template("<p>", Interp, Template)
