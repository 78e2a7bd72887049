"""The Python 2 front end: Python 2 source (modules and PTL templates) to Python 3 source.

Most Quixote applications still in use were written for Quixote 1.x/2.x on Python 2. A file
recognised as Python 2 goes first through fissix (the maintained lib2to3 fork, with its
standard fixers), then through the Jack rules like any other file, so that the user reviews
one diff from the Python 2 original to the final Jack code.

PTL's old template annotation, ``def name [html] (args):``, is not Python 2 syntax either, so
it is protected before the parse (the function is renamed to a marker name that keeps the
line intact) and restored afterwards; the PTL converter then sees exactly the gen-1 template
it would have seen, and keeps the rule that every literal in an ``[html]`` template is markup.

Anything that cannot become valid Python 3 (tabs and spaces mixed inconsistently, ``async``
used as a name, a syntax error in both grammars) is reported with its line and reason and the
file is left alone: never half-converted.
"""
from __future__ import annotations

import ast
import io
import re
import threading
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from os.path import dirname, exists, join, sep
from typing import Optional

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
from fissix.pgen2 import grammar as pgen_grammar
from fissix.pgen2 import parse as pgen_parse
from fissix.pgen2 import token
from fissix.pgen2 import tokenize as pgen_tokenize
from fissix.pgen2.parse import ParseError
from fissix.pgen2.tokenize import TokenError
from fissix.refactor import (
    RefactoringTool,
    _detect_future_features,
    _get_headnode_dict,
    get_fixers_from_package,
)

__all__ = ["Py2Error", "Py2Result", "is_python2", "to_python3"]

# `def name [html] (` / `def name [plain] (`: the gen-1 PTL template annotation.
_PTL_DEF = re.compile(r"^(?P<indent>[ \t]*)def(?P<sp1>[ \t]+)(?P<name>\w+)[ \t]*\[(?P<kind>html|plain)\][ \t]*\(", re.M)
_PTL_MARK = "__jackmigrate_ptl_{kind}__"
_PTL_RESTORE = re.compile(r"^(?P<indent>[ \t]*)def(?P<sp1>[ \t]+)(?P<name>\w+)__jackmigrate_ptl_(?P<kind>html|plain)__\(", re.M)


