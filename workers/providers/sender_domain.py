"""Is the From domain verified at the provider? (SPEC §15, seed step 4.)

Reads the domain through the adapter's `DomainReader`, compares each unverified record with DNS
(`domain_dns`), and keeps the answer per (provider, From domain) for a minute. Never raises and never
fails the check by itself: a key that may not read domains, a missing token or an outage is a note.

The `sender_domain` details section: `SenderDomainSection` (workers/report/details_provider.py): domain,
outcome (verified | unverified | missing | unreadable | skipped | error), verified, provider_state,
records (each a `DomainRecord`, compared with DNS), note, cached.
"""

from __future__ import annotations

import asyncio
from typing import cast

import dns.asyncresolver
import redis.asyncio

from workers.providers import cache as provider_cache
from workers.providers.adapter import ProviderAdapter
from workers.providers.base import SenderDomain
from workers.providers.domain_dns import compare_with_dns, record_dict
from workers.providers.http import ProviderAuthError, ProviderError, ProviderHttp, ProviderKeyScope
from workers.report.details_provider import SenderDomainSection


async def read_sender_domain(
    adapter: ProviderAdapter,
    from_domain: str | None,
    *,
    token: str | None,
    api_url: str | None,
    resolver: dns.asyncresolver.Resolver | None,
    cache: redis.asyncio.Redis | None,
    timeout: float,
) -> SenderDomainSection:
    """`token` is what `adapter.domains` needs (MAIL_PROVIDER_API_KEY, or Postmark's account token)."""
    reader, label = adapter.domains, adapter.label
    if not from_domain:
        return not_read(None, "skipped", "COURIER_SMTP_FROM_ADDRESS is not set: no sender domain to look up")
    domain = from_domain.strip().lower().rstrip(".")
    if token is None:
        why = f"{reader.key_setting} is not set, so {label} was not asked whether {domain} is verified"
        return not_read(domain, "skipped", why)
    key = provider_cache.domain_key(adapter.name, domain)
    cached = await provider_cache.load(cache, key)
    if cached is not None:
        return {**cast(SenderDomainSection, cached), "cached": True}
    try:
        async with asyncio.timeout(timeout):
            spec = reader.spec or adapter.spec
            async with ProviderHttp.open(spec, api_key=token, api_url=api_url, timeout=timeout) as http:
                found = await reader.read(http, domain)
    except (ProviderKeyScope, ProviderAuthError) as exc:
        said = str(exc) if isinstance(exc, ProviderKeyScope) else f"{label} refused {reader.key_setting}"
        section = not_read(domain, "unreadable", f"{said}: the sender domain was not read; {reader.key_hint}")
    except ProviderError as exc:
        return not_read(domain, "error", f"the sender domain could not be read: {exc}")
    except TimeoutError:
        return not_read(
            domain, "error", f"{label} did not answer about the sender domain within {timeout:g} s"
        )
    else:
        section = await _section(label, domain, found, resolver)
    await provider_cache.save(cache, key, dict(section))
    return {**section, "cached": False}


def not_read(domain: str | None, outcome: str, note: str | None) -> SenderDomainSection:
    """The section when the domain was not read (or is missing at the provider): why, in `note`."""
    return {
        "domain": domain,
        "outcome": outcome,
        "verified": None,
        "provider_state": None,
        "records": [],
        "note": note,
        "cached": False,
    }


async def _section(
    label: str, domain: str, found: SenderDomain | None, resolver: dns.asyncresolver.Resolver | None
) -> SenderDomainSection:
    if found is None:
        return {**not_read(domain, "missing", None), "verified": False}
    records = [record_dict(record) for record in found.records]
    sticky = {index for index, record in enumerate(found.records) if record.sticky}
    note = await compare_with_dns(records, sticky, resolver, domain)
    gone = [r for i, r in enumerate(records) if i in sticky and r["verified"] and r["dns_found"] is False]
    if gone:  # the provider's flag stays set after the record left DNS (Postmark's DKIMVerified)
        hosts = ", ".join(f"{r['kind']} {r['host']}" for r in gone)
        gone_note = f"{label} keeps these marked verified, but they are no longer in DNS: {hosts}"
        note = "; ".join(filter(None, [note, gone_note]))
    return {
        "domain": domain,
        "outcome": "verified" if found.verified else "unverified",
        "verified": found.verified,
        "provider_state": found.state,
        "records": records,
        "note": note,
    }
