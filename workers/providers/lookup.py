"""The two questions put to the configured provider, through its adapter: what it saw of mail to one
recipient (judged as the provider check's result), and lifting the recipient's suppression.

Both are bounded by one timeout and never raise: a provider that cannot be asked is an `error` result.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import redis.asyncio

from workers.providers import cache as provider_cache
from workers.providers.adapter import ProviderAdapter, Recipient
from workers.providers.assessment import assess
from workers.providers.base import RemovalOutcome, RemovalResult
from workers.providers.http import ProviderError, ProviderHttp
from workers.providers.timeline import build_details
from workers.report.model import CheckResult


async def look_up(
    adapter: ProviderAdapter,
    email: str,
    *,
    api_key: str,
    api_url: str | None,
    postmark_stream: str,
    lookback_days: int,
    cache: redis.asyncio.Redis | None,
    timeout: float,
    now: datetime | None = None,
) -> CheckResult:
    """What the provider saw of mail to `email` in the last `lookback_days`, judged; `cache` holds the
    short-lived answers and the Resend webhook events."""
    provider = adapter.name
    recipient = Recipient(email.strip().lower(), stream=postmark_stream, events=cache)
    key = provider_cache.cache_key(provider, recipient.email)
    cached = await provider_cache.load(cache, key)
    if cached is not None:
        return assess({**cached, "cached": True})
    now = now or datetime.now(UTC)
    since = now - timedelta(days=lookback_days)
    try:
        async with asyncio.timeout(timeout):
            async with ProviderHttp.open(
                adapter.spec, api_key=api_key, api_url=api_url, timeout=timeout
            ) as http:
                record = await adapter.fetch(http, recipient, since=since, now=now)
    except ProviderError as exc:
        setting = {"setting": exc.setting} if exc.setting else {}
        return CheckResult.error(str(exc), provider=provider, error=exc.kind, **setting)
    except TimeoutError:
        return CheckResult.error(
            f"{adapter.label} API did not answer within {timeout:g} s", provider=provider, error="unavailable"
        )
    details = build_details(provider, record, since=since, lookback_days=lookback_days)
    details["cached"] = False
    await provider_cache.save(cache, key, details)
    return assess(details)


async def remove_suppression(
    adapter: ProviderAdapter,
    email: str,
    *,
    api_key: str,
    api_url: str | None,
    postmark_stream: str,
    timeout: float,
    cache: redis.asyncio.Redis | None = None,
) -> RemovalResult:
    """Lift the recipient's suppression (the unsuppress button) and drop the cached answer; never raises."""
    recipient = Recipient(email.strip().lower(), stream=postmark_stream)
    try:
        async with asyncio.timeout(timeout):
            async with ProviderHttp.open(
                adapter.spec, api_key=api_key, api_url=api_url, timeout=timeout
            ) as http:
                result = await adapter.remove(http, recipient)
    except ProviderError as exc:
        return RemovalResult(RemovalOutcome.ERROR, str(exc))
    except TimeoutError:
        return RemovalResult(RemovalOutcome.ERROR, f"{adapter.label} API did not answer within {timeout:g} s")
    if result.ok:
        await provider_cache.forget(cache, provider_cache.cache_key(adapter.name, recipient.email))
    return result
