"""Is the From domain verified at the provider? (SPEC §15, seed step 4.)

Reads the domain through the adapter's `DomainReader`, compares each unverified record with DNS
(`domain_dns`), and keeps the answer per (provider, From domain) for a minute. Never raises and never
fails the check by itself: a key that may not read domains, a missing token or an outage is a note.

The `sender_domain` details section:
  domain          the From domain
  outcome         verified | unverified | missing | unreadable | skipped | error
  verified        bool | None (None: not read)
  provider_state  the provider's own words for the domain's state | None
  records         [{"kind", "host", "type", "value", "status", "verified", "dns_found", "dns_values"}]
  note            why it was not read, or a caveat (DNS not comparable, …) | None
  cached          bool
"""

from __future__ import annotations

import asyncio
from typing import Any

import dns.asyncresolver
import redis.asyncio

from workers.providers import cache as provider_cache
from workers.providers.adapter import ProviderAdapter
from workers.providers.base import SenderDomain
from workers.providers.domain_dns import compare_with_dns, record_dict
from workers.providers.http import ProviderAuthError, ProviderError, ProviderHttp, ProviderKeyScope


async def read_sender_domain(
    adapter: ProviderAdapter,
    from_domain: str | None,
    *,
    token: str | None,
    api_url: str | None,
    resolver: dns.asyncresolver.Resolver | None,
    cache: redis.asyncio.Redis | None,
    timeout: float,
) -> dict[str, Any]:
    """`token` is what `adapter.domains` needs (MAIL_PROVIDER_API_KEY, or Postmark's account token)."""
    reader, label = adapter.domains, adapter.label
    if not from_domain:
        return _not_read(None, "skipped", "COURIER_SMTP_FROM_ADDRESS is not set: no sender domain to look up")
    domain = from_domain.strip().lower().rstrip(".")
    if token is None:
        why = f"{reader.key_setting} is not set, so {label} was not asked whether {domain} is verified"
        return _not_read(domain, "skipped", why)
    key = provider_cache.domain_key(adapter.name, domain)
    cached = await provider_cache.load(cache, key)
    if cached is not None:
        return {**cached, "cached": True}
    try:
        async with asyncio.timeout(timeout):
            spec = reader.spec or adapter.spec
            async with ProviderHttp.open(spec, api_key=token, api_url=api_url, timeout=timeout) as http:
                found = await reader.read(http, domain)
    except (ProviderKeyScope, ProviderAuthError) as exc:
        said = str(exc) if isinstance(exc, ProviderKeyScope) else f"{label} refused {reader.key_setting}"
        section = _not_read(
            domain, "unreadable", f"{said}: the sender domain was not read; {reader.key_hint}"
        )
    except ProviderError as exc:
        return _not_read(domain, "error", f"the sender domain could not be read: {exc}")
    except TimeoutError:
        return _not_read(
            domain, "error", f"{label} did not answer about the sender domain within {timeout:g} s"
        )
    else:
        section = await _section(label, domain, found, resolver)
    await provider_cache.save(cache, key, section)
    return {**section, "cached": False}


def _not_read(domain: str | None, outcome: str, note: str | None) -> dict[str, Any]:
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
) -> dict[str, Any]:
    if found is None:
        return {**_not_read(domain, "missing", None), "verified": False}
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
