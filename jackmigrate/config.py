"""``[tool.jackmigrate]`` in pyproject.toml, merged with the command line (which wins).

    [tool.jackmigrate]
    select = ["JM0"]               # rule ids, id prefixes or names; default: all
    ignore = ["JM013"]
    exclude = ["legacy/*", "scripts/old_*.py"]
    target-python = "3.11"
    jobs = 2

    [tool.jackmigrate.per-file-ignores]
    "tests/*" = ["JM014"]

    [[tool.jackmigrate.overrides]]  # the same, Fixit-style
    path = "app/admin/*"
    ignore = ["JM010"]
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["Config", "ConfigError", "load_config", "find_pyproject", "parse_target"]

_KEYS = {"select", "ignore", "exclude", "target-python", "jobs", "per-file-ignores", "overrides"}


class ConfigError(Exception):
    """Invalid configuration or command line (exit status 4)."""


@dataclass
class Config:
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    target_python: Optional[tuple[int, int]] = None
    jobs: Optional[int] = None
    per_path_ignores: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    source: Optional[Path] = None  # the pyproject.toml read, if any

    def merged(
        self,
        select: Sequence[str] = (),
        ignore: Sequence[str] = (),
        exclude: Sequence[str] = (),
        target_python: Optional[tuple[int, int]] = None,
        jobs: Optional[int] = None,
    ) -> "Config":
        """The command line wins: --select replaces the configured selection (and lifts
        configured ignores of what it names); --ignore and --exclude add."""
        cfg_ignore = list(self.ignore)
        if select:
            cfg_ignore = [i for i in cfg_ignore if not any(_same_rule(i, s) for s in select)]
        return Config(
            select=list(select) or list(self.select),
            ignore=cfg_ignore + [i for i in ignore if i not in cfg_ignore],
            exclude=list(self.exclude) + list(exclude),
            target_python=target_python or self.target_python,
            jobs=jobs or self.jobs,
            per_path_ignores=list(self.per_path_ignores),
            source=self.source,
        )


def _same_rule(a: str, b: str) -> bool:
    a, b = a.strip().upper(), b.strip().upper()
    return a.startswith(b) or b.startswith(a)


def parse_target(value: str) -> tuple[int, int]:
    m = re.fullmatch(r"(?:py)?(\d)\.?(\d{1,2})", str(value).strip())
    if not m or int(m.group(1)) != 3:
        raise ConfigError(f"target Python {value!r} is not of the form 3.X")
    target = (3, int(m.group(2)))
    if target < (3, 8):
        raise ConfigError(f"target Python {value} is too old: Jack needs 3.8 or later")
    return target


def find_pyproject(start: Path) -> Optional[Path]:
    """The nearest pyproject.toml with a [tool.jackmigrate] table, from start upwards
    (stopping at a repository root)."""
    cur = start.resolve()
    if cur.is_file():
        cur = cur.parent
    while True:
        candidate = cur / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{candidate}: invalid TOML: {exc}") from None
            if "jackmigrate" in data.get("tool", {}):
                return candidate
        if (cur / ".git").exists() or cur.parent == cur:
            return None
        cur = cur.parent


def _str_list(value: Any, key: str, where: Path) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: [tool.jackmigrate] {key} must be a list of strings")
    return list(value)


def load_config(path: Optional[Path]) -> Config:
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    table = data.get("tool", {}).get("jackmigrate", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.jackmigrate] must be a table")
    unknown = set(table) - _KEYS
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) in [tool.jackmigrate]: {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(_KEYS))})"
        )
    cfg = Config(source=path)
    cfg.select = _str_list(table.get("select", []), "select", path)
    cfg.ignore = _str_list(table.get("ignore", []), "ignore", path)
    cfg.exclude = _str_list(table.get("exclude", []), "exclude", path)
    if "target-python" in table:
        cfg.target_python = parse_target(str(table["target-python"]))
    if "jobs" in table:
        jobs = table["jobs"]
        if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
            raise ConfigError(f"{path}: [tool.jackmigrate] jobs must be a positive integer")
        cfg.jobs = jobs
    pfi = table.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        raise ConfigError(f"{path}: [tool.jackmigrate.per-file-ignores] must be a table")
    for pattern, ids in pfi.items():
        cfg.per_path_ignores.append((pattern, tuple(_str_list(ids, f"per-file-ignores.{pattern}", path))))
    overrides = table.get("overrides", [])
    if not isinstance(overrides, list):
        raise ConfigError(f"{path}: [[tool.jackmigrate.overrides]] must be an array of tables")
    for item in overrides:
        if not isinstance(item, dict) or "path" not in item or set(item) - {"path", "ignore"}:
            raise ConfigError(f"{path}: each [[tool.jackmigrate.overrides]] needs 'path' and 'ignore' only")
        cfg.per_path_ignores.append((str(item["path"]), tuple(_str_list(item.get("ignore", []), "overrides.ignore", path))))
    return cfg
