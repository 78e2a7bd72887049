"""Tag and URL helpers of ``quixote.html``: htmltag, href, url_with_query, url_quote,
nl2br, js_escape and ValuelessAttr, with Quixote 3.8's output (apart from ``'``, which
:func:`htmlescape` escapes)."""
from __future__ import annotations

import re
import urllib.parse
from typing import Any

from .text import _new, htmlescape, htmltext

__all__ = ["ValuelessAttr", "htmltag", "href", "url_with_query", "url_quote", "nl2br", "js_escape"]


class _ValuelessAttr:
    """Marker for an attribute written as ``name="name"`` (e.g. ``checked``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ValuelessAttr"

    def __reduce__(self) -> str:
        return "ValuelessAttr"


ValuelessAttr = _ValuelessAttr()


def htmltag(tag: str, xml_end: bool = False, css_class: Any = None, **attrs: Any) -> htmltext:
    """``<tag attr="value" ...>`` with escaped, double-quoted values; None omits one."""
    r = ["<%s" % tag]
    if css_class is not None:
        attrs["class"] = css_class
    for attr, val in attrs.items():
        if val is ValuelessAttr:
            val = attr
        if val is not None:
            r.append(' %s="%s"' % (attr, htmlescape(val).s))
    r.append(" />" if xml_end else ">")
    return _new("".join(r))


def href(url: Any, text: Any, title: Any = None, **attrs: Any) -> htmltext:
    """``<a href="url" title="title">text</a>``; the URL is escaped, not URL-quoted."""
    return htmltag("a", href=url, title=title, **attrs) + htmlescape(text) + _new("</a>")


def url_with_query(path: Any, **attrs: Any) -> htmltext:
    """``url_quote(path)`` plus ``?key=value&...`` with keys sorted, as htmltext."""
    result = _new(url_quote(path))
    if attrs:
        result += "?" + "&".join(
            [url_quote(key) + "=" + url_quote(value) for key, value in sorted(attrs.items())]
        )
    return result


def nl2br(value: Any) -> htmltext:
    """Escape ``value`` and insert ``<br />`` before each newline."""
    return _new(htmlescape(value).s.replace("\n", "<br />\n"))


def url_quote(value: Any, fallback: Any = None) -> Any:
    """``urllib.parse.quote(str(value))``; None gives ``fallback`` or raises ValueError."""
    if value is None:
        if fallback is None:
            raise ValueError("value is None and no fallback supplied")
        return fallback
    return urllib.parse.quote(str(value))


_ETAGO = re.compile(r"</")


def js_escape(s: Any) -> htmltext:
    """Make JavaScript safe inside ``<script>``: only ``</`` becomes ``<\\/``."""
    return _new(_ETAGO.sub(r"<\\/", str(s)))
