"""Every fixture application runs on Quixote 3.8 and answers its own request script."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from jackmigrate.request_script import load_script
from jackmigrate.verify import find_entry, run_side

FIXTURES_DIR = Path(__file__).resolve().parent.parent / 'fixtures'
FIXTURES = ['blog', 'legacy', 'access', 'q1']
ENTRIES = {
    'blog': 'blog:create_publisher',
    'legacy': 'bugtrack:create_publisher',
    'access': 'docvault:create_publisher',
    'q1': 'oldsite:create_publisher',
}


@pytest.fixture(scope='module', params=FIXTURES)
def transcript(request):
    name = request.param
    tree = FIXTURES_DIR / name
    script_path = tree / 'requests.json'
    document = run_side('original', tree, ENTRIES[name], script_path)
    return name, load_script(str(script_path)), document


def _bodies(document, content_type='text/html'):
    for result in document['results']:
        headers = {k.lower(): v for k, v in result['headers']}
        if headers.get('content-type', '').startswith(content_type):
            yield result['label'], base64.b64decode(result['body_b64']).decode('utf-8')


def test_every_request_gets_its_expected_status(transcript):
    name, script, document = transcript
    assert len(document['results']) == len(script['requests'])
    wrong = []
    for request, result in zip(script['requests'], document['results']):
        assert 'crash' not in result, result.get('crash')
        expected = request.get('expect_status')
        if expected is not None and result['status'] != expected:
            wrong.append((result['label'], expected, result['status']))
    assert not wrong, f'{name}: unexpected statuses {wrong}'


def test_scripts_pin_a_status_for_every_request(transcript):
    _, script, _ = transcript
    assert all('expect_status' in request for request in script['requests'])


def test_hostile_data_is_escaped_in_every_html_page(transcript):
    name, _, document = transcript
    pages = list(_bodies(document))
    assert pages, name
    for label, body in pages:
        assert '<script' not in body.lower(), (name, label)
        assert 'onerror="' not in body, (name, label)


def test_pages_show_the_hostile_data_escaped(transcript):
    # The fixtures exist to exercise escaping: each shows some on purpose.
    name, _, document = transcript
    joined = '\n'.join(body for _, body in _bodies(document))
    assert '&lt;script&gt;' in joined or '&lt;Evil&gt;' in joined, name
    assert '&amp;' in joined and '&quot;' in joined, name


def test_session_cookies_are_set_and_revoked(transcript):
    name, _, document = transcript
    cookies = [
        value for result in document['results']
        for key, value in result['headers'] if key.lower() == 'set-cookie'
    ]
    assert any('max-age=0' not in c for c in cookies), name
    assert any('max-age=0' in c for c in cookies), name  # logout


@pytest.mark.parametrize('name', FIXTURES)
def test_entry_point_is_found_by_convention(name):
    assert find_entry(FIXTURES_DIR / name) == ENTRIES[name]


@pytest.mark.parametrize('name', FIXTURES)
def test_script_names_its_entry(name):
    with open(FIXTURES_DIR / name / 'requests.json', encoding='utf-8') as fp:
        assert json.load(fp)['entry'] == ENTRIES[name]


def test_fixtures_keep_no_data_in_the_repository():
    # Data goes under TMPDIR; a run must not leave files in the fixture trees.
    names = {p.name for p in FIXTURES_DIR.rglob('*') if p.is_file()}
    assert not any(n.endswith(('.sqlite', '.db', '.dat', '.dir', '.bak', '.meta')) for n in names)
