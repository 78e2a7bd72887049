"""jack_runtime.form on its own: form tokens with Jack's sessions, hostile posts, the
deliberate differences from Quixote, and the customisation hooks."""
from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_form_differential import WIDGETS, jack_side, quixote_side

import jack_runtime.form as jform
from jack_runtime.form import css as jcss
from jack_runtime.session import Session


def _token_in(markup: str) -> str:
    match = re.search(r'<input type="hidden" name="_form_id" value="([^"]+)"', markup)
    assert match, markup
    return match.group(1)


def _token_form(f: Any) -> Any:
    form = f.Form()
    form.add_string("name", required=True)
    form.add_submit("go", "Go")
    return form


def test_form_token_round_trip_with_jack_session() -> None:
    with jack_side(method="GET", form_tokens=True) as ns:
        session = Session("s1")
        ns.request.session = session
        form = _token_form(ns.form)
        assert not form.is_submitted()
        token = _token_in(str(form.render()))
        assert session.has_form_token(token)

    # The genuine post: no error, and the token is consumed.
    with jack_side(method="POST", form={"_form_id": token, "name": "Ann", "go": "Go"},
                   form_tokens=True, session=session) as ns:
        form = _token_form(ns.form)
        assert not form.has_errors()
        assert form.get_submit() == "go"
        assert form["name"] == "Ann"
        assert not session.has_form_token(token)

    # The same post again (back button, replay, cross-site): rejected with the token notice.
    with jack_side(method="POST", form={"_form_id": token, "name": "Ann", "go": "Go"},
                   form_tokens=True, session=session) as ns:
        form = _token_form(ns.form)
        assert form.has_errors()
        assert form.get_widget("_form_id").get_error() == "invalid"
        assert str(form.TOKEN_NOTICE) in str(form.render())


@pytest.mark.parametrize("posted", [{}, {"_form_id": ""}, {"_form_id": ["a", "b"]},
                                    {"_form_id": "forged"}])
def test_missing_or_forged_token_is_rejected(posted: dict) -> None:
    session = Session("s2")
    session.create_form_token()
    with jack_side(method="POST", form=dict(posted, name="x"), form_tokens=True,
                   session=session) as ns:
        form = _token_form(ns.form)
        assert form.has_errors()
        assert form.get_widget("_form_id").has_error()
        assert len(session._form_tokens) == 1


def test_token_without_session_is_rejected_not_raised() -> None:
    # Quixote raises AttributeError on None.has_form_token; Jack rejects the post.
    with jack_side(method="POST", form={"_form_id": "t", "name": "x"}, form_tokens=True) as ns:
        form = _token_form(ns.form)
        assert form.has_errors()
        assert form.get_widget("_form_id").get_error() == "invalid"


def test_rendering_a_token_without_session_says_why() -> None:
    with jack_side(method="GET", form_tokens=True) as ns:
        form = _token_form(ns.form)
        with pytest.raises(RuntimeError, match="session"):
            form.render()


def test_tokens_only_for_post_forms_and_when_configured() -> None:
    with jack_side(method="GET", form_tokens=True, session=Session("s")) as ns:
        assert ns.form.Form(method="get").get_widget("_form_id") is None
        assert ns.form.Form(use_tokens=False).get_widget("_form_id") is None
    with jack_side(method="GET", form_tokens=False, session=Session("s")) as ns:
        assert ns.form.Form().get_widget("_form_id") is None


@pytest.mark.parametrize("count", ["abc", "-3", "1e3", "99999999", ["1", "2"], "1.5"])
@pytest.mark.parametrize("kind", ["widget_list", "widget_dict"])
def test_bad_element_count_is_ignored(kind: str, count: Any) -> None:
    # Quixote: int(value) raises ValueError, or a huge count builds that many widgets.
    with jack_side(method="POST", form={"w$added_elements": count, "w$element0": "a"}) as ns:
        widget = WIDGETS[kind](ns.form)
        widget.parse()
        assert len(widget.element_names) <= 3
        assert "added_elements" in str(widget.render())


def test_quixote_raises_on_bad_element_count() -> None:
    """The reason for the fix above: the same post is a 500 on Quixote."""
    with quixote_side(method="POST", form={"w$added_elements": "abc"}) as ns:
        with pytest.raises(ValueError):
            WIDGETS["widget_list"](ns.form)


def test_good_element_count_is_used() -> None:
    with jack_side(method="POST", form={"w$added_elements": "4"}) as ns:
        widget = ns.form.WidgetList("w")
        assert len(widget.element_names) == 4


