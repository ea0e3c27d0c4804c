"""Resend webhooks: Svix signatures, the stored form, and the HTTP answer for each case."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.standins.providers import SUBJECT, ResendStandIn
from tests.standins.redis_server import free_port
from tests.workers.providers.support import EMAIL, KEYS, run_check
from workers.clients.keyspace import RESEND_EVENTS_TTL_S
from workers.providers.resend_webhook import (
    MAX_EVENTS_PER_RECIPIENT,
    WebhookRejected,
    events_key,
    handle_resend_webhook,
    store_event,
    verify_svix_signature,
)
from workers.report.model import Status

KEY_BYTES = b"0123456789abcdef0123456789abcdef"
SECRET = "whsec_" + base64.b64encode(KEY_BYTES).decode()
NOW = 1_763_640_000.0


def sign(
    body: bytes, *, msg_id: str = "msg_2Lh9", stamp: float = NOW, key: bytes = KEY_BYTES
) -> dict[str, str]:
    signed = f"{msg_id}.{int(stamp)}.".encode() + body
    signature = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return {"svix-id": msg_id, "svix-timestamp": str(int(stamp)), "svix-signature": f"v1,{signature}"}


def event(kind: str = "email.bounced", to: str = "User <User@Example.com>") -> dict[str, object]:
    return {
        "type": kind,
        "created_at": "2026-11-20T10:00:07.000Z",
        "data": {
            "email_id": "e-1",
            "created_at": "2026-11-20T10:00:00.000Z",
            "from": "Acme <no-reply@acme.test>",
            "to": [to],
            "subject": SUBJECT,
            "bounce": {
                "type": "Permanent",
                "subType": "General",
                "message": "hard bounce",
                "diagnosticCode": ["smtp; 550 5.1.1 user unknown"],
            },
        },
    }


def body_of(payload: object) -> bytes:
    return json.dumps(payload).encode()


def test_good_signature_returns_the_payload() -> None:
    body = body_of(event())
    headers = {k.title(): v for k, v in sign(body).items()}  # header names are case-insensitive
    assert verify_svix_signature(body, headers, SECRET, now=NOW) == event()


def test_one_good_signature_among_several_is_enough() -> None:
    body = body_of(event())
    headers = sign(body)
    headers["svix-signature"] = "v1,AAAA " + headers["svix-signature"] + " v2,ignored"
    assert verify_svix_signature(body, headers, SECRET, now=NOW)["type"] == "email.bounced"


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda b, h: (b + b" ", h), "signature mismatch"),
        (lambda b, h: (b, {**h, "svix-id": "msg_other"}), "signature mismatch"),
        (lambda b, h: (b, sign(b, key=b"another key")), "signature mismatch"),
        (lambda b, h: (b, {k: v for k, v in h.items() if k != "svix-signature"}), "missing svix headers"),
        (lambda b, h: (b, sign(b, stamp=NOW - 301)), "stale svix-timestamp"),
        (lambda b, h: (b, sign(b, stamp=NOW + 301)), "stale svix-timestamp"),
        (lambda b, h: (b, {**h, "svix-timestamp": "soon"}), "bad svix-timestamp"),
    ],
)
def test_bad_or_stale_signatures_are_rejected(tamper, reason) -> None:  # type: ignore[no-untyped-def]
    body = body_of(event())
    body, headers = tamper(body, sign(body))
    with pytest.raises(WebhookRejected, match=reason):
        verify_svix_signature(body, headers, SECRET, now=NOW)


def test_stored_event_keeps_only_what_the_check_needs(sync_redis: redis.Redis) -> None:
    assert store_event(sync_redis, event(), ttl=RESEND_EVENTS_TTL_S) == 1
    key = events_key(EMAIL)
    [stored] = [json.loads(item) for item in sync_redis.lrange(key, 0, -1)]
    assert stored == {
        "type": "email.bounced",
        "created_at": "2026-11-20T10:00:07.000Z",
        "email_id": "e-1",
        "sent_at": "2026-11-20T10:00:00.000Z",
        "bounce_type": "Permanent",
        "bounce_message": "hard bounce",
        "diagnostic": "smtp; 550 5.1.1 user unknown",
    }
    assert 0 < sync_redis.ttl(key) <= RESEND_EVENTS_TTL_S
    assert EMAIL not in key


def test_a_recipient_list_is_capped(sync_redis: redis.Redis) -> None:
    for _ in range(MAX_EVENTS_PER_RECIPIENT + 5):
        store_event(sync_redis, event("email.delivered"), ttl=60)
    assert sync_redis.llen(events_key(EMAIL)) == MAX_EVENTS_PER_RECIPIENT


def test_handler_answers(sync_redis: redis.Redis) -> None:
    good = body_of(event())
    ignored = body_of(event("email.opened"))
    not_json = b"{not json"
    assert handle_resend_webhook(good, sign(good), secret=None, redis=sync_redis, now=NOW)[0] == 503
    assert handle_resend_webhook(good, sign(good), secret="whsec_!!", redis=sync_redis, now=NOW)[0] == 503
    assert handle_resend_webhook(good + b" ", sign(good), secret=SECRET, redis=sync_redis, now=NOW)[0] == 401
    stale = sign(good, stamp=NOW - 3600)
    assert handle_resend_webhook(good, stale, secret=SECRET, redis=sync_redis, now=NOW)[0] == 401
    assert handle_resend_webhook(not_json, sign(not_json), secret=SECRET, redis=sync_redis, now=NOW)[0] == 400
    assert handle_resend_webhook(ignored, sign(ignored), secret=SECRET, redis=sync_redis, now=NOW) == (
        200,
        "ignored",
    )
    assert handle_resend_webhook(good, sign(good), secret=SECRET, redis=sync_redis, now=NOW) == (204, "")
    assert sync_redis.llen(events_key(EMAIL)) == 1


def test_handler_asks_for_a_retry_when_redis_is_down() -> None:
    body = body_of(event())
    down = redis.Redis(port=free_port(), socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    assert handle_resend_webhook(body, sign(body), secret=SECRET, redis=down, now=NOW) == (
        503,
        "event store unavailable",
    )
    down.close()


def test_webhook_through_the_handler_reaches_the_check(redis_url: str, sync_redis: redis.Redis) -> None:
    body = body_of(event())
    assert handle_resend_webhook(body, sign(body), secret=SECRET, redis=sync_redis, now=NOW)[0] == 204
    with ResendStandIn(KEYS["resend"]) as api:  # beyond the scanned list: the webhook alone tells
        result = run_check("resend", api.url, cache_url=redis_url)
    assert result.status is Status.FAIL
    newest = result.details["newest"]
    assert newest["id"] == "e-1" and newest["sent_at"] == "2026-11-20T10:00:00Z"
    assert newest["dashboard_url"] == "https://resend.com/emails/e-1"
    assert result.details["decisive"] == "550 5.1.1 user unknown"
