"""Each fixture migrated by the jackmigrate CLI serves the same pages on Jack.

Also: the checked-in expected trees (fixtures/expected/<app>/, written by
``python -m jackmigrate.fixtures_regen``) match a fresh migration.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from rich.console import Console

from jackmigrate.fixtures_regen import (
    FIXTURES, MigrationFailed, jackmigrate_command, migrate_copy, tree_differences,
)
from jackmigrate.verify import verify_main

FIXTURES_DIR = Path(__file__).resolve().parent.parent / 'fixtures'
QUIXOTE_IMPORT = re.compile(r'^\s*(from|import)\s+quixote\b', re.MULTILINE)


def snapshot(tree: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(tree)): p.read_bytes()
        for p in sorted(tree.rglob('*'))
        if p.is_file() and '__pycache__' not in p.parts
    }


@pytest.mark.xfail(strict=False, reason='migration rules not complete')
@pytest.mark.parametrize('name', FIXTURES)
def test_migrated_fixture_matches_original_page_for_page(name, tmp_path):
    migrated = migrate_copy(FIXTURES_DIR / name, tmp_path)
    assert snapshot(migrated) != snapshot(FIXTURES_DIR / name), 'nothing was migrated'
    assert not list(migrated.rglob('*.ptl')), 'templates left unconverted'
    if name != 'q1':  # publish1 namespaces run through the shim
        leftovers = [
            str(path.relative_to(migrated)) for path in migrated.rglob('*.py')
            if QUIXOTE_IMPORT.search(path.read_text(encoding='utf-8'))
        ]
        assert leftovers == []
    console = Console(record=True, width=250, color_system=None)
    code = verify_main(FIXTURES_DIR / name, migrated, FIXTURES_DIR / name / 'requests.json',
                       console=console)
    output = console.export_text()
    assert code == 0, output
    if name != 'q1':
        assert 'still imported quixote' not in output

    # Running jackmigrate again on a migrated tree changes nothing.
    before = snapshot(migrated)
    proc = subprocess.run(jackmigrate_command() + [str(migrated)], capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stderr
    assert snapshot(migrated) == before


@pytest.mark.parametrize('name', FIXTURES)
def test_checked_in_expected_tree_matches_a_fresh_migration(name, tmp_path):
    expected = FIXTURES_DIR / 'expected' / name
    if not expected.is_dir():
        pytest.skip(f'{expected} not generated yet: run python -m jackmigrate.fixtures_regen')
    try:
        migrated = migrate_copy(FIXTURES_DIR / name, tmp_path)
    except MigrationFailed as exc:
        pytest.fail(str(exc))
    assert tree_differences(expected, migrated) == []


def test_tree_differences_reports_added_missing_and_changed(tmp_path):
    left, right = tmp_path / 'left', tmp_path / 'right'
    for tree in (left, right):
        (tree / 'pkg').mkdir(parents=True)
        (tree / 'pkg' / 'same.py').write_text('x = 1\n')
    (left / 'pkg' / 'changed.py').write_text('a\n')
    (right / 'pkg' / 'changed.py').write_text('b\n')
    (left / 'only_left.ptl').write_text('')
    (right / 'pkg' / 'only_right.py').write_text('')
    assert tree_differences(left, right) == [
        'differs: pkg/changed.py', 'only in left: only_left.ptl', 'only in right: pkg/only_right.py',
    ]
