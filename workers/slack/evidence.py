"""The evidence a support engineer needs at a glance, one short plain-text line per check.

Pure functions of a report's check details. Every key is read defensively: a check that ended
`error` or `skipped` has little or nothing in `details`. Callers escape the text for mrkdwn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workers.report.model import CHECK_NAMES, CheckResult
from workers.report.wording import SMTP_PHASE_TEXT
from workers.slack.text import clip


def _courier(d: dict[str, Any]) -> str | None:
    newest = d.get("newest")
    if not isinstance(newest, dict):
        return None
    line = (
        f"newest message: {newest.get('status')} · {newest.get('template_type')} · "
        f"{int(newest.get('age_s') or 0)} s old · {newest.get('send_count')} attempt(s)"
    )
    if d.get("last_error"):
        line += f" · last error: {d['last_error']}"
    if (d.get("count") or 0) > 1:
        line += f" · {d['count']} messages in {d.get('window_days')} days"
    return line


def _smtp(d: dict[str, Any]) -> str | None:
    relay = d.get("relay") or {}
    where = f"{relay.get('host')}:{relay.get('port')} ({relay.get('mode')})" if relay else None
    if d.get("failed_phase"):
        phase = SMTP_PHASE_TEXT.get(d["failed_phase"], d["failed_phase"])
        return f"{where} failed at {phase}: {d.get('reply') or 'no reply'}"
    return f"{where} accepted MAIL FROM and RCPT TO" if where else None


def _sender_auth(d: dict[str, Any]) -> str | None:
    parts = []
    spf, dkim, dmarc = d.get("spf") or {}, d.get("dkim") or {}, d.get("dmarc") or {}
    if spf.get("domain"):
        parts.append(f"SPF {spf['domain']}: {spf.get('record') or 'none'}")
    selectors = dkim.get("selectors") or {}
    missing = [name for name, info in selectors.items() if not (info or {}).get("found")]
    if missing:
        parts.append(f"DKIM selector(s) without a key: {', '.join(missing)}")
    if dmarc.get("domain"):
        parts.append(f"DMARC {dmarc['domain']}: {dmarc.get('record') or 'none'}")
    return " · ".join(parts) or None


def _blocklists(d: dict[str, Any]) -> str | None:
    listed = d.get("listed") or []
    rows = [f"{row.get('item')} on {row.get('zone')} ({', '.join(row.get('codes') or [])})" for row in listed]
    return ("listed: " + "; ".join(rows)) if rows else None


def _recipient(d: dict[str, Any]) -> str | None:
    mx = d.get("mx") or []
    parts = []
    if mx:
        parts.append(f"MX {mx[0].get('exchange')}")
    if d.get("mailbox_provider_name"):
        parts.append(str(d["mailbox_provider_name"]))
    if d.get("disposable_match"):
        parts.append(f"disposable ({d['disposable_match']})")
    return " · ".join(parts) or None


def _provider(d: dict[str, Any]) -> str | None:
    newest = d.get("newest") or {}
    parts = []
    if newest.get("outcome"):
        parts.append(f"newest: {newest['outcome']}")
    if d.get("decisive"):
        parts.append(str(d["decisive"]))
    if d.get("suppressed"):
        reason = (d.get("suppression") or {}).get("reason")
        parts.append(f"suppressed ({reason})" if reason else "suppressed")
    return " · ".join(parts) or None


_BY_CHECK: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "courier": _courier,
    "smtp": _smtp,
    "sender_auth": _sender_auth,
    "blocklists": _blocklists,
    "recipient": _recipient,
    "provider": _provider,
}


def evidence_lines(checks: dict[str, CheckResult]) -> list[tuple[str, str]]:
    """(check name, line) for every check that has evidence worth showing."""
    lines = []
    for name in CHECK_NAMES:
        extract = _BY_CHECK.get(name)
        result = checks.get(name)
        if extract is None or result is None or not result.usable:
            continue
        line = extract(result.details)
        if line:
            lines.append((name, clip(line)))
    return lines


def dashboard_url(checks: dict[str, CheckResult]) -> str | None:
    """The provider's page for the newest message, when it is a plain https URL safe to link."""
    result = checks.get("provider")
    newest = (result.details.get("newest") or {}) if result is not None and result.usable else {}
    url = newest.get("dashboard_url") if isinstance(newest, dict) else None
    if isinstance(url, str) and url.startswith("https://") and not any(c in url for c in "<>| \n"):
        return url
    return None
