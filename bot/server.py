"""The bot's HTTP surface on a production WSGI server (waitress): Slack events, health, metrics."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

import redis
import waitress
from prometheus_client import make_wsgi_app
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.deps import Deps

log = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"
SERVER_THREADS = 16  # Bolt's listener pool is separate; these threads only carry requests to it

StartResponse = Callable[..., Any]
Wsgi = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _plain(start_response: StartResponse, status: str, body: dict[str, Any]) -> Iterable[bytes]:
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def _healthz(deps: Deps, start_response: StartResponse) -> Iterable[bytes]:
    try:
        deps.redis.ping()
    except redis.RedisError as exc:
        return _plain(
            start_response,
            "503 Service Unavailable",
            {"ok": False, "redis": f"unreachable: {type(exc).__name__}"},
        )
    return _plain(start_response, "200 OK", {"ok": True, "redis": "ok"})


def make_wsgi(app: App, deps: Deps) -> Wsgi:
    slack = SlackRequestHandler(app, path=SLACK_EVENTS_PATH)
    metrics = make_wsgi_app(deps.metrics.registry)

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == "/healthz" and method == "GET":
            return _healthz(deps, start_response)
        if path == "/metrics" and method == "GET":
            return metrics(environ, start_response)  # type: ignore[no-any-return]
        if path == SLACK_EVENTS_PATH and method == "POST":
            return slack(environ, start_response)
        return _plain(start_response, "404 Not Found", {"error": "not found"})

    return wsgi


def serve(app: App, deps: Deps, *, host: str, port: int) -> None:
    log.info("mailcheck bot listening on http://%s:%d%s", host, port, SLACK_EVENTS_PATH)
    waitress.serve(make_wsgi(app, deps), host=host, port=port, threads=SERVER_THREADS, ident="mailcheck")
