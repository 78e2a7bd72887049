"""Request scripts for Quixote's own demos (fixtures/quixote_demo/), run on the installed package."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import quixote
from rich.console import Console

from jackmigrate.fixtures_regen import migrate_copy
from jackmigrate.request_script import load_script
from jackmigrate.verify import run_side, verify_main

SCRIPTS = Path(__file__).resolve().parent.parent / 'fixtures' / 'quixote_demo'
DEMO_DIR = Path(quixote.__file__).parent / 'demo'
DEMOS = {
    'mini_demo': 'quixote.demo.mini_demo:create_publisher',
    'altdemo': 'quixote.demo.altdemo:create_publisher',
    'demo': 'quixote.demo:create_publisher',
}


@pytest.mark.parametrize('name', sorted(DEMOS))
def test_demo_script_statuses_on_quixote(name, tmp_path):
    script = SCRIPTS / f'{name}.json'
    document = run_side('original', tmp_path, DEMOS[name], script)
    expected = [r['expect_status'] for r in load_script(str(script))['requests']]
    assert [r.get('status') for r in document['results']] == expected


@pytest.mark.parametrize('name', sorted(DEMOS))
def test_demo_script_is_deterministic(name, tmp_path):
    console = Console(record=True, width=200, color_system=None)
    code = verify_main(tmp_path, tmp_path, SCRIPTS / f'{name}.json',
                       entry=DEMOS[name], migrated_entry=DEMOS[name], console=console)
    assert code == 0, console.export_text()


@pytest.mark.parametrize('name', ['mini_demo', 'altdemo'])
def test_migrated_demo_module_matches_quixote(name, tmp_path):
    source = tmp_path / 'original'
    source.mkdir()
    shutil.copy2(DEMO_DIR / f'{name}.py', source / f'{name}.py')
    migrated = migrate_copy(source, tmp_path / 'work')
    text = (migrated / f'{name}.py').read_text(encoding='utf-8')
    assert text != (source / f'{name}.py').read_text(encoding='utf-8'), 'nothing was migrated'
    assert not re.search(r'^\s*(from|import)\s+quixote\b', text, re.MULTILINE)
    console = Console(record=True, width=200, color_system=None)
    code = verify_main(source, migrated, SCRIPTS / f'{name}.json',
                       entry=f'{name}:create_publisher', console=console)
    assert code == 0, console.export_text()


def test_migrated_ptl_demo_package_matches_quixote(tmp_path):
    """Quixote's PTL demo package (quixote/demo: root.ptl, extras.ptl, forms.ptl,
    integers.ptl), copied as an application package of its own, migrated by the CLI and
    verified page by page against the original on Quixote."""
    source = tmp_path / 'original'
    package = source / 'qdemo'
    shutil.copytree(DEMO_DIR, package, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
    for path in package.iterdir():
        if path.suffix in ('.py', '.ptl'):
            # an application imports its own modules, not quixote.demo's
            path.write_text(path.read_text(encoding='utf-8').replace('quixote.demo.', 'qdemo.'),
                            encoding='utf-8')
    migrated = migrate_copy(source, tmp_path / 'work')
    assert not list(migrated.rglob('*.ptl')), 'templates left unconverted'
    for path in migrated.rglob('*.py'):
        text = path.read_text(encoding='utf-8')
        assert not re.search(r'^\s*(from|import)\s+quixote\b(?!\s*$)', text, re.MULTILINE) or \
            path.name == 'extras.py', path
    console = Console(record=True, width=200, color_system=None)
    code = verify_main(source, migrated, SCRIPTS / 'demo.json', entry='qdemo:create_publisher',
                       console=console)
    assert code == 0, console.export_text()
