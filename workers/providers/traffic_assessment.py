"""Finding `mailbox_provider_rejecting` from the provider check's `mailbox_provider` section (SPEC §15).

`warn` from 10 % of at least 20 messages to the recipient's mailbox-provider group in 24 hours refused
or deferred, `fail` from 30 % (`workers/report/refusal_rate.py`), with the counts beside all other mail, the dominant reply and its
category, and the runbook's advice (seed step 5). Pure, like the rest of the assessment.
"""

from __future__ import annotations

from workers.report.details_provider import DominantReply, MailboxTrafficSection
from workers.report.model import Finding, Severity
from workers.report.refusal_rate import refusal_severity

WARM_UP = "Warm up the sending IP/domain: send small volumes to engaged users first and ramp up over weeks"


def severity_of(section: MailboxTrafficSection | None) -> Severity | None:
    if not section or section.get("outcome") != "counted":
        return None
    return refusal_severity(section["messages"], section["failed"])


def traffic_headline(section: MailboxTrafficSection | None) -> str | None:
    """The finding's first sentence (the counts), for the check's one-line summary."""
    if section is None or severity_of(section) is None:
        return None
    other = section["other"]
    return (
        f"{section['group']['name']} refused or deferred {section['failed']} of {section['messages']} "
        f"messages in the last {section['window_hours']} h ({section['percent']} %); other mail "
        f"{other['failed']} of {other['messages']}"
        + (" (at least: the scan stopped at its cap)" if section.get("capped") else "")
    )


def traffic_finding(section: MailboxTrafficSection | None) -> Finding | None:
    severity, headline = severity_of(section), traffic_headline(section)
    if section is None or severity is None or headline is None:
        return None
    parts = [headline]
    dominant = section.get("dominant_reply")
    if dominant:
        parts.append(
            f"Most common reply ({dominant['messages']}×): {dominant['reply'].rstrip('.')} "
            f"({dominant['category']}: {dominant['meaning'].rstrip('.')})"
        )
    parts.append(_advice(section, dominant))
    return Finding("mailbox_provider_rejecting", severity, ". ".join(parts) + ".")


def _advice(section: MailboxTrafficSection, dominant: DominantReply | None) -> str:
    if dominant and dominant.get("category") == "authentication":
        return (
            f"Fix authentication first (SPF, DKIM, DMARC: see the sender_auth check), as "
            f"{section['group']['name']} refuses mail it cannot authenticate; then {WARM_UP[0].lower()}"
            f"{WARM_UP[1:]}"
        )
    return WARM_UP
