"""The stores and the store-based manager: persistence, expiry, Quixote compatibility of the
pickled Session, application subclasses, and the faults (503 for an unreachable store, a fresh
session for a corrupt one)."""
from __future__ import annotations

import io
import logging
import os
import pickle
import shelve
import sqlite3
import time

import pytest

import harness
from test_session_support import free_port, redis_server

from jack_runtime import App, get_session
from jack_runtime.directory import Directory
from jack_runtime.errors import PublishError
from jack_runtime.session import (BaseSessionManager, MemoryStore, RedisStore, Session,
                                  SessionManager, SessionStore, SessionStoreUnavailable,
                                  SqliteStore, new_session_id)

LOGGER = "jack_runtime.session"


class Root(Directory):
    _q_exports = ["", "login", "token", "crash", "noop"]

    def _q_index(self):
        session = get_session()
        return "user=%s tokens=%d" % (session.user, len(session._form_tokens))

    def login(self):
        get_session().set_user("bob")
        return "in"

    def token(self):
        get_session().create_form_token()
        return "token"

    def crash(self):
        get_session().create_form_token()
        raise ValueError("boom")

    def noop(self):
        return "noop"


def client(manager, **config):
    return harness.JackSession(App(Root(), session_manager=manager, **config))


def body(result):
    return result[2].decode()


# -- the stores themselves ------------------------------------------------------------------

@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request, tmp_path):
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "sqlite":
        yield SqliteStore(tmp_path / "sessions.db")
    else:
        with redis_server() as url:
            yield RedisStore(url, prefix="t%d:" % os.getpid())


def test_store_roundtrip_through_the_app(store):
    manager = BaseSessionManager(session_store=store)
    c = client(manager)
    assert body(c.call("GET", "/")) == "user=None tokens=0"
    assert list(store) == []                       # nothing stored for an empty session
    c.call("GET", "/login")
    (session_id,) = list(store)
    assert c.cookies["QX_session"] == session_id and len(session_id) == 22
    assert body(c.call("GET", "/")) == "user=bob tokens=0"
    c.call("GET", "/token")                        # a change to a stored session is saved
    assert body(c.call("GET", "/")) == "user=bob tokens=1"
    loaded = store.load_session(session_id)
    assert isinstance(loaded, Session) and loaded.user == "bob" and loaded.id == session_id
    assert manager.keys() == [session_id] and [s.id for s in manager] == [session_id]
    assert session_id in manager and manager[session_id].user == "bob"
    c.call("GET", "/crash")                        # a 500 aborts: the new token is not kept
    assert body(c.call("GET", "/")) == "user=bob tokens=1"
    del manager[session_id]
    assert session_id not in manager and list(store) == []
    assert body(c.call("GET", "/")) == "user=None tokens=0"


def test_sqlite_is_one_wal_file_shared_by_store_instances(tmp_path):
    path = tmp_path / "s.db"
    c = client(BaseSessionManager(session_store=SqliteStore(path)))
    c.call("GET", "/login")
    # another store object (another process would do the same) sees the session
    other = client(BaseSessionManager(session_store=SqliteStore(path)))
    other.cookies.update(c.cookies)
    assert body(other.call("GET", "/")) == "user=bob tokens=0"
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_sqlite_expiry(tmp_path):
    store = SqliteStore(tmp_path / "s.db", max_age=3600)
    c = client(BaseSessionManager(session_store=store))
    c.call("GET", "/login")
    session_id = c.cookies["QX_session"]
    conn = sqlite3.connect(tmp_path / "s.db")
    conn.execute("UPDATE jack_sessions SET atime = atime - 7200")
    conn.commit()
    assert store.load(session_id) is None          # idle too long: invisible at once
    assert body(c.call("GET", "/")) == "user=None tokens=0"
    assert store.expire() == 1                     # and deleted by the sweep
    assert conn.execute("SELECT count(*) FROM jack_sessions").fetchone()[0] == 0
    conn.close()


def test_memory_store_expiry():
    store = MemoryStore(max_age=60)
    store.save("a" * 22, b"x")
    store._data["a" * 22] = (b"x", time.time() - 120)
    assert store.load("a" * 22) is None and list(store) == []
    assert store.expire() == 1 and store._data == {}


