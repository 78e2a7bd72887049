"""Where sessions live between requests: Quixote's ``SessionStore`` interface and Jack's stores.

* :class:`MemoryStore`: a dict in this process; for development, tests and single-process
  servers (warns once when the server says it runs several processes).
* :class:`SqliteStore`: the embedded default for persistence. One file in WAL mode,
  ``synchronous=NORMAL`` (no fsync per request: a committed session survives a crash of the
  process; after a power loss the file is intact, the last commits may be lost), one
  connection per thread and per process (opened lazily, so a store built before gunicorn
  forks is fine), expiry of idle sessions.
* :class:`RedisStore`: for several hosts (``pip install 'jack[redis]'``; redis-py is imported
  only when the store is first used). Expiry is Redis's own TTL.

All three keep pickles, server-side only; the cookie holds nothing but the random id. A
stored session that cannot be unpickled (corrupt, or its class is gone) is logged and dropped,
and the request gets a fresh session. A store that cannot be reached raises
:class:`SessionStoreUnavailable`, which the App answers with a 503.
"""
from __future__ import annotations

import logging
import os
import pickle
import sqlite3
import threading
import time
from typing import Any, Iterator

from ..context import get_request
from ..errors import PublishError

__all__ = ["SessionStore", "PickleStore", "MemoryStore", "SqliteStore", "RedisStore",
           "SessionStoreUnavailable"]

log = logging.getLogger("jack_runtime.session")

# Sessions idle for longer than this are expired (Quixote never expires them).
DEFAULT_MAX_AGE = 14 * 24 * 3600


class SessionStoreUnavailable(PublishError):
    """The session store could not be read or written: 503, nothing half-written."""

    status_code = 503
    title = "Service Unavailable"
    description = ("The server cannot reach its session storage at the moment. "
                   "Please try again in a little while.")


class SessionStore:
    """Quixote's store interface (3.1+): what ``BaseSessionManager`` needs from a store."""

    def load_session(self, id: str) -> Any:
        """The session stored under ``id``, or None."""
        raise NotImplementedError()

    def save_session(self, session: Any) -> None:
        """Store ``session`` under ``session.id``, replacing any previous version."""
        raise NotImplementedError()

    def delete_session(self, session_id: str) -> None:
        raise NotImplementedError()

    def has_session(self, id: str) -> bool:
        return self.load_session(id) is not None

    def __iter__(self) -> Iterator[str]:
        """The ids of all stored sessions."""
        raise NotImplementedError()

    def transaction_start(self) -> None:
        """Called at the start of every request, before the session is looked up."""

    def transaction_commit(self, session: Any) -> None:
        """Called at the end of a request that succeeded (or raised a PublishError)."""

    def transaction_abort(self, session: Any) -> None:
        """Called at the end of a request that failed with any other exception."""


# The state every Session (Quixote's since 2.0, and Jack's) has: a pickle without it would
# fail later, as a 500.
_SESSION_STATE = frozenset(("id", "_access_time", "_creation_time", "_form_tokens"))


class PickleStore(SessionStore):
    """A store of pickled sessions over four byte-level operations: ``load``, ``save``,
    ``delete`` and ``ids``. Subclasses implement those; this class does the pickling and the
    handling of corrupt entries. Override :meth:`loads` to map old class paths (the compat
    shim maps ``quixote.session.Session`` there)."""

    def load(self, session_id: str) -> bytes | None:
        raise NotImplementedError()

    def save(self, session_id: str, data: bytes) -> None:
        raise NotImplementedError()

    def delete(self, session_id: str) -> None:
        raise NotImplementedError()

    def ids(self) -> Iterator[str]:
        raise NotImplementedError()

    def dumps(self, session: Any) -> bytes:
        return pickle.dumps(session, pickle.HIGHEST_PROTOCOL)

    def loads(self, data: bytes) -> Any:
        return pickle.loads(data)

    def load_session(self, id: str) -> Any:
        data = self.load(id)
        return None if data is None else self.decode(id, data)

    def decode(self, id: str, data: bytes) -> Any:
        """The session pickled in ``data`` (stored under ``id``); None, logged and the entry
        dropped, if it cannot be unpickled into a session."""
        try:
            session = self.loads(data)
            state = getattr(session, "__dict__", None)
            if (state is None or not state.keys() >= _SESSION_STATE
                    or not hasattr(session, "_set_access_time")):
                # not a session, or one from a release with other attribute names
                raise TypeError("a %s, not a session with %s" % (
                    type(session).__name__, ", ".join(sorted(_SESSION_STATE))))
            if session.id != id:
                raise ValueError("it names itself %r" % (session.id,))
        except Exception as exc:
            log.warning("session %s...: stored data unusable (%s: %s); dropped, the client "
                        "gets a fresh session", id[:6], type(exc).__name__, exc)
            try:
                self.delete(id)
            except SessionStoreUnavailable:
                pass
            return None
        return session

    def save_session(self, session: Any) -> None:
        self.save(session.id, self.dumps(session))

    def delete_session(self, session_id: str) -> None:
        self.delete(session_id)

    def has_session(self, id: str) -> bool:
        return self.load(id) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.ids()))


