"""htmltext, htmlescape and TemplateIO: Quixote 3.8's HTML text type, in pure Python.

Behaviour follows ``quixote.html`` (the C implementation where the two Quixote
implementations differ: comparisons, ``n * htmltext``, escaping when a value is appended
to a TemplateIO).  Values that are not ``htmltext`` are escaped whenever they meet
``htmltext``: through ``+``, ``%``, ``.format()``, ``.join()`` and ``TemplateIO``.

Deliberate differences from Quixote 3.8 (each has a test in ``tests/test_html_*``):

* ``'`` is escaped too, as ``&#39;``, so text in single-quoted attributes is safe.
  Quixote escapes only ``& < > "``.
* The ``c`` presentation type is refused with ``ValueError`` (``'%c'`` in ``%``,
  ``'{:c}'`` in ``.format()`` and ``_q_format``): formatting ``60`` as ``c`` emits a
  raw ``<``.  Quixote 4.0 refuses it the same way.
* ``htmltext`` has ``__html__``, and every escaping operation trusts an object's
  ``__html__()`` (markupsafe's ``Markup``, Jinja's output, ...) instead of escaping it
  again; so both libraries interoperate without double escaping.
* A number of an int/float *subclass* is escaped through its ``str()``/``repr()``/
  ``format()`` (Quixote passes it through, so a subclass printing markup leaked); it
  still works with ``%d``/``%f``.
* ``_q_format`` with both a conversion and a spec (``F'{x!r:>9}'``) formats; Quixote 3.8
  builds ``'{:>9!r}'`` and raises ValueError.
* ``htmltext(b'x')`` and ``htmlescape(b'x')`` use ``str()`` (``"b'x'"``), as Quixote's
  Python implementation does; ``copy.copy``/``deepcopy`` return the object itself
  (it is immutable); pickling is still refused (``TypeError``).

Speed: this is plain Python, written for CPython's fast paths: exact-type checks first;
one escape function (markupsafe's C ``_escape_inner`` when installed, else a pure-Python
one with identical output) that returns its argument itself when there is nothing to
escape, so ``e is s`` is the common-case test; ``%`` and ``.format`` scan their arguments
and format the original tuple when none needs a change, copying it only from the first
one that does; format strings are scanned once and the result cached.  On the 100-row
table page of ``bench/bench_html.py`` it is 1.15-2x Quixote's C type (the TemplateIO
page cannot reach C speed in Python: one Python-level call per ``out += ...`` and per
``htmltext(...)`` costs more than the C type's whole operation; the bench's ``floor``
column measures that bound) and 1.5-2.1x faster than Quixote's Python type.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

import _string  # str.format's own template parser

__all__ = [
    "htmltext", "htmlescape", "stringify", "TemplateIO", "htmltemplate",
    "_wraparg", "_q_join", "_q_format",
]

# Quixote's stringify is str in Python 3 (the C one also passes bytes through).
stringify = str


def _escape_py(s: str) -> str:
    """Escape ``& < > " '`` in ``s`` (an exact str); ``s`` itself if nothing needs it."""
    # Most text has nothing to escape: five `in` tests are cheaper than five replaces.
    if "&" in s or "<" in s or ">" in s or '"' in s or "'" in s:
        return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace('"', "&quot;").replace("'", "&#39;"))
    return s


def _native_escape() -> Any:
    """markupsafe's C escape, if installed and still the function this module expects.

    It is a private name of markupsafe (3.x): it must return its argument itself when there
    is nothing to escape, and write ``"`` as ``&#34;`` (callers turn that into Quixote's
    ``&quot;``); anything else and the pure-Python escape is used.
    """
    try:
        from markupsafe._speedups import _escape_inner  # type: ignore[import-not-found]
    except ImportError:
        return None
    plain = "plain text"
    if _escape_inner(plain) is not plain or _escape_inner("&<>\"'") != "&amp;&lt;&gt;&#34;&#39;":
        return None
    return _escape_inner


