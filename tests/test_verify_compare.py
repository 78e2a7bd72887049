"""verify's comparison rules and the request-script format, without subprocesses."""

from __future__ import annotations

import base64

import pytest

from jackmigrate.request_script import (
    ReplayState, ScriptError, build_environ, hidden_inputs,
    normalise_script, parse_set_cookie,
)
from jackmigrate.verify import compare

DATE = 'Wed, 25 Nov 2026 12:00:00 GMT'


def result(status=200, body=b'', headers=(), label='#1 GET /'):
    base = [('Date', DATE), ('Content-Type', 'text/html; charset=utf-8')]
    return {
        'label': label,
        'status': status,
        'reason': 'OK',
        'headers': [list(h) for h in base + list(headers)],
        'body_b64': base64.b64encode(body).decode(),
    }


def doc(*results, session_cookie='QX_session'):
    return {'session_cookie': session_cookie, 'results': list(results)}


def diff(left, right, requests=None):
    script = {'requests': requests or [{'path': '/'}] * len(left['results'])}
    return compare(left, right, script)


def test_identical_transcripts_have_no_differences():
    page = result(body=b'<p>hello</p>')
    assert diff(doc(page), doc(result(body=b'<p>hello</p>'))) == []


def test_body_difference_names_the_first_differing_line():
    differences = diff(
        doc(result(body=b'<p>a</p>\n<p>b</p>\n')),
        doc(result(body=b'<p>a</p>\n<p>c</p>\n')),
    )
    assert [(d.aspect, d.original, d.migrated) for d in differences] == [
        ('body', 'line 2: <p>b</p>', 'line 2: <p>c</p>')
    ]


def test_apostrophe_escaped_by_jack_counts_as_equal():
    assert diff(
        doc(result(body=b"<p>it's</p>")), doc(result(body=b'<p>it&#39;s</p>'))
    ) == []


def test_other_escaping_differences_are_reported():
    assert diff(
        doc(result(body=b'<p>&quot;</p>')), doc(result(body=b'<p>&#34;</p>'))
    )


def test_status_difference():
    differences = diff(doc(result(status=302)), doc(result(status=303)))
    assert [(d.aspect, d.original, d.migrated) for d in differences] == [
        ('status', '302', '303')
    ]


def test_both_sides_agreeing_against_the_script_is_reported():
    differences = diff(
        doc(result(status=404)), doc(result(status=404)),
        requests=[{'path': '/', 'expect_status': 200}],
    )
    assert [d.aspect for d in differences] == ['expected status 200']


def test_header_names_compare_case_insensitively_and_date_is_ignored():
    left = result(headers=[('Location', 'http://x/'), ('Cache-Control', 'max-age=0, no-cache')])
    right = result(headers=[('location', 'http://x/'), ('cache-control', 'max-age=0,no-cache')])
    right['headers'][0][1] = 'Thu, 26 Nov 2026 00:00:00 GMT'
    assert diff(doc(left), doc(right)) == []


def test_location_difference():
    differences = diff(
        doc(result(headers=[('Location', 'http://x/a')])),
        doc(result(headers=[('Location', 'http://x/b')])),
    )
    assert [d.aspect for d in differences] == ['Location']


def test_expires_compared_as_offset_from_date():
    one_hour = 'Wed, 25 Nov 2026 13:00:00 GMT'
    same = diff(
        doc(result(headers=[('Expires', one_hour)])),
        doc(result(headers=[('Expires', one_hour)])),
    )
    assert same == []
    other = diff(
        doc(result(headers=[('Expires', one_hour)])),
        doc(result(headers=[('Expires', '-1')])),
    )
    assert [d.aspect for d in other] == ['Expires']


def test_hop_by_hop_and_unlisted_headers_are_not_compared():
    assert diff(
        doc(result(headers=[('Connection', 'close'), ('Server', 'a')])),
        doc(result(headers=[('X-Other', 'b')])),
    ) == []


