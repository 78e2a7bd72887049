"""JM002: Python 2 source to Python 3, before every other rule (see jackmigrate.py2)."""
from __future__ import annotations

from jackmigrate.py2 import Py2Error, is_python2, to_python3
from jackmigrate.rules.base import NEEDS_REVIEW, Bucket, Example, Rule
from jackmigrate.source import SourceError


class Python2ToPython3(Rule):
    id = "JM002"
    name = "python2-to-python3"
    summary = "Convert Python 2 modules and PTL templates to Python 3 (fissix's standard fixers)"
    rationale = (
        "Most Quixote applications still in use were written for Python 2. A file that is "
        "Python 2 (it fails as Python 3 and parses as Python 2) goes through fissix, the "
        "maintained lib2to3 fork, before the Jack rules, so one diff goes from the Python 2 "
        "original to the final Jack code. PTL's `def f [html] (...)` annotation is protected "
        "during the pass and restored, so [html] templates keep their literals as markup. "
        "Integer division cannot be decided statically: each `/` that may floor gets a TODO. "
        "A file that is valid in neither language, or that would not be valid Python 3 after "
        "the pass (inconsistent tabs, `async` as a name), is reported and left alone."
    )
    applicability = NEEDS_REVIEW
    # Quixote files, and Python 2 idioms common enough to find helper modules too (a file
    # with none of these is converted only with --from-python2).
    markers = (
        "quixote", "print \"", "print '", "print >>", "print\n", ".has_key(", ".iteritems(",
        "xrange(", "except Exception, ", "raw_input(", "basestring", "unicode(",
    )
    index_markers = True
    examples = (
        Example(
            before='def show(d, key):\n    if d.has_key(key):\n        print "found", key\n',
            after="def show(d, key):\n    if key in d:\n        print(\"found\", key)\n",
        ),
        Example(
            before="def mean(total, n):\n    return total / n\n",
            title="Python 3 code is left alone",
        ),
    )

    def convert_source(self, source: str) -> str:
        ptl = self.ctx.suffix == ".ptl"
        forced = self.ctx.from_python2
        # Text that CPython's parser accepts is not Python 2 (the PTL protection of
        # `def f [html] (` is then confined to strings and comments).
        line = None if self.ctx.parses_as_python3 else is_python2(source, ptl=ptl)
        if line is None and not forced:
            return source
        try:
            result = to_python3(source, path=self.ctx.path, ptl=ptl)
        except Py2Error as exc:
            if line is None:  # --from-python2 on a file that is fine as Python 3
                return source
            raise SourceError(f"Python 2 source that cannot be converted: {exc.reason}", exc.line) from None
        self.ctx.from_python2 = True  # read by the PTL rule: every literal of [html] is markup
        if result.code == source:
            return source
        self.report_at(line or 1, 0, Bucket.REWRITTEN, "Python 2 source converted to Python 3")
        for lineno in result.divisions:
            self.report_at(lineno, 0, Bucket.MARKED,
                           "Python 2 `/` floors when both operands are ints: check, use `//` if so")
        for lineno, line in enumerate(result.code.splitlines(), 1):
            if "xxx_todo_changeme" in line and line.lstrip().startswith(("def ", "lambda", "async def ")):
                # fissix's name for an unpacked tuple parameter (def f(a, (b, c))): works, but
                # a reviewer should give it a real name
                self.report_at(lineno, 0, Bucket.MARKED,
                               "tuple parameter unpacked into `xxx_todo_changeme`: give it a real name")
        for lineno, message in result.warnings:
            self.report_at(lineno, 0, Bucket.MARKED, f"2to3: {message}")
        return result.code
