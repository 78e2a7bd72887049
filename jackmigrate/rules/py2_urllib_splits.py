"""JM066: the undocumented ``urllib`` split functions, deprecated in Python 3.8."""
from __future__ import annotations

import libcst as cst

from jackmigrate.rules.base import NEEDS_REVIEW, Example, Rule

_SPLITS = frozenset(
    "splittype splithost splituser splitpasswd splitport splitnport splitquery splittag "
    "splitattr splitvalue to_bytes".split()
)
_MODULES = ("urllib", "urllib.parse", "urllib2")


class Py2UrllibSplits(Rule):
    id = "JM066"
    name = "urllib-splits"
    summary = "Mark urllib's undocumented split functions (splittype, splithost, ...) for urlsplit"
    rationale = (
        "Python 2 applications often parsed URLs with `urllib.splittype`, `splithost` and "
        "friends. 2to3 moves them to `urllib.parse`, where they are deprecated since Python 3.8 "
        "and warn on every call; their edge cases differ from `urlsplit()`, so the rewrite is "
        "left to a person, with a TODO naming the replacement."
    )
    applicability = NEEDS_REVIEW
    markers = ("splittype", "splithost", "splituser", "splitpasswd", "splitport", "splitnport",
               "splitquery", "splittag", "splitattr", "splitvalue")
    examples = (
        Example(
            before="import urllib.parse\nscheme, rest = urllib.parse.splittype(url)\n",
            after=(
                "import urllib.parse\n"
                "# TODO(jackmigrate JM066): urllib.parse.splittype() is deprecated since Python 3.8: use urllib.parse.urlsplit()\n"
                "scheme, rest = urllib.parse.splittype(url)\n"
            ),
        ),
        Example(before="import urllib.parse\nurllib.parse.urlsplit(url)\n"),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        qualified = self.ctx.qualify(original.func) or ""
        module, _, func = qualified.rpartition(".")
        if module in _MODULES and func in _SPLITS:
            self.mark(original, f"{qualified}() is deprecated since Python 3.8: use urllib.parse.urlsplit()")
        return updated
