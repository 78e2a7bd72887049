"""JM065: ``cgi.escape`` (removed in Python 3.8) to ``html.escape``."""
from __future__ import annotations

import libcst as cst

from jackmigrate.rules._py2lib import drop_unused_module_imports
from jackmigrate.rules.base import SAFE, Example, Rule


class Py2CgiEscape(Rule):
    id = "JM065"
    name = "cgi-escape"
    summary = "Replace cgi.escape by html.escape with the same quoting"
    rationale = (
        "`cgi.escape` was removed in Python 3.8. `cgi.escape(s)` escapes `&`, `<` and `>` only, "
        "which is `html.escape(s, quote=False)`; `cgi.escape(s, True)` also escapes `\"`, and "
        "`html.escape(s)` escapes `\"` and `'`: the one difference makes the output safer in "
        "single-quoted attributes and is reported."
    )
    applicability = SAFE
    markers = ("import cgi", "from cgi", ", cgi")
    examples = (
        Example(
            before="import cgi\nsafe = cgi.escape(text)\n",
            after="import html\nsafe = html.escape(text, quote=False)\n",
        ),
        Example(
            before="from cgi import escape\nattr = escape(value, True)\n",
            after="from html import escape\nattr = escape(value)\n",
        ),
        Example(before="import html\nhtml.escape(x)\n"),
    )

    def visit_Module(self, node: cst.Module) -> None:
        self.html_bound = "html" in self.ctx.bindings and self.ctx.bindings["html"] != "html"
        self.done = False

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if self.done:
            drop_unused_module_imports(self, updated, ("cgi",))
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if self.ctx.qualify(original.func) != "cgi.escape":
            return updated
        args = list(updated.args)
        quote = None
        if len(args) > 1 and args[1].keyword is None:
            quote = args.pop(1).value
        for i, a in enumerate(args):
            if a.keyword and a.keyword.value == "quote":
                quote = args.pop(i).value
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        quoting = _truth(quote)
        if quoting is None:
            self.mark(original, "cgi.escape's quote flag is not a constant: html.escape(s, quote=...) also escapes ' when true")
            return updated
        self.done = True
        if not quoting:
            args.append(cst.Arg(keyword=cst.Name("quote"), value=cst.Name("False"),
                                equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))))
            args[-2] = args[-2].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            self.rewritten(original, "cgi.escape(s) -> html.escape(s, quote=False)")
        else:
            self.rewritten(original, "cgi.escape(s, True) -> html.escape(s); html.escape also escapes ' as &#x27;")
        if isinstance(updated.func, cst.Name):  # `from cgi import escape`
            self.remove_import("cgi", "escape")
            self.add_import("html", "escape")
            return updated.with_changes(args=args)
        if self.html_bound:
            self.add_import("html", "escape", "html_escape")
            return updated.with_changes(func=cst.Name("html_escape"), args=args)
        self.add_import("html")
        return updated.with_changes(func=cst.Attribute(cst.Name("html"), cst.Name("escape")), args=args)


def _truth(node: cst.BaseExpression | None) -> bool | None:
    if node is None:
        return False
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return node.value == "True"
    if isinstance(node, cst.Integer):
        return node.value not in ("0", "0x0")
    return None
