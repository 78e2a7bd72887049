"""fissix's pgen parser, faster: ``parse_string(text, grammar)`` is fissix's
``Driver(grammar, convert=pytree.convert).parse_string(text)``, same trees, same errors.

Parsing is most of what is left of a Python 2 conversion once the fixers are fast (see
jackmigrate.fissix_tool).  In pgen's Parser.addtoken most of the work is the search, for each
token, through the arcs of the current state, the labels and the first sets, of where the
token leads: a shift, or a push of a symbol (then again from that symbol's first state), or a
pop.  That search depends only on the grammar, the symbol and state on top of the stack and
the token's label, so it is done once per such triple and the answer kept (_Tables), whole
chains of pushes included, and with them what the pops right after the shift do: pgen pops
every node that reaches an accept-only state, and a node pushed for this very token holds
nothing but the token (or the node pushed after it), so when it is popped at once pytree's
convert collapses it to that child: such a node is never built at all.

The rest is fissix's, done inline: Driver.parse_tokens' prefix bookkeeping, Parser.classify's
labels and used_names, the stack (per open node: its state id, its children), the nodes
built as pytree.convert builds them (a one-child symbol collapses to its child; a Leaf or
Node gets the attributes its __init__ would give), the errors and their contexts.  The tokens
come from _generate_tokens, fissix's tokenizer with a quicker first try at each token (see
_FAST_PSEUDO).  tests/test_py2_speed_exact.py compares the tokens, trees and errors with
fissix's tokenizer and Driver.
"""
from __future__ import annotations

import io
import re

from fissix import pytree
from fissix.pgen2 import grammar as pgen_grammar
from fissix.pgen2 import token
from fissix.pgen2 import tokenize as pgen_tokenize
from fissix.pgen2.parse import ParseError

__all__ = ["parse_string"]

# The first item of every decision.
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


class _Tables:
    """One grammar's states, numbered, and the decisions taken so far.

    A state id stands for a (symbol, state of its DFA) pair: the stack keeps ids, and the
    decisions are looked up as ``decisions[id][token label]``."""

    def __init__(self, grammar: pgen_grammar.Grammar) -> None:
        self.grammar = grammar
        self.ids: dict[tuple[int, int], int] = {}
        self.symbol_of: list[int] = []
        self.state_of: list[int] = []
        self.accept_only: list[bool] = []  # Parser.addtoken's `states[state] == [(0, state)]`
        for symbol in sorted(grammar.dfas):
            for state, arcs in enumerate(grammar.dfas[symbol][0]):
                self.ids[(symbol, state)] = len(self.symbol_of)
                self.symbol_of.append(symbol)
                self.state_of.append(state)
                self.accept_only.append(arcs == [(0, state)])
        self.decisions: list[dict[int, tuple]] = [{} for _ in self.symbol_of]
        self.start_id = self.ids[(grammar.start, 0)]

    def decide(self, sid: int, ilabel: int) -> tuple:
        """What Parser.addtoken does with the label when state ``sid`` is on top, kept:

        - (_SHIFT, top's new state id, pushed, pop_top, no children): the token is shifted
          after the pushes; ``pushed`` holds the state ids of the pushed nodes that survive
          the pops right after the shift (the token goes into the last one, or into the top
          when none); ``pop_top``: the top itself is then popped, and the pops go on as the
          stack says; "no children": the children of the pushed nodes but the last;
        - (_POP,), (_ERROR,);
        - (_PUSH, top's new state id, pushed state id): a push alone, when a pushed symbol
          could not go on with the label (cannot happen in a sound grammar)."""
        grammar, ids = self.grammar, self.ids
        symbol, state = self.symbol_of[sid], self.state_of[sid]
        first = step = _step(grammar, symbol, state, ilabel)
        if first[0] in (_POP, _ERROR):
            decision = first
        else:
            # The stack entries this token touches: the top, then each pushed symbol, with
            # their states after the token (the token itself goes into the last one).
            chain = [(symbol, first[2] if first[0] == _PUSH else first[1])]
            while step[0] == _PUSH:
                pushed = step[1]
                step = _step(grammar, pushed, 0, ilabel)
                if step[0] == _SHIFT:
                    chain.append((pushed, step[1]))
                elif step[0] == _PUSH:
                    chain.append((pushed, step[2]))
                else:
                    break
            top_id = ids[chain[0]]
            if step[0] != _SHIFT:
                decision = (_PUSH, top_id, ids[(first[1], 0)])
            else:
                # The pops after the shift, while the node on top is in an accept-only state.
                survivors = len(chain)
                while survivors and self.accept_only[ids[chain[survivors - 1]]]:
                    survivors -= 1
                pushed = tuple(ids[entry] for entry in chain[1:survivors])
                decision = (_SHIFT, top_id, pushed, survivors == 0, (None,) * (len(pushed) - 1))
        self.decisions[sid][ilabel] = decision
        return decision


