"""Resend webhooks: the only place Resend reveals bounce and deferral details.

The bot's HTTP server mounts `handle_resend_webhook` at `POST /webhooks/resend`. Events are verified
(Svix signature), reduced to the few fields the provider check needs (never subject, body or sender),
and kept per recipient in Redis for a little longer than the longest look-back.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from typing import Any

from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import RedisError

from workers.clients.keyspace import RESEND_EVENTS_PREFIX, RESEND_EVENTS_TTL_S
from workers.core.keys import recipient_key

log = logging.getLogger(__name__)

# Svix rejects messages whose timestamp is further than this from now (replay protection).
SIGNATURE_TOLERANCE_S = 5 * 60
# A little over the default LOOKBACK_DAYS (7) so a week-old bounce is still explained.
# A recipient hammered by a loop must not grow an unbounded list.
MAX_EVENTS_PER_RECIPIENT = 200
# The event types the provider timeline can use; the rest (opened, clicked, contact.*) are ignored.
STORED_TYPES = frozenset(
    {
        "email.sent",
        "email.delivered",
        "email.delivery_delayed",
        "email.bounced",
        "email.complained",
        "email.suppressed",
    }
)


class WebhookRejected(Exception):
    """Missing, bad or stale signature."""


class WebhookMalformed(Exception):
    """Signed correctly but not a JSON object."""


def verify_svix_signature(
    body: bytes, headers: Mapping[str, str], secret: str, *, now: float
) -> dict[str, Any]:
    """Check the Svix signature of a webhook delivery and return its JSON payload."""
    msg_id, stamp, signatures = (
        _header(headers, name) for name in ("svix-id", "svix-timestamp", "svix-signature")
    )
    if not (msg_id and stamp and signatures):
        raise WebhookRejected("missing svix headers")
    try:
        sent_at = int(stamp)
    except ValueError:
        raise WebhookRejected("bad svix-timestamp") from None
    if abs(now - sent_at) > SIGNATURE_TOLERANCE_S:
        raise WebhookRejected("stale svix-timestamp")
    signed = f"{msg_id}.{stamp}.".encode() + body
    expected = base64.b64encode(hmac.new(_signing_key(secret), signed, hashlib.sha256).digest()).decode()
    # The header holds space-separated "v1,<sig>" entries (several during secret rotation).
    offered = [entry.split(",", 1)[1] for entry in signatures.split() if entry.startswith("v1,")]
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise WebhookRejected("signature mismatch")
    try:
        payload = json.loads(body)
    except ValueError:
        raise WebhookMalformed("body is not JSON") from None
    if not isinstance(payload, dict):
        raise WebhookMalformed("body is not a JSON object")
    return payload


def _signing_key(secret: str) -> bytes:
    encoded = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookRejected("RESEND_WEBHOOK_SECRET is not a whsec_<base64> secret") from None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def normalize_event(event: Mapping[str, Any]) -> tuple[list[str], dict[str, Any]] | None:
    """(recipients, the stored form) for an event we keep; None for one we ignore."""
    data = event.get("data")
    if event.get("type") not in STORED_TYPES or not isinstance(data, dict):
        return None
    email_id, recipients = data.get("email_id"), data.get("to")
    if not isinstance(email_id, str) or not isinstance(recipients, list):
        return None
    bounce = data.get("bounce")
    if not isinstance(bounce, dict):
        bounce = {}
    diagnostic = bounce.get("diagnosticCode")
    stored = {
        "type": event["type"],
        "created_at": event.get("created_at"),
        "email_id": email_id,
        "sent_at": data.get("created_at"),
        "bounce_type": bounce.get("type"),
        "bounce_message": bounce.get("message"),
        # Resend sends a list of DSN lines; the first is the receiving server's reply.
        "diagnostic": diagnostic[0] if isinstance(diagnostic, list) and diagnostic else diagnostic,
    }
    addresses = [recipient_address(r) for r in recipients if isinstance(r, str)]
    return [a for a in addresses if a], stored


def recipient_address(value: str) -> str:
    """The bare, lower-cased address of "Name <user@example.com>" or "user@example.com"."""
    if "<" in value and value.rstrip().endswith(">"):
        value = value.rsplit("<", 1)[1].rstrip()[:-1]
    return value.strip().lower()


def events_key(email: str) -> str:
    return RESEND_EVENTS_PREFIX + recipient_key(email)


def store_event(redis: Redis, event: Mapping[str, Any], *, ttl: int = RESEND_EVENTS_TTL_S) -> int:
    """Keep the event under each of its recipients; returns how many recipients it was stored for."""
    normalized = normalize_event(event)
    if normalized is None:
        return 0
    recipients, stored = normalized
    encoded = json.dumps(stored)
    pipe = redis.pipeline(transaction=False)
    for address in recipients:
        key = events_key(address)
        pipe.rpush(key, encoded)
        pipe.ltrim(key, -MAX_EVENTS_PER_RECIPIENT, -1)
        pipe.expire(key, ttl)
    pipe.execute()
    return len(recipients)


async def load_events(redis: AsyncRedis, email: str) -> list[dict[str, Any]]:
    """The stored events for a recipient, oldest first; raises RedisError for the caller to judge."""
    return _decoded(await redis.lrange(events_key(email), 0, -1))


async def load_events_of(redis: AsyncRedis, emails: list[str]) -> list[list[dict[str, Any]]]:
    """`load_events` for several recipients in one round trip (a pipeline)."""
    pipe = redis.pipeline(transaction=False)
    for email in emails:
        pipe.lrange(events_key(email), 0, -1)
    return [_decoded(raw) for raw in await pipe.execute()]


def _decoded(raw: list[Any]) -> list[dict[str, Any]]:
    events = []
    for item in raw:
        try:
            value = json.loads(item)
        except ValueError:
            continue
        if isinstance(value, dict):
            events.append(value)
    return events


def handle_resend_webhook(
    body: bytes, headers: Mapping[str, str], *, secret: str | None, redis: Redis, now: float
) -> tuple[int, str]:
    """Verify and store one delivery; (HTTP status, short text) for the bot's HTTP server to send."""
    if not secret:
        return 503, "RESEND_WEBHOOK_SECRET is not set"
    try:
        _signing_key(secret)
    except WebhookRejected as exc:  # our configuration, not the sender's fault: let Svix retry
        return 503, str(exc)
    try:
        event = verify_svix_signature(body, headers, secret, now=now)
    except WebhookRejected as exc:
        return 401, str(exc)
    except WebhookMalformed as exc:
        return 400, str(exc)
    try:
        stored = store_event(redis, event)
    except RedisError as exc:
        # 5xx makes Svix retry later, so no event is lost while Redis is away.
        log.warning("resend webhook not stored: %s", type(exc).__name__)
        return 503, "event store unavailable"
    return (204, "") if stored else (200, "ignored")
