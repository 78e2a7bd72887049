"""Quixote's own demo trees (quixote/demo/mini_demo.py and altdemo.py, imported from the
installed package) served by Quixote 3.8 and by Jack: the same responses.

Jack runs the demos' unmodified source with their ``quixote`` imports pointed at Jack
(``harness.load_as_jack``). The session flow of altdemo (login, logout, several clients) is
covered request by request in tests/test_session_altdemo.py; here the traversal of its tree.
"""
from __future__ import annotations

import re

import pytest

import harness


@pytest.fixture(scope="module")
def mini_jack():
    return harness.load_as_jack("quixote.demo.mini_demo")


@pytest.mark.parametrize("method,path", [
    ("GET", "/"), ("GET", ""), ("GET", "/hello"), ("GET", "hello"), ("GET", "/hello/"),
    ("GET", "/index"), ("GET", "/nope"), ("GET", "/hello/x"), ("HEAD", "/hello"),
    ("POST", "/hello"), ("PUT", "/"), ("GET", "//"), ("GET", "/?a=1"),
])
def test_mini_demo(mini_jack, method, path):
    from quixote.demo import mini_demo

    q = harness.quixote_call(mini_demo.create_publisher, method, path)
    j = harness.jack_call(mini_jack.create_publisher(), method, path)
    # create_publisher() sets display_exceptions='plain': private messages carry reprs
    harness.assert_same(q, j, normalise=lambda body: re.sub(rb"0x[0-9a-f]+", b"0x?", body))


def test_mini_demo_factory_builds_a_jack_app(mini_jack):
    from jack_runtime import App

    app = mini_jack.create_publisher()
    assert isinstance(app, App) and app.config.display_exceptions == "plain"


ENVIRON_DUMP = re.compile(rb"<h3>environ</h3><table>.*?</table>", re.S)


def _altdemo_normalise(body: bytes) -> bytes:
    # the request dump lists the environ, whose contents differ by nature (stream objects,
    # keys Jack adds); everything else must match
    return re.sub(rb"0x[0-9a-f]+", b"0x?", ENVIRON_DUMP.sub(b"<environ/>", body))


@pytest.mark.parametrize("method,path,form", [
    ("GET", "/", None), ("GET", "/login", None), ("GET", "login", None),
    ("GET", "/login/", None), ("GET", "/nope", None), ("GET", "/logout", None),
    ("POST", "/login", {"name": "alice"}), ("GET", "/login", {"name": "<b>bob</b>"}),
    ("PUT", "/login", None),
])
def test_altdemo_tree(method, path, form):
    from quixote.demo import altdemo
    from quixote.session import SessionManager as QSessionManager

    from jack_runtime import App
    from jack_runtime.session import SessionManager

    demo = harness.load_as_jack("quixote.demo.altdemo")
    q = harness.quixote_call(lambda: harness.quixote_publisher(
        altdemo.RootDirectory(),
        session_manager=QSessionManager(session_class=altdemo.DemoSession),
        display_exceptions="plain"), method, path, form=form)
    j = harness.jack_call(App(demo.RootDirectory(),
                              session_manager=SessionManager(session_class=demo.DemoSession),
                              display_exceptions="plain", session_cookie_httponly=False,
                              session_cookie_samesite=None), method, path, form=form)
    # a first request creates a session (DemoSession always has info): the ids differ
    ids = re.compile(r"[A-Za-z0-9_\-]{22,}")
    q = (q[0], [(n, ids.sub("<id>", v)) for n, v in q[1]], q[2])
    j = (j[0], [(n, ids.sub("<id>", v)) for n, v in j[1]], j[2])
    harness.assert_same(q, j, normalise=lambda b: re.sub(rb"[A-Za-z0-9_\-]{22,}", b"<id>",
                                                         _altdemo_normalise(b)))
