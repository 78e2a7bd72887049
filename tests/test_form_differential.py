"""Differential tests: every widget of quixote.form, and Form, rendered and parsed by
Quixote 3.8 and by jack_runtime.form under the same request, must give the same markup,
values and errors.

Each side gets a real request object bound the framework's way: a Quixote Publisher with
``_set_request`` (cleaned up afterwards), and a Jack App with ``jack_runtime.context.bind``.
The only expected difference in markup is the apostrophe, which Jack escapes as ``&#39;``;
the test data avoids it here (tests/test_form_behaviour.py covers it).
"""
from __future__ import annotations

import contextlib
import sys
import types
from typing import Any, Callable, Iterator

import pytest

from harness import QuixoteLog, make_environ


class FakeSession:
    """A session whose form tokens are predictable, so both sides render the same token."""

    def __init__(self, tokens: list[str] | None = None) -> None:
        self.tokens = list(tokens or [])
        self.counter = 0

    def create_form_token(self) -> str:
        self.counter += 1
        token = "tok%d" % self.counter
        self.tokens.append(token)
        return token

    def has_form_token(self, token: Any) -> bool:
        return token in self.tokens

    def remove_form_token(self, token: Any) -> None:
        self.tokens.remove(token)


def multipart_body(fields: dict[str, Any], boundary: str = "XyZzY") -> tuple[bytes, str]:
    """A multipart/form-data body; a ``(filename, bytes, type)`` value is a file part."""
    out = []
    for name, value in fields.items():
        values = value if isinstance(value, list) else [value]
        for v in values:
            out.append(b"--" + boundary.encode())
            if isinstance(v, tuple):
                filename, data, ctype = v
                out.append(('Content-Disposition: form-data; name="%s"; filename="%s"'
                            % (name, filename)).encode())
                out.append(("Content-Type: %s" % ctype).encode())
                out.append(b"")
                out.append(data)
            else:
                out.append(('Content-Disposition: form-data; name="%s"' % name).encode())
                out.append(b"")
                out.append(v.encode("utf-8"))
    out.append(b"--" + boundary.encode() + b"--")
    out.append(b"")
    return b"\r\n".join(out), "multipart/form-data; boundary=%s" % boundary


def _environ(method: str, path: str, form: dict | None, files: bool) -> dict:
    if files and form is not None:
        body, ctype = multipart_body(form)
        return make_environ(method, path, body=body, content_type=ctype)
    return make_environ(method, path, form=form)


@contextlib.contextmanager
def quixote_side(method: str = "GET", path: str = "/", form: dict | None = None, *,
                 files: bool = False, session: Any = None,
                 form_tokens: bool = False) -> Iterator[types.SimpleNamespace]:
    import quixote
    import quixote.form
    import quixote.form.compatibility
    from quixote.config import Config
    from quixote.directory import Directory
    from quixote.http_request import HTTPRequest
    from quixote.publish import Publisher

    saved_stdout = sys.stdout
    quixote.cleanup()
    try:
        publisher = Publisher(Directory(), logger=QuixoteLog(), config=Config(form_tokens=form_tokens))
        environ = _environ(method, path, form, files)
        request = HTTPRequest(environ["wsgi.input"], environ)
        request.process_inputs()
        request.session = session
        publisher._set_request(request)
        yield types.SimpleNamespace(form=quixote.form, compat=quixote.form.compatibility,
                                    request=request, name="quixote")
    finally:
        quixote.cleanup()
        sys.stdout = saved_stdout


@contextlib.contextmanager
def jack_side(method: str = "GET", path: str = "/", form: dict | None = None, *,
              files: bool = False, session: Any = None,
              form_tokens: bool = False) -> Iterator[types.SimpleNamespace]:
    import jack_runtime.form
    import jack_runtime.form.compatibility
    from jack_runtime.app import App
    from jack_runtime.context import bind, unbind
    from jack_runtime.directory import Directory
    from jack_runtime.http.request import HTTPRequest

    app = App(Directory(), form_tokens=form_tokens)
    environ = _environ(method, path, form, files)
    request = HTTPRequest(environ["wsgi.input"], environ)
    request.process_inputs()
    request.session = session
    token = bind(app, request)
    try:
        yield types.SimpleNamespace(form=jack_runtime.form, compat=jack_runtime.form.compatibility,
                                    request=request, name="jack")
    finally:
        unbind(token)


