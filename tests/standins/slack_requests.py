"""Slack's inbound requests, signed with the real algorithm (v0 HMAC-SHA256 of `v0:ts:body`)."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "test-signing-secret-8f2a"


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body),
    }


def slash_command_body(
    text: str,
    *,
    user: str = "U0AGENT",
    channel: str = "C0SUPPORT",
    response_url: str = "http://127.0.0.1:9/hooks/none",
) -> str:
    return urlencode(
        {
            "token": "deprecated-verification-token",
            "team_id": "T0TEST",
            "team_domain": "example",
            "channel_id": channel,
            "channel_name": "support",
            "user_id": user,
            "user_name": "agent",
            "command": "/mailcheck",
            "text": text,
            "api_app_id": "A0MAILCHECK",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": "1.2.abc",
        }
    )


def block_actions_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def post_signed(base_url: str, body: str, **header_options: Any) -> httpx.Response:
    return httpx.post(
        f"{base_url}/slack/events", content=body, headers=signed_headers(body, **header_options), timeout=10
    )
