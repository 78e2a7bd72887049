"""Differential: Set-Cookie headers through a session's lifecycle, Quixote 3.8 against Jack.

One tree, written once for both frameworks, walks a session through every state change
Quixote's manager handles: nothing stored (no cookie), first information (cookie set), more
information (no new cookie), becoming empty (cookie revoked), expiry, bogus cookies, and the
cookie options (name, domain, path from config or SCRIPT_NAME, secure, httponly). Jack's only
differences are the documented ones: a new id when the user changes, and SameSite.
"""
from __future__ import annotations

import re

import pytest

import harness

ID = re.compile(r"[A-Za-z0-9_\-]{22}")


def make_root(q):
    class Root(q.Directory):
        _q_exports = ["", "login", "logout", "token", "use_token", "csrf", "expire", "peek",
                      "fail"]

        def _q_index(self):
            session = q.get_session()
            return "user=%s tokens=%d" % (session.user, len(session._form_tokens))

        def login(self):
            q.get_session().set_user(q.get_field("name") or "alice")
            return "in"

        def logout(self):
            q.get_session().set_user(None)
            return "out"

        def token(self):
            return "token " + q.get_session().create_form_token()

        def use_token(self):
            session = q.get_session()
            token = q.get_field("t")
            if not session.has_form_token(token):
                return "bad token"
            session.remove_form_token(token)
            return "used"

        def csrf(self):
            q.get_session().get_csrf_token()
            return "csrf"

        def expire(self):
            q.get_session_manager().expire_session()
            return "expired"

        def peek(self):
            return "has cookie: %s" % (q.get_cookie("QX_session") is not None)

        def fail(self):
            q.get_session().set_user("mallory")
            raise q.AccessError("no")

    return Root()


def _pair(config):
    from quixote.session import SessionManager as QSessionManager
    from jack_runtime import App
    from jack_runtime.session import SessionManager

    q_flavour, j_flavour = harness.quixote_flavour(), harness.jack_flavour()
    quixote = harness.QuixoteSession(lambda: harness.quixote_publisher(
        make_root(q_flavour), session_manager=QSessionManager(), **config))
    jack_config = dict(config, session_cookie_samesite=None)
    jack_config.setdefault("session_cookie_httponly", False)
    jack = harness.JackSession(App(make_root(j_flavour), session_manager=SessionManager(),
                                   **jack_config))
    return quixote, jack


def _cookies(result):
    return [ID.sub("<id>", v) for k, v in result[1] if k.lower() == "set-cookie"]


def _step(quixote, jack, method, path, rotates=False, **kw):
    q = quixote.call(method, path, **kw)
    j = jack.call(method, path, **kw)
    q_body, j_body = ID.sub("<id>", q[2].decode()), ID.sub("<id>", j[2].decode())
    assert (j[0], j_body) == (q[0], q_body), (method, path)
    if rotates:
        # Jack's deliberate difference: a stored session whose user changed gets a new id
        assert _cookies(q) == [] and _cookies(j) == ['QX_session="<id>"; path=/'], (path, j[1])
    else:
        assert _cookies(j) == _cookies(q), (method, path, j[1], q[1])
    return q, j


