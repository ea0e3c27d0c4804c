"""Start the bot: Socket Mode when SLACK_APP_TOKEN is set, otherwise the HTTP server."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from types import FrameType

from slack_bolt import App
from slack_bolt.adapter.socket_mode.internals import build_headers, send_response
from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.socket_mode.websocket_client import SocketModeClient
from slack_sdk.web import WebClient
from websocket import WebSocketApp

from bot.app import build_deps, create_app
from bot.reaping import BotReaper
from bot.reconnect import Backoff
from bot.server import OpsServer, serve
from bot.slack_http import MalformedRequest, socket_mode_request
from workers.core.settings import ConfigError, Settings, require

log = logging.getLogger(__name__)

PING_INTERVAL_S = 10.0  # Bolt's default
# How long a ping may go unanswered, and so also how long websocket-client's read loop sleeps in select().
PONG_TIMEOUT_S = 3.0
# SIGTERM to exit: the close handshake, then the SDK's threads; well inside a container's 10 s grace.
CLOSE_TIMEOUT_S = 6.0
SIGNAL_POLL_S = 0.2
# The SDK's session thread calls _run_current_session every 0.5 s.
SESSION_TICK_S = 0.5
# A new connection is started by the session thread within 0.5 s, or once the old one's read loop ends.
START_GRACE_S = PONG_TIMEOUT_S + 2.0


class _PromptSocketModeClient(SocketModeClient):
    """slack_sdk's websocket-client Socket Mode client, with its reconnects made prompt and race-free.

    websocket-client rather than the SDK's built-in client: the built-in one notices a dropped
    connection only after about a minute of failed pings, spinning on the dead socket meanwhile.
    But the SDK runs websocket-client without `ping_timeout`, so its read loop sleeps 10 s in select()
    and is not woken when another thread closes the socket (after Slack's `disconnect` message the new
    connection waits those 10 s to start, and so does shutdown), and a silently dead connection is
    never noticed. And its monitor replaces a connection that merely has not been started yet; when
    that races with the start, the old one runs on, receiving envelopes it cannot ack.

    And while Slack refuses the socket it retries with no backoff: the session thread runs the dead
    connection again every 0.5 s (its one-use ticket spent, so the handshake fails), whose on_close
    calls apps.connections.open, a Tier 1 method, again. So here a connection runs once only; every
    reconnect, whoever asks for it (on_close, the monitor, a `disconnect` message, the session thread),
    goes through connect_to_new_endpoint, which starts one only when the backoff (bot/reconnect.py,
    SPEC §16) says it is due; each apps.connections.open call (issue_new_wss_url) pushes the next one
    out, and Slack's `hello` on a new connection starts the backoff over. The session thread retries
    when due, so once Slack accepts again the wait is at most the backoff's cap.
    """

    def __init__(
        self,
        *,
        app_token: str,
        logger: logging.Logger,
        web_client: WebClient,
        backoff: Backoff | None = None,
    ) -> None:
        # Set before the SDK's __init__, which starts the threads that read them.
        self._started: WebSocketApp | None = None
        self._connected_at = 0.0
        self._down_since: float | None = time.monotonic()  # None while a connection is open
        self.backoff = backoff or Backoff()
        self._reconnecting = threading.Lock()
        super().__init__(
            app_token=app_token, logger=logger, web_client=web_client, ping_interval=PING_INTERVAL_S
        )
        self.on_open_listeners.append(self._opened)
        self.on_message_listeners.append(self._greeted)

    def _opened(self, ws: WebSocketApp) -> None:
        self._down_since = None

    def _greeted(self, ws: WebSocketApp, message: str) -> None:
        # Slack's `hello` (not merely the handshake) says it accepted the connection.
        if '"hello"' not in message:
            return
        try:
            parsed = json.loads(message)
        except ValueError:
            return
        if isinstance(parsed, dict) and parsed.get("type") == "hello":
            self.backoff.reset()

    def down_for(self) -> float:
        """Seconds since the last connection closed (or since start, before the first); 0.0 while up."""
        since = self._down_since
        return 0.0 if since is None else time.monotonic() - since

    def connect(self) -> None:
        # A reconnect racing with close() must not revive the client (the SDK's connect() also turns
        # auto-reconnect back on).
        if not self.closed:
            self._connected_at = time.monotonic()
            super().connect()

    def issue_new_wss_url(self) -> str:
        # The one caller of apps.connections.open (the SDK's own Retry-After wait on `ratelimited` included).
        self.backoff.attempt()
        return super().issue_new_wss_url()

    def connect_to_new_endpoint(self, force: bool = False) -> None:
        # One reconnect at a time: another one under way makes this one redundant. Not before the backoff
        # allows, even when forced by a `disconnect` (that connection still works until Slack closes it,
        # and the session thread then reconnects when due).
        if self.closed or not self.backoff.due() or not self._reconnecting.acquire(blocking=False):
            return
        try:
            if self.backoff.due() and (force or not self._starting()):
                super().connect_to_new_endpoint(force)
        finally:
            self._reconnecting.release()

    def _starting(self) -> bool:
        """The current connection is new and waits for the session thread to start it."""
        session = self.current_session
        fresh = time.monotonic() - self._connected_at < START_GRACE_S
        return session is not None and session is not self._started and fresh

    def _run_current_session(self) -> None:
        session = self.current_session
        if session is None or self.closed:
            return
        if session is self._started:
            # It has run and ended, and no new connection replaced it (Slack refused one, or the backoff
            # held the reconnect back): never run a spent connection again, get a new one when due.
            self._retry()
            return
        self._started = session
        try:
            self.logger.info("Starting to receive messages from a new connection")
            session.run_forever(ping_interval=self.ping_interval, ping_timeout=PONG_TIMEOUT_S)
            self.logger.info("Stopped receiving messages from a connection")
        except Exception:
            self.logger.exception("Socket Mode connection failed")
            session.close()
        finally:
            # This thread runs one connection at a time, so the next one's open comes after this.
            # (Not an on_close listener: the SDK's own on_close reconnects first and may raise.)
            if self._down_since is None:
                self._down_since = time.monotonic()

    def _retry(self) -> None:
        # Called every SESSION_TICK_S: when the attempt is due before the next call, wait for it here (on
        # the runner's own event, which close() sets), so that the backoff's delays are kept to the letter.
        wait = self.backoff.remaining()
        if not self.auto_reconnect_enabled or wait > SESSION_TICK_S:
            return
        if wait > 0 and self.current_session_runner.event.wait(wait + 0.01):  # a hair past due
            return
        try:
            self.connect_to_new_endpoint()
        except Exception as exc:  # the SDK has logged Slack's answer
            self.logger.warning(
                "Socket Mode: no new connection (%s); next attempt in %.1f s",
                type(exc).__name__,
                self.backoff.remaining(),
            )


class _SocketModeHandler(SocketModeHandler):
    # Bolt's handler with our client; its __init__ would build the SDK's (and start its threads).
    client: _PromptSocketModeClient

    def __init__(
        self,
        app: App,
        app_token: str,
        answering: Callable[[], AbstractContextManager[None]],
        backoff: Backoff | None = None,
    ) -> None:
        self.app = app
        self.app_token = app_token
        self._answering = answering
        self.client = _PromptSocketModeClient(
            app_token=app_token, logger=app.logger, web_client=app.client, backoff=backoff
        )
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        """Bolt's handler behind the same guards as the HTTP entry (bot/slack_http.py)."""
        start = time.time()
        with self._answering():
            try:
                request = socket_mode_request(req.payload, build_headers(req))
            except MalformedRequest as exc:
                # Acked, so that Slack does not deliver it again; nothing else happens.
                log.warning("Socket Mode envelope refused: malformed request: %s", exc)
                client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
                return
            send_response(client, req, self.app.dispatch(request), start)

    def down_for(self) -> float:
        return self.client.down_for()


