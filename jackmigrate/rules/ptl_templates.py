"""JM040: PTL templates (``.ptl`` modules) become plain Python modules.

The conversion itself lives in :mod:`jackmigrate.ptl` (a pure function, tested on its
own); this rule plugs it into the engine as a text-level conversion of ``.ptl`` files,
which the engine then renames to ``.py``.
"""

from __future__ import annotations

from jackmigrate.ptl import convert_ptl
from jackmigrate.rules.base import NEEDS_REVIEW, Bucket, Example, Rule, todo_comment

_BEFORE_GEN3 = '''\
from quixote.ptl import ptl_html


@ptl_html
def page(title, items):
    F'<h1>{title}</h1>'
    for item in items:
        '<li>'
        item
'''

_AFTER_GEN3 = '''\
from jack_runtime.html import TemplateIO, htmltext


def page(title, items):
    out = TemplateIO(html=True)
    out += htmltext('<h1>{title}</h1>').format(title=title)
    for item in items:
        out += '<li>'
        out += item
    return out.getvalue()
'''

_BEFORE_GEN1 = '''\
def row [html] (cells):
    '<tr>'
    for cell in cells:
        '<td>%s</td>' % cell
    '</tr>'
'''

_AFTER_GEN1 = '''\
from jack_runtime.html import TemplateIO, htmltext

def row(cells):
    out = TemplateIO(html=True)
    out += htmltext('<tr>')
    for cell in cells:
        out += htmltext('<td>%s</td>') % cell
    out += htmltext('</tr>')
    return out.getvalue()
'''

_BEFORE_GEN2 = '''\
def link [html] (url, text):
    h'<a href="{url}">'
    text
    h'</a>'
'''

_AFTER_GEN2 = '''\
from jack_runtime.html import TemplateIO, htmltext

def link(url, text):
    out = TemplateIO(html=True)
    out += htmltext('<a href="{url}">').format(url=url)
    out += text
    out += htmltext('</a>')
    return out.getvalue()
'''


class PtlTemplates(Rule):
    id = "JM040"
    name = "ptl-templates"
    summary = "Convert PTL templates (.ptl) to plain Python with an explicit accumulator"
    rationale = (
        "Jack has no import hook: a .ptl module becomes a .py module of the same name, so "
        "imports elsewhere keep working.  Each template gets `out = TemplateIO(html=True)`, "
        "every expression statement becomes `out += ...` (None dropped, non-markup escaped), "
        "and `return out.getvalue()`; markup literals (F-strings, h-strings, or every literal "
        "of a Quixote <= 3.0 [html] template) become `htmltext(...)`, interpolations "
        "`htmltext(...).format(...)`, which escapes them exactly as Quixote did.  The syntax "
        "generation is decided per file and reported; put `# jackmigrate: ptl-generation=N` "
        "in a file to force it."
    )
    applicability = NEEDS_REVIEW
    suffixes = (".ptl",)
    rename_suffix = ".py"
    markers = ()
    examples = (
        Example(before=_BEFORE_GEN3, after=_AFTER_GEN3, path="page.ptl", title="decorators and F-strings (Quixote 3.2+)"),
        Example(before=_BEFORE_GEN1, after=_AFTER_GEN1, path="rows.ptl", title="[html] templates (Quixote <= 3.0): literals are markup"),
        Example(before=_BEFORE_GEN2, after=_AFTER_GEN2, path="links.ptl", title="h-strings (Quixote 3.1-3.6)"),
    )

    def convert_source(self, source: str) -> str:
        # PtlError (a SourceError) propagates: the engine reports the file with its line
        # and reason and leaves it untouched.
        # A template that was Python 2 source was written for Quixote <= 2.x: generation 1
        # for certain (the Python 2 front end sets the flag when it converted the file).
        generation = 1 if getattr(self.ctx, "from_python2", False) else None
        # The project index parsed the file with CPython's parser already: the converter
        # uses the facts it kept when they are those of the text it converts.
        facts_for = getattr(getattr(self.ctx, "index", None), "ptl_facts_for", None)
        result = convert_ptl(
            source,
            self.ctx.path,
            target_python=self.ctx.target_python,
            generation=generation,
            review_comment=lambda message: todo_comment(self.id, message),
            validate=False,  # the engine compiles the migrated text
            parsed=facts_for(self.ctx.path) if facts_for is not None else None,
        )
        self.ctx.tree = result.tree
        self.ctx.layout = result.layout
        for finding in result.findings:
            bucket = Bucket.MARKED if finding.kind == "review" else Bucket.REWRITTEN
            self.report_at(finding.line, finding.column, bucket, finding.message)
        return result.code
