"""Resend: the From domain's verification (reference/providers.md §1, §11.1–11.2).

`GET /domains` (cursor pages of at most 100) finds the domain by name and `GET /domains/{id}` adds its
records. Only a `full_access` key may read domains; a `sending_access` key gets 401
`restricted_api_key`, which is a note, never an error. Calls: 2 (one more per extra page of domains).
"""

from __future__ import annotations

from urllib.parse import quote

from pydantic import BaseModel

from workers.providers.adapter import DomainReader
from workers.providers.base import DnsRecordSpec, SenderDomain, absolute_host
from workers.providers.http import ProviderHttp

PAGE_SIZE = 100  # the API maximum
PAGE_CAP = 5  # 500 domains is more than any account we serve has
# The rows that gate sending; Receiving (inbound MX) and Tracking rows do not.
_SENDING_ROWS = frozenset({"SPF", "DKIM"})


class _Listed(BaseModel):
    id: str
    name: str


class _List(BaseModel):
    data: list[_Listed]
    has_more: bool = False


class _Record(BaseModel):
    record: str
    name: str
    type: str
    value: str
    status: str


class _Domain(BaseModel):
    name: str
    status: str
    records: list[_Record] = []


async def read(http: ProviderHttp, domain: str) -> SenderDomain | None:
    listed = await _find(http, domain)
    if listed is None:
        return None
    found = http.parse(_Domain, await http.scoped_json("GET", f"/domains/{quote(listed.id, safe='')}"))
    records = tuple(_record(row, domain) for row in found.records if row.record in _SENDING_ROWS)
    return SenderDomain(domain, found.status, found.status == "verified", records)


async def _find(http: ProviderHttp, domain: str) -> _Listed | None:
    params: dict[str, str | int] = {"limit": PAGE_SIZE}
    for _ in range(PAGE_CAP):
        page = http.parse(_List, await http.scoped_json("GET", "/domains", params=params))
        match = next((item for item in page.data if item.name.lower().rstrip(".") == domain), None)
        if match is not None or not page.has_more or not page.data:
            return match
        params = {"limit": PAGE_SIZE, "after": page.data[-1].id}
    return None


def _record(row: _Record, domain: str) -> DnsRecordSpec:
    # Resend labels both rows of the return path "SPF": the MX at send.<domain> and its TXT.
    kind = "MX" if row.record == "SPF" and row.type.upper() == "MX" else row.record
    return DnsRecordSpec(
        kind=kind,
        host=absolute_host(row.name, domain),
        type=row.type.upper(),
        value=row.value,
        verified=row.status == "verified",
        status=row.status,
    )


READER = DomainReader(
    read=read,
    key_hint="a sending-only key cannot; give MAIL_PROVIDER_API_KEY full access to see it",
)
