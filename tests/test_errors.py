"""jack_runtime.errors gives the same classes, messages and pages as quixote.errors."""
from __future__ import annotations

import io
import types

import pytest
from quixote import errors as qerrors

from jack_runtime import context
from jack_runtime import errors as jerrors
from jack_runtime.html import htmltext
from jack_runtime.http import HTTPRequest

CLASSES = ["PublishError", "RequestError", "QueryError", "AccessError"]
MESSAGES = [(None, None), ("public <b>", None), (None, "private & secret"), ("pub", "priv"),
            (htmltext("<i>ok</i>"), None)]


def same_page(jack_page, quixote_page) -> bool:
    """Equal but for the apostrophe, which jack_runtime.html escapes as &#39; (a deliberate
    fix; Quixote escapes only & < > ")."""
    return str(jack_page).replace("&#39;", "'") == str(quixote_page)


def qmsg(msg):
    # the same message as Quixote's own htmltext when it is markup
    from quixote.html import htmltext as qhtmltext
    return qhtmltext(str(msg)) if isinstance(msg, htmltext) else msg


@pytest.mark.parametrize("name", CLASSES)
@pytest.mark.parametrize("public,private", MESSAGES)
def test_errors_format_like_quixote(name: str, public, private) -> None:
    j = getattr(jerrors, name)(public, private)
    q = getattr(qerrors, name)(qmsg(public), qmsg(private))
    for attr in ("status_code", "title", "description", "public_msg", "private_msg"):
        assert str(getattr(j, attr)) == str(getattr(q, attr))
    try:
        assert str(j) == str(q)
    except TypeError:  # Quixote's __str__ returns an htmltext message as is
        assert isinstance(private or public, htmltext) and str(j) == str(private or public)
    assert str(j.format()) == str(q.format())
    assert same_page(jerrors.format_publish_error(j), qerrors.format_publish_error(q))
    assert isinstance(j, jerrors.PublishError) and isinstance(j, Exception)


@pytest.mark.parametrize("public,private", MESSAGES)
def test_traversal_error_like_quixote(public, private) -> None:
    j = jerrors.TraversalError(public, private, path="/a/<b>")
    q = qerrors.TraversalError(qmsg(public), qmsg(private), path="/a/<b>")
    assert j.status_code == q.status_code == 404
    assert str(j.format()) == str(q.format())
    assert same_page(jerrors.format_publish_error(j), qerrors.format_publish_error(q))


def test_traversal_error_path_defaults_to_the_current_request() -> None:
    assert jerrors.TraversalError().path == ""  # outside a request (Quixote: AttributeError)
    req = HTTPRequest(io.BytesIO(), {"SCRIPT_NAME": "/app", "PATH_INFO": "/x/y"})
    token = context.bind(types.SimpleNamespace(config=None), req)
    try:
        assert jerrors.TraversalError("gone").path == "/app/x/y"
    finally:
        context.unbind(token)


def test_method_not_allowed_sets_allow_header() -> None:
    exc = jerrors.MethodNotAllowedError(["GET", "POST"])
    assert exc.status_code == 405 and exc.public_msg is None and exc.private_msg is None
    assert exc.format() == "Allowed methods are: GET, POST"  # outside a request: no header
    req = HTTPRequest(io.BytesIO(), {"PATH_INFO": "/"})
    token = context.bind(types.SimpleNamespace(config=None), req)
    try:
        text = exc.format()
        page = jerrors.format_publish_error(exc)
    finally:
        context.unbind(token)
    assert text == "Allowed methods are: GET, POST"
    assert req.response.get_header("Allow") == "GET, POST"
    assert "Error: Method not allowed" in str(page)


def test_page_constants_match_quixote() -> None:
    for name in ("PAGE_TEMPLATE", "ERROR_BODY", "INTERNAL_ERROR_MESSAGE"):
        assert str(getattr(jerrors, name)) == str(getattr(qerrors, name))
        assert isinstance(getattr(jerrors, name), htmltext)
    page = jerrors.format_page("T<", htmltext("<p>b</p>"))
    assert isinstance(page, htmltext)
    assert str(page) == str(qerrors.format_page("T<", qmsg(htmltext("<p>b</p>"))))
    assert "T&lt;" in str(page)
    assert str(jerrors.format_error_page("t", "d<", "x")) == str(qerrors.format_error_page("t", "d<", "x"))


def test_format_page_can_be_replaced(monkeypatch) -> None:
    monkeypatch.setattr(jerrors, "format_page", lambda title, body: "STYLED %s" % title)
    assert jerrors.format_publish_error(jerrors.AccessError()) == "STYLED Error: Access denied"


def test_jack_additions() -> None:
    big = jerrors.RequestEntityTooLargeError("too big")
    assert big.status_code == 413 and isinstance(big, jerrors.RequestError)
    assert "Request entity too large" in str(jerrors.format_publish_error(big))
    bad = jerrors.InvalidHeaderValueError("line break", "value 'a\\r\\nb'")
    assert bad.status_code == 400
    assert isinstance(bad, jerrors.QueryError) and isinstance(bad, ValueError)
    assert str(bad) == "value 'a\\r\\nb'"
    assert str(jerrors.InvalidHeaderValueError()) == "???"


def test_subclass_pattern() -> None:
    class Gone(jerrors.PublishError):
        status_code = 410
        title = "Gone"
        description = "It went."

        def format(self):
            return htmltext("<b>gone</b>")
    page = str(jerrors.format_publish_error(Gone()))
    assert "<title>Error: Gone</title>" in page and "<b>gone</b>" in page and "It went." in page
