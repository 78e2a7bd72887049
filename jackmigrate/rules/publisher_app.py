"""JM010: Quixote's Publisher (and subclasses of it) -> jack_runtime.app.App."""

from __future__ import annotations

from typing import Iterable, Optional, Sequence, Union

import libcst as cst

from jackmigrate.imports import dotted
from jackmigrate.rules._common import (
    PyRule,
    ClassTable,
    call_name,
    comment_lines,
    free_name,
    is_docstring,
    iter_calls,
    iter_classes,
    jack_equivalents,
    keep_statements,
    shared_module_level_names,
    pass_if_empty,
    self_attrs,
    uses_quixote_or_jack,
)
from jackmigrate.rules.base import NEEDS_REVIEW, Example

PUBLISHER = "quixote.publish.Publisher"
APP = "jack_runtime.app.App"
ROOTS = jack_equivalents([PUBLISHER])

# Publisher.__init__(self, root_directory, logger=None, session_manager=None, config=None,
# **kwargs); App.__init__ takes everything after the root by keyword only.
_POSITIONAL_AFTER_ROOT = ("logger", "session_manager", "config")
_REQUEST_SLOT_METHODS = ("_set_request", "_clear_request", "get_request")
# Calls a thread-local request slot is made of (thread ids, dict/local access, the base
# implementation); anything else in an override is real work that must not vanish.
_SLOT_CALL_NAMES = frozenset(
    {"getattr", "hasattr", "setattr", "delattr", "get_ident", "current_thread", "getcurrent",
     "get_native_id", "id", "super", "currentThread"}
)
_SLOT_CALL_ATTRS = frozenset(
    {"get_ident", "current_thread", "currentThread", "getcurrent", "get_native_id", "get", "pop",
     "setdefault", "__delitem__", "__setitem__", "__getitem__", *_REQUEST_SLOT_METHODS}
)
_TOKEN = "_jack_context_token"
_SLOT_STORE_FACTORIES = ("local", "dict", "Dict", "defaultdict", "WeakKeyDictionary", "WeakValueDictionary")

REMOVED_COMMENT = (
    "jackmigrate JM010 removed the {names} override{s}: {they} kept the current request per "
    "thread, and Jack keeps it in a context variable, which is per thread (and per greenlet) "
    "by design."
)


def _rooted_at(node: cst.BaseExpression, self_name: str) -> bool:
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
    return isinstance(node, cst.Name) and node.value == self_name


def _slot_statements(body: Sequence[cst.BaseStatement], self_name: str) -> bool:
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, (cst.Pass, cst.Return)):
                    continue
                if isinstance(small, cst.Expr):
                    if isinstance(small.value, (cst.Call, cst.SimpleString, cst.ConcatenatedString)):
                        continue
                    return False
                if isinstance(small, cst.Assign):
                    for t in small.targets:
                        if not (_rooted_at(t.target, self_name) or isinstance(t.target, cst.Name)):
                            return False
                    continue
                if isinstance(small, cst.Del):
                    targets = small.target.elements if isinstance(small.target, cst.Tuple) else [small.target]
                    for t in targets:
                        value = t.value if isinstance(t, cst.Element) else t
                        if not _rooted_at(value, self_name):  # type: ignore[arg-type]
                            return False
                    continue
                return False
        elif isinstance(stmt, cst.Try):
            parts = [stmt.body.body]
            parts += [h.body.body for h in stmt.handlers]
            if stmt.orelse is not None:
                parts.append(stmt.orelse.body.body)
            if stmt.finalbody is not None:
                parts.append(stmt.finalbody.body.body)
            if not all(_slot_statements(p, self_name) for p in parts):
                return False
        elif isinstance(stmt, cst.If):
            if not _slot_statements(stmt.body.body, self_name):
                return False
            orelse = stmt.orelse
            if isinstance(orelse, cst.If):
                if not _slot_statements([orelse], self_name):
                    return False
            elif orelse is not None and not _slot_statements(orelse.body.body, self_name):
                return False
        else:
            return False
    return True


