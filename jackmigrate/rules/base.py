"""The Rule API of jackmigrate: how to write a rule.

One rule = one module in ``jackmigrate/rules/`` holding one subclass of :class:`Rule`.
The registry (``jackmigrate.rules``) imports every module of the package and registers
each concrete ``Rule`` subclass it defines; nothing else is needed.

A rule is a libcst transformer with declarative metadata::

    import libcst as cst
    from jackmigrate.rules.base import Rule, Example, SAFE

    class EnablePtl(Rule):
        id = "JM042"                         # unique, JMnnn
        name = "enable-ptl"                  # kebab-case, unique
        summary = "Remove quixote.enable_ptl() calls"
        rationale = "Templates are converted to .py, so the import hook is not needed."
        applicability = SAFE                 # or NEEDS_REVIEW
        after = ("JM001",)                   # run in a later traversal than these
                                             # ("*": after every other rule)
        markers = ("enable_ptl",)            # skipped for files containing none of these
        examples = (
            Example(before="from quixote import enable_ptl\\nenable_ptl()\\n",
                    after="\\n"),
            Example(before="enable_ptl = 1\\n"),          # after=None: no change
        )

        def leave_Call(self, original_node, updated_node):
            if self.ctx.qualify(updated_node.func) == "quixote.enable_ptl":
                self.rewritten(original_node, "enable_ptl() removed")
                ...
            return updated_node

What the engine guarantees and expects:

* ``visit_<Node>(node)`` and ``leave_<Node>(original_node, updated_node)`` have libcst's
  ``CSTTransformer`` meaning (``visit_*`` may return False to skip the children, for this
  rule only; ``leave_*`` returns a node, ``cst.RemoveFromParent()`` or a
  ``cst.FlattenSentinel``).  Attribute visitors (``visit_<Node>_<field>``) are not
  called.  All rules of one ordering layer share a single traversal, so a rule must not
  assume it is alone: return ``updated_node`` unchanged when you have nothing to do, and
  never rely on node identity across rules.  If a rule replaces a node by one of another
  type, later rules of the same layer do not see that node in this pass; they see it in
  the next pass (the engine repeats passes until nothing changes, up to a cap).
* One rule instance is made per file and per pass: instance attributes are per-file
  state.  ``self.ctx`` (a :class:`FileContext`) gives the file path, the target Python,
  the project index, the import bindings of the file and the reporting helpers.
* Every construct a rule meets ends in exactly one bucket (see :class:`Bucket`) and
  must be reported with one of ``self.rewritten``, ``self.mark`` (inserts a
  ``# TODO(jackmigrate JMnnn): ...`` comment above the enclosing statement, exactly once,
  even across runs), ``self.shim`` or ``self.unsupported``.  Call ``mark`` from a
  ``visit_*``/``leave_*`` of the node or of a node inside the same statement, and call it
  again on every run while the construct is there (the comment is not duplicated; the
  finding is what ``--check`` counts).  Report against a node of
  the tree you were given (``original_node`` in ``leave_*``): positions are computed
  lazily, only for files that have findings.
* A rule must converge: running it on its own output changes nothing.  The test harness
  (``tests/test_rules_examples.py``) checks this for every example, plus that each
  output parses and that TODO markers are not duplicated.
* ``self.add_import(module, name, asname)`` adds ``from module import name [as asname]``
  (or ``import module`` when name is None) at the top of the module once, at the end of
  the pass; ``self.remove_import(module, name)`` removes that binding from the file's
  import statements (call it only when you removed every use).
* ``self.ctx.qualify(expr)`` resolves a Name/Attribute chain through the file's imports
  to a dotted name ("quixote.publish.Publisher"), or None.  ``self.ctx.quixote_bases(expr)``
  gives the Quixote classes a class expression derives from across the whole project
  (``self.ctx.index`` is the :class:`jackmigrate.project.ProjectIndex`: classes, entry
  points); set ``index_markers = True`` so the rule also runs on files that mention such a
  project class without mentioning quixote, or to the Quixote classes (or modules) whose
  project subclasses matter to the rule (``("quixote.publish.Publisher",)``): a file that
  only mentions other project classes is then not walked for it.
* ``jackmigrate.targets`` is the one table mapping Quixote names to Jack names; use it
  rather than hard-coding ``jack_runtime`` paths.

Text-level rules (the PTL converter): a rule whose ``suffixes`` is set runs only on files
with those suffixes.  If it overrides :meth:`Rule.convert_source`, the engine calls it on
the decoded text before parsing (the result must be Python source), and when
``rename_suffix`` is set every file with one of the rule's suffixes is renamed
(``page.ptl`` -> ``page.py``, even one without templates).  The converted text then flows
through every other selected rule.  Report findings from
``convert_source`` with ``self.report_at(line, column, bucket, message)``.

A rule may instead (or also) override :meth:`Rule.transform_module` for whole-module
work; it runs after the batched traversal of its layer.

Performance: the ``visit_*``/``leave_*`` methods of every rule in a layer share one
traversal that rebuilds only changed nodes, so they cost little.  ``transform_module``
and any ``module.visit(...)`` inside a rule cost a full libcst walk (most of the cost of
parsing the file): return early when the file has nothing for the rule, and for
read-only collection use ``jackmigrate.walk.scan(node, visitor)`` with a plain
``cst.CSTVisitor`` -- the same callbacks, about four times faster than ``node.visit``.  Keep
``markers`` specific (``"import md5"``, ``"md5."`` rather than ``"sha"``): a marker that
matches most files makes the engine parse them all.  A handler of a common node (every
Name, Attribute or Call) that can only act where some import binds a name should say so:
``idle_methods()``, asked once ``visit_Module`` ran, names the handlers the walker may
stop calling in this module (``self.ctx.may_qualify_to(names)`` tells whether any import
can name one of ``names``; ``self.ctx.code``, when not None, is the exact code of the tree
walked, so a word missing from it is in no node).  Once no handler is left for a kind of
node, the walker no longer enters the fields where only such nodes can occur: a Call
handler that stays active keeps every expression walked.  ``tests/test_rule_idle.py``
checks that the declarations change no outcome.  A rule transforming in
``transform_module`` walks with ``jackmigrate.walk.BatchWalker([transformer])``, which
keeps every unchanged node (libcst's ``visit`` rebuilds them all, and the engine then
generates the code of every statement again).  Facts about the whole project that are the
same for every file belong in ``self.ctx.index.memo(key, compute)``, computed once per run.

Inline suppression ``# jackmigrate: ignore[JM001]`` (or ``ignore`` for every rule) on a
line discards the changes and findings of that rule on nodes starting on that line; a
``# jackmigrate: skip-file`` comment line opts the whole file out.  Rules do nothing for
this in ``visit_*``/``leave_*``: the engine enforces it and reports suppressions that
suppressed nothing.  A rule that rewrites in ``transform_module`` asks
``self.ctx.is_suppressed(self.id, node)`` while walking.

Trying a rule: ``jackmigrate.engine.migrate_source(text, "app.py", [MyRule])`` returns a
FileResult (``new_text``, ``new_path``, ``findings``, ``error``), the same path the
harness and the command line take.
"""

