"""A local stand-in for Slack's Socket Mode: `apps.connections.open` plus a real WebSocket server.

It extends the Web API stand-in, so SLACK_API_URL points at one base for every method, as with real
Slack. `apps.connections.open` takes the app-level token (`xapp-…`) as Bearer and hands out a one-use
`ws://127.0.0.1:PORT/link/?ticket=…` URL. The WebSocket server (the `websockets` library; no
hand-written framing) greets each connection with `hello`, lets the test push envelopes and records
the client's acks. It can drop the connection, abruptly or with a `disconnect` message, as Slack does
when it rotates its servers, so the client's reconnects can be tested; and it can refuse the socket for a
while (apps.connections.open answering an error, or the WebSocket handshake refused), recording when each
apps.connections.open call came, so that the client's backoff can be measured.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import parse_qs, parse_qsl, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from tests.standins.slack import SlackStandIn
from tests.standins.slack_requests import slash_command_body

APP_TOKEN = "xapp-1-A0MAILCHECK-1-test-app-level-token"
APP_ID = "A0MAILCHECK"
CONNECTIONS_OPEN = "apps.connections.open"
OP_TIMEOUT = 5.0  # bounds every cross-thread operation, so a stuck server fails the test instead of hanging
# Where Slack refuses the socket: apps.connections.open answers an error, or the WebSocket handshake fails.
Refusal = Literal["connections_open", "handshake"]


@dataclass
class Session:
    """One WebSocket connection from the client: what it was sent and what it sent back."""

    number: int
    ticket: str
    connection: ServerConnection
    received: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None
    closed: bool = False


@dataclass(frozen=True)
class ConnectionsOpen:
    authorization: str
    ok: bool
    at: float  # time.monotonic() when the call came


def block_actions_payload(
    action_id: str,
    value: str,
    *,
    user: str = "U0OPERATOR",
    channel: str = "C0SUPPORT",
    message_ts: str = "1700000001.000100",
    response_url: str = "http://127.0.0.1:9/hooks/none",
) -> dict[str, Any]:
    """A button press on a channel message, shaped like Slack's block_actions payload."""
    return {
        "type": "block_actions",
        "api_app_id": APP_ID,
        "token": "deprecated-verification-token",
        "trigger_id": "1.2.abc",
        "user": {"id": user, "username": user.lower(), "team_id": "T0TEST"},
        "team": {"id": "T0TEST", "domain": "example"},
        "channel": {"id": channel, "name": "support"},
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "message": {"type": "message", "ts": message_ts, "text": "mailcheck report"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "mailcheck_actions",
                "value": value,
                "action_ts": message_ts,
            }
        ],
    }


def _token_error(token: str) -> str | None:
    """What Slack answers apps.connections.open for a missing, wrong or non-app-level token."""
    if not token:
        return "not_authed"
    if not token.startswith("xapp-"):
        return "not_allowed_token_type"
    return None if token == APP_TOKEN else "invalid_auth"


