"""Brevo: the From domain's authentication and verification (reference/providers.md §3, §11.2).

`GET /v3/senders/domains` lists the account's domains with `authenticated` (DKIM/DMARC records seen)
and `verified` (the `brevo-code` ownership record seen); only a domain short of either is asked again,
`GET /v3/senders/domains/{domainName}`, for its `dns_records`. These endpoints share Brevo's "all other
endpoints" budget of 100 requests an hour: calls are 1, or 2 for an unverified domain, at most once a
minute through the cache. A key refused for our IP ("unrecognised IP address") is a note.
"""

from __future__ import annotations

from urllib.parse import quote

from pydantic import BaseModel

from workers.providers.adapter import DomainReader
from workers.providers.base import DnsRecordSpec, SenderDomain, absolute_host
from workers.providers.http import ProviderHttp


class _Listed(BaseModel):
    domain_name: str
    authenticated: bool = False
    verified: bool = False


class _List(BaseModel):
    domains: list[_Listed] = []


class _Record(BaseModel):
    type: str
    value: str
    host_name: str
    status: bool = False


class _Domain(BaseModel):
    domain: str
    verified: bool = False
    authenticated: bool = False
    dns_records: dict[str, _Record] = {}


async def read(http: ProviderHttp, domain: str) -> SenderDomain | None:
    listed = http.parse(_List, await http.scoped_json("GET", "/senders/domains"))
    found = next((d for d in listed.domains if d.domain_name.lower().rstrip(".") == domain), None)
    if found is None:
        return None
    state = f"authenticated: {_word(found.authenticated)}, verified: {_word(found.verified)}"
    if found.authenticated and found.verified:
        return SenderDomain(domain, state, True)
    detail = http.parse(
        _Domain, await http.scoped_json("GET", f"/senders/domains/{quote(found.domain_name, safe='')}")
    )
    records = tuple(_record(name, row, domain) for name, row in sorted(detail.dns_records.items()))
    return SenderDomain(domain, state, False, records)


def _record(name: str, row: _Record, domain: str) -> DnsRecordSpec:
    return DnsRecordSpec(
        kind=_kind(name),
        host=absolute_host(row.host_name, domain),
        type=row.type.upper(),
        value=row.value,
        verified=row.status,
        status=f"status: {_word(row.status)}",
    )


def _kind(name: str) -> str:
    """dkim_record → DKIM, brevo_code → ownership, dmarc_record → DMARC (others keep Brevo's name)."""
    lowered = name.lower()
    for needle, kind in (("dkim", "DKIM"), ("brevo_code", "ownership"), ("dmarc", "DMARC"), ("spf", "SPF")):
        if needle in lowered:
            return kind
    return name


def _word(flag: bool) -> str:
    return "true" if flag else "false"


READER = DomainReader(
    read=read,
    key_hint="if Brevo's authorised IPs are on, add the address mailcheck connects from",
)
