"""JM011 (servers, QWIP, get_wsgi_app, create_publisher) and JM014 (cleanup) beyond their
examples."""
from __future__ import annotations

import textwrap

import pytest
from rule_harness import migrate_twice

from jackmigrate.project import build_index_from_sources


def run(src: str, rules=("JM011",), path: str = "mod.py", index=None):  # type: ignore[no-untyped-def]
    return migrate_twice(src, rules, path, index)


def test_threaded_server_positional_host_port_and_https_expression() -> None:
    res = run("""
        from quixote.server import threaded_server
        threaded_server.run(create_publisher, 'localhost', 8000, use_https)
        """)
    assert ("jack_runtime.serve.run(create_publisher, 'localhost', 8000, "
            "url_scheme='https' if use_https else 'http', threads=1)") in (res.new_text or "")
    assert "import jack_runtime.serve" in (res.new_text or "")


def test_wsgi_server_handler_class_is_marked_and_left() -> None:
    src = """
        from quixote.server.wsgi_server import run
        run(create_publisher, host='', port=80, handler_class=MyHandler)
        """
    res = run(src)
    text = res.new_text or ""
    assert "from quixote.server.wsgi_server import run" in text
    assert "handler_class has no equivalent" in text
    assert [f.bucket.value for f in res.findings] == ["marked"]


def test_run_used_elsewhere_keeps_the_quixote_import() -> None:
    res = run("""
        from quixote.server.simple_server import run, main
        run(create_publisher, host='h', port=1)
        main(run)
        """)
    text = res.new_text or ""
    assert "jack_runtime.serve.run(create_publisher, host='h', port=1, threads=1)" in text
    assert "from quixote.server.simple_server import run, main" in text


def test_run_alias_is_switched_in_place() -> None:
    res = run("""
        def main():
            from quixote.server.simple_server import run as serve
            serve(create_publisher, host='0.0.0.0', port=80)
        """)
    assert res.new_text == textwrap.dedent("""
        def main():
            from jack_runtime.serve import run as serve
            serve(create_publisher, host='0.0.0.0', port=80, threads=1)
        """)


def test_create_publisher_renamed_across_modules_with_the_index() -> None:
    app = "from quixote.publish import Publisher\ndef create_publisher():\n    return Publisher(Root())\n"
    script = textwrap.dedent("""
        import myapp
        from myapp import create_publisher as factory, other
        from quixote.server.simple_server import run
        run(factory, host='localhost', port=8080)
        app = myapp.create_publisher()
        """)
    index = build_index_from_sources({"myapp.py": app, "serve.py": script})
    res = run(script, path="serve.py", index=index)
    text = res.new_text or ""
    assert "from myapp import create_app as factory, other" in text
    assert "run(factory, host='localhost', port=8080, threads=1)" in text
    assert "app = myapp.create_app()" in text
    # a module the project does not define keeps its name
    foreign = run("from otherlib import create_publisher\nx = create_publisher()\n", path="serve.py", index=index)
    assert "create_publisher" in (foreign.new_text or "") and "create_app" not in (foreign.new_text or "")


@pytest.mark.parametrize("src", [
    "import quixote\ndef create_app():\n    pass\ndef create_publisher():\n    pass\n",
    # a pub/sub library's create_publisher is not Quixote's factory
    "import zmq\ndef create_publisher():\n    return zmq.Context().socket(zmq.PUB)\nx = create_publisher()\n",
])
def test_create_publisher_left_alone(src: str) -> None:
    res = run(src)
    assert res.new_text == src and res.findings == []


def test_get_wsgi_app_after_an_assigned_factory_call() -> None:
    res = run("""
        from quixote import get_wsgi_app
        from quixote.wsgi import QWIP
        pub = create_publisher()
        app = get_wsgi_app()
        other = QWIP(pub)
        """)
    assert res.new_text == textwrap.dedent("""
        pub = create_publisher()
        app = pub
        other = pub
        """)


def test_qwip_subclass_is_marked() -> None:
    res = run("""
        from quixote.wsgi import QWIP
        class MyQWIP(QWIP):
            request_class = MyRequest
        app = MyQWIP(pub)
        """, rules=("JM011", "JM016"))
    assert "TODO(jackmigrate JM016)" in (res.new_text or "")


def test_python_m_quixote_run_in_a_docstring_is_reported() -> None:
    res = run('"""Run with:  python3 -m quixote run --app myapp"""\nimport quixote\n')
    assert [(f.rule, f.bucket.value) for f in res.findings] == [("JM011", "unsupported")]
    assert res.new_text == '"""Run with:  python3 -m quixote run --app myapp"""\nimport quixote\n'


