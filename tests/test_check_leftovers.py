"""--check's extra findings (TODO markers, shim uses) and baselines."""
from __future__ import annotations

import json
import subprocess

import pytest

from jackmigrate import baseline
from jackmigrate.fixtures_regen import jackmigrate_command
from jackmigrate.leftovers import SHIM_USE, TODO_MARKER, leftover_findings
from jackmigrate.rules.base import Bucket, Finding


def test_todo_markers_and_shim_uses_are_found_per_line() -> None:
    text = (
        "import os\n"
        "# TODO(jackmigrate JM063): hashlib needs bytes\n"
        "from jack_runtime.compat import publish1\n"
        "import jack_runtime.compat\n"
        "os.environ['JACK_QUIXOTE_SHIM'] = '1'\n"
        "note = 'mentions jack_runtime.compat in prose'\n"
        "# a TODO(someone): not ours\n"
    )
    found = [(f.rule, f.line, f.bucket) for f in leftover_findings("app.py", text)]
    assert found == [
        (TODO_MARKER, 2, Bucket.MARKED),
        (SHIM_USE, 3, Bucket.SHIM),
        (SHIM_USE, 4, Bucket.SHIM),
        (SHIM_USE, 5, Bucket.SHIM),
    ]


def test_clean_and_unparsable_text_give_nothing() -> None:
    assert leftover_findings("a.py", "import jack_runtime\n") == []
    assert leftover_findings("a.py", "def f(:\n  'jackmigrate\n") == []


def _f(path: str, line: int, rule: str = "JM001", message: str = "m") -> Finding:
    return Finding(rule, Bucket.UNSUPPORTED, message, path, line)


def test_baseline_reports_only_new_findings_whatever_the_lines(tmp_path) -> None:
    file = tmp_path / "baseline.json"
    baseline.write(file, [_f("a.py", 3), _f("a.py", 9), _f("b.py", 1, "JM040")])
    loaded = baseline.load(file)
    # the same constructs, moved by edits above them: nothing new
    new, gone = loaded.filter([_f("a.py", 13), _f("a.py", 19), _f("b.py", 4, "JM040")])
    assert (new, gone) == ([], 0)
    # one more of a known kind, and a new kind: both reported; one fixed: counted as gone
    extra = [_f("a.py", 3), _f("a.py", 5), _f("a.py", 7), _f("c.py", 1)]
    new, gone = loaded.filter(extra)
    assert [(f.path, f.line) for f in new] == [("a.py", 7), ("c.py", 1)]
    assert gone == 1
    # engine errors are never baselined away
    error = Finding("JM099", Bucket.ERROR, "cannot parse", "a.py", 1)
    assert loaded.filter([error])[0] == [error]


def test_malformed_baselines_are_clear_errors(tmp_path) -> None:
    with pytest.raises(baseline.BaselineError, match="not found"):
        baseline.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(baseline.BaselineError, match="not a jackmigrate baseline"):
        baseline.load(bad)
    bad.write_text(json.dumps({"version": 1, "findings": [{"path": "a.py"}]}))
    with pytest.raises(baseline.BaselineError, match="entry 0 is malformed"):
        baseline.load(bad)


def _cli(args, cwd):
    return subprocess.run([*jackmigrate_command(), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_check_reports_leftovers_and_honours_a_baseline(tmp_path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "done.py").write_text(
        "from jack_runtime.compat import publish1\n"
        "# TODO(jackmigrate JM013): port the form to jack_runtime.form\n"
        "x = 1\n")
    result = _cli(["app", "--check", "--format", "json"], tmp_path)
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    rules = sorted(f["rule"] for f in data["findings"])
    assert rules == sorted([TODO_MARKER, SHIM_USE])

    assert _cli(["app", "--check", "--baseline", "b.json", "--update-baseline"], tmp_path).returncode == 0
    assert _cli(["app", "--check", "--baseline", "b.json"], tmp_path).returncode == 0
    # a new construct fails the check again
    (app / "new.py").write_text("from quixote import get_request\n")
    again = _cli(["app", "--check", "--baseline", "b.json", "--no-progress"], tmp_path)
    assert again.returncode == 1
    assert "new.py" in again.stdout + again.stderr
    assert "2 findings covered by the baseline" in again.stderr
    # usage errors are exit 4
    assert _cli(["app", "--dry-run", "--baseline", "b.json"], tmp_path).returncode == 4
    assert _cli(["app", "--check", "--update-baseline"], tmp_path).returncode == 4


def test_from_python2_converts_files_valid_in_both_languages(tmp_path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "store.py").write_text("from quixote import get_user\n\ndef known(d, k):\n    return d.has_key(k)\n")
    plain = _cli(["app", "--dry-run", "--no-progress"], tmp_path)
    assert "has_key" in plain.stdout and "+    return k in d" not in plain.stdout
    forced = _cli(["app", "--dry-run", "--no-progress", "--from-python2"], tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "+    return k in d" in forced.stdout


def test_verify_is_a_subcommand(tmp_path) -> None:
    result = _cli(["verify", "--help"], tmp_path)
    assert result.returncode == 0
    assert "ORIGINAL" in result.stdout
