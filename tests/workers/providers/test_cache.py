"""The short-lived Redis cache per (provider, recipient)."""

from __future__ import annotations

from typing import Any

import redis

from tests.standins.providers import PostmarkStandIn, ResendStandIn
from tests.standins.redis_server import free_port
from tests.workers.providers.support import EMAIL, KEYS, run_check, run_removal
from workers.clients.keyspace import PROVIDER_CACHE_TTL_S
from workers.providers import cache
from workers.report.model import Status


def test_second_call_is_answered_from_the_cache(redis_url: str) -> None:
    with PostmarkStandIn(KEYS["postmark"]) as api:
        api.add_message("m-1", EMAIL, "2026-11-20T10:00:00Z")
        first = run_check("postmark", api.url, cache_url=redis_url)
        asked = len(api.requests)
        second = run_check("postmark", api.url, cache_url=redis_url, email=" User@Example.com ")
        assert len(api.requests) == asked  # no HTTP request at all
    assert first.details["cached"] is False and second.details["cached"] is True
    assert first.details["sender_domain"]["cached"] is False
    assert second.details["sender_domain"]["cached"] is True
    assert first.details["mailbox_provider"]["cached"] is False
    assert second.details["mailbox_provider"]["cached"] is True
    assert second.status is first.status is Status.OK
    assert uncached(second.details) == uncached(first.details)


def uncached(details: dict[str, Any]) -> dict[str, Any]:
    """The details without the `cached` flags, at the top and in each section."""
    return {
        key: uncached(value) if isinstance(value, dict) else value
        for key, value in details.items()
        if key != "cached"
    }


def test_cache_entries_expire(redis_url: str, sync_redis: redis.Redis) -> None:
    with ResendStandIn(KEYS["resend"]) as api:
        run_check("resend", api.url, cache_url=redis_url)
    ttl = sync_redis.ttl(cache.cache_key("resend", EMAIL))
    assert 0 < ttl <= PROVIDER_CACHE_TTL_S
    assert EMAIL not in str(sync_redis.keys("*"))  # addresses are not in key names


def test_errors_are_not_cached(redis_url: str) -> None:
    with ResendStandIn(KEYS["resend"]) as api:
        api.fail(500, times=50)
        failed = run_check("resend", api.url, cache_url=redis_url)
        api.clear_faults()
        fresh = run_check("resend", api.url, cache_url=redis_url)
    assert failed.status is Status.ERROR
    assert fresh.status is Status.OK and fresh.details["cached"] is False


def test_lifting_a_suppression_drops_the_cached_answer(redis_url: str) -> None:
    with ResendStandIn(KEYS["resend"]) as api:
        api.suppress(EMAIL, "bounce", "2026-11-19 10:00:00+00")
        before = run_check("resend", api.url, cache_url=redis_url)
        run_removal("resend", api.url, cache_url=redis_url)
        after = run_check("resend", api.url, cache_url=redis_url)
    assert before.details["suppressed"] is True
    assert after.details["suppressed"] is False and after.details["cached"] is False


def test_unreachable_cache_is_skipped() -> None:
    with ResendStandIn(KEYS["resend"]) as api:
        result = run_check("resend", api.url, cache_url=f"redis://127.0.0.1:{free_port()}/0")
    assert result.status is Status.OK
    assert result.details["cached"] is False
