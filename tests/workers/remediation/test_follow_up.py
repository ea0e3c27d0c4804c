"""Judging what a resend or a flush set in motion: pure rules, then the courier and provider over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import redis.asyncio

from tests.standins.kratos import KratosStandIn
from tests.standins.providers import ResendStandIn
from workers.clients.kratos import KratosAdmin
from workers.core.settings import Settings, load_settings
from workers.remediation.follow_up import (
    Observation,
    ProviderProbe,
    judge_code_send,
    judge_flush,
    message_ids,
    new_message,
    observe_code_send,
    observe_flush,
)
from workers.report.model import CheckResult, Status

RESEND_KEY = "re_followup_0123456789"
EMAIL = "user@example.com"


def _message(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "m-new",
        "status": status,
        "template_type": "verification_code_valid",
        "send_count": 2,
        **extra,
    }


def _provider(outcome: str | None, *, suppressed: bool = False) -> CheckResult:
    newest = {"outcome": outcome, "reply": "550 5.1.1 no such user"} if outcome else None
    return CheckResult(Status.OK, "…", {"newest": newest, "suppressed": suppressed})


@pytest.mark.parametrize(
    ("message", "provider", "configured", "outcome"),
    [
        (None, None, False, None),
        (_message("queued"), None, False, None),
        (_message("processing"), None, True, None),
        (_message("abandoned"), None, True, "failed"),
        (_message("sent"), None, False, "ok"),
        (_message("sent"), None, True, None),  # the provider was not asked (yet)
        (_message("sent"), CheckResult.error("Resend API is failing (503)"), True, None),
        (_message("sent"), _provider(None), True, None),
        (_message("sent"), _provider("sent"), True, None),
        (_message("sent"), _provider("deferred"), True, None),
        (_message("sent"), _provider("delivered"), True, "ok"),
        (_message("sent"), _provider("complained"), True, "ok"),
        (_message("sent"), _provider("bounced_hard"), True, "failed"),
        (_message("sent"), _provider("bounced_soft"), True, "failed"),
        (_message("sent"), _provider("suppressed"), True, "failed"),
        (_message("sent"), _provider("sent", suppressed=True), True, "failed"),
    ],
)
def test_judge_code_send(message, provider, configured: bool, outcome: str | None) -> None:
    observation = judge_code_send(message, provider, provider_configured=configured)
    assert observation.outcome == outcome
    assert observation.detail


def test_judge_code_send_names_the_bounce_reply() -> None:
    assert (
        "550 5.1.1"
        in judge_code_send(_message("sent"), _provider("bounced_hard"), provider_configured=True).detail
    )


def test_new_message_is_the_newest_unknown_one_of_the_flow() -> None:
    messages = [
        {"id": "c", "template_type": "recovery_code_valid"},
        {"id": "b", "template_type": "verification_code_valid"},
        {"id": "a", "template_type": "verification_code_valid"},
    ]
    assert new_message(messages, ["a"], "verification") == messages[1]
    assert new_message(messages, ["a", "b"], "verification") is None
    assert new_message(messages, [], "recovery") == messages[0]


@pytest.mark.parametrize(
    ("statuses", "outcome"),
    [
        ({}, "ok"),
        ({"a": "sent", "b": "sent"}, "ok"),
        ({"a": "sent", "b": "queued"}, None),
        ({"a": "sent", "b": "abandoned"}, "failed"),
        ({"a": "processing"}, None),
    ],
)
def test_judge_flush(statuses: dict[str, str], outcome: str | None) -> None:
    messages = [{"id": i, "status": s} for i, s in statuses.items()]
    assert judge_flush(list(statuses), messages).outcome == outcome
    assert judge_flush(["gone"], []).outcome is None  # a watched message that is not listed: keep looking


# ---- through the real protocols ----------------------------------------------------------------


@pytest.fixture
def resend_api() -> Iterator[ResendStandIn]:
    with ResendStandIn(RESEND_KEY) as standin:
        yield standin  # type: ignore[misc]


def _settings(resend_api: ResendStandIn | None = None, **extra: str) -> Settings:
    values = {"mail_provider": "resend", **extra}
    if resend_api is not None:
        values |= {"mail_provider_api_key": RESEND_KEY, "mail_provider_api_url": resend_api.url}
    return load_settings(values)


def _resend_observe(
    kratos_api: KratosStandIn, known: list[str], since: datetime, settings: Settings, redis_url: str
) -> Observation:
    async def go() -> Observation:
        cache = redis.asyncio.Redis.from_url(redis_url)
        try:
            async with httpx.AsyncClient(base_url=kratos_api.admin_url, timeout=5) as http:
                probe = ProviderProbe.configured(settings, cache)
                return await observe_code_send(
                    KratosAdmin(http), EMAIL, kind="verification", known=known, since=since, provider=probe
                )
        finally:
            await cache.aclose()

    return asyncio.run(go())


def _ids(kratos_api: KratosStandIn, since: datetime, *, pending_only: bool = False) -> list[str]:
    async def go() -> list[str]:
        async with httpx.AsyncClient(base_url=kratos_api.admin_url, timeout=5) as http:
            return await message_ids(KratosAdmin(http), EMAIL, since=since, pending_only=pending_only)

    return asyncio.run(go())


def test_resend_without_provider_follows_the_new_courier_message(
    kratos_api: KratosStandIn, redis_url: str
) -> None:
    kratos_api.add_identity(EMAIL)
    kratos_api.add_message(EMAIL, status="sent", age_s=20)  # an older code mail: not the one we watch
    started = datetime.now(UTC)
    known = _ids(kratos_api, started - timedelta(minutes=1))
    assert len(known) == 1
    settings = _settings()  # resend, but no key: the provider is not configured
    assert ProviderProbe.configured(settings, None) is None
    assert _resend_observe(kratos_api, known, started, settings, redis_url).outcome is None  # nothing new yet
    kratos_api.add_message(EMAIL, status="queued", age_s=0)
    pending = _resend_observe(kratos_api, known, started, settings, redis_url)
    assert pending.outcome is None and "queued" in pending.detail
    kratos_api.run_courier("sent")
    assert _resend_observe(kratos_api, known, started, settings, redis_url).outcome == "ok"


def test_resend_with_provider_waits_for_delivery(
    kratos_api: KratosStandIn, resend_api: ResendStandIn, redis_url: str
) -> None:
    kratos_api.add_identity(EMAIL)
    started = datetime.now(UTC)
    settings = _settings(resend_api)
    kratos_api.add_message(EMAIL, status="sent", age_s=0)
    waiting = _resend_observe(kratos_api, [], started, settings, redis_url)
    assert waiting.outcome is None and "not reported delivery" in waiting.detail
    resend_api.add_email("em-1", EMAIL, datetime.now(UTC).isoformat(), last_event="delivered")
    delivered = _resend_observe(kratos_api, [], started, settings, redis_url)
    assert delivered.outcome == "ok" and "delivered" in delivered.detail
    assert sum(path == "/emails" for path in resend_api.paths("GET")) == 2  # no cached answer reused


def test_resend_with_provider_reports_a_bounce(
    kratos_api: KratosStandIn, resend_api: ResendStandIn, redis_url: str
) -> None:
    kratos_api.add_identity(EMAIL)
    started = datetime.now(UTC)
    kratos_api.add_message(EMAIL, status="sent", age_s=0)
    resend_api.add_email("em-2", EMAIL, datetime.now(UTC).isoformat(), last_event="bounced")
    assert _resend_observe(kratos_api, [], started, _settings(resend_api), redis_url).outcome == "failed"


def test_abandoned_new_message_fails(kratos_api: KratosStandIn, redis_url: str) -> None:
    kratos_api.add_identity(EMAIL)
    started = datetime.now(UTC)
    kratos_api.add_message(EMAIL, status="queued", age_s=0)
    kratos_api.run_courier("abandoned")
    observation = _resend_observe(kratos_api, [], started, _settings(), redis_url)
    assert observation.outcome == "failed" and "abandoned" in observation.detail


def test_kratos_down_keeps_watching(kratos_api: KratosStandIn, redis_url: str) -> None:
    kratos_api.fail_with = 503
    observation = _resend_observe(kratos_api, [], datetime.now(UTC), _settings(), redis_url)
    assert observation.outcome is None and "could not be asked" in observation.detail


def test_flush_watches_the_messages_queued_before_it(kratos_api: KratosStandIn) -> None:
    since = datetime.now(UTC) - timedelta(days=7)
    kratos_api.add_message(EMAIL, status="queued", age_s=900)
    kratos_api.add_message(EMAIL, status="processing", age_s=600)
    kratos_api.add_message(EMAIL, status="sent", age_s=300)
    watched = _ids(kratos_api, since, pending_only=True)
    assert len(watched) == 2

    def observe() -> Observation:
        async def go() -> Observation:
            async with httpx.AsyncClient(base_url=kratos_api.admin_url, timeout=5) as http:
                return await observe_flush(KratosAdmin(http), EMAIL, watched=watched, since=since)

        return asyncio.run(go())

    assert observe().outcome is None
    kratos_api.run_courier("sent")  # moves the queued one; the processing one is still pending
    assert observe().outcome is None
    processing = next(m for m in kratos_api.messages() if m["status"] == "processing")
    kratos_api.set_message_status(processing["id"], "abandoned", add_dispatch=("failed", "535 auth failed"))
    assert observe().outcome == "failed"