def test_store_survives_pickling_with_the_manager(tmp_path):
    """A manager stored in an object database (the Durus pattern) carries its store config."""
    manager = BaseSessionManager(session_store=SqliteStore(tmp_path / "s.db"))
    c = client(manager)
    c.call("GET", "/login")
    clone = pickle.loads(pickle.dumps(manager))
    other = client(clone)
    other.cookies.update(c.cookies)
    assert body(other.call("GET", "/")) == "user=bob tokens=0"


# -- ids -------------------------------------------------------------------------------------

def test_session_ids_are_128_bit_urlsafe_and_unique():
    ids = {new_session_id() for _ in range(2000)}
    assert len(ids) == 2000
    for session_id in list(ids)[:50]:
        assert len(session_id) == 22
        assert len(__import__("base64").urlsafe_b64decode(session_id + "==")) == 16


class SpyStore(MemoryStore):
    def __init__(self):
        super().__init__()
        self.loads_asked = []
        self.saves = 0

    def load(self, session_id):
        self.loads_asked.append(session_id)
        return super().load(session_id)

    def save(self, session_id, data):
        self.saves += 1
        super().save(session_id, data)


@pytest.mark.parametrize("value", ["", "*del*", "short", "<script>alert(1)</script>",
                                   "a b" * 10, "é" * 22, "x" * 200, "x" * 21 + "\x00"])
def test_malformed_ids_are_not_looked_up(value):
    store = SpyStore()
    c = client(BaseSessionManager(session_store=store))
    c.cookies["QX_session"] = value
    assert body(c.call("GET", "/")) == "user=None tokens=0"
    assert store.loads_asked == []


def test_unknown_well_formed_id_gives_a_fresh_session():
    store = SpyStore()
    c = client(BaseSessionManager(session_store=store))
    c.cookies["QX_session"] = unknown = new_session_id()
    assert body(c.call("GET", "/")) == "user=None tokens=0"
    assert store.loads_asked == [unknown]
    c.call("GET", "/token")
    assert c.cookies["QX_session"] != unknown      # never adopts the client's id


def test_read_only_requests_do_not_write():
    store = SpyStore()
    manager = BaseSessionManager(session_store=store)
    manager.ACCESS_TIME_RESOLUTION = 3600
    c = client(manager)
    c.call("GET", "/login")
    assert store.saves == 1
    for _ in range(5):
        c.call("GET", "/noop")
    assert store.saves == 1
    c.call("GET", "/token")
    assert store.saves == 2


# -- Quixote compatibility -------------------------------------------------------------------

def test_session_pickled_by_quixote_loads_in_jack():
    """The attribute names are Quixote's: a quixote.session.Session pickle, with its class
    path mapped (what the compat shim does), is a working Jack session."""
    from quixote.session import SessionManager as QSessionManager

    q_flavour = harness.quixote_flavour()

    class QRoot(q_flavour.Directory):
        _q_exports = ["login"]

        def login(self):
            session = q_flavour.get_session()
            session.set_user("carol")
            session.create_form_token()
            session.get_csrf_token()
            return "in"

    quixote = harness.QuixoteSession(lambda: harness.quixote_publisher(
        QRoot(), session_manager=QSessionManager()))
    quixote.call("GET", "/login")
    (q_session,) = quixote.publisher.session_manager.values()
    data = pickle.dumps(q_session)
    assert b"quixote.session" in data

    class ShimStore(MemoryStore):
        def loads(self, data):
            return _MappingUnpickler(io.BytesIO(data)).load()

    store = ShimStore()
    store.save(q_session.id, data)
    c = client(BaseSessionManager(session_store=store))
    c.cookies["QX_session"] = q_session.id
    assert body(c.call("GET", "/")) == "user=carol tokens=1"
    loaded = store.load_session(q_session.id)
    assert type(loaded) is Session
    assert vars(loaded) == vars(q_session)
    assert loaded.has_form_token(q_session._form_tokens[0])
    assert loaded.get_csrf_token() == q_session._csrf_token


