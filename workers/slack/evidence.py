"""The evidence a support engineer needs at a glance: short plain-text lines per check.

Pure functions of a report's check details, read through their shapes (`workers/report/details*.py`).
Every key is read defensively (a report stored by an older version may lack one); a check that ended
`error` or `skipped` shows nothing. Callers escape the text for mrkdwn.

A line that shows an SMTP reply (the courier's last dispatch error, the probe's reply, the provider's
decisive reply, the dominant reply of a refusing mailbox provider) carries the reply's explanation
(SPEC §15: its category, whose side, and what it means) to be shown next to it. The provider's sender
domain and its 24-hour aggregate are shown only when their finding was raised; the aggregate is counts
and scrubbed reply text, never another recipient's address.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from workers.report import details, details_dns, details_provider
from workers.report.details import ReplyExplained
from workers.report.details_provider import MailboxTrafficSection, SenderDomainSection
from workers.report.model import CHECK_NAMES, CheckResult
from workers.report.wording import SMTP_PHASE_TEXT, reply_cause
from workers.slack.text import clip

MAX_RECORDS_SHOWN = 4
Checks = Mapping[str, CheckResult]


@dataclass(frozen=True)
class Evidence:
    check: str
    line: str
    explained: str = ""  # "<category> (<side>): <meaning>" of the reply the line shows; "" when none


def explanation(reply: ReplyExplained) -> str:
    """What a reply explained by SPEC §15's keys means, in one line; "" when it carries none."""
    meaning = str(reply.get("meaning") or "")
    if not reply.get("category") or not meaning:
        return ""
    cause = reply_cause(reply)
    return f"{reply['category']}" + (f" — {cause}" if cause else "") + f": {meaning}"


# Each check's line and the explanation of the reply it shows ("" when it shows none), or None.
Line = tuple[str, str] | None


def _courier(checks: Checks) -> Line:
    d = details.courier(checks)
    newest = d.get("newest") if d else None
    if d is None or not isinstance(newest, dict):
        return None
    line = (
        f"newest message: {newest.get('status')} · {newest.get('template_type')} · "
        f"{int(newest.get('age_s') or 0)} s old · {newest.get('send_count')} attempt(s)"
    )
    if d.get("last_error"):
        line += f" · last error: {d['last_error']}"
    if (d.get("count") or 0) > 1:
        line += f" · {d['count']} messages in {d.get('window_days')} days"
    return line, explanation(d) if d.get("last_error") else ""


def _smtp(checks: Checks) -> Line:
    d = details.smtp(checks)
    if d is None:
        return None
    relay = d.get("relay")
    where = f"{relay.get('host')}:{relay.get('port')} ({relay.get('mode')})" if relay else None
    if d.get("failed_phase"):
        phase = str(d["failed_phase"])
        line = f"{where} failed at {SMTP_PHASE_TEXT.get(phase, phase)}: {d.get('reply') or 'no reply'}"
        return line, explanation(d) if d.get("reply") else ""
    return (f"{where} accepted MAIL FROM and RCPT TO", "") if where else None


def _sender_auth(checks: Checks) -> Line:
    d = details_dns.sender_auth(checks)
    if d is None:
        return None
    parts = []
    spf, dkim, dmarc = d.get("spf"), d.get("dkim"), d.get("dmarc")
    if spf and spf.get("domain"):
        parts.append(f"SPF {spf['domain']}: {spf.get('record') or 'none'}")
    selectors = (dkim.get("selectors") if dkim else None) or {}
    missing = [name for name, info in selectors.items() if not (info and info.get("found"))]
    if missing:
        parts.append(f"DKIM selector(s) without a key: {', '.join(missing)}")
    if dmarc and dmarc.get("domain"):
        parts.append(f"DMARC {dmarc['domain']}: {dmarc.get('record') or 'none'}")
    return (" · ".join(parts), "") if parts else None


def _blocklists(checks: Checks) -> Line:
    d = details_dns.blocklists(checks)
    listed = (d.get("listed") if d else None) or []
    rows = [f"{row.get('item')} on {row.get('zone')} ({', '.join(row.get('codes') or [])})" for row in listed]
    return ("listed: " + "; ".join(rows), "") if rows else None


