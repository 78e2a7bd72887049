"""SARIF 2.1.0 with fixes (the rewrites as artifact changes), for code-scanning UIs."""

from __future__ import annotations

import json
from typing import Any, Sequence

from jackmigrate import __version__
from jackmigrate.rules import all_rules
from jackmigrate.rules.base import Bucket

__all__ = ["render_sarif"]

_LEVEL = {
    Bucket.REWRITTEN: "note",
    Bucket.MARKED: "warning",
    Bucket.SHIM: "warning",
    Bucket.UNSUPPORTED: "error",
    Bucket.ERROR: "error",
    Bucket.NOTICE: "note",
}

_ENGINE_RULES = {
    "JM090": ("residual-quixote", "A Quixote reference remains after all rules"),
    "JM091": ("unused-suppression", "A jackmigrate suppression comment suppresses nothing"),
    "JM098": ("python2-source", "Python 2 source: convert to Python 3 first"),
    "JM099": ("unprocessable-file", "The file could not be processed"),
}


def _rule_descriptors(ids: set[str]) -> list[dict[str, Any]]:
    out = []
    registry = all_rules()
    for rid in sorted(ids):
        rule = registry.get(rid)
        if rule is not None:
            out.append({
                "id": rid,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": rule.rationale},
                "help": {"text": f"jackmigrate --explain {rid}"},
                "properties": {"applicability": rule.applicability.value},
            })
        else:
            name, text = _ENGINE_RULES.get(rid, (rid.lower(), rid))
            out.append({"id": rid, "name": name, "shortDescription": {"text": text}})
    return out


def render_sarif(results: Sequence[Any]) -> str:
    sarif_results = []
    ids: set[str] = set()
    for res in results:
        for f in res.findings:
            ids.add(f.rule)
            region: dict[str, Any] = {"startLine": max(f.line, 1)}
            if f.line:
                region["startColumn"] = f.column + 1
                if f.end_line:
                    region["endLine"] = max(f.end_line, f.line)
                    if f.end_line > f.line or f.end_column > f.column:
                        region["endColumn"] = f.end_column + 1
            item: dict[str, Any] = {
                "ruleId": f.rule,
                "level": _LEVEL.get(f.bucket, "warning"),
                "message": {"text": f.message + (f" ({f.reason})" if f.reason else "")},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": res.path, "uriBaseId": "SRCROOT"},
                    "region": region,
                }}],
                "properties": {"bucket": f.bucket.value},
            }
            if f.edits:
                item["fixes"] = [{
                    "description": {"text": f.message},
                    "artifactChanges": [{
                        "artifactLocation": {"uri": res.path, "uriBaseId": "SRCROOT"},
                        "replacements": [
                            {
                                "deletedRegion": (
                                    {"startLine": s, "endLine": e - 1}
                                    if e > s else {"startLine": s, "startColumn": 1, "endColumn": 1}
                                ),
                                "insertedContent": {"text": text},
                            }
                            for s, e, text in f.edits
                        ],
                    }],
                }]
            sarif_results.append(item)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "jackmigrate",
                "version": __version__,
                "informationUri": "https://example.invalid/jackmigrate",
                "rules": _rule_descriptors(ids),
            }},
            "originalUriBaseIds": {"SRCROOT": {"uri": "file:///"}},
            "results": sarif_results,
        }],
    }
    return json.dumps(doc, indent=2) + "\n"