def test_set_cookie_through_the_lifecycle():
    quixote, jack = _pair({})
    step = lambda *a, **kw: _step(quixote, jack, *a, **kw)  # noqa: E731
    q, j = step("GET", "/")                       # nothing to store: no cookie
    assert _cookies(q) == []
    q, j = step("GET", "/token")                  # first info: the cookie is set
    assert _cookies(q) == ['QX_session="<id>"; path=/']
    q_token, j_token = q[2].decode().split()[1], j[2].decode().split()[1]
    step("GET", "/token")                         # more info, same session: no cookie
    step("GET", "/")
    step("GET", "/login", rotates=True)           # user set on a stored session
    q2 = quixote.call("GET", "/use_token", form={"t": q_token})
    j2 = jack.call("GET", "/use_token", form={"t": j_token})
    assert q2[2] == j2[2] == b"used" and _cookies(q2) == _cookies(j2) == []
    step("GET", "/logout", rotates=True)          # user gone, a token left: still stored
    q, j = step("GET", "/")
    assert q[2] == b"user=None tokens=1"
    # the last token goes: the session is empty, deleted, its cookie revoked
    quixote_sm = quixote.publisher.session_manager
    jack_sm = jack.app.session_manager
    (q_session,) = quixote_sm.values()
    (j_session,) = jack_sm.values()
    q_last, j_last = q_session._form_tokens[0], j_session._form_tokens[0]
    q3 = quixote.call("GET", "/use_token", form={"t": q_last})
    j3 = jack.call("GET", "/use_token", form={"t": j_last})
    assert _cookies(q3) == _cookies(j3) == ['QX_session=""; path=/; max-age=0']
    assert quixote_sm.keys() == [] and jack_sm.keys() == []
    step("GET", "/")                              # no cookie any more, nothing stored
    step("GET", "/csrf")                          # a CSRF token is information too
    step("GET", "/expire")                        # expire_session: revoked, dropped
    assert jack_sm.keys() == []
    step("GET", "/peek")


@pytest.mark.parametrize("value", ["", "*del*", "junk", "x" * 22, "a;b", "Zm9v" * 40])
def test_bogus_cookie_gives_a_fresh_session(value):
    quixote, jack = _pair({})
    quixote.cookies["QX_session"] = jack.cookies["QX_session"] = value
    q, j = _step(quixote, jack, "GET", "/")
    assert j[2] == b"user=None tokens=0"
    _step(quixote, jack, "GET", "/token")


def test_publish_error_still_commits():
    quixote, jack = _pair({})
    _step(quixote, jack, "GET", "/token")
    q, j = _step(quixote, jack, "GET", "/fail", rotates=True)
    assert q[0].startswith("403")
    _step(quixote, jack, "GET", "/")


@pytest.mark.parametrize("config, script_name", [
    ({"session_cookie_name": "sid", "session_cookie_domain": ".example.com",
      "session_cookie_path": "/app/", "session_cookie_secure": True,
      "session_cookie_httponly": True}, ""),
    ({}, "/mounted"),
    ({}, "/mounted/"),
    ({"session_cookie_path": "/p"}, "/mounted"),
])
def test_cookie_options(config, script_name):
    quixote, jack = _pair(config)
    q = quixote.call("GET", "/token", script_name=script_name)
    j = jack.call("GET", "/token", script_name=script_name)
    assert _cookies(j) == _cookies(q) and len(_cookies(q)) == 1
    name = config.get("session_cookie_name", "QX_session")
    assert _cookies(q)[0].startswith(name + '="<id>"')
    q = quixote.call("GET", "/expire", script_name=script_name)
    j = jack.call("GET", "/expire", script_name=script_name)
    assert _cookies(j) == _cookies(q) and "max-age=0" in _cookies(q)[0]


def test_samesite_and_httponly_options():
    """Jack's additions: ``session_cookie_samesite`` (appended last) and httponly."""
    from jack_runtime import App
    from jack_runtime.session import SessionManager

    app = App(make_root(harness.jack_flavour()), session_manager=SessionManager(),
              session_cookie_httponly=True, session_cookie_samesite="Lax")
    jack = harness.JackSession(app)
    assert _cookies(jack.call("GET", "/token")) == \
        ['QX_session="<id>"; path=/; httponly; samesite=Lax']
    assert _cookies(jack.call("GET", "/expire")) == \
        ['QX_session=""; path=/; max-age=0; httponly; samesite=Lax']
    app.config.session_cookie_samesite = "Strict"
    app.config.session_cookie_httponly = False
    assert _cookies(jack.call("GET", "/token")) == ['QX_session="<id>"; path=/; samesite=Strict']
