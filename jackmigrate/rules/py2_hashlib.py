"""JM063: the Python 2 ``md5`` and ``sha`` modules to ``hashlib``."""
from __future__ import annotations

import libcst as cst

from jackmigrate.rules._py2lib import drop_unused_module_imports
from jackmigrate.rules.base import NEEDS_REVIEW, Example, Rule

# Python 2 constructor -> hashlib name
_CONSTRUCTORS = {"md5.new": "md5", "md5.md5": "md5", "sha.new": "sha1", "sha.sha": "sha1"}


class Py2Hashlib(Rule):
    id = "JM063"
    name = "py2-md5-sha"
    summary = "Replace the Python 2 md5 and sha modules by hashlib"
    rationale = (
        "`md5.new()`/`md5.md5()` and `sha.new()`/`sha.sha()` were removed in Python 3; "
        "`hashlib.md5()` and `hashlib.sha1()` compute the same digests. hashlib only takes "
        "bytes, so calls with an argument that is not a bytes literal get a TODO to check "
        "the encoding (Python 2 str was bytes)."
    )
    applicability = NEEDS_REVIEW
    markers = ("import md5", "from md5", ", md5", "import sha", "from sha", ", sha")
    examples = (
        Example(
            before="import md5\nkey = md5.new(b'x').hexdigest()\n",
            after="import hashlib\nkey = hashlib.md5(b'x').hexdigest()\n",
        ),
        Example(
            before="from sha import sha\n\ndef sign(text):\n    return sha(text).hexdigest()\n",
            after=(
                "from hashlib import sha1\n\ndef sign(text):\n"
                "    # TODO(jackmigrate JM063): hashlib needs bytes: encode str arguments (e.g. value.encode('utf-8'))\n"
                "    return sha1(text).hexdigest()\n"
            ),
        ),
        Example(before="import hashlib\nhashlib.md5(b'x')\n"),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.done = False

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        qualified = self.ctx.qualify(original.func) or ""
        target = _CONSTRUCTORS.get(qualified)
        if target is None:
            return updated
        self.done = True
        if original.args and not (
            isinstance(original.args[0].value, cst.SimpleString)
            and "b" in original.args[0].value.prefix.lower()
        ):
            self.mark(original, "hashlib needs bytes: encode str arguments (e.g. value.encode('utf-8'))")
        else:
            self.rewritten(original, f"{qualified}() -> hashlib.{target}()")
        if isinstance(original.func, cst.Name):  # from md5 import md5
            module, name = qualified.split(".")
            self.remove_import(module, original.func.value)
            self.add_import("hashlib", target)
            return updated.with_changes(func=cst.Name(target))
        self.add_import("hashlib")
        return updated.with_changes(func=cst.Attribute(cst.Name("hashlib"), cst.Name(target)))

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if self.done:
            drop_unused_module_imports(self, updated, ("md5", "sha"))
        else:
            for local, qualified in self.ctx.bindings.items():
                if qualified in ("md5", "sha"):
                    self.unsupported(original, f"the Python 2 `{qualified}` module does not exist in Python 3",
                                     "used other than through its constructors: port to hashlib by hand")
        return updated
