"""Request scripts: loading, validation, and turning a request into a WSGI environ.

The format is documented in :mod:`jackmigrate.verify`.  This module is shared
by the replay driver (which runs inside the application's process, so it
imports nothing heavy) and by the recording middleware.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
import time
import uuid
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, unquote_to_bytes, urlencode

METHODS_WITH_BODY = {'POST', 'PUT', 'PATCH', 'DELETE'}
REQUEST_KEYS = {
    'name', 'method', 'path', 'query', 'form', 'files', 'multipart', 'body',
    'content_type', 'headers', 'cookies', 'expect_status',
}
PLACEHOLDER = re.compile(r'\{\{(hidden|cookie):([^}]+)\}\}')


class ScriptError(ValueError):
    """The request script is malformed; the message names the request."""


def load_script(path: str) -> dict[str, Any]:
    """Read and validate a request script; always returns the object form."""
    try:
        with open(path, encoding='utf-8') as fp:
            data = json.load(fp)
    except OSError as exc:
        raise ScriptError(f'cannot read request script {path}: {exc}') from exc
    except json.JSONDecodeError as exc:
        raise ScriptError(
            f'{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}'
        ) from exc
    return normalise_script(data, path)


def normalise_script(data: Any, source: str = '<script>') -> dict[str, Any]:
    if isinstance(data, list):
        data = {'requests': data}
    if not isinstance(data, dict) or not isinstance(data.get('requests'), list):
        raise ScriptError(
            f'{source}: expected a list of requests or an object with a '
            '"requests" list'
        )
    for index, request in enumerate(data['requests']):
        validate_request(request, f'{source}: request #{index + 1}')
    return data


def validate_request(request: Any, where: str) -> None:
    if not isinstance(request, dict):
        raise ScriptError(f'{where}: expected an object, got {request!r}')
    unknown = set(request) - REQUEST_KEYS
    if unknown:
        raise ScriptError(f'{where}: unknown keys {sorted(unknown)}')
    path = request.get('path')
    if not isinstance(path, str) or not path.startswith('/'):
        raise ScriptError(f'{where}: "path" must be a string starting with /')
    method = request.get('method', 'GET')
    if not isinstance(method, str) or not method.isalpha():
        raise ScriptError(f'{where}: bad method {method!r}')
    status = request.get('expect_status')
    if status is not None and not (isinstance(status, int) and 100 <= status <= 599):
        raise ScriptError(f'{where}: "expect_status" must be an HTTP status code')
    for key in ('form', 'headers', 'files'):
        if key in request and not isinstance(request[key], dict):
            raise ScriptError(f'{where}: "{key}" must be an object')
    for field, spec in request.get('files', {}).items():
        if not isinstance(spec, dict) or 'filename' not in spec:
            raise ScriptError(
                f'{where}: file {field!r} needs at least a "filename"'
            )


def label(request: dict[str, Any], index: int) -> str:
    name = request.get('name')
    text = f"{request.get('method', 'GET').upper()} {request['path']}"
    return f'#{index + 1} {name}' if name else f'#{index + 1} {text}'


# -- cookies ---------------------------------------------------------------

def parse_set_cookie(value: str) -> tuple[str, str, dict[str, str]]:
    """Split a Set-Cookie value into name, raw value and lower-cased attributes.

    The raw value keeps its quotes: a browser sends back exactly what it got.
    """
    parts = _split_cookie(value)
    name, _, raw = parts[0].partition('=')
    attrs: dict[str, str] = {}
    for part in parts[1:]:
        key, sep, val = part.partition('=')
        attrs[key.strip().lower()] = val.strip() if sep else ''
    return name.strip(), raw.strip(), attrs


def _split_cookie(value: str) -> list[str]:
    # Quoted values may contain ';' (Quixote quotes every value).
    parts, current, quoted = [], [], False
    for char in value:
        if char == '"':
            quoted = not quoted
        if char == ';' and not quoted:
            parts.append(''.join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append(''.join(current).strip())
    return [p for p in parts if p]


class CookieJar:
    """Just enough of a browser's cookie store for replaying scripts."""

    def __init__(self) -> None:
        self.cookies: dict[str, tuple[str, str]] = {}

    def update(self, headers: list[tuple[str, str]]) -> None:
        for name, value in headers:
            if name.lower() != 'set-cookie':
                continue
            cname, raw, attrs = parse_set_cookie(value)
            if _is_expired(attrs):
                self.cookies.pop(cname, None)
            else:
                self.cookies[cname] = (raw, attrs.get('path') or '/')

    def header_for(self, path: str) -> str | None:
        pairs = [
            f'{name}={raw}'
            for name, (raw, cpath) in self.cookies.items()
            if path.startswith(cpath) or path + '/' == cpath
        ]
        return '; '.join(pairs) or None

    def value(self, name: str) -> str | None:
        entry = self.cookies.get(name)
        if entry is None:
            return None
        raw = entry[0]
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1]
        return raw


