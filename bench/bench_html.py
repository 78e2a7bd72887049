"""Benchmark: a 100-row table page built with htmltext.

Builds the same page four ways -- ``%`` formatting, TemplateIO accumulation (the shape
of converted PTL templates) and ``.format`` positional and by keyword (converted HTML
f-strings) -- with Jack's ``jack_runtime.html``, Quixote's C htmltext, Quixote's
pure-Python htmltext and markupsafe, in the same run and on the same rows, and prints
per-page CPU times, ratios to Quixote's C type and whether issue 4's goals are met.

Two reference columns explain Jack's figures:

* ``jack py-esc``: Jack with its pure-Python escape (what runs without markupsafe's C
  speedups);
* ``floor``: a plain-Python class with htmltext's API that escapes nothing and checks
  nothing (wrong output, see ``_Floor``): the least any pure-Python htmltext costs on
  this interpreter, so a goal below it cannot be met by Python code.

Times are CPU time of this thread (other processes on a busy machine do not count) and
the best of ``--repeat`` rounds in which the implementations take turns.

Run: ``python bench/bench_html.py [--rows N] [--repeat R]``.  Not a test: it asserts
nothing about speed.
"""
from __future__ import annotations

import argparse
import time
import timeit
from types import SimpleNamespace
from typing import Any, Callable

import markupsafe

import jack_runtime.html as jack_html
from jack_runtime.html import text as jack_text
from quixote.html import _c_htmltext, _py_htmltext

# Issue 4: Jack at most this many times Quixote's C htmltext on these pages ...
GOAL_VS_C = 1.5
GOAL_STYLES = ("%", "TemplateIO")
# ... and faster than Quixote's pure-Python htmltext on every page.


def make_rows(n: int) -> list[tuple]:
    notes = ["plain note", "Smith & Sons <ltd>", 'say "hi"', "", "O'Brien's order", "ok"]
    return [
        (i, "User %d" % i, "user%d@example.com" % i, notes[i % len(notes)], i * 1.25)
        for i in range(n)
    ]


HEAD = '<table class="data">\n<tr><th>Id</th><th>Name</th><th>Email</th><th>Note</th><th>Price</th></tr>\n'
ROW_PCT = ('<tr class="%s"><td>%d</td><td>%s</td><td><a href="mailto:%s">%s</a></td>'
           '<td>%s</td><td>%.2f</td></tr>\n')
ROW_FMT = ('<tr class="{}"><td>{}</td><td>{}</td><td><a href="mailto:{}">{}</a></td>'
           '<td>{}</td><td>{:.2f}</td></tr>\n')
ROW_KW = ('<tr class="{cls}"><td>{i}</td><td>{name}</td><td><a href="mailto:{email}">{email}</a>'
          '</td><td>{note}</td><td>{price:.2f}</td></tr>\n')


def htmltext_pages(m: Any) -> dict[str, Callable[[list], Any]]:
    htmltext, TemplateIO = m.htmltext, m.TemplateIO

    def percent(rows):
        out = TemplateIO(html=True)
        out += htmltext(HEAD)
        for i, name, email, note, price in rows:
            out += htmltext(ROW_PCT) % ("odd" if i % 2 else "even", i, name, email, email, note, price)
        out += htmltext("</table>\n")
        return out.getvalue()

    def templateio(rows):
        # What a converted @ptl_html template does: one `out += ...` per expression.
        out = TemplateIO(html=True)
        out += htmltext(HEAD)
        for i, name, email, note, price in rows:
            out += htmltext('<tr class="')
            out += "odd" if i % 2 else "even"
            out += htmltext('"><td>')
            out += i
            out += htmltext("</td><td>")
            out += name
            out += htmltext('</td><td><a href="mailto:')
            out += email
            out += htmltext('">')
            out += email
            out += htmltext("</a></td><td>")
            out += note
            out += htmltext("</td><td>")
            out += "%.2f" % price
            out += htmltext("</td></tr>\n")
        out += htmltext("</table>\n")
        return out.getvalue()

    def fstring(rows):
        out = TemplateIO(html=True)
        out += htmltext(HEAD)
        for i, name, email, note, price in rows:
            out += htmltext(ROW_FMT).format("odd" if i % 2 else "even", i, name, email, email, note, price)
        out += htmltext("</table>\n")
        return out.getvalue()

    def fstring_named(rows):
        # A converted F-string of bare names: `.format(name=name, ...)`.
        out = TemplateIO(html=True)
        out += htmltext(HEAD)
        for i, name, email, note, price in rows:
            cls = "odd" if i % 2 else "even"
            out += htmltext(ROW_KW).format(cls=cls, i=i, name=name, email=email, note=note,
                                           price=price)
        out += htmltext("</table>\n")
        return out.getvalue()

    return {"%": percent, "TemplateIO": templateio, "format": fstring, "format kw": fstring_named}


