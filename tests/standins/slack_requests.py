"""Slack's inbound requests, signed with the real algorithm (v0 HMAC-SHA256 of `v0:ts:body`).

Interactions (slash commands aside) come as a form with one field, `payload`, holding JSON; Events API
deliveries as a JSON body (an `event_callback` envelope). The payload builders follow Slack's reference
pages for each type (shortcuts, view_submission, block_actions, app_home_opened); a `trigger_id` given to
them should come from SlackStandIn.issue_trigger() when the app will exchange it for a view.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "test-signing-secret-8f2a"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
TEAM_ID = "T0TEST"
APP_ID = "A0MAILCHECK"
BOT_USER_ID = "U0BOT"
TEAM = {"id": TEAM_ID, "domain": "example"}
NO_RESPONSE_URL = "http://127.0.0.1:9/hooks/none"

_sequence = itertools.count(1)


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None, content_type: str = FORM
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": content_type,
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


def interaction_body(payload: dict[str, Any]) -> str:
    """Any interaction payload as Slack posts it: form-encoded `payload=<JSON>`."""
    return block_actions_body(payload)


def event_body(envelope: dict[str, Any]) -> str:
    """An Events API delivery as Slack posts it: the envelope as a JSON body."""
    return json.dumps(envelope)


def post_signed(base_url: str, body: str, **header_options: Any) -> httpx.Response:
    return httpx.post(
        f"{base_url}/slack/events", content=body, headers=signed_headers(body, **header_options), timeout=10
    )


def post_interaction(base_url: str, payload: dict[str, Any], **header_options: Any) -> httpx.Response:
    """POST an interaction payload (shortcut, view_submission, block_actions) to `{base_url}/slack/events`."""
    return post_signed(base_url, interaction_body(payload), **header_options)


def post_event(base_url: str, envelope: dict[str, Any], **header_options: Any) -> httpx.Response:
    """POST an Events API envelope (see event_callback) to `{base_url}/slack/events`, as JSON."""
    return post_signed(base_url, event_body(envelope), content_type=JSON, **header_options)


# -- the parts every payload shares ----------------------------------------------------------------
def user_object(user: str) -> dict[str, Any]:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID}


def unissued_trigger_id() -> str:
    """A trigger_id of Slack's format that no stand-in issued (views.open answers invalid_trigger_id)."""
    return f"{int(time.time())}{next(_sequence)}.7081234.{secrets.token_hex(16)}"


def _action_ts() -> str:
    return f"{time.time():.6f}"


def _common(user: str, trigger_id: str | None) -> dict[str, Any]:
    return {
        "team": dict(TEAM),
        "user": user_object(user),
        "api_app_id": APP_ID,
        "token": "deprecated-verification-token",
        "trigger_id": trigger_id or unissued_trigger_id(),
        "is_enterprise_install": False,
        "enterprise": None,
    }


# -- shortcuts ---------------------------------------------------------------------------------------
def shortcut_message(message: dict[str, Any]) -> dict[str, Any]:
    """The `message` of a message shortcut: the full message, from a stand-in message or a minimal dict."""
    shown: dict[str, Any] = {"type": "message", "ts": message["ts"], "text": message.get("text") or ""}
    for key in ("user", "bot_id", "app_id", "team", "blocks", "thread_ts", "subtype"):
        if message.get(key):
            shown[key] = message[key]
    return shown


def message_action_payload(
    message: dict[str, Any] | None = None,
    *,
    text: str = "",
    ts: str | None = None,
    author: str = "U0CUSTOMER",
    channel: str = "C0SUPPORT",
    channel_name: str = "support",
    user: str = "U0AGENT",
    callback_id: str = "mailcheck.check_message",
    trigger_id: str | None = None,
    response_url: str = NO_RESPONSE_URL,
) -> dict[str, Any]:
    """A message shortcut (`type: message_action`) used on `message` (e.g. SlackStandIn.message_at(…))
    or, without one, on a message by `author` saying `text`."""
    if message is None:
        message = {"type": "message", "user": author, "ts": ts or _action_ts(), "text": text}
    shown = shortcut_message(message)
    return {
        "type": "message_action",
        "callback_id": callback_id,
        "action_ts": _action_ts(),
        **_common(user, trigger_id),
        "channel": {"id": message.get("channel") or channel, "name": channel_name},
        "message_ts": shown["ts"],
        "message": shown,
        "response_url": response_url,
    }


def shortcut_payload(
    *, callback_id: str = "mailcheck.check_modal", user: str = "U0AGENT", trigger_id: str | None = None
) -> dict[str, Any]:
    """A global shortcut (`type: shortcut`): no channel, no message, no response_url."""
    return {
        "type": "shortcut",
        "callback_id": callback_id,
        "action_ts": _action_ts(),
        **_common(user, trigger_id),
    }