# The escape every operation uses (looked up at call time, so tests can swap it): returns
# its argument itself when nothing needs escaping, which the hot paths test with `is`; it
# may write '"' as '&#34;', which they then replace.  That replace is exact: every '&' of
# the input was escaped, so '&#34;' in the output can only come from a '"'.
_esc = _native_escape() or _escape_py


def _escape(s: str) -> str:
    """Escape the five HTML special characters of ``s`` (an exact str)."""
    e = _esc(s)
    if e is not s and '"' in s:
        return e.replace("&#34;", "&quot;")
    return e


_object_new = object.__new__


class htmltext:
    """A string of HTML markup: text that needs no more escaping.

    Not a ``str`` subclass (as in Quixote): ``''.join([htmltext(...)])`` fails rather
    than silently dropping the type.  ``str(ht)`` gives the markup.
    """

    __slots__ = ("s",)

    def __init__(self, s: Any) -> None:
        if type(s) is not str:
            s = str(s)
        self.s = s

    def __html__(self) -> str:
        return self.s

    def __str__(self) -> str:
        return self.s

    def __repr__(self) -> str:
        return "<htmltext %r>" % self.s

    def __len__(self) -> int:
        return len(self.s)

    def __hash__(self) -> int:
        return hash(self.s)

    # Comparisons look through htmltext on either side, like the C type.
    def __eq__(self, other: Any) -> bool:
        if isinstance(other, htmltext):
            return self.s == other.s
        return self.s == other

    def __ne__(self, other: Any) -> bool:
        if isinstance(other, htmltext):
            return self.s != other.s
        return self.s != other

    def __lt__(self, other: Any) -> bool:
        if isinstance(other, htmltext):
            return self.s < other.s
        return self.s < other

    def __le__(self, other: Any) -> bool:
        if isinstance(other, htmltext):
            return self.s <= other.s
        return self.s <= other

    def __gt__(self, other: Any) -> bool:
        if isinstance(other, htmltext):
            return self.s > other.s
        return self.s > other

    def __ge__(self, other: Any) -> bool:
        if isinstance(other, htmltext):
            return self.s >= other.s
        return self.s >= other

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError("htmltext objects should not be pickled")

    def __copy__(self) -> "htmltext":
        return self

    def __deepcopy__(self, memo: Any) -> "htmltext":
        return self

    def __add__(self, other: Any) -> "htmltext":
        t = type(other)
        if t is htmltext:
            other = other.s
        elif t is str:
            e = _esc(other)
            if e is not other and '"' in other:
                e = e.replace("&#34;", "&quot;")
            other = e
        else:
            other = _trusted_or_escaped(other)
            if other is None:
                return NotImplemented
        h = _object_new(htmltext)
        h.s = self.s + other
        return h

    def __radd__(self, other: Any) -> "htmltext":
        if type(other) is str:
            return _new(_escape(other) + self.s)
        trusted = _trusted_or_escaped(other)
        if trusted is None:
            return NotImplemented
        return _new(trusted + self.s)

    def __mul__(self, n: int) -> "htmltext":
        return _new(self.s * n)

    __rmul__ = __mul__

    def __mod__(self, args: Any) -> "htmltext":
        s = self.s
        if s not in _percent_plan:
            _plan_percent(s)  # refuses %c
        if type(args) is tuple:
            # Most arguments need no change (text with nothing to escape, plain numbers):
            # a scan that proves it is cheaper than building a copy of the tuple.
            for a in args:
                if type(a) is str:
                    if _esc(a) is not a:
                        break
                elif type(a) is not int and type(a) is not float:
                    break
            else:
                h = _object_new(htmltext)
                h.s = s % args
                return h
            args = tuple(_wrapargs(args, a, _percent_plan.get(s, True)))
        elif isinstance(args, tuple):
            args = tuple(_wrapargs(args, None, _percent_plan.get(s, True)))
        else:
            t = type(args)
            if t is str:
                if _esc(args) is not args:
                    args = _escape_arg(args)
            elif t is htmltext:
                args = args.s
            elif t is not int and t is not float:
                args = _wraparg(args)
        h = _object_new(htmltext)
        h.s = s % args
        return h

    def format(self, /, *args: Any, **kwargs: Any) -> "htmltext":
        """``str.format`` with every argument escaped; specs apply to the escaped text."""
        s = self.s
        plan = _format_plan.get(s)
        if plan is None:
            plan = _plan_format(s)
        if plan & _DYNAMIC_SPEC:
            # A format spec is computed from arguments: numbers must refuse 'c' themselves.
            args = [_wraparg_guarded(a) for a in args]
            kwargs = {k: _wraparg_guarded(v) for k, v in kwargs.items()}
        else:
            # As in __mod__: scan, and copy only when something needs a change.
            for a in args:
                if type(a) is str:
                    if _esc(a) is not a:
                        args = _wrapargs(args, a, plan & _REPR_USED)
                        break
                elif type(a) is not int and type(a) is not float:
                    args = _wrapargs(args, a, plan & _REPR_USED)
                    break
            # Converted HTML f-strings pass bare names as keywords: `.format(title=title)`.
            # kwargs is this call's own dict, so its values can be replaced in place.
            for k, a in kwargs.items():
                if type(a) is str:
                    if _esc(a) is not a:
                        kwargs[k] = _escape_arg(a) if plan & _REPR_USED else _escape(a)
                elif type(a) is htmltext:
                    kwargs[k] = a.s
                elif type(a) is not int and type(a) is not float:
                    kwargs[k] = _wraparg(a)
        h = _object_new(htmltext)
        h.s = s.format(*args, **kwargs)
        return h

    def join(self, items: Iterable[Any]) -> "htmltext":
        """Join ``items`` (str, escaped, or htmltext) with this markup as the separator."""
        parts = []
        append = parts.append
        for item in items:
            t = type(item)
            if t is htmltext:
                append(item.s)
            elif t is str:
                e = _esc(item)
                if e is not item and '"' in item:
                    e = e.replace("&#34;", "&quot;")
                append(e)
            else:
                trusted = _trusted_or_escaped(item) if isinstance(item, (str, htmltext)) else None
                if trusted is None:
                    if hasattr(item, "__html__"):
                        trusted = str(item.__html__())
                    else:
                        raise TypeError("join() requires string arguments (got %r)" % (item,))
                append(trusted)
        h = _object_new(htmltext)
        h.s = self.s.join(parts)
        return h

    def startswith(self, s: Any) -> bool:
        return self.s.startswith(_quote_arg(s))

    def endswith(self, s: Any) -> bool:
        return self.s.endswith(_quote_arg(s))

    def replace(self, old: Any, new: Any, count: int = -1) -> "htmltext":
        return _new(self.s.replace(_quote_arg(old), _quote_arg(new), count))

    def lower(self) -> "htmltext":
        return _new(self.s.lower())

    def upper(self) -> "htmltext":
        return _new(self.s.upper())

    def capitalize(self) -> "htmltext":
        return _new(self.s.capitalize())


