"""HTML text and helpers: the ``quixote.html`` API.

``htmltext`` is markup that needs no escaping; :func:`htmlescape` turns anything else into
it.  Every operation that mixes the two escapes the plain side, so templates written with
``htmltext`` literals and ``%``/``.format``/``TemplateIO`` stay safe without explicit
escaping.  See :mod:`jack_runtime.html.text` for the (few, deliberate) differences from
Quixote 3.8.

Converted PTL templates use this API directly::

    def page(title, rows, footer=None):
        out = TemplateIO(html=True)
        out += htmltext('<h1>{}</h1>').format(title)   # an HTML f-string
        for row in rows:
            out += htmltext('<p>%s</p>') % row             # row is escaped
        out += footer                                      # None is dropped
        return out.getvalue()
"""
from .tags import ValuelessAttr, href, htmltag, js_escape, nl2br, url_quote, url_with_query
from .text import (
    TemplateIO,
    _q_format,
    _q_join,
    _wraparg,  # noqa: F401 - quixote.html exposes it too (outside __all__)
    htmlescape,
    htmltemplate,
    htmltext,
    stringify,
)
from . import tstring as _tstring

if hasattr(_tstring, "htmlformat"):  # Python >= 3.14 only, as in Quixote
    htmlformat = _tstring.htmlformat

__all__ = [
    "htmltext", "htmlescape", "stringify", "TemplateIO", "htmltemplate",
    "ValuelessAttr", "htmltag", "href", "url_with_query", "url_quote", "nl2br", "js_escape",
    "_q_join", "_q_format",
]