SIDES = (quixote_side, jack_side)


def describe(value: Any) -> Any:
    """A framework-neutral picture of a parsed value (Upload objects differ in class)."""
    if type(value).__name__ == "Upload":
        return ("Upload", value.orig_filename, value.base_filename, value.content_type,
                value.get_size())
    if isinstance(value, list):
        return [describe(v) for v in value]
    if isinstance(value, dict):
        return {k: describe(v) for k, v in value.items()}
    return (type(value).__name__, value)


def run_widget(side: Callable, build: Callable, request_kw: dict) -> dict:
    with side(**request_kw) as ns:
        widget = build(ns.form)
        value = widget.parse()
        error = widget.get_error()
        has_error = widget.has_error()
        markup = widget.render()
        assert type(markup).__name__ == "htmltext"
        return {"value": describe(value), "error": error, "has_error": has_error,
                "markup": str(markup), "content": str(widget.render_content())}


def both(build: Callable, **request_kw: Any) -> tuple[dict, dict]:
    return tuple(run_widget(side, build, request_kw) for side in SIDES)


OPTIONS3 = [("a", "Alpha <1>", "ka"), ("b", "Beta & co", "kb"), (None, "None", "kn")]
OPTIONS2 = [(1, "One"), (2, 'Two "2"')]

# name -> builder(form module); every widget type of quixote.form, with its arguments.
WIDGETS: dict[str, Callable[[Any], Any]] = {
    "string": lambda f: f.StringWidget("w", value="init <v>", title="Title & T", hint="a hint",
                                       size=20, maxlength=30),
    "string_required": lambda f: f.StringWidget("w", required=True, title="Req", class_="big"),
    "file": lambda f: f.FileWidget("w", title="Upload", required=True),
    "password": lambda f: f.PasswordWidget("w", value="secret", render_br=False),
    "text": lambda f: f.TextWidget("w", value="line1\nline2 <b>", rows=3, cols=40),
    "text_required": lambda f: f.TextWidget("w", required=True),
    "checkbox": lambda f: f.CheckboxWidget("w", value=True, title="Check"),
    "checkbox_off": lambda f: f.CheckboxWidget("w", value=False),
    "single_select": lambda f: f.SingleSelectWidget("w", value="b", options=OPTIONS3),
    "single_select_plain": lambda f: f.SingleSelectWidget("w", options=["x", "y<", "z"],
                                                          sort=True, required=True),
    "single_select_noverify": lambda f: f.SingleSelectWidget("w", options=OPTIONS2,
                                                             verify_selection=False),
    "radiobuttons": lambda f: f.RadiobuttonsWidget("w", value="a", options=OPTIONS3, title="R"),
    "radiobuttons_delim": lambda f: f.RadiobuttonsWidget("w", options=OPTIONS2, delim="<br />",
                                                         required=True),
    "multiple_select": lambda f: f.MultipleSelectWidget("w", value=["a", "b"], options=OPTIONS3,
                                                        size=3),
    "multiple_select_required": lambda f: f.MultipleSelectWidget("w", options=OPTIONS2,
                                                                 required=True),
    "option_select": lambda f: f.OptionSelectWidget("w", options=OPTIONS3),
    "button": lambda f: f.widget.ButtonWidget("w", value="Press <me>"),
    "submit": lambda f: f.SubmitWidget("w", value="Save"),
    "submit_nolabel": lambda f: f.SubmitWidget("w"),
    "reset": lambda f: f.widget.ResetWidget("w", value="Reset"),
    "hidden": lambda f: f.HiddenWidget("w", value="h<v>"),
    "hidden_none": lambda f: f.HiddenWidget("w"),
    "float": lambda f: f.FloatWidget("w", value=1.5, title="F"),
    "int": lambda f: f.IntWidget("w", value=3, required=True),
    "int_none": lambda f: f.IntWidget("w"),
    "composite": lambda f: _composite(f),
    "widget_list": lambda f: f.WidgetList("w", value=["one", "two <2>"], title="List",
                                          element_kwargs={"size": 5}),
    "widget_list_int": lambda f: f.WidgetList("w", element_type=f.IntWidget,
                                              add_element_label="More"),
    "widget_dict": lambda f: f.WidgetDict("w", value={"k1": "v1", "k<2>": "v2"}, title="D"),
    "widget_dict_empty": lambda f: f.WidgetDict("w", hint="pairs"),
}


