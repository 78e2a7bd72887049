"""fissix's refactoring tool with 2to3's standard fixers, faster, same output.

jackmigrate.py2 converts Python 2 files with fissix's fixers.  Run as 2to3 runs them, the
fixers took most of a conversion's time, nearly all of it spent on nodes that could never
match; this module holds what takes that time away without changing a character of the
result (tests/test_py2_speed_exact.py compares everything against plain fissix):

- ``tool()``: this thread's RefactoringTool (_Tool), built once and reset per file, which
  leaves out of the whole-tree traversal the fixers whose gate says the file's text cannot
  hold a match, and runs prechecked fixers in place of fissix's (_REPLACEMENTS);
- the prechecked fixers: each first tests a cheap necessary condition of its pattern, or
  (_FixTupleParams, _FixUnicode) of its transform changing anything;
- ``leaves()``, ``post_order()``, ``render()``: pytree's walks with one explicit stack;
- ``traverse_post_order()``: RefactoringTool.traverse_by over a post-order walk, one loop;
- ``bottom_match()``: fissix's BottomMatcher.run with its lookups hoisted;
- _FixImportKnowingPtl, the one fixer that changes what is converted rather than how fast:
  ``import pages`` next to ``pages.ptl`` is an implicit relative import too.

The parse itself is jackmigrate.fissix_parser's.
"""
from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from functools import lru_cache
from itertools import chain, pairwise
from os.path import dirname, exists, join, sep

from fissix import pygram, pytree
from fissix.fixer_util import find_root
from fissix.fixes import fix_urllib
from fissix.fixes.fix_asserts import NAMES as _ASSERT_NAMES
from fissix.fixes.fix_asserts import FixAsserts
from fissix.fixes.fix_import import FixImport
from fissix.fixes.fix_imports import FixImports
from fissix.fixes.fix_imports2 import FixImports2
from fissix.fixes.fix_ne import FixNe
from fissix.fixes.fix_next import FixNext
from fissix.fixes.fix_nonzero import FixNonzero
from fissix.fixes.fix_numliterals import FixNumliterals
from fissix.fixes.fix_sorted import FixSorted
from fissix.fixes.fix_tuple_params import FixTupleParams
from fissix.fixes.fix_unicode import FixUnicode
from fissix.pgen2 import token
from fissix.refactor import RefactoringTool, _get_headnode_dict, get_fixers_from_package

__all__ = ["bottom_match", "leaves", "post_order", "render", "tool", "traverse_post_order"]


# Tree walks fissix does with a generator per tree level (str(): a call per node), done
# with one explicit stack: the same nodes in the same order, in half the time or less.

def leaves(node: pytree.Base) -> list[pytree.Leaf]:
    """``list(node.leaves())``, without a generator per level of the tree."""
    out = []
    stack = [node]
    while stack:
        node = stack.pop()
        if node.type < 256:  # pytree's invariant: leaves are tokens, nodes symbols
            out.append(node)
        else:
            stack.extend(reversed(node.children))
    return out


def post_order(root: pytree.Base) -> Iterator[pytree.Base]:
    """``root.post_order()`` with one explicit stack instead of a generator per level.

    Each entry iterates its node's children list like the generator's ``for`` loop does, so a
    fixer replacing the node just yielded (a new children list for its parent) or inserting
    into a list still being walked (touch_import) leads to the same sequence of nodes.
    """
    stack = [(root, iter(root.children))]
    while stack:
        node, children = stack[-1]
        for child in children:
            stack.append((child, iter(child.children)))
            break
        else:
            stack.pop()
            yield node


def render(tree: pytree.Node) -> str:
    """``str(tree)``: the leaves' prefixes and values in order (a node's text is its
    children's, and its prefix its first leaf's), without a recursive call per node."""
    return "".join([leaf.prefix + str(leaf.value) for leaf in leaves(tree)])


