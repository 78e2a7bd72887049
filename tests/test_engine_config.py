"""Configuration, discovery, diff format and the registry's ordering."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from jackmigrate.config import ConfigError, find_pyproject, load_config, parse_target
from jackmigrate.discover import discover
from jackmigrate.engine import Options, migrate_bytes
from jackmigrate.report.diff import unified_diff
from jackmigrate.rules import RegistryError, layers, select_rules
from jackmigrate.rules.base import Rule


def test_load_config_and_merge(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.jackmigrate]\n"
        'select = ["JM0"]\n'
        'ignore = ["JM001", "JM090"]\n'
        'exclude = ["legacy/*"]\n'
        'target-python = "3.10"\n'
        "jobs = 3\n"
        "[tool.jackmigrate.per-file-ignores]\n"
        '"tests/*" = ["JM001"]\n'
        "[[tool.jackmigrate.overrides]]\n"
        'path = "admin/*"\n'
        'ignore = ["JM090"]\n'
    )
    (tmp_path / "sub").mkdir()
    found = find_pyproject(tmp_path / "sub")
    assert found == tmp_path / "pyproject.toml"
    cfg = load_config(found)
    assert cfg.select == ["JM0"] and cfg.target_python == (3, 10) and cfg.jobs == 3
    assert cfg.per_path_ignores == [("tests/*", ("JM001",)), ("admin/*", ("JM090",))]
    merged = cfg.merged(select=["JM001"], ignore=["JM002"], target_python=(3, 12))
    # the command line wins: JM001 selected again despite the configured ignore
    assert merged.select == ["JM001"] and "JM001" not in merged.ignore
    assert merged.ignore == ["JM090", "JM002"] and merged.target_python == (3, 12)
    assert merged.jobs == 3


@pytest.mark.parametrize(
    "body",
    [
        "[tool.jackmigrate]\nselect = 3\n",
        "[tool.jackmigrate]\njobs = 0\n",
        "[tool.jackmigrate]\nunknown = 1\n",
        '[tool.jackmigrate]\ntarget-python = "2.7"\n',
        "[tool.jackmigrate]\noverrides = [{path = 'x'}, {nope = 1}]\n",
        "[tool.jackmigrate\n",
    ],
)
def test_bad_config_is_an_error(tmp_path: Path, body: str) -> None:
    (tmp_path / "pyproject.toml").write_text(body)
    with pytest.raises(ConfigError):
        load_config(find_pyproject(tmp_path) or tmp_path / "pyproject.toml")


def test_parse_target() -> None:
    assert parse_target("3.11") == (3, 11) and parse_target("py312") == (3, 12)
    with pytest.raises(ConfigError):
        parse_target("three")


def test_per_path_ignores_apply() -> None:
    src = b"from quixote import get_request\n"
    opts = Options(rule_ids=("JM001",), per_path_ignores=(("tests/*", ("JM001",)),))
    assert not migrate_bytes("tests/test_x.py", src, opts).changed
    assert migrate_bytes("app/x.py", src, opts).changed


def test_select_rules_and_unknown_selector() -> None:
    assert [r.id for r in select_rules(["JM001"])] == ["JM001"]
    assert [r.id for r in select_rules(["quixote-imports"])] == ["JM001"]
    assert "JM001" not in [r.id for r in select_rules([], ["JM001"])]
    with pytest.raises(RegistryError):
        select_rules(["JM9"])


def _rule(rid: str, after: tuple[str, ...]) -> type[Rule]:
    return type(f"R{rid}", (Rule,), {"id": rid, "name": rid.lower(), "after": after, "__module__": __name__})


def test_layers_follow_after_constraints() -> None:
    a, b, c, d, z = _rule("JM801", ()), _rule("JM802", ("JM801",)), _rule("JM803", ("JM802", "JM801")), _rule(
        "JM804", ()
    ), _rule("JM805", ("*",))
    got = [[r.id for r in layer] for layer in layers([z, c, b, a, d])]
    assert got == [["JM801", "JM804"], ["JM802"], ["JM803"], ["JM805"]]
    # constraints on rules that are not selected are ignored
    assert [[r.id for r in layer] for layer in layers([c, d])] == [["JM803", "JM804"]]
    e, f = _rule("JM806", ("JM807",)), _rule("JM807", ("JM806",))
    with pytest.raises(RegistryError, match="cycle"):
        layers([e, f])


def test_discover_skips_and_shebangs(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "a.py").write_text("x = 1\n")
    (tmp_path / "app" / "t.ptl").write_text("x = 1\n")
    (tmp_path / "app" / "notes.txt").write_text("quixote\n")
    (tmp_path / "app" / "run").write_text("#!/usr/bin/python2.7\nimport quixote\n")
    (tmp_path / "app" / "run.sh").write_text("#!/bin/sh\n")
    (tmp_path / "app" / "tool").write_text("#!/bin/sh\necho python\n")
    env = tmp_path / "myenv"
    env.mkdir()
    (env / "pyvenv.cfg").write_text("home = /usr\n")
    (env / "m.py").write_text("x = 1\n")
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "old.py").write_text("x = 1\n")
    files = [d for d, _ in discover([tmp_path], tmp_path, exclude=["legacy"])]
    assert files == ["app/a.py", "app/run", "app/t.ptl"]
    # a file named explicitly is taken even without a suffix
    assert [d for d, _ in discover([tmp_path / "app" / "tool"], tmp_path)] == ["app/tool"]


def test_diff_format_edge_cases(tmp_path: Path) -> None:
    d = unified_diff("a.py", "x = 1", "x = 2")
    assert d.splitlines()[-1] == "\\ No newline at end of file"
    assert "-x = 1\n\\ No newline at end of file\n+x = 2\n" in d
    r = unified_diff("p.ptl", "x = 1\n", "x = 1\n", "p.py")
    assert "rename from p.ptl\nrename to p.py\n" in r and "@@" not in r
    assert unified_diff("a.py", "same\n", "same\n") == ""
    # git agrees with the no-newline case
    (tmp_path / "a.py").write_text("x = 1")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "p.patch").write_text(d)
    subprocess.run(["git", "apply", "p.patch"], cwd=tmp_path, check=True)
    assert (tmp_path / "a.py").read_text() == "x = 2"
