"""``jackmigrate verify``: replay the same requests on the original and the migrated app.

    jackmigrate verify ORIGINAL MIGRATED --requests FILE [--entry MODULE[:NAME]]

The original tree runs on Quixote and the migrated tree on Jack, each in its
own Python process (``python -m jackmigrate.verify_driver``), each with a
fresh, empty ``TMPDIR`` so that applications which keep their data under the
temp dir (as the fixtures do) start from the same state.  No sockets are
involved: the driver builds each request's WSGI environ and calls the
application directly, carrying cookies from one request to the next the way
a browser does.  The two transcripts are then compared; every difference is
printed in a table and the exit status is 1 if there is any, 2 if either
side could not be imported or started or the script is malformed, else 0.

Finding the application
-----------------------
``--entry MODULE[:NAME]`` names the original's entry point, a module
importable from the root of ORIGINAL.  NAME defaults to ``create_publisher``
(Quixote's conventional factory); it is called with no arguments and must
return a ``Publisher`` (served through ``Publisher.process``, as Quixote's
servers do, so an overridden ``process`` or custom request class is honoured)
or a WSGI callable.  Without ``--entry``, the script's ``"entry"`` key is
used, and failing that the tree is searched for the one top-level module or
package (or module one level down) that defines ``create_publisher``.

On the migrated side the same module is imported from MIGRATED and the first
of ``create_app`` (factory), ``application``, ``app`` (WSGI objects) and the
original NAME (factory; a Jack App or a WSGI callable) that exists is used; these are the names
jackmigrate's rules produce.  ``--migrated-entry MODULE[:NAME]`` overrides it.

Request scripts (JSON)
----------------------
Either a list of requests or an object ``{"description": ..., "entry":
"pkg:create_publisher", "requests": [...]}``.  Each request is an object:

``path`` (required)
    Starts with ``/``; may carry a literal ``?query``.  Percent-escapes are
    decoded into PATH_INFO as a WSGI server does.
``method``
    Default ``GET``.
``query``
    A literal query string, or an object of name to value (or list of values).
``form``
    Object of fields.  Sent url-encoded in the body for POST/PUT/PATCH/DELETE,
    appended to the query string otherwise.
``files``
    Object of field name to ``{"filename", "content" | "content_b64",
    "content_type"}``; makes the body ``multipart/form-data`` (with ``form``).
``multipart``
    ``true`` sends ``form`` as multipart even without files.
``body``, ``content_type``
    A raw body and its type, for anything else.
``headers``
    Object of extra request headers (``Cookie`` is managed by the jar).
``cookies``
    ``false`` to send this request without the cookies collected so far.
``expect_status``
    Optional status code each side must answer; a mismatch is a difference.
``name``
    A label for reports.

Values in ``path``, ``query``, ``form`` and ``headers`` may contain
``{{hidden:NAME}}`` (the value of the ``<input name="NAME">`` in the latest
HTML page that had one, e.g. Quixote's ``_form_id`` form token) and
``{{cookie:NAME}}`` (a cookie's current value).

What is compared
----------------
* the status code (not the reason phrase: Jack uses current phrases);
* the headers that matter, by name case-insensitively (Quixote title-cases
  names): Content-Type, Location, Cache-Control, Expires (as an offset in
  minutes from Date, or from the time the response was received when there is
  no Date header: Jack leaves Date to the WSGI server), Last-Modified, ETag, Content-Disposition, Allow, WWW-Authenticate,
  and every Set-Cookie by name, value and attributes;
* the body, byte for byte, after these normalisations, which are the
  documented differences Jack introduces on purpose:

  - ``'`` escaped as ``&#39;`` (or ``&#x27;``) counts as a literal ``'``;
  - ``HttpOnly`` and ``SameSite`` added to the session cookie are accepted;
  - an ``ETag`` the original did not send is accepted (Jack's StaticFile adds
    one next to Last-Modified);
  - random values (session ids in the session cookie, form tokens and CSRF
    tokens in hidden inputs) are replaced on each side by ``<session-id>``
    and ``<form-token>`` wherever they occur;
  - a session cookie Jack issues where Quixote sent none is accepted when it
    carries a new id (Jack rotates the session id when the user changes);
  - no ``Date`` header on the Jack side (the WSGI server adds it);
  - memory addresses in default reprs (``<... object at 0x7f...>``, as in
    request dumps) are blanked on both sides;
  - hop-by-hop headers (``Connection``, ``Transfer-Encoding``), which
    Quixote emits and Jack does not, are not compared; requests are replayed
    as HTTP/1.0 so that Quixote does not frame chunks itself.

``--record`` (see :mod:`jackmigrate.record`) serves ORIGINAL on a local port
and appends every request made to it to the ``--requests`` file.
"""