_TABLES: dict[pgen_grammar.Grammar, _Tables] = {}

_new = object.__new__
_Leaf, _Node = pytree.Leaf, pytree.Node


def _node(symbol: int, children: list) -> pytree.Node:
    """``pytree.Node(symbol, children)`` for a list only the parser held."""
    node = _new(_Node)
    node.type = symbol
    node.children = children
    for child in children:
        child.parent = node
    node.fixers_applied = None
    return node


def parse_string(text: str, grammar: pgen_grammar.Grammar) -> pytree.Node:
    """``Driver(grammar, convert=pytree.convert).parse_string(text)``."""
    tables = _TABLES.get(grammar)
    if tables is None:
        tables = _TABLES[grammar] = _Tables(grammar)
    decisions, decide = tables.decisions, tables.decide
    symbol_of, accept_only = tables.symbol_of, tables.accept_only
    keywords, labels, opmap = grammar.keywords, grammar.tokens, pgen_grammar.opmap
    NAME, OP, COMMENT, NL = token.NAME, token.OP, pgen_tokenize.COMMENT, pgen_tokenize.NL
    new, Leaf, node_of = _new, _Leaf, _node
    used_names: set[str] = set()
    # The stack, as two lists: the state ids of the open nodes, and their children (None
    # for a node pushed without any yet: a node popped with one child collapses to it, and
    # its list, then that one child, becomes its parent's when the parent had none).
    sids: list[int] = [tables.start_id]
    kids: list = [[]]

    lineno = 1
    column = 0
    type = value = start = end = line_text = None
    prefix = ""
    for type, value, start, end, line_text in _generate_tokens(io.StringIO(text).readline):
        # Driver.parse_tokens: the prefix of the next token.
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
        if type == COMMENT or type == NL:
            prefix += value
            lineno, column = end
            if value.endswith("\n"):
                lineno += 1
                column = 0
            continue
        # Parser.classify
        if type == NAME:
            used_names.add(value)
            ilabel = keywords.get(value)
            if ilabel is None:
                ilabel = labels.get(type)
        else:
            if type == OP:
                type = opmap[value]
            ilabel = labels.get(type)
        if ilabel is None:
            raise ParseError("bad token", type, value, (prefix, start))
        # Parser.addtoken
        while True:
            decision = decisions[sids[-1]].get(ilabel)
            if decision is None:
                decision = decide(sids[-1], ilabel)
            kind = decision[0]
            if kind == _SHIFT:
                break
            if kind == _POP:
                sid = sids.pop()
                children = kids.pop()
                if not sids:
                    popped = children[0] if len(children) == 1 else node_of(symbol_of[sid], children)
                    popped.used_names = used_names
                    raise ParseError("too much input", type, value, (prefix, start))
                if len(children) == 1:
                    if kids[-1] is None:
                        kids[-1] = children
                    else:
                        kids[-1].append(children[0])
                elif kids[-1] is None:
                    kids[-1] = [node_of(symbol_of[sid], children)]
                else:
                    kids[-1].append(node_of(symbol_of[sid], children))
            elif kind == _ERROR:
                raise ParseError("bad input", type, value, (prefix, start))
            else:  # _PUSH
                sids[-1] = decision[1]
                sids.append(decision[2])
                kids.append(None)
        # The shift: Leaf.__init__'s attributes in its order, then `parent` and `was_checked`
        # at their class defaults (the values a read finds anyway): set later on a leaf with
        # six attributes, the bottom matcher's mark made CPython move them all into a dict.
        leaf = new(Leaf)
        leaf._prefix = prefix
        leaf.lineno, leaf.column = start
        leaf.type = type
        leaf.value = value
        leaf.fixers_applied = []
        leaf.parent = None
        leaf.was_checked = False
        sids[-1] = decision[1]
        if decision[2]:
            sids.extend(decision[2])
            kids.extend(decision[4])
            kids.append([leaf])
        else:
            if kids[-1] is None:
                kids[-1] = [leaf]
            else:
                kids[-1].append(leaf)
            if decision[3]:  # the pops, while the top is accept-only
                while True:
                    sid = sids.pop()
                    children = kids.pop()
                    popped = children[0] if len(children) == 1 else node_of(symbol_of[sid], children)
                    if not sids:
                        popped.used_names = used_names
                        return popped
                    if kids[-1] is None:
                        kids[-1] = [popped]
                    else:
                        kids[-1].append(popped)
                    if not accept_only[sids[-1]]:
                        break
        prefix = ""
        lineno, column = end
        if value.endswith("\n"):
            lineno += 1
            column = 0
    raise ParseError("incomplete input", type, value, (prefix, start))