def markupsafe_pages() -> dict[str, Callable[[list], Any]]:
    Markup, escape = markupsafe.Markup, markupsafe.escape

    def percent(rows):
        out = [Markup(HEAD)]
        for i, name, email, note, price in rows:
            out.append(Markup(ROW_PCT) % ("odd" if i % 2 else "even", i, name, email, email, note, price))
        out.append(Markup("</table>\n"))
        return Markup("").join(out)

    def templateio(rows):
        out = [Markup(HEAD)]
        add = out.append
        for i, name, email, note, price in rows:
            add(Markup('<tr class="'))
            add(escape("odd" if i % 2 else "even"))
            add(Markup('"><td>'))
            add(escape(i))
            add(Markup("</td><td>"))
            add(escape(name))
            add(Markup('</td><td><a href="mailto:'))
            add(escape(email))
            add(Markup('">'))
            add(escape(email))
            add(Markup("</a></td><td>"))
            add(escape(note))
            add(Markup("</td><td>"))
            add(escape("%.2f" % price))
            add(Markup("</td></tr>\n"))
        add(Markup("</table>\n"))
        return Markup("").join(out)

    def fstring(rows):
        out = [Markup(HEAD)]
        for i, name, email, note, price in rows:
            out.append(Markup(ROW_FMT).format("odd" if i % 2 else "even", i, name, email, email, note, price))
        out.append(Markup("</table>\n"))
        return Markup("").join(out)

    def fstring_named(rows):
        out = [Markup(HEAD)]
        for i, name, email, note, price in rows:
            cls = "odd" if i % 2 else "even"
            out.append(Markup(ROW_KW).format(cls=cls, i=i, name=name, email=email, note=note,
                                             price=price))
        out.append(Markup("</table>\n"))
        return Markup("").join(out)

    return {"%": percent, "TemplateIO": templateio, "format": fstring, "format kw": fstring_named}


def table_page() -> Any:
    """The %-formatted table page as a ``Page`` of bench/bench_runtime.py (per-request cost,
    Jack vs Quixote): register it there with ``PAGES["table"] = bench_html.table_page``."""
    from bench_runtime import Page

    # bench_runtime checks that every framework sends the same bytes: no apostrophes,
    # which Jack escapes and Quixote does not.
    rows = [(i, name, email, note.replace("'", ""), price)
            for i, name, email, note, price in make_rows(100)]

    def escape(s: str) -> str:
        return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace('"', "&quot;").replace("'", "&#39;"))

    def raw(environ, start_response):
        parts = [HEAD]
        for i, name, email, note, price in rows:
            parts.append(ROW_PCT % ("odd" if i % 2 else "even", i, escape(name), escape(email),
                                    escape(email), escape(note), price))
        parts.append("</table>\n")
        body = "".join(parts).encode("utf-8")
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                  ("Content-Length", str(len(body)))])
        return [body]

    def make_root(q):
        is_quixote = q.Directory.__module__.startswith("quixote")
        html = __import__("quixote.html" if is_quixote else "jack_runtime.html",
                          fromlist=["htmltext"])
        percent = htmltext_pages(html)["%"]

        class Root(q.Directory):
            _q_exports = ["table"]

            def table(self):
                return percent(rows)
        return Root()

    return Page("/table", raw, make_root)