def _composite(f: Any) -> Any:
    w = f.CompositeWidget("w", title="Composite", hint="two parts")
    w.add(f.StringWidget, "name", title="Name", required=True)
    w.add(f.IntWidget, "age", title="Age")
    w.add(f.CheckboxWidget, "ok")
    return w


# Posted data, each applied to every widget: not submitted, empty, good and bad values.
POSTS: dict[str, dict[str, Any]] = {
    "get": {"method": "GET"},
    "get_with_query": {"method": "GET", "path": "/?w=ka"},
    "post_empty": {"method": "POST", "form": {}},
    "post_blank": {"method": "POST", "form": {"w": "   "}},
    "post_text": {"method": "POST", "form": {"w": 'new "value" <x> & y'}},
    "post_crlf": {"method": "POST", "form": {"w": "a\r\nb\r\n"}},
    "post_key_a": {"method": "POST", "form": {"w": "ka"}},
    "post_key_plain": {"method": "POST", "form": {"w": "y<"}},
    "post_key_int": {"method": "POST", "form": {"w": "Two \"2\""}},
    "post_keys": {"method": "POST", "form": {"w": ["ka", "kb"]}},
    "post_bad_key": {"method": "POST", "form": {"w": "nope"}},
    "post_int": {"method": "POST", "form": {"w": "42"}},
    "post_float": {"method": "POST", "form": {"w": "-2.5e3"}},
    "post_not_number": {"method": "POST", "form": {"w": "4x2"}},
    "post_huge_int": {"method": "POST", "form": {"w": "9" * 5000}},
    "post_unexpected": {"method": "POST", "form": {"other": "x", "w$zzz": "1"}},
    "post_composite": {"method": "POST", "form": {"w$name": "Ann", "w$age": "x", "w$ok": "yes"}},
    "post_composite_ok": {"method": "POST", "form": {"w$name": "Bob", "w$age": "7"}},
    "post_list": {"method": "POST", "form": {"w$element0": "p", "w$element1": "", "w$element2": "q",
                                            "w$added_elements": "1"}},
    "post_list_add": {"method": "POST", "form": {"w$element0": "5", "w$element1": "z",
                                                "w$add_element": "More",
                                                "w$added_elements": "2"}},
    "post_dict": {"method": "POST", "form": {"w$element0key": "a", "w$element0value": "1",
                                            "w$element1key": "b", "w$element1value": "",
                                            "w$added_elements": "1"}},
    "post_upload": {"method": "POST", "files": True,
                    "form": {"w": ("report <1>.txt", b"hello\nworld", "text/plain")}},
    "post_multipart_text": {"method": "POST", "files": True, "form": {"w": "ka", "w$name": "Z"}},
}


@pytest.mark.parametrize("post", sorted(POSTS))
@pytest.mark.parametrize("widget", sorted(WIDGETS))
def test_widget_same_as_quixote(widget: str, post: str) -> None:
    quixote_result, jack_result = both(WIDGETS[widget], **POSTS[post])
    assert jack_result == quixote_result


