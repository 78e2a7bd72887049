"""Serving a Jack app on waitress, the embedded default server, and the ``jack`` command.

``run(app_or_factory)`` takes an App (or any WSGI callable) or, like Quixote's server modules,
a zero-argument factory returning one. Jack apps are thread-safe, so waitress's thread pool is
used as is (Quixote's threaded_server funnels every request through one worker thread).
For pre-fork production serving, point gunicorn at the same ``module:attr``.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import logging
import os
import sys
from typing import Any, Callable, Sequence

import waitress
from waitress.server import BaseWSGIServer, MultiSocketServer

from .app import App

WSGIApp = Callable[..., Any]


def _is_factory(obj: Any) -> bool:
    """True for a zero-argument callable (a factory), False for an App or WSGI callable."""
    if isinstance(obj, App):
        return False
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return False
    try:
        signature.bind()
    except TypeError:
        return False
    return True


def resolve_app(app_or_factory: Any) -> WSGIApp:
    """The WSGI application for ``app_or_factory``: itself, or what the factory returns."""
    if not callable(app_or_factory):
        raise TypeError("expected a WSGI application or a zero-argument factory, got %r"
                        % (app_or_factory,))
    app = app_or_factory() if _is_factory(app_or_factory) else app_or_factory
    if not callable(app):
        raise TypeError("the factory %r returned %r, which is not a WSGI application"
                        % (app_or_factory, app))
    return app


def load_target(spec: str) -> Any:
    """Import ``"package.module:attr"`` (``attr`` may be dotted) and return the object."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError("expected 'module:attribute', got %r" % spec)
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ValueError("module %r has no attribute %r" % (module_name, attr)) from None
    return obj


class _BuiltInServingThread:
    """A factory's app, built on the first request, in the thread that serves every request.

    Quixote's simple and threaded servers ran the whole publisher in one thread, so its
    factory could open thread-bound resources (sqlite3 connections, a Durus client). With
    ``threads=1`` Jack keeps that: waitress's single worker thread calls the factory.
    """

    def __init__(self, factory: Callable[[], Any]) -> None:
        self.factory = factory
        self.app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if self.app is None:
            self.app = resolve_app(self.factory)
        return self.app(environ, start_response)


def _wsgi_app(app_or_factory: Any, waitress_kw: dict[str, Any]) -> WSGIApp:
    if waitress_kw.get("threads") == 1 and callable(app_or_factory) and _is_factory(app_or_factory):
        return _BuiltInServingThread(app_or_factory)
    return resolve_app(app_or_factory)


def create_server(app_or_factory: Any, host: str = "127.0.0.1", port: int = 8080,
                  **waitress_kw: Any) -> BaseWSGIServer | MultiSocketServer:
    """A bound, not yet running, waitress server (``port=0`` picks a free port; see
    ``server.effective_port``). Call ``server.run()`` to serve and ``server.close()`` to stop.

    With ``threads=1`` a factory is called in the serving thread, on the first request."""
    return waitress.create_server(_wsgi_app(app_or_factory, waitress_kw), host=host, port=port,
                                  **waitress_kw)


def run(app_or_factory: Any, host: str = "127.0.0.1", port: int = 8080,
        **waitress_kw: Any) -> None:
    """Serve until interrupted. Extra keywords are waitress settings (threads=8, ...); with
    ``threads=1`` a factory is called in the serving thread, as Quixote's servers did."""
    waitress.serve(_wsgi_app(app_or_factory, waitress_kw), host=host, port=port, **waitress_kw)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jack", description="Jack web framework tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve", help="serve an app on waitress",
        description="Serve module:attr, an App (or WSGI app) or a zero-argument factory.")
    serve.add_argument("target", help="module:attr, e.g. myapp.web:create_app")
    serve.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="TCP port (default 8080)")
    serve.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    serve.add_argument("--url-scheme", choices=["http", "https"],
                       help="scheme the app sees in its URLs (default: the connection's)")
    serve.add_argument("--url-prefix", default="",
                       help="path the app is mounted under behind a proxy (its SCRIPT_NAME)")
    serve.add_argument("--trusted-proxy", metavar="ADDRESS",
                       help="address of the reverse proxy whose forwarding headers are believed "
                            "('*' for any); other clients' forwarding headers are dropped")
    serve.add_argument("--trusted-proxy-headers", metavar="NAMES", default=_FORWARDED,
                       help="the headers believed from the trusted proxy (default: %(default)s)")
    return parser


_FORWARDED = "x-forwarded-for x-forwarded-host x-forwarded-proto x-forwarded-port"


def _waitress_settings(args: argparse.Namespace) -> dict[str, Any]:
    settings: dict[str, Any] = {"threads": args.threads}
    if args.url_scheme:
        settings["url_scheme"] = args.url_scheme
    if args.url_prefix:
        settings["url_prefix"] = args.url_prefix
    if args.trusted_proxy:
        # waitress rewrites the scheme, host, port and client address from these headers
        # only for this peer, and strips them from everyone else's requests
        settings["trusted_proxy"] = args.trusted_proxy
        settings["trusted_proxy_headers"] = args.trusted_proxy_headers
        settings["clear_untrusted_proxy_headers"] = True
    return settings


def main(argv: Sequence[str] | None = None) -> int:
    """The ``jack`` console script: ``jack serve module:factory --host H --port P`` (behind
    a reverse proxy: ``--trusted-proxy ADDRESS``, ``--url-scheme``, ``--url-prefix``)."""
    args = _parser().parse_args(argv)
    if args.command == "serve":
        # like gunicorn: the current directory's modules are importable
        if os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        try:
            target = load_target(args.target)
        except (ImportError, ValueError) as exc:
            print("jack serve: cannot load %r: %s" % (args.target, exc), file=sys.stderr)
            return 2
        if not logging.getLogger().handlers:
            # a development server shows what it does, as Quixote's simple_server did (it
            # logs requests when no access log is configured): waitress's "Serving on ...",
            # Jack's access and error logs
            logging.basicConfig(level=logging.INFO, format="%(message)s")
        run(target, host=args.host, port=args.port, **_waitress_settings(args))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