# -- views ---------------------------------------------------------------------------------------------
def plain_text_value(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def conversation_value(channel: str | None) -> dict[str, Any]:
    return {"type": "conversations_select", "selected_conversation": channel}


def channel_value(channel: str | None) -> dict[str, Any]:
    return {"type": "channels_select", "selected_channel": channel}


def static_select_value(value: str | None, text: str | None = None) -> dict[str, Any]:
    option = (
        None if value is None else {"text": {"type": "plain_text", "text": text or value}, "value": value}
    )
    return {"type": "static_select", "selected_option": option}


def submitted_view(
    view: dict[str, Any] | None = None,
    *,
    values: dict[str, dict[str, dict[str, Any]]] | None = None,
    callback_id: str | None = None,
    private_metadata: str | None = None,
    view_id: str | None = None,
    view_type: str = "modal",
) -> dict[str, Any]:
    """A view as Slack sends it back in an interaction: `view` (e.g. SlackStandIn.view(id), or the view
    object the app opened) with its `state.values`; the rest filled as Slack fills it."""
    view = dict(view or {})
    view_id = view_id or view.get("id") or f"V0{next(_sequence):08d}"
    shown: dict[str, Any] = {
        "id": view_id,
        "team_id": TEAM_ID,
        "type": view.get("type") or view_type,
        "blocks": view.get("blocks") or [],
        "private_metadata": view.get("private_metadata") or "",
        "callback_id": view.get("callback_id") or "",
        "state": {"values": values or {}},
        "hash": view.get("hash") or f"{int(time.time())}.{secrets.token_hex(4)}",
        "title": view.get("title") or {"type": "plain_text", "text": "mailcheck"},
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
        "close": view.get("close"),
        "submit": view.get("submit"),
        "previous_view_id": view.get("previous_view_id"),
        "root_view_id": view.get("root_view_id") or view_id,
        "app_id": APP_ID,
        "external_id": view.get("external_id") or "",
        "app_installed_team_id": TEAM_ID,
        "bot_id": "B0BOT",
    }
    if callback_id is not None:
        shown["callback_id"] = callback_id
    if private_metadata is not None:
        shown["private_metadata"] = private_metadata
    if shown["type"] == "home":
        for key in ("title", "close", "submit"):
            shown.pop(key)
    return shown


def view_submission_payload(
    view: dict[str, Any] | None = None,
    *,
    values: dict[str, dict[str, dict[str, Any]]] | None = None,
    callback_id: str | None = None,
    private_metadata: str | None = None,
    user: str = "U0AGENT",
    trigger_id: str | None = None,
    response_urls: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A modal's submission (`type: view_submission`); `values` as in `view.state.values`:
    {block_id: {action_id: plain_text_value(…) | conversation_value(…) | …}}."""
    return {
        "type": "view_submission",
        **_common(user, trigger_id),
        "view": submitted_view(
            view, values=values, callback_id=callback_id, private_metadata=private_metadata
        ),
        "response_urls": list(response_urls or []),
    }


def block_actions_in_view_payload(
    action_id: str,
    *,
    view: dict[str, Any] | None = None,
    value: str = "",
    block_id: str = "mailcheck_home",
    user: str = "U0AGENT",
    trigger_id: str | None = None,
    values: dict[str, dict[str, dict[str, Any]]] | None = None,
    view_type: str = "home",
) -> dict[str, Any]:
    """A button pressed in a Home tab or a modal (`container.type: view`): no channel, message or
    response_url, the view instead. `view` e.g. SlackStandIn.home_view(user) or .view(id)."""
    shown = submitted_view(view, values=values, view_type=view_type)
    return {
        "type": "block_actions",
        **_common(user, trigger_id),
        "container": {"type": "view", "view_id": shown["id"]},
        "view": shown,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": action_id},
                "value": value,
                "action_ts": _action_ts(),
            }
        ],
    }


# -- Events API ----------------------------------------------------------------------------------------
def event_callback(
    event: dict[str, Any], *, event_id: str | None = None, event_time: int | None = None
) -> dict[str, Any]:
    """The Events API envelope (`type: event_callback`) around `event`."""
    now = int(time.time()) if event_time is None else event_time
    return {
        "token": "deprecated-verification-token",
        "team_id": TEAM_ID,
        "context_team_id": TEAM_ID,
        "context_enterprise_id": None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev0{next(_sequence):08d}",
        "event_time": now,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{secrets.token_hex(12)}",
    }


def app_home_opened_event(
    user: str, *, channel: str = "D0HOME", tab: str = "home", view: dict[str, Any] | None = None
) -> dict[str, Any]:
    """`app_home_opened`: `view` (the tab's current state) only when a Home view was published before."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": channel,
        "tab": tab,
        "event_ts": _action_ts(),
    }
    if view is not None:
        event["view"] = submitted_view(view, view_type="home")
    return event


def app_home_opened(
    user: str, *, channel: str = "D0HOME", tab: str = "home", view: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The whole delivery: event_callback(app_home_opened_event(…))."""
    return event_callback(app_home_opened_event(user, channel=channel, tab=tab, view=view))
