"""jackmigrate throughput, measured against baselines taken in the same run.

    python bench/bench_migrate.py [--lines 100000] [--repeat 3]

Corpora (built in a temporary directory):
  * Quixote corpus: the fixture applications (fixtures/*, but not fixtures/expected, which
    holds migrated output, not Quixote code) and Quixote's own demo package replicated
    until it holds at least --lines lines (.py and .ptl).  Its make-up (PTL and Python 2
    shares) is printed: a real application may have a different one.
  * Non-Quixote corpus: werkzeug, click and part of the standard library, used as is.

Figures (best of --repeat). Single-process figures are CPU time of this process, the
runs being compared interleaved: on a shared VM the wall clock also counts time the host
gives to others, which swung whole-run ratios by 15% from one run to the next.  --jobs 2
is wall clock (its point is elapsed time):
  1. bare libcst parse + codegen of the Quixote corpus (the baseline), lines/s
  2. full migration (discovery excluded, index included, every registered rule, no
     writes) of the same files, lines/s, and the ratio to 1 (goal <= 2.0); also the
     engine with only the import rule and the residual check (the engine's own cost)
  3. the prefilter path: time to reject the non-Quixote files vs parsing them (goal >= 50x),
     and how many non-Quixote files the selected rules' markers let through
  4. --jobs 2 vs --jobs 1 for the full migration (goal >= 1.7x), each run cold in a
     process of its own as the command runs (wall clock, index build included)
  5. peak memory (max RSS of this process and of the worker processes)
  6. with --per-rule: the time each rule adds to JM001 alone (where to optimise)
"""

from __future__ import annotations

import argparse
import ast
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import libcst as cst

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jackmigrate.engine import Options, migrate_bytes, prefilter, run_files  # noqa: E402
from jackmigrate.project import build_index  # noqa: E402
from jackmigrate.py2 import is_python2  # noqa: E402
from jackmigrate.rules import all_rules  # noqa: E402


def quixote_dir() -> str:
    import quixote

    return str(Path(quixote.__file__).parent)


def _sources() -> list[Path]:
    import quixote

    # fixtures/expected is the migrated form of the fixtures (Jack code): timing it as
    # Quixote input measured mostly the prefilter and flattered the ratio.
    dirs = [
        p for p in sorted((ROOT / "fixtures").iterdir()) if p.is_dir() and p.name != "expected"
    ] if (ROOT / "fixtures").is_dir() else []
    dirs.append(Path(quixote.__file__).parent / "demo")
    files: list[Path] = []
    for d in dirs:
        files.extend(p for p in sorted(d.rglob("*")) if p.suffix in (".py", ".ptl") and "__pycache__" not in p.parts)
    return files


