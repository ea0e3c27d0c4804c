"""The one module that calls the Slack Web API.

Every call sets the `text` fallback and is retried after `Retry-After` on HTTP 429 (a 429 means Slack
did not take the message, so a retry cannot post it twice). Every failure, Slack's own errors and the
transport's alike (timeout, connection reset, DNS failure, HTTP 5xx), leaves as one `SlackError`, so
callers handle one family (SPEC §16). A failure after which Slack may have applied the call is
`unanswered`: a post whose answer was lost is reconciled with the channel's history (the message is
found by its metadata and adopted), and posted again only when it is not there.
"""

from __future__ import annotations

import http.client
import logging
import time
from collections.abc import Iterator
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.web import WebClient
from slack_sdk.webhook import WebhookClient

from workers.clients.tls import client_tls_context
from workers.core.settings import Settings
from workers.core.timeouts import SLACK_HTTP_TIMEOUT_S
from workers.slack.errors import GONE_ERRORS, SlackError, transport_error

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 8

# Every Web API method the app calls, with the bot scope it needs (manifest.yml is tested against this).
METHOD_SCOPES = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "usergroups.users.list": "usergroups:read",
    # chat.getPermalink needs no scope of its own; it links to the messages chat:write posted.
    "chat.getPermalink": "chat:write",
    # Only to reconcile a post whose answer was lost (SPEC §16); private channels need groups:history.
    "conversations.history": "channels:history",
    "conversations.replies": "channels:history",
    # views.open and views.publish need no scope of their own: a modal opens with the trigger_id of a
    # shortcut or button (which the `commands` scope brings), the Home tab with the manifest's
    # `home_tab_enabled`; listed under `commands` so that every method here names a declared scope.
    "views.open": "commands",
    "views.publish": "commands",
    # What kind of conversation a modal's picker chose (SPEC §16); private channels need groups:read.
    "conversations.info": "channels:read",
}
# Scopes the manifest grants beyond those of the methods: slash commands, posting in channels the bot
# was not invited to, `users:read`, which SPEC §4 lists although no method here needs it yet, and the
# history of private channels for reconciling there, and conversations.info on private channels.
EXTRA_SCOPES = ("commands", "chat:write.public", "users:read", "groups:history", "groups:read")
POST_ATTEMPTS = 3  # a post whose answer is lost: looked for, then posted again, at most this often
HISTORY_MARGIN_S = 120.0  # Slack's clock and ours differ; the metadata match does the rest
HISTORY_PAGE, HISTORY_PAGES = 200, 5
HISTORY_ATTEMPTS, HISTORY_RETRY_S = 3, 0.5  # reading the history is safe to repeat


def web_client(settings: Settings) -> WebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    # One TLS context per process: without it, urllib loads the CA store again for every call.
    client = WebClient(
        token=token, base_url=settings.slack_api_base, timeout=SLACK_HTTP_TIMEOUT_S, ssl=client_tls_context()
    )
    client.retry_handlers = [RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)]
    return client


# Calls inside an interaction's 3 seconds (views.open with its trigger_id, a look-up before a modal's
# answer): past that window nothing they do counts, so they never wait on Retry-After and time out early.
INTERACTIVE_TIMEOUT_S = 2  # slack_sdk takes whole seconds