class _MappingUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module == "quixote.session":
            module = "jack_runtime.session"
        return super().find_class(module, name)


def test_jack_session_has_quixote_attribute_names():
    from quixote.session import Session as QSession

    session = Session("x" * 22)
    assert set(vars(session)) == {"id", "user", "_remote_address", "_creation_time",
                                  "_access_time", "_form_tokens", "_csrf_token"}
    assert Session.MAX_FORM_TOKENS == QSession.MAX_FORM_TOKENS == 16


# -- application subclasses ------------------------------------------------------------------

class Counted(Session):
    def __init__(self, id):
        Session.__init__(self, id)
        self.visits = 0

    def start_request(self):
        Session.start_request(self)
        self.visits += 1

    def has_info(self):
        return self.visits > 1 or Session.has_info(self)


def test_manager_subclass_hooks_are_called():
    calls = []

    class Manager(BaseSessionManager):
        def new_session(self, id):
            calls.append("new")
            return BaseSessionManager.new_session(self, id)

        def commit_changes(self, session):
            calls.append("commit")
            BaseSessionManager.commit_changes(self, session)

        def abort_changes(self, session):
            calls.append("abort")
            BaseSessionManager.abort_changes(self, session)

    manager = Manager(Counted, MemoryStore())
    c = client(manager)
    c.call("GET", "/")
    assert c.cookies == {} and calls == ["new", "commit"]
    c.call("GET", "/")
    assert calls == ["new", "commit", "new", "commit"]
    c.call("GET", "/login")
    assert calls[-2:] == ["new", "commit"] and "QX_session" in c.cookies
    calls.clear()
    c.call("GET", "/crash")
    assert calls == ["abort"]
    manager.forget_changes(None)                   # Quixote's old name still works
    assert calls[-1] == "abort"


class Sticky(Session):
    def has_info(self):
        return True


class ShelvedSession(Session):
    is_dirty = Session.has_info


def test_subclass_has_info_decides_storage():
    c = client(BaseSessionManager(Sticky, MemoryStore()))
    c.call("GET", "/")
    assert "QX_session" in c.cookies


def test_session_manager_over_shelve(tmp_path):
    """Quixote's documented persistence pattern: a shelve mapping and is_dirty = has_info."""
    path = str(tmp_path / "sessions.shelf")
    with shelve.open(path) as shelf:
        c = client(SessionManager(ShelvedSession, shelf))
        c.call("GET", "/login")
        c.call("GET", "/token")
    with shelve.open(path) as shelf:             # "after a restart"
        again = client(SessionManager(ShelvedSession, shelf))
        again.cookies.update(c.cookies)
        assert body(again.call("GET", "/")) == "user=bob tokens=1"


def test_memory_warns_under_several_processes(caplog, tmp_path):
    caplog.set_level(logging.WARNING, LOGGER)
    for manager in (BaseSessionManager(session_store=MemoryStore()), SessionManager()):
        caplog.clear()
        c = client(manager)
        c.call("GET", "/", extra={"wsgi.multiprocess": True})
        c.call("GET", "/", extra={"wsgi.multiprocess": True})
        warnings = [r for r in caplog.records if "several processes" in r.getMessage()]
        assert len(warnings) == 1, caplog.text      # once per process, not per request
    caplog.clear()
    client(BaseSessionManager(session_store=MemoryStore())).call("GET", "/")
    client(BaseSessionManager(session_store=SqliteStore(tmp_path / "s.db"))).call(
        "GET", "/", extra={"wsgi.multiprocess": True})
    assert "several processes" not in caplog.text


# -- faults ----------------------------------------------------------------------------------

