"""Human output with rich: findings per file, coloured diffs on a terminal, the summary."""

from __future__ import annotations

from typing import Any, Sequence

from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from jackmigrate.report.summary import CONSTRUCT_BUCKETS, Summary
from jackmigrate.rules.base import Bucket

__all__ = ["print_findings", "print_diff", "print_summary"]

_STYLE = {
    Bucket.REWRITTEN: "green",
    Bucket.MARKED: "yellow",
    Bucket.SHIM: "cyan",
    Bucket.UNSUPPORTED: "red",
    Bucket.ERROR: "bold red",
    Bucket.NOTICE: "dim",
}


def print_findings(console: Console, results: Sequence[Any], show_rewritten: bool) -> None:
    for res in results:
        for f in res.findings:
            if f.bucket is Bucket.REWRITTEN and not show_rewritten:
                continue
            line = Text()
            line.append(f"{res.path}:{f.line}:{f.column + 1}: ", style="bold")
            line.append(f"{f.rule} ", style="magenta")
            line.append(f"[{f.bucket.value}] ", style=_STYLE.get(f.bucket, ""))
            line.append(f.message)
            if f.reason:
                line.append(f" ({f.reason})", style="dim")
            console.print(line, soft_wrap=True)


def print_diff(console: Console, diff: str) -> None:
    if not diff:
        return
    if console.is_terminal:
        console.print(Syntax(diff, "diff", theme="ansi_dark", background_color="default"), soft_wrap=True)
    else:
        console.file.write(diff)


def print_summary(console: Console, s: Summary, mode: str) -> None:
    verb = {"write": "changed", "dry-run": "would change", "check": "would change"}[mode]
    head = Text()
    head.append(f"{s.scanned} files scanned, {s.parsed} parsed, ")
    head.append(f"{s.changed} {verb}", style="green" if s.changed else "")
    if s.renamed:
        head.append(f" ({s.renamed} renamed .ptl -> .py)")
    head.append(", ")
    head.append(f"{s.failed} failed", style="bold red" if s.failed else "")
    console.print(head)
    if s.per_rule:
        table = Table(title=None, show_edge=False, pad_edge=False)
        table.add_column("rule")
        for b in CONSTRUCT_BUCKETS:
            table.add_column(b.value, justify="right", style=_STYLE[b])
        for rid, counts in sorted(s.per_rule.items()):
            table.add_row(rid, *(str(counts.get(b.value, 0)) for b in CONSTRUCT_BUCKETS))
        table.add_row("total", *(str(s.totals.get(b.value, 0)) for b in CONSTRUCT_BUCKETS), style="bold")
        console.print(table)
    total = sum(s.totals.values())
    if total:
        console.print(
            f"{total} Quixote constructs: "
            + ", ".join(f"{s.totals[b.value]} {b.value}" for b in CONSTRUCT_BUCKETS)
        )
    if s.notices:
        console.print(f"{s.notices} notices (e.g. unused suppressions)", style="dim")
