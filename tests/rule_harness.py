"""Running rules in the rule tests (no tests here): migrate a snippet and check that a
second run changes nothing more."""
from __future__ import annotations

import textwrap
from typing import Any, Iterable

from jackmigrate.engine import migrate_source


def migrate_twice(src: str, rules: Iterable[str], path: str = "mod.py", index: Any = None) -> Any:
    """The result of migrating the dedented ``src`` with ``rules``, asserting it parsed and
    that migrating the output again is a fixed point."""
    rules = list(rules)
    res = migrate_source(textwrap.dedent(src), path, rules, index=index)
    assert res.error is None, res.error.message if res.error else ""
    again = migrate_source(res.new_text or "", path, rules, index=index)
    assert again.new_text == res.new_text, "not a fixed point"
    return res
