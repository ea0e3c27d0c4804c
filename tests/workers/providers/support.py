"""Shared helpers for the provider tests: fixed clock, keys, and one-line ways to run the check."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import redis.asyncio
from pydantic import SecretStr

from tests.standins.providers import (
    DEFAULT_DOMAIN,
    POSTMARK_ACCOUNT_TOKEN,
    SUBJECT,
    BrevoStandIn,
    PostmarkStandIn,
    ProviderStandIn,
    ResendStandIn,
    Smtp2goStandIn,
)
from workers.checks.provider import check_provider
from workers.clients.dns import make_resolver
from workers.providers.base import RemovalResult
from workers.providers.lookup import remove_suppression
from workers.providers.registry import adapter_for
from workers.report.model import CheckResult

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
EMAIL = "user@example.com"
KEYS = {
    "resend": "re_test_0123456789",
    "postmark": "0b6e0d5c-1f2a-4c3b-9d8e-7f6a5b4c3d2e",
    "brevo": "xkeysib-test-0123456789",
    "smtp2go": "api-0123456789ABCDEF0123456789ABCDEF",
}
STANDINS: dict[str, Callable[[str], ProviderStandIn]] = {
    "resend": ResendStandIn,
    "postmark": PostmarkStandIn,
    "brevo": BrevoStandIn,
    "smtp2go": Smtp2goStandIn,
}


def run_check(
    provider: str,
    url: str,
    *,
    key: str | None = None,
    cache_url: str | None = None,
    timeout: float = 5.0,
    email: str = EMAIL,
    stream: str = "outbound",
    now: datetime = NOW,
    from_domain: str | None = DEFAULT_DOMAIN,
    account_token: str | None = POSTMARK_ACCOUNT_TOKEN,
    nameserver: str | None = None,
) -> CheckResult:
    """The provider check against a stand-in; `nameserver` ("ip:port" of the DNS stand-in) gives it a
    resolver for the recipient's MX and the sender domain's records."""

    async def go() -> CheckResult:
        cache = redis.asyncio.Redis.from_url(cache_url) if cache_url else None
        resolver = make_resolver([nameserver], 1.0) if nameserver else None
        try:
            return await check_provider(
                email,
                provider=provider,
                api_key=SecretStr(key or KEYS[provider]),
                api_url=url,
                postmark_stream=stream,
                lookback_days=7,
                cache=cache,
                timeout=timeout,
                now=now,
                from_domain=from_domain,
                account_token=SecretStr(account_token) if account_token else None,
                resolver=resolver,
            )
        finally:
            if cache is not None:
                await cache.aclose()

    return asyncio.run(go())


def run_removal(
    provider: str, url: str, *, email: str = EMAIL, cache_url: str | None = None, timeout: float = 5.0
) -> RemovalResult:
    async def go() -> RemovalResult:
        cache = redis.asyncio.Redis.from_url(cache_url) if cache_url else None
        try:
            return await remove_suppression(
                adapter_for(provider),
                email,
                api_key=KEYS[provider],
                api_url=url,
                postmark_stream="outbound",
                timeout=timeout,
                cache=cache,
            )
        finally:
            if cache is not None:
                await cache.aclose()

    return asyncio.run(go())


def codes(result: CheckResult) -> dict[str, str]:
    return {f.code: f.severity.value for f in result.findings}


def assert_clean(result: CheckResult, provider: str) -> None:
    """No subject, body, code or key anywhere in what the check returns."""
    text = json.dumps(result.to_dict()) + result.summary + "".join(f.summary for f in result.findings)
    assert SUBJECT not in text
    assert "907314" not in text
    assert KEYS[provider] not in text
    json.dumps(result.details)  # JSON-able


def only(messages: list[dict[str, Any]], message_id: str) -> dict[str, Any]:
    return next(m for m in messages if m["id"] == message_id)
