"""Finding `sender_domain_unverified` from the provider check's `sender_domain` section (SPEC §15).

Pure: the same section (fresh, cached, or after correlation with the courier) gives the same words.
The provider's own words name the state; each unverified record says what DNS shows and what to do.
"""

from __future__ import annotations

from workers.report.details_provider import DomainRecord, SenderDomainSection
from workers.report.model import Finding, Severity

MAX_SHOWN_VALUE = 48  # a DKIM key is 400 characters: the details carry it whole


def domain_headline(label: str, section: SenderDomainSection | None) -> str | None:
    """The finding's first clause, for the check's one-line summary; None when there is no finding."""
    if not section or section.get("outcome") not in ("missing", "unverified"):
        return None
    if section["outcome"] == "missing":
        return f"{label} does not have the sender domain {section['domain']}"
    return f"{label} has not verified the sender domain {section['domain']} ({label} says {section['provider_state']})"


def domain_finding(label: str, section: SenderDomainSection | None) -> Finding | None:
    headline = domain_headline(label, section)
    if section is None or headline is None:
        return None
    if section["outcome"] == "missing":
        text = (
            f"{headline}: add it in the {label} dashboard and publish the DNS records it gives; until it "
            f"is verified, {label} refuses mail From {section['domain']}"
        )
        return Finding("sender_domain_unverified", Severity.FAIL, text)
    advice = [_record_text(label, record) for record in section.get("records", []) if not record["verified"]]
    text = f"{headline}: " + "; ".join(advice) if advice else headline
    return Finding("sender_domain_unverified", Severity.FAIL, text)


def _record_text(label: str, record: DomainRecord) -> str:
    what = f"{record['kind']} {record['host']} ({record['status']})"
    wanted = f"{record['type']} {_short(record['value'])}"
    found = record.get("dns_found")
    if found is True:
        return f"{what}: the record is in DNS: re-verify in the {label} dashboard"
    if found is False and record.get("dns_values"):
        shown = _short(record["dns_values"][0])
        return f"{what}: DNS has a different value there ({shown}): set it to {wanted}"
    if found is False:
        return f"{what}: the record is missing from DNS: add {record['host']} {wanted}"
    return f"{what}: expected {wanted}"


def _short(value: str) -> str:
    return value if len(value) <= MAX_SHOWN_VALUE else value[: MAX_SHOWN_VALUE - 1] + "…"
