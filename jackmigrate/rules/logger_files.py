"""JM019: code using the log files of Quixote's DefaultLogger (Jack logs through `logging`)."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from jackmigrate.rules._common import ClassTable, PyRule, jack_equivalents
from jackmigrate.rules.base import NEEDS_REVIEW, Example

LOGGERS = jack_equivalents(["quixote.logger.DefaultLogger"])
FILE_ATTRS = ("error_log", "access_log")
TODO = (
    "Jack's DefaultLogger writes through `logging`: self.error_logger and self.access_logger "
    "(logging.Logger objects, names '<name>.error'/'<name>.access') replace Quixote's "
    "error_log/access_log file objects; log with them (or attach a logging handler) instead"
)
ASSIGN_TODO = (
    "Jack's DefaultLogger has no error_log/access_log files to swap: attach a logging handler "
    "to logging.getLogger('jack.access') / ('jack.error') instead (Quixote's simple_server "
    "did this to print the access log on stdout)"
)


class LoggerFiles(PyRule):
    id = "JM019"
    name = "logger-files"
    summary = "Mark uses of DefaultLogger's error_log/access_log file objects"
    rationale = (
        "jack_runtime.logger.DefaultLogger keeps Quixote's interface (log, log_internal_error, "
        "log_request; ERROR_LOG/ACCESS_LOG file names and ERROR_EMAIL still work), so "
        "subclasses overriding those methods carry over.  It writes through the `logging` "
        "module instead of holding open files, and it never replaces sys.stdout (Quixote "
        "sends print() to the error log, process-wide).  Code writing to self.error_log / "
        "self.access_log in a DefaultLogger subclass, or assigning a publisher's "
        "logger.access_log, is marked with the logging equivalent."
    )
    applicability = NEEDS_REVIEW
    markers = ("error_log", "access_log")
    index_markers = ("quixote.logger.DefaultLogger",)
    examples = (
        Example(
            title="a logger subclass writing to Quixote's file",
            before=(
                "from quixote.logger import DefaultLogger\n"
                "class Logger(DefaultLogger):\n"
                "    def log_request(self, request, start_time):\n"
                "        self.access_log.write(request.get_path() + '\\n')\n"
            ),
            after=(
                "from quixote.logger import DefaultLogger\n"
                "class Logger(DefaultLogger):\n"
                f"    # TODO(jackmigrate JM019): {TODO}\n"
                "    def log_request(self, request, start_time):\n"
                "        self.access_log.write(request.get_path() + '\\n')\n"
            ),
        ),
        Example(
            title="the access log sent to stdout",
            before=(
                "import sys\n"
                "from quixote.publish import Publisher\n"
                "publisher = Publisher(root)\n"
                "publisher.logger.access_log = sys.stdout\n"
            ),
            after=(
                "import sys\n"
                "from quixote.publish import Publisher\n"
                "publisher = Publisher(root)\n"
                f"# TODO(jackmigrate JM019): {ASSIGN_TODO}\n"
                "publisher.logger.access_log = sys.stdout\n"
            ),
        ),
        Example(
            title="no change: a config option of the same name",
            before="from quixote.config import Config\nconfig = Config(access_log='/var/log/access')\n",
        ),
    )

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.table: Optional[ClassTable] = None
        self.stack: list[bool] = []
        self.functions: list[tuple[cst.FunctionDef, bool]] = []

    def visit_Module(self, node: cst.Module) -> None:
        self.table = ClassTable.of(self, node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        assert self.table is not None
        self.stack.append(self.table.class_derives(self, node, LOGGERS))

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self.stack.pop()
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append((node, False))

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        node, uses = self.functions.pop()
        if uses:
            self.mark(original_node, TODO)
        return updated_node

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value not in FILE_ATTRS or not self.stack or not self.stack[-1] or not self.functions:
            return
        if isinstance(node.value, cst.Name) and node.value.value == "self":
            fn, _ = self.functions[-1]
            self.functions[-1] = (fn, True)

    def visit_Assign(self, node: cst.Assign) -> None:
        if not any(v.startswith(("quixote", "jack_runtime")) for v in self.ctx.bindings.values()):
            return
        for t in node.targets:
            target = t.target
            if (
                isinstance(target, cst.Attribute) and target.attr.value in FILE_ATTRS
                and isinstance(target.value, cst.Attribute) and target.value.attr.value == "logger"
            ):
                self.mark(node, ASSIGN_TODO)