def traverse_post_order(heads: dict, root: pytree.Base) -> None:
    """``RefactoringTool.traverse_by(heads, root.post_order())``, one loop: the nodes in the
    same order, each offered to the fixers of its type (a transform may replace the node
    just offered: the walk goes on over the lists it was walking, as the generators do)."""
    get = heads.get
    stack = [(root, iter(root.children))]
    while stack:
        node, children = stack[-1]
        for child in children:
            if child.type >= 256:
                stack.append((child, iter(child.children)))
                break
            fixers = get(child.type)  # a leaf: its post-order is itself
            if fixers:
                _offer(fixers, child)
        else:
            stack.pop()
            fixers = get(node.type)
            if fixers:
                _offer(fixers, node)


def _offer(fixers: list, node: pytree.Base) -> None:
    """traverse_by's loop body."""
    for fixer in fixers:
        results = fixer.match(node)
        if results:
            new = fixer.transform(node, results)
            if new is not None:
                node.replace(new)
                node = new


def bottom_match(matcher: object, leaves: list[pytree.Leaf]) -> defaultdict:
    """``matcher.run(leaves)`` (fissix's BottomMatcher.run: the same automaton, the same
    ``was_checked`` marks, the same matches in the same order), with its lookups hoisted."""
    root = matcher.root  # type: ignore[attr-defined]
    root_table = root.transition_table
    current = root
    results: defaultdict = defaultdict(list)
    Leaf = pytree.Leaf
    for node in leaves:
        while node is not None:  # (pytree nodes have no truth value of their own)
            node.was_checked = True
            for child in node.children:
                # multiple statements, recheck
                if isinstance(child, Leaf) and child.value == ";":
                    node.was_checked = False
                    break
            node_token = node.value if node.type == 1 else node.type
            table = current.transition_table
            if node_token in table:
                current = table[node_token]
                for fixer in current.fixers:
                    results[fixer].append(node)
            else:
                # matching failed, reset automaton
                current = root
                parent = node.parent
                if parent is not None and parent.was_checked:
                    # the rest of the tree upwards has been checked, next leaf
                    break
                # recheck the rejected node once from the root
                if node_token in root_table:
                    current = root_table[node_token]
                    for fixer in current.fixers:
                        results[fixer].append(node)
            node = node.parent
    return results


class _FixImportKnowingPtl(FixImport):
    """fissix's implicit-relative-import fixer, also aware of sibling ``.ptl`` modules.

    Quixote applications import their templates as ``import pages`` next to ``pages.ptl``;
    without this, such imports would stay absolute and break under Python 3.
    """

    def probably_a_local_import(self, imp_name: str) -> bool:
        if imp_name.startswith("."):
            return False
        imp_name = imp_name.split(".", 1)[0]
        base_path = join(dirname(self.filename), imp_name)
        if not exists(join(dirname(base_path), "__init__.py")):
            return False
        return any(exists(base_path + ext) for ext in (".py", ".ptl", sep, ".pyc", ".so", ".pyd"))


# Prechecked fixers.  fissix tries a fixer's pattern on every node of the right type (the
# four fixers the bottom matcher cannot drive, FixSorted and FixAsserts among them, on every
# node of the tree), and a pattern with `any*` wildcards costs a backtracking search each
# time: most of the fixers' time went there, on nodes that could never match.  Each subclass
# below first tests a cheap necessary condition of its fixer's PATTERN, read off the pattern
# (quoted in each docstring), so it answers "no match" exactly when the pattern would, only
# sooner.  tests/test_py2_speed_exact.py checks the output against the plain fixers.

_SYMS = pygram.python_symbols


def _value(node: pytree.Base) -> str | None:
    return node.value if type(node) is pytree.Leaf else None


def _attribute(node: pytree.Base) -> str | None:
    """``name`` when ``node`` is a two-child trailer ending in a leaf (``.name``), else None."""
    if node.type == _SYMS.trailer:
        children = node.children
        if len(children) == 2:
            return _value(children[1])
    return None


