"""GitHub Actions workflow commands: one annotation per finding."""

from __future__ import annotations

from typing import Any, Sequence

from jackmigrate.rules.base import Bucket

__all__ = ["render_github"]

_COMMAND = {
    Bucket.REWRITTEN: "notice",
    Bucket.MARKED: "warning",
    Bucket.SHIM: "warning",
    Bucket.UNSUPPORTED: "error",
    Bucket.ERROR: "error",
    Bucket.NOTICE: "notice",
}


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def render_github(results: Sequence[Any]) -> str:
    lines = []
    for res in results:
        for f in res.findings:
            props = [f"file={_escape_prop(res.path)}"]
            if f.line:
                props.append(f"line={f.line}")
                props.append(f"col={f.column + 1}")
                if f.end_line and f.end_line >= f.line:
                    props.append(f"endLine={f.end_line}")
            props.append(f"title={_escape_prop(f'{f.rule} ({f.bucket.value})')}")
            message = f.message + (f" ({f.reason})" if f.reason else "")
            lines.append(f"::{_COMMAND.get(f.bucket, 'warning')} {','.join(props)}::{_escape_data(message)}")
    return "\n".join(lines) + ("\n" if lines else "")
