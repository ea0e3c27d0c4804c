"""`/mailcheck status`'s counts (SPEC §4.1, §16), in-process against the real Kratos stand-in: waiting
mail counts however old it is, and a count that reaches the listing cap says so."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.standins.kratos import KratosStandIn
from workers.checks.courier_status import courier_status
from workers.clients import kratos as kratos_client
from workers.clients.kratos import KratosAdmin
from workers.report.courier_status import CourierStatus, QueueVerdict
from workers.slack.render_courier_status import render_status


@pytest.fixture
def standin(kratos: KratosStandIn) -> Iterator[KratosStandIn]:
    kratos.reset()
    yield kratos
    kratos.reset()


def _health(standin: KratosStandIn) -> CourierStatus:
    async def run() -> CourierStatus:
        async with httpx.AsyncClient(base_url=standin.admin_url, timeout=30) as http:
            return await courier_status(KratosAdmin(http), lookback_days=7, stuck_after=120)

    return asyncio.run(run())


def test_every_queued_message_counts_and_the_oldest_is_the_real_oldest(standin: KratosStandIn) -> None:
    """Seen: 2,500 queued, the oldest 5 h old, said `queued 2000`, oldest 2,599 s (the listing is newest
    first, so the dropped messages were exactly the evidence)."""
    for index in range(2499):
        standin.add_message(f"u{index}@example.com", status="queued", age_s=60 + index)
    standin.add_message("first@example.com", status="queued", age_s=5 * 3600)
    standin.add_message("gone@example.com", status="abandoned", age_s=8 * 24 * 3600)  # outside LOOKBACK_DAYS
    standin.add_message("recent@example.com", status="abandoned", age_s=3600)
    health = _health(standin)
    assert health.queued == 2500 and health.oldest_queued_age_s >= 5 * 3600
    assert health.abandoned == 1 and health.at_least == frozenset()
    assert health.verdict == QueueVerdict.COURIER_STUCK
    text = str(render_status(health, requester="U0SRE", lookback_days=7)["blocks"])
    assert "*2500* queued" in text and "at least" not in text


def test_a_count_that_reaches_the_listing_cap_says_at_least(
    standin: KratosStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kratos_client, "QUEUE_PAGES", 2)  # 1 000 messages; the real cap is 10 000
    for index in range(1001):
        standin.add_message(f"u{index}@example.com", status="queued", age_s=60 + index)
    health = _health(standin)
    assert health.queued == 1000 and health.at_least == frozenset({"queued"})
    message = render_status(health, requester="U0SRE", lookback_days=7)
    assert "*at least 1000* queued (oldest at least 1059 s)" in str(message["blocks"])
    assert message["metadata"]["event_payload"]["queued"] == 1000  # the integer it counted
    assert set(message["metadata"]["event_payload"]) == {
        "state",
        "queued",
        "processing",
        "abandoned",
        "oldest_queued_age_s",
        "verdict",
    }
