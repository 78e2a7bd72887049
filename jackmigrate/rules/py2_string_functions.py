"""JM064: the Python 2 ``string`` module functions to ``str`` methods."""
from __future__ import annotations

import libcst as cst

from jackmigrate.rules._py2lib import as_receiver, drop_unused_module_imports
from jackmigrate.rules.base import SAFE, Example, Rule

# string.f(s, *rest) -> s.method(*rest)
_METHODS = {
    "lower": "lower", "upper": "upper", "strip": "strip", "lstrip": "lstrip", "rstrip": "rstrip",
    "capitalize": "capitalize", "swapcase": "swapcase", "replace": "replace", "find": "find",
    "rfind": "rfind", "index": "index", "rindex": "rindex", "count": "count", "zfill": "zfill",
    "ljust": "ljust", "rjust": "rjust", "center": "center", "expandtabs": "expandtabs",
    "split": "split", "splitfields": "split", "rsplit": "rsplit", "translate": "translate",
}
# string.f(s, *rest) -> builtin(s, *rest)
_BUILTINS = {"atoi": "int", "atol": "int", "atof": "float"}
# string constants renamed in Python 3
_CONSTANTS = {"letters": "ascii_letters", "lowercase": "ascii_lowercase", "uppercase": "ascii_uppercase"}


class Py2StringFunctions(Rule):
    id = "JM064"
    name = "py2-string-functions"
    summary = "Replace string.join, string.split, string.lower and friends by str methods"
    rationale = (
        "Python 3 removed the functions of the `string` module that duplicated str methods "
        "(`string.join(seq, sep)` is `sep.join(seq)`, `string.atoi(s)` is `int(s)`), and renamed "
        "the locale-dependent `letters`/`lowercase`/`uppercase` to their ASCII forms."
    )
    applicability = SAFE
    markers = ("import string", "from string", ", string")
    examples = (
        Example(
            before="import string\ntitle = string.join(words)\nparts = string.split(line, ',')\nn = string.atoi(text)\n",
            after="title = ' '.join(words)\nparts = line.split(',')\nn = int(text)\n",
        ),
        Example(
            before="import string\nkey = string.lower(a + b)\nok = string.letters\n",
            after="import string\nkey = (a + b).lower()\nok = string.ascii_letters\n",
        ),
        Example(before="import string\nstring.capwords('a b')\n"),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        qualified = self.ctx.qualify(original.func) or ""
        if not qualified.startswith("string.") or qualified.count(".") != 1:
            return updated
        new = self._rewrite(original, updated, qualified)
        if new is not updated:
            self.done = True
        return new

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if getattr(self, "done", False):
            drop_unused_module_imports(self, updated, ("string",))
        return updated

    def _rewrite(self, original: cst.Call, updated: cst.Call, qualified: str) -> cst.BaseExpression:
        func = qualified.split(".")[1]
        args = list(updated.args)
        if not args or any(a.star or a.keyword for a in args):
            return updated
        if func in ("join", "joinfields"):
            seq = args[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            sep = args[1].value if len(args) > 1 else cst.SimpleString("' '")
            self.rewritten(original, f"string.{func}(seq, sep) -> sep.join(seq)")
            return cst.Call(func=cst.Attribute(as_receiver(sep), cst.Name("join")), args=[seq])
        if func in _METHODS:
            rest = args[1:]
            if rest:
                rest[-1] = rest[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            self.rewritten(original, f"string.{func}(s, ...) -> s.{_METHODS[func]}(...)")
            return cst.Call(func=cst.Attribute(as_receiver(args[0].value), cst.Name(_METHODS[func])), args=rest)
        if func in _BUILTINS:
            self.rewritten(original, f"string.{func}() -> {_BUILTINS[func]}()")
            return updated.with_changes(func=cst.Name(_BUILTINS[func]))
        if func == "maketrans":
            self.rewritten(original, "string.maketrans() -> str.maketrans()")
            return updated.with_changes(func=cst.Attribute(cst.Name("str"), cst.Name("maketrans")))
        return updated

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        qualified = self.ctx.qualify(original) or ""
        if qualified.startswith("string.") and qualified.split(".", 1)[1] in _CONSTANTS:
            new = _CONSTANTS[qualified.split(".", 1)[1]]
            self.rewritten(original, f"{qualified} -> string.{new}")
            return updated.with_changes(attr=cst.Name(new))
        return updated