# ---------------------------------------------------------------- the tokenizer

# What fissix's generate_tokens does with a token, by its first character, when that alone
# decides it (its chain of tests, in its order, gives the same answer for every token
# starting so): a number, a newline, a comment, a name, an operator; any other first
# character (a quote or string prefix letter, ".", "\\", a non-ASCII character) goes
# through the whole chain.
_NUMBER, _NEWLINE, _COMMENT, _NAME, _OPERATOR = range(5)
_BY_INITIAL: dict[str, int] = {
    **dict.fromkeys("0123456789", _NUMBER),
    **dict.fromkeys("\r\n", _NEWLINE),
    "#": _COMMENT,
    **dict.fromkeys("ACDEGHIJKLMNOPQSTVWXYZacdeghijklmnopqstvwxyz_", _NAME),
    **dict.fromkeys("()[]{}:;,`@+-*/%&|^=<>~!", _OPERATOR),
}


# pseudoprog's answer where it is quickest to find: its pattern tries, in order, line
# continuations, comments and triple-quoted strings, numbers, operators and other
# punctuation ("funny"), strings, names, and most tokens are names or operators.  After the
# same whitespace this tries only a name (first character neither a digit nor the start of a
# string: pseudoprog's earlier alternatives cannot match there, so it reads the same name)
# and funny tokens less "." (which may start a number); a token it does not match goes to
# pseudoprog itself.
_FAST_PSEUDO = re.compile(
    pgen_tokenize.Whitespace
    + pgen_tokenize.group(
        r"(?!(?:[uUrRbBfF]|[rR][fFbB]|[fFbBuU][rR])?['\"])[^\W\d]\w*",
        pgen_tokenize.group(pgen_tokenize.Operator, pgen_tokenize.Bracket, r"\r?\n", r":=", r"[:;,`@]"),
    )
)


