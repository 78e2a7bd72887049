"""Shared pieces for the tests/test_clients_*.py files (no tests here): a Jack app served
for real on 127.0.0.1 (waitress in a thread, gunicorn sync and gthread in subprocesses), raw-socket
and curl clients.

The app is written to a temporary directory as a module (``clientsapp``) so that gunicorn
can import it; the waitress server imports the same file in-process.
"""
from __future__ import annotations

import contextlib
import gzip
import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Iterator

import pytest

APP_SOURCE = '''
import hashlib
import os

from jack_runtime import App, get_field, get_request, get_response, get_session, get_user
from jack_runtime import redirect
from jack_runtime.directory import Directory
from jack_runtime.html import htmltext
from jack_runtime.http.response import Stream
from jack_runtime.session import SessionManager
from jack_runtime.util import StaticDirectory

HERE = os.path.dirname(os.path.abspath(__file__))


class Root(Directory):
    _q_exports = ["", "big", "stream", "login", "whoami", "upload", "go", "cookie", "boom",
                  "empty", "nocontent", "header", "echo", "static", "start", "hop",
                  "readcookie"]

    def __init__(self):
        self.static = StaticDirectory(os.path.join(HERE, "static"), list_directory=True)

    def _q_index(self):
        return "<html><body>index</body></html>"

    def big(self):
        return "<p>" + "hello world " * 5000 + "</p>"

    def stream(self):
        return Stream(iter([b"abc" * 1000, "d\\u00e9f" * 1000, b"", b"end"]))

    def login(self):
        if get_request().get_method() == "POST":
            get_session().set_user(get_field("name"))
            return redirect(get_field("next") or "/whoami")
        return "<form method=post><input name=name></form>"

    def whoami(self):
        session = get_session()
        session.visits = getattr(session, "visits", 0) + 1
        return htmltext("user=%s visits=%d") % (get_user(), session.visits)

    def upload(self):
        upload = get_field("file")
        digest = hashlib.sha256()
        upload.fp.seek(0)
        size = 0
        while True:
            data = upload.fp.read(65536)
            if not data:
                break
            digest.update(data)
            size += len(data)
        return "%s %d %s %s" % (upload.base_filename, size, digest.hexdigest(), get_field("note"))

    def go(self):
        return redirect(get_field("to", "/"))

    def cookie(self):
        get_response().set_cookie("c", get_field("v", "x"), path="/")
        return "ok"

    def boom(self):
        raise RuntimeError("secret internals")

    def readcookie(self):
        return repr(get_request().get_cookie("c"))

    def empty(self):
        return ""

    def nocontent(self):
        get_response().set_status(204)
        return ""

    def header(self):
        get_response().set_header("X-Custom", get_field("v", "a"))
        return "h"

    def echo(self):
        return repr(sorted(get_request().form.items()))

    # a login form that posts itself, then two redirects (for a browser)
    def start(self):
        get_response().set_cookie("plain", "visible", path="/")
        return ('<html><body onload="document.forms[0].submit()">'
                '<form method="post" action="/login"><input name="name" value="al&lt;ice">'
                '<input name="next" value="/hop"></form></body></html>')

    def hop(self):
        return redirect("/whoami?x=%C3%A9")


def create_app():
    return App(Root(), session_manager=SessionManager(), compress_pages=True)
'''

def make_app_dir(root: Path) -> Path:
    """The app module, its static directory (a file, a subdirectory, a symlink to a file
    outside the root) and a secret file next to the root."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "clientsapp.py").write_text(textwrap.dedent(APP_SOURCE))
    static = root / "static"
    (static / "sub").mkdir(parents=True)
    (static / "a.txt").write_bytes(b"hello static\n")
    (static / "sub" / "b.txt").write_bytes(b"bee\n")
    (static / "notes.txt.gz").write_bytes(gzip.compress(b"compressed notes\n", mtime=0))
    (root / "secret.txt").write_bytes(b"TOP SECRET\n")
    os.symlink(root / "secret.txt", static / "link.txt")
    return root


def load_app_module(app_dir: Path):
    name = "clientsapp_%d" % id(app_dir)
    spec = importlib.util.spec_from_file_location(name, app_dir / "clientsapp.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _gunicorn_has_control_socket() -> bool:
    import gunicorn.config

    return any("--no-control-socket" in (setting.cli or [])
               for setting in gunicorn.config.KNOWN_SETTINGS)


@contextlib.contextmanager
def gunicorn(app_dir: Path, worker: str) -> Iterator[int]:
    """gunicorn serving clientsapp:create_app() on 127.0.0.1, port chosen by the kernel
    (read back from its log), one worker of kind ``worker`` (sync or gthread)."""
    if importlib.util.find_spec("gunicorn") is None:
        pytest.skip("gunicorn is not installed")
    run_dir = Path(tempfile.mkdtemp(prefix="gunicorn-%s-" % worker, dir=app_dir))
    log_path = run_dir / "gunicorn.log"
    args = [sys.executable, "-m", "gunicorn", "-b", "127.0.0.1:0", "-w", "1", "-k", worker,
            "--chdir", str(app_dir), "--graceful-timeout", "2", "--error-logfile", str(log_path)]
    if _gunicorn_has_control_socket():
        # gunicorn >= 27 listens on ~/.gunicorn/gunicorn.ctl by default: shared by every
        # parallel test server
        args.append("--no-control-socket")
    if worker == "gthread":
        args += ["--threads", "4"]
    args.append("clientsapp:create_app()")
    with open(os.devnull, "wb") as devnull:
        proc = subprocess.Popen(args, stdout=devnull, stderr=devnull, cwd=str(app_dir))
    try:
        port = None
        deadline = time.monotonic() + 30
        while port is None and time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            text = log_path.read_text() if log_path.exists() else ""
            match = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", text)
            if match and "Booting worker" in text:
                port = int(match.group(1))
            else:
                time.sleep(0.05)
        if port is None:
            log = log_path.read_text() if log_path.exists() else ""
            pytest.fail("gunicorn did not start:\n%s" % log[-2000:])
        # the worker imports the app after "Booting worker": wait until it answers
        while True:
            try:
                if raw_request(port, b"GET / HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.0 "):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("gunicorn never answered:\n%s" % log_path.read_text()[-2000:])
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def raw_request(port: int, data: bytes, timeout: float = 10.0) -> bytes:
    """Send ``data`` as is and read until the server closes (or ``timeout`` passes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed early; read what it sent
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except ConnectionResetError:
            pass
        except socket.timeout:
            chunks.append(b"<<timeout>>")
    return b"".join(chunks)


def status_lines(data: bytes) -> list[bytes]:
    return re.findall(rb"HTTP/1\.[01] \d\d\d[^\r\n]*", data)


def curl_path() -> str:
    path = shutil.which("curl")
    if path is None:
        pytest.skip("curl is not installed")
    return path


def curl(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([curl_path(), "-sS", "--max-time", "20", *args],
                          capture_output=True, timeout=timeout)
