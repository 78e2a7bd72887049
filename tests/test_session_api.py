"""The Session and manager API, name by name, against Quixote 3.8 where the behaviour is
observable: CSRF and form tokens, REMOTE_USER, accessors, the manager's mapping protocol, the
null manager; plus the 3.8 bugs Jack fixes."""
from __future__ import annotations

import io

import pytest

import harness


def make_root(q):
    class Root(q.Directory):
        _q_exports = ["csrf", "check", "tokens", "whoami", "setuser", "info", "keys",
                      "cookie", "expire"]

        def csrf(self):
            return q.get_session().get_csrf_token()

        def check(self):
            return "valid=%s" % q.get_session().valid_csrf_token()

        def tokens(self):
            session = q.get_session()
            made = [session.create_form_token() for _ in range(20)]
            return "kept=%d first_gone=%s last_kept=%s" % (
                len(session._form_tokens), not session.has_form_token(made[0]),
                session.has_form_token(made[-1]))

        def whoami(self):
            return "REMOTE_USER=%s" % q.get_request().get_environ("REMOTE_USER")

        def setuser(self):
            q.get_session().set_user(q.get_field("u"))
            return "ok"

        def info(self):
            s = q.get_session()
            return "user=%s get_user=%s addr=%s age_ok=%s str=%s" % (
                s.user, s.get_user(), s.get_remote_address(),
                0 <= s.get_creation_age() < 60 and 0 <= s.get_access_age() < 60,
                str(s).split(" (")[1])

        def keys(self):
            sm = q.get_session_manager()
            keys = sm.keys()
            return "n=%d sorted=%s has=%s contains=%s get_none=%s cookie=%s/%s" % (
                len(keys), sm.sorted_keys() == sorted(keys),
                all(sm.has_session(k) for k in keys), all(k in sm for k in keys),
                sm.get("nope") is None, sm.has_session_cookie(),
                sm.has_session_cookie(must_exist=True))

        def cookie(self):
            return "cookie=%s" % q.get_cookie("QX_session")

        def expire(self):
            q.get_session_manager().expire_session()
            return "session=%s cookie=%s" % (q.get_session(), q.get_cookie("QX_session"))

    return Root()


@pytest.fixture
def pair():
    from quixote.session import SessionManager as QSessionManager
    from jack_runtime import App
    from jack_runtime.session import SessionManager

    quixote = harness.QuixoteSession(lambda: harness.quixote_publisher(
        make_root(harness.quixote_flavour()), session_manager=QSessionManager()))
    jack = harness.JackSession(App(make_root(harness.jack_flavour()),
                                   session_manager=SessionManager(),
                                   session_cookie_samesite=None))

    def both(method, path, **kw):
        q = quixote.call(method, path, **kw)
        j = jack.call(method, path, **kw)
        return q, j

    return quixote, jack, both


def test_csrf_token_like_quixote(pair):
    quixote, jack, both = pair
    q, j = both("GET", "/csrf")
    q_token, j_token = q[2].decode(), j[2].decode()
    assert len(q_token) == len(j_token) == 22
    q = quixote.call("POST", "/check", form={"csrf_token": q_token})
    j = jack.call("POST", "/check", form={"csrf_token": j_token})
    assert q[2] == j[2] == b"valid=True"
    for form in ({"csrf_token": "wrong"}, {}, {"other": "x"}):
        q, j = both("POST", "/check", form=form)
        assert q[2] == j[2] == b"valid=False"
    q = quixote.call("GET", "/check?csrf_token=" + q_token)
    j = jack.call("GET", "/check?csrf_token=" + j_token)
    assert q[2] == j[2] == b"valid=False"          # only a POST counts
    # a repeated field: get_param() takes the last value, in both
    body = "csrf_token=wrong&csrf_token=%s"
    q = quixote.call("POST", "/check", body=body % q_token,
                     content_type="application/x-www-form-urlencoded")
    j = jack.call("POST", "/check", body=body % j_token,
                  content_type="application/x-www-form-urlencoded")
    assert q[2] == j[2] == b"valid=True"


def test_form_token_queue_like_quixote(pair):
    _, _, both = pair
    q, j = both("GET", "/tokens")
    assert q[2] == j[2] == b"kept=16 first_gone=True last_kept=True"


