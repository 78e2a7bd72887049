"""JM011: Quixote's servers, QWIP, get_wsgi_app() and create_publisher() -> a WSGI app
served by jack_runtime.serve (CGI by wsgiref)."""

from __future__ import annotations

import re
from typing import Iterable, Optional, Sequence

import libcst as cst

from jackmigrate.imports import count_names, dotted, source_module
from jackmigrate.rules._common import (
    PyRule,
    call_name,
    index_memo,
    index_modules,
    shared_module_level_names,
    string_value,
    uses_quixote_or_jack,
)
from jackmigrate.rules.base import NEEDS_REVIEW, Example
from jackmigrate.walk import BatchWalker, NodeSet

_HTTP_RUNS = {
    "quixote.server.simple_server.run": "simple_server",
    "quixote.server.threaded_server.run": "threaded_server",
    "quixote.server.wsgi_server.run": "wsgi_server",
}
SCGI_RUN = "quixote.server.scgi_server.run"
CGI_RUN = "quixote.server.cgi_server.run"
SERVER_RUNS = frozenset({*_HTTP_RUNS, SCGI_RUN, CGI_RUN})
SERVER_MAINS = frozenset(
    f"quixote.server.{m}.main" for m in ("simple_server", "threaded_server", "wsgi_server", "scgi_server", "util")
)
QWIP = "quixote.wsgi.QWIP"
GET_WSGI_APP = frozenset({"quixote.get_wsgi_app", "quixote.publish.get_wsgi_app"})
# After the first pass a lonely get_wsgi_app() is Jack's: it is marked again in every pass.
JACK_GET_WSGI_APP = "jack_runtime.get_wsgi_app"
PUBLISHER_NAMES = frozenset({"quixote.publish.Publisher", "jack_runtime.app.App"})
OLD_FACTORY = "create_publisher"
NEW_FACTORY = "create_app"
# Quixote's run() defaults (quixote/server/*.py) differ from jack_runtime.serve.run's
# (127.0.0.1:8080): a call relying on them gets them written out.
_DEFAULTS = {"simple_server": ("", 80), "threaded_server": ("", 80), "wsgi_server": ("", 80),
             "scgi_server": ("localhost", 3000)}
_QUIXOTE_RUN_CMD = re.compile(r"-m\s+quixote\s+run\b|\bquixote\s+run\s+--")
# A string's value can hold that command only if the code shows `quixote` and `run` with
# whitespace between, written as such or as escapes (\t, a line continuation...), unless
# an escape that can stand for any letter (\x41, \u..., \N{...}, octal) is used somewhere.
_RUN_CMD_WRITTEN = re.compile(r"quixote(?:\s|\\[tnrvf]|\\\r?\n|\\\r)+run")
_MAY_SPELL_LETTERS = re.compile(r"\\[xuUN0-7]")

SCGI_TODO = (
    "this served SCGI to a front-end server (e.g. Apache SCGIMount); Jack serves HTTP: point the "
    "front end at it as an HTTP proxy (ProxyPass), or serve the App with gunicorn/uWSGI; "
    "max_children and session_affinity have no waitress equivalent (use threads= or gunicorn workers)"
)
MAIN_TODO = (
    "Quixote's server command line: serve with `jack serve <module>:create_app --host H --port P` "
    "(jack_runtime.serve.main) instead"
)


def _is_factory_call(node: cst.BaseExpression, rule: PyRule) -> bool:
    if not isinstance(node, cst.Call):
        return False
    q = rule.ctx.qualify(node.func)
    if q in PUBLISHER_NAMES:
        return True
    name = call_name(node).rpartition(".")[2]
    return name in (OLD_FACTORY, NEW_FACTORY) or "publisher" in name.lower()


def _kw(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        keyword=cst.Name(name),
        value=value,
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )


def _with_commas(args: list[cst.Arg]) -> list[cst.Arg]:
    out = []
    for i, a in enumerate(args):
        if i < len(args) - 1:
            if not isinstance(a.comma, cst.Comma):
                a = a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        else:
            a = a.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        out.append(a)
    return out


