"""jackmigrate's Python 2 path next to its Python 3 path, measured in the same run.

The corpus is Bugtrack twice: fixtures/py2 (Quixote 2 on Python 2) and its hand-written
twin fixtures/legacy (Python 3, Quixote 3.8), each replicated to about the same number of
lines. Every file goes through the engine with all rules, in this process (no pool), so
the figures compare the per-line cost of the two paths; the Python 2 path adds fissix's
parse and fixers in front of everything else.

    python bench/bench_py2.py [--lines 20000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jackmigrate.engine import Options, migrate_bytes  # noqa: E402
from jackmigrate.rules import all_rules  # noqa: E402


def corpus(tree: Path, lines: int) -> list[tuple[str, bytes]]:
    files = [(str(p.relative_to(tree)), p.read_bytes())
             for p in sorted(tree.rglob("*")) if p.suffix in (".py", ".ptl")]
    per_copy = sum(data.count(b"\n") for _, data in files)
    copies = max(1, lines // per_copy)
    return [(f"copy{i}/{name}", data) for i in range(copies) for name, data in files]


def measure(files: list[tuple[str, bytes]], opts: Options, repeat: int) -> tuple[float, int, int]:
    best = float("inf")
    changed = 0
    for _ in range(repeat):
        start = time.perf_counter()
        results = [migrate_bytes(name, data, opts) for name, data in files]
        best = min(best, time.perf_counter() - start)
        errors = [r.error for r in results if r.error is not None]
        if errors:
            raise SystemExit(f"benchmark corpus failed to migrate: {errors[0]}")
        changed = sum(r.changed for r in results)
    lines = sum(data.count(b"\n") for _, data in files)
    return best, lines, changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    opts = Options(rule_ids=tuple(all_rules()), from_python2=True)
    py3_opts = Options(rule_ids=tuple(all_rules()))
    rows = []
    for label, tree, options in (
        ("Python 3 path (fixtures/legacy)", ROOT / "fixtures" / "legacy", py3_opts),
        ("Python 2 path (fixtures/py2)", ROOT / "fixtures" / "py2", opts),
    ):
        files = corpus(tree, args.lines)
        seconds, lines, changed = measure(files, options, args.repeat)
        rows.append((label, len(files), lines, changed, seconds, lines / seconds))
    print(f"{'path':34} {'files':>6} {'lines':>7} {'changed':>8} {'seconds':>8} {'lines/s':>9}")
    for label, nfiles, lines, changed, seconds, rate in rows:
        print(f"{label:34} {nfiles:6d} {lines:7d} {changed:8d} {seconds:8.2f} {rate:9.0f}")
    print(f"Python 2 path costs {rows[0][5] / rows[1][5]:.2f}x the Python 3 path per line")


if __name__ == "__main__":
    main()