def _is_call(node: pytree.Base, least: int) -> bool:
    """Whether ``node`` is a trailer ``( ... )`` of at least ``least`` children."""
    if node.type == _SYMS.trailer:
        children = node.children
        return len(children) >= least and _value(children[0]) == "("
    return False


def _has_method(classdef: pytree.Node, name: str) -> bool:
    """Whether the class body (``classdef< ... suite< ... > >``, its last child) holds
    ``funcdef< 'def' name ... >`` directly."""
    body = classdef.children[-1] if classdef.children else None
    if body is None or body.type != _SYMS.suite:
        return False
    return any(
        child.type == _SYMS.funcdef and len(child.children) > 1 and _value(child.children[1]) == name
        for child in body.children
    )


class _FixSorted(FixSorted):
    """``power< "sorted" trailer< "(" ... ")" > any* >`` or
    ``power< any* trailer< "." "sort" > trailer< "(" any+ ")" > any* >``: the first child is
    the leaf ``sorted`` followed by a call, or some child is the trailer ``.sort`` followed by
    a call with arguments (``x.sort()`` cannot match)."""

    def match(self, node):  # type: ignore[override]
        children = node.children
        if len(children) > 1 and _value(children[0]) == "sorted" and _is_call(children[1], 2):
            return super().match(node)
        if any(
            _attribute(child) == "sort" and _is_call(following, 3)
            for child, following in pairwise(children)
        ):
            return super().match(node)
        return False


class _FixAsserts(FixAsserts):
    """``power< any+ trailer< '.' meth=(NAMES) > any* >``: some child after the first is a
    trailer ``.name`` with name in NAMES."""

    def match(self, node):  # type: ignore[override]
        if not any(_attribute(child) in _ASSERT_NAMES for child in node.children[1:]):
            return False
        return super().match(node)


class _ImportsPrecheck:
    """fix_imports' patterns (fix_imports2 and fix_urllib build theirs the same way):
    ``import_name< 'import' ... >`` with a leaf naming an old module somewhere inside,
    ``import_from< 'from' (old module) 'import' ... >`` or
    ``power< bare_with_attr=(old module) trailer< '.' ... > any* >``."""

    modules: frozenset[str] = frozenset()

    def match(self, node):  # type: ignore[override]
        modules = self.modules
        if node.type in (_SYMS.power, _SYMS.import_from):  # the module is the first or second child
            first = 0 if node.type == _SYMS.power else 1
            if not (len(node.children) > first and _value(node.children[first]) in modules):
                return False
        elif not any(leaf.value in modules for leaf in leaves(node)):
            return False
        return super().match(node)  # type: ignore[misc]


class _FixImports(_ImportsPrecheck, FixImports):
    modules = frozenset(FixImports.mapping)


class _FixImports2(_ImportsPrecheck, FixImports2):
    modules = frozenset(FixImports2.mapping)


class _FixUrllib(_ImportsPrecheck, fix_urllib.FixUrllib):
    modules = frozenset(fix_urllib.MAPPING)


class _FixNonzero(FixNonzero):
    """``classdef< 'class' any+ ':' suite< any* funcdef< 'def' name='__nonzero__' ... > any* > >``."""

    def match(self, node):  # type: ignore[override]
        if node.type == _SYMS.classdef and not _has_method(node, "__nonzero__"):
            return False
        return super().match(node)


class _FixNext(FixNext):
    """``power< any+ trailer< '.' 'next' > ... >``, ``classdef< ... funcdef< 'def' 'next' ... > ... >``
    or ``global_stmt< 'global' any* 'next' any* >``."""

    def match(self, node):  # type: ignore[override]
        kind = node.type
        if kind == _SYMS.power:
            possible = any(_attribute(child) == "next" for child in node.children[1:])
        elif kind == _SYMS.classdef:
            possible = _has_method(node, "next")
        elif kind == _SYMS.global_stmt:
            possible = any(_value(child) == "next" for child in node.children)
        else:
            possible = True
        return super().match(node) if possible else False


