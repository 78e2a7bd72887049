"""Differential: Quixote's own session demo (quixote/demo/altdemo.py) on Quixote 3.8 and on
Jack, request by request: status, page and Set-Cookie headers.

Jack runs the demo's unmodified source (its ``quixote`` imports pointed at Jack) over each
kind of manager: Quixote's dict-backed SessionManager, and BaseSessionManager over the memory,
sqlite and Redis stores. The only differences allowed are Jack's documented ones: the session
id is rotated at login (one more Set-Cookie), and the cookie carries ``samesite=Lax``.
"""
from __future__ import annotations

import copy
import re
import sys

import pytest

import harness
from test_session_support import redis_server

ID = re.compile(r"[A-Za-z0-9_\-]{22}")
DUMP = re.compile(rb'<div style="font-size: smaller;background:#eee">.*?</body>', re.S)


def normalise_body(body: bytes) -> str:
    """The page without the request dump (environ differs by nature), ids replaced by
    ``<id>``, and the session table's rows (which the demo sorts by random id) sorted."""
    text = ID.sub("<id>", DUMP.sub(b"</body>", body).decode())
    table = re.search(r"(<table><tr><th>.*?</tr>)(.*)(</table>)", text)
    if table is None:
        return text
    rows = sorted(re.findall(r"<tr><td>\d+</td>(.*?)(?=<tr>|$)", table.group(2)))
    return text[:table.start(2)] + "|".join(rows) + text[table.end(2):]


def cookies(result: harness.Result) -> list[str]:
    return [ID.sub("<id>", v) for k, v in result[1] if k.lower() == "set-cookie"]


@pytest.fixture
def altdemo_jack(monkeypatch):
    module = harness.load_as_jack("quixote.demo.altdemo", name="jack_altdemo_under_test")
    # stored sessions are pickled: their class must be importable by its module's name
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return module


def _quixote_clients():
    from quixote.demo import altdemo
    from quixote.session import SessionManager

    first = harness.QuixoteSession(lambda: harness.quixote_publisher(
        altdemo.RootDirectory(), session_manager=SessionManager(session_class=altdemo.DemoSession),
        display_exceptions="plain", session_cookie_httponly=True))
    second = copy.copy(first)
    second.cookies = {}
    return first, second


def _jack_clients(demo, manager):
    from jack_runtime import App

    app = App(demo.RootDirectory(), session_manager=manager, display_exceptions="plain",
              session_cookie_httponly=True, session_cookie_samesite="Lax")
    return harness.JackSession(app), harness.JackSession(app)


# (client, method, path, form): alice uses the demo; bob only looks at the session table.
FLOW = [
    ("alice", "GET", "/", None),
    ("alice", "GET", "/login", None),
    ("alice", "POST", "/login", {"name": "alice"}),
    ("alice", "GET", "/", None),
    ("bob", "GET", "/", None),
    ("alice", "GET", "/", None),
    ("bob", "POST", "/login", {"name": "bob"}),
    ("alice", "GET", "/logout", None),
    ("alice", "GET", "/", None),
    ("bob", "GET", "/", None),
    ("alice", "GET", "/logout", None),
    ("bob", "GET", "/logout", None),
    ("bob", "GET", "/", None),
]


def run_flow(clients):
    out = []
    by_name = dict(zip(("alice", "bob"), clients))
    for name, method, path, form in FLOW:
        kw = {"form": form} if form is not None else {}
        result = by_name[name].call(method, path, **kw)
        out.append((result[0], normalise_body(result[2]), cookies(result)))
    return out


def _store_managers(demo, tmp_path, redis_url=None):
    from jack_runtime.session import (BaseSessionManager, MemoryStore, RedisStore,
                                      SessionManager, SqliteStore)

    yield "SessionManager(dict)", SessionManager(session_class=demo.DemoSession)
    yield "MemoryStore", BaseSessionManager(demo.DemoSession, MemoryStore())
    yield "SqliteStore", BaseSessionManager(demo.DemoSession, SqliteStore(tmp_path / "s.db"))
    if redis_url:
        yield "RedisStore", BaseSessionManager(demo.DemoSession, RedisStore(redis_url))


def _check_against_quixote(quixote_steps, jack_steps, label):
    assert len(quixote_steps) == len(jack_steps)
    for step, (q, j) in enumerate(zip(quixote_steps, jack_steps)):
        who, method, path, _ = FLOW[step]
        where = "%s: step %d (%s %s %s)" % (label, step, who, method, path)
        assert j[0] == q[0], where
        assert j[1] == q[1], where + "\njack:    %s\nquixote: %s" % (j[1], q[1])
        expected = [c + "; samesite=Lax" for c in q[2]]
        if method == "POST" and path == "/login":
            # Jack's deliberate difference: the login gives the session a new id
            assert q[2] == [], where
            expected = ['QX_session="<id>"; path=/; httponly; samesite=Lax']
        assert j[2] == expected, where


def test_altdemo_flow_matches_quixote(altdemo_jack, tmp_path):
    quixote_steps = run_flow(_quixote_clients())
    # sanity: the flow exercises what it is meant to
    assert "Hello, alice." in quixote_steps[3][1]
    assert quixote_steps[0][2] == ['QX_session="<id>"; path=/; httponly']
    assert quixote_steps[7][2] == ['QX_session=""; path=/; max-age=0; httponly']
    assert ('<td><id></td><td><em>None</em></td><td>1</td>|'
            '<td><span style="font-weight:bold"><id></span></td><td>alice</td><td>5</td>'
            '</table>') in quixote_steps[5][1]
    for label, manager in _store_managers(altdemo_jack, tmp_path):
        _check_against_quixote(quixote_steps, run_flow(_jack_clients(altdemo_jack, manager)),
                               label)


def test_altdemo_flow_on_redis_matches_quixote(altdemo_jack, tmp_path):
    quixote_steps = run_flow(_quixote_clients())
    with redis_server() as url:
        from jack_runtime.session import BaseSessionManager, RedisStore

        manager = BaseSessionManager(altdemo_jack.DemoSession, RedisStore(url))
        _check_against_quixote(quixote_steps, run_flow(_jack_clients(altdemo_jack, manager)),
                               "RedisStore")


def test_login_rotates_the_session_id(altdemo_jack, tmp_path):
    """No session fixation: the id known before login is dead after it."""
    from jack_runtime.session import BaseSessionManager, SqliteStore

    manager = BaseSessionManager(altdemo_jack.DemoSession, SqliteStore(tmp_path / "s.db"))
    alice, attacker = _jack_clients(altdemo_jack, manager)
    alice.call("GET", "/")
    planted = alice.cookies["QX_session"]
    alice.call("POST", "/login", form={"name": "alice"})
    assert alice.cookies["QX_session"] != planted
    attacker.cookies["QX_session"] = planted
    page = attacker.call("GET", "/")[2].decode()
    assert "Hello" not in page and "login" in page
    assert planted not in manager.keys()
    assert "Hello, alice." in alice.call("GET", "/")[2].decode()