def interactive_client(settings: Settings) -> WebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = WebClient(
        token=token, base_url=settings.slack_api_base, timeout=INTERACTIVE_TIMEOUT_S, ssl=client_tls_context()
    )
    client.retry_handlers = []
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
            if exc.response.status_code >= 500:  # Slack's own outage page: it may have applied the call
                raise SlackError(method, "http_5xx", unanswered=True) from None
            raise SlackError(method, str(exc.response.get("error", "unknown_error"))) from None
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts and resets are OSErrors
            raise transport_error(method, exc) from None
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
        """Post a message (a thread reply when thread_ts is given); return its ts. A post with metadata
        whose answer was lost is looked for in the channel (or thread) and adopted when Slack has it,
        else posted again: it appears once. Raises SlackError."""
        kwargs: dict[str, Any] = {"channel": channel, "text": text}
        if blocks is not None:
            kwargs["blocks"] = blocks
        if metadata is not None:
            kwargs["metadata"] = metadata
        if thread_ts is not None:
            kwargs["thread_ts"] = thread_ts
        for attempt in range(1, POST_ATTEMPTS + 1):
            sent = time.time()
            try:
                return str(self._call("chat.postMessage", **kwargs)["ts"])
            except SlackError as exc:
                if metadata is None or not exc.unanswered or attempt == POST_ATTEMPTS:
                    raise
                found = self.reconcile(channel, metadata, since=sent, thread_ts=thread_ts)
                if found:
                    log.info("a post whose answer was lost (%s) is in Slack: adopted", exc.error)
                    return found
                log.warning("a post whose answer was lost (%s) is not in Slack: posting again", exc.error)
        raise AssertionError("unreachable")  # the loop returns or raises

    def reconcile(
        self,
        channel: str,
        metadata: dict[str, Any],
        *,
        since: float,
        thread_ts: str | None = None,
        keys: tuple[str, ...] = (),
    ) -> str:
        """The ts of the message carrying `metadata` posted since `since` (see `find_posted`); "" when
        Slack has none, or when its history cannot be read for good (no scope in a DM): then posting
        again is the one way the message can still appear. Raises SlackError while Slack cannot be
        asked at all."""
        for attempt in range(1, HISTORY_ATTEMPTS + 1):
            try:
                return self.find_posted(channel, metadata, since=since, thread_ts=thread_ts, keys=keys) or ""
            except SlackError as exc:
                if not exc.transient:
                    log.warning(
                        "history of %s unreadable (%s): the post cannot be reconciled", channel, exc.error
                    )
                    return ""
                if attempt == HISTORY_ATTEMPTS:
                    raise
                log.warning("history of %s not read (%s); asking again", channel, exc.error)
                time.sleep(HISTORY_RETRY_S * attempt)  # a read: asking again cannot post anything twice
        raise AssertionError("unreachable")  # the loop returns or raises

    def find_posted(
        self,
        channel: str,
        metadata: dict[str, Any],
        *,
        since: float,
        thread_ts: str | None = None,
        keys: tuple[str, ...] = (),
    ) -> str | None:
        """The ts of a message (a reply in `thread_ts`, never the thread's parent) with this metadata
        posted since `since` (epoch seconds), read from conversations.history/replies with
        include_all_metadata. The whole payload must match, or only `keys` of it when given (an alert
        whose counts moved on since). Raises SlackError."""
        wanted = _identity(metadata, keys)
        for message in self._history(channel, since=since - HISTORY_MARGIN_S, thread_ts=thread_ts):
            found = message.get("metadata")
            if (
                message.get("ts") != thread_ts
                and isinstance(found, dict)
                and _identity(found, keys) == wanted
            ):
                return str(message["ts"])
        return None

    def _history(self, channel: str, *, since: float, thread_ts: str | None) -> Iterator[dict[str, Any]]:
        method = "conversations.replies" if thread_ts else "conversations.history"
        query: dict[str, Any] = {
            "channel": channel,
            "oldest": f"{since:.6f}",
            "include_all_metadata": "true",
            "limit": HISTORY_PAGE,
        }
        if thread_ts:
            query["ts"] = thread_ts
        for _ in range(HISTORY_PAGES):
            page = self._call(method, form=True, **query)
            messages = page.get("messages")
            yield from (m for m in messages if isinstance(m, dict)) if isinstance(messages, list) else ()
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not (page.get("has_more") and cursor):
                return
            query["cursor"] = cursor

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

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> str:
        """Open a modal with an interaction's trigger_id (one use, 3 s); its view id. Raises SlackError."""
        opened = self._call("views.open", trigger_id=trigger_id, view=view).get("view")
        return str(opened.get("id", "")) if isinstance(opened, dict) else ""

    def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        """Replace `user_id`'s Home tab with `view`. Raises SlackError."""
        self._call("views.publish", user_id=user_id, view=view)

    def conversation_private(self, channel: str) -> bool:
        """Whether Slack says the conversation is private (a private channel, a DM, a group DM): its own
        `is_private`, `is_im`, `is_mpim`. Raises SlackError (`channel_not_found`: the bot cannot see it)."""
        info = self._call("conversations.info", form=True, channel=channel).get("channel")
        if not isinstance(info, dict):
            raise SlackError("conversations.info", "invalid_response")
        if any(info.get(flag) is True for flag in ("is_private", "is_im", "is_mpim")):
            return True
        return info.get("is_private") is not False  # Slack did not say: fail closed

    def usergroup_members(self, usergroup: str) -> list[str]:
        """The user IDs in a user group (`S…`); raises SlackError (e.g. no_such_subteam)."""
        users = self._call("usergroups.users.list", form=True, usergroup=usergroup).get("users")
        return [str(user) for user in users] if isinstance(users, list) else []


def _identity(metadata: dict[str, Any], keys: tuple[str, ...]) -> tuple[Any, ...]:
    """What tells one posted message from another: its event type and its payload (or `keys` of it).
    Every message mailcheck posts with metadata has a payload of its own: a report or alert id, an
    action reply's press and outcome, a status's counts."""
    payload = metadata.get("event_payload")
    payload = payload if isinstance(payload, dict) else {}
    fields = {key: repr(value) for key, value in payload.items() if not keys or key in keys}
    return (metadata.get("event_type"), tuple(sorted(fields.items())))


def respond_ephemeral(response_url: str, text: str, blocks: list[dict[str, Any]] | None = None) -> bool:
    """Answer the person who typed a command, through the response_url Slack gave us; whether Slack took
    it. Never raises: this is how failures are told, so its own failure can only be logged."""
    try:
        response = WebhookClient(response_url, timeout=SLACK_HTTP_TIMEOUT_S, ssl=client_tls_context()).send(
            text=text, blocks=blocks, response_type="ephemeral", replace_original=False
        )
    except (OSError, http.client.HTTPException, SlackApiError) as exc:
        log.warning("response_url not reached (%s)", transport_error("response_url", exc).error)
        return False
    if response.status_code != 200:
        log.warning("response_url answered HTTP %s", response.status_code)
        return False
    return True
