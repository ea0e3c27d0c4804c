"""What DNS shows of the records a provider has not verified (SPEC §15).

A provider that says "DKIM unverified" while the record is in DNS needs a re-verification in its
dashboard; one whose record is missing needs the record added. Each record the provider has not
verified (or whose flag does not follow DNS) is looked up as its type says and compared with the value
the provider expects. A "missing" answer only counts once our own resolver is shown to work (SPEC §5).
"""

from __future__ import annotations

import asyncio

import dns.asyncresolver
import dns.rdata

from workers.clients.dns import DnsUnavailable, lookup, vantage_problem
from workers.providers.base import DnsRecordSpec
from workers.report.details_provider import DomainRecord

MAX_SHOWN_VALUES = 3
MAX_VALUE_TEXT = 300
_LOOKED_UP_TYPES = frozenset({"TXT", "CNAME", "MX"})


def record_dict(record: DnsRecordSpec) -> DomainRecord:
    return {
        "kind": record.kind,
        "host": record.host,
        "type": record.type,
        "value": record.value,
        "status": record.status,
        "verified": record.verified,
        "dns_found": None,  # True: in DNS as expected; False: missing or different; None: not compared
        "dns_values": [],  # what DNS has at that host and type (when it differs)
    }


async def compare_with_dns(
    records: list[DomainRecord], sticky: set[int], resolver: dns.asyncresolver.Resolver | None, domain: str
) -> str | None:
    """Fill `dns_found`/`dns_values` in place for the unverified and `sticky` records; a note when DNS
    could not be read."""
    wanted = [
        r
        for i, r in enumerate(records)
        if (not r["verified"] or i in sticky) and r["type"] in _LOOKED_UP_TYPES
    ]
    if resolver is None or not wanted:
        return None
    results = await asyncio.gather(*(_values(resolver, r["host"], r["type"]) for r in wanted))
    failures = []
    for record, values in zip(wanted, results, strict=True):
        if values is None:
            failures.append(record["host"])
            continue
        record["dns_found"] = any(matches(record["type"], record["value"], value) for value in values)
        if not record["dns_found"]:
            record["dns_values"] = [value[:MAX_VALUE_TEXT] for value in values[:MAX_SHOWN_VALUES]]
    if any(r["dns_found"] is False for r in wanted):
        problem = await vantage_problem(resolver, [domain])
        if problem is not None:  # our resolver is broken: a "missing" record proves nothing
            for record in wanted:
                record["dns_found"], record["dns_values"] = None, []
            return f"the records were not compared with DNS: {problem}"
    if failures:
        return f"DNS could not be read for {', '.join(failures)}"
    return None


async def _values(resolver: dns.asyncresolver.Resolver, host: str, rdtype: str) -> list[str] | None:
    try:
        answers = await lookup(resolver, host, rdtype)
    except DnsUnavailable:
        return None
    return [_text(rdtype, answer) for answer in answers]


def _text(rdtype: str, answer: dns.rdata.Rdata) -> str:
    if rdtype == "TXT":
        return b"".join(getattr(answer, "strings", ())).decode("utf-8", "replace")
    if rdtype == "MX":
        return str(getattr(answer, "exchange", "")).rstrip(".").lower()
    return str(getattr(answer, "target", answer)).rstrip(".").lower()


def matches(rdtype: str, expected: str, found: str) -> bool:
    if rdtype in ("CNAME", "MX"):
        return _host(expected) == _host(found)
    want, have = _squeeze(expected), _squeeze(found)
    if want == have or (want and want in have):
        return True
    key = _tag(want, "p")
    return bool(key) and key == _tag(have, "p")  # a DKIM key published with other tags around it


def _host(value: str) -> str:
    return value.strip().rstrip(".").lower().split()[-1] if value.strip() else ""


def _squeeze(value: str) -> str:
    return "".join(value.replace('"', "").split())


def _tag(text: str, name: str) -> str | None:
    for part in text.split(";"):
        key, _, value = part.partition("=")
        if key.strip().lower() == name:
            return value.strip()
    return None