def is_request_slot_override(fn: cst.FunctionDef) -> bool:
    """True when ``fn`` (one of _set_request/_clear_request/get_request) only stores,
    clears or returns the request in a per-thread slot of ``self``."""
    if fn.name.value not in _REQUEST_SLOT_METHODS or not fn.params.params:
        return False
    if fn.decorators or not isinstance(fn.body, cst.IndentedBlock):
        return False
    self_name = fn.params.params[0].name.value
    if not _slot_statements(fn.body.body, self_name):
        return False
    for call in iter_calls(fn.body):
        name = call_name(call)
        last = name.rpartition(".")[2]
        if not name:
            return False
        if "." not in name and name not in _SLOT_CALL_NAMES:
            return False
        if "." in name and last not in _SLOT_CALL_ATTRS:
            return False
    attrs = self_attrs(fn.body, self_name)
    # Other methods of self (logging, hooks...) mean the override does more than a slot.
    return all(a not in ("log", "logger") for a in attrs)


def _keyword(arg: cst.Arg, name: str) -> cst.Arg:
    return arg.with_changes(
        keyword=cst.Name(name),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )


def keywordize(call: cst.Call, root_index: int) -> tuple[Optional[cst.Call], list[str]]:
    """Publisher's positional arguments after the root as App's keywords; ``root_directory=``
    as ``root=``.  Returns (new call or None when nothing changes, problems)."""
    args = list(call.args)
    problems: list[str] = []
    changed = False
    positional = [i for i, a in enumerate(args) if a.keyword is None and not a.star]
    if any(a.star == "*" for a in args):
        return None, ["positional arguments passed with *: name them (App takes logger, "
                      "session_manager and config by keyword only)"]
    extra = [i for i in positional if i > root_index]
    if len(extra) > len(_POSITIONAL_AFTER_ROOT):
        return None, ["too many positional arguments for Publisher"]
    for n, i in enumerate(extra):
        name = _POSITIONAL_AFTER_ROOT[n]
        if name == "logger" and _looks_like_config(args[i].value):
            problems.append(
                "this argument is passed in Publisher's logger slot (as Quixote's "
                "multi-threaded.txt did by mistake); if it is a Config, write config=")
        args[i] = _keyword(args[i], name)
        changed = True
    for i, a in enumerate(args):
        if a.keyword is not None and a.keyword.value == "root_directory":
            args[i] = a.with_changes(keyword=cst.Name("root"))
            changed = True
    return (call.with_changes(args=args) if changed else None), problems


def _looks_like_config(expr: cst.BaseExpression) -> bool:
    text = cst.Module([]).code_for_node(expr).lower()
    return "config" in text


