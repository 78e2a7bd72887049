"""verify runs Quixote 3.1-3.6 PTL ([html] templates, h-strings) on Quixote 3.8."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from quixote.ptl import ptl_html, ptl_parse, ptl_plain

from jackmigrate.legacy_ptl import LegacyPTLFinder, translate, uses_legacy_syntax

FIXTURES_DIR = Path(__file__).resolve().parent.parent / 'fixtures'

LEGACY = textwrap.dedent('''\
    def greet [html] (name, n=1):
        h'<p class="x">{name}</p>'
        '<b>'
        h"<i>%s</i>" % name

    class Page:
        def render [plain] (self, x):
            '<%s>' % x

    h = 'not a prefix'
    def helper(s):
        return h + s
''')


def load(source: str) -> dict:
    code = compile(ptl_parse.parse(translate(source), '<legacy>'), '<legacy>', 'exec')
    namespace = {'ptl_html': ptl_html, 'ptl_plain': ptl_plain}
    exec(code, namespace)
    return namespace


def test_translation_follows_ptl_to_decorator():
    assert translate(LEGACY) == textwrap.dedent('''\
        @ptl_html
        def greet(name, n=1):
            F'<p class="x">{name}</p>'
            '<b>'
            F"<i>%s</i>" % name

        class Page:
            @ptl_plain
            def render(self, x):
                '<%s>' % x

        h = 'not a prefix'
        def helper(s):
            return h + s
    ''')


def test_translated_templates_have_3_1_semantics_on_quixote_3_8():
    namespace = load(LEGACY)
    # h-strings are markup with escaped interpolations; plain literals are text.
    assert str(namespace['greet']('<x>')) == '<p class="x">&lt;x&gt;</p>&lt;b&gt;<i>&lt;x&gt;</i>'
    assert namespace['Page']().render('a&b') == '<a&b>'
    assert namespace['helper']('!') == 'not a prefix!'


def test_modern_sources_are_left_alone():
    modern = "from quixote.ptl import ptl_html\n\n@ptl_html\ndef f(x):\n    F'<p>{x}</p>'\n"
    assert translate(modern) == modern
    assert not uses_legacy_syntax(modern)


def test_every_legacy_fixture_template_compiles_on_quixote_3_8():
    templates = sorted((FIXTURES_DIR / 'legacy').rglob('*.ptl'))
    assert templates
    for path in templates:
        source = path.read_text(encoding='utf-8')
        assert uses_legacy_syntax(source), path
        compile(ptl_parse.parse(translate(source), str(path)), str(path), 'exec')


def test_finder_is_inert_until_the_application_enables_ptl(monkeypatch, tmp_path):
    (tmp_path / 'tmpl_probe.ptl').write_text("def f [html] ():\n    h'<p>'\n")
    monkeypatch.delitem(sys.modules, 'quixote.ptl.install', raising=False)
    assert LegacyPTLFinder.find_spec('tmpl_probe', [str(tmp_path)]) is None
    monkeypatch.setitem(sys.modules, 'quixote.ptl.install', object())
    spec = LegacyPTLFinder.find_spec('tmpl_probe', [str(tmp_path)])
    assert spec is not None and spec.origin.endswith('tmpl_probe.ptl')
