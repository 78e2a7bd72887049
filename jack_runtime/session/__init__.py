"""Sessions: Quixote 3.8's ``Session`` and session managers, over real stores.

The programming model is Quixote's (``quixote/session.py``), name for name: a manager finds or
creates the ``Session`` at the start of a request, the application changes it, and at the end
the manager stores it only when ``has_info()`` is true, drops the cookie the first time, and
revokes the cookie when the session has become empty.

Two kinds of manager, as in Quixote:

* ``SessionManager(session_class, session_mapping)`` keeps sessions in a mapping: a dict by
  default (live objects, one process only), or whatever the application passes (shelve, a
  Durus or ZODB mapping). Its semantics are exactly Quixote's, ``is_dirty()`` included.
* ``BaseSessionManager(session_class, session_store)`` keeps them in a ``SessionStore``;
  ``jack_runtime.session.store`` has ``MemoryStore``, ``SqliteStore`` (the embedded default
  for persistence) and ``RedisStore``. Sessions are loaded at the start of a request and saved
  at the end, so Jack adds what Quixote's live objects gave for free: a session is saved when
  its pickle changed, not only when ``is_dirty()`` says so (a change of the access time alone
  is saved once it moved by ``ACCESS_TIME_SAVE_INTERVAL`` seconds). A store that cannot be
  reached is a 503 (``SessionStoreUnavailable``); a stored session that cannot be unpickled
  is logged and replaced by a fresh one.

Under a threaded server (``wsgi.multithread``) the requests of one session are serialised
within the process, for both kinds of manager, so concurrent requests keep each other's
writes as they would on Quixote, which served them one after the other. Between processes a
store-based session is last-writer-wins for requests of the same session that overlap.

Deliberate differences from Quixote (documented and tested):

* Session ids are rotated when the user changes (``set_user`` or assignment to ``user``), so a
  session id planted before login is worthless after it (no session fixation).
* A cookie whose value is not a well-formed id is ignored (a fresh session), without a lookup.
* The session cookie also gets ``SameSite`` (config ``session_cookie_samesite``, Lax unless the
  config says otherwise) and ``HttpOnly`` unless ``session_cookie_httponly`` is false.
* 3.8's bugs fixed as on Quixote's 4.0 branch where no page can tell: ``ACCESS_TIME_RESOLUTION``
  on the base manager, ``dump()`` without a file writes to stdout, ``valid_csrf_token`` refuses
  non-string values. (``revoke_session_cookie()`` leaving the cookie in the request is kept:
  pages can show it.)
"""
from __future__ import annotations

import hmac
import logging
import pickle
import re
import secrets
import sys
import threading
import weakref
from time import localtime, strftime, time
from typing import Any, Iterator, MutableMapping

from ..context import get_app, get_cookie, get_param, get_request, get_response, get_session
from .store import (
    MemoryStore, PickleStore, RedisStore, SessionStore, SessionStoreUnavailable, SqliteStore,
)

__all__ = [
    "CSRF_TOKEN_NAME", "Session", "SessionStore", "BaseSessionManager", "SessionManager",
    "NullSessionManager", "set_session_cookie", "SessionStoreUnavailable", "MemoryStore",
    "SqliteStore", "RedisStore", "new_session_id",
]

log = logging.getLogger("jack_runtime.session")

CSRF_TOKEN_NAME = "csrf_token"

_PROTOCOL = pickle.HIGHEST_PROTOCOL

# Ids Jack and Quixote generate are 22 URL-safe base64 characters (128 bits); ids made by an
# application's own _make_session_id() may be longer, hex, uuids or standard base64. Anything
# else in the cookie is junk, not worth a lookup.
_VALID_ID = re.compile(r"[A-Za-z0-9_\-.=+/]{16,128}\Z")


def new_session_id() -> str:
    """A fresh random id: 128 bits from ``secrets``, 22 URL-safe characters."""
    return secrets.token_urlsafe(16)


def _config() -> Any:
    return get_app().config


