"""Counting a run: files scanned/parsed/changed/failed and, per rule, constructs by bucket."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from jackmigrate.rules.base import Bucket

__all__ = ["Summary", "summarize", "CONSTRUCT_BUCKETS"]

CONSTRUCT_BUCKETS = (Bucket.REWRITTEN, Bucket.MARKED, Bucket.SHIM, Bucket.UNSUPPORTED)


@dataclass
class Summary:
    scanned: int = 0  # files discovered
    parsed: int = 0  # files that passed the prefilter
    changed: int = 0  # files rewritten (or that would be)
    renamed: int = 0
    failed: int = 0
    per_rule: dict[str, dict[str, int]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    notices: int = 0

    @property
    def remaining(self) -> int:
        """Constructs still Quixote-only (what --check fails on, with pending rewrites)."""
        return sum(self.totals.get(b.value, 0) for b in (Bucket.MARKED, Bucket.SHIM, Bucket.UNSUPPORTED))

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": {
                "scanned": self.scanned,
                "parsed": self.parsed,
                "changed": self.changed,
                "renamed": self.renamed,
                "failed": self.failed,
            },
            "constructs": dict(self.totals),
            "rules": {rid: dict(c) for rid, c in sorted(self.per_rule.items())},
            "notices": self.notices,
        }


def summarize(results: Iterable[Any]) -> Summary:
    s = Summary()
    s.totals = {b.value: 0 for b in CONSTRUCT_BUCKETS}
    for res in results:
        s.scanned += 1
        if not res.skipped:
            s.parsed += 1
        if res.error is not None:
            s.failed += 1
            continue
        if res.changed:
            s.changed += 1
        if res.new_path:
            s.renamed += 1
        for f in res.findings:
            if f.bucket is Bucket.NOTICE:
                s.notices += 1
                continue
            if f.bucket not in CONSTRUCT_BUCKETS:
                continue
            per = s.per_rule.setdefault(f.rule, {b.value: 0 for b in CONSTRUCT_BUCKETS})
            per[f.bucket.value] += 1
            s.totals[f.bucket.value] += 1
    return s
