"""Rendering a run's results: unified diffs, text (rich), JSON, SARIF, GitHub annotations."""

from jackmigrate.report.diff import unified_diff
from jackmigrate.report.summary import Summary, summarize

__all__ = ["unified_diff", "Summary", "summarize"]
