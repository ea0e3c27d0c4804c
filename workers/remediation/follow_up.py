"""After a code send (the "Resend verification" and "Send recovery" buttons) or a flush: what became of the mail it set in motion (SPEC §7 outcomes).

Each observation is one short look at the courier (and, for a code send with a provider configured, at
the provider); `workers.jobs.report_buttons` runs one per short RQ job and re-schedules the next with
`enqueue_in` until an observation decides or FOLLOW_UP_SECONDS pass. The judging is pure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis.asyncio

from workers.clients.kratos import KratosAdmin, KratosError, kratos_admin
from workers.clients.redis_client import async_redis_client
from workers.core.settings import KratosInstance, Settings
from workers.core.timeouts import KRATOS_ACTION_TIMEOUT_S, PROVIDER_FOLLOW_UP_TIMEOUT_S
from workers.core.times import CLOCK_SKEW
from workers.providers import cache as provider_cache
from workers.providers.adapter import ProviderAdapter
from workers.providers.correlation import correlate_with_courier
from workers.providers.lookup import look_up
from workers.providers.registry import adapter_for, has_api
from workers.providers.selection import resolve_provider
from workers.report.details import BOUNCED_OUTCOMES, PENDING_STATUSES
from workers.report.model import CheckResult

DELIVERED_OUTCOMES = ("delivered", "complained")  # a complaint comes from a mailbox: it was delivered


@dataclass(frozen=True)
class Observation:
    outcome: str | None  # "ok" | "failed"; None while nothing is decided
    detail: str


def new_message(messages: Sequence[dict[str, Any]], known: Sequence[str], kind: str) -> dict[str, Any] | None:
    """The newest `kind` code message that was not there before the flow was started."""
    template = f"{kind}_code_valid"
    fresh = [m for m in messages if m["id"] not in known and m.get("template_type") == template]
    return fresh[0] if fresh else None  # Kratos lists newest first


def judge_code_send(
    message: dict[str, Any] | None, provider: CheckResult | None, *, provider_configured: bool
) -> Observation:
    if message is None:
        return Observation(None, "Kratos has not queued a new message for the address")
    status = message["status"]
    if status == "abandoned":
        return Observation(
            "failed", f"the courier abandoned the new message after {message.get('send_count')} attempt(s)"
        )
    if status != "sent":
        return Observation(None, f"the new message is still `{status}` in the courier")
    if not provider_configured:
        return Observation("ok", "the courier sent the new message")
    if provider is None or not provider.usable:
        reason = f" ({provider.summary})" if provider is not None else ""
        return Observation(None, f"the courier sent the new message; the provider could not be asked{reason}")
    return _judge_provider(provider.details)


def _judge_provider(details: dict[str, Any]) -> Observation:
    newest = details.get("newest") if isinstance(details.get("newest"), dict) else None
    outcome = newest.get("outcome") if newest else None
    reply = f": {newest['reply']}" if newest and newest.get("reply") else ""
    if outcome in BOUNCED_OUTCOMES:
        return Observation(
            "failed", f"the courier sent the new message and the provider reports it bounced{reply}"
        )
    if outcome == "suppressed" or details.get("suppressed"):
        return Observation(
            "failed", "the courier sent the new message but the provider suppresses the recipient"
        )
    if outcome in DELIVERED_OUTCOMES:
        return Observation("ok", "the courier sent the new message and the provider reports it delivered")
    if outcome == "deferred":
        return Observation(None, f"the provider is deferring the new message{reply}")
    return Observation(None, "the courier sent the new message; the provider has not reported delivery yet")


def judge_flush(watched: Sequence[str], messages: Sequence[dict[str, Any]]) -> Observation:
    if not watched:
        return Observation("ok", "no queued message was waiting")
    status = {m["id"]: m["status"] for m in messages if m["id"] in watched}
    abandoned = [i for i in watched if status.get(i) == "abandoned"]
    sent = [i for i in watched if status.get(i) == "sent"]
    if abandoned:
        return Observation(
            "failed", f"the courier abandoned {len(abandoned)} of {len(watched)} watched message(s)"
        )
    if len(sent) == len(watched):
        return Observation("ok", f"the courier sent all {len(watched)} watched message(s)")
    return Observation(None, f"{len(sent)} of {len(watched)} watched message(s) sent so far")


class ProviderProbe:
    """Fresh provider answers for one recipient (the short-lived check cache is bypassed)."""

    def __init__(
        self, settings: Settings, adapter: ProviderAdapter, api_key: str, cache: redis.asyncio.Redis | None
    ) -> None:
        self._settings, self._adapter, self._api_key, self._cache = settings, adapter, api_key, cache

    @classmethod
    def configured(cls, settings: Settings, cache: redis.asyncio.Redis | None) -> ProviderProbe | None:
        """SPEC §7: a provider counts when it is known and its API key is set."""
        provider = resolve_provider(settings)
        if not has_api(provider) or settings.mail_provider_api_key is None:
            return None
        return cls(settings, adapter_for(provider), settings.mail_provider_api_key.get_secret_value(), cache)

    async def look(self, email: str, message: dict[str, Any]) -> CheckResult:
        settings = self._settings
        await provider_cache.forget(self._cache, provider_cache.cache_key(self._adapter.name, email))
        result = await look_up(
            self._adapter,
            email,
            api_key=self._api_key,
            api_url=str(settings.mail_provider_api_url) if settings.mail_provider_api_url else None,
            postmark_stream=settings.postmark_message_stream,
            lookback_days=1,
            cache=self._cache,  # also where Resend webhook events are kept
            timeout=PROVIDER_FOLLOW_UP_TIMEOUT_S,
        )
        return correlate_with_courier(result, [message])


async def snapshot(
    settings: Settings,
    email: str,
    *,
    since: datetime,
    pending_only: bool = False,
    instance: KratosInstance | None = None,
) -> list[str]:
    """What is there before an action, to tell what it changed (raises KratosError)."""
    async with kratos_admin(settings, timeout=KRATOS_ACTION_TIMEOUT_S, instance=instance) as kratos:
        return await message_ids(kratos, email, since=since, pending_only=pending_only)


async def observe(
    settings: Settings,
    email: str,
    *,
    kind: str | None,
    since: datetime,
    known: Sequence[str],
    watched: Sequence[str],
    instance: KratosInstance | None = None,
) -> Observation:
    """One look after a code send (`kind` = its flow) or a flush (`kind` None) on the instance the report
    was decided on; never raises."""
    async with kratos_admin(settings, timeout=KRATOS_ACTION_TIMEOUT_S, instance=instance) as kratos:
        if kind is None:
            return await observe_flush(kratos, email, watched=watched, since=since)
        cache = async_redis_client(settings.redis_url)
        try:
            probe = ProviderProbe.configured(settings, cache)
            return await observe_code_send(kratos, email, kind=kind, known=known, since=since, provider=probe)
        finally:
            await cache.aclose()


async def message_ids(
    kratos: KratosAdmin, email: str | None, *, since: datetime, pending_only: bool = False
) -> list[str]:
    """Ids of the recipient's (or with None, every recipient's) messages since `since` (raises KratosError)."""
    return [
        m["id"]
        async for m in kratos.courier_messages(email, since=since)
        if not pending_only or m["status"] in PENDING_STATUSES
    ]


QUEUE_WATCHED = 200  # a whole-queue flush watches the oldest waiting messages, at most this many


async def queue_pending_ids(kratos: KratosAdmin) -> list[str]:
    """Every recipient's waiting (queued or processing) messages, however old, oldest first, at most
    QUEUE_WATCHED: what a flush of the whole courier should move (raises KratosError)."""
    queued, processing = await asyncio.gather(kratos.queue("queued"), kratos.queue("processing"))
    waiting = sorted([*queued.messages, *processing.messages], key=lambda m: str(m["created_at"]))
    return [m["id"] for m in waiting[:QUEUE_WATCHED]]


async def observe_queue_flush(kratos: KratosAdmin, *, watched: Sequence[str]) -> Observation:
    """The watched messages of a whole-queue flush: still waiting, abandoned, or gone from both (sent)."""
    if not watched:
        return judge_flush(watched, [])
    try:
        queued, processing, abandoned = await asyncio.gather(
            kratos.queue("queued"), kratos.queue("processing"), kratos.queue("abandoned")
        )
    except KratosError as exc:
        return Observation(None, f"Kratos could not be asked ({exc})")
    status = {m["id"]: m["status"] for m in [*abandoned.messages, *queued.messages, *processing.messages]}
    complete = queued.complete and processing.complete and abandoned.complete
    # A message in no listing has left the queue: sent (unless a capped listing hid it).
    seen = [{"id": i, "status": status.get(i, "sent" if complete else "queued")} for i in watched]
    return judge_flush(watched, seen)


async def observe_code_send(
    kratos: KratosAdmin,
    email: str,
    *,
    kind: str,
    known: Sequence[str],
    since: datetime,
    provider: ProviderProbe | None,
) -> Observation:
    try:
        messages = [m async for m in kratos.courier_messages(email, since=since - CLOCK_SKEW)]
    except KratosError as exc:
        return Observation(None, f"Kratos could not be asked ({exc})")
    message = new_message(messages, known, kind)
    looked = None
    if message is not None and message["status"] == "sent" and provider is not None:
        looked = await provider.look(email, message)
    return judge_code_send(message, looked, provider_configured=provider is not None)


async def observe_flush(
    kratos: KratosAdmin, email: str | None, *, watched: Sequence[str], since: datetime
) -> Observation:
    if not watched:
        return judge_flush(watched, [])
    try:
        messages = [m async for m in kratos.courier_messages(email, since=since)]
    except KratosError as exc:
        return Observation(None, f"Kratos could not be asked ({exc})")
    return judge_flush(watched, messages)