def test_random_session_ids_are_normalised_everywhere():
    left = result(
        headers=[('Set-Cookie', 'QX_session="AAAAAAAAAAAAAAAAAAAAAA"; path=/')],
        body=b'<p>your session: AAAAAAAAAAAAAAAAAAAAAA</p>',
    )
    right = result(
        headers=[('Set-Cookie', 'QX_session="BBBBBBBBBBBBBBBBBBBBBB"; path=/; HttpOnly; SameSite=Lax')],
        body=b'<p>your session: BBBBBBBBBBBBBBBBBBBBBB</p>',
    )
    assert diff(doc(left), doc(right)) == []


def test_hardening_is_only_accepted_on_the_session_cookie():
    left = result(headers=[('Set-Cookie', 'theme="dark"; path=/')])
    right = result(headers=[('Set-Cookie', 'theme="dark"; path=/; HttpOnly')])
    differences = diff(doc(left), doc(right))
    assert [d.aspect for d in differences] == ['Set-Cookie theme httponly']


def test_cookie_attribute_and_presence_differences():
    left = result(headers=[('Set-Cookie', 'QX_session=""; path=/; max-age=0')])
    right = result(headers=[('Set-Cookie', 'QX_session=""; path=/app/; max-age=0')])
    assert [d.aspect for d in diff(doc(left), doc(right))] == ['Set-Cookie QX_session path']
    missing = diff(doc(left), doc(result()))
    assert [(d.aspect, d.migrated) for d in missing] == [('Set-Cookie QX_session', '(not set)')]


def test_form_tokens_are_normalised():
    left = result(body=b'<input type="hidden" name="_form_id" value="tok111111111" />')
    right = result(body=b'<input type="hidden" name="_form_id" value="tok222222222" />')
    assert diff(doc(left), doc(right)) == []


def test_crash_on_one_side_is_a_difference():
    crashed = {'label': '#1 GET /', 'crash': 'Traceback ...\nValueError: boom\n'}
    differences = diff(doc(result()), doc(crashed))
    assert [(d.aspect, d.migrated) for d in differences] == [('crash', 'crashed: ValueError: boom')]


# -- request scripts -----------------------------------------------------------

@pytest.mark.parametrize('data, message', [
    ({'nope': []}, 'expected a list of requests'),
    ([{'path': 'relative'}], 'must be a string starting with /'),
    ([{'path': '/', 'bogus': 1}], "unknown keys ['bogus']"),
    ([{'path': '/', 'expect_status': 99}], 'expect_status'),
    ([{'path': '/', 'files': {'f': {'content': 'x'}}}], 'needs at least a "filename"'),
    ([{'path': '/', 'method': 'GE T'}], 'bad method'),
])
def test_malformed_scripts_are_rejected_with_the_request_named(data, message):
    with pytest.raises(ScriptError, match='request #1|expected a list') as info:
        normalise_script(data, 'r.json')
    assert message in str(info.value)


def test_get_form_goes_to_the_query_and_post_form_to_the_body():
    state = ReplayState()
    get = build_environ({'path': '/s', 'form': {'q': 'a b&c'}}, state, 'x')
    assert get['QUERY_STRING'] == 'q=a%20b%26c' and get['CONTENT_LENGTH'] == ''
    post = build_environ({'method': 'POST', 'path': '/s', 'form': {'q': ['1', '2']}}, state, 'x')
    assert post['wsgi.input'].read() == b'q=1&q=2'
    assert post['CONTENT_TYPE'] == 'application/x-www-form-urlencoded'
    assert post['CONTENT_LENGTH'] == '7'


def test_literal_query_and_percent_decoded_path():
    env = build_environ({'path': '/a%20b/%3Cx%3E?raw=%2F', 'query': 'k=v'}, ReplayState(), 'x')
    assert env['PATH_INFO'] == '/a b/<x>'
    assert env['QUERY_STRING'] == 'raw=%2F&k=v'


def test_multipart_with_upload_is_deterministic():
    request = {
        'method': 'POST', 'path': '/up', 'form': {'title': 't'},
        'files': {'file': {'filename': 'a.txt', 'content': 'hi', 'content_type': 'text/plain'}},
    }
    one = build_environ(request, ReplayState(), 'x')
    two = build_environ(request, ReplayState(), 'x')
    body = one['wsgi.input'].read()
    assert body == two['wsgi.input'].read()
    assert one['CONTENT_TYPE'].startswith('multipart/form-data; boundary=')
    assert b'filename="a.txt"' in body and b'\r\n\r\nhi\r\n' in body


