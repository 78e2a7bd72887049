"""fissix's pgen parser, faster: ``parse_string(text, grammar)`` is fissix's
``Driver(grammar, convert=pytree.convert).parse_string(text)``, same trees, same errors.

Parsing is most of what is left of a Python 2 conversion once the fixers are fast (see
jackmigrate.fissix_tool), and in pgen's Parser.addtoken most of the work is the search, for
each token, through the arcs of the current state, the labels and the first sets, of where the
token leads: a shift, or a push of a symbol (then again from that symbol's first state), or a
pop.  That search depends only on the grammar, the symbol and state on top of the stack and
the token's label, so _Parser does it once per such triple and keeps the answer, whole chains
of pushes included.  Everything else -- the stack, the nodes built (pytree.convert's rules: a
one-child symbol collapses to its child), used_names, the errors -- is fissix's, and
parse_string is Driver.parse_string with this parser (tests/test_py2_speed_exact.py compares
the trees and errors).
"""
from __future__ import annotations

import io

from fissix import pytree
from fissix.pgen2 import grammar as pgen_grammar
from fissix.pgen2 import parse as pgen_parse
from fissix.pgen2 import token
from fissix.pgen2 import tokenize as pgen_tokenize
from fissix.pgen2.parse import ParseError

__all__ = ["parse_string"]

# What addtoken does with a token: the first item of every decision.
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


def parse_string(text: str, grammar: pgen_grammar.Grammar) -> pytree.Node:
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
