"""JM001: Quixote imports -> jack_runtime imports (the table is jackmigrate.targets)."""

from __future__ import annotations

from typing import Iterable, Optional, Union

import libcst as cst

from jackmigrate import targets
from jackmigrate.imports import dotted, dotted_expr, drop_empty_lines
from jackmigrate.rules.base import Example, Rule, SAFE
from jackmigrate.walk import BatchWalker, NodeSet

_JACK_ROOT = "jack_runtime"

# (jack module, old attribute) -> new attribute, for uses through a module alias that
# was converted in an earlier pass (``q.get_publisher`` after ``import jack_runtime as q``).
_RENAMES: dict[tuple[str, str], str] = {}
for _qname, _target in targets.NAMES.items():
    _qmod, _, _qattr = _qname.rpartition(".")
    _jmod = targets.MODULES.get(_qmod)
    if _target.jack and _jmod and not _target.handled_by:
        _tmod, _, _tattr = _target.jack.rpartition(".")
        if _tmod == _jmod and _tattr != _qattr:
            _RENAMES[(_jmod, _qattr)] = _tattr


def _convertible(t: Optional[targets.Target]) -> bool:
    return t is not None and t.jack is not None and not t.handled_by


def _resolve_chain(module: str, attrs: tuple[str, ...]) -> tuple[int, Optional[targets.Target]]:
    """Longest prefix of module.attrs known to the target table: (attrs used, target)."""
    for k in range(len(attrs), -1, -1):
        t = targets.lookup(".".join((module, *attrs[:k])))
        if t is not None:
            return k, t
    return 0, None


def _jack_module_of(jack: str) -> str:
    """Module to import so that the dotted jack name is reachable as an attribute chain."""
    if jack in targets.MODULES.values():
        return jack
    return jack.rpartition(".")[0] or jack


class _Use:
    __slots__ = ("node", "attrs", "prefix_node")

    def __init__(self, node: cst.Attribute, attrs: tuple[str, ...], prefix_node: cst.CSTNode) -> None:
        self.node = node
        self.attrs = attrs
        self.prefix_node = prefix_node


