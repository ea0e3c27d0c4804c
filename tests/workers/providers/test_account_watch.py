"""The courier watch's question to the provider (SPEC §11, §15): the last hour of mail counted for every
mailbox provider at once, through each provider's real HTTP shapes, cached for a minute."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
import redis.asyncio

from tests.standins.providers import DEFAULT_DOMAIN, POSTMARK_ACCOUNT_TOKEN
from tests.workers.providers.support import KEYS, NOW, STANDINS
from tests.workers.providers.worlds import Mail, hour, populate
from workers.providers.account_watch import AccountAsk, look_at_account, read_traffic_by_group
from workers.providers.registry import adapter_for

PROVIDERS = sorted(STANDINS)
OUTLOOK = ["outlook.com", "hotmail.com", "live.com", "hotmail.co.uk"]
MICROSOFT = "Microsoft (Outlook.com / Microsoft 365)"


def _ask(provider: str, url: str, from_domain: str | None = DEFAULT_DOMAIN) -> AccountAsk:
    adapter = adapter_for(provider)
    token = POSTMARK_ACCOUNT_TOKEN if provider == "postmark" else KEYS[provider]
    return AccountAsk(adapter, KEYS[provider], url, "outbound", from_domain, token, timeout=5.0)


def _by_group(provider: str, url: str, redis_url: str, now: datetime = NOW) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        cache = redis.asyncio.Redis.from_url(redis_url)
        try:
            return await read_traffic_by_group(_ask(provider, url), cache=cache, now=now)
        finally:
            await cache.aclose()

    return asyncio.run(go())


def outlook_hour() -> list[Mail]:
    """The last hour: Outlook defers 10 of our 25 messages, Gmail takes all 60; two hours earlier
    Outlook deferred 30 more, which the last hour does not count."""
    earlier = hour(OUTLOOK, 30, deferred=30, end=NOW - timedelta(hours=2))
    return hour(OUTLOOK, 25, deferred=10) + hour(["gmail.com", "googlemail.com"], 60) + earlier


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_last_hour_is_counted_for_every_mailbox_provider(provider: str, redis_url: str) -> None:
    with STANDINS[provider](KEYS[provider]) as api:
        populate(provider, api, outlook_hour(), redis_url=redis_url)
        section = _by_group(provider, api.url, redis_url)
    assert section["outcome"] == "counted" and section["window_hours"] == 1
    groups = {group["key"]: group for group in section["groups"]}
    microsoft = groups["microsoft"]
    assert (microsoft["name"], microsoft["messages"], microsoft["failed"], microsoft["percent"]) == (
        MICROSOFT,
        25,
        10,
        40,
    )
    assert microsoft["dominant_reply"]["category"] == "rate_limited"
    assert microsoft["dominant_reply"]["reply"].startswith("451 4.7.650 The mail server [x.x.x.x]")
    assert section["groups"][0]["key"] == "microsoft"  # most failures first
    if provider == "postmark":  # its totals cost a call a domain: a group without failures is not totalled
        assert "google" not in groups
    else:
        assert (groups["google"]["messages"], groups["google"]["failed"]) == (60, 0)
    assert "person." not in json.dumps(section)  # counts and scrubbed replies, never an address


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_tally_is_cached_for_a_minute(provider: str, redis_url: str) -> None:
    with STANDINS[provider](KEYS[provider]) as api:
        populate(provider, api, outlook_hour(), redis_url=redis_url)
        first = _by_group(provider, api.url, redis_url)
        asked = len(api.requests)
        second = _by_group(provider, api.url, redis_url)
        assert len(api.requests) == asked  # nothing asked again
    assert (first["cached"], second["cached"]) == (False, True)
    assert second["groups"] == first["groups"]


def test_postmark_totals_only_the_groups_with_failures(redis_url: str) -> None:
    with STANDINS["postmark"](KEYS["postmark"]) as api:
        populate("postmark", api, outlook_hour(), redis_url=redis_url)
        _by_group("postmark", api.url, redis_url)
        totalled = {r.query.get("recipient") for r in api.requests if r.path == "/messages/outbound"}
    assert "@hotmail.com" in totalled and "@msn.com" in totalled  # every Microsoft domain
    assert "@gmail.com" not in totalled and None in totalled  # no Google domain; the whole stream once


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_provider_that_cannot_be_asked_is_a_note(provider: str, redis_url: str) -> None:
    with STANDINS[provider](KEYS[provider]) as api:
        api.fail(503, times=50)
        section = _by_group(provider, api.url, redis_url)
    assert section["outcome"] == "error" and "groups" not in section
    assert section["notes"][0].startswith("the last 1 h of mail could not be read: ")


def test_the_sender_domain_is_read_beside_the_tally(redis_url: str) -> None:
    with STANDINS["smtp2go"](KEYS["smtp2go"]) as api:
        api.set_domain(DEFAULT_DOMAIN, "pending")

        async def go() -> Any:
            cache = redis.asyncio.Redis.from_url(redis_url)
            try:
                return await look_at_account(_ask("smtp2go", api.url), resolver=None, cache=cache, now=NOW)
            finally:
                await cache.aclose()

        look = asyncio.run(go())
    assert look.label == "SMTP2GO"
    assert look.sender_domain["outcome"] == "unverified" and look.sender_domain["domain"] == DEFAULT_DOMAIN
    assert look.traffic["outcome"] == "counted" and look.traffic["groups"] == []