@pytest.mark.parametrize("src,expected", [
    ("from quixote import cleanup as qcleanup\ndef tearDown(self):\n    qcleanup()\n",
     "def tearDown(self):\n    pass\n"),
    ("import quixote.publish\nquixote.publish.cleanup()\nquixote.publish._publisher = None\nx = 1\n",
     "import quixote.publish\nx = 1\n"),
    ("from quixote import cleanup\nregister(cleanup)\n",
     "from jack_runtime import cleanup\nregister(cleanup)\n"),
])
def test_cleanup(src: str, expected: str) -> None:
    assert run(src, rules=("JM014",)).new_text == expected


def test_cgi_script_runs_under_wsgiref(tmp_path, monkeypatch) -> None:
    """The rewritten CGI call really serves one request through wsgiref's CGIHandler."""
    import io
    import sys

    src = textwrap.dedent("""
        from quixote.server.cgi_server import run
        from jack_runtime.app import App
        from jack_runtime.directory import Directory

        class Root(Directory):
            _q_exports = ['']
            def _q_index(self):
                return 'cgi ok'

        def create_publisher():
            return App(Root())

        run(create_publisher)
        """)
    res = run(src)
    assert "wsgiref.handlers.CGIHandler().run(create_app())" in (res.new_text or "")
    out = io.BytesIO()

    stdout = io.TextIOWrapper(out, encoding="latin-1")
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b""), encoding="latin-1"))
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SCRIPT_NAME": "", "SERVER_NAME": "x",
           "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "QUERY_STRING": ""}
    monkeypatch.setattr("os.environ", env)
    exec(compile(res.new_text or "", "cgi.py", "exec"), {"__name__": "cgi_script"})
    stdout.flush()
    data = out.getvalue()
    assert data.startswith(b"Status: 200 OK\r\n"), data[:80]
    assert data.endswith(b"cgi ok")


def test_may_qualify_to_follows_every_binding_that_can_name_the_target() -> None:
    from jackmigrate.rules.base import FileContext

    ctx = FileContext("mod.py")
    ctx.bindings = {"q": "quixote", "p": "os.path"}
    assert ctx.may_qualify_to(["quixote.wsgi.QWIP"])  # q.wsgi.QWIP
    assert not ctx.may_qualify_to(["jack_runtime.get_wsgi_app"])
    ctx.bindings = {"quixote_x": "quixote2"}
    assert not ctx.may_qualify_to(["quixote.x"])  # a prefix of the text is not a module
    ctx.bindings = {"gwa": "quixote.publish.get_wsgi_app"}
    assert ctx.may_qualify_to(["quixote.publish.get_wsgi_app"])
    assert not ctx.may_qualify_to(["quixote.get_wsgi_app"])
    ctx.bindings = {}
    assert not ctx.may_qualify_to(["quixote.get_wsgi_app"])


def test_get_wsgi_app_through_a_module_import_is_still_found() -> None:
    res = run("""
        import quixote.publish
        app = quixote.publish.get_wsgi_app()
        """)
    assert "get_wsgi_app() only works during a request" in (res.new_text or "")


def test_run_command_spelled_with_an_escape_is_still_reported() -> None:
    res = run("""
        from quixote.publish import Publisher
        HELP = 'start it with python -m \\x71uixote run --port 8080'
        """)
    assert any(f.bucket.value == "unsupported" and "quixote run" in f.message for f in res.findings)


@pytest.mark.parametrize("literal", [
    "'python -m quixote\\trun'",  # an escaped tab between the words
    "'python -m quixote \\\n run'",  # a line continuation inside the string
    "'python -m quix\\157te run'",  # an octal escape for a letter
    "'python -m \\N{LATIN SMALL LETTER Q}uixote run'",
])
def test_run_command_with_escapes_is_reported_however_it_is_written(literal: str) -> None:
    # (no string of the file shows the command as such: the rule must still look)
    res = run(f"from quixote.publish import Publisher\nHELP = {literal}\n")
    assert [f for f in res.findings if f.bucket.value == "unsupported" and "quixote run" in f.message]


def test_project_facts_are_computed_once_per_index() -> None:
    index = build_index_from_sources({"app.py": "from quixote.publish import Publisher\n"
                                                 "def create_publisher():\n    return Publisher(None)\n"})
    calls = []
    assert index.memo("k", lambda: calls.append(1) or 42) == 42
    assert index.memo("k", lambda: calls.append(1) or 43) == 42
    assert calls == [1]