from __future__ import annotations

import ast
import base64
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Sequence

import click
from rich.console import Console
from rich.table import Table

from jackmigrate.request_script import (
    ScriptError, hidden_inputs, load_script, parse_set_cookie,
)

EXIT_OK, EXIT_DIFFERENT, EXIT_ERROR = 0, 1, 2
DEFAULT_SESSION_COOKIE = 'QX_session'
TOKEN_FIELDS = ('_form_id', 'csrf_token')
COMPARED_HEADERS = (
    'content-type', 'location', 'cache-control', 'expires', 'last-modified',
    'etag', 'content-disposition', 'allow', 'www-authenticate',
)
JACK_COOKIE_ADDITIONS = ('httponly', 'samesite')
# Validators Jack's StaticFile adds (documented in jack_runtime/static.py).
JACK_ADDED_HEADERS = ('etag',)
DRIVER_TIMEOUT = 600
# Default reprs in pages (request dumps): the address differs on every run.
OBJECT_ADDRESS = re.compile(r'( object at 0x)[0-9a-fA-F]+')


class VerifyError(Exception):
    """A side could not be run; the message says which and why."""


@dataclass(frozen=True)
class Difference:
    request: str
    aspect: str
    original: str
    migrated: str


# -- finding the entry point ---------------------------------------------------

def find_entry(tree: Path, factory: str = 'create_publisher') -> str:
    """The ``module:factory`` of the one module in TREE defining FACTORY."""
    candidates = []
    for path in sorted(tree.glob('*.py')) + sorted(tree.glob('*/__init__.py')) + sorted(tree.glob('*/*.py')):
        if any(part.startswith('.') or part in ('expected', 'tests') for part in path.relative_to(tree).parts):
            continue
        try:
            module = ast.parse(path.read_bytes(), str(path))
        except (SyntaxError, ValueError):
            continue
        if any(
            isinstance(node, ast.FunctionDef) and node.name == factory
            for node in module.body
        ):
            rel = path.relative_to(tree).with_suffix('')
            parts = rel.parts[:-1] if rel.name == '__init__' else rel.parts
            if len(parts) == 2 and not (tree / parts[0] / '__init__.py').exists():
                continue
            candidates.append('.'.join(parts))
    candidates = list(dict.fromkeys(candidates))
    if len(candidates) == 1:
        return f'{candidates[0]}:{factory}'
    if not candidates:
        raise VerifyError(
            f'no module in {tree} defines {factory}(); pass --entry MODULE:NAME'
        )
    raise VerifyError(
        f'several modules in {tree} define {factory}() '
        f'({", ".join(candidates)}); pass --entry MODULE:NAME'
    )


# -- running one side --------------------------------------------------------