def test_cookies_are_carried_and_expired():
    state = ReplayState()
    state.observe([('Set-Cookie', 'QX_session="abc"; path=/'), ('Set-Cookie', 'other=1; path=/admin/')], b'')
    assert build_environ({'path': '/'}, state, 'x')['HTTP_COOKIE'] == 'QX_session="abc"'
    assert build_environ({'path': '/admin/x'}, state, 'x')['HTTP_COOKIE'] == 'QX_session="abc"; other=1'
    assert 'HTTP_COOKIE' not in build_environ({'path': '/', 'cookies': False}, state, 'x')
    state.observe([('Set-Cookie', 'QX_session=""; path=/; max-age=0')], b'')
    assert 'HTTP_COOKIE' not in build_environ({'path': '/'}, state, 'x')
    state.observe([('Set-Cookie', 'other=deleted; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/admin/')], b'')
    assert state.jar.cookies == {}


def test_placeholders_take_values_from_earlier_responses():
    state = ReplayState()
    state.observe(
        [('Content-Type', 'text/html'), ('Set-Cookie', 'sid="s1"')],
        b'<form><input type="hidden" name="_form_id" value="t&amp;1" /></form>',
    )
    env = build_environ(
        {'method': 'POST', 'path': '/', 'form': {'_form_id': '{{hidden:_form_id}}', 'c': '{{cookie:sid}}'}},
        state, 'x',
    )
    assert env['wsgi.input'].read() == b'_form_id=t%261&c=s1'
    with pytest.raises(ScriptError, match='no earlier response provided a hidden named'):
        build_environ({'path': '/', 'query': {'a': '{{hidden:missing}}'}}, state, '#2')


def test_hidden_inputs_parses_attribute_order_and_quotes():
    body = b"<input value='v1' name=a><INPUT name=\"b\" type=hidden value=\"&lt;x&gt;\">"
    assert hidden_inputs(body) == {'a': 'v1', 'b': '<x>'}


def test_parse_set_cookie_keeps_quoted_semicolons():
    assert parse_set_cookie('n="a;b"; Path=/; HttpOnly') == ('n', '"a;b"', {'path': '/', 'httponly': ''})


def test_session_id_rotation_by_jack_is_accepted_but_not_a_deletion():
    rotated = result(headers=[('Set-Cookie', 'QX_session="CCCCCCCCCCCCCCCCCCCCCC"; path=/; HttpOnly')])
    assert diff(doc(result()), doc(rotated)) == []
    revoked = result(headers=[('Set-Cookie', 'QX_session=""; path=/; max-age=0')])
    assert [d.aspect for d in diff(doc(result()), doc(revoked))] == ['Set-Cookie QX_session']


def test_etag_added_by_jack_is_accepted_but_a_changed_one_is_not():
    assert diff(doc(result()), doc(result(headers=[('ETag', '"1-2"')]))) == []
    differences = diff(doc(result(headers=[('ETag', '"1-2"')])), doc(result(headers=[('ETag', '"3-4"')])))
    assert [d.aspect for d in differences] == ['Etag']


def test_expires_without_date_uses_the_time_received():
    left = result(headers=[('Expires', 'Wed, 25 Nov 2026 13:00:00 GMT')])
    right = result(headers=[('Expires', 'Wed, 25 Nov 2026 13:00:05 GMT')])
    right['headers'] = [h for h in right['headers'] if h[0] != 'Date']
    right['received'] = 1795608000.0 + 5  # 12:00:05 UTC on the same day
    assert diff(doc(left), doc(right)) == []
    right['received'] -= 3600
    assert [d.aspect for d in diff(doc(left), doc(right))] == ['Expires']


def test_object_addresses_in_pages_are_ignored():
    left = result(body=b'<td>&lt;_io.BytesIO object at 0x7f6649eb1da0&gt;</td>')
    right = result(body=b'<td>&lt;_io.BytesIO object at 0x7f00aa000010&gt;</td>')
    assert diff(doc(left), doc(right)) == []
    other = result(body=b'<td>&lt;_io.StringIO object at 0x7f00aa000010&gt;</td>')
    assert diff(doc(left), doc(other))
