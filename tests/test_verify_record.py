"""--record: the middleware writes request scripts that replay to the same pages."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from wsgiref.util import setup_testing_defaults

from rich.console import Console

from jackmigrate.record import RecordingMiddleware
from jackmigrate.request_script import load_script
from jackmigrate.verify import verify_main

FIXTURES_DIR = Path(__file__).resolve().parent.parent / 'fixtures'


def echo_app(environ, start_response):
    body = environ['wsgi.input'].read()
    status = '404 Not Found' if environ['PATH_INFO'] == '/missing' else '200 OK'
    start_response(status, [('Content-Type', 'text/plain')])
    return [b'got ' + body]


def call(app, path, method='GET', body=b'', content_type=None, query='', headers=None):
    environ = {'PATH_INFO': path, 'REQUEST_METHOD': method, 'QUERY_STRING': query,
               'wsgi.input': io.BytesIO(body), 'CONTENT_LENGTH': str(len(body))}
    if content_type:
        environ['CONTENT_TYPE'] = content_type
    environ.update(headers or {})
    setup_testing_defaults(environ)
    captured = {}
    output = b''.join(app(environ, lambda s, h, e=None: captured.setdefault('status', s)))
    return captured['status'], output


def test_middleware_appends_requests_and_passes_bodies_through(tmp_path):
    script = tmp_path / 'rec.json'
    app = RecordingMiddleware(echo_app, script, entry='pkg:create_publisher')
    assert call(app, '/a b/', query='x=1&y=%2F', headers={'HTTP_ACCEPT_LANGUAGE': 'fr', 'HTTP_COOKIE': 's=1'}) == ('200 OK', b'got ')
    status, output = call(app, '/login', 'POST', b'name=%3Cme%3E&_form_id=abc&tag=a&tag=b',
                          'application/x-www-form-urlencoded')
    assert output == b'got name=%3Cme%3E&_form_id=abc&tag=a&tag=b'
    boundary = 'XyZ'
    multipart = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nT\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="up"; filename="x.bin"\r\n'
        'Content-Type: application/octet-stream\r\n\r\n'
    ).encode() + b'\xff\x00\r\n' + f'--{boundary}--\r\n'.encode()
    call(app, '/upload', 'POST', multipart, f'multipart/form-data; boundary={boundary}')
    call(app, '/missing')

    data = json.loads(script.read_text())
    assert data['entry'] == 'pkg:create_publisher'
    first, login, upload, missing = data['requests']
    assert first == {'method': 'GET', 'path': '/a%20b/', 'query': 'x=1&y=%2F',
                     'headers': {'Accept-Language': 'fr'}, 'expect_status': 200}
    assert login['form'] == {'name': '<me>', '_form_id': '{{hidden:_form_id}}', 'tag': ['a', 'b']}
    assert upload['multipart'] is True and upload['form'] == {'title': 'T'}
    assert upload['files'] == {'up': {'filename': 'x.bin', 'content_type': 'application/octet-stream',
                                      'content_b64': '/wA='}}
    assert missing['expect_status'] == 404
    assert load_script(str(script))['requests'] == data['requests']  # valid script


def _start_recorder(tmp_path, script):
    env = dict(os.environ, TMPDIR=str(tmp_path), PYTHONDONTWRITEBYTECODE='1')
    proc = subprocess.Popen(
        [sys.executable, '-m', 'jackmigrate.verify', str(FIXTURES_DIR / 'blog'),
         '--record', '--requests', str(script), '--port', '0'],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env,
    )
    for line in proc.stderr:
        match = re.search(r'on (http://127\.0\.0\.1:\d+/)', line)
        if match:
            return proc, match.group(1)
    proc.wait()
    raise AssertionError('recorder did not start')


def test_recorded_traffic_replays_without_differences(tmp_path):
    script = tmp_path / 'recorded.json'
    proc, base = _start_recorder(tmp_path, script)
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        assert b'Recent posts' in opener.open(base).read()
        page = opener.open(base + 'login').read().decode()
        token = re.search(r'name="_form_id" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({'_form_id': token, 'username': 'alice',
                                       'password': 'wonderland', 'next': '/', 'login': 'Log in'})
        # urllib follows the 302 to the front page: both are recorded.
        assert b'Logged in as alice' in opener.open(base + 'login', form.encode()).read()
        assert b'Search' in opener.open(base + 'search?q=%3Cscript%3E').read()
        try:
            opener.open(base + 'no/such/page')
        except urllib.error.HTTPError as exc:
            assert exc.code == 404
        opener.open(base + 'logout').read()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stderr.close()

    recorded = load_script(str(script))
    assert recorded['entry'] == 'blog:create_publisher'
    assert [(r['method'], r['path'], r['expect_status']) for r in recorded['requests']] == [
        ('GET', '/', 200), ('GET', '/login', 200), ('POST', '/login', 302), ('GET', '/', 200),
        ('GET', '/search', 200), ('GET', '/no/such/page', 404), ('GET', '/logout', 302),
        ('GET', '/', 200),
    ]
    assert recorded['requests'][2]['form']['_form_id'] == '{{hidden:_form_id}}'
    console = Console(record=True, width=200, color_system=None)
    tree = FIXTURES_DIR / 'blog'
    assert verify_main(tree, tree, script, console=console) == 0, console.export_text()