def test_the_matrix_covers_errors_and_values() -> None:
    """The differential matrix is only useful if it reaches errors and parsed values."""
    errors, values = set(), set()
    for widget in ("string_required", "int", "single_select", "multiple_select_required",
                   "composite", "file", "widget_list_int"):
        for post in ("post_empty", "post_not_number", "post_bad_key", "post_composite",
                     "post_upload", "post_list_add"):
            result = run_widget(jack_side, WIDGETS[widget], POSTS[post])
            if result["error"]:
                errors.add(result["error"])
            if result["value"] != ("NoneType", None):
                values.add(widget)
    assert {"required", "must be an integer", "invalid value selected"} <= errors
    assert {"int", "file", "widget_list_int"} <= values


def _full_form(f: Any, **form_kw: Any) -> Any:
    form = f.Form(enctype="multipart/form-data", id="main", **form_kw)
    form.add_hidden("h", value="hid")
    form.add_string("name", title="Name", required=True, hint="your name")
    form.add_text("bio", title="Bio", rows=2)
    form.add_password("pw")
    form.add_checkbox("agree", title="Agree")
    form.add_single_select("color", options=[("r", "Red"), ("g", "Green")], title="Color")
    form.add_multiple_select("tags", options=["t1", "t2", "t3"])
    form.add_radiobuttons("size", options=["S", "M", "L"], value="M")
    form.add_float("ratio")
    form.add_int("count", value=2)
    form.add(f.FileWidget, "upload")
    form.add(f.WidgetList, "items", value=["i1"])
    form.add_submit("save", "Save")
    form.add_submit("cancel", "Cancel")
    form.add_reset("reset", "Reset")
    return form


FORM_POSTS: dict[str, dict[str, Any]] = {
    "get": {"method": "GET", "path": "/edit?id=3&x=%3C"},
    "post_ok": {"method": "POST", "path": "/edit", "form": {
        "h": "hid", "name": "Ann", "bio": "x\r\ny", "agree": "yes", "color": "g", "tags": ["t1", "t3"],
        "size": "L", "ratio": "0.5", "count": "9", "save": "Save", "items$element0": "i1"}},
    "post_errors": {"method": "POST", "path": "/edit", "form": {
        "name": "", "color": "purple", "ratio": "half", "count": "1.5", "cancel": "Cancel",
        "size": ["S", "M"], "unexpected": "1"}},
    "post_unknown_button": {"method": "POST", "path": "/edit", "form": {"name": "Zed"}},
    "get_submitted": {"method": "GET", "path": "/edit?name=Q&save=Save"},
}


def run_form(side: Callable, request_kw: dict, form_kw: dict | None = None,
             javascript: bool = False) -> dict:
    with side(**request_kw) as ns:
        form = _full_form(ns.form, **(form_kw or {}))
        if javascript:
            ns.request.response.add_javascript("b", "var b = '</x>';")
            ns.request.response.add_javascript("a", "var a = 1;")
        result = {
            "submitted": form.is_submitted(),
            "submit": form.get_submit(),
            "has_errors": form.has_errors(),
            "values": {w.name: describe(form[w.name]) for w in form.get_all_widgets()},
            "errors": {w.name: w.get_error() for w in form.get_all_widgets()},
            "in": ("name" in form, "nope" in form, form.get("nope", 7)),
            "markup": str(form.render()),
        }
        return result


@pytest.mark.parametrize("post", sorted(FORM_POSTS))
def test_form_same_as_quixote(post: str) -> None:
    assert run_form(jack_side, FORM_POSTS[post]) == run_form(quixote_side, FORM_POSTS[post])


@pytest.mark.parametrize("form_kw", [{"method": "get"}, {"action": "/go?a=1&b=2", "class": "x"},
                                     {"use_tokens": False}])
def test_form_options_same_as_quixote(form_kw: dict) -> None:
    request_kw = FORM_POSTS["post_ok"]
    assert run_form(jack_side, request_kw, form_kw) == run_form(quixote_side, request_kw, form_kw)


def test_form_javascript_same_as_quixote() -> None:
    request_kw = FORM_POSTS["get"]
    jack = run_form(jack_side, request_kw, javascript=True)
    assert "<script" in jack["markup"]
    assert jack == run_form(quixote_side, request_kw, javascript=True)