def _is_expired(attrs: dict[str, str]) -> bool:
    max_age = attrs.get('max-age')
    if max_age is not None:
        try:
            return int(max_age) <= 0
        except ValueError:
            return False
    expires = attrs.get('expires')
    if expires:
        try:
            return parsedate_to_datetime(expires).timestamp() < time.time()
        except (TypeError, ValueError):
            return False
    return False


# -- placeholders ------------------------------------------------------------

_INPUT = re.compile(r'<input\b[^>]*>', re.IGNORECASE)
_ATTR = re.compile(r'([\w-]+)\s*=\s*("([^"]*)"|\'([^\']*)\'|([^\s>]+))')


def hidden_inputs(body: bytes) -> dict[str, str]:
    """Values of the named <input> elements of an HTML page (last one wins)."""
    text = body.decode('utf-8', 'replace')
    found = {}
    for tag in _INPUT.findall(text):
        attrs = {}
        for match in _ATTR.finditer(tag):
            value = next(v for v in match.groups()[2:] if v is not None)
            attrs[match.group(1).lower()] = html.unescape(value)
        if 'name' in attrs and 'value' in attrs:
            found[attrs['name']] = attrs['value']
    return found


class ReplayState:
    """What carries over between requests: cookies and the last form values."""

    def __init__(self) -> None:
        self.jar = CookieJar()
        self.inputs: dict[str, str] = {}

    def observe(self, headers: list[tuple[str, str]], body: bytes) -> None:
        self.jar.update(headers)
        content_type = next(
            (v for k, v in headers if k.lower() == 'content-type'), ''
        )
        if 'html' in content_type:
            self.inputs.update(hidden_inputs(body))

    def substitute(self, value: Any, where: str) -> Any:
        if isinstance(value, list):
            return [self.substitute(v, where) for v in value]
        if not isinstance(value, str):
            return value

        def replace(match: re.Match) -> str:
            kind, name = match.groups()
            found = (
                self.inputs.get(name) if kind == 'hidden'
                else self.jar.value(name)
            )
            if found is None:
                raise ScriptError(
                    f'{where}: {match.group(0)} has no value yet (no earlier '
                    f'response provided a {kind} named {name!r})'
                )
            return found

        return PLACEHOLDER.sub(replace, value)


# -- building the environ ----------------------------------------------------

def _pairs(value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, dict):
        items = value.items()
    else:
        items = value
    pairs = []
    for key, val in items:
        for item in val if isinstance(val, list) else [val]:
            pairs.append((str(key), '' if item is None else str(item)))
    return pairs