def socket_mode_handler(
    app: App,
    app_token: str,
    answering: Callable[[], AbstractContextManager[None]],
    backoff: Backoff | None = None,
) -> _SocketModeHandler:
    """Bolt's Socket Mode handler on our client; `backoff` paces reconnects (default: SPEC §16's)."""
    return _SocketModeHandler(app, app_token, answering, backoff)


def run_bot(settings: Settings, *, host: str, port: int | None) -> None:
    require(settings, "slack_bot_token")
    if settings.slack_app_token is None:
        require(settings, "slack_signing_secret")
    deps = build_deps(settings)
    app = create_app(deps)
    # Reports must be settled even when no worker runs (SPEC §8), so the bot reaps as well.
    reaper = BotReaper(deps).start()
    try:
        if settings.slack_app_token is not None:
            # The client opens connections through app.client, so apps.connections.open goes to
            # SLACK_API_URL like every other Web API call (with the app token instead of the bot token).
            handler = socket_mode_handler(
                app, settings.slack_app_token.get_secret_value(), deps.background.answering
            )
            ops = OpsServer(deps, handler, host=host, port=port or settings.port).start()
            try:
                run_socket_mode(handler)
            finally:
                ops.stop()
        else:
            serve(app, deps, host=host, port=port or settings.port)
    finally:
        reaper.stop()


def run_socket_mode(handler: SocketModeHandler) -> None:
    """Connect, then serve until SIGTERM/SIGINT; close with a close frame so Slack stops routing to us."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        log.info("mailcheck bot starting in Socket Mode")
        try:
            handler.connect()  # type: ignore[no-untyped-call]
        except SlackApiError as exc:
            # apps.connections.open refused the app token: a configuration error, not a crash.
            error = exc.response.get("error", "unknown_error")
            raise ConfigError(f"SLACK_APP_TOKEN: Slack refused it for Socket Mode ({error})") from None
        # Wake now and then: the kernel may deliver the signal to any thread, and Python runs the handler
        # only when the main thread runs, which an untimed wait never lets it do.
        while not stop.wait(SIGNAL_POLL_S):
            pass
        log.info("mailcheck bot stopping: closing the Socket Mode connection")
        _close_within(handler, CLOSE_TIMEOUT_S)
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _close_within(handler: SocketModeHandler, timeout: float) -> None:
    # The SDK's close() joins its threads with no limit; a stop must not hang on a connection it raced.
    closer = threading.Thread(target=handler.close, name="socket-mode-close", daemon=True)
    closer.start()
    closer.join(timeout)
    if closer.is_alive():
        log.warning("the Socket Mode client did not close within %.0f s; exiting anyway", timeout)
