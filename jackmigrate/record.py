"""Record real traffic into a request script, to replay with ``jackmigrate verify``.

Wrap the running original application::

    from jackmigrate.record import RecordingMiddleware
    application = RecordingMiddleware(application, 'requests.json')

or let verify serve it: ``jackmigrate verify ORIGINAL --record --requests
requests.json --port 8080`` and use the site.  Each request is appended to
the script (created if missing) with its method, path, query string, form
fields, uploads, the request headers that influence pages (Accept*,
User-Agent, Referer, Authorization, X-*) and the status the original
answered as ``expect_status``.  Cookies are not recorded: replay carries them
from response to request as the browser did.  Submitted values of
``_form_id`` and ``csrf_token`` fields are recorded as ``{{hidden:NAME}}``,
since the random token a past page carried will not be valid on replay.
"""

from __future__ import annotations

import base64
import io
import json
import os
import tempfile
import threading
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl, quote

from jackmigrate.request_script import normalise_script

RECORDED_HEADERS = (
    'HTTP_ACCEPT', 'HTTP_ACCEPT_LANGUAGE', 'HTTP_USER_AGENT', 'HTTP_REFERER',
    'HTTP_AUTHORIZATION',
)
TOKEN_FIELDS = ('_form_id', 'csrf_token')
HOP_BY_HOP = {'connection', 'transfer-encoding', 'keep-alive'}


class RecordingMiddleware:
    """WSGI middleware appending every request it sees to a request script."""

    def __init__(
        self, app: Callable, script_path: str | os.PathLike, entry: str | None = None
    ) -> None:
        self.app = app
        self.script_path = os.fspath(script_path)
        self.entry = entry  # written into a new script, for verify to find the app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        try:
            length = int(environ.get('CONTENT_LENGTH') or 0)
        except ValueError:
            length = 0
        body = environ['wsgi.input'].read(length) if length > 0 else b''
        environ['wsgi.input'] = io.BytesIO(body)
        recorded = describe_request(environ, body)

        def recording_start_response(status, headers, exc_info=None):
            recorded['expect_status'] = int(status.split(' ', 1)[0])
            self.append(recorded)
            return start_response(status, headers, exc_info)

        return self.app(environ, recording_start_response)

    def append(self, request: dict[str, Any]) -> None:
        with self.lock:
            script: dict[str, Any] = {'requests': []}
            if self.entry:
                script['entry'] = self.entry
            if os.path.exists(self.script_path):
                with open(self.script_path, encoding='utf-8') as fp:
                    script = normalise_script(json.load(fp), self.script_path)
            script['requests'].append(request)
            directory = os.path.dirname(os.path.abspath(self.script_path))
            fd, tmp = tempfile.mkstemp(dir=directory, suffix='.tmp')
            with os.fdopen(fd, 'w', encoding='utf-8') as fp:
                json.dump(script, fp, indent=1, ensure_ascii=False)
                fp.write('\n')
            os.replace(tmp, self.script_path)


def _fields(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, value in pairs:
        if name in TOKEN_FIELDS:
            value = '{{hidden:%s}}' % name
        if name in fields:
            previous = fields[name]
            fields[name] = (previous if isinstance(previous, list) else [previous]) + [value]
        else:
            fields[name] = value
    return fields


def describe_request(environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    """The request-script entry for one WSGI request."""
    path_info = environ.get('PATH_INFO', '').encode('latin-1').decode('utf-8', 'replace')
    entry: dict[str, Any] = {
        'method': environ.get('REQUEST_METHOD', 'GET').upper(),
        'path': quote(environ.get('SCRIPT_NAME', '') + path_info, safe="/:@!$&'()*+,;=~"),
    }
    if environ.get('QUERY_STRING'):
        entry['query'] = environ['QUERY_STRING']
    content_type = environ.get('CONTENT_TYPE', '')
    if body:
        if content_type.startswith('application/x-www-form-urlencoded'):
            entry['form'] = _fields(
                parse_qsl(body.decode('latin-1'), keep_blank_values=True, encoding='utf-8')
            )
        elif content_type.startswith('multipart/form-data'):
            _describe_multipart(entry, environ, body)
        else:
            entry['body'] = body.decode('utf-8', 'replace')
            entry['content_type'] = content_type
    headers = {
        key[5:].replace('_', '-').title(): environ[key]
        for key in sorted(environ)
        if key in RECORDED_HEADERS or key.startswith('HTTP_X_')
    }
    if headers:
        entry['headers'] = headers
    return entry


def _describe_multipart(entry: dict[str, Any], environ: dict[str, Any], body: bytes) -> None:
    from werkzeug.formparser import parse_form_data

    probe = dict(environ)
    probe['wsgi.input'] = io.BytesIO(body)
    probe['CONTENT_LENGTH'] = str(len(body))
    _, form, files = parse_form_data(probe)
    entry['multipart'] = True
    entry['form'] = _fields(form.items(multi=True))
    if files:
        entry['files'] = {}
        for name, storage in files.items(multi=True):
            content = storage.read()
            spec: dict[str, Any] = {
                'filename': storage.filename or '',
                'content_type': storage.content_type or 'application/octet-stream',
            }
            try:
                spec['content'] = content.decode('utf-8')
            except UnicodeDecodeError:
                spec['content_b64'] = base64.b64encode(content).decode('ascii')
            entry['files'][name] = spec


def serve_recording(
    tree: str | os.PathLike,
    script_path: str | os.PathLike,
    entry: str | None = None,
    host: str = '127.0.0.1',
    port: int = 8080,
    ready: Callable[[Any], None] | None = None,
) -> None:
    """Import the original app from TREE and serve it, recording, until interrupted."""
    import sys
    from pathlib import Path
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from jackmigrate import verify_driver
    from jackmigrate.verify import VerifyError, find_entry

    tree = Path(tree).resolve()
    script_path = Path(script_path).resolve()
    if entry is None and script_path.is_file():
        with open(script_path, encoding='utf-8') as fp:
            data = json.load(fp)
        entry = data.get('entry') if isinstance(data, dict) else None
    entry = entry or find_entry(tree)
    sys.path.insert(0, str(tree))
    try:
        from jackmigrate import legacy_ptl
        legacy_ptl.install()
        obj, name = verify_driver.resolve_entry('original', entry)
        app, _ = verify_driver.make_app('original', obj, name)
    except verify_driver.DriverError as exc:
        raise VerifyError(str(exc)) from exc
    wsgi_app = _caller_to_wsgi(app)

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - stdlib signature
            sys.stderr.write('recorded: %s\n' % (format % args))

    server = make_server(host, port, RecordingMiddleware(wsgi_app, script_path, entry),
                         handler_class=QuietHandler)
    print(f'recording {entry} on http://{host}:{server.server_port}/ into {script_path}',
          file=sys.stderr)
    if ready is not None:
        ready(server)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def _caller_to_wsgi(call: Callable) -> Callable:
    """Wrap the driver's call(environ) into a WSGI app.

    Quixote's QWIP sends hop-by-hop headers that wsgiref rejects; going
    through the driver's caller (``Publisher.process``, so custom request
    classes work) and dropping them avoids that.
    """
    def application(environ, start_response):
        environ = dict(environ, SERVER_PROTOCOL='HTTP/1.0')
        status, reason, headers, body = call(environ)
        headers = [(n, v) for n, v in headers if n.lower() not in HOP_BY_HOP]
        start_response(f'{status} {reason}', headers)
        return [body]

    return application
