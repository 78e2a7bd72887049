"""String literal values without the cost of compiling each literal."""

from __future__ import annotations

import libcst as cst

__all__ = ["literal_value"]


def literal_value(node: cst.SimpleString) -> str | bytes:
    """What ``node.evaluated_value`` gives.  libcst compiles the literal for that (tens of
    microseconds); a literal without escapes or carriage returns (which the tokenizer
    normalises) is its own value, and most are like that."""
    raw = node.raw_value
    prefix = node.prefix.lower()
    if "\r" not in raw and ("\\" not in raw or "r" in prefix):
        if "b" not in prefix:
            return raw
        if raw.isascii():
            return raw.encode("ascii")
    return node.evaluated_value