def run_side(
    side: str,
    tree: Path,
    entry: str,
    script: Path,
    env: dict[str, str] | None = None,
    python: str | None = None,
    fallback: str | None = None,
) -> dict[str, Any]:
    """Run the driver for one side; return its transcript or raise VerifyError."""
    if not tree.is_dir():
        raise VerifyError(f'{side} tree {tree} is not a directory')
    with tempfile.TemporaryDirectory(prefix=f'jackverify-{side}-') as tmp:
        child_env = dict(os.environ)
        child_env.update({
            'TMPDIR': tmp,
            'PYTHONDONTWRITEBYTECODE': '1',
            'PYTHONIOENCODING': 'utf-8',
        })
        child_env.update(env or {})
        command = [
            python or sys.executable, '-m', 'jackmigrate.verify_driver',
            '--side', side, '--entry', entry,
            '--tree', str(tree.resolve()), '--script', str(script.resolve()),
        ] + (['--fallback', fallback] if fallback else [])
        try:
            proc = subprocess.run(
                command, cwd=tmp, env=child_env, capture_output=True,
                timeout=DRIVER_TIMEOUT,
            )
        except subprocess.TimeoutExpired as exc:
            raise VerifyError(
                f'the {side} side did not finish in {DRIVER_TIMEOUT} s'
            ) from exc
        except OSError as exc:
            raise VerifyError(f'cannot start the {side} side: {exc}') from exc
    stderr = proc.stderr.decode('utf-8', 'replace').strip()
    try:
        document = json.loads(proc.stdout.decode('utf-8'))
    except (UnicodeDecodeError, json.JSONDecodeError):
        tail = '\n'.join(stderr.splitlines()[-15:])
        raise VerifyError(
            f'the {side} side ({tree}, entry {entry}) exited with status '
            f'{proc.returncode} without a transcript:\n{tail}'
        ) from None
    if 'error' in document:
        raise VerifyError(f'{side} side: {document["message"]}'.rstrip())
    document['stderr'] = stderr
    return document


# -- normalisation -----------------------------------------------------------

