"""A local Slack Web API stand-in: real HTTP on loopback, recording every call.

Follows the published Web API shapes for the methods mailcheck uses (auth.test, chat.postMessage,
chat.update, chat.getPermalink, users.info, usergroups.users.list) and stands in for `response_url` hooks. It enforces
the bot token, message metadata's one-level nesting rule, and can answer bursts of HTTP 429.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

BOT_TOKEN = "xoxb-test-bot-token-0123456789"


@dataclass
class Call:
    method: str
    body: dict[str, Any]
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


class SlackStandIn:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.hooks: list[tuple[str, dict[str, Any]]] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.not_in_channel: set[str] = set()
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        self._rate_limited: dict[str, int] = {}
        self._failing: dict[str, tuple[int, str]] = {}
        self.throttled: list[str] = []  # the method of every call answered 429 (not in `calls`)
        self.retry_after = 1
        self.latency_s = 0.0  # what every Web API call takes (the real Slack: ~100-300 ms); benches set it
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> SlackStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

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

    def calls_of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def hooks_for(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [body for hook, body in self.hooks if hook == name]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        with self._lock:
            return dict(self.messages[(channel, ts)])

    def channel_messages(self, channel: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for (c, _), m in self.messages.items() if c == channel]

    def delete_message(self, channel: str, ts: str) -> None:
        """What a person deleting the message in Slack does: it is gone for every API call."""
        with self._lock:
            del self.messages[(channel, ts)]

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

    def _api_auth_test(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://example.slack.com/",
            "team": "Example",
            "user": "mailcheck",
            "team_id": "T0TEST",
            "user_id": "U0BOT",
            "bot_id": "B0BOT",
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
        }
        return message

    def _api_chat_postMessage(self, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if body["channel"] in self.not_in_channel:
            return {"ok": False, "error": "not_in_channel"}
        if not body.get("text") and not body.get("blocks"):
            return {"ok": False, "error": "no_text"}
        if "metadata" in body and (problem := metadata_problem(body["metadata"])):
            return {"ok": False, "error": problem}
        ts = f"{1700000000 + next(self._ts)}.000100"
        with self._lock:
            self.messages[(body["channel"], ts)] = self._store(body, ts)
        return {
            "ok": True,
            "channel": body["channel"],
            "ts": ts,
            "message": {"text": body.get("text"), "ts": ts},
        }

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

    def _api_users_info(self, body: dict[str, Any]) -> dict[str, Any]:
        user = body.get("user", "")
        return {"ok": True, "user": {"id": user, "name": user.lower(), "profile": {"display_name": user}}}

    def _api_usergroups_users_list(self, body: dict[str, Any]) -> dict[str, Any]:
        group = body.get("usergroup", "")
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.usergroups[group])}

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

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

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

            def _body(self) -> dict[str, Any]:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    return dict(json.loads(raw or "{}"))
                return dict(parse_qsl(raw))

            def do_POST(self) -> None:
                body = self._body()
                if self.path.startswith("/hooks/"):
                    with standin._lock:
                        standin.hooks.append((self.path.removeprefix("/hooks/"), body))
                    self._send(200, "ok")
                    return
                method = self.path.removeprefix("/api/").split("?")[0]
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                if standin._take_rate_limit(method):
                    with standin._lock:
                        standin.throttled.append(method)
                    self._send(
                        429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(standin.retry_after)}
                    )
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
                self._send(200, standin._dispatch(method, body))

        return Handler
