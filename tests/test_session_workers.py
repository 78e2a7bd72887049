"""Several worker processes: gunicorn with 2 sync workers. Log in once; every later request
sees the login whichever worker answers it, with the sqlite store and with Redis. With the
in-memory store the other worker does not know the session, and Jack says so in the log."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from test_session_support import free_port, redis_server, wait_for_port

APP = textwrap.dedent('''
    import os
    import time
    from jack_runtime import App, get_session
    from jack_runtime.directory import Directory
    from jack_runtime.session import BaseSessionManager, MemoryStore, RedisStore, SqliteStore

    class Root(Directory):
        _q_exports = ["", "login"]

        def _q_index(self):
            time.sleep(0.02)  # a busy worker: the concurrent request goes to the other one
            return "user=%s pid=%d" % (get_session().user, os.getpid())

        def login(self):
            get_session().set_user("bob")
            return "in"

    kind, where = os.environ["JACK_TEST_STORE"], os.environ.get("JACK_TEST_WHERE")
    store = {"memory": lambda: MemoryStore(), "sqlite": lambda: SqliteStore(where),
             "redis": lambda: RedisStore(where)}[kind]()
    app = App(Root(), session_manager=BaseSessionManager(session_store=store))
''')

MIN_REQUESTS = 30
MAX_REQUESTS = 400  # stop looking for the second worker after this many


def _get(url, cookie=None):
    req = urllib.request.Request(url)
    if cookie:
        req.add_header("Cookie", cookie)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.read().decode(), resp.headers.get_all("Set-Cookie") or []


def run_gunicorn(tmp_path, kind, where=None):
    (tmp_path / "sessapp.py").write_text(APP)
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    env = dict(os.environ, JACK_TEST_STORE=kind, JACK_TEST_WHERE=where or "",
               PYTHONPATH=os.pathsep.join([str(tmp_path)] + sys.path))
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "sync", "-b", "127.0.0.1:%d" % port,
         "--chdir", str(tmp_path), "sessapp:app"],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_for_port(port, proc)
        base = "http://127.0.0.1:%d" % port
        _, set_cookie = _get(base + "/login")
        cookie = set_cookie[0].split(";")[0]
        pages = []
        # Requests go in concurrent pairs: a sync worker serves one at a time, so the second
        # of a pair is answered by the other worker even when one of them is always first
        # to accept (which happens on a loaded machine with sequential requests).
        with ThreadPoolExecutor(2) as pool:
            while len(pages) < MIN_REQUESTS or len({p.split("pid=")[1] for p in pages}) < 2:
                if len(pages) >= MAX_REQUESTS:
                    pytest.fail("only one gunicorn worker ever answered: %s" % pages[:3])
                pages.extend(page for page, _ in pool.map(lambda _: _get(base + "/", cookie), range(2)))
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()
    return pages, log_path.read_text()


def test_sqlite_store_under_two_gunicorn_workers(tmp_path):
    pages, _ = run_gunicorn(tmp_path, "sqlite", str(tmp_path / "sessions.db"))
    assert len({p.split("pid=")[1] for p in pages}) == 2
    assert [p for p in pages if not p.startswith("user=bob ")] == []


def test_redis_store_under_two_gunicorn_workers(tmp_path):
    with redis_server() as url:
        pages, _ = run_gunicorn(tmp_path, "redis", url)
    assert len({p.split("pid=")[1] for p in pages}) == 2
    assert [p for p in pages if not p.startswith("user=bob ")] == []


def test_memory_store_under_two_gunicorn_workers_is_warned_about(tmp_path):
    pages, log = run_gunicorn(tmp_path, "memory")
    # the worker that did not serve the login does not know the session...
    assert any(p.startswith("user=None ") for p in pages)
    # ...and Jack warned about exactly this setup
    assert "MemoryStore keeps sessions in this process only" in log
    assert "wsgi.multiprocess" in log


def _hammer(path, worker, count, queue):
    """One process: several threads each saving and re-reading their own sessions."""
    import threading

    from jack_runtime.session import SqliteStore

    store = SqliteStore(path, timeout=10)
    errors = []

    def run(thread):
        try:
            for i in range(count):
                key = "w%02dt%02di%04d" % (worker, thread, i) + "x" * 10
                store.save(key, b"data-" + key.encode())
                if store.load(key) != b"data-" + key.encode():
                    errors.append("lost " + key)
        except Exception as exc:  # reported to the parent
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(t,)) for t in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.put(errors)


def test_sqlite_store_under_concurrent_processes_and_threads(tmp_path):
    import multiprocessing

    from jack_runtime.session import SqliteStore

    path = str(tmp_path / "sessions.db")
    SqliteStore(path).ids()  # create the file before the workers race for it
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_hammer, args=(path, w, 100, queue)) for w in range(4)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(10)
    assert results == [[]] * 4
    assert len(list(SqliteStore(path).ids())) == 4 * 3 * 100
