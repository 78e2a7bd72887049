"""Regenerate (or check) the expected migrated tree of each fixture application.

    python -m jackmigrate.fixtures_regen            # rewrite fixtures/expected/<app>/
    python -m jackmigrate.fixtures_regen --check    # exit 1 if a fresh migration differs
    python -m jackmigrate.fixtures_regen blog q1    # only some fixtures

Each fixture (``fixtures/<app>/``) is copied to a temporary directory, the
``jackmigrate`` command migrates the copy in place, and the result (without
``__pycache__``) becomes ``fixtures/expected/<app>/``.  Review the diff of
that directory before committing it: it is the record of what the rules do
to a realistic application.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FIXTURES = ('blog', 'legacy', 'access', 'q1')
IGNORED = shutil.ignore_patterns('__pycache__', '*.pyc', '.jackmigrate*')


def default_fixtures_dir() -> Path:
    return Path(__file__).resolve().parent.parent / 'fixtures'


def jackmigrate_command() -> list[str]:
    script = Path(sys.executable).with_name('jackmigrate')
    if script.exists():
        return [str(script)]
    found = shutil.which('jackmigrate')
    if found:
        return [found]
    return [sys.executable, '-c', 'from jackmigrate.cli import main; main()']


class MigrationFailed(RuntimeError):
    pass


def migrate_copy(source: Path, workdir: Path, extra_args: tuple[str, ...] = ()) -> Path:
    """Copy SOURCE into WORKDIR and migrate the copy in place (with EXTRA_ARGS for the CLI,
    e.g. ``--from-python2``); return it."""
    target = workdir / source.name
    # copy2 keeps mtimes: static files' Last-Modified must not change.
    shutil.copytree(source, target, ignore=IGNORED)
    proc = subprocess.run(
        jackmigrate_command() + [str(target), *extra_args],
        capture_output=True, text=True,
        env=dict(os.environ, PYTHONDONTWRITEBYTECODE='1'),
    )
    # The engine's exit codes: 0 done; 1 done with findings left to review.
    # A Python crash also exits with 1; never take it for a finished run.
    if proc.returncode not in (0, 1) or 'Traceback (most recent call last)' in proc.stderr:
        raise MigrationFailed(
            f'jackmigrate {target} exited with {proc.returncode}:\n'
            f'{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}'
        )
    for cache in target.rglob('__pycache__'):
        shutil.rmtree(cache, ignore_errors=True)
    return target


def tree_differences(left: Path, right: Path) -> list[str]:
    """Relative paths that differ between two trees (missing on one side or changed)."""
    problems = []

    def walk(cmp: filecmp.dircmp, prefix: str) -> None:
        for name in cmp.left_only:
            problems.append(f'only in {left.name}: {prefix}{name}')
        for name in cmp.right_only:
            problems.append(f'only in {right.name}: {prefix}{name}')
        for name in cmp.common_files:
            a = Path(cmp.left) / name
            b = Path(cmp.right) / name
            if a.read_bytes() != b.read_bytes():
                problems.append(f'differs: {prefix}{name}')
        for name, sub in cmp.subdirs.items():
            walk(sub, f'{prefix}{name}/')

    walk(filecmp.dircmp(left, right, ignore=['__pycache__']), '')
    return sorted(problems)


def regenerate(fixtures_dir: Path, names: list[str], check: bool) -> int:
    status = 0
    with tempfile.TemporaryDirectory(prefix='jack-fixtures-') as tmp:
        for name in names:
            source = fixtures_dir / name
            if not source.is_dir():
                print(f'{name}: no such fixture in {fixtures_dir}', file=sys.stderr)
                return 2
            try:
                migrated = migrate_copy(source, Path(tmp))
            except MigrationFailed as exc:
                print(f'{name}: {exc}', file=sys.stderr)
                return 2
            expected = fixtures_dir / 'expected' / name
            if check:
                if not expected.is_dir():
                    print(f'{name}: {expected} is missing')
                    status = 1
                    continue
                problems = tree_differences(expected, migrated)
                for problem in problems:
                    print(f'{name}: {problem}')
                status = status or (1 if problems else 0)
                if not problems:
                    print(f'{name}: up to date')
            else:
                if expected.exists():
                    shutil.rmtree(expected)
                shutil.copytree(migrated, expected)
                print(f'{name}: wrote {expected}')
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('names', nargs='*', default=list(FIXTURES),
                        help=f'fixtures to process (default: {" ".join(FIXTURES)})')
    parser.add_argument('--check', action='store_true',
                        help='compare with the checked-in trees instead of writing')
    parser.add_argument('--fixtures', type=Path, default=default_fixtures_dir(),
                        help='the fixtures directory (default: the repository\'s)')
    args = parser.parse_args(argv)
    return regenerate(args.fixtures, args.names, args.check)


if __name__ == '__main__':
    sys.exit(main())
