"""JM015: Session / SessionManager / SessionStore subclasses on Jack's session module."""

from __future__ import annotations

from typing import Iterable, Optional

import libcst as cst

from jackmigrate.rules._common import PyRule, ClassTable, jack_equivalents
from jackmigrate.rules.base import NEEDS_REVIEW, Example

MANAGERS = jack_equivalents(["quixote.session.SessionManager", "quixote.session.BaseSessionManager"])
MAPPING_MANAGER = jack_equivalents(["quixote.session.SessionManager"])


class SessionClasses(PyRule):
    id = "JM015"
    name = "session-classes"
    summary = "Session managers: forget_changes becomes abort_changes; pickled Quixote sessions go through the shim"
    rationale = (
        "jack_runtime.session keeps Quixote's Session, SessionManager, BaseSessionManager and "
        "SessionStore, name for name (the import rule switches the module), so subclasses keep "
        "their overrides (has_info, is_dirty, start_request, commit_changes, abort_changes, "
        "get_session, new_session, maintain_session, the store's load/save/delete/"
        "transaction_* methods) and mapping-based persistence (SessionManager(session_mapping="
        "...)) keeps working.  Two things need a rule.  Quixote's docs and altdemo.py name the "
        "abort hook forget_changes, which the publisher never calls: the method is renamed "
        "abort_changes, so it now runs when a request fails (review it).  And a persistent "
        "mapping filled by Quixote with the stock Session class holds pickles naming "
        "quixote.session.Session: those load only through jack_runtime.compat (reported as a "
        "shim use)."
    )
    applicability = NEEDS_REVIEW
    markers = ("quixote", "forget_changes", "SessionManager")
    index_markers = ("quixote.session",)
    examples = (
        Example(
            title="altdemo.py's Durus session manager",
            before=(
                "from quixote.session import SessionManager\n"
                "\n"
                "class PersistentSessionManager(SessionManager, Persistent):\n"
                "    def forget_changes(self, session):\n"
                "        connection.abort()\n"
                "\n"
                "    def commit_changes(self, session):\n"
                "        connection.commit()\n"
            ),
            after=(
                "from quixote.session import SessionManager\n"
                "\n"
                "class PersistentSessionManager(SessionManager, Persistent):\n"
                "    def abort_changes(self, session):\n"
                "        connection.abort()\n"
                "\n"
                "    def commit_changes(self, session):\n"
                "        connection.commit()\n"
            ),
        ),
        Example(
            title="both hooks defined: marked",
            before=(
                "from quixote.session import BaseSessionManager\n"
                "class M(BaseSessionManager):\n"
                "    def forget_changes(self, session):\n"
                "        log('forget')\n"
                "    def abort_changes(self, session):\n"
                "        self.forget_changes(session)\n"
            ),
            after=(
                "from quixote.session import BaseSessionManager\n"
                "class M(BaseSessionManager):\n"
                "    # TODO(jackmigrate JM015): Quixote never called forget_changes; Jack calls abort_changes when a request fails: merge this method into abort_changes\n"
                "    def forget_changes(self, session):\n"
                "        log('forget')\n"
                "    def abort_changes(self, session):\n"
                "        self.forget_changes(session)\n"
            ),
        ),
        Example(
            title="sessions pickled by Quixote in a persistent mapping",
            before=(
                "from quixote.session import SessionManager\n"
                "manager = SessionManager(session_mapping=shelve.open('sessions'))\n"
            ),
        ),
        Example(
            title="no change: a session manager on Jack",
            before=(
                "from jack_runtime.session import SessionManager\n"
                "class M(SessionManager):\n"
                "    def abort_changes(self, session):\n"
                "        rollback()\n"
            ),
        ),
    )

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.table: Optional[ClassTable] = None
        self.stack: list[tuple[bool, bool]] = []  # (is manager, defines abort_changes)

    def visit_Module(self, node: cst.Module) -> None:
        self.table = ClassTable.of(self, node)

    def idle_methods(self) -> Iterable[str]:
        code = self.ctx.code
        if code is None or "forget_changes" in code:
            return ()
        # No forget_changes to rename: only session manager calls are left to check.
        return ("leave_FunctionDef",) if self.ctx.may_qualify_to(MAPPING_MANAGER) else ("leave_FunctionDef", "leave_Call")

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        assert self.table is not None
        is_manager = self.table.class_derives(self, node, MANAGERS)
        has_abort = isinstance(node.body, cst.IndentedBlock) and any(
            isinstance(s, cst.FunctionDef) and s.name.value == "abort_changes" for s in node.body.body
        )
        self.stack.append((is_manager, has_abort))

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self.stack.pop()
        return updated_node

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        if not self.stack or original_node.name.value != "forget_changes":
            return updated_node
        is_manager, has_abort = self.stack[-1]
        if not is_manager:
            return updated_node
        if has_abort:
            self.mark(original_node, "Quixote never called forget_changes; Jack calls abort_changes when a "
                                     "request fails: merge this method into abort_changes")
            return updated_node
        self.rewritten(original_node, "forget_changes renamed abort_changes: Jack (like Quixote's "
                                      "publisher) calls abort_changes when a request fails; review it")
        return updated_node.with_changes(name=cst.Name("abort_changes"))

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        func = original_node.func
        if (
            self.stack and self.stack[-1][0] and not self.stack[-1][1]
            and isinstance(func, cst.Attribute) and func.attr.value == "forget_changes"
        ):
            self.rewritten(original_node, "forget_changes() -> abort_changes()")
            return updated_node.with_changes(func=updated_node.func.with_changes(attr=cst.Name("abort_changes")))  # type: ignore[union-attr]
        if self.ctx.qualify(func) in MAPPING_MANAGER:
            self._check_mapping(original_node)
        return updated_node

    def _check_mapping(self, call: cst.Call) -> None:
        positional = [a for a in call.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a for a in call.args if a.keyword is not None}
        cls = positional[0] if positional else keywords.get("session_class")
        # session_class=None is the stock Session
        has_class = cls is not None and not (isinstance(cls.value, cst.Name) and cls.value.value == "None")
        has_mapping = len(positional) >= 2 or "session_mapping" in keywords
        if has_mapping and not has_class:
            self.shim(call, "a persistent session mapping with the stock Session class: sessions stored by "
                            "Quixote are pickles of quixote.session.Session and load through "
                            "jack_runtime.compat's quixote facade (or start with an empty mapping)")