def build_quixote_corpus(dest: Path, min_lines: int) -> list[tuple[str, str]]:
    sources = []
    for p in _sources():
        try:
            cst.parse_module(p.read_text(encoding="utf-8"))
        except cst.ParserSyntaxError:
            # The baseline must parse every file; PTL sources libcst cannot read are
            # left out of both measurements.
            print(f"  (left out of the corpus: {p.name}: not parseable by libcst)")
            continue
        sources.append(p)
    base_lines = sum(p.read_bytes().count(b"\n") for p in sources)
    copies = max(1, -(-min_lines // max(base_lines, 1)))
    out: list[tuple[str, str]] = []
    def tail(p: Path) -> Path:
        # distinct per source file (two fixtures may both have bugtrack/ui.ptl)
        for base in (ROOT / "fixtures", Path(quixote_dir()).parent):
            try:
                return p.relative_to(base)
            except ValueError:
                continue
        return Path(p.parent.name) / p.name

    for i in range(copies):
        for src in sources:
            rel = Path(f"copy{i:03d}") / tail(src)
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
            out.append((rel.as_posix(), str(target)))
    return sorted(set(out))


def non_quixote_corpus() -> list[tuple[str, str]]:
    import click
    import werkzeug

    files: list[Path] = []
    for pkg in (werkzeug, click):
        files.extend(sorted(Path(pkg.__file__).parent.rglob("*.py")))
    stdlib = Path(ast.__file__).parent
    for name in ("email", "json", "http", "logging", "urllib", "asyncio", "concurrent", "importlib", "unittest"):
        files.extend(sorted((stdlib / name).rglob("*.py")))
    return [(str(p), str(p)) for p in files if b"quixote" not in p.read_bytes()]


def wait_for_idle(max_wait: float = 60.0) -> float:
    """Wait (bounded) until the 1-minute load average drops below half the CPU count:
    on a shared machine, parallel speed-ups are meaningless under foreign load.
    Returns the load average measurement started with."""
    cpus = os.cpu_count() or 1
    deadline = time.time() + max_wait
    while time.time() < deadline and os.getloadavg()[0] > cpus * 0.5:
        time.sleep(2)
    return os.getloadavg()[0]


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        wait_for_idle(20)
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def best_cpu(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Best CPU time of each function, the functions run in turn in every round (a slow
    spell of the machine then affects all of them alike)."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            wait_for_idle(20)
            t0 = time.process_time()
            fn()
            times[name].append(time.process_time() - t0)
    return {name: min(found) for name, found in times.items()}


# One migration as a fresh `jackmigrate` process does it: nothing computed by earlier
# runs (the walker's tables, fissix's patterns, the rules' project facts), workers forked
# from a process that did no work yet.  Prints the seconds from the index build to the
# last result, imports and start-up left out.
_COLD_RUN = """
import json, sys, time
sys.path.insert(0, {root!r})
from jackmigrate.engine import Options, run_files
from jackmigrate.project import build_index
from jackmigrate.rules import all_rules
files = [tuple(f) for f in json.load(open({files!r}))]
opts = Options(rule_ids=tuple(all_rules()), target_python=sys.version_info[:2], root={tmp!r})
t0 = time.perf_counter()
run_files(files, opts, build_index(files, {tmp!r}), jobs={jobs})
print(time.perf_counter() - t0)
"""


def cold_walls(files: list[tuple[str, str]], tmp: Path, repeat: int) -> dict[int, float]:
    """Best wall time of a cold migration with --jobs 1 and with --jobs 2, in turn."""
    import json
    import subprocess

    listing = tmp / "files.json"
    listing.write_text(json.dumps(files))
    walls: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(repeat):
        for jobs in walls:
            wait_for_idle(20)
            code = _COLD_RUN.format(root=str(ROOT), files=str(listing), tmp=str(tmp), jobs=jobs)
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            walls[jobs].append(float(out.stdout.strip().splitlines()[-1]))
    return {jobs: min(found) for jobs, found in walls.items()}


def cpu_seconds() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def count_lines(files: list[tuple[str, str]]) -> int:
    return sum(Path(real).read_bytes().count(b"\n") for _, real in files)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--per-rule", action="store_true", help="also time each rule on a fifth of the corpus")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="jackmigrate-bench-"))
    try:
        qfiles = build_quixote_corpus(tmp, args.lines)
        nfiles = non_quixote_corpus()
        qlines, nlines = count_lines(qfiles), count_lines(nfiles)
        qdata = [Path(real).read_bytes() for _, real in qfiles]
        ndata = [Path(real).read_bytes() for _, real in nfiles]
        rules = list(all_rules().values())
        opts = Options(rule_ids=tuple(all_rules()), target_python=sys.version_info[:2], root=str(tmp))
        print(f"rules: {', '.join(all_rules())}")
        print(f"Quixote corpus: {len(qfiles)} files, {qlines} lines; non-Quixote corpus: {len(nfiles)} files, {nlines} lines")
        ptl_lines = sum(d.count(b"\n") for (p, _), d in zip(qfiles, qdata) if p.endswith(".ptl"))
        py2_lines = sum(
            d.count(b"\n") for (p, _), d in zip(qfiles, qdata)
            if is_python2(d.decode("utf-8"), ptl=p.endswith(".ptl")) is not None
        )
        print(f"   make-up: PTL {ptl_lines / qlines:.0%} of the lines, Python 2 source {py2_lines / qlines:.0%} "
              "(the costly rules JM040 and JM002 scale with these)")

        def bare() -> None:
            for data in qdata:
                cst.parse_module(data.decode("utf-8")).code

        def full(jobs: int) -> Callable[[], None]:
            def run() -> None:
                index = build_index(qfiles, str(tmp))
                results = run_files(qfiles, opts, index, jobs=jobs)
                failed = [r for r in results if r.error is not None]
                if failed and jobs == 1 and not getattr(run, "warned", False):
                    run.warned = True  # type: ignore[attr-defined]
                    print(f"  note: {len(failed)} files failed, e.g. {failed[0].path}: {failed[0].error.message}")
            return run

        print(f"load average at start: {wait_for_idle():.2f} on {os.cpu_count()} CPUs "
              "(figures are unreliable when other processes compete for the CPUs)")
        core = Options(rule_ids=("JM001", "JM090"), target_python=opts.target_python, root=str(tmp))
        cpu = best_cpu({
            "bare": bare,
            "full": full(1),
            "core": lambda: run_files(qfiles, core, build_index(qfiles, str(tmp)), jobs=1),
        }, args.repeat)
        t_bare, t_full1, t_core = cpu["bare"], cpu["full"], cpu["core"]
        results = run_files(qfiles, opts, build_index(qfiles, str(tmp)), jobs=1)
        changed = sum(r.changed for r in results)
        del results  # a large live heap makes every later garbage collection slower
        print()
        print(f"1. bare libcst parse+codegen: {t_bare:7.2f} s  {qlines / t_bare:10,.0f} lines/s   (CPU time)")
        print(f"2. full migration (jobs 1):   {t_full1:7.2f} s  {qlines / t_full1:10,.0f} lines/s   "
              f"ratio {t_full1 / t_bare:.2f}x bare (goal <= 2.0)   [{changed} of {len(qfiles)} files changed]")

        print(f"   engine + import rule + residual check only (JM001, JM090): {t_core:7.2f} s  "
              f"{qlines / t_core:10,.0f} lines/s   ratio {t_core / t_bare:.2f}x bare")
        # The same comparison per kind of file: a template is converted (its own parse, walk
        # and code generation) before the rules see it, Python 2 source goes through fissix.
        index = build_index(qfiles, str(tmp))
        kinds: dict[str, list[int]] = {"Python 3 modules": [], "PTL templates": [], "Python 2 modules": []}
        for k, ((path, _), data) in enumerate(zip(qfiles, qdata)):
            if path.endswith(".ptl"):
                kinds["PTL templates"].append(k)
            elif is_python2(data.decode("utf-8")) is not None:
                kinds["Python 2 modules"].append(k)
            else:
                kinds["Python 3 modules"].append(k)
        for kind, picked in kinds.items():
            if not picked:
                continue
            files = [qfiles[k] for k in picked]
            datas = [qdata[k] for k in picked]
            per_kind = best_cpu({
                "bare": lambda: [cst.parse_module(d.decode("utf-8")).code for d in datas],
                "full": lambda: run_files(files, opts, index, jobs=1),
            }, args.repeat)
            t_b, t_f = per_kind["bare"], per_kind["full"]
            lines = sum(d.count(b"\n") for d in datas)
            print(f"   {kind + ':':18s} {lines:7,d} lines   bare {t_b:6.2f} s   full {t_f:6.2f} s   "
                  f"ratio {t_f / t_b:.2f}x")

        def parse_non() -> None:
            for data in ndata:
                cst.parse_module(data.decode("utf-8"))

        def prefilter_non() -> None:
            for (path, _), data in zip(nfiles, ndata):
                prefilter(path, data, rules, ())

        def engine_non() -> None:
            for (path, _), data in zip(nfiles, ndata):
                migrate_bytes(path, data, opts)

        passed = [(p, d) for (p, _), d in zip(nfiles, ndata) if prefilter(p, d, rules, ())]
        rejected = [(p, d) for (p, _), d in zip(nfiles, ndata) if not prefilter(p, d, rules, ())]
        t_parse_rej = best(lambda: [cst.parse_module(d.decode("utf-8")) for _, d in rejected], 1) if rejected else 0.0
        t_pref_rej = best(lambda: [migrate_bytes(p, d, opts) for p, d in rejected], args.repeat) if rejected else 0.0
        t_parse = best(parse_non, 1)
        t_pref = best(prefilter_non, args.repeat)
        t_engine = best(engine_non, 1)
        jm001 = [all_rules()["JM001"]]
        t_pref_q = best(lambda: [prefilter(p, d, jm001, ()) for (p, _), d in zip(nfiles, ndata)], args.repeat)
        print(f"3. prefilter path on the non-Quixote corpus ({len(nfiles)} files):")
        print(f"   libcst parse of all files:            {t_parse:7.3f} s")
        print(f"   prefilter test of all files:          {t_pref:7.4f} s   {t_parse / t_pref:8.0f}x faster than parsing")
        print(f"   Quixote-marker prefilter (JM001):     {t_pref_q:7.4f} s   {t_parse / t_pref_q:8.0f}x faster than parsing")
        if rejected:
            print(f"   engine on the {len(rejected)} rejected files: {t_pref_rej:7.4f} s vs parsing them {t_parse_rej:.3f} s "
                  f"= {t_parse_rej / max(t_pref_rej, 1e-9):.0f}x (goal >= 50x)")
        print(f"   full engine on all non-Quixote files: {t_engine:7.3f} s ({len(passed)} files let through by rule markers)")
        if passed:
            culprits: dict[str, int] = {}
            for p, d in passed:
                for r in rules:
                    if r.applies_to(p, d.decode("utf-8", "replace")):
                        culprits[r.id] = culprits.get(r.id, 0) + 1
            print("   rules whose markers matched: " + ", ".join(f"{k} ({v} files)" for k, v in sorted(culprits.items())))
        c0 = cpu_seconds()
        w0 = time.perf_counter()
        full(2)()
        w2, c2 = time.perf_counter() - w0, cpu_seconds() - c0
        worker_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        # Both sides cold, each in a process of its own, as two runs of the command would
        # be: a warm --jobs 1 (caches filled by the runs above) against workers that start
        # cold charged the workers' start-up to --jobs 2 alone.
        walls = cold_walls(qfiles, tmp, args.repeat)
        t_full1_wall, t_full2 = walls[1], walls[2]
        print(f"4. full migration jobs 2:     {t_full2:7.2f} s  {qlines / t_full2:10,.0f} lines/s   "
              f"speed-up {t_full1_wall / t_full2:.2f}x over jobs 1 ({t_full1_wall:.2f} s wall) "
              f"(goal >= 1.7x; {os.cpu_count()} CPUs; each a fresh process, index included)")
        print(f"   one more jobs-2 run in this process: {w2:.2f} s wall, {c2:.2f} CPU-s (CPU/wall {c2 / w2:.2f}; "
              f"load average now {os.getloadavg()[0]:.2f})")
        if args.per_rule:
            sample = qfiles[: max(1, len(qfiles) // 5)]
            base_opts = Options(rule_ids=("JM001",), target_python=opts.target_python, root=str(tmp))

            def run_sample(o: Options) -> Callable[[], object]:
                return lambda: run_files(sample, o, None, jobs=1)

            # JM001 alone is measured next to every rule (alternating, best of --repeat
            # each): a baseline taken once, minutes earlier, drifted with the machine's
            # load and gave most rules a negative cost.
            costs = []
            base_times: list[float] = []
            for rid in all_rules():
                if rid == "JM001":
                    continue
                o = Options(rule_ids=("JM001", rid), target_python=opts.target_python, root=str(tmp))
                t_b, t_r = [], []
                for _ in range(args.repeat):
                    t_b.append(best(run_sample(base_opts), 1))
                    t_r.append(best(run_sample(o), 1))
                base_times.extend(t_b)
                costs.append((min(t_r) - min(t_b), rid))
            print(f"6. per-rule cost on {len(sample)} files (JM001 alone {min(base_times):.2f} s, spread "
                  f"{max(base_times) - min(base_times):.2f} s over {len(base_times)} runs: smaller differences "
                  "are noise; added time with each rule):")
            for cost, rid in sorted(costs, reverse=True):
                print(f"   {rid} {all_rules()[rid].name:32s} {cost:+6.2f} s")
        me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"5. peak RSS: this process {me:.0f} MB, largest worker {worker_rss:.0f} MB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