class ServerEntryPoints(PyRule):
    id = "JM011"
    name = "server-entry-points"
    summary = "Quixote servers, QWIP, get_wsgi_app() and create_publisher() become a WSGI app served by jack_runtime.serve"
    rationale = (
        "A Jack App is a WSGI application, thread-safe, and any number of them may live in one "
        "process, so the adapter layer of Quixote goes: QWIP(publisher) is the publisher "
        "itself; get_wsgi_app() after a factory call is the factory's result; the "
        "create_publisher() factory becomes create_app() (uses in the project follow); "
        "simple_server/threaded_server/wsgi_server.run(factory, host, port) becomes "
        "jack_runtime.serve.run (waitress; Quixote's defaults host='' and port=80 written out "
        "when the call relied on them, https=True as waitress's url_scheme); cgi_server.run "
        "becomes wsgiref's CGIHandler; scgi_server.run is served over HTTP and marked, since the "
        "front-end server configuration must change too.  The server modules' main() and "
        "`python -m quixote run` command lines are marked or reported: use `jack serve "
        "module:create_app`."
    )
    applicability = NEEDS_REVIEW
    markers = ("quixote", OLD_FACTORY)
    examples = (
        Example(
            title="mini_demo.py's entry point",
            before=(
                "def create_publisher():\n"
                "    return Publisher(RootDirectory(), display_exceptions='plain')\n"
                "\n"
                "if __name__ == '__main__':\n"
                "    from quixote.server.simple_server import run\n"
                "\n"
                "    print('creating demo listening on http://localhost:8080/')\n"
                "    run(create_publisher, host='localhost', port=8080)\n"
            ),
            after=(
                "def create_app():\n"
                "    return Publisher(RootDirectory(), display_exceptions='plain')\n"
                "\n"
                "if __name__ == '__main__':\n"
                "    from jack_runtime.serve import run\n"
                "\n"
                "    print('creating demo listening on http://localhost:8080/')\n"
                "    run(create_app, host='localhost', port=8080, threads=1)\n"
            ),
        ),
        Example(
            title="the WSGI snippet of Quixote's doc/wsgi.txt, and QWIP",
            before=(
                "import quixote\n"
                "from quixote.wsgi import QWIP\n"
                "from myapp import create_publisher\n"
                "\n"
                "create_publisher()\n"
                "application = quixote.get_wsgi_app()\n"
                "other = QWIP(make_other_publisher())\n"
            ),
            after=(
                "import quixote\n"
                "from myapp import create_publisher\n"
                "\n"
                "application = create_publisher()\n"
                "other = make_other_publisher()\n"
            ),
        ),
        Example(
            title="defaults written out, https and CGI",
            before=(
                "from quixote.server import simple_server, cgi_server\n"
                "simple_server.run(create_publisher, https=True)\n"
                "cgi_server.run(create_publisher)\n"
            ),
            after=(
                "from quixote.server import simple_server, cgi_server\n"
                "import jack_runtime.serve\n"
                "import wsgiref.handlers\n"
                "jack_runtime.serve.run(create_publisher, host='', port=80, url_scheme='https', threads=1)\n"
                "wsgiref.handlers.CGIHandler().run(create_publisher())\n"
            ),
        ),
        Example(
            title="SCGI is served over HTTP and marked",
            before=(
                "from quixote.server.scgi_server import run\n"
                "run(create_publisher, port=3001, script_name='/app', max_children=10)\n"
            ),
            after=(
                "from quixote.server.scgi_server import run\n"
                "# TODO(jackmigrate JM011): this served SCGI to a front-end server (e.g. Apache SCGIMount); Jack serves HTTP: point the front end at it as an HTTP proxy (ProxyPass), or serve the App with gunicorn/uWSGI; max_children and session_affinity have no waitress equivalent (use threads= or gunicorn workers); then call jack_runtime.serve.run(create_publisher, port=3001, host='localhost', url_prefix='/app')\n"
                "run(create_publisher, port=3001, script_name='/app', max_children=10)\n"
            ),
        ),
        Example(
            title="get_wsgi_app() with no factory call in sight keeps working in a request, marked",
            before=(
                "from quixote import get_wsgi_app\n"
                "def wsgi_app():\n"
                "    return get_wsgi_app()\n"
            ),
            after=(
                "from jack_runtime import get_wsgi_app\n"
                "def wsgi_app():\n"
                "    # TODO(jackmigrate JM011): Jack has no process-wide publisher: get_wsgi_app() only works during a request; pass the App your factory returns instead\n"
                "    return get_wsgi_app()\n"
            ),
        ),
        Example(
            title="no change: a Jack entry point",
            before=(
                "from jack_runtime.serve import run\n"
                "def create_app():\n"
                "    return App(Root())\n"
                "run(create_app, host='localhost', port=8080)\n"
            ),
        ),
    )

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.not_uses: set[int] = set()
        self.rename_local_factory = False
        self.factory_imports: set[str] = set()  # local names imported from project factories
        self.jack_run_local: Optional[str] = None
        self.remove: set[tuple[str, str]] = set()
        self.name_uses: dict[str, int] = {}
        self.converted: dict[str, int] = {}
        self.factory_modules: frozenset[str] = frozenset()
        self.lonely: set[int] = set()  # get_wsgi_app() statements with no factory call before
        self.inplace: dict[str, str] = {}  # server module -> local name of its run, all converted
        self.name_calls = NodeSet()  # converted calls still calling the imported name
        self.requalify = False
        self.wsgi_app_bound = True
        self.calls_bound = True

    # ---- setup ----
    def visit_Module(self, node: cst.Module) -> None:
        defined = shared_module_level_names(self, node)
        has_def = any(isinstance(s, cst.FunctionDef) and s.name.value == OLD_FACTORY for s in node.body)
        # a create_publisher in a file that imports neither Quixote nor Jack is someone else's
        self.rename_local_factory = has_def and NEW_FACTORY not in defined and uses_quixote_or_jack(
            self.ctx.bindings)
        index = self.ctx.index
        self.factory_modules = index_memo(index, "JM011 factory modules", lambda: _factory_modules(index))
        # get_wsgi_app() calls are looked for only where an import can name that function.
        self.wsgi_app_bound = self.ctx.may_qualify_to((*GET_WSGI_APP, JACK_GET_WSGI_APP))
        self.calls_bound = self.ctx.may_qualify_to((QWIP, *SERVER_RUNS, *SERVER_MAINS))
        self._scan_block(node.body)
        # How often each imported name bound to a Quixote server object is used, so that an
        # import is removed only when every use was converted.
        watch = {
            local for local, full in self.ctx.bindings.items()
            if full in SERVER_RUNS or full in GET_WSGI_APP or full == QWIP
        }
        # A full visit only for files importing a server, QWIP or get_wsgi_app.
        self.name_uses = count_names(node, watch) if watch else {}

    def idle_methods(self) -> Iterable[str]:
        idle = []
        code = self.ctx.code
        # The factory's old name, the only name these handlers act on, is nowhere in the code.
        no_factory = code is not None and OLD_FACTORY not in code
        if not self.factory_modules or no_factory:
            idle += ["leave_ImportFrom", "leave_Attribute"]
            if not self.rename_local_factory:  # (factory_imports comes only from factory modules)
                idle += ["leave_Name", "visit_FunctionDef", "visit_Param", "visit_Arg", "visit_Attribute"]
        if not self.rename_local_factory:
            idle.append("leave_FunctionDef")
        if code is not None and not _MAY_SPELL_LETTERS.search(code) and not _RUN_CMD_WRITTEN.search(code):
            idle.append("visit_SimpleString")
        if not self.calls_bound:
            idle.append("leave_Call")
        if not self.wsgi_app_bound:
            idle += ["visit_IndentedBlock", "leave_IndentedBlock", "leave_SimpleStatementLine"]
        return idle

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom) -> cst.ImportFrom:
        # from <project module with a create_publisher factory> import create_publisher
        if not self.factory_modules or updated_node.module is None or isinstance(updated_node.names, cst.ImportStar):
            return updated_node
        mod = source_module(updated_node, self.ctx.module_name)
        if mod not in self.factory_modules:
            return updated_node
        names = []
        changed = False
        for alias in updated_node.names:
            if isinstance(alias.name, cst.Name) and alias.name.value == OLD_FACTORY:
                if alias.asname is None:
                    self.factory_imports.add(OLD_FACTORY)
                alias = alias.with_changes(name=cst.Name(NEW_FACTORY))
                changed = True
                self.rewritten(original_node, f"{mod}.{OLD_FACTORY} is now {mod}.{NEW_FACTORY}")
            names.append(alias)
        return updated_node.with_changes(names=names) if changed else updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.not_uses.add(id(node.name))

    def visit_Param(self, node: cst.Param) -> None:
        self.not_uses.add(id(node.name))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.not_uses.add(id(node.keyword))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.not_uses.add(id(node.attr))

    # ---- the factory name ----
    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        if self.rename_local_factory and original_node.name.value == OLD_FACTORY:
            self.rewritten(original_node, f"{OLD_FACTORY}() factory renamed {NEW_FACTORY}(): it returns a WSGI app")
            return updated_node.with_changes(name=cst.Name(NEW_FACTORY))
        return updated_node

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        if original_node.value != OLD_FACTORY or id(original_node) in self.not_uses:
            return updated_node
        if self.rename_local_factory or OLD_FACTORY in self.factory_imports:
            return updated_node.with_changes(value=NEW_FACTORY)
        return updated_node

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        if original_node.attr.value == OLD_FACTORY and self.factory_modules:
            q = self.ctx.qualify(original_node)
            if q is not None and q.rpartition(".")[0] in self.factory_modules:
                return updated_node.with_changes(attr=cst.Name(NEW_FACTORY))
        return updated_node

    # ---- strings: `python -m quixote run` ----
    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        raw = node.value
        if "quixote" not in raw and "\\" not in raw:  # (an escape could spell it)
            return
        value = string_value(node)
        if value and _QUIXOTE_RUN_CMD.search(value):
            self.unsupported(
                node, "`python -m quixote run` command line in text",
                "text, not code: serve the app with `jack serve <module>:create_app --host H --port P`",
            )

    # ---- calls ----
    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if not self.calls_bound:
            return updated_node
        q = self.ctx.qualify(original_node.func)
        if q is None:
            return updated_node
        if q == QWIP:
            if len(updated_node.args) == 1 and not updated_node.args[0].keyword and not updated_node.args[0].star:
                self._converted(original_node.func)
                if isinstance(original_node.func, cst.Name):
                    self.remove.add((self.ctx.bindings[original_node.func.value].rpartition(".")[0], "QWIP"))
                self.rewritten(original_node, "QWIP(publisher) -> the App itself (a WSGI application)")
                return updated_node.args[0].value
            self.mark(original_node, "a Jack App is the WSGI application: use it instead of QWIP(...)")
            return updated_node
        if q in SERVER_RUNS:
            return self._server_run(q, original_node, updated_node)
        if q in SERVER_MAINS:
            self.mark(original_node, MAIN_TODO)
        return updated_node

    def _converted(self, func: cst.BaseExpression) -> None:
        if isinstance(func, cst.Name):
            self.converted[func.value] = self.converted.get(func.value, 0) + 1

    def _server_run(self, q: str, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        args = list(updated.args)
        if not args or args[0].keyword is not None or args[0].star:
            self.mark(original, "call jack_runtime.serve.run(factory_or_app, host=..., port=...) here")
            return updated
        factory = args[0].value
        func = original.func
        if q == CGI_RUN:
            self._converted(func)
            if isinstance(func, cst.Name):
                self.remove.add((self.ctx.bindings[func.value].rpartition(".")[0], "run"))
            self.add_import("wsgiref.handlers")
            self.rewritten(original, "cgi_server.run(factory) -> wsgiref.handlers.CGIHandler().run(factory())")
            handler = cst.Call(func=cst.Attribute(value=cst.Attribute(
                value=cst.Name("wsgiref"), attr=cst.Name("handlers")), attr=cst.Name("CGIHandler")))
            return cst.Call(func=cst.Attribute(value=handler, attr=cst.Name("run")),
                            args=[cst.Arg(value=cst.Call(func=factory))])
        server = _HTTP_RUNS.get(q, "scgi_server")
        default_host, default_port = _DEFAULTS[server]
        positional = [a for a in args[1:] if a.keyword is None]
        if any(a.star for a in args):
            self.mark(original, "arguments passed with * or **: check them against jack_runtime.serve.run(app, host, port, **waitress_settings)")
            return updated
        keywords = {a.keyword.value: a for a in args if a.keyword is not None}  # type: ignore[union-attr]
        new_args: list[cst.Arg] = [args[0], *positional[:2]]
        extra_positional = positional[2:]
        have_host = len(positional) >= 1 or "host" in keywords
        have_port = len(positional) >= 2 or "port" in keywords
        for key in ("host", "port"):
            if key in keywords:
                new_args.append(keywords[key])
        if not have_host:
            new_args.append(_kw("host", cst.SimpleString(repr(default_host))))
        if not have_port:
            new_args.append(_kw("port", cst.Integer(str(default_port))))
        problems: list[str] = []
        https = keywords.get("https")
        if https is None and server != "scgi_server" and server != "wsgi_server" and extra_positional:
            https = extra_positional.pop(0)
        if https is not None:
            value = https.value
            if isinstance(value, cst.Name) and value.value == "True":
                new_args.append(_kw("url_scheme", cst.SimpleString("'https'")))
            elif not (isinstance(value, cst.Name) and value.value == "False"):
                new_args.append(_kw("url_scheme", cst.IfExp(
                    test=value, body=cst.SimpleString("'https'"), orelse=cst.SimpleString("'http'"),
                    whitespace_before_if=cst.SimpleWhitespace(" "), whitespace_after_if=cst.SimpleWhitespace(" "),
                    whitespace_before_else=cst.SimpleWhitespace(" "), whitespace_after_else=cst.SimpleWhitespace(" "),
                )))
        if server in ("simple_server", "threaded_server"):
            # Both ran the publisher in one thread: the factory may open thread-bound
            # resources (sqlite3, Durus); jack_runtime.serve.run builds and serves it in one.
            new_args.append(_kw("threads", cst.Integer("1")))
        if server == "scgi_server":
            script = keywords.get("script_name")
            if script is None and extra_positional:
                script = extra_positional.pop(0)
            if script is not None and not (isinstance(script.value, cst.Name) and script.value.value == "None"):
                new_args.append(_kw("url_prefix", script.value))
            problems.append(SCGI_TODO)
        if "handler_class" in keywords or (server == "wsgi_server" and extra_positional):
            problems.append("wsgiref's handler_class has no equivalent: waitress serves the App; "
                            "port any custom request handling to WSGI middleware")
        unknown = set(keywords) - {"host", "port", "https", "script_name", "max_children", "session_affinity", "handler_class"}
        if unknown:
            problems.append(f"unknown argument(s) {', '.join(sorted(unknown))} of {q}: check them")
        call = updated.with_changes(args=_with_commas(new_args))
        if problems:
            # Left as it is (a rewrite would hide what still needs doing); the TODO says
            # what the Jack call would be.
            suggestion = cst.Module([]).code_for_node(call.with_changes(func=cst.Attribute(
                value=cst.Attribute(value=cst.Name("jack_runtime"), attr=cst.Name("serve")), attr=cst.Name("run"))))
            for p in problems:
                self.mark(original, f"{p}; then call {suggestion}")
            return updated
        if isinstance(func, cst.Name):
            self._converted(func)
            local = func.value
            self.remove.add((self.ctx.bindings[local].rpartition(".")[0], "run"))
            self.jack_run_local = local
            self.name_calls.add(call)
        else:
            call = call.with_changes(func=cst.Attribute(
                value=cst.Attribute(value=cst.Name("jack_runtime"), attr=cst.Name("serve")), attr=cst.Name("run")))
            self.add_import("jack_runtime.serve")
        self.rewritten(original, f"{server}.run -> jack_runtime.serve.run (waitress)")
        return call

    # ---- get_wsgi_app(): needs the statements before it ----
    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        body = self._wsgi_app_body(list(updated_node.body))
        if body is None:
            return updated_node
        return updated_node.with_changes(body=body or [cst.SimpleStatementLine(body=[cst.Pass()])])

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        body = self._wsgi_app_body(list(updated_node.body))
        if body is not None:
            updated_node = updated_node.with_changes(body=body)
        for mod, name in sorted(self.remove):
            local = self._local_for(mod, name)
            if local is not None and self.name_uses.get(local, 0) > self.converted.get(local, 0):
                # some use is left, so the name keeps meaning Quixote's: the converted calls
                # call jack_runtime.serve.run by its full name (transform_module)
                if name == "run" and local == self.jack_run_local:
                    self.requalify = True
                continue
            if name == "run" and local is not None and local == self.jack_run_local and mod != CGI_RUN.rpartition(".")[0]:
                # switched in place by transform_module (keeps the import where it was,
                # e.g. inside the __main__ block, so importing the module stays cheap)
                self.inplace[mod] = local
                continue
            self.remove_import(mod, name)
        return updated_node

    def transform_module(self, module: cst.Module) -> cst.Module:
        # (the engine's walker: libcst's visit would rebuild every node, changed or not)
        if self.requalify and self.name_calls:
            module = BatchWalker([_Requalify(self.name_calls)]).walk(module)
            self.add_import("jack_runtime.serve")
        if not self.inplace:
            return module
        switcher = _RunImportSwitcher(self.inplace)
        out = BatchWalker([switcher]).walk(module)
        for mod, local in self.inplace.items():
            if mod not in switcher.done:
                self.remove_import(mod, "run")
                self.add_import("jack_runtime.serve", "run", None if local == "run" else local)
        return out

    def _local_for(self, mod: str, name: str) -> Optional[str]:
        for local, full in self.ctx.bindings.items():
            if full == f"{mod}.{name}":
                return local
        return None

    def _wsgi_app_body(self, body: list[cst.BaseStatement]) -> Optional[list[cst.BaseStatement]]:
        changed = False
        out: list[cst.BaseStatement] = []
        for stmt in body:
            call = self._get_wsgi_app_call(stmt)
            if call is None:
                out.append(stmt)
                continue
            replacement: Optional[cst.BaseExpression] = None
            prev = out[-1] if out else None
            if isinstance(prev, cst.SimpleStatementLine) and len(prev.body) == 1:
                small = prev.body[0]
                if isinstance(small, cst.Expr) and _is_factory_call(small.value, self):
                    replacement = small.value
                    out.pop()
                    if prev.leading_lines:
                        stmt = stmt.with_changes(leading_lines=[*prev.leading_lines, *stmt.leading_lines])
                elif isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(
                    small.targets[0].target, cst.Name
                ) and _is_factory_call(small.value, self):
                    replacement = small.targets[0].target
            func_name = call.func.value if isinstance(call.func, cst.Name) else None
            if replacement is not None:
                stmt = _replace_node(stmt, call, replacement)
                self.rewritten(call, "get_wsgi_app() -> the App returned by the factory")
                if func_name:
                    self.converted[func_name] = self.converted.get(func_name, 0) + 1
                    self.remove.add((self.ctx.bindings[func_name].rpartition(".")[0], "get_wsgi_app"))
                changed = True
            else:
                out.append(stmt)
                continue
            out.append(stmt)
        return out if changed else None

    def _scan_block(self, body: Sequence[cst.BaseStatement]) -> None:
        prev: Optional[cst.BaseStatement] = None
        for stmt in body:
            if self._get_wsgi_app_call(stmt) is not None and not self._factory_statement(prev):
                self.lonely.add(id(stmt))
            prev = stmt

    def _factory_statement(self, prev: Optional[cst.BaseStatement]) -> bool:
        if not isinstance(prev, cst.SimpleStatementLine) or len(prev.body) != 1:
            return False
        small = prev.body[0]
        if isinstance(small, cst.Expr):
            return _is_factory_call(small.value, self)
        return isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(
            small.targets[0].target, cst.Name) and _is_factory_call(small.value, self)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._scan_block(node.body)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        if id(original_node) not in self.lonely:
            return updated_node
        call = self._get_wsgi_app_call(original_node)
        assert call is not None
        self.mark(call, "Jack has no process-wide publisher: get_wsgi_app() only works during a "
                        "request; pass the App your factory returns instead")
        func_name = call.func.value if isinstance(call.func, cst.Name) else None
        if self.ctx.qualify(call.func) == JACK_GET_WSGI_APP:
            return updated_node
        if func_name:
            self.converted[func_name] = self.converted.get(func_name, 0) + 1
            self.remove.add((self.ctx.bindings[func_name].rpartition(".")[0], "get_wsgi_app"))
            self.add_import("jack_runtime", "get_wsgi_app", None if func_name == "get_wsgi_app" else func_name)
            return updated_node
        new_call = self._get_wsgi_app_call(updated_node)
        assert new_call is not None
        self.add_import("jack_runtime")
        return _replace_node(updated_node, new_call, cst.Call(func=cst.Attribute(
            value=cst.Name("jack_runtime"), attr=cst.Name("get_wsgi_app"))))

    def _get_wsgi_app_call(self, stmt: cst.BaseStatement) -> Optional[cst.Call]:
        if not self.wsgi_app_bound or not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            return None
        small = stmt.body[0]
        value = getattr(small, "value", None)
        if isinstance(value, cst.Call) and not value.args and self.ctx.qualify(value.func) in (
            *GET_WSGI_APP, JACK_GET_WSGI_APP
        ):
            return value
        return None


def _factory_modules(index: object) -> frozenset[str]:
    """The project's modules with a create_publisher() factory in a file that uses
    Quixote or Jack (the same for every file: computed once per index)."""
    if index is None:
        return frozenset()
    mods = set()
    for ep in getattr(index, "entry_points", ()) or ():
        if ep.kind == "publisher-factory" and ep.name == OLD_FACTORY:
            mod = index.module_name_for(ep.path)  # type: ignore[attr-defined]
            if uses_quixote_or_jack(getattr(index, "bindings", {}).get(mod, {})):
                mods.add(mod)
    return frozenset(mods & index_modules(index))


def _replace_node(tree: cst.CSTNode, old: cst.CSTNode, new: cst.CSTNode):  # type: ignore[no-untyped-def]
    return tree.deep_replace(old, new)


class _Requalify(cst.CSTTransformer):
    """Converted server calls -> ``jack_runtime.serve.run(...)`` by full name."""

    def __init__(self, calls: NodeSet) -> None:
        super().__init__()
        self.calls = calls

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if original_node not in self.calls:
            return updated_node
        return updated_node.with_changes(func=cst.Attribute(
            value=cst.Attribute(value=cst.Name("jack_runtime"), attr=cst.Name("serve")), attr=cst.Name("run")))


class _RunImportSwitcher(cst.CSTTransformer):
    """``from quixote.server.X import run`` -> ``from jack_runtime.serve import run``, in
    place, when the statement imports nothing else."""

    def __init__(self, modules: dict[str, str]) -> None:
        super().__init__()
        self.modules = modules
        self.done: set[str] = set()

    def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom) -> cst.ImportFrom:
        if updated_node.module is None or updated_node.relative or isinstance(updated_node.names, cst.ImportStar):
            return updated_node
        mod = dotted(updated_node.module)
        if mod not in self.modules or len(updated_node.names) != 1:
            return updated_node
        alias = updated_node.names[0]
        if not (isinstance(alias.name, cst.Name) and alias.name.value == "run"):
            return updated_node
        self.done.add(mod)
        return updated_node.with_changes(module=cst.Attribute(value=cst.Name("jack_runtime"), attr=cst.Name("serve")))