class QuixoteImports(Rule):
    id = "JM001"
    name = "quixote-imports"
    summary = "Rewrite imports of Quixote modules and names to jack_runtime"
    rationale = (
        "Jack keeps Quixote's module layout and names (jack_runtime.directory.Directory, "
        "jack_runtime.html.htmltext, get_request() ...), so most of a migration is an import "
        "change.  The rule converts `from quixote... import name` (aliases kept), "
        "`import quixote...` together with the `quixote.x` attribute uses, and star imports of "
        "modules whose every name has a Jack equivalent.  Names whose conversion needs more "
        "than an import (Publisher, server entry points, PTL, publish1, form1, enable_ptl, "
        "cleanup, get_wsgi_app) are left in place for the rules that own them "
        "(jackmigrate.targets.NAMES says which); an import module is only switched once "
        "every use through it can be.  Unknown names are reported as unsupported, dynamic "
        "uses of the quixote module object as shim uses."
    )
    applicability = SAFE
    markers = ("quixote",)
    examples = (
        Example(
            title="names keep their aliases",
            before=(
                "from quixote import get_request, get_publisher\n"
                "from quixote.directory import Directory as D, export\n"
                "from quixote.html import htmltext\n"
            ),
            after=(
                "from jack_runtime import get_request, get_app as get_publisher\n"
                "from jack_runtime.directory import Directory as D, export\n"
                "from jack_runtime.html import htmltext\n"
            ),
        ),
        Example(
            title="module imports and their attribute uses",
            before=(
                "import quixote\n"
                "import quixote.html\n"
                "\n"
                "def page():\n"
                "    req = quixote.get_request()\n"
                "    return quixote.html.htmltext('<b>%s</b>') % req.get_path()\n"
            ),
            after=(
                "import jack_runtime\n"
                "import jack_runtime.html\n"
                "\n"
                "def page():\n"
                "    req = jack_runtime.get_request()\n"
                "    return jack_runtime.html.htmltext('<b>%s</b>') % req.get_path()\n"
            ),
        ),
        Example(
            title="renamed modules, multi-line imports keep their layout",
            before=(
                "from quixote.http_request import (\n"
                "    HTTPRequest,\n"
                "    Upload,\n"
                ")\n"
                "import quixote.form.widget as w\n"
                "x = w.StringWidget\n"
            ),
            after=(
                "from jack_runtime.http.request import (\n"
                "    HTTPRequest,\n"
                "    Upload,\n"
                ")\n"
                "import jack_runtime.form.widget as w\n"
                "x = w.StringWidget\n"
            ),
        ),
        Example(
            title="names owned by other rules stay for them",
            before="from quixote.publish import Publisher, get_request\n",
            after=(
                "from quixote.publish import Publisher\n"
                "from jack_runtime import get_request\n"
            ),
        ),
        Example(
            title="star import of a module mapped name for name",
            before="from quixote.errors import *\n",
            after="from jack_runtime.errors import *\n",
        ),
        Example(
            title="no change: a local module that happens to be called quixote_utils",
            before="from quixote_utils import get_request\nimport quixotic\n",
        ),
        Example(
            title="no change: relative imports",
            before="from .quixote import publish\n",
        ),
    )

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        b = ctx.bindings
        # Local names bound to Quixote modules (import quixote.x as y, from quixote import x).
        self.qmodules: dict[str, str] = {
            local: full for local, full in b.items() if full in targets.MODULES or full == "quixote"
        }
        # Local names bound to Jack modules that may still carry old attribute names.
        self.jmodules: dict[str, str] = {
            local: full for local, full in b.items()
            if (full == _JACK_ROOT or full.startswith(_JACK_ROOT + ".")) and full in targets.MODULES.values()
        }
        # "quixote" bound by a plain ``import quixote[.x]``: uses are rewritten one by one.
        self.plain = b.get("quixote") == "quixote"
        self.claimed: set[int] = set()
        self.not_uses: set[int] = set()
        self.uses: dict[str, list[_Use]] = {}
        self.bare: dict[str, list[cst.Name]] = {}
        self.replace: dict[int, str] = {}  # id(original prefix node) -> jack dotted
        self.need_modules: list[str] = []
        self.imports: list[Union[cst.Import, cst.ImportFrom]] = []
        self.suppressed: set[int] = set()
        # small statement id -> (it, its rewrite): computed by transform_module's check,
        # taken by the visit that follows it
        self._rewrites: Optional[dict[int, tuple[cst.BaseSmallStatement, Optional[list[cst.BaseSmallStatement]]]]] = None
        # Filled in leave_Module, applied by transform_module.
        self.convert_binding: dict[str, bool] = {}
        self.plain_remaining = False

    # ---- collecting ----
    def visit_Import(self, node: cst.Import) -> bool:
        if self.ctx.is_suppressed(self.id, node):
            self.suppressed.add(id(node))
            return False
        if any(targets.is_quixote(dotted(a.name)) for a in node.names):  # type: ignore[arg-type]
            self.imports.append(node)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if node.relative or node.module is None:
            return False
        mod = dotted(node.module)
        if not targets.is_quixote(mod):
            return False
        if self.ctx.is_suppressed(self.id, node):
            self.suppressed.add(id(node))
            return False
        self.imports.append(node)
        if isinstance(node.names, cst.ImportStar):
            jack = targets.module_target(mod)
            names = targets.PUBLIC.get(mod, frozenset())
            if jack is None or not all(_convertible(targets.lookup(f"{mod}.{n}")) for n in names) or (
                not names
            ):
                self.mark(node, f"replace `from {mod} import *` by the names used, so they can be converted")
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.not_uses.add(id(node.name))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.not_uses.add(id(node.name))

    def visit_Param(self, node: cst.Param) -> None:
        self.not_uses.add(id(node.name))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.not_uses.add(id(node.keyword))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.not_uses.add(id(node.attr))
        if id(node) in self.claimed:
            return
        attrs: list[str] = []
        chain: list[cst.Attribute] = []
        cur: cst.BaseExpression = node
        while isinstance(cur, cst.Attribute):
            attrs.append(cur.attr.value)
            chain.append(cur)
            cur = cur.value
        if not isinstance(cur, cst.Name):
            return
        local = cur.value
        attrs.reverse()
        chain.reverse()  # chain[k] is the node for local.attrs[0..k]
        for c in chain:
            self.claimed.add(id(c))
        self.not_uses.add(id(cur))
        if local in self.qmodules:
            module = self.qmodules[local]
            k, target = _resolve_chain(module, tuple(attrs))
            prefix: cst.CSTNode = chain[k - 1] if k else cur
            self.uses.setdefault(local, []).append(_Use(node, tuple(attrs), prefix))
            if self.plain and local == "quixote" and k and _convertible(target):
                assert target is not None and target.jack is not None
                self.replace[id(prefix)] = target.jack
                mod = _jack_module_of(target.jack)
                if mod not in self.need_modules:
                    self.need_modules.append(mod)
        elif local in self.jmodules and attrs:
            new = _RENAMES.get((self.jmodules[local], attrs[0]))
            if new is not None:
                self.replace[id(chain[0])] = f"{local}.{new}"

    def idle_methods(self) -> Iterable[str]:
        if self.qmodules or self.jmodules:
            return ()
        # No name bound to a Quixote or Jack module: no attribute chain or bare use to
        # follow (the imports themselves are handled by visit_Import/visit_ImportFrom).
        return ("visit_Name", "visit_Attribute", "leave_Attribute", "visit_Param", "visit_Arg",
                "visit_FunctionDef", "visit_ClassDef")

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in self.qmodules and id(node) not in self.not_uses:
            self.bare.setdefault(node.value, []).append(node)

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        jack = self.replace.get(id(original_node))
        if jack is None:
            return updated_node
        if jack.split(".")[0] in self.jmodules:
            self.rewritten(original_node, f"{dotted(original_node)} renamed to {jack}")
        else:
            self.rewritten(original_node, f"{dotted(original_node)} -> {jack}")
        new = dotted_expr(jack)
        return new.with_changes(lpar=updated_node.lpar, rpar=updated_node.rpar)

    # ---- deciding (all uses are known at the end of the module) ----
    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        for local, module in self.qmodules.items():
            if self.plain and local == "quixote":
                continue
            jack_module = targets.module_target(module)
            ok = jack_module is not None
            for use in self.uses.get(local, ()):
                k, t = _resolve_chain(module, use.attrs)
                if not (k and _convertible(t)):
                    ok = False
                    break
                assert t is not None and t.jack is not None
                expected = ".".join((jack_module or "", *use.attrs[:k]))
                if t.jack != expected and t.jack.rpartition(".")[0] != expected.rpartition(".")[0]:
                    ok = False  # the name moved to another module: not reachable via the alias
                    break
            self.convert_binding[local] = ok
        if self.plain:
            remaining = [u for u in self.uses.get("quixote", ()) if id(u.prefix_node) not in self.replace]
            self.plain_remaining = bool(remaining or self.bare.get("quixote"))
            for name in self.bare.get("quixote", ()):
                self.shim(name, "dynamic use of the quixote module object: keeps working through "
                                "jack_runtime.compat's quixote facade")
        for local, names in self.bare.items():
            if local != "quixote" and not self.convert_binding.get(local):
                for name in names:
                    self.shim(name, f"dynamic use of the module {self.qmodules[local]}: keeps working "
                                    "through jack_runtime.compat")
        for use_list in self.uses.values():
            for use in use_list:
                local = dotted(use.node).split(".")[0]
                k, t = _resolve_chain(self.qmodules[local], use.attrs)
                if t is None or (t.jack is None and not t.handled_by):
                    name = ".".join((self.qmodules[local], *use.attrs))
                    self._unsupported_name(use.node, name, t)
        for imp in self.imports:
            self._report_import(imp)
        return updated_node

    def _unsupported_name(self, node: cst.CSTNode, name: str, t: Optional[targets.Target]) -> None:
        if t is None:
            self.unsupported(node, f"{name} has no known Jack equivalent",
                             "not a public name of Quixote 3.8")
        else:
            self.unsupported(node, f"{name} has no Jack equivalent", t.note or "no equivalent")

    def _report_import(self, imp: Union[cst.Import, cst.ImportFrom]) -> None:
        if isinstance(imp, cst.Import):
            for alias in imp.names:
                full = dotted(alias.name)  # type: ignore[arg-type]
                if not targets.is_quixote(full):
                    continue
                if alias.asname is not None:
                    local = alias.asname.name.value  # type: ignore[union-attr]
                    if self.convert_binding.get(local):
                        self.rewritten(alias, f"import {full} -> {targets.module_target(full)}")
                elif full in targets.MODULES and targets.MODULES[full] is None:
                    continue  # owned by another rule (server, ptl, publish1, form1)
                elif full not in targets.MODULES and full != "quixote":
                    self.unsupported(alias, f"{full} has no known Jack equivalent",
                                     "not a module of Quixote 3.8")
                elif not self.plain_remaining:
                    self.rewritten(alias, f"import {full} replaced by jack_runtime imports")
            return
        mod = dotted(imp.module)  # type: ignore[arg-type]
        if isinstance(imp.names, cst.ImportStar):
            if self._star_ok(mod):
                self.rewritten(imp, f"from {mod} import * -> {targets.module_target(mod)}")
            return
        for alias in imp.names:
            name = dotted(alias.name)  # type: ignore[arg-type]
            local = alias.asname.name.value if alias.asname else name  # type: ignore[union-attr]
            full = f"{mod}.{name}"
            if full in targets.MODULES:
                if targets.MODULES[full] is not None and self.convert_binding.get(local):
                    self.rewritten(alias, f"{full} -> {targets.MODULES[full]}")
                continue
            t = targets.lookup(full)
            if _convertible(t):
                self.rewritten(alias, f"{full} -> {t.jack}")  # type: ignore[union-attr]
            elif t is None or (t.jack is None and not t.handled_by):
                self._unsupported_name(alias, full, t)

    @staticmethod
    def _star_ok(mod: str) -> bool:
        names = targets.PUBLIC.get(mod)
        return bool(names) and targets.module_target(mod) is not None and all(
            _convertible(targets.lookup(f"{mod}.{n}")) for n in names  # type: ignore[union-attr]
        )

    # ---- rewriting the import statements ----
    def transform_module(self, module: cst.Module) -> cst.Module:
        # Whether any import changes (a statement-level visit still rebuilds statements).
        self._rewrites = {}
        if not any(self.rewrite_small(imp, True) is not None for imp in self.imports):
            return module
        return BatchWalker([_ImportRewriter(self)]).walk(module)

    def rewrite_small(
        self, small: cst.BaseSmallStatement, first_plain_in_body: bool
    ) -> Optional[list[cst.BaseSmallStatement]]:
        """Replacement statements for one import, or None to keep it as is."""
        if id(small) in self.suppressed:
            return None
        memo = self._rewrites
        if memo is not None and not (first_plain_in_body or isinstance(small, cst.ImportFrom)):
            memo = None  # (an Import's answer depends on whether it is the block's first plain one)
        if memo is not None:
            known = memo.pop(id(small), None)  # used once: never the same new nodes twice
            if known is not None and known[0] is small:
                return known[1]
        if isinstance(small, cst.ImportFrom):
            out = self._rewrite_from(small)
        elif isinstance(small, cst.Import):
            out = self._rewrite_import(small, first_plain_in_body)
        else:
            return None
        if memo is not None:
            memo[id(small)] = (small, out)
        return out

    def _rewrite_from(self, imp: cst.ImportFrom) -> Optional[list[cst.BaseSmallStatement]]:
        if imp.relative or imp.module is None:
            return None
        mod = dotted(imp.module)
        if not targets.is_quixote(mod):
            return None
        if isinstance(imp.names, cst.ImportStar):
            if self._star_ok(mod):
                return [imp.with_changes(module=dotted_expr(targets.module_target(mod)))]  # type: ignore[arg-type]
            return None
        kept: list[cst.ImportAlias] = []
        groups: dict[str, list[tuple[cst.ImportAlias, str, str]]] = {}
        plain_imports: list[cst.BaseSmallStatement] = []
        for alias in imp.names:
            name = dotted(alias.name)  # type: ignore[arg-type]
            local = alias.asname.name.value if alias.asname else name  # type: ignore[union-attr]
            full = f"{mod}.{name}"
            jack: Optional[str] = None
            if full in targets.MODULES:
                if targets.MODULES[full] is not None and self.convert_binding.get(local):
                    jack = targets.MODULES[full]
            else:
                t = targets.lookup(full)
                if _convertible(t):
                    jack = t.jack  # type: ignore[union-attr]
            if jack is None:
                kept.append(alias)
                continue
            jmod, _, jname = jack.rpartition(".")
            if not jmod:
                plain_imports.append(cst.Import(names=[cst.ImportAlias(
                    name=dotted_expr(jack), asname=cst.AsName(name=cst.Name(local)))]))
                continue
            groups.setdefault(jmod, []).append((alias, jname, local))
        if not groups and not plain_imports:
            return None

        def alias_for(orig: cst.ImportAlias, jname: str, local: str) -> cst.ImportAlias:
            asname = None
            if local != jname:
                asname = orig.asname if orig.asname is not None else cst.AsName(name=cst.Name(local))
            return orig.with_changes(name=cst.Name(jname), asname=asname)

        if not kept and len(groups) == 1 and not plain_imports:
            # Keep the statement's own layout (parentheses, line breaks, comments).
            (jmod, items), = groups.items()
            return [imp.with_changes(module=dotted_expr(jmod), names=[alias_for(*it) for it in items])]
        out: list[cst.BaseSmallStatement] = []
        if kept:
            last = kept[-1]
            if imp.rpar is None:
                kept[-1] = last.with_changes(comma=cst.MaybeSentinel.DEFAULT)
            out.append(imp.with_changes(names=kept))
        for jmod, items in groups.items():
            aliases = [alias_for(a, j, l).with_changes(comma=cst.MaybeSentinel.DEFAULT) for a, j, l in items]
            out.append(cst.ImportFrom(module=dotted_expr(jmod), names=aliases))
        out.extend(plain_imports)
        return out

    def _rewrite_import(self, imp: cst.Import, first_plain: bool) -> Optional[list[cst.BaseSmallStatement]]:
        if not any(targets.is_quixote(dotted(a.name)) for a in imp.names):  # type: ignore[arg-type]
            return None
        kept: list[cst.ImportAlias] = []
        extra: list[cst.ImportAlias] = []
        changed = False
        for alias in imp.names:
            full = dotted(alias.name)  # type: ignore[arg-type]
            if not targets.is_quixote(full):
                kept.append(alias)
                continue
            if alias.asname is not None:
                local = alias.asname.name.value  # type: ignore[union-attr]
                jack = targets.module_target(full)
                if jack is not None and self.convert_binding.get(local):
                    kept.append(alias.with_changes(name=dotted_expr(jack)))
                    changed = True
                else:
                    kept.append(alias)
                continue
            # plain "import quixote[.x]": its uses were rewritten to jack_runtime.* names
            if not self.plain or (full in targets.MODULES and targets.MODULES[full] is None) or (
                full not in targets.MODULES and full != "quixote"
            ):
                kept.append(alias)
                continue
            if self.plain_remaining:
                kept.append(alias)
            else:
                changed = True
            if first_plain:
                for mod in self.need_modules:
                    extra.append(cst.ImportAlias(name=dotted_expr(mod)))
                first_plain = False
                changed = changed or bool(extra)
        if not changed:
            return None
        out: list[cst.BaseSmallStatement] = []
        if kept:
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            out.append(imp.with_changes(names=kept))
        for alias in extra:
            out.append(cst.Import(names=[alias]))
        return out