class SocketModeStandIn(SlackStandIn):
    def __init__(self) -> None:
        super().__init__()
        self.connections_open: list[ConnectionsOpen] = []
        # (method, Authorization header) of every Web API request, including refused ones.
        self.api_auth: list[tuple[str, str | None]] = []
        self.sessions: list[Session] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.rejected_tickets: list[str] = []
        self.refused_handshakes = 0
        self._refusing: Refusal | None = None
        self._tickets: set[str] = set()
        self._numbers = itertools.count(1)
        self._loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._ws_server: Server | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> SocketModeStandIn:
        self._loop_thread.start()
        self._ws_server = self._call(self._start_ws())
        super().start()
        return self

    def stop(self) -> None:
        if self._ws_server is not None:
            self._call(self._stop_ws())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._loop_thread.join(OP_TIMEOUT)
        self._loop.close()
        super().stop()

    @property
    def ws_port(self) -> int:
        assert self._ws_server is not None
        return int(self._ws_server.sockets[0].getsockname()[1])

    # -- test controls -------------------------------------------------------------------------------
    def wait_for_session(self, number: int, timeout: float = 15.0) -> Session:
        """The `number`th connection (1-based), once it has been sent `hello`."""

        def greeted() -> Session | None:
            with self._lock:
                if len(self.sessions) >= number:
                    return self.sessions[number - 1]
            return None

        session: Session = self.wait_for(greeted, timeout)
        return session

    def push_slash_command(self, text: str, **fields: str) -> str:
        """Send a `slash_commands` envelope (fields as Slack posts them over HTTP); return its envelope_id."""
        payload = dict(parse_qsl(slash_command_body(text, **fields), keep_blank_values=True))
        return self.push("slash_commands", payload, accepts_response_payload=True)

    def push_block_actions(self, payload: dict[str, Any]) -> str:
        """Send an `interactive` envelope (see block_actions_payload); Slack takes no response payload
        for block_actions, unlike view submissions."""
        return self.push("interactive", payload, accepts_response_payload=False)

    def push(self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool) -> str:
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "accepts_response_payload": accepts_response_payload,
            "payload": payload,
        }
        self._call(self._send(self._current(), envelope))
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        def acked() -> dict[str, Any] | None:
            with self._lock:
                return self.acks.get(envelope_id)

        ack: dict[str, Any] = self.wait_for(acked, timeout)
        return ack

    def drop(self) -> None:
        """Cut the TCP connection with no close frame, like a network failure or a crashed server."""
        session = self._current()
        self._loop.call_soon_threadsafe(session.connection.transport.abort)

    def request_refresh(self) -> None:
        """Ask the client to move to a new connection, as Slack does before it retires a server."""
        message = {
            "type": "disconnect",
            "reason": "refresh_requested",
            "debug_info": {"host": "applink-standin"},
        }
        self._call(self._send(self._current(), message))

    def wait_closed(self, session: Session, timeout: float = 10.0) -> Session:
        self.wait_for(lambda: session.closed, timeout)
        return session

    def refuse(self, where: Refusal) -> None:
        """Refuse the socket until accept(): apps.connections.open answers HTTP 503 `service_unavailable`
        ("connections_open"), or it hands out URLs whose WebSocket handshake answers 503 ("handshake").
        Open connections stay open; drop() one to make the client reconnect."""
        with self._lock:
            self._refusing = where

    def accept(self) -> None:
        with self._lock:
            self._refusing = None

    def open_times(self) -> list[float]:
        """When each apps.connections.open call came (time.monotonic()), in order."""
        with self._lock:
            return [c.at for c in self.connections_open]

    # -- apps.connections.open (a Web API method, but with the app-level token) -----------------------
    def open_connection(self, authorization: str) -> tuple[int, dict[str, Any]]:
        """apps.connections.open: the HTTP status and the answer."""
        error = _token_error(authorization.removeprefix("Bearer "))
        with self._lock:
            if error is None and self._refusing == "connections_open":
                error = "service_unavailable"
            self.connections_open.append(ConnectionsOpen(authorization, error is None, time.monotonic()))
            if error == "service_unavailable":
                return HTTPStatus.SERVICE_UNAVAILABLE.value, {"ok": False, "error": error}
            if error is not None:
                return HTTPStatus.OK.value, {"ok": False, "error": error}
            ticket = secrets.token_hex(8)
            self._tickets.add(ticket)
        url = f"ws://127.0.0.1:{self.ws_port}/link/?ticket={ticket}&app_id={APP_ID}"
        return HTTPStatus.OK.value, {"ok": True, "url": url}

    def _handler(self) -> Any:
        standin = self
        base = super()._handler()

        class Handler(base):  # type: ignore[valid-type,misc]
            def do_POST(self) -> None:
                path = self.path.split("?")[0]
                if path.startswith("/api/"):
                    with standin._lock:
                        standin.api_auth.append(
                            (path.removeprefix("/api/"), self.headers.get("Authorization"))
                        )
                if path != "/api/" + CONNECTIONS_OPEN:
                    super().do_POST()
                    return
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._send(*standin.open_connection(self.headers.get("Authorization") or ""))

        return Handler

    # -- the WebSocket server (runs on the stand-in's own event loop thread) --------------------------
    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(OP_TIMEOUT)

    def _current(self) -> Session:
        with self._lock:
            open_sessions = [s for s in self.sessions if not s.closed]
        if not open_sessions:
            raise AssertionError("no open Socket Mode connection")
        return open_sessions[-1]

    async def _start_ws(self) -> Server:
        # A client slow to answer our close frame must not hold stop() past OP_TIMEOUT.
        return await serve(self._serve, "127.0.0.1", 0, process_request=self._check_ticket, close_timeout=1.0)

    async def _stop_ws(self) -> None:
        assert self._ws_server is not None
        self._ws_server.close()
        await self._ws_server.wait_closed()

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        ticket = parse_qs(urlsplit(request.path).query).get("ticket", [""])[0]
        with self._lock:
            if self._refusing == "handshake":
                self.refused_handshakes += 1
                unavailable = HTTPStatus.SERVICE_UNAVAILABLE
                return Response(unavailable.value, unavailable.phrase, Headers(), b"try again later\n")
            if ticket in self._tickets:
                self._tickets.discard(ticket)  # one use only, like Slack's
                return None
            self.rejected_tickets.append(ticket)
        return Response(HTTPStatus.UNAUTHORIZED.value, "Unauthorized", Headers(), b"invalid ticket\n")

    async def _serve(self, connection: ServerConnection) -> None:
        ticket = parse_qs(urlsplit(connection.request.path).query)["ticket"][0] if connection.request else ""
        session = Session(next(self._numbers), ticket, connection)
        hello = {
            "type": "hello",
            "num_connections": 1,
            "debug_info": {"host": "applink-standin", "build_number": 1, "approximate_connection_time": 3600},
            "connection_info": {"app_id": APP_ID},
        }
        await connection.send(json.dumps(hello))
        with self._lock:
            self.sessions.append(session)
        try:
            async for raw in connection:
                self._record(session, raw)
        except ConnectionClosed:
            pass
        with self._lock:
            session.closed = True
            session.close_code = connection.close_code

    def _record(self, session: Session, raw: str | bytes) -> None:
        message = json.loads(raw)
        with self._lock:
            session.received.append(message)
            if isinstance(message, dict) and "envelope_id" in message:
                self.acks[str(message["envelope_id"])] = message

    async def _send(self, session: Session, message: dict[str, Any]) -> None:
        await session.connection.send(json.dumps(message))
