"""The `provider` check: what the transactional-mail provider saw of mail to the recipient (SPEC §5).

`details` (read by the verdict engine):
  provider      "resend" | "postmark" | "brevo" | "smtp2go"
  lookback_days the window searched
  suppressed    bool: the recipient is on the provider's suppression list
  suppression   {"reason", "since" (RFC 3339 | None), "removable": bool} | None
  messages      newest first: {"id", "sent_at", "events": [{"type", "at", "reply"}], "outcome",
                "reply", "dashboard_url", "courier_message_id"}; never a subject or body
  newest        one of `messages` (the newest, or after `correlate_with_courier` the record of the
                newest sent courier message) | None
  decisive      the newest message's deciding SMTP reply | None
  correlated    bool: `newest` was chosen by matching courier messages
  cached        bool: the answer came from the short-lived cache
  notes         caveats (a scan stopped at its cap, webhooks needed for Resend bounce detail, …)
Event types and outcomes: sent, delivered, deferred, bounced_hard, bounced_soft, complained, suppressed.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import redis.asyncio
from pydantic import SecretStr

from workers.providers import brevo, postmark, resend, smtp2go
from workers.providers import cache as provider_cache
from workers.providers.assessment import assess
from workers.providers.base import ProviderRecord, ProviderSpec, RemovalOutcome, RemovalResult, parse_time
from workers.providers.http import ProviderError, ProviderHttp
from workers.providers.timeline import build_details
from workers.report.model import CheckResult

SPECS: dict[str, ProviderSpec] = {
    spec.name: spec for spec in (resend.SPEC, postmark.SPEC, brevo.SPEC, smtp2go.SPEC)
}

# A provider records a message when the courier hands it over: shortly after the courier message was
# created, or later when dispatches were retried. Clocks differ a little between the two systems.
CORRELATION_WINDOW = timedelta(minutes=15)
CLOCK_SKEW = timedelta(minutes=1)


async def check_provider(
    email: str,
    *,
    provider: str,
    api_key: SecretStr | None,
    api_url: str | None,
    postmark_stream: str,
    lookback_days: int,
    cache: redis.asyncio.Redis | None,
    timeout: float,
    now: datetime | None = None,
    configured: str = "auto",
) -> CheckResult:
    """`provider` is the resolved provider; `configured` is MAIL_PROVIDER as set ("auto" when inferred)."""
    spec = SPECS.get(provider)
    if spec is None:
        return CheckResult.skipped(_no_api_text(provider, configured), provider=provider)
    if api_key is None:
        return CheckResult.skipped(_no_key_text(spec), provider=provider)
    email = email.strip().lower()
    key = provider_cache.cache_key(provider, email)
    cached = await provider_cache.load(cache, key)
    if cached is not None:
        return assess({**cached, "cached": True})
    now = now or datetime.now(UTC)
    since = now - timedelta(days=lookback_days)
    try:
        async with asyncio.timeout(timeout):
            async with ProviderHttp.open(
                spec, api_key=api_key.get_secret_value(), api_url=api_url, timeout=timeout
            ) as http:
                record = await _fetch(http, email, since=since, now=now, stream=postmark_stream, events=cache)
    except ProviderError as exc:
        setting = {"setting": exc.setting} if exc.setting else {}
        return CheckResult.error(str(exc), provider=provider, error=exc.kind, **setting)
    except TimeoutError:
        return CheckResult.error(
            f"{spec.label} API did not answer within {timeout:g} s", provider=provider, error="unavailable"
        )
    details = build_details(provider, record, since=since, lookback_days=lookback_days)
    details["cached"] = False
    await provider_cache.save(cache, key, details)
    return assess(details)


def _no_api_text(provider: str, configured: str) -> str:
    if provider != "smtp":
        return f"mailcheck has no API adapter for the provider {provider!r}, so nothing was asked"
    if configured == "smtp":
        return (
            "MAIL_PROVIDER=smtp: mail goes out through a plain SMTP relay, so there is no provider API to ask"
        )
    return (
        "The SMTP relay is not one of the providers mailcheck knows, so there is no provider API to ask; "
        "set MAIL_PROVIDER if Resend, Postmark, Brevo or SMTP2GO sends the mail"
    )


def _no_key_text(spec: ProviderSpec) -> str:
    text = f"Set MAIL_PROVIDER_API_KEY to read what {spec.label} saw of mail to this address"
    if spec is resend.SPEC:
        text += " (and RESEND_WEBHOOK_SECRET, with a webhook to /webhooks/resend, for bounce details)"
    return text


async def _fetch(
    http: ProviderHttp,
    email: str,
    *,
    since: datetime,
    now: datetime,
    stream: str,
    events: redis.asyncio.Redis | None,
) -> ProviderRecord:
    name = http.spec.name
    if name == "resend":
        return await resend.fetch(http, email, since=since, events=events)
    if name == "postmark":
        return await postmark.fetch(http, email, since=since, stream=stream)
    if name == "brevo":
        return await brevo.fetch(http, email, since=since, now=now)
    return await smtp2go.fetch(http, email, since=since, now=now)


async def remove_suppression(
    email: str,
    *,
    provider: str,
    api_key: SecretStr,
    api_url: str | None,
    postmark_stream: str,
    timeout: float,
    cache: redis.asyncio.Redis | None = None,
) -> RemovalResult:
    """Lift the recipient's suppression (the unsuppress button); never raises."""
    spec = SPECS.get(provider)
    if spec is None:
        return RemovalResult(RemovalOutcome.ERROR, f"no suppression list to edit for provider {provider!r}")
    email = email.strip().lower()
    try:
        async with asyncio.timeout(timeout):
            async with ProviderHttp.open(
                spec, api_key=api_key.get_secret_value(), api_url=api_url, timeout=timeout
            ) as http:
                result = await _remove(http, email, stream=postmark_stream)
    except ProviderError as exc:
        return RemovalResult(RemovalOutcome.ERROR, str(exc))
    except TimeoutError:
        return RemovalResult(RemovalOutcome.ERROR, f"{spec.label} API did not answer within {timeout:g} s")
    if result.ok:
        await provider_cache.forget(cache, provider_cache.cache_key(provider, email))
    return result


