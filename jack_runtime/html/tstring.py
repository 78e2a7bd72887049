"""``htmlformat(t'...')``: HTML from a Python 3.14 template string (Quixote 3.8's API).

Each interpolation is escaped unless it is markup, then formatted with its format spec;
conversions (``!r``...) are refused, as Quixote refuses them. Only defined where the
interpreter has t-strings (``string.templatelib``), as in Quixote.
"""
from __future__ import annotations

from typing import Any

from .text import _wraparg, htmltext

try:
    from string.templatelib import Interpolation, Template  # Python >= 3.14
except ImportError:  # pragma: no cover - exercised on Python < 3.14
    Interpolation = Template = None  # type: ignore[assignment,misc]


def render_template(template: Any, interpolation_type: type, template_type: type) -> htmltext:
    """The work of :func:`htmlformat`, with the t-string types passed in (so it is testable
    on any Python with stand-ins for them)."""
    if not isinstance(template, template_type):
        raise TypeError(f"require t-string, got {template!r}")
    parts: list[str] = []
    for item in template:
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, interpolation_type):
            if item.conversion is not None:
                raise ValueError("conversion not supported for htmlformat")
            if item.format_spec.endswith("c"):
                raise ValueError("the 'c' format type is not allowed in htmltext formatting")
            parts.append(format(_wraparg(item.value), item.format_spec))
    return htmltext("".join(parts))


if Template is not None:  # pragma: no cover - Python >= 3.14

    def htmlformat(template: Template) -> htmltext:
        """Format htmltext from a t-string: ``htmlformat(t'<p>{name}</p>')``."""
        return render_template(template, Interpolation, Template)