class _RequestState:
    """What a store-based manager remembers about one request's session (kept on the request,
    never in the session, so nothing of it is pickled)."""

    __slots__ = ("session", "user", "access_time", "snapshot", "pending", "lock_id", "lock",
                 "failed", "finalizer")

    def __init__(self) -> None:
        self.session: Any = None
        self.user: Any = None
        self.access_time: float | None = None
        self.snapshot: bytes | None = None
        self.pending: bytes | None = None
        self.lock_id: str | None = None
        self.lock: "_SessionLock | None" = None
        self.failed = False
        self.finalizer: Any = None


class _SessionLock:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0


class BaseSessionManager:
    """A session manager over a :class:`SessionStore` (Quixote 3.1+'s design, with its bugs fixed).

    ``BaseSessionManager(session_class=MySession, session_store=SqliteStore("sessions.db"))``.
    Without a store, sessions live in a :class:`MemoryStore` (one process only).
    """

    ACCESS_TIME_RESOLUTION = 1  # seconds (missing on 3.8's base class: AttributeError there)

    # A stored session whose only change is its access time is written back only when that
    # time moved by at least this many seconds: the request sees the exact time, other
    # processes see it up to this late, and a user's every click is not a write. 0 writes
    # every change.
    ACCESS_TIME_SAVE_INTERVAL = 60

    # How long a request waits for another request of the same session to finish before it
    # goes on without the lock (logged): a hung request must not block its user forever.
    SESSION_LOCK_TIMEOUT = 30.0

    # used when a subclass does not call __init__, as in Quixote
    store: SessionStore = SessionStore()

    def __init__(self, session_class: type | None = None,
                 session_store: SessionStore | None = None) -> None:
        self.session_class = session_class or Session
        self.store = session_store if session_store is not None else MemoryStore()

    def __repr__(self) -> str:
        return "<%s at %x: %r>" % (self.__class__.__name__, id(self), self.store)

    # -- hooks into the request lifecycle --------------------------------------------------

    def start_request(self) -> None:
        request = get_request()
        try:
            self.store.transaction_start()
            session = self.get_session()
        except SessionStoreUnavailable:
            state = _state(create=True)
            if state is not None:
                state.failed = True
            raise
        request.session = session
        session.start_request()

    def finish_successful_request(self) -> None:
        # get_request() and _state(), inlined: this runs at the end of every request
        request = get_request()
        state = getattr(request, _STATE_ATTR, None)
        try:
            if state is not None and state.failed:
                # The store failed earlier in this request and the App is now finishing the
                # resulting 503 (Quixote commits on PublishError): write nothing at all.
                self.abort_changes(get_session())
                return
            session = getattr(request, "session", None)
            try:
                if session is not None:
                    self.maintain_session(session)
                self.commit_changes(session)
            except SessionStoreUnavailable:
                if state is not None:
                    state.failed = True
                raise
        finally:
            self._release(state)

    def finish_failed_request(self) -> None:
        state = _state(create=False)
        try:
            self.abort_changes(get_session())
        finally:
            self._release(state)

    # -- the mapping interface, over the store ---------------------------------------------

    def __iter__(self) -> Iterator["Session"]:
        # The current request's session is yielded as the live object (not a stored copy), so
        # ``session is get_session()`` holds as with Quixote's dict (altdemo relies on it).
        current = get_session()
        for session_id in list(self.store):
            if current is not None and current.id == session_id:
                yield current
                continue
            session = self.store.load_session(session_id)
            if session is not None:  # expired or dropped meanwhile
                yield session

    def get(self, session_id: str | None, default: Any = None) -> Any:
        if session_id is None:
            return default
        session = self.store.load_session(session_id)
        return default if session is None else session

    def __getitem__(self, session_id: str) -> "Session":
        session = self.get(session_id)
        if session is None:
            raise KeyError(session_id)
        return session

    def __setitem__(self, session_id: str, session: "Session") -> None:
        assert session.id is not None, "session ID not set"
        assert session_id == session.id, "session ID mismatch"
        state = _state(create=False)
        store = self.store
        if (state is not None and state.pending is not None and state.session is session
                and isinstance(store, PickleStore)):
            # maintain_session() has just pickled it to see whether it changed
            data, state.pending = state.pending, None
            store.save(session_id, data)
        else:
            store.save_session(session)

    def __delitem__(self, session_id: str) -> None:
        self.store.delete_session(session_id)

    def __contains__(self, session_id: object) -> bool:
        return isinstance(session_id, str) and self.store.has_session(session_id)

    def has_session(self, session_id: str) -> bool:
        return session_id in self

    def keys(self) -> list[str]:
        return list(self.store)

    def values(self) -> list["Session"]:
        return list(self)

    def items(self) -> list[tuple[str, "Session"]]:
        return [(s.id, s) for s in self]

    # -- transactional hooks ---------------------------------------------------------------

    def abort_changes(self, session: "Session | None") -> None:
        """Forget the changes to ``session``: called when the request failed (a 500)."""
        self.store.transaction_abort(session)

    # The name doc/session-mgmt.txt and altdemo.py still use; the publisher never called it.
    def forget_changes(self, session: "Session | None") -> None:
        self.abort_changes(session)

    def commit_changes(self, session: "Session | None") -> None:
        """Make the changes to ``session`` durable: called after a successful request, or one
        interrupted by a PublishError."""
        self.store.transaction_commit(session)

    # -- finding, creating and keeping sessions --------------------------------------------

    def get_session(self) -> "Session":
        """The session named by the request's cookie, or a new one (not stored yet)."""
        session_id = self._get_session_id(get_app().config)
        session = None
        if session_id is not None:
            # _state(create=True), inlined
            request = get_request()
            state = getattr(request, _STATE_ATTR, None)
            if state is None:
                state = _RequestState()
                if request is not None:
                    request._jack_session_state = state
            self._acquire(state, session_id)
            store = self.store
            if type(self).get is BaseSessionManager.get and isinstance(store, PickleStore):
                # the stored pickle is the snapshot: no second pickling to compare against
                data = store.load(session_id)
                if data is not None:
                    session = store.decode(session_id, data)
                    if session is not None:
                        state.snapshot = data
            else:
                session = self.get(session_id)
                if session is not None:
                    state.snapshot = _snapshot(session, store)
            if session is not None:
                state.session = session
                state.user = session.user
                state.access_time = session._access_time
        if session is None:
            # nothing to compare it with at the end: it is new (and gets a new id if stored)
            session = self.new_session(None)
        session._set_access_time(self.ACCESS_TIME_RESOLUTION)
        return session

    def _get_session_id(self, config: Any) -> str | None:
        session_id = get_cookie(config.session_cookie_name)
        if not isinstance(session_id, str) or not _VALID_ID.match(session_id):
            return None  # absent, revoked ("" or "*del*") or junk
        return session_id

    def _make_session_id(self) -> str:
        session_id = None
        while session_id is None or session_id in self:
            session_id = new_session_id()
        return session_id

    def new_session(self, id: str | None) -> "Session":
        return self.session_class(id)

    def maintain_session(self, session: "Session") -> None:
        """Store ``session`` if it holds information; forget it and revoke its cookie if it no
        longer does. Called at the end of every request that has a session."""
        if not session.has_info():
            if session.id and session.id in self:
                del self[session.id]
                self.revoke_session_cookie()
            return
        if session.id is None:
            session.id = self._make_session_id()
            self[session.id] = session
            self.set_session_cookie(session.id)
        else:
            state = _state(create=False)
            if state is None or state.session is not session:
                # a session this request did not load (the application's own call)
                if session.is_dirty():
                    self[session.id] = session
            elif _user_changed(state):
                self._rotate_session_id(session)
            elif session.is_dirty() or _changed_since_load(state, self.store,
                                                           self.ACCESS_TIME_SAVE_INTERVAL):
                data, store = state.pending, self.store
                if (data is not None and type(self).__setitem__ is BaseSessionManager.__setitem__
                        and isinstance(store, PickleStore)):
                    # what __setitem__ would do, without finding the request's state again
                    state.pending = None
                    store.save(session.id, data)
                else:
                    self[session.id] = session

    def _rotate_session_id(self, session: "Session") -> None:
        # Save under the new id before dropping the old one: if the store fails in between,
        # the old session is still whole and the client never learns the new id.
        old_id = session.id
        session.id = self._make_session_id()
        self[session.id] = session
        try:
            del self[old_id]
        except KeyError:
            pass
        self.set_session_cookie(session.id)

    def set_session_cookie(self, session_id: str, **attrs: Any) -> None:
        # Returns None, as Quixote 3.8's method does (the module function returns the name):
        # revoke_session_cookie() depends on it, see there.
        set_session_cookie(session_id, **attrs)

    def revoke_session_cookie(self) -> None:
        """Tell the client to drop the session cookie.

        Quixote 3.8 means to also drop the cookie from the current request, but its
        ``set_session_cookie`` method returns None, so the request keeps it (a request dump
        after logout still lists it). Jack keeps that behaviour, pages included; a subclass
        whose ``set_session_cookie`` returns the name gets the removal, as in Quixote."""
        cookie_name = self.set_session_cookie("", max_age=0)
        if cookie_name is not None:
            request = get_request()
            if request.cookies.get(cookie_name) is not None:
                del request.cookies[cookie_name]

    def expire_session(self) -> None:
        """Revoke the cookie, delete the stored session and detach it from the request."""
        self.revoke_session_cookie()
        request = get_request()
        session = getattr(request, "session", None)
        if session is not None and session.id is not None:
            try:
                del self[session.id]
            except KeyError:
                pass
        request.session = None

    # -- per-session serialisation of concurrent requests ----------------------------------

    def _acquire(self, state: _RequestState, session_id: str) -> None:
        if state.lock is not None:  # get_session() called twice in one request
            return
        request = get_request()
        if not request.environ.get("wsgi.multithread", True):
            # The server promises no other request runs in this process meanwhile (a sync
            # worker): nothing to serialise.
            return
        entry = _lock_entry(session_id)
        # an uncontended lock (the common case) without the cost of a timed wait
        if not (entry.lock.acquire(False) or entry.lock.acquire(True, self.SESSION_LOCK_TIMEOUT)):
            log.warning("session %s...: another request held it for over %ss; going on "
                        "without waiting", session_id[:6], self.SESSION_LOCK_TIMEOUT)
            _forget_lock(session_id, entry)
            return
        state.lock_id = session_id
        state.lock = entry
        # If the App never finishes this request (Quixote's own lifecycle skips the finish on
        # its missing-slash redirect), the lock goes when the request object does.
        try:
            guard = _LockGuard(request, _request_gone)
        except TypeError:  # a request class without __weakref__: rely on the finish hooks
            state.finalizer = None
        else:
            guard.session_id = session_id
            guard.entry = entry
            _GUARDS[id(guard)] = guard
            state.finalizer = guard

    def _release(self, state: _RequestState | None) -> None:
        if state is None or state.lock is None:
            return
        entry, session_id = state.lock, state.lock_id
        state.lock = state.lock_id = None
        guard = state.finalizer
        if guard is not None:
            state.finalizer = None
            if _GUARDS.pop(id(guard), None) is None:
                return  # its request is gone and _request_gone released the lock
        _release_lock(session_id, entry)


