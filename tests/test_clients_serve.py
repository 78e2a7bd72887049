"""Serving migrated Quixote applications the way their migrated entry points do.

Quixote's simple_server (what most applications' ``run_server.py`` used) calls the
publisher factory and handles every request in one thread, the main thread. Applications
therefore keep thread-bound objects made by the factory: a sqlite3 connection (the
``fixtures/blog`` app does), a Durus or ZODB connection. jackmigrate turns
``simple_server.run(create_publisher, ...)`` into ``jack_runtime.serve.run(create_app, ...)``,
which calls the factory in the main thread and serves from waitress's worker threads.
"""
from __future__ import annotations

import textwrap
import urllib.error
import urllib.request

import harness
from test_clients_support import gunicorn

APP = '''
import sqlite3

from jack_runtime import App
from jack_runtime.directory import Directory


class Root(Directory):
    _q_exports = [""]

    def __init__(self, conn):
        self.conn = conn

    def _q_index(self):
        return "posts: %d" % self.conn.execute("SELECT count(*) FROM post").fetchone()[0]


def create_app():
    # a connection made by the factory, as Quixote applications do
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE post (id INTEGER)")
    conn.execute("INSERT INTO post VALUES (1)")
    return App(Root(conn))
'''


def _get(port: int) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_single_threaded_app_under_gunicorn_sync(tmp_path):
    # the supported way today: a sync worker builds the app and serves in one thread
    (tmp_path / "clientsapp.py").write_text(textwrap.dedent(APP))
    with gunicorn(tmp_path, "sync") as port:
        assert _get(port) == (200, b"posts: 1")


def test_single_threaded_app_under_jack_serve_with_one_thread(tmp_path, monkeypatch):
    (tmp_path / "clientsapp_serve.py").write_text(textwrap.dedent(APP))
    monkeypatch.syspath_prepend(str(tmp_path))
    import clientsapp_serve

    with harness.serving(clientsapp_serve.create_app, threads=1) as port:
        assert _get(port) == (200, b"posts: 1")
