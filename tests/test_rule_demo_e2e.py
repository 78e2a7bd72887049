"""End to end: Quixote's own demos (mini_demo.py, altdemo.py), copied out of the installed
quixote package, migrated by jackmigrate with every rule, imported and served on Jack; every
page is compared with the original running on Quixote 3.8.

The only differences allowed are Jack's documented ones (see tests/test_session_altdemo.py):
the session id is rotated at login, and the session cookie's SameSite/HttpOnly attributes.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

import harness
from jackmigrate.engine import Options, run_files
from jackmigrate.fixtures_regen import jackmigrate_command
from jackmigrate.rules import all_rules

QUIXOTE_DEMO = Path(importlib.util.find_spec("quixote.demo").origin).parent  # type: ignore[arg-type]

ID = re.compile(r"[A-Za-z0-9_\-]{22}")
DUMP = re.compile(rb'<div style="font-size: smaller;background:#eee">.*?</body>', re.S)
COOKIE_ATTRS = re.compile(r";\s*(samesite=\w+|httponly)", re.I)
# display_exceptions='plain' shows the traversed object's repr: module name and address differ
REPR = re.compile(rb"&lt;[\w.]+ object at 0x[0-9a-f]+&gt;")


def same_object_reprs(body: bytes) -> bytes:
    return REPR.sub(b"&lt;object&gt;", body)


def migrate_tree(root: Path) -> list:
    """What ``jackmigrate ROOT`` does in write mode: every rule over every file, new text
    written back."""
    files = [(p.name, str(p)) for p in sorted(root.glob("*.py"))]
    results = run_files(files, Options(rule_ids=tuple(all_rules()), root=str(root)))
    for res in results:
        assert res.error is None, res.error.message if res.error else ""
        if res.changed:
            (root / res.out_path).write_bytes(res.new_bytes or b"")
    return results


def load(path: Path, monkeypatch: pytest.MonkeyPatch):
    name = "jm_e2e_%s_%s" % (path.stem, uuid.uuid4().hex[:8])
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # sessions pickled by a store must find their class by module name
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def demos(tmp_path: Path) -> Path:
    for name in ("mini_demo.py", "altdemo.py"):
        shutil.copy(QUIXOTE_DEMO / name, tmp_path / name)
    return tmp_path


def _no_quixote_code(text: str) -> None:
    code = [line for line in text.splitlines() if re.match(r"\s*(from|import)\s+quixote\b", line)]
    assert not code, code


def test_mini_demo_migrated_text(demos: Path) -> None:
    migrate_tree(demos)
    text = (demos / "mini_demo.py").read_text()
    _no_quixote_code(text)
    assert "def create_app():\n    return App(RootDirectory(), display_exceptions='plain')" in text
    assert "    from jack_runtime.serve import run" in text
    assert "run(create_app, host='localhost', port=8080, threads=1)" in text
    # a second run changes nothing
    before = text
    results = migrate_tree(demos)
    assert not [r for r in results if r.changed]
    assert (demos / "mini_demo.py").read_text() == before


def test_mini_demo_pages_match_quixote(demos: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from quixote.demo import mini_demo as original

    migrate_tree(demos)
    migrated = load(demos / "mini_demo.py", monkeypatch)
    app = migrated.create_app()
    for method, path in [("GET", "/"), ("GET", "/hello"), ("HEAD", "/hello"), ("GET", "/nope"),
                         ("POST", "/hello"), ("PUT", "/"), ("GET", "/hello/")]:
        q = harness.quixote_call(original.create_publisher, method, path)
        j = harness.jack_call(app, method, path)
        harness.assert_same(q, j, normalise=same_object_reprs)


def test_mini_demo_served_by_waitress(demos: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from quixote.demo import mini_demo as original

    migrate_tree(demos)
    migrated = load(demos / "mini_demo.py", monkeypatch)
    expected = harness.quixote_call(original.create_publisher, "GET", "/hello")[2]
    # the migrated factory, served as `run(create_app, ...)` would serve it
    with harness.serving(migrated.create_app) as port:
        with urllib.request.urlopen("http://127.0.0.1:%d/hello" % port, timeout=10) as resp:
            assert resp.status == 200
            assert resp.read() == expected


# -- altdemo: sessions --------------------------------------------------------------------

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
    ("bob", "GET", "/logout", None),
    ("bob", "GET", "/nowhere", None),
]


def normalise_body(body: bytes) -> str:
    """The page without the request dump (the environ differs by nature), session ids as
    ``<id>``, and the session table's rows (sorted by random id in the demo) sorted.  Jack
    escapes ' as &#39; where Quixote leaves it (a documented fix): set aside too."""
    text = ID.sub("<id>", DUMP.sub(b"</body>", same_object_reprs(body)).decode()).replace("&#39;", "'")
    table = re.search(r"(<table><tr><th>.*?</tr>)(.*)(</table>)", text)
    if table is None:
        return text
    rows = sorted(re.findall(r"<tr><td>\d+</td>(.*?)(?=<tr>|$)", table.group(2)))
    return text[:table.start(2)] + "|".join(rows) + text[table.end(2):]


