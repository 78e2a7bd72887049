"""JM016: custom HTTPRequest classes wired through Publisher.process or QWIP.request_class
-> App.request_class."""

from __future__ import annotations

from typing import Optional, Union

import libcst as cst

from jackmigrate.rules._common import PyRule, ClassTable, call_name, docstring_free, jack_equivalents
from jackmigrate.rules.base import SAFE, Example

PUBLISHERS = jack_equivalents(["quixote.publish.Publisher"])
QWIP = "quixote.wsgi.QWIP"

PROCESS_TODO = (
    "Jack's App builds each request as self.request_class(environ['wsgi.input'], environ) and "
    "does not call process() when serving WSGI: set request_class = <your HTTPRequest subclass> "
    "on this class and move the rest of process() into process_request() or parse_request()"
)
QWIP_TODO = (
    "a Jack App is the WSGI application and builds requests with its request_class: set "
    "request_class on your App subclass (or app.request_class = ...) instead of on QWIP"
)


def _request_class_of_process(fn: cst.FunctionDef) -> Optional[cst.BaseExpression]:
    """``X`` when ``process(self, stdin, env)`` only does ``return
    self.process_request(X(stdin, env))`` (in one or two statements)."""
    params = fn.params.params
    if len(params) != 3 or fn.decorators or not isinstance(fn.body, cst.IndentedBlock):
        return None
    self_name, stdin, env = (p.name.value for p in params)
    body = docstring_free(fn.body.body)
    smalls = []
    for stmt in body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            return None
        smalls.extend(stmt.body)

    def ctor(call: cst.BaseExpression) -> Optional[cst.BaseExpression]:
        if (
            isinstance(call, cst.Call) and len(call.args) == 2
            and all(a.keyword is None and not a.star for a in call.args)
            and [getattr(a.value, "value", None) for a in call.args] == [stdin, env]
        ):
            return call.func
        return None

    def process_request_of(expr: Optional[cst.BaseExpression]) -> Optional[cst.BaseExpression]:
        if isinstance(expr, cst.Call) and call_name(expr) == f"{self_name}.process_request" and len(expr.args) == 1:
            return expr.args[0].value
        return None

    if len(smalls) == 1 and isinstance(smalls[0], cst.Return):
        return ctor(process_request_of(smalls[0].value))  # type: ignore[arg-type]
    if len(smalls) == 2 and isinstance(smalls[0], cst.Assign) and isinstance(smalls[1], cst.Return):
        assign = smalls[0]
        if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
            return None
        arg = process_request_of(smalls[1].value)
        if isinstance(arg, cst.Name) and arg.value == assign.targets[0].target.value:
            return ctor(assign.value)
    return None


class RequestClass(PyRule):
    id = "JM016"
    name = "request-class"
    summary = "Custom HTTPRequest classes wired through Publisher.process or QWIP become App.request_class"
    rationale = (
        "Quixote has two places to plug an HTTPRequest subclass: an overridden "
        "Publisher.process(stdin, env) building it, or QWIP.request_class.  A Jack App builds "
        "every request itself as self.request_class(environ['wsgi.input'], environ) (Quixote's "
        "constructor signature, so the subclass keeps working) and its response with the "
        "request's response_class.  A process() override that only builds the custom request "
        "becomes the class attribute request_class; one doing more, and request_class set on "
        "QWIP, are marked."
    )
    applicability = SAFE
    # Every change needs a class deriving from Quixote's Publisher or QWIP: an import of
    # quixote, or a project subclass the index knows. ("process" alone let a third of
    # the standard library through the prefilter.)
    markers = ("quixote",)
    index_markers = ("quixote.publish.Publisher", QWIP)
    examples = (
        Example(
            title="process() building a custom request",
            before=(
                "from quixote.publish import Publisher\n"
                "\n"
                "class SitePublisher(Publisher):\n"
                "    def process(self, stdin, env):\n"
                "        request = SiteRequest(stdin, env)\n"
                "        return self.process_request(request)\n"
            ),
            after=(
                "from quixote.publish import Publisher\n"
                "\n"
                "class SitePublisher(Publisher):\n"
                "    request_class = SiteRequest\n"
            ),
        ),
        Example(
            title="request_class set on QWIP is marked",
            before=(
                "from quixote.wsgi import QWIP\n"
                "QWIP.request_class = SiteRequest\n"
            ),
            after=(
                "from quixote.wsgi import QWIP\n"
                "# TODO(jackmigrate JM016): a Jack App is the WSGI application and builds requests with its request_class: set request_class on your App subclass (or app.request_class = ...) instead of on QWIP\n"
                "QWIP.request_class = SiteRequest\n"
            ),
        ),
        Example(
            title="no change: an App with its request_class",
            before=(
                "from jack_runtime.app import App\n"
                "class Site(App):\n"
                "    request_class = SiteRequest\n"
            ),
        ),
    )

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.table: Optional[ClassTable] = None
        self.stack: list[bool] = []

    def visit_Module(self, node: cst.Module) -> None:
        self.table = ClassTable.of(self, node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        assert self.table is not None
        self.stack.append(self.table.class_derives(self, node, PUBLISHERS))
        if self.table.class_derives(self, node, frozenset({QWIP})):
            self.mark(node, QWIP_TODO)

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self.stack.pop()
        return updated_node

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> Union[cst.FunctionDef, cst.SimpleStatementLine]:
        if not self.stack or not self.stack[-1] or original_node.name.value != "process":
            return updated_node
        cls = _request_class_of_process(updated_node)
        if cls is None:
            self.mark(original_node, PROCESS_TODO)
            return updated_node
        self.rewritten(original_node, "process() override -> request_class attribute")
        return cst.SimpleStatementLine(
            body=[cst.Assign(targets=[cst.AssignTarget(target=cst.Name("request_class"))], value=cls)],
            leading_lines=updated_node.leading_lines,
        )

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        for t in original_node.targets:
            if isinstance(t.target, cst.Attribute) and t.target.attr.value == "request_class" and (
                self.ctx.qualify(t.target.value) == QWIP
            ):
                self.mark(original_node, QWIP_TODO)
        return updated_node
