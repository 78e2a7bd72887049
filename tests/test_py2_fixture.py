"""Issue 10's proof: Bugtrack written for Quixote 2 on Python 2 (fixtures/py2), migrated by
the CLI, serves on Jack exactly the pages its hand-written Python 3 twin (fixtures/legacy)
serves on Quixote 3.8."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from rich.console import Console

from jackmigrate.fixtures_regen import jackmigrate_command, migrate_copy
from jackmigrate.verify import verify_main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_python2_original_serves_the_twins_pages(tmp_path):
    migrated = migrate_copy(FIXTURES / "py2", tmp_path, ("--from-python2",))
    package = migrated / "bugtrack"
    assert not list(package.glob("*.ptl"))
    sources = {p.name: p.read_text(encoding="utf-8") for p in package.glob("*.py")}
    joined = "\n".join(sources.values())
    for python2_only in ("print >>", "has_key", "basestring", "except ValueError, e", "u\"Spelling"):
        assert python2_only not in joined, python2_only
    assert not re.search(r"^\s*(from|import)\s+quixote\b", joined, re.MULTILINE)
    assert "from .publisher import BugPublisher" in sources["__init__.py"]  # implicit relative import
    console = Console(record=True, width=200, color_system=None)
    code = verify_main(FIXTURES / "legacy", migrated, FIXTURES / "legacy" / "requests.json",
                       console=console)
    assert code == 0, console.export_text()

    # A second run (Python 3 now, no flag) changes nothing.
    before = {p: p.read_bytes() for p in package.glob("*.py")}
    proc = subprocess.run(jackmigrate_command() + [str(migrated), "--allow-dirty", "--no-progress"],
                          capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stderr
    assert {p: p.read_bytes() for p in package.glob("*.py")} == before