def cookies(result: harness.Result) -> list[str]:
    return [COOKIE_ATTRS.sub("", ID.sub("<id>", v)) for k, v in result[1] if k.lower() == "set-cookie"]


def run_flow(clients) -> list:
    by_name = dict(zip(("alice", "bob"), clients))
    out = []
    for who, method, path, form in FLOW:
        kw = {"form": form} if form is not None else {}
        result = by_name[who].call(method, path, **kw)
        out.append((result[0], normalise_body(result[2]), cookies(result)))
    return out


def test_altdemo_migrated_text(demos: Path) -> None:
    results = {r.path: r for r in migrate_tree(demos)}
    text = (demos / "altdemo.py").read_text()
    _no_quixote_code(text)
    assert "def create_app():" in text and "return App(" in text
    assert "from jack_runtime.session import Session, SessionManager" in text
    # the Durus manager's dead forget_changes hook is now Jack's (and Quixote's) abort hook
    assert "def abort_changes(self, session):" in text and "forget_changes" not in text
    findings = results["altdemo.py"].findings
    # `python3 -m quixote run` in the docstring is reported, not silently left
    assert any(f.rule == "JM011" and f.bucket.value == "unsupported" for f in findings)


def test_altdemo_pages_match_quixote(demos: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import copy

    from quixote.demo import altdemo as original

    migrate_tree(demos)
    migrated = load(demos / "altdemo.py", monkeypatch)

    first = harness.QuixoteSession(original.create_publisher)
    second = copy.copy(first)
    second.cookies = {}
    quixote_steps = run_flow((first, second))
    assert "Hello, alice." in quixote_steps[3][1]  # the flow does what it is meant to

    app = migrated.create_app()
    jack_steps = run_flow((harness.JackSession(app), harness.JackSession(app)))
    for step, (q, j) in enumerate(zip(quixote_steps, jack_steps)):
        where = "step %d %s" % (step, FLOW[step][1:3])
        assert j[0] == q[0], where
        assert j[1] == q[1], where + "\njack:    %s\nquixote: %s" % (j[1], q[1])
        if FLOW[step][1:3] == ("POST", "/login"):
            # Jack's documented difference: the login rotates the session id
            assert q[2] == [] and j[2] == ['QX_session="<id>"; path=/'], where
        else:
            assert j[2] == q[2], where


def test_cli_migrates_the_demos(demos: Path) -> None:
    """The same through the ``jackmigrate`` command (write mode)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.run(
        [*jackmigrate_command(), str(demos)],
        capture_output=True, text=True, env=env, cwd=demos, timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    for name in ("mini_demo.py", "altdemo.py"):
        text = (demos / name).read_text()
        _no_quixote_code(text)
        assert "def create_app():" in text