def _generate_tokens(readline):
    """fissix.pgen2.tokenize.generate_tokens, the same tokens and errors: its code, with its
    globals bound locally, the common first characters of a token sorted out by one lookup
    (_BY_INITIAL) and the leading whitespace of a line without tabs or form feeds measured
    at once."""
    lnum = parenlev = continued = 0
    contstr, needcont = "", 0
    contline = None
    strstart = endprog = None  # (set with contstr, before any use)
    indents = [0]
    pseudomatch_at = pgen_tokenize.pseudoprog.match
    fast_match_at = _FAST_PSEUDO.match
    endprogs = pgen_tokenize.endprogs
    triple_quoted = pgen_tokenize.triple_quoted
    single_quoted = pgen_tokenize.single_quoted
    tabsize = pgen_tokenize.tabsize
    by_initial = _BY_INITIAL.get
    STRING, NUMBER, NAME, OP = token.STRING, token.NUMBER, token.NAME, token.OP
    NEWLINE, NL, COMMENT = token.NEWLINE, pgen_tokenize.NL, pgen_tokenize.COMMENT
    INDENT, DEDENT, ERRORTOKEN = token.INDENT, token.DEDENT, token.ERRORTOKEN
    ASYNC, AWAIT, ENDMARKER = token.ASYNC, token.AWAIT, token.ENDMARKER
    TokenError = pgen_tokenize.TokenError

    # 'stashed' and 'async_*' are used for async/await parsing
    stashed = None
    async_def = False
    async_def_indent = 0
    async_def_nl = False

    while 1:  # loop over lines in stream
        try:
            line = readline()
        except StopIteration:
            line = ""
        lnum = lnum + 1
        pos, max = 0, len(line)

        if contstr:  # continued string
            if not line:
                raise TokenError("EOF in multi-line string", strstart)
            endmatch = endprog.match(line)
            if endmatch:
                pos = end = endmatch.end(0)
                yield (STRING, contstr + line[:end], strstart, (lnum, end), contline + line)
                contstr, needcont = "", 0
                contline = None
            elif needcont and line[-2:] != "\\\n" and line[-3:] != "\\\r\n":
                yield (ERRORTOKEN, contstr + line, strstart, (lnum, len(line)), contline)
                contstr = ""
                contline = None
                continue
            else:
                contstr = contstr + line
                contline = contline + line
                continue

        elif parenlev == 0 and not continued:  # new statement
            if not line:
                break
            column = 0
            blank = max - len(line.lstrip(" \t\f"))
            if "\t" not in line[:blank] and "\f" not in line[:blank]:
                pos = column = blank
            else:
                while pos < max:  # measure leading whitespace
                    if line[pos] == " ":
                        column = column + 1
                    elif line[pos] == "\t":
                        column = (column // tabsize + 1) * tabsize
                    elif line[pos] == "\f":
                        column = 0
                    else:
                        break
                    pos = pos + 1
            if pos == max:
                break

            if stashed:
                yield stashed
                stashed = None

            if line[pos] in "#\r\n":  # skip comments or blank lines
                if line[pos] == "#":
                    comment_token = line[pos:].rstrip("\r\n")
                    nl_pos = pos + len(comment_token)
                    yield (COMMENT, comment_token, (lnum, pos), (lnum, pos + len(comment_token)), line)
                    yield (NL, line[nl_pos:], (lnum, nl_pos), (lnum, len(line)), line)
                else:
                    yield ((NL, COMMENT)[line[pos] == "#"], line[pos:], (lnum, pos), (lnum, len(line)), line)
                continue

            if column > indents[-1]:  # count indents or dedents
                indents.append(column)
                yield (INDENT, line[:pos], (lnum, 0), (lnum, pos), line)
            while column < indents[-1]:
                if column not in indents:
                    raise IndentationError(
                        "unindent does not match any outer indentation level",
                        ("<tokenize>", lnum, pos, line),
                    )
                indents = indents[:-1]

                if async_def and async_def_indent >= indents[-1]:
                    async_def = False
                    async_def_nl = False
                    async_def_indent = 0

                yield (DEDENT, "", (lnum, pos), (lnum, pos), line)

            if async_def and async_def_nl and async_def_indent >= indents[-1]:
                async_def = False
                async_def_nl = False
                async_def_indent = 0

        else:  # continued statement
            if not line:
                raise TokenError("EOF in multi-line statement", (lnum, 0))
            continued = 0

        while pos < max:
            pseudomatch = fast_match_at(line, pos) or pseudomatch_at(line, pos)
            if pseudomatch:  # scan for tokens
                start, end = pseudomatch.span(1)
                spos, epos, pos = (lnum, start), (lnum, end), end
                token_, initial = line[start:end], line[start]
                kind = by_initial(initial)

                if kind == _NAME and token_ not in ("async", "await", "def"):
                    if stashed:
                        yield stashed
                        stashed = None
                    yield (NAME, token_, spos, epos, line)
                elif kind == _OPERATOR:
                    if initial in "([{":
                        parenlev = parenlev + 1
                    elif initial in ")]}":
                        parenlev = parenlev - 1
                    if stashed:
                        yield stashed
                        stashed = None
                    yield (OP, token_, spos, epos, line)
                elif kind == _NUMBER or (initial == "." and token_ != "."):  # ordinary number
                    yield (NUMBER, token_, spos, epos, line)
                elif kind == _NEWLINE:
                    newline = NEWLINE
                    if parenlev > 0:
                        newline = NL
                    elif async_def:
                        async_def_nl = True
                    if stashed:
                        yield stashed
                        stashed = None
                    yield (newline, token_, spos, epos, line)

                elif kind == _COMMENT:
                    assert not token_.endswith("\n")
                    if stashed:
                        yield stashed
                        stashed = None
                    yield (COMMENT, token_, spos, epos, line)
                elif token_ in triple_quoted:
                    endprog = endprogs[token_]
                    endmatch = endprog.match(line, pos)
                    if endmatch:  # all on one line
                        pos = endmatch.end(0)
                        token_ = line[start:pos]
                        if stashed:
                            yield stashed
                            stashed = None
                        yield (STRING, token_, spos, (lnum, pos), line)
                    else:
                        strstart = (lnum, start)  # multiple lines
                        contstr = line[start:]
                        contline = line
                        break
                elif initial in single_quoted or token_[:2] in single_quoted or token_[:3] in single_quoted:
                    if token_[-1] == "\n":  # continued string
                        strstart = (lnum, start)
                        endprog = endprogs[initial] or endprogs[token_[1]] or endprogs[token_[2]]
                        contstr, needcont = line[start:], 1
                        contline = line
                        break
                    else:  # ordinary string
                        if stashed:
                            yield stashed
                            stashed = None
                        yield (STRING, token_, spos, epos, line)
                elif initial.isidentifier():  # ordinary name
                    if token_ in ("async", "await"):
                        if async_def:
                            yield (ASYNC if token_ == "async" else AWAIT, token_, spos, epos, line)
                            continue

                    tok = (NAME, token_, spos, epos, line)
                    if token_ == "async" and not stashed:
                        stashed = tok
                        continue

                    if token_ == "def":
                        if stashed and stashed[0] == NAME and stashed[1] == "async":
                            async_def = True
                            async_def_indent = indents[-1]

                            yield (ASYNC, stashed[1], stashed[2], stashed[3], stashed[4])
                            stashed = None

                    if stashed:
                        yield stashed
                        stashed = None

                    yield tok
                elif initial == "\\":  # continued stmt
                    # This yield is new; needed for better idempotency:
                    if stashed:
                        yield stashed
                        stashed = None
                    yield (NL, token_, spos, (lnum, pos), line)
                    continued = 1
                else:
                    if initial in "([{":
                        parenlev = parenlev + 1
                    elif initial in ")]}":
                        parenlev = parenlev - 1
                    if stashed:
                        yield stashed
                        stashed = None
                    yield (OP, token_, spos, epos, line)
            else:
                yield (ERRORTOKEN, line[pos], (lnum, pos), (lnum, pos + 1), line)
                pos = pos + 1

    if stashed:
        yield stashed
        stashed = None

    for indent in indents[1:]:  # pop remaining indent levels
        yield (DEDENT, "", (lnum, 0), (lnum, 0), "")
    yield (ENDMARKER, "", (lnum, 0), (lnum, 0), "")
