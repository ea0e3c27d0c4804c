"""Postmark: the From domain's verification, through the Account API (reference/providers.md §2, §11.2).

Domains are an account-level resource: they need `X-Postmark-Account-Token` (POSTMARK_ACCOUNT_TOKEN),
not the server token. `GET /domains` (≤500 a page) finds the domain by name and `GET /domains/{id}`
gives its DKIM and Return-Path records. Calls: 2 (one more per extra page of domains).
"""

from __future__ import annotations

from pydantic import BaseModel

from workers.providers.adapter import DomainReader
from workers.providers.base import DnsRecordSpec, ProviderSpec, SenderDomain, absolute_host
from workers.providers.http import ProviderHttp

ACCOUNT_SPEC = ProviderSpec(
    name="postmark",
    label="Postmark",
    base_url="https://api.postmarkapp.com",
    auth_header="X-Postmark-Account-Token",
)
PAGE_SIZE = 500  # the API maximum
PAGE_CAP = 2


class _Listed(BaseModel):
    ID: int
    Name: str


class _List(BaseModel):
    TotalCount: int = 0
    Domains: list[_Listed]


class _Domain(BaseModel):
    Name: str
    DKIMVerified: bool = False
    ReturnPathDomainVerified: bool = False
    DKIMHost: str | None = None
    DKIMTextValue: str | None = None
    DKIMPendingHost: str | None = None
    DKIMPendingTextValue: str | None = None
    ReturnPathDomain: str | None = None
    ReturnPathDomainCNAMEValue: str | None = None


async def read(http: ProviderHttp, domain: str) -> SenderDomain | None:
    listed = await _find(http, domain)
    if listed is None:
        return None
    found = http.parse(_Domain, await http.scoped_json("GET", f"/domains/{listed.ID}"))
    records = [record for record in (_dkim(found, domain), _return_path(found, domain)) if record]
    # No custom Return-Path configured: Postmark bounces through its own domain and sending works.
    return_path_ok = found.ReturnPathDomainVerified or not found.ReturnPathDomain
    state = (
        f"DKIMVerified: {_word(found.DKIMVerified)}, "
        f"ReturnPathDomainVerified: {_word(found.ReturnPathDomainVerified)}"
    )
    return SenderDomain(domain, state, found.DKIMVerified and return_path_ok, tuple(records))


async def _find(http: ProviderHttp, domain: str) -> _Listed | None:
    for page_number in range(PAGE_CAP):
        params: dict[str, str | int] = {"count": PAGE_SIZE, "offset": page_number * PAGE_SIZE}
        page = http.parse(_List, await http.scoped_json("GET", "/domains", params=params))
        match = next((d for d in page.Domains if d.Name.lower().rstrip(".") == domain), None)
        if match is not None or len(page.Domains) < PAGE_SIZE:
            return match
    return None


def _dkim(found: _Domain, domain: str) -> DnsRecordSpec | None:
    # Before the first verification (and during a key rotation) the record to publish is the pending one.
    host = found.DKIMPendingHost or found.DKIMHost
    value = found.DKIMPendingTextValue or found.DKIMTextValue
    if not host or not value:
        return None
    return DnsRecordSpec(
        kind="DKIM",
        host=absolute_host(host, domain),
        type="TXT",
        value=value,
        verified=found.DKIMVerified,
        status=f"DKIMVerified: {_word(found.DKIMVerified)}",
        sticky=True,  # [doc] "stays true once verified, even if the record is later removed from DNS"
    )


def _return_path(found: _Domain, domain: str) -> DnsRecordSpec | None:
    if not found.ReturnPathDomain:
        return None
    return DnsRecordSpec(
        kind="Return-Path",
        host=absolute_host(found.ReturnPathDomain, domain),
        type="CNAME",
        value=found.ReturnPathDomainCNAMEValue or "pm.mtasv.net",
        verified=found.ReturnPathDomainVerified,
        status=f"ReturnPathDomainVerified: {_word(found.ReturnPathDomainVerified)}",
    )


def _word(flag: bool) -> str:
    return "true" if flag else "false"


READER = DomainReader(
    read=read,
    key_hint="set POSTMARK_ACCOUNT_TOKEN to an Account API token (the account owner's API Tokens tab)",
    spec=ACCOUNT_SPEC,
    key_setting="POSTMARK_ACCOUNT_TOKEN",
)
