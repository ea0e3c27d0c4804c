"""SMTP2GO: the From domain's verification (reference/providers.md §4, §11.1–11.2).

`POST /domain/view {"domain"}` answers the sender domain with its DKIM (`s<id>._domainkey` CNAME to
`dkim.smtp2go.net`) and return-path (`em<id>` CNAME to `return.smtp2go.net`) states. A key without
permission for `/domain/view` gets 400 `ENDPOINT_PERMISSION_DENIED`: a note. Calls: 1.
"""

from __future__ import annotations

from pydantic import BaseModel

from workers.providers.adapter import DomainReader
from workers.providers.base import DnsRecordSpec, SenderDomain
from workers.providers.http import ProviderHttp
from workers.providers.smtp2go_api import post


class _State(BaseModel):
    fulldomain: str
    dkim_selector: str | None = None
    dkim_verified: bool = False
    dkim_status: str | None = None
    dkim_value: str | None = None
    rpath_selector: str | None = None
    rpath_verified: bool = False
    rpath_status: str | None = None
    rpath_value: str | None = None


class _Entry(BaseModel):
    domain: _State


class _Data(BaseModel):
    domains: list[_Entry] = []


class _Answer(BaseModel):
    data: _Data


async def read(http: ProviderHttp, domain: str) -> SenderDomain | None:
    answer = http.parse(_Answer, await post(http, "/domain/view", {"domain": domain}, scoped=True))
    found = next(
        (e.domain for e in answer.data.domains if e.domain.fulldomain.lower().rstrip(".") == domain), None
    )
    if found is None:
        return None
    records = []
    if found.dkim_selector:
        host = f"{found.dkim_selector}._domainkey.{domain}"
        value = found.dkim_value or "dkim.smtp2go.net"
        records.append(_record("DKIM", host, value, found.dkim_verified, "dkim", found.dkim_status))
    if found.rpath_selector:
        host = f"{found.rpath_selector}.{domain}"
        value = found.rpath_value or "return.smtp2go.net"
        records.append(_record("Return-Path", host, value, found.rpath_verified, "rpath", found.rpath_status))
    state = f"dkim_verified: {_word(found.dkim_verified)}, rpath_verified: {_word(found.rpath_verified)}"
    return SenderDomain(domain, state, found.dkim_verified and found.rpath_verified, tuple(records))


def _record(
    kind: str, host: str, value: str, verified: bool, prefix: str, status: str | None
) -> DnsRecordSpec:
    words = f"{prefix}_verified: {_word(verified)}" + (f" ({prefix}_status: {status})" if status else "")
    return DnsRecordSpec(
        kind=kind, host=host.lower(), type="CNAME", value=value, verified=verified, status=words
    )


def _word(flag: bool) -> str:
    return "true" if flag else "false"


READER = DomainReader(
    read=read,
    key_hint="allow /domain/view for this API key in SMTP2GO's API key settings",
)
