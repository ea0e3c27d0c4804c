"""`POST /webhooks/resend` on the bot's HTTP server: Svix signatures checked, events kept per recipient."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import httpx

from tests.e2e.helpers import unique_email
from tests.processes import RESEND_WEBHOOK_KEY
from tests.standins.redis_server import RedisServer
from workers.providers.resend_webhook import events_key


def _signed(body: bytes, *, stamp: int | None = None, key: bytes = RESEND_WEBHOOK_KEY) -> dict[str, str]:
    stamp = int(time.time()) if stamp is None else stamp
    signature = base64.b64encode(
        hmac.new(key, f"msg_1.{stamp}.".encode() + body, hashlib.sha256).digest()
    ).decode()
    return {
        "svix-id": "msg_1",
        "svix-timestamp": str(stamp),
        "svix-signature": f"v1,{signature}",
        "content-type": "application/json",
    }


def _bounce(email: str) -> bytes:
    return json.dumps(
        {
            "type": "email.bounced",
            "created_at": "2026-11-28T10:00:07.000Z",
            "data": {
                "email_id": "e-77",
                "created_at": "2026-11-28T10:00:00.000Z",
                "to": [email],
                "subject": "Use code 123456 to verify your account",
                "bounce": {"type": "Permanent", "message": "550 5.1.1 user unknown"},
            },
        }
    ).encode()


def test_signed_event_is_stored_for_the_recipient(bot: str, redis_server: RedisServer) -> None:
    email = unique_email("webhook")
    body = _bounce(email)
    response = httpx.post(f"{bot}/webhooks/resend", content=body, headers=_signed(body))
    assert response.status_code == 204
    stored = redis_server.client().lrange(events_key(email), 0, -1)
    assert len(stored) == 1
    assert b"550 5.1.1" in stored[0] and b"123456" not in stored[0]  # never the subject


def test_bad_or_stale_signature_is_401_and_stores_nothing(bot: str, redis_server: RedisServer) -> None:
    email = unique_email("webhook-bad")
    body = _bounce(email)
    forged = httpx.post(f"{bot}/webhooks/resend", content=body, headers=_signed(body, key=b"x" * 32))
    stale = httpx.post(
        f"{bot}/webhooks/resend", content=body, headers=_signed(body, stamp=int(time.time()) - 600)
    )
    assert (forged.status_code, stale.status_code) == (401, 401)
    assert redis_server.client().llen(events_key(email)) == 0


def test_oversized_body_is_refused(bot: str) -> None:
    response = httpx.post(
        f"{bot}/webhooks/resend", content=b"x" * 300_000, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
