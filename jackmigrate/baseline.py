"""Baselines for ``jackmigrate --check``: adopt the check mid-migration, fail only on new constructs.

A baseline records, per file, rule and message, how many findings there were when it was
written (``--update-baseline``). ``--baseline FILE`` then reports only findings beyond
those counts. Line numbers are deliberately not part of the key: editing a file above a
known construct must not make it "new". A group whose count shrinks is progress; the
baseline can be rewritten to lock it in, and ``stale`` says how many entries are gone.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from jackmigrate.rules.base import Bucket, Finding

__all__ = ["Baseline", "BaselineError", "load", "write"]

VERSION = 1


class BaselineError(Exception):
    """An unreadable or malformed baseline file."""


Key = tuple[str, str, str]


def _key(finding: Finding) -> Key:
    return (finding.path, finding.rule, " ".join(finding.message.split()))


@dataclass
class Baseline:
    counts: Counter[Key]

    @classmethod
    def from_findings(cls, findings: Iterable[Finding]) -> "Baseline":
        return cls(Counter(_key(f) for f in findings if f.bucket is not Bucket.ERROR))

    def filter(self, findings: Sequence[Finding]) -> tuple[list[Finding], int]:
        """The findings not covered by the baseline (engine errors always pass), and how
        many baseline entries no longer occur (fixed since the baseline was written)."""
        left = Counter(self.counts)
        new: list[Finding] = []
        for finding in sorted(findings, key=lambda f: (f.path, f.line, f.column, f.rule)):
            key = _key(finding)
            if finding.bucket is not Bucket.ERROR and left[key] > 0:
                left[key] -= 1
            else:
                new.append(finding)
        return new, sum(left.values())

    def to_json(self) -> str:
        entries = [
            {"path": path, "rule": rule, "message": message, "count": count}
            for (path, rule, message), count in sorted(self.counts.items())
        ]
        return json.dumps({"version": VERSION, "findings": entries}, indent=2, ensure_ascii=False) + "\n"


def load(path: str | Path) -> Baseline:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline file not found (write one with --update-baseline)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"{path}: not a jackmigrate baseline: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{path}: not a jackmigrate baseline (version {VERSION} expected)")
    counts: Counter[Key] = Counter()
    for i, entry in enumerate(data["findings"]):
        try:
            counts[(str(entry["path"]), str(entry["rule"]), str(entry["message"]))] += int(entry["count"])
        except (KeyError, TypeError, ValueError):
            raise BaselineError(f"{path}: entry {i} is malformed: {entry!r}") from None
    return Baseline(counts)


def write(path: str | Path, findings: Iterable[Finding]) -> Baseline:
    """Write the baseline for ``findings`` atomically; returns it."""
    baseline = Baseline.from_findings(findings)
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(baseline.to_json(), encoding="utf-8")
    tmp.replace(target)
    return baseline
