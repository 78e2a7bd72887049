"""Render PTL both ways: with Quixote's own PTL compiler and as converted by jackmigrate.

Quixote side: generation 3 uses the installed Quixote 3.8 (``quixote.ptl.ptl_parse``);
generations 1 and 2 use the parsers of Quixote 3.0 and 3.6, kept verbatim in
``tests/ptl_reference/`` (Quixote 3.7+ cannot compile those syntaxes any more).  All
of them produce code that runs against Quixote 3.8's ``quixote.html``.

Jack side: ``jackmigrate.ptl.convert_ptl`` and the result executed as a plain module,
so it uses ``jack_runtime.html``.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any, Optional

import quixote.html as qhtml
from quixote.ptl import ptl_parse as quixote38_ptl_parse

import jack_runtime.html as jhtml
from jackmigrate.ptl import PtlResult, convert_ptl

HERE = Path(__file__).parent
CORPUS = HERE / "ptl_corpus"
QUIXOTE_DEMO = Path(qhtml.__file__).parent.parent / "demo"


def _load_reference(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"ptl_reference_{name}", HERE / "ptl_reference" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_PARSERS: dict[int, Any] = {}


def quixote_parser(generation: int) -> Any:
    if generation not in _PARSERS:
        if generation == 3:
            _PARSERS[3] = quixote38_ptl_parse
        else:
            _PARSERS[generation] = _load_reference({1: "quixote30_ptl_parse", 2: "quixote36_ptl_parse"}[generation])
    return _PARSERS[generation]


def run_quixote(source: str, generation: int, name: str = "ptl_case", extra: Optional[dict] = None) -> dict:
    """Execute ``source`` as Quixote's PTL of ``generation`` would; return the namespace."""
    ns: dict[str, Any] = {"__name__": name, **(extra or {})}
    with warnings.catch_warnings():
        # The 3.0/3.6 parsers build ast.Str/ast.Num nodes (deprecated, still working).
        warnings.simplefilter("ignore", DeprecationWarning)
        tree = quixote_parser(generation).parse(source.encode("utf-8"), f"{name}.ptl")
        code = compile(tree, f"{name}.ptl", "exec")
    exec(code, ns)
    return ns


def run_jack(source: str, name: str = "ptl_case", extra: Optional[dict] = None, **kw: Any) -> tuple[dict, PtlResult]:
    """Convert ``source`` with jackmigrate and execute the result; (namespace, result)."""
    result = convert_ptl(source, f"{name}.ptl", **kw)
    ns: dict[str, Any] = {"__name__": name, **(extra or {})}
    exec(compile(result.code, f"{name}.py", "exec"), ns)
    return ns, result


def describe(value: Any) -> tuple[str, Any]:
    """A rendered value reduced to (kind, payload) comparable across the two worlds."""
    if isinstance(value, (qhtml.htmltext, jhtml.htmltext)):
        return ("htmltext", str(value))
    if isinstance(value, str):
        return ("str", value)
    if isinstance(value, BaseException):
        return ("raises", type(value).__name__)
    return (type(value).__name__, value)


def equivalent_text(quixote_out: str, jack_out: str) -> bool:
    """Equal, or different only where Quixote left a ``'`` that Jack escaped as ``&#39;``
    (the documented fix; jack_runtime.html escapes the single quote)."""
    i = j = 0
    while i < len(quixote_out) and j < len(jack_out):
        if quixote_out[i] == jack_out[j]:
            i += 1
            j += 1
        elif quixote_out[i] == "'" and jack_out.startswith("&#39;", j):
            i += 1
            j += 5
        else:
            return False
    return i == len(quixote_out) and j == len(jack_out)


def equivalent(quixote_value: Any, jack_value: Any) -> bool:
    qk, qv = describe(quixote_value)
    jk, jv = describe(jack_value)
    if qk != jk:
        return False
    if qk in ("htmltext", "str"):
        # A plain template may hold escaped text too (str(htmlescape(x))).
        return equivalent_text(qv, jv)
    return qv == jv


def call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # compared by type: both sides must fail alike
        return exc
