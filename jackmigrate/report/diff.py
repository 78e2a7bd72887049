"""Unified diffs in git's format, so ``git apply`` accepts them: ``a/``/``b/`` prefixes,
paths relative to the repository, renames as renames (``.ptl`` -> ``.py``), and the
"no newline at end of file" marker."""

from __future__ import annotations

import difflib
from typing import Optional

__all__ = ["unified_diff"]

_NO_EOL = "\\ No newline at end of file\n"


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def unified_diff(old_path: str, old: str, new: str, new_path: Optional[str] = None, context: int = 3) -> str:
    """git-style diff of one file ("" when nothing differs)."""
    new_path = new_path or old_path
    renamed = new_path != old_path
    if old == new and not renamed:
        return ""
    out = [f"diff --git a/{old_path} b/{new_path}\n"]
    if renamed:
        old_lines = _lines(old)
        new_lines = _lines(new)
        sim = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).ratio()
        out.append(f"similarity index {int(sim * 100)}%\n")
        out.append(f"rename from {old_path}\n")
        out.append(f"rename to {new_path}\n")
        if old == new:
            return "".join(out)
    out.append(f"--- a/{old_path}\n")
    out.append(f"+++ b/{new_path}\n")
    a, b = _lines(old), _lines(new)
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        i1, i2 = group[0][1], group[-1][2]
        j1, j2 = group[0][3], group[-1][4]
        out.append(f"@@ -{_range(i1, i2)} +{_range(j1, j2)} @@\n")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                for line in a[a1:a2]:
                    out.append(" " + _eol(line))
                    if not line.endswith("\n"):
                        out.append(_NO_EOL)
                continue
            for line in a[a1:a2]:
                out.append("-" + _eol(line))
                if not line.endswith("\n"):
                    out.append(_NO_EOL)
            for line in b[b1:b2]:
                out.append("+" + _eol(line))
                if not line.endswith("\n"):
                    out.append(_NO_EOL)
    return "".join(out)


def _eol(line: str) -> str:
    return line if line.endswith("\n") else line + "\n"


def _range(start: int, stop: int) -> str:
    length = stop - start
    if length == 1:
        return f"{start + 1}"
    if length == 0:
        return f"{start},0"
    return f"{start + 1},{length}"