class PublisherToApp(PyRule):
    id = "JM010"
    name = "publisher-to-app"
    summary = "Publisher and its subclasses become jack_runtime.app.App"
    rationale = (
        "Jack's App is Quixote's Publisher made WSGI-native: the same constructor (the root "
        "directory, then logger/session_manager/config and config keywords), the same hooks "
        "in the same order (parse_request, start_request, try_publish, "
        "finish_successful_request, finish_interrupted_request, finish_failed_request, "
        "format_publish_error, filter_output, process_request ...), so overridden hooks keep "
        "their names and bodies.  Three things change: App takes everything after the root "
        "by keyword (positional arguments are named); the request lives in a context "
        "variable, so overrides of _set_request/_clear_request/get_request that only made "
        "the request thread-local are removed (with a comment saying so) and those doing "
        "more are marked; and an App is always thread-safe, so is_thread_safe goes.  "
        "Subclasses of subclasses are found in the same file and, through the project "
        "index, in other modules."
    )
    applicability = NEEDS_REVIEW
    markers = ("quixote", "is_thread_safe")
    index_markers = (PUBLISHER,)
    examples = (
        Example(
            title="the factory of Quixote's mini_demo",
            before=(
                "from quixote.publish import Publisher\n"
                "\n"
                "def create_publisher():\n"
                "    return Publisher(RootDirectory(), display_exceptions='plain')\n"
            ),
            after=(
                "from jack_runtime.app import App\n"
                "\n"
                "def create_publisher():\n"
                "    return App(RootDirectory(), display_exceptions='plain')\n"
            ),
        ),
        Example(
            title="a thread-safe publisher from Quixote's multi-threaded.txt",
            before=(
                "import thread\n"
                "from quixote.publish import Publisher\n"
                "\n"
                "class ThreadedPublisher(Publisher):\n"
                "    is_thread_safe = True\n"
                "\n"
                "    def __init__(self, root, config=None):\n"
                "        Publisher.__init__(self, root, None, None, config)\n"
                "        self._request_dict = {}\n"
                "\n"
                "    def _set_request(self, request):\n"
                "        self._request_dict[thread.get_ident()] = request\n"
                "\n"
                "    def _clear_request(self):\n"
                "        try:\n"
                "            del self._request_dict[thread.get_ident()]\n"
                "        except KeyError:\n"
                "            pass\n"
                "\n"
                "    def get_request(self):\n"
                "        return self._request_dict.get(thread.get_ident())\n"
                "\n"
                "    def filter_output(self, request, output):\n"
                "        return output.replace('foo', 'bar')\n"
            ),
            after=(
                "import thread\n"
                "from jack_runtime.app import App\n"
                "\n"
                "class ThreadedPublisher(App):\n"
                "\n"
                "    def __init__(self, root, config=None):\n"
                "        App.__init__(self, root, logger=None, session_manager=None, config=config)\n"
                "\n"
                "    # jackmigrate JM010 removed the _set_request, _clear_request, get_request overrides:\n"
                "    # they kept the current request per thread, and Jack keeps it in a context variable,\n"
                "    # which is per thread (and per greenlet) by design.\n"
                "    def filter_output(self, request, output):\n"
                "        return output.replace('foo', 'bar')\n"
            ),
        ),
        Example(
            title="an alias is kept; a subclass of a subclass is an App too",
            before=(
                "import quixote.publish as qp\n"
                "from quixote.publish import Publisher as BasePublisher\n"
                "\n"
                "class SitePublisher(BasePublisher):\n"
                "    def start_request(self):\n"
                "        BasePublisher.start_request(self)\n"
                "\n"
                "class DevPublisher(SitePublisher):\n"
                "    is_thread_safe = True\n"
                "\n"
                "pub = qp.Publisher(Root(), None, sm, root_directory=None)\n"
            ),
            after=(
                "import quixote.publish as qp\n"
                "from jack_runtime.app import App, App as BasePublisher\n"
                "\n"
                "class SitePublisher(BasePublisher):\n"
                "    def start_request(self):\n"
                "        BasePublisher.start_request(self)\n"
                "\n"
                "class DevPublisher(SitePublisher):\n"
                "    pass\n"
                "\n"
                "pub = App(Root(), logger=None, session_manager=sm, root=None)\n"
            ),
        ),
        Example(
            title="a request-slot override doing more than storing the request is marked",
            before=(
                "from quixote.publish import Publisher\n"
                "\n"
                "class P(Publisher):\n"
                "    def _set_request(self, request):\n"
                "        audit(request)\n"
                "        Publisher._set_request(self, request)\n"
            ),
            after=(
                "from jack_runtime.app import App\n"
                "\n"
                "class P(App):\n"
                "    # TODO(jackmigrate JM010): Jack never calls _set_request (the request lives in a context variable): move the rest of this override (besides storing the request) into start_request() or parse_request(), then delete it\n"
                "    def _set_request(self, request):\n"
                "        audit(request)\n"
            ),
        ),
        Example(
            title="QWIP's thread-safety flag on an instance goes",
            before=(
                "from quixote.publish import Publisher\n"
                "publisher = Publisher(root)\n"
                "publisher.is_thread_safe = True\n"
            ),
            after=(
                "from jack_runtime.app import App\n"
                "publisher = App(root)\n"
            ),
        ),
        Example(
            title="a subclass of a project Publisher subclass defined in another module",
            path="site/pub.py",
            modules=(("site/base.py", "from quixote.publish import Publisher\nclass BasePublisher(Publisher):\n    pass\n"),),
            before=(
                "from site.base import BasePublisher\n"
                "\n"
                "class SitePublisher(BasePublisher):\n"
                "    is_thread_safe = True\n"
                "\n"
                "    def filter_output(self, request, output):\n"
                "        return output\n"
            ),
            after=(
                "from site.base import BasePublisher\n"
                "\n"
                "class SitePublisher(BasePublisher):\n"
                "\n"
                "    def filter_output(self, request, output):\n"
                "        return output\n"
            ),
        ),
        Example(
            title="no change: already migrated",
            before=(
                "from jack_runtime.app import App\n"
                "\n"
                "class Site(App):\n"
                "    def filter_output(self, request, output):\n"
                "        return output\n"
            ),
        ),
    )

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.table: Optional[ClassTable] = None
        self.not_uses: set[int] = set()
        # local name bound to Publisher -> local name to use for App
        self.renames: dict[str, str] = {}
        self.app_name = "App"
        self.need_app: set[str] = set()  # local names App must be imported as
        self.remove_from: set[str] = set()  # modules "from M import Publisher" to drop
        # The one module-level `from quixote.publish import Publisher [as X]`, rewritten in
        # place (a one-line diff) rather than removed and re-added at the end of the imports.
        self.in_place: Optional[cst.ImportFrom] = None
        self.in_place_local: Optional[str] = None
        self.framework = False  # the file imports Quixote or Jack
        self.function_stack: list[bool] = []  # per def: is it a binding process_request
        self.class_stack: list[bool] = []
        self.bases_stack: list[list[cst.BaseExpression]] = []
        self.has_init: dict[str, bool] = {}

    # ---- setup ----
    def visit_Module(self, node: cst.Module) -> None:
        self.table = ClassTable.of(self, node)
        self.framework = uses_quixote_or_jack(self.ctx.bindings)
        taken = shared_module_level_names(self, node)
        b = self.ctx.bindings
        self.app_name = free_name(taken, b, "App", APP, "JackApp")
        for local, full in b.items():
            if full == PUBLISHER:
                self.renames[local] = self.app_name if local == "Publisher" else local
        sole = [stmt.body[0] for stmt in node.body
                if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1
                and isinstance(stmt.body[0], cst.ImportFrom) and _imports_publisher(stmt.body[0])]
        if len(sole) == 1 and len(sole[0].names) == 1 and sole[0].names[0].asname is None:
            self.in_place = sole[0]
        for cls in iter_classes(node):
            self.has_init.setdefault(cls.name.value, any(
                isinstance(s, cst.FunctionDef) and s.name.value == "__init__" for s in cls.body.body
            ) if isinstance(cls.body, cst.IndentedBlock) else False)

    def idle_methods(self) -> Iterable[str]:
        idle = []
        if not self.renames:  # no name bound to Publisher: nothing to rename, no use to tell apart
            idle += ["leave_Name", "visit_Param", "visit_Arg", "visit_Attribute"]
        if not self.ctx.may_qualify_to((PUBLISHER,)):
            idle.append("leave_Attribute")
        if not self.ctx.may_qualify_to(ROOTS) and not any(
            self.table.derives(self, bases, ROOTS) for bases in self.table.bases.values()  # type: ignore[union-attr]
        ):
            # No Publisher/App, nor a class of this file deriving from one, to call.
            idle.append("leave_Call")
        return idle

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if node.module is not None and not isinstance(node.names, cst.ImportStar):
            mod = dotted(node.module)
            for alias in node.names:
                if f"{mod}.{dotted(alias.name)}" == PUBLISHER:  # type: ignore[arg-type]
                    local = alias.asname.name.value if alias.asname else "Publisher"  # type: ignore[union-attr]
                    self.rewritten(alias, f"{PUBLISHER} -> {APP}")
                    if node is self.in_place:
                        self.in_place_local = self.renames.get(local, self.app_name)
                    else:
                        self.remove_from.add(mod)
                        self.need_app.add(self.renames.get(local, self.app_name))
        return False

    def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom) -> cst.ImportFrom:
        if original_node is not self.in_place or self.in_place_local is None:
            return updated_node
        local = self.in_place_local
        alias = cst.ImportAlias(name=cst.Name("App"),
                                asname=None if local == "App" else cst.AsName(name=cst.Name(local)))
        return updated_node.with_changes(module=cst.Attribute(cst.Name("jack_runtime"), cst.Name("app")),
                                         names=[alias])

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.not_uses.add(id(node.name))
        # A process_request override that does not call the base one is where the request
        # gets bound: its _set_request/_clear_request become the context's bind/unbind.
        binds = False
        if self.class_stack and self.class_stack[-1] and node.name.value == "process_request":
            binds = not any(call_name(c).endswith(".process_request") for c in iter_calls(node.body))
        self.function_stack.append(binds)

    def visit_Param(self, node: cst.Param) -> None:
        self.not_uses.add(id(node.name))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.not_uses.add(id(node.keyword))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.not_uses.add(id(node.attr))

    # ---- names ----
    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if id(original_node) in self.not_uses:
            return updated_node
        new = self.renames.get(original_node.value)
        if new is None or self.ctx.bindings.get(original_node.value) != PUBLISHER:
            return updated_node
        self.need_app.add(new)
        if new == original_node.value:
            return updated_node
        return updated_node.with_changes(value=new)

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        if self.ctx.qualify(original_node) != PUBLISHER:
            return updated_node
        self.need_app.add(self.app_name)
        return cst.Name(self.app_name, lpar=updated_node.lpar, rpar=updated_node.rpar)

    # ---- classes ----
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.not_uses.add(id(node.name))
        assert self.table is not None
        self.class_stack.append(self.table.class_derives(self, node, ROOTS))
        self.bases_stack.append([a.value for a in node.bases if a.keyword is None])

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.BaseStatement:
        is_pub = self.class_stack.pop()
        self.bases_stack.pop()
        if not is_pub or not isinstance(updated_node.body, cst.IndentedBlock):
            return updated_node
        body = list(updated_node.body.body)
        orig_body = list(original_node.body.body) if isinstance(original_node.body, cst.IndentedBlock) else []
        removed: list[str] = []
        removed_attrs: dict[str, int] = {}
        changed = False
        comment_at: Optional[int] = None  # where the removed slot methods were
        new_body: list[cst.BaseStatement] = []
        for k, stmt in enumerate(body):
            orig = orig_body[k] if k < len(orig_body) else stmt
            if _is_thread_safe_assign(stmt):
                self.rewritten(orig, "is_thread_safe removed: a Jack App is always thread-safe")
                changed = True
                continue
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value in _REQUEST_SLOT_METHODS and (
                is_request_slot_override(stmt)
            ):
                removed.append(stmt.name.value)
                for a, n in self_attrs(stmt.body, stmt.params.params[0].name.value).items():
                    removed_attrs[a] = removed_attrs.get(a, 0) + n
                self.rewritten(orig, f"{stmt.name.value} override removed: the request is per "
                                     "thread (context variable) in Jack")
                if comment_at is None:
                    comment_at = len(new_body)
                changed = True
                continue
            new_body.append(stmt)
        if not changed:
            return updated_node
        if removed_attrs:
            new_body = _drop_slot_stores(new_body, removed_attrs, original_node)
        if removed and comment_at is not None:
            first_removed = comment_at
            names = ", ".join(removed)
            text = REMOVED_COMMENT.format(names=names, s="s" if len(removed) > 1 else "",
                                          they="they" if len(removed) > 1 else "it")
            comments = comment_lines(text)
            if first_removed < len(new_body):
                target = new_body[first_removed]
                new_body[first_removed] = target.with_changes(
                    leading_lines=[*_leading_lines(target), *comments]
                )
            else:
                footer = [*updated_node.body.footer, *[c.with_changes(indent=True) for c in comments]]
                if not new_body:
                    new_body = [cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=comments)]
                    footer = list(updated_node.body.footer)
                return updated_node.with_changes(body=updated_node.body.with_changes(body=new_body, footer=footer))
        if not new_body:
            new_body = [cst.SimpleStatementLine(body=[cst.Pass()])]
        return updated_node.with_changes(body=updated_node.body.with_changes(body=new_body))

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        self.function_stack.pop()
        if self.class_stack and self.class_stack[-1] and original_node.name.value in _REQUEST_SLOT_METHODS and (
            not is_request_slot_override(original_node)
        ):
            self.mark(original_node, _slot_todo(original_node.name.value))
        return updated_node

    # ---- statements: instance flags and request-slot calls ----
    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> Union[cst.SimpleStatementLine, cst.RemovalSentinel]:
        keep = []
        replaced = False
        framework = self.framework
        for small, orig in zip(updated_node.body, original_node.body):
            if framework and isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(
                small.targets[0].target, cst.Attribute
            ) and small.targets[0].target.attr.value == "is_thread_safe":
                self.rewritten(orig, "is_thread_safe assignment removed: a Jack App is always thread-safe")
                continue
            if self.class_stack and self.class_stack[-1] and isinstance(small, cst.Expr) and isinstance(
                small.value, cst.Call
            ):
                name = call_name(small.value)
                last = name.rpartition(".")[2]
                if last in ("_set_request", "_clear_request") and name.count(".") >= 1:
                    if self.function_stack and self.function_stack[-1]:
                        keep.append(self._bind_statement(small, last))
                        replaced = True
                        self.rewritten(orig, f"{last}() -> jack_runtime.context."
                                             f"{'bind' if last == '_set_request' else 'unbind'}: this "
                                             "process_request is where the request becomes current")
                        continue
                    self.rewritten(orig, f"{last}() call removed: Jack binds the request to the "
                                         "context itself")
                    continue
            keep.append(small)
        if len(keep) == len(updated_node.body) and not replaced:
            return updated_node
        return keep_statements(updated_node, keep)

    def _bind_statement(self, small: cst.Expr, which: str) -> cst.BaseSmallStatement:
        self.add_import("jack_runtime.context")
        context = cst.Attribute(value=cst.Name("jack_runtime"), attr=cst.Name("context"))
        call = small.value
        assert isinstance(call, cst.Call)
        if which == "_set_request":
            args = [a for a in call.args if not (isinstance(a.value, cst.Name) and a.value.value == "self")]
            request = args[-1].value if args else cst.Name("request")
            return cst.Assign(
                targets=[cst.AssignTarget(target=cst.Name(_TOKEN))],
                value=cst.Call(func=cst.Attribute(value=context, attr=cst.Name("bind")),
                               args=[cst.Arg(cst.Name("self"), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                                     cst.Arg(request)]),
            )
        return cst.Expr(cst.Call(func=cst.Attribute(value=context, attr=cst.Name("unbind")),
                                 args=[cst.Arg(cst.Name(_TOKEN))]))

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        return pass_if_empty(updated_node)

    # ---- calls: constructor and base __init__ ----
    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        func = original_node.func
        q = self.ctx.qualify(func)
        root_index: Optional[int] = None
        what = ""
        if q in ROOTS:
            root_index, what = 0, "Publisher(...)" if q == PUBLISHER else "App(...)"
        elif isinstance(func, cst.Name) and self.table is not None and func.value in self.table.bases and (
            not self.has_init.get(func.value) and self.table.derives(self, self.table.bases[func.value], ROOTS)
        ) and q is None:
            root_index, what = 0, f"{func.value}(...)"
        elif isinstance(func, cst.Attribute) and func.attr.value == "__init__":
            owner = func.value
            if self.ctx.qualify(owner) in ROOTS:
                root_index, what = 1, "Publisher.__init__(...)"
            elif isinstance(owner, cst.Call) and any(self.class_stack) and call_name(owner) == "super" and (
                self._direct_base_is_root()
            ):
                root_index, what = 0, "super().__init__(...)"
        if root_index is None:
            return updated_node
        new, problems = keywordize(updated_node, root_index)
        for p in problems:
            self.mark(original_node, p)
        if new is not None:
            self.rewritten(original_node, f"{what}: arguments after the root passed by keyword, as App takes them")
            return new
        if q == PUBLISHER and not problems:
            self.rewritten(original_node, "Publisher(...) -> App(...)")
        return updated_node

    def _direct_base_is_root(self) -> bool:
        # super() inside a Publisher subclass whose first base is Publisher/App itself
        bases = self.bases_stack[-1] if self.bases_stack else []
        return bool(bases) and self.ctx.qualify(bases[0]) in ROOTS

    # ---- end ----
    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        for mod in sorted(self.remove_from):
            self.remove_import(mod, "Publisher")
        for local in sorted(self.need_app - {self.in_place_local}):
            self.add_import("jack_runtime.app", "App", None if local == "App" else local)
        return updated_node


def _imports_publisher(node: cst.ImportFrom) -> bool:
    from jackmigrate.imports import dotted

    if node.module is None or isinstance(node.names, cst.ImportStar):
        return False
    mod = dotted(node.module)
    return any(f"{mod}.{dotted(a.name)}" == PUBLISHER for a in node.names)


def _slot_todo(name: str) -> str:
    if name == "get_request":
        return ("Jack's App.get_request() returns the request of the current context; this "
                "override is not needed for thread safety: keep only what it adds, then delete it")
    return (f"Jack never calls {name} (the request lives in a context variable): move the rest of "
            "this override (besides storing the request) into start_request() or parse_request(), "
            "then delete it")


def _is_thread_safe_assign(stmt: cst.BaseStatement) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    small = stmt.body[0]
    if isinstance(small, cst.Assign):
        return len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name) and (
            small.targets[0].target.value == "is_thread_safe"
        )
    if isinstance(small, cst.AnnAssign):
        return isinstance(small.target, cst.Name) and small.target.value == "is_thread_safe"
    return False


