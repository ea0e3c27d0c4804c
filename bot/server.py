"""The bot's HTTP surface on a production WSGI server (waitress): Slack events, health, metrics.

In Socket Mode Slack is reached over the socket, and only health and metrics are served (`OpsServer`)."""

from __future__ import annotations

import gc
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

import waitress
from prometheus_client import make_wsgi_app
from slack_bolt import App

from bot.deps import Deps
from bot.healthz import SocketLink, healthz
from bot.listeners import commands
from bot.slack_http import SlackEvents
from workers.core.settings import ConfigError
from workers.providers.resend_webhook import handle_resend_webhook

log = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"
RESEND_WEBHOOK_PATH = "/webhooks/resend"
SERVER_THREADS = 64  # each request thread waits only for its listener's ack (Slack: at most 3 s)
OPS_THREADS = 2  # health and metrics only: a scrape and a healthcheck at a time
OPS_STOP_S = 2.0

StartResponse = Callable[..., Any]
Wsgi = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _plain(start_response: StartResponse, status: str, body: dict[str, Any]) -> Iterable[bytes]:
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def _healthz(deps: Deps, socket: SocketLink | None, start_response: StartResponse) -> Iterable[bytes]:
    ok, body = healthz(deps, socket)
    return _plain(start_response, "200 OK" if ok else "503 Service Unavailable", body)


MAX_WEBHOOK_BYTES = 256 * 1024


def _resend_webhook(deps: Deps, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length > MAX_WEBHOOK_BYTES:
        return _plain(start_response, "413 Payload Too Large", {"error": "too large"})
    body = environ["wsgi.input"].read(length)
    headers = {
        key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")
    }
    secret = deps.settings.resend_webhook_secret
    status, text = handle_resend_webhook(
        body, headers, secret=secret.get_secret_value() if secret else None, redis=deps.redis, now=time.time()
    )
    if status == HTTPStatus.NO_CONTENT:
        start_response("204 No Content", [])
        return []
    return _plain(start_response, f"{status} {HTTPStatus(status).phrase}", {"result": text})


def make_ops_wsgi(deps: Deps, socket: SocketLink | None = None, fallback: Wsgi | None = None) -> Wsgi:
    """GET /healthz and GET /metrics; anything else goes to `fallback`, or is 404 without one."""
    metrics = make_wsgi_app(deps.metrics.registry)

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == "/healthz" and method == "GET":
            return _healthz(deps, socket, start_response)
        if path == "/metrics" and method == "GET":
            return metrics(environ, start_response)  # type: ignore[no-any-return]
        if fallback is not None:
            return fallback(environ, start_response)
        return _plain(start_response, "404 Not Found", {"error": "not found"})

    return wsgi


def make_wsgi(app: App, deps: Deps) -> Wsgi:
    signing_secret = deps.settings.slack_signing_secret
    slack = SlackEvents(
        app,
        signing_secret.get_secret_value() if signing_secret else None,
        command=lambda body: commands.answer(deps, body),
    )

    def events(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == RESEND_WEBHOOK_PATH and method == "POST":
            return _resend_webhook(deps, environ, start_response)
        if path == SLACK_EVENTS_PATH and method == "POST":
            with deps.background.answering():
                return slack(environ, start_response)
        return _plain(start_response, "404 Not Found", {"error": "not found"})

    return make_ops_wsgi(deps, fallback=events)


def serve(app: App, deps: Deps, *, host: str, port: int) -> None:
    log.info("mailcheck bot listening on http://%s:%d%s", host, port, SLACK_EVENTS_PATH)
    # What start-up built lives as long as the process: out of the collector's way, so that the
    # collections a burst of requests triggers do not walk it again and again.
    gc.freeze()
    waitress.serve(make_wsgi(app, deps), host=host, port=port, threads=SERVER_THREADS, ident="mailcheck")


class OpsServer:
    """Socket Mode's HTTP side: /healthz and /metrics only, on waitress in a daemon thread."""

    def __init__(self, deps: Deps, socket: SocketLink, *, host: str, port: int) -> None:
        # Binds now, so that a port in use stops the bot at start-up rather than going unnoticed.
        try:
            self._server = waitress.create_server(
                make_ops_wsgi(deps, socket), host=host, port=port, threads=OPS_THREADS, ident="mailcheck"
            )
        except OSError as exc:
            raise ConfigError(f"PORT: cannot serve /healthz and /metrics on {host}:{port} ({exc})") from None
        self._thread = threading.Thread(target=self._server.run, name="ops-http", daemon=True)
        self._where = f"http://{host}:{port}"

    def start(self) -> OpsServer:
        log.info("mailcheck bot serving /healthz and /metrics on %s", self._where)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.close()
        self._server.task_dispatcher.shutdown(timeout=OPS_STOP_S)
        self._thread.join(OPS_STOP_S)
