"""jack_runtime.serve: run()/create_server() on waitress and the ``jack serve`` command."""
from __future__ import annotations

import http.client
import subprocess
import sys
import textwrap
import threading
import time
from importlib.metadata import entry_points

import pytest

from harness import free_port, serving

from jack_runtime import App
from jack_runtime.directory import Directory
from jack_runtime.serve import create_server, load_target, main, resolve_app


class Root(Directory):
    _q_exports = [""]

    def _q_index(self):
        return "served"


def wsgi_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"raw"]


class CallableApp:
    def __call__(self, environ, start_response):
        return wsgi_app(environ, start_response)


def test_resolve_app():
    app = App(Root())
    assert resolve_app(app) is app
    assert resolve_app(lambda: app) is app  # a zero-argument factory is called
    assert resolve_app(wsgi_app) is wsgi_app
    instance = CallableApp()
    assert resolve_app(instance) is instance
    with pytest.raises(TypeError, match="not a WSGI application"):
        resolve_app(lambda: 42)
    with pytest.raises(TypeError, match="zero-argument factory"):
        resolve_app("app")


def test_load_target(tmp_path, monkeypatch):
    (tmp_path / "serve_target_mod.py").write_text(textwrap.dedent("""
        class holder:
            value = 7
        def create():
            return 1
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    assert load_target("serve_target_mod:create")() == 1
    assert load_target("serve_target_mod:holder.value") == 7
    for bad in ["serve_target_mod", "serve_target_mod:", ":create"]:
        with pytest.raises(ValueError, match="module:attribute"):
            load_target(bad)
    with pytest.raises(ValueError, match="no attribute"):
        load_target("serve_target_mod:nothing")
    with pytest.raises(ImportError):
        load_target("no_such_module_xyz:app")


def test_main_reports_bad_target(capsys):
    assert main(["serve", "no_such_module_xyz:app"]) == 2
    assert "cannot load 'no_such_module_xyz:app'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([])  # a subcommand is required


def test_console_script_is_declared():
    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert scripts.get("jack") == "jack_runtime.serve:main"


def _get(port, path="/", attempts=1):
    for attempt in range(attempts):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        except OSError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.1)
        finally:
            conn.close()


def test_create_server_serves_an_app_factory():
    with serving(lambda: App(Root())) as port:
        status, headers, body = _get(port)
    assert (status, body) == (200, b"served")
    # waitress frames the body and adds Date/Server; Jack sent no hop-by-hop headers
    assert headers["Content-Length"] == "6" and "Date" in headers
    server = create_server(wsgi_app, host="127.0.0.1", port=0)
    try:
        assert int(server.effective_port) > 0
    finally:
        server.close()


def test_jack_serve_command(tmp_path):
    (tmp_path / "jack_serve_demo.py").write_text(textwrap.dedent("""
        from jack_runtime import App
        from jack_runtime.directory import Directory

        class Root(Directory):
            _q_exports = ["", "hello"]
            def _q_index(self):
                return "index"
            def hello(self):
                return "hello from the CLI"

        def create_app():
            return App(Root())
    """))
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "jack_runtime.serve", "serve", "jack_serve_demo:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--threads", "2"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        status, _, body = _get(port, "/hello", attempts=100)
        assert (status, body) == (200, b"hello from the CLI")
        assert _get(port, "/nope")[0] == 404
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0].decode()
    assert "Serving on http://127.0.0.1:%d" % port in output
    assert '"GET /hello HTTP/1.1" 200' in output  # the access log is shown


def test_jack_serve_behind_a_proxy_options():
    from jack_runtime.serve import _parser, _waitress_settings

    plain = _waitress_settings(_parser().parse_args(["serve", "m:app"]))
    assert plain == {"threads": 8}
    args = _parser().parse_args(["serve", "m:app", "--url-scheme", "https", "--url-prefix", "/shop",
                                 "--trusted-proxy", "10.0.0.1"])
    settings = _waitress_settings(args)
    assert settings["url_scheme"] == "https" and settings["url_prefix"] == "/shop"
    assert settings["trusted_proxy"] == "10.0.0.1" and settings["clear_untrusted_proxy_headers"]
    assert "x-forwarded-proto" in settings["trusted_proxy_headers"]


def test_forwarding_headers_are_believed_from_the_trusted_proxy_only():
    from jack_runtime import get_request
    from jack_runtime.directory import Directory
    from jack_runtime.serve import _parser, _waitress_settings

    class Where(Directory):
        _q_exports = [""]

        def _q_index(self):
            request = get_request()
            return "%s %s" % (request.get_url(), request.get_environ("REMOTE_ADDR"))

    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "shop.example.com",
                 "X-Forwarded-For": "203.0.113.9"}

    def fetch(trusted):
        argv = ["serve", "m:app", "--url-prefix", "/shop"] + (["--trusted-proxy", trusted] if trusted else [])
        server = create_server(App(Where()), host="127.0.0.1", port=0,
                               **_waitress_settings(_parser().parse_args(argv)))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", int(server.effective_port), timeout=10)
            conn.request("GET", "/shop/", headers=forwarded)
            response = conn.getresponse()
            return response.status, response.read().decode()
        finally:
            server.close()
            thread.join(5)

    assert fetch("127.0.0.1") == (200, "https://shop.example.com/shop/ 203.0.113.9")
    status, body = fetch("10.9.9.9")  # another proxy: the headers are dropped
    assert status == 200 and body.startswith("http://127.0.0.1:") and body.endswith("/shop/ 127.0.0.1")