def test_remote_user_and_accessors_like_quixote(pair):
    _, _, both = pair
    q, j = both("GET", "/whoami")
    assert q[2] == j[2] == b"REMOTE_USER=None"
    both("GET", "/setuser?u=dora")
    q, j = both("GET", "/whoami")
    assert q[2] == j[2] == b"REMOTE_USER=dora"
    q, j = both("GET", "/info")
    assert q[2] == j[2] == b"user=dora get_user=dora addr=127.0.0.1 age_ok=True str=user dora)"


def test_mapping_protocol_like_quixote(pair):
    _, _, both = pair
    q, j = both("GET", "/keys")
    assert q[2] == j[2]
    both("GET", "/setuser?u=erin")
    q, j = both("GET", "/keys")
    assert q[2] == j[2] == b"n=1 sorted=True has=True contains=True get_none=True cookie=True/True"


def test_expire_session_keeps_cookie_in_the_request_as_quixote_does(pair):
    """3.8's revoke_session_cookie() uses the None returned by the manager's
    set_session_cookie(), so the revoked cookie stays visible in the request (pages that dump
    the request show it); Jack keeps that, with the same session id."""
    _, _, both = pair
    both("GET", "/setuser?u=finn")
    q, j = both("GET", "/expire")
    assert q[2].startswith(b"session=None cookie=") and q[2] != b"session=None cookie=None"
    assert j[2].startswith(b"session=None cookie=") and j[2] != b"session=None cookie=None"


def test_null_session_manager():
    from jack_runtime import App, get_session
    from jack_runtime.directory import Directory
    from jack_runtime.session import NullSessionManager

    class Root(Directory):
        _q_exports = [""]

        def _q_index(self):
            return "session=%s" % get_session()

    app = App(Root())
    assert isinstance(app.session_manager, NullSessionManager)
    assert harness.jack_call(app, "GET", "/", cookies={"QX_session": "x" * 22})[2] == \
        b"session=None"
    assert list(app.session_manager) == [] and app.session_manager.get("x") is None


def test_session_outside_a_request_and_dump():
    """3.8 needs a request to build a Session and crashes in dump() without a file."""
    from jack_runtime.session import Session

    session = Session("abc")
    assert session.get_remote_address() is None and not session.has_info()
    out = io.StringIO()
    session.dump(out)
    assert out.getvalue().startswith("session abc:  user None")
    assert str(session) == "session abc (no user)"


def test_base_manager_has_access_time_resolution():
    from quixote.session import BaseSessionManager as QBase
    from jack_runtime.session import BaseSessionManager

    assert not hasattr(QBase, "ACCESS_TIME_RESOLUTION")     # 3.8's AttributeError
    assert BaseSessionManager.ACCESS_TIME_RESOLUTION == 1


def test_quixote_names_are_exported():
    import quixote.session
    import jack_runtime.session

    for name in ("Session", "SessionManager", "BaseSessionManager", "NullSessionManager",
                 "SessionStore", "set_session_cookie", "CSRF_TOKEN_NAME"):
        assert hasattr(jack_runtime.session, name), name
        assert hasattr(quixote.session, name), name
    assert jack_runtime.session.CSRF_TOKEN_NAME == quixote.session.CSRF_TOKEN_NAME
    for cls in ("Session", "SessionManager", "BaseSessionManager", "SessionStore"):
        q_names = {n for n in vars(getattr(quixote.session, cls)) if not n.startswith("__")}
        j_cls = getattr(jack_runtime.session, cls)
        missing = {n for n in q_names if not hasattr(j_cls, n)}
        assert missing == set(), (cls, missing)
    assert hasattr(jack_runtime.session.BaseSessionManager, "forget_changes")


def test_default_cookie_is_httponly_and_samesite_lax():
    """Jack's defaults (Quixote's are neither): HttpOnly and SameSite=Lax."""
    from jack_runtime import App, get_session
    from jack_runtime.directory import Directory
    from jack_runtime.session import SessionManager

    class Root(Directory):
        _q_exports = [""]

        def _q_index(self):
            get_session().set_user("x")
            return "ok"

    result = harness.jack_call(App(Root(), session_manager=SessionManager()), "GET", "/")
    assert harness.header(result, "Set-Cookie").endswith("; path=/; httponly; samesite=Lax")