# SessionManagers (by id) that have logged the several-processes warning.
_WARNED: set[int] = set()

# One lock per session id currently in use in this process. Ids are 128-bit random, so the
# table is process-wide (two Apps sharing a store share the locks, as they should) and the
# managers hold no lock objects (they must stay picklable: Durus keeps its manager in the DB).
_LOCKS: dict[str, _SessionLock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_entry(session_id: str) -> _SessionLock:
    with _LOCKS_GUARD:
        entry = _LOCKS.get(session_id)
        if entry is None:
            entry = _LOCKS[session_id] = _SessionLock()
        entry.users += 1
    return entry


def _forget_lock(session_id: str, entry: _SessionLock) -> None:
    with _LOCKS_GUARD:
        entry.users -= 1
        if entry.users == 0 and _LOCKS.get(session_id) is entry:
            del _LOCKS[session_id]


def _release_lock(session_id: str, entry: _SessionLock) -> None:
    entry.lock.release()
    _forget_lock(session_id, entry)


class _LockGuard(weakref.ref):
    """A weak reference to a request holding a session lock: when the request goes away
    unfinished, its callback releases the lock. (weakref.finalize does the same for four
    times the cost.)"""

    __slots__ = ("session_id", "entry")
    session_id: str
    entry: _SessionLock


# The live guards, by id: a guard must outlive its request for its callback to run (one that
# is itself garbage, e.g. in a cycle with the request, is dropped without calling it).
_GUARDS: dict[int, _LockGuard] = {}


def _request_gone(guard: _LockGuard) -> None:
    if _GUARDS.pop(id(guard), None) is not None:
        _release_lock(guard.session_id, guard.entry)


_STATE_ATTR = "_jack_session_state"


def _state(create: bool) -> _RequestState | None:
    request = get_request()
    if request is None:
        return None
    state = getattr(request, _STATE_ATTR, None)
    if state is None and create:
        state = _RequestState()
        request._jack_session_state = state
    return state


def _snapshot(session: "Session", store: Any = None) -> bytes | None:
    try:
        if isinstance(store, PickleStore):
            return store.dumps(session)  # comparable with what the store holds
        return pickle.dumps(session, _PROTOCOL)
    except Exception:  # a store of live, unpicklable objects: is_dirty() decides, as in Quixote
        return None


def _changed_since_load(state: _RequestState, store: Any, access_interval: float) -> bool:
    """Does the session differ from what was loaded (beyond a small move of its access
    time)? Leaves its new pickle in ``state.pending`` for the save."""
    if state.snapshot is None:
        return False
    session = state.session
    data = _snapshot(session, store)
    if data == state.snapshot:
        return False
    loaded_time, access_time = state.access_time, session._access_time
    if loaded_time is not None and 0 < access_time - loaded_time < access_interval:
        session._access_time = loaded_time
        try:
            only_time_moved = _snapshot(session, store) == state.snapshot
        finally:
            session._access_time = access_time
        if only_time_moved:
            return False
    state.pending = data
    return True


def _user_changed(state: _RequestState) -> bool:
    before, now = state.user, state.session.user
    if before is now:
        return False
    try:
        return bool(before != now)
    except Exception:  # an exotic user object whose == raises: count it as a change
        return True


class NullSessionManager(BaseSessionManager):
    """The default manager: no sessions at all (``get_session()`` is None in handlers)."""

    def __init__(self, session_class: type | None = None,
                 session_store: SessionStore | None = None) -> None:
        self.session_class = session_class or Session

    def start_request(self) -> None:
        pass

    def finish_successful_request(self) -> None:
        pass

    def finish_failed_request(self) -> None:
        pass

    def __iter__(self) -> Iterator["Session"]:
        return iter([])

    def get(self, session_id: str | None, default: Any = None) -> Any:
        return default


class SessionManager(BaseSessionManager):
    """Quixote's dict-backed manager: sessions in ``session_mapping`` (a new dict by default).

    With the default dict, sessions are live objects of one process: under several worker
    processes each process has its own sessions (Jack logs a warning then; use
    ``BaseSessionManager(session_store=SqliteStore(...))``). A persistent mapping (shelve,
    Durus, ZODB) works as in Quixote: override ``Session.is_dirty()`` so changed sessions are
    stored again, and ``commit_changes``/``abort_changes`` for transactions.
    """

    def __init__(self, session_class: type | None = None,
                 session_mapping: MutableMapping[str, Any] | None = None) -> None:
        self.session_class = session_class or Session
        self.sessions = {} if session_mapping is None else session_mapping

    def __repr__(self) -> str:
        return "<%s at %x>" % (self.__class__.__name__, id(self))

    def start_request(self) -> None:
        # No attribute of the manager records the warning: applications store managers in
        # object databases (Durus, ZODB), where a new attribute would be written back.
        if id(self) not in _WARNED and type(getattr(self, "sessions", None)) is dict:
            if get_request().environ.get("wsgi.multiprocess"):
                _WARNED.add(id(self))
                log.warning(
                    "SessionManager keeps sessions in a dict of this process, but the server "
                    "runs several processes: a session exists only in the process that "
                    "created it. Use BaseSessionManager(session_store=SqliteStore(path)).")
        BaseSessionManager.start_request(self)

    def get_session(self) -> "Session":
        # Quixote's lookup plus Jack's state (for id rotation and the per-session lock);
        # live objects need no snapshot.
        session_id = self._get_session_id(_config())
        session = None
        if session_id is not None:
            state = _state(create=True)
            self._acquire(state, session_id)
            session = self.get(session_id)
            if session is not None:
                state.session = session
                state.user = session.user
        if session is None:
            session = self.new_session(None)
        session._set_access_time(self.ACCESS_TIME_RESOLUTION)
        return session

    def get(self, session_id: str | None, default: Any = None) -> Any:
        if session_id is None:
            return default
        return self.sessions.get(session_id, default)

    def __iter__(self) -> Iterator["Session"]:
        return iter(list(self.sessions.values()))

    def __setitem__(self, session_id: str, session: "Session") -> None:
        if not isinstance(session, self.session_class):
            raise TypeError("session not an instance of %r: %r" % (self.session_class, session))
        assert session.id is not None, "session ID not set"
        assert session_id == session.id, "session ID mismatch"
        self.sessions[session_id] = session

    def __delitem__(self, session_id: str) -> None:
        del self.sessions[session_id]

    def __contains__(self, session_id: object) -> bool:
        return session_id in self.sessions

    def __getitem__(self, session_id: str) -> "Session":
        return self.sessions[session_id]

    def has_session(self, session_id: str) -> bool:
        return session_id in self.sessions

    def keys(self) -> list[str]:
        return list(self.sessions.keys())

    def sorted_keys(self) -> list[str]:
        return sorted(self.keys())

    def values(self) -> list["Session"]:
        return list(self.sessions.values())

    def items(self) -> list[tuple[str, "Session"]]:
        return list(self.sessions.items())

    def abort_changes(self, session: "Session | None") -> None:
        pass

    def commit_changes(self, session: "Session | None") -> None:
        pass

    # -- Quixote's backwards-compatibility helpers -----------------------------------------

    def _create_session(self) -> "Session":
        return self.new_session(None)

    def _set_cookie(self, value: str, **attrs: Any) -> None:
        set_session_cookie(value, **attrs)

    def has_session_cookie(self, must_exist: bool = False) -> bool:
        session_id = get_cookie(_config().session_cookie_name)
        if session_id is None:
            return False
        return self.has_session(session_id) if must_exist else True


class Session:
    """One user's session. Pickled by the stores: the attribute names below are Quixote's,
    so a Session pickled by Quixote 3.8 loads here with the same state."""

    MAX_FORM_TOKENS = 16

    # class-level defaults, so sessions pickled by older Quixote releases still load
    user: Any = None
    _csrf_token: str | None = None

    def __init__(self, id: str | None) -> None:
        request = get_request()
        self.id = id
        self.user = None
        self._remote_address = request.get_environ("REMOTE_ADDR") if request is not None else None
        self._creation_time = self._access_time = time()
        self._form_tokens: list[str] = []
        self._csrf_token = None

    def __repr__(self) -> str:
        return "<%s at %x: %s>" % (self.__class__.__name__, id(self), self.id)

    def __str__(self) -> str:
        if self.user:
            return "session %s (user %s)" % (self.id, self.user)
        return "session %s (no user)" % self.id

    def has_info(self) -> bool:
        """True if the session holds something worth storing (override to add your own)."""
        return bool(self.user or self._form_tokens or self._csrf_token)

    def is_dirty(self) -> bool:
        """True if the stored copy must be replaced. Store-based managers also compare the
        session's pickle with the one loaded, so overriding this is rarely needed."""
        return False

    def dump(self, file: Any = None, header: bool = True, deep: bool = True) -> None:
        if file is None:
            file = sys.stdout
        time_fmt = "%Y-%m-%d %H:%M:%S"
        ctime = strftime(time_fmt, localtime(self._creation_time))
        atime = strftime(time_fmt, localtime(self._access_time))
        if header:
            file.write("session %s:" % self.id)
        file.write("  user %s" % self.user)
        file.write("  _remote_address: %s" % self._remote_address)
        file.write("  created %s, last accessed %s" % (ctime, atime))
        file.write("  _form_tokens: %s\n" % self._form_tokens)

    def start_request(self) -> None:
        """Called once the session is attached to the request: sets ``REMOTE_USER``."""
        if self.user is not None:
            get_request().environ["REMOTE_USER"] = str(self.user)

    def set_user(self, user: Any) -> None:
        # The manager gives the session a new id at the end of the request (no fixation).
        self.user = user

    def get_user(self) -> Any:
        return self.user

    def get_remote_address(self) -> str | None:
        return self._remote_address

    def get_creation_time(self) -> float:
        return self._creation_time

    def get_access_time(self) -> float:
        return self._access_time

    def get_creation_age(self, _now: float | None = None) -> float:
        return (_now or time()) - self._creation_time

    def get_access_age(self, _now: float | None = None) -> float:
        return (_now or time()) - self._access_time

    def _set_access_time(self, resolution: float) -> None:
        now = time()
        if now - self._access_time > resolution:
            self._access_time = now

    # -- form tokens -----------------------------------------------------------------------

    def create_form_token(self) -> str:
        token = secrets.token_urlsafe(16)
        self._form_tokens.append(token)
        extra = len(self._form_tokens) - self.MAX_FORM_TOKENS
        if extra > 0:
            del self._form_tokens[:extra]
        return token

    def has_form_token(self, token: str) -> bool:
        return token in self._form_tokens

    def remove_form_token(self, token: str) -> None:
        self._form_tokens.remove(token)

    # -- CSRF tokens -----------------------------------------------------------------------

    def get_csrf_token(self) -> str:
        if self._csrf_token is None:
            self._csrf_token = secrets.token_urlsafe(16)
        return self._csrf_token

    def valid_csrf_token(self, name: str | None = None) -> bool:
        """True if this POST carries the session's CSRF token in field ``name``."""
        if get_request().get_method() != "POST":
            return False
        value = get_param(name or CSRF_TOKEN_NAME, None)
        if not value or not isinstance(value, str):
            return False
        return hmac.compare_digest(value.encode("utf-8"), self.get_csrf_token().encode("utf-8"))


def set_session_cookie(session_id: str, **attrs: Any) -> str:
    """Set the session cookie on the current response; returns the cookie's name.

    Config options read: session_cookie_name, session_cookie_domain, session_cookie_path,
    session_cookie_secure, session_cookie_httponly, session_cookie_samesite.
    """
    config = _config()
    name = config.session_cookie_name
    path = config.session_cookie_path
    if not path:
        path = get_request().get_environ("SCRIPT_NAME") or ""
        if not path.endswith("/"):
            path += "/"
    attrs = dict(attrs)
    if config.session_cookie_secure:
        attrs["secure"] = 1
    if getattr(config, "session_cookie_httponly", True):
        attrs["httponly"] = 1
    samesite = getattr(config, "session_cookie_samesite", "Lax")
    if samesite:
        attrs["samesite"] = samesite
    get_response().set_cookie(name, session_id, domain=config.session_cookie_domain, path=path,
                              **attrs)
    return name