def _new(s: str, _object_new: Any = _object_new, _cls: type = htmltext) -> htmltext:
    """Wrap an already-escaped str without calling ``str()`` again."""
    h = _object_new(_cls)
    h.s = s
    return h


def _trusted_or_escaped(value: Any) -> str | None:
    """The markup for a value that may meet htmltext in ``+``; None if it may not."""
    if isinstance(value, htmltext):
        return value.s
    html = getattr(value, "__html__", None)
    if html is not None:
        return str(html())
    if isinstance(value, str):
        # A str subclass: escape its character data, not whatever its methods do.
        return _escape(str.__str__(value))
    return None


def _quote_arg(value: Any) -> str:
    if type(value) is str:
        return _escape(value)
    trusted = _trusted_or_escaped(value) if isinstance(value, (str, htmltext)) else None
    if trusted is None:
        raise TypeError("string object required")
    return trusted


class _QuoteWrapper:
    """Stands for a `%`/format argument that is neither str, htmltext nor a number."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __str__(self) -> str:
        return _escape(str(self.value))

    def __repr__(self) -> str:
        return _escape(repr(self.value))

    def __getitem__(self, key: Any) -> Any:
        return _wraparg(self.value[key])


class _EscapedWithApostrophe(str):
    """An escaped str argument that contained ``'``: its ``repr()`` is Quixote's.

    Quixote escapes a text argument (``& < > "``) and ``%r``/``{!r}`` then take the repr of
    that, whose delimiters depend on the quotes left in it. Jack also escapes ``'``, which
    would make repr() choose other delimiters; this keeps Quixote's repr and escapes its
    ``'`` afterwards, so the output differs from Quixote's only by the documented ``&#39;``.
    """

    def __repr__(self) -> str:
        quixote_escaped = (self.original.replace("&", "&amp;").replace("<", "&lt;")
                           .replace(">", "&gt;").replace('"', "&quot;"))
        return repr(quixote_escaped).replace("'", "&#39;")


def _escape_arg(arg: str) -> str:
    escaped = _escape(arg)
    if "'" in arg:
        escaped = _EscapedWithApostrophe(escaped)
        escaped.original = arg
    return escaped


def _wrapargs(args: tuple, first: Any, repr_used: Any) -> list:
    """A copy of the ``%``/format arguments ``args``, prepared (see :func:`_wraparg`).

    ``first`` is the first argument a scan found to need a change (all before it are
    exact str/int/float that need none), or None to prepare them all.  ``repr_used``: the
    template has ``%r``/``%a``/``!r``/``!a``, so text with ``'`` keeps Quixote's repr.
    """
    wrapped = list(args)
    n = len(wrapped)
    if first is None:
        i = 0
    elif type(first) is str:
        # Everything before it is an exact str, int or float: `==` is exact and harmless.
        i = args.index(first)
    else:
        i = 0
        while wrapped[i] is not first:
            i += 1
    while i < n:
        a = wrapped[i]
        t = type(a)
        if t is str:
            e = _esc(a)
            if e is not a:
                if '"' in a:
                    e = e.replace("&#34;", "&quot;")
                if repr_used and "'" in a:
                    e = _EscapedWithApostrophe(e)
                    e.original = a
                wrapped[i] = e
        elif t is htmltext:
            wrapped[i] = a.s
        elif t is not int and t is not float:
            wrapped[i] = _wraparg(a)
        i += 1
    return wrapped


def _wraparg(arg: Any) -> Any:
    """Prepare one ``%``/format argument: escape text, keep markup and numbers."""
    t = type(arg)
    if t is str:
        return _escape_arg(arg) if "'" in arg else _escape(arg)
    if t is htmltext:
        return arg.s
    if t is int or t is float:
        return arg
    if isinstance(arg, htmltext):
        return arg.s
    if isinstance(arg, str):
        html = getattr(arg, "__html__", None)
        if html is not None:
            return str(html())
        return _escape(str.__str__(arg))
    if t is bool:
        return arg
    html = getattr(arg, "__html__", None)
    if html is not None:
        return str(html())
    if isinstance(arg, (int, float)):
        # A subclass may print anything (Quixote passes it through unescaped).
        return _NumberWrapper(arg)
    return _QuoteWrapper(arg)


class _NumberWrapper:
    """A number of a subclass of int/float: usable by %d/%f, escaped by %s/%r/format."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __int__(self) -> int:
        return int(self.value)

    def __index__(self) -> int:
        return self.value.__index__()

    def __float__(self) -> float:
        return float(self.value)

    def __str__(self) -> str:
        return _escape(str(self.value))

    def __repr__(self) -> str:
        return _escape(repr(self.value))

    def __format__(self, spec: str) -> str:
        if spec[-1:] == "c":
            raise ValueError("the 'c' format type is not allowed in htmltext formatting")
        return _escape(format(self.value, spec))

    def __getattr__(self, name: str) -> Any:
        return _wraparg(getattr(self.value, name))


class _NumberGuard:
    """A number passed to a format string whose specs come from arguments."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __format__(self, spec: str) -> str:
        if spec[-1:] == "c":
            raise ValueError("the 'c' format type is not allowed in htmltext formatting")
        return format(self.value, spec)

    def __str__(self) -> str:
        return str(self.value)

    def __repr__(self) -> str:
        return repr(self.value)

    def __getattr__(self, name: str) -> Any:
        return _wraparg_guarded(getattr(self.value, name))


def _wraparg_guarded(arg: Any) -> Any:
    arg = _wraparg(arg)
    if isinstance(arg, (int, float)):
        return _NumberGuard(arg)
    return arg


# -- refusing the 'c' presentation type -------------------------------------------------
# Results of scanning a format string are cached by the string itself: templates are
# few and reused.  The caches are cleared when they grow, so generated format strings
# cannot exhaust memory.
_CACHE_LIMIT = 2048
_percent_plan: dict[str, bool] = {}  # template -> has %r or %a
_format_plan: dict[str, int] = {}  # template -> _DYNAMIC_SPEC | _REPR_USED
_DYNAMIC_SPEC = 1  # a spec is computed from arguments ('{:{}}')
_REPR_USED = 2  # a '!r' or '!a' conversion

_PERCENT_TAIL = re.compile(r"[-+ #0]*(?:\*|\d+)?(?:\.(?:\*|\d*))?[hlL]?(.?)", re.S)


def _plan_percent(s: str) -> bool:
    """Scan a ``%`` template (as CPython parses it): ValueError if it has a ``%c``
    conversion; True if it has ``%r`` or ``%a``.  The answer is cached."""
    repr_used = False
    pos = s.find("%")
    n = len(s)
    while pos >= 0:
        i = pos + 1
        if i < n and s[i] == "(":
            # Mapping key: parentheses nest, as in CPython's parser.
            depth = 1
            i += 1
            while i < n and depth:
                if s[i] == "(":
                    depth += 1
                elif s[i] == ")":
                    depth -= 1
                i += 1
        m = _PERCENT_TAIL.match(s, i)
        conv = m.group(1)
        if conv == "c":
            raise ValueError("the %c conversion is not allowed in htmltext formatting")
        if conv == "r" or conv == "a":
            repr_used = True
        pos = s.find("%", m.end())
    if len(_percent_plan) >= _CACHE_LIMIT:
        _percent_plan.clear()
    _percent_plan[s] = repr_used
    return repr_used


def _walk_format(s: str) -> int:
    """Check a str.format template (ValueError for a 'c' type); its _format_plan flags."""
    flags = 0
    for _literal, field, spec, conv in _string.formatter_parser(s):
        if field is None:
            continue
        if conv == "r" or conv == "a":
            flags |= _REPR_USED
        if not spec:
            continue
        if "{" in spec:
            flags |= _DYNAMIC_SPEC | _walk_format(spec)
        elif spec[-1] == "c":
            raise ValueError("the 'c' format type is not allowed in htmltext formatting")
    return flags


def _plan_format(s: str) -> int:
    flags = _walk_format(s)
    if len(_format_plan) >= _CACHE_LIMIT:
        _format_plan.clear()
    _format_plan[s] = flags
    return flags


# -- htmlescape ---------------------------------------------------------------------------

def htmlescape(s: Any) -> htmltext:
    """Return ``s`` as htmltext: htmltext unchanged, an object's ``__html__()`` trusted,
    anything else ``str()``-ed with ``& < > " '`` escaped."""
    t = type(s)
    if t is str:
        e = _esc(s)
        if e is not s and '"' in s:
            e = e.replace("&#34;", "&quot;")
        h = _object_new(htmltext)
        h.s = e
        return h
    if t is htmltext or isinstance(s, htmltext):
        return s
    if t is int or t is float:
        h = _object_new(htmltext)
        h.s = str(s)
        return h
    html = getattr(s, "__html__", None)
    if html is not None:
        return _new(str(html()))
    if isinstance(s, str):
        return _new(_escape(str.__str__(s)))
    return _new(_escape(str(s)))


# -- TemplateIO -----------------------------------------------------------------------------

class TemplateIO:
    """Accumulates template output: ``out += value`` or ``out(value)``; None is dropped.

    With ``html=True`` values that are not htmltext are ``str()``-ed and escaped when
    appended, and ``getvalue()`` returns htmltext; otherwise values are ``str()``-ed and
    ``getvalue()`` returns str.
    """

    __slots__ = ("html", "data")

    def __init__(self, html: bool = False) -> None:
        self.html = bool(html)
        self.data: list[str] = []

    def __iadd__(self, other: Any) -> "TemplateIO":
        # The body of every converted template line: markup and exact str first.
        if type(other) is htmltext:
            self.data.append(other.s)
        elif type(other) is str:
            if self.html:
                e = _esc(other)
                if e is not other:
                    other = e.replace("&#34;", "&quot;") if '"' in other else e
            self.data.append(other)
        elif type(other) is int or type(other) is float:
            # Digits, sign, '.', 'e', 'inf', 'nan': nothing to escape.
            self.data.append(str(other))
        elif other is not None:
            self.data.append(self._text(other))
        return self

    def __call__(self, other: Any) -> None:
        if type(other) is htmltext:
            self.data.append(other.s)
        elif type(other) is str:
            if self.html:
                e = _esc(other)
                if e is not other:
                    other = e.replace("&#34;", "&quot;") if '"' in other else e
            self.data.append(other)
        elif type(other) is int or type(other) is float:
            self.data.append(str(other))
        elif other is not None:
            self.data.append(self._text(other))

    def _text(self, value: Any) -> str:
        if self.html:
            return htmlescape(value).s
        if isinstance(value, htmltext):
            return value.s
        return str(value)

    def getvalue(self) -> Any:
        if self.html:
            return _new("".join(self.data))
        return "".join(self.data)

    def __str__(self) -> str:
        return "".join(self.data)

    def __repr__(self) -> str:
        return "<%s at %x: %d chunks>" % (self.__class__.__name__, id(self), len(self.data))


def htmltemplate() -> TemplateIO:
    """A TemplateIO in html mode (Quixote's helper for code without PTL)."""
    return TemplateIO(html=True)


# -- helpers for converted PTL HTML f-strings -----------------------------------------------

def _q_join(*args: Any) -> htmltext:
    """Join the parts of an HTML f-string (Quixote's ``_q_join``)."""
    return _EMPTY.join(args)


def _q_format(value: Any, conversion: int = -1, format_spec: Any = None) -> htmltext:
    """Format one ``{...}`` part of an HTML f-string (Quixote's ``_q_format``).

    ``conversion`` is ``-1`` or ``ord('r')``/``ord('s')``/``ord('a')``; the value is
    escaped first, then converted, then formatted with ``format_spec``.
    """
    if conversion == -1 and format_spec is None:
        return htmlescape(value)
    if conversion == -1:
        conv = ""
    else:
        conv = chr(conversion)
        if conv not in ("r", "s", "a"):
            raise ValueError("invalid conversion %r" % conv)
        conv = "!" + conv
    spec = str(format_spec) if format_spec else ""
    if spec[-1:] == "c":
        raise ValueError("the 'c' format type is not allowed in htmltext formatting")
    # Quixote 3.8 puts the spec before the conversion ('{:>5!r}'), which str.format
    # rejects; the conversion goes first, as in an f-string.
    fmt = "{" + conv + (":" + spec if spec else "") + "}"
    return _new(fmt.format(_wraparg(value)))


_EMPTY = _new("")
