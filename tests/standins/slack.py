"""A local Slack Web API stand-in: real HTTP on loopback, recording every call.

Follows the published Web API shapes for the methods mailcheck uses (auth.test, chat.postMessage,
chat.update, chat.getPermalink, chat.postEphemeral, users.info, usergroups.users.list,
conversations.history, conversations.replies, conversations.info, views.open, views.push, views.update,
views.publish) and stands in for `response_url` hooks. It enforces the bot token, message metadata's
one-level nesting rule, the view limits Slack checks and the life of a `trigger_id` (3 s, one use), and
can answer bursts of HTTP 429.

Transport faults, per method and consumed call by call like `fail` and `rate_limit`:

- `reset_before`: the connection is reset before Slack applies the call (recorded in `refused` only);
- `drop_after`: the call lands (stored, recorded in `calls`), then the connection closes unanswered;
- `hang_after`: the call lands, then the connection is held silent until the client's timeout fires;
- `http_error`: an HTTP 5xx (or any status) with an HTML page, the call applied first when `landed`.

Slack accepts every method as POST (form or JSON body) or GET (query string); both are served here.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import itertools
import json
import re
import secrets
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_TOKEN = "xoxb-test-bot-token-0123456789"
TEAM_ID = "T0TEST"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0MAILCHECK"
# Slack: "trigger_id … expires in 3 seconds"; each one can be exchanged for one view.
TRIGGER_TTL_S = 3.0
# What the bot token is granted (manifest.yml plus the history scopes of SPEC §16), for `missing_scope`.
BOT_SCOPES = (
    "commands,chat:write,chat:write.public,users:read,usergroups:read,channels:history,groups:history"
)
HISTORY_SCOPES = {
    "im": "im:history",
    "mpim": "mpim:history",
    "private": "groups:history",
    "public": "channels:history",
}
HISTORY_LIMIT_DEFAULT = 100
HISTORY_LIMIT_MAX = 999
VIEW_BLOCKS_MAX = 100
VIEW_TEXT_MAX = 24  # a modal's title, submit and close
CALLBACK_ID_MAX = 255
EXTERNAL_ID_MAX = 255
PRIVATE_METADATA_MAX = 3000
# What Slack's load balancers answer on a 5xx: an HTML page, not the Web API's JSON.
ERROR_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Slack is having trouble</title></head>"
    "<body><h1>Server Error</h1><p>Something went wrong on our end.</p></body></html>\n"
)
_TRIGGER_FORMAT = re.compile(r"[0-9]+\.[0-9]+\.[0-9a-f]+")
_CURSOR_PREFIX = "next_ts:"
_STOP_JOIN_S = 5.0


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Trigger:
    """One `trigger_id` handed out by issue_trigger(): when, and when (and how) a views call used it."""

    trigger_id: str
    issued_at: float  # time.monotonic()
    view_id: str | None = None  # the view the interaction came from (for views.push)
    used_at: float | None = None  # when the first views.open/views.push with it arrived
    used_by: str | None = None
    outcome: str | None = None  # "ok", "expired_trigger_id"
    uses: int = 0


@dataclass
class Fault:
    """One injected transport fault, in the order they happened."""

    method: str
    kind: str  # "reset_before", "drop_after", "hang_after", "http_error"
    at: float = field(default_factory=time.monotonic)


def _flat(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def metadata_problem(metadata: Any) -> str | None:
    """Slack's rule: event_payload values are scalars, flat objects, or arrays of flat objects."""
    if not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str):
        return "invalid_metadata_format"
    payload = metadata.get("event_payload")
    if not isinstance(payload, dict):
        return "invalid_metadata_format"
    for value in payload.values():
        if isinstance(value, dict) and not all(_flat(v) for v in value.values()):
            return "invalid_metadata_format"
        if isinstance(value, list) and not all(
            _flat(item) or (isinstance(item, dict) and all(_flat(v) for v in item.values())) for item in value
        ):
            return "invalid_metadata_format"
    return None


def _truthy(value: Any) -> bool:
    """Slack's boolean arguments: true/1 (slack_sdk sends "1"), anything else false."""
    return value is True or str(value).strip().lower() in ("1", "true")


def _ts_value(ts: Any) -> Decimal | None:
    try:
        value = Decimal(str(ts))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() and value >= 0 else None


def encode_cursor(ts: str) -> str:
    """Slack's cursors are opaque; its history cursors happen to be base64 of `next_ts:<ts digits>`."""
    return base64.b64encode(f"{_CURSOR_PREFIX}{ts}".encode()).decode()


def _decode_cursor(cursor: str) -> Decimal | None:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not text.startswith(_CURSOR_PREFIX):
        return None
    return _ts_value(text.removeprefix(_CURSOR_PREFIX))