def _encode_multipart(
    fields: list[tuple[str, str]], files: dict[str, dict[str, Any]]
) -> tuple[bytes, str]:
    # A fixed boundary keeps both sides of a verify run byte-identical.
    boundary = 'jackverify' + uuid.UUID(int=0x5eed).hex
    out = io.BytesIO()
    for name, value in fields:
        out.write(f'--{boundary}\r\n'.encode())
        out.write(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode('utf-8') + b'\r\n')
    for name, spec in files.items():
        if 'content_b64' in spec:
            content = base64.b64decode(spec['content_b64'])
        else:
            content = str(spec.get('content', '')).encode('utf-8')
        ctype = spec.get('content_type', 'application/octet-stream')
        out.write(f'--{boundary}\r\n'.encode())
        out.write(
            f'Content-Disposition: form-data; name="{name}"; '
            f'filename="{spec["filename"]}"\r\n'.encode()
        )
        out.write(f'Content-Type: {ctype}\r\n\r\n'.encode())
        out.write(content + b'\r\n')
    out.write(f'--{boundary}--\r\n'.encode())
    return out.getvalue(), f'multipart/form-data; boundary={boundary}'


def build_environ(
    request: dict[str, Any], state: ReplayState, where: str
) -> dict[str, Any]:
    """A complete WSGI/CGI environ for one scripted request."""
    method = request.get('method', 'GET').upper()
    path = state.substitute(request['path'], where)
    path, _, inline_query = path.partition('?')
    # Literal query strings are sent as written; mappings are url-encoded.
    raw_query = [inline_query] if inline_query else []
    query: list[tuple[str, str]] = []
    if isinstance(request.get('query'), str):
        raw_query.append(state.substitute(request['query'], where))
    else:
        query += [
            (k, state.substitute(v, where))
            for k, v in _pairs(request.get('query'))
        ]
    form = [
        (k, state.substitute(v, where)) for k, v in _pairs(request.get('form'))
    ]
    files = request.get('files') or {}
    body = b''
    content_type = request.get('content_type')
    if 'body' in request:
        body = str(request['body']).encode('utf-8')
    elif files or request.get('multipart'):
        body, content_type = _encode_multipart(form, files)
    elif form and method in METHODS_WITH_BODY:
        body = urlencode(form).encode('ascii')
        content_type = 'application/x-www-form-urlencoded'
    elif form:
        query += form
    if query:
        raw_query.append(urlencode(query, quote_via=quote))
    query_string = '&'.join(raw_query)
    environ: dict[str, Any] = {
        'REQUEST_METHOD': method,
        'SCRIPT_NAME': '',
        # As a WSGI server passes it: percent-decoded, bytes as latin-1.
        'PATH_INFO': unquote_to_bytes(path).decode('latin-1'),
        'QUERY_STRING': query_string,
        'SERVER_NAME': 'localhost',
        'SERVER_PORT': '80',
        # HTTP/1.0 keeps Quixote from framing chunks itself (a known defect
        # Jack does not copy); it changes nothing else in either framework.
        'SERVER_PROTOCOL': 'HTTP/1.0',
        'HTTP_HOST': 'localhost',
        'REMOTE_ADDR': '127.0.0.1',
        'REQUEST_URI': path + ('?' + query_string if query_string else ''),
        'CONTENT_LENGTH': str(len(body)) if body or method in METHODS_WITH_BODY else '',
        'wsgi.version': (1, 0),
        'wsgi.url_scheme': 'http',
        'wsgi.input': io.BytesIO(body),
        'wsgi.errors': io.StringIO(),
        'wsgi.multithread': False,
        'wsgi.multiprocess': False,
        'wsgi.run_once': False,
    }
    if content_type:
        environ['CONTENT_TYPE'] = content_type
    for name, value in (request.get('headers') or {}).items():
        key = name.upper().replace('-', '_')
        if key not in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
            key = 'HTTP_' + key
        environ[key] = state.substitute(str(value), where)
    if request.get('cookies', True):
        cookie = state.jar.header_for(path)
        if cookie:
            environ['HTTP_COOKIE'] = cookie
    return environ
