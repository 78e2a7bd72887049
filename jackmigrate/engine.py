"""Per-file migration and the process pool over files.

A file goes: bytes -> file-level opt-out and prefilter (no marker: not even decoded) ->
decode (cookie/UTF-8, BOM) -> text-level rules (PTL conversion) -> libcst parse ->
passes of the rule layers until nothing changes (capped) -> validation (CPython compile
of the new text for the target Python) -> FileResult with old/new text, new path and
findings.  Any failure yields a FileResult carrying one error finding; nothing raises
out of :func:`migrate_bytes`.
"""

from __future__ import annotations

import ast
import contextlib
import fnmatch
import functools
import gc
import os
import sys
import traceback
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Callable, Iterable, Iterator, Optional, Sequence

import libcst as cst

from jackmigrate.codegen import Layout, code_and_layout, code_of, layout_of
from jackmigrate.imports import add_imports, collect_bindings, remove_imports
from jackmigrate.positions import LineMap, code_with_positions, positions_in
from jackmigrate.rules import all_rules, get_rule, layers
from jackmigrate.rules.base import Bucket, FileContext, Finding, Rule, todo_comment
from jackmigrate.source import (
    SKIP_FILE_RE,
    SourceError,
    SourceText,
    decode_source,
    encode_source,
    python2_reason,
    suppressions,
)
from jackmigrate.walk import BatchWalker

__all__ = [
    "FileResult",
    "Options",
    "migrate_bytes",
    "migrate_source",
    "run_files",
    "MAX_PASSES",
    "PARSE_ERROR",
    "PY2_ERROR",
    "UNUSED_SUPPRESSION",
]

MAX_PASSES = 10
RESIDUAL = "JM090"
UNUSED_SUPPRESSION = "JM091"
PY2_ERROR = "JM098"
PARSE_ERROR = "JM099"


@dataclass
class Options:
    """What the workers need to process a file: plain data, cheap to pickle."""

    rule_ids: tuple[str, ...]
    target_python: tuple[int, int] = (3, 11)
    root: str = "."
    # per-path rule ignores from the configuration: (glob, rule ids)
    per_path_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # every file is Python 2 (--from-python2), not only those that fail as Python 3
    from_python2: bool = False


@dataclass
class FileResult:
    path: str  # relative to the root, as displayed
    new_path: Optional[str] = None  # set when the file is renamed (.ptl -> .py)
    old_text: Optional[str] = None
    new_text: Optional[str] = None
    new_bytes: Optional[bytes] = None
    findings: list[Finding] = field(default_factory=list)
    error: Optional[Finding] = None
    skipped: bool = False  # prefilter or opt-out: not parsed
    passes: int = 0
    encoding: str = "utf-8"  # of the file on disk (diffs are written in it)
    bom: bool = False

    @property
    def changed(self) -> bool:
        return self.error is None and (
            (self.new_text is not None and self.new_text != self.old_text) or self.new_path is not None
        )

    @property
    def out_path(self) -> str:
        return self.new_path or self.path


def _error(path: str, rule: str, message: str, line: int = 0, column: int = 0) -> FileResult:
    finding = Finding(rule, Bucket.ERROR, message, path, line, column, line, column)
    return FileResult(path, error=finding, findings=[finding])


def _rules_for(opts: Options, path: str) -> list[type[Rule]]:
    ids = set(opts.rule_ids)
    for pattern, ignored in opts.per_path_ignores:
        if fnmatch.fnmatch(path, pattern) or PurePath(path).match(pattern):
            ids -= {i for i in ids if any(i.startswith(p) for p in ignored)}
    registry = all_rules()
    return [registry[i] for i in sorted(ids) if i in registry]