def _recipient(checks: Checks) -> Line:
    d = details_dns.recipient(checks)
    if d is None:
        return None
    mx = d.get("mx") or []
    parts = []
    if mx:
        parts.append(f"MX {mx[0].get('exchange')}")
    if d.get("mailbox_provider_name"):
        parts.append(str(d["mailbox_provider_name"]))
    if d.get("disposable_match"):
        parts.append(f"disposable ({d['disposable_match']})")
    return (" · ".join(parts), "") if parts else None


def _provider(checks: Checks) -> Line:
    d = details_provider.provider(checks)
    if d is None:
        return None
    newest = d.get("newest")
    parts = []
    if newest and newest.get("outcome"):
        parts.append(f"newest: {newest['outcome']}")
    if d.get("decisive"):
        parts.append(str(d["decisive"]))
    if d.get("suppressed"):
        suppression = d.get("suppression")
        reason = suppression.get("reason") if suppression else None
        parts.append(f"suppressed ({reason})" if reason else "suppressed")
    if not parts:
        return None
    shown = d.get("decisive") and isinstance(newest, dict)
    return " · ".join(parts), explanation(newest) if shown and newest else ""


def _sender_domain(section: SenderDomainSection) -> str | None:
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


def _mailbox_provider(section: MailboxTrafficSection) -> str | None:
    """`mailbox_provider_rejecting`: the group's counts beside all other mail, and its dominant reply."""
    if section.get("outcome") != "counted":
        return None
    group, other = section.get("group"), section.get("other")
    at_least = "at least " if section.get("capped") else ""
    line = (
        f"{group.get('name') if group else None}, last {section.get('window_hours')} h: {at_least}"
        f"{section.get('failed')} of {section.get('messages')} refused or deferred "
        f"({section.get('percent')} %) · other mail {other.get('failed') if other else None} of "
        f"{other.get('messages') if other else None}"
    )
    dominant = section.get("dominant_reply")
    if dominant:
        line += f" · most common reply ({dominant.get('messages')}×): {dominant.get('reply')}"
    return line


_BY_CHECK: dict[str, Callable[[Checks], Line]] = {
    "courier": _courier,
    "smtp": _smtp,
    "sender_auth": _sender_auth,
    "blocklists": _blocklists,
    "recipient": _recipient,
    "provider": _provider,
}


def _provider_sections(checks: Checks) -> list[Evidence]:
    result = checks.get("provider")
    provider = details_provider.provider_of(result)
    if result is None or provider is None:
        return []
    codes = {finding.code for finding in result.findings}
    found = []
    domain = provider.get("sender_domain")
    if "sender_domain_unverified" in codes and isinstance(domain, dict):
        line = _sender_domain(domain)
        if line:
            found.append(Evidence("provider", clip(line)))
    traffic = provider.get("mailbox_provider")
    if "mailbox_provider_rejecting" in codes and isinstance(traffic, dict):
        line = _mailbox_provider(traffic)
        dominant = traffic.get("dominant_reply")
        if line:
            explained = explanation(dominant) if isinstance(dominant, dict) else ""
            found.append(Evidence("provider", clip(line), clip(explained)))
    return found


def evidence_lines(checks: Checks) -> list[Evidence]:
    """The evidence worth showing, check by check (some checks show several lines); a check that ended
    `error` or `skipped` shows none."""
    lines = []
    for name in CHECK_NAMES:
        extract = _BY_CHECK.get(name)
        found = extract(checks) if extract is not None else None
        if found and found[0]:
            lines.append(Evidence(name, clip(found[0]), clip(found[1])))
        if name == "provider":
            lines.extend(_provider_sections(checks))
    return lines


def dashboard_url(checks: Checks) -> str | None:
    """The provider's page for the newest message, when it is a plain https URL safe to link."""
    provider = details_provider.provider(checks)
    newest = provider.get("newest") if provider else None
    url = newest.get("dashboard_url") if isinstance(newest, dict) else None
    if isinstance(url, str) and url.startswith("https://") and not any(c in url for c in "<>| \n"):
        return url
    return None
