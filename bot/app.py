"""The composition root: `create_app(settings, ...)` builds the Bolt app; nothing happens at import."""

from __future__ import annotations

import json
from typing import Any

import redis
from slack_bolt import App, BoltResponse
from slack_bolt.context.respond import Respond

from bot import listeners
from bot.deps import Deps
from bot.errors import InModal, ephemeral_response, error_text
from bot.metrics import BotMetrics
from bot.post_ack import PostAck
from workers.clients.redis_client import redis_client
from workers.clients.store import ReportStore
from workers.core.settings import Settings
from workers.jobs.queueing import make_queue
from workers.slack.api import SlackPoster, interactive_client, respond_ephemeral, web_client
from workers.slack.ids import BlockId

# The bot answers inside Slack's 3-second window, so its Redis calls must fail fast.
REDIS_SOCKET_TIMEOUT_S = 1.0


def bot_redis(settings: Settings) -> redis.Redis:
    return redis_client(
        settings.redis_url,
        socket_timeout=REDIS_SOCKET_TIMEOUT_S,
        socket_connect_timeout=REDIS_SOCKET_TIMEOUT_S,
        health_check_interval=10,
    )


def build_deps(settings: Settings, connection: redis.Redis | None = None) -> Deps:
    connection = connection or bot_redis(settings)
    queue = make_queue(connection, settings)
    return Deps(
        settings=settings,
        redis=connection,
        store=ReportStore(connection),
        queue=queue,
        poster=SlackPoster(web_client(settings)),
        interactive=SlackPoster(interactive_client(settings)),
        metrics=BotMetrics().include_workers(queue),
        background=PostAck(),
    )


def _first_input(body: dict[str, Any]) -> str:
    view = body.get("view")
    blocks = view.get("blocks") if isinstance(view, dict) else None
    for block in blocks if isinstance(blocks, list) else []:
        if (
            isinstance(block, dict)
            and block.get("type") == "input"
            and isinstance(block.get("block_id"), str)
        ):
            return str(block["block_id"])
    return BlockId.EMAIL.value


def modal_errors(error: Exception, body: dict[str, Any], text: str) -> BoltResponse:
    """`response_action: errors`: an InModal's errors under their fields; anything else (an error id)
    under the modal's first field."""
    errors = error.errors if isinstance(error, InModal) else {_first_input(body): text}
    answer = json.dumps({"response_action": "errors", "errors": errors})
    return BoltResponse(status=200, body=answer, headers={"content-type": "application/json"})


def create_app(deps: Deps) -> App:
    settings = deps.settings
    app = App(
        client=deps.poster.client,
        signing_secret=settings.slack_signing_secret.get_secret_value()
        if settings.slack_signing_secret
        else None,
        token_verification_enabled=False,
        # Each listener runs on the thread of its request (the HTTP server's or Socket Mode's), acks,
        # and hands the rest to deps.background, so it returns at once; Bolt's listener executor is
        # never used (it would only run lazy listeners, and there are none). Over HTTP, `/mailcheck`
        # itself skips Bolt's dispatch (bot/slack_http.py).
        process_before_response=True,
    )

    @app.error
    def handle_error(
        error: Exception, body: dict[str, Any], response: BoltResponse | None, respond: Respond | None
    ) -> Any:
        text = error_text(error, deps.metrics)
        kind = body.get("type") if isinstance(body, dict) else None
        if kind == "view_submission":  # under the modal's fields, which stays open
            return modal_errors(error, body, text)
        if kind == "message_action":  # Slack shows nothing of a shortcut's HTTP answer
            url = body.get("response_url")
            if isinstance(url, str) and url.startswith(("https://", "http://")):
                deps.background.submit(respond_ephemeral, url, text)
            return BoltResponse(status=200, body="")
        if response is not None:  # not acknowledged yet: answer in the HTTP response
            return ephemeral_response(text)
        if respond is not None:
            respond(text=text, response_type="ephemeral", replace_original=False)
        return None

    listeners.register(app, deps)
    return app