def prefilter(path: str, data: bytes, rules: Sequence[type[Rule]], index_markers: Sequence[str]) -> bool:
    """True when the file may need a rule: a ``.ptl`` file, or one containing a marker of a
    selected rule.  Works on bytes: non-matching files are never decoded or parsed."""
    if path.endswith(".ptl"):
        return True
    key = (tuple(rules), tuple(index_markers))
    wanted = _MARKERS.get(key)
    if wanted is None:
        found: set[bytes] = set()
        for rule in rules:
            found.update(m.encode() for m in rule.markers)
            if rule.index_markers:
                found.update(m.encode() for m in index_markers)
        # A marker containing another is redundant: test the short one only.
        wanted = tuple(sorted(m for m in found if not any(o != m and o in m for o in found)))
        if len(_MARKERS) > 64:
            _MARKERS.clear()
        _MARKERS[key] = wanted
    return any(m in data for m in wanted)


_MARKERS: dict[tuple, tuple[bytes, ...]] = {}


def migrate_bytes(
    path: str,
    data: bytes,
    opts: Options,
    index: object = None,
) -> FileResult:
    """Migrate one file's bytes.  ``path`` is used for messages, suffix checks and the
    module name; nothing is read from or written to disk."""
    rules = _rules_for(opts, path)
    index_markers: Sequence[str] = getattr(index, "markers", ()) or ()
    if not prefilter(path, data, rules, index_markers):
        return FileResult(path, skipped=True)
    if b"skip-file" in data and SKIP_FILE_RE.search(data.decode("latin-1")):
        return FileResult(path, skipped=True)
    try:
        src = decode_source(data)
    except SourceError as exc:
        return _error(path, PARSE_ERROR, exc.message, exc.line, exc.column)
    firsts = None
    lines_for = getattr(index, "statement_lines_for", None)
    if lines_for is not None and src.encoding == "utf-8" and not src.bom:
        firsts = lines_for(path, data)  # the index parsed these very bytes already
    try:
        result = _migrate_text(path, src, rules, opts, index, firsts=firsts)
    except SourceError as exc:
        return _error(path, exc.rule, exc.message, exc.line, exc.column)
    except Exception as exc:  # a rule bug must not stop the run
        tb = traceback.extract_tb(exc.__traceback__)
        where = next((f"{f.filename}:{f.lineno}" for f in reversed(tb) if "jackmigrate" in f.filename), "")
        return _error(path, PARSE_ERROR, f"internal error ({type(exc).__name__}: {exc}) at {where}")
    result.encoding, result.bom = src.encoding, src.bom
    if result.error is None and result.new_text is not None and result.changed:
        try:
            result.new_bytes = encode_source(result.new_text, src)
        except SourceError as exc:
            return _error(path, PARSE_ERROR, exc.message, exc.line)
    return result


def migrate_source(
    source: str,
    path: str = "example.py",
    rules: Optional[Iterable[str | type[Rule]]] = None,
    *,
    index: object = None,
    target_python: tuple[int, int] = (3, 11),
) -> FileResult:
    """Convenience for tests and the example harness: migrate a text with the given
    rules (ids, names or classes; default all) without the prefilter."""
    if rules is None:
        chosen = list(all_rules().values())
    else:
        chosen = [r if isinstance(r, type) else get_rule(r) for r in rules]
    opts = Options(rule_ids=tuple(r.id for r in chosen), target_python=target_python)
    src = SourceText(source, "utf-8", False)
    try:
        return _migrate_text(path, src, chosen, opts, index, force=True)
    except SourceError as exc:
        return _error(path, exc.rule, exc.message, exc.line, exc.column)


