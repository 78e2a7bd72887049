"""The shim (jack_runtime.compat): quixote names resolving to Jack, in a process where Jack runs.

Each scenario runs in a fresh interpreter: the shim replaces ``quixote`` in ``sys.modules``,
and the test process itself has the real Quixote imported as the reference.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def run_python(code: str, *, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join([str(cwd), str(ROOT)])
    full_env.pop(("JACK_QUIXOTE_SHIM"), None)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=120)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


# A tiny WSGI client used inside the subprocesses.
CLIENT = '''
import io, json
def call(app, path, method="GET", cookies=None):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "",
               "QUERY_STRING": "", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
               "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.input": io.BytesIO(b""),
               "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO(),
               "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False}
    if cookies:
        environ["HTTP_COOKIE"] = cookies
    seen = {}
    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers
    body = b"".join(app(environ, start_response))
    return seen["status"], body.decode("utf-8")
'''


def test_names_resolve_to_jack_objects(tmp_path: Path) -> None:
    out = ok(run_python(CLIENT + '''
import jack_runtime.compat
jack_runtime.compat.install(quiet=True)
import quixote, quixote.session, quixote.directory
import jack_runtime, jack_runtime.session, jack_runtime.directory, jack_runtime.util
from quixote.util import import_object
from quixote.publish import Publisher
from quixote.wsgi import QWIP
checks = {
    "getattr": getattr(quixote, "get_request") is jack_runtime.get_request,
    "module": quixote.session is jack_runtime.session,
    "import_object": import_object("quixote.util.StaticDirectory") is jack_runtime.util.StaticDirectory,
    "directory": quixote.directory.Directory is jack_runtime.directory.Directory,
    "publisher_is_app": issubclass(Publisher, jack_runtime.App),
}
class Root(quixote.directory.Directory):
    _q_exports = ["", "hello"]
    def _q_index(self):
        return "index"
    def hello(self):
        return "hello %s" % quixote.get_request().get_path()
app = Publisher(Root(), None, None, None, display_exceptions="plain")
checks["qwip"] = QWIP(app) is app
checks["served"] = call(app, "/hello") == ("200 OK", "hello /hello")
print(json.dumps(checks))
''', cwd=tmp_path))
    checks = json.loads(out)
    assert all(checks.values()), checks


def test_shim_announces_itself_and_who_wins(tmp_path: Path) -> None:
    result = run_python('''
import logging
logging.basicConfig(level=logging.WARNING)
import jack_runtime.compat
jack_runtime.compat.install()
import quixote
print(quixote.__version__)
''', cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # the real quixote is installed in the test environment: the log says the shim wins
    assert "wins over the real quixote package installed at" in result.stderr
    assert "jack_runtime.compat" in result.stdout


def test_environment_variable_installs_the_shim(tmp_path: Path) -> None:
    out = ok(run_python('''
import jack_runtime
import quixote
print(getattr(quixote, "__jack_shim__", False))
''', cwd=tmp_path, env={"JACK_QUIXOTE_SHIM": "1"}))
    assert out.strip() == "True"
    # and without it, `import quixote` is the real package
    out = ok(run_python('''
import jack_runtime
import quixote
print(getattr(quixote, "__jack_shim__", False))
''', cwd=tmp_path))
    assert out.strip() == "False"


def test_sessions_pickled_by_real_quixote_load_on_jack(tmp_path: Path) -> None:
    app_module = tmp_path / "myapp.py"
    app_module.write_text(textwrap.dedent('''
        from quixote.session import Session

        class AppSession(Session):
            def __init__(self, id):
                Session.__init__(self, id)
                self.cart = []

            def has_info(self):
                return bool(self.cart) or Session.has_info(self)
    '''))
    store = tmp_path / "sessions.db"
    # Written by real Quixote 3.8, into a sqlite table and a shelve, as applications did.
    ok(run_python(f'''
import io, pickle, shelve, sqlite3
from quixote.publish import Publisher
from quixote.directory import Directory
from quixote.http_request import HTTPRequest
from quixote.session import Session
from myapp import AppSession
publisher = Publisher(Directory())
publisher._set_request(HTTPRequest(io.BytesIO(), {{"REMOTE_ADDR": "10.0.0.1", "SERVER_NAME": "x",
                                                  "SERVER_PORT": "80", "REQUEST_METHOD": "GET"}}))
s = Session("abc123")
s.set_user("ann")
t = AppSession("def456")
t.cart.append("book")
t.set_user("bob")
db = sqlite3.connect({str(store)!r})
db.execute("create table sessions (id text primary key, data blob)")
for sess in (s, t):
    db.execute("insert into sessions values (?, ?)", (sess.id, pickle.dumps(sess)))
db.commit()
with shelve.open({str(tmp_path / "shelf")!r}) as shelf:
    shelf["def456"] = t
''', cwd=tmp_path))
    out = ok(run_python(f'''
import json, pickle, shelve, sqlite3
import jack_runtime.compat
jack_runtime.compat.install(quiet=True)
import jack_runtime.session
db = sqlite3.connect({str(store)!r})
loaded = {{row[0]: pickle.loads(row[1]) for row in db.execute("select id, data from sessions")}}
with shelve.open({str(tmp_path / "shelf")!r}) as shelf:
    shelved = shelf["def456"]
s, t = loaded["abc123"], loaded["def456"]
print(json.dumps({{
    "jack_class": isinstance(s, jack_runtime.session.Session) and isinstance(t, jack_runtime.session.Session),
    "user": s.user, "sub_user": t.user, "cart": t.cart, "shelved_cart": shelved.cart,
    "has_info": [s.has_info(), t.has_info()], "ids": [s.id, t.id],
    "remote": s.get_remote_address(),
}}))
''', cwd=tmp_path))
    data = json.loads(out)
    assert data == {"jack_class": True, "user": "ann", "sub_user": "bob", "cart": ["book"],
                    "shelved_cart": ["book"], "has_info": [True, True], "ids": ["abc123", "def456"],
                    "remote": "10.0.0.1"}


def test_half_migrated_tree_runs_on_jack(tmp_path: Path) -> None:
    pkg = tmp_path / "halfway"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    # migrated module
    (pkg / "root.py").write_text(textwrap.dedent('''
        from jack_runtime.directory import Directory
        from jack_runtime import get_request
        from halfway.legacy import LegacyDirectory

        class Root(Directory):
            _q_exports = ["", "legacy"]
            legacy = LegacyDirectory()

            def _q_index(self):
                return "root at %s" % get_request().get_path()
    '''))
    # not migrated yet: still imports quixote
    (pkg / "legacy.py").write_text(textwrap.dedent('''
        from quixote.directory import Directory
        from quixote import get_path
        from quixote.html import htmltext, htmlescape

        class LegacyDirectory(Directory):
            _q_exports = ["", "page"]

            def _q_index(self):
                return htmltext("<p>legacy %s</p>") % "<b>"

            def page(self):
                return "legacy page at " + get_path()
    '''))
    out = ok(run_python(CLIENT + '''
import jack_runtime.compat
jack_runtime.compat.install(quiet=True)
from jack_runtime import App
from halfway.root import Root
app = App(Root())
print(json.dumps([call(app, p) for p in ("/", "/legacy/", "/legacy/page", "/legacy")]))
''', cwd=tmp_path))
    pages = json.loads(out)
    assert pages[0] == ["200 OK", "root at /"]
    assert pages[1] == ["200 OK", "<p>legacy &lt;b&gt;</p>"]
    assert pages[2] == ["200 OK", "legacy page at /legacy/page"]
    assert pages[3][0].startswith("302")  # Directory.__call__'s missing-slash redirect


def test_unconverted_ptl_templates_import_after_enable_ptl(tmp_path: Path) -> None:
    pkg = tmp_path / "tmpl"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "pages.ptl").write_text(textwrap.dedent('''
        from quixote.ptl import ptl_html

        @ptl_html
        def greeting(name):
            F'<p>Hello {name}</p>'
            ' & goodbye'
    '''))
    out = ok(run_python('''
import jack_runtime.compat
jack_runtime.compat.install(quiet=True)
import quixote
quixote.enable_ptl()
from tmpl import pages
print(pages.greeting("<Ann & Bob>"))
''', cwd=tmp_path))
    # gen-3 PTL: the F-string is markup, the plain literal is escaped, as in Quixote
    assert out.strip() == "<p>Hello &lt;Ann &amp; Bob&gt;</p> &amp; goodbye"


@pytest.mark.skipif(not (FIXTURES / "q1").is_dir(), reason="fixtures/q1 not present")
def test_quixote1_namespaces_match_real_quixote(tmp_path: Path) -> None:
    """fixtures/q1 (publish1 module namespaces) on real Quixote vs on Jack through the shim."""
    shutil.copytree(FIXTURES / "q1", tmp_path / "q1")
    spec = json.loads((tmp_path / "q1" / "requests.json").read_text())
    paths = [r["path"] for r in spec["requests"] if r.get("method", "GET") == "GET" and not r.get("query")
             and not r.get("headers")][:10]
    driver = CLIENT + f'''
import sys
paths = {paths!r}
if sys.argv[-1] == "jack":
    import jack_runtime.compat
    jack_runtime.compat.install(quiet=True)
    from oldsite import create_publisher
    app = create_publisher()
else:
    from quixote.wsgi import QWIP
    from oldsite import create_publisher
    publisher = create_publisher()
    def app(environ, start_response):
        from quixote.http_request import HTTPRequest
        response = publisher.process_request(HTTPRequest(environ["wsgi.input"], environ))
        start_response("%d %s" % (response.status_code, response.reason_phrase), [])
        return [b"".join(c if isinstance(c, bytes) else c.encode() for c in response.generate_body_chunks())]
results = [call(app, p) for p in paths]
# Quixote's DefaultLogger points sys.stdout at the error log: write to the real stdout
sys.__stdout__.write(json.dumps(results))
'''
    env = {"OLDSITE_DATA_DIR": str(tmp_path / "data")}
    cwd = tmp_path / "q1"
    quixote_side = json.loads(ok(subprocess.run(
        [sys.executable, "-c", driver, "quixote"], cwd=cwd, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(cwd), str(ROOT)]), **env})))
    jack_side = json.loads(ok(subprocess.run(
        [sys.executable, "-c", driver, "jack"], cwd=cwd, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(cwd), str(ROOT)]), **env})))
    assert [s for s, _ in jack_side] == [s for s, _ in quixote_side]
    for (path, (_, q_body), (_, j_body)) in zip(paths, quixote_side, jack_side):
        assert j_body == q_body.replace("'", "&#39;") or j_body == q_body, path