field_values = st.one_of(
    st.text(max_size=30),
    st.lists(st.text(max_size=10), min_size=2, max_size=3),
    st.sampled_from(["ka", "kb", "kn", "1", "-0", "nan", "inf", "1e999", "9" * 5000, "yes",
                     "x" * 100_000]),
)
field_names = st.sampled_from(["w", "w$name", "w$age", "w$ok", "w$element0", "w$element1",
                               "w$element0key", "w$element0value", "w$add_element",
                               "w$added_elements", "other", "w$", ""])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True, database=None)
@given(widget=st.sampled_from(sorted(WIDGETS)),
       posted=st.dictionaries(field_names, field_values, max_size=5))
def test_hostile_posts_never_raise(widget: str, posted: dict) -> None:
    with jack_side(method="POST", form=posted) as ns:
        w = WIDGETS[widget](ns.form)
        w.parse()
        w.get_error()
        markup = str(w.render())
    assert markup.count("<div") == markup.count("</div>")


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(posted=st.dictionaries(st.sampled_from(["name", "count", "ratio", "color", "tags", "save",
                                               "_form_id", "zzz"]), field_values, max_size=6))
def test_hostile_posts_to_a_form_never_raise(posted: dict) -> None:
    with jack_side(method="POST", form=posted, form_tokens=True, session=Session("h")) as ns:
        form = ns.form.Form()
        form.add_string("name", required=True)
        form.add_int("count")
        form.add_float("ratio")
        form.add_single_select("color", options=["r", "g"])
        form.add_multiple_select("tags", options=["a", "b"])
        form.add_submit("save", "Save")
        form.has_errors()
        form.get_submit()
        str(form.render())


def test_apostrophes_are_escaped_in_markup() -> None:
    with jack_side(method="GET") as ns:
        w = ns.form.StringWidget("w", value="O'Brien", title="it's")
        markup = str(w.render())
    assert "O&#39;Brien" in markup and "it&#39;s" in markup and "'" not in markup


def test_render_hooks_can_be_overridden() -> None:
    class MyForm(jform.Form):
        def _render_error_notice(self):
            return jform.form.htmltext("<p>fix it</p>")

        def _render_submit_widgets(self):
            return jform.form.htmltext("<p>buttons</p>")

    class MyWidget(jform.StringWidget):
        def render_error(self, error):
            return jform.form.htmltext("<em>%s</em>") % error if error else ""

    with jack_side(method="POST", form={}):
        form = MyForm()
        form.add(MyWidget, "n", required=True)
        form.add_submit("go")
        markup = str(form.render())
    assert "<p>fix it</p>" in markup and "<p>buttons</p>" in markup
    assert "<em>required</em>" in markup


def test_css_is_quixotes() -> None:
    from quixote.form.css import BASIC_FORM_CSS

    assert jcss.BASIC_FORM_CSS == BASIC_FORM_CSS


def test_public_names_match_quixote() -> None:
    import quixote.form
    import quixote.form.widget

    for name in dir(quixote.form):
        if not name.startswith("_") and name not in ("form", "widget"):
            assert hasattr(jform, name), name
    for name in dir(quixote.form.widget):
        if not name.startswith("_") and name not in ("struct", "get_request", "Upload"):
            assert hasattr(jform.widget, name), name


def test_widget_api_errors_match_quixote() -> None:
    with jack_side() as ns:
        f = ns.form
        with pytest.raises(ValueError):
            f.SingleSelectWidget("s", options=[])
        with pytest.raises(ValueError):
            f.SingleSelectWidget("s", options=["a", "a"])
        with pytest.raises(TypeError):
            f.HiddenWidget("h").set_error("no")
        with pytest.raises(AssertionError):
            f.IntWidget("i", value="3")
        form = f.Form()
        form.add_string("a")
        with pytest.raises(ValueError):
            form.add_string("a")
        with pytest.raises(KeyError):
            form.set_error("zz", "e")
        with pytest.raises(KeyError):
            form["zz"]
        with pytest.raises(ValueError):
            f.Form(method="put")
        with pytest.raises(ValueError):
            f.Form(enctype="text/plain")


def test_jack_html_and_form_do_not_import_quixote() -> None:
    code = ("import sys, jack_runtime.html, jack_runtime.form, jack_runtime.form.compatibility, "
            "jack_runtime.form.css; "
            "assert not [m for m in sys.modules if m.split('.')[0] == 'quixote'], 'quixote imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