class TokenMap:
    """Replace one side's random values by placeholders naming their kind.

    The placeholders are not numbered: Jack may issue a session id where
    Quixote kept one (rotation at login), and numbering would then shift
    every later placeholder on one side only.
    """

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}

    def learn(self, value: str, kind: str) -> None:
        if len(value) >= 8 and value not in self.tokens:
            self.tokens[value] = f'<{kind}>'

    def apply(self, text: str) -> str:
        for value in sorted(self.tokens, key=len, reverse=True):
            if value in text:
                text = text.replace(value, self.tokens[value])
        return text


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _header_map(headers: list[list[str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        if key in COMPARED_HEADERS:
            found[key] = value if key not in found else found[key] + ', ' + value
    return found


def _normalise_header(name: str, value: str, date: str | None, received: float | None) -> str:
    if name in ('content-type', 'cache-control', 'allow'):
        return re.sub(r'\s*([;,])\s*', r'\1 ', value.strip()).lower()
    if name == 'expires':
        return _relative_date(value, date, received)
    return value


def _relative_date(value: str, date: str | None, received: float | None) -> str:
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return value  # "-1", "0": compared literally
    try:
        base = parsedate_to_datetime(date).timestamp() if date else received
    except (TypeError, ValueError):
        base = received
    if base is None:
        return '<http-date>'
    # Minutes are coarse enough for two runs seconds apart.
    return f'now{round((when - base) / 60):+d}min'


def _cookie_attrs(attrs: dict[str, str]) -> dict[str, str]:
    normalised = {}
    for key, value in attrs.items():
        if key == 'expires':
            try:
                past = parsedate_to_datetime(value).timestamp() < time.time()
            except (TypeError, ValueError):
                past = False
            value = '<in the past>' if past else '<date>'
        normalised[key] = value.lower() if key == 'samesite' else value
    return normalised


class SideView:
    """One side's transcript with its random values normalised."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.session_cookie = document.get('session_cookie') or DEFAULT_SESSION_COOKIE
        self.tokens = TokenMap()
        self.results = document['results']
        for result in self.results:
            if 'crash' in result:
                continue
            body = base64.b64decode(result['body_b64'])
            result['body'] = body
            for name, value in result['headers']:
                if name.lower() == 'set-cookie':
                    cname, raw, _ = parse_set_cookie(value)
                    if cname == self.session_cookie:
                        self.tokens.learn(_unquote(raw), 'session-id')
            inputs = hidden_inputs(body) if b'<input' in body else {}
            for field in TOKEN_FIELDS:
                if inputs.get(field):
                    self.tokens.learn(inputs[field], 'form-token')

    def body(self, result: dict[str, Any]) -> bytes:
        text = result['body'].decode('utf-8', 'surrogateescape')
        text = text.replace('&#39;', "'").replace('&#x27;', "'")
        text = OBJECT_ADDRESS.sub(r'\1...', text)
        return self.tokens.apply(text).encode('utf-8', 'surrogateescape')

    def headers(self, result: dict[str, Any]) -> dict[str, str]:
        headers = _header_map(result['headers'])
        date = next((v for k, v in result['headers'] if k.lower() == 'date'), None)
        received = result.get('received')
        return {
            name: self.tokens.apply(_normalise_header(name, value, date, received))
            for name, value in headers.items()
        }

    def cookies(self, result: dict[str, Any]) -> dict[str, tuple[str, dict[str, str]]]:
        cookies = {}
        for name, value in result['headers']:
            if name.lower() == 'set-cookie':
                cname, raw, attrs = parse_set_cookie(value)
                cookies[cname] = (self.tokens.apply(raw), _cookie_attrs(attrs))
        return cookies


# -- comparison --------------------------------------------------------------

def compare(
    original: dict[str, Any],
    migrated: dict[str, Any],
    script: dict[str, Any],
) -> list[Difference]:
    left, right = SideView(original), SideView(migrated)
    differences: list[Difference] = []
    for index, request in enumerate(script['requests']):
        a, b = left.results[index], right.results[index]
        where = a['label']

        def differ(aspect: str, x: Any, y: Any) -> None:
            differences.append(Difference(where, aspect, str(x), str(y)))

        if 'crash' in a or 'crash' in b:
            differ(
                'crash',
                _last_line(a.get('crash')) if 'crash' in a else a['status'],
                _last_line(b.get('crash')) if 'crash' in b else b['status'],
            )
            continue
        expected = request.get('expect_status')
        if a['status'] != b['status']:
            differ('status', a['status'], b['status'])
        elif expected is not None and a['status'] != expected:
            # Both agree but not with the script: the script is stale.
            differ(f'expected status {expected}', a['status'], b['status'])
        ha, hb = left.headers(a), right.headers(b)
        for name in sorted(set(ha) | set(hb)):
            if name in JACK_ADDED_HEADERS and name not in ha:
                continue
            if ha.get(name) != hb.get(name):
                differ(_title(name), ha.get(name, '(absent)'), hb.get(name, '(absent)'))
        _compare_cookies(left, right, a, b, differ)
        body_a, body_b = left.body(a), right.body(b)
        if body_a != body_b:
            differ('body', *_first_difference(body_a, body_b))
    return differences


def _compare_cookies(left: SideView, right: SideView, a, b, differ) -> None:
    ca, cb = left.cookies(a), right.cookies(b)
    for name in sorted(set(ca) | set(cb)):
        if name == left.session_cookie and name in cb and name not in ca and cb[name][0].strip('"'):
            continue  # Jack rotates the session id at login; Quixote keeps it
        if name not in ca or name not in cb:
            differ(
                f'Set-Cookie {name}',
                'set' if name in ca else '(not set)',
                'set' if name in cb else '(not set)',
            )
            continue
        (va, aa), (vb, ab) = ca[name], cb[name]
        if va != vb:
            differ(f'Set-Cookie {name} value', va, vb)
        for key in sorted(set(aa) | set(ab)):
            if key in JACK_COOKIE_ADDITIONS and key not in aa and name == left.session_cookie:
                continue  # Jack's hardening of the session cookie
            if aa.get(key) != ab.get(key):
                differ(
                    f'Set-Cookie {name} {key}',
                    aa.get(key, '(absent)'), ab.get(key, '(absent)'),
                )


def _title(name: str) -> str:
    return '-'.join(part.capitalize() for part in name.split('-'))


def _last_line(text: str | None) -> str:
    lines = (text or '').strip().splitlines()
    return 'crashed: ' + (lines[-1] if lines else '?')


def _first_difference(a: bytes, b: bytes) -> tuple[str, str]:
    la = a.decode('utf-8', 'replace').splitlines()
    lb = b.decode('utf-8', 'replace').splitlines()
    matcher = difflib.SequenceMatcher(a=la, b=lb, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != 'equal':
            left = '\n'.join(la[i1:i2][:3]) or '(nothing)'
            right = '\n'.join(lb[j1:j2][:3]) or '(nothing)'
            return f'line {i1 + 1}: {left}', f'line {j1 + 1}: {right}'
    return f'{len(a)} bytes', f'{len(b)} bytes'  # differ only in line endings


# -- reporting ---------------------------------------------------------------

def render(differences: Sequence[Difference], total: int, console: Console) -> None:
    if not differences:
        console.print(f'[green]{total} requests replayed: no differences[/green]')
        return
    table = Table(title=f'{len(differences)} difference(s) in {total} requests')
    for column in ('Request', 'Aspect', 'Original (Quixote)', 'Migrated (Jack)'):
        table.add_column(column, overflow='fold')
    for diff in differences:
        table.add_row(diff.request, diff.aspect, diff.original, diff.migrated)
    console.print(table)


def verify_main(
    original: str | os.PathLike,
    migrated: str | os.PathLike,
    requests_file: str | os.PathLike,
    entry: str | None = None,
    migrated_entry: str | None = None,
    env: dict[str, str] | None = None,
    console: Console | None = None,
    python: str | None = None,
) -> int:
    """Replay REQUESTS_FILE on both trees and report; returns the exit status."""
    console = console or Console()
    original, migrated, requests_path = Path(original), Path(migrated), Path(requests_file)
    try:
        script = load_script(str(requests_path))
        entry = entry or script.get('entry') or find_entry(original)
        module, _, original_name = entry.partition(':')
        left = run_side('original', original, entry, requests_path, env, python)
        right = run_side('migrated', migrated, migrated_entry or module, requests_path,
                         env, python, fallback=original_name or None)
    except (VerifyError, ScriptError) as exc:
        console.print(f'[red]error:[/red] {exc}', markup=True, highlight=False)
        return EXIT_ERROR
    differences = compare(left, right, script)
    render(differences, len(script['requests']), console)
    if right.get('quixote_loaded') and not right['entry'].startswith('quixote'):
        console.print(
            '[yellow]note:[/yellow] the migrated side still imported quixote '
            '(left over imports, or the compat shim)'
        )
    return EXIT_DIFFERENT if differences else EXIT_OK


def _parse_env(values: Sequence[str]) -> dict[str, str]:
    env = {}
    for item in values:
        key, sep, value = item.partition('=')
        if not sep or not key:
            raise click.BadParameter(f'expected KEY=VALUE, got {item!r}', param_hint='--env')
        env[key] = value
    return env


@click.command('verify')
@click.argument('original', type=click.Path(exists=True, file_okay=False))
@click.argument('migrated', required=False, type=click.Path(exists=True, file_okay=False))
@click.option('--requests', 'requests_file', required=True, type=click.Path(dir_okay=False),
              help='Request script (JSON) to replay, or to append to with --record.')
@click.option('--entry', help="Original entry point MODULE[:NAME] (default: search for create_publisher).")
@click.option('--migrated-entry', help='Migrated entry point MODULE[:NAME] (default: create_app/application in the same module).')
@click.option('--env', 'env_items', multiple=True, metavar='KEY=VALUE',
              help='Environment variable for both sides (repeatable).')
@click.option('--record', is_flag=True,
              help='Serve ORIGINAL on --host/--port and append its traffic to --requests.')
@click.option('--host', default='127.0.0.1', show_default=True, help='With --record.')
@click.option('--port', default=8080, show_default=True, type=int, help='With --record.')
def verify_command(
    original: str, migrated: str | None, requests_file: str, entry: str | None,
    migrated_entry: str | None, env_items: tuple[str, ...], record: bool,
    host: str, port: int,
) -> None:
    """Compare ORIGINAL on Quixote with MIGRATED on Jack, request by request."""
    env = _parse_env(env_items)
    if record:
        from jackmigrate.record import serve_recording

        os.environ.update(env)
        try:
            serve_recording(original, requests_file, entry=entry, host=host, port=port)
        except VerifyError as exc:
            raise click.ClickException(str(exc)) from exc
        return
    if migrated is None:
        raise click.UsageError('MIGRATED is required unless --record is given')
    if not Path(requests_file).is_file():
        raise click.BadParameter(f'{requests_file} does not exist', param_hint='--requests')
    sys.exit(verify_main(original, migrated, requests_file, entry, migrated_entry, env))


if __name__ == '__main__':
    verify_command()