TOKEN_POSTS = {
    "get": ({"method": "GET"}, []),
    "good_token": ({"method": "POST", "form": {"_form_id": "old1", "name": "A"}}, ["old1"]),
    "stale_token": ({"method": "POST", "form": {"_form_id": "gone", "name": "A"}}, ["old1"]),
    "missing_token": ({"method": "POST", "form": {"name": "A"}}, ["old1"]),
}


@pytest.mark.parametrize("post", sorted(TOKEN_POSTS))
def test_form_tokens_same_as_quixote(post: str) -> None:
    request_kw, tokens = TOKEN_POSTS[post]
    results = []
    for side in SIDES:
        session = FakeSession(tokens)
        with side(session=session, form_tokens=True, **request_kw) as ns:
            form = ns.form.Form()
            form.add_string("name")
            form.add_submit("go", "Go")
            results.append((form.has_errors(), form.get_widget("_form_id").get_error(),
                            str(form.render()), session.tokens))
    assert results[0] == results[1]


def test_widget_error_rendering_same_as_quixote() -> None:
    def build(f: Any) -> Any:
        w = f.StringWidget("w", title="T", hint="H")
        w.set_error('bad "value" <here>')
        w.set_title("New & title")
        w.set_hint("new hint")
        return w

    quixote_result, jack_result = both(build, method="POST", form={"w": "v"})
    assert 'class="error"' in jack_result["markup"]
    assert jack_result == quixote_result


def test_select_api_same_as_quixote() -> None:
    results = []
    for side in SIDES:
        with side(method="POST", form={"w": ["ka", "zz"]}) as ns:
            w = ns.form.MultipleSelectWidget("w", options=OPTIONS3)
            r = [w.parse(), w.get_allowed_values(), w.get_descriptions()]
            w.set_value("b")
            r.append(w.value)
            w.set_value(["a", "zz"])
            r.append(w.value)
            w.set_allowed_values(["p", "q"], ["P", "Q"], sort=True)
            r.append(w.options)
            s = ns.form.SingleSelectWidget("s", options=["x", "y"])
            s.set_value("nope")
            r.append(s.value)
            r.append(str(s.render()))
            results.append(r)
    assert results[0] == results[1]


def test_compatibility_form_same_as_quixote() -> None:
    results = []
    for side in SIDES:
        with side(method="POST", path="/a%20b/c?q=1", form={"name": "x", "cancel": "Cancel"}) as ns:
            form = ns.compat.Form()
            form.add_widget("string", "name", title="Name", required=True)
            form.add_widget(ns.form.IntWidget, "n")
            form.add_submit_button("go", "Go")
            form.add_cancel_button("Cancel", "/back")
            results.append((form.get_action_url(), form.process(), form.get_submit(),
                            str(form.render("/act")), form.cancel_url, form.action_url))
    assert results[0] == results[1]


@pytest.mark.parametrize("posted", [None, {"name": "ok", "go": "Go"}, {"cancel": "Cancel"},
                                    {"name": ""}, {"zzz": "1"}])
def test_compatibility_handle_same_as_quixote(posted: dict | None) -> None:
    """handle() as in Quixote, including its bug: the ``action`` attribute set by
    ``Form.__init__`` shadows ``action()``, so a good submission raises TypeError."""
    results = []
    for side in SIDES:
        method = "GET" if posted is None else "POST"
        with side(method=method, path="/f", form=posted) as ns:
            class MyForm(ns.compat.Form):
                def action(self, submit, values):
                    return "done %s %r" % (submit, sorted(values.items()))

            form = MyForm()
            form.add_widget("string", "name", title="Name", required=True)
            form.add_submit_button("go", "Go")
            form.add_cancel_button("Cancel", "/back")
            try:
                result = ("ok", str(form.handle()))
            except Exception as exc:
                result = ("raises", type(exc).__name__)
            results.append((result, ns.request.response.status_code,
                            ns.request.response.headers.get("location")))
    assert results[0] == results[1]