def _too_long(text: Any, limit: int, pointer: str) -> str | None:
    if isinstance(text, str) and len(text) > limit:
        return f"[ERROR] must be less than {limit + 1} characters [json-pointer:{pointer}]"
    return None


def _text_object_problems(value: Any, pointer: str, *, required: bool) -> list[str]:
    if value is None:
        return (
            [f"[ERROR] missing required field: {pointer.rsplit('/', 1)[-1]} [json-pointer:/view]"]
            if required
            else []
        )
    if (
        not isinstance(value, dict)
        or value.get("type") != "plain_text"
        or not isinstance(value.get("text"), str)
    ):
        return [f"[ERROR] must be a plain_text text object [json-pointer:{pointer}]"]
    problem = _too_long(value["text"], VIEW_TEXT_MAX, f"{pointer}/text")
    return [problem] if problem else []


def view_problems(view: Any, *, home: bool) -> list[str]:
    """What Slack's schema check says of a view (the limits of the modal and Home tab view objects)."""
    if not isinstance(view, dict):
        return ["[ERROR] missing required field: view [json-pointer:/]"]
    wanted = "home" if home else "modal"
    if view.get("type") != wanted:
        return [f"[ERROR] must be '{wanted}' [json-pointer:/view/type]"]
    problems: list[str] = []
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        problems.append("[ERROR] missing required field: blocks [json-pointer:/view]")
        blocks = []
    elif len(blocks) > VIEW_BLOCKS_MAX:
        problems.append(f"[ERROR] no more than {VIEW_BLOCKS_MAX} items allowed [json-pointer:/view/blocks]")
    for key, limit in (
        ("callback_id", CALLBACK_ID_MAX),
        ("external_id", EXTERNAL_ID_MAX),
        ("private_metadata", PRIVATE_METADATA_MAX),
    ):
        if (problem := _too_long(view.get(key), limit, f"/view/{key}")) is not None:
            problems.append(problem)
    if home:
        return problems
    problems += _text_object_problems(view.get("title"), "/view/title", required=True)
    problems += _text_object_problems(view.get("submit"), "/view/submit", required=False)
    problems += _text_object_problems(view.get("close"), "/view/close", required=False)
    if view.get("submit") is None:
        for index, block in enumerate(blocks):
            if isinstance(block, dict) and block.get("type") == "input":
                problems.append(
                    f"[ERROR] must define `submit` to use `input` block [json-pointer:/view/blocks/{index}/input]"
                )
                break
    return problems


def _invalid_arguments(messages: list[str]) -> dict[str, Any]:
    return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": messages}}


def default_conversation(channel: str) -> dict[str, Any]:
    """conversations.info's `channel` for an id nobody described: D… an IM, G… a private group, else public."""
    base = {"id": channel, "created": 1700000000, "is_archived": False, "is_org_shared": False}
    if channel.startswith("D"):
        return {
            **base,
            "is_channel": False,
            "is_group": False,
            "is_im": True,
            "is_mpim": False,
            "is_private": True,
            "user": "U0AGENT",
            "is_user_deleted": False,
            "priority": 0,
        }
    private = channel.startswith("G")
    name = channel.lower()
    return {
        **base,
        "name": name,
        "name_normalized": name,
        "is_channel": not private,
        "is_group": private,
        "is_im": False,
        "is_mpim": False,
        "is_private": private,
        "is_general": False,
        "is_shared": False,
        "is_ext_shared": False,
        "is_member": True,
        "creator": "U0ADMIN",
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
        "previous_names": [],
    }


def _conversation_kind(info: dict[str, Any]) -> str:
    if info.get("is_im"):
        return "im"
    if info.get("is_mpim"):
        return "mpim"
    return "private" if info.get("is_private") else "public"