def test_sqlite_locked_gives_503_and_writes_nothing(tmp_path, caplog):
    path = tmp_path / "s.db"
    manager = BaseSessionManager(session_store=SqliteStore(path, timeout=0.05))
    manager.ACCESS_TIME_RESOLUTION = 3600
    c = client(manager)
    c.call("GET", "/login")
    c.call("GET", "/token")
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")              # another process holds the write lock
    try:
        caplog.set_level(logging.ERROR, LOGGER)
        assert body(c.call("GET", "/")) == "user=bob tokens=1"   # WAL: reads go on
        status, headers, page = c.call("GET", "/token")
        assert status.startswith("503")
        assert b"Service Unavailable" in page
        assert not [v for k, v in headers if k.lower() == "set-cookie"]
        assert "session store unavailable: sqlite" in caplog.text
        assert "database is locked" in caplog.text
        # a new visitor's first save fails too, and no cookie is handed out for it
        newcomer = client(manager)
        assert newcomer.call("GET", "/login")[0].startswith("503")
        assert newcomer.cookies == {}
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert body(c.call("GET", "/")) == "user=bob tokens=1"       # nothing half-written
    c.call("GET", "/token")
    assert body(c.call("GET", "/")) == "user=bob tokens=2"


def test_sqlite_unopenable_gives_503(tmp_path, caplog):
    (tmp_path / "a_file").write_text("not a directory")
    c = client(BaseSessionManager(session_store=SqliteStore(tmp_path / "a_file" / "s.db")))
    caplog.set_level(logging.ERROR, LOGGER)
    assert c.call("GET", "/")[0].startswith("200")               # nothing to load or store
    assert c.call("GET", "/login")[0].startswith("503")
    assert "unable to open database file" in caplog.text
    c.cookies["QX_session"] = new_session_id()
    assert c.call("GET", "/")[0].startswith("503")               # the load fails too


def test_sqlite_unwritable_existing_database_gives_503(tmp_path, caplog):
    path = tmp_path / "s.db"
    store = SqliteStore(path, timeout=0.05)
    c = client(BaseSessionManager(session_store=store))
    c.call("GET", "/login")
    store.close()
    if os.geteuid() != 0:
        os.chmod(path, 0o444)
        os.chmod(tmp_path, 0o555)
    else:
        # root writes through file modes: take away the WAL file's place instead
        for suffix in ("-wal", "-shm"):
            if os.path.exists(str(path) + suffix):
                os.remove(str(path) + suffix)
            os.mkdir(str(path) + suffix)
    caplog.set_level(logging.ERROR, LOGGER)
    try:
        status = c.call("GET", "/token")[0]
    finally:
        os.chmod(tmp_path, 0o755)
    assert status.startswith("503")
    assert "session store unavailable: sqlite" in caplog.text


def test_redis_down_gives_503(caplog):
    store = RedisStore("redis://127.0.0.1:%d/0" % free_port(), socket_timeout=0.5)
    c = client(BaseSessionManager(session_store=store))
    caplog.set_level(logging.ERROR, LOGGER)
    assert c.call("GET", "/")[0].startswith("200")
    status, headers, _ = c.call("GET", "/login")
    assert status.startswith("503") and c.cookies == {}
    assert "session store unavailable: redis" in caplog.text
    c.cookies["QX_session"] = new_session_id()
    assert c.call("GET", "/")[0].startswith("503")


def test_redis_going_down_mid_life_gives_503(caplog):
    with redis_server() as url:
        store = RedisStore(url, socket_timeout=0.5)
        c = client(BaseSessionManager(session_store=store))
        c.call("GET", "/login")
        store._redis().shutdown(nosave=True)
    caplog.set_level(logging.ERROR, LOGGER)
    assert c.call("GET", "/")[0].startswith("503")
    assert "session store unavailable: redis" in caplog.text


def test_store_failure_while_committing_is_written_once():
    class Flaky(SpyStore):
        def save(self, session_id, data):
            self.saves += 1
            raise SessionStoreUnavailable("down")

    store = Flaky()
    c = client(BaseSessionManager(session_store=store))
    assert c.call("GET", "/login")[0].startswith("503")
    assert store.saves == 1          # not retried by finish_interrupted_request's commit
    assert issubclass(SessionStoreUnavailable, PublishError)
    assert SessionStoreUnavailable.status_code == 503


class OldSession:
    """Stands for a session pickled by an old release, under other attribute names."""

    def __init__(self):
        self._Session__remote_address = "10.0.0.1"