class Py2Error(Exception):
    """A file that is neither valid Python 3 nor convertible Python 2."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass
class Py2Result:
    code: str
    # Lines (1-based, in the original) and messages of what fissix could not fix alone.
    warnings: list[tuple[int, str]] = field(default_factory=list)
    # Lines (in the original) of statements marked for a possible change of `/`.
    divisions: list[int] = field(default_factory=list)


def _protect_ptl(source: str) -> str:
    return _PTL_DEF.sub(
        lambda m: f"{m['indent']}def{m['sp1']}{m['name']}{_PTL_MARK.format(kind=m['kind'])}(", source
    )


def _restore_ptl(source: str) -> str:
    return _PTL_RESTORE.sub(lambda m: f"{m['indent']}def{m['sp1']}{m['name']} [{m['kind']}] (", source)


def _parses_as_python3(source: str) -> SyntaxError | None:
    try:
        ast.parse(source)
    except SyntaxError as exc:  # includes IndentationError and TabError
        return exc
    except ValueError as exc:  # NUL bytes
        return SyntaxError(str(exc))
    return None


# fissix's parser, faster.  Parsing is most of what is left of a conversion, and in pgen's
# Parser.addtoken most of the work is the search, for each token, through the arcs of the
# current state, the labels and the first sets, of where the token leads: a shift, or a
# push of a symbol (then again from that symbol's first state), or a pop.  That search
# depends only on the grammar, the symbol and state on top of the stack and the token's
# label, so _Parser does it once per such triple and keeps the answer, whole chains of
# pushes included.  Everything else -- the stack, the nodes built (pytree.convert's rules:
# a one-child symbol collapses to its child), used_names, the errors -- is fissix's, and
# _parse_string is Driver.parse_string with this parser (tests/test_py2_speed_exact.py
# compares the trees and errors).

_SHIFT, _PUSH, _POP, _ERROR = range(4)


def _step(grammar: pgen_grammar.Grammar, symbol: int, state: int, ilabel: int) -> tuple:
    """One round of Parser.addtoken's search: (_SHIFT, new state), (_PUSH, symbol, new
    state), (_POP,) or (_ERROR,)."""
    arcs = grammar.dfas[symbol][0][state]
    for i, newstate in arcs:
        t = grammar.labels[i][0]
        if ilabel == i:
            return (_SHIFT, newstate)
        if t >= 256 and ilabel in grammar.dfas[t][1]:
            return (_PUSH, t, newstate)
    return (_POP,) if (0, state) in arcs else (_ERROR,)


def _decide(grammar: pgen_grammar.Grammar, symbol: int, state: int, ilabel: int) -> tuple:
    """What addtoken does with the label from this symbol and state, up to the shift:
    (_SHIFT, the top's new state, ((pushed symbol, its dfa, its state after), ...)), or
    else a single _step (_POP, _ERROR, or _PUSH when a pushed symbol could not go on)."""
    first = step = _step(grammar, symbol, state, ilabel)
    pushed = []
    while step[0] == _PUSH:
        symbol = step[1]
        step = _step(grammar, symbol, 0, ilabel)
        if step[0] == _SHIFT:
            pushed.append((symbol, grammar.dfas[symbol], step[1]))
        elif step[0] == _PUSH:
            pushed.append((symbol, grammar.dfas[symbol], step[2]))
        else:  # (the label is in the symbol's first set: cannot happen in a sound grammar)
            return first
    if step[0] != _SHIFT:
        return step
    return (_SHIFT, first[2] if first[0] == _PUSH else first[1], tuple(pushed))


# grammar -> {(symbol, state, token label): decision}; filled as tokens come.
_DECISIONS: dict[pgen_grammar.Grammar, dict[tuple[int, int, int], tuple]] = {}


class _Parser(pgen_parse.Parser):
    def __init__(self, grammar: pgen_grammar.Grammar) -> None:
        super().__init__(grammar, pytree.convert)
        self.decisions = _DECISIONS.setdefault(grammar, {})

    def addtoken(self, type: int, value: str, context: tuple) -> bool:  # type: ignore[override]
        # Parser.classify
        if type == token.NAME:
            self.used_names.add(value)
            ilabel = self.grammar.keywords.get(value)
            if ilabel is None:
                ilabel = self.grammar.tokens.get(type)
        else:
            ilabel = self.grammar.tokens.get(type)
        if ilabel is None:
            raise ParseError("bad token", type, value, context)
        stack = self.stack
        decisions = self.decisions
        Leaf, Node = pytree.Leaf, pytree.Node
        while True:
            dfa, state, node = stack[-1]
            decision = decisions.get((node[0], state, ilabel))
            if decision is None:
                decision = decisions[(node[0], state, ilabel)] = _decide(self.grammar, node[0], state, ilabel)
            kind = decision[0]
            if kind == _SHIFT:
                state = decision[1]
                stack[-1] = (dfa, state, node)
                for symbol, dfa, state in decision[2]:  # Parser.push, each
                    node = (symbol, None, context, [])
                    stack.append((dfa, state, node))
                node[-1].append(Leaf(type, value, context=context))
                states = dfa[0]
                while states[state] == [(0, state)]:  # accept-only state: Parser.pop
                    symbol, _, popped_context, children = stack.pop()[2]
                    new = children[0] if len(children) == 1 else Node(symbol, children, context=popped_context)
                    if not stack:
                        self.rootnode = new
                        new.used_names = self.used_names
                        return True
                    dfa, state, node = stack[-1]
                    node[-1].append(new)
                    states = dfa[0]
                return False
            if kind == _ERROR:
                raise ParseError("bad input", type, value, context)
            if kind == _PUSH:
                stack[-1] = (dfa, decision[2], node)
                stack.append((self.grammar.dfas[decision[1]], 0, (decision[1], None, context, [])))
                continue
            symbol, _, popped_context, children = stack.pop()[2]  # Parser.pop
            new = children[0] if len(children) == 1 else Node(symbol, children, context=popped_context)
            if not stack:
                self.rootnode = new
                new.used_names = self.used_names
                raise ParseError("too much input", type, value, context)
            stack[-1][2][-1].append(new)


def _parse_string(text: str, grammar: pgen_grammar.Grammar) -> pytree.Node:
    """``Driver(grammar, convert=pytree.convert).parse_string(text)`` on _Parser (the
    driver's prefix bookkeeping as it is)."""
    tokens = pgen_tokenize.generate_tokens(io.StringIO(text).readline)
    parser = _Parser(grammar)
    parser.setup()
    lineno = 1
    column = 0
    type = value = start = end = line_text = None
    prefix = ""
    for type, value, start, end, line_text in tokens:
        if start != (lineno, column):
            assert (lineno, column) <= start, ((lineno, column), start)
            s_lineno, s_column = start
            if lineno < s_lineno:
                prefix += "\n" * (s_lineno - lineno)
                lineno = s_lineno
                column = 0
            if column < s_column:
                prefix += line_text[column:s_column]
                column = s_column
        if type in (pgen_tokenize.COMMENT, pgen_tokenize.NL):
            prefix += value
            lineno, column = end
            if value.endswith("\n"):
                lineno += 1
                column = 0
            continue
        if type == token.OP:
            type = pgen_grammar.opmap[value]
        if parser.addtoken(type, value, (prefix, start)):
            break
        prefix = ""
        lineno, column = end
        if value.endswith("\n"):
            lineno += 1
            column = 0
    else:
        raise ParseError("incomplete input", type, value, (prefix, start))
    return parser.rootnode


# The last tree _parses_as_python2 built, per thread: to_python3 usually follows at once
# with the same text, and a fissix parse costs more than the rest of the check.
_PARSED = threading.local()


def _parses_as_python2(source: str) -> bool:
    text = source if source.endswith("\n") else source + "\n"
    try:
        tree = _parse_string(text, pygram.python_grammar)
    except (ParseError, TokenError, IndentationError, SyntaxError):
        return False
    _PARSED.entry = (text, tree)
    return True


# Syntax only Python 2 has. A file with none of it is not Python 2 (it may still use
# Python 2 library calls, which --from-python2 converts): checked before any parse, so
# Python 3 files cost a few scans.  One (literal that must be present, pattern) per
# construct, cheapest first: the substring test skips most patterns, and each pattern
# starts with a character rather than \b so that the regex engine can skip ahead (one
# alternation of them all took four times as long).
_PY2_SYNTAX: tuple[tuple[str, Optional[re.Pattern[str]]], ...] = (
    ("`", None),                                                  # backquote repr
    ("<>", None),                                                 # inequality
    ("print", re.compile(r"""^[ \t]*print\b(?![ \t]*[(=.\[]|[ \t]*$)|^[ \t]*print[ \t]*$""", re.M)),
    ("exec", re.compile(r"^[ \t]*exec\b[ \t]+[^(=]", re.M)),       # exec statement
    ("raise", re.compile(r"^[ \t]*raise\b[^\n#]*?\w[ \t]*,", re.M)),  # raise E, "message"
    ("except", re.compile(r"\bexcept\b[^:\n]*,[ \t]*\w+[ \t]*:")),  # except E, e:
    # old octal (0777) and long (10L) literals: a digit not preceded by a word character
    ("", re.compile(r"\d(?<!\w\d)(?:(?<=0)[0-7]+\b|\d*[lL]\b)")),
    ("", re.compile(r"""[rR](?<=\b[uU][rR])['"]""")),               # ur'' strings
)


def _has_python2_syntax(source: str) -> bool:
    for literal, pattern in _PY2_SYNTAX:
        if literal and literal not in source:
            continue
        if pattern is None or pattern.search(source):
            return True
    return False


def is_python2(source: str, *, ptl: bool = False) -> int | None:
    """The line of the first Python 2-only construct, or None when ``source`` is not Python 2.

    A file is Python 2 when it has Python 2-only syntax, Python 3 rejects it and fissix's
    Python 2 grammar accepts it.
    """
    if not _has_python2_syntax(source):
        return None
    if ptl:
        source = _protect_ptl(source)
    error = _parses_as_python3(source)
    if error is None:
        return None
    if not _parses_as_python2(source):
        return None
    return error.lineno or 1


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


# Tree walks fissix does with a generator per tree level (str(): a call per node), done
# with one explicit stack: the same nodes in the same order, in half the time or less.

def _leaves(node: pytree.Base) -> list[pytree.Leaf]:
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


def _post_order(root: pytree.Base) -> Iterator[pytree.Base]:
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


def _render(tree: pytree.Node) -> str:
    """``str(tree)``: the leaves' prefixes and values in order (a node's text is its
    children's, and its prefix its first leaf's), without a recursive call per node."""
    return "".join([leaf.prefix + str(leaf.value) for leaf in _leaves(tree)])


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
    """``power< "sorted" trailer<...> any* >`` or ``power< any* ... trailer< "." "sort" > ... >``:
    the first child is the leaf ``sorted``, or some child is the trailer ``.sort``."""

    def match(self, node):  # type: ignore[override]
        children = node.children
        if not (children and _value(children[0]) == "sorted") and not any(
            _attribute(child) == "sort" for child in children
        ):
            return False
        return super().match(node)


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
        elif not any(leaf.value in modules for leaf in _leaves(node)):
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
        substrings of it): the traversal then skips the fixers that cannot match in it.  The rest is fissix's code, with its tree walks done by
        :func:`_post_order` and :func:`_leaves`, and the pre-order walk skipped when no
        fixer asks for it (it would try no fixer on any node).
        """
        for fixer in chain(self.pre_order, self.post_order):
            fixer.start_tree(tree, name)

        if self.bmi_pre_order:
            self.traverse_by(self.bmi_pre_order_heads, tree.pre_order())
        heads = self._traversal_heads(source)
        if heads:
            self.traverse_by(heads, _post_order(tree))

        match_set = self.BM.run(_leaves(tree))
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
                                new_matches = self.BM.run(_leaves(new))
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


def _tool() -> _Tool:
    """This thread's refactoring tool, made once: building one compiles every fixer's
    pattern (about 0.2 s, more than converting a typical file).  Reusing it is how 2to3
    itself runs over many files: each fixer resets its per-file state in start_tree."""
    tool = getattr(_TOOLS, "tool", None)
    if tool is None:
        tool = _TOOLS.tool = _Tool(list(_default_fixers()))
        _TOOLS.initial_messages = list(tool.messages)
    # Per-file state a fresh tool would have.
    tool.messages = list(_TOOLS.initial_messages)
    tool.fixer_log.clear()  # the fixers hold this very list
    return tool


def _parse(tool: RefactoringTool, source: str) -> pytree.Node:
    """RefactoringTool.refactor_string's parse, without the refactoring (done separately)."""
    features = _detect_future_features(source)
    grammar = pygram.python_grammar_no_print_statement if "print_function" in features else pygram.python_grammar
    cached = getattr(_PARSED, "entry", None)
    _PARSED.entry = None  # the fixers change the tree: never used twice
    if cached is not None and grammar is pygram.python_grammar and cached[0] == source:
        tree = cached[1]
    else:
        tree = _parse_string(source, grammar)
    tree.future_features = features
    return tree


_WARNING_LINE = re.compile(r"^Line (\d+): (.*)$", re.S)


def to_python3(source: str, *, path: str = "<string>", ptl: bool = False) -> Py2Result:
    """Convert Python 2 ``source`` (a module, or a PTL template file when ``ptl``) to Python 3.

    ``path`` should be the file's real path: the import fixer looks at its siblings to tell
    implicit relative imports from absolute ones. Raises :class:`Py2Error` when the result
    would not be valid Python 3; nothing is ever returned half-converted.
    """
    protected = _protect_ptl(source) if ptl else source
    if not protected.endswith("\n"):
        protected += "\n"
    tool = _tool()
    try:
        tree = _parse(tool, protected)
    except (ParseError, TokenError) as exc:
        line = _error_line(exc)
        raise Py2Error(line, f"neither valid Python 3 nor Python 2: {_describe(exc)}") from None
    except (IndentationError, SyntaxError) as exc:
        raise Py2Error(exc.lineno or 1, f"neither valid Python 3 nor Python 2: {exc.msg}") from None
    # Marked before the fixers run, while every leaf still knows its original line.
    # (A `/` or `/=` token is in the text: without one, nothing to mark.)
    if "division" in tree.future_features or "/" not in protected:
        divisions = []
    else:
        divisions = _mark_divisions(tree, protected.splitlines())
    tool.refactor_tree(tree, path, protected)
    code = _render(tree)
    if not source.endswith("\n"):
        code = code[:-1]
    error = _parses_as_python3(code)
    if error is not None:
        reason = error.msg if isinstance(error, SyntaxError) else str(error)
        if isinstance(error, TabError) or "tabs and spaces" in (reason or ""):
            reason = "inconsistent use of tabs and spaces in indentation (expand tabs first, e.g. `expand -t 8`)"
        elif _uses_reserved_word(code, error.lineno):
            reason = f"a name that is a keyword in Python 3 ({_uses_reserved_word(code, error.lineno)}); rename it first"
        raise Py2Error(error.lineno or 1, f"cannot be converted to valid Python 3: {reason}")
    if ptl:
        code = _restore_ptl(code)
    warnings = []
    for message in tool.messages + tool.fixer_log:
        m = _WARNING_LINE.match(message)
        if m:
            warnings.append((int(m[1]), m[2].strip()))
    return Py2Result(code=code, warnings=sorted(set(warnings)), divisions=divisions)


DIVISION_TODO = (
    "# TODO(jackmigrate JM002): Python 2 `/` floors when both operands are ints, Python 3's does "
    "not: use `//` if they are ints here"
)


def _is_float_operand(node: pytree.Base | None) -> bool:
    if node is None:
        return False
    if isinstance(node, pytree.Leaf):
        return node.type == token.NUMBER and any(c in node.value.lower() for c in ".ej")
    # float(...) call
    first = node.children[0] if node.children else None
    return isinstance(first, pytree.Leaf) and first.value == "float" and len(node.children) == 2


_BLOCKS = (pygram.python_symbols.suite, pygram.python_symbols.file_input)


def _mark_divisions(tree: pytree.Node, lines: list[str]) -> list[int]:
    """Put a TODO above each statement using `/` or `/=` whose result may change.

    Python 2 floors ``7 / 2`` to 3; Python 3 gives 3.5. Whether the operands are ints is
    not knowable statically, so this is never changed silently: each statement gets a TODO,
    unless an operand is a float literal or a ``float()`` call. Returns the marked lines.
    """
    marked: dict[int, pytree.Leaf] = {}
    for leaf in _leaves(tree):
        if leaf.type not in (token.SLASH, token.SLASHEQUAL):
            continue
        if leaf.type == token.SLASH and (
            _is_float_operand(leaf.prev_sibling) or _is_float_operand(leaf.next_sibling)
        ):
            continue
        # The whole statement (a compound statement's header included) gets the TODO.
        stmt = leaf
        while stmt.parent is not None and stmt.parent.type not in _BLOCKS:
            stmt = stmt.parent
        first = next(stmt.leaves())
        marked.setdefault(first.get_lineno(), first)
    for lineno, first in marked.items():
        if DIVISION_TODO in first.prefix:
            continue
        # The indentation of a block's first statement lives in the INDENT token, not in
        # the prefix: take it from the line itself.
        line = lines[lineno - 1] if lineno <= len(lines) else ""
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        first.prefix = first.prefix + DIVISION_TODO + "\n" + indent
    return sorted(marked)


def _uses_reserved_word(code: str, lineno: int | None) -> str | None:
    if not lineno:
        return None
    try:
        line = code.splitlines()[lineno - 1]
    except IndexError:
        return None
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line + "\n").readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    for tok in tokens:
        if tok.type == tokenize.NAME and tok.string in ("async", "await"):
            return tok.string
    return None


def _error_line(exc: Exception) -> int:
    context = getattr(exc, "context", None)
    if context and len(context) > 1 and context[1]:
        return context[1][0]
    if exc.args and isinstance(exc.args[-1], tuple) and exc.args[-1] and isinstance(exc.args[-1][0], int):
        return exc.args[-1][0]
    return 1


def _describe(exc: Exception) -> str:
    if isinstance(exc, ParseError):
        return f"unexpected {exc.value!r}" if exc.value else "unexpected end of input"
    return str(exc.args[0]) if exc.args else type(exc).__name__