class MemoryStore(PickleStore):
    """Sessions in a dict of this process, pickled like in the persistent stores (so a session
    behaves the same whichever store holds it). Idle sessions expire after ``max_age``."""

    def __init__(self, max_age: float | None = DEFAULT_MAX_AGE) -> None:
        self.max_age = max_age
        self._data: dict[str, tuple[bytes, float]] = {}
        self._lock = threading.Lock()
        self._checked = False
        self._saves = 0

    def __repr__(self) -> str:
        return "<MemoryStore: %d sessions>" % len(self._data)

    def transaction_start(self) -> None:
        if not self._checked:
            request = get_request()
            if request is not None:
                self._checked = True
                if request.environ.get("wsgi.multiprocess"):
                    log.warning(
                        "MemoryStore keeps sessions in this process only, but the server runs "
                        "several processes (wsgi.multiprocess): a user's session will be "
                        "missing whenever another process answers. Use SqliteStore(path) or "
                        "RedisStore(url).")

    def load(self, session_id: str) -> bytes | None:
        entry = self._data.get(session_id)
        if entry is None:
            return None
        if self.max_age is not None and entry[1] < time.time() - self.max_age:
            return None
        return entry[0]

    def save(self, session_id: str, data: bytes) -> None:
        with self._lock:
            self._data[session_id] = (data, time.time())
            self._saves += 1
            if self.max_age is not None and self._saves % 1000 == 0:
                self.expire()

    def delete(self, session_id: str) -> None:
        with self._lock:
            self._data.pop(session_id, None)

    def ids(self) -> Iterator[str]:
        if self.max_age is None:
            return iter(list(self._data))
        limit = time.time() - self.max_age
        return iter([k for k, (_, atime) in list(self._data.items()) if atime >= limit])

    def expire(self) -> int:
        """Drop sessions idle for longer than ``max_age``; returns how many."""
        if self.max_age is None:
            return 0
        limit = time.time() - self.max_age
        dead = [k for k, (_, atime) in list(self._data.items()) if atime < limit]
        for key in dead:
            self._data.pop(key, None)
        return len(dead)


# No index on atime: it would double the pages every save writes (measured here: 27 us instead
# of 15 us per save); the expiry sweep scans the table once per expire_interval instead.
# A rowid table, not WITHOUT ROWID: the latter keeps a row in its leaf page only up to about a
# quarter of the page (483 bytes at 2 KiB, 1002 at 4 KiB), and a session pickle beyond that
# spills into overflow pages that every save rewrites too. Pages of 2 KiB (set only when the
# file is created) make every WAL frame half as long. Measured here, a read and a write of
# one of 5000 sessions, CPU time:
#                      222 B   600 B   1.5 kB   3 kB
#   4 KiB, no rowid    16.6    16.7    22.3     22.7   (the earlier layout)
#   4 KiB, rowid       16.6    17.0    17.6     17.3
#   2 KiB, rowid       15.5    15.9    15.8     16.6   (this one)
#   2 KiB, no rowid    15.2    19.3    19.4     23.0
_PAGE_SIZE = 2048
_SCHEMA = """
CREATE TABLE IF NOT EXISTS jack_sessions (
    id TEXT PRIMARY KEY,
    data BLOB NOT NULL,
    atime REAL NOT NULL
);
"""
# The statements of the hot path (sqlite3 keeps them prepared, by their text); the bench
# runs the very same ones on a bare connection as the floor.
SELECT_SQL = "SELECT data FROM jack_sessions WHERE id = ? AND atime >= ?"
SELECT_ANY_SQL = "SELECT data FROM jack_sessions WHERE id = ?"
UPSERT_SQL = ("INSERT INTO jack_sessions (id, data, atime) VALUES (?, ?, ?) "
              "ON CONFLICT (id) DO UPDATE SET data = excluded.data, atime = excluded.atime")