def _foreign_session():
    session = Session("y" * 22)  # pickled under another id than the one it is stored under
    session.user = "mallory"
    return pickle.dumps(session)


@pytest.mark.parametrize("garbage", [b"\x00not a pickle", b"", pickle.dumps({"a": 1}),
                                     pickle.dumps(OldSession()), _foreign_session(),
                                     b"\x80\x04\x95\x1c\x00\x00\x00\x00\x00\x00\x00\x8c\x0bno"
                                     b"_such_mod\x94\x8c\x03Cls\x94\x93\x94)\x81\x94."])
def test_corrupt_stored_session_gives_a_fresh_session(tmp_path, caplog, garbage):
    path = tmp_path / "s.db"
    store = SqliteStore(path)
    c = client(BaseSessionManager(session_store=store))
    c.call("GET", "/login")
    session_id = c.cookies["QX_session"]
    conn = sqlite3.connect(path)
    conn.execute("UPDATE jack_sessions SET data = ?", (garbage,))
    conn.commit()
    conn.close()
    caplog.set_level(logging.WARNING, LOGGER)
    status, _, page = c.call("GET", "/")
    assert status.startswith("200") and page == b"user=None tokens=0"
    assert "stored data unusable" in caplog.text
    assert store.load(session_id) is None          # dropped: logged once, not every request
    c.call("GET", "/login")
    assert body(c.call("GET", "/")) == "user=bob tokens=0"


def test_sqlite_refuses_a_private_memory_database():
    with pytest.raises(ValueError, match="MemoryStore"):
        SqliteStore(":memory:")


def test_abstract_store_names():
    store = SessionStore()
    with pytest.raises(NotImplementedError):
        store.load_session("x")
    store.transaction_start()
    store.transaction_commit(None)
    store.transaction_abort(None)


def test_session_manager_state_is_quixotes():
    """Object databases store the manager itself (altdemo's Durus variant): after serving
    requests its state is what Quixote's would be, and it pickles."""
    manager = SessionManager(Counted)
    c = client(manager)
    c.call("GET", "/login")
    c.call("GET", "/", extra={"wsgi.multiprocess": True})
    assert set(vars(manager)) == {"session_class", "sessions"}
    clone = pickle.loads(pickle.dumps(manager))
    assert [s.user for s in clone] == ["bob"]


@pytest.mark.parametrize("make_id", [lambda: str(__import__("uuid").uuid4()),
                                     lambda: __import__("base64").b64encode(os.urandom(16))
                                     .decode()])
def test_application_made_ids_keep_working(make_id):
    class Manager(BaseSessionManager):
        def _make_session_id(self):
            return make_id()

    c = client(Manager(session_store=MemoryStore()))
    c.call("GET", "/login")
    assert body(c.call("GET", "/")) == "user=bob tokens=0"


def _age_stored_session(store, session_id, seconds):
    session = store.load_session(session_id)
    session._access_time -= seconds
    store.save(session_id, store.dumps(session))
    return session._access_time


def test_access_time_alone_is_saved_only_when_it_moved_enough():
    store = SpyStore()
    manager = BaseSessionManager(session_store=store)
    c = client(manager)
    c.call("GET", "/login")
    session_id = c.cookies["QX_session"]
    stored = _age_stored_session(store, session_id, 10)   # seen 10 s ago: only the time moves
    store.saves = 0
    c.call("GET", "/noop")
    assert store.saves == 0
    assert store.load_session(session_id)._access_time == stored
    stored = _age_stored_session(store, session_id, 120)  # 2 minutes: worth a write
    store.saves = 0
    c.call("GET", "/noop")
    assert store.saves == 1
    assert store.load_session(session_id)._access_time > stored + 100
    _age_stored_session(store, session_id, 10)            # time moved a little, and a token
    store.saves = 0
    c.call("GET", "/token")
    assert store.saves == 1
    manager.ACCESS_TIME_SAVE_INTERVAL = 0                 # every change, like a live object
    _age_stored_session(store, session_id, 10)
    store.saves = 0
    c.call("GET", "/noop")
    assert store.saves == 1
