"""What ``--check`` reports beyond the rules: work that runs but is not finished.

The rules find Quixote constructs still to convert (quixote imports and names, ``.ptl``
files, ``enable_ptl()``...). A migrated tree can also hold TODO markers jackmigrate left
(``# TODO(jackmigrate JMnnn): ...``) and uses of the shim (``jack_runtime.compat``): both
work, neither is done, so the check reports them too, per file and line.
"""
from __future__ import annotations

import io
import re
import tokenize

from jackmigrate.rules.base import Bucket, Finding

__all__ = ["TODO_MARKER", "SHIM_USE", "leftover_findings"]

TODO_MARKER = "JM092"
SHIM_USE = "JM093"

_TODO = re.compile(r"#\s*TODO\(jackmigrate (JM\d{3})\):?\s*(.*)")
_SHIM = re.compile(r"\bjack_runtime\.compat\b|\bJACK_QUIXOTE_SHIM\b")


def leftover_findings(path: str, text: str) -> list[Finding]:
    """TODO markers (in comments) and shim uses (in code) of ``text``, as findings."""
    if "jackmigrate" not in text and "compat" not in text and "JACK_QUIXOTE_SHIM" not in text:
        return []
    findings: list[Finding] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return []  # not Python (yet): the rules report it
    shim_lines: set[int] = set()
    for tok in tokens:
        line, col = tok.start
        if tok.type == tokenize.COMMENT:
            m = _TODO.search(tok.string)
            if m:
                findings.append(Finding(
                    TODO_MARKER, Bucket.MARKED, f"TODO left by jackmigrate ({m[1]}): {m[2].strip()}",
                    path, line, col, line, col + len(tok.string)))
        elif tok.type in (tokenize.NAME, tokenize.STRING) and line not in shim_lines:
            source_line = tok.line
            m = _SHIM.search(source_line)
            if m and tok.type == tokenize.NAME and tok.string in ("import", "from", "jack_runtime"):
                shim_lines.add(line)
                findings.append(Finding(
                    SHIM_USE, Bucket.SHIM, "uses the Quixote shim (jack_runtime.compat): works, "
                    "but the code still depends on Quixote's names", path, line, m.start(), line, m.end()))
            elif m and tok.type == tokenize.STRING and "JACK_QUIXOTE_SHIM" in tok.string:
                shim_lines.add(line)
                findings.append(Finding(
                    SHIM_USE, Bucket.SHIM, "turns on the Quixote shim (JACK_QUIXOTE_SHIM)",
                    path, line, col, line, col + len(tok.string)))
    return findings
