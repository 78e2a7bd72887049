"""The shortcuts of the session hot path keep every behaviour they skip work for: application
hooks (get, __setitem__) and Quixote-style stores are still used, the per-session lock of an
abandoned request is released even when the request sits in a reference cycle, a store
connection opened before fork() is not used in the child, and the sqlite file layout (2 KiB
pages, rowid table) does not break files written by the earlier layout."""
from __future__ import annotations

import gc
import io
import pickle
import sqlite3

import harness
from jack_runtime import App, get_session
from jack_runtime.context import bind, unbind
from jack_runtime.directory import Directory
from jack_runtime.http import HTTPRequest
from jack_runtime.session import (_LOCKS, BaseSessionManager, MemoryStore, SessionStore,
                                  SqliteStore)
from jack_runtime.session import store as store_module


class Root(Directory):
    _q_exports = ["", "login", "write"]

    def _q_index(self):
        session = get_session()
        return "%s %s" % (session.user, getattr(session, "counter", 0))

    def login(self):
        get_session().set_user("bob")
        return "in"

    def write(self):
        session = get_session()
        session.counter = getattr(session, "counter", 0) + 1
        return "ok"


class CopyingStore(SessionStore):
    """A store written to Quixote's interface only (no PickleStore): sessions kept as pickles
    it makes itself, with a log of its calls."""

    def __init__(self):
        self.data: dict[str, bytes] = {}
        self.calls: list[str] = []

    def load_session(self, id):
        self.calls.append("load")
        data = self.data.get(id)
        return None if data is None else pickle.loads(data)

    def save_session(self, session):
        self.calls.append("save")
        self.data[session.id] = pickle.dumps(session)

    def delete_session(self, session_id):
        self.calls.append("delete")
        self.data.pop(session_id, None)

    def __iter__(self):
        return iter(list(self.data))


def test_a_quixote_style_store_gets_changed_sessions_only():
    store = CopyingStore()
    client = harness.JackSession(App(Root(), session_manager=BaseSessionManager(
        session_store=store)))
    client.call("GET", "/login")
    store.calls.clear()
    assert client.call("GET", "/write")[2] == b"ok"
    assert store.calls == ["load", "save"]
    store.calls.clear()
    assert client.call("GET", "/")[2] == b"bob 1"
    assert store.calls == ["load"]  # unchanged: not written back


def test_overridden_setitem_and_get_are_still_called():
    calls = []

    class Manager(BaseSessionManager):
        def get(self, session_id, default=None):
            calls.append("get")
            return BaseSessionManager.get(self, session_id, default)

        def __setitem__(self, session_id, session):
            calls.append("setitem")
            BaseSessionManager.__setitem__(self, session_id, session)

    client = harness.JackSession(App(Root(), session_manager=Manager(session_store=MemoryStore())))
    client.call("GET", "/login")
    calls.clear()
    client.call("GET", "/write")
    assert calls == ["get", "setitem"]
    assert client.call("GET", "/")[2] == b"bob 1"


def test_lock_of_an_abandoned_request_in_a_reference_cycle_is_released():
    manager = BaseSessionManager(session_store=MemoryStore())
    app = App(Root(), session_manager=manager)
    client = harness.JackSession(app)
    client.call("GET", "/login")
    cookie = "QX_session=%s" % client.cookies["QX_session"]
    environ = harness.make_environ("GET", "/", extra={"wsgi.multithread": True})
    environ["HTTP_COOKIE"] = cookie
    request = HTTPRequest(io.BytesIO(b""), environ)
    token = bind(app, request)
    try:
        manager.start_request()  # takes the session's lock; never finished
    finally:
        unbind(token)
    assert len(_LOCKS) == 1
    request.cycle = request  # only the cyclic garbage collector can free it
    gc.disable()
    try:
        del request
        assert len(_LOCKS) == 1  # still alive: the lock is held
    finally:
        gc.enable()
    gc.collect()
    assert _LOCKS == {}


def _child_saves(store, session_id, data, queue):
    try:
        store.save(session_id, data)
        queue.put(store.load(session_id) == data)
    except Exception as exc:  # reported to the parent
        queue.put(repr(exc))


def test_a_connection_opened_before_fork_is_not_used_in_the_child(tmp_path):
    import multiprocessing

    store = SqliteStore(tmp_path / "s.db")
    store.save("a" * 22, b"parent")
    parent_cursor = store._connect()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_saves, args=(store, "b" * 22, b"child", queue))
    child.start()
    assert queue.get(timeout=30) is True
    child.join(10)
    # the parent's connection is untouched (not closed by the child) and sees the child's row
    assert store._connect() is parent_cursor
    assert store.load("b" * 22) == b"child"


def test_fork_generation_makes_a_new_connection(tmp_path):
    store = SqliteStore(tmp_path / "s.db")
    store.save("a" * 22, b"x")
    before = store._connect()
    store_module._after_fork_in_child()  # what os.register_at_fork runs in a child
    after = store._connect()
    assert after is not before and after.connection is not before.connection
    assert store.load("a" * 22) == b"x"
    before.connection.close()


def test_new_files_get_small_pages_and_a_rowid_table(tmp_path):
    store = SqliteStore(tmp_path / "s.db")
    store.save("a" * 22, b"x" * 5000)  # larger than a page: overflow pages, still whole
    assert store.load("a" * 22) == b"x" * 5000
    conn = sqlite3.connect(tmp_path / "s.db")
    assert conn.execute("PRAGMA page_size").fetchone()[0] == 2048
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'jack_sessions'").fetchone()[0]
    assert "WITHOUT ROWID" not in sql
    conn.close()


def test_a_file_made_by_the_earlier_layout_keeps_working(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE jack_sessions (id TEXT PRIMARY KEY, data BLOB NOT NULL, "
                 "atime REAL NOT NULL) WITHOUT ROWID")
    conn.close()
    store = SqliteStore(path, max_age=3600)
    client = harness.JackSession(App(Root(), session_manager=BaseSessionManager(
        session_store=store)))
    client.call("GET", "/login")
    client.call("GET", "/write")
    assert client.call("GET", "/")[2] == b"bob 1"
    assert list(store.ids()) == [client.cookies["QX_session"]]
    assert store.expire() == 0
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA page_size").fetchone()[0] == 4096  # an existing file keeps its
    conn.close()
