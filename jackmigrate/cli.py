"""The ``jackmigrate`` command.

Exit status: in ``--check`` mode a bit set -- 1: Quixote-only constructs remain (or
rewrites are pending), 2: a file could not be processed, 4: usage or configuration
error.  Otherwise 0, or 2 when a file failed, 4 on usage/configuration errors (including
the refusal to write into files with uncommitted changes).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Optional, Sequence

import click
from rich.console import Console
from rich.table import Table

from jackmigrate import __version__
from jackmigrate.config import ConfigError, find_pyproject, load_config, parse_target
from jackmigrate.discover import DiscoveryError, discover, git_dirty, git_root
from jackmigrate.engine import FileResult, Options, PARSE_ERROR, run_files
from jackmigrate.project import build_index
from jackmigrate.report.diff import unified_diff
from jackmigrate.report.github import render_github
from jackmigrate.report.jsonfmt import render_json
from jackmigrate.report.sarif import render_sarif
from jackmigrate.report.summary import summarize
from jackmigrate.report.text import print_diff, print_findings, print_summary
from jackmigrate.rules import RegistryError, all_rules, get_rule, select_rules
from jackmigrate.rules.base import Bucket, Finding
from jackmigrate import baseline
from jackmigrate.leftovers import leftover_findings
from jackmigrate.source import SourceError, atomic_write, decode_source

__all__ = ["main", "cli"]

EXIT_REMAINING = 1
EXIT_FAILED = 2
EXIT_USAGE = 4


class UsageFailure(Exception):
    pass


def _split(values: Sequence[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Write nothing; print unified diffs (git apply-able).")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if Quixote constructs remain, 2 on failed files.")
@click.option("--diff-file", type=click.Path(dir_okay=False, path_type=Path), help="Also write the diffs to FILE.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github", "sarif"]), default="text",
              show_default=True, help="Report format.")
@click.option("--select", multiple=True, metavar="RULE", help="Only these rules (ids, id prefixes, names; repeatable or comma-separated).")
@click.option("--ignore", multiple=True, metavar="RULE", help="Skip these rules.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching GLOB.")
@click.option("--list-rules", is_flag=True, help="List the rules and exit.")
@click.option("--explain", metavar="RULE", help="Explain a rule with its examples and exit.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes (default: CPU count).")
@click.option("--target-python", metavar="X.Y", help="Python version the migrated code must compile for.")
@click.option("--allow-dirty", is_flag=True, help="Write even into files with uncommitted git changes.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="pyproject.toml to read (default: nearest one with [tool.jackmigrate]).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--show-rewritten", is_flag=True, help="List rewritten constructs too, not only what remains.")
@click.option("--from-python2", is_flag=True,
              help="Treat every file as Python 2 (default: only files that fail as Python 3).")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False, path_type=Path),
              help="With --check: fail only on findings not recorded in FILE.")
@click.option("--update-baseline", is_flag=True, help="With --check: record the current findings in the --baseline FILE.")
@click.version_option(__version__, prog_name="jackmigrate")
def cli(**kw: Any) -> None:
    """Migrate Quixote code under PATHS to Jack (in place unless --dry-run/--check)."""
    sys.exit(_run(**kw))


def _run(
    paths: tuple[Path, ...],
    dry_run: bool,
    check: bool,
    diff_file: Optional[Path],
    fmt: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
    list_rules: bool,
    explain: Optional[str],
    jobs: Optional[int],
    target_python: Optional[str],
    allow_dirty: bool,
    config_path: Optional[Path],
    no_progress: bool,
    show_rewritten: bool,
    from_python2: bool = False,
    baseline_path: Optional[Path] = None,
    update_baseline: bool = False,
) -> int:
    out = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    try:
        if list_rules:
            _list_rules(out, fmt)
            return 0
        if explain:
            _explain(out, explain)
            return 0
        if not paths:
            raise UsageFailure("no PATH given (try: jackmigrate ./myapp --dry-run)")
        if (baseline_path or update_baseline) and not check:
            raise UsageFailure("--baseline and --update-baseline go with --check")
        if update_baseline and baseline_path is None:
            raise UsageFailure("--update-baseline needs --baseline FILE (where to write it)")
        known = baseline.load(baseline_path) if baseline_path and not update_baseline else None
        start = paths[0].resolve() if paths[0].exists() else Path.cwd()
        cfg = load_config(config_path or find_pyproject(start))
        cfg = cfg.merged(
            select=_split(select),
            ignore=_split(ignore),
            exclude=_split(exclude),
            target_python=parse_target(target_python) if target_python else None,
            jobs=jobs,
        )
        rules = select_rules(cfg.select, cfg.ignore)
        if not rules:
            raise UsageFailure("the selection leaves no rule to run")
        per_path = tuple(
            (pattern, tuple(get_rule(i).id if not i.upper().startswith("JM") else i.upper() for i in ids))
            for pattern, ids in cfg.per_path_ignores
        )
        root = git_root(start) or (cfg.source.parent if cfg.source else Path.cwd())
        files = discover(list(paths), root, cfg.exclude)
    except (ConfigError, RegistryError, DiscoveryError, UsageFailure, baseline.BaselineError) as exc:
        err.print(f"jackmigrate: error: {exc}", style="bold red", soft_wrap=True)
        return EXIT_USAGE

    mode = "check" if check else ("dry-run" if dry_run else "write")
    opts = Options(
        rule_ids=tuple(r.id for r in rules),
        target_python=cfg.target_python or sys.version_info[:2],
        root=str(root),
        per_path_ignores=per_path,
        from_python2=from_python2,
    )
    index = build_index(files, str(root))
    n_jobs = cfg.jobs or os.cpu_count() or 1
    if len(files) < 16:
        n_jobs = 1  # a pool costs more than it saves on a handful of files
    results = _execute(files, opts, index, n_jobs, err, show_progress=not no_progress and fmt == "text")

    if mode == "write":
        code = _write(results, root, allow_dirty, err)
        if code:
            return code

    if mode == "check":
        _add_leftovers(results, files)
        if update_baseline:
            assert baseline_path is not None
            written = baseline.write(baseline_path, [f for r in results for f in r.findings])
            err.print(f"jackmigrate: baseline of {sum(written.counts.values())} findings written to "
                      f"{baseline_path}", highlight=False)
        elif known is not None:
            _apply_baseline(results, known, err)

    diffs = [_diff(r) for r in results if r.changed]
    if diff_file is not None:
        try:
            diff_file.write_bytes(b"".join(data for data, _ in diffs))
        except OSError as exc:
            err.print(f"jackmigrate: error: cannot write {diff_file}: {exc.strerror}", style="bold red")
            return EXIT_USAGE

    summary = summarize(results)
    if fmt == "json":
        sys.stdout.write(render_json(results, summary, mode))
    elif fmt == "sarif":
        sys.stdout.write(render_sarif(results))
    elif fmt == "github":
        sys.stdout.write(render_github(results))
    else:
        # In a dry run the diff is the product on stdout (pipe it to `git apply`);
        # the report then goes to stderr.
        report = out
        if mode == "dry-run" and diff_file is None:
            if out.is_terminal:
                print_diff(out, "".join(text for _, text in diffs))
            else:
                sys.stdout.flush()
                sys.stdout.buffer.write(b"".join(data for data, _ in diffs))
                sys.stdout.flush()
            report = err
        if mode == "check":
            for r in results:
                if r.changed:
                    target = f" -> {r.new_path}" if r.new_path else ""
                    report.print(f"would rewrite {r.path}{target}", highlight=False, soft_wrap=True)
        print_findings(report, results, show_rewritten)
        print_summary(report, summary, mode)

    status = EXIT_FAILED if summary.failed else 0
    if mode == "check" and not update_baseline:
        if known is not None:
            pending = any(f.bucket is not Bucket.ERROR for r in results for f in r.findings)
        else:
            pending = bool(summary.remaining or summary.changed)
        if pending:
            status |= EXIT_REMAINING
    return status


def _add_leftovers(results: list[FileResult], files: list[tuple[str, str]]) -> None:
    """--check also reports TODO markers jackmigrate left and uses of the shim."""
    real_paths = dict(files)
    for res in results:
        if res.error is not None:
            continue
        text = res.new_text if res.changed and res.new_text is not None else None
        if text is None:
            try:
                data = Path(real_paths.get(res.path, res.path)).read_bytes()
            except OSError:
                continue
            if b"jackmigrate" not in data and b"compat" not in data and b"JACK_QUIXOTE_SHIM" not in data:
                continue
            try:
                text = decode_source(data).text
            except SourceError:
                continue
        res.findings.extend(leftover_findings(res.path, text))


def _apply_baseline(results: list[FileResult], known: "baseline.Baseline", err: Console) -> None:
    """Keep only the findings the baseline does not cover, and say how many it covered."""
    everything = [f for r in results for f in r.findings]
    new, gone = known.filter(everything)
    keep = {id(f) for f in new}
    for res in results:
        res.findings = [f for f in res.findings if id(f) in keep]
    covered = len(everything) - len(new)
    note = f"jackmigrate: {covered} findings covered by the baseline"
    if gone:
        note += f"; {gone} recorded there are gone (fixed: update the baseline to lock that in)"
    err.print(note, highlight=False)


def _diff(res: FileResult) -> tuple[bytes, str]:
    """The file's diff as bytes in the file's own encoding (what ``git apply`` compares
    against), BOM included, and as text for the terminal."""
    bom = "\ufeff" if res.bom else ""
    text = unified_diff(res.path, bom + (res.old_text or ""), bom + (res.new_text or ""), res.new_path)
    try:
        data = text.encode(res.encoding)
    except (UnicodeEncodeError, LookupError):
        data = text.encode("utf-8", errors="surrogateescape")
    return data, text


def _execute(files: list[tuple[str, str]], opts: Options, index: Any, jobs: int, err: Console,
             show_progress: bool) -> list[FileResult]:
    if show_progress and err.is_terminal and len(files) > 20:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(TextColumn("migrating"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=err, transient=True) as progress:
            task = progress.add_task("files", total=len(files))
            return run_files(files, opts, index, jobs, on_result=lambda _r: progress.advance(task))
    return run_files(files, opts, index, jobs)


def _fail(res: FileResult, message: str) -> None:
    finding = Finding(PARSE_ERROR, Bucket.ERROR, message, res.path)
    res.error = finding
    res.findings = [finding]
    res.new_text = res.old_text
    res.new_path = None


def _write(results: list[FileResult], root: Path, allow_dirty: bool, err: Console) -> int:
    changed = [r for r in results if r.changed]
    if not changed:
        return 0
    touched = [Path(p) for r in changed for p in {r.path, r.out_path}]
    if not allow_dirty and git_root(root) is not None:
        dirty = git_dirty(root, [p for p in touched if (root / p).exists()])
        if dirty:
            err.print("jackmigrate: refusing to write: these files have uncommitted changes "
                      "(commit or stash them, or pass --allow-dirty):", style="bold red")
            for name in dirty:
                err.print(f"  {name}")
            return EXIT_USAGE
    for res in changed:
        old = root / res.path
        new = root / res.out_path
        if res.new_path and new.exists():
            _fail(res, f"cannot rename to {res.new_path}: that file already exists")
            continue
        try:
            data = res.new_bytes if res.new_bytes is not None else (res.new_text or "").encode()
            atomic_write(new, data, mode_from=old)
            if res.new_path:
                os.unlink(old)
        except (OSError, SourceError) as exc:
            _fail(res, f"cannot write: {exc}")
    return 0


def _list_rules(out: Console, fmt: str) -> None:
    rules = all_rules()
    if fmt == "json":
        import json

        data = [
            {"id": r.id, "name": r.name, "summary": r.summary, "applicability": r.applicability.value,
             "after": list(r.after)}
            for r in rules.values()
        ]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    table = Table(show_edge=False, pad_edge=False)
    for col in ("id", "name", "applicability", "summary"):
        table.add_column(col, overflow="fold")
    for r in rules.values():
        table.add_row(r.id, r.name, r.applicability.value, r.summary)
    out.print(table)


def _explain(out: Console, key: str) -> None:
    try:
        rule = get_rule(key)
    except RegistryError as exc:
        raise UsageFailure(str(exc)) from None
    from rich.syntax import Syntax

    out.print(f"[bold]{rule.id} {rule.name}[/bold]: {rule.summary}")
    out.print(f"applicability: {rule.applicability.value}")
    if rule.after:
        out.print(f"runs after: {', '.join(rule.after)}")
    out.print()
    out.print(rule.rationale, soft_wrap=False)
    for ex in rule.examples:
        out.print()
        out.print(f"[bold]Example{': ' + ex.title if ex.title else ''}[/bold] ({ex.path})")
        out.print("before:")
        out.print(Syntax(ex.before, "python", theme="ansi_dark", background_color="default"))
        if ex.after is None:
            out.print("after: (no change)")
        else:
            out.print("after:")
            out.print(Syntax(ex.after, "python", theme="ansi_dark", background_color="default"))


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Console-script entry point: click usage errors exit 4, not click's 2 (2 means a
    file could not be processed)."""
    args = list(argv) if argv is not None else sys.argv[1:]
    if args[:1] == ["verify"]:
        from jackmigrate.verify import verify_command

        verify_command.main(args=args[1:], prog_name="jackmigrate verify")
        return
    try:
        cli.main(args=args, prog_name="jackmigrate", standalone_mode=False)
    except click.UsageError as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
