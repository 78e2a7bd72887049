"""`jackmigrate verify` end to end: subprocess drivers, entry points, errors, the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from jackmigrate.verify import find_entry, verify_command, verify_main, VerifyError

FIXTURES_DIR = Path(__file__).resolve().parent.parent / 'fixtures'


def run_verify(original, migrated, requests, **kwargs):
    console = Console(record=True, width=250, color_system=None)
    code = verify_main(original, migrated, requests, console=console, **kwargs)
    return code, console.export_text()


def copy_fixture(name, tmp_path):
    target = tmp_path / name
    shutil.copytree(FIXTURES_DIR / name, target, ignore=shutil.ignore_patterns('__pycache__'))
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding='utf-8')
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), encoding='utf-8')


@pytest.mark.parametrize('name', ['blog', 'legacy', 'access', 'q1'])
def test_fixture_against_itself_has_no_differences(name):
    tree = FIXTURES_DIR / name
    code, output = run_verify(tree, tree, tree / 'requests.json')
    assert code == 0, output
    assert 'no differences' in output


def test_seeded_body_and_header_differences_are_reported(tmp_path):
    original = FIXTURES_DIR / 'blog'
    migrated = copy_fixture('blog', tmp_path)
    edit(migrated / 'blog' / 'ui.ptl', 'log out</a>', 'sign out</a>')
    edit(migrated / 'blog' / 'root.ptl', "set_content_type('text/css')", "set_content_type('text/plain')")
    code, output = run_verify(original, migrated, original / 'requests.json')
    assert code == 1
    assert '#2 stylesheet' in output and 'text/css; charset=utf-8' in output
    assert 'Content-Type' in output
    assert '#16 front page logged in' in output and 'sign out' in output
    assert '#1 front page' not in output  # logged out: no "log out" link


def test_seeded_status_difference_is_reported(tmp_path):
    original = FIXTURES_DIR / 'access'
    migrated = copy_fixture('access', tmp_path)
    edit(migrated / 'docvault' / 'root.py', "'', 'login', 'logout', 'docs', 'admin', 'static', 'help',",
         "'', 'login', 'logout', 'docs', 'admin', 'static',")
    code, output = run_verify(original, migrated, original / 'requests.json')
    assert code == 1
    assert '#3 help redirect' in output
    assert 'status' in output and '302' in output and '404' in output


def test_unimportable_migrated_side_is_a_clear_error(tmp_path):
    migrated = copy_fixture('q1', tmp_path)
    (migrated / 'oldsite' / '__init__.py').write_text('def broken(:\n')
    code, output = run_verify(FIXTURES_DIR / 'q1', migrated, FIXTURES_DIR / 'q1' / 'requests.json')
    assert code == 2
    assert "migrated side: cannot import 'oldsite'" in output
    assert 'SyntaxError' in output


def test_factory_that_fails_is_a_clear_error(tmp_path):
    original = copy_fixture('q1', tmp_path)
    edit(original / 'oldsite' / '__init__.py', "    publisher = Publisher('oldsite')",
         "    raise OSError('database is down')")
    code, output = run_verify(original, FIXTURES_DIR / 'q1', FIXTURES_DIR / 'q1' / 'requests.json')
    assert code == 2
    assert 'original side: create_publisher() failed' in output
    assert 'OSError: database is down' in output


def test_missing_entry_names_what_was_looked_for(tmp_path):
    migrated = tmp_path / 'migrated'
    (migrated / 'oldsite').mkdir(parents=True)
    (migrated / 'oldsite' / '__init__.py').write_text('x = 1\n')
    code, output = run_verify(FIXTURES_DIR / 'q1', migrated, FIXTURES_DIR / 'q1' / 'requests.json')
    assert code == 2
    assert 'has none of create_app, application, app, create_publisher' in output


TINY_ORIGINAL = '''
from quixote.publish import Publisher
from quixote.directory import Directory
from quixote import get_field

class Root(Directory):
    _q_exports = ['']
    def _q_index(self):
        return "<p>hello %s</p>" % (get_field('name') or 'world')

def create_publisher():
    return Publisher(Root())
'''

# What a migrated app looks like to verify: a WSGI callable, here hand-written
# so that this test does not depend on Jack or on the migration rules.
TINY_MIGRATED = '''
from urllib.parse import parse_qs

def {name}(environ, start_response):
    name = parse_qs(environ['QUERY_STRING']).get('name', ['world'])[0]
    body = ("<p>hello %s</p>" % name).encode()
    start_response('200 OK', [
        ('Content-Type', 'text/html; charset=utf-8'),
        ('Content-Length', str(len(body))),
        ('Expires', '-1'), ('Cache-Control', 'max-age=0, no-cache'),
    ])
    return [body]
{extra}
'''


@pytest.mark.parametrize('name, extra', [
    ('application', ''),
    ('wsgi', 'def create_app():\n    return wsgi\n'),
])
def test_migrated_wsgi_entry_points_are_detected(tmp_path, name, extra):
    (tmp_path / 'orig' / 'tiny').mkdir(parents=True)
    (tmp_path / 'orig' / 'tiny' / '__init__.py').write_text(TINY_ORIGINAL)
    (tmp_path / 'mig' / 'tiny').mkdir(parents=True)
    (tmp_path / 'mig' / 'tiny' / '__init__.py').write_text(TINY_MIGRATED.format(name=name, extra=extra))
    script = tmp_path / 'requests.json'
    script.write_text(json.dumps([{'path': '/', 'query': {'name': 'x'}, 'expect_status': 200}]))
    code, output = run_verify(tmp_path / 'orig', tmp_path / 'mig', script)
    assert code == 0, output
    # and a real difference through the WSGI path is seen
    edit(tmp_path / 'mig' / 'tiny' / '__init__.py', 'hello %s', 'hullo %s')
    code, output = run_verify(tmp_path / 'orig', tmp_path / 'mig', script)
    assert code == 1 and 'hullo x' in output


def test_find_entry_refuses_to_guess(tmp_path):
    with pytest.raises(VerifyError, match='no module .* defines create_publisher'):
        find_entry(tmp_path)
    for pkg in ('a', 'b'):
        (tmp_path / pkg).mkdir()
        (tmp_path / pkg / '__init__.py').write_text('def create_publisher():\n    pass\n')
    with pytest.raises(VerifyError, match=r'several modules .*\(a, b\)'):
        find_entry(tmp_path)


def test_click_command_exit_codes(tmp_path):
    tree = FIXTURES_DIR / 'q1'
    runner = CliRunner()
    ok = runner.invoke(verify_command, [str(tree), str(tree), '--requests', str(tree / 'requests.json')])
    assert ok.exit_code == 0, ok.output
    assert 'no differences' in ok.output
    missing = runner.invoke(verify_command, [str(tree), str(tree), '--requests', str(tmp_path / 'none.json')])
    assert missing.exit_code == 2 and 'does not exist' in missing.output
    no_migrated = runner.invoke(verify_command, [str(tree), '--requests', str(tree / 'requests.json')])
    assert no_migrated.exit_code == 2 and 'MIGRATED is required' in no_migrated.output
    bad_env = runner.invoke(verify_command, [str(tree), str(tree), '--requests', str(tree / 'requests.json'), '--env', 'NOEQUALS'])
    assert bad_env.exit_code == 2 and 'KEY=VALUE' in bad_env.output


def test_bad_script_is_an_error_not_a_difference(tmp_path):
    script = tmp_path / 'r.json'
    script.write_text('[{"path": "/"},]')
    code, output = run_verify(FIXTURES_DIR / 'q1', FIXTURES_DIR / 'q1', script)
    assert code == 2 and 'not valid JSON' in output
