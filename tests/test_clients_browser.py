"""A real browser (headless Chromium, driven over the DevTools protocol on a pipe) and curl
against a Jack app on waitress: a login form post through a redirect chain, the session
cookie's attributes and rotation, a multipart upload as the browser encodes it, and the
HTTP features curl exercises (conditional GET, gzip, chunked uploads, keep-alive).

Skipped, with the reason shown, where chromium or curl is not installed.
"""
from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import os
import re
import select
import shutil
import subprocess
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

import harness
from jack_runtime.http.request import make_safe_filename
from test_clients_support import curl, load_app_module, make_app_dir

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory):
    return make_app_dir(tmp_path_factory.mktemp("browser") / "app")


@pytest.fixture(scope="module")
def base(app_dir):
    module = load_app_module(app_dir)
    with harness.serving(module.create_app, threads=4) as port:
        yield "http://127.0.0.1:%d" % port


# -- a minimal DevTools client over --remote-debugging-pipe (no websocket library needed) --

class Browser:
    """Chromium with its DevTools endpoint on fds 3 (commands in) and 4 (messages out)."""

    def __init__(self, user_data_dir: Path) -> None:
        to_browser_r, self._write = os.pipe()
        self._read, from_browser_w = os.pipe()

        def setup_fds() -> None:  # in the child: the pipe ends at 3 and 4, inheritable
            a, b = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(a, 3, inheritable=True)
            os.dup2(b, 4, inheritable=True)

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--no-first-run", "--disable-extensions",
             "--disable-dev-shm-usage",
             "--user-data-dir=%s" % user_data_dir, "--remote-debugging-pipe", "about:blank"],
            preexec_fn=setup_fds, close_fds=False,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._ids = itertools.count(1)
        self._pending: list[dict[str, Any]] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> Any:
        msg_id = next(self._ids)
        message: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._next_message()
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"]))
                return reply["result"]
            self._pending.append(reply)

    def wait_event(self, method: str, session: str) -> dict[str, Any]:
        for index, event in enumerate(self._pending):
            if event.get("method") == method and event.get("sessionId") == session:
                return self._pending.pop(index)
        while True:
            event = self._next_message()
            if event.get("method") == method and event.get("sessionId") == session:
                return event
            self._pending.append(event)

    def _next_message(self, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._read], [], [], left)[0]:
                raise TimeoutError("no message from chromium")
            data = os.read(self._read, 65536)
            if not data:
                raise EOFError("chromium exited")
            self._buffer += data
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def close(self) -> None:
        try:
            os.write(self._write, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            os.close(self._write)
            os.close(self._read)


class Tab:
    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})
        self.session = browser.send("Target.attachToTarget",
                                    {"targetId": target["targetId"], "flatten": True})["sessionId"]
        browser.send("Page.enable", session=self.session)
        browser.send("Network.enable", session=self.session)

    def send(self, method: str, params: dict | None = None) -> Any:
        return self.browser.send(method, params, self.session)

    def goto(self, url: str, final_path: str | None = None) -> None:
        self.browser._pending.clear()
        self.send("Page.navigate", {"url": url})
        self._loaded(final_path)

    def run(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return result["result"].get("value")

    def submit(self, expression: str, final_path: str | None = None) -> None:
        self.browser._pending.clear()
        self.run(expression)
        self._loaded(final_path)

    def _loaded(self, final_path: str | None) -> None:
        # a page that posts itself and then redirects fires one load event per page
        for _ in range(5):
            self.browser.wait_event("Page.loadEventFired", self.session)
            if final_path is None or final_path in self.run("location.pathname + location.search"):
                return
        raise AssertionError("never reached %s" % final_path)

    def cookies(self) -> dict[str, dict[str, Any]]:
        return {c["name"]: c for c in self.send("Network.getCookies")["cookies"]}


@pytest.fixture
def tab(tmp_path):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    browser = Browser(tmp_path / "profile")
    try:
        try:
            tab = Tab(browser)
        except (EOFError, TimeoutError) as exc:
            pytest.skip("chromium is installed but did not start here: %r" % (exc,))
        yield tab
    finally:
        browser.close()


def test_browser_login_post_and_redirect_chain(tab, base):
    # /start sets a plain cookie and posts a login form; /login redirects to /hop, which
    # redirects to /whoami?x=%C3%A9
    tab.goto(base + "/start", final_path="/whoami")
    assert tab.run("location.search") == "?x=%C3%A9"
    assert tab.run("document.body.innerText") == "user=al<ice visits=1"
    cookies = tab.cookies()
    session = cookies["QX_session"]
    assert session["httpOnly"] is True and session["sameSite"] == "Lax"
    assert session["path"] == "/" and session["session"] is True  # no expiry: a session cookie
    # HttpOnly: scripts see the plain cookie, never the session id
    assert tab.run("document.cookie") == 'plain="visible"'
    tab.goto(base + "/whoami", final_path="/whoami")
    assert tab.run("document.body.innerText") == "user=al<ice visits=2"


def test_browser_session_id_rotates_on_login(tab, base):
    url = base + "/"
    tab.send("Network.setCookie", {"name": "QX_session", "value": '"planted-by-an-attacker-1"',
                                   "url": url})
    tab.goto(base + "/start", final_path="/whoami")
    first = tab.cookies()["QX_session"]["value"]
    assert "planted" not in first and re.fullmatch(r'"[A-Za-z0-9_-]{22}"', first)
    # logging in again (another user) gives another id; the old one is worthless
    tab.goto(base + "/login", final_path="/login")
    tab.submit("document.querySelector('input[name=name]').value = 'bob';"
               "document.forms[0].submit();", final_path="/whoami")
    second = tab.cookies()["QX_session"]["value"]
    assert second != first
    assert tab.run("document.body.innerText").startswith("user=bob ")
    out = curl("-b", "QX_session=%s" % first, base + "/whoami").stdout
    assert out.startswith(b"user=None ")


def test_browser_multipart_upload(tab, base, tmp_path):
    data = os.urandom(300_000)
    # Chromium sends the name as is, but for '"' (as %22): filename="r\u00e9sum\u00e9; ..."
    upload = tmp_path / "r\u00e9sum\u00e9; v2 \u20ac.bin"
    upload.write_bytes(data)
    tab.goto(base + "/empty", final_path="/empty")
    tab.run("document.body.innerHTML = '<form method=post enctype=multipart/form-data "
            "action=/upload><input type=file name=file><input name=note "
            "value=\"caf\\u00e9 \\u20ac\"></form>'")
    root = tab.send("DOM.getDocument")["root"]["nodeId"]
    node = tab.send("DOM.querySelector", {"nodeId": root, "selector": "input[type=file]"})
    tab.send("DOM.setFileInputFiles", {"files": [str(upload)], "nodeId": node["nodeId"]})
    tab.submit("document.forms[0].submit()", final_path="/upload")
    # the ';' inside the quoted filename cut it short ("r\u00e9sum\u00e9"); base_filename
    # is Quixote's make_safe_filename() of the whole name
    expected = "%s %d %s caf\u00e9 \u20ac" % (
        make_safe_filename(upload.name), len(data), hashlib.sha256(data).hexdigest())
    assert tab.run("document.body.innerText") == expected


# -- curl ---------------------------------------------------------------------------------

def _headers(out: bytes) -> dict[str, str]:
    """The last response's headers from curl -D - output (lower-cased names)."""
    block = out.replace(b"\r\n", b"\n").strip().split(b"\n\n")[-1]
    headers = {}
    for line in block.split(b"\n")[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


def test_curl_conditional_get(base):
    first = curl("-D", "-", "-o", os.devnull, base + "/static/a.txt")
    headers = _headers(first.stdout)
    etag, modified = headers["etag"], headers["last-modified"]
    for extra in (["-H", "If-None-Match: %s" % etag],
                  ["-H", "If-None-Match: W/%s, \"other\"" % etag],
                  ["-H", "If-Modified-Since: %s" % modified]):
        out = curl("-s", "-o", os.devnull, "-w", "%{http_code} %{size_download}",
                   *extra, base + "/static/a.txt").stdout
        assert out == b"304 0", extra
    changed = curl("-s", "-o", os.devnull, "-w", "%{http_code}", "-H",
                   'If-None-Match: "stale"', base + "/static/a.txt").stdout
    assert changed == b"200"
    garbage = curl("-s", "-o", os.devnull, "-w", "%{http_code}", "-H",
                   "If-Modified-Since: not a date", base + "/static/a.txt").stdout
    assert garbage == b"200"


def test_curl_head(base):
    out = curl("-I", base + "/big").stdout
    assert out.startswith(b"HTTP/1.1 200 OK")
    assert _headers(out)["content-length"] == str(len("<p>" + "hello world " * 5000 + "</p>"))


def test_curl_gzip(base, tmp_path):
    target = tmp_path / "big.gz"
    out = curl("-D", "-", "-o", str(target), "-H", "Accept-Encoding: gzip", base + "/big").stdout
    headers = _headers(out)
    assert headers["content-encoding"] == "gzip" and headers["vary"] == "Accept-Encoding"
    assert int(headers["content-length"]) == target.stat().st_size
    assert gzip.decompress(target.read_bytes()) == ("<p>" + "hello world " * 5000 + "</p>").encode()
    # --compressed: curl decodes it itself
    assert curl("--compressed", base + "/big").stdout.startswith(b"<p>hello world")
    plain = _headers(curl("-D", "-", "-o", os.devnull, "-H", "Accept-Encoding: gzip;q=0",
                          base + "/big").stdout)
    assert "content-encoding" not in plain


def test_curl_multipart_uploads(base, tmp_path):
    data = os.urandom(3_000_000)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    expected = "big.bin %d %s h\u00e9llo" % (len(data), hashlib.sha256(data).hexdigest())
    for extra in ([], ["-H", "Transfer-Encoding: chunked"], ["-H", "Expect: 100-continue"],
                  ["--http1.0"]):
        out = curl(*extra, "-F", "file=@%s" % path, "-F", "note=h\u00e9llo", base + "/upload")
        assert out.stdout.decode() == expected, (extra, out.stdout[:200], out.stderr)


def test_curl_keep_alive_several_requests(base):
    # one curl, one connection, several requests (curl says "Re-using existing connection")
    out = curl("-v", "-I", "-H", "Accept-Encoding: gzip", base + "/", base + "/big",
               base + "/static/a.txt", base + "/")
    stderr = out.stderr.decode("latin-1")
    # HEAD of a gzipped file (a Stream of unknown length): waitress closes after it
    assert stderr.count("Connected to") == 2 and "Re-using existing connection" in stderr
    assert out.stdout.count(b"HTTP/1.1 200 OK") == 4
    out = curl("-v", base + "/", base + "/empty", base + "/static/a.txt", base + "/cookie?v=1")
    assert out.stdout == b"<html><body>index</body></html>hello static\nok"
    assert out.stderr.decode("latin-1").count("Connected to") == 1


def test_samesite_none_without_secure_is_refused():
    # Chromium drops `SameSite=None` cookies without Secure: with
    # session_cookie_samesite="None" on plain settings every login silently failed
    # (the browser came back without a session). Now a clear configuration error.
    from jack_runtime import App
    from jack_runtime.config import Config
    from jack_runtime.directory import Directory

    with pytest.raises(ValueError, match="session_cookie_secure"):
        Config(session_cookie_samesite="None")
    with pytest.raises(ValueError, match="session_cookie_samesite"):
        App(Directory(), session_cookie_samesite="None")
    config = Config(session_cookie_samesite="None", session_cookie_secure=True)
    assert config.session_cookie_samesite == "None"


@pytest.mark.parametrize("value", ["sp ace", 'q"uote', "c,omma", "caf\u00e9"])
def test_browser_cookie_values_round_trip(tab, base, value):
    tab.goto(base + "/cookie?v=" + urllib.parse.quote(value), final_path="/cookie")
    tab.goto(base + "/readcookie", final_path="/readcookie")
    # non-ASCII goes out as UTF-8 and comes back as the same bytes, which WSGI gives as
    # latin-1 text: Quixote's mojibake, kept
    expected = value if value.isascii() else value.encode("utf-8").decode("latin-1")
    assert tab.run("document.body.innerText") == repr(expected)


@pytest.mark.xfail(strict=False, reason=(
    "set_cookie() quotes the value (Quixote's syntax) but browsers do not honour quotes "
    "(RFC 6265): Chromium cuts the value at ';' and reads the rest as attributes "
    "('x; Domain=example.com' makes it drop the cookie). Fix: refuse ';' in cookie values "
    "like CR/LF (InvalidHeaderValueError), or encode it and decode in parse_cookies"))
def test_browser_cookie_value_with_semicolon_round_trips(tab, base):
    tab.goto(base + "/cookie?v=" + urllib.parse.quote("a;path=/x"), final_path="/cookie")
    tab.goto(base + "/readcookie", final_path="/readcookie")
    assert tab.run("document.body.innerText") == repr("a;path=/x")
