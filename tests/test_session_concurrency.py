"""Concurrent requests of one session under a threaded server (waitress) keep every write, as
Quixote does when it serves the same requests one after the other; and a request that is
never finished does not keep its session locked."""
from __future__ import annotations

import gc
import threading
import time
import urllib.request

import pytest
import waitress.server

import harness
from jack_runtime import App, get_session
from jack_runtime.directory import Directory
from jack_runtime.session import (BaseSessionManager, MemoryStore, Session, SessionManager,
                                  SqliteStore)

N = 16


class HitSession(Session):
    def __init__(self, id):
        Session.__init__(self, id)
        self.hits = 0

    def has_info(self):
        return self.hits > 0 or Session.has_info(self)

    is_dirty = has_info


def make_root(base, get_session):
    class Root(base):
        _q_exports = ["", "hit"]

        def _q_index(self):
            return "hits=%d" % get_session().hits

        def hit(self):
            # read, let another request run, write back: lost updates unless serialised
            session = get_session()
            seen = session.hits
            time.sleep(0.01)
            session.hits = seen + 1
            session.create_form_token()
            return "ok"

    return Root()


@pytest.fixture
def serve():
    servers = []

    def start(app):
        server = waitress.server.create_server(app, host="127.0.0.1", port=0, threads=8)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        return "http://127.0.0.1:%s" % server.effective_port

    yield start
    for server, thread in servers:
        server.close()
        thread.join(5)


def _get(url, cookie=None):
    req = urllib.request.Request(url)
    if cookie:
        req.add_header("Cookie", cookie)
    with urllib.request.urlopen(req, timeout=20) as resp:
        return resp.read().decode(), resp.headers.get_all("Set-Cookie") or []


def quixote_hits():
    """What Quixote keeps: the same requests, served one by one."""
    import quixote
    from quixote.directory import Directory as QDirectory
    from quixote.session import Session as QSession, SessionManager as QSessionManager

    class QHitSession(QSession):
        def __init__(self, id):
            QSession.__init__(self, id)
            self.hits = 0

        def has_info(self):
            return self.hits > 0 or QSession.has_info(self)

    client = harness.QuixoteSession(lambda: harness.quixote_publisher(
        make_root(QDirectory, quixote.get_session),
        session_manager=QSessionManager(QHitSession)))
    client.call("GET", "/hit")
    for _ in range(N):
        client.call("GET", "/hit")
    return client.call("GET", "/")[2].decode()


@pytest.mark.parametrize("kind", ["dict", "memory", "sqlite"])
def test_concurrent_requests_keep_every_write(serve, tmp_path, kind):
    if kind == "dict":
        manager = SessionManager(HitSession)
    elif kind == "memory":
        manager = BaseSessionManager(HitSession, MemoryStore())
    else:
        manager = BaseSessionManager(HitSession, SqliteStore(tmp_path / "s.db"))
    url = serve(App(make_root(Directory, get_session), session_manager=manager))
    _, set_cookie = _get(url + "/hit")
    cookie = set_cookie[0].split(";")[0]
    errors = []

    def worker():
        try:
            _get(url + "/hit", cookie)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    page, _ = _get(url + "/", cookie)
    assert page == quixote_hits() == "hits=%d" % (N + 1)
    from jack_runtime.session import _LOCKS

    gc.collect()
    assert _LOCKS == {}                 # every lock released


def test_unfinished_request_releases_its_session_lock(tmp_path):
    """Quixote's lifecycle returns early (no finish hook) for a path without a leading
    slash; the session's lock must not outlive that request."""
    from jack_runtime.session import _LOCKS

    manager = BaseSessionManager(HitSession, MemoryStore())
    manager.SESSION_LOCK_TIMEOUT = 5
    client = harness.JackSession(App(make_root(Directory, get_session), session_manager=manager))
    threaded = {"wsgi.multithread": True}
    client.call("GET", "/hit", extra=threaded)
    seen = []
    real_acquire = BaseSessionManager._acquire

    def spy(self, state, session_id):
        real_acquire(self, state, session_id)
        seen.append(state.lock is not None)

    manager._acquire = spy.__get__(manager)
    status = client.call("GET", "hit", extra=threaded)[0]  # PATH_INFO "hit": the 301 path
    assert status.startswith("301") and seen == [True]     # it did take the lock
    gc.collect()
    assert _LOCKS == {}
    started = time.monotonic()
    assert client.call("GET", "/", extra=threaded)[2] == b"hits=1"
    assert time.monotonic() - started < manager.SESSION_LOCK_TIMEOUT  # did not wait it out


def test_sync_workers_take_no_lock():
    """wsgi.multithread false (a gunicorn sync worker): one request at a time per process,
    so no lock is taken (and none is paid for)."""
    manager = BaseSessionManager(HitSession, MemoryStore())
    client = harness.JackSession(App(make_root(Directory, get_session), session_manager=manager))
    client.call("GET", "/hit")
    seen = []
    real_acquire = BaseSessionManager._acquire

    def spy(self, state, session_id):
        real_acquire(self, state, session_id)
        seen.append(state.lock is not None)

    manager._acquire = spy.__get__(manager)
    client.call("GET", "/hit", extra={"wsgi.multithread": False})
    client.call("GET", "/hit", extra={"wsgi.multithread": True})
    assert seen == [False, True]