class SlackStandIn:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.hooks: list[tuple[str, dict[str, Any]]] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.not_in_channel: set[str] = set()
        # Channels whose history the token may not read (e.g. DMs without im:history): `missing_scope`.
        self.history_denied: set[str] = set()
        # Channels Slack does not know (or the bot cannot see at all): `channel_not_found`.
        self.unknown_channels: set[str] = set()
        # conversations.info answers: fields merged over default_conversation(id).
        self.conversations: dict[str, dict[str, Any]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}  # view id → the view as Slack holds it now
        self.home_views: dict[str, dict[str, Any]] = {}  # user id → the published Home tab
        self.triggers: dict[str, Trigger] = {}
        self.refused: list[Call] = []  # calls whose connection was reset before Slack applied them
        self.faults: list[Fault] = []  # every transport fault injected, in order
        # Where ts come from: like Slack, the time the message was stored (made unique and increasing),
        # so that conversations.history's oldest/latest work as they do against Slack; None: a counter
        # from 1700000001.000100, for tests that want fixed-looking stamps.
        self.ts_clock: Callable[[], float] | None = time.time
        self.trigger_ttl_s = TRIGGER_TTL_S
        self._ts = itertools.count(1)
        self._last_micros = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._rate_limited: dict[str, int] = {}
        self._failing: dict[str, tuple[int, str]] = {}
        self._resets: dict[str, int] = {}
        self._drops: dict[str, int] = {}
        self._hangs: dict[str, tuple[int, float]] = {}
        self._http_errors: dict[str, tuple[int, int, bool]] = {}
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._local = threading.local()
        self.throttled: list[str] = []  # the method of every call answered 429 (not in `calls`)
        self.retry_after = 1
        self.latency_s = 0.0  # what every Web API call takes (the real Slack: ~100-300 ms); benches set it
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # A short poll, so that stop() (server.shutdown()) returns in ~0.1 s rather than the default 0.5 s.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,), daemon=True)

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> SlackStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; connections held by hang_after (or idle clients) are closed, not waited out."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            held = list(self._connections)
        for connection in held:
            with contextlib.suppress(OSError):  # already closed by its handler
                connection.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + _STOP_JOIN_S
        while self.open_connections() and time.monotonic() < deadline:
            time.sleep(0.01)

    def open_connections(self) -> int:
        """How many client connections a handler thread is serving right now."""
        with self._lock:
            return len(self._connections)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def hook_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{name}"

    # -- test controls and queries -----------------------------------------------------------------
    def rate_limit(self, method: str, times: int, retry_after: int = 1) -> None:
        """Answer the next `times` calls of `method` with HTTP 429 and Retry-After."""
        with self._lock:
            self._rate_limited[method] = times
            self.retry_after = retry_after

    def fail(self, method: str, times: int, error: str = "service_unavailable") -> None:
        """Answer the next `times` calls of `method` with `{"ok": false, "error": error}`; 0 ends it."""
        with self._lock:
            self._failing[method] = (times, error)

    def reset_before(self, method: str, times: int) -> None:
        """Reset (TCP RST) the connection of the next `times` calls of `method` as soon as their request
        is read: nothing is applied, the call goes to `refused`, not `calls`. 0 ends it."""
        with self._lock:
            self._resets[method] = times

    def drop_after(self, method: str, times: int) -> None:
        """Apply the next `times` calls of `method` (stored, in `calls`), then close the connection
        without any HTTP answer: the client sees RemoteDisconnected, not knowing the call landed."""
        with self._lock:
            self._drops[method] = times

    def hang_after(self, method: str, times: int, seconds: float) -> None:
        """Apply the next `times` calls of `method`, then hold the connection silent for `seconds`
        (or until stop()) and close it unanswered: the client's read timeout fires after the call landed."""
        with self._lock:
            self._hangs[method] = (times, seconds)

    def http_error(self, method: str, times: int, status: int = 500, *, landed: bool = False) -> None:
        """Answer the next `times` calls of `method` with HTTP `status` and an HTML page (no JSON), as
        Slack's edge does on a 5xx. With `landed` the call is applied first (stored, in `calls`);
        without, it is not applied and goes to `refused`."""
        with self._lock:
            self._http_errors[method] = (times, status, landed)

    def calls_of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def refused_of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.refused if c.method == method]

    def hooks_for(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [body for hook, body in self.hooks if hook == name]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        with self._lock:
            return dict(self.messages[(channel, ts)])

    def message_at(self, channel: str, ts: str, *, include_metadata: bool = True) -> dict[str, Any] | None:
        """The message as Slack's history shows it (type, user, bot_id, reply_count, metadata…), or None
        when there is no such message (never posted, or deleted)."""
        with self._lock:
            stored = self.messages.get((channel, ts))
            return None if stored is None else self._as_slack(stored, include_metadata)

    def channel_messages(self, channel: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for (c, _), m in self.messages.items() if c == channel]

    def thread_replies(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The replies in the thread of `ts` (not the parent), oldest first, as stored."""
        with self._lock:
            replies = [dict(m) for (c, _), m in self.messages.items() if c == channel and _is_reply_to(m, ts)]
        return sorted(replies, key=lambda m: Decimal(m["ts"]))

    def delete_message(self, channel: str, ts: str) -> None:
        """What a person deleting the message in Slack does: it is gone for every API call."""
        with self._lock:
            del self.messages[(channel, ts)]

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        ts: str | None = None,
        user: str = "U0HUMAN",
        bot_id: str | None = None,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        """A message someone else posted (a person by default), as if it had always been there; its ts."""
        ts = ts or self._next_ts()
        body = {
            "channel": channel,
            "text": text,
            "blocks": blocks,
            "metadata": metadata,
            "thread_ts": thread_ts,
        }
        message = self._store(body, ts)
        message.update({"user": user, "bot_id": bot_id, "app_id": None})
        with self._lock:
            self.messages[(channel, ts)] = message
        return ts

    def set_conversation(self, channel: str, kind: str = "public", **fields: Any) -> None:
        """Describe a conversation for conversations.info: kind "public", "private", "im" or "mpim"."""
        shapes = {
            "public": {
                "is_channel": True,
                "is_group": False,
                "is_im": False,
                "is_mpim": False,
                "is_private": False,
            },
            "private": {
                "is_channel": True,
                "is_group": False,
                "is_im": False,
                "is_mpim": False,
                "is_private": True,
            },
            "im": {
                "is_channel": False,
                "is_group": False,
                "is_im": True,
                "is_mpim": False,
                "is_private": True,
            },
            "mpim": {
                "is_channel": False,
                "is_group": False,
                "is_im": False,
                "is_mpim": True,
                "is_private": True,
            },
        }
        described = {**shapes[kind], **fields}
        if kind == "im":
            described.setdefault("user", "U0AGENT")
        with self._lock:
            self.conversations[channel] = described

    def conversation(self, channel: str) -> dict[str, Any]:
        """What conversations.info says of `channel`."""
        with self._lock:
            described = dict(self.conversations.get(channel, {}))
        info = {**default_conversation(channel), **described}
        if info.get("is_im"):
            for key in ("name", "name_normalized", "is_general", "is_member", "topic", "purpose", "creator"):
                if key not in described:
                    info.pop(key, None)
        return info

    def issue_trigger(self, *, view_id: str | None = None) -> str:
        """A trigger_id as an interaction carries it: valid for trigger_ttl_s from now, for one view.
        `view_id`: the view the interaction happened in (what views.push stacks onto)."""
        trigger_id = f"{int(time.time() * 1000)}{next(self._ids)}.7081234.{secrets.token_hex(16)}"
        with self._lock:
            self.triggers[trigger_id] = Trigger(trigger_id, time.monotonic(), view_id=view_id)
        return trigger_id

    def trigger_latencies(self) -> list[float]:
        """For every trigger a views.open/views.push used: seconds from issue_trigger() to that call's
        arrival here, in the order the triggers were issued (expired uses included)."""
        with self._lock:
            return [t.used_at - t.issued_at for t in self.triggers.values() if t.used_at is not None]

    def view(self, view_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self.views[view_id])

    def opened_views(self, callback_id: str | None = None) -> list[dict[str, Any]]:
        """Every modal opened or pushed (current state), in order; only those of `callback_id` if given."""
        with self._lock:
            found = [v for v in self.views.values() if v["type"] == "modal"]
        return [v for v in found if callback_id is None or v.get("callback_id") == callback_id]

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The Home tab last published for `user_id` (None if never)."""
        with self._lock:
            view = self.home_views.get(user_id)
            return None if view is None else copy.deepcopy(view)

    def ephemerals_for(self, user: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self.ephemerals if e["user"] == user]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.02)
        raise AssertionError(f"condition not met within {timeout} s")

    # -- the API -------------------------------------------------------------------------------------
    def _dispatch(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        result: dict[str, Any] = handler(body)
        return result

    def _next_ts(self) -> str:
        n = next(self._ts)
        if self.ts_clock is None:
            return f"{1700000000 + n}.000100"
        with self._lock:
            micros = max(int(self.ts_clock() * 1_000_000), self._last_micros + 1)
            self._last_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _api_auth_test(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://example.slack.com/",
            "team": "Example",
            "user": "mailcheck",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
        }

    def _store(self, body: dict[str, Any], ts: str) -> dict[str, Any]:
        message = {
            "ts": ts,
            "channel": body["channel"],
            "text": body.get("text"),
            "blocks": body.get("blocks"),
            "metadata": body.get("metadata"),
            "thread_ts": body.get("thread_ts"),
            "edits": 0,
            # Who posted it, as Slack records a bot's message.
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
        }
        if _truthy(body.get("reply_broadcast")) and body.get("thread_ts"):
            message["reply_broadcast"] = True
        return message

    def _api_chat_postMessage(self, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("channel") or body["channel"] in self.unknown_channels:
            return {"ok": False, "error": "channel_not_found"}
        if body["channel"] in self.not_in_channel:
            return {"ok": False, "error": "not_in_channel"}
        if not body.get("text") and not body.get("blocks"):
            return {"ok": False, "error": "no_text"}
        if "metadata" in body and (problem := metadata_problem(body["metadata"])):
            return {"ok": False, "error": problem}
        ts = self._next_ts()
        with self._lock:
            self.messages[(body["channel"], ts)] = self._store(body, ts)
        message: dict[str, Any] = {
            "type": "message",
            "text": body.get("text"),
            "ts": ts,
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
        }
        if body.get("blocks"):
            message["blocks"] = body["blocks"]
        if body.get("thread_ts"):
            message["thread_ts"] = body["thread_ts"]
        return {"ok": True, "channel": body["channel"], "ts": ts, "message": message}

    def _api_chat_update(self, body: dict[str, Any]) -> dict[str, Any]:
        key = (body.get("channel", ""), body.get("ts", ""))
        if "metadata" in body and (problem := metadata_problem(body["metadata"])):
            return {"ok": False, "error": problem}
        with self._lock:
            if key not in self.messages:
                return {"ok": False, "error": "message_not_found"}
            message = self.messages[key]
            message.update({k: body[k] for k in ("text", "blocks", "metadata") if k in body})
            message["edits"] += 1
        return {"ok": True, "channel": key[0], "ts": key[1], "text": body.get("text")}

    def _api_chat_getPermalink(self, body: dict[str, Any]) -> dict[str, Any]:
        channel, ts = body.get("channel", ""), body.get("message_ts", "")
        with self._lock:
            if (channel, ts) not in self.messages:
                return {"ok": False, "error": "message_not_found"}
        link = f"https://example.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": link}

    def _api_chat_postEphemeral(self, body: dict[str, Any]) -> dict[str, Any]:
        channel, user = body.get("channel") or "", body.get("user") or ""
        if not channel or channel in self.unknown_channels:
            return {"ok": False, "error": "channel_not_found"}
        if not user:
            return {"ok": False, "error": "user_not_found"}
        if channel in self.not_in_channel:
            return {"ok": False, "error": "not_in_channel"}
        if not body.get("text") and not body.get("blocks"):
            return {"ok": False, "error": "no_text"}
        message_ts = self._next_ts()
        with self._lock:
            self.ephemerals.append(
                {
                    "channel": channel,
                    "user": user,
                    "text": body.get("text"),
                    "blocks": body.get("blocks"),
                    "thread_ts": body.get("thread_ts"),
                    "message_ts": message_ts,
                }
            )
        return {"ok": True, "message_ts": message_ts}

    def _api_users_info(self, body: dict[str, Any]) -> dict[str, Any]:
        user = body.get("user", "")
        return {"ok": True, "user": {"id": user, "name": user.lower(), "profile": {"display_name": user}}}

    def _api_usergroups_users_list(self, body: dict[str, Any]) -> dict[str, Any]:
        group = body.get("usergroup", "")
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.usergroups[group])}

    # -- conversations.* ---------------------------------------------------------------------------
    def _api_conversations_info(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = body.get("channel") or ""
        if not channel or channel in self.unknown_channels:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": self.conversation(channel)}

    def _history_refusal(self, channel: str) -> dict[str, Any] | None:
        if not channel or channel in self.unknown_channels:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.history_denied:
            needed = HISTORY_SCOPES[_conversation_kind(self.conversation(channel))]
            return {"ok": False, "error": "missing_scope", "needed": needed, "provided": BOT_SCOPES}
        if channel in self.not_in_channel:
            return {"ok": False, "error": "not_in_channel"}
        return None

    def _replies_by_parent(self, channel: str) -> dict[str, list[dict[str, Any]]]:
        """Every reply in `channel`, by the ts of its parent (lock held)."""
        index: dict[str, list[dict[str, Any]]] = {}
        for (c, _), m in self.messages.items():
            if c == channel and m.get("thread_ts") and m["thread_ts"] != m["ts"]:
                index.setdefault(m["thread_ts"], []).append(m)
        return index

    def _as_slack(
        self,
        stored: dict[str, Any],
        include_metadata: bool,
        replies_by_parent: dict[str, list[dict[str, Any]]] | None = None,
    ) -> dict[str, Any]:
        """A stored message as Slack returns it from conversations.history/replies (lock held)."""
        message: dict[str, Any] = {"type": "message", "ts": stored["ts"], "text": stored.get("text") or ""}
        for key in ("user", "bot_id", "app_id", "team", "blocks"):
            if stored.get(key):
                message[key] = stored[key]
        thread_ts = stored.get("thread_ts")
        if thread_ts and thread_ts != stored["ts"]:
            message["thread_ts"] = thread_ts
            parent = self.messages.get((stored["channel"], thread_ts))
            if parent is not None and parent.get("user"):
                message["parent_user_id"] = parent["user"]
            if stored.get("reply_broadcast"):
                message["subtype"] = "thread_broadcast"
        else:
            if replies_by_parent is None:
                replies_by_parent = self._replies_by_parent(stored["channel"])
            replies = replies_by_parent.get(stored["ts"], [])
            if replies:
                users = sorted({m.get("user") or "" for m in replies} - {""})
                message.update(
                    {
                        "thread_ts": stored["ts"],
                        "reply_count": len(replies),
                        "reply_users_count": len(users),
                        "reply_users": users,
                        "latest_reply": max((m["ts"] for m in replies), key=Decimal),
                        "is_locked": False,
                        "subscribed": False,
                    }
                )
        if include_metadata and stored.get("metadata"):
            metadata = stored["metadata"]
            message["metadata"] = {
                "event_type": metadata.get("event_type"),
                "event_payload": metadata.get("event_payload"),
            }
        return message

    def _page(
        self, candidates: list[dict[str, Any]], body: dict[str, Any], *, newest_first: bool
    ) -> dict[str, Any]:
        """Filter by oldest/latest/inclusive, order, and cut one page at `cursor`/`limit` (lock held)."""
        oldest = _ts_value(body.get("oldest") or "0")
        if oldest is None:
            return {"ok": False, "error": "invalid_ts_oldest"}
        latest = _ts_value(body["latest"]) if body.get("latest") else Decimal(10) ** 12
        if latest is None:
            return {"ok": False, "error": "invalid_ts_latest"}
        try:
            limit = int(body.get("limit") or HISTORY_LIMIT_DEFAULT)
        except (TypeError, ValueError):
            return _invalid_arguments(["[ERROR] must be an integer [json-pointer:/limit]"])
        limit = HISTORY_LIMIT_DEFAULT if limit < 1 else min(limit, HISTORY_LIMIT_MAX)
        inclusive = _truthy(body.get("inclusive"))
        include_metadata = _truthy(body.get("include_all_metadata"))

        def within(ts: Decimal) -> bool:
            above = ts >= oldest if inclusive else ts > oldest
            below = ts <= latest if inclusive else ts < latest
            return above and below

        chosen = sorted(
            (m for m in candidates if within(Decimal(m["ts"]))),
            key=lambda m: Decimal(m["ts"]),
            reverse=newest_first,
        )
        if body.get("cursor"):
            start = _decode_cursor(str(body["cursor"]))
            if start is None:
                return {"ok": False, "error": "invalid_cursor"}
            if newest_first:
                chosen = [m for m in chosen if Decimal(m["ts"]) <= start]
            else:
                chosen = [m for m in chosen if Decimal(m["ts"]) >= start]
        page, rest = chosen[:limit], chosen[limit:]
        index = self._replies_by_parent(page[0]["channel"]) if page else {}
        answer: dict[str, Any] = {
            "ok": True,
            "messages": [self._as_slack(m, include_metadata, index) for m in page],
            "has_more": bool(rest),
        }
        if rest:
            answer["response_metadata"] = {"next_cursor": encode_cursor(rest[0]["ts"])}
        return answer

    def _api_conversations_history(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = body.get("channel") or ""
        if (refusal := self._history_refusal(channel)) is not None:
            return refusal
        with self._lock:
            # Top-level messages: parents and plain posts, and replies also sent to the channel.
            top = [
                m
                for (c, _), m in self.messages.items()
                if c == channel
                and (not m.get("thread_ts") or m["thread_ts"] == m["ts"] or m.get("reply_broadcast"))
            ]
            answer = self._page(top, body, newest_first=True)
        if answer["ok"]:
            answer.update({"pin_count": 0, "channel_actions_ts": None, "channel_actions_count": 0})
        return answer

    def _api_conversations_replies(self, body: dict[str, Any]) -> dict[str, Any]:
        channel, ts = body.get("channel") or "", str(body.get("ts") or "")
        if (refusal := self._history_refusal(channel)) is not None:
            return refusal
        with self._lock:
            asked = self.messages.get((channel, ts))
            if asked is None:
                return {"ok": False, "error": "thread_not_found"}
            # `ts` may name the parent or any message in the thread.
            parent_ts = asked.get("thread_ts") or asked["ts"]
            parent = self.messages.get((channel, parent_ts))
            if parent is None:
                return {"ok": False, "error": "thread_not_found"}
            thread = [parent] + [
                m for (c, _), m in self.messages.items() if c == channel and _is_reply_to(m, parent_ts)
            ]
            return self._page(thread, body, newest_first=False)

    # -- views.* --------------------------------------------------------------------------------------
    def _view_argument(self, body: dict[str, Any]) -> Any:
        view = body.get("view")
        if isinstance(view, str):  # a form body carries the view JSON-encoded
            try:
                return json.loads(view)
            except ValueError:
                return None
        return view

    def _exchange_trigger(self, method: str, trigger_id: str) -> tuple[str | None, Trigger | None]:
        """Slack's trigger rules: unknown → invalid, older than trigger_ttl_s → expired, used → exchanged."""
        arrived = getattr(self._local, "arrived", None) or time.monotonic()
        with self._lock:
            trigger = self.triggers.get(trigger_id)
            if trigger is None or not _TRIGGER_FORMAT.fullmatch(trigger_id):
                return "invalid_trigger_id", None
            trigger.uses += 1
            if trigger.used_at is not None:
                return "exchanged_trigger_id", trigger
            trigger.used_at, trigger.used_by = arrived, method
            if arrived - trigger.issued_at > self.trigger_ttl_s:
                trigger.outcome = "expired_trigger_id"
                return "expired_trigger_id", trigger
            trigger.outcome = "ok"
            return None, trigger

    def _new_view(
        self, view: dict[str, Any], *, view_id: str | None = None, root: str | None = None
    ) -> dict[str, Any]:
        view_id = view_id or f"V0{next(self._ids):08X}"
        held: dict[str, Any] = {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": view["type"],
            "blocks": view.get("blocks") or [],
            "private_metadata": view.get("private_metadata") or "",
            "callback_id": view.get("callback_id") or "",
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "previous_view_id": None,
            "root_view_id": root or view_id,
            "app_id": APP_ID,
            "external_id": view.get("external_id") or "",
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }
        if view["type"] == "modal":
            held["title"] = view.get("title")
        return held

    def _external_id_taken(self, external_id: str, but: str | None = None) -> bool:
        return bool(external_id) and any(
            v["external_id"] == external_id and v["id"] != but for v in self.views.values()
        )

    def _open_or_push(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        view = self._view_argument(body)
        if problems := view_problems(view, home=False):
            return _invalid_arguments(problems)
        trigger_id = str(body.get("trigger_id") or body.get("interactivity_pointer") or "")
        if not trigger_id:
            return _invalid_arguments(["[ERROR] missing required field: trigger_id [json-pointer:/]"])
        error, trigger = self._exchange_trigger(method, trigger_id)
        if error is not None:
            return {"ok": False, "error": error}
        with self._lock:
            if self._external_id_taken(view.get("external_id") or ""):
                return {"ok": False, "error": "duplicate_external_id"}
            below = self.views.get(trigger.view_id or "") if trigger is not None else None
            if method == "views.push" and below is not None:
                held = self._new_view(view, root=below["root_view_id"])
                held["previous_view_id"] = below["id"]
                depth = sum(1 for v in self.views.values() if v["root_view_id"] == below["root_view_id"])
                if depth >= 3:
                    return {"ok": False, "error": "push_limit_reached"}
            else:
                held = self._new_view(view)
            self.views[held["id"]] = held
            return {"ok": True, "view": copy.deepcopy(held)}

    def _api_views_open(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._open_or_push("views.open", body)

    def _api_views_push(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._open_or_push("views.push", body)

    def _api_views_update(self, body: dict[str, Any]) -> dict[str, Any]:
        view = self._view_argument(body)
        view_id, external_id = body.get("view_id") or "", body.get("external_id") or ""
        if not view_id and not external_id:
            return _invalid_arguments(["[ERROR] either view_id or external_id is required [json-pointer:/]"])
        with self._lock:
            current = self.views.get(view_id) if view_id else None
            if current is None and external_id:
                current = next((v for v in self.views.values() if v["external_id"] == external_id), None)
            if current is None:
                return {"ok": False, "error": "not_found"}
            if problems := view_problems(view, home=current["type"] == "home"):
                return _invalid_arguments(problems)
            if body.get("hash") and body["hash"] != current["hash"]:
                return {"ok": False, "error": "hash_conflict"}
            if self._external_id_taken(view.get("external_id") or "", but=current["id"]):
                return {"ok": False, "error": "duplicate_external_id"}
            held = self._new_view(view, view_id=current["id"], root=current["root_view_id"])
            held["previous_view_id"] = current["previous_view_id"]
            held["external_id"] = held["external_id"] or current["external_id"]  # kept unless replaced
            self.views[held["id"]] = held
            for user, home in self.home_views.items():
                if home["id"] == held["id"]:
                    self.home_views[user] = held
            return {"ok": True, "view": copy.deepcopy(held)}

    def _api_views_publish(self, body: dict[str, Any]) -> dict[str, Any]:
        user = body.get("user_id") or ""
        if not user:
            return _invalid_arguments(["[ERROR] missing required field: user_id [json-pointer:/]"])
        view = self._view_argument(body)
        if problems := view_problems(view, home=True):
            return _invalid_arguments(problems)
        with self._lock:
            current = self.home_views.get(user)
            if body.get("hash") and (current is None or body["hash"] != current["hash"]):
                return {"ok": False, "error": "hash_conflict"}
            held = self._new_view(view, view_id=current["id"] if current else None)
            self.views[held["id"]] = held
            self.home_views[user] = held
            return {"ok": True, "view": copy.deepcopy(held)}

    # -- faults -------------------------------------------------------------------------------------
    def _take_rate_limit(self, method: str) -> bool:
        with self._lock:
            left = self._rate_limited.get(method, 0)
            if left > 0:
                self._rate_limited[method] = left - 1
                return True
            return False

    def _take_failure(self, method: str) -> str | None:
        with self._lock:
            left, error = self._failing.get(method, (0, ""))
            if left > 0:
                self._failing[method] = (left - 1, error)
                return error
            return None

    def _take_count(self, counts: dict[str, int], method: str, kind: str) -> bool:
        with self._lock:
            left = counts.get(method, 0)
            if left <= 0:
                return False
            counts[method] = left - 1
            self.faults.append(Fault(method, kind))
            return True

    def _take_hang(self, method: str) -> float | None:
        with self._lock:
            left, seconds = self._hangs.get(method, (0, 0.0))
            if left <= 0:
                return None
            self._hangs[method] = (left - 1, seconds)
            self.faults.append(Fault(method, "hang_after"))
            return seconds

    def _take_http_error(self, method: str, *, landed: bool) -> int | None:
        with self._lock:
            left, status, after = self._http_errors.get(method, (0, 500, False))
            if left <= 0 or after != landed:
                return None
            self._http_errors[method] = (left - 1, status, after)
            self.faults.append(Fault(method, "http_error"))
            return status

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def handle(self) -> None:
                with standin._lock:
                    standin._connections.add(self.connection)
                try:
                    super().handle()
                except OSError:
                    pass  # the client went away, or stop() shut the connection
                finally:
                    with standin._lock:
                        standin._connections.discard(self.connection)

            def _send(
                self, status: int, payload: dict[str, Any] | str, headers: dict[str, str] | None = None
            ) -> None:
                data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _send_page(self, status: int) -> None:
                data = ERROR_PAGE.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _drop(self) -> None:
                """Close without a byte of answer (an orderly FIN): http.client's RemoteDisconnected."""
                self.close_connection = True

            def _reset(self) -> None:
                """Abort the connection (TCP RST): the client's ConnectionResetError."""
                self.close_connection = True
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()

            def _body(self) -> dict[str, Any]:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    return dict(json.loads(raw or "{}"))
                return dict(parse_qsl(raw))

            def do_GET(self) -> None:
                if not self.path.startswith("/api/"):
                    self._send(404, {"ok": False, "error": "not_found"})
                    return
                self._api({})

            def do_POST(self) -> None:
                body = self._body()
                if self.path.startswith("/hooks/"):
                    with standin._lock:
                        standin.hooks.append((self.path.removeprefix("/hooks/"), body))
                    self._send(200, "ok")
                    return
                self._api(body)

            def _api(self, body: dict[str, Any]) -> None:
                arrived = time.monotonic()
                split = urlsplit(self.path)
                method = split.path.removeprefix("/api/")
                body = {**dict(parse_qsl(split.query)), **body}  # Slack reads arguments from either
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ") or str(
                    body.get("token") or ""
                )
                if standin._take_rate_limit(method):
                    with standin._lock:
                        standin.throttled.append(method)
                    self._send(
                        429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(standin.retry_after)}
                    )
                    return
                if standin._take_count(standin._resets, method, "reset_before"):
                    with standin._lock:
                        standin.refused.append(Call(method, body))
                    self._reset()
                    return
                if (status := standin._take_http_error(method, landed=False)) is not None:
                    with standin._lock:
                        standin.refused.append(Call(method, body))
                    self._send_page(status)
                    return
                if token != BOT_TOKEN:
                    self._send(200, {"ok": False, "error": "invalid_auth"})
                    return
                if (error := standin._take_failure(method)) is not None:
                    self._send(200, {"ok": False, "error": error})
                    return
                time.sleep(
                    standin.latency_s
                )  # the real Slack's round trip and work, before it applies the call
                with standin._lock:
                    standin.calls.append(Call(method, body))
                standin._local.arrived = arrived
                answer = standin._dispatch(method, body)
                if (status := standin._take_http_error(method, landed=True)) is not None:
                    self._send_page(status)
                elif standin._take_count(standin._drops, method, "drop_after"):
                    self._drop()
                elif (seconds := standin._take_hang(method)) is not None:
                    standin._stopping.wait(seconds)
                    self._drop()
                else:
                    self._send(200, answer)

        return Handler


def _is_reply_to(message: dict[str, Any], parent_ts: str) -> bool:
    return message.get("thread_ts") == parent_ts and message["ts"] != parent_ts
