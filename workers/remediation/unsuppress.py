"""The Lift-suppression button: the provider's own suppression-removal API, through its adapter."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio

from workers.clients.redis_client import async_redis_client
from workers.core.settings import Settings
from workers.core.timeouts import PROVIDER_REMOVAL_TIMEOUT_S
from workers.providers.base import RemovalOutcome
from workers.providers.lookup import remove_suppression
from workers.providers.registry import adapter_for, has_api
from workers.providers.selection import resolve_provider


@dataclass(frozen=True)
class UnsuppressResult:
    ok: bool
    detail: str


async def lift_suppression(
    email: str,
    settings: Settings,
    *,
    cache: redis.asyncio.Redis | None,
    timeout: float = PROVIDER_REMOVAL_TIMEOUT_S,
) -> UnsuppressResult:
    """Remove `email` from the provider's suppression list (and drop the provider check's cached
    answer from `cache`); never raises."""
    provider = resolve_provider(settings)
    if settings.mail_provider_api_key is None:
        return UnsuppressResult(False, "MAIL_PROVIDER_API_KEY is not set, so the provider cannot be asked")
    if not has_api(provider):
        return UnsuppressResult(False, f"no suppression list to edit for provider {provider!r}")
    result = await remove_suppression(
        adapter_for(provider),
        email,
        api_key=settings.mail_provider_api_key.get_secret_value(),
        api_url=str(settings.mail_provider_api_url) if settings.mail_provider_api_url else None,
        postmark_stream=settings.postmark_message_stream,
        timeout=timeout,
        cache=cache,
    )
    # Already off the list is what the press asked for; a refusal or an API failure is not.
    ok = result.outcome in (RemovalOutcome.REMOVED, RemovalOutcome.NOT_SUPPRESSED)
    return UnsuppressResult(ok, result.detail or f"{provider} answered {result.outcome.value}")


async def unsuppress(settings: Settings, email: str) -> UnsuppressResult:
    """lift_suppression with the provider-answer cache in REDIS_URL."""
    cache = async_redis_client(settings.redis_url)
    try:
        return await lift_suppression(email, settings, cache=cache)
    finally:
        await cache.aclose()
