"""`POST /slack/events` over WSGI: the signature is checked before anything reads the body, and the body
is then parsed the way Slack encodes it.

Not Bolt's own WSGI adapter, which parses before it verifies (so an unsigned `payload=` that is not JSON
was a 500), decodes without a guard (invalid UTF-8 was a 500), and takes any form body that merely
contains the word "payload" for an interaction: `/mailcheck payload@example.com` was dropped as an
unhandled request. Bolt's own verification still runs on the request built here.

`/mailcheck` itself does not go through Bolt's dispatch (its middleware chain, a WebClient per request,
listener matching and argument injection cost more than the rest of the ack together): once the
signature is checked, the form goes straight to the command's handler (bot/listeners/commands.py),
which Bolt's listener also calls in Socket Mode.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Iterable
from typing import Any, cast
from urllib.parse import parse_qsl

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.context import BoltContext
from slack_bolt.request import payload_utils
from slack_bolt.request.internals import build_context

from workers.slack.ids import SLASH_COMMAND

StartResponse = Callable[..., Any]

# Slack's replay window for signed requests.
SIGNATURE_TOLERANCE_S = 5 * 60
# Interaction payloads carry the whole message they came from; Slack caps messages far below this.
MAX_BODY_BYTES = 1024 * 1024
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_BOLT_EXTRACTORS = (
    payload_utils.to_options,
    payload_utils.to_shortcut,
    payload_utils.to_action,
    payload_utils.to_view,
    payload_utils.to_command,
    payload_utils.to_event,
    payload_utils.to_message,
    payload_utils.to_step,
)


class MalformedRequest(ValueError):
    """Signed, but not a body Slack sends."""


def signature_valid(
    secret: str, body: bytes, timestamp: str | None, signature: str | None, *, now: float
) -> bool:
    """Slack's v0 scheme, over the raw bytes (the body need not be UTF-8 to be judged)."""
    if not (timestamp and signature and _TIMESTAMP.fullmatch(timestamp)):
        return False
    if abs(now - int(timestamp)) > SIGNATURE_TOLERANCE_S:
        return False
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"v0={digest}", signature)


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise MalformedRequest("the body is not valid JSON") from None
    if not isinstance(value, dict):
        raise MalformedRequest("the body is not a JSON object")
    return value


def _check_actions(body: dict[str, Any]) -> None:
    # Bolt's action matchers index into these without looking; a bad shape would be an error there.
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions:
        raise MalformedRequest("block_actions without actions")
    if not all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions):
        raise MalformedRequest("block_actions with an action that has no action_id")


def parse_slack_body(text: str, content_type: str | None) -> dict[str, Any]:
    """Events API: a JSON object. Slash commands: a form. Interactions: a form whose `payload` is JSON."""
    if (content_type or "").startswith("application/json") or text.startswith("{"):
        return _json_object(text)
    form = dict(parse_qsl(text, keep_blank_values=True))
    return _json_object(form["payload"]) if "payload" in form else form


def guard_body(body: object) -> BoltContext:
    """The one entry for every body Slack sends, over HTTP or in a Socket Mode envelope: a JSON object
    of the shapes Bolt trusts, or MalformedRequest. Returns the context Bolt would build from it."""
    if not isinstance(body, dict):
        raise MalformedRequest("the body is not a JSON object")
    if body.get("type") == "block_actions":
        _check_actions(body)
    # Bolt reads these parts of every body for every listener and for its error handler, trusting
    # their shape; one it cannot read would fail even the error handler (a 500). Read them here once.
    try:
        context = build_context(BoltContext({}), body)
        for extract in _BOLT_EXTRACTORS:
            extract(body)
    except (TypeError, KeyError, IndexError, AttributeError) as exc:
        raise MalformedRequest(f"unexpected shape ({type(exc).__name__})") from None
    return context


def bolt_request(raw: str, body: dict[str, Any], environ: dict[str, Any]) -> BoltRequest:
    wsgi = WsgiHttpRequest(environ)
    request = BoltRequest(body="", query=wsgi.query_string, headers=wsgi.get_headers())
    request.raw_body = raw  # what Bolt's verification middleware checks again
    request.body = body
    request.context = guard_body(body)
    return request


def socket_mode_request(payload: object, headers: dict[str, Any] | None = None) -> BoltRequest:
    """A Socket Mode envelope's payload through the same guards as an HTTP body (the size included)."""
    try:
        size = len(json.dumps(payload).encode())
    except (TypeError, ValueError):
        raise MalformedRequest("the payload is not JSON") from None
    if size > MAX_BODY_BYTES:
        raise MalformedRequest("too large")
    context = guard_body(payload)
    request = BoltRequest(body=cast(dict[str, Any], payload), mode="socket_mode", headers=headers)
    request.context = context
    return request


def _answer(start_response: StartResponse, status: int, body: dict[str, Any]) -> Iterable[bytes]:
    response = WsgiHttpResponse(status, {"content-type": ["application/json"]}, json.dumps(body))
    start_response(response.status, response.get_headers())
    return response.get_body()


class SlackEvents:
    """The WSGI app for Slack's requests: 401 unless signed and fresh, 400 unless well formed.

    `/mailcheck` itself goes straight to `command` when one is given; everything else through Bolt."""

    def __init__(
        self,
        app: App,
        signing_secret: str | None,
        command: Callable[[dict[str, Any]], BoltResponse] | None = None,
    ) -> None:
        self._app, self._secret, self._command = app, signing_secret, command

    def _signed(self, environ: dict[str, Any], body: bytes) -> bool:
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE")
        if self._secret is None:  # HTTP mode requires the secret; without it nothing is trusted
            return False
        return signature_valid(self._secret, body, timestamp, signature, now=time.time())

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_BODY_BYTES:
            return _answer(start_response, 413, {"error": "too large"})
        raw = environ["wsgi.input"].read(length) if length else b""
        if not self._signed(environ, raw):
            return _answer(start_response, 401, {"error": "invalid request"})
        try:
            text = raw.decode()
            body = parse_slack_body(text, environ.get("CONTENT_TYPE"))
            if self._command is not None and body.get("command") == SLASH_COMMAND:
                response = self._command(body)
            else:
                response = self._app.dispatch(bolt_request(text, body, environ))
        except UnicodeDecodeError:
            return _answer(start_response, 400, {"error": "malformed request: the body is not UTF-8"})
        except MalformedRequest as exc:
            return _answer(start_response, 400, {"error": f"malformed request: {exc}"})
        wsgi = WsgiHttpResponse(response.status, response.headers, response.body)
        start_response(wsgi.status, wsgi.get_headers())
        return wsgi.get_body()