def _leading_lines(stmt: cst.BaseStatement) -> list[cst.EmptyLine]:
    return list(getattr(stmt, "leading_lines", ()))


def _drop_slot_stores(
    body: list[cst.BaseStatement], removed_attrs: dict[str, int], cls: cst.ClassDef
) -> list[cst.BaseStatement]:
    """Remove ``self.X = {}`` / ``threading.local()`` from __init__ when X was only used by
    the removed request-slot methods."""
    total = self_attrs(cls.body)
    out = []
    for stmt in body:
        if not (isinstance(stmt, cst.FunctionDef) and stmt.name.value == "__init__"
                and isinstance(stmt.body, cst.IndentedBlock) and stmt.params.params):
            out.append(stmt)
            continue
        self_name = stmt.params.params[0].name.value
        new_inner = []
        for s in stmt.body.body:
            attr = _slot_store_attr(s, self_name)
            if attr is not None and attr in removed_attrs and total.get(attr, 0) == removed_attrs[attr] + 1:
                continue
            new_inner.append(s)
        if len(new_inner) != len(stmt.body.body):
            if not new_inner or all(is_docstring(s) for s in new_inner):
                new_inner.append(cst.SimpleStatementLine(body=[cst.Pass()]))
            stmt = stmt.with_changes(body=stmt.body.with_changes(body=new_inner))
        out.append(stmt)
    return out


def _slot_store_attr(stmt: cst.BaseStatement, self_name: str) -> Optional[str]:
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if not isinstance(small, cst.Assign) or len(small.targets) != 1:
        return None
    t = small.targets[0].target
    if not (isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == self_name):
        return None
    v = small.value
    if isinstance(v, cst.Dict) and not v.elements:
        return t.attr.value
    if isinstance(v, cst.Call) and not v.args and call_name(v).rpartition(".")[2] in _SLOT_STORE_FACTORIES:
        return t.attr.value
    return None


__all__ = ["PublisherToApp", "is_request_slot_override", "keywordize"]