from __future__ import annotations

import enum
import os
import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, Optional, Sequence, Union

import libcst as cst

from jackmigrate.imports import dotted_name

if TYPE_CHECKING:  # pragma: no cover - imported for annotations only
    from jackmigrate.codegen import Layout
    from jackmigrate.project import ProjectIndex

__all__ = [
    "Applicability",
    "SAFE",
    "NEEDS_REVIEW",
    "Bucket",
    "Example",
    "Finding",
    "FileContext",
    "Rule",
    "todo_comment",
]


class Applicability(str, enum.Enum):
    """How much a reviewer must look at a rule's rewrites."""

    SAFE = "safe"
    NEEDS_REVIEW = "needs review"


SAFE = Applicability.SAFE
NEEDS_REVIEW = Applicability.NEEDS_REVIEW


class Bucket(str, enum.Enum):
    """Where a Quixote construct ended up.  Every construct lands in exactly one."""

    REWRITTEN = "rewritten"  # converted to Jack code
    MARKED = "marked"  # left in place with a TODO(jackmigrate JMnnn) comment
    SHIM = "shim"  # keeps working through jack_runtime.compat
    UNSUPPORTED = "unsupported"  # reported with a reason, nothing done
    # Not constructs: engine diagnostics.
    ERROR = "error"  # the file could not be processed (left untouched)
    NOTICE = "notice"  # e.g. a suppression comment that suppressed nothing


