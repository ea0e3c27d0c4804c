"""The one module that calls the Slack Web API.

Every call sets the `text` fallback and is retried after `Retry-After` on HTTP 429 (a 429 means Slack
did not take the message, so a retry cannot post it twice). Connection errors are not retried for the
same reason in reverse: Slack may have taken the message.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.web import WebClient
from slack_sdk.webhook import WebhookClient

from workers.clients.tls import client_tls_context
from workers.core.settings import Settings
from workers.core.timeouts import SLACK_HTTP_TIMEOUT_S

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 8

# Every Web API method the app calls, with the bot scope it needs (manifest.yml is tested against this).
METHOD_SCOPES = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "usergroups.users.list": "usergroups:read",
    # chat.getPermalink needs no scope of its own; it links to the messages chat:write posted.
    "chat.getPermalink": "chat:write",
}
GONE_ERRORS = ("message_not_found", "channel_not_found", "thread_not_found")
# Scopes the manifest grants beyond those of the methods: slash commands, posting in channels the bot
# was not invited to, and `users:read`, which SPEC §4 lists although no method here needs it yet.
EXTRA_SCOPES = ("commands", "chat:write.public", "users:read")


class SlackError(Exception):
    """A Slack Web API call failed; carries only Slack's error code (picklable, no token)."""

    def __init__(self, method: str, error: str) -> None:
        super().__init__(f"{method} failed: {error}")
        self.error = error


def web_client(settings: Settings) -> WebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    # One TLS context per process: without it, urllib loads the CA store again for every call.
    client = WebClient(
        token=token, base_url=settings.slack_api_base, timeout=SLACK_HTTP_TIMEOUT_S, ssl=client_tls_context()
    )
    client.retry_handlers = [RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)]
    return client


class SlackPoster:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def _call(self, method: str, *, form: bool = False, **kwargs: Any) -> dict[str, Any]:
        if method not in METHOD_SCOPES:
            raise ValueError(f"{method} is not declared in METHOD_SCOPES (and so not in manifest.yml)")
        try:
            # Slack takes JSON bodies only for write methods; read methods get a form body.
            response = (
                self.client.api_call(method, data=kwargs)
                if form
                else self.client.api_call(method, json=kwargs)
            )
        except SlackApiError as exc:
            raise SlackError(method, str(exc.response.get("error", "unknown_error"))) from None
        return dict(response.data) if isinstance(response.data, dict) else {}

    def post(
        self,
        channel: str,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
        thread_ts: str | None = None,
    ) -> str:
        """Post a message (a thread reply when thread_ts is given); return its ts."""
        kwargs: dict[str, Any] = {"channel": channel, "text": text}
        if blocks is not None:
            kwargs["blocks"] = blocks
        if metadata is not None:
            kwargs["metadata"] = metadata
        if thread_ts is not None:
            kwargs["thread_ts"] = thread_ts
        return str(self._call("chat.postMessage", **kwargs)["ts"])

    def update(
        self,
        channel: str,
        ts: str,
        *,
        text: str,
        blocks: list[dict[str, Any]],
        metadata: dict[str, Any] | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {"channel": channel, "ts": ts, "text": text, "blocks": blocks}
        if metadata is not None:
            kwargs["metadata"] = metadata
        self._call("chat.update", **kwargs)

    def permalink(self, channel: str, ts: str) -> str | None:
        """A link to a message; None when the message (or its channel) is gone. Raises SlackError."""
        try:
            found = self._call("chat.getPermalink", form=True, channel=channel, message_ts=ts)
        except SlackError as exc:
            if exc.error in GONE_ERRORS:
                return None
            raise
        link = found.get("permalink")
        return link if isinstance(link, str) else None

    def usergroup_members(self, usergroup: str) -> list[str]:
        """The user IDs in a user group (`S…`); raises SlackError (e.g. no_such_subteam)."""
        users = self._call("usergroups.users.list", form=True, usergroup=usergroup).get("users")
        return [str(user) for user in users] if isinstance(users, list) else []


def respond_ephemeral(response_url: str, text: str) -> None:
    """Answer the person who typed a command, through the response_url Slack gave us."""
    response = WebhookClient(response_url, timeout=SLACK_HTTP_TIMEOUT_S, ssl=client_tls_context()).send(
        text=text, response_type="ephemeral", replace_original=False
    )
    if response.status_code != 200:
        log.warning("response_url answered HTTP %s", response.status_code)