class _FixTupleParams(FixTupleParams):
    """``funcdef< 'def' any parameters< '(' args=any ')' > ... >`` (or a lambda): for a def,
    the transform changes nothing unless ``args`` is a tuple parameter (``tfpdef``) or a list
    holding one (``typedargslist``), so a def without one answers "no match" at once (the
    result of a match whose transform returns None without a change: nothing happens)."""

    def match(self, node):  # type: ignore[override]
        if node.type == _SYMS.funcdef:
            children = node.children
            if len(children) < 3 or children[2].type != _SYMS.parameters or len(children[2].children) != 3:
                return False
            args = children[2].children[1]
            if args.type != _SYMS.tfpdef and not (
                args.type == _SYMS.typedargslist and any(arg.type == _SYMS.tfpdef for arg in args.children)
            ):
                return False
        return super().match(node)


class _FixUnicode(FixUnicode):
    """``STRING | 'unicode' | 'unichr'``: the transform changes a string only when it has a
    ``u`` prefix or a backslash, so any other string answers "no match" at once (as for
    _FixTupleParams: the transform would return None without a change)."""

    def match(self, node):  # type: ignore[override]
        if node.type == token.STRING and type(node) is pytree.Leaf:
            value = node.value
            if "\\" not in value and value[:1] not in ("u", "U"):
                return False
        return super().match(node)


# fissix's fixer -> the one this tool runs in its place.
_REPLACEMENTS: dict[type, type] = {
    FixImport: _FixImportKnowingPtl,
    FixSorted: _FixSorted,
    FixAsserts: _FixAsserts,
    FixImports: _FixImports,
    FixImports2: _FixImports2,
    fix_urllib.FixUrllib: _FixUrllib,
    FixNonzero: _FixNonzero,
    FixNext: _FixNext,
    FixTupleParams: _FixTupleParams,
    FixUnicode: _FixUnicode,
}


# When a file's text lacks these, the fixer cannot match anything in it, and is left out of
# the whole-tree traversal: a leaf's value is a substring of the source, and the fixers of
# that traversal create no leaf another one would match (FixAsserts makes assertTrue & co,
# FixNe `!=`, FixNumliterals 0o/unsuffixed numbers, FixSorted cmp/key/reverse, cmp_to_key
# and its import).
_NUMLITERAL_GATE = re.compile(r"0\d|\d\w*[lL]")  # 0777 (0 then a digit), 10L/0xffL (a digit .. L)
_TRAVERSAL_GATES: dict[type, Callable[[str], object]] = {
    _FixSorted: lambda text: "sort" in text,
    _FixAsserts: lambda text: any(name in text for name in _ASSERT_NAMES),
    FixNe: lambda text: "<>" in text,
    FixNumliterals: _NUMLITERAL_GATE.search,
}


