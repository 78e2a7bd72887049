"""Serve one application in-process and replay a request script against it.

Run by ``jackmigrate verify`` as a subprocess, once per side::

    python -m jackmigrate.verify_driver --side original --entry blog:create_publisher \
        --tree ORIGINAL --script requests.json

The results go to the process's real stdout as one JSON document; whatever
the application prints is sent to stderr instead, so it can never corrupt
them.  Exit status 0 means the script ran (whatever the pages said); 3 means
the application could not be imported, 4 that it could not be started, 2 a
bad request script.  In those cases the JSON document has an ``error`` key.

The driver imports nothing from rich or click: the application's process
should hold only what the application itself needs.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import inspect
import json
import os
import sys
import time
import traceback
from typing import Any, Callable

from jackmigrate.request_script import (
    ReplayState, ScriptError, build_environ, label, load_script,
)

ORIGINAL_FACTORY = 'create_publisher'
# What jackmigrate's rules produce, in the order they are looked for.
MIGRATED_NAMES = ('create_app', 'application', 'app')
FACTORY_NAMES = ('create_app', 'create_publisher', 'make_app', 'get_app')

EXIT_SCRIPT, EXIT_IMPORT, EXIT_START = 2, 3, 4


class DriverError(Exception):
    def __init__(self, kind: str, message: str, code: int) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code


def split_entry(entry: str) -> tuple[str, str | None]:
    module, _, name = entry.partition(':')
    return module, name or None


def resolve_entry(side: str, entry: str, fallback: str | None = None) -> tuple[Any, str]:
    """Import the entry module and return (object, attribute name used)."""
    module_name, name = split_entry(entry)
    try:
        module = importlib.import_module(module_name)
    except BaseException as exc:  # SyntaxError, ImportError, SystemExit ...
        raise DriverError(
            'import',
            f'cannot import {module_name!r} ({side} side): '
            f'{type(exc).__name__}: {exc}\n{traceback.format_exc()}',
            EXIT_IMPORT,
        ) from exc
    if side == 'original':
        candidates = [name or ORIGINAL_FACTORY]
    else:
        candidates = [name] if name else list(MIGRATED_NAMES) + [fallback or ORIGINAL_FACTORY]
    for candidate in candidates:
        if hasattr(module, candidate):
            return getattr(module, candidate), candidate
    raise DriverError(
        'import',
        f'module {module_name!r} ({side} side) has none of '
        f'{", ".join(candidates)}',
        EXIT_IMPORT,
    )


def make_app(side: str, obj: Any, name: str) -> tuple[Callable, Any]:
    """Turn the entry object into (call(environ) -> result, config or None)."""
    try:
        if _is_factory(obj, name):
            obj = obj()
    except BaseException as exc:
        raise DriverError(
            'start',
            f'{name}() failed ({side} side): {type(exc).__name__}: {exc}\n'
            f'{traceback.format_exc()}',
            EXIT_START,
        ) from exc
    config = getattr(obj, 'config', None)
    if _is_quixote_publisher(obj):
        return _publisher_caller(obj), config
    if not callable(obj):
        raise DriverError(
            'start',
            f'{name} ({side} side) gave {obj!r}, which is neither a Quixote '
            'Publisher nor a WSGI application',
            EXIT_START,
        )
    return _wsgi_caller(obj), config


def _is_factory(obj: Any, name: str) -> bool:
    """A factory takes no arguments; a WSGI callable takes two."""
    if name in FACTORY_NAMES:
        return True
    if not callable(obj) or _is_quixote_publisher(obj):
        return False
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return False
    required = [
        p for p in signature.parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return not required


def _is_quixote_publisher(obj: Any) -> bool:
    publish = sys.modules.get('quixote.publish')
    return publish is not None and isinstance(obj, publish.Publisher)


def _publisher_caller(publisher: Any) -> Callable:
    # Publisher.process is what Quixote's own servers call, so applications
    # that override it (to use their own HTTPRequest class) are served the
    # way they are in production.
    def call(environ: dict[str, Any]) -> tuple[int, str, list, bytes]:
        response = publisher.process(environ['wsgi.input'], environ)
        headers = response.generate_headers()
        body = b''.join(response.generate_body_chunks())
        return response.status_code, response.reason_phrase, headers, body

    return call


def _wsgi_caller(app: Callable) -> Callable:
    def call(environ: dict[str, Any]) -> tuple[int, str, list, bytes]:
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        def start_response(status, headers, exc_info=None):
            started['status'], started['headers'] = status, list(headers)
            return chunks.append

        iterable = app(environ, start_response)
        try:
            for chunk in iterable:
                chunks.append(chunk)
        finally:
            if hasattr(iterable, 'close'):
                iterable.close()
        if 'status' not in started:
            raise RuntimeError('the WSGI application never called start_response')
        code, _, reason = started['status'].partition(' ')
        return int(code), reason, started['headers'], b''.join(chunks)

    return call


def replay(call: Callable, script: dict[str, Any]) -> list[dict[str, Any]]:
    state = ReplayState()
    results = []
    for index, request in enumerate(script['requests']):
        where = label(request, index)
        environ = build_environ(request, state, where)
        try:
            status, reason, headers, body = call(environ)
            received = time.time()
        except Exception:
            results.append({'label': where, 'crash': traceback.format_exc()})
            continue
        headers = [(str(k), str(v)) for k, v in headers]
        if environ['REQUEST_METHOD'] == 'HEAD':
            body = b''  # as every server does
        state.observe(headers, body)
        results.append({
            'label': where,
            'status': status,
            'reason': reason,
            'headers': headers,
            'body_b64': base64.b64encode(body).decode('ascii'),
            # Jack leaves Date to the WSGI server; Expires is then compared
            # against the time the response was received.
            'received': received,
        })
    return results


def run(
    side: str, entry: str, tree: str, script_path: str, fallback: str | None = None
) -> dict[str, Any]:
    script = load_script(script_path)
    tree = os.path.abspath(tree)
    sys.path.insert(0, tree)
    os.chdir(tree)
    # Inert unless the app enables Quixote's own PTL (a migrated tree has no
    # .ptl files left); needed on both sides for original-vs-original runs.
    from jackmigrate import legacy_ptl
    legacy_ptl.install()
    obj, name = resolve_entry(side, entry, fallback)
    call, config = make_app(side, obj, name)
    results = replay(call, script)
    return {
        'side': side,
        'entry': f'{split_entry(entry)[0]}:{name}',
        'session_cookie': getattr(config, 'session_cookie_name', None),
        'quixote_loaded': 'quixote' in sys.modules,
        'results': results,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--side', choices=('original', 'migrated'), required=True)
    parser.add_argument('--entry', required=True, help='module[:name]')
    parser.add_argument('--tree', required=True)
    parser.add_argument('--script', required=True)
    parser.add_argument('--fallback', help="last name tried when --entry has none (the original's factory)")
    args = parser.parse_args(argv)

    # Keep the real stdout for the results; the application prints to stderr.
    out = os.fdopen(os.dup(1), 'w', encoding='utf-8')
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    code = 0
    try:
        document = run(args.side, args.entry, args.tree, os.path.abspath(args.script),
                       args.fallback)
    except DriverError as exc:
        document, code = {'error': exc.kind, 'message': str(exc)}, exc.code
    except ScriptError as exc:
        document, code = {'error': 'script', 'message': str(exc)}, EXIT_SCRIPT
    json.dump(document, out)
    out.flush()
    return code


if __name__ == '__main__':
    sys.exit(main())
