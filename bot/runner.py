"""Start the bot: Socket Mode when SLACK_APP_TOKEN is set, otherwise the HTTP server."""

from __future__ import annotations

import logging

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.app import build_deps, create_app
from bot.server import serve
from workers.settings import Settings, require

log = logging.getLogger(__name__)


def run_bot(settings: Settings, *, host: str, port: int | None) -> None:
    require(settings, "slack_bot_token")
    if settings.slack_app_token is None:
        require(settings, "slack_signing_secret")
    deps = build_deps(settings)
    app = create_app(deps)
    if settings.slack_app_token is not None:
        log.info("mailcheck bot starting in Socket Mode")
        SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()  # type: ignore[no-untyped-call]
        return
    serve(app, deps, host=host, port=port or settings.port)
