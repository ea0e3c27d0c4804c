"""The peer a user would write instead: a plain Bolt app that acks `/mailcheck` and writes one Redis key.

Bolt's defaults (its own WSGI adapter, its listener executor), served by waitress like the bot.
Usage: python -m bench.peers.bolt_peer PORT REDIS_URL SIGNING_SECRET THREADS SLACK_API_URL
(Bolt asks `auth.test` once, as it would ask Slack; the Slack stand-in answers.)
"""

from __future__ import annotations

import sys
from typing import Any

import redis
import waitress
from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from tests.standins.slack import BOT_TOKEN


def build(redis_url: str, signing_secret: str, slack_api_url: str) -> SlackRequestHandler:
    connection = redis.Redis.from_url(redis_url)
    client = WebClient(token=BOT_TOKEN, base_url=slack_api_url)
    app = App(signing_secret=signing_secret, client=client)

    @app.command("/mailcheck")
    def mailcheck(ack: Ack, command: dict[str, Any]) -> None:
        connection.set(f"peer:bolt:{command['trigger_id']}:{command['text']}", command["user_id"], ex=600)
        ack()

    return SlackRequestHandler(app)


def main() -> None:
    port, redis_url, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    threads, slack_api_url = int(sys.argv[4]), sys.argv[5]
    waitress.serve(
        build(redis_url, secret, slack_api_url), host="127.0.0.1", port=port, threads=threads, ident="peer"
    )


if __name__ == "__main__":
    main()
