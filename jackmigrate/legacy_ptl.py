"""Run Quixote 3.1-3.6 PTL (``def f [html] (...)`` and ``h'...'``) on Quixote 3.8.

Quixote 3.7 dropped the bracket syntax and the ``h`` prefix because the
Python 3.12 tokenizer no longer allowed them; applications that still use
them cannot be imported by a current Quixote.  To compare such an
application with its migrated form, verify's original side installs this
import hook: it rewrites the old spellings exactly as Quixote's own
``tools/ptl_to_decorator.py`` does (``def f [html] (`` becomes
``@ptl_html`` + ``def f(``, ``h'..'`` becomes ``F'..'``) and hands the result
to Quixote 3.8's PTL compiler.  The 3.1-3.6 semantics (only h-strings are
markup) are those of 3.8's F-strings, so the pages are the ones the old
Quixote produced.

The hook only acts once the application has called ``quixote.enable_ptl()``,
like Quixote's own finder, and it only rewrites files that use the old
spellings; modern ``.ptl`` files go through untouched.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import io
import sys
import tokenize

TEMPLATE_KINDS = ('html', 'plain')


def translate(source: str) -> str:
    """Rewrite bracket templates and h-strings into 3.8 decorator syntax."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    lines = source.splitlines(keepends=True)
    # (row, col_start, col_end, replacement), applied right to left.
    edits: list[tuple[int, int, int, str]] = []
    for i, tok in enumerate(tokens):
        if (
            tok.type == tokenize.NAME
            and tok.string == 'def'
            and i + 5 < len(tokens)
            and tokens[i + 2].string == '['
            and tokens[i + 3].string in TEMPLATE_KINDS
            and tokens[i + 4].string == ']'
            and tokens[i + 5].string == '('
        ):
            row, col = tok.start
            open_bracket, paren = tokens[i + 2], tokens[i + 5]
            if open_bracket.start[0] != row or paren.start[0] != row:
                continue
            name_end = tokens[i + 1].end[1]
            edits.append((row, name_end, paren.start[1], ''))
            indent = lines[row - 1][:col]
            kind = tokens[i + 3].string
            edits.append((row, col, col, f'@ptl_{kind}\n{indent}'))
        elif (
            tok.type == tokenize.NAME
            and tok.string == 'h'
            and i + 1 < len(tokens)
            and tokens[i + 1].type == tokenize.STRING
            and tokens[i + 1].start == tok.end
        ):
            row, col = tok.start
            edits.append((row, col, col + 1, 'F'))
    if not edits:
        return source
    for row, start, end, text in sorted(edits, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:start] + text + line[end:]
    return ''.join(lines)


def uses_legacy_syntax(source: str) -> bool:
    return translate(source) != source


class LegacyPTLLoader(importlib.machinery.SourceFileLoader):
    def source_to_code(self, data, path, *, _optimize=-1):  # type: ignore[override]
        from quixote.ptl import ptl_parse

        text = importlib.util.decode_source(data)
        translated = translate(text)
        return compile(
            ptl_parse.parse(translated, path), path, 'exec',
            dont_inherit=True, optimize=_optimize,
        )

    def exec_module(self, module):
        # ptl_to_decorator.py forgets the import (doc/upgrading.txt says so);
        # supply the names instead of inserting a line, so line numbers hold.
        from quixote.ptl import ptl_html, ptl_plain

        module.__dict__.setdefault('ptl_html', ptl_html)
        module.__dict__.setdefault('ptl_plain', ptl_plain)
        super().exec_module(module)

    def get_code(self, fullname):
        # Never reuse bytecode written by another loader for the same file.
        return self.source_to_code(self.get_data(self.get_filename(fullname)),
                                   self.get_filename(fullname))


class LegacyPTLFinder(importlib.machinery.PathFinder):
    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if 'quixote.ptl.install' not in sys.modules:
            return None
        for entry in path if path is not None else sys.path:
            finder = importlib.machinery.FileFinder(
                entry or '.', (LegacyPTLLoader, ['.ptl'])
            )
            spec = finder.find_spec(fullname, target)
            if spec is not None and spec.loader is not None:
                return spec
        return None


def install() -> None:
    """Append the finder (after the standard one, so .py files still win)."""
    if LegacyPTLFinder not in sys.meta_path:
        sys.meta_path.append(LegacyPTLFinder)
