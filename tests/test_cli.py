"""The jackmigrate command: modes, exit codes, outputs, configuration, git safety."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from jackmigrate.cli import main

APP = (
    "from quixote.directory import Directory\n"
    "from quixote import get_request\n"
    "\n"
    "class Root(Directory):\n"
    "    _q_exports = ['']\n"
    "\n"
    "    def _q_index(self):\n"
    "        return get_request().get_path()\n"
)
TEMPLATE = (
    "from quixote.html import htmltext\n"
    "\n"
    "def page [html] (title):\n"
    "    '<h1>'\n"
    "    title\n"
    "    '</h1>'\n"
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(["--no-progress", *args])
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false", *args],
        cwd=cwd, check=True, capture_output=True, text=True,
    ).stdout


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Outside a git work tree, paths are shown relative to the working directory.
    monkeypatch.chdir(tmp_path)
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "root.py").write_text(APP)
    (app / "util.py").write_text("import os\n\ndef here():\n    return os.getcwd()\n")
    (app / "page.ptl").write_text(TEMPLATE)
    return tmp_path


def test_check_exit_bits(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--check", str(project / "app"))
    assert code == 1
    assert "would change" in out
    assert (project / "app" / "root.py").read_text() == APP  # --check never writes
    (project / "app" / "broken.py").write_text("import quixote\ndef f(:\n")
    code, out, _ = run(capsys, "--check", str(project / "app"))
    assert code == 1 | 2
    assert "app/broken.py:2" in out


def test_write_then_check_is_clean(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "app" / "page.ptl").unlink()
    code, out, _ = run(capsys, str(project / "app"))
    assert code == 0, out
    text = (project / "app" / "root.py").read_text()
    assert "from jack_runtime.directory import Directory" in text
    code, out, _ = run(capsys, "--check", str(project / "app"))
    assert code == 0, out


def test_failed_file_does_not_stop_the_run(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "app" / "broken.py").write_text("import quixote\ndef f(:\n")
    code, out, _ = run(capsys, str(project / "app"))
    assert code == 2
    assert "app/broken.py:2" in out and "1 failed" in out
    assert "jack_runtime" in (project / "app" / "root.py").read_text()
    assert (project / "app" / "broken.py").read_text() == "import quixote\ndef f(:\n"


def test_usage_errors_exit_4(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--no-such-option", str(project))[0] == 4
    assert run(capsys, "--select", "JM999", str(project))[0] == 4
    assert run(capsys, str(project / "missing"))[0] == 4
    assert run(capsys, "--target-python", "2.7", str(project))[0] == 4
    (project / "pyproject.toml").write_text("[tool.jackmigrate]\nselekt = ['JM001']\n")
    code, _, err = run(capsys, "--check", str(project / "app"))
    assert code == 4 and "selekt" in err


def test_config_and_command_line_precedence(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text('[tool.jackmigrate]\nignore = ["JM001"]\nexclude = ["*.ptl"]\n')
    code, out, _ = run(capsys, "--dry-run", "--format", "json", str(project / "app"))
    doc = json.loads(out)
    assert not [f for f in doc["findings"] if f["rule"] == "JM001"]
    assert all(not f["path"].endswith(".ptl") for f in doc["files"])
    code, out, _ = run(capsys, "--dry-run", "--format", "json", "--select", "JM001", str(project / "app"))
    doc = json.loads(out)
    assert [f for f in doc["findings"] if f["rule"] == "JM001"]


def test_json_report(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--check", "--format", "json", str(project / "app"))
    assert code & 1
    doc = json.loads(out)
    assert doc["mode"] == "check"
    files = doc["summary"]["files"]
    assert files["scanned"] == 4 and files["failed"] == 0 and files["changed"] >= 1
    assert set(doc["summary"]["constructs"]) == {"rewritten", "marked", "shim", "unsupported"}
    rec = next(f for f in doc["findings"] if f["rule"] == "JM001" and f["path"] == "app/root.py")
    assert rec["range"]["start"]["line"] in (1, 2)
    assert rec["fix"]["edits"][0]["text"].startswith("from jack_runtime")
    assert rec["applicability"] == "safe"
    for f in doc["findings"]:
        assert f["fix"] is not None or f["reason"], f


def test_sarif_has_fixes(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--check", "--format", "sarif", str(project / "app"))
    doc = json.loads(out)
    assert doc["version"] == "2.1.0"
    run0 = doc["runs"][0]
    assert {r["id"] for r in run0["tool"]["driver"]["rules"]} >= {"JM001"}
    fixed = [r for r in run0["results"] if r.get("fixes")]
    assert fixed
    change = fixed[0]["fixes"][0]["artifactChanges"][0]
    assert change["replacements"][0]["insertedContent"]["text"]


def test_github_annotations(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "app" / "broken.py").write_text("import quixote\ndef f(:\n")
    code, out, _ = run(capsys, "--check", "--format", "github", str(project / "app"))
    lines = out.splitlines()
    assert lines and all(line.startswith("::") for line in lines)
    assert any(line.startswith("::error file=app/broken.py,line=2") for line in lines)


def test_dry_run_diff_applies_with_git(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "init")
    patch = project / "out.patch"
    code, out, _ = run(capsys, "--dry-run", "--diff-file", str(patch), str(project / "app"))
    assert code == 0
    diff = patch.read_text()
    assert "diff --git a/app/root.py b/app/root.py" in diff
    assert "rename from app/page.ptl" in diff and "rename to app/page.py" in diff
    assert not (project / "app" / "page.py").exists()  # dry run wrote nothing
    git(project, "apply", "--check", str(patch))
    git(project, "apply", str(patch))
    applied = {p: (project / p).read_text() for p in ("app/root.py", "app/page.py")}
    git(project, "checkout", "-q", "--", ".")
    (project / "app" / "page.py").unlink()
    code, out, _ = run(capsys, str(project / "app"))
    assert code == 0, out
    assert not (project / "app" / "page.ptl").exists()
    for p, text in applied.items():
        assert (project / p).read_text() == text


def test_dry_run_prints_plain_diff_on_stdout(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--dry-run", "--select", "JM001", str(project / "app" / "root.py"))
    assert code == 0
    assert out.startswith("diff --git a/")
    assert "\x1b[" not in out  # no colour when not on a terminal
    assert "files scanned" in err


def test_refuses_dirty_files_unless_allowed(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "init")
    root = project / "app" / "root.py"
    root.write_text(APP + "\n# local edit\n")
    code, _, err = run(capsys, str(project / "app"))
    assert code == 4 and "app/root.py" in err and "--allow-dirty" in err
    assert "quixote" in root.read_text()
    code, _, _ = run(capsys, "--allow-dirty", str(project / "app"))
    assert code == 0
    assert "jack_runtime" in root.read_text()


def test_gitignore_and_default_skips(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(project, "init", "-q")
    (project / ".gitignore").write_text("generated/\n")
    for d in ("generated", ".venv/lib", "node_modules/x", "build"):
        (project / d).mkdir(parents=True)
        (project / d / "m.py").write_text(APP)
    (project / "bin").mkdir()
    (project / "bin" / "serve").write_text("#!/usr/bin/env python3\n" + APP)
    code, out, _ = run(capsys, "--check", "--format", "json", str(project))
    paths = {f["path"] for f in json.loads(out)["files"]}
    assert "bin/serve" in paths
    assert not [p for p in paths if p.startswith(("generated/", ".venv/", "node_modules/", "build/"))]


def test_file_mode_and_crlf_kept_on_write(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project / "app" / "root.py"
    root.write_bytes(APP.replace("\n", "\r\n").encode())
    os.chmod(root, 0o755)
    code, _, _ = run(capsys, "--select", "JM001", str(root))
    assert code == 0
    data = root.read_bytes()
    assert b"jack_runtime" in data and data.count(b"\n") == data.count(b"\r\n")
    assert (root.stat().st_mode & 0o777) == 0o755


def test_list_rules_and_explain(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--list-rules")
    assert code == 0 and "JM001" in out and "quixote-imports" in out
    code, out, _ = run(capsys, "--list-rules", "--format", "json")
    assert any(r["id"] == "JM001" for r in json.loads(out))
    code, out, _ = run(capsys, "--explain", "JM001")
    assert code == 0 and "before:" in out and "after:" in out and "jack_runtime" in out
    assert run(capsys, "--explain", "JM999")[0] == 4


def test_jobs_two_gives_the_same_report(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(20):
        (project / "app" / f"m{i}.py").write_text(APP)
    _, one, _ = run(capsys, "--check", "--format", "json", "--jobs", "1", str(project / "app"))
    _, two, _ = run(capsys, "--check", "--format", "json", "--jobs", "2", str(project / "app"))
    assert json.loads(one)["findings"] == json.loads(two)["findings"]


def test_diff_applies_to_latin1_bom_and_crlf_files(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = project / "app"
    (app / "latin.py").write_bytes(
        "# -*- coding: latin-1 -*-\nfrom quixote import get_user\nNAME = 'caf\u00e9'\n".encode("latin-1")
    )
    (app / "bom.py").write_bytes(b"\xef\xbb\xbffrom quixote import get_request\nx = 1\n")
    (app / "crlf.py").write_bytes(b"import os\r\nfrom quixote.html import htmltext\r\ny = 2\r\n")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "init")
    patch = project / "p.patch"
    code, _, _ = run(capsys, "--dry-run", "--select", "JM001", "--diff-file", str(patch), str(app))
    assert code == 0
    git(project, "apply", str(patch))
    applied = {n: (app / n).read_bytes() for n in ("latin.py", "bom.py", "crlf.py")}
    git(project, "checkout", "-q", "--", ".")
    code, _, _ = run(capsys, "--select", "JM001", str(app))
    assert code == 0
    for name, data in applied.items():
        assert (app / name).read_bytes() == data, name
    assert applied["bom.py"].startswith(b"\xef\xbb\xbffrom jack_runtime import get_request")
    assert "caf\u00e9".encode("latin-1") in applied["latin.py"]
    assert applied["crlf.py"] == b"import os\r\nfrom jack_runtime.html import htmltext\r\ny = 2\r\n"