@dataclass(frozen=True)
class Example:
    """A before/after pair used by ``--explain`` and by the test harness.

    ``after=None`` means the rule must leave ``before`` unchanged.  ``path`` is the file
    name the example pretends to be (use ``"page.ptl"`` for template examples).
    ``buckets``, when given, is the exact multiset of finding buckets expected (as a
    sorted tuple of Bucket values).  ``modules`` are extra project files (path ->
    source) indexed together with the example, for rules that need the project index.
    """

    before: str
    after: Optional[str] = None
    path: str = "example.py"
    title: str = ""
    buckets: Optional[tuple[Bucket, ...]] = None
    modules: tuple[tuple[str, str], ...] = ()


@dataclass
class Finding:
    """One reported construct (or engine diagnostic) with its position (1-based lines,
    0-based columns, in the text the rule saw)."""

    rule: str
    bucket: Bucket
    message: str
    path: str = ""
    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0
    reason: Optional[str] = None
    # Filled by the engine: edits of the file that implement this finding's fix, as
    # (start_line, end_line, replacement_text) over the original text (lines 1-based,
    # end exclusive).  Empty when the construct was not rewritten.
    edits: list[tuple[int, int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "bucket": self.bucket.value,
            "message": self.message,
            "path": self.path,
            "range": {
                "start": {"line": self.line, "column": self.column},
                "end": {"line": self.end_line, "column": self.end_column},
            },
            "reason": self.reason,
            "fix": (
                {"edits": [{"start_line": s, "end_line": e, "text": t} for s, e, t in self.edits]}
                if self.edits
                else None
            ),
        }


_PendingNode = Union[cst.CSTNode, tuple[int, int]]


class FileContext:
    """Per-file state shared by the rules of one pass.  Built by the engine."""

    def __init__(
        self,
        path: str,
        *,
        target_python: tuple[int, int] = (3, 11),
        index: Optional["ProjectIndex"] = None,
        module_name: str = "",
        is_ptl: bool = False,
        source: str = "",
    ) -> None:
        self.path = path
        self.target_python = target_python
        self.index = index
        self.module_name = module_name
        self.is_ptl = is_ptl
        # The file is Python 2 source (--from-python2, or converted by the JM002 front end).
        self.from_python2 = False
        # Text of the file as this pass sees it (after any text-level conversion).
        self.source = source
        # ``source`` is known to parse as Python 3 (the project index parsed these very
        # bytes with CPython's parser): a text rule need not parse it again to find out.
        self.parses_as_python3 = False
        # The exact code of the tree the rules walk, when the engine knows it without
        # generating it (None otherwise): a word missing from it is in no node.
        self.code: Optional[str] = None
        # Set by a text-level rule (convert_source) that built its result as a tree whose
        # code is exactly the text it returns: the engine then does not parse it again.
        self.tree: Optional[cst.Module] = None
        # ... and where that tree's statements are in the text, when known.
        self.layout: Optional[Layout] = None
        self._suppressed: Optional[Callable[[str, cst.CSTNode], bool]] = None
        # Ids of the rules selected for this file (e.g. to tell "not selected" apart).
        self.rule_ids: tuple[str, ...] = ()
        # local name -> dotted name, from every import statement in the file.
        self.bindings: dict[str, str] = {}
        self._bound: Optional[tuple[dict[str, str], frozenset[str]]] = None  # (bindings, their values)
        # (rule id, node or (line, col), bucket, message, reason)
        self.pending: list[tuple[str, _PendingNode, Bucket, str, Optional[str]]] = []
        # The top-level statement the walk is in (set by the engine), and for each node
        # reported there, that statement: where to look first for the node's position.
        self.top_statement: Optional[cst.CSTNode] = None
        # Read-only facts about the tree that several rules of a layer derive the same way.
        self.shared: dict[str, Any] = {}
        self.statement_of: dict[int, cst.CSTNode] = {}
        # (rule id, node, message): TODO comments to insert above node's statement
        self.marks: list[tuple[str, cst.CSTNode, str]] = []
        self.imports_to_add: list[tuple[str, Optional[str], Optional[str]]] = []
        self.imports_to_remove: list[tuple[str, Optional[str]]] = []

    def is_suppressed(self, rule_id: str, node: cst.CSTNode) -> bool:
        """Whether a ``# jackmigrate: ignore[...]`` comment covers this node of the tree
        being walked for ``rule_id``.  The engine already drops changes made by
        ``leave_*`` methods there; rules that rewrite in ``transform_module`` ask here."""
        return self._suppressed(rule_id, node) if self._suppressed is not None else False

    @property
    def suffix(self) -> str:
        return PurePath(self.path).suffix

    def qualify(self, node: cst.BaseExpression) -> Optional[str]:
        """Dotted name of a Name/Attribute chain resolved through the file's imports:
        with ``from quixote import publish as p``, ``p.Publisher`` gives
        "quixote.publish.Publisher".  Unbound or complex expressions give None."""
        # The chain is walked here rather than by imports.dotted_name: this runs for
        # every Name/Attribute a rule looks at, and the extra call and split cost ~30%.
        parts: list[str] = []
        while isinstance(node, cst.Attribute):
            parts.append(node.attr.value)
            node = node.value
        if not isinstance(node, cst.Name):
            return None
        base = self.bindings.get(node.value)
        if base is None:
            return None
        parts.append(base)
        return ".".join(reversed(parts))

    def may_qualify_to(self, names: Iterable[str]) -> bool:
        """Whether :meth:`qualify` can give one of ``names`` in this file: some import
        binds that name or a module it is in.  False lets a rule skip the nodes it would
        qualify only to compare with ``names``."""
        bindings = self.bindings
        if self._bound is None or self._bound[0] is not bindings:  # (asked by every rule)
            self._bound = (bindings, frozenset(bindings.values()))
        bound = self._bound[1]
        for name in names:
            while name:
                if name in bound:
                    return True
                name = name.rpartition(".")[0]
        return False


    def quixote_bases(self, node: cst.BaseExpression) -> tuple[str, ...]:
        """Quixote classes that a class expression (e.g. a base in ``class X(Base):``)
        is or derives from, across the project: ``("quixote.directory.Directory",)``
        for ``Directory`` imported from quixote, or for ``Base`` imported from another
        module of the app whose class derives from it.  Empty when unknown."""
        name = self.qualify(node)
        if name is None:
            local = dotted_name(node)
            if local is None:
                return ()
            name = f"{self.module_name}.{local}" if self.module_name else local
        if name == "quixote" or name.startswith("quixote."):
            return (name,)
        if self.index is None:
            return ()
        return self.index.quixote_bases(name)


def todo_comment(rule_id: str, message: str) -> str:
    """The exact text of a TODO marker (used for insertion and for duplicate checks)."""
    message = " ".join(message.split())
    return f"# TODO(jackmigrate {rule_id}): {message}"


TODO_RE = re.compile(r"#\s*TODO\(jackmigrate (JM\d{3})\)")


class Rule(cst.CSTTransformer):
    """Base class of every rule; see the module docstring."""

    # --- declarative metadata (override in subclasses) ---
    id: ClassVar[str] = ""
    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    rationale: ClassVar[str] = ""
    applicability: ClassVar[Applicability] = SAFE
    # Rule ids this rule runs after (in a later traversal of the same file).
    after: ClassVar[tuple[str, ...]] = ()
    # The rule runs on a file only if one of these substrings occurs in it.
    markers: ClassVar[tuple[str, ...]] = ("quixote",)
    # Also run on files mentioning a project name the index knows as Quixote-derived
    # (e.g. a module importing the app's own Directory subclass from another module).
    index_markers: ClassVar[Union[bool, tuple[str, ...]]] = False
    # Restrict the rule to these file suffixes (None: every Python file, .ptl included).
    suffixes: ClassVar[Optional[tuple[str, ...]]] = None
    # New suffix of files this rule converted (".py" for the PTL converter).
    rename_suffix: ClassVar[Optional[str]] = None
    examples: ClassVar[tuple[Example, ...]] = ()

    def __init__(self, ctx: FileContext) -> None:
        super().__init__()
        self.ctx = ctx

    # --- hooks ---
    def convert_source(self, source: str) -> str:
        """Text-level conversion run before parsing (for ``suffixes`` files)."""
        return source

    def transform_module(self, module: cst.Module) -> cst.Module:
        """Whole-module rewrite, run after the traversal of this rule's layer."""
        return module

    def idle_methods(self) -> Iterable[str]:
        """Names of this rule's ``visit_*``/``leave_*`` methods that cannot change or
        report anything in the module being walked, as known once ``visit_Module`` ran
        (e.g. a Name handler when no import binds a name it renames): the walker stops
        calling them for the rest of the walk."""
        return ()

    @classmethod
    def has_text_hook(cls) -> bool:
        return cls.convert_source is not Rule.convert_source

    @classmethod
    def has_module_hook(cls) -> bool:
        return cls.transform_module is not Rule.transform_module

    @classmethod
    def applies_to(cls, path: str, text: str, index_markers: Sequence[str] = ()) -> bool:
        """The prefilter: is this rule worth running on this file?  ``index_markers`` are
        the project class names that matter to this rule (:meth:`markers_in`)."""
        return cls.applies(os.path.splitext(path)[1], text, index_markers)

    @classmethod
    def applies(cls, suffix: str, text: str, index_markers: Sequence[str] = ()) -> bool:
        """:meth:`applies_to` for a file with this suffix (the engine asks every rule about
        each file and pass: the suffix is computed once)."""
        if cls.suffixes is not None and suffix not in cls.suffixes:
            return False
        if suffix == ".ptl" and cls.suffixes:
            return True
        if any(m in text for m in cls.markers):
            return True
        return bool(cls.index_markers) and any(m in text for m in index_markers)

    @classmethod
    def markers_in(cls, index: object) -> Sequence[str]:
        """The names of the project classes (from the whole-app index) that make a file
        worth running this rule on."""
        wanted = cls.index_markers
        if not wanted or index is None:
            return ()
        if wanted is True:
            return getattr(index, "markers", ()) or ()
        finder = getattr(index, "markers_for", None)
        return finder(wanted) if finder is not None else (getattr(index, "markers", ()) or ())

    # --- reporting ---
    def report(
        self,
        node: cst.CSTNode,
        bucket: Bucket,
        message: str,
        *,
        reason: Optional[str] = None,
    ) -> None:
        self.ctx.pending.append((self.id, node, bucket, message, reason))
        if self.ctx.top_statement is not None:
            self.ctx.statement_of[id(node)] = self.ctx.top_statement

    def rewritten(self, node: cst.CSTNode, message: str) -> None:
        self.report(node, Bucket.REWRITTEN, message)

    def shim(self, node: cst.CSTNode, message: str) -> None:
        self.report(node, Bucket.SHIM, message)

    def unsupported(self, node: cst.CSTNode, message: str, reason: str) -> None:
        self.report(node, Bucket.UNSUPPORTED, message, reason=reason)

    def mark(self, node: cst.CSTNode, message: str) -> None:
        """Insert ``# TODO(jackmigrate <id>): message`` above the statement enclosing
        ``node`` (once; never duplicated on re-runs) and report it as MARKED."""
        self.ctx.marks.append((self.id, node, message))
        self.report(node, Bucket.MARKED, message)

    def report_at(
        self,
        line: int,
        column: int,
        bucket: Bucket,
        message: str,
        *,
        reason: Optional[str] = None,
    ) -> None:
        """Report at a position of the text (for ``convert_source``)."""
        self.ctx.pending.append((self.id, (line, column), bucket, message, reason))

    # --- imports ---
    def add_import(self, module: str, name: Optional[str] = None, asname: Optional[str] = None) -> None:
        self.ctx.imports_to_add.append((module, name, asname))

    def remove_import(self, module: str, name: Optional[str] = None) -> None:
        self.ctx.imports_to_remove.append((module, name))

    # Registry bookkeeping.
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.id and not re.fullmatch(r"JM\d{3}", cls.id):
            raise ValueError(f"rule id {cls.id!r} of {cls.__name__} is not JMnnn")