class _FloorText:
    """htmltext's API with no escaping and no checks: a lower bound, not an implementation."""

    __slots__ = ("s",)

    def __init__(self, s: Any) -> None:
        self.s = s

    def __mod__(self, args: Any) -> "_FloorText":
        h = object.__new__(_FloorText)
        h.s = self.s % args
        return h

    def format(self, *args: Any, **kwargs: Any) -> "_FloorText":
        h = object.__new__(_FloorText)
        h.s = self.s.format(*args, **kwargs)
        return h


class _FloorIO:
    __slots__ = ("data",)

    def __init__(self, html: bool = False) -> None:
        self.data: list[str] = []

    def __iadd__(self, other: Any) -> "_FloorIO":
        if type(other) is _FloorText:
            self.data.append(other.s)
        else:
            self.data.append(str(other))
        return self

    def getvalue(self) -> _FloorText:
        return _FloorText("".join(self.data))


_Floor = SimpleNamespace(htmltext=_FloorText, TemplateIO=_FloorIO)


def with_python_escape(pages: dict[str, Callable[[list], Any]]) -> dict[str, Callable[[list], Any]]:
    """The same pages with Jack's pure-Python escape swapped in for markupsafe's C one."""
    def wrap(fn: Callable[[list], Any]) -> Callable[[list], Any]:
        def run(rows: list) -> Any:
            saved, jack_text._esc = jack_text._esc, jack_text._escape_py
            try:
                return fn(rows)
            finally:
                jack_text._esc = saved
        return run
    return {style: wrap(fn) for style, fn in pages.items()}


def measure_all(fns: dict[str, Callable], rows: list, repeat: int) -> dict[str, float]:
    """Best CPU time per page in microseconds for each function.

    The implementations take turns within each round, so a burst of load from other
    processes hits all of them rather than one.
    """
    timers = {name: timeit.Timer(lambda fn=fn: fn(rows), timer=time.thread_time)
              for name, fn in fns.items()}
    numbers = {name: max(1, timer.autorange()[0] // 4) for name, timer in timers.items()}
    best = {name: float("inf") for name in fns}
    for _ in range(repeat):
        for name, timer in timers.items():
            elapsed = timer.timeit(numbers[name]) / numbers[name] * 1e6
            best[name] = min(best[name], elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    rows = make_rows(args.rows)
    jack_pages = htmltext_pages(jack_html)
    impls = {
        "jack": jack_pages,
        "quixote C": htmltext_pages(_c_htmltext),
        "quixote py": htmltext_pages(_py_htmltext),
        "markupsafe": markupsafe_pages(),
        "jack py-esc": with_python_escape(jack_pages),
        "floor": htmltext_pages(_Floor),
    }
    # Same page from Jack (both escapes) and Quixote C, apart from the apostrophe Jack
    # escapes.
    for style in jack_pages:
        expected = str(impls["quixote C"][style](rows)).replace("'", "&#39;")
        for name in ("jack", "jack py-esc"):
            if str(impls[name][style](rows)) != expected:
                raise SystemExit("%s and quixote C pages differ for %s" % (name, style))
    native = jack_text._esc is not jack_text._escape_py
    print("%d-row table page, best of %d rounds, CPU microseconds per page (ratio to quixote C)"
          % (args.rows, args.repeat))
    print("jack escapes with %s" % ("markupsafe's C speedups" if native else
                                    "its pure-Python escape (markupsafe speedups not found)"))
    print("%-11s" % "" + "".join("%19s" % name for name in impls))
    verdicts = []
    for style in jack_pages:
        times = measure_all({name: pages[style] for name, pages in impls.items()}, rows,
                            args.repeat)
        base = times["quixote C"]
        print("%-11s" % style + "".join("%11.1f (%4.2fx)" % (t, t / base) for t in times.values()))
        ratio = times["jack"] / base
        if style in GOAL_STYLES:
            verdicts.append("%-10s jack %.2fx quixote C (goal <= %.1fx): %s"
                            % (style, ratio, GOAL_VS_C, "met" if ratio <= GOAL_VS_C else "NOT met"))
        faster = times["jack"] < times["quixote py"]
        verdicts.append("%-10s jack faster than quixote py (%.1f vs %.1f): %s"
                        % (style, times["jack"], times["quixote py"],
                           "met" if faster else "NOT met"))
    print()
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