class _Tool(RefactoringTool):
    """RefactoringTool that keeps its log messages (the per-line warnings) instead of
    logging them, and runs the prechecked fixers and the gated traversal."""

    def __init__(self, fixers: list[str]) -> None:
        self.messages: list[str] = []
        super().__init__(fixers, options={"print_function": False})
        # Traversal fixers still needed for a file -> their node-type index.
        self._post_order_heads: dict[tuple, dict] = {}

    def _traversal_heads(self, source: str | None) -> dict:
        if source is None:
            return self.bmi_post_order_heads
        needed = tuple(
            f for f in self.bmi_post_order if type(f) not in _TRAVERSAL_GATES or _TRAVERSAL_GATES[type(f)](source)
        )
        heads = self._post_order_heads.get(needed)
        if heads is None:
            heads = self._post_order_heads[needed] = _get_headnode_dict(needed) if needed else {}
        return heads

    def refactor_tree(self, tree: pytree.Node, name: str, source: str | None = None) -> bool:  # type: ignore[override]
        """fissix's RefactoringTool.refactor_tree, same fixers in the same order, walking less.

        ``source``, when given, is the text the tree was parsed from (its leaves' values are
        substrings of it): the traversal then skips the fixers that cannot match in it.  The
        rest is fissix's code, with its tree walks done by :func:`traverse_post_order` and
        :func:`leaves`, its bottom matcher run by :func:`bottom_match`, and the pre-order
        walk skipped when no fixer asks for it (it would try no fixer on any node).
        """
        for fixer in chain(self.pre_order, self.post_order):
            fixer.start_tree(tree, name)

        if self.bmi_pre_order:
            self.traverse_by(self.bmi_pre_order_heads, tree.pre_order())
        heads = self._traversal_heads(source)
        if heads:
            traverse_post_order(heads, tree)

        match_set = bottom_match(self.BM, leaves(tree))
        while any(match_set.values()):
            for fixer in self.BM.fixers:
                if fixer in match_set and match_set[fixer]:
                    # sort by depth; apply fixers from bottom(of the AST) to top
                    match_set[fixer].sort(key=pytree.Base.depth, reverse=True)
                    if fixer.keep_line_order:
                        # some fixers(eg fix_imports) must be applied
                        # with the original file's line order
                        match_set[fixer].sort(key=pytree.Base.get_lineno)
                    for node in list(match_set[fixer]):
                        if node in match_set[fixer]:
                            match_set[fixer].remove(node)
                        try:
                            find_root(node)
                        except ValueError:
                            # this node has been cut off from a
                            # previous transformation ; skip
                            continue
                        if node.fixers_applied and fixer in node.fixers_applied:
                            # do not apply the same fixer again
                            continue
                        results = fixer.match(node)
                        if results:
                            new = fixer.transform(node, results)
                            if new is not None:
                                node.replace(new)
                                for node in new.post_order():
                                    # do not apply the fixer again to
                                    # this or any subnode
                                    if not node.fixers_applied:
                                        node.fixers_applied = []
                                    node.fixers_applied.append(fixer)
                                # update the original match set for
                                # the added code
                                new_matches = bottom_match(self.BM, leaves(new))
                                for fxr in new_matches:
                                    if fxr not in match_set:
                                        match_set[fxr] = []
                                    match_set[fxr].extend(new_matches[fxr])

        for fixer in chain(self.pre_order, self.post_order):
            fixer.finish_tree(tree, name)
        return tree.was_changed

    def get_fixers(self):  # type: ignore[override]
        pre, post = super().get_fixers()

        def swap(fixers):
            return [_REPLACEMENTS[type(f)](f.options, f.log) if type(f) in _REPLACEMENTS else f for f in fixers]

        return swap(pre), swap(post)

    def log_message(self, msg: str, *args: object) -> None:
        self.messages.append(msg % args if args else msg)

    def print_output(self, *args: object, **kwargs: object) -> None:  # never print
        pass


@lru_cache(maxsize=None)
def _default_fixers() -> tuple[str, ...]:
    """fissix's standard fixers, less the explicit (opt-in) ones, as 2to3 runs them."""
    import importlib

    names = []
    for name in get_fixers_from_package("fissix.fixes"):
        module = importlib.import_module(name)
        cls_name = "".join(p.title() for p in name.rsplit(".", 1)[1].split("_"))
        cls = getattr(module, cls_name, None)
        if cls is not None and getattr(cls, "explicit", False):
            continue
        names.append(name)
    return tuple(sorted(names))


_TOOLS = threading.local()


def tool() -> _Tool:
    """This thread's refactoring tool, made once: building one compiles every fixer's
    pattern (about 0.2 s, more than converting a typical file).  Reusing it is how 2to3
    itself runs over many files: each fixer resets its per-file state in start_tree."""
    current = getattr(_TOOLS, "tool", None)
    if current is None:
        current = _TOOLS.tool = _Tool(list(_default_fixers()))
        _TOOLS.initial_messages = list(current.messages)
    # Per-file state a fresh tool would have.
    current.messages = list(_TOOLS.initial_messages)
    current.fixer_log.clear()  # the fixers hold this very list
    return current
