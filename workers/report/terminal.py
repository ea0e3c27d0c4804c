"""The readable terminal report of `mailcheck check` (plain text, no Slack markup)."""

from __future__ import annotations

from workers.report.model import CHECK_NAMES, Report
from workers.report.wording import CHECK_LABELS, headline

_MARKS = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "error": "ERR ", "skipped": "skip", "running": "... "}


def render_terminal(report: Report) -> str:
    lines = [
        f"mailcheck {report.email}",
        f"verdict: {report.verdict} — {headline(report)}",
        f"spam risk: {report.spam_risk}",
        "",
    ]
    for name in CHECK_NAMES:
        result = report.checks[name]
        lines.append(f"  [{_MARKS[result.status.value]}] {CHECK_LABELS[name]:<20} {result.summary}")
    if report.findings:
        lines += ["", "findings:"]
        lines += [f"  {f.severity.value:<4} {f.code}: {f.summary}" for f in report.findings]
    lines += ["", "what to tell the user:", f"  {report.tell_user}", ""]
    lines.append(f"actions: {', '.join(report.actions)} · {report.elapsed_ms} ms · report {report.report_id}")
    return "\n".join(lines)
