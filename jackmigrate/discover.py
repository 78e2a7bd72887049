"""Which files a run looks at: ``.py``, ``.ptl`` and scripts with a Python shebang, under
the given paths, minus version-control, virtual-environment and build directories, the
configured excludes and whatever ``.gitignore`` ignores."""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
from pathlib import Path
from typing import Iterable, Optional, Sequence

__all__ = ["discover", "git_root", "git_dirty", "SKIP_DIRS", "DiscoveryError"]

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".bzr", "_darcs",
    ".venv", "venv", ".env", "env", ".tox", ".nox", "__pypackages__",
    "build", "dist", ".eggs", "site-packages", "dist-packages", "node_modules",
    "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis",
})
SUFFIXES = (".py", ".ptl")
# Extensionless scripts and CGI/WSGI drivers are read for a shebang.
_SCRIPT_SUFFIXES = ("", ".cgi", ".fcgi", ".scgi", ".wsgi")
_SHEBANG = re.compile(rb"^#![^\n]*\bpython[0-9.]*\b")


class DiscoveryError(Exception):
    pass


def git_root(path: Path) -> Optional[Path]:
    """Top of the git work tree containing path, or None (no repository / no git)."""
    start = path if path.is_dir() else path.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(start), "rev-parse", "--show-toplevel"],
            capture_output=True, text=True, timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0 or not out.stdout.strip():
        return None
    return Path(out.stdout.strip())


def _git_ignored(root: Path, paths: Sequence[Path]) -> set[Path]:
    if not paths:
        return set()
    data = b"\0".join(os.fsencode(str(p)) for p in paths) + b"\0"
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "check-ignore", "--stdin", "-z"],
            input=data, capture_output=True, timeout=120,
        )
    except (OSError, subprocess.SubprocessError):
        return set()
    # rc 1 = nothing ignored; 128 = not a repository
    if out.returncode not in (0, 1):
        return set()
    return {Path(os.fsdecode(p)) for p in out.stdout.split(b"\0") if p}


def git_dirty(root: Path, paths: Iterable[Path]) -> list[str]:
    """Those of ``paths`` with uncommitted changes (modified, staged or untracked)."""
    rels = [str(p) for p in paths]
    if not rels:
        return []
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *rels],
            capture_output=True, timeout=120,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if out.returncode != 0:
        return []
    dirty: list[str] = []
    entries = out.stdout.split(b"\0")
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if len(entry) < 4:
            continue
        status, name = entry[:2], os.fsdecode(entry[3:])
        if status[:1] in (b"R", b"C"):
            i += 1  # the source path of a rename follows
        if status != b"!!":
            dirty.append(name)
    return dirty


def _is_venv(path: Path) -> bool:
    return (path / "pyvenv.cfg").exists() or (path / "conda-meta").is_dir()


def _excluded(rel: str, patterns: Sequence[str]) -> bool:
    for pat in patterns:
        pat = pat.rstrip("/")
        if fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(rel, pat + "/*") or any(
            fnmatch.fnmatch(part, pat) for part in rel.split("/")
        ):
            return True
    return False


def _has_python_shebang(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return bool(_SHEBANG.match(fh.read(128)))
    except OSError:
        return False


def discover(
    paths: Sequence[Path],
    root: Path,
    exclude: Sequence[str] = (),
    respect_gitignore: bool = True,
) -> list[tuple[str, str]]:
    """(display path relative to root, real path) pairs, sorted by display path.

    Files named explicitly are taken as given (even without a .py suffix) unless
    excluded; directories are walked."""
    root = root.resolve()
    found: dict[str, Path] = {}
    walked: list[Path] = []
    for given in paths:
        if not given.exists():
            raise DiscoveryError(f"{given}: no such file or directory")
        real = given.resolve()
        if real.is_file():
            found[_display(real, root)] = real
            continue
        for dirpath, dirnames, filenames in os.walk(real):
            base = Path(dirpath)
            dirnames[:] = sorted(
                d for d in dirnames
                if d not in SKIP_DIRS and not d.endswith(".egg-info") and not _is_venv(base / d)
                and not _excluded(_display(base / d, root), exclude)
            )
            for name in sorted(filenames):
                p = base / name
                suffix = p.suffix
                if suffix in SUFFIXES or (suffix in _SCRIPT_SUFFIXES and _has_python_shebang(p)):
                    walked.append(p)
    if respect_gitignore and walked:
        groot = git_root(root)
        if groot is not None:
            ignored = _git_ignored(groot, walked)
            walked = [p for p in walked if p not in ignored]
    for p in walked:
        found.setdefault(_display(p, root), p)
    return sorted(
        ((d, str(p)) for d, p in found.items() if not _excluded(d, exclude)),
        key=lambda item: item[0],
    )


def _display(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