# Bumped in a child process after fork(): a connection opened before it belongs to the
# parent. (Cheaper than comparing os.getpid(), a system call, on every statement.)
_fork_generation = 0
_fork_hook_installed = False


def _after_fork_in_child() -> None:
    global _fork_generation
    _fork_generation += 1


def _install_fork_hook() -> None:
    global _fork_hook_installed
    if not _fork_hook_installed:
        _fork_hook_installed = True
        os.register_at_fork(after_in_child=_after_fork_in_child)


def connect(path: str, timeout: float) -> sqlite3.Connection:
    """A connection to the session file at ``path`` as every SqliteStore opens it: WAL,
    ``synchronous=NORMAL``, autocommit, the table created if missing."""
    # ``timeout`` is sqlite's busy timeout; autocommit: every statement is a transaction.
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None,
                           check_same_thread=False)
    try:
        conn.execute("PRAGMA page_size = %d" % _PAGE_SIZE)  # a no-op on an existing file
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            log.warning("session store %s: journal_mode is %s, not WAL", path, mode)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.executescript(_SCHEMA)
    except BaseException:
        conn.close()
        raise
    return conn


class SqliteStore(PickleStore):
    """Sessions in one sqlite file, shared by every thread and worker process on the host.

    ``timeout`` is how long a write waits for another writer (sqlite's busy timeout) before
    the request gets a 503. Sessions idle for longer than ``max_age`` seconds are invisible
    and are deleted every ``expire_interval`` seconds (per process, on a save).
    """

    def __init__(self, path: str | os.PathLike[str], max_age: float | None = DEFAULT_MAX_AGE,
                 timeout: float = 5.0, expire_interval: float = 600.0) -> None:
        self.path = os.fspath(path)
        if self.path == ":memory:" or self.path.startswith("file::memory:"):
            # each connection (one per thread) would get a database of its own
            raise ValueError("SqliteStore needs a file shared by all threads and processes; "
                             "for sessions in memory use MemoryStore()")
        self.max_age = max_age
        self.timeout = timeout
        self.expire_interval = expire_interval
        self._local = threading.local()
        self._next_expiry = 0.0

    def __repr__(self) -> str:
        return "<SqliteStore %s>" % self.path

    def __getstate__(self) -> dict[str, Any]:
        # Connections are per process and thread; a pickled (e.g. Durus-stored) manager
        # carries only the configuration.
        state = self.__dict__.copy()
        del state["_local"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._local = threading.local()

    # -- connections -----------------------------------------------------------------------

    def _connect(self) -> sqlite3.Cursor:
        """This thread's cursor on this thread's connection (one cursor, reused: a new one
        per statement costs more than the statement's bookkeeping)."""
        local = self._local
        if getattr(local, "generation", -1) == _fork_generation:
            cursor = local.cursor
            if cursor is not None:
                return cursor
        # A connection inherited through fork() must not be used (nor closed) in the child.
        _install_fork_hook()
        conn = connect(self.path, self.timeout)
        local.conn = conn
        local.cursor = cursor = conn.cursor()
        local.generation = _fork_generation
        return cursor

    def _drop_connection(self) -> None:
        local = self._local
        conn = getattr(local, "conn", None)
        local.conn = local.cursor = None
        if conn is not None and getattr(local, "generation", -1) == _fork_generation:
            try:
                conn.close()
            except sqlite3.Error:
                pass

    def _fail(self, action: str, exc: Exception) -> SessionStoreUnavailable:
        # A broken connection (file replaced, disk error) is not reused.
        self._drop_connection()
        log.error("session store unavailable: sqlite %s, %s failed: %s: %s",
                  self.path, action, type(exc).__name__, exc)
        return SessionStoreUnavailable(
            private_msg="sqlite session store %s: %s failed: %s" % (self.path, action, exc))

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends)."""
        self._drop_connection()

    # -- the byte-level operations ---------------------------------------------------------

    def load(self, session_id: str) -> bytes | None:
        try:
            cursor = self._connect()
            if self.max_age is None:
                row = cursor.execute(SELECT_ANY_SQL, (session_id,)).fetchone()
            else:
                row = cursor.execute(SELECT_SQL,
                                     (session_id, time.time() - self.max_age)).fetchone()
        except sqlite3.Error as exc:
            raise self._fail("read", exc) from exc
        return row[0] if row is not None else None

    def save(self, session_id: str, data: bytes) -> None:
        now = time.time()
        try:
            # One statement in autocommit mode: the row is replaced whole or not at all.
            self._connect().execute(UPSERT_SQL, (session_id, data, now))
        except sqlite3.Error as exc:
            raise self._fail("write", exc) from exc
        if now >= self._next_expiry and self.max_age is not None:
            self._next_expiry = now + self.expire_interval
            try:
                self.expire()
            except SessionStoreUnavailable:
                pass  # the session itself was saved; expiry will run again later

    def delete(self, session_id: str) -> None:
        try:
            self._connect().execute("DELETE FROM jack_sessions WHERE id = ?", (session_id,))
        except sqlite3.Error as exc:
            raise self._fail("delete", exc) from exc

    def ids(self) -> Iterator[str]:
        try:
            cursor = self._connect()
            if self.max_age is None:
                rows = cursor.execute("SELECT id FROM jack_sessions").fetchall()
            else:
                rows = cursor.execute("SELECT id FROM jack_sessions WHERE atime >= ?",
                                    (time.time() - self.max_age,)).fetchall()
        except sqlite3.Error as exc:
            raise self._fail("listing", exc) from exc
        return iter([row[0] for row in rows])

    def expire(self) -> int:
        """Delete sessions idle for longer than ``max_age``; returns how many."""
        if self.max_age is None:
            return 0
        try:
            cur = self._connect().execute("DELETE FROM jack_sessions WHERE atime < ?",
                                          (time.time() - self.max_age,))
        except sqlite3.Error as exc:
            raise self._fail("expiry", exc) from exc
        return cur.rowcount


class RedisStore(PickleStore):
    """Sessions in Redis, under ``prefix + id``, each with a TTL of ``max_age`` seconds that
    every save renews.

    Pass ``url`` (``redis://host:port/db``) or a ready ``client`` (a ``redis.Redis``).
    ``socket_timeout`` bounds how long a request waits for a Redis that stopped answering.
    """

    def __init__(self, url: str = "redis://127.0.0.1:6379/0", *, client: Any = None,
                 prefix: str = "jack:session:", max_age: float | None = DEFAULT_MAX_AGE,
                 socket_timeout: float = 2.0) -> None:
        self.url = url
        self.prefix = prefix
        self.max_age = max_age
        self.socket_timeout = socket_timeout
        self._client = client
        self._errors: tuple[type[BaseException], ...] = ()

    def __repr__(self) -> str:
        return "<RedisStore %s %s*>" % (self.url, self.prefix)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_client"] = None
        state["_errors"] = ()
        return state

    def _redis(self) -> Any:
        if not self._errors:
            try:
                import redis
            except ImportError as exc:
                raise ImportError("RedisStore needs the redis package: "
                                  "pip install 'jack[redis]'") from exc
            self._errors = (redis.exceptions.RedisError, OSError)
            if self._client is None:
                # redis-py's pool notices a fork and reconnects in the child by itself
                self._client = redis.Redis.from_url(
                    self.url, socket_timeout=self.socket_timeout,
                    socket_connect_timeout=self.socket_timeout)
        return self._client

    def _fail(self, action: str, exc: BaseException) -> SessionStoreUnavailable:
        log.error("session store unavailable: redis %s, %s failed: %s: %s",
                  self.url, action, type(exc).__name__, exc)
        return SessionStoreUnavailable(
            private_msg="redis session store %s: %s failed: %s" % (self.url, action, exc))

    def load(self, session_id: str) -> bytes | None:
        client = self._redis()
        try:
            return client.get(self.prefix + session_id)
        except self._errors as exc:
            raise self._fail("read", exc) from exc

    def save(self, session_id: str, data: bytes) -> None:
        client = self._redis()
        ttl = None if self.max_age is None else max(1, int(self.max_age))
        try:
            client.set(self.prefix + session_id, data, ex=ttl)
        except self._errors as exc:
            raise self._fail("write", exc) from exc

    def delete(self, session_id: str) -> None:
        client = self._redis()
        try:
            client.delete(self.prefix + session_id)
        except self._errors as exc:
            raise self._fail("delete", exc) from exc

    def ids(self) -> Iterator[str]:
        client = self._redis()
        start = len(self.prefix)
        try:
            keys = list(client.scan_iter(match=_glob_escape(self.prefix) + "*", count=500))
        except self._errors as exc:
            raise self._fail("listing", exc) from exc
        return iter([(k.decode() if isinstance(k, bytes) else k)[start:] for k in keys])


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)
