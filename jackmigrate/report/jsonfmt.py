"""The JSON report: one record per finding (rule, path, range, message, the fix as edits
or the reason there is none), the failed files and the summary counts."""

from __future__ import annotations

import json
from typing import Any, Sequence

from jackmigrate import __version__
from jackmigrate.report.summary import Summary
from jackmigrate.rules import all_rules
from jackmigrate.rules.base import Bucket

__all__ = ["render_json"]


def _record(res: Any, f: Any) -> dict[str, Any]:
    d = f.as_dict()
    rule = all_rules().get(f.rule)
    d["applicability"] = rule.applicability.value if rule is not None else None
    d["path"] = res.path
    if res.new_path:
        d["new_path"] = res.new_path
    if d["fix"] is None and d["reason"] is None and f.bucket is Bucket.REWRITTEN:
        d["reason"] = "the rewrite is in the file's diff but not on this line (e.g. a template body)"
    elif d["fix"] is None and d["reason"] is None:
        d["reason"] = {
            Bucket.MARKED: "needs a manual change; a TODO comment marks it",
            Bucket.SHIM: "keeps working through jack_runtime.compat",
            Bucket.UNSUPPORTED: "no automatic conversion",
            Bucket.ERROR: "the file could not be processed",
            Bucket.NOTICE: "notice",
        }.get(f.bucket)
    return d


def render_json(results: Sequence[Any], summary: Summary, mode: str) -> str:
    findings = [_record(r, f) for r in results for f in r.findings]
    doc = {
        "tool": "jackmigrate",
        "version": __version__,
        "mode": mode,
        "summary": summary.as_dict(),
        "files": [
            {
                "path": r.path,
                "new_path": r.new_path,
                "status": "failed" if r.error is not None else (
                    "changed" if r.changed else ("skipped" if r.skipped else "unchanged")
                ),
            }
            for r in results
            if not r.skipped or r.error is not None
        ],
        "findings": findings,
    }
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"