class _ImportRewriter(cst.CSTTransformer):
    """Statement-level pass applying QuixoteImports' decisions, run by the engine's
    walker (which rebuilds only what changes and does not enter simple statements)."""

    def __init__(self, rule: QuixoteImports) -> None:
        super().__init__()
        self.rule = rule
        self.plain_done: list[bool] = [False]
        self.dropped = NodeSet()

    def visit_Module(self, node: cst.Module) -> None:
        self.plain_done.append(False)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.plain_done.append(False)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        return False  # expressions cannot hold import statements

    def leave_SimpleStatementLine(self, original_node, updated_node):  # type: ignore[no-untyped-def]
        return self._line(updated_node)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        return self._block(updated_node)  # type: ignore[return-value]

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        return self._block(updated_node)  # type: ignore[return-value]

    def _block(self, node: Union[cst.Module, cst.IndentedBlock]) -> Union[cst.Module, cst.IndentedBlock]:
        self.plain_done.pop()
        body = drop_empty_lines(node.body, self.dropped)
        if len(body) == len(node.body):
            return node
        if not body and isinstance(node, cst.IndentedBlock):
            body = [cst.SimpleStatementLine(body=[cst.Pass()])]
        return node.with_changes(body=body)

    def _line(self, line: cst.SimpleStatementLine):  # type: ignore[no-untyped-def]
        if not any(isinstance(s, (cst.Import, cst.ImportFrom)) for s in line.body):
            return line
        new_body: list[cst.BaseSmallStatement] = []
        changed = False
        for small in line.body:
            first_plain = not self.plain_done[-1]
            repl = self.rule.rewrite_small(small, first_plain)
            if isinstance(small, cst.Import) and self.rule.plain and any(
                a.asname is None and dotted(a.name).split(".")[0] == "quixote" for a in small.names  # type: ignore[arg-type]
            ):
                self.plain_done[-1] = True
            if repl is None:
                new_body.append(small)
            else:
                changed = True
                new_body.extend(repl)
        if not changed:
            return line
        if not new_body:
            # libcst would drop an empty line with its comments; the block drops this
            # placeholder and keeps them.
            placeholder = line.with_changes(body=[cst.Pass()])
            self.dropped.add(placeholder)
            return placeholder
        if len(line.body) == 1:
            # One statement per line, as written: the first keeps the comments around it.
            lines = []
            for i, small in enumerate(new_body):
                small = small.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
                if i == 0:
                    lines.append(line.with_changes(body=[small]))
                else:
                    lines.append(cst.SimpleStatementLine(body=[small]))
            if len(lines) == 1:
                return lines[0]
            # The trailing comment (e.g. "# noqa") stays on the first line.
            return cst.FlattenSentinel(lines)
        fixed = [s.with_changes(semicolon=cst.Semicolon(whitespace_after=cst.SimpleWhitespace(" ")))
                 for s in new_body[:-1]] + [new_body[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)]
        return line.with_changes(body=fixed)
