"""Reading and writing source files byte-faithfully: PEP 263 encoding cookie or UTF-8,
BOM, line endings (never translated) and file mode; atomic replacement on write."""

from __future__ import annotations

import codecs
import io
import os
import re
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

__all__ = [
    "SourceText",
    "decode_source",
    "encode_source",
    "atomic_write",
    "SourceError",
    "python2_reason",
    "suppressions",
    "SKIP_FILE_RE",
]


class SourceError(Exception):
    """A file that cannot be processed; ``line`` is 1-based (0 when unknown)."""

    def __init__(self, message: str, line: int = 0, column: int = 0, rule: str = "JM099") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.rule = rule  # JM099 cannot be processed, JM098 Python 2 source


@dataclass(frozen=True)
class SourceText:
    text: str  # decoded, BOM removed, newlines untouched
    encoding: str  # codec name used to decode (and to encode back)
    bom: bool


def decode_source(data: bytes) -> SourceText:
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise SourceError(f"bad encoding declaration: {exc}", getattr(exc, "lineno", 0) or 0) from None
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    payload = data[len(codecs.BOM_UTF8):] if bom else data
    try:
        text = payload.decode(encoding)
    except UnicodeDecodeError as exc:
        line = payload[: exc.start].count(b"\n") + 1
        raise SourceError(f"cannot decode as {encoding}: {exc.reason}", line) from None
    except LookupError:
        raise SourceError(f"unknown encoding {encoding!r} in the coding cookie", 1) from None
    return SourceText(text, encoding, bom)


def encode_source(text: str, like: SourceText) -> bytes:
    try:
        data = text.encode(like.encoding)
    except UnicodeEncodeError as exc:
        line = text[: exc.start].count("\n") + 1
        raise SourceError(
            f"the migrated text cannot be encoded as {like.encoding} (the file's encoding)", line
        ) from None
    return (codecs.BOM_UTF8 + data) if like.bom else data


def atomic_write(path: Path, data: bytes, *, mode_from: Optional[Path] = None) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a
    rename, so readers never see a partial file; the permission bits of ``mode_from``
    (default: ``path`` itself) are kept."""
    source_mode = None
    try:
        source_mode = os.stat(mode_from or path).st_mode & 0o7777
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".jackmigrate", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if source_mode is not None:
            os.chmod(tmp, source_mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


_PY2_HINTS = [
    (re.compile(r"^\s*print\s+[^\s(=,)][^=]*$|^\s*print\s*$"), "a print statement"),
    (re.compile(r"^\s*except\s+[\w.]+\s*,\s*\w+\s*:"), "'except X, e:'"),
    (re.compile(r"^\s*exec\s+[\"'\w]"), "an exec statement"),
    (re.compile(r"^\s*raise\s+[\w.]+\s*,"), "'raise E, value'"),
    (re.compile(r"(?<![\w.])0[0-7]+\b"), "an old octal literal"),
    (re.compile(r"<>"), "the '<>' operator"),
    (re.compile(r"`[^`]+`"), "backtick repr"),
    (re.compile(r"(?<![\w.])[uU][rR]['\"]"), "a ur'' string"),
    (re.compile(r"\b\d+[lL]\b"), "a long integer literal"),
]


def python2_reason(text: str, error_line: int) -> Optional[tuple[int, str]]:
    """If ``text`` looks like Python 2 source, the line and what gave it away.

    Decided by parsing with a Python 2 grammar (fissix, the lib2to3 fork): the text must
    fail as Python 3 (the caller knows) and parse as Python 2."""
    try:
        from fissix import pygram, pytree
        from fissix.pgen2 import driver
    except ImportError:  # pragma: no cover - fissix is a declared dependency
        return None
    src = text if text.endswith("\n") else text + "\n"
    try:
        driver.Driver(pygram.python_grammar, convert=pytree.convert).parse_string(src)
    except Exception:
        return None
    lines = src.splitlines()
    candidates = [error_line] + [i + 1 for i in range(len(lines)) if i + 1 != error_line]
    for lineno in candidates:
        if not 1 <= lineno <= len(lines):
            continue
        line = lines[lineno - 1]
        for pattern, what in _PY2_HINTS:
            if pattern.search(line):
                return lineno, what
    return error_line, "Python 2 only syntax"


# "# jackmigrate: ignore[JM001, JM002]" or "# jackmigrate: ignore" (every rule)
_SUPPRESS_RE = re.compile(r"#\s*jackmigrate:\s*ignore(?:\[([A-Za-z0-9_,\s]*)\])?")
SKIP_FILE_RE = re.compile(r"^[ \t]*#\s*jackmigrate:\s*skip-file\b", re.MULTILINE)


def suppressions(text: str) -> dict[int, Optional[frozenset[str]]]:
    """line -> rule ids suppressed there (None: every rule).  Only comments count: the
    marker inside a string literal is ignored."""
    if "jackmigrate:" not in text:
        return {}
    found: dict[int, Optional[frozenset[str]]] = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return {}
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        m = _SUPPRESS_RE.search(tok.string)
        if not m:
            continue
        line = tok.start[0]
        if m.group(1) is None:
            found[line] = None
        else:
            ids = frozenset(p.strip().upper() for p in m.group(1).split(",") if p.strip())
            prev = found.get(line, frozenset())
            found[line] = None if prev is None else prev | ids
    return found