async def _remove(http: ProviderHttp, email: str, *, stream: str) -> RemovalResult:
    name = http.spec.name
    if name == "resend":
        return await resend.remove(http, email)
    if name == "postmark":
        return await postmark.remove(http, email, stream=stream)
    if name == "brevo":
        return await brevo.remove(http, email)
    return await smtp2go.remove(http, email)


def correlate_with_courier(result: CheckResult, courier_messages: Sequence[Mapping[str, Any]]) -> CheckResult:
    """Tie provider messages to Kratos courier messages and judge the newest *sent* one.

    Pure: returns a new result. Courier messages are matched newest first, by the courier id when the
    provider's message id contains it, else to the closest provider message recorded at or after the
    courier message's creation (within `CORRELATION_WINDOW`).
    """
    if not result.usable or "messages" not in result.details:
        return result
    couriers = [c for c in (_courier(m) for m in courier_messages) if c is not None]
    couriers.sort(key=lambda c: c[1], reverse=True)
    details = copy.deepcopy(result.details)
    messages: list[dict[str, Any]] = details["messages"]
    for message in messages:
        message["courier_message_id"] = None
    for courier_id, created_at, _status in couriers:
        match = _match(courier_id, created_at, messages)
        if match is not None:
            match["courier_message_id"] = courier_id
    sent = [c for c in couriers if c[2] == "sent"]
    if sent:
        details["newest"] = next((m for m in messages if m["courier_message_id"] == sent[0][0]), None)
        details["decisive"] = details["newest"]["reply"] if details["newest"] else None
        details["correlated"] = True
    return assess(details)


def _courier(message: Mapping[str, Any]) -> tuple[str, datetime, str] | None:
    try:
        created_at = parse_time(message.get("created_at"))
    except (TypeError, ValueError):
        return None
    courier_id = message.get("id")
    if not isinstance(courier_id, str) or not isinstance(created_at, datetime):
        return None
    return courier_id, created_at, str(message.get("status", ""))


def _match(courier_id: str, created_at: datetime, messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    free = [m for m in messages if m["courier_message_id"] is None]
    by_id = next((m for m in free if courier_id.lower() in str(m["id"]).lower()), None)
    if by_id is not None:
        return by_id
    candidates = []
    for message in free:
        delta = parse_time(message["sent_at"]) - created_at
        if -CLOCK_SKEW <= delta <= CORRELATION_WINDOW:
            candidates.append((abs(delta), message))
    return min(candidates, key=lambda pair: pair[0])[1] if candidates else None
