"""The evidence a support engineer needs at a glance: short plain-text lines per check.

Pure functions of a report's check details. Every key is read defensively: a check that ended
`error` or `skipped` has little or nothing in `details`. Callers escape the text for mrkdwn.

A line that shows an SMTP reply (the courier's last dispatch error, the probe's reply, the provider's
decisive reply, the dominant reply of a refusing mailbox provider) carries the reply's explanation
(SPEC §15: its category, whose side, and what it means) to be shown next to it. The provider's sender
domain and its 24-hour aggregate are shown only when their finding was raised; the aggregate is counts
and scrubbed reply text, never another recipient's address.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from workers.report.model import CHECK_NAMES, CheckResult
from workers.report.wording import SMTP_PHASE_TEXT, reply_cause
from workers.slack.text import clip

MAX_RECORDS_SHOWN = 4


@dataclass(frozen=True)
class Evidence:
    check: str
    line: str
    explained: str = ""  # "<category> (<side>): <meaning>" of the reply the line shows; "" when none


def explanation(reply: Mapping[str, Any]) -> str:
    """What a reply explained by SPEC §15's keys means, in one line; "" when it carries none."""
    meaning = str(reply.get("meaning") or "")
    if not reply.get("category") or not meaning:
        return ""
    cause = reply_cause(reply)
    return f"{reply['category']}" + (f" — {cause}" if cause else "") + f": {meaning}"


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


def _sender_domain(section: dict[str, Any]) -> str | None:
    """`sender_domain_unverified`: the provider's own word for the domain and each unverified record."""
    domain = section.get("domain")
    if section.get("outcome") == "missing":
        return f"sender domain {domain}: not added at the provider"
    if section.get("outcome") != "unverified":
        return None
    records = [r for r in section.get("records") or [] if not r.get("verified")]
    shown = [
        f"{r.get('kind')} {r.get('host')} ({r.get('status')}, {_in_dns(r.get('dns_found'))})"
        for r in records[:MAX_RECORDS_SHOWN]
    ]
    more = f" and {len(records) - MAX_RECORDS_SHOWN} more" if len(records) > MAX_RECORDS_SHOWN else ""
    unverified = f"; unverified: {', '.join(shown)}{more}" if shown else ""
    return f"sender domain {domain}: {section.get('provider_state')}{unverified}"


def _in_dns(found: object) -> str:
    if found is None:
        return "DNS not compared"
    return "in DNS" if found else "not in DNS"


def _mailbox_provider(section: dict[str, Any]) -> str | None:
    """`mailbox_provider_rejecting`: the group's counts beside all other mail, and its dominant reply."""
    if section.get("outcome") != "counted":
        return None
    group, other = section.get("group") or {}, section.get("other") or {}
    at_least = "at least " if section.get("capped") else ""
    line = (
        f"{group.get('name')}, last {section.get('window_hours')} h: {at_least}{section.get('failed')} of "
        f"{section.get('messages')} refused or deferred ({section.get('percent')} %) · other mail "
        f"{other.get('failed')} of {other.get('messages')}"
    )
    dominant = section.get("dominant_reply")
    if dominant:
        line += f" · most common reply ({dominant.get('messages')}×): {dominant.get('reply')}"
    return line


_BY_CHECK: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "courier": _courier,
    "smtp": _smtp,
    "sender_auth": _sender_auth,
    "blocklists": _blocklists,
    "recipient": _recipient,
    "provider": _provider,
}


def _explained_reply(name: str, d: dict[str, Any]) -> str:
    """The explanation of the reply the check's line shows (SPEC §15), "" when it shows none."""
    if name == "courier" and d.get("last_error"):
        return explanation(d)
    if name == "smtp" and d.get("failed_phase") and d.get("reply"):
        return explanation(d)
    newest = d.get("newest")
    if name == "provider" and d.get("decisive") and isinstance(newest, dict):
        return explanation(newest)
    return ""


def _provider_sections(result: CheckResult) -> list[Evidence]:
    codes = {finding.code for finding in result.findings}
    found = []
    domain = result.details.get("sender_domain")
    if "sender_domain_unverified" in codes and isinstance(domain, dict):
        line = _sender_domain(domain)
        if line:
            found.append(Evidence("provider", clip(line)))
    traffic = result.details.get("mailbox_provider")
    if "mailbox_provider_rejecting" in codes and isinstance(traffic, dict):
        line = _mailbox_provider(traffic)
        dominant = traffic.get("dominant_reply")
        if line:
            explained = explanation(dominant) if isinstance(dominant, dict) else ""
            found.append(Evidence("provider", clip(line), clip(explained)))
    return found


def evidence_lines(checks: dict[str, CheckResult]) -> list[Evidence]:
    """The evidence worth showing, check by check (some checks show several lines)."""
    lines = []
    for name in CHECK_NAMES:
        extract = _BY_CHECK.get(name)
        result = checks.get(name)
        if extract is None or result is None or not result.usable:
            continue
        line = extract(result.details)
        if line:
            lines.append(Evidence(name, clip(line), clip(_explained_reply(name, result.details))))
        if name == "provider":
            lines.extend(_provider_sections(result))
    return lines


def dashboard_url(checks: dict[str, CheckResult]) -> str | None:
    """The provider's page for the newest message, when it is a plain https URL safe to link."""
    result = checks.get("provider")
    newest = (result.details.get("newest") or {}) if result is not None and result.usable else {}
    url = newest.get("dashboard_url") if isinstance(newest, dict) else None
    if isinstance(url, str) and url.startswith("https://") and not any(c in url for c in "<>| \n"):
        return url
    return None