def _module_name(path: str, opts: Options, index: object) -> str:
    finder: Optional[Callable[[str], str]] = getattr(index, "module_name_for", None)
    if finder is not None:
        return finder(path)
    p = PurePath(path)
    parts = list(p.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(x for x in parts if x not in ("", ".", ".."))


def _migrate_text(
    path: str,
    src: SourceText,
    rules: Sequence[type[Rule]],
    opts: Options,
    index: object,
    force: bool = False,
    firsts: Optional[Sequence[int]] = None,
) -> FileResult:
    """``firsts``: the first lines of the top-level statements of ``src`` when known
    (from CPython's parse of it, which also tells that it is Python 3)."""
    original = src.text
    text = original
    module_name = _module_name(path, opts, index)
    is_ptl = path.endswith(".ptl")
    findings: list[Finding] = []
    new_path: Optional[str] = None
    suffix = os.path.splitext(path)[1]
    applicable = [r for r in rules if force or r.applies(suffix, original, r.markers_in(index))]
    if force:
        applicable = [r for r in applicable if r.suffixes is None or PurePath(path).suffix in r.suffixes]

    # Text-level rules (the Python 2 front end, then the PTL converter) run first, in layer
    # order. A file the front end converted is Python 2 for the rules after it too (a PTL
    # template from Python 2 is a generation-1 template).
    from_python2 = opts.from_python2
    text_tree: Optional[cst.Module] = None  # the tree of ``text`` when a text rule gave it
    text_layout: Optional[Layout] = None  # and its layout, when the rule knew it
    for layer in layers(applicable):
        for rule_cls in layer:
            if not rule_cls.has_text_hook():
                continue
            ctx = FileContext(path, target_python=opts.target_python, index=index,  # type: ignore[arg-type]
                              module_name=module_name, is_ptl=is_ptl, source=text)
            ctx.from_python2 = from_python2
            ctx.parses_as_python3 = firsts is not None and text is original
            rule = rule_cls(ctx)
            converted = rule.convert_source(text)
            if ctx.tree is not None:
                text_tree, text_layout = ctx.tree, ctx.layout
            elif converted != text:
                text_tree = text_layout = None
            from_python2 = ctx.from_python2
            for rid, where, bucket, message, reason in ctx.pending:
                line, col = where if isinstance(where, tuple) else (0, 0)
                findings.append(Finding(rid, bucket, message, path, line, col, line, col, reason))
            text = converted
            # A template module becomes a .py module even when it holds no template:
            # otherwise the imports of it would break.
            if rule_cls.rename_suffix and PurePath(path).suffix in (rule_cls.suffixes or ()):
                new_path = str(PurePath(path).with_suffix(rule_cls.rename_suffix))
    tree_rules = [r for r in applicable if not (r.has_text_hook() and not _has_tree_work(r))]

    try:
        module = text_tree if text_tree is not None else cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        line, col = exc.raw_line, exc.raw_column
        reason = exc.message
        try:
            # CPython's parser points at the right line with a clearer message.
            ast.parse(text)
        except SyntaxError as syn:
            line, col, reason = syn.lineno or line, max((syn.offset or 1) - 1, 0), syn.msg
        except ValueError:
            pass
        py2 = python2_reason(text, line) if text is original else None
        if py2 is not None:
            raise SourceError(
                f"Python 2 source ({py2[1]} on line {py2[0]}): convert it to Python 3 first "
                "(e.g. with python-modernize or 2to3, or select rule JM002), then run jackmigrate",
                py2[0],
                rule=PY2_ERROR,
            )
        what = "after PTL conversion: " if text is not original else ""
        raise SourceError(f"cannot parse {what}{reason} (line {line})", line, col)

    layered = layers(tree_rules)
    # A last layer of rules declared after every other ("*") runs in a pass only once
    # the other layers changed nothing (no wasted walk in passes that are not final).
    if layered and all("*" in r.after for r in layered[-1]) and len(layered) > 1:
        normal_layers, final_layers = layered[:-1], layered[-1:]
    else:
        normal_layers, final_layers = layered, []
    passes = 0
    pass_findings: list[tuple[cst.Module, list[tuple[str, cst.CSTNode | tuple[int, int], Bucket, str, Optional[str]]]]] = []
    used_suppressions: set[tuple[int, str]] = set()
    statement_of: dict[int, cst.CSTNode] = {}  # id(reported node) -> top-level statement
    bound: Optional[tuple[cst.Module, dict[str, str]]] = None  # a tree and its import bindings
    last_changed: set[str] = set()
    current_code = text
    tree_texts: dict[int, str] = {}  # id(pass input tree) -> its code, known for free
    layouts: dict[int, Optional[Layout]] = {}  # id(pass input tree) -> its statements in that code

    def layout(tree: cst.Module) -> Optional[Layout]:
        key = id(tree)
        if key not in layouts:
            layouts[key] = layout_of(tree, tree_texts[key])
        return layouts[key]
    if text_tree is not None and module is text_tree and text_layout is not None:
        layouts[id(module)] = text_layout
    elif firsts is not None and text is original:
        layouts[id(module)] = layout_of(module, text, firsts=firsts)
    while True:
        passes += 1
        if passes > MAX_PASSES:
            raise SourceError(
                f"did not converge after {MAX_PASSES} passes; rules still changing the file: "
                + ", ".join(sorted(last_changed))
            )
        pass_input = module
        tree_texts[id(pass_input)] = current_code
        pending: list = []
        changed_ids: set[str] = set()
        sup = suppressions(current_code) if "jackmigrate:" in current_code else {}
        spans = _all_spans(pass_input) if sup else {}
        if force:
            pass_layers, pass_final = normal_layers, final_layers
        else:
            # The prefilter again, on this pass's text: a rule none of whose markers is
            # left cannot change anything (the confirming pass after a full rewrite is
            # usually skipped whole).
            pass_layers = _active(normal_layers, path, current_code, index)
            pass_final = _active(final_layers, path, current_code, index)
        if passes > 1 and pass_layers and pass_final:
            # After the first pass a change is rare: the report-only layer shares the last
            # layer's walk. Its findings (never rewrites) count only if this pass turns out
            # to be the last, as every pass's state findings do (see below).
            pass_layers = [*pass_layers[:-1], pass_layers[-1] + pass_final[0]]
            pass_final = []
        layer_queue = list(pass_layers)
        final_layer_due = not layer_queue and bool(pass_final)
        pass_code: Optional[str] = None
        pass_layout: Optional[Layout] = None
        pass_tree: Optional[cst.Module] = None
        while layer_queue or final_layer_due:
            if layer_queue:
                layer = layer_queue.pop(0)
            else:
                layer, final_layer_due = pass_final[0], False
            if bound is None or bound[0] is not module:  # (a layer that changed nothing keeps them)
                bound = (module, collect_bindings(module, module_name))
            bindings = bound[1]
            ctx = FileContext(path, target_python=opts.target_python, index=index,  # type: ignore[arg-type]
                              module_name=module_name, is_ptl=is_ptl, source=text)
            ctx.bindings = bindings
            ctx.rule_ids = tuple(r.id for r in rules)
            ctx.code = current_code if module is pass_input else None
            instances = [cls(ctx) for cls in layer]
            if sup and module is not pass_input:
                spans = _all_spans(module)
                sup = suppressions(code_of(module))
            veto = _make_veto(instances, spans, sup, used_suppressions) if sup else None
            if veto is not None:
                ctx._suppressed = (lambda rid, n, _v=veto, _i=instances: _v(_index_of(_i, rid), n))
            marker = _Marker(ctx, veto_node=(lambda rid, n: veto(_index_of(instances, rid), n)) if veto else None)
            walker = BatchWalker(instances, marker.enter, marker.leave, veto)
            before = module
            module = walker.walk(module)
            changed_ids |= {instances[i].id for i in walker.changed_by}
            for rule in instances:
                if rule.has_module_hook():
                    out = rule.transform_module(module)
                    if out is not module:
                        changed_ids.add(rule.id)
                        module = out
            module = marker.flush(module)
            if ctx.imports_to_remove:
                module = remove_imports(module, ctx.imports_to_remove)
            if ctx.imports_to_add:
                out = add_imports(module, ctx.imports_to_add)
                if out is not module:
                    module = out
            if module is not before and marker.added:
                changed_ids.add("TODO markers")
            pending.extend((before, p) for p in ctx.pending)
            statement_of.update(ctx.statement_of)
            if not layer_queue and pass_final and layer is not pass_final[0]:
                # Report-only checks that run after every rule (the residual scan) are
                # needed once, on the text that no rule changes any more.
                if module is not pass_input:
                    (pass_code, pass_layout), pass_tree = code_and_layout(pass_input, layout(pass_input), module), module
                    if pass_code != current_code:
                        break
                final_layer_due = True
        pass_findings.append((pass_input, pending))
        if module is pass_input:
            break
        # Rules may rebuild nodes without changing them: compare the code, not the tree.
        if pass_code is not None and pass_tree is module:
            code, code_layout = pass_code, pass_layout
        else:
            code, code_layout = code_and_layout(pass_input, layout(pass_input), module)
        if code == current_code:
            break
        current_code = code
        if code_layout is not None:  # the next pass's input: its layout without a parse
            layouts[id(module)] = code_layout
        last_changed = changed_ids or {"(imports)"}
    new_text = current_code
    final_text = new_text

    if new_text != original:
        out_path = new_path or path
        if out_path.endswith(".ptl"):
            # Still a template (the PTL rule is not selected): it is not Python, so
            # only libcst's parse applies.
            try:
                cst.parse_module(new_text)
            except cst.ParserSyntaxError as exc:
                raise SourceError(f"the migrated template does not parse: {exc.message}", exc.raw_line) from None
        else:
            _validate(new_text, path, opts.target_python)

    # Positions: rewritten constructs from every pass (in that pass's text), the state
    # constructs (marked/shim/unsupported) from the last pass only (the final text).
    old_lines = original.splitlines(keepends=True)
    final_lines = final_text.splitlines(keepends=True)
    linemap_final = LineMap(old_lines, final_lines) if final_text != original else None
    last_index = len(pass_findings) - 1
    for k, (_, pending) in enumerate(pass_findings):
        by_tree: dict[int, list] = {}
        for tree, item in pending:
            rid, node, bucket, message, reason = item
            if bucket is Bucket.REWRITTEN or k == last_index:
                by_tree.setdefault(id(tree), [tree, []])[1].append(item)
        for tree, items in by_tree.values():
            nodes = [it[1] for it in items if isinstance(it[1], cst.CSTNode)]
            if not nodes:
                tree_text, spans = None, {}
            elif id(tree) in tree_texts:
                tree_text = tree_texts[id(tree)]
                spans = positions_in(tree, tree_text, nodes, layout(tree), statement_of)
            else:  # a tree between two layers of a pass: its code was never generated
                tree_text, spans = code_with_positions(tree, nodes)
            lmap = None
            if tree_text is not None and tree_text != original:
                lmap = linemap_final if tree_text == final_text else LineMap(old_lines, tree_text.splitlines(keepends=True))
            sup = suppressions(tree_text) if tree_text is not None and "jackmigrate:" in tree_text else {}
            for rid, node, bucket, message, reason in items:
                if isinstance(node, tuple):
                    sl, sc, el, ec = node[0], node[1], node[0], node[1]
                else:
                    sl, sc, el, ec = spans.get(id(node), (0, 0, 0, 0))
                    if sup and _suppressed(sup, sl, el, rid):
                        used_suppressions.add((sl if sl in sup else el, rid))
                        continue
                    if lmap is not None and sl:
                        n_sl, n_el = lmap.to_old(sl), lmap.to_old(el)
                        if n_el < n_sl:
                            n_el = n_sl
                        sl, el = n_sl, n_el
                findings.append(Finding(rid, bucket, message, path, sl, sc, el, ec, reason))

    # A residual reference on a line that another rule already reported is the same
    # construct: count it once.
    state_lines = {(f.line) for f in findings if f.rule != RESIDUAL and f.bucket is not Bucket.REWRITTEN}
    findings = [f for f in findings if not (f.rule == RESIDUAL and f.line in state_lines)]

    # Unused suppressions (judged on the final text, where the comments now live).
    final_sup = suppressions(final_text) if "jackmigrate:" in final_text else {}
    if final_sup:
        used_lines = {line for line, _ in used_suppressions}
        lmap = linemap_final
        for line, ids in sorted(final_sup.items()):
            old_line = lmap.to_old(line) if lmap else line
            if ids is None:
                if line not in used_lines:
                    findings.append(Finding(UNUSED_SUPPRESSION, Bucket.NOTICE,
                                            "unused suppression: nothing to ignore on this line",
                                            path, old_line, 0, old_line, 0))
                continue
            for rid in sorted(ids):
                if (line, rid) not in used_suppressions:
                    findings.append(Finding(UNUSED_SUPPRESSION, Bucket.NOTICE,
                                            f"unused suppression of {rid}", path, old_line, 0, old_line, 0))

    # Edits: each rewritten finding carries the hunk(s) that implement it.
    if linemap_final is not None:
        for f in findings:
            if f.bucket is Bucket.REWRITTEN and f.line:
                f.edits = linemap_final.hunks_for_old_range(f.line, max(f.end_line, f.line), final_lines)
                if not f.edits:
                    hunk = linemap_final.hunk_for_old_line(f.line, final_lines)
                    f.edits = [hunk] if hunk is not None else []
    findings.sort(key=lambda f: (f.line, f.column, f.rule))
    return FileResult(
        path,
        new_path=new_path,
        old_text=original,
        new_text=final_text,
        findings=findings,
        passes=passes,
    )


def _active(layered: list[list[type[Rule]]], path: str, text: str, index: object) -> list[list[type[Rule]]]:
    suffix = os.path.splitext(path)[1]
    kept = [[r for r in layer if r.applies(suffix, text, r.markers_in(index))] for layer in layered]
    return [layer for layer in kept if layer]


@functools.lru_cache(maxsize=None)
def _has_tree_work(rule: type[Rule]) -> bool:
    # A text-level rule may also define visit_/leave_ methods or transform_module.
    if rule.has_module_hook():
        return True
    return any(
        (a.startswith("visit_") or a.startswith("leave_")) and getattr(rule, a) is not getattr(cst.CSTTransformer, a, None)
        for a in dir(rule)
    )


def _index_of(instances: Sequence[Rule], rid: str) -> int:
    for i, r in enumerate(instances):
        if r.id == rid:
            return i
    return -1


def _all_spans(module: cst.Module) -> dict[int, tuple[int, int, int, int]]:
    nodes: list[cst.CSTNode] = []

    class _Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            nodes.append(node)
            return True

    module.visit(_Collect())
    return code_with_positions(module, nodes)[1]


def _suppressed(sup: dict, start: int, end: int, rid: str) -> bool:
    for line in (start, end) if start != end else (start,):
        if line in sup:
            ids = sup[line]
            if ids is None or rid in ids:
                return True
    return False


def _make_veto(instances: Sequence[Rule], spans: dict, sup: dict, used: set) -> Callable[[int, cst.CSTNode], bool]:
    def veto(i: int, node: cst.CSTNode) -> bool:
        if i < 0:
            return False
        span = spans.get(id(node))
        if span is None:
            return False
        sl, el = span[0], span[2]
        if isinstance(node, cst.BaseCompoundStatement):
            body = getattr(node, "body", None)
            body_span = spans.get(id(body)) if body is not None else None
            el = body_span[0] if body_span else sl
        rid = instances[i].id
        for line in range(sl, el + 1):
            ids = sup.get(line, frozenset())
            if ids is None or rid in ids:
                used.add((line, rid))
                return True
        return False

    return veto


class _Marker:
    """Attaches TODO comments requested by rules to the statement enclosing the node
    (the innermost statement open when the rule called ``mark``)."""

    def __init__(self, ctx: FileContext, veto_node: Optional[Callable[[str, cst.CSTNode], bool]]) -> None:
        self.ctx = ctx
        self.stack: list[int] = []
        self.veto_node = veto_node
        self.added = 0
        self.orphans: list[tuple[str, str]] = []

    def enter(self, node: cst.CSTNode) -> None:
        if not self.stack:
            self.ctx.top_statement = node
        self.stack.append(len(self.ctx.marks))

    def leave(self, original: cst.CSTNode, result):  # type: ignore[no-untyped-def]
        start = self.stack.pop()
        if not self.stack:
            self.ctx.top_statement = None
        mine = self.ctx.marks[start:]
        if not mine:
            return result
        del self.ctx.marks[start:]
        texts: list[str] = []
        inner: list[tuple[cst.CSTNode, str]] = []
        for rid, node, message in mine:
            if self.veto_node is not None and self.veto_node(rid, node):
                continue
            t = todo_comment(rid, message)
            if isinstance(original, cst.BaseCompoundStatement) and node is not original:
                # The rule may have found the node from an enclosing block: the comment
                # belongs above the innermost statement that holds the node.
                inner.append((node, t))
            elif t not in texts:
                texts.append(t)
        target = result.nodes[0] if isinstance(result, cst.FlattenSentinel) else result
        if not isinstance(target, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            return result
        updated = target
        for node, t in inner:
            placed = _attach_inside(updated, node, t)
            if placed is None:
                if t not in texts:
                    texts.append(t)
            elif placed is not updated:
                self.added += 1
                updated = placed
        existing = {ln.comment.value.strip() for ln in updated.leading_lines if ln.comment is not None}
        new_lines = [cst.EmptyLine(comment=cst.Comment(t)) for t in texts if t not in existing]
        if new_lines:
            self.added += len(new_lines)
            updated = updated.with_changes(leading_lines=[*updated.leading_lines, *new_lines])
        if updated is target:
            return result
        if isinstance(result, cst.FlattenSentinel):
            return cst.FlattenSentinel([updated, *result.nodes[1:]])
        return updated

    def flush(self, module: cst.Module) -> cst.Module:
        # Marks made outside any statement (e.g. from leave_Module) go to the file top.
        if not self.ctx.marks:
            return module
        texts = []
        for rid, node, message in self.ctx.marks:
            t = todo_comment(rid, message)
            if t not in texts:
                texts.append(t)
        self.ctx.marks.clear()
        existing = {ln.comment.value.strip() for ln in module.header if ln.comment is not None}
        new = [cst.EmptyLine(comment=cst.Comment(t)) for t in texts if t not in existing]
        if not new:
            return module
        self.added += len(new)
        return module.with_changes(header=[*module.header, *new])


class _FindStatement(cst.CSTVisitor):
    def __init__(self, target: cst.CSTNode) -> None:
        super().__init__()
        self.target = target
        self.stack: list[cst.CSTNode] = []
        self.found: Optional[cst.CSTNode] = None

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.found is not None:
            return False
        if node is self.target:
            self.found = self.stack[-1] if self.stack and not isinstance(
                node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)) else node
            return False
        if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            self.stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if self.stack and self.stack[-1] is original_node:
            self.stack.pop()


class _AddComment(cst.CSTTransformer):
    def __init__(self, stmt: cst.CSTNode, text: str) -> None:
        super().__init__()
        self.stmt = stmt
        self.text = text

    def on_leave(self, original_node, updated_node):  # type: ignore[no-untyped-def]
        if original_node is self.stmt:
            existing = {ln.comment.value.strip() for ln in updated_node.leading_lines if ln.comment is not None}
            if self.text in existing:
                return updated_node
            return updated_node.with_changes(
                leading_lines=[*updated_node.leading_lines, cst.EmptyLine(comment=cst.Comment(self.text))]
            )
        return updated_node


def _attach_inside(stmt: cst.CSTNode, node: cst.CSTNode, text: str) -> Optional[cst.CSTNode]:
    """``stmt`` with the TODO above the innermost statement holding ``node``; None if the
    node is not in ``stmt`` (it was replaced) or belongs to ``stmt`` itself."""
    finder = _FindStatement(node)
    # Only the children: a hit on stmt's own header means the comment goes above stmt.
    finder.stack.append(stmt)
    stmt.visit(finder)
    if finder.found is None or finder.found is stmt:
        return None
    return stmt.visit(_AddComment(finder.found, text))


def _validate(text: str, path: str, target: tuple[int, int]) -> None:
    """The migrated text must parse and compile for the target Python."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            if target == sys.version_info[:2]:
                # This interpreter's grammar is the target's: one compile (building the
                # ast module's objects, needed only for feature_version, costs 3x more).
                compile(text, path, "exec", dont_inherit=True)
            else:
                tree = ast.parse(text, filename=path, feature_version=target)
                compile(tree, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise SourceError(
            f"the migrated code does not compile for Python {target[0]}.{target[1]}: {exc.msg} "
            f"(file left untouched; please report this)",
            exc.lineno or 0,
            (exc.offset or 1) - 1,
        ) from None


# ---------------------------------------------------------------------------
# Many files: serial or over a process pool.

_WORKER: dict[str, object] = {}


def _init_worker(opts: Options, index: object) -> None:
    _WORKER["opts"] = opts
    _WORKER["index"] = index
    all_rules()  # import the rule modules once per worker
    # What the worker holds for good (modules, the index) need not be rescanned by every
    # full collection that libcst's allocations trigger (see _Results).
    gc.freeze()


def _work(chunk: list[tuple[str, str]]) -> list[FileResult]:
    opts = _WORKER["opts"]
    index = _WORKER["index"]
    return [_process_path(display, real, opts, index) for display, real in chunk]  # type: ignore[arg-type]


def _process_path(display: str, real: str, opts: Options, index: object) -> FileResult:
    try:
        with open(real, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return _error(display, PARSE_ERROR, f"cannot read: {exc.strerror or exc}")
    return migrate_bytes(display, data, opts, index)


def run_files(
    files: Sequence[tuple[str, str]],
    opts: Options,
    index: object = None,
    jobs: int = 1,
    on_result: Optional[Callable[[FileResult], None]] = None,
) -> list[FileResult]:
    """Migrate (display path, real path) pairs; results in input order.  Workers get the
    options (rule ids, not rule objects) and the index once, then chunks of paths."""
    jobs = max(1, min(jobs, len(files), 61 if os.name == "nt" else 1 << 16))
    with _results_out_of_gc() as keep:
        if jobs == 1:
            for display, real in files:
                keep(_process_path(display, real, opts, index), on_result)
            return keep.results
        chunks = list(_chunks(list(files), jobs))
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(opts, index)) as pool:
            futures = [pool.submit(_work, chunk) for chunk in chunks]
            for chunk, future in zip(chunks, futures):
                try:
                    batch = future.result()
                except BrokenProcessPool:
                    # A worker died (out of memory, killed): finish its files here rather
                    # than losing the run.
                    batch = [_process_path(display, real, opts, index) for display, real in chunk]
                for res in batch:
                    keep(res, on_result)
        return keep.results


class _Results:
    """The results of a run as they come, moved out of the cyclic garbage collector's
    reach every few files: libcst allocates so much that full collections keep running,
    and each would rescan every result kept so far (about 7% of a 1500-file run).
    Objects stay collectable by reference counting; ``gc.unfreeze`` at the end hands the
    rest back to the collector."""

    EVERY = 16

    def __init__(self) -> None:
        self.results: list[FileResult] = []

    def __call__(self, res: FileResult, on_result: Optional[Callable[[FileResult], None]]) -> None:
        self.results.append(res)
        if on_result:
            on_result(res)
        if len(self.results) % self.EVERY == 0:
            gc.freeze()


@contextlib.contextmanager
def _results_out_of_gc() -> Iterator[_Results]:
    try:
        yield _Results()
    finally:
        gc.unfreeze()


def _chunks(items: list, jobs: int) -> Iterator[list]:
    # Small chunks keep both workers busy until the end and the progress bar moving;
    # large enough that pickling overhead stays negligible.
    size = max(1, min(32, len(items) // (jobs * 8) or 1))
    for i in range(0, len(items), size):
        yield items[i : i + size]
